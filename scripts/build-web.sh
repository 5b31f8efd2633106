#!/usr/bin/env bash
# Builds the page: the Yew app to wasm (smallest profile), wasm-bindgen's JS
# glue into web/pkg, each file precompressed beside it as FILE.gz, and
# prints the sizes (MAILPORT_WASM_OPT=1 adds wasm-opt -Oz).
# The agent embeds web/ when it is built, so run this first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

target_dir=${CARGO_TARGET_DIR:-target}
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, "", $0); print; exit}' Cargo.lock)

rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    step "install wasm-bindgen-cli $want" cargo install wasm-bindgen-cli --version "=$want"
fi

# Panic locations name source files. The crates' registry and this checkout
# are mapped to fixed short names, so the page is the same byte for byte
# wherever it is built and carries no path of the machine that built it.
flags=()
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [ -d "$d" ] && flags+=("--remap-path-prefix=${d%/}=/crates")
done
flags+=("--remap-path-prefix=$PWD=/mailport")
# The standard library's own paths are /rustc/<commit>/… unless rustup's
# rust-src component is installed, which makes them local paths: map those
# back, so the component makes no difference either.
sysroot=$(rustc --print sysroot)
commit=$(rustc -vV | sed -n 's/^commit-hash: //p')
flags+=("--remap-path-prefix=$sysroot/lib/rustlib/src/rust=/rustc/$commit")

# The standard library is rebuilt for the page, smallest and with
# panic=immediate-abort (26 KB less gzipped, BENCHMARKS.md): a panic traps
# at once instead of formatting a message. What is lost is the message in
# the browser's console (Yew's panic hook wrote it there; the console shows
# a bare "unreachable" trap instead): panic=abort trapped already, and
# main.js tells the user either way. MAILPORT_PREBUILT_STD=1 builds with
# the messages, for debugging. These are unstable options of the stable
# toolchain (RUSTC_BOOTSTRAP, for this one build only) and need rustup's
# rust-src component; without it the page is built with the prebuilt
# standard library, larger but the same page (not in CI: below).
build_page() { # $1: 1 to rebuild the standard library, 0 for the prebuilt one
    local f=("${flags[@]}") args=(--target wasm32-unknown-unknown) boot=()
    if [ "$1" = 1 ]; then
        f+=(-Zunstable-options -Cpanic=immediate-abort)
        args+=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
        boot=(RUSTC_BOOTSTRAP=1)
    fi
    # The floor: the smallest Yew app, built the same way (frontend/examples/counter.rs).
    [ "${MAILPORT_WASM_BASELINE:-0}" = 1 ] && args+=(--bins --example counter)
    env CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${f[*]}")" ${boot[@]+"${boot[@]}"} \
        cargo build -p mailport-frontend --profile wasm-release "${args[@]}"
}
# In CI (or with MAILPORT_REQUIRE_BUILD_STD=1) the page must come out as
# small as it can: the standard library's rebuild must work and zopfli must
# be there (below). A silent fallback would only show as a larger page.
strict=0
if [ "${CI:-}" = true ] || [ "${MAILPORT_REQUIRE_BUILD_STD:-0}" = 1 ]; then
    strict=1
fi
has_rust_src() {
    rustup component list --installed 2>/dev/null | grep '^rust-src' >/dev/null \
        || rustup component add rust-src
}
if [ "${MAILPORT_PREBUILT_STD:-0}" = 1 ]; then
    step "build the page (wasm, prebuilt standard library: MAILPORT_PREBUILT_STD=1)" build_page 0
elif has_rust_src; then
    if ! step "build the page (wasm, standard library rebuilt)" build_page 1; then
        [ "$strict" = 1 ] && { echo "the standard library's rebuild failed (see above)" >&2; exit 1; }
        # A toolchain whose unstable options changed falls back, not fails
        # (a compile error of the page itself fails again below).
        echo "warning: the rebuild of the standard library failed; building with the prebuilt one (larger)" >&2
        step "build the page (wasm, prebuilt standard library)" build_page 0
    fi
