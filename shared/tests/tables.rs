#![allow(clippy::type_complexity)] // table rows are tuples on purpose
//! Classification and advice as tables: each row is a situation a user can be
//! in, the probes mailport would see, and what it must conclude.
//!
//! Modules:
//! - `classify_rows`: probes → verdict per port and family, one row per outcome.
//! - `advice_rows`: verdicts → the top advice and what must never be advised.

use mailport_shared::classify::{classify, headline, NotTestableReason, Verdict};
use mailport_shared::outcome::{
    DnsFailure, EhloOutcome, Reply, SmtpExchange, TesterReply, TlsOutcome,
};
use mailport_shared::{
    advice, advise, AdviceId, Family, Outcome, ProbeResult, ProbeSpec, Role, Timings,
};

const V4: Family = Family::Ipv4;
const V6: Family = Family::Ipv6;

fn reply(code: u16, line: &str) -> Reply {
    Reply {
        code,
        lines: vec![line.to_string()],
    }
}

/// A normal server: greets as `name`, offers STARTTLS when `tls`.
fn banner(name: &str, tls: bool) -> Outcome {
    let mut ext = vec!["PIPELINING".to_string(), "SIZE 10240000".to_string()];
    if tls {
        ext.push("STARTTLS".into());
    }
    Outcome::Banner(SmtpExchange {
        greeting: reply(220, &format!("{name} ESMTP")),
        ehlo: EhloOutcome::Accepted {
            reply: reply(250, name),
            extensions: ext,
        },
        implicit_tls: false,
        tls: None,
        reflector: None,
    })
}

fn probe(
    host: &str,
    role: Role,
    port: u16,
    family: Family,
    expected: bool,
    outcome: Outcome,
) -> ProbeResult {
    ProbeResult {
        spec: ProbeSpec {
            host: host.into(),
            role,
            port,
            family,
            expected,
        },
        address: None,
        outcome,
        timings: Timings::default(),
    }
}

fn mx(host: &str, family: Family, outcome: Outcome) -> ProbeResult {
    probe(host, Role::RecipientMx, 25, family, true, outcome)
}

/// The same, connected to `address`.
fn mx_at(host: &str, address: &str, outcome: Outcome) -> ProbeResult {
    let mut p = mx(host, V4, outcome);
    p.address = Some(address.parse().expect("an address"));
    p
}

/// A Cisco PIX/ASA in front of a server: masked greeting, EHLO unrecognized.
fn pix() -> Outcome {
    Outcome::Banner(SmtpExchange {
        greeting: reply(220, "*******************************0*2*0**0*2"),
        ehlo: EhloOutcome::Rejected {
            reply: reply(500, "5.5.1 Command unrecognized"),
        },
        implicit_tls: false,
        tls: None,
        reflector: None,
    })
}

/// A server greeting as `name` whose STARTTLS session showed a certificate
/// for `names`.
fn with_cert(name: &str, trusted: bool, name_matches: bool, names: &[&str]) -> Outcome {
    let Outcome::Banner(mut ex) = banner(name, true) else {
        unreachable!("banner() is a banner")
    };
    ex.tls = Some(TlsOutcome::Established {
        version: "TLSv1.3".into(),
        cipher: "TLS13_AES_128_GCM_SHA256".into(),
        trusted,
        name_matches,
        names: names.iter().map(|n| n.to_string()).collect(),
    });
    Outcome::Banner(ex)
}

/// Each host greets on 25 without STARTTLS and on 587 with it.
fn starttls_on_587_only(hosts: &[&str]) -> Vec<ProbeResult> {
    hosts
        .iter()
        .flat_map(|h| {
            [
                probe(h, Role::Submission, 25, V4, false, banner(h, false)),
                probe(h, Role::Submission, 587, V4, true, banner(h, true)),
            ]
        })
        .collect()
}

fn judged(probes: &[ProbeResult], port: u16, family: Family) -> mailport_shared::PortVerdict {
    classify(probes)
        .into_iter()
        .find(|v| v.port == port && v.family == family)
        .unwrap_or_else(|| panic!("no verdict for {port}/{family}"))
}

fn verdict_of(probes: &[ProbeResult], port: u16, family: Family) -> Verdict {
    judged(probes, port, family).verdict
}

