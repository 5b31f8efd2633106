//! Small servers for the simulated internet, started by the netsim bench
//! inside network namespaces (`ip netns exec NS netsim-helper MODE ...`):
//!
//! - `dns LISTEN ZONEFILE`: the suites' one fake DNS server
//!   (`tests/fake_dns.rs`, hickory-proto) for the fake names (A, AAAA, MX,
//!   TXT, PTR; everything else is answered empty or NXDOMAIN). An A or AAAA
//!   record whose value is `asker` answers the address the query came from,
//!   as OpenDNS's `myip.opendns.com` does. The browser tests use it too, as
//!   the network-facts servers.
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
#[path = "../fake_dns.rs"]
mod fake_dns;

use anyhow::{bail, Context, Result};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
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

/// The one fake DNS server of every suite (`tests/fake_dns.rs`), on UDP
/// and TCP, answering from a zone file (see `Zone::parse`).
async fn dns(addr: SocketAddr, zone_path: &str) -> Result<()> {
    let text = std::fs::read_to_string(zone_path).with_context(|| format!("read {zone_path}"))?;
    let zone = Arc::new(fake_dns::Zone::parse(&text).map_err(anyhow::Error::msg)?);
    let sock = UdpSocket::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))?;
    let tcp = listen(addr).await?;
    tokio::spawn(fake_dns::serve_tcp(tcp, zone.clone()));
    fake_dns::serve_udp(sock, zone, Duration::ZERO, fake_dns::Asked::default()).await;
    Ok(())
}
