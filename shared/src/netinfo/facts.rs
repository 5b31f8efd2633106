//! The facts themselves: each lookup's state, and what a check learned
//! about its network, with the questions the advice and the page ask of it.

use super::asn::AsnInfo;
use super::dnsbl::{BlocklistResult, BlocklistStatus, Listing};
use super::ptr::Ptr;
use crate::knowledge::{self, Matched};
use mailport_derive::TagFirst;
use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

/// What a hidden name or prefix reads as in a shared report.
pub const HIDDEN: &str = "(hidden)";

/// The state of one lookup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Fact<T> {
    /// The lookup answered.
    Found {
        /// The answer.
        value: T,
    },
    /// The lookup answered that there is nothing (NXDOMAIN, no record).
    NotFound,
    /// The lookup failed (server error, garbage, no route).
    Failed {
        /// What went wrong, for the user.
        error: String,
    },
    /// No answer within the lookup's time budget.
    TimedOut,
    /// Independent sources gave different answers: none is trusted.
    Disagreement {
        /// What each source said.
        answers: Vec<Witness<T>>,
    },
    /// Not attempted.
    Skipped {
        /// Why not (disabled, or an earlier fact is missing).
        reason: String,
    },
    /// Known, but hidden by the person who shared the report.
    Redacted,
}

impl<T> Fact<T> {
    /// The value, when found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Fact::Found { value } => Some(value),
            _ => None,
        }
    }

    /// A short label of the state, for the terminal.
    pub fn state_label(&self) -> &'static str {
        match self {
            Fact::Found { .. } => "found",
            Fact::NotFound => "none",
            Fact::Failed { .. } => "lookup failed",
            Fact::TimedOut => "timed out",
            Fact::Disagreement { .. } => "sources disagree",
            Fact::Skipped { .. } => "skipped",
            Fact::Redacted => "hidden",
        }
    }
}

impl<T> Default for Fact<T> {
    fn default() -> Self {
        Fact::Skipped {
            reason: "not looked up".into(),
        }
    }
}

/// A [`Fact`] as read, with the answer still JSON: the states and their
/// words are read by this one type, not once for each kind of answer (an
/// address of each family, a network, a reverse name), which in the page's
/// wasm was four copies of the same reader.
#[derive(TagFirst)]
#[serde(tag = "state", rename_all = "snake_case")]
enum FactRead {
    Found {
        value: serde_json::Value,
    },
    NotFound,
    Failed {
        error: String,
    },
    TimedOut,
    Disagreement {
        answers: Vec<Witness<serde_json::Value>>,
    },
    Skipped {
        reason: String,
    },
    Redacted,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Fact<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The answer is read as text again: the same reader of `T` as
        // everywhere else, so no second copy of it either.
        fn answer<T: DeserializeOwned, E: de::Error>(v: &serde_json::Value) -> Result<T, E> {
            crate::json::from_str(&crate::json::text_of(v)).map_err(|e| E::custom(e.what()))
        }
        Ok(match FactRead::deserialize(d)? {
            FactRead::Found { value } => Fact::Found {
                value: answer(&value)?,
            },
            FactRead::NotFound => Fact::NotFound,
            FactRead::Failed { error } => Fact::Failed { error },
            FactRead::TimedOut => Fact::TimedOut,
            FactRead::Disagreement { answers } => Fact::Disagreement {
                answers: answers
                    .iter()
                    .map(|w| {
                        Ok(Witness {
                            server: w.server.clone(),
                            value: answer(&w.value)?,
                        })
                    })
                    .collect::<Result<_, D::Error>>()?,
            },
            FactRead::Skipped { reason } => Fact::Skipped { reason },
            FactRead::Redacted => Fact::Redacted,
        })
    }
}

/// One source's answer, kept when sources disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness<T> {
    /// The server asked (name or address).
    pub server: String,
    /// What it answered.
    pub value: T,
}

