//! A small HTTP/1.1 client over a raw TcpStream, so the API tests control
//! every header (Host, Origin, Sec-Fetch-Site...) exactly as a browser or an
//! attacker would send it, and an in-process agent to talk to.
#![allow(dead_code)]

use mailport::api::{
    self, ApiState, Checker, Guard, Limits, Listeners, Origin, RelayTests, Token,
    RELAY_TESTS_PER_MINUTE,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The token every test agent uses.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

/// A page origin the tests allow with `--allow-origin`.
pub const DEV_ORIGIN: &str = "http://dev.example:8080";

/// Limit for any single exchange: a hang fails the test instead of blocking it.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A running agent API on 127.0.0.1 (and [::1] when available).
pub struct Agent {
    pub port: u16,
    pub state: Arc<ApiState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Options of a test agent.
#[derive(Default)]
pub struct AgentOptions {
    pub limits: Limits,
    pub allow_no_origin: bool,
    /// Deadline for request headers; the agent's default when `None`.
    pub header_timeout: Option<Duration>,
    /// Connection cap; the agent's default when `None`.
    pub max_connections: Option<usize>,
    /// Answer `POST /v1/relay`, connecting in this environment.
    pub relay: Option<mailport::env::Env>,
}

/// Starts an agent on an ephemeral port with `checker`.
pub async fn start_agent(checker: Arc<dyn Checker>, options: AgentOptions) -> Agent {
    let mut listeners = Listeners::bind(0).await.expect("bind loopback");
    if let Some(t) = options.header_timeout {
        listeners = listeners.header_timeout(t);
    }
    if let Some(max) = options.max_connections {
        listeners = listeners.max_connections(max);
    }
    let port = listeners.port();
    let guard = Arc::new(Guard::new(
        port,
        [Origin::parse_flag(DEV_ORIGIN).expect("origin")],
        options.allow_no_origin,
        Token::from_user(TOKEN).expect("token"),
    ));
    let mut state = ApiState::new(checker, options.limits);
    if let Some(env) = options.relay {
        state = state.with_relay(RelayTests::new(env, RELAY_TESTS_PER_MINUTE));
    }
    let state = Arc::new(state);
    let app = api::router(Arc::clone(&state), guard);
    let task = tokio::spawn(listeners.serve(app));
    Agent { port, state, task }
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value (first one), case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether any header's name starts with `prefix` (case-insensitive).
    pub fn has_header_prefix(&self, prefix: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.to_ascii_lowercase().starts_with(prefix))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    /// Headers every answer must carry.
    pub fn assert_security_headers(&self) {
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        let csp = self.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(self.header("access-control-allow-credentials").is_none());
        assert_ne!(self.header("access-control-allow-origin"), Some("*"));
    }
}

/// A request: method, path, headers (Host defaults to 127.0.0.1:port unless
/// given), optional body.
pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<Vec<u8>>,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Req {
            method,
            path,
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn get(path: &'a str) -> Self {
        Self::new("GET", path)
    }
    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub fn origin(self, origin: &str) -> Self {
        self.header("Origin", origin)
    }
    pub fn token(self) -> Self {
        self.header("Authorization", format!("Bearer {TOKEN}"))
    }
    /// What the public page sends for an action: its Origin and the token.
    pub fn page_action(self) -> Self {
        self.origin(mailport_shared::api::PUBLIC_PAGE_ORIGIN)
            .token()
    }
    pub fn json(mut self, body: &str) -> Self {
        self.headers
            .push(("Content-Type", "application/json".to_string()));
        self.body = Some(body.as_bytes().to_vec());
        self
    }

    /// The request head exactly as sent to `port`.
    pub fn head(&self, port: u16) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(body) = &self.body {
            if !self
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }

    /// Sends the request and reads the whole response.
    pub async fn send(&self, port: u16) -> Response {
        tokio::time::timeout(DEADLINE, self.exchange(port))
            .await
            .unwrap_or_else(|_| panic!("{} {} hung", self.method, self.path))
    }

    async fn exchange(&self, port: u16) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream
            .write_all(&self.head(port))
            .await
            .expect("write head");
        if let Some(body) = &self.body {
            // The server may answer (413) and close before reading it all.
            let _ = stream.write_all(body).await;
        }
        let mut raw = Vec::new();
        // A reset after a complete early answer is fine: keep what arrived.
        let _ = stream.read_to_end(&mut raw).await;
        parse_response(&raw)
    }

    /// Sends the request and returns the open stream after the response head,
    /// for server-sent events.
    pub async fn open_stream(&self, port: u16) -> EventStream {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream
            .write_all(&self.head(port))
            .await
            .expect("write head");
        let mut es = EventStream {
            stream,
            raw: Vec::new(),
            body: Vec::new(),
            status: 0,
            headers: Vec::new(),
            eof: false,
        };
        tokio::time::timeout(DEADLINE, es.read_head())
            .await
            .expect("event stream head hung");
        es
    }
}

/// Status, headers, and where the body starts.
type Head = (u16, Vec<(String, String)>, usize);

fn parse_head(raw: &[u8]) -> Option<Head> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some((status, headers, end + 4))
}

