//! The user's own domain (`--domain`, the page's domain field) when none of
//! its hosts could be looked up: a mistyped name must change the answer's
//! first sentence, not leave a headline about the other hosts that reads as
//! if the domain had been checked.
//!
//! Deciding ([`trouble`]) is apart from wording ([`sentence`]).

use crate::outcome::{DnsFailure, Outcome};
use crate::probe::ProbeResult;
use crate::target::Role;

/// Why nothing of the user's own domain was probed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainTrouble {
    /// DNS says the names do not exist: most often a typing mistake.
    Missing {
        /// The names looked up (the domain, or its MX hosts).
        names: Vec<String>,
    },
    /// The names exist but have no address (no MX, A or AAAA record that
    /// leads to one).
    NoAddress {
        /// The names looked up.
        names: Vec<String>,
    },
}

/// The trouble, when every probe of the user's own hosts failed DNS on
/// every family, and DNS said why (not a resolver that timed out or
/// refused: that is the resolver's trouble, told by the headline).
pub fn trouble(probes: &[ProbeResult]) -> Option<DomainTrouble> {
    let own: Vec<&ProbeResult> = probes
        .iter()
        .filter(|p| p.spec.role == Role::OwnHost)
        .collect();
    let reasons: Vec<&DnsFailure> = own
        .iter()
        .map(|p| match &p.outcome {
            Outcome::DnsFailed { reason } => Some(reason),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut names: Vec<String> = own.iter().map(|p| p.spec.host.clone()).collect();
    names.dedup();
    let missing = |r: &&DnsFailure| matches!(r, DnsFailure::NxDomain);
    let absent = |r: &&DnsFailure| matches!(r, DnsFailure::NxDomain | DnsFailure::NoAddress);
    if reasons.is_empty() || !reasons.iter().all(absent) {
        None
    } else if reasons.iter().any(missing) {
        Some(DomainTrouble::Missing { names })
    } else {
        Some(DomainTrouble::NoAddress { names })
    }
}

/// What happened and what to do, in one or two sentences that lead the
/// answer.
pub fn sentence(trouble: &DomainTrouble) -> String {
    match trouble {
        DomainTrouble::Missing { names } => format!(
            "{} {} not exist in DNS: check the spelling and run the check again.",
            names_text(names),
            if names.len() == 1 { "does" } else { "do" }
        ),
        DomainTrouble::NoAddress { names } => format!(
            "{} {} no address in DNS, so nothing of your domain could be probed: \
             check its MX and A records.",
            names_text(names),
            if names.len() == 1 { "has" } else { "have" }
        ),
    }
}

/// "a.example", "a.example and b.example", "a.example, b.example and 3 more".
fn names_text(names: &[String]) -> String {
    match names {
        [] => "Your domain".into(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
    }
}

/// The headline with the domain's trouble first, when there is one; when
/// nothing but the domain was asked about, the trouble is the whole answer.
pub fn lead(headline: String, probes: &[ProbeResult]) -> String {
    let Some(t) = trouble(probes) else {
        return headline;
    };
    let others_judged = probes
        .iter()
        .any(|p| p.spec.role != Role::OwnHost && !matches!(p.outcome, Outcome::DnsFailed { .. }));
    if others_judged {
        format!(
            "{} The verdicts below come from the other hosts. {headline}",
            sentence(&t)
        )
    } else {
        sentence(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Family;

    fn probe(host: &str, role: Role, family: Family, outcome: Outcome) -> ProbeResult {
        crate::test_support::probe(host, role, 25, family, outcome)
    }

    fn dns(reason: DnsFailure) -> Outcome {
        Outcome::DnsFailed { reason }
    }

    #[test]
    fn table() {
        use DnsFailure::{NoAddress, NxDomain, Timeout};
        let own = |f, o| probe("exmaple.com", Role::OwnHost, f, o);
        let refused = Outcome::Refused;
        let cases: Vec<(&str, Vec<ProbeResult>, Option<DomainTrouble>)> = vec![
            ("no domain asked", vec![], None),
            (
                "a typing mistake",
                vec![
                    own(Family::Ipv4, dns(NxDomain)),
                    own(Family::Ipv6, dns(NxDomain)),
                ],
                Some(DomainTrouble::Missing {
                    names: vec!["exmaple.com".into()],
                }),
            ),
            (
                "no address on either family",
                vec![
                    own(Family::Ipv4, dns(NoAddress)),
                    own(Family::Ipv6, dns(NoAddress)),
                ],
                Some(DomainTrouble::NoAddress {
                    names: vec!["exmaple.com".into()],
                }),
            ),
            (
                "IPv4 only: the domain was probed",
                vec![
                    own(Family::Ipv4, refused.clone()),
                    own(Family::Ipv6, dns(NoAddress)),
                ],
                None,
            ),
            (
                "the resolver timed out: not the domain's fault",
                vec![
                    own(Family::Ipv4, dns(Timeout)),
                    own(Family::Ipv6, dns(NxDomain)),
                ],
                None,
            ),
        ];
        for (what, probes, want) in cases {
            assert_eq!(trouble(&probes), want, "{what}");
        }
    }

    #[test]
    fn the_trouble_leads_the_headline() {
        let probes = vec![
            probe(
                "exmaple.com",
                Role::OwnHost,
                Family::Ipv4,
                dns(DnsFailure::NxDomain),
            ),
            probe(
                "mx.example.net",
                Role::RecipientMx,
                Family::Ipv4,
                Outcome::Refused,
            ),
        ];
        assert_eq!(
            lead(
                "Outgoing port 25 is actively rejected on IPv4.".into(),
                &probes
            ),
            "exmaple.com does not exist in DNS: check the spelling and run the check again. \
             The verdicts below come from the other hosts. \
             Outgoing port 25 is actively rejected on IPv4."
        );
        assert_eq!(
            lead("Nothing could be judged.".into(), &probes[..1]),
            "exmaple.com does not exist in DNS: check the spelling and run the check again."
        );
        assert_eq!(lead("Same.".into(), &probes[1..]), "Same.");
    }
}
