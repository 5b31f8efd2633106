//! Interception heuristics and reflector proofs as tables: each row is what
//! an ISP's middlebox does, the probes mailport sees, and the evidence and
//! verdict it must show. The netsim bench (tests/netsim) checks the same rows
//! against real middleboxes; these keep the logic honest without root.

use mailport_shared::classify::{classify, Verdict};
use mailport_shared::interception::{detect, EvidenceKind};
use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange, TlsOutcome};
use mailport_shared::reflector::{ProofStatus, ReflectorProof};
use mailport_shared::{advice, advise, AdviceId, Family, Outcome, ProbeResult, ProbeSpec, Role};

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
            banner("mx1.example.net ESMTP Postfix", true),
        ),
    ]
}

fn verdict25(probes: &[ProbeResult]) -> Verdict {
    classify(probes)
        .into_iter()
        .find(|v| v.port == 25 && v.family == V4)
        .map(|v| v.verdict)
        .expect("a verdict for 25")
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
            "PIX MailGuard: masked greeting, EHLO refused",
            with25(&|_| {
                let mut ex = exchange(pix, false);
                ex.ehlo = EhloOutcome::Rejected {
                    reply: reply(500, "5.5.1 Command unrecognized: \"XXXX\""),
                };
                Outcome::Banner(ex)
            }),
            vec![MaskedGreeting, EhloRefused, SameGreeting],
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
            "the reflector times out: blocked (it is known to listen)",
            probe(
                "reflector.example.com",
                Role::Reflector,
                25,
                Outcome::Filtered,
            ),
            vec![],
            Verdict::BlockedSilently,
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
    let v = classify(&probes)
        .into_iter()
        .find(|v| v.port == 25)
        .expect("25");
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
    let v = classify(&probes)
        .into_iter()
        .find(|v| v.port == 25)
        .expect("25");
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
    let v = classify(&probes)
        .into_iter()
        .find(|v| v.port == 25)
        .expect("25");
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
