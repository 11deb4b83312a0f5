#!/usr/bin/env python3
"""Watches two VRRP nodes' VIPs and adverts, and reports every stretch during which both
held one VIP (the overlap of a role change). Run it inside one node's network namespace
("self"); it finds (or gives) the other ("peer", a named namespace) a namespace id there.

- VIPs: one rtnetlink socket with NETLINK_LISTEN_ALL_NSID hears address events of both
  namespaces in the kernel's own order (no polling); each is stamped when read.
- Adverts: a packet socket on the VRRP interface sees both nodes' adverts (ours going
  out, the peer's coming in), stamped by the kernel.

An overlap opens when the second node adds a VIP the first still holds and closes when
one of them deletes it; its length (between the two reads) is printed. The node that
keeps the VIP is the master: the other must give the VIP up upon the first advert of it
that it hears, so at most one advert of the master (priority > 0, stamped by the kernel)
may fall between the two reads. Neither then holds a VIP the other holds for longer
than one advert interval, whatever the wall time of a slow machine. Likewise every
delete made while the other node is master (its adverts ran, with no silence of 3
intervals) is a step-down: at most one of those adverts (since this node took the VIP)
came before it. Adverts less than half an interval apart count as one: a master answers
a priority 0 at once (RFC 5798 6.4.3), and an ex-master that said priority 0 on its way
out may be read dropping its VIPs just after that answer. Also a failure: a
VIP held by both at the end, or a side that never took one. Prints "ready", then at
SIGTERM (or LIMIT_S) the events, the overlaps, "max_overlap_ms N" and "verdict ok" or
"verdict FAIL: ..." (exit 1).

    vip_overlap.py --peer-netns NAME --interface IF --self-addr A --peer-addr B
                   --vip ADDR [--vip ADDR]... --interval-ms MS [--limit S]
"""
import argparse
import select
import signal
import socket
import re
import struct
import subprocess
import sys
import time

SOL_NETLINK = 270
NETLINK_LISTEN_ALL_NSID = 8
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
RTM_NEWADDR, RTM_DELADDR = 20, 21
IFA_ADDRESS, IFA_LOCAL = 1, 2
SO_TIMESTAMPNS = 35
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
IPPROTO_VRRP = 112


def addr_events(data, nsid):
    """(kind, address) of each RTM_NEWADDR / RTM_DELADDR in one netlink datagram."""
    out = []
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind in (RTM_NEWADDR, RTM_DELADDR):
            family = data[off + 16]
            attrs, found = off + 16 + 8, {}
            while attrs + 4 <= off + length:
                alen, atype = struct.unpack_from("=HH", data, attrs)
                if alen < 4:
                    break
                found[atype] = data[attrs + 4:attrs + alen]
                attrs += (alen + 3) & ~3
            raw = found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
            if raw:
                af = socket.AF_INET if family == socket.AF_INET else socket.AF_INET6
                out.append(("add" if kind == RTM_NEWADDR else "del", socket.inet_ntop(af, raw)))
        off += (length + 3) & ~3
    return out


