//! The HTTP API's safety and protocol, over real HTTP on loopback, with a
//! scripted check engine (the engine itself is tested with fakes in
//! `api_runner.rs`).

mod raw_http;

use futures::future::BoxFuture;
use mailport::api::{CheckFailure, Checker, Limits};
use mailport_shared::advice::Context;
use mailport_shared::report::Conclusion;
use mailport_shared::{
    CheckEvent, CheckOptions, Family, Outcome, ProbeResult, ProbeSpec, Report, Role, Timings,
};
use raw_http::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

const PUBLIC: &str = mailport_shared::api::PUBLIC_PAGE_ORIGIN;
const OPTIONS: &str = r#"{"ports":[25,587],"families":{"ipv4":true,"ipv6":false}}"#;

/// Plays a fixed check: `started`, two probes, then waits for `gate` (when
/// given) before concluding. Counts runs and notices being dropped early.
#[derive(Default)]
struct Scripted {
    runs: AtomicUsize,
    gate: Option<Arc<Semaphore>>,
    dropped_early: Arc<AtomicBool>,
}

impl Scripted {
    fn gated() -> (Arc<Self>, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        let s = Scripted {
            gate: Some(Arc::clone(&gate)),
            ..Default::default()
        };
        (Arc::new(s), gate)
    }
}

fn probe(port: u16, outcome: Outcome) -> ProbeResult {
    ProbeResult {
        spec: ProbeSpec {
            host: "mx.example".into(),
            role: Role::RecipientMx,
            port,
            family: Family::Ipv4,
            expected: true,
        },
        address: Some("192.0.2.25".parse().expect("address")),
        outcome,
        timings: Timings {
            total_ms: 5,
            ..Default::default()
        },
    }
}

struct EarlyDropFlag(Arc<AtomicBool>, bool);
impl Drop for EarlyDropFlag {
    fn drop(&mut self) {
        if !self.1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

impl Checker for Scripted {
    fn check(
        &self,
        options: CheckOptions,
        events: mpsc::Sender<CheckEvent>,
    ) -> BoxFuture<'static, Result<Report, CheckFailure>> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let gate = self.gate.clone();
        let flag = Arc::clone(&self.dropped_early);
        Box::pin(async move {
            let mut finished = EarlyDropFlag(flag, false);
            let probes = vec![probe(25, Outcome::Filtered), probe(587, Outcome::Refused)];
            let _ = events
                .send(CheckEvent::Started {
                    planned: probes.iter().map(|p| p.spec.clone()).collect(),
                })
                .await;
            for p in &probes {
                let _ = events.send(CheckEvent::Probe { result: p.clone() }).await;
            }
            if let Some(gate) = gate {
                let _ = gate.acquire().await.map(|p| p.forget());
            }
            let conclusion = Conclusion::from_probes(&probes, &Context::default());
            let _ = events
                .send(CheckEvent::Concluded {
                    conclusion: conclusion.clone(),
                })
                .await;
            let report = Report {
                schema_version: mailport_shared::SCHEMA_VERSION,
                tool_version: "test".into(),
                started_at_ms: 0,
                duration_ms: 1,
                options,
                probes,
                verdicts: conclusion.verdicts,
                headline: conclusion.headline,
                advice: conclusion.advice,
                network: None,
                inbound: None,
                controls: Vec::new(),
            };
            let _ = events
                .send(CheckEvent::Done {
                    report: Box::new(report.clone()),
                })
                .await;
            finished.1 = true;
            Ok(report)
        })
    }
}

async fn agent() -> (Agent, Arc<Scripted>) {
    let s = Arc::new(Scripted::default());
    (start_agent(s.clone(), AgentOptions::default()).await, s)
}

#[tokio::test]
async fn health_answers_without_origin_and_reveals_nothing_sensitive() {
    let (a, _) = agent().await;
    let r = Req::get("/v1/health").send(a.port).await;
    assert_eq!(r.status, 200);
    r.assert_security_headers();
    let h = r.json();
    assert_eq!(h["api_version"], 1);
    assert_eq!(h["agent_version"], env!("CARGO_PKG_VERSION"));
    assert!(h["capabilities"]["ipv6"].is_boolean());
    assert_eq!(h["capabilities"]["tls"], true);
    assert_eq!(h.as_object().unwrap().len(), 3, "{h}");
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("vary").unwrap_or_default().contains("Origin"));

