//! Scenarios as data (`scenarios.toml`): router rules plus what mailport must
//! conclude. Running one swaps the router's ruleset, runs the real
//! `mailport check --json` inside the client namespace and compares.

use crate::topo::{self, Net, CLIENT, DNS};
use anyhow::{bail, Context, Result};
use mailport_shared::Report;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// One ISP behaviour and its expected reading.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub filter: Vec<String>,
    #[serde(default)]
    pub nat: Vec<String>,
    #[serde(default)]
    pub snat: Vec<String>,
    #[serde(default = "yes")]
    pub ipv6_route: bool,
    #[serde(default)]
    pub outcomes: Vec<String>,
    #[serde(default)]
    pub verdicts: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub no_evidence: bool,
    pub advice: String,
    #[serde(default)]
    pub proof: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct File {
    scenario: Vec<Scenario>,
}

/// Loads the scenario table.
pub fn load() -> Result<Vec<Scenario>> {
    let text = include_str!("scenarios.toml");
    let f: File = toml::from_str(text)?;
    Ok(f.scenario)
}

/// What a run gave.
pub struct RunResult {
    pub report: Report,
    pub json: Value,
    pub elapsed: Duration,
    pub failures: Vec<String>,
}

/// Timeouts short enough to keep the suite fast, long enough for a loaded CI.
pub const CONNECT_TIMEOUT_MS: u32 = 1500;
/// Greeting timeout.
pub const GREETING_TIMEOUT_MS: u32 = 1500;

/// The `mailport check` arguments for the bench's targets.
pub fn check_args(net: &Net) -> Vec<String> {
    let mut a: Vec<String> = [
        "check",
        "--json",
        // The simulated internet has no OpenDNS, Cymru or Spamhaus.
        "--no-netinfo",
        "--allow-private",
        "--dns",
        DNS,
        "--mx",
        "mx1.example.net",
        "--mx",
        "mx2.example.org",
        "--submission",
        "smtp.example.net",
        "--submission",
        "relay.isp.example",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push("--ca-file".into());
    a.push(net.ca_file().display().to_string());
    a.push("--connect-timeout".into());
    a.push(CONNECT_TIMEOUT_MS.to_string());
    a.push("--greeting-timeout".into());
    a.push(GREETING_TIMEOUT_MS.to_string());
    if let Some(key) = &net.reflector_key {
        a.push("--reflector".into());
        a.push(topo::REFLECTOR.names[0].into());
        a.push("--reflector-key".into());
        a.push(key.clone());
    }
    a
}

/// Runs `mailport check --json` in the client namespace.
pub fn check(net: &Net, mailport: &Path) -> Result<(Report, Value, Duration)> {
    let args = check_args(net);
    let started = Instant::now();
    let out = std::process::Command::new("ip")
        .env("PATH", topo::path_env())
        .args(["netns", "exec", CLIENT])
        .arg(mailport)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .context("run mailport")?;
    let elapsed = started.elapsed();
    // Exit codes: 0 port 25 open, 1 blocked/intercepted/unconfirmed, 2 error.
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!(
            "mailport {} exited with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "mailport printed no JSON report: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    let report: Report = serde_json::from_value(json.clone()).context("not a Report")?;
    let code_should_be = if report.port25_open() { 0 } else { 1 };
    if out.status.code() != Some(code_should_be) {
        bail!(
            "exit code {:?} but port25_open() = {}",
            out.status.code(),
            report.port25_open()
        );
    }
    Ok((report, json, elapsed))
}

/// Applies the scenario's network and runs the check.
pub fn run(net: &Net, mailport: &Path, s: &Scenario) -> Result<RunResult> {
    net.set_rules(&s.filter, &s.nat, &s.snat)?;
    net.set_client_ipv6_route(s.ipv6_route)?;
    let result = check(net, mailport);
    // Restore the neutral network whatever happened.
    net.set_rules(&[], &[], &[])?;
    net.set_client_ipv6_route(true)?;
    let (report, json, elapsed) = result?;
    // MPSIM_DUMP=DIR keeps every report, to read the evidence in full.
    if let Some(dir) = std::env::var_os("MPSIM_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("scenario-{:02}.json", s.id)),
            serde_json::to_string_pretty(&json)?,
        )?;
    }
    let failures = judge(s, &json);
    Ok(RunResult {
        report,
        json,
        elapsed,
        failures,
    })
}

/// `PORT[/FAMILY][@HOST]` selector.
struct Sel {
    port: u16,
    family: Option<String>,
    host: Option<String>,
}

fn parse_sel(s: &str) -> Result<Sel> {
    let (rest, host) = match s.split_once('@') {
        Some((r, h)) => (r, Some(h.to_string())),
        None => (s, None),
    };
    let (port, family) = match rest.split_once('/') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (rest, None),
    };
    Ok(Sel {
        port: port.parse().with_context(|| format!("bad port in {s}"))?,
        family,
        host,
    })
}

fn parse_line(line: &str) -> Result<(Sel, String)> {
    let (sel, kind) = line
        .split_once(' ')
        .with_context(|| format!("expected \"SELECTOR KIND\": {line}"))?;
    Ok((parse_sel(sel)?, kind.trim().to_string()))
}

fn matches(sel: &Sel, v: &Value) -> bool {
    v["port"].as_u64() == Some(u64::from(sel.port))
        && sel
            .family
            .as_deref()
            .is_none_or(|f| v["family"].as_str() == Some(f))
        && sel
            .host
            .as_deref()
            .is_none_or(|h| v["host"].as_str() == Some(h))
}

