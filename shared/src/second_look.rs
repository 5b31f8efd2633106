//! Which silent connections deserve a second look before they count.
//!
//! On a lossy line a connection can be established and then hear nothing
//! (the handshake's last ACK lost while the client waits for the server to
//! speak first): measured in the simulated internet, 2 of 240 plain
//! connections on a line losing 10% of packets. One such silence from a
//! well-known host would read as a tarpit, that is as interception. So a
//! host that stayed silent on a port where another host greeted normally is
//! asked once more, on a fresh connection; a silence that comes back is
//! kept. Where every host is silent (a real tarpit on the path), nothing is
//! repeated: the check does not get longer where the answer is clear.
//!
//! The same holds for a time-out on a port that only one host was asked
//! about (port 26 has only the port tester by default): on a line that loses
//! one packet in ten, both SYNs of an adaptive connect are lost a few times
//! in a hundred, and one host alone must not make a port "dropped". When
//! that host is up (it connected on another port), it is asked once more;
//! the connect is short by then (the round trip is known).
//!
//! And where every host timed out on a port, on a line seen losing packets
//! over that family (some connect was answered only to its second SYN),
//! each host that is up is asked once more: 10% loss on both SYNs of two
//! hosts made port 2525 "dropped" in about one netsim run in thirty. On a
//! clean line nothing is repeated, so a real block costs no extra time.

use crate::family::Family;
use crate::outcome::Outcome;
use crate::probe::ProbeResult;

/// The indices of the probes to repeat: silent, on a port and family where
/// another host greeted, each host once.
pub fn silent_to_retry(probes: &[ProbeResult]) -> Vec<usize> {
    probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.outcome == Outcome::Silent)
        .filter(|(_, p)| {
            probes.iter().any(|o| {
                o.spec.port == p.spec.port
                    && o.spec.family == p.spec.family
                    && o.spec.host != p.spec.host
                    && matches!(o.outcome, Outcome::Banner(_))
            })
        })
        .map(|(i, _)| i)
        .collect()
}

/// The indices of the probes to repeat because they timed out on a port and
/// family that no other host was asked about.
pub fn lone_timeouts(probes: &[ProbeResult]) -> Vec<usize> {
    probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.outcome == Outcome::Filtered && p.spec.expected)
        .filter(|(_, p)| {
            !probes.iter().any(|o| {
                o.spec.port == p.spec.port
                    && o.spec.family == p.spec.family
                    && o.spec.host != p.spec.host
            })
        })
        // Only a host that is up (it connected on another port): where it
        // answers nothing at all, a second try tells nothing new.
        .filter(|(_, p)| up_elsewhere(probes, p))
        .map(|(i, _)| i)
        .collect()
}

/// The indices of the probes to repeat because every host timed out on
/// their port and family, over a family in `lossy` (the line was seen
/// losing packets there), from hosts that are up (they connected on
/// another port over the family).
pub fn timeouts_on_a_lossy_line(probes: &[ProbeResult], lossy: &[Family]) -> Vec<usize> {
    probes
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.outcome == Outcome::Filtered && p.spec.expected && lossy.contains(&p.spec.family)
        })
        .filter(|(_, p)| {
            // Every probe of the cell timed out: none connected, none was
            // refused or answered otherwise.
            probes
                .iter()
                .filter(|o| o.spec.port == p.spec.port && o.spec.family == p.spec.family)
                .all(|o| o.outcome == Outcome::Filtered)
        })
        .filter(|(_, p)| up_elsewhere(probes, p))
        .map(|(i, _)| i)
        .collect()
}

/// Whether `p`'s host connected on another port over `p`'s family.
fn up_elsewhere(probes: &[ProbeResult], p: &ProbeResult) -> bool {
    probes.iter().any(|o| {
        o.spec.host == p.spec.host
            && o.spec.family == p.spec.family
            && o.spec.port != p.spec.port
            && o.outcome.connected()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{EhloOutcome, Reply, SmtpExchange};
    use crate::{Family, Role};

    fn probe(host: &str, port: u16, outcome: Outcome) -> ProbeResult {
        crate::test_support::probe(host, Role::RecipientMx, port, Family::Ipv4, outcome)
    }

    fn banner() -> Outcome {
        Outcome::Banner(SmtpExchange {
            greeting: Reply {
                code: 220,
                lines: vec!["mx.example ESMTP".into()],
            },
            ehlo: EhloOutcome::NotSent,
            implicit_tls: false,
            tls: None,
            reflector: None,
        })
    }

    #[test]
    fn a_lone_silence_among_greetings_is_asked_again_a_tarpit_is_not() {
        let lone = vec![
            probe("a", 25, banner()),
            probe("b", 25, Outcome::Silent),
            probe("c", 587, Outcome::Silent),
        ];
        assert_eq!(silent_to_retry(&lone), vec![1]);
        let tarpit = vec![
            probe("a", 25, Outcome::Silent),
            probe("b", 25, Outcome::Silent),
        ];
        assert!(silent_to_retry(&tarpit).is_empty());
    }

    #[test]
    fn a_lone_host_timing_out_is_asked_again_one_among_others_is_not() {
        let probes = vec![
            probe("portquiz", 26, Outcome::Filtered),
            probe("portquiz", 587, Outcome::Silent),
            probe("a", 25, Outcome::Filtered),
            probe("b", 25, Outcome::Filtered),
            probe("down", 2525, Outcome::Filtered),
        ];
        assert_eq!(lone_timeouts(&probes), vec![0]);
    }

    /// Netsim scenario 24 (10% loss, default targets), one run in about
    /// thirty: both hosts of 2525 over IPv6 lost both SYNs. Asked again
    /// when the line was seen losing packets over the family; a port
    /// blocked on a clean line is not (no extra time), nor a cell where a
    /// host answered, nor a host that is down.
    #[test]
    fn every_host_timing_out_on_a_lossy_line_is_asked_again() {
        let six = |host: &str, port: u16, outcome: Outcome| {
            let mut p = probe(host, port, outcome);
            p.spec.family = Family::Ipv6;
            p
        };
        let probes = vec![
            six("portquiz", 2525, Outcome::Filtered),
            six("sendgrid", 2525, Outcome::Filtered),
            six("portquiz", 587, banner()),
            six("sendgrid", 587, banner()),
            // Port 25 over IPv4: one host refused, so not every host timed out.
            probe("a", 25, Outcome::Filtered),
            probe("b", 25, Outcome::Refused),
            probe("a", 587, banner()),
            // A host that answers nothing anywhere.
            six("down", 465, Outcome::Filtered),
        ];
        assert_eq!(
            timeouts_on_a_lossy_line(&probes, &[Family::Ipv6]),
            vec![0, 1]
        );
        assert!(
            timeouts_on_a_lossy_line(&probes, &[]).is_empty(),
            "a clean line"
        );
        assert!(timeouts_on_a_lossy_line(&probes, &[Family::Ipv4]).is_empty());
    }
}
