#!/usr/bin/env bash
# The product doing its job: installs dependencies, builds lvsd and lvsctl, boots the
# IPVS VM (tests/vm) and runs the reference mail cluster under a steady mail load through
# each maintenance step (tests/cluster/cluster-vm.sh, the same run as the kernel test
# kernel_cluster), narrating what it measured. Ends with a table (step, sessions, failed,
# worst latency) and writes table.txt, chart.png (sessions per real server over time,
# steps marked), figures.json and the raw sessions into one folder it names.
#   scripts/demo.sh [OUTPUT_FOLDER]      default: demo-out/<date-time> in the clone
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-demo-out/$(date +%Y%m%d-%H%M%S)}"

bash scripts/setup-deps.sh
echo "demo: building lvsd and lvsctl"
# An existing build tree is only built: cmake --build configures again itself when a
# CMakeLists.txt changed (a fresh configure costs 10 s on a busy 2-core host).
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLVS_WERROR=ON > /dev/null
cmake --build build -j"$(nproc)" --target lvsd lvsctl > /dev/null
mkdir -p "$out"
out="$(cd "$out" && pwd)"
echo "demo: booting the VM (QEMU, Debian's kernel with IPVS) and running the cluster; figures go to $out"
start=$(date +%s)
set +e
tests/vm/vm-run --timeout 900 --mem 2048 --smp 2 --export "$out" -- \
    tests/cluster/cluster-vm.sh "$PWD/build/daemon/lvsd" "$PWD/build/lvsctl/lvsctl" | tee "$out/run.log"
rc=${PIPESTATUS[0]}
set -e
echo
if [ -s "$out/steps.jsonl" ]; then
    python3 tests/cluster/report.py table "$out" | tee "$out/table.txt"
    if python3 tests/cluster/report.py chart "$out" && gnuplot "$out/chart.gp"; then
        echo "demo: chart $out/chart.png"
    else
        echo "demo: no chart (gnuplot failed)" >&2
    fi
fi
echo "demo: $(( $(date +%s) - start )) s from boot to the end; figures, logs and raw sessions in $out"
[ "$rc" -eq 0 ] || echo "demo: some checks FAILED (exit $rc): see $out/run.log" >&2
exit "$rc"
