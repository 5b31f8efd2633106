//! What one probe says about the path, before any weighing: the first step
//! of judging a group, apart so that its one big match reads on its own.

use crate::interception::Evidence;
use crate::outcome::Outcome;
use crate::probe::ProbeResult;
use crate::target::Role;

/// What one probe says about the path, before weighing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Signal {
    /// A clean answer from the intended host.
    Reached,
    /// Connected to a host known to listen, but what answered is odd
    /// (silence, not SMTP, TLS failure, or a greeting with strong
    /// interception evidence).
    Odd,
    /// Timed out towards a host known to listen.
    Dropped,
    /// Rejected: RST (before or after connect) from a host known to listen,
    /// an ICMP rejection, or "network unreachable" on a family that connects
    /// elsewhere.
    Rejected,
    /// Says nothing (a host not known to listen refused, timed out or
    /// answered oddly).
    Unknown,
    /// No route for the family.
    NoRoute,
    /// Did not resolve.
    NoAddress,
    /// This machine could not open the connection.
    Local,
    /// A firewall on this machine refused the connection.
    LocalFirewall,
}

/// `family_connects`: some probe of the same family established a
/// connection, or a control probe of the family was answered, so the family
/// has a route. `host_up`: this host answered its control probe.
pub(super) fn signal(
    p: &ProbeResult,
    evidence: &[Evidence],
    family_connects: bool,
    host_up: bool,
) -> Signal {
    let suspicious = evidence.iter().any(|e| {
        e.strong && e.host == p.spec.host && e.port == p.spec.port && e.family == p.spec.family
    });
    let expected = p.spec.expected;
    match &p.outcome {
        // A reflector that said it is busy was not tested: the port is
        // judged by the other hosts.
        Outcome::Banner(ex)
            if ex
                .reflector
                .as_ref()
                .is_some_and(|r| r.status == crate::reflector::ProofStatus::Busy) =>
        {
            Signal::Unknown
        }
        Outcome::Banner(_) if suspicious => Signal::Odd,
        Outcome::Banner(_) => Signal::Reached,
        // A port tester answers whatever it likes: a connection is the proof.
        Outcome::PortTester { .. } => Signal::Reached,
        o if p.spec.role == Role::PortEcho && o.connected() => Signal::Reached,
        Outcome::NotSmtp { .. }
        | Outcome::Silent
        | Outcome::ClosedEarly
        | Outcome::TlsFailed { .. } => {
            if expected {
                Signal::Odd
            } else {
                Signal::Unknown
            }
        }
        Outcome::Reset | Outcome::Refused if expected => Signal::Rejected,
        Outcome::Unreachable { .. } => Signal::Rejected,
        Outcome::Filtered if expected => Signal::Dropped,
        // A host the user named that answers its control probe but lets a
        // mail port time out is behind a filter: nothing listening would
        // have sent a RST. Not the user's own mail host found from
        // --domain: many drop the ports they do not serve, and it is probed
        // beside well-known hosts that judge the port.
        Outcome::Filtered if host_up && p.spec.role == Role::Custom => Signal::Dropped,
        Outcome::Reset | Outcome::Refused | Outcome::Filtered => Signal::Unknown,
        // Linux reports an ICMP net-unreachable from a router as ENETUNREACH,
        // the same error as having no route at all.
        Outcome::NoRoute { .. } if family_connects => Signal::Rejected,
        Outcome::NoRoute { .. } => Signal::NoRoute,
        Outcome::DnsFailed { .. } => Signal::NoAddress,
        // The probe never left this machine.
        Outcome::LocalError { .. } => Signal::Local,
        Outcome::LocalFirewall { .. } => Signal::LocalFirewall,
    }
}
