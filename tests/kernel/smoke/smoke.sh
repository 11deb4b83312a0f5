#!/bin/bash
# Kernel smoke test, run inside the VM by tests/vm/vm-run: IPVS answers, every shipped
# scheduler loads, and two network namespaces reach each other over veth.
# Prints one line per check; exits non-zero if any check fails.
set -u

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

NS_A=lvs-smoke-a
NS_B=lvs-smoke-b
cleanup() {
    ipvsadm -C 2>/dev/null
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
}
trap cleanup EXIT

# --- IPVS is there -------------------------------------------------------------
if [ -r /proc/net/ip_vs ]; then
    pass "/proc/net/ip_vs exists ($(head -n1 /proc/net/ip_vs))"
else
    fail "/proc/net/ip_vs is missing: this kernel has no IPVS (not running in the VM?)"
    exit 1
fi
command -v ipvsadm > /dev/null || { fail "ipvsadm is not installed"; exit 1; }
ipvsadm -C

# --- a NAT service with two real servers ------------------------------------
ipvsadm -A -t 192.0.2.1:80 -s rr || fail "ipvsadm -A 192.0.2.1:80 rr"
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.10:80 -m -w 1 || fail "ipvsadm -a 198.51.100.10"
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.11:80 -m -w 3 || fail "ipvsadm -a 198.51.100.11"
table="$(ipvsadm -Ln)"
echo "$table"
grep -Eq '^TCP +192\.0\.2\.1:80 +rr' <<< "$table" \
    && pass "service 192.0.2.1:80 rr listed" || fail "service 192.0.2.1:80 rr not listed"
grep -Eq -- '-> +198\.51\.100\.10:80 +Masq +1 ' <<< "$table" \
    && pass "real 198.51.100.10:80 Masq weight 1 listed" || fail "real 198.51.100.10:80 Masq weight 1 not listed"
grep -Eq -- '-> +198\.51\.100\.11:80 +Masq +3 ' <<< "$table" \
    && pass "real 198.51.100.11:80 Masq weight 3 listed" || fail "real 198.51.100.11:80 Masq weight 3 not listed"
ipvsadm -C

# --- every scheduler -------------------------------------------------------------
# The schedulers the VM's kernel (6.x) ships; twos only exists from 6.2 on.
expected="rr wrr lc wlc fo ovf lblc lblcr dh sh mh sed nq"
loaded="$(sed -n 's/^ip_vs_\([a-z]*\) .*/\1/p' /proc/modules | grep -vx -e ftp -e pe_sip | sort | tr '\n' ' ')"
echo "scheduler modules loaded: $loaded"
schedulers="$expected"
grep -qw twos <<< "$loaded" && schedulers="$schedulers twos"
port=1000
for s in $schedulers; do
    port=$((port + 1))
    if ! grep -qw "$s" <<< "$loaded"; then
        fail "scheduler module ip_vs_$s is not loaded"
        continue
    fi
    if ipvsadm -A -t "192.0.2.2:$port" -s "$s" \
        && ipvsadm -a -t "192.0.2.2:$port" -r 198.51.100.10:80 -m \
        && ipvsadm -Ln -t "192.0.2.2:$port" | grep -Eq "^TCP +192\.0\.2\.2:$port +$s( |$)"; then
        pass "scheduler $s: service created and listed"
    else
        fail "scheduler $s: service not created or not listed"
    fi
done
count="$(ipvsadm -Ln | grep -c '^TCP  *192\.0\.2\.2:')"
[ "$count" = "$(wc -w <<< "$schedulers")" ] \
    && pass "$count scheduler services in the table" \
    || fail "expected $(wc -w <<< "$schedulers") scheduler services, found $count"
ipvsadm -C

# --- two namespaces over veth ----------------------------------------------------
if ip netns add "$NS_A" && ip netns add "$NS_B" \
    && ip link add veth-smoke-a netns "$NS_A" type veth peer name veth-smoke-b netns "$NS_B" \
    && ip -n "$NS_A" addr add 192.0.2.10/24 dev veth-smoke-a \
    && ip -n "$NS_B" addr add 192.0.2.11/24 dev veth-smoke-b \
    && ip -n "$NS_A" link set veth-smoke-a up && ip -n "$NS_B" link set veth-smoke-b up \
    && ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up; then
    pass "namespaces $NS_A and $NS_B joined by veth"
    if ip netns exec "$NS_A" busybox ping -c 2 -W 3 192.0.2.11 > /dev/null; then
        pass "ping 192.0.2.10 -> 192.0.2.11 across namespaces"
    else
        fail "ping 192.0.2.10 -> 192.0.2.11 across namespaces"
    fi
    # Each namespace has its own IPVS table.
    ip netns exec "$NS_A" ipvsadm -A -t 192.0.2.10:25 -s rr
    if [ -z "$(ipvsadm -Sn)" ] && ip netns exec "$NS_A" ipvsadm -Sn | grep -q '192.0.2.10:25'; then
        pass "a service added in $NS_A stays in $NS_A's IPVS table"
    else
        fail "per-namespace IPVS tables"
    fi
    # The guest has no network: a nameserver in its resolv.conf only makes each lookup from
    # a namespace with a default route wait out the resolver's timeouts (Dovecot looks up
    # its hostname at every start). None is listed, and hosts names the guest.
    ip -n "$NS_A" route add default via 192.0.2.1
    if grep -q '^ *nameserver' /etc/resolv.conf; then
        fail "the guest's /etc/resolv.conf lists a nameserver it cannot reach: $(grep -m1 nameserver /etc/resolv.conf)"
    else
        pass "the guest's /etc/resolv.conf lists no nameserver"
    fi
    if timeout 30 ip netns exec "$NS_A" getent ahostsv4 "$(hostname)" > /dev/null; then
        pass "the guest's hostname $(hostname) resolves in a namespace (from /etc/hosts)"
    else
        fail "the guest's hostname $(hostname) does not resolve in a namespace"
    fi
else
    fail "creating namespaces and veth"
fi
cleanup
ip netns list | grep -q lvs-smoke && fail "namespaces left behind" || pass "namespaces cleaned up"

if [ "$failures" -ne 0 ]; then
    echo "smoke: $failures check(s) failed"
    exit 1
fi
echo "smoke: all checks passed"
