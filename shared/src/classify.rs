//! From probes to a verdict per port and family.
//!
//! The rules, in order (see `classify_group`):
//! 1. Only probes that reached the network count: a name that did not
//!    resolve says nothing about the path, and neither does a connection this
//!    machine could not even open (`LocalError`).
//! 2. No route for the family is "not testable", never "blocked". But when
//!    the same family connects elsewhere, "network unreachable" came from a
//!    router that said no: a rejection.
//! 3. Interception findings that hold (strong evidence, see
//!    [`crate::interception`]) make the port "intercepted?".
//! 4. A clean SMTP greeting means open. "Restricted" needs convincing
//!    failures towards hosts known to listen; one host that did not answer
//!    may be down, and is named as such.
//! 5. A refusal or a reset counts only from a host known to listen on the
//!    port; a block, or interception from odd answers (silence, not SMTP), is
//!    declared only when independent hosts agree, the same host is up on
//!    another port, or the host listens by design (reflector, port tester).
//!    A plain refusal from a host that is up elsewhere counts only when the
//!    host is a well-known one: a server that answers on 587 may simply not
//!    offer 465. Otherwise the port is "not testable" against these hosts.

use crate::control::{self, ControlProbe};
use crate::family::Family;
use crate::interception::{self, Evidence, EvidenceKind};
use crate::outcome::{DnsFailure, Outcome};
use crate::probe::ProbeResult;
use crate::target::{default_target, Role};
use crate::text::{and_list, capitalised};
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
    /// A firewall on this computer refuses the connections: nothing reached
    /// the network, so this is never the ISP's doing.
    BlockedLocally,
    /// The network lets some connections through and drops the next ones:
    /// the same host answered and then timed out (see
    /// [`crate::ratelimit`]). Not a block, not a restriction.
    RateLimited,
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
    /// This machine could not open the connections (too many open files, no
    /// buffer space): nothing was sent.
    LocalError,
}

impl Verdict {
    /// Whether mail can pass on this port towards at least some hosts, honestly.
    pub fn usable(&self) -> bool {
        matches!(self, Verdict::Open | Verdict::Restricted)
    }

    /// Whether the network is in the way: blocked, intercepted, or letting
    /// the port through only to some hosts.
    pub fn is_block(&self) -> bool {
        matches!(
            self,
            Verdict::BlockedSilently
                | Verdict::BlockedActively
                | Verdict::InterceptedSuspected
                | Verdict::Restricted
                | Verdict::RateLimited
        )
    }

    /// A short label. [`PortVerdict::label`] also tells a proved
    /// interception from a suspected one.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::Restricted => "restricted",
            Verdict::BlockedSilently => "blocked (dropped)",
            Verdict::BlockedActively => "blocked (rejected)",
            Verdict::InterceptedSuspected => "intercepted?",
            Verdict::BlockedLocally => "blocked by this computer",
            Verdict::RateLimited => "rate-limited",
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
    /// Of `reached`, those that can relay the user's mail (submission
    /// servers and the user's own host), so advice never suggests relaying
    /// through a recipient's MX or a port-echo service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relays: Vec<String>,
    /// Interception findings for this port and family, strong ones first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

impl PortVerdict {
    /// Whether interception of this port is proved, not merely suspected: the
    /// reflector's address answered without the reflector's signature.
    /// Derived from the evidence, so it cannot disagree with it.
    pub fn proved(&self) -> bool {
        self.verdict == Verdict::InterceptedSuspected && self.evidence.iter().any(|e| e.proof)
    }

    /// A short label for every renderer: [`Verdict::label`], except that a
    /// proved interception reads "intercepted (proved)" instead of
    /// "intercepted?".
    pub fn label(&self) -> &'static str {
        if self.proved() {
            "intercepted (proved)"
        } else {
            self.verdict.label()
        }
    }
}

