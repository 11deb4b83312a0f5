# Sourced by the HA benches after pair.sh, with standby_pid set: keepalived 2.2.7 as both
# balancers of the pair with its own IPVS table and the kernel's sync daemons, and the
# clean-up between daemons. `extra_pids` (killed at exit) holds the keepalived processes.
declare -A ka_pid=()
helpers() { extra_pids="$standby_pid ${ka_pid[*]}"; }
helpers

start_keepalived() {  # start_keepalived LB: VRRP and the checker (it programs IPVS)
    ip netns exec "$1" keepalived --dont-fork --log-console --no-syslog \
        --use-file "$WORK/$1/keepalived.conf" --pid "$WORK/$1/ka.pid" \
        --vrrp_pid "$WORK/$1/vrrp.pid" --checkers_pid "$WORK/$1/check.pid" \
        >> "$WORK/keepalived-$1.log" 2>&1 &
    ka_pid[$1]=$!
    helpers
}
# keepalived_ipvs_conf FILE NODE PRIORITY SRC PEER SYNC: pair.sh's VRRP settings, plus the
# sync daemons (SYNC: the lvs_sync_daemon arguments) and the echo service with TCP checks
# like the descriptor's (every 1 s, 0.8 s timeout, down after 2 failures).
keepalived_ipvs_conf() {
    keepalived_conf "$1" "$2" "$3" "$4" "$5"
    sed -i "s/^  router_id .*/&\n  lvs_sync_daemon $6/" "$1"
    cat >> "$1" <<EOF2
virtual_server $VIP $PORT {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 203.0.113.11 $PORT {
    weight 1
    TCP_CHECK {
      connect_timeout 0.8
      retry 1
      delay_before_retry 1
    }
  }
  real_server 203.0.113.12 $PORT {
    weight 1
    TCP_CHECK {
      connect_timeout 0.8
      retry 1
      delay_before_retry 1
    }
  }
}
EOF2
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
clear_ipvs() {  # between daemons: no service, no sync daemon left on either balancer
    local lb
    for lb in lb1 lb2; do
        ip netns exec "$lb" ipvsadm -C
        ip netns exec "$lb" ipvsadm --stop-daemon master 2>/dev/null
        ip netns exec "$lb" ipvsadm --stop-daemon backup 2>/dev/null
    done
}
