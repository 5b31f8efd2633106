//! Evidence that something between the user and the target answers in the
//! target's place (a transparent SMTP proxy, a PIX/ASA "fixup", a tarpit).
//!
//! Interception looks like success to nc and nmap: the port is "open". These
//! heuristics look at what answered. Each finding carries the evidence in
//! words, so the user can judge it.

use crate::family::Family;
use crate::outcome::{EhloOutcome, Outcome, TlsOutcome};
use crate::probe::ProbeResult;
use crate::reflector::{AddressCheck, ProofStatus};
use crate::target::Role;
use serde::{Deserialize, Serialize};

/// Which heuristic fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The greeting is masked with asterisks (`220 ****…`), as Cisco
    /// PIX/ASA SMTP inspection does.
    MaskedGreeting,
    /// EHLO was answered with an error after a normal greeting (a proxy
    /// that only understands HELO, or masks EHLO).
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
    /// The greeting announces a host name unrelated to the target.
    GreetingNameMismatch,
    /// Port 25 accepts the connection but stays silent while another port
    /// of the same host greets normally.
    TarpitOn25,
    /// A mailport reflector target answered without a valid signature over
    /// our challenge: proof that something else answered in its place.
    ReflectorUnverified,
    /// The reflector proved the connection genuine but saw another source
    /// address than this network's public address: a proxy or a
    /// carrier-grade NAT beyond the user's router rewrites the connection.
    /// Not interception (the right server answered), so it is shown but
    /// weighs nothing alone.
    AddressTranslated,
}

