//! Share links: a whole [`Report`] in the fragment of a URL, so a result can
//! be shown to an ISP, a hosting support desk or a forum without any server
//! storing it.
//!
//! Formats: `<base>#r=4.<base64url(zlib(json(Report)) + crc32)>` carries the whole
//! report with every transcript (the "full" link); `#r=3.<base64url(zlib(
//! postcard(compact report)))>` is the short link shared by default, which
//! keeps verdicts, advice, network facts and each probe's outcome kind but
//! not the transcripts (layout in `share/compact.rs`, about a quarter of the
//! length). The number before the dot is the link format; the report inside
//! carries its own [`crate::SCHEMA_VERSION`]. The fragment never reaches a web server, so the
//! public page can render the report without seeing it.
//!
//! Both end with a CRC-32 of what was compressed, after zlib's own
//! Adler-32: a link that a mail client or a hand copy damaged is refused,
//! never shown altered. (Raw deflate, format 1, had no checksum, and one
//! changed character in nine decoded to a report with garbage in it;
//! format 2 had Adler-32 alone, which let a changed back-reference through
//! that moved letters of the advice about.) Formats 1 and 2 are still read.
//!
//! Decoding is defensive: a link is input from anyone. The encoded text and
//! the inflated JSON are both capped, and every failure is a [`ShareError`]
//! whose message is shown to the user as is (never a blank page).
//!
//! [`redact`] removes addresses and host names before sharing.

use crate::knowledge::PROVIDERS;
use crate::netinfo::{embeds_ip, has_dotted_quad};
use crate::report::Report;
use crate::target::DEFAULT_TARGETS;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use std::collections::HashMap;
use std::net::IpAddr;
use thiserror::Error;

mod compact;
mod value;

pub use compact::OMITTED;

/// The newest link format this code reads: 4 is the full report as zlib'd
/// JSON with a CRC-32 ([`encode`]), 3 the short link ([`encode_short`]), 2
/// the full report with zlib's Adler-32 alone, 1 raw deflate.
///
/// Formats 3 and 4 end with a CRC-32 (big-endian) of what was compressed:
/// Adler-32 lets some one-character changes of a link through (a changed
/// back-reference that moves letters around keeps its sum), CRC-32 catches
/// every change of up to 32 bits.
pub const LINK_VERSION: u32 = 4;

/// The format of the full link written by [`encode`].
pub const FULL_LINK_VERSION: u32 = 4;

/// The full link before the CRC-32 (read, no longer written).
const FULL_LINK_V2: u32 = 2;

/// The format of the short link written by [`encode_short`].
pub const SHORT_LINK_VERSION: u32 = 3;

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

/// Encodes a whole report as `2.<data>`, the value of the `r` fragment
/// parameter: every transcript included.
pub fn encode(report: &Report) -> String {
    // Serialising plain data to a Vec cannot fail (no maps with non-string
    // keys, no I/O); an empty payload would decode as Corrupted, not lie.
    let json = serde_json::to_vec(report).unwrap_or_default();
    format!(
        "{FULL_LINK_VERSION}.{}",
        URL_SAFE_NO_PAD.encode(pack(&json, 9))
    )
}

/// Encodes a report as `3.<data>`: the short link, without transcripts and
/// probed addresses (see the module documentation).
pub fn encode_short(report: &Report) -> String {
    let packed = pack(&compact::to_bytes(report), 10);
    format!("{SHORT_LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// zlib of `data`, then the CRC-32 of `data`.
fn pack(data: &[u8], level: u8) -> Vec<u8> {
    let mut packed = miniz_oxide::deflate::compress_to_vec_zlib(data, level);
    packed.extend_from_slice(&crc32fast::hash(data).to_be_bytes());
    packed
}

/// A full share link: `base` (its own fragment dropped) + `#r=4.<data>`.
pub fn link(base: &str, report: &Report) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{PARAM}={}", encode(report))
}

/// A short share link: `base` (its own fragment dropped) + `#r=3.<data>`.
pub fn link_short(base: &str, report: &Report) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{PARAM}={}", encode_short(report))
}

