//! Bytes shown to people, and what people type.

use crate::runner::{check, printable};
use mailport_shared::outcome::escape_bytes;
use mailport_shared::validate::{self, Host};
use proptest::prelude::*;

/// The inverse of `escape_bytes` for its own output (without the `…`).
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'\\' {
            out.push(b);
            rest = tail;
            continue;
        }
        match tail {
            [b'r', t @ ..] => (out.push(b'\r'), rest = t).1,
            [b'n', t @ ..] => (out.push(b'\n'), rest = t).1,
            [b'\\', t @ ..] => (out.push(b'\\'), rest = t).1,
            [b'x', h, l, t @ ..] => {
                let hex = [*h, *l];
                let byte = std::str::from_utf8(&hex)
                    .ok()
                    .and_then(|s| u8::from_str_radix(s, 16).ok())
                    .expect("escape_bytes writes two hex digits");
                out.push(byte);
                rest = t;
            }
            _ => panic!("a lone backslash in {text:?}"),
        }
    }
    out
}

#[test]
fn escaped_bytes_are_printable_capped_and_reversible() {
    check(
        "escape_bytes",
        (prop::collection::vec(any::<u8>(), 0..300), 0usize..200),
        |(bytes, max)| {
            let shown = escape_bytes(&bytes, max);
            prop_assert!(printable(&shown), "{shown:?}");
            let cut = shown.strip_suffix('…');
            prop_assert_eq!(cut.is_some(), bytes.len() > max);
            let kept = &bytes[..bytes.len().min(max)];
            prop_assert_eq!(unescape(cut.unwrap_or(&shown)), kept.to_vec());
            Ok(())
        },
    );
}

/// Host-like text: labels, dots, digits, brackets, colons and a few
/// characters that must be refused.
fn hostish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9.\\-\\[\\]:%@/_ ]{0,80}",
        any::<String>(),
        "([a-z0-9]([a-z0-9\\-]{0,20}[a-z0-9])?\\.){1,4}[a-z]{2,6}\\.?",
        any::<std::net::IpAddr>().prop_map(|ip| ip.to_string()),
    ]
}

#[test]
fn hosts_parse_to_a_normal_form_that_parses_to_itself() {
    check("validate::host", hostish(), |input| {
        if let Ok(host) = validate::host(&input) {
            let again = validate::host(&host.to_string());
            prop_assert_eq!(again.as_ref(), Ok(&host), "{:?}", input);
            if let Host::Name(name) = &host {
                prop_assert!(name.len() <= 253);
                prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'.'));
            }
        }
        Ok(())
    });
}

#[test]
fn ports_and_port_lists_round_trip() {
    check(
        "validate::port_list",
        (
            prop::collection::vec(1u16..=u16::MAX, 1..8),
            "[ ,]{1,3}",
            any::<String>(),
        ),
        |(ports, separator, garbage)| {
            for p in &ports {
                prop_assert_eq!(validate::port(&p.to_string()), Ok(*p));
            }
            let text = ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(&separator);
            let mut unique = ports.clone();
            let mut seen = std::collections::HashSet::new();
            unique.retain(|p| seen.insert(*p));
            prop_assert_eq!(validate::port_list(&text), Ok(unique));
            // Garbage: an error or ports in range, never a panic.
            if let Ok(list) = validate::port_list(&garbage) {
                prop_assert!(!list.is_empty() && !list.contains(&0));
            }
            Ok(())
        },
    );
}

#[test]
fn reflector_keys_read_in_every_documented_form() {
    use base64::Engine as _;
    check(
        "validate::reflector_key",
        (any::<[u8; 32]>(), any::<String>()),
        |(key, garbage)| {
            let engines = [
                base64::engine::general_purpose::STANDARD.encode(key),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
                mailport_shared::hex::encode(&key),
                mailport_shared::hex::encode(&key).to_uppercase(),
            ];
            for text in engines {
                prop_assert_eq!(validate::reflector_key(&text), Ok(key), "{}", text);
            }
            let _ = validate::reflector_key(&garbage);
            Ok(())
        },
    );
}
