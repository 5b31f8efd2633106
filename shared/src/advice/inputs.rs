//! Everything the advice rules read, derived once from the verdicts and the
//! context. Deciding only: no text is written here, so a rule reads as a
//! condition over named facts ("port 25 is restricted to some relays"),
//! not as a query over verdicts.

use crate::classify::{NotTestableReason, PortVerdict, Verdict};
use crate::family::Family;
use crate::knowledge::{Matched, ProviderKind, Relay, Unblock};
use crate::netinfo::{Fact, Forward, GenericSign, NetworkFacts};
use crate::small_sort::IntoSet;
use std::collections::BTreeSet;

/// What else is known when advising, beyond the port verdicts. The
/// provider is looked up from the facts when advising
/// ([`NetworkFacts::provider`]), so it cannot disagree with them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// What was learned about the network (public address, origin,
    /// blocklists, reverse DNS).
    pub network: Option<NetworkFacts>,
}

impl Context {
    /// The context for these network facts.
    pub fn from_network(facts: Option<NetworkFacts>) -> Self {
        Context { network: facts }
    }
}

/// What is wrong with the reverse DNS of the public address for direct
/// delivery. A forward lookup that did not answer is not a mismatch: only
/// a definite one is a problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RdnsProblem {
    /// The address has no PTR name.
    Missing {
        /// The public address.
        ip: String,
    },
    /// The name looks like a home or pool address.
    Generic {
        /// The public address.
        ip: String,
        /// Its PTR name.
        name: String,
        /// What gave it away (absent only if the facts were inconsistent).
        sign: Option<GenericSign>,
    },
    /// The name does not resolve back to the address.
    Mismatch {
        /// The public address.
        ip: String,
        /// Its PTR name.
        name: String,
    },
}

/// Where mailport's provider notes and the measurement disagree; `None`
/// from [`policy_differs`] when they agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Differs {
    /// The provider whose notes disagree.
    pub m: Matched,
    /// Ports the notes call blocked that were measured open.
    pub open_anyway: Vec<u16>,
    /// Port 25 is blocked although the notes say it is open: the cause is
    /// likely local, the first thing to know.
    pub blocked25: bool,
}

impl Differs {
    /// Port 25 is among the ports the notes call blocked that are open: the
    /// note belongs next to "direct delivery works".
    pub fn open25(&self) -> bool {
        self.open_anyway.contains(&25)
    }
}

/// The provider's own relay, with what this check measured on its ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ProviderRelay {
    /// The provider.
    pub m: Matched,
    /// Its relay.
    pub relay: &'static Relay,
    /// The relay's ports that were open here.
    pub open: Vec<u16>,
    /// The relay's ports that looked blocked towards other hosts here.
    pub blocked: Vec<u16>,
}

/// The facts the rules read. Field names say what is true; the rules in
/// `rules.rs` combine them.
pub(super) struct Inputs<'a> {
    /// Every verdict of the check.
    pub verdicts: &'a [PortVerdict],
    /// Families over which port 25 is open.
    pub open25: Vec<Family>,
    /// Families over which port 25 is blocked (while open over another).
    pub blocked_families25: Vec<Family>,
    /// Something answers port 25 in the servers' place.
    pub intercepted25: bool,
    /// Hosts that take port 25 on a network that lets it through only to
    /// some: only those that can relay mail (never an MX or a port echo).
    pub relays25: Vec<String>,
    /// Port 25 is blocked over some family (any kind of block).
    pub blocked25: bool,
    /// What the provider could lift: a block or a restriction of port 25,
    /// not an interception seen alone (nothing is blocked then).
    pub network_block25: bool,
    /// Port 25 is rate-limited.
    pub rate_limited25: bool,
    /// Ports a firewall on this computer refused.
    pub local_firewall: BTreeSet<u16>,
    /// Port 25 was probed and could not be judged over any family.
    pub untestable25: bool,
    /// Port 25 could not be judged because no host had an address; the
    /// first verdict's explanation then says which.
    pub no_address25: Option<String>,
    /// Of those, the DNS server denied names that exist: the resolver is
    /// to fix, and nothing about port 25 is known (no workaround advice).
    pub dns_broken25: bool,
    /// Some verdict is usable.
    pub any_usable: bool,
    /// Some verdict is a block.
    pub any_block: bool,
    /// "Nothing passes" means something only when more than one port was
    /// judged: port 25 alone being blocked is the usual ISP policy.
    pub nothing_passes: bool,
    /// This machine has no IPv6 route.
    pub no_v6: bool,
    /// The provider of the public address, when known.
    pub provider: Option<Matched>,
    /// Port 25 is open and not intercepted.
    pub direct_possible: bool,
    /// Port 25 is blocked or intercepted.
    pub known_block: bool,
    /// Policy blocklists (PBL) the public address is on.
    pub pbl: Vec<String>,
    /// Reputation blocklists the address is on, with the listed address.
    pub bad: Vec<String>,
    /// The reverse DNS problem, if any.
    pub rdns: Option<RdnsProblem>,
    /// Where notes and measurement disagree.
    pub differs: Option<Differs>,
    /// The provider's relay, when its notes name one.
    pub provider_relay: Option<ProviderRelay>,
}

