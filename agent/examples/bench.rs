//! Benchmark of one full check: 5 ports × 4 targets × 2 families against
//! loopback fakes, half of the probes answered by servers that accept and
//! stay silent (so they last a whole greeting timeout).
//!
//! `cargo run --release -p mailport --example bench`
//!
//! Prints the wall time as a multiple of the greeting timeout (goal ≤ 1.1:
//! probes run concurrently) and the agent's peak RSS (VmHWM). The fakes run
//! in a child process (this binary with `--serve-fakes`), so the RSS figure
//! is the agent's alone.
//!
//! Then the same number of probes through the release `mailport` binary
//! (`cargo build --release -p mailport` first), under `/usr/bin/time -v`
//! for its maximum RSS: what a user's process costs, runtime, TLS roots and
//! all. The binary connects to real addresses, so its fakes listen on eight
//! loopback addresses (IPv4 only: `::1` cannot stand for four IPv6 hosts)
//! on five free ports, half of them silent.

#[path = "../tests/fakes/mod.rs"]
mod fakes;

use fakes::dns::Zone;
use fakes::{Behaviour, MapDialer, TestCert};
use mailport::runner;
use mailport_shared::options::Families;
use mailport_shared::{CheckOptions, Outcome, Role, Target, MAIL_PORTS};
use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TARGETS: usize = 4;
const GREETING_MS: u32 = 1000;
const ROUNDS: usize = 5;
/// Targets of the binary's run: 8 × 5 ports = the library run's 40 probes.
const BIN_TARGETS: usize = 8;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if std::env::args().any(|a| a == "--serve-fakes") {
        return rt.block_on(serve_fakes());
    }
    rt.block_on(bench())
}

/// Child: starts the fakes and the DNS zone, prints where they are, and
/// lives until its stdin closes.
async fn serve_fakes() -> anyhow::Result<()> {
    let v6 = fakes::ipv6_loopback().await;
    let cert = TestCert::new();
    let mut zone = Zone::new();
    for i in 0..TARGETS {
        let name = format!("t{i}.bench.test");
        zone.addr(&name, &format!("127.0.0.{}", i + 2));
        if v6 {
            // A logical address only: the dialer sends it to a fake on ::1.
            zone.addr(&name, &format!("2001:db8::{}", i + 2));
        }
    }
    for i in 0..BIN_TARGETS {
        zone.addr(&bin_target(i), &bin_address(i));
    }
    let dns = fakes::dns::serve(zone).await;
    let mut out = std::io::stdout().lock();
    writeln!(out, "dns {dns}")?;
    writeln!(
        out,
        "cert {}",
        mailport_shared::hex::encode(cert.der.as_ref())
    )?;
    let binds: &[(&str, &str)] = if v6 {
        &[("v4", "127.0.0.1:0"), ("v6", "[::1]:0")]
    } else {
        &[("v4", "127.0.0.1:0")]
    };
    for (fam, bind) in binds {
        let silent = fakes::start_on(bind, Behaviour::Silent).await?;
        let smtp =
            fakes::start_on(bind, Behaviour::smtp_tls("fake.bench.test ESMTP", &cert)).await?;
        let tls = fakes::start_on(
            bind,
            Behaviour::ImplicitTls {
                greeting: "fake.bench.test ESMTP".into(),
                acceptor: cert.acceptor(),
            },
        )
        .await?;
        writeln!(out, "{fam} silent {}", silent.addr)?;
        writeln!(out, "{fam} smtp {}", smtp.addr)?;
        writeln!(out, "{fam} tls {}", tls.addr)?;
    }
    // The binary's fakes: real listeners on every (address, port).
    // Five distinct free ports (each held until all are chosen).
    let held = (0..MAIL_PORTS.len())
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    let ports = held
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<Vec<u16>>>()?;
    drop(held);
    for i in 0..BIN_TARGETS {
        for (j, port) in ports.iter().enumerate() {
            let bind = format!("{}:{port}", bin_address(i));
            let behaviour = if (i + j) % 2 == 0 {
                Behaviour::Silent
            } else {
                Behaviour::smtp_tls("fake.bench.test ESMTP", &cert)
            };
            fakes::start_on(&bind, behaviour).await?;
        }
    }
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    writeln!(out, "binports {}", list.join(","))?;
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    Ok(())
}

fn bin_target(i: usize) -> String {
    format!("b{i}.bench.test")
}

fn bin_address(i: usize) -> String {
    format!("127.0.1.{}", i + 2)
}

