//! Share links: a whole [`Report`] in the fragment of a URL, so a result can
//! be shown to an ISP, a hosting support desk or a forum without any server
//! storing it.
//!
//! Format: `<base>#r=1.<base64url(deflate(json(Report)))>`. The `1.` is the
//! version of this link format; the report inside carries its own
//! [`crate::SCHEMA_VERSION`]. The fragment never reaches a web server, so the
//! public page can render the report without seeing it.
//!
//! Decoding is defensive: a link is input from anyone. The encoded text and
//! the inflated JSON are both capped, and every failure is a [`ShareError`]
//! whose message is shown to the user as is (never a blank page).
//!
//! [`redact`] removes addresses and host names before sharing.

use crate::report::Report;
use crate::target::DEFAULT_TARGETS;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use thiserror::Error;

/// The version of the link format written by [`encode`].
pub const LINK_VERSION: u32 = 1;

/// The fragment parameter that carries a report.
pub const PARAM: &str = "r";

/// Longest encoded report accepted: far above any real report (a full
/// default check is a few KiB), far below what hurts a browser.
pub const MAX_ENCODED_LEN: usize = 48 * 1024;

/// Largest inflated JSON accepted: a deflate bomb stops here.
pub const MAX_INFLATED_LEN: usize = 1024 * 1024;

/// Why a share link cannot be shown. The `Display` text is for the user.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShareError {
    /// No `r=` parameter or nothing after it.
    #[error("this link does not contain a mailport result")]
    Missing,
    /// The link was cut short (copied partly, or shortened by a mail client).
    #[error("this link is incomplete: it was probably cut off when it was copied. Ask for the whole link")]
    Truncated,
    /// The data is damaged.
    #[error("this link is damaged ({0}): ask for it to be copied again")]
    Corrupted(&'static str),
    /// Larger than any real report.
    #[error("this link is too large to be a mailport result ({what}: {len} bytes, {max} at most)")]
    Oversized {
        /// Which part was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Written by a newer mailport.
    #[error("this result was made by a newer version of mailport (format {found}, this page reads up to {supported}): open the link on the current mailport page")]
    FutureVersion {
        /// The version in the link.
        found: u32,
        /// The newest this code reads.
        supported: u32,
    },
}

/// Encodes a report as `1.<data>`, the value of the `r` fragment parameter.
pub fn encode(report: &Report) -> String {
    // Serialising plain data to a Vec cannot fail (no maps with non-string
    // keys, no I/O); an empty payload would decode as Corrupted, not lie.
    let json = serde_json::to_vec(report).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// A full share link: `base` (its own fragment dropped) + `#r=1.<data>`.
pub fn link(base: &str, report: &Report) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{PARAM}={}", encode(report))
}

/// Finds the `r` parameter in a URL fragment (with or without the leading
/// `#`, parameters separated by `&`) and decodes it.
///
/// `None` when the fragment has no `r` parameter at all: the page is not
/// showing a shared result.
pub fn from_fragment(fragment: &str) -> Option<Result<Report, ShareError>> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("r="))
        .map(decode)
}

