//! Evidence that something between the user and the target answers in the
//! target's place (a transparent SMTP proxy, a PIX/ASA "fixup", a tarpit).
//!
//! Interception looks like success to nc and nmap: the port is "open". These
//! heuristics look at what answered. Each finding carries the evidence in
//! words, so the user can judge it.
//!
//! A finding about one host says little about the network: one server masks
//! its greeting behind its own firewall, presents a certificate for its
//! hosting company, offers STARTTLS only on 587 or pauses before greeting on
//! 25 to deter spam. So each finding is weighed against the others
//! ([`Evidence::strong`]): it accuses the port only when independent hosts
//! show it, when it comes from a well-known default target whose habits are
//! known, or when the reflector proved the port intercepted. Otherwise it is
//! a note about that host.

use crate::family::Family;
use crate::outcome::{EhloOutcome, Outcome, TlsOutcome};
use crate::probe::ProbeResult;
use crate::reflector::{AddressCheck, ProofStatus};
use crate::suffix::site;
use crate::target::{default_target, Role};
use crate::text::and_list;
use serde::{Deserialize, Serialize};

/// Which heuristic fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The greeting is masked with asterisks (`220 ****…`), as Cisco
    /// PIX/ASA SMTP inspection does.
    MaskedGreeting,
    /// EHLO was answered "command unrecognized" (500/502) after a normal
    /// greeting: a proxy that only understands HELO, or masks EHLO. A policy
    /// refusal (`550 … listed`) is the server's own decision and not counted.
    EhloRefused,
    /// A host that does not speak SMTP (a port tester) returned an SMTP
    /// greeting: something on the path answered instead.
    SmtpFromNonSmtpHost,
    /// Unrelated targets returned the very same greeting.
    SameGreeting,
    /// STARTTLS is missing on this port while the same host offers it on
    /// another, or a host known to offer it does not.
    StartTlsMissing,
    /// The TLS certificate does not belong to the target.
    CertificateMismatch,
    /// The TLS certificate names the target but is not signed by a trusted
    /// authority: a TLS proxy re-signing the connection, or a self-signed
    /// server.
    UntrustedCertificate,
    /// The greeting announces a host name unrelated to the target.
    GreetingNameMismatch,
    /// Port 25 accepts the connection but stays silent while another port
    /// of the same host greets normally.
    TarpitOn25,
    /// Port 25 greets, but much more slowly than another port of the same
    /// host: an anti-spam greeting delay, or a proxy on 25.
    SlowGreetingOn25,
    /// A mailport reflector target answered without a valid signature over
    /// our challenge: proof that something else answered in its place.
    ReflectorUnverified,
    /// The reflector proved the connection genuine but saw another source
    /// address than this network's public address: a proxy or a
    /// carrier-grade NAT beyond the user's router rewrites the connection.
    /// Not interception (the right server answered), so it is shown but
    /// weighs nothing alone.
    AddressTranslated,
    /// The connection was reset at EHLO after a normal greeting, or EHLO
    /// was answered with something that is not SMTP: a DPI box that lets
    /// the greeting through and cuts the session.
    EhloCutOff,
}

impl EvidenceKind {
    /// Whether the finding describes what answered rather than naming the
    /// host, so that a note about one host has to name it.
    fn about_the_answer(self) -> bool {
        matches!(
            self,
            EvidenceKind::MaskedGreeting | EvidenceKind::EhloRefused
        )
    }
}

/// One finding, with the evidence in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Which heuristic.
    pub kind: EvidenceKind,
    /// The port it concerns.
    pub port: u16,
    /// The family it concerns.
    pub family: Family,
    /// The target host it concerns (the first one, for group findings).
    pub host: String,
    /// What was seen, for the user.
    pub detail: String,
    /// Whether this finding, weighed against the rest of the check, is
    /// enough to suspect that the port is intercepted. A weak finding is a
    /// note about one host: its own setup explains it as well as the
    /// network does. Derived by [`detect`]; absent (false) in reports from
    /// before it existed.
    #[serde(default)]
    pub strong: bool,
    /// Whether it proves interception: a greeting from the reflector's
    /// address without the reflector's signature. Implies `strong`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proof: bool,
}

