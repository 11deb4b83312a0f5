#!/usr/bin/env bash
# lvsd at scale (issue 8): 10,000 services x 4 reals, against keepalived where both do
# the same work. Runs inside the VM of tests/vm (both daemons program IPVS):
#
#   tests/vm/vm-run --timeout 3000 -- tests/bench/daemon/daemon-bench.sh \
#       --lvsd build/daemon/lvsd --lvsctl build/lvsctl/lvsctl \
#       --probe build/tests/bench/daemon/lvs_daemon_bench_probe \
#       --schema schemas/cluster.schema.json \
#       [--services 10000] [--dests 4] [--repeat 7] [--idle-s 60]
#
# Each director is a fresh namespace (its own, empty IPVS table) with a veth to a
# "real" namespace holding one python3 listener per real of the one checked service.
#   1. keepalived --check starts on the empty table: ms until the table is complete;
#      then "one real down": SIGKILL one listener, us until its kernel weight is 0
#      (TCP_CHECK every 1 s, connect_timeout 0.5, retry 0, inhibit_on_failure), REPEAT
#      times, the listener restarted between runs.
#   2. lvsd starts on an empty table (desc-check.json, the same table and check: tcp
#      every 1 s, timeout 500 ms, rise 1, fall 1): the same two figures.
#   3. lvsd is stopped (the table stays) and started again on desc-none.json (the same
#      table, every check "none", as in the issue's figures): time to the first answered
#      status and its reconcile's operation count, which must be 0; lvsctl status plain
#      (brief above 200 services), --all, --service of one service, and --json (time,
#      bytes); lvsctl drain / enable of one pair (time); the same drain
#      and enable sent by daemon_bench_probe on the control socket, timed to the kernel
#      weight (REPEAT times: median, max); CPU over IDLE_S s idle (utime + stime from
#      /proc/PID/stat) scaled to a minute; RSS.
# "Complete" = the last service in descriptor order has all its destinations (both
# daemons write in descriptor order), confirmed by one read of the whole table.
# Fails only when a command fails or the unchanged start writes; times are reported.
set -uo pipefail

lvsd="" lvsctl="" probe="" schema="" services=10000 dests=4 repeat=7 idle_s=60
while [ $# -gt 0 ]; do
  case $1 in
    --lvsd) lvsd=$2; shift 2 ;;
    --lvsctl) lvsctl=$2; shift 2 ;;
    --probe) probe=$2; shift 2 ;;
    --schema) schema=$2; shift 2 ;;
    --services) services=$2; shift 2 ;;
    --dests) dests=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --idle-s) idle_s=$2; shift 2 ;;
    *) echo "usage: daemon-bench.sh --lvsd PATH --lvsctl PATH --probe PATH --schema PATH [--services N] [--dests N] [--repeat N] [--idle-s S]" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "FAIL: daemon-bench: $*" >&2; exit 1; }

