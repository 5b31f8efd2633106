//! Everything about the agent's surroundings that a check needs but that
//! is not part of the options a page may send (see [`Env`]).

use crate::netinfo::NetinfoConfig;
use crate::probe::tls::{self, TlsContext, TlsSetupError};
use crate::probe::{Dialer, DirectDialer};
use mailport_shared::control::CONTROL_PORT;
use mailport_shared::validate::{self, InputError};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Probes running at once unless configured otherwise: enough for a full
/// default check to run in one round, so a check lasts about one timeout.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Most probes at once, whatever is asked.
pub const MAX_CONCURRENCY: usize = 256;

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
    pub(crate) nameservers: Vec<SocketAddr>,
    pub(crate) dialer: Arc<dyn Dialer>,
    pub(crate) tls: TlsContext,
    pub(crate) allow_private: bool,
    pub(crate) concurrency: usize,
    pub(crate) ehlo_name: Option<String>,
    pub(crate) netinfo: Option<NetinfoConfig>,
    pub(crate) control_port: Option<u16>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("nameservers", &self.nameservers)
            .field("allow_private", &self.allow_private)
            .field("concurrency", &self.concurrency)
            .field("ehlo_name", &self.ehlo_name)
            .field("netinfo", &self.netinfo.is_some())
            .field("control_port", &self.control_port)
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
    control_port: Option<u16>,
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
            control_port: Some(CONTROL_PORT),
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

    /// The port of the control probes ([`mailport_shared::control`]);
    /// `None` (or port 0) makes none. Not a user's choice: tests point it
    /// at their loopback fakes.
    pub fn control_port(mut self, port: Option<u16>) -> Self {
        self.control_port = port.filter(|p| *p != 0);
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
            control_port: self.control_port,
        })
    }
}

impl From<InputError> for EnvError {
    fn from(e: InputError) -> Self {
        EnvError::Invalid(e.to_string())
    }
}
