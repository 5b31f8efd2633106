//! The real default targets (shared `DEFAULT_TARGETS`) on the simulated
//! internet: the client's DNS answers their real names with documentation
//! addresses inside the namespaces, and the hosts there behave like the real
//! ones (see `faithful.rs` for how they speak):
//!
//! | name | listens | other mail ports | 443 (control port) |
//! |---|---|---|---|
//! | gmail-smtp-in.l.google.com | 25 (STARTTLS) | dropped | accepts (a web front end) |
//! | mx01.mail.icloud.com | 25 (STARTTLS) | dropped | refused (RST) |
//! | smtp.gmail.com | 25, 587 (STARTTLS, AUTH after it), 465 (TLS) | dropped | accepts |
//! | smtp.sendgrid.net | 25, 587, 2525 (STARTTLS), 465 (TLS) | dropped | accepts |
//! | portquiz.net | every TCP port: an HTTP server | — | HTTP too |
//!
//! Every port of portquiz's addresses is sent to one listener by a DNAT rule
//! in the internet namespace, as the real one does with a firewall rule;
//! the ports a host does not serve are dropped there, as Google's and
//! Apple's MX hosts do (a connection to them times out rather than being
//! refused). Every host has an IPv4 and an IPv6 address.

use crate::topo::{ns_run, Host, Net, NET};
use anyhow::{Context, Result};

/// A stand-in for one real default target.
pub struct Stand {
    /// Its name and addresses.
    pub host: Host,
    /// The helper's `smtp` profile; None for portquiz (`portquiz` mode).
    profile: Option<&'static str>,
    /// Names on its certificate.
    cert_names: &'static [&'static str],
    /// Plain-text SMTP ports (STARTTLS offered).
    plain: &'static [u16],
    /// Implicit-TLS ports.
    tls: &'static [u16],
    /// Whether 443 accepts (a web front end); otherwise it is refused.
    web: bool,
}

/// The port every portquiz connection lands on.
pub const PORTQUIZ_LISTEN: u16 = 80;

/// gmail-smtp-in.l.google.com.
pub const GMAIL_MX: Stand = Stand {
    host: Host {
        names: &["gmail-smtp-in.l.google.com"],
        v4: "198.51.100.101",
        v6: "2001:db8:2::101",
    },
    profile: Some("gmail-mx"),
    cert_names: &[
        "mx.google.com",
        "gmail-smtp-in.l.google.com",
        "aspmx.l.google.com",
    ],
    plain: &[25],
    tls: &[],
    web: true,
};
/// mx01.mail.icloud.com.
pub const ICLOUD_MX: Stand = Stand {
    host: Host {
        names: &["mx01.mail.icloud.com"],
        v4: "198.51.100.102",
        v6: "2001:db8:2::102",
    },
    profile: Some("icloud-mx"),
    cert_names: &["mx01.mail.icloud.com", "*.mail.icloud.com"],
    plain: &[25],
    tls: &[],
    web: false,
};
/// smtp.gmail.com.
pub const GMAIL_SUBMISSION: Stand = Stand {
    host: Host {
        names: &["smtp.gmail.com"],
        v4: "198.51.100.103",
        v6: "2001:db8:2::103",
    },
    profile: Some("gmail-submission"),
    cert_names: &["smtp.gmail.com"],
    plain: &[25, 587],
    tls: &[465],
    web: true,
};
/// smtp.sendgrid.net.
pub const SENDGRID: Stand = Stand {
    host: Host {
        names: &["smtp.sendgrid.net"],
        v4: "198.51.100.104",
        v6: "2001:db8:2::104",
    },
    profile: Some("sendgrid"),
    cert_names: &["smtp.sendgrid.net", "*.sendgrid.net"],
    plain: &[25, 587, 2525],
    tls: &[465],
    web: true,
};
/// portquiz.net.
pub const PORTQUIZ: Stand = Stand {
    host: Host {
        names: &["portquiz.net"],
        v4: "198.51.100.105",
        v6: "2001:db8:2::105",
    },
    profile: None,
    cert_names: &[],
    plain: &[],
    tls: &[],
    web: true,
};

