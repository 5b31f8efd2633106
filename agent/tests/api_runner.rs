//! The API with the real probe engine: a check against loopback fakes
//! streamed over SSE, and the private-address refusal as the page sees it.

mod fakes;
mod raw_http;

use fakes::{Behaviour, Fake, MapDialer};
use mailport::api::EngineChecker;
use raw_http::*;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A tiny SMTP server: greets, answers EHLO without STARTTLS, says bye to QUIT.
async fn fake_smtp() -> SocketAddr {
    fakes::start(Behaviour::smtp("fake.example ESMTP ready"))
        .await
        .addr
}

/// An agent whose checks run the real engine, connecting through `dialer`.
async fn engine_agent(dialer: &MapDialer, allow_private: bool, options: AgentOptions) -> Agent {
    let env = fakes::env_builder(dialer, None)
        .allow_private(allow_private)
        .build()
        .expect("env");
    start_agent(Arc::new(EngineChecker::new(env)), options).await
}

/// A server that accepts and never greets (a probe waits for its greeting)
/// behind 192.0.2.26:25; its `closed` counts the connections the agent
/// closed.
async fn silent_server(dialer: &MapDialer) -> Fake {
    let silent = fakes::start(Behaviour::Silent).await;
    dialer.map("192.0.2.26", 25, silent.addr);
    silent
}

/// One check of 192.0.2.26:25 that waits a minute for a greeting.
const SILENT_CHECK: &str = r#"{"targets":[{"host":"192.0.2.26","role":"custom"}],"ports":[25],
    "families":{"ipv4":true,"ipv6":false},"greeting_timeout_ms":60000,"tls":false}"#;

#[tokio::test]
async fn a_real_check_against_fakes_streams_every_probe_then_the_verdict() {
    let host = "192.0.2.25";
    let dialer = MapDialer::new();
    dialer
        .map(host, 25, fake_smtp().await)
        .map(host, 587, fakes::closed_port().await)
        .blackhole(host, 2525);
    // Documentation addresses are not public: this test needs --allow-private.
    let a = engine_agent(&dialer, true, AgentOptions::default()).await;
    let body = format!(
        r#"{{"targets":[{{"host":"{host}","role":"custom"}}],"ports":[25,587,2525],
            "families":{{"ipv4":true,"ipv6":false}},"connect_timeout_ms":300,
            "greeting_timeout_ms":2000,"tls":false}}"#
    );
    let id = start_check(a.port, &body).await;
    let events = follow(a.port, &id).await.collect().await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"started"));
    assert_eq!(events[0].data["planned"].as_array().map(Vec::len), Some(3));
    assert_eq!(&names[1..4], ["probe", "probe", "probe"]);
    assert_eq!(&names[4..], ["concluded", "done"]);

    let outcome_of = |port: u16| {
        events
            .iter()
            .filter(|e| e.event == "probe")
            .find(|e| e.data["result"]["port"] == port)
            .map(|e| e.data["result"]["outcome"]["kind"].clone())
            .unwrap_or_else(|| panic!("no probe of port {port}"))
    };
    assert_eq!(outcome_of(25), "banner");
    assert_eq!(outcome_of(587), "refused");
    assert_eq!(outcome_of(2525), "filtered");

    let verdicts = &events[4].data["conclusion"]["verdicts"];
    let port25 = verdicts
        .as_array()
        .and_then(|v| v.iter().find(|v| v["port"] == 25))
        .expect("a verdict for port 25");
    assert_eq!(port25["verdict"]["kind"], "open", "{port25}");

    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["probes"].as_array().map(Vec::len), Some(3));
    assert_eq!(dialer.connects(), 3);
}

#[tokio::test]
async fn private_targets_are_refused_without_allow_private() {
    let smtp = fake_smtp().await;
    let dialer = MapDialer::new();
    // Even a working fake behind these addresses must not be reached.
    for ip in ["127.0.0.1", "10.1.2.3", "192.168.1.1"] {
        dialer.map(ip, 25, smtp);
    }
    let a = engine_agent(&dialer, false, AgentOptions::default()).await;
    let body = r#"{"targets":[{"host":"127.0.0.1","role":"custom"},{"host":"10.1.2.3","role":"custom"},
        {"host":"192.168.1.1","role":"custom"}],"ports":[25],"families":{"ipv4":true,"ipv6":false}}"#;
    let events = run_through_api(&a, body).await;
    let probes: Vec<_> = events.iter().filter(|e| e.event == "probe").collect();
    assert_eq!(probes.len(), 3);
    for p in probes {
        let outcome = &p.data["result"]["outcome"];
        assert_eq!(outcome["kind"], "dns_failed", "{outcome}");
        assert_eq!(outcome["reason"]["kind"], "forbidden", "{outcome}");
    }
    assert_eq!(events.last().map(|e| e.event.as_str()), Some("done"));
    assert_eq!(dialer.connects(), 0, "nothing was dialled");
}

