//! Probing a port tester as what it is: an HTTP server on every TCP port
//! (portquiz.net), silent until the client speaks.
//!
//! Waiting for an SMTP greeting from it would cost the whole greeting
//! timeout and read as "no greeting". Instead the probe listens for a short
//! quiet moment (something on the path that answers in the tester's place
//! greets at once), then sends an HTTP request and reads the first line of
//! the answer. The established connection proves the path whatever comes
//! back; an SMTP greeting during the quiet moment is strong evidence of
//! interception and goes through the normal SMTP session.

use mailport_shared::outcome::{escape_bytes, TesterReply};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// How long to listen before speaking: an interceptor greets at once, a
/// real server within a round trip.
pub const QUIET: Duration = Duration::from_millis(400);
/// How long to wait for the answer to the request: the connection already
/// proves the path, so this only decides what is shown.
pub const ANSWER: Duration = Duration::from_millis(1500);
/// Bytes of the answer kept to show.
const KEEP: usize = 64;

/// What the quiet moment showed.
#[derive(Debug)]
pub enum Quiet {
    /// Something spoke first: read it as an SMTP server.
    SpokeFirst,
    /// It closed or reset before the request.
    Ended,
    /// Nothing came: the request may be sent.
    Silent,
}

/// Listens on `stream` until `until` without consuming anything.
pub async fn listen(stream: &TcpStream, until: Instant) -> Quiet {
    let mut one = [0u8; 1];
    match timeout_at(until, stream.peek(&mut one)).await {
        Err(_) => Quiet::Silent,
        Ok(Ok(0)) | Ok(Err(_)) => Quiet::Ended,
        Ok(Ok(_)) => Quiet::SpokeFirst,
    }
}

/// Sends `GET / HTTP/1.0` with `host` and reads until the first line of the
/// answer, the end of the connection, or `deadline`.
pub async fn ask(stream: &mut TcpStream, host: &str, deadline: Instant) -> TesterReply {
    let request = format!(
        "GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: mailport/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let sent = timeout_at(deadline, async {
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await
    })
    .await;
    match sent {
        Err(_) => return TesterReply::Quiet,
        Ok(Err(_)) => return TesterReply::Closed,
        Ok(Ok(())) => {}
    }
    let mut got: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 256];
    loop {
        if got.contains(&b'\n') || got.len() >= KEEP {
            break;
        }
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => {
                if got.is_empty() {
                    return TesterReply::Closed;
                }
                break;
            }
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
        }
    }
    reply_of(&got)
}

/// What the first bytes of the answer were.
pub fn reply_of(got: &[u8]) -> TesterReply {
    if got.is_empty() {
        return TesterReply::Quiet;
    }
    if got.starts_with(b"HTTP/") {
        let line = got.split(|b| *b == b'\n').next().unwrap_or(got);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        return TesterReply::Http {
            status_line: escape_bytes(line, KEEP),
        };
    }
    TesterReply::Other {
        first_bytes: escape_bytes(got, KEEP),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        let cases: &[(&[u8], TesterReply)] = &[
            (b"", TesterReply::Quiet),
            (
                b"HTTP/1.1 200 OK\r\nServer: x\r\n",
                TesterReply::Http {
                    status_line: "HTTP/1.1 200 OK".into(),
                },
            ),
            (
                b"HTTP/1.0 400 Bad \x1b]0;x\x07Request",
                TesterReply::Http {
                    status_line: "HTTP/1.0 400 Bad \\x1b]0;x\\x07Request".into(),
                },
            ),
            (
                b"\x15\x03\x03\x00\x02\x02\x46",
                TesterReply::Other {
                    first_bytes: "\\x15\\x03\\x03\\x00\\x02\\x02F".into(),
                },
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(&reply_of(bytes), want, "{bytes:?}");
        }
    }
}
