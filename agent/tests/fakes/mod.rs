//! Fake mail servers on loopback, and a dialer that sends a check's logical
//! addresses (`127.0.0.2:25`) to them (ephemeral ports), so the probes see
//! the ports they would in real use. Nothing here reaches beyond loopback.
#![allow(dead_code)]

/// The one fake DNS server of every suite.
#[path = "../../../tests/fake_dns.rs"]
pub mod dns;

use mailport::probe::dial::{ConnectFuture, Dialer};
use mailport::{Env, EnvBuilder};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// What a fake does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// A normal server: greets, answers EHLO (offering STARTTLS when it has
    /// a certificate), upgrades, says goodbye.
    Smtp {
        /// Greeting lines (sent as a multi-line reply when several).
        greeting: Vec<String>,
        /// Wait this long before greeting.
        delay: Duration,
        /// Offer STARTTLS with this configuration.
        starttls: Option<TlsAcceptor>,
        /// Answer EHLO with this code (250 for a normal server).
        ehlo_code: u16,
    },
    /// TLS from the first byte (port 465), then like `Smtp` without STARTTLS.
    ImplicitTls {
        /// The greeting line.
        greeting: String,
        /// The TLS configuration.
        acceptor: TlsAcceptor,
    },
    /// Accepts and never says anything.
    Silent,
    /// Accepts and closes at once.
    Close,
    /// Accepts and resets the connection.
    Reset,
    /// Speaks first, in HTTP.
    Http,
    /// Sends a greeting line that never ends.
    EndlessLine,
    /// Sends a greeting one byte at a time, slowly, forever.
    Trickle(Duration),
    /// Sends these bytes, then answers nothing until the client leaves.
    Raw(&'static [u8]),
    /// Sends the first chunk, then the next one after each line received.
    Scripted(&'static [&'static [u8]]),
    /// A port tester (portquiz.net): silent until the client sends a
    /// request, then an HTTP answer and a close.
    PortTester,
    /// Greets, then resets the connection when EHLO arrives (a DPI box).
    ResetAfterEhlo(&'static str),
}

impl Behaviour {
    /// A plain server greeting with `line`.
    pub fn smtp(line: &str) -> Self {
        Behaviour::Smtp {
            greeting: vec![line.to_string()],
            delay: Duration::ZERO,
            starttls: None,
            ehlo_code: 250,
        }
    }

    /// A server greeting with `line` and offering STARTTLS with `cert`.
    pub fn smtp_tls(line: &str, cert: &TestCert) -> Self {
        Behaviour::Smtp {
            greeting: vec![line.to_string()],
            delay: Duration::ZERO,
            starttls: Some(cert.acceptor()),
            ehlo_code: 250,
        }
    }
}

/// A self-signed certificate for the fakes, valid for localhost and a few
/// loopback addresses; a test trusts it through [`EnvBuilder::extra_roots`].
#[derive(Clone)]
pub struct TestCert {
    pub der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    pub fn new() -> Self {
        let names: Vec<String> = ["localhost", "127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ck = rcgen::generate_simple_self_signed(names).expect("rcgen");
        TestCert {
            der: ck.cert.der().clone(),
            key: ck.key_pair.serialize_der(),
        }
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![self.der.clone()], key)
        .expect("server config");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A running fake: where it listens and how many connections it took.
#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
    /// Set when a connection ended (EOF or error) while the fake waited.
    pub closed: Arc<AtomicUsize>,
}

/// Starts a fake on `bind` (e.g. `127.0.0.1:0` or `[::1]:0`).
pub async fn start_on(bind: &str, behaviour: Behaviour) -> io::Result<Fake> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let accepted = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let fake = Fake {
        addr,
        accepted: accepted.clone(),
        closed: closed.clone(),
    };
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            let b = behaviour.clone();
            let closed = closed.clone();
            tokio::spawn(async move {
                let _ = serve(stream, b).await;
                closed.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    Ok(fake)
}

/// Starts a fake on `ip:25`, the port scripts and the exit code judge.
/// Binding it needs root (or a low `ip_unprivileged_port_start`): without
/// that the caller is told to skip, except in CI, where it fails.
pub async fn start_on_port_25(ip: &str, behaviour: Behaviour, test: &str) -> Option<Fake> {
    match start_on(&format!("{ip}:25"), behaviour).await {
        Ok(fake) => Some(fake),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            skip_or_fail(test, "binding port 25 needs root here");
            None
        }
        Err(e) => panic!("{test}: cannot bind {ip}:25: {e}"),
    }
}

#[path = "../../../tests/ci.rs"]
mod ci;
#[allow(unused_imports)] // each test binary uses its own part of the fakes
pub use ci::{required, skip_or_fail};

/// A loopback address of its own for one test, `127.<a>.<b>.<last>`, so
/// tests running at once (and in parallel processes) never share a port.
pub fn own_loopback(last: u8) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id() as usize;
    format!("127.{}.{}.{last}", 100 + pid % 100, n % 250)
}

