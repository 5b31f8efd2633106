//! The HTTP API between the page and the agent: constants and message types,
//! so both sides compile against one definition.

use serde::{Deserialize, Serialize};

/// Version of the HTTP API; the page warns when the agent's is older.
pub const API_VERSION: u32 = 1;

/// The port the agent listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7525;

/// Where the public copy of the page lives: allowed as an origin by default,
/// and the default base of share links (a link to `http://127.0.0.1` would
/// open nowhere but on the user's own machine).
pub const PUBLIC_PAGE_ORIGIN: &str = "https://mailport.github.io";

/// `GET /v1/health`.
///
/// Read leniently: an older agent that lacks a field still reads as an
/// agent (a missing `api_version` is 0, older than any), so the page can
/// say "update it" instead of "no agent answered".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The agent's version.
    #[serde(default)]
    pub agent_version: String,
    /// [`API_VERSION`] of the agent.
    #[serde(default)]
    pub api_version: u32,
    /// What the agent can do here (all false when an older agent did not say).
    #[serde(default)]
    pub capabilities: Capabilities,
}

/// What the agent can do on this machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The machine has a global IPv6 address.
    pub ipv6: bool,
    /// TLS probing is built in.
    pub tls: bool,
}

/// `POST /v1/checks` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCreated {
    /// The check's id.
    pub id: String,
}

/// `GET /v1/pair` answer (same-origin only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairing {
    /// The bearer token for actions.
    pub token: String,
}

/// Every error answer: a stable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, snake_case, e.g. `busy`, `invalid_options`, `forbidden_origin`.
    pub code: String,
    /// Human text.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What older agents answered on `/v1/health` still reads as an agent.
    #[test]
    fn health_reads_leniently() {
        let table: &[(&str, &str, u32)] = &[
            (
                r#"{"agent_version":"0.1.0","api_version":1,"capabilities":{"ipv6":true,"tls":true}}"#,
                "0.1.0",
                1,
            ),
            (r#"{"agent_version":"0.0.5","api_version":0}"#, "0.0.5", 0),
            (r#"{"agent_version":"0.0.1"}"#, "0.0.1", 0),
            (r#"{}"#, "", 0),
        ];
        for (json, version, api) in table {
            let h: Health = serde_json::from_str(json).expect(json);
            assert_eq!((h.agent_version.as_str(), h.api_version), (*version, *api));
        }
        assert!(serde_json::from_str::<Health>(r#"{"api_version":"one"}"#).is_err());
    }
}
