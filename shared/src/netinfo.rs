//! What mailport learns about the network a check ran from: the public
//! addresses, who originates them (ASN), blocklist listings and reverse DNS.
//!
//! The agent gathers these facts with DNS only; this module holds the types
//! and every pure piece of the job (query names, answer decoding, heuristics,
//! the lines the terminal and the page print), so the page can re-judge a
//! report and every rule is tested as a table.
//!
//! Each fact carries its own state: a failed or timed-out lookup is recorded
//! as such and never hides the other facts, nor the probe results.

use crate::knowledge::{self, Matched, ProviderKind};
use crate::suffix;
use crate::text::and_list;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a hidden name or prefix reads as in a shared report.
pub const HIDDEN: &str = "(hidden)";

/// The state of one lookup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One source's answer, kept when sources disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness<T> {
    /// The server asked (name or address).
    pub server: String,
    /// What it answered.
    pub value: T,
}

/// Who originates an address in BGP, from Team Cymru's IP-to-ASN service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsnInfo {
    /// The origin AS.
    pub asn: u32,
    /// Other origin ASes announcing the same prefix (rare, multi-origin).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_asns: Vec<u32>,
    /// The announced prefix, e.g. `73.0.0.0/8`.
    pub prefix: String,
    /// Country code of the allocation (not a geolocation).
    pub country: String,
    /// Regional registry, e.g. `arin`.
    pub registry: String,
    /// Allocation date as given, e.g. `2005-11-15`.
    #[serde(default)]
    pub allocated: String,
    /// The AS name, e.g. `COMCAST-7922 - Comcast Cable Communications, LLC, US`,
    /// when the second lookup answered.
    #[serde(default)]
    pub as_name: Option<String>,
}

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// How a blocklist's answers are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsblKind {
    /// Spamhaus ZEN (SBL, CSS, XBL, DROP, PBL), with its refusal codes. A
    /// code outside its documented table is never read as a listing.
    SpamhausZen,
    /// Any other list: a 127.0.0.x answer means listed.
    Generic,
}

/// What one blocklist said about one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistResult {
    /// Human name of the list, e.g. `Spamhaus ZEN`.
    pub list: String,
    /// The DNS zone asked, e.g. `zen.spamhaus.org`.
    pub zone: String,
    /// The address looked up; `None` once hidden for sharing.
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// The answer.
    pub status: BlocklistStatus,
}

/// A blocklist's answer for one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BlocklistStatus {
    /// NXDOMAIN: the address is not listed.
    NotListed,
    /// Listed, with what each return code means.
    Listed {
        /// Decoded return codes.
        listings: Vec<Listing>,
        /// The list's TXT explanation, when it gave one.
        #[serde(default)]
        reason: Option<String>,
    },
    /// The answer says nothing about the address: the query was refused or
    /// the resolver rewrote the answer. Never a listing.
    Unknown {
        /// Why.
        why: UnknownWhy,
    },
    /// The lookup failed.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// No answer in time.
    TimedOut,
}

/// Why a blocklist answer is not a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnknownWhy {
    /// 127.255.255.254: Spamhaus refuses queries from public/open resolvers.
    PublicResolver,
    /// 127.255.255.255: Spamhaus refuses excessive volume from this resolver.
    ExcessiveVolume,
    /// 127.255.255.252: the query was malformed (typing error in the zone).
    TypingError,
    /// Another 127.255.255.x refusal code.
    Refused {
        /// The code.
        code: Ipv4Addr,
    },
    /// A code the list does not document as a listing (e.g. 127.0.1.255,
    /// the DBL's "IP queries prohibited", from a zone that is not ZEN).
    UnexpectedCode {
        /// The code.
        code: Ipv4Addr,
    },
    /// An answer outside 127.0.0.0/8: the resolver rewrites NXDOMAIN answers
    /// (ad or "search" pages), so it cannot be used for blocklists.
    RewrittenAnswer {
        /// The answer.
        answer: Ipv4Addr,
    },
}

