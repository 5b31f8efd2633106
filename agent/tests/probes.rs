//! The probe engine against fake servers on loopback: each test asserts the
//! exact outcome of each probe and the verdict `shared::classify` draws.
//!
//! Modules: `fakes` (fake servers, the mapping dialer).

mod fakes;

use fakes::{Behaviour, MapDialer, TestCert};
use mailport::runner;
use mailport::Env;
use mailport_shared::classify::{NotTestableReason, Verdict};
use mailport_shared::options::Families;
use mailport_shared::outcome::{DnsFailure, EhloOutcome, TlsOutcome};
use mailport_shared::{CheckEvent, CheckOptions, Family, Outcome, Report, Role, Target};
use std::time::{Duration, Instant};

/// Runs a check over IPv4 with short timeouts; returns the report and every
/// event. Fails the test if the check takes longer than `cap`.
async fn check_with(env: &Env, options: CheckOptions) -> (Report, Vec<CheckEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    });
    let report = tokio::time::timeout(Duration::from_secs(20), runner::run(options, env, tx))
        .await
        .expect("a check must never hang")
        .expect("valid options");
    let events = collect.await.expect("collector");
    (report, events)
}

fn options(targets: Vec<Target>, ports: &[u16]) -> CheckOptions {
    CheckOptions {
        targets,
        ports: ports.to_vec(),
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        connect_timeout_ms: 500,
        greeting_timeout_ms: 1000,
        ..CheckOptions::default()
    }
}

async fn check(env: &Env, targets: Vec<Target>, ports: &[u16]) -> Report {
    check_with(env, options(targets, ports)).await.0
}

fn outcome<'a>(r: &'a Report, host: &str, port: u16) -> &'a Outcome {
    &r.probes
        .iter()
        .find(|p| p.spec.host == host && p.spec.port == port)
        .unwrap_or_else(|| panic!("no probe of {host}:{port} in {:#?}", r.probes))
        .outcome
}

fn verdict(r: &Report, port: u16, family: Family) -> &Verdict {
    &r.verdicts
        .iter()
        .find(|v| v.port == port && v.family == family)
        .unwrap_or_else(|| panic!("no verdict for {port}/{family}"))
        .verdict
}

fn mx(host: &str) -> Target {
    Target::new(host, Role::RecipientMx)
}

#[tokio::test]
async fn starttls_servers_are_open_and_tls_is_recorded() {
    let cert = TestCert::new();
    let a = fakes::start(Behaviour::smtp_tls("mx-a.test ESMTP ready", &cert)).await;
    let b = fakes::start(Behaviour::smtp_tls("mx-b.test ESMTP ready", &cert)).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr).map("127.0.0.3", 25, b.addr);
    let env = fakes::env(&d, Some(&cert));
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;

    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("want a banner: {:#?}", r.probes);
    };
    assert_eq!(ex.greeting.code, 220);
    assert_eq!(ex.greeting.lines, vec!["mx-a.test ESMTP ready"]);
    assert!(!ex.implicit_tls);
    match &ex.ehlo {
        EhloOutcome::Accepted { extensions, .. } => assert_eq!(
            extensions,
            &vec![
                "SIZE 10240000".to_string(),
                "STARTTLS".into(),
                "8BITMIME".into()
            ]
        ),
        other => panic!("EHLO: {other:?}"),
    }
    match &ex.tls {
        Some(TlsOutcome::Established {
            version,
            trusted,
            name_matches,
            names,
            cipher,
        }) => {
            assert_eq!(version, "TLSv1.3");
            assert!(cipher.starts_with("TLS13_"), "{cipher}");
            assert!(trusted);
            assert!(name_matches);
            assert_eq!(names, &vec!["localhost".to_string()]);
        }
        other => panic!("TLS: {other:?}"),
    }
    assert!(matches!(outcome(&r, "127.0.0.3", 25), Outcome::Banner(_)));
    assert_eq!(verdict(&r, 25, Family::Ipv4), &Verdict::Open);
    assert!(r.port25_open());
    let p = &r.probes[0];
    assert_eq!(p.address, Some(p.spec.host.parse().unwrap()));
    assert!(p.timings.connect_ms.is_some() && p.timings.greeting_ms.is_some());
}

