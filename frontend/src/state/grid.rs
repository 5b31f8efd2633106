//! The progress grid: one cell per host, port and family.

use super::tone::Tone;
use mailport_shared::small_sort;
use mailport_shared::{CheckOptions, Family, ProbeResult, ProbeSpec, Report, Role, MAIL_PORTS};

/// One row × column of the progress grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The planned probe.
    pub spec: ProbeSpec,
    /// Its results (one per address tried), empty while pending.
    pub results: Vec<ProbeResult>,
}

impl Cell {
    /// The cell's tone: the best result wins (one good address is enough).
    pub fn tone(&self) -> Tone {
        let tones: Vec<Tone> = self.results.iter().map(|r| Tone::of(&r.outcome)).collect();
        [Tone::Good, Tone::Odd, Tone::Bad, Tone::Neutral]
            .into_iter()
            .find(|t| tones.contains(t))
            .unwrap_or(Tone::Pending)
    }

    /// The cell's words.
    pub fn label(&self) -> String {
        let mut labels: Vec<&str> = self.results.iter().map(|r| r.outcome.label()).collect();
        labels.dedup();
        if labels.is_empty() {
            "testing…".into()
        } else {
            labels.join(" / ")
        }
    }
}

/// The progress grid: hosts down, (port, family) across.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grid {
    /// Every planned probe, in plan order.
    pub cells: Vec<Cell>,
}

impl Grid {
    /// A grid of pending cells.
    ///
    /// One cell per host, port and family: a host typed twice with two
    /// roles is probed as planned, but its results land in one cell, so a
    /// second cell would wait forever ("20 of 22 probes finished").
    pub fn planned(specs: Vec<ProbeSpec>) -> Grid {
        let mut g = Grid::default();
        for spec in specs {
            if g.cell(&spec.host, spec.port, spec.family).is_none() {
                g.cells.push(Cell {
                    spec,
                    results: Vec::new(),
                });
            }
        }
        g
    }

    /// A finished grid from a report (a shared one): its probes are in the
    /// order they finished, its rows in the order the check planned them.
    pub fn from_report(report: &Report) -> Grid {
        let mut g = Grid::default();
        for p in &report.probes {
            g.record(p.clone());
        }
        g.order_as_planned(&report.options);
        g
    }

    /// Puts the rows in the order the check planned them, as the agent
    /// does: the targets as asked (the well-known ones when none were),
    /// then the hosts found for the domain, then the reflector. A stable
    /// sort: cells keep their order within a row, and hosts of the same
    /// rank their first-seen order.
    pub fn order_as_planned(&mut self, options: &CheckOptions) {
        let targets = options.effective_targets();
        let rank = |spec: &ProbeSpec| {
            if spec.role == Role::Reflector {
                return usize::MAX;
            }
            targets
                .iter()
                .position(|t| t.host.eq_ignore_ascii_case(&spec.host))
                .unwrap_or(targets.len())
        };
        small_sort::sort_by_key(&mut self.cells, |c| rank(&c.spec));
    }

    /// Files a result in its cell (adding a cell if it was not planned).
    pub fn record(&mut self, result: ProbeResult) {
        let key = |s: &ProbeSpec| (s.host.clone(), s.port, s.family);
        let k = key(&result.spec);
        match self.cells.iter_mut().find(|c| key(&c.spec) == k) {
            Some(cell) => cell.results.push(result),
            None => self.cells.push(Cell {
                spec: result.spec.clone(),
                results: vec![result],
            }),
        }
    }

    /// Hosts in first-seen order, with their role.
    pub fn rows(&self) -> Vec<(String, Role)> {
        let mut rows: Vec<(String, Role)> = Vec::new();
        for c in &self.cells {
            if !rows.iter().any(|(h, _)| *h == c.spec.host) {
                rows.push((c.spec.host.clone(), c.spec.role));
            }
        }
        rows
    }

    /// (port, family) columns: ports in [`MAIL_PORTS`] order, IPv4 first.
    pub fn columns(&self) -> Vec<(u16, Family)> {
        let mut cols: Vec<(u16, Family)> = Vec::new();
        for c in &self.cells {
            let k = (c.spec.port, c.spec.family);
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
        small_sort::sort_by_key(&mut cols, |(p, f)| {
            (
                MAIL_PORTS.iter().position(|m| m == p).unwrap_or(usize::MAX),
                *p,
                *f,
            )
        });
        cols
    }

    /// The cell at a host × column, if that probe was planned.
    pub fn cell(&self, host: &str, port: u16, family: Family) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.spec.host == host && c.spec.port == port && c.spec.family == family)
    }

    /// (finished, planned).
    pub fn progress(&self) -> (usize, usize) {
        let done = self.cells.iter().filter(|c| !c.results.is_empty()).count();
        (done, self.cells.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::test_support::{report, result, spec};
    use mailport_shared::{Outcome, Target};

    #[test]
    fn a_host_typed_twice_is_one_cell() {
        let spec = |role| ProbeSpec {
            host: "mx.example".into(),
            role,
            port: 25,
            family: Family::Ipv4,
            expected: true,
        };
        let g = Grid::planned(vec![spec(Role::RecipientMx), spec(Role::OwnHost)]);
        assert_eq!(g.progress(), (0, 1));
    }

    /// A shared report lists its probes in the order they finished; its
    /// grid lists the hosts in the order the check planned them.
    #[test]
    fn rows_follow_the_plan_not_the_finish() {
        let r = |host: &str, role: Role, port: u16| ProbeResult {
            spec: ProbeSpec {
                role,
                ..spec(host, port, Family::Ipv4)
            },
            ..result(host, port, Outcome::Refused)
        };
        let report = Report {
            options: CheckOptions {
                domain: Some("own.example".into()),
                targets: vec![
                    Target::new("[ip-1]", Role::RecipientMx),
                    Target::new("[ip-2]", Role::RecipientMx),
                    Target::new("[ip-3]", Role::Submission),
                ],
                ..CheckOptions::default()
            },
            ..report(
                vec![
                    r("reflector.example", Role::Reflector, 25),
                    r("[ip-3]", Role::Submission, 587),
                    r("mx.own.example", Role::RecipientMx, 25),
                    r("[ip-2]", Role::RecipientMx, 25),
                    r("[ip-3]", Role::Submission, 25),
                    r("[ip-1]", Role::RecipientMx, 25),
                ],
                "",
            )
        };
        let g = Grid::from_report(&report);
        let rows: Vec<String> = g.rows().into_iter().map(|(h, _)| h).collect();
        assert_eq!(
            rows,
            [
                "[ip-1]",
                "[ip-2]",
                "[ip-3]",
                "mx.own.example",
                "reflector.example"
            ]
        );
        assert_eq!(g.columns(), vec![(25, Family::Ipv4), (587, Family::Ipv4)]);
        // Without targets, the well-known defaults are the plan.
        let defaults = Report {
            options: CheckOptions::default(),
            probes: vec![
                r("portquiz.net", Role::PortEcho, 25),
                r("gmail-smtp-in.l.google.com", Role::RecipientMx, 25),
            ],
            ..report
        };
        let rows: Vec<String> = Grid::from_report(&defaults)
            .rows()
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        assert_eq!(rows, ["gmail-smtp-in.l.google.com", "portquiz.net"]);
    }
}
