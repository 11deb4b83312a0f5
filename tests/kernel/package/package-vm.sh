#!/bin/bash
# kernel test (in the VM): the Debian package in a clean Debian 12 root under a real
# systemd. The cached root (debian-root.sh, shared read-only from the host) gets a
# writable overlay on the VM's tmpfs; systemd runs as PID 1 of its own PID and mount
# namespace with that root (container mode). The source and build trees are not
# reachable from there. Checks: apt-get install of the .deb puts it beside ipvsadm and
# keepalived and leaves both installed; the unit is enabled but not started without a descriptor; groups and
# state folder exist; --version, lvsctl validate of an installed example (compiled-in
# schema), the man pages render; with the reference descriptor the unit starts, a member
# of lvsread may run `lvsctl status` but not `lvsctl drain`, a member of lvsadm may; the
# completion offers the running daemon's reals; systemctl reload works; purge leaves
# nothing but the administrator's descriptor and the groups (Debian keeps those).
#   package-vm.sh DEB ROOT
set -uo pipefail
DEB=$1 LOWER=$2
[ "${LVS_IN_VM:-}" = 1 ] || { echo "FAIL: run me inside tests/vm/vm-run"; exit 1; }
fail() { echo "FAIL: debian package: $*"; exit 1; }
T=/tmp/lvs-package
M=$T/root
sd=""
cleanup() {
    # SIGKILL to the namespace's PID 1 ends every process in it at once (SIGTERM would
    # make systemd re-execute itself); the VM is thrown away after this.
    [ -n "$sd" ] && kill -KILL "$sd" 2>/dev/null
    ipvsadm -C 2>/dev/null
}
trap cleanup EXIT

[ -f "$DEB" ] || fail "no package $DEB"
[ -x "$LOWER/lib/systemd/systemd" ] || fail "$LOWER is not a Debian root with systemd"
mkdir -p "$T/upper" "$T/work" "$M" || fail "cannot make $T"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work" "$M" ||
    fail "cannot mount an overlay on $LOWER (is overlay in tests/vm/modules.list?)"
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2"
mount --rbind /sys "$M/sys" && mount --rbind /dev "$M/dev" || fail "cannot bind /sys and /dev into the root"
# Test users (lvs-reader and lvs-admin join the package's groups once it made them); no
# man-db index rebuild on install (slow under emulation; man finds pages without it).
chroot "$M" useradd --create-home --shell /bin/bash lvs-reader &&
    chroot "$M" useradd --create-home --shell /bin/bash lvs-admin || fail "cannot add the test users"
rm -f "$M/var/lib/man-db/auto-update"
# No login prompts on the VM's consoles: they only cost time under emulation.
for u in getty.target console-getty.service; do ln -sf /dev/null "$M/etc/systemd/system/$u"; done
cp "$DEB" "$M/root/" || fail "cannot copy the package into the root"
deb=/root/$(basename "$DEB")

unshare --pid --fork --mount --propagation private chroot "$M" /bin/sh -c \
    'mount -t proc proc /proc && exec env container=lvs-test /lib/systemd/systemd --unit=multi-user.target' \
    > "$T/systemd.log" 2>&1 &
upid=$!
for _ in $(seq 150); do sd=$(pgrep -P "$upid" -x systemd) && break; sleep 0.2; done
[ -n "$sd" ] || { cat "$T/systemd.log"; fail "systemd did not start"; }
in_sd() { nsenter -t "$sd" -m -p -r -w "$@"; }
for _ in $(seq 240); do
    state=$(in_sd systemctl is-system-running 2>/dev/null)
    case "$state" in running|degraded) break ;; esac
    sleep 0.5
done
case "$state" in running|degraded) ;; *) tail -n 30 "$T/systemd.log"; fail "systemd did not finish booting: '$state'" ;; esac
echo "ok (${SECONDS}s): systemd booted the clean Debian 12 root ($state)"

for tree in "${LVS_SOURCE_DIR:-}" "${LVS_BINARY_DIR:-}"; do
    [ -n "$tree" ] && in_sd test -e "$tree" && fail "$tree is reachable from the root: the test would not show an install-path bug"
done
# What the system holds before the package: the purge must come back to this.
(cd "$T/upper" && find . | sort) > "$T/before.txt"

