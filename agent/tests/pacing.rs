//! The default targets as they behave, and a check timed by the round trip:
//! a port tester probed with HTTP, control probes, adaptive connect
//! timeouts, a lost SYN, this computer's firewall. Loopback fakes only.
//!
//! Modules: `fakes` (fake servers, the mapping dialer).

mod fakes;

use fakes::{Behaviour, MapDialer};
use mailport::runner;
use mailport::Env;
use mailport_shared::classify::Verdict;
use mailport_shared::control::ControlOutcome;
use mailport_shared::interception::EvidenceKind;
use mailport_shared::options::Families;
use mailport_shared::outcome::{EhloOutcome, TesterReply};
use mailport_shared::{CheckOptions, Family, Outcome, Report, Role, Target};
use std::time::{Duration, Instant};

/// Runs a check over IPv4 with the default timeouts (4 s connect, 8 s
/// greeting): what is measured here is how little of them is used.
async fn check(env: &Env, targets: Vec<Target>, ports: &[u16]) -> (Report, Duration) {
    let options = CheckOptions {
        targets,
        ports: ports.to_vec(),
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        ..CheckOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(30), runner::run(options, env, tx))
        .await
        .expect("a check must never hang")
        .expect("valid options");
    let took = started.elapsed();
    drain.await.expect("drain");
    (report, took)
}

fn outcome<'a>(r: &'a Report, host: &str, port: u16) -> &'a Outcome {
    &r.probes
        .iter()
        .find(|p| p.spec.host == host && p.spec.port == port)
        .unwrap_or_else(|| panic!("no probe of {host}:{port} in {:#?}", r.probes))
        .outcome
}

fn verdict(r: &Report, port: u16) -> &Verdict {
    &r.verdicts
        .iter()
        .find(|v| v.port == port && v.family == Family::Ipv4)
        .unwrap_or_else(|| panic!("no verdict for {port}"))
        .verdict
}

fn env(d: &MapDialer) -> Env {
    fakes::env_builder(d, None)
        .control_port(Some(443))
        .build()
        .expect("env")
}

#[tokio::test]
async fn a_port_tester_is_asked_for_a_page_not_waited_for() {
    let tester = fakes::start(Behaviour::PortTester).await;
    let d = MapDialer::new();
    for port in [25, 26, 465] {
        d.map("127.0.0.5", port, tester.addr);
    }
    let env = env(&d);
    let (r, took) = check(
        &env,
        vec![Target::new("127.0.0.5", Role::PortEcho)],
        &[25, 26, 465],
    )
    .await;
    for port in [25, 26, 465] {
        assert_eq!(
            outcome(&r, "127.0.0.5", port),
            &Outcome::PortTester {
                reply: TesterReply::Http {
                    status_line: "HTTP/1.1 200 OK".into()
                }
            },
            "port {port}"
        );
        assert_eq!(verdict(&r, port), &Verdict::Open, "port {port}");
    }
    // The quiet moment and one round trip, never the 8 s greeting timeout.
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test]
async fn an_smtp_greeting_from_a_port_tester_is_interception() {
    let proxy = fakes::start(Behaviour::smtp("proxy.isp.example ESMTP")).await;
    let tester = fakes::start(Behaviour::PortTester).await;
    let d = MapDialer::new();
    d.map("127.0.0.5", 25, proxy.addr)
        .map("127.0.0.5", 26, tester.addr);
    let env = env(&d);
    let (r, _) = check(
        &env,
        vec![Target::new("127.0.0.5", Role::PortEcho)],
        &[25, 26],
    )
    .await;
    assert!(
        matches!(outcome(&r, "127.0.0.5", 25), Outcome::Banner(_)),
        "{:?}",
        outcome(&r, "127.0.0.5", 25)
    );
    assert_eq!(verdict(&r, 25), &Verdict::InterceptedSuspected);
    assert_eq!(verdict(&r, 26), &Verdict::Open);
}

/// Port 25 dropped towards two MX hosts that answer their control probe
/// with a RST: judged from the round trip, far before the 4 s timeout.
#[tokio::test]
async fn dropped_port_25_is_judged_from_the_round_trip() {
    let closed = fakes::closed_port().await;
    let d = MapDialer::new();
    for ip in ["127.0.0.2", "127.0.0.3"] {
        d.blackhole(ip, 25).map(ip, 443, closed);
    }
    let env = env(&d);
    let mx = |h: &str| Target::new(h, Role::RecipientMx);
    let (r, took) = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    assert_eq!(verdict(&r, 25), &Verdict::BlockedSilently);
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Filtered);
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert!(
        took >= Duration::from_millis(600),
        "judged after 2·rto: {took:?}"
    );
    assert_eq!(r.controls.len(), 2, "{:?}", r.controls);
    assert!(r
        .controls
        .iter()
        .all(|c| c.outcome == ControlOutcome::Refused && c.port == 443));
    // Never among the mail-port results.
    assert!(r.probes.iter().all(|p| p.spec.port == 25));
}

