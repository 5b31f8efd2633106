//! JSON values by way of JSON text.
//!
//! `serde_json::to_value` and `from_value` are a second serializer and a
//! second deserializer for every type of the report, beside the text ones
//! the page already needs for the agent's events: in the page's wasm that
//! doubled the largest part of the code. Going through text costs a copy of
//! a few kilobytes, once per share link, and keeps one of each; the text is
//! read with mailport's own reader ([`crate::json`]).

use crate::json;
use serde::de::{DeserializeOwned, Error as _};
use serde::Serialize;
use serde_json::Value;

/// `v` as a JSON value.
pub(super) fn to_value<T: Serialize>(v: &T) -> Result<Value, json::Error> {
    // Plain data always writes (string keys only); a fixed message keeps
    // serde_json's error wording out of the page.
    let text = serde_json::to_string(v)
        .map_err(|_| json::Error::custom("the report could not be written as JSON"))?;
    json::from_str(&text)
}

/// A typed value from a JSON value.
pub(super) fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, json::Error> {
    json::from_str(&json::text_of(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_as_serde_json_s_own() {
        let v = serde_json::json!({"a": [1, "x", null, -2], "b": {"c": true}});
        assert_eq!(to_value(&v).expect("to"), v);
        let back: Value = from_value(&v).expect("from");
        assert_eq!(back, v);
    }
}
