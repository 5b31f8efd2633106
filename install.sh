#!/usr/bin/env bash
# Builds mailport (release) and installs it into ~/.local/bin.
#
#   bash install.sh            build and install the binary
#   bash install.sh --service  also write a systemd user unit that runs
#                              `mailport serve --no-open` (Linux only)
#
# Needs the Rust toolchain (https://rustup.rs). Nothing runs as root and
# nothing starts on its own unless you enable the service yourself.
set -euo pipefail
cd "$(dirname "$0")"

service=0
for arg in "$@"; do
    case "$arg" in
        --service) service=1 ;;
        -h | --help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install.sh: unknown option $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo not found; install Rust from https://rustup.rs first" >&2
    exit 1
fi

bin_dir="${HOME}/.local/bin"
# The page is embedded in the binary: build it first (adds the wasm32 target
# and the matching wasm-bindgen-cli when they are missing).
bash scripts/build-web.sh
echo "==> building mailport (release)"
cargo build --release --locked -p mailport
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-target}"
mkdir -p "$bin_dir"
install -m 0755 "${target_dir}/release/mailport" "${bin_dir}/mailport"
echo "==> installed ${bin_dir}/mailport"

case ":${PATH}:" in
    *":${bin_dir}:"*) ;;
    *) echo "    note: ${bin_dir} is not on your PATH; add it to run 'mailport' by name" ;;
esac

if [ "$service" = 1 ]; then
    if [ "$(uname -s)" != "Linux" ] || ! command -v systemctl >/dev/null 2>&1; then
        echo "install.sh: --service needs Linux with systemd; start 'mailport serve' yourself instead" >&2
        exit 1
    fi
    unit_dir="${XDG_CONFIG_HOME:-${HOME}/.config}/systemd/user"
    mkdir -p "$unit_dir"
    cat >"${unit_dir}/mailport.service" <<UNIT
[Unit]
Description=mailport agent: mail port checks for the mailport page (loopback only)
Documentation=https://github.com/mailport/mailport

[Service]
ExecStart=${bin_dir}/mailport serve --no-open
Restart=on-failure
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only

[Install]
WantedBy=default.target
UNIT
    echo "==> wrote ${unit_dir}/mailport.service"
    echo "    enable and start it with:"
    echo "      systemctl --user daemon-reload"
    echo "      systemctl --user enable --now mailport.service"
    echo "    then open http://127.0.0.1:7525/ (the agent's own page pairs itself);"
    echo "    for the public page, the link with the token is in: journalctl --user -u mailport"
fi
