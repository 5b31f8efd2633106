//! What mailport knows about providers' mail-port policies, keyed by origin
//! AS number, so advice can say "You are on Comcast; send through
//! smtp.comcast.net on 587" instead of "try 587".
//!
//! Every entry carries its source URLs and a date. Policies change and
//! sources disagree: the table explains, the measurement decides (see
//! [`crate::advice`]).

use crate::netinfo::AsnInfo;
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

/// One provider's known outbound mail policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Stable slug, e.g. `comcast`.
    pub id: &'static str,
    /// Display name, e.g. `Comcast Xfinity`.
    pub name: &'static str,
    /// Origin AS numbers of its customers' addresses.
    pub asns: &'static [u32],
    /// What kind of network it is.
    pub kind: ProviderKind,
    /// Outbound ports it is known to block (empty: none known).
    pub blocks: &'static [u16],
    /// The relay it offers, when known.
    pub relay: Option<Relay>,
    /// How to ask for an unblock, or why it is not offered.
    pub unblock: &'static str,
    /// Extra context, may be empty.
    pub note: &'static str,
    /// Source URLs, space-separated.
    pub source: &'static str,
    /// Date of the source or of the reading, `YYYY-MM`.
    pub as_of: &'static str,
}

impl Provider {
    /// Whether the provider is known to block outbound `port`.
    pub fn blocks_port(&self, port: u16) -> bool {
        self.blocks.contains(&port)
    }
}

/// The provider that originates `asn`, if known.
pub fn by_asn(asn: u32) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.asns.contains(&asn))
}

/// The provider with this id.
pub fn by_id(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// The provider behind an origin answer: the main origin AS first, then any
/// other origin of a multi-origin prefix.
pub fn for_origin(origin: &AsnInfo) -> Option<&'static Provider> {
    by_asn(origin.asn).or_else(|| origin.other_asns.iter().find_map(|a| by_asn(*a)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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

    fn valid_date(d: &str) -> bool {
        let b = d.as_bytes();
        let ym = b.len() == 7
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[5..].iter().all(u8::is_ascii_digit);
        ym && d[..4]
            .parse::<u32>()
            .is_ok_and(|y| (1990..=2100).contains(&y))
            && d[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
    }

    #[test]
    fn every_entry_is_sourced_dated_and_valid() {
        assert!(PROVIDERS.len() >= 10, "the table is unexpectedly small");
        let mut ids = HashSet::new();
        let mut owner: std::collections::HashMap<u32, &str> = Default::default();
        for p in PROVIDERS {
            assert!(!p.id.is_empty() && !p.name.is_empty(), "{p:?}");
            assert!(
                p.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "id {:?} is not a slug",
                p.id
            );
            assert!(ids.insert(p.id), "duplicate id {}", p.id);
            assert!(!p.source.trim().is_empty(), "{} has no source", p.id);
            for url in p.source.split_whitespace() {
                assert!(
                    url.starts_with("https://") || url.starts_with("http://"),
                    "{}: source {url:?} is not a URL",
                    p.id
                );
            }
            assert!(valid_date(p.as_of), "{}: bad as_of {:?}", p.id, p.as_of);
            assert!(!p.unblock.trim().is_empty(), "{}: empty unblock", p.id);
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
        assert!(valid_date("2012-08"));
        for bad in ["", "2012", "2012-13", "12-08-2012", "2012-8"] {
            assert!(!valid_date(bad), "{bad}");
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
        assert_eq!(by_asn(64512), None);
        assert_eq!(
            by_id("hetzner").map(|p| p.asns.contains(&24940)),
            Some(true)
        );
        let multi = AsnInfo {
            asn: 64500,
            other_asns: vec![7922],
            prefix: "192.0.2.0/24".into(),
            country: "US".into(),
            registry: "arin".into(),
            allocated: String::new(),
            as_name: None,
        };
        assert_eq!(for_origin(&multi).map(|p| p.id), Some("comcast"));
    }
}
