#!/usr/bin/env bash
# netns tier: lib/ha's VRRPv3 codec and socket against a real keepalived, both ways.
#   1. keepalived (alone, so it becomes master) sends adverts; we parse them with every
#      receiver check and must drop none: IPv4 unicast, IPv6 unicast, IPv4 multicast.
#   2. we send adverts with a higher priority; keepalived must accept them (checksum,
#      TTL, VRID, addresses) and step down, removing its VIP; when we fall silent it
#      takes the VIP back.
#   3. (IPv4 unicast) we hold the VIP like a master too: after our first advert we add
#      it, after our last we remove it. tests/support/vip_overlap.py watches both sides'
#      VIP (rtnetlink, one ordered stream) and the adverts on the wire throughout: the
#      VIP may be held by both only until keepalived reads our first advert (it must
#      delete it before our second), never while it takes the VIP back. The longest
#      overlap is printed in ms; no absolute time is asserted.
# Needs root, `ip netns` and keepalived; without them it FAILS (never skips).
#   vrrp-keepalived.sh --peer PATH/vrrp_peer [--keep]
#
# Topology: namespace <tag>l (us) --veth-- namespace <tag>k (keepalived)
#   us 198.51.100.1/24 2001:db8:100::1/64   keepalived 198.51.100.2/24 2001:db8:100::2/64
set -uo pipefail

peer="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --peer) peer=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: vrrp-keepalived.sh --peer PATH [--keep]" >&2; exit 2 ;;
  esac
done

die() { echo "FAIL: $*" >&2; exit 1; }
[ -n "$peer" ] && [ -x "$peer" ] || die "vrrp_peer not found (--peer PATH; build target vrrp_peer)"
[ "$(id -u)" -eq 0 ] || die "the netns tier needs root (network namespaces, raw sockets); run it as root"
ip netns list >/dev/null 2>&1 || die "'ip netns' is not available (install iproute2)"
command -v keepalived >/dev/null || die "keepalived is not installed: run scripts/setup-deps.sh"
command -v python3 >/dev/null || die "python3 is not installed"
overlap_tool="$(cd "$(dirname "$0")/../support" && pwd)/vip_overlap.py"

tag=lvsv$$
us=${tag}l ka=${tag}k
work=$(mktemp -d /tmp/lvs-vrrp-netns.XXXXXX) || die "mktemp failed"
failed=0
kpid=""
spid=""

