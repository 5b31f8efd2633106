//! Runs one check: validate, plan, resolve, probe concurrently, judge.
//!
//! [`run`] is the single entry point shared by the terminal mode and the
//! HTTP API. Results stream as [`CheckEvent`]s while probes finish, so a page
//! can fill its grid live; the returned [`Report`] is the same data at rest.
//! All probes run inside the `run` future itself (no spawned tasks), so
//! dropping that future cancels every probe and closes every socket.

use crate::dns::{Dns, MxAnswer};
use crate::guard;
use crate::netinfo::NetinfoConfig;
use crate::probe::tls::{self, TlsContext, TlsSetupError};
use crate::probe::{self, Dialer, DirectDialer, ProbeConfig};
use futures::future::Either;
use futures::stream::{FuturesUnordered, StreamExt};
use mailport_shared::advice::Context;
use mailport_shared::outcome::DnsFailure;
use mailport_shared::probe::plan;
use mailport_shared::report::Conclusion;
use mailport_shared::validate::{self, Host, InputError};
use mailport_shared::{
    CheckEvent, CheckOptions, Family, Outcome, ProbeResult, ProbeSpec, Report, Role, Target,
    Timings,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, OnceCell, Semaphore};
use tokio::time::Instant;

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
}

impl RunError {
    /// A stable snake_case code, as in [`CheckEvent::Failed`] and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Input(_) => "invalid_options",
        }
    }
}

/// Why an [`Env`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// TLS trust could not be set up (e.g. a bad `--ca-file`).
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// A setting is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// Everything about the agent's surroundings that a check needs but that is
/// not part of the options a page may send: where DNS goes, how to connect,
/// what to trust, whether private addresses may be probed.
///
/// Cheap to clone; share one per agent.
#[derive(Clone)]
pub struct Env {
    nameservers: Vec<SocketAddr>,
    dialer: Arc<dyn Dialer>,
    tls: TlsContext,
    allow_private: bool,
    concurrency: usize,
    ehlo_name: Option<String>,
    netinfo: Option<NetinfoConfig>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("nameservers", &self.nameservers)
            .field("allow_private", &self.allow_private)
            .field("concurrency", &self.concurrency)
            .field("ehlo_name", &self.ehlo_name)
            .field("netinfo", &self.netinfo.is_some())
            .finish_non_exhaustive()
    }
}

impl Env {
    /// Starts an [`EnvBuilder`] with the defaults: system DNS, direct
    /// connections, webpki roots, public addresses only.
    pub fn builder() -> EnvBuilder {
        EnvBuilder::default()
    }

    /// Whether private and loopback addresses may be probed.
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// How many probes run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }
}

/// Builds an [`Env`].
pub struct EnvBuilder {
    nameservers: Vec<SocketAddr>,
    dialer: Arc<dyn Dialer>,
    extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    allow_private: bool,
    concurrency: usize,
    ehlo_name: Option<String>,
    netinfo: Option<NetinfoConfig>,
}

impl Default for EnvBuilder {
    fn default() -> Self {
        EnvBuilder {
            nameservers: Vec::new(),
            dialer: Arc::new(DirectDialer),
            extra_roots: Vec::new(),
            allow_private: false,
            concurrency: DEFAULT_CONCURRENCY,
            ehlo_name: None,
            netinfo: None,
        }
    }
}

impl EnvBuilder {
    /// DNS servers to ask (UDP and TCP); empty means the system's.
    pub fn nameservers(mut self, servers: Vec<SocketAddr>) -> Self {
        self.nameservers = servers;
        self
    }

    /// How connections are opened (tests map addresses to fakes).
    pub fn dialer(mut self, dialer: Arc<dyn Dialer>) -> Self {
        self.dialer = dialer;
        self
    }

    /// Certificates to trust besides the webpki roots.
    pub fn extra_roots(mut self, roots: Vec<rustls::pki_types::CertificateDer<'static>>) -> Self {
        self.extra_roots.extend(roots);
        self
    }

    /// Trusts the PEM certificates in `path` too (`--ca-file`).
    pub fn ca_file(self, path: &Path) -> Result<Self, EnvError> {
        let certs = tls::load_ca_file(path)?;
        Ok(self.extra_roots(certs))
    }

    /// Allows probing private, loopback and other non-public addresses.
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// Probes at once (1 to [`MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// The name sent with EHLO; by default the local address as a literal.
    pub fn ehlo_name(mut self, name: impl Into<String>) -> Self {
        self.ehlo_name = Some(name.into());
        self
    }

    /// Also learn the network facts (public address, provider, blocklists,
    /// reverse DNS) with these servers; off unless set.
    pub fn netinfo(mut self, cfg: Option<NetinfoConfig>) -> Self {
        self.netinfo = cfg;
        self
    }

