//! Scenarios as data (`scenarios.toml`): router rules plus what mailport must
//! conclude. Running one swaps the router's ruleset, runs the real
//! `mailport check --json` inside the client namespace and compares.

use crate::topo::{self, Net, CLIENT, DNS};
use anyhow::{bail, Context, Result};
use mailport_shared::report::Port25;
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
    /// The top outbound advice; every scenario that runs a check names it.
    #[serde(default)]
    pub advice: String,
    #[serde(default)]
    pub proof: Vec<String>,
    #[serde(default)]
    pub seen: Vec<String>,
    #[serde(default = "yes")]
    pub netinfo: bool,
    #[serde(default)]
    pub network: Vec<String>,
    /// `HOST KIND`: the control probe (port 443) of HOST has outcome KIND
    /// (`accepted`, `refused`, `timed_out`...) on both families.
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub flood: Option<Flood>,
    /// Run the check as almost everyone will: no target options, default
    /// timeouts, no reflector; only the test plumbing (the client's DNS,
    /// the test CA, the network-facts servers, `--allow-private` for the
    /// documentation addresses). The real default names resolve to their
    /// stand-ins (defaults.rs).
    #[serde(default)]
    pub default_targets: bool,
    /// Run the check with `--host` for each of these and nothing else
    /// (default timeouts, no reflector).
    #[serde(default)]
    pub host: Vec<String>,
    /// Ports the client's own machine refuses to connect to (a local
    /// firewall: connect() fails with EACCES).
    #[serde(default)]
    pub client_prohibit: Vec<u16>,
    /// The line to the ISP loses this share of packets at random (both
    /// directions).
    #[serde(default)]
    pub loss_percent: u8,
    /// The line holds every packet this long each way (a satellite link)...
    #[serde(default)]
    pub latency_ms: u32,
    /// ...give or take this much.
    #[serde(default)]
    pub jitter_ms: u32,
    /// How many times the check runs; every run must meet the expectations.
    #[serde(default = "one")]
    pub runs: u32,
    /// Router rules in the forward chain for traffic from the internet
    /// toward the client (an inbound block).
    #[serde(default)]
    pub filter_in: Vec<String>,
    /// Router rules in the prerouting NAT chain for traffic from the
    /// internet (a port forward: `dnat`).
    #[serde(default)]
    pub nat_in: Vec<String>,
    /// Run the check with `--inbound` (the reflector calls back).
    #[serde(default)]
    pub inbound: bool,
    /// A real Postfix, the user's own MTA, listens on port 25 of the
    /// client's addresses while the check runs.
    #[serde(default)]
    pub client_mta: bool,
    /// A real Postfix on another machine behind the same router (the
    /// neighbour addresses 192.0.2.11 / 2001:db8:c::11), port 25.
    #[serde(default)]
    pub neighbour_mta: bool,
    /// The client's IPv4 traffic leaves from 100.64.0.10 (carrier-grade NAT
    /// range); the router's `snat` rules translate it.
    #[serde(default)]
    pub cgnat: bool,
    /// The client's resolver (`--dns`) knows only an internal name and says
    /// "no such name" to every other, the well-known targets included.
    #[serde(default)]
    pub dns_denies: bool,
    /// Raw call-back requests sent from the client namespace instead of a
    /// check (see crate::inbound).
    #[serde(default)]
    pub callbacks: Vec<crate::inbound::RawRequest>,
    /// `FAMILY KIND`: the inbound verdict (the `kind` tag of
    /// shared::inbound::InboundVerdict) on that family.
    #[serde(default)]
    pub inbound_verdicts: Vec<String>,
    /// The witness kind (`nonce`, `local_mta`, `no_listener`) on every
    /// family tested.
    #[serde(default)]
    pub inbound_witness: Option<String>,
    /// The top inbound advice id (shared::inbound::InboundAdvice, snake_case).
    #[serde(default)]
    pub inbound_advice: Option<String>,
    /// `[N*]PREFIX`: what each raw call-back request got, in order (N
    /// requests in a row), as `called ADDRESS PORT=RESULT...`,
    /// `refused WORDS` or `error CODE WORDS`.
    #[serde(default)]
    pub callback_replies: Vec<String>,
}

fn one() -> u32 {
    1
}

