//! Where the relay password comes from: `--password-file`, the
//! `MAILPORT_RELAY_PASSWORD` environment variable, or a prompt on the
//! terminal without echo. Never the command line (other users see argv in
//! `ps`), and never printed: [`Secret`]'s `Debug` hides it.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::Path;

/// The environment variable the password may come from.
pub const PASSWORD_ENV: &str = "MAILPORT_RELAY_PASSWORD";

/// Longest password file read (a password, not a document).
const MAX_FILE: u64 = 4096;

/// A password. Its `Debug` says `Secret(***)`; the text is reached only
/// through [`Secret::expose`], by the AUTH exchange and an explicitly asked
/// `--fill-password`. Its memory is overwritten when it is dropped, so the
/// agent that received it from the page keeps no copy after the test.
#[derive(Clone)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Read straight from the API's JSON body into a [`Secret`], so the
/// request type holds no plain `String` that could be logged or kept.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Wraps a password.
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why no password could be had.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The file could not be read.
    #[error("cannot read the password file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Nothing was given and no terminal to ask on.
    #[error(
        "no password: set {PASSWORD_ENV}, use --password-file, or run on a terminal to be asked"
    )]
    Missing,
    /// Empty.
    #[error("the password is empty")]
    Empty,
    /// The prompt failed.
    #[error("cannot read the password from the terminal: {0}")]
    Prompt(String),
}

/// The password: from the file when given, else the environment, else a
/// prompt when `interactive` (stdin is a terminal).
pub fn obtain(
    file: Option<&Path>,
    env: Option<OsString>,
    interactive: bool,
    prompt: &str,
) -> Result<Secret, PasswordError> {
    let text = if let Some(path) = file {
        read_file(path)?
    } else if let Some(v) = env {
        v.into_string().map_err(|_| PasswordError::File {
            path: PASSWORD_ENV.into(),
            reason: "it is not valid UTF-8".into(),
        })?
    } else if interactive {
        rpassword::prompt_password(prompt).map_err(|e| PasswordError::Prompt(e.to_string()))?
    } else {
        return Err(PasswordError::Missing);
    };
    if text.is_empty() {
        return Err(PasswordError::Empty);
    }
    Ok(Secret(text))
}

/// The file's first line, without its line ending.
fn read_file(path: &Path) -> Result<String, PasswordError> {
    let err = |reason: String| PasswordError::File {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut buf = String::new();
    file.take(MAX_FILE)
        .read_to_string(&mut buf)
        .map_err(|e| err(e.to_string()))?;
    let line = buf.split('\n').next().unwrap_or("");
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_order() {
        let dir = std::env::temp_dir().join(format!("mailport-pw-{}", std::process::id()));
        std::fs::write(&dir, "from-file\r\nsecond line\n").expect("write");
        let got = obtain(Some(&dir), Some("from-env".into()), false, "").expect("file");
        assert_eq!(got.expose(), "from-file");
        let got = obtain(None, Some("from-env".into()), false, "").expect("env");
        assert_eq!(got.expose(), "from-env");
        assert!(matches!(
            obtain(None, None, false, ""),
            Err(PasswordError::Missing)
        ));
        assert!(matches!(
            obtain(None, Some("".into()), false, ""),
            Err(PasswordError::Empty)
        ));
        let _ = std::fs::remove_file(&dir);
        assert!(matches!(
            obtain(Some(&dir), None, false, ""),
            Err(PasswordError::File { .. })
        ));
        assert_eq!(
            format!("{:?}", Secret::new("hunter2".into())),
            "Secret(***)"
        );
    }
}
