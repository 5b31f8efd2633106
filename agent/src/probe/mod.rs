//! One probe: connect to one address on one port, read what answers, and
//! say what it was as an [`Outcome`].
//!
//! Every phase has a deadline: the connect timeout for the handshake, the
//! greeting timeout for the greeting (or the implicit-TLS handshake and the
//! greeting together on 465), and one more greeting timeout for everything
//! after it (EHLO, STARTTLS, the TLS handshake, EHLO again, QUIT). A hostile
//! server can therefore hold a probe for at most
//! `connect + 2 × greeting` timeouts.

pub mod allowed;
pub mod connect;
pub mod dial;
pub mod http;
pub mod smtp;
pub mod tcp;
pub mod tls;

use crate::probe::smtp::{ReadError, ReplyReader};
use crate::probe::tls::{HandshakeError, TlsContext};
use mailport_shared::outcome::TesterReply;
use mailport_shared::outcome::{EhloOutcome, SmtpExchange, TlsOutcome};
use mailport_shared::{Outcome, ProbeSpec, Role};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

pub use dial::{Dialer, DirectDialer};

/// The port that speaks TLS from the first byte (RFC 8314).
pub const IMPLICIT_TLS_PORT: u16 = 465;

/// How to probe: the check's timeouts and the agent's settings.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Greeting timeout; also the budget for everything after the greeting.
    pub greeting_timeout: Duration,
    /// Upgrade with STARTTLS when offered.
    pub starttls: bool,
    /// The EHLO name; `None` uses the address literal of the local address.
    pub ehlo_name: Option<String>,
}

/// What one probe measured (the address and DNS time are added by the runner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measured {
    /// The outcome.
    pub outcome: Outcome,
    /// Connect time, when a connect was attempted.
    pub connect_ms: Option<u32>,
    /// Time from established to the complete greeting.
    pub greeting_ms: Option<u32>,
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// Probes `spec.port` on `addr`: TCP (timed by `pacer`, see [`connect`]),
/// then SMTP (over TLS on 465), or HTTP for a port tester.
pub async fn probe(
    spec: &ProbeSpec,
    addr: IpAddr,
    dialer: &dyn Dialer,
    tls: &TlsContext,
    config: &ProbeConfig,
    pacer: &dyn connect::Pacer,
) -> Measured {
    let start = Instant::now();
    let target = SocketAddr::new(addr, spec.port);
    let failed = |outcome| Measured {
        outcome,
        connect_ms: Some(ms(start.elapsed())),
        greeting_ms: None,
    };
    let stream = match connect::connect(dialer, target, spec, pacer, config.connect_timeout).await {
        connect::Connected::TimedOut => return failed(Outcome::Filtered),
        connect::Connected::Failed(e) => return failed(tcp::classify_connect_error_to(&e, addr)),
        connect::Connected::Stream(s) => s,
    };
    let connected = Instant::now();
    let connect_ms = Some(ms(connected - start));
    let ehlo_name = config
        .ehlo_name
        .clone()
        .unwrap_or_else(|| address_literal(&stream));
    let greeting_deadline = connected + config.greeting_timeout;
    let session = Session {
        host: &spec.host,
        tls,
        ehlo_name: &ehlo_name,
        starttls: config.starttls,
        budget: config.greeting_timeout,
    };
    let (outcome, greeting_at) = if spec.role == Role::PortEcho {
        port_tester(stream, spec, &session, connected, config).await
    } else if spec.port == IMPLICIT_TLS_PORT {
        match tls::handshake(tls, stream, &spec.host, greeting_deadline).await {
            Ok((tls_stream, tls_outcome)) => {
                session
                    .smtp(tls_stream, greeting_deadline, true, Some(tls_outcome))
                    .await
            }
            Err(e) => (handshake_outcome(e), None),
        }
    } else {
        session.smtp(stream, greeting_deadline, false, None).await
    };
    Measured {
        outcome,
        connect_ms,
        greeting_ms: greeting_at.map(|t| ms(t - connected)),
    }
}

