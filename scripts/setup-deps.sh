#!/usr/bin/env bash
# Installs every build and test dependency from Debian's archive.
# Idempotent and non-interactive; safe to run before every build.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libnl-3-dev libnl-genl-3-dev libnl-route-3-dev nlohmann-json3-dev libvalijson-dev
  libcli11-dev catch2 libssl-dev libsystemd-dev
  # lvsd's takeover grace (ha.sync.takeover_grace_ms) programs nftables; nft inspects it in tests.
  libnftables-dev nftables
  clang libclang-rt-14-dev
  qemu-system-x86 busybox-static kmod cpio iproute2 ipvsadm
  # kernel_systemd_unit runs packaging/lvsd.service under systemd inside the VM.
  systemd procps util-linux
  # The HA netns tests ping a VIP after it moved.
  iputils-ping
  # packaging_test renders the man pages; kernel_debian_package builds a Debian 12 root
  # (debootstrap) to install the package in, and the package with cpack (dpkg-dev).
  groff-base debootstrap dpkg-dev
)
# Mail servers and keepalived are test peers: the tests start private instances of them
# (tests/support/realservers); the system-wide services stay stopped (see the end).
PKGS+=(dovecot-imapd dovecot-pop3d postfix keepalived openssl ssl-cert)
# lvsd's metrics are scraped with curl and parsed with Prometheus's own text parser.
PKGS+=(curl python3-prometheus-client)
# scripts/demo.sh draws its chart with gnuplot.
PKGS+=(gnuplot-nox)
# The mail cluster (tests/cluster) can keep its Maildir on NFS (LVS_CLUSTER_NFS=1): the kernel's nfsd inside the
# VM, run with these tools (exportfs, rpc.mountd, rpc.nfsd, mount.nfs4); host services stay off.
PKGS+=(nfs-kernel-server nfs-common)

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

# rpcbind comes with nfs-common; noted before, so a host's own rpcbind is left running.
rpcbind_before=$(dpkg-query -W -f='${Status}' rpcbind 2>/dev/null || true)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No system-wide mail configuration: the tests write their own main.cf.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A package may have started its system service (and enabled it for boot). The tests never
# use them and they could hold ports or VRRP addresses: stop and disable them.
# The NFS services only when this run installed them: a host that serves or mounts NFS
# itself keeps its own.
nfs_svcs=""
case " ${missing[*]:-} " in *" nfs-kernel-server "*) nfs_svcs="nfs-kernel-server nfs-server" ;; esac
case " ${missing[*]:-} " in *" nfs-common "*) nfs_svcs="$nfs_svcs nfs-common" ;; esac
case $rpcbind_before in *"install ok installed"*) ;; *) nfs_svcs="$nfs_svcs rpcbind rpcbind.socket" ;; esac
for svc in dovecot postfix keepalived $nfs_svcs; do
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
echo "setup-deps: all dependencies present"
