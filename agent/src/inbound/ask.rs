//! The agent's half of the call-back exchange: ask the reflector, verify
//! its signature over our challenge before reading a word of the statement.

use crate::probe::dial::Dialer;
use crate::probe::smtp::{self, ReplyReader};
use ed25519_dalek::{Signature, VerifyingKey};
use mailport_shared::inbound::callback::{
    parse_answer, parse_statement, signed_message, CallbackError, Request,
};
use mailport_shared::inbound::{InboundUntestable, Statement};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The reflector ports the request may travel on, in order: submission
/// first, since outbound 25 is the port most often blocked.
pub const VIA_PORTS: [u16; 4] = [587, 2525, 25, 26];

/// How long to wait for each step.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// The TCP handshake with the reflector.
    pub connect: Duration,
    /// The reflector's greeting.
    pub greeting: Duration,
    /// The signed statement: the call-back itself runs meanwhile.
    pub statement: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            connect: Duration::from_secs(4),
            greeting: Duration::from_secs(5),
            statement: Duration::from_secs(30),
        }
    }
}

/// A connection to the reflector, and this machine's address on it.
pub struct Connected {
    stream: tokio::net::TcpStream,
    reader: ReplyReader,
    /// This machine's address toward the reflector (what a port forward or
    /// the temporary listener must answer on).
    pub local: IpAddr,
}

/// Connects to the reflector on the first of [`VIA_PORTS`] that answers
/// and reads its greeting.
pub async fn connect(
    reflector: IpAddr,
    dialer: &dyn Dialer,
    deadlines: Deadlines,
) -> Result<Connected, InboundUntestable> {
    let mut last = String::from("no port answered");
    for port in VIA_PORTS {
        let addr = SocketAddr::new(reflector, port);
        let stream = match tokio::time::timeout(deadlines.connect, dialer.connect(addr)).await {
            Err(_) => {
                last = format!("port {port} timed out");
                continue;
            }
            Ok(Err(e)) => {
                last = format!("port {port}: {e}");
                continue;
            }
            Ok(Ok(s)) => s,
        };
        let Ok(local) = stream.local_addr().map(|a| a.ip()) else {
            last = "the connection has no local address".into();
            continue;
        };
        let mut stream = stream;
        let mut reader = ReplyReader::new();
        let deadline = tokio::time::Instant::now() + deadlines.greeting;
        match reader.read_reply(&mut stream, deadline).await {
            Ok(reply) if reply.code == 220 => {
                return Ok(Connected {
                    stream,
                    reader,
                    local: local.to_canonical(),
                })
            }
            Ok(reply) => {
                last = format!(
                    "port {port} answered {} {}",
                    reply.code,
                    reply.lines.join(" ")
                )
            }
            Err(e) => last = format!("port {port}: {e}"),
        }
    }
    Err(InboundUntestable::ReflectorUnreachable { detail: last })
}

/// Asks for a call-back on `ports` and returns the verified statement.
pub async fn ask(
    mut conn: Connected,
    key: &VerifyingKey,
    ports: &[u16],
    deadlines: Deadlines,
) -> Result<Statement, InboundUntestable> {
    let mut challenge = [0u8; 32];
    getrandom::fill(&mut challenge).map_err(|e| InboundUntestable::ReflectorUnreachable {
        detail: format!("no random challenge: {e}"),
    })?;
    let request = Request {
        challenge,
        ports: ports.to_vec(),
    };
    let deadline = tokio::time::Instant::now() + deadlines.statement;
    let line = request.line();
    let write = tokio::time::timeout(deadlines.greeting, conn.stream.write_all(line.as_bytes()));
    if !matches!(write.await, Ok(Ok(()))) {
        return Err(InboundUntestable::ReflectorUnreachable {
            detail: "the connection closed before the request was sent".into(),
        });
    }
    let reply = conn
        .reader
        .read_reply(&mut conn.stream, deadline)
        .await
        .map_err(|e| InboundUntestable::ReflectorUnreachable {
            detail: format!("no answer to the call-back request: {e}"),
        })?;
    let short = tokio::time::Instant::now() + Duration::from_millis(500);
    smtp::quit(&mut conn.stream, &mut conn.reader, short).await;
    let (bytes, signature) = parse_answer(reply.code, &reply.lines).map_err(|e| match e {
        CallbackError::Refused(reply) => InboundUntestable::Refused { reply },
        _ => InboundUntestable::BadSignature,
    })?;
    let signature = Signature::from_bytes(&signature);
    key.verify_strict(&signed_message(&challenge, &bytes), &signature)
        .map_err(|_| InboundUntestable::BadSignature)?;
    // Signed by the reflector over our challenge: now it may be read.
    parse_statement(&bytes).map_err(|_| InboundUntestable::BadSignature)
}
