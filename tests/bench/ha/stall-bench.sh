#!/bin/bash
# Held-connection stall benchmark (VM, label `bench`): lvsd against keepalived 2.2.7 on the
# pair of balancer namespaces of the HA kernel tests (tests/kernel/ha/pair.sh), VRRPv3
# unicast, 100 ms adverts, priorities 200/100, authentication none, the same two VIPs and
# the same IPVS service (rr, NAT, two echo reals, TCP checks every second), with the
# kernel's connection sync between the balancers:
#   lvsd            ha.sync in the descriptor: master and backup sync daemons on both nodes
#   keepalived-inst `lvs_sync_daemon eth1 VI_51 id 51`: the sync daemons follow the VRRP
#                   instance (master daemon on the master, backup daemon on the backup)
#   keepalived-both `lvs_sync_daemon eth1 id 51`: both daemons on both nodes, as lvsd
# keepalived programs the table itself (virtual_server with TCP_CHECK), as lvsd does.
# Per daemon:
#   sync lag   SAMPLES fresh connections through the master (synclag.py): connect to
#              "known to the standby's IPVS table"
#   stall      TRIALS times: CONNS connections held through the VIP, a line each every
#              INTERVAL_MS, AGE_S old; the master is cut off both bridges (links up, as
#              ha-bench.sh does); per connection the longest gap between echoes across the
#              takeover and whether it survived (stall.py); then healed, lb1 master again.
# Prints each trial, per daemon the median of the trials' median stalls, the worst
# stall, the connections lost, the sync lags, and keepalived/lvsd for the median stall.
# Fails only when a daemon does not come up or a trial cannot run; lost connections
# are figures, not failures.
#   stall-bench.sh LVSD LVSCTL [TRIALS] [CONNS]
# Environment (LVS_* reaches the VM): LVS_STALL_INTERVAL_MS (10), LVS_STALL_AGE_S (5),
#   LVS_STALL_LAG_SAMPLES (5), LVS_STALL_KEEPALIVED ("inst both": the keepalived variants).
set -u

LVSD="${1:?usage: stall-bench.sh LVSD LVSCTL [TRIALS] [CONNS]}"
LVSCTL="${2:?usage: stall-bench.sh LVSD LVSCTL [TRIALS] [CONNS]}"
TRIALS="${3:-5}"
CONNS="${4:-20}"
INTERVAL_MS="${LVS_STALL_INTERVAL_MS:-10}"
AGE_S="${LVS_STALL_AGE_S:-5}"
LAG_SAMPLES="${LVS_STALL_LAG_SAMPLES:-5}"
KA_VARIANTS="${LVS_STALL_KEEPALIVED:-inst both}"
BENCH="$(cd "$(dirname "$0")" && pwd)"
HERE="$(cd "$BENCH/../../kernel/ha" && pwd)"
WORK=/tmp/ha-stall-bench

. "$HERE/pair.sh"
command -v keepalived > /dev/null || fatal "keepalived is not installed"
command -v nsenter > /dev/null || fatal "nsenter is not installed"
write_descriptor '{ "type": "none" }'

