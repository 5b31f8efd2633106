use super::*;
use crate::event::CheckEvent;
use crate::netinfo::{Fact, NetworkFacts};
use crate::report::{Conclusion, Report};
use crate::sample::sample_report;
use serde_json::{json, Value};
use std::net::Ipv4Addr;

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
    let e = from_str::<NetworkFacts>(&ignored).expect_err("deep and ignored");
    assert!(e.to_string().contains("deep"), "{e}");
    let fine = format!(r#"{{"unknown": {}}}"#, nested(100));
    assert_eq!(from_str::<NetworkFacts>(&fine), Ok(NetworkFacts::default()));
}

/// mailport's own JSON reads back the same as with serde_json: the report
/// (every outcome kind, facts, tagged enums), each event, and facts in each
/// state, with the tag first and (a `Value`'s sorted keys) later.
#[test]
fn reads_mailport_s_types_as_serde_json_does() {
    let report = sample_report();
    let text = serde_json::to_string(&report).expect("write");
    let ours: Report = from_str(&text).expect("read");
    assert_eq!(ours, report);
    let sorted = serde_json::to_value(&report).expect("value").to_string();
    assert_eq!(from_str::<Report>(&sorted).expect("sorted keys"), report);
    let pretty = serde_json::to_string_pretty(&report).expect("pretty");
    assert_eq!(from_str::<Report>(&pretty).expect("pretty"), report);

    let events = [
        CheckEvent::Started {
            planned: report.probes.iter().map(|p| p.spec.clone()).collect(),
        },
        CheckEvent::Probe {
            result: report.probes[0].clone(),
        },
        CheckEvent::Concluded {
            conclusion: Conclusion::from_probes(
                &report.probes,
                &crate::advice::Context::from_network(report.network.clone()),
            ),
        },
        CheckEvent::Done {
            report: Box::new(report.clone()),
        },
        CheckEvent::Failed {
            code: "busy".into(),
            message: "a check is already running".into(),
        },
    ];
    for event in events {
        let text = serde_json::to_string(&event).expect("write");
        let ours: CheckEvent = from_str(&text).expect(&text);
        assert_eq!(serde_json::to_string(&ours).expect("again"), text);
    }

    let facts: [Fact<Ipv4Addr>; 5] = [
        Fact::Found {
            value: Ipv4Addr::new(192, 0, 2, 1),
        },
        Fact::NotFound,
        Fact::Failed {
            error: "SERVFAIL".into(),
        },
        Fact::Disagreement {
            answers: vec![crate::netinfo::Witness {
                server: "a".into(),
                value: Ipv4Addr::new(192, 0, 2, 2),
            }],
        },
        Fact::Redacted,
    ];
    for fact in facts {
        let text = serde_json::to_string(&fact).expect("write");
        assert_eq!(from_str::<Fact<Ipv4Addr>>(&text).expect(&text), fact);
    }
}

#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, &str)] = &[
        (r#"{"kind": "nope"}"#, "unknown variant `nope`"),
        (
            r#"{"state": "found", "value": 7}"#,
            "expected a string (at byte 30)",
        ),
        (r#"[1]"#, "expected an object at byte 0"),
        (
            r#"{"code": 1, "message": "x"}"#,
            "expected a string at byte 9",
        ),
        (r#"{"code": "x"}"#, "missing field `message`"),
    ];
    let e = from_str::<Fact<Ipv4Addr>>(cases[1].0).expect_err("found 7");
    assert!(e.to_string().contains(cases[1].1), "{e}");
    let e = from_str::<crate::outcome::Outcome>(cases[0].0).expect_err("nope");
    assert!(e.to_string().contains(cases[0].1), "{e}");
    for (text, want) in &cases[2..] {
        let e = from_str::<crate::api::ApiError>(text).expect_err(text);
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
    // Where: a data error names the byte reading stopped at.
    let e = from_str::<crate::api::ApiError>(cases[4].0).expect_err("missing");
    assert_eq!(e.to_string(), "missing field `message` (at byte 12)");
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

#[test]
fn every_cut_of_a_report_reads_as_cut_short() {
    let text = serde_json::to_string(&sample_report()).expect("write");
    for end in (0..text.len()).step_by(7) {
        let Some(prefix) = text.get(..end) else {
            continue;
        };
        let e = from_str::<Report>(prefix).expect_err("a prefix");
        assert!(e.is_eof(), "cut at {end}: {e}");
    }
}
