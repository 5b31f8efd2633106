//! Answers from DNS servers the user does not control: Team Cymru's TXT
//! records, blocklist return codes, reverse-DNS names.

use crate::runner::{check, printable};
use mailport_shared::netinfo::{
    best_origin, decode_dnsbl, generic_ptr, parse_cymru_asname, parse_cymru_origin,
    BlocklistStatus, DnsblKind, MAX_TXT_FIELD,
};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

/// TXT-like text: mostly pipes, digits and words, sometimes anything.
fn txtish() -> impl Strategy<Value = String> {
    prop_oneof![
        "\"?[0-9 ]{0,12}(\\|[ -~\\x1b\\x07]{0,40}){0,6}\"?",
        any::<String>(),
        ".{0,600}",
    ]
}

/// What a well-formed origin answer says, field by field.
fn origin_record() -> impl Strategy<Value = (Vec<u32>, Ipv4Addr, u8, String, String, String)> {
    (
        prop::collection::vec(any::<u32>(), 1..3),
        any::<Ipv4Addr>(),
        0u8..=32,
        "[A-Z]{2}",
        "(arin|ripencc|apnic|lacnic|afrinic)",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    )
}

#[test]
fn cymru_origin_fields_are_capped_printable_and_exact() {
    check(
        "cymru origin",
        (txtish(), origin_record()),
        |(garbage, (asns, net, len, cc, registry, date))| {
            for parsed in [
                parse_cymru_origin(&garbage),
                best_origin(std::slice::from_ref(&garbage)),
            ] {
                match parsed {
                    Ok(info) => {
                        for field in [&info.prefix, &info.country, &info.registry, &info.allocated]
                        {
                            prop_assert!(printable(field), "{:?}", field);
                            prop_assert!(field.chars().count() <= MAX_TXT_FIELD);
                        }
                    }
                    Err(e) => {
                        let text = e.to_string();
                        prop_assert!(printable(&text), "{:?}", text);
                        prop_assert!(text.chars().count() <= MAX_TXT_FIELD + 60, "{}", text);
                    }
                }
            }
            let list = asns
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let record = format!("\"{list} | {net}/{len} | {cc} | {registry} | {date}\"");
            let info =
                parse_cymru_origin(&record).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(info.asn, asns[0]);
            prop_assert_eq!(&info.other_asns, &asns[1..].to_vec());
            prop_assert_eq!(info.prefix, format!("{net}/{len}"));
            prop_assert_eq!(info.country, cc);
            prop_assert_eq!(info.registry, registry);
            prop_assert_eq!(info.allocated, date);
            Ok(())
        },
    );
}

#[test]
fn cymru_as_names_are_capped_printable_and_exact() {
    check(
        "cymru as-name",
        (
            txtish(),
            any::<u32>(),
            "[A-Z0-9][A-Za-z0-9 ,.\\-]{0,60}[A-Za-z0-9]",
        ),
        |(garbage, asn, name)| {
            match parse_cymru_asname(&garbage) {
                Ok((_, parsed)) => {
                    prop_assert!(printable(&parsed), "{:?}", parsed);
                    prop_assert!(parsed.chars().count() <= MAX_TXT_FIELD);
                }
                Err(e) => {
                    let text = e.to_string();
                    prop_assert!(printable(&text), "{:?}", text);
                    prop_assert!(text.chars().count() <= MAX_TXT_FIELD + 60, "{}", text);
                }
            }
            let record = format!("\"{asn} | US | arin | 1997-02-14 | {name}\"");
            prop_assert_eq!(parse_cymru_asname(&record), Ok((asn, name)));
            Ok(())
        },
    );
}

#[test]
fn blocklist_answers_outside_loopback_or_refusals_are_never_listings() {
    let kind = prop_oneof![Just(DnsblKind::SpamhausZen), Just(DnsblKind::Generic)];
    check(
        "dnsbl codes",
        (kind, prop::collection::vec(any::<Ipv4Addr>(), 0..5)),
        |(kind, answers)| {
            let status = decode_dnsbl(kind, &answers);
            let foreign = answers.iter().any(|a| a.octets()[0] != 127);
            let refusal = answers.iter().any(|a| a.octets()[..3] == [127, 255, 255]);
            match status {
                BlocklistStatus::NotListed => prop_assert!(answers.is_empty()),
                BlocklistStatus::Listed { listings, .. } => {
                    prop_assert!(!foreign && !refusal, "{:?}", answers);
                    prop_assert!(!listings.is_empty());
                }
                _ => prop_assert!(!answers.is_empty()),
            }
            Ok(())
        },
    );
}

#[test]
fn reverse_dns_heuristics_take_any_name_and_see_a_spelled_address() {
    check(
        "generic ptr",
        (any::<String>(), any::<Option<IpAddr>>(), any::<Ipv4Addr>()),
        |(name, ip, v4)| {
            let _ = generic_ptr(&name.to_lowercase(), ip);
            let [a, b, c, d] = v4.octets();
            for spelled in [
                format!("c-{a}-{b}-{c}-{d}.hsd1.ca.example.net"),
                format!("{d}-{c}-{b}-{a}.dyn.example.net"),
                format!("host{a:03}{b:03}{c:03}{d:03}.pool.example.net"),
            ] {
                prop_assert!(
                    generic_ptr(&spelled, Some(IpAddr::V4(v4))).is_some(),
                    "{} for {}",
                    spelled,
                    v4
                );
            }
            Ok(())
        },
    );
}