/// Decodes as many complete chunks as `raw` holds; returns (data, consumed, last seen).
fn dechunk(raw: &[u8]) -> (Vec<u8>, usize, bool) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = raw[pos..].windows(2).position(|w| w == b"\r\n") else {
            return (out, pos, false);
        };
        let size_text = std::str::from_utf8(&raw[pos..pos + line_end]).expect("chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        let data_start = pos + line_end + 2;
        if raw.len() < data_start + size + 2 {
            return (out, pos, false);
        }
        out.extend_from_slice(&raw[data_start..data_start + size]);
        pos = data_start + size + 2;
        if size == 0 {
            return (out, pos, true);
        }
    }
}

fn parse_response(raw: &[u8]) -> Response {
    let (status, headers, start) = parse_head(raw)
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(&raw[start..]).0
    } else {
        raw[start..].to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

/// An open `text/event-stream` response.
pub struct EventStream {
    stream: TcpStream,
    raw: Vec<u8>,
    body: Vec<u8>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    eof: bool,
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub data: serde_json::Value,
}

impl EventStream {
    async fn fill(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
        }
    }

    async fn read_head(&mut self) {
        loop {
            if let Some((status, headers, start)) = parse_head(&self.raw) {
                self.status = status;
                self.headers = headers;
                self.raw.drain(..start);
                return;
            }
            if !self.fill().await {
                panic!("stream closed before the head");
            }
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next event (comments and keep-alives skipped); `None` at the end.
    pub async fn next(&mut self) -> Option<Sse> {
        tokio::time::timeout(DEADLINE, self.next_inner())
            .await
            .expect("no event in time")
    }

    async fn next_inner(&mut self) -> Option<Sse> {
        loop {
            let (data, used, _) = dechunk(&self.raw);
            self.raw.drain(..used);
            self.body.extend_from_slice(&data);
            while let Some(end) = self.body.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.body.drain(..end + 2).collect();
                let text = String::from_utf8(block).expect("utf-8 event");
                let mut event = None;
                let mut data = String::new();
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if let Some(event) = event {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some(Sse { event, data });
                }
            }
            if self.eof || !self.fill().await {
                return None;
            }
        }
    }

    /// Every remaining event until the stream ends.
    pub async fn collect(&mut self) -> Vec<Sse> {
        let mut all = Vec::new();
        while let Some(e) = self.next().await {
            all.push(e);
        }
        all
    }
}

/// Starts a check as the agent's own page does, with `body` as its
/// options: 201, and the check's id.
pub async fn start_check(port: u16, body: &str) -> String {
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json(body)
        .send(port)
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().expect("a check id").to_string()
}

/// Follows the events of check `id` as the agent's own page does.
pub async fn follow(port: u16, id: &str) -> EventStream {
    Req::get(&format!("/v1/checks/{id}/events"))
        .page_action()
        .open_stream(port)
        .await
}

/// Polls `f` until it is true or the deadline passes.
pub async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < DEADLINE {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}
