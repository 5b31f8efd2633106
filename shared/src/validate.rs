//! Input validation shared by the terminal, the HTTP API and the page, so all
//! three reject the same input with the same words.

use crate::quoted::Quoted;
use std::net::IpAddr;
use thiserror::Error;

/// Why an input was refused. The `Display` text is shown to the user as is.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InputError {
    /// Empty host or domain.
    #[error("the host name is empty")]
    EmptyHost,
    /// Longer than DNS allows.
    #[error("{} is too long for a host name (253 characters at most)", Quoted(.0))]
    HostTooLong(String),
    /// A label is empty, too long, or has characters DNS names cannot have.
    #[error("{} is not a valid host name: {why}", Quoted(host))]
    BadHost {
        /// The input.
        host: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Port 0 or beyond 65535.
    #[error("{} is not a valid port (1 to 65535)", Quoted(.0))]
    BadPort(String),
    /// A timeout outside the allowed range.
    #[error("{name} must be between {min} and {max} ms, not {value} ms")]
    BadTimeout {
        /// Which timeout.
        name: &'static str,
        /// The value given.
        value: u32,
        /// Lowest allowed.
        min: u32,
        /// Highest allowed.
        max: u32,
    },
    /// Both families switched off.
    #[error("choose at least one of IPv4 and IPv6")]
    NoFamily,
    /// No ports at all.
    #[error("choose at least one port")]
    NoPorts,
    /// Too many targets or ports for one check.
    #[error("too many {what}: {count} given, {max} at most")]
    TooMany {
        /// Targets or ports.
        what: &'static str,
        /// How many were given.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// A reflector public key that is not 32 bytes in hex or base64.
    #[error("{} is not a reflector public key: give the 64 hex digits or the base64 printed by `mailport reflect --gen-key`", Quoted(.0))]
    BadReflectorKey(String),
    /// Only one half of the reflector pair was given.
    #[error("give both the reflector's host and its public key, or neither")]
    ReflectorIncomplete,
    /// Inbound was asked for without a reflector to call back.
    #[error("the inbound test needs a reflector with call-back: give --reflector and --reflector-key (see docs/reflector.md)")]
    InboundNeedsReflector,
}

/// A host as the user may type it: a DNS name or an IP literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
    Name(String),
    /// An IP address.
    Ip(IpAddr),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Parses a host: an IP literal (IPv6 may be in brackets) or a DNS name
/// (LDH labels of 1 to 63 characters, at most 253 in all; underscores are
/// refused because no mail host has one).
///
/// Numeric forms that some resolvers read as addresses (`127.1`,
/// `0x7f000001`, `2130706433`) are refused rather than guessed at: a name
/// whose last label is all digits or hexadecimal-looking is not a name.
pub fn host(input: &str) -> Result<Host, InputError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(InputError::EmptyHost);
    }
    let unbracketed = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let bad = |why| InputError::BadHost {
        host: s.to_string(),
        why,
    };
    if s.contains('%') {
        return Err(bad("zone ids are not accepted"));
    }
    let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    if name.len() > 253 {
        return Err(InputError::HostTooLong(s.to_string()));
    }
    if name.contains("://") || name.contains('/') {
        return Err(bad("give a host name, not a URL"));
    }
    if name.contains(':') {
        return Err(bad("give the port separately"));
    }
    if name.contains('@') {
        return Err(bad("give the domain, not an e-mail address"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(bad("it has an empty label (two dots in a row?)"));
        }
        if label.len() > 63 {
            return Err(bad("a label is longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(bad("only letters, digits, hyphens and dots are allowed"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label cannot start or end with a hyphen"));
        }
    }
    let last = labels.last().copied().unwrap_or_default();
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if numeric {
        return Err(bad("it looks like a malformed IP address"));
    }
    Ok(Host::Name(name))
}

/// Parses a domain: like [`host`], but an IP address is not a domain.
pub fn domain(input: &str) -> Result<String, InputError> {
    match host(input)? {
        Host::Name(n) => Ok(n),
        Host::Ip(_) => Err(InputError::BadHost {
            host: input.trim().to_string(),
            why: "a domain is a name, not an IP address",
        }),
    }
}

/// Parses a port number from text (1 to 65535).
pub fn port(input: &str) -> Result<u16, InputError> {
    let s = input.trim();
    match s.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(InputError::BadPort(s.to_string())),
    }
}

