//! Inbound port 25 in the bench (issue 15): the reflector, started with
//! `--callback`, calls the client back through the ISP router. Scenarios
//! either run `check --inbound` and state the inbound verdict per family
//! (judged here), or send raw call-back requests from the client namespace
//! to test the reflector's own rules (whom it calls, its budget).

use crate::postfix::{Postfix, PostfixSpec};
use crate::scenario::Scenario;
use crate::topo::{self, Net, CLIENT, NEIGHBOUR_V6};
use anyhow::{bail, Context, Result};
use mailport_shared::inbound::callback::{parse_answer, parse_statement, COMMAND, REFUSAL_TAG};
use mailport_shared::Report;
use serde::Deserialize;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

/// Raw call-back requests from one address of the client namespace, each
/// on its own connection to the reflector's port 587, one after the other.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    /// Source address (one of the client namespace's).
    pub from: String,
    /// What follows the challenge on the request line: the ports, and
    /// whatever a forger adds (`25 203.0.113.25`).
    pub args: String,
    /// How many times.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// The Postfix instances a scenario runs in the client namespace; stopped
/// (and their port closed) on drop.
pub struct Mtas(Vec<(Postfix, Vec<String>)>);

impl Mtas {
    /// Starts the user's own MTA and the neighbour's, as the scenario asks.
    pub fn start(net: &Net, s: &Scenario) -> Result<Mtas> {
        let mut wanted = Vec::new();
        if s.client_mta {
            let addrs = vec!["192.0.2.10".to_string(), "[2001:db8:c::10]".to_string()];
            wanted.push(("homemta", "mail.home.example", addrs));
        }
        if s.neighbour_mta {
            let addrs = vec!["192.0.2.11".to_string(), format!("[{NEIGHBOUR_V6}]")];
            wanted.push(("nas", "nas.home.example", addrs));
        }
        let mut mtas = Mtas(Vec::new());
        for (id, hostname, addrs) in wanted {
            let listening: Vec<String> = addrs.iter().map(|a| format!("{a}:25")).collect();
            let spec = PostfixSpec::home(id, CLIENT, hostname, &addrs);
            let pf = net.start_postfix(spec, CLIENT, &listening)?;
            mtas.0.push((pf, listening));
        }
        Ok(mtas)
    }
}

impl Drop for Mtas {
    fn drop(&mut self) {
        for (pf, listening) in &self.0 {
            pf.stop();
            // The next scenario must find port 25 free.
            for addr in listening {
                if let Err(e) = topo::wait_closed(CLIENT, addr) {
                    eprintln!("netsim: {e}");
                }
            }
        }
    }
}

