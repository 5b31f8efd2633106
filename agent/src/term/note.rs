//! The DETAIL column of the probe table: what answered, in one short line
//! (the reflector's proof first, the greeting and TLS, or the error), cut to
//! the column's width.

use mailport_shared::outcome::{DnsFailure, EhloOutcome, TlsOutcome};
use mailport_shared::reflector::ProofStatus;
use mailport_shared::{Outcome, ProbeResult, Role};
use std::fmt::Write;

/// A short note on what answered: the greeting and TLS, or the error
/// detail. A reflector's proof comes first: it is what that row is for, and
/// the note is cut to the column's width.
pub fn note(p: &ProbeResult) -> String {
    match &p.outcome {
        Outcome::Banner(ex) => {
            let mut s = String::new();
            match ex.reflector.as_deref() {
                Some(proof) if proof.genuine() => {
                    s.push_str("signed ✓");
                    if let Some(seen) = proof.seen_address {
                        let _ = write!(s, " saw {seen}");
                    }
                    s.push_str("; ");
                }
                Some(proof) if proof.status == ProofStatus::Busy => {
                    s.push_str("reflector busy: nothing proved; ")
                }
                Some(_) => s.push_str("NO signature: another server answered; "),
                None => {}
            }
            s.push_str(&ex.greeting.first_line());
            if let EhloOutcome::Rejected { reply } = &ex.ehlo {
                let _ = write!(s, "; EHLO refused ({})", reply.code);
            }
            if let Some(failure) = ex.ehlo.failure() {
                let _ = write!(s, "; {failure}");
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
            s
        }
        Outcome::NotSmtp { first_bytes } => first_bytes.clone(),
        Outcome::PortTester { reply } => reply.describe(),
        Outcome::Unreachable { detail }
        | Outcome::LocalFirewall { detail }
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

pub(super) fn role_short(role: Role) -> &'static str {
    match role {
        Role::RecipientMx => "MX",
        Role::Submission => "submission",
        Role::OwnHost => "yours",
        Role::PortEcho => "port echo",
        Role::Reflector => "reflector",
        Role::Custom => "host",
    }
}

/// The widest a probe's note is shown: a greeting can be 1000 bytes.
pub(super) const NOTE_WIDTH: usize = 80;

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
