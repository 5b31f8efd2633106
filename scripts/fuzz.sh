#!/usr/bin/env bash
# The property suites in long mode: every parser of untrusted bytes under
# random input for a fixed time per property (default 60 s), release build.
#   bash scripts/fuzz.sh [SECONDS_PER_PROPERTY]
# Each property prints "fuzz NAME: N cases in T s"; a failure prints the
# smallest input found. The short mode runs in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILPORT_FUZZ_SECONDS=${1:-60}
cargo test --release -p mailport-shared --test fuzz -- --nocapture --test-threads 1 2>&1 | grep -E '^fuzz |test result|panicked|minimal'
cargo test --release -p mailport --lib fuzz -- --nocapture --test-threads 1 2>&1 | grep -E '^fuzz |test result|panicked|minimal'
