//! The relay panel's "Test this relay with the agent": the request body the
//! page posts to the agent's `POST /v1/relay`, and the agent's answer as
//! rows of words. Pure, so it is tested natively; the wording is the
//! terminal's ([`mailport_shared::relay::words`]).
//!
//! The password is in the body and nowhere else: the panel keeps it in its
//! own component state (never in [`super::State`], the address, a share
//! link or `sessionStorage`), and this module only puts it into the JSON.

use mailport_shared::relay::step::{Judged, RelayReport, RelayVerdict, StepStatus};
use mailport_shared::relay::{self, check_address, words, RelaySpec};

/// What the panel's fields hold when the button is pressed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayFields {
    /// Relay host.
    pub host: String,
    /// Port, as typed.
    pub port: String,
    /// Login.
    pub user: String,
    /// Sender to try (optional, with `to`).
    pub from: String,
    /// Recipient to try (optional, with `from`).
    pub to: String,
}

/// The JSON body of `POST /v1/relay`, checked with the validators the
/// agent applies (so a typo is named here, before anything is sent).
pub fn request_body(fields: &RelayFields, password: &str) -> Result<String, String> {
    let spec = relay::port(fields.port.trim())
        .and_then(|port| RelaySpec::new(&fields.host, port, &fields.user))
        .map_err(|e| e.to_string())?;
    if password.is_empty() {
        return Err("Type the relay password to test the login.".into());
    }
    let mut body = serde_json::json!({
        "host": spec.host,
        "port": spec.port,
        "user": spec.user,
        "password": password,
    });
    match (fields.from.trim(), fields.to.trim()) {
        ("", "") => {}
        ("", _) | (_, "") => {
            return Err("Give both a sender and a recipient to try them, or neither.".into())
        }
        (from, to) => {
            body["from"] = check_address(from).map_err(|e| e.to_string())?.into();
            body["to"] = check_address(to).map_err(|e| e.to_string())?.into();
        }
    }
    Ok(mailport_shared::json::text_of(&body))
}

/// One step as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRow {
    /// The step's name ("STARTTLS", "AUTH"...).
    pub label: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// What was learned, and the server's first reply line (escaped by the agent).
    pub detail: String,
    /// How long it took.
    pub ms: u32,
}

/// The answer in words: a row per step, a headline and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayAnswer {
    /// Whether the relay works.
    pub works: bool,
    /// The steps that ran.
    pub rows: Vec<StepRow>,
    /// The verdict in one sentence.
    pub headline: String,
    /// The explanation of a problem (empty when it works).
    pub explain: String,
}

/// Reads the agent's report.
pub fn answer(report: &RelayReport) -> RelayAnswer {
    let rows = report
        .steps
        .iter()
        .map(|s| {
            let mut detail = s.detail.clone().unwrap_or_default();
            if let Some(r) = &s.reply {
                if !detail.is_empty() {
                    detail.push_str(" · ");
                }
                detail.push_str(&r.first_line());
            }
            StepRow {
                label: words::step_label(s.kind),
                passed: s.status == StepStatus::Passed,
                detail,
                ms: s.ms,
            }
        })
        .collect();
    let (headline, mut explain) = match &report.verdict {
        RelayVerdict::Works { envelope_tested } => (
            words::works_sentence(
                *envelope_tested,
                "Fill in a sender and a recipient to check that it accepts your sender address.",
            ),
            String::new(),
        ),
        RelayVerdict::Fails { problem } => (
            format!("Problem: {}.", words::problem_title(problem)),
            words::problem_explain(problem, report.port),
        ),
    };
    if report.verdict.judged() == Judged::Unjudged {
        explain = format!("{explain} {}", words::UNJUDGED).trim().to_string();
    }
    RelayAnswer {
        works: report.verdict.judged() == Judged::Works,
        rows,
        headline,
        explain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::outcome::Reply;
    use mailport_shared::relay::step::{Problem, Step, StepKind};

    fn fields() -> RelayFields {
        RelayFields {
            host: " smtp.example.org ".into(),
            port: "465".into(),
            user: "me@example.org".into(),
            ..Default::default()
        }
    }

    #[test]
    fn bodies() {
        let body = request_body(&fields(), "pa\"ss").expect("valid");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["host"], "smtp.example.org");
        assert_eq!(v["port"], 465);
        assert_eq!(v["user"], "me@example.org");
        assert_eq!(v["password"], "pa\"ss");
        assert!(v.get("from").is_none() && v.get("to").is_none());

        let mut with = fields();
        with.from = "me@example.org".into();
        with.to = "friend@example.net".into();
        let v: serde_json::Value =
            serde_json::from_str(&request_body(&with, "pw").expect("valid")).expect("json");
        assert_eq!(v["from"], "me@example.org");
        assert_eq!(v["to"], "friend@example.net");

        let bad = |f: RelayFields, pw: &str, want: &str| {
            let e = request_body(&f, pw).expect_err("refused");
            assert!(e.contains(want), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        };
        bad(
            RelayFields {
                port: "x".into(),
                ..fields()
            },
            "s3cret",
            "port number",
        );
        bad(
            RelayFields {
                host: "a b".into(),
                ..fields()
            },
            "s3cret",
            "",
        );
        bad(
            RelayFields {
                user: "".into(),
                ..fields()
            },
            "s3cret",
            "login",
        );
        bad(fields(), "", "password");
        bad(
            RelayFields {
                from: "me@example.org".into(),
                ..fields()
            },
            "s3cret",
            "both",
        );
        bad(
            RelayFields {
                from: "nope".into(),
                to: "a@b.example".into(),
                ..fields()
            },
            "s3cret",
            "not an e-mail",
        );
    }

    #[test]
    fn answers_in_the_terminal_words() {
        let reply = Reply {
            code: 535,
            lines: vec!["5.7.8 Authentication credentials invalid".into()],
        };
        let report = RelayReport {
            host: "smtp.example.org".into(),
            port: 587,
            user: "me@example.org".into(),
            steps: vec![
                Step {
                    kind: StepKind::StartTls,
                    status: StepStatus::Passed,
                    reply: None,
                    detail: Some("TLS 1.3".into()),
                    ms: 4,
                },
                Step {
                    kind: StepKind::Auth,
                    status: StepStatus::Failed,
                    reply: Some(reply.clone()),
                    detail: Some("PLAIN".into()),
                    ms: 9,
                },
            ],
            verdict: RelayVerdict::Fails {
                problem: Problem::AuthFailed { reply },
            },
        };
        let a = answer(&report);
        assert!(!a.works);
        assert_eq!(a.rows.len(), 2);
        assert_eq!((a.rows[0].label, a.rows[0].passed), ("STARTTLS", true));
        assert_eq!(a.rows[1].label, "AUTH");
        assert!(!a.rows[1].passed);
        assert!(
            a.rows[1].detail.starts_with("PLAIN · 535 5.7.8"),
            "{:?}",
            a.rows[1]
        );
        assert!(a.headline.contains("535"), "{}", a.headline);
        assert!(!a.explain.is_empty());

        let works = RelayReport {
            verdict: RelayVerdict::Works {
                envelope_tested: false,
            },
            steps: Vec::new(),
            ..report.clone()
        };
        let a = answer(&works);
        assert!(a.works);
        assert!(a.headline.contains("Fill in a sender"), "{}", a.headline);

        let dns = RelayReport {
            verdict: RelayVerdict::Fails {
                problem: Problem::DnsFailed {
                    detail: "No such name.".into(),
                },
            },
            ..report
        };
        assert!(answer(&dns).explain.ends_with(words::UNJUDGED));
    }
}
