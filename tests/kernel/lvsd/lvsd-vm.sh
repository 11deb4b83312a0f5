#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:
#   lvsd-vm.sh LVSD LVSCTL
# lvsd runs a real IPVS table (namespace `director`) in front of two real servers
# (namespaces real1, real2) reached by a client (namespace client), NAT forwarding:
#   1. lvsd starts; both reals get weight 1 once their checks pass (service echo: TCP
#      checks of a small python echo server; service imap: IMAP checks of a real
#      Dovecot per real server); IMAP greetings reach the client through the VIP.
#   2. real2's echo listener stops: weight 0 within fall x interval (polled, bounded);
#      it starts again: weight 1. The same with real2's Dovecot and the imap service;
#      each service's weights follow only their own checks.
#   3. a client holds connections through the VIP; real1 is drained (service echo): weight 0, every
#      held connection still echoes (none reset), new connections all reach real2,
#      status says draining; the held connections close: status says drained; enable
#      gives the weight back.
#   4. lvsd stops (SIGTERM: the table stays) and starts again on the same descriptor:
#      zero IPVS writes (status and log), the same table, a connection held across the
#      restart still echoes.
#   5. a reload with an invalid descriptor: lvsd keeps running, the table is unchanged,
#      status shows the load error; the good descriptor reloads again.
#   6. a reload adds a service lvsd marks (fwmark 10 on VIP tcp {7001, 7002}, rr with
#      persistence, two reals): nft shows the rule in table inet lvsd_mark, IPVS has one
#      fwmark service; connections from one client address to both ports all reach one
#      real, those from a second address another one; SIGTERM leaves the table and the
#      service, a restart rewrites neither (same nft handles, 0 IPVS operations); a reload
#      without the marked service removes the table, and the fwmark service retires: a
#      connection held through it still echoes, its reals are at weight 0, status lists
#      it, and it is deleted once the connection closes.
#   Metrics (--metrics 127.0.0.1:9687, scraped with curl, read with prometheus_client's
#   parser): after 2, health, weights as ipvsadm shows them, check failures by reason,
#   404/405, a silent client does not hold up a scrape; after 5, connection counts as
#   ipvsadm --stats shows them and the descriptor loads.
# Prints PASS/FAIL per check; exits 1 if any check failed (or a step it needs failed).
#
# Topology (inside the VM; bridges in the VM's own root namespace):
#   client 192.0.2.100/24 --brpub-- director 192.0.2.10/24 (VIP) | 203.0.113.1/24 --brpriv-- real1 .11, real2 .12
# The reals' default route is the director's 203.0.113.1; ip_forward=1 in director.
set -u

