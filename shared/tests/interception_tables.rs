//! Interception heuristics and reflector proofs as tables: each row is what
//! an ISP's middlebox does, the probes mailport sees, and the evidence and
//! verdict it must show. The netsim bench (tests/netsim) checks the same rows
//! against real middleboxes; these keep the logic honest without root.

use mailport_shared::classify::{classify, headline, NotTestableReason, PortVerdict, Verdict};
use mailport_shared::interception::{detect, EvidenceKind};
use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange, TlsOutcome};
use mailport_shared::reflector::{ProofStatus, ReflectorProof};
use mailport_shared::{
    advice, advise, AdviceId, Family, Outcome, ProbeResult, ProbeSpec, Role, Timings,
};

const V4: Family = Family::Ipv4;

fn reply(code: u16, line: &str) -> Reply {
    Reply {
        code,
        lines: vec![line.to_string()],
    }
}

fn exchange(greeting: &str, starttls: bool) -> SmtpExchange {
    let name = greeting
        .split_whitespace()
        .next()
        .unwrap_or("x")
        .to_string();
    let mut extensions = vec!["PIPELINING".to_string()];
    if starttls {
        extensions.push("STARTTLS".into());
    }
    SmtpExchange {
        greeting: reply(220, greeting),
        ehlo: EhloOutcome::Accepted {
            reply: reply(250, &name),
            extensions,
        },
        implicit_tls: false,
        tls: None,
        reflector: None,
    }
}

fn banner(greeting: &str, starttls: bool) -> Outcome {
    Outcome::Banner(exchange(greeting, starttls))
}

fn probe(host: &str, role: Role, port: u16, outcome: Outcome) -> ProbeResult {
    ProbeResult {
        spec: ProbeSpec {
            host: host.into(),
            role,
            port,
            family: V4,
            expected: role.listens_on(port),
        },
        address: None,
        outcome,
        timings: Default::default(),
    }
}

fn proof(status: ProofStatus, seen: &str, local: &str) -> Option<Box<ReflectorProof>> {
    Some(Box::new(ReflectorProof {
        status,
        detail: match status {
            ProofStatus::Genuine => "signed".into(),
            ProofStatus::Unverified => "the server answered \"502 5.5.2\"".into(),
            ProofStatus::Busy => "the reflector is busy".into(),
        },
        seen_address: seen.parse().ok(),
        seen_port: Some(25),
        listening: vec![25],
        local_address: local.parse().ok(),
        public_address: None,
    }))
}

/// A genuine proof whose check also learned the public address.
fn proof_behind(seen: &str, local: &str, public: &str) -> Option<Box<ReflectorProof>> {
    let mut p = proof(ProofStatus::Genuine, seen, local)?;
    p.compare_with_public(public.parse().ok());
    Some(p)
}

fn reflector(port: u16, greeting: &str, p: Option<Box<ReflectorProof>>) -> ProbeResult {
    let mut ex = exchange(greeting, false);
    ex.reflector = p;
    probe(
        "reflector.example.com",
        Role::Reflector,
        port,
        Outcome::Banner(ex),
    )
}

/// Honest servers on 25 and 587 (the baseline every row modifies).
fn honest() -> Vec<ProbeResult> {
    vec![
        probe(
            "mx1.example.net",
            Role::RecipientMx,
            25,
            banner("mx1.example.net ESMTP Postfix", true),
        ),
        probe(
            "mx2.example.org",
            Role::RecipientMx,
            25,
            banner("mx2.example.org ESMTP Postfix", true),
        ),
        probe(
            "smtp.example.net",
            Role::Submission,
            25,
            banner("mx1.example.net ESMTP Postfix", true),
        ),
        probe(
            "smtp.example.net",
            Role::Submission,
            587,
            with_tls(
                exchange("mx1.example.net ESMTP Postfix", true),
                true,
                true,
                &["mx1.example.net", "smtp.example.net"],
            ),
        ),
    ]
}

/// `ex` after a TLS session whose certificate names `names`.
fn with_tls(mut ex: SmtpExchange, trusted: bool, name_matches: bool, names: &[&str]) -> Outcome {
    ex.tls = Some(TlsOutcome::Established {
        version: "TLSv1.3".into(),
        cipher: "TLS13_AES_128_GCM_SHA256".into(),
        trusted,
        name_matches,
        names: names.iter().map(|n| n.to_string()).collect(),
    });
    Outcome::Banner(ex)
}