/// An abusive client holding connections to the reflector's IPv4 port 25
/// while the check runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flood {
    /// Its source address, in the client namespace.
    pub from: String,
    /// How many connections it holds.
    pub connections: u32,
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

/// Which hosts a check probes.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// The bench's own hosts (mx1, mx2, the ISP relay, the reflector) with
    /// short timeouts.
    Bench,
    /// No target options at all: the real default names, default timeouts.
    Defaults,
    /// `--host` for each, default timeouts.
    Hosts(&'a [String]),
}

/// How a check is run.
#[derive(Clone, Copy, Debug)]
pub struct Setup<'a> {
    /// Which hosts.
    pub targets: Targets<'a>,
    /// Learn the network facts (from the simulated internet's public-address
    /// server and the client's DNS), or `--no-netinfo`.
    pub netinfo: bool,
    /// `--domain`.
    pub domain: Option<&'a str>,
    /// `--inbound` (with the bench's reflector only).
    pub inbound: bool,
    /// The resolver given with `--dns`.
    pub dns: &'static str,
}

impl Setup<'_> {
    /// A full check of the bench's hosts.
    pub const FULL: Setup<'static> = Setup {
        targets: Targets::Bench,
        netinfo: true,
        domain: None,
        inbound: false,
        dns: topo::DNS,
    };
}

/// The `mailport check` arguments.
pub fn check_args(net: &Net, setup: Setup) -> Vec<String> {
    // Test plumbing only: where names resolve, the test CA, and permission
    // to probe the documentation addresses the simulated hosts have.
    let mut a: Vec<String> = ["check", "--json", "--allow-private", "--dns", setup.dns]
        .map(String::from)
        .to_vec();
    a.push("--ca-file".into());
    a.push(net.ca_file().display().to_string());
    match setup.targets {
        Targets::Defaults => {}
        Targets::Hosts(hosts) => {
            for h in hosts {
                a.push("--host".into());
                a.push(h.clone());
            }
        }
        Targets::Bench => {
            a.extend(
                [
                    "--mx",
                    "mx1.example.net",
                    "--mx",
                    "mx2.example.org",
                    "--submission",
                    "smtp.example.net",
                    "--submission",
                    "relay.isp.example",
                ]
                .map(String::from),
            );
            a.push("--connect-timeout".into());
            a.push(CONNECT_TIMEOUT_MS.to_string());
            a.push("--greeting-timeout".into());
            a.push(GREETING_TIMEOUT_MS.to_string());
            if let Some(key) = &net.reflector_key {
                a.push("--reflector".into());
                a.push(topo::REFLECTOR.names[0].into());
                a.push("--reflector-key".into());
                a.push(key.clone());
                if setup.inbound {
                    a.push("--inbound".into());
                }
            }
        }
    }
    if setup.netinfo {
        // Every network-facts server is inside the simulated internet: the
        // public address from its myip server, the provider, blocklist and
        // reverse DNS from the client's DNS (zones under .example, which
        // answer "not listed" and "unknown provider"). `--dns` does not
        // carry over to these lookups (blocklists go through the system's
        // resolver unless told otherwise), so name the client's DNS again.
        for server in [
            format!("opendns:{}:53", topo::MYIP.v4),
            format!("opendns:[{}]:53", topo::MYIP.v6),
        ] {
            a.push("--myip-server".into());
            a.push(server);
        }
        a.extend(
            [
                "--netinfo-dns",
                DNS,
                "--cymru-zone",
                "asn.isp.example",
                "--dnsbl-zone",
                "dnsbl.example",
            ]
            .map(String::from),
        );
    } else {
        a.push("--no-netinfo".into());
    }
    if let Some(domain) = setup.domain {
        a.push("--domain".into());
        a.push(domain.into());
    }
    a
}

