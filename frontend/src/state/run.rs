//! Where a check is, and what its answer reads as.

use super::grid::Grid;
use mailport_shared::report::Conclusion;
use mailport_shared::{CheckOptions, ProbeResult, Report};

/// Where the check is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Run {
    /// Nothing started.
    Idle,
    /// Posted, waiting for `started`.
    Starting,
    /// Events arriving.
    Running,
    /// The report is in.
    Done,
    /// It could not run, in words.
    Failed(String),
    /// The user stopped it (closing the stream cancels every probe).
    Stopped,
    /// The agent stopped answering during the check (it was closed, or the
    /// computer slept): what finished is kept as a partial result, judged
    /// by the share module.
    Lost(Partial),
}

/// Where the partial result of a check whose agent stopped stands. The page
/// does not judge it itself: classification and advice live in the share
/// module (`bin/share.rs`), which the page imported when the check started,
/// while the agent that serves it was surely there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partial {
    /// No probe finished: nothing to judge.
    Nothing,
    /// The share module is judging what finished.
    Judging,
    /// Judged: the state holds the report and its conclusion.
    Judged,
    /// It could not be judged (the module did not load, or it failed): why,
    /// in words. The state keeps what to judge, for a try again.
    Unjudged(String),
}

/// The headline of a partial result: marked first, in the headline itself,
/// so that a share link of it says so wherever it is opened.
pub fn partial_headline(done: usize, total: usize, headline: &str) -> String {
    format!("Partial result: the agent stopped after {done} of {total} probes. {headline}")
}

/// Whether a headline is [`partial_headline`]'s.
pub fn is_partial(headline: &str) -> bool {
    headline.starts_with("Partial result: the agent stopped after ")
}

/// The verdicts, headline and advice a finished report carries: what the
/// page shows of a live check's report and of a shared one.
pub fn conclusion_of(report: &Report) -> Conclusion {
    Conclusion {
        verdicts: report.verdicts.clone(),
        headline: report.headline.clone(),
        advice: report.advice.clone(),
    }
}

/// What finished of a check the agent stopped answering during, judged as
/// a partial result: the report (its headline marked) and what the page
/// shows of it. `None` when nothing finished. The share module
/// (`bin/share.rs`) calls this on the events the page applied, both for
/// the page to show and to make links of.
pub fn partial_report(
    grid: &Grid,
    options: CheckOptions,
    tool_version: String,
    now_ms: u64,
) -> Option<(Report, Conclusion)> {
    let probes: Vec<ProbeResult> = grid
        .cells
        .iter()
        .flat_map(|c| c.results.iter().cloned())
        .collect();
    if probes.is_empty() {
        return None;
    }
    let (done, total) = grid.progress();
    let mut c = Conclusion::from_probes(&probes, &Default::default());
    c.headline = partial_headline(done, total, &c.headline);
    let report = Report {
        schema_version: mailport_shared::SCHEMA_VERSION,
        tool_version,
        started_at_ms: now_ms,
        duration_ms: 0,
        options,
        probes,
        verdicts: c.verdicts.clone(),
        headline: c.headline.clone(),
        advice: c.advice.clone(),
        network: None,
        controls: Vec::new(),
        inbound: None,
    };
    Some((report, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_results_are_marked() {
        let h = partial_headline(3, 22, "Port 25 was not tested.");
        assert!(is_partial(&h), "{h}");
        assert!(!is_partial("Port 25 was not tested."));
    }
}
