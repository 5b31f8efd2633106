//! The sentence that says why a group got its verdict: [`Decision`] and
//! [`GroupFacts`] in words, for the user. Nothing here changes a verdict.

use super::decide::Decision;
use super::group::{denied_known_name, GroupFacts};
use crate::control;
use crate::family::Family;
use crate::interception::EvidenceKind;
use crate::outcome::{DnsFailure, Outcome};
use crate::probe::ProbeResult;
use crate::small_sort::IntoSet;
use crate::text::{and_list, capitalised};
use std::collections::BTreeSet;

/// The sentence for a group's decision.
pub(super) fn word(d: Decision, f: &GroupFacts) -> String {
    let (port, family) = (f.port, f.family);
    match d {
        Decision::NoAddress { .. } | Decision::DnsBroken => format!(
            "{}, so {family} could not be tested.",
            capitalised(&dns_cause(f.group, family))
        ),
        Decision::BrokenFamily => format!(
            "Nothing answers over {family}, not even the control port {} of the hosts tried: the {family} path is broken, which is not a mail block.",
            f.controls.first().map_or(control::CONTROL_PORT, |c| c.port)
        ),
        Decision::LocalFirewall => format!(
            "A firewall on this computer refuses connections to port {port} over {family} ({}): nothing reached the network, so this says nothing about your provider.",
            local_firewall_detail(f.group)
        ),
        Decision::NoRoute => {
            format!("This machine has no {family} route to the internet; that is not a block.")
        }
        Decision::Intercepted => {
            if f.shown.iter().any(|e| e.proof) {
                format!(
                    "Port {port} was answered in the reflector's place: the greeting came without the reflector's signature, which proves that something on the path intercepts it."
                )
            } else {
                odd_answer(f, &f.accused.union(&f.odd).copied().collect())
            }
        }
        Decision::RateLimited => format!(
            "Port {port} let a connection to {} through, then a second one to the same host timed out: your network limits how many connections it lets through on this port, it does not block it.",
            and_list(&f.throttled)
        ),
        Decision::Restricted => {
            let listen = if f.known_to_listen(&f.failed) {
                agree(
                    &f.failed,
                    ", which is known to listen",
                    ", which are known to listen",
                )
            } else {
                ""
            };
            format!(
                "Port {port} reaches {} but not {}{listen}: only some destinations are allowed.{}",
                and_list(&f.reached),
                and_list(&f.failed),
                router_note(f),
            )
        }
        Decision::Open => open(f),
        Decision::InterceptedOdd => odd_answer(f, &f.odd),
        Decision::BlockedSilently => {
            let mut why = format!(
                "Connections to port {port} time out ({}): your network silently drops them.",
                and_list(&f.dropped)
            );
            if !f.rejected.is_empty() {
                why.push_str(&format!(
                    " Those to {} are rejected.{}",
                    and_list(&f.rejected),
                    router_note(f)
                ));
            }
            why
        }
        Decision::BlockedActively => {
            let mut why = format!(
                "Connections to port {port} are rejected ({}){}.{}",
                and_list(&f.rejected),
                if f.known_to_listen(&f.rejected) {
                    agree(
                        &f.rejected,
                        ", though this host accepts mail there",
                        ", though these hosts accept mail there",
                    )
                } else {
                    ": a router or firewall on the way answered no"
                },
                router_note(f)
            );
            if !f.dropped.is_empty() {
                why.push_str(&format!(
                    " Those to {} time out: routers send only so many rejections.",
                    and_list(&f.dropped)
                ));
            }
            why
        }
        Decision::SingleHost => {
            let mut said: Vec<String> = Vec::new();
            if !f.odd.is_empty() {
                said.push(format!(
                    "{} took the connection but did not greet like a mail server",
                    and_list(&f.odd)
                ));
            }
            said.extend(failed_words(f, &f.failed));
            let tried: BTreeSet<&str> = f.odd.union(&f.failed).copied().into_set();
            format!(
                "On port {port}, {}; no other host known to listen there answered, so {} may simply be down or overloaded{}. Add another host to tell.",
                said.join(", and "),
                agree(&tried, "it", "they"),
                not_offered(f)
            )
        }
        Decision::LocalError => format!(
            "{}, so port {port} over {family} could not be tested; that says nothing about the network.",
            capitalised(&local_cause(f.group))
        ),
        Decision::NoKnownListener => no_known_listener(f),
    }
}

/// Servers answered: which, and what else was seen, so that a host that
/// failed or answered oddly beside them is not left unexplained. Not "mail
/// servers": a port tester (portquiz.net) that answered HTTP counts too.
fn open(f: &GroupFacts) -> String {
    let mut why = format!(
        "Servers answered normally on port {} over {} ({}).",
        f.port,
        f.family,
        and_list(&f.reached)
    );
    if !f.failed.is_empty() {
        why.push_str(&format!(
            " {}; {} may be down{}.",
            failed_words(f, &f.failed).join(", and "),
            agree(&f.failed, "it", "they"),
            not_offered(f)
        ));
    }
    if !f.odd.is_empty() {
        why.push_str(&format!(
            " {} took the connection but did not greet normally; {} may be overloaded.",
            and_list(&f.odd),
            agree(&f.odd, "it", "they")
        ));
    }
    let noted: BTreeSet<&str> = f
        .evidence
        .iter()
        .filter(|e| e.kind != EvidenceKind::AddressTranslated)
        .map(|e| e.host.as_str())
        .into_set();
    if !noted.is_empty() {
        why.push_str(&format!(
            " What looked odd about {} is shown as a note: {} own setup explains it as well as interception would.",
            and_list(&noted),
            agree(&noted, "that server's", "those servers'")
        ));
    }
    why
}

