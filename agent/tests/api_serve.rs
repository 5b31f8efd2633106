//! `mailport serve` as a user runs it: the binary, on a free port, printing
//! its URL, answering over HTTP, honouring MAILPORT_TOKEN.

mod raw_http;

use raw_http::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Served {
    child: Child,
    port: u16,
    lines: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and reads its banner up to "Press Ctrl-C". Without
/// network facts: they would ask OpenDNS and Google, and tests talk to
/// loopback only.
fn serve(extra: &[&str], token: Option<&str>) -> Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailport"));
    cmd.args(["serve", "--no-open", "--port", "0", "--no-netinfo"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match token {
        Some(t) => cmd.env("MAILPORT_TOKEN", t),
        None => cmd.env_remove("MAILPORT_TOKEN"),
    };
    let mut child = cmd.spawn().expect("start mailport serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("banner line");
        let done = line.starts_with("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let port = lines
        .iter()
        .find_map(|l| l.split("http://127.0.0.1:").nth(1))
        .and_then(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no port in {lines:?}"));
    Served { child, port, lines }
}

#[tokio::test]
async fn serve_prints_a_token_link_and_answers() {
    let s = serve(&[], None);
    let link = s
        .lines
        .iter()
        .find(|l| l.contains("/#token="))
        .expect("a link with the token");
    let token = link.trim().rsplit("#token=").next().expect("token");
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    // The banner says what else the agent looks up (here: nothing).
    assert!(
        s.lines
            .iter()
            .any(|l| l.contains("not looked up (--no-netinfo)")),
        "{:?}",
        s.lines
    );

    let r = Req::get("/v1/health").send(s.port).await;
    assert_eq!(r.status, 200);
    let r = Req::get("/").send(s.port).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    // The printed token works; the test's fixed one does not.
    let r = Req::new("POST", "/v1/checks")
        .origin(mailport_shared::api::PUBLIC_PAGE_ORIGIN)
        .json(r#"{"ports":[25,22]}"#)
        .header("Authorization", format!("Bearer {token}"))
        .send(s.port)
        .await;
    assert_eq!(r.code(), "port_not_allowed");
    let r = Req::new("POST", "/v1/checks")
        .page_action()
        .json("{}")
        .send(s.port)
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn serve_takes_the_token_from_the_environment_and_extra_origins() {
    let s = serve(
        &[
            "--allow-origin",
            "http://localhost:8080/",
            "--allow-no-origin",
        ],
        Some(TOKEN),
    );
    assert!(s
        .lines
        .iter()
        .any(|l| l.contains(&format!("#token={TOKEN}"))));
    assert!(s.lines.iter().any(|l| l.contains("http://localhost:8080")));
    let r = Req::new("POST", "/v1/checks")
        .origin("http://localhost:8080")
        .json(r#"{"ports":[]}"#)
        .token()
        .send(s.port)
        .await;
    assert_eq!(r.code(), "invalid_options");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );
    // --allow-no-origin: a script with the token gets through the guard.
    let r = Req::new("POST", "/v1/checks")
        .json(r#"{"ports":[]}"#)
        .token()
        .send(s.port)
        .await;
    assert_eq!(r.code(), "invalid_options");
}

#[test]
fn serve_refuses_a_bad_origin_flag_and_a_weak_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailport"))
        .args([
            "serve",
            "--no-open",
            "--no-netinfo",
            "--port",
            "0",
            "--allow-origin",
            "https://x.example/path",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a web origin"));
    let out = Command::new(env!("CARGO_BIN_EXE_mailport"))
        .args(["serve", "--no-open", "--no-netinfo", "--port", "0"])
        .env("MAILPORT_TOKEN", "short")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAILPORT_TOKEN"));
}
