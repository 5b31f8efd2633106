//! mailport's full check against the tools people use today, on the same
//! simulated network: `nmap -sT -Pn --max-retries 0` and a sequential
//! `nc -z -w T` loop. Two kinds of case: the bench's own hosts with short
//! timeouts (mx1, mx2, the ISP relay and the reflector), and the default
//! path (no target options, default timeouts) against the stand-ins of the
//! real default targets, where nmap and nc are given each host with the
//! ports mailport probes on it (one nmap per host, all at once).
//!
//! Measured: wall time, and whether each tool's state agrees with the truth
//! of the scenario, per port (a port is right when every host's state
//! matches; mailport gives one verdict per port) and, for nmap and nc, per
//! host and port. Only mailport can tell "intercepted" from "open": nmap and
//! nc report an intercepted port as open.
//!
//! [`run`] prints the table exactly as BENCHMARKS.md publishes it.

use crate::defaults;
use crate::scenario::{check, Setup, Targets};
use crate::topo::{ns_run, run as run_cmd, Net, CLIENT, MX1, MX2, RELAY};
use anyhow::{Context, Result};
use mailport_shared::target::DEFAULT_TARGETS;
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
    /// No target options and default timeouts (the stand-ins of the real
    /// default targets), or the bench's hosts with short timeouts.
    defaults: bool,
    filter: &'static [&'static str],
    nat: &'static [&'static str],
    /// Ports the ISP blocks; every other port is open...
    blocked: &'static [u16],
    /// ...or intercepted.
    intercepted: &'static [u16],
}

impl Case {
    fn truth(&self, port: u16) -> State {
        if self.blocked.contains(&port) {
            State::Blocked
        } else if self.intercepted.contains(&port) {
            State::Intercepted
        } else {
            State::Open
        }
    }
}

const ALL_MAIL: &[u16] = &MAIL_PORTS;

const CASES: [Case; 5] = [
    Case {
        id: 2,
        label: "port 25 dropped silently",
        defaults: false,
        filter: &["tcp dport 25 drop"],
        nat: &[],
        blocked: &[25],
        intercepted: &[],
    },
    Case {
        id: 8,
        label: "port 25 redirected to the ISP's proxy MTA",
        defaults: false,
        filter: &[],
        nat: &["tcp dport 25 redirect to :10025"],
        blocked: &[],
        intercepted: &[25],
    },
    Case {
        id: 20,
        label: "default check, nothing blocked",
        defaults: true,
        filter: &[],
        nat: &[],
        blocked: &[],
        intercepted: &[],
    },
    Case {
        id: 21,
        label: "default check, port 25 dropped silently",
        defaults: true,
        filter: &["tcp dport 25 drop"],
        nat: &[],
        blocked: &[25],
        intercepted: &[],
    },
    Case {
        id: 22,
        label: "default check, every mail port dropped",
        defaults: true,
        filter: &["tcp dport { 25, 26, 465, 587, 2525 } drop"],
        nat: &[],
        blocked: ALL_MAIL,
        intercepted: &[],
    },
];

/// What nmap and nc are pointed at: (IPv4 address, ports probed on it).
fn scan_targets(case: &Case) -> Vec<(&'static str, Vec<u16>)> {
    if !case.defaults {
        return [MX1.v4, MX2.v4, RELAY.v4]
            .into_iter()
            .map(|h| (h, MAIL_PORTS.to_vec()))
            .collect();
    }
    defaults::ALL
        .iter()
        .filter_map(|s| {
            let d = DEFAULT_TARGETS.iter().find(|d| d.host == s.host.names[0])?;
            Some((s.host.v4, d.ports.to_vec()))
        })
        .collect()
}

/// One tool's run on one case.
struct Row {
    tool: String,
    ms: u128,
    /// TCP connections the tool made.
    conns: usize,
    /// Each port's state as the tool reads it: per host, (port, state) for
    /// the ports it probed there (one "host" for mailport, which judges a
    /// port across hosts).
    states: Vec<Vec<(u16, State)>>,
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
            .filter(|p| {
                let mut read = self.states.iter().flatten().filter(|(q, _)| q == *p);
                read.clone().next().is_some() && read.all(|(_, s)| *s == case.truth(**p))
            })
            .count()
    }

    /// (right, total) host × port states, for the tools that have them.
    fn cells_right(&self, case: &Case) -> Option<(usize, usize)> {
        self.per_host.then(|| {
            let cells: Vec<&(u16, State)> = self.states.iter().flatten().collect();
            let right = cells.iter().filter(|(p, s)| *s == case.truth(*p)).count();
            (right, cells.len())
        })
    }

    /// Its reading of port 25 on every host that was probed there.
    fn reads25(&self) -> Vec<State> {
        self.states
            .iter()
            .flatten()
            .filter(|(p, _)| *p == 25)
            .map(|(_, s)| *s)
            .collect()
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
    /// Per case: (id, mailport's wall time, nmap's wall time) in ms.
    pub times: Vec<(u32, u128, u128)>,
}

