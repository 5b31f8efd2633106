//! mailport agent.

pub mod reflect;