/// What one probe says about the path, before weighing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// A clean answer from the intended host.
    Reached,
    /// Connected to a host known to listen, but what answered is odd
    /// (silence, not SMTP, TLS failure, or a greeting with strong
    /// interception evidence).
    Odd,
    /// Timed out towards a host known to listen.
    Dropped,
    /// Rejected: RST (before or after connect) from a host known to listen,
    /// an ICMP rejection, or "network unreachable" on a family that connects
    /// elsewhere.
    Rejected,
    /// Says nothing (a host not known to listen refused, timed out or
    /// answered oddly).
    Unknown,
    /// No route for the family.
    NoRoute,
    /// Did not resolve.
    NoAddress,
    /// This machine could not open the connection.
    Local,
    /// A firewall on this machine refused the connection.
    LocalFirewall,
}

/// `family_connects`: some probe of the same family established a
/// connection, or a control probe of the family was answered, so the family
/// has a route. `host_up`: this host answered its control probe.
fn signal(p: &ProbeResult, evidence: &[Evidence], family_connects: bool, host_up: bool) -> Signal {
    let suspicious = evidence.iter().any(|e| {
        e.strong && e.host == p.spec.host && e.port == p.spec.port && e.family == p.spec.family
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
        Outcome::PortTester { .. } => Signal::Reached,
        o if p.spec.role == Role::PortEcho && o.connected() => Signal::Reached,
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
        Outcome::Reset | Outcome::Refused if expected => Signal::Rejected,
        Outcome::Unreachable { .. } => Signal::Rejected,
        Outcome::Filtered if expected => Signal::Dropped,
        // A host the user named that answers its control probe but lets a
        // mail port time out is behind a filter: nothing listening would
        // have sent a RST. Not the user's own mail host found from
        // --domain: many drop the ports they do not serve, and it is probed
        // beside well-known hosts that judge the port.
        Outcome::Filtered if host_up && p.spec.role == Role::Custom => Signal::Dropped,
        Outcome::Reset | Outcome::Refused | Outcome::Filtered => Signal::Unknown,
        // Linux reports an ICMP net-unreachable from a router as ENETUNREACH,
        // the same error as having no route at all.
        Outcome::NoRoute { .. } if family_connects => Signal::Rejected,
        Outcome::NoRoute { .. } => Signal::NoRoute,
        Outcome::DnsFailed { .. } => Signal::NoAddress,
        // The probe never left this machine.
        Outcome::LocalError { .. } => Signal::Local,
        Outcome::LocalFirewall { .. } => Signal::LocalFirewall,
    }
}

/// Why no target of a group had an address, from what DNS said, as a phrase
/// ("the DNS server did not answer in time"): a resolver that timed out is
/// not a name without addresses, and neither is a block. Used for the port's
/// sentence and for the headline.
fn dns_cause(group: &[&ProbeResult], family: Family) -> String {
    let failures: Vec<&DnsFailure> = group
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::DnsFailed { reason } => Some(reason),
            _ => None,
        })
        .collect();
    let all = |f: fn(&DnsFailure) -> bool| !failures.is_empty() && failures.iter().all(|r| f(r));
    if all(|r| matches!(r, DnsFailure::Timeout)) {
        "the DNS server did not answer in time".into()
    } else if all(|r| matches!(r, DnsFailure::NxDomain)) {
        "the target names do not exist in DNS".into()
    } else if all(|r| matches!(r, DnsFailure::Forbidden { .. })) {
        "every target is a private or local address, which is not probed without --allow-private"
            .into()
    } else if all(|r| matches!(r, DnsFailure::Other { .. })) {
        // The resolver's own words say what to fix ("refused the query").
        match failures.first() {
            Some(DnsFailure::Other { detail }) => format!("DNS lookups failed: {detail}"),
            _ => "DNS lookups failed".into(),
        }
    } else {
        format!("no target has an {family} address")
    }
}

/// Why this machine could not open the connections of a group, as a phrase
/// quoting the first OS error. Used for the port's sentence and the headline.
fn local_cause(group: &[&ProbeResult]) -> String {
    let detail = group.iter().find_map(|p| match &p.outcome {
        Outcome::LocalError { detail } => Some(detail.as_str()),
        _ => None,
    });
    match detail {
        Some(detail) => format!("this machine could not open connections ({detail})"),
        None => "this machine could not open connections".into(),
    }
}

/// `one` or `many` ("it" or "they", "is" or "are"), to agree with the
/// hosts of `set` in a sentence about them.
fn agree<'a>(set: &BTreeSet<&str>, one: &'a str, many: &'a str) -> &'a str {
    if set.len() == 1 {
        one
    } else {
        many
    }
}