fn vm_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn bench() -> anyhow::Result<()> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve-fakes")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut dns: Option<SocketAddr> = None;
    let mut cert = Vec::new();
    let mut fakes: Vec<(String, String, SocketAddr)> = Vec::new();
    let mut bin_ports = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["dns", a] => dns = Some(a.parse()?),
            ["cert", h] => cert = mailport_shared::hex::decode(h).unwrap_or_default(),
            ["binports", p] => bin_ports = p.to_string(),
            [fam, kind, a] => fakes.push((fam.to_string(), kind.to_string(), a.parse()?)),
            ["ready"] => break,
            _ => anyhow::bail!("unexpected line from the fakes: {line}"),
        }
    }
    let dns = dns.ok_or_else(|| anyhow::anyhow!("no DNS address"))?;
    let v6 = fakes.iter().any(|(f, _, _)| f == "v6");
    let fake = |fam: &str, kind: &str| {
        fakes
            .iter()
            .find(|(f, k, _)| f == fam && k == kind)
            .map(|(_, _, a)| *a)
    };

    // Half the (target, port) pairs are silent, the others answer (STARTTLS,
    // or implicit TLS on 465).
    let dialer = MapDialer::new();
    let mut silent_pairs = 0;
    for i in 0..TARGETS {
        for (j, &port) in MAIL_PORTS.iter().enumerate() {
            let silent = (i + j) % 2 == 0;
            silent_pairs += usize::from(silent);
            let kind = if silent {
                "silent"
            } else if port == 465 {
                "tls"
            } else {
                "smtp"
            };
            if let Some(to) = fake("v4", kind) {
                dialer.map(&format!("127.0.0.{}", i + 2), port, to);
            }
            if let Some(to) = fake("v6", kind) {
                dialer.map(&format!("2001:db8::{}", i + 2), port, to);
            }
        }
    }
    let env = fakes::env_builder(&dialer, None)
        .nameservers(vec![dns])
        .extra_roots(vec![rustls::pki_types::CertificateDer::from(cert)])
        .build()?;
    let options = CheckOptions {
        targets: (0..TARGETS)
            .map(|i| Target::new(format!("t{i}.bench.test"), Role::Custom))
            .collect(),
        ports: MAIL_PORTS.to_vec(),
        families: Families {
            ipv4: true,
            ipv6: v6,
        },
        connect_timeout_ms: 1000,
        greeting_timeout_ms: GREETING_MS,
        ..CheckOptions::default()
    };
    if !v6 {
        println!("note: ::1 is not configured here; IPv6 probes are skipped");
    }
    let rss_before = vm_kib("VmRSS:");
    let mut walls = Vec::new();
    for round in 0..ROUNDS {
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let t = Instant::now();
        let report = runner::run(options.clone(), &env, tx).await?;
        let wall = t.elapsed();
        drain.await?;
        let (silent, banners) = silent_and_greeted(&report)?;
        if round == 0 {
            println!(
                "probes: {} ({} silent, {} SMTP greetings; {} of {} target×port pairs silent per family)",
                report.probes.len(),
                silent,
                banners,
                silent_pairs,
                TARGETS * MAIL_PORTS.len()
            );
        }
        walls.push(wall);
    }
    walls.sort();
    let greeting = Duration::from_millis(u64::from(GREETING_MS));
    let median = walls[walls.len() / 2];
    let worst = walls[walls.len() - 1];
    println!(
        "wall time, median of {ROUNDS}: {:.0} ms = {:.3} × greeting timeout ({} ms); worst {:.3}×  (goal ≤ 1.1×)",
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() / greeting.as_secs_f64(),
        GREETING_MS,
        worst.as_secs_f64() / greeting.as_secs_f64()
    );
    println!(
        "agent peak RSS (VmHWM): {:.1} MiB (RSS before the first check {:.1} MiB)",
        vm_kib("VmHWM:") as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    bench_binary(dns, &bin_ports);
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}

/// The release binary on the same number of probes, under `/usr/bin/time
/// -v`: its wall time and maximum RSS, or why they could not be measured.
fn bench_binary(dns: SocketAddr, ports: &str) {
    match run_binary(dns, ports) {
        Ok(line) => println!("{line}"),
        Err(why) => println!("mailport binary: not measured: {why}"),
    }
}

fn run_binary(dns: SocketAddr, ports: &str) -> anyhow::Result<String> {
    let exe = std::env::current_exe()?;
    // target/release/examples/bench → target/release/mailport; a debug
    // build of this example measures the debug binary, and says so.
    let dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or_else(|| anyhow::anyhow!("no build directory above {}", exe.display()))?;
    let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let bin = Some(dir.join("mailport"))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            anyhow::anyhow!("no mailport next to this example (cargo build --release -p mailport)")
        })?;
    let time = std::path::Path::new("/usr/bin/time");
    anyhow::ensure!(
        time.exists(),
        "/usr/bin/time is missing (apt-get install time)"
    );
    let dns = dns.to_string();
    let greeting = GREETING_MS.to_string();
    let mut args: Vec<String> = [
        "check",
        "--no-netinfo",
        "--allow-private",
        "-4",
        "--json",
        "--ports",
        ports,
        "--dns",
        &dns,
        "--connect-timeout",
        "1000",
        "--greeting-timeout",
        &greeting,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..BIN_TARGETS {
        args.extend(["--host".to_string(), bin_target(i)]);
    }
    let started = Instant::now();
    let out = Command::new(time)
        .arg("-v")
        .arg(&bin)
        .args(&args)
        .stdin(Stdio::null())
        .output()?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let max_kib: u64 = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no maximum RSS from /usr/bin/time: {stderr}"))?;
    let report: mailport_shared::Report = serde_json::from_slice(&out.stdout)
        .map_err(|e| anyhow::anyhow!("no JSON report ({e}): {stderr}"))?;
    let (silent, banners) = silent_and_greeted(&report)?;
    Ok(format!(
        "mailport binary ({profile}), {} probes ({silent} silent, {banners} SMTP greetings) over IPv4: wall {:.0} ms = {:.3} × greeting timeout; max RSS {:.1} MiB",
        report.probes.len(),
        wall.as_secs_f64() * 1000.0,
        wall.as_secs_f64() / f64::from(GREETING_MS) * 1000.0,
        max_kib as f64 / 1024.0
    ))
}

/// How many probes of `report` met a silent fake, and how many a greeting;
/// an error if any met something else (the figures would not be the
/// benchmark's).
fn silent_and_greeted(report: &mailport_shared::Report) -> anyhow::Result<(usize, usize)> {
    let count = |f: fn(&Outcome) -> bool| report.probes.iter().filter(|p| f(&p.outcome)).count();
    let silent = count(|o| *o == Outcome::Silent);
    let banners = count(|o| matches!(o, Outcome::Banner(_)));
    anyhow::ensure!(
        silent + banners == report.probes.len(),
        "unexpected outcomes: {:#?}",
        report.probes
    );
    Ok((silent, banners))
}