#[tokio::test]
async fn untrusted_or_mismatched_certificates_are_recorded_not_fatal() {
    let cert = TestCert::new();
    let a = fakes::start(Behaviour::smtp_tls("mx-a.test ESMTP", &cert)).await;
    let d = MapDialer::new();
    // 127.0.0.9 is not among the certificate's names.
    d.map("127.0.0.2", 25, a.addr).map("127.0.0.9", 25, a.addr);

    let untrusting = fakes::env(&d, None);
    let r = check(&untrusting, vec![mx("127.0.0.2")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert!(
        matches!(
            ex.tls,
            Some(TlsOutcome::Established {
                trusted: false,
                name_matches: true,
                ..
            })
        ),
        "{:?}",
        ex.tls
    );

    let trusting = fakes::env(&d, Some(&cert));
    let r = check(&trusting, vec![mx("127.0.0.9")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.9", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert!(
        matches!(
            ex.tls,
            Some(TlsOutcome::Established {
                trusted: true,
                name_matches: false,
                ..
            })
        ),
        "{:?}",
        ex.tls
    );
}

#[tokio::test]
async fn no_tls_option_skips_starttls() {
    let cert = TestCert::new();
    let a = fakes::start(Behaviour::smtp_tls("mx-a.test ESMTP", &cert)).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr);
    let env = fakes::env(&d, Some(&cert));
    let mut o = options(vec![mx("127.0.0.2")], &[25]);
    o.tls = false;
    let (r, _) = check_with(&env, o).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert!(ex.starttls_offered());
    assert_eq!(ex.tls, None);
}

#[tokio::test]
async fn multi_line_and_delayed_greetings_are_banners() {
    let multi = fakes::start(Behaviour::Smtp {
        greeting: vec![
            "mx.multi.test ESMTP".into(),
            "No UCE".into(),
            "Be nice".into(),
        ],
        delay: Duration::ZERO,
        starttls: None,
        ehlo_code: 250,
    })
    .await;
    let slow = fakes::start(Behaviour::Smtp {
        greeting: vec!["mx.slow.test ESMTP".into()],
        delay: Duration::from_millis(300),
        starttls: None,
        ehlo_code: 250,
    })
    .await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, multi.addr)
        .map("127.0.0.3", 25, slow.addr);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert_eq!(
        ex.greeting.lines,
        vec!["mx.multi.test ESMTP", "No UCE", "Be nice"]
    );
    assert!(ex.greeting.multi_line());
    assert!(matches!(ex.ehlo, EhloOutcome::Accepted { .. }));
    assert_eq!(ex.tls, None);
    let slow_probe = r
        .probes
        .iter()
        .find(|p| p.spec.host == "127.0.0.3")
        .expect("slow probe");
    let Outcome::Banner(ex) = &slow_probe.outcome else {
        panic!("{:#?}", r.probes)
    };
    assert_eq!(ex.greeting.lines, vec!["mx.slow.test ESMTP"]);
    assert!(
        slow_probe.timings.greeting_ms.unwrap_or(0) >= 290,
        "{:?}",
        slow_probe.timings
    );
    assert_eq!(verdict(&r, 25, Family::Ipv4), &Verdict::Open);
}

#[tokio::test]
async fn two_silent_mx_hosts_mean_interception() {
    let a = fakes::start(Behaviour::Silent).await;
    let b = fakes::start(Behaviour::Silent).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr).map("127.0.0.3", 25, b.addr);
    let env = fakes::env(&d, None);
    let mut o = options(vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]);
    o.greeting_timeout_ms = 300;
    let started = Instant::now();
    let (r, _) = check_with(&env, o).await;
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Silent);
    assert_eq!(outcome(&r, "127.0.0.3", 25), &Outcome::Silent);
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::InterceptedSuspected
    );
    assert!(!r.port25_open());
    // Bounded by the greeting timeout (concurrency itself is measured by
    // the bench example, not by a timed test).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The fakes saw the probes hang up.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(a.closed.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn closed_reset_and_http_are_told_apart() {
    let close = fakes::start(Behaviour::Close).await;
    let reset = fakes::start(Behaviour::Reset).await;
    let http = fakes::start(Behaviour::Http).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, close.addr)
        .map("127.0.0.3", 25, reset.addr)
        .map("127.0.0.4", 25, http.addr);
    let env = fakes::env(&d, None);
    let started = Instant::now();
    let r = check(
        &env,
        vec![mx("127.0.0.2"), mx("127.0.0.3"), mx("127.0.0.4")],
        &[25],
    )
    .await;
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::ClosedEarly);
    assert_eq!(outcome(&r, "127.0.0.3", 25), &Outcome::Reset);
    assert_eq!(
        outcome(&r, "127.0.0.4", 25),
        &Outcome::NotSmtp {
            first_bytes: "HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n".into()
        }
    );
    // Garbage is reported when it arrives, not after the greeting timeout.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    // Connected to hosts that should greet, and none did: something is in the way.
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::InterceptedSuspected
    );
}

