//! What the network said to one probe, kept as precise as the OS tells it.
//!
//! The variants are deliberately many: "connection timed out" (dropped),
//! "connection refused" (a RST), an ICMP rejection and "no route" mean very
//! different things to the user, and collapsing them is the mistake that makes
//! most port checkers useless.

use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};

/// The outcome of one probe of one address on one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Connected and an SMTP greeting arrived.
    Banner(SmtpExchange),
    /// The SYN was answered with a RST: "connection refused".
    Refused,
    /// No answer before the connect timeout: packets silently dropped.
    Filtered,
    /// An ICMP error came back (host/net unreachable, administratively
    /// prohibited), as far as the OS reports it.
    Unreachable {
        /// What stopped it in words, then the OS error, e.g. "rejected by a
        /// router (ICMP host unreachable): No route to host (os error 113)".
        detail: String,
    },
    /// This machine has no route for the family (e.g. no IPv6 at all). Not a
    /// block.
    NoRoute {
        /// The OS error, e.g. "Network is unreachable (os error 101)".
        detail: String,
    },
    /// Connected, but no greeting came before the greeting timeout: a tarpit
    /// or an intercepting proxy.
    Silent,
    /// Connected, then the far side closed without a complete greeting.
    ClosedEarly,
    /// Connected, then the connection was reset.
    Reset,
    /// Something answered that is not SMTP.
    NotSmtp {
        /// The first bytes received, escaped for display (at most 64 bytes).
        first_bytes: String,
    },
    /// Connected, but the implicit-TLS handshake on this port failed.
    TlsFailed {
        /// Why the handshake failed.
        error: String,
    },
    /// This machine could not even try: the OS refused to open the
    /// connection for a local reason (too many open files, no buffer space).
    /// Says nothing about the network.
    LocalError {
        /// The OS error, e.g. "Too many open files (os error 24)".
        detail: String,
    },
    /// A port tester (a host that accepts TCP on every port and speaks HTTP
    /// there, e.g. portquiz.net) was connected and asked for a page: the
    /// established connection proves the path, whatever it answered.
    PortTester {
        /// What it answered to the request.
        reply: TesterReply,
    },
    /// A firewall on this computer refused the connection (EPERM on Linux
    /// and macOS, WSAEACCES on Windows): nothing left this machine, so it
    /// says nothing about the network, and it is never the ISP's doing.
    LocalFirewall {
        /// The OS error, e.g. "Operation not permitted (os error 1)".
        detail: String,
    },
    /// The host name did not resolve for this family.
    DnsFailed {
        /// Why.
        reason: DnsFailure,
    },
}

/// What a port tester answered to an HTTP request. Any of these follows an
/// established TCP connection, so each one proves that the path is open; the
/// kinds are kept apart so that what answered can be shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TesterReply {
    /// An HTTP answer, as a port tester gives.
    Http {
        /// Its status line, escaped (at most 64 bytes), e.g.
        /// `HTTP/1.1 200 OK`.
        status_line: String,
    },
    /// It closed (or reset) the connection after the request.
    Closed,
    /// It said nothing in the short time the probe listened.
    Quiet,
    /// Something that is neither HTTP nor an SMTP greeting.
    Other {
        /// The first bytes received, escaped (at most 64 bytes).
        first_bytes: String,
    },
}

impl TesterReply {
    /// In words, for a table cell or a detail line.
    pub fn describe(&self) -> String {
        match self {
            TesterReply::Http { status_line } => format!("answered HTTP: {status_line}"),
            TesterReply::Closed => "closed the connection after the request".into(),
            TesterReply::Quiet => "said nothing to the request".into(),
            TesterReply::Other { first_bytes } => format!("answered: {first_bytes}"),
        }
    }
}

/// Why a name did not resolve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DnsFailure {
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no address of this family.
    NoAddress,
    /// The resolver did not answer in time.
    Timeout,
    /// The resolved address is private, loopback or otherwise not a public
    /// host, and the agent was not started with `--allow-private`.
    Forbidden {
        /// The address that was refused.
        address: String,
    },
    /// Any other resolver failure.
    Other {
        /// The resolver's message.
        detail: String,
    },
}

impl Outcome {
    /// The reflector's proof inside a greeting, when there is one (mutable,
    /// so a shared report can hide the addresses it names).
    pub fn reflector_proof_mut(&mut self) -> Option<&mut crate::reflector::ReflectorProof> {
        match self {
            Outcome::Banner(exchange) => exchange.reflector.as_deref_mut(),
            _ => None,
        }
    }

