//! A minimal DNS-over-UDP client: one question to one server, with a
//! deadline.
//!
//! Why not the stub resolver: the public-address trick needs the question
//! asked *directly* at a chosen authoritative server (asked through a
//! resolver, `myip.opendns.com` would name the resolver), and every lookup
//! here must say exactly how it ended (NXDOMAIN, refused, timed out, no
//! route) because each of those means something different to the user.

use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// How one query ended, when it did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No reply before the deadline.
    #[error("no answer in time")]
    Timeout,
    /// This machine has no route for the server's address family.
    #[error("no route to {0} (no connectivity for this address family)")]
    NoRoute(SocketAddr),
    /// A socket error.
    #[error("network error talking to {server}: {source}")]
    Io {
        /// The server.
        server: SocketAddr,
        /// The error.
        source: io::Error,
    },
    /// The server answered with an error code (SERVFAIL, REFUSED...).
    #[error("{server} answered {rcode}")]
    Rcode {
        /// The server.
        server: SocketAddr,
        /// Its response code.
        rcode: ResponseCode,
    },
    /// No resolver to ask.
    #[error("no DNS resolver is configured")]
    NoResolver,
    /// The question itself is not a valid DNS name.
    #[error("invalid query name {0:?}")]
    BadName(String),
}

impl QueryError {
    /// Whether the error means "no connectivity for this family".
    pub fn is_no_route(&self) -> bool {
        matches!(self, QueryError::NoRoute(_))
    }
}

/// A reply: NOERROR with records, or NXDOMAIN (empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// NXDOMAIN (the name does not exist).
    pub nxdomain: bool,
    /// The answer section's data, CNAMEs included.
    pub records: Vec<RData>,
}

impl Answer {
    /// The IPv4 addresses in the answer.
    pub fn ipv4(&self) -> Vec<Ipv4Addr> {
        self.records
            .iter()
            .filter_map(|r| match r {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect()
    }

    /// The IPv6 addresses in the answer.
    pub fn ipv6(&self) -> Vec<Ipv6Addr> {
        self.records
            .iter()
            .filter_map(|r| match r {
                RData::AAAA(a) => Some(a.0),
                _ => None,
            })
            .collect()
    }

    /// The addresses of either family.
    pub fn ips(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self.ipv4().into_iter().map(IpAddr::V4).collect();
        v.extend(self.ipv6().into_iter().map(IpAddr::V6));
        v
    }

    /// Each TXT record, its character-strings joined, lossily decoded.
    pub fn txt(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|r| match r {
                RData::TXT(t) => Some(
                    t.txt_data()
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect()
    }

    /// The PTR names, without the trailing dot, made printable.
    pub fn ptr_names(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|r| match r {
                RData::PTR(p) => Some(printable_name(&p.0)),
                _ => None,
            })
            .collect()
    }
}

/// A DNS name as safe, bounded text: whatever a hostile server puts in a
/// label ends up escaped, never as control characters on a terminal.
pub fn printable_name(name: &Name) -> String {
    let s = name.to_ascii();
    let s = s.trim_end_matches('.');
    s.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(253)
        .collect()
}

fn random_id() -> u16 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x6d61_696c_706f_7274);
    (h.finish() & 0xffff) as u16
}

/// Asks `server` one question. `recursion` sets the RD bit (off for
/// authoritative servers, on for resolvers). The query is sent again once
/// halfway to the deadline, in case a datagram was lost.
pub async fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    recursion: bool,
    deadline: Instant,
) -> Result<Answer, QueryError> {
    let qname = Name::from_ascii(name).map_err(|_| QueryError::BadName(name.to_string()))?;
    let id = random_id();
    let mut msg = Message::new();
    msg.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(recursion)
        .add_query(Query::query(qname.clone(), rtype));
    let bytes = msg
        .to_vec()
        .map_err(|_| QueryError::BadName(name.to_string()))?;

    let io_err = |source: io::Error| classify_io(server, source);
    let bind: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let sock = UdpSocket::bind(bind).await.map_err(io_err)?;
    sock.connect(server).await.map_err(io_err)?;
    sock.send(&bytes).await.map_err(io_err)?;

    let start = Instant::now();
    let resend_at = start + (deadline.saturating_duration_since(start) / 2);
    let mut resent = false;
    let mut buf = vec![0u8; 4096];
    loop {
        let wake = if resent { deadline } else { resend_at };
        match tokio::time::timeout_at(wake, sock.recv(&mut buf)).await {
            Err(_) if !resent => {
                resent = true;
                sock.send(&bytes).await.map_err(io_err)?;
            }
            Err(_) => return Err(QueryError::Timeout),
            Ok(Err(e)) => {
                // ICMP port unreachable shows up as ECONNREFUSED on a
                // connected socket: the server is not there.
                return Err(io_err(e));
            }
            Ok(Ok(n)) => {
                let Ok(reply) = Message::from_vec(&buf[..n]) else {
                    continue; // garbage: keep waiting for the real answer
                };
                let same_question = reply
                    .queries()
                    .first()
                    .is_some_and(|q| q.query_type() == rtype && q.name().eq_ignore_root(&qname));
                if reply.id() != id
                    || reply.message_type() != MessageType::Response
                    || !same_question
                {
                    continue; // not ours (spoofed or stale)
                }
                return match reply.response_code() {
                    ResponseCode::NoError => Ok(Answer {
                        nxdomain: false,
                        records: reply.answers().iter().map(|r| r.data().clone()).collect(),
                    }),
                    ResponseCode::NXDomain => Ok(Answer {
                        nxdomain: true,
                        records: Vec::new(),
                    }),
                    rcode => Err(QueryError::Rcode { server, rcode }),
                };
            }
        }
    }
}

