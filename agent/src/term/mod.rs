//! The human-readable report for the terminal.
//!
//! Plain text with optional ANSI colour (only on a terminal, and not with
//! `NO_COLOR`): a table of probes, the headline, one line per port verdict
//! with its evidence, then the numbered advice. Everything shown that came
//! from the network was escaped when it was read, so a server cannot drive
//! the user's terminal.

use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::interception::Evidence;
use mailport_shared::netinfo;
use mailport_shared::validate::{self, Host};
use mailport_shared::{Outcome, ProbeResult, Report};
use std::fmt::Write;

mod note;
pub use note::note;
use note::{role_short, truncate, NOTE_WIDTH};
use std::net::IpAddr;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub colour: bool,
}

#[derive(Clone, Copy)]
enum Tone {
    Good,
    Warn,
    Bad,
    Dim,
    Bold,
}

impl Style {
    fn paint(self, tone: Tone, text: &str) -> String {
        if !self.colour {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

fn outcome_tone(o: &Outcome) -> Tone {
    match o {
        Outcome::Banner(_) | Outcome::PortTester { .. } => Tone::Good,
        Outcome::Filtered | Outcome::Refused | Outcome::Unreachable { .. } | Outcome::Reset => {
            Tone::Bad
        }
        Outcome::NoRoute { .. } | Outcome::DnsFailed { .. } => Tone::Dim,
        _ => Tone::Warn,
    }
}

fn verdict_tone(v: &Verdict) -> Tone {
    match v {
        Verdict::Open => Tone::Good,
        Verdict::Restricted | Verdict::NotTestable { .. } => Tone::Warn,
        _ => Tone::Bad,
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// How a host sorts in the table: addresses by value (127.0.3.2 before
/// 127.0.3.10), IPv4 before IPv6, then names alphabetically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum HostKey {
    Address(IpAddr),
    Name(String),
}

fn host_key(host: &str) -> HostKey {
    match validate::host(host) {
        Ok(Host::Ip(ip)) => HostKey::Address(ip),
        _ => HostKey::Name(host.to_ascii_lowercase()),
    }
}

/// The table's order: by role, then hosts in the order the user named them
/// (the planned order), the others by [`host_key`], then the mail ports in
/// their usual order, IPv4 before IPv6.
fn table_order(report: &Report) -> Vec<&ProbeResult> {
    let named: Vec<&str> = report
        .options
        .targets
        .iter()
        .map(|t| t.host.as_str())
        .collect();
    let mut probes: Vec<&ProbeResult> = report.probes.iter().collect();
    probes.sort_by_cached_key(|p| {
        (
            p.spec.role,
            named
                .iter()
                .position(|h| *h == p.spec.host)
                .unwrap_or(usize::MAX),
            host_key(&p.spec.host),
            mailport_shared::MAIL_PORTS
                .iter()
                .position(|x| *x == p.spec.port)
                .unwrap_or(usize::MAX),
            p.spec.port,
            p.spec.family,
        )
    });
    probes
}

/// Width of the verdict line up to its "why", where evidence is indented.
const WHY_COLUMN: usize = 31;

/// One evidence line: strong findings (enough alone to suspect
/// interception) marked `!`, weak ones `·` and dimmed. `families` names the
/// families when the same finding stands for several.
fn evidence_line(out: &mut String, style: Style, e: &Evidence, families: Option<&str>) {
    let (marker, tone) = if e.strong {
        ("!", Tone::Warn)
    } else {
        ("·", Tone::Dim)
    };
    let text = match families {
        Some(f) => format!("{marker} {f}: {}", e.detail),
        None => format!("{marker} {}", e.detail),
    };
    let _ = writeln!(
        out,
        "  {}  {}",
        " ".repeat(WHY_COLUMN),
        style.paint(tone, &text)
    );
}

fn same_finding(a: &Evidence, b: &Evidence) -> bool {
    a.kind == b.kind && a.detail == b.detail
}

/// The verdict lines of one port, one per family, each followed by its own
/// evidence (strong findings before weak ones): IPv4's findings stay under
/// the IPv4 row. With several families each finding names the families it
/// stands for, and one that stands for several is shown once, under the
/// first ("IPv4 and IPv6").
fn port_verdicts(out: &mut String, style: Style, group: &[PortVerdict]) {
    let mut shown: Vec<&Evidence> = Vec::new();
    for (i, v) in group.iter().enumerate() {
        let label = pad(v.label(), 20);
        let _ = writeln!(
            out,
            "  {} {}  {}  {}",
            pad(&v.port.to_string(), 4),
            pad(&v.family.to_string(), 4),
            style.paint(verdict_tone(&v.verdict), &label),
            v.why
        );
        let mut mine: Vec<&Evidence> = v
            .evidence
            .iter()
            .filter(|e| !shown.iter().any(|s| same_finding(s, e)))
            .collect();
        mine.sort_by_key(|e| (!e.proof, !e.strong));
        for e in mine {
            shown.push(e);
            let families: Vec<String> = std::iter::once(v)
                .chain(
                    group[i + 1..]
                        .iter()
                        .filter(|w| w.evidence.iter().any(|f| same_finding(f, e))),
                )
                .map(|w| w.family.to_string())
                .collect();
            let label = (group.len() > 1).then(|| families.join(" and "));
            evidence_line(out, style, e, label.as_deref());
        }
    }
}

/// Renders the whole report.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let probes = table_order(report);
    let host_w = probes
        .iter()
        .map(|p| p.spec.host.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    // Every name failed DNS: one line per reason, not one identical row per
    // host, port and family.
    let unresolved = !probes.is_empty()
        && probes
            .iter()
            .all(|p| matches!(p.outcome, Outcome::DnsFailed { .. }));
    if !unresolved {
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                Tone::Bold,
                &format!(
                    "{}  {}  {}  {}  {}  {}  {}",
                    pad("HOST", host_w),
                    pad("ROLE", 10),
                    pad("PORT", 4),
                    pad("IP", 4),
                    pad("RESULT", 13),
                    pad("MS", 6),
                    "DETAIL"
                )
            )
        );
    } else {
        let mut reasons: Vec<String> = Vec::new();
        for p in &probes {
            let n = note(p);
            if !reasons.contains(&n) {
                reasons.push(n);
            }
        }
        let hosts: std::collections::BTreeSet<&str> =
            probes.iter().map(|p| p.spec.host.as_str()).collect();
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                Tone::Dim,
                &format!(
                    "No probe made: none of the {} host{} resolved ({}).",
                    hosts.len(),
                    if hosts.len() == 1 { "" } else { "s" },
                    reasons.join("; ")
                )
            )
        );
    }
    for p in probes.iter().filter(|_| !unresolved) {
        let family = match p.spec.family {
            mailport_shared::Family::Ipv4 => "v4",
            mailport_shared::Family::Ipv6 => "v6",
        };
        let label = pad(p.outcome.label(), 13);
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}  {}  {}",
            pad(&truncate(&p.spec.host, host_w), host_w),
            pad(role_short(p.spec.role), 10),
            pad(&p.spec.port.to_string(), 4),
            pad(family, 4),
            style.paint(outcome_tone(&p.outcome), &label),
            pad(&p.timings.total_ms.to_string(), 6),
            style.paint(Tone::Dim, &truncate(&note(p), NOTE_WIDTH)),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.paint(Tone::Bold, &report.headline));
    let _ = writeln!(out);
    // Verdicts come grouped by port (classify orders them so). When no
    // name resolved, the headline already says why, once.
    for group in report
        .verdicts
        .chunk_by(|a, b| a.port == b.port)
        .filter(|_| !unresolved)
    {
        port_verdicts(&mut out, style, group);
    }
    if let Some(facts) = &report.network {
        let listed = !facts.pbl_listings().is_empty() || !facts.reputation_listings().is_empty();
        let lines = [
            (netinfo::provider_line(facts), Tone::Bold),
            (netinfo::address_line(facts), Tone::Dim),
            (
                netinfo::blocklist_line(facts),
                if listed { Tone::Warn } else { Tone::Dim },
            ),
        ];
        let mut first = true;
        for (line, tone) in lines {
            let Some(line) = line else { continue };
            if std::mem::take(&mut first) {
                let _ = writeln!(out);
            }
            let _ = writeln!(out, "{}", style.paint(tone, &line));
        }
    }
    if !report.advice.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", style.paint(Tone::Bold, "What to do"));
        // Numbers right-aligned, so that "10." keeps its text in line with "9.".
        let w = report.advice.len().to_string().len();
        for (i, a) in report.advice.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:>w$}. {}",
                i + 1,
                style.paint(Tone::Bold, &a.title)
            );
            let _ = writeln!(out, "  {:w$}  {}", "", a.why);
        }
    }
    let n = report.probes.len();
    let _ = writeln!(
        out,
        "\n{}",
        style.paint(
            Tone::Dim,
            &format!(
                "{n} {} in {}. Measured outbound from this machine; {}",
                if n == 1 { "probe" } else { "probes" },
                report.duration_text(),
                if report.inbound.is_some() {
                    "inbound, below, is another question."
                } else {
                    "incoming mail is another question (--inbound)."
                }
            )
        )
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::advice::Context;
    use mailport_shared::outcome::{EhloOutcome, TlsOutcome};
    use mailport_shared::outcome::{Reply, SmtpExchange};
    use mailport_shared::reflector::ProofStatus;
    use mailport_shared::report::Conclusion;
    use mailport_shared::Role;
    use mailport_shared::{CheckOptions, Family, ProbeSpec, Timings};

    fn probe(host: &str, port: u16, outcome: Outcome) -> ProbeResult {
        ProbeResult {
            spec: ProbeSpec {
                host: host.into(),
                role: Role::RecipientMx,
                port,
                family: Family::Ipv4,
                expected: true,
            },
            address: None,
            outcome,
            timings: Timings {
                total_ms: 12,
                ..Timings::default()
            },
        }
    }

    fn report(probes: Vec<ProbeResult>) -> Report {
        let c = Conclusion::from_probes(&probes, &Context::default());
        Report {
            schema_version: mailport_shared::SCHEMA_VERSION,
            tool_version: "0.1.0".into(),
            started_at_ms: 0,
            duration_ms: 1500,
            options: CheckOptions::default(),
            probes,
            verdicts: c.verdicts,
            headline: c.headline,
            advice: c.advice,
            network: None,
            inbound: None,
            controls: Vec::new(),
        }
    }

    #[test]
    fn advice_numbers_line_up_past_nine() {
        let mut r = report(vec![probe("mx1.example", 25, Outcome::Filtered)]);
        let one = r.advice[0].clone();
        r.advice = (0..10)
            .map(|i| mailport_shared::Advice {
                title: format!("title {i}"),
                why: format!("why {i}"),
                ..one.clone()
            })
            .collect();
        let text = render(&r, Style::default());
        assert!(text.contains("\n   1. title 0\n      why 0\n"), "{text}");
        assert!(text.contains("\n  10. title 9\n      why 9\n"), "{text}");
    }

    #[test]
    fn blocked_report_reads_top_down() {
        let r = report(vec![
            probe("mx1.example", 25, Outcome::Filtered),
            probe("mx2.example", 25, Outcome::Filtered),
        ]);
        let text = render(&r, Style { colour: false });
        assert!(!text.contains('\x1b'));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("HOST         ROLE  "), "{text}");
        assert!(!lines[0].contains(" AS "), "{text}");
        assert!(lines[1].starts_with("mx1.example  MX"), "{text}");
        assert!(lines[1].contains("timed out"), "{text}");
        assert!(text.contains(&r.headline), "{text}");
        assert!(text.contains("blocked (dropped)"), "{text}");
        assert!(text.contains("What to do\n  1. "), "{text}");
        assert!(text.contains("2 probes in 1.5 s."), "{text}");
        let one = render(
            &report(vec![probe("mx1.example", 25, Outcome::Filtered)]),
            Style::default(),
        );
        assert!(one.contains("\n1 probe in 1.5 s."), "{one}");
    }

    #[test]
    fn colour_only_when_asked_and_banner_notes() {
        let ex = SmtpExchange {
            greeting: Reply {
                code: 220,
                lines: vec!["mx.example ESMTP".into()],
            },
            ehlo: EhloOutcome::NotSent,
            implicit_tls: true,
            tls: Some(TlsOutcome::Established {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                trusted: false,
                name_matches: true,
                names: vec![],
            }),
            reflector: None,
        };
        let p = probe("mx.example", 465, Outcome::Banner(ex));
        assert_eq!(
            note(&p),
            "220 mx.example ESMTP; TLS TLSv1.3, untrusted cert"
        );
        let text = render(&report(vec![p]), Style { colour: true });
        assert!(text.contains("\x1b[32mSMTP greeting"), "{text}");
    }

    fn banner(line: &str) -> Outcome {
        Outcome::Banner(SmtpExchange {
            greeting: Reply {
                code: 220,
                lines: vec![line.into()],
            },
            ehlo: EhloOutcome::NotSent,
            implicit_tls: false,
            tls: None,
            reflector: None,
        })
    }

    fn on(family: Family, mut p: ProbeResult) -> ProbeResult {
        p.spec.family = family;
        p
    }

    fn hosts_in_table(text: &str) -> Vec<String> {
        text.lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn hosts_keep_the_order_they_were_named_in_then_sort_by_value() {
        let probes = || {
            vec![
                probe("127.0.3.10", 25, Outcome::Refused),
                probe("mx.b.example", 25, Outcome::Refused),
                probe("127.0.3.2", 25, Outcome::Refused),
                on(Family::Ipv6, probe("::10", 25, Outcome::Refused)),
                on(Family::Ipv6, probe("::9", 25, Outcome::Refused)),
                probe("mx.a.example", 25, Outcome::Refused),
            ]
        };
        // Found, not named (defaults, --domain): addresses by value, IPv4
        // first, then names.
        let text = render(&report(probes()), Style::default());
        assert_eq!(
            hosts_in_table(&text),
            [
                "127.0.3.2",
                "127.0.3.10",
                "::9",
                "::10",
                "mx.a.example",
                "mx.b.example"
            ],
            "{text}"
        );
        // Named by the user: in their order.
        let mut r = report(probes());
        r.options.targets = ["mx.b.example", "127.0.3.10", "127.0.3.2"]
            .iter()
            .map(|h| mailport_shared::Target::new(*h, Role::RecipientMx))
            .collect();
        let text = render(&r, Style::default());
        assert_eq!(
            hosts_in_table(&text),
            [
                "mx.b.example",
                "127.0.3.10",
                "127.0.3.2",
                "::9",
                "::10",
                "mx.a.example"
            ],
            "{text}"
        );
    }

    #[test]
    fn evidence_once_per_port_strong_first() {
        let masked = "****************************";
        // Strong: two unrelated hosts masked alike, on both families.
        let r = report(vec![
            probe("mx.example.org", 25, banner(masked)),
            on(Family::Ipv6, probe("mx.example.org", 25, banner(masked))),
            probe("mx.example.net", 25, banner(masked)),
            on(Family::Ipv6, probe("mx.example.net", 25, banner(masked))),
            // Weak: a greeting name unrelated to the host, on IPv4 only.
            probe("mx.other.net", 25, banner("relay.isp.example ESMTP")),
        ]);
        let text = render(&r, Style::default());
        let masked_line = format!("! IPv4 and IPv6: the greeting is masked (\"220 {masked}\")");
        let weak_line = "· IPv4: mx.other.net greeted as relay.isp.example, a name unrelated to it";
        assert_eq!(text.matches("the greeting is masked").count(), 1, "{text}");
        let strong_at = text.find(&masked_line).expect(&text);
        let weak_at = text.find(weak_line).expect(&text);
        assert!(strong_at < weak_at, "strong evidence first: {text}");
        // Under the IPv4 row, before the IPv6 row: an IPv4 finding is
        // never printed under IPv6.
        let v4_line = text.find("  25   IPv4").expect(&text);
        let v6_line = text.find("  25   IPv6").expect(&text);
        assert!(v4_line < strong_at && weak_at < v6_line, "{text}");

        // One family: no family names.
        let r = report(vec![
            probe("mx.example.org", 25, banner(masked)),
            probe("mx.example.net", 25, banner(masked)),
        ]);
        let text = render(&r, Style::default());
        assert!(
            text.contains(&format!("! the greeting is masked (\"220 {masked}\")")),
            "{text}"
        );
    }

    #[test]
    fn a_check_where_no_name_resolved_says_so_once() {
        use mailport_shared::outcome::DnsFailure;
        let failed = || Outcome::DnsFailed {
            reason: DnsFailure::Timeout,
        };
        let mut probes = Vec::new();
        for host in ["mx.a.example", "mx.b.example", "smtp.c.example"] {
            for port in [25, 587] {
                probes.push(probe(host, port, failed()));
                probes.push(on(Family::Ipv6, probe(host, port, failed())));
            }
        }
        let r = report(probes);
        let text = render(&r, Style::default());
        assert_eq!(text.matches("DNS timed out").count(), 1, "{text}");
        assert!(
            text.contains("No probe made: none of the 3 hosts resolved (DNS timed out)."),
            "{text}"
        );
        assert!(!text.contains("HOST  "), "no empty table: {text}");
    }

    #[test]
    fn reflector_proofs_come_first_in_the_note() {
        use mailport_shared::reflector::ReflectorProof;
        let proof = |status, seen: Option<&str>| ReflectorProof {
            status,
            detail: "checked".into(),
            seen_address: seen.map(|a| a.parse().unwrap()),
            seen_port: None,
            listening: vec![],
            local_address: None,
            public_address: None,
        };
        let with = |p: ReflectorProof| {
            let mut r = probe(
                "reflector.example",
                25,
                banner("reflector.example ESMTP mailport-reflector; a long greeting that used to push the proof out of sight"),
            );
            if let Outcome::Banner(ex) = &mut r.outcome {
                ex.reflector = Some(Box::new(p));
            }
            r.spec.role = Role::Reflector;
            r
        };
        let genuine = with(proof(ProofStatus::Genuine, Some("192.0.2.10")));
        assert!(
            note(&genuine).starts_with("signed ✓ saw 192.0.2.10; 220 reflector.example"),
            "{}",
            note(&genuine)
        );
        let forged = with(proof(ProofStatus::Unverified, None));
        assert!(
            note(&forged).starts_with("NO signature: another server answered; 220 "),
            "{}",
            note(&forged)
        );
        let text = render(&report(vec![genuine]), Style::default());
        assert!(text.contains("signed ✓ saw 192.0.2.10"), "{text}");
    }
}
