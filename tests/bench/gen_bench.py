#!/usr/bin/python3
"""Generate the IPVS benchmark inputs: one table written two ways.

  desc.json         cluster descriptor: SERVICES TCP services x DESTS masq destinations
  desc-weight.json  the same with one destination's weight changed
  ipvsadm.rules     the same table as `ipvsadm -R` input

Services are spread over VIPs 192.0.2.1.. (250 ports each, 1000..1249); each service has
its own inline reals 203.0.113.1..DESTS on the service's port, weights 1..DESTS, so the
weight change touches exactly one destination.
"""
import argparse
import json
import os

PORTS_PER_VIP = 250
FIRST_PORT = 1000


def services(count):
    for i in range(count):
        vip_index, port_index = divmod(i, PORTS_PER_VIP)
        if vip_index >= 254:
            raise SystemExit("too many services for 192.0.2.0/24 x %d ports" % PORTS_PER_VIP)
        yield "192.0.2.%d" % (vip_index + 1), FIRST_PORT + port_index


def reals(dests):
    return [("203.0.113.%d" % (d + 1), d + 1) for d in range(dests)]


def descriptor(count, dests, changed=None):
    entries = []
    for i, (vip, port) in enumerate(services(count)):
        rs = [{"address": a, "weight": (w + 100 if changed == (i, n) else w)}
              for n, (a, w) in enumerate(reals(dests))]
        entries.append({"name": "s%d" % i, "address": vip, "protocol": "tcp", "port": port,
                        "scheduler": "rr", "forwarding": {"method": "masq"}, "reals": rs})
    return {
        "cluster": "bench",
        "nodes": [{"name": "bench", "address": "198.51.100.1", "priority": 100}],
        "services": entries,
    }


def rules(count, dests):
    lines = []
    for vip, port in services(count):
        lines.append("-A -t %s:%d -s rr" % (vip, port))
        for a, w in reals(dests):
            lines.append("-a -t %s:%d -r %s:%d -m -w %d" % (vip, port, a, port, w))
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--dests", type=int, default=4)
    a = p.parse_args()
    if a.services < 1 or not 1 <= a.dests <= 254:
        raise SystemExit("need at least one service and 1..254 destinations")
    os.makedirs(a.outdir, exist_ok=True)
    # The changed weight: the last destination of the middle service.
    changed = (a.services // 2, a.dests - 1)
    outputs = {
        "desc.json": json.dumps(descriptor(a.services, a.dests), indent=1) + "\n",
        "desc-weight.json": json.dumps(descriptor(a.services, a.dests, changed), indent=1) + "\n",
        "ipvsadm.rules": rules(a.services, a.dests),
    }
    for name, text in outputs.items():
        with open(os.path.join(a.outdir, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
