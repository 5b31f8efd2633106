//! The relay test itself: connect, greeting, EHLO, STARTTLS (or TLS from
//! the first byte on 465), the certificate against the relay's name, EHLO
//! again, AUTH, and with an envelope MAIL FROM and RCPT TO; then RSET and
//! QUIT. Never DATA: no mail leaves.
//!
//! Every read and write has its own deadline ([`ClientConfig::step_timeout`]),
//! replies go through the probes' [`ReplyReader`] (capped, escaped), and
//! every decision is one of the pure `judge_*` functions of
//! [`mailport_shared::relay::step`]. The password is sent only over TLS
//! whose certificate is trusted and names the relay, and it never enters
//! the [`RelayReport`].

use super::password::Secret;
use crate::probe::dial::Dialer;
use crate::probe::smtp::{self, ReadError, ReplyReader};
use crate::probe::tcp;
use crate::probe::tls::{self, HandshakeError, TlsContext};
use base64::Engine as _;
use mailport_shared::outcome::{Outcome, Reply, TlsOutcome};
use mailport_shared::relay::step::{
    self, Mechanism, Problem, RelayReport, RelayVerdict, Step, StepKind, StepStatus,
};
use mailport_shared::relay::{RelaySpec, Security};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How the test runs.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// TCP connect timeout, per address.
    pub connect_timeout: Duration,
    /// Deadline of each later step (one reply, or one TLS handshake).
    pub step_timeout: Duration,
    /// The EHLO name; `None` uses the address literal of the local address.
    pub ehlo_name: Option<String>,
}

/// `MAIL FROM` and `RCPT TO` to try.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// The sender.
    pub from: String,
    /// The recipient.
    pub to: String,
}

/// Where the relay is and how to reach it.
pub struct Target<'a> {
    /// Opens the connections (tests map the port to a fake).
    pub dialer: &'a dyn Dialer,
    /// The relay.
    pub spec: &'a RelaySpec,
    /// Its addresses, tried in order until one connects.
    pub addrs: &'a [IpAddr],
    /// Trust anchors for its certificate.
    pub tls: &'a TlsContext,
}

/// Records the steps as they run.
struct Run {
    steps: Vec<Step>,
    since: Instant,
}

impl Run {
    fn ms(&self) -> u32 {
        u32::try_from(self.since.elapsed().as_millis()).unwrap_or(u32::MAX)
    }

    fn pass(&mut self, kind: StepKind, reply: Option<Reply>, detail: Option<String>) {
        let ms = self.ms();
        self.steps.push(Step {
            kind,
            status: StepStatus::Passed,
            reply,
            detail,
            ms,
        });
        self.since = Instant::now();
    }

    fn fail(&mut self, kind: StepKind, reply: Option<Reply>, problem: Problem) -> Problem {
        let ms = self.ms();
        self.steps.push(Step {
            kind,
            status: StepStatus::Failed,
            reply,
            detail: None,
            ms,
        });
        problem
    }
}

/// Tests the relay at `target` with this login.
pub async fn test_relay(
    target: &Target<'_>,
    password: &Secret,
    envelope: Option<&Envelope>,
    config: &ClientConfig,
) -> RelayReport {
    let mut run = Run {
        steps: Vec::new(),
        since: Instant::now(),
    };
    let verdict = match session(target, password, envelope, config, &mut run).await {
        Ok(()) => RelayVerdict::Works {
            envelope_tested: envelope.is_some(),
        },
        Err(problem) => RelayVerdict::Fails { problem },
    };
    let spec = target.spec;
    RelayReport {
        host: spec.host.clone(),
        port: spec.port,
        user: spec.user.clone(),
        steps: run.steps,
        verdict,
    }
}

/// The report of a name that did not resolve.
pub fn dns_failure(spec: &RelaySpec, detail: String) -> RelayReport {
    RelayReport {
        host: spec.host.clone(),
        port: spec.port,
        user: spec.user.clone(),
        steps: vec![Step {
            kind: StepKind::Resolve,
            status: StepStatus::Failed,
            reply: None,
            detail: None,
            ms: 0,
        }],
        verdict: RelayVerdict::Fails {
            problem: Problem::DnsFailed { detail },
        },
    }
}

