# Sourced by the HA kernel tests and benchmarks: the two-balancer topology, two echo
# reals, and the helpers to start lvsd on a balancer and read its HA state. The caller
# sets LVSD, LVSCTL, HERE (this folder) and WORK first; `extra_pids` are killed at exit.
SRC="$(cd "$HERE/../../.." && pwd)"
VIP=192.0.2.10
GW=203.0.113.254
PORT=7000
NAMESPACES="client lb1 lb2 real1 real2"
LVSD_TESTS="$SRC/tests/kernel/lvsd"
extra_pids=""

failures=0
pass() { echo "PASS: $(date +%s.%N | cut -c1-14) $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
fatal() { fail "$*"; exit 1; }

declare -A lvsd_pid=()
real_pids="" holder_pid="" prober_pid=""

cleanup() {
    local rc=$?
    for pid in $holder_pid $prober_pid $extra_pids "${lvsd_pid[@]}" $real_pids; do kill "$pid" 2>/dev/null; done
    for pid in $holder_pid $prober_pid $extra_pids "${lvsd_pid[@]}" $real_pids; do wait "$pid" 2>/dev/null; done
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
for tool in ipvsadm python3 ip awk ss curl; do command -v "$tool" > /dev/null || fatal "$tool is not installed"; done
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

# write_descriptor AUTH: the cluster as one file, copied to each balancer; AUTH is the
# ha.authentication object.
write_descriptor() {
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
    "authentication": $1,
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
}

# keepalived_conf FILE NODE PRIORITY SRC PEER: keepalived 2.2.7 as one balancer of the
# pair, with the descriptor's settings: VRRPv3 unicast, VRID 51 on eth1, 100 ms adverts,
# the same two VIPs, authentication none.
keepalived_conf() {
    cat > "$1" <<EOF2
global_defs {
  vrrp_version 3
  router_id $2
}
vrrp_instance VI_51 {
  state BACKUP
  interface eth1
  virtual_router_id 51
  priority $3
  advert_int 0.1
  unicast_src_ip $4
  unicast_peer { $5 }
  virtual_ipaddress {
    $VIP/24 dev eth0
    $GW/24 dev eth1
  }
}
EOF2
}

# The balancers' daemons run at nice -10: in a one-CPU TCG guest they share the CPU with
# the test's own clients (python probers, lvsctl polls), which a balancer does not; at
# nice 0 a starved master sent a third of its adverts and the backup took over.
start_lvsd() {  # start_lvsd LB: no --node: each finds its node by its local address
    ip netns exec "$1" nice -n -10 "$LVSD" --config "$WORK/$1/cluster.json" --state-dir "$WORK/$1/state" \
        --control-socket "$WORK/$1/control.sock" --schema "$SRC/schemas/cluster.schema.json" \
        --metrics 127.0.0.1:9687 >> "$WORK/lvsd-$1.log" 2>&1 &
    lvsd_pid[$1]=$!
}
# ha_scrape LB: LB's /metrics (in its namespace), read with prometheus_client's parser into
# $WORK/metrics-LB, one sample a line; ha_metric LB SAMPLE: a value from it (empty: none).
ha_scrape() {
    ip netns exec "$1" curl -sf --max-time 10 http://127.0.0.1:9687/metrics |
        /usr/bin/python3 "$LVSD_TESTS/metrics_lines.py" > "$WORK/metrics-$1"
}
ha_metric() { awk -v s="$2" '$1 == s { print $2 }' "$WORK/metrics-$1"; }
ctl() { local lb=$1; shift; "$LVSCTL" "$@" --socket "$WORK/$lb/control.sock"; }
# Without python: a python start costs the TCG guest a lot of CPU, and every try of
# wait_state runs one; a starved guest delays lvsd's adverts past the master-down interval.
ha_state() { ctl "$1" ha status --json 2>/dev/null | sed -n 's/^  "state": "\([a-z]*\)".*/\1/p'; }
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
# ha_counters LB: "RECEIVED DROPPED", LB's accepted adverts and its drops of every reason.
ha_counters() {
    ctl "$1" ha status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["adverts"]; print(a["received"], sum(a["dropped"].values()))'
}
# follow_events LB NAME: events.py on LB's control socket into $WORK/events-NAME.out, in the
# background (killed at exit); returns once lvsd accepted the subscription.
follow_events() {
    python3 "$HERE/events.py" "$WORK/$1/control.sock" 120 > "$WORK/events-$2.out" 2>&1 &
    extra_pids="$extra_pids $!"
    local i
    for i in $(seq 100); do grep -q '^subscribed' "$WORK/events-$2.out" && return 0; sleep 0.1; done
    return 1
}
# wait_event NAME TO TRIES(x0.1 s): an ha event into state TO arrived in events-NAME.out.
wait_event() {
    local i
    for i in $(seq "$3"); do grep -q '"event":"ha".*"to":"'"$2"'"' "$WORK/events-$1.out" && return 0; sleep 0.1; done
    return 1
}
# check_stepped_down NAME WHO WHY HEARD: WHO's ha event into backup (events-NAME.out) says
# it stepped down because of WHY, on the first advert after its count HEARD, and held no VIP
# by then (the counters and VIP count are lvsd's own record, not wall time).
check_stepped_down() {
    check "$2 stepped down because of: $3" [ "$(event_field "$1" backup why)" = "$3" ]
    check "$2 stepped down on the first advert it heard (received $4 -> $(event_field "$1" backup adverts_received))" \
        [ "$(event_field "$1" backup adverts_received)" = "$(($4 + 1))" ]
    check "$2 dropped its VIPs in that same turn (its event says it holds 0)" [ "$(event_field "$1" backup vips)" = 0 ]
}
# event_field NAME TO FIELD: FIELD of the first ha event into TO in events-NAME.out; the
# field "ns" is when events.py read it (wall-clock ns).
event_field() {
    python3 - "$WORK/events-$1.out" "$2" "$3" <<'EOF2'
import json, sys
path, to, field = sys.argv[1:4]
for line in open(path):
    ns, _, text = line.partition(" ")
    if not text.startswith("{"):
        continue
    e = json.loads(text)
    if e.get("event") == "ha" and e.get("to") == to:
        print(ns if field == "ns" else e.get(field, ""))
        break
EOF2
}
