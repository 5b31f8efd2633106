//! The reducer driven through whole checks: events fill the grid, a stop
//! is not a failure, the answer is announced.

use super::*;
use mailport_shared::advice::Context;
use mailport_shared::{Family, Outcome};
use test_support::{event, loc, report, result, spec};
use tone::Tone;

#[test]
fn events_fill_the_grid() {
    let mut s = State::new(
        loc("http://127.0.0.1:7525", "127.0.0.1"),
        &Fragment::default(),
        None,
    );
    s.apply(Action::Starting);
    assert_eq!(s.run, Run::Starting);
    let planned = vec![
        spec("mx1.example", 25, Family::Ipv4),
        spec("mx1.example", 25, Family::Ipv6),
        spec("mx2.example", 25, Family::Ipv4),
        spec("mx2.example", 587, Family::Ipv4),
    ];
    s.apply(event(CheckEvent::Started { planned }));
    assert_eq!(s.run, Run::Running);
    assert_eq!(s.grid.progress(), (0, 4));
    assert_eq!(
        s.grid
            .rows()
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>(),
        vec!["mx1.example", "mx2.example"]
    );
    assert_eq!(
        s.grid.columns(),
        vec![(25, Family::Ipv4), (25, Family::Ipv6), (587, Family::Ipv4)]
    );
    let pending = s.grid.cell("mx1.example", 25, Family::Ipv4).unwrap();
    assert_eq!(
        (pending.tone(), pending.label().as_str()),
        (Tone::Pending, "testing…")
    );

    let r1 = result("mx1.example", 25, Outcome::Filtered);
    let r2 = result("mx2.example", 25, Outcome::Refused);
    for r in [&r1, &r2] {
        s.apply(event(CheckEvent::Probe { result: r.clone() }));
    }
    assert_eq!(s.grid.progress(), (2, 4));
    let c = s.grid.cell("mx1.example", 25, Family::Ipv4).unwrap();
    assert_eq!((c.tone(), c.label().as_str()), (Tone::Bad, "timed out"));
    assert!(s.grid.cell("mx1.example", 587, Family::Ipv4).is_none());

    let conclusion = Conclusion::from_probes(&[r1.clone(), r2.clone()], &Context::default());
    s.apply(event(CheckEvent::Concluded {
        conclusion: conclusion.clone(),
    }));
    assert_eq!(s.conclusion.as_ref(), Some(&conclusion));
    let report = Report {
        verdicts: conclusion.verdicts.clone(),
        advice: conclusion.advice.clone(),
        ..report(vec![r1, r2], &conclusion.headline)
    };
    s.apply(event(CheckEvent::Done {
        report: Box::new(report.clone()),
    }));
    assert_eq!(s.run, Run::Done);
    assert_eq!(s.report.as_deref(), Some(&report));
    let source = s.share.clone().expect("a finished check can be shared");
    assert_eq!(
        ShareSource::from_parts(source.to_parts()),
        Ok(source.clone())
    );
    assert_eq!(source.report(), Ok(report.clone()));
    // Done does not duplicate results already recorded.
    assert_eq!(
        s.grid
            .cell("mx1.example", 25, Family::Ipv4)
            .unwrap()
            .results
            .len(),
        1
    );
    // A new check clears the old one.
    s.apply(Action::Starting);
    assert!(s.grid.cells.is_empty() && s.conclusion.is_none() && s.report.is_none());
    assert!(s.share.is_none() && s.events.is_empty());
    s.apply(event(CheckEvent::Failed {
        code: "busy".into(),
        message: "another check is running".into(),
    }));
    assert_eq!(s.run, Run::Failed("another check is running".into()));
}