/// The verdict kind as written in scenarios: `kind` or `not_testable:reason`.
pub fn verdict_kind(v: &Value) -> String {
    let kind = v["verdict"]["kind"].as_str().unwrap_or("?");
    match v["verdict"]["reason"].as_str() {
        Some(r) => format!("{kind}:{r}"),
        None => kind.to_string(),
    }
}

/// The reflector proof status of a probe, if any.
pub fn proof_status(p: &Value) -> Option<&str> {
    p["outcome"]["reflector"]["status"].as_str()
}

/// Compares a report with the scenario's expectations.
fn judge(s: &Scenario, json: &Value) -> Vec<String> {
    let mut fails = Vec::new();
    let empty = Vec::new();
    let probes = json["probes"].as_array().unwrap_or(&empty);
    let verdicts = json["verdicts"].as_array().unwrap_or(&empty);
    // Reflector probes are judged through `proof`; the plain outcome lines are
    // about the mail servers.
    let servers: Vec<&Value> = probes
        .iter()
        .filter(|p| p["role"].as_str() != Some("reflector"))
        .collect();

    for line in &s.outcomes {
        let Ok((sel, kind)) = parse_line(line) else {
            fails.push(format!("bad outcome line {line}"));
            continue;
        };
        let hits: Vec<&&Value> = servers.iter().filter(|p| matches(&sel, p)).collect();
        if hits.is_empty() {
            fails.push(format!("no probe matches \"{line}\""));
        }
        for p in hits {
            let got = p["outcome"]["kind"].as_str().unwrap_or("?");
            if got != kind {
                fails.push(format!(
                    "outcome {}:{} {}: expected {kind}, got {got} ({})",
                    p["host"].as_str().unwrap_or("?"),
                    p["port"],
                    p["family"].as_str().unwrap_or("?"),
                    p["outcome"]
                ));
            }
        }
    }
    for line in &s.verdicts {
        let Ok((sel, kind)) = parse_line(line) else {
            fails.push(format!("bad verdict line {line}"));
            continue;
        };
        let hits: Vec<&Value> = verdicts.iter().filter(|v| matches(&sel, v)).collect();
        if hits.is_empty() {
            fails.push(format!("no verdict for \"{line}\""));
        }
        for v in hits {
            let got = verdict_kind(v);
            if got != kind {
                fails.push(format!(
                    "verdict {}/{}: expected {kind}, got {got} (why: {})",
                    v["port"],
                    v["family"].as_str().unwrap_or("?"),
                    v["why"].as_str().unwrap_or("")
                ));
            }
        }
    }
    for line in &s.evidence {
        let Ok((sel, kind)) = parse_line(line) else {
            fails.push(format!("bad evidence line {line}"));
            continue;
        };
        let found = verdicts.iter().filter(|v| matches(&sel, v)).any(|v| {
            v["evidence"]
                .as_array()
                .is_some_and(|ev| ev.iter().any(|e| e["kind"].as_str() == Some(&kind)))
        });
        if !found {
            fails.push(format!("evidence \"{line}\" not shown"));
        }
    }
    if s.no_evidence {
        let strong: Vec<String> = verdicts
            .iter()
            .flat_map(|v| v["evidence"].as_array().cloned().unwrap_or_default())
            // The weak findings are information, not interception.
            .filter(|e| {
                !matches!(
                    e["kind"].as_str(),
                    Some("greeting_name_mismatch" | "address_translated")
                )
            })
            .map(|e| format!("{} ({})", e["kind"], e["detail"]))
            .collect();
        if !strong.is_empty() {
            fails.push(format!(
                "unexpected interception evidence: {}",
                strong.join("; ")
            ));
        }
    }
    for line in &s.proof {
        let Ok((sel, kind)) = parse_line(line) else {
            fails.push(format!("bad proof line {line}"));
            continue;
        };
        let hits: Vec<&Value> = probes
            .iter()
            .filter(|p| p["role"].as_str() == Some("reflector") && matches(&sel, p))
            .collect();
        if hits.is_empty() {
            fails.push(format!("no reflector probe for \"{line}\""));
        }
        for p in hits {
            let got = proof_status(p).unwrap_or("none");
            if got != kind {
                fails.push(format!(
                    "reflector proof on {} {}: expected {kind}, got {got} ({})",
                    p["port"],
                    p["family"].as_str().unwrap_or("?"),
                    p["outcome"]
                ));
            }
        }
    }
    let top = json["advice"][0]["id"].as_str().unwrap_or("none");
    if top != s.advice {
        fails.push(format!(
            "top advice: expected {}, got {top} (all: {})",
            s.advice,
            json["advice"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|x| x["id"].as_str().unwrap_or("?").to_string())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ));
    }
    fails
}

impl RunResult {
    /// One line for the run summary.
    pub fn summary_line(&self, s: &Scenario) -> String {
        let verdicts: Vec<String> = self.json["verdicts"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .filter(|v| matches!(v["port"].as_u64(), Some(25 | 465 | 587)))
                    .map(|v| {
                        format!(
                            "{}/{}={}",
                            v["port"],
                            if v["family"] == "ipv4" { "4" } else { "6" },
                            verdict_kind(v)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "{} {:>2} {:<60} {:>5} ms  {}  advice={}  ({})",
            if self.failures.is_empty() {
                "PASS"
            } else {
                "FAIL"
            },
            s.id,
            s.name,
            self.elapsed.as_millis(),
            verdicts.join(" "),
            self.report
                .advice
                .first()
                .map(|a| format!("{:?}", a.id))
                .unwrap_or_default(),
            self.report.headline
        )
    }
}