/// The probes of a port and family, grouped: ports in the order of
/// [`crate::MAIL_PORTS`] (others after, by number), IPv4 before IPv6.
fn groups(probes: &[ProbeResult]) -> Vec<(u16, Family, Vec<&ProbeResult>)> {
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
            let group = probes
                .iter()
                .filter(|p| p.spec.port == port && p.spec.family == family)
                .collect();
            (port, family, group)
        })
        .collect()
}

/// Classifies every (port, family) seen in `probes`, ports in the order of
/// [`crate::MAIL_PORTS`] (others after, by number), IPv4 before IPv6.
pub fn classify(probes: &[ProbeResult]) -> Vec<PortVerdict> {
    classify_with(probes, &[])
}

/// [`classify`], with what the control probes said (see
/// [`crate::control`]): a host that answers its control probe is up, a
/// family whose control probes answer is routed, and one where nothing
/// answers at all, not even the control port, has a broken route.
pub fn classify_with(probes: &[ProbeResult], controls: &[ControlProbe]) -> Vec<PortVerdict> {
    let evidence = interception::detect(probes);
    groups(probes)
        .into_iter()
        .map(|(port, family, group)| {
            let ev: Vec<Evidence> = evidence
                .iter()
                .filter(|e| e.port == port && e.family == family)
                .cloned()
                .collect();
            classify_group(port, family, &group, probes, controls, ev)
        })
        .collect()
}