/// Runs `mailport check --json` in the client namespace.
pub fn check(net: &Net, mailport: &Path, setup: Setup) -> Result<(Report, Value, Duration)> {
    let args = check_args(net, setup);
    let started = Instant::now();
    let out = run_in_client(mailport, &args).context("run mailport")?;
    let elapsed = started.elapsed();
    // Exit codes: 0 port 25 open, 1 blocked/intercepted, 2 usage or setup
    // error, 3 could not be judged.
    if !matches!(out.status.code(), Some(0 | 1 | 3)) {
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
    let code_should_be = match report.port25() {
        Port25::Open => 0,
        Port25::Blocked => 1,
        Port25::Unjudged => 3,
    };
    if out.status.code() != Some(code_should_be) {
        bail!(
            "exit code {:?} but port 25 is {:?}",
            out.status.code(),
            report.port25()
        );
    }
    // MPSIM_TEXT=1 runs the same check again without `--json` and prints
    // what a user reads in the terminal (to read it by hand, not judged).
    if std::env::var_os("MPSIM_TEXT").is_some() {
        let args: Vec<String> = args.into_iter().filter(|a| a != "--json").collect();
        let text = run_in_client(mailport, &args).context("run mailport without --json")?;
        println!(
            "\n$ mailport {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&text.stdout)
        );
    }
    Ok((report, json, elapsed))
}

/// Runs `mailport args` in the client namespace and waits for its output.
fn run_in_client(mailport: &Path, args: &[String]) -> std::io::Result<std::process::Output> {
    std::process::Command::new("ip")
        .env("PATH", topo::path_env())
        .args(["netns", "exec", CLIENT])
        .arg(mailport)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
}

/// Applies the scenario's network and runs the check `s.runs` times.
pub fn run(net: &Net, mailport: &Path, s: &Scenario) -> Result<Vec<RunResult>> {
    let delay = (s.latency_ms > 0)
        .then(|| net.delay(s.latency_ms, s.jitter_ms))
        .transpose()?;
    let line = crate::line::Line {
        loss_percent: s.loss_percent,
    };
    let rules = topo::Rules {
        filter: &s.filter,
        nat: &s.nat,
        snat: &s.snat,
        filter_in: &s.filter_in,
        nat_in: &s.nat_in,
    };
    net.set_router(&rules, line)?;
    net.set_client_ipv6_route(s.ipv6_route)?;
    net.set_client_prohibit(&s.client_prohibit)?;
    net.set_client_cgnat(s.cgnat)?;
    let targets = match (s.default_targets, s.host.as_slice()) {
        (true, _) => Targets::Defaults,
        (false, []) => Targets::Bench,
        (false, hosts) => Targets::Hosts(hosts),
    };
    let setup = Setup {
        targets,
        netinfo: s.netinfo,
        domain: s.domain.as_deref(),
        inbound: s.inbound,
        dns: if s.dns_denies {
            topo::DENYING_DNS
        } else {
            topo::DNS
        },
    };
    let result = (|| {
        let _mtas = crate::inbound::Mtas::start(net, s)?;
        let target = format!("{}:25", topo::REFLECTOR.v4);
        let _flood = s
            .flood
            .as_ref()
            .map(|f| net.flood(&target, f.connections, &f.from))
            .transpose()?;
        (0..s.runs.max(1))
            .map(|_| check(net, mailport, setup))
            .collect::<Result<Vec<_>>>()
    })();
    // Restore the neutral network whatever happened.
    net.set_rules(&[], &[], &[])?;
    net.set_client_ipv6_route(true)?;
    net.set_client_prohibit(&[])?;
    net.set_client_cgnat(false)?;
    drop(delay);
    let mut results = Vec::new();
    for (i, (report, json, elapsed)) in result?.into_iter().enumerate() {
        // MPSIM_DUMP=DIR keeps every report, to read the evidence in full.
        if let Some(dir) = std::env::var_os("MPSIM_DUMP") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir)?;
            let run = if s.runs > 1 {
                format!("-run{}", i + 1)
            } else {
                String::new()
            };
            std::fs::write(
                dir.join(format!("scenario-{:02}{run}.json", s.id)),
                serde_json::to_string_pretty(&json)?,
            )?;
        }
        let mut failures = crate::judge::judge(s, &json, &report);
        failures.extend(crate::inbound::judge(s, &report));
        results.push(RunResult {
            report,
            json,
            elapsed,
            failures,
        });
    }
    Ok(results)
}

impl RunResult {
    /// One line for the run summary.
    pub fn summary_line(&self, s: &Scenario) -> String {
        let verdicts: Vec<String> = self.json["verdicts"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .map(|v| {
                        format!(
                            "{}/{}={}",
                            v["port"],
                            if v["family"] == "ipv4" { "4" } else { "6" },
                            crate::judge::verdict_kind(v)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let inbound = crate::inbound::summary(&self.report);
        format!(
            "{} {:>2} {:<60} {:>5} ms  {}  advice={}{inbound}  ({})",
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