fn verdict_for(probes: &[ProbeResult], port: u16) -> PortVerdict {
    classify(probes)
        .into_iter()
        .find(|v| v.port == port && v.family == V4)
        .unwrap_or_else(|| panic!("no verdict for {port}"))
}

fn verdict25(probes: &[ProbeResult]) -> Verdict {
    verdict_for(probes, 25).verdict
}

fn kinds(probes: &[ProbeResult]) -> Vec<EvidenceKind> {
    let mut k: Vec<EvidenceKind> = detect(probes).into_iter().map(|e| e.kind).collect();
    k.dedup();
    k
}

#[test]
fn middleboxes() {
    use EvidenceKind::*;
    let proxy = "smtp-proxy.isp.example ESMTP Postfix";
    let pix = "****************************2******0*******0****0*";
    let with25 = |f: &dyn Fn(&str) -> Outcome| -> Vec<ProbeResult> {
        honest()
            .into_iter()
            .map(|mut p| {
                if p.spec.port == 25 {
                    p.outcome = f(&p.spec.host);
                }
                p
            })
            .collect()
    };
    let rows: Vec<(&str, Vec<ProbeResult>, Vec<EvidenceKind>, Verdict)> = vec![
        ("honest servers", honest(), vec![], Verdict::Open),
        (
            "transparent proxy MTA: one greeting for all, STARTTLS stripped",
            with25(&|_| banner(proxy, false)),
            vec![GreetingNameMismatch, StartTlsMissing, SameGreeting],
            Verdict::InterceptedSuspected,
        ),
        (
            // Two operators (mx1 and smtp are example.net) with one nameless
            // greeting is not yet "the same greeting": see the netsim rows
            // for three.
            "PIX MailGuard: masked greeting, EHLO refused",
            with25(&|_| {
                let mut ex = exchange(pix, false);
                ex.ehlo = EhloOutcome::Rejected {
                    reply: reply(500, "5.5.1 Command unrecognized: \"XXXX\""),
                };
                Outcome::Banner(ex)
            }),
            vec![MaskedGreeting, EhloRefused],
            Verdict::InterceptedSuspected,
        ),
        (
            "tarpit on 25 only",
            with25(&|_| Outcome::Silent),
            vec![TarpitOn25],
            Verdict::InterceptedSuspected,
        ),
        (
            "proxy presenting its own certificate",
            with25(&|host| {
                let mut ex = exchange(&format!("{host} ESMTP"), true);
                ex.tls = Some(TlsOutcome::Established {
                    version: "TLSv1.3".into(),
                    cipher: "TLS13_AES_128_GCM_SHA256".into(),
                    trusted: false,
                    name_matches: false,
                    names: vec!["proxy.isp.example".into()],
                });
                Outcome::Banner(ex)
            }),
            vec![CertificateMismatch],
            Verdict::InterceptedSuspected,
        ),
        (
            "an honest server with an unrelated greeting name is not accused",
            with25(&|host| {
                if host == "mx2.example.org" {
                    banner("outbound.mailhost.example ESMTP", true)
                } else {
                    banner(&format!("{host} ESMTP"), true)
                }
            }),
            vec![GreetingNameMismatch],
            Verdict::Open,
        ),
    ];
    for (name, probes, want, verdict) in rows {
        let got = kinds(&probes);
        for k in &want {
            assert!(got.contains(k), "{name}: {k:?} missing from {got:?}");
        }
        for k in &got {
            assert!(want.contains(k), "{name}: unexpected {k:?} in {got:?}");
        }
        assert_eq!(verdict25(&probes), verdict, "{name}");
        for e in detect(&probes) {
            assert!(!e.detail.is_empty(), "{name}: {e:?} has no words");
        }
    }
}

