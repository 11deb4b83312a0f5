#!/usr/bin/env bash
# Health-check CPU benchmark: CPU time per check of lvsd's probe runner (lvs_health_bench:
# CheckRegistry + ProbeRunner) against keepalived's checker (TCP_CHECK, SMTP_CHECK) on the
# same targets, in one run. Runs inside the VM of tests/vm (keepalived's checker process
# needs IPVS; the host kernel has none):
#
#   tests/vm/vm-run --timeout 1200 -- tests/bench/health/health-bench.sh \
#       --server build/tests/bench/health/lvs_bench_mail_server \
#       --bench build/tests/bench/health/lvs_health_bench [--targets 2000] [--interval 60] [--measure 60]
#
# Targets: lvs_bench_mail_server listens on TARGETS tcp ports (20000...) and TARGETS smtp
# ports (30000...) of 127.0.0.1 in a namespace made here. Each checker runs alone, checks
# every target every INTERVAL s, and is measured over MEASURE s after one interval of
# warm-up: CPU = utime + stime of the checking process from /proc/PID/stat (user time
# shown apart: system time is mostly the loopback TCP work of both ends, the same for
# any checker), checks = the connections the server accepted meanwhile. lvsd's checks
# use jitter 0.5 (first checks spread over half an interval, like keepalived's warm-up
# over its delay_loop). Prints microseconds per check and the ratio keepalived / lvsd. Fails if a checker did no checks, if lvsd's checks are not all up, or
# if lvsd needs more CPU per check than keepalived (the issue's bar; the aim is 5x less).
set -uo pipefail

server="" bench="" targets=2000 interval=60 measure=60
while [ $# -gt 0 ]; do
  case $1 in
    --server) server=$2; shift 2 ;;
    --bench) bench=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --measure) measure=$2; shift 2 ;;
    *) echo "usage: health-bench.sh --server PATH --bench PATH [--targets N] [--interval S] [--measure S]" >&2; exit 2 ;;
  esac
done
die() { echo "FAIL: health-bench: $*" >&2; exit 1; }