impl EvidenceKind {
    /// Whether this finding alone is enough to suspect interception. The weak
    /// ones are shown but do not change the verdict on their own: plenty of
    /// honest servers greet with a name unrelated to their MX record.
    pub fn strong(self) -> bool {
        !matches!(
            self,
            EvidenceKind::GreetingNameMismatch | EvidenceKind::AddressTranslated
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
}

/// The "site" of a host name: its last two labels (`mx.google.com` →
/// `google.com`); IP literals are their own site. Good enough to tell
/// related names from unrelated ones without a public-suffix list.
pub fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.rsplit('.').take(2).collect();
    labels.into_iter().rev().collect::<Vec<_>>().join(".")
}

fn is_masked(line: &str) -> bool {
    let stars = line.chars().filter(|c| *c == '*').count();
    stars >= 4 && stars * 2 >= line.chars().filter(|c| !c.is_whitespace()).count()
}

/// Whether `host` is one of the default targets that listen on 25, all of
/// which offer STARTTLS there (large providers have for a decade).
fn known_starttls_on_25(host: &str) -> bool {
    crate::target::DEFAULT_TARGETS.iter().any(|d| {
        d.host.eq_ignore_ascii_case(host.trim_end_matches('.'))
            && d.ports.contains(&25)
            && d.role != Role::PortEcho
    })
}

/// Runs every heuristic over the probes of one check.
pub fn detect(probes: &[ProbeResult]) -> Vec<Evidence> {
    let mut found: Vec<Evidence> = Vec::new();
    let push = |found: &mut Vec<Evidence>, kind, p: &ProbeResult, detail: String| {
        found.push(Evidence {
            kind,
            port: p.spec.port,
            family: p.spec.family,
            host: p.spec.host.clone(),
            detail,
        })
    };

    for p in probes {
        match &p.outcome {
            Outcome::Banner(ex) => {
                let line = ex.greeting.lines.join(" ");
                if is_masked(&line) {
                    push(
                        &mut found,
                        EvidenceKind::MaskedGreeting,
                        p,
                        format!("the greeting is masked: \"{}\"", ex.greeting.first_line()),
                    );
                }
                if let EhloOutcome::Rejected { reply } = &ex.ehlo {
                    if ex.greeting.code == 220 {
                        push(
                            &mut found,
                            EvidenceKind::EhloRefused,
                            p,
                            format!("EHLO was refused with \"{}\"", reply.first_line()),
                        );
                    }
                }
                if p.spec.role == Role::PortEcho {
                    push(
                        &mut found,
                        EvidenceKind::SmtpFromNonSmtpHost,
                        p,
                        format!(
                            "{} does not run a mail server, yet port {} answered \"{}\"",
                            p.spec.host,
                            p.spec.port,
                            ex.greeting.first_line()
                        ),
                    );
                }
                if let Some(TlsOutcome::Established {
                    name_matches: false,
                    names,
                    ..
                }) = &ex.tls
                {
                    if p.spec.host.parse::<std::net::IpAddr>().is_err() {
                        push(
                            &mut found,
                            EvidenceKind::CertificateMismatch,
                            p,
                            format!(
                                "the TLS certificate is for {} and not for {}",
                                if names.is_empty() {
                                    "no name".to_string()
                                } else {
                                    names.join(", ")
                                },
                                p.spec.host
                            ),
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
                                    &mut found,
                                    EvidenceKind::AddressTranslated,
                                    p,
                                    format!(
                                        "the reflector saw this connection come from {}, not from this network's public address {}: a proxy or a carrier-grade NAT beyond your router rewrites it",
                                        proof.seen_address.map(|a| a.to_string()).unwrap_or_default(),
                                        proof.public_address.map(|a| a.to_string()).unwrap_or_default()
                                    ),
                                );
                            }
                        }
                        // A busy reflector proves nothing either way.
                        Some(proof) if proof.status == ProofStatus::Busy => {}
                        Some(proof) => push(
                            &mut found,
                            EvidenceKind::ReflectorUnverified,
                            p,
                            format!(
                                "port {} answered \"{}\" but not with the reflector's signature: {}",
                                p.spec.port,
                                ex.greeting.first_line(),
                                proof.detail
                            ),
                        ),
                        None => push(
                            &mut found,
                            EvidenceKind::ReflectorUnverified,
                            p,
                            format!(
                                "port {} answered \"{}\" without the reflector's signature",
                                p.spec.port,
                                ex.greeting.first_line()
                            ),
                        ),
                    }
                }
                if let Some(announced) = ex.greeting.announced_host() {
                    let is_name = p.spec.host.parse::<std::net::IpAddr>().is_err();
                    if is_name && site(announced) != site(&p.spec.host) {
                        push(
                            &mut found,
                            EvidenceKind::GreetingNameMismatch,
                            p,
                            format!(
                                "{} greeted as {announced}, a name unrelated to it",
                                p.spec.host
                            ),
                        );
                    }
                }
            }
            Outcome::Silent | Outcome::NotSmtp { .. } if p.spec.role == Role::Reflector => {
                push(
                    &mut found,
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
                    ),
                );
            }
            Outcome::Silent if p.spec.port == 25 => {
                let greets_elsewhere = probes.iter().any(|o| {
                    o.spec.host == p.spec.host
                        && o.spec.family == p.spec.family
                        && o.spec.port != 25
                        && matches!(o.outcome, Outcome::Banner(_))
                });
                if greets_elsewhere {
                    push(
&mut found,
                        EvidenceKind::TarpitOn25,
                        p,
                        format!(
                            "{} accepted the connection on 25 but stayed silent, while it greets normally on other ports",
                            p.spec.host
                        ),
                    );
                }
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
        let offered_elsewhere = probes
            .iter()
            .filter(|o| {
                o.spec.host == p.spec.host
                    && o.spec.family == p.spec.family
                    && o.spec.port != 25
                    && matches!(&o.outcome, Outcome::Banner(e) if e.starttls_offered())
            })
            .min_by_key(|o| (o.spec.port != 587, o.spec.port));
        if let Some(other) = offered_elsewhere {
            push(
                &mut found,
                EvidenceKind::StartTlsMissing,
                p,
                format!(
                    "{} offers STARTTLS on port {} but not on 25: something on the path removed it",
                    p.spec.host, other.spec.port
                ),
            );
        } else if known_starttls_on_25(&p.spec.host) {
            // An MX is probed on 25 only, so there is no other port to
            // compare with; the well-known ones all offer STARTTLS.
            push(
                &mut found,
                EvidenceKind::StartTlsMissing,
                p,
                format!(
                    "{} always offers STARTTLS on port 25, but this answer did not: something on the path removed it",
                    p.spec.host
                ),
            );
        }
    }

    // The same greeting from unrelated targets on the same port and family.
    for (i, p) in probes.iter().enumerate() {
        let Outcome::Banner(ex) = &p.outcome else {
            continue;
        };
        let twin = probes[..i].iter().find(|o| {
            o.spec.port == p.spec.port
                && o.spec.family == p.spec.family
                && site(&o.spec.host) != site(&p.spec.host)
                && matches!(&o.outcome, Outcome::Banner(e) if e.greeting == ex.greeting)
        });
        if let Some(twin) = twin {
            let already = found.iter().any(|e| {
                e.kind == EvidenceKind::SameGreeting
                    && e.port == p.spec.port
                    && e.family == p.spec.family
            });
            if !already {
                push(
                    &mut found,
                    EvidenceKind::SameGreeting,
                    twin,
                    format!(
                        "{} and {} returned the same greeting \"{}\"",
                        twin.spec.host,
                        p.spec.host,
                        ex.greeting.first_line()
                    ),
                );
            }
        }
    }
    found
}