#[tokio::test]
async fn hostile_servers_cannot_hang_or_flood_a_probe() {
    let endless = fakes::start(Behaviour::EndlessLine).await;
    let trickle = fakes::start(Behaviour::Trickle(Duration::from_millis(50))).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, endless.addr)
        .map("127.0.0.3", 25, trickle.addr);
    let env = fakes::env(&d, None);
    let mut o = options(vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]);
    o.greeting_timeout_ms = 400;
    let started = Instant::now();
    let (r, _) = check_with(&env, o).await;
    match outcome(&r, "127.0.0.2", 25) {
        Outcome::NotSmtp { first_bytes } => {
            assert_eq!(first_bytes, &format!("220 {}…", "a".repeat(60)));
        }
        other => panic!("endless line: {other:?}"),
    }
    // "2222…" cannot be a reply code followed by a space or a hyphen: it
    // is refused at its fourth byte (150 ms), well before the timeout.
    match outcome(&r, "127.0.0.3", 25) {
        Outcome::NotSmtp { first_bytes } => {
            assert!(
                first_bytes.len() >= 4 && first_bytes.bytes().all(|b| b == b'2'),
                "{first_bytes:?}"
            );
        }
        other => panic!("trickle: {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refused_by_two_known_listeners_is_an_active_block() {
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, fakes::closed_port().await).map(
        "127.0.0.3",
        25,
        fakes::closed_port().await,
    );
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Refused);
    assert_eq!(outcome(&r, "127.0.0.3", 25), &Outcome::Refused);
    assert!(r.probes.iter().all(|p| p.spec.expected));
    assert_eq!(verdict(&r, 25, Family::Ipv4), &Verdict::BlockedActively);
}

#[tokio::test]
async fn refused_by_a_host_of_unknown_ports_is_not_a_block() {
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, fakes::closed_port().await);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![Target::new("127.0.0.2", Role::Custom)], &[25]).await;
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Refused);
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::NotTestable {
            reason: NotTestableReason::NoKnownListener
        }
    );
}

