//! The reader on JSON itself and on small types of its own. How it reads
//! mailport's types, against serde_json, is in `shared/tests/json_reader.rs`
//! (from here, naming them would make this module depend on theirs).

use super::*;
use serde::Deserialize;
use serde_json::{json, Value};

/// A struct with defaults and an optional field, like mailport's.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
struct Facts {
    name: Option<String>,
    count: u16,
}

/// A struct whose fields must be there.
#[derive(Debug, PartialEq, Deserialize)]
struct Problem {
    code: String,
    message: String,
}

/// An externally tagged enum, as serde_json writes one.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    Point,
    Circle(u8),
    Square { side: u8 },
}

/// What reading `text` as a JSON value gives: the value, or how it failed.
#[derive(Debug, PartialEq)]
enum Read {
    Value(Value),
    Eof,
    Syntax,
    TooDeep,
}

fn read(text: &str) -> Read {
    match from_str::<Value>(text) {
        Ok(v) => Read::Value(v),
        Err(e) => match *e.0 {
            Kind::Eof => Read::Eof,
            Kind::Syntax { .. } => Read::Syntax,
            Kind::TooDeep { .. } => Read::TooDeep,
            Kind::Data { .. } => panic!("{text:?}: a value has no data error: {e}"),
        },
    }
}

