//! Reverse DNS: the PTR fact, its query name, and whether a name looks like
//! an ISP's generic pool name (or spells the address out, which share
//! redaction hides too).

use super::reverse::{reverse_ipv4, reverse_ipv6_nibbles};
use crate::suffix;
use mailport_derive::TagFirst;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The reverse DNS name of the public address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ptr {
    /// The PTR name (the forward-confirmed one when there are several).
    pub name: String,
    /// Whether the name resolves back to the address (FCrDNS), which
    /// receivers check before accepting mail. Reports from before the three
    /// states carried a bool, `forward_confirmed`, still read here.
    #[serde(
        default,
        alias = "forward_confirmed",
        deserialize_with = "forward_compat"
    )]
    pub forward: Forward,
    /// Why the name looks like an ISP's generic name for a pool address.
    #[serde(default)]
    pub generic: Option<GenericSign>,
}

/// Whether a PTR name resolves back to the address it names (forward-
/// confirmed reverse DNS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forward {
    /// The name's A/AAAA records include the address.
    Confirmed,
    /// The name's lookup answered, without the address (or NXDOMAIN):
    /// receivers would see the mismatch.
    Mismatch,
    /// The lookup failed or timed out: nothing is known, so nothing is
    /// claimed.
    #[default]
    Unknown,
}

/// Reads `forward` in its current form or as the old `forward_confirmed`
/// bool (`false` then meant "did not resolve back").
fn forward_compat<'de, D: Deserializer<'de>>(d: D) -> Result<Forward, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Old(bool),
        New(Forward),
    }
    Ok(match Wire::deserialize(d)? {
        Wire::Old(true) => Forward::Confirmed,
        Wire::Old(false) => Forward::Mismatch,
        Wire::New(f) => f,
    })
}

/// Why a reverse DNS name looks generic (assigned by the ISP to a pool of
/// customer addresses) rather than chosen for a mail server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GenericSign {
    /// The name embeds the address's digits, e.g. `c-73-1-2-3.example.net`.
    EmbeddedAddress,
    /// The name contains a word ISPs use for customer pools.
    Keyword {
        /// The word, e.g. `dsl`, `pool`, `dynamic`.
        word: String,
    },
}

impl fmt::Display for GenericSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenericSign::EmbeddedAddress => f.write_str("it embeds the address's digits"),
            GenericSign::Keyword { word } => write!(f, "it contains \"{word}\""),
        }
    }
}

/// The reverse-DNS (PTR) name of an address.
pub fn ptr_query_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{}.in-addr.arpa", reverse_ipv4(v4)),
        IpAddr::V6(v6) => format!("{}.ip6.arpa", reverse_ipv6_nibbles(v6)),
    }
}

/// Words ISPs put in the names of customer-pool addresses, and that mean
/// little else in a host name: one of them in the host part is enough.
const GENERIC_WORDS: &[&str] = &[
    "dsl",
    "adsl",
    "vdsl",
    "xdsl",
    "cable",
    "pool",
    "dynamic",
    "dyn",
    "dhcp",
    "cpe",
    "residential",
    "dial",
    "dialup",
    "ppp",
    "pppoe",
    "broadband",
    "hsd",
    "ftth",
];

/// Words pool names use too, but that also name ordinary hosts and
/// departments (`mx.client.example.com`, `mail.home.example.co.uk`,
/// `webmail.res.tu-berlin.de`): they count only in a label that also holds
/// digits, as in `cust-12-34` or `home7`.
const NUMBERED_WORDS: &[&str] = &[
    "res", "resi", "cust", "customer", "client", "clients", "user", "users", "home", "fiber",
    "wireless", "mobile",
];

/// Whether the lowercase `name` spells `ip` out ([`embeds_ipv4`],
/// [`embeds_ipv6`]): what makes a reverse DNS name generic, and what share
/// redaction hides beside the address itself.
pub(crate) fn embeds_ip(name: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => embeds_ipv4(name, v4),
        IpAddr::V6(v6) => embeds_ipv6(name, v6),
    }
}

