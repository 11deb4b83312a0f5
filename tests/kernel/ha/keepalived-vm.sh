#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:   keepalived-vm.sh LVSD LVSCTL
# lvsd on lb1 and keepalived 2.2.7 (vrrp_version 3, unicast peer, authentication none)
# on lb2 as the two balancers of one virtual router, in both roles:
#   1. lvsd (200) is master, keepalived (100) backup and holds no VIP.
#   2. `lvsctl ha failover` is refused (exit 2: with authentication none lvsd cannot know
#      a backup is there); with --force keepalived takes the VIPs, lvsd holds none.
#   3. `lvsctl ha resume`: lvsd preempts, keepalived gives the VIPs up.
#   4. keepalived restarted with priority 250 preempts lvsd; lvsd drops its VIPs.
#   5. keepalived stopped (priority 0): lvsd takes over.
# After every step exactly one node holds the VIPs, lvsd dropped no advert, and
# keepalived logged nothing invalid about lvsd's (a higher-priority backup "discarding"
# a lower master's adverts while it preempts is RFC 5798 behaviour, not a complaint).
# Throughout, tests/support/vip_overlap.py (in lb1, on eth1) watches both nodes' VIPs in
# one ordered rtnetlink stream and the adverts on the wire: every step-down (either side)
# must delete the VIPs before the new master's second advert, i.e. upon the first one,
# so neither holds a VIP the other holds for longer than one advert interval; the
# longest overlap is printed in ms. In step 4 lvsd's own record (its ha event) says it
# stepped down on the first advert it heard from keepalived.
set -u

LVSD="${1:?usage: keepalived-vm.sh LVSD LVSCTL}"
LVSCTL="${2:?usage: keepalived-vm.sh LVSD LVSCTL}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK=/tmp/ha-keepalived-test

. "$HERE/pair.sh"
command -v keepalived > /dev/null || fatal "keepalived is not installed"
write_descriptor '{ "type": "none" }'

start_keepalived() {  # start_keepalived PRIORITY
    keepalived_conf "$WORK/keepalived.conf" lb2 "$1" 203.0.113.2 203.0.113.1
    ip netns exec lb2 nice -n -10 keepalived --vrrp --dont-fork --log-console --no-syslog \
        --use-file "$WORK/keepalived.conf" --pid "$WORK/keepalived.pid" --vrrp_pid "$WORK/vrrp.pid" \
        >> "$WORK/keepalived.log" 2>&1 &
    keepalived_pid=$!
    extra_pids="$extra_pids $keepalived_pid"
}
stop_keepalived() {
    kill -TERM "$keepalived_pid" 2>/dev/null
    wait "$keepalived_pid" 2>/dev/null
}
wait_holds() { local i; for i in $(seq 50); do holds_vips "$1" && return 0; sleep 0.1; done; return 1; }
only() {  # only LB: LB holds both VIPs and the other none
    local other=lb1; [ "$1" = lb1 ] && other=lb2
    holds_vips "$1" && holds_none "$other"
}

# === 1 ========================================================================================
ip netns exec lb1 python3 "$SRC/tests/support/vip_overlap.py" --peer-netns lb2 --interface eth1 \
    --self-addr 203.0.113.1 --peer-addr 203.0.113.2 --vip "$VIP" --vip "$GW" --interval-ms 100 --limit 500 \
    > "$WORK/overlap.out" 2>&1 &
sampler_pid=$!
extra_pids="$extra_pids $sampler_pid"
for i in $(seq 100); do grep -q '^ready' "$WORK/overlap.out" && break; sleep 0.1; done
check "the VIP sampler runs" grep -q '^ready' "$WORK/overlap.out"
start_lvsd lb1
start_keepalived 100
check "lvsd (200) becomes master" wait_state lb1 master 100
sleep 1
check "keepalived (100) stays backup: only lb1 holds the VIPs" only lb1
check "lvsd heard nothing from a silent backup yet, and dropped nothing" bash -c \
    "\"$LVSCTL\" ha status --json --socket \"$WORK/lb1/control.sock\" | python3 -c 'import json,sys; sys.exit(1 if json.load(sys.stdin)[\"adverts\"][\"dropped\"] else 0)'"

# === 2 ========================================================================================
ctl lb1 ha failover > /dev/null 2> "$WORK/refused.err"
check "ha failover without --force is refused with exit 2 (a VRRP backup is silent)" test "$?" = 2
check "the refusal says why" grep -q "no hand-over: with authentication none" "$WORK/refused.err"
check "refused: lvsd is still master with the VIPs" only lb1
ctl lb1 ha failover --force > /dev/null
check "ha failover: keepalived takes the VIPs" wait_holds lb2
check "lvsd holds none" wait_holds_none lb1
check "lvsd is backup and hears keepalived as master" wait_state lb1 backup 20
sleep 1
check "only keepalived holds the VIPs" only lb2

# === 3 ========================================================================================
ctl lb1 ha resume > /dev/null
check "ha resume: lvsd preempts keepalived" wait_state lb1 master 50
check "keepalived gives the VIPs up" wait_holds_none lb2
check "only lvsd holds the VIPs" only lb1

# === 4 ========================================================================================
stop_keepalived
check "following lvsd's events" follow_events lb1 preempted
read -r heard dropped <<< "$(ha_counters lb1)"  # a backup keepalived sends nothing
start_keepalived 250
check "keepalived (250) preempts lvsd" wait_holds lb2
check "lvsd steps down to backup" wait_event preempted backup 50
check "lvsd held no VIP by the time it told of the change" holds_none lb1
check_stepped_down preempted lvsd "advert from 203.0.113.2 with priority 250" "$heard"
check "lvsd is backup" wait_state lb1 backup 50
sleep 1
check "only keepalived holds the VIPs" only lb2

# === 5 ========================================================================================
stop_keepalived
check "keepalived stopped (priority 0): lvsd takes over" wait_state lb1 master 20
check "only lvsd holds the VIPs" only lb1
check "lvsd dropped no advert from keepalived" bash -c \
    "\"$LVSCTL\" ha status --json --socket \"$WORK/lb1/control.sock\" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"adverts\"]); sys.exit(1 if d[\"adverts\"][\"dropped\"] or not d[\"adverts\"][\"received\"] else 0)'"
ctl lb1 ha status
kill -TERM "$sampler_pid"; wait "$sampler_pid"
sed -n '/^step-down/p; /^overlap/p; /^max_overlap_ms/p; /^verdict/p' "$WORK/overlap.out"
echo "figures: longest time both nodes held a VIP over all role changes: $(awk '/^max_overlap_ms/ { print $2 }' "$WORK/overlap.out") ms (adverts every 100 ms)"
check "the sampler saw keepalived step down (step 3) and lvsd step down (step 4)" bash -c \
    "grep -q '^step-down .*: peer dropped' '$WORK/overlap.out' && grep -q '^step-down .*: self dropped' '$WORK/overlap.out'"
check "every step-down deleted the VIPs before the new master's second advert" grep -q '^verdict ok' "$WORK/overlap.out"
grep -Ei "invalid|checksum|bad |mismatch|malformed" "$WORK/keepalived.log" > "$WORK/complaints" &&
    { fail "keepalived complained about lvsd's adverts"; cat "$WORK/complaints"; } ||
    pass "keepalived logged no complaint about lvsd's adverts"

if [ "$failures" -ne 0 ]; then echo "FAIL: $failures check(s) failed"; exit 1; fi
echo "PASS: lvsd and keepalived share one virtual router in both roles"