#[test]
fn reads_json_as_serde_json_writes_it() {
    let cases: &[(&str, Read)] = &[
        ("null", Read::Value(json!(null))),
        (" \t\r\n true ", Read::Value(json!(true))),
        ("false", Read::Value(json!(false))),
        ("0", Read::Value(json!(0))),
        ("-7", Read::Value(json!(-7))),
        ("18446744073709551615", Read::Value(json!(u64::MAX))),
        ("-9223372036854775808", Read::Value(json!(i64::MIN))),
        (r#""plain""#, Read::Value(json!("plain"))),
        (
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            Read::Value(json!("a\"b\\c/d\u{8}\u{c}\n\r\t")),
        ),
        (r#""\u001b[31m""#, Read::Value(json!("\u{1b}[31m"))),
        (r#""é ✉ \u00e9""#, Read::Value(json!("é ✉ é"))),
        (r#""\ud83d\ude00""#, Read::Value(json!("😀"))),
        ("[]", Read::Value(json!([]))),
        ("{}", Read::Value(json!({}))),
        (
            r#"{"a": [1, {"b": null}], "c": "d"}"#,
            Read::Value(json!({"a": [1, {"b": null}], "c": "d"})),
        ),
        // Cut short anywhere: the end of a link or a stream is missing.
        ("", Read::Eof),
        ("   ", Read::Eof),
        ("[1, 2", Read::Eof),
        (r#"{"a": "#, Read::Eof),
        (r#""abc"#, Read::Eof),
        (r#""\u00"#, Read::Eof),
        (r#""\ud83d"#, Read::Eof),
        ("tru", Read::Eof),
        ("-", Read::Eof),
        // Not JSON, or not what mailport writes.
        ("nul!", Read::Syntax),
        ("01", Read::Syntax),
        ("-0", Read::Syntax),
        ("1.5", Read::Syntax),
        ("1e3", Read::Syntax),
        ("99999999999999999999", Read::Syntax),
        ("+1", Read::Syntax),
        ("[1,]", Read::Syntax),
        (r#"{"a":1,}"#, Read::Syntax),
        ("[1 2]", Read::Syntax),
        (r#"{"a" 1}"#, Read::Syntax),
        (r#"{a: 1}"#, Read::Syntax),
        ("\"tab\there\"", Read::Syntax),
        (r#""\x41""#, Read::Syntax),
        (r#""\u12g4""#, Read::Syntax),
        (r#""\ude00\ud83d""#, Read::Syntax),
        (r#""\ud83d\u0041""#, Read::Syntax),
        ("1 2", Read::Syntax),
        ("{} x", Read::Syntax),
        ("'single'", Read::Syntax),
    ];
    for (text, want) in cases {
        assert_eq!(&read(text), want, "{text:?}");
    }
}

#[test]
fn nesting_is_capped_without_overflowing_the_stack() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(matches!(read(&nested(128)), Read::Value(_)));
    assert_eq!(read(&nested(129)), Read::TooDeep);
    // A hostile link: far deeper than any stack, as a value, inside a typed
    // list, and in a field nobody reads (skipped, not parsed).
    let deep = nested(200_000);
    assert_eq!(read(&deep), Read::TooDeep);
    let values = from_str::<Vec<Value>>(&deep).expect_err("deep");
    assert!(values.to_string().contains("deep"), "{values}");
    let ignored = format!(r#"{{"unknown": {deep}}}"#);
    let e = from_str::<Facts>(&ignored).expect_err("deep and ignored");
    assert!(e.to_string().contains("deep"), "{e}");
    let fine = format!(r#"{{"unknown": {}, "count": 3}}"#, nested(100));
    assert_eq!(
        from_str::<Facts>(&fine),
        Ok(Facts {
            name: None,
            count: 3
        })
    );
}

#[test]
fn reads_structs_and_enums_as_serde_json_writes_them() {
    assert_eq!(from_str::<Facts>("{}"), Ok(Facts::default()));
    assert_eq!(
        from_str::<Facts>(r#"{"name": "mx.example", "count": 7, "later": [1, {"x": null}]}"#),
        Ok(Facts {
            name: Some("mx.example".into()),
            count: 7
        })
    );
    assert_eq!(from_str::<Facts>(r#"{"name": null}"#), Ok(Facts::default()));
    let shapes = [Shape::Point, Shape::Circle(3), Shape::Square { side: 4 }];
    for text in [
        r#""point""#,
        r#"{"circle": 3}"#,
        r#"{"square": {"side": 4}}"#,
    ] {
        let want: Shape = serde_json::from_str(text).expect("serde_json");
        assert_eq!(from_str::<Shape>(text).expect(text), want);
    }
    assert_eq!(
        from_str::<Vec<Shape>>(r#"["point", {"circle": 3}, {"square": {"side": 4}}]"#),
        Ok(shapes.into())
    );
}

#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, &str)] = &[
        (r#""triangle""#, "unknown variant `triangle`"),
        (
            r#"{"circle": 300}"#,
            "invalid value: integer `300`, expected u8",
        ),
        (
            r#"{"circle": -1}"#,
            "invalid value: integer `-1`, expected u8",
        ),
        (r#"{"circle": "3"}"#, "expected a number at byte 11"),
        (r#"["point"]"#, "expected a string or an object at byte 0"),
        (r#"{"point": 1}"#, "expected null at byte 10"),
    ];
    for (text, want) in cases {
        let e = from_str::<Shape>(text).expect_err(text);
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
    let cases: &[(&str, &str)] = &[
        (r#"[1]"#, "expected an object at byte 0"),
        (
            r#"{"code": 1, "message": "x"}"#,
            "expected a string at byte 9",
        ),
        (r#"{"code": "x"}"#, "missing field `message` (at byte 12)"),
        (
            r#"{"code": "x", "code": "y", "message": "z"}"#,
            "duplicate field `code`",
        ),
    ];
    for (text, want) in cases {
        let e = from_str::<Problem>(text).expect_err(text);
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
    let e = from_str::<Problem>(r#"{"code": "x"}"#).expect_err("missing");
    assert_eq!(e.what(), "missing field `message`");
}

#[test]
fn bytes_cut_inside_a_character_read_as_cut_short() {
    let whole = r#"["é"]"#.as_bytes();
    let cut = from_slice::<Value>(&whole[..3]).expect_err("cut");
    assert!(cut.is_eof());
    let bad = from_slice::<Value>(b"\"\xff\"").expect_err("not UTF-8");
    assert!(!bad.is_eof());
    assert_eq!(from_slice::<Vec<u16>>(b"[25, 587]"), Ok(vec![25, 587]));
}
