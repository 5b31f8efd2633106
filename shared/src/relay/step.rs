//! What a relay test found, step by step, and the pure functions that
//! judge each server reply. The agent performs the exchange and records
//! replies; everything that *decides* (is this 535 a wrong password? may
//! the password be sent now?) is here, tested as tables.

use crate::outcome::{Outcome, Reply, TlsOutcome};
use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};

/// The steps of a relay test, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Resolving the relay's name.
    Resolve,
    /// The TCP connection.
    Connect,
    /// The TLS handshake on a port that starts with TLS (465).
    ImplicitTls,
    /// The server's greeting.
    Greeting,
    /// EHLO, and the extensions offered.
    Ehlo,
    /// STARTTLS and the handshake after it.
    StartTls,
    /// The certificate against the relay's name.
    Certificate,
    /// EHLO again over TLS (the extensions may differ).
    EhloTls,
    /// AUTH with the login.
    Auth,
    /// MAIL FROM with the sender given.
    MailFrom,
    /// RCPT TO with the recipient given.
    RcptTo,
}

/// How one step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done and fine.
    Passed,
    /// This step is where the test stopped.
    Failed,
}

/// One step that ran, with the server's reply to it when there was one
/// (already escaped by the reader) and a detail in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Which step.
    pub kind: StepKind,
    /// How it went.
    pub status: StepStatus,
    /// The server's reply, when the step had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// What was learned (the address connected to, the TLS version, the
    /// mechanism used...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How long the step took, in milliseconds.
    pub ms: u32,
}

/// A SASL mechanism the client can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Mechanism {
    /// RFC 4616: one message with the login and the password.
    Plain,
    /// The de facto LOGIN exchange: login, then password, each base64.
    Login,
}

impl Mechanism {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
        }
    }
}

/// Why the relay cannot be used as it stands: the first step that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The name did not resolve.
    DnsFailed {
        /// The resolver's answer in words.
        detail: String,
    },
    /// No connection: the network's verdict on the port says why.
    PortBlocked {
        /// What the connect attempt met (timed out = dropped, refused, ICMP...).
        outcome: Box<Outcome>,
    },
    /// Connected, but no SMTP greeting: silence, a close, garbage.
    NoGreeting {
        /// What came instead.
        outcome: Box<Outcome>,
    },
    /// The greeting was not 220: the server refuses service.
    ServiceRefused {
        /// The greeting.
        reply: Reply,
    },
    /// EHLO was refused.
    EhloRefused {
        /// The reply.
        reply: Reply,
    },
    /// The server does not offer STARTTLS: the password would travel in
    /// clear text, so it is not sent.
    TlsNotOffered,
    /// STARTTLS was offered and then refused.
    StartTlsRefused {
        /// The reply.
        reply: Reply,
    },
    /// The TLS handshake failed.
    TlsFailed {
        /// rustls' words.
        error: String,
    },
    /// The certificate does not chain to a trusted root.
    CertificateUntrusted {
        /// The names in it.
        names: Vec<String>,
    },
    /// The certificate is trusted but made out for other names.
    CertificateWrongName {
        /// The names in it.
        names: Vec<String>,
    },
    /// The server offers no AUTH at all (on this connection).
    AuthNotOffered,
    /// AUTH is offered, but neither PLAIN nor LOGIN.
    NoUsableMechanism {
        /// What is offered.
        offered: Vec<String>,
    },
    /// 535: the login or password is wrong.
    AuthFailed {
        /// The reply.
        reply: Reply,
    },
    /// 534: the provider wants another way to log in (an app password,
    /// OAuth), or a stronger mechanism.
    AuthNeedsOther {
        /// The reply.
        reply: Reply,
    },
    /// 4xx to AUTH: try again later.
    AuthTemporary {
        /// The reply.
        reply: Reply,
    },
    /// Any other refusal of AUTH.
    AuthRefused {
        /// The reply.
        reply: Reply,
    },
    /// MAIL FROM refused (550, 553, 554...): this login may not send as that sender.
    SenderRefused {
        /// The reply.
        reply: Reply,
    },
    /// RCPT TO refused: the relay will not take mail for that recipient.
    RecipientRefused {
        /// The reply.
        reply: Reply,
    },
    /// A 4xx to MAIL FROM or RCPT TO: refused for now.
    Deferred {
        /// At which step.
        during: StepKind,
        /// The reply.
        reply: Reply,
    },
    /// No reply in time.
    Timeout {
        /// At which step.
        during: StepKind,
    },
    /// The connection ended, or what came was not SMTP.
    ConnectionLost {
        /// At which step.
        during: StepKind,
        /// What happened, in words.
        detail: String,
    },
}

