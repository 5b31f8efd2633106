//! Formats that cross the network: the reflector's signed reply (from a
//! server, or whatever stands in its place), share links (from anyone) and
//! the JSON inside them, which mailport reads with its own reader.

use crate::runner::{check, printable};
use mailport_shared::reflector::{parse_reply, MAX_LISTED_PORTS, SIGNATURE_LEN};
use mailport_shared::{json, share};
use proptest::prelude::*;
use serde_json::Value;
use std::net::IpAddr;

#[test]
fn reflector_replies_round_trip_and_garbage_is_refused_briefly() {
    check(
        "reflector reply",
        (
            any::<IpAddr>(),
            any::<u16>(),
            prop::collection::vec(1u16..=u16::MAX, 1..=MAX_LISTED_PORTS),
            prop::collection::vec(any::<u8>(), SIGNATURE_LEN..=SIGNATURE_LEN),
            any::<String>(),
        ),
        |(seen, port, listening, signature, garbage)| {
            let ports = listening
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let line = format!(
                "250 {seen} {port} {ports} {}",
                mailport_shared::hex::encode(&signature)
            );
            let reply = parse_reply(&line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(reply.seen, seen);
            prop_assert_eq!(reply.port, port);
            prop_assert_eq!(&reply.listening, &listening);
            prop_assert_eq!(reply.signature.to_vec(), signature);
            for input in [garbage.clone(), format!("250 {garbage}")] {
                if let Err(e) = parse_reply(&input) {
                    // The error quotes at most 80 characters of the line.
                    let text = e.to_string();
                    prop_assert!(text.chars().count() <= 80 + 60, "{}", text);
                    if printable(&input) {
                        prop_assert!(printable(&text));
                    }
                }
            }
            Ok(())
        },
    );
}

/// Link-like text: a version, a dot, base64url, sometimes anything.
fn linkish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}\\.[A-Za-z0-9_\\-]{0,400}",
        "r=[0-9]\\.[A-Za-z0-9_\\-=]{0,200}",
        any::<String>(),
    ]
}

#[test]
fn share_links_refuse_garbage_with_a_plain_message() {
    check("share decode", linkish(), |text| {
        if let Err(e) = share::decode(&text) {
            let message = e.to_string();
            prop_assert!(printable(&message));
            prop_assert!(message.len() < 300, "{}", message);
        }
        if let Some(Err(e)) = share::from_fragment(&text) {
            prop_assert!(printable(&e.to_string()));
        }
        Ok(())
    });
}

/// JSON as serde_json writes it, without fractions (mailport writes none).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn json_reads_back_what_serde_json_writes_and_a_cut_is_cut_short() {
    check(
        "json round trip",
        (json_value(), any::<u16>()),
        |(value, cut)| {
            for text in [value.to_string(), format!("{value:#}")] {
                let back: Value =
                    json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&back, &value);
                // A number alone is complete at any length; anything else cut
                // before its end is cut short.
                if text.len() > 1 && matches!(text.as_bytes()[0], b'[' | b'{' | b'"') {
                    let mut end = usize::from(cut) % text.len();
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    let e = json::from_str::<Value>(&text[..end]).expect_err("a cut");
                    prop_assert!(e.is_eof(), "cut at {}: {}", end, e);
                }
            }
            Ok(())
        },
    );
}

#[test]
fn json_garbage_is_refused_or_read_as_serde_json_reads_it() {
    let jsonish = prop_oneof!["[\\[\\]{}\\\",: 0-9a-z\\-.]{0,40}", any::<String>(),];
    check("json garbage", jsonish, |text| {
        if let Ok(ours) = json::from_str::<Value>(&text) {
            let theirs: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: only ours reads it ({e})")))?;
            prop_assert_eq!(ours, theirs);
        } else if let Err(e) = json::from_str::<Value>(&text) {
            prop_assert!(printable(&e.to_string()));
        }
        Ok(())
    });
}