else
    [ "$strict" = 1 ] && { echo "rustup could not add rust-src (see above)" >&2; exit 1; }
    echo "warning: no rust-src component; building with the prebuilt standard library (larger)" >&2
    step "build the page (wasm, prebuilt standard library)" build_page 0
fi
# Four modules: the page; its relay panel, which the page loads when the
# panel is first opened; its share links, loaded when a check starts
# (frontend/src/lazy.rs); and the viewer, which main.js starts instead of
# the page when the address carries a shared result (frontend/src/viewer.rs).
rm -rf web/pkg
for bin in mailport-frontend mailport-relay mailport-share mailport-viewer; do
    step "wasm-bindgen $bin" wasm-bindgen --target web --no-typescript \
        --remove-name-section --remove-producers-section \
        --out-name "${bin//-/_}" --out-dir web/pkg \
        "$target_dir/wasm32-unknown-unknown/wasm-release/$bin.wasm"
done

# wasm-opt from npm's binaryen (Debian's is too old for this output). Off
# by default: it makes the file 3 % smaller but its gzip, which is what
# the agent and most static hosts send, about 2 KB larger (BENCHMARKS.md).
out=web/pkg/mailport_frontend_bg.wasm
if [ "${MAILPORT_WASM_OPT:-0}" = 1 ] && command -v npx >/dev/null 2>&1; then
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/mailport/binaryen
    if [ ! -x "$cache/node_modules/.bin/wasm-opt" ]; then
        mkdir -p "$cache"
        npm install --prefix "$cache" --no-audit --no-fund --silent binaryen@132 >/dev/null 2>&1 || true
    fi
    if [ -x "$cache/node_modules/.bin/wasm-opt" ]; then
        for w in web/pkg/*_bg.wasm; do
            "$cache/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
                --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
                "$w" -o "$w.opt" && mv "$w.opt" "$w" || echo "wasm-opt failed on $w; keeping it unoptimised"
        done
    fi
fi

# The modules and their glue precompressed: FILE.gz beside FILE, which the
# agent embeds as it is (agent/build.rs) and a static host can send as it
# is (nginx gzip_static, Caddy's `precompressed gzip`). zopfli writes
# ordinary gzip, about 4 % smaller than gzip -9 (BENCHMARKS.md); without
# it the agent gzips at miniz's best level instead. Required in CI, so
# that release binaries always carry the smaller files.
if [ "$strict" = 1 ]; then
    apt_need zopfli zopfli || true
else
    apt_need zopfli zopfli >/dev/null 2>&1 || true
fi
if command -v zopfli >/dev/null 2>&1; then
    for f in web/pkg/*.wasm web/pkg/*.js; do
        zopfli -c "$f" > "$f.gz"
    done
elif [ "$strict" = 1 ]; then
    echo "zopfli is not installed and apt-get could not install it" >&2
    exit 1
else
    echo "warning: no zopfli; the agent will gzip the page itself (about 4 % larger)" >&2
fi

# The sizes: raw, gzip -9, and as served (the .gz above, when written).
sizes() { # $1: file
    local served=""
    [ -f "$1.gz" ] && served=", $(wc -c < "$1.gz") as served (zopfli)"
    echo "$(wc -c < "$1") bytes, $(gzip -9 -c "$1" | wc -c) bytes gzip -9$served"
}
echo "page wasm: $(sizes "$out") (goal: <= 200 KB gzipped)"
echo "relay panel wasm (loaded when opened): $(sizes web/pkg/mailport_relay_bg.wasm)"
echo "share links wasm (loaded when a check starts): $(sizes web/pkg/mailport_share_bg.wasm)"
echo "viewer wasm (the page as a share link opens it): $(sizes web/pkg/mailport_viewer_bg.wasm) (goal: <= 200 KB gzipped)"
if [ "${MAILPORT_WASM_BASELINE:-0}" = 1 ]; then
    floor=$(mktemp -d)
    wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
        --out-dir "$floor" "$target_dir/wasm32-unknown-unknown/wasm-release/examples/counter.wasm"
    echo "a bare Yew counter built the same way: $(wc -c < "$floor/counter_bg.wasm") bytes, $(gzip -9 -c "$floor/counter_bg.wasm" | wc -c) bytes gzipped"
    rm -rf "$floor"
fi
