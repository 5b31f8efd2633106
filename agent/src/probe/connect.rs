//! The TCP connect of a mail probe, timed from the measured round trip
//! ([`mailport_shared::timing`]): a second SYN (a parallel connect) when
//! the first one is late, and the verdict "timed out" as soon as the round
//! trip says it, never later than the connect timeout.
//!
//! What the round trips are is the runner's business, behind [`Pacer`]: it
//! learns them from control probes and from every answered connect, and it
//! says when something changed, so a connect waiting on the connect timeout
//! (nothing known yet) shortens its wait the moment a first answer arrives.

use crate::probe::dial::Dialer;
use mailport_shared::timing::ConnectPlan;
use mailport_shared::ProbeSpec;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::futures::Notified;
use tokio::time::Instant;

/// What the runner knows about round trips, shared by the probes of one
/// check.
pub trait Pacer: Send + Sync {
    /// The plan for a connect of `spec` to `addr`, from what is known now.
    fn plan(&self, spec: &ProbeSpec, addr: SocketAddr) -> ConnectPlan;
    /// Completes when what is known changed (a round trip was measured, a
    /// port connected somewhere): plans are then asked for again.
    fn changed(&self) -> Notified<'_>;
    /// A connect of `spec` to `addr` was answered (SYN-ACK or RST) after
    /// `rtt`; `answer` says which, and whether it came to the second SYN.
    fn answered(&self, spec: &ProbeSpec, addr: SocketAddr, rtt: Duration, answer: Answer);
    /// Whether some connect on `spec`'s port and family was established.
    fn passes(&self, spec: &ProbeSpec) -> bool;
}

/// A pacer that knows nothing: every connect waits for the connect timeout,
/// as a probe made alone does.
#[derive(Default)]
pub struct FixedPacer {
    never: tokio::sync::Notify,
}

impl Pacer for FixedPacer {
    fn plan(&self, _: &ProbeSpec, _: SocketAddr) -> ConnectPlan {
        ConnectPlan {
            resend_at: None,
            give_up_at: Duration::MAX,
        }
    }
    fn changed(&self) -> Notified<'_> {
        self.never.notified()
    }
    fn answered(&self, _: &ProbeSpec, _: SocketAddr, _: Duration, _: Answer) {}
    fn passes(&self, _: &ProbeSpec) -> bool {
        false
    }
}

/// What answered a connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// A SYN-ACK (not a RST).
    pub connected: bool,
    /// To the second SYN: the first, or its answer, was lost or late.
    pub resent: bool,
}

/// How a connect ended.
#[derive(Debug)]
pub enum Connected {
    /// Established.
    Stream(TcpStream),
    /// The OS said why not.
    Failed(io::Error),
    /// No answer in time.
    TimedOut,
}

/// Connects to `target` for `spec` with at most two SYNs in flight, judged
/// by `pacer`'s plan and never later than `upper` after the start.
pub async fn connect(
    dialer: &dyn Dialer,
    target: SocketAddr,
    spec: &ProbeSpec,
    pacer: &dyn Pacer,
    upper: Duration,
) -> Connected {
    let start = Instant::now();
    let mut first = dialer.connect(target);
    let mut second = None;
    let mut second_start = start;
    loop {
        let changed = pacer.changed();
        tokio::pin!(changed);
        // Registered before the plan is read, so a change in between is
        // not missed.
        changed.as_mut().enable();
        let plan = pacer.plan(spec, target);
        let give_up = start + plan.give_up_at.min(upper);
        let resend = plan
            .resend_at
            .filter(|_| second.is_none())
            .map(|at| start + at);
        if Instant::now() >= give_up {
            return Connected::TimedOut;
        }
        if resend.is_some_and(|at| Instant::now() >= at) {
            second = Some(dialer.connect(target));
            second_start = Instant::now();
            continue;
        }
        let wake = resend.map_or(give_up, |at| at.min(give_up));
        let second_done = async {
            match second.as_mut() {
                Some(f) => f.await,
                None => std::future::pending().await,
            }
        };
        let (result, since, resent) = tokio::select! {
            r = &mut first => (r, start, false),
            r = second_done => (r, second_start, true),
            _ = tokio::time::sleep_until(wake) => continue,
            _ = &mut changed => continue,
        };
        let rtt = since.elapsed();
        return match result {
            Ok(stream) => {
                let answer = Answer {
                    connected: true,
                    resent,
                };
                pacer.answered(spec, target, rtt, answer);
                Connected::Stream(stream)
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::ConnectionRefused {
                    let answer = Answer {
                        connected: false,
                        resent,
                    };
                    pacer.answered(spec, target, rtt, answer);
                }
                Connected::Failed(e)
            }
        };
    }
}
