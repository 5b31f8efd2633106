//! mailport's web page, compiled to WebAssembly: three programs over one
//! library. `main.rs` is the page; `bin/relay.rs` is its relay panel,
//! which the page loads when the panel is first opened, and `bin/share.rs`
//! makes its share links, loaded when a check starts ([`lazy`] says why
//! they are modules of their own).
//!
//! Layout after Yew's `function_todomvc`: [`state`] holds the logic
//! (a reducer, tested natively), [`facts`] how the network facts and
//! reflector proofs read, [`api`] every call to the agent, [`lazy`] and
//! [`share_links`] the calls into the other two modules,
//! [`components`] one view per file, [`app`] wires them together.

// Natively nothing calls the app (it is only checked and unit-tested).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod api;
pub mod app;
pub mod components;
pub mod facts;
pub mod lazy;
pub mod share_links;
mod sse;
pub mod state;
