//! Format 3: the short share link.
//!
//! A full report compressed (format 2) is about 4 KB of link, too long for a
//! chat message (Discord stops at 2,000 characters), many ticket forms and
//! SMS. Format 3 keeps what a reader needs to understand the result — each
//! probe's host, port, family and outcome kind, the verdicts, the headline,
//! the advice and the network facts — and leaves out the transcripts
//! (greeting and EHLO text, TLS versions and certificate names, reflector
//! details) and the probed addresses.
//!
//! Layout (version 3), before zlib and base64url as in format 2: one
//! [`Compact`] value encoded with `postcard` (varints, no field names). Its
//! fields in order:
//!
//! | field            | type                                  |
//! |------------------|---------------------------------------|
//! | schema_version   | u32                                   |
//! | tool_version     | string                                |
//! | started_at_ms    | u64                                   |
//! | duration_ms      | u64                                   |
//! | names            | [string]: every host name, once       |
//! | options          | [`COptions`]                          |
//! | probes           | [[`CProbe`]], hosts as indices in `names` |
//! | verdicts         | option<string>: JSON, absent when the probes give them |
//! | headline         | option<string>: absent when the probes give it |
//! | advice           | option<string>: JSON, absent when verdicts and facts give it |
//! | network          | option<string>: JSON of the network facts |
//! | controls         | option<string>: JSON of the control probes (port 443), absent when none |
//! | inbound          | option<string>: JSON of the inbound section, absent when not asked |
//!
//! The judged parts are *derived* again when reading whenever that gives
//! exactly what the writer showed (checked when writing): mailport's own
//! classification and advice turn the kept facts into the same words, so
//! the link need not carry them. When they would differ (a transcript
//! detail mattered, or text was redacted), the link carries them as JSON.
//! Enum tags are explicit numbers below (never Rust declaration order), and
//! new tags are only ever appended.

use super::value::CValue;
use crate::advice::{self, Advice};
use crate::classify::{self, PortVerdict};
use crate::control::ControlProbe;
use crate::family::Family;
use crate::netinfo::NetworkFacts;
use crate::options::{CheckOptions, Families};
use crate::outcome::{
    DnsFailure, EhloOutcome, Outcome, Reply, SmtpExchange, TesterReply, TlsOutcome,
};
use crate::probe::{ProbeResult, ProbeSpec, Timings};
use crate::reflector::{ProofStatus, ReflectorProof};
use crate::report::Report;
use crate::target::{Role, Target};
use serde::{Deserialize, Serialize};

/// Written in place of a detail a short link leaves out.
pub const OMITTED: &str = "not in this short link";

#[derive(Serialize, Deserialize)]
struct Compact {
    schema_version: u32,
    tool_version: String,
    started_at_ms: u64,
    duration_ms: u64,
    strings: Vec<String>,
    options: COptions,
    probes: Vec<CProbe>,
    verdicts: Option<Vec<Item>>,
    headline: Option<String>,
    advice: Option<Vec<Item>>,
    network: Option<CValue>,
    controls: Option<CValue>,
    inbound: Option<CValue>,
}

/// One verdict or piece of advice: the `n`th of what the reader derives, or
/// given in full.
#[derive(Serialize, Deserialize)]
enum Item {
    Derived(u32),
    Given(CValue),
}

#[derive(Serialize, Deserialize)]
struct COptions {
    domain: Option<String>,
    targets: Vec<(u32, u8, Option<Vec<u16>>)>,
    ports: Vec<u16>,
    ipv4: bool,
    ipv6: bool,
    connect_timeout_ms: u32,
    greeting_timeout_ms: u32,
    tls: bool,
    reflector: Option<CValue>,
    inbound: bool,
}

#[derive(Serialize, Deserialize)]
struct CProbe {
    host: u32,
    role: u8,
    port: u16,
    /// 4 or 6.
    family: u8,
    expected: bool,
    outcome: COutcome,
    total_ms: u32,
}

/// Outcome kinds; postcard writes the variant index, so only append.
#[derive(Serialize, Deserialize)]
enum COutcome {
    Banner(CBanner),
    Refused,
    Filtered,
    Unreachable(u32),
    NoRoute(u32),
    Silent,
    ClosedEarly,
    Reset,
    NotSmtp(u32),
    TlsFailed(u32),
    LocalError(u32),
    DnsFailed(CDns),
    PortTester(CTester),
    LocalFirewall(u32),
}

