//! The codec: round trips, old formats, and every way a link can be bad.

use super::sample;
use crate::share::crc32::crc32;
use crate::share::link::*;
use crate::share::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

#[test]
fn round_trip() {
    let r = sample();
    let enc = encode(&r);
    assert!(enc.starts_with("4."));
    assert!(
        enc.len() < 4096,
        "a typical report fits a link: {}",
        enc.len()
    );
    assert!(enc[2..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(decode(&enc), Ok(r.clone()));
    let l = link("https://mailport.github.io/#old", &r);
    assert!(l.starts_with("https://mailport.github.io/#r=4."));
    let frag = l.split_once('#').unwrap().1;
    assert_eq!(from_fragment(frag), Some(Ok(r.clone())));
    assert_eq!(from_fragment(&format!("#agent=7600&{frag}")), Some(Ok(r)));
    assert_eq!(from_fragment("#token=abc"), None);
}

/// A link made before control probes existed (schema 1, no `controls`)
/// still opens; a report with control probes keeps them, and hiding
/// addresses hides theirs.
#[test]
fn schema_1_links_still_open_and_controls_travel() {
    use crate::control::{ControlOutcome, ControlProbe};
    let mut old = sample();
    old.schema_version = 1;
    let json = serde_json::to_string(&old).unwrap();
    assert!(!json.contains("controls"), "{json}");
    assert_eq!(decode(&encode(&old)), Ok(old));

    let mut r = sample();
    r.controls = vec![ControlProbe {
        host: "mx.example.org".into(),
        family: crate::Family::Ipv4,
        address: Some("203.0.113.7".parse().unwrap()),
        port: 443,
        outcome: ControlOutcome::Refused,
        rtt_ms: Some(12),
    }];
    assert_eq!(decode(&encode(&r)), Ok(r.clone()));
    let red = redact(
        &r,
        RedactOptions {
            ip: true,
            hosts: false,
        },
    )
    .unwrap();
    assert_eq!(red.controls.len(), 1);
    assert_eq!(red.controls[0].address, None);
    assert!(!serde_json::to_string(&red).unwrap().contains("203.0.113.7"));
}

#[test]
fn bad_links_give_clear_errors() {
    let enc = encode(&sample());
    let data = &enc[2..];
    // Cut at many places: always Truncated or Corrupted, never a panic
    // and never a wrong report.
    for cut in [1, 2, 10, data.len() / 2, data.len() - 3, data.len() - 1] {
        let e = decode(&format!("4.{}", &data[..cut])).unwrap_err();
        assert!(
            matches!(e, ShareError::Truncated | ShareError::Corrupted(_)),
            "cut at {cut}: {e:?}"
        );
    }
    assert_eq!(
        decode(&format!("4.{}", &data[..data.len() / 2])),
        Err(ShareError::Truncated)
    );
    assert_eq!(decode("1."), Err(ShareError::Truncated));
    assert_eq!(decode(""), Err(ShareError::Missing));
    assert_eq!(from_fragment("#r="), Some(Err(ShareError::Missing)));
    assert!(matches!(decode("1.!!!!"), Err(ShareError::Corrupted(_))));
    assert!(matches!(decode("nodot"), Err(ShareError::Corrupted(_))));
    assert!(matches!(decode("x.abc"), Err(ShareError::Corrupted(_))));
    // Valid deflate of something that is not a report.
    let not_report = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(
        br#"{"hello":"world"}"#,
        6,
    ));
    assert_eq!(
        decode(&format!("1.{not_report}")),
        Err(ShareError::Corrupted("not a mailport result"))
    );
    // Flipped bits in the middle.
    let mut bytes = URL_SAFE_NO_PAD.decode(data).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    bytes[mid + 1] ^= 0x55;
    let flipped = URL_SAFE_NO_PAD.encode(bytes);
    assert!(decode(&format!("4.{flipped}")).is_err());
    for e in [
        ShareError::Truncated,
        ShareError::Corrupted("x"),
        ShareError::Missing,
    ] {
        assert!(e.to_string().starts_with("this link"));
    }
}

#[test]
fn oversized_links_and_bombs_are_refused() {
    let long = format!("1.{}", "A".repeat(MAX_ENCODED_LEN));
    assert!(matches!(
        decode(&long),
        Err(ShareError::Oversized { what: "link", .. })
    ));
    // 4 MiB of spaces compress to a few KiB: a bomb the inflate cap
    // stops, in either format.
    let bomb = vec![b' '; 4 * MAX_INFLATED_LEN];
    for enc in [
        format!(
            "1.{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&bomb, 9))
        ),
        format!(
            "2.{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec_zlib(&bomb, 9))
        ),
    ] {
        assert!(enc.len() < MAX_ENCODED_LEN);
        assert!(matches!(
            decode(&enc),
            Err(ShareError::Oversized {
                what: "inflated result",
                ..
            })
        ));
    }
}

#[test]
fn future_versions_are_named() {
    assert_eq!(
        decode("5.abc"),
        Err(ShareError::FutureVersion {
            found: 5,
            supported: LINK_VERSION
        })
    );
    let mut v = serde_json::to_value(sample()).unwrap();
    v["schema_version"] = serde_json::json!(crate::SCHEMA_VERSION + 1);
    v["a_field_from_the_future"] = serde_json::json!({"x": 1});
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(v.to_string().as_bytes(), 9);
    let enc = format!("2.{}", URL_SAFE_NO_PAD.encode(packed));
    let e = decode(&enc).unwrap_err();
    assert_eq!(
        e,
        ShareError::FutureVersion {
            found: crate::SCHEMA_VERSION + 1,
            supported: crate::SCHEMA_VERSION
        }
    );
    assert!(e.to_string().contains("newer version of mailport"));
}

/// Links written before the checksum (format 1, raw deflate) still open.
#[test]
fn format_1_links_still_open() {
    let r = sample();
    let json = serde_json::to_vec(&r).unwrap();
    let v1 = format!(
        "1.{}",
        URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
    );
    assert_eq!(decode(&v1), Ok(r.clone()));
    assert_eq!(from_fragment(&format!("#r={v1}")), Some(Ok(r)));
}

/// One character changed anywhere in a real link, into any character a
/// link can hold: the page says the link is damaged (or cut off), or
/// shows exactly the report that was shared; never an altered one.
/// Format 1 let about one change in nine through with garbage inside.
#[test]
fn every_changed_character_is_caught() {
    let r = redact(
        &sample(),
        RedactOptions {
            ip: true,
            hosts: false,
        },
    )
    .unwrap();
    let enc = encode(&r);
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%"
        .chars()
        .collect();
    let (mut refused, mut same) = (0, 0);
    for (i, original) in enc.char_indices() {
        for &c in alphabet.iter().filter(|&&c| c != original) {
            let mut changed = enc.clone();
            changed.replace_range(i..i + 1, c.encode_utf8(&mut [0; 4]));
            match decode(&changed) {
                Err(_) => refused += 1,
                Ok(got) => {
                    assert_eq!(got, r, "{original:?} → {c:?} at {i} altered the report");
                    same += 1;
                }
            }
        }
    }
    // Nearly every change is refused; the rest are spare bits that do
    // not change a byte of the report.
    assert!(
        refused > 0 && same * 100 < refused,
        "{refused} refused, {same} unchanged"
    );
}

/// The checksum links carry is the standard CRC-32 (zlib's, PNG's), pinned
/// by its published check value: the one crc32fast, which wrote the links
/// shared before, also computes, so those links still open.
#[test]
fn the_checksum_is_the_standard_crc_32() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    // zlib's own test string, and every byte value once.
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(crc32(&all), 0x2905_8C73);
}