#[test]
fn reflector_proofs() {
    use EvidenceKind::*;
    let genuine = proof(ProofStatus::Genuine, "192.0.2.10", "192.0.2.10");
    let greeting = "reflector.example.com ESMTP mailport-reflector";
    let rows: Vec<(&str, ProbeResult, Vec<EvidenceKind>, Verdict)> = vec![
        (
            "signed by the reflector: reached",
            reflector(25, greeting, genuine.clone()),
            vec![],
            Verdict::Open,
        ),
        (
            "signed from another address, public address unknown: a home NAT, nothing shown",
            reflector(
                25,
                greeting,
                proof(ProofStatus::Genuine, "203.0.113.7", "192.168.1.20"),
            ),
            vec![],
            Verdict::Open,
        ),
        (
            "signed from the public address: an ordinary NAT, nothing shown",
            reflector(
                25,
                greeting,
                proof_behind("203.0.113.7", "192.168.1.20", "203.0.113.7"),
            ),
            vec![],
            Verdict::Open,
        ),
        (
            "signed from another address than the public one: shown, not an accusation",
            reflector(
                25,
                greeting,
                proof_behind("198.51.100.1", "192.168.1.20", "203.0.113.7"),
            ),
            vec![AddressTranslated],
            Verdict::Open,
        ),
        (
            "a busy reflector proves nothing and is not evidence",
            {
                let mut p = reflector(25, "", proof(ProofStatus::Busy, "", "192.0.2.10"));
                if let Outcome::Banner(ex) = &mut p.outcome {
                    ex.greeting = reply(
                        421,
                        "reflector.example.com mailport-reflector busy: too many connections from your address",
                    );
                    ex.ehlo = EhloOutcome::NotSent;
                }
                p
            },
            vec![],
            Verdict::NotTestable {
                reason: mailport_shared::classify::NotTestableReason::NoKnownListener,
            },
        ),
        (
            "a greeting without a valid signature: intercepted",
            reflector(
                25,
                "smtp-proxy.isp.example ESMTP Postfix",
                proof(ProofStatus::Unverified, "", "192.0.2.10"),
            ),
            vec![ReflectorUnverified, GreetingNameMismatch],
            Verdict::InterceptedSuspected,
        ),
        (
            "a greeting and no proof at all: intercepted",
            reflector(25, greeting, None),
            vec![ReflectorUnverified],
            Verdict::InterceptedSuspected,
        ),
        (
            "the reflector connection stays silent: something sits in between",
            probe(
                "reflector.example.com",
                Role::Reflector,
                25,
                Outcome::Silent,
            ),
            vec![ReflectorUnverified],
            Verdict::InterceptedSuspected,
        ),
        (
            // No single host decides a port alone, whatever its role: a
            // reflector that times out and answers nothing else may be down.
            "the reflector alone times out: it may be down, not a block",
            probe(
                "reflector.example.com",
                Role::Reflector,
                25,
                Outcome::Filtered,
            ),
            vec![],
            Verdict::NotTestable {
                reason: NotTestableReason::SingleHost,
            },
        ),
    ];
    for (name, p, want, verdict) in rows {
        let probes = vec![p];
        assert_eq!(kinds(&probes), want, "{name}");
        assert_eq!(verdict25(&probes), verdict, "{name}");
    }

    // A busy reflector beside honest servers: judged by them, open.
    let mut probes = honest();
    let mut busy = reflector(25, "", proof(ProofStatus::Busy, "", "192.0.2.10"));
    if let Outcome::Banner(ex) = &mut busy.outcome {
        ex.greeting = reply(421, "reflector.example.com mailport-reflector busy: full");
        ex.ehlo = EhloOutcome::NotSent;
    }
    probes.push(busy);
    assert_eq!(kinds(&probes), Vec::<EvidenceKind>::new());
    assert_eq!(verdict25(&probes), Verdict::Open);
    let verdicts = classify(&probes);
    let v25 = verdicts.iter().find(|v| v.port == 25).expect("25");
    assert!(
        !v25.reached.iter().any(|h| h == "reflector.example.com"),
        "a busy reflector is not a host that answered: {:?}",
        v25.reached
    );

    // The proof outweighs looking normal: the MX greetings look honest, but
    // the reflector on the same port was answered by someone else.
    let mut probes = honest();
    probes.push(reflector(25, "mx1.example.net ESMTP Postfix", None));
    assert_eq!(verdict25(&probes), Verdict::InterceptedSuspected);
}

#[test]
fn reflector_proof_wire_format() {
    let mut ex = exchange("r.example ESMTP mailport-reflector", false);
    ex.reflector = proof(ProofStatus::Genuine, "192.0.2.10", "192.0.2.10");
    let json = serde_json::to_value(&ex).unwrap();
    assert_eq!(json["reflector"]["status"], "genuine");
    assert_eq!(json["reflector"]["seen_address"], "192.0.2.10");
    // Older reports without the field still read.
    let mut old = serde_json::to_value(exchange("x.example ESMTP", true)).unwrap();
    assert!(old.get("reflector").is_none());
    old.as_object_mut().unwrap().remove("reflector");
    let back: SmtpExchange = serde_json::from_value(old).unwrap();
    assert_eq!(back.reflector, None);
}

