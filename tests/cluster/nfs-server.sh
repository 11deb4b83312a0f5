#!/bin/bash
# The cluster's mail storage: the kernel's NFS server exporting one folder over NFSv4
# only (no rpcbind, no statd, no lockd traffic: locks are part of NFSv4).
#   ip netns exec NS nfs-server.sh EXPORT_DIR CLIENTS
# Runs until SIGTERM, then stops nfsd. nfsd is per network namespace, so everything
# here runs inside NS: its nfsd filesystem, exportfs, rpc.mountd (answers the kernel's
# export lookups) and rpc.nfsd. `ip netns exec` gave this process its own mount
# namespace, so the mounts below stay private to it. EXPORT_DIR must be a filesystem
# with no UUID of its own (a tmpfs): the export gives it fsid=0, the NFSv4 root, so a
# client mounts SERVER:/ . CLIENTS: who may mount it (an address or network).
set -u
EXPORT="${1:?usage: nfs-server.sh EXPORT_DIR CLIENTS}"
CLIENTS="${2:?usage: nfs-server.sh EXPORT_DIR CLIENTS}"
mountd_pid=""
stop() {
    rpc.nfsd 0
    exportfs -ua
    [ -n "$mountd_pid" ] && kill "$mountd_pid" 2>/dev/null
    echo "nfs-server: stopped"
    exit 0
}
trap stop TERM INT
fatal() { echo "nfs-server: error: $*"; exit 1; }

# exportfs and rpc.mountd keep their tables in /var/lib/nfs (read-only in the VM).
mount -t tmpfs -o mode=0755 tmpfs /var/lib/nfs || fatal "cannot mount a tmpfs on /var/lib/nfs"
touch /var/lib/nfs/etab /var/lib/nfs/rmtab
mount -t nfsd nfsd /proc/fs/nfsd || fatal "cannot mount the nfsd filesystem (is the nfsd module loaded?)"
# no_root_squash: the test's set-up (root) gives the mail folders to the mail user through
# the mounts; mail itself is written as uid mail.
exportfs -o rw,sync,no_subtree_check,no_root_squash,fsid=0 "$CLIENTS:$EXPORT" || fatal "exportfs $CLIENTS:$EXPORT"
rpc.mountd --foreground --no-nfs-version 2 --no-nfs-version 3 &
mountd_pid=$!
# A 10 s grace period (the default 90 s would hold back the first opens: nothing here
# restarts, so no client has state to reclaim). The lease stays 90 s: a client the busy
# VM keeps from renewing a shorter one loses its locks and opens (Dovecot errors).
rpc.nfsd --no-nfs-version 3 --nfs-version 4 --no-udp --grace-time 10 4 ||
    fatal "rpc.nfsd did not start"
echo "nfs-server: exporting $EXPORT to $CLIENTS (NFS versions: $(cat /proc/fs/nfsd/versions))"
while :; do sleep 1 & wait $!; done
