//! Runs one check: validate, plan, resolve, probe concurrently, judge.
//!
//! [`run`] is the single entry point shared by the terminal mode and the
//! HTTP API. Results stream as [`CheckEvent`]s while probes finish, so a page
//! can fill its grid live; the returned [`Report`] is the same data at rest.
//! All probes run inside the `run` future itself (no spawned tasks), so
//! dropping that future cancels every probe and closes every socket.
//!
//! - `plan`: which probes the options give, and why a target gives none;
//! - `resolve`: one lookup per host and family, guarded;
//! - `one`: one probe or proof, its socket slot and its next address.

mod one;
mod plan;
mod resolve;

pub use plan::{check_plan, NothingToProbe, Unplanned};

use crate::dns::Dns;
use crate::pacing::{self, Timing};
use crate::probe::ProbeConfig;
use futures::future::Either;
use futures::stream::{FuturesUnordered, StreamExt};
use mailport_shared::advice::Context;
use mailport_shared::control::{ControlOutcome, ControlProbe};
use mailport_shared::report::Conclusion;
use mailport_shared::validate::InputError;
use mailport_shared::{CheckEvent, CheckOptions, Family, ProbeResult, ProbeSpec, Report, Role};
use one::{run_probe, run_proof, trust_reflector_ports, Slots, Sockets};
use plan::{domain_targets, plan_targets, push_new, reflector_target};
use resolve::{add_cells, resolve, resolved, Cells};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

pub use crate::env::{Env, EnvBuilder, EnvError, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The options are invalid; the message is for the user as is.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The options are valid, but leave nothing to probe.
    #[error(transparent)]
    NothingToProbe(#[from] NothingToProbe),
}

impl RunError {
    /// A stable snake_case code, as in [`CheckEvent::Failed`] and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Input(_) => "invalid_options",
            RunError::NothingToProbe(_) => "nothing_to_probe",
        }
    }
}

/// Runs one check: validates options, resolves, probes concurrently, sends
/// [`CheckEvent`]s on `events` as they happen (`Started`, one `Probe` per
/// probe in the order they finish, `Concluded`, `Done`; or `Failed`), and
/// returns the [`Report`].
///
/// A closed `events` receiver does not stop the check. Dropping the future
/// cancels every probe.
pub async fn run(
    options: CheckOptions,
    env: &Env,
    events: mpsc::Sender<CheckEvent>,
) -> Result<Report, RunError> {
    let started_at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let t0 = Instant::now();
    // The reflector's key is checked with the options: the shared rules
    // check its form, the curve check needs the agent's crypto.
    let checked = options.validated().and_then(|o| {
        let key = o
            .reflector
            .as_ref()
            .map(crate::reflect::spec_key)
            .transpose()?;
        Ok((o, key))
    });
    let (options, reflector_key) = match checked {
        Ok((o, key)) => match check_plan(&o) {
            Ok(()) => (o, key),
            Err(e) => return Err(failed(e.into(), &events).await),
        },
        Err(e) => return Err(failed(e.into(), &events).await),
    };
    // The network facts are learned while the probes run, within their own
    // budget; they never delay the probes nor hide them when they fail.
    let learning = async {
        let mut cfg = env.netinfo.clone()?;
        // A family the check leaves out is not looked up either.
        if !options.families.ipv4 {
            cfg.myip_v4.clear();
        }
        if !options.families.ipv6 {
            cfg.myip_v6.clear();
        }
        Some(crate::netinfo::gather(&cfg).await)
    };
    let (probes, network) =
        tokio::join!(probe_all(&options, reflector_key, env, &events), learning);
    let (mut probes, controls) = match probes {
        Ok(p) => p,
        Err(e) => return Err(failed(e.into(), &events).await),
    };
    // Whether the reflector saw this network's public address is known only
    // now that both are done.
    crate::reflect::compare_with_public(&mut probes, network.as_ref());

    // Inbound is asked after outbound: the call-back must not meet the
    // probes, and it needs the public address the facts found.
    let inbound = match (&options.reflector, reflector_key) {
        (Some(spec), Some(key)) if options.inbound => {
            Some(run_inbound(&options, &spec.host, key, env, network.as_ref()).await)
        }
        _ => None,
    };
    let ctx = Context::from_network(network.clone());
    let conclusion = Conclusion::from_check(&probes, &controls, &ctx);
    let _ = events
        .send(CheckEvent::Concluded {
            conclusion: conclusion.clone(),
        })
        .await;
    let report = Report {
        schema_version: mailport_shared::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at_ms,
        duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
        options,
        probes,
        verdicts: conclusion.verdicts,
        headline: conclusion.headline,
        advice: conclusion.advice,
        network,
        controls,
        inbound,
    };
    let _ = events
        .send(CheckEvent::Done {
            report: Box::new(report.clone()),
        })
        .await;
    Ok(report)
}

