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
//! - [`api`], [`serve`] and [`web`]: the localhost HTTP API for the page,
//!   the `mailport serve` command, and the page embedded in the binary.
#![deny(missing_docs)]

pub mod api;
pub mod cli;
pub mod dns;
pub mod guard;
pub mod probe;
pub mod runner;
pub mod serve;
pub mod term;
pub mod web;

pub use runner::{run, Env, EnvBuilder, EnvError, RunError};
