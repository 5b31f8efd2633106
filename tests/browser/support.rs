//! What the browser tests stand on: chromedriver and a fresh Chromium
//! profile, the real `mailport` agent as a child process, a static copy of
//! the page (a "public page" with no agent behind it), and SMTP fakes on
//! loopback addresses.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where screenshots go (gitignored).
pub fn artifacts() -> PathBuf {
    let dir = root().join("artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Whether the browser tests can run here. Without chromedriver they are
/// skipped with a message, except in CI, where that is a failure.
pub fn browser_available(test: &str) -> bool {
    let found = which("chromedriver").is_some();
    if !found {
        crate::ci::skip_or_fail(
            test,
            "chromedriver is not installed (apt-get install chromium chromium-driver, or run scripts/test.sh)",
        );
        return false;
    }
    let wasm = root().join("web/pkg/mailport_frontend_bg.wasm");
    assert!(
        wasm.exists(),
        "{test}: {} is missing: run scripts/build-web.sh first",
        wasm.display()
    );
    true
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port")
}

/// A child process killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A chromedriver and one browser session with a fresh profile.
pub struct Browser {
    pub client: Client,
    _driver: Proc,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a new, empty profile.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Proc(driver);
        let profile = std::env::temp_dir().join(format!(
            "mailport-e2e-profile-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("profile dir");
        let mut caps = serde_json::Map::new();
        let mut opts = serde_json::json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync",
                // The tests talk to loopback only: Chromium resolves no name
                // (it would ask the system resolver for its search engine's
                // host); the pages are opened by IP literal.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ]
        });
        if let Some(bin) = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|b| which(b))
        {
            opts["binary"] = serde_json::json!(bin.display().to_string());
        }
        caps.insert("goog:chromeOptions".into(), opts);
        // Every request the page makes, for `Browser::requests`.
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "performance": "ALL" }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot start a browser session through chromedriver: {e}"),
            }
        };
        Browser {
            client,
            _driver: driver,
            profile,
        }
    }

    /// Waits (up to `secs`) for an element.
    pub async fn wait_for(&self, css: &str, secs: u64) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let body = self.text("body").await;
                panic!("{css} did not appear in {secs} s ({e}); the page shows:\n{body}")
            }
        }
    }

    /// Waits until `css`'s text satisfies `ok`; returns the text.
    pub async fn wait_text(&self, css: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.text(css).await;
            if ok(&t) {
                return t;
            }
            if Instant::now() > deadline {
                let body = self.text("body").await;
                panic!("{css} never read as expected; last: {t:?}; the page shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `css`, or "" when absent.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} to click: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Waits (up to `secs`) for the input `css` and returns its value.
    pub async fn value(&self, css: &str, secs: u64) -> String {
        self.wait_for(css, secs)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("the value of {css}: {e}"))
            .unwrap_or_default()
    }

    /// Waits until the input `css`'s value satisfies `ok`; returns it.
    pub async fn wait_value(&self, css: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.value(css, secs).await;
            if ok(&v) {
                return v;
            }
            if Instant::now() > deadline {
                let body = self.text("body").await;
                panic!(
                    "{css}'s value never read as expected; last: {v:?}; the page shows:\n{body}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's full height in CSS pixels, if it can be measured.
    async fn page_height(&self) -> Option<u64> {
        self.client
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
    }

    /// Saves what the window shows now as `artifacts/<name>`, and says
    /// where.
    async fn save_screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = artifacts().join(name);
        std::fs::write(&path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
    }

    /// Saves a full-page screenshot into `artifacts/`.
    pub async fn screenshot(&self, name: &str) {
        // Make the window as tall as the page so the picture holds it all.
        let height = self.page_height().await.unwrap_or(1200);
        if let Ok((w, _)) = self.client.get_window_size().await {
            let _ = self
                .client
                .set_window_size(w as u32, (height + 140).min(6000) as u32)
                .await;
        }
        self.save_screenshot(name).await;
    }

    /// Saves what the window shows now, scrolled to `css`.
    pub async fn screenshot_at(&self, css: &str, name: &str) {
        let _ = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView();",
                vec![serde_json::json!(css)],
            )
            .await;
        self.save_screenshot(name).await;
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .issue_cmd(Chromedriver {
                path: "goog/cdp/execute",
                body: serde_json::json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"))
    }

    /// Makes the page a phone's: 390 CSS pixels wide (an iPhone 12 to 15),
    /// `height` tall, mobile viewport rules on. A desktop window cannot be
    /// made that narrow (Chromium's minimum is 500), so this emulates the
    /// device, as DevTools' device mode does; [`Browser::fits_phone`]
    /// measures that it took.
    pub async fn phone(&self, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({
                "width": PHONE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": true
            }),
        )
        .await;
    }

    /// Whether the page, shown phone-wide, fits without scrolling sideways.
    /// A mobile browser widens the window to content that does not fit (and
    /// shrinks it all), so a window wider than the phone is a miss too.
    pub async fn fits_phone(&self) -> bool {
        let [width, scroll_width] = self
            .client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .expect("measure")
            .as_array()
            .and_then(|a| <[serde_json::Value; 2]>::try_from(a.clone()).ok())
            .map(|[w, s]| [w.as_u64().unwrap_or(0), s.as_u64().unwrap_or(0)])
            .expect("two widths");
        if width != u64::from(PHONE_WIDTH) || scroll_width > width {
            // Name the narrowest elements still wider than the phone: what
            // forces the page wide, so a failure says what to fix.
            let culprits = self
                .client
                .execute(
                    "const w = arguments[0]; const out = []; \
                     for (const e of document.querySelectorAll('body *')) { \
                       const r = e.getBoundingClientRect(); \
                       if (r.width > w + 1 && getComputedStyle(e).position !== 'fixed') \
                         out.push([r.right - r.left, e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                           (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')]); } \
                     out.sort((a, b) => a[0] - b[0]); \
                     return out.slice(0, 8).map(x => Math.round(x[0]) + ' px ' + x[1]).join('; ');",
                    vec![serde_json::json!(PHONE_WIDTH)],
                )
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                std::io::stderr(),
                "the page is {scroll_width} px wide in a {width} px window, on a {PHONE_WIDTH} px phone; \
                 wider than the phone: {culprits}"
            );
            return false;
        }
        true
    }

    /// A full-page screenshot at phone width (see [`Browser::phone`]).
    pub async fn phone_screenshot(&self, name: &str) {
        let height = self.page_height().await.unwrap_or(844);
        self.phone(height.min(8000) as u32).await;
        self.save_screenshot(name).await;
    }

    /// The URL of every request the page started since the last call
    /// (from Chrome's performance log), in order.
    pub async fn requests(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(Chromedriver {
                path: "se/log",
                body: serde_json::json!({ "type": "performance" }),
            })
            .await
            .expect("the performance log");
        let mut urls = Vec::new();
        for entry in log.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<serde_json::Value>(message) else {
                continue;
            };
            if event["message"]["method"] == "Network.requestWillBeSent" {
                if let Some(url) = event["message"]["params"]["request"]["url"].as_str() {
                    urls.push(url.to_string());
                }
            }
        }
        urls
    }

    /// The id of the element that has the keyboard focus ("" for none).
    pub async fn focused(&self) -> String {
        self.client
            .execute(
                "return document.activeElement ? document.activeElement.id : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Presses keys (WebDriver key codes, e.g. [`TAB`]) in the focused element.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The width of a phone's page in CSS pixels.
pub const PHONE_WIDTH: u32 = 390;

/// The Tab key, as WebDriver sends it.
pub const TAB: &str = "\u{E004}";
/// The Enter key.
pub const ENTER: &str = "\u{E007}";

/// A chromedriver endpoint beyond the W3C set (`goog/cdp/execute`,
/// `se/log`): a POST of `body` under the session.
#[derive(Debug)]
struct Chromedriver {
    path: &'static str,
    body: serde_json::Value,
}

impl WebDriverCompatibleCommand for Chromedriver {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The real agent binary, `target/<profile>/mailport`, built by
/// `cargo test --workspace` (or `MAILPORT_BIN`).
pub fn agent_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MAILPORT_BIN") {
        return PathBuf::from(p);
    }
    // This test runs from target/<profile>/deps/.
    let exe = std::env::current_exe().expect("test exe path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bin = dir.join("mailport");
    assert!(
        bin.exists(),
        "{} is missing: build the agent first (cargo build -p mailport) or set MAILPORT_BIN",
        bin.display()
    );
    bin
}

/// A running agent and the URL it printed (with its token).
pub struct Agent {
    pub url: String,
    _proc: Proc,
}

impl Agent {
    /// `mailport serve --no-open --port 0 --allow-private --no-netinfo`,
    /// waiting for the line with the page URL. Without network facts: by
    /// default they ask OpenDNS and Google, and tests talk to loopback only.
    pub fn start(extra: &[&str]) -> Agent {
        let mut args = vec!["--no-netinfo"];
        args.extend_from_slice(extra);
        Agent::spawn(&args)
    }

    /// Like [`Agent::start`], with the network facts learned from the fake
    /// DNS server at `dns` only (public address, provider, blocklists and
    /// reverse DNS all asked there).
    pub fn start_with_netinfo(dns: SocketAddr, extra: &[&str]) -> Agent {
        let myip = format!("opendns:{dns}");
        let resolver = dns.to_string();
        let mut args = vec![
            "--myip-server",
            myip.as_str(),
            "--netinfo-dns",
            resolver.as_str(),
        ];
        args.extend_from_slice(extra);
        Agent::spawn(&args)
    }

    fn spawn(extra: &[&str]) -> Agent {
        let mut child = Command::new(agent_binary())
            .args(["serve", "--no-open", "--port", "0", "--allow-private"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the agent starts");
        let stdout = child.stdout.take().expect("agent stdout");
        let proc = Proc(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let line = line.trim().to_string();
                if line.starts_with("http://127.0.0.1:") && line.contains("#token=") {
                    let _ = tx.send(line);
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the agent prints its URL with the token");
        Agent { url, _proc: proc }
    }
}

/// A listener served on a thread of its own, each connection by `handle`
/// on another, until dropped.
struct Served {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Served {
    fn start(listener: TcpListener, handle: impl Fn(TcpStream) + Clone + Send + 'static) -> Served {
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(c) = conn {
                    let handle = handle.clone();
                    std::thread::spawn(move || handle(c));
                }
            }
        });
        Served { addr, stop }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// A static copy of `web/` on 127.0.0.1: the page with no agent behind it,
/// like the public copy.
pub struct StaticSite {
    pub ip: Ipv4Addr,
    pub port: u16,
    _served: Served,
}

impl StaticSite {
    /// Serves on `ip` (another loopback address than 127.0.0.1 makes the
    /// page a different origin than the agent, like the public copy).
    pub fn start(ip: Ipv4Addr) -> StaticSite {
        let listener = TcpListener::bind((ip, 0)).expect("bind static site");
        let web = root().join("web");
        let served = Served::start(listener, move |c| serve_file(c, &web, None));
        StaticSite {
            ip,
            port: served.addr.port(),
            _served: served,
        }
    }

    /// Like [`StaticSite::start`], as a deployment that mirrors the release:
    /// the page names `http://ip:port/dl` as its download base (a
    /// `mailport-download-base` meta tag), where `SHA256SUMS` holds `sums`.
    pub fn with_downloads(ip: Ipv4Addr, sums: String) -> StaticSite {
        let listener = TcpListener::bind((ip, 0)).expect("bind static site");
        let port = listener.local_addr().expect("addr").port();
        let web = root().join("web");
        let downloads = Arc::new(Downloads {
            base: format!("http://{ip}:{port}/dl"),
            sums,
        });
        let served = Served::start(listener, move |c| serve_file(c, &web, Some(&downloads)));
        StaticSite {
            ip,
            port,
            _served: served,
        }
    }
}

/// A mirrored release for [`StaticSite::with_downloads`].
struct Downloads {
    base: String,
    sums: String,
}

fn serve_file(mut c: TcpStream, web: &Path, downloads: Option<&Downloads>) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 4096];
    let n = c.read(&mut buf).unwrap_or(0);
    let req = String::from_utf8_lossy(&buf[..n]);
    let path = req.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let path = if path == "/" { "/index.html" } else { path };
    let mut file = (!path.contains(".."))
        .then(|| std::fs::read(web.join(path.trim_start_matches('/'))).ok())
        .flatten();
    if let Some(d) = downloads {
        if path == "/dl/SHA256SUMS" {
            file = Some(d.sums.clone().into_bytes());
        } else if path == "/index.html" {
            file = file.map(|html| {
                String::from_utf8_lossy(&html)
                    .replacen(
                        "<head>",
                        &format!(
                            "<head><meta name=\"mailport-download-base\" content=\"{}\">",
                            d.base
                        ),
                        1,
                    )
                    .into_bytes()
            });
        }
    }
    let (status, body) = match file {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let ctype = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        _ => "text/plain",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = c.write_all(head.as_bytes());
    let _ = c.write_all(&body);
}

/// A copy of the page on another origin (127.0.0.2) and an agent that
/// allows it: the page asks the agent only when "Connect" is clicked.
pub struct OtherOrigin {
    /// Both serve until dropped.
    _site: StaticSite,
    _agent: Agent,
    /// The copy's origin, `http://127.0.0.2:<port>`.
    pub origin: String,
    /// The agent's port.
    pub agent_port: String,
    /// The agent's pairing token.
    pub token: String,
}

impl OtherOrigin {
    pub fn start() -> OtherOrigin {
        let site = StaticSite::start(Ipv4Addr::new(127, 0, 0, 2));
        let origin = format!("http://{}:{}", site.ip, site.port);
        let agent = Agent::start(&["--allow-origin", &origin]);
        let (agent_base, token) = agent
            .url
            .split_once("/#token=")
            .expect("the agent's URL carries its token");
        let agent_port = agent_base.rsplit(':').next().expect("port").to_string();
        let token = token.to_string();
        OtherOrigin {
            _site: site,
            _agent: agent,
            origin,
            agent_port,
            token,
        }
    }

    /// The copy's page, told the agent's port and token in its fragment,
    /// followed by `more` (`&targets=…`).
    pub fn page_url(&self, more: &str) -> String {
        format!(
            "{}/#agent={}&token={}{more}",
            self.origin, self.agent_port, self.token
        )
    }
}

/// An SMTP server that greets, answers EHLO and QUIT: what a submission
/// server looks like to the probe. Stops when dropped.
pub struct FakeSmtp {
    _served: Served,
}

impl FakeSmtp {
    /// Listens on `ip:port` (a mail port on a private loopback address:
    /// binding below 1024 needs root, which the test machines have).
    pub fn start(ip: Ipv4Addr, port: u16, name: &'static str) -> FakeSmtp {
        FakeSmtp {
            _served: Served::start(mail_listener(ip, port), move |c| smtp_session(c, name)),
        }
    }

    /// A tarpit: accepts and never says a word (holds each connection for
    /// up to a minute).
    pub fn silent(ip: Ipv4Addr, port: u16) -> FakeSmtp {
        FakeSmtp {
            _served: Served::start(mail_listener(ip, port), |c| {
                let _ = c.set_read_timeout(Some(Duration::from_secs(60)));
                let _ = (&c).read(&mut [0u8; 64]);
            }),
        }
    }
}

fn mail_listener(ip: Ipv4Addr, port: u16) -> TcpListener {
    TcpListener::bind((ip, port))
        .unwrap_or_else(|e| panic!("cannot listen on {ip}:{port} for a fake mail server: {e} (the browser tests bind mail ports on 127.0.0.0/8 and need root)"))
}

fn smtp_session(c: TcpStream, name: &str) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut w) = c.try_clone() else { return };
    let _ = write!(w, "220 {name} ESMTP fake ready\r\n");
    for line in BufReader::new(c).lines().map_while(Result::ok) {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => format!("250-{name}\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"),
            "HELO" => format!("250 {name}\r\n"),
            "QUIT" => {
                let _ = write!(w, "221 2.0.0 bye\r\n");
                return;
            }
            _ => "502 5.5.2 not implemented\r\n".to_string(),
        };
        if w.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A fake DNS server on 127.0.0.1 (the `netsim-helper dns` of this crate)
/// that plays every network-facts server: the public-address echo, Team
/// Cymru, Spamhaus and reverse DNS, for one made-up Comcast home line in
/// documentation space. Killed on drop.
pub struct FakeNetinfoDns {
    pub addr: SocketAddr,
    _proc: Proc,
    zone: PathBuf,
}

/// The public address the fake reports (documentation space, data only).
pub const FAKE_PUBLIC_IP: &str = "198.51.100.73";

impl FakeNetinfoDns {
    pub fn start() -> FakeNetinfoDns {
        let port = free_port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let zone = std::env::temp_dir().join(format!(
            "mailport-e2e-netinfo-{}-{port}.zone",
            std::process::id()
        ));
        let records = "\
myip.opendns.com A 198.51.100.73
73.100.51.198.origin.asn.cymru.com TXT 7922 | 198.51.100.0/24 | US | arin | 2005-11-15
as7922.asn.cymru.com TXT 7922 | US | arin | 1997-02-14 | COMCAST-7922 - Comcast Cable Communications, LLC, US
73.100.51.198.zen.spamhaus.org A 127.0.0.10
73.100.51.198.in-addr.arpa PTR c-198-51-100-73.hsd1.ca.comcast.net
c-198-51-100-73.hsd1.ca.comcast.net A 198.51.100.73
";
        std::fs::write(&zone, records).expect("write the fake zone");
        let child = Command::new(env!("CARGO_BIN_EXE_netsim-helper"))
            .arg("dns")
            .arg(addr.to_string())
            .arg(&zone)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fake DNS server starts");
        let proc = Proc(child);
        // It answers UDP and TCP on the same address; TCP says when it is up.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "the fake DNS server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        FakeNetinfoDns {
            addr,
            _proc: proc,
            zone,
        }
    }
}

impl Drop for FakeNetinfoDns {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.zone);
    }
}

/// Something on loopback answering `/v1/health` with `body`, like an older
/// agent would (CORS allowed for any origin, so a page on another port may
/// read it). Stops when dropped.
pub struct FakeAgent {
    pub port: u16,
    _served: Served,
}

impl FakeAgent {
    pub fn start(body: &'static str) -> FakeAgent {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind fake agent");
        let served = Served::start(listener, move |mut c| {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let n = c.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let origin = req
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("origin")
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_else(|| "*".into());
            let (status, body) = if req.starts_with("GET /v1/health ") {
                ("200 OK", body)
            } else {
                ("404 Not Found", "{}")
            };
            let _ = write!(
                c,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nAccess-Control-Allow-Origin: {origin}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        });
        FakeAgent {
            port: served.addr.port(),
            _served: served,
        }
    }
}

impl Browser {
    /// Sets the viewport to exactly `width` × `height` CSS pixels (a phone's
    /// rules when `mobile`), whatever the window: what "without scrolling"
    /// is measured against.
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile
            }),
        )
        .await;
    }

    /// Saves what the window shows now (no scrolling, no resizing) into
    /// `artifacts/`: what a person sees first.
    pub async fn window_screenshot(&self, name: &str) {
        self.save_screenshot(name).await;
    }
}
