#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test tier: unit, netns (real Dovecot and
# Postfix in network namespaces), kernel (real IPVS in a
# QEMU VM), and a bounded fuzzing run of the descriptor loader. Any failure fails the run;
# a tier with no registered tests fails too, so nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${LVS_FUZZ_SECONDS:-60}"

bash scripts/build.sh

for tier in unit netns kernel; do
  n=$(ctest --test-dir build -N -L "^${tier}\$" | sed -n 's/^Total Tests: //p')
  if [ "${n:-0}" -eq 0 ]; then
    echo "test.sh: no tests registered for tier '${tier}'" >&2
    exit 1
  fi
done

# One ctest run for every tier but benchmarks; its last line is the pass/fail count.
ctest --test-dir build --output-on-failure -LE '^bench$' -j2

bash tests/fuzz/run.sh "${FUZZ_SECONDS}"
