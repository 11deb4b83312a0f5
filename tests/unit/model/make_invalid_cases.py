#!/usr/bin/env python3
"""Writes the invalid descriptors under invalid/ and their expectations in invalid/cases.txt.

Each case is a small change to one valid base descriptor (or raw bytes for syntax
errors). cases.txt lines: file|severity|JSON pointer|message fragment. Run it again
after changing a case; commit both the files and cases.txt.
"""
import copy
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "invalid")

BASE = {
    "cluster": "t",
    "nodes": [
        {"name": "lb1", "address": "198.51.100.11", "priority": 150},
        {"name": "lb2", "address": "198.51.100.12", "priority": 100},
    ],
    "ha": {
        "virtual_router_id": 51,
        "interface": "eth2",
        "vips": [{"address": "192.0.2.10/24", "interface": "eth0"}],
    },
    "pools": {
        "p": {
            "reals": [
                {"address": "203.0.113.11", "weight": 100},
                {"address": "203.0.113.12", "weight": 50},
            ]
        }
    },
    "services": [
        {"name": "mail", "address": "192.0.2.10", "port": 25, "scheduler": "rr", "pool": "p"}
    ],
}

cases = []  # (name, severity, pointer, fragment, content bytes)


def mutate(name, severity, pointer, fragment, change):
    d = copy.deepcopy(BASE)
    change(d)
    cases.append((name, severity, pointer, fragment, (json.dumps(d, indent=2) + "\n").encode()))


def raw(name, pointer, fragment, data):
    cases.append((name, "error", pointer, fragment, data))


def svc(d):
    return d["services"][0]


def second_service(d, **fields):
    s = {"name": "mail2", "address": "192.0.2.10", "port": 110, "scheduler": "rr", "pool": "p"}
    s.update(fields)
    d["services"].append(s)


