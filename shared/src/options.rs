//! What a check is asked to do.

use crate::reflector::ReflectorSpec;
use crate::target::{default_targets, Target};
use crate::validate::{self, InputError};
use crate::MAIL_PORTS;
use serde::{Deserialize, Serialize};

/// Caps that keep one check bounded, whoever asks for it.
pub mod limits {
    /// Targets in one check.
    pub const MAX_TARGETS: usize = 16;
    /// Ports in one check.
    pub const MAX_PORTS: usize = 8;
    /// Connect timeout range, ms.
    pub const CONNECT_TIMEOUT_MS: (u32, u32) = (100, 30_000);
    /// Greeting timeout range, ms.
    pub const GREETING_TIMEOUT_MS: (u32, u32) = (100, 60_000);
}

/// Which address families to probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Families {
    /// Probe over IPv4.
    pub ipv4: bool,
    /// Probe over IPv6.
    pub ipv6: bool,
}

impl Default for Families {
    fn default() -> Self {
        Families {
            ipv4: true,
            ipv6: true,
        }
    }
}

impl Families {
    /// The enabled families, IPv4 first.
    pub fn list(self) -> Vec<crate::Family> {
        let mut v = Vec::new();
        if self.ipv4 {
            v.push(crate::Family::Ipv4);
        }
        if self.ipv6 {
            v.push(crate::Family::Ipv6);
        }
        v
    }
}

/// The options of one check: the JSON body of `POST /v1/checks`, and what the
/// terminal mode builds from its flags.
///
/// ```json
/// {"domain":"example.org","ports":[25,587],"families":{"ipv4":true,"ipv6":false}}
/// ```
/// Every field is optional; unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckOptions {
    /// The user's own mail domain: its MX set is probed on every port.
    pub domain: Option<String>,
    /// Explicit targets; empty means the defaults (plus the domain's hosts).
    pub targets: Vec<Target>,
    /// Ports to probe.
    pub ports: Vec<u16>,
    /// Families to probe.
    pub families: Families,
    /// How long to wait for the TCP handshake.
    pub connect_timeout_ms: u32,
    /// How long to wait for the SMTP greeting once connected.
    pub greeting_timeout_ms: u32,
    /// Try TLS (STARTTLS, and implicit TLS on 465) where offered.
    pub tls: bool,
    /// A mailport reflector to prove on every port and family of the check,
    /// beside the targets. Absent from the JSON when not set, so an older
    /// agent (which refuses unknown fields) still takes plain checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reflector: Option<ReflectorSpec>,
    /// Also test inbound port 25: ask the reflector (which must run with
    /// `--callback`) to connect back to this network. Absent from the JSON
    /// when off, for older agents.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inbound: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            domain: None,
            targets: Vec::new(),
            ports: MAIL_PORTS.to_vec(),
            families: Families::default(),
            connect_timeout_ms: 4_000,
            greeting_timeout_ms: 8_000,
            tls: true,
            reflector: None,
            inbound: false,
        }
    }
}

impl CheckOptions {
    /// Checks every field and normalises host names; the first problem wins.
    pub fn validated(mut self) -> Result<Self, InputError> {
        if self.inbound && self.reflector.is_none() {
            return Err(InputError::InboundNeedsReflector);
        }
        if let Some(d) = &self.domain {
            self.domain = Some(validate::domain(d)?);
        }
        if self.targets.len() > limits::MAX_TARGETS {
            return Err(InputError::TooMany {
                what: "targets",
                count: self.targets.len(),
                max: limits::MAX_TARGETS,
            });
        }
        for t in &mut self.targets {
            t.host = validate::host(&t.host)?.to_string();
            if let Some(ports) = &t.ports {
                check_ports(ports)?;
            }
        }
        check_ports(&self.ports)?;
        if !self.families.ipv4 && !self.families.ipv6 {
            return Err(InputError::NoFamily);
        }
        let (min, max) = limits::CONNECT_TIMEOUT_MS;
        if !(min..=max).contains(&self.connect_timeout_ms) {
            return Err(InputError::BadTimeout {
                name: "the connect timeout",
                value: self.connect_timeout_ms,
                min,
                max,
            });
        }
        let (min, max) = limits::GREETING_TIMEOUT_MS;
        if !(min..=max).contains(&self.greeting_timeout_ms) {
            return Err(InputError::BadTimeout {
                name: "the greeting timeout",
                value: self.greeting_timeout_ms,
                min,
                max,
            });
        }
        if let Some(r) = self.reflector.take() {
            self.reflector = Some(r.validated()?);
        }
        Ok(self)
    }

