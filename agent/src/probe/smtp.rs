//! Reading SMTP replies from a server that may be hostile, and the few
//! commands a probe sends (`EHLO`, `STARTTLS`, `QUIT`).
//!
//! The reader never trusts the peer: a line is capped at [`MAX_LINE`] bytes,
//! everything read on one connection at [`MAX_TOTAL`], every read has a
//! deadline, and bytes that cannot start an SMTP reply are reported as soon
//! as they arrive (an HTTP server that answers first and then waits must not
//! cost the whole greeting timeout). Reply text is escaped on the way in, so
//! terminal control sequences from a server never reach the user's screen.

use mailport_shared::outcome::{escape_bytes, EhloOutcome, Reply};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

/// Longest reply line accepted, CRLF included (RFC 5321 allows 512; real
/// servers are sometimes longer, hostile ones endless).
pub const MAX_LINE: usize = 1000;
/// Most bytes read from one connection before giving up on it.
pub const MAX_TOTAL: usize = 16 * 1024;
/// How many of the first bytes are kept to show the user what answered.
const KEEP_FIRST: usize = 64;

/// Why no complete reply was read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The deadline passed. `partial` says whether part of a reply came.
    #[error("no complete reply before the deadline")]
    Timeout {
        /// Some bytes of a reply had arrived.
        partial: bool,
    },
    /// The peer closed the connection.
    #[error("the connection was closed")]
    Closed,
    /// The peer reset the connection.
    #[error("the connection was reset")]
    Reset,
    /// What arrived is not an SMTP reply.
    #[error("not an SMTP reply: {why}")]
    NotSmtp {
        /// What is wrong with it.
        why: &'static str,
    },
    /// Any other socket error.
    #[error("{0}")]
    Io(io::Error),
}

/// Reads replies from one connection, keeping the leftover bytes between
/// replies and the first bytes of the connection for error reports.
#[derive(Debug, Default)]
pub struct ReplyReader {
    buf: Vec<u8>,
    first: Vec<u8>,
    total: usize,
}

impl ReplyReader {
    /// A reader for a new connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first bytes received on this connection, escaped for display.
    pub fn first_bytes(&self) -> String {
        escape_bytes(&self.first, KEEP_FIRST)
    }

