//! Every refusal the API gives: a status and a stable `code`, sent as
//! [`ApiError`] JSON so the page can branch on the code and show the message.
//!
//! axum answers some refusals itself (unknown route, wrong method) with plain
//! text or an empty body; [`json_errors`] rewrites those, so a client never
//! has to parse anything but JSON from `/v1/`.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mailport_shared::api::ApiError;

/// An error answer: status, stable code, human message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable snake_case code.
    pub code: &'static str,
    /// Text for people.
    pub message: String,
}

impl ApiFailure {
    /// A failure with any status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            code,
            message: message.into(),
        }
    }

    /// 403: the Host header is not one of the agent's own names (DNS rebinding).
    pub fn forbidden_host() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "this agent only answers requests addressed to 127.0.0.1, localhost or [::1] on its own port",
        )
    }

    /// 400: no Host header, two of them, or one that is not an authority
    /// (RFC 9112 §3.2 asks for a 400 in each case).
    pub fn bad_host() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_host",
            "a request needs exactly one Host header naming a host and port",
        )
    }

    /// 431: the request head is over the cap.
    pub fn head_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "head_too_large",
            format!("the request head is over {limit} bytes"),
        )
    }

    /// 403: the Origin is not on the allowlist.
    pub fn forbidden_origin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            "this web page is not allowed to use the mailport agent (start it with --allow-origin to allow it)",
        )
    }

    /// 403: an action without an Origin (a script), and no `--allow-no-origin`.
    pub fn origin_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "origin_required",
            "requests without an Origin header may only read /v1/health (start the agent with --allow-no-origin for scripting)",
        )
    }

    /// 403: `/v1/pair` from anything but the agent's own page.
    pub fn not_same_origin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not_same_origin",
            "the token is only handed to the agent's own page",
        )
    }

    /// 401: no or wrong bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong token: open the link the agent printed when it started",
        )
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// 415: an action body that is not JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the options as Content-Type: application/json",
        )
    }

    /// 413.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 408: the body did not arrive in time.
    pub fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the request body did not arrive in time",
        )
    }

    /// 400: not JSON at all.
    pub fn malformed_json(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
        )
    }

    /// 422: JSON, but not valid options.
    pub fn invalid_options(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_options",
            detail.to_string(),
        )
    }

    /// 422: valid options that plan no probe (e.g. MX hosts with port 25
    /// left out): answered before a check starts rather than as an empty
    /// result.
    pub fn nothing_to_probe(e: crate::runner::NothingToProbe) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_to_probe",
            e.to_string(),
        )
    }

    /// 409: a check is already running.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "busy",
            "a check is already running; wait for it to finish",
        )
    }

    /// 429.
    pub fn rate_limited(per_minute: usize) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("at most {per_minute} checks a minute; wait a little"),
        )
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ApiError {
                code: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Rewrites error answers that are not JSON (axum's own 404/405, a 413 from
/// a limit layer...) into [`ApiError`] JSON with a code derived from the status.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this method is not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("body_too_large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send application/json"),
        s if s.is_server_error() => ("internal", "the agent failed to answer; see its terminal"),
        _ => ("bad_request", "the request was not understood"),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut rewritten = ApiFailure::new(status, code, message).into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    rewritten
}