/// A port tester (see [`http`]): listen a quiet moment, then ask for a page.
/// Something that greets first is read as SMTP (in plain text, on 465 too:
/// a tester speaks no TLS, and whatever greets in its place is the finding).
async fn port_tester(
    mut stream: TcpStream,
    spec: &ProbeSpec,
    session: &Session<'_>,
    connected: Instant,
    config: &ProbeConfig,
) -> (Outcome, Option<Instant>) {
    let greeting_deadline = connected + config.greeting_timeout;
    let quiet_until = (connected + http::QUIET).min(greeting_deadline);
    match http::listen(&stream, quiet_until).await {
        http::Quiet::SpokeFirst => session.smtp(stream, greeting_deadline, false, None).await,
        http::Quiet::Ended => (
            Outcome::PortTester {
                reply: TesterReply::Closed,
            },
            None,
        ),
        http::Quiet::Silent => {
            let deadline = Instant::now() + http::ANSWER.min(config.greeting_timeout);
            let reply = http::ask(&mut stream, &spec.host, deadline).await;
            (Outcome::PortTester { reply }, None)
        }
    }
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]`: the EHLO argument of a client
/// without a name (RFC 5321 §4.1.3).
fn address_literal(stream: &TcpStream) -> String {
    match stream.local_addr().map(|a| a.ip()) {
        Ok(IpAddr::V4(v4)) => format!("[{v4}]"),
        Ok(IpAddr::V6(v6)) => format!("[IPv6:{v6}]"),
        Err(_) => "[127.0.0.1]".to_string(),
    }
}

fn handshake_outcome(e: HandshakeError) -> Outcome {
    match e {
        HandshakeError::Timeout => Outcome::Silent,
        HandshakeError::Closed => Outcome::ClosedEarly,
        HandshakeError::Reset => Outcome::Reset,
        e @ (HandshakeError::BadName(_) | HandshakeError::Failed(_)) => Outcome::TlsFailed {
            error: e.to_string(),
        },
    }
}

fn greeting_failure(e: ReadError, reader: &ReplyReader) -> Outcome {
    match e {
        ReadError::Timeout { .. } => Outcome::Silent,
        ReadError::Closed => Outcome::ClosedEarly,
        ReadError::Reset => Outcome::Reset,
        ReadError::NotSmtp { .. } => Outcome::NotSmtp {
            first_bytes: reader.first_bytes(),
        },
        ReadError::Io(_) => Outcome::Reset,
    }
}

/// The SMTP part of a probe, over a plain or TLS stream.
struct Session<'a> {
    host: &'a str,
    tls: &'a TlsContext,
    ehlo_name: &'a str,
    starttls: bool,
    budget: Duration,
}

impl Session<'_> {
    /// Reads the greeting, then EHLO, STARTTLS when offered, QUIT. Returns
    /// the outcome and when the greeting was complete.
    async fn smtp<S>(
        &self,
        mut stream: S,
        greeting_deadline: Instant,
        implicit_tls: bool,
        tls_outcome: Option<TlsOutcome>,
    ) -> (Outcome, Option<Instant>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut reader = ReplyReader::new();
        let greeting = match reader.read_reply(&mut stream, greeting_deadline).await {
            Ok(g) => g,
            Err(e) => return (greeting_failure(e, &reader), None),
        };
        let greeted = Instant::now();
        let deadline = greeted + self.budget;
        let mut exchange = SmtpExchange {
            greeting,
            ehlo: EhloOutcome::NotSent,
            implicit_tls,
            tls: tls_outcome,
            reflector: None,
        };
        if exchange.greeting.code != 220 {
            smtp::quit(&mut stream, &mut reader, deadline).await;
            return (Outcome::Banner(exchange), Some(greeted));
        }
        exchange.ehlo = smtp::ehlo(&mut stream, &mut reader, self.ehlo_name, deadline).await;
        if implicit_tls || !self.starttls || !exchange.starttls_offered() {
            if !exchange.ehlo.unanswered() {
                smtp::quit(&mut stream, &mut reader, deadline).await;
            }
            return (Outcome::Banner(exchange), Some(greeted));
        }
        exchange.tls = Some(self.starttls(stream, &mut reader, deadline).await);
        (Outcome::Banner(exchange), Some(greeted))
    }

    /// STARTTLS, the handshake, EHLO again over TLS, QUIT.
    async fn starttls<S>(
        &self,
        mut stream: S,
        reader: &mut ReplyReader,
        deadline: Instant,
    ) -> TlsOutcome
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let failed = |error: String| TlsOutcome::Failed { error };
        match smtp::command(&mut stream, reader, "STARTTLS", deadline).await {
            Ok(reply) if reply.code == 220 => {}
            Ok(reply) => return failed(format!("STARTTLS was refused: {}", reply.first_line())),
            Err(e) => return failed(format!("no answer to STARTTLS: {e}")),
        }
        if reader.has_leftover() {
            // Bytes sent before the handshake must not be read as if they
            // came over TLS (the STARTTLS command injection flaw).
            return failed("the server sent data after agreeing to STARTTLS".into());
        }
        match tls::handshake(self.tls, stream, self.host, deadline).await {
            Ok((mut tls_stream, outcome)) => {
                let mut reader = ReplyReader::new();
                let _ = smtp::ehlo(&mut tls_stream, &mut reader, self.ehlo_name, deadline).await;
                smtp::quit(&mut tls_stream, &mut reader, deadline).await;
                outcome
            }
            Err(e) => failed(e.to_string()),
        }
    }
}
