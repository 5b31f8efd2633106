//! Stand-ins for the real default targets (shared `DEFAULT_TARGETS`), as
//! they behave on the real internet, so that a check with no target options
//! can be run against a simulated network:
//!
//! - `smtp PROFILE CERT KEY LISTENER...`: an SMTP server speaking like the
//!   real host (greeting, multi-line EHLO, STARTTLS, AUTH only after TLS on
//!   Gmail's submission server). A listener is `plain@ADDR` (greets in
//!   plain text, offers STARTTLS), `tls@ADDR` (implicit TLS, port 465) or
//!   `hold@ADDR` (accepts and says nothing: a web front end on the control
//!   port 443, closed after 30 s of silence).
//! - `portquiz LISTENER...`: portquiz.net, an HTTP server on every TCP port
//!   (the topology sends every port of its address to one listener): silent
//!   until the client sends something, an HTTP response to an HTTP request,
//!   `400 Bad Request` and a close to anything else (a TLS ClientHello, an
//!   SMTP command), a close after 60 s of silence (nginx's
//!   `client_header_timeout`).
//!
//! Where the real hosts' exact words are not known, the replies follow
//! their documented shape; the README of tests/netsim lists what is modelled.

use anyhow::{bail, Context, Result};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// How long a client may stay silent before a server hangs up.
const IDLE: Duration = Duration::from_secs(30);
/// Longest command line read (RFC 5321's 512, with room).
const MAX_LINE: u64 = 4096;

/// How one real host speaks SMTP.
#[derive(Clone, Copy)]
struct Profile {
    /// The greeting after `220 `; `{id}` becomes a per-connection id.
    greeting: &'static str,
    /// The first EHLO line after `250-`; `{addr}` becomes the client's address.
    ehlo_first: &'static str,
    /// The EHLO keywords before TLS (STARTTLS is added when TLS is possible).
    ehlo_plain: &'static [&'static str],
    /// The EHLO keywords once in TLS.
    ehlo_tls: &'static [&'static str],
    /// The reply to commands it does not take (MAIL, RCPT, ... are not
    /// modelled: the check never sends them).
    unknown: &'static str,
}

/// gmail-smtp-in.l.google.com: Google's inbound MX, port 25 only.
const GMAIL_MX: Profile = Profile {
    greeting: "mx.google.com ESMTP {id} - gsmtp",
    ehlo_first: "mx.google.com at your service, [{addr}]",
    ehlo_plain: &[
        "SIZE 157286400",
        "8BITMIME",
        "STARTTLS",
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "CHUNKING",
        "SMTPUTF8",
    ],
    ehlo_tls: &[
        "SIZE 157286400",
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "CHUNKING",
        "SMTPUTF8",
    ],
    unknown: "502 5.5.1 Unrecognized command. {id} - gsmtp",
};

/// smtp.gmail.com: Google's submission server (25, 465, 587); AUTH is
/// offered only over TLS.
const GMAIL_SUBMISSION: Profile = Profile {
    greeting: "smtp.gmail.com ESMTP {id} - gsmtp",
    ehlo_first: "smtp.gmail.com at your service, [{addr}]",
    ehlo_plain: &[
        "SIZE 35882577",
        "8BITMIME",
        "STARTTLS",
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "CHUNKING",
        "SMTPUTF8",
    ],
    ehlo_tls: &[
        "SIZE 35882577",
        "8BITMIME",
        "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
        "ENHANCEDSTATUSCODES",
        "PIPELINING",
        "CHUNKING",
        "SMTPUTF8",
    ],
    unknown: "502 5.5.1 Unrecognized command. {id} - gsmtp",
};

/// mx01.mail.icloud.com: Apple's inbound MX, port 25 only.
const ICLOUD_MX: Profile = Profile {
    greeting: "mx01.mail.icloud.com ESMTP ready",
    ehlo_first: "mx01.mail.icloud.com",
    ehlo_plain: &[
        "PIPELINING",
        "SIZE 28311552",
        "STARTTLS",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
    ],
    ehlo_tls: &[
        "PIPELINING",
        "SIZE 28311552",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
    ],
    unknown: "502 5.5.2 Error: command not recognized",
};

