#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:   ha-vm.sh LVSD LVSCTL
# Two lvsd, one per balancer namespace (lb1 priority 200, lb2 100), each on its own copy
# of one descriptor, pick their node by their local address and move the VIPs with VRRP
# (unicast, 100 ms adverts, hmac-sha256). Both IPVS tables are programmed all the time
# and both sync daemons run on both, so connections held through the VIP survive:
#   1. lb1 becomes master and holds the public VIP and the reals' gateway; lb2 holds
#      neither; both tables have the service.
#   1b. a reload adds a VIP live: refused on the master while lb2 still runs the old
#      list, then lb2 reloaded, then lb1: lb1 holds the new VIP, nobody changed state.
#   1c. ha.sync.send: with "each" (default) the kernel reports lb1's master sync daemon at
#      maxlen 1, its backup at 1472; a reload to "batched" restarts only that master daemon
#      (kernel threads compared), which then reports 1472; an unchanged reload and a
#      restart of lvsd (phase 4) restart no sync daemon.
#   1d. the takeover grace (ha.sync.takeover_grace_ms): a connection younger than lb1's
#      batched sync flush, established on lb1, has a line echoed right after `ha failover`
#      with lb2's grace at 4000 ms, and is reset with it at 0; the grace's nftables table
#      is gone after it.
#   2. planned hand-over (`ha failover` on lb1, accepted because lb2 sends standby
#      reports; lb2's `ha status --follow` shows its backup -> master event): the VIP answers from lb2, timed from the request to a client's first
#      greeting; lb1 stays standby (held) and says so.
#   3. `ha resume` on lb1: it takes the VIPs back (preempt).
#   4. SIGTERM on lb1's lvsd: priority 0, lb2 takes over at once, lb1 holds no VIP;
#      `ha failover` on lb2 is refused then (no standby reports); lvsd starts again on
#      lb1 and preempts back.
#   5. lb1's public link goes down: lb1 is in Fault without VIPs, lb2 serves; link up,
#      lb1 back to master.
#   6. kill -9 of lb1's lvsd leaves its VIPs (a crash); lb2 takes over; lvsd started
#      again on lb1 removes them first.
#   7. split brain: lb2 cut off from the private bridge (links up) becomes master too;
#      healed, it steps down on the FIRST advert it hears from lb1 (so within one advert
#      interval) and drops its VIPs in that same turn: asserted from lb2's own ha event
#      (its advert count one above the count read while cut off, 0 VIPs), not from wall
#      time; only lb1 holds the VIPs, and the client's ARP entry is lb1's MAC again.
#   8. both lvsd restarted at once (SIGTERM both, start both): they elect lb1 again,
#      only lb1 holds the VIPs, and the held connections still echo.
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
WORK=/tmp/ha-kernel-test

. "$HERE/pair.sh"

# --- descriptor (one file, copied to each balancer) -------------------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/vrrp.key"
echo >> "$WORK/vrrp.key"
chmod 600 "$WORK/vrrp.key"
write_descriptor '{ "type": "hmac-sha256", "key_file": "'"$WORK/vrrp.key"'" }'