/// Whether the lowercase `name` spells `ip` out: its four numbers in either
/// order, joined by `-` or `.`, plain or zero-padded, as 12 digits or as 8
/// hex digits.
fn embeds_ipv4(name: &str, ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    let forward = [o[0], o[1], o[2], o[3]];
    let reverse = [o[3], o[2], o[1], o[0]];
    for order in [forward, reverse] {
        for sep in ['-', '.'] {
            for padded in [false, true] {
                let s = order
                    .iter()
                    .map(|b| {
                        if padded {
                            format!("{b:03}")
                        } else {
                            b.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&sep.to_string());
                if contains_bounded(name, &s, |c| c.is_ascii_digit()) {
                    return true;
                }
            }
        }
    }
    let digits12 = format!("{:03}{:03}{:03}{:03}", o[0], o[1], o[2], o[3]);
    if contains_bounded(name, &digits12, |c| c.is_ascii_digit()) {
        return true;
    }
    let hex = format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]);
    contains_bounded(name, &hex, |c| c.is_ascii_hexdigit())
}

/// Whether `needle` occurs in `hay` not glued to further digits (`digit`
/// says what counts as one).
fn contains_bounded(hay: &str, needle: &str, digit: fn(char) -> bool) -> bool {
    if !hay.is_ascii() {
        // Byte offsets below step one at a time; DNS names are ASCII anyway.
        return false;
    }
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let glued = |c: Option<char>| c.is_some_and(digit);
        if !glued(before) && !glued(after) {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Four numbers 0–255 in a row separated by `-` or `.`: an address, whatever
/// address it is.
pub(crate) fn has_dotted_quad(name: &str) -> bool {
    let tokens: Vec<&str> = name.split(['-', '.']).collect();
    tokens.windows(4).any(|w| {
        w.iter()
            .all(|t| !t.is_empty() && t.len() <= 3 && t.parse::<u8>().is_ok())
    })
}

/// Whether the lowercase `name` spells `ip` out: its groups joined by `-`
/// (compressed, plain or padded), its 32 hex digits in a row, or its
/// `ip6.arpa` nibbles. Forms shorter than 6 characters (`::1` as `--1`) say
/// too little to count.
fn embeds_ipv6(name: &str, ip: Ipv6Addr) -> bool {
    let groups = ip.segments();
    let joined = |width: usize| {
        groups
            .iter()
            .map(|g| format!("{g:0width$x}"))
            .collect::<Vec<_>>()
            .join("-")
    };
    [
        joined(1),
        joined(4),
        ip.to_string().replace(':', "-"),
        format!("{:032x}", u128::from(ip)),
        reverse_ipv6_nibbles(ip),
    ]
    .iter()
    .filter(|form| form.len() >= 6)
    .any(|form| contains_bounded(name, form, |c| c.is_ascii_hexdigit()))
}

/// Whether a reverse DNS name looks like an ISP's generic pool name, which
/// receivers treat as "home line, not a mail server".
///
/// `ip` is the address the name belongs to, when known. The registrable
/// domain (the ISP's or the customer's own, `example.co.uk`) is not searched
/// for words, and the broader words ([`NUMBERED_WORDS`]) count only next to
/// digits.
pub fn generic_ptr(name: &str, ip: Option<IpAddr>) -> Option<GenericSign> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if ip.is_some_and(|ip| embeds_ip(&name, ip)) || has_dotted_quad(&name) {
        return Some(GenericSign::EmbeddedAddress);
    }
    let domain = suffix::registrable_domain(&name);
    let host = name[..name.len() - domain.len()].trim_end_matches('.');
    for label in host.split('.').filter(|l| !l.is_empty()) {
        let numbered = label.bytes().any(|b| b.is_ascii_digit());
        for token in label.split(['-', '_']) {
            let word = token.trim_matches(|c: char| c.is_ascii_digit());
            if GENERIC_WORDS.contains(&word) || (numbered && NUMBERED_WORDS.contains(&word)) {
                return Some(GenericSign::Keyword { word: word.into() });
            }
        }
    }
    None
}