# Any process in lb2's namespace: the python scripts read lb2's IPVS connections from
# /proc/PID/net/ip_vs_conn while they run in the client's namespace.
ip netns exec lb2 sleep 100000 &
standby_pid=$!
. "$BENCH/keepalived-ipvs.sh"
# The cut: one `ip -batch` (started beforehand by stall.py) takes both of lb1's ports off
# their bridges within a millisecond; the private one first, so the standby's master-down
# timer starts when the traffic stops.
CUT_CMD='ip -batch -'
CUT_INPUT='link set v1q nomaster;link set v1p nomaster'
heal() { ip link set v1p master brpub; ip link set v1q master brpriv; }
# After a split brain the client and the reals may still send to lb2's MAC; each trial
# starts with them resolving the VIP and the gateway afresh (the same for both daemons).
forget_neighbours() { local ns; for ns in client real1 real2; do ip -n "$ns" neigh flush all 2>/dev/null; done; }
wait_vip_on() { local i; for i in $(seq 100); do holds_vips "$1" && return 0; sleep 0.1; done; return 1; }
wait_table() {  # wait_table LB: the service with both reals at weight 1, up to 20 s
    local i
    for i in $(seq 100); do
        [ "$(ip netns exec "$1" ipvsadm -Ln -t "$VIP:$PORT" 2>/dev/null | grep -c -- '->.*Masq *1 ')" = 2 ] && return 0
        sleep 0.2
    done
    return 1
}
sync_daemons() { ip netns exec "$1" ipvsadm -L --daemon | tr '\n' ';'; }
ms_after() {  # ms_after CUT_UNIX_TIME FILE REGEX: from the cut to FILE's first `ip -ts
    # monitor` line matching REGEX after it ("?": none)
    local at t
    for at in $(awk -v re="$3" '{ ts = $1; l = $0; sub(/^\[[^]]*\] /, "", l); if (l ~ re) { gsub(/[][]/, "", ts); print ts } }' "$2"); do
        t=$(date -d "$at" +%s.%N 2>/dev/null) || continue
        if awk -v a="$t" -v c="$1" 'BEGIN { exit !(a >= c) }'; then
            awk -v a="$t" -v c="$1" 'BEGIN { printf "%.1f", (a - c) * 1000 }'
            return
        fi
    done
    echo "?"
}
show_stuck() {  # where each keepalived process waits (kernel stack), for a daemon that hung
    local pid
    for pid in $(pgrep -x keepalived); do
        echo "    keepalived pid $pid in $(ip netns identify "$pid"): $(grep '^State' "/proc/$pid/status"), wchan $(cat "/proc/$pid/wchan" 2>/dev/null)"
        sed 's/^/      /' "/proc/$pid/stack" 2>/dev/null | head -n 12
    done
}
stats() {  # stats VALUES...: "median M worst W"
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.1f worst %.1f", m, v[NR] }'
}
median() { stats "$@" | awk '{ print $2 }'; }

