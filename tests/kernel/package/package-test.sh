#!/bin/bash
# kernel test (host side): builds the Debian package with cpack, makes sure the cached
# clean Debian 12 root exists (debian-root.sh), then runs package-vm.sh in the VM.
#   package-test.sh BUILD_DIR VM_RUN
set -euo pipefail
BUILD=$1 VM_RUN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: debian package: $*"; exit 1; }
OUT=$BUILD/tests/kernel/package/deb
rm -rf "$OUT" && mkdir -p "$OUT"
# cpack installs the build tree (every target built) into a staging folder and packs it.
if ! (cd "$BUILD" && cpack -G DEB -B "$OUT" > "$OUT/cpack.log" 2>&1); then
    cat "$OUT/cpack.log"; fail "cpack failed"
fi
deb=$(ls "$OUT"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$OUT/cpack.log"; fail "cpack made no .deb"; }
echo "ok: built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Package\|Version\|Depends\|Recommends\):/  &/p'
root=$("$HERE/debian-root.sh") || fail "no clean Debian 12 root"
exec "$VM_RUN" --timeout 420 -- "$HERE/package-vm.sh" "$deb" "$root"
