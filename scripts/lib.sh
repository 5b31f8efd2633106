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

# What the simulated-network bench (tests/netsim) and the relay's
# end-to-end proof (agent/tests/relay_e2e.rs) need: network namespaces,
# nftables, real Postfix servers, Dovecot's SASL, OpenSSL and curl for the
# stand-ins' checks, and nmap/nc to benchmark against. Postfix is
# preseeded to "No configuration": the bench writes its own per-instance
# configs and never touches /etc/postfix.
netsim_tools() {
    if ! command -v postfix >/dev/null 2>&1 && command -v debconf-set-selections >/dev/null 2>&1; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    fi
    apt_need ip iproute2 nft nftables postfix postfix nmap nmap nc netcat-openbsd \
        openssl openssl curl curl dovecot dovecot-core unshare util-linux python3 python3
}

# What the release-archive tests (tests/dist) need: Wine for mailport.exe
# (Debian's wine64 puts its loader in /usr/lib/wine), unzip for the Windows
# archive, curl for install.sh, unshare (util-linux) for the empty root.
dist_test_tools() {
    if ! command -v wine >/dev/null 2>&1 && ! command -v wine64 >/dev/null 2>&1 \
        && [ ! -x /usr/lib/wine/wine64 ]; then
        apt_need wine64 wine64
    fi
    apt_need unzip unzip curl curl unshare util-linux
}
