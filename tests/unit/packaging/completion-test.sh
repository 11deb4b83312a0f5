#!/bin/bash
# Unit test: the bash completion of lvsctl against the built lvsctl, with lvsd's status
# document replaced by a fixture (the kernel test kernel_debian_package completes reals
# from a running lvsd).   completion-test.sh LVSCTL COMPLETION_FILE
set -uo pipefail
LVSCTL=$1 COMPLETION=$2
fail() { echo "FAIL: completion: $*"; exit 1; }
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT

# An lvsctl whose `status --json` prints a status document shaped as lvsd's (pretty-printed,
# keys sorted), and which runs the real lvsctl for everything else.
cat > "$T/status.json" <<'EOJ'
{
  "daemon": {
    "node": "lb1"
  },
  "services": [
    {
      "healthy": 2,
      "key": "tcp 192.0.2.10:25",
      "name": "research/25",
      "reals": [
        {
          "admin": "enabled",
          "real": "203.0.113.81:25"
        },
        {
          "admin": "enabled",
          "real": "[2001:db8::82]:25"
        }
      ]
    },
    {
      "key": "tcp 192.0.2.20:110",
      "name": "education/110",
      "reals": [
        {
          "real": "203.0.113.91:110"
        }
      ]
    }
  ],
  "sysctls": [
    {
      "name": "expire_nodest_conn"
    }
  ]
}
EOJ
cat > "$T/lvsctl" <<EOS
#!/bin/bash
if [ "\$1" = status ]; then echo "\$*" > "$T/status-args"; cat "$T/status.json"; exit 0; fi
exec "$LVSCTL" "\$@"
EOS
chmod +x "$T/lvsctl"

# complete WORDS...: what _lvsctl offers for the last word, one per line, sorted.
complete_words() {
    PATH="$T:$PATH" bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _lvsctl
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$COMPLETION" "$@"
}
expect() {  # expect "WHAT" WORD... -- the offers must include WHAT (space-separated)
    local want=$1; shift
    local got; got=$(complete_words "$@")
    for w in $want; do
        grep -qxF -- "$w" <<< "$got" || fail "'$*' does not offer '$w'; it offers: $(tr '\n' ' ' <<< "$got")"
    done
}
refuse() {  # refuse "WHAT" WORD... -- the offers must not include WHAT
    local bad=$1; shift
    local got; got=$(complete_words "$@")
    for w in $bad; do
        grep -qxF -- "$w" <<< "$got" && fail "'$*' offers '$w'"
    done
    return 0
}

# Subcommands come from `lvsctl --help`: every one listed there is offered.
subs=$("$LVSCTL" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ "$(wc -w <<< "$subs")" -ge 10 ] || fail "lvsctl --help lists too few subcommands: $subs"
expect "$subs --version" lvsctl ""
expect "drain diff" lvsctl d
refuse "status" lvsctl d
echo "ok: subcommands"

expect "--service --wait --timeout --socket" lvsctl drain 203.0.113.81 --
expect "--json --schema" lvsctl validate --
expect "status failover resume" lvsctl ha ""
expect "--socket" lvsctl ha status --
echo "ok: options and ha's subcommands"

expect "203.0.113.81 203.0.113.81:25 2001:db8::82 [2001:db8::82]:25 203.0.113.91" lvsctl drain ""
expect "203.0.113.81:25" lvsctl enable 203.0.113.81:
refuse "203.0.113.91" lvsctl check 203.0.113.8
expect "203.0.113.91:110" lvsctl status --real 203.0.113.9
expect "research/25 research education/110 education" lvsctl drain 203.0.113.81 --service ""
refuse "expire_nodest_conn lb1" lvsctl status --service ""
echo "ok: reals and services from lvsd's status"

complete_words lvsctl drain --socket /run/other.sock "" > /dev/null
grep -qF -- "--socket /run/other.sock" "$T/status-args" || fail "the status query ignores --socket: $(cat "$T/status-args")"
echo "ok: the status query uses the --socket given"
echo "PASS: completion"
