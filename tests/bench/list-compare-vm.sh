#!/bin/bash
# List and re-apply speed of one or more lvsctl builds against `ipvsadm -Ln`, in one VM
# run, 3 rounds, alternating (a loaded host skews single runs: compare within a round).
# Prints wall/user/sys per command, and whether each `lvsctl list` equals `ipvsadm -Ln`.
#
#   python3 tests/bench/gen_bench.py DIR --services 10000 --dests 4
#   tests/vm/vm-run --timeout 1200 -- env DATA=DIR [STRACE=1] \
#       tests/bench/list-compare-vm.sh LVSCTL [LVSCTL...]
# The first binary applies DIR/desc.json to the root namespace's table. A binary whose
# name contains O0 (unoptimised) is not timed on re-apply (~100 s at 10k services).
set -u
[ -r /proc/net/ip_vs ] || { echo "list-compare-vm: no IPVS in this kernel: run through tests/vm/vm-run" >&2; exit 2; }
B="${DATA:?set DATA to the gen_bench.py output dir}"; W=/tmp/pb; mkdir -p $W
cp $B/desc.json $W/; cp $(command -v ipvsadm) $W/ipvsadm
bins=()
for f in "$@"; do cp "$f" $W/$(basename $f); bins+=($(basename $f)); done
ip link set lo up
cd $W
for b in ipvsadm "${bins[@]}"; do ./$b --help >/dev/null 2>&1; done
T() { local label="$1"; shift; /usr/bin/time -f "$label %e s (user %U sys %S)" "$@" 2>&1 >/dev/null | tail -1; }
# build the table with the first binary (lvsctl apply owns it, so re-apply is zero-write)
mkdir -p $W/state
/usr/bin/time -f "build table: %e s" ./${bins[0]} apply $W/desc.json --state-dir $W/state > $W/apply.out 2>&1; tail -2 $W/apply.out
echo "services: $(./ipvsadm -Ln | grep -c '^TCP'), dests: $(./ipvsadm -Ln | grep -c -- '->' )"
for r in 1 2 3; do
  echo "--- round $r"
  T "ipvsadm -v" ./ipvsadm -v
  for b in "${bins[@]}"; do T "$b --help" ./$b --help; done
  T "ipvsadm -Ln" ./ipvsadm -Ln
  for b in "${bins[@]}"; do
    T "$b list --json" ./$b list --json
    T "$b list" ./$b list
    [[ $b == *O0* ]] || T "$b re-apply" ./$b apply $W/desc.json --state-dir $W/state --json
  done
  T "ipvsadm -Ln" ./ipvsadm -Ln
done
for b in "${bins[@]}"; do ./$b list > $W/$b.txt; done
./ipvsadm -Ln > $W/ipvsadm.txt
for b in "${bins[@]}"; do cmp -s $W/ipvsadm.txt $W/$b.txt && echo "$b list == ipvsadm -Ln" || { echo "$b list differs"; diff $W/ipvsadm.txt $W/$b.txt | head -5; }; done
if [ -n "${STRACE:-}" ]; then
  strace -c -o $W/st1 ./ipvsadm -Ln >/dev/null; echo "strace ipvsadm:"; head -12 $W/st1
  strace -c -o $W/st2 ./${bins[-1]} list --json >/dev/null; echo "strace ${bins[-1]}:"; head -12 $W/st2
fi