/// Starts a fake on IPv4 loopback.
pub async fn start(behaviour: Behaviour) -> Fake {
    start_on("127.0.0.1:0", behaviour)
        .await
        .expect("bind loopback")
}

/// A loopback port on which nothing listens (bound, then released).
pub async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    addr
}

/// A loopback UDP port on which nothing listens: a DNS server that is down.
pub async fn closed_udp_port() -> SocketAddr {
    let s = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = s.local_addr().expect("addr");
    drop(s);
    addr
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour) -> io::Result<()> {
    match behaviour {
        Behaviour::Smtp {
            greeting,
            delay,
            starttls,
            ehlo_code,
        } => {
            tokio::time::sleep(delay).await;
            stream.write_all(multi(220, &greeting).as_bytes()).await?;
            if let Some(upgrade) = dialogue(&mut stream, starttls.is_some(), ehlo_code).await? {
                if upgrade {
                    if let Some(acceptor) = starttls {
                        let mut tls = acceptor.accept(stream).await?;
                        dialogue(&mut tls, false, ehlo_code).await?;
                    }
                }
            }
            Ok(())
        }
        Behaviour::ImplicitTls { greeting, acceptor } => {
            let mut tls = acceptor.accept(stream).await?;
            tls.write_all(format!("220 {greeting}\r\n").as_bytes())
                .await?;
            dialogue(&mut tls, false, 250).await?;
            Ok(())
        }
        Behaviour::Silent => {
            // Wait for the client to go away.
            let mut buf = [0u8; 256];
            loop {
                let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
            }
        }
        Behaviour::Close => Ok(()),
        Behaviour::Reset => {
            stream.set_zero_linger()?;
            Ok(())
        }
        Behaviour::Http => {
            stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await?;
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        }
        Behaviour::EndlessLine => {
            stream.write_all(b"220 ").await?;
            let chunk = vec![b'a'; 4096];
            loop {
                stream.write_all(&chunk).await?;
            }
        }
        Behaviour::Raw(bytes) => {
            stream.write_all(bytes).await?;
            let mut buf = [0u8; 256];
            while tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await? > 0 {}
            Ok(())
        }
        Behaviour::Scripted(chunks) => {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            for chunk in chunks {
                reader.get_mut().write_all(chunk).await?;
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    break;
                }
            }
            Ok(())
        }
        Behaviour::PortTester => {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    break;
                }
            }
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await?;
            Ok(())
        }
        Behaviour::ResetAfterEhlo(greeting) => {
            stream
                .write_all(format!("220 {greeting}\r\n").as_bytes())
                .await?;
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            reader.into_inner().set_zero_linger()?;
            Ok(())
        }
        Behaviour::Trickle(every) => loop {
            stream.write_all(b"2").await?;
            tokio::time::sleep(every).await;
        },
    }
}

fn multi(code: u16, lines: &[String]) -> String {
    let mut s = String::new();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        s.push_str(&format!("{code}{sep}{l}\r\n"));
    }
    s
}

/// Answers commands until QUIT or STARTTLS. `Some(true)`: upgrade now.
async fn dialogue<S>(stream: &mut S, offer_tls: bool, ehlo_code: u16) -> io::Result<Option<bool>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        let answer = if cmd.starts_with("EHLO") {
            if ehlo_code != 250 {
                format!("{ehlo_code} 5.5.1 Command unrecognized\r\n")
            } else if offer_tls {
                "250-fake.test Hello\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
                    .to_string()
            } else {
                "250-fake.test Hello\r\n250 SIZE 10240000\r\n".to_string()
            }
        } else if cmd == "STARTTLS" && offer_tls {
            reader
                .get_mut()
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                .await?;
            return Ok(Some(true));
        } else if cmd == "QUIT" {
            reader.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(Some(false));
        } else {
            "500 5.5.2 Error: command not recognized\r\n".to_string()
        };
        reader.get_mut().write_all(answer.as_bytes()).await?;
    }
}

/// Sends logical addresses to fakes; anything unmapped is refused without
/// touching the network, so a test can never reach a real host.
#[derive(Clone, Default)]
pub struct MapDialer {
    routes: Arc<Mutex<HashMap<SocketAddr, Route>>>,
    /// Per port: how many more connects the "network" lets through before
    /// it drops the next ones (a rate limit).
    budgets: Arc<Mutex<HashMap<u16, usize>>>,
    pub connects: Arc<AtomicUsize>,
}