/// A port tester's answer to the request (its status line or bytes kept).
#[derive(Serialize, Deserialize)]
enum CTester {
    Http(u32),
    Closed,
    Quiet,
    Other(u32),
}

#[derive(Serialize, Deserialize)]
struct CBanner {
    code: u16,
    /// The host name the greeting announced, when it named one.
    announced: Option<u32>,
    ehlo: CEhlo,
    starttls: bool,
    implicit_tls: bool,
    tls: Option<CTls>,
    /// 0 genuine, 1 unverified, 2 busy.
    reflector: Option<u8>,
}

#[derive(Serialize, Deserialize)]
enum CEhlo {
    Accepted,
    Rejected(u16),
    NoReply,
    NotSent,
    Reset,
    Closed,
    Garbage(u32),
}

#[derive(Serialize, Deserialize)]
enum CTls {
    Established { trusted: bool, name_matches: bool },
    Failed,
}

#[derive(Serialize, Deserialize)]
enum CDns {
    NxDomain,
    NoAddress,
    Timeout,
    Forbidden(u32),
    Other(u32),
}

/// Why compact data cannot become a report (mapped to a `ShareError`).
#[derive(Debug)]
pub(super) struct Bad(pub &'static str);

fn role_tag(r: Role) -> u8 {
    match r {
        Role::RecipientMx => 0,
        Role::Submission => 1,
        Role::OwnHost => 2,
        Role::PortEcho => 3,
        Role::Reflector => 4,
        Role::Custom => 5,
    }
}

fn role_of(tag: u8) -> Result<Role, Bad> {
    Ok(match tag {
        0 => Role::RecipientMx,
        1 => Role::Submission,
        2 => Role::OwnHost,
        3 => Role::PortEcho,
        4 => Role::Reflector,
        5 => Role::Custom,
        _ => return Err(Bad("unknown role")),
    })
}

fn family_tag(f: Family) -> u8 {
    match f {
        Family::Ipv4 => 4,
        Family::Ipv6 => 6,
    }
}

fn family_of(tag: u8) -> Result<Family, Bad> {
    match tag {
        4 => Ok(Family::Ipv4),
        6 => Ok(Family::Ipv6),
        _ => Err(Bad("unknown address family")),
    }
}

fn proof_tag(s: ProofStatus) -> u8 {
    match s {
        ProofStatus::Genuine => 0,
        ProofStatus::Unverified => 1,
        ProofStatus::Busy => 2,
    }
}

fn proof_of(tag: u8) -> Result<ProofStatus, Bad> {
    Ok(match tag {
        0 => ProofStatus::Genuine,
        1 => ProofStatus::Unverified,
        2 => ProofStatus::Busy,
        _ => return Err(Bad("unknown reflector status")),
    })
}

/// Host names and details, each stored once.
#[derive(Default)]
struct Strings(Vec<String>);

impl Strings {
    fn index(&mut self, name: &str) -> u32 {
        let i = match self.0.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.0.push(name.to_string());
                self.0.len() - 1
            }
        };
        u32::try_from(i).unwrap_or(u32::MAX)
    }
}

fn text(strings: &[String], i: u32) -> Result<String, Bad> {
    usize::try_from(i)
        .ok()
        .and_then(|i| strings.get(i))
        .cloned()
        .ok_or(Bad("text index out of range"))
}

