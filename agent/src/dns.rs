//! Name resolution for probes: A/AAAA per family, and the MX set of the
//! user's own domain.
//!
//! The nameservers are configurable (`--dns IP:PORT`, UDP and TCP) so tests
//! and simulations point at their own fake DNS; otherwise the system
//! configuration is used. Each failure keeps its kind ([`DnsFailure`]):
//! "does not exist", "no address of this family", "the resolver did not
//! answer" and "the resolver refused" lead the user to different places.
//!
//! hickory sends UDP queries from unconnected sockets, which never hear the
//! ICMP "port unreachable" of a resolver that is down: every lookup would
//! wait out its whole timeout and be reported as one. [`ConnectedUdp`] hands
//! hickory connected sockets instead, so a refusal surfaces at once as
//! `ConnectionRefused`, as it does for c-ares and the system's own tools.

use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::GenericConnector;
use hickory_resolver::proto::runtime::iocompat::AsyncIoTokioAsStd;
use hickory_resolver::proto::runtime::{
    RuntimeProvider, TokioHandle, TokioRuntimeProvider, TokioTime,
};
use hickory_resolver::proto::udp::DnsUdpSocket;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, Resolver};
use mailport_shared::outcome::DnsFailure;
use mailport_shared::Family;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::Interest;

/// The longest one lookup may take, whatever the resolver's retries.
pub const LOOKUP_CAP: Duration = Duration::from_secs(6);

/// At most this many MX hosts of a domain are probed.
pub const MAX_MX_HOSTS: usize = 4;

/// A resolver for one check.
#[derive(Clone)]
pub struct Dns {
    resolver: Result<Resolver<GenericConnector<ConnectedUdp>>, String>,
    /// The nameservers asked, as the user would name them in a message.
    servers: Vec<SocketAddr>,
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
        let provider = || GenericConnector::new(ConnectedUdp::default());
        let resolver = if nameservers.is_empty() {
            Resolver::builder(provider())
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
            Ok(Resolver::builder_with_config(config, provider())
                .with_options(opts)
                .build())
        };
        let mut servers: Vec<SocketAddr> = Vec::new();
        if let Ok(r) = &resolver {
            for ns in r.config().name_servers() {
                if !servers.contains(&ns.socket_addr) {
                    servers.push(ns.socket_addr);
                }
            }
        }
        Dns { resolver, servers }
    }

    fn resolver(&self) -> Result<&Resolver<GenericConnector<ConnectedUdp>>, DnsFailure> {
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
            Err(e) => Err(failure(&e, &self.servers)),
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
            Err(e) => Err(failure(&e, &self.servers)),
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

/// Keeps the kind of a resolver error. `servers` are the nameservers that
/// were asked, named in the message when one refused or cannot be reached.
fn failure(e: &ResolveError, servers: &[SocketAddr]) -> DnsFailure {
    if e.is_nx_domain() {
        return DnsFailure::NxDomain;
    }
    if e.is_no_records_found() {
        return DnsFailure::NoAddress;
    }
    let said = match e.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::Timeout) => return DnsFailure::Timeout,
        Some(ProtoErrorKind::Io(io)) => unreachable_server(io, servers),
        _ => None,
    };
    DnsFailure::Other {
        detail: said.unwrap_or_else(|| e.to_string()),
    }
}

/// What a socket error from the nameservers says about them, in words:
/// a refusal (nothing listens on the server's port) or no way to reach it.
/// `None` for other errors, whose own words are kept.
fn unreachable_server(io: &io::Error, servers: &[SocketAddr]) -> Option<String> {
    let list = servers
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let what = match io.kind() {
        io::ErrorKind::ConnectionRefused => "refused the query (nothing listens there)".to_string(),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            format!("cannot be reached ({io})")
        }
        _ => return None,
    };
    Some(match servers {
        [_] => format!("DNS server {list} {what}"),
        // hickory reports the most telling error of all the servers: one
        // of them said this, the others did not answer either.
        _ => format!("no DNS server answered ({list}); one {what}"),
    })
}

/// hickory's Tokio runtime, except that its UDP sockets are connected to
/// the nameserver (see the module documentation).
#[derive(Clone, Default)]
pub struct ConnectedUdp(TokioRuntimeProvider);