#[tokio::test]
async fn closing_the_page_stops_the_probes() {
    let dialer = MapDialer::new();
    let silent = silent_server(&dialer).await;
    let a = engine_agent(&dialer, true, AgentOptions::default()).await;
    let id = start_check(a.port, SILENT_CHECK).await;
    let mut es = follow(a.port, &id).await;
    assert_eq!(es.next().await.map(|e| e.event).as_deref(), Some("started"));
    let port = a.port;
    eventually("the probe to connect", async || {
        silent.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    drop(es);
    // The probe's connection is closed long before its 60 s greeting timeout.
    eventually("the probe to be cancelled", async || {
        silent.closed.load(Ordering::SeqCst) == 1
    })
    .await;
    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(port)
        .await;
    assert_eq!(r.code(), "cancelled");
}

/// A check started and never followed (a page that crashed between the start
/// and the event stream, or a script) gives the slot back after the grace
/// period: its probes are dropped long before their own timeouts.
#[tokio::test]
async fn a_check_nobody_follows_frees_the_slot_after_the_grace_period() {
    let dialer = MapDialer::new();
    let silent = silent_server(&dialer).await;
    let grace = std::time::Duration::from_millis(500);
    let options = AgentOptions {
        limits: mailport::api::Limits {
            follow_grace: grace,
            ..Default::default()
        },
        ..Default::default()
    };
    let a = engine_agent(&dialer, true, options).await;
    let started = std::time::Instant::now();
    let id = start_check(a.port, SILENT_CHECK).await;
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(SILENT_CHECK)
        .send(a.port)
        .await;
    assert_eq!(r.code(), "busy", "the slot is held during the grace period");
    eventually("the unfollowed check's probe to be dropped", async || {
        silent.closed.load(Ordering::SeqCst) == 1
    })
    .await;
    let freed = started.elapsed();
    assert!(
        freed >= grace && freed < grace + std::time::Duration::from_secs(3),
        "probe closed after {freed:?}"
    );
    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.code(), "cancelled");
    assert_eq!(dialer.connects(), 1, "busy started nothing");
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(SILENT_CHECK)
        .send(a.port)
        .await;
    assert_eq!(r.status, 201, "the slot is free: {:?}", r.json());
}

/// A domain whose MX resolves to loopback, through the agent's `--dns`.
async fn domain_check(allow_private: bool) -> (Vec<Sse>, usize) {
    let mut zone = fakes::dns::Zone::new();
    zone.mx("example.test", 10, "mx1.example.test")
        .addr("mx1.example.test", "127.0.0.2");
    let dns = fakes::dns::serve(zone).await;
    let smtp = fake_smtp().await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, smtp);
    let env = fakes::env_builder(&d, None)
        .nameservers(vec![dns])
        .allow_private(allow_private)
        .build()
        .expect("env");
    let a = start_agent(Arc::new(EngineChecker::new(env)), AgentOptions::default()).await;
    let body = r#"{"domain":"example.test","ports":[25],"families":{"ipv4":true,"ipv6":false},
        "connect_timeout_ms":500,"greeting_timeout_ms":2000,"tls":false}"#;
    let events = run_through_api(&a, body).await;
    (events, d.connects())
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_unless_allowed() {
    let (events, connects) = domain_check(false).await;
    let mx: Vec<_> = events
        .iter()
        .filter(|e| e.event == "probe" && e.data["result"]["host"] == "mx1.example.test")
        .collect();
    assert_eq!(mx.len(), 1, "{events:?}");
    let outcome = &mx[0].data["result"]["outcome"];
    assert_eq!(outcome["kind"], "dns_failed", "{outcome}");
    assert_eq!(outcome["reason"]["kind"], "forbidden", "{outcome}");
    assert_eq!(connects, 0, "a forbidden address is never dialled");

    // The same check with --allow-private reaches the fake behind the name.
    let (events, connects) = domain_check(true).await;
    let mx = events
        .iter()
        .find(|e| e.event == "probe" && e.data["result"]["host"] == "mx1.example.test")
        .expect("the MX probe");
    assert_eq!(mx.data["result"]["outcome"]["kind"], "banner");
    assert!(connects >= 1);
}

