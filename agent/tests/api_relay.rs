//! `POST /v1/relay` over real HTTP on loopback, against the fake relay of
//! `relay.rs`: the right password gives the authenticated steps, a wrong one
//! the 535 (and the password appears in no answer), the guard refuses it
//! like `/v1/check`, without `--allow-private` a loopback relay is refused
//! before anything is sent, one test runs at a time (409) and at most
//! [`mailport::api::RELAY_TESTS_PER_MINUTE`] a minute (429).

mod fakes;
mod raw_http;
mod relay_fake;

use fakes::MapDialer;
use futures::future::BoxFuture;
use mailport::api::{CheckFailure, Checker};
use mailport::env::Env;
use mailport_shared::relay::step::{Problem, RelayReport, RelayVerdict, StepKind, StepStatus};
use mailport_shared::{CheckEvent, CheckOptions, Report};
use raw_http::*;
use relay_fake::{Cert, Relay, PASSWORD, USER};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The relay API never starts a check.
struct NoChecks;

impl Checker for NoChecks {
    fn check(
        &self,
        _: CheckOptions,
        _: mpsc::Sender<CheckEvent>,
    ) -> BoxFuture<'static, Result<Report, CheckFailure>> {
        Box::pin(async {
            Err(CheckFailure {
                code: "check_failed",
                message: "no checks in the relay tests".into(),
            })
        })
    }
}

/// A fake relay trusted by an agent whose port 587 on 127.0.0.1 leads to
/// it; the agent allows private addresses when `allow_private`.
async fn setup(allow_private: bool) -> (Agent, Relay) {
    let cert = Cert::new(&["127.0.0.1"]);
    let relay = Relay::new(&cert);
    let addr = relay.clone().start().await;
    (agent_to(addr, &cert, allow_private).await, relay)
}

/// An agent whose port 587 on 127.0.0.1 leads to `addr`.
async fn agent_to(addr: std::net::SocketAddr, cert: &Cert, allow_private: bool) -> Agent {
    let dialer = MapDialer::new();
    dialer.map("127.0.0.1", 587, addr);
    let env = Env::builder()
        .dialer(Arc::new(dialer))
        .extra_roots(vec![cert.der.clone()])
        .allow_private(allow_private)
        .ehlo_name("client.test")
        .build()
        .expect("env");
    start_agent(
        Arc::new(NoChecks),
        AgentOptions {
            relay: Some(env),
            ..Default::default()
        },
    )
    .await
}

fn body(password: &str, envelope: bool) -> String {
    let mut v = serde_json::json!({
        "host": "127.0.0.1",
        "port": 587,
        "user": USER,
        "password": password,
    });
    if envelope {
        v["from"] = USER.into();
        v["to"] = "friend@example.net".into();
    }
    v.to_string()
}

async fn post(port: u16, body: &str) -> Response {
    Req::new("POST", "/v1/relay")
        .page_action()
        .json(body)
        .send(port)
        .await
}

fn report(r: &Response) -> RelayReport {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not a report ({e}): {}", String::from_utf8_lossy(&r.body)))
}