/// Nothing known about the round trip (no control answers, nothing
/// connects): the whole connect timeout, as before.
#[tokio::test]
async fn without_a_round_trip_the_connect_timeout_holds() {
    let d = MapDialer::new();
    d.blackhole("127.0.0.2", 25).blackhole("127.0.0.2", 443);
    let env = env(&d);
    let options = CheckOptions {
        targets: vec![Target::new("127.0.0.2", Role::RecipientMx)],
        ports: vec![25],
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        connect_timeout_ms: 700,
        ..CheckOptions::default()
    };
    let (tx, _rx) = tokio::sync::mpsc::channel(256);
    let started = Instant::now();
    let r = runner::run(options, &env, tx).await.expect("runs");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < Duration::from_millis(1200), "{took:?}");
    assert_eq!(r.controls[0].outcome, ControlOutcome::TimedOut);
}

/// A user-named host that answers 443 but drops 25 and 587: a filter, not
/// "no known listener".
#[tokio::test]
async fn a_named_host_up_on_the_control_port_is_filtered_on_mail_ports() {
    let web = fakes::start(Behaviour::Close).await;
    let d = MapDialer::new();
    d.blackhole("127.0.0.7", 25)
        .blackhole("127.0.0.7", 587)
        .map("127.0.0.7", 443, web.addr);
    let env = env(&d);
    let (r, took) = check(
        &env,
        vec![Target::new("127.0.0.7", Role::Custom)],
        &[25, 587],
    )
    .await;
    assert_eq!(
        verdict(&r, 25),
        &Verdict::BlockedSilently,
        "{:#?}",
        r.verdicts
    );
    assert_eq!(verdict(&r, 587), &Verdict::BlockedSilently);
    assert_eq!(r.controls[0].outcome, ControlOutcome::Accepted);
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

/// A lossy line: the first SYN to each host is lost. The second SYN gets
/// through, and no port reads as blocked.
#[tokio::test]
async fn a_lost_syn_is_not_a_block() {
    let a = fakes::start(Behaviour::smtp("mx.a.example ESMTP")).await;
    let b = fakes::start(Behaviour::smtp("mx.b.example ESMTP")).await;
    let closed = fakes::closed_port().await;
    let d = MapDialer::new();
    d.lossy("127.0.0.2", 25, a.addr, 1)
        .lossy("127.0.0.3", 25, b.addr, 1)
        .map("127.0.0.2", 443, closed)
        .map("127.0.0.3", 443, closed);
    let env = env(&d);
    let mx = |h: &str| Target::new(h, Role::RecipientMx);
    let (r, took) = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    assert!(matches!(outcome(&r, "127.0.0.2", 25), Outcome::Banner(_)));
    assert!(matches!(outcome(&r, "127.0.0.3", 25), Outcome::Banner(_)));
    assert_eq!(verdict(&r, 25), &Verdict::Open);
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

/// Netsim scenario 24 (10% loss), one run in about thirty: both SYNs to
/// every host of one port were lost, and the port read as dropped. The line
/// was seen losing packets (a connect on another port was answered only to
/// its second SYN), so each of those hosts, up on another port, is asked
/// once more: the port is open.
#[tokio::test]
async fn every_host_of_a_port_losing_both_syns_on_a_lossy_line_is_asked_again() {
    let a = fakes::start(Behaviour::smtp("smtp.a.example ESMTP")).await;
    let b = fakes::start(Behaviour::smtp("smtp.b.example ESMTP")).await;
    let closed = fakes::closed_port().await;
    let d = MapDialer::new();
    d.lossy("127.0.0.2", 465, a.addr, 1)
        .map("127.0.0.3", 465, b.addr)
        .lossy("127.0.0.2", 587, a.addr, 2)
        .lossy("127.0.0.3", 587, b.addr, 2)
        .map("127.0.0.2", 443, closed)
        .map("127.0.0.3", 443, closed);
    let lossy = env(&d);
    let sub = |h: &str| Target::new(h, Role::Submission);
    let (r, _) = check(
        &lossy,
        vec![sub("127.0.0.2"), sub("127.0.0.3")],
        &[465, 587],
    )
    .await;
    assert!(
        matches!(outcome(&r, "127.0.0.2", 587), Outcome::Banner(_)),
        "{:#?}",
        r.probes
    );
    assert!(matches!(outcome(&r, "127.0.0.3", 587), Outcome::Banner(_)));
    assert_eq!(verdict(&r, 587), &Verdict::Open, "{:#?}", r.verdicts);

    // The same port dropped on a clean line: no second look, and the
    // verdict comes as fast as before.
    let d = MapDialer::new();
    d.map("127.0.0.2", 465, a.addr)
        .map("127.0.0.3", 465, b.addr)
        .lossy("127.0.0.2", 587, a.addr, 3)
        .lossy("127.0.0.3", 587, b.addr, 3)
        .map("127.0.0.2", 443, closed)
        .map("127.0.0.3", 443, closed);
    let clean = env(&d);
    let (r, took) = check(
        &clean,
        vec![sub("127.0.0.2"), sub("127.0.0.3")],
        &[465, 587],
    )
    .await;
    assert_eq!(
        verdict(&r, 587),
        &Verdict::BlockedSilently,
        "{:#?}",
        r.verdicts
    );
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

/// One host's SYN is lost twice while the other host connects on the same
/// port: the port passes, so the slow one waits for the whole connect
/// timeout rather than read as "restricted".
#[tokio::test]
async fn a_port_that_passes_elsewhere_is_waited_for() {
    let a = fakes::start(Behaviour::smtp("mx.a.example ESMTP")).await;
    let b = fakes::start(Behaviour::smtp("mx.b.example ESMTP")).await;
    let closed = fakes::closed_port().await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr)
        .lossy("127.0.0.3", 25, b.addr, 2)
        .map("127.0.0.2", 443, closed)
        .map("127.0.0.3", 443, closed);
    let env = env(&d);
    let mx = |h: &str| Target::new(h, Role::RecipientMx);
    let (r, _) = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    // The third attempt is the kernel's business in real life; here the
    // two lost ones end only with the connect timeout.
    assert_eq!(outcome(&r, "127.0.0.3", 25), &Outcome::Filtered);
    let slow = r
        .probes
        .iter()
        .find(|p| p.spec.host == "127.0.0.3")
        .expect("probe");
    assert!(
        slow.timings.connect_ms.unwrap_or(0) >= 3900,
        "{:?}",
        slow.timings
    );
}

/// EPERM from connect(): this computer's firewall, never the provider.
#[tokio::test]
async fn this_computers_firewall_is_its_own_verdict() {
    let d = MapDialer::new();
    d.fail("127.0.0.2", 25, 1).fail("127.0.0.3", 25, 1);
    let env = env(&d);
    let mx = |h: &str| Target::new(h, Role::RecipientMx);
    let (r, _) = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    assert!(matches!(
        outcome(&r, "127.0.0.2", 25),
        Outcome::LocalFirewall { .. }
    ));
    assert_eq!(verdict(&r, 25), &Verdict::BlockedLocally);
    assert!(
        r.advice[0].title.contains("firewall on this computer"),
        "{:?}",
        r.advice[0]
    );
    assert!(!r.headline.contains("provider"), "{}", r.headline);
}

/// The same escape sequences as the reflector client's test
/// (`reflect::client::tests`), on the probes' path: one reader for both,
/// escaping at read time.
#[tokio::test]
async fn escape_sequences_in_a_greeting_never_reach_the_report() {
    let proxy = fakes::start(Behaviour::Scripted(&[
        b"220 proxy \x1b]0;owned\x07\x1b[2J ESMTP\r\n",
        b"250-hi \x1b[31mred\r\n250 X\x9b2J\r\n",
        b"221 bye\r\n",
    ]))
    .await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, proxy.addr);
    let env = env(&d);
    let (r, _) = check(
        &env,
        vec![Target::new("127.0.0.2", Role::RecipientMx)],
        &[25],
    )
    .await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:?}", r.probes)
    };
    assert_eq!(
        ex.greeting.lines,
        vec!["proxy \\x1b]0;owned\\x07\\x1b[2J ESMTP"]
    );
    let json = serde_json::to_string(&r).expect("json");
    assert!(
        !json.contains("\\u001b") && !json.contains('\x1b'),
        "{json}"
    );
    let printed = mailport::term::render(&r, mailport::term::Style { colour: false });
    assert!(
        !printed.contains('\x1b') && !printed.contains('\u{9b}'),
        "{printed}"
    );
}