impl fmt::Display for UnknownWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownWhy::PublicResolver => {
                f.write_str("the list refused the query because it came through a public resolver")
            }
            UnknownWhy::ExcessiveVolume => {
                f.write_str("the list refused the query because the resolver sends too many")
            }
            UnknownWhy::TypingError => f.write_str("the list says the query was malformed"),
            UnknownWhy::Refused { code } => write!(f, "the list refused the query ({code})"),
            UnknownWhy::UnexpectedCode { code } => write!(
                f,
                "the list answered {code}, which is not one of its listing codes"
            ),
            UnknownWhy::RewrittenAnswer { answer } => write!(
                f,
                "the resolver rewrote the answer ({answer}), so the list cannot be read through it"
            ),
        }
    }
}

/// One decoded blocklist return code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Listing {
    /// 127.0.0.2: Spamhaus Block List, a known spam source or operation.
    Sbl,
    /// 127.0.0.3: Spamhaus CSS, snowshoe spam seen from this address.
    Css,
    /// 127.0.0.4 to .7: Exploits Block List, an infected or hijacked machine.
    Xbl,
    /// 127.0.0.9: DROP, a hijacked or criminal netblock.
    Drop,
    /// 127.0.0.10: Policy Block List, entered by the ISP itself.
    PblIsp,
    /// 127.0.0.11: Policy Block List, entered by Spamhaus.
    PblSpamhaus,
    /// 127.0.0.30: Botnet Controller List.
    Bcl,
    /// Another code (or any code from a list without a decoder).
    Other {
        /// The return code.
        code: Ipv4Addr,
    },
}

impl Listing {
    /// The list's short name.
    pub fn label(&self) -> String {
        match self {
            Listing::Sbl => "Spamhaus SBL".into(),
            Listing::Css => "Spamhaus CSS".into(),
            Listing::Xbl => "Spamhaus XBL".into(),
            Listing::Drop => "Spamhaus DROP".into(),
            Listing::PblIsp => "Spamhaus PBL (ISP-maintained)".into(),
            Listing::PblSpamhaus => "Spamhaus PBL (Spamhaus-maintained)".into(),
            Listing::Bcl => "Spamhaus BCL".into(),
            Listing::Other { code } => format!("return code {code}"),
        }
    }

    /// What the listing means, in plain words.
    pub fn explain(&self) -> &'static str {
        match self {
            Listing::Sbl => "this address or its network is listed as a known source of spam",
            Listing::Css => "spam was recently seen coming from this address",
            Listing::Xbl => {
                "a machine behind this address looks infected or hijacked (it sent spam or malware traffic)"
            }
            Listing::Drop => "this netblock is hijacked or run by criminals",
            Listing::PblIsp | Listing::PblSpamhaus => {
                "this address is meant to send only through its ISP's servers, so receivers refuse direct mail from it"
            }
            Listing::Bcl => "this address hosts a botnet controller",
            Listing::Other { .. } => "the list reports this address as listed",
        }
    }

    /// Whether this is a policy listing (the address is a customer line),
    /// not a reputation problem.
    pub fn is_pbl(&self) -> bool {
        matches!(self, Listing::PblIsp | Listing::PblSpamhaus)
    }
}

