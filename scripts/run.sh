#!/usr/bin/env bash
# Sets up this machine, builds the page and the agent, and starts mailport
# (API and page on http://127.0.0.1:7525). Arguments go to `mailport`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

setup_rust
[ -x scripts/build-web.sh ] && step "build the page" bash scripts/build-web.sh
step "build the agent" cargo build --release -p mailport
exec target/release/mailport "$@"
