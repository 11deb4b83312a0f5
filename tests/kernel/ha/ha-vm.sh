#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:   ha-vm.sh LVSD LVSCTL
# Two lvsd, one per balancer namespace (lb1 priority 200, lb2 100), each on its own copy
# of one descriptor, pick their node by their local address and move the VIPs with VRRP
# (unicast, 100 ms adverts, hmac-sha256). Both IPVS tables are programmed all the time
# and both sync daemons run on both, so connections held through the VIP survive:
#   1. lb1 becomes master and holds the public VIP and the reals' gateway; lb2 holds
#      neither; both tables have the service.
#   2. planned hand-over (`ha failover` on lb1): the VIP answers from lb2, timed from
#      the request to a client's first greeting; lb1 stays standby (held) and says so.
#   3. `ha resume` on lb1: it takes the VIPs back (preempt).
#   4. SIGTERM on lb1's lvsd: priority 0, lb2 takes over at once, lb1 holds no VIP;
#      lvsd starts again on lb1 and preempts back.
#   5. lb1's public link goes down: lb1 is in Fault without VIPs, lb2 serves; link up,
#      lb1 back to master.
#   6. kill -9 of lb1's lvsd leaves its VIPs (a crash); lb2 takes over; lvsd started
#      again on lb1 removes them first.
#   7. split brain: lb2 cut off from the private bridge (links up) becomes master too;
#      healed, it steps down and only lb1 holds the VIPs.
# Throughout, 6 held connections must keep echoing. A stream of new connections (one
# per 50 ms) runs through each phase; its failures are counted and printed (see the
# end for why they are not asserted). Prints PASS/FAIL per check.
#
# Topology (bridges in the VM's root namespace):
#   client 192.0.2.100 --brpub-- lb1 192.0.2.1, lb2 192.0.2.2   (VIP 192.0.2.10/24, eth0)
#   lb1 203.0.113.1, lb2 203.0.113.2 --brpriv-- real1 .11, real2 .12  (gateway VIP .254, eth1)
set -u

LVSD="${1:?usage: ha-vm.sh LVSD LVSCTL}"
LVSCTL="${2:?usage: ha-vm.sh LVSD LVSCTL}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../../.." && pwd)"
LVSD_TESTS="$SRC/tests/kernel/lvsd"
WORK=/tmp/ha-kernel-test
VIP=192.0.2.10
GW=203.0.113.254
PORT=7000
NAMESPACES="client lb1 lb2 real1 real2"