#[tokio::test]
async fn right_password_gives_the_authenticated_steps() {
    let (agent, relay) = setup(true).await;
    let r = post(agent.port, &body(PASSWORD, true)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.assert_security_headers();
    let rep = report(&r);
    assert_eq!(
        rep.verdict,
        RelayVerdict::Works {
            envelope_tested: true
        }
    );
    use StepKind::*;
    let kinds: Vec<_> = rep.steps.iter().map(|s| (s.kind, s.status)).collect();
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
    assert_eq!(kinds, want.map(|k| (k, StepStatus::Passed)).to_vec());
    assert!(!String::from_utf8_lossy(&r.body).contains(PASSWORD));
    assert!(!relay
        .commands()
        .iter()
        .any(|c| c.eq_ignore_ascii_case("DATA")));
}

#[tokio::test]
async fn wrong_password_is_535_and_never_echoed() {
    let (agent, relay) = setup(true).await;
    let wrong = "Wr0ng-pass-5150";
    let r = post(agent.port, &body(wrong, false)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rep = report(&r);
    match &rep.verdict {
        RelayVerdict::Fails {
            problem: Problem::AuthFailed { reply },
        } => assert_eq!(reply.code, 535, "{reply:?}"),
        other => panic!("expected 535: {other:?}"),
    }
    let auth = rep.steps.last().expect("steps");
    assert_eq!(
        (auth.kind, auth.status),
        (StepKind::Auth, StepStatus::Failed)
    );
    let text = String::from_utf8_lossy(&r.body);
    assert!(!text.contains(wrong), "{text}");
    // Not in the base64 of AUTH PLAIN either.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{wrong}"));
    assert!(!text.contains(&b64), "{text}");
    // The fake did see the login attempt: the agent really tried.
    assert!(relay.commands().iter().any(|c| c.starts_with("AUTH")));
}

#[tokio::test]
async fn guarded_like_checks() {
    let (agent, relay) = setup(true).await;
    let b = body(PASSWORD, false);
    let no_token = Req::new("POST", "/v1/relay")
        .origin(mailport_shared::api::PUBLIC_PAGE_ORIGIN)
        .json(&b)
        .send(agent.port)
        .await;
    assert_eq!(no_token.status, 401);
    assert_eq!(no_token.code(), "unauthorized");
    let foreign = Req::new("POST", "/v1/relay")
        .origin("https://evil.example")
        .token()
        .json(&b)
        .send(agent.port)
        .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(foreign.code(), "forbidden_origin");
    let no_origin = Req::new("POST", "/v1/relay")
        .token()
        .json(&b)
        .send(agent.port)
        .await;
    assert_eq!(no_origin.code(), "origin_required");
    let text = Req::new("POST", "/v1/relay")
        .page_action()
        .header("Content-Type", "text/plain")
        .send(agent.port)
        .await;
    assert_eq!(text.status, 415);
    let huge = body(&"x".repeat(20_000), false);
    let too_large = post(agent.port, &huge).await;
    assert_eq!(too_large.status, 413);
    for r in [&no_token, &foreign, &no_origin, &too_large] {
        r.assert_security_headers();
        assert!(!String::from_utf8_lossy(&r.body).contains(PASSWORD));
    }
    // None of them reached the relay.
    assert!(relay.commands().is_empty(), "{:?}", relay.commands());
}

#[tokio::test]
async fn private_address_refused_without_allow_private() {
    let (agent, relay) = setup(false).await;
    let r = post(agent.port, &body(PASSWORD, false)).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.code(), "address_not_allowed");
    let message = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("127.0.0.1"), "{message}");
    assert!(message.contains("loopback"), "{message}");
    assert!(message.contains("--allow-private"), "{message}");
    assert!(!message.contains(PASSWORD));
    assert!(relay.commands().is_empty(), "{:?}", relay.commands());
}

#[tokio::test]
async fn bad_bodies_name_the_field_not_the_password() {
    let (agent, _relay) = setup(true).await;
    for (b, code) in [
        (
            r#"{"host":"127.0.0.1","user":"u","password":""}"#,
            "invalid_options",
        ),
        (
            r#"{"host":"127.0.0.1","user":"u","password":4242424242}"#,
            "invalid_options",
        ),
        (
            r#"{"host":"127.0.0.1","user":"u","password":"Zq-77","from":"a@b.example"}"#,
            "invalid_options",
        ),
        (
            r#"{"host":"127.0.0.1","user":"u","password":"Zq-77""#,
            "malformed_json",
        ),
    ] {
        let r = post(agent.port, b).await;
        assert_eq!(r.code(), code, "{b}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            !text.contains("4242424242") && !text.contains("Zq-77"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn one_test_at_a_time() {
    // A relay that accepts and never greets: the first test waits for it.
    let tarpit = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tarpit.local_addr().expect("addr");
    let (connected, mut first_in) = tokio::sync::mpsc::channel::<()>(4);
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = tarpit.accept().await {
            conns.push(c);
            let _ = connected.send(()).await;
        }
    });
    let agent = agent_to(addr, &Cert::new(&["127.0.0.1"]), true).await;
    let port = agent.port;
    let first = tokio::spawn(async move { post(port, &body(PASSWORD, false)).await });
    tokio::time::timeout(DEADLINE, first_in.recv())
        .await
        .expect("the first test connects to the relay");
    let second = post(port, &body(PASSWORD, false)).await;
    assert_eq!(second.status, 409);
    assert_eq!(second.code(), "busy");
    first.abort();
    held.abort();
}

#[tokio::test]
async fn rate_limited() {
    // Refused tests count too: a page looping on the endpoint is stopped.
    let (agent, _relay) = setup(false).await;
    for _ in 0..mailport::api::RELAY_TESTS_PER_MINUTE {
        let r = post(agent.port, &body(PASSWORD, false)).await;
        assert_eq!(r.code(), "address_not_allowed");
    }
    let r = post(agent.port, &body(PASSWORD, false)).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.code(), "rate_limited");
}
