//! The reflector server: greets, signs challenges, nothing else.
//!
//! It is exposed to the whole internet, so it is deliberately small: no mail
//! is ever accepted, lines are capped, every line and every connection has a
//! deadline, and connections are bounded twice: in all, and per source (an
//! IPv4 address or an IPv6 /64), so that one client holding idle connections
//! cannot make the reflector turn everyone else away. A connection over
//! either limit gets the tagged busy reply
//! ([`mailport_shared::reflector::busy_reply`]), which agents read as "not
//! tested", never as interception.

use super::callback::{Callback, CallbackLimits};
use ed25519_dalek::{Signer, SigningKey};
use mailport_shared::inbound::callback;
use mailport_shared::reflector::{
    self, busy_reply, decode_hex, encode_hex, format_ports, CHALLENGE_LEN, COMMAND,
};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How the reflector runs.
pub struct ServerConfig {
    /// Addresses to listen on; empty means [`DEFAULT_BINDS`].
    pub binds: Vec<IpAddr>,
    /// Ports to listen on.
    pub ports: Vec<u16>,
    /// Host name in the greeting.
    pub name: String,
    /// The signing key.
    pub key: SigningKey,
    /// Connection limits and deadlines.
    pub limits: Limits,
    /// Call-back (`--callback`): `None` keeps it off.
    pub callback: Option<CallbackLimits>,
}

/// How much one reflector gives, in all and to one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Simultaneous connections at most, all ports together.
    pub max_connections: usize,
    /// Simultaneous connections at most from one source (an IPv4 address,
    /// an IPv6 /64, see [`source_of`]). One check opens one connection per
    /// port and family at once, five with the default ports.
    pub max_per_source: usize,
    /// Longest wait for each command line. An honest exchange takes a few
    /// round trips; a client that says nothing is holding a slot.
    pub line_timeout: Duration,
    /// Whole-connection deadline.
    pub session_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            max_per_source: 8,
            line_timeout: Duration::from_secs(3),
            session_timeout: Duration::from_secs(10),
        }
    }
}

/// Where the reflector listens without `--bind`: `::`, which takes IPv4 too
/// on a dual-stack host; `0.0.0.0` where IPv6 is disabled and `::` cannot
/// be bound.
pub const DEFAULT_BINDS: [IpAddr; 2] = [
    IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    IpAddr::V4(Ipv4Addr::UNSPECIFIED),
];

/// The longest command line accepted.
const MAX_LINE: u64 = 512;
/// Commands per connection at most.
const MAX_COMMANDS: usize = 10;
/// How long a busy reply may take to write before the connection is dropped.
const BUSY_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// The unit the per-source limit counts: an IPv4 address as it is, an IPv6
/// address as its /64, since one customer usually holds a whole /64 and
/// could otherwise take a slot per address. IPv4-mapped IPv6 addresses (a
/// dual-stack socket's view of IPv4 clients) count as IPv4.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Why a connection is turned away before the greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Busy {
    /// Its source already holds [`Limits::max_per_source`] connections.
    Source,
    /// The reflector holds [`Limits::max_connections`].
    Full,
}

impl Busy {
    fn why(self) -> &'static str {
        match self {
            Busy::Source => "too many connections from your address",
            Busy::Full => "too many connections, try again later",
        }
    }
}

/// The reflector, bound and ready to serve.
pub struct Bound {
    listeners: Vec<TcpListener>,
    shared: Arc<Shared>,
}

/// Binds every (address, port) of `cfg`; with no address given, each port
/// on the first of [`DEFAULT_BINDS`] that works. Fails if any socket cannot
/// be bound, so a typo is not silently ignored.
pub async fn bind(cfg: ServerConfig) -> std::io::Result<Bound> {
    let listeners = bind_each(&cfg.binds, &cfg.ports, TcpListener::bind).await?;
    let mut listening = cfg.ports.clone();
    listening.sort_unstable();
    listening.dedup();
    let callback = cfg.callback.map(|limits| Callback::new(&cfg.name, limits));
    let mut limits = cfg.limits;
    if let Some(cb) = &callback {
        // A call-back holds the requesting connection while it runs.
        limits.session_timeout = limits
            .session_timeout
            .max(cb.limits().worst_case() + Duration::from_secs(5));
    }
    let shared = Arc::new(Shared {
        callback,
        name: cfg.name,
        listening,
        key: cfg.key,
        slots: Semaphore::new(cfg.limits.max_connections.max(1)),
        sources: Mutex::new(HashMap::new()),
        limits,
    });
    Ok(Bound { listeners, shared })
}

