//! Events streamed while a check runs: over server-sent events to the page,
//! and to the terminal's progress display.

use crate::probe::{ProbeResult, ProbeSpec};
use crate::report::{Conclusion, Report};
use mailport_derive::TagFirst;
use serde::Serialize;

/// One event of a running check. In order: one `Started`, one `Probe` per
/// finished probe, one `Concluded`, then `Done` (or `Failed` at any point).
///
/// Over SSE the event name is the `event` tag and the data is this JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CheckEvent {
    /// The probes planned (after DNS for the user's domain), so a grid can be
    /// drawn before any result.
    Started {
        /// The planned probes.
        planned: Vec<ProbeSpec>,
    },
    /// A probe finished.
    Probe {
        /// Its result.
        result: ProbeResult,
    },
    /// Every probe is in: verdicts and advice.
    Concluded {
        /// The conclusion.
        conclusion: Conclusion,
    },
    /// The full report; the last event.
    Done {
        /// The report.
        report: Box<Report>,
    },
    /// The check could not run; the last event.
    Failed {
        /// Stable machine-readable code.
        code: String,
        /// What went wrong, for a person.
        message: String,
    },
}

impl CheckEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            CheckEvent::Started { .. } => "started",
            CheckEvent::Probe { .. } => "probe",
            CheckEvent::Concluded { .. } => "concluded",
            CheckEvent::Done { .. } => "done",
            CheckEvent::Failed { .. } => "failed",
        }
    }
}