fn classify_group(
    port: u16,
    family: Family,
    group: &[&ProbeResult],
    all: &[ProbeResult],
    controls: &[ControlProbe],
    evidence: Vec<Evidence>,
) -> PortVerdict {
    let family_connects = all
        .iter()
        .any(|o| o.spec.family == family && o.outcome.connected())
        || control::family_answered(controls, family);
    let host_up = |host: &str| control::host_answered(controls, host, family);
    let signals: Vec<(Signal, &ProbeResult)> = group
        .iter()
        .map(|p| {
            let up = host_up(&p.spec.host);
            (signal(p, &evidence, family_connects, up), *p)
        })
        .collect();
    let hosts_with = |s: Signal| -> BTreeSet<&str> {
        signals
            .iter()
            .filter(|(sig, _)| *sig == s)
            .map(|(_, p)| p.spec.host.as_str())
            .collect()
    };
    let reached = hosts_with(Signal::Reached);
    let relays: BTreeSet<&str> = signals
        .iter()
        .filter(|(s, p)| {
            *s == Signal::Reached && matches!(p.spec.role, Role::Submission | Role::OwnHost)
        })
        .map(|(_, p)| p.spec.host.as_str())
        .collect();
    let odd = hosts_with(Signal::Odd);
    let dropped = hosts_with(Signal::Dropped);
    let rejected = hosts_with(Signal::Rejected);
    let failed: BTreeSet<&str> = dropped.union(&rejected).copied().collect();
    let accused: BTreeSet<&str> = evidence
        .iter()
        .filter(|e| e.strong)
        .map(|e| e.host.as_str())
        .collect();

    // Shown to the user: proof first, then strong findings, then notes; the
    // same finding in the same words from several hosts (a masked greeting
    // everywhere) once. The signals above keep the per-host findings.
    let mut ordered = evidence.clone();
    ordered.sort_by_key(|e| (!e.proof, !e.strong));
    let mut shown: Vec<Evidence> = Vec::new();
    for e in ordered {
        if !shown
            .iter()
            .any(|x| x.kind == e.kind && x.detail == e.detail)
        {
            shown.push(e);
        }
    }
    let verdict = |verdict: Verdict, why: String| PortVerdict {
        port,
        family,
        verdict,
        why,
        reached: reached.iter().map(|h| h.to_string()).collect(),
        relays: relays.iter().map(|h| h.to_string()).collect(),
        evidence: shown.clone(),
    };

    if signals.iter().all(|(s, _)| *s == Signal::NoAddress) {
        let not_public = group.iter().all(|p| {
            matches!(
                p.outcome,
                Outcome::DnsFailed {
                    reason: DnsFailure::Forbidden { .. }
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
                capitalised(&dns_cause(group, family))
            ),
        );
    }
    if broken_family(&signals, all, controls, family) {
        return verdict(
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            },
            format!("Nothing answers over {family}, not even the control port {} of the hosts tried: the {family} path is broken, which is not a mail block.", controls.first().map_or(control::CONTROL_PORT, |c| c.port)),
        );
    }
    if signals
        .iter()
        .all(|(s, _)| matches!(s, Signal::LocalFirewall | Signal::NoAddress))
    {
        return verdict(
            Verdict::BlockedLocally,
            format!(
                "A firewall on this computer refuses connections to port {port} over {family} ({}): nothing reached the network, so this says nothing about your provider.",
                local_firewall_detail(group)
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

    let probes_of = |set: &BTreeSet<&str>, known_only: bool| -> Vec<&ProbeResult> {
        group
            .iter()
            .filter(|p| set.contains(p.spec.host.as_str()) && (p.spec.expected || !known_only))
            .copied()
            .collect()
    };
    // The same host on another port of the same family.
    let elsewhere = |host: &str, ok: fn(&Outcome) -> bool| {
        all.iter().any(|o| {
            o.spec.host == host && o.spec.family == family && o.spec.port != port && ok(&o.outcome)
        })
    };
    let by_design = |host: &str| {
        group
            .iter()
            .any(|p| p.spec.host == host && matches!(p.spec.role, Role::PortEcho | Role::Reflector))
    };
    // A plain refusal (a RST to the SYN) from a host that works on other
    // ports may only mean it does not offer this one, unless it is a
    // well-known host whose ports are known. A timeout or an ICMP rejection
    // from a host that is up is the path's doing.
    let only_refused = |host: &str| {
        group
            .iter()
            .filter(|p| p.spec.host == host)
            .all(|p| matches!(p.outcome, Outcome::Refused))
    };
    let up_and_listening = |host: &str| {
        elsewhere(host, Outcome::connected)
            && (!only_refused(host) || default_target(host).is_some())
    };
    // Failures say "blocked" when independent hosts known to listen agree, or
    // the failing host is up: on another port (and listens on this one), or
    // answering its control probe. A host that listens by design (a port
    // tester, a reflector) is not enough alone: it may be down.
    let convincing_failure = |set: &BTreeSet<&str>| {
        interception::independent_hosts(&probes_of(set, true)) >= 2
            || set.iter().any(|h| up_and_listening(h) || host_up(h))
    };
    // What the failing hosts did, in words: a refusal is not silence.
    let failed_words = |set: &BTreeSet<&str>| -> Vec<String> {
        let (refused, silent): (BTreeSet<&str>, BTreeSet<&str>) =
            set.iter().partition(|h| only_refused(h));
        let mut said = Vec::new();
        if !silent.is_empty() {
            said.push(format!("{} did not answer", and_list(&silent)));
        }
        if !refused.is_empty() {
            said.push(format!("{} refused the connection", and_list(&refused)));
        }
        said
    };
    // Said of hosts that only refused: a reason besides being down.
    let not_offered = if failed.iter().any(|h| only_refused(h)) {
        format!(", or not offer port {port}")
    } else {
        String::new()
    };
    // Odd answers say "intercepted" when independent hosts agree, or the odd
    // host greets normally on another port, or listens by design.
    let convincing_odd = |set: &BTreeSet<&str>| {
        interception::independent_hosts(&probes_of(set, false)) >= 2
            || set
                .iter()
                .any(|h| elsewhere(h, |o| matches!(o, Outcome::Banner(_))) || by_design(h))
    };
    // A router's "network unreachable" on a family that works is a rejection.
    let router_no: BTreeSet<&str> = group
        .iter()
        .filter(|p| family_connects && matches!(p.outcome, Outcome::NoRoute { .. }))
        .map(|p| p.spec.host.as_str())
        .collect();
    let router_note = if router_no.is_empty() {
        String::new()
    } else {
        format!(
            " A router answered \"network unreachable\" for {} although {family} connects elsewhere: a rejection, not a missing route.",
            and_list(&router_no)
        )
    };
    let known_to_listen = |set: &BTreeSet<&str>| {
        group
            .iter()
            .filter(|p| set.contains(p.spec.host.as_str()))
            .all(|p| p.spec.expected)
    };
    let odd_answer = |set: &BTreeSet<&str>| {
        let greeted = signals.iter().any(|(s, p)| {
            *s == Signal::Odd
                && set.contains(p.spec.host.as_str())
                && matches!(p.outcome, Outcome::Banner(_))
        });
        // A greeting that came from the wrong server reads differently from
        // no greeting at all.
        if greeted {
            format!(
                "Port {port} answers for {}, but not as the real servers do: something on the path answers in their place.",
                and_list(set)
            )
        } else {
            format!(
                "Port {port} connects to {}, but no normal mail-server greeting comes back: a proxy or tarpit is in the way.",
                and_list(set)
            )
        }
    };

    if !accused.is_empty() {
        let why = if shown.iter().any(|e| e.proof) {
            format!(
                "Port {port} was answered in the reflector's place: the greeting came without the reflector's signature, which proves that something on the path intercepts it."
            )
        } else {
            odd_answer(&accused.union(&odd).copied().collect())
        };
        return verdict(Verdict::InterceptedSuspected, why);
    }
    let throttled = crate::ratelimit::throttled(all, port, family);
    if !throttled.is_empty() {
        return verdict(
            Verdict::RateLimited,
            format!(
                "Port {port} let a connection to {} through, then a second one to the same host timed out: your network limits how many connections it lets through on this port, it does not block it.",
                and_list(&throttled)
            ),
        );
    }
    if !reached.is_empty() {
        if !failed.is_empty() && convincing_failure(&failed) {
            let listen = if known_to_listen(&failed) {
                agree(
                    &failed,
                    ", which is known to listen",
                    ", which are known to listen",
                )
            } else {
                ""
            };
            return verdict(
                Verdict::Restricted,
                format!(
                    "Port {port} reaches {} but not {}{listen}: only some destinations are allowed.{router_note}",
                    and_list(&reached),
                    and_list(&failed),
                ),
            );
        }
        let mut why = format!(
            "Mail servers answered normally on port {port} over {family} ({}).",
            and_list(&reached)
        );
        if !failed.is_empty() {
            why.push_str(&format!(
                " {}; {} may be down{not_offered}.",
                failed_words(&failed).join(", and "),
                agree(&failed, "it", "they")
            ));
        }
        if !odd.is_empty() {
            why.push_str(&format!(
                " {} took the connection but did not greet normally; {} may be overloaded.",
                and_list(&odd),
                agree(&odd, "it", "they")
            ));
        }
        let noted: BTreeSet<&str> = evidence
            .iter()
            .filter(|e| e.kind != EvidenceKind::AddressTranslated)
            .map(|e| e.host.as_str())
            .collect();
        if !noted.is_empty() {
            why.push_str(&format!(
                " What looked odd about {} is shown as a note: {} own setup explains it as well as interception would.",
                and_list(&noted),
                agree(&noted, "that server's", "those servers'")
            ));
        }
        return verdict(Verdict::Open, why);
    }
    if !odd.is_empty() && convincing_odd(&odd) {
        return verdict(Verdict::InterceptedSuspected, odd_answer(&odd));
    }
    if !failed.is_empty() && convincing_failure(&failed) {
        // A rejection from a host known to listen is the network's answer
        // even where others time out: routers limit how many rejections
        // they send (Linux, one ICMPv6 error a second per destination), so
        // the rest go unanswered. Rejections from hosts that may not listen
        // there count only when they are the most.
        let listener_rejected = group
            .iter()
            .any(|p| p.spec.expected && rejected.contains(p.spec.host.as_str()));
        return if !listener_rejected && dropped.len() >= rejected.len() {
            let mut why = format!(
                "Connections to port {port} time out ({}): your network silently drops them.",
                and_list(&dropped)
            );
            if !rejected.is_empty() {
                why.push_str(&format!(
                    " Those to {} are rejected.{router_note}",
                    and_list(&rejected)
                ));
            }
            verdict(Verdict::BlockedSilently, why)
        } else {
            let mut why = format!(
                "Connections to port {port} are rejected ({}){}.{router_note}",
                and_list(&rejected),
                if known_to_listen(&rejected) {
                    agree(
                        &rejected,
                        ", though this host accepts mail there",
                        ", though these hosts accept mail there",
                    )
                } else {
                    ": a router or firewall on the way answered no"
                }
            );
            if !dropped.is_empty() {
                why.push_str(&format!(
                    " Those to {} time out: routers send only so many rejections.",
                    and_list(&dropped)
                ));
            }
            verdict(Verdict::BlockedActively, why)
        };
    }
    if !odd.is_empty() || !failed.is_empty() {
        let mut said: Vec<String> = Vec::new();
        if !odd.is_empty() {
            said.push(format!(
                "{} took the connection but did not greet like a mail server",
                and_list(&odd)
            ));
        }
        said.extend(failed_words(&failed));
        let tried: BTreeSet<&str> = odd.union(&failed).copied().collect();
        return verdict(
            Verdict::NotTestable {
                reason: NotTestableReason::SingleHost,
            },
            format!(
                "On port {port}, {}; no other host known to listen there answered, so {} may simply be down or overloaded{not_offered}. Add another host to tell.",
                said.join(", and "),
                agree(&tried, "it", "they")
            ),
        );
    }
    if signals.iter().any(|(s, _)| *s == Signal::Local) {
        return verdict(
            Verdict::NotTestable {
                reason: NotTestableReason::LocalError,
            },
            format!(
                "{}, so port {port} over {family} could not be tested; that says nothing about the network.",
                capitalised(&local_cause(group))
            ),
        );
    }
    // A host not known to run mail here that took the connection and then
    // said nothing useful may run something else on the port: that proves
    // the port is not blocked towards it, and nothing about mail.
    let connected: BTreeSet<&str> = group
        .iter()
        .filter(|p| p.outcome.connected())
        .map(|p| p.spec.host.as_str())
        .collect();
    let refused_all = group
        .iter()
        .all(|p| matches!(p.outcome, Outcome::Refused | Outcome::Reset));
    let why = if connected.is_empty() && refused_all {
        format!(
            "None of the hosts tried is known to listen on port {port}, and each refused the connection: nothing may listen there, so this cannot tell a block from a closed port."
        )
    } else if connected.is_empty() {
        format!(
            "None of the hosts tried is known to listen on port {port}, and none answered: this cannot tell a block from a closed port."
        )
    } else {
        format!(
            "{} accepted the connection on port {port}, but no mail server greeted; {} not known to run mail there, so this cannot tell a proxy from another service.",
            and_list(&connected),
            agree(&connected, "it is", "they are")
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
/// about submission ports. `probes` are the ones the verdicts were judged
/// from, for the causes when nothing could be judged.
///
/// e.g. "Your network silently drops outgoing port 25 on IPv4; IPv6 is open."
pub fn headline(verdicts: &[PortVerdict], probes: &[ProbeResult]) -> String {
    if !verdicts.is_empty()
        && verdicts
            .iter()
            .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }))
    {
        return nothing_judged(verdicts, probes);
    }
    let p25: Vec<&PortVerdict> = verdicts.iter().filter(|v| v.port == 25).collect();
    let phrase = |v: &PortVerdict| -> &'static str {
        match v.verdict {
            Verdict::Open => "is open",
            Verdict::Restricted => "is allowed only to some hosts",
            Verdict::BlockedSilently => "is silently dropped",
            Verdict::BlockedActively => "is actively rejected",
            Verdict::InterceptedSuspected if v.proved() => {
                "is intercepted (the reflector proved it)"
            }
            Verdict::InterceptedSuspected => "appears to be intercepted",
            Verdict::BlockedLocally => "is blocked by this computer's firewall",
            Verdict::RateLimited => "is rate-limited",
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            } => "cannot be used (no route)",
            Verdict::NotTestable { .. } => "could not be tested",
        }
    };
    let first = match p25.as_slice() {
        [] => String::from("Port 25 was not tested."),
        [one] => format!("Outgoing port 25 {} on {}.", phrase(one), one.family),
        [a, b] if phrase(a) == phrase(b) => {
            format!(
                "Outgoing port 25 {} on {} and {}.",
                phrase(a),
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
                _ => format!("Outgoing port 25 {} on {}", phrase(main[0]), main[0].family),
            };
            for r in rest {
                let tail = match &r.verdict {
                    Verdict::Open => format!("; {} is open", r.family),
                    Verdict::NotTestable {
                        reason: NotTestableReason::NoRoute,
                    } => {
                        format!("; this machine has no {} route", r.family)
                    }
                    _ => format!("; on {} it {}", r.family, phrase(r)),
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
/// it says nothing about the network (a host that is down, a name that does
/// not resolve or a machine out of sockets is not a block).
fn nothing_judged(verdicts: &[PortVerdict], probes: &[ProbeResult]) -> String {
    let mut why: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !why.contains(&s) {
            why.push(s);
        }
    };
    // A refusal is an answer: "did not answer" is said only of silence.
    let refused = |p: &&ProbeResult| matches!(p.outcome, Outcome::Refused | Outcome::Reset);
    let failed: Vec<&ProbeResult> = probes
        .iter()
        .filter(|p| !matches!(p.outcome, Outcome::DnsFailed { .. }))
        .collect();
    let unanswered = if !failed.is_empty() && failed.iter().all(refused) {
        "the hosts tried refused the connection, and they may simply not listen there"
    } else if failed.iter().any(refused) {
        "the hosts tried refused the connection or did not answer, and they may simply be down or not listen there"
    } else {
        "the hosts tried did not answer, and they may simply be down or not listen there"
    };
    let mut only_no_route = true;
    let mut only_dns = true;
    let mut only_local = true;
    for v in verdicts {
        let Verdict::NotTestable { reason } = v.verdict else {
            continue;
        };
        let group: Vec<&ProbeResult> = probes
            .iter()
            .filter(|p| p.spec.port == v.port && p.spec.family == v.family)
            .collect();
        only_no_route &= reason == NotTestableReason::NoRoute;
        only_dns &= reason == NotTestableReason::NoAddress;
        only_local &= reason == NotTestableReason::LocalError;
        match reason {
            NotTestableReason::NoRoute => push(format!("this machine has no {} route", v.family)),
            NotTestableReason::NoAddress | NotTestableReason::NotPublic => {
                push(dns_cause(&group, v.family))
            }
            NotTestableReason::LocalError => push(local_cause(&group)),
            NotTestableReason::NoKnownListener | NotTestableReason::SingleHost => {
                push(unanswered.to_string())
            }
        }
    }
    let why = why.join("; ");
    if only_no_route {
        format!("Nothing could be tested: {why}. That is not a block.")
    } else if only_dns {
        format!("Nothing could be judged: {why}. That says nothing about your network's mail ports: check the names and that this machine can resolve them, then try again.")
    } else if only_local {
        format!("Nothing could be judged: {why}. That says nothing about your network: close programs holding many connections or raise the open-file limit, then try again.")
    } else {
        format!("Nothing could be judged: {why}. That says nothing about your network: test against hosts known to accept mail.")
    }
}

/// Whether the family's path is broken rather than any port blocked:
/// control probes of the family were made and none was answered, no probe
/// of the family connected, and nothing answered a mail port either (every
/// probe timed out, or had no route or address). A network that drops every
/// mail port still lets the control port through.
fn broken_family(
    signals: &[(Signal, &ProbeResult)],
    all: &[ProbeResult],
    controls: &[ControlProbe],
    family: Family,
) -> bool {
    control::family_silent(controls, family)
        && !all
            .iter()
            .any(|p| p.spec.family == family && p.outcome.connected())
        && all.iter().filter(|p| p.spec.family == family).all(|p| {
            matches!(
                p.outcome,
                Outcome::Filtered | Outcome::NoRoute { .. } | Outcome::DnsFailed { .. }
            )
        })
        && signals.iter().any(|(_, p)| p.outcome == Outcome::Filtered)
}

/// The first local-firewall error of a group, for the port's sentence.
fn local_firewall_detail(group: &[&ProbeResult]) -> String {
    group
        .iter()
        .find_map(|p| match &p.outcome {
            Outcome::LocalFirewall { detail } => Some(detail.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
