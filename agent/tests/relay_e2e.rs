//! The relay proved end to end with real servers: `tests/relay-e2e/run.sh`
//! builds its own network and mount namespaces (nothing touches this
//! machine's network), drops port 25 from the client, and has a client
//! Postfix configured only from `mailport relay --mta postfix` deliver
//! through a Postfix relay requiring STARTTLS (587) or TLS (465) and Dovecot
//! SASL to a destination MX's mailbox; then runs `mailport relay` against
//! that relay (right and wrong password, STARTTLS missing, sender refused).
//! Needs root, postfix, dovecot-core, nftables, openssl, python3, nc.

mod fakes;

use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn postfix_from_the_snippet_relays_through_587_and_465() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let missing: Vec<&str> = [
        "postfix", "dovecot", "nft", "openssl", "python3", "nc", "unshare",
    ]
    .into_iter()
    .filter(|c| !have(c))
    .collect();
    if !root || !missing.is_empty() {
        fakes::skip_or_fail(
            "relay_e2e",
            &format!("needs root (root: {root}) and these tools: {missing:?}"),
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/relay-e2e/run.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_mailport"))
        .output()
        .expect("run the relay end-to-end script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for want in [
        "the message sent through port 587 arrived",
        "the message sent through port 465 arrived",
        "authentication failed (535)",
        "does not offer STARTTLS",
        "sender not allowed (553)",
        "ALL PASSED",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

/// Debian's own Exim (downloaded, unpacked, never installed: it conflicts
/// with Postfix) parses and routes the Exim snippet for 587 and 465, in
/// namespaces of its own (`tests/relay-e2e/exim-check.sh`).
#[test]
fn debian_exim_accepts_its_snippet() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let missing: Vec<&str> = ["apt-get", "dpkg-deb", "python3", "unshare"]
        .into_iter()
        .filter(|c| !have(c))
        .collect();
    if !root || !missing.is_empty() {
        fakes::skip_or_fail(
            "exim_check",
            &format!("needs root (root: {root}) and these tools: {missing:?}"),
        );
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/relay-e2e/exim-check.sh"
    );
    let cache = concat!(env!("CARGO_TARGET_TMPDIR"), "/relay-exim-cache");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_mailport"))
        .arg(cache)
        .output()
        .expect("run the Exim check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) {
        fakes::skip_or_fail("exim_check", "the exim4 packages could not be downloaded");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("port=465") && text.contains("EXIM CHECK PASSED"),
        "{text}"
    );
}