#[test]
fn stopping_a_check() {
    let mut s = State::new(
        loc("http://127.0.0.1:7525", "127.0.0.1"),
        &Fragment::default(),
        None,
    );
    s.apply(Action::Stopped);
    assert_eq!(s.run, Run::Idle, "nothing to stop");
    s.apply(Action::Starting);
    s.apply(Action::Stopped);
    assert_eq!(s.run, Run::Stopped);
    assert!(!s.busy());
    // The aborted stream's error and late events change nothing.
    s.apply(Action::Failed("The user aborted a request.".into()));
    s.apply(event(CheckEvent::Started {
        planned: vec![spec("a.example", 25, Family::Ipv4)],
    }));
    assert_eq!(s.run, Run::Stopped);
    assert!(s.grid.cells.is_empty());
    assert!(s.share.is_none() && s.events.is_empty(), "nothing to share");
    s.apply(Action::Copied {
        text: "https://x.example/#r=2.abc".into(),
        ok: true,
    });
    assert_eq!(
        copy_note(s.copied.as_ref(), "https://x.example/#r=2.abc"),
        "Copied to the clipboard."
    );
    assert_eq!(copy_note(s.copied.as_ref(), "another text"), "");
    s.apply(Action::Redact(RedactOptions::default()));
    assert_eq!(s.copied, None, "a new link is not copied yet");
    s.apply(Action::Copied {
        text: "cmd".into(),
        ok: false,
    });
    assert!(copy_note(s.copied.as_ref(), "cmd").contains("by hand"));
}

#[test]
fn an_unreadable_answer_is_not_a_missing_agent() {
    let mut s = State::new(
        loc("http://127.0.0.1:7525", "127.0.0.1"),
        &Fragment::default(),
        None,
    );
    s.apply(Action::AgentUnreadable {
        base: "http://127.0.0.1:7525".into(),
        detail: "invalid type".into(),
    });
    assert!(matches!(s.agent, Agent::Unreadable { .. }));
    assert_eq!(s.agent.outdated(), None);
}

#[test]
fn the_answer_is_announced() {
    let mut s = State::new(
        loc("http://127.0.0.1:7525", "127.0.0.1"),
        &Fragment::default(),
        None,
    );
    assert_eq!(s.announcement(), "");
    s.apply(Action::Starting);
    assert_eq!(s.announcement(), "The check started.");
    s.apply(event(CheckEvent::Started {
        planned: vec![spec("a.example", 25, Family::Ipv4)],
    }));
    assert_eq!(s.announcement(), "");
    let r = result("a.example", 25, Outcome::Filtered);
    let report = report(
        vec![r.clone()],
        "Outgoing port 25 is silently dropped on IPv4.",
    );
    s.apply(event(CheckEvent::Done {
        report: Box::new(report),
    }));
    assert_eq!(
        s.announcement(),
        "Result: Outgoing port 25 is silently dropped on IPv4."
    );
}

