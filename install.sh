#!/bin/sh
# Installs the mailport agent on Linux or macOS: downloads the prebuilt
# binary for this machine, checks it against the release's SHA256SUMS and
# puts it into ~/.local/bin. No root, no compiler.
#
#   curl -fsSL https://github.com/mailport/mailport/releases/latest/download/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --service
#
# Options:
#   --service   also write a user service that runs `mailport serve --no-open`
#               (a systemd user unit on Linux, a launchd agent on macOS);
#               nothing is started until you enable it yourself.
# Environment:
#   MAILPORT_DOWNLOAD_BASE  where the archives and SHA256SUMS are
#                           (default: the latest GitHub release)
#   MAILPORT_INSTALL_DIR    where the binary goes (default: ~/.local/bin)
#
# Building from source instead: see "Building from source" in README.md.
set -eu

base="${MAILPORT_DOWNLOAD_BASE:-https://github.com/mailport/mailport/releases/latest/download}"
base="${base%/}"
bin_dir="${MAILPORT_INSTALL_DIR:-${HOME}/.local/bin}"
known="Linux x86_64, Linux aarch64 (arm64), macOS x86_64 (Intel), macOS arm64 (Apple silicon); Windows has install.ps1"

say() { printf '%s\n' "$*"; }
die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
Installs the mailport agent on Linux or macOS: downloads the prebuilt binary
for this machine, checks it against the release's SHA256SUMS and puts it
into ~/.local/bin (or MAILPORT_INSTALL_DIR). No root, no compiler.

  sh install.sh             install the binary
  sh install.sh --service   also write a user service (systemd on Linux,
                            launchd on macOS) that runs `mailport serve`

MAILPORT_DOWNLOAD_BASE: where the archives and SHA256SUMS are
(default: the latest GitHub release).
EOF
}

service=0
for arg in "$@"; do
    case "$arg" in
        --service) service=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) die "unknown option $arg (try --help)" ;;
    esac
done

# uname -s and uname -m -> the release target.
os=$(uname -s)
arch=$(uname -m)
# An Intel shell on Apple silicon (Rosetta) still gets the native binary.
if [ "$os" = Darwin ] && [ "$arch" = x86_64 ] &&
    [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
fi
case "$os-$arch" in
    Linux-x86_64 | Linux-amd64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    Darwin-arm64 | Darwin-aarch64) target=aarch64-apple-darwin ;;
    *)
        die "there is no prebuilt mailport for $os $arch.
Prebuilt binaries exist for: $known.
On another system, build it from source (README.md, \"Building from source\")."
        ;;
esac
archive="mailport-${target}.tar.gz"

fetch() { # url file
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 2 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        die "neither curl nor wget is installed; install one of them first"
    fi
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "no sha256sum or shasum to verify the download with"
    fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mailport)
trap 'rm -rf "$tmp"' EXIT INT TERM

say "==> mailport for $os $arch ($target)"
say "    from $base/$archive"
fetch "$base/$archive" "$tmp/$archive" || die "could not download $base/$archive"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || die "could not download $base/SHA256SUMS"

want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS lists no $archive; not installing"
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
    die "CHECKSUM MISMATCH for $archive: refusing to install.
  expected (SHA256SUMS): $want
  downloaded file:       $got
The download is corrupt or was tampered with. Nothing was installed."
fi
say "    checksum ok ($got)"

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || die "$archive is not a readable archive"
[ -f "$tmp/x/mailport" ] || die "$archive holds no mailport binary"
mkdir -p "$bin_dir"
# Replace atomically: a running agent keeps its old file.
cp "$tmp/x/mailport" "$bin_dir/.mailport.new"
chmod 0755 "$bin_dir/.mailport.new"
mv -f "$bin_dir/.mailport.new" "$bin_dir/mailport"

# The man pages and bash completion, where per-user tools look for them.
data="${XDG_DATA_HOME:-${HOME}/.local/share}"
if [ -d "$tmp/x/man" ]; then
    mkdir -p "$data/man/man1" && cp "$tmp/x/man/"*.1 "$data/man/man1/" 2>/dev/null || true
fi
if [ -f "$tmp/x/completions/mailport.bash" ]; then
    mkdir -p "$data/bash-completion/completions" &&
        cp "$tmp/x/completions/mailport.bash" "$data/bash-completion/completions/mailport" || true
fi

version=$("$bin_dir/mailport" --version 2>&1) || die "the installed $bin_dir/mailport does not run: $version"
say "==> installed $version into $bin_dir/mailport"

case ":${PATH}:" in
    *":${bin_dir}:"*) say "    run: mailport check" ;;
    *)
        profile="~/.profile"
        case "${SHELL:-}" in
            */zsh) profile="~/.zshrc" ;;
            */bash) profile="~/.bashrc" ;;
        esac
        say "    $bin_dir is not on your PATH. Add it with:"
        say "      echo 'export PATH=\"$bin_dir:\$PATH\"' >> $profile"
        say "    and open a new terminal; until then run: $bin_dir/mailport check"
        ;;
esac

[ "$service" = 1 ] || exit 0

if [ "$os" = Darwin ]; then
    agents="${HOME}/Library/LaunchAgents"
    plist="$agents/org.mailport.agent.plist"
    mkdir -p "$agents" "${HOME}/Library/Logs"
    cat >"$plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>org.mailport.agent</string>
  <key>ProgramArguments</key>
  <array>
    <string>${bin_dir}/mailport</string>
    <string>serve</string>
    <string>--no-open</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>StandardOutPath</key><string>${HOME}/Library/Logs/mailport.log</string>
  <key>StandardErrorPath</key><string>${HOME}/Library/Logs/mailport.log</string>
</dict>
</plist>
PLIST
    say "==> wrote $plist"
    say "    start it now and at every login with:"
    say "      launchctl bootstrap gui/\$(id -u) $plist"
    say "    then open http://127.0.0.1:7525/ (the agent's own page pairs itself);"
    say "    for the public page, the link with the token is in ~/Library/Logs/mailport.log"
    exit 0
fi

command -v systemctl >/dev/null 2>&1 ||
    die "--service needs systemd on Linux; start 'mailport serve' yourself instead"
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
say "==> wrote ${unit_dir}/mailport.service"
say "    enable and start it with:"
say "      systemctl --user daemon-reload"
say "      systemctl --user enable --now mailport.service"
say "    then open http://127.0.0.1:7525/ (the agent's own page pairs itself);"
say "    for the public page, the link with the token is in: journalctl --user -u mailport"