impl RuntimeProvider for ConnectedUdp {
    type Handle = TokioHandle;
    type Timer = TokioTime;
    type Udp = ConnectedUdpSocket;
    type Tcp = AsyncIoTokioAsStd<tokio::net::TcpStream>;

    fn create_handle(&self) -> Self::Handle {
        self.0.create_handle()
    }

    fn connect_tcp(
        &self,
        server_addr: SocketAddr,
        bind_addr: Option<SocketAddr>,
        timeout: Option<Duration>,
    ) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Tcp>>>> {
        self.0.connect_tcp(server_addr, bind_addr, timeout)
    }

    fn bind_udp(
        &self,
        local_addr: SocketAddr,
        server_addr: SocketAddr,
    ) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Udp>>>> {
        Box::pin(async move {
            let socket = tokio::net::UdpSocket::bind(local_addr).await?;
            socket.connect(server_addr).await?;
            Ok(ConnectedUdpSocket {
                socket: Arc::new(socket),
                peer: server_addr,
                waiting: Mutex::new(None),
            })
        })
    }
}

type ReadyFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// A UDP socket connected to one nameserver.
///
/// It sends with `send` rather than `send_to` (BSDs refuse `sendto` on a
/// connected socket) and only ever hears that server, so every datagram is
/// reported as from it. The kernel flags an ICMP refusal as a socket error,
/// which wakes epoll with `EPOLLERR` but not as readable: receiving
/// therefore waits for readable *or* error, and checks `SO_ERROR` first.
pub struct ConnectedUdpSocket {
    socket: Arc<tokio::net::UdpSocket>,
    peer: SocketAddr,
    /// The pending wait for the socket to become readable or fail.
    waiting: Mutex<Option<ReadyFuture>>,
}

impl DnsUdpSocket for ConnectedUdpSocket {
    type Time = TokioTime;

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        loop {
            if let Some(e) = self.socket.take_error()? {
                return Poll::Ready(Err(e));
            }
            match self.socket.try_recv(buf) {
                Ok(n) => return Poll::Ready(Ok((n, self.peer))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            let mut waiting = self
                .waiting
                .lock()
                .map_err(|_| io::Error::other("a DNS socket lock was poisoned"))?;
            let wait = waiting.get_or_insert_with(|| {
                let socket = Arc::clone(&self.socket);
                Box::pin(async move {
                    let ready = socket.ready(Interest::READABLE | Interest::ERROR).await?;
                    if ready.is_error() {
                        // Clears the error readiness once SO_ERROR has been
                        // read, so a spurious one cannot spin this loop.
                        let _ = socket.try_io(Interest::ERROR, || {
                            Err::<(), _>(io::ErrorKind::WouldBlock.into())
                        });
                    }
                    Ok(())
                })
            });
            let woke = ready!(wait.as_mut().poll(cx));
            *waiting = None;
            woke?;
        }
    }

    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        _target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.socket.poll_send(cx, buf)
    }
}

/// Linux errno numbers and messages.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn nameserver_errors_in_words() {
        let one: Vec<SocketAddr> = vec!["127.0.0.1:9".parse().unwrap()];
        let two: Vec<SocketAddr> =
            vec!["127.0.0.1:9".parse().unwrap(), "[::1]:53".parse().unwrap()];
        let err = |code| io::Error::from_raw_os_error(code);
        let cases: &[(i32, &[SocketAddr], Option<&str>)] = &[
            (
                111,
                &one,
                Some("DNS server 127.0.0.1:9 refused the query (nothing listens there)"),
            ),
            (
                113,
                &one,
                Some("DNS server 127.0.0.1:9 cannot be reached (No route to host (os error 113))"),
            ),
            (
                101,
                &one,
                Some("DNS server 127.0.0.1:9 cannot be reached (Network is unreachable (os error 101))"),
            ),
            (
                111,
                &two,
                Some("no DNS server answered (127.0.0.1:9, [::1]:53); one refused the query (nothing listens there)"),
            ),
            (24, &one, None),
        ];
        for (code, servers, want) in cases {
            assert_eq!(
                unreachable_server(&err(*code), servers).as_deref(),
                *want,
                "errno {code}"
            );
        }
    }
}