#[test]
fn classify_rows() {
    let nr = || Outcome::NoRoute {
        detail: "Network is unreachable (os error 101)".into(),
    };
    let icmp = || Outcome::Unreachable {
        detail: "No route to host (os error 113)".into(),
    };
    let rows: Vec<(&str, Vec<ProbeResult>, u16, Family, Verdict)> = vec![
        (
            "two MXes greet normally",
            vec![
                mx("mx.alpha.example", V4, banner("mx.alpha.example", true)),
                mx("mx.beta.example", V4, banner("mx.beta.example", true)),
            ],
            25,
            V4,
            Verdict::Open,
        ),
        (
            "two MXes time out: silently dropped",
            vec![
                mx("mx.alpha.example", V4, Outcome::Filtered),
                mx("mx.beta.example", V4, Outcome::Filtered),
            ],
            25,
            V4,
            Verdict::BlockedSilently,
        ),
        (
            "two MXes refuse: an MX always listens on 25, so a reset is a block",
            vec![
                mx("mx.alpha.example", V4, Outcome::Refused),
                mx("mx.beta.example", V4, Outcome::Refused),
            ],
            25,
            V4,
            Verdict::BlockedActively,
        ),
        (
            "ICMP administratively prohibited",
            vec![
                mx("mx.alpha.example", V4, icmp()),
                mx("mx.beta.example", V4, icmp()),
            ],
            25,
            V4,
            Verdict::BlockedActively,
        ),
        (
            "reset after connect",
            vec![
                mx("mx.alpha.example", V4, Outcome::Reset),
                mx("mx.beta.example", V4, Outcome::Reset),
            ],
            25,
            V4,
            Verdict::BlockedActively,
        ),
        (
            "a single MX timing out may just be down",
            vec![mx("mx.alpha.example", V4, Outcome::Filtered)],
            25,
            V4,
            Verdict::NotTestable {
                reason: NotTestableReason::SingleHost,
            },
        ),
        (
            "a single host timing out on 25 but up on 587 is blocked",
            vec![
                probe(
                    "mail.gamma.example",
                    Role::Submission,
                    25,
                    V4,
                    true,
                    Outcome::Filtered,
                ),
                probe(
                    "mail.gamma.example",
                    Role::Submission,
                    587,
                    V4,
                    true,
                    banner("mail.gamma.example", true),
                ),
            ],
            25,
            V4,
            Verdict::BlockedSilently,
        ),
        (
            "a refusal from a host not known to listen says nothing",
            vec![
                probe(
                    "own.example",
                    Role::OwnHost,
                    2525,
                    V4,
                    false,
                    Outcome::Refused,
                ),
                probe(
                    "other.example",
                    Role::Custom,
                    2525,
                    V4,
                    false,
                    Outcome::Refused,
                ),
            ],
            2525,
            V4,
            Verdict::NotTestable {
                reason: NotTestableReason::NoKnownListener,
            },
        ),
        (
            "no IPv6 route is not a block",
            vec![
                mx("mx.alpha.example", V6, nr()),
                mx("mx.beta.example", V6, nr()),
            ],
            25,
            V6,
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            },
        ),
        (
            "nothing resolved",
            vec![mx(
                "mx.alpha.example",
                V6,
                Outcome::DnsFailed {
                    reason: DnsFailure::NoAddress,
                },
            )],
            25,
            V6,
            Verdict::NotTestable {
                reason: NotTestableReason::NoAddress,
            },
        ),
        (
            "only private addresses, which are not probed",
            vec![mx(
                "mx.lan.example",
                V4,
                Outcome::DnsFailed {
                    reason: DnsFailure::Forbidden {
                        address: "192.168.1.25".into(),
                    },
                },
            )],
            25,
            V4,
            Verdict::NotTestable {
                reason: NotTestableReason::NotPublic,
            },
        ),
        (
            "both MXes silent after connect: a proxy or tarpit",
            vec![
                mx("mx.alpha.example", V4, Outcome::Silent),
                mx("mx.beta.example", V4, Outcome::Silent),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            // One odd host may be its own problem (overloaded, misconfigured).
            "one MX that speaks HTTP on 25 cannot tell",
            vec![mx(
                "mx.alpha.example",
                V4,
                Outcome::NotSmtp {
                    first_bytes: "HTTP/1.1 400".into(),
                },
            )],
            25,
            V4,
            Verdict::NotTestable {
                reason: NotTestableReason::SingleHost,
            },
        ),
        (
            "two unrelated MXes that speak HTTP on 25",
            vec![
                mx(
                    "mx.alpha.example",
                    V4,
                    Outcome::NotSmtp {
                        first_bytes: "HTTP/1.1 400".into(),
                    },
                ),
                mx(
                    "mx.beta.example",
                    V4,
                    Outcome::NotSmtp {
                        first_bytes: "HTTP/1.1 400".into(),
                    },
                ),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "an MX that closes at once",
            vec![
                mx("mx.alpha.example", V4, Outcome::ClosedEarly),
                mx("mx.beta.example", V4, Outcome::ClosedEarly),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "unrelated MXes return the same greeting: a transparent proxy",
            vec![
                mx("mx.alpha.example", V4, banner("proxy.isp.example", false)),
                mx("mx.beta.example", V4, banner("proxy.isp.example", false)),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            // The recipient's own PIX does this as well as the ISP's: one
            // host is a note, not an accusation.
            "one MX behind a PIX that masks the greeting and refuses EHLO",
            vec![mx("mx.alpha.example", V4, pix())],
            25,
            V4,
            Verdict::Open,
        ),
        (
            "two unrelated MXes behind a PIX",
            vec![
                mx("mx.alpha.example", V4, pix()),
                mx("mx.beta.example", V4, pix()),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "a port tester that greets with SMTP on 25",
            vec![probe(
                "portquiz.example",
                Role::PortEcho,
                25,
                V4,
                true,
                banner("proxy.isp.example", false),
            )],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            // Asked for a page once the quiet moment passed: a port tester
            // speaks HTTP when spoken to, and the connection is the proof.
            "a port tester answering an HTTP request proves the path is open",
            vec![probe(
                "portquiz.example",
                Role::PortEcho,
                26,
                V4,
                true,
                Outcome::PortTester {
                    reply: TesterReply::Http {
                        status_line: "HTTP/1.1 200 OK".into(),
                    },
                },
            )],
            26,
            V4,
            Verdict::Open,
        ),
        (
            // Plenty of submission hosts enable TLS on 587 only.
            "one host offering STARTTLS on 587 but not on 25",
            starttls_on_587_only(&["mail.gamma.example"]),
            25,
            V4,
            Verdict::Open,
        ),
        (
            "two unrelated hosts lose STARTTLS on 25 only",
            starttls_on_587_only(&["mail.gamma.example", "smtp.delta.example"]),
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            // Self-signed, or its hosting company's: common on small MXes.
            "one MX with a certificate for another name",
            vec![mx(
                "mx.alpha.example",
                V4,
                with_cert("mx.alpha.example", false, false, &["proxy.isp.example"]),
            )],
            25,
            V4,
            Verdict::Open,
        ),
        (
            "a well-known MX with a certificate for another name",
            vec![
                mx(
                    "gmail-smtp-in.l.google.com",
                    V4,
                    with_cert("mx.google.com", false, false, &["proxy.isp.example"]),
                ),
                mx(
                    "mx01.mail.icloud.com",
                    V4,
                    banner("mx01.mail.icloud.com", true),
                ),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "a host whose certificate matches on 587 but not on 25",
            vec![
                probe(
                    "mail.gamma.example",
                    Role::Submission,
                    25,
                    V4,
                    false,
                    with_cert("mail.gamma.example", true, false, &["proxy.isp.example"]),
                ),
                probe(
                    "mail.gamma.example",
                    Role::Submission,
                    587,
                    V4,
                    true,
                    with_cert("mail.gamma.example", true, true, &["mail.gamma.example"]),
                ),
            ],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "a well-known MX re-signed by an untrusted authority (a TLS proxy)",
            vec![mx(
                "gmail-smtp-in.l.google.com",
                V4,
                with_cert(
                    "mx.google.com",
                    false,
                    true,
                    &["gmail-smtp-in.l.google.com"],
                ),
            )],
            25,
            V4,
            Verdict::InterceptedSuspected,
        ),
        (
            "a small MX with a self-signed certificate for its own name",
            vec![mx(
                "mx.alpha.example",
                V4,
                with_cert("mx.alpha.example", false, true, &["mx.alpha.example"]),
            )],
            25,
            V4,
            Verdict::Open,
        ),
        (
            "port 25 reaches only the ISP relay",
            vec![
                mx("mx.alpha.example", V4, Outcome::Filtered),
                mx("mx.beta.example", V4, Outcome::Filtered),
                probe(
                    "relay.isp.example",
                    Role::Submission,
                    25,
                    V4,
                    false,
                    banner("relay.isp.example", true),
                ),
            ],
            25,
            V4,
            Verdict::Restricted,
        ),
        (
            "a greeting name unrelated to the target alone is not interception",
            vec![mx(
                "mx.alpha.example",
                V4,
                banner("mta7.outsourced.example", true),
            )],
            25,
            V4,
            Verdict::Open,
        ),
        (
            "implicit TLS that fails on 465 from one submission server",
            vec![probe(
                "smtp.alpha.example",
                Role::Submission,
                465,
                V4,
                true,
                Outcome::TlsFailed {
                    error: "received corrupt message".into(),
                },
            )],
            465,
            V4,
            Verdict::NotTestable {
                reason: NotTestableReason::SingleHost,
            },
        ),
        (
            "implicit TLS that fails on 465 from a server that greets on 587",
            vec![
                probe(
                    "smtp.alpha.example",
                    Role::Submission,
                    465,
                    V4,
                    true,
                    Outcome::TlsFailed {
                        error: "received corrupt message".into(),
                    },
                ),
                probe(
                    "smtp.alpha.example",
                    Role::Submission,
                    587,
                    V4,
                    true,
                    banner("smtp.alpha.example", true),
                ),
            ],
            465,
            V4,
            Verdict::InterceptedSuspected,
        ),
    ];
    for (name, probes, port, family, want) in rows {
        assert_eq!(verdict_of(&probes, port, family), want, "{name}");
    }
}

/// A host that is down, overloaded or odd is not the network: each row is a
/// situation that once produced a block or an accusation from one host, the
/// verdict it must get, and words the why must contain.
#[test]
fn one_host_is_not_the_network() {
    let up = |h: &str| banner(h, true);
    let nr = || Outcome::NoRoute {
        detail: "Network is unreachable (os error 101)".into(),
    };
    let local = || Outcome::LocalError {
        detail: "Too many open files (os error 24)".into(),
    };
    let submission = |h: &str, port: u16, expected: bool, o: Outcome| {
        probe(h, Role::Submission, port, V4, expected, o)
    };
    let single = || Verdict::NotTestable {
        reason: NotTestableReason::SingleHost,
    };
    type Row = (
        &'static str,
        Vec<ProbeResult>,
        u16,
        Verdict,
        Vec<&'static str>,
    );
    let rows: Vec<Row> = vec![
        (
            "--mx A --mx B: A answers, B refuses once",
            vec![
                mx("a.alpha.example", V4, up("a.alpha.example")),
                mx("b.beta.example", V4, Outcome::Refused),
            ],
            25,
            Verdict::Open,
            vec![
                "(a.alpha.example)",
                "b.beta.example refused the connection; it may be down, or not offer port 25",
            ],
        ),
        (
            "default targets: Gmail answers, iCloud times out once",
            vec![
                mx("gmail-smtp-in.l.google.com", V4, up("mx.google.com")),
                mx("mx01.mail.icloud.com", V4, Outcome::Filtered),
            ],
            25,
            Verdict::Open,
            vec!["mx01.mail.icloud.com did not answer"],
        ),
        (
            "two names of one server that is down are one host",
            vec![
                mx_at("a.alpha.example", "192.0.2.1", up("a.alpha.example")),
                mx_at("mx.beta.example", "192.0.2.9", Outcome::Filtered),
                mx_at("mx.gamma.example", "192.0.2.9", Outcome::Filtered),
            ],
            25,
            Verdict::Open,
            vec!["mx.beta.example and mx.gamma.example did not answer; they may be down"],
        ),
        (
            "one host answers, two independent ones known to listen time out",
            vec![
                mx("a.alpha.example", V4, up("a.alpha.example")),
                mx("b.beta.example", V4, Outcome::Filtered),
                mx("c.gamma.example", V4, Outcome::Filtered),
            ],
            25,
            Verdict::Restricted,
            vec!["reaches a.alpha.example but not b.beta.example and c.gamma.example, which are known to listen"],
        ),
        (
            "one host answers, another times out on 25 but greets on 587",
            vec![
                mx("a.alpha.example", V4, up("a.alpha.example")),
                submission("smtp.beta.example", 25, true, Outcome::Filtered),
                submission("smtp.beta.example", 587, true, up("smtp.beta.example")),
            ],
            25,
            Verdict::Restricted,
            vec!["but not smtp.beta.example, which is known to listen:"],
        ),
        (
            // Listening by design is not being up: no single host decides
            // a port alone (control probes tell whether it is up).
            "one host answers, the reflector (always listening) times out",
            vec![
                mx("a.alpha.example", V4, up("a.alpha.example")),
                probe("r.example.com", Role::Reflector, 25, V4, true, Outcome::Filtered),
            ],
            25,
            Verdict::Open,
            vec!["r.example.com did not answer; it may be down"],
        ),
        (
            "one overloaded MX stays silent, nothing else tried",
            vec![mx("a.alpha.example", V4, Outcome::Silent)],
            25,
            single(),
            vec!["a.alpha.example took the connection but did not greet", "Add another host"],
        ),
        (
            "one MX closes at once, another one is down",
            vec![
                mx("a.alpha.example", V4, Outcome::ClosedEarly),
                mx("b.beta.example", V4, Outcome::Filtered),
            ],
            25,
            single(),
            vec!["a.alpha.example took the connection", "b.beta.example did not answer"],
        ),
        (
            "one MX silent while another greets",
            vec![
                mx("a.alpha.example", V4, Outcome::Silent),
                mx("b.beta.example", V4, up("b.beta.example")),
            ],
            25,
            Verdict::Open,
            vec!["a.alpha.example took the connection but did not greet normally; it may be overloaded"],
        ),
        (
            "two names of one silent server are one host",
            vec![
                mx_at("mx.alpha.example", "192.0.2.9", Outcome::Silent),
                mx_at("mx.beta.example", "192.0.2.9", Outcome::Silent),
            ],
            25,
            single(),
            vec!["they may simply be down or overloaded"],
        ),
        (
            "a host known on 25 silent there but greeting on 587",
            vec![
                submission("smtp.beta.example", 25, true, Outcome::Silent),
                submission("smtp.beta.example", 587, true, up("smtp.beta.example")),
            ],
            25,
            Verdict::InterceptedSuspected,
            vec!["no normal mail-server greeting"],
        ),
        (
            "a router says network unreachable on 25 while IPv4 connects on 587",
            vec![
                mx("a.alpha.example", V4, nr()),
                mx("b.beta.example", V4, nr()),
                submission("smtp.gamma.example", 587, true, up("smtp.gamma.example")),
            ],
            25,
            Verdict::BlockedActively,
            vec!["network unreachable", "a rejection, not a missing route"],
        ),
        (
            "network unreachable on 25 from the host that greets on 587",
            vec![
                submission("smtp.gamma.example", 25, true, nr()),
                submission("smtp.gamma.example", 587, true, up("smtp.gamma.example")),
            ],
            25,
            Verdict::BlockedActively,
            vec!["rejected (smtp.gamma.example), though this host accepts mail there."],
        ),
        (
            "network unreachable everywhere is still no route",
            vec![mx("a.alpha.example", V4, nr()), mx("b.beta.example", V4, nr())],
            25,
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            },
            vec!["not a block"],
        ),
        (
            "resets from hosts not known to listen say nothing",
            vec![
                probe("own.example", Role::Custom, 2525, V4, false, Outcome::Reset),
                probe("other.example", Role::Custom, 2525, V4, false, Outcome::Reset),
            ],
            2525,
            Verdict::NotTestable {
                reason: NotTestableReason::NoKnownListener,
            },
            vec!["other.example and own.example accepted the connection on port 2525, but no mail server greeted; they are not known to run mail there"],
        ),
        (
            "a reset from one host not known to listen says nothing",
            vec![probe("own.example", Role::Custom, 2525, V4, false, Outcome::Reset)],
            2525,
            Verdict::NotTestable {
                reason: NotTestableReason::NoKnownListener,
            },
            vec!["greeted; it is not known to run mail there"],
        ),
        (
            "one MX behind its own PIX beside one that greets normally",
            vec![
                mx("a.alpha.example", V4, up("a.alpha.example")),
                mx("b.beta.example", V4, pix()),
            ],
            25,
            Verdict::Open,
            vec!["What looked odd about b.beta.example is shown as a note: that server's own setup explains it"],
        ),
        (
            // Routers send only so many rejections (Linux: one ICMPv6
            // error a second per destination): one rejection among
            // timeouts is the network's answer.
            "one rejection among timeouts is a rejection, both listed",
            vec![
                mx("a.alpha.example", V4, Outcome::Filtered),
                mx("b.beta.example", V4, Outcome::Refused),
                mx("c.gamma.example", V4, Outcome::Filtered),
            ],
            25,
            Verdict::BlockedActively,
            vec![
                "rejected (b.beta.example)",
                "Those to a.alpha.example and c.gamma.example time out: routers send only so many rejections",
            ],
        ),
        (
            "more rejected than dropped lists both",
            vec![
                mx("a.alpha.example", V4, Outcome::Filtered),
                mx("b.beta.example", V4, Outcome::Refused),
                mx("c.gamma.example", V4, Outcome::Refused),
            ],
            25,
            Verdict::BlockedActively,
            vec![
                "rejected (b.beta.example and c.gamma.example), though these hosts accept mail there",
                "Those to a.alpha.example time out",
            ],
        ),
        (
            "this machine ran out of sockets",
            vec![mx("a.alpha.example", V4, local()), mx("b.beta.example", V4, local())],
            25,
            Verdict::NotTestable {
                reason: NotTestableReason::LocalError,
            },
            vec!["This machine could not open connections (Too many open files (os error 24))"],
        ),
        (
            "local errors beside hosts that may not listen",
            vec![
                mx("a.alpha.example", V4, local()),
                probe("own.example", Role::OwnHost, 25, V4, false, Outcome::Refused),
            ],
            25,
            Verdict::NotTestable {
                reason: NotTestableReason::LocalError,
            },
            vec!["says nothing about the network"],
        ),
        (
            // A server typed in as a submission host may simply not offer 465.
            "a submission host up on 587 refuses 465: no block",
            vec![
                submission("smtp.alpha.example", 587, true, up("smtp.alpha.example")),
                submission("smtp.alpha.example", 465, true, Outcome::Refused),
            ],
            465,
            single(),
            vec!["smtp.alpha.example refused the connection", "not offer port 465"],
        ),
        (
            // A timeout from a host that is up is the path's doing.
            "a submission host up on 587 times out on 465: dropped",
            vec![
                submission("smtp.alpha.example", 587, true, up("smtp.alpha.example")),
                submission("smtp.alpha.example", 465, true, Outcome::Filtered),
            ],
            465,
            Verdict::BlockedSilently,
            vec!["time out (smtp.alpha.example)"],
        ),
        (
            // smtp.gmail.com is known to listen on 465: its refusal there,
            // while 587 works, is the network's.
            "a well-known host up on 587 refuses 465: rejected",
            vec![
                submission("smtp.gmail.com", 587, true, up("smtp.gmail.com")),
                submission("smtp.gmail.com", 465, true, Outcome::Refused),
            ],
            465,
            Verdict::BlockedActively,
            vec!["rejected (smtp.gmail.com)"],
        ),
        (
            "local errors do not hide a block the other probes show",
            vec![
                mx("a.alpha.example", V4, local()),
                mx("b.beta.example", V4, Outcome::Filtered),
                mx("c.gamma.example", V4, Outcome::Filtered),
            ],
            25,
            Verdict::BlockedSilently,
            vec!["b.beta.example and c.gamma.example"],
        ),
    ];
    for (name, probes, port, want, words) in rows {
        let v = judged(&probes, port, V4);
        assert_eq!(v.verdict, want, "{name}: {}", v.why);
        for w in words {
            assert!(v.why.contains(w), "{name}: \"{w}\" not in \"{}\"", v.why);
        }
    }
}

#[test]
fn interception_evidence_is_explained() {
    let probes = vec![
        mx("mx.alpha.example", V4, banner("proxy.isp.example", false)),
        mx("mx.beta.example", V4, banner("proxy.isp.example", false)),
    ];
    let v = &classify(&probes)[0];
    assert!(!v.evidence.is_empty());
    assert!(
        v.evidence
            .iter()
            .any(|e| e.detail.contains("same greeting")),
        "{:?}",
        v.evidence
    );
}

fn verdicts_for(table: &[(u16, Family, Outcome)]) -> Vec<mailport_shared::PortVerdict> {
    classify(&probes_for(table))
}

fn probes_for(table: &[(u16, Family, Outcome)]) -> Vec<ProbeResult> {
    // Two independent hosts per port, each known to listen there.
    let mut probes = Vec::new();
    for (port, family, outcome) in table {
        for host in ["a.alpha.example", "b.beta.example"] {
            let role = match port {
                25 => Role::RecipientMx,
                465 | 587 => Role::Submission,
                _ => Role::Custom,
            };
            let outcome = match outcome {
                Outcome::Banner(_) => banner(host, true),
                o => o.clone(),
            };
            probes.push(probe(host, role, *port, *family, true, outcome));
        }
    }
    probes
}

fn ids(verdicts: &[mailport_shared::PortVerdict]) -> Vec<AdviceId> {
    advise(verdicts, &advice::Context::default())
        .iter()
        .map(|a| a.id)
        .collect()
}

#[test]
fn advice_rows() {
    let open = || banner("x", true);
    let rows: Vec<(&str, Vec<(u16, Family, Outcome)>, AdviceId, Vec<AdviceId>)> = vec![
        (
            "everything open",
            vec![(25, V4, open()), (587, V4, open())],
            AdviceId::DirectDeliveryOk,
            vec![
                AdviceId::Submit587,
                AdviceId::AskUnblock,
                AdviceId::No587ToMx,
            ],
        ),
        (
            "25 dropped, 587 open: submit on 587",
            vec![
                (25, V4, Outcome::Filtered),
                (465, V4, open()),
                (587, V4, open()),
            ],
            AdviceId::Submit587,
            vec![AdviceId::DirectDeliveryOk],
        ),
        (
            "25 and 587 blocked, 465 open (Hetzner-style the other way round)",
            vec![
                (25, V4, Outcome::Filtered),
                (465, V4, open()),
                (587, V4, Outcome::Refused),
            ],
            AdviceId::Submit465,
            vec![AdviceId::Submit587, AdviceId::DirectDeliveryOk],
        ),
        (
            "only 2525 open",
            vec![
                (25, V4, Outcome::Filtered),
                (465, V4, Outcome::Filtered),
                (587, V4, Outcome::Filtered),
                (2525, V4, open()),
            ],
            AdviceId::AltPort2525,
            vec![AdviceId::Submit587, AdviceId::Submit465],
        ),
        (
            "only 26 open",
            vec![
                (25, V4, Outcome::Filtered),
                (587, V4, Outcome::Filtered),
                (26, V4, open()),
            ],
            AdviceId::AltPort26,
            vec![AdviceId::Submit587],
        ),
        (
            "every mail port blocked",
            vec![
                (25, V4, Outcome::Filtered),
                (26, V4, Outcome::Filtered),
                (465, V4, Outcome::Filtered),
                (587, V4, Outcome::Filtered),
                (2525, V4, Outcome::Filtered),
            ],
            // Nothing passes, not even the ISP's submission port: the cause is
            // usually local (firewall, VPN), so that comes first.
            AdviceId::CheckLocalNetwork,
            vec![AdviceId::Submit587, AdviceId::DirectDeliveryOk],
        ),
        (
            "25 intercepted",
            vec![(25, V4, Outcome::Silent), (587, V4, open())],
            AdviceId::InterceptionUseTls,
            vec![AdviceId::DirectDeliveryOk],
        ),
        (
            "25 open on IPv6 only",
            vec![(25, V4, Outcome::Filtered), (25, V6, open())],
            AdviceId::DirectDeliveryOk,
            vec![],
        ),
        (
            "no IPv6 route, IPv4 open",
            vec![
                (25, V4, open()),
                (
                    25,
                    V6,
                    Outcome::NoRoute {
                        detail: "Network is unreachable".into(),
                    },
                ),
            ],
            AdviceId::DirectDeliveryOk,
            vec![AdviceId::AskUnblock],
        ),
    ];
    for (name, table, top, never) in rows {
        let verdicts = verdicts_for(&table);
        let got = ids(&verdicts);
        assert_eq!(got.first(), Some(&top), "{name}: {got:?}");
        // An alternative ("Or …") needs something before it.
        let first = &advise(&verdicts, &advice::Context::default())[0];
        assert!(!first.title.starts_with("Or "), "{name}: {}", first.title);
        for n in never {
            assert!(
                !got.contains(&n),
                "{name}: {n:?} must not be advised, got {got:?}"
            );
        }
    }
}

#[test]
fn blocked_25_always_warns_against_587_to_an_mx() {
    let verdicts = verdicts_for(&[(25, V4, Outcome::Filtered), (587, V4, banner("x", true))]);
    let advice = advise(&verdicts, &advice::Context::default());
    assert!(advice.iter().any(|a| a.id == AdviceId::No587ToMx));
    // And no advice text ever suggests delivering to an MX on 587.
    for a in &advice {
        let text = format!("{} {}", a.title, a.why).to_lowercase();
        assert!(
            !text.contains("mx on 587") || a.id == AdviceId::No587ToMx,
            "{text}"
        );
    }
}

#[test]
fn ipv6_only_advice_names_families() {
    let verdicts = verdicts_for(&[(25, V4, Outcome::Filtered), (25, V6, banner("x", true))]);
    let advice = advise(&verdicts, &advice::Context::default());
    let prefer = advice
        .iter()
        .find(|a| a.id == AdviceId::PreferWorkingFamily)
        .expect("prefer-family advice");
    assert!(
        prefer.title.contains("IPv6") && prefer.title.contains("IPv4"),
        "{}",
        prefer.title
    );
}

#[test]
fn headlines() {
    let rows: Vec<(Vec<(u16, Family, Outcome)>, &str)> = vec![
        (
            vec![(25, V4, Outcome::Filtered), (25, V6, banner("x", true))],
            "Your network silently drops outgoing port 25 on IPv4; IPv6 is open.",
        ),
        (
            vec![(25, V4, banner("x", true)), (25, V6, banner("x", true))],
            "Outgoing port 25 is open on IPv4 and IPv6.",
        ),
        (
            vec![(25, V4, Outcome::Refused), (587, V4, banner("x", true))],
            "Outgoing port 25 is actively rejected on IPv4. Submission port 587 is open.",
        ),
        (
            vec![
                (25, V4, banner("x", true)),
                (
                    25,
                    V6,
                    Outcome::NoRoute {
                        detail: String::new(),
                    },
                ),
            ],
            "Outgoing port 25 is open on IPv4; this machine has no IPv6 route.",
        ),
    ];
    for (table, want) in rows {
        let probes = probes_for(&table);
        assert_eq!(headline(&classify(&probes), &probes), want);
    }
}

/// When no port could be judged, the headline says so and why, and no advice
/// assumes a block that was never measured.
#[test]
fn nothing_judged_is_said_plainly() {
    use mailport_shared::outcome::DnsFailure;
    let own = |port: u16, family: Family, outcome: Outcome| {
        probe(
            "mail.own.example",
            Role::OwnHost,
            port,
            family,
            false,
            outcome,
        )
    };
    let no_route = || Outcome::NoRoute {
        detail: String::new(),
    };
    let dns = |reason: DnsFailure| Outcome::DnsFailed { reason };
    type Row = (&'static str, Vec<ProbeResult>, &'static str);
    let rows: Vec<Row> = vec![
        (
            "--domain only: the user's own host refuses everything",
            vec![
                own(25, V4, Outcome::Refused),
                own(465, V4, Outcome::Refused),
                own(587, V4, Outcome::Filtered),
            ],
            "Nothing could be judged: the hosts tried refused the connection or did not answer, and they may simply be down or not listen there. That says nothing about your network: test against hosts known to accept mail.",
        ),
        (
            "the DNS server times out",
            vec![
                own(25, V4, dns(DnsFailure::Timeout)),
                own(587, V4, dns(DnsFailure::Timeout)),
            ],
            "Nothing could be judged: the DNS server did not answer in time. That says nothing about your network's mail ports: check the names and that this machine can resolve them, then try again.",
        ),
        (
            "the name does not exist",
            vec![own(25, V4, dns(DnsFailure::NxDomain))],
            "Nothing could be judged: the target names do not exist in DNS. That says nothing about your network's mail ports: check the names and that this machine can resolve them, then try again.",
        ),
        (
            "only private addresses, without --allow-private",
            vec![own(
                25,
                V4,
                dns(DnsFailure::Forbidden {
                    address: "10.0.0.1".into(),
                }),
            )],
            "Nothing could be judged: every target is a private or local address, which is not probed without --allow-private. That says nothing about your network: test against hosts known to accept mail.",
        ),
        (
            "no IPv6 at all, -6 asked",
            vec![own(25, V6, no_route()), own(587, V6, no_route())],
            "Nothing could be tested: this machine has no IPv6 route. That is not a block.",
        ),
        (
            "this machine ran out of file descriptors",
            vec![
                own(25, V4, Outcome::LocalError {
                    detail: "Too many open files (os error 24)".into(),
                }),
                own(587, V4, Outcome::LocalError {
                    detail: "Too many open files (os error 24)".into(),
                }),
            ],
            "Nothing could be judged: this machine could not open connections (Too many open files (os error 24)). That says nothing about your network: close programs holding many connections or raise the open-file limit, then try again.",
        ),
    ];
    for (name, probes, want) in rows {
        let verdicts = classify(&probes);
        assert!(
            verdicts
                .iter()
                .all(|v| matches!(v.verdict, Verdict::NotTestable { .. })),
            "{name}: {verdicts:?}"
        );
        assert_eq!(headline(&verdicts, &probes), want, "{name}");
        let advice = advise(&verdicts, &advice::Context::default());
        for never in [
            AdviceId::AskUnblock,
            AdviceId::IspRelay,
            AdviceId::InboundReflector,
            AdviceId::CheckLocalNetwork,
        ] {
            assert!(
                advice.iter().all(|a| a.id != never),
                "{name}: {never:?} assumes a block: {advice:?}"
            );
        }
        if let Some(first) = advice.first() {
            assert!(!first.title.starts_with("Or "), "{name}: {}", first.title);
        }
        // When DNS is what failed, the first advice says so, not "add hosts".
        let dns_only = probes.iter().all(|p| {
            matches!(p.outcome, Outcome::DnsFailed { ref reason }
                if !matches!(reason, DnsFailure::Forbidden { .. }))
        });
        let first = advice.first().map(|a| a.title.as_str()).unwrap_or_default();
        assert_eq!(
            first.contains("DNS gave no address"),
            dns_only,
            "{name}: {first}"
        );
    }
    // Port 25 untestable by itself: testing again comes first.
    let verdicts = classify(&[own(25, V4, Outcome::Refused)]);
    assert_eq!(ids(&verdicts).first(), Some(&AdviceId::TestAgain));
    // The DNS cause reaches the per-port sentence too.
    let verdicts = classify(&[own(25, V4, dns(DnsFailure::Timeout))]);
    assert_eq!(
        verdicts[0].why,
        "The DNS server did not answer in time, so IPv4 could not be tested."
    );
    // The headline takes the cause from the probes, not by parsing the
    // port's sentence back: a reworded (or translated) why changes nothing.
    let probes = [own(25, V4, dns(DnsFailure::NxDomain))];
    let mut verdicts = classify(&probes);
    verdicts[0].why = "Ce nom n'existe pas.".into();
    assert!(
        headline(&verdicts, &probes)
            .starts_with("Nothing could be judged: the target names do not exist in DNS."),
        "{}",
        headline(&verdicts, &probes)
    );
}

#[test]
fn an_unknown_host_that_connects_is_not_said_to_be_silent() {
    // A host given with --host, not known to run mail on 26: it took the
    // connection and said nothing (tarpit, proxy, or another service).
    let probes = vec![
        probe("own.example", Role::Custom, 26, V4, false, Outcome::Silent),
        probe("own.example", Role::Custom, 25, V4, false, Outcome::Refused),
    ];
    let verdicts = classify(&probes);
    let why = |port: u16| {
        verdicts
            .iter()
            .find(|v| v.port == port)
            .map(|v| (v.verdict.clone(), v.why.clone()))
    };
    let not_testable = Verdict::NotTestable {
        reason: NotTestableReason::NoKnownListener,
    };
    let (v26, why26) = why(26).expect("26 judged");
    assert_eq!(v26, not_testable);
    assert!(
        why26.starts_with("own.example accepted the connection on port 26"),
        "{why26}"
    );
    assert!(!why26.contains("none answered"), "{why26}");
    let (v25, why25) = why(25).expect("25 judged");
    assert_eq!(v25, not_testable);
    // A RST is an answer: "none answered" would be wrong.
    assert!(why25.contains("each refused the connection"), "{why25}");
    assert!(!why25.contains("none answered"), "{why25}");
}

#[test]
fn submission_not_judged_is_not_called_unusable() {
    let sub_refused = probe(
        "smtp.own.example",
        Role::OwnHost,
        587,
        V4,
        false,
        Outcome::Refused,
    );
    let mut probes = vec![sub_refused];
    probes.extend(
        ["a.alpha.example", "b.beta.example"]
            .map(|h| probe(h, Role::RecipientMx, 25, V4, true, Outcome::Filtered)),
    );
    assert_eq!(
        headline(&classify(&probes), &probes),
        "Outgoing port 25 is silently dropped on IPv4. Submission ports 465 and 587 could not be judged."
    );
}

/// The DNS server says that the well-known default targets do not exist (a
/// company DNS that knows only internal names, a resolver with no way out):
/// the resolver is the cause, not the names, and nothing about the mail
/// ports is known, so no workaround is advised. A name the user typed that
/// does not exist stays "check the names".
#[test]
fn a_dns_server_that_denies_well_known_names_is_named_as_the_cause() {
    let nx = || Outcome::DnsFailed {
        reason: DnsFailure::NxDomain,
    };
    let mut probes = Vec::new();
    for family in [V4, V6] {
        for (host, role, port) in [
            ("gmail-smtp-in.l.google.com", Role::RecipientMx, 25),
            ("mx01.mail.icloud.com", Role::RecipientMx, 25),
            ("smtp.gmail.com", Role::Submission, 587),
        ] {
            probes.push(probe(host, role, port, family, true, nx()));
        }
    }
    let verdicts = classify(&probes);
    assert!(
        verdicts.iter().all(|v| v.verdict
            == Verdict::NotTestable {
                reason: NotTestableReason::DnsBroken
            }),
        "{verdicts:?}"
    );
    assert_eq!(
        verdicts[0].why,
        "The DNS server says that gmail-smtp-in.l.google.com does not exist, and it does: this machine cannot look up names on the internet, so IPv4 could not be tested."
    );
    let head = headline(&verdicts, &probes);
    assert!(
        head.starts_with("Nothing could be tested: the DNS server says that gmail-smtp-in.l.google.com does not exist, and it does"),
        "{head}"
    );
    assert!(head.contains("--dns 1.1.1.1"), "{head}");
    assert!(!head.contains("check the names"), "{head}");
    let advice = advise(&verdicts, &advice::Context::default());
    let ids: Vec<AdviceId> = advice.iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![AdviceId::TestAgain], "{advice:?}");
    assert!(advice[0].why.contains("--dns 1.1.1.1"), "{:?}", advice[0]);
    assert!(
        !advice[0].why.contains("Check the names"),
        "{:?}",
        advice[0]
    );

    // One name of the user's that does not exist: the name is the suspect.
    let own = [probe("mail.own.example", Role::OwnHost, 25, V4, true, nx())];
    let verdicts = classify(&own);
    assert_eq!(
        verdicts[0].verdict,
        Verdict::NotTestable {
            reason: NotTestableReason::NoAddress
        }
    );
    assert!(headline(&verdicts, &own).contains("check the names"));
    // A default target that timed out while another name was denied: not
    // every answer was "does not exist", so nothing is claimed about DNS.
    let mixed = [
        probe(
            "gmail-smtp-in.l.google.com",
            Role::RecipientMx,
            25,
            V4,
            true,
            Outcome::DnsFailed {
                reason: DnsFailure::Timeout,
            },
        ),
        probe("mail.own.example", Role::OwnHost, 25, V4, true, nx()),
    ];
    assert_eq!(
        classify(&mixed)[0].verdict,
        Verdict::NotTestable {
            reason: NotTestableReason::NoAddress
        }
    );
}