/// How much one finding weighs on its own, before the rest of the check is
/// looked at (see [`detect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
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
struct Finding<'a> {
    kind: EvidenceKind,
    probe: &'a ProbeResult,
    words: Words,
    basis: Basis,
}

/// A finding in words: what was seen, then how it reads once weighed. A
/// note about one host gives the innocent explanation too, so that it does
/// not read as an accusation.
struct Words {
    seen: String,
    /// Appended when the finding is strong.
    if_strong: &'static str,
    /// Appended when it is a note.
    if_weak: &'static str,
}

impl From<String> for Words {
    fn from(seen: String) -> Words {
        Words {
            seen,
            if_strong: "",
            if_weak: "",
        }
    }
}

/// What was seen, read one way if strong and another if a note.
fn words(seen: String, if_strong: &'static str, if_weak: &'static str) -> Words {
    Words {
        seen,
        if_strong,
        if_weak,
    }
}

/// Whether two probes reached the same operator: the same site (see
/// [`site`]) or the same address. Findings from related hosts do not
/// corroborate each other.
fn related(a: &ProbeResult, b: &ProbeResult) -> bool {
    site(&a.spec.host) == site(&b.spec.host) || (a.address.is_some() && a.address == b.address)
}

/// How many independent operators these probes reached: probes grouped by
/// [`related`], transitively.
pub(crate) fn independent_hosts(probes: &[&ProbeResult]) -> usize {
    let mut clusters: Vec<Vec<&ProbeResult>> = Vec::new();
    for &p in probes {
        let (joined, mut rest): (Vec<_>, Vec<_>) = clusters
            .into_iter()
            .partition(|c| c.iter().any(|o| related(o, p)));
        let mut merged: Vec<&ProbeResult> = joined.into_iter().flatten().collect();
        merged.push(p);
        rest.push(merged);
        clusters = rest;
    }
    clusters.len()
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
/// 25 only, and so do some proxies. Network jitter is far below this.
const SLOW_MARGIN_MS: u32 = 2_000;
/// See [`SLOW_MARGIN_MS`].
const SLOW_FACTOR: u32 = 3;

/// Runs every heuristic over the probes of one check, and weighs each
/// finding against the others (see the module documentation).
pub fn detect(probes: &[ProbeResult]) -> Vec<Evidence> {
    let found = findings(probes);
    let proved: Vec<(u16, Family)> = found
        .iter()
        .filter(|f| f.basis == Basis::Proof)
        .map(|f| (f.probe.spec.port, f.probe.spec.family))
        .collect();
    let weighed: Vec<(bool, bool)> = found
        .iter()
        .map(|f| {
            let spec = &f.probe.spec;
            let known = default_target(&spec.host).is_some();
            let backed = proved.contains(&(spec.port, spec.family));
            let strong = match f.basis {
                Basis::Note => false,
                Basis::Alone | Basis::Proof => true,
                Basis::KnownTarget => known || backed,
                Basis::Corroborated => {
                    known || backed || {
                        let alike: Vec<&ProbeResult> = found
                            .iter()
                            .filter(|o| {
                                o.kind == f.kind
                                    && o.probe.spec.port == spec.port
                                    && o.probe.spec.family == spec.family
                            })
                            .map(|o| o.probe)
                            .collect();
                        independent_hosts(&alike) >= 2
                    }
                }
            };
            (strong, f.basis == Basis::Proof)
        })
        .collect();
    found
        .into_iter()
        .zip(weighed)
        .map(|(f, (strong, proof))| {
            let host = f.probe.spec.host.clone();
            let Words {
                seen,
                if_strong,
                if_weak,
            } = f.words;
            let detail = if strong {
                format!("{seen}{if_strong}")
            } else if f.kind.about_the_answer() {
                format!("{host}: {seen}{if_weak}")
            } else {
                format!("{seen}{if_weak}")
            };
            Evidence {
                kind: f.kind,
                port: f.probe.spec.port,
                family: f.probe.spec.family,
                host,
                detail,
                strong,
                proof,
            }
        })
        .collect()
}

/// Every heuristic, each finding with its weight on its own.
fn findings<'a>(probes: &'a [ProbeResult]) -> Vec<Finding<'a>> {
    let mut found: Vec<Finding> = Vec::new();
    let mut push = |kind, probe: &'a ProbeResult, words: Words, basis| {
        found.push(Finding {
            kind,
            probe,
            words,
            basis,
        })
    };
    // The same host, the same family, another port.
    let elsewhere = |p: &'a ProbeResult| {
        probes.iter().filter(move |o| {
            o.spec.host == p.spec.host
                && o.spec.family == p.spec.family
                && o.spec.port != p.spec.port
        })
    };

    for p in probes {
        match &p.outcome {
            Outcome::Banner(ex) => {
                let line = ex.greeting.lines.join(" ");
                if is_masked(&line) {
                    push(
                        EvidenceKind::MaskedGreeting,
                        p,
                        words(
                            format!("the greeting is masked (\"{}\")", ex.greeting.first_line()),
                            "",
                            "; a firewall in front of that server may do this",
                        ),
                        Basis::Corroborated,
                    );
                }
                if let EhloOutcome::Rejected { reply } = &ex.ehlo {
                    if ex.greeting.code == 220 && matches!(reply.code, 500 | 502) {
                        push(
                            EvidenceKind::EhloRefused,
                            p,
                            words(
                                format!("EHLO was refused with \"{}\"", reply.first_line()),
                                "",
                                "; that server may simply not support EHLO",
                            ),
                            Basis::Corroborated,
                        );
                    }
                }
                if ex.greeting.code == 220
                    && matches!(ex.ehlo, EhloOutcome::Reset | EhloOutcome::Garbage { .. })
                {
                    push(
                        EvidenceKind::EhloCutOff,
                        p,
                        words(
                            format!(
                                "{} greeted normally, then {}",
                                p.spec.host,
                                ex.ehlo.failure().unwrap_or_default()
                            ),
                            ": a filter on the path cuts SMTP sessions",
                            "; that server may do this itself",
                        ),
                        Basis::Corroborated,
                    );
                }
                if p.spec.role == Role::PortEcho {
                    push(
                        EvidenceKind::SmtpFromNonSmtpHost,
                        p,
                        format!(
                            "{} does not run a mail server, yet port {} answered \"{}\"",
                            p.spec.host,
                            p.spec.port,
                            ex.greeting.first_line()
                        )
                        .into(),
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
                            EvidenceKind::CertificateMismatch,
                            p,
                            words(
                                format!(
                                    "the TLS certificate is for {} and not for {}",
                                    if names.is_empty() {
                                        "no name".to_string()
                                    } else {
                                        names.join(", ")
                                    },
                                    p.spec.host
                                ),
                                "",
                                "; many servers show their hosting company's certificate or a self-signed one",
                            ),
                            if matches_elsewhere {
                                Basis::Alone
                            } else {
                                Basis::KnownTarget
                            },
                        );
                    } else if !trusted {
                        push(
                            EvidenceKind::UntrustedCertificate,
                            p,
                            words(
                                format!(
                                    "the TLS certificate of {} names it but is not signed by a trusted authority",
                                    p.spec.host
                                ),
                                ": a proxy re-signs the connection",
                                ": a self-signed certificate, or a proxy re-signing the connection",
                            ),
                            Basis::KnownTarget,
                        );
                    }
                }
                if p.spec.role == Role::Reflector {
                    match &ex.reflector {
                        Some(proof) if proof.genuine() => {
                            // A home router's NAT is normal and not shown
                            // here; only a rewrite beyond the public address.
                            if proof.address_check() == AddressCheck::Rewritten {
                                push(
                                    EvidenceKind::AddressTranslated,
                                    p,
                                    format!(
                                        "the reflector saw this connection come from {}, not from this network's public address {}: a proxy or a carrier-grade NAT beyond your router rewrites it",
                                        proof.seen_address.map(|a| a.to_string()).unwrap_or_default(),
                                        proof.public_address.map(|a| a.to_string()).unwrap_or_default()
                                    )
                                    .into(),
                                    Basis::Note,
                                );
                            }
                        }
                        // A busy reflector proves nothing either way.
                        Some(proof) if proof.status == ProofStatus::Busy => {}
                        Some(proof) => push(
                            EvidenceKind::ReflectorUnverified,
                            p,
                            format!(
                                "port {} answered \"{}\" but not with the reflector's signature: {}",
                                p.spec.port,
                                ex.greeting.first_line(),
                                proof.detail
                            )
                            .into(),
                            Basis::Proof,
                        ),
                        None => push(
                            EvidenceKind::ReflectorUnverified,
                            p,
                            format!(
                                "port {} answered \"{}\" without the reflector's signature",
                                p.spec.port,
                                ex.greeting.first_line()
                            )
                            .into(),
                            Basis::Proof,
                        ),
                    }
                }
                if let Some(announced) = ex.greeting.announced_host() {
                    if !is_ip(&p.spec.host) && site(announced) != site(&p.spec.host) {
                        push(
                            EvidenceKind::GreetingNameMismatch,
                            p,
                            format!(
                                "{} greeted as {announced}, a name unrelated to it",
                                p.spec.host
                            )
                            .into(),
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
                        if let Some((fast, port)) = fastest {
                            if slow >= fast.saturating_add(SLOW_MARGIN_MS)
                                && slow >= fast.saturating_mul(SLOW_FACTOR)
                            {
                                push(
                                    EvidenceKind::SlowGreetingOn25,
                                    p,
                                    format!(
                                        "{} took {slow} ms to greet on port 25 but {fast} ms on port {port}: an anti-spam greeting delay, or a proxy on 25",
                                        p.spec.host
                                    )
                                    .into(),
                                    Basis::Note,
                                );
                            }
                        }
                    }
                }
            }
            Outcome::Silent | Outcome::NotSmtp { .. } if p.spec.role == Role::Reflector => {
                push(
                    EvidenceKind::ReflectorUnverified,
                    p,
                    format!(
                        "the reflector always greets and signs, but on port {} {}",
                        p.spec.port,
                        if matches!(p.outcome, Outcome::Silent) {
                            "the connection stayed silent"
                        } else {
                            "something that does not speak SMTP answered"
                        }
                    )
                    .into(),
                    // Not proof: a reflector too busy to answer stays
                    // silent as well. Still impossible by design.
                    Basis::Alone,
                );
            }
            Outcome::Silent
                if p.spec.port == 25
                    && elsewhere(p).any(|o| matches!(o.outcome, Outcome::Banner(_))) =>
            {
                push(
                    EvidenceKind::TarpitOn25,
                    p,
                    words(
                        format!(
                            "{} accepted the connection on 25 but stayed silent, while it greets normally on other ports",
                            p.spec.host
                        ),
                        "",
                        "; it may delay its greeting on 25 to deter spam",
                    ),
                    Basis::Corroborated,
                );
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
                EvidenceKind::StartTlsMissing,
                p,
                words(
                    format!(
                        "{} offers STARTTLS on port {} but not on 25",
                        p.spec.host, other.spec.port
                    ),
                    ": something on the path removed it",
                    ": something on the path may have removed it, or the server offers it on submission ports only",
                ),
                Basis::Corroborated,
            );
        } else if known_starttls_on_25(&p.spec.host) {
            // An MX is probed on 25 only, so there is no other port to
            // compare with; the well-known ones all offer STARTTLS.
            push(
                EvidenceKind::StartTlsMissing,
                p,
                format!(
                    "{} always offers STARTTLS on port 25, but this answer did not: something on the path removed it",
                    p.spec.host
                )
                .into(),
                Basis::Corroborated,
            );
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
            let mut hosts: Vec<&str> = twins.iter().map(|o| o.spec.host.as_str()).collect();
            hosts.sort_unstable();
            hosts.dedup();
            let detail = format!(
                "{} returned the same greeting \"{}\"",
                and_list(&hosts),
                ex.greeting.first_line()
            );
            // One finding per host, so that each greeting counts as odd;
            // shown once (same words).
            for twin in twins {
                push(
                    EvidenceKind::SameGreeting,
                    twin,
                    detail.clone().into(),
                    Basis::Alone,
                );
            }
        }
    }
    found
}