/// Decodes the value of the `r` parameter (`1.<data>`).
pub fn decode(value: &str) -> Result<Report, ShareError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ShareError::Missing);
    }
    if value.len() > MAX_ENCODED_LEN {
        return Err(ShareError::Oversized {
            what: "link",
            len: value.len(),
            max: MAX_ENCODED_LEN,
        });
    }
    let (version, data) = value
        .split_once('.')
        .ok_or(ShareError::Corrupted("no format version"))?;
    let version: u32 = version
        .parse()
        .map_err(|_| ShareError::Corrupted("bad format version"))?;
    if version > LINK_VERSION {
        return Err(ShareError::FutureVersion {
            found: version,
            supported: LINK_VERSION,
        });
    }
    if version == 0 {
        return Err(ShareError::Corrupted("bad format version"));
    }
    if data.is_empty() {
        return Err(ShareError::Truncated);
    }
    let packed = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|e| match e {
            // A length that no base64 text can have: the end is missing.
            base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(..) => {
                ShareError::Truncated
            }
            _ => ShareError::Corrupted("not base64url"),
        })?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_INFLATED_LEN)
        .map_err(|e| match e.status {
            TINFLStatus::HasMoreOutput => ShareError::Oversized {
                what: "inflated result",
                len: MAX_INFLATED_LEN + 1,
                max: MAX_INFLATED_LEN,
            },
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                ShareError::Truncated
            }
            _ => ShareError::Corrupted("bad compressed data"),
        })?;
    let value: serde_json::Value = serde_json::from_slice(&json).map_err(|e| {
        if e.is_eof() {
            ShareError::Truncated
        } else {
            ShareError::Corrupted("not JSON")
        }
    })?;
    let schema = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or(ShareError::Corrupted("not a mailport result"))?;
    if schema > u64::from(crate::SCHEMA_VERSION) {
        return Err(ShareError::FutureVersion {
            found: u32::try_from(schema).unwrap_or(u32::MAX),
            supported: crate::SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|_| ShareError::Corrupted("not a mailport result"))
}

/// What to hide before sharing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedactOptions {
    /// Replace every IP address with `[ip-N]` (and drop probe addresses).
    pub ip: bool,
    /// Replace every host name with `host-N`, except the well-known public
    /// default targets, which are the same for every user and reveal nothing.
    pub hosts: bool,
}

/// Returns a copy of `report` with IP addresses and/or host names replaced
/// in every string it holds: options, probe hosts, greetings, EHLO lines, TLS
/// names, verdict and advice texts, evidence.
///
/// Placeholders are stable within one report (the same host is `host-2`
/// everywhere), so the report still reads consistently: "host-1 greets as
/// host-3" keeps its meaning.
pub fn redact(report: &Report, opts: RedactOptions) -> Report {
    if !opts.ip && !opts.hosts {
        return report.clone();
    }
    let mut report = report.clone();
    // The public address's reverse DNS names: they usually embed the
    // address's digits, and the advice and evidence texts quote them.
    let mut hidden_names: Vec<String> = Vec::new();
    if opts.ip {
        if let Some(network) = &report.network {
            hidden_names.extend(
                [&network.reverse_dns_v4, &network.reverse_dns_v6]
                    .into_iter()
                    .filter_map(|f| f.found())
                    .map(|p| p.name.trim_end_matches('.').to_ascii_lowercase())
                    .filter(|n| !n.is_empty()),
            );
        }
    }
    if opts.ip {
        // A typed field that cannot hold a placeholder: the address goes.
        for p in &mut report.probes {
            p.address = None;
            if let Some(proof) = p.outcome.reflector_proof_mut() {
                proof.seen_address = None;
                proof.local_address = None;
                proof.public_address = None;
            }
        }
        if let Some(network) = &mut report.network {
            network.redact_addresses();
        }
    }
    let mut redactor = Redactor {
        opts,
        ips: HashMap::new(),
        hosts: HashMap::new(),
        hidden_names,
    };
    let Ok(mut value) = serde_json::to_value(&report) else {
        return report;
    };
    redactor.walk(&mut value);
    // Every string field of Report is a free String, so replacing text keeps
    // the structure valid; if that ever stops being true, sharing nothing is
    // better than sharing unredacted data.
    serde_json::from_value(value).unwrap_or_else(|_| empty_like(&report))
}

fn empty_like(report: &Report) -> Report {
    Report {
        schema_version: report.schema_version,
        tool_version: report.tool_version.clone(),
        started_at_ms: report.started_at_ms,
        duration_ms: report.duration_ms,
        options: crate::CheckOptions::default(),
        probes: Vec::new(),
        verdicts: Vec::new(),
        headline: "(redacted)".into(),
        advice: Vec::new(),
        network: None,
    }
}

struct Redactor {
    opts: RedactOptions,
    ips: HashMap<IpAddr, usize>,
    hosts: HashMap<String, usize>,
    /// Names replaced by [`crate::netinfo::HIDDEN`] wherever they appear.
    hidden_names: Vec<String>,
}

