//! The heuristics: what each probe shows that only an interceptor (or an
//! odd server) would, as data ([`Seen`]) with its weight on its own
//! ([`Basis`]). Deciding only; `words.rs` says it, `detect` weighs it.

use super::evidence::EvidenceKind;
use super::operators::independent_hosts;
use crate::outcome::{EhloOutcome, Outcome, TlsOutcome};
use crate::probe::ProbeResult;
use crate::reflector::{AddressCheck, ProofStatus};
use crate::suffix::site;
use crate::target::{default_target, Role};

/// How much one finding weighs on its own, before the rest of the check is
/// looked at (see [`detect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Basis {
    /// Shown, never accuses: honest servers do this often.
    Note,
    /// Accuses when two independent hosts show it, when it comes from a
    /// well-known default target, or when the reflector proved the port.
    Corroborated,
    /// Accuses only from a well-known default target or with the reflector's
    /// proof: many honest small servers show it (self-signed certificates,
    /// certificates of their hosting company).
    KnownTarget,
    /// Accuses on its own: a host does what it cannot do by design, or the
    /// same host differs between ports in a way only the path explains.
    Alone,
    /// Proves interception.
    Proof,
}

/// A finding before weighing.
pub(super) struct Finding<'a> {
    /// The probe it was seen on.
    pub probe: &'a ProbeResult,
    /// What was seen.
    pub seen: Seen,
    /// Its weight on its own.
    pub basis: Basis,
}

/// What a heuristic saw, with the data its words need. Each variant is one
/// [`EvidenceKind`] ([`Seen::kind`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seen {
    /// The greeting is masked; its first line.
    MaskedGreeting(String),
    /// EHLO was refused; the reply's first line.
    EhloRefused(String),
    /// The session was cut after a normal greeting; how.
    EhloCutOff(String),
    /// A host without a mail server answered with this greeting line.
    SmtpFromNonSmtpHost(String),
    /// The certificate names these names, not the host.
    CertificateMismatch(Vec<String>),
    /// The certificate names the host but is not trusted.
    UntrustedCertificate,
    /// The reflector saw the connection from `seen`, not from `public`.
    AddressTranslated {
        /// Where the reflector saw it come from.
        seen: String,
        /// This network's public address.
        public: String,
    },
    /// The reflector's address answered `greeting` without its signature;
    /// `detail` is what the proof check said, when there was a proof.
    ReflectorUnsigned {
        /// The greeting's first line.
        greeting: String,
        /// The proof's own explanation.
        detail: Option<String>,
    },
    /// The reflector stayed silent (`true`) or answered something that is
    /// not SMTP (`false`).
    ReflectorSilent(bool),
    /// The host greeted as this unrelated name.
    GreetingNameMismatch(String),
    /// Greeting on 25 took `slow` ms, `fast` ms on `port`.
    SlowGreetingOn25 {
        /// Milliseconds to greet on 25.
        slow: u32,
        /// Milliseconds to greet on the fastest other port.
        fast: u32,
        /// That port.
        port: u16,
    },
    /// Silent on 25, greets on other ports.
    TarpitOn25,
    /// STARTTLS missing on 25: offered on this other port, or (`None`) the
    /// host is a well-known one that always offers it.
    StartTlsMissing(Option<u16>),
    /// These unrelated hosts (sorted) returned the same greeting line.
    SameGreeting {
        /// The hosts.
        hosts: Vec<String>,
        /// The greeting's first line.
        greeting: String,
    },
}

impl Seen {
    /// The heuristic that saw it.
    pub fn kind(&self) -> EvidenceKind {
        match self {
            Seen::MaskedGreeting(_) => EvidenceKind::MaskedGreeting,
            Seen::EhloRefused(_) => EvidenceKind::EhloRefused,
            Seen::EhloCutOff(_) => EvidenceKind::EhloCutOff,
            Seen::SmtpFromNonSmtpHost(_) => EvidenceKind::SmtpFromNonSmtpHost,
            Seen::CertificateMismatch(_) => EvidenceKind::CertificateMismatch,
            Seen::UntrustedCertificate => EvidenceKind::UntrustedCertificate,
            Seen::AddressTranslated { .. } => EvidenceKind::AddressTranslated,
            Seen::ReflectorUnsigned { .. } | Seen::ReflectorSilent(_) => {
                EvidenceKind::ReflectorUnverified
            }
            Seen::GreetingNameMismatch(_) => EvidenceKind::GreetingNameMismatch,
            Seen::SlowGreetingOn25 { .. } => EvidenceKind::SlowGreetingOn25,
            Seen::TarpitOn25 => EvidenceKind::TarpitOn25,
            Seen::StartTlsMissing(_) => EvidenceKind::StartTlsMissing,
            Seen::SameGreeting { .. } => EvidenceKind::SameGreeting,
        }
    }
}

