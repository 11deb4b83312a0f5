#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:   import-vm.sh LVSCTL SOURCE_DIR
# keepalived itself and `lvsctl apply` of `lvsctl import-keepalived` program the same IPVS
# table from the same keepalived.conf (mail-cluster.keepalived.conf, the reference mail
# cluster):
#   1. keepalived --check runs on the file in a balancer namespace whose reals answer
#      every check (SMTP on 25, a TCP listener elsewhere); after the checks have run
#      (more than 3 check cycles) its table is taken with `ipvsadm -Sn`;
#   2. keepalived stops, the table is cleared, the converted descriptor is applied;
#   3. the two tables, sorted, are identical; so is the table of
#      schemas/examples/mail-cluster.json itself (the reference conf is its equivalent).
# Sorting is the only normalisation: the two tools add services in different orders.
set -u

LVSCTL="${1:?usage: import-vm.sh LVSCTL SOURCE_DIR}"
SRC="${2:?usage: import-vm.sh LVSCTL SOURCE_DIR}"
HERE="$SRC/tests/kernel/keepalived_import"
CONF="$HERE/mail-cluster.keepalived.conf"
WORK=/tmp/keepalived-import-test
LB=ka-lb
REALS=ka-reals
PORTS="25 110 995 143 993"

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
fatal() { fail "$*"; exit 1; }

