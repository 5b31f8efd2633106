//! Inbound port 25: can the internet reach this machine's mail server?
//!
//! The other half of the question, kept apart from outbound everywhere
//! (report, terminal, page): a line that can send may still be unable to
//! receive, and the reverse. A reflector with call-back enabled connects
//! back to the address it sees the agent's request come from, on the mail
//! ports the agent names, and signs what happened ([`callback`]). The agent
//! knows whether the answer came from *this* machine by a witness: the
//! nonce its temporary listener greets with, or the greeting of the user's
//! own MTA. [`verdict`] turns the signed statement and the witness into one
//! [`InboundVerdict`] per family; [`words`] says it.

pub mod callback;
pub mod verdict;
pub mod words;

pub use callback::{CallResult, PortCall, Statement};
pub use verdict::{decide, InboundFacts, InboundUntestable, InboundVerdict, Witness};
pub use words::InboundAdvice;

use crate::family::Family;
use serde::{Deserialize, Serialize};

/// The inbound half of a report: one entry per family tested.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundReport {
    /// The reflector that called back.
    pub reflector: String,
    /// Per family, IPv4 first.
    pub families: Vec<InboundFamily>,
}

/// What one family's call-back showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundFamily {
    /// The family.
    pub family: Family,
    /// The verdict.
    pub verdict: InboundVerdict,
    /// How the agent could tell this machine's answer from another's.
    pub witness: Witness,
    /// The reflector's signed statement, when one came and verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Statement>,
    /// How long the call-back took, in milliseconds.
    #[serde(default)]
    pub elapsed_ms: u32,
}

impl InboundReport {
    /// The advice for every family, most useful first, each once.
    pub fn advice(&self) -> Vec<InboundAdvice> {
        let mut all = Vec::new();
        for f in &self.families {
            for a in words::advice(&f.verdict) {
                if !all.contains(&a) {
                    all.push(a);
                }
            }
        }
        all
    }
}