impl Redactor {
    fn walk(&mut self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => *s = self.text(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.walk(x)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| self.walk(x)),
            _ => {}
        }
    }

    /// Rewrites one string: splits it into runs of characters that can
    /// form addresses and names, and replaces the runs that are ones.
    fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut token = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':') {
                token.push(c);
            } else {
                self.flush(&mut token, &mut out);
                out.push(c);
            }
        }
        self.flush(&mut token, &mut out);
        out
    }

    fn flush(&mut self, token: &mut String, out: &mut String) {
        if !token.is_empty() {
            out.push_str(&self.token(token));
            token.clear();
        }
    }

    fn token(&mut self, token: &str) -> String {
        // An IPv6 address is the whole run (it contains the colons).
        let (head, core, tail) = split_punct(token);
        if core.contains(':') {
            if let Ok(ip) = core.parse::<Ipv6Addr>() {
                return format!("{head}{}{tail}", self.ip(IpAddr::V6(ip), core));
            }
            // `host:port`, `a:b`: judge each part alone.
            return token
                .split(':')
                .map(|part| self.token(part))
                .collect::<Vec<_>>()
                .join(":");
        }
        if let Ok(ip) = core.parse::<Ipv4Addr>() {
            return format!("{head}{}{tail}", self.ip(IpAddr::V4(ip), core));
        }
        if self
            .hidden_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(core))
        {
            return format!("{head}{}{tail}", crate::netinfo::HIDDEN);
        }
        if self.opts.hosts && looks_like_host(core) && !is_public_default(core) {
            let n = self.hosts.len() + 1;
            let n = *self.hosts.entry(core.to_ascii_lowercase()).or_insert(n);
            return format!("{head}host-{n}{tail}");
        }
        token.to_string()
    }

    fn ip(&mut self, ip: IpAddr, original: &str) -> String {
        if !self.opts.ip {
            return original.to_string();
        }
        let n = self.ips.len() + 1;
        let n = *self.ips.entry(ip).or_insert(n);
        format!("[ip-{n}]")
    }
}

/// Splits punctuation off both ends of a run: `mx.example.org.` is the name
/// `mx.example.org` at the end of a sentence, `*.example.org` a wildcard
/// whose run starts with a dot. Leading colons stay: `::1` is an address.
fn split_punct(token: &str) -> (&str, &str, &str) {
    let start = token.len() - token.trim_start_matches(['.', '-']).len();
    let (head, rest) = token.split_at(start);
    let core = rest.trim_end_matches(['.', '-', ':']);
    (head, core, &rest[core.len()..])
}

