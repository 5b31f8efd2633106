//! Runs one property for the suite's budget: a fixed number of cases, or,
//! with `MAILPORT_FUZZ_SECONDS=N`, batches of fresh random cases for N
//! seconds. Each property reports its count on stderr.
//!
//! Shared by the property suites of both crates (the agent's includes this
//! file by path).

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};
use std::fmt::Debug;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// Cases per batch (and in short mode, in all).
const BATCH: u32 = 256;

fn budget() -> Option<Duration> {
    let seconds: u64 = std::env::var("MAILPORT_FUZZ_SECONDS").ok()?.parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Checks `property` on values of `strategy`; a failure panics with the
/// smallest input proptest found.
pub fn check<S>(name: &str, strategy: S, property: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let budget = budget();
    let start = Instant::now();
    let mut cases: u64 = 0;
    loop {
        let config = Config {
            cases: BATCH,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        if let Err(e) = runner.run(&strategy, &property) {
            panic!("{name}: {e}");
        }
        cases += u64::from(BATCH);
        if budget.is_none_or(|b| start.elapsed() >= b) {
            break;
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "fuzz {name}: {cases} cases in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

/// Whether a text is safe to print on a terminal: no C0 or C1 control
/// character, no DEL (ESC starts every escape sequence).
#[allow(dead_code)] // the agent's suite checks no terminal text
pub fn printable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control())
}
