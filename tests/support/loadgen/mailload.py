#!/usr/bin/python3
"""mailload: a steady mail load through the VIPs, with client code this project did not
write (Python's smtplib, poplib, imaplib and ssl), so lvsd's own protocol code never
tests itself.

Each session connects from one of the client addresses, reads the greeting, logs in where
the protocol has a login, does a little work and logs out:
  smtp   EHLO, STARTTLS when offered, MAIL/RCPT/DATA of a message with a unique id, QUIT
  pop3   (STLS on 110, implicit TLS on 995) USER/PASS, STAT, RETR 1 when there is one, QUIT
  imap   (STARTTLS on 143, implicit TLS on 993) LOGIN, SELECT INBOX, FETCH 1 header, LOGOUT;
         as real IMAP clients do, `imap_parallel` connections of one client at once
Every session is one JSON line in --out: start time, protocol, port, VIP, client, ok,
error, the real that served it (from its greeting: Postfix's myhostname, Dovecot's
login_greeting), latency, and for SMTP the id of an accepted message.

  mailload.py --plan PLAN.json --out SESSIONS.jsonl [--duration S] [--rate R]

Each line is written when its session ends (flushed), so a caller can read the file
while the load runs. SIGTERM (or SIGINT) stops starting sessions; the ones running
finish and are written, then it exits. A target may carry its own "user", "password"
and "rcpt" (one mailbox per user group, say), and an IMAP target "hold_s": the session
stays logged in that long after its FETCH (a NOOP every 2 s), like a client left open;
that time is recorded as "held_ms", not in the latency. "close": "reset" in the plan ends every
connection with a TCP reset after the protocol's own goodbye (QUIT/LOGOUT and its
answer), so a balancer forgets it at once instead of keeping it in TIME_WAIT.

PLAN.json:
  {"targets": [{"vip": "192.0.2.10", "port": 25, "weight": 2}, ...],
   "clients": ["192.0.2.100", "192.0.2.101"], "rate": 8, "duration_s": 30,
   "user": "probe", "password": "probe-secret", "rcpt": "probe@example.test",
   "cafile": "/path/ca.crt", "imap_parallel": 3, "timeout_s": 10}
Exit status: 0 when every session succeeded, 1 when one failed, 2 on a usage error.
"""
import argparse
import signal
import struct
import concurrent.futures
import imaplib
import json
import poplib
import random
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
import uuid

PROTO_BY_PORT = {25: "smtp", 587: "smtp", 110: "pop3", 995: "pop3", 143: "imap", 993: "imap"}
IMPLICIT_TLS = {995, 993}
REAL_RE = re.compile(r"\b(rs\d+|real\d+)[.\w-]*", re.I)


def real_of(greeting):
    """The real server's name from a greeting line, or 'unknown'."""
    if isinstance(greeting, bytes):
        greeting = greeting.decode("utf-8", "replace")
    m = REAL_RE.search(greeting or "")
    return m.group(1).lower() if m else "unknown"


def reset_close(plan, sock):
    """With "close": "reset", the socket's close (after QUIT/LOGOUT and its answer) sends
    a TCP reset (SO_LINGER 0). Set right after connecting. The sessions then say goodbye
    themselves and close without shutdown(): the libraries' quit()/logout() shut the
    socket down first, which sends a FIN and leaves nothing for the reset to end."""
    if sock is None or plan.get("close") != "reset":
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


