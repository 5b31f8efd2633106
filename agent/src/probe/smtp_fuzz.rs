//! The SMTP reply reader under random bytes (the property suite's runner:
//! `MAILPORT_FUZZ_SECONDS` for a long run, see shared/tests/fuzz).
//!
//! Properties, not only "does not panic": whatever a server sends and
//! however the network cuts it into reads, the answer is the same; every
//! reply read has a code from 200 to 599 and lines within the cap, with no
//! byte that could drive a terminal; a well-formed reply reads back as the
//! lines that were sent.

use super::{ReadError, ReplyReader, MAX_LINE};
use crate::fuzz_runner::{check, printable};
use mailport_shared::outcome::{escape_bytes, Reply};
use proptest::prelude::*;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Duration, Instant};

/// A peer that sends `data` in reads of the given sizes, then closes.
struct Chunked {
    data: Vec<u8>,
    sizes: Vec<usize>,
    at: usize,
    read: usize,
}

impl AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let size = self
            .sizes
            .get(self.read)
            .copied()
            .unwrap_or(usize::MAX)
            .max(1);
        let end = self.data.len().min(self.at.saturating_add(size));
        let n = (end - self.at).min(buf.remaining());
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        self.read += 1;
        Poll::Ready(Ok(()))
    }
}

/// What one reader makes of `data` cut into reads of `sizes`: every reply
/// until the first error.
fn read_all(data: &[u8], sizes: &[usize]) -> (Vec<Reply>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut peer = Chunked {
            data: data.to_vec(),
            sizes: sizes.to_vec(),
            at: 0,
            read: 0,
        };
        let mut reader = ReplyReader::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut replies = Vec::new();
        let end = loop {
            match reader.read_reply(&mut peer, deadline).await {
                Ok(r) => replies.push(r),
                Err(e) => break e,
            }
            if replies.len() > 64 {
                break ReadError::Closed;
            }
        };
        let end = match end {
            // Which rule noticed first depends on where a read ended (a
            // bad start is refused before its line is complete): the kind
            // is what must not depend on it.
            ReadError::NotSmtp { .. } => "not an SMTP reply".to_string(),
            other => other.to_string(),
        };
        (replies, end)
    })
}

/// Bytes a server might send: SMTP-like lines, control bytes, escapes,
/// long runs, or anything.
fn serverish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "([2-5][0-9]{2}[ -][ -~\\x1b\\x07\\t]{0,40}\r?\n){0,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..3000),
        (any::<u8>(), 900usize..1100)
            .prop_map(|(b, n)| { [b"220 ".as_slice(), &vec![b; n], b"\r\n"].concat() }),
    ]
}

#[test]
fn replies_are_the_same_however_the_bytes_arrive() {
    check(
        "smtp reader: chunking",
        (serverish(), proptest::collection::vec(1usize..64, 0..40)),
        |(data, sizes)| {
            let whole = read_all(&data, &[]);
            let cut = read_all(&data, &sizes);
            prop_assert_eq!(&whole.0, &cut.0);
            prop_assert_eq!(&whole.1, &cut.1);
            Ok(())
        },
    );
}

#[test]
fn what_is_read_is_bounded_and_printable() {
    check(
        "smtp reader: caps and escapes",
        (serverish(), proptest::collection::vec(1usize..512, 0..8)),
        |(data, sizes)| {
            let (replies, _) = read_all(&data, &sizes);
            for r in &replies {
                prop_assert!((200..=599).contains(&r.code), "{}", r.code);
                for line in &r.lines {
                    // Escaping makes a byte at most four characters; the
                    // text of a line is at most MAX_LINE bytes.
                    prop_assert!(line.len() <= 4 * MAX_LINE + 3, "{}", line.len());
                    prop_assert!(printable(line), "{:?}", line);
                }
            }
            Ok(())
        },
    );
}

#[test]
fn a_well_formed_reply_reads_back_as_sent() {
    check(
        "smtp reader: round trip",
        (200u16..600, proptest::collection::vec("[ -~]{0,120}", 1..6)),
        |(code, lines)| {
            let mut wire = String::new();
            for (i, text) in lines.iter().enumerate() {
                let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                wire.push_str(&format!("{code}{sep}{text}\r\n"));
            }
            let (replies, end) = read_all(wire.as_bytes(), &[]);
            let want = Reply {
                code,
                lines: lines
                    .iter()
                    .map(|t| escape_bytes(t.as_bytes(), MAX_LINE))
                    .collect(),
            };
            prop_assert_eq!(replies, vec![want], "{}", end);
            prop_assert_eq!(end, "the connection was closed");
            Ok(())
        },
    );
}
