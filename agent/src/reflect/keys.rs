//! Reflector keys: a secret key file (32 random bytes as hex) readable by its
//! owner only, and the public key the agent is given (hex or base64).
//!
//! Protection of the secret file: on unix it is created with mode 0600. On
//! Windows (the workspace forbids `unsafe`, so no direct ACL calls) it is
//! created empty, then `icacls` (part of every Windows since Vista) removes
//! the inherited entries and grants full control to the current user only,
//! and only then is the secret written; if `icacls` fails the file is
//! removed and key generation fails rather than leave a readable secret.

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
    /// The new file could not be made private (Windows: `icacls` failed);
    /// it was removed again.
    #[error(
        "{path}: cannot restrict the key file to the current user ({why}); nothing was written"
    )]
    Protect {
        /// The file.
        path: String,
        /// What failed.
        why: String,
    },
}

/// Creates a new secret key file, readable by the current user only;
/// returns the public key.
pub fn generate_key_file(path: &Path) -> Result<VerifyingKey, KeyError> {
    use std::io::Write;
    let shown = path.display().to_string();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(shown.clone()),
        _ => KeyError::Io {
            path: shown.clone(),
            source: e,
        },
    })?;
    #[cfg(windows)]
    if let Err(why) = restrict_to_current_user(path) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(KeyError::Protect { path: shown, why });
    }
    writeln!(f, "{}", encode_hex(&secret)).map_err(|e| KeyError::Io {
        path: shown,
        source: e,
    })?;
    Ok(SigningKey::from_bytes(&secret).verifying_key())
}

/// The `icacls` arguments that leave `path` to `user` alone: inherited
/// entries removed (`/inheritance:r`), the user's full control granted in
/// place of any other grant (`/grant:r`).
pub fn icacls_args(path: &str, user: &str) -> Vec<String> {
    vec![
        path.to_string(),
        "/inheritance:r".to_string(),
        "/grant:r".to_string(),
        format!("{user}:F"),
    ]
}

/// The account name `icacls` needs: `DOMAIN\user` from the environment
/// Windows sets for every logon, or the bare user name without a domain.
pub fn windows_account(domain: Option<&str>, user: Option<&str>) -> Option<String> {
    let user = user.filter(|u| !u.is_empty())?;
    Some(match domain.filter(|d| !d.is_empty()) {
        Some(d) => format!("{d}\\{user}"),
        None => user.to_string(),
    })
}

#[cfg(windows)]
fn restrict_to_current_user(path: &Path) -> Result<(), String> {
    let var = |k| std::env::var(k).ok();
    let account = windows_account(var("USERDOMAIN").as_deref(), var("USERNAME").as_deref())
        .ok_or("USERNAME is not set")?;
    let out = std::process::Command::new("icacls")
        .args(icacls_args(&path.display().to_string(), &account))
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("icacls: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "icacls: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
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

    /// On unix the file is the owner's alone.
    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mailport-keymode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reflector.key");
        generate_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What Windows is asked to do, tested on every OS.
    #[test]
    fn windows_acl_command() {
        assert_eq!(
            icacls_args(r"C:\Users\ann\r.key", r"PC\ann"),
            [
                r"C:\Users\ann\r.key",
                "/inheritance:r",
                "/grant:r",
                r"PC\ann:F"
            ]
        );
        assert_eq!(
            windows_account(Some("PC"), Some("ann")).as_deref(),
            Some(r"PC\ann")
        );
        assert_eq!(
            windows_account(Some(""), Some("ann")).as_deref(),
            Some("ann")
        );
        assert_eq!(windows_account(None, Some("ann")).as_deref(), Some("ann"));
        assert_eq!(windows_account(Some("PC"), None), None);
        assert_eq!(windows_account(Some("PC"), Some("")), None);
    }

    #[test]
    fn bad_public_keys() {
        for s in ["", "abc", &"zz".repeat(32), &"00".repeat(31)] {
            assert!(parse_public_key(s).is_err(), "{s}");
        }
    }
}
