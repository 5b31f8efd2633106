//! From probes to a verdict per port and family.
//!
//! The rules, in order (see `decide.rs`):
//! 1. Only probes that reached the network count: a name that did not
//!    resolve says nothing about the path, and neither does a connection this
//!    machine could not even open (`LocalError`).
//! 2. No route for the family is "not testable", never "blocked". But when
//!    the same family connects elsewhere, "network unreachable" came from a
//!    router that said no: a rejection.
//! 3. Interception findings that hold (strong evidence, see
//!    [`crate::interception`]) make the port "intercepted?".
//! 4. A clean SMTP greeting means open. "Restricted" needs convincing
//!    failures towards hosts known to listen; one host that did not answer
//!    may be down, and is named as such.
//! 5. A refusal or a reset counts only from a host known to listen on the
//!    port; a block, or interception from odd answers (silence, not SMTP), is
//!    declared only when independent hosts agree, the same host is up on
//!    another port, or the host listens by design (reflector, port tester).
//!    A plain refusal from a host that is up elsewhere counts only when the
//!    host is a well-known one: a server that answers on 587 may simply not
//!    offer 465. Otherwise the port is "not testable" against these hosts.
//!
//! ## Layout: deciding apart from wording
//!
//! - `verdict`: the types ([`Verdict`], [`PortVerdict`], ...).
//! - `signal`: what one probe says about the path, before weighing.
//! - `group`: `GroupFacts`, everything known about one port and family,
//!   derived once.
//! - `decide`: which rule holds for a group, read from its facts.
//! - `why`: the sentence for that decision; `headline`: the sentence for
//!   the whole check.

mod decide;
mod group;
mod headline;
mod signal;
mod verdict;
mod why;

pub use headline::headline;
pub use verdict::{NotTestableReason, PortVerdict, Verdict};

use crate::control::ControlProbe;
use crate::family::Family;
use crate::interception::{self, Evidence};
use crate::probe::ProbeResult;
use group::GroupFacts;

/// The probes of a port and family, grouped: ports in the order of
/// [`crate::MAIL_PORTS`] (others after, by number), IPv4 before IPv6.
fn groups(probes: &[ProbeResult]) -> Vec<(u16, Family, Vec<&ProbeResult>)> {
    let mut keys: Vec<(u16, Family)> = Vec::new();
    for p in probes {
        let k = (p.spec.port, p.spec.family);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    crate::small_sort::sort_by_key(&mut keys, |(port, fam)| {
        (
            crate::MAIL_PORTS
                .iter()
                .position(|p| p == port)
                .unwrap_or(usize::MAX),
            *port,
            *fam,
        )
    });
    keys.into_iter()
        .map(|(port, family)| {
            let group = probes
                .iter()
                .filter(|p| p.spec.port == port && p.spec.family == family)
                .collect();
            (port, family, group)
        })
        .collect()
}

/// Classifies every (port, family) seen in `probes`, ports in the order of
/// [`crate::MAIL_PORTS`] (others after, by number), IPv4 before IPv6.
pub fn classify(probes: &[ProbeResult]) -> Vec<PortVerdict> {
    classify_with(probes, &[])
}

/// [`classify`], with what the control probes said (see
/// [`crate::control`]): a host that answers its control probe is up, a
/// family whose control probes answer is routed, and one where nothing
/// answers at all, not even the control port, has a broken route.
pub fn classify_with(probes: &[ProbeResult], controls: &[ControlProbe]) -> Vec<PortVerdict> {
    let evidence = interception::detect(probes);
    groups(probes)
        .into_iter()
        .map(|(port, family, group)| {
            let ev: Vec<Evidence> = evidence
                .iter()
                .filter(|e| e.port == port && e.family == family)
                .cloned()
                .collect();
            classify_group(port, family, &group, probes, controls, ev)
        })
        .collect()
}

/// One group's verdict: its facts decided, then worded.
fn classify_group(
    port: u16,
    family: Family,
    group: &[&ProbeResult],
    all: &[ProbeResult],
    controls: &[ControlProbe],
    evidence: Vec<Evidence>,
) -> PortVerdict {
    let facts = GroupFacts::new(port, family, group, all, controls, &evidence);
    let decision = decide::decide(&facts);
    PortVerdict {
        port,
        family,
        verdict: decision.verdict(),
        why: why::word(decision, &facts),
        reached: facts.reached.iter().map(|h| h.to_string()).collect(),
        relays: facts.relays.iter().map(|h| h.to_string()).collect(),
        evidence: facts.shown.clone(),
    }
}
