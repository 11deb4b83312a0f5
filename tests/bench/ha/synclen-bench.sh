#!/bin/bash
# Sync lag by message size (VM, label `bench`): how long a fresh connection through the
# master stays unknown to the standby, with lvsd's `ha.sync.send` "each" (the master sync
# daemon sends every connection event in its own message) and then "batched" (the kernel's
# default, MTU-sized messages sent when full or every ~2 s; keepalived's lvs_sync_daemon
# without maxlen asks the kernel for exactly this), in the same VM run, on the pair of the
# HA kernel tests (tests/kernel/ha/pair.sh; sync on eth1, id 51).
# Under a steady background load of LOAD new connections a second through the VIP (each
# greeting + echo + close, a thread of synclag.py), SAMPLES fresh connections per mode,
# each from connect() to "in lb2's /proc/net/ip_vs_conn". lb1 switches modes by a reload
# (which must restart its master sync daemon only; the kernel's maxlen is printed).
# Then IDLE_SAMPLES more per mode with no other traffic (3-6 s apart): the idle balancer.
# Prints per mode the samples, median and worst, the sync messages lb1 sent (its UDP
# datagrams) per connection, and batched/each of the medians.
# Fails only when the set-up does not come up; times are figures, never asserted.
#   synclen-bench.sh LVSD LVSCTL [SAMPLES] [LOAD]
# Environment (LVS_* reaches the VM): LVS_SYNCLEN_IDLE_SAMPLES (2; 0: none);
#   LVS_SYNCLEN_KEEPALIVED=1: then the same for keepalived 2.2.7 (`lvs_sync_daemon eth1 id
#   51`, no maxlen), lvsd stopped, both sync daemons on both nodes, as in ha_stall_bench.
set -u

LVSD="${1:?usage: synclen-bench.sh LVSD LVSCTL [SAMPLES] [LOAD]}"
LVSCTL="${2:?usage: synclen-bench.sh LVSD LVSCTL [SAMPLES] [LOAD]}"
SAMPLES="${3:-5}"
LOAD="${4:-10}"
IDLE_SAMPLES="${LVS_SYNCLEN_IDLE_SAMPLES:-2}"
BENCH="$(cd "$(dirname "$0")" && pwd)"
HERE="$(cd "$BENCH/../../kernel/ha" && pwd)"
WORK=/tmp/ha-synclen-bench

. "$HERE/pair.sh"
write_descriptor '{ "type": "none" }'

# Any process in lb2's namespace: synclag.py reads lb2's connections from /proc/PID/net.
ip netns exec lb2 sleep 100000 &
standby_pid=$!
. "$BENCH/keepalived-ipvs.sh"

wait_table() {  # wait_table LB: the service with both reals at weight 1, up to 20 s
    local i
    for i in $(seq 100); do
        [ "$(ip netns exec "$1" ipvsadm -Ln -t "$VIP:$PORT" 2>/dev/null | grep -c -- '->.*Masq *1 ')" = 2 ] && return 0
        sleep 0.2
    done
    return 1
}
master_daemon() { ip netns exec lb1 ipvsadm -L --daemon | grep '^master'; }
stats() {  # stats VALUES...: "median M worst W"
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.1f worst %.1f", m, v[NR] }'
}
# lb1's sent UDP datagrams: the master sync daemon's messages (VRRP is not UDP, the
# health checks are TCP), for the packet cost of each mode.
udp_out() { ip netns exec lb1 awk '/^Udp:/ { n++; if (n == 2) print $5 }' /proc/net/snmp; }
declare -A lags=() summary=() cost=()
# lb2's log, the line that marks its takeover, and how to wait until lb1 is master again.
takeover_log="$WORK/lvsd-lb2.log" takeover_pattern="backup -> master" seen_takeovers=0
settle() { wait_state lb1 master 100 > /dev/null; wait_state lb2 backup 100 > /dev/null; }
measure() {  # measure NAME SAMPLES PAUSE_S LOAD: the samples into lags[NAME], summary[NAME]
    local out="$WORK/lag-$1.out" numeric before t0 secs sent conns
    before=$(udp_out)
    t0=$(date +%s.%N)
    ip netns exec client python3 "$BENCH/synclag.py" "$VIP" "$PORT" "$standby_pid" "$2" 8 "$3" "$4" \
        > "$out" 2>&1 || { cat "$out"; fatal "$1: synclag.py failed"; }
    sent=$(( $(udp_out) - before ))
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    lags[$1]=$(awk '/^synclag_ms/ { printf "%s ", $2 }' "$out")
    numeric=$(printf '%s\n' ${lags[$1]} | grep -E '^[0-9.]+$' | tr '\n' ' ')
    [ -n "$numeric" ] || { cat "$out"; fatal "$1: no sample measured"; }
    summary[$1]=$(stats $numeric)
    conns=$(awk -v s="$2" '/^load_conns/ { n = $2 } END { print n + s }' "$out")
    cost[$1]="$sent sync messages in $secs s for $conns connections"
    # A starved emulator can hold lb1's adverts back past the master-down interval: lb2
    # takes over by itself and connections through the VIP fail. Such a mode is marked.
    takeovers=$(grep -c -- "$takeover_pattern" "$takeover_log")
    if [ "$takeovers" -gt "$seen_takeovers" ]; then
        cost[$1]="${cost[$1]}; NOT CLEAN: lb2 took over $((takeovers - seen_takeovers)) time(s) by itself"
        seen_takeovers=$takeovers
        settle
    fi
    echo "$1: sync lag, ms: ${lags[$1]}($(grep '^load_conns' "$out"); ${cost[$1]})"
}

