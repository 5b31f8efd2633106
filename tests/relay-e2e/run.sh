#!/usr/bin/env bash
# End-to-end proof of `mailport relay` (issue 16), in a network and mount
# namespace of its own (unshare; nothing touches the machine's network):
#
#   client Postfix 127.0.0.2 --(25 dropped by nftables)--x  MX 127.0.0.4
#        \--587 STARTTLS / 465 wrapper + SASL--> relay Postfix 127.0.0.3
#                                                (Dovecot SASL) --25--> MX
#
# The client Postfix is configured ONLY from `mailport relay --mta postfix
# --fill-password --no-test` output (main.cf lines appended, sasl_passwd
# created, postmap run), on top of a base instance that knows nothing of
# relaying. A message is injected with sendmail and must arrive in the MX's
# mailbox, once through 587 and once through 465. Then `mailport relay`
# itself is run against the real relay: right password, wrong password
# (535), STARTTLS missing, sender refused, 465.
#
# Usage (as root): tests/relay-e2e/run.sh path/to/mailport
set -euo pipefail
MAILPORT=$(readlink -f "$1")
if [ -z "${RELAY_E2E_INNER:-}" ]; then
  exec unshare --net --mount env RELAY_E2E_INNER=1 "$0" "$MAILPORT"
fi

D=$(mktemp -d /tmp/mailport-relay-e2e.XXXXXX)
chmod 755 "$D"
PIDS_CONF=()
cleanup() {
  for c in "${PIDS_CONF[@]}"; do postfix -c "$c" stop >/dev/null 2>&1 || true; done
  [ -f "$D/dovecot.conf" ] && dovecot -c "$D/dovecot.conf" stop >/dev/null 2>&1 || true
  sleep 0.5
  [ -n "${KEEP:-}" ] && echo "kept $D" || rm -rf "$D"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; ls -la "$D"/*/ 2>/dev/null | head -30; for f in "$D"/*/maillog "$D/dovecot.log"; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done; exit 1; }

ip link set lo up
for a in 2 3 4; do ip addr add 127.0.0.$a/32 dev lo; done
# Names as a resolver would give them: this mount namespace's own /etc/hosts.
printf '127.0.0.1 localhost\n127.0.0.3 relay.test\n127.0.0.4 mx.dest.test\n' > "$D/hosts"
mount --bind "$D/hosts" /etc/hosts
# Postfix reads the default main.cf to allow "postfix -c DIR": give it one
# that lists this run's instances, in this mount namespace only.
cp -a /etc/postfix "$D/etc-postfix"
printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' \
  "$D/mx/etc $D/relay/etc $D/client587/etc $D/client465/etc" > "$D/etc-postfix/main.cf"
mount --bind "$D/etc-postfix" /etc/postfix

step "the ISP drops outgoing port 25 from the client (127.0.0.2)"
nft -f - <<NFT
table inet isp {
  chain out { type filter hook output priority 0; ip saddr 127.0.0.2 tcp dport 25 drop; }
}
NFT

step "certificate for relay.test (throwaway CA)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mailport-e2e-ca \
  -keyout "$D/ca.key" -out "$D/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=relay.test -keyout "$D/relay.key" \
  -out "$D/relay.csr" 2>/dev/null
printf 'subjectAltName=DNS:relay.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$D/ext"
openssl x509 -req -in "$D/relay.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" -CAcreateserial \
  -days 2 -extfile "$D/ext" -out "$D/relay.pem" 2>/dev/null
chmod 644 "$D/relay.key"

USER_LOGIN=alice@client.test
PASSWORD='s3cret pass-word!'
printf '%s:{PLAIN}%s\n' "$USER_LOGIN" "$PASSWORD" > "$D/users"

step "Dovecot SASL for the relay"
mkdir -p "$D/dovecot-run"
cat > "$D/dovecot.conf" <<CONF
base_dir = $D/dovecot-run
state_dir = $D/dovecot-run
log_path = $D/dovecot.log
protocols =
ssl = no
auth_mechanisms = plain login
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service auth {
  unix_listener $D/auth-sock {
    mode = 0666
  }
}
service anvil {
  chroot =
}
CONF
dovecot -c "$D/dovecot.conf" || fail "dovecot did not start"

MASTER_TAIL='pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd'

# instance ID HOSTNAME ADDR MAIN_EXTRA MASTER_SERVICES
instance() {
  local id=$1 host=$2 addr=$3 extra=$4 services=$5
  local r="$D/$id"
  mkdir -p "$r/etc" "$r/spool" "$r/data"
  chown postfix "$r/data"
  chmod 755 "$r"
  cat > "$r/etc/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $r/spool
data_directory = $r/data
myhostname = $host
mydestination =
alias_maps =
alias_database =
inet_protocols = ipv4
inet_interfaces = $addr
smtp_bind_address = $addr
smtpd_peername_lookup = no
smtp_host_lookup = native
maillog_file = $r/maillog
maillog_file_prefixes = $D
smtpd_relay_restrictions = ${RELAY_RESTRICTIONS:-reject}
$extra
MAIN
  printf '%s\n%s\n' "$services" "$MASTER_TAIL" > "$r/etc/master.cf"
}

step "destination MX (127.0.0.4:25) with bob@dest.test's mailbox"
RELAY_RESTRICTIONS="permit_auth_destination, reject"
mkdir -p "$D/mail" && chown 65534:65534 "$D/mail"
instance mx mx.dest.test 127.0.0.4 "virtual_mailbox_domains = dest.test
virtual_mailbox_base = $D/mail
virtual_mailbox_maps = inline:{ bob@dest.test=bob/ }
virtual_minimum_uid = 100
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534" \
  "127.0.0.4:25 inet n - n - - smtpd"