    /// A TCP connection was established (whatever happened after).
    pub fn connected(&self) -> bool {
        matches!(
            self,
            Outcome::Banner(_)
                | Outcome::Silent
                | Outcome::ClosedEarly
                | Outcome::Reset
                | Outcome::NotSmtp { .. }
                | Outcome::TlsFailed { .. }
                | Outcome::PortTester { .. }
        )
    }

    /// A short label in words, for tables and grid cells.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Banner(_) => "SMTP greeting",
            Outcome::Refused => "refused",
            Outcome::Filtered => "timed out",
            Outcome::Unreachable { .. } => "unreachable",
            Outcome::NoRoute { .. } => "no route",
            Outcome::Silent => "no greeting",
            Outcome::ClosedEarly => "closed",
            Outcome::Reset => "reset",
            Outcome::NotSmtp { .. } => "not SMTP",
            Outcome::TlsFailed { .. } => "TLS failed",
            Outcome::LocalError { .. } => "local error",
            Outcome::PortTester { .. } => "connected",
            Outcome::LocalFirewall { .. } => "local firewall",
            Outcome::DnsFailed { .. } => "DNS failed",
        }
    }

    /// One sentence explaining the outcome to a person.
    pub fn explain(&self) -> String {
        match self {
            Outcome::Banner(ex) => format!("The server answered: {}", ex.greeting.first_line()),
            Outcome::Refused => "The connection was refused (a TCP reset): either nothing listens there or a firewall rejects it.".into(),
            Outcome::Filtered => "The connection timed out: the packets were silently dropped on the way.".into(),
            Outcome::Unreachable { detail } => format!("The connection was stopped on the way: {detail}."),
            Outcome::NoRoute { detail } => format!("This machine has no route for this address family ({detail}). That is not a block."),
            Outcome::Silent => "Connected, but no SMTP greeting came: a tarpit, or a proxy in the way.".into(),
            Outcome::ClosedEarly => "Connected, then the other side closed the connection before greeting.".into(),
            Outcome::Reset => "Connected, then the connection was reset.".into(),
            Outcome::NotSmtp { first_bytes } => format!("Something answered, but it does not speak SMTP: {first_bytes}"),
            Outcome::TlsFailed { error } => format!("Connected, but the TLS handshake failed: {error}"),
            Outcome::LocalError { detail } => format!("This machine could not open the connection ({detail}); that says nothing about the network."),
            Outcome::PortTester { reply } => format!("Connected to the port tester, which {}: the path is open.", reply.describe()),
            Outcome::LocalFirewall { detail } => format!("A firewall on this computer refused the connection ({detail}); nothing reached the network."),
            Outcome::DnsFailed { reason } => match reason {
                DnsFailure::NxDomain => "The name does not exist in DNS.".into(),
                DnsFailure::NoAddress => "The name has no address of this family.".into(),
                DnsFailure::Timeout => "The DNS lookup timed out.".into(),
                DnsFailure::Forbidden { address } => format!("The name resolves to {address}, a private or local address, which the agent does not probe."),
                DnsFailure::Other { detail } => format!("The DNS lookup failed: {detail}"),
            },
        }
    }
}

/// An SMTP reply: a three-digit code and one or more lines of text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The reply code, e.g. 220.
    pub code: u16,
    /// The text of each line, without the code and separator.
    pub lines: Vec<String>,
}

impl Reply {
    /// Whether the reply spanned several lines (`220-...` then `220 ...`).
    pub fn multi_line(&self) -> bool {
        self.lines.len() > 1
    }

    /// The first line with its code, e.g. `220 mx.example.org ESMTP`.
    pub fn first_line(&self) -> String {
        format!(
            "{} {}",
            self.code,
            self.lines.first().map(String::as_str).unwrap_or("")
        )
    }

    /// The host name a greeting announces: the first word of the first line
    /// of a 220 greeting, when it looks like a name. Other replies start
    /// with other things (`421 4.3.2 Service not available` carries an
    /// enhanced status code, not a name).
    pub fn announced_host(&self) -> Option<&str> {
        if self.code != 220 {
            return None;
        }
        let word = self.lines.first()?.split_whitespace().next()?;
        let looks_like_name = word.contains('.')
            && word
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        looks_like_name.then_some(word)
    }
}

/// What happened after the greeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpExchange {
    /// The greeting (220 normally; 421/554 when the server refuses service).
    pub greeting: Reply,
    /// The answer to EHLO.
    pub ehlo: EhloOutcome,
    /// Whether this connection was TLS from the first byte (port 465).
    pub implicit_tls: bool,
    /// The TLS session, when one was attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOutcome>,
    /// What the mailport reflector proved, when the target is one
    /// ([`crate::Role::Reflector`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflector: Option<Box<crate::reflector::ReflectorProof>>,
}

