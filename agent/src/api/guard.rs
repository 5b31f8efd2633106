//! Who may talk to the agent: the checks every request passes before any
//! handler runs.
//!
//! These rules defend against *web pages*: a local program can open sockets
//! itself and send any header it likes, so it is not what they are for (see
//! the threat model in [`super`]). A server on loopback is reachable from
//! every web page the user opens, so in order:
//! 1. **Host** must be one of the agent's own names with its own port, spelled
//!    the one canonical way. A page on `evil.example` that re-points its DNS
//!    name to 127.0.0.1 (DNS rebinding) still sends `Host: evil.example:PORT`,
//!    and is refused here.
//! 2. **Origin**, when present, must be on an exact allowlist (scheme, host,
//!    port). A refused origin is refused *before* the handler runs: CORS only
//!    hides a response from the page, it does not stop the request.
//! 3. **No Origin** is what a script sends; browsers send an Origin on every
//!    POST (same-origin ones too) and on every cross-origin `fetch`. So an
//!    action without one is refused unless `--allow-no-origin`. The one
//!    exception is a GET with `Sec-Fetch-Site: same-origin`: the agent's own
//!    page reading its check's events or report (browsers send no Origin on
//!    same-origin GETs); it still needs the token, so it reads nothing the
//!    token would not give.
//! 4. **Pairing** (`POST /v1/pair`, which hands out the token) needs an Origin
//!    equal to the agent's own origin for the Host used, exactly.
//! 5. **Token**: every action needs `Authorization: Bearer <token>`, compared
//!    in constant time. It is never read from a query string or a cookie, so
//!    neither a link nor ambient browser state can carry it.
//!
//! CORS headers are given to allowed origins only, echoed in their normal
//! form (as browsers send them), with `Vary: Origin`; never `*`, never
//! credentials.

use super::errors::ApiFailure;
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The names the agent answers to. `localhost` is kept because people type it;
/// it is only ever the agent's own Host, never trusted as an Origin of others.
const OWN_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// A web origin: scheme, host and port, compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    /// Lower-case; IPv6 literals keep their brackets.
    host: String,
    port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Why a string is not an origin.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a web origin like https://example.org or http://127.0.0.1:8080 ({why})")]
pub struct BadOrigin {
    input: String,
    why: &'static str,
}

impl Origin {
    /// The agent's own origin for one of its names.
    fn own(host: &str, port: u16) -> Self {
        Origin {
            scheme: Scheme::Http,
            host: host.to_string(),
            port,
        }
    }

    /// Parses an `Origin` header value exactly as browsers send it: no path,
    /// no trailing slash, no user info. `null` is refused.
    pub fn parse_header(value: &str) -> Result<Self, BadOrigin> {
        Self::parse(value, false)
    }

    /// Parses an origin typed by a person (`--allow-origin`): a trailing `/`
    /// is tolerated.
    pub fn parse_flag(value: &str) -> Result<Self, BadOrigin> {
        Self::parse(value, true)
    }

    fn parse(input: &str, tolerate_slash: bool) -> Result<Self, BadOrigin> {
        let bad = |why| BadOrigin {
            input: input.to_string(),
            why,
        };
        let (scheme, rest) = input.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(bad("only http and https origins exist for pages"));
        };
        let rest = match rest.strip_suffix('/') {
            Some(r) if tolerate_slash => r,
            _ => rest,
        };
        if rest.is_empty() {
            return Err(bad("no host"));
        }
        if rest
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace())
        {
            return Err(bad("an origin has no path, query, fragment or user name"));
        }
        let authority = Authority::from_str(rest).map_err(|_| bad("bad host or port"))?;
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        // The http crate reads an out-of-range port as no port: parse it here.
        let port = match rest.get(authority.host().len()..) {
            Some("") => scheme.default_port(),
            Some(tail) => tail
                .strip_prefix(':')
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .ok_or_else(|| bad("bad port"))?,
            None => return Err(bad("bad host")),
        };
        Ok(Origin { scheme, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

impl FromStr for Origin {
    type Err = BadOrigin;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse_flag(s)
    }
}

/// Whether a `Host` header names the agent itself on `port`: `127.0.0.1`,
/// `localhost` or `[::1]`, always with the port spelled out, in decimal
/// without leading zeros (`:017525` is not the agent's port as any browser
/// writes it, so only a hand-made request would send it).
pub fn host_is_own(value: &str, port: u16) -> bool {
    own_host_name(value, port).is_some()
}

/// The agent's name a `Host` header uses, if it is one of them.
fn own_host_name(value: &str, port: u16) -> Option<&'static str> {
    if value.contains('@') {
        return None;
    }
    let authority = Authority::from_str(value).ok()?;
    // Compared as text, so that `:07525` is not read as 7525.
    let canonical = port.to_string();
    if authority.port()?.as_str() != canonical {
        return None;
    }
    let host = authority.host();
    OWN_HOSTS
        .into_iter()
        .find(|own| own.eq_ignore_ascii_case(host))
}

/// The per-run secret that authorises actions.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// Why a token could not be made or accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The OS random source failed.
    #[error("the system random source failed: {0}")]
    Random(getrandom::Error),
    /// A token given through `MAILPORT_TOKEN` is too weak or has odd characters.
    #[error("MAILPORT_TOKEN must be at least 32 characters of letters, digits, '-' or '_'")]
    Weak,
}