/// smtp.sendgrid.net: a relay service on 25, 465, 587 and 2525; its
/// greeting names the front end, not the service.
const SENDGRID: Profile = Profile {
    greeting: "SG ESMTP service ready at ismtpd0004p1iad2.sendgrid.net",
    ehlo_first: "smtp.sendgrid.net",
    ehlo_plain: &[
        "8BITMIME",
        "PIPELINING",
        "SIZE 31457280",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
        "AUTH=PLAIN LOGIN",
    ],
    ehlo_tls: &[
        "8BITMIME",
        "PIPELINING",
        "SIZE 31457280",
        "AUTH PLAIN LOGIN",
        "AUTH=PLAIN LOGIN",
    ],
    unknown: "502 Unrecognized command",
};

fn profile(name: &str) -> Result<Profile> {
    Ok(match name {
        "gmail-mx" => GMAIL_MX,
        "gmail-submission" => GMAIL_SUBMISSION,
        "icloud-mx" => ICLOUD_MX,
        "sendgrid" => SENDGRID,
        other => bail!("unknown profile {other} (gmail-mx, gmail-submission, icloud-mx, sendgrid)"),
    })
}

/// What a listener does with a connection.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Plain,
    ImplicitTls,
    Hold,
}

fn parse_listener(s: &str) -> Result<(Mode, SocketAddr)> {
    let (mode, addr) = s
        .split_once('@')
        .with_context(|| format!("listener must be MODE@ADDR: {s}"))?;
    let mode = match mode {
        "plain" => Mode::Plain,
        "tls" => Mode::ImplicitTls,
        "hold" => Mode::Hold,
        other => bail!("unknown listener mode {other} in {s}"),
    };
    Ok((
        mode,
        addr.parse()
            .with_context(|| format!("bad address in {s}"))?,
    ))
}

fn acceptor(cert: &str, key: &str) -> Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("read {cert}"))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("parse {cert}"))?;
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("read {key}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `smtp PROFILE CERT KEY LISTENER...`
pub async fn smtp(args: &[&str]) -> Result<()> {
    let [name, cert, key, listeners @ ..] = args else {
        bail!("usage: smtp PROFILE CERT KEY LISTENER...");
    };
    let profile = profile(name)?;
    let tls = acceptor(cert, key)?;
    let mut tasks = tokio::task::JoinSet::new();
    for l in listeners {
        let (mode, addr) = parse_listener(l)?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("bind {addr}"))?;
        let tls = tls.clone();
        tasks.spawn(async move {
            loop {
                let Ok((sock, peer)) = listener.accept().await else {
                    continue;
                };
                let tls = tls.clone();
                tokio::spawn(async move {
                    let r = match mode {
                        Mode::Plain => session(sock, peer, profile, Some(tls)).await,
                        Mode::ImplicitTls => match tls.accept(sock).await {
                            Ok(s) => session(s, peer, profile, None).await,
                            Err(e) => Err(e.into()),
                        },
                        Mode::Hold => hold(sock).await,
                    };
                    if let Err(e) = r {
                        eprintln!("{peer}: {e:#}");
                    }
                });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// A web front end on the control port: takes the connection, waits.
async fn hold(mut sock: TcpStream) -> Result<()> {
    let mut buf = [0u8; 1024];
    let _ = tokio::time::timeout(IDLE, sock.read(&mut buf)).await;
    Ok(())
}

/// A per-connection id in the style of Gmail's (`a1b2c3d4e5f6...si.12`).
fn session_id() -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:012x}si{}.{}", t & 0xffff_ffff_ffff, 1000 + n, n % 100)
}

/// One SMTP session: the greeting, then commands; on STARTTLS (offered when
/// `starttls` is given) the same dialogue again inside TLS, without a new
/// greeting. Returns after QUIT, a close or a silent client.
async fn session<S>(
    stream: S,
    peer: SocketAddr,
    p: Profile,
    starttls: Option<TlsAcceptor>,
) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = session_id();
    let addr = peer.ip().to_canonical().to_string();
    let mut s = BufReader::new(stream);
    let greeting = format!("220 {}\r\n", p.greeting.replace("{id}", &id));
    s.get_mut().write_all(greeting.as_bytes()).await?;
    let in_tls = starttls.is_none();
    match (dialogue(&mut s, &p, &id, &addr, in_tls).await?, starttls) {
        (Next::StartTls, Some(acceptor)) => {
            // Anything pipelined after STARTTLS is discarded (RFC 3207).
            let mut tls = BufReader::new(acceptor.accept(s.into_inner()).await?);
            dialogue(&mut tls, &p, &id, &addr, true).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// How a dialogue ended.
enum Next {
    /// QUIT, a close, or a silent client.
    Done,
    /// STARTTLS was accepted: the handshake comes next.
    StartTls,
}

/// Reads commands and answers them as the profile's host would.
async fn dialogue<S>(
    s: &mut BufReader<S>,
    p: &Profile,
    id: &str,
    addr: &str,
    in_tls: bool,
) -> Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let mut line = Vec::new();
        if read_line(s, &mut line, IDLE).await? == 0 {
            return Ok(Next::Done);
        }
        let text = String::from_utf8_lossy(&line);
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => {
                let keywords = if in_tls { p.ehlo_tls } else { p.ehlo_plain };
                let mut lines = vec![p.ehlo_first.replace("{addr}", addr)];
                lines.extend(keywords.iter().map(|k| k.to_string()));
                multi(250, &lines)
            }
            "HELO" => format!("250 {}\r\n", p.ehlo_first.replace("{addr}", addr)),
            "NOOP" | "RSET" => "250 2.0.0 OK\r\n".to_string(),
            "QUIT" => {
                s.get_mut()
                    .write_all(b"221 2.0.0 closing connection\r\n")
                    .await?;
                let _ = s.get_mut().shutdown().await;
                return Ok(Next::Done);
            }
            "STARTTLS" if !in_tls => {
                s.get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                return Ok(Next::StartTls);
            }
            _ => format!("{}\r\n", p.unknown.replace("{id}", id)),
        };
        s.get_mut().write_all(reply.as_bytes()).await?;
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes into `buf`; 0 at the end of
/// the stream or after `idle` without a line.
async fn read_line<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    buf: &mut Vec<u8>,
    idle: Duration,
) -> Result<usize> {
    let mut limited = r.take(MAX_LINE);
    match tokio::time::timeout(idle, limited.read_until(b'\n', buf)).await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Ok(0),
    }
}

/// A multi-line reply.
fn multi(code: u16, lines: &[String]) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        out.push_str(&format!("{code}{sep}{l}\r\n"));
    }
    out
}

