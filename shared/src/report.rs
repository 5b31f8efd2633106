//! The full result of a check: what the terminal prints with `--json`, what
//! `GET /v1/checks/{id}` returns, and what a share link carries.

use crate::advice::{self, Advice};
use crate::classify::{self, PortVerdict};
use crate::control::ControlProbe;
use crate::netinfo::NetworkFacts;
use crate::options::CheckOptions;
use crate::probe::ProbeResult;
use serde::{Deserialize, Serialize};

/// A finished check.
///
/// ```json
/// {"schema_version":4,"tool_version":"0.1.0","started_at_ms":1790000000000,
///  "duration_ms":4012,"options":{...},"probes":[...],"verdicts":[...],
///  "headline":"Outgoing port 25 is silently dropped on IPv4.","advice":[...]}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// [`crate::SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Version of the agent that measured.
    pub tool_version: String,
    /// When the check started, Unix time in milliseconds.
    pub started_at_ms: u64,
    /// How long it took.
    pub duration_ms: u64,
    /// What was asked.
    pub options: CheckOptions,
    /// Every probe, in the order they finished.
    pub probes: Vec<ProbeResult>,
    /// Verdict per port and family.
    pub verdicts: Vec<PortVerdict>,
    /// One sentence on port 25.
    pub headline: String,
    /// Ranked advice.
    pub advice: Vec<Advice>,
    /// What was learned about the network the check ran from (public
    /// address, provider, blocklists, reverse DNS); absent when not gathered
    /// or in reports from before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkFacts>,
    /// Inbound port 25 (`--inbound`): a question apart from the outbound
    /// verdicts above, with its own verdicts and advice; absent when not
    /// asked or in reports from before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<crate::inbound::InboundReport>,
    /// The control probes (one connection per target address to a port
    /// that is not a mail port, see [`crate::control`]): never mail-port
    /// results; absent in reports from before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlProbe>,
}

/// The verdicts, headline and advice for a set of probes: the judging half of
/// a check, shared by the agent (live) and anyone re-reading a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conclusion {
    /// Verdict per port and family.
    pub verdicts: Vec<PortVerdict>,
    /// One sentence on port 25.
    pub headline: String,
    /// Ranked advice.
    pub advice: Vec<Advice>,
}

impl Conclusion {
    /// Judges the probes, without control probes.
    pub fn from_probes(probes: &[ProbeResult], ctx: &advice::Context) -> Self {
        Self::from_check(probes, &[], ctx)
    }

    /// Judges the probes, with what the control probes said.
    pub fn from_check(
        probes: &[ProbeResult],
        controls: &[ControlProbe],
        ctx: &advice::Context,
    ) -> Self {
        let verdicts = classify::classify_with(probes, controls);
        // A mistyped domain leads the answer (crate::own_domain).
        let headline = crate::own_domain::lead(classify::headline(&verdicts, probes), probes);
        let advice = advice::advise(&verdicts, ctx);
        Conclusion {
            verdicts,
            headline,
            advice,
        }
    }
}

impl Report {
    /// Whether outgoing port 25 works honestly on at least one family: the
    /// terminal's exit code 0.
    pub fn port25_open(&self) -> bool {
        self.port25() == Port25::Open
    }

    /// What the check says about outgoing port 25, the question of the
    /// terminal's exit code: open on some family wins, then a block (or
    /// interception, or only some destinations) on some family; anything
    /// else could not be judged.
    pub fn port25(&self) -> Port25 {
        let p25 = || self.verdicts.iter().filter(|v| v.port == 25);
        if p25().any(|v| v.verdict == classify::Verdict::Open) {
            Port25::Open
        } else if p25().any(|v| v.verdict.is_block()) {
            Port25::Blocked
        } else {
            Port25::Unjudged
        }
    }

    /// How long the check took, for people: "840 ms", "3.0 s".
    pub fn duration_text(&self) -> String {
        duration_text(self.duration_ms)
    }
}

/// Outgoing port 25 in one word: see [`Report::port25`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port25 {
    /// Open on at least one address family.
    Open,
    /// Blocked, intercepted or restricted, and open on no family.
    Blocked,
    /// Not tested, or nothing could be judged (DNS failed, no route, a
    /// single host down, this machine could not connect).
    Unjudged,
}

fn duration_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        // Tenths of a second in integers: float formatting would put
        // about 15 KB of code and tables into the page for this one line.
        let tenths = (ms + 50) / 100;
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::Port25;
    use crate::classify::{NotTestableReason, PortVerdict, Verdict};
    use crate::Family;

    #[test]
    fn port25_in_one_word() {
        let v = |port, family, verdict| PortVerdict {
            relays: vec![],
            port,
            family,
            verdict,
            why: String::new(),
            reached: vec![],
            evidence: vec![],
        };
        let untested = Verdict::NotTestable {
            reason: NotTestableReason::NoAddress,
        };
        let no_route = Verdict::NotTestable {
            reason: NotTestableReason::NoRoute,
        };
        use Family::{Ipv4, Ipv6};
        let cases: Vec<(Vec<PortVerdict>, Port25)> = vec![
            (vec![v(25, Ipv4, Verdict::Open)], Port25::Open),
            (
                vec![
                    v(25, Ipv4, Verdict::BlockedSilently),
                    v(25, Ipv6, Verdict::Open),
                ],
                Port25::Open,
            ),
            (
                vec![
                    v(25, Ipv4, Verdict::BlockedActively),
                    v(25, Ipv6, no_route.clone()),
                ],
                Port25::Blocked,
            ),
            (
                vec![v(25, Ipv4, Verdict::InterceptedSuspected)],
                Port25::Blocked,
            ),
            (vec![v(25, Ipv4, Verdict::Restricted)], Port25::Blocked),
            (
                vec![v(25, Ipv4, untested.clone()), v(25, Ipv6, no_route)],
                Port25::Unjudged,
            ),
            // Port 25 not tested at all: other ports say nothing about it.
            (vec![v(587, Ipv4, Verdict::Open)], Port25::Unjudged),
            (
                vec![v(587, Ipv4, Verdict::BlockedSilently)],
                Port25::Unjudged,
            ),
            (vec![], Port25::Unjudged),
        ];
        for (verdicts, want) in cases {
            let report = super::Report {
                schema_version: crate::SCHEMA_VERSION,
                tool_version: String::new(),
                started_at_ms: 0,
                duration_ms: 0,
                options: Default::default(),
                probes: vec![],
                verdicts: verdicts.clone(),
                headline: String::new(),
                advice: vec![],
                network: None,
                inbound: None,
                controls: Vec::new(),
            };
            assert_eq!(report.port25(), want, "{verdicts:?}");
        }
    }

    #[test]
    fn durations_read_for_people() {
        for (ms, want) in [
            (0, "0 ms"),
            (840, "840 ms"),
            (999, "999 ms"),
            (1000, "1.0 s"),
            (3012, "3.0 s"),
            (12_049, "12.0 s"),
            (1_050, "1.1 s"),
            (59_960, "60.0 s"),
        ] {
            assert_eq!(super::duration_text(ms), want);
        }
    }
}
