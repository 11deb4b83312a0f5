#!/usr/bin/env python3
"""Held connections across a failover, as their client sees them. Opens N connections
through the VIP to the echo reals (tests/kernel/lvsd/echo_real.py), sends a short line on
each every INTERVAL_MS and notes when each echo arrives. Once all are AGE_S old it counts
how many the standby's IPVS table knows (read from /proc/STANDBY_PID/net/ip_vs_conn, any
process in the standby's namespace), then cuts: COMMAND, started in the VM's root
namespace when the connections opened (so no fork or exec delays the cut), gets INPUT on
its standard input (";" separates lines), e.g. `ip -batch -` with two link changes at
once. It goes on until every connection has echoed for a second after its longest gap,
or broke, or LIMIT_S passed since the cut. Prints one line per connection and a summary:

    conn I real1 stall_ms S survived yes|no [why]
    known_to_standby K/N
    baseline_worst_gap_ms B      (longest gap before the cut: the emulator's noise)
    cut_wall T                   (the cut, unix time: to compare with `ip -ts monitor`)
    resume_ms median R first F   (cut to a connection's first echo through the new master)
    stall median M worst W lost L

A connection's stall is its longest gap between two echoes from one second before the
cut to the end (a broken one counts to the end). It survived when it neither reset nor
closed, kept its real, and echoed again after the cut.

    stall.py VIP PORT N INTERVAL_MS AGE_S LIMIT_S STANDBY_PID "COMMAND ARGS..." "INPUT"

Exit 3 when the connections cannot be opened (nothing was cut), 2 when the cut failed.
"""
import bisect
import selectors
import shlex
import socket
import statistics
import subprocess
import sys
import time


class Held:
    def __init__(self, vip, port):
        self.sock = socket.create_connection((vip, port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = self.sock.makefile("rb")
        self.real = f.readline().decode().strip()  # the greeting names the real
        if not self.real:
            raise ConnectionError("no greeting")
        # makefile may have read past the greeting only if the real sent more: it does not.
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.echoed = 0
        self.partial = b""
        self.arrivals = []
        self.broken = ""

    def send(self):
        if self.broken:
            return
        try:
            self.sock.send(b"%d\n" % self.sent)
            self.sent += 1
        except BlockingIOError:
            pass  # the send buffer is full while the path is cut: skip this tick
        except OSError as e:
            self.broken = "send: %s" % e

    def receive(self, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.broken = "recv: %s" % e
            return
        if not data:
            self.broken = "closed by the peer"
            return
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            want = "%s %d" % (self.real, self.echoed)
            if line.decode() != want:
                self.broken = "echo %r, wanted %r" % (line.decode(), want)
                return
            self.echoed += 1
            self.arrivals.append(now)


def known_to_standby(pid, held):
    """How many of the held connections the standby's IPVS table has (any state)."""
    try:
        with open("/proc/%d/net/ip_vs_conn" % pid) as f:
            rows = f.read().split("\n")[1:]
    except OSError:
        return -1
    ports = {"%04X" % h.port for h in held}
    found = {cols[2] for cols in (r.split() for r in rows) if len(cols) > 2 and cols[0] == "TCP"}
    return len(ports & found)


def longest_gap(times, start, end):
    times = [t for t in times if t >= start]
    if not times:
        return end - start
    gaps = [b - a for a, b in zip(times, times[1:])]
    return max(gaps + [0.0])


def resumed_since(h, after, now):
    """Seconds since the first echo that arrived after AFTER (-1: none yet)."""
    i = bisect.bisect_right(h.arrivals, after)
    return now - h.arrivals[i] if i < len(h.arrivals) else -1.0


def main():
    vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    interval = int(sys.argv[4]) / 1000.0
    age, limit, standby_pid = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    command, cut_input = sys.argv[8], sys.argv[9].replace(";", "\n") + "\n"

    try:
        held = [Held(vip, port) for _ in range(n)]
    except OSError as e:
        print("cannot open the held connections: %s" % e)
        return 3
    sel = selectors.DefaultSelector()
    for h in held:
        sel.register(h.sock, selectors.EVENT_READ, h)

    # This process is in the client's namespace; the cut runs in PID 1's.
    cutter = subprocess.Popen(["nsenter", "--net=/proc/1/ns/net", "--"] + shlex.split(command),
                              stdin=subprocess.PIPE)
    opened = time.monotonic()
    cut_at = None
    cut_done = None
    next_tick = opened
    while True:
        now = time.monotonic()
        if now >= next_tick:
            for h in held:
                h.send()
            next_tick += interval
            if next_tick < now:
                next_tick = now + interval  # fell behind (emulation): do not burst
        for key, _ in sel.select(timeout=max(0.0, next_tick - time.monotonic())):
            h = key.data
            h.receive(time.monotonic())
            if h.broken:
                sel.unregister(h.sock)
        now = time.monotonic()
        if cut_at is None and now - opened >= age:
            print("known_to_standby %d/%d" % (known_to_standby(standby_pid, held), n), flush=True)
            cut_at = time.monotonic()
            cut_wall = time.time()
            cutter.stdin.write(cut_input.encode())
            cutter.stdin.close()
        if cut_at is None:
            continue
        if cutter is not None and cutter.poll() is not None:
            if cutter.returncode != 0:
                print("the cut command failed (exit %d)" % cutter.returncode)
                return 2
            cutter = None
            cut_done = time.monotonic()
            print("cut_took_ms %.1f" % ((cut_done - cut_at) * 1000), flush=True)
        if now - cut_at >= limit:
            break
        # Echoes that arrive once the cut is done came through the new master; a
        # connection is settled when it broke or resumed a second ago.
        if cutter is None and all(h.broken or resumed_since(h, cut_done + 0.05, now) >= 1.0 for h in held):
            break

    end = time.monotonic()
    print("cut_wall %.6f" % cut_wall)
    resumes = []
    for h in held:
        i = bisect.bisect_right(h.arrivals, cut_done + 0.05) if cut_done else len(h.arrivals)
        if i < len(h.arrivals) and not h.broken:
            resumes.append((h.arrivals[i] - cut_at) * 1000)
    if resumes:
        print("resume_ms median %.1f first %.1f" % (statistics.median(resumes), min(resumes)))
    stalls = []
    lost = 0
    baseline = 0.0
    for i, h in enumerate(held):
        baseline = max(baseline, longest_gap([t for t in h.arrivals if t < cut_at], opened + 1.0, cut_at))
        if h.broken or not any(t > cut_at for t in h.arrivals):
            lost += 1
            why = h.broken or "no echo after the cut"
            last = h.arrivals[-1] if h.arrivals else opened
            stall = end - max(last, cut_at - 1.0)
            print("conn %d %s stall_ms %.1f survived no %s" % (i, h.real, stall * 1000, why))
        else:
            stall = longest_gap(h.arrivals, cut_at - 1.0, end)
            print("conn %d %s stall_ms %.1f survived yes" % (i, h.real, stall * 1000))
        stalls.append(stall * 1000)
        h.sock.close()
    print("baseline_worst_gap_ms %.1f" % (baseline * 1000))
    print("stall median %.1f worst %.1f lost %d" % (statistics.median(stalls), max(stalls), lost), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
