//! One reader of `host[:port]`, for the `Host` header and for the authority
//! of an `Origin`, so the two can never disagree on what a port is.
//!
//! Browsers write ports in decimal without leading zeros (`:7525`), so that
//! is the only spelling [`Authority::port`] accepts; `:07525` is valid RFC
//! syntax (`port = *DIGIT`) but only a hand-made request sends it, and it
//! names no port of ours.

use axum::http::uri;
use std::str::FromStr;

/// A parsed `host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// Lower-case; IPv6 literals keep their brackets.
    host: String,
    /// The port as written, when there is one (digits only).
    port: Option<String>,
}

/// Why a text is not an authority at all (as opposed to one that is not
/// ours): malformed by RFC 3986's grammar, which makes a `Host` header a
/// bad request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// Nothing, or only a port.
    #[error("no host")]
    NoHost,
    /// `user@host`: never in a Host header or an origin.
    #[error("a user name is not allowed")]
    UserInfo,
    /// Characters no host name or address literal has.
    #[error("bad host")]
    BadHost,
    /// A port that is not digits (`:`, `:+1`, `:http`).
    #[error("bad port")]
    BadPort,
}

impl Authority {
    /// Reads `host[:port]` by RFC 3986's grammar.
    pub fn parse(text: &str) -> Result<Self, AuthorityError> {
        if text.contains('@') {
            return Err(AuthorityError::UserInfo);
        }
        if text.is_empty() || text.starts_with(':') {
            return Err(AuthorityError::NoHost);
        }
        let parsed = uri::Authority::from_str(text).map_err(|_| AuthorityError::BadHost)?;
        let host = parsed.host();
        if host.is_empty() {
            return Err(AuthorityError::NoHost);
        }
        // The http crate reads an out-of-range or empty port as no port:
        // the text after the host decides.
        let port = match text.get(host.len()..) {
            Some("") => None,
            Some(tail) => {
                let digits = tail.strip_prefix(':').ok_or(AuthorityError::BadHost)?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AuthorityError::BadPort);
                }
                Some(digits.to_string())
            }
            None => return Err(AuthorityError::BadHost),
        };
        Ok(Authority {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host, lower-case, IPv6 literals in brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether a port was written at all.
    pub fn has_port(&self) -> bool {
        self.port.is_some()
    }

    /// The port, when written the one way browsers write it: decimal, no
    /// leading zero, 1–65535. `None` for no port and for any other spelling.
    pub fn port(&self) -> Option<u16> {
        let text = self.port.as_deref()?;
        if text.starts_with('0') {
            return None;
        }
        text.parse::<u16>().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Host, canonical port, whether a port was written.
    type Parsed = (&'static str, Option<u16>, bool);

    #[test]
    fn table() {
        use AuthorityError::*;
        let cases: &[(&str, Result<Parsed, AuthorityError>)] = &[
            ("127.0.0.1:7525", Ok(("127.0.0.1", Some(7525), true))),
            ("LocalHost:7525", Ok(("localhost", Some(7525), true))),
            ("[::1]:7525", Ok(("[::1]", Some(7525), true))),
            ("example.org", Ok(("example.org", None, false))),
            ("127.0.0.1:07525", Ok(("127.0.0.1", None, true))),
            ("127.0.0.1:0", Ok(("127.0.0.1", None, true))),
            ("127.0.0.1:99999", Ok(("127.0.0.1", None, true))),
            ("127.0.0.1:", Err(BadPort)),
            ("127.0.0.1:+7525", Err(BadPort)),
            ("127.0.0.1:http", Err(BadPort)),
            ("", Err(NoHost)),
            (":7525", Err(NoHost)),
            ("user@127.0.0.1:7525", Err(UserInfo)),
            ("exa mple.org", Err(BadHost)),
            ("example.org/path", Err(BadHost)),
        ];
        for (input, want) in cases {
            let got =
                Authority::parse(input).map(|a| (a.host().to_string(), a.port(), a.has_port()));
            let want = want.map(|(h, p, has)| (h.to_string(), p, has));
            assert_eq!(got, want, "{input:?}");
        }
    }
}