/// The inbound check (`--inbound`): the reflector, resolved and guarded like
/// any target, calls this network back on port 25, on each family.
async fn run_inbound(
    options: &CheckOptions,
    reflector: &str,
    key: ed25519_dalek::VerifyingKey,
    env: &Env,
    network: Option<&mailport_shared::NetworkFacts>,
) -> mailport_shared::inbound::InboundReport {
    let dns = Dns::new(&env.nameservers);
    let mut addresses = Vec::new();
    for family in options.families.list() {
        let resolution = resolve(&dns, reflector, family, env.allow_private).await;
        addresses.push((family, resolution.address.ok()));
    }
    let mut public = Vec::new();
    if let Some(n) = network {
        if let Some(v4) = n.public_ipv4.found() {
            public.push((Family::Ipv4, IpAddr::V4(*v4)));
        }
        if let Some(v6) = n.public_ipv6.found() {
            public.push((Family::Ipv6, IpAddr::V6(*v6)));
        }
    }
    let cfg = crate::inbound::InboundConfig {
        reflector,
        addresses,
        key,
        public,
        listen_port: crate::inbound::witness::SMTP_PORT,
        ports: vec![crate::inbound::witness::SMTP_PORT],
        deadlines: crate::inbound::Deadlines::default(),
    };
    crate::inbound::run(&cfg, env.dialer.as_ref()).await
}

/// Sends the `Failed` event of `err` and hands it back.
async fn failed(err: RunError, events: &mpsc::Sender<CheckEvent>) -> RunError {
    let _ = events
        .send(CheckEvent::Failed {
            code: err.code().to_string(),
            message: err.to_string(),
        })
        .await;
    err
}