/// Parses a comma- or space-separated port list, keeping order and dropping
/// repeats.
pub fn port_list(input: &str) -> Result<Vec<u16>, InputError> {
    let mut ports = Vec::new();
    for part in input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let p = port(part)?;
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    if ports.is_empty() {
        return Err(InputError::NoPorts);
    }
    Ok(ports)
}

/// Length of a reflector's (Ed25519) public key in bytes.
pub const REFLECTOR_KEY_LEN: usize = 32;

/// Parses a reflector public key as `mailport reflect --gen-key` prints it:
/// 64 hex digits, or standard or URL-safe base64 (padded or not) of 32 bytes.
///
/// This checks the form only; whether the bytes are a valid Ed25519 point is
/// the agent's job (it holds the curve code), and it refuses with the same
/// [`InputError::BadReflectorKey`] words.
pub fn reflector_key(input: &str) -> Result<[u8; REFLECTOR_KEY_LEN], InputError> {
    use base64::Engine as _;
    let s = input.trim();
    let bytes = if s.len() == 2 * REFLECTOR_KEY_LEN {
        crate::hex::decode(s)
    } else {
        None
    }
    .or_else(|| base64::engine::general_purpose::STANDARD.decode(s).ok())
    .or_else(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()
    });
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| InputError::BadReflectorKey(s.chars().take(100).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let ok = [
            ("Example.COM.", Host::Name("example.com".into())),
            (
                "mx-1.mail.example.net",
                Host::Name("mx-1.mail.example.net".into()),
            ),
            ("192.0.2.7", Host::Ip("192.0.2.7".parse().unwrap())),
            ("[2001:db8::1]", Host::Ip("2001:db8::1".parse().unwrap())),
            ("2001:db8::1", Host::Ip("2001:db8::1".parse().unwrap())),
        ];
        for (input, want) in ok {
            assert_eq!(host(input), Ok(want), "{input}");
        }
        let bad = [
            "",
            "  ",
            "a..b",
            "-a.com",
            "a-.com",
            "exa mple.com",
            "ex_ample.com",
            "http://example.com",
            "example.com:25",
            "user@example.com",
            "127.1",
            "0x7f000001",
            "2130706433",
            "fe80::1%eth0",
            "bad\u{0}name.com",
            "ünïcode.com",
        ];
        for input in bad {
            assert!(host(input).is_err(), "{input:?} should be refused");
        }
        assert!(matches!(
            host(&"a".repeat(254)),
            Err(InputError::HostTooLong(_))
        ));
        assert!(host(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn domains() {
        assert_eq!(domain("example.org"), Ok("example.org".into()));
        assert!(domain("192.0.2.1").is_err());
    }

    #[test]
    fn reflector_keys() {
        let hex = "0f".repeat(32);
        assert_eq!(reflector_key(&hex), Ok([0x0f; 32]));
        assert_eq!(
            reflector_key(&format!(" {} ", hex.to_uppercase())),
            Ok([0x0f; 32])
        );
        // 32 bytes of 0xfb: base64 with '+' and '/', URL-safe with '-' and '_'.
        let std = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";
        assert_eq!(reflector_key(std), Ok([0xfb; 32]));
        assert_eq!(
            reflector_key("-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s"),
            Ok([0xfb; 32])
        );
        for bad in [
            "",
            "abc",
            &"zz".repeat(32),
            &"00".repeat(31),
            &"00".repeat(33),
        ] {
            assert!(
                matches!(reflector_key(bad), Err(InputError::BadReflectorKey(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            reflector_key("nonsense").unwrap_err().to_string(),
            "\"nonsense\" is not a reflector public key: give the 64 hex digits or the base64 printed by `mailport reflect --gen-key`"
        );
    }

    #[test]
    fn ports() {
        assert_eq!(port("25"), Ok(25));
        assert_eq!(port("65535"), Ok(65535));
        for bad in ["0", "70000", "-1", "x", "", "25.0"] {
            assert!(port(bad).is_err(), "{bad:?}");
        }
        assert_eq!(port_list("25, 587 587,2525"), Ok(vec![25, 587, 2525]));
        assert_eq!(port_list(" , "), Err(InputError::NoPorts));
        assert!(port_list("25,0").is_err());
    }
}
