//! Formats that cross the network: the reflector's signed reply (from a
//! server, or whatever stands in its place) and share links (from anyone).

use crate::runner::{check, printable};
use mailport_shared::reflector::{parse_reply, MAX_LISTED_PORTS, SIGNATURE_LEN};
use mailport_shared::share;
use proptest::prelude::*;
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
