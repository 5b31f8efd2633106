//! The request policy: what each request must show, in order, before any
//! handler runs (the rules are listed in [`super`]).

use super::authority::Authority;
use super::cors::{allow_origin, preflight};
use super::host::{own_name, OWN_HOSTS};
use super::origin::Origin;
use super::token::Token;
use crate::api::errors::ApiFailure;
use crate::api::server::MAX_HEAD;
use axum::extract::{Request, State};
use axum::http::{header, uri, HeaderMap, HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What kind of resource a path is, for the rules above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resource {
    /// `/v1/health`: public, reveals nothing.
    Health,
    /// `/v1/pair`: hands out the token, to the agent's own origin only.
    Pair,
    /// Any other `/v1/` path: needs the token.
    Action,
    /// The embedded page.
    Page,
}

impl Resource {
    fn of(path: &str) -> Self {
        match path {
            "/v1/health" => Resource::Health,
            "/v1/pair" => Resource::Pair,
            p if p == "/v1" || p.starts_with("/v1/") => Resource::Action,
            _ => Resource::Page,
        }
    }
}

/// The guard's configuration: fixed once the port is known.
#[derive(Debug)]
pub struct Guard {
    port: u16,
    allowed: Vec<Origin>,
    allow_no_origin: bool,
    token: Token,
}

impl Guard {
    /// Allows the agent's own origins on `port`, the public page and `extra`.
    pub fn new(
        port: u16,
        extra: impl IntoIterator<Item = Origin>,
        allow_no_origin: bool,
        token: Token,
    ) -> Self {
        let mut allowed: Vec<Origin> = OWN_HOSTS.iter().map(|h| Origin::own(h, port)).collect();
        if let Ok(public) = Origin::parse_header(mailport_shared::api::PUBLIC_PAGE_ORIGIN) {
            allowed.push(public);
        }
        for o in extra {
            if !allowed.contains(&o) {
                allowed.push(o);
            }
        }
        Guard {
            port,
            allowed,
            allow_no_origin,
            token,
        }
    }

    /// The allowed origins, for the startup message.
    pub fn allowed_origins(&self) -> &[Origin] {
        &self.allowed
    }

    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// Decides on a request (`target`: its path and query). `Ok` carries
    /// the origin to echo in CORS headers.
    pub(super) fn admit(
        &self,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
        uri_authority: Option<&uri::Authority>,
    ) -> Result<Admitted, Refusal> {
        // 0. A head over the cap, answered here (with the security headers)
        // rather than by hyper, whose own limit is set higher.
        if head_size(method, target, headers) > MAX_HEAD {
            return Err(ApiFailure::head_too_large(MAX_HEAD).into());
        }
        // 1. Host, on every request: exactly one, an authority by RFC 3986
        // (else a bad request, RFC 9112 §3.2), and one of the agent's own.
        let mut hosts = headers.get_all(header::HOST).iter();
        let (Some(raw), None) = (hosts.next(), hosts.next()) else {
            return Err(ApiFailure::bad_host().into());
        };
        let authority = raw
            .to_str()
            .ok()
            .and_then(|h| Authority::parse(h).ok())
            .ok_or_else(ApiFailure::bad_host)?;
        let host = own_name(&authority, self.port).ok_or_else(ApiFailure::forbidden_host)?;
        if let Some(a) = uri_authority {
            let own = Authority::parse(a.as_str())
                .ok()
                .and_then(|a| own_name(&a, self.port));
            if own.is_none() {
                return Err(ApiFailure::forbidden_host().into());
            }
        }
        // 2. Origin, when present, must be allowed.
        let origin = match headers.get_all(header::ORIGIN).iter().count() {
            0 => None,
            1 => {
                let raw =
                    single(headers, header::ORIGIN).ok_or_else(ApiFailure::forbidden_origin)?;
                let origin =
                    Origin::parse_header(raw).map_err(|_| ApiFailure::forbidden_origin())?;
                if !self.allowed.contains(&origin) {
                    return Err(ApiFailure::forbidden_origin().into());
                }
                Some(origin)
            }
            _ => return Err(ApiFailure::forbidden_origin().into()),
        };
        if method == Method::OPTIONS {
            return Ok(Admitted::Preflight(origin));
        }
        let fetch_site = single(headers, HeaderName::from_static("sec-fetch-site"));
        let path = target.split_once('?').map_or(target, |(path, _)| path);
        match Resource::of(path) {
            Resource::Health | Resource::Page => {}
            Resource::Pair => {
                // The page's own origin is the Host it was loaded from.
                let own = Origin::own(host, self.port);
                let ok =
                    origin.as_ref() == Some(&own) && fetch_site.is_none_or(|s| s == "same-origin");
                if !ok {
                    return Err(Refusal::cors(ApiFailure::not_same_origin(), origin));
                }
            }
            Resource::Action => {
                // Browsers omit Origin only on same-origin GETs (and say so
                // in Fetch Metadata); a POST without one is a script.
                let own_page_reading = method == Method::GET && fetch_site == Some("same-origin");
                if origin.is_none() && !own_page_reading && !self.allow_no_origin {
                    return Err(Refusal::cors(ApiFailure::origin_required(), origin));
                }
                if !self.token.authorizes(headers) {
                    return Err(Refusal::cors(ApiFailure::unauthorized(), origin));
                }
            }
        }
        Ok(Admitted::Request(origin))
    }
}

/// A refused request: the answer, and the origin to give CORS headers to
/// when the origin itself was allowed (so the page can read why).
#[derive(Debug)]
pub(super) struct Refusal {
    failure: ApiFailure,
    echo: Option<Origin>,
}

impl Refusal {
    fn cors(failure: ApiFailure, echo: Option<Origin>) -> Self {
        Refusal { failure, echo }
    }
}

impl From<ApiFailure> for Refusal {
    fn from(failure: ApiFailure) -> Self {
        Refusal {
            failure,
            echo: None,
        }
    }
}

/// The guard's verdict on an admitted request.
pub(super) enum Admitted {
    /// A CORS preflight, answered by the guard itself.
    Preflight(Option<Origin>),
    /// A request for the routes; `Some` origin gets CORS headers.
    Request(Option<Origin>),
}

/// The size of a request head as a client writes it (`Name: value` lines):
/// the cap a browser's request is measured against. Extra whitespace a
/// hand-made request adds is not counted; hyper's own, higher limit
/// ([`crate::api::server::HYPER_MAX_HEAD`]) bounds that.
fn head_size(method: &Method, target: &str, headers: &HeaderMap) -> usize {
    let request_line = method.as_str().len() + 1 + target.len() + " HTTP/1.1\r\n".len();
    let fields: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    request_line + fields + 2
}

/// The value of a header that must appear at most once, as text.
fn single(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().ok(),
        _ => None,
    }
}