#[test]
fn restricted_25_advises_the_allowed_relay_first() {
    let probes = vec![
        probe("mx1.example.net", Role::RecipientMx, 25, Outcome::Filtered),
        probe("mx2.example.org", Role::RecipientMx, 25, Outcome::Filtered),
        probe(
            "relay.isp.example",
            Role::Submission,
            25,
            banner("relay.isp.example ESMTP", true),
        ),
        probe(
            "relay.isp.example",
            Role::Submission,
            587,
            banner("relay.isp.example ESMTP", true),
        ),
    ];
    let verdicts = classify(&probes);
    assert_eq!(verdict25(&probes), Verdict::Restricted);
    let advice = advise(&verdicts, &advice::Context::default());
    assert_eq!(advice[0].id, AdviceId::IspRelay);
    assert!(
        advice[0].title.contains("relay.isp.example"),
        "{}",
        advice[0].title
    );
}

#[test]
fn findings_read_well() {
    let pix = "****************************2******0*******0****0*";
    let proxy = "smtp-proxy.isp.example ESMTP Postfix";
    // STARTTLS stripped on 25 is compared with 587 even when 26 offers it too.
    let mut probes = honest();
    probes.push(probe(
        "smtp.example.net",
        Role::Submission,
        26,
        banner("mx1.example.net ESMTP Postfix", true),
    ));
    for p in probes.iter_mut().filter(|p| p.spec.port == 25) {
        p.outcome = banner(proxy, false);
    }
    let v = verdict_for(&probes, 25);
    let stripped = v
        .evidence
        .iter()
        .find(|e| e.kind == EvidenceKind::StartTlsMissing)
        .expect("STARTTLS finding");
    assert!(stripped.detail.contains("port 587"), "{}", stripped.detail);
    assert_eq!(v.verdict, Verdict::InterceptedSuspected);

    // The same masked greeting from every host is one finding, not five.
    let mut probes = honest();
    for p in probes.iter_mut().filter(|p| p.spec.port == 25) {
        p.outcome = banner(pix, false);
    }
    let v = verdict_for(&probes, 25);
    let masked = v
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::MaskedGreeting)
        .count();
    assert_eq!(masked, 1, "{:?}", v.evidence);
    assert!(
        v.why.contains("not as the real servers do"),
        "{} {:?}",
        v.why,
        v.reached
    );

    // Silence reads as silence.
    let mut probes = honest();
    for p in probes.iter_mut().filter(|p| p.spec.port == 25) {
        p.outcome = Outcome::Silent;
    }
    let v = verdict_for(&probes, 25);
    assert!(
        v.why.contains("no normal mail-server greeting"),
        "{}",
        v.why
    );
}

#[test]
fn well_known_mx_without_starttls_is_suspicious() {
    // The default MX targets are probed on 25 only: no other port to compare
    // with, but they are known to offer STARTTLS.
    let probes = vec![
        probe(
            "gmail-smtp-in.l.google.com",
            Role::RecipientMx,
            25,
            banner("mx.google.com ESMTP", false),
        ),
        probe(
            "mx01.mail.icloud.com",
            Role::RecipientMx,
            25,
            banner("mx01.mail.icloud.com ESMTP", true),
        ),
    ];
    let found = detect(&probes);
    let stripped: Vec<&str> = found
        .iter()
        .filter(|e| e.kind == EvidenceKind::StartTlsMissing)
        .map(|e| e.host.as_str())
        .collect();
    assert_eq!(stripped, vec!["gmail-smtp-in.l.google.com"]);
    // An unknown MX without STARTTLS is not accused: plenty of small servers
    // lack it.
    let unknown = vec![probe(
        "mx.small.example",
        Role::RecipientMx,
        25,
        banner("mx.small.example ESMTP", false),
    )];
    assert!(kinds(&unknown).is_empty());
}

