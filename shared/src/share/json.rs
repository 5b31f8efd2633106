//! JSON values by way of JSON text.
//!
//! `serde_json::to_value` and `from_value` are a second serializer and a
//! second deserializer for every type of the report, beside the text ones
//! the page already needs for the agent's events: in the page's wasm that
//! doubled the largest part of the code. Going through text costs a copy of
//! a few kilobytes, once per share link, and keeps one of each.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// `v` as a JSON value.
pub(super) fn to_value<T: Serialize>(v: &T) -> serde_json::Result<Value> {
    serde_json::from_str(&serde_json::to_string(v)?)
}

/// A typed value from a JSON value.
pub(super) fn from_value<T: DeserializeOwned>(v: &Value) -> serde_json::Result<T> {
    serde_json::from_str(&v.to_string())
}

/// A typed value from JSON bytes (as text: the one deserializer).
pub(super) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        // Cut inside a character: the same end-of-input error serde_json
        // gives for bytes cut short, so a truncated link still says so.
        Err(e) if e.error_len().is_none() => serde_json::from_str("\""),
        Err(_) => serde_json::from_str("\u{1}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_as_serde_json_s_own() {
        let v = serde_json::json!({"a": [1, "x", null, 2.5], "b": {"c": true}});
        assert_eq!(to_value(&v).expect("to"), v);
        let back: Value = from_value(&v).expect("from");
        assert_eq!(back, v);
        let typed: Vec<u16> = from_slice(b"[25, 587]").expect("slice");
        assert_eq!(typed, vec![25, 587]);
        let bad = from_slice::<Value>(b"\xff\xfe").expect_err("not UTF-8");
        assert!(!bad.is_eof());
        let cut =
            from_slice::<Value>("[\"é\"]".as_bytes().get(..3).expect("3 bytes")).expect_err("cut");
        assert!(cut.is_eof());
    }
}
