#!/usr/bin/env bash
# make-certs run N times at once on one folder (as the cluster test starts its real
# servers): every run succeeds and every certificate verifies against the one CA.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
make_certs="$here/../../support/realservers/make-certs"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$make_certs" "$dir/pki" ca-only > /dev/null || { echo "FAIL: the CA"; exit 1; }
pids=()
for i in 1 2 3 4 5 6 7 8; do "$make_certs" "$dir/pki" "rs$i" "203.0.113.1$i" & pids+=($!); done
failed=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "FAIL: make-certs rs$((i + 1)) exited non-zero"; failed=1; }; done
for i in 1 2 3 4 5 6 7 8; do
    openssl verify -CAfile "$dir/pki/ca.crt" "$dir/pki/rs$i.crt" > /dev/null 2>&1 \
        || { echo "FAIL: rs$i.crt does not verify against the CA"; failed=1; }
done
[ "$failed" -eq 0 ] && echo "PASS: 8 certificates signed at once, each verifies"
exit "$failed"