/// Whether binding `::` failed in a way that binding `0.0.0.0` instead may
/// fix (no IPv6 on this host: address family not supported, address not
/// available…). A port in use or a missing privilege would fail there too,
/// and falling back would hide the real problem.
fn ipv6_unavailable(e: &std::io::Error) -> bool {
    !matches!(
        e.kind(),
        std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied
    )
}

/// Binds with `bind`: every address of `binds` on every port, or, when
/// `binds` is empty, `::` on each port and `0.0.0.0` where `::` is not
/// available.
async fn bind_each<L, F, Fut>(binds: &[IpAddr], ports: &[u16], bind: F) -> std::io::Result<Vec<L>>
where
    F: Fn(SocketAddr) -> Fut,
    Fut: Future<Output = std::io::Result<L>>,
{
    let fail = |addr: SocketAddr, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
    };
    let mut listeners = Vec::new();
    for port in ports {
        if binds.is_empty() {
            let [v6, v4] = DEFAULT_BINDS.map(|ip| SocketAddr::new(ip, *port));
            let l = match bind(v6).await {
                Ok(l) => l,
                Err(e) if ipv6_unavailable(&e) => bind(v4).await.map_err(|e4| {
                    std::io::Error::new(
                        e4.kind(),
                        format!("cannot listen on {v6} ({e}) nor on {v4} ({e4})"),
                    )
                })?,
                Err(e) => return Err(fail(v6, e)),
            };
            listeners.push(l);
        } else {
            for ip in binds {
                let addr = SocketAddr::new(*ip, *port);
                listeners.push(bind(addr).await.map_err(|e| fail(addr, e))?);
            }
        }
    }
    Ok(listeners)
}

impl Bound {
    /// The addresses it listens on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until the future is dropped.
    pub async fn run(self) {
        let mut tasks = tokio::task::JoinSet::new();
        for l in self.listeners {
            let shared = self.shared.clone();
            tasks.spawn(async move {
                loop {
                    let Ok((sock, peer)) = l.accept().await else {
                        // Out of file descriptors and the like: back off.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let shared = shared.clone();
                    tokio::spawn(async move { shared.handle(sock, peer).await });
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// A reflector for tests on a free port of 127.0.0.1, greeting as
/// `reflector.test`: listening when this returns, served until the handle
/// is aborted or the test's runtime ends.
#[cfg(test)]
pub(crate) async fn spawn_on_loopback(
    key: SigningKey,
    limits: Limits,
) -> (u16, tokio::task::JoinHandle<()>) {
    let free = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let port = free.local_addr().expect("its address").port();
    drop(free);
    let bound = bind(ServerConfig {
        binds: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        ports: vec![port],
        name: "reflector.test".into(),
        key,
        limits,
        callback: None,
    })
    .await
    .expect("the reflector binds");
    (port, tokio::spawn(bound.run()))
}

struct Shared {
    /// The call-back service, when enabled.
    callback: Option<Callback>,
    name: String,
    /// The ports it listens on, sorted, signed into every answer.
    listening: Vec<u16>,
    key: SigningKey,
    slots: Semaphore,
    /// Open connections per source ([`source_of`]); sources without one
    /// are removed, so the map is bounded by the open connections.
    sources: Mutex<HashMap<IpAddr, usize>>,
    limits: Limits,
}

/// A connection's place in both limits; dropping it frees both.
struct Admission<'a> {
    _source: SourceSlot<'a>,
    _slot: SemaphorePermit<'a>,
}

/// One connection counted against its source.
struct SourceSlot<'a> {
    shared: &'a Shared,
    source: IpAddr,
}

impl Drop for SourceSlot<'_> {
    fn drop(&mut self) {
        let mut map = self.shared.lock_sources();
        if let Some(n) = map.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.source);
            }
        }
    }
}

impl Shared {
    /// The per-source counts. A panic while holding the lock cannot leave
    /// them inconsistent (each update is one statement), so a poisoned lock
    /// is used as is.
    fn lock_sources(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for a connection from `peer`, per source first, so a
    /// client over its own limit never takes a place from everyone else.
    fn admit(&self, peer: IpAddr) -> Result<Admission<'_>, Busy> {
        let source = source_of(peer);
        {
            let mut map = self.lock_sources();
            let n = map.entry(source).or_insert(0);
            if *n >= self.limits.max_per_source.max(1) {
                return Err(Busy::Source);
            }
            *n += 1;
        }
        let slot = SourceSlot {
            shared: self,
            source,
        };
        let permit = self.slots.try_acquire().map_err(|_| Busy::Full)?;
        Ok(Admission {
            _source: slot,
            _slot: permit,
        })
    }

