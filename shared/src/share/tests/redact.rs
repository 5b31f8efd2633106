//! Redaction: every address and name hidden, what the advice needs kept,
//! and a refusal rather than a broken report.

use super::*;
use crate::share::redact::{public_names, rebuild, Redactor};
use crate::share::*;

/// Hiding addresses (the default) hides the public address's reverse
/// DNS name everywhere, advice text included: it embeds the digits.
#[test]
fn hiding_addresses_hides_the_reverse_dns_name_in_every_text() {
    let mut r = sample();
    let name = "c-198-51-100-23.hsd1.other-isp.example";
    // As the reverse-DNS advice quotes it.
    r.advice[0].title = format!("the reverse DNS name {name} of 198.51.100.23 looks generic");
    let red = redact(
        &r,
        RedactOptions {
            ip: true,
            hosts: false,
        },
    )
    .unwrap();
    let json = serde_json::to_string(&red).unwrap();
    assert!(!json.contains("198-51-100-23"), "{json}");
    assert!(serde_json::to_string(&red.advice)
        .unwrap()
        .contains(crate::netinfo::HIDDEN));
    // Other names stay when only addresses are hidden.
    assert!(json.contains("customer-mail.example"));
}

#[test]
fn redaction_removes_every_address_and_name() {
    let r = sample();
    let plain = serde_json::to_string(&r).unwrap();
    for s in SECRETS {
        assert!(plain.contains(s), "sample should contain {s}");
    }
    let red = redact(
        &r,
        RedactOptions {
            ip: true,
            hosts: true,
        },
    )
    .unwrap();
    let json = serde_json::to_string(&red).unwrap();
    for s in SECRETS {
        assert!(!json.contains(s), "{s} survived redaction: {json}");
    }
    // Public default targets stay: they are the same for everyone.
    assert!(json.contains("gmail-smtp-in.l.google.com"));
    // Stable placeholders: the same host is the same placeholder everywhere.
    assert_eq!(red.probes[0].spec.host, "host-1");
    assert!(red.options.targets[0].host.starts_with("host-"));
    assert_eq!(red.options.targets[0].host, red.probes[4].spec.host);
    assert!(red.probes.iter().all(|p| p.address.is_none()));
    assert!(json.contains("[ip-"));
    // The words survive; only the names changed.
    assert!(json.contains("ESMTP Postfix"));
    assert!(json.contains("TLSv1.3"));
    assert!(json.contains("SIZE 10240000"));
    assert_eq!(red.tool_version, "0.1.0");
    // What the network facts mean survives; the address does not.
    let net = red.network.as_ref().unwrap();
    assert_eq!(net.public_ipv4, crate::netinfo::Fact::Redacted);
    assert!(json.contains("EXAMPLE-ISP"));
    assert!(json.contains("pbl_isp"), "{json}");
    assert!(crate::netinfo::address_line(net)
        .unwrap()
        .contains("IPv4 hidden"));
    // The reflector's view of this machine's address goes too.
    assert!(red
        .probes
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Banner(x) => x.reflector.as_deref(),
            _ => None,
        })
        .all(|proof| proof.seen_address.is_none()
            && proof.local_address.is_none()
            && proof.public_address.is_none()));
    // A redacted report still shares.
    assert_eq!(decode(&encode(&red)), Ok(red));
}

