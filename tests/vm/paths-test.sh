#!/bin/bash
# Host-side test of vm-run (CTest kernel_vm_paths): a command that lives under /tmp or
# /run (a clone there, say) runs in the VM from its own working directory. The guest
# sees that tree read-only at its own path, an argument under /run too, keeps a private
# writable /tmp, and sees nothing else of the host's /tmp; nothing it writes reaches the
# host.
#   paths-test.sh VM_RUN
set -uo pipefail
VM_RUN=$1
fail() { echo "FAIL: vm paths: $*"; exit 1; }

tree=$(mktemp -d /tmp/lvs-vm-paths.XXXXXX) || fail "mktemp under /tmp"
other=$(mktemp -d /tmp/lvs-vm-paths-other.XXXXXX) || fail "mktemp under /tmp"
runarg=$(mktemp -d /run/lvs-vm-paths.XXXXXX) || fail "mktemp under /run"
trap 'rm -rf "$tree" "$other" "$runarg"' EXIT
mkdir "$tree/sub"
echo tree-data > "$tree/data"
echo run-data > "$runarg/data"
echo secret > "$other/secret"
echo "$other/secret" > "$tree/hidden"
cat > "$tree/probe.sh" <<'EOT'
#!/bin/bash
# In the guest: $1 the tree, $2 a file under /run; $1/hidden names a host file that must
# stay hidden (not an argument: vm-run binds the trees its arguments point into).
set -u
bad=0
no() { echo "guest: FAIL: $*"; bad=1; }
[ "$PWD" = "$1/sub" ] || no "working directory is $PWD, not $1/sub"
[ "$(cat "$1/data" 2>&1)" = tree-data ] || no "cannot read $1/data"
[ "$(cat "$2" 2>&1)" = run-data ] || no "cannot read the argument $2"
touch "$1/written" 2>/dev/null && no "the host tree $1 is writable in the guest"
hidden=$(cat "$1/hidden")
[ -e "$hidden" ] && no "$hidden is visible: the guest sees more of the host's /tmp than the tree"
f=$(mktemp /tmp/guest-scratch.XXXXXX) && echo x > "$f" || no "the guest's /tmp is not writable"
echo "$f" > /dev/null
[ -d /run/netns ] || no "the guest's own /run is missing"
[ "$bad" = 0 ] && echo "guest: ok"
exit "$bad"
EOT
chmod 755 "$tree/probe.sh"

before=$(ls /tmp | grep -c '^guest-scratch\.' || true)
cd "$tree/sub" || fail "cd $tree/sub"
"$VM_RUN" --timeout 240 -- "$tree/probe.sh" "$tree" "$runarg/data"
rc=$?
[ "$rc" = 0 ] || fail "vm-run exited $rc from $PWD"
[ -e "$tree/written" ] && fail "the guest wrote into the host tree"
after=$(ls /tmp | grep -c '^guest-scratch\.' || true)
[ "$after" = "$before" ] || fail "a file the guest made in its /tmp appeared on the host"
echo "PASS: vm-run from $tree/sub (under /tmp) with an argument under /run"
