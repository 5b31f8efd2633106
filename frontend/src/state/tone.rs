//! How an outcome reads at a glance.

use mailport_shared::reflector::ProofStatus;
use mailport_shared::Outcome;

/// How a cell reads at a glance: colour AND word AND symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Not finished.
    Pending,
    /// A mail server answered.
    Good,
    /// Dropped or rejected.
    Bad,
    /// Connected, but something odd answered.
    Odd,
    /// Says nothing about the path (no route, no address).
    Neutral,
}

impl Tone {
    /// Of one outcome. A reflector's greeting is judged by its proof: one
    /// without the reflector's signature is something else answering in
    /// its place, and a busy reflector tested nothing.
    pub fn of(o: &Outcome) -> Tone {
        match o {
            Outcome::Banner(ex) => ex
                .reflector
                .as_deref()
                .map_or(Tone::Good, |p| Tone::of_proof(p.status)),
            Outcome::PortTester { .. } => Tone::Good,
            Outcome::Refused | Outcome::Filtered | Outcome::Unreachable { .. } | Outcome::Reset => {
                Tone::Bad
            }
            Outcome::Silent
            | Outcome::ClosedEarly
            | Outcome::NotSmtp { .. }
            | Outcome::TlsFailed { .. } => Tone::Odd,
            Outcome::NoRoute { .. }
            | Outcome::DnsFailed { .. }
            | Outcome::LocalError { .. }
            | Outcome::LocalFirewall { .. } => Tone::Neutral,
        }
    }

    /// Of a reflector's proof.
    pub fn of_proof(status: ProofStatus) -> Tone {
        match status {
            ProofStatus::Genuine => Tone::Good,
            ProofStatus::Unverified => Tone::Odd,
            ProofStatus::Busy => Tone::Neutral,
        }
    }

    /// The CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Pending => "pending",
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Odd => "odd",
            Tone::Neutral => "neutral",
        }
    }

    /// A symbol, so colour is never the only signal.
    pub fn symbol(self) -> &'static str {
        match self {
            Tone::Pending => "…",
            Tone::Good => "✓",
            Tone::Bad => "✗",
            Tone::Odd => "?",
            Tone::Neutral => "–",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::grid::Grid;
    use crate::state::test_support::result;
    use mailport_shared::Family;

    #[test]
    fn best_result_sets_the_tone() {
        let mut g = Grid::default();
        g.record(result("a.example", 25, Outcome::Refused));
        g.record(result("a.example", 25, Outcome::Silent));
        let c = g.cell("a.example", 25, Family::Ipv4).unwrap();
        assert_eq!(c.tone(), Tone::Odd);
        assert_eq!(c.label(), "refused / no greeting");
        for t in [
            Tone::Pending,
            Tone::Good,
            Tone::Bad,
            Tone::Odd,
            Tone::Neutral,
        ] {
            assert!(!t.symbol().is_empty() && !t.class().is_empty());
        }
    }

    /// A reflector's greeting reads by its proof: without the signature it
    /// is not a good sign (something else answered), and a busy reflector
    /// says nothing; a mail server's greeting stays good.
    #[test]
    fn a_reflector_greeting_reads_by_its_proof() {
        use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange};
        use mailport_shared::reflector::ReflectorProof;
        let greeting = |status: Option<ProofStatus>| {
            Outcome::Banner(SmtpExchange {
                greeting: Reply {
                    code: 220,
                    lines: vec!["reflector.example ESMTP".into()],
                },
                ehlo: EhloOutcome::NotSent,
                implicit_tls: false,
                tls: None,
                reflector: status.map(|status| {
                    Box::new(ReflectorProof {
                        status,
                        detail: String::new(),
                        seen_address: None,
                        seen_port: None,
                        listening: Vec::new(),
                        local_address: None,
                        public_address: None,
                    })
                }),
            })
        };
        for (status, tone) in [
            (None, Tone::Good),
            (Some(ProofStatus::Genuine), Tone::Good),
            (Some(ProofStatus::Unverified), Tone::Odd),
            (Some(ProofStatus::Busy), Tone::Neutral),
        ] {
            assert_eq!(Tone::of(&greeting(status)), tone, "{status:?}");
        }
    }
}
