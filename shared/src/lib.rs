//! # mailport-shared
//!
//! The vocabulary that the mailport agent (native) and the mailport page (wasm)
//! share: what a check asks for ([`options`]), what the network answered for each
//! probe ([`outcome`], [`probe`]), what that means per port and address family
//! ([`classify`]), what the user should do about it ([`advice`]), the full
//! [`report`] and the [`event`]s that stream while a check runs, and the
//! [`share`] link codec.
//!
//! ## The purity contract
//!
//! Nothing in this crate performs I/O, reads a clock or a random source. Every
//! function is a pure function over data, so it compiles for
//! `wasm32-unknown-unknown` unchanged and its behaviour is tested as tables.
//! The agent measures; this crate judges.
//!
//! The wire format is `serde_json` of these types. Every report carries
//! [`SCHEMA_VERSION`]; readers refuse reports from a future schema instead of
//! guessing.
#![deny(missing_docs)]

pub mod advice;
pub mod api;
pub mod classify;
pub mod control;
pub mod event;
pub mod family;
pub mod hex;
pub mod inbound;
pub mod interception;
pub mod json;
pub mod knowledge;
pub mod netinfo;
pub mod options;
pub mod outcome;
pub mod own_domain;
pub mod platform;
pub mod probe;
pub mod quoted;
pub mod ratelimit;
pub mod reflector;
pub mod relay;
pub mod report;
pub mod sample;
pub mod second_look;
pub mod share;
pub mod small_sort;
pub mod suffix;
pub mod summary;
mod tag_first;
pub mod target;
#[cfg(test)]
mod test_support;
mod text;
pub mod timing;
pub mod validate;

pub use advice::{advise, Advice, AdviceId};
pub use classify::{classify, headline, PortVerdict, Verdict};
pub use event::CheckEvent;
pub use family::Family;
pub use netinfo::NetworkFacts;
pub use options::CheckOptions;
pub use outcome::Outcome;
pub use probe::{ProbeResult, ProbeSpec, Timings};
pub use report::Report;
pub use target::{Role, Target};

/// Version of the JSON schema of [`Report`], [`CheckEvent`] and [`CheckOptions`].
///
/// Bump it on any change that an older reader would misread.
///
/// 2: control probes (`Report::controls`), the `port_tester` and
/// `local_firewall` outcomes, the `rate_limited` and `blocked_locally`
/// verdicts, the EHLO failures told apart. Reports of schema 1 still read.
///
/// 3: the inbound section (`Report::inbound`, `CheckOptions::inbound`): a
/// schema-2 page would drop it without a word, so it says "made by a newer
/// mailport" instead. Reports of schemas 1 and 2 still read.
///
/// 4: the `dns_broken` reason a port could not be tested (the DNS server
/// denied the well-known names): a schema-3 reader would call the link
/// damaged. Reports of schemas 1 to 3 still read.
pub const SCHEMA_VERSION: u32 = 4;

/// The mail ports mailport knows about, in the order they are shown.
///
/// - 25: SMTP relay between servers (MX delivery). The port ISPs block.
/// - 26: an unofficial alternative submission port some shared hosts offer.
/// - 465: submission with implicit TLS (RFC 8314).
/// - 587: message submission with STARTTLS and authentication (RFC 6409).
/// - 2525: an unofficial alternative offered by relay services.
pub const MAIL_PORTS: [u16; 5] = [25, 26, 465, 587, 2525];