impl<'a> Inputs<'a> {
    /// Derives every fact from the verdicts and the context.
    pub fn new(verdicts: &'a [PortVerdict], ctx: &Context) -> Inputs<'a> {
        let p25: Vec<&PortVerdict> = find(verdicts, 25).collect();
        let open25 = open_on(verdicts, 25);
        let intercepted25 = p25
            .iter()
            .any(|v| v.verdict == Verdict::InterceptedSuspected);
        let relays25: Vec<String> = p25
            .iter()
            .filter(|v| v.verdict == Verdict::Restricted)
            .flat_map(|v| v.relays.iter().map(String::as_str))
            .into_set()
            .into_iter()
            .map(String::from)
            .collect();
        let blocked25 = p25.iter().any(|v| v.verdict.is_block());
        let network_block25 = p25.iter().any(|v| {
            matches!(
                v.verdict,
                Verdict::BlockedSilently
                    | Verdict::BlockedActively
                    | Verdict::Restricted
                    | Verdict::RateLimited
            )
        });
        let local_firewall: BTreeSet<u16> = verdicts
            .iter()
            .filter(|v| v.verdict == Verdict::BlockedLocally)
            .map(|v| v.port)
            .into_set();
        let untestable25 = !p25.is_empty()
            && p25
                .iter()
                .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }));
        let no_address25 = (!p25.is_empty()
            && p25.iter().all(|v| {
                matches!(
                    v.verdict,
                    Verdict::NotTestable {
                        reason: NotTestableReason::NoAddress | NotTestableReason::DnsBroken,
                    }
                )
            }))
        .then(|| p25[0].why.clone());
        let dns_broken25 = no_address25.is_some()
            && p25.iter().any(|v| {
                v.verdict
                    == Verdict::NotTestable {
                        reason: NotTestableReason::DnsBroken,
                    }
            });
        let any_usable = verdicts.iter().any(|v| v.verdict.usable());
        let any_block = verdicts.iter().any(|v| v.verdict.is_block());
        let judged_ports: BTreeSet<u16> = verdicts
            .iter()
            .filter(|v| !matches!(v.verdict, Verdict::NotTestable { .. }))
            .map(|v| v.port)
            .into_set();
        let nothing_passes = !any_usable && any_block && judged_ports.len() >= 2;
        let no_v6 = verdicts.iter().any(|v| {
            v.family == Family::Ipv6
                && v.verdict
                    == (Verdict::NotTestable {
                        reason: NotTestableReason::NoRoute,
                    })
        });

        let facts = ctx.network.as_ref();
        let provider = facts.and_then(|f| f.provider()).map(|m| m.matched);
        let direct_possible = !open25.is_empty() && !intercepted25;
        let known_block = blocked25 || intercepted25;
        let pbl: Vec<String> = facts
            .map(|f| f.pbl_listings())
            .unwrap_or_default()
            .iter()
            .map(|(_, l)| l.label())
            .collect();
        let bad: Vec<String> = facts
            .map(|f| f.reputation_listings())
            .unwrap_or_default()
            .iter()
            .map(|(b, l)| match b.address {
                Some(ip) => format!("{} ({ip})", l.label()),
                None => l.label(),
            })
            .collect();
        let rdns = facts.and_then(reverse_dns_problem);
        let differs = provider.and_then(|m| {
            policy_differs(m, verdicts, direct_possible, blocked25 && !intercepted25)
        });
        let provider_relay = provider
            .and_then(|m| m.provider.relay.as_ref().map(|r| (m, r)))
            .map(|(m, relay)| provider_relay(m, relay, verdicts));
        let blocked_families25 = p25
            .iter()
            .filter(|v| v.verdict.is_block())
            .map(|v| v.family)
            .collect();
        let rate_limited25 = p25.iter().any(|v| v.verdict == Verdict::RateLimited);
        Inputs {
            verdicts,
            open25,
            blocked_families25,
            intercepted25,
            relays25,
            blocked25,
            network_block25,
            rate_limited25,
            local_firewall,
            untestable25,
            no_address25,
            dns_broken25,
            any_usable,
            any_block,
            nothing_passes,
            no_v6,
            provider,
            direct_possible,
            known_block,
            pbl,
            bad,
            rdns,
            differs,
            provider_relay,
        }
    }

    /// Families over which `port` is open.
    pub fn open_on(&self, port: u16) -> Vec<Family> {
        open_on(self.verdicts, port)
    }

    /// The workarounds and the unblock are worth saying: port 25 is
    /// blocked or intercepted, or could not be judged and is not open.
    pub fn port25_needs_a_way_round(&self) -> bool {
        self.known_block || (self.untestable25 && self.open25.is_empty() && !self.dns_broken25)
    }

    /// An unblock will be asked for, unless the provider never grants one.
    pub fn asks_unblock(&self) -> bool {
        self.network_block25
            && !self
                .provider
                .is_some_and(|m| matches!(m.provider.unblock, Unblock::NotOffered { .. }))
    }

    /// Receivers check the name as soon as 25 opens, so the reverse DNS
    /// problem is said before the unblock that would expose it.
    pub fn rdns_before_unblock(&self) -> Option<&RdnsProblem> {
        self.rdns
            .as_ref()
            .filter(|_| self.asks_unblock() && !self.direct_possible)
    }

    /// The provider's own answer to its block comes before generic
    /// workarounds when it settles the question: a routine unblock, a
    /// refusal, or (for a cloud or host) whatever its policy is.
    pub fn provider_answers_early(&self) -> Option<Matched> {
        self.provider
            .filter(|_| self.network_block25)
            .filter(|m| match m.provider.unblock {
                Unblock::OnRequest { .. } | Unblock::NotOffered { .. } => true,
                Unblock::Restricted { .. } | Unblock::Unknown { .. } => {
                    matches!(m.provider.kind, ProviderKind::Cloud | ProviderKind::Hosting)
                }
            })
    }

    /// An ISP (not a cloud or host) whose outgoing server the notes may
    /// not name: ISPs that block 25 run one for their customers.
    pub fn isp(&self) -> Option<Matched> {
        self.provider.filter(|m| {
            matches!(
                m.provider.kind,
                ProviderKind::Residential | ProviderKind::Business
            )
        })
    }

    /// Home lines only: a cloud server has no "home" to receive at, and
    /// its provider's inbound policy is another question.
    pub fn home(&self) -> bool {
        self.provider
            .is_none_or(|m| m.provider.kind == ProviderKind::Residential)
    }
}

