#!/usr/bin/env python3
"""Follows lvsd's event stream with the time each line arrived: subscribes with
{"command":"events"} on the control socket, prints "subscribed" once lvsd accepted, then
"NS LINE" per event (NS: wall-clock nanoseconds when read, as `date +%s%N` gives).
Ends when lvsd closes the connection or after LIMIT_S seconds.

    events.py SOCKET [LIMIT_S]
"""
import json
import socket
import sys
import time


def main():
    path = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.sendall(b'{"command":"events"}\n')
    f = c.makefile("rb")
    c.settimeout(limit)
    reply = json.loads(f.readline())
    if not reply.get("events"):
        print("refused: %s" % reply, flush=True)
        return 1
    print("subscribed", flush=True)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        c.settimeout(max(0.01, end - time.monotonic()))
        try:
            line = f.readline()
        except (socket.timeout, TimeoutError):
            break
        if not line:
            break
        print("%d %s" % (time.time_ns(), line.decode().strip()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
