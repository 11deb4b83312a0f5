#!/usr/bin/env python3
"""Stand-in mail reals for the keepalived import test: listens on 0.0.0.0 at each PORT
given; port 25 speaks enough SMTP for keepalived's SMTP_CHECK (220 greeting, 250 to
HELO/EHLO, 221 to QUIT), any other port greets once and then waits for the client to
close (a TCP_CHECK only connects). Prints "connect ADDR:PORT" per connection and "helo
ADDR:PORT" per HELO/EHLO, so a test can tell that the checks reached every real.

    mail_reals.py PORT...
"""
import socket
import socketserver
import sys
import threading


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        here = "%s:%d" % self.request.getsockname()[:2]
        print("connect", here, flush=True)
        try:
            if self.server.server_address[1] != 25:
                self.wfile.write(b"+OK ready\r\n")
                while self.rfile.readline():
                    pass
                return
            self.wfile.write(b"220 real ESMTP\r\n")
            for line in self.rfile:
                verb = line.strip().split(b" ")[0].upper()
                if verb in (b"HELO", b"EHLO"):
                    print("helo", here, flush=True)
                if verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                self.wfile.write(b"250 ok\r\n")
        except OSError:
            pass  # a checker that hangs up early is no concern here


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    servers = [Server(("0.0.0.0", int(p)), Handler) for p in sys.argv[1:]]
    for s in servers:
        s.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("listening on", " ".join(sys.argv[1:]), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
