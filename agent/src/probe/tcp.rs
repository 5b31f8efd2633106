//! The TCP connect and what its failure means.
//!
//! The kernel's error is the only evidence of what the path did to the SYN,
//! so each error maps to its own [`Outcome`] rather than one "closed". The
//! numbers differ per OS (Linux errno, macOS errno, Windows WSA codes), so
//! they are data: one table per OS, read by a pure function that takes the
//! OS as an argument. Every table is tested on every OS.

use mailport_shared::Outcome;
use std::io::{self, ErrorKind};

/// An operating system whose socket error numbers we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// Linux errno (also what other unixes without their own table use).
    Linux,
    /// macOS (BSD) errno.
    MacOs,
    /// Windows Sockets (WSA) error codes.
    Windows,
}

impl Os {
    /// The OS this binary was built for.
    pub const CURRENT: Os = if cfg!(windows) {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::MacOs
    } else {
        Os::Linux
    };
}

/// What a failed `connect()` says, independent of how the OS numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// A RST came back.
    Refused,
    /// The OS gave up waiting for an answer to the SYN.
    TimedOut,
    /// An ICMP host unreachable (also what Linux makes of an IPv4
    /// "administratively prohibited").
    HostUnreachable,
    /// An ICMP "administratively prohibited" (unix `EACCES`).
    Prohibited,
    /// A firewall rule on this machine (unix `EPERM`, Windows `WSAEACCES`).
    LocalFirewall,
    /// No route to the network.
    NetUnreachable,
    /// No source address of the family on this machine.
    AddrNotAvailable,
    /// The connection was reset or aborted while being set up.
    Reset,
    /// This machine ran out of sockets, buffers or memory before a packet
    /// left.
    OutOfResources,
}

use ConnectError as C;

/// Linux errno values.
const LINUX: &[(i32, ConnectError)] = &[
    (111, C::Refused),         // ECONNREFUSED
    (110, C::TimedOut),        // ETIMEDOUT
    (113, C::HostUnreachable), // EHOSTUNREACH
    (112, C::HostUnreachable), // EHOSTDOWN
    (13, C::Prohibited),       // EACCES
    (1, C::LocalFirewall),     // EPERM
    (101, C::NetUnreachable),  // ENETUNREACH
    (99, C::AddrNotAvailable), // EADDRNOTAVAIL
    (104, C::Reset),           // ECONNRESET
    (103, C::Reset),           // ECONNABORTED
    (24, C::OutOfResources),   // EMFILE
    (23, C::OutOfResources),   // ENFILE
    (105, C::OutOfResources),  // ENOBUFS
    (12, C::OutOfResources),   // ENOMEM
];

/// macOS errno values (BSD numbering; EPERM/EACCES/EMFILE/ENFILE/ENOMEM
/// are the same as Linux).
const MACOS: &[(i32, ConnectError)] = &[
    (61, C::Refused),          // ECONNREFUSED
    (60, C::TimedOut),         // ETIMEDOUT
    (65, C::HostUnreachable),  // EHOSTUNREACH
    (64, C::HostUnreachable),  // EHOSTDOWN
    (13, C::Prohibited),       // EACCES
    (1, C::LocalFirewall),     // EPERM
    (51, C::NetUnreachable),   // ENETUNREACH
    (49, C::AddrNotAvailable), // EADDRNOTAVAIL
    (54, C::Reset),            // ECONNRESET
    (53, C::Reset),            // ECONNABORTED
    (24, C::OutOfResources),   // EMFILE
    (23, C::OutOfResources),   // ENFILE
    (55, C::OutOfResources),   // ENOBUFS
    (12, C::OutOfResources),   // ENOMEM
];

/// Windows Sockets codes. `WSAEACCES` on a connect is, in practice, the
/// Windows Firewall (or another local filter driver) refusing the socket:
/// ICMP "prohibited" arrives as `WSAEHOSTUNREACH` there.
const WINDOWS: &[(i32, ConnectError)] = &[
    (10061, C::Refused),          // WSAECONNREFUSED
    (10060, C::TimedOut),         // WSAETIMEDOUT
    (10065, C::HostUnreachable),  // WSAEHOSTUNREACH
    (10064, C::HostUnreachable),  // WSAEHOSTDOWN
    (10013, C::LocalFirewall),    // WSAEACCES
    (10051, C::NetUnreachable),   // WSAENETUNREACH
    (10050, C::NetUnreachable),   // WSAENETDOWN
    (10049, C::AddrNotAvailable), // WSAEADDRNOTAVAIL
    (10054, C::Reset),            // WSAECONNRESET
    (10053, C::Reset),            // WSAECONNABORTED
    (10024, C::OutOfResources),   // WSAEMFILE
    (10055, C::OutOfResources),   // WSAENOBUFS
];

