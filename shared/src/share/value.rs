//! JSON with a dictionary: how a short link carries structured parts (the
//! network facts, and verdicts or advice that cannot be derived again)
//! without their field names.
//!
//! Any `serde_json::Value` becomes a [`CValue`], where an object key or a
//! string that is in [`WORDS`] is written as its index (one byte) and
//! anything else as text. The types keep their own JSON shape (tags,
//! defaults, old-field compatibility), so a field added later still
//! travels, only less compactly. [`WORDS`] is part of the format-3 layout:
//! entries are only ever appended.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// Field names and values of the report's JSON, in a fixed order.
pub const WORDS: &[&str] = &[
    // Fact<T>
    "state",
    "value",
    "found",
    "not_found",
    "failed",
    "error",
    "timed_out",
    "disagreement",
    "answers",
    "server",
    "skipped",
    "reason",
    "redacted",
    // NetworkFacts
    "public_ipv4",
    "public_ipv6",
    "origin_v4",
    "origin_v6",
    "blocklists",
    "reverse_dns_v4",
    "reverse_dns_v6",
    "address_sources",
    "ipv4",
    "ipv6",
    // AsnInfo
    "asn",
    "other_asns",
    "prefix",
    "country",
    "registry",
    "allocated",
    "as_name",
    // Ptr
    "name",
    "forward",
    "generic",
    "confirmed",
    "mismatch",
    "unknown",
    "kind",
    "embedded_address",
    "keyword",
    // Blocklists
    "list",
    "zone",
    "address",
    "status",
    "not_listed",
    "listed",
    "listings",
    "why",
    "public_resolver",
    "excessive_volume",
    "typing_error",
    "refused",
    "unexpected_code",
    "rewritten_answer",
    "code",
    "sbl",
    "css",
    "xbl",
    "drop",
    "pbl_isp",
    "pbl_spamhaus",
    "bcl",
    "other",
    "Spamhaus ZEN",
    "zen.spamhaus.org",
    "no public IPv6 address",
    "no public IPv4 address",
    "arin",
    "ripencc",
    "apnic",
    "lacnic",
    "afrinic",
    // Verdicts and advice
    "port",
    "family",
    "verdict",
    "reached",
    "relays",
    "evidence",
    "host",
    "detail",
    "strong",
    "proof",
    "open",
    "restricted",
    "blocked_silently",
    "blocked_actively",
    "intercepted_suspected",
    "not_testable",
    "no_route",
    "no_address",
    "not_public",
    "no_known_listener",
    "single_host",
    "local_error",
    "id",
    "title",
    "(hidden)",
];

/// A JSON value with dictionary words as indices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer.
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string in [`WORDS`].
    Word(u8),
    /// Any other string.
    Text(String),
    /// An array.
    Array(Vec<CValue>),
    /// An object: keys as [`Key`]s.
    Object(Vec<(Key, CValue)>),
}

/// An object key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Key {
    /// A key in [`WORDS`].
    Word(u8),
    /// Any other key.
    Text(String),
}

fn word(s: &str) -> Option<u8> {
    WORDS
        .iter()
        .position(|w| *w == s)
        .and_then(|i| u8::try_from(i).ok())
}

fn text_of(i: u8) -> Option<&'static str> {
    WORDS.get(usize::from(i)).copied()
}

impl From<&Value> for CValue {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => CValue::Null,
            Value::Bool(b) => CValue::Bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    CValue::UInt(u)
                } else if let Some(i) = n.as_i64() {
                    CValue::Int(i)
                } else {
                    CValue::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::String(s) => word(s).map_or_else(|| CValue::Text(s.clone()), CValue::Word),
            Value::Array(a) => CValue::Array(a.iter().map(CValue::from).collect()),
            Value::Object(o) => CValue::Object(
                o.iter()
                    .map(|(k, v)| {
                        let key = word(k).map_or_else(|| Key::Text(k.clone()), Key::Word);
                        (key, CValue::from(v))
                    })
                    .collect(),
            ),
        }
    }
}

impl CValue {
    /// Back to JSON; `None` for a word index this version does not know.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            CValue::Null => Value::Null,
            CValue::Bool(b) => Value::Bool(*b),
            CValue::UInt(u) => Value::Number((*u).into()),
            CValue::Int(i) => Value::Number((*i).into()),
            CValue::Float(f) => Value::Number(Number::from_f64(*f)?),
            CValue::Word(i) => Value::String(text_of(*i)?.to_string()),
            CValue::Text(s) => Value::String(s.clone()),
            CValue::Array(a) => Value::Array(a.iter().map(CValue::to_json).collect::<Option<_>>()?),
            CValue::Object(o) => {
                let mut map = Map::new();
                for (k, v) in o {
                    let k = match k {
                        Key::Word(i) => text_of(*i)?.to_string(),
                        Key::Text(s) => s.clone(),
                    };
                    map.insert(k, v.to_json()?);
                }
                Value::Object(map)
            }
        })
    }

    /// Any serialisable value.
    pub fn of<T: Serialize>(v: &T) -> CValue {
        super::json::to_value(v)
            .map(|v| CValue::from(&v))
            .unwrap_or(CValue::Null)
    }

    /// Back to a typed value; `None` when it does not fit.
    pub fn to<T: for<'de> Deserialize<'de>>(&self) -> Option<T> {
        super::json::from_value(&self.to_json()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fit_in_a_byte_and_are_unique() {
        assert!(WORDS.len() <= 256);
        for (i, w) in WORDS.iter().enumerate() {
            assert_eq!(word(w), u8::try_from(i).ok(), "{w} twice");
        }
    }

    #[test]
    fn any_json_goes_through() {
        let v: Value = serde_json::json!({"state": "found", "value": {"asn": 7922,
            "neg": -3, "f": 1.5, "new_field": [null, true, "other", "free text"]}});
        let c = CValue::from(&v);
        assert_eq!(c.to_json(), Some(v));
        // An index past the table (a newer writer) is refused, not guessed.
        assert_eq!(CValue::Word(255).to_json(), None);
    }
}
