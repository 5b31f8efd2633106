//! Reflector mode: proof, not heuristics.
//!
//! `mailport reflect` runs on a server the user controls and answers an
//! SMTP-shaped exchange on every mail port, signing (challenge, the client
//! address it saw, the port) with an Ed25519 key. `mailport check --reflector
//! HOST --reflector-key KEY` probes it on each port and proves, per port,
//! whether the real reflector answered (valid signature), something else did
//! (a greeting without one: interception), or nothing did (blocked); and
//! whether the reflector saw this machine's own address. The wire protocol
//! and the result types are in `mailport_shared::reflector`.

pub mod callback;
pub mod client;
pub mod cmd;
pub mod keys;
pub mod server;

pub use callback::CallbackLimits;
pub use client::{compare_with_public, prove, ProveConfig};
pub use keys::{
    generate_key_file, load_signing_key, parse_public_key, public_key_forms, spec_key, KeyError,
};
pub use server::{bind, Limits, ServerConfig};