idle() {  # idle MODE: after 4 s of quiet (what the load left is sent), the idle samples
    [ "$IDLE_SAMPLES" -gt 0 ] || return 0
    sleep 4
    measure "$1-idle" "$IDLE_SAMPLES" 3 0
}

start_lvsd lb1
start_lvsd lb2
wait_state lb1 master 100 || fatal "lvsd on lb1 did not become master"
wait_state lb2 backup 50 || fatal "lvsd on lb2 is not backup"
wait_table lb1 && wait_table lb2 || fatal "the service is not programmed with both reals up"

echo "each: lb1 $(master_daemon)"
master_daemon | grep -Eq 'maxlen=1([,)]|$)' || fatal "lb1's master sync daemon does not report maxlen 1"
measure each "$SAMPLES" 1 "$LOAD"
idle each

sed -i 's/"sync": { "interface": "eth1", "sync_id": 51 }/"sync": { "interface": "eth1", "sync_id": 51, "send": "batched" }/' \
    "$WORK/lb1/cluster.json"
ctl lb1 reload > /dev/null || fatal "reload of lb1 with send batched failed"
echo "batched: lb1 $(master_daemon)"
master_daemon | grep -q 'maxlen=1472' || fatal "lb1's master sync daemon does not report maxlen 1472 after the reload"
grep -q "stopped to restart it: maxlen 1, wanted 1472 (ha.sync.send batched)" "$WORK/lvsd-lb1.log" ||
    fatal "lvsd did not log why it restarted the master sync daemon"
grep -q "sync daemon backup.*stopped" "$WORK/lvsd-lb1.log" && fatal "the reload restarted the backup sync daemon too"
measure batched "$SAMPLES" 1 "$LOAD"
idle batched

# --- keepalived (LVS_SYNCLEN_KEEPALIVED=1): its own table and `lvs_sync_daemon eth1 id 51`
# (no maxlen: the kernel's default, what "batched" asks for), both daemons on both nodes.
if [ "${LVS_SYNCLEN_KEEPALIVED:-0}" = 1 ]; then
    command -v keepalived > /dev/null || fatal "keepalived is not installed"
    stop "${lvsd_pid[lb1]}"; stop "${lvsd_pid[lb2]}"
    lvsd_pid=()
    wait_holds_none lb1 && wait_holds_none lb2 || fatal "lvsd left VIPs behind"
    clear_ipvs
    keepalived_ipvs_conf "$WORK/lb1/keepalived.conf" lb1 200 203.0.113.1 203.0.113.2 "eth1 id 51"
    keepalived_ipvs_conf "$WORK/lb2/keepalived.conf" lb2 100 203.0.113.2 203.0.113.1 "eth1 id 51"
    start_keepalived lb1
    start_keepalived lb2
    for i in $(seq 100); do holds_vips lb1 && break; sleep 0.1; done
    holds_vips lb1 || fatal "keepalived on lb1 did not become master"
    wait_table lb1 && wait_table lb2 || fatal "keepalived: the service is not programmed with both reals up"
    sleep 1
    takeover_log="$WORK/keepalived-lb2.log" takeover_pattern="Entering MASTER STATE"
    seen_takeovers=$(grep -c -- "$takeover_pattern" "$takeover_log")
    settle() { for i in $(seq 100); do holds_vips lb1 && holds_none lb2 && return; sleep 0.1; done; }
    echo "keepalived: lb1 $(master_daemon)"
    measure keepalived "$SAMPLES" 1 "$LOAD"
    idle keepalived
fi

echo "figures: $LOAD new connections/s through the VIP in the background, $SAMPLES samples per mode;" \
    "idle: no other traffic, $IDLE_SAMPLES samples 3-6 s apart"
for mode in each batched keepalived each-idle batched-idle keepalived-idle; do
    [ -n "${summary[$mode]:-}" ] || continue
    echo "figures: $mode: sync lag ${summary[$mode]} ms (samples: ${lags[$mode]}); ${cost[$mode]}"
done
ratio() {  # ratio A B: median of A / median of B
    awk -v a="$(echo "${summary[$1]}" | awk '{ print $2 }')" -v b="$(echo "${summary[$2]}" | awk '{ print $2 }')" \
        'BEGIN { if (b > 0) printf "%.1fx", a / b }'
}
echo "figures: batched / each, median sync lag: under load $(ratio batched each), idle $(ratio batched-idle each-idle)"
[ -n "${summary[keepalived]:-}" ] &&
    echo "figures: keepalived / each, median sync lag: under load $(ratio keepalived each)${summary[keepalived-idle]:+, idle $(ratio keepalived-idle each-idle)}"
[ "$failures" -eq 0 ] || exit 1
