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
//! - [`probe::allowed`]: which addresses may be connected to at all.
//! - [`netinfo`]: public address, provider (ASN), blocklists and reverse
//!   DNS, learned by DNS only, next to the probes.
//! - [`cli`] and [`term`]: the `mailport check` terminal mode.
//! - [`api`], [`serve`] and [`web`]: the localhost HTTP API for the page,
//!   the `mailport serve` command, and the page embedded in the binary.
//! - [`reflect`]: `mailport reflect`, the signing reflector, and the prover
//!   that checks it from the agent.
//!
//! Tests run against fake servers on loopback through a mapping
//! [`probe::Dialer`] (`agent/tests/`). The speed and memory figures come
//! from `cargo run --release -p mailport --example bench`: a full check of
//! 40 probes, half of them silent, should last about one greeting timeout.
#![deny(missing_docs)]

pub mod api;
pub mod args;
pub mod cli;
pub mod dns;
pub mod env;
pub mod generate;
pub mod inbound;
pub mod netinfo;
pub mod pacing;
pub mod probe;
pub mod reflect;
pub mod relay;
pub mod runner;
pub mod serve;
pub mod share;
pub mod term;
pub mod web;

pub use runner::{run, Env, EnvBuilder, EnvError, RunError};

/// The property suites' runner, shared with the shared crate's suite.
#[cfg(test)]
#[path = "../../shared/tests/fuzz/runner.rs"]
mod fuzz_runner;