/// The agent going away mid-check keeps what finished as a partial result,
/// marked in its headline, dated and versioned; with nothing finished there
/// is nothing to keep, and with no check running nothing changes.
#[test]
fn a_lost_agent_leaves_a_partial_result() {
    let base = "http://127.0.0.1:7525".to_string();
    let found = Action::AgentFound {
        base: base.clone(),
        health: Health {
            agent_version: "0.3.0".into(),
            api_version: mailport_shared::api::API_VERSION,
            capabilities: mailport_shared::api::Capabilities {
                ipv6: false,
                tls: true,
            },
        },
        same_origin: true,
    };
    let planned = vec![
        spec("a.example", 25, Family::Ipv4),
        spec("b.example", 25, Family::Ipv4),
    ];
    let mut s = State::new(loc(&base, "127.0.0.1"), &Fragment::default(), None);
    s.apply(found.clone());
    s.apply(Action::AgentLost { now_ms: 5 });
    assert_eq!(s.run, Run::Idle, "no check, nothing lost");
    assert!(matches!(s.agent, Agent::Found { .. }));

    s.apply(Action::Starting);
    s.apply(event(CheckEvent::Started {
        planned: planned.clone(),
    }));
    s.apply(Action::AgentLost { now_ms: 5 });
    assert_eq!(s.run, Run::Lost(Partial::Nothing));
    assert_eq!(s.agent, Agent::Stopped { base: base.clone() });
    assert_eq!(
        (&s.report, &s.conclusion, &s.share),
        (&None, &None, &None),
        "nothing finished"
    );
    assert_eq!(
        s.announcement(),
        "The agent stopped before the check finished."
    );

    s.apply(found);
    // Options beyond the defaults, so that the share module's reading of
    // them again is tested too.
    s.apply(Action::Domain("example.org".into()));
    s.apply(Action::Targets(
        "mx1.example.net mx\nsmtp.example.net submission".into(),
    ));
    s.apply(Action::ReflectorHost("reflector.example.org".into()));
    s.apply(Action::ReflectorKey("AB".repeat(32)));
    s.apply(Action::Inbound(true));
    assert!(s.form.options().is_ok(), "{:?}", s.form.options());
    s.apply(Action::Starting);
    s.apply(event(CheckEvent::Started { planned }));
    let r = result("a.example", 25, Outcome::Refused);
    s.apply(event(CheckEvent::Probe { result: r.clone() }));
    s.apply(Action::AgentLost {
        now_ms: 1_790_000_000_000,
    });
    assert_eq!(s.run, Run::Lost(Partial::Judging));
    assert_eq!((&s.report, &s.conclusion), (&None, &None), "not judged yet");
    // The share module judges it from the texts the page applied (and
    // makes its links from the same texts).
    let source = s.share.clone().expect("a partial result can be shared");
    assert!(matches!(&source, ShareSource::Partial { events, .. } if events.len() == 2));
    let across = ShareSource::from_parts(source.to_parts()).expect("parts read back");
    assert_eq!(across, source);
    let judged = across.report().map(Box::new);
    // A judgement nobody waits for changes nothing; nor does one of
    // another partial result (an earlier check, also lost).
    let mut idle = State::new(loc(&base, "127.0.0.1"), &Fragment::default(), None);
    idle.apply(Action::PartialJudged {
        source: source.clone(),
        judged: judged.clone(),
    });
    assert_eq!(idle.report, None);
    let ShareSource::Partial {
        events,
        options,
        tool_version,
        ..
    } = &source
    else {
        panic!("{source:?}")
    };
    let earlier = ShareSource::Partial {
        events: events.clone(),
        options: options.clone(),
        tool_version: tool_version.clone(),
        now_ms: 1,
    };
    s.apply(Action::PartialJudged {
        source: earlier,
        judged: judged.clone(),
    });
    assert_eq!(s.run, Run::Lost(Partial::Judging), "not this one's");
    s.apply(Action::PartialJudged { source, judged });
    assert_eq!(s.run, Run::Lost(Partial::Judged));
    let report = s.report.as_deref().expect("a partial report");
    assert_eq!(report.probes, vec![r]);
    assert_eq!(report.started_at_ms, 1_790_000_000_000);
    assert_eq!(report.tool_version, "0.3.0");
    assert!(
        report
            .headline
            .starts_with("Partial result: the agent stopped after 1 of 2 probes. "),
        "{}",
        report.headline
    );
    assert!(run::is_partial(&report.headline));
    let c = s.conclusion.as_ref().expect("a conclusion");
    assert_eq!(c.headline, report.headline);
    assert_eq!(c.verdicts, report.verdicts);
    assert!(!c.verdicts.is_empty(), "port 25 was judged");
    assert_eq!(report.options.domain.as_deref(), Some("example.org"));
    assert!(report.options.inbound && report.options.targets.len() == 2);
    assert!(report.options.reflector.is_some());
}

/// A partial result the share module could not judge (its module did not
/// load) says why and keeps what to judge: asked again, it is judged.
#[test]
fn an_unjudged_partial_result_says_why_and_can_be_judged_again() {
    let base = "http://127.0.0.1:7525".to_string();
    let mut s = State::new(loc(&base, "127.0.0.1"), &Fragment::default(), None);
    s.apply(Action::JudgeAgain);
    assert_eq!(s.run, Run::Idle, "nothing to judge");
    s.apply(Action::Starting);
    s.apply(event(CheckEvent::Started {
        planned: vec![spec("a.example", 25, Family::Ipv4)],
    }));
    s.apply(event(CheckEvent::Probe {
        result: result("a.example", 25, Outcome::Refused),
    }));
    s.apply(Action::AgentLost { now_ms: 5 });
    let source = s.share.clone().expect("what to judge");
    s.apply(Action::PartialJudged {
        source: source.clone(),
        judged: Err("it could not be loaded".into()),
    });
    assert_eq!(
        s.run,
        Run::Lost(Partial::Unjudged("it could not be loaded".into()))
    );
    assert_eq!(s.report, None);
    assert_eq!(s.share.as_ref(), Some(&source), "kept for a try again");
    assert_eq!(s.grid.progress(), (1, 1), "what finished stays in the grid");
    s.apply(Action::JudgeAgain);
    assert_eq!(s.run, Run::Lost(Partial::Judging));
    let judged = source.report().map(Box::new);
    s.apply(Action::PartialJudged { source, judged });
    assert_eq!(s.run, Run::Lost(Partial::Judged));
    assert!(s.report.is_some() && s.conclusion.is_some());
}
