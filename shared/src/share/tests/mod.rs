//! Fixtures shared by the link and the redaction tests: a report that
//! exercises every field a link carries and every place a secret can hide.

use crate::advice::{self, Context};
use crate::family::Family;
use crate::options::CheckOptions;
use crate::outcome::{EhloOutcome, Outcome, Reply, SmtpExchange, TlsOutcome};
use crate::probe::{ProbeResult, ProbeSpec, Timings};
use crate::report::{Conclusion, Report};
use crate::target::{Role, Target};
use std::net::IpAddr;

mod link;
mod redact;

fn probe(host: &str, addr: &str, port: u16, role: Role, outcome: Outcome) -> ProbeResult {
    let address: IpAddr = addr.parse().unwrap();
    ProbeResult {
        spec: ProbeSpec {
            host: host.into(),
            role,
            port,
            family: Family::of(&address),
            expected: crate::probe::expected(host, role, port),
        },
        address: Some(address),
        outcome,
        timings: Timings {
            dns_ms: Some(3),
            connect_ms: Some(20),
            greeting_ms: Some(40),
            total_ms: 70,
        },
    }
}

fn banner(greeting: &str, ehlo_host: &str, tls_names: &[&str]) -> Outcome {
    Outcome::Banner(SmtpExchange {
        greeting: Reply {
            code: 220,
            lines: vec![greeting.into()],
        },
        ehlo: EhloOutcome::Accepted {
            reply: Reply {
                code: 250,
                lines: vec![
                    format!("{ehlo_host} Hello [198.51.100.23]"),
                    "STARTTLS".into(),
                    "SIZE 10240000".into(),
                ],
            },
            extensions: vec!["STARTTLS".into(), "SIZE 10240000".into()],
        },
        implicit_tls: false,
        tls: Some(TlsOutcome::Established {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            trusted: true,
            name_matches: true,
            names: tls_names.iter().map(|s| s.to_string()).collect(),
        }),
        reflector: None,
    })
}

/// What the agent learned about the network: the public address in
/// typed fields, in a reverse DNS name, in a prefix and a listing.
fn network() -> crate::netinfo::NetworkFacts {
    use crate::netinfo::*;
    NetworkFacts {
        public_ipv4: Fact::Found {
            value: "198.51.100.23".parse().unwrap(),
        },
        origin_v4: Fact::Found {
            value: AsnInfo {
                asn: 64500,
                other_asns: vec![],
                prefix: "198.51.100.0/24".into(),
                country: "US".into(),
                registry: "arin".into(),
                allocated: String::new(),
                as_name: Some("EXAMPLE-ISP - Example Cable".into()),
            },
        },
        blocklists: vec![BlocklistResult {
            list: "Spamhaus ZEN".into(),
            zone: "zen.spamhaus.org".into(),
            address: Some("198.51.100.23".parse().unwrap()),
            status: BlocklistStatus::Listed {
                listings: vec![Listing::PblIsp],
                reason: None,
            },
        }],
        reverse_dns_v4: Fact::Found {
            value: Ptr {
                name: "c-198-51-100-23.hsd1.other-isp.example".into(),
                forward: Forward::Confirmed,
                generic: Some(GenericSign::EmbeddedAddress),
            },
        },
        ..NetworkFacts::default()
    }
}

/// A report full of addresses and names in every kind of field.
fn sample() -> Report {
    let probes = vec![
        probe(
            "mx1.customer-mail.example",
            "203.0.113.25",
            25,
            Role::OwnHost,
            banner(
                "mx1.customer-mail.example ESMTP Postfix",
                "mx1.customer-mail.example",
                &["mx1.customer-mail.example", "*.customer-mail.example"],
            ),
        ),
        probe(
            "mx2.other-isp.example",
            "2001:db8:25::2",
            25,
            Role::RecipientMx,
            banner(
                "relay.isp-proxy.example ESMTP",
                "relay.isp-proxy.example",
                &[],
            ),
        ),
        probe(
            "gmail-smtp-in.l.google.com",
            "192.0.2.77",
            25,
            Role::RecipientMx,
            Outcome::Filtered,
        ),
        probe(
            "192.0.2.200",
            "192.0.2.200",
            587,
            Role::Custom,
            Outcome::Unreachable {
                detail: "No route to host (os error 113) from 198.51.100.23".into(),
            },
        ),
        probe(
            "smtp.myhost.example",
            "198.51.100.9",
            465,
            Role::Submission,
            Outcome::DnsFailed {
                reason: crate::outcome::DnsFailure::Forbidden {
                    address: "10.1.2.3".into(),
                },
            },
        ),
        // A second well-known MX that times out: port 25 is restricted,
        // not just one host down.
        probe(
            "mx01.mail.icloud.com",
            "192.0.2.78",
            25,
            Role::RecipientMx,
            Outcome::Filtered,
        ),
    ];
    let mut probes = probes;
    // This machine went through a NAT to the reflector.
    if let Outcome::Banner(x) = &mut probes[0].outcome {
        x.reflector = Some(Box::new(crate::reflector::ReflectorProof {
            status: crate::reflector::ProofStatus::Genuine,
            detail: "signed".into(),
            seen_address: Some("198.51.100.23".parse().unwrap()),
            seen_port: Some(25),
            listening: vec![25],
            local_address: Some("10.1.2.3".parse().unwrap()),
            public_address: Some("198.51.100.23".parse().unwrap()),
        }));
    }
    let conclusion = Conclusion::from_probes(&probes, &Context::default());
    Report {
        schema_version: crate::SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        started_at_ms: 1_790_000_000_000,
        duration_ms: 4012,
        options: CheckOptions {
            domain: Some("customer-mail.example".into()),
            targets: vec![
                Target::new("smtp.myhost.example", Role::Submission),
                Target::new("192.0.2.200", Role::Custom),
            ],
            ..CheckOptions::default()
        },
        probes,
        verdicts: conclusion.verdicts,
        headline: format!("{} (seen from 198.51.100.23)", conclusion.headline),
        advice: conclusion.advice,
        network: Some(network()),
        inbound: None,
        controls: Vec::new(),
    }
}

const SECRETS: &[&str] = &[
    "203.0.113.25",
    "2001:db8:25::2",
    "192.0.2.77",
    "192.0.2.200",
    "198.51.100.9",
    "198.51.100.23",
    "198-51-100-23",
    "198.51.100.0",
    "10.1.2.3",
    "customer-mail.example",
    "other-isp.example",
    "isp-proxy.example",
    "myhost.example",
];