/// The middleware running [`Guard`] on every request.
pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let verdict = guard.admit(
        request.method(),
        target,
        request.headers(),
        request.uri().authority(),
    );
    match verdict {
        Err(refusal) => {
            let mut response = refusal.failure.into_response();
            if let Some(origin) = refusal.echo {
                allow_origin(response.headers_mut(), &origin);
            }
            response
        }
        Ok(Admitted::Preflight(origin)) => preflight(origin, request.headers()),
        Ok(Admitted::Request(origin)) => {
            let mut response = next.run(request).await;
            if let Some(origin) = origin {
                allow_origin(response.headers_mut(), &origin);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn token() -> Token {
        Token::from_user("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    type Case = (
        &'static Method,
        &'static str,
        Vec<(&'static str, &'static str)>,
        Result<(), &'static str>,
    );

    /// The decision table: (method, path, headers) → admitted or the code.
    #[test]
    fn admission_table() {
        let g = Guard::new(
            7525,
            [Origin::parse_flag("http://dev.example:8080").unwrap()],
            false,
            token(),
        );
        const AUTH: (&str, &str) = ("authorization", "Bearer 0123456789abcdef0123456789abcdef");
        const HOST: (&str, &str) = ("host", "127.0.0.1:7525");
        static GET: Method = Method::GET;
        static POST: Method = Method::POST;
        static OPTIONS: Method = Method::OPTIONS;
        let (get, post) = (&GET, &POST);
        let cases: Vec<Case> = vec![
            (get, "/v1/health", vec![HOST], Ok(())),
            // Malformed by RFC 9112: no Host, two, or not an authority.
            (get, "/v1/health", vec![], Err("bad_host")),
            (
                get,
                "/v1/health",
                vec![("host", "127.0.0.1:7525:1")],
                Err("bad_host"),
            ),
            (
                get,
                "/v1/health",
                vec![("host", "user@127.0.0.1:7525")],
                Err("bad_host"),
            ),
            // Well-formed, but not the agent's own name or port spelling.
            (
                get,
                "/v1/health",
                vec![("host", "127.0.0.1:07525")],
                Err("forbidden_host"),
            ),
            (
                get,
                "/v1/health",
                vec![("host", "evil.example:7525")],
                Err("forbidden_host"),
            ),
            (
                get,
                "/",
                vec![("host", "evil.example:7525")],
                Err("forbidden_host"),
            ),
            (
                &OPTIONS,
                "/v1/checks",
                vec![
                    ("host", "rebind.example:7525"),
                    ("origin", "https://mailport.github.io"),
                ],
                Err("forbidden_host"),
            ),
            (
                get,
                "/v1/health",
                vec![HOST, ("host", "127.0.0.1:7525")],
                Err("bad_host"),
            ),
            // An Origin port with leading zeros is refused like such a Host.
            (
                post,
                "/v1/pair",
                vec![HOST, ("origin", "http://127.0.0.1:07525")],
                Err("forbidden_origin"),
            ),
            (
                get,
                "/v1/health",
                vec![HOST, ("origin", "https://evil.example")],
                Err("forbidden_origin"),
            ),
            (
                get,
                "/",
                vec![HOST, ("origin", "https://evil.example")],
                Err("forbidden_origin"),
            ),
            (
                get,
                "/v1/health",
                vec![HOST, ("origin", "null")],
                Err("forbidden_origin"),
            ),
            (
                get,
                "/v1/health",
                vec![
                    HOST,
                    ("origin", "https://mailport.github.io"),
                    ("origin", "https://mailport.github.io"),
                ],
                Err("forbidden_origin"),
            ),
            (
                post,
                "/v1/checks",
                vec![HOST, ("origin", "https://evil.example"), AUTH],
                Err("forbidden_origin"),
            ),
            (
                post,
                "/v1/checks",
                vec![HOST, ("origin", "http://mailport.github.io"), AUTH],
                Err("forbidden_origin"),
            ),
            (
                post,
                "/v1/checks",
                vec![HOST, ("origin", "https://mailport.github.io"), AUTH],
                Ok(()),
            ),
            (
                post,
                "/v1/checks",
                vec![HOST, ("origin", "http://dev.example:8080"), AUTH],
                Ok(()),
            ),
            (
                post,
                "/v1/checks",
                vec![HOST, ("origin", "https://mailport.github.io")],
                Err("unauthorized"),
            ),
            (post, "/v1/checks", vec![HOST, AUTH], Err("origin_required")),
            (
                post,
                "/v1/checks",
                vec![HOST, AUTH, ("sec-fetch-site", "cross-site")],
                Err("origin_required"),
            ),
            (
                get,
                "/v1/checks/x",
                vec![HOST, AUTH, ("sec-fetch-site", "same-origin")],
                Ok(()),
            ),
            (
                get,
                "/v1/checks/x",
                vec![HOST, AUTH],
                Err("origin_required"),
            ),
            // Browsers send an Origin on every POST: without one it is a script.
            (
                post,
                "/v1/checks",
                vec![HOST, AUTH, ("sec-fetch-site", "same-origin")],
                Err("origin_required"),
            ),
            (
                post,
                "/v1/pair",
                vec![HOST, ("sec-fetch-site", "same-origin")],
                Err("not_same_origin"),
            ),
            (
                post,
                "/v1/pair",
                vec![HOST, ("origin", "http://127.0.0.1:7525")],
                Ok(()),
            ),
            (
                post,
                "/v1/pair",
                vec![
                    HOST,
                    ("origin", "http://127.0.0.1:7525"),
                    ("sec-fetch-site", "same-origin"),
                ],
                Ok(()),
            ),
            (
                post,
                "/v1/pair",
                vec![
                    ("host", "localhost:7525"),
                    ("origin", "http://localhost:7525"),
                ],
                Ok(()),
            ),
            (
                post,
                "/v1/pair",
                vec![HOST, ("origin", "http://localhost:7525")],
                Err("not_same_origin"),
            ),
            (
                post,
                "/v1/pair",
                vec![HOST, ("origin", "https://mailport.github.io")],
                Err("not_same_origin"),
            ),
            (
                post,
                "/v1/pair",
                vec![
                    HOST,
                    ("origin", "http://127.0.0.1:7525"),
                    ("sec-fetch-site", "cross-site"),
                ],
                Err("not_same_origin"),
            ),
            (post, "/v1/pair", vec![HOST], Err("not_same_origin")),
            (
                post,
                "/v1/pair",
                vec![HOST, ("sec-fetch-site", "cross-site")],
                Err("not_same_origin"),
            ),
            (
                get,
                "/index.html",
                vec![HOST, ("sec-fetch-site", "cross-site")],
                Ok(()),
            ),
        ];
        for (method, path, hs, want) in cases {
            let got = g
                .admit(method, path, &headers(&hs), None)
                .map(|_| ())
                .map_err(|r| r.failure.code);
            assert_eq!(got, want, "{method} {path} {hs:?}");
        }
        let scripting = Guard::new(7525, [], true, token());
        assert!(scripting
            .admit(post, "/v1/checks", &headers(&[HOST, AUTH]), None)
            .is_ok());
        assert_eq!(
            scripting
                .admit(post, "/v1/checks", &headers(&[HOST]), None)
                .map(|_| ())
                .map_err(|r| r.failure.code),
            Err("unauthorized")
        );
    }

    #[test]
    fn the_echoed_origin_is_the_normal_form() {
        let g = Guard::new(7525, [], false, token());
        let host = ("host", "127.0.0.1:7525");
        for sent in [
            "https://mailport.github.io",
            "HTTPS://MAILPORT.GITHUB.IO",
            "https://mailport.github.io:443",
        ] {
            let admitted = g.admit(
                &Method::GET,
                "/v1/health",
                &headers(&[host, ("origin", sent)]),
                None,
            );
            let Ok(Admitted::Request(Some(origin))) = admitted else {
                panic!("{sent} was not admitted with an origin");
            };
            assert_eq!(origin.to_string(), "https://mailport.github.io", "{sent}");
        }
    }
}
