//! The human-readable report for the terminal.
//!
//! Plain text with optional ANSI colour (only when stdout is a terminal):
//! a table of probes, the headline, one line per port verdict, then the
//! numbered advice. Everything shown that came from the network was escaped
//! when it was read, so a server cannot drive the user's terminal.

use mailport_shared::classify::Verdict;
use mailport_shared::netinfo;
use mailport_shared::outcome::{DnsFailure, EhloOutcome, TlsOutcome};
use mailport_shared::reflector::ProofStatus;
use mailport_shared::{Outcome, ProbeResult, Report, Role};
use std::fmt::Write;

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
        Outcome::Banner(_) => Tone::Good,
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

/// A short note on what answered: the greeting and TLS, or the error detail.
pub fn note(p: &ProbeResult) -> String {
    match &p.outcome {
        Outcome::Banner(ex) => {
            let mut s = ex.greeting.first_line();
            if let EhloOutcome::Rejected { reply } = &ex.ehlo {
                let _ = write!(s, "; EHLO refused ({})", reply.code);
            }
            match &ex.tls {
                Some(TlsOutcome::Established {
                    version,
                    trusted,
                    name_matches,
                    ..
                }) => {
                    let how = if ex.implicit_tls { "TLS" } else { "STARTTLS" };
                    let cert = match (trusted, name_matches) {
                        (true, true) => "valid cert",
                        (true, false) => "cert for another name",
                        (false, true) => "untrusted cert",
                        (false, false) => "untrusted cert for another name",
                    };
                    let _ = write!(s, "; {how} {version}, {cert}");
                }
                Some(TlsOutcome::Failed { error }) => {
                    let _ = write!(s, "; TLS failed: {error}");
                }
                None if ex.starttls_offered() => s.push_str("; STARTTLS offered"),
                None => {}
            }
            if let Some(proof) = &ex.reflector {
                match proof.seen_address {
                    Some(seen) if proof.genuine() => {
                        let _ = write!(s, "; reflector signature valid (it saw {seen})");
                    }
                    _ if proof.status == ProofStatus::Busy => {
                        s.push_str("; reflector busy: nothing proved");
                    }
                    _ => s.push_str("; NO valid reflector signature: another server answered"),
                }
            }
            s
        }
        Outcome::NotSmtp { first_bytes } => first_bytes.clone(),
        Outcome::Unreachable { detail }
        | Outcome::NoRoute { detail }
        | Outcome::LocalError { detail } => detail.clone(),
        Outcome::TlsFailed { error } => error.clone(),
        Outcome::DnsFailed { reason } => match reason {
            DnsFailure::NxDomain => "no such name".into(),
            DnsFailure::NoAddress => "no address of this family".into(),
            DnsFailure::Timeout => "DNS timed out".into(),
            DnsFailure::Forbidden { address } => {
                format!("{address} is not public (use --allow-private)")
            }
            DnsFailure::Other { detail } => detail.clone(),
        },
        _ => String::new(),
    }
}

fn role_short(role: Role) -> &'static str {
    match role {
        Role::RecipientMx => "MX",
        Role::Submission => "submission",
        Role::OwnHost => "yours",
        Role::PortEcho => "port echo",
        Role::Reflector => "reflector",
        Role::Custom => "host",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// Renders the whole report.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let mut probes: Vec<&ProbeResult> = report.probes.iter().collect();
    let order = |p: &ProbeResult| {
        (
            p.spec.role,
            p.spec.host.clone(),
            mailport_shared::MAIL_PORTS
                .iter()
                .position(|x| *x == p.spec.port)
                .unwrap_or(usize::MAX),
            p.spec.port,
            p.spec.family,
        )
    };
    probes.sort_by_key(|p| order(p));
    let host_w = probes
        .iter()
        .map(|p| p.spec.host.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    let _ = writeln!(
        out,
        "{}",
        style.paint(
            Tone::Bold,
            &format!(
                "{}  {}  {}  {}  {}  {}  {}",
                pad("HOST", host_w),
                pad("AS", 10),
                pad("PORT", 4),
                pad("IP", 4),
                pad("RESULT", 13),
                pad("MS", 6),
                "DETAIL"
            )
        )
    );
    for p in &probes {
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
            style.paint(Tone::Dim, &truncate(&note(p), 70)),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.paint(Tone::Bold, &report.headline));
    let _ = writeln!(out);
    for v in &report.verdicts {
        let label = pad(v.verdict.label(), 18);
        let _ = writeln!(
            out,
            "  {} {}  {}  {}",
            pad(&v.port.to_string(), 4),
            pad(&v.family.to_string(), 4),
            style.paint(verdict_tone(&v.verdict), &label),
            v.why
        );
        for e in &v.evidence {
            let _ = writeln!(
                out,
                "  {}  {}",
                " ".repeat(29),
                style.paint(Tone::Warn, &format!("! {}", e.detail))
            );
        }
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
        for (i, a) in report.advice.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, style.paint(Tone::Bold, &a.title));
            let _ = writeln!(out, "     {}", a.why);
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        style.paint(
            Tone::Dim,
            &format!(
                "{} probes in {}. Measured outbound from this machine; incoming mail is another question.",
                report.probes.len(),
                report.duration_text()
            )
        )
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::advice::Context;
    use mailport_shared::outcome::{Reply, SmtpExchange};
    use mailport_shared::report::Conclusion;
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
        }
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
        assert!(lines[0].starts_with("HOST"), "{text}");
        assert!(lines[1].starts_with("mx1.example  MX"), "{text}");
        assert!(lines[1].contains("timed out"), "{text}");
        assert!(text.contains(&r.headline), "{text}");
        assert!(text.contains("blocked (dropped)"), "{text}");
        assert!(text.contains("What to do\n  1. "), "{text}");
        assert!(text.contains("2 probes in 1.5 s."), "{text}");
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
}
