//! mailport's full check against the tools people use today, on the same
//! simulated network: `nmap -sT -Pn` and a sequential `nc -z -w T` loop.
//!
//! Measured: wall time, and whether each tool's state agrees with the truth
//! of the scenario, per port (a port is right when every host's state
//! matches; mailport gives one verdict per port) and, for nmap and nc, per
//! host and port. Only mailport can tell "intercepted" from "open": nmap and
//! nc report an intercepted port as open.
//!
//! [`run`] prints the table exactly as BENCHMARKS.md publishes it.

use crate::scenario::{check, Setup};
use crate::topo::{ns_run, run as run_cmd, Net, CLIENT, MX1, MX2, RELAY};
use anyhow::{Context, Result};
use mailport_shared::MAIL_PORTS;
use serde_json::Value;
use std::path::Path;
use std::time::Instant;

/// nc's timeout in whole seconds (nc -w takes seconds), the closest to the
/// 1500 ms mailport uses.
const NC_TIMEOUT_S: u32 = 2;

/// What a tool can say about a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Blocked,
    Intercepted,
    /// mailport's "not testable", nmap's states other than open/filtered/closed.
    Unknown,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Blocked => "blocked",
            State::Intercepted => "intercepted",
            State::Unknown => "unknown",
        }
    }
}

/// One ISP behaviour of the bench.
struct Case {
    id: u32,
    label: &'static str,
    filter: &'static [&'static str],
    nat: &'static [&'static str],
    /// The truth on port 25 (every other port is open).
    truth25: State,
}

impl Case {
    fn truth(&self, port: u16) -> State {
        if port == 25 {
            self.truth25
        } else {
            State::Open
        }
    }
}

const CASES: [Case; 2] = [
    Case {
        id: 2,
        label: "port 25 dropped silently",
        filter: &["tcp dport 25 drop"],
        nat: &[],
        truth25: State::Blocked,
    },
    Case {
        id: 8,
        label: "port 25 redirected to the ISP's proxy MTA",
        filter: &[],
        nat: &["tcp dport 25 redirect to :10025"],
        truth25: State::Intercepted,
    },
];

/// One tool's run on one case.
struct Row {
    tool: String,
    ms: u128,
    /// TCP connections the tool made.
    conns: usize,
    /// Each port's state as the tool reads it, in [`MAIL_PORTS`] order, for every
    /// host (one entry for mailport, which judges a port across hosts).
    states: Vec<Vec<State>>,
    /// Whether the states are per host (nmap, nc) or per port (mailport).
    per_host: bool,
    /// What it says about 25, in its own words.
    says25: String,
}

impl Row {
    /// Ports whose every state matches the truth.
    fn ports_right(&self, case: &Case) -> usize {
        MAIL_PORTS
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                self.states
                    .iter()
                    .all(|h| h.get(*i) == Some(&case.truth(**p)))
            })
            .count()
    }

    /// (right, total) host × port states, for the tools that have them.
    fn cells_right(&self, case: &Case) -> Option<(usize, usize)> {
        self.per_host.then(|| {
            let right = self
                .states
                .iter()
                .flat_map(|h| h.iter().zip(MAIL_PORTS))
                .filter(|(s, p)| **s == case.truth(*p))
                .count();
            (right, self.states.len() * MAIL_PORTS.len())
        })
    }
}