#[tokio::test]
async fn dropped_syns_time_out_as_filtered() {
    let submit = fakes::start(Behaviour::smtp("smtp.relay.test ESMTP")).await;
    let d = MapDialer::new();
    d.blackhole("127.0.0.2", 25)
        .blackhole("127.0.0.3", 25)
        .map("127.0.0.4", 587, submit.addr);
    let env = fakes::env(&d, None);
    let mut o = options(
        vec![
            mx("127.0.0.2"),
            mx("127.0.0.3"),
            Target::new("127.0.0.4", Role::Submission),
        ],
        &[25, 587],
    );
    o.connect_timeout_ms = 200;
    let started = Instant::now();
    let (r, _) = check_with(&env, o).await;
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Filtered);
    assert_eq!(outcome(&r, "127.0.0.3", 25), &Outcome::Filtered);
    assert!(matches!(outcome(&r, "127.0.0.4", 587), Outcome::Banner(_)));
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::BlockedSilently,
        "{:?}",
        r.verdicts
    );
    assert_eq!(verdict(&r, 587, Family::Ipv4), &Verdict::Open);
    assert!(!r.port25_open());
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert!(r.headline.contains("silently dropped"), "{}", r.headline);
}

#[tokio::test]
async fn implicit_tls_on_465() {
    let cert = TestCert::new();
    let tls = fakes::start(Behaviour::ImplicitTls {
        greeting: "smtp.submit.test ESMTP".into(),
        acceptor: cert.acceptor(),
    })
    .await;
    let plain = fakes::start(Behaviour::smtp("smtp.submit.test ESMTP plain")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 465, tls.addr)
        .map("127.0.0.3", 465, plain.addr);
    let env = fakes::env(&d, Some(&cert));
    let sub = |h: &str| Target::new(h, Role::Submission);
    let r = check(&env, vec![sub("127.0.0.2"), sub("127.0.0.3")], &[465]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 465) else {
        panic!("{:#?}", r.probes)
    };
    assert!(ex.implicit_tls);
    assert_eq!(ex.greeting.lines, vec!["smtp.submit.test ESMTP"]);
    assert!(matches!(ex.ehlo, EhloOutcome::Accepted { .. }));
    assert!(matches!(
        ex.tls,
        Some(TlsOutcome::Established {
            trusted: true,
            name_matches: true,
            ..
        })
    ));
    // A plain-text server on 465 fails the handshake.
    match outcome(&r, "127.0.0.3", 465) {
        Outcome::TlsFailed { error } => assert!(
            error.starts_with("the server does not speak TLS here"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(verdict(&r, 465, Family::Ipv4), &Verdict::Open);
}

#[tokio::test]
async fn refused_ehlo_is_interception_evidence() {
    let masked = fakes::start(Behaviour::Smtp {
        greeting: vec!["mx.proxy.test ESMTP".into()],
        delay: Duration::ZERO,
        starttls: None,
        ehlo_code: 500,
    })
    .await;
    // Two unrelated MX hosts answered by the same proxy: one host alone
    // refusing EHLO could be its own firewall, and is only a note.
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, masked.addr)
        .map("127.0.0.3", 25, masked.addr);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    match &ex.ehlo {
        EhloOutcome::Rejected { reply } => assert_eq!(reply.code, 500),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::InterceptedSuspected
    );
}

#[tokio::test]
async fn private_addresses_are_refused_without_connecting() {
    let a = fakes::start(Behaviour::smtp("mx.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.1", 25, a.addr);
    let env = fakes::env_builder(&d, None)
        .allow_private(false)
        .build()
        .expect("env");
    let r = check(&env, vec![mx("127.0.0.1"), mx("10.1.2.3")], &[25]).await;
    assert_eq!(
        outcome(&r, "127.0.0.1", 25),
        &Outcome::DnsFailed {
            reason: DnsFailure::Forbidden {
                address: "127.0.0.1".into()
            }
        }
    );
    assert_eq!(
        outcome(&r, "10.1.2.3", 25),
        &Outcome::DnsFailed {
            reason: DnsFailure::Forbidden {
                address: "10.1.2.3".into()
            }
        }
    );
    assert_eq!(d.connects(), 0, "no connection may be attempted");
    assert_eq!(a.accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(
        verdict(&r, 25, Family::Ipv4),
        &Verdict::NotTestable {
            reason: NotTestableReason::NotPublic
        }
    );
}

#[tokio::test]
async fn events_stream_in_order() {
    let a = fakes::start(Behaviour::smtp("mx-a.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr)
        .map("127.0.0.2", 587, fakes::closed_port().await);
    let env = fakes::env(&d, None);
    let (r, events) = check_with(
        &env,
        options(vec![Target::new("127.0.0.2", Role::Custom)], &[25, 587]),
    )
    .await;
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        vec!["started", "probe", "probe", "concluded", "done"]
    );
    let CheckEvent::Started { planned } = &events[0] else {
        panic!()
    };
    assert_eq!(planned.len(), 2);
    let CheckEvent::Done { report } = &events[4] else {
        panic!()
    };
    assert_eq!(**report, r);
    assert_eq!(r.probes.len(), 2);
    // The IPv6 family was not asked for, and an IP literal has one family anyway.
    assert!(r.probes.iter().all(|p| p.spec.family == Family::Ipv4));
}

#[tokio::test]
async fn invalid_options_fail_with_an_event() {
    let d = MapDialer::new();
    let env = fakes::env(&d, None);
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let err = runner::run(
        CheckOptions {
            ports: vec![],
            ..CheckOptions::default()
        },
        &env,
        tx,
    )
    .await
    .expect_err("no ports");
    assert_eq!(err.code(), "invalid_options");
    assert_eq!(err.to_string(), "choose at least one port");
    match rx.recv().await {
        Some(CheckEvent::Failed { code, message }) => {
            assert_eq!(code, "invalid_options");
            assert_eq!(message, "choose at least one port");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_check_closes_every_connection() {
    let a = fakes::start(Behaviour::Silent).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, a.addr);
    let env = fakes::env(&d, None);
    let mut o = options(vec![mx("127.0.0.2")], &[25]);
    o.greeting_timeout_ms = 30_000;
    let (tx, _rx) = tokio::sync::mpsc::channel(8);
    let running = runner::run(o, &env, tx);
    // Give it time to connect, then drop it.
    let _ = tokio::time::timeout(Duration::from_millis(200), running).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(a.accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(a.closed.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ipv6_loopback_probes() {
    if !fakes::ipv6_loopback_or_skip("ipv6_loopback_probes").await {
        return;
    }
    let a = fakes::start_on("[::1]:0", Behaviour::smtp("mx6-a.test ESMTP"))
        .await
        .expect("bind ::1");
    let d = MapDialer::new();
    d.map("::1", 25, a.addr)
        .map("127.0.0.2", 25, fakes::closed_port().await);
    let env = fakes::env(&d, None);
    let mut o = options(vec![mx("::1"), mx("127.0.0.2")], &[25]);
    o.families = Families {
        ipv4: true,
        ipv6: true,
    };
    let (r, _) = check_with(&env, o).await;
    let v6 = r
        .probes
        .iter()
        .find(|p| p.spec.host == "::1" && p.spec.family == Family::Ipv6)
        .expect("v6 probe");
    assert!(matches!(v6.outcome, Outcome::Banner(_)), "{:?}", v6.outcome);
    // An IP literal is probed over its own family only.
    assert_eq!(r.probes.len(), 2, "{:#?}", r.probes);
    assert!(r
        .probes
        .iter()
        .all(|p| p.address.map(|a| Family::of(&a)) == Some(p.spec.family)));
    assert_eq!(outcome(&r, "127.0.0.2", 25), &Outcome::Refused);
    assert_eq!(verdict(&r, 25, Family::Ipv6), &Verdict::Open);
}

#[tokio::test]
async fn a_refusing_greeting_is_a_banner_without_ehlo() {
    let busy = fakes::start(Behaviour::Raw(
        b"554-5.7.1 No service for you\r\n554 Go away\r\n",
    ))
    .await;
    let lf_only = fakes::start(Behaviour::Raw(b"421 mx.lf.test busy\n")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, busy.addr)
        .map("127.0.0.3", 25, lf_only.addr);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert_eq!(ex.greeting.code, 554);
    assert_eq!(
        ex.greeting.lines,
        vec!["5.7.1 No service for you", "Go away"]
    );
    assert_eq!(ex.ehlo, EhloOutcome::NotSent);
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.3", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert_eq!(
        (ex.greeting.code, ex.greeting.lines.clone()),
        (421, vec!["mx.lf.test busy".to_string()])
    );
}

#[tokio::test]
async fn data_after_starttls_agreement_is_not_trusted() {
    // A server (or a man in the middle) that piggybacks a reply on its 220
    // answer to STARTTLS: it must not be read as part of the TLS session.
    let inject = fakes::start(Behaviour::Scripted(&[
        b"220 mx.inject.test ESMTP\r\n",
        b"250-mx.inject.test\r\n250 STARTTLS\r\n",
        b"220 Go ahead\r\n250 injected\r\n",
    ]))
    .await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, inject.addr);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2")], &[25]).await;
    let Outcome::Banner(ex) = outcome(&r, "127.0.0.2", 25) else {
        panic!("{:#?}", r.probes)
    };
    assert!(ex.starttls_offered());
    assert_eq!(
        ex.tls,
        Some(TlsOutcome::Failed {
            error: "the server sent data after agreeing to STARTTLS".into()
        })
    );
}

#[tokio::test]
async fn silent_tls_port_and_the_real_dialer() {
    // A 465 server that accepts and never answers the ClientHello.
    let silent = fakes::start(Behaviour::Silent).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 465, silent.addr);
    let env = fakes::env(&d, None);
    let mut o = options(vec![Target::new("127.0.0.2", Role::Submission)], &[465]);
    o.greeting_timeout_ms = 300;
    let (r, _) = check_with(&env, o).await;
    assert_eq!(outcome(&r, "127.0.0.2", 465), &Outcome::Silent);

    // The direct dialer, on a real closed port and a real fake: the
    // kernel's answers, unmapped.
    let closed = fakes::closed_port().await;
    let fake = fakes::start(Behaviour::smtp("mx.direct.test ESMTP")).await;
    let env = Env::builder()
        .allow_private(true)
        .nameservers(vec!["127.0.0.1:9".parse().unwrap()])
        .build()
        .unwrap();
    let host = Target::new("127.0.0.1", Role::Custom);
    let r = check(&env, vec![host.clone()], &[closed.port()]).await;
    assert_eq!(outcome(&r, "127.0.0.1", closed.port()), &Outcome::Refused);
    let r = check(&env, vec![host], &[fake.addr.port()]).await;
    assert!(matches!(
        outcome(&r, "127.0.0.1", fake.addr.port()),
        Outcome::Banner(_)
    ));
}

#[tokio::test]
async fn a_machine_out_of_sockets_is_not_a_blocked_network() {
    // EMFILE (24) and ENOBUFS (105): this machine could not even try.
    let d = MapDialer::new();
    d.fail("127.0.0.2", 25, 24).fail("127.0.0.3", 25, 105);
    let env = fakes::env(&d, None);
    let r = check(&env, vec![mx("127.0.0.2"), mx("127.0.0.3")], &[25]).await;
    assert_eq!(
        outcome(&r, "127.0.0.2", 25),
        &Outcome::LocalError {
            detail: std::io::Error::from_raw_os_error(24).to_string()
        }
    );
    assert_eq!(
        outcome(&r, "127.0.0.3", 25),
        &Outcome::LocalError {
            detail: std::io::Error::from_raw_os_error(105).to_string()
        }
    );
    // Whatever reason classify gives, it is not a verdict on the network:
    // the terminal exits 3, not 1.
    assert!(
        matches!(verdict(&r, 25, Family::Ipv4), Verdict::NotTestable { .. }),
        "{:?}",
        verdict(&r, 25, Family::Ipv4)
    );
    assert_eq!(r.port25(), mailport_shared::report::Port25::Unjudged);
    assert_eq!(mailport::cli::exit_code(&r), mailport::cli::EXIT_UNJUDGED);
}
