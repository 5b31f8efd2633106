//! How long to wait for a SYN-ACK: adaptive, from the measured round trip,
//! the way nmap does, and sturdier than it.
//!
//! Before any round trip is known, a connect waits up to the connect timeout
//! (a dead host and a dropped SYN look the same, and there is nothing to
//! compare with). Once this host, or any host of the family, has answered
//! (a control probe, a mail port, a RST as well as a SYN-ACK), a SYN without
//! an answer is judged after a time derived from the round trip:
//!
//! - the retransmission timeout `rto = max(srtt + 4·rttvar, floor)`
//!   (RFC 6298's estimator, nmap's idea);
//! - a second SYN (a parallel connect) at `rto`, so that one lost packet is
//!   not a block;
//! - the verdict "timed out" at `2·rto`, when the second SYN has had a whole
//!   `rto` to come back;
//! - never later than the user's connect timeout, the upper bound.
//!
//! On a bad line (random loss) a connection to another host on the same port
//! and family proves the port passes: a probe that has not answered then
//! waits for the whole connect timeout instead of being judged early, so a
//! lost SYN can never turn into "restricted". Pure: the clock is the
//! caller's.

use std::time::Duration;

/// The least `rto`: below it, scheduling jitter and a delayed SYN-ACK on a
/// busy path would read as drops.
pub const RTO_FLOOR: Duration = Duration::from_millis(300);

/// RFC 6298 smoothed round trip and variation, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RttEstimator {
    srtt_us: u64,
    rttvar_us: u64,
    samples: u32,
}

impl RttEstimator {
    /// An estimator with no sample.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one measured round trip.
    pub fn observe(&mut self, rtt: Duration) {
        let r = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX / 8);
        if self.samples == 0 {
            self.srtt_us = r;
            self.rttvar_us = r / 2;
        } else {
            // rttvar = 3/4 rttvar + 1/4 |srtt - r|; srtt = 7/8 srtt + 1/8 r.
            let diff = self.srtt_us.abs_diff(r);
            self.rttvar_us = (3 * self.rttvar_us + diff) / 4;
            self.srtt_us = (7 * self.srtt_us + r) / 8;
        }
        self.samples = self.samples.saturating_add(1);
    }

    /// How many round trips were measured.
    pub fn samples(&self) -> u32 {
        self.samples
    }

    /// The smoothed round trip, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        (self.samples > 0).then(|| Duration::from_micros(self.srtt_us))
    }

    /// `max(srtt + 4·rttvar, RTO_FLOOR)`, once a round trip is known.
    pub fn rto(&self) -> Option<Duration> {
        (self.samples > 0).then(|| {
            Duration::from_micros(
                self.srtt_us
                    .saturating_add(self.rttvar_us.saturating_mul(4)),
            )
            .max(RTO_FLOOR)
        })
    }
}

/// When a connect that has not been answered sends its second SYN and when
/// it is judged "timed out", both counted from its first SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectPlan {
    /// Start a second, parallel connect at this time (none: rely on the
    /// kernel's own retransmissions).
    pub resend_at: Option<Duration>,
    /// Judge "timed out" at this time.
    pub give_up_at: Duration,
}

/// The plan for one connect, from what is known now.
///
/// - `host`: round trips measured to this host; `family`: to any host of
///   its family (used when the host has none).
/// - `port_passes`: another host already connected on this port and family.
/// - `upper`: the user's connect timeout.
pub fn connect_plan(
    host: &RttEstimator,
    family: &RttEstimator,
    port_passes: bool,
    upper: Duration,
) -> ConnectPlan {
    let rto = host.rto().or_else(|| family.rto());
    match rto {
        None => ConnectPlan {
            resend_at: None,
            give_up_at: upper,
        },
        Some(rto) => {
            let resend = rto.min(upper);
            ConnectPlan {
                resend_at: (resend < upper).then_some(resend),
                give_up_at: if port_passes {
                    upper
                } else {
                    (rto * 2).min(upper)
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn est(samples: &[u64]) -> RttEstimator {
        let mut e = RttEstimator::new();
        for s in samples {
            e.observe(ms(*s));
        }
        e
    }

    #[test]
    fn estimator_follows_rfc_6298() {
        // (samples, srtt ms, rto ms)
        let rows: &[(&[u64], Option<u64>, Option<u64>)] = &[
            (&[], None, None),
            // One sample: rttvar = r/2, rto = 3r, floored.
            (&[1], Some(1), Some(300)),
            (&[40], Some(40), Some(300)),
            (&[200], Some(200), Some(600)),
            // Satellite: 600 ms round trips.
            (&[600], Some(600), Some(1800)),
            (&[600, 600, 600, 600], Some(600), Some(1106)),
            // Steady fast line: the floor.
            (&[20, 22, 21, 20, 19], Some(20), Some(300)),
        ];
        for (samples, srtt, rto) in rows {
            let e = est(samples);
            assert_eq!(e.srtt().map(|d| d.as_millis() as u64), *srtt, "{samples:?}");
            assert_eq!(e.rto().map(|d| d.as_millis() as u64), *rto, "{samples:?}");
            assert_eq!(e.samples() as usize, samples.len());
        }
    }

    #[test]
    #[allow(clippy::type_complexity)] // table rows are tuples on purpose
    fn plans() {
        let none = RttEstimator::new();
        let fast = est(&[2]);
        let sat = est(&[600]);
        let up = ms(4000);
        // (host, family, port passes, upper, resend, give up)
        let rows: Vec<(
            &RttEstimator,
            &RttEstimator,
            bool,
            Duration,
            Option<u64>,
            u64,
        )> = vec![
            // Nothing known: the whole connect timeout, the kernel resends.
            (&none, &none, false, up, None, 4000),
            // The family answered fast: judged after 2·floor.
            (&none, &fast, false, up, Some(300), 600),
            // The host's own round trip wins over the family's.
            (&sat, &fast, false, up, Some(1800), 3600),
            // Another host connected on this port: never judged early.
            (&none, &fast, true, up, Some(300), 4000),
            // The user's timeout is the upper bound.
            (&none, &fast, false, ms(500), Some(300), 500),
            (&none, &sat, false, ms(1000), None, 1000),
        ];
        for (host, family, passes, upper, resend, give_up) in rows {
            let plan = connect_plan(host, family, passes, upper);
            assert_eq!(
                plan,
                ConnectPlan {
                    resend_at: resend.map(ms),
                    give_up_at: ms(give_up),
                },
                "{host:?} {family:?} {passes} {upper:?}"
            );
        }
    }
}
