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