/// Runs one check through the API and returns its events.
async fn run_through_api(a: &Agent, body: &str) -> Vec<Sse> {
    let id = start_check(a.port, body).await;
    follow(a.port, &id).await.collect().await
}

/// The outcome of the probe of `host`.
fn outcome_of<'e>(events: &'e [Sse], host: &str) -> &'e serde_json::Value {
    events
        .iter()
        .filter(|e| e.event == "probe")
        .map(|e| &e.data["result"])
        .find(|r| r["host"] == host)
        .map(|r| &r["outcome"])
        .unwrap_or_else(|| panic!("no probe of {host} in {events:?}"))
}

/// A name whose addresses mix public and private ones is a rebinding setup:
/// refused whichever address comes first, and nothing behind it is dialled.
#[tokio::test]
async fn a_name_mixing_public_and_private_addresses_is_refused() {
    let mut zone = fakes::dns::Zone::new();
    zone.addr("public-first.example.test", "11.0.0.25")
        .addr("public-first.example.test", "10.0.0.25")
        .addr("private-first.example.test", "192.168.0.26")
        .addr("private-first.example.test", "11.0.0.26")
        .addr("public.example.test", "11.0.0.27");
    let dns = fakes::dns::serve(zone).await;
    let smtp = fake_smtp().await;
    let d = MapDialer::new();
    // Every address leads to a working server, so only the guard stops a
    // probe. The addresses must look public to the guard (documentation
    // ranges do not), but the map dialer connects each one to the loopback
    // fake: no packet goes to 10/8 or 11/8.
    for ip in [
        "11.0.0.25",
        "10.0.0.25",
        "192.168.0.26",
        "11.0.0.26",
        "11.0.0.27",
    ] {
        d.map(ip, 25, smtp);
    }
    let env = fakes::env_builder(&d, None)
        .nameservers(vec![dns])
        .allow_private(false)
        .build()
        .expect("env");
    let a = start_agent(Arc::new(EngineChecker::new(env)), AgentOptions::default()).await;
    let body = r#"{"targets":[{"host":"public-first.example.test","role":"custom"},
        {"host":"private-first.example.test","role":"custom"},
        {"host":"public.example.test","role":"custom"}],"ports":[25],
        "families":{"ipv4":true,"ipv6":false},"connect_timeout_ms":1000,
        "greeting_timeout_ms":2000,"tls":false}"#;
    let events = run_through_api(&a, body).await;
    for (host, private) in [
        ("public-first.example.test", "10.0.0.25"),
        ("private-first.example.test", "192.168.0.26"),
    ] {
        let outcome = outcome_of(&events, host);
        assert_eq!(outcome["kind"], "dns_failed", "{host}: {outcome}");
        assert_eq!(outcome["reason"]["kind"], "forbidden", "{host}: {outcome}");
        assert_eq!(outcome["reason"]["address"], private, "{host}: {outcome}");
    }
    // The fake DNS and the dialler work: an all-public name is probed.
    assert_eq!(outcome_of(&events, "public.example.test")["kind"], "banner");
    assert_eq!(d.connects(), 1, "only the all-public name was dialled");
}

