//! mailport agent.

pub mod netinfo;
