//! Runs one check: validate, plan, resolve, probe concurrently, judge.
//!
//! [`run`] is the single entry point shared by the terminal mode and the
//! HTTP API. Results stream as [`CheckEvent`]s while probes finish, so a page
//! can fill its grid live; the returned [`Report`] is the same data at rest.
//! All probes run inside the `run` future itself (no spawned tasks), so
//! dropping that future cancels every probe and closes every socket.

use crate::dns::{Dns, MxAnswer};
use crate::guard;
use crate::pacing::{self, Timing};
use crate::probe::connect::Pacer;
use crate::probe::{self, ProbeConfig};
use futures::future::Either;
use futures::stream::{FuturesUnordered, StreamExt};
use mailport_shared::advice::Context;
use mailport_shared::control::{ControlOutcome, ControlProbe};
use mailport_shared::outcome::DnsFailure;
use mailport_shared::probe::plan;
use mailport_shared::report::Conclusion;
use mailport_shared::validate::{self, Host, InputError};
use mailport_shared::{
    CheckEvent, CheckOptions, Family, Outcome, ProbeResult, ProbeSpec, Report, Role, Target,
    Timings,
};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, Notify, OnceCell, Semaphore};
use tokio::time::Instant;

pub use crate::env::{Env, EnvBuilder, EnvError};

/// Probes running at once unless configured otherwise: enough for a full
/// default check to run in one round, so a check lasts about one timeout.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Most probes at once, whatever is asked.
pub const MAX_CONCURRENCY: usize = 256;

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

/// Options that plan no probe at all: an empty table and "port 25 was not
/// tested" would read like a result, so the check refuses to run and says
/// why, target by target.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("nothing to probe: {}", join_reasons(.reasons))]
pub struct NothingToProbe {
    /// Why each target adds no probe, without repeats.
    pub reasons: Vec<Unplanned>,
}

fn join_reasons(reasons: &[Unplanned]) -> String {
    reasons
        .iter()
        .map(Unplanned::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why one target adds no probe to a check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unplanned {
    /// Recipient MX hosts are probed on 25 only ("587 to an MX" is never
    /// measured), and 25 is not among the ports.
    #[error("MX hosts are probed on port 25 only, and port 25 is not among the ports asked for")]
    MxWithout25,
    /// The target carries its own ports, none of them among the check's.
    #[error(
        "{host} is probed on its own ports only, and none of them is among the ports asked for"
    )]
    OwnPorts {
        /// The target.
        host: String,
    },
    /// An IP literal of a family the check leaves out.
    #[error("{host} is an {family} address, and only {} is probed", other_family(*.family))]
    OtherFamily {
        /// The address as given.
        host: String,
        /// Its family.
        family: Family,
    },
    /// The domain publishes a null MX (it takes no mail) and has no
    /// submission host of the usual names.
    #[error("{domain} has a null MX: it publishes no mail host to probe")]
    NoDomainHost {
        /// The domain.
        domain: String,
    },
}

fn other_family(family: Family) -> Family {
    match family {
        Family::Ipv4 => Family::Ipv6,
        Family::Ipv6 => Family::Ipv4,
    }
}

/// The probes some targets give on `ports` and `families`, and why the
/// targets that give none were left out.
fn plan_targets(
    targets: &[Target],
    ports: &[u16],
    families: &[Family],
) -> (Vec<ProbeSpec>, Vec<Unplanned>) {
    let mut specs = Vec::new();
    let mut unplanned = Vec::new();
    for t in targets {
        let all = plan(std::slice::from_ref(t), ports, families);
        let fitting: Vec<ProbeSpec> = all.iter().filter(|s| family_fits(s)).cloned().collect();
        if fitting.is_empty() {
            let why = match (&t.ports, validate::host(&t.host)) {
                (Some(_), _) if all.is_empty() => Unplanned::OwnPorts {
                    host: t.host.clone(),
                },
                (None, _) if all.is_empty() => Unplanned::MxWithout25,
                (_, Ok(Host::Ip(ip))) => Unplanned::OtherFamily {
                    host: t.host.clone(),
                    family: Family::of(&ip),
                },
                // Unreachable: a name fits every family, and validated
                // options have ports; said plainly all the same.
                _ => Unplanned::OwnPorts {
                    host: t.host.clone(),
                },
            };
            push_new(&mut unplanned, [why]);
        }
        push_new(&mut specs, fitting);
    }
    (specs, unplanned)
}

