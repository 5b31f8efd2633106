//! The reflector server: greets, signs challenges, nothing else.
//!
//! It is exposed to the whole internet, so it is deliberately small: no mail
//! is ever accepted, lines are capped, every connection has a deadline and the
//! number of simultaneous connections is bounded.

use ed25519_dalek::{Signer, SigningKey};
use mailport_shared::reflector::{
    self, decode_hex, encode_hex, format_ports, CHALLENGE_LEN, COMMAND,
};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How the reflector runs.
pub struct ServerConfig {
    /// Addresses to listen on; `::` takes IPv4 too on most systems.
    pub binds: Vec<IpAddr>,
    /// Ports to listen on.
    pub ports: Vec<u16>,
    /// Host name in the greeting.
    pub name: String,
    /// The signing key.
    pub key: SigningKey,
    /// Simultaneous connections at most.
    pub max_connections: usize,
    /// Whole-connection deadline.
    pub session_timeout: Duration,
}

/// The longest command line accepted.
const MAX_LINE: u64 = 512;
/// Commands per connection at most.
const MAX_COMMANDS: usize = 10;

/// Binds every (address, port) and serves until the future is dropped.
/// Fails if any socket cannot be bound, so a typo is not silently ignored.
pub async fn serve(cfg: ServerConfig) -> std::io::Result<()> {
    let mut listeners = Vec::new();
    for ip in &cfg.binds {
        for port in &cfg.ports {
            let addr = SocketAddr::new(*ip, *port);
            let l = TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
            })?;
            listeners.push(l);
        }
    }
    let mut listening = cfg.ports.clone();
    listening.sort_unstable();
    listening.dedup();
    let shared = Arc::new(Shared {
        name: cfg.name,
        listening,
        key: cfg.key,
        slots: Semaphore::new(cfg.max_connections.max(1)),
        session_timeout: cfg.session_timeout,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for l in listeners {
        let shared = shared.clone();
        tasks.spawn(async move {
            loop {
                let Ok((sock, peer)) = l.accept().await else {
                    // Out of file descriptors and the like: back off.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let Ok(_slot) = shared.slots.try_acquire() else {
                        let mut sock = sock;
                        let _ = sock.write_all(b"421 4.3.2 too busy, try later\r\n").await;
                        return;
                    };
                    let _ =
                        tokio::time::timeout(shared.session_timeout, session(sock, peer, &shared))
                            .await;
                });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

struct Shared {
    name: String,
    /// The ports it listens on, sorted, signed into every answer.
    listening: Vec<u16>,
    key: SigningKey,
    slots: Semaphore,
    session_timeout: Duration,
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

async fn session(sock: TcpStream, peer: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    let local_port = sock.local_addr()?.port();
    // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d.
    let seen = peer.ip().to_canonical();
    let (r, mut w) = sock.into_split();
    let mut reader = BufReader::new(r);
    w.write_all(format!("220 {} ESMTP {}\r\n", shared.name, reflector::GREETING_TAG).as_bytes())
        .await?;
    for _ in 0..MAX_COMMANDS {
        let mut buf = Vec::new();
        let n = (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .await?;
        if n == 0 {
            return Ok(());
        }
        if !buf.ends_with(b"\n") {
            w.write_all(b"500 5.5.2 line too long\r\n").await?;
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end();
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => format!("250-{}\r\n250 {COMMAND}\r\n", shared.name),
            "HELO" => format!("250 {}\r\n", shared.name),
            "NOOP" => "250 2.0.0 ok\r\n".to_string(),
            "QUIT" => {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            v if v == COMMAND => answer(&shared.key, arg, seen, local_port, &shared.listening),
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

    async fn start() -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        tokio::spawn(serve(ServerConfig {
            binds: vec!["127.0.0.1".parse().unwrap()],
            ports: vec![port],
            name: "reflector.test".into(),
            key: SigningKey::from_bytes(&[4u8; 32]),
            max_connections: 4,
            session_timeout: Duration::from_secs(1),
        }));
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return port;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("reflector did not start");
    }

    /// Sends `input`, returns everything the reflector says until it closes.
    async fn talk(port: u16, input: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(input).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn hostile_and_odd_clients() {
        let port = start().await;
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
        // A client that says nothing just gets the greeting.
        let got = talk(port, b"").await;
        assert!(got.starts_with("220 "), "{got}");
    }
}
