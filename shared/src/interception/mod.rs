//! Evidence that something between the user and the target answers in the
//! target's place (a transparent SMTP proxy, a PIX/ASA "fixup", a tarpit).
//!
//! Interception looks like success to nc and nmap: the port is "open". These
//! heuristics look at what answered. Each finding carries the evidence in
//! words, so the user can judge it.
//!
//! A finding about one host says little about the network: one server masks
//! its greeting behind its own firewall, presents a certificate for its
//! hosting company, offers STARTTLS only on 587 or pauses before greeting on
//! 25 to deter spam. So each finding is weighed against the others
//! ([`Evidence::strong`]): it accuses the port only when independent hosts
//! show it, when it comes from a well-known default target whose habits are
//! known, or when the reflector proved the port intercepted. Otherwise it is
//! a note about that host.
//!
//! ## Layout: deciding apart from wording
//!
//! - `evidence`: the types ([`EvidenceKind`], [`Evidence`]).
//! - `findings`: the heuristics, each finding as data with its weight on
//!   its own.
//! - `operators`: which probes reached the same operator.
//! - `words`: each finding in words, as a note or an accusation.
//! - here, [`detect`]: weighing the findings against each other.

mod evidence;
mod findings;
mod operators;
mod words;

pub use evidence::{Evidence, EvidenceKind};
pub(crate) use operators::independent_hosts;

use crate::family::Family;
use crate::probe::ProbeResult;
use crate::target::default_target;
use findings::{findings, Basis};

/// Runs every heuristic over the probes of one check, and weighs each
/// finding against the others (see the module documentation).
pub fn detect(probes: &[ProbeResult]) -> Vec<Evidence> {
    let found = findings(probes);
    let proved: Vec<(u16, Family)> = found
        .iter()
        .filter(|f| f.basis == Basis::Proof)
        .map(|f| (f.probe.spec.port, f.probe.spec.family))
        .collect();
    let weighed: Vec<(bool, bool)> = found
        .iter()
        .map(|f| {
            let spec = &f.probe.spec;
            let known = default_target(&spec.host).is_some();
            let backed = proved.contains(&(spec.port, spec.family));
            let strong = match f.basis {
                Basis::Note => false,
                Basis::Alone | Basis::Proof => true,
                Basis::KnownTarget => known || backed,
                Basis::Corroborated => {
                    known || backed || {
                        let alike: Vec<&ProbeResult> = found
                            .iter()
                            .filter(|o| {
                                o.seen.kind() == f.seen.kind()
                                    && o.probe.spec.port == spec.port
                                    && o.probe.spec.family == spec.family
                            })
                            .map(|o| o.probe)
                            .collect();
                        independent_hosts(&alike) >= 2
                    }
                }
            };
            (strong, f.basis == Basis::Proof)
        })
        .collect();
    found
        .into_iter()
        .zip(weighed)
        .map(|(f, (strong, proof))| {
            let kind = f.seen.kind();
            Evidence {
                kind,
                port: f.probe.spec.port,
                family: f.probe.spec.family,
                host: f.probe.spec.host.clone(),
                detail: words::detail(&f.seen, f.probe, strong, kind.about_the_answer()),
                strong,
                proof,
            }
        })
        .collect()
}
