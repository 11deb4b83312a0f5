#!/usr/bin/env python3
"""A connection younger than the sync flush, across a planned hand-over. Connects to
VIP:PORT, reads the real's greeting and has one line echoed (established on the old
master), sends REQUEST_JSON (e.g. {"command":"ha-failover"}) to the old master's lvsd
socket, waits until the VIP's MAC on the client changed (the new master announced
itself; at most 3 s), then sends a second line on the same connection at once and waits
up to LIMIT_S for its echo. Prints "result echoed MS" (ms from the send to the echo),
"result reset" or "result timeout"; exit 0 in every case (the caller asserts).

    young.py SOCKET REQUEST_JSON VIP PORT [LIMIT_S]
"""
import socket
import subprocess
import sys
import time


def vip_mac(vip):
    out = subprocess.run(["ip", "neigh", "show", vip], capture_output=True, text=True).stdout.split()
    return out[out.index("lladdr") + 1] if "lladdr" in out else ""


def main():
    sock_path, request, vip, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
    s = socket.create_connection((vip, port), timeout=5)
    f = s.makefile("rb")
    name = f.readline().decode().strip()
    s.sendall(b"before\n")
    echo = f.readline().decode().strip()
    print("established %s %s" % (name, echo), flush=True)
    mac = vip_mac(vip)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sock_path)
    c.sendall(request.encode() + b"\n")
    print("reply %s" % c.makefile("rb").readline().decode().strip(), flush=True)
    t0 = time.monotonic()
    while vip_mac(vip) == mac and time.monotonic() - t0 < 3:
        time.sleep(0.01)
    print("mac %s -> %s after %.0f ms" % (mac, vip_mac(vip), (time.monotonic() - t0) * 1000), flush=True)
    t1 = time.monotonic()
    s.settimeout(limit)
    try:
        s.sendall(b"after\n")
        line = f.readline().decode().strip()
        if line.endswith(" after"):
            print("result echoed %.0f" % ((time.monotonic() - t1) * 1000))
        else:
            print("result closed %r" % line)
    except ConnectionResetError:
        print("result reset after %.0f ms" % ((time.monotonic() - t1) * 1000))
    except socket.timeout:
        print("result timeout")
    except OSError as e:
        print("result error %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
