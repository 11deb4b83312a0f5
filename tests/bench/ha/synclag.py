#!/usr/bin/env python3
"""Sync lag: how long a fresh connection through the master stays unknown to the standby.
Per sample: connect through the VIP, read the real's greeting and the echo of one line
(so the master's IPVS has seen the third packet from the client, which is when it queues
an established TCP connection for its sync daemon), then read the standby's connection
table (/proc/STANDBY_PID/net/ip_vs_conn, any process in the standby's namespace) every
5 ms until the connection's client port shows up, or LIMIT_S. The time counts from the
moment connect() returned. Between samples PAUSE_S of quiet, so each sample starts with
the sync daemon's buffer empty (it sends a partly filled one only every ~2 s). The pause
is drawn from PAUSE_S..PAUSE_S+3 s, longer than the master's longest send interval (2-3
s), so a sample starts at any point of the rhythm in which the master sends its
messages: the next sample starts a fixed time after a message arrived, and with a fixed
(or a 1 s random) pause batched samples locked on to that rhythm and read 0.2-0.4 s.

    synclag_ms 2104.3           (one line a sample; "none" past the limit, "failed (why)"
                                 when the connection through the VIP failed)

With LOAD_PER_S > 0, a second loop (a thread) opens that many other connections a second
through the VIP for as long as the samples run, each doing greeting + echo and closing, as
a balancer under steady traffic sees them; at the end it prints
    load_conns 412 failed 0 seconds 40.1

    synclag.py VIP PORT STANDBY_PID SAMPLES LIMIT_S PAUSE_S [LOAD_PER_S]
"""
import random
import socket
import sys
import threading
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


class Load(threading.Thread):
    """New connections through the VIP at RATE a second (fewer if one takes longer)."""

    def __init__(self, vip, port, rate):
        super().__init__(daemon=True)
        self.vip, self.port, self.interval = vip, port, 1.0 / rate
        self.stop = threading.Event()
        self.done = self.failed = 0

    def one(self):
        try:
            with socket.create_connection((self.vip, self.port), timeout=5) as s:
                f = s.makefile("rb")
                name = f.readline().decode().strip()
                s.sendall(b"bg\n")
                if f.readline().decode().strip() != name + " bg":
                    raise ConnectionError("no echo")
            self.done += 1
        except OSError:
            self.failed += 1

    def run(self):
        # A thread per connection, on a fixed schedule: one slow connection does not hold
        # the others back (the sync events must keep coming at the rate).
        due = time.monotonic()
        while not self.stop.is_set():
            threading.Thread(target=self.one, daemon=True).start()
            due += self.interval
            self.stop.wait(max(0.0, due - time.monotonic()))


def main():
    vip, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    samples, limit, pause = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    rate = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    load = Load(vip, port, rate) if rate > 0 else None
    started = time.monotonic()
    if load:
        load.start()
        time.sleep(2)  # steady before the first sample
    for _ in range(samples):
        try:
            lag = sample(vip, port, pid, limit)
        except OSError as e:
            print("synclag_ms failed (%s)" % e, flush=True)  # the emulator starved a side
            time.sleep(pause + 3 * random.random())
            continue
        print("synclag_ms %s" % ("%.1f" % (lag * 1000) if lag is not None else "none"), flush=True)
        time.sleep(pause + 3 * random.random())
    if load:
        load.stop.set()
        load.join(10)
        print("load_conns %d failed %d seconds %.1f" % (load.done, load.failed, time.monotonic() - started),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