/// The bench's simulated internet (tests/netsim/topo.rs) as probes on 25
/// and 587: mx1.example.net and smtp.example.net are one Postfix on one
/// address, mx2.example.org and relay.isp.example two others, and the
/// reflector. `on25` is what answers on port 25 in place of each host (the
/// ISP's interceptor), or `None` for the real server.
fn netsim(on25: &dyn Fn(&str) -> Option<Outcome>) -> Vec<ProbeResult> {
    let hosts: [(&str, &str, Role, &[u16]); 5] = [
        ("mx1.example.net", "198.51.100.10", Role::RecipientMx, &[25]),
        ("mx2.example.org", "198.51.100.20", Role::RecipientMx, &[25]),
        (
            "smtp.example.net",
            "198.51.100.10",
            Role::Submission,
            &[25, 587],
        ),
        (
            "relay.isp.example",
            "203.0.113.25",
            Role::Submission,
            &[25, 587],
        ),
        (
            "reflector.example.com",
            "198.51.100.30",
            Role::Reflector,
            &[25, 587],
        ),
    ];
    let mut probes = Vec::new();
    for (host, address, role, ports) in hosts {
        for &port in ports {
            let real = if role == Role::Reflector {
                let mut ex = exchange("reflector.example.com ESMTP mailport-reflector", false);
                ex.reflector = proof(ProofStatus::Genuine, "192.0.2.10", "192.0.2.10");
                Outcome::Banner(ex)
            } else {
                // Each Postfix greets with its first name and holds a
                // certificate for all of its names, from the bench's CA.
                let first = if host == "smtp.example.net" {
                    "mx1.example.net"
                } else {
                    host
                };
                let names: &[&str] = if first == "mx1.example.net" {
                    &["mx1.example.net", "smtp.example.net"]
                } else {
                    &[host]
                };
                with_tls(
                    exchange(&format!("{first} ESMTP Postfix"), true),
                    true,
                    true,
                    names,
                )
            };
            let outcome = if port == 25 {
                on25(host).unwrap_or(real)
            } else {
                real
            };
            let mut p = probe(host, role, port, outcome);
            p.address = address.parse().ok();
            p.timings = Timings {
                greeting_ms: Some(3),
                ..Timings::default()
            };
            probes.push(p);
        }
    }
    probes
}

/// An interceptor's answer, as the reflector's prover records it: the same
/// greeting, and no signature.
fn intercepted_reflector(host: &str, mut ex: SmtpExchange) -> Outcome {
    if host == "reflector.example.com" {
        ex.tls = None;
        ex.reflector = proof(ProofStatus::Unverified, "", "192.0.2.10");
    }
    Outcome::Banner(ex)
}

/// The rows of tests/netsim/scenarios.toml that concern interception, with
/// what the bench asserts: the verdicts of 25 and 587, the evidence shown
/// on 25, whether strong evidence may appear at all, and whether 25 is
/// proved intercepted.
#[test]
fn netsim_scenarios() {
    use EvidenceKind::*;
    let open = Verdict::Open;
    let intercepted = Verdict::InterceptedSuspected;
    type Row = (
        &'static str,
        Vec<ProbeResult>,
        Verdict,
        Vec<EvidenceKind>,
        bool,
        bool,
    );
    let rows: Vec<Row> = vec![
        (
            "1 nothing blocked",
            netsim(&|_| None),
            open.clone(),
            vec![],
            true,
            false,
        ),
        (
            "7 port 25 allowed only to the ISP's relay",
            netsim(&|h| (h != "relay.isp.example").then_some(Outcome::Filtered)),
            Verdict::Restricted,
            vec![],
            true,
            false,
        ),
        (
            "8 transparent proxy MTA, STARTTLS stripped",
            netsim(&|h| {
                Some(intercepted_reflector(
                    h,
                    exchange("smtp-proxy.isp.example ESMTP Postfix", false),
                ))
            }),
            intercepted.clone(),
            vec![
                SameGreeting,
                StartTlsMissing,
                GreetingNameMismatch,
                ReflectorUnverified,
            ],
            false,
            true,
        ),
        (
            "9 PIX/ASA fixup: masked greeting, EHLO 500",
            netsim(&|h| {
                let mut ex = exchange("****************************2******0*******0****0*", false);
                ex.ehlo = EhloOutcome::Rejected {
                    reply: reply(500, "5.5.1 Command unrecognized: \"XXXX\""),
                };
                Some(intercepted_reflector(h, ex))
            }),
            intercepted.clone(),
            vec![
                MaskedGreeting,
                EhloRefused,
                SameGreeting,
                ReflectorUnverified,
            ],
            false,
            true,
        ),
        (
            "10 tarpit on 25",
            netsim(&|_| Some(Outcome::Silent)),
            intercepted.clone(),
            vec![TarpitOn25, ReflectorUnverified],
            false,
            // Silence is not proof: a busy reflector is silent too.
            false,
        ),
        (
            "13 carrier-grade NAT, nothing blocked",
            netsim(&|h| {
                (h == "reflector.example.com").then(|| {
                    let mut ex = exchange("reflector.example.com ESMTP mailport-reflector", false);
                    // The network facts learned the same public address the
                    // reflector saw: the NAT is the ISP's, and normal.
                    ex.reflector = proof_behind("203.0.113.7", "192.0.2.10", "203.0.113.7");
                    Outcome::Banner(ex)
                })
            }),
            open.clone(),
            vec![],
            true,
            false,
        ),
        (
            "14 proxy MTA keeping STARTTLS with its own certificate",
            netsim(&|h| {
                Some(intercepted_reflector(
                    h,
                    match with_tls(
                        exchange("tls-proxy.isp.example ESMTP Postfix", true),
                        true,
                        false,
                        &["tls-proxy.isp.example"],
                    ) {
                        Outcome::Banner(ex) => ex,
                        _ => unreachable!(),
                    },
                ))
            }),
            intercepted.clone(),
            vec![CertificateMismatch, SameGreeting, ReflectorUnverified],
            false,
            true,
        ),
    ];
    for (name, probes, want25, shown25, no_evidence, proved) in rows {
        let verdicts = classify(&probes);
        let v25 = verdict_for(&probes, 25);
        assert_eq!(v25.verdict, want25, "{name}: {}", v25.why);
        assert_eq!(verdict_for(&probes, 587).verdict, Verdict::Open, "{name}");
        for k in &shown25 {
            assert!(
                v25.evidence.iter().any(|e| e.kind == *k),
                "{name}: {k:?} not shown in {:?}",
                v25.evidence
            );
        }
        if no_evidence {
            let strong: Vec<_> = verdicts
                .iter()
                .flat_map(|v| &v.evidence)
                .filter(|e| e.strong)
                .collect();
            assert!(strong.is_empty(), "{name}: {strong:?}");
        }
        assert_eq!(v25.proved(), proved, "{name}");
        assert_eq!(
            v25.label(),
            if proved {
                "intercepted (proved)"
            } else {
                v25.verdict.label()
            },
            "{name}"
        );
    }
}

