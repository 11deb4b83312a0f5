#!/usr/bin/env python3
"""Opens COUNT new connections to ADDR PORT one after the other and prints, per
connection, the name the real server greets with (or "error: why").

    who.py ADDR PORT COUNT
"""
import socket
import sys

addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(count):
    try:
        with socket.create_connection((addr, port), timeout=10) as s:
            print(s.makefile("rb").readline().decode().strip() or "error: no greeting", flush=True)
    except OSError as e:
        print(f"error: {e}", flush=True)
