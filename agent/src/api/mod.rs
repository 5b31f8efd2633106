//! The localhost HTTP API used by the page, and the page itself.
//!
//! Layers, outermost first: [`headers::security_headers`] on every answer,
//! then [`guard::guard`] (Host, Origin, token; CORS), then
//! [`errors::json_errors`] (axum's own refusals as JSON), then the routes.

pub mod engine;
pub mod errors;
pub mod guard;
mod headers;
pub mod routes;
pub mod server;
pub mod sse;
pub mod state;

pub use engine::EngineChecker;
pub use guard::{Guard, Origin, Token};
pub use routes::AppState;
pub use server::Listeners;
pub use state::{ApiState, CheckFailure, Checker, Limits};

use axum::{middleware, Router};
use std::sync::Arc;

/// The page's Content Security Policy: its own code only (plus WebAssembly),
/// talking to the agent on loopback; never framed.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
connect-src 'self' http://127.0.0.1:* http://[::1]:* http://localhost:*; style-src 'self'; \
img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The complete application: routes behind the guard and header layers.
pub fn router(api: Arc<ApiState>, guard: Arc<Guard>) -> Router {
    routes::routes()
        .layer(middleware::from_fn(errors::json_errors))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&guard),
            guard::guard,
        ))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(AppState { api, guard })
}