/// Findings about one host, each of which once made the whole port
/// "intercepted?" while the well-known MX hosts answered cleanly: now a
/// note about that host, and the port open.
#[test]
fn one_odd_host_is_a_note() {
    use EvidenceKind::*;
    let clean = || {
        vec![
            probe(
                "gmail-smtp-in.l.google.com",
                Role::RecipientMx,
                25,
                with_tls(
                    exchange("mx.google.com ESMTP gsmtp", true),
                    true,
                    true,
                    &["mx.google.com"],
                ),
            ),
            probe(
                "mx01.mail.icloud.com",
                Role::RecipientMx,
                25,
                banner("mx01.mail.icloud.com ESMTP", true),
            ),
        ]
    };
    let own = |port: u16, outcome: Outcome| probe("mail.own.example", Role::OwnHost, port, outcome);
    let at = |mut p: ProbeResult, address: &str| {
        p.address = address.parse().ok();
        p
    };
    let timed = |mut p: ProbeResult, ms: u32| {
        p.timings.greeting_ms = Some(ms);
        p
    };
    let rows: Vec<(&str, Vec<ProbeResult>, Vec<EvidenceKind>)> = vec![
        (
            "the user's MX presents its hosting company's trusted certificate",
            vec![own(
                25,
                with_tls(
                    exchange("mail.own.example ESMTP", true),
                    true,
                    false,
                    &["*.hostingco.example"],
                ),
            )],
            vec![CertificateMismatch],
        ),
        (
            "a self-signed MX certificate for another name",
            vec![own(
                25,
                with_tls(
                    exchange("mail.own.example ESMTP", true),
                    false,
                    false,
                    &["localhost"],
                ),
            )],
            vec![CertificateMismatch],
        ),
        (
            "a self-signed MX certificate for its own name",
            vec![own(
                25,
                with_tls(
                    exchange("mail.own.example ESMTP", true),
                    false,
                    true,
                    &["mail.own.example"],
                ),
            )],
            vec![UntrustedCertificate],
        ),
        (
            "a submission host with STARTTLS on 587 but not on 25",
            vec![
                own(25, banner("mail.own.example ESMTP", false)),
                own(587, banner("mail.own.example ESMTP", true)),
            ],
            vec![StartTlsMissing],
        ),
        (
            "an anti-spam greeting pause longer than the timeout on 25 only",
            vec![
                own(25, Outcome::Silent),
                own(587, banner("mail.own.example ESMTP", true)),
            ],
            vec![TarpitOn25],
        ),
        (
            "an anti-spam greeting pause on 25 only",
            vec![
                timed(own(25, banner("mail.own.example ESMTP", true)), 6_100),
                timed(own(587, banner("mail.own.example ESMTP", true)), 40),
            ],
            vec![SlowGreetingOn25],
        ),
        (
            "a slow greeting on 25 from one host while another greets promptly there (a lost packet on a lossy line, or that host's own pause): not a proxy",
            vec![
                timed(own(25, banner("mail.own.example ESMTP", true)), 3_031),
                timed(own(587, banner("mail.own.example ESMTP", true)), 40),
                timed(
                    probe(
                        "mx.other.example",
                        Role::RecipientMx,
                        25,
                        banner("mx.other.example ESMTP", true),
                    ),
                    60,
                ),
            ],
            vec![],
        ),
        (
            "two unrelated hosts with the same nameless greeting",
            vec![
                own(25, banner("ESMTP ready", true)),
                probe(
                    "mx.other.example",
                    Role::RecipientMx,
                    25,
                    banner("ESMTP ready", true),
                ),
            ],
            vec![],
        ),
        (
            "two names of one server, one greeting",
            vec![
                at(
                    own(25, banner("mx.hostingco.example ESMTP", true)),
                    "192.0.2.44",
                ),
                at(
                    probe(
                        "mx.other.example",
                        Role::RecipientMx,
                        25,
                        banner("mx.hostingco.example ESMTP", true),
                    ),
                    "192.0.2.44",
                ),
            ],
            // Both greet with their hoster's name: notes, not one proxy.
            vec![GreetingNameMismatch, GreetingNameMismatch],
        ),
        (
            "one host behind its own PIX",
            vec![own(25, {
                let mut ex = exchange("****************************", true);
                ex.ehlo = EhloOutcome::Rejected {
                    reply: reply(502, "5.5.2 Error: command not recognized"),
                };
                Outcome::Banner(ex)
            })],
            vec![MaskedGreeting, EhloRefused],
        ),
        (
            "EHLO refused by policy is the server's decision",
            vec![own(25, {
                let mut ex = exchange("mail.own.example ESMTP", true);
                ex.ehlo = EhloOutcome::Rejected {
                    reply: reply(550, "5.7.1 Client host blocked: listed at zen"),
                };
                Outcome::Banner(ex)
            })],
            vec![],
        ),
        (
            "a busy server's 421 carries a status code, not a host name",
            vec![own(
                25,
                Outcome::Banner(SmtpExchange {
                    greeting: reply(421, "4.3.2 Service not available, too busy"),
                    ehlo: EhloOutcome::NotSent,
                    implicit_tls: false,
                    tls: None,
                    reflector: None,
                }),
            )],
            vec![],
        ),
    ];
    for (name, extra, notes) in rows {
        let mut probes = clean();
        probes.extend(extra);
        let v = verdict_for(&probes, 25);
        assert_eq!(v.verdict, Verdict::Open, "{name}: {}", v.why);
        let got: Vec<EvidenceKind> = v.evidence.iter().map(|e| e.kind).collect();
        assert_eq!(got, notes, "{name}");
        for e in &v.evidence {
            assert!(!e.strong, "{name}: {e:?}");
        }
        if v.evidence.iter().any(|e| e.kind.eq(&MaskedGreeting)) {
            // A note about one host names it.
            assert!(
                v.evidence
                    .iter()
                    .all(|e| e.detail.contains("mail.own.example")),
                "{name}: {:?}",
                v.evidence
            );
        }
    }
}

