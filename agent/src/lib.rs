//! mailport agent.

pub mod api;
pub mod web;
