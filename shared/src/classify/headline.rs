//! The headline: one sentence about port 25, the question users come with,
//! and one about the submission ports, worded from the verdicts.

use super::group::denied;
use super::verdict::{NotTestableReason, PortVerdict, Verdict};
use super::why::{dns_cause, local_cause};
use crate::outcome::Outcome;
use crate::probe::ProbeResult;

/// One sentence about port 25, the question users come with, followed by one
/// about submission ports. `probes` are the ones the verdicts were judged
/// from, for the causes when nothing could be judged.
///
/// e.g. "Your network silently drops outgoing port 25 on IPv4; IPv6 is open."
pub fn headline(verdicts: &[PortVerdict], probes: &[ProbeResult]) -> String {
    if !verdicts.is_empty()
        && verdicts
            .iter()
            .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }))
    {
        return nothing_judged(verdicts, probes);
    }
    let p25: Vec<&PortVerdict> = verdicts.iter().filter(|v| v.port == 25).collect();
    let phrase = |v: &PortVerdict| -> &'static str {
        match v.verdict {
            Verdict::Open => "is open",
            Verdict::Restricted => "is allowed only to some hosts",
            Verdict::BlockedSilently => "is silently dropped",
            Verdict::BlockedActively => "is actively rejected",
            Verdict::InterceptedSuspected if v.proved() => {
                "is intercepted (the reflector proved it)"
            }
            Verdict::InterceptedSuspected => "appears to be intercepted",
            Verdict::BlockedLocally => "is blocked by this computer's firewall",
            Verdict::RateLimited => "is rate-limited",
            Verdict::NotTestable {
                reason: NotTestableReason::NoRoute,
            } => "cannot be used (no route)",
            Verdict::NotTestable { .. } => "could not be tested",
        }
    };
    let first = match p25.as_slice() {
        [] => String::from("Port 25 was not tested."),
        [one] => format!("Outgoing port 25 {} on {}.", phrase(one), one.family),
        [a, b] if phrase(a) == phrase(b) => {
            format!(
                "Outgoing port 25 {} on {} and {}.",
                phrase(a),
                a.family,
                b.family
            )
        }
        many => {
            let (main, rest) = many.split_at(1);
            let mut s = match &main[0].verdict {
                Verdict::BlockedSilently => format!(
                    "Your network silently drops outgoing port 25 on {}",
                    main[0].family
                ),
                Verdict::BlockedActively => format!(
                    "Your network rejects outgoing port 25 on {}",
                    main[0].family
                ),
                _ => format!("Outgoing port 25 {} on {}", phrase(main[0]), main[0].family),
            };
            for r in rest {
                let tail = match &r.verdict {
                    Verdict::Open => format!("; {} is open", r.family),
                    Verdict::NotTestable {
                        reason: NotTestableReason::NoRoute,
                    } => {
                        format!("; this machine has no {} route", r.family)
                    }
                    _ => format!("; on {} it {}", r.family, phrase(r)),
                };
                s.push_str(&tail);
            }
            s.push('.');
            s
        }
    };
    let sub: Vec<u16> = [465u16, 587]
        .into_iter()
        .filter(|port| {
            verdicts
                .iter()
                .any(|v| v.port == *port && v.verdict == Verdict::Open)
        })
        .collect();
    let sub_verdicts = || verdicts.iter().filter(|v| v.port == 465 || v.port == 587);
    let tested_sub = sub_verdicts().next().is_some();
    let sub_blocked = sub_verdicts().any(|v| v.verdict.is_block());
    match (sub.as_slice(), tested_sub) {
        ([], true) if sub_blocked => {
            format!("{first} Submission ports 465 and 587 are not usable either.")
        }
        ([], true) => format!("{first} Submission ports 465 and 587 could not be judged."),
        ([one], _) => format!("{first} Submission port {one} is open."),
        ([_, _], _) => format!("{first} Submission ports 465 and 587 are open."),
        _ => first,
    }
}

/// The headline when no verdict could be reached at all: say why, and that
/// it says nothing about the network (a host that is down, a name that does
/// not resolve or a machine out of sockets is not a block).
fn nothing_judged(verdicts: &[PortVerdict], probes: &[ProbeResult]) -> String {
    let mut why: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !why.contains(&s) {
            why.push(s);
        }
    };
    // A refusal is an answer: "did not answer" is said only of silence.
    let refused = |p: &&ProbeResult| matches!(p.outcome, Outcome::Refused | Outcome::Reset);
    let failed: Vec<&ProbeResult> = probes
        .iter()
        .filter(|p| !matches!(p.outcome, Outcome::DnsFailed { .. }))
        .collect();
    let unanswered = if !failed.is_empty() && failed.iter().all(refused) {
        "the hosts tried refused the connection, and they may simply not listen there"
    } else if failed.iter().any(refused) {
        "the hosts tried refused the connection or did not answer, and they may simply be down or not listen there"
    } else {
        "the hosts tried did not answer, and they may simply be down or not listen there"
    };
    let mut only_no_route = true;
    let mut only_dns = true;
    let mut dns_broken = false;
    let mut only_local = true;
    for v in verdicts {
        let Verdict::NotTestable { reason } = v.verdict else {
            continue;
        };
        let group: Vec<&ProbeResult> = probes
            .iter()
            .filter(|p| p.spec.port == v.port && p.spec.family == v.family)
            .collect();
        only_no_route &= reason == NotTestableReason::NoRoute;
        only_dns &= matches!(
            reason,
            NotTestableReason::NoAddress | NotTestableReason::DnsBroken
        );
        dns_broken |= reason == NotTestableReason::DnsBroken;
        only_local &= reason == NotTestableReason::LocalError;
        match reason {
            NotTestableReason::NoRoute => push(format!("this machine has no {} route", v.family)),
            // The same well-known name for every port: one sentence.
            NotTestableReason::DnsBroken => {
                let all_denied: Vec<&ProbeResult> = probes.iter().filter(|p| denied(p)).collect();
                push(dns_cause(&all_denied, v.family))
            }
            NotTestableReason::NoAddress | NotTestableReason::NotPublic => {
                push(dns_cause(&group, v.family))
            }
            NotTestableReason::LocalError => push(local_cause(&group)),
            NotTestableReason::NoKnownListener | NotTestableReason::SingleHost => {
                push(unanswered.to_string())
            }
        }
    }
    let why = why.join("; ");
    if only_no_route {
        format!("Nothing could be tested: {why}. That is not a block.")
    } else if only_dns && dns_broken {
        format!("Nothing could be tested: {why}. That says nothing about your network's mail ports: {}, then try again.", crate::text::DNS_FIX)
    } else if only_dns {
        format!("Nothing could be judged: {why}. That says nothing about your network's mail ports: check the names and that this machine can resolve them, then try again.")
    } else if only_local {
        format!("Nothing could be judged: {why}. That says nothing about your network: close programs holding many connections or raise the open-file limit, then try again.")
    } else {
        format!("Nothing could be judged: {why}. That says nothing about your network: test against hosts known to accept mail.")
    }
}