/// The same findings accuse the port when they hold across independent
/// hosts, come from a well-known target, or are backed by the reflector.
#[test]
fn corroborated_findings_accuse() {
    use EvidenceKind::*;
    let tarpit = |host: &str, role: Role| {
        vec![
            probe(host, role, 25, Outcome::Silent),
            probe(host, role, 587, banner(&format!("{host} ESMTP"), true)),
        ]
    };
    let rows: Vec<(&str, Vec<ProbeResult>, EvidenceKind)> = vec![
        (
            "two unrelated hosts silent on 25 only",
            [
                tarpit("smtp.alpha.example", Role::Submission),
                tarpit("smtp.beta.example", Role::Submission),
            ]
            .concat(),
            TarpitOn25,
        ),
        (
            "a well-known host silent on 25 only",
            tarpit("smtp.sendgrid.net", Role::Submission),
            TarpitOn25,
        ),
        (
            "one host loses STARTTLS on 25 and the reflector proves 25 intercepted",
            vec![
                probe(
                    "smtp.alpha.example",
                    Role::Submission,
                    25,
                    banner("smtp.alpha.example ESMTP", false),
                ),
                probe(
                    "smtp.alpha.example",
                    Role::Submission,
                    587,
                    banner("smtp.alpha.example ESMTP", true),
                ),
                reflector(25, "smtp.alpha.example ESMTP", None),
            ],
            StartTlsMissing,
        ),
        (
            "two .co.uk hosts behind one proxy",
            vec![
                probe(
                    "mx.alpha.co.uk",
                    Role::RecipientMx,
                    25,
                    banner("proxy.isp.co.uk ESMTP", true),
                ),
                probe(
                    "mx.beta.co.uk",
                    Role::RecipientMx,
                    25,
                    banner("proxy.isp.co.uk ESMTP", true),
                ),
            ],
            SameGreeting,
        ),
        (
            "three unrelated hosts with one nameless greeting",
            ["mx.alpha.example", "mx.beta.example", "mx.gamma.example"]
                .map(|h| probe(h, Role::RecipientMx, 25, banner("ESMTP ready", true)))
                .to_vec(),
            SameGreeting,
        ),
        (
            "a well-known MX re-signed by an untrusted authority",
            vec![probe(
                "gmail-smtp-in.l.google.com",
                Role::RecipientMx,
                25,
                with_tls(
                    exchange("mx.google.com ESMTP", true),
                    false,
                    true,
                    &["gmail-smtp-in.l.google.com"],
                ),
            )],
            UntrustedCertificate,
        ),
    ];
    for (name, probes, kind) in rows {
        let v = verdict_for(&probes, 25);
        assert_eq!(
            v.verdict,
            Verdict::InterceptedSuspected,
            "{name}: {}",
            v.why
        );
        assert!(
            v.evidence.iter().any(|e| e.kind == kind && e.strong),
            "{name}: {:?}",
            v.evidence
        );
    }
}

