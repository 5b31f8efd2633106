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
/// the real hosts' behaviour described above.
pub fn verify(net: &Net) -> Vec<String> {
    use crate::topo::CLIENT;
    let ca = net.ca_file().display().to_string();
    let sh = |script: &str| -> String {
        ns_run(CLIENT, &["sh", "-c", script]).unwrap_or_else(|e| format!("(failed: {e:#})"))
    };
    let mut fails = Vec::new();
    let smtp = |addr: &str, port: u16| {
        sh(&format!(
            "(sleep 0.3; printf 'EHLO me\\r\\n'; sleep 0.3; printf 'QUIT\\r\\n') | nc -w 3 {addr} {port}"
        ))
    };
    for addr in [GMAIL_MX.host.v4, GMAIL_MX.host.v6] {
        expect(
            &mut fails,
            "gmail MX on 25",
            &smtp(addr, 25),
            &[
                "220 mx.google.com ESMTP ",
                " - gsmtp\r\n",
                "250-mx.google.com at your service, [",
                "250-STARTTLS\r\n",
                "250-ENHANCEDSTATUSCODES\r\n",
                "250-PIPELINING\r\n",
                "250-CHUNKING\r\n",
                "250 SMTPUTF8\r\n",
            ],
        );
    }
    expect(
        &mut fails,
        "gmail MX sees the client's address",
        &smtp(GMAIL_MX.host.v4, 25),
        &["at your service, [192.0.2.10]"],
    );
    let tls = |addr: &str, port: u16, name: &str, starttls: bool| {
        let st = if starttls { "-starttls smtp" } else { "" };
        let addr = if addr.contains(':') {
            format!("[{addr}]")
        } else {
            addr.to_string()
        };
        sh(&format!(
            "(sleep 1; printf 'EHLO me\\r\\n'; sleep 0.5; printf 'QUIT\\r\\n') | \
             openssl s_client -connect {addr}:{port} {st} -servername {name} \
             -verify_hostname {name} -CAfile {ca} -verify_return_error -crlf -ign_eof 2>&1; true"
        ))
    };
    let (gs, sg) = (GMAIL_SUBMISSION.host.v4, SENDGRID.host.v4);
    expect(
        &mut fails,
        "smtp.gmail.com 587: no AUTH before STARTTLS",
        &smtp(gs, 587),
        &["220 smtp.gmail.com ESMTP", "250-STARTTLS"],
    );
    if smtp(gs, 587).contains("AUTH") {
        fails.push("smtp.gmail.com offers AUTH before STARTTLS".into());
    }
    for (port, starttls) in [(587, true), (465, false), (25, true)] {
        expect(
            &mut fails,
            &format!("smtp.gmail.com {port} in TLS"),
            &tls(gs, port, "smtp.gmail.com", starttls),
            &["Verify return code: 0 (ok)", "250-AUTH LOGIN PLAIN XOAUTH2"],
        );
    }
    for (port, starttls) in [(25, true), (587, true), (2525, true), (465, false)] {
        expect(
            &mut fails,
            &format!("smtp.sendgrid.net {port}"),
            &tls(sg, port, "smtp.sendgrid.net", starttls),
            &[
                "Verify return code: 0 (ok)",
                "250-smtp.sendgrid.net",
                "AUTH PLAIN LOGIN",
            ],
        );
    }
    expect(
        &mut fails,
        "iCloud MX on 25",
        &tls(ICLOUD_MX.host.v6, 25, "mx01.mail.icloud.com", true),
        &["Verify return code: 0 (ok)", "250-mx01.mail.icloud.com\r\n"],
    );
    expect(
        &mut fails,
        "iCloud MX greeting",
        &smtp(ICLOUD_MX.host.v6, 25),
        &["220 mx01.mail.icloud.com ESMTP", "250-STARTTLS\r\n"],
    );
    // Ports a host does not serve time out; 443 answers (accept or RST).
    let z = |addr: &str, port: u16| {
        sh(&format!(
            "s=$(date +%s%N); nc -z -w 2 {addr} {port} && r=open || r=failed; \
             echo $r $(( ($(date +%s%N) - s) / 1000000 ))"
        ))
    };
    let took = |out: &str| -> u64 {
        out.split_whitespace()
            .nth(1)
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0)
    };
    for (addr, port) in [
        (GMAIL_MX.host.v4, 587),
        (ICLOUD_MX.host.v6, 465),
        (gs, 2525),
    ] {
        let out = z(addr, port);
        if !out.starts_with("failed") || took(&out) < 1500 {
            fails.push(format!("{addr} port {port} should time out: {out}"));
        }
    }
    for s in [&GMAIL_MX, &GMAIL_SUBMISSION, &SENDGRID] {
        let out = z(s.host.v4, 443);
        if !out.starts_with("open") {
            fails.push(format!("{} should accept on 443: {out}", s.host.names[0]));
        }
    }
    let out = z(ICLOUD_MX.host.v4, 443);
    if !out.starts_with("failed") || took(&out) > 1000 {
        fails.push(format!("iCloud MX should refuse 443 at once: {out}"));
    }
    // portquiz: silent until asked, HTTP on every port, 400 to anything else.
    let pq = PORTQUIZ.host.v4;
    for port in [25u16, 26, 465, 587, 2525, 443, 8080] {
        expect(
            &mut fails,
            &format!("portquiz {port}"),
            &sh(&format!("curl -s -m 3 http://{pq}:{port}/")),
            &["Port test successful!", "Your IP: 192.0.2.10"],
        );
    }
    expect(
        &mut fails,
        "portquiz over IPv6",
        &sh(&format!("curl -s -m 3 'http://[{}]:26/'", PORTQUIZ.host.v6)),
        &["Your IP: 2001:db8:c::10"],
    );
    let silent = sh(&format!(
        "nc -w 2 {pq} 25 </dev/null | head -c 100; echo end"
    ));
    if silent.trim() != "end" {
        fails.push(format!("portquiz spoke first: {silent}"));
    }
    expect(
        &mut fails,
        "portquiz to an SMTP client",
        &sh(&format!(
            "(sleep 0.3; printf 'EHLO me\\r\\n') | nc -w 2 {pq} 25"
        )),
        &["HTTP/1.1 400 Bad Request"],
    );
    expect(
        &mut fails,
        "portquiz to a TLS ClientHello",
        &sh(&format!(
            "(printf '\\026\\003\\001\\002\\000\\001'; sleep 1) | nc -w 2 {pq} 465"
        )),
        &["HTTP/1.1 400"],
    );
    fails
}

/// Adds a failure for each of `wants` missing from `got`.
fn expect(fails: &mut Vec<String>, what: &str, got: &str, wants: &[&str]) {
    for want in wants {
        if !got.contains(want) {
            fails.push(format!("{what}: no {want:?} in:\n{got}"));
        }
    }
}
