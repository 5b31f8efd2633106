//! The lines the terminal and the page print about the network facts.

use super::asn::AsnInfo;
use super::dnsbl::{BlocklistStatus, Listing};
use super::facts::{Fact, NetworkFacts, ProviderMatch};
use super::ptr::{Forward, Ptr};
use crate::knowledge::ProviderKind;
use crate::text::and_list;
use std::fmt;
use std::net::IpAddr;

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
