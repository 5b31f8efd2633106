#![allow(clippy::type_complexity)] // table rows are tuples on purpose
//! What the control probes, the port tester and this computer's firewall
//! change in a verdict, as tables: the same mail-port probes judged with
//! and without control probes.

use mailport_shared::advice::{advise, Context};
use mailport_shared::classify::{classify_with, NotTestableReason, Verdict};
use mailport_shared::control::{ControlOutcome, ControlProbe, CONTROL_PORT};
use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange, TesterReply};
use mailport_shared::{AdviceId, Family, Outcome, ProbeResult, ProbeSpec, Role, Timings};

const V4: Family = Family::Ipv4;
const V6: Family = Family::Ipv6;

fn probe(host: &str, role: Role, port: u16, family: Family, outcome: Outcome) -> ProbeResult {
    ProbeResult {
        spec: ProbeSpec {
            host: host.into(),
            role,
            port,
            family,
            expected: mailport_shared::probe::expected(host, role, port),
        },
        address: None,
        outcome,
        timings: Timings::default(),
    }
}

fn control(host: &str, family: Family, outcome: ControlOutcome) -> ControlProbe {
    ControlProbe {
        host: host.into(),
        family,
        address: None,
        port: CONTROL_PORT,
        outcome,
        rtt_ms: Some(20),
    }
}

fn banner(name: &str) -> Outcome {
    Outcome::Banner(SmtpExchange {
        greeting: Reply {
            code: 220,
            lines: vec![format!("{name} ESMTP")],
        },
        ehlo: EhloOutcome::Accepted {
            reply: Reply {
                code: 250,
                lines: vec![name.into()],
            },
            extensions: vec![],
        },
        implicit_tls: false,
        tls: None,
        reflector: None,
    })
}

fn tester(port: u16, family: Family, outcome: Outcome) -> ProbeResult {
    probe("portquiz.example", Role::PortEcho, port, family, outcome)
}

fn http() -> Outcome {
    Outcome::PortTester {
        reply: TesterReply::Http {
            status_line: "HTTP/1.1 200 OK".into(),
        },
    }
}

fn no_route() -> Outcome {
    Outcome::NoRoute {
        detail: "Network is unreachable (os error 101)".into(),
    }
}

fn verdict_of(probes: &[ProbeResult], controls: &[ControlProbe], port: u16, f: Family) -> Verdict {
    classify_with(probes, controls)
        .into_iter()
        .find(|v| v.port == port && v.family == f)
        .unwrap_or_else(|| panic!("no verdict for {port}/{f}"))
        .verdict
}

#[test]
fn control_probes_change_what_a_timeout_means() {
    use ControlOutcome::{Accepted, Refused, TimedOut};
    let single = Verdict::NotTestable {
        reason: NotTestableReason::SingleHost,
    };
    let unknown = Verdict::NotTestable {
        reason: NotTestableReason::NoKnownListener,
    };
    let broken = Verdict::NotTestable {
        reason: NotTestableReason::NoRoute,
    };
    let mx = |h: &str, f: Family, o: Outcome| probe(h, Role::RecipientMx, 25, f, o);
    let custom = |port: u16, o: Outcome| probe("mail.example.net", Role::Custom, port, V4, o);
    // (situation, probes, controls, port, family, without controls, with)
    let rows: Vec<(
        &str,
        Vec<ProbeResult>,
        Vec<ControlProbe>,
        u16,
        Family,
        Verdict,
        Verdict,
    )> = vec![
        (
            "a port tester alone times out on 26: down or blocked; up on 443: blocked",
            vec![tester(26, V4, Outcome::Filtered)],
            vec![control("portquiz.example", V4, Accepted)],
            26,
            V4,
            single.clone(),
            Verdict::BlockedSilently,
        ),
        (
            "a port tester that answers nothing at all is not a block",
            vec![tester(26, V4, Outcome::Filtered)],
            vec![control("portquiz.example", V4, TimedOut)],
            26,
            V4,
            single.clone(),
            // Nothing of the family answered, not even 443: the path is
            // broken, which is not a mail block.
            broken.clone(),
        ),
        (
            "a --host that answers 443 (a RST will do) but drops 25 is filtered",
            vec![
                custom(25, Outcome::Filtered),
                custom(587, Outcome::Filtered),
            ],
            vec![control("mail.example.net", V4, Refused)],
            25,
            V4,
            unknown.clone(),
            Verdict::BlockedSilently,
        ),
        (
            "the own host found from --domain drops 26 while the port tester passes: open",
            vec![
                probe("mx.own.example", Role::OwnHost, 26, V4, Outcome::Filtered),
                tester(26, V4, http()),
            ],
            vec![control("mx.own.example", V4, Accepted)],
            26,
            V4,
            Verdict::Open,
            Verdict::Open,
        ),
        (
            "a --host that refuses 25 may simply not listen there, control or not",
            vec![custom(25, Outcome::Refused)],
            vec![control("mail.example.net", V4, Accepted)],
            25,
            V4,
            unknown.clone(),
            unknown.clone(),
        ),
        (
            "every mail port 'network unreachable' while 443 answers: a rejection",
            vec![
                mx("mx.a.example", V4, no_route()),
                mx("mx.b.example", V4, no_route()),
            ],
            vec![control("mx.a.example", V4, Accepted)],
            25,
            V4,
            broken.clone(),
            Verdict::BlockedActively,
        ),
        (
            "every IPv6 probe times out and nothing answers 443 either: a broken route",
            vec![
                mx("mx.a.example", V6, Outcome::Filtered),
                mx("mx.b.example", V6, Outcome::Filtered),
            ],
            vec![
                control("mx.a.example", V6, TimedOut),
                control("mx.b.example", V6, TimedOut),
            ],
            25,
            V6,
            Verdict::BlockedSilently,
            broken.clone(),
        ),
        (
            "every mail port dropped while a host answers 443: blocked",
            vec![
                mx("mx.a.example", V4, Outcome::Filtered),
                mx("mx.b.example", V4, Outcome::Filtered),
            ],
            vec![
                control("mx.a.example", V4, TimedOut),
                control("portquiz.example", V4, Accepted),
            ],
            25,
            V4,
            Verdict::BlockedSilently,
            Verdict::BlockedSilently,
        ),
        (
            "an SMTP greeting from a port tester is interception, control or not",
            vec![tester(26, V4, banner("proxy.isp.example"))],
            vec![control("portquiz.example", V4, Accepted)],
            26,
            V4,
            Verdict::InterceptedSuspected,
            Verdict::InterceptedSuspected,
        ),
        (
            "a port tester that closes after the request: connected, open",
            vec![tester(
                465,
                V4,
                Outcome::PortTester {
                    reply: TesterReply::Closed,
                },
            )],
            vec![],
            465,
            V4,
            Verdict::Open,
            Verdict::Open,
        ),
        (
            "a port tester answering HTTP on 587: open",
            vec![tester(587, V4, http())],
            vec![],
            587,
            V4,
            Verdict::Open,
            Verdict::Open,
        ),
        (
            "a port tester that says nothing to the request: connected, open",
            vec![tester(
                2525,
                V4,
                Outcome::PortTester {
                    reply: TesterReply::Quiet,
                },
            )],
            vec![],
            2525,
            V4,
            Verdict::Open,
            Verdict::Open,
        ),
    ];
    for (name, probes, controls, port, family, without, with) in rows {
        assert_eq!(
            verdict_of(&probes, &[], port, family),
            without,
            "{name}: without controls"
        );
        assert_eq!(
            verdict_of(&probes, &controls, port, family),
            with,
            "{name}: with controls"
        );
    }
}