/// Decodes a list's A answers. An empty answer (NXDOMAIN or no record) means
/// not listed; any refusal code or rewritten answer makes the whole answer
/// "unknown", never "listed".
pub fn decode_dnsbl(kind: DnsblKind, answers: &[Ipv4Addr]) -> BlocklistStatus {
    if answers.is_empty() {
        return BlocklistStatus::NotListed;
    }
    for a in answers {
        let o = a.octets();
        if o[0] != 127 {
            return BlocklistStatus::Unknown {
                why: UnknownWhy::RewrittenAnswer { answer: *a },
            };
        }
        if o[1] == 255 && o[2] == 255 {
            let why = match (kind, o[3]) {
                (DnsblKind::SpamhausZen, 252) => UnknownWhy::TypingError,
                (DnsblKind::SpamhausZen, 254) => UnknownWhy::PublicResolver,
                (DnsblKind::SpamhausZen, 255) => UnknownWhy::ExcessiveVolume,
                _ => UnknownWhy::Refused { code: *a },
            };
            return BlocklistStatus::Unknown { why };
        }
    }
    let mut listings: Vec<Listing> = Vec::new();
    let mut unexpected: Option<Ipv4Addr> = None;
    for a in answers {
        let o = a.octets();
        let l = match (kind, o[1], o[2], o[3]) {
            (DnsblKind::SpamhausZen, 0, 0, 2) => Listing::Sbl,
            (DnsblKind::SpamhausZen, 0, 0, 3) => Listing::Css,
            (DnsblKind::SpamhausZen, 0, 0, 4..=7) => Listing::Xbl,
            (DnsblKind::SpamhausZen, 0, 0, 9) => Listing::Drop,
            (DnsblKind::SpamhausZen, 0, 0, 10) => Listing::PblIsp,
            (DnsblKind::SpamhausZen, 0, 0, 11) => Listing::PblSpamhaus,
            (DnsblKind::SpamhausZen, 0, 0, 30) => Listing::Bcl,
            // Spamhaus documents every code it answers; another one is not
            // a reputation verdict to pass on.
            (DnsblKind::SpamhausZen, ..) => {
                unexpected.get_or_insert(*a);
                continue;
            }
            (DnsblKind::Generic, ..) => Listing::Other { code: *a },
        };
        if !listings.contains(&l) {
            listings.push(l);
        }
    }
    match (listings.is_empty(), unexpected) {
        (true, Some(code)) => BlocklistStatus::Unknown {
            why: UnknownWhy::UnexpectedCode { code },
        },
        _ => BlocklistStatus::Listed {
            listings,
            reason: None,
        },
    }
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
                knowledge::for_origin(origin).map(|matched| ProviderMatch { matched, origin })
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

// ---------------------------------------------------------------------------
// Query names
// ---------------------------------------------------------------------------

/// The IPv4 octets reversed, as DNSBLs and Cymru want them: `73.1.2.3` →
/// `3.2.1.73`.
pub fn reverse_ipv4(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
}

/// The 32 nibbles of an IPv6 address, reversed and dot-separated, as in
/// `ip6.arpa` and `origin6.asn.cymru.com`.
pub fn reverse_ipv6_nibbles(ip: Ipv6Addr) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(32);
    for byte in ip.octets().iter().rev() {
        parts.push(format!("{:x}", byte & 0x0f));
        parts.push(format!("{:x}", byte >> 4));
    }
    parts.join(".")
}

/// The reversed form of any address.
pub fn reverse_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => reverse_ipv4(v4),
        IpAddr::V6(v6) => reverse_ipv6_nibbles(v6),
    }
}

/// `<reversed>.<zone>`, the name to ask a DNSBL.
pub fn dnsbl_query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reverse_ip(ip), zone.trim_end_matches('.'))
}

/// The reverse-DNS (PTR) name of an address.
pub fn ptr_query_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{}.in-addr.arpa", reverse_ipv4(v4)),
        IpAddr::V6(v6) => format!("{}.ip6.arpa", reverse_ipv6_nibbles(v6)),
    }
}

/// The Team Cymru origin query for an address, under `base` (normally
/// `asn.cymru.com`): `<rev>.origin.<base>` or `<nibbles>.origin6.<base>`.
pub fn cymru_origin_name(ip: IpAddr, base: &str) -> String {
    let base = base.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => format!("{}.origin.{base}", reverse_ipv4(v4)),
        IpAddr::V6(v6) => format!("{}.origin6.{base}", reverse_ipv6_nibbles(v6)),
    }
}

/// The Team Cymru AS-name query: `AS<n>.<base>`.
pub fn cymru_asn_name(asn: u32, base: &str) -> String {
    format!("AS{asn}.{}", base.trim_end_matches('.'))
}

// ---------------------------------------------------------------------------
// Team Cymru answers
// ---------------------------------------------------------------------------

/// A Cymru TXT answer that does not have the documented shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CymruError {
    /// Fewer fields than documented.
    #[error("unexpected Team Cymru answer (too few fields): {0:?}")]
    TooFewFields(String),
    /// The AS number is not a number.
    #[error("unexpected Team Cymru answer (bad AS number): {0:?}")]
    BadAsn(String),
}

fn cymru_fields(txt: &str) -> Vec<String> {
    txt.trim()
        .trim_matches('"')
        .split('|')
        .map(|f| f.trim().to_string())
        .collect()
}

fn parse_asns(field: &str, txt: &str) -> Result<Vec<u32>, CymruError> {
    let asns: Result<Vec<u32>, _> = field.split_whitespace().map(str::parse::<u32>).collect();
    match asns {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(CymruError::BadAsn(txt.to_string())),
    }
}