stop_keepalived() {
  if [ -n "$kpid" ]; then
    kill "$kpid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$kpid" 2>/dev/null
    wait "$kpid" 2>/dev/null
    kpid=""
  fi
}
cleanup() {
  local rc=$?
  stop_keepalived
  [ -n "$spid" ] && { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
  ip netns del "$us" 2>/dev/null || true
  ip netns del "$ka" 2>/dev/null || true
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
    for log in "$work"/keepalived-*.log; do
      [ -f "$log" ] && { echo "---- last lines of $log"; tail -n 30 "$log"; }
    done
  fi
  if [ "$keep" -eq 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$us" || die "ip netns add $us"
ip netns add "$ka" || die "ip netns add $ka"
ip link add "${tag}a" netns "$us" type veth peer name "${tag}b" netns "$ka" || die "veth"
for ns in "$us" "$ka"; do ip -n "$ns" link set lo up; done
ip -n "$us" addr add 198.51.100.1/24 dev "${tag}a"
ip -n "$us" addr add 2001:db8:100::1/64 dev "${tag}a" nodad
ip -n "$ka" addr add 198.51.100.2/24 dev "${tag}b"
ip -n "$ka" addr add 2001:db8:100::2/64 dev "${tag}b" nodad
ip -n "$us" link set "${tag}a" up
ip -n "$ka" link set "${tag}b" up

check() {  # check NAME CMD...: run, record pass/fail
  local name=$1; shift
  if "$@" > "$work/$name.out" 2>&1; then
    echo "ok - $name"
  else
    echo "not ok - $name"; sed 's/^/    /' "$work/$name.out"; failed=$((failed + 1))
  fi
}

# start_keepalived NAME: keepalived in the keepalived namespace with $work/NAME.conf.
start_keepalived() {
  local name=$1
  ip netns exec "$ka" keepalived --vrrp --dont-fork --log-console --log-detail --no-syslog \
    --use-file "$work/$name.conf" --pid "$work/$name.pid" --vrrp_pid "$work/$name.vrrp.pid" \
    > "$work/keepalived-$name.log" 2>&1 &
  kpid=$!
}

# wait_for_vip ADDRESS present|absent SECONDS: the VIP's state on keepalived's side.
wait_for_vip() {
  local addr=$1 want=$2 limit=$3 i
  for i in $(seq 1 $((limit * 10))); do
    if ip -n "$ka" addr show | grep "inet6\? $addr/" > /dev/null; then
      [ "$want" = present ] && return 0
    else
      [ "$want" = absent ] && return 0
    fi
    sleep 0.1
  done
  echo "VIP $addr not $want after ${limit}s"; ip -n "$ka" addr show
  return 1
}

write_conf() {  # write_conf NAME VRID SRC PEER VIP [multicast|unicast] [UNICAST_TTL]
  local name=$1 vrid=$2 src=$3 peer_addr=$4 vip=$5 mode=${6:-unicast} uttl=${7:-}
  {
    printf 'global_defs {\n  vrrp_version 3\n  router_id lvs-test\n}\n'
    echo "vrrp_instance VI_$vrid {"
    echo "  state BACKUP"
    echo "  interface ${tag}b"
    echo "  virtual_router_id $vrid"
    echo "  priority 150"
    echo "  advert_int 1"
    if [ "$mode" = unicast ]; then
      echo "  unicast_src_ip $src"
      echo "  unicast_peer { $peer_addr }"
      [ -n "$uttl" ] && echo "  unicast_ttl $uttl"
    fi
    echo "  virtual_ipaddress { $vip }"
    echo "}"
  } > "$work/$name.conf"
}

# --- IPv4 unicast -------------------------------------------------------------------
write_conf v4 51 198.51.100.2 198.51.100.1 192.0.2.10/24
# The sampler runs in our namespace and hears keepalived's by its namespace id there.
ip netns exec "$us" python3 "$overlap_tool" --peer-netns "$ka" --interface "${tag}a" --self-addr 198.51.100.1 \
  --peer-addr 198.51.100.2 --vip 192.0.2.10 --interval-ms 1000 --limit 120 > "$work/overlap.out" 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q '^ready' "$work/overlap.out" && break; sleep 0.1; done
grep -q '^ready' "$work/overlap.out" || die "vip_overlap.py did not start: $(cat "$work/overlap.out")"
start_keepalived v4
check "v4: keepalived becomes master and holds its VIP" wait_for_vip 192.0.2.10 present 20
check "v4: we parse keepalived's unicast adverts with no drop" \
  ip netns exec "$us" "$peer" listen --source 198.51.100.1 --interface "${tag}a" --vrid 51 \
    --vip 192.0.2.10 --count 3 --timeout 15
grep -q "priority=150 interval_cs=100 addresses=192.0.2.10" "$work/v4: we parse keepalived's unicast adverts with no drop.out" \
  || { echo "not ok - v4: advert fields as configured"; failed=$((failed + 1)); }
# Our higher priority: keepalived must accept our adverts and step down.
ip netns exec "$us" "$peer" send --source 198.51.100.1 --interface "${tag}a" --to 198.51.100.2 \
  --vrid 51 --priority 200 --vip 192.0.2.10 --count 8 --interval-ms 500 > "$work/v4-send.out" 2>&1 &
sender=$!
# A master sends its first advert, then adds the VIP (RFC 5798 6.4.1).
for _ in $(seq 1 50); do grep -q '^sent' "$work/v4-send.out" && break; sleep 0.01; done
ip -n "$us" addr add 192.0.2.10/24 dev "${tag}a"
check "v4: keepalived accepts our adverts and gives up the VIP" wait_for_vip 192.0.2.10 absent 10
wait "$sender" || { echo "not ok - v4: sending"; cat "$work/v4-send.out"; failed=$((failed + 1)); }
ip -n "$us" addr del 192.0.2.10/24 dev "${tag}a"
check "v4: silent again, keepalived takes the VIP back" wait_for_vip 192.0.2.10 present 20
kill "$spid"; wait "$spid"; spid=""
sed -n '/^step-down/p; /^overlap/p; /^max_overlap_ms/p; /^verdict/p' "$work/overlap.out"
overlap_ms=$(awk '/^max_overlap_ms/ { print $2 }' "$work/overlap.out")
echo "figures: v4: longest time both held the VIP: ${overlap_ms:-?} ms (keepalived advert_int 1 s, ours 500 ms)"
check "v4: keepalived's step-down was seen (the sampler hears both sides)" grep -q '^step-down 192.0.2.10: peer' "$work/overlap.out"
check "v4: keepalived deleted the VIP before our second advert" grep -q '^verdict ok' "$work/overlap.out"
check "v4: keepalived never took the VIP back while we held it" \
  bash -c "! grep -q '^overlap 192.0.2.10: peer took it' '$work/overlap.out'"
grep -q "Entering BACKUP STATE" "$work/keepalived-v4.log" \
  || { echo "not ok - v4: keepalived logged its step down"; failed=$((failed + 1)); }
if grep -Ei "invalid|checksum|bad |mismatch|discard" "$work/keepalived-v4.log" > "$work/v4-complaints"; then
  echo "not ok - v4: keepalived complained about our adverts"; cat "$work/v4-complaints"; failed=$((failed + 1))
else
  echo "ok - v4: keepalived logged no complaint about our adverts"
fi
stop_keepalived

# --- IPv6 unicast -------------------------------------------------------------------
# keepalived 2.2.7 sends IPv6 unicast adverts with the default hop limit (64) unless
# unicast_ttl says 255; RFC 5798 wants 255, and we drop anything else. First that trap:
write_conf v6ttl 52 2001:db8:100::2 2001:db8:100::1 2001:db8:200::10/64
start_keepalived v6ttl
wait_for_vip 2001:db8:200::10 present 20 > /dev/null
ip netns exec "$us" "$peer" listen --source 2001:db8:100::1 --interface "${tag}a" --vrid 52 \
  --vip 2001:db8:200::10 --count 1 --timeout 4 > "$work/v6ttl.out" 2>&1
if grep -q "dropped from 2001:db8:100::2: bad_ttl" "$work/v6ttl.out"; then
  echo "ok - v6: keepalived without unicast_ttl 255 is dropped for its hop limit"
else
  echo "not ok - v6: expected bad_ttl drops without unicast_ttl"; cat "$work/v6ttl.out"; failed=$((failed + 1))
fi
stop_keepalived
write_conf v6 52 2001:db8:100::2 2001:db8:100::1 2001:db8:200::10/64 unicast 255
start_keepalived v6
check "v6: keepalived becomes master and holds its VIP" wait_for_vip 2001:db8:200::10 present 20
check "v6: we parse keepalived's unicast adverts with no drop" \
  ip netns exec "$us" "$peer" listen --source 2001:db8:100::1 --interface "${tag}a" --vrid 52 \
    --vip 2001:db8:200::10 --count 3 --timeout 15
ip netns exec "$us" "$peer" send --source 2001:db8:100::1 --interface "${tag}a" --to 2001:db8:100::2 \
  --vrid 52 --priority 200 --vip 2001:db8:200::10 --count 8 --interval-ms 500 > "$work/v6-send.out" 2>&1 &
sender=$!
check "v6: keepalived accepts our adverts and gives up the VIP" wait_for_vip 2001:db8:200::10 absent 10
wait "$sender" || { echo "not ok - v6: sending"; cat "$work/v6-send.out"; failed=$((failed + 1)); }
stop_keepalived

# --- IPv4 multicast -----------------------------------------------------------------
write_conf v4m 53 - - 192.0.2.30/24 multicast
start_keepalived v4m
check "v4 multicast: keepalived becomes master" wait_for_vip 192.0.2.30 present 20
check "v4 multicast: we parse keepalived's adverts to 224.0.0.18 with no drop" \
  ip netns exec "$us" "$peer" listen --source 198.51.100.1 --interface "${tag}a" --vrid 53 \
    --vip 192.0.2.30 --count 3 --timeout 15 --multicast
ip netns exec "$us" "$peer" send --source 198.51.100.1 --interface "${tag}a" --multicast \
  --vrid 53 --priority 200 --vip 192.0.2.30 --count 8 --interval-ms 500 > "$work/v4m-send.out" 2>&1 &
sender=$!
check "v4 multicast: keepalived accepts our adverts and gives up the VIP" wait_for_vip 192.0.2.30 absent 10
wait "$sender" || { echo "not ok - v4m: sending"; cat "$work/v4m-send.out"; failed=$((failed + 1)); }
stop_keepalived

if [ "$failed" -ne 0 ]; then echo "FAIL: $failed check(s) failed"; exit 1; fi
echo "PASS: lib/ha and keepalived agree on VRRPv3, unicast and multicast, IPv4 and IPv6"