    async fn handle(&self, mut sock: TcpStream, peer: SocketAddr) {
        match self.admit(peer.ip()) {
            Ok(_admission) => {
                let _ =
                    tokio::time::timeout(self.limits.session_timeout, session(sock, peer, self))
                        .await;
            }
            Err(busy) => {
                let reply = busy_reply(&self.name, busy.why());
                let _ = tokio::time::timeout(BUSY_WRITE_TIMEOUT, sock.write_all(reply.as_bytes()))
                    .await;
            }
        }
    }
}

/// The answer to one XMAILPORT command.
pub fn answer(key: &SigningKey, arg: &str, seen: IpAddr, port: u16, listening: &[u16]) -> String {
    let challenge: Option<[u8; CHALLENGE_LEN]> =
        decode_hex(arg.trim()).and_then(|b| b.try_into().ok());
    match challenge {
        Some(c) => {
            let sig = key.sign(&reflector::signed_message(&c, &seen, port, listening));
            format!(
                "250 {seen} {port} {} {}\r\n",
                format_ports(listening),
                encode_hex(&sig.to_bytes())
            )
        }
        None => "501 5.5.4 XMAILPORT needs a 32-byte challenge in hex\r\n".to_string(),
    }
}

/// One command line, or why there is none.
enum Line {
    Text(Vec<u8>),
    Closed,
    TooLong,
    Idle,
}

async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    timeout: Duration,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut limited = (&mut *reader).take(MAX_LINE);
    let read = limited.read_until(b'\n', &mut buf);
    match tokio::time::timeout(timeout, read).await {
        Err(_) => Ok(Line::Idle),
        Ok(Err(e)) => Err(e),
        Ok(Ok(0)) => Ok(Line::Closed),
        Ok(Ok(_)) if !buf.ends_with(b"\n") => Ok(Line::TooLong),
        Ok(Ok(_)) => Ok(Line::Text(buf)),
    }
}

