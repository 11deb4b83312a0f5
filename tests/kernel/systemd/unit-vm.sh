#!/bin/bash
# kernel test (in the VM): packaging/lvsd.service under a real systemd. systemd runs as
# PID 1 of a new PID and mount namespace (container mode) with the unit as shipped plus
# a drop-in that points ExecStart at the built lvsd and a test descriptor. Checks that
# the hardened unit starts (Type=notify), that lvsd may write the IPVS sysctls through
# ProtectKernelTunables + ReadWritePaths, programs the table, answers lvsctl on
# /run/lvsd/control.sock, drains and enables, reloads on `systemctl reload`, and leaves
# the table in place on stop.
#   unit-vm.sh LVSD LVSCTL SCHEMA UNIT
set -uo pipefail
LVSD=$1 LVSCTL=$2 SCHEMA=$3 UNIT=$4
[ "${LVS_IN_VM:-}" = 1 ] || { echo "FAIL: run me inside tests/vm/vm-run"; exit 1; }
fail() { echo "FAIL: systemd unit: $*"; exit 1; }
T=/run/lvs-test
sd=""
cleanup() {
    [ -n "$sd" ] && kill -TERM "$sd" 2>/dev/null
    [ -n "$sd" ] && for _ in $(seq 50); do kill -0 "$sd" 2>/dev/null || break; sleep 0.2; done
    [ -n "$sd" ] && kill -KILL "$sd" 2>/dev/null
    ipvsadm -C 2>/dev/null
}
trap cleanup EXIT

mkdir -p "$T" /run/systemd/system/lvsd.service.d
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2"
cp "$UNIT" /run/systemd/system/lvsd.service
cat > /run/systemd/system/lvsd.service.d/test.conf <<EOT
[Service]
ExecStart=
ExecStart=$LVSD --config $T/cluster.json --schema $SCHEMA --state-dir /var/lib/lvsd --control-socket /run/lvsd/control.sock
StandardError=append:$T/lvsd.log
EOT
cat > /run/systemd/system/lvs-test.target <<'EOT'
[Unit]
Description=lvsd unit test
Wants=lvsd.service
EOT
# Nothing here brings a network online: do not wait for it.
ln -sf /dev/null /run/systemd/system/network-online.target
cat > "$T/cluster.json" <<'EOT'
{
  "cluster": "unit-test",
  "nodes": [{ "name": "lb1", "address": "198.51.100.11", "priority": 100 }],
  "services": [
    {
      "name": "smtp", "address": "192.0.2.25", "protocol": "tcp", "port": 25, "scheduler": "rr",
      "reals": [{ "address": "203.0.113.81" }, { "address": "203.0.113.82" }],
      "check": { "type": "tcp", "interval_ms": 1000, "timeout_ms": 500 }
    }
  ],
  "ipvs": { "expire_nodest_conn": true }
}
EOT
echo 0 > /proc/sys/net/ipv4/vs/expire_nodest_conn || fail "cannot reset expire_nodest_conn"

# The read-only host root has no /var/lib/lvsd for StateDirectory=: a tmpfs /var/lib in
# systemd's own mount namespace gives it one.
unshare --pid --fork --mount --mount-proc --propagation private bash -c \
    'mount -t tmpfs tmpfs /var/lib && exec env container=lvs-test /lib/systemd/systemd --unit=lvs-test.target' \
    > "$T/systemd.log" 2>&1 &
upid=$!
for _ in $(seq 150); do sd=$(pgrep -P "$upid" -x systemd) && break; sleep 0.2; done
[ -n "$sd" ] || { cat "$T/systemd.log"; fail "systemd did not start"; }
# -r -w: the root and working directory of systemd (the VM runs us chrooted).
in_sd() { nsenter -t "$sd" -m -p -r -w "$@"; }

state=""
for _ in $(seq 120); do
    state=$(in_sd systemctl is-active lvsd 2>/dev/null)
    [ "$state" = active ] || [ "$state" = failed ] && break
    sleep 1
done
if [ "$state" != active ]; then
    in_sd systemctl status lvsd --no-pager 2>&1 | tail -n 20
    cat "$T/lvsd.log"
    fail "lvsd.service is '$state', not active"
fi
echo "ok: lvsd.service is active (Type=notify: READY came)"

[ "$(cat /proc/sys/net/ipv4/vs/expire_nodest_conn)" = 1 ] ||
    { cat "$T/lvsd.log"; fail "expire_nodest_conn not set: /proc/sys/net/ipv4/vs is not writable in the sandbox"; }
grep -q '^<[0-4]>sysctl:' "$T/lvsd.log" && { cat "$T/lvsd.log"; fail "lvsd reports a sysctl it could not set"; }
echo "ok: the IPVS sysctls were written through ProtectKernelTunables"

ipvsadm -Ln -t 192.0.2.25:25 | grep -q "203.0.113.81:25" || { ipvsadm -Ln; fail "the service is not in the table"; }
echo "ok: the table is programmed"

in_sd "$LVSCTL" status --socket /run/lvsd/control.sock > "$T/status.txt" 2>&1 || { cat "$T/status.txt"; fail "lvsctl status failed"; }
grep -q "203.0.113.81:25" "$T/status.txt" || { cat "$T/status.txt"; fail "status does not show the real"; }
in_sd "$LVSCTL" drain 203.0.113.81 --socket /run/lvsd/control.sock > "$T/drain.txt" 2>&1 || { cat "$T/drain.txt" "$T/lvsd.log"; fail "drain failed"; }
in_sd "$LVSCTL" status --json --socket /run/lvsd/control.sock | grep -q '"drained"' || fail "status does not show the drained real"
in_sd "$LVSCTL" enable 203.0.113.81 --socket /run/lvsd/control.sock > /dev/null 2>&1 || fail "enable failed"
in_sd test -s /var/lib/lvsd/admin.json || { in_sd ls -la /var/lib/lvsd; fail "no admin state in StateDirectory /var/lib/lvsd"; }
echo "ok: lvsctl status, drain and enable over /run/lvsd/control.sock"

in_sd systemctl reload lvsd || fail "systemctl reload failed"
# ExecReload sends SIGHUP and returns: wait for lvsd to say it reloaded (up to 30 s).
for _ in $(seq 60); do grep -q "descriptor: reloaded" "$T/lvsd.log" && break; sleep 0.5; done
grep -q "descriptor: reloaded" "$T/lvsd.log" || { cat "$T/lvsd.log"; fail "the reload did not reach lvsd"; }
[ "$(in_sd systemctl is-active lvsd)" = active ] || fail "lvsd is not active after reload"
echo "ok: systemctl reload reloads the descriptor"

in_sd systemctl stop lvsd || fail "systemctl stop failed"
ipvsadm -Ln -t 192.0.2.25:25 | grep -q "203.0.113.81:25" || fail "stopping lvsd emptied the table"
grep -qi "seccomp\|operation not permitted\|permission denied" "$T/lvsd.log" && { cat "$T/lvsd.log"; fail "lvsd hit the sandbox"; }
echo "ok: stop leaves the table; no sandbox denial in lvsd's log"
echo "--- lvsd's log"; cat "$T/lvsd.log"
echo "PASS: systemd unit"