[ -x "$lvsd" ] && [ -x "$lvsctl" ] && [ -x "$probe" ] || die "--lvsd, --lvsctl and --probe must name the built lvsd, lvsctl and lvs_daemon_bench_probe"
[ -r "$schema" ] || die "--schema must name schemas/cluster.schema.json"
[ "$(id -u)" -eq 0 ] || die "needs root"
[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null
[ -e /proc/net/ip_vs ] || die "no IPVS in this kernel: run inside tests/vm/vm-run"
command -v keepalived >/dev/null || die "keepalived is not installed: run scripts/setup-deps.sh"
[[ "$repeat" =~ ^[1-9][0-9]*$ && "$idle_s" =~ ^[1-9][0-9]*$ ]] || die "--repeat and --idle-s want positive counts"
ulimit -n 65536 2>/dev/null

work=$(mktemp -d /tmp/lvs-daemon-bench.XXXXXX) || die "mktemp failed"
namespaces=() pids=()
cleanup() {
  local p n
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tools and inputs on tmpfs, so nothing timed reads through 9p.
mkdir -p "$work/bin"
cp "$lvsd" "$work/bin/lvsd" && cp "$lvsctl" "$work/bin/lvsctl" && cp "$probe" "$work/bin/probe" &&
  cp "$schema" "$work/schema.json" || die "cannot copy the tools"
LVSD=$work/bin/lvsd LVSCTL=$work/bin/lvsctl PROBE=$work/bin/probe
"$LVSD" --help >/dev/null 2>&1; "$LVSCTL" --help >/dev/null; keepalived --version >/dev/null 2>&1  # warm the libraries

python3 "$here/gen_daemon_bench.py" "$work" --services "$services" --dests "$dests" || die "generating the inputs failed"
# shellcheck source=/dev/null
. "$work/bench.env"
read -r -a checked_reals <<<"$CHECKED_REALS"
hz=$(getconf CLK_TCK)

ms() { awk -v v="$1" 'BEGIN { printf "%.3f s", v / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
now_ns() { date +%s%N; }
field() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p" "$2" | head -n 1; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'; }
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

# pair DIRECTOR REALNS: two namespaces joined by a veth; the director's side is
# 198.51.100.1/24, the real's side holds the checked reals' addresses.
pair() {
  local d=$1 r=$2 a
  ip netns add "$d" && namespaces+=("$d") && ip netns add "$r" && namespaces+=("$r") || die "ip netns add failed"
  # Without lo up IPVS refuses every destination (no local routing table).
  ip -n "$d" link set lo up && ip -n "$r" link set lo up || die "lo up failed"
  ip link add bd0 netns "$d" type veth peer name br0 netns "$r" || die "veth failed"
  ip -n "$d" addr add 198.51.100.1/24 dev bd0 && ip -n "$d" link set bd0 up || die "director address failed"
  for a in "${checked_reals[@]}"; do ip -n "$r" addr add "$a/24" dev br0 || die "real address $a failed"; done
  ip -n "$r" link set br0 up || die "real link up failed"
}

# listen REALNS ADDR: starts one listener (accept, close) on ADDR:CHECKED_PORT; its pid
# in listener_pid.
listen() {
  local r=$1 a=$2 mark p i
  mark="$work/listen-$r-$a"
  rm -f "$mark"
  ip netns exec "$r" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(128)
open(sys.argv[3], "w").close()
while True:
    s.accept()[0].close()
' "$a" "$CHECKED_PORT" "$mark" >/dev/null 2>&1 &
  p=$!
  disown "$p"  # killed on purpose: no "Killed" job report
  pids+=("$p")
  for ((i = 0; i < 300; i++)); do [ -e "$mark" ] && break; sleep 0.1; done
  [ -e "$mark" ] || die "the listener on $a did not start"
  listener_pid=$p
}

listen_all() {  # REALNS: a listener per checked real; the first one's pid in first_listener
  local a
  listen "$1" "${checked_reals[0]}"
  first_listener=$listener_pid
  for a in "${checked_reals[@]:1}"; do listen "$1" "$a"; done
}

# down_runs NAME DIRECTOR REALNS DOWNS UPS EDGES LOG MATCH: REPEAT times kill the first
# checked real's listener, time its kernel weight to 0 (and from the daemon's log line
# MATCH, the health edge, to the weight), restart it and wait until it carries weight.
down_runs() {
  local name=$1 d=$2 r=$3 real=${checked_reals[0]} log=$7 match=$8 lp i e
  local -n downs=$4 ups=$5 edges=$6
  lp=$first_listener  # started before the daemon
  ip netns exec "$d" "$PROBE" up --service "$CHECKED_KEY" --dest "$real:$CHECKED_PORT" --timeout-s 120 \
    >/dev/null || die "$name: $real never came up"
  for ((i = 1; i <= repeat; i++)); do
    ip netns exec "$d" "$PROBE" down --service "$CHECKED_KEY" --dest "$real:$CHECKED_PORT" --kill "$lp" \
      --log "$log" --match "$match" --timeout-s 120 > "$work/down.out" || die "$name: one real down failed"
    e=$(field edge_to_weight0_us "$work/down.out")
    [ -n "$e" ] && edges+=("$e")
    downs+=("$(field down_to_weight0_us "$work/down.out")")
    listen "$r" "$real"; lp=$listener_pid
    ip netns exec "$d" "$PROBE" up --service "$CHECKED_KEY" --dest "$real:$CHECKED_PORT" --timeout-s 120 \
      > "$work/up.out" || die "$name: $real did not come back"
    ups+=("$(field up_ms "$work/up.out")")
    echo "$name: one real down, run $i: kill -> kernel weight 0 in ${downs[-1]} us (health edge logged -> weight 0: ${e:-not seen} us); restarted -> weight back in ${ups[-1]} ms"
  done
}

echo "daemon-bench: $SERVICES services x $DESTS reals; kernel $(uname -r); $(nproc) CPU(s); repeat $repeat; idle $idle_s s"
echo "daemon-bench: checked service $CHECKED_NAME ($CHECKED_KEY), reals ${checked_reals[*]}; last service $LAST_KEY"

# --- 1. keepalived -------------------------------------------------------------------
kd=dbk$$ kr=dbkr$$
pair "$kd" "$kr"
listen_all "$kr"
t0=$(now_ns)
ip netns exec "$kd" keepalived --dont-fork --log-console --check -f "$work/keepalived.conf" \
  -p "$work/ka.pid" -c "$work/ka-check.pid" > "$work/keepalived.log" 2>&1 &
kpid=$!
pids+=("$kpid")
ip netns exec "$kd" "$PROBE" table --service "$LAST_KEY" --dests "$DESTS" --services "$SERVICES" \
  --since-ns "$t0" --timeout-s 1800 > "$work/ka-table.out" ||
  { tail -n 20 "$work/keepalived.log"; die "keepalived did not complete the table"; }
ka_start=$(field table_complete_ms "$work/ka-table.out")
echo "keepalived: start on an empty table -> table complete in $(ms "$ka_start") ($(tail -n 1 "$work/ka-table.out"))"
ka_down=() ka_up=() ka_edge=()
# keepalived 2.2.7 logs "TCP_CHECK on service [ADDR]:tcp:PORT failed." at the edge.
down_runs keepalived "$kd" "$kr" ka_down ka_up ka_edge "$work/keepalived.log" \
  "${checked_reals[0]}]:tcp:$CHECKED_PORT failed"
[ "${#ka_edge[@]}" -gt 0 ] || { echo "keepalived's log about ${checked_reals[0]}:"; grep -m 5 -F "${checked_reals[0]}" "$work/keepalived.log"; }
kchild=$(cat "$work/ka-check.pid" 2>/dev/null)
ka_rss=$(( $(rss_kb "$kpid") + $(rss_kb "${kchild:-$kpid}") ))
kill -TERM "$kpid"; wait "$kpid" 2>/dev/null
ip netns del "$kd"; ip netns del "$kr"

# --- 2. lvsd on an empty table -------------------------------------------------------
ld=dbl$$ lr=dblr$$
pair "$ld" "$lr"
listen_all "$lr"
sock=$work/lvsd.sock
mkdir -p "$work/state"
start_lvsd() {  # DESCRIPTOR LOG
  ip netns exec "$ld" "$LVSD" --config "$1" --schema "$work/schema.json" --node bench \
    --state-dir "$work/state" --control-socket "$sock" > "$2" 2>&1 &
  lpid=$!
  pids+=("$lpid")
}
t0=$(now_ns)
start_lvsd "$work/desc-check.json" "$work/lvsd-empty.log"
ip netns exec "$ld" "$PROBE" table --service "$LAST_KEY" --dests "$DESTS" --services "$SERVICES" \
  --since-ns "$t0" --timeout-s 1800 > "$work/lv-table.out" ||
  { tail -n 20 "$work/lvsd-empty.log"; die "lvsd did not complete the table"; }
lv_start=$(field table_complete_ms "$work/lv-table.out")
echo "lvsd: start on an empty table -> table complete in $(ms "$lv_start") ($(tail -n 1 "$work/lv-table.out"))"
lv_down=() lv_up=() lv_edge=()
# lvsd logs "health: tcp ADDR:PORT down: ..." at the edge, then reconciles.
down_runs lvsd "$ld" "$lr" lv_down lv_up lv_edge "$work/lvsd-empty.log" \
  "${checked_reals[0]}:$CHECKED_PORT down"
for a in "${checked_reals[@]}"; do  # all up, so the restart below finds them serving
  ip netns exec "$ld" "$PROBE" up --service "$CHECKED_KEY" --dest "$a:$CHECKED_PORT" --timeout-s 120 >/dev/null ||
    die "lvsd: $a is not up before the restart"
done
kill -TERM "$lpid"; wait "$lpid"; rc=$?
[ "$rc" -eq 0 ] || { tail -n 20 "$work/lvsd-empty.log"; die "lvsd exited $rc on SIGTERM"; }

# --- 3. lvsd restarted on the unchanged table ----------------------------------------
t0=$(now_ns)
start_lvsd "$work/desc-none.json" "$work/lvsd.log"
ip netns exec "$ld" "$PROBE" status --socket "$sock" --since-ns "$t0" --out "$work/status-first.json" \
  --timeout-s 1800 > "$work/first.out" || { tail -n 20 "$work/lvsd.log"; die "lvsd did not answer status"; }
cat "$work/first.out"
first_status=$(field first_status_ms "$work/first.out")
accepts=$(field socket_accepts_ms "$work/first.out")
ops=$(field reconcile_operations "$work/first.out")
logged_writes=$(grep -c '^<5>ipvs: ' "$work/lvsd.log")
status=0
if [ "$ops" != 0 ] || [ "$logged_writes" != 0 ]; then
  echo "FAIL: the unchanged start made ${ops:-?} operations ($logged_writes logged kernel writes); expected 0"
  grep '^<5>ipvs: ' "$work/lvsd.log" | head -n 5
  status=1
fi

timed() {  # OUT CMD...: runs CMD > OUT, prints its wall ms
  local out=$1 s e; shift
  s=$(now_ns); "$@" > "$out" || die "failed: $*"; e=$(now_ns)
  echo $(((e - s) / 1000000))
}
st_plain=$(timed "$work/status.txt" "$LVSCTL" status --socket "$sock")
st_plain_b=$(wc -c < "$work/status.txt")
st_json=$(timed "$work/status.json" "$LVSCTL" status --json --socket "$sock")
st_json_b=$(wc -c < "$work/status.json")
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/status.json" || die "lvsctl status --json is not JSON"
st_all=$(timed "$work/status-all.txt" "$LVSCTL" status --all --socket "$sock")
st_all_b=$(wc -c < "$work/status-all.txt")
st_one=$(timed "$work/status-one.txt" "$LVSCTL" status --service "$DRAIN_NAME" --socket "$sock")
st_one_b=$(wc -c < "$work/status-one.txt")
echo "lvsctl status: $(ms "$st_plain"), $st_plain_b bytes; --all $(ms "$st_all"), $st_all_b bytes; --service $DRAIN_NAME $(ms "$st_one"), $st_one_b bytes; --json $(ms "$st_json"), $st_json_b bytes"
drain_ms=$(timed "$work/drain.out" "$LVSCTL" drain "$DRAIN_REAL" --service "$DRAIN_NAME" --socket "$sock")
enable_ms=$(timed "$work/enable.out" "$LVSCTL" enable "$DRAIN_REAL" --service "$DRAIN_NAME" --socket "$sock")
echo "lvsctl drain $DRAIN_REAL --service $DRAIN_NAME: $(ms "$drain_ms"); enable: $(ms "$enable_ms")"
ip netns exec "$ld" "$PROBE" drain --socket "$sock" --name "$DRAIN_NAME" --real "$DRAIN_REAL" \
  --service "$DRAIN_KEY" --dest "$DRAIN_DEST" --repeat "$repeat" > "$work/drain-probe.out" ||
  { cat "$work/drain-probe.out"; die "drain / enable on the control socket failed"; }
cat "$work/drain-probe.out"

# What one read of the whole table costs (lvsd's reconcile reads it before and after
# writing), for reading the figures above.
ip netns exec "$ld" "$PROBE" read --repeat 3 > "$work/read.out" || die "reading the table failed"
read_ms=$(field 'median' "$work/read.out")
echo "one read of the whole table (NetlinkIpvs::read_table): median $(ms "$read_ms") of 3"

sleep 5  # let the drain's follow-up reads finish before idling
c0=$(cpu_ticks "$lpid"); sleep "$idle_s"; c1=$(cpu_ticks "$lpid")
idle_ms_per_min=$(( (c1 - c0) * 1000 / hz * 60 / idle_s ))
lv_rss=$(rss_kb "$lpid") lv_hwm=$(hwm_kb "$lpid")
echo "lvsd idle: $((c1 - c0)) ticks in $idle_s s -> $(ms "$idle_ms_per_min") CPU per minute; RSS $((lv_rss / 1024)) MB (peak $((lv_hwm / 1024)) MB)"
kill -TERM "$lpid"; wait "$lpid" 2>/dev/null

ka_down_med=$(median "${ka_down[@]}") lv_down_med=$(median "${lv_down[@]}")
ka_edge_med="" lv_edge_med=""
[ "${#ka_edge[@]}" -gt 0 ] && ka_edge_med=$(median "${ka_edge[@]}")
[ "${#lv_edge[@]}" -gt 0 ] && lv_edge_med=$(median "${lv_edge[@]}")
dk_med=$(sed -n 's/^drain_to_weight0_us median=\([0-9]*\) max=\([0-9]*\)/\1 \2/p' "$work/drain-probe.out")
ek_med=$(sed -n 's/^enable_to_weight_us median=\([0-9]*\) max=\([0-9]*\)/\1 \2/p' "$work/drain-probe.out")
echo
echo "=== lvsd benchmark: $SERVICES services x $DESTS reals (TCG VM, $(nproc) CPU) ==="
printf 'start on an empty table, to table complete: keepalived %s, lvsd %s -> keepalived/lvsd %sx\n' \
  "$(ms "$ka_start")" "$(ms "$lv_start")" "$(ratio "$ka_start" "$lv_start")"
printf 'one real down (tcp check 1 s, timeout 0.5 s, fall 1), kill to kernel weight 0, median of %s: keepalived %s ms, lvsd %s ms -> keepalived/lvsd %sx\n' \
  "$repeat" "$((ka_down_med / 1000))" "$((lv_down_med / 1000))" "$(ratio "$ka_down_med" "$lv_down_med")"
printf 'one health edge (logged) to its kernel write, median: keepalived %s us, lvsd %s us -> lvsd/keepalived %sx (runs, us: keepalived %s; lvsd %s)\n' \
  "${ka_edge_med:-?}" "${lv_edge_med:-?}" "$(ratio "${lv_edge_med:-0}" "${ka_edge_med:-0}")" "${ka_edge[*]}" "${lv_edge[*]}"
printf '    (all runs, us: keepalived %s; lvsd %s; back up after restart, ms: keepalived %s; lvsd %s)\n' \
  "${ka_down[*]}" "${lv_down[*]}" "${ka_up[*]}" "${lv_up[*]}"
printf 'lvsd start on the unchanged table: first answered status %s (socket accepts %s), %s operations, %s logged writes\n' \
  "$(ms "$first_status")" "$(ms "$accepts")" "${ops:-?}" "$logged_writes"
printf 'lvsctl status: %s, %s bytes; --all: %s, %s bytes; --service (one): %s, %s bytes; --json: %s, %s bytes\n' \
  "$(ms "$st_plain")" "$st_plain_b" "$(ms "$st_all")" "$st_all_b" "$(ms "$st_one")" "$st_one_b" "$(ms "$st_json")" "$st_json_b"
printf 'lvsctl drain (one pair): %s; lvsctl enable: %s\n' "$(ms "$drain_ms")" "$(ms "$enable_ms")"
printf 'drain command to kernel weight 0: median %s us, max %s us (goal < 10 ms); enable to weight back: median %s us, max %s us\n' \
  ${dk_med:-? ?} ${ek_med:-? ?}
printf 'context: one read of the whole table %s\n' "$(ms "$read_ms")"
printf 'lvsd idle: %s CPU per minute; RSS %s MB (peak %s MB); keepalived RSS (both processes) %s MB\n' \
  "$(ms "$idle_ms_per_min")" "$((lv_rss / 1024))" "$((lv_hwm / 1024))" "$((ka_rss / 1024))"
[ "$status" -eq 0 ] && echo "daemon-bench: all checks passed"
exit "$status"
