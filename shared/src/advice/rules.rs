//! The advice rules: an ordered list, each a condition over [`Inputs`] that
//! says *what* to advise ([`Say`]), never how (that is `texts.rs`).
//!
//! Order is rank: the first rule that yields a piece of advice with a given
//! [`AdviceId`] wins, later ones with the same id are dropped. That is why
//! some ids appear more than once: the earlier entry is the more specific
//! wording that, when it applies, must come first (the provider's own
//! relay before a generic "your ISP's server"; a reverse DNS fix before the
//! unblock it should precede). Reordering this list changes the advice.

use super::id::AdviceId;
use super::inputs::{Differs, Inputs, ProviderRelay, RdnsProblem};
use crate::family::Family;
use crate::knowledge::Matched;

/// What a rule decided to advise, with the data its words need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Say {
    /// The public address is on reputation blocklists.
    Blocklisted(Vec<String>),
    /// A local firewall refused these ports.
    LocalFirewall(Vec<u16>),
    /// Port 25 is rate-limited.
    RateLimited,
    /// Something answers port 25 in the servers' place.
    Interception,
    /// Port 25 is open but the address is on these policy lists.
    PolicyListedDespiteOpen(Vec<String>),
    /// Direct delivery works over these families.
    DirectDeliveryOk {
        /// The provider, when known.
        provider: Option<Matched>,
        /// Families over which port 25 is open.
        open: Vec<Family>,
    },
    /// Port 25 works over some families only.
    PreferWorkingFamily {
        /// Families over which port 25 is open.
        open: Vec<Family>,
        /// Families over which it is blocked.
        blocked: Vec<Family>,
    },
    /// A reverse DNS problem, framed for where it stands.
    ReverseDns(RdnsProblem, RdnsFraming),
    /// Notes and measurement disagree.
    PolicyDiffers(Differs),
    /// No mail port passes at all.
    CheckLocalNetwork,
    /// Port 25 passes to these relays only.
    MeasuredRelays {
        /// The relays (sorted, unique).
        relays: Vec<String>,
        /// The provider, when known.
        provider: Option<Matched>,
    },
    /// Port 25 could not be judged: DNS gave no address.
    TestAgainNoAddress {
        /// The first verdict's explanation.
        why: String,
        /// The DNS server denied names that exist: fix the resolver, not
        /// the names.
        dns_broken: bool,
    },
    /// Port 25 could not be judged: test against hosts that accept mail.
    TestAgainTargets,
    /// The provider's own relay.
    ProviderRelay(ProviderRelay),
    /// Ask this provider to lift the block; `or` when something to do came
    /// before it.
    AskProvider {
        /// The provider.
        m: Matched,
        /// The title starts with "Or".
        or: bool,
    },
    /// Ask an unknown provider to lift the block.
    AskAnyProvider,
    /// A known ISP's outgoing server that the notes do not name.
    UnnamedIspServer(Matched),
    /// Submission on 587 is open over these families.
    Submit587(Vec<Family>),
    /// Submission on 465 is open over these families.
    Submit465(Vec<Family>),
    /// Port 2525 is open.
    AltPort2525,
    /// Port 26 is open.
    AltPort26,
    /// An unknown ISP's outgoing server.
    AnyIspServer,
    /// A smarthost service.
    RelayService,
    /// Port 25 is blocked, and the address is on these policy lists anyway.
    PolicyListedWhenUnblocked(Vec<String>),
    /// A backup-MX or reflector service for receiving at home.
    InboundReflector,
    /// Submission ports do not reach MX servers.
    No587ToMx,
    /// An HTTPS API as the last way out.
    HttpsApi,
    /// No IPv6 here.
    NoIpv6,
}

/// Where a reverse DNS problem stands in the advice, which changes its title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RdnsFraming {
    /// Next to "direct delivery works": said as it is.
    AsIs,
    /// Before asking for an unblock, naming the provider when known.
    BeforeUnblock(Option<&'static str>),
    /// Port 25 could not be judged: the name still matters the day direct
    /// delivery is tried, so it is said, as information.
    IfDirect,
}

