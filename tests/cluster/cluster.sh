# Sourced: the reference mail cluster (schemas/examples/mail-cluster.json) inside the VM.
# The caller sets LVSD, LVSCTL, SRC, WORK (a fresh folder in the guest's /tmp) and OUT
# (where the figures go) first; `cluster_up` builds it, `cluster_down` (an EXIT trap
# here) takes it apart. Used by tests/cluster/cluster-vm.sh (the demo and the
# acceptance test).
#
# Namespaces and bridges (in the VM's root namespace):
#   client  192.0.2.100-103 --brpub-- lb1 192.0.2.1, lb2 192.0.2.2 (eth0: VIPs .10 research, .20 education)
#   lb1 203.0.113.2, lb2 203.0.113.3 --brpriv-- rs1 .11 rs2 .12 rs5 .13 (research), rs3 .21 rs4 .22 (education)
#       (eth1: the reals' floating gateway 203.0.113.1, IPVS connection sync)
#   lb1 198.51.100.11, lb2 198.51.100.12 --brha-- (eth2: VRRP between the nodes)
#   storage 203.0.113.40 on brpriv: the NFS server (LVS_CLUSTER_NFS=1 only)
# Each real runs Postfix (25) and Dovecot (110 143 993 995), TLS with certificates from
# one CA made here; mail lives in one Maildir tree all reals use ($MAIL_ROOT): by default
# one folder of the VM; with LVS_CLUSTER_NFS=1 a tmpfs that the kernel's NFS server in
# namespace storage exports (nfs-server.sh), NFSv4-mounted by each real from its own
# namespace at $NFS_MOUNTS/rsN, its Postfix's and Dovecot's mail root. NFS is not the
# default: see tests/cluster/README.md.
RS="$SRC/tests/support/realservers"
LOADGEN="$SRC/tests/support/loadgen/mailload.py"
CLUSTER_DIR="$SRC/tests/cluster"
MAIL_ROOT="$WORK/mail"
NFS_MOUNTS="$WORK/nfs"
STORAGE_ADDR=203.0.113.40
CLUSTER_NFS="${LVS_CLUSTER_NFS:-0}"
NAMESPACES="client lb1 lb2 rs1 rs2 rs3 rs4 rs5"
[ "$CLUSTER_NFS" = 1 ] && NAMESPACES="$NAMESPACES storage"
declare -A RS_ADDR=([rs1]=203.0.113.11 [rs2]=203.0.113.12 [rs3]=203.0.113.21 [rs4]=203.0.113.22 [rs5]=203.0.113.13)
CLIENTS="192.0.2.100 192.0.2.101 192.0.2.102 192.0.2.103"

failures=0
declare -A lvsd_pid=()
load_pid="" held_pid="" imap_load_pid="" storage_pid=""

