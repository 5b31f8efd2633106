//! A `serde_json::Value` as JSON text again.
//!
//! Values this module's reader kept whole (a fact's answer, an object whose
//! tag came late) are read as their type afterwards, from text; the page
//! also writes the relay test's request body with it (strings and a port,
//! built with `serde_json::json!`). serde_json's writer
//! would do, but writing a `Value` with it compiles float formatting for
//! its numbers (`zmij`, code and tables: 2 KB of the page's wasm gzipped,
//! as much of the share module's), and this reader never produces a float:
//! it refuses fractions.

use serde_json::Value;
use std::fmt::Write as _;

/// `value` as compact JSON, the same text as `serde_json::to_string`
/// writes for every value without a fraction: every value this module's
/// reader produces, and every one mailport builds. A fraction (which no
/// caller has) is written as `0.5`, which the reader refuses as it refuses
/// any fraction, so it fails loudly instead of passing a wrong number.
pub fn text_of(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // Writing into a String cannot fail.
            let _ = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => write!(out, "{u}"),
                (None, Some(i)) => write!(out, "{i}"),
                (None, None) => write!(out, "0.5"),
            };
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn as_serde_json_writes_it() {
        for value in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("say \"hi\" \\ back"),
            json!("\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f} bücher ✉ \u{202e}"),
            json!([]),
            json!({}),
            json!([1, "two", [3], {"four": null}]),
            json!({"kind": "answer", "b": {"z": [true, false]}, "a": "x\"y"}),
        ] {
            assert_eq!(
                text_of(&value),
                serde_json::to_string(&value).expect("writes"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn what_it_writes_reads_back_and_a_fraction_is_refused() {
        let value = json!({"kind": "answer", "asn": 64500, "names": ["a\"b", "c\n"]});
        let back: Value = super::super::from_str(&text_of(&value)).expect("reads");
        assert_eq!(back, value);
        let fraction = text_of(&json!({"n": 1.5}));
        let err = super::super::from_str::<Value>(&fraction).expect_err("refused");
        let as_written = super::super::from_str::<Value>(r#"{"n":1.5}"#).expect_err("refused");
        assert_eq!(err.to_string(), as_written.to_string());
    }
}