/// Every stand-in.
pub const ALL: [&Stand; 5] = [
    &GMAIL_MX,
    &ICLOUD_MX,
    &GMAIL_SUBMISSION,
    &SENDGRID,
    &PORTQUIZ,
];

impl Stand {
    /// The ports it takes connections on (443 included when it accepts
    /// there); portquiz: its one listener.
    fn listening(&self) -> Vec<u16> {
        if self.profile.is_none() {
            return vec![PORTQUIZ_LISTEN];
        }
        let mut ports: Vec<u16> = self.plain.iter().chain(self.tls).copied().collect();
        if self.web {
            ports.push(443);
        }
        ports
    }

    /// The ports not dropped in front of it: what it serves, and 443.
    fn answered(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.plain.iter().chain(self.tls).copied().collect();
        ports.push(443);
        ports
    }

    /// Each of its addresses as it appears in a socket address.
    fn addrs(&self) -> [String; 2] {
        [self.host.v4.to_string(), format!("[{}]", self.host.v6)]
    }
}

/// The client's DNS records for the real names.
pub fn zone() -> String {
    let mut z = String::new();
    for s in ALL {
        for n in s.host.names {
            z.push_str(&format!("{n} A {}\n{n} AAAA {}\n", s.host.v4, s.host.v6));
        }
    }
    z
}

/// Adds the addresses to the internet namespace and its nftables rules
/// (portquiz's every-port DNAT, the dropped ports).
pub fn wire() -> Result<()> {
    for s in ALL {
        ns_run(
            NET,
            &[
                "ip",
                "addr",
                "add",
                &format!("{}/32", s.host.v4),
                "dev",
                "lo",
            ],
        )?;
        let v6 = format!("{}/128", s.host.v6);
        ns_run(NET, &["ip", "addr", "add", &v6, "dev", "lo", "nodad"])?;
    }
    // Replies (also those of the waits run inside this namespace) pass.
    let mut input = String::from("\t\tct state established,related accept\n");
    for s in ALL.iter().filter(|s| s.profile.is_some()) {
        let ports = s
            .answered()
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        input.push_str(&format!(
            "\t\tip daddr {} tcp dport != {{ {ports} }} drop\n\t\tip6 daddr {} tcp dport != {{ {ports} }} drop\n",
            s.host.v4, s.host.v6
        ));
    }
    let (pq4, pq6) = (PORTQUIZ.host.v4, PORTQUIZ.host.v6);
    let l = PORTQUIZ_LISTEN;
    let ruleset = format!(
        "table inet mpsim-hosts {{\n\
         \tchain prerouting {{\n\t\ttype nat hook prerouting priority -100; policy accept;\n\
         \t\tip daddr {pq4} tcp dport != {l} dnat ip to {pq4}:{l}\n\
         \t\tip6 daddr {pq6} tcp dport != {l} dnat ip6 to [{pq6}]:{l}\n\t}}\n\
         \tchain input {{\n\t\ttype filter hook input priority 0; policy accept;\n{input}\t}}\n\
         }}\n"
    );
    let file = std::env::temp_dir().join(format!("mpsim-hosts-{}.nft", std::process::id()));
    std::fs::write(&file, &ruleset)?;
    let r = ns_run(NET, &["nft", "-f", file.to_str().context("path")?]);
    let _ = std::fs::remove_file(&file);
    r.with_context(|| format!("ruleset:\n{ruleset}"))?;
    Ok(())
}

/// Starts the stand-ins (one helper process each); returns the addresses to
/// wait for.
pub fn start(net: &mut Net, helper: &str) -> Result<Vec<String>> {
    let mut waits = Vec::new();
    for s in ALL {
        let id = s.host.names[0]
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join("-");
        let mut args: Vec<String> = Vec::new();
        match s.profile {
            Some(profile) => {
                let (cert, key) = net.pki.issue(&id, s.cert_names)?;
                args.extend(["smtp".into(), profile.into()]);
                args.push(cert.display().to_string());
                args.push(key.display().to_string());
                for a in s.addrs() {
                    for p in s.plain {
                        args.push(format!("plain@{a}:{p}"));
                    }
                    for p in s.tls {
                        args.push(format!("tls@{a}:{p}"));
                    }
                    if s.web {
                        args.push(format!("hold@{a}:443"));
                    }
                }
            }
            None => {
                args.push("portquiz".into());
                args.extend(s.addrs().map(|a| format!("{a}:{PORTQUIZ_LISTEN}")));
            }
        }
        let mut full = vec![helper];
        full.extend(args.iter().map(String::as_str));
        net.spawn(NET, &full, &format!("{id}.log"))?;
        for a in s.addrs() {
            for p in s.listening() {
                waits.push(format!("{a}:{p}"));
            }
        }
    }
    Ok(waits)
}

