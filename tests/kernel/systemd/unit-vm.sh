#!/bin/bash
# kernel test (in the VM): packaging/lvsd.service under a real systemd. systemd runs as
# PID 1 of a new PID and mount namespace (container mode) with the unit as shipped plus
# the build's lvsd and lvsctl installed under /run (wherever the build tree is,
# the unit's sandbox could hide it) and the unit's paths moved there. Checks that the
# hardened unit starts (Type=notify), that lvsd may write the IPVS sysctls through
# ProtectKernelTunables + ReadWritePaths, programs the table, answers lvsctl on
# /run/lvsd/control.sock, drains and enables, runs with LimitNOFILE and CAP_NET_ADMIN
# alone, reloads on `systemctl reload`, reports a refused reload as a failed one while
# lvsd keeps the old descriptor, leaves the table in place on stop, and that an invalid
# descriptor fails the start (ExecStartPre, RestartPreventExitStatus) without restarts.
# A unit that does not start fails the test at once with systemd's reason.
#   unit-vm.sh LVSD LVSCTL UNIT
set -uo pipefail
LVSD=$1 LVSCTL=$2 UNIT=$3
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
# The build tree may sit where the unit's sandbox hides it (ProtectHome=yes hides /root
# and /home, PrivateTmp=yes the VM's /tmp): install the binaries (the schema is compiled
# in) under /run (the VM's tmpfs, visible read-only to the unit), as the package does
# under /usr.
I=$T/install
install -D -m 0755 "$LVSD" "$I/sbin/lvsd" && install -D -m 0755 "$LVSCTL" "$I/bin/lvsctl" ||
    fail "cannot install into $I"
LVSCTL=$I/bin/lvsctl
# The unit as shipped, with only the installed paths moved; every other line is tested.
sed -e "s|/usr/sbin/lvsd|$I/sbin/lvsd|g" -e "s|/usr/bin/lvsctl|$I/bin/lvsctl|g" \
    -e "s|/etc/lvs/cluster.json|$T/cluster.json|g" "$UNIT" > /run/systemd/system/lvsd.service
for want in "ExecStartPre=$I/bin/lvsctl validate $T/cluster.json" "ExecStart=$I/sbin/lvsd --config $T/cluster.json" \
    "ExecReload=$I/bin/lvsctl reload" "RestartPreventExitStatus=1" "LimitNOFILE="; do
    grep -qF -- "$want" /run/systemd/system/lvsd.service || fail "the shipped unit has no line starting '$want'"
done
grep -E '/usr/s?bin/lvs|/etc/lvs/' /run/systemd/system/lvsd.service && fail "paths left unmoved in the unit"
cat > /run/systemd/system/lvsd.service.d/test.conf <<EOT
[Service]
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
# systemd's own mount namespace gives it one. Nor has it the groups the unit names (the
# package's postinst makes them): a copy of /etc/group with them is bound over it there.
{ cat /etc/group; printf 'lvsadm:x:60901:\nlvsread:x:60902:\n'; } > "$T/group" || fail "cannot write $T/group"
unshare --pid --fork --mount --mount-proc --propagation private bash -c \
    "mount -t tmpfs tmpfs /var/lib && mount --bind $T/group /etc/group &&
     exec env container=lvs-test /lib/systemd/systemd --unit=lvs-test.target" \
    > "$T/systemd.log" 2>&1 &
upid=$!
for _ in $(seq 150); do sd=$(pgrep -P "$upid" -x systemd) && break; sleep 0.2; done
[ -n "$sd" ] || { cat "$T/systemd.log"; fail "systemd did not start"; }
# -r -w: the root and working directory of systemd (the VM runs us chrooted).
in_sd() { nsenter -t "$sd" -m -p -r -w "$@"; }

# systemd's own account of the unit, one "Key=value" per line.
unit_show() {
    in_sd systemctl show -p ActiveState -p SubState -p Result -p ExecMainStatus -p NRestarts -p MainPID lvsd 2>/dev/null
}
prop() { sed -n "s/^$1=//p" <<< "$2"; }
# Why the unit is not running, as systemd and lvsd tell it.
why() {
    echo "--- systemctl status lvsd"; in_sd systemctl status lvsd --no-pager -l 2>&1 | tail -n 25
    echo "--- journal"; in_sd journalctl -u lvsd --no-pager -n 30 2>&1 | tail -n 30
    echo "--- lvsd's stderr"; cat "$T/lvsd.log" 2>/dev/null
    echo "--- systemd's log"; tail -n 30 "$T/systemd.log"
}
# wait_active: until lvsd.service is active (up to 120 s); fails at once when systemd
# reports a failed start, a restart, or the failed state, with systemd's reason.
wait_active() {
    local props state
    for _ in $(seq 240); do
        props=$(unit_show)
        state=$(prop ActiveState "$props")
        [ "$state" = active ] && return 0
        if [ "$state" = failed ] || { [ -n "$(prop Result "$props")" ] && [ "$(prop Result "$props")" != success ]; } ||
            [ "$(prop NRestarts "$props")" -gt 0 ] 2>/dev/null; then
            why
            fail "lvsd.service did not start: $(tr '\n' ' ' <<< "$props")"
        fi
        sleep 0.5
    done
    why
    fail "lvsd.service is still '$state' after 120 s"
}
wait_active
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

# MainPID is a pid in systemd's namespace: read /proc there.
pid=$(prop MainPID "$(unit_show)")
[ -n "$pid" ] && [ "$pid" != 0 ] || fail "no MainPID"
in_sd cat "/proc/$pid/limits" "/proc/$pid/status" > "$T/proc.txt" || fail "cannot read /proc/$pid of lvsd"
grep -Eq '^Max open files +65536 +65536 ' "$T/proc.txt" ||
    { grep 'open files' "$T/proc.txt"; fail "LimitNOFILE=65536 did not reach lvsd"; }
