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
        .args(["--host", "127.0.0.1", "--ports", &port.to_string()])
        .args(["--connect-timeout", "1000", "--greeting-timeout", "1000"])
        .args(["--reflector", "127.0.0.1", "--reflector-key", key])
        .output()
        .expect("run mailport check");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
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
    ];
    for args in cases {
        let out = Command::new(BIN).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