/// The answer of the whole test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RelayVerdict {
    /// Every step passed: the relay takes this login (and the sender and
    /// recipient, when they were given).
    Works {
        /// Whether MAIL FROM and RCPT TO were tried.
        envelope_tested: bool,
    },
    /// The test stopped at a problem.
    Fails {
        /// The problem.
        problem: Problem,
    },
}

/// What a relay test found. Holds no password, by construction: nothing
/// that reaches this type ever saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayReport {
    /// The relay host as given.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The login.
    pub user: String,
    /// The steps that ran.
    pub steps: Vec<Step>,
    /// The conclusion.
    pub verdict: RelayVerdict,
}

/// What a script should make of a verdict (the exit code classes of
/// `mailport check`: 0 works, 1 does not, 3 could not be judged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judged {
    /// The relay works.
    Works,
    /// It does not, and the report says why.
    Fails,
    /// Nothing left this machine that could tell: DNS failed, no route,
    /// a local error.
    Unjudged,
}

impl RelayVerdict {
    /// The exit-code class.
    pub fn judged(&self) -> Judged {
        match self {
            RelayVerdict::Works { .. } => Judged::Works,
            RelayVerdict::Fails {
                problem: Problem::DnsFailed { .. },
            } => Judged::Unjudged,
            RelayVerdict::Fails {
                problem: Problem::PortBlocked { outcome },
            } if matches!(
                **outcome,
                Outcome::NoRoute { .. } | Outcome::LocalError { .. }
            ) =>
            {
                Judged::Unjudged
            }
            RelayVerdict::Fails { .. } => Judged::Fails,
        }
    }
}

/// The problem of a failed connect (`outcome` is the probe's
/// classification of the OS error, or `Filtered` for a timeout).
pub fn connect_problem(outcome: Outcome) -> Problem {
    Problem::PortBlocked {
        outcome: Box::new(outcome),
    }
}

/// A greeting other than 220 refuses service.
pub fn judge_greeting(reply: &Reply) -> Result<(), Problem> {
    if reply.code == 220 {
        Ok(())
    } else {
        Err(Problem::ServiceRefused {
            reply: reply.clone(),
        })
    }
}