    /// Builds the environment.
    pub fn build(self) -> Result<Env, EnvError> {
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(EnvError::Invalid(format!(
                "the concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                self.concurrency
            )));
        }
        if let Some(name) = &self.ehlo_name {
            validate::host(name)?;
        }
        Ok(Env {
            nameservers: self.nameservers,
            dialer: self.dialer,
            tls: TlsContext::new(&self.extra_roots)?,
            allow_private: self.allow_private,
            concurrency: self.concurrency,
            ehlo_name: self.ehlo_name,
            netinfo: self.netinfo,
        })
    }
}

impl From<InputError> for EnvError {
    fn from(e: InputError) -> Self {
        EnvError::Invalid(e.to_string())
    }
}

/// Where a (host, family) pair resolved, and how long it took.
#[derive(Clone, Debug)]
struct Resolution {
    address: Result<IpAddr, DnsFailure>,
    dns_ms: Option<u32>,
}

type ResolutionCell = Arc<OnceCell<Resolution>>;

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
        Ok(ok) => ok,
        Err(e) => {
            let err = RunError::Input(e);
            let _ = events
                .send(CheckEvent::Failed {
                    code: err.code().to_string(),
                    message: err.to_string(),
                })
                .await;
            return Err(err);
        }
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
    let (mut probes, network) =
        tokio::join!(probe_all(&options, reflector_key, env, &events), learning);
    // Whether the reflector saw this network's public address is known only
    // now that both are done.
    crate::reflect::compare_with_public(&mut probes, network.as_ref());

    let ctx = Context::from_network(network.clone());
    let conclusion = Conclusion::from_probes(&probes, &ctx);
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
    };
    let _ = events
        .send(CheckEvent::Done {
            report: Box::new(report.clone()),
        })
        .await;
    Ok(report)
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
) -> Vec<ProbeResult> {
    let dns = Dns::new(&env.nameservers);
    let families = options.families.list();
    let mut targets = options.effective_targets();
    if let Some(domain) = &options.domain {
        targets.extend(domain_targets(&dns, domain, &families).await);
    }
    // An IP literal has one family: probing it over the other one would only
    // fill the grid with "no address" rows.
    let family_fits = |spec: &ProbeSpec| match validate::host(&spec.host) {
        Ok(Host::Ip(ip)) => Family::of(&ip) == spec.family,
        _ => true,
    };
    // The reflector is planned like a target with the reflector role (every
    // port, expected to answer), but proved rather than merely probed.
    let proving: Vec<ProbeSpec> = match (&options.reflector, reflector_key) {
        (Some(r), Some(_)) => plan(
            &[Target::new(&r.host, Role::Reflector)],
            &options.ports,
            &families,
        )
        .into_iter()
        .filter(family_fits)
        .collect(),
        _ => Vec::new(),
    };
    let planned: Vec<ProbeSpec> = plan(&targets, &options.ports, &families)
        .into_iter()
        .filter(family_fits)
        .filter(|spec| !proving.contains(spec))
        .collect();
    let _ = events
        .send(CheckEvent::Started {
            planned: planned.iter().chain(&proving).cloned().collect(),
        })
        .await;

    let mut cells: HashMap<(String, Family), ResolutionCell> = HashMap::new();
    for spec in planned.iter().chain(&proving) {
        cells.entry((spec.host.clone(), spec.family)).or_default();
    }
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
    let probes = planned.into_iter().map(|spec| {
        let cell = cell_of(&spec);
        Either::Left(run_probe(spec, cell, &dns, env, &config, &semaphore))
    });
    let proofs = prove_config.iter().flat_map(|cfg| {
        proving.iter().map(|spec| {
            let cell = cell_of(spec);
            Either::Right(run_proof(spec.clone(), cell, &dns, env, cfg, &semaphore))
        })
    });
    let mut running: FuturesUnordered<_> = probes.chain(proofs).collect();
    let mut probes: Vec<ProbeResult> = Vec::new();
    while let Some(result) = running.next().await {
        let _ = events
            .send(CheckEvent::Probe {
                result: result.clone(),
            })
            .await;
        probes.push(result);
    }
    drop(running);
    trust_reflector_ports(&mut probes);
    probes
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
            let ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
            (r, Some(ms))
        }
        Err(e) => (
            Err(DnsFailure::Other {
                detail: e.to_string(),
            }),
            None,
        ),
    };
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
    Resolution { address, dns_ms }
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

async fn run_probe(
    spec: ProbeSpec,
    cell: ResolutionCell,
    dns: &Dns,
    env: &Env,
    config: &ProbeConfig,
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
    // The permit bounds sockets, not DNS: a closed semaphore cannot happen
    // here (it is never closed), but a probe without one still runs.
    let _permit = semaphore.acquire().await.ok();
    let measured = probe::probe(&spec, address, env.dialer.as_ref(), &env.tls, config).await;
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
