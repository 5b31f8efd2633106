//! What one check learns about round trips while it runs, and the control
//! probes that teach it first.
//!
//! [`Timing`] is the [`Pacer`] of a check: every answered connect (a control
//! probe's, a mail probe's; a RST as well as a SYN-ACK) feeds the round-trip
//! estimator of its address and of its family, and every established
//! connection marks its port and family as passing. Probes still waiting
//! are woken to re-plan ([`mailport_shared::timing::connect_plan`]).

use crate::probe::connect::{Answer, Pacer};
use crate::probe::dial::Dialer;
use crate::probe::tcp;
use mailport_shared::control::{ControlOutcome, ControlProbe};
use mailport_shared::timing::{connect_plan, ConnectPlan, RttEstimator};
use mailport_shared::{Family, Outcome, ProbeSpec};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Round trips and passing ports of one check.
pub struct Timing {
    upper: Duration,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Default)]
struct State {
    hosts: HashMap<IpAddr, RttEstimator>,
    families: HashMap<Family, RttEstimator>,
    passing: HashSet<(u16, Family)>,
    /// Families over which a connect was answered only to its second SYN.
    lossy: HashSet<Family>,
}

impl Timing {
    /// Nothing known yet; `upper` is the user's connect timeout.
    pub fn new(upper: Duration) -> Self {
        Timing {
            upper,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    /// Records a round trip to `addr`.
    pub fn observe(&self, addr: IpAddr, rtt: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.hosts.entry(addr).or_default().observe(rtt);
            s.families
                .entry(Family::of(&addr))
                .or_default()
                .observe(rtt);
        }
        self.changed.notify_waiters();
    }

    /// The families over which the line was seen losing (or badly
    /// delaying) packets: some connect was answered only to its second
    /// SYN. On a clean line this stays empty.
    pub fn loss_seen(&self) -> Vec<Family> {
        let mut v: Vec<Family> = self
            .state
            .lock()
            .map(|s| s.lossy.iter().copied().collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Pacer for Timing {
    fn plan(&self, spec: &ProbeSpec, addr: SocketAddr) -> ConnectPlan {
        let none = RttEstimator::new();
        match self.state.lock() {
            Ok(s) => connect_plan(
                s.hosts.get(&addr.ip()).unwrap_or(&none),
                s.families.get(&spec.family).unwrap_or(&none),
                s.passing.contains(&(spec.port, spec.family)),
                self.upper,
            ),
            Err(_) => connect_plan(&none, &none, false, self.upper),
        }
    }

    fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    fn answered(&self, spec: &ProbeSpec, addr: SocketAddr, rtt: Duration, answer: Answer) {
        if let Ok(mut s) = self.state.lock() {
            if answer.connected {
                s.passing.insert((spec.port, spec.family));
            }
            if answer.resent {
                s.lossy.insert(spec.family);
            }
        }
        self.observe(addr.ip(), rtt);
    }

    fn passes(&self, spec: &ProbeSpec) -> bool {
        self.state
            .lock()
            .is_ok_and(|s| s.passing.contains(&(spec.port, spec.family)))
    }
}

/// One control probe: a TCP connect to `port` of `addr`, standing for
/// `host`, with at most `timing`'s connect timeout. An answer feeds
/// `timing`.
pub async fn control(
    host: String,
    addr: IpAddr,
    port: u16,
    dialer: &dyn Dialer,
    timing: &Timing,
) -> ControlProbe {
    let start = Instant::now();
    let target = SocketAddr::new(addr, port);
    let result = tokio::time::timeout(timing.upper, dialer.connect(target)).await;
    let rtt = start.elapsed();
    let outcome = match result {
        Err(_) => ControlOutcome::TimedOut,
        // Closed at once: only the handshake is wanted.
        Ok(Ok(_stream)) => ControlOutcome::Accepted,
        Ok(Err(e)) => match tcp::classify_connect_error_to(&e, addr) {
            Outcome::Refused | Outcome::Reset => ControlOutcome::Refused,
            Outcome::Filtered => ControlOutcome::TimedOut,
            Outcome::NoRoute { detail } => ControlOutcome::NoRoute { detail },
            Outcome::LocalError { detail } | Outcome::LocalFirewall { detail } => {
                ControlOutcome::Local { detail }
            }
            Outcome::Unreachable { detail } => ControlOutcome::Unreachable { detail },
            other => ControlOutcome::Unreachable {
                detail: other.label().to_string(),
            },
        },
    };
    let answered = outcome.answered();
    if answered {
        timing.observe(addr, rtt);
    }
    ControlProbe {
        host,
        family: Family::of(&addr),
        address: Some(addr),
        port,
        outcome,
        rtt_ms: answered.then(|| u32::try_from(rtt.as_millis()).unwrap_or(u32::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::Role;

    fn spec(port: u16) -> ProbeSpec {
        ProbeSpec {
            host: "mx.example".into(),
            role: Role::RecipientMx,
            port,
            family: Family::Ipv4,
            expected: true,
        }
    }

    #[test]
    fn plans_follow_what_was_learned() {
        let t = Timing::new(Duration::from_secs(4));
        let a: SocketAddr = "192.0.2.1:25".parse().expect("addr");
        let b: SocketAddr = "192.0.2.2:25".parse().expect("addr");
        assert_eq!(t.plan(&spec(25), a).give_up_at, Duration::from_secs(4));
        // Another host of the family answered: judged early.
        t.observe(b.ip(), Duration::from_millis(5));
        assert_eq!(t.plan(&spec(25), a).give_up_at, Duration::from_millis(600));
        // Port 25 connected somewhere: a lost SYN is never a block.
        let first_syn = Answer {
            connected: true,
            resent: false,
        };
        t.answered(&spec(25), b, Duration::from_millis(5), first_syn);
        assert_eq!(t.plan(&spec(25), a).give_up_at, Duration::from_secs(4));
        assert_eq!(t.plan(&spec(587), a).give_up_at, Duration::from_millis(600));
        assert!(t.loss_seen().is_empty(), "answered to the first SYN");
        // Answered only to the second SYN: loss seen over IPv4.
        let second_syn = Answer {
            connected: false,
            resent: true,
        };
        t.answered(&spec(587), b, Duration::from_millis(5), second_syn);
        assert_eq!(t.loss_seen(), vec![Family::Ipv4]);
    }
}