/// `portquiz LISTENER...` (each an address).
pub async fn portquiz(args: &[&str]) -> Result<()> {
    if args.is_empty() {
        bail!("usage: portquiz ADDR...");
    }
    let mut tasks = tokio::task::JoinSet::new();
    for a in args {
        let addr: SocketAddr = a.parse().with_context(|| format!("bad address {a}"))?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("bind {addr}"))?;
        tasks.spawn(async move {
            loop {
                let Ok((sock, peer)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    if let Err(e) = http(sock, peer).await {
                        eprintln!("{peer}: {e:#}");
                    }
                });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// One portquiz connection: nothing until the client speaks.
async fn http(sock: TcpStream, peer: SocketAddr) -> Result<()> {
    let mut s = BufReader::new(sock);
    // Like nginx, judge the request line byte by byte: a first byte that
    // cannot start a method (a TLS ClientHello's 0x16) is an error at once.
    let starts_method = match tokio::time::timeout(Duration::from_secs(60), s.fill_buf()).await {
        Ok(Ok([])) | Err(_) => return Ok(()),
        Ok(Ok(buf)) => buf[0].is_ascii_uppercase(),
        Ok(Err(e)) => return Err(e.into()),
    };
    let mut first = Vec::new();
    if starts_method && read_line(&mut s, &mut first, IDLE).await? == 0 {
        return Ok(());
    }
    let line = String::from_utf8_lossy(&first);
    let is_http = line.trim_end().ends_with("HTTP/1.1") || line.trim_end().ends_with("HTTP/1.0");
    let sock = s.get_mut();
    if !is_http {
        // A TLS ClientHello, an SMTP EHLO: not a request line.
        let body = "<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center></body></html>\r\n";
        let resp = format!(
            "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(resp.as_bytes()).await?;
        let _ = sock.shutdown().await;
        return Ok(());
    }
    // The rest of the request head, up to the blank line (bounded).
    let mut head = 0u64;
    loop {
        let mut l = Vec::new();
        let n = read_line(&mut s, &mut l, IDLE).await?;
        head += n as u64;
        if n == 0 || l == b"\r\n" || l == b"\n" || head > 64 * 1024 {
            break;
        }
    }
    let body = format!(
        "Port test successful!\nYour IP: {}\n",
        peer.ip().to_canonical()
    );
    let resp = format!(
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let sock = s.get_mut();
    sock.write_all(resp.as_bytes()).await?;
    let _ = sock.shutdown().await;
    Ok(())
}