/// Everything learned about the network the check ran from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkFacts {
    /// The public IPv4 address, as seen by independent DNS servers.
    pub public_ipv4: Fact<Ipv4Addr>,
    /// The public IPv6 address.
    pub public_ipv6: Fact<Ipv6Addr>,
    /// Who originates the public IPv4 address.
    pub origin_v4: Fact<AsnInfo>,
    /// Who originates the public IPv6 address.
    pub origin_v6: Fact<AsnInfo>,
    /// Blocklist answers, per list and address.
    pub blocklists: Vec<BlocklistResult>,
    /// Reverse DNS of the public IPv4 address.
    pub reverse_dns_v4: Fact<Ptr>,
    /// Reverse DNS of the public IPv6 address.
    pub reverse_dns_v6: Fact<Ptr>,
    /// How many independent servers gave each public address.
    pub address_sources: AddressSources,
}

/// How many independent servers gave each public address: 2 when two
/// agreed, 1 when only one answered (the address is then shown as coming
/// from one source), 0 when not found or in reports from before the count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressSources {
    /// For the IPv4 address.
    pub ipv4: u8,
    /// For the IPv6 address.
    pub ipv6: u8,
}

/// A provider from the knowledge base, matched on one of the origin answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderMatch<'a> {
    /// The provider and the AS number that named it.
    pub matched: Matched,
    /// The origin answer (IPv4's or IPv6's) it was found in, for its country.
    pub origin: &'a AsnInfo,
}

impl NetworkFacts {
    /// Hides everything that reveals the public addresses, for a shared
    /// report: the addresses, the reverse DNS names (they often embed the
    /// address's digits) and the announced prefixes. What the facts mean
    /// (the provider, listings, whether the name looks generic) stays.
    pub fn redact_addresses(&mut self) {
        fn hide<T>(fact: &mut Fact<T>) {
            if matches!(fact, Fact::Found { .. } | Fact::Disagreement { .. }) {
                *fact = Fact::Redacted;
            }
        }
        hide(&mut self.public_ipv4);
        hide(&mut self.public_ipv6);
        for ptr in [&mut self.reverse_dns_v4, &mut self.reverse_dns_v6] {
            if let Fact::Found { value } = ptr {
                value.name = HIDDEN.into();
            }
        }
        for origin in [&mut self.origin_v4, &mut self.origin_v6] {
            if let Fact::Found { value } = origin {
                value.prefix = HIDDEN.into();
            }
        }
        for b in &mut self.blocklists {
            b.address = None;
        }
    }

    /// The origin to name the network by: IPv4's, else IPv6's.
    pub fn origin(&self) -> Option<&AsnInfo> {
        self.origin_v4.found().or_else(|| self.origin_v6.found())
    }

    /// The known provider of this network, from the knowledge base, with
    /// the origin and AS number that named it: IPv4's origin first, then
    /// IPv6's, whichever matches (so the AS shown is the one that matched).
    pub fn provider(&self) -> Option<ProviderMatch<'_>> {
        [&self.origin_v4, &self.origin_v6]
            .into_iter()
            .filter_map(Fact::found)
            .find_map(|origin| {
                knowledge::for_origin(
                    std::iter::once(origin.asn).chain(origin.other_asns.iter().copied()),
                )
                .map(|matched| ProviderMatch { matched, origin })
            })
    }

    /// Every PBL listing found.
    pub fn pbl_listings(&self) -> Vec<(&BlocklistResult, &Listing)> {
        self.listings().filter(|(_, l)| l.is_pbl()).collect()
    }

    /// Every reputation listing (not PBL).
    pub fn reputation_listings(&self) -> Vec<(&BlocklistResult, &Listing)> {
        self.listings().filter(|(_, l)| !l.is_pbl()).collect()
    }

    fn listings(&self) -> impl Iterator<Item = (&BlocklistResult, &Listing)> {
        self.blocklists.iter().flat_map(|b| match &b.status {
            BlocklistStatus::Listed { listings, .. } => {
                listings.iter().map(|l| (b, l)).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        })
    }

    /// The reverse DNS of the IPv4 address, else IPv6's.
    pub fn ptr(&self) -> Option<&Ptr> {
        self.reverse_dns_v4
            .found()
            .or_else(|| self.reverse_dns_v6.found())
    }
}