def tls_context(plan):
    ctx = ssl.create_default_context(cafile=plan.get("cafile"))
    # The reals' certificates name the reals, not the VIP the client dialled.
    ctx.check_hostname = False
    if not plan.get("cafile"):
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def smtp_session(plan, vip, port, client, rec):
    timeout = plan.get("timeout_s", 10)
    s = smtplib.SMTP(timeout=timeout, source_address=(client, 0))
    try:
        code, banner = s.connect(vip, port)
        reset_close(plan, s.sock)
        rec["real"] = real_of(banner)
        if code != 220:
            raise RuntimeError("greeting %d %r" % (code, banner))
        s.ehlo("loadgen.example.test")
        # connect() does not record the host, and starttls() names it in SNI.
        s._host = vip
        if s.has_extn("starttls"):
            s.starttls(context=tls_context(plan))
            s.ehlo("loadgen.example.test")
        mid = str(uuid.uuid4())
        rcpt = plan.get("rcpt", "probe@example.test")
        body = ("From: loadgen@example.test\r\nTo: %s\r\nSubject: load %s\r\n"
                "Message-ID: <%s@loadgen.example.test>\r\nX-Loadgen-Id: %s\r\n\r\n"
                "A message from mailload.\r\n" % (rcpt, mid, mid, mid))
        s.sendmail("loadgen@example.test", [rcpt], body)
        rec["message_id"] = mid
        if plan.get("close") == "reset":
            code, text = s.docmd("QUIT")
            if code != 221:
                raise RuntimeError("QUIT %d %r" % (code, text))
        else:
            s.quit()
    finally:
        s.close()


class FromClient:
    """Connects from the client address given, with implicit TLS when `context` is set.
    poplib and imaplib open their own sockets: this replaces their _create_socket."""

    def __init__(self, host, port, client, timeout, context=None, plan=None):
        self._client, self._context, self._plan = client, context, plan or {}
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout=timeout,
                                        source_address=(self._client, 0))
        reset_close(self._plan, sock)
        return self._context.wrap_socket(sock) if self._context else sock


class SourcePOP3(FromClient, poplib.POP3):
    pass


def pop3_session(plan, vip, port, client, rec):
    ctx = tls_context(plan)
    p = SourcePOP3(vip, port, client, plan.get("timeout_s", 10), ctx if port in IMPLICIT_TLS else None, plan)
    rec["real"] = real_of(p.welcome)
    try:
        if port not in IMPLICIT_TLS:
            p.stls(context=ctx)
        p.user(plan.get("user", "probe"))
        p.pass_(plan.get("password", "probe-secret"))
        count, _ = p.stat()
        if count:
            p.retr(1)
        if plan.get("close") == "reset":
            p._shortcmd("QUIT")
            p.file.close()
            p.sock.close()
            p.file = p.sock = None
        else:
            p.quit()
    finally:
        p.close()


class SourceIMAP(FromClient, imaplib.IMAP4):
    pass


def imap_one(plan, vip, port, client, greeted=None):
    timeout = plan.get("timeout_s", 10)
    ctx = tls_context(plan)
    try:
        m = SourceIMAP(vip, port, client, timeout, ctx if port in IMPLICIT_TLS else None, plan)
    finally:
        if greeted:
            greeted.set()
    try:
        real = real_of(m.welcome)
        if port not in IMPLICIT_TLS:
            m.starttls(ssl_context=ctx)
        m.login(plan.get("user", "probe"), plan.get("password", "probe-secret"))
        typ, data = m.select("INBOX", readonly=True)
        if typ != "OK":
            raise RuntimeError("SELECT %s %r" % (typ, data))
        if int(data[0] or 0) > 0:
            m.fetch("1", "(BODY.PEEK[HEADER])")
        # "hold_s": stay logged in like a client left open, with a NOOP every 2 s.
        end = time.monotonic() + float(plan.get("hold_s", 0))
        while time.monotonic() < end:
            time.sleep(min(2.0, max(0.0, end - time.monotonic())))
            typ, data = m.noop()
            if typ != "OK":
                raise RuntimeError("NOOP %s %r" % (typ, data))
        if plan.get("close") == "reset":
            m.state = "LOGOUT"  # as logout() does: the BYE is the expected answer
            m._simple_command("LOGOUT")
            m.file.close()
            m.sock.close()
        else:
            m.logout()
        return real
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def imap_session(plan, vip, port, client, rec):
    n = max(1, int(plan.get("imap_parallel", 1)))
    reals, errors = [None] * n, []

    def one(i, greeted=None):
        try:
            reals[i] = imap_one(plan, vip, port, client, greeted)
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            errors.append("%s: %s" % (type(e).__name__, e))

    # Like a mail client, the first connection is open (greeted) before the others start;
    # then all are in use at once. Two first SYNs from one client at the same instant can
    # each miss IPVS's persistence template on different CPUs and be scheduled apart.
    greeted = threading.Event()
    threads = [threading.Thread(target=one, args=(0, greeted))]
    threads += [threading.Thread(target=one, args=(i,)) for i in range(1, n)]
    threads[0].start()
    greeted.wait(float(plan.get("timeout_s", 10)) + 1)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join()
    seen = sorted({r for r in reals if r})
    rec["real"] = seen[0] if len(seen) == 1 else ",".join(seen) or "unknown"
    rec["connections"] = n
    rec["reals_seen"] = seen
    if errors:
        raise RuntimeError("; ".join(errors))