ping_held() {  # ping_held N: every held connection echoes
    kill -USR1 "$holder_pid" 2>/dev/null || return 1
    local i
    # Up to 30 s: a lost segment right after a switch waits for TCP's retransmission.
    for i in $(seq 300); do grep -q "^ping $1 ok " "$WORK/holder.out" && break; sleep 0.1; done
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
# ha.sync.send "each" (the default): the master daemon with sync_maxlen 1 (one connection a
# message), the backup at the kernel's default (1500 - 28, its receive buffer), as the
# kernel itself reports them.
daemon_line() { ip netns exec "$1" ipvsadm -L --daemon | grep "^$2 sync daemon"; }
check "lb1's master sync daemon sends each connection alone: the kernel reports maxlen=1" \
    bash -c "$(declare -f daemon_line); daemon_line lb1 master | grep -Eq 'maxlen=1([,)]|\$)'"
check "lb1's backup sync daemon keeps the kernel's default length (maxlen=1472)" \
    bash -c "$(declare -f daemon_line); daemon_line lb1 backup | grep -q 'maxlen=1472'"
check "lvsctl ha status shows the master daemon's length and mode" \
    bash -c "\"$LVSCTL\" ha status --socket \"$WORK/lb1/control.sock\" | grep -q 'master on eth1 id 51, maxlen 1 (each)'"
# The kernel's sync threads (ipvs-m:GEN:ID master, ipvs-b:GEN:ID backup), all namespaces:
# a restarted daemon gets a new thread.
sync_threads() { ps -e -o pid=,comm= | awk -v p="^ipvs-$1:" '$2 ~ p { print $1 }' | sort -n | tr '\n' ' '; }
scrape_both() { ha_scrape lb1 && ha_scrape lb2; }
check "metrics: lb1 and lb2 answer GET /metrics and prometheus_client parses it" scrape_both
check "metrics: lb1 says master" [ "$(ha_metric lb1 'lvsd_ha_state{state="master"}')" = 1 ]
check "metrics: lb2 says backup" [ "$(ha_metric lb2 'lvsd_ha_state{state="backup"}')" = 1 ]
check "metrics: lb1 went backup -> master once" \
    [ "$(ha_metric lb1 'lvsd_ha_transitions_total{from="backup",to="master"}')" = 1 ]
check "metrics: lb1 sends adverts" [ "$(ha_metric lb1 lvsd_ha_adverts_sent_total)" -ge 1 ]
check "metrics: lb2 receives them" [ "$(ha_metric lb2 lvsd_ha_adverts_received_total)" -ge 1 ]
check "metrics: lb1 holds 2 VIPs" [ "$(ha_metric lb1 lvsd_ha_vips)" = 2 ]
for i in $(seq 50); do [ "$(ip netns exec lb1 ipvsadm -Ln -t $VIP:$PORT | grep -c '  1  ')" -ge 2 ] && break; sleep 0.2; done

ip netns exec client python3 "$LVSD_TESTS/holder.py" "$VIP" "$PORT" 6 > "$WORK/holder.out" 2>&1 &
holder_pid=$!
# Up to 60 s: six connects and greetings from a python client in a loaded TCG guest.
for i in $(seq 600); do grep -q '^ready' "$WORK/holder.out" && break; sleep 0.1; done
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
# The held connections must be synced to lb2 before any switch (the sync daemon sends in
# batches): wait until lb2's table has all 6, bounded.
synced() { [ "$(ip netns exec lb2 ipvsadm -Lnc | grep -c "ESTABLISHED.* $VIP:$PORT ")" -ge 6 ]; }
for i in $(seq 150); do synced && break; sleep 0.2; done
check "lb2 learnt the 6 held connections from lb1's sync daemon" synced
check "held connections echo" ping_held 1

# === 1b. a VIP added by reload ==================================================================
for lb in lb1 lb2; do
    sed -i 's|{ "address": "'"$VIP"'/24", "interface": "eth0" },|&\n      { "address": "192.0.2.11/24", "interface": "eth0" },|' "$WORK/$lb/cluster.json"
done
ctl lb1 reload > /dev/null 2> "$WORK/reload.err"
check "reload with a new VIP on the master first: refused (exit 1)" test "$?" = 1
check "the refusal says to reload the standby first" grep -q "still runs the old list: reload it first" "$WORK/reload.err"
check "lb2 (standby) reloads first" ctl lb2 reload
reloaded=""
# lb1 accepts once lb2's next standby report (every 1 s) carries the new list.
for i in $(seq 100); do ctl lb1 reload > /dev/null 2>&1 && { reloaded=yes; break; }; sleep 0.2; done
check "then lb1 (master) reloads" test -n "$reloaded"
check "lb1 holds the new VIP" has_vip lb1 192.0.2.11 eth0
check "lb1 is still master" wait_state lb1 master 1
check "lb2 is still backup" wait_state lb2 backup 1
check "lb2 holds no new VIP" bash -c "$(declare -f has_vip); ! has_vip lb2 192.0.2.11 eth0"
check "the client reaches the new VIP (lb1 announced it)" ip netns exec client ping -c 1 -w 10 192.0.2.11
check "lb1 logged the reload" grep -q "ha: reloaded (priority 200, adverts every 100 ms, VIPs added: 192.0.2.11/24 on eth0)" "$WORK/lvsd-lb1.log"
check "held connections echo after the reload" ping_held 2

# === 1c. ha.sync.send changed by reload: only lb1's master sync daemon restarts ===================
masters=$(sync_threads m) backups=$(sync_threads b)
sed -i 's/"sync": { "interface": "eth1", "sync_id": 51 }/"sync": { "interface": "eth1", "sync_id": 51, "send": "batched" }/' \
    "$WORK/lb1/cluster.json"
check "reload of lb1 with ha.sync.send batched" ctl lb1 reload
check "lb1's master sync daemon now sends batched: the kernel reports maxlen=1472" \
    bash -c "$(declare -f daemon_line); daemon_line lb1 master | grep -q 'maxlen=1472'"
check "lb1 logged why it restarted the master daemon" \
    grep -q "sync daemon master on eth1 id 51, maxlen 1 (each) stopped to restart it: maxlen 1, wanted 1472 (ha.sync.send batched)" "$WORK/lvsd-lb1.log"
check "no backup sync daemon restarted (same kernel threads)" test "$(sync_threads b)" = "$backups"
new_masters=0
for t in $(sync_threads m); do case " $masters" in *" $t "*) ;; *) new_masters=$((new_masters + 1)) ;; esac; done
check "one master sync daemon restarted (one new kernel thread; threads before: $masters)" test "$new_masters" = 1
sed -i 's/, "send": "batched" }/ }/' "$WORK/lb1/cluster.json"
check "reload of lb1 back to the default (each)" ctl lb1 reload
check "lb1's master sync daemon reports maxlen=1 again" \
    bash -c "$(declare -f daemon_line); daemon_line lb1 master | grep -Eq 'maxlen=1([,)]|\$)'"