def setp(path, value):
    def f(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value
    return f


def delp(path):
    def f(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        del cur[path[-1]]
    return f


def both(*fs):
    def f(d):
        for g in fs:
            g(d)
    return f


base_text = json.dumps(BASE, indent=2)

# ---- syntax: the JSON itself is broken
raw("syntax-truncated.json", "", "unexpected end of file", base_text[: len(base_text) // 2].encode())
raw("syntax-trailing-comma-object.json", "", "trailing comma before '}'", b'{"cluster": "t",\n "nodes": [],\n}\n')
raw("syntax-trailing-comma-array.json", "", "trailing comma before ']'", b'{"cluster": "t", "nodes": [1, 2,]}\n')
raw("syntax-duplicate-key.json", "/cluster", 'duplicate field "cluster"',
    base_text.replace('"cluster": "t",', '"cluster": "t",\n  "cluster": "u",', 1).encode())
raw("syntax-non-utf8.json", "", "invalid UTF-8 byte 0xff", b'{"cluster": "t\xffx"}\n')
raw("syntax-overlong-utf8.json", "", "invalid UTF-8 byte 0xc0", b'{"cluster": "\xc0\xaf"}\n')
raw("syntax-latin1-outside-string.json", "", "expected a value, found byte 0xe9", b'{"cluster": \xe9}\n')
raw("syntax-missing-colon.json", "", "expected ':'", b'{"cluster" "t"}\n')
raw("syntax-unquoted-key.json", "", "expected a field name in double quotes", b'{cluster: "t"}\n')
raw("syntax-leading-zero.json", "", "leading zeros", b'{"port": 025}\n')
raw("syntax-comment.json", "", "expected a field name in double quotes", b'{\n  // a comment\n  "cluster": "t"\n}\n')
raw("syntax-empty.json", "", "the file is empty", b"\n")
raw("syntax-control-character.json", "", "control character", b'{"cluster": "a\tb"}\n')
raw("syntax-lone-surrogate.json", "", "unpaired UTF-16 surrogate", b'{"cluster": "\\ud800"}\n')
raw("syntax-trailing-text.json", "", "after the end of the document", b'{"cluster": "t"} x\n')
raw("syntax-single-quotes.json", "", "expected a value, found '''", b"{\"cluster\": 't'}\n")

# ---- schema: shape and type errors
mutate("schema-port-above-maximum.json", "error", "/services/0/port", "70000 is above the maximum 65535",
       setp(["services", 0, "port"], 70000))
mutate("schema-port-below-minimum.json", "error", "/services/0/port", "0 is below the minimum 1",
       setp(["services", 0, "port"], 0))
mutate("schema-port-string.json", "error", "/services/0/port", 'expected an integer, found the string "25"',
       setp(["services", 0, "port"], "25"))
mutate("schema-port-float.json", "error", "/services/0/port", "expected an integer, found the number 25.5",
       setp(["services", 0, "port"], 25.5))
mutate("schema-weight-negative.json", "error", "/pools/p/reals/0/weight", "-1 is below the minimum 0",
       setp(["pools", "p", "reals", 0, "weight"], -1))
mutate("schema-weight-too-big.json", "error", "/pools/p/reals/0/weight",
       "2147483648 is above the maximum 2147483647", setp(["pools", "p", "reals", 0, "weight"], 2147483648))
mutate("schema-unknown-field.json", "error", "/services/0/prot", 'unknown field "prot" (did you mean "protocol"?)',
       setp(["services", 0, "prot"], "tcp"))
mutate("schema-unknown-top-level-field.json", "error", "/servics", 'unknown field "servics"',
       setp(["servics"], []))
mutate("schema-scheduler-enum.json", "error", "/services/0/scheduler", "must be one of rr, wrr, lc, wlc, fo",
       setp(["services", 0, "scheduler"], "rrr"))
mutate("schema-protocol-enum.json", "error", "/services/0/protocol", "must be one of tcp, udp, sctp",
       setp(["services", 0, "protocol"], "icmp"))
mutate("schema-missing-service-name.json", "error", "/services/0", 'missing required field "name"',
       delp(["services", 0, "name"]))
mutate("schema-missing-nodes.json", "error", "", 'missing required field "nodes"', delp(["nodes"]))
mutate("schema-vrid-zero.json", "error", "/ha/virtual_router_id", "0 is below the minimum 1",
       setp(["ha", "virtual_router_id"], 0))
mutate("schema-vrid-too-big.json", "error", "/ha/virtual_router_id", "256 is above the maximum 255",
       setp(["ha", "virtual_router_id"], 256))
mutate("schema-advert-too-small.json", "error", "/ha/advert_interval_ms", "5 is below the minimum 10",
       setp(["ha", "advert_interval_ms"], 5))
mutate("schema-advert-too-big.json", "error", "/ha/advert_interval_ms", "40960 is above the maximum 40950",
       setp(["ha", "advert_interval_ms"], 40960))
mutate("schema-advert-not-multiple.json", "error", "/ha/advert_interval_ms", "1005 is not a multiple of 10",
       setp(["ha", "advert_interval_ms"], 1005))
# Found by the fuzzer: a schema library's multipleOf check cast such a number to long.
mutate("schema-advert-huge.json", "error", "/ha/advert_interval_ms", "expected an integer, found the number",
       setp(["ha", "advert_interval_ms"], 1e126))
mutate("schema-nodes-empty.json", "error", "/nodes", "needs at least 1 item", setp(["nodes"], []))
mutate("schema-name-empty.json", "error", "/cluster", "must not be empty", setp(["cluster"], ""))
mutate("schema-name-pattern.json", "error", "/cluster", '"a b" is not valid here', setp(["cluster"], "a b"))
mutate("schema-interface-too-long.json", "error", "/ha/interface", "is longer than 15 characters",
       setp(["ha", "interface"], "ethernet-port-0001"))
mutate("schema-ports-repeated.json", "error", "/services/0/ports", "items 0 and 2 are the same",
       both(delp(["services", 0, "port"]), setp(["services", 0, "ports"], [25, 110, 25])))
mutate("schema-boolean-type.json", "error", "/ha/preempt", 'expected a boolean, found the string "yes"',
       setp(["ha", "preempt"], "yes"))
mutate("schema-object-type.json", "error", "/ha", "expected an object, found an array", setp(["ha"], []))
mutate("schema-array-type.json", "error", "/services", "expected an array, found an object", setp(["services"], {}))
mutate("schema-null-value.json", "error", "/services/0/address", "expected a string, found null",
       setp(["services", 0, "address"], None))
mutate("schema-priority-too-big.json", "error", "/nodes/0/priority", "255 is above the maximum 254",
       setp(["nodes", 0, "priority"], 255))
mutate("schema-check-type-enum.json", "error", "/services/0/check/type", "must be one of tcp, smtp, pop3, imap, none",
       setp(["services", 0, "check"], {"type": "http"}))
mutate("schema-tls-enum.json", "error", "/services/0/check/tls", "must be one of none, implicit, starttls",
       setp(["services", 0, "check"], {"tls": "ssl"}))
mutate("schema-on-failure-enum.json", "error", "/services/0/on_failure", "must be one of quiesce, remove",
       setp(["services", 0, "on_failure"], "drop"))
mutate("schema-forwarding-enum.json", "error", "/services/0/forwarding/method", "must be one of masq, droute, tunnel",
       setp(["services", 0, "forwarding"], {"method": "nat"}))
mutate("schema-key-file-relative.json", "error", "/ha/authentication/key_file", "expected an absolute file path",
       setp(["ha", "authentication"], {"type": "hmac-sha256", "key_file": "vrrp.key"}))
mutate("schema-sync-id-too-big.json", "error", "/ha/sync/sync_id", "256 is above the maximum 255",
       setp(["ha", "sync"], {"interface": "eth1", "sync_id": 256}))
mutate("schema-sync-send-enum.json", "error", "/ha/sync/send", "must be one of each, batched",
       setp(["ha", "sync"], {"interface": "eth1", "sync_id": 1, "send": "sometimes"}))
mutate("schema-conn-reuse-mode.json", "error", "/ipvs/conn_reuse_mode", "3 is above the maximum 2",
       setp(["ipvs"], {"conn_reuse_mode": 3}))
mutate("schema-missing-vip-interface.json", "error", "/ha/vips/0", 'missing required field "interface"',
       delp(["ha", "vips", 0, "interface"]))
mutate("schema-scheduler-flag-enum.json", "error", "/services/0/scheduler_flags/0",
       "must be one of flag-1, flag-2, flag-3", setp(["services", 0, "scheduler_flags"], ["fallback"]))

# ---- values the model parses (addresses, pool names)
mutate("model-bad-address.json", "error", "/services/0/address", '"192.0.2.300" is not an IPv4 or IPv6 address',
       setp(["services", 0, "address"], "192.0.2.300"))
mutate("model-bad-real-address.json", "error", "/pools/p/reals/1/address", "is not an IPv4 or IPv6 address",
       setp(["pools", "p", "reals", 1, "address"], "real-1.example"))
mutate("model-bad-vip-prefix.json", "error", "/ha/vips/0/address", "bad prefix length: IPv4 allows 0 to 32",
       setp(["ha", "vips", 0, "address"], "192.0.2.10/33"))
mutate("model-bad-pool-name.json", "error", "/pools/a b", 'pool name "a b" is not valid',
       both(setp(["pools", "a b"], {"reals": [{"address": "203.0.113.13"}]}), setp(["services", 0, "pool"], "p")))

# ---- meaning: every semantic rule
mutate("sem-duplicate-service.json", "error", "/services/1/port", "tcp 192.0.2.10:25 is already defined by /services/0",
       lambda d: second_service(d, port=25))
mutate("sem-duplicate-service-in-ports.json", "error", "/services/1/ports/1",
       "tcp 192.0.2.10:25 is already defined by /services/0",
       lambda d: second_service(d, port=None) or d["services"][1].pop("port") and None or
       d["services"][1].update(ports=[110, 25]))
mutate("sem-duplicate-fwmark.json", "error", "/services/1/fwmark", "fwmark 7 (inet) is already defined by /services/0",
       lambda d: d.update(services=[
           {"name": "m1", "fwmark": 7, "scheduler": "rr", "pool": "p", "check": {"port": 25}},
           {"name": "m2", "fwmark": 7, "scheduler": "wlc", "pool": "p", "check": {"port": 25}}]))
mutate("sem-undefined-pool.json", "error", "/services/0/pool", 'pool "nope" is not defined',
       setp(["services", 0, "pool"], "nope"))
mutate("sem-undefined-sorry-server.json", "error", "/services/0/sorry_server", 'sorry server pool "away" is not defined',
       setp(["services", 0, "sorry_server"], "away"))
mutate("sem-family-mismatch-pool.json", "error", "/pools/p/reals/0/address",
       "IPv6 real 2001:db8::11 cannot serve IPv4 service mail with masq forwarding",
       setp(["pools", "p", "reals", 0, "address"], "2001:db8::11"))
mutate("sem-family-mismatch-droute.json", "error", "/services/0/reals/0/address",
       "cannot serve IPv4 service mail with droute forwarding",
       both(delp(["services", 0, "pool"]), setp(["services", 0, "forwarding"], {"method": "droute"}),
            setp(["services", 0, "reals"], [{"address": "2001:db8::11"}]), delp(["pools"])))
mutate("sem-persistence-netmask-too-wide.json", "error", "/services/0/persistence_netmask",
       "prefix length 64 is wider than IPv4 allows (32)",
       both(setp(["services", 0, "persistence_s"], 900), setp(["services", 0, "persistence_netmask"], 64)))
mutate("sem-fo-equal-weights.json", "warning", "/services/0/scheduler",
       "equal weight 100 (203.0.113.11, 203.0.113.12): failover order is undefined",
       both(setp(["services", 0, "scheduler"], "fo"), setp(["pools", "p", "reals", 1, "weight"], 100)))
mutate("sem-vip-not-covered.json", "warning", "/services/0/address",
       "VIP 192.0.2.99 is not in ha.vips, so it does not move on failover",
       setp(["services", 0, "address"], "192.0.2.99"))
mutate("sem-equal-priorities.json", "error", "/nodes/1/priority", 'priority 150 equals that of node "lb1"',
       setp(["nodes", 1, "priority"], 150))
mutate("sem-key-file-missing.json", "warning", "/ha/authentication/key_file",
       "key file /nonexistent/lvs-test/vrrp.key does not exist",
       setp(["ha", "authentication"], {"type": "hmac-sha256", "key_file": "/nonexistent/lvs-test/vrrp.key"}))
mutate("sem-credentials-file-missing.json", "warning", "/services/0/check/credentials_file",
       "credentials file /nonexistent/lvs-test/imap.cred does not exist",
       both(setp(["services", 0, "port"], 143),
            setp(["services", 0, "check"], {"credentials_file": "/nonexistent/lvs-test/imap.cred"})))
mutate("sem-clear-text-login.json", "warning", "/services/0/check/credentials_file",
       "the pop3 check of service mail sends USER/PASS in clear text (tls: none)",
       both(setp(["services", 0, "port"], 110),
            setp(["services", 0, "check"], {"credentials_file": "/nonexistent/lvs-test/pop3.cred"})))
mutate("sem-hmac-without-key-file.json", "error", "/ha/authentication", "hmac-sha256 needs a key_file",
       setp(["ha", "authentication"], {"type": "hmac-sha256"}))
mutate("sem-key-file-without-hmac.json", "error", "/ha/authentication/key_file",
       "key_file is only used with type hmac-sha256",
       setp(["ha", "authentication"], {"type": "none", "key_file": "/etc/lvs/vrrp.key"}))
mutate("sem-port-and-ports.json", "error", "/services/0", 'give only one of "port" and "ports"',
       setp(["services", 0, "ports"], [110]))
mutate("sem-no-port.json", "error", "/services/0", 'needs one of "port", "ports" or "fwmark"',
       delp(["services", 0, "port"]))
mutate("sem-fwmark-with-address.json", "error", "/services/0",
       'a fwmark service with an "address" needs "port" or "ports": the ports lvsd marks with 3',
       both(delp(["services", 0, "port"]), setp(["services", 0, "fwmark"], 3), setp(["services", 0, "check"], {"port": 25})))
# Marked fwmark services (fwmark + address + port/ports: lvsd sets the mark).
mutate("sem-fwmark-port-without-address.json", "error", "/services/0/ports",
       '"port"/"ports" with "fwmark" need the "address" whose ports lvsd marks',
       both(delp(["services", 0, "port"]), delp(["services", 0, "address"]), setp(["services", 0, "fwmark"], 3),
            setp(["services", 0, "ports"], [143, 993])))
mutate("sem-marked-with-family.json", "error", "/services/0/family",
       '"family" is only for fwmark services without an address',
       both(setp(["services", 0, "fwmark"], 3), setp(["services", 0, "family"], "inet")))
mutate("sem-marked-port-also-plain.json", "error", "/services/1/ports/1",
       "tcp 192.0.2.10:25 is taken by marked service mail2 (fwmark 9, /services/1/ports/1) and by service mail "
       "(/services/0/port)",
       lambda d: second_service(d, port=None) or d["services"][1].pop("port") and None or
       d["services"][1].update({"ports": [110, 25], "fwmark": 9}))
mutate("sem-marked-port-marked-twice.json", "error", "/services/1/port",
       "tcp 192.0.2.10:110 is taken by marked service mail2 (fwmark 9, /services/1/port) and by marked service mail "
       "(fwmark 8, /services/0/ports/1)",
       both(delp(["services", 0, "port"]), setp(["services", 0, "ports"], [143, 110]), setp(["services", 0, "fwmark"], 8),
            lambda d: second_service(d, fwmark=9)))
mutate("sem-marked-same-mark.json", "error", "/services/1/fwmark", "fwmark 8 (inet) is already defined by /services/0",
       both(setp(["services", 0, "fwmark"], 8), lambda d: second_service(d, fwmark=8)))
mutate("sem-marked-real-port.json", "error", "/pools/p/reals/1/port",
       'real 203.0.113.12 has a port, but service mail is marked (fwmark 3): its reals keep the client\'s port',
       both(setp(["services", 0, "fwmark"], 3), setp(["pools", "p", "reals", 1, "port"], 2525)))
mutate("sem-marked-sorry-port.json", "error", "/pools/sorry/reals/0/port",
       "sorry server 203.0.113.19 has a port, but service mail is marked (fwmark 3)",
       both(setp(["services", 0, "fwmark"], 3), setp(["services", 0, "sorry_server"], "sorry"),
            setp(["pools", "sorry"], {"reals": [{"address": "203.0.113.19", "port": 8025}]})))
mutate("sem-marked-vip-not-in-ha.json", "warning", "/services/0/address",
       "VIP 192.0.2.20 is not in ha.vips, so it does not move on failover",
       both(setp(["services", 0, "fwmark"], 3), setp(["services", 0, "address"], "192.0.2.20")))
mutate("sem-fwmark-without-check-port.json", "error", "/services/0/check/port", "a fwmark service has no port",
       both(delp(["services", 0, "port"]), delp(["services", 0, "address"]), setp(["services", 0, "fwmark"], 3)))
mutate("sem-missing-address.json", "error", "/services/0", 'missing required field "address"',
       delp(["services", 0, "address"]))
mutate("sem-family-without-fwmark.json", "error", "/services/0/family", '"family" is only for fwmark services',
       setp(["services", 0, "family"], "inet"))
mutate("sem-pool-and-reals.json", "error", "/services/0/reals", 'give either "pool" or "reals"',
       setp(["services", 0, "reals"], [{"address": "203.0.113.13"}]))
mutate("sem-no-reals.json", "error", "/services/0", 'needs a "pool" or inline "reals"', delp(["services", 0, "pool"]))
mutate("sem-duplicate-service-name.json", "error", "/services/1/name", 'service name "mail" is already used by /services/0',
       lambda d: second_service(d, name="mail"))
mutate("sem-flag-for-other-scheduler.json", "error", "/services/0/scheduler_flags/0",
       'flag "sh-port" belongs to the sh scheduler, not rr', setp(["services", 0, "scheduler_flags"], ["sh-port"]))
mutate("sem-gue-without-port.json", "error", "/services/0/forwarding", "a gue tunnel needs tunnel_port",
       setp(["services", 0, "forwarding"], {"method": "tunnel", "tunnel_type": "gue"}))
mutate("sem-tunnel-fields-without-tunnel.json", "error", "/services/0/forwarding",
       "only for method tunnel", setp(["services", 0, "forwarding"], {"method": "masq", "tunnel_type": "gre"}))
mutate("sem-remcsum-on-gre.json", "error", "/services/0/forwarding/tunnel_checksum", "remcsum is only for gue",
       setp(["services", 0, "forwarding"], {"method": "tunnel", "tunnel_type": "gre", "tunnel_checksum": "remcsum"}))
mutate("sem-thresholds-reversed.json", "error", "/pools/p/reals/0/lower_threshold",
       "lower_threshold 500 is above upper_threshold 100",
       both(setp(["pools", "p", "reals", 0, "upper_threshold"], 100), setp(["pools", "p", "reals", 0, "lower_threshold"], 500)))
mutate("sem-duplicate-real.json", "error", "/pools/p/reals/1", "real 203.0.113.11 is already listed at /pools/p/reals/0",
       setp(["pools", "p", "reals", 1, "address"], "203.0.113.11"))
mutate("sem-timeout-not-below-interval.json", "error", "/pools/p/check/timeout_ms",
       "timeout_ms 5000 must be below interval_ms 2000",
       setp(["pools", "p", "check"], {"interval_ms": 2000, "timeout_ms": 5000}))
mutate("sem-starttls-on-tcp-check.json", "error", "/services/0/check/tls", "starttls needs an smtp, pop3 or imap check",
       setp(["services", 0, "check"], {"type": "tcp", "tls": "starttls"}))
mutate("sem-duplicate-node-name.json", "error", "/nodes/1/name", 'node name "lb1" is already used by /nodes/0',
       setp(["nodes", 1, "name"], "lb1"))
mutate("sem-duplicate-node-address.json", "error", "/nodes/1/address", "node address 198.51.100.11 is already used",
       setp(["nodes", 1, "address"], "198.51.100.11"))
mutate("sem-ha-with-one-node.json", "error", "/ha", "failover needs at least two nodes, found 1",
       lambda d: d["nodes"].pop())
mutate("sem-duplicate-vip.json", "error", "/ha/vips/1/address", "VIP 192.0.2.10 is already listed at /ha/vips/0",
       lambda d: d["ha"]["vips"].append({"address": "192.0.2.10/32", "interface": "eth0"}))
mutate("sem-unused-pool.json", "warning", "/pools/spare", 'pool "spare" is not used by any service',
       setp(["pools", "spare"], {"reals": [{"address": "203.0.113.19"}]}))
mutate("sem-quorum-above-reals.json", "warning", "/services/0/quorum", "quorum 3 is more than the 2 reals",
       setp(["services", 0, "quorum"], 3))

os.makedirs(HERE, exist_ok=True)
for f in os.listdir(HERE):
    if f.endswith(".json"):
        os.remove(os.path.join(HERE, f))
with open(os.path.join(HERE, "cases.txt"), "w") as out:
    out.write("# file|severity|JSON pointer|message fragment (written by ../make_invalid_cases.py)\n")
    for name, sev, ptr, frag, data in cases:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        out.write(f"{name}|{sev}|{ptr}|{frag}\n")
print(len(cases), "cases")
