#!/usr/bin/env bash
# Release figures for BENCHMARKS.md: the time of scripts/dist.sh, the size of
# each binary and archive against the goals (binary <= 8 MB, archive <= 4 MB),
# and the time from install.sh's start to a working `mailport --version`
# against a local HTTP server serving dist/ (a clean HOME each time).
#
#   bash scripts/bench-dist.sh             run dist.sh (timed), then measure
#   bash scripts/bench-dist.sh --no-build  measure the dist/ that exists
set -euo pipefail
cd "$(dirname "$0")/.."
out=${MAILPORT_DIST_DIR:-dist}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mailport

if [ "${1:-}" != "--no-build" ]; then
    t0=$(date +%s.%N)
    bash scripts/dist.sh >/tmp/mailport-bench-dist.log 2>&1 \
        || { tail -30 /tmp/mailport-bench-dist.log; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "dist.sh (all targets): %.0f s\n", b - a }'
fi

echo
printf '| target | binary | archive |\n|---|---:|---:|\n'
target_dir=${MAILPORT_DIST_TARGET_DIR:-$cache/dist-target}
for a in "$out"/mailport-*.tar.gz "$out"/mailport-*.zip; do
    [ -f "$a" ] || continue
    t=$(basename "$a" | sed -e 's/^mailport-//' -e 's/\.tar\.gz$//' -e 's/\.zip$//')
    bin="$target_dir/$t/release/mailport"
    [ -f "$bin" ] || bin="$bin.exe"
    b=$(wc -c <"$bin")
    s=$(wc -c <"$a")
    awk -v t="$t" -v b="$b" -v s="$s" 'BEGIN {
        printf "| %s | %.2f MB%s | %.2f MB%s |\n", t, b / 1048576, (b > 8 * 1048576 ? " (over 8 MB)" : ""),
            s / 1048576, (s > 4 * 1048576 ? " (over 4 MB)" : "") }'
done

# install.sh against a local server, three runs on a clean HOME each.
tmp=$(mktemp -d)
python3 -m http.server --bind 127.0.0.1 --directory "$out" 0 >"$tmp/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "the local HTTP server did not start"; exit 1; }
echo
for run in 1 2 3; do
    home="$tmp/home$run"
    mkdir -p "$home"
    t0=$(date +%s.%N)
    HOME="$home" MAILPORT_DOWNLOAD_BASE="http://127.0.0.1:$port" sh install.sh >/dev/null
    "$home/.local/bin/mailport" --version >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v r="$run" \
        'BEGIN { printf "install.sh to a working mailport --version (local server, run %d): %.2f s\n", r, b - a }'
done