masters=$(sync_threads m) backups=$(sync_threads b)
ctl lb1 reload > /dev/null
check "a reload with an unchanged descriptor restarts no sync daemon" test "$(sync_threads m)$(sync_threads b)" = "$masters$backups"

# === 1d. the takeover grace: a connection younger than the sync flush survives a hand-over ===
# lb1's master sync daemon batched (sends every 2 s on this quiet pair), so a connection
# just established on lb1 is not yet known to lb2. After `ha failover` its next segment
# reaches lb2: with ha.sync.takeover_grace_ms 0, IPVS does not take it (no SYN), the local
# stack resets it; with the default 4000 lb2 drops it, the client retransmits, and by then
# lb1's sync message has arrived: the line is echoed after a stall. Same run, both ways.
young() {  # young OUT: a young connection across `ha failover` on lb1, then lb1 back
    ip netns exec client python3 "$HERE/young.py" "$WORK/lb1/control.sock" '{"command":"ha-failover"}' \
        "$VIP" "$PORT" 8 > "$WORK/$1" 2>&1
    cat "$WORK/$1"
    wait_state lb2 master 50 || return 1
}
back_to_lb1() { ctl lb1 ha resume > /dev/null && wait_state lb1 master 50 && wait_state lb2 backup 50; }
grace_gone() { local i; for i in $(seq 60); do ip netns exec lb2 nft list table inet lvsd > /dev/null 2>&1 || return 0; sleep 0.1; done; return 1; }
sed -i 's/"sync": { "interface": "eth1", "sync_id": 51 }/"sync": { "interface": "eth1", "sync_id": 51, "send": "batched" }/' \
    "$WORK/lb1/cluster.json"
sed -i 's/"sync": { "interface": "eth1", "sync_id": 51 }/"sync": { "interface": "eth1", "sync_id": 51, "takeover_grace_ms": 0 }/' \
    "$WORK/lb2/cluster.json"
