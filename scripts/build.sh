#!/usr/bin/env bash
# Installs dependencies, then configures and builds the project into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLVS_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
