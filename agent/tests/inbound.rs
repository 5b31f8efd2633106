//! `check --inbound` against a real reflector with call-back on loopback:
//! the statement, its signature, the witness, and the reflector's abuse
//! limits. The call-back reaches this machine on 127.0.0.1:25 (the source
//! address the kernel gives loopback connections), so tests that need
//! port 25 bind it, which needs root: they skip elsewhere, and fail in CI.

mod fakes;

use ed25519_dalek::SigningKey;
use fakes::{Behaviour, MapDialer};
use mailport::inbound::{Deadlines, InboundConfig};
use mailport::reflect::{bind, CallbackLimits, Limits, ServerConfig};
use mailport_shared::inbound::{CallResult, InboundUntestable, InboundVerdict, Witness};
use mailport_shared::Family;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Tests that use 127.0.0.1:25 run one at a time.
static PORT_25: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const LOOPBACK: &str = "127.0.0.1";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn quick() -> CallbackLimits {
    CallbackLimits {
        connect_timeout: Duration::from_secs(1),
        reply_timeout: Duration::from_secs(2),
        allow_private: true,
        ..CallbackLimits::default()
    }
}

/// A reflector on a free loopback port, call-back as given; its port.
async fn reflector(callback: Option<CallbackLimits>) -> u16 {
    let port = fakes::closed_port().await.port();
    let bound = bind(ServerConfig {
        binds: vec![LOOPBACK.parse().expect("ip")],
        ports: vec![port],
        name: "reflector.test".into(),
        key: key(),
        limits: Limits::default(),
        callback,
    })
    .await
    .expect("the reflector listens");
    tokio::spawn(bound.run());
    port
}

/// The agent's view: the reflector "is" 127.0.0.1:587.
fn config(key: &SigningKey) -> InboundConfig<'static> {
    InboundConfig {
        reflector: "reflector.test",
        addresses: vec![(Family::Ipv4, Some(LOOPBACK.parse().expect("ip")))],
        key: key.verifying_key(),
        public: vec![],
        listen_port: 25,
        ports: vec![25],
        deadlines: Deadlines {
            connect: Duration::from_secs(2),
            greeting: Duration::from_secs(2),
            statement: Duration::from_secs(10),
        },
    }
}

fn dialer(port: u16) -> MapDialer {
    let d = MapDialer::new();
    d.map(LOOPBACK, 587, SocketAddr::from(([127, 0, 0, 1], port)));
    d
}

