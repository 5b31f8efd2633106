//! From probes to a verdict per port and family.
//!
//! The rules, in order (see `classify_group`):
//! 1. Only probes that reached the network count: a name that did not
//!    resolve says nothing about the path.
//! 2. No route for the family is "not testable", never "blocked".
//! 3. A clean SMTP greeting means open, unless interception evidence or a
//!    block towards other hosts that are known to listen says otherwise.
//! 4. A refusal counts only from a host known to listen on the port; a block
//!    is declared only when independent hosts agree, or the same host is up
//!    on another port. Otherwise the port is "not testable" against these
//!    hosts.

use crate::family::Family;
use crate::interception::{self, Evidence};
use crate::outcome::Outcome;
use crate::probe::ProbeResult;
use crate::target::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What mailport concludes about one port on one family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Mail servers answered normally.
    Open,
    /// Some hosts answered, others that are known to listen did not: the
    /// network lets this port through only to some destinations (e.g. the
    /// ISP's own relay).
    Restricted,
    /// Connections time out: packets are silently dropped.
    BlockedSilently,
    /// Connections are rejected (TCP reset from hosts known to listen, or an
    /// ICMP rejection).
    BlockedActively,
    /// Something answers in the servers' place.
    InterceptedSuspected,
    /// The probes cannot tell.
    NotTestable {
        /// Why not.
        reason: NotTestableReason,
    },
}

/// Why a port could not be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotTestableReason {
    /// This machine has no route for the family.
    NoRoute,
    /// No target resolved for the family.
    NoAddress,
    /// Every target is a private, loopback or link-local address, which is
    /// not probed without `--allow-private` (no LAN scanning through the
    /// agent).
    NotPublic,
    /// No host known to listen on the port was tried, and the others did not
    /// answer: they may simply not listen there.
    NoKnownListener,
    /// A single host did not answer; it may be down.
    SingleHost,
}

impl Verdict {
    /// Whether mail can pass on this port towards at least some hosts, honestly.
    pub fn usable(&self) -> bool {
        matches!(self, Verdict::Open | Verdict::Restricted)
    }

    /// Whether the network is in the way (blocked or intercepted).
    pub fn is_block(&self) -> bool {
        matches!(
            self,
            Verdict::BlockedSilently
                | Verdict::BlockedActively
                | Verdict::InterceptedSuspected
                | Verdict::Restricted
        )
    }

    /// A short label.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::Restricted => "restricted",
            Verdict::BlockedSilently => "blocked (dropped)",
            Verdict::BlockedActively => "blocked (rejected)",
            Verdict::InterceptedSuspected => "intercepted?",
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            } => "no route",
            Verdict::NotTestable { .. } => "not testable",
        }
    }
}

/// The verdict for one port on one family, with the why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortVerdict {
    /// The port.
    pub port: u16,
    /// The family.
    pub family: Family,
    /// The conclusion.
    pub verdict: Verdict,
    /// One sentence saying why, for the user.
    pub why: String,
    /// Hosts that answered with a clean SMTP greeting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reached: Vec<String>,
    /// Interception findings for this port and family.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// What one probe says about the path, before weighing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// A clean answer from the intended host.
    Reached,
    /// Connected, but what answered is odd (silence, not SMTP, TLS failure).
    Odd,
    /// Timed out towards a host known to listen.
    Dropped,
    /// Rejected: RST from a host known to listen, an ICMP rejection, or a
    /// reset after connect.
    Rejected,
    /// Says nothing (a host not known to listen refused or timed out).
    Unknown,
    /// No route for the family.
    NoRoute,
    /// Did not resolve.
    NoAddress,
}

fn signal(p: &ProbeResult, evidence: &[Evidence]) -> Signal {
    let suspicious = evidence.iter().any(|e| {
        e.kind.strong()
            && e.host == p.spec.host
            && e.port == p.spec.port
            && e.family == p.spec.family
    });
    let expected = p.spec.expected;
    match &p.outcome {
        // A reflector that said it is busy was not tested: the port is
        // judged by the other hosts.
        Outcome::Banner(ex)
            if ex
                .reflector
                .as_ref()
                .is_some_and(|r| r.status == crate::reflector::ProofStatus::Busy) =>
        {
            Signal::Unknown
        }
        Outcome::Banner(_) if suspicious => Signal::Odd,
        Outcome::Banner(_) => Signal::Reached,
        // A port tester answers whatever it likes: a connection is the proof.
        Outcome::NotSmtp { .. } if p.spec.role == Role::PortEcho => Signal::Reached,
        Outcome::NotSmtp { .. }
        | Outcome::Silent
        | Outcome::ClosedEarly
        | Outcome::TlsFailed { .. } => {
            if expected {
                Signal::Odd
            } else {
                Signal::Unknown
            }
        }
        Outcome::Reset => Signal::Rejected,
        Outcome::Unreachable { .. } => Signal::Rejected,
        Outcome::Refused if expected => Signal::Rejected,
        Outcome::Filtered if expected => Signal::Dropped,
        Outcome::Refused | Outcome::Filtered => Signal::Unknown,
        Outcome::NoRoute { .. } => Signal::NoRoute,
        Outcome::DnsFailed { .. } => Signal::NoAddress,
        // The probe never left this machine.
        Outcome::LocalError { .. } => Signal::Unknown,
    }
}

