//! [`GroupFacts`]: everything known about one port and family, derived once
//! from its probes, the other probes and the control probes. The decision
//! (`decide.rs`) reads these facts and the sentence (`why.rs`) words them,
//! so neither recomputes what the other relies on.

use super::signal::{signal, Signal};
use crate::control::{self, ControlProbe};
use crate::family::Family;
use crate::interception::{self, Evidence};
use crate::outcome::{DnsFailure, Outcome};
use crate::probe::ProbeResult;
use crate::small_sort::IntoSet;
use crate::target::{default_target, Role, DEFAULT_TARGETS};
use std::collections::BTreeSet;

/// The facts of one (port, family) group.
pub(super) struct GroupFacts<'a> {
    /// The port.
    pub port: u16,
    /// The family.
    pub family: Family,
    /// The probes of this port and family.
    pub group: &'a [&'a ProbeResult],
    /// Every probe of the check (the same hosts on other ports matter).
    pub all: &'a [ProbeResult],
    /// The control probes.
    pub controls: &'a [ControlProbe],
    /// What each probe of the group says.
    pub signals: Vec<(Signal, &'a ProbeResult)>,
    /// Hosts that answered with a clean SMTP greeting.
    pub reached: BTreeSet<&'a str>,
    /// Of `reached`, those that can relay the user's mail.
    pub relays: BTreeSet<&'a str>,
    /// Hosts known to listen whose answer was odd.
    pub odd: BTreeSet<&'a str>,
    /// Hosts known to listen that timed out.
    pub dropped: BTreeSet<&'a str>,
    /// Hosts whose connection was rejected.
    pub rejected: BTreeSet<&'a str>,
    /// `dropped` and `rejected`.
    pub failed: BTreeSet<&'a str>,
    /// Hosts with strong interception findings.
    pub accused: BTreeSet<&'a str>,
    /// The interception findings of this port and family, as found.
    pub evidence: &'a [Evidence],
    /// The findings shown to the user: proof first, then strong findings,
    /// then notes; the same finding in the same words from several hosts (a
    /// masked greeting everywhere) once. `signals` keep the per-host ones.
    pub shown: Vec<Evidence>,
    /// Hosts for which a router said "network unreachable" although the
    /// family connects elsewhere: a rejection, not a missing route.
    pub router_no: BTreeSet<&'a str>,
    /// Hosts that let one connection through and dropped the next (see
    /// [`crate::ratelimit`]).
    pub throttled: BTreeSet<&'a str>,
}

/// A well-known host (one of the default targets, which exist) that the DNS
/// server said does not exist, when every lookup of the group got that
/// answer: the resolver is at fault, not the names.
pub(super) fn denied_known_name(group: &[&ProbeResult]) -> Option<&'static str> {
    if group.is_empty() || !group.iter().all(|p| denied(p)) {
        return None;
    }
    // In the defaults' own order, so that every port names the same host
    // whatever order the probes finished in.
    DEFAULT_TARGETS
        .iter()
        .find(|d| {
            group
                .iter()
                .any(|p| default_target(&p.spec.host).is_some_and(|t| t.host == d.host))
        })
        .map(|d| d.host)
}

/// Whether the DNS server said the probe's name does not exist.
pub(super) fn denied(p: &ProbeResult) -> bool {
    matches!(
        p.outcome,
        Outcome::DnsFailed {
            reason: DnsFailure::NxDomain
        }
    )
}

