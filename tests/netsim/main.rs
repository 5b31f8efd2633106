//! The netsim bench: mailport against a simulated internet built from network
//! namespaces, with real Postfix servers, an ISP router running nftables, and
//! the ISP behaviours of `scenarios.toml`.
//!
//! Needs root and `ip netns`; skipped with a message otherwise, except in CI
//! (`CI=true`) where it must run. The agent binary must be built first
//! (`cargo build -p mailport`; scripts/test.sh does it).
//!
//! Run: `cargo test -p mailport-e2e --test netsim -- --nocapture`.
//! The benchmark against nmap and nc alone, with a release build as
//! BENCHMARKS.md publishes it:
//! `cargo build --release -p mailport && MAILPORT_BIN=$PWD/target/release/mailport cargo test -p mailport-e2e --test netsim bench_vs_nmap -- --nocapture`.

mod bench;
mod certs;
mod defaults;
mod inbound;
mod judge;
mod line;
mod postfix;
mod scenario;
mod topo;

use std::path::PathBuf;
use std::sync::Mutex;

/// One topology at a time: the namespaces have fixed names.
static BENCH: Mutex<()> = Mutex::new(());

/// The one skip rule of every suite (`tests/ci.rs`).
#[path = "../ci.rs"]
mod ci;
use ci::required;

/// Returns false (after saying why) when the bench cannot run here.
fn can_run_or_skip() -> bool {
    match topo::can_run() {
        Ok(()) => {
            teardown_on_signal();
            true
        }
        Err(why) if required() => panic!("netsim bench must run in CI but cannot: {why}"),
        Err(why) => {
            ci::skip_or_fail(
                "netsim bench",
                &format!("{why} (run as root with iproute2, nftables, postfix, nmap, netcat-openbsd, openssl and curl)"),
            );
            false
        }
    }
}

/// Installs, once, a SIGINT/SIGTERM handler that tears the simulated
/// internet down (kills every process in our namespaces, deletes them and
/// the scratch directory) and exits non-zero. `Drop` covers panics and
/// failures, but not a test run killed from outside, which would otherwise
/// leave the namespaces with their Postfix servers, helpers and reflector.
fn teardown_on_signal() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (installed, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(runtime) = runtime else {
                let _ = installed.send(false);
                return;
            };
            runtime.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    let _ = installed.send(false);
                    return;
                };
                let _ = installed.send(true);
                let (name, code) = tokio::select! {
                    _ = int.recv() => ("SIGINT", 130),
                    _ = term.recv() => ("SIGTERM", 143),
                };
                eprintln!("netsim: {name}: removing the simulated internet");
                topo::remove_namespaces();
                let _ = std::fs::remove_dir_all(topo::scratch_dir());
                std::process::exit(code);
            });
        });
        // A signal right after this returns must find the handler in place.
        assert!(
            wait.recv().unwrap_or(false),
            "cannot install the SIGINT/SIGTERM handler"
        );
    });
}

/// The netsim-helper binary of this package.
fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netsim-helper"))
}

