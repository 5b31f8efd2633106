//! What mailport knows about providers' mail-port policies, keyed by origin
//! AS number, so advice can say "You are on Comcast; send through
//! smtp.comcast.net on 587" instead of "try 587".
//!
//! Every entry carries its source URLs (`SOURCES.md` next to the table says
//! what each one confirmed), the date of its newest dated source and the
//! month the sources were read. Policies change and sources disagree: the
//! table explains, the measurement decides (see [`crate::advice`]).

use serde::{Deserialize, Serialize};

mod providers;

pub use providers::PROVIDERS;

/// What kind of network a provider sells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Home lines (cable, DSL, fibre), usually with dynamic addresses.
    Residential,
    /// Business lines of an ISP.
    Business,
    /// A cloud platform (virtual machines by the hour).
    Cloud,
    /// A hosting company (VPS, dedicated servers).
    Hosting,
}

/// A relay (smarthost) the provider offers its own customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Relay {
    /// Host name of the relay (may contain a placeholder such as `<region>`).
    pub host: &'static str,
    /// Ports it accepts submissions on, preferred first.
    pub ports: &'static [u16],
    /// Whether it needs a login.
    pub auth: bool,
}

/// What the provider does when a customer asks it to lift its block.
///
/// Advice depends on it: a routine unblock is worth asking for before any
/// workaround, a refused one must not be suggested at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Unblock {
    /// Lifted for ordinary customers who ask (a ticket, a form, a setting).
    OnRequest {
        /// How to ask, from the sources.
        how: &'static str,
    },
    /// Lifted only for some lines or accounts: business lines, static
    /// addresses, paid or enterprise plans.
    Restricted {
        /// For whom, and how.
        how: &'static str,
    },
    /// The provider says it does not lift the block.
    NotOffered {
        /// What the sources say instead.
        why: &'static str,
    },
    /// The sources name no procedure.
    Unknown {
        /// What is known, if anything.
        note: &'static str,
    },
}

impl Unblock {
    /// The sources' words.
    pub fn text(&self) -> &'static str {
        match self {
            Unblock::OnRequest { how } | Unblock::Restricted { how } => how,
            Unblock::NotOffered { why } => why,
            Unblock::Unknown { note } => note,
        }
    }
}

/// When the sources describe the policy: what the user reads as "as of".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceDate {
    /// The newest source that states the policy is dated `YYYY` or `YYYY-MM`.
    Dated(&'static str),
    /// No source states when it was written (a help page, a list): only the
    /// month it was read is known.
    Undated,
}

/// The URLs that back an entry, space-separated, written with
/// [`sources`]. They are for whoever checks or edits the table (with
/// `SOURCES.md`) and for its tests, which require them; nothing shows them
/// to users, so only test builds keep them: the page and the binaries are
/// spared 12 KB of addresses (the `PROVIDERS` table is built at compile
/// time, so the dropped text is never in the output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sources {
    #[cfg(test)]
    urls: &'static str,
}

/// An entry's [`Sources`].
pub const fn sources(urls: &'static str) -> Sources {
    #[cfg(not(test))]
    let _ = urls;
    Sources {
        #[cfg(test)]
        urls,
    }
}

/// One provider's known outbound mail policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Stable slug, e.g. `comcast`.
    pub id: &'static str,
    /// Display name, e.g. `Comcast Xfinity`.
    pub name: &'static str,
    /// Origin AS numbers of its customers' addresses (at least one: an entry
    /// that no origin can match is of no use).
    pub asns: &'static [u32],
    /// What kind of network it is.
    pub kind: ProviderKind,
    /// Outbound ports it is known to block (empty: none known).
    pub blocks: &'static [u16],
    /// Which customers the block applies to, e.g. `Cloud servers`, when the
    /// sources limit it; empty when they do not.
    pub scope: &'static str,
    /// The relay it offers, when known.
    pub relay: Option<Relay>,
    /// What happens when a customer asks for the block to be lifted.
    pub unblock: Unblock,
    /// Extra context, may be empty.
    pub note: &'static str,
    /// Source URLs, space-separated: see [`Sources`].
    #[serde(skip)]
    pub source: Sources,
    /// When the sources describe the policy.
    pub as_of: SourceDate,
    /// When the sources were read, `YYYY-MM`.
    pub checked: &'static str,
}