async fn connect(
    dialer: &dyn Dialer,
    addrs: &[IpAddr],
    port: u16,
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), Outcome> {
    let mut first_failure: Option<Outcome> = None;
    for ip in addrs {
        let target = SocketAddr::new(*ip, port);
        let outcome = match tokio::time::timeout(timeout, dialer.connect(target)).await {
            Ok(Ok(s)) => return Ok((s, target)),
            Ok(Err(e)) => tcp::classify_connect_error(&e),
            Err(_) => Outcome::Filtered,
        };
        // "No route" for one family says less than what the other met.
        match (&first_failure, &outcome) {
            (None, _) | (Some(Outcome::NoRoute { .. }), _) => first_failure = Some(outcome),
            _ => {}
        }
    }
    Err(first_failure.unwrap_or(Outcome::NoRoute {
        detail: "no address to connect to".into(),
    }))
}

fn address_literal(stream: &TcpStream) -> String {
    match stream.local_addr().map(|a| a.ip()) {
        Ok(IpAddr::V4(v4)) => format!("[{v4}]"),
        Ok(IpAddr::V6(v6)) => format!("[IPv6:{v6}]"),
        Err(_) => "[127.0.0.1]".to_string(),
    }
}

fn read_problem(e: &ReadError, during: StepKind) -> Problem {
    match e {
        ReadError::Timeout { .. } => Problem::Timeout { during },
        other => Problem::ConnectionLost {
            during,
            detail: other.to_string(),
        },
    }
}

fn handshake_problem(e: &HandshakeError) -> Problem {
    match e {
        HandshakeError::Timeout => Problem::Timeout {
            during: StepKind::ImplicitTls,
        },
        other => Problem::TlsFailed {
            error: other.to_string(),
        },
    }
}

fn tls_detail(t: &TlsOutcome) -> Option<String> {
    match t {
        TlsOutcome::Established { version, names, .. } => {
            Some(format!("{version}, certificate for {}", names.join(", ")))
        }
        TlsOutcome::Failed { .. } => None,
    }
}