#[test]
fn proof_and_strength_reach_every_renderer() {
    // The netsim proxy (scenario 8): the reflector proves it.
    let probes = netsim(&|h| {
        Some(intercepted_reflector(
            h,
            exchange("smtp-proxy.isp.example ESMTP Postfix", false),
        ))
    });
    let verdicts = classify(&probes);
    let v25 = &verdicts[0];
    assert_eq!(v25.port, 25);
    assert!(v25.proved());
    assert_eq!(v25.label(), "intercepted (proved)");
    assert_eq!(v25.verdict.label(), "intercepted?");
    assert!(v25.why.contains("proves"), "{}", v25.why);
    assert!(
        headline(&verdicts, &probes)
            .starts_with("Outgoing port 25 is intercepted (the reflector proved it) on IPv4."),
        "{}",
        headline(&verdicts, &probes)
    );
    // Proof first, then strong findings, then notes.
    let rank = |e: &mailport_shared::interception::Evidence| (!e.proof, !e.strong);
    assert!(
        v25.evidence.first().is_some_and(|e| e.proof),
        "{:?}",
        v25.evidence
    );
    assert!(
        v25.evidence.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{:?}",
        v25.evidence
    );
    assert!(v25.evidence.iter().any(|e| !e.strong));
    // On the wire: `strong` always, `proof` when true.
    let json = serde_json::to_value(v25).unwrap();
    let ev = json["evidence"].as_array().unwrap();
    assert!(ev.iter().all(|e| e["strong"].is_boolean()), "{json}");
    assert_eq!(ev[0]["proof"], true, "{json}");
    assert!(ev
        .iter()
        .filter(|e| e["kind"] == "greeting_name_mismatch")
        .all(|e| e["strong"] == false && e.get("proof").is_none()));
    // Reports from before the fields read as weak findings.
    let mut old = ev[0].clone();
    old.as_object_mut().unwrap().remove("strong");
    old.as_object_mut().unwrap().remove("proof");
    let back: mailport_shared::interception::Evidence = serde_json::from_value(old).unwrap();
    assert!(!back.strong && !back.proof);

    // Suspected, not proved: the label keeps its question mark.
    let probes = netsim(&|_| Some(Outcome::Silent));
    let v25 = verdict_for(&probes, 25);
    assert_eq!(v25.verdict, Verdict::InterceptedSuspected);
    assert!(!v25.proved());
    assert_eq!(v25.label(), "intercepted?");
}