/// What an OS error code means on `os`; `None` for codes we have no
/// meaning for.
pub fn connect_error(os: Os, code: i32) -> Option<ConnectError> {
    let table = match os {
        Os::Linux => LINUX,
        Os::MacOs => MACOS,
        Os::Windows => WINDOWS,
    };
    table.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

/// Classifies a failed `connect()` on this OS; see [`classify`].
pub fn classify_connect_error(err: &io::Error) -> Outcome {
    classify(
        Os::CURRENT,
        err.raw_os_error(),
        err.kind(),
        &err.to_string(),
    )
}

/// Classifies a failed `connect()` to `to`: as [`classify_connect_error`],
/// and on Linux, "permission denied" (`EACCES`) read by the family. Over
/// IPv4, Linux turns a router's ICMP "administratively prohibited" into
/// `EHOSTUNREACH`, so `EACCES` can only come from this machine (a policy
/// route or firewall rule): [`local_firewall`]. Over IPv6 a router's
/// ICMPv6 "prohibited" is `EACCES` too, so the detail says it may be either.
pub fn classify_connect_error_to(err: &io::Error, to: std::net::IpAddr) -> Outcome {
    const EACCES: i32 = 13;
    if Os::CURRENT != Os::Linux || err.raw_os_error() != Some(EACCES) {
        return classify_connect_error(err);
    }
    match to {
        std::net::IpAddr::V4(_) => local_firewall(&err.to_string()),
        std::net::IpAddr::V6(_) => Outcome::Unreachable {
            detail: format!(
                "administratively prohibited, by a router or by a rule on this computer: {err}"
            ),
        },
    }
}

/// Classifies a failed `connect()`: by the OS code through the OS's table
/// when there is one, else by the portable [`ErrorKind`]; `text` is the OS's
/// own words, kept in the detail.
///
/// - refused → [`Outcome::Refused`] (a RST);
/// - timed out → [`Outcome::Filtered`] (the OS gave up on the SYN);
/// - ICMP host unreachable / prohibited → [`Outcome::Unreachable`], its
///   detail saying in words what the error means;
/// - a local firewall → [`local_firewall`];
/// - no route, no source address → [`Outcome::NoRoute`];
/// - reset or aborted → [`Outcome::Reset`];
/// - out of sockets/buffers/memory → [`Outcome::LocalError`].
pub fn classify(os: Os, code: Option<i32>, kind: ErrorKind, text: &str) -> Outcome {
    let meaning = code.and_then(|c| connect_error(os, c)).or(match kind {
        ErrorKind::ConnectionRefused => Some(C::Refused),
        ErrorKind::TimedOut => Some(C::TimedOut),
        ErrorKind::HostUnreachable => Some(C::HostUnreachable),
        ErrorKind::PermissionDenied => Some(C::Prohibited),
        ErrorKind::NetworkUnreachable => Some(C::NetUnreachable),
        ErrorKind::AddrNotAvailable => Some(C::AddrNotAvailable),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Some(C::Reset),
        ErrorKind::OutOfMemory => Some(C::OutOfResources),
        _ => None,
    });
    let detail = || text.to_string();
    match meaning {
        Some(C::Refused) => Outcome::Refused,
        Some(C::TimedOut) => Outcome::Filtered,
        // The OS words alone read like a local problem ("Permission denied"
        // is how Linux reports an ICMPv6 "administratively prohibited"; "No
        // route to host" an ICMP host unreachable): say what they mean.
        Some(C::HostUnreachable) => Outcome::Unreachable {
            detail: format!("rejected by a router (ICMP host unreachable): {text}"),
        },
        Some(C::Prohibited) => Outcome::Unreachable {
            detail: format!("rejected by a router (ICMP administratively prohibited): {text}"),
        },
        Some(C::LocalFirewall) => local_firewall(text),
        Some(C::NetUnreachable | C::AddrNotAvailable) => Outcome::NoRoute { detail: detail() },
        Some(C::Reset) => Outcome::Reset,
        Some(C::OutOfResources) => Outcome::LocalError { detail: detail() },
        // Anything unexpected: the connection was stopped on the way, and
        // the OS words say how.
        None => Outcome::Unreachable { detail: detail() },
    }
}

/// A firewall on this machine refused the connect (unix `EPERM`, Windows
/// `WSAEACCES`): its own outcome, never blamed on the network.
pub fn local_firewall(text: &str) -> Outcome {
    Outcome::LocalFirewall {
        detail: text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every OS's table, tested on every OS: (OS, code, label).
    #[test]
    fn os_error_tables() {
        let cases: &[(Os, i32, &str)] = &[
            (Os::Linux, 111, "refused"),
            (Os::Linux, 110, "timed out"),
            (Os::Linux, 113, "unreachable"),
            (Os::Linux, 13, "unreachable"),
            (Os::Linux, 1, "local firewall"),
            (Os::Linux, 101, "no route"),
            (Os::Linux, 99, "no route"),
            (Os::Linux, 104, "reset"),
            (Os::Linux, 24, "local error"),
            (Os::Linux, 23, "local error"),
            (Os::Linux, 105, "local error"),
            (Os::MacOs, 61, "refused"),
            (Os::MacOs, 60, "timed out"),
            (Os::MacOs, 65, "unreachable"),
            (Os::MacOs, 13, "unreachable"),
            (Os::MacOs, 1, "local firewall"),
            (Os::MacOs, 51, "no route"),
            (Os::MacOs, 49, "no route"),
            (Os::MacOs, 54, "reset"),
            (Os::MacOs, 24, "local error"),
            (Os::MacOs, 55, "local error"),
            // macOS 105 is not ENOBUFS (it is ENOPOLICY): no meaning.
            (Os::MacOs, 105, "unreachable"),
            (Os::Windows, 10061, "refused"),
            (Os::Windows, 10060, "timed out"),
            (Os::Windows, 10065, "unreachable"),
            (Os::Windows, 10013, "local firewall"),
            (Os::Windows, 10051, "no route"),
            (Os::Windows, 10049, "no route"),
            (Os::Windows, 10054, "reset"),
            (Os::Windows, 10024, "local error"),
            (Os::Windows, 10055, "local error"),
        ];
        for (os, code, label) in cases {
            // A kind that would say otherwise: the table must win.
            let got = classify(*os, Some(*code), ErrorKind::Other, "os words");
            assert_eq!(got.label(), *label, "{os:?} {code}");
        }
    }

    /// The same meaning has different numbers on each OS, and a number
    /// means something else (or nothing) elsewhere.
    #[test]
    fn tables_are_per_os() {
        assert_eq!(connect_error(Os::Linux, 111), Some(C::Refused));
        assert_eq!(connect_error(Os::MacOs, 111), None);
        assert_eq!(connect_error(Os::Windows, 111), None);
        assert_eq!(connect_error(Os::MacOs, 61), Some(C::Refused));
        assert_eq!(connect_error(Os::Linux, 61), None);
        // EACCES is a router's "prohibited" on unix; WSAEACCES is local.
        assert_eq!(connect_error(Os::Linux, 13), Some(C::Prohibited));
        assert_eq!(connect_error(Os::Windows, 10013), Some(C::LocalFirewall));
        assert_eq!(connect_error(Os::Windows, 13), None);
        for table in [LINUX, MACOS, WINDOWS] {
            for (i, (code, _)) in table.iter().enumerate() {
                assert!(
                    !table[i + 1..].iter().any(|(c, _)| c == code),
                    "{code} twice"
                );
            }
        }
    }

    /// The local firewall reads the same on every OS, whatever its number.
    #[test]
    fn local_firewall_on_each_os() {
        let want = Outcome::LocalFirewall {
            detail: "denied".to_string(),
        };
        for (os, code) in [(Os::Linux, 1), (Os::MacOs, 1), (Os::Windows, 10013)] {
            assert_eq!(
                classify(os, Some(code), ErrorKind::PermissionDenied, "denied"),
                want,
                "{os:?}"
            );
        }
        assert_eq!(local_firewall("denied"), want);
    }

    /// Errors without an OS code (made by a library, or by a test) are read
    /// by their kind.
    #[test]
    fn kinds_without_a_code() {
        let cases: &[(ErrorKind, &str)] = &[
            (ErrorKind::ConnectionRefused, "refused"),
            (ErrorKind::TimedOut, "timed out"),
            (ErrorKind::HostUnreachable, "unreachable"),
            (ErrorKind::NetworkUnreachable, "no route"),
            (ErrorKind::ConnectionAborted, "reset"),
            (ErrorKind::OutOfMemory, "local error"),
            (ErrorKind::Other, "unreachable"),
        ];
        for (os, (kind, label)) in [Os::Linux, Os::MacOs, Os::Windows]
            .into_iter()
            .flat_map(|os| cases.iter().map(move |c| (os, c)))
        {
            assert_eq!(classify(os, None, *kind, "x").label(), *label, "{kind:?}");
        }
    }

    /// This OS's own errors, through `io::Error`, as the probe sees them.
    #[test]
    fn this_os_errors() {
        let refused = if cfg!(windows) {
            10061
        } else if cfg!(target_os = "macos") {
            61
        } else {
            111
        };
        let e = io::Error::from_raw_os_error(refused);
        assert_eq!(classify_connect_error(&e), Outcome::Refused);
        let e = io::Error::new(ErrorKind::TimedOut, "slow");
        assert_eq!(classify_connect_error(&e), Outcome::Filtered);
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
        // EACCES by family: only this machine over IPv4, either over IPv6.
        let eacces = io::Error::from_raw_os_error(13);
        assert_eq!(
            classify_connect_error_to(&eacces, "192.0.2.1".parse().unwrap()),
            Outcome::LocalFirewall {
                detail: "Permission denied (os error 13)".into()
            }
        );
        assert_eq!(
            classify_connect_error_to(&eacces, "2001:db8::1".parse().unwrap()),
            Outcome::Unreachable {
                detail: "administratively prohibited, by a router or by a rule on this computer: Permission denied (os error 13)".into()
            }
        );
    }
}
