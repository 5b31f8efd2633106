//! Rate limits told apart from blocks and restrictions.
//!
//! Some providers throttle port 25 rather than block it (EC2's "port 25
//! throttling", one new connection per minute on some lines): the first
//! connections get through, later ones time out. Judged on one check that
//! reads like "restricted to some destinations" unless the same host is
//! tried again: when a host that connected on a port times out on it a
//! moment later, its address and the port did not change, the network's
//! patience did. The agent makes that second connection when a port both
//! connected and timed out (so the report holds two probes of that host
//! and port), and this module reads them.

use crate::family::Family;
use crate::outcome::Outcome;
use crate::probe::ProbeResult;
use crate::small_sort::IntoSet;
use std::collections::BTreeSet;

/// The hosts that, on `port` and `family`, both connected and timed out in
/// one check: the evidence of a rate limit.
pub fn throttled(probes: &[ProbeResult], port: u16, family: Family) -> BTreeSet<&str> {
    let on = |p: &&ProbeResult| p.spec.port == port && p.spec.family == family;
    probes
        .iter()
        .filter(on)
        .filter(|p| p.outcome == Outcome::Filtered)
        .filter(|f| {
            probes
                .iter()
                .filter(on)
                .any(|c| c.spec.host == f.spec.host && c.outcome.connected())
        })
        .map(|p| p.spec.host.as_str())
        .into_set()
}

/// Which probes to repeat to tell a rate limit from a restriction: on each
/// port and family where some host connected and another one known to
/// listen timed out, the first host that connected, once. Returns indexes
/// into `probes`. A port that already holds two probes of one host was
/// repeated: never again.
pub fn to_repeat(probes: &[ProbeResult]) -> Vec<usize> {
    let mut picked: Vec<usize> = Vec::new();
    for (i, p) in probes.iter().enumerate() {
        if !p.outcome.connected() {
            continue;
        }
        let same_cell =
            |o: &&ProbeResult| o.spec.port == p.spec.port && o.spec.family == p.spec.family;
        let timed_out = probes
            .iter()
            .filter(same_cell)
            .any(|o| o.outcome == Outcome::Filtered && o.spec.expected);
        let repeated = probes
            .iter()
            .filter(same_cell)
            .filter(|o| o.spec.host == p.spec.host)
            .count()
            > 1;
        let already = picked
            .iter()
            .any(|&j| probes[j].spec.port == p.spec.port && probes[j].spec.family == p.spec.family);
        if timed_out && !repeated && !already {
            picked.push(i);
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Role;

    fn p(host: &str, port: u16, outcome: Outcome) -> ProbeResult {
        crate::test_support::probe(host, Role::RecipientMx, port, Family::Ipv4, outcome)
    }

    fn up() -> Outcome {
        Outcome::PortTester {
            reply: crate::outcome::TesterReply::Quiet,
        }
    }

    #[test]
    fn repeats_and_throttles() {
        use Outcome::{Filtered, Refused};
        // (probes, to repeat, throttled on 25)
        let rows: Vec<(Vec<ProbeResult>, Vec<usize>, Vec<&str>)> = vec![
            // Everything connects: nothing to tell apart.
            (vec![p("a", 25, up()), p("b", 25, up())], vec![], vec![]),
            // Everything times out: a block, nothing to repeat.
            (
                vec![p("a", 25, Filtered), p("b", 25, Filtered)],
                vec![],
                vec![],
            ),
            // Mixed: repeat the one that connected, once per port.
            (
                vec![
                    p("a", 25, Filtered),
                    p("b", 25, up()),
                    p("c", 25, up()),
                    p("b", 587, up()),
                ],
                vec![1],
                vec![],
            ),
            // A refusal is not a timeout: nothing to repeat.
            (vec![p("a", 25, Refused), p("b", 25, up())], vec![], vec![]),
            // Repeated, and the second connection timed out: throttled.
            (
                vec![p("a", 25, Filtered), p("b", 25, up()), p("b", 25, Filtered)],
                vec![],
                vec!["b"],
            ),
            // Repeated, and it connected again: a restriction, not a limit.
            (
                vec![p("a", 25, Filtered), p("b", 25, up()), p("b", 25, up())],
                vec![],
                vec![],
            ),
        ];
        for (probes, repeat, limited) in rows {
            assert_eq!(to_repeat(&probes), repeat, "{probes:?}");
            let got: Vec<&str> = throttled(&probes, 25, Family::Ipv4).into_iter().collect();
            assert_eq!(got, limited, "{probes:?}");
        }
    }
}