/// Appends the items not already in `v`, in order.
fn push_new<T: PartialEq>(v: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !v.contains(&item) {
            v.push(item);
        }
    }
}

/// An IP literal has one family: probing it over the other one would only
/// fill the grid with "no address" rows.
fn family_fits(spec: &ProbeSpec) -> bool {
    match validate::host(&spec.host) {
        Ok(Host::Ip(ip)) => Family::of(&ip) == spec.family,
        _ => true,
    }
}

/// The reflector to prove, as a target with the reflector role (every
/// port, expected to answer); none when the check has no reflector.
fn reflector_target(options: &CheckOptions) -> Vec<Target> {
    options
        .reflector
        .iter()
        .map(|r| Target::new(&r.host, Role::Reflector))
        .collect()
}

/// Whether validated `options` plan at least one probe, as far as can be
/// told before DNS: a `domain` always adds its own hosts, so only options
/// without one can be refused here. The HTTP API calls this to answer 422
/// before starting a check; [`run`] calls it too.
pub fn check_plan(options: &CheckOptions) -> Result<(), NothingToProbe> {
    if options.domain.is_some() {
        return Ok(());
    }
    let families = options.families.list();
    let (specs, mut reasons) =
        plan_targets(&options.effective_targets(), &options.ports, &families);
    let (proofs, why_not) = plan_targets(&reflector_target(options), &options.ports, &families);
    if !specs.is_empty() || !proofs.is_empty() {
        return Ok(());
    }
    push_new(&mut reasons, why_not);
    Err(NothingToProbe { reasons })
}

/// Most addresses of one family a probe tries.
const MAX_ADDRESSES: usize = 3;

/// Where a (host, family) pair resolved, and how long it took.
#[derive(Clone, Debug)]
struct Resolution {
    /// The first address, what control probes and proofs use.
    address: Result<IpAddr, DnsFailure>,
    /// Every address of the family, in DNS order (at most
    /// [`MAX_ADDRESSES`]): a probe whose first address fails tries the next
    /// before the port is judged.
    addresses: Vec<IpAddr>,
    dns_ms: Option<u32>,
}

type ResolutionCell = Arc<OnceCell<Resolution>>;
/// One resolution per (host, family), shared by the probes of that host.
type Cells = HashMap<(String, Family), ResolutionCell>;

