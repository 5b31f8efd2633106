//! How the agent tells this machine's answer on port 25 from another's.
//!
//! When nothing listens on port 25 and the agent may bind it (root,
//! `CAP_NET_BIND_SERVICE`, Windows), it listens for the duration of the
//! check and greets with a random nonce, which the reflector's signed
//! statement must carry back. When the user's own MTA listens, its local
//! greeting is what the reflector must have seen. Otherwise the agent says
//! what it cannot conclude.

use crate::probe::smtp::ReplyReader;
use mailport_shared::inbound::Witness;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The port inbound mail arrives on.
pub const SMTP_PORT: u16 = 25;

/// Connections the temporary listener serves at most (the reflector calls
/// once per family; anything more is someone else).
const MAX_SERVED: usize = 16;

/// A witness, and the temporary listener behind it while it lives.
pub struct Held {
    /// What the reflector's statement is compared with.
    pub witness: Witness,
    /// The temporary listener, stopped when this is dropped.
    listener: Option<JoinHandle<()>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(task) = self.listener.take() {
            task.abort();
        }
    }
}

/// Finds a witness on `local`, this machine's address toward the reflector.
pub async fn find(local: IpAddr, port: u16) -> Held {
    let addr = SocketAddr::new(local, port);
    match TcpListener::bind(addr).await {
        Ok(listener) => {
            let nonce = nonce();
            let greeting = format!("220 mailport-inbound-{nonce} ESMTP temporary listener\r\n");
            Held {
                witness: Witness::Nonce {
                    nonce: format!("mailport-inbound-{nonce}"),
                },
                listener: Some(tokio::spawn(serve(listener, greeting))),
            }
        }
        Err(e) if e.kind() == ErrorKind::AddrInUse || e.kind() == ErrorKind::PermissionDenied => {
            let local_mta = match local_greeting(addr).await {
                Some(g) => Some(g),
                None => local_greeting(SocketAddr::new(loopback_of(local), port)).await,
            };
            Held {
                witness: match local_mta {
                    Some(greeting) => Witness::LocalMta { greeting },
                    None => Witness::NoListener,
                },
                listener: None,
            }
        }
        Err(_) => Held {
            witness: Witness::NoListener,
            listener: None,
        },
    }
}

fn loopback_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    }
}

/// 64 random bits in hex: enough that nothing on the path can guess it.
fn nonce() -> String {
    let mut bytes = [0u8; 8];
    // A failed random source leaves zeros: the check then still tells a
    // greeting without the nonce from ours, only less robustly.
    let _ = getrandom::fill(&mut bytes);
    mailport_shared::hex::encode(&bytes)
}

/// The greeting of whatever SMTP server listens on `addr`, escaped.
async fn local_greeting(addr: SocketAddr) -> Option<String> {
    let connect = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr));
    let mut stream = connect.await.ok()?.ok()?;
    let mut reader = ReplyReader::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let reply = reader.read_reply(&mut stream, deadline).await.ok()?;
    let short = tokio::time::Instant::now() + Duration::from_millis(500);
    crate::probe::smtp::quit(&mut stream, &mut reader, short).await;
    Some(format!("{} {}", reply.code, reply.lines.join(" / ")))
}

/// Greets each caller with the nonce, answers EHLO and QUIT, and hangs up.
async fn serve(listener: TcpListener, greeting: String) {
    for _ in 0..MAX_SERVED {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let greeting = greeting.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), talk(stream, &greeting)).await;
        });
    }
}

async fn talk(stream: TcpStream, greeting: &str) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    w.write_all(greeting.as_bytes()).await?;
    let mut lines = BufReader::new(r.take_limited()).lines();
    for _ in 0..4 {
        let Some(line) = lines.next_line().await? else {
            return Ok(());
        };
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 mailport-inbound\r\n",
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 this is a temporary listener of mailport check --inbound\r\n",
        };
        w.write_all(reply).await?;
    }
    Ok(())
}

/// A read half that gives at most a few KiB: the caller says EHLO and QUIT.
trait TakeLimited: Sized {
    fn take_limited(self) -> tokio::io::Take<Self>;
}

impl TakeLimited for tokio::net::tcp::OwnedReadHalf {
    fn take_limited(self) -> tokio::io::Take<Self> {
        use tokio::io::AsyncReadExt as _;
        self.take(4096)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_port_with_an_mta_is_the_mta_and_a_free_one_is_ours() {
        // An "MTA" on a free loopback port.
        let mta = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = mta.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = mta.accept().await {
                let _ = s
                    .write_all(b"220 mail.home.example ESMTP Postfix\r\n")
                    .await;
            }
        });
        let held = find("127.0.0.1".parse().unwrap(), port).await;
        assert_eq!(
            held.witness,
            Witness::LocalMta {
                greeting: "220 mail.home.example ESMTP Postfix".into()
            }
        );
        // A free port: the agent listens and greets with its nonce.
        let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let held = find("127.0.0.1".parse().unwrap(), port).await;
        let Witness::Nonce { nonce } = &held.witness else {
            panic!("{:?}", held.witness);
        };
        let greeting = local_greeting(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("our listener greets");
        assert!(greeting.contains(nonce.as_str()), "{greeting}");
        drop(held);
    }
}