    // From the public page: the origin is echoed exactly, never `*`.
    let r = Req::get("/v1/health").origin(PUBLIC).send(a.port).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(PUBLIC));
    r.assert_security_headers();
}

#[tokio::test]
async fn an_allowed_origin_is_echoed_in_its_normal_form() {
    let (a, _) = agent().await;
    for sent in [
        "HTTPS://MAILPORT.GITHUB.IO",
        "https://mailport.github.io:443",
        "https://MailPort.GitHub.io",
    ] {
        let r = Req::get("/v1/health").origin(sent).send(a.port).await;
        assert_eq!(r.status, 200, "{sent}");
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some(PUBLIC),
            "{sent}"
        );
    }
    let r = Req::new("OPTIONS", "/v1/checks")
        .origin("HTTP://DEV.EXAMPLE:8080")
        .header("Access-Control-Request-Method", "POST")
        .send(a.port)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(DEV_ORIGIN));
}

#[tokio::test]
async fn hostile_origin_is_refused_before_anything_runs() {
    let (a, s) = agent().await;
    for origin in [
        "https://evil.example",
        "null",
        "http://mailport.github.io",
        "https://mailport.github.io.evil.example",
        "http://127.0.0.1:1",
    ] {
        for req in [
            Req::get("/v1/health"),
            Req::get("/"),
            Req::new("POST", "/v1/checks").token().json(OPTIONS),
        ] {
            let r = req.origin(origin).send(a.port).await;
            assert_eq!(r.status, 403, "{origin}");
            assert_eq!(r.code(), "forbidden_origin");
            assert!(
                !r.has_header_prefix("access-control-"),
                "{origin}: {:?}",
                r.headers
            );
            r.assert_security_headers();
        }
    }
    assert_eq!(s.runs.load(Ordering::SeqCst), 0, "no check may start");
}

