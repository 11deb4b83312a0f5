#!/usr/bin/env python3
"""Holds N IMAP sessions open through a VIP (imaplib, STARTTLS, logged in, INBOX
selected), like mail clients left open. Prints "ready REAL..." once all are in; on
SIGUSR1 sends NOOP on each and prints "noop K ok X/N"; on SIGTERM logs out and exits.

    held.py VIP N USER PASSWORD CAFILE CLIENT_ADDRESS
"""
import imaplib
import signal
import socket
import ssl
import sys
import threading


class FromClient(imaplib.IMAP4):
    def __init__(self, host, client):
        self._client = client
        super().__init__(host, 143, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout=timeout,
                                        source_address=(self._client, 0))


def main():
    vip, n, user, password, cafile, client = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    sessions, reals = [], []
    try:
        for _ in range(n):
            m = FromClient(vip, client)
            reals.append(m.welcome.decode().split()[-1])
            m.starttls(ssl_context=ctx)
            m.login(user, password)
            m.select("INBOX", readonly=True)
            sessions.append(m)
    except (OSError, imaplib.IMAP4.error) as e:
        print("failed to open session %d: %s" % (len(sessions) + 1, e), flush=True)
        return 1
    print("ready " + " ".join(reals), flush=True)
    poke, stop = threading.Event(), threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: poke.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    k = 0
    while not stop.is_set():
        if not poke.wait(0.2):
            continue
        poke.clear()
        k += 1
        ok = 0
        for m in sessions:
            try:
                if m.noop()[0] == "OK":
                    ok += 1
            except (OSError, imaplib.IMAP4.error) as e:
                print("noop failed: %s" % e, flush=True)
        print("noop %d ok %d/%d" % (k, ok, n), flush=True)
    for m in sessions:
        try:
            m.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    print("closed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
