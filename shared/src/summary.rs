//! The answer first: one line per question a person came with, decided from
//! the verdicts ("Can this computer send mail directly? No — port 25 is
//! dropped."), and which verdict rows carry no information of their own.
//!
//! Deciding ([`answers`], [`folded_families`]) is separate from wording
//! ([`Answer::text`]) so both are tested as tables, and the page and the
//! terminal say the same thing.

use crate::classify::{NotTestableReason, PortVerdict, Verdict};
use crate::family::Family;

/// The questions, in the order they are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// Port 25 to other servers' MX: running one's own mail server.
    Direct,
    /// 465, 587 (and the alternatives 2525, 26) to a provider or relay.
    Submission,
}

impl Question {
    /// The question in words.
    pub fn text(self) -> &'static str {
        match self {
            Question::Direct => "Can this computer send mail directly (port 25)?",
            Question::Submission => "Can it send through a mail provider or relay?",
        }
    }

    fn ports(self) -> &'static [u16] {
        match self {
            Question::Direct => &[25],
            Question::Submission => &[465, 587, 2525, 26],
        }
    }
}

/// The short answer, which also sets its look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Short {
    /// Yes.
    Yes,
    /// Yes, but only to some servers or on one family.
    Partly,
    /// No.
    No,
    /// Could not be told, or not tested.
    Unknown,
}

impl Short {
    /// "Yes", "Partly", "No", "Unknown".
    pub fn word(self) -> &'static str {
        match self {
            Short::Yes => "Yes",
            Short::Partly => "Partly",
            Short::No => "No",
            Short::Unknown => "Unknown",
        }
    }
}

/// What stands in a port's way, for the wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Obstacle {
    /// Silently dropped.
    Dropped,
    /// Rejected.
    Rejected,
    /// Something answers in the servers' place.
    Intercepted,
    /// Through to some servers only.
    Restricted,
}

/// One answered question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Which question.
    pub question: Question,
    /// The short answer.
    pub short: Short,
    /// Ports that work (open on some family), in question order.
    pub open: Vec<u16>,
    /// Ports in the way and how, in question order.
    pub blocked: Vec<(u16, Obstacle)>,
    /// The families on which the open ports work, when not every tested one.
    pub only_on: Option<Family>,
}

fn obstacle(v: &Verdict) -> Option<Obstacle> {
    match v {
        Verdict::BlockedSilently => Some(Obstacle::Dropped),
        Verdict::BlockedActively => Some(Obstacle::Rejected),
        Verdict::InterceptedSuspected => Some(Obstacle::Intercepted),
        Verdict::Restricted => Some(Obstacle::Restricted),
        _ => None,
    }
}

/// Answers each question the verdicts say something about. A question whose
/// ports were not tested at all is left out (a check of 587 alone does not
/// answer "port 25").
pub fn answers(verdicts: &[PortVerdict]) -> Vec<Answer> {
    [Question::Direct, Question::Submission]
        .into_iter()
        .filter_map(|q| answer(q, verdicts))
        .collect()
}

fn answer(q: Question, verdicts: &[PortVerdict]) -> Option<Answer> {
    let of_port = |p: u16| verdicts.iter().filter(move |v| v.port == p);
    let tested: Vec<u16> = q
        .ports()
        .iter()
        .copied()
        .filter(|p| of_port(*p).next().is_some())
        .collect();
    if tested.is_empty() {
        return None;
    }
    let open: Vec<u16> = tested
        .iter()
        .copied()
        .filter(|p| of_port(*p).any(|v| v.verdict == Verdict::Open))
        .collect();
    let blocked: Vec<(u16, Obstacle)> = tested
        .iter()
        .copied()
        .filter(|p| !open.contains(p))
        .filter_map(|p| {
            of_port(p)
                .filter_map(|v| obstacle(&v.verdict))
                .min()
                .map(|o| (p, o))
        })
        .collect();
    // Open on one family while the other was tested and is in the way.
    let open_families: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| {
            verdicts
                .iter()
                .any(|v| open.contains(&v.port) && v.family == *f && v.verdict == Verdict::Open)
        })
        .collect();
    let other_blocked = |f: Family| {
        verdicts
            .iter()
            .any(|v| open.contains(&v.port) && v.family != f && v.verdict.is_block())
    };
    let only_on = match open_families.as_slice() {
        [f] if other_blocked(*f) => Some(*f),
        _ => None,
    };
    let restricted_only = open.is_empty()
        && !blocked.is_empty()
        && blocked.iter().all(|(_, o)| *o == Obstacle::Restricted);
    let short = if !open.is_empty() {
        if only_on.is_some() {
            Short::Partly
        } else {
            Short::Yes
        }
    } else if restricted_only {
        Short::Partly
    } else if !blocked.is_empty() {
        Short::No
    } else {
        Short::Unknown
    };
    Some(Answer {
        question: q,
        short,
        open,
        blocked,
        only_on,
    })
}

