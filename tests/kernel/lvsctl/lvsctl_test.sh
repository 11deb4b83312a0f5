#!/bin/bash
# Kernel test, run inside the VM by tests/vm/vm-run:
#   lvsctl_test.sh LVSCTL SOURCE_DIR
# lvsctl apply/diff/list on a real IPVS table, checked against ipvsadm: the reference
# descriptor is applied and shows in `ipvsadm -Ln`; re-applying writes nothing; one
# weight edit is one write; foreign services survive unless --prune; a service removed
# from the descriptor is deleted; an invalid descriptor changes nothing; --netns works.
# Prints PASS/FAIL per check; exits 1 if any check failed.
set -u

LVSCTL="${1:?usage: lvsctl_test.sh LVSCTL SOURCE_DIR}"
SRC="${2:?usage: lvsctl_test.sh LVSCTL SOURCE_DIR}"
EXAMPLE="$SRC/schemas/examples/mail-cluster.json"
WORK=/tmp/lvsctl-kernel-test  # the guest's own tmpfs
STATE="$WORK/state"
NS=lvsctl-kt

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...: passes when the command succeeds
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

cleanup() {
    ipvsadm -C 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -r /proc/net/ip_vs ] || { fail "no /proc/net/ip_vs: not running in the IPVS VM"; exit 1; }
[ -x "$LVSCTL" ] || { fail "lvsctl binary $LVSCTL not found (build the lvsctl target first)"; exit 1; }
[ -r "$EXAMPLE" ] || { fail "$EXAMPLE not found"; exit 1; }
command -v ipvsadm > /dev/null || { fail "ipvsadm is not installed"; exit 1; }

ipvsadm -C
rm -rf "$WORK"
mkdir -p "$WORK"
cp "$EXAMPLE" "$WORK/mail.json"

run() {  # run NAME ARGS...: lvsctl's stdout/stderr to $WORK/NAME.{out,err}, status to $rc
    local name="$1"; shift
    "$LVSCTL" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
    rc=$?
    echo "--- lvsctl $* (exit $rc)"
    head -n 40 "$WORK/$name.out"
    head -n 20 "$WORK/$name.err"
}
out_has() { grep -Eq -- "$2" "$WORK/$1.out"; }
err_has() { grep -Eq -- "$2" "$WORK/$1.err"; }
snapshot() { ipvsadm -Sn | sort; }

# --- first apply: the reference deployment -----------------------------------------------
# 10 services (2 VIPs x 25, 110, 995, 143, 993) with 2 reals each: 30 operations.
run apply1 apply "$WORK/mail.json" --state-dir "$STATE"
check "first apply exits 0" [ "$rc" -eq 0 ]
check "first apply reports 30 of 30 operations and 30 writes" \
    out_has apply1 '^applied 30 of 30 operations, 30 writes$'
table="$(ipvsadm -Ln)"
echo "$table"
check "ipvsadm shows 10 services" [ "$(grep -Ec '^TCP ' <<< "$table")" -eq 10 ]
check "ipvsadm shows 20 reals" [ "$(grep -Ec -- '^  -> [0-9]' <<< "$table")" -eq 20 ]
check "ipvsadm shows TCP 192.0.2.10:25 rr" grep -Eq '^TCP  192\.0\.2\.10:25 rr *$' <<< "$table"
check "ipvsadm shows TCP 192.0.2.20:993 fo" grep -Eq '^TCP  192\.0\.2\.20:993 fo *$' <<< "$table"
check "ipvsadm shows 203.0.113.11:143 Masq weight 100" \
    grep -Eq -- '-> 203\.0\.113\.11:143 +Masq +100 ' <<< "$table"
check "ipvsadm shows 203.0.113.22:995 Masq weight 50" \
    grep -Eq -- '-> 203\.0\.113\.22:995 +Masq +50 ' <<< "$table"
check "the ownership record lists 10 services" \
    [ "$(grep -c '"family"' "$STATE/owned.json" 2>/dev/null)" -eq 10 ]

# --- list: byte-for-byte what ipvsadm -Ln prints --------------------------------------------
run list1 list
check "list exits 0" [ "$rc" -eq 0 ]
ipvsadm -Ln > "$WORK/ipvsadm.out"  # no <(...): the VM has no /dev/fd
if diff -u "$WORK/ipvsadm.out" "$WORK/list1.out" > "$WORK/list.diff"; then
    pass "lvsctl list is identical to ipvsadm -Ln"
else
    fail "lvsctl list differs from ipvsadm -Ln:"; head -n 30 "$WORK/list.diff"
fi
run liststats list --stats
check "list --stats has ipvsadm's stats title" \
    out_has liststats '^Prot LocalAddress:Port +Conns +InPkts +OutPkts +InBytes +OutBytes$'
run listrate list --rate
check "list --rate has ipvsadm's rate title" \
    out_has listrate '^Prot LocalAddress:Port +CPS +InPPS +OutPPS +InBPS +OutBPS$'
