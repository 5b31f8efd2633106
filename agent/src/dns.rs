//! Name resolution for probes: A/AAAA per family, and the MX set of the
//! user's own domain.
//!
//! The nameservers are configurable (`--dns IP:PORT`, UDP and TCP) so tests
//! and simulations point at their own fake DNS; otherwise the system
//! configuration is used. Each failure keeps its kind ([`DnsFailure`]):
//! "does not exist", "no address of this family" and "the resolver did not
//! answer" lead the user to different places.

use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};
use mailport_shared::outcome::DnsFailure;
use mailport_shared::Family;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The longest one lookup may take, whatever the resolver's retries.
pub const LOOKUP_CAP: Duration = Duration::from_secs(6);

/// At most this many MX hosts of a domain are probed.
pub const MAX_MX_HOSTS: usize = 4;

/// A resolver for one check.
#[derive(Clone)]
pub struct Dns {
    resolver: Result<TokioResolver, String>,
}

/// What the MX lookup of a domain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxAnswer {
    /// MX hosts, most preferred first.
    Hosts(Vec<String>),
    /// No MX record: RFC 5321 §5.1 says to use the domain's own address.
    NoMx,
    /// A null MX (RFC 7505): the domain accepts no mail.
    NullMx,
}

impl Dns {
    /// A resolver using `nameservers` (UDP and TCP each), or the system
    /// configuration when the list is empty.
    pub fn new(nameservers: &[SocketAddr]) -> Self {
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs(2);
        opts.attempts = 2;
        opts.cache_size = 64;
        let resolver = if nameservers.is_empty() {
            TokioResolver::builder_tokio()
                .map(|b| b.with_options(opts).build())
                .map_err(|e| format!("cannot read the system DNS configuration: {e}"))
        } else {
            let mut group = Vec::new();
            for addr in nameservers {
                group.push(NameServerConfig::new(*addr, Protocol::Udp));
                group.push(NameServerConfig::new(*addr, Protocol::Tcp));
            }
            let config =
                ResolverConfig::from_parts(None, vec![], NameServerConfigGroup::from(group));
            Ok(
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                    .with_options(opts)
                    .build(),
            )
        };
        Dns { resolver }
    }

    fn resolver(&self) -> Result<&TokioResolver, DnsFailure> {
        self.resolver
            .as_ref()
            .map_err(|e| DnsFailure::Other { detail: e.clone() })
    }

    /// The addresses of `name` for `family`.
    pub async fn lookup(&self, name: &str, family: Family) -> Result<Vec<IpAddr>, DnsFailure> {
        let resolver = self.resolver()?;
        let fqdn = fqdn(name);
        let found: Result<Vec<IpAddr>, ResolveError> = match family {
            Family::Ipv4 => capped(resolver.ipv4_lookup(fqdn))
                .await?
                .map(|l| l.iter().map(|a| IpAddr::V4(a.0)).collect()),
            Family::Ipv6 => capped(resolver.ipv6_lookup(fqdn))
                .await?
                .map(|l| l.iter().map(|a| IpAddr::V6(a.0)).collect()),
        };
        match found {
            Ok(addrs) if addrs.is_empty() => Err(DnsFailure::NoAddress),
            Ok(addrs) => Ok(addrs),
            Err(e) => Err(failure(&e)),
        }
    }

    /// The MX hosts of `domain`, most preferred first, at most
    /// [`MAX_MX_HOSTS`].
    pub async fn mx(&self, domain: &str) -> Result<MxAnswer, DnsFailure> {
        let resolver = self.resolver()?;
        match capped(resolver.mx_lookup(fqdn(domain))).await? {
            Ok(lookup) => {
                let mut records: Vec<(u16, String)> = lookup
                    .iter()
                    .map(|mx| {
                        let host = mx.exchange().to_utf8();
                        (
                            mx.preference(),
                            host.trim_end_matches('.').to_ascii_lowercase(),
                        )
                    })
                    .collect();
                if records.is_empty() {
                    return Ok(MxAnswer::NoMx);
                }
                if records.iter().all(|(_, h)| h.is_empty()) {
                    return Ok(MxAnswer::NullMx);
                }
                records.sort();
                let mut hosts: Vec<String> = Vec::new();
                for (_, h) in records {
                    if !h.is_empty() && !hosts.contains(&h) && hosts.len() < MAX_MX_HOSTS {
                        hosts.push(h);
                    }
                }
                Ok(MxAnswer::Hosts(hosts))
            }
            Err(e) if e.is_no_records_found() && !e.is_nx_domain() => Ok(MxAnswer::NoMx),
            Err(e) => Err(failure(&e)),
        }
    }
}

/// Names are looked up as given, never with search domains appended.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

async fn capped<T>(fut: impl std::future::Future<Output = T>) -> Result<T, DnsFailure> {
    tokio::time::timeout(LOOKUP_CAP, fut)
        .await
        .map_err(|_| DnsFailure::Timeout)
}

/// Keeps the kind of a resolver error.
fn failure(e: &ResolveError) -> DnsFailure {
    if e.is_nx_domain() {
        return DnsFailure::NxDomain;
    }
    if e.is_no_records_found() {
        return DnsFailure::NoAddress;
    }
    if let Some(proto) = e.proto() {
        if matches!(proto.kind(), ProtoErrorKind::Timeout) {
            return DnsFailure::Timeout;
        }
    }
    DnsFailure::Other {
        detail: e.to_string(),
    }
}
