//! `mailport relay` against fake relays on loopback: right and wrong
//! password, STARTTLS missing, sender refused, implicit TLS on 465, a
//! certificate for another name, a dropped port; and the CLI's promise
//! that the password never reaches its output.

mod fakes;
mod relay_fake;

use base64::Engine as _;
use fakes::MapDialer;
use mailport::probe::tls::TlsContext;
use mailport::relay::client::{self, ClientConfig, Envelope};
use mailport::relay::password::Secret;
use mailport_shared::outcome::Outcome;
use mailport_shared::relay::step::{Problem, RelayReport, RelayVerdict, StepKind, StepStatus};
use mailport_shared::relay::RelaySpec;
use relay_fake::{Cert, Relay, PASSWORD, USER};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

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
