//! The verdict types: what mailport concludes per port and family. A leaf,
//! so that deciding, wording and the headline all name verdicts without
//! depending on one another.

use crate::family::Family;
use crate::interception::Evidence;
use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};

/// What mailport concludes about one port on one family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
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
    /// The DNS server says that names which exist (mailport's well-known
    /// default targets) do not: it is not resolving internet names (a
    /// company DNS that knows only internal names, a filter, a resolver
    /// with no way out). Nothing was probed, and the names are not at fault.
    DnsBroken,
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