async fn session(sock: TcpStream, peer: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    let local_port = sock.local_addr()?.port();
    // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d.
    let seen = peer.ip().to_canonical();
    let (r, mut w) = sock.into_split();
    let mut reader = BufReader::new(r);
    w.write_all(format!("220 {} ESMTP {}\r\n", shared.name, reflector::GREETING_TAG).as_bytes())
        .await?;
    for _ in 0..MAX_COMMANDS {
        let buf = match read_line(&mut reader, shared.limits.line_timeout).await? {
            Line::Text(buf) => buf,
            Line::Closed => return Ok(()),
            Line::TooLong => {
                w.write_all(b"500 5.5.2 line too long\r\n").await?;
                return Ok(());
            }
            Line::Idle => {
                let bye = format!("421 4.4.2 {} idle for too long, closing\r\n", shared.name);
                w.write_all(bye.as_bytes()).await?;
                return Ok(());
            }
        };
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end();
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" if shared.callback.is_some() => format!(
                "250-{}\r\n250-{COMMAND}\r\n250 {}\r\n",
                shared.name,
                callback::COMMAND
            ),
            "EHLO" => format!("250-{}\r\n250 {COMMAND}\r\n", shared.name),
            "HELO" => format!("250 {}\r\n", shared.name),
            "NOOP" => "250 2.0.0 ok\r\n".to_string(),
            "QUIT" => {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            v if v == COMMAND => answer(&shared.key, arg, seen, local_port, &shared.listening),
            v if v == callback::COMMAND => match &shared.callback {
                Some(cb) => cb.answer(&shared.key, line, seen).await,
                None => callback::refusal_line("call-back is not enabled on this reflector"),
            },
            _ => "502 5.5.2 mailport reflector: only EHLO, XMAILPORT and QUIT\r\n".to_string(),
        };
        w.write_all(reply.as_bytes()).await?;
    }
    w.write_all(b"421 4.7.0 too many commands\r\n").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start(limits: Limits) -> u16 {
        spawn_on_loopback(SigningKey::from_bytes(&[4u8; 32]), limits)
            .await
            .0
    }

    fn quick() -> Limits {
        Limits {
            max_connections: 4,
            max_per_source: 4,
            line_timeout: Duration::from_millis(500),
            session_timeout: Duration::from_secs(2),
        }
    }

    /// Sends `input`, returns everything the reflector says until it closes.
    async fn talk(port: u16, input: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(input).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A connection from `source` (a loopback address) that reads the
    /// greeting, or the busy reply, and then holds the connection idle.
    async fn hold(source: &str, port: u16) -> (TcpStream, String) {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        let from: IpAddr = source.parse().unwrap();
        sock.bind(SocketAddr::new(from, 0)).unwrap();
        let mut s = sock
            .connect(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .unwrap();
        let mut buf = vec![0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .expect("a first line in time")
            .unwrap_or(0);
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        (s, line)
    }

    fn busy(line: &str) -> bool {
        let text = line.trim_end();
        mailport_shared::reflector::is_busy(
            text.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0),
            Some(text.get(4..).unwrap_or("")),
        )
    }

    #[tokio::test]
    async fn hostile_and_odd_clients() {
        let port = start(quick()).await;
        let rows: &[(&[u8], &[&str])] = &[
            (
                b"EHLO me\r\nQUIT\r\n",
                &[
                    "220 reflector.test ESMTP mailport-reflector",
                    "250 XMAILPORT",
                    "221",
                ],
            ),
            (b"MAIL FROM:<a@b>\r\nQUIT\r\n", &["502 5.5.2", "221"]),
            (b"XMAILPORT nothex\r\nQUIT\r\n", &["501 5.5.4", "221"]),
            (&[b'A'; 2000], &["500 5.5.2 line too long"]),
            (&b"NOOP\r\n".repeat(20), &["421 4.7.0 too many commands"]),
            (b"\xff\xfe\r\nQUIT\r\n", &["502", "221"]),
            // Says nothing after the greeting: closed after one line timeout.
            (b"", &["220 ", "421 4.4.2 reflector.test idle"]),
            (b"EHLO half a line", &["421 4.4.2 reflector.test idle"]),
        ];
        for (input, wants) in rows {
            let got = talk(port, input).await;
            for w in *wants {
                assert!(
                    got.contains(w),
                    "{:?}: {w:?} not in {got:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    /// The audit's attack: one client holds many idle connections. It gets
    /// its share and then the tagged busy reply; another client is still
    /// served; and the held connections do not outlive the line timeout.
    #[tokio::test]
    async fn a_flood_from_one_source_does_not_lock_others_out() {
        let limits = Limits {
            max_connections: 16,
            max_per_source: 3,
            line_timeout: Duration::from_millis(600),
            session_timeout: Duration::from_secs(5),
        };
        let port = start(limits).await;
        let mut held = Vec::new();
        let mut greeted = 0;
        let mut refused = 0;
        for _ in 0..20 {
            let (s, line) = hold("127.0.0.1", port).await;
            if line.starts_with("220 reflector.test ESMTP mailport-reflector") {
                greeted += 1;
            } else {
                assert!(busy(&line), "neither greeting nor busy: {line:?}");
                assert!(
                    line.contains("from your address"),
                    "the reply says why: {line:?}"
                );
                refused += 1;
            }
            held.push(s);
        }
        assert_eq!((greeted, refused), (3, 17));

        // Another source is served while the flood holds its connections.
        let (_other, line) = hold("127.0.0.2", port).await;
        assert!(line.starts_with("220 "), "{line:?}");

        // The idle connections are closed after the line timeout, and the
        // flooding source gets served again.
        tokio::time::sleep(Duration::from_millis(900)).await;
        let (_again, line) = hold("127.0.0.1", port).await;
        assert!(line.starts_with("220 "), "{line:?}");
    }

    /// Many sources together fill the global limit; the rest are told so,
    /// tagged as well.
    #[tokio::test]
    async fn a_full_reflector_says_busy() {
        let port = start(Limits {
            max_connections: 2,
            max_per_source: 8,
            ..quick()
        })
        .await;
        let (_a, first) = hold("127.0.0.3", port).await;
        let (_b, second) = hold("127.0.0.4", port).await;
        let (_c, third) = hold("127.0.0.5", port).await;
        assert!(first.starts_with("220 ") && second.starts_with("220 "));
        assert!(busy(&third), "{third:?}");
        assert!(third.contains("try again later"), "{third:?}");
    }

    #[test]
    fn sources() {
        let s = |ip: &str| source_of(ip.parse().unwrap()).to_string();
        assert_eq!(s("192.0.2.7"), "192.0.2.7");
        assert_eq!(s("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(s("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::");
        assert_eq!(s("2001:db8:1:2::ffff"), s("2001:db8:1:2:aaaa::1"));
        assert_ne!(s("2001:db8:1:2::1"), s("2001:db8:1:3::1"));
    }

    /// Without --bind: `::`, and `0.0.0.0` on a host without IPv6; a port
    /// in use is an error, not a reason to fall back.
    #[tokio::test]
    async fn default_binds_fall_back_to_ipv4() {
        use std::io::{Error, ErrorKind};
        let no_ipv6 = |addr: SocketAddr| async move {
            if addr.is_ipv6() {
                // EAFNOSUPPORT, as with ipv6.disable=1.
                Err(Error::from_raw_os_error(97))
            } else {
                Ok(addr)
            }
        };
        let got = bind_each(&[], &[25, 587], no_ipv6).await.unwrap();
        assert_eq!(
            got,
            [
                "0.0.0.0:25".parse().unwrap(),
                "0.0.0.0:587".parse().unwrap()
            ]
        );

        let dual = |addr: SocketAddr| async move { Ok::<_, Error>(addr) };
        let got = bind_each(&[], &[25], dual).await.unwrap();
        assert_eq!(got, ["[::]:25".parse::<SocketAddr>().unwrap()]);

        let in_use = |addr: SocketAddr| async move {
            Err::<SocketAddr, _>(Error::new(ErrorKind::AddrInUse, format!("{addr} taken")))
        };
        let err = bind_each(&[], &[25], in_use).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        assert!(err.to_string().contains("[::]:25"), "{err}");

        let nothing = |addr: SocketAddr| async move {
            Err::<SocketAddr, _>(if addr.is_ipv6() {
                Error::from_raw_os_error(97)
            } else {
                Error::new(ErrorKind::PermissionDenied, "denied")
            })
        };
        let err = bind_each(&[], &[25], nothing).await.unwrap_err();
        assert!(
            err.to_string().contains("[::]:25") && err.to_string().contains("0.0.0.0:25"),
            "{err}"
        );

        // Explicit addresses are bound as given, with no fallback.
        let err = bind_each(&["::".parse().unwrap()], &[25], no_ipv6)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot listen on [::]:25"),
            "{err}"
        );
    }
}