run listjson list --json
check "list --json has 10 services and 20 reals" python3 - "$WORK/listjson.out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
svcs = doc["services"]
sys.exit(0 if len(svcs) == 10 and sum(len(s["destinations"]) for s in svcs) == 20 else 1)
PY

# --- diff and re-apply: nothing differs, zero writes ----------------------------------------
run diff1 diff "$WORK/mail.json" --state-dir "$STATE"
check "diff after apply exits 0" [ "$rc" -eq 0 ]
check "diff after apply prints no operation" [ ! -s "$WORK/diff1.out" ]
run apply2 apply "$WORK/mail.json" --state-dir "$STATE"
check "second apply exits 0" [ "$rc" -eq 0 ]
check "second apply makes 0 writes" out_has apply2 '^applied 0 of 0 operations, 0 writes$'

# --- one weight edited: one write ---------------------------------------------------------
sed '0,/"weight": 50/s//"weight": 60/' "$WORK/mail.json" > "$WORK/weight.json"
before="$(snapshot)"
run dry apply "$WORK/weight.json" --dry-run --state-dir "$STATE"
check "apply --dry-run exits 0 and writes nothing" [ "$rc" -eq 0 ]
check "apply --dry-run leaves the table as it was" [ "$(snapshot)" = "$before" ]
run diff2 diff "$WORK/weight.json" --state-dir "$STATE"
check "diff with one weight edited exits 1" [ "$rc" -eq 1 ]
# research pool: 203.0.113.12 serves 25, 110, 995, 143, 993, so 5 services change
check "diff shows the edits as weight 50 -> 60" \
    [ "$(grep -c 'weight 50 -> 60' "$WORK/diff2.out")" -eq 5 ]
check "diff shows only edits (no delete, no add)" [ "$(grep -Ec '^(add|delete)' "$WORK/diff2.out")" -eq 0 ]
# one real in one service only: 5 writes would not prove "one"; edit a single service next
python3 - "$WORK/mail.json" "$WORK/one.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
# give research-imap its own inline reals so one weight edit touches one service per port
svc = next(s for s in doc["services"] if s["name"] == "research-imap")
svc["ports"] = [143]
del svc["pool"]
svc["reals"] = [dict(r) for r in doc["pools"]["research"]["reals"]]
doc["services"].append({"name": "research-imaps", "address": "192.0.2.10", "protocol": "tcp",
                        "port": 993, "scheduler": "fo", "pool": "research"})
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
run apply3 apply "$WORK/one.json" --state-dir "$STATE"
check "restructured descriptor (same table) applies with 0 writes" \
    out_has apply3 '^applied 0 of 0 operations, 0 writes$'
python3 - "$WORK/one.json" "$WORK/one-weight.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
svc = next(s for s in doc["services"] if s["name"] == "research-imap")
svc["reals"][1]["weight"] = 75
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
run diff3 diff "$WORK/one-weight.json" --state-dir "$STATE"
check "diff with one real's weight edited exits 1" [ "$rc" -eq 1 ]
check "diff prints exactly one operation" [ "$(wc -l < "$WORK/diff3.out")" -eq 1 ]
check "that operation is an edit of 203.0.113.12:143 weight 50 -> 75" \
    out_has diff3 '^edit real 203\.0\.113\.12:143 of tcp 192\.0\.2\.10:143 .*weight 50 -> 75'
run apply4 apply "$WORK/one-weight.json" --state-dir "$STATE"
check "apply of one weight edit exits 0" [ "$rc" -eq 0 ]
check "apply of one weight edit is exactly 1 write" out_has apply4 '^applied 1 of 1 operations, 1 write$'
check "ipvsadm shows the new weight" \
    grep -Eq -- '-> 203\.0\.113\.12:143 +Masq +75 ' <<< "$(ipvsadm -Ln -t 192.0.2.10:143)"
run diff4 diff "$WORK/one-weight.json" --state-dir "$STATE"
check "diff after the edit exits 0" [ "$rc" -eq 0 ]

# --- a foreign service is left alone unless --prune -------------------------------------------
ipvsadm -A -t 192.0.2.99:80 -s wlc
ipvsadm -a -t 192.0.2.99:80 -r 198.51.100.80:80 -m -w 3
run diff5 diff "$WORK/one-weight.json" --state-dir "$STATE"
check "diff ignores a service added with ipvsadm (exit 0)" [ "$rc" -eq 0 ]
check "diff notes the foreign service" err_has diff5 'tcp 192\.0\.2\.99:80'
run apply5 apply "$WORK/one-weight.json" --state-dir "$STATE"
check "apply leaves the foreign service (0 writes)" out_has apply5 '^applied 0 of 0 operations, 0 writes$'
check "the foreign service is still there" ipvsadm -Ln -t 192.0.2.99:80
run diff6 diff "$WORK/one-weight.json" --state-dir "$STATE" --prune
check "diff --prune exits 1" [ "$rc" -eq 1 ]
check "diff --prune plans the foreign real's and service's deletion" \
    [ "$(grep -Ec '^delete (real 198\.51\.100\.80:80 from|service) tcp 192\.0\.2\.99:80' "$WORK/diff6.out")" -eq 2 ]