async fn session(
    target: &Target<'_>,
    password: &Secret,
    envelope: Option<&Envelope>,
    config: &ClientConfig,
    run: &mut Run,
) -> Result<(), Problem> {
    let Target {
        dialer,
        spec,
        addrs,
        tls,
    } = *target;
    let (stream, addr) = match connect(dialer, addrs, spec.port, config.connect_timeout).await {
        Ok(s) => s,
        Err(outcome) => {
            return Err(run.fail(StepKind::Connect, None, step::connect_problem(outcome)))
        }
    };
    run.pass(StepKind::Connect, None, Some(addr.to_string()));
    let ehlo_name = config
        .ehlo_name
        .clone()
        .unwrap_or_else(|| address_literal(&stream));
    let s = Session {
        spec,
        password,
        envelope,
        ehlo_name: &ehlo_name,
        timeout: config.step_timeout,
    };
    match spec.security() {
        Security::ImplicitTls => {
            let deadline = Instant::now() + s.timeout;
            let (mut tls_stream, outcome) = tls::handshake(tls, stream, &spec.host, deadline)
                .await
                .map_err(|e| run.fail(StepKind::ImplicitTls, None, handshake_problem(&e)))?;
            run.pass(StepKind::ImplicitTls, None, tls_detail(&outcome));
            step::judge_certificate(&outcome)
                .map_err(|p| run.fail(StepKind::Certificate, None, p))?;
            run.pass(
                StepKind::Certificate,
                None,
                Some("trusted, names the relay".into()),
            );
            let mut reader = ReplyReader::new();
            s.greeting(&mut tls_stream, &mut reader, run).await?;
            let ext = s
                .ehlo(&mut tls_stream, &mut reader, StepKind::Ehlo, run)
                .await?;
            s.authenticated(&mut tls_stream, &mut reader, &ext, run)
                .await
        }
        Security::StartTls => {
            let mut stream = stream;
            let mut reader = ReplyReader::new();
            s.greeting(&mut stream, &mut reader, run).await?;
            let ext = s
                .ehlo(&mut stream, &mut reader, StepKind::Ehlo, run)
                .await?;
            if !step::offers(&ext, "STARTTLS") {
                let problem = Problem::TlsNotOffered;
                smtp::quit(&mut stream, &mut reader, Instant::now() + s.timeout).await;
                return Err(run.fail(StepKind::StartTls, None, problem));
            }
            let deadline = Instant::now() + s.timeout;
            let reply = smtp::command(&mut stream, &mut reader, "STARTTLS", deadline)
                .await
                .map_err(|e| {
                    run.fail(
                        StepKind::StartTls,
                        None,
                        read_problem(&e, StepKind::StartTls),
                    )
                })?;
            if reply.code != 220 {
                return Err(run.fail(
                    StepKind::StartTls,
                    Some(reply.clone()),
                    Problem::StartTlsRefused { reply },
                ));
            }
            if reader.has_leftover() {
                // Bytes sent before the handshake must not be read as if
                // they came over TLS (the STARTTLS injection flaw).
                return Err(run.fail(
                    StepKind::StartTls,
                    Some(reply),
                    Problem::TlsFailed {
                        error: "the server sent data after agreeing to STARTTLS".into(),
                    },
                ));
            }
            let deadline = Instant::now() + s.timeout;
            let (mut tls_stream, outcome) = tls::handshake(tls, stream, &spec.host, deadline)
                .await
                .map_err(|e| {
                    run.fail(
                        StepKind::StartTls,
                        Some(reply.clone()),
                        handshake_problem(&e),
                    )
                })?;
            run.pass(StepKind::StartTls, Some(reply), tls_detail(&outcome));
            step::judge_certificate(&outcome)
                .map_err(|p| run.fail(StepKind::Certificate, None, p))?;
            run.pass(
                StepKind::Certificate,
                None,
                Some("trusted, names the relay".into()),
            );
            let mut reader = ReplyReader::new();
            let ext = s
                .ehlo(&mut tls_stream, &mut reader, StepKind::EhloTls, run)
                .await?;
            s.authenticated(&mut tls_stream, &mut reader, &ext, run)
                .await
        }
    }
}

struct Session<'a> {
    spec: &'a RelaySpec,
    password: &'a Secret,
    envelope: Option<&'a Envelope>,
    ehlo_name: &'a str,
    timeout: Duration,
}