fn classify_io(server: SocketAddr, source: io::Error) -> QueryError {
    // No route / no address of this family on the machine, in this OS's
    // numbers (the connect tables of the probe).
    use crate::probe::tcp::{connect_error, ConnectError, Os};
    match source
        .raw_os_error()
        .and_then(|c| connect_error(Os::CURRENT, c))
    {
        Some(ConnectError::NetUnreachable | ConnectError::AddrNotAvailable) => {
            QueryError::NoRoute(server)
        }
        _ if source.kind() == io::ErrorKind::NetworkUnreachable => QueryError::NoRoute(server),
        _ => QueryError::Io { server, source },
    }
}

/// Asks the resolvers in order until one answers (NOERROR or NXDOMAIN),
/// each with at most `per_try` of the time left.
pub async fn resolve(
    resolvers: &[SocketAddr],
    name: &str,
    rtype: RecordType,
    per_try: Duration,
    deadline: Instant,
) -> Result<Answer, QueryError> {
    let mut last = QueryError::NoResolver;
    for server in resolvers {
        let now = Instant::now();
        if now >= deadline {
            return Err(QueryError::Timeout);
        }
        let try_deadline = (now + per_try).min(deadline);
        match query(*server, name, rtype, true, try_deadline).await {
            Ok(a) => return Ok(a),
            Err(e @ QueryError::BadName(_)) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_resolver_is_an_error_of_its_own() {
        let deadline = Instant::now() + Duration::from_millis(200);
        let r = resolve(
            &[],
            "example.org",
            RecordType::A,
            Duration::from_millis(100),
            deadline,
        )
        .await;
        assert!(matches!(r, Err(QueryError::NoResolver)), "{r:?}");
    }

    #[tokio::test]
    async fn bad_names_are_refused_before_sending() {
        let deadline = Instant::now() + Duration::from_millis(200);
        let long = "a".repeat(300);
        let r = query(
            "127.0.0.1:9".parse().expect("addr"),
            &long,
            RecordType::A,
            true,
            deadline,
        )
        .await;
        assert!(matches!(r, Err(QueryError::BadName(_))), "{r:?}");
    }

    #[tokio::test]
    async fn garbage_and_foreign_replies_are_ignored_until_the_deadline() {
        // A server that answers every query with garbage, then with a reply
        // carrying the wrong id: neither is taken for an answer.
        let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = sock.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let _ = sock.send_to(b"\x00garbage", from).await;
                if let Ok(req) = Message::from_vec(&buf[..n]) {
                    let mut resp = req.clone();
                    resp.set_id(req.id().wrapping_add(1))
                        .set_message_type(MessageType::Response);
                    if let Ok(b) = resp.to_vec() {
                        let _ = sock.send_to(&b, from).await;
                    }
                }
            }
        });
        let deadline = Instant::now() + Duration::from_millis(300);
        let r = query(addr, "example.org", RecordType::A, true, deadline).await;
        assert!(matches!(r, Err(QueryError::Timeout)), "{r:?}");
        task.abort();
    }

    #[test]
    fn printable_names_drop_control_characters() {
        let n = Name::from_labels(vec![&b"evil\x1b[31m"[..], &b"example"[..]]).expect("name");
        let p = printable_name(&n);
        assert!(!p.chars().any(|c| c.is_control()), "{p:?}");
        assert!(p.ends_with("example"), "{p:?}");
    }
}