#[test]
fn redaction_is_selective() {
    let r = sample();
    let ips_only = serde_json::to_string(
        &redact(
            &r,
            RedactOptions {
                ip: true,
                hosts: false,
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!ips_only.contains("203.0.113.25"));
    assert!(!ips_only.contains("2001:db8:25::2"));
    assert!(ips_only.contains("mx1.customer-mail.example"));
    let hosts_only = redact(
        &r,
        RedactOptions {
            ip: false,
            hosts: true,
        },
    )
    .unwrap();
    let j = serde_json::to_string(&hosts_only).unwrap();
    assert!(j.contains("203.0.113.25"));
    assert!(!j.contains("customer-mail.example"));
    assert_eq!(redact(&r, RedactOptions::default()), Ok(r));
}

#[test]
fn tokens_that_are_not_names_stay() {
    let mut red = Redactor::new(RedactOptions {
        ip: true,
        hosts: true,
    });
    for keep in [
        "TLSv1.3",
        "version 0.1.0",
        "e.g. Postfix.",
        "12:30:45",
        "os error 113",
        "(RFC 6409).",
    ] {
        assert_eq!(red.text(keep), keep);
    }
    assert_eq!(
        red.text("[2001:db8::1]:25 and mx.example.org:587."),
        "[[ip-1]]:25 and host-1:587."
    );
    assert_eq!(red.text("Mx.Example.org"), "host-1");
    assert_eq!(red.text("::ffff:192.0.2.1"), "[ip-2]");
    assert_eq!(red.text("*.example.org, ::1."), "*.host-2, [ip-3].");
}

/// mailport's own advice names a public resolver (`--dns 1.1.1.1`): the
/// same for every user, so it is not hidden (a link showed `--dns
/// [ip-1]`), while the user's addresses beside it are.
#[test]
fn addresses_in_mailport_s_own_words_stay() {
    let mut red = Redactor::new(RedactOptions {
        ip: true,
        hosts: true,
    });
    assert_eq!(
        red.text(crate::text::DNS_FIX),
        crate::text::DNS_FIX,
        "the advice's resolver stays"
    );
    assert_eq!(
        red.text("ask 1.1.1.1 from 203.0.113.9."),
        "ask 1.1.1.1 from [ip-1]."
    );
}

#[test]
fn advice_texts_are_redacted_too() {
    // Restricted advice names the reached host in its title.
    let r = sample();
    let named = |a: &advice::Advice| a.title.contains(".example") || a.why.contains(".example");
    assert!(
        r.advice.iter().any(named),
        "the sample should name hosts in advice"
    );
    let red = redact(
        &r,
        RedactOptions {
            ip: true,
            hosts: true,
        },
    )
    .unwrap();
    assert!(!red.advice.iter().any(named));
    let public = public_names();
    assert!(red.verdicts.iter().all(|v| v
        .reached
        .iter()
        .all(|h| h.starts_with("host-") || public.contains(h))));
}

/// A report without network facts (`--no-netinfo`), whose texts and
/// typed fields hold this machine's address in every shape servers and
/// DNS write it.
fn report_quoting_addresses(text: &str) -> Report {
    let mut r = sample();
    r.network = None;
    r.probes[0].address = Some("203.0.113.9".parse().unwrap());
    r.probes[1].address = Some("2001:db8::5".parse().unwrap());
    if let Outcome::Banner(x) = &mut r.probes[0].outcome {
        x.greeting.lines = vec![text.to_string()];
    }
    r
}

#[test]
fn hiding_addresses_hides_every_name_that_spells_one_out() {
    let ip_only = RedactOptions {
        ip: true,
        hosts: false,
    };
    // (what a server or DNS wrote, what must not survive)
    let table: &[(&str, &[&str])] = &[
        (
            "mx.example Hello c-203-0-113-9.home.example [203.0.113.9]",
            &["203.0", "203-0-113-9"],
        ),
        ("PTR 9.113.0.203.in-addr.arpa.", &["0.203", "9.113"]),
        ("greets ip-203-0-113-9.ec2.internal", &["203-0-113"]),
        ("greets ip-203-000-113-009.example", &["203-000"]),
        ("greets host-cb007109.dyn.example", &["cb007109"]),
        ("Hello [IPv6:2001:db8::5]", &["2001", "db8"]),
        (
            "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
            &["8.b.d.0.1.0.0.2"],
        ),
        ("greets 2001-db8--5.v6.example", &["2001-db8"]),
        ("greets 2001-db8-0-0-0-0-0-5.v6.example", &["2001-db8"]),
        (
            "greets 20010db8000000000000000000000005.example",
            &["20010db8"],
        ),
    ];
    for (text, gone) in table {
        let red = redact(&report_quoting_addresses(text), ip_only).unwrap();
        let json = serde_json::to_string(&red).unwrap();
        for g in *gone {
            assert!(!json.contains(g), "{g} survived in {text:?}: {json}");
        }
        let Outcome::Banner(x) = &red.probes[0].outcome else {
            panic!("a banner");
        };
        let line = &x.greeting.lines[0];
        assert!(
            line.contains(crate::netinfo::HIDDEN) || line.contains("[ip-"),
            "{text:?} → {line:?}"
        );
    }
    // Names that spell no address stay when only addresses are hidden.
    let red = redact(
        &report_quoting_addresses("mx.example Hello relay.example [203.0.113.9]"),
        ip_only,
    )
    .unwrap();
    let Outcome::Banner(x) = &red.probes[0].outcome else {
        panic!("a banner");
    };
    let line = &x.greeting.lines[0];
    assert!(
        line.starts_with("mx.example Hello relay.example [[ip-") && line.ends_with("]]"),
        "{line}"
    );
}

#[test]
fn hiding_names_keeps_what_the_advice_needs() {
    let hosts_only = RedactOptions {
        ip: false,
        hosts: true,
    };
    let mut red = Redactor::new(hosts_only);
    for keep in [
        "Send through Comcast Xfinity's server smtp.comcast.net on port 587 or 465",
        "comcast.net servers no longer accept submission on 25",
        "outbound.att.net also serves sbcglobal.net mailboxes",
        "email-smtp.<region>.amazonaws.com",
        "gmail-smtp-in.l.google.com",
    ] {
        assert_eq!(red.text(keep), keep);
    }
    // Names of this user's line and servers go, even under a public
    // provider's domain, and internationalised ones too.
    for (text, want) in [
        ("c-198-51-100-73.hsd1.ca.comcast.net", "host-1"),
        ("mx.example.xn--p1ai", "host-2"),
        ("почта.пример.рф", "host-3"),
        ("mail.customer.example", "host-4"),
    ] {
        assert_eq!(red.text(text), want);
    }
    // Through the whole report: the relay advice of a known provider
    // keeps its relay when names are hidden.
    let mut r = sample();
    r.advice[0].title = "Send through Comcast Xfinity's server smtp.comcast.net on port 587 with your Comcast Xfinity account login".into();
    let red = redact(&r, hosts_only).unwrap();
    assert_eq!(red.advice[0].title, r.advice[0].title);
}

/// Redaction either hides what was asked in a report that keeps all of
/// its content, or says it could not: it never falls back to sharing an
/// emptied report. Every typed address field is filled here.
#[test]
fn redaction_keeps_the_report_or_refuses() {
    let mut r = sample();
    for (i, p) in r.probes.iter_mut().enumerate() {
        p.address = Some(IpAddr::from([192, 0, 2, i as u8 + 1]));
    }
    if let Some(n) = &mut r.network {
        n.public_ipv6 = crate::netinfo::Fact::Found {
            value: "2001:db8:77::1".parse().unwrap(),
        };
    }
    for opts in [(true, false), (false, true), (true, true)] {
        let opts = RedactOptions {
            ip: opts.0,
            hosts: opts.1,
        };
        let red = redact(&r, opts).unwrap_or_else(|e| panic!("{opts:?}: {e}"));
        assert_eq!(red.probes.len(), r.probes.len(), "{opts:?}");
        assert_eq!(red.verdicts.len(), r.verdicts.len(), "{opts:?}");
        assert_eq!(red.advice.len(), r.advice.len(), "{opts:?}");
        assert_eq!(red.options.targets.len(), r.options.targets.len());
        assert!(red.headline.starts_with(&r.headline[..10]), "{opts:?}");
        assert_eq!(red.network.is_some(), r.network.is_some());
    }
    // Were a typed field ever to receive a placeholder, the answer is an
    // error that says no link is offered: not an empty report.
    let mut value = serde_json::to_value(&r).unwrap();
    value["probes"][0]["address"] = serde_json::json!("[ip-1]");
    let e = rebuild(value).unwrap_err();
    assert!(e.to_string().contains("offers no link"), "{e}");
}