/// Runs every case, returns the table.
pub fn run(net: &Net, mailport: &Path) -> Result<Measured> {
    let build = if mailport.to_string_lossy().contains("release") {
        "release"
    } else {
        "debug"
    };
    let nmap_version = run_cmd(&["nmap", "--version"])
        .ok()
        .and_then(|v| v.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "nmap (version unknown)".into());
    let mut out = format!(
        "mailport: {build} build; {nmap_version}, -sT -Pn --max-retries 0; nc -z -w {NC_TIMEOUT_S}. IPv4 hosts for nmap and nc.\n\n"
    );
    out.push_str("| scenario | tool | wall time | time / mailport | connections | ports right | host × port right | port 25 reads |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
    let mut measured = Measured {
        table: String::new(),
        mailport_right: Vec::new(),
        others25: Vec::new(),
        times: Vec::new(),
    };
    for case in &CASES {
        let rules = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        net.set_rules(&rules(case.filter), &rules(case.nat), &[])?;
        let rows = measure(net, mailport, case);
        net.set_rules(&[], &[], &[])?;
        let rows = rows?;
        let base = rows.first().map(|r| r.ms.max(1)).unwrap_or(1);
        for r in &rows {
            let cells = match r.cells_right(case) {
                Some((right, total)) => format!("{right}/{total}"),
                None => "—".into(),
            };
            let wrong = if r.reads25().iter().all(|s| *s == case.truth(25)) {
                String::new()
            } else {
                format!(" (wrong: {})", case.truth(25).word())
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
            .flat_map(|r| r.reads25().into_iter().map(State::word))
            .collect();
        measured.others25.push((case.id, others));
        if let (Some(mp), Some(nmap)) = (rows.first(), rows.get(1)) {
            measured.times.push((case.id, mp.ms, nmap.ms));
        }
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

/// nmap's state of `port` in its grepable line for `host`.
fn nmap_word(grep: &str, host: &str, port: u16) -> Result<String> {
    let line = grep
        .lines()
        .find(|l| l.starts_with(&format!("Host: {host} ")) && l.contains("Ports:"))
        .with_context(|| format!("nmap said nothing about {host}:\n{grep}"))?;
    // `25/filtered/tcp//smtp///`
    Ok(line
        .split("Ports: ")
        .nth(1)
        .and_then(|ports| {
            ports
                .split(", ")
                .find(|e| e.split('/').next() == Some(&port.to_string()))
        })
        .and_then(|e| e.split('/').nth(1))
        .unwrap_or("missing")
        .to_string())
}

fn measure(net: &Net, mailport: &Path, case: &Case) -> Result<Vec<Row>> {
    let targets = scan_targets(case);
    let conns: usize = targets.iter().map(|(_, ports)| ports.len()).sum();
    let mut rows = Vec::new();

    // mailport: its per-port verdict (IPv4) against the truth.
    let setup = if case.defaults {
        Setup {
            targets: Targets::Defaults,
            ..Setup::FULL
        }
    } else {
        Setup::FULL
    };
    let (_report, json, elapsed) = check(net, mailport, setup)?;
    let verdicts: Vec<(u16, State, String)> = MAIL_PORTS
        .iter()
        .map(|p| {
            let (s, w) = mailport_verdict(&json, *p);
            (*p, s, w)
        })
        .collect();
    rows.push(Row {
        tool: "mailport check".into(),
        ms: elapsed.as_millis(),
        conns: json["probes"]
            .as_array()
            .map(|p| p.iter().filter(|p| p.get("address").is_some()).count())
            .unwrap_or(0),
        states: vec![verdicts.iter().map(|(p, s, _)| (*p, *s)).collect()],
        per_host: false,
        says25: verdicts[0].2.clone(),
    });

    // nmap -sT -Pn --max-retries 0: one run per distinct port list, all at
    // once (a single run when every host gets the same ports).
    let mut groups: Vec<(Vec<u16>, Vec<&str>)> = Vec::new();
    for (host, ports) in &targets {
        match groups.iter_mut().find(|(p, _)| p == ports) {
            Some((_, hosts)) => hosts.push(host),
            None => groups.push((ports.clone(), vec![host])),
        }
    }
    let started = Instant::now();
    let outputs: Vec<Result<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .iter()
            .map(|(ports, hosts)| {
                scope.spawn(move || {
                    let ports = ports
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(",");
                    let mut args = vec![
                        "nmap",
                        "-sT",
                        "-Pn",
                        "-n",
                        "--max-retries",
                        "0",
                        "-p",
                        &ports,
                        "-oG",
                        "-",
                    ];
                    args.extend_from_slice(hosts);
                    ns_run(CLIENT, &args).context("nmap")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("nmap thread panicked")))
            })
            .collect()
    });
    let ms = started.elapsed().as_millis();
    let grep = outputs.into_iter().collect::<Result<Vec<_>>>()?.join("\n");
    let mut states = Vec::new();
    let mut words25 = Vec::new();
    for (host, ports) in &targets {
        let mut by_port = Vec::new();
        for port in ports {
            let word = nmap_word(&grep, host, *port)?;
            by_port.push((
                *port,
                match word.as_str() {
                    "open" => State::Open,
                    "filtered" | "closed" => State::Blocked,
                    _ => State::Unknown,
                },
            ));
            if *port == 25 {
                words25.push(word);
            }
        }
        states.push(by_port);
    }
    rows.push(Row {
        tool: "nmap -sT -Pn --max-retries 0".into(),
        ms,
        conns,
        states,
        per_host: true,
        says25: per_host_words(&words25),
    });

    // A sequential nc -z loop, as in setup scripts.
    let started = Instant::now();
    let mut states = Vec::new();
    let mut words25 = Vec::new();
    let timeout = NC_TIMEOUT_S.to_string();
    for (host, ports) in &targets {
        let mut by_port = Vec::new();
        for port in ports {
            let p = port.to_string();
            let ok = ns_run(CLIENT, &["nc", "-z", "-w", &timeout, host, &p]).is_ok();
            by_port.push((*port, if ok { State::Open } else { State::Blocked }));
            if *port == 25 {
                words25.push(if ok { "succeeded" } else { "failed" }.to_string());
            }
        }
        states.push(by_port);
    }
    rows.push(Row {
        tool: format!("nc -z -w {NC_TIMEOUT_S} loop"),
        ms: started.elapsed().as_millis(),
        conns,
        states,
        per_host: true,
        says25: per_host_words(&words25),
    });
    Ok(rows)
}