#[tokio::test]
async fn rebinding_host_is_refused_everywhere() {
    let (a, s) = agent().await;
    let port = a.port;
    for host in [
        format!("rebind.evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
        format!("127.1:{port}"),
        format!("localhost.:{port}"),
        // The right port, but not as any browser writes it.
        format!("127.0.0.1:0{port}"),
        format!("localhost:00{port}"),
    ] {
        for req in [
            Req::get("/v1/health"),
            Req::get("/"),
            Req::new("OPTIONS", "/v1/checks")
                .origin(PUBLIC)
                .header("Access-Control-Request-Method", "POST"),
            Req::new("POST", "/v1/checks").page_action().json(OPTIONS),
        ] {
            let r = req.header("Host", host.clone()).send(port).await;
            assert_eq!(r.status, 403, "{host}");
            assert_eq!(r.code(), "forbidden_host");
            assert!(!r.has_header_prefix("access-control-"));
            r.assert_security_headers();
        }
    }
    // An absolute-form request line naming another host is refused too.
    let r = Req::get(&format!("http://rebind.evil.example:{port}/v1/health"))
        .send(port)
        .await;
    assert_eq!(r.status, 403);
    for host in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let r = Req::get("/v1/health").header("Host", host).send(port).await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(s.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn preflight_grants_private_network_access_only_to_allowed_origins() {
    let (a, _) = agent().await;
    let preflight = |origin: &str, pna: bool| {
        let mut r = Req::new("OPTIONS", "/v1/checks")
            .origin(origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            );
        if pna {
            r = r.header("Access-Control-Request-Private-Network", "true");
        }
        r
    };
    for origin in [PUBLIC, DEV_ORIGIN] {
        let r = preflight(origin, true).send(a.port).await;
        assert_eq!(r.status, 204, "{origin}");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            r.header("access-control-allow-private-network"),
            Some("true")
        );
        let headers = r.header("access-control-allow-headers").unwrap_or_default();
        assert!(headers.contains("authorization") && headers.contains("content-type"));
        assert!(r.header("vary").unwrap_or_default().contains("Origin"));
        r.assert_security_headers();

        let r = preflight(origin, false).send(a.port).await;
        assert_eq!(r.status, 204);
        assert!(r.header("access-control-allow-private-network").is_none());
    }
    let r = preflight("https://evil.example", true).send(a.port).await;
    assert_eq!(r.status, 403);
    assert!(!r.has_header_prefix("access-control-"));
}

#[tokio::test]
async fn actions_need_the_token() {
    let (a, s) = agent().await;
    let query = format!("/v1/checks?token={TOKEN}");
    let attempts = [
        Req::new("POST", "/v1/checks").origin(PUBLIC).json(OPTIONS),
        Req::new("POST", "/v1/checks")
            .origin(PUBLIC)
            .header(
                "Authorization",
                "Bearer 0123456789abcdef0123456789abcdef0123456789abcdee",
            )
            .json(OPTIONS),
        Req::new("POST", "/v1/checks")
            .origin(PUBLIC)
            .header("Authorization", format!("Basic {TOKEN}"))
            .json(OPTIONS),
        Req::new("POST", &query).origin(PUBLIC).json(OPTIONS),
        Req::new("POST", "/v1/checks")
            .origin(PUBLIC)
            .header("Cookie", format!("token={TOKEN}"))
            .json(OPTIONS),
        Req::get("/v1/checks/0000").origin(PUBLIC),
    ];
    for req in attempts {
        let r = req.send(a.port).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.code(), "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        // The page may read why it failed.
        assert_eq!(r.header("access-control-allow-origin"), Some(PUBLIC));
    }
    assert_eq!(s.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_request_without_origin_is_a_script_and_acts_only_with_the_flag() {
    let (a, s) = agent().await;
    // curl with the token: refused without --allow-no-origin, whatever Fetch
    // Metadata it claims (browsers send an Origin on every POST).
    for req in [
        Req::new("POST", "/v1/checks").token().json(OPTIONS),
        Req::new("POST", "/v1/checks")
            .token()
            .header("Sec-Fetch-Site", "same-origin")
            .json(OPTIONS),
        Req::get("/v1/checks/x").token(),
        Req::get("/v1/checks/x")
            .token()
            .header("Sec-Fetch-Site", "cross-site"),
    ] {
        let what = format!("{} {} {:?}", req.method, req.path, req.headers);
        let r = req.send(a.port).await;
        assert_eq!(r.status, 403, "{what}");
        assert_eq!(r.code(), "origin_required", "{what}");
    }
    // The agent's own page reading its check: a same-origin GET, for which
    // browsers send no Origin. Still behind the token.
    let r = Req::get("/v1/checks/x")
        .token()
        .header("Sec-Fetch-Site", "same-origin")
        .send(a.port)
        .await;
    assert_eq!(r.status, 404);
    let r = Req::get("/v1/checks/x")
        .header("Sec-Fetch-Site", "same-origin")
        .send(a.port)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(s.runs.load(Ordering::SeqCst), 0);

    let scripting = start_agent(
        Arc::new(Scripted::default()),
        AgentOptions {
            allow_no_origin: true,
            ..Default::default()
        },
    )
    .await;
    let r = Req::new("POST", "/v1/checks")
        .json(OPTIONS)
        .send(scripting.port)
        .await;
    assert_eq!(r.status, 401, "the flag never lifts the token");
    let r = Req::new("POST", "/v1/checks")
        .token()
        .json(OPTIONS)
        .send(scripting.port)
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn pairing_is_a_post_from_the_agents_own_origin_only() {
    let (a, _) = agent().await;
    let own = format!("http://127.0.0.1:{}", a.port);
    // What the agent's own page sends: a POST carries its Origin.
    let r = Req::new("POST", "/v1/pair")
        .origin(&own)
        .header("Sec-Fetch-Site", "same-origin")
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["token"], TOKEN);
    r.assert_security_headers();
    // The page opened as localhost pairs with its own origin.
    let r = Req::new("POST", "/v1/pair")
        .header("Host", format!("localhost:{}", a.port))
        .origin(&format!("http://localhost:{}", a.port))
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);

    let local = format!("http://localhost:{}", a.port);
    let refused = [
        // Any local program could send this: no Origin, no token.
        (
            Req::new("POST", "/v1/pair").header("Sec-Fetch-Site", "same-origin"),
            "not_same_origin",
        ),
        (Req::new("POST", "/v1/pair"), "not_same_origin"),
        (
            Req::new("POST", "/v1/pair").origin(PUBLIC),
            "not_same_origin",
        ),
        (
            Req::new("POST", "/v1/pair").origin(DEV_ORIGIN),
            "not_same_origin",
        ),
        (
            Req::new("POST", "/v1/pair").origin(&local),
            "not_same_origin",
        ),
        (
            Req::new("POST", "/v1/pair")
                .origin(&own)
                .header("Sec-Fetch-Site", "cross-site"),
            "not_same_origin",
        ),
        (
            Req::new("POST", "/v1/pair").header("Sec-Fetch-Site", "same-site"),
            "not_same_origin",
        ),
        // The old GET is gone, even from the page's own origin.
        (
            Req::get("/v1/pair").header("Sec-Fetch-Site", "same-origin"),
            "not_same_origin",
        ),
        (Req::get("/v1/pair").origin(&own), "method_not_allowed"),
    ];
    for (req, code) in refused {
        let what = format!("{} {:?}", req.method, req.headers);
        let r = req.send(a.port).await;
        assert_eq!(r.code(), code, "{what}");
        assert_eq!(
            r.status,
            if code == "method_not_allowed" {
                405
            } else {
                403
            },
            "{what}"
        );
        assert!(!String::from_utf8_lossy(&r.body).contains(TOKEN), "{what}");
    }
    let r = Req::new("POST", "/v1/pair")
        .origin("https://evil.example")
        .send(a.port)
        .await;
    assert_eq!(r.code(), "forbidden_origin");
}

#[tokio::test]
async fn bad_requests_get_json_4xx_never_500_nor_a_hang() {
    let (a, s) = agent().await;
    let big = format!(r#"{{"domain":"{}"}}"#, "a".repeat(20 * 1024));
    let cases: Vec<(Req, u16, &str)> = vec![
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json("{\"ports\":[25"),
            400,
            "malformed_json",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json("not json"),
            400,
            "malformed_json",
        ),
        (
            Req::new("POST", "/v1/checks").page_action().json(""),
            400,
            "malformed_json",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json(r#"{"portz":[25]}"#),
            422,
            "invalid_options",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json(r#"{"ports":"25"}"#),
            422,
            "invalid_options",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json(r#"{"ports":[]}"#),
            422,
            "invalid_options",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .json(r#"{"ports":[25,22]}"#),
            422,
            "port_not_allowed",
        ),
        (
            // MX hosts are probed on 25 only: without 25 nothing is left.
            Req::new("POST", "/v1/checks").page_action().json(
                r#"{"ports":[587],"targets":[{"host":"mx.example.org","role":"recipient_mx"}]}"#,
            ),
            422,
            "nothing_to_probe",
        ),
        (
            Req::new("POST", "/v1/checks").page_action().json(&big),
            413,
            "body_too_large",
        ),
        (
            Req::new("POST", "/v1/checks")
                .page_action()
                .header("Content-Type", "text/plain")
                .header("Content-Length", OPTIONS.len().to_string()),
            415,
            "unsupported_media_type",
        ),
        (
            Req::new("DELETE", "/v1/checks").page_action(),
            405,
            "method_not_allowed",
        ),
        (
            Req::new("PUT", "/v1/checks/abc").page_action(),
            405,
            "method_not_allowed",
        ),
        (
            Req::get("/v1/checks").page_action(),
            405,
            "method_not_allowed",
        ),
        (
            Req::new("POST", "/").origin(PUBLIC),
            405,
            "method_not_allowed",
        ),
        (Req::get("/v1/nothing").page_action(), 404, "not_found"),
        (
            Req::get("/v1/checks/unknown").page_action(),
            404,
            "not_found",
        ),
        (
            Req::get("/v1/checks/unknown/events").page_action(),
            404,
            "not_found",
        ),
        (Req::get("/no-such-file.js"), 404, "not_found"),
    ];
    for (req, status, code) in cases {
        let what = format!("{} {}", req.method, req.path);
        let r = req.send(a.port).await;
        assert_eq!(
            r.status,
            status,
            "{what}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.code(), code, "{what}");
        assert!(!r.json()["message"].as_str().unwrap_or_default().is_empty());
        assert!(r
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"));
        r.assert_security_headers();
    }
    // The shared validator's words reach the page.
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(r#"{"ports":[25],"connect_timeout_ms":5}"#)
        .send(a.port)
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "the connect timeout must be between 100 and 30000 ms, not 5 ms"
    );
    // A huge declared length is refused without waiting for the body.
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .header("Content-Type", "application/json")
        .header("Content-Length", "10000000")
        .send(a.port)
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(s.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_check_streams_every_event_then_serves_its_report() {
    let (a, s) = agent().await;
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert!(id.len() >= 32);
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/checks/{id}").as_str())
    );

    let mut es = follow(a.port, &id).await;
    assert_eq!(es.status, 200);
    assert!(es
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/event-stream"));
    assert_eq!(es.header("access-control-allow-origin"), Some(PUBLIC));
    let events = es.collect().await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["started", "probe", "probe", "concluded", "done"]);
    for e in &events {
        assert_eq!(e.data["event"], e.event, "data is the CheckEvent JSON");
    }
    assert_eq!(events[1].data["result"]["port"], 25);

    // The report, as the stream's last event carried it.
    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), events[4].data["report"]);
    let report: Report = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(report.probes.len(), 2);

    // A late subscriber replays everything from the start.
    let mut late = follow(a.port, &id).await;
    let replay: Vec<String> = late.collect().await.into_iter().map(|e| e.event).collect();
    assert_eq!(replay, names);
    assert_eq!(s.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn one_check_at_a_time() {
    let (s, gate) = Scripted::gated();
    let a = start_agent(s.clone(), AgentOptions::default()).await;
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "busy");
    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "running");

    gate.add_permits(1);
    let port = a.port;
    let report_path = format!("/v1/checks/{id}");
    eventually("the check to finish", async || {
        Req::get(&report_path).page_action().send(port).await.status == 200
    })
    .await;
    gate.add_permits(1);
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.status, 201, "free again once done");
    assert_eq!(s.runs.load(Ordering::SeqCst), 2);
    assert!(!s.dropped_early.load(Ordering::SeqCst));
}

#[tokio::test]
async fn checks_are_rate_limited() {
    let s = Arc::new(Scripted::default());
    let a = start_agent(
        s.clone(),
        AgentOptions {
            limits: Limits {
                checks_per_minute: 3,
                ..Limits::default()
            },
            ..Default::default()
        },
    )
    .await;
    let port = a.port;
    for _ in 0..3 {
        // Wait for the previous one to finish so `busy` does not interfere.
        eventually("the agent to be free", async || {
            let r = Req::new("POST", "/v1/checks")
                .page_action()
                .json(OPTIONS)
                .send(port)
                .await;
            assert_ne!(r.status, 429);
            r.status == 201
        })
        .await;
    }
    eventually("the last check to finish", async || {
        let r = Req::new("POST", "/v1/checks")
            .page_action()
            .json(OPTIONS)
            .send(port)
            .await;
        assert!(r.status == 409 || r.status == 429, "{}", r.status);
        r.status == 429
    })
    .await;
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(port)
        .await;
    assert_eq!(r.code(), "rate_limited");
    assert_eq!(s.runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_abandoned_check_is_cancelled() {
    let (s, gate) = Scripted::gated();
    let a = start_agent(s.clone(), AgentOptions::default()).await;
    let id = start_check(a.port, OPTIONS).await;
    let mut es = follow(a.port, &id).await;
    assert_eq!(es.next().await.map(|e| e.event).as_deref(), Some("started"));
    drop(es); // the page went away before `done`

    let port = a.port;
    let report_path = format!("/v1/checks/{id}");
    eventually("the check to be cancelled", async || {
        Req::get(&report_path).page_action().send(port).await.code() == "cancelled"
    })
    .await;
    eventually("the engine's future to be dropped", async || {
        s.dropped_early.load(Ordering::SeqCst)
    })
    .await;
    // Its log ends with a `failed` event, for anyone who comes late.
    let mut late = follow(a.port, &id).await;
    let events = late.collect().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "failed");
    assert_eq!(last.data["code"], "cancelled");
    // And the agent is free for the next one.
    gate.add_permits(1);
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn a_check_nobody_follows_is_cancelled_after_the_grace_period() {
    let (s, gate) = Scripted::gated();
    let grace = Duration::from_millis(300);
    let a = start_agent(
        s.clone(),
        AgentOptions {
            limits: Limits {
                follow_grace: grace,
                ..Limits::default()
            },
            ..Default::default()
        },
    )
    .await;
    let started = Instant::now();
    let id = start_check(a.port, OPTIONS).await;
    // Within the grace period the check holds the slot...
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(a.port)
        .await;
    assert_eq!(r.code(), "busy");
    // ...and without a follower it is cancelled once the period is over.
    let port = a.port;
    let report_path = format!("/v1/checks/{id}");
    eventually("the unfollowed check to be cancelled", async || {
        Req::get(&report_path).page_action().send(port).await.code() == "cancelled"
    })
    .await;
    assert!(started.elapsed() >= grace, "{:?}", started.elapsed());
    let r = Req::get(&report_path).page_action().send(port).await;
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nobody followed"),
        "{}",
        r.json()
    );
    eventually("the engine's future to be dropped", async || {
        s.dropped_early.load(Ordering::SeqCst)
    })
    .await;
    gate.add_permits(1);
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(OPTIONS)
        .send(port)
        .await;
    assert_eq!(r.status, 201, "the slot is free again");
}

#[tokio::test]
async fn a_followed_check_outlives_the_grace_period() {
    let (s, gate) = Scripted::gated();
    let a = start_agent(
        s.clone(),
        AgentOptions {
            limits: Limits {
                follow_grace: Duration::from_millis(100),
                ..Limits::default()
            },
            ..Default::default()
        },
    )
    .await;
    let id = start_check(a.port, OPTIONS).await;
    let mut es = follow(a.port, &id).await;
    assert_eq!(es.next().await.map(|e| e.event).as_deref(), Some("started"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    gate.add_permits(1);
    let rest: Vec<String> = es.collect().await.into_iter().map(|e| e.event).collect();
    assert_eq!(rest, ["probe", "probe", "concluded", "done"]);
    assert!(!s.dropped_early.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_check_followed_by_two_pages_survives_one_leaving() {
    let (s, gate) = Scripted::gated();
    let a = start_agent(s.clone(), AgentOptions::default()).await;
    let id = start_check(a.port, OPTIONS).await;
    let mut first = follow(a.port, &id).await;
    let mut second = follow(a.port, &id).await;
    assert!(first.next().await.is_some());
    assert!(second.next().await.is_some());
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.add_permits(1);
    let rest: Vec<String> = second
        .collect()
        .await
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(rest, ["probe", "probe", "concluded", "done"]);
    assert!(!s.dropped_early.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_health_requests_is_served() {
    let (a, _) = agent().await;
    let port = a.port;
    let limit = Arc::new(Semaphore::new(50));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let permit = Arc::clone(&limit).acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let r = Req::get("/v1/health").origin(PUBLIC).send(port).await;
            drop(permit);
            r.status
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1000);
    // Still responsive afterwards.
    assert_eq!(Req::get("/v1/health").send(port).await.status, 200);
}

#[tokio::test]
async fn the_page_is_served_with_its_own_policy() {
    let (a, _) = agent().await;
    let r = Req::get("/").send(a.port).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    // 'self' and the agent's default address; no IPv6 literal (not a valid
    // CSP source: Chrome rejects it) and nothing the page never calls.
    let connect = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("connect-src"))
        .unwrap_or_default();
    assert_eq!(connect, "connect-src 'self' http://127.0.0.1:*", "{csp}");
    assert!(!csp.contains('['), "{csp}");
    // The page's files may be kept, but are revalidated every time (the
    // API stays no-store; see api_answers_are_never_stored).
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("access-control-allow-credentials").is_none());
    let etag = r.header("etag").expect("an ETag").to_string();
    assert!(String::from_utf8_lossy(&r.body).contains("mailport"));
    // Unchanged: 304, no body.
    let again = Req::get("/")
        .header("If-None-Match", &etag)
        .send(a.port)
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    // Compressed when the browser accepts it, and the same bytes inside.
    let gz = Req::get("/")
        .header("Accept-Encoding", "gzip, deflate, br")
        .send(a.port)
        .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz
        .header("vary")
        .unwrap_or_default()
        .contains("Accept-Encoding"));
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b]);
    let inflated = miniz_oxide::inflate::decompress_to_vec(&gz.body[10..gz.body.len() - 8])
        .expect("valid gzip");
    assert_eq!(inflated, r.body);
    // The API stays no-store.
    Req::get("/v1/health")
        .send(a.port)
        .await
        .assert_security_headers();
    let head = Req::new("HEAD", "/index.html").send(a.port).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    // A top-level navigation from another site may open the page...
    let r = Req::get("/")
        .header("Sec-Fetch-Site", "cross-site")
        .send(a.port)
        .await;
    assert_eq!(r.status, 200);
    // ...but no path escapes the embedded table.
    for p in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "//etc/passwd"] {
        assert_eq!(Req::get(p).send(a.port).await.status, 404, "{p}");
    }
}

/// Opens a connection and sends a request head that never ends.
async fn slow_client(port: u16) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1")
        .await
        .expect("write");
    s
}

#[tokio::test]
async fn more_slow_clients_than_the_cap_do_not_stall_the_agent() {
    use tokio::io::AsyncReadExt;
    const CAP: usize = 64;
    // The real header deadline: a client must not wait for it to pass.
    let (s, gate) = Scripted::gated();
    let a = start_agent(
        s.clone(),
        AgentOptions {
            max_connections: Some(CAP),
            ..Default::default()
        },
    )
    .await;
    // A page following a check: its stream is busy, never closed for room.
    let id = start_check(a.port, OPTIONS).await;
    let mut es = follow(a.port, &id).await;
    assert_eq!(es.next().await.map(|e| e.event).as_deref(), Some("started"));

    let mut slow = Vec::new();
    for _ in 0..CAP + 16 {
        slow.push(slow_client(a.port).await);
    }
    let started = Instant::now();
    let r = Req::get("/v1/health").send(a.port).await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "health took {:?} behind {} slow clients",
        started.elapsed(),
        slow.len()
    );
    // The oldest slow clients were closed to make room, long before the deadline.
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(1), slow[0].read_to_end(&mut buf)).await;
    assert!(
        closed.is_ok(),
        "the oldest slow client still holds its slot"
    );
    // The newest ones still wait for their deadline.
    let open = tokio::time::timeout(
        Duration::from_millis(200),
        slow[CAP + 15].read_to_end(&mut buf),
    )
    .await;
    assert!(
        open.is_err(),
        "a recent client was closed before the oldest idle ones"
    );
    // The event stream, older than all of them, was kept.
    gate.add_permits(1);
    let rest: Vec<String> = es.collect().await.into_iter().map(|e| e.event).collect();
    assert_eq!(rest, ["probe", "probe", "concluded", "done"]);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_cut_off_at_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let a = start_agent(
        Arc::new(Scripted::default()),
        AgentOptions {
            header_timeout: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    )
    .await;
    let mut s = slow_client(a.port).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a slow client must be cut off");
    // An idle keep-alive connection too, once it has been served.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", a.port))
        .await
        .expect("connect");
    let head = format!(
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        a.port
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "an idle keep-alive connection must be closed");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn request_heads_are_capped_at_max_head_exactly() {
    use mailport::api::server::{HYPER_MAX_HEAD, MAX_HEAD};
    let (a, _) = agent().await;
    let with_head_of = |size: usize| {
        let bare = Req::get("/v1/health")
            .header("X-Filler", "")
            .head(a.port)
            .len();
        Req::get("/v1/health").header("X-Filler", "a".repeat(size - bare))
    };
    let r = with_head_of(MAX_HEAD).send(a.port).await;
    assert_eq!(r.status, 200);
    // Over the cap: the agent's own answer, JSON with every security header.
    for size in [MAX_HEAD + 1, 40 * 1024, HYPER_MAX_HEAD - 1024] {
        let r = with_head_of(size).send(a.port).await;
        assert_eq!(r.status, 431, "a head of {size} bytes");
        assert_eq!(r.code(), "head_too_large");
        r.assert_security_headers();
    }
    // Past hyper's own limit: hyper's bare 431 (the documented exception).
    let r = with_head_of(HYPER_MAX_HEAD + 1024).send(a.port).await;
    assert_eq!(r.status, 431);
}

/// RFC 9112 §3.2: no Host, two Host lines or a Host that is no authority is
/// a bad request (400), answered with the security headers; a well-formed
/// Host that is not the agent's stays 403 (`rebinding_host_is_refused_everywhere`).
#[tokio::test]
async fn malformed_host_is_a_bad_request() {
    let (a, _) = agent().await;
    let own = format!("127.0.0.1:{}", a.port);
    let r = Req::get("/v1/health")
        .header("Host", own.clone())
        .header("Host", own.clone())
        .send(a.port)
        .await;
    assert_eq!(r.status, 400, "two Host lines");
    assert_eq!(r.code(), "bad_host");
    r.assert_security_headers();
    for bad in ["127.0.0.1:7525:1".to_string(), format!("user@{own}")] {
        let r = Req::get("/v1/health")
            .header("Host", bad.clone())
            .send(a.port)
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.code(), "bad_host");
        r.assert_security_headers();
    }
}

/// The Origin and Host checks read a port the same way: `:07525` is no
/// browser's spelling of the agent's port in either.
#[tokio::test]
async fn origin_port_with_leading_zeros_is_refused_like_host() {
    let (a, _) = agent().await;
    let r = Req::new("POST", "/v1/pair")
        .origin(&format!("http://127.0.0.1:0{}", a.port))
        .send(a.port)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "forbidden_origin");
    assert!(!r.has_header_prefix("access-control-"));
}

/// hyper answers what it cannot parse before any layer runs: the documented
/// exception (api/mod.rs) is an empty answer that closes the connection.
#[tokio::test]
async fn what_hyper_refuses_itself_is_empty_and_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (a, _) = agent().await;
    for raw in [
        &b"NOT A REQUEST\r\n\r\n"[..],
        b"GET /v1/health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
    ] {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", a.port))
            .await
            .expect("connect");
        s.write_all(raw).await.expect("write");
        let mut buf = Vec::new();
        tokio::time::timeout(DEADLINE, s.read_to_end(&mut buf))
            .await
            .expect("closed after the answer")
            .expect("read");
        let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 400"), "{text}");
        assert!(text.contains("content-length: 0"), "{text}");
        assert!(text.contains("connection: close"), "{text}");
        assert!(text.ends_with("\r\n\r\n"), "no body: {text}");
    }
}

/// An engine that fails without a word: the API must still end the stream.
struct Failing;

impl Checker for Failing {
    fn check(
        &self,
        _options: CheckOptions,
        _events: mpsc::Sender<CheckEvent>,
    ) -> BoxFuture<'static, Result<Report, CheckFailure>> {
        Box::pin(async {
            Err(CheckFailure {
                code: "check_failed",
                message: "the resolver could not start".into(),
            })
        })
    }
}

#[tokio::test]
async fn a_failed_check_ends_its_stream_with_failed() {
    let a = start_agent(Arc::new(Failing), AgentOptions::default()).await;
    let id = start_check(a.port, OPTIONS).await;
    let mut es = follow(a.port, &id).await;
    let events = es.collect().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "failed");
    assert_eq!(events[0].data["code"], "check_failed");
    assert_eq!(events[0].data["message"], "the resolver could not start");
    let r = Req::get(&format!("/v1/checks/{id}"))
        .page_action()
        .send(a.port)
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "check_failed");
}
