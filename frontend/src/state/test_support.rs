//! Values the state tests share: a page location, planned probes, their
//! results and a finished report.

use super::location::Location;
use super::Action;
use mailport_shared::{
    CheckEvent, CheckOptions, Family, Outcome, ProbeResult, ProbeSpec, Report, Role, Timings,
};

pub fn loc(origin: &str, host: &str) -> Location {
    Location {
        origin: origin.into(),
        hostname: host.into(),
        page_url: format!("{origin}/"),
        configured_share_base: None,
    }
}

pub fn spec(host: &str, port: u16, family: Family) -> ProbeSpec {
    ProbeSpec {
        host: host.into(),
        role: Role::RecipientMx,
        port,
        family,
        expected: true,
    }
}

pub fn result(host: &str, port: u16, outcome: Outcome) -> ProbeResult {
    ProbeResult {
        spec: spec(host, port, Family::Ipv4),
        address: "192.0.2.1".parse().ok(),
        outcome,
        timings: Timings::default(),
    }
}

/// A finished report of these probes with this headline, and nothing
/// else.
pub fn report(probes: Vec<ProbeResult>, headline: &str) -> Report {
    Report {
        schema_version: 1,
        tool_version: "0.1.0".into(),
        started_at_ms: 0,
        duration_ms: 10,
        options: CheckOptions::default(),
        probes,
        verdicts: vec![],
        headline: headline.into(),
        advice: vec![],
        network: None,
        inbound: None,
        controls: Vec::new(),
    }
}

/// A stand-in for the browser's `decodeURIComponent`, for
/// [`Fragment::parse`](super::fragment::Fragment::parse): native tests
/// cannot call the real one (there is no JavaScript engine outside the
/// browser). It decodes `%20`, the only escape these tests write, and
/// refuses any other `%`: the tests' other escapes are malformed ones,
/// which the browser refuses too. The browser suite (`tests/browser`) opens
/// links with escapes through the real decoder.
pub fn decode(value: &str) -> Option<String> {
    let v = value.replace("%20", " ");
    (!v.contains('%')).then_some(v)
}

/// The action of an event the agent sent, with its text as the agent
/// writes it.
pub fn event(e: CheckEvent) -> Action {
    let text = serde_json::to_string(&e).expect("events are JSON");
    Action::Event(Box::new(e), text.into())
}