now() { date +%s.%N | cut -c1-14; }
say() { echo "[$(date +%H:%M:%S)] $*"; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
fatal() { fail "$*"; exit 1; }

cluster_down() {
    local rc=$? pid r
    for pid in $load_pid $imap_load_pid $held_pid "${lvsd_pid[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in $load_pid $imap_load_pid $held_pid "${lvsd_pid[@]}"; do wait "$pid" 2>/dev/null; done
    if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then lvsd_logs; fi
    local stops=""
    for r in "${!RS_ADDR[@]}"; do "$RS/realserver-ctl" stop --dir "$WORK/$r" > /dev/null 2>&1 & stops="$stops $!"; done
    for pid in $stops; do wait "$pid"; done  # not a bare wait: the NFS server runs in the background too
    stop_storage
    for r in $NAMESPACES; do ip netns del "$r" 2>/dev/null; done
    ip link del brpub 2>/dev/null; ip link del brpriv 2>/dev/null; ip link del brha 2>/dev/null
    rm -rf "$WORK"
}
lvsd_logs() {
    local lb
    for lb in lb1 lb2; do
        [ -f "$WORK/lvsd-$lb.log" ] && { echo "---- lvsd log of $lb (last 40 lines)"; tail -n 40 "$WORK/lvsd-$lb.log"; }
    done
}

# --- topology ------------------------------------------------------------------------------
# The links and addresses go to `ip -batch`, one run in the VM's namespace and one per
# namespace: under emulation each process costs 0.1-0.5 s, and one `ip` per step was about
# 100 of them.
declare -A NS_BATCH=()
ROOT_BATCH=""
plug() {  # plug NS IFNAME BRIDGE HOSTSIDE ADDR/PREFIX: a veth pair, IFNAME made in NS
    ROOT_BATCH+="link add $4 type veth peer name $2 netns $1"$'\n'"link set $4 master $3 up"$'\n'
    NS_BATCH[$1]+="addr add $5 dev $2"$'\n'"link set $2 up"$'\n'
}
topology() {
    local ns c br
    ROOT_BATCH="" NS_BATCH=()
    for ns in $NAMESPACES; do ROOT_BATCH+="netns add $ns"$'\n'; NS_BATCH[$ns]="link set lo up"$'\n'; done
    for br in brpub brpriv brha; do ROOT_BATCH+="link add $br type bridge"$'\n'"link set $br up"$'\n'; done
    plug client eth0 brpub vc 192.0.2.100/24
    for c in $CLIENTS; do [ "$c" = 192.0.2.100 ] || NS_BATCH[client]+="addr add $c/24 dev eth0"$'\n'; done
    plug lb1 eth0 brpub v1p 192.0.2.1/24; plug lb1 eth1 brpriv v1q 203.0.113.2/24; plug lb1 eth2 brha v1h 198.51.100.11/24
    plug lb2 eth0 brpub v2p 192.0.2.2/24; plug lb2 eth1 brpriv v2q 203.0.113.3/24; plug lb2 eth2 brha v2h 198.51.100.12/24
    for ns in rs1 rs2 rs3 rs4 rs5; do
        plug "$ns" eth0 brpriv "vr${ns#rs}" "${RS_ADDR[$ns]}/24"
        NS_BATCH[$ns]+="route add default via 203.0.113.1"$'\n'
    done
    if [ "$CLUSTER_NFS" = 1 ]; then plug storage eth0 brpriv vst "$STORAGE_ADDR/24"; fi
    ip -batch - <<< "$ROOT_BATCH" || return 1
    for ns in $NAMESPACES; do ip -n "$ns" -batch - <<< "${NS_BATCH[$ns]}" || return 1; done
    for ns in lb1 lb2; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
}

# --- storage: NFS ------------------------------------------------------------------------------
# start_storage: a tmpfs at MAIL_ROOT exported by the kernel's nfsd in namespace storage;
# returns once nfsd listens (log: WORK/storage.log).
start_storage() {
    local i
    mkdir -p "$MAIL_ROOT" && mount -t tmpfs -o mode=0755 tmpfs "$MAIL_ROOT" || return 1
    ip netns exec storage "$CLUSTER_DIR/nfs-server.sh" "$MAIL_ROOT" 203.0.113.0/24 > "$WORK/storage.log" 2>&1 &
    storage_pid=$!
    for i in $(seq 100); do
        grep -q '^nfs-server: exporting' "$WORK/storage.log" && ip netns exec storage ss -Hltn 'sport = :2049' | grep -q . && return 0
        kill -0 "$storage_pid" 2>/dev/null || break
        sleep 0.2
    done
    cat "$WORK/storage.log"; return 1
}
# mount_storage rsN: the export at NFS_MOUNTS/rsN, mounted from rsN's network namespace
# (the NFS client's connection leaves from the real's address) into the VM's mount
# namespace, so the daemons `ip netns exec` starts later see it. Each mount runs under
# its own host name: an NFSv4 server tells clients apart by the name they send, and five
# clients with one name would take over each other's state.
mount_storage() {
    mkdir -p "$NFS_MOUNTS/$1" || return 1
    nsenter --net="/run/netns/$1" unshare --uts sh -c 'hostname "$1" && exec mount -t nfs4 \
        -o vers=4.2,proto=tcp,hard,timeo=50,retrans=3,retry=0,nordirplus,noatime "$2:/" "$3"' \
        mount "$1" "$STORAGE_ADDR" "$NFS_MOUNTS/$1"
}
stop_storage() {
    local m
    [ "$CLUSTER_NFS" = 1 ] || return 0
    for m in "$NFS_MOUNTS"/rs*; do mountpoint -q "$m" 2>/dev/null && umount -f -l "$m"; done
    if [ -n "$storage_pid" ]; then kill -TERM "$storage_pid" 2>/dev/null; wait "$storage_pid" 2>/dev/null; storage_pid=""; fi
    mountpoint -q "$MAIL_ROOT" 2>/dev/null && umount -l "$MAIL_ROOT"
}

# --- real servers -----------------------------------------------------------------------------
# Two users, one per group: research mail goes to ada, education mail to bob.
write_users() {
    printf 'ada:{PLAIN}ada-secret::::::\nbob:{PLAIN}bob-secret::::::\n' > "$WORK/users"
    mkdir -p "$MAIL_ROOT"
}
# start_real rsN [PRIORITY]: Postfix and Dovecot (nice PRIORITY); log WORK/rsN.start.log.
# With NFS, on rsN's mount, which must be there (an empty local folder in its place would
# take mail).
start_real() {
    local root=(--mail-root "$MAIL_ROOT")
    if [ "$CLUSTER_NFS" = 1 ]; then
        mountpoint -q "$NFS_MOUNTS/$1" || { echo "$1: no NFS mount at $NFS_MOUNTS/$1"; return 1; }
        root=(--mail-root "$NFS_MOUNTS/$1" --mail-nfs)
    fi
    nice -n "${2:-0}" "$RS/realserver-ctl" start --dir "$WORK/$1" --netns "$1" --address "${RS_ADDR[$1]}" \
        --pki "$WORK/pki" --name "$1.example.test" "${root[@]}" --users "$WORK/users" \
        > "$WORK/$1.start.log" 2>&1 || { tail -n 20 "$WORK/$1.start.log"; return 1; }
}
stop_real() { "$RS/realserver-ctl" stop --dir "$WORK/$1" > "$WORK/$1.stop.log" 2>&1; }
# restart_real rsN: start_real at the lowest CPU priority, then the real's processes back
# to normal. Under emulation the start (postfix-script's checks, Dovecot's config parse)
# takes the VM's whole CPU for a while, and the other reals' health checks time out.
restart_real() {
    start_real "$1" 19 || return 1
    ip netns pids "$1" | xargs -r renice -n 0 -p > /dev/null 2>&1
    return 0
}

# --- descriptors ------------------------------------------------------------------------------
# write_descriptor SOURCE [EXTRA_REAL]: the reference descriptor as both balancers' copy.
# Interface names and addresses are the reference's; the pools' checks gain the test
# CA (the reference verifies against the system's CAs) and slower checks (every 10 s,
# 8 s to answer: emulation is slow); EXTRA_REAL joins research with weight 25.
write_descriptor() {
    local lb
    for lb in lb1 lb2; do
        mkdir -p "$WORK/$lb/state"
        python3 - "$1" "$WORK/pki/ca.crt" "${2:-}" > "$WORK/$lb/cluster.json.new" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("$schema", None)
for pool in d["pools"].values():
    check = pool.setdefault("check", {})
    check["ca_file"] = sys.argv[2]
    # Under emulation (TCG on a shared host) a greeting can take more than the 3 s the
    # reference allows, and two balancers checking 25 ports every 5 s (most with TLS)
    # cost more CPU than the client load: checks every 10 s with 8 s to answer.
    check["interval_ms"] = 10000
    check["timeout_ms"] = 8000
if sys.argv[3]:
    d["pools"]["research"]["reals"].append({"address": sys.argv[3], "weight": 25})
json.dump(d, sys.stdout, indent=2)
PY
        mv "$WORK/$lb/cluster.json.new" "$WORK/$lb/cluster.json"
    done
}

# --- lvsd ---------------------------------------------------------------------------------------
start_lvsd() {  # start_lvsd LB: finds its node by its address (198.51.100.11 / .12)
    ip netns exec "$1" "$LVSD" --config "$WORK/$1/cluster.json" --state-dir "$WORK/$1/state" \
        --control-socket "$WORK/$1/control.sock" --schema "$SRC/schemas/cluster.schema.json" \
        >> "$WORK/lvsd-$1.log" 2>&1 &
    lvsd_pid[$1]=$!
}
ctl() { local lb=$1; shift; "$LVSCTL" "$@" --socket "$WORK/$lb/control.sock"; }
# The helpers polled in loops read lvsctl's text with awk: under emulation a python3 start
# costs about a second of the VM's CPU, which the servers and the load need.
ha_state() { ctl "$1" ha status 2>/dev/null | awk '$1 == "ha:" && $2 == "node" && $4 == "is" { sub(",", "", $5); print $5; exit }'; }
wait_state() {  # wait_state LB STATE TRIES(x0.1 s)
    local i
    for i in $(seq "$3"); do [ "$(ha_state "$1")" = "$2" ] && return 0; sleep 0.1; done
    echo "  $1 is '$(ha_state "$1")', wanted $2"; return 1
}
# status_lines LB: as tests/kernel/lvsd/status_lines.py prints them, from `lvsctl status --all`,
# plus whether the real's check has a result yet, and the age of its last result if that passed:
#   reconcile OPERATIONS FAILED; real SERVICE ADDR:PORT HEALTH ADMIN DESIRED CURRENT ACTIVE INACTIVE checked|unchecked OK_AGE_S|-
status_lines() {
    ctl "$1" status --all 2>/dev/null | awk '
        /^last reconcile: / { for (i = 1; i < NF; i++) { if ($(i + 1) ~ /^operations/) o = $i; if ($(i + 1) ~ /^failed/) f = $i }
                              print "reconcile", o, f; next }
        /^[^ ]/ && $2 ~ /^(tcp|udp|sctp)$/ && $3 ~ /:[0-9]+$/ { svc = $1; next }
        /^  / && $1 ~ /:[0-9]+$/ && $5 ~ /\// { split($5, w, "/"); print "real", svc, $1, $3, $4, w[2], w[3], $6, $7, ($9 == "-" ? "unchecked" : "checked"),
                                                       ($9 == "ok" && $13 == "s" ? $12 : "-") }'
}
# reals_up LB N: N (service, real) pairs up and enabled with a non-zero kernel weight
reals_up() { [ "$(status_lines "$1" | awk '$1 == "real" && $4 == "up" && $5 == "enabled" && $7 > 0' | wc -l)" -ge "$2" ]; }
wait_reals_up() {  # wait_reals_up LB N TRIES(x1 s)
    local i
    for i in $(seq "$3"); do reals_up "$1" "$2" && return 0; sleep 1; done
    status_lines "$1" | grep '^real' | grep -v ' up enabled '; return 1
}
wait_checked() {  # wait_checked LB N TRIES(x1 s): N (service, real) pairs with a check result
    local i
    for i in $(seq "$3"); do
        [ "$(status_lines "$1" | awk '$1 == "real" && $10 == "checked"' | wc -l)" -ge "$2" ] && return 0
        sleep 1
    done
    return 1
}
# real_up_since LB ADDR T: every port of ADDR is up and its last check passed after unix
# time T (status gives a result's age in whole seconds: one second of margin).
real_up_since() {
    status_lines "$1" | awk -v a="$2" -v t="$3" -v now="$(now)" '$1 == "real" && index($3, a ":") == 1 {
        n++; if ($4 == "up" && $11 != "-" && $11 + 1 <= now - t) u++ } END { exit !(n && n == u) }'
}
# marked_services LB: the IMAP-balanced descriptor's two fwmark services in LB's kernel and
# its mark rules in lvsd's nftables table.
marked_services() {
    local svc rules
    svc=$(ip netns exec "$1" ipvsadm -Ln) || return 1
    rules=$(ip netns exec "$1" nft list table inet lvsd_mark 2>&1) || { echo "$rules"; return 1; }
    echo "$svc" | grep -Eq '^FWM +10 rr persistent 1800' && echo "$svc" | grep -Eq '^FWM +20 rr persistent 1800' &&
        echo "$rules" | grep -Eq 'ip daddr 192[.]0[.]2[.]10 tcp dport [{] 110, 143, 993, 995 [}] meta mark set 0x0*a$' &&
        echo "$rules" | grep -Eq 'ip daddr 192[.]0[.]2[.]20 tcp dport [{] 110, 143, 993, 995 [}] meta mark set 0x0*14$' &&
        return 0
    echo "$svc"; echo "$rules"; return 1
}
kernel_weight() {  # kernel_weight LB VIP:PORT REAL:PORT
    ip netns exec "$1" ipvsadm -Ln -t "$2" 2>/dev/null | awk -v r="$3" '$1 == "->" && $2 == r { print $4 }'
}

