//! The TCP connect and what its failure means.
//!
//! The kernel's error is the only evidence of what the path did to the SYN,
//! so each error kind maps to its own [`Outcome`] rather than one "closed".

use mailport_shared::Outcome;
use std::io::{self, ErrorKind};

/// Classifies a failed `connect()`.
///
/// - `ECONNREFUSED` → [`Outcome::Refused`] (a RST).
/// - `ETIMEDOUT` → [`Outcome::Filtered`] (the kernel gave up on the SYN).
/// - `EHOSTUNREACH`, `EACCES`, `EPERM` (ICMP administratively prohibited, or a
///   local firewall rule) → [`Outcome::Unreachable`].
/// - `ENETUNREACH`, `EADDRNOTAVAIL` (no route, no source address of the
///   family) → [`Outcome::NoRoute`].
/// - `ECONNRESET` → [`Outcome::Reset`].
/// - `EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM` (this machine ran out of
///   something before a packet left) → [`Outcome::LocalError`].
pub fn classify_connect_error(err: &io::Error) -> Outcome {
    let detail = || err.to_string();
    // EMFILE 24, ENFILE 23, ENOBUFS 105, ENOMEM 12 on Linux; the same
    // numbers on macOS except ENOBUFS (55).
    const LOCAL: &[i32] = if cfg!(target_os = "macos") {
        &[24, 23, 55, 12]
    } else {
        &[24, 23, 105, 12]
    };
    if err.raw_os_error().is_some_and(|e| LOCAL.contains(&e))
        || err.kind() == ErrorKind::OutOfMemory
    {
        return Outcome::LocalError { detail: detail() };
    }
    match err.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::TimedOut => Outcome::Filtered,
        ErrorKind::HostUnreachable | ErrorKind::PermissionDenied => {
            Outcome::Unreachable { detail: detail() }
        }
        ErrorKind::NetworkUnreachable | ErrorKind::AddrNotAvailable => {
            Outcome::NoRoute { detail: detail() }
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Outcome::Reset,
        // EPERM (ErrorKind::Other on Linux) and anything unexpected: the
        // connection was stopped on the way, and the OS words say how.
        _ => Outcome::Unreachable { detail: detail() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors() {
        let cases: &[(i32, &str)] = &[
            (111, "refused"),
            (110, "timed out"),
            (113, "unreachable"),
            (13, "unreachable"),
            (1, "unreachable"),
            (101, "no route"),
            (99, "no route"),
            (104, "reset"),
            (24, "local error"),
            (23, "local error"),
        ];
        for (errno, label) in cases {
            let e = io::Error::from_raw_os_error(*errno);
            assert_eq!(classify_connect_error(&e).label(), *label, "errno {errno}");
        }
    }
}
