# Shared helpers for the realservers scripts (sourced, not run).
# Every wait here is bounded; every failure says what it was waiting for.

rs_log() { echo "realservers: $*" >&2; }
rs_die() { echo "realservers: error: $*" >&2; exit 1; }

# rs_in_ns NS CMD...: runs CMD in namespace NS, or here when NS is empty.
rs_in_ns() {
  local ns=$1; shift
  if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# rs_listening NS ADDRESS PORT: true when something listens on ADDRESS:PORT (TCP) in NS.
# One process (ss), the match in bash: under emulation each process costs 0.1-0.5 s.
rs_listening() {
  local ns=$1 addr=$2 port=$3 want line out
  case $addr in *:*) want="[$addr]:$port" ;; *) want="$addr:$port" ;; esac
  # Not a process substitution: the VM's /dev has no /dev/fd.
  out=$(rs_in_ns "$ns" ss -Hltn "sport = :$port" 2>/dev/null) || return 1
  while read -r _ _ _ line _; do
    [ "$line" = "$want" ] && return 0
  done <<< "$out"
  return 1
}

# rs_wait_listening NS ADDRESS PORT [TRIES]: polls every 0.1 s, at most TRIES times (default 100).
rs_wait_listening() {
  local ns=$1 addr=$2 port=$3 tries=${4:-100} i
  for ((i = 0; i < tries; i++)); do
    rs_listening "$ns" "$addr" "$port" && return 0
    sleep 0.1
  done
  rs_log "nothing listens on $addr port $port${ns:+ in netns $ns} after $tries tries"
  return 1
}

# rs_wait_pid_gone PID [TRIES]: polls every 0.1 s until the process is gone.
rs_wait_pid_gone() {
  local pid=$1 tries=${2:-100} i
  for ((i = 0; i < tries; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

rs_require_root() {
  [ "$(id -u)" -eq 0 ] || rs_die "must run as root (starts daemons and enters network namespaces)"
}

# rs_require_reachable USER PATH TEST: dies unless USER passes `test TEST PATH` (-x, -r,
# -w). The daemons' own users must reach their files: a folder under a home directory of
# mode 0700 (/root, say) is closed to them, and they fail later with a bare EACCES.
rs_require_reachable() {
  local user=$1 path=$2 test=$3 uid gid
  rs_user_ids "$user" uid gid || rs_die "user $user does not exist (is its package installed?)"
  setpriv --reuid="$uid" --regid="$gid" --init-groups test "$test" "$path" ||
    rs_die "user $user cannot reach $path (test $test): a parent folder is closed to other users (a home directory of mode 0700?); give a --dir those users can reach, e.g. under /tmp"
}

# rs_user_ids USER UIDVAR GIDVAR: USER's uid and primary gid into the two variables, from
# one `getent passwd` (id -u and id -g would be two processes); false when USER is unknown.
rs_user_ids() {
  local entry
  entry=$(getent passwd "$1") || return 1
  IFS=: read -r _ _ "$2" "$3" _ <<< "$entry"
}
