//! What a check probes: hosts, the role they play, and the default list.

use serde::{Deserialize, Serialize};

/// Why a host is probed. The role decides which ports it is expected to
/// listen on, and therefore what a refusal from it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A recipient domain's MX: accepts mail from other servers on port 25 only.
    RecipientMx,
    /// A submission server or relay: listens on 465/587 (some on 25 and 2525).
    Submission,
    /// The user's own mail host (from `--domain` or typed in): unknown port set.
    OwnHost,
    /// A host that accepts TCP on every port and does not speak SMTP
    /// (e.g. portquiz.net). An SMTP greeting from it proves interception.
    PortEcho,
    /// A mailport reflector: answers on every mail port and signs what it saw.
    Reflector,
    /// A host the user named without saying what it is.
    Custom,
}

impl Role {
    /// Ports a host of this role is known to listen on, if the role says so.
    ///
    /// `None` means "unknown": a refusal from such a host cannot be told apart
    /// from "nothing listens there".
    pub fn known_ports(self) -> Option<&'static [u16]> {
        match self {
            Role::RecipientMx => Some(&[25]),
            Role::Submission => Some(&[465, 587]),
            Role::PortEcho | Role::Reflector => Some(&crate::MAIL_PORTS),
            Role::OwnHost | Role::Custom => None,
        }
    }

    /// The ports worth probing on a host of this role, out of `wanted`.
    ///
    /// An MX is probed on 25 only: probing it on 587 measures nothing useful
    /// and invites the "587 to an MX" mistake.
    pub fn ports_to_probe(self, wanted: &[u16]) -> Vec<u16> {
        match self {
            Role::RecipientMx => wanted.iter().copied().filter(|p| *p == 25).collect(),
            _ => wanted.to_vec(),
        }
    }

    /// Whether this host is known to listen on `port`.
    pub fn listens_on(self, port: u16) -> bool {
        self.known_ports()
            .is_some_and(|ports| ports.contains(&port))
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Role::RecipientMx => "recipient MX",
            Role::Submission => "submission server",
            Role::OwnHost => "your mail host",
            Role::PortEcho => "port tester",
            Role::Reflector => "reflector",
            Role::Custom => "host",
        }
    }
}

/// One host to probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A DNS name or an IP literal (IPv6 without brackets).
    pub host: String,
    /// What the host is.
    pub role: Role,
    /// Ports to probe on it; `None` means the check's ports filtered by role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<u16>>,
}

impl Target {
    /// A target probed on the check's ports.
    pub fn new(host: impl Into<String>, role: Role) -> Self {
        Target {
            host: host.into(),
            role,
            ports: None,
        }
    }

    /// A target probed on exactly `ports`.
    pub fn with_ports(host: impl Into<String>, role: Role, ports: &[u16]) -> Self {
        Target {
            host: host.into(),
            role,
            ports: Some(ports.to_vec()),
        }
    }
}

/// A well-known public host used when the user names none.
#[derive(Clone, Copy, Debug)]
pub struct DefaultTarget {
    /// Host name.
    pub host: &'static str,
    /// Role.
    pub role: Role,
    /// Ports it is known to listen on.
    pub ports: &'static [u16],
}

/// The targets a check uses when the user gives none: independent operators,
/// so that one of them being down is not mistaken for a block.
///
/// Real use only: tests always pass their own targets.
pub const DEFAULT_TARGETS: &[DefaultTarget] = &[
    DefaultTarget {
        host: "gmail-smtp-in.l.google.com",
        role: Role::RecipientMx,
        ports: &[25],
    },
    DefaultTarget {
        host: "mx01.mail.icloud.com",
        role: Role::RecipientMx,
        ports: &[25],
    },
    DefaultTarget {
        host: "smtp.gmail.com",
        role: Role::Submission,
        ports: &[465, 587],
    },
    DefaultTarget {
        host: "smtp.sendgrid.net",
        role: Role::Submission,
        ports: &[25, 465, 587, 2525],
    },
    DefaultTarget {
        host: "portquiz.net",
        role: Role::PortEcho,
        ports: &crate::MAIL_PORTS,
    },
];

/// [`DEFAULT_TARGETS`] as [`Target`]s.
pub fn default_targets() -> Vec<Target> {
    DEFAULT_TARGETS
        .iter()
        .map(|d| Target::with_ports(d.host, d.role, d.ports))
        .collect()
}

/// The default target named `host` (case and a trailing dot ignored): a
/// well-known public host whose ports and habits are known, so that what it
/// does differently on this network says something about the network.
pub fn default_target(host: &str) -> Option<&'static DefaultTarget> {
    let host = host.trim_end_matches('.');
    DEFAULT_TARGETS
        .iter()
        .find(|d| d.host.eq_ignore_ascii_case(host))
}