/// Parses an origin answer: `"7922 | 73.0.0.0/8 | US | arin | 2005-11-15"`.
/// The AS name is left empty; it comes from a second query.
pub fn parse_cymru_origin(txt: &str) -> Result<AsnInfo, CymruError> {
    let f = cymru_fields(txt);
    if f.len() < 4 {
        return Err(CymruError::TooFewFields(txt.to_string()));
    }
    let asns = parse_asns(&f[0], txt)?;
    Ok(AsnInfo {
        asn: asns[0],
        other_asns: asns[1..].to_vec(),
        prefix: f[1].clone(),
        country: f[2].clone(),
        registry: f[3].clone(),
        allocated: f.get(4).cloned().unwrap_or_default(),
        as_name: None,
    })
}

/// Picks the most specific prefix among several origin answers (Cymru
/// returns one TXT record per covering announcement).
pub fn best_origin(answers: &[String]) -> Result<AsnInfo, CymruError> {
    let mut best: Option<(u8, AsnInfo)> = None;
    let mut first_err = None;
    for a in answers {
        match parse_cymru_origin(a) {
            Ok(info) => {
                let len = info
                    .prefix
                    .rsplit_once('/')
                    .and_then(|(_, l)| l.parse::<u8>().ok())
                    .unwrap_or(0);
                if best.as_ref().is_none_or(|(b, _)| len > *b) {
                    best = Some((len, info));
                }
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match (best, first_err) {
        (Some((_, info)), _) => Ok(info),
        (None, Some(e)) => Err(e),
        (None, None) => Err(CymruError::TooFewFields(String::new())),
    }
}

/// Parses an AS-name answer:
/// `"7922 | US | arin | 1997-02-14 | COMCAST-7922 - Comcast Cable Communications, LLC, US"`,
/// returning the AS number and its name.
pub fn parse_cymru_asname(txt: &str) -> Result<(u32, String), CymruError> {
    let t = txt.trim().trim_matches('"');
    let f: Vec<&str> = t.splitn(5, '|').map(str::trim).collect();
    if f.len() < 5 {
        return Err(CymruError::TooFewFields(txt.to_string()));
    }
    let asns = parse_asns(f[0], txt)?;
    Ok((asns[0], f[4].to_string()))
}

// ---------------------------------------------------------------------------
// Generic reverse DNS names
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Lines shared by the terminal and the page
// ---------------------------------------------------------------------------

/// A provider kind in words.
pub fn kind_label(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Residential => "residential",
        ProviderKind::Business => "business",
        ProviderKind::Cloud => "cloud",
        ProviderKind::Hosting => "hosting",
    }
}

/// "Network: Comcast Xfinity (AS7922, US), residential — known to block 25
/// (as of 2012-08)", or the AS name when no provider is known, or "Network:
/// unknown (timed out)" when the origin lookup was tried and did not answer
/// (a missing line would read as "no provider", which is not what
/// happened). `None` when the origin was not looked up or has no record.
///
/// The AS and country shown are those of the origin answer that named the
/// provider, which may be IPv6's or another origin of the prefix.
pub fn provider_line(facts: &NetworkFacts) -> Option<String> {
    let country = |origin: &AsnInfo| {
        if origin.country.is_empty() {
            String::new()
        } else {
            format!(", {}", origin.country)
        }
    };
    if let Some(ProviderMatch { matched, origin }) = facts.provider() {
        let p = matched.provider;
        let mut policy = if p.blocks.is_empty() {
            "not known to block mail ports".to_string()
        } else {
            format!("known to block {}", and_list(p.blocks))
        };
        if !p.scope.is_empty() {
            policy.push_str(&format!(" on {}", p.scope));
        }
        return Some(format!(
            "Network: {} (AS{}{}), {} — {policy} ({})",
            p.name,
            matched.asn,
            country(origin),
            kind_label(p.kind),
            p.dated()
        ));
    }
    if let Some(origin) = facts.origin() {
        let name = origin.as_name.as_deref().unwrap_or("unknown AS name");
        return Some(format!(
            "Network: AS{} {name} ({}{}) — not in mailport's provider notes",
            origin.asn,
            origin.prefix,
            country(origin)
        ));
    }
    [&facts.origin_v4, &facts.origin_v6]
        .into_iter()
        .find(|f| matches!(f, Fact::Failed { .. } | Fact::TimedOut))
        .map(|f| format!("Network: unknown ({})", f.state_label()))
}

fn address_part<T: fmt::Display>(
    family: &str,
    ip: &Fact<T>,
    sources: u8,
    ptr: &Fact<Ptr>,
) -> Option<String> {
    let text = match ip {
        Fact::Found { value } => {
            let rdns = match ptr {
                Fact::Found { value: p } => {
                    let mut notes = Vec::new();
                    if let Some(g) = &p.generic {
                        notes.push(format!("looks generic: {g}"));
                    }
                    match p.forward {
                        Forward::Confirmed => {}
                        Forward::Mismatch => notes.push("does not resolve back".to_string()),
                        Forward::Unknown => {
                            notes.push("whether it resolves back is unknown".to_string())
                        }
                    }
                    if notes.is_empty() {
                        format!(", reverse DNS {}", p.name)
                    } else {
                        format!(", reverse DNS {} ({})", p.name, notes.join("; "))
                    }
                }
                Fact::NotFound => ", no reverse DNS name".to_string(),
                Fact::Skipped { .. } => String::new(),
                other => format!(", reverse DNS {}", other.state_label()),
            };
            // One server's word, not two agreeing: say so.
            let single = if sources == 1 { " (one source)" } else { "" };
            format!("{value}{single}{rdns}")
        }
        Fact::NotFound => "none".to_string(),
        Fact::Skipped { .. } => return None,
        Fact::Disagreement { answers } => {
            let said: Vec<String> = answers
                .iter()
                .map(|w| format!("{} says {}", w.server, w.value))
                .collect();
            format!("unknown, the servers disagree ({})", said.join(", "))
        }
        Fact::Failed { error } => format!("unknown (lookup failed: {error})"),
        Fact::TimedOut => "unknown (lookup timed out)".to_string(),
        Fact::Redacted => "hidden".to_string(),
    };
    Some(format!("{family} {text}"))
}

/// "Public address: IPv4 198.51.100.73, reverse DNS c-….comcast.net (looks
/// generic: …); IPv6 none". `None` when nothing was looked up.
pub fn address_line(facts: &NetworkFacts) -> Option<String> {
    let parts: Vec<String> = [
        address_part(
            "IPv4",
            &facts.public_ipv4,
            facts.address_sources.ipv4,
            &facts.reverse_dns_v4,
        ),
        address_part(
            "IPv6",
            &facts.public_ipv6,
            facts.address_sources.ipv6,
            &facts.reverse_dns_v6,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        None
    } else {
        Some(format!("Public address: {}", parts.join("; ")))
    }
}

/// "Blocklists: listed on Spamhaus PBL (ISP-maintained): this address is
/// meant to send only through its ISP's servers", one clause per list and
/// address. `None` when no list was asked.
pub fn blocklist_line(facts: &NetworkFacts) -> Option<String> {
    if facts.blocklists.is_empty() {
        return None;
    }
    let multi_addr = {
        let mut addrs: Vec<Option<IpAddr>> = facts.blocklists.iter().map(|b| b.address).collect();
        addrs.dedup();
        addrs.len() > 1
    };
    let parts: Vec<String> = facts
        .blocklists
        .iter()
        .map(|b| {
            let at = match b.address {
                Some(ip) if multi_addr => format!(" ({ip})"),
                _ => String::new(),
            };
            match &b.status {
                BlocklistStatus::NotListed => format!("not listed on {}{at}", b.list),
                BlocklistStatus::Listed { listings, .. } => {
                    let what: Vec<String> = listings
                        .iter()
                        .map(|l| format!("{}: {}", l.label(), l.explain()))
                        .collect();
                    if listings.iter().all(|l| matches!(l, Listing::Other { .. })) {
                        format!("listed on {}{at} ({})", b.list, what.join("; "))
                    } else {
                        format!("listed on {}{at}", what.join("; listed on "))
                    }
                }
                BlocklistStatus::Unknown { why } => {
                    format!("{}{at} unknown, not a listing: {why}", b.list)
                }
                BlocklistStatus::Failed { error } => {
                    format!("{}{at} could not be asked ({error})", b.list)
                }
                BlocklistStatus::TimedOut => format!("{}{at} did not answer in time", b.list),
            }
        })
        .collect();
    Some(format!("Blocklists: {}", parts.join("; ")))
}

#[cfg(test)]
mod tests;
