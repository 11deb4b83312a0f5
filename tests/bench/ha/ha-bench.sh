#!/bin/bash
# HA benchmark (VM, label `bench`): lvsd against keepalived 2.2.7 on the same pair of
# balancer namespaces, VRRPv3 unicast, 100 ms adverts, priorities 200/100, authentication
# none, the same two VIPs; measured in one run, as a client sees it (takeover.py: a new
# connection through the VIP every 5 ms until a real greets):
#   unplanned  the master is cut off both bridges (its links stay up, so no interface
#              tracking helps): cut to the first greeting via the standby
#   planned    lvsd: `lvsctl ha failover --force` (forced: with authentication none lvsd
#              cannot know the standby is there); keepalived: SIGTERM of the master (its
#              planned hand-over, priority 0): request to the first greeting
# TRIALS each (default 5); prints each, the median and worst, and keepalived/lvsd.
# Fails only when a trial gets no greeting within 10 s.
#   ha-bench.sh LVSD LVSCTL [TRIALS]
set -u

LVSD="${1:?usage: ha-bench.sh LVSD LVSCTL [TRIALS]}"
LVSCTL="${2:?usage: ha-bench.sh LVSD LVSCTL [TRIALS]}"
TRIALS="${3:-5}"
HERE="$(cd "$(dirname "$0")/../../kernel/ha" && pwd)"
WORK=/tmp/ha-bench

. "$HERE/pair.sh"
command -v keepalived > /dev/null || fatal "keepalived is not installed"
write_descriptor '{ "type": "none" }'

