#!/usr/bin/env bash
# netns tier: lib/health's probes (through lvs_probe) against a real Dovecot and a real
# Postfix, each started privately by this test in a network namespace it made, with
# certificates it generated. Needs root and `ip netns`; without them it FAILS (never skips).
#
#   health-netns.sh --probe PATH/lvs_probe [--keep]
#
# Topology: namespace <tag>c (client) --veth-- namespace <tag>s (servers)
#   client 203.0.113.1/24  2001:db8:113::1/64
#   server 203.0.113.10/24 2001:db8:113::10/64  (Dovecot 143/993/110/995, Postfix 25)
set -uo pipefail

probe="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --probe) probe=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: health-netns.sh --probe PATH [--keep]" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
rs=$(cd "$here/../support/realservers" && pwd)

die() { echo "FAIL: $*" >&2; exit 1; }

# --- preconditions: each missing one is a failure with its reason ---------------------
[ -n "$probe" ] && [ -x "$probe" ] || die "lvs_probe not found (--probe PATH; build target lvs_probe)"
[ "$(id -u)" -eq 0 ] || die "the netns tier needs root (it creates network namespaces and starts Dovecot and Postfix); run it as root"
ip netns list >/dev/null 2>&1 || die "'ip netns' is not available (install iproute2)"
for tool in dovecot doveadm postfix openssl ss timeout; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run scripts/setup-deps.sh"
done

tag=lvsh$$
cli=${tag}c srv=${tag}s
work=$(mktemp -d /tmp/lvs-health-netns.XXXXXX) || die "mktemp failed"
chmod 755 "$work"
failed=0