    /// Whether bytes beyond the last reply are waiting (after `STARTTLS`
    /// that would be an injection attempt: they must not be used).
    pub fn has_leftover(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Reads one complete (possibly multi-line) reply before `deadline`.
    pub async fn read_reply<S>(
        &mut self,
        stream: &mut S,
        deadline: Instant,
    ) -> Result<Reply, ReadError>
    where
        S: AsyncRead + Unpin,
    {
        let mut lines: Vec<String> = Vec::new();
        let mut code: Option<u16> = None;
        let mut chunk = [0u8; 2048];
        loop {
            // Consume every complete line in the buffer.
            while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
                // The cap holds for every line, however it arrived: a long
                // line that came in one read is as hostile as a slow one.
                if end + 1 > MAX_LINE {
                    return Err(line_too_long());
                }
                let raw: Vec<u8> = self.buf.drain(..=end).collect();
                let line = trim_eol(&raw);
                let (c, last, text) = parse_line(line)?;
                if code.is_some_and(|prev| prev != c) {
                    return Err(ReadError::NotSmtp {
                        why: "the lines of one reply have different codes",
                    });
                }
                code = Some(c);
                lines.push(text);
                if last {
                    return Ok(Reply { code: c, lines });
                }
            }
            check_partial(&self.buf)?;
            if self.buf.len() > MAX_LINE {
                return Err(line_too_long());
            }
            if self.total >= MAX_TOTAL {
                return Err(ReadError::NotSmtp {
                    why: "the server sent more than 16 KiB",
                });
            }
            let room = (MAX_TOTAL - self.total).min(chunk.len());
            let n = match timeout_at(deadline, stream.read(&mut chunk[..room])).await {
                Err(_) => {
                    return Err(ReadError::Timeout {
                        partial: !self.buf.is_empty() || !lines.is_empty(),
                    })
                }
                Ok(Err(e)) => return Err(io_error(e)),
                Ok(Ok(0)) => return Err(ReadError::Closed),
                Ok(Ok(n)) => n,
            };
            self.total += n;
            if self.first.len() <= KEEP_FIRST {
                let take = (KEEP_FIRST + 1 - self.first.len()).min(n);
                self.first.extend_from_slice(&chunk[..take]);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn line_too_long() -> ReadError {
    ReadError::NotSmtp {
        why: "a line is longer than 1000 bytes",
    }
}

fn io_error(e: io::Error) -> ReadError {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => ReadError::Reset,
        io::ErrorKind::UnexpectedEof => ReadError::Closed,
        _ => ReadError::Io(e),
    }
}

fn trim_eol(raw: &[u8]) -> &[u8] {
    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses `250-text`, `250 text` or a bare `250`: (code, last line?, text).
fn parse_line(line: &[u8]) -> Result<(u16, bool, String), ReadError> {
    let not_smtp = |why| Err(ReadError::NotSmtp { why });
    if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
        return not_smtp("a line does not start with a three-digit code");
    }
    let code = line[..3]
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    if !(200..=599).contains(&code) {
        return not_smtp("the reply code is outside 200 to 599");
    }
    let (last, text) = match line.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return not_smtp("the code is not followed by a space or a hyphen"),
    };
    Ok((code, last, escape_bytes(text, MAX_LINE)))
}

/// Rejects an incomplete line as soon as its start cannot be SMTP.
fn check_partial(buf: &[u8]) -> Result<(), ReadError> {
    let head = &buf[..buf.len().min(4)];
    let digits_ok = head.iter().take(3).all(u8::is_ascii_digit);
    let sep_ok = head
        .get(3)
        .is_none_or(|b| matches!(b, b' ' | b'-' | b'\r' | b'\n'));
    if digits_ok && sep_ok {
        Ok(())
    } else {
        Err(ReadError::NotSmtp {
            why: "the first bytes are not an SMTP reply code",
        })
    }
}

/// Sends one command line and reads the reply.
pub async fn command<S>(
    stream: &mut S,
    reader: &mut ReplyReader,
    line: &str,
    deadline: Instant,
) -> Result<Reply, ReadError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let wire = format!("{line}\r\n");
    match timeout_at(deadline, async {
        stream.write_all(wire.as_bytes()).await?;
        stream.flush().await
    })
    .await
    {
        Err(_) => return Err(ReadError::Timeout { partial: false }),
        Ok(Err(e)) => return Err(io_error(e)),
        Ok(Ok(())) => {}
    }
    reader.read_reply(stream, deadline).await
}

/// Sends `EHLO name` and interprets the answer.
pub async fn ehlo<S>(
    stream: &mut S,
    reader: &mut ReplyReader,
    name: &str,
    deadline: Instant,
) -> EhloOutcome
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match command(stream, reader, &format!("EHLO {name}"), deadline).await {
        Ok(reply) if reply.code == 250 => {
            let extensions = extensions(&reply);
            EhloOutcome::Accepted { reply, extensions }
        }
        Ok(reply) => EhloOutcome::Rejected { reply },
        Err(e) => ehlo_failure(&e),
    }
}

/// Why EHLO got no answer, kept apart: a reset at EHLO is what a DPI box
/// does, a timeout what a slow server does.
pub fn ehlo_failure(e: &ReadError) -> EhloOutcome {
    match e {
        ReadError::Timeout { .. } => EhloOutcome::NoReply,
        ReadError::Closed => EhloOutcome::Closed,
        ReadError::Reset | ReadError::Io(_) => EhloOutcome::Reset,
        ReadError::NotSmtp { why } => EhloOutcome::Garbage {
            why: (*why).to_string(),
        },
    }
}

/// The extension lines of an EHLO reply: keyword upper-cased, parameters kept.
pub fn extensions(reply: &Reply) -> Vec<String> {
    reply
        .lines
        .iter()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.trim().splitn(2, ' ');
            let keyword = parts.next().filter(|k| !k.is_empty())?.to_ascii_uppercase();
            Some(match parts.next() {
                Some(params) => format!("{keyword} {}", params.trim()),
                None => keyword,
            })
        })
        .collect()
}

/// Says goodbye, without waiting long for the answer: the probe has what it
/// needs.
pub async fn quit<S>(stream: &mut S, reader: &mut ReplyReader, deadline: Instant)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let short = deadline.min(Instant::now() + std::time::Duration::from_millis(500));
    let _ = command(stream, reader, "QUIT", short).await;
    let _ = timeout_at(short, stream.shutdown()).await;
}