/// Why no target of a group had an address, from what DNS said: a resolver
/// that timed out is not a name without addresses, and neither is a block.
fn no_address_cause(group: &[&ProbeResult], family: Family) -> String {
    use crate::outcome::DnsFailure;
    let failures: Vec<&DnsFailure> = group
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::DnsFailed { reason } => Some(reason),
            _ => None,
        })
        .collect();
    let all = |f: fn(&DnsFailure) -> bool| !failures.is_empty() && failures.iter().all(|r| f(r));
    if all(|r| matches!(r, DnsFailure::Timeout)) {
        "The DNS server did not answer in time".into()
    } else if all(|r| matches!(r, DnsFailure::NxDomain)) {
        "The target names do not exist in DNS".into()
    } else if all(|r| matches!(r, DnsFailure::Forbidden { .. })) {
        "Every target is a private or local address, which is not probed without --allow-private"
            .into()
    } else if all(|r| matches!(r, DnsFailure::Other { .. })) {
        "DNS lookups failed".into()
    } else {
        format!("No target has an {family} address")
    }
}

/// Classifies every (port, family) seen in `probes`, ports in the order
/// first seen and IPv4 before IPv6.
pub fn classify(probes: &[ProbeResult]) -> Vec<PortVerdict> {
    let evidence = interception::detect(probes);
    let mut keys: Vec<(u16, Family)> = Vec::new();
    for p in probes {
        let k = (p.spec.port, p.spec.family);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.sort_by_key(|(port, fam)| {
        (
            crate::MAIL_PORTS
                .iter()
                .position(|p| p == port)
                .unwrap_or(usize::MAX),
            *port,
            *fam,
        )
    });
    keys.into_iter()
        .map(|(port, family)| {
            let group: Vec<&ProbeResult> = probes
                .iter()
                .filter(|p| p.spec.port == port && p.spec.family == family)
                .collect();
            let ev: Vec<Evidence> = evidence
                .iter()
                .filter(|e| e.port == port && e.family == family)
                .cloned()
                .collect();
            classify_group(port, family, &group, probes, ev)
        })
        .collect()
}

fn classify_group(
    port: u16,
    family: Family,
    group: &[&ProbeResult],
    all: &[ProbeResult],
    evidence: Vec<Evidence>,
) -> PortVerdict {
    let signals: Vec<(Signal, &ProbeResult)> =
        group.iter().map(|p| (signal(p, &evidence), *p)).collect();
    let hosts_with = |s: Signal| -> BTreeSet<&str> {
        signals
            .iter()
            .filter(|(sig, _)| *sig == s)
            .map(|(_, p)| p.spec.host.as_str())
            .collect()
    };
    let reached = hosts_with(Signal::Reached);
    let odd = hosts_with(Signal::Odd);
    let dropped = hosts_with(Signal::Dropped);
    let rejected = hosts_with(Signal::Rejected);
    let strong = evidence.iter().any(|e| e.kind.strong());

    // Shown to the user: the same finding in the same words from several
    // hosts (a masked greeting everywhere) once. The signals above keep the
    // per-host findings.
    let mut shown: Vec<Evidence> = Vec::new();
    for e in &evidence {
        if !shown
            .iter()
            .any(|x| x.kind == e.kind && x.detail == e.detail)
        {
            shown.push(e.clone());
        }
    }
    let verdict = |verdict: Verdict, why: String| PortVerdict {
        port,
        family,
        verdict,
        why,
        reached: reached.iter().map(|h| h.to_string()).collect(),
        evidence: shown.clone(),
    };
    let list = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");

    if signals.iter().all(|(s, _)| *s == Signal::NoAddress) {
        let not_public = group.iter().all(|p| {
            matches!(
                p.outcome,
                Outcome::DnsFailed {
                    reason: crate::outcome::DnsFailure::Forbidden { .. }
                }
            )
        });
        return verdict(
            Verdict::NotTestable {
                reason: if not_public {
                    NotTestableReason::NotPublic
                } else {
                    NotTestableReason::NoAddress
                },
            },
            format!(
                "{}, so {family} could not be tested.",
                no_address_cause(group, family)
            ),
        );
    }
    if signals
        .iter()
        .all(|(s, _)| matches!(s, Signal::NoRoute | Signal::NoAddress))
    {
        return verdict(
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            },
            format!("This machine has no {family} route to the internet; that is not a block."),
        );
    }
    if !reached.is_empty() {
        if strong {
            return verdict(
                Verdict::InterceptedSuspected,
                format!(
                    "Port {port} connects, but what answers does not look like the real servers."
                ),
            );
        }
        let blocked: BTreeSet<&str> = dropped.union(&rejected).copied().collect();
        if !blocked.is_empty() {
            return verdict(
                Verdict::Restricted,
                format!(
                    "Port {port} reaches {} but not {}, which are known to listen: only some destinations are allowed.",
                    list(&reached),
                    list(&blocked)
                ),
            );
        }
        return verdict(
            Verdict::Open,
            format!(
                "Mail servers answered normally on port {port} over {family} ({}).",
                list(&reached)
            ),
        );
    }
    if !odd.is_empty() || strong {
        // A greeting that came from the wrong server reads differently from
        // no greeting at all.
        let greeted = signals
            .iter()
            .any(|(s, p)| *s == Signal::Odd && matches!(p.outcome, Outcome::Banner(_)));
        let why = if greeted {
            format!(
                "Port {port} answers for {}, but not as the real servers do: something on the path answers in their place.",
                list(&odd)
            )
        } else {
            format!(
                "Port {port} connects to {}, but no normal mail-server greeting comes back: a proxy or tarpit is in the way.",
                list(&odd)
            )
        };
        return verdict(Verdict::InterceptedSuspected, why);
    }

    // Is a host that failed on this port up on another port of the same family?
    let up_elsewhere = |host: &str| {
        all.iter().any(|o| {
            o.spec.host == host
                && o.spec.family == family
                && o.spec.port != port
                && o.outcome.connected()
        })
    };
    let by_design = |host: &str| {
        group
            .iter()
            .any(|p| p.spec.host == host && matches!(p.spec.role, Role::PortEcho | Role::Reflector))
    };
    let convincing = |set: &BTreeSet<&str>| {
        set.len() >= 2 || set.iter().any(|h| up_elsewhere(h) || by_design(h))
    };

    let failed: BTreeSet<&str> = dropped.union(&rejected).copied().collect();
    if !failed.is_empty() {
        if !convincing(&failed) {
            return verdict(
                Verdict::NotTestable { reason: NotTestableReason::SingleHost },
                format!(
                    "Only {} was tried on port {port} and it did not answer; it may be down. Add another host to tell.",
                    list(&failed)
                ),
            );
        }
        return if dropped.len() >= rejected.len() {
            verdict(
                Verdict::BlockedSilently,
                format!(
                    "Connections to port {port} time out ({}): your network silently drops them.",
                    list(&dropped)
                ),
            )
        } else {
            verdict(
                Verdict::BlockedActively,
                format!(
                    "Connections to port {port} are rejected ({}), though these hosts accept mail there.",
                    list(&rejected)
                ),
            )
        };
    }
    // A host not known to run mail here that took the connection and then
    // said nothing useful may run something else on the port: that proves
    // the port is not blocked towards it, and nothing about mail.
    let connected: BTreeSet<&str> = group
        .iter()
        .filter(|p| p.outcome.connected())
        .map(|p| p.spec.host.as_str())
        .collect();
    let why = if connected.is_empty() {
        format!(
            "None of the hosts tried is known to listen on port {port}, and none answered: this cannot tell a block from a closed port."
        )
    } else {
        format!(
            "{} accepted the connection on port {port}, but no mail server greeted; it is not known to run mail there, so this cannot tell a proxy from another service.",
            list(&connected)
        )
    };
    verdict(
        Verdict::NotTestable {
            reason: NotTestableReason::NoKnownListener,
        },
        why,
    )
}

