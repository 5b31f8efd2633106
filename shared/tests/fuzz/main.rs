//! Every parser of untrusted bytes in the shared crate, under random input.
//!
//! Properties, not just "does not panic": what parses re-serialises to the
//! same thing, what comes from the network is capped and carries no control
//! byte to a terminal, and a decoder refuses garbage with an error.
//!
//! Short mode (the test suite): 256 cases per property. Long mode, for a
//! fixed time: `MAILPORT_FUZZ_SECONDS=60 cargo test --release -p
//! mailport-shared --test fuzz -- --nocapture --test-threads 1` runs each
//! property for 60 s and prints how many cases it ran (`scripts/fuzz.sh`
//! runs every suite so).
//!
//! Modules, one per parser family:
//! - `text`: escaping of bytes for display, host/port/key parsers of user input;
//! - `netinfo`: Team Cymru TXT, blocklist codes, reverse-DNS heuristics;
//! - `wire`: the reflector's signed reply and share links.

mod netinfo;
mod runner;
mod text;
mod wire;