fn outcome_to(o: &Outcome, t: &mut Strings) -> COutcome {
    match o {
        Outcome::Banner(ex) => COutcome::Banner(CBanner {
            code: ex.greeting.code,
            announced: ex.greeting.announced_host().map(|h| t.index(h)),
            ehlo: match &ex.ehlo {
                EhloOutcome::Accepted { .. } => CEhlo::Accepted,
                EhloOutcome::Rejected { reply } => CEhlo::Rejected(reply.code),
                EhloOutcome::NoReply => CEhlo::NoReply,
                EhloOutcome::NotSent => CEhlo::NotSent,
                EhloOutcome::Reset => CEhlo::Reset,
                EhloOutcome::Closed => CEhlo::Closed,
                EhloOutcome::Garbage { why } => CEhlo::Garbage(t.index(why)),
            },
            starttls: ex.starttls_offered(),
            implicit_tls: ex.implicit_tls,
            tls: ex.tls.as_ref().map(|t| match t {
                TlsOutcome::Established {
                    trusted,
                    name_matches,
                    ..
                } => CTls::Established {
                    trusted: *trusted,
                    name_matches: *name_matches,
                },
                TlsOutcome::Failed { .. } => CTls::Failed,
            }),
            reflector: ex.reflector.as_ref().map(|p| proof_tag(p.status)),
        }),
        Outcome::Refused => COutcome::Refused,
        Outcome::Filtered => COutcome::Filtered,
        Outcome::Unreachable { detail } => COutcome::Unreachable(t.index(detail)),
        Outcome::NoRoute { detail } => COutcome::NoRoute(t.index(detail)),
        Outcome::Silent => COutcome::Silent,
        Outcome::ClosedEarly => COutcome::ClosedEarly,
        Outcome::Reset => COutcome::Reset,
        Outcome::NotSmtp { first_bytes } => COutcome::NotSmtp(t.index(first_bytes)),
        Outcome::TlsFailed { error } => COutcome::TlsFailed(t.index(error)),
        Outcome::LocalError { detail } => COutcome::LocalError(t.index(detail)),
        Outcome::LocalFirewall { detail } => COutcome::LocalFirewall(t.index(detail)),
        Outcome::PortTester { reply } => COutcome::PortTester(match reply {
            TesterReply::Http { status_line } => CTester::Http(t.index(status_line)),
            TesterReply::Closed => CTester::Closed,
            TesterReply::Quiet => CTester::Quiet,
            TesterReply::Other { first_bytes } => CTester::Other(t.index(first_bytes)),
        }),
        Outcome::DnsFailed { reason } => COutcome::DnsFailed(match reason {
            DnsFailure::NxDomain => CDns::NxDomain,
            DnsFailure::NoAddress => CDns::NoAddress,
            DnsFailure::Timeout => CDns::Timeout,
            DnsFailure::Forbidden { address } => CDns::Forbidden(t.index(address)),
            DnsFailure::Other { detail } => CDns::Other(t.index(detail)),
        }),
    }
}

fn outcome_of(c: COutcome, t: &[String]) -> Result<Outcome, Bad> {
    Ok(match c {
        COutcome::Banner(b) => Outcome::Banner(SmtpExchange {
            greeting: Reply {
                code: b.code,
                lines: b
                    .announced
                    .map(|i| text(t, i))
                    .transpose()?
                    .into_iter()
                    .collect(),
            },
            ehlo: match b.ehlo {
                CEhlo::Accepted => EhloOutcome::Accepted {
                    reply: Reply {
                        code: 250,
                        lines: vec![],
                    },
                    extensions: if b.starttls {
                        vec!["STARTTLS".into()]
                    } else {
                        vec![]
                    },
                },
                CEhlo::Rejected(code) => EhloOutcome::Rejected {
                    reply: Reply {
                        code,
                        lines: vec![],
                    },
                },
                CEhlo::NoReply => EhloOutcome::NoReply,
                CEhlo::NotSent => EhloOutcome::NotSent,
                CEhlo::Reset => EhloOutcome::Reset,
                CEhlo::Closed => EhloOutcome::Closed,
                CEhlo::Garbage(i) => EhloOutcome::Garbage { why: text(t, i)? },
            },
            implicit_tls: b.implicit_tls,
            tls: b.tls.map(|t| match t {
                CTls::Established {
                    trusted,
                    name_matches,
                } => TlsOutcome::Established {
                    version: String::new(),
                    cipher: String::new(),
                    trusted,
                    name_matches,
                    names: vec![],
                },
                CTls::Failed => TlsOutcome::Failed {
                    error: OMITTED.into(),
                },
            }),
            reflector: match b.reflector {
                Some(tag) => Some(Box::new(ReflectorProof {
                    status: proof_of(tag)?,
                    detail: OMITTED.into(),
                    seen_address: None,
                    seen_port: None,
                    listening: vec![],
                    local_address: None,
                    public_address: None,
                })),
                None => None,
            },
        }),
        COutcome::Refused => Outcome::Refused,
        COutcome::Filtered => Outcome::Filtered,
        COutcome::Unreachable(i) => Outcome::Unreachable {
            detail: text(t, i)?,
        },
        COutcome::NoRoute(i) => Outcome::NoRoute {
            detail: text(t, i)?,
        },
        COutcome::Silent => Outcome::Silent,
        COutcome::ClosedEarly => Outcome::ClosedEarly,
        COutcome::Reset => Outcome::Reset,
        COutcome::NotSmtp(i) => Outcome::NotSmtp {
            first_bytes: text(t, i)?,
        },
        COutcome::TlsFailed(i) => Outcome::TlsFailed { error: text(t, i)? },
        COutcome::LocalError(i) => Outcome::LocalError {
            detail: text(t, i)?,
        },
        COutcome::LocalFirewall(i) => Outcome::LocalFirewall {
            detail: text(t, i)?,
        },
        COutcome::PortTester(r) => Outcome::PortTester {
            reply: match r {
                CTester::Http(i) => TesterReply::Http {
                    status_line: text(t, i)?,
                },
                CTester::Closed => TesterReply::Closed,
                CTester::Quiet => TesterReply::Quiet,
                CTester::Other(i) => TesterReply::Other {
                    first_bytes: text(t, i)?,
                },
            },
        },
        COutcome::DnsFailed(d) => Outcome::DnsFailed {
            reason: match d {
                CDns::NxDomain => DnsFailure::NxDomain,
                CDns::NoAddress => DnsFailure::NoAddress,
                CDns::Timeout => DnsFailure::Timeout,
                CDns::Forbidden(i) => DnsFailure::Forbidden {
                    address: text(t, i)?,
                },
                CDns::Other(i) => DnsFailure::Other {
                    detail: text(t, i)?,
                },
            },
        },
    })
}