    /// The targets to probe: the explicit ones, or the defaults when there are
    /// none. Hosts found from `domain` are added by the agent after DNS: your
    /// own host alone cannot tell a block from that host being down, so it
    /// is probed beside the well-known servers, not instead of them.
    pub fn effective_targets(&self) -> Vec<Target> {
        if self.targets.is_empty() {
            default_targets()
        } else {
            self.targets.clone()
        }
    }
}

fn check_ports(ports: &[u16]) -> Result<(), InputError> {
    if ports.is_empty() {
        return Err(InputError::NoPorts);
    }
    if ports.len() > limits::MAX_PORTS {
        return Err(InputError::TooMany {
            what: "ports",
            count: ports.len(),
            max: limits::MAX_PORTS,
        });
    }
    if ports.contains(&0) {
        return Err(InputError::BadPort("0".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn defaults_are_valid() {
        let o = CheckOptions::default().validated().unwrap();
        assert_eq!(o.ports, MAIL_PORTS);
        assert!(!o.effective_targets().is_empty());
    }

    #[test]
    fn json_with_unknown_field_is_refused() {
        let r: Result<CheckOptions, _> = serde_json::from_str(r#"{"portz":[25]}"#);
        assert!(r.is_err());
        let o: CheckOptions = serde_json::from_str(r#"{"ports":[25]}"#).unwrap();
        assert_eq!(o.ports, vec![25]);
        assert!(o.tls);
    }

    #[test]
    fn reflector_is_optional_validated_and_absent_when_unset() {
        let json = serde_json::to_string(&CheckOptions::default()).unwrap();
        assert!(!json.contains("reflector"), "{json}");
        let o: CheckOptions = serde_json::from_str(&format!(
            r#"{{"reflector":{{"host":"R.Example.","public_key":"{}"}}}}"#,
            "CD".repeat(32)
        ))
        .unwrap();
        let o = o.validated().unwrap();
        let r = o.reflector.unwrap();
        assert_eq!(r.host, "r.example");
        assert_eq!(r.public_key, "cd".repeat(32));
    }

    #[test]
    fn invalid_options() {
        let mut cases: Vec<(CheckOptions, &str)> = vec![
            (
                CheckOptions {
                    ports: vec![],
                    ..Default::default()
                },
                "choose at least one port",
            ),
            (
                CheckOptions {
                    ports: vec![0],
                    ..Default::default()
                },
                "\"0\" is not a valid port (1 to 65535)",
            ),
            (
                CheckOptions {
                    families: Families {
                        ipv4: false,
                        ipv6: false,
                    },
                    ..Default::default()
                },
                "choose at least one of IPv4 and IPv6",
            ),
            (
                CheckOptions {
                    connect_timeout_ms: 5,
                    ..Default::default()
                },
                "the connect timeout must be between 100 and 30000 ms, not 5 ms",
            ),
            (
                CheckOptions {
                    domain: Some("not a domain".into()),
                    ..Default::default()
                },
                "\"not a domain\" is not a valid host name: only letters, digits, hyphens and dots are allowed",
            ),
            (
                CheckOptions {
                    targets: vec![Target::new("a..b", Role::Custom)],
                    ..Default::default()
                },
                "\"a..b\" is not a valid host name: it has an empty label (two dots in a row?)",
            ),
            (
                CheckOptions {
                    targets: vec![Target::new("x.example", Role::Custom); 17],
                    ..Default::default()
                },
                "too many targets: 17 given, 16 at most",
            ),
        ];
        cases.push((
            CheckOptions {
                reflector: Some(ReflectorSpec {
                    host: "r.example".into(),
                    public_key: "nonsense".into(),
                }),
                ..Default::default()
            },
            "\"nonsense\" is not a reflector public key: give the 64 hex digits or the base64 printed by `mailport reflect --gen-key`",
        ));
        for (opts, want) in cases {
            assert_eq!(opts.validated().unwrap_err().to_string(), want);
        }
    }
}
