//! One probe or one reflector proof, from its resolution to its result:
//! the socket limits it waits for, and the next address it tries when the
//! first one fails.

use super::resolve::{dns_failed, resolved, ResolutionCell};
use crate::dns::Dns;
use crate::probe::connect::Pacer;
use crate::probe::{self, ProbeConfig};
use crate::runner::Env;
use mailport_shared::{Outcome, ProbeResult, ProbeSpec, Role, Timings};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// A genuine reflector signs the list of ports it listens on. On any other
/// port a refusal or a timeout from it says nothing about the network (it
/// does not listen there), so it is no longer expected to answer: the port is
/// judged by the other hosts, not called blocked.
pub(super) fn trust_reflector_ports(probes: &mut [ProbeResult]) {
    let listening: Vec<(String, Vec<u16>)> = probes
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Banner(ex) => ex
                .reflector
                .as_ref()
                .filter(|r| r.genuine() && !r.listening.is_empty())
                .map(|r| (p.spec.host.clone(), r.listening.clone())),
            _ => None,
        })
        .collect();
    for p in probes.iter_mut() {
        let elsewhere = listening
            .iter()
            .any(|(host, ports)| *host == p.spec.host && !ports.contains(&p.spec.port));
        if p.spec.role == Role::Reflector && elsewhere && !p.outcome.connected() {
            p.spec.expected = false;
        }
    }
}

/// Proves the reflector on one port and family: resolved and guarded like
/// any target, then the signed exchange of [`crate::reflect::prove`].
pub(super) async fn run_proof(
    spec: ProbeSpec,
    cell: ResolutionCell,
    dns: &Dns,
    env: &Env,
    config: &crate::reflect::ProveConfig,
    semaphore: &Semaphore,
) -> ProbeResult {
    let started = Instant::now();
    let resolution = resolved(&cell, dns, &spec.host, spec.family, env.allow_private).await;
    let address = match resolution.address {
        Ok(a) => a,
        Err(reason) => return dns_failed(spec, reason, resolution.dns_ms, started),
    };
    let _permit = semaphore.acquire().await.ok();
    let mut result =
        crate::reflect::prove(&spec.host, address, spec.port, env.dialer.as_ref(), config).await;
    result.spec = spec;
    result.timings.dns_ms = resolution.dns_ms;
    result.timings.total_ms = elapsed_ms(started);
    result
}

/// Whether a probe whose address failed with `outcome` tries the host's
/// next address before the port is judged: after a quick failure (a
/// refusal, a rejection), or after a timeout when the port connects
/// elsewhere (that address may be dead). Not when the port times out
/// everywhere: the next address would only double the wait of a block.
pub(super) fn try_next(outcome: &Outcome, port_passes: bool) -> bool {
    match outcome {
        Outcome::Refused | Outcome::Reset | Outcome::Unreachable { .. } => true,
        Outcome::Filtered => port_passes,
        _ => false,
    }
}

/// What the probes of one check share to run: the socket limits and the
/// round trips learned so far.
pub(super) struct Slots<'a> {
    pub(super) semaphore: &'a Semaphore,
    pub(super) sockets: &'a Sockets,
    pub(super) pacer: &'a dyn Pacer,
}

pub(super) async fn run_probe(
    spec: ProbeSpec,
    cell: ResolutionCell,
    dns: &Dns,
    env: &Env,
    config: &ProbeConfig,
    slots: Slots<'_>,
) -> ProbeResult {
    let Slots {
        semaphore,
        sockets,
        pacer,
    } = slots;
    let started = Instant::now();
    let resolution = resolved(&cell, dns, &spec.host, spec.family, env.allow_private).await;
    let address = match resolution.address {
        Ok(a) => a,
        Err(reason) => return dns_failed(spec, reason, resolution.dns_ms, started),
    };
    // The permit bounds sockets, not DNS: a closed semaphore cannot happen
    // here (it is never closed), but a probe without one still runs.
    let _permit = semaphore.acquire().await.ok();
    let mut tried = resolution.addresses.iter().copied().skip(1);
    let mut address = address;
    let measured = loop {
        let measured = sockets
            .measure(|| probe::probe(&spec, address, env.dialer.as_ref(), &env.tls, config, pacer))
            .await;
        match tried.next() {
            Some(next) if try_next(&measured.outcome, pacer.passes(&spec)) => address = next,
            _ => break measured,
        }
    };
    ProbeResult {
        spec,
        address: Some(address),
        outcome: measured.outcome,
        timings: Timings {
            dns_ms: resolution.dns_ms,
            connect_ms: measured.connect_ms,
            greeting_ms: measured.greeting_ms,
            total_ms: elapsed_ms(started),
        },
    }
}

/// The probes holding a socket. A probe this machine could not open a
/// socket for (out of file descriptors under a low `ulimit -n`, out of
/// buffers) waits for one of them to finish and tries again: the check gets
/// slower rather than reporting a shortage of this machine as a result.
#[derive(Default)]
pub(super) struct Sockets {
    in_flight: AtomicUsize,
    /// Notified when a probe that held a socket finishes.
    freed: Notify,
}

impl Sockets {
    /// Runs `attempt` until it is not an [`Outcome::LocalError`], or until
    /// it fails with no other probe holding a socket whose end could make
    /// room.
    async fn measure<F, Fut>(&self, mut attempt: F) -> probe::Measured
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = probe::Measured>,
    {
        loop {
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let measured = attempt().await;
            let others = self.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
            let short = matches!(measured.outcome, Outcome::LocalError { .. });
            // Waiters are woken when a socket was freed, or when nobody
            // holds one any more (they try once more, and give up if they
            // find nobody again). Not on every failure: they would wake
            // each other in a loop.
            if !short || others == 0 {
                self.freed.notify_waiters();
                return measured;
            }
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before looking again, so a probe finishing in
            // between is not missed.
            freed.as_mut().enable();
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                freed.await;
            }
        }
    }
}

pub(super) fn elapsed_ms(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `free` sockets shared by `probes` probes that each hold one for a
    /// while: what comes out of [`Sockets::measure`].
    async fn share_sockets(free: usize, probes: usize) -> Vec<Outcome> {
        let pool = std::sync::Arc::new(AtomicUsize::new(free));
        let sockets = Sockets::default();
        let attempt = || {
            let pool = pool.clone();
            async move {
                // Attempts overlap, as real connects do.
                tokio::task::yield_now().await;
                let took =
                    pool.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                let outcome = if took.is_ok() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    pool.fetch_add(1, Ordering::SeqCst);
                    Outcome::Refused
                } else {
                    Outcome::LocalError {
                        detail: "Too many open files (os error 24)".into(),
                    }
                };
                probe::Measured {
                    outcome,
                    connect_ms: None,
                    greeting_ms: None,
                }
            }
        };
        let runs = (0..probes).map(|_| sockets.measure(attempt));
        let measured =
            tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(runs))
                .await
                .expect("no probe may wait forever");
        measured.into_iter().map(|m| m.outcome).collect()
    }

    #[tokio::test]
    async fn probes_short_of_sockets_wait_for_one_rather_than_fail() {
        // Two sockets for twelve probes: every probe gets its turn.
        let got = share_sockets(2, 12).await;
        assert!(got.iter().all(|o| *o == Outcome::Refused), "{got:?}");
        // None at all: each says so at once instead of waiting.
        let got = share_sockets(0, 3).await;
        assert!(
            got.iter().all(|o| matches!(o, Outcome::LocalError { .. })),
            "{got:?}"
        );
    }
}