failures=0
pass() { echo "PASS: $(date +%s.%N | cut -c1-14) $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
fatal() { fail "$*"; exit 1; }

declare -A lvsd_pid=()
real_pids="" holder_pid="" prober_pid=""

cleanup() {
    local rc=$?
    for pid in $holder_pid $prober_pid "${lvsd_pid[@]}" $real_pids; do kill "$pid" 2>/dev/null; done
    for pid in $holder_pid $prober_pid "${lvsd_pid[@]}" $real_pids; do wait "$pid" 2>/dev/null; done
    if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
        for log in "$WORK"/*.log "$WORK"/*.out; do
            [ -f "$log" ] && { echo "---- last lines of $log"; tail -n 30 "$log"; }
        done
        for lb in lb1 lb2; do echo "---- $lb addresses"; ip -n "$lb" -br addr 2>&1; done
    fi
    for ns in $NAMESPACES; do ip netns del "$ns" 2>/dev/null; done
    ip link del brpub 2>/dev/null
    ip link del brpriv 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r /proc/net/ip_vs ] || fatal "no /proc/net/ip_vs: not running in the IPVS VM (run through tests/vm/vm-run)"
for tool in ipvsadm python3 ip awk ss; do command -v "$tool" > /dev/null || fatal "$tool is not installed"; done
rm -rf "$WORK"
mkdir -p "$WORK"

# --- topology -------------------------------------------------------------------------
for ns in $NAMESPACES; do ip netns add "$ns" && ip -n "$ns" link set lo up || fatal "netns $ns"; done
ip link add brpub type bridge && ip link set brpub up || fatal "bridge brpub"
ip link add brpriv type bridge && ip link set brpriv up || fatal "bridge brpriv"
plug() {  # plug NS IFNAME BRIDGE HOSTSIDE ADDR/PREFIX
    ip link add "$4" type veth peer name "$4x" && ip link set "$4x" netns "$1" &&
        ip -n "$1" link set "$4x" name "$2" && ip link set "$4" master "$3" up &&
        ip -n "$1" addr add "$5" dev "$2" && ip -n "$1" link set "$2" up
}
plug client eth0 brpub vc 192.0.2.100/24 || fatal "plug client"
plug lb1 eth0 brpub v1p 192.0.2.1/24 && plug lb1 eth1 brpriv v1q 203.0.113.1/24 || fatal "plug lb1"
plug lb2 eth0 brpub v2p 192.0.2.2/24 && plug lb2 eth1 brpriv v2q 203.0.113.2/24 || fatal "plug lb2"
plug real1 eth0 brpriv vr1 203.0.113.11/24 && plug real2 eth0 brpriv vr2 203.0.113.12/24 || fatal "plug reals"
for r in real1 real2; do ip -n "$r" route add default via "$GW" || fatal "route $r"; done
for lb in lb1 lb2; do ip netns exec "$lb" sysctl -qw net.ipv4.ip_forward=1; done

# --- real servers --------------------------------------------------------------------------
for i in 1 2; do
    ip netns exec "real$i" python3 "$LVSD_TESTS/echo_real.py" "real$i" "203.0.113.1$i" "$PORT" \
        >> "$WORK/real$i.log" 2>&1 &
    real_pids="$real_pids $!"
done
for i in 1 2; do
    for t in $(seq 100); do ip netns exec "real$i" ss -Hltn "src 203.0.113.1$i:$PORT" | grep -q . && break; sleep 0.1; done
done

# --- descriptor (one file, copied to each balancer) -------------------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/vrrp.key"
echo >> "$WORK/vrrp.key"
chmod 600 "$WORK/vrrp.key"
cat > "$WORK/cluster.json" <<EOF2
{
  "cluster": "ha-kernel-test",
  "nodes": [
    { "name": "lb1", "address": "203.0.113.1", "priority": 200 },
    { "name": "lb2", "address": "203.0.113.2", "priority": 100 }
  ],
  "ha": {
    "virtual_router_id": 51,
    "interface": "eth1",
    "advert_interval_ms": 100,
    "authentication": { "type": "hmac-sha256", "key_file": "$WORK/vrrp.key" },
    "vips": [
      { "address": "$VIP/24", "interface": "eth0" },
      { "address": "$GW/24", "interface": "eth1" }
    ],
    "sync": { "interface": "eth1", "sync_id": 51 }
  },
  "services": [
    {
      "name": "echo", "address": "$VIP", "protocol": "tcp", "port": $PORT, "scheduler": "rr",
      "forwarding": { "method": "masq" },
      "reals": [{ "address": "203.0.113.11" }, { "address": "203.0.113.12" }],
      "check": { "type": "tcp", "interval_ms": 1000, "timeout_ms": 800, "rise": 1, "fall": 2 }
    }
  ]
}
EOF2
for lb in lb1 lb2; do mkdir -p "$WORK/$lb/state"; cp "$WORK/cluster.json" "$WORK/$lb/cluster.json"; done

start_lvsd() {  # start_lvsd LB: no --node: each finds its node by its local address
    ip netns exec "$1" "$LVSD" --config "$WORK/$1/cluster.json" --state-dir "$WORK/$1/state" \
        --control-socket "$WORK/$1/control.sock" --schema "$SRC/schemas/cluster.schema.json" \
        >> "$WORK/lvsd-$1.log" 2>&1 &
    lvsd_pid[$1]=$!
}
ctl() { local lb=$1; shift; "$LVSCTL" "$@" --socket "$WORK/$lb/control.sock"; }
ha_state() { ctl "$1" ha status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
wait_state() {  # wait_state LB STATE TRIES(x0.1 s)
    local i
    for i in $(seq "$3"); do [ "$(ha_state "$1")" = "$2" ] && return 0; sleep 0.1; done
    echo "  $1 is '$(ha_state "$1")', wanted $2"
    return 1
}
has_vip() { ip -n "$1" -br addr show dev "$3" | grep -F " $2/" > /dev/null; }
holds_vips() { has_vip "$1" "$VIP" eth0 && has_vip "$1" "$GW" eth1; }
holds_none() { ! has_vip "$1" "$VIP" eth0 && ! has_vip "$1" "$GW" eth1; }
wait_holds_none() { local i; for i in $(seq 50); do holds_none "$1" && return 0; sleep 0.1; done; return 1; }
has_service() { ip netns exec "$1" ipvsadm -Ln -t "$VIP:$PORT" 2>/dev/null | grep -c -- "->.*Masq" | grep -qx 2; }
ping_held() {  # ping_held N: every held connection echoes
    kill -USR1 "$holder_pid" 2>/dev/null || return 1
    local i
    for i in $(seq 100); do grep -q "^ping $1 ok " "$WORK/holder.out" && break; sleep 0.1; done
    grep -q "^ping $1 ok 6/6\$" "$WORK/holder.out"
}
takeover() {  # takeover LB REQUEST: prints the figures; fails if no greeting in 10 s
    ip netns exec client python3 "$HERE/takeover.py" "$WORK/$1/control.sock" "$2" "$VIP" "$PORT" 10 \
        > "$WORK/takeover.out" 2>&1
    local rc=$?
    cat "$WORK/takeover.out"
    return $rc
}

# === 1. election ==============================================================================
start_lvsd lb1
start_lvsd lb2
check "lb1 becomes master" wait_state lb1 master 100
check "lb2 is backup" wait_state lb2 backup 50
check "lb1 holds the public VIP and the gateway" holds_vips lb1
check "lb2 holds no VIP" holds_none lb2
check "both tables have the service with both reals (a standby is warm)" bash -c "$(declare -f has_service); VIP=$VIP PORT=$PORT has_service lb1 && VIP=$VIP PORT=$PORT has_service lb2"
check "lb2 found its node by its address" grep -q "ha: node lb2 (203.0.113.2, priority 100)" "$WORK/lvsd-lb2.log"
check "both sync daemons run on lb2" bash -c "[ \"\$(ip netns exec lb2 ipvsadm -L --daemon | grep -c 'syncid=51')\" = 2 ]"
for i in $(seq 50); do [ "$(ip netns exec lb1 ipvsadm -Ln -t $VIP:$PORT | grep -c '  1  ')" -ge 2 ] && break; sleep 0.2; done

ip netns exec client python3 "$LVSD_TESTS/holder.py" "$VIP" "$PORT" 6 > "$WORK/holder.out" 2>&1 &
holder_pid=$!
for i in $(seq 100); do grep -q '^ready' "$WORK/holder.out" && break; sleep 0.1; done
check "6 connections held through the VIP" grep -q '^ready' "$WORK/holder.out"
probe_start() {  # probe_start PHASE: a stream of new connections for one phase
    ip netns exec client python3 "$HERE/prober.py" "$VIP" "$PORT" > "$WORK/prober-$1.out" 2>&1 &
    prober_pid=$!
}
declare -A phase_result=()
probe_stop() {  # probe_stop PHASE: keeps "ok N failed M" of that phase in phase_result
    kill -TERM "$prober_pid"; wait "$prober_pid" 2>/dev/null; prober_pid=""
    phase_result[$1]=$(tail -n 1 "$WORK/prober-$1.out")
}
sleep 2  # let the held connections be synced to lb2 (the sync daemon sends in batches)
check "held connections echo" ping_held 1

# === 2. planned hand-over =======================================================================
probe_start failover
check "ha failover on lb1: the VIP answers from lb2" takeover lb1 '{"command":"ha-failover"}'
handover_ms=$(awk '/^takeover_ms/ { print $2 }' "$WORK/takeover.out")
check "lb2 is master" wait_state lb2 master 50
check "lb1 is backup and holds no VIP" bash -c "$(declare -f has_vip holds_none); VIP=$VIP GW=$GW holds_none lb1"
check "lb1 says it is held" bash -c "\"$LVSCTL\" ha status --socket \"$WORK/lb1/control.sock\" | grep -q 'held as standby'"
sleep 1
check "lb1 stays standby although its priority is higher" wait_state lb1 backup 1
check "held connections echo after the hand-over" ping_held 2
probe_stop failover

# === 3. resume ====================================================================================
probe_start resume
ctl lb1 ha resume > /dev/null
check "ha resume: lb1 takes the VIPs back" wait_state lb1 master 50
check "lb2 steps down" wait_state lb2 backup 50
check "lb2 holds no VIP after stepping down" wait_holds_none lb2
sleep 1
check "held connections echo after the way back" ping_held 3
probe_stop resume

# === 4. SIGTERM on the master, then its restart =======================================================
probe_start sigterm
kill -TERM "${lvsd_pid[lb1]}"; wait "${lvsd_pid[lb1]}" 2>/dev/null
check "SIGTERM: lb1 left no VIP" holds_none lb1
check "lb2 took over" wait_state lb2 master 20
check "held connections echo with lb1's lvsd stopped" ping_held 4
probe_stop sigterm
probe_start restart
start_lvsd lb1
check "lvsd back on lb1 preempts" wait_state lb1 master 100
check "lb2 steps down again" wait_state lb2 backup 50
sleep 1
check "held connections echo after the restart" ping_held 5
probe_stop restart

# === 5. a dead link ===================================================================================
probe_start link
ip -n lb1 link set eth0 down
check "lb1's public link down: fault" wait_state lb1 fault 30
check "lb1 in fault holds no VIP" wait_holds_none lb1
check "lb2 serves" wait_state lb2 master 30
ip -n lb1 link set eth0 up
check "link up: lb1 master again" wait_state lb1 master 100
sleep 1
check "held connections echo after the link came back" ping_held 6
probe_stop link

# === 6. a crash ===========================================================================================
probe_start crash
kill -KILL "${lvsd_pid[lb1]}"; wait "${lvsd_pid[lb1]}" 2>/dev/null
check "kill -9 leaves lb1's VIPs behind (what the restart must clean)" holds_vips lb1
check "lb2 takes over after the master-down interval" wait_state lb2 master 30
start_lvsd lb1
for i in $(seq 100); do ctl lb1 ha status > /dev/null 2>&1 && break; sleep 0.1; done
check "lvsd on lb1 removed the stray VIPs at start" grep -q "removed VIP $VIP/24 left on eth0" "$WORK/lvsd-lb1.log"
check "lb1 preempts back" wait_state lb1 master 100
sleep 1
check "held connections echo after the crash" ping_held 7
probe_stop crash

# === 7. split brain ==========================================================================================
# lb2's private port leaves the bridge: its link stays up but it hears no advert, so
# both become master. Healed, lb2 hears lb1's higher priority within one advert interval.
ip link set v2q nomaster
check "cut off, lb2 becomes master too (split brain)" wait_state lb2 master 30
check "lb1 stays master" wait_state lb1 master 5
ip link set v2q master brpriv
healed=$(date +%s%N)
check "healed: lb2 steps down" wait_state lb2 backup 30
check "healed: lb2 holds no VIP" wait_holds_none lb2
echo "figures: split brain healed: lb2 backup after $(( ($(date +%s%N) - healed) / 1000000 )) ms (polled, 100 ms adverts)"
check "healed: lb1 holds the VIPs" holds_vips lb1
sleep 1
check "held connections echo after the split brain" ping_held 8

# === figures and the client's view ========================================================================
echo "figures: planned hand-over, request to first greeting on the new master: ${handover_ms:-?} ms"
for phase in failover resume sigterm restart link crash; do
    echo "figures: new connections (one per 50 ms) during $phase: ${phase_result[$phase]:-none}"
done
# Reported, not asserted: a connection whose TCP handshake straddles the switch can be
# lost (IPVS syncs a TCP connection only once it is established, so the new master
# does not know a half-open one). Established ones are asserted above (held).
ctl lb2 ha status
check "lb2 dropped no advert" bash -c "\"$LVSCTL\" ha status --json --socket \"$WORK/lb2/control.sock\" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(1 if d[\"adverts\"][\"dropped\"] else 0)'"

if [ "$failures" -ne 0 ]; then echo "FAIL: $failures check(s) failed"; exit 1; fi
echo "PASS: two lvsd move the VIPs with VRRP and no held connection breaks"
