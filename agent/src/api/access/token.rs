//! The per-run secret that authorises actions, carried only in an
//! `Authorization: Bearer` header and compared in constant time.

use axum::http::{header, HeaderMap};
use std::fmt;
use subtle::ConstantTimeEq;

/// The per-run secret that authorises actions.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// Why a token could not be made or accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The OS random source failed.
    #[error("the system random source failed: {0}")]
    Random(getrandom::Error),
    /// A token given through `MAILPORT_TOKEN` is too weak or has odd characters.
    #[error("MAILPORT_TOKEN must be at least 32 characters of letters, digits, '-' or '_'")]
    Weak,
}

impl Token {
    /// 256 random bits from the OS, as 64 hex digits.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(TokenError::Random)?;
        Ok(Token(mailport_shared::hex::encode(&bytes)))
    }

    /// A token chosen by the user (for scripts): at least 32 characters from
    /// a URL-safe alphabet, so it can ride in a fragment unescaped.
    pub fn from_user(value: &str) -> Result<Self, TokenError> {
        let ok = value.len() >= 32
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Token(value.to_string()))
        } else {
            Err(TokenError::Weak)
        }
    }

    /// The token's text, to print and put in the page's URL fragment.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a presented token (the length is not
    /// secret: it is fixed).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// Whether an `Authorization` header carries this token as a bearer.
    pub fn authorizes(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return false;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                self.matches(token.trim())
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn token() -> Token {
        Token::from_user("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn token_compare_and_bearer() {
        let t = token();
        assert!(t.matches("0123456789abcdef0123456789abcdef"));
        assert!(!t.matches("0123456789abcdef0123456789abcdee"));
        assert!(!t.matches(""));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer 0123456789abcdef0123456789abcdef"),
        );
        assert!(t.authorizes(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic 0123456789abcdef0123456789abcdef"),
        );
        assert!(!t.authorizes(&h));
        assert!(Token::from_user("short").is_err());
        assert!(Token::from_user("0123456789abcdef0123456789abcdef?").is_err());
        let g = Token::generate().unwrap();
        assert_eq!(g.expose().len(), 64);
        assert_ne!(g.expose(), Token::generate().unwrap().expose());
    }
}