def peer_nsid(name):
    """The id this namespace knows `name` by (veth peers already have one), else a new one."""
    def known():
        out = subprocess.run(["ip", "netns", "list-id"], capture_output=True, text=True).stdout
        m = re.search(r"^nsid (\d+) \(iproute2 netns name: %s\)" % re.escape(name), out, re.M)
        return int(m.group(1)) if m else None
    nsid = known()
    if nsid is None:
        subprocess.run(["ip", "netns", "set", name, "auto"], check=True)
        nsid = known()
    if nsid is None:
        raise SystemExit("vip_overlap: no namespace id for " + name)
    return nsid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-netns", required=True)
    ap.add_argument("--interface", required=True)
    ap.add_argument("--self-addr", required=True)
    ap.add_argument("--peer-addr", required=True)
    ap.add_argument("--vip", action="append", required=True)
    ap.add_argument("--interval-ms", type=float, required=True)
    ap.add_argument("--limit", type=float, default=600.0)
    a = ap.parse_args()
    a.peer_nsid = peer_nsid(a.peer_netns)

    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    nl.setsockopt(SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1)
    nl.bind((0, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    pk.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    pk.bind((a.interface, ETH_P_ALL))

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    vips = set(a.vip)
    events = []   # (t_read_ns, who, kind, vip), in the order the kernel delivered them
    adverts = []  # (t_kernel_ns, who, priority)
    names = {a.self_addr: "self", a.peer_addr: "peer"}
    print("ready", flush=True)
    end = time.monotonic() + a.limit
    while not stop and time.monotonic() < end:
        try:
            ready, _, _ = select.select([nl, pk], [], [], 0.2)
        except InterruptedError:
            continue
        if nl in ready:
            data, anc, _, _ = nl.recvmsg(1 << 16, socket.CMSG_SPACE(4))
            t = time.time_ns()
            nsid = None
            for level, kind, value in anc:
                if level == SOL_NETLINK and kind == NETLINK_LISTEN_ALL_NSID:
                    nsid = struct.unpack("=i", value[:4])[0]
            who = "self" if nsid is None else "peer" if nsid == a.peer_nsid else None
            for kind, vip in addr_events(data, nsid):
                if who and vip in vips:
                    events.append((t, who, kind, vip))
        if pk in ready:
            data, anc, _, addr = pk.recvmsg(2048, socket.CMSG_SPACE(16))
            if addr[1] != ETH_P_IP or len(data) < 23 or data[9] != IPPROTO_VRRP:
                continue
            ts = None
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("=qq", value[:16])
                    ts = sec * 10**9 + nsec
            ihl = (data[0] & 0x0F) * 4
            src = socket.inet_ntop(socket.AF_INET, data[12:16])
            if src in names and ts is not None and (data[ihl] & 0x0F) == 1:  # type advertisement
                adverts.append((ts, names[src], data[ihl + 2]))
    return report(events, adverts, a.interval_ms)


def adverts_between(adverts, who, start_ns, end_ns, interval_ms):
    """Advert intervals of `who` (adverts, priority > 0) from `start_ns` until before
    `end_ns`: an advert less than half an interval after the one counted before it is an
    answer (RFC 5798 6.4.3: a master answers priority 0 at once), not a new interval."""
    n, last = 0, None
    for t, w, prio in adverts:
        if w == who and prio > 0 and start_ns <= t < end_ns:
            if last is None or t - last >= interval_ms * 1e6 / 2:
                n, last = n + 1, t
    return n


def run_start(adverts, who, until_ns, interval_ms):
    """When `who`'s current run of adverts (priority > 0, no silence of 3 intervals)
    began, as of `until_ns`; None when it was silent for the 3 intervals before."""
    gap = 3 * interval_ms * 1e6
    times = [t for t, w, prio in adverts if w == who and prio > 0 and t < until_ns]
    if not times or until_ns - times[-1] > gap:
        return None
    i = len(times) - 1
    while i > 0 and times[i] - times[i - 1] <= gap:
        i -= 1
    return times[i]


def report(events, adverts, interval_ms):
    t0 = events[0][0] if events else 0
    ms = lambda t: (t - t0) / 1e6
    for t, who, kind, vip in events:
        print("event %9.1f ms %s %s %s" % (ms(t), who, kind, vip))
    other = {"self": "peer", "peer": "self"}
    holders, opened, taken = {}, {}, {}
    worst, problems, count = 0.0, [], 0
    for who in ("self", "peer"):
        if not any(w == who and k == "add" for _, w, k, _ in events):
            problems.append("%s never took a VIP: is the sampler watching it?" % who)
    for t, who, kind, vip in events:
        held = holders.setdefault(vip, set())
        if kind == "add":
            taken[(who, vip)] = t
            if held and who not in held:
                opened[vip] = (t, who)
            held.add(who)
            continue
        # A delete while the other is master (adverting): a step-down. It must come
        # before the second advert of that master since this node took the VIP.
        begun = run_start(adverts, other[who], t, interval_ms)
        if begun is not None:
            since = max(begun, taken.get((who, vip), 0) - 1)
            n = adverts_between(adverts, other[who], since, t, interval_ms)
            print("step-down %s: %s dropped it %.1f ms after the first advert of %s it could hear, %d advert(s) of it"
                  % (vip, who, (t - since) / 1e6, other[who], n))
            if n > 1:
                problems.append("%s kept %s through %d adverts of %s" % (who, vip, n, other[who]))
                print("  adverts around it (ms, who, priority): " + ", ".join(
                    "%.1f %s %d" % (ms(at), w, prio) for at, w, prio in adverts if since - 10**9 <= at <= t + 10**8))
        if vip in opened and who in held:
            start, new = opened.pop(vip)
            length = (t - start) / 1e6
            worst = max(worst, length)
            count += 1
            # The one that keeps the VIP is master: the one that gives it up must do so
            # upon its first advert, so at most one of them falls inside the overlap.
            n = adverts_between(adverts, other[who], start, t, interval_ms)
            print("overlap %s: %s took it at %.1f ms, %s dropped it %.1f ms later, %d advert(s) of %s in between"
                  % (vip, new, ms(start), who, length, n, other[who]))
            if n > 1:
                problems.append("both held %s through %d adverts of %s" % (vip, n, other[who]))
        held.discard(who)
    for vip, (start, new) in opened.items():
        problems.append("%s still held by both at the end (since %.1f ms)" % (vip, ms(start)))
    print("overlaps %d" % count)
    print("max_overlap_ms %.1f" % worst)
    if problems:
        print("verdict FAIL: " + "; ".join(problems))
        return 1
    print("verdict ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
