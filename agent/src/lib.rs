//! mailport agent.