run apply6 apply "$WORK/one-weight.json" --state-dir "$STATE" --prune
check "apply --prune exits 0 with 2 writes" out_has apply6 '^applied 2 of 2 operations, 2 writes$'
check "the foreign service is gone" bash -c '! ipvsadm -Ln -t 192.0.2.99:80 >/dev/null 2>&1'

# --- a service removed from the descriptor is deleted ------------------------------------------
python3 - "$WORK/one-weight.json" "$WORK/removed.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
svc = next(s for s in doc["services"] if s["name"] == "research-mail")
svc["ports"] = [25, 110]
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
run apply7 apply "$WORK/removed.json" --state-dir "$STATE"
check "apply without 192.0.2.10:995 exits 0" [ "$rc" -eq 0 ]
check "it deletes both reals, then the service: 3 writes" out_has apply7 '^applied 3 of 3 operations, 3 writes$'
check "it reports the deletion" out_has apply7 '^delete service tcp 192\.0\.2\.10:995$'
check "ipvsadm no longer has 192.0.2.10:995" bash -c '! ipvsadm -Ln -t 192.0.2.10:995 >/dev/null 2>&1'
check "the ownership record dropped it" python3 - "$STATE/owned.json" <<'PY'
import json, sys
owned = json.load(open(sys.argv[1]))["services"]
gone = [k for k in owned if k.get("address") == "192.0.2.10" and k.get("port") == 995]
sys.exit(0 if not gone and len(owned) == 9 else 1)
PY

# --- an invalid descriptor changes nothing ---------------------------------------------------
before="$(snapshot)"
sed 's/"weight": 100/"weight": "heavy"/' "$WORK/mail.json" > "$WORK/invalid.json"
run bad apply "$WORK/invalid.json" --state-dir "$STATE"
check "apply of an invalid descriptor exits 2" [ "$rc" -eq 2 ]
check "it names the file, line and pointer of a problem" err_has bad 'invalid\.json:[0-9]+:[0-9]+: /'
check "it says nothing changed" err_has bad 'nothing changed'
check "the table is unchanged" [ "$(snapshot)" = "$before" ]
run baddiff diff "$WORK/invalid.json" --state-dir "$STATE"
check "diff of an invalid descriptor exits 2" [ "$rc" -eq 2 ]

# --- a second writer of the same table is refused ---------------------------------------------
before="$(snapshot)"
flock "$STATE/owned.json.lock" "$LVSCTL" apply "$WORK/weight.json" --state-dir "$STATE" \
    > "$WORK/locked.out" 2> "$WORK/locked.err"
rc=$?
check "apply while another writer holds the table's lock exits 2" [ "$rc" -eq 2 ]
check "it says who holds it" err_has locked 'held by another process'
check "the table is unchanged" [ "$(snapshot)" = "$before" ]

# --- --netns: a separate table in a named namespace --------------------------------------------
ip netns add "$NS"
# With lo down a fresh namespace has no local routing table, and the kernel then
# refuses IPv4 reals (EINVAL from its address-type check).
ip -n "$NS" link set lo up
before="$(snapshot)"
run ns1 apply "$WORK/mail.json" --netns "$NS" --state-dir "$STATE"
check "apply --netns exits 0 with 30 writes" out_has ns1 '^applied 30 of 30 operations, 30 writes$'
check "the namespace's table has the 10 services" \
    [ "$(ip netns exec "$NS" ipvsadm -Ln | grep -Ec '^TCP ')" -eq 10 ]
check "the root namespace's table is untouched" [ "$(snapshot)" = "$before" ]
check "the namespace has its own ownership record" [ -s "$STATE/owned.netns-$NS.json" ]
run ns2 diff "$WORK/mail.json" --netns "$NS" --state-dir "$STATE"
check "diff --netns exits 0" [ "$rc" -eq 0 ]
run ns3 list --netns "$NS"
ip netns exec "$NS" ipvsadm -Ln > "$WORK/ns-ipvsadm.out"
if diff -u "$WORK/ns-ipvsadm.out" "$WORK/ns3.out" > "$WORK/ns.diff"; then
    pass "lvsctl list --netns is identical to ipvsadm -Ln in the namespace"
else
    fail "lvsctl list --netns differs from ipvsadm -Ln in the namespace:"; head -n 30 "$WORK/ns.diff"
fi
run ns4 list --netns no-such-namespace
check "list --netns of a missing namespace exits 2" [ "$rc" -eq 2 ]

echo "lvsctl kernel test: $failures failure(s)"
[ "$failures" -eq 0 ]