/// Whether the fragment carries a short link (format 3): the page then says
/// that transcripts are not included.
pub fn fragment_is_short(fragment: &str) -> bool {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment
        .split('&')
        .filter_map(|kv| kv.strip_prefix("r="))
        .any(|v| v.trim().starts_with("3."))
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

/// Decodes the value of the `r` parameter (`3.<data>` short, `2.<data>`
/// full, or `1.<data>` from an older mailport).
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
    let json = inflate(version, &packed)?;
    if version == SHORT_LINK_VERSION {
        return compact::from_bytes(&json).map_err(|compact::Bad(why)| match why {
            "cut short" => ShareError::Truncated,
            "future schema" => ShareError::FutureVersion {
                found: crate::SCHEMA_VERSION + 1,
                supported: crate::SCHEMA_VERSION,
            },
            why => ShareError::Corrupted(why),
        });
    }
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

/// Inflates a link's data: zlib with its checksum for formats 2 and 3, raw deflate
/// for format 1. Capped at [`MAX_INFLATED_LEN`].
fn inflate(version: u32, packed: &[u8]) -> Result<Vec<u8>, ShareError> {
    if version >= SHORT_LINK_VERSION {
        let split = packed.len().checked_sub(4).ok_or(ShareError::Truncated)?;
        let (stream, crc) = packed.split_at(split);
        let data = inflate(FULL_LINK_V2, stream)?;
        let want = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32fast::hash(&data) != want {
            return Err(ShareError::Corrupted("checksum mismatch"));
        }
        return Ok(data);
    }
    let inflated = if version == 1 {
        miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED_LEN)
    } else {
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(packed, MAX_INFLATED_LEN)
    };
    inflated.map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => ShareError::Oversized {
            what: "inflated result",
            len: MAX_INFLATED_LEN + 1,
            max: MAX_INFLATED_LEN,
        },
        TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
            ShareError::Truncated
        }
        TINFLStatus::Adler32Mismatch => ShareError::Corrupted("checksum mismatch"),
        _ => ShareError::Corrupted("bad compressed data"),
    })
}

/// What to hide before sharing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedactOptions {
    /// Replace every IP address with `[ip-N]` (and drop probe addresses),
    /// and hide every name that spells one out (`c-203-0-113-9.example`,
    /// `9.113.0.203.in-addr.arpa`).
    pub ip: bool,
    /// Replace every host name with `host-N`, except the names that are the
    /// same for every user and reveal nothing: the well-known default
    /// targets, and the relays and domains of the knowledge base, which the
    /// advice needs ("send through smtp.comcast.net").
    pub hosts: bool,
}

/// A report that could not be redacted. A redacted text put where the
/// report's type holds no text (an address field that [`redact`] did not
/// clear first) would make the report unreadable; the page then offers no
/// link at all, rather than an unredacted or an emptied one.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("mailport could not hide what you asked in this result ({0}), so it offers no link for it. Please report this as a bug")]
pub struct RedactError(String);

/// Returns a copy of `report` with IP addresses and/or host names replaced
/// in every string it holds: options, probe hosts, greetings, EHLO lines, TLS
/// names, verdict and advice texts, evidence.
///
/// Placeholders are stable within one report (the same host is `host-2`
/// everywhere), so the report still reads consistently: "host-1 greets as
/// host-3" keeps its meaning.
pub fn redact(report: &Report, opts: RedactOptions) -> Result<Report, RedactError> {
    if !opts.ip && !opts.hosts {
        return Ok(report.clone());
    }
    let mut redactor = Redactor::new(opts);
    let mut report = report.clone();
    if opts.ip {
        // A first pass over everything, typed fields included, learns every
        // address the report holds; its output is thrown away. The real pass
        // then also hides the names that spell one of them out, whether or
        // not the network facts were gathered.
        let mut all = to_value(&report)?;
        redactor.walk(&mut all);
        redactor.hosts.clear();
        // The public address's reverse DNS names: they may name the line
        // without its digits (`mail.smith-family.example`).
        if let Some(network) = &report.network {
            redactor.hidden_names.extend(
                [&network.reverse_dns_v4, &network.reverse_dns_v6]
                    .into_iter()
                    .filter_map(|f| f.found())
                    .map(|p| p.name.trim_end_matches('.').to_ascii_lowercase())
                    .filter(|n| !n.is_empty()),
            );
        }
        // A typed field that cannot hold a placeholder: the address goes.
        for p in &mut report.probes {
            p.address = None;
            if let Some(proof) = p.outcome.reflector_proof_mut() {
                proof.seen_address = None;
                proof.local_address = None;
                proof.public_address = None;
            }
        }
        for c in &mut report.controls {
            c.address = None;
        }
        if let Some(network) = &mut report.network {
            network.redact_addresses();
        }
    }
    let mut value = to_value(&report)?;
    redactor.walk(&mut value);
    rebuild(value)
}

fn to_value(report: &Report) -> Result<serde_json::Value, RedactError> {
    serde_json::to_value(report).map_err(|e| RedactError(e.to_string()))
}

/// The redacted JSON as a report again. Every text field of [`Report`] is a
/// free `String`, so replacing text keeps it valid; a typed field that got a
/// placeholder is an error, never a silently emptied report.
fn rebuild(value: serde_json::Value) -> Result<Report, RedactError> {
    serde_json::from_value(value).map_err(|e| RedactError(e.to_string()))
}