cleanup() {
  local rc=$?
  "$rs/postfix-ctl" stop --dir "$work/postfix" >/dev/null 2>&1 || true
  "$rs/dovecot-ctl" stop --dir "$work/dovecot" >/dev/null 2>&1 || true
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
    for log in "$work/dovecot/dovecot.log" "$work/postfix/maillog"; do
      [ -f "$log" ] && { echo "---- last lines of $log"; tail -n 25 "$log"; }
    done
  fi
  if [ "$keep" -eq 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- namespaces -------------------------------------------------------------------------
ip netns add "$cli" || die "ip netns add $cli failed"
ip netns add "$srv" || die "ip netns add $srv failed"
ip link add "${tag}a" netns "$cli" type veth peer name "${tag}b" netns "$srv" ||
  die "cannot create a veth pair between the namespaces"
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
ip -n "$cli" link set "${tag}a" name eth0
ip -n "$srv" link set "${tag}b" name eth0
ip -n "$cli" addr add 203.0.113.1/24 dev eth0
ip -n "$cli" addr add 2001:db8:113::1/64 dev eth0 nodad
ip -n "$srv" addr add 203.0.113.10/24 dev eth0
ip -n "$srv" addr add 2001:db8:113::10/64 dev eth0 nodad
ip -n "$cli" link set eth0 up
ip -n "$srv" link set eth0 up

v4=203.0.113.10 v6=2001:db8:113::10 name=mail.example.test

# --- certificates and servers -------------------------------------------------------
"$rs/make-certs" "$work/pki" "$name" "$v4" "$v6" || die "certificate generation failed"
crt=$work/pki/$name.crt key=$work/pki/$name.key ca=$work/pki/ca.crt
printf 'probe-secret\n' > "$work/good.pw"
printf 'not-the-password\n' > "$work/bad.pw"

"$rs/dovecot-ctl" start --dir "$work/dovecot" --netns "$srv" --address "$v4" --address "$v6" \
  --cert "$crt" --key "$key" --user probe --password probe-secret || die "Dovecot did not start"
"$rs/postfix-ctl" start --dir "$work/postfix" --netns "$srv" --address "$v4" --address "$v6" \
  --cert "$crt" --key "$key" --hostname "$name" || die "Postfix did not start"

# --- checks -------------------------------------------------------------------------
passed=0
run_probe() { "$probe" --netns "$cli" --timeout-ms 8000 "$@" 2>&1; }

# expect_ok "scenario" "text the result line must contain" probe-args...
expect_ok() {
  local scenario=$1 want=$2 out rc; shift 2
  out=$(run_probe "$@"); rc=$?
  if [ "$rc" -eq 0 ] && grep -q '^result: ok' <<<"$out" && grep -F -q -- "$want" <<<"$out"; then
    echo "PASS: $scenario"; passed=$((passed + 1))
  else
    echo "FAIL: $scenario (exit $rc, wanted result ok with '$want')"; echo "$out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

# expect_fail "scenario" "text the result line must contain" probe-args...
expect_fail() {
  local scenario=$1 want=$2 out rc; shift 2
  out=$(run_probe "$@"); rc=$?
  if [ "$rc" -eq 1 ] && grep '^result: FAILED' <<<"$out" | grep -F -q -- "$want"; then
    echo "PASS: $scenario ($(grep '^result:' <<<"$out"))"; passed=$((passed + 1))
  else
    echo "FAIL: $scenario (exit $rc, wanted a failure saying '$want')"; echo "$out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

tls_ok=(--ca "$ca" --server-name "$name" --verify)

expect_ok "imap: plain 143 greets and answers CAPABILITY" "IMAP greeting and CAPABILITY accepted" \
  --type imap --address "$v4" --port 143
expect_ok "imap: STARTTLS on 143 verifies the certificate against the test CA and the name" \
  "STARTTLS; TLS" --type imap --tls starttls --address "$v4" --port 143 "${tls_ok[@]}"
expect_ok "imap: implicit TLS on 993 verifies the certificate" "certificate verified for $name" \
  --type imap --tls implicit --address "$v4" --port 993 "${tls_ok[@]}"
expect_ok "imap: LOGIN with the passdb user's password succeeds (over STARTTLS)" "STARTTLS, login" \
  --type imap --tls starttls --address "$v4" --port 143 "${tls_ok[@]}" \
  --user probe --password-file "$work/good.pw"
expect_ok "imap: LOGIN on plain 143 succeeds" "CAPABILITY accepted, login" \
  --type imap --address "$v4" --port 143 --user probe --password-file "$work/good.pw"
expect_fail "imap: LOGIN with a wrong password fails and says so" "login failed" \
  --type imap --tls implicit --address "$v4" --port 993 "${tls_ok[@]}" \
  --user probe --password-file "$work/bad.pw"

expect_ok "pop3: plain 110 greets and answers CAPA" "POP3 greeting and CAPA accepted" \
  --type pop3 --address "$v4" --port 110
expect_ok "pop3: STLS then USER/PASS on 110" "STLS, login" \
  --type pop3 --tls starttls --address "$v4" --port 110 "${tls_ok[@]}" \
  --user probe --password-file "$work/good.pw"
expect_ok "pop3: implicit TLS on 995 with USER/PASS" "certificate verified for $name" \
  --type pop3 --tls implicit --address "$v4" --port 995 "${tls_ok[@]}" \
  --user probe --password-file "$work/good.pw"
expect_fail "pop3: PASS with a wrong password fails and says so" "login failed" \
  --type pop3 --tls starttls --address "$v4" --port 110 "${tls_ok[@]}" \
  --user probe --password-file "$work/bad.pw"

expect_ok "smtp: Postfix on 25 greets and answers EHLO" "SMTP greeting and EHLO accepted" --type smtp --address "$v4" --port 25
expect_ok "smtp: STARTTLS on 25 verifies the certificate" "STARTTLS and EHLO accepted; TLS" \
  --type smtp --tls starttls --address "$v4" --port 25 "${tls_ok[@]}"

expect_fail "imap: a wrong server name fails verification" "hostname mismatch" \
  --type imap --tls starttls --address "$v4" --port 143 --ca "$ca" --server-name wrong.example.test --verify
expect_fail "smtp: a wrong server name fails verification" "hostname mismatch" \
  --type smtp --tls starttls --address "$v4" --port 25 --ca "$ca" --server-name wrong.example.test --verify
expect_fail "pop3s: a certificate from an unknown CA fails verification (system store)" "certificate verify failed" \
  --type pop3 --tls implicit --address "$v4" --port 995 --server-name "$name" --verify

expect_ok "ipv6: imap STARTTLS with LOGIN over 2001:db8:113::10" "STARTTLS, login" \
  --type imap --tls starttls --address "$v6" --port 143 "${tls_ok[@]}" \
  --user probe --password-file "$work/good.pw"
expect_ok "ipv6: pop3s on 995" "certificate verified for $name" \
  --type pop3 --tls implicit --address "$v6" --port 995 "${tls_ok[@]}"
expect_ok "ipv6: smtp STARTTLS" "certificate verified for $name" \
  --type smtp --tls starttls --address "$v6" --port 25 "${tls_ok[@]}"
expect_ok "ipv6: the IP SAN verifies when the server name is the address" "certificate verified for $v6" \
  --type imap --tls implicit --address "$v6" --port 993 --ca "$ca" --server-name "$v6" --verify

# The probe through `ip netns exec` instead of its own setns.
out=$(ip netns exec "$cli" "$probe" --type smtp --tls starttls --address "$v4" --port 25 "${tls_ok[@]}" 2>&1)
if [ $? -eq 0 ]; then echo "PASS: smtp: the probe also runs under ip netns exec"; passed=$((passed + 1))
else echo "FAIL: smtp under ip netns exec"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1)); fi

# The transcript never shows the password.
out=$(run_probe --type imap --address "$v4" --port 143 --user probe --password-file "$work/good.pw")
if grep -q 'probe-secret' <<<"$out" || ! grep -q '^C: .*LOGIN' <<<"$out"; then
  echo "FAIL: imap: the transcript shows LOGIN without the password"; echo "$out" | sed 's/^/    /'
  failed=$((failed + 1))
else
  echo "PASS: imap: the transcript shows LOGIN without the password"; passed=$((passed + 1))
fi

# Stopped servers: nothing listens any more, so the checks fail with the reason.
"$rs/postfix-ctl" stop --dir "$work/postfix" || die "postfix-ctl stop failed"
expect_fail "smtp: a stopped Postfix fails the check" "Connection refused" \
  --type smtp --address "$v4" --port 25
"$rs/dovecot-ctl" stop --dir "$work/dovecot" || die "dovecot-ctl stop failed"
expect_fail "imap: a stopped Dovecot fails the check" "Connection refused" \
  --type imap --address "$v4" --port 143
expect_fail "ipv6: pop3s on a stopped Dovecot fails the check" "Connection refused" \
  --type pop3 --tls implicit --address "$v6" --port 995 "${tls_ok[@]}"

echo "health-netns: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
