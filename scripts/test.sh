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
# The page's entry points (main.rs, bin/relay.rs, bin/share.rs) exist only for wasm32.
step "clippy, the page as wasm" cargo clippy -p mailport-frontend --target wasm32-unknown-unknown --all-targets -- -D warnings
# The page: a real browser, the wasm-bindgen CLI of the version in Cargo.lock
# (installed without --locked: its own lockfile wants crates the registry
# lacks), the page built into web/pkg before the agent embeds web/.
step "chromium and chromedriver" apt_need chromium chromium chromedriver chromium-driver
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, "", $0); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wasm_bindgen_version\$"; then
    step "wasm-bindgen-cli $wasm_bindgen_version" cargo install wasm-bindgen-cli --version "=$wasm_bindgen_version"
fi
# The netsim bench runs the real agent binary inside network namespaces (as
# root; it skips itself otherwise, except in CI where it must run).
if [ "$(id -u)" = 0 ]; then
    step "tools for the simulated-network bench" netsim_tools
fi
step "build the page" bash scripts/build-web.sh
step "build the agent (embeds the page)" cargo build -p mailport
step "unit and integration tests" cargo test --workspace --exclude mailport-e2e
step "the shape of the code (no import cycle, no file over 700 lines)" cargo test -p mailport-e2e --test layout
step "the page in a real browser" cargo test -p mailport-e2e --test browser
step "the simulated internet (netns, nftables, Postfix)" cargo test -p mailport-e2e --test netsim
# The release archives for all five targets (cached toolchains and target
# dir under ~/.cache/mailport), then tested as users get them: install.sh
# against a local server, mailport.exe under Wine, the static binary in an
# empty root.
step "release archives" bash scripts/dist.sh
step "tools for the release tests" dist_test_tools
step "the release archives as users get them" cargo test -p mailport-e2e --test dist
