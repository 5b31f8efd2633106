//! The call-back exchange between an agent and a reflector, and the signed
//! statement that comes back.
//!
//! ```text
//! S: 220 reflector.example.com ESMTP mailport-reflector
//! C: XMAILPORT-CALLBACK <64 hex digits: 32-byte challenge> 25,587
//!    (the reflector calls the address it sees this connection come from,
//!     on those ports, and only on those: 25, 465, 587)
//! S: 250-<base64url of the statement's JSON, 400 characters a line>
//! S: 250-<…>
//! S: 250 <128 hex digits: Ed25519 signature>
//! C: QUIT
//! ```
//!
//! The signature covers [`CONTEXT`], the challenge and the statement's
//! exact bytes, so the agent verifies before it parses, and a statement
//! cannot be replayed for another challenge. A refusal (no call-back here,
//! budget spent) is a `4xx`/`5xx` line with [`REFUSAL_TAG`], never signed.

use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The command that asks for a call-back.
pub const COMMAND: &str = "XMAILPORT-CALLBACK";
/// Domain separation: a reflector key signs call-back statements under
/// this context and greetings under the reflector's own.
pub const CONTEXT: &[u8] = b"mailport-callback-v1";
/// The only ports a reflector calls back on.
pub const PORTS: [u16; 3] = [25, 465, 587];
/// The largest statement (JSON bytes) an agent accepts.
pub const MAX_STATEMENT: usize = 8 * 1024;
/// The most characters of a greeting or EHLO reply a statement carries.
pub const MAX_TEXT: usize = 512;
/// The word in a refusal that tells it from an interceptor's reply.
pub const REFUSAL_TAG: &str = "mailport-callback";

/// What the reflector met on one port when it called back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallResult {
    /// An SMTP greeting (escaped, capped), and the EHLO reply when one came.
    Greeting {
        /// The greeting, escaped for display.
        greeting: String,
        /// The EHLO reply, escaped, when it came.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ehlo: Option<String>,
    },
    /// A RST: nothing listens there, or a router refused.
    Refused,
    /// No answer: dropped on the way.
    TimedOut,
    /// An ICMP error came back.
    Unreachable {
        /// What the reflector's OS said.
        detail: String,
    },
    /// Connected, then reset before a greeting.
    Reset,
    /// Connected, but nothing was said before the reflector's deadline.
    Silent,
    /// Something answered that is not SMTP.
    NotSmtp {
        /// Its first bytes, escaped.
        first_bytes: String,
    },
}

/// One port the reflector called.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortCall {
    /// The port.
    pub port: u16,
    /// What happened.
    pub result: CallResult,
}

/// What the reflector signs: the address it called (the one the request
/// came from; never another) and what each port did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The address it called.
    pub called: IpAddr,
    /// Per port, in the order asked.
    pub ports: Vec<PortCall>,
}

/// Why a call-back request or answer is not well formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Not the call-back command.
    #[error("not a call-back request")]
    NotARequest,
    /// The challenge is not 64 hex digits.
    #[error("the challenge must be 64 hex digits")]
    BadChallenge,
    /// A port outside [`PORTS`], a repeat, or none.
    #[error("call-back ports must be among 25, 465 and 587, each once")]
    BadPorts,
    /// The reflector refused (its words, escaped and capped).
    #[error("the reflector refused the call-back: {0}")]
    Refused(String),
    /// The answer does not have the documented shape.
    #[error("malformed call-back answer")]
    Malformed,
    /// The statement is larger than [`MAX_STATEMENT`].
    #[error("the call-back statement is too large")]
    TooLarge,
}

/// A parsed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The agent's random challenge.
    pub challenge: [u8; 32],
    /// The ports to call, each once, from [`PORTS`].
    pub ports: Vec<u16>,
}

impl Request {
    /// The request line, CRLF included.
    pub fn line(&self) -> String {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        format!(
            "{COMMAND} {} {}\r\n",
            crate::hex::encode(&self.challenge),
            ports.join(",")
        )
    }

    /// Parses a request line (without CRLF).
    pub fn parse(line: &str) -> Result<Self, CallbackError> {
        let mut words = line.split_ascii_whitespace();
        if !words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(COMMAND))
        {
            return Err(CallbackError::NotARequest);
        }
        let challenge = words
            .next()
            .and_then(crate::hex::decode)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(CallbackError::BadChallenge)?;
        let mut ports = Vec::new();
        for p in words.next().ok_or(CallbackError::BadPorts)?.split(',') {
            let port: u16 = p.parse().map_err(|_| CallbackError::BadPorts)?;
            if !PORTS.contains(&port) || ports.contains(&port) {
                return Err(CallbackError::BadPorts);
            }
            ports.push(port);
        }
        if words.next().is_some() {
            return Err(CallbackError::BadPorts);
        }
        Ok(Request { challenge, ports })
    }
}