impl Say {
    /// The stable id of this advice: one per kind of advice, so a rule
    /// cannot attach the words of one id to another.
    pub fn id(&self) -> AdviceId {
        match self {
            Say::Blocklisted(_) => AdviceId::Blocklisted,
            Say::LocalFirewall(_) => AdviceId::LocalFirewall,
            Say::RateLimited => AdviceId::RateLimited,
            Say::Interception => AdviceId::InterceptionUseTls,
            Say::PolicyListedDespiteOpen(_) | Say::PolicyListedWhenUnblocked(_) => {
                AdviceId::PolicyListed
            }
            Say::DirectDeliveryOk { .. } => AdviceId::DirectDeliveryOk,
            Say::PreferWorkingFamily { .. } => AdviceId::PreferWorkingFamily,
            Say::ReverseDns(..) => AdviceId::ReverseDns,
            Say::PolicyDiffers(_) => AdviceId::PolicyDiffers,
            Say::CheckLocalNetwork => AdviceId::CheckLocalNetwork,
            Say::MeasuredRelays { .. }
            | Say::ProviderRelay(_)
            | Say::UnnamedIspServer(_)
            | Say::AnyIspServer => AdviceId::IspRelay,
            Say::TestAgainNoAddress { .. } | Say::TestAgainTargets => AdviceId::TestAgain,
            Say::AskProvider { .. } | Say::AskAnyProvider => AdviceId::AskUnblock,
            Say::Submit587(_) => AdviceId::Submit587,
            Say::Submit465(_) => AdviceId::Submit465,
            Say::AltPort2525 => AdviceId::AltPort2525,
            Say::AltPort26 => AdviceId::AltPort26,
            Say::RelayService => AdviceId::RelayService,
            Say::InboundReflector => AdviceId::InboundReflector,
            Say::No587ToMx => AdviceId::No587ToMx,
            Say::HttpsApi => AdviceId::HttpsApi,
            Say::NoIpv6 => AdviceId::NoIpv6,
        }
    }
}

/// One rule: what to advise for these inputs, if anything.
pub(super) type Rule = fn(&Inputs) -> Option<Say>;

/// `say` when `cond` holds.
fn when(cond: bool, say: impl FnOnce() -> Say) -> Option<Say> {
    cond.then(say)
}

/// The reverse DNS fix framed as a step before asking for the unblock.
fn rdns_before_unblock(i: &Inputs) -> Option<Say> {
    i.rdns_before_unblock().map(|p| {
        Say::ReverseDns(
            p.clone(),
            RdnsFraming::BeforeUnblock(i.provider.map(|m| m.provider.name)),
        )
    })
}

