#!/usr/bin/python3
"""Generate the lvsd benchmark inputs: one table for lvsd and for keepalived.

  desc-none.json   lvsd descriptor, SERVICES x DESTS, every check "none"
  desc-check.json  the same, but the CHECKED service has a tcp check (every 1 s,
                   timeout 500 ms, rise 1, fall 1) on reals 198.51.100.2..  (listeners
                   the benchmark runs in a namespace behind the director)
  keepalived.conf  the same table for keepalived --check: SERVICES virtual_server
                   blocks, only the CHECKED one with TCP_CHECK (connect_timeout 0.5,
                   retry 0, delay_loop 1, inhibit_on_failure: weight 0 like lvsd)
  bench.env        shell assignments naming the keys the benchmark watches

The layout (VIPs, ports, reals 203.0.113.1..DESTS, weights 1..DESTS) is gen_bench.py's.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gen_bench  # noqa: E402

CHECK = {"type": "tcp", "interval_ms": 1000, "timeout_ms": 500, "rise": 1, "fall": 1}


def checked_reals(dests):
    return [("198.51.100.%d" % (d + 2), d + 1) for d in range(dests)]


def layout(count, dests, checked):
    for i, (vip, port) in enumerate(gen_bench.services(count)):
        reals = checked_reals(dests) if i == checked else gen_bench.reals(dests)
        yield i, vip, port, reals


def descriptor(count, dests, checked, with_check):
    entries = []
    for i, vip, port, reals in layout(count, dests, checked):
        check = CHECK if (with_check and i == checked) else {"type": "none"}
        entries.append({"name": "s%d" % i, "address": vip, "protocol": "tcp", "port": port,
                        "scheduler": "rr", "forwarding": {"method": "masq"}, "check": check,
                        "reals": [{"address": a, "weight": w} for a, w in reals]})
    return {
        "cluster": "daemon-bench",
        "nodes": [{"name": "bench", "address": "198.51.100.1", "priority": 100}],
        "services": entries,
    }


def keepalived_conf(count, dests, checked):
    out = ["global_defs {", "  router_id daemon_bench", "}"]
    for i, vip, port, reals in layout(count, dests, checked):
        # keepalived's parser wants one keyword or brace per line.
        out += ["virtual_server %s %d {" % (vip, port), "  delay_loop 1", "  lb_algo rr",
                "  lb_kind NAT", "  protocol TCP"]
        for a, w in reals:
            out += ["  real_server %s %d {" % (a, port), "    weight %d" % w]
            if i == checked:
                out += ["    inhibit_on_failure", "    TCP_CHECK {", "      connect_timeout 0.5",
                        "      retry 0", "    }"]
            out.append("  }")
        out.append("}")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--dests", type=int, default=4)
    a = p.parse_args()
    if a.services < 2 or not 1 <= a.dests <= 200:
        raise SystemExit("need at least two services and 1..200 destinations")
    os.makedirs(a.outdir, exist_ok=True)
    checked = a.services // 2
    svc = list(gen_bench.services(a.services))
    cvip, cport = svc[checked]
    lvip, lport = svc[-1]
    dvip, dport = svc[1]
    env = {
        "SERVICES": a.services, "DESTS": a.dests,
        # The last service in descriptor order: both daemons write it last.
        "LAST_KEY": "tcp %s:%d" % (lvip, lport),
        "CHECKED_NAME": "s%d" % checked, "CHECKED_KEY": "tcp %s:%d" % (cvip, cport), "CHECKED_PORT": cport,
        "CHECKED_REALS": " ".join(r for r, _ in checked_reals(a.dests)),
        # The pair the drain round trips use.
        "DRAIN_NAME": "s1", "DRAIN_KEY": "tcp %s:%d" % (dvip, dport),
        "DRAIN_REAL": "203.0.113.1", "DRAIN_DEST": "203.0.113.1:%d" % dport,
    }
    outputs = {
        "desc-none.json": json.dumps(descriptor(a.services, a.dests, checked, False), indent=1) + "\n",
        "desc-check.json": json.dumps(descriptor(a.services, a.dests, checked, True), indent=1) + "\n",
        "keepalived.conf": keepalived_conf(a.services, a.dests, checked),
        "bench.env": "".join("%s='%s'\n" % (k, v) for k, v in env.items()),
    }
    for name, text in outputs.items():
        with open(os.path.join(a.outdir, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
