//! When a test that needs something this machine may lack (root, network
//! namespaces, chromedriver, Wine, IPv6 loopback, port 25) may skip itself:
//! one rule for every suite of the workspace, included by path where needed.
//!
//! The rule: with `CI` set (to anything but empty, `0` or `false`, as
//! `.ci/run` runs), nothing may be skipped and a missing requirement fails
//! the test; elsewhere the test says `SKIPPED` on stderr, past the
//! harness's capture, and passes.

/// Whether this run must not skip anything.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Says that `test` is skipped and why, in capitals where a reader scans;
/// in CI a skip is a failure instead.
pub fn skip_or_fail(test: &str, why: &str) {
    assert!(!required(), "{test}: {why}, and CI is set: it must run");
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}