#[derive(Clone, Copy)]
enum Route {
    To(SocketAddr),
    /// The SYN is "dropped": the connect never completes.
    Blackhole,
    /// `connect()` fails at once with this OS error (errno).
    Fail(i32),
    /// The first `n` SYNs are lost (those connects never complete), the
    /// next ones reach the fake: a lossy line.
    Lossy(SocketAddr, usize),
}

impl MapDialer {
    pub fn new() -> Self {
        Self::default()
    }

    /// `ip:port` goes to `to`.
    pub fn map(&self, ip: &str, port: u16, to: SocketAddr) -> &Self {
        self.route(ip, port, Route::To(to))
    }

    /// `ip:port` never answers.
    pub fn blackhole(&self, ip: &str, port: u16) -> &Self {
        self.route(ip, port, Route::Blackhole)
    }

    /// Connecting to `ip:port` fails with the OS error `errno`, as when
    /// this machine runs out of file descriptors (24, EMFILE).
    pub fn fail(&self, ip: &str, port: u16, errno: i32) -> &Self {
        self.route(ip, port, Route::Fail(errno))
    }

    /// A rate limit on `port`: the first `n` connects to any address pass,
    /// the next ones are dropped.
    pub fn rate_limit(&self, port: u16, n: usize) -> &Self {
        self.budgets.lock().expect("lock").insert(port, n);
        self
    }

    /// The first `lost` connects to `ip:port` never complete, the next ones
    /// go to `to`.
    pub fn lossy(&self, ip: &str, port: u16, to: SocketAddr, lost: usize) -> &Self {
        self.route(ip, port, Route::Lossy(to, lost))
    }

    fn route(&self, ip: &str, port: u16, route: Route) -> &Self {
        let ip: IpAddr = ip.parse().expect("test ip");
        self.routes
            .lock()
            .expect("lock")
            .insert(SocketAddr::new(ip, port), route);
        self
    }

    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }
}

impl Dialer for MapDialer {
    fn connect(&self, addr: SocketAddr) -> ConnectFuture<'_> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        let route = self.routes.lock().ok().and_then(|mut m| {
            let route = m.get(&addr).copied();
            // One SYN fewer to lose.
            if let Some(Route::Lossy(to, n)) = route {
                m.insert(addr, Route::Lossy(to, n.saturating_sub(1)));
            }
            route
        });
        let over_budget =
            self.budgets
                .lock()
                .ok()
                .is_some_and(|mut b| match b.get_mut(&addr.port()) {
                    Some(0) => true,
                    Some(n) => {
                        *n -= 1;
                        false
                    }
                    None => false,
                });
        Box::pin(async move {
            if over_budget {
                return std::future::pending().await;
            }
            match route {
                Some(Route::To(to)) => TcpStream::connect(to).await,
                Some(Route::Blackhole) => std::future::pending().await,
                Some(Route::Fail(errno)) => Err(io::Error::from_raw_os_error(errno)),
                Some(Route::Lossy(_, n)) if n > 0 => std::future::pending().await,
                Some(Route::Lossy(to, _)) => TcpStream::connect(to).await,
                None => Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{addr} is not mapped in this test"),
                )),
            }
        })
    }
}

/// An environment for tests: the map dialer, private addresses allowed,
/// the test certificate trusted, a fixed EHLO name.
pub fn env(dialer: &MapDialer, cert: Option<&TestCert>) -> Env {
    env_builder(dialer, cert).build().expect("env")
}

pub fn env_builder(dialer: &MapDialer, cert: Option<&TestCert>) -> EnvBuilder {
    let mut b = Env::builder()
        .dialer(Arc::new(dialer.clone()))
        .allow_private(true)
        .ehlo_name("probe.mailport.test")
        // No control probes unless a test asks for them (they would count
        // among the dialer's connects).
        .control_port(None)
        // No system resolver in tests: a nameserver that is never asked for
        // IP literals, and refuses quickly if it is.
        .nameservers(vec!["127.0.0.1:9".parse().expect("addr")]);
    if let Some(c) = cert {
        b = b.extra_roots(vec![c.der.clone()]);
    }
    b
}

/// Whether `::1` can be bound here.
pub async fn ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").await.is_ok()
}

/// Whether `::1` can be bound here; if not, `test` is skipped visibly (a
/// failure in CI, whose machines have IPv6 loopback).
pub async fn ipv6_loopback_or_skip(test: &str) -> bool {
    let ok = ipv6_loopback().await;
    if !ok {
        skip_or_fail(test, "::1 is not configured here");
    }
    ok
}
