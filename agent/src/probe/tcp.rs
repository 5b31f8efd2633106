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
/// - `EHOSTUNREACH`, `EACCES` (ICMP host unreachable or administratively
///   prohibited) → [`Outcome::Unreachable`], its detail saying in words what
///   the OS error means (`unreachable_detail`).
/// - `EPERM` (`WSAEACCES` on Windows): a firewall rule on this machine →
///   [`Outcome::LocalFirewall`] ([`local_firewall`]).
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
    // EPERM (Linux, macOS) and WSAEACCES (Windows): a rule on this machine.
    const LOCAL_FIREWALL: i32 = if cfg!(windows) { 10013 } else { 1 };
    if err.raw_os_error() == Some(LOCAL_FIREWALL) {
        return local_firewall(err);
    }
    match err.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::TimedOut => Outcome::Filtered,
        ErrorKind::HostUnreachable | ErrorKind::PermissionDenied => Outcome::Unreachable {
            detail: unreachable_detail(err),
        },
        ErrorKind::NetworkUnreachable | ErrorKind::AddrNotAvailable => {
            Outcome::NoRoute { detail: detail() }
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Outcome::Reset,
        // Anything unexpected: the connection was stopped on the way, and
        // the OS words say how.
        _ => Outcome::Unreachable { detail: detail() },
    }
}

/// A firewall on this computer refused the connection: its own outcome,
/// never an ICMP rejection nor the ISP's doing.
pub fn local_firewall(err: &io::Error) -> Outcome {
    Outcome::LocalFirewall {
        detail: err.to_string(),
    }
}

/// An ICMP rejection in words, then the OS error. The OS words alone read
/// like a local problem ("Permission denied" is how Linux reports an ICMPv6
/// "administratively prohibited"; "No route to host" an ICMP host
/// unreachable, which is also what Linux makes of an IPv4 "prohibited").
/// (`EPERM`, a firewall rule on this machine, is [`local_firewall`].)
fn unreachable_detail(err: &io::Error) -> String {
    let words = match err.kind() {
        ErrorKind::PermissionDenied => "rejected by a router (ICMP administratively prohibited)",
        _ => "rejected by a router (ICMP host unreachable)",
    };
    format!("{words}: {err}")
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
            (1, "local firewall"),
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

    /// Linux errno numbers and messages.
    #[cfg(target_os = "linux")]
    #[test]
    fn rejections_in_words() {
        let cases: &[(i32, &str)] = &[
            (
                113,
                "rejected by a router (ICMP host unreachable): No route to host (os error 113)",
            ),
            (
                13,
                "rejected by a router (ICMP administratively prohibited): Permission denied (os error 13)",
            ),
        ];
        for (errno, want) in cases {
            let e = io::Error::from_raw_os_error(*errno);
            assert_eq!(
                classify_connect_error(&e),
                Outcome::Unreachable {
                    detail: want.to_string()
                },
                "errno {errno}"
            );
        }
        assert_eq!(
            classify_connect_error(&io::Error::from_raw_os_error(1)),
            Outcome::LocalFirewall {
                detail: "Operation not permitted (os error 1)".into()
            }
        );
    }
}