[ -x "$server" ] && [ -x "$bench" ] || die "--server and --bench must name the built lvs_bench_mail_server and lvs_health_bench"
[ "$(id -u)" -eq 0 ] || die "needs root"
[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null
[ -e /proc/net/ip_vs ] || die "no IPVS in this kernel: keepalived's checker needs it; run inside tests/vm/vm-run"
command -v keepalived >/dev/null || die "keepalived is not installed: run scripts/setup-deps.sh"
# The server holds 2 x targets listeners plus the connections of one checker.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((targets * 3 + 256)) ] ||
  die "open-file limit $(ulimit -n) is too low for $targets targets"

ns=lvshb$$
work=$(mktemp -d /tmp/lvs-health-bench.XXXXXX) || die "mktemp failed"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns" || die "ip netns add failed"
ip -n "$ns" link set lo up

ip netns exec "$ns" "$server" --address 127.0.0.1 --tcp-ports "20000:$targets" \
  --smtp-ports "30000:$targets" --stats "$work/stats" &
spid=$!
pids+=("$spid")
for ((i = 0; i < 100; i++)); do [ -s "$work/stats" ] && break; sleep 0.1; done
[ -s "$work/stats" ] || die "the target server did not start"

hz=$(getconf CLK_TCK)
# accepted KIND: connections the server accepted so far on KIND ports.
accepted() {
  rm -f "$work/stats"
  kill -USR1 "$spid" || die "the target server died"
  for ((i = 0; i < 100; i++)); do [ -s "$work/stats" ] && break; sleep 0.05; done
  awk -v k="$1" '$1 == k {print $2}' "$work/stats"
}
# cpu_ticks PID: "utime stime" (fields 14 and 15, counted after the ")" of the name).
cpu_ticks() {
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'
}

results=()
# measure LABEL KIND PID: after one interval of warm-up, CPU and checks over $measure s.
measure() {
  local label=$1 kind=$2 pid=$3 c0 c1 t0 t1 u0 s0 u1 s1
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || { cat "$work"/*.out "$work"/*.log 2>/dev/null | tail -n 20; die "$label exited during warm-up"; }
  c0=$(accepted "$kind"); read -r u0 s0 <<<"$(cpu_ticks "$pid")"
  sleep "$measure"
  c1=$(accepted "$kind"); t1=$(cpu_ticks "$pid") && read -r u1 s1 <<<"$t1" || { cat "$work"/*.out "$work"/*.log 2>/dev/null | tail -n 20; die "$label exited while measured"; }
  local checks=$((c1 - c0)) user_ms=$(((u1 - u0) * 1000 / hz)) sys_ms=$(((s1 - s0) * 1000 / hz))
  [ "$checks" -gt 0 ] || die "$label made no $kind checks in $measure s"
  local us user_us
  us=$(awk -v c="$((user_ms + sys_ms))" -v n="$checks" 'BEGIN { printf "%.1f", c * 1000 / n }')
  user_us=$(awk -v c="$user_ms" -v n="$checks" 'BEGIN { printf "%.1f", c * 1000 / n }')
  printf '%-5s %-11s %6d checks %6d ms user %6d ms sys %9s us/check (user %s)\n' \
    "$kind" "$label" "$checks" "$user_ms" "$sys_ms" "$us" "$user_us"
  results+=("$kind $label $us $user_us")
}

run_lvsd() {
  local kind=$1 first=$2
  ip netns exec "$ns" "$bench" --type "$kind" --address 127.0.0.1 --ports "$first:$targets" \
    --interval-ms $((interval * 1000)) --run-s 3600 > "$work/lvsd-$kind.out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  measure lvsd "$kind" "$pid"
  kill -TERM "$pid"
  wait "$pid"; local rc=$?
  cat "$work/lvsd-$kind.out"
  [ "$rc" -eq 0 ] || die "lvs_health_bench ($kind) did not bring every check up"
}

keepalived_conf() {
  local kind=$1 first=$2 p
  printf "global_defs {\n  router_id lvs_bench\n}\n"
  echo "virtual_server 203.0.113.1 $([ "$kind" = tcp ] && echo 80 || echo 25) {"
  echo "  delay_loop $interval"
  echo "  lb_algo rr"
  echo "  lb_kind NAT"
  echo "  protocol TCP"
  for ((p = first; p < first + targets; p++)); do
    # keepalived's parser wants one keyword or brace per line.
    echo "  real_server 127.0.0.1 $p {"
    echo "    weight 1"
    if [ "$kind" = tcp ]; then
      printf '    TCP_CHECK {\n      connect_timeout 5\n    }\n'
    else
      printf '    SMTP_CHECK {\n      connect_timeout 5\n      helo_name bench.example.test\n    }\n'
    fi
    echo "  }"
  done
  echo "}"
}

run_keepalived() {
  local kind=$1 first=$2 parent checker=""
  keepalived_conf "$kind" "$first" > "$work/keepalived-$kind.conf"
  ip netns exec "$ns" keepalived --dont-fork --log-console --check \
    -f "$work/keepalived-$kind.conf" -p "$work/ka-$kind.pid" -c "$work/ka-check-$kind.pid" \
    > "$work/keepalived-$kind.log" 2>&1 &
  parent=$!
  pids+=("$parent")
  for ((i = 0; i < 100; i++)); do
    [ -s "$work/ka-check-$kind.pid" ] && checker=$(cat "$work/ka-check-$kind.pid") && break
    sleep 0.1
  done
  [ -n "$checker" ] || { tail -n 20 "$work/keepalived-$kind.log"; die "keepalived's checker did not start"; }
  measure keepalived "$kind" "$checker"
  kill -TERM "$parent"; wait "$parent" 2>/dev/null
  ip netns exec "$ns" ipvsadm -C 2>/dev/null
}

echo "health-bench: $targets targets per kind, every $interval s, measured over $measure s, $(nproc) CPU(s)"
run_lvsd tcp 20000
run_keepalived tcp 20000
run_lvsd smtp 30000
run_keepalived smtp 30000

status=0
for kind in tcp smtp; do
  ours=$(printf '%s\n' "${results[@]}" | awk -v k="$kind" '$1 == k && $2 == "lvsd" {print $3}')
  theirs=$(printf '%s\n' "${results[@]}" | awk -v k="$kind" '$1 == k && $2 == "keepalived" {print $3}')
  ours_user=$(printf '%s\n' "${results[@]}" | awk -v k="$kind" '$1 == k && $2 == "lvsd" {print $4}')
  theirs_user=$(printf '%s\n' "${results[@]}" | awk -v k="$kind" '$1 == k && $2 == "keepalived" {print $4}')
  ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
  user_ratio=$(awk -v a="$theirs_user" -v b="$ours_user" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
  echo "ratio $kind: keepalived uses ${ratio}x the CPU per check of lvsd ($theirs vs $ours us; user time alone ${user_ratio}x)"
  awk -v a="$theirs" -v b="$ours" 'BEGIN { exit !(b <= a) }' || { echo "FAIL: lvsd needs more CPU per $kind check than keepalived"; status=1; }
done
exit "$status"