impl Provider {
    /// Whether the provider is known to block outbound `port`.
    pub fn blocks_port(&self, port: u16) -> bool {
        self.blocks.contains(&port)
    }

    /// How old the knowledge is, for the user: "as of 2012-08", or
    /// "sources undated, read 2026-11" (never the reading date passed off as
    /// the policy's).
    pub fn dated(&self) -> String {
        match self.as_of {
            SourceDate::Dated(d) => format!("as of {d}"),
            SourceDate::Undated => format!("sources undated, read {}", self.checked),
        }
    }
}

/// A provider found by AS number, with the AS that matched (which may be
/// another origin of a multi-origin prefix, not the main one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched {
    /// The provider.
    pub provider: &'static Provider,
    /// The AS number that named it.
    pub asn: u32,
}

/// The provider that originates `asn`, if known.
pub fn by_asn(asn: u32) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.asns.contains(&asn))
}

/// The provider with this id.
pub fn by_id(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// The provider behind the origin ASes of a prefix, in the order given (the
/// main origin first, then any other origin of a multi-origin prefix). Takes
/// plain AS numbers so that this table needs nothing of the lookups that
/// find them (`crate::netinfo` imports this module, never the reverse).
pub fn for_origin(asns: impl IntoIterator<Item = u32>) -> Option<Matched> {
    asns.into_iter()
        .find_map(|asn| by_asn(asn).map(|provider| Matched { provider, asn }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn asn_is_public(asn: u32) -> bool {
        !(asn == 0
            || asn == 23456
            || (64496..=64511).contains(&asn) // documentation
            || (64512..=65534).contains(&asn) // private use
            || asn == 65535
            || (65536..=65551).contains(&asn) // documentation
            || (4_200_000_000..=4_294_967_294).contains(&asn) // private use
            || asn == 4_294_967_295)
    }

    /// `YYYY-MM`, or `YYYY` alone when `year_only` is allowed.
    fn valid_date(d: &str, year_only: bool) -> bool {
        let year_ok = |y: &str| {
            y.len() == 4
                && y.bytes().all(|b| b.is_ascii_digit())
                && y.parse::<u32>().is_ok_and(|y| (1990..=2100).contains(&y))
        };
        match d.split_once('-') {
            None => year_only && year_ok(d),
            Some((y, m)) => {
                year_ok(y) && m.len() == 2 && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
            }
        }
    }

    #[test]
    fn every_entry_is_sourced_dated_and_valid() {
        assert!(PROVIDERS.len() >= 30, "the issue asks for at least 30");
        let mut ids = HashSet::new();
        let mut owner: HashMap<u32, &str> = HashMap::new();
        for p in PROVIDERS {
            assert!(!p.id.is_empty() && !p.name.is_empty(), "{p:?}");
            assert!(
                p.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "id {:?} is not a slug",
                p.id
            );
            assert!(ids.insert(p.id), "duplicate id {}", p.id);
            assert!(!p.source.urls.trim().is_empty(), "{} has no source", p.id);
            for url in p.source.urls.split_whitespace() {
                assert!(
                    url.starts_with("https://") || url.starts_with("http://"),
                    "{}: source {url:?} is not a URL",
                    p.id
                );
            }
            assert!(
                valid_date(p.checked, false),
                "{}: bad checked {:?}",
                p.id,
                p.checked
            );
            if let SourceDate::Dated(d) = p.as_of {
                assert!(valid_date(d, true), "{}: bad as_of {d:?}", p.id);
                // A source cannot be newer than its reading ("2026" sorts
                // before "2026-11", which is right: the year is known).
                assert!(
                    d <= p.checked,
                    "{}: as_of {d} after checked {}",
                    p.id,
                    p.checked
                );
            }
            assert!(
                !p.unblock.text().trim().is_empty(),
                "{}: empty unblock",
                p.id
            );
            assert!(
                !p.asns.is_empty(),
                "{}: no ASN, so no origin can match it",
                p.id
            );
            for asn in p.asns {
                assert!(asn_is_public(*asn), "{}: AS{asn} is not a public ASN", p.id);
                if let Some(other) = owner.insert(*asn, p.id) {
                    panic!("AS{asn} claimed by both {other} and {}", p.id);
                }
            }
            for port in p.blocks {
                assert!(*port > 0, "{}: port 0", p.id);
            }
            let mut seen = HashSet::new();
            assert!(
                p.blocks.iter().all(|x| seen.insert(*x)),
                "{}: dup port",
                p.id
            );
            assert!(
                p.scope.is_empty() || !p.blocks.is_empty(),
                "{}: a scope without a block",
                p.id
            );
            if let Some(r) = p.relay {
                assert!(!r.host.is_empty() && !r.host.contains(' '), "{}", p.id);
                assert!(!r.ports.is_empty(), "{}: relay without ports", p.id);
                assert!(r.ports.iter().all(|x| *x > 0), "{}: relay port 0", p.id);
            }
        }
    }

    #[test]
    fn validators_reject_what_they_should() {
        for bad in [0, 23456, 64512, 65000, 65534, 4_200_000_000, 4_294_967_294] {
            assert!(!asn_is_public(bad), "{bad}");
        }
        for good in [7922, 16509, 24940, 396982, 4_199_999_999] {
            assert!(asn_is_public(good), "{good}");
        }
        assert!(valid_date("2012-08", false) && valid_date("2009", true));
        for bad in ["", "2012", "2012-13", "12-08-2012", "2012-8", "1899-01"] {
            assert!(!valid_date(bad, false), "{bad}");
        }
        assert!(!valid_date("20x9", true));
    }

    #[test]
    fn dates_say_whose_date_they_are() {
        let p = |as_of| Provider {
            as_of,
            checked: "2026-11",
            ..PROVIDERS[0]
        };
        assert_eq!(p(SourceDate::Dated("2012-08")).dated(), "as of 2012-08");
        assert_eq!(
            p(SourceDate::Undated).dated(),
            "sources undated, read 2026-11"
        );
        // Entries whose only policy source is an undated list say so.
        for id in ["bellsouth", "cableone", "bell_canada"] {
            let p = by_id(id).expect("in the table");
            assert_eq!(p.as_of, SourceDate::Undated, "{id}");
        }
        assert_eq!(
            by_id("comcast").map(|p| p.as_of),
            Some(SourceDate::Dated("2012-08"))
        );
    }

    #[test]
    fn unblock_policies_follow_the_sources() {
        use Unblock as U;
        let policy = |id: &str| by_id(id).map(|p| p.unblock);
        for id in ["gcp", "digitalocean", "ibm_softlayer"] {
            assert!(matches!(policy(id), Some(U::NotOffered { .. })), "{id}");
        }
        for id in ["hetzner", "linode", "aws", "upcloud", "scaleway"] {
            assert!(matches!(policy(id), Some(U::OnRequest { .. })), "{id}");
        }
        for id in ["verizon", "centurylink", "azure"] {
            assert!(matches!(policy(id), Some(U::Restricted { .. })), "{id}");
        }
    }

    #[test]
    fn lookups_find_the_providers_the_personas_need() {
        let comcast = by_asn(7922).expect("Comcast");
        assert_eq!(comcast.id, "comcast");
        assert!(comcast.blocks_port(25));
        assert_eq!(comcast.relay.map(|r| r.host), Some("smtp.comcast.net"));
        assert_eq!(by_asn(16509).map(|p| p.id), Some("aws"));
        assert_eq!(by_asn(24940).map(|p| p.id), Some("hetzner"));
        // AT&T's legacy SBC network.
        assert_eq!(by_asn(7132).map(|p| p.id), Some("att"));
        assert_eq!(by_asn(64512), None);
        assert_eq!(
            by_id("hetzner").map(|p| p.asns.contains(&24940)),
            Some(true)
        );
        // The AS that matched is the one reported, not the main origin.
        let m = for_origin([64500, 7922]).expect("the second origin matches");
        assert_eq!((m.provider.id, m.asn), ("comcast", 7922));
        let m = for_origin([24940, 7922]).expect("the main origin matches first");
        assert_eq!((m.provider.id, m.asn), ("hetzner", 24940));
        assert_eq!(for_origin([64500]), None);
    }
}
