#!/usr/bin/env bash
# N real servers (Dovecot + Postfix each, via tests/support/realservers/realserver-ctl) in
# their own namespaces on one bridge, probed from a client namespace: the set-up the VM
# kernel tests use behind IPVS, checked here on its own. Runs on the host (label netns)
# and inside the VM (label kernel). Needs root; FAILS (never skips) without it.
#
#   realservers-smoke.sh --probe PATH/lvs_probe [--servers N]
#
# Topology: namespace <tag>lan holds bridge br0; client <tag>c 198.51.100.1/24,
# 2001:db8:100::1/64; server i (1..N) <tag>r<i> 198.51.100.(10+i)/24, 2001:db8:100::(10+i)/64,
# certificate name real<i>.example.test from one shared CA.
set -uo pipefail

probe="" servers=2
while [ $# -gt 0 ]; do
  case $1 in
    --probe) probe=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    *) echo "usage: realservers-smoke.sh --probe PATH [--servers N]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
rs=$(cd "$here/../support/realservers" && pwd)
die() { echo "FAIL: $*" >&2; exit 1; }

[ -n "$probe" ] && [ -x "$probe" ] || die "lvs_probe not found (--probe PATH; build target lvs_probe)"
[ "$(id -u)" -eq 0 ] || die "needs root (creates network namespaces, starts Dovecot and Postfix)"
ip netns list >/dev/null 2>&1 || die "'ip netns' is not available (install iproute2)"
for tool in dovecot postfix openssl ss; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run scripts/setup-deps.sh"
done
[[ $servers =~ ^[0-9]+$ ]] && [ "$servers" -ge 1 ] && [ "$servers" -le 50 ] || die "--servers 1..50"

tag=lvsr$$
lan=${tag}lan cli=${tag}c
work=$(mktemp -d /tmp/lvs-realservers.XXXXXX) || die "mktemp failed"
chmod 755 "$work"
made=()
cleanup() {
  local i
  for ((i = 1; i <= servers; i++)); do "$rs/realserver-ctl" stop --dir "$work/real$i" >/dev/null 2>&1; done
  "$rs/postfix-ctl" stop --dir "$work/bad" >/dev/null 2>&1
  for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# attach NS IFNAME ADDR4 ADDR6: a veth from NS to the bridge in $lan.
attach() {
  local ns=$1 n=$2
  ip link add "${tag}x$n" netns "$ns" type veth peer name "${tag}y$n" netns "$lan" || return 1
  ip -n "$ns" link set "${tag}x$n" name eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$3/24" dev eth0
  ip -n "$ns" addr add "$4/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
  ip -n "$lan" link set "${tag}y$n" master br0 up
}

ip netns add "$lan" && made+=("$lan") || die "ip netns add failed"
ip -n "$lan" link add br0 type bridge || die "cannot create a bridge"
ip -n "$lan" link set br0 up
ip netns add "$cli" && made+=("$cli") || die "ip netns add failed"
attach "$cli" 0 198.51.100.1 2001:db8:100::1 || die "cannot attach the client"

for ((i = 1; i <= servers; i++)); do
  ns=${tag}r$i
  ip netns add "$ns" && made+=("$ns") || die "ip netns add $ns failed"
  attach "$ns" "$i" "198.51.100.$((10 + i))" "2001:db8:100::$((10 + i))" || die "cannot attach $ns"
  "$rs/realserver-ctl" start --dir "$work/real$i" --netns "$ns" --pki "$work/pki" \
    --name "real$i.example.test" --address "198.51.100.$((10 + i))" \
    --address "2001:db8:100::$((10 + i))" || die "real server $i did not start"
done

printf 'probe-secret\n' > "$work/pw"
failed=0 passed=0
check() {
  local scenario=$1 out; shift
  if out=$("$probe" --netns "$cli" --timeout-ms 10000 "$@" 2>&1); then
    echo "PASS: $scenario"; passed=$((passed + 1))
  else
    echo "FAIL: $scenario"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
  fi
}
for ((i = 1; i <= servers; i++)); do
  v4=198.51.100.$((10 + i)) v6=2001:db8:100::$((10 + i))
  tls=(--ca "$work/pki/ca.crt" --server-name "real$i.example.test" --verify)
  check "real $i: imap STARTTLS + LOGIN" --type imap --tls starttls --address "$v4" --port 143 "${tls[@]}" \
    --user probe --password-file "$work/pw"
  check "real $i: imaps 993" --type imap --tls implicit --address "$v4" --port 993 "${tls[@]}"
  check "real $i: pop3 STLS + USER/PASS" --type pop3 --tls starttls --address "$v4" --port 110 "${tls[@]}" \
    --user probe --password-file "$work/pw"
  check "real $i: pop3s 995 over IPv6" --type pop3 --tls implicit --address "$v6" --port 995 "${tls[@]}"
  check "real $i: smtp STARTTLS over IPv6" --type smtp --tls starttls --address "$v6" --port 25 "${tls[@]}"
done

# Postfix again on its queue (postfix-ctl starts the master itself, setting up what
# `postfix start` would): the restart a maintenance step does.
pki=(--cert "$work/pki/real1.example.test.crt" --key "$work/pki/real1.example.test.key")
"$rs/postfix-ctl" stop --dir "$work/real1/postfix" >/dev/null 2>&1
if "$rs/postfix-ctl" start --dir "$work/real1/postfix" --netns "${tag}r1" --hostname real1.example.test \
    --address 198.51.100.11 --address 2001:db8:100::11 "${pki[@]}" 2>"$work/restart.err"; then
  check "real 1: smtp STARTTLS after a Postfix restart" --type smtp --tls starttls --address 198.51.100.11 --port 25 \
    --ca "$work/pki/ca.crt" --server-name real1.example.test --verify
else
  echo "FAIL: real 1: Postfix starts again"; sed 's/^/    /' "$work/restart.err"; failed=$((failed + 1))
fi
# A start that cannot work fails and says why: an address the namespace does not have.
# (The master's own fatal errors go to syslog, which a test namespace does not have.)
out=$("$rs/postfix-ctl" start --dir "$work/bad" --netns "${tag}r1" --address 203.0.113.99 "${pki[@]}" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'no local interface found for 203.0.113.99' <<< "$out"; then
  echo "PASS: a Postfix start on an address the namespace lacks fails with the reason"; passed=$((passed + 1))
else
  echo "FAIL: a Postfix start on an address the namespace lacks fails with the reason (exit $rc)"
  echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
fi
echo "realservers-smoke: $servers servers, $passed passed, $failed failed"
[ "$failed" -eq 0 ]
