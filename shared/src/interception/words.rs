//! The findings in words: what was seen, then how it reads once weighed. A
//! note about one host gives the innocent explanation too, so that it does
//! not read as an accusation. Nothing here changes a finding's weight.

use super::findings::Seen;
use crate::probe::ProbeResult;
use crate::text::and_list;

/// A finding in words: what was seen, then how it reads once weighed.
struct Words {
    seen: String,
    /// Appended when the finding is strong.
    if_strong: &'static str,
    /// Appended when it is a note.
    if_weak: &'static str,
}

impl From<String> for Words {
    fn from(seen: String) -> Words {
        Words {
            seen,
            if_strong: "",
            if_weak: "",
        }
    }
}

/// What was seen, read one way if strong and another if a note.
fn words(seen: String, if_strong: &'static str, if_weak: &'static str) -> Words {
    Words {
        seen,
        if_strong,
        if_weak,
    }
}

/// The detail shown for a finding on probe `p`, once weighed: `strong`
/// reads as an accusation, otherwise as a note that names the host when
/// the words describe only what answered (`names_host_if_weak`).
pub(super) fn detail(
    seen: &Seen,
    p: &ProbeResult,
    strong: bool,
    names_host_if_weak: bool,
) -> String {
    let Words {
        seen,
        if_strong,
        if_weak,
    } = words_for(seen, p);
    if strong {
        format!("{seen}{if_strong}")
    } else if names_host_if_weak {
        format!("{}: {seen}{if_weak}", p.spec.host)
    } else {
        format!("{seen}{if_weak}")
    }
}

fn words_for(seen: &Seen, p: &ProbeResult) -> Words {
    let host = &p.spec.host;
    let port = p.spec.port;
    match seen {
        Seen::MaskedGreeting(line) => words(
            format!("the greeting is masked (\"{line}\")"),
            "",
            "; a firewall in front of that server may do this",
        ),
        Seen::EhloRefused(reply) => words(
            format!("EHLO was refused with \"{reply}\""),
            "",
            "; that server may simply not support EHLO",
        ),
        Seen::EhloCutOff(how) => words(
            format!("{host} greeted normally, then {how}"),
            ": a filter on the path cuts SMTP sessions",
            "; that server may do this itself",
        ),
        Seen::SmtpFromNonSmtpHost(greeting) => format!(
            "{host} does not run a mail server, yet port {port} answered \"{greeting}\""
        )
        .into(),
        Seen::CertificateMismatch(names) => words(
            format!(
                "the TLS certificate is for {} and not for {host}",
                if names.is_empty() {
                    "no name".to_string()
                } else {
                    names.join(", ")
                }
            ),
            "",
            "; many servers show their hosting company's certificate or a self-signed one",
        ),
        Seen::UntrustedCertificate => words(
            format!(
                "the TLS certificate of {host} names it but is not signed by a trusted authority"
            ),
            ": a proxy re-signs the connection",
            ": a self-signed certificate, or a proxy re-signing the connection",
        ),
        Seen::AddressTranslated { seen, public } => format!(
            "the reflector saw this connection come from {seen}, not from this network's public address {public}: a proxy or a carrier-grade NAT beyond your router rewrites it"
        )
        .into(),
        Seen::ReflectorUnsigned {
            greeting,
            detail: Some(detail),
        } => format!(
            "port {port} answered \"{greeting}\" but not with the reflector's signature: {detail}"
        )
        .into(),
        Seen::ReflectorUnsigned {
            greeting,
            detail: None,
        } => format!("port {port} answered \"{greeting}\" without the reflector's signature").into(),
        Seen::ReflectorSilent(silent) => format!(
            "the reflector always greets and signs, but on port {port} {}",
            if *silent {
                "the connection stayed silent"
            } else {
                "something that does not speak SMTP answered"
            }
        )
        .into(),
        Seen::GreetingNameMismatch(announced) => {
            format!("{host} greeted as {announced}, a name unrelated to it").into()
        }
        Seen::SlowGreetingOn25 { slow, fast, port } => format!(
            "{host} took {slow} ms to greet on port 25 but {fast} ms on port {port}: an anti-spam greeting delay, or a proxy on 25"
        )
        .into(),
        Seen::TarpitOn25 => words(
            format!(
                "{host} accepted the connection on 25 but stayed silent, while it greets normally on other ports"
            ),
            "",
            "; it may delay its greeting on 25 to deter spam",
        ),
        Seen::StartTlsMissing(Some(other)) => words(
            format!("{host} offers STARTTLS on port {other} but not on 25"),
            ": something on the path removed it",
            ": something on the path may have removed it, or the server offers it on submission ports only",
        ),
        Seen::StartTlsMissing(None) => format!(
            "{host} always offers STARTTLS on port 25, but this answer did not: something on the path removed it"
        )
        .into(),
        Seen::SameGreeting { hosts, greeting } => {
            format!("{} returned the same greeting \"{greeting}\"", and_list(hosts)).into()
        }
    }
}