#[cfg(test)]
#[path = "smtp_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn read_all(input: &[u8]) -> (Result<Reply, ReadError>, ReplyReader) {
        let mut stream = input;
        let mut r = ReplyReader::new();
        let res = r
            .read_reply(&mut stream, Instant::now() + Duration::from_secs(1))
            .await;
        (res, r)
    }

    #[tokio::test]
    async fn replies() {
        let (r, _) = read_all(b"220 mx.example.org ESMTP\r\n").await;
        let r = r.expect("single line");
        assert_eq!(
            (r.code, r.lines.clone()),
            (220, vec!["mx.example.org ESMTP".to_string()])
        );

        let (r, _) = read_all(b"220-first\r\n220-second\n220 third\r\n").await;
        assert_eq!(r.expect("multi").lines, vec!["first", "second", "third"]);

        let (r, _) = read_all(b"220\r\n").await;
        assert_eq!(r.expect("bare code").lines, vec![""]);

        let (r, _) = read_all(b"220 hi \x1b[31mred\r\n").await;
        assert_eq!(r.expect("escaped").lines, vec!["hi \\x1b[31mred"]);
    }

    #[tokio::test]
    async fn garbage() {
        let cases: &[(&[u8], &str)] = &[
            (b"HTTP/1.1 400 Bad Request\r\n", "not smtp"),
            (b"SSH-2.0-OpenSSH_9.6\r\n", "not smtp"),
            (b"220-a\r\n250 b\r\n", "not smtp"),
            (b"22", "closed"),
            (b"", "closed"),
            (b"\x16\x03\x01", "not smtp"),
            (b"999 no\r\n", "not smtp"),
            (b"220x\r\n", "not smtp"),
        ];
        for (input, want) in cases {
            let (r, _) = read_all(input).await;
            let got = match r {
                Err(ReadError::NotSmtp { .. }) => "not smtp",
                Err(ReadError::Closed) => "closed",
                other => panic!("{input:?}: {other:?}"),
            };
            assert_eq!(got, *want, "{input:?}");
        }
        let (_, reader) = read_all(b"HTTP/1.1 400 Bad Request\r\n").await;
        assert_eq!(reader.first_bytes(), "HTTP/1.1 400 Bad Request\\r\\n");
    }

    #[tokio::test]
    async fn caps() {
        let mut long = b"220 ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 5000));
        let (r, _) = read_all(&long).await;
        assert!(matches!(r, Err(ReadError::NotSmtp { .. })), "{r:?}");

        // Whole lines over the cap are refused too, even when each arrives
        // complete in one read (the reader's chunk is 2 KiB): the cap is
        // 1000 bytes with CRLF.
        for (len, ok) in [(998, true), (999, false), (1500, false)] {
            let mut line = b"220 ".to_vec();
            line.extend(std::iter::repeat_n(b'a', len - 4));
            line.extend_from_slice(b"\r\n");
            assert_eq!(line.len(), len + 2);
            let (r, _) = read_all(&line).await;
            match r {
                Ok(reply) if ok => assert_eq!(reply.lines[0].len(), len - 4),
                Err(ReadError::NotSmtp { why }) if !ok => {
                    assert_eq!(why, "a line is longer than 1000 bytes")
                }
                other => panic!("{len}-byte line: {other:?}"),
            }
        }
        let mut second = b"220-short\r\n220 ".to_vec();
        second.extend(std::iter::repeat_n(b'b', 1500));
        second.extend_from_slice(b"\r\n");
        let (r, _) = read_all(&second).await;
        assert!(matches!(r, Err(ReadError::NotSmtp { .. })), "{r:?}");

        let many: Vec<u8> = b"220-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n".repeat(1000);
        let (r, _) = read_all(&many).await;
        assert!(matches!(r, Err(ReadError::NotSmtp { .. })), "{r:?}");
    }

    #[test]
    fn ehlo_extensions() {
        let reply = Reply {
            code: 250,
            lines: vec![
                "mx.example.org Hello".into(),
                "starttls".into(),
                "SIZE 10240000".into(),
                "auth PLAIN LOGIN".into(),
                "".into(),
            ],
        };
        assert_eq!(
            extensions(&reply),
            vec!["STARTTLS", "SIZE 10240000", "AUTH PLAIN LOGIN"]
        );
    }
}