reload_both() { ctl lb1 reload > /dev/null && ctl lb2 reload > /dev/null; }
check "grace: lb1 reloaded with batched sync, lb2 with takeover_grace_ms 0" reload_both
sleep 3  # lb1's restarted master daemon has sent what it held: the pair is quiet
young grace0.out
check "grace 0: the young connection is reset by lb2 after the hand-over" grep -q "^result reset" "$WORK/grace0.out"
check "grace 0: lb2 installed no grace rules" bash -c "! ip netns exec lb2 nft list table inet lvsd > /dev/null 2>&1"
check "grace: lb1 takes the VIPs back" back_to_lb1
sed -i 's/, "takeover_grace_ms": 0 }/ }/' "$WORK/lb2/cluster.json"
check "grace: lb2 reloaded with the default grace (4000 ms)" ctl lb2 reload
check "grace 4000: lb2, the standby, has its rules in already (armed)" ip netns exec lb2 nft list table inet lvsd
sleep 3
young grace.out
check "grace 4000: the young connection's line is echoed after the hand-over" grep -q "^result echoed" "$WORK/grace.out"
check "grace 4000: lb2 logged its grace" grep -q "ha: takeover grace: dropping what IPVS does not take for 4000 ms (1 services, 2 NAT reals)" "$WORK/lvsd-lb2.log"
check "grace 4000: lb2's table inet lvsd is gone after the grace" grace_gone
check "grace 4000: lb2 logged the end of the grace" grep -q "ha: takeover grace: rules removed (the takeover grace is over)" "$WORK/lvsd-lb2.log"
grace_echo_ms=$(awk '/^result echoed/ { print $3 }' "$WORK/grace.out")
check "grace: lb1 takes the VIPs back again" back_to_lb1
sed -i 's/, "send": "batched" }/ }/' "$WORK/lb1/cluster.json"
check "grace: lb1 back to send each" ctl lb1 reload
check "held connections echo after the grace checks" ping_held 3

# === 2. planned hand-over =======================================================================
probe_start failover
"$LVSCTL" ha status --follow --json --socket "$WORK/lb2/control.sock" > "$WORK/events-lb2.out" 2>&1 &
follow_pid=$!
extra_pids="$follow_pid"
# Its first line (the report) comes just before it subscribes to the events.
for i in $(seq 100); do [ -s "$WORK/events-lb2.out" ] && break; sleep 0.1; done
check "ha failover on lb1: the VIP answers from lb2" takeover lb1 '{"command":"ha-failover"}'
handover_ms=$(awk '/^takeover_ms/ { print $2 }' "$WORK/takeover.out")
check "lvsd accepted the hand-over (lb2 reported as standby)" grep -q "^reply_ok True" "$WORK/takeover.out"
check "lb2 is master" wait_state lb2 master 50
kill "$follow_pid" 2>/dev/null; wait "$follow_pid" 2>/dev/null
check "lb2's event stream told of its backup -> master" grep -q '"event":"ha".*"from":"backup".*"to":"master"' "$WORK/events-lb2.out"
check "lb1 is backup and holds no VIP" bash -c "$(declare -f has_vip holds_none); VIP=$VIP GW=$GW holds_none lb1"
check "lb1 says it is held" bash -c "\"$LVSCTL\" ha status --socket \"$WORK/lb1/control.sock\" | grep -q 'held as standby'"
sleep 1
check "lb1 stays standby although its priority is higher" wait_state lb1 backup 1
check "held connections echo after the hand-over" ping_held 4
probe_stop failover

# === 3. resume ====================================================================================
probe_start resume
ctl lb1 ha resume > /dev/null
check "ha resume: lb1 takes the VIPs back" wait_state lb1 master 50
check "lb2 steps down" wait_state lb2 backup 50
check "lb2 holds no VIP after stepping down" wait_holds_none lb2
sleep 1
check "held connections echo after the way back" ping_held 5
probe_stop resume

# === 4. SIGTERM on the master, then its restart =======================================================
probe_start sigterm
threads_before="$(sync_threads m)$(sync_threads b)"
kill -TERM "${lvsd_pid[lb1]}"; wait "${lvsd_pid[lb1]}" 2>/dev/null
check "SIGTERM: lb1 left no VIP" holds_none lb1
check "lb2 took over" wait_state lb2 master 20
check "held connections echo with lb1's lvsd stopped" ping_held 6
ctl lb2 ha failover > /dev/null 2> "$WORK/refused.err"
check "ha failover on lb2 with no standby left is refused (exit 2)" test "$?" = 2
check "the refusal says why" grep -q "no hand-over: .* standby" "$WORK/refused.err"
check "refused: lb2 is still master" wait_state lb2 master 1
probe_stop sigterm
probe_start restart
start_lvsd lb1
check "lvsd back on lb1 preempts" wait_state lb1 master 100
check "lvsd's stop and start on lb1 restarted no sync daemon (same kernel threads)" \
    test "$(sync_threads m)$(sync_threads b)" = "$threads_before"
