//! A fake authoritative DNS server on loopback (UDP), answering from a
//! small zone given by the test: enough for MX lookups and A/AAAA.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// The records of the fake zone.
#[derive(Default, Clone)]
pub struct Zone {
    records: HashMap<String, Vec<RData>>,
}

impl Zone {
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&mut self, name: &str, rdata: RData) -> &mut Self {
        self.records
            .entry(name.trim_end_matches('.').to_ascii_lowercase())
            .or_default()
            .push(rdata);
        self
    }

    /// An A or AAAA record.
    pub fn addr(&mut self, name: &str, ip: &str) -> &mut Self {
        let rdata = match ip.parse::<IpAddr>().expect("test ip") {
            IpAddr::V4(v4) => RData::A(A(v4)),
            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.add(name, rdata)
    }

    /// An MX record (`.` as exchange makes a null MX).
    pub fn mx(&mut self, name: &str, preference: u16, exchange: &str) -> &mut Self {
        let exchange =
            Name::from_str(&format!("{}.", exchange.trim_end_matches('.'))).expect("name");
        self.add(name, RData::MX(MX::new(preference, exchange)))
    }

    /// A name that exists with no records asked for (NODATA answers).
    pub fn exists(&mut self, name: &str) -> &mut Self {
        self.records
            .entry(name.trim_end_matches('.').to_ascii_lowercase())
            .or_default();
        self
    }
}

/// Serves `zone` on `127.0.0.1:<ephemeral>` and returns the address.
pub async fn serve(zone: Zone) -> SocketAddr {
    serve_slow(zone, std::time::Duration::ZERO).await
}

fn respond(zone: &Zone, query: &Message) -> Message {
    let mut m = Message::new();
    m.set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(query.op_code())
        .set_recursion_desired(query.recursion_desired())
        .set_recursion_available(true)
        .set_authoritative(true);
    let Some(q) = query.queries().first() else {
        m.set_response_code(ResponseCode::FormErr);
        return m;
    };
    m.add_query(q.clone());
    let key = q
        .name()
        .to_utf8()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    match zone.records.get(&key) {
        None => {
            m.set_response_code(ResponseCode::NXDomain);
        }
        Some(rdatas) => {
            for r in rdatas {
                let matches = matches!(
                    (q.query_type(), r),
                    (RecordType::A, RData::A(_))
                        | (RecordType::AAAA, RData::AAAA(_))
                        | (RecordType::MX, RData::MX(_))
                );
                if matches {
                    m.add_answer(Record::from_rdata(q.name().clone(), 60, r.clone()));
                }
            }
        }
    }
    m
}

/// Like [`serve`], but every answer leaves `delay` after its query: a slow
/// resolver, to show which lookups run at the same time.
pub async fn serve_slow(zone: Zone, delay: std::time::Duration) -> SocketAddr {
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind dns"));
    let addr = socket.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let answer = respond(&zone, &query);
            let socket = socket.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
            });
        }
    });
    addr
}