SESSIONS = {"smtp": smtp_session, "pop3": pop3_session, "imap": imap_session}


def run_session(plan, target, client, t0):
    port = int(target["port"])
    proto = target.get("proto") or PROTO_BY_PORT[port]
    now = time.time()
    rec = {"t": round(now - t0, 3), "ts": round(now, 3), "proto": proto, "port": port,
           "vip": target["vip"], "client": client, "ok": False, "real": "unknown"}
    session_plan = dict(plan)
    for key in ("user", "password", "rcpt", "hold_s"):
        if key in target:
            session_plan[key] = target[key]
    if "user" in target:
        rec["user"] = target["user"]
    start = time.monotonic()
    try:
        SESSIONS[proto](session_plan, target["vip"], port, client, rec)
        rec["ok"] = True
    except Exception as e:  # noqa: BLE001
        rec["error"] = "%s: %s" % (type(e).__name__, e)
    # A held IMAP session's time logged in is not latency: kept apart as held_ms.
    held_ms = float(session_plan.get("hold_s", 0)) * 1000 if proto == "imap" else 0
    rec["latency_ms"] = round(max(0.0, (time.monotonic() - start) * 1000 - held_ms), 1)
    if held_ms:
        rec["held_ms"] = held_ms
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plan", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--rate", type=float)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        with open(args.plan) as f:
            plan = json.load(f)
        targets = plan["targets"]
        clients = plan["clients"]
        if not targets or not clients:
            raise ValueError("targets and clients must not be empty")
        for t in targets:
            if (t.get("proto") or PROTO_BY_PORT.get(int(t["port"]))) not in SESSIONS:
                raise ValueError("no protocol for port %s (give \"proto\")" % t["port"])
    except (OSError, ValueError, KeyError) as e:
        print("mailload: bad plan %s: %s" % (args.plan, e), file=sys.stderr)
        return 2
    duration = args.duration if args.duration is not None else plan.get("duration_s", 30)
    rate = args.rate if args.rate is not None else plan.get("rate", 5)
    rnd = random.Random(args.seed)
    weights = [float(t.get("weight", 1)) for t in targets]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    lock = threading.Lock()
    counts = {"sessions": 0, "failed": 0}
    t0 = time.time()
    start = time.monotonic()
    # The file outlives the pool: the last sessions are written as the pool winds down.
    with open(args.out, "a") as out, \
            concurrent.futures.ThreadPoolExecutor(max_workers=int(plan.get("workers", 32))) as pool:
        def written(fut):
            rec = fut.result()
            with lock:
                counts["sessions"] += 1
                counts["failed"] += not rec["ok"]
                out.write(json.dumps(rec, sort_keys=True) + "\n")
                out.flush()

        n = 0
        while not stop.is_set():
            due = start + n / rate
            if due - start >= duration:
                break
            now = time.monotonic()
            if due > now and stop.wait(due - now):
                break
            target = rnd.choices(targets, weights)[0]
            client = rnd.choice(clients)
            pool.submit(run_session, plan, target, client, t0).add_done_callback(written)
            n += 1
    print("mailload: %d sessions, %d failed, %.0f s" % (counts["sessions"], counts["failed"],
                                                     time.monotonic() - start))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
