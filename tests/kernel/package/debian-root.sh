#!/bin/bash
# Prints the path of a clean Debian 12 root (debootstrap, minbase) for the package test,
# building it once into the VM cache: $LVS_VM_CACHE/debian12-root-<recipe hash>/root.
# It holds what the package test needs offline inside the VM: systemd, ipvsadm and
# keepalived (the package must install beside them), man-db (the man pages are rendered),
# bash-completion, and the shared libraries lvsd and lvsctl link (dpkg-shlibdeps' list).
# Built under flock in a temporary folder renamed into place, so concurrent runs build
# once and an interrupted build leaves nothing half-made. Needs root and the network
# (deb.debian.org, or $LVS_DEBIAN_MIRROR); measured: about 2 minutes, 340 MB.
set -euo pipefail
CACHE=${LVS_VM_CACHE:-/var/cache/lvs-vm}
MIRROR=${LVS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
INCLUDE=systemd,ipvsadm,keepalived,man-db,bash-completion,kmod,iproute2,libnl-3-200,libnl-genl-3-200,libnl-route-3-200,libssl3,libsystemd0,libstdc++6,libgcc-s1,libnftables1
die() { echo "debian-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap)"
command -v debootstrap > /dev/null || die "debootstrap is missing (scripts/setup-deps.sh installs it)"
# What the root is made of; a change here (or to the steps below: bump RECIPE) builds a
# new root, and the old ones are deleted.
RECIPE="minbase, no .debs kept, apt-cache gencaches"
hash=$(printf '%s\n' "$SUITE" "$INCLUDE" "$RECIPE" | sha256sum | cut -c1-12)
dest=$CACHE/debian12-root-$hash
mkdir -p "$CACHE" || die "cannot create $CACHE (set LVS_VM_CACHE)"
exec 9> "$CACHE/debian12-root.lock"
flock 9
if [ ! -e "$dest/done" ]; then
    tmp=$(mktemp -d "$CACHE/.debian12-root-XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "debian-root: building $dest (debootstrap $SUITE from $MIRROR, about 2 minutes)" >&2
    start=$(date +%s)
    if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp/root" "$MIRROR" > "$tmp/debootstrap.log" 2>&1; then
        tail -n 20 "$tmp/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    fi
    # The downloaded .debs are not needed again.
    rm -f "$tmp"/root/var/cache/apt/archives/*.deb
    # apt's cache of the installed packages, made here once: apt-get in the VM would
    # otherwise spend a minute of emulated CPU making it.
    chroot "$tmp/root" apt-cache gencaches > /dev/null 2>&1 || die "apt-cache gencaches failed in the new root"
    echo "$(( $(date +%s) - start )) s" > "$tmp/done"
    mv "$tmp" "$dest"
    trap - EXIT
    for old in "$CACHE"/debian12-root-*; do
        [ "$old" = "$dest" ] || rm -rf "$old"
    done
    echo "debian-root: built in $(cat "$dest/done")" >&2
fi
echo "$dest/root"
