#!/usr/bin/env python3
"""A stand-in real server for the lvsd kernel test: listens on ADDR PORT, greets each
connection with its NAME and answers every line with "NAME <line>", so a client sees
which real it reached and that the connection still carries data.

    echo_real.py NAME ADDR PORT
"""
import socket
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        name = self.server.real_name
        try:
            self.wfile.write(f"{name}\n".encode())
            for line in self.rfile:
                self.wfile.write(f"{name} {line.decode().strip()}\n".encode())
        except OSError:
            pass  # health checks connect and go away; a reset client is no concern here


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    name, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Server((addr, port), Handler) as srv:
        srv.real_name = name
        srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        print(f"{name} listening on {addr}:{port}", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    main()