fn add_cells(cells: &mut Cells, specs: &[ProbeSpec]) {
    for spec in specs {
        cells.entry((spec.host.clone(), spec.family)).or_default();
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
/// any target, calls this network back on port 25, one family at a time.
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
    let mut checking: FuturesUnordered<_> = env
        .control_port
        .iter()
        .flat_map(|&port| {
            cells.iter().map(move |((host, family), cell)| {
                let (host, family, cell) = (host.clone(), *family, cell.clone());
                let (dns, timing) = (dns_ref, timing_ref);
                async move {
                    let resolution = cell
                        .get_or_init(|| resolve(dns, &host, family, env.allow_private))
                        .await
                        .clone();
                    let addr = resolution.address.ok()?;
                    Some(pacing::control(host, addr, port, env.dialer.as_ref(), timing).await)
                }
            })
        })
        .collect();
    let probes = planned.into_iter().map(|spec| {
        let cell = cell_of(&spec);
        Either::Left(run_probe(
            spec,
            cell,
            &dns,
            env,
            &config,
            Slots {
                semaphore: &semaphore,
                sockets: &sockets,
                pacer: &timing,
            },
        ))
    });
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
    let repeated = futures::future::join_all(again.into_iter().map(|spec| {
        let cell = cell_of(&spec);
        run_probe(
            spec,
            cell,
            &dns,
            env,
            &config,
            Slots {
                semaphore: &semaphore,
                sockets: &sockets,
                pacer: &timing,
            },
        )
    }))
    .await;
    for result in repeated {
        let _ = events
            .send(CheckEvent::Probe {
                result: result.clone(),
            })
            .await;
        probes.push(result);
    }
    // A lone silence where other hosts greeted, and a time-out on a port
    // only one host was asked about, get a fresh connection
    // (mailport_shared::second_look): a lossy line must not read as a
    // tarpit or a block. The second answer counts when it connected.
    let mut silent = mailport_shared::second_look::silent_to_retry(&probes);
    silent.extend(mailport_shared::second_look::lone_timeouts(&probes));
    let second = futures::future::join_all(silent.iter().map(|&i| {
        let spec = probes[i].spec.clone();
        let cell = cell_of(&spec);
        run_probe(
            spec,
            cell,
            &dns,
            env,
            &config,
            Slots {
                semaphore: &semaphore,
                sockets: &sockets,
                pacer: &timing,
            },
        )
    }))
    .await;
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

/// A genuine reflector signs the list of ports it listens on. On any other
/// port a refusal or a timeout from it says nothing about the network (it
/// does not listen there), so it is no longer expected to answer: the port is
/// judged by the other hosts, not called blocked.
fn trust_reflector_ports(probes: &mut [ProbeResult]) {
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

/// The user's own hosts: the MX set (or, without MX, the domain itself, as
/// RFC 5321 §5.1 says) on every port, plus the usual submission names
/// (`smtp.`, `mail.`) on 465/587 when they resolve.
async fn domain_targets(dns: &Dns, domain: &str, families: &[Family]) -> Vec<Target> {
    // Every lookup at once: on a slow or dead resolver the user waits for
    // one timeout, not one per name and family.
    let resolves = |name: String| async move {
        let found = futures::future::join_all(families.iter().map(|&f| dns.lookup(&name, f))).await;
        found.iter().any(Result::is_ok).then_some(name)
    };
    let candidates = [format!("smtp.{domain}"), format!("mail.{domain}")];
    let (mx, submission) = tokio::join!(
        dns.mx(domain),
        futures::future::join_all(candidates.into_iter().map(resolves))
    );
    let mut targets = Vec::new();
    match mx {
        Ok(MxAnswer::Hosts(hosts)) => {
            targets.extend(hosts.into_iter().map(|h| Target::new(h, Role::OwnHost)));
        }
        Ok(MxAnswer::NullMx) => {}
        // No MX, or the lookup failed: probing the domain itself shows the
        // fallback, or the DNS failure, in the grid.
        Ok(MxAnswer::NoMx) | Err(_) => targets.push(Target::new(domain, Role::OwnHost)),
    }
    for name in submission.into_iter().flatten() {
        if !targets.iter().any(|t| t.host == name) {
            targets.push(Target::with_ports(name, Role::OwnHost, &[465, 587]));
        }
    }
    targets.truncate(mailport_shared::options::limits::MAX_TARGETS);
    targets
}

/// Resolves `host` for `family` and applies the address guard.
async fn resolve(dns: &Dns, host: &str, family: Family, allow_private: bool) -> Resolution {
    let started = Instant::now();
    let (addrs, dns_ms) = match validate::host(host) {
        Ok(Host::Ip(ip)) if Family::of(&ip) == family => (Ok(vec![ip]), None),
        Ok(Host::Ip(_)) => (Err(DnsFailure::NoAddress), None),
        Ok(Host::Name(name)) => {
            let r = dns.lookup(&name, family).await;
            (r, Some(elapsed_ms(started)))
        }
        Err(e) => (
            Err(DnsFailure::Other {
                detail: e.to_string(),
            }),
            None,
        ),
    };
    let addrs_kept: Vec<IpAddr> = addrs.clone().unwrap_or_default();
    let address = addrs.and_then(|addrs| {
        if !allow_private {
            // Refuse the name if any of its addresses is not public: a name
            // that mixes public and private addresses is a rebinding setup.
            if let Some(bad) = addrs.iter().find(|ip| guard::is_forbidden(ip)) {
                return Err(DnsFailure::Forbidden {
                    address: bad.to_string(),
                });
            }
        }
        addrs.first().copied().ok_or(DnsFailure::NoAddress)
    });
    let addresses = match &address {
        Ok(_) => addrs_kept.into_iter().take(MAX_ADDRESSES).collect(),
        Err(_) => Vec::new(),
    };
    Resolution {
        address,
        addresses,
        dns_ms,
    }
}

/// The result of a probe whose host did not resolve to a usable address.
fn dns_failed(
    spec: ProbeSpec,
    reason: DnsFailure,
    dns_ms: Option<u32>,
    started: Instant,
) -> ProbeResult {
    ProbeResult {
        spec,
        address: None,
        outcome: Outcome::DnsFailed { reason },
        timings: Timings {
            dns_ms,
            total_ms: elapsed_ms(started),
            ..Timings::default()
        },
    }
}

/// Proves the reflector on one port and family: resolved and guarded like
/// any target, then the signed exchange of [`crate::reflect::prove`].
async fn run_proof(
    spec: ProbeSpec,
    cell: ResolutionCell,
    dns: &Dns,
    env: &Env,
    config: &crate::reflect::ProveConfig,
    semaphore: &Semaphore,
) -> ProbeResult {
    let started = Instant::now();
    let resolution = cell
        .get_or_init(|| resolve(dns, &spec.host, spec.family, env.allow_private))
        .await
        .clone();
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
fn try_next(outcome: &Outcome, port_passes: bool) -> bool {
    match outcome {
        Outcome::Refused | Outcome::Reset | Outcome::Unreachable { .. } => true,
        Outcome::Filtered => port_passes,
        _ => false,
    }
}

/// What the probes of one check share to run: the socket limits and the
/// round trips learned so far.
struct Slots<'a> {
    semaphore: &'a Semaphore,
    sockets: &'a Sockets,
    pacer: &'a dyn Pacer,
}

async fn run_probe(
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
    let resolution = cell
        .get_or_init(|| resolve(dns, &spec.host, spec.family, env.allow_private))
        .await
        .clone();
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
struct Sockets {
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

fn elapsed_ms(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_millis()).unwrap_or(u32::MAX)
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
    fn options_that_plan_nothing_say_why() {
        use mailport_shared::options::Families;
        let v4 = Families {
            ipv4: true,
            ipv6: false,
        };
        let v6 = Families {
            ipv4: false,
            ipv6: true,
        };
        let mx = |h: &str| Target::new(h, Role::RecipientMx);
        let opts = |targets: Vec<Target>, ports: &[u16], families: Families| CheckOptions {
            targets,
            ports: ports.to_vec(),
            families,
            ..CheckOptions::default()
        };
        let cases: Vec<(CheckOptions, Option<&str>)> = vec![
            (
                opts(vec![mx("127.0.3.2"), mx("mx.example")], &[587], v4),
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for"),
            ),
            (
                opts(vec![mx("127.0.3.2")], &[25], v6),
                Some("nothing to probe: 127.0.3.2 is an IPv4 address, and only IPv6 is probed"),
            ),
            (
                opts(
                    vec![mx("mx.example"), Target::new("2001:db8::1", Role::Custom)],
                    &[587],
                    v4,
                ),
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for; 2001:db8::1 is an IPv6 address, and only IPv4 is probed"),
            ),
            (
                opts(
                    vec![Target::with_ports("relay.example", Role::Submission, &[465])],
                    &[25, 587],
                    v4,
                ),
                Some("nothing to probe: relay.example is probed on its own ports only, and none of them is among the ports asked for"),
            ),
            (
                CheckOptions {
                    reflector: Some(mailport_shared::reflector::ReflectorSpec {
                        host: "192.0.2.7".into(),
                        public_key: "cd".repeat(32),
                    }),
                    ..opts(vec![mx("mx.example")], &[587], v6)
                },
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for; 192.0.2.7 is an IPv4 address, and only IPv6 is probed"),
            ),
            // Something to probe.
            (opts(vec![mx("127.0.3.2"), mx("mx.example")], &[25, 587], v4), None),
            (opts(vec![mx("127.0.3.2"), mx("mx.example")], &[25], v6), None),
            (opts(vec![], &[587], v6), None),
            (
                CheckOptions {
                    reflector: Some(mailport_shared::reflector::ReflectorSpec {
                        host: "192.0.2.7".into(),
                        public_key: "cd".repeat(32),
                    }),
                    ..opts(vec![mx("mx.example")], &[587], v4)
                },
                None,
            ),
            // A domain adds its own hosts on every port: known after DNS.
            (
                CheckOptions {
                    domain: Some("example.org".into()),
                    ..opts(vec![mx("mx.example")], &[587], v4)
                },
                None,
            ),
        ];
        for (o, want) in cases {
            let got = check_plan(&o).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{:?}", o.targets);
            if want.is_some() {
                let err = RunError::from(check_plan(&o).expect_err("empty"));
                assert_eq!(err.code(), "nothing_to_probe");
            }
        }
    }

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
