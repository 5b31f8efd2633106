//! The decision for one group: which case of the module's rules holds,
//! read from [`GroupFacts`] in the rules' order. The first case that holds
//! wins; `why.rs` words it.

use super::group::{denied_known_name, GroupFacts};
use super::signal::Signal;
use super::verdict::{NotTestableReason, Verdict};

/// Which case holds for a group. Each has one verdict ([`Decision::verdict`])
/// and one way of being worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// The DNS server denied names that exist (see
    /// [`NotTestableReason::DnsBroken`]).
    DnsBroken,
    /// No target had an address (`not_public`: only private ones).
    NoAddress {
        /// Every target was a private or local address.
        not_public: bool,
    },
    /// Nothing answers over the family, not even the control port.
    BrokenFamily,
    /// A firewall on this computer refused every connection.
    LocalFirewall,
    /// No route for the family.
    NoRoute,
    /// Strong interception findings.
    Intercepted,
    /// A connection passed, the next to the same host timed out.
    RateLimited,
    /// Some hosts reached, others known to listen convincingly failed.
    Restricted,
    /// Mail servers answered normally.
    Open,
    /// Odd answers, convincingly the path's doing.
    InterceptedOdd,
    /// Convincing failures, mostly timeouts.
    BlockedSilently,
    /// Convincing failures, rejections.
    BlockedActively,
    /// Odd answers or failures that one host alone cannot settle.
    SingleHost,
    /// This machine could not open the connections.
    LocalError,
    /// No host known to listen was tried, and the others said nothing.
    NoKnownListener,
}

impl Decision {
    /// The verdict of this case.
    pub fn verdict(self) -> Verdict {
        let not_testable = |reason| Verdict::NotTestable { reason };
        match self {
            Decision::NoAddress { not_public: true } => not_testable(NotTestableReason::NotPublic),
            Decision::NoAddress { not_public: false } => not_testable(NotTestableReason::NoAddress),
            Decision::DnsBroken => not_testable(NotTestableReason::DnsBroken),
            Decision::BrokenFamily | Decision::NoRoute => not_testable(NotTestableReason::NoRoute),
            Decision::LocalFirewall => Verdict::BlockedLocally,
            Decision::Intercepted | Decision::InterceptedOdd => Verdict::InterceptedSuspected,
            Decision::RateLimited => Verdict::RateLimited,
            Decision::Restricted => Verdict::Restricted,
            Decision::Open => Verdict::Open,
            Decision::BlockedSilently => Verdict::BlockedSilently,
            Decision::BlockedActively => Verdict::BlockedActively,
            Decision::SingleHost => not_testable(NotTestableReason::SingleHost),
            Decision::LocalError => not_testable(NotTestableReason::LocalError),
            Decision::NoKnownListener => not_testable(NotTestableReason::NoKnownListener),
        }
    }
}

/// The case that holds for this group (see the module documentation of
/// [`crate::classify`] for the rules in words).
pub(super) fn decide(f: &GroupFacts) -> Decision {
    if f.all_signals(&[Signal::NoAddress]) {
        if denied_known_name(f.group).is_some() {
            return Decision::DnsBroken;
        }
        return Decision::NoAddress {
            not_public: f.not_public(),
        };
    }
    if f.broken_family() {
        return Decision::BrokenFamily;
    }
    if f.all_signals(&[Signal::LocalFirewall, Signal::NoAddress]) {
        return Decision::LocalFirewall;
    }
    if f.all_signals(&[Signal::NoRoute, Signal::NoAddress]) {
        return Decision::NoRoute;
    }
    if !f.accused.is_empty() {
        return Decision::Intercepted;
    }
    if !f.throttled.is_empty() {
        return Decision::RateLimited;
    }
    if !f.reached.is_empty() {
        return if !f.failed.is_empty() && f.convincing_failure(&f.failed) {
            Decision::Restricted
        } else {
            Decision::Open
        };
    }
    if !f.odd.is_empty() && f.convincing_odd(&f.odd) {
        return Decision::InterceptedOdd;
    }
    if !f.failed.is_empty() && f.convincing_failure(&f.failed) {
        // A rejection from a host known to listen is the network's answer
        // even where others time out: routers limit how many rejections
        // they send (Linux, one ICMPv6 error a second per destination), so
        // the rest go unanswered. Rejections from hosts that may not listen
        // there count only when they are the most.
        return if !f.listener_rejected() && f.dropped.len() >= f.rejected.len() {
            Decision::BlockedSilently
        } else {
            Decision::BlockedActively
        };
    }
    if !f.odd.is_empty() || !f.failed.is_empty() {
        return Decision::SingleHost;
    }
    if f.any_signal(Signal::Local) {
        return Decision::LocalError;
    }
    Decision::NoKnownListener
}
