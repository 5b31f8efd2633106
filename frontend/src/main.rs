//! mailport's web page, compiled to WebAssembly.
//!
//! Layout after Yew's `function_todomvc`: [`state`] holds the logic
//! (a reducer, tested natively), [`facts`] how the network facts and
//! reflector proofs read, [`api`] every call to the agent,
//! [`components`] one view per file, [`app`] wires them together.

// Natively nothing calls the app (it is only checked and unit-tested).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod api;
mod app;
mod components;
mod facts;
mod sse;
mod state;

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<app::App>::new().render();
}

/// The page only runs in a browser; natively this crate exists to be
/// type-checked, linted and unit-tested.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mailport-frontend is a web page: build it with scripts/build-web.sh");
}