/// The probes as a short link keeps them (what a reader gets back).
fn probes_of(strings: &[String], probes: Vec<CProbe>) -> Result<Vec<ProbeResult>, Bad> {
    probes
        .into_iter()
        .map(|p| {
            Ok(ProbeResult {
                spec: ProbeSpec {
                    host: text(strings, p.host)?,
                    role: role_of(p.role)?,
                    port: p.port,
                    family: family_of(p.family)?,
                    expected: p.expected,
                },
                address: None,
                outcome: outcome_of(p.outcome, strings)?,
                timings: Timings {
                    dns_ms: None,
                    connect_ms: None,
                    greeting_ms: None,
                    total_ms: p.total_ms,
                },
            })
        })
        .collect()
}

/// `shown` as items of `derived`: `None` when they are the same list.
fn items<T: PartialEq + Serialize>(shown: &[T], derived: &[T]) -> Option<Vec<Item>> {
    (shown != derived).then(|| {
        shown
            .iter()
            .map(|v| match derived.iter().position(|d| d == v) {
                Some(j) => Item::Derived(u32::try_from(j).unwrap_or(u32::MAX)),
                None => Item::Given(CValue::of(v)),
            })
            .collect()
    })
}

/// Items back into values, taking derived ones from `derived`.
fn from_items<T: Clone + for<'de> Deserialize<'de>>(
    items: Option<Vec<Item>>,
    derived: Vec<T>,
) -> Result<Vec<T>, Bad> {
    let Some(items) = items else {
        return Ok(derived);
    };
    items
        .into_iter()
        .map(|i| match i {
            Item::Derived(j) => usize::try_from(j)
                .ok()
                .and_then(|j| derived.get(j))
                .cloned()
                .ok_or(Bad("derived index out of range")),
            Item::Given(v) => v.to().ok_or(Bad("not a mailport result")),
        })
        .collect()
}

/// The report as postcard bytes in the format-3 layout.
pub(super) fn to_bytes(report: &Report) -> Vec<u8> {
    let mut strings = Strings::default();
    let probes: Vec<CProbe> = report
        .probes
        .iter()
        .map(|p| CProbe {
            host: strings.index(&p.spec.host),
            role: role_tag(p.spec.role),
            port: p.spec.port,
            family: family_tag(p.spec.family),
            expected: p.spec.expected,
            outcome: outcome_to(&p.outcome, &mut strings),
            total_ms: p.timings.total_ms,
        })
        .collect();
    let o = &report.options;
    let options = COptions {
        domain: o.domain.clone(),
        targets: o
            .targets
            .iter()
            .map(|t| (strings.index(&t.host), role_tag(t.role), t.ports.clone()))
            .collect(),
        ports: o.ports.clone(),
        ipv4: o.families.ipv4,
        ipv6: o.families.ipv6,
        connect_timeout_ms: o.connect_timeout_ms,
        greeting_timeout_ms: o.greeting_timeout_ms,
        tls: o.tls,
        reflector: o.reflector.as_ref().map(CValue::of),
        inbound: o.inbound,
    };
    // What a reader would derive from the kept probes and facts: carried
    // only where it differs from what the writer showed.
    let kept = probes_of(&strings.0, clone_probes(&probes)).unwrap_or_default();
    let derived = derive(
        &kept,
        &report.controls,
        &report.verdicts,
        report.network.clone(),
    );
    let compact = Compact {
        schema_version: report.schema_version,
        tool_version: report.tool_version.clone(),
        started_at_ms: report.started_at_ms,
        duration_ms: report.duration_ms,
        strings: strings.0,
        options,
        probes,
        verdicts: items(&report.verdicts, &derived.verdicts),
        headline: (derived.headline != report.headline).then(|| report.headline.clone()),
        advice: items(&report.advice, &derived.advice),
        network: report.network.as_ref().map(CValue::of),
        controls: (!report.controls.is_empty()).then(|| CValue::of(&report.controls)),
        inbound: report.inbound.as_ref().map(CValue::of),
    };
    postcard::to_allocvec(&compact).unwrap_or_default()
}