/// The measured table, and whether mailport was right on every port of
/// every case.
pub struct Measured {
    /// The markdown, as BENCHMARKS.md publishes it.
    pub table: String,
    /// Per case: (id, mailport's ports right, of how many).
    pub mailport_right: Vec<(u32, usize, usize)>,
    /// Per case: (id, nmap's and nc's reading of 25 on every host).
    pub others25: Vec<(u32, Vec<&'static str>)>,
}

/// Runs both cases, returns the table.
pub fn run(net: &Net, mailport: &Path) -> Result<Measured> {
    let hosts = [MX1.v4, MX2.v4, RELAY.v4];
    let build = if mailport.components().any(|c| c.as_os_str() == "release") {
        "release"
    } else {
        "debug"
    };
    let nmap_version = run_cmd(&["nmap", "--version"])
        .ok()
        .and_then(|v| v.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "nmap (version unknown)".into());
    let mut out = format!(
        "mailport: {build} build; {nmap_version}; nc -z -w {NC_TIMEOUT_S}. Hosts {} (IPv4), ports {}.\n\n",
        hosts.join(", "),
        MAIL_PORTS.map(|p| p.to_string()).join(", ")
    );
    out.push_str("| scenario | tool | wall time | time / mailport | connections | ports right | host × port right | port 25 reads |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
    let mut measured = Measured {
        table: String::new(),
        mailport_right: Vec::new(),
        others25: Vec::new(),
    };
    for case in &CASES {
        let rules = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        net.set_rules(&rules(case.filter), &rules(case.nat), &[])?;
        let rows = measure(net, mailport, &hosts);
        net.set_rules(&[], &[], &[])?;
        let rows = rows?;
        let base = rows.first().map(|r| r.ms.max(1)).unwrap_or(1);
        for r in &rows {
            let cells = match r.cells_right(case) {
                Some((right, total)) => format!("{right}/{total}"),
                None => "—".into(),
            };
            let wrong = if r.states.iter().all(|h| h[0] == case.truth25) {
                String::new()
            } else {
                format!(" (wrong: {})", case.truth25.word())
            };
            out.push_str(&format!(
                "| {} {} | {} | {} ms | {:.2}× | {} | {}/{} | {} | {}{} |\n",
                case.id,
                case.label,
                r.tool,
                r.ms,
                r.ms as f64 / base as f64,
                r.conns,
                r.ports_right(case),
                MAIL_PORTS.len(),
                cells,
                r.says25,
                wrong
            ));
        }
        if let Some(mp) = rows.first() {
            measured
                .mailport_right
                .push((case.id, mp.ports_right(case), MAIL_PORTS.len()));
        }
        let others: Vec<&'static str> = rows
            .iter()
            .filter(|r| r.per_host)
            .flat_map(|r| r.states.iter().map(|h| h[0].word()))
            .collect();
        measured.others25.push((case.id, others));
    }
    measured.table = out;
    Ok(measured)
}

/// mailport's verdict on `port` over IPv4, as a state, and in its words.
fn mailport_verdict(json: &Value, port: u16) -> (State, String) {
    let Some(v) = json["verdicts"].as_array().and_then(|vs| {
        vs.iter()
            .find(|v| v["port"].as_u64() == Some(u64::from(port)) && v["family"] == "ipv4")
    }) else {
        return (State::Unknown, "no verdict".into());
    };
    let kind = crate::judge::verdict_kind(v);
    let state = match kind.as_str() {
        "open" => State::Open,
        "intercepted_suspected" => State::Intercepted,
        k if k.starts_with("blocked") => State::Blocked,
        _ => State::Unknown,
    };
    let mut evidence: Vec<&str> = Vec::new();
    for kind in v["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
    {
        if !evidence.contains(&kind) {
            evidence.push(kind);
        }
    }
    let words = if evidence.is_empty() {
        kind
    } else {
        format!("{kind} (evidence: {})", evidence.join(", "))
    };
    (state, words)
}

/// "filtered on 3/3 hosts", "open on 2/3 hosts, closed on 1/3".
fn per_host_words(words: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for w in words {
        match seen.iter_mut().find(|(s, _)| s == w) {
            Some((_, n)) => *n += 1,
            None => seen.push((w, 1)),
        }
    }
    seen.iter()
        .map(|(w, n)| format!("{w} on {n}/{} hosts", words.len()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn measure(net: &Net, mailport: &Path, hosts: &[&str]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();

    // mailport: its per-port verdict (IPv4) against the truth.
    let (_report, json, elapsed) = check(net, mailport, Setup::FULL)?;
    let verdicts: Vec<(State, String)> = MAIL_PORTS
        .iter()
        .map(|p| mailport_verdict(&json, *p))
        .collect();
    rows.push(Row {
        tool: "mailport check".into(),
        ms: elapsed.as_millis(),
        conns: json["probes"]
            .as_array()
            .map(|p| p.iter().filter(|p| p.get("address").is_some()).count())
            .unwrap_or(0),
        states: vec![verdicts.iter().map(|(s, _)| *s).collect()],
        per_host: false,
        says25: verdicts[0].1.clone(),
    });

    // nmap -sT -Pn, all hosts and ports at once.
    let ports = MAIL_PORTS.map(|p| p.to_string()).join(",");
    let mut args = vec!["nmap", "-sT", "-Pn", "-n", "-p", &ports, "-oG", "-"];
    args.extend_from_slice(hosts);
    let started = Instant::now();
    let grep = ns_run(CLIENT, &args).context("nmap")?;
    let ms = started.elapsed().as_millis();
    let mut states = Vec::new();
    let mut words25 = Vec::new();
    for host in hosts {
        let line = grep
            .lines()
            .find(|l| l.starts_with(&format!("Host: {host} ")) && l.contains("Ports:"))
            .with_context(|| format!("nmap said nothing about {host}:\n{grep}"))?;
        let mut by_port = Vec::new();
        for port in MAIL_PORTS {
            // `25/filtered/tcp//smtp///`
            let word = line
                .split("Ports: ")
                .nth(1)
                .and_then(|ports| {
                    ports
                        .split(", ")
                        .find(|e| e.split('/').next() == Some(&port.to_string()))
                })
                .and_then(|e| e.split('/').nth(1))
                .unwrap_or("missing")
                .to_string();
            by_port.push(match word.as_str() {
                "open" => State::Open,
                "filtered" | "closed" => State::Blocked,
                _ => State::Unknown,
            });
            if port == 25 {
                words25.push(word);
            }
        }
        states.push(by_port);
    }
    rows.push(Row {
        tool: "nmap -sT -Pn".into(),
        ms,
        conns: MAIL_PORTS.len() * hosts.len(),
        states,
        per_host: true,
        says25: per_host_words(&words25),
    });

    // A sequential nc -z loop, as in setup scripts.
    let started = Instant::now();
    let mut states = Vec::new();
    let mut words25 = Vec::new();
    for host in hosts {
        let mut by_port = Vec::new();
        for port in MAIL_PORTS {
            let ok = ns_run(
                CLIENT,
                &[
                    "nc",
                    "-z",
                    "-w",
                    &NC_TIMEOUT_S.to_string(),
                    host,
                    &port.to_string(),
                ],
            )
            .is_ok();
            by_port.push(if ok { State::Open } else { State::Blocked });
            if port == 25 {
                words25.push(if ok { "succeeded" } else { "failed" }.to_string());
            }
        }
        states.push(by_port);
    }
    rows.push(Row {
        tool: format!("nc -z -w {NC_TIMEOUT_S} loop"),
        ms: started.elapsed().as_millis(),
        conns: MAIL_PORTS.len() * hosts.len(),
        states,
        per_host: true,
        says25: per_host_words(&words25),
    });
    Ok(rows)
}