postfix -c "$D/mx/etc" start 2>&1 || fail "MX did not start"; PIDS_CONF+=("$D/mx/etc")

RELAY_RESTRICTIONS=reject
step "relay (relay.test): 587 STARTTLS required + SASL, 465 wrapper mode, 2587 without STARTTLS"
SUB="-o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=$D/auth-sock -o smtpd_relay_restrictions=permit_sasl_authenticated,reject -o smtpd_sender_restrictions=reject_sender_login_mismatch"
instance relay relay.test 127.0.0.3 "smtpd_tls_cert_file = $D/relay.pem
smtpd_tls_key_file = $D/relay.key
smtpd_tls_auth_only = yes
smtpd_sender_login_maps = inline:{ $USER_LOGIN=$USER_LOGIN }
transport_maps = inline:{ dest.test=smtp:[mx.dest.test]:25 }" \
  "127.0.0.3:587 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt $SUB
127.0.0.3:465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt $SUB
127.0.0.3:2587 inet n - n - - smtpd -o smtpd_tls_security_level=none $SUB"
postfix -c "$D/relay/etc" start || fail "relay did not start"; PIDS_CONF+=("$D/relay/etc")

step "port 25 from the client is dropped"
if nc -s 127.0.0.2 -z -w 2 127.0.0.4 25; then fail "port 25 is not blocked"; fi
echo "ok: 127.0.0.2 -> 127.0.0.4:25 timed out"

# apply_snippet PORT: a fresh client instance configured only by the snippet.
apply_snippet() {
  local port=$1 r="$D/client$1"
  instance "client$1" client.test 127.0.0.2 "myorigin = client.test" ""
  MAILPORT_RELAY_PASSWORD="$PASSWORD" "$MAILPORT" relay "relay.test:$port" --user "$USER_LOGIN" \
    --mta postfix --fill-password --no-test --json > "$r/snippet.json"
  python3 - "$r" <<'PY'
import json, sys, subprocess
r = sys.argv[1]
doc = json.load(open(r + "/snippet.json"))
for part in doc["config"]["parts"]:
    kind = part["kind"]["kind"]
    path = part["kind"].get("path", "").replace("/etc/postfix", r + "/etc")
    text = part["text"].replace("/etc/postfix", r + "/etc")
    if kind == "append":
        open(path, "a").write(text)
    elif kind == "create":
        open(path, "w").write(text)
    elif kind == "commands":
        for line in text.splitlines():
            cmd = line.split("#")[0].strip()
            if not cmd or cmd.startswith("apt-get"):   # installed already
                continue
            if cmd.startswith("postfix check"):        # started below
                continue
            cmd = cmd.replace("postmap ", "postmap -c " + r + "/etc ", 1)
            subprocess.run(cmd, shell=True, check=True)
PY
  echo "client main.cf relay lines:"; grep -E '^(relayhost|smtp_sasl|smtp_tls)' "$r/etc/main.cf"
  postfix -c "$r/etc" check || fail "postfix check refused the client configuration"
  postfix -c "$r/etc" start || fail "client did not start"; PIDS_CONF+=("$r/etc")
}

send_and_wait() {
  local port=$1 subject="mailport relay e2e via $1 $$"
  printf 'From: alice@client.test\nTo: bob@dest.test\nSubject: %s\n\nhello\n' "$subject" \
    | sendmail -C "$D/client$port/etc" -f "$USER_LOGIN" bob@dest.test
  for _ in $(seq 1 60); do
    if grep -rqs "Subject: $subject" "$D/mail/bob/new" 2>/dev/null; then
      echo "ok: the message sent through port $port arrived in bob@dest.test's mailbox"
      return 0
    fi
    sleep 0.5
  done
  fail "the message through $port did not arrive"
}

for port in 587 465; do
  step "client Postfix from the generated snippet, relay on $port"
  apply_snippet "$port"
  send_and_wait "$port"
  postfix -c "$D/client$port/etc" stop >/dev/null
done

step "mailport relay against the real relay"
expect() {
  local want=$1; shift
  set +e
  local start=$(date +%s%N)
  out=$(MAILPORT_RELAY_PASSWORD="$PW" "$MAILPORT" relay "$@" --user "$USER_LOGIN" --connect 127.0.0.3 \
        --ca-file "$D/ca.pem" --timeout 5000 2>&1)
  local rc=$? ms=$(( ($(date +%s%N) - start) / 1000000 ))
  set -e
  echo "$out" | sed 's/^/    /'
  echo "  -> exit $rc in $ms ms"
  [ "$rc" = "$want" ] || fail "$* exited $rc, want $want"
  case "$out" in *"$PASSWORD"*) fail "the password was printed";; esac
}
PW="$PASSWORD" expect 0 relay.test:587 --from "$USER_LOGIN" --to bob@dest.test
PW="wrong-password" expect 1 relay.test:587
echo "$out" | grep -q "authentication failed (535)" || fail "no 535"
PW="$PASSWORD" expect 1 relay.test:2587
echo "$out" | grep -q "does not offer STARTTLS" || fail "STARTTLS missing not reported"
PW="$PASSWORD" expect 1 relay.test:587 --from mallory@client.test --to bob@dest.test
echo "$out" | grep -q "sender not allowed (553)" || fail "sender refusal not reported"
PW="$PASSWORD" expect 0 relay.test:465 --from "$USER_LOGIN" --to bob@dest.test
echo
echo "ALL PASSED"