/// Postcard values are not `Clone` by design (they are wire types); this
/// re-reads them, which is exact.
fn clone_probes(probes: &[CProbe]) -> Vec<CProbe> {
    postcard::to_allocvec(probes)
        .ok()
        .and_then(|b| postcard::from_bytes(&b).ok())
        .unwrap_or_default()
}

struct Derived {
    verdicts: Vec<PortVerdict>,
    headline: String,
    advice: Vec<Advice>,
}

/// What mailport concludes from kept probes. Advice is derived from the
/// verdicts the report shows (given or derived), as the agent does.
fn derive(
    probes: &[ProbeResult],
    controls: &[ControlProbe],
    shown_verdicts: &[PortVerdict],
    network: Option<NetworkFacts>,
) -> Derived {
    let verdicts = classify::classify_with(probes, controls);
    let headline = crate::own_domain::lead(classify::headline(shown_verdicts, probes), probes);
    let advice = advice::advise(shown_verdicts, &advice::Context::from_network(network));
    Derived {
        verdicts,
        headline,
        advice,
    }
}

/// Reads format-3 bytes back into a report (transcripts left out).
pub(super) fn from_bytes(bytes: &[u8]) -> Result<Report, Bad> {
    let c: Compact = postcard::from_bytes(bytes).map_err(|e| match e {
        postcard::Error::DeserializeUnexpectedEnd => Bad("cut short"),
        _ => Bad("not a mailport result"),
    })?;
    if c.schema_version > crate::SCHEMA_VERSION {
        return Err(Bad("future schema"));
    }
    let probes = probes_of(&c.strings, c.probes)?;
    let o = c.options;
    let targets = o
        .targets
        .into_iter()
        .map(|(host, role, ports)| {
            Ok(Target {
                host: text(&c.strings, host)?,
                role: role_of(role)?,
                ports,
            })
        })
        .collect::<Result<Vec<_>, Bad>>()?;
    let reflector = match o.reflector {
        Some(v) => Some(v.to().ok_or(Bad("bad reflector"))?),
        None => None,
    };
    let options = CheckOptions {
        domain: o.domain,
        targets,
        ports: o.ports,
        families: Families {
            ipv4: o.ipv4,
            ipv6: o.ipv6,
        },
        connect_timeout_ms: o.connect_timeout_ms,
        greeting_timeout_ms: o.greeting_timeout_ms,
        tls: o.tls,
        reflector,
        inbound: o.inbound,
    };
    let network: Option<NetworkFacts> = match c.network {
        Some(v) => Some(v.to().ok_or(Bad("bad network facts"))?),
        None => None,
    };
    let controls: Vec<ControlProbe> = match c.controls {
        Some(v) => v.to().ok_or(Bad("bad control probes"))?,
        None => Vec::new(),
    };
    let inbound = match c.inbound {
        Some(v) => Some(v.to().ok_or(Bad("bad inbound section"))?),
        None => None,
    };
    let verdicts = from_items(c.verdicts, classify::classify_with(&probes, &controls))?;
    let derived = derive(&probes, &controls, &verdicts, network.clone());
    let advice = from_items(c.advice, derived.advice)?;
    Ok(Report {
        schema_version: c.schema_version,
        tool_version: c.tool_version,
        started_at_ms: c.started_at_ms,
        duration_ms: c.duration_ms,
        options,
        probes,
        verdicts,
        headline: c.headline.unwrap_or(derived.headline),
        advice,
        network,
        controls,
        inbound,
    })
}