keepalived_pid="" reals_pid=""
cleanup() {
    local rc=$?
    for pid in $keepalived_pid $reals_pid; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
        for log in "$WORK"/*.log "$WORK"/*.err; do
            [ -f "$log" ] && { echo "---- last lines of $log"; tail -n 30 "$log"; }
        done
    fi
    ip netns del "$LB" 2>/dev/null
    ip netns del "$REALS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r /proc/net/ip_vs ] || fatal "no /proc/net/ip_vs: not running in the IPVS VM (run through tests/vm/vm-run)"
for tool in ipvsadm keepalived python3 ip ss; do command -v "$tool" > /dev/null || fatal "$tool is not installed"; done
[ -x "$LVSCTL" ] || fatal "lvsctl binary $LVSCTL not found (build the lvsctl target first)"
rm -rf "$WORK"
mkdir -p "$WORK"

# --- topology: the balancer's private side (eth1) reaches the four reals -----------------
ip netns add "$LB" && ip netns add "$REALS" || fatal "netns"
ip -n "$LB" link set lo up && ip -n "$REALS" link set lo up
ip -n "$LB" link add eth1 type veth peer name eth0 netns "$REALS" || fatal "veth"
ip -n "$LB" addr add 203.0.113.254/24 dev eth1 && ip -n "$LB" link set eth1 up || fatal "eth1"
for a in 11 12 21 22; do ip -n "$REALS" addr add "203.0.113.$a/24" dev eth0 || fatal "real 203.0.113.$a"; done
ip -n "$REALS" link set eth0 up
# eth0 and eth2 only have to exist: the file names them for VIPs and adverts.
for dev in eth0 eth2; do ip -n "$LB" link add "$dev" type dummy && ip -n "$LB" link set "$dev" up || fatal "$dev"; done

ip netns exec "$REALS" python3 "$HERE/mail_reals.py" $PORTS > "$WORK/reals.log" 2>&1 &
reals_pid=$!
for port in $PORTS; do
    for t in $(seq 100); do ip netns exec "$REALS" ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
done
check "the reals answer SMTP through the private side" bash -c \
    "ip netns exec $LB python3 -c 'import socket; s=socket.create_connection((\"203.0.113.22\", 25), 3); print(s.recv(64))' | grep -q 220"

# --- 1. keepalived ----------------------------------------------------------------------
snapshot() { ip netns exec "$LB" ipvsadm -Sn | sort; }
reals_in() { grep -c -- '^-a ' <<< "$1"; }
ip netns exec "$LB" keepalived --check --dont-fork --log-console --log-detail --no-syslog \
    --use-file "$CONF" --pid "$WORK/keepalived.pid" --checkers_pid "$WORK/checkers.pid" \
    > "$WORK/keepalived.log" 2>&1 &
keepalived_pid=$!
table=""
for t in $(seq 100); do table="$(snapshot)"; [ "$(reals_in "$table")" -eq 20 ] && break; sleep 0.2; done
check "keepalived programs 10 services with 20 reals" [ "$(reals_in "$table")" -eq 20 ]
# Warmup (up to delay_loop 5 s) + a failed check + 2 retries 1 s apart would drop a real's
# weight to 0 within ~8 s; 16 s is three check cycles after that.
sleep 16
keepalived_table="$(snapshot)"
echo "$keepalived_table" > "$WORK/keepalived.table"
check "after 16 s every real is healthy for keepalived (20 reals, no weight 0)" \
    bash -c "[ \"\$(grep -c -- '^-a ' '$WORK/keepalived.table')\" -eq 20 ] && ! grep -q -- '-w 0\$' '$WORK/keepalived.table'"
check "keepalived logged no failed check" bash -c "! grep -Ei 'fail|timeout' '$WORK/keepalived.log'"
# The checks did run: every real was connected to on every port, and said HELO to on 25.
missing=""
for a in 11 12 21 22; do
    for port in $PORTS; do grep -q "^connect 203.0.113.$a:$port\$" "$WORK/reals.log" || missing="$missing $a:$port"; done
    grep -q "^helo 203.0.113.$a:25\$" "$WORK/reals.log" || missing="$missing helo-$a"
done
check "keepalived's checks reached all 20 reals (SMTP_CHECK said HELO to the 4 on port 25)${missing:+; missing:$missing}" \
    [ -z "$missing" ]
kill -TERM "$keepalived_pid"; wait "$keepalived_pid" 2>/dev/null; keepalived_pid=""
ip netns exec "$LB" ipvsadm -C

# --- 2. the import, applied ---------------------------------------------------------------
"$LVSCTL" import-keepalived "$CONF" --peer-priority 100 > "$WORK/converted.json" 2> "$WORK/import.err"
rc=$?
cat "$WORK/import.err"
check "import-keepalived exits 0" [ "$rc" -eq 0 ]
check "the reference converts without a warning" [ "$(grep -c 'warning:' "$WORK/import.err")" -eq 0 ]
check "lvsctl validate accepts the conversion" "$LVSCTL" validate "$WORK/converted.json"
"$LVSCTL" apply "$WORK/converted.json" --netns "$LB" --state-dir "$WORK/state" > "$WORK/apply.log" 2>&1
check "lvsctl apply of the conversion exits 0" [ $? -eq 0 ]
imported_table="$(snapshot)"
echo "$imported_table" > "$WORK/imported.table"

# --- 3. compare ----------------------------------------------------------------------------
if [ "$keepalived_table" = "$imported_table" ]; then
    pass "ipvsadm -Sn after lvsctl apply of the import equals keepalived's ($(reals_in "$imported_table") reals)"
else
    fail "the tables differ (< keepalived, > lvsctl apply of the import):"
    diff "$WORK/keepalived.table" "$WORK/imported.table"
fi
echo "$imported_table"

ip netns exec "$LB" ipvsadm -C
"$LVSCTL" apply "$SRC/schemas/examples/mail-cluster.json" --netns "$LB" --state-dir "$WORK/state2" > "$WORK/apply2.log" 2>&1
check "lvsctl apply of mail-cluster.json exits 0" [ $? -eq 0 ]
snapshot > "$WORK/example.table"
if diff "$WORK/keepalived.table" "$WORK/example.table" > "$WORK/example.diff"; then
    pass "mail-cluster.json gives the same table: the reference keepalived.conf is its equivalent"
else
    fail "mail-cluster.json's table differs from keepalived's:"; cat "$WORK/example.diff"
fi

if [ "$failures" -ne 0 ]; then echo "FAIL: $failures check(s) failed"; exit 1; fi
echo "PASS: keepalived and lvsctl apply of its import program the same IPVS table"
