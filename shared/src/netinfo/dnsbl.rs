//! Blocklists (DNSBLs): what a list said about an address, its query name,
//! and the decoding of its return codes (a refusal is "unknown", never
//! "listed").

use super::reverse::reverse_ip;
use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
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

/// `<reversed>.<zone>`, the name to ask a DNSBL.
pub fn dnsbl_query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reverse_ip(ip), zone.trim_end_matches('.'))
}