/// Plans, resolves and runs every probe, the reflector's proofs included
/// (when `options.reflector` is set, proved with `reflector_key`), sending
/// `Started` and one `Probe` event per probe as they finish; returns the
/// results in that order.
async fn probe_all(
    options: &CheckOptions,
    reflector_key: Option<ed25519_dalek::VerifyingKey>,
    env: &Env,
    events: &mpsc::Sender<CheckEvent>,
) -> Result<(Vec<ProbeResult>, Vec<ControlProbe>), NothingToProbe> {
    let dns = Dns::new(&env.nameservers);
    let families = options.families.list();
    // The reflector is planned like a target, but proved rather than
    // merely probed (validated options with a reflector carry its key).
    let reflector = match reflector_key {
        Some(_) => reflector_target(options),
        None => Vec::new(),
    };
    let (proving, reflector_unplanned) = plan_targets(&reflector, &options.ports, &families);
    let (mut planned, mut unplanned) =
        plan_targets(&options.effective_targets(), &options.ports, &families);

    let mut cells: Cells = HashMap::new();
    add_cells(&mut cells, &planned);
    add_cells(&mut cells, &proving);
    if let Some(domain) = &options.domain {
        // The hosts already known resolve while the domain's MX set is
        // looked up, and so does the domain itself (its own address is the
        // mail host when it has no MX): on a slow or dead resolver the user
        // waits for one lookup time, not two in a row.
        for &family in &families {
            cells.entry((domain.clone(), family)).or_default();
        }
        let known = futures::future::join_all(cells.iter().map(|((host, family), cell)| {
            cell.get_or_init(|| resolve(&dns, host, *family, env.allow_private))
        }));
        let (own, _) = tokio::join!(domain_targets(&dns, domain, &families), known);
        let (specs, why_not) = plan_targets(&own, &options.ports, &families);
        if own.is_empty() {
            unplanned.push(Unplanned::NoDomainHost {
                domain: domain.clone(),
            });
        }
        push_new(&mut unplanned, why_not);
        add_cells(&mut cells, &specs);
        push_new(&mut planned, specs);
    }
    planned.retain(|spec| !proving.contains(spec));
    if planned.is_empty() && proving.is_empty() {
        push_new(&mut unplanned, reflector_unplanned);
        return Err(NothingToProbe { reasons: unplanned });
    }
    let _ = events
        .send(CheckEvent::Started {
            planned: planned.iter().chain(&proving).cloned().collect(),
        })
        .await;

    let cell_of = |spec: &ProbeSpec| {
        cells
            .get(&(spec.host.clone(), spec.family))
            .cloned()
            .unwrap_or_default()
    };
    let config = ProbeConfig {
        connect_timeout: Duration::from_millis(u64::from(options.connect_timeout_ms)),
        greeting_timeout: Duration::from_millis(u64::from(options.greeting_timeout_ms)),
        starttls: options.tls,
        ehlo_name: env.ehlo_name.clone(),
    };
    let prove_config = reflector_key.map(|key| crate::reflect::ProveConfig {
        key,
        connect_timeout: config.connect_timeout,
        reply_timeout: config.greeting_timeout,
        ehlo_name: env.ehlo_name.clone().unwrap_or_default(),
    });
    let semaphore = Semaphore::new(env.concurrency);
    let sockets = Sockets::default();
    let timing = Timing::new(config.connect_timeout);
    // One control probe per target address, beside the mail probes: they
    // teach the round trip early, and say which hosts are up.
    let (dns_ref, timing_ref) = (&dns, &timing);
    // One probe of a planned spec, sharing the check's lookups, socket
    // limits and round trips: the first pass, the rate-limit repeat and
    // the second look all run it.
    let (config_ref, semaphore_ref, sockets_ref) = (&config, &semaphore, &sockets);
    let probe_once = move |spec: ProbeSpec| {
        let cell = cell_of(&spec);
        run_probe(
            spec,
            cell,
            dns_ref,
            env,
            config_ref,
            Slots {
                semaphore: semaphore_ref,
                sockets: sockets_ref,
                pacer: timing_ref,
            },
        )
    };
    let mut checking: FuturesUnordered<_> = env
        .control_port
        .iter()
        .flat_map(|&port| {
            cells.iter().map(move |((host, family), cell)| {
                let (host, family, cell) = (host.clone(), *family, cell.clone());
                let (dns, timing) = (dns_ref, timing_ref);
                async move {
                    let resolution = resolved(&cell, dns, &host, family, env.allow_private).await;
                    let addr = resolution.address.ok()?;
                    Some(pacing::control(host, addr, port, env.dialer.as_ref(), timing).await)
                }
            })
        })
        .collect();
    let probes = planned
        .into_iter()
        .map(|spec| Either::Left(probe_once(spec)));
    let proofs = prove_config.iter().flat_map(|cfg| {
        proving.iter().map(|spec| {
            let cell = cell_of(spec);
            Either::Right(run_proof(spec.clone(), cell, &dns, env, cfg, &semaphore))
        })
    });
    let mut running: FuturesUnordered<_> = probes.chain(proofs).collect();
    let mut probes: Vec<ProbeResult> = Vec::new();
    let mut controls: Vec<ControlProbe> = Vec::new();
    // The check ends with its mail probes: a control probe still waiting
    // then is recorded as unanswered, never waited for.
    loop {
        tokio::select! {
            Some(result) = running.next() => {
                let _ = events
                    .send(CheckEvent::Probe {
                        result: result.clone(),
                    })
                    .await;
                probes.push(result);
            }
            Some(control) = checking.next(), if !checking.is_empty() => {
                controls.extend(control);
            }
            else => break,
        }
        if running.is_empty() {
            break;
        }
    }
    drop(running);
    drop(checking);
    if let Some(port) = env.control_port {
        for ((host, family), cell) in &cells {
            let Some(Ok(addr)) = cell.get().map(|r| r.address.clone()) else {
                continue;
            };
            if !controls
                .iter()
                .any(|c| c.host == *host && c.family == *family)
            {
                controls.push(ControlProbe {
                    host: host.clone(),
                    family: *family,
                    address: Some(addr),
                    port,
                    outcome: ControlOutcome::TimedOut,
                    rtt_ms: None,
                });
            }
        }
    }
    controls.sort_by(|a, b| (a.family, &a.host).cmp(&(b.family, &b.host)));
    // A port that both connected and timed out: connect once more to a host
    // that connected. Timing out now tells a rate limit from a restriction
    // (see mailport_shared::ratelimit).
    let again: Vec<ProbeSpec> = mailport_shared::ratelimit::to_repeat(&probes)
        .into_iter()
        .map(|i| probes[i].spec.clone())
        .filter(|spec| spec.role != Role::Reflector)
        .collect();
    let repeated = futures::future::join_all(again.into_iter().map(probe_once)).await;
    for result in repeated {
        let _ = events
            .send(CheckEvent::Probe {
                result: result.clone(),
            })
            .await;
        probes.push(result);
    }
    // A lone silence where other hosts greeted, a time-out on a port only
    // one host was asked about, and time-outs of every host of a port on a
    // line seen losing packets get a fresh connection
    // (mailport_shared::second_look): a lossy line must not read as a
    // tarpit or a block. The second answer counts when it connected.
    let mut silent = mailport_shared::second_look::silent_to_retry(&probes);
    silent.extend(mailport_shared::second_look::lone_timeouts(&probes));
    silent.extend(mailport_shared::second_look::timeouts_on_a_lossy_line(
        &probes,
        &timing.loss_seen(),
    ));
    silent.sort_unstable();
    silent.dedup();
    let second =
        futures::future::join_all(silent.iter().map(|&i| probe_once(probes[i].spec.clone()))).await;
    for (i, result) in silent.into_iter().zip(second) {
        if result.outcome != probes[i].outcome && result.outcome.connected() {
            let _ = events
                .send(CheckEvent::Probe {
                    result: result.clone(),
                })
                .await;
            probes[i] = result;
        }
    }
    trust_reflector_ports(&mut probes);
    Ok((probes, controls))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The HTTP API runs checks on spawned tasks: the future must be `Send`,
    /// and the environment shareable.
    #[test]
    fn run_future_is_send_and_env_is_shareable() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Env>();
        let env = Env::builder().build().expect("default env");
        let (tx, _rx) = mpsc::channel(1);
        let fut = run(CheckOptions::default(), &env, tx);
        assert_send(&fut);
    }

    #[test]
    fn env_settings_are_checked() {
        let err = Env::builder().concurrency(0).build().expect_err("0");
        assert_eq!(
            err.to_string(),
            "the concurrency must be between 1 and 256, not 0"
        );
        let err = Env::builder()
            .ehlo_name("not a name")
            .build()
            .expect_err("name");
        assert!(err.to_string().contains("not a valid host name"), "{err}");
        let env = Env::builder()
            .allow_private(true)
            .concurrency(3)
            .build()
            .expect("ok");
        assert!(env.allow_private());
        assert_eq!(env.concurrency(), 3);
    }
}