/// One sentence about port 25, the question users come with, followed by one
/// about submission ports.
///
/// e.g. "Your network silently drops outgoing port 25 on IPv4; IPv6 is open."
pub fn headline(verdicts: &[PortVerdict]) -> String {
    if !verdicts.is_empty()
        && verdicts
            .iter()
            .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }))
    {
        return nothing_judged(verdicts);
    }
    let p25: Vec<&PortVerdict> = verdicts.iter().filter(|v| v.port == 25).collect();
    let phrase = |v: &Verdict| -> &'static str {
        match v {
            Verdict::Open => "is open",
            Verdict::Restricted => "is allowed only to some hosts",
            Verdict::BlockedSilently => "is silently dropped",
            Verdict::BlockedActively => "is actively rejected",
            Verdict::InterceptedSuspected => "appears to be intercepted",
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            } => "cannot be used (no route)",
            Verdict::NotTestable { .. } => "could not be tested",
        }
    };
    let first = match p25.as_slice() {
        [] => String::from("Port 25 was not tested."),
        [one] => format!(
            "Outgoing port 25 {} on {}.",
            phrase(&one.verdict),
            one.family
        ),
        [a, b] if a.verdict == b.verdict => {
            format!(
                "Outgoing port 25 {} on {} and {}.",
                phrase(&a.verdict),
                a.family,
                b.family
            )
        }
        many => {
            let (main, rest) = many.split_at(1);
            let mut s = match &main[0].verdict {
                Verdict::BlockedSilently => format!(
                    "Your network silently drops outgoing port 25 on {}",
                    main[0].family
                ),
                Verdict::BlockedActively => format!(
                    "Your network rejects outgoing port 25 on {}",
                    main[0].family
                ),
                v => format!("Outgoing port 25 {} on {}", phrase(v), main[0].family),
            };
            for r in rest {
                let tail = match &r.verdict {
                    Verdict::Open => format!("; {} is open", r.family),
                    Verdict::NotTestable {
                        reason: NotTestableReason::NoRoute,
                    } => {
                        format!("; this machine has no {} route", r.family)
                    }
                    v => format!("; on {} it {}", r.family, phrase(v)),
                };
                s.push_str(&tail);
            }
            s.push('.');
            s
        }
    };
    let sub: Vec<u16> = [465u16, 587]
        .into_iter()
        .filter(|port| {
            verdicts
                .iter()
                .any(|v| v.port == *port && v.verdict == Verdict::Open)
        })
        .collect();
    let sub_verdicts = || verdicts.iter().filter(|v| v.port == 465 || v.port == 587);
    let tested_sub = sub_verdicts().next().is_some();
    let sub_blocked = sub_verdicts().any(|v| v.verdict.is_block());
    match (sub.as_slice(), tested_sub) {
        ([], true) if sub_blocked => {
            format!("{first} Submission ports 465 and 587 are not usable either.")
        }
        ([], true) => format!("{first} Submission ports 465 and 587 could not be judged."),
        ([one], _) => format!("{first} Submission port {one} is open."),
        ([_, _], _) => format!("{first} Submission ports 465 and 587 are open."),
        _ => first,
    }
}