/// Talks to the stand-ins from the client namespace with the tools people
/// use (nc, openssl s_client, curl) and returns every way they differ from
/// the real hosts' behaviour described above. The conversations run at
/// once (most of their time is waiting).
pub fn verify(net: &Net) -> Vec<String> {
    let ca = net.ca_file().display().to_string();
    let (gm, gs, sg, ic) = (
        GMAIL_MX.host.v4,
        GMAIL_SUBMISSION.host.v4,
        SENDGRID.host.v4,
        ICLOUD_MX.host.v6,
    );
    // (what, the conversation, what it must contain, what it must not).
    type Check = (String, String, Vec<&'static str>, Vec<&'static str>);
    let mut checks: Vec<Check> = Vec::new();
    let gmail_ehlo = vec![
        "220 mx.google.com ESMTP ",
        " - gsmtp\r\n",
        "250-mx.google.com at your service, [",
        "250-STARTTLS\r\n",
        "250-ENHANCEDSTATUSCODES\r\n",
        "250-PIPELINING\r\n",
        "250-CHUNKING\r\n",
        "250 SMTPUTF8\r\n",
    ];
    for addr in [GMAIL_MX.host.v4, GMAIL_MX.host.v6] {
        checks.push((
            "gmail MX on 25".into(),
            smtp(addr, 25),
            gmail_ehlo.clone(),
            vec![],
        ));
    }
    checks.push((
        "gmail MX sees the client's address".into(),
        smtp(gm, 25),
        vec!["at your service, [192.0.2.10]"],
        vec![],
    ));
    checks.push((
        "smtp.gmail.com 587 before STARTTLS".into(),
        smtp(gs, 587),
        vec!["220 smtp.gmail.com ESMTP", "250-STARTTLS"],
        vec!["AUTH"],
    ));
    for (port, starttls) in [(587, true), (465, false), (25, true)] {
        checks.push((
            format!("smtp.gmail.com {port} in TLS"),
            tls(&ca, gs, port, "smtp.gmail.com", starttls),
            vec!["Verify return code: 0 (ok)", "250-AUTH LOGIN PLAIN XOAUTH2"],
            vec![],
        ));
    }
    for (port, starttls) in [(25, true), (587, true), (2525, true), (465, false)] {
        checks.push((
            format!("smtp.sendgrid.net {port}"),
            tls(&ca, sg, port, "smtp.sendgrid.net", starttls),
            vec![
                "Verify return code: 0 (ok)",
                "250-smtp.sendgrid.net",
                "AUTH PLAIN LOGIN",
            ],
            vec![],
        ));
    }
    checks.push((
        "iCloud MX on 25 in TLS".into(),
        tls(&ca, ic, 25, "mx01.mail.icloud.com", true),
        vec!["Verify return code: 0 (ok)", "250-mx01.mail.icloud.com\r\n"],
        vec![],
    ));
    checks.push((
        "iCloud MX greeting".into(),
        smtp(ic, 25),
        vec!["220 mx01.mail.icloud.com ESMTP", "250-STARTTLS\r\n"],
        vec![],
    ));
    // Ports a host does not serve time out (nc gives up after 2 s); 443
    // answers, by accepting or at once with a RST.
    for (addr, port) in [(gm, 587), (ic, 465), (gs, 2525)] {
        checks.push((
            format!("{addr} port {port} times out"),
            timed_connect(addr, port),
            vec!["failed after 2"],
            vec![],
        ));
    }
    for s in [&GMAIL_MX, &GMAIL_SUBMISSION, &SENDGRID] {
        checks.push((
            format!("{} accepts on 443", s.host.names[0]),
            timed_connect(s.host.v4, 443),
            vec!["open after 0"],
            vec![],
        ));
    }
    checks.push((
        "iCloud MX refuses 443 at once".into(),
        timed_connect(ICLOUD_MX.host.v4, 443),
        vec!["failed after 0"],
        vec![],
    ));
    // portquiz: silent until asked, HTTP on every port, 400 to anything else.
    let pq = PORTQUIZ.host.v4;
    for port in [25u16, 26, 465, 587, 2525, 443, 8080] {
        checks.push((
            format!("portquiz {port}"),
            format!("curl -s -m 3 http://{pq}:{port}/"),
            vec!["Port test successful!", "Your IP: 192.0.2.10"],
            vec![],
        ));
    }
    checks.push((
        "portquiz over IPv6".into(),
        format!("curl -s -m 3 'http://[{}]:26/'", PORTQUIZ.host.v6),
        vec!["Your IP: 2001:db8:c::10"],
        vec![],
    ));
    checks.push((
        "portquiz says nothing first".into(),
        format!("nc -w 2 {pq} 25 </dev/null | head -c 100; echo end"),
        vec!["end"],
        vec!["HTTP", "220"],
    ));
    checks.push((
        "portquiz to an SMTP client".into(),
        format!("(sleep 0.3; printf 'EHLO me\\r\\n') | nc -w 2 {pq} 25"),
        vec!["HTTP/1.1 400 Bad Request"],
        vec![],
    ));
    checks.push((
        "portquiz to a TLS ClientHello".into(),
        format!("(printf '\\026\\003\\001\\002\\000\\001'; sleep 1) | nc -w 2 {pq} 465"),
        vec!["HTTP/1.1 400"],
        vec![],
    ));
    let outputs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = checks
            .iter()
            .map(|(_, script, _, _)| scope.spawn(move || sh(script)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| "(panicked)".into()))
            .collect()
    });
    let mut fails = Vec::new();
    for ((what, _, wants, shuns), got) in checks.iter().zip(&outputs) {
        expect(&mut fails, what, got, wants);
        for shun in shuns {
            if got.contains(shun) {
                fails.push(format!("{what}: {shun:?} in:\n{got}"));
            }
        }
    }
    fails
}

