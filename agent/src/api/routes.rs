//! The endpoints. Every request has passed [`super::guard`] before reaching
//! a handler here: Host and Origin are trusted, actions carry the token.

use super::access::Guard;
use super::errors::ApiFailure;
use super::sse;
use super::state::{ApiState, Status};
use crate::web;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use mailport_shared::api::{Capabilities, CheckCreated, Health, Pairing, API_VERSION};
use mailport_shared::{CheckOptions, MAIL_PORTS};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

/// Largest accepted request body: options are a few hundred bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// How long a request body may take to arrive once the headers are in.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Checks.
    pub api: Arc<ApiState>,
    /// Host/Origin/token rules (the pairing handler hands out the token).
    pub guard: Arc<Guard>,
}

/// The routes, without the guard and header layers (see [`super::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/pair", post(pair))
        .route("/v1/checks", post(create_check))
        .route("/v1/relay", post(super::relay::test_relay))
        .route("/v1/checks/{id}", get(get_check))
        .route("/v1/checks/{id}/events", get(events))
        .fallback(page)
}

async fn health() -> Json<Health> {
    Json(Health {
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        api_version: API_VERSION,
        capabilities: Capabilities {
            ipv6: has_global_ipv6(),
            tls: true,
        },
    })
}

/// Whether the machine would use a global IPv6 source address for the
/// Internet: asks the kernel which source it picks for a global destination.
/// Connecting a UDP socket sends nothing on the wire.
fn has_global_ipv6() -> bool {
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0))?;
        // Any global unicast address; only the route lookup matters.
        socket.connect(("2001:4860:4860::8888", 53))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(IpAddr::V6(ip)) => is_global_v6(ip),
        _ => false,
    }
}

/// A public address: what the probes' own guard would let them reach.
fn is_global_v6(ip: Ipv6Addr) -> bool {
    !crate::probe::allowed::is_forbidden(&IpAddr::V6(ip))
}

async fn pair(State(app): State<AppState>) -> Json<Pairing> {
    Json(Pairing {
        token: app.guard.token().expose().to_string(),
    })
}

async fn create_check(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    if !is_json(&headers) {
        return Err(ApiFailure::unsupported_media_type());
    }
    let bytes = read_body(&headers, body).await?;
    let options: CheckOptions = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiFailure::invalid_options(e),
        _ => ApiFailure::malformed_json(e),
    })?;
    let options = options.validated().map_err(ApiFailure::invalid_options)?;
    mail_ports_only(&options)?;
    crate::runner::check_plan(&options).map_err(ApiFailure::nothing_to_probe)?;
    let check = app.api.start(options)?;
    let location = format!("/v1/checks/{}", check.id());
    let mut response = (
        StatusCode::CREATED,
        Json(CheckCreated {
            id: check.id().to_string(),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `application/json`, with or without parameters. Anything else (notably the
/// "simple" types a page can send without a preflight) is refused.
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads at most [`MAX_BODY`] bytes within [`BODY_TIMEOUT`].
pub(super) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiFailure> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiFailure::too_large(MAX_BODY));
    }
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiFailure::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("reading the body failed: {e}"),
                )
            })?;
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(ApiFailure::too_large(MAX_BODY));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .map_err(|_| ApiFailure::body_timeout())?
}

/// The API probes the mail ports only: a page must not turn the agent into a
/// general port scanner of the Internet.
fn mail_ports_only(options: &CheckOptions) -> Result<(), ApiFailure> {
    let target_ports = options
        .targets
        .iter()
        .filter_map(|t| t.ports.as_deref())
        .flatten();
    match options
        .ports
        .iter()
        .chain(target_ports)
        .find(|p| !MAIL_PORTS.contains(p))
    {
        None => Ok(()),
        Some(p) => Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "port_not_allowed",
            format!("port {p} is not a mail port; the agent probes only {MAIL_PORTS:?}"),
        )),
    }
}

async fn get_check(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiFailure> {
    let check = app
        .api
        .get(&id)
        .ok_or_else(|| ApiFailure::not_found("check"))?;
    match check.status() {
        Status::Done(report) => Ok(Json(report.as_ref().clone()).into_response()),
        Status::Running => Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "running",
            "the check is still running; follow its events",
        )),
        Status::Failed(e) => Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "check_failed",
            e.message,
        )),
        Status::Cancelled(why) => Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "cancelled",
            why.message(),
        )),
    }
}

async fn events(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiFailure> {
    let check = app
        .api
        .get(&id)
        .ok_or_else(|| ApiFailure::not_found("check"))?;
    Ok(sse::stream(check.subscribe()))
}

/// The embedded page, for GET and HEAD of anything outside `/v1/`.
///
/// Gzipped when the browser accepts it (compressed at build time), with an
/// ETag and `Cache-Control: no-cache`: the browser keeps the files and asks
/// each time whether they changed (a 304 without a body when not). The API
/// stays `no-store`.
async fn page(method: Method, uri: Uri, request: HeaderMap) -> Result<Response, ApiFailure> {
    let path = uri.path();
    if path == "/v1" || path.starts_with("/v1/") {
        return Err(ApiFailure::not_found("endpoint"));
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response = ApiFailure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the page is read-only",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let asset = web::asset(path).ok_or_else(|| ApiFailure::not_found("file"))?;
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    let gzip = asset.gzip().filter(|_| accepts_gzip(&request));
    let body: Cow<'static, [u8]> = match gzip {
        Some(gz) => Cow::Borrowed(gz),
        None => asset.contents().ok_or_else(|| {
            ApiFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "broken_asset",
                "this build's copy of the file is damaged",
            )
        })?,
    };
    let length = body.len();
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        Body::empty().into_response()
    } else {
        Body::from(body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if !fresh {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if gzip.is_some() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if asset.gzip().is_some() {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(super::PAGE_CSP),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

/// Whether `Accept-Encoding` allows gzip (`q=0` refuses it).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_v6() {
        let cases = [
            ("2a01:4f8::1", true),
            ("2001:db8::1", false),
            ("fe80::1", false),
            ("fd00::1", false),
            ("::1", false),
            ("::", false),
            ("::ffff:192.0.2.1", false),
            ("3fff::1", false),
        ];
        for (ip, want) in cases {
            let ip: Ipv6Addr = ip.parse().unwrap();
            assert_eq!(is_global_v6(ip), want, "{ip}");
        }
    }

    #[test]
    fn gzip_only_when_accepted() {
        for (v, want) in [
            ("gzip, deflate, br, zstd", true),
            ("br;q=1.0, GZIP;q=0.5", true),
            ("*", true),
            ("identity", false),
            ("gzip;q=0", false),
            ("deflate", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            assert_eq!(accepts_gzip(&h), want, "{v}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (v, want) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("application/jsonp", false),
        ] {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            assert_eq!(is_json(&h), want, "{v}");
        }
    }

    #[test]
    fn only_mail_ports() {
        let ok = CheckOptions::default();
        assert!(mail_ports_only(&ok).is_ok());
        let bad = CheckOptions {
            ports: vec![25, 22],
            ..Default::default()
        };
        assert_eq!(mail_ports_only(&bad).unwrap_err().code, "port_not_allowed");
        let bad_target = CheckOptions {
            targets: vec![mailport_shared::Target::with_ports(
                "mx.example",
                mailport_shared::Role::Custom,
                &[443],
            )],
            ..Default::default()
        };
        assert!(mail_ports_only(&bad_target).is_err());
    }
}