check "lb2 steps down again" wait_state lb2 backup 50
sleep 1
check "held connections echo after the restart" ping_held 7
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
check "held connections echo after the link came back" ping_held 8
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
check "held connections echo after the crash" ping_held 9
probe_stop crash

# === 7. split brain ==========================================================================================
# lb2's private port leaves the bridge: its link stays up but it hears no advert, so
# both become master. Healed, lb2 must step down on the FIRST advert it hears from lb1
# (within one advert interval) and drop its VIPs in that same turn. Asserted from lvsd's
# own record, not from wall time: lb2's ha event carries its advert counters and VIP
# count as they were right after the change; nothing reaches lb2 while it is cut off,
# so its counters read then are those just before the heal.
ip link set v2q nomaster
check "cut off, lb2 becomes master too (split brain)" wait_state lb2 master 30
check "lb1 stays master" wait_state lb1 master 5
check "lb2 holds the VIPs too" holds_vips lb2
check "following lb2's events" follow_events lb2 split
read -r heard dropped <<< "$(ha_counters lb2)"  # (no /dev/fd in the VM for < <(...))
healed=${EPOCHREALTIME/./}  # microseconds, without a fork (a fork is slow here)
ip link set v2q master brpriv
check "healed: lb2 steps down" wait_event split backup 100
check "healed: lb2 held no VIP by the time it told of the change" holds_none lb2
check_stepped_down split lb2 "advert from 203.0.113.1 with priority 200" "$heard"
check "lb2 dropped no advert meanwhile" [ "$(event_field split backup adverts_dropped)" = "$dropped" ]
stepped=$(event_field split backup ns)
echo "figures: split brain healed: lb2 read lb1's first advert and stepped down at most $(( (${stepped:-${healed}000} / 1000 - healed) / 1000 )) ms after the heal began (lb1 advertises every 100 ms; the first advert also waits for ARP)"
mac_of() { ip -n "$1" -br link show dev "$2" | awk '{ print $3 }'; }
client_arp() { ip -n client neigh show "$VIP" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
# lb2 announced the VIPs while it was master too, so the client may have learnt its MAC;
# lb1 answers lb2's priority 0 with an announcement burst, which moves the entry back.
wait_client_arp() { local i; for i in $(seq 30); do [ "$(client_arp)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
check "healed: the client's ARP entry for the VIP is lb1's MAC within 3 s (lb1 announced again)" wait_client_arp "$(mac_of lb1 eth0)"
echo "figures: after the heal the client's ARP entry for the VIP is '$(client_arp)' (lb1 $(mac_of lb1 eth0), lb2 $(mac_of lb2 eth0))"
check "healed: lb1 is still master" wait_state lb1 master 1
check "healed: lb1 holds the VIPs" holds_vips lb1
check "held connections echo after the split brain" ping_held 10

# === 8. both nodes restarted ====================================================================
kill -TERM "${lvsd_pid[lb1]}" "${lvsd_pid[lb2]}"; wait "${lvsd_pid[lb1]}" "${lvsd_pid[lb2]}" 2>/dev/null
check "both stopped: neither holds a VIP" bash -c "$(declare -f has_vip holds_none); VIP=$VIP GW=$GW; holds_none lb1 && holds_none lb2"
start_lvsd lb1
start_lvsd lb2
check "both restarted: lb1 is master again" wait_state lb1 master 100
check "lb2 is backup" wait_state lb2 backup 50
check "only lb1 holds the VIPs" bash -c "$(declare -f has_vip holds_vips holds_none); VIP=$VIP GW=$GW; holds_vips lb1 && holds_none lb2"
sleep 1
check "held connections echo after both restarted" ping_held 11

# === figures and the client's view ========================================================================
echo "figures: planned hand-over, request to first greeting on the new master: ${handover_ms:-?} ms"
echo "figures: takeover grace: a connection younger than the sync flush echoed ${grace_echo_ms:-?} ms after its send on the new master (it was reset with the grace off)"
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