/// The headline when no verdict could be reached at all: say why, and that
/// it says nothing about the network (a host that is down or a name that
/// does not resolve is not a block).
fn nothing_judged(verdicts: &[PortVerdict]) -> String {
    let mut why: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !why.contains(&s) {
            why.push(s);
        }
    };
    let mut only_no_route = true;
    let mut only_dns = true;
    for v in verdicts {
        if let Verdict::NotTestable { reason } = &v.verdict {
            match reason {
                NotTestableReason::NoRoute => {
                    only_dns = false;
                    push(format!("this machine has no {} route", v.family))
                }
                NotTestableReason::NoAddress | NotTestableReason::NotPublic => {
                    only_no_route = false;
                    only_dns &= *reason == NotTestableReason::NoAddress;
                    // "The DNS server did not answer in time, so IPv4 …"
                    let cause = v.why.split(", so ").next().unwrap_or(&v.why);
                    let mut chars = cause.chars();
                    push(
                        chars
                            .next()
                            .map(|c| c.to_lowercase().chain(chars).collect())
                            .unwrap_or_default(),
                    )
                }
                NotTestableReason::NoKnownListener | NotTestableReason::SingleHost => {
                    only_no_route = false;
                    only_dns = false;
                    push("the hosts tried did not answer, and they may simply be down or not listen there".into())
                }
            }
        }
    }
    let why = why.join("; ");
    if only_no_route {
        format!("Nothing could be tested: {why}. That is not a block.")
    } else if only_dns {
        format!("Nothing could be judged: {why}. That says nothing about your network's mail ports: check the names and that this machine can resolve them, then try again.")
    } else {
        format!("Nothing could be judged: {why}. That says nothing about your network: test against hosts known to accept mail.")
    }
}
