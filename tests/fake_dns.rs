//! The one fake DNS server of every test suite: the agent's integration
//! tests (`agent/tests/fakes`), its network-facts tests, and the simulated
//! internet's `netsim-helper dns` all include this file by path. Built on
//! `hickory-proto`, so queries and answers are real DNS messages, not a
//! hand-written wire format.
//!
//! A zone answers per (name, type): records, the asker's own address (as
//! OpenDNS's `myip.opendns.com` does), an error code, or silence (that one
//! lookup times out). A name it does not know is NXDOMAIN; a known name
//! without records of the type asked is an empty answer (NODATA).

#![allow(dead_code)] // each suite uses part of it

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// What the zone answers for one (name, type).
#[derive(Clone, Debug)]
enum Answer {
    Records(Vec<RData>),
    /// The address the query came from, when it is of the type's family.
    Asker,
    Rcode(ResponseCode),
    /// No answer at all.
    Silent,
}

/// The records of a fake zone.
#[derive(Clone, Debug, Default)]
pub struct Zone {
    answers: HashMap<(String, RecordType), Answer>,
    /// Names that exist (NODATA rather than NXDOMAIN for other types).
    names: std::collections::HashSet<String>,
    /// Silent for every query: a resolver that never answers.
    all_silent: bool,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn fqdn(name: &str) -> Name {
    Name::from_str(&format!("{}.", name.trim_end_matches('.'))).expect("a test name")
}

impl Zone {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self::default()
    }

    /// A zone that never answers anything.
    pub fn silent_everywhere() -> Self {
        Zone {
            all_silent: true,
            ..Zone::default()
        }
    }

    fn set(&mut self, name: &str, rtype: RecordType, answer: Answer) -> &mut Self {
        self.names.insert(key(name));
        self.answers.insert((key(name), rtype), answer);
        self
    }

    fn push(&mut self, name: &str, rtype: RecordType, rdata: RData) -> &mut Self {
        self.names.insert(key(name));
        let entry = self
            .answers
            .entry((key(name), rtype))
            .or_insert(Answer::Records(Vec::new()));
        if let Answer::Records(v) = entry {
            v.push(rdata);
        } else {
            *entry = Answer::Records(vec![rdata]);
        }
        self
    }

    /// An A or AAAA record, by the address's family.
    pub fn addr(&mut self, name: &str, ip: &str) -> &mut Self {
        match ip.parse::<IpAddr>().expect("a test address") {
            IpAddr::V4(v4) => self.push(name, RecordType::A, RData::A(A(v4))),
            IpAddr::V6(v6) => self.push(name, RecordType::AAAA, RData::AAAA(AAAA(v6))),
        }
    }

    /// An MX record (`.` as exchange makes a null MX).
    pub fn mx(&mut self, name: &str, preference: u16, exchange: &str) -> &mut Self {
        let rdata = RData::MX(MX::new(preference, fqdn(exchange)));
        self.push(name, RecordType::MX, rdata)
    }

    /// A TXT record of one character-string.
    pub fn txt(&mut self, name: &str, text: &str) -> &mut Self {
        let rdata = RData::TXT(TXT::new(vec![text.to_string()]));
        self.push(name, RecordType::TXT, rdata)
    }

    /// A PTR record.
    pub fn ptr(&mut self, name: &str, target: &str) -> &mut Self {
        self.push(name, RecordType::PTR, RData::PTR(PTR(fqdn(target))))
    }

    /// An A (`v6` false) or AAAA record holding the asker's own address.
    pub fn asker(&mut self, name: &str, v6: bool) -> &mut Self {
        let rtype = if v6 { RecordType::AAAA } else { RecordType::A };
        self.set(name, rtype, Answer::Asker)
    }

    /// A name that exists with no records asked for (NODATA answers).
    pub fn exists(&mut self, name: &str) -> &mut Self {
        self.names.insert(key(name));
        self
    }

    /// An error code for one (name, type).
    pub fn rcode(&mut self, name: &str, rtype: RecordType, code: ResponseCode) -> &mut Self {
        self.set(name, rtype, Answer::Rcode(code))
    }

    /// No answer for one (name, type): that lookup times out.
    pub fn silent(&mut self, name: &str, rtype: RecordType) -> &mut Self {
        self.set(name, rtype, Answer::Silent)
    }

