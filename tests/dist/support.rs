//! What the release-archive tests share: finding `dist/`, unpacking an
//! archive, a static HTTP server for the installer, SMTP fakes on loopback,
//! and the skip-or-fail rule.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The one skip rule of every suite (`tests/ci.rs`).
#[path = "../ci.rs"]
mod ci;

/// `Ok` when a test can run; otherwise prints why loudly and returns `Err`
/// so the test returns early, except in CI, where it fails.
pub fn need(what: &str, ok: bool) -> Result<(), ()> {
    if ok {
        return Ok(());
    }
    ci::skip_or_fail(
        "dist test",
        &format!("{what} (set CI=true to make this a failure)"),
    );
    Err(())
}

/// Whether `cmd` is found on PATH.
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `dist/` as scripts/dist.sh leaves it (or MAILPORT_DIST_DIR).
pub fn dist_dir() -> PathBuf {
    std::env::var_os("MAILPORT_DIST_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root().join(d) })
        .unwrap_or_else(|| root().join("dist"))
}

/// The archive of `target` in `dist/`, if built.
pub fn archive(target: &str) -> Option<PathBuf> {
    let ext = if target.contains("windows") {
        "zip"
    } else {
        "tar.gz"
    };
    let p = dist_dir().join(format!("mailport-{target}.{ext}"));
    p.is_file().then_some(p)
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("mailport-dist-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unpacks a release archive into `into` (tar or unzip, as a user would).
pub fn unpack(archive: &Path, into: &Path) {
    let out = if archive.extension().is_some_and(|e| e == "zip") {
        Command::new("unzip")
            .arg("-q")
            .arg(archive)
            .arg("-d")
            .arg(into)
            .output()
    } else {
        Command::new("tar")
            .arg("-xzf")
            .arg(archive)
            .arg("-C")
            .arg(into)
            .output()
    };
    let out = out.expect("run tar/unzip");
    assert!(
        out.status.success(),
        "unpack {}: {}",
        archive.display(),
        text(&out.stderr)
    );
}

/// Bytes as text, for messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command, failing the test with its output if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A static file server on 127.0.0.1 (GET only, whole files, 404
/// otherwise), serving a directory: the installer's download base.
pub struct FileServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl FileServer {
    pub fn start(dir: PathBuf) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let dir = dir.clone();
                std::thread::spawn(move || serve_file(conn, &dir));
            }
        });
        FileServer { addr, stop }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_file(conn: TcpStream, dir: &Path) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Headers up to the blank line.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let name = path.trim_start_matches('/');
    let file = (!name.is_empty() && !name.contains('/') && !name.contains(".."))
        .then(|| std::fs::read(dir.join(name)).ok())
        .flatten();
    let mut conn = conn;
    let _ = match file {
        Some(body) => conn
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| conn.write_all(&body)),
        None => conn
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}

/// How an SMTP fake behaves.
#[derive(Clone, Copy, Debug)]
pub enum Fake {
    /// Greets, answers EHLO without STARTTLS, says goodbye.
    Banner,
    /// Accepts and says nothing.
    Silent,
    /// Speaks HTTP first: not a mail server.
    NotSmtp,
}

/// A fake on 127.0.0.1 (ephemeral port), one thread per connection; it
/// lives as long as the test process.
pub fn start_fake(kind: Fake) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || fake_session(conn, kind));
        }
    });
    port
}

fn fake_session(mut conn: TcpStream, kind: Fake) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    match kind {
        Fake::Silent => {
            let mut buf = [0u8; 512];
            while conn.read(&mut buf).is_ok_and(|n| n > 0) {}
        }
        Fake::NotSmtp => {
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let mut buf = [0u8; 512];
            while conn.read(&mut buf).is_ok_and(|n| n > 0) {}
        }
        Fake::Banner => {
            if conn.write_all(b"220 mx.dist.test ESMTP\r\n").is_err() {
                return;
            }
            let Ok(read) = conn.try_clone() else { return };
            for line in BufReader::new(read).lines() {
                let Ok(line) = line else { return };
                let cmd = line.to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    b"250 mx.dist.test\r\n"
                } else if cmd.starts_with("QUIT") {
                    let _ = conn.write_all(b"221 bye\r\n");
                    return;
                } else {
                    b"502 not here\r\n"
                };
                if conn.write_all(reply).is_err() {
                    return;
                }
            }
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The four loopback cases and the outcome label each must give.
pub fn loopback_cases() -> Vec<(u16, &'static str)> {
    vec![
        (start_fake(Fake::Banner), "SMTP greeting"),
        (closed_port(), "refused"),
        (start_fake(Fake::Silent), "no greeting"),
        (start_fake(Fake::NotSmtp), "not SMTP"),
    ]
}

/// The `check` arguments for the loopback cases: no DNS, no network facts.
pub fn check_args(ports: &[u16]) -> Vec<String> {
    let ports = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    [
        "check",
        "--allow-private",
        "--host",
        "127.0.0.1",
        "--ports",
        &ports,
        "-4",
        "--no-netinfo",
        "--dns",
        "127.0.0.1:9",
        "--greeting-timeout",
        "1500",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// (port, outcome label) from a `check --json` report.
pub fn outcomes(json: &[u8]) -> Vec<(u16, String)> {
    let report: mailport_shared::Report = serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("not a report ({e}): {}", text(json)));
    let mut got: Vec<(u16, String)> = report
        .probes
        .iter()
        .map(|p| (p.spec.port, p.outcome.label().to_string()))
        .collect();
    got.sort();
    got
}