/// A DNS name with at least two labels whose last label is alphabetic (a
/// TLD): `mx.example.org`, not `TLSv1.3`, `0.1.0` or `e.g`.
fn looks_like_host(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 || s.len() > 253 {
        return false;
    }
    let tld = labels.last().copied().unwrap_or_default();
    tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_public_default(host: &str) -> bool {
    DEFAULT_TARGETS
        .iter()
        .any(|d| d.host.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advice::{self, Context};
    use crate::family::Family;
    use crate::options::CheckOptions;
    use crate::outcome::{EhloOutcome, Outcome, Reply, SmtpExchange, TlsOutcome};
    use crate::probe::{ProbeResult, ProbeSpec, Timings};
    use crate::report::Conclusion;
    use crate::target::{Role, Target};

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

    #[test]
    fn round_trip() {
        let r = sample();
        let enc = encode(&r);
        assert!(enc.starts_with("1."));
        assert!(
            enc.len() < 4096,
            "a typical report fits a link: {}",
            enc.len()
        );
        assert!(enc[2..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(decode(&enc), Ok(r.clone()));
        let l = link("https://mailport.github.io/#old", &r);
        assert!(l.starts_with("https://mailport.github.io/#r=1."));
        let frag = l.split_once('#').unwrap().1;
        assert_eq!(from_fragment(frag), Some(Ok(r.clone())));
        assert_eq!(from_fragment(&format!("#agent=7600&{frag}")), Some(Ok(r)));
        assert_eq!(from_fragment("#token=abc"), None);
    }

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
        );
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
        );
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
        let ips_only = serde_json::to_string(&redact(
            &r,
            RedactOptions {
                ip: true,
                hosts: false,
            },
        ))
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
        );
        let j = serde_json::to_string(&hosts_only).unwrap();
        assert!(j.contains("203.0.113.25"));
        assert!(!j.contains("customer-mail.example"));
        assert_eq!(redact(&r, RedactOptions::default()), r);
    }

    #[test]
    fn tokens_that_are_not_names_stay() {
        let mut red = Redactor {
            opts: RedactOptions {
                ip: true,
                hosts: true,
            },
            ips: HashMap::new(),
            hosts: HashMap::new(),
            hidden_names: Vec::new(),
        };
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

    #[test]
    fn bad_links_give_clear_errors() {
        let enc = encode(&sample());
        let data = &enc[2..];
        // Cut at many places: always Truncated or Corrupted, never a panic
        // and never a wrong report.
        for cut in [1, 2, 10, data.len() / 2, data.len() - 3, data.len() - 1] {
            let e = decode(&format!("1.{}", &data[..cut])).unwrap_err();
            assert!(
                matches!(e, ShareError::Truncated | ShareError::Corrupted(_)),
                "cut at {cut}: {e:?}"
            );
        }
        assert_eq!(
            decode(&format!("1.{}", &data[..data.len() / 2])),
            Err(ShareError::Truncated)
        );
        assert_eq!(decode("1."), Err(ShareError::Truncated));
        assert_eq!(decode(""), Err(ShareError::Missing));
        assert_eq!(from_fragment("#r="), Some(Err(ShareError::Missing)));
        assert!(matches!(decode("1.!!!!"), Err(ShareError::Corrupted(_))));
        assert!(matches!(decode("nodot"), Err(ShareError::Corrupted(_))));
        assert!(matches!(decode("x.abc"), Err(ShareError::Corrupted(_))));
        // Valid deflate of something that is not a report.
        let not_report = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(
            br#"{"hello":"world"}"#,
            6,
        ));
        assert_eq!(
            decode(&format!("1.{not_report}")),
            Err(ShareError::Corrupted("not a mailport result"))
        );
        // Flipped bits in the middle.
        let mut bytes = URL_SAFE_NO_PAD.decode(data).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        bytes[mid + 1] ^= 0x55;
        let flipped = URL_SAFE_NO_PAD.encode(bytes);
        assert!(decode(&format!("1.{flipped}")).is_err());
        for e in [
            ShareError::Truncated,
            ShareError::Corrupted("x"),
            ShareError::Missing,
        ] {
            assert!(e.to_string().starts_with("this link"));
        }
    }

    #[test]
    fn oversized_links_and_bombs_are_refused() {
        let long = format!("1.{}", "A".repeat(MAX_ENCODED_LEN));
        assert!(matches!(
            decode(&long),
            Err(ShareError::Oversized { what: "link", .. })
        ));
        // 4 MiB of spaces compress to a few KiB: a bomb the inflate cap stops.
        let bomb = vec![b' '; 4 * MAX_INFLATED_LEN];
        let packed = miniz_oxide::deflate::compress_to_vec(&bomb, 9);
        let enc = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
        assert!(enc.len() < MAX_ENCODED_LEN);
        assert!(matches!(
            decode(&enc),
            Err(ShareError::Oversized {
                what: "inflated result",
                ..
            })
        ));
    }

    #[test]
    fn future_versions_are_named() {
        assert_eq!(
            decode("2.abc"),
            Err(ShareError::FutureVersion {
                found: 2,
                supported: LINK_VERSION
            })
        );
        let mut v = serde_json::to_value(sample()).unwrap();
        v["schema_version"] = serde_json::json!(crate::SCHEMA_VERSION + 1);
        v["a_field_from_the_future"] = serde_json::json!({"x": 1});
        let packed = miniz_oxide::deflate::compress_to_vec(v.to_string().as_bytes(), 9);
        let enc = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
        let e = decode(&enc).unwrap_err();
        assert_eq!(
            e,
            ShareError::FutureVersion {
                found: crate::SCHEMA_VERSION + 1,
                supported: crate::SCHEMA_VERSION
            }
        );
        assert!(e.to_string().contains("newer version of mailport"));
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
        );
        assert!(!red.advice.iter().any(named));
        assert!(red.verdicts.iter().all(|v| v
            .reached
            .iter()
            .all(|h| h.starts_with("host-") || is_public_default(h))));
    }
}