installed() { in_sd dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
installed ipvsadm && installed keepalived || fail "the clean root lacks ipvsadm or keepalived"
# As an operator would: apt resolves a conflict by removing the other package (a package
# named lvs removed ipvsadm so). Offline: every dependency is in the root already.
in_sd env DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" > "$T/dpkg-i.log" 2>&1 ||
    { cat "$T/dpkg-i.log"; fail "apt-get install $deb failed"; }
installed lvsd || { cat "$T/dpkg-i.log"; fail "lvsd is not installed after apt-get install"; }
installed ipvsadm && installed keepalived || { cat "$T/dpkg-i.log"; fail "installing the package removed ipvsadm or keepalived"; }
echo "ok (${SECONDS}s): $(basename "$DEB") installs beside ipvsadm and keepalived, which stay installed"

[ "$(in_sd systemctl is-enabled lvsd 2>&1)" = enabled ] || fail "lvsd.service is not enabled: $(in_sd systemctl is-enabled lvsd 2>&1)"
[ "$(in_sd systemctl is-active lvsd 2>&1)" != active ] || fail "lvsd.service started without a descriptor"
grep -q "write /etc/lvs/cluster.json" "$T/dpkg-i.log" || { cat "$T/dpkg-i.log"; fail "postinst does not say how to create the descriptor"; }
in_sd getent group lvsadm > /dev/null && in_sd getent group lvsread > /dev/null || fail "the groups lvsadm and lvsread are missing"
[ "$(in_sd stat -c %a /var/lib/lvsd)" = 750 ] || fail "/var/lib/lvsd is not a folder of mode 0750"
echo "ok (${SECONDS}s): the unit is enabled, not started without a descriptor; groups and state folder made"

in_sd lvsctl --version | grep -Eq '^lvsctl [0-9]+\.[0-9]+\.[0-9]+ \(git ' || fail "lvsctl --version: $(in_sd lvsctl --version 2>&1)"
in_sd lvsd --version | grep -Eq '^lvsd [0-9]+\.[0-9]+\.[0-9]+ \(git ' || fail "lvsd --version: $(in_sd lvsd --version 2>&1)"
in_sd lvsctl validate /usr/share/lvs/examples/mail-cluster.json > "$T/validate.txt" 2>&1 ||
    { cat "$T/validate.txt"; fail "the installed lvsctl cannot validate an installed example"; }
echo "ok (${SECONDS}s): --version, and lvsctl validate of an installed example without the source tree"

for page in "8 lvsd:keeps the IPVS table" "8 lvsctl:lvsctl drain" "5 lvs-cluster:virtual_router_id"; do
    in_sd env MANPAGER=cat MANWIDTH=80 man ${page%%:*} > "$T/man.txt" 2> "$T/man.err" ||
        { cat "$T/man.err"; fail "man ${page%%:*} failed"; }
    # man justifies lines with extra spaces. Through a file: with pipefail, grep -q's early
    # exit can kill tr with SIGPIPE and fail a page that has the words (it did, once).
    tr -s ' ' < "$T/man.txt" > "$T/man.flat"
    grep -q "${page#*:}" "$T/man.flat" || { head -20 "$T/man.txt"; fail "man ${page%%:*} does not show '${page#*:}'"; }
done
echo "ok (${SECONDS}s): man lvsd, man lvsctl and man 5 lvs-cluster render"

# The reference descriptor: node lb1's address on the VRRP interface, VIP interfaces
# eth0 and eth1 (dummies in the VM's own network namespace, which systemd shares).
for i in eth0 eth1 eth2; do ip link add "$i" type dummy && ip link set "$i" up || fail "cannot add dummy $i"; done
ip addr add 198.51.100.11/24 dev eth2 || fail "cannot add lb1's address"
in_sd cp /usr/share/lvs/examples/mail-cluster.json /etc/lvs/cluster.json || fail "cannot put the descriptor in place"
in_sd systemctl start lvsd > "$T/start.txt" 2>&1 ||
    { cat "$T/start.txt"; in_sd systemctl status lvsd --no-pager -l | tail -20; in_sd journalctl -u lvsd --no-pager | tail -20; fail "lvsd.service did not start"; }
[ "$(in_sd systemctl is-active lvsd)" = active ] || fail "lvsd.service is not active"
ipvsadm -Ln -t 192.0.2.10:25 | grep -q "203.0.113.11:25" || { ipvsadm -Ln; fail "the reference services are not in the table"; }
echo "ok (${SECONDS}s): with /etc/lvs/cluster.json in place the unit starts and programs the table"

in_sd usermod -aG lvsread lvs-reader && in_sd usermod -aG lvsadm lvs-admin || fail "cannot add the users to the groups"
as() { local user=$1; shift; in_sd runuser -u "$user" -- "$@"; }
as lvs-reader lvsctl status > "$T/status.txt" 2>&1 || { cat "$T/status.txt"; fail "lvsctl status as a member of lvsread failed"; }
grep -q "203.0.113.11:25" "$T/status.txt" || { cat "$T/status.txt"; fail "status does not show the reals"; }
as lvs-reader lvsctl drain 203.0.113.11 > "$T/drain-reader.txt" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -qi "permission denied" "$T/drain-reader.txt" ||
    { cat "$T/drain-reader.txt"; fail "lvsctl drain as a member of lvsread was not refused (exit $rc)"; }
as lvs-admin lvsctl drain 203.0.113.11 > "$T/drain-admin.txt" 2>&1 || { cat "$T/drain-admin.txt"; fail "lvsctl drain as a member of lvsadm failed"; }
as lvs-admin lvsctl enable 203.0.113.11 > /dev/null 2>&1 || fail "lvsctl enable as a member of lvsadm failed"
echo "ok (${SECONDS}s): lvsread may read the status, not drain; lvsadm may drain and enable"

# bash-completion's loader finds the installed completion; it offers the daemon's reals.
as lvs-reader bash -c 'source /usr/share/bash-completion/bash_completion; _completion_loader lvsctl
    COMP_WORDS=(lvsctl drain ""); COMP_CWORD=2; _lvsctl; printf "%s\n" "${COMPREPLY[@]}"' > "$T/complete.txt" 2>&1
grep -qx "203.0.113.11" "$T/complete.txt" && grep -qx "203.0.113.22:995" "$T/complete.txt" ||
    { cat "$T/complete.txt"; fail "completing 'lvsctl drain ' does not offer the running daemon's reals"; }
echo "ok (${SECONDS}s): the completion offers the running daemon's reals"

in_sd systemctl reload lvsd || fail "systemctl reload lvsd failed"
echo "ok (${SECONDS}s): systemctl reload lvsd"

# The package's files (not its folders), checked through $M: the same root, seen from here.
in_sd dpkg -L lvsd | while read -r f; do [ -f "$M$f" ] && echo "$f"; done > "$T/files.txt"
[ -s "$T/files.txt" ] || fail "dpkg -L lvsd lists no files"
in_sd dpkg --purge lvsd > "$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg --purge lvsd failed"; }
installed ipvsadm && installed keepalived || fail "purging lvsd removed ipvsadm or keepalived"
pgrep -x lvsd > /dev/null && fail "lvsd still runs after the purge"
while read -r f; do [ -e "$M$f" ] && fail "$f is left after the purge"; done < "$T/files.txt"
rm -f "$M$deb"
# What is new since before the install, less what Debian keeps or the system itself
# writes: dpkg's and apt's own records, caches and logs, the groups (policy keeps system groups), and the
# descriptor the administrator (this test) wrote in /etc/lvs. A folder of the clean root
# that a file was written into is copied up whole: it was there before, so it is no news.
(cd "$T/upper" && find . | sort) > "$T/after.txt"
comm -13 "$T/before.txt" "$T/after.txt" | while read -r p; do [ -e "$LOWER/$p" ] || echo "$p"; done |
    grep -Ev '^\./(var/lib/dpkg|var/lib/apt|var/cache/apt|var/log|var/cache/(man|debconf|ldconfig)|var/lib/systemd/(timers|random-seed|catalog))(/|$)' |
    grep -Ev '^\./etc/(group|gshadow|passwd|shadow|subuid|subgid)-?$|^\./etc/lvs(/cluster\.json)?$|^\./etc/ld\.so\.cache$' > "$T/left.txt"
[ -s "$T/left.txt" ] && { cat "$T/left.txt"; fail "the purge left these behind"; }
echo "ok (${SECONDS}s): purge removes the package's files, state folder and unit links; ipvsadm and keepalived stay"
echo "PASS: debian package"
