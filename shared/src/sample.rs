//! A realistic report: the default check from a home connection whose
//! provider drops outgoing port 25 and that has no IPv6 route.
//!
//! Why it exists: the page links to it on a first visit ("see what a result
//! looks like") without any agent running, and the share-link tests measure
//! the link length of a report that looks like what people really share
//! (every default target, both families, greetings with EHLO and TLS, network
//! facts with a PBL listing). Built from the real plan and the real
//! classification, so it can never show a verdict mailport would not reach.

use crate::family::Family;
use crate::netinfo::{
    AddressSources, AsnInfo, BlocklistResult, BlocklistStatus, Fact, Forward, GenericSign, Listing,
    NetworkFacts, Ptr,
};
use crate::options::CheckOptions;
use crate::outcome::{EhloOutcome, Outcome, Reply, SmtpExchange, TlsOutcome};
use crate::probe::{plan, ProbeResult, ProbeSpec, Timings};
use crate::report::{Conclusion, Report};
use crate::target::{default_targets, Role};
use std::net::{IpAddr, Ipv4Addr};

/// The public address of the sample network (documentation range).
const PUBLIC_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 23);

/// The sample report. Deterministic: the same bytes every time.
pub fn sample_report() -> Report {
    let options = CheckOptions::default();
    let specs = plan(&default_targets(), &options.ports, &options.families.list());
    let probes: Vec<ProbeResult> = specs.into_iter().enumerate().map(probe).collect();
    let network = network();
    let ctx = crate::advice::Context::from_network(Some(network.clone()));
    let c = Conclusion::from_probes(&probes, &ctx);
    Report {
        schema_version: crate::SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        started_at_ms: 1_790_000_000_000,
        duration_ms: 4_180,
        options,
        probes,
        verdicts: c.verdicts,
        headline: c.headline,
        advice: c.advice,
        network: Some(network),
        controls: Vec::new(),
        inbound: None,
    }
}

/// What the sample network does to one planned probe: IPv6 has no route,
/// port 25 is dropped, the rest reaches the real servers.
fn probe((i, spec): (usize, ProbeSpec)) -> ProbeResult {
    // Addresses from the documentation ranges, one per host and family.
    let n = u8::try_from(i % 200).unwrap_or(0);
    let (address, outcome, timings) = match spec.family {
        Family::Ipv6 => (
            None,
            Outcome::NoRoute {
                detail: "Network is unreachable (os error 101)".into(),
            },
            Timings {
                dns_ms: Some(12),
                connect_ms: None,
                greeting_ms: None,
                total_ms: 12,
            },
        ),
        Family::Ipv4 => {
            let address = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10 + n)));
            if spec.port == 25 || spec.port == 26 {
                (address, Outcome::Filtered, timed(4_000, None))
            } else if spec.role == Role::PortEcho {
                (
                    address,
                    Outcome::PortTester {
                        reply: crate::outcome::TesterReply::Http {
                            status_line: "HTTP/1.1 200 OK".into(),
                        },
                    },
                    timed(31, Some(35)),
                )
            } else {
                (address, banner(&spec.host, spec.port), timed(24, Some(180)))
            }
        }
    };
    ProbeResult {
        spec,
        address,
        outcome,
        timings,
    }
}

fn timed(connect: u32, greeting: Option<u32>) -> Timings {
    Timings {
        dns_ms: Some(9),
        connect_ms: Some(connect),
        greeting_ms: greeting,
        total_ms: 9 + connect + greeting.unwrap_or(0),
    }
}

/// A submission server's greeting, EHLO and TLS as they really look.
fn banner(host: &str, port: u16) -> Outcome {
    let implicit_tls = port == 465;
    let mut extensions: Vec<String> = ["SIZE 35882577", "8BITMIME", "AUTH LOGIN PLAIN XOAUTH2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !implicit_tls {
        extensions.insert(1, "STARTTLS".into());
    }
    extensions
        .extend(["ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"].map(String::from));
    let mut lines = vec![format!("{host} at your service, [{PUBLIC_V4}]")];
    lines.extend(extensions.iter().cloned());
    Outcome::Banner(SmtpExchange {
        greeting: Reply {
            code: 220,
            lines: vec![format!(
                "{host} ESMTP 4fb4d7f45d1cf-5d3c0ad1a43sm1234567a12.42 - gsmtp"
            )],
        },
        ehlo: EhloOutcome::Accepted {
            reply: Reply { code: 250, lines },
            extensions,
        },
        implicit_tls,
        tls: Some(TlsOutcome::Established {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            trusted: true,
            name_matches: true,
            names: vec![host.to_string()],
        }),
        reflector: None,
    })
}

/// A cable customer's network: generic reverse DNS, on Spamhaus PBL.
fn network() -> NetworkFacts {
    NetworkFacts {
        public_ipv4: Fact::Found { value: PUBLIC_V4 },
        public_ipv6: Fact::NotFound,
        origin_v4: Fact::Found {
            value: AsnInfo {
                asn: 64_500,
                other_asns: vec![],
                prefix: "198.51.100.0/24".into(),
                country: "US".into(),
                registry: "arin".into(),
                allocated: "2010-03-01".into(),
                as_name: Some("EXAMPLE-CABLE - Example Cable Communications".into()),
            },
        },
        origin_v6: Fact::Skipped {
            reason: "no public IPv6 address".into(),
        },
        blocklists: vec![BlocklistResult {
            list: "Spamhaus ZEN".into(),
            zone: "zen.spamhaus.org".into(),
            address: Some(IpAddr::V4(PUBLIC_V4)),
            status: BlocklistStatus::Listed {
                listings: vec![Listing::PblIsp],
                reason: None,
            },
        }],
        reverse_dns_v4: Fact::Found {
            value: Ptr {
                name: "c-198-51-100-23.hsd1.ca.cable.example".into(),
                forward: Forward::Confirmed,
                generic: Some(GenericSign::EmbeddedAddress),
            },
        },
        reverse_dns_v6: Fact::Skipped {
            reason: "no public IPv6 address".into(),
        },
        address_sources: AddressSources { ipv4: 2, ipv6: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Verdict;
    use crate::report::Port25;

    #[test]
    fn the_sample_reads_like_a_blocked_home_connection() {
        let r = sample_report();
        assert_eq!(r.port25(), Port25::Blocked);
        assert!(r.probes.len() >= 20, "{}", r.probes.len());
        assert!(r
            .verdicts
            .iter()
            .any(|v| v.port == 587 && v.family == Family::Ipv4 && v.verdict == Verdict::Open));
        assert!(!r.advice.is_empty());
        assert_eq!(sample_report(), r, "deterministic");
    }
}
