#!/usr/bin/env bash
# Debian's Exim checks the Exim snippet of `mailport relay --mta exim`.
# exim4 conflicts with the installed Postfix, so the packages are only
# downloaded (apt-get download, cached in $CACHE) and unpacked, never
# installed. In a mount and network namespace of its own (/etc/passwd with a
# Debian-exim user, /etc/hosts with the relay's name; nothing on the machine
# changes), Debian's update-exim4.conf (paths moved to a scratch dir) turns
# a debconf-like base plus the snippet into exim4.conf, then:
#   exim4 -bV  parses the whole configuration (fails on any error),
#   exim4 -bt  routes a remote address through the smarthost router to the
#              relay on the snippet's port.
# A negative control shows what the `host::port` rule is for.
#
# Usage (as root): tests/relay-e2e/exim-check.sh path/to/mailport CACHE_DIR
set -euo pipefail
MAILPORT=$(readlink -f "$1")
CACHE=$(mkdir -p "$2" && readlink -f "$2")
if [ -z "${EXIM_CHECK_INNER:-}" ]; then
  if [ ! -x "$CACHE/x/usr/sbin/exim4" ]; then
    (cd "$CACHE" && apt-get download exim4-config exim4-base exim4-daemon-light libidn12 >/dev/null 2>&1) \
      || { echo "cannot download the exim4 packages" >&2; exit 3; }
    for f in "$CACHE"/*.deb; do dpkg-deb -x "$f" "$CACHE/x"; done
  fi
  exec unshare --mount --net env EXIM_CHECK_INNER=1 "$0" "$@"
fi
X="$CACHE/x"
export LD_LIBRARY_PATH="$X/usr/lib/x86_64-linux-gnu"
D=$(mktemp -d /tmp/mailport-exim-check.XXXXXX)
trap 'rm -rf "$D"' EXIT
cp /etc/passwd "$D/passwd"; cp /etc/group "$D/group"
grep -q '^Debian-exim:' "$D/passwd" || echo 'Debian-exim:x:64999:64999::/nonexistent:/usr/sbin/nologin' >> "$D/passwd"
grep -q '^Debian-exim:' "$D/group" || echo 'Debian-exim:x:64999:' >> "$D/group"
mount --bind "$D/passwd" /etc/passwd
mount --bind "$D/group" /etc/group
printf '127.0.0.1 localhost\n192.0.2.25 smtp.relay.example\n' > "$D/hosts"
mount --bind "$D/hosts" /etc/hosts

# check PORT [SMARTHOST_OVERRIDE]
check() {
  local port=$1 override=${2:-} c="$D/c$1${2:+-bad}"
  mkdir -p "$c"
  cp -a "$X/etc/exim4" "$c/exim4"
  sed "s|/etc/exim4|$c/exim4|g; s|/etc/mailname|$c/mailname|; s|chown root:Debian-exim|true|; s|^EXIM=.*|EXIM=$X/usr/sbin/exim4|" \
    "$X/usr/sbin/update-exim4.conf" > "$c/update"
  sed -i "s|^CONFDIR = /etc/exim4|CONFDIR = $c/exim4|" "$c/exim4/conf.d/main/01_exim4-config_listmacrosdefs"
  echo client.example > "$c/mailname"
  # What debconf writes for a fresh install; the snippet's lines come after
  # and win (the file is sourced by the shell).
  cat > "$c/exim4/update-exim4.conf.conf" <<'BASE'
dc_eximconfig_configtype='local'
dc_other_hostnames='client.example'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='false'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
BASE
  "$MAILPORT" relay "smtp.relay.example:$port" --user me@example.org --mta exim --no-test --json > "$c/snippet.json"
  python3 - "$c" <<'PY'
import json, sys
c = sys.argv[1]
for part in json.load(open(c + "/snippet.json"))["config"]["parts"]:
    if part["kind"]["kind"] == "append":
        open(part["kind"]["path"].replace("/etc/exim4", c + "/exim4"), "a").write(part["text"])
PY
  [ -n "$override" ] && echo "dc_smarthost='$override'" >> "$c/exim4/update-exim4.conf.conf"
  bash "$c/update" -d "$c/exim4" -o "$c/exim4.conf"
  "$X/usr/sbin/exim4" -C "$c/exim4.conf" -bV > "$c/bV" 2>&1 || { cat "$c/bV"; echo "FAIL: exim -bV refused the $port configuration"; exit 1; }
  "$X/usr/sbin/exim4" -C "$c/exim4.conf" -bt bob@dest.example > "$c/bt" 2>&1 || true
  cat "$c/bt"
  # The login, as the smarthost transport's hosts_try_auth looks it up.
  echo "passwd.client: $("$X/usr/sbin/exim4" -C "$c/exim4.conf" -be \
    '${lookup{smtp.relay.example}nwildlsearch{'"$c"'/exim4/passwd.client}{$value}}')"
}

echo "== port 587"
check 587 | tee "$D/587"
grep -q "router = smarthost, transport = remote_smtp_smarthost" "$D/587"
grep -q "host smtp.relay.example \[192.0.2.25\] port=587" "$D/587"
grep -q "^passwd.client: me@example.org:YOUR_RELAY_PASSWORD$" "$D/587"
echo "== port 465"
check 465 | tee "$D/465"
grep -q "host smtp.relay.example \[192.0.2.25\] port=465" "$D/465"
grep -q "^REMOTE_SMTP_SMARTHOST_PROTOCOL = smtps" "$D/c465/exim4.conf"
echo "== negative control: one colon (host:port) is read as two hosts"
check 587 "smtp.relay.example:587" | tee "$D/bad"
if grep -q "port=587" "$D/bad"; then echo "FAIL: the control did not fail"; exit 1; fi
echo "EXIM CHECK PASSED"
