//! `mailport relay` against fake relays on loopback: right and wrong
//! password, STARTTLS missing, sender refused, implicit TLS on 465, a
//! certificate for another name, a dropped port; and the CLI's promise
//! that the password never reaches its output.

mod fakes;

use base64::Engine as _;
use fakes::MapDialer;
use mailport::probe::tls::TlsContext;
use mailport::relay::client::{self, ClientConfig, Envelope};
use mailport::relay::password::Secret;
use mailport_shared::outcome::Outcome;
use mailport_shared::relay::step::{Problem, RelayReport, RelayVerdict, StepKind, StepStatus};
use mailport_shared::relay::RelaySpec;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const USER: &str = "me@example.org";
const PASSWORD: &str = "Corr3ct-h0rse:battery staple";

/// A certificate for `names`, and the server side of it.
#[derive(Clone)]
struct Cert {
    der: CertificateDer<'static>,
    pem: String,
    key: Vec<u8>,
}

impl Cert {
    fn new(names: &[&str]) -> Self {
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
struct Relay {
    /// TLS from the first byte (465) instead of STARTTLS.
    implicit: bool,
    /// Offer STARTTLS (ignored when `implicit`).
    starttls: bool,
    /// Mechanisms offered after TLS.
    mechanisms: &'static str,
    /// Senders accepted; any other gets 553.
    sender: &'static str,
    cert: Cert,
    /// Every command line received, as sent (for the no-DATA check).
    log: Arc<Mutex<Vec<String>>>,
}

impl Relay {
    fn new(cert: &Cert) -> Self {
        Relay {
            implicit: false,
            starttls: true,
            mechanisms: "PLAIN LOGIN",
            sender: USER,
            cert: cert.clone(),
            log: Arc::default(),
        }
    }

    async fn start(self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
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

    fn commands(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_millis(500),
        step_timeout: Duration::from_secs(3),
        ehlo_name: Some("client.test".into()),
    }
}

/// Runs the relay test of `localhost:port` (logical port, mapped to `to`).
async fn run(
    port: u16,
    to: SocketAddr,
    trust: &Cert,
    password: &str,
    envelope: Option<Envelope>,
) -> RelayReport {
    let dialer = MapDialer::new();
    dialer.map("127.0.0.1", port, to);
    let spec = RelaySpec::new("localhost", port, USER).expect("spec");
    let tls = TlsContext::new(std::slice::from_ref(&trust.der)).expect("tls");
    let addrs: [IpAddr; 1] = ["127.0.0.1".parse().expect("ip")];
    let target = client::Target {
        dialer: &dialer,
        spec: &spec,
        addrs: &addrs,
        tls: &tls,
    };
    client::test_relay(
        &target,
        &Secret::new(password.into()),
        envelope.as_ref(),
        &config(),
    )
    .await
}

fn envelope(from: &str) -> Option<Envelope> {
    Some(Envelope {
        from: from.into(),
        to: "friend@example.net".into(),
    })
}

fn problem(r: &RelayReport) -> &Problem {
    match &r.verdict {
        RelayVerdict::Fails { problem } => problem,
        other => panic!("expected a failure: {other:?}"),
    }
}

fn kinds(r: &RelayReport) -> Vec<(StepKind, StepStatus)> {
    r.steps.iter().map(|s| (s.kind, s.status)).collect()
}

#[tokio::test]
async fn right_password_on_587_with_envelope() {
    let cert = Cert::new(&["localhost"]);
    let relay = Relay::new(&cert);
    let addr = relay.clone().start().await;
    let started = Instant::now();
    let r = run(587, addr, &cert, PASSWORD, envelope(USER)).await;
    eprintln!(
        "relay test against the fake relay (587, STARTTLS, AUTH, MAIL, RCPT): {:?}",
        started.elapsed()
    );
    assert_eq!(
        r.verdict,
        RelayVerdict::Works {
            envelope_tested: true
        },
        "{r:#?}"
    );
    use StepKind::*;
    let want = [
        Connect,
        Greeting,
        Ehlo,
        StartTls,
        Certificate,
        EhloTls,
        Auth,
        MailFrom,
        RcptTo,
    ];
    assert_eq!(kinds(&r), want.map(|k| (k, StepStatus::Passed)).to_vec());
    // The session ends without DATA: RSET then QUIT.
    let cmds = relay.commands();
    assert!(
        !cmds.iter().any(|c| c.eq_ignore_ascii_case("DATA")),
        "{cmds:?}"
    );
    assert_eq!(
        cmds[cmds.len() - 2..],
        ["RSET".to_string(), "QUIT".to_string()],
        "{cmds:?}"
    );
}

#[tokio::test]
async fn login_mechanism_when_plain_is_not_offered() {
    let cert = Cert::new(&["localhost"]);
    let relay = Relay {
        mechanisms: "LOGIN",
        ..Relay::new(&cert)
    };
    let addr = relay.clone().start().await;
    let r = run(587, addr, &cert, PASSWORD, None).await;
    assert_eq!(
        r.verdict,
        RelayVerdict::Works {
            envelope_tested: false
        },
        "{r:#?}"
    );
    assert!(relay.commands().iter().any(|c| c == "AUTH LOGIN"));
}

#[tokio::test]
async fn wrong_password_is_535_and_escaped() {
    let cert = Cert::new(&["localhost"]);
    let addr = Relay::new(&cert).start().await;
    for mechanisms in ["PLAIN", "LOGIN"] {
        let relay = Relay {
            mechanisms,
            ..Relay::new(&cert)
        };
        let addr = if mechanisms == "PLAIN" {
            addr
        } else {
            relay.start().await
        };
        let r = run(587, addr, &cert, "wrong", None).await;
        match problem(&r) {
            Problem::AuthFailed { reply } => {
                assert_eq!(reply.code, 535);
                assert!(reply.lines[0].contains("\\x1b[31mbad"), "{reply:?}");
            }
            other => panic!("{mechanisms}: {other:?}"),
        }
        assert_eq!(
            r.steps.last().map(|s| (s.kind, s.status)),
            Some((StepKind::Auth, StepStatus::Failed))
        );
    }
}

#[tokio::test]
async fn starttls_missing_means_no_password_sent() {
    let cert = Cert::new(&["localhost"]);
    let relay = Relay {
        starttls: false,
        ..Relay::new(&cert)
    };
    let addr = relay.clone().start().await;
    let r = run(587, addr, &cert, PASSWORD, None).await;
    assert_eq!(problem(&r), &Problem::TlsNotOffered);
    assert!(
        !relay.commands().iter().any(|c| c.starts_with("AUTH")),
        "{:?}",
        relay.commands()
    );
}

#[tokio::test]
async fn sender_refused() {
    let cert = Cert::new(&["localhost"]);
    let addr = Relay::new(&cert).start().await;
    let r = run(587, addr, &cert, PASSWORD, envelope("someone@else.example")).await;
    match problem(&r) {
        Problem::SenderRefused { reply } => assert_eq!(reply.code, 553),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn implicit_tls_on_465() {
    let cert = Cert::new(&["localhost"]);
    let relay = Relay {
        implicit: true,
        ..Relay::new(&cert)
    };
    let addr = relay.start().await;
    let r = run(465, addr, &cert, PASSWORD, envelope(USER)).await;
    assert_eq!(
        r.verdict,
        RelayVerdict::Works {
            envelope_tested: true
        },
        "{r:#?}"
    );
    assert_eq!(r.steps[1].kind, StepKind::ImplicitTls);
    // The same fake spoken to as if it were STARTTLS fails plainly.
    let r = run(587, addr, &cert, PASSWORD, None).await;
    assert!(
        matches!(
            problem(&r),
            Problem::NoGreeting { .. } | Problem::Timeout { .. }
        ),
        "{r:#?}"
    );
}

#[tokio::test]
async fn certificate_for_another_name_or_untrusted_stops_before_auth() {
    let other = Cert::new(&["mail.other.example"]);
    let relay = Relay::new(&other);
    let addr = relay.clone().start().await;
    let r = run(587, addr, &other, PASSWORD, None).await;
    match problem(&r) {
        Problem::CertificateWrongName { names } => assert_eq!(names, &["mail.other.example"]),
        p => panic!("{p:?}"),
    }
    let stranger = Cert::new(&["localhost"]);
    let r = run(587, addr, &stranger, PASSWORD, None).await;
    assert!(
        matches!(problem(&r), Problem::CertificateUntrusted { .. }),
        "{r:#?}"
    );
    assert!(!relay.commands().iter().any(|c| c.starts_with("AUTH")));
}

#[tokio::test]
async fn dropped_and_refused_ports_name_the_network_verdict() {
    let cert = Cert::new(&["localhost"]);
    let dialer = MapDialer::new();
    dialer.blackhole("127.0.0.1", 587);
    dialer.fail("127.0.0.1", 465, 111);
    let tls = TlsContext::new(std::slice::from_ref(&cert.der)).expect("tls");
    let addrs: [IpAddr; 1] = ["127.0.0.1".parse().expect("ip")];
    for (port, want) in [(587u16, Outcome::Filtered), (465, Outcome::Refused)] {
        let spec = RelaySpec::new("localhost", port, USER).expect("spec");
        let target = client::Target {
            dialer: &dialer,
            spec: &spec,
            addrs: &addrs,
            tls: &tls,
        };
        let r = client::test_relay(&target, &Secret::new(PASSWORD.into()), None, &config()).await;
        match problem(&r) {
            Problem::PortBlocked { outcome } => assert_eq!(**outcome, want),
            p => panic!("{p:?}"),
        }
    }
}

// ---- the command line: exit codes, and the password never in the output ----

fn mailport(args: &[&str], password: Option<&str>) -> (i32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mailport"));
    cmd.args(args).env_remove("MAILPORT_RELAY_PASSWORD");
    if let Some(p) = password {
        cmd.env("MAILPORT_RELAY_PASSWORD", p);
    }
    cmd.stdin(std::process::Stdio::null());
    let out = cmd.output().expect("run mailport");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn secret_forms(password: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        password.to_string(),
        b64.encode(password),
        b64.encode(format!("\0{USER}\0{password}")),
    ]
}

#[test]
fn cli_never_prints_the_password() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let cert = Cert::new(&["localhost"]);
    let addr = rt.block_on(Relay::new(&cert).start());
    let dir = std::env::temp_dir().join(format!("mailport-relay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &cert.pem).expect("ca");
    let target = format!("localhost:{}", addr.port());
    let base = [
        "relay",
        &target,
        "--user",
        USER,
        "--connect",
        "127.0.0.1",
        "--ca-file",
        ca.to_str().expect("path"),
        "--timeout",
        "3000",
    ];
    let cases: &[(&str, &[&str], i32)] = &[
        (PASSWORD, &["--mta", "postfix"], 0),
        (PASSWORD, &["--json", "--mta", "exim"], 0),
        ("Wr0ng-s3cret", &["--mta", "postfix"], 1),
        ("Wr0ng-s3cret", &["--json"], 1),
        (
            PASSWORD,
            &[
                "--from",
                "other@example.org",
                "--to",
                "x@example.net",
                "--json",
            ],
            1,
        ),
    ];
    for (password, extra, code) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let (rc, out) = mailport(&args, Some(password));
        assert_eq!(rc, *code, "{extra:?}: {out}");
        for form in secret_forms(password) {
            assert!(
                !out.contains(&form),
                "{extra:?} printed the password: {out}"
            );
        }
        assert!(!out.contains('\x1b'), "{extra:?}: {out}");
    }
    // Asked for explicitly, the password goes into the configuration only.
    let args: Vec<&str> = base
        .iter()
        .chain(["--mta", "postfix", "--fill-password", "--no-test"].iter())
        .copied()
        .collect();
    let (rc, out) = mailport(&args, Some(PASSWORD));
    assert_eq!(rc, 0, "{out}");
    assert_eq!(out.matches(PASSWORD).count(), 1, "{out}");
    // From a file, too; and no password at all is a setup error, not a prompt.
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("pw");
    let args: Vec<&str> = base
        .iter()
        .chain(["--password-file", pw.to_str().expect("path")].iter())
        .copied()
        .collect();
    let (rc, out) = mailport(&args, None);
    assert_eq!(rc, 0, "{out}");
    assert!(!out.contains(PASSWORD), "{out}");
    let (rc, out) = mailport(&base, None);
    assert_eq!(rc, 2, "{out}");
    assert!(out.contains("MAILPORT_RELAY_PASSWORD"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_no_test_and_bad_input() {
    let (rc, out) = mailport(
        &[
            "relay",
            "smtp.relay.example:465",
            "--user",
            USER,
            "--mta",
            "postfix",
            "--no-test",
        ],
        None,
    );
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("smtp_tls_wrappermode = yes"), "{out}");
    let bad: &[&[&str]] = &[
        &["relay", "smtp.relay.example:0", "--user", USER],
        &["relay", "https://smtp.relay.example", "--user", USER],
        &[
            "relay",
            "smtp.relay.example",
            "--user",
            "a b",
            "--mta",
            "postfix",
            "--no-test",
        ],
        &[
            "relay",
            "smtp.relay.example",
            "--user",
            USER,
            "--mta",
            "sendmail",
        ],
        &["relay", "smtp.relay.example", "--user", USER, "--no-test"],
        &[
            "relay",
            "smtp.relay.example",
            "--user",
            USER,
            "--from",
            "me",
        ],
    ];
    for args in bad {
        let (rc, out) = mailport(args, Some("x"));
        assert_eq!(rc, 2, "{args:?}: {out}");
    }
}
