#!/bin/sh
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) in their own build folder and
# runs each for a bounded time: the descriptor loader for SECONDS, the VRRP advert parser
# for half of that, the reader of /proc/net/ip_vs_conn and the keepalived.conf importer for a
# quarter each. Exits non-zero on any crash, leak, timeout, out-of-memory or build
# failure.
#   tests/fuzz/run.sh [SECONDS]        (default 60)
# Environment: LVS_FUZZ_BUILD (build folder, default build-fuzz in the source tree).
set -eu
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${LVS_FUZZ_BUILD:-$root/build-fuzz}

for tool in clang clang++ cmake; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz: $tool is not installed (scripts/setup-deps.sh installs clang and libclang-rt-14-dev)" >&2
    exit 1
  fi
done

echo "fuzz: configuring $build with clang"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DLVS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 || {
  cat "$build.configure.log" >&2
  echo "fuzz: configuring the clang build failed" >&2
  exit 1
}
cmake --build "$build" --target descriptor_fuzz vrrp_fuzz connections_fuzz keepalived_fuzz -j2

corpus=$build/fuzz/corpus
artifacts=$build/fuzz/artifacts
mkdir -p "$corpus" "$artifacts"
# Seeds: the examples and the invalid cases, so mutations start from real descriptors.
cp "$root"/schemas/examples/*.json "$corpus"/
cp "$root"/tests/unit/model/invalid/*.json "$corpus"/
# A dictionary of the schema's words (field names and enum values) speeds up discovery.
grep -o '"[A-Za-z0-9_.-]*"' "$root/schemas/cluster.schema.json" | sort -u >"$build/fuzz/descriptor.dict"

# run_fuzzer NAME SECONDS CORPUS ARTIFACT_PREFIX [libFuzzer options...]: exits the script on
# any finding, leaving the reproducer in $artifacts.
run_fuzzer() {
  name=$1 secs=$2 dir=$3 prefix=$4
  shift 4
  echo "fuzz: running $name for ${secs}s"
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/$name" -max_total_time="$secs" -timeout=10 \
      -artifact_prefix="$artifacts/$prefix" -print_final_stats=1 "$@" "$dir" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $name FAILED (exit $status); reproducer in $artifacts" >&2
    ls -l "$artifacts" >&2 || true
    exit 1
  fi
  echo "fuzz: $name, no crash in ${secs}s"
}
quarter=$(( seconds / 4 > 0 ? seconds / 4 : 1 ))

run_fuzzer descriptor_fuzz "$seconds" "$corpus" "" \
  -max_len=65536 -rss_limit_mb=2048 -dict="$build/fuzz/descriptor.dict"

# VRRP adverts: seeds are valid packets (first byte: the envelope mode, see vrrp_fuzz.cpp).
vcorpus=$build/fuzz/vrrp-corpus
mkdir -p "$vcorpus"
cp "$root"/tests/fuzz/vrrp-seeds/* "$vcorpus"/
run_fuzzer vrrp_fuzz $(( seconds / 2 > 0 ? seconds / 2 : 1 )) "$vcorpus" vrrp- \
  -max_len=2048 -rss_limit_mb=1024 -use_value_profile=1

# /proc/net/ip_vs_conn text: seeds are lines of every kind the kernel writes.
ccorpus=$build/fuzz/conn-corpus
mkdir -p "$ccorpus"
cp "$root"/tests/fuzz/conn-seeds/* "$ccorpus"/
run_fuzzer connections_fuzz "$quarter" "$ccorpus" conn- -max_len=8192 -rss_limit_mb=1024

# keepalived.conf import: seeds are keepalived's samples (when installed) and the reference.
kcorpus=$build/fuzz/keepalived-corpus
mkdir -p "$kcorpus"
cp "$root"/tests/kernel/keepalived_import/*.conf "$kcorpus"/
cp /usr/share/doc/keepalived/samples/keepalived.conf.* "$kcorpus"/ 2>/dev/null || true
run_fuzzer keepalived_fuzz "$quarter" "$kcorpus" keepalived- -max_len=16384 -rss_limit_mb=2048
