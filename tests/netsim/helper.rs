//! Small servers for the simulated internet, started by the netsim bench
//! inside network namespaces (`ip netns exec NS netsim-helper MODE ...`):
//!
//! - `dns LISTEN ZONEFILE`: a tiny authoritative DNS server for the fake
//!   names (A, AAAA, MX, TXT, PTR; everything else is answered empty or
//!   NXDOMAIN). An A or AAAA record whose value is `asker` answers the
//!   address the query came from, as OpenDNS's `myip.opendns.com` does. The
//!   browser tests use it too, as the network-facts servers.
//! - `pix LISTEN`: a Cisco PIX "MailGuard"-style SMTP fixup: masks the
//!   greeting with asterisks and answers EHLO with 500.
//! - `tarpit LISTEN`: accepts connections and never says a word.
//! - `hold TARGET N SOURCE`: an abusive client, as in the reflector's audit:
//!   keeps N connections from SOURCE to TARGET open, each kept alive with a
//!   NOOP every second and opened again when closed. Prints `ready` once
//!   every connection got its first line.
//! - `smtp PROFILE CERT KEY LISTENER...` and `portquiz ADDR...`: stand-ins
//!   for the real default targets (see `faithful.rs`).
//! - `delay DEVICE MS JITTER_MS`: latency on the router's line (see
//!   `delay.rs`).
//!
//! Each mode runs until killed. Errors go to stderr; nothing here trusts what
//! clients send.

mod delay;
mod faithful;

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
        ["hold", target, n, source] => hold(target.parse()?, n.parse()?, source.parse()?).await,
        ["smtp", rest @ ..] => faithful::smtp(rest).await,
        ["portquiz", rest @ ..] => faithful::portquiz(rest).await,
        ["delay", device, ms, jitter] => {
            let (device, ms, jitter) = (device.to_string(), ms.parse()?, jitter.parse()?);
            tokio::task::spawn_blocking(move || delay::run(&device, ms, jitter)).await?
        }
        _ => bail!(
            "usage: netsim-helper dns LISTEN ZONEFILE | pix LISTEN | tarpit LISTEN | hold TARGET N SOURCE \
             | smtp PROFILE CERT KEY LISTENER... | portquiz ADDR... | delay DEVICE MS JITTER_MS"
        ),
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

async fn hold(target: SocketAddr, n: usize, source: IpAddr) -> Result<()> {
    let (first, mut firsts) = tokio::sync::mpsc::channel::<()>(n.max(1));
    for _ in 0..n {
        let first = first.clone();
        tokio::spawn(async move {
            let mut told = false;
            loop {
                let _ = hold_one(target, source, &mut told, &first).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    drop(first);
    for _ in 0..n {
        firsts.recv().await.context("a connection task ended")?;
    }
    println!("ready");
    std::future::pending::<()>().await;
    Ok(())
}

/// One held connection, until the server closes it. Tells `first` once,
/// after the first line of the first connection.
async fn hold_one(
    target: SocketAddr,
    source: IpAddr,
    told: &mut bool,
    first: &tokio::sync::mpsc::Sender<()>,
) -> Result<()> {
    let sock = match source {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    sock.bind(SocketAddr::new(source, 0))?;
    let s = sock.connect(target).await?;
    let (r, mut w) = s.into_split();
    let mut lines = BufReader::new(r.take(64 * 1024)).lines();
    let greeting = lines.next_line().await?;
    if !std::mem::replace(told, true) {
        let _ = first.send(()).await;
    }
    if !greeting.is_some_and(|g| g.starts_with("220")) {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        w.write_all(b"NOOP\r\n").await?;
        if lines.next_line().await?.is_none() {
            return Ok(());
        }
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
    /// A (`v6` false) or AAAA (`v6` true) answering the asker's own address.
    Asker { v6: bool },
    /// MX: preference and exchange name.
    Mx(u16, String),
    /// TXT: one character-string (up to 255 bytes).
    Txt(String),
    /// PTR: a name.
    Ptr(String),
}

/// A name in wire format, uncompressed.
fn wire_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        let l = &label.as_bytes()[..label.len().min(63)];
        v.push(l.len() as u8);
        v.extend_from_slice(l);
    }
    v.push(0);
    v
}

impl Rec {
    fn qtype(&self) -> u16 {
        match self {
            Rec::Addr(IpAddr::V4(_)) | Rec::Asker { v6: false } => 1,
            Rec::Addr(IpAddr::V6(_)) | Rec::Asker { v6: true } => 28,
            Rec::Mx(..) => 15,
            Rec::Txt(_) => 16,
            Rec::Ptr(_) => 12,
        }
    }

    /// The record's data for a query from `asker`; None when an `asker`
    /// record does not fit the asker's family.
    fn rdata(&self, asker: IpAddr) -> Option<Vec<u8>> {
        Some(match self {
            Rec::Addr(IpAddr::V4(v4)) => v4.octets().to_vec(),
            Rec::Addr(IpAddr::V6(v6)) => v6.octets().to_vec(),
            Rec::Asker { v6 } => match (asker, v6) {
                (IpAddr::V4(a), false) => a.octets().to_vec(),
                (IpAddr::V6(a), true) => a.octets().to_vec(),
                _ => return None,
            },
            Rec::Mx(pref, name) => {
                let mut v = pref.to_be_bytes().to_vec();
                v.extend_from_slice(&wire_name(name));
                v
            }
            Rec::Txt(t) => {
                let bytes = &t.as_bytes()[..t.len().min(255)];
                let mut v = vec![bytes.len() as u8];
                v.extend_from_slice(bytes);
                v
            }
            Rec::Ptr(name) => wire_name(name),
        })
    }
}

type ZoneMap = HashMap<String, Vec<Rec>>;

/// Zone file: one record per line, `NAME TYPE VALUE` with TYPE A or AAAA
/// (an address, or `asker`), MX (`PREFERENCE NAME`), TXT (the rest of the
/// line, spaces included) or PTR.
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
            ty @ ("A" | "AAAA") if value.eq_ignore_ascii_case("asker") => {
                Rec::Asker { v6: ty == "AAAA" }
            }
            "MX" => {
                let (pref, name) = value
                    .split_once(char::is_whitespace)
                    .with_context(|| format!("MX needs PREFERENCE NAME: {line}"))?;
                Rec::Mx(
                    pref.parse()
                        .with_context(|| format!("bad preference in {line}"))?,
                    name.trim().to_string(),
                )
            }
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
        while let Ok((mut s, peer)) = tcp.accept().await {
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
                if let Some(a) = answer(&q, &zone, peer.ip().to_canonical()) {
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
        let asker = peer.ip().to_canonical();
        if let Some(a) = buf.get(..n).and_then(|q| answer(q, &zone, asker)) {
            let _ = sock.send_to(&a, peer).await;
        }
    }
}

/// Builds the answer to one query from `asker`, or None for garbage.
fn answer(q: &[u8], zone: &ZoneMap, asker: IpAddr) -> Option<Vec<u8>> {
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
    let records: Vec<(u16, Vec<u8>)> = known
        .map(|v| {
            v.iter()
                .filter(|r| r.qtype() == qtype)
                .filter_map(|r| Some((r.qtype(), r.rdata(asker)?)))
                .collect()
        })
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
    for (ty, data) in records {
        out.extend_from_slice(&[0xc0, 0x0c]); // pointer to the question name
        out.extend_from_slice(&ty.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}