/// The `kind` tag of a serialised value.
fn kind_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j["kind"].as_str().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// A value's snake_case name (a unit enum variant).
fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// The inbound expectations of a scenario that ran a check.
pub fn judge(s: &Scenario, report: &Report) -> Vec<String> {
    let mut fails = Vec::new();
    let Some(inbound) = &report.inbound else {
        if s.inbound {
            fails.push("--inbound given, but the report has no inbound part".into());
        }
        return fails;
    };
    if !s.inbound {
        fails.push("an inbound part without --inbound".into());
    }
    let family_name = |f: &mailport_shared::Family| name_of(f);
    for line in &s.inbound_verdicts {
        let Some((family, kind)) = line.split_once(' ') else {
            fails.push(format!("bad inbound_verdicts line {line}"));
            continue;
        };
        match inbound
            .families
            .iter()
            .find(|f| family_name(&f.family) == family)
        {
            None => fails.push(format!("no inbound verdict for {family}")),
            Some(f) if kind_of(&f.verdict) != kind.trim() => fails.push(format!(
                "inbound {family}: expected {kind}, got {} (witness {}, statement {})",
                serde_json::to_string(&f.verdict).unwrap_or_default(),
                kind_of(&f.witness),
                serde_json::to_string(&f.statement).unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    if s.inbound_verdicts.len() != inbound.families.len() {
        fails.push(format!(
            "the scenario states {} inbound verdict(s), the report has {}",
            s.inbound_verdicts.len(),
            inbound.families.len()
        ));
    }
    if let Some(want) = &s.inbound_witness {
        for f in &inbound.families {
            let got = kind_of(&f.witness);
            if &got != want {
                fails.push(format!(
                    "inbound witness on {}: expected {want}, got {got}",
                    family_name(&f.family)
                ));
            }
        }
    }
    let advice: Vec<String> = inbound.advice().iter().map(name_of).collect();
    let top = advice.first().map_or("none", String::as_str);
    match &s.inbound_advice {
        Some(want) if want != top => fails.push(format!(
            "top inbound advice: expected {want}, got {top} (all: {})",
            advice.join(", ")
        )),
        None if s.inbound => fails.push("an --inbound scenario names no inbound_advice".into()),
        _ => {}
    }
    fails
}

/// The inbound part of a summary line: verdict per family and how long
/// the call-backs took.
pub fn summary(report: &Report) -> String {
    let Some(inbound) = &report.inbound else {
        return String::new();
    };
    let verdicts: Vec<String> = inbound
        .families
        .iter()
        .map(|f| {
            let family = if name_of(&f.family) == "ipv4" { 4 } else { 6 };
            format!("{family}={} {} ms", kind_of(&f.verdict), f.elapsed_ms)
        })
        .collect();
    let total: u64 = inbound
        .families
        .iter()
        .map(|f| u64::from(f.elapsed_ms))
        .sum();
    format!("  inbound[{}; {total} ms]", verdicts.join(", "))
}

/// One raw request: what the reflector answered, in a word or a few.
fn request(from: &str, args: &str, n: u32) -> Result<String> {
    let source: IpAddr = from.parse().with_context(|| format!("bad source {from}"))?;
    let reflector = if source.is_ipv4() {
        topo::REFLECTOR.v4
    } else {
        topo::REFLECTOR.v6
    };
    // Any challenge will do: the statement is read here, not verified (the
    // agent's scenarios verify it).
    let challenge = format!("{:02x}", n % 256).repeat(32);
    let text = format!("{COMMAND} {challenge} {args}\r\nQUIT\r\n");
    let mut child = Command::new("ip")
        .env("PATH", topo::path_env())
        .args(["netns", "exec", CLIENT, "nc", "-s", from, "-w", "20"])
        .args([reflector, "587"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawn nc")?;
    child
        .stdin
        .take()
        .context("nc stdin")?
        .write_all(text.as_bytes())?;
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines().map(|l| l.trim_end_matches('\r'));
    if !lines.next().is_some_and(|l| l.starts_with("220 ")) {
        bail!(
            "no greeting from the reflector: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The reply to the request: lines up to the one with a space after
    // the code.
    let mut code = 0u16;
    let mut texts = Vec::new();
    for l in lines.by_ref() {
        let (c, rest) = l.split_at(l.len().min(3));
        code = c.parse().with_context(|| format!("not a reply: {l}"))?;
        texts.push(rest.get(1..).unwrap_or("").to_string());
        if rest.starts_with(' ') || rest.is_empty() {
            break;
        }
    }
    match code {
        250 => {
            let (bytes, _) = parse_answer(code, &texts).context("the signed answer")?;
            let statement = parse_statement(&bytes).context("the statement")?;
            let ports: Vec<String> = statement
                .ports
                .iter()
                .map(|p| format!("{}={}", p.port, kind_of(&p.result)))
                .collect();
            Ok(format!("called {} {}", statement.called, ports.join(" ")))
        }
        _ => {
            let joined = texts.join(" ");
            match joined.strip_prefix(REFUSAL_TAG) {
                Some(why) if code == 450 => Ok(format!("refused {}", why.trim())),
                _ => Ok(format!("error {code} {joined}")),
            }
        }
    }
}

/// The reflector's log lines about call-backs (`callback t=… to=ADDR …`).
fn calls_logged(net: &Net) -> Vec<String> {
    std::fs::read_to_string(net.dir.join("reflector.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("callback "))
        .map(str::to_string)
        .collect()
}

/// Runs a scenario's raw requests: every reply must match its expected
/// prefix, and the reflector must have called no address but the
/// requesters'. Returns the summary line and the failures.
pub fn run_requests(net: &Net, s: &Scenario) -> Result<(String, Vec<String>)> {
    let started = std::time::Instant::now();
    let before = calls_logged(net).len();
    let mut got = Vec::new();
    let mut n = 0;
    for r in &s.callbacks {
        for _ in 0..r.count {
            n += 1;
            got.push(request(&r.from, &r.args, n)?);
        }
    }
    let mut want = Vec::new();
    for line in &s.callback_replies {
        match line.split_once("* ") {
            Some((times, prefix)) if times.parse::<usize>().is_ok() => {
                let times = times.parse::<usize>().unwrap_or(0);
                want.extend(std::iter::repeat_n(prefix.to_string(), times));
            }
            _ => want.push(line.clone()),
        }
    }
    let mut fails = Vec::new();
    if want.len() != got.len() {
        fails.push(format!(
            "{} request(s) sent, {} reply expectation(s)",
            got.len(),
            want.len()
        ));
    }
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        if !g.starts_with(w.as_str()) {
            fails.push(format!("request {}: expected \"{w}…\", got \"{g}\"", i + 1));
        }
    }
    // Whom the reflector called: only the addresses the requests came from.
    let sources: Vec<String> = s
        .callbacks
        .iter()
        .filter_map(|r| r.from.parse::<IpAddr>().ok())
        .map(|ip| ip.to_string())
        .collect();
    let logged = calls_logged(net);
    let new = logged.get(before..).unwrap_or_default();
    for l in new {
        let called = l
            .split_whitespace()
            .find_map(|w| w.strip_prefix("to="))
            .unwrap_or("?");
        if !sources.iter().any(|s| s == called) {
            fails.push(format!("the reflector called {called}: {l}"));
        }
    }
    let signed = got.iter().filter(|g| g.starts_with("called ")).count();
    if new.len() != signed {
        fails.push(format!(
            "the reflector logged {} call-back(s), {signed} signed answer(s) came",
            new.len()
        ));
    }
    let summary = format!(
        "{} {:>2} {:<60} {:>5} ms  {}",
        if fails.is_empty() { "PASS" } else { "FAIL" },
        s.id,
        s.name,
        started.elapsed().as_millis(),
        got.join(" | ")
    );
    Ok((summary, fails))
}
