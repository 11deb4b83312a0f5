#!/usr/bin/env bash
# netns tier: a VIP moves from one balancer namespace to the other through lib/ha
# (ha_vip: rtnetlink add/remove, gratuitous ARP, unsolicited NA), and a client's
# neighbour entry for the VIP follows to the new balancer's MAC at once, without the
# client asking. IPv4 and IPv6. Needs root and `ip netns`; FAILS without them.
#   vip-move.sh --tool PATH/ha_vip
#
# Topology: namespaces <tag>c (client), <tag>a (lb1), <tag>b (lb2), each with a veth into
# a bridge in <tag>s. 198.51.100.{100,11,12}/24, 2001:db8:100::{100,11,12}/64;
# the VIP is 198.51.100.50 / 2001:db8:100::50.
set -uo pipefail

tool=""
while [ $# -gt 0 ]; do
  case $1 in
    --tool) tool=$2; shift 2 ;;
    *) echo "usage: vip-move.sh --tool PATH" >&2; exit 2 ;;
  esac
done
die() { echo "FAIL: $*" >&2; exit 1; }
[ -n "$tool" ] && [ -x "$tool" ] || die "ha_vip not found (--tool PATH; build target ha_vip)"
[ "$(id -u)" -eq 0 ] || die "the netns tier needs root; run it as root"
ip netns list >/dev/null 2>&1 || die "'ip netns' is not available (install iproute2)"

tag=lvsm$$
c=${tag}c a=${tag}a b=${tag}b s=${tag}s
failed=0
cleanup() { for ns in "$c" "$a" "$b" "$s"; do ip netns del "$ns" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "$c" "$a" "$b" "$s"; do ip netns add "$ns" || die "ip netns add $ns"; ip -n "$ns" link set lo up; done
ip -n "$s" link add br0 type bridge
ip -n "$s" link set br0 up
host_no() { case $1 in "$c") echo 100 ;; "$a") echo 11 ;; "$b") echo 12 ;; esac; }
for ns in "$c" "$a" "$b"; do
  ip link add "${ns}e" netns "$ns" type veth peer name "${ns}p" netns "$s" || die "veth for $ns"
  ip -n "$s" link set "${ns}p" master br0 up
  ip -n "$ns" addr add "198.51.100.$(host_no "$ns")/24" dev "${ns}e"
  ip -n "$ns" addr add "2001:db8:100::$(host_no "$ns")/64" dev "${ns}e" nodad
  ip -n "$ns" link set "${ns}e" up
done
mac() { ip -n "$1" -br link show "${1}e" | awk '{print $3}'; }
mac_a=$(mac "$a") mac_b=$(mac "$b")

ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
vip() { local ns=$1; shift; ip netns exec "$ns" "$tool" "$@" --interface "${ns}e"; }
# neigh_mac ADDRESS: the client's neighbour entry's MAC for ADDRESS (empty if none).
neigh_mac() { ip -n "$c" neigh show "$1" dev "${c}e" | awk '{for (i=1;i<NF;i++) if ($i=="lladdr") print $(i+1)}'; }
wait_neigh() {  # wait_neigh ADDRESS MAC: bounded, 2 s
  local i
  for i in $(seq 1 20); do [ "$(neigh_mac "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

for fam in 4 6; do
  if [ "$fam" = 4 ]; then addr=198.51.100.50 pfx=24 ping=ping; else addr=2001:db8:100::50 pfx=64 ping="ping -6"; fi
  vip "$a" present --vip "$addr/$pfx" && bad "v$fam: VIP absent before the test"
  vip "$a" add --vip "$addr/$pfx" || bad "v$fam: add on lb1"
  vip "$a" add --vip "$addr/$pfx" || bad "v$fam: a second add is idempotent"
  vip "$a" present --vip "$addr/$pfx" && ok "v$fam: VIP present on lb1" || bad "v$fam: VIP present on lb1"
  # (grep without -q: with pipefail, an early exit would fail the pipe by SIGPIPE)
  ip -n "$a" addr show dev "${a}e" | grep "$addr/$pfx" > /dev/null || bad "v$fam: ip addr shows the VIP with its prefix"
  if [ "$fam" = 6 ] && ip -n "$a" addr show dev "${a}e" | grep "$addr/" -A1 | grep tentative > /dev/null; then
    bad "v6: VIP tentative (DAD)"
  fi
  vip "$a" announce --vip "$addr/$pfx" || bad "v$fam: announce from lb1"
  ip netns exec "$c" $ping -c 1 -W 2 "$addr" > /dev/null && ok "v$fam: client reaches the VIP on lb1" \
    || bad "v$fam: client reaches the VIP on lb1"
  wait_neigh "$addr" "$mac_a" && ok "v$fam: client's neighbour entry is lb1's MAC" \
    || bad "v$fam: client's neighbour entry is lb1's MAC (got '$(neigh_mac "$addr")')"
  # The move: lb1 gives it up, lb2 takes it and announces; the client does not ask.
  vip "$a" remove --vip "$addr/$pfx" || bad "v$fam: remove on lb1"
  vip "$a" remove --vip "$addr/$pfx" || bad "v$fam: a second remove is idempotent"
  vip "$a" present --vip "$addr/$pfx" && bad "v$fam: VIP still on lb1 after remove"
  vip "$b" add --vip "$addr/$pfx" || bad "v$fam: add on lb2"
  vip "$b" announce --vip "$addr/$pfx" || bad "v$fam: announce from lb2"
  wait_neigh "$addr" "$mac_b" && ok "v$fam: the announcement moved the client's entry to lb2's MAC" \
    || bad "v$fam: the announcement moved the client's entry to lb2's MAC (got '$(neigh_mac "$addr")', lb2 $mac_b)"
  ip netns exec "$c" $ping -c 1 -W 2 "$addr" > /dev/null && ok "v$fam: client reaches the VIP on lb2" \
    || bad "v$fam: client reaches the VIP on lb2"
  vip "$b" remove --vip "$addr/$pfx" || bad "v$fam: remove on lb2"
done
ip netns exec "$a" "$tool" add --vip 198.51.100.60/24 --interface nosuchif 2> "/tmp/$tag.err" \
  && bad "an unknown interface is refused"
grep -q "no interface for VIP 198.51.100.60/24 on nosuchif" "/tmp/$tag.err" && ok "an unknown interface is named in the error" \
  || { bad "an unknown interface is named in the error"; cat "/tmp/$tag.err"; }
rm -f "/tmp/$tag.err"

if [ "$failed" -ne 0 ]; then echo "FAIL: $failed check(s) failed"; exit 1; fi
echo "PASS: VIPs move between balancers and neighbours follow the announcements"
