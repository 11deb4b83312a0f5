#!/bin/bash
# IPVS benchmarks (issue 3): lvsctl against ipvsadm on the same table, in one VM run,
# printed as ratios (TCG speed varies between machines; only ratios compare).
#
#   ipvs-bench.sh [--lvsctl PATH] [--services N] [--dests N] [--repeat N] [--timeout S]
#
# Run on the host, it generates the inputs (gen_bench.py) under the working directory
# and re-runs itself inside the VM through tests/vm/vm-run. Inside the VM:
#   (a) apply N services x D destinations to an empty table: ipvsadm -R vs lvsctl apply
#       (each in a fresh network namespace, so neither pays for the other's leftovers;
#       the two resulting tables must be identical in ipvsadm -Sn);
#   (b) re-apply the same descriptor: must make zero writes; timed against ipvsadm -Ln;
#   (c) one weight changed: must make exactly one write;
#   (d) lvsctl list --json vs ipvsadm -Ln of that table.
# Exits non-zero when a write count is wrong, a command fails or the tables differ;
# the speed ratios are reported, never asserted.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lvsctl="" services=10000 dests=4 repeat=1 timeout_s=2400 inside=0 data=""

die() { echo "ipvs-bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --lvsctl) lvsctl="$2"; shift 2 ;;
        --services) services="$2"; shift 2 ;;
        --dests) dests="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        --inside) inside=1; data="$2"; shift 2 ;;
        *) die "unknown argument $1" ;;
    esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "--repeat wants a positive count"

# --- host side: generate, then run inside the VM -----------------------------------
if [ "$inside" = 0 ]; then
    if [ -z "$lvsctl" ]; then
        for c in "${LVS_BINARY_DIR:-}/lvsctl/lvsctl" "$PWD/lvsctl/lvsctl"; do
            [ -x "$c" ] && { lvsctl="$c"; break; }
        done
    fi
    [ -n "$lvsctl" ] && [ -x "$lvsctl" ] || die "no lvsctl binary (build the lvsctl target, or pass --lvsctl PATH)"
    lvsctl="$(realpath "$lvsctl")"
    data="$PWD/ipvs-bench-data/${services}x${dests}"
    echo "ipvs-bench: generating ${services} services x ${dests} destinations in $data"
    python3 "$here/gen_bench.py" "$data" --services "$services" --dests "$dests" \
        || die "generating the inputs failed"
    exec "$here/../vm/vm-run" --timeout "$timeout_s" -- \
        "$here/ipvs-bench.sh" --inside "$data" --lvsctl "$lvsctl" --repeat "$repeat"
fi

# --- inside the VM -------------------------------------------------------------------
[ -r /proc/net/ip_vs ] || die "no IPVS in this kernel: run through tests/vm/vm-run"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Inputs and both tools on tmpfs, so neither reads its input through 9p while timed.
work=/tmp/ipvs-bench
mkdir -p "$work/bin"
cp "$data"/desc.json "$data"/desc-weight.json "$data"/ipvsadm.rules "$work/" || die "cannot copy inputs"
cp "$lvsctl" "$work/bin/lvsctl" && cp "$(command -v ipvsadm)" "$work/bin/ipvsadm" || die "cannot copy the tools"
LVSCTL="$work/bin/lvsctl" IPVSADM="$work/bin/ipvsadm"
"$LVSCTL" --help > /dev/null; "$IPVSADM" -v > /dev/null   # warm the libraries' pages