declare -A res_median=() res_worst=() res_lost=() res_lag=() res_trials=() res_note=()
# run_daemon NAME WAIT_MASTER_CMD LB2_LOG PATTERN: the sync lag samples, then the trials.
# LB2_LOG's lines matching PATTERN count lb2's takeovers: a trial in which lb2 took over
# more than once (the emulator held lb1's adverts back for the master-down interval before
# the cut) is printed but not counted. When lb1 does not get the VIPs back after a heal,
# the daemon's remaining trials are dropped (a failure).
run_daemon() {
    local name=$1 wait_master=$2 lb2_log=$3 pattern=$4 t out medians=() worsts=() lost=0 lags before extra
    res_note[$name]=""
    echo "$name: sync daemons: lb1 [$(sync_daemons lb1)] lb2 [$(sync_daemons lb2)]"
    sleep 4  # the checks' and start-up's own sync traffic has been sent
    ip netns exec client python3 "$BENCH/synclag.py" "$VIP" "$PORT" "$standby_pid" "$LAG_SAMPLES" 8 4 \
        > "$WORK/lag-$name.out" 2>&1 || { cat "$WORK/lag-$name.out"; fatal "$name: sync lag samples failed"; }
    lags=$(awk '/^synclag_ms/ { printf "%s ", $2 }' "$WORK/lag-$name.out")
    echo "$name sync lag (connect to known by lb2), ms: $lags"
    res_lag[$name]="$lags"
    for t in $(seq "$TRIALS"); do
        forget_neighbours
        out="$WORK/stall-$name-$t.out"
        before=$(grep -c -- "$pattern" "$lb2_log")
        # When lb2 added the VIP, and when the client and real1 took lb2's MAC for the
        # VIP and for the gateway (its gratuitous ARP): the VM's wall clock, as is the cut's.
        ip netns exec lb2 ip -ts monitor address > "$WORK/mon.out" 2>&1 &
        mon_pids=$!
        ip netns exec client ip -ts monitor neigh > "$WORK/neigh-client.out" 2>&1 &
        mon_pids="$mon_pids $!"
        ip netns exec real1 ip -ts monitor neigh > "$WORK/neigh-real1.out" 2>&1 &
        mon_pids="$mon_pids $!"
        extra_pids="$extra_pids $mon_pids"
        ip netns exec client python3 "$BENCH/stall.py" "$VIP" "$PORT" "$CONNS" "$INTERVAL_MS" "$AGE_S" 12 \
            "$standby_pid" "$CUT_CMD" "$CUT_INPUT" > "$out" 2>&1
        rc=$?
        if [ "$rc" = 3 ]; then  # nothing cut: the VIP did not answer (a starved emulator)
            kill $mon_pids 2>/dev/null; wait $mon_pids 2>/dev/null; helpers
            echo "$name trial $t: not run, $(tail -n 1 "$out")"
            res_note[$name]="${res_note[$name]} trial $t not run (no connection through the VIP);"
            sleep 5
            continue
        fi
        [ "$rc" = 0 ] || { heal; cat "$out"; fatal "$name trial $t: stall.py failed"; }
        set -- $(awk '/^stall median/ { print $3, $5, $7 }' "$out")  # no /dev/fd in the VM
        [ $# -eq 3 ] || { heal; cat "$out"; fatal "$name trial $t: no summary from stall.py"; }
        m=$1 w=$2 l=$3
        kill $mon_pids 2>/dev/null; wait $mon_pids 2>/dev/null; helpers
        cut_wall=$(awk '/^cut_wall/ { print $2 }' "$out")
        vip_ms=$(ms_after "$cut_wall" "$WORK/mon.out" "inet $VIP/")
        arp_client_ms=$(ms_after "$cut_wall" "$WORK/neigh-client.out" "^$VIP .*lladdr $lb2_mac_pub")
        arp_real_ms=$(ms_after "$cut_wall" "$WORK/neigh-real1.out" "^$GW .*lladdr $lb2_mac_priv")
        extra=$(( $(grep -c -- "$pattern" "$lb2_log") - before - 1 ))
        echo "$name trial $t: stall median $m ms, worst $w ms, lost $l/$CONNS" \
            "($(grep -m1 '^known_to_standby' "$out" | tr '_' ' '), $(grep -m1 '^baseline' "$out" | tr '_' ' '), $(grep -m1 '^cut_took' "$out" | tr '_' ' '))"
        echo "    after the cut: VIP on lb2 ${vip_ms} ms, client's ARP -> lb2 ${arp_client_ms} ms, real1's gateway -> lb2 ${arp_real_ms} ms; first echo through lb2 after $(awk '/^resume_ms/ { print $5 " ms (median over the connections " $3 " ms)" }' "$out")"
        grep 'survived no' "$out" | sed 's/^/    /'
        if [ "$extra" -gt 0 ]; then
            echo "    not counted: lb2 took over $extra more time(s) by itself during the trial"
            res_note[$name]="${res_note[$name]} trial $t not counted (lb2 took over by itself);"
        else
            medians+=("$m"); worsts+=("$w"); lost=$((lost + l))
        fi
        heal
        if ! $wait_master || ! wait_holds_none lb2; then
            fail "$name: after the heal of trial $t lb2 still holds the VIPs; its remaining trials dropped"
            show_stuck
            res_note[$name]="${res_note[$name]} lb2 kept the VIPs after trial $t's heal, the rest dropped;"
            break
        fi
        sleep 2
    done
    [ "${#medians[@]}" -gt 0 ] || { res_median[$name]=0; res_worst[$name]=0; res_lost[$name]=0; res_trials[$name]=""; return; }
    res_median[$name]=$(median "${medians[@]}")
    res_worst[$name]=$(printf '%s\n' "${worsts[@]}" | sort -n | tail -n 1)
    res_lost[$name]="$lost/$((CONNS * ${#medians[@]}))"
    res_trials[$name]="${medians[*]}"
}

lb2_mac_pub=$(ip -n lb2 -br link show eth0 | awk '{ print $3 }')
lb2_mac_priv=$(ip -n lb2 -br link show eth1 | awk '{ print $3 }')

# --- lvsd ------------------------------------------------------------------------------
start_lvsd lb1
start_lvsd lb2
wait_state lb1 master 100 || fatal "lvsd on lb1 did not become master"
wait_state lb2 backup 50 || fatal "lvsd on lb2 is not backup"
wait_table lb1 && wait_table lb2 || fatal "lvsd: the service is not programmed with both reals up"
run_daemon lvsd "wait_state lb1 master 100" "$WORK/lvsd-lb2.log" "backup -> master"
stop "${lvsd_pid[lb1]}"; stop "${lvsd_pid[lb2]}"
lvsd_pid=()
wait_holds_none lb1 && wait_holds_none lb2 || fatal "lvsd left VIPs behind"
clear_ipvs

# --- keepalived --------------------------------------------------------------------------
names=(lvsd)
for variant in $KA_VARIANTS; do
    case "$variant" in
        inst) sync="eth1 VI_51 id 51" ;;
        both) sync="eth1 id 51" ;;
        *) fatal "LVS_STALL_KEEPALIVED: unknown variant '$variant' (inst, both)" ;;
    esac
    keepalived_ipvs_conf "$WORK/lb1/keepalived.conf" lb1 200 203.0.113.1 203.0.113.2 "$sync"
    keepalived_ipvs_conf "$WORK/lb2/keepalived.conf" lb2 100 203.0.113.2 203.0.113.1 "$sync"
    start_keepalived lb1
    start_keepalived lb2
    wait_vip_on lb1 || fatal "keepalived-$variant on lb1 did not become master"
    wait_table lb1 && wait_table lb2 || fatal "keepalived-$variant: the service is not programmed with both reals up"
    sleep 1
    run_daemon "keepalived-$variant" "wait_vip_on lb1" "$WORK/keepalived-lb2.log" "Entering MASTER STATE"
    stop "${ka_pid[lb1]}"; stop "${ka_pid[lb2]}"
    ka_pid=()
    helpers
    if ! wait_holds_none lb1 || ! wait_holds_none lb2; then
        fail "keepalived-$variant left VIPs behind (removed)"
        for lb in lb1 lb2; do ip -n "$lb" addr del "$VIP/24" dev eth0 2>/dev/null; ip -n "$lb" addr del "$GW/24" dev eth1 2>/dev/null; done
    fi
    mv "$WORK/keepalived-lb2.log" "$WORK/keepalived-$variant-lb2.log"; mv "$WORK/keepalived-lb1.log" "$WORK/keepalived-$variant-lb1.log"
    clear_ipvs
    names+=("keepalived-$variant")
done

echo "held connections: $CONNS per trial, a line each every $INTERVAL_MS ms, $AGE_S s old at the cut; $TRIALS trials"
for name in "${names[@]}"; do
    ratio=""
    [ "$name" != lvsd ] && ratio=$(awk -v a="${res_median[$name]}" -v b="${res_median[lvsd]}" 'BEGIN { if (a > 0 && b > 0) printf ", keepalived/lvsd (median stall) %.2fx", a / b }')
    echo "figures: $name: stall median of the trials' medians ${res_median[$name]} ms (trials: ${res_trials[$name]}), worst ${res_worst[$name]} ms, lost ${res_lost[$name]}$ratio${res_note[$name]:+; ${res_note[$name]}}"
    numeric=$(printf '%s\n' ${res_lag[$name]} | grep -E '^[0-9.]+$' | tr '\n' ' ')
    echo "figures: $name: sync lag, ms: ${res_lag[$name]}(median of the measured ${numeric:+$(median $numeric)})"
done
[ "$failures" -eq 0 ] || exit 1
