//! One probe: a target host, an address, a port, and what happened.

use crate::family::Family;
use crate::outcome::Outcome;
use crate::target::{default_target, Role, Target};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A probe to be made: planned before DNS, so the page can draw the grid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProbeSpec {
    /// The host as given or found (MX name, IP literal...).
    pub host: String,
    /// What the host is.
    pub role: Role,
    /// The port.
    pub port: u16,
    /// The family.
    pub family: Family,
    /// Whether the host is known to listen on this port, so that a refusal
    /// from it means something.
    pub expected: bool,
}

/// Time spent in each phase, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// DNS resolution of the host for this family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_ms: Option<u32>,
    /// From SYN to established (or to the failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u32>,
    /// From established to the complete greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting_ms: Option<u32>,
    /// The whole probe.
    pub total_ms: u32,
}

/// A finished probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ProbeResultFields")]
pub struct ProbeResult {
    /// What was planned.
    #[serde(flatten)]
    pub spec: ProbeSpec,
    /// The address connected to, when the name resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// What the network said.
    pub outcome: Outcome,
    /// How long each phase took.
    pub timings: Timings,
}

/// A [`ProbeResult`] as it is read: the spec's fields beside the others.
///
/// `#[serde(flatten)]` reads like this too, but only by way of serde's
/// buffer, which compiles every outcome type a second time (a tenth of the
/// page's wasm); naming the fields here reads them straight.
#[derive(Deserialize)]
struct ProbeResultFields {
    host: String,
    role: Role,
    port: u16,
    family: Family,
    expected: bool,
    #[serde(default)]
    address: Option<IpAddr>,
    outcome: Outcome,
    timings: Timings,
}

impl From<ProbeResultFields> for ProbeResult {
    fn from(f: ProbeResultFields) -> Self {
        ProbeResult {
            spec: ProbeSpec {
                host: f.host,
                role: f.role,
                port: f.port,
                family: f.family,
                expected: f.expected,
            },
            address: f.address,
            outcome: f.outcome,
            timings: f.timings,
        }
    }
}

/// Expands targets into the probes to make: each target on its ports (its
/// own list, or `ports` filtered by its role) for each family.
pub fn plan(targets: &[Target], ports: &[u16], families: &[Family]) -> Vec<ProbeSpec> {
    let mut specs = Vec::new();
    for t in targets {
        let ports = match &t.ports {
            Some(own) => own.iter().copied().filter(|p| ports.contains(p)).collect(),
            None => t.role.ports_to_probe(ports),
        };
        for port in ports {
            for &family in families {
                let spec = ProbeSpec {
                    host: t.host.clone(),
                    role: t.role,
                    port,
                    family,
                    expected: expected(&t.host, t.role, port),
                };
                if !specs.contains(&spec) {
                    specs.push(spec);
                }
            }
        }
    }
    specs
}

/// Whether `host` is known to listen on `port`: by its role, or because it is
/// one of the default targets whose ports are known.
pub fn expected(host: &str, role: Role, port: u16) -> bool {
    role.listens_on(port) || default_target(host).is_some_and(|d| d.ports.contains(&port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_respects_roles_and_lists() {
        let targets = vec![
            Target::new("mx.example", Role::RecipientMx),
            Target::with_ports("relay.example", Role::Submission, &[587, 2525]),
            Target::new("own.example", Role::OwnHost),
        ];
        let specs = plan(&targets, &[25, 587], &[Family::Ipv4]);
        let got: Vec<(&str, u16, bool)> = specs
            .iter()
            .map(|s| (s.host.as_str(), s.port, s.expected))
            .collect();
        assert_eq!(
            got,
            vec![
                ("mx.example", 25, true),
                ("relay.example", 587, true),
                ("own.example", 25, false),
                ("own.example", 587, false),
            ]
        );
        let both = plan(&targets[..1], &[25], &Family::ALL);
        assert_eq!(both.len(), 2);
    }

    #[test]
    fn default_targets_known_ports() {
        assert!(expected("smtp.sendgrid.net", Role::Submission, 2525));
        assert!(!expected("smtp.gmail.com", Role::Submission, 2525));
        // A default target given as a custom one, in any case, with the
        // root's dot: its ports are still known.
        assert!(expected("SMTP.SendGrid.net.", Role::Custom, 2525));
        assert!(!expected("smtp.sendgrid.net.example", Role::Custom, 2525));
    }
}
