//! # mailport agent
//!
//! The native half of mailport: it measures, from the user's own network,
//! which mail ports reach the internet, and hands the measurements to
//! `mailport-shared` to be judged.
//!
//! - [`runner`]: one check from options to [`mailport_shared::Report`],
//!   streaming [`mailport_shared::CheckEvent`]s. The entry point for the
//!   terminal mode and the HTTP API alike.
//! - [`probe`]: one TCP/SMTP/TLS probe, every phase bounded in time.
//! - [`dns`]: A/AAAA and MX lookups with configurable nameservers.
//! - [`guard`]: which addresses may be probed at all.
//! - [`cli`] and [`term`]: the `mailport check` terminal mode.
//! - [`reflect`]: `mailport reflect`, the signing reflector, and the prover
//!   that checks it from the agent.
#![deny(missing_docs)]

pub mod cli;
pub mod dns;
pub mod guard;
pub mod probe;
pub mod reflect;
pub mod runner;
pub mod term;

pub use runner::{run, Env, EnvBuilder, EnvError, RunError};