/// A host not known to run mail here that took the connection and then
/// said nothing useful may run something else on the port: that proves the
/// port is not blocked towards it, and nothing about mail.
fn no_known_listener(f: &GroupFacts) -> String {
    let port = f.port;
    let connected = f.connected();
    if connected.is_empty() && f.refused_all() {
        format!(
            "None of the hosts tried is known to listen on port {port}, and each refused the connection: nothing may listen there, so this cannot tell a block from a closed port."
        )
    } else if connected.is_empty() {
        format!(
            "None of the hosts tried is known to listen on port {port}, and none answered: this cannot tell a block from a closed port."
        )
    } else {
        format!(
            "{} accepted the connection on port {port}, but no mail server greeted; {} not known to run mail there, so this cannot tell a proxy from another service.",
            and_list(&connected),
            agree(&connected, "it is", "they are")
        )
    }
}

/// What the failing hosts did, in words: a refusal is not silence.
fn failed_words(f: &GroupFacts, set: &BTreeSet<&str>) -> Vec<String> {
    let (refused, silent): (BTreeSet<&str>, BTreeSet<&str>) =
        set.iter().partition(|h| f.only_refused(h));
    let mut said = Vec::new();
    if !silent.is_empty() {
        said.push(format!("{} did not answer", and_list(&silent)));
    }
    if !refused.is_empty() {
        said.push(format!("{} refused the connection", and_list(&refused)));
    }
    said
}

/// Said of hosts that only refused: a reason besides being down.
fn not_offered(f: &GroupFacts) -> String {
    if f.failed.iter().any(|h| f.only_refused(h)) {
        format!(", or not offer port {}", f.port)
    } else {
        String::new()
    }
}

/// A router's "network unreachable" on a family that works is a rejection.
fn router_note(f: &GroupFacts) -> String {
    if f.router_no.is_empty() {
        String::new()
    } else {
        format!(
            " A router answered \"network unreachable\" for {} although {} connects elsewhere: a rejection, not a missing route.",
            and_list(&f.router_no),
            f.family
        )
    }
}

/// Odd answers from `set`: a greeting that came from the wrong server
/// reads differently from no greeting at all.
fn odd_answer(f: &GroupFacts, set: &BTreeSet<&str>) -> String {
    let port = f.port;
    if f.odd_greeting(set) {
        format!(
            "Port {port} answers for {}, but not as the real servers do: something on the path answers in their place.",
            and_list(set)
        )
    } else {
        format!(
            "Port {port} connects to {}, but no normal mail-server greeting comes back: a proxy or tarpit is in the way.",
            and_list(set)
        )
    }
}

/// Why no target of a group had an address, from what DNS said, as a phrase
/// ("the DNS server did not answer in time"): a resolver that timed out is
/// not a name without addresses, and neither is a block. Used for the port's
/// sentence and for the headline.
pub(super) fn dns_cause(group: &[&ProbeResult], family: Family) -> String {
    let failures: Vec<&DnsFailure> = group
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::DnsFailed { reason } => Some(reason),
            _ => None,
        })
        .collect();
    let all = |f: fn(&DnsFailure) -> bool| !failures.is_empty() && failures.iter().all(|r| f(r));
    if let Some(host) = denied_known_name(group) {
        format!("the DNS server says that {host} does not exist, and it does: this machine cannot look up names on the internet")
    } else if all(|r| matches!(r, DnsFailure::Timeout)) {
        "the DNS server did not answer in time".into()
    } else if all(|r| matches!(r, DnsFailure::NxDomain)) {
        "the target names do not exist in DNS".into()
    } else if all(|r| matches!(r, DnsFailure::Forbidden { .. })) {
        "every target is a private or local address, which is not probed without --allow-private"
            .into()
    } else if all(|r| matches!(r, DnsFailure::Other { .. })) {
        // The resolver's own words say what to fix ("refused the query").
        match failures.first() {
            Some(DnsFailure::Other { detail }) => format!("DNS lookups failed: {detail}"),
            _ => "DNS lookups failed".into(),
        }
    } else {
        format!("no target has an {family} address")
    }
}

/// Why this machine could not open the connections of a group, as a phrase
/// quoting the first OS error. Used for the port's sentence and the headline.
pub(super) fn local_cause(group: &[&ProbeResult]) -> String {
    let detail = group.iter().find_map(|p| match &p.outcome {
        Outcome::LocalError { detail } => Some(detail.as_str()),
        _ => None,
    });
    match detail {
        Some(detail) => format!("this machine could not open connections ({detail})"),
        None => "this machine could not open connections".into(),
    }
}

/// `one` or `many` ("it" or "they", "is" or "are"), to agree with the
/// hosts of `set` in a sentence about them.
fn agree<'a>(set: &BTreeSet<&str>, one: &'a str, many: &'a str) -> &'a str {
    if set.len() == 1 {
        one
    } else {
        many
    }
}

/// The first local-firewall error of a group, for the port's sentence.
fn local_firewall_detail(group: &[&ProbeResult]) -> String {
    group
        .iter()
        .find_map(|p| match &p.outcome {
            Outcome::LocalFirewall { detail } => Some(detail.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