/// After-connect failures kept apart: a reset at EHLO after a normal
/// greeting (a DPI box) is its own EHLO outcome, and interception evidence
/// when independent hosts show it.
#[tokio::test]
async fn a_reset_at_ehlo_is_told_apart_and_counts_as_interception() {
    let dpi = fakes::start(Behaviour::ResetAfterEhlo("mx.a.example ESMTP")).await;
    let silent = fakes::start(Behaviour::Raw(b"220 mx.c.example ESMTP\r\n")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, dpi.addr)
        .map("127.0.0.3", 25, dpi.addr)
        .map("127.0.0.4", 587, silent.addr);
    let env = env(&d);
    let mut options_targets = vec![
        Target::new("127.0.0.2", Role::RecipientMx),
        Target::new("127.0.0.3", Role::RecipientMx),
    ];
    let (r, _) = check(&env, options_targets.clone(), &[25]).await;
    for host in ["127.0.0.2", "127.0.0.3"] {
        let Outcome::Banner(ex) = outcome(&r, host, 25) else {
            panic!("{:?}", r.probes)
        };
        assert_eq!(ex.ehlo, EhloOutcome::Reset, "{host}");
    }
    assert_eq!(
        verdict(&r, 25),
        &Verdict::InterceptedSuspected,
        "{:#?}",
        r.verdicts
    );
    let v = r.verdicts.iter().find(|v| v.port == 25).expect("25");
    assert!(
        v.evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::EhloCutOff && e.strong),
        "{:?}",
        v.evidence
    );
    // A server that greets and then never answers EHLO: a timeout, not a
    // reset (with a short greeting timeout, as that is what it costs).
    options_targets = vec![Target::new("127.0.0.4", Role::Submission)];
    let options = CheckOptions {
        targets: options_targets,
        ports: vec![587],
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        greeting_timeout_ms: 300,
        ..CheckOptions::default()
    };
    let (tx, _rx) = tokio::sync::mpsc::channel(256);
    let r = runner::run(options, &env, tx).await.expect("runs");
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.4", 587) else {
        panic!("{:?}", r.probes)
    };
    assert_eq!(ex.ehlo, EhloOutcome::NoReply);
}

