//! A fake submission server for the relay tests and the relay benchmark:
//! STARTTLS or TLS from the first byte, AUTH PLAIN and LOGIN against one
//! login, a sender check, and a log of every command received.
#![allow(dead_code)]

use base64::Engine as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The login the fake accepts.
pub const USER: &str = "me@example.org";
/// Its password.
pub const PASSWORD: &str = "Corr3ct-h0rse:battery staple";

/// A certificate for `names`, and the server side of it.
#[derive(Clone)]
pub struct Cert {
    pub der: CertificateDer<'static>,
    pub pem: String,
    key: Vec<u8>,
}

impl Cert {
    pub fn new(names: &[&str]) -> Self {
        let ck = rcgen::generate_simple_self_signed(
            names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .expect("rcgen");
        Cert {
            der: ck.cert.der().clone(),
            pem: ck.cert.pem(),
            key: ck.key_pair.serialize_der(),
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![self.der.clone()], key)
        .expect("server config");
        TlsAcceptor::from(Arc::new(config))
    }
}

/// How the fake relay behaves.
#[derive(Clone)]
pub struct Relay {
    /// TLS from the first byte (465) instead of STARTTLS.
    pub implicit: bool,
    /// Offer STARTTLS (ignored when `implicit`).
    pub starttls: bool,
    /// Mechanisms offered after TLS.
    pub mechanisms: &'static str,
    /// Senders accepted; any other gets 553.
    pub sender: &'static str,
    pub cert: Cert,
    /// Every command line received, as sent (for the no-DATA check).
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Relay {
    pub fn new(cert: &Cert) -> Self {
        Relay {
            implicit: false,
            starttls: true,
            mechanisms: "PLAIN LOGIN",
            sender: USER,
            cert: cert.clone(),
            log: Arc::default(),
        }
    }

    pub async fn start(self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                let me = self.clone();
                tokio::spawn(async move {
                    if me.implicit {
                        if let Ok(tls) = me.cert.acceptor().accept(sock).await {
                            let mut r = BufReader::new(tls);
                            let _ = r.write_all(b"220 relay.fake ESMTP\r\n").await;
                            let _ = me.serve(&mut r, true).await;
                        }
                    } else {
                        let mut r = BufReader::new(sock);
                        let _ = r.write_all(b"220 relay.fake ESMTP\r\n").await;
                        if me.serve(&mut r, false).await == Some(true) {
                            let sock = r.into_inner();
                            if let Ok(tls) = me.cert.acceptor().accept(sock).await {
                                let _ = me.serve(&mut BufReader::new(tls), true).await;
                            }
                        }
                    }
                });
            }
        });
        addr
    }

    /// Answers commands; `Some(true)` when the client asked for STARTTLS.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        r: &mut BufReader<S>,
        tls: bool,
    ) -> Option<bool> {
        let mut login_step = 0u8;
        let mut login_user = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.ok()? == 0 {
                return Some(false);
            }
            let line = line.trim_end().to_string();
            self.log.lock().ok()?.push(line.clone());
            let upper = line.to_ascii_uppercase();
            let b64 = base64::engine::general_purpose::STANDARD;
            let reply: String = if login_step == 1 {
                login_user = String::from_utf8(b64.decode(&line).ok()?).ok()?;
                login_step = 2;
                "334 UGFzc3dvcmQ6".into()
            } else if login_step == 2 {
                login_step = 0;
                let pass = String::from_utf8(b64.decode(&line).ok()?).ok()?;
                self.verdict(&login_user, &pass)
            } else if upper.starts_with("EHLO") {
                let mut ext = vec!["250-relay.fake".to_string(), "250-SIZE 1000000".into()];
                if tls {
                    ext.push(format!("250-AUTH {}", self.mechanisms));
                } else if self.starttls {
                    ext.push("250-STARTTLS".into());
                }
                ext.push("250 8BITMIME".into());
                ext.join("\r\n")
            } else if upper == "STARTTLS" && !tls && self.starttls {
                r.write_all(b"220 go ahead\r\n").await.ok()?;
                return Some(true);
            } else if let Some(blob) = line.strip_prefix("AUTH PLAIN ") {
                let raw = b64.decode(blob).ok()?;
                let parts: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
                let user = String::from_utf8_lossy(parts.get(1)?).to_string();
                let pass = String::from_utf8_lossy(parts.get(2)?).to_string();
                self.verdict(&user, &pass)
            } else if upper == "AUTH LOGIN" {
                login_step = 1;
                "334 VXNlcm5hbWU6".into()
            } else if let Some(from) = upper.strip_prefix("MAIL FROM:<") {
                if from.trim_end_matches('>') == self.sender.to_ascii_uppercase() {
                    "250 2.1.0 Ok".into()
                } else {
                    "553 5.7.1 <x@y>: Sender address rejected: not owned by user me@example.org"
                        .into()
                }
            } else if upper.starts_with("RCPT TO:") {
                "250 2.1.5 Ok".into()
            } else if upper == "RSET" {
                "250 2.0.0 Ok".into()
            } else if upper == "QUIT" {
                let _ = r.write_all(b"221 2.0.0 Bye\r\n").await;
                return Some(false);
            } else {
                "502 5.5.2 command not recognized".into()
            };
            r.write_all(format!("{reply}\r\n").as_bytes()).await.ok()?;
        }
    }

    fn verdict(&self, user: &str, pass: &str) -> String {
        if user == USER && pass == PASSWORD {
            "235 2.7.0 Authentication successful".into()
        } else {
            "535 5.7.8 Error: authentication failed: \x1b[31mbad\x1b[0m".into()
        }
    }

    pub fn commands(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}