fn find(verdicts: &[PortVerdict], port: u16) -> impl Iterator<Item = &PortVerdict> {
    verdicts.iter().filter(move |v| v.port == port)
}

fn open_on(verdicts: &[PortVerdict], port: u16) -> Vec<Family> {
    find(verdicts, port)
        .filter(|v| v.verdict == Verdict::Open)
        .map(|v| v.family)
        .collect()
}

/// The relay's ports measured open here, and those that looked blocked
/// towards other hosts (and were not open over another family).
fn provider_relay(m: Matched, relay: &'static Relay, verdicts: &[PortVerdict]) -> ProviderRelay {
    let open: Vec<u16> = relay
        .ports
        .iter()
        .copied()
        .filter(|port| !open_on(verdicts, *port).is_empty())
        .collect();
    let blocked: Vec<u16> = relay
        .ports
        .iter()
        .copied()
        .filter(|port| find(verdicts, *port).any(|v| v.verdict.is_block()) && !open.contains(port))
        .collect();
    ProviderRelay {
        m,
        relay,
        open,
        blocked,
    }
}

/// Where mailport's notes and the measurement disagree: every port the
/// notes say is blocked but was measured open, and port 25 measured
/// blocked where the notes say it is open. `None` when they agree.
fn policy_differs(
    m: Matched,
    verdicts: &[PortVerdict],
    direct_possible: bool,
    blocked25: bool,
) -> Option<Differs> {
    let p = m.provider;
    let open_anyway: Vec<u16> = p
        .blocks
        .iter()
        .copied()
        .filter(|port| match port {
            25 => direct_possible,
            _ => !open_on(verdicts, *port).is_empty(),
        })
        .collect();
    let blocked_anyway = !p.blocks_port(25) && blocked25;
    (!open_anyway.is_empty() || blocked_anyway).then_some(Differs {
        m,
        open_anyway,
        blocked25: blocked_anyway,
    })
}

/// What is wrong with the reverse DNS of the public address for direct
/// delivery, if anything.
fn reverse_dns_problem(facts: &NetworkFacts) -> Option<RdnsProblem> {
    let (ip, fact) = match (&facts.public_ipv4, &facts.public_ipv6) {
        (Fact::Found { value }, _) => (value.to_string(), &facts.reverse_dns_v4),
        (_, Fact::Found { value }) => (value.to_string(), &facts.reverse_dns_v6),
        _ => return None,
    };
    match fact {
        Fact::NotFound => Some(RdnsProblem::Missing { ip }),
        Fact::Found { value } if value.generic.is_some() => Some(RdnsProblem::Generic {
            ip,
            name: value.name.clone(),
            sign: value.generic.clone(),
        }),
        Fact::Found { value } if value.forward == Forward::Mismatch => {
            Some(RdnsProblem::Mismatch {
                ip,
                name: value.name.clone(),
            })
        }
        _ => None,
    }
}
