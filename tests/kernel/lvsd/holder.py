#!/usr/bin/env python3
"""Client side of the lvsd kernel test: opens COUNT connections to ADDR PORT and holds
them. Writes to stdout (line-buffered) one line per connection, "conn I REAL", then
"ready". On SIGUSR1 it sends a line on every connection and checks the echo:
"ping N ok GOOD/COUNT" (plus "bad I: why" lines). On SIGTERM it closes every connection
with a reset (SO_LINGER 0: IPVS forgets a reset connection within its 10 s CLOSE
timeout, where a normal close would sit in TIME_WAIT for 2 minutes) and exits.

    holder.py ADDR PORT COUNT
"""
import signal
import socket
import struct
import sys


def read_line(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed by the far end")
    return line.decode().strip()


def main():
    addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
    conns = []
    for i in range(count):
        s = socket.create_connection((addr, port), timeout=10)
        f = s.makefile("rb")
        name = read_line(f)
        conns.append((s, f, name))
        print(f"conn {i} {name}", flush=True)
    print("ready", flush=True)
    n = 0
    while True:
        sig = signal.sigwait({signal.SIGUSR1, signal.SIGTERM})
        if sig == signal.SIGTERM:
            for s, _, _ in conns:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            print("closed", flush=True)
            return
        n += 1
        good = 0
        for i, (s, f, name) in enumerate(conns):
            try:
                s.sendall(f"ping {n}\n".encode())
                reply = read_line(f)
                if reply == f"{name} ping {n}":
                    good += 1
                else:
                    print(f"bad {i}: unexpected reply {reply!r}", flush=True)
            except OSError as e:
                print(f"bad {i}: {e}", flush=True)
            except ConnectionError as e:
                print(f"bad {i}: {e}", flush=True)
        print(f"ping {n} ok {good}/{count}", flush=True)


if __name__ == "__main__":
    main()