/// Whether this process may bind port 25 (root); says SKIPPED otherwise.
/// The previous test's listener may still be closing with its runtime:
/// waits a moment for the port.
async fn can_bind_25(test: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        match tokio::net::TcpListener::bind((LOOPBACK, 25)).await {
            Ok(_) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                fakes::skip_or_fail(test, "binding port 25 needs root here");
                return false;
            }
            Err(e) if tokio::time::Instant::now() >= deadline => {
                panic!("{test}: 127.0.0.1:25 is taken by something else: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn this_machine_answering_is_proved_by_its_nonce() {
    let _one = PORT_25.lock().await;
    if !can_bind_25("this_machine_answering_is_proved_by_its_nonce").await {
        return;
    }
    let port = reflector(Some(quick())).await;
    let report = mailport::inbound::run(&config(&key()), &dialer(port)).await;
    let f = &report.families[0];
    assert_eq!(f.verdict, InboundVerdict::Reachable, "{f:?}");
    let Witness::Nonce { nonce } = &f.witness else {
        panic!("{:?}", f.witness);
    };
    let statement = f.statement.as_ref().expect("a signed statement");
    assert_eq!(statement.called, LOOPBACK.parse::<IpAddr>().expect("ip"));
    let CallResult::Greeting { greeting, ehlo } = &statement.ports[0].result else {
        panic!("{:?}", statement.ports);
    };
    assert!(greeting.contains(nonce.as_str()), "{greeting}");
    assert!(
        ehlo.as_deref().is_some_and(|e| e.starts_with("250")),
        "{ehlo:?}"
    );
    let text = mailport::inbound::render::render(&report);
    assert!(
        text.contains("INBOUND\n  Can the internet reach this machine on port 25? Yes, on IPv4."),
        "{text}"
    );
    assert!(
        text.contains("the internet reaches this machine on port 25"),
        "{text}"
    );
}

#[tokio::test]
async fn the_users_own_mail_server_is_recognised_by_its_greeting() {
    let _one = PORT_25.lock().await;
    if !can_bind_25("the_users_own_mail_server_is_recognised_by_its_greeting").await {
        return;
    }
    let mta = fakes::start_on_port_25(
        LOOPBACK,
        Behaviour::smtp("220 mail.home.example ESMTP Postfix (Debian)"),
        "the_users_own_mail_server_is_recognised_by_its_greeting",
    )
    .await;
    let Some(_mta) = mta else { return };
    let port = reflector(Some(quick())).await;
    let report = mailport::inbound::run(&config(&key()), &dialer(port)).await;
    let f = &report.families[0];
    assert!(
        matches!(&f.witness, Witness::LocalMta { greeting } if greeting.contains("mail.home.example")),
        "{:?}",
        f.witness
    );
    assert_eq!(f.verdict, InboundVerdict::Reachable, "{f:?}");
}

#[tokio::test]
async fn a_statement_signed_by_another_key_proves_nothing() {
    let _one = PORT_25.lock().await;
    can_bind_25("a_statement_signed_by_another_key_proves_nothing").await;
    let port = reflector(Some(quick())).await;
    let stranger = SigningKey::from_bytes(&[8u8; 32]);
    let report = mailport::inbound::run(&config(&stranger), &dialer(port)).await;
    assert_eq!(
        report.families[0].verdict,
        InboundVerdict::NotTestable {
            reason: InboundUntestable::BadSignature
        }
    );
}

#[tokio::test]
async fn a_reflector_without_call_back_says_so() {
    let port = reflector(None).await;
    let report = mailport::inbound::run(&config(&key()), &dialer(port)).await;
    let InboundVerdict::NotTestable {
        reason: InboundUntestable::Refused { reply },
    } = &report.families[0].verdict
    else {
        panic!("{:?}", report.families[0].verdict);
    };
    assert!(reply.contains("call-back is not enabled"), "{reply}");
}

/// Sends one raw line to the reflector and returns its whole answer.
async fn raw(port: u16, line: &str) -> String {
    let mut s = TcpStream::connect((LOOPBACK, port)).await.expect("connect");
    let mut greeting = [0u8; 256];
    let _ = s.read(&mut greeting).await.expect("greeting");
    s.write_all(format!("{line}\r\nQUIT\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_budget_holds_under_a_flood_and_no_third_address_can_be_named() {
    let _one = PORT_25.lock().await;
    let port = reflector(Some(CallbackLimits {
        per_address: 3,
        per_prefix: 6,
        ..quick()
    }))
    .await;
    let request = format!("XMAILPORT-CALLBACK {} 25", "ab".repeat(32));
    let mut signed = 0;
    let mut refused = 0;
    for _ in 0..8 {
        let answer = raw(port, &request).await;
        if answer.contains("\r\n250 ") {
            signed += 1;
        } else if answer.contains("450 mailport-callback this address has used its call-backs") {
            refused += 1;
        } else {
            panic!("unexpected answer: {answer}");
        }
    }
    assert_eq!((signed, refused), (3, 5));
    // The protocol has no place for another address, nor for another port.
    for aimed in [
        format!("XMAILPORT-CALLBACK {} 25 203.0.113.9", "ab".repeat(32)),
        format!("XMAILPORT-CALLBACK {} 22", "ab".repeat(32)),
        format!("XMAILPORT-CALLBACK {} 25,80", "ab".repeat(32)),
    ] {
        let answer = raw(port, &aimed).await;
        assert!(answer.contains("501 5.5.4"), "{aimed}: {answer}");
    }
}
