//! A relay test in plain words: one line per step, then what failed and
//! what to do about it. Deciding is in [`super::step`]; this only says it.

use super::step::{Judged, Problem, RelayReport, RelayVerdict, StepKind, StepStatus};
use crate::outcome::{Outcome, Reply};

/// The name of a step, as a line starts.
pub fn step_label(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Resolve => "resolve",
        StepKind::Connect => "connect",
        StepKind::ImplicitTls => "TLS (implicit)",
        StepKind::Greeting => "greeting",
        StepKind::Ehlo => "EHLO",
        StepKind::StartTls => "STARTTLS",
        StepKind::Certificate => "certificate",
        StepKind::EhloTls => "EHLO over TLS",
        StepKind::Auth => "AUTH",
        StepKind::MailFrom => "MAIL FROM",
        StepKind::RcptTo => "RCPT TO",
    }
}

fn said(reply: &Reply) -> String {
    format!(
        "the server said \"{}\"",
        reply
            .lines
            .iter()
            .map(|l| format!("{} {l}", reply.code))
            .collect::<Vec<_>>()
            .join(" / ")
    )
}

/// A short title for the problem: what a user would call it.
pub fn problem_title(p: &Problem) -> String {
    match p {
        Problem::DnsFailed { .. } => "the relay's name does not resolve".into(),
        Problem::PortBlocked { outcome } => match outcome.as_ref() {
            Outcome::Filtered => "port blocked (dropped)".into(),
            Outcome::Refused => "port closed or blocked (refused)".into(),
            Outcome::Unreachable { .. } => "port blocked (rejected)".into(),
            Outcome::NoRoute { .. } => "no route from this machine".into(),
            Outcome::LocalError { .. } => "this machine could not connect".into(),
            other => format!("no connection ({})", other.label()),
        },
        Problem::NoGreeting { outcome } => format!("no SMTP greeting ({})", outcome.label()),
        Problem::ServiceRefused { .. } => "the relay refuses service".into(),
        Problem::EhloRefused { .. } => "EHLO refused".into(),
        Problem::TlsNotOffered => "TLS required, but the server does not offer STARTTLS".into(),
        Problem::StartTlsRefused { .. } => "STARTTLS refused".into(),
        Problem::TlsFailed { .. } => "TLS handshake failed".into(),
        Problem::CertificateUntrusted { .. } => "certificate not trusted".into(),
        Problem::CertificateWrongName { .. } => "certificate for another name".into(),
        Problem::AuthNotOffered => "the server offers no authentication".into(),
        Problem::NoUsableMechanism { .. } => "no authentication mechanism in common".into(),
        Problem::AuthFailed { .. } => "authentication failed (535)".into(),
        Problem::AuthNeedsOther { .. } => "the provider refuses this kind of login".into(),
        Problem::AuthTemporary { .. } => "authentication failed for now (temporary)".into(),
        Problem::AuthRefused { .. } => "authentication refused".into(),
        Problem::SenderRefused { reply } => format!("sender not allowed ({})", reply.code),
        Problem::RecipientRefused { reply } => format!("recipient refused ({})", reply.code),
        Problem::Deferred { during, .. } => format!("{} deferred (temporary)", step_label(*during)),
        Problem::Timeout { during } => format!("no answer to {} in time", step_label(*during)),
        Problem::ConnectionLost { during, .. } => {
            format!("connection lost at {}", step_label(*during))
        }
    }
}