/// Whether an EHLO extension list offers `keyword` (STARTTLS, AUTH...).
pub fn offers(extensions: &[String], keyword: &str) -> bool {
    extensions.iter().any(|e| {
        e.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

/// The SASL mechanisms of `AUTH ...` (and the old `AUTH=...` form).
pub fn auth_mechanisms(extensions: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in extensions {
        let upper = e.to_ascii_uppercase();
        let rest = upper
            .strip_prefix("AUTH ")
            .or_else(|| upper.strip_prefix("AUTH="));
        for m in rest.into_iter().flat_map(str::split_whitespace) {
            if !out.iter().any(|x| x == m) {
                out.push(m.to_string());
            }
        }
    }
    out
}

/// The mechanism to use: PLAIN (one round trip) before LOGIN. Both send the
/// password itself, which is why the client only gets here over verified TLS.
pub fn choose_mechanism(extensions: &[String]) -> Result<Mechanism, Problem> {
    let offered = auth_mechanisms(extensions);
    if offered.is_empty() {
        return Err(Problem::AuthNotOffered);
    }
    if offered.iter().any(|m| m == "PLAIN") {
        Ok(Mechanism::Plain)
    } else if offered.iter().any(|m| m == "LOGIN") {
        Ok(Mechanism::Login)
    } else {
        Err(Problem::NoUsableMechanism { offered })
    }
}

/// Whether the password may be sent over this TLS session: the certificate
/// must chain to a trusted root and name the relay. A failed check stops the
/// test before AUTH: a password is not a thing to hand to an impostor.
pub fn judge_certificate(tls: &TlsOutcome) -> Result<(), Problem> {
    match tls {
        TlsOutcome::Established {
            trusted: true,
            name_matches: true,
            ..
        } => Ok(()),
        TlsOutcome::Established {
            trusted: false,
            names,
            ..
        } => Err(Problem::CertificateUntrusted {
            names: names.clone(),
        }),
        TlsOutcome::Established { names, .. } => Err(Problem::CertificateWrongName {
            names: names.clone(),
        }),
        TlsOutcome::Failed { error } => Err(Problem::TlsFailed {
            error: error.clone(),
        }),
    }
}

/// The final reply to AUTH.
pub fn judge_auth(reply: &Reply) -> Result<(), Problem> {
    let r = || reply.clone();
    match reply.code {
        235 => Ok(()),
        535 => Err(Problem::AuthFailed { reply: r() }),
        534 | 538 => Err(Problem::AuthNeedsOther { reply: r() }),
        400..=499 => Err(Problem::AuthTemporary { reply: r() }),
        _ => Err(Problem::AuthRefused { reply: r() }),
    }
}

/// The reply to MAIL FROM.
pub fn judge_mail_from(reply: &Reply) -> Result<(), Problem> {
    match reply.code {
        250 => Ok(()),
        400..=499 => Err(Problem::Deferred {
            during: StepKind::MailFrom,
            reply: reply.clone(),
        }),
        _ => Err(Problem::SenderRefused {
            reply: reply.clone(),
        }),
    }
}

/// The reply to RCPT TO (251 "will forward" is an acceptance). Postfix
/// delays its sender checks to RCPT TO (`smtpd_delay_reject = yes`, the
/// default), so a refusal there that names the sender ("Sender address
/// rejected: not owned by user") is the sender's, not the recipient's.
pub fn judge_rcpt_to(reply: &Reply) -> Result<(), Problem> {
    let about_sender = reply
        .lines
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("sender"));
    match reply.code {
        250 | 251 => Ok(()),
        400..=499 => Err(Problem::Deferred {
            during: StepKind::RcptTo,
            reply: reply.clone(),
        }),
        _ if about_sender => Err(Problem::SenderRefused {
            reply: reply.clone(),
        }),
        _ => Err(Problem::RecipientRefused {
            reply: reply.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16) -> Reply {
        Reply {
            code,
            lines: vec!["text".into()],
        }
    }

    fn kind(p: &Problem) -> &'static str {
        match p {
            Problem::AuthFailed { .. } => "auth failed",
            Problem::AuthNeedsOther { .. } => "needs other",
            Problem::AuthTemporary { .. } => "temporary",
            Problem::AuthRefused { .. } => "refused",
            Problem::SenderRefused { .. } => "sender refused",
            Problem::RecipientRefused { .. } => "recipient refused",
            Problem::Deferred { .. } => "deferred",
            _ => "other",
        }
    }

    #[test]
    fn auth_replies() {
        let cases = [
            (235, "ok"),
            (535, "auth failed"),
            (534, "needs other"),
            (538, "needs other"),
            (454, "temporary"),
            (421, "temporary"),
            (504, "refused"),
            (530, "refused"),
        ];
        for (code, want) in cases {
            let got = judge_auth(&reply(code)).map_or_else(|p| kind(&p), |()| "ok");
            assert_eq!(got, want, "{code}");
        }
    }

    #[test]
    fn envelope_replies() {
        let cases = [
            (250, "ok", "ok"),
            (251, "sender refused", "ok"),
            (550, "sender refused", "recipient refused"),
            (553, "sender refused", "recipient refused"),
            (554, "sender refused", "recipient refused"),
            (530, "sender refused", "recipient refused"),
            (450, "deferred", "deferred"),
            (451, "deferred", "deferred"),
        ];
        for (code, mail, rcpt) in cases {
            let m = judge_mail_from(&reply(code)).map_or_else(|p| kind(&p), |()| "ok");
            let r = judge_rcpt_to(&reply(code)).map_or_else(|p| kind(&p), |()| "ok");
            assert_eq!((m, r), (mail, rcpt), "{code}");
        }
    }

    #[test]
    fn a_delayed_sender_refusal_is_the_senders() {
        let text = |code: u16, t: &str| Reply {
            code,
            lines: vec![t.into()],
        };
        let cases = [
            (
                text(
                    553,
                    "5.7.1 <m@x.example>: Sender address rejected: not owned by user a@x.example",
                ),
                "sender refused",
            ),
            (
                text(554, "5.7.1 <b@y.example>: Relay access denied"),
                "recipient refused",
            ),
            (
                text(
                    550,
                    "5.1.1 <b@y.example>: Recipient address rejected: User unknown",
                ),
                "recipient refused",
            ),
            (
                text(450, "4.7.1 Sender address rejected: try later"),
                "deferred",
            ),
        ];
        for (r, want) in cases {
            let got = judge_rcpt_to(&r).map_or_else(|p| kind(&p), |()| "ok");
            assert_eq!(got, want, "{r:?}");
        }
    }

    #[test]
    fn mechanisms() {
        let ext = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: &[(&[&str], Result<Mechanism, &str>)] = &[
            (&["AUTH PLAIN LOGIN"], Ok(Mechanism::Plain)),
            (&["AUTH LOGIN PLAIN"], Ok(Mechanism::Plain)),
            (&["AUTH login"], Ok(Mechanism::Login)),
            (&["AUTH=LOGIN"], Ok(Mechanism::Login)),
            (&["AUTH CRAM-MD5 XOAUTH2"], Err("no usable")),
            (&["SIZE 100", "STARTTLS"], Err("not offered")),
            (&[], Err("not offered")),
        ];
        for (e, want) in cases {
            let got = choose_mechanism(&ext(e)).map_err(|p| match p {
                Problem::AuthNotOffered => "not offered",
                Problem::NoUsableMechanism { .. } => "no usable",
                _ => "other",
            });
            assert_eq!(got, *want, "{e:?}");
        }
        assert!(offers(&ext(&["STARTTLS", "AUTH PLAIN"]), "starttls"));
        assert!(!offers(&ext(&["X-STARTTLS"]), "STARTTLS"));
        assert_eq!(
            auth_mechanisms(&ext(&["AUTH PLAIN", "AUTH=PLAIN LOGIN"])),
            vec!["PLAIN", "LOGIN"]
        );
    }

    #[test]
    fn certificates() {
        let est = |trusted, name_matches| TlsOutcome::Established {
            version: "TLSv1.3".into(),
            cipher: "x".into(),
            trusted,
            name_matches,
            names: vec!["other.example".into()],
        };
        assert_eq!(judge_certificate(&est(true, true)), Ok(()));
        assert!(matches!(
            judge_certificate(&est(true, false)),
            Err(Problem::CertificateWrongName { .. })
        ));
        assert!(matches!(
            judge_certificate(&est(false, false)),
            Err(Problem::CertificateUntrusted { .. })
        ));
        assert!(matches!(
            judge_certificate(&est(false, true)),
            Err(Problem::CertificateUntrusted { .. })
        ));
        assert!(matches!(
            judge_certificate(&TlsOutcome::Failed { error: "x".into() }),
            Err(Problem::TlsFailed { .. })
        ));
    }

    #[test]
    fn exit_classes() {
        let fails = |problem| RelayVerdict::Fails { problem }.judged();
        assert_eq!(
            RelayVerdict::Works {
                envelope_tested: false
            }
            .judged(),
            Judged::Works
        );
        assert_eq!(
            fails(Problem::DnsFailed { detail: "x".into() }),
            Judged::Unjudged
        );
        assert_eq!(
            fails(connect_problem(Outcome::NoRoute { detail: "x".into() })),
            Judged::Unjudged
        );
        assert_eq!(
            fails(connect_problem(Outcome::LocalError { detail: "x".into() })),
            Judged::Unjudged
        );
        assert_eq!(fails(connect_problem(Outcome::Filtered)), Judged::Fails);
        assert_eq!(fails(connect_problem(Outcome::Refused)), Judged::Fails);
        assert_eq!(
            fails(Problem::AuthFailed { reply: reply(535) }),
            Judged::Fails
        );
        assert_eq!(fails(Problem::TlsNotOffered), Judged::Fails);
    }

    #[test]
    fn greetings() {
        assert_eq!(judge_greeting(&reply(220)), Ok(()));
        assert!(matches!(
            judge_greeting(&reply(554)),
            Err(Problem::ServiceRefused { .. })
        ));
        assert!(matches!(
            judge_greeting(&reply(421)),
            Err(Problem::ServiceRefused { .. })
        ));
    }
}
