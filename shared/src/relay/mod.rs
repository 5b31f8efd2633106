//! Relaying through a smarthost: what the user wants to relay through
//! ([`RelaySpec`]), the configuration that does it for each mail server
//! ([`mta`], [`snippet`]), and what a relay test found, step by step
//! ([`step`], judged by pure functions, worded by [`words`]).
//!
//! Everything here is pure, so `mailport relay` in the terminal and the
//! page's "Set up a relay" panel print the very same configuration text.

pub mod mta;
pub mod snippet;
mod snippet_more;
pub mod step;
pub mod words;

use crate::quoted::Quoted;
use crate::validate::{self, Host};
use serde::{Deserialize, Serialize};

pub use mta::Mta;
pub use snippet::{snippet, Part, PartKind, Password, Snippet};
pub use step::{Problem, RelayReport, Step, StepKind, StepStatus};

/// The submission port (RFC 6409), where a relay is usually reached with
/// STARTTLS; what `mailport relay HOST` uses without a port.
pub const DEFAULT_PORT: u16 = 587;

/// The submission port with TLS from the first byte (RFC 8314).
pub const IMPLICIT_TLS_PORT: u16 = 465;

/// How the connection to the relay is encrypted. Decided by the port alone
/// (465 is implicit TLS, everything else STARTTLS), as every MTA here does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain TCP, upgraded with STARTTLS before anything secret is sent.
    StartTls,
    /// TLS from the first byte ("wrapper mode", "smtps").
    ImplicitTls,
}

impl Security {
    /// The encryption used on `port`.
    pub fn for_port(port: u16) -> Self {
        if port == IMPLICIT_TLS_PORT {
            Security::ImplicitTls
        } else {
            Security::StartTls
        }
    }
}

/// Why a relay description was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelayInputError {
    /// The host is not a host.
    #[error(transparent)]
    Host(#[from] validate::InputError),
    /// Port 0 or not a number.
    #[error("{} is not a port number (1 to 65535)", Quoted(.0))]
    BadPort(String),
    /// No user name.
    #[error("give the relay login with --user")]
    EmptyUser,
    /// A user name the configuration files cannot hold.
    #[error("the login {} contains {}, which the mail servers' password files cannot hold", Quoted(.0), .1)]
    BadUser(String, &'static str),
    /// A password that cannot be written into a configuration file.
    #[error("the password contains a line break or control character, which the mail servers' configuration files cannot hold; fill it in by hand")]
    BadPassword,
    /// An e-mail address that is not one.
    #[error("{} is not an e-mail address (local@domain, no spaces or angle brackets)", Quoted(.0))]
    BadAddress(String),
}

/// The relay the user intends to use: host, port, login. Never the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelaySpec {
    /// Host name (or IP literal) of the relay, as the certificate must name it.
    pub host: String,
    /// Port: 587 (STARTTLS), 465 (implicit TLS), 2525 or another.
    pub port: u16,
    /// The login.
    pub user: String,
}

impl RelaySpec {
    /// A checked relay description.
    pub fn new(host: &str, port: u16, user: &str) -> Result<Self, RelayInputError> {
        let host = match validate::host(host)? {
            Host::Name(n) => n,
            Host::Ip(ip) => ip.to_string(),
        };
        if port == 0 {
            return Err(RelayInputError::BadPort("0".into()));
        }
        Ok(RelaySpec {
            host,
            port,
            user: check_user(user)?,
        })
    }

    /// Parses `HOST`, `HOST:PORT` or `[IPv6]:PORT`, the port defaulting to
    /// [`DEFAULT_PORT`].
    pub fn parse(target: &str, user: &str) -> Result<Self, RelayInputError> {
        let (host, port) = split_host_port(target.trim())?;
        Self::new(host, port, user)
    }

    /// How this relay is reached.
    pub fn security(&self) -> Security {
        Security::for_port(self.port)
    }

    /// The host as it goes in brackets or before `:port`: IPv6 literals
    /// need their own brackets in most configuration syntaxes.
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// A relay's port from text, 1 to 65535; the terminal's `HOST:PORT` and
/// the page's port field both read it here, so both say the same.
pub fn port(text: &str) -> Result<u16, RelayInputError> {
    text.parse::<u16>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| RelayInputError::BadPort(text.to_string()))
}

fn split_host_port(s: &str) -> Result<(&str, u16), RelayInputError> {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((inner, tail)) = rest.split_once(']') {
            return match tail.strip_prefix(':') {
                Some(p) => Ok((inner, port(p)?)),
                None if tail.is_empty() => Ok((inner, DEFAULT_PORT)),
                None => Err(RelayInputError::BadPort(tail.to_string())),
            };
        }
    }
    match s.matches(':').count() {
        1 => {
            let (h, p) = s.split_once(':').unwrap_or((s, ""));
            Ok((h, port(p)?))
        }
        // A bare IPv6 literal, or a plain name.
        _ => Ok((s, DEFAULT_PORT)),
    }
}