/// Runs a shell script in the client namespace; its output, or why not.
fn sh(script: &str) -> String {
    ns_run(crate::topo::CLIENT, &["sh", "-c", script])
        .unwrap_or_else(|e| format!("(failed: {e:#})"))
}

/// An SMTP conversation in plain text: greeting, EHLO, QUIT.
fn smtp(addr: &str, port: u16) -> String {
    format!(
        "(sleep 0.3; printf 'EHLO me\\r\\n'; sleep 0.3; printf 'QUIT\\r\\n') | nc -w 3 {addr} {port}"
    )
}

/// The same in TLS (implicit, or after STARTTLS), checking the certificate
/// against the test CA and `name`.
fn tls(ca: &str, addr: &str, port: u16, name: &str, starttls: bool) -> String {
    let st = if starttls { "-starttls smtp" } else { "" };
    let addr = if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    };
    format!(
        "(sleep 1; printf 'EHLO me\\r\\n'; sleep 0.5; printf 'QUIT\\r\\n') | \
         openssl s_client -connect {addr}:{port} {st} -servername {name} \
         -verify_hostname {name} -CAfile {ca} -verify_return_error -crlf -ign_eof 2>&1; true"
    )
}

/// `nc -z -w 2`: prints "open after S" or "failed after S", S the whole
/// seconds it took.
fn timed_connect(addr: &str, port: u16) -> String {
    format!(
        "s=$(date +%s%N); nc -z -w 2 {addr} {port} && r=open || r=failed; \
         echo $r after $(( ($(date +%s%N) - s) / 1000000000 ))"
    )
}

/// Adds a failure for each of `wants` missing from `got`.
fn expect(fails: &mut Vec<String>, what: &str, got: &str, wants: &[&str]) {
    for want in wants {
        if !got.contains(want) {
            fails.push(format!("{what}: no {want:?} in:\n{got}"));
        }
    }
}
