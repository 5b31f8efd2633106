//! This page's version against the agent's: when to ask for an update, and
//! in which words.

use super::agent::Agent;
use mailport_shared::api::API_VERSION;

/// This page's version: the agent it was built with has the same.
pub const PAGE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why an agent that answered is older than this page, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outdated {
    /// The agent's version as it gave it (may be empty).
    pub agent_version: String,
    /// Its API is older too: checks may fail, not just miss features.
    pub older_api: bool,
}

impl Outdated {
    /// The sentence the page shows.
    pub fn message(&self) -> String {
        let which = if self.agent_version.is_empty() {
            "This mailport agent does not say its version; it is older than this page".to_string()
        } else {
            format!(
                "This mailport agent is version {}, older than this page ({PAGE_VERSION})",
                self.agent_version
            )
        };
        let risk = if self.older_api {
            "checks may fail until you update it"
        } else {
            "some results may be missing until you update it"
        };
        format!("{which}: {risk}. Install the new version as below, then start it again.")
    }
}

impl Agent {
    /// How the agent is older than this page, if it is: an older API, or
    /// an older release of the same API.
    pub fn outdated(&self) -> Option<Outdated> {
        match self {
            Agent::Found { health, .. } => {
                let older_api = health.api_version < API_VERSION;
                (older_api || version_older(&health.agent_version, PAGE_VERSION)).then(|| {
                    Outdated {
                        agent_version: health.agent_version.clone(),
                        older_api,
                    }
                })
            }
            _ => None,
        }
    }
}

/// Whether version `a` is older than `b`, comparing dot-separated numbers
/// (`0.0.9` < `0.1.0` < `0.10.0`); a pre-release or build suffix is
/// ignored. A version that does not read as numbers at all is older: only
/// an old or odd agent sends one.
pub fn version_older(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<Vec<u64>> {
        let core = v.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next().unwrap_or_default();
        let mut n: Vec<u64> = core
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        // `0.1` and `0.1.0` are the same version.
        while n.last() == Some(&0) {
            n.pop();
        }
        Some(n)
    }
    match (parts(a), parts(b)) {
        (Some(a), Some(b)) => a < b,
        (None, Some(_)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::api::Health;

    fn found(version: &str, api: u32) -> Agent {
        Agent::Found {
            base: "http://127.0.0.1:7525".into(),
            health: Health {
                agent_version: version.into(),
                api_version: api,
                capabilities: mailport_shared::api::Capabilities {
                    ipv6: false,
                    tls: true,
                },
            },
            same_origin: true,
        }
    }

    #[test]
    fn outdated_agent() {
        assert_eq!(
            found("0.0.9", 0).outdated(),
            Some(Outdated {
                agent_version: "0.0.9".into(),
                older_api: true
            })
        );
        assert_eq!(found(PAGE_VERSION, API_VERSION).outdated(), None);
        // Same API, older release: still said, less strongly.
        let old = found("0.0.1", API_VERSION).outdated().expect("older");
        assert!(!old.older_api);
        assert!(old.message().starts_with(&format!(
            "This mailport agent is version 0.0.1, older than this page ({PAGE_VERSION}): some results"
        )));
        // A health answer without a version (read leniently).
        let unknown = found("", 0).outdated().expect("older");
        assert!(unknown.message().contains("does not say its version"));
        assert!(unknown.message().contains("checks may fail"));
        // A newer agent is not "outdated".
        assert_eq!(found("99.0.0", API_VERSION).outdated(), None);
    }

    #[test]
    fn versions_compare_as_numbers() {
        for (a, b, older) in [
            ("0.0.9", "0.1.0", true),
            ("0.1.0", "0.1.0", false),
            ("0.1", "0.1.0", false),
            ("0.9.0", "0.10.0", true),
            ("0.10.0", "0.9.0", false),
            ("v0.1.0", "0.1.1", true),
            ("0.1.0-beta.1", "0.1.0", false),
            ("1.0.0", "0.9.9", false),
            ("", "0.1.0", true),
            ("dev", "0.1.0", true),
        ] {
            assert_eq!(version_older(a, b), older, "{a} < {b}");
        }
    }
}
