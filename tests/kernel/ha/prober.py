#!/usr/bin/env python3
"""A steady stream of new connections through the VIP while balancers change hands: one
every 50 ms, each must get a real's greeting and the echo of one line within 3 s (TCP
retransmits ride out a short takeover). Prints "ok N failed M" when told to stop
(SIGTERM) and one "fail: started T, gave up T: why" line per failure (unix times).

    prober.py VIP PORT
"""
import signal
import socket
import sys
import time

stop = False


def on_term(*_):
    global stop
    stop = True


def main():
    vip, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, on_term)
    ok = failed = 0
    while not stop:
        start = time.monotonic()
        try:
            s = socket.create_connection((vip, port), timeout=3)
            f = s.makefile("rb")
            name = f.readline().decode().strip()
            s.sendall(b"probe\n")
            if f.readline().decode().strip() != name + " probe":
                raise ConnectionError("no echo")
            s.close()
            ok += 1
        except OSError as e:
            failed += 1
            print("fail: started %.2f, gave up %.2f: %s" % (time.time() - (time.monotonic() - start), time.time(), e), flush=True)
        time.sleep(0.05)
    print("ok %d failed %d" % (ok, failed), flush=True)


if __name__ == "__main__":
    main()