# --- load ----------------------------------------------------------------------------------------
# write_plan RATE: SMTP, POP3 (STLS / implicit TLS), IMAP (STARTTLS / implicit TLS, 2 connections
# at once) at both VIPs from four client addresses; research mail for ada, education for bob.
write_plan() {
    python3 - "$WORK/pki/ca.crt" "$CLIENTS" "$1" > "$WORK/plan.json" <<'PY'
import json, sys
targets = []
for vip, user in (("192.0.2.10", "ada"), ("192.0.2.20", "bob")):
    for port, weight in ((25, 3), (110, 1), (995, 1), (143, 1), (993, 1)):
        targets.append({"vip": vip, "port": port, "weight": weight, "user": user,
                        "password": user + "-secret", "rcpt": user + "@example.test"})
print(json.dumps({"targets": targets, "clients": sys.argv[2].split(), "rate": float(sys.argv[3]),
                  "duration_s": 3600, "cafile": sys.argv[1], "imap_parallel": 2,
                  "timeout_s": 60, "close": "reset", "workers": 24}))
PY
}
start_load() {
    ip netns exec client python3 "$LOADGEN" --plan "$WORK/plan.json" --out "$OUT/sessions.jsonl" \
        > "$WORK/load.out" 2>&1 &
    load_pid=$!
}
stop_load() {
    [ -n "$load_pid" ] || return 0
    kill -TERM "$load_pid"; wait "$load_pid" 2>/dev/null; load_pid=""
    cat "$WORK/load.out"
}
# The steps: one JSON line each in OUT/steps.jsonl (name, start, end, figures).
step_begin() { STEP_NAME=$1; STEP_T0=$(now); say "=== step $1: $2"; }
step_end() {  # step_end [FIGURES_JSON]
    local t1; t1=$(now)
    echo "{\"step\": \"$STEP_NAME\", \"start\": $STEP_T0, \"end\": $t1, \"figures\": ${1:-{\}}}" >> "$OUT/steps.jsonl"
}
# step_sessions STEP CHECK: runs a report.py check over the sessions of STEP; prints the
# failed sessions and both lvsd logs when it fails.
step_check() {  # step_check DESCRIPTION STEP CHECK [ARGS]
    local what=$1; shift
    if python3 "$CLUSTER_DIR/report.py" check "$OUT" "$@"; then pass "$what"; else fail "$what"; lvsd_logs; fi
}
# sessions_after T [REGEX]: how many sessions that started after unix time T have ended
# (and match REGEX, e.g. '"real": "rs5"'); awk, not report.py: it runs in waits.
sessions_after() {
    awk -v t="$1" -v re="${2:-.}" 'match($0, /"ts": [0-9.]+/) && substr($0, RSTART + 6, RLENGTH - 6) + 0 > t && $0 ~ re { n++ }
        END { print n + 0 }' "$OUT/sessions.jsonl" 2>/dev/null || echo 0
}
# wait_sessions_after T N MAX_S [REGEX]: waits until N sessions that started after T have
# ended, at most MAX_S seconds; looks every second (a session ends any time), with a
# progress line every 5 s.
wait_sessions_after() {
    local t0 t n next
    printf -v t0 '%(%s)T' -1
    next=$((t0 + 5))
    while :; do
        n=$(sessions_after "$1" "${4:-.}")
        [ "$n" -ge "$2" ] && return 0
        printf -v t '%(%s)T' -1
        [ "$t" -ge $((t0 + $3)) ] && { echo "    only $n of $2 sessions after $1 in $3 s"; return 1; }
        if [ "$t" -ge "$next" ]; then progress_line; next=$((t + 5)); fi
        sleep 1
    done
}
# progress_line: how many sessions so far, how many failed.
progress_line() {
    local n f
    n=$(wc -l < "$OUT/sessions.jsonl" 2>/dev/null || echo 0)
    f=$(grep -c '"ok": false' "$OUT/sessions.jsonl" 2>/dev/null)
    echo "    ... $(date +%H:%M:%S) load: ${n:-0} sessions so far, ${f:-0} failed"
}
# progress_sleep S: waits S seconds under load, with a progress line every 5 s.
progress_sleep() {
    local end=$(( $(date +%s) + $1 )) left
    while left=$(( end - $(date +%s) )); [ "$left" -gt 0 ]; do
        sleep $(( left < 5 ? left : 5 ))   # one reading of the clock: a busy VM can pass $end in between
        progress_line
    done
}
