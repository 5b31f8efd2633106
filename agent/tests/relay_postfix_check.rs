//! The Postfix relay snippet checked by Postfix itself: `postconf -c DIR -n`
//! on a scratch configuration holding the generated `main.cf` lines must not
//! warn (it warns about every parameter it does not know), and `postmap`
//! must index the generated `sasl_passwd` so that the relayhost value is
//! exactly the key the login is found under (the classic mismatch:
//! `[host]:587` in one file, `host:587` in the other).

mod fakes;

use mailport_shared::relay::snippet::PartKind;
use mailport_shared::relay::{snippet, Mta, Password, RelaySpec};
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-d")
        .arg("mail_version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailport-pf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    if let Ok(master) = std::fs::read("/usr/share/postfix/master.cf.dist") {
        std::fs::write(dir.join("master.cf"), master).expect("master.cf");
    }
    dir
}

/// `postconf -c dir -n`'s warnings.
fn postconf_warnings(dir: &Path) -> String {
    let out = Command::new("postconf")
        .arg("-c")
        .arg(dir)
        .arg("-n")
        .output()
        .expect("postconf");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("warning"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn postfix_accepts_its_snippet_for_587_and_465() {
    if !have("postconf") {
        fakes::skip_or_fail("postfix_accepts_its_snippet", "postconf is not installed");
        return;
    }
    for port in [587u16, 465] {
        let spec = RelaySpec::new("smtp.relay.example", port, "me@example.org").expect("spec");
        let s = snippet(Mta::Postfix, &spec, Password::Filled("pa ss:w0rd")).expect("snippet");
        let dir = scratch(&port.to_string());
        let mut main = String::new();
        for part in &s.parts {
            match &part.kind {
                PartKind::Append { path } if path == "/etc/postfix/main.cf" => {
                    main.push_str(
                        &part
                            .text
                            .replace("/etc/postfix", &dir.display().to_string()),
                    );
                }
                PartKind::Create { path } if path == "/etc/postfix/sasl_passwd" => {
                    std::fs::write(dir.join("sasl_passwd"), &part.text).expect("sasl_passwd");
                }
                _ => {}
            }
        }
        std::fs::write(dir.join("main.cf"), &main).expect("main.cf");
        let warnings = postconf_warnings(&dir);
        assert!(
            warnings.is_empty(),
            "port {port}: postconf warns:\n{warnings}\n{main}"
        );
        let relayhost = Command::new("postconf")
            .arg("-c")
            .arg(&dir)
            .arg("-h")
            .arg("relayhost")
            .output()
            .expect("postconf -h");
        let relayhost = String::from_utf8_lossy(&relayhost.stdout)
            .trim()
            .to_string();
        assert_eq!(relayhost, format!("[smtp.relay.example]:{port}"));
        let map = format!("hash:{}", dir.join("sasl_passwd").display());
        let made = Command::new("postmap")
            .arg("-c")
            .arg(&dir)
            .arg(&map)
            .output()
            .expect("postmap");
        assert!(made.status.success(), "{made:?}");
        let found = Command::new("postmap")
            .arg("-c")
            .arg(&dir)
            .arg("-q")
            .arg(&relayhost)
            .arg(&map)
            .output()
            .expect("postmap -q");
        assert_eq!(
            String::from_utf8_lossy(&found.stdout).trim(),
            "me@example.org:pa ss:w0rd"
        );
        // The check can fail: a misspelt parameter is reported.
        std::fs::write(
            dir.join("main.cf"),
            format!("{main}smtp_tls_wrapermode = yes\n"),
        )
        .expect("main.cf");
        assert!(postconf_warnings(&dir).contains("smtp_tls_wrapermode"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