/// What the problem means and what to do, in sentences.
pub fn problem_explain(p: &Problem, port: u16) -> String {
    match p {
        Problem::DnsFailed { detail } => format!("{detail} Check the host name; nothing was tested."),
        Problem::PortBlocked { outcome } => {
            let why = outcome.explain();
            let what = match outcome.as_ref() {
                Outcome::Filtered => format!(" Your network (or a firewall) drops port {port}, or the relay is down. Try the relay's other port (587, 465 or 2525) or run `mailport check` to see which ports this network lets through."),
                Outcome::Refused => format!(" The relay does not listen on port {port}, or something on the way rejects it. Check the port in your provider's instructions."),
                Outcome::Unreachable { .. } => format!(" Port {port} is rejected on the way; try another port."),
                _ => String::new(),
            };
            format!("{why}{what}")
        }
        Problem::NoGreeting { outcome } => format!("{} Is this the right port for this relay?", outcome.explain()),
        Problem::ServiceRefused { reply } => format!("The relay does not want this connection: {}. Some relays refuse whole address ranges (home lines, blocklisted addresses).", said(reply)),
        Problem::EhloRefused { reply } => format!("The relay refused EHLO: {}.", said(reply)),
        Problem::TlsNotOffered => format!("Port {port} is reached in plain text and the server does not offer STARTTLS, so the password was not sent (it would travel unencrypted). Use the relay's TLS port (465 or 587), or check for something on your network that strips STARTTLS."),
        Problem::StartTlsRefused { reply } => format!("The relay offered STARTTLS, then refused it: {}.", said(reply)),
        Problem::TlsFailed { error } => format!("The TLS handshake failed: {error}."),
        Problem::CertificateUntrusted { names } => format!("The certificate does not chain to a trusted authority (it names {}). The password was not sent. A self-signed relay needs --ca-file; an unexpected certificate may mean something intercepts the connection.", names_or_none(names)),
        Problem::CertificateWrongName { names } => format!("The certificate is made out for {}, not for the relay's name, so the password was not sent. Use the host name the certificate names (your provider's documented relay name).", names_or_none(names)),
        Problem::AuthNotOffered => "The server does not offer AUTH on this connection: it may not be a submission server, or it accepts logins only on another port.".into(),
        Problem::NoUsableMechanism { offered } => format!("The server offers {} but not PLAIN or LOGIN, which mail servers use for a relay login.", offered.join(", ")),
        Problem::AuthFailed { reply } => format!("The login or password is wrong: {}. Check both; some providers need an app password or the full e-mail address as the login.", said(reply)),
        Problem::AuthNeedsOther { reply } => format!("The relay wants another kind of login: {}. Providers such as Gmail and Outlook need an app password, or have turned off password logins.", said(reply)),
        Problem::AuthTemporary { reply } => format!("The relay could not check the login just now: {}. Try again later.", said(reply)),
        Problem::AuthRefused { reply } => format!("AUTH was refused: {}.", said(reply)),
        Problem::SenderRefused { reply } => format!("The relay does not let this login send as that sender: {}. Use an address of your account (or a domain you verified with the provider).", said(reply)),
        Problem::RecipientRefused { reply } => format!("The relay refused the recipient: {}.", said(reply)),
        Problem::Deferred { reply, .. } => format!("The relay refused for now: {}. Try again later.", said(reply)),
        Problem::Timeout { during } => format!("The relay did not answer {} in time.", step_label(*during)),
        Problem::ConnectionLost { detail, .. } => format!("{detail}."),
    }
}

fn names_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no name".into()
    } else {
        names.join(", ")
    }
}

/// The verdict of a relay that works. `how_to_add` tells how to test the
/// sender and recipient too (the terminal's flags, the page's fields), and
/// is said only when they were not tested.
pub fn works_sentence(envelope_tested: bool, how_to_add: &str) -> String {
    if envelope_tested {
        "The relay works: it accepted the login, the sender and the recipient.".into()
    } else {
        format!("The relay works: it accepted the login. {how_to_add}")
    }
}

/// Said under a report nothing could be tested for (the name did not
/// resolve, no route).
pub const UNJUDGED: &str = "Nothing could be tested from here.";

/// The whole report as terminal text: one line per step, then the verdict.
pub fn render(report: &RelayReport) -> String {
    let mut out = format!(
        "Relay test: {}:{} as {} (no mail is sent)\n",
        report.host, report.port, report.user
    );
    for s in &report.steps {
        let mark = match s.status {
            StepStatus::Passed => "ok  ",
            StepStatus::Failed => "FAIL",
        };
        let mut line = format!("  {mark} {:<15}", step_label(s.kind));
        if let Some(d) = &s.detail {
            line.push(' ');
            line.push_str(d);
        }
        if let Some(r) = &s.reply {
            line.push_str(&format!("  [{}]", r.first_line()));
        }
        line.push_str(&format!("  ({} ms)", s.ms));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    match &report.verdict {
        RelayVerdict::Works { envelope_tested } => {
            out.push('\n');
            out.push_str(&works_sentence(
                *envelope_tested,
                "Add --from and --to to check that it accepts your sender address.",
            ));
            out.push('\n');
        }
        RelayVerdict::Fails { problem } => {
            out.push_str(&format!(
                "\nProblem: {}.\n{}\n",
                problem_title(problem),
                problem_explain(problem, report.port)
            ));
        }
    }
    if report.verdict.judged() == Judged::Unjudged {
        out.push_str(UNJUDGED);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::step::Step;

    #[test]
    fn network_verdicts_are_named() {
        let cases = [
            (Outcome::Filtered, "port blocked (dropped)", "dropped"),
            (
                Outcome::Refused,
                "port closed or blocked (refused)",
                "refused",
            ),
        ];
        for (o, title, word) in cases {
            let p = crate::relay::step::connect_problem(o);
            assert_eq!(problem_title(&p), title);
            assert!(problem_explain(&p, 587).contains(word));
        }
    }

    #[test]
    fn report_text() {
        let r = RelayReport {
            host: "smtp.example.org".into(),
            port: 587,
            user: "me@example.org".into(),
            steps: vec![Step {
                kind: StepKind::Auth,
                status: StepStatus::Failed,
                reply: Some(Reply {
                    code: 535,
                    lines: vec!["5.7.8 bad \\x1b[31m".into()],
                }),
                detail: Some("PLAIN".into()),
                ms: 3,
            }],
            verdict: RelayVerdict::Fails {
                problem: Problem::AuthFailed {
                    reply: Reply {
                        code: 535,
                        lines: vec!["5.7.8 bad \\x1b[31m".into()],
                    },
                },
            },
        };
        let text = render(&r);
        assert!(text.contains("FAIL AUTH"), "{text}");
        assert!(text.contains("authentication failed (535)"), "{text}");
        assert!(text.contains("535 5.7.8 bad \\x1b[31m"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
    }
}
