//! mailport's full check against the tools people use today, on the same
//! simulated network: `nmap -sT -Pn` and a sequential `nc -z -w T` loop.
//!
//! Measured: wall time, and whether each tool's per-port state agrees with
//! the truth of the scenario. Only mailport can tell "intercepted" from
//! "open": nmap and nc report an intercepted port as open.

use crate::scenario::{self, check};
use crate::topo::{ns_run, Net, CLIENT, MX1, MX2, RELAY};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;

const PORTS: [u16; 5] = [25, 26, 465, 587, 2525];
/// nc's timeout in whole seconds (nc -w takes seconds), the closest to the
/// 1500 ms mailport uses.
const NC_TIMEOUT_S: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Blocked,
    Intercepted,
}

struct Case {
    id: u32,
    label: &'static str,
    filter: Vec<String>,
    nat: Vec<String>,
    /// The truth on port 25 (every other port is open).
    truth25: State,
}

fn truth(case: &Case, port: u16) -> State {
    if port == 25 {
        case.truth25
    } else {
        State::Open
    }
}

struct Row {
    tool: String,
    ms: u128,
    /// TCP connections the tool made.
    conns: usize,
    agree: usize,
    total: usize,
    note: String,
}

/// Runs both cases, returns the markdown table.
pub fn run(net: &Net, mailport: &Path) -> Result<String> {
    let cases = [
        Case {
            id: 2,
            label: "port 25 dropped silently",
            filter: vec!["tcp dport 25 drop".into()],
            nat: vec![],
            truth25: State::Blocked,
        },
        Case {
            id: 8,
            label: "port 25 redirected to the ISP's proxy MTA",
            filter: vec![],
            nat: vec!["tcp dport 25 redirect to :10025".into()],
            truth25: State::Intercepted,
        },
    ];
    let hosts = [MX1.v4, MX2.v4, RELAY.v4];
    let mut out = String::new();
    out.push_str(&format!(
        "Hosts: {} (IPv4); ports {:?}; mailport also probes IPv6, reads greetings, EHLO, STARTTLS/TLS and the reflector.\n\n",
        hosts.join(", "),
        PORTS
    ));
    out.push_str(
        "| scenario | tool | wall time | time / mailport | connections | states right (truth) | what it says about 25 |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---|\n");
    for case in &cases {
        net.set_rules(&case.filter, &case.nat, &[])?;
        let rows = measure(net, mailport, case, &hosts);
        net.set_rules(&[], &[], &[])?;
        let rows = rows?;
        let base = rows.first().map(|r| r.ms.max(1)).unwrap_or(1);
        for r in &rows {
            out.push_str(&format!(
                "| {} {} | {} | {} ms | {:.2}× | {} | {}/{} | {} |\n",
                case.id,
                case.label,
                r.tool,
                r.ms,
                r.ms as f64 / base as f64,
                r.conns,
                r.agree,
                r.total,
                r.note
            ));
        }
    }
    Ok(out)
}

fn measure(net: &Net, mailport: &Path, case: &Case, hosts: &[&str]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();

    // mailport: its per-port verdict (IPv4) against the truth.
    let (_report, json, elapsed) = check(net, mailport, scenario::Setup::FULL)?;
    let mut agree = 0;
    let mut notes = Vec::new();
    for port in PORTS {
        let v = json["verdicts"]
            .as_array()
            .and_then(|vs| {
                vs.iter()
                    .find(|v| v["port"].as_u64() == Some(u64::from(port)) && v["family"] == "ipv4")
            })
            .map(scenario::verdict_kind)
            .unwrap_or_default();
        let state = match v.as_str() {
            "open" => Some(State::Open),
            "intercepted_suspected" => Some(State::Intercepted),
            k if k.starts_with("blocked") => Some(State::Blocked),
            _ => None,
        };
        if state == Some(truth(case, port)) {
            agree += 1;
        }
        if port == 25 {
            notes.push(format!("25: {v}"));
        }
    }
    rows.push(Row {
        tool: "mailport check".into(),
        ms: elapsed.as_millis(),
        conns: json["probes"]
            .as_array()
            .map(|p| p.iter().filter(|p| p.get("address").is_some()).count())
            .unwrap_or(0),
        agree,
        total: PORTS.len(),
        note: format!("{} (one verdict per port, IPv4 shown)", notes.join("")),
    });

    // nmap -sT -Pn, all hosts and ports at once.
    let ports = PORTS.map(|p| p.to_string()).join(",");
    let mut args = vec!["nmap", "-sT", "-Pn", "-n", "-p", &ports, "-oG", "-"];
    args.extend_from_slice(hosts);
    let started = Instant::now();
    let grep = ns_run(CLIENT, &args).context("nmap")?;
    let ms = started.elapsed().as_millis();
    let mut agree = 0;
    let mut states25 = Vec::new();
    for line in grep.lines().filter(|l| l.contains("Ports:")) {
        let Some((_, ports_part)) = line.split_once("Ports: ") else {
            continue;
        };
        for entry in ports_part.split(", ") {
            let f: Vec<&str> = entry.split('/').collect();
            let (Some(p), Some(st)) = (f.first(), f.get(1)) else {
                continue;
            };
            let Ok(port) = p.trim().parse::<u16>() else {
                continue;
            };
            let state = if *st == "open" {
                State::Open
            } else {
                State::Blocked
            };
            if state == truth(case, port) {
                agree += 1;
            }
            if port == 25 {
                states25.push(st.to_string());
            }
        }
    }
    states25.dedup();
    rows.push(Row {
        tool: "nmap -sT -Pn".into(),
        ms,
        conns: PORTS.len() * hosts.len(),
        agree,
        total: PORTS.len() * hosts.len(),
        note: format!("25: {} (per host and port)", states25.join("/")),
    });

    // A sequential nc -z loop, as in setup scripts.
    let started = Instant::now();
    let mut agree = 0;
    let mut states25 = Vec::new();
    for host in hosts {
        for port in PORTS {
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
            let state = if ok { State::Open } else { State::Blocked };
            if state == truth(case, port) {
                agree += 1;
            }
            if port == 25 {
                states25.push(if ok { "succeeded" } else { "failed" });
            }
        }
    }
    let ms = started.elapsed().as_millis();
    states25.dedup();
    rows.push(Row {
        tool: format!("nc -z -w {NC_TIMEOUT_S} loop"),
        ms,
        conns: PORTS.len() * hosts.len(),
        agree,
        total: PORTS.len() * hosts.len(),
        note: format!("25: {} (per host and port)", states25.join("/")),
    });
    Ok(rows)
}