namespaces=()
cleanup() { local n; for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT
fresh_ns() {  # a new namespace = a new, empty IPVS table
    ip netns add "$1" || die "ip netns add $1"
    namespaces+=("$1")
    # Without lo up a fresh namespace has no local routing table, and IPVS then refuses
    # every destination (inet_addr_type is not unicast): EINVAL.
    ip -n "$1" link set lo up
    ip netns exec "$1" "$IPVSADM" -C
}
in_ns() { local n="$1"; shift; ip netns exec "$n" "$@"; }

# elapsed_ms VAR cmd...: run cmd, store its wall time in ms in VAR, return its status.
elapsed_ms() {
    local var="$1"; shift
    local start end rc
    start=$(date +%s%N)
    "$@"; rc=$?
    end=$(date +%s%N)
    printf -v "$var" '%d' $(( (end - start) / 1000000 ))
    return $rc
}
min() { local m="$1"; shift; for v in "$@"; do [ "$v" -lt "$m" ] && m="$v"; done; echo "$m"; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.3f s", ms / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.2f", a / b }'; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

apply_lvsctl() {  # ns state-dir descriptor report-file [--json]
    in_ns "$1" "$LVSCTL" apply "$3" --state-dir "$2" "${@:5}" > "$4" 2> "$4.err"
}

services="$(grep -c '^-A' "$work/ipvsadm.rules")"
dests=$(( $(grep -c '^-a' "$work/ipvsadm.rules") / services ))
echo "ipvs-bench: $(wc -l < "$work/ipvsadm.rules") ipvsadm commands; $services services x $dests destinations; kernel $(uname -r); repeat $repeat"

# (a) apply to an empty table
ta_ipvsadm=() ta_lvsctl=()
for r in $(seq "$repeat"); do
    fresh_ns "bench-ipvsadm-$r"
    elapsed_ms t in_ns "bench-ipvsadm-$r" "$IPVSADM" -R < "$work/ipvsadm.rules" 2> "$work/ipvsadm-R.err" \
        || { fail "(a) ipvsadm -R failed:"; sort "$work/ipvsadm-R.err" | uniq -c | head -n 5; }
    ta_ipvsadm+=("$t")
    fresh_ns "bench-lvsctl-$r"
    mkdir -p "$work/state-$r"
    elapsed_ms t apply_lvsctl "bench-lvsctl-$r" "$work/state-$r" "$work/desc.json" "$work/apply-a-$r.out" \
        || { fail "(a) lvsctl apply failed:"; tail -n 5 "$work/apply-a-$r.out" "$work/apply-a-$r.out.err"; }
    ta_lvsctl+=("$t")
    echo "(a) run $r: ipvsadm -R $(secs "${ta_ipvsadm[-1]}"), lvsctl apply $(secs "$t")"
done
echo "(a) lvsctl apply reported: $(tail -n 1 "$work/apply-a-1.out")"
ns=bench-lvsctl-1 state="$work/state-1"
# The two tables must be the same, or the times compare different work.
in_ns bench-ipvsadm-1 "$IPVSADM" -Sn | sort > "$work/table-ipvsadm.txt"
in_ns "$ns" "$IPVSADM" -Sn | sort > "$work/table-lvsctl.txt"
if cmp -s "$work/table-ipvsadm.txt" "$work/table-lvsctl.txt"; then
    echo "(a) tables identical: $(wc -l < "$work/table-lvsctl.txt") lines of ipvsadm -Sn"
else
    fail "(a) the table lvsctl applied differs from ipvsadm -R's:"
    diff "$work/table-ipvsadm.txt" "$work/table-lvsctl.txt" | head -n 10
fi
[ "$(wc -l < "$work/table-lvsctl.txt")" = "$(wc -l < "$work/ipvsadm.rules")" ] \
    || fail "(a) expected $(wc -l < "$work/ipvsadm.rules") entries, ipvsadm -Sn shows $(wc -l < "$work/table-lvsctl.txt")"

# (b) re-apply the same descriptor, against one ipvsadm -Ln
tb_reapply=() tb_ln=()
for r in $(seq "$repeat"); do
    elapsed_ms t apply_lvsctl "$ns" "$state" "$work/desc.json" "$work/apply-b.json" --json \
        || { fail "(b) lvsctl apply failed"; cat "$work/apply-b.json.err"; }
    tb_reapply+=("$t")
    writes="$(json_field "$work/apply-b.json" writes 2>/dev/null)"
    total="$(json_field "$work/apply-b.json" total 2>/dev/null)"
    [ "$writes" = 0 ] && [ "$total" = 0 ] \
        || fail "(b) re-apply made ${writes:-?} writes for ${total:-?} operations; expected 0"
    elapsed_ms t in_ns "$ns" "$IPVSADM" -Ln > /dev/null || fail "(b) ipvsadm -Ln failed"
    tb_ln+=("$t")
    echo "(b) run $r: re-apply $(secs "${tb_reapply[-1]}") with ${writes:-?} writes, ipvsadm -Ln $(secs "$t")"
done

# (c) one weight changed
elapsed_ms tc apply_lvsctl "$ns" "$state" "$work/desc-weight.json" "$work/apply-c.json" --json \
    || { fail "(c) lvsctl apply failed"; cat "$work/apply-c.json.err"; }
writes_c="$(json_field "$work/apply-c.json" writes 2>/dev/null)"
total_c="$(json_field "$work/apply-c.json" total 2>/dev/null)"
[ "$writes_c" = 1 ] && [ "$total_c" = 1 ] \
    || fail "(c) one weight change made ${writes_c:-?} writes for ${total_c:-?} operations; expected 1"
in_ns "$ns" "$IPVSADM" -Sn | grep -q -- '-r 203.0.113.[0-9]*:[0-9]* -m -w 10[0-9]$' \
    || fail "(c) the changed weight is not in the kernel"
echo "(c) one weight changed: apply $(secs "$tc") with ${writes_c:-?} writes"

# For reading the figures: program start-up, and how much of an apply is loading and
# validating the descriptor (no kernel access).
elapsed_ms t_start_lvsctl "$LVSCTL" --help > /dev/null
elapsed_ms t_start_ipvsadm "$IPVSADM" -v > /dev/null
elapsed_ms t_validate "$LVSCTL" validate "$work/desc.json" > /dev/null || fail "lvsctl validate failed"

# (d) list the table
td_json=() td_ln=()
for r in $(seq "$repeat"); do
    elapsed_ms t in_ns "$ns" "$LVSCTL" list --json > "$work/list.json" || fail "(d) lvsctl list --json failed"
    td_json+=("$t")
    elapsed_ms t in_ns "$ns" "$IPVSADM" -Ln > /dev/null || fail "(d) ipvsadm -Ln failed"
    td_ln+=("$t")
    echo "(d) run $r: lvsctl list --json $(secs "${td_json[-1]}"), ipvsadm -Ln $(secs "$t")"
done
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/list.json" 2>/dev/null \
    || fail "(d) lvsctl list --json did not print valid JSON"

a_ip=$(min "${ta_ipvsadm[@]}") a_lv=$(min "${ta_lvsctl[@]}")
b_re=$(min "${tb_reapply[@]}") b_ln=$(min "${tb_ln[@]}")
d_js=$(min "${td_json[@]}") d_ln=$(min "${td_ln[@]}")
ln_all=$(min "$b_ln" "$d_ln")
echo
echo "=== IPVS benchmark: $services services x $dests destinations (best of $repeat, TCG VM) ==="
printf '(a) apply to empty table: ipvsadm -R %s, lvsctl apply %s -> speed-up %sx (target >= 2x, aim 5x)\n' \
    "$(secs "$a_ip")" "$(secs "$a_lv")" "$(ratio "$a_ip" "$a_lv")"
printf '(b) re-apply, %s writes: lvsctl apply %s, one ipvsadm -Ln %s -> re-apply takes %sx one ipvsadm -Ln\n' \
    "${writes:-?}" "$(secs "$b_re")" "$(secs "$b_ln")" "$(ratio "$b_re" "$b_ln")"
printf '(c) one weight changed: %s write(s), lvsctl apply %s (%sx one ipvsadm -Ln)\n' \
    "${writes_c:-?}" "$(secs "$tc")" "$(ratio "$tc" "$ln_all")"
printf '(d) list: lvsctl list --json %s, ipvsadm -Ln %s -> speed-up %sx (aim >= 2x)\n' \
    "$(secs "$d_js")" "$(secs "$d_ln")" "$(ratio "$d_ln" "$d_js")"
printf 'context: lvsctl validate (load + schema + semantic checks, no kernel) %s; start-up: lvsctl --help %s, ipvsadm -v %s\n' \
    "$(secs "$t_validate")" "$(secs "$t_start_lvsctl")" "$(secs "$t_start_ipvsadm")"
if [ "$a_lv" -gt "$t_validate" ]; then
    printf '    (a) without the validation time: lvsctl %s -> speed-up %sx over ipvsadm -R\n' \
        "$(secs $((a_lv - t_validate)))" "$(ratio "$a_ip" $((a_lv - t_validate)))"
fi
echo "raw ms: a_ipvsadm=${ta_ipvsadm[*]} a_lvsctl=${ta_lvsctl[*]} b_reapply=${tb_reapply[*]} b_ipvsadm_Ln=${tb_ln[*]} c_apply=$tc d_list_json=${td_json[*]} d_ipvsadm_Ln=${td_ln[*]}"

if [ "$failures" -ne 0 ]; then
    echo "ipvs-bench: $failures check(s) failed"
    exit 1
fi
echo "ipvs-bench: all checks passed"