/// "465", "465 and 587", "465, 587 and 2525".
fn port_list(ports: &[u16]) -> String {
    match ports {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn obstacle_words(o: Obstacle) -> &'static str {
    match o {
        Obstacle::Dropped => "dropped",
        Obstacle::Rejected => "rejected",
        Obstacle::Intercepted => "intercepted",
        Obstacle::Restricted => "let through to some servers only",
    }
}

/// "port 25 is dropped", "ports 465 and 587 are dropped, 26 is rejected".
fn blocked_words(blocked: &[(u16, Obstacle)]) -> String {
    let mut groups: Vec<(Obstacle, Vec<u16>)> = Vec::new();
    for (p, o) in blocked {
        match groups.iter_mut().find(|(g, _)| g == o) {
            Some((_, ports)) => ports.push(*p),
            None => groups.push((*o, vec![*p])),
        }
    }
    groups
        .iter()
        .enumerate()
        .map(|(i, (o, ports))| {
            let noun = match (i, ports.len()) {
                (0, 1) => "port ",
                (0, _) => "ports ",
                _ => "",
            };
            let verb = if ports.len() == 1 { "is" } else { "are" };
            format!("{noun}{} {verb} {}", port_list(ports), obstacle_words(*o))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Answer {
    /// The answer in one sentence after the short word: "No — port 25 is
    /// dropped.", "Yes, on 465 and 587."
    pub fn text(&self) -> String {
        let family = self
            .only_on
            .map(|f| format!(" over {f} only"))
            .unwrap_or_default();
        match self.short {
            Short::Yes | Short::Partly if !self.open.is_empty() => {
                let rest = if self.blocked.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", blocked_words(&self.blocked))
                };
                format!(
                    "{}, on {}{family}{rest}.",
                    self.short.word(),
                    port_list(&self.open)
                )
            }
            Short::Unknown => match self.question {
                Question::Direct => {
                    "Unknown — port 25 could not be tested from here; see below.".into()
                }
                Question::Submission => {
                    "Unknown — these ports could not be tested from here; see below.".into()
                }
            },
            _ => format!("{} — {}.", self.short.word(), blocked_words(&self.blocked)),
        }
    }
}

/// The families that carry no information: every verdict of the family
/// says "not testable" for the same reason (no IPv6 route, no address).
/// The page shows each as one line instead of a row per port.
pub fn folded_families(verdicts: &[PortVerdict]) -> Vec<(Family, NotTestableReason)> {
    Family::ALL
        .into_iter()
        .filter_map(|f| {
            let mut of = verdicts.iter().filter(|v| v.family == f);
            let first = of.next()?;
            let Verdict::NotTestable { reason } = first.verdict else {
                return None;
            };
            of.all(|v| v.verdict == first.verdict)
                .then_some((f, reason))
        })
        .collect()
}

/// The one line a folded family becomes.
pub fn folded_text(family: Family, reason: NotTestableReason) -> String {
    let why = match reason {
        NotTestableReason::NoRoute => "this computer has no route for it, which is not a block",
        NotTestableReason::NoAddress => "no server had an address of this family",
        NotTestableReason::DnsBroken => {
            "the DNS server says that well-known mail servers do not exist"
        }
        NotTestableReason::NotPublic => "every server was a private or local address",
        NotTestableReason::LocalError => "this computer could not open the connections",
        NotTestableReason::NoKnownListener | NotTestableReason::SingleHost => {
            "the servers tried did not answer on any port, so nothing could be judged"
        }
    };
    format!("{family}: not tested on any port — {why}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Family::{Ipv4, Ipv6};

    fn v(port: u16, family: Family, verdict: Verdict) -> PortVerdict {
        PortVerdict {
            port,
            family,
            verdict,
            why: String::new(),
            reached: vec![],
            relays: vec![],
            evidence: vec![],
        }
    }

    const NO_ROUTE: Verdict = Verdict::NotTestable {
        reason: NotTestableReason::NoRoute,
    };

    #[test]
    fn answers_read_as_sentences() {
        use Verdict::*;
        let home = vec![
            v(25, Ipv4, BlockedSilently),
            v(25, Ipv6, NO_ROUTE),
            v(26, Ipv4, BlockedSilently),
            v(465, Ipv4, Open),
            v(587, Ipv4, Open),
            v(465, Ipv6, NO_ROUTE),
        ];
        let cases: Vec<(Vec<PortVerdict>, Vec<&str>)> = vec![
            (
                home,
                vec![
                    "No — port 25 is dropped.",
                    "Yes, on 465 and 587 (port 26 is dropped).",
                ],
            ),
            (
                vec![v(25, Ipv4, Open), v(587, Ipv4, Open)],
                vec!["Yes, on 25.", "Yes, on 587."],
            ),
            (
                vec![v(25, Ipv4, BlockedSilently), v(25, Ipv6, Open)],
                vec!["Partly, on 25 over IPv6 only."],
            ),
            (
                vec![v(25, Ipv4, Restricted)],
                vec!["Partly — port 25 is let through to some servers only."],
            ),
            (
                vec![
                    v(25, Ipv4, InterceptedSuspected),
                    v(465, Ipv4, BlockedActively),
                    v(587, Ipv4, BlockedSilently),
                    v(2525, Ipv4, BlockedSilently),
                ],
                vec![
                    "No — port 25 is intercepted.",
                    "No — port 465 is rejected, 587 and 2525 are dropped.",
                ],
            ),
            (
                vec![v(25, Ipv4, NO_ROUTE)],
                vec!["Unknown — port 25 could not be tested from here; see below."],
            ),
            // Only 587 checked: port 25 is not answered at all.
            (vec![v(587, Ipv4, Open)], vec!["Yes, on 587."]),
            (vec![], vec![]),
        ];
        for (verdicts, want) in cases {
            let got: Vec<String> = answers(&verdicts).iter().map(Answer::text).collect();
            assert_eq!(got, want, "{verdicts:?}");
        }
    }

    #[test]
    fn a_family_that_could_not_be_tested_folds_into_one_line() {
        use Verdict::*;
        type Folded = Vec<(Family, NotTestableReason)>;
        let cases: Vec<(Vec<PortVerdict>, Folded)> = vec![
            (
                vec![
                    v(25, Ipv4, Open),
                    v(25, Ipv6, NO_ROUTE),
                    v(587, Ipv6, NO_ROUTE),
                ],
                vec![(Ipv6, NotTestableReason::NoRoute)],
            ),
            // One IPv6 port answered: nothing folds.
            (vec![v(25, Ipv6, NO_ROUTE), v(587, Ipv6, Open)], vec![]),
            (vec![v(25, Ipv4, Open)], vec![]),
        ];
        for (verdicts, want) in cases {
            assert_eq!(folded_families(&verdicts), want, "{verdicts:?}");
        }
        assert_eq!(
            folded_text(Ipv6, NotTestableReason::NoRoute),
            "IPv6: not tested on any port — this computer has no route for it, which is not a block."
        );
    }
}