/// The exact bytes a statement's signature covers.
pub fn signed_message(challenge: &[u8; 32], statement: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + 32 + statement.len());
    m.extend_from_slice(CONTEXT);
    m.extend_from_slice(challenge);
    m.extend_from_slice(statement);
    m
}

/// How many base64 characters one reply line carries: well under the
/// 1,000-byte line cap of SMTP readers (RFC 5321 allows 512 per line).
const CHUNK: usize = 400;

/// The answer for a signed statement (`statement`: its JSON bytes): a
/// multi-line 250 reply, the statement in base64url over `250-` lines, the
/// signature alone on the last line.
pub fn answer_lines(statement: &[u8], signature: &[u8; 64]) -> String {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(statement);
    let mut out = String::with_capacity(data.len() + data.len() / CHUNK * 6 + 140);
    for chunk in data.as_bytes().chunks(CHUNK) {
        out.push_str("250-");
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out.push_str("250 ");
    out.push_str(&crate::hex::encode(signature));
    out.push_str("\r\n");
    out
}

/// A refusal line (`why` in words).
pub fn refusal_line(why: &str) -> String {
    format!("450 {REFUSAL_TAG} {why}\r\n")
}

/// Reads an answer (the reply's code and its lines, without the code) into
/// the statement's bytes and the signature, to verify before
/// [`parse_statement`]. Any other reply is the reflector's refusal, or
/// whatever answered in its place.
pub fn parse_answer(code: u16, lines: &[String]) -> Result<(Vec<u8>, [u8; 64]), CallbackError> {
    use base64::Engine as _;
    let Some((sig, data)) = lines.split_last().filter(|_| code == 250) else {
        let text = format!("{code} {}", lines.join(" "));
        let shown = crate::outcome::escape_bytes(text.as_bytes(), 200);
        return Err(CallbackError::Refused(shown));
    };
    let joined: String = data.concat();
    if joined.len() > MAX_STATEMENT * 4 / 3 + 4 {
        return Err(CallbackError::TooLarge);
    }
    let statement = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(joined.trim())
        .map_err(|_| CallbackError::Malformed)?;
    let signature = crate::hex::decode(sig.trim())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(CallbackError::Malformed)?;
    Ok((statement, signature))
}

/// Parses verified statement bytes.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, CallbackError> {
    if bytes.len() > MAX_STATEMENT {
        return Err(CallbackError::TooLarge);
    }
    serde_json::from_slice(bytes).map_err(|_| CallbackError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_only_mail_ports_pass() {
        let r = Request {
            challenge: [7; 32],
            ports: vec![25, 587],
        };
        let line = r.line();
        assert_eq!(Request::parse(line.trim_end()), Ok(r));
        let hex = "07".repeat(32);
        for bad in [
            format!("{COMMAND} {hex} 25,22"),
            format!("{COMMAND} {hex} 25,25"),
            format!("{COMMAND} {hex} 80"),
            format!("{COMMAND} {hex}"),
            format!("{COMMAND} {hex} 25 203.0.113.9"),
        ] {
            assert_eq!(Request::parse(&bad), Err(CallbackError::BadPorts), "{bad}");
        }
        assert_eq!(
            Request::parse(&format!("{COMMAND} 00 25")),
            Err(CallbackError::BadChallenge)
        );
        assert_eq!(Request::parse("EHLO x"), Err(CallbackError::NotARequest));
    }

    #[test]
    fn answers_split_into_bytes_and_signature_and_refusals_are_escaped() {
        let statement = Statement {
            called: "203.0.113.9".parse().unwrap(),
            ports: vec![PortCall {
                port: 25,
                result: CallResult::Greeting {
                    greeting: "220 mx.example ESMTP".into(),
                    ehlo: None,
                },
            }],
        };
        let mut bytes = serde_json::to_vec(&statement).unwrap();
        // Long enough to take several lines.
        bytes.extend(std::iter::repeat_n(b' ', 1000));
        let text = answer_lines(&bytes, &[9; 64]);
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                assert!(l.len() <= 404, "{l}");
                l[4..].to_string()
            })
            .collect();
        assert!(lines.len() > 3);
        let (got, sig) = parse_answer(250, &lines).unwrap();
        assert_eq!(sig, [9; 64]);
        assert_eq!(parse_statement(&got), Ok(statement));
        let refused =
            parse_answer(450, &["mailport-callback budget spent \u{1b}[2J".into()]).unwrap_err();
        assert!(!refused.to_string().contains('\u{1b}'), "{refused}");
        assert_eq!(
            parse_answer(250, &["!!!".into(), "zz".into()]),
            Err(CallbackError::Malformed)
        );
        assert_eq!(
            parse_statement(&vec![b' '; MAX_STATEMENT + 1]),
            Err(CallbackError::TooLarge)
        );
    }
}
