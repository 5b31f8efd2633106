//! `POST /v1/relay`: the page's "Test this relay with the agent". The page
//! sends the relay, the login and the password typed into it; the agent runs
//! the same test as `mailport relay` ([`crate::relay::run`]) and answers its
//! [`RelayReport`]. The request passed the same guard as `/v1/checks`
//! (Host, Origin, token), and the body the same size and time limits.
//!
//! The password lives in a [`Secret`] from the moment it is parsed (its
//! `Debug` hides it, its memory is wiped on drop, and the body's bytes are
//! wiped right after parsing); it is never logged, and no answer quotes it:
//! the report holds no password, and the refusals of a malformed body do
//! not quote the body's values.

use super::errors::ApiFailure;
use super::routes::{is_json, read_body, AppState};
use crate::env::Env;
use crate::relay::client::Envelope;
use crate::relay::password::Secret;
use crate::relay::run;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use mailport_shared::relay::step::RelayReport;
use mailport_shared::relay::{self as shared_relay, RelaySpec, DEFAULT_PORT};
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Relay tests started per rolling minute: each one logs in to a server
/// with the user's password, so a loop in a page must not hammer it.
pub const RELAY_TESTS_PER_MINUTE: usize = 10;

/// Longest password accepted (a password, not a document).
const MAX_PASSWORD: usize = 1024;

/// What the relay endpoint needs: where and how to connect, one test at a
/// time, and the rate limit.
pub struct RelayTests {
    env: Env,
    running: Semaphore,
    per_minute: usize,
    started: Mutex<VecDeque<Instant>>,
}

impl RelayTests {
    /// Tests in `env` (its dialer, DNS servers, trust anchors, EHLO name and
    /// `allow_private`), at most `per_minute` a minute.
    pub fn new(env: Env, per_minute: usize) -> Self {
        RelayTests {
            env,
            running: Semaphore::new(1),
            per_minute,
            started: Mutex::new(VecDeque::new()),
        }
    }

    /// Counts one start, or refuses it (429).
    fn admit(&self) -> Result<(), ApiFailure> {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while started
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            started.pop_front();
        }
        if started.len() >= self.per_minute {
            return Err(ApiFailure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "at most {} relay tests a minute; wait a little",
                    self.per_minute
                ),
            ));
        }
        started.push_back(now);
        Ok(())
    }
}

/// The body. No `Debug`: it holds the password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayRequest {
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    user: String,
    password: Secret,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

/// What the body asks for, checked with the validators the terminal uses.
pub struct Validated {
    /// The relay.
    pub spec: RelaySpec,
    /// `MAIL FROM`/`RCPT TO` to try.
    pub envelope: Option<Envelope>,
    /// The password.
    pub password: Secret,
}

/// Parses and checks a body. Refusals name fields, never their values.
pub fn parse(bytes: &[u8]) -> Result<Validated, ApiFailure> {
    let request: RelayRequest = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            let text = e.to_string();
            // serde names missing and unknown fields without values; other
            // data errors ("invalid type: integer `1234`") may quote one.
            let detail = if text.starts_with("missing field") || text.starts_with("unknown field") {
                text
            } else {
                format!(
                    "a value has the wrong type (line {}, column {})",
                    e.line(),
                    e.column()
                )
            };
            ApiFailure::invalid_options(format!(
                "expected {{\"host\", \"port\", \"user\", \"password\", \"from\", \"to\"}} \
                 (strings, the port a number; from and to optional): {detail}"
            ))
        }
        _ => ApiFailure::malformed_json(format!("line {}, column {}", e.line(), e.column())),
    })?;
    let spec = RelaySpec::new(&request.host, request.port, &request.user)
        .map_err(ApiFailure::invalid_options)?;
    let envelope = match (&request.from, &request.to) {
        (None, None) => None,
        (Some(f), Some(t)) => Some(Envelope {
            from: shared_relay::check_address(f).map_err(ApiFailure::invalid_options)?,
            to: shared_relay::check_address(t).map_err(ApiFailure::invalid_options)?,
        }),
        _ => {
            return Err(ApiFailure::invalid_options(
                "give both a sender (from) and a recipient (to), or neither",
            ))
        }
    };
    let password = request.password;
    if password.expose().is_empty() {
        return Err(ApiFailure::invalid_options("the password is empty"));
    }
    if password.expose().len() > MAX_PASSWORD {
        return Err(ApiFailure::invalid_options(format!(
            "the password is longer than {MAX_PASSWORD} bytes"
        )));
    }
    Ok(Validated {
        spec,
        envelope,
        password,
    })
}

/// The handler.
pub(super) async fn test_relay(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<RelayReport>, ApiFailure> {
    let relay = app
        .api
        .relay()
        .ok_or_else(|| ApiFailure::not_found("endpoint"))?;
    if !is_json(&headers) {
        return Err(ApiFailure::unsupported_media_type());
    }
    let mut bytes = read_body(&headers, body).await?;
    let parsed = parse(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    let request = parsed?;
    let Ok(_one_at_a_time) = relay.running.try_acquire() else {
        return Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "busy",
            "a relay test is already running; wait for it to finish",
        ));
    };
    relay.admit()?;
    let env = &relay.env;
    let net = run::Network {
        dialer: env.dialer.as_ref(),
        tls: &env.tls,
        nameservers: &env.nameservers,
        connect: None,
        allow_private: env.allow_private,
    };
    let config = run::default_config(env.ehlo_name.clone());
    let report = run::run(
        &request.spec,
        &request.password,
        request.envelope.as_ref(),
        &net,
        &config,
    )
    .await
    .map_err(|e| {
        ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "address_not_allowed",
            e.to_string(),
        )
    })?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-9731";

    #[test]
    fn bodies() {
        let ok = parse(
            br#"{"host":"smtp.example.org","user":"me@example.org","password":"s3cret-9731"}"#,
        )
        .map_err(|e| e.message)
        .expect("valid");
        assert_eq!(ok.spec.port, 587);
        assert_eq!(ok.password.expose(), SECRET);
        assert!(ok.envelope.is_none());
        let cases: &[(&str, &str)] = &[
            (
                r#"{"host":"smtp.example.org","user":"u","password":""}"#,
                "empty",
            ),
            (r#"{"host":"a b","user":"u","password":"s3cret-9731"}"#, ""),
            (
                r#"{"host":"h.example","port":0,"user":"u","password":"s3cret-9731"}"#,
                "",
            ),
            (
                r#"{"host":"h.example","user":"","password":"s3cret-9731"}"#,
                "--user",
            ),
            (
                r#"{"host":"h.example","user":"u","password":"s3cret-9731","from":"a@b.example"}"#,
                "both",
            ),
            (
                r#"{"host":"h.example","user":"u","password":"s3cret-9731","from":"x","to":"a@b.example"}"#,
                "not an e-mail",
            ),
            (
                r#"{"host":"h.example","user":"u"}"#,
                "missing field `password`",
            ),
            (
                r#"{"host":"h.example","user":"u","password":"s3cret-9731","pw":1}"#,
                "unknown field",
            ),
            (
                r#"{"host":"h.example","user":"u","password":97319731}"#,
                "wrong type",
            ),
            (
                r#"{"host":"h.example","user":"u","password":"s3cret-9731""#,
                "line 1",
            ),
        ];
        for (body, want) in cases {
            let e = parse(body.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("accepted {body}"));
            assert!(e.message.contains(want), "{body}: {}", e.message);
            assert!(!e.message.contains(SECRET), "{body}: {}", e.message);
            assert!(!e.message.contains("97319731"), "{body}: {}", e.message);
        }
    }
}