# CAP_NET_ADMIN (bit 12) and CAP_NET_RAW (bit 13, HA's raw sockets), nothing else, in
# the bounding and the effective set.
for set in CapBnd CapEff; do
    [ "$(sed -n "s/^$set:\t//p" "$T/proc.txt")" = 0000000000003000 ] ||
        { grep '^Cap' "$T/proc.txt"; fail "$set is not CAP_NET_ADMIN + CAP_NET_RAW alone"; }
done
echo "ok: lvsd runs with LimitNOFILE=65536 and CAP_NET_ADMIN + CAP_NET_RAW alone"

in_sd systemctl reload lvsd || { why; fail "systemctl reload failed"; }
# ExecReload is lvsctl reload, which returns once lvsd has answered.
grep -q "descriptor: reloaded" "$T/lvsd.log" || { cat "$T/lvsd.log"; fail "the reload did not reach lvsd"; }
[ "$(in_sd systemctl is-active lvsd)" = active ] || fail "lvsd is not active after reload"
echo "ok: systemctl reload reloads the descriptor"

# A broken descriptor: the reload fails as such, and lvsd keeps running the old one.
cp "$T/cluster.json" "$T/good.json"
printf '{ "cluster": "unit-test", "services": [\n' > "$T/cluster.json"
if in_sd systemctl reload lvsd > "$T/reload-bad.txt" 2>&1; then
    cat "$T/reload-bad.txt" "$T/lvsd.log"; fail "systemctl reload of a broken descriptor exited 0"
fi
props=$(unit_show)
[ "$(prop ActiveState "$props")" = active ] && [ "$(prop MainPID "$props")" = "$pid" ] ||
    { why; fail "after a refused reload lvsd is not the same active process: $(tr '\n' ' ' <<< "$props")"; }
ipvsadm -Ln -t 192.0.2.25:25 | grep -q "203.0.113.81:25" || { ipvsadm -Ln; fail "a refused reload changed the table"; }
in_sd "$LVSCTL" status --socket /run/lvsd/control.sock | grep "203.0.113.81:25" > /dev/null ||
    fail "lvsd does not answer status after a refused reload"
cp "$T/good.json" "$T/cluster.json"
in_sd systemctl reload lvsd > /dev/null 2>&1 || { why; fail "reload of the repaired descriptor failed"; }
echo "ok: systemctl reload of a broken descriptor exits non-zero; lvsd keeps the old one"

in_sd systemctl stop lvsd || fail "systemctl stop failed"
ipvsadm -Ln -t 192.0.2.25:25 | grep -q "203.0.113.81:25" || fail "stopping lvsd emptied the table"
grep -qi "seccomp\|operation not permitted\|permission denied" "$T/lvsd.log" && { cat "$T/lvsd.log"; fail "lvsd hit the sandbox"; }
echo "ok: stop leaves the table; no sandbox denial in lvsd's log"

# An invalid descriptor at start: ExecStartPre (lvsctl validate) fails the start. systemd
# restarts a failed ExecStartPre= like a crash; StartLimitBurst=3 ends that within
# seconds: the unit must end failed, not loop.
printf '{ "cluster": "unit-test", "services": [\n' > "$T/cluster.json"
in_sd systemctl start lvsd > "$T/start-bad.txt" 2>&1 && { cat "$T/start-bad.txt"; fail "start with a broken descriptor succeeded"; }
for _ in $(seq 60); do
    props=$(unit_show)
    [ "$(prop ActiveState "$props")" = failed ] && break
    sleep 0.5
done
[ "$(prop ActiveState "$props")" = failed ] && [ "$(prop NRestarts "$props")" -le 2 ] ||
    { why; fail "a broken descriptor did not leave the unit failed within 30 s and 2 restarts: $(tr '\n' ' ' <<< "$props")"; }
# (systemctl status exits 3 for a failed unit: read its output, not its status)
status=$(in_sd systemctl status lvsd --no-pager -l 2>&1)
grep -q "ExecStartPre=.*lvsctl validate.*status=1" <<< "$status" ||
    { why; fail "systemd does not name lvsctl validate as the failed step"; }
echo "ok: a broken descriptor fails the start in ExecStartPre; the unit ends failed ($(prop Result "$props"), $(prop NRestarts "$props") restarts)"

# Without the ExecStartPre check, lvsd itself exits 1 (invalid descriptor), which
# RestartPreventExitStatus=1 keeps from restarting.
in_sd systemctl reset-failed lvsd
printf '[Service]\nExecStartPre=\n' > /run/systemd/system/lvsd.service.d/no-validate.conf
in_sd systemctl daemon-reload || fail "daemon-reload failed"
in_sd systemctl start lvsd > "$T/start-bad.txt" 2>&1 && { cat "$T/start-bad.txt"; fail "lvsd started on a broken descriptor"; }
props=$(unit_show)
[ "$(prop ActiveState "$props")" = failed ] && [ "$(prop NRestarts "$props")" = 0 ] &&
    [ "$(prop ExecMainStatus "$props")" = 1 ] ||
    { why; fail "lvsd's exit 1 did not leave the unit failed without restarts: $(tr '\n' ' ' <<< "$props")"; }
echo "ok: lvsd's 'invalid descriptor' exit (1) is not restarted"
echo "--- lvsd's log"; cat "$T/lvsd.log"
echo "PASS: systemd unit"
