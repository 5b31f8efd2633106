#!/usr/bin/env bash
# Builds the release archives: the agent with the page embedded, for
#   x86_64-unknown-linux-musl, aarch64-unknown-linux-musl  (static Linux)
#   x86_64-apple-darwin, aarch64-apple-darwin              (macOS)
#   x86_64-pc-windows-gnu                                  (Windows)
# into dist/ as mailport-{target}.tar.gz (.zip for Windows) — the names
# `cargo binstall` and install.sh / install.ps1 look for — plus SHA256SUMS.
# Each archive holds the binary, README.md, LICENSE* if any, man pages
# (man/) and shell completions (completions/) generated from the clap
# definitions by the binary itself.
#
#   bash scripts/dist.sh                    all five targets
#   MAILPORT_DIST_TARGETS="x86_64-unknown-linux-musl" bash scripts/dist.sh
#
# Tools are installed once and cached: the rustup targets, Debian's
# musl-tools, gcc-mingw-w64-x86-64 and zopfli (scripts/build-web.sh
# precompresses the page with it), cargo-zigbuild (crates.io) and zig
# (the `ziglang` wheel from PyPI, unpacked under ~/.cache/mailport). The
# cross builds share one target dir under ~/.cache/mailport, so a second run
# only rebuilds what changed. The release workflow runs this same script.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ZIGBUILD_VERSION=0.24.1
ZIG_VERSION=0.14.1
ALL_TARGETS="x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin"
targets=${MAILPORT_DIST_TARGETS:-$ALL_TARGETS}
out=${MAILPORT_DIST_DIR:-dist}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mailport
started=$(date +%s)

# --- tools (each only when missing) ---------------------------------------
dist_tools() {
    local t
    for t in $targets; do
        rustup target list --installed | grep -qx "$t" || rustup target add "$t"
    done
    apt_need musl-gcc musl-tools x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64 \
        zip zip sha256sum coreutils python3 python3 pip3 python3-pip
    case " $targets " in *apple* | *aarch64*) ;; *) return 0 ;; esac
    if ! cargo-zigbuild -V 2>/dev/null | grep -q " $ZIGBUILD_VERSION\$"; then
        cargo install --locked cargo-zigbuild --version "=$ZIGBUILD_VERSION"
    fi
    # The ziglang wheel unpacked into its own directory (--target): no
    # virtualenv needed, and Debian's "externally managed" Python is left
    # alone. cargo-zigbuild is pointed at its zig binary.
    local zigdir="$cache/ziglang-$ZIG_VERSION"
    if [ ! -x "$zigdir/ziglang/zig" ]; then
        rm -rf "$zigdir"
        python3 -m pip install --quiet --disable-pip-version-check --no-deps \
            --target "$zigdir" "ziglang==$ZIG_VERSION"
    fi
    export CARGO_ZIGBUILD_ZIG_PATH="$zigdir/ziglang/zig"
    "$CARGO_ZIGBUILD_ZIG_PATH" version >/dev/null
}
step "release tools" dist_tools

# --- the page, embedded by every build --------------------------------------
step "build the page" bash scripts/build-web.sh
[ -f web/pkg/mailport_frontend_bg.wasm ] && [ -f web/pkg/mailport_viewer_bg.wasm ] || {
    echo "dist.sh: web/pkg was not built; the binaries would lack the page" >&2
    exit 1
}

# --- the binaries ------------------------------------------------------------
# One target dir for all cross builds, kept between runs (incremental).
export CARGO_TARGET_DIR=${MAILPORT_DIST_TARGET_DIR:-$cache/dist-target}
# C code (ring) needs each target's C compiler; the linkers are in
# .cargo/config.toml.
export CC_x86_64_unknown_linux_musl=musl-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar

binary_of() { # target -> path of its built binary
    case "$1" in
        *windows*) echo "$CARGO_TARGET_DIR/$1/release/mailport.exe" ;;
        *) echo "$CARGO_TARGET_DIR/$1/release/mailport" ;;
    esac
}

for t in $targets; do
    case "$t" in
        x86_64-unknown-linux-musl | x86_64-pc-windows-gnu)
            step "build $t" cargo build --release --locked -p mailport --target "$t" ;;
        *-apple-darwin | aarch64-unknown-linux-musl)
            step "build $t (cargo-zigbuild)" cargo zigbuild --release --locked -p mailport --target "$t" ;;
        *)
            echo "dist.sh: unknown target $t (known: $ALL_TARGETS)" >&2
            exit 2 ;;
    esac
done

# --- man pages and completions, by a binary that runs here -------------------
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
host_bin=""
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] && [ -x "$(binary_of x86_64-unknown-linux-musl)" ]; then
    host_bin=$(binary_of x86_64-unknown-linux-musl)
else
    step "build the native binary (generates man pages and completions)" \
        cargo build --release --locked -p mailport
    host_bin="$CARGO_TARGET_DIR/release/mailport"
fi
"$host_bin" generate-man "$gen/man" >/dev/null
"$host_bin" generate-completions "$gen/completions" >/dev/null

# --- archives ----------------------------------------------------------------
mkdir -p "$out"
rm -f "$out"/mailport-*.tar.gz "$out"/mailport-*.zip "$out"/SHA256SUMS
# Reproducible archives: fixed order, owner and time (the last commit's).
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
for t in $targets; do
    stage="$gen/stage-$t"
    mkdir -p "$stage"
    bin=$(binary_of "$t")
    cp "$bin" "$stage/"
    cp README.md "$stage/"
    for l in LICENSE*; do [ -f "$l" ] && cp "$l" "$stage/"; done
    cp -r "$gen/man" "$gen/completions" "$stage/"
    find "$stage" -exec touch -h -d "@$epoch" {} +
    case "$t" in
        *windows*)
            (cd "$stage" && find . -type f | LC_ALL=C sort | sed 's|^\./||' \
                | zip -q -X -@ "$OLDPWD/$out/mailport-$t.zip") ;;
        *)
            tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
                -C "$stage" -cf - . | gzip -9 -n >"$out/mailport-$t.tar.gz" ;;
    esac
done
# The installers are release assets too (the one-liners fetch them from the
# same place), and listed in SHA256SUMS with the archives.
cp install.sh install.ps1 "$out/"
(cd "$out" && shopt -s nullglob && sha256sum mailport-*.tar.gz mailport-*.zip install.sh install.ps1 >SHA256SUMS)

# --- what was built: sizes against the goals ----------------------------------
echo
printf '%-28s %12s %12s\n' target "binary" "archive"
for t in $targets; do
    b=$(wc -c <"$(binary_of "$t")")
    a=$(wc -c <"$out"/mailport-"$t".*)
    flag=""
    [ "$b" -le $((8 * 1024 * 1024)) ] || flag="$flag binary>8MB"
    [ "$a" -le $((4 * 1024 * 1024)) ] || flag="$flag archive>4MB"
    awk -v t="$t" -v b="$b" -v a="$a" -v f="$flag" \
        'BEGIN { printf "%-28s %10.2fMB %10.2fMB%s\n", t, b / 1048576, a / 1048576, f }'
done
echo "dist.sh: $(($(date +%s) - started)) s; archives and SHA256SUMS in $out/"