LVSD="${1:?usage: lvsd-vm.sh LVSD LVSCTL}"
LVSCTL="${2:?usage: lvsd-vm.sh LVSD LVSCTL}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../../.." && pwd)"
WORK=/tmp/lvsd-kernel-test  # the guest's own tmpfs (the host root is read-only in the VM)
SOCK="$WORK/control.sock"
STATE="$WORK/state"
CONFIG="$WORK/cluster.json"
VIP=192.0.2.10
PORT=7000
IMAP=143
RS="$SRC/tests/support/realservers"
R1=203.0.113.11
R2=203.0.113.12
NAMESPACES="client director real1 real2"
METRICS=127.0.0.1:9687  # lvsd's own namespace (the VM's root), not --netns

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
fatal() { fail "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

lvsd_pid="" real1_pid="" real2_pid="" holder_pids="" mark_pids=""

cleanup() {
    local rc=$?
    for pid in $holder_pids $lvsd_pid $real1_pid $real2_pid $mark_pids; do
        kill "$pid" 2>/dev/null
    done
    for pid in $holder_pids $lvsd_pid $real1_pid $real2_pid $mark_pids; do
        wait "$pid" 2>/dev/null
    done
    if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
        for log in "$WORK"/lvsd*.log; do
            [ -f "$log" ] && { echo "---- last lines of $log"; tail -n 40 "$log"; }
        done
        echo "---- ipvsadm -Ln in director"; ip netns exec director ipvsadm -Ln 2>&1
    fi
    for i in 1 2; do "$RS/realserver-ctl" stop --dir "$WORK/mail$i" > /dev/null 2>&1; done
    for ns in $NAMESPACES; do ip netns del "$ns" 2>/dev/null; done
    ip link del brpub 2>/dev/null
    ip link del brpriv 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r /proc/net/ip_vs ] || fatal "no /proc/net/ip_vs: not running in the IPVS VM (run through tests/vm/vm-run)"
[ -x "$LVSD" ] || fatal "lvsd binary $LVSD not found (build the lvsd target first)"
[ -x "$LVSCTL" ] || fatal "lvsctl binary $LVSCTL not found (build the lvsctl target first)"
for tool in ipvsadm python3 ip awk ss dovecot doveadm openssl curl; do
    command -v "$tool" > /dev/null || fatal "$tool is not installed"
done

rm -rf "$WORK"
mkdir -p "$WORK" "$STATE"

# --- topology ---------------------------------------------------------------------------
setup_topology() {
    local ns
    for ns in $NAMESPACES; do
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
    done
    ip link add brpub type bridge && ip link set brpub up || return 1
    ip link add brpriv type bridge && ip link set brpriv up || return 1
    plug() {  # plug NS IFNAME BRIDGE HOSTSIDE ADDR/PREFIX
        ip link add "$4" type veth peer name "$4x" || return 1
        ip link set "$4x" netns "$1" || return 1
        ip -n "$1" link set "$4x" name "$2" || return 1
        ip link set "$4" master "$3" up || return 1
        ip -n "$1" addr add "$5" dev "$2" || return 1
        ip -n "$1" link set "$2" up
    }
    plug client eth0 brpub vc 192.0.2.100/24 || return 1
    plug director eth0 brpub vdp "$VIP/24" || return 1
    plug director eth1 brpriv vdq 203.0.113.1/24 || return 1
    plug real1 eth0 brpriv vr1 "$R1/24" || return 1
    plug real2 eth0 brpriv vr2 "$R2/24" || return 1
    ip -n real1 route add default via 203.0.113.1 || return 1
    ip -n real2 route add default via 203.0.113.1 || return 1
    ip netns exec director sysctl -qw net.ipv4.ip_forward=1
}
setup_topology || fatal "cannot build the namespaces, bridges and veths"

# --- real servers -------------------------------------------------------------------------
listening() {  # listening NS ADDR PORT
    ip netns exec "$1" ss -Hltn "src $2:$3" 2>/dev/null | grep -q .
}
wait_listening() {  # wait_listening NS ADDR PORT: up to 100 x 0.1 s
    local i
    for i in $(seq 100); do listening "$@" && return 0; sleep 0.1; done
    return 1
}
start_real() {  # start_real N: python echo server of real N; pid in realN_pid
    ip netns exec "real$1" python3 "$HERE/echo_real.py" "real$1" "203.0.113.1$1" "$PORT" \
        >> "$WORK/real$1.log" 2>&1 &
    eval "real$1_pid=$!"
    wait_listening "real$1" "203.0.113.1$1" "$PORT"
}
stop_real() {  # stop_real N
    local pid
    eval "pid=\$real$1_pid"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    eval "real$1_pid="
    ! listening "real$1" "203.0.113.1$1" "$PORT"
}
start_real 1 || fatal "real1's echo server did not listen"
start_real 2 || fatal "real2's echo server did not listen"
start_mail() {  # start_mail N: a private Dovecot (IMAP 143) in namespace realN
    "$RS/realserver-ctl" start --dir "$WORK/mail$1" --netns "real$1" --address "203.0.113.1$1" \
        --pki "$WORK/pki" --name "real$1.example.test" --no-postfix > "$WORK/mail$1.start.log" 2>&1 ||
        { tail -n 20 "$WORK/mail$1.start.log"; return 1; }
}
stop_mail() {  # stop_mail N
    "$RS/realserver-ctl" stop --dir "$WORK/mail$1" > /dev/null 2>&1
    ! listening "real$1" "203.0.113.1$1" "$IMAP"
}
t=$(now)
start_mail 1 || fatal "real1's Dovecot did not start"
start_mail 2 || fatal "real2's Dovecot did not start"
echo "both Dovecots up after $(elapsed "$t") s"

# --- descriptor ---------------------------------------------------------------------------
cat > "$WORK/good.json" <<EOF
{
  "cluster": "lvsd-kernel-test",
  "nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],
  "services": [
    {
      "name": "echo",
      "address": "$VIP",
      "protocol": "tcp",
      "port": $PORT,
      "scheduler": "rr",
      "forwarding": { "method": "masq" },
      "reals": [{ "address": "$R1", "weight": 1 }, { "address": "$R2", "weight": 1 }],
      "check": { "type": "tcp", "interval_ms": 1000, "timeout_ms": 800, "rise": 1, "fall": 2 }
    },
    {
      "name": "imap",
      "address": "$VIP",
      "protocol": "tcp",
      "port": $IMAP,
      "scheduler": "rr",
      "forwarding": { "method": "masq" },
      "reals": [{ "address": "$R1", "weight": 1 }, { "address": "$R2", "weight": 1 }],
      "check": { "type": "imap", "tls": "none", "interval_ms": 3000, "timeout_ms": 2500, "rise": 1, "fall": 2 }
    }
  ]
}
EOF
cp "$WORK/good.json" "$CONFIG"

# --- helpers ------------------------------------------------------------------------------
start_lvsd() {  # start_lvsd LOGNAME: lvsd in the background, pid in lvsd_pid
    "$LVSD" --config "$CONFIG" --netns director --node lb1 --state-dir "$STATE" \
        --control-socket "$SOCK" --schema "$SRC/schemas/cluster.schema.json" --metrics "$METRICS" \
        > "$WORK/$1" 2>&1 &
    lvsd_pid=$!
}
status() {  # the status document as lines (status_lines.py), or nothing
    "$LVSCTL" status --json --socket "$SOCK" 2> /dev/null | python3 "$HERE/status_lines.py" 2> /dev/null
}
wait_status() {  # until lvsd answers status: up to 60 x 0.5 s
    local i
    for i in $(seq 60); do
        kill -0 "$lvsd_pid" 2> /dev/null || return 1
        [ -n "$(status)" ] && return 0
        sleep 0.5
    done
    return 1
}
weight() {  # weight ADDR [PORT]: the real's weight in the director's kernel table ("" if absent)
    local port="${2:-$PORT}"
    ip netns exec director ipvsadm -Ln -t "$VIP:$port" 2> /dev/null |
        awk -v r="$1:$port" '$1 == "->" && $2 == r { print $4 }'
}
wait_weight() {  # wait_weight ADDR WEIGHT TRIES [PORT]: polls once a second
    local i
    for i in $(seq "$3"); do
        [ "$(weight "$1" "${4:-}")" = "$2" ] && return 0
        sleep 1
    done
    return 1
}
real_admin() {  # real_admin ADDR: the real's admin state in lvsd's status
    status | awk -v r="$1:$PORT" '$1 == "real" && $3 == r { print $5 }'
}
wait_admin() {  # wait_admin ADDR STATE TRIES
    local i
    for i in $(seq "$3"); do
        [ "$(real_admin "$1")" = "$2" ] && return 0
        sleep 1
    done
    return 1
}
table() { ip netns exec director ipvsadm -Sn | sort; }
scrape() {  # scrape NAME: GET /metrics, parsed by prometheus_client into $WORK/NAME (one sample a line)
    curl -sf --max-time 10 "http://$METRICS/metrics" > "$WORK/$1.txt" &&
        /usr/bin/python3 "$HERE/metrics_lines.py" < "$WORK/$1.txt" > "$WORK/$1"
}
metric() {  # metric NAME SAMPLE: the value of SAMPLE (name{labels sorted}) in scrape NAME
    awk -v s="$2" '$1 == s { print $2 }' "$WORK/$1"
}
at_least() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
hold() {  # hold NAME COUNT [PORT]: a holder in the client namespace; output $WORK/NAME.out
    ip netns exec client python3 "$HERE/holder.py" "$VIP" "${3:-$PORT}" "$2" > "$WORK/$1.out" 2>&1 &
    holder_pids="$holder_pids $!"
    eval "$1_pid=$!"
}
wait_line() {  # wait_line FILE REGEX: up to 150 x 0.1 s
    local i
    for i in $(seq 150); do grep -Eq -- "$2" "$1" 2> /dev/null && return 0; sleep 0.1; done
    return 1
}
ping_held() {  # ping_held NAME N COUNT: signal the holder, expect "ping N ok COUNT/COUNT"
    local pid
    eval "pid=\$$1_pid"
    kill -USR1 "$pid" 2> /dev/null || return 1
    wait_line "$WORK/$1.out" "^ping $2 ok " || return 1
    grep -q "^ping $2 ok $3/$3\$" "$WORK/$1.out"
}

# === 1. start ===============================================================================
t0=$(now)
start_lvsd lvsd.log
wait_status || fatal "lvsd did not answer status on $SOCK (log follows)"
echo "lvsd answered status after $(elapsed "$t0") s"
check "lvsd is running" kill -0 "$lvsd_pid"
check "the descriptor loaded (status ok)" grep -q '^descriptor ok 0$' <<< "$(status)"
check "real1 reaches weight 1 in the kernel" wait_weight "$R1" 1 30
check "real2 reaches weight 1 in the kernel" wait_weight "$R2" 1 30
echo "both reals at weight 1 after $(elapsed "$t0") s"
check "real1 reaches weight 1 for imap (IMAP check of Dovecot)" wait_weight "$R1" 1 30 "$IMAP"
check "real2 reaches weight 1 for imap (IMAP check of Dovecot)" wait_weight "$R2" 1 30 "$IMAP"
check "status shows both imap reals up with an imap check" \
    [ "$("$LVSCTL" status --json --socket "$SOCK" | grep -c '"check": "imap ')" -eq 2 ]
# Two IMAP sessions through the VIP (rr: one per real), closed with a reset so that no
# TIME_WAIT entry lingers in the IPVS table.
ip netns exec client python3 - "$VIP" "$IMAP" > "$WORK/imap.out" 2>&1 <<'PY'
import socket, struct, sys
for _ in range(2):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=15)
    print(s.makefile("rb").readline().decode().strip(), flush=True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
cat "$WORK/imap.out"
check "two IMAP sessions through the VIP get Dovecot's greeting" [ "$(grep -c '^\* OK' "$WORK/imap.out")" -eq 2 ]
ip netns exec director ipvsadm -Ln
"$LVSCTL" list --netns director > "$WORK/list.out" 2>&1
check "lvsctl list --netns director shows both reals Masq weight 1" \
    [ "$(grep -Ec -- "-> 203\.0\.113\.1[12]:$PORT +Masq +1 " "$WORK/list.out")" -eq 2 ]

# === 2. a stopped server goes to weight 0, a started one comes back =========================
check "real2's listener stops" stop_real 2
t=$(now)
check "real2 goes to weight 0 (check fails fall=2 times)" wait_weight "$R2" 0 30
echo "real2 at weight 0 $(elapsed "$t") s after its listener stopped (fall 2 x interval 1 s)"
check "real1 keeps weight 1" [ "$(weight "$R1")" = 1 ]
check "status shows real2 down" grep -Eq "^real [^ ]+ $R2:$PORT down " <<< "$(status)"
check "real2's listener starts again" start_real 2
t=$(now)
check "real2 gets weight 1 back (rise=1)" wait_weight "$R2" 1 30
echo "real2 back at weight 1 $(elapsed "$t") s after its listener started"
check "real2's Dovecot stops" stop_mail 2
check "real2 goes to weight 0 for imap (IMAP check fails fall=2 times)" wait_weight "$R2" 0 30 "$IMAP"
check "real2 keeps weight 1 for echo (its own check still passes)" [ "$(weight "$R2")" = 1 ]
check "real2's Dovecot starts again" start_mail 2
check "real2 gets weight 1 back for imap" wait_weight "$R2" 1 30 "$IMAP"

# === metrics after the health edges =======================================================
# A client that connects and says nothing: the scrape beside it is answered anyway.
exec 3<> "/dev/tcp/${METRICS%:*}/${METRICS#*:}"
t=$(now)
check "GET /metrics answers and prometheus_client parses it" scrape metrics1
echo "scrape took $(elapsed "$t") s ($(wc -c < "$WORK/metrics1.txt") bytes) beside a silent client"
exec 3>&-
for svc_port in "echo $PORT" "imap $IMAP"; do
    set -- $svc_port
    for r in "$R1" "$R2"; do
        check "metrics: $1 $r:$2 health up" \
            [ "$(metric metrics1 "lvsd_real_health{real=\"$r:$2\",service=\"$1\",state=\"up\"}")" = 1 ]
        check "metrics: $1 $r:$2 current weight is ipvsadm's ($(weight "$r" "$2"))" \
            [ "$(metric metrics1 "lvsd_real_weight_current{real=\"$r:$2\",service=\"$1\"}")" = "$(weight "$r" "$2")" ]
    done
done
check "metrics: the stopped echo listener counted as tcp failures, reason connect" \
    at_least "$(metric metrics1 'lvsd_check_failures_total{kind="tcp",reason="connect"}')" 2
check "metrics: the stopped Dovecot counted as imap failures" \
    at_least "$(awk '$1 ~ /^lvsd_check_failures_total\{kind="imap",/ { n += $2 } END { print n + 0 }' "$WORK/metrics1")" 2
check "metrics: imap check latencies observed" \
    at_least "$(metric metrics1 'lvsd_check_duration_seconds_count{kind="imap"}')" 4
check "metrics: reconcile writes counted (at least the 4 health edges)" \
    at_least "$(metric metrics1 'lvsd_reconcile_writes_total')" 4
check "metrics: one descriptor load, ok" [ "$(metric metrics1 'lvsd_descriptor_loads_total{result="ok"}')" = 1 ]
check "metrics: another path is 404" [ "$(http_code "http://$METRICS/")" = 404 ]
check "metrics: POST is 405" [ "$(http_code -X POST "http://$METRICS/metrics")" = 405 ]

# === 3. drain with held connections ========================================================
hold held 4
check "the client holds 4 connections through the VIP" wait_line "$WORK/held.out" '^ready$'
cat "$WORK/held.out"
on_r1=$(grep -c '^conn [0-9]* real1$' "$WORK/held.out")
on_r2=$(grep -c '^conn [0-9]* real2$' "$WORK/held.out")
check "rr spread the held connections over both reals (some on real1, some on real2)" \
    [ "$on_r1" -ge 1 -a "$on_r2" -ge 1 ]
check "every held connection echoes before the drain" ping_held held 1 4
"$LVSCTL" drain "$R1" --service echo --socket "$SOCK" > "$WORK/drain.out" 2>&1
rc=$?
cat "$WORK/drain.out"
check "lvsctl drain $R1 --service echo exits 0" [ "$rc" -eq 0 ]
check "real1 goes to weight 0 in the kernel" wait_weight "$R1" 0 15
check "real1 keeps weight 1 for imap (not drained there)" [ "$(weight "$R1" "$IMAP")" = 1 ]
check "status shows real1 draining while connections are held" wait_admin "$R1" draining 5
check "every held connection still echoes after the drain (none reset)" ping_held held 2 4
ip netns exec client python3 "$HERE/who.py" "$VIP" "$PORT" 6 > "$WORK/who.out" 2>&1
echo "new connections reached: $(sort "$WORK/who.out" | uniq -c | tr -s ' \n' ' ')"
check "6 new connections all reach real2" [ "$(grep -c '^real2$' "$WORK/who.out")" -eq 6 ]
check "real1 is still draining (its connections are still open)" [ "$(real_admin "$R1")" = draining ]
check "the held connections still echo after the new ones" ping_held held 3 4
kill -TERM "$held_pid"
check "the client closes the held connections" wait_line "$WORK/held.out" '^closed$'
t=$(now)
# A reset connection stays in IPVS's CLOSE state for 10 s; lvsd reads counts every 2 s.
check "status shows real1 drained once its last connection is gone" wait_admin "$R1" drained 60
echo "real1 drained $(elapsed "$t") s after the client closed its connections"
check "real1 stays at weight 0 when drained" [ "$(weight "$R1")" = 0 ]
"$LVSCTL" enable "$R1" --service echo --socket "$SOCK" > "$WORK/enable.out" 2>&1
check "lvsctl enable $R1 --service echo exits 0" [ $? -eq 0 ]
check "real1 gets weight 1 back" wait_weight "$R1" 1 15
check "status shows real1 enabled" wait_admin "$R1" enabled 5

# === 4. restart on the same descriptor: zero writes, connections survive ====================
hold across 2
check "the client holds 2 connections before the restart" wait_line "$WORK/across.out" '^ready$'
check "they echo before the restart" ping_held across 1 2
before="$(table)"
kill -TERM "$lvsd_pid"
stopped=0
for i in $(seq 100); do kill -0 "$lvsd_pid" 2> /dev/null || { stopped=1; break; }; sleep 0.1; done
wait "$lvsd_pid" 2> /dev/null
rc=$?
check "lvsd exits after SIGTERM" [ "$stopped" -eq 1 ]
check "lvsd exits 0 after SIGTERM" [ "$rc" -eq 0 ]
lvsd_pid=""
check "the table stays in the kernel while lvsd is stopped" [ "$(table)" = "$before" ]
check "the held connections echo while lvsd is stopped" ping_held across 2 2
start_lvsd lvsd2.log
wait_status || fatal "the restarted lvsd did not answer status (log follows)"
check "the restarted lvsd's first reconcile has 0 operations" grep -q '^reconcile 0 0$' <<< "$(status)"
# Let several check intervals pass (7 echo, 2 imap): a real that started down would be
# written up later.
sleep 7
check "the restarted lvsd still reports 0 operations 7 s later" \
    grep -q '^reconcile 0 0$' <<< "$(status)"
check "the restarted lvsd logged no IPVS write" [ "$(grep -c '^<5>ipvs: ' "$WORK/lvsd2.log")" -eq 0 ]
check "every real of both services is up and enabled after the restart" \
    [ "$(grep -Ec "^real [^ ]+ 203\.0\.113\.1[12]:($PORT|$IMAP) up enabled 1 1 " <<< "$(status)")" -eq 4 ]
check "the table is unchanged by the restart" [ "$(table)" = "$before" ]
check "the connections held across the restart still echo" ping_held across 3 2

# === 5. reload with an invalid descriptor ==================================================
sed "s/\"port\": $PORT/\"port\": 70000/" "$WORK/good.json" > "$CONFIG"
check "the bad descriptor has port 70000" grep -q '"port": 70000' "$CONFIG"
before="$(table)"
"$LVSCTL" reload --socket "$SOCK" > "$WORK/reload.out" 2> "$WORK/reload.err"
rc=$?
cat "$WORK/reload.out" "$WORK/reload.err"
check "lvsctl reload of an invalid descriptor exits 1" [ "$rc" -eq 1 ]
check "lvsctl reload names the error (70000)" grep -q 70000 "$WORK/reload.err"
check "lvsd keeps running after the refused reload" kill -0 "$lvsd_pid"
st="$(status)"
echo "$st"
check "status shows the descriptor load error" grep -Eq '^descriptor error [1-9]' <<< "$st"
check "status's error names the bad port" grep -Eq '^error .*70000' <<< "$st"
check "status still shows the running service with both reals" \
    [ "$(grep -Ec "^real [^ ]+ 203\.0\.113\.1[12]:$PORT up enabled 1 1 " <<< "$st")" -eq 2 ]
check "the table is unchanged by the refused reload" [ "$(table)" = "$before" ]
check "the held connections still echo after the refused reload" ping_held across 4 2
cp "$WORK/good.json" "$CONFIG"
"$LVSCTL" reload --socket "$SOCK" > "$WORK/reload2.out" 2>&1
check "reload of the good descriptor again exits 0" [ $? -eq 0 ]
check "status is ok again" grep -q '^descriptor ok 0$' <<< "$(status)"
check "the table is still unchanged" [ "$(table)" = "$before" ]

# === metrics: connection counts as the kernel has them ====================================
"$LVSCTL" status --socket "$SOCK" > /dev/null 2>&1  # reads counts older than a second
check "GET /metrics after the reloads" scrape metrics2
stats_conns=$(ip netns exec director ipvsadm -Ln --stats --exact -t "$VIP:$PORT" |
    awk -v r="$R2:$PORT" '$1 == "->" && $2 == r { print $3 }')
got=$(metric metrics2 "lvsd_real_connections_total{real=\"$R2:$PORT\",service=\"echo\"}")
echo "real2 echo connections: metrics $got, ipvsadm --stats $stats_conns"
check "metrics: real2's connections (6 new + held ones) are ipvsadm's count" \
    bash -c "[ '$got' = '$stats_conns' ] && [ '$got' -ge 6 ]"
check "metrics: the refused reload counted as an error" \
    [ "$(metric metrics2 'lvsd_descriptor_loads_total{result="error"}')" = 1 ]
check "metrics: the start and the good reload counted as ok" \
    [ "$(metric metrics2 'lvsd_descriptor_loads_total{result="ok"}')" = 2 ]

# === 6. a service lvsd marks: one fwmark service over two ports, persistence across both ====
t6=$(now)
MP1=7001 MP2=7002
for i in 1 2; do
    for p in $MP1 $MP2; do
        ip netns exec "real$i" python3 "$HERE/echo_real.py" "real$i" "203.0.113.1$i" "$p" >> "$WORK/mark$i.log" 2>&1 &
        mark_pids="$mark_pids $!"
    done
done
for i in 1 2; do
    for p in $MP1 $MP2; do
        wait_listening "real$i" "203.0.113.1$i" "$p" || fatal "real$i's echo server on $p did not listen"
    done
done
python3 - "$WORK/good.json" "$WORK/marked.json" "$VIP" "$R1" "$R2" "$MP1" "$MP2" <<'PY'
import json, sys
good, out, vip, r1, r2, p1, p2 = sys.argv[1:]
d = json.load(open(good))
d["services"].append({
    "name": "marked", "address": vip, "protocol": "tcp", "ports": [int(p1), int(p2)], "fwmark": 10,
    "scheduler": "rr", "persistence_s": 600, "forwarding": {"method": "masq"},
    "reals": [{"address": r1}, {"address": r2}],
    "check": {"type": "tcp", "interval_ms": 1000, "timeout_ms": 800, "rise": 1, "fall": 2}})
json.dump(d, open(out, "w"), indent=2)
PY
cp "$WORK/marked.json" "$CONFIG"
"$LVSCTL" reload --socket "$SOCK" > "$WORK/reload3.out" 2>&1
rc=$?
cat "$WORK/reload3.out"
check "reload adding the marked service exits 0" [ "$rc" -eq 0 ]
marks() { ip netns exec director nft -a list table inet lvsd_mark 2> /dev/null; }
marks > "$WORK/marks1.txt"
cat "$WORK/marks1.txt"
check "nft: table inet lvsd_mark marks VIP tcp {$MP1, $MP2} with 10 in prerouting" \
    grep -q "ip daddr $VIP tcp dport { $MP1, $MP2 } meta mark set 0x0000000a" "$WORK/marks1.txt"
fwm() { ip netns exec director ipvsadm -Ln -f 10 2> /dev/null; }
fwm_weight() {  # fwm_weight ADDR: the real's weight in fwmark service 10
    fwm | awk -v r="$1:0" '$1 == "->" && $2 == r { print $4 }'
}
wait_fwm_weight() {  # wait_fwm_weight ADDR WEIGHT TRIES
    local i
    for i in $(seq "$3"); do [ "$(fwm_weight "$1")" = "$2" ] && return 0; sleep 1; done
    return 1
}
fwm
check "IPVS has fwmark service 10, rr, persistent 600" grep -Eq '^FWM +10 rr persistent 600' <<< "$(fwm)"
check "IPVS has no address:port service for the marked ports" \
    bash -c "! ip netns exec director ipvsadm -Ln -t $VIP:$MP1 > /dev/null 2>&1"
check "real1 reaches weight 1 in the fwmark service (its check on $MP1)" wait_fwm_weight "$R1" 1 20
check "real2 reaches weight 1 in the fwmark service" wait_fwm_weight "$R2" 1 20
ip -n client addr add 192.0.2.101/24 dev eth0
visit() {  # visit SRC: 3 connections to each marked port, alternating; one real name a line
    ip netns exec client python3 - "$1" "$VIP" "$MP1" "$MP2" <<'PY'
import socket, struct, sys
src, vip, p1, p2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for port in (p1, p2) * 3:
    try:
        s = socket.create_connection((vip, port), timeout=10, source_address=(src, 0))
        print(port, s.makefile("rb").readline().decode().strip() or "error: no greeting", flush=True)
        # A reset: IPVS forgets it in 10 s (CLOSE), not 2 min (TIME_WAIT), so it does not
        # hold up the retirement of the fwmark service at the end of step 6.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    except OSError as e:
        print(port, f"error: {e}", flush=True)
PY
}
visit 192.0.2.100 > "$WORK/visit100.out" 2>&1
visit 192.0.2.101 > "$WORK/visit101.out" 2>&1
echo "client .100: $(tr '\n' ' ' < "$WORK/visit100.out")"
echo "client .101: $(tr '\n' ' ' < "$WORK/visit101.out")"
one_real() {  # one_real FILE: all 6 lines name the same real, which is printed
    [ "$(grep -Ec "^($MP1|$MP2) real[12]\$" "$1")" -eq 6 ] && [ "$(awk '{ print $2 }' "$1" | sort -u | wc -l)" -eq 1 ] &&
        [ "$(grep -c "^$MP1 " "$1")" -eq 3 ] && [ "$(grep -c "^$MP2 " "$1")" -eq 3 ]
}
check "client .100's connections to $MP1 and $MP2 all reach one real (persistence across the ports)" one_real "$WORK/visit100.out"
check "client .101's connections to $MP1 and $MP2 all reach one real" one_real "$WORK/visit101.out"
check "the two clients were scheduled apart (rr: the second client's first connection goes to the other real)" \
    [ "$(awk 'NR == 1 { print $2 }' "$WORK/visit100.out")" != "$(awk 'NR == 1 { print $2 }' "$WORK/visit101.out")" ]
# A persistence template is protocol IP, state NONE or ASSURED (once a connection completed).
ip netns exec director ipvsadm -Lnc | grep '^IP ' > "$WORK/templates.out"
cat "$WORK/templates.out"
check "IPVS holds a persistence template per client (fwmark 10 = 0.0.0.10)" \
    [ "$(grep -Ec '^IP .* 192\.0\.2\.10[01]:0 +0\.0\.0\.10:0 ' "$WORK/templates.out")" -eq 2 ]
before="$(table)"
kill -TERM "$lvsd_pid"
wait "$lvsd_pid" 2> /dev/null
check "lvsd exits 0 after SIGTERM with the marked service" [ $? -eq 0 ]
lvsd_pid=""
check "the mark table stays in place while lvsd is stopped" [ "$(marks)" = "$(cat "$WORK/marks1.txt")" ]
check "the fwmark service stays while lvsd is stopped" [ "$(table)" = "$before" ]
start_lvsd lvsd3.log
wait_status || fatal "lvsd restarted with the marked service did not answer status (log follows)"
check "the restarted lvsd's first reconcile has 0 operations" grep -q '^reconcile 0 0$' <<< "$(status)"
check "the restart did not rewrite the mark table (same rules, same handles)" [ "$(marks)" = "$(cat "$WORK/marks1.txt")" ]
visit 192.0.2.100 > "$WORK/visit100b.out" 2>&1
was="$(awk 'NR == 1 { print $2 }' "$WORK/visit100.out")"
now_on="$(awk '{ print $2 }' "$WORK/visit100b.out" | sort -u | tr '\n' ' ')"
check "client .100 still reaches $was on both ports after the restart (got: $now_on)" [ "$now_on" = "$was " ]
# A session in flight when a reload removes its service finishes: the service retires
# (every real weight 0) and goes once its connections have ended.
hold retiring 1 "$MP1"
check "the client holds a connection to $MP1 (fwmark service 10)" wait_line "$WORK/retiring.out" '^ready$'
check "it echoes before the reload" ping_held retiring 1 1
cp "$WORK/good.json" "$CONFIG"
"$LVSCTL" reload --socket "$SOCK" > "$WORK/reload4.out" 2>&1
check "reload without the marked service exits 0" [ $? -eq 0 ]
check "the mark table is removed" bash -c "! ip netns exec director nft list table inet lvsd_mark > /dev/null 2>&1"
fwm
check "the connection held through the removed fwmark service still echoes after the reload" ping_held retiring 2 1
cat "$WORK/retiring.out"
check "the fwmark service is kept while its connection runs, every real at weight 0" \
    [ "$(fwm | awk '$1 == "->" && $2 ~ /^203/ { print $4 }' | sort -u | tr '\n' ' ')" = "0 " ]
check "status shows the fwmark service retiring" grep -Eq '^retiring fwmark 10 ' <<< "$(status)"
kill -TERM "$retiring_pid"
check "the client closes the held connection" wait_line "$WORK/retiring.out" '^closed$'
t=$(now)
gone=0
for i in $(seq 40); do ip netns exec director ipvsadm -Ln -f 10 > /dev/null 2>&1 || { gone=1; break; }; sleep 1; done
check "the fwmark service is removed once its last connection is gone" [ "$gone" -eq 1 ]
echo "fwmark service 10 removed $(elapsed "$t") s after the client closed its connection"
check "lvsd logged the retirement and the delete" \
    bash -c "grep -q 'retiring fwmark 10' '$WORK/lvsd3.log' && grep -q 'retired fwmark 10.*no connections left' '$WORK/lvsd3.log'"
echo "step 6 (marked service) took $(elapsed "$t6") s"

echo "total $(elapsed "$t0") s from the first lvsd start"
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) FAILED"
    exit 1
fi
echo "all checks passed"
