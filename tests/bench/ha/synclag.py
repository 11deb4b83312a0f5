#!/usr/bin/env python3
"""Sync lag: how long a fresh connection through the master stays unknown to the standby.
Per sample: connect through the VIP, read the real's greeting and the echo of one line
(so the master's IPVS has seen the third packet from the client, which is when it queues
an established TCP connection for its sync daemon), then read the standby's connection
table (/proc/STANDBY_PID/net/ip_vs_conn, any process in the standby's namespace) every
5 ms until the connection's client port shows up, or LIMIT_S. The time counts from the
moment connect() returned. Between samples PAUSE_S of quiet, so each sample starts with
the sync daemon's buffer empty (it sends a partly filled one only every ~2 s).

    synclag_ms 2104.3           (one line a sample; "none" past the limit, "failed (why)"
                                 when the connection through the VIP failed)

    synclag.py VIP PORT STANDBY_PID SAMPLES LIMIT_S PAUSE_S
"""
import socket
import sys
import time


def known(pid, port_hex):
    with open("/proc/%d/net/ip_vs_conn" % pid) as f:
        for row in f.read().split("\n")[1:]:
            cols = row.split()
            if len(cols) > 2 and cols[0] == "TCP" and cols[2] == port_hex:
                return True
    return False


def sample(vip, port, pid, limit):
    """Seconds from connect to known by the standby; None past LIMIT."""
    s = socket.create_connection((vip, port), timeout=10)
    try:
        t0 = time.monotonic()
        s.settimeout(5)
        f = s.makefile("rb")
        name = f.readline().decode().strip()
        s.sendall(b"lag\n")
        if f.readline().decode().strip() != name + " lag":
            raise ConnectionError("no echo through %s:%d" % (vip, port))
        port_hex = "%04X" % s.getsockname()[1]
        while time.monotonic() - t0 < limit:
            if known(pid, port_hex):
                return time.monotonic() - t0
            time.sleep(0.005)
        return None
    finally:
        s.close()


def main():
    vip, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    samples, limit, pause = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    for _ in range(samples):
        try:
            lag = sample(vip, port, pid, limit)
        except OSError as e:
            print("synclag_ms failed (%s)" % e, flush=True)  # the emulator starved a side
            time.sleep(pause)
            continue
        print("synclag_ms %s" % ("%.1f" % (lag * 1000) if lag is not None else "none"), flush=True)
        time.sleep(pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