/// The `mailport` binary: `$MAILPORT_BIN`, or `mailport` next to the
/// directory of this test executable (target/<profile>/deps/..).
fn mailport() -> PathBuf {
    if let Some(p) = std::env::var_os("MAILPORT_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let found = exe
        .ancestors()
        .skip(1)
        .map(|d| d.join("mailport"))
        .find(|p| p.is_file());
    match found {
        Some(p) => p,
        None => panic!(
            "the mailport binary was not found next to {}: run `cargo build -p mailport` first (or set MAILPORT_BIN)",
            exe.display()
        ),
    }
}

#[test]
fn scenarios() {
    let _one = BENCH.lock().unwrap_or_else(|e| e.into_inner());
    if !can_run_or_skip() {
        return;
    }
    let mailport = mailport();
    let all = scenario::load().expect("scenarios.toml");
    // MPSIM_ONLY=2,20,21 runs only those scenarios (while iterating).
    let only: Option<Vec<u32>> = std::env::var("MPSIM_ONLY").ok().map(|v| {
        v.split(',')
            .map(|id| id.trim().parse().expect("MPSIM_ONLY: comma-separated ids"))
            .collect()
    });
    let list: Vec<_> = all
        .iter()
        .filter(|s| only.as_ref().is_none_or(|ids| ids.contains(&s.id)))
        .collect();
    let started = std::time::Instant::now();
    let net = topo::Net::build(&helper(), Some(&mailport)).expect("build the simulated internet");
    let built = started.elapsed();
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for s in &list {
        // Raw call-back requests instead of a check: the reflector's rules.
        let runs = if s.callbacks.is_empty() {
            scenario::run(&net, &mailport, s).map(|runs| {
                runs.into_iter()
                    .map(|r| (r.summary_line(s), r.failures))
                    .collect::<Vec<_>>()
            })
        } else {
            inbound::run_requests(&net, s).map(|one| vec![one])
        };
        match runs {
            Ok(runs) => {
                let n = runs.len();
                for (i, (line, run_failures)) in runs.into_iter().enumerate() {
                    summary.push(line);
                    let run = if n > 1 {
                        format!(", run {} of {n}", i + 1)
                    } else {
                        String::new()
                    };
                    for f in run_failures {
                        failures.push(format!("scenario {} ({}{run}): {f}", s.id, s.name));
                    }
                }
            }
            Err(e) => failures.push(format!("scenario {} ({}): {e:#}", s.id, s.name)),
        }
    }
    drop(net);
    println!("\n{}", summary.join("\n"));
    println!(
        "{} scenario(s) in {:.1} s (building the simulated internet: {:.1} s)",
        list.len(),
        started.elapsed().as_secs_f64(),
        built.as_secs_f64()
    );
    assert!(
        topo::leftover_namespaces().is_empty(),
        "namespaces left behind"
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    let runs: u32 = list.iter().map(|s| s.runs.max(1)).sum();
    assert_eq!(summary.len(), runs as usize);
}

/// The panic that checks the teardown.
const DELIBERATE: &str = "deliberate, to check the teardown";

#[test]
fn topology_works_and_is_torn_down_after_a_panic() {
    let _one = BENCH.lock().unwrap_or_else(|e| e.into_inner());
    if !can_run_or_skip() {
        return;
    }
    let helper = helper();
    let r = std::panic::catch_unwind(move || {
        let net = topo::Net::build(&helper, None).expect("build");
        // The bench itself works: the client reaches every server over both
        // families, and a router rule takes effect.
        for h in [&topo::MX1, &topo::MX2, &topo::RELAY] {
            for addr in [h.v4, h.v6] {
                topo::ns_run(topo::CLIENT, &["nc", "-z", "-w", "2", addr, "25"])
                    .unwrap_or_else(|e| panic!("client cannot reach {addr}:25: {e}"));
            }
        }
        // The stand-ins of the real default targets behave like them.
        let fails = defaults::verify(&net);
        assert!(fails.is_empty(), "{}", fails.join("\n"));
        // The router's delay holds every packet each way: a connection
        // takes at least the round trip.
        {
            let _delay = net.delay(200, 0).expect("delay");
            let started = std::time::Instant::now();
            topo::ns_run(topo::CLIENT, &["nc", "-z", "-w", "3", topo::MX1.v6, "25"])
                .expect("connect through the delayed line");
            let rtt = started.elapsed();
            assert!(
                rtt >= std::time::Duration::from_millis(400),
                "a connection through a 200 ms line took {rtt:?}"
            );
        }
        net.set_rules(&["tcp dport 25 reject with tcp reset".into()], &[], &[])
            .expect("rules");
        assert!(topo::ns_run(topo::CLIENT, &["nc", "-z", "-w", "2", topo::MX1.v4, "25"]).is_err());
        std::panic::panic_any(DELIBERATE);
    });
    assert_eq!(topo::leftover_namespaces(), Vec::<String>::new());
    // Only the deliberate panic counts: a failure before it is a failure.
    match r {
        Err(payload) => match payload.downcast::<&str>() {
            Ok(p) => assert_eq!(*p, DELIBERATE),
            Err(payload) => std::panic::resume_unwind(payload),
        },
        Ok(()) => unreachable!("the closure always panics"),
    }
}

/// The benchmark of BENCHMARKS.md, run with the suite for its truths (no
/// timing is asserted): mailport reads every port of every ISP behaviour
/// right, and nmap and nc call the intercepted port 25 open, which is why
/// the comparison exists. For the published figures, measure a release
/// build (see BENCHMARKS.md).
#[test]
fn bench_vs_nmap() {
    let _one = BENCH.lock().unwrap_or_else(|e| e.into_inner());
    if !can_run_or_skip() {
        return;
    }
    let mailport = mailport();
    let net = topo::Net::build(&helper(), Some(&mailport)).expect("build the simulated internet");
    let measured = bench::run(&net, &mailport).expect("benchmark");
    drop(net);
    println!("\n{}", measured.table);
    // The goals, shown (never asserted: a debug build on a shared
    // CI machine is not where speed is measured).
    for (id, goal_ms) in [(21, 1000), (22, 1500), (20, 1000)] {
        if let Some((_, mp, nmap)) = measured.times.iter().find(|(i, _, _)| *i == id) {
            println!(
                "scenario {id}: mailport {mp} ms (goal ≤ {goal_ms} ms), nmap {nmap} ms, mailport/nmap {:.2}×",
                *mp as f64 / (*nmap).max(1) as f64
            );
        }
    }
    for (id, right, total) in &measured.mailport_right {
        assert_eq!(
            right, total,
            "mailport misread a port in scenario {id}:\n{}",
            measured.table
        );
    }
    let (_, intercepted25) = measured
        .others25
        .iter()
        .find(|(id, _)| *id == 8)
        .expect("scenario 8 measured");
    assert!(
        !intercepted25.is_empty() && intercepted25.iter().all(|s| *s == "open"),
        "nmap and nc should see the intercepted port 25 as open: {intercepted25:?}"
    );
}
