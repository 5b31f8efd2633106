//! mailport's web page, compiled to WebAssembly: four programs over one
//! library. `main.rs` is the page (the checker, [`app`]); `bin/viewer.rs`
//! is the page as a share link opens it ([`viewer`]), started instead of
//! the checker when the address carries a shared result; `bin/relay.rs` is
//! the checker's relay panel, which it loads when the panel is first
//! opened, and `bin/share.rs` makes its share links and judges partial
//! results, loaded when a check starts ([`lazy`] says why they are modules
//! of their own).
//!
//! Layout after Yew's `function_todomvc`: [`state`] holds the logic
//! (a reducer, tested natively), [`facts`] how the network facts and
//! reflector proofs read, [`api`] every call to the agent, [`lazy`] and
//! [`share_links`] the calls into the two lazily loaded modules,
//! [`components`] one view per file, [`app`] and [`viewer`] wire them
//! together.

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
pub mod viewer;