impl Session<'_> {
    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    async fn greeting<S>(
        &self,
        stream: &mut S,
        reader: &mut ReplyReader,
        run: &mut Run,
    ) -> Result<(), Problem>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let greeting = match reader.read_reply(stream, self.deadline()).await {
            Ok(g) => g,
            Err(e) => {
                let outcome = match e {
                    ReadError::Timeout { .. } => Outcome::Silent,
                    ReadError::Closed => Outcome::ClosedEarly,
                    ReadError::NotSmtp { .. } => Outcome::NotSmtp {
                        first_bytes: reader.first_bytes(),
                    },
                    ReadError::Reset | ReadError::Io(_) => Outcome::Reset,
                };
                return Err(run.fail(
                    StepKind::Greeting,
                    None,
                    Problem::NoGreeting {
                        outcome: Box::new(outcome),
                    },
                ));
            }
        };
        match step::judge_greeting(&greeting) {
            Ok(()) => {
                run.pass(StepKind::Greeting, Some(greeting), None);
                Ok(())
            }
            Err(p) => Err(run.fail(StepKind::Greeting, Some(greeting), p)),
        }
    }

    /// EHLO; returns the extensions.
    async fn ehlo<S>(
        &self,
        stream: &mut S,
        reader: &mut ReplyReader,
        kind: StepKind,
        run: &mut Run,
    ) -> Result<Vec<String>, Problem>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let line = format!("EHLO {}", self.ehlo_name);
        let reply = smtp::command(stream, reader, &line, self.deadline())
            .await
            .map_err(|e| run.fail(kind, None, read_problem(&e, kind)))?;
        if reply.code != 250 {
            return Err(run.fail(kind, Some(reply.clone()), Problem::EhloRefused { reply }));
        }
        let ext = smtp::extensions(&reply);
        let auth = step::auth_mechanisms(&ext);
        let mut offered = Vec::new();
        if step::offers(&ext, "STARTTLS") {
            offered.push("STARTTLS".to_string());
        }
        if !auth.is_empty() {
            offered.push(format!("AUTH {}", auth.join(" ")));
        }
        let detail = if offered.is_empty() {
            "no STARTTLS, no AUTH".to_string()
        } else {
            offered.join(", ")
        };
        run.pass(kind, Some(reply), Some(detail));
        Ok(ext)
    }

    /// AUTH, then the envelope when given, then RSET and QUIT.
    async fn authenticated<S>(
        &self,
        stream: &mut S,
        reader: &mut ReplyReader,
        ext: &[String],
        run: &mut Run,
    ) -> Result<(), Problem>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mechanism =
            step::choose_mechanism(ext).map_err(|p| run.fail(StepKind::Auth, None, p))?;
        let reply = self.auth(stream, reader, mechanism).await;
        let reply =
            reply.map_err(|e| run.fail(StepKind::Auth, None, read_problem(&e, StepKind::Auth)))?;
        if let Err(p) = step::judge_auth(&reply) {
            smtp::quit(stream, reader, self.deadline()).await;
            return Err(run.fail(StepKind::Auth, Some(reply), p));
        }
        run.pass(
            StepKind::Auth,
            Some(reply),
            Some(mechanism.name().to_string()),
        );
        if let Some(env) = self.envelope {
            let line = format!("MAIL FROM:<{}>", env.from);
            let reply = smtp::command(stream, reader, &line, self.deadline())
                .await
                .map_err(|e| {
                    run.fail(
                        StepKind::MailFrom,
                        None,
                        read_problem(&e, StepKind::MailFrom),
                    )
                })?;
            if let Err(p) = step::judge_mail_from(&reply) {
                smtp::quit(stream, reader, self.deadline()).await;
                return Err(run.fail(StepKind::MailFrom, Some(reply), p));
            }
            run.pass(StepKind::MailFrom, Some(reply), Some(env.from.clone()));
            let line = format!("RCPT TO:<{}>", env.to);
            let reply = smtp::command(stream, reader, &line, self.deadline())
                .await
                .map_err(|e| {
                    run.fail(StepKind::RcptTo, None, read_problem(&e, StepKind::RcptTo))
                })?;
            if let Err(p) = step::judge_rcpt_to(&reply) {
                let _ = smtp::command(stream, reader, "RSET", self.deadline()).await;
                smtp::quit(stream, reader, self.deadline()).await;
                return Err(run.fail(StepKind::RcptTo, Some(reply), p));
            }
            run.pass(StepKind::RcptTo, Some(reply), Some(env.to.clone()));
            // The transaction is abandoned: no DATA, nothing is sent.
            let _ = smtp::command(stream, reader, "RSET", self.deadline()).await;
        }
        smtp::quit(stream, reader, self.deadline()).await;
        Ok(())
    }

    /// The AUTH exchange; returns the server's final reply. The lines that
    /// carry the password are written to the stream and nowhere else.
    async fn auth<S>(
        &self,
        stream: &mut S,
        reader: &mut ReplyReader,
        mechanism: Mechanism,
    ) -> Result<Reply, ReadError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let user = self.spec.user.as_bytes();
        let pass = self.password.expose().as_bytes();
        match mechanism {
            Mechanism::Plain => {
                let mut blob = Vec::with_capacity(user.len() + pass.len() + 2);
                blob.push(0);
                blob.extend_from_slice(user);
                blob.push(0);
                blob.extend_from_slice(pass);
                let line = format!("AUTH PLAIN {}", b64(&blob));
                smtp::command(stream, reader, &line, self.deadline()).await
            }
            Mechanism::Login => {
                let r = smtp::command(stream, reader, "AUTH LOGIN", self.deadline()).await?;
                if r.code != 334 {
                    return Ok(r);
                }
                let r = smtp::command(stream, reader, &b64(user), self.deadline()).await?;
                if r.code != 334 {
                    return Ok(r);
                }
                smtp::command(stream, reader, &b64(pass), self.deadline()).await
            }
        }
    }
}