/// A greeting line mostly of asterisks, as PIX/ASA SMTP inspection sends.
fn is_masked(line: &str) -> bool {
    let stars = line.chars().filter(|c| *c == '*').count();
    stars >= 4 && stars * 2 >= line.chars().filter(|c| !c.is_whitespace()).count()
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// Whether `host` is one of the default targets that listen on 25, all of
/// which offer STARTTLS there (large providers have for a decade).
fn known_starttls_on_25(host: &str) -> bool {
    default_target(host).is_some_and(|d| d.ports.contains(&25) && d.role != Role::PortEcho)
}

/// A greeting on 25 this much slower than on another port of the same host
/// (and at least [`SLOW_FACTOR`] times slower) is noted: Postfix's
/// postscreen and similar anti-spam pauses wait seconds before greeting on
/// 25 only, and so do some proxies. Network jitter is far below this; a lost
/// packet is not, so the note needs every other host's greeting on 25 to be
/// slow too (a proxy delays them all).
const SLOW_MARGIN_MS: u32 = 2_000;
/// See [`SLOW_MARGIN_MS`].
const SLOW_FACTOR: u32 = 3;

/// Every heuristic, each finding with its weight on its own.
pub(super) fn findings(probes: &[ProbeResult]) -> Vec<Finding<'_>> {
    let mut found: Vec<Finding> = Vec::new();
    let mut push = |probe, seen, basis| found.push(Finding { probe, seen, basis });
    // The same host, the same family, another port.
    let elsewhere = |p: &ProbeResult| {
        let (host, family, port) = (p.spec.host.clone(), p.spec.family, p.spec.port);
        probes
            .iter()
            .filter(move |o| o.spec.host == host && o.spec.family == family && o.spec.port != port)
    };

    for p in probes {
        match &p.outcome {
            Outcome::Banner(ex) => {
                let line = ex.greeting.lines.join(" ");
                if is_masked(&line) {
                    push(
                        p,
                        Seen::MaskedGreeting(ex.greeting.first_line()),
                        Basis::Corroborated,
                    );
                }
                if let EhloOutcome::Rejected { reply } = &ex.ehlo {
                    if ex.greeting.code == 220 && matches!(reply.code, 500 | 502) {
                        push(
                            p,
                            Seen::EhloRefused(reply.first_line()),
                            Basis::Corroborated,
                        );
                    }
                }
                if ex.greeting.code == 220
                    && matches!(ex.ehlo, EhloOutcome::Reset | EhloOutcome::Garbage { .. })
                {
                    push(
                        p,
                        Seen::EhloCutOff(ex.ehlo.failure().unwrap_or_default()),
                        Basis::Corroborated,
                    );
                }
                if p.spec.role == Role::PortEcho {
                    push(
                        p,
                        Seen::SmtpFromNonSmtpHost(ex.greeting.first_line()),
                        Basis::Alone,
                    );
                }
                if let Some(TlsOutcome::Established {
                    trusted,
                    name_matches,
                    names,
                    ..
                }) = &ex.tls
                {
                    if is_ip(&p.spec.host) {
                        // No name to compare with.
                    } else if !name_matches {
                        // The same server showing its own certificate on
                        // another port: only the path differs.
                        let matches_elsewhere = elsewhere(p).any(|o| {
                            matches!(&o.outcome, Outcome::Banner(e) if matches!(
                                e.tls,
                                Some(TlsOutcome::Established { name_matches: true, .. })
                            ))
                        });
                        push(
                            p,
                            Seen::CertificateMismatch(names.clone()),
                            if matches_elsewhere {
                                Basis::Alone
                            } else {
                                Basis::KnownTarget
                            },
                        );
                    } else if !trusted {
                        push(p, Seen::UntrustedCertificate, Basis::KnownTarget);
                    }
                }
                if p.spec.role == Role::Reflector {
                    match &ex.reflector {
                        Some(proof) if proof.genuine() => {
                            // A home router's NAT is normal and not shown
                            // here; only a rewrite beyond the public address.
                            if proof.address_check() == AddressCheck::Rewritten {
                                push(
                                    p,
                                    Seen::AddressTranslated {
                                        seen: proof
                                            .seen_address
                                            .map(|a| a.to_string())
                                            .unwrap_or_default(),
                                        public: proof
                                            .public_address
                                            .map(|a| a.to_string())
                                            .unwrap_or_default(),
                                    },
                                    Basis::Note,
                                );
                            }
                        }
                        // A busy reflector proves nothing either way.
                        Some(proof) if proof.status == ProofStatus::Busy => {}
                        Some(proof) => push(
                            p,
                            Seen::ReflectorUnsigned {
                                greeting: ex.greeting.first_line(),
                                detail: Some(proof.detail.clone()),
                            },
                            Basis::Proof,
                        ),
                        None => push(
                            p,
                            Seen::ReflectorUnsigned {
                                greeting: ex.greeting.first_line(),
                                detail: None,
                            },
                            Basis::Proof,
                        ),
                    }
                }
                if let Some(announced) = ex.greeting.announced_host() {
                    if !is_ip(&p.spec.host) && site(announced) != site(&p.spec.host) {
                        push(
                            p,
                            Seen::GreetingNameMismatch(announced.to_string()),
                            Basis::Note,
                        );
                    }
                }
                if p.spec.port == 25 {
                    if let Some(slow) = p.timings.greeting_ms {
                        let fastest = elsewhere(p)
                            .filter(|o| matches!(o.outcome, Outcome::Banner(_)))
                            .filter_map(|o| o.timings.greeting_ms.map(|ms| (ms, o.spec.port)))
                            .min();
                        // Another host that greeted promptly on 25 over the
                        // same family rules out a proxy on the line: the
                        // slow one is that host's own pause, or a lost
                        // packet (a lost handshake ACK makes the server
                        // resend its SYN-ACK after 1 s, then 3 s).
                        let prompt_elsewhere_on_25 = probes.iter().any(|o| {
                            o.spec.port == 25
                                && o.spec.family == p.spec.family
                                && o.spec.host != p.spec.host
                                && matches!(o.outcome, Outcome::Banner(_))
                                && o.timings.greeting_ms.is_some_and(|ms| ms < SLOW_MARGIN_MS)
                        });
                        if let Some((fast, port)) = fastest.filter(|_| !prompt_elsewhere_on_25) {
                            if slow >= fast.saturating_add(SLOW_MARGIN_MS)
                                && slow >= fast.saturating_mul(SLOW_FACTOR)
                            {
                                push(p, Seen::SlowGreetingOn25 { slow, fast, port }, Basis::Note);
                            }
                        }
                    }
                }
            }
            Outcome::Silent | Outcome::NotSmtp { .. } if p.spec.role == Role::Reflector => {
                push(
                    p,
                    Seen::ReflectorSilent(matches!(p.outcome, Outcome::Silent)),
                    // Not proof: a reflector too busy to answer stays
                    // silent as well. Still impossible by design.
                    Basis::Alone,
                );
            }
            Outcome::Silent
                if p.spec.port == 25
                    && elsewhere(p).any(|o| matches!(o.outcome, Outcome::Banner(_))) =>
            {
                push(p, Seen::TarpitOn25, Basis::Corroborated);
            }
            _ => {}
        }
    }

    // STARTTLS on 25 versus the same host on other ports.
    for p in probes {
        let Outcome::Banner(ex) = &p.outcome else {
            continue;
        };
        if p.spec.port != 25
            || !matches!(ex.ehlo, EhloOutcome::Accepted { .. })
            || ex.starttls_offered()
        {
            continue;
        }
        // Prefer 587, the port users know STARTTLS from.
        let offered_elsewhere = elsewhere(p)
            .filter(|o| matches!(&o.outcome, Outcome::Banner(e) if e.starttls_offered()))
            .min_by_key(|o| (o.spec.port != 587, o.spec.port));
        if let Some(other) = offered_elsewhere {
            push(
                p,
                Seen::StartTlsMissing(Some(other.spec.port)),
                Basis::Corroborated,
            );
        } else if known_starttls_on_25(&p.spec.host) {
            // An MX is probed on 25 only, so there is no other port to
            // compare with; the well-known ones all offer STARTTLS.
            push(p, Seen::StartTlsMissing(None), Basis::Corroborated);
        }
    }

    // The same greeting from unrelated targets on the same port and family.
    // A greeting without a host name ("220 ESMTP ready", a masked one) is
    // common to many servers, so it counts only from three of them.
    let mut seen: Vec<usize> = Vec::new();
    for (i, p) in probes.iter().enumerate() {
        let Outcome::Banner(ex) = &p.outcome else {
            continue;
        };
        if seen.contains(&i) {
            continue;
        }
        let twins: Vec<(usize, &ProbeResult)> = probes
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.spec.port == p.spec.port
                    && o.spec.family == p.spec.family
                    && matches!(&o.outcome, Outcome::Banner(e) if e.greeting == ex.greeting)
            })
            .collect();
        seen.extend(twins.iter().map(|(j, _)| *j));
        let twins: Vec<&ProbeResult> = twins.into_iter().map(|(_, o)| o).collect();
        let needed = if ex.greeting.announced_host().is_some() {
            2
        } else {
            3
        };
        if independent_hosts(&twins) >= needed {
            // Sorted, not in the order the probes finished: the same finding
            // on both families then reads the same, and is shown once.
            let mut hosts: Vec<String> = twins.iter().map(|o| o.spec.host.clone()).collect();
            crate::small_sort::sort(&mut hosts);
            hosts.dedup();
            // One finding per host, so that each greeting counts as odd;
            // shown once (same words).
            for twin in twins {
                push(
                    twin,
                    Seen::SameGreeting {
                        hosts: hosts.clone(),
                        greeting: ex.greeting.first_line(),
                    },
                    Basis::Alone,
                );
            }
        }
    }
    found
}