impl Token {
    /// 256 random bits from the OS, as 64 hex digits.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(TokenError::Random)?;
        Ok(Token(mailport_shared::hex::encode(&bytes)))
    }

    /// A token chosen by the user (for scripts): at least 32 characters from
    /// a URL-safe alphabet, so it can ride in a fragment unescaped.
    pub fn from_user(value: &str) -> Result<Self, TokenError> {
        let ok = value.len() >= 32
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Token(value.to_string()))
        } else {
            Err(TokenError::Weak)
        }
    }

    /// The token's text, to print and put in the page's URL fragment.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a presented token (the length is not
    /// secret: it is fixed).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// Whether an `Authorization` header carries this token as a bearer.
    pub fn authorizes(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return false;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                self.matches(token.trim())
            }
            _ => false,
        }
    }
}

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

    /// Decides on a request. `Ok` carries the origin to echo in CORS headers.
    fn admit(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        uri_authority: Option<&Authority>,
    ) -> Result<Admitted, Refusal> {
        // 1. Host, on every request.
        let host = single(headers, header::HOST)
            .and_then(|h| own_host_name(h, self.port))
            .ok_or_else(ApiFailure::forbidden_host)?;
        if let Some(a) = uri_authority {
            if !host_is_own(a.as_str(), self.port) {
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
struct Refusal {
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
enum Admitted {
    /// A CORS preflight, answered by the guard itself.
    Preflight(Option<Origin>),
    /// A request for the routes; `Some` origin gets CORS headers.
    Request(Option<Origin>),
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
    let verdict = guard.admit(
        request.method(),
        request.uri().path(),
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

/// Answers a preflight from an allowed origin (or a bare OPTIONS).
fn preflight(origin: Option<Origin>, request: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ALLOW,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    let Some(origin) = origin else {
        return response;
    };
    allow_origin(headers, &origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    let pna_asked = request
        .get("access-control-request-private-network")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    if pna_asked {
        headers.insert(
            HeaderName::from_static("access-control-allow-private-network"),
            HeaderValue::from_static("true"),
        );
    }
    response
}

/// Echoes an allowed origin in its normal form: what a browser sends (and
/// compares byte for byte), whatever spelling reached the agent.
fn allow_origin(headers: &mut HeaderMap, origin: &Origin) {
    if let Ok(value) = HeaderValue::from_str(&origin.to_string()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token::from_user("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn origins_parse_exactly() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "https://mailport.github.io",
                Some("https://mailport.github.io"),
            ),
            (
                "https://mailport.github.io:443",
                Some("https://mailport.github.io"),
            ),
            ("HTTP://LocalHost:7525", Some("http://localhost:7525")),
            ("http://[::1]:7525", Some("http://[::1]:7525")),
            ("http://127.0.0.1", Some("http://127.0.0.1")),
            ("null", None),
            ("file://", None),
            ("ftp://example.org", None),
            ("https://", None),
            ("https://example.org/", None),
            ("https://example.org/path", None),
            ("https://user@example.org", None),
            ("https://example.org:", None),
            ("https://example.org:99999", None),
            ("https://exa mple.org", None),
        ];
        for (input, want) in cases {
            let got = Origin::parse_header(input).ok().map(|o| o.to_string());
            assert_eq!(got.as_deref(), *want, "{input}");
        }
        assert_eq!(
            Origin::parse_flag("https://example.org/")
                .unwrap()
                .to_string(),
            "https://example.org"
        );
    }

    #[test]
    fn host_must_be_own_name_and_port() {
        for ok in [
            "127.0.0.1:7525",
            "localhost:7525",
            "LOCALHOST:7525",
            "[::1]:7525",
        ] {
            assert!(host_is_own(ok, 7525), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "127.0.0.1:80",
            "evil.example:7525",
            "127.0.0.1.evil.example:7525",
            "localhost.:7525",
            "127.1:7525",
            "0x7f000001:7525",
            "127.0.0.1:07525",
            "127.0.0.1:007525",
            "[::1]:07525",
            "localhost:+7525",
            "[::ffff:127.0.0.1]:7525",
            "user@127.0.0.1:7525",
            "",
        ] {
            assert!(!host_is_own(bad, 7525), "{bad}");
        }
    }

    #[test]
    fn token_compare_and_bearer() {
        let t = token();
        assert!(t.matches("0123456789abcdef0123456789abcdef"));
        assert!(!t.matches("0123456789abcdef0123456789abcdee"));
        assert!(!t.matches(""));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef0123456789abcdef"),
        );
        assert!(t.authorizes(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic 0123456789abcdef0123456789abcdef"),
        );
        assert!(!t.authorizes(&h));
        assert!(Token::from_user("short").is_err());
        assert!(Token::from_user("0123456789abcdef0123456789abcdef?").is_err());
        let g = Token::generate().unwrap();
        assert_eq!(g.expose().len(), 64);
        assert_ne!(g.expose(), Token::generate().unwrap().expose());
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
            (get, "/v1/health", vec![], Err("forbidden_host")),
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
                Err("forbidden_host"),
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
