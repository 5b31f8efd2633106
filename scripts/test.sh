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
# The netsim bench runs the real agent binary inside network namespaces (as
# root; it skips itself otherwise, except in CI where it must run).
if [ "$(id -u)" = 0 ]; then
    step "tools for the simulated-network bench" netsim_tools
fi
step "build the agent binary for the netsim bench" cargo build -p mailport
step "unit and integration tests (includes the netsim bench: tests/netsim)" cargo test --workspace
