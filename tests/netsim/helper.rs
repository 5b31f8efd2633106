//! Small servers for the simulated internet, started by the netsim bench
//! inside network namespaces (`ip netns exec NS netsim-helper MODE ...`):
//!
//! - `dns LISTEN ZONEFILE`: a tiny authoritative DNS server for the fake
//!   names (A, AAAA, TXT, PTR; everything else is answered empty or
//!   NXDOMAIN). The browser tests use it too, as the network-facts servers.
//! - `pix LISTEN`: a Cisco PIX "MailGuard"-style SMTP fixup: masks the
//!   greeting with asterisks and answers EHLO with 500.
//! - `tarpit LISTEN`: accepts connections and never says a word.
//!
//! Each mode runs until killed. Errors go to stderr; nothing here trusts what
//! clients send.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["dns", listen, zone] => dns(listen.parse()?, zone).await,
        ["pix", listen] => pix(listen.parse()?).await,
        ["tarpit", listen] => tarpit(listen.parse()?).await,
        _ => bail!("usage: netsim-helper dns LISTEN ZONEFILE | pix LISTEN | tarpit LISTEN"),
    }
}

/// A dual-stack listener: `[::]:PORT` also takes IPv4 on Linux.
async fn listen(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))
}

async fn tarpit(addr: SocketAddr) -> Result<()> {
    let l = listen(addr).await?;
    loop {
        let (sock, _) = l.accept().await?;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(120)).await;
            drop(sock);
        });
    }
}

async fn pix(addr: SocketAddr) -> Result<()> {
    let l = listen(addr).await?;
    loop {
        let (sock, _) = l.accept().await?;
        tokio::spawn(async move {
            let (r, mut w) = sock.into_split();
            let mut lines = BufReader::new(r.take(64 * 1024)).lines();
            // PIX MailGuard keeps only the 2s and 0s of the real banner.
            if w.write_all(b"220 ****************************2******0*******0****0*\r\n")
                .await
                .is_err()
            {
                return;
            }
            while let Ok(Ok(Some(line))) =
                tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
            {
                let verb = line
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "HELO" => b"250 OK\r\n",
                    "QUIT" => b"221 Closing\r\n",
                    "NOOP" => b"250 OK\r\n",
                    _ => b"500 5.5.1 Command unrecognized: \"XXXX\"\r\n",
                };
                if w.write_all(reply).await.is_err() || verb == "QUIT" {
                    return;
                }
            }
        });
    }
}

/// One record's data.
#[derive(Clone, Debug)]
enum Rec {
    /// A or AAAA, by the address's family.
    Addr(IpAddr),
    /// TXT: one character-string (up to 255 bytes).
    Txt(String),
    /// PTR: a name.
    Ptr(String),
}

impl Rec {
    fn qtype(&self) -> u16 {
        match self {
            Rec::Addr(IpAddr::V4(_)) => 1,
            Rec::Addr(IpAddr::V6(_)) => 28,
            Rec::Txt(_) => 16,
            Rec::Ptr(_) => 12,
        }
    }

    fn rdata(&self) -> Vec<u8> {
        match self {
            Rec::Addr(IpAddr::V4(v4)) => v4.octets().to_vec(),
            Rec::Addr(IpAddr::V6(v6)) => v6.octets().to_vec(),
            Rec::Txt(t) => {
                let bytes = &t.as_bytes()[..t.len().min(255)];
                let mut v = vec![bytes.len() as u8];
                v.extend_from_slice(bytes);
                v
            }
            Rec::Ptr(name) => {
                let mut v = Vec::new();
                for label in name.trim_end_matches('.').split('.') {
                    let l = &label.as_bytes()[..label.len().min(63)];
                    v.push(l.len() as u8);
                    v.extend_from_slice(l);
                }
                v.push(0);
                v
            }
        }
    }
}

type ZoneMap = HashMap<String, Vec<Rec>>;

/// Zone file: one record per line, `NAME TYPE VALUE` with TYPE A, AAAA,
/// TXT (the rest of the line, spaces included) or PTR.
fn read_zone(path: &str) -> Result<ZoneMap> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    let mut zone: ZoneMap = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.trim().splitn(3, char::is_whitespace).collect();
        let [name, ty, value] = parts.as_slice() else {
            bail!("bad zone line: {line}");
        };
        let value = value.trim();
        let rec = match ty.to_ascii_uppercase().as_str() {
            "A" | "AAAA" => Rec::Addr(
                value
                    .parse()
                    .with_context(|| format!("bad address in {line}"))?,
            ),
            "TXT" => Rec::Txt(value.to_string()),
            "PTR" => Rec::Ptr(value.to_string()),
            other => bail!("unknown record type {other} in {line}"),
        };
        zone.entry(name.trim_end_matches('.').to_ascii_lowercase())
            .or_default()
            .push(rec);
    }
    Ok(zone)
}

async fn dns(addr: SocketAddr, zone_path: &str) -> Result<()> {
    let zone = read_zone(zone_path)?;
    let sock = UdpSocket::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))?;
    let tcp = listen(addr).await?;
    let tcp_zone = zone.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = tcp.accept().await {
            let zone = tcp_zone.clone();
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
                if s.read_exact(&mut q).await.is_err() {
                    return;
                }
                if let Some(a) = answer(&q, &zone) {
                    let mut out = (a.len() as u16).to_be_bytes().to_vec();
                    out.extend_from_slice(&a);
                    let _ = s.write_all(&out).await;
                }
            });
        }
    });
    let mut buf = [0u8; 1500];
    loop {
        let (n, peer) = sock.recv_from(&mut buf).await?;
        if let Some(a) = buf.get(..n).and_then(|q| answer(q, &zone)) {
            let _ = sock.send_to(&a, peer).await;
        }
    }
}

/// Builds the answer to one query, or None for garbage.
fn answer(q: &[u8], zone: &ZoneMap) -> Option<Vec<u8>> {
    if q.len() < 12 || u16::from_be_bytes([q[4], q[5]]) != 1 {
        return None;
    }
    // Question name.
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = *q.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let question_end = i + 4;
    q.get(..question_end)?;
    let name = labels.join(".");
    let known = zone.get(&name);
    let records: Vec<&Rec> = known
        .map(|v| v.iter().filter(|r| r.qtype() == qtype).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&q[0..2]); // id
    let rd = q[2] & 0x01;
    out.push(0x84 | rd); // QR, AA, RD copied
    out.push(if known.is_some() { 0x80 } else { 0x83 }); // RA; NXDOMAIN when unknown
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(records.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&q[12..question_end]);
    for r in records {
        out.extend_from_slice(&[0xc0, 0x0c]); // pointer to the question name
        let (ty, data) = (r.qtype(), r.rdata());
        out.extend_from_slice(&ty.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}
