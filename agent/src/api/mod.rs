//! The localhost HTTP API used by the page, and the page itself.
//!
//! # Threat model
//!
//! The agent listens on loopback only, so what can reach it is (a) web pages
//! the user opens, through the browser, and (b) programs running on this
//! machine. The guards ([`access`]) are against (a): a website must not start
//! checks, read results, learn the token or reach the LAN through the
//! agent. They are not against (b): a local program can open sockets and
//! probe mail ports itself, and can forge any header (Host, Origin,
//! Fetch Metadata), so nothing here tries to tell it from the page. A
//! request without an `Origin` is therefore treated as a script: it may read
//! `/v1/health` and the page, and act only with `--allow-no-origin` (and the
//! token). Browsers send an Origin on every POST, same-origin included, and
//! on every cross-origin `fetch`; they omit it only on same-origin GETs,
//! which is how the agent's own page reads its check's events and report
//! (admitted with `Sec-Fetch-Site: same-origin` and the token).
//!
//! | Request | Who may | Answer |
//! |---|---|---|
//! | `GET /v1/health` | anyone passing the Host check; an Origin, if sent, must be allowed | [`mailport_shared::api::Health`] |
//! | `POST /v1/pair` | the agent's own page only: `Origin` equal to the agent's origin for the Host used (`http://127.0.0.1:PORT`...), exactly | [`mailport_shared::api::Pairing`] |
//! | `POST /v1/checks` | allowed Origin (or `--allow-no-origin`) + `Authorization: Bearer` | 201 [`mailport_shared::api::CheckCreated`]; 409 `busy`; 429 `rate_limited`; 422 `invalid_options` / `port_not_allowed` / `nothing_to_probe` |
//! | `GET /v1/checks/{id}/events` | the token, and an allowed Origin or `Sec-Fetch-Site: same-origin` (or `--allow-no-origin`) | `text/event-stream` of [`mailport_shared::CheckEvent`]s from the first; closing it cancels the check when nobody else follows; a check nobody follows within [`Limits::follow_grace`] of its start is cancelled too |
//! | `GET /v1/checks/{id}` | as above | the [`mailport_shared::Report`]; 409 `running` / `cancelled` / `check_failed`; 404 |
//! | `POST /v1/relay` | as `POST /v1/checks` | 200 [`mailport_shared::relay::step::RelayReport`] (the steps of `mailport relay`, never the password); 409 `busy`; 429 `rate_limited`; 422 `invalid_options` / `address_not_allowed` (the relay is not a public address and the agent runs without `--allow-private`); see [`relay`] |
//! | `GET /*` | Host check; an Origin, if sent, must be allowed | the embedded page ([`crate::web`]) |
//!
//! Errors are [`mailport_shared::api::ApiError`] JSON with stable codes:
//! `bad_host` (400: no Host, two, or not an authority), `head_too_large`
//! (431), `forbidden_host`, `forbidden_origin`, `origin_required`, `not_same_origin`,
//! `unauthorized`, `malformed_json`, `invalid_options`, `port_not_allowed`, `nothing_to_probe`,
//! `address_not_allowed`,
//! `unsupported_media_type`, `body_too_large`, `body_timeout`,
//! `method_not_allowed`, `not_found`, `busy`, `rate_limited`, `running`,
//! `cancelled`, `check_failed`.
//!
//! Layers, outermost first: `headers::security_headers` on every answer,
//! then [`access::guard`] (head size, Host, Origin, token; CORS), then
//! [`errors::json_errors`] (axum's own refusals as JSON), then the routes.
//!
//! # Answers no layer sees
//!
//! hyper answers two kinds of request itself, before any layer runs, and
//! offers no hook to change them, so they carry neither JSON nor the
//! security headers:
//! - a request it cannot parse (bad request line, bad header syntax):
//!   `400 Bad Request`;
//! - a request head over [`server::HYPER_MAX_HEAD`] bytes: `431 Request
//!   Header Fields Too Large`. Heads over the agent's own cap,
//!   [`server::MAX_HEAD`], and under hyper's get the agent's 431
//!   `head_too_large`, with every header; hyper must buffer a head to hand it
//!   on, so some bound of its own always remains.
//!
//! Both are a status line with `connection: close`, `content-length: 0` and
//! `date`, nothing else, and the connection closes: there is no body to
//! sniff, cache or frame, and no CORS header lets a page read them. A connection whose head
//! does not arrive within [`server::HEADER_TIMEOUT`], or one closed to make
//! room at [`server::MAX_CONNECTIONS`], gets no answer at all.

pub mod access;
pub mod engine;
pub mod errors;
mod headers;
pub mod relay;
pub mod routes;
pub mod server;
pub mod sse;
pub mod state;

pub use access::{Guard, Origin, Token};
pub use engine::EngineChecker;
pub use relay::{RelayTests, RELAY_TESTS_PER_MINUTE};
pub use routes::AppState;
pub use server::Listeners;
pub use state::{ApiState, CheckFailure, Checker, Limits};

use axum::{middleware, Router};
use std::sync::Arc;

/// The page's Content Security Policy, sent with every file of the page the
/// agent serves: its own code only (plus WebAssembly), never framed.
///
/// `connect-src`: `'self'` is the agent the page came from, under whichever
/// name it was opened (`127.0.0.1`, `localhost`, `[::1]`). The page also
/// looks for an agent at `http://127.0.0.1:PORT` (the default port, or the
/// one in `#agent=`), so that origin is listed with any port. Nothing else
/// is: the page never calls `localhost` or `[::1]` except as itself, and an
/// IPv6 literal is not even valid in a CSP source (Chrome rejects the whole
/// source with a console error).
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
connect-src 'self' http://127.0.0.1:*; style-src 'self'; \
img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The complete application: routes behind the guard and header layers.
pub fn router(api: Arc<ApiState>, guard: Arc<Guard>) -> Router {
    routes::routes()
        .layer(middleware::from_fn(errors::json_errors))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&guard),
            access::guard,
        ))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(AppState { api, guard })
}
