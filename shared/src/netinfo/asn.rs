//! Who originates an address: Team Cymru's IP-to-ASN answers, their query
//! names and their parsing. A leaf: the knowledge base matches providers on
//! [`AsnInfo`] without importing the rest of the network facts.

use super::reverse::{reverse_ipv4, reverse_ipv6_nibbles};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

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

/// The most characters of one field of a Cymru answer (and of the answer
/// quoted in an error) that reach a report. The TXT record comes from
/// whatever DNS server answered, so it is capped and stripped of control
/// characters before anything prints it.
pub const MAX_TXT_FIELD: usize = 128;

/// A Cymru TXT answer that does not have the documented shape. The answer
/// is quoted as [`shown`] makes it: capped, without control characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CymruError {
    /// Fewer fields than documented.
    #[error("unexpected Team Cymru answer (too few fields): \"{0}\"")]
    TooFewFields(String),
    /// The AS number is not a number.
    #[error("unexpected Team Cymru answer (bad AS number): \"{0}\"")]
    BadAsn(String),
}

/// Network text made safe to keep and print: control characters written
/// out (`\u{1b}`), at most [`MAX_TXT_FIELD`] characters.
fn shown(raw: &str) -> String {
    raw.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .take(MAX_TXT_FIELD)
        .collect()
}

fn cymru_fields(txt: &str) -> Vec<String> {
    txt.trim()
        .trim_matches('"')
        .split('|')
        .map(|f| shown(f.trim()))
        .collect()
}

fn parse_asns(field: &str, txt: &str) -> Result<Vec<u32>, CymruError> {
    let asns: Result<Vec<u32>, _> = field.split_whitespace().map(str::parse::<u32>).collect();
    match asns {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(CymruError::BadAsn(shown(txt))),
    }
}

/// Parses an origin answer: `"7922 | 73.0.0.0/8 | US | arin | 2005-11-15"`.
/// The AS name is left empty; it comes from a second query.
pub fn parse_cymru_origin(txt: &str) -> Result<AsnInfo, CymruError> {
    let f = cymru_fields(txt);
    if f.len() < 4 {
        return Err(CymruError::TooFewFields(shown(txt)));
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
        return Err(CymruError::TooFewFields(shown(txt)));
    }
    let asns = parse_asns(f[0], txt)?;
    Ok((asns[0], shown(f[4])))
}
