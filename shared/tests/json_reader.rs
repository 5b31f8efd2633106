//! mailport's JSON reader (`mailport_shared::json`) on mailport's own
//! types: what serde_json writes reads back the same, whole or in any
//! order of keys, and any cut of it reads as cut short.

use mailport_shared::advice::Context;
use mailport_shared::event::CheckEvent;
use mailport_shared::json;
use mailport_shared::netinfo::{Fact, Witness};
use mailport_shared::report::{Conclusion, Report};
use mailport_shared::sample::sample_report;
use std::net::Ipv4Addr;

#[test]
fn a_report_reads_back_as_written_in_any_layout() {
    let report = sample_report();
    let compact = serde_json::to_string(&report).expect("write");
    assert_eq!(json::from_str::<Report>(&compact), Ok(report.clone()));
    // A `Value`'s keys are sorted: tags come after other keys.
    let sorted = serde_json::to_value(&report).expect("value").to_string();
    assert_eq!(json::from_str::<Report>(&sorted), Ok(report.clone()));
    let pretty = serde_json::to_string_pretty(&report).expect("pretty");
    assert_eq!(json::from_str::<Report>(&pretty), Ok(report));
}

#[test]
fn every_event_reads_back_as_written() {
    let report = sample_report();
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
                &Context::from_network(report.network.clone()),
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
        let back: CheckEvent = json::from_str(&text).expect(&text);
        assert_eq!(serde_json::to_string(&back).expect("again"), text);
    }
}

#[test]
fn a_fact_reads_back_in_every_state() {
    let facts: [Fact<Ipv4Addr>; 7] = [
        Fact::Found {
            value: Ipv4Addr::new(192, 0, 2, 1),
        },
        Fact::NotFound,
        Fact::Failed {
            error: "SERVFAIL".into(),
        },
        Fact::TimedOut,
        Fact::Disagreement {
            answers: vec![
                Witness {
                    server: "resolver1.opendns.com".into(),
                    value: Ipv4Addr::new(192, 0, 2, 2),
                },
                Witness {
                    server: "ns1.google.com".into(),
                    value: Ipv4Addr::new(192, 0, 2, 3),
                },
            ],
        },
        Fact::Skipped {
            reason: "no IPv6 route".into(),
        },
        Fact::Redacted,
    ];
    for fact in facts {
        let text = serde_json::to_string(&fact).expect("write");
        assert_eq!(
            json::from_str::<Fact<Ipv4Addr>>(&text).as_ref(),
            Ok(&fact),
            "{text}"
        );
    }
    // An answer of the wrong kind is an error that says so, placed in the
    // whole text.
    let e = json::from_str::<Fact<Ipv4Addr>>(r#"{"state": "found", "value": 7}"#)
        .expect_err("a number is no address");
    assert_eq!(e.to_string(), "expected a string (at byte 30)");
}

#[test]
fn every_cut_of_a_report_reads_as_cut_short() {
    let text = serde_json::to_string(&sample_report()).expect("write");
    for end in (0..text.len()).step_by(7) {
        let Some(prefix) = text.get(..end) else {
            continue;
        };
        let e = json::from_str::<Report>(prefix).expect_err("a prefix");
        assert!(e.is_eof(), "cut at {end}: {e}");
    }
}
