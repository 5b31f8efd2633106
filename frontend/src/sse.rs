//! A server-sent-events parser over raw body chunks.
//!
//! The page reads the event stream with `fetch` (so it can send the bearer
//! token, which `EventSource` cannot), so it parses the stream itself. Pure
//! and byte-based: chunks may split lines and even UTF-8 characters anywhere;
//! only complete lines are decoded, and a line ends at a `\n` byte, which
//! never occurs inside a multi-byte character.

/// One complete SSE message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The `event:` field, `message` when absent.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Longest line kept: an agent never sends more; a broken one cannot make
/// the page hoard memory.
const MAX_LINE: usize = 4 * 1024 * 1024;

/// Incremental parser: feed chunks, get the messages they complete.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds one chunk of the body; returns the messages it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Message> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(m) = self.line(&line) {
                out.push(m);
            }
        }
        if self.buf.len() > MAX_LINE {
            self.buf.clear();
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<Message> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| Message {
                event: event.unwrap_or_else(|| "message".into()),
                data,
            });
        }
        if line.starts_with(':') {
            return None; // a comment: keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {} // id, retry: not used
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_anywhere() {
        let body = "event: started\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: probe\r\ndata: {\"é\":\r\ndata: 2}\r\n\r\ndata: plain\n\n";
        let want = vec![
            Message {
                event: "started".into(),
                data: "{\"a\":1}".into(),
            },
            Message {
                event: "probe".into(),
                data: "{\"é\":\n2}".into(),
            },
            Message {
                event: "message".into(),
                data: "plain".into(),
            },
        ];
        let bytes = body.as_bytes();
        // Every split point, including inside the two-byte "é".
        for cut in 0..bytes.len() {
            let mut p = Parser::default();
            let mut got = p.feed(&bytes[..cut]);
            got.extend(p.feed(&bytes[cut..]));
            assert_eq!(got, want, "cut at {cut}");
        }
        // One byte at a time.
        let mut p = Parser::default();
        let got: Vec<Message> = bytes.iter().flat_map(|b| p.feed(&[*b])).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn incomplete_message_is_not_emitted() {
        let mut p = Parser::default();
        assert!(p.feed(b"event: done\ndata: {}").is_empty());
        assert!(p.feed(b"\n").is_empty());
        assert_eq!(p.feed(b"\n").len(), 1);
    }
}
