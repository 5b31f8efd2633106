//! Control probes: one TCP connection per target address to a port that
//! almost every host answers one way or another (443), beside the mail
//! probes.
//!
//! What comes back says whether the host is up and the family routed, and
//! measures the round trip — things a mail port that times out cannot say
//! by itself. A RST is as good an answer as a SYN-ACK: both come from the
//! host (or its network), both prove the path as far as it. A control probe
//! that times out proves nothing (many mail hosts drop every port they do
//! not serve), so only answers are used. Control probes are never mail-port
//! results: they live in [`crate::Report::controls`], not among the probes.

use crate::family::Family;
use mailport_derive::TagFirst;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The port control probes connect to. Not the user's choice: the point is
/// a port that is not a mail port and that almost every host answers.
pub const CONTROL_PORT: u16 = 443;

/// One control probe of one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlProbe {
    /// The target host it stands for.
    pub host: String,
    /// The family.
    pub family: Family,
    /// The address connected to (hidden in shared reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// The port connected to ([`CONTROL_PORT`] in real use).
    pub port: u16,
    /// What came back.
    pub outcome: ControlOutcome,
    /// From SYN to the answer, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<u32>,
}

/// What a control probe saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControlOutcome {
    /// SYN-ACK: the host is up.
    Accepted,
    /// RST: the host (or its network) is up and said no.
    Refused,
    /// No answer: says nothing (many hosts drop ports they do not serve).
    TimedOut,
    /// An ICMP rejection on the way.
    Unreachable {
        /// The OS error in words.
        detail: String,
    },
    /// This machine has no route for the family.
    NoRoute {
        /// The OS error.
        detail: String,
    },
    /// This machine could not try (out of sockets, a local firewall).
    Local {
        /// The OS error.
        detail: String,
    },
}

impl ControlOutcome {
    /// Whether the host answered (SYN-ACK or RST): it is up, the family is
    /// routed to it, and the round trip is measured.
    pub fn answered(&self) -> bool {
        matches!(self, ControlOutcome::Accepted | ControlOutcome::Refused)
    }

    /// A short label.
    pub fn label(&self) -> &'static str {
        match self {
            ControlOutcome::Accepted => "answered",
            ControlOutcome::Refused => "answered (refused)",
            ControlOutcome::TimedOut => "no answer",
            ControlOutcome::Unreachable { .. } => "unreachable",
            ControlOutcome::NoRoute { .. } => "no route",
            ControlOutcome::Local { .. } => "not tried",
        }
    }
}

/// Whether `host` answered a control probe over `family`.
pub fn host_answered(controls: &[ControlProbe], host: &str, family: Family) -> bool {
    controls
        .iter()
        .any(|c| c.host == host && c.family == family && c.outcome.answered())
}

/// Whether any host answered a control probe over `family`: the family is
/// routed to the internet.
pub fn family_answered(controls: &[ControlProbe], family: Family) -> bool {
    controls
        .iter()
        .any(|c| c.family == family && c.outcome.answered())
}

/// Whether control probes were made over `family` and none was answered.
pub fn family_silent(controls: &[ControlProbe], family: Family) -> bool {
    let mut of_family = controls.iter().filter(|c| c.family == family).peekable();
    of_family.peek().is_some() && of_family.all(|c| !c.outcome.answered())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(host: &str, family: Family, outcome: ControlOutcome) -> ControlProbe {
        ControlProbe {
            host: host.into(),
            family,
            address: None,
            port: CONTROL_PORT,
            outcome,
            rtt_ms: None,
        }
    }

    #[test]
    fn answers_and_silence() {
        use ControlOutcome::*;
        let v4 = Family::Ipv4;
        let v6 = Family::Ipv6;
        let set = vec![
            c("a.example", v4, Refused),
            c("b.example", v4, TimedOut),
            c("a.example", v6, TimedOut),
        ];
        // (host, family, host answered, family answered, family silent)
        let rows = [
            ("a.example", v4, true, true, false),
            ("b.example", v4, false, true, false),
            ("a.example", v6, false, false, true),
        ];
        for (host, fam, host_ok, fam_ok, silent) in rows {
            assert_eq!(host_answered(&set, host, fam), host_ok, "{host} {fam}");
            assert_eq!(family_answered(&set, fam), fam_ok, "{fam}");
            assert_eq!(family_silent(&set, fam), silent, "{fam}");
        }
        // No control probe at all: nothing is known, nothing is silent.
        assert!(!family_silent(&[], v4));
        assert!(!family_answered(&[], v4));
    }

    #[test]
    fn wire_format() {
        let j = serde_json::to_string(&c("a.example", Family::Ipv4, ControlOutcome::Refused))
            .expect("json");
        assert_eq!(
            j,
            r#"{"host":"a.example","family":"ipv4","port":443,"outcome":{"kind":"refused"}}"#
        );
    }
}