/// The rules, most useful first (see the module documentation).
pub(super) const RULES: &[Rule] = &[
    // Whatever the ports say: a listed address is refused everywhere.
    |i| when(!i.bad.is_empty(), || Say::Blocklisted(i.bad.clone())),
    |i| {
        when(!i.local_firewall.is_empty(), || {
            Say::LocalFirewall(i.local_firewall.iter().copied().collect())
        })
    },
    |i| when(i.rate_limited25, || Say::RateLimited),
    |i| when(i.intercepted25, || Say::Interception),
    |i| {
        when(i.direct_possible && !i.pbl.is_empty(), || {
            Say::PolicyListedDespiteOpen(i.pbl.clone())
        })
    },
    // Direct delivery works: the good news, then what still stands in its way.
    |i| {
        when(i.direct_possible, || Say::DirectDeliveryOk {
            provider: i.provider,
            open: i.open25.clone(),
        })
    },
    |i| {
        when(
            i.direct_possible && !i.blocked_families25.is_empty(),
            || Say::PreferWorkingFamily {
                open: i.open25.clone(),
                blocked: i.blocked_families25.clone(),
            },
        )
    },
    |i| {
        i.rdns
            .clone()
            .filter(|_| i.direct_possible)
            .map(|p| Say::ReverseDns(p, RdnsFraming::AsIs))
    },
    // The notes say 25 is blocked and it is open: say so next to the good
    // news.
    |i| {
        i.differs
            .clone()
            .filter(|d| i.direct_possible && d.open25())
            .map(Say::PolicyDiffers)
    },
    // Nothing gets through at all: the cause is usually close to the user
    // (a local firewall, a VPN), so say that before any workaround.
    |i| when(i.nothing_passes, || Say::CheckLocalNetwork),
    // Port 25 reaches a relay but not everything: that relay is the answer.
    |i| {
        when(!i.relays25.is_empty(), || Say::MeasuredRelays {
            relays: i.relays25.clone(),
            provider: i.provider,
        })
    },
    // Port 25 could not be judged and nothing else is known to be blocked:
    // testing again comes first, and no advice may assume a block. No
    // address for any host: DNS is the thing to fix, not the targets.
    |i| {
        when(
            i.untestable25 && i.open25.is_empty() && !i.blocked25,
            || match &i.no_address25 {
                Some(why) => Say::TestAgainNoAddress {
                    why: why.clone(),
                    dns_broken: i.dns_broken25,
                },
                None => Say::TestAgainTargets,
            },
        )
    },
    // From here on, port 25 needs a way round (blocked, intercepted, or not
    // judged and not open). The notes say port 25 is open here, yet it is
    // blocked: the cause is likely local, the first thing to know.
    |i| {
        i.differs
            .clone()
            .filter(|d| i.port25_needs_a_way_round() && d.blocked25)
            .map(Say::PolicyDiffers)
    },
    |i| {
        i.provider_relay
            .clone()
            .filter(|_| i.port25_needs_a_way_round())
            .map(Say::ProviderRelay)
    },
    // The provider's answer to its block, when it settles the question: a
    // reverse DNS fix first, then (after the provider's relay, as an
    // alternative) the unblock itself.
    |i| {
        i.provider_answers_early()
            .filter(|_| i.port25_needs_a_way_round())
            .and_then(|_| rdns_before_unblock(i))
    },
    |i| {
        i.provider_answers_early()
            .filter(|_| i.port25_needs_a_way_round())
            .map(|m| Say::AskProvider {
                m,
                or: m.provider.relay.is_some(),
            })
    },
    // An ISP that blocks 25 runs a server for its customers even when the
    // notes do not name it; a measured relay was named above.
    |i| {
        i.isp()
            .filter(|_| i.port25_needs_a_way_round() && i.known_block && i.relays25.is_empty())
            .map(Say::UnnamedIspServer)
    },
    |i| {
        let open = i.open_on(587);
        when(i.port25_needs_a_way_round() && !open.is_empty(), || {
            Say::Submit587(open)
        })
    },
    |i| {
        let open = i.open_on(465);
        when(i.port25_needs_a_way_round() && !open.is_empty(), || {
            Say::Submit465(open)
        })
    },
    |i| {
        when(
            i.port25_needs_a_way_round() && !i.open_on(2525).is_empty(),
            || Say::AltPort2525,
        )
    },
    |i| {
        when(
            i.port25_needs_a_way_round() && !i.open_on(26).is_empty(),
            || Say::AltPort26,
        )
    },
    |i| {
        when(
            i.port25_needs_a_way_round()
                && i.known_block
                && i.relays25.is_empty()
                && i.provider.is_none(),
            || Say::AnyIspServer,
        )
    },
    |i| when(i.port25_needs_a_way_round(), || Say::RelayService),
    |i| {
        when(i.port25_needs_a_way_round() && !i.pbl.is_empty(), || {
            Say::PolicyListedWhenUnblocked(i.pbl.clone())
        })
    },
    // The unblock, when the provider's answer did not come early.
    |i| {
        if !(i.port25_needs_a_way_round() && i.network_block25) {
            return None;
        }
        rdns_before_unblock(i)
    },
    |i| {
        when(
            i.port25_needs_a_way_round() && i.network_block25,
            || match i.provider {
                Some(m) => Say::AskProvider { m, or: true },
                None => Say::AskAnyProvider,
            },
        )
    },
    |i| {
        i.rdns
            .clone()
            .filter(|_| i.port25_needs_a_way_round() && !i.network_block25)
            .map(|p| Say::ReverseDns(p, RdnsFraming::IfDirect))
    },
    |i| {
        when(
            i.port25_needs_a_way_round() && i.known_block && i.home(),
            || Say::InboundReflector,
        )
    },
    |i| when(i.port25_needs_a_way_round(), || Say::No587ToMx),
    // Whatever else was said.
    |i| i.differs.clone().map(Say::PolicyDiffers),
    |i| when(!i.any_usable && i.any_block, || Say::HttpsApi),
    |i| when(i.no_v6, || Say::NoIpv6),
];