/// One new port-25 connection passes, the next ones are dropped: the host
/// that connected is tried once more, times out, and the port reads
/// "rate-limited", not "restricted".
#[tokio::test]
async fn a_rate_limited_port_is_not_called_restricted() {
    let smtp = fakes::start(Behaviour::smtp("mx.example ESMTP")).await;
    let d = MapDialer::new();
    for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        d.map(ip, 25, smtp.addr);
    }
    d.rate_limit(25, 1);
    let env = env(&d);
    let options = CheckOptions {
        targets: ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
            .iter()
            .map(|h| Target::new(*h, Role::RecipientMx))
            .collect(),
        ports: vec![25],
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        connect_timeout_ms: 500,
        ..CheckOptions::default()
    };
    let (tx, _rx) = tokio::sync::mpsc::channel(256);
    let r = runner::run(options, &env, tx).await.expect("runs");
    assert_eq!(verdict(&r, 25), &Verdict::RateLimited, "{:#?}", r.verdicts);
    // Three planned probes and the repeat.
    assert_eq!(r.probes.len(), 4, "{:#?}", r.probes);
    assert!(r
        .advice
        .iter()
        .any(|a| a.id == mailport_shared::AdviceId::RateLimited));
    assert!(r.headline.contains("rate-limited"), "{}", r.headline);

    // Only some destinations pass, every time: still "restricted".
    let relay = fakes::start(Behaviour::smtp("relay.isp.example ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, relay.addr)
        .blackhole("127.0.0.3", 25)
        .blackhole("127.0.0.4", 25);
    let env2 = self::env(&d);
    let (r, _) = check(
        &env2,
        ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
            .iter()
            .map(|h| Target::new(*h, Role::RecipientMx))
            .collect(),
        &[25],
    )
    .await;
    assert_eq!(verdict(&r, 25), &Verdict::Restricted, "{:#?}", r.verdicts);
}

/// A host with two addresses whose first one refuses: the next one is
/// tried before the port is judged.
#[tokio::test]
async fn the_next_address_is_tried_before_judging() {
    let smtp = fakes::start(Behaviour::smtp("mx.multi.test ESMTP")).await;
    let closed = fakes::closed_port().await;
    let mut zone = fakes::dns::Zone::new();
    zone.addr("mx.multi.test", "127.0.0.2")
        .addr("mx.multi.test", "127.0.0.3");
    let dns = fakes::dns::serve(zone).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, closed)
        .map("127.0.0.3", 25, smtp.addr);
    let env = fakes::env_builder(&d, None)
        .nameservers(vec![dns])
        .build()
        .expect("env");
    let (r, _) = check(
        &env,
        vec![Target::new("mx.multi.test", Role::RecipientMx)],
        &[25],
    )
    .await;
    let p = &r.probes[0];
    assert!(matches!(p.outcome, Outcome::Banner(_)), "{:?}", p.outcome);
    assert_eq!(p.address, Some("127.0.0.3".parse().expect("ip")));
    assert_eq!(verdict(&r, 25), &Verdict::Open);
    // DNS order: the refusing address first, then the next one.
    assert_eq!(d.connects(), 2);
}
