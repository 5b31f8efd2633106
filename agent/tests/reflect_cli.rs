//! `mailport reflect` and `mailport check --reflector`, end to end on
//! loopback: key generation, the signing server, and a check that proves it
//! (or, with the wrong key, proves that someone else answered).

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mailport");

/// Kills the reflector even when an assertion fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local address").port()
}

fn check(port: u16, key: &str) -> Value {
    check_ports("127.0.0.1", &port.to_string(), key)
}

fn check_ports(reflector: &str, ports: &str, key: &str) -> Value {
    let out = Command::new(BIN)
        // No network facts: they would ask OpenDNS and Google.
        .args([
            "check",
            "--no-netinfo",
            "--json",
            "--allow-private",
            "-4",
            "--no-tls",
        ])
        .args(["--host", "127.0.0.1", "--ports", ports])
        .args(["--connect-timeout", "1000", "--greeting-timeout", "1000"])
        .args(["--reflector", reflector, "--reflector-key", key])
        .output()
        .expect("run mailport check");
    // A verdict (port 25 open, blocked, or not judged: these checks do
    // not probe 25), not a usage error.
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

fn reflector_probe(report: &Value) -> &Value {
    report["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .find(|p| p["role"] == "reflector")
        .expect("a reflector probe")
}

#[test]
fn gen_key_serve_and_prove() {
    let dir = std::env::temp_dir().join(format!("mailport-reflect-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("reflector.key");
    let key_s = key.to_str().unwrap();

    let out = Command::new(BIN)
        .args(["reflect", "--gen-key", key_s])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("public key (hex): "))
        .expect("public key printed")
        .to_string();
    // Never overwrite a key.
    let again = Command::new(BIN)
        .args(["reflect", "--gen-key", key_s])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    let port = free_port();
    let _server = Running(
        Command::new(BIN)
            .args(["reflect", "--key", key_s, "--bind", "127.0.0.1"])
            .args(["--ports", &port.to_string(), "--name", "reflector.test"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "reflector did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let report = check(port, &public);
    let p = reflector_probe(&report);
    assert_eq!(p["outcome"]["reflector"]["status"], "genuine", "{p}");
    assert_eq!(p["outcome"]["reflector"]["seen_address"], "127.0.0.1");
    assert_eq!(p["outcome"]["reflector"]["seen_port"], port);
    assert_eq!(
        p["outcome"]["reflector"]["listening"],
        serde_json::json!([port])
    );

    // The right server with the wrong key: not proved, and judged as such.
    let wrong = "00".repeat(31) + "01";
    let other = Command::new(BIN)
        .args([
            "reflect",
            "--gen-key",
            dir.join("other.key").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let other_public = String::from_utf8_lossy(&other.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("public key (hex): ").map(str::to_string))
        .unwrap_or(wrong);
    let report = check(port, &other_public);
    let p = reflector_probe(&report);
    assert_eq!(p["outcome"]["reflector"]["status"], "unverified", "{p}");
    let v = &report["verdicts"][0];
    assert_eq!(v["verdict"]["kind"], "intercepted_suspected", "{v}");
    assert!(v["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "reflector_unverified"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_port_the_reflector_does_not_listen_on_is_not_a_block() {
    // Its own loopback address, where nothing else listens on port 26.
    let addr = "127.61.25.1";
    assert!(
        std::net::TcpStream::connect((addr, 26)).is_err(),
        "something listens on {addr}:26"
    );
    let dir = std::env::temp_dir().join(format!("mailport-reflect-ports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("reflector.key");
    let out = Command::new(BIN)
        .args(["reflect", "--gen-key", key.to_str().unwrap()])
        .output()
        .unwrap();
    let public = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("public key (hex): ").map(str::to_string))
        .expect("public key printed");
    let port = {
        let l = std::net::TcpListener::bind((addr, 0)).expect("bind loopback");
        l.local_addr().expect("local address").port()
    };
    let _server = Running(
        Command::new(BIN)
            .args(["reflect", "--key", key.to_str().unwrap(), "--bind", addr])
            .args(["--ports", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect((addr, port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "reflector did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Port 26 is a mail port, where a reflector is expected to answer; this
    // one signs that it listens on `port` only, so its refusal on 26 says
    // nothing about the network.
    let report = check_ports(addr, &format!("{port},26"), &public);
    let on = |n: u16| {
        report["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .find(|p| p["role"] == "reflector" && p["port"] == n)
            .unwrap_or_else(|| panic!("no reflector probe on {n}: {report}"))
    };
    let p = on(port);
    assert_eq!(
        p["outcome"]["reflector"]["listening"],
        serde_json::json!([port]),
        "{p}"
    );
    assert_eq!(on(26)["outcome"]["kind"], "refused");
    assert_eq!(
        on(26)["expected"],
        false,
        "judged from the signed port list"
    );
    let verdict = |port: u16| {
        report["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .find(|v| v["port"] == port)
            .map(|v| v["verdict"]["kind"].clone())
    };
    assert_eq!(verdict(port), Some("open".into()), "{report}");
    assert_eq!(verdict(26), Some("not_testable".into()), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reflector_flags_are_checked() {
    let cases: &[&[&str]] = &[
        &["check", "--no-netinfo", "--reflector", "r.example"],
        &[
            "check",
            "--no-netinfo",
            "--reflector",
            "r.example",
            "--reflector-key",
            "nonsense",
        ],
        &["reflect"],
        &["reflect", "--key", "/nonexistent/mailport.key"],
        &[
            "reflect",
            "--key",
            "/nonexistent/mailport.key",
            "--max-per-address",
            "0",
        ],
        // More ports than its signed answer may list.
        &[
            "reflect",
            "--key",
            "/nonexistent/mailport.key",
            "--ports",
            "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33",
        ],
    ];
    for args in cases {
        let out = Command::new(BIN).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
