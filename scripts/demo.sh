#!/usr/bin/env bash
# Installs dependencies, builds, and validates the reference mail-cluster descriptor,
# printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/lvsctl/lvsctl validate schemas/examples/mail-cluster.json