impl EhloOutcome {
    /// Whether EHLO got no usable answer (timeout, reset, close, garbage).
    pub fn unanswered(&self) -> bool {
        matches!(
            self,
            EhloOutcome::NoReply
                | EhloOutcome::Reset
                | EhloOutcome::Closed
                | EhloOutcome::Garbage { .. }
        )
    }

    /// In words, for notes: `None` when EHLO was answered or not sent.
    pub fn failure(&self) -> Option<String> {
        match self {
            EhloOutcome::NoReply => Some("no answer to EHLO".into()),
            EhloOutcome::Reset => Some("the connection was reset at EHLO".into()),
            EhloOutcome::Closed => Some("the connection was closed at EHLO".into()),
            EhloOutcome::Garbage { why } => Some(format!("the answer to EHLO is not SMTP ({why})")),
            EhloOutcome::Accepted { .. } | EhloOutcome::Rejected { .. } | EhloOutcome::NotSent => {
                None
            }
        }
    }
}

impl SmtpExchange {
    /// Whether the server offered STARTTLS in its EHLO reply.
    pub fn starttls_offered(&self) -> bool {
        match &self.ehlo {
            EhloOutcome::Accepted { extensions, .. } => extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case("STARTTLS")),
            _ => false,
        }
    }
}

/// The answer to EHLO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EhloOutcome {
    /// 250 and a list of extensions (keywords upper-cased, parameters kept).
    Accepted {
        /// The full reply.
        reply: Reply,
        /// Extension lines after the first, e.g. `STARTTLS`, `SIZE 10240000`.
        extensions: Vec<String>,
    },
    /// Any other code: a proxy masking EHLO answers 500.
    Rejected {
        /// The reply.
        reply: Reply,
    },
    /// No reply before the timeout (in reports from before the cases below
    /// were told apart: any of them).
    NoReply,
    /// The connection was reset when EHLO was sent: what a DPI box that
    /// lets the greeting through and cuts the session does.
    Reset,
    /// The far side closed the connection instead of answering EHLO.
    Closed,
    /// What came back is not an SMTP reply.
    Garbage {
        /// What is wrong with it.
        why: String,
    },
    /// EHLO was not sent (the greeting was not 220).
    NotSent,
}

/// The result of a TLS handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsOutcome {
    /// The handshake completed.
    Established {
        /// e.g. `TLSv1.3`.
        version: String,
        /// e.g. `TLS13_AES_256_GCM_SHA384`.
        cipher: String,
        /// Whether the certificate chains to a trusted root.
        trusted: bool,
        /// Whether the certificate is valid for the host name probed.
        name_matches: bool,
        /// Names in the certificate (subject alternative names), at most 8.
        names: Vec<String>,
    },
    /// The handshake failed.
    Failed {
        /// Why.
        error: String,
    },
}

/// Escapes arbitrary bytes for display: printable ASCII kept, the rest as
/// `\xNN`, `\r`, `\n`; at most `max` input bytes.
pub fn escape_bytes(bytes: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape() {
        assert_eq!(
            escape_bytes(b"HTTP/1.1 400\r\n\x00\xff", 64),
            "HTTP/1.1 400\\r\\n\\x00\\xff"
        );
        assert_eq!(escape_bytes(b"abcdef", 3), "abc…");
    }

    #[test]
    fn announced_host() {
        let r = |l: &str| Reply {
            code: 220,
            lines: vec![l.into()],
        };
        assert_eq!(
            r("mx.example.org ESMTP Postfix").announced_host(),
            Some("mx.example.org")
        );
        assert_eq!(r("****************************").announced_host(), None);
        assert_eq!(r("").announced_host(), None);
        assert_eq!(r("ESMTP ready").announced_host(), None);
        let busy = Reply {
            code: 421,
            lines: vec!["4.3.2 Service not available, too busy".into()],
        };
        assert_eq!(busy.announced_host(), None);
    }

    #[test]
    fn wire_format_is_tagged() {
        let j = serde_json::to_string(&Outcome::Filtered).unwrap();
        assert_eq!(j, r#"{"kind":"filtered"}"#);
        let back: Outcome =
            serde_json::from_str(r#"{"kind":"not_smtp","first_bytes":"HTTP"}"#).unwrap();
        assert_eq!(
            back,
            Outcome::NotSmtp {
                first_bytes: "HTTP".into()
            }
        );
    }
}
