#!/bin/bash
# netns test (root, host kernel): the cluster's pieces without IPVS, against one real
# server (Postfix + Dovecot from tests/support/realservers, mail in a shared Maildir root
# for two users):
#   - mailload.py's SMTP, POP3 (STLS, implicit TLS) and IMAP (STARTTLS, implicit TLS, two
#     connections at once) sessions all succeed and name the real from its greeting;
#   - closing with a reset leaves no connection in TIME_WAIT on the server;
#   - report.py's integrity check finds every accepted message exactly once;
#   - lib/health's probes (lvs_probe) of every port pass and end politely: neither
#     server's log holds a warning or an error after them and the load.
#   mailload-netns.sh --probe PATH/lvs_probe
set -u
PROBE=""
[ "${1:-}" = --probe ] && PROBE="$2"
[ -x "$PROBE" ] || { echo "usage: mailload-netns.sh --probe PATH/lvs_probe" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (network namespaces, mail servers)"; exit 1; }
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
RS="$SRC/tests/support/realservers"
W=$(mktemp -d /tmp/lvs-mailload.XXXXXX); chmod 755 "$W"
T=mlt$$
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
cleanup() {
    "$RS/realserver-ctl" stop --dir "$W/rs1" > /dev/null 2>&1
    ip netns del "${T}c" 2>/dev/null; ip netns del "${T}r" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

ip netns add "${T}c" && ip netns add "${T}r" || { echo "FAIL: netns"; exit 1; }
ip link add "${T}a" type veth peer name "${T}b" && ip link set "${T}a" netns "${T}c" && ip link set "${T}b" netns "${T}r" || exit 1
ip -n "${T}c" addr add 192.0.2.100/24 dev "${T}a" && ip -n "${T}c" link set "${T}a" up && ip -n "${T}c" link set lo up
ip -n "${T}r" addr add 192.0.2.10/24 dev "${T}b" && ip -n "${T}r" link set "${T}b" up && ip -n "${T}r" link set lo up
printf 'ada:{PLAIN}ada-secret::::::\nbob:{PLAIN}bob-secret::::::\n' > "$W/users"
"$RS/realserver-ctl" start --dir "$W/rs1" --netns "${T}r" --address 192.0.2.10 --pki "$W/pki" \
    --name rs1.example.test --mail-root "$W/mail" --users "$W/users" > "$W/start.log" 2>&1 ||
    { cat "$W/start.log"; echo "FAIL: the real server did not start"; exit 1; }

python3 - "$W/pki/ca.crt" "${LVS_MAILLOAD_CLOSE:-reset}" > "$W/plan.json" <<'PY'
import json, sys
targets = [{"vip": "192.0.2.10", "port": p, "user": u, "password": u + "-secret", "rcpt": u + "@example.test"}
           for u in ("ada", "bob") for p in (25, 110, 995, 143, 993)]
print(json.dumps({"targets": targets, "clients": ["192.0.2.100"], "rate": 4, "cafile": sys.argv[1],
                  "imap_parallel": 2, "timeout_s": 20, "close": sys.argv[2]}))
PY
mkdir -p "$W/out"
ip netns exec "${T}c" timeout 120 python3 "$SRC/tests/support/loadgen/mailload.py" --plan "$W/plan.json" \
    --out "$W/out/sessions.jsonl" --duration 6
check "mailload: every session succeeded (exit 0)" [ $? -eq 0 ]
n=$(wc -l < "$W/out/sessions.jsonl")
check "mailload wrote one line per session ($n)" [ "$n" -ge 20 ]
check "every session names rs1 as the real that served it" \
    [ "$(grep -c '"real": "rs1"' "$W/out/sessions.jsonl")" -eq "$n" ]
check "IMAP sessions opened two connections, both on rs1" \
    grep -q '"connections": 2, .*"reals_seen": \["rs1"\]' "$W/out/sessions.jsonl"
for proto in smtp pop3 imap; do
    check "sessions of $proto ran" grep -q "\"proto\": \"$proto\"" "$W/out/sessions.jsonl"
done
sleep 1
tw=$(ip netns exec "${T}r" ss -Htan state time-wait | wc -l)
check "closing with a reset left no connection in TIME_WAIT on the server ($tw)" [ "$tw" -eq 0 ]
for i in $(seq 50); do
    [ -z "$(find "$W/rs1/postfix/queue/incoming" "$W/rs1/postfix/queue/active" -type f 2>/dev/null)" ] && break
    sleep 0.2
done
check "every accepted message is in the shared Maildir exactly once" \
    python3 "$SRC/tests/cluster/report.py" integrity "$W/out" "$W/mail"

probe() {  # probe TYPE TLS PORT: one lib/health probe from the client namespace
    "$PROBE" --netns "${T}c" --type "$1" --tls "$2" --address 192.0.2.10 --port "$3" \
        --ca "$W/pki/ca.crt" --verify --timeout-ms 5000 > /dev/null
}
for spec in "smtp none 25" "smtp starttls 25" "pop3 none 110" "pop3 starttls 110" "pop3 implicit 995" \
            "imap none 143" "imap starttls 143" "imap implicit 993"; do
    set -- $spec
    check "probe $1 ($2) on port $3 passes" probe "$@"
done
sleep 1
grep -Ei 'warning|error|fatal|panic' "$W/rs1/postfix/maillog" "$W/rs1/dovecot/dovecot.log" > "$W/faults"
cat "$W/faults"
check "after the load and the probes, Postfix's and Dovecot's logs hold no warning or error" [ ! -s "$W/faults" ]
check "Dovecot logged the probes as logged out at info level" \
    grep -q 'Info: Disconnected: Aborted login by logging out' "$W/rs1/dovecot/dovecot.log"

[ "$failures" -eq 0 ] || { echo "FAIL: $failures check(s)"; exit 1; }
echo "PASS: mailload, the shared Maildir and polite probes"