#[test]
fn this_computers_firewall_is_never_the_providers_block() {
    let firewall = || Outcome::LocalFirewall {
        detail: "Operation not permitted (os error 1)".into(),
    };
    let probes = vec![
        probe("mx.a.example", Role::RecipientMx, 25, V4, firewall()),
        probe("mx.b.example", Role::RecipientMx, 25, V4, firewall()),
        probe(
            "smtp.c.example",
            Role::Submission,
            587,
            V4,
            banner("smtp.c.example"),
        ),
    ];
    let verdicts = classify_with(&probes, &[]);
    let v25 = verdicts.iter().find(|v| v.port == 25).expect("25");
    assert_eq!(v25.verdict, Verdict::BlockedLocally);
    assert_eq!(v25.verdict.label(), "blocked by this computer");
    assert!(!v25.verdict.is_block(), "not the network's doing");
    assert!(v25.why.contains("firewall on this computer"), "{}", v25.why);
    let advice = advise(&verdicts, &Context::default());
    let ids: Vec<AdviceId> = advice.iter().map(|a| a.id).collect();
    assert_eq!(ids.first(), Some(&AdviceId::LocalFirewall), "{ids:?}");
    assert!(!ids.contains(&AdviceId::AskUnblock), "{ids:?}");
    assert!(advice[0].title.contains("port 25"), "{}", advice[0].title);
}

#[test]
fn interception_alone_is_not_a_block_to_lift() {
    // Two unrelated MXes answered by one proxy on IPv4, IPv6 open: nothing
    // is blocked, so nobody is told to ask for an unblock.
    let proxy = || banner("proxy.isp.example");
    let probes = vec![
        probe("mx.a.example", Role::RecipientMx, 25, V4, proxy()),
        probe("mx.b.example", Role::RecipientMx, 25, V4, proxy()),
        probe(
            "mx.a.example",
            Role::RecipientMx,
            25,
            V6,
            banner("mx.a.example"),
        ),
        probe(
            "mx.b.example",
            Role::RecipientMx,
            25,
            V6,
            banner("mx.b.example"),
        ),
        probe(
            "smtp.c.example",
            Role::Submission,
            587,
            V4,
            banner("smtp.c.example"),
        ),
    ];
    let verdicts = classify_with(&probes, &[]);
    let v4 = verdicts
        .iter()
        .find(|v| v.port == 25 && v.family == V4)
        .expect("v4");
    assert_eq!(v4.verdict, Verdict::InterceptedSuspected, "{}", v4.why);
    let ids: Vec<AdviceId> = advise(&verdicts, &Context::default())
        .iter()
        .map(|a| a.id)
        .collect();
    assert!(ids.contains(&AdviceId::InterceptionUseTls), "{ids:?}");
    assert!(!ids.contains(&AdviceId::AskUnblock), "{ids:?}");
}

#[test]
fn hosts_that_refused_are_not_said_to_have_not_answered() {
    let probes = vec![
        probe("a.example.net", Role::Custom, 25, V4, Outcome::Refused),
        probe("b.example.org", Role::Custom, 25, V4, Outcome::Refused),
    ];
    let v = classify_with(&probes, &[]).remove(0);
    assert_eq!(
        v.verdict,
        Verdict::NotTestable {
            reason: NotTestableReason::NoKnownListener
        }
    );
    assert!(v.why.contains("each refused the connection"), "{}", v.why);
    assert!(!v.why.contains("none answered"), "{}", v.why);
    let verdicts = classify_with(&probes, &[]);
    let line = mailport_shared::classify::headline(&verdicts, &probes);
    assert!(line.contains("refused the connection"), "{line}");
    assert!(!line.contains("did not answer"), "{line}");
}
