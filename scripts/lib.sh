# Helpers for scripts/*.sh: idempotent installs, cached between runs.

step() {
    local name=$1
    shift
    printf '\n==> %s\n' "$name"
    "$@"
}

# The wasm target and rustfmt/clippy.
setup_rust() {
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || rustup target add wasm32-unknown-unknown
    rustup component list --installed | grep -q '^clippy' || rustup component add clippy
    rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
}

# Debian packages, installed only when a command is missing.
# usage: apt_need COMMAND PACKAGE [COMMAND PACKAGE]...
apt_need() {
    local missing=()
    while [ $# -ge 2 ]; do
        command -v "$1" >/dev/null 2>&1 || missing+=("$2")
        shift 2
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "${MAILPORT_APT_UPDATED:-}" ]; then
        apt-get update -qq
        export MAILPORT_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