/// On a NAT64-only line every IPv4-only server is reached through
/// `64:ff9b::/96`: such an address is judged by the IPv4 address inside,
/// while special IPv6 ranges stay refused.
#[tokio::test]
async fn nat64_targets_are_judged_by_the_ipv4_address_inside() {
    let smtp = fake_smtp().await;
    let d = MapDialer::new();
    for ip in [
        "64:ff9b::b00:19",
        "64:ff9b::a00:19",
        "64:ff9b:1::b00:19",
        "3fff::25",
        "2001:2::25",
    ] {
        d.map(ip, 25, smtp);
    }
    let a = engine_agent(&d, false, AgentOptions::default()).await;
    let body = r#"{"targets":[{"host":"64:ff9b::b00:19","role":"custom"},
        {"host":"64:ff9b::a00:19","role":"custom"},{"host":"64:ff9b:1::b00:19","role":"custom"},
        {"host":"3fff::25","role":"custom"},{"host":"2001:2::25","role":"custom"}],"ports":[25],
        "families":{"ipv4":false,"ipv6":true},"connect_timeout_ms":1000,
        "greeting_timeout_ms":2000,"tls":false}"#;
    let events = run_through_api(&a, body).await;
    // 11.0.0.25 behind the well-known prefix: a public host, probed.
    assert_eq!(outcome_of(&events, "64:ff9b::b00:19")["kind"], "banner");
    // 10.0.0.25 behind it, the local-use prefix, documentation, benchmarking.
    for host in [
        "64:ff9b::a00:19",
        "64:ff9b:1::b00:19",
        "3fff::25",
        "2001:2::25",
    ] {
        let outcome = outcome_of(&events, host);
        assert_eq!(outcome["reason"]["kind"], "forbidden", "{host}: {outcome}");
    }
    assert_eq!(d.connects(), 1);
}

/// A check started through the API with a reflector proves it: the page's
/// `reflector` option reaches the runner, the proof streams as a probe and
/// lands in the report, and a malformed key is refused with the shared words.
#[tokio::test]
async fn a_reflector_check_through_the_api_is_proved_genuine() {
    use ed25519_dalek::SigningKey;
    use mailport::reflect::{bind, ServerConfig};
    use mailport_shared::reflector::encode_hex;

    let key = SigningKey::from_bytes(&[42u8; 32]);
    let public = encode_hex(key.verifying_key().as_bytes());
    let port = fakes::closed_port().await.port();
    let bound = bind(ServerConfig {
        binds: vec!["127.0.0.1".parse().expect("ip")],
        ports: vec![port],
        name: "reflector.test".into(),
        key,
        limits: mailport::reflect::Limits::default(),
        callback: None,
    })
    .await
    .expect("the reflector listens");
    let reflector = tokio::spawn(bound.run());
    // The API probes mail ports only: the reflector "is" 127.0.0.9:587, and
    // the test dialer takes the proof (like any probe) to the real port.
    let d = MapDialer::new();
    d.map("127.0.0.9", 587, SocketAddr::from(([127, 0, 0, 1], port)));
    let env = fakes::env_builder(&d, None).build().expect("env");
    let a = start_agent(Arc::new(EngineChecker::new(env)), AgentOptions::default()).await;

    let body = |key: &str| {
        format!(
            r#"{{"targets":[{{"host":"127.0.0.9","role":"custom"}}],"ports":[587],
            "families":{{"ipv4":true,"ipv6":false}},"connect_timeout_ms":1000,
            "greeting_timeout_ms":2000,"tls":false,
            "reflector":{{"host":"127.0.0.9","public_key":"{key}"}}}}"#
        )
    };
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(&body("nonsense"))
        .send(a.port)
        .await;
    assert_eq!(r.status, 422, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.code(), "invalid_options");
    assert!(
        String::from_utf8_lossy(&r.body).contains("is not a reflector public key"),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );

    let id = start_check(a.port, &body(&public)).await;
    let events = follow(a.port, &id).await.collect().await;
    // The proof is planned, so the page shows its cell from the start.
    let planned = events[0].data["planned"].as_array().expect("planned");
    assert!(
        planned.iter().any(|s| s["role"] == "reflector"),
        "{planned:?}"
    );
    let proof = events
        .iter()
        .filter(|e| e.event == "probe")
        .map(|e| &e.data["result"])
        .find(|r| r["role"] == "reflector")
        .expect("a reflector probe streamed");
    let signed = &proof["outcome"]["reflector"];
    assert_eq!(signed["status"], "genuine", "{proof}");
    assert_eq!(signed["seen_address"], "127.0.0.1");
    // It signed the port it really accepted on, so the redirection shows.
    assert_eq!(signed["seen_port"], port);
    assert!(
        signed["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sent to port 587")),
        "{signed}"
    );

    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);
    let report = r.json();
    assert_eq!(report["options"]["reflector"]["public_key"], public);
    assert!(report["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .any(|p| p["role"] == "reflector" && p["outcome"]["reflector"]["status"] == "genuine"));
    reflector.abort();
}
