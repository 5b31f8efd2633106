//! Web origins: scheme, host and port, parsed from an `Origin` header or a
//! `--allow-origin` flag and compared exactly.

use super::authority::{Authority, AuthorityError};
use std::fmt;
use std::str::FromStr;

/// A web origin: scheme, host and port, compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    /// Lower-case; IPv6 literals keep their brackets.
    host: String,
    port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Why a string is not an origin.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a web origin like https://example.org or http://127.0.0.1:8080 ({why})")]
pub struct BadOrigin {
    input: String,
    why: &'static str,
}

impl Origin {
    /// The agent's own origin for one of its names.
    pub(super) fn own(host: &str, port: u16) -> Self {
        Origin {
            scheme: Scheme::Http,
            host: host.to_string(),
            port,
        }
    }

    /// Parses an `Origin` header value exactly as browsers send it: no path,
    /// no trailing slash, no user info. `null` is refused.
    pub fn parse_header(value: &str) -> Result<Self, BadOrigin> {
        Self::parse(value, false)
    }

    /// Parses an origin typed by a person (`--allow-origin`): a trailing `/`
    /// is tolerated.
    pub fn parse_flag(value: &str) -> Result<Self, BadOrigin> {
        Self::parse(value, true)
    }

    fn parse(input: &str, tolerate_slash: bool) -> Result<Self, BadOrigin> {
        let bad = |why| BadOrigin {
            input: input.to_string(),
            why,
        };
        let (scheme, rest) = input.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(bad("only http and https origins exist for pages"));
        };
        let rest = match rest.strip_suffix('/') {
            Some(r) if tolerate_slash => r,
            _ => rest,
        };
        if rest.is_empty() {
            return Err(bad("no host"));
        }
        if rest
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace())
        {
            return Err(bad("an origin has no path, query, fragment or user name"));
        }
        let authority = Authority::parse(rest).map_err(|e| match e {
            AuthorityError::BadPort => bad("bad port"),
            AuthorityError::NoHost => bad("no host"),
            AuthorityError::UserInfo | AuthorityError::BadHost => bad("bad host or port"),
        })?;
        let port = match (authority.has_port(), authority.port()) {
            (false, _) => scheme.default_port(),
            (true, Some(port)) => port,
            // `:07525` or `:0`: no browser writes a port so, and the Host
            // check reads it the same way (not the agent's port).
            (true, None) => return Err(bad("bad port")),
        };
        let host = authority.host().to_string();
        Ok(Origin { scheme, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

impl FromStr for Origin {
    type Err = BadOrigin;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse_flag(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_exactly() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "https://mailport.github.io",
                Some("https://mailport.github.io"),
            ),
            (
                "https://mailport.github.io:443",
                Some("https://mailport.github.io"),
            ),
            ("HTTP://LocalHost:7525", Some("http://localhost:7525")),
            ("http://[::1]:7525", Some("http://[::1]:7525")),
            ("http://127.0.0.1", Some("http://127.0.0.1")),
            ("null", None),
            ("file://", None),
            ("ftp://example.org", None),
            ("https://", None),
            ("https://example.org/", None),
            ("https://example.org/path", None),
            ("https://user@example.org", None),
            ("https://example.org:", None),
            ("https://example.org:99999", None),
            // The Host check refuses these spellings of a port: so does this.
            ("http://127.0.0.1:07525", None),
            ("http://127.0.0.1:0", None),
            ("https://exa mple.org", None),
        ];
        for (input, want) in cases {
            let got = Origin::parse_header(input).ok().map(|o| o.to_string());
            assert_eq!(got.as_deref(), *want, "{input}");
        }
        assert_eq!(
            Origin::parse_flag("https://example.org/")
                .unwrap()
                .to_string(),
            "https://example.org"
        );
    }
}
