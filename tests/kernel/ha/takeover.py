#!/usr/bin/env python3
"""Times a takeover as a client sees it. Either sends one control request (e.g.
{"command":"ha-failover"}) to lvsd's socket, or (SOCKET "-") runs REQUEST as a command
line in the VM's root network namespace (e.g. cutting the master off its bridges), then
tries a new TCP connection to the VIP every 5 ms (each with a 50 ms timeout) until one
gets a real's greeting. Prints "takeover_ms N" (from the request or command to the
first greeting) and "failed_tries N". Exit 1 when no connection succeeded in time.

    takeover.py SOCKET REQUEST_JSON VIP PORT [LIMIT_S]
    takeover.py - "COMMAND ARGS..." VIP PORT [LIMIT_S]
"""
import json
import shlex
import socket
import subprocess
import sys
import time


def greeting(vip, port):
    s = socket.create_connection((vip, port), timeout=0.05)
    try:
        s.settimeout(0.5)
        data = s.recv(64)
        return data.decode().strip() or None
    finally:
        s.close()


def main():
    sock_path, request, vip, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
    if sock_path == "-":
        # This process is in the client's namespace; the command runs in PID 1's.
        argv = ["nsenter", "--net=/proc/1/ns/net", "--"] + shlex.split(request)
        t0 = time.monotonic()
        subprocess.run(argv, check=True)
        reply = '{"ok":true}'
    else:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sock_path)
        t0 = time.monotonic()
        c.sendall(request.encode() + b"\n")
        reply = c.makefile("rb").readline().decode().strip()
    failed = 0
    while time.monotonic() - t0 < limit:
        try:
            name = greeting(vip, port)
            if name:
                print("takeover_ms %.1f" % ((time.monotonic() - t0) * 1000))
                print("first_real %s" % name)
                print("failed_tries %d" % failed)
                ok = json.loads(reply).get("ok")
                print("reply_ok %s" % ok)
                return 0
        except OSError:
            failed += 1
        time.sleep(0.005)
    print("no connection through %s:%d within %.0f s (reply %s)" % (vip, port, limit, reply))
    return 1


if __name__ == "__main__":
    sys.exit(main())