fn check_user(user: &str) -> Result<String, RelayInputError> {
    let user = user.trim();
    if user.is_empty() {
        return Err(RelayInputError::EmptyUser);
    }
    if user.chars().any(char::is_control) {
        // Kept as typed: the message shows it `Quoted`, which writes
        // control characters out (`\u{1b}`) once.
        return Err(RelayInputError::BadUser(
            user.to_string(),
            "a control character",
        ));
    }
    if user.chars().any(char::is_whitespace) {
        return Err(RelayInputError::BadUser(user.to_string(), "a space"));
    }
    // Postfix's `user:password`, Exim's `host:login:password`.
    if user.contains(':') {
        return Err(RelayInputError::BadUser(user.to_string(), "a colon"));
    }
    if user.contains('"') || user.contains('\'') || user.contains('\\') {
        return Err(RelayInputError::BadUser(
            user.to_string(),
            "a quote or backslash",
        ));
    }
    Ok(user.to_string())
}

/// Checks an envelope address for `MAIL FROM`/`RCPT TO`: `local@domain`,
/// printable, no spaces or angle brackets (it is sent inside `<...>`).
pub fn check_address(addr: &str) -> Result<String, RelayInputError> {
    let a = addr.trim();
    let bad = || RelayInputError::BadAddress(a.to_string());
    let (local, domain) = a.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || a.len() > 254
        || a.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
    {
        return Err(bad());
    }
    validate::domain(domain).map_err(|_| bad())?;
    Ok(a.to_string())
}

/// A password that may go into a configuration file: no line breaks or
/// control characters (every format here is line-based).
pub fn check_password(password: &str) -> Result<(), RelayInputError> {
    if password.chars().any(char::is_control) {
        Err(RelayInputError::BadPassword)
    } else {
        Ok(())
    }
}

/// The sentence the advice adds when it recommends a relay: the command
/// that tests it and prints the configuration. `host`/`ports` come from the
/// provider notes when known.
pub fn advice_hint(host: Option<&str>, ports: &[u16]) -> String {
    match (host, ports.first()) {
        (Some(h), Some(p)) if !h.contains('<') => format!(
            " Test it and get a ready-to-paste configuration with `mailport relay {h}:{p} --user YOUR_LOGIN --mta postfix` (or exim, docker-mailserver, mailu, mailcow, yunohost, stalwart, mox, maddy, haraka)."
        ),
        _ => " Test the relay and get a ready-to-paste configuration with `mailport relay HOST:587 --user YOUR_LOGIN --mta postfix` (or exim, docker-mailserver, mailu, mailcow, yunohost, stalwart, mox, maddy, haraka).".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        type Want = Result<(&'static str, u16), ()>;
        let cases: &[(&str, Want)] = &[
            ("smtp.example.org", Ok(("smtp.example.org", 587))),
            ("smtp.example.org:465", Ok(("smtp.example.org", 465))),
            ("SMTP.Example.org.:2525", Ok(("smtp.example.org", 2525))),
            ("[2001:db8::1]:465", Ok(("2001:db8::1", 465))),
            ("2001:db8::1", Ok(("2001:db8::1", 587))),
            ("192.0.2.1:587", Ok(("192.0.2.1", 587))),
            ("smtp.example.org:0", Err(())),
            ("smtp.example.org:99999", Err(())),
            ("smtp.example.org:", Err(())),
            ("https://smtp.example.org", Err(())),
            ("", Err(())),
        ];
        for (input, want) in cases {
            let got = RelaySpec::parse(input, "me@example.org")
                .map(|s| (s.host.clone(), s.port))
                .map_err(|_| ());
            let want = want.map(|(h, p)| (h.to_string(), p));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn users_addresses_passwords() {
        assert!(RelaySpec::new("a.example", 587, "me@example.org").is_ok());
        for bad in ["", " ", "a b", "a:b", "a\"b", "a\nb"] {
            assert!(RelaySpec::new("a.example", 587, bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            check_address(" me@example.org ").as_deref(),
            Ok("me@example.org")
        );
        for bad in [
            "me",
            "@example.org",
            "me@",
            "a b@example.org",
            "<me@example.org>",
            "me@ex ample.org",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
        // A terminal escape in the input is written out once, never sent
        // to the terminal, never escaped twice.
        let e = RelaySpec::new("a.example", 587, "me\u{1b}[31m").expect_err("control");
        assert_eq!(
            e.to_string(),
            "the login \"me\\u{1b}[31m\" contains a control character, which the mail servers' password files cannot hold"
        );
        let e = check_address("me\u{1b}@example.org").expect_err("control");
        assert!(
            e.to_string()
                .starts_with("\"me\\u{1b}@example.org\" is not"),
            "{e}"
        );
        assert!(check_password("p@ss: 'w\"rd").is_ok());
        assert!(check_password("a\nb").is_err());
    }

    #[test]
    fn security_by_port() {
        assert_eq!(Security::for_port(465), Security::ImplicitTls);
        for p in [25, 587, 2525] {
            assert_eq!(Security::for_port(p), Security::StartTls);
        }
    }

    #[test]
    fn hint_names_the_command() {
        let h = advice_hint(Some("smtp.comcast.net"), &[587, 465]);
        assert!(h.contains("mailport relay smtp.comcast.net:587"), "{h}");
        let g = advice_hint(Some("email-smtp.<region>.amazonaws.com"), &[587]);
        assert!(g.contains("mailport relay HOST:587"), "{g}");
    }
}