/// Whether `c` can be part of an address or a name: letters and digits
/// (Unicode ones too, for internationalised names), `.`, `-` and `:`.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | ':')
}

struct Redactor {
    opts: RedactOptions,
    ips: HashMap<IpAddr, usize>,
    hosts: HashMap<String, usize>,
    /// Names replaced by [`crate::netinfo::HIDDEN`] wherever they appear.
    hidden_names: Vec<String>,
    /// Names that stay (lowercase): see [`public_names`].
    public: Vec<String>,
}

impl Redactor {
    fn new(opts: RedactOptions) -> Redactor {
        Redactor {
            opts,
            ips: HashMap::new(),
            hosts: HashMap::new(),
            hidden_names: Vec::new(),
            public: public_names(),
        }
    }

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
            if is_name_char(c) {
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
        let (head, core, tail) = split_punct(token);
        // `IPv6:2001:db8::5` is how SMTP writes an IPv6 address literal.
        let (tag, bare) = match core.get(..5) {
            Some(t) if t.eq_ignore_ascii_case("ipv6:") => core.split_at(5),
            _ => ("", core),
        };
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return format!("{head}{tag}{}{tail}", self.ip(ip, bare));
        }
        if core.contains(':') {
            // `host:port`, `a:b`: judge each part alone.
            return token
                .split(':')
                .map(|part| self.token(part))
                .collect::<Vec<_>>()
                .join(":");
        }
        if self.opts.ip && self.names_an_address(core) {
            return format!("{head}{}{tail}", crate::netinfo::HIDDEN);
        }
        if self.opts.hosts && looks_like_host(core) && !self.is_public(core) {
            let n = self.hosts.len() + 1;
            let n = *self.hosts.entry(core.to_lowercase()).or_insert(n);
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

    /// Whether a run that is not an address still gives one away: a hidden
    /// reverse DNS name, four numbers in a row (`ip-203-0-113-9`,
    /// `9.113.0.203.in-addr.arpa`), or any form of an address this report
    /// holds (dashed, reversed, hex, `ip6.arpa` nibbles).
    fn names_an_address(&self, core: &str) -> bool {
        let name = core.to_ascii_lowercase();
        self.hidden_names.contains(&name)
            || has_dotted_quad(&name)
            || self.ips.keys().any(|ip| embeds_ip(&name, *ip))
    }

    fn is_public(&self, host: &str) -> bool {
        let host = host.to_lowercase();
        self.public.contains(&host)
    }
}

/// Names that are the same in every user's report and that the advice
/// needs, so hiding server names keeps them (lowercase): the default
/// targets, and every name the knowledge base gives (relays such as
/// `smtp.comcast.net`, domains its notes mention such as `comcast.net`).
fn public_names() -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_TARGETS
        .iter()
        .map(|d| d.host.to_lowercase())
        .collect();
    for p in PROVIDERS {
        let texts = [p.name, p.unblock.text(), p.scope, p.note]
            .into_iter()
            .chain(p.relay.map(|r| r.host));
        for text in texts {
            for run in text.split(|c: char| !is_name_char(c)) {
                let (_, core, _) = split_punct(run);
                if looks_like_host(core) {
                    names.push(core.to_lowercase());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
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

/// A DNS name with at least two labels whose last label is a top-level
/// domain (letters, or an internationalised `xn--` one): `mx.example.org`,
/// `mx.example.xn--p1ai`, `почта.пример.рф`, not `TLSv1.3`, `0.1.0` or `e.g`.
fn looks_like_host(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 || s.len() > 253 {
        return false;
    }
    let tld = labels.last().copied().unwrap_or_default();
    let tld_ok = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        || tld
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--") && tld.len() > 4);
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
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

    #[test]
    fn round_trip() {
        let r = sample();
        let enc = encode(&r);
        assert!(enc.starts_with("4."));
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
        assert!(l.starts_with("https://mailport.github.io/#r=4."));
        let frag = l.split_once('#').unwrap().1;
        assert_eq!(from_fragment(frag), Some(Ok(r.clone())));
        assert_eq!(from_fragment(&format!("#agent=7600&{frag}")), Some(Ok(r)));
        assert_eq!(from_fragment("#token=abc"), None);
    }

    /// A link made before control probes existed (schema 1, no `controls`)
    /// still opens; a report with control probes keeps them, and hiding
    /// addresses hides theirs.
    #[test]
    fn schema_1_links_still_open_and_controls_travel() {
        use crate::control::{ControlOutcome, ControlProbe};
        let mut old = sample();
        old.schema_version = 1;
        let json = serde_json::to_string(&old).unwrap();
        assert!(!json.contains("controls"), "{json}");
        assert_eq!(decode(&encode(&old)), Ok(old));

        let mut r = sample();
        r.controls = vec![ControlProbe {
            host: "mx.example.org".into(),
            family: crate::Family::Ipv4,
            address: Some("203.0.113.7".parse().unwrap()),
            port: 443,
            outcome: ControlOutcome::Refused,
            rtt_ms: Some(12),
        }];
        assert_eq!(decode(&encode(&r)), Ok(r.clone()));
        let red = redact(
            &r,
            RedactOptions {
                ip: true,
                hosts: false,
            },
        )
        .unwrap();
        assert_eq!(red.controls.len(), 1);
        assert_eq!(red.controls[0].address, None);
        assert!(!serde_json::to_string(&red).unwrap().contains("203.0.113.7"));
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

    #[test]
    fn bad_links_give_clear_errors() {
        let enc = encode(&sample());
        let data = &enc[2..];
        // Cut at many places: always Truncated or Corrupted, never a panic
        // and never a wrong report.
        for cut in [1, 2, 10, data.len() / 2, data.len() - 3, data.len() - 1] {
            let e = decode(&format!("4.{}", &data[..cut])).unwrap_err();
            assert!(
                matches!(e, ShareError::Truncated | ShareError::Corrupted(_)),
                "cut at {cut}: {e:?}"
            );
        }
        assert_eq!(
            decode(&format!("4.{}", &data[..data.len() / 2])),
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
        assert!(decode(&format!("4.{flipped}")).is_err());
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
        // 4 MiB of spaces compress to a few KiB: a bomb the inflate cap
        // stops, in either format.
        let bomb = vec![b' '; 4 * MAX_INFLATED_LEN];
        for enc in [
            format!(
                "1.{}",
                URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&bomb, 9))
            ),
            format!(
                "2.{}",
                URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec_zlib(&bomb, 9))
            ),
        ] {
            assert!(enc.len() < MAX_ENCODED_LEN);
            assert!(matches!(
                decode(&enc),
                Err(ShareError::Oversized {
                    what: "inflated result",
                    ..
                })
            ));
        }
    }

    #[test]
    fn future_versions_are_named() {
        assert_eq!(
            decode("5.abc"),
            Err(ShareError::FutureVersion {
                found: 5,
                supported: LINK_VERSION
            })
        );
        let mut v = serde_json::to_value(sample()).unwrap();
        v["schema_version"] = serde_json::json!(crate::SCHEMA_VERSION + 1);
        v["a_field_from_the_future"] = serde_json::json!({"x": 1});
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(v.to_string().as_bytes(), 9);
        let enc = format!("2.{}", URL_SAFE_NO_PAD.encode(packed));
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
        )
        .unwrap();
        assert!(!red.advice.iter().any(named));
        let public = public_names();
        assert!(red.verdicts.iter().all(|v| v
            .reached
            .iter()
            .all(|h| h.starts_with("host-") || public.contains(h))));
    }

    /// Links written before the checksum (format 1, raw deflate) still open.
    #[test]
    fn format_1_links_still_open() {
        let r = sample();
        let json = serde_json::to_vec(&r).unwrap();
        let v1 = format!(
            "1.{}",
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
        );
        assert_eq!(decode(&v1), Ok(r.clone()));
        assert_eq!(from_fragment(&format!("#r={v1}")), Some(Ok(r)));
    }

    /// One character changed anywhere in a real link, into any character a
    /// link can hold: the page says the link is damaged (or cut off), or
    /// shows exactly the report that was shared; never an altered one.
    /// Format 1 let about one change in nine through with garbage inside.
    #[test]
    fn every_changed_character_is_caught() {
        let r = redact(
            &sample(),
            RedactOptions {
                ip: true,
                hosts: false,
            },
        )
        .unwrap();
        let enc = encode(&r);
        let alphabet: Vec<char> =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%"
                .chars()
                .collect();
        let (mut refused, mut same) = (0, 0);
        for (i, original) in enc.char_indices() {
            for &c in alphabet.iter().filter(|&&c| c != original) {
                let mut changed = enc.clone();
                changed.replace_range(i..i + 1, c.encode_utf8(&mut [0; 4]));
                match decode(&changed) {
                    Err(_) => refused += 1,
                    Ok(got) => {
                        assert_eq!(got, r, "{original:?} → {c:?} at {i} altered the report");
                        same += 1;
                    }
                }
            }
        }
        // Nearly every change is refused; the rest are spare bits that do
        // not change a byte of the report.
        assert!(
            refused > 0 && same * 100 < refused,
            "{refused} refused, {same} unchanged"
        );
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
}