impl<'a> GroupFacts<'a> {
    /// Derives the facts of one group.
    pub fn new(
        port: u16,
        family: Family,
        group: &'a [&'a ProbeResult],
        all: &'a [ProbeResult],
        controls: &'a [ControlProbe],
        evidence: &'a [Evidence],
    ) -> GroupFacts<'a> {
        // Some probe of the family connected, or a control probe of the
        // family was answered: the family has a route.
        let family_connects = all
            .iter()
            .any(|o| o.spec.family == family && o.outcome.connected())
            || control::family_answered(controls, family);
        let signals: Vec<(Signal, &ProbeResult)> = group
            .iter()
            .map(|p| {
                let up = control::host_answered(controls, &p.spec.host, family);
                (signal(p, evidence, family_connects, up), *p)
            })
            .collect();
        let hosts_with = |s: Signal| -> BTreeSet<&'a str> {
            signals
                .iter()
                .filter(|(sig, _)| *sig == s)
                .map(|(_, p)| p.spec.host.as_str())
                .into_set()
        };
        let reached = hosts_with(Signal::Reached);
        let odd = hosts_with(Signal::Odd);
        let dropped = hosts_with(Signal::Dropped);
        let rejected = hosts_with(Signal::Rejected);
        let relays: BTreeSet<&str> = signals
            .iter()
            .filter(|(s, p)| {
                *s == Signal::Reached && matches!(p.spec.role, Role::Submission | Role::OwnHost)
            })
            .map(|(_, p)| p.spec.host.as_str())
            .into_set();
        let failed: BTreeSet<&str> = dropped.union(&rejected).copied().into_set();
        let accused: BTreeSet<&str> = evidence
            .iter()
            .filter(|e| e.strong)
            .map(|e| e.host.as_str())
            .into_set();
        let mut ordered = evidence.to_vec();
        crate::small_sort::sort_by_key(&mut ordered, |e| (!e.proof, !e.strong));
        let mut shown: Vec<Evidence> = Vec::new();
        for e in ordered {
            if !shown
                .iter()
                .any(|x| x.kind == e.kind && x.detail == e.detail)
            {
                shown.push(e);
            }
        }
        let router_no: BTreeSet<&str> = group
            .iter()
            .filter(|p| family_connects && matches!(p.outcome, Outcome::NoRoute { .. }))
            .map(|p| p.spec.host.as_str())
            .into_set();
        let throttled = crate::ratelimit::throttled(all, port, family);
        GroupFacts {
            port,
            family,
            group,
            all,
            controls,
            signals,
            reached,
            relays,
            odd,
            dropped,
            rejected,
            failed,
            accused,
            evidence,
            shown,
            router_no,
            throttled,
        }
    }

    /// Whether every probe of the group says one of `these`.
    pub fn all_signals(&self, these: &[Signal]) -> bool {
        self.signals.iter().all(|(s, _)| these.contains(s))
    }

    /// Whether some probe of the group says `this`.
    pub fn any_signal(&self, this: Signal) -> bool {
        self.signals.iter().any(|(s, _)| *s == this)
    }

    /// Every target resolved to a private or local address only.
    pub fn not_public(&self) -> bool {
        self.group.iter().all(|p| {
            matches!(
                p.outcome,
                Outcome::DnsFailed {
                    reason: DnsFailure::Forbidden { .. }
                }
            )
        })
    }

    /// This host answered its control probe.
    pub fn host_up(&self, host: &str) -> bool {
        control::host_answered(self.controls, host, self.family)
    }

    /// The probes of the group to the hosts of `set` (of hosts known to
    /// listen only, when `known_only`).
    fn probes_of(&self, set: &BTreeSet<&str>, known_only: bool) -> Vec<&'a ProbeResult> {
        self.group
            .iter()
            .filter(|p| set.contains(p.spec.host.as_str()) && (p.spec.expected || !known_only))
            .copied()
            .collect()
    }

    /// The same host on another port of the same family did `ok`.
    fn elsewhere(&self, host: &str, ok: fn(&Outcome) -> bool) -> bool {
        self.all.iter().any(|o| {
            o.spec.host == host
                && o.spec.family == self.family
                && o.spec.port != self.port
                && ok(&o.outcome)
        })
    }

    /// The host listens by design (a port tester, a reflector).
    fn by_design(&self, host: &str) -> bool {
        self.group
            .iter()
            .any(|p| p.spec.host == host && matches!(p.spec.role, Role::PortEcho | Role::Reflector))
    }

    /// Every probe of the group to this host was plainly refused (a RST to
    /// the SYN).
    pub fn only_refused(&self, host: &str) -> bool {
        self.group
            .iter()
            .filter(|p| p.spec.host == host)
            .all(|p| matches!(p.outcome, Outcome::Refused))
    }

    /// A plain refusal (a RST to the SYN) from a host that works on other
    /// ports may only mean it does not offer this one, unless it is a
    /// well-known host whose ports are known. A timeout or an ICMP rejection
    /// from a host that is up is the path's doing.
    fn up_and_listening(&self, host: &str) -> bool {
        self.elsewhere(host, Outcome::connected)
            && (!self.only_refused(host) || default_target(host).is_some())
    }

    /// Failures say "blocked" when independent hosts known to listen agree,
    /// or the failing host is up: on another port (and listens on this one),
    /// or answering its control probe. A host that listens by design (a port
    /// tester, a reflector) is not enough alone: it may be down.
    pub fn convincing_failure(&self, set: &BTreeSet<&str>) -> bool {
        interception::independent_hosts(&self.probes_of(set, true)) >= 2
            || set
                .iter()
                .any(|h| self.up_and_listening(h) || self.host_up(h))
    }

    /// Odd answers say "intercepted" when independent hosts agree, or the
    /// odd host greets normally on another port, or listens by design.
    pub fn convincing_odd(&self, set: &BTreeSet<&str>) -> bool {
        interception::independent_hosts(&self.probes_of(set, false)) >= 2
            || set.iter().any(|h| {
                self.elsewhere(h, |o| matches!(o, Outcome::Banner(_))) || self.by_design(h)
            })
    }

    /// Every probe of the group to the hosts of `set` was to a host known to
    /// listen on the port.
    pub fn known_to_listen(&self, set: &BTreeSet<&str>) -> bool {
        self.group
            .iter()
            .filter(|p| set.contains(p.spec.host.as_str()))
            .all(|p| p.spec.expected)
    }

    /// A host known to listen rejected the connection.
    pub fn listener_rejected(&self) -> bool {
        self.group
            .iter()
            .any(|p| p.spec.expected && self.rejected.contains(p.spec.host.as_str()))
    }

    /// Some odd answer from the hosts of `set` was a greeting (from the
    /// wrong server), not silence.
    pub fn odd_greeting(&self, set: &BTreeSet<&str>) -> bool {
        self.signals.iter().any(|(s, p)| {
            *s == Signal::Odd
                && set.contains(p.spec.host.as_str())
                && matches!(p.outcome, Outcome::Banner(_))
        })
    }

    /// Hosts of the group that took the connection.
    pub fn connected(&self) -> BTreeSet<&'a str> {
        self.group
            .iter()
            .filter(|p| p.outcome.connected())
            .map(|p| p.spec.host.as_str())
            .into_set()
    }

    /// Every probe of the group was refused or reset.
    pub fn refused_all(&self) -> bool {
        self.group
            .iter()
            .all(|p| matches!(p.outcome, Outcome::Refused | Outcome::Reset))
    }

    /// Whether the family's path is broken rather than any port blocked:
    /// control probes of the family were made and none was answered, no
    /// probe of the family connected, and nothing answered a mail port
    /// either (every probe timed out, or had no route or address). A network
    /// that drops every mail port still lets the control port through.
    pub fn broken_family(&self) -> bool {
        let family = self.family;
        control::family_silent(self.controls, family)
            && !self
                .all
                .iter()
                .any(|p| p.spec.family == family && p.outcome.connected())
            && self
                .all
                .iter()
                .filter(|p| p.spec.family == family)
                .all(|p| {
                    matches!(
                        p.outcome,
                        Outcome::Filtered | Outcome::NoRoute { .. } | Outcome::DnsFailed { .. }
                    )
                })
            && self
                .signals
                .iter()
                .any(|(_, p)| p.outcome == Outcome::Filtered)
    }
}