declare -A ka_pid=()
start_keepalived() {  # start_keepalived LB
    ip netns exec "$1" keepalived --vrrp --dont-fork --log-console --no-syslog \
        --use-file "$WORK/$1/keepalived.conf" --pid "$WORK/$1/ka.pid" --vrrp_pid "$WORK/$1/vrrp.pid" \
        >> "$WORK/keepalived-$1.log" 2>&1 &
    ka_pid[$1]=$!
    extra_pids="${ka_pid[*]}"
}
stop() {  # stop PID
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
CUT='sh -c "ip link set v1p nomaster && ip link set v1q nomaster"'
heal() { ip link set v1p master brpub; ip link set v1q master brpriv; }
# The moment lb2 adds the VIP, to split a takeover into detection and announcement.
monitor_start() { ip netns exec lb2 ip -ts monitor address > "$WORK/mon.out" 2>&1 & mon_pid=$!; sleep 0.2; }
monitor_stop() {
    kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null
    grep -m1 "inet $VIP/" "$WORK/mon.out" | sed -n 's/^\[\([^]]*\)\].*/\1/p'
}
measure() {  # measure SOCKET REQUEST: prints the milliseconds, or fails
    ip netns exec client python3 "$HERE/takeover.py" "$1" "$2" "$VIP" "$PORT" 10 > "$WORK/t.out" 2>&1 ||
        { cat "$WORK/t.out"; return 1; }
    awk '/^takeover_ms/ { print $2 }' "$WORK/t.out"
}
stats() {  # stats VALUES...: "median M worst W"
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.1f worst %.1f", m, v[NR] }'
}
median() { stats "$@" | awk '{ print $2 }'; }
wait_vip_on() {  # wait_vip_on LB: up to 10 s
    local i
    for i in $(seq 100); do holds_vips "$1" && return 0; sleep 0.1; done
    return 1
}

# --- lvsd ------------------------------------------------------------------------------
start_lvsd lb1
start_lvsd lb2
wait_state lb1 master 100 || fatal "lvsd on lb1 did not become master"
wait_state lb2 backup 50 || fatal "lvsd on lb2 is not backup"
lvsd_cut=() lvsd_planned=()
for t in $(seq "$TRIALS"); do
    monitor_start
    cut_at=$(date +%s.%N)
    ms=$(measure - "$CUT") || fatal "lvsd unplanned trial $t: no greeting"
    echo "lvsd trial $t: cut at $cut_at, VIP added on lb2 at $(monitor_stop), greeting after $ms ms"
    lvsd_cut+=("$ms")
    heal
    wait_state lb1 master 100 || fatal "lvsd: lb1 did not take the VIPs back after heal"
    wait_holds_none lb2 || fatal "lvsd: lb2 kept the VIPs"
    sleep 1
    ms=$(measure "$WORK/lb1/control.sock" '{"command":"ha-failover","force":true}') || fatal "lvsd planned trial $t: no greeting"
    lvsd_planned+=("$ms")
    ctl lb1 ha resume > /dev/null
    wait_state lb1 master 100 || fatal "lvsd: lb1 did not preempt after resume"
    wait_holds_none lb2 || fatal "lvsd: lb2 kept the VIPs"
    sleep 1
done
stop "${lvsd_pid[lb1]}"; stop "${lvsd_pid[lb2]}"
lvsd_pid=()
wait_holds_none lb1 && wait_holds_none lb2 || fatal "lvsd left VIPs behind"

# --- keepalived ----------------------------------------------------------------------------
keepalived_conf "$WORK/lb1/keepalived.conf" lb1 200 203.0.113.1 203.0.113.2
keepalived_conf "$WORK/lb2/keepalived.conf" lb2 100 203.0.113.2 203.0.113.1
start_keepalived lb1
start_keepalived lb2
wait_vip_on lb1 || fatal "keepalived on lb1 did not become master"
sleep 1
ka_cut=() ka_planned=()
for t in $(seq "$TRIALS"); do
    monitor_start
    cut_at=$(date +%s.%N)
    ms=$(measure - "$CUT") || fatal "keepalived unplanned trial $t: no greeting"
    echo "keepalived trial $t: cut at $cut_at, VIP added on lb2 at $(monitor_stop), greeting after $ms ms"
    ka_cut+=("$ms")
    heal
    wait_vip_on lb1 || fatal "keepalived: lb1 did not take the VIPs back after heal"
    wait_holds_none lb2 || fatal "keepalived: lb2 kept the VIPs"
    sleep 1
    # keepalived's planned hand-over: stop the master (it sends priority 0).
    ip netns exec client python3 "$HERE/takeover.py" - "kill -TERM ${ka_pid[lb1]}" "$VIP" "$PORT" 10 \
        > "$WORK/t.out" 2>&1 || { cat "$WORK/t.out"; fatal "keepalived planned trial $t: no greeting"; }
    ka_planned+=("$(awk '/^takeover_ms/ { print $2 }' "$WORK/t.out")")
    wait "${ka_pid[lb1]}" 2>/dev/null
    start_keepalived lb1
    wait_vip_on lb1 || fatal "keepalived: lb1 did not preempt after its restart"
    wait_holds_none lb2 || fatal "keepalived: lb2 kept the VIPs"
    sleep 1
done
stop "${ka_pid[lb1]}"; stop "${ka_pid[lb2]}"
extra_pids=""

echo "unplanned takeover (master cut off), ms, lvsd:       ${lvsd_cut[*]}"
echo "unplanned takeover (master cut off), ms, keepalived: ${ka_cut[*]}"
echo "planned hand-over, ms, lvsd (ha failover):             ${lvsd_planned[*]}"
echo "planned hand-over, ms, keepalived (master stopped):    ${ka_planned[*]}"
echo "figures: unplanned: lvsd $(stats "${lvsd_cut[@]}"), keepalived $(stats "${ka_cut[@]}"); keepalived/lvsd (median) $(awk -v a="$(median "${ka_cut[@]}")" -v b="$(median "${lvsd_cut[@]}")" 'BEGIN { printf "%.2fx", a / b }')"
echo "figures: planned: lvsd $(stats "${lvsd_planned[@]}"), keepalived $(stats "${ka_planned[@]}"); keepalived/lvsd (median) $(awk -v a="$(median "${ka_planned[@]}")" -v b="$(median "${lvsd_planned[@]}")" 'BEGIN { printf "%.2fx", a / b }')"
[ "$failures" -eq 0 ] || exit 1
