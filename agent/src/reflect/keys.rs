//! Reflector keys: a secret key file (32 random bytes as hex, mode 0600) and
//! the public key the agent is given (hex or base64).

use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use mailport_shared::reflector::{decode_hex, encode_hex, ReflectorSpec};
use mailport_shared::validate::{self, InputError};
use std::path::Path;

/// Why a key could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// File system trouble.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The key file exists already (never overwritten).
    #[error("{0} exists already; remove it first or choose another file")]
    Exists(String),
    /// The file does not hold a key.
    #[error("{0} does not hold a mailport reflector key (64 hex digits)")]
    BadKeyFile(String),
    /// No randomness.
    #[error("no random source: {0}")]
    Random(String),
}

/// Creates a new secret key file; returns the public key.
pub fn generate_key_file(path: &Path) -> Result<VerifyingKey, KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display().to_string();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeyError::Exists(shown.clone()),
            _ => KeyError::Io {
                path: shown.clone(),
                source: e,
            },
        })?;
    writeln!(f, "{}", encode_hex(&secret)).map_err(|e| KeyError::Io {
        path: shown,
        source: e,
    })?;
    Ok(SigningKey::from_bytes(&secret).verifying_key())
}

/// Reads a secret key file.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Io {
        path: shown.clone(),
        source: e,
    })?;
    let bytes = decode_hex(text.trim()).ok_or_else(|| KeyError::BadKeyFile(shown.clone()))?;
    let secret: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKeyFile(shown))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Parses a public key given as 64 hex digits or standard/URL-safe base64:
/// the form is checked by the shared rules the page and the API use
/// ([`validate::reflector_key`]); the curve check is added here.
pub fn parse_public_key(s: &str) -> Result<VerifyingKey, InputError> {
    let bytes = validate::reflector_key(s)?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| InputError::BadReflectorKey(s.trim().chars().take(100).collect()))
}

/// The key of a (validated or not) [`ReflectorSpec`].
pub fn spec_key(spec: &ReflectorSpec) -> Result<VerifyingKey, InputError> {
    parse_public_key(&spec.public_key)
}

/// The public key in both printed forms: (hex, base64).
pub fn public_key_forms(key: &VerifyingKey) -> (String, String) {
    (
        encode_hex(key.as_bytes()),
        base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trip_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("mailport-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reflector.key");
        let public = generate_key_file(&path).unwrap();
        assert_eq!(load_signing_key(&path).unwrap().verifying_key(), public);
        assert!(matches!(generate_key_file(&path), Err(KeyError::Exists(_))));
        let (hex, b64) = public_key_forms(&public);
        assert_eq!(parse_public_key(&hex).unwrap(), public);
        assert_eq!(parse_public_key(&b64).unwrap(), public);
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            load_signing_key(&path),
            Err(KeyError::BadKeyFile(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_public_keys() {
        for s in ["", "abc", &"zz".repeat(32), &"00".repeat(31)] {
            assert!(parse_public_key(s).is_err(), "{s}");
        }
    }
}
