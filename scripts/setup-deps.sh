#!/usr/bin/env bash
# Installs every build and test dependency from Debian's archive.
# Idempotent and non-interactive; safe to run before every build.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libnl-3-dev libnl-genl-3-dev nlohmann-json3-dev libvalijson-dev
  libcli11-dev catch2 libssl-dev libsystemd-dev
  clang libclang-rt-14-dev
  qemu-system-x86 busybox-static kmod cpio iproute2 ipvsadm
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-deps: run as root (installs Debian packages)" >&2
  exit 2
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup-deps: all dependencies present"