    /// A zone file: one record per line, `NAME TYPE VALUE` with TYPE A or
    /// AAAA (an address, or `asker`), MX (`PREFERENCE NAME`), TXT (the rest
    /// of the line, spaces included) or PTR.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let mut zone = Zone::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.trim().splitn(3, char::is_whitespace).collect();
            let [name, ty, value] = parts.as_slice() else {
                return Err(format!("bad zone line: {line}"));
            };
            let value = value.trim();
            match ty.to_ascii_uppercase().as_str() {
                ty @ ("A" | "AAAA") if value.eq_ignore_ascii_case("asker") => {
                    zone.asker(name, ty == "AAAA");
                }
                "A" | "AAAA" => {
                    value
                        .parse::<IpAddr>()
                        .map_err(|_| format!("bad address in {line}"))?;
                    zone.addr(name, value);
                }
                "MX" => {
                    let (pref, exchange) = value
                        .split_once(char::is_whitespace)
                        .ok_or_else(|| format!("MX needs PREFERENCE NAME: {line}"))?;
                    let pref = pref
                        .parse()
                        .map_err(|_| format!("bad preference in {line}"))?;
                    zone.mx(name, pref, exchange.trim());
                }
                "TXT" => {
                    zone.txt(name, value);
                }
                "PTR" => {
                    zone.ptr(name, value);
                }
                other => return Err(format!("unknown record type {other} in {line}")),
            }
        }
        Ok(zone)
    }

    /// The answer to `query` from `asker`; `None` when the zone stays
    /// silent (or the query asks nothing).
    pub fn respond(&self, query: &Message, asker: IpAddr) -> Option<Message> {
        if self.all_silent {
            return None;
        }
        let mut m = Message::new();
        m.set_id(query.id())
            .set_message_type(MessageType::Response)
            .set_op_code(query.op_code())
            .set_recursion_desired(query.recursion_desired())
            .set_recursion_available(true)
            .set_authoritative(true);
        let Some(q) = query.queries().first() else {
            m.set_response_code(ResponseCode::FormErr);
            return Some(m);
        };
        m.add_query(q.clone());
        let name = key(&q.name().to_ascii());
        let records = match self.answers.get(&(name.clone(), q.query_type())) {
            Some(Answer::Silent) => return None,
            Some(Answer::Rcode(code)) => {
                m.set_response_code(*code);
                return Some(m);
            }
            Some(Answer::Records(rs)) => rs.clone(),
            Some(Answer::Asker) => match (asker.to_canonical(), q.query_type()) {
                (IpAddr::V4(v4), RecordType::A) => vec![RData::A(A(v4))],
                (IpAddr::V6(v6), RecordType::AAAA) => vec![RData::AAAA(AAAA(v6))],
                _ => Vec::new(),
            },
            None if self.names.contains(&name) => Vec::new(),
            None => {
                m.set_response_code(ResponseCode::NXDomain);
                return Some(m);
            }
        };
        for r in records {
            m.add_answer(Record::from_rdata(q.name().clone(), 60, r));
        }
        Some(m)
    }
}

/// Which (name, type) pairs were asked, in order.
pub type Asked = Arc<Mutex<Vec<(String, RecordType)>>>;

/// Serves `zone` on `socket` until the task is dropped; every answer leaves
/// `delay` after its query (a slow resolver), and every query is logged.
pub async fn serve_udp(socket: UdpSocket, zone: Arc<Zone>, delay: Duration, asked: Asked) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; 4096];
    while let Ok((n, from)) = socket.recv_from(&mut buf).await {
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if let Some(q) = query.queries().first() {
            if let Ok(mut log) = asked.lock() {
                log.push((key(&q.name().to_ascii()), q.query_type()));
            }
        }
        let Some(answer) = zone.respond(&query, from.ip()) else {
            continue;
        };
        let socket = socket.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Ok(bytes) = answer.to_vec() {
                let _ = socket.send_to(&bytes, from).await;
            }
        });
    }
}

/// Serves `zone` over TCP (two-byte length prefix, RFC 1035 §4.2.2).
pub async fn serve_tcp(listener: TcpListener, zone: Arc<Zone>) {
    while let Ok((mut s, peer)) = listener.accept().await {
        let zone = zone.clone();
        tokio::spawn(async move {
            let mut len = [0u8; 2];
            if s.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if s.read_exact(&mut q).await.is_err() {
                return;
            }
            let Ok(query) = Message::from_vec(&q) else {
                return;
            };
            let Some(Ok(bytes)) = zone.respond(&query, peer.ip()).map(|a| a.to_vec()) else {
                return;
            };
            let Ok(n) = u16::try_from(bytes.len()) else {
                return;
            };
            let mut out = n.to_be_bytes().to_vec();
            out.extend_from_slice(&bytes);
            let _ = s.write_all(&out).await;
        });
    }
}

/// A fake DNS server on `127.0.0.1`, stopped when dropped.
pub struct FakeDns {
    /// Where it listens (UDP).
    pub addr: SocketAddr,
    asked: Asked,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeDns {
    /// Serves `zone`.
    pub async fn start(zone: Zone) -> FakeDns {
        FakeDns::start_slow(zone, Duration::ZERO).await
    }

    /// Serves `zone`, every answer `delay` late.
    pub async fn start_slow(zone: Zone, delay: Duration) -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind fake dns");
        let addr = socket.local_addr().expect("local addr");
        let asked = Asked::default();
        let task = tokio::spawn(serve_udp(socket, Arc::new(zone), delay, asked.clone()));
        FakeDns { addr, asked, task }
    }

    /// Whether `name` was asked about (any type).
    pub fn asked(&self, name: &str) -> bool {
        self.asked
            .lock()
            .map(|log| log.iter().any(|(n, _)| *n == key(name)))
            .unwrap_or(false)
    }
}

/// Serves `zone` for the rest of the test process; returns the address.
pub async fn serve(zone: Zone) -> SocketAddr {
    serve_slow(zone, Duration::ZERO).await
}

/// Like [`serve`], but every answer leaves `delay` after its query: a slow
/// resolver, to show which lookups run at the same time.
pub async fn serve_slow(zone: Zone, delay: Duration) -> SocketAddr {
    let dns = FakeDns::start_slow(zone, delay).await;
    let addr = dns.addr;
    // Kept for the rest of the process, as a fixture.
    std::mem::forget(dns);
    addr
}
