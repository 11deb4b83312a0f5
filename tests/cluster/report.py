#!/usr/bin/env python3
"""The cluster run's evidence: reads OUT/sessions.jsonl (one line per client session,
tests/support/loadgen/mailload.py) and OUT/steps.jsonl (one line per step: name, unix
start and end, figures) and checks or summarises them. A session belongs to the first
step that had not ended when it started.

  report.py check OUT STEP no-failures        every session of STEP succeeded
  report.py check OUT STEP distribution       rr ports with 2+ sessions on both reals of their group, IMAP on the first
  report.py check OUT STEP reached REAL       some session of STEP was served by REAL
  report.py check OUT STEP after T no-failures  sessions of STEP started after unix time T
  report.py check OUT STEP switches A B [A B...] -- no-failures   all sessions; those in flight during a switch shown
  report.py check OUT STEP unsynced T -- no-failures   sessions not begun in the SYNC_DELAY before T
  report.py check OUT STEP window T1 T2 imap-on REAL  research IMAP sessions started in (T1, T2) all on REAL
  report.py check OUT STEP persistence        IMAP: one real per session, spread; no client's mailbox (POP3, IMAP) on two reals at once
  report.py integrity OUT MAIL_ROOT           every accepted message is in the Maildir tree exactly once
  report.py count-after OUT T                 sessions started after unix time T that have ended
  report.py where OUT STEP                    sessions per (VIP, port, real) of STEP
  report.py table OUT                         the summary table; writes OUT/figures.json
  report.py chart OUT                         OUT/chart.dat and OUT/chart.gp (gnuplot) for OUT/chart.png
Exit status of check/integrity: 0 holds, 1 does not (the offending sessions are printed).
"""
import collections
import glob
import json
import os
import re
import sys

FIRST_REAL = {"192.0.2.10": "rs1", "192.0.2.20": "rs3"}
GROUP_REALS = {"192.0.2.10": {"rs1", "rs2"}, "192.0.2.20": {"rs3", "rs4"}}
IMAP_PORTS = {143, 993}
MAILBOX_PORTS = {110, 995, 143, 993}
SYNC_DELAY = 2.5  # seconds: the kernel flushes a sync message left waiting after 2 s


def load(out):
    sessions, steps = [], []
    path = os.path.join(out, "sessions.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            sessions = [json.loads(line) for line in f if line.strip()]
    path = os.path.join(out, "steps.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            steps = [json.loads(line) for line in f if line.strip()]
    return sessions, steps


def step_of(session, steps):
    for st in steps:
        if session["ts"] <= st["end"]:
            return st["step"]
    return None


def of_step(sessions, steps, name):
    return [s for s in sessions if step_of(s, steps) == name]


def show(sessions, limit=30):
    for s in sessions[:limit]:
        print("  session %s %s:%s from %s real %s %.0f ms: %s" % (
            s["ts"], s["vip"], s["port"], s["client"], s.get("real"), s.get("latency_ms", 0),
            s.get("error", "ok")))
    if len(sessions) > limit:
        print("  ... and %d more" % (len(sessions) - limit))


def check_no_failures(sel):
    bad = [s for s in sel if not s["ok"]]
    print("  %d sessions, %d failed" % (len(sel), len(bad)))
    show(bad)
    return not bad and bool(sel)


def check_distribution(sel):
    ok = True
    by = collections.defaultdict(collections.Counter)
    for s in sel:
        if s["ok"]:
            by[(s["vip"], s["port"])][s["real"]] += 1
    for (vip, port), reals in sorted(by.items()):
        print("  %s:%d %s" % (vip, port, dict(reals)))
        if port in IMAP_PORTS:
            if set(reals) != {FIRST_REAL[vip]}:
                print("  IMAP %s:%d not all on %s" % (vip, port, FIRST_REAL[vip]))
                ok = False
        elif sum(reals.values()) >= 2 and not GROUP_REALS[vip] <= set(reals):
            print("  %s:%d did not reach both %s" % (vip, port, sorted(GROUP_REALS[vip])))
            ok = False
    return ok and bool(by)


def check_persistence(sel):
    imap = [s for s in sel if s["port"] in IMAP_PORTS and s["ok"]]
    ok = True
    split = [s for s in imap if len(s.get("reals_seen", [])) != 1]
    if split:
        print("  IMAP sessions whose connections reached different reals:")
        show(split)
        ok = False
    for vip in FIRST_REAL:
        reals = collections.Counter(s["real"] for s in imap if s["vip"] == vip)
        print("  IMAP at %s by real: %s" % (vip, dict(reals)))
        if len(reals) < 2:
            print("  IMAP at %s did not spread over the group's reals" % vip)
            ok = False
    # One client's mailbox open on two reals at the same time? A client is an address and
    # a user; its mailbox sessions are POP3 and IMAP on any of the four ports. The
    # balanced descriptor makes those ports one firewall-mark service per VIP with
    # persistence, so they share one real per client address.
    mailbox = [s for s in sel if s["port"] in MAILBOX_PORTS and s["ok"]]

    def end(s):  # a held IMAP session is open for its latency and its held time
        return s["ts"] + (s["latency_ms"] + s.get("held_ms", 0)) / 1000
    by = collections.defaultdict(list)
    for s in mailbox:
        by[(s["client"], s.get("user"))].append(s)
    clashes = []
    for key, ss in by.items():
        ss.sort(key=lambda s: s["ts"])
        for i, a in enumerate(ss):
            for b in ss[i + 1:]:
                if b["ts"] >= end(a):
                    continue
                if a["real"] != b["real"]:
                    clashes.append((key, a, b))
    for key, a, b in clashes:
        print("  client %s user %s: mailbox open on %s (port %d) and %s (port %d) at once" % (
            key[0], key[1], a["real"], a["port"], b["real"], b["port"]))
    overlapping = sum(1 for ss in by.values() for i, a in enumerate(ss) for b in ss[i + 1:] if b["ts"] < end(a))
    cross = sum(1 for ss in by.values() for i, a in enumerate(ss) for b in ss[i + 1:]
                if b["ts"] < end(a) and a["port"] != b["port"])
    if not cross:
        print("  no client had mailbox sessions on two ports at once: nothing to judge")
        ok = False
    print("  %d IMAP sessions, %d with connections on two reals; %d POP3/IMAP sessions, %d pairs of one"
          " client's sessions at once (%d on two ports), %d of them on two reals" % (
              len(imap), len(split), len(mailbox), overlapping, cross, len(clashes)))
    return ok and not clashes and bool(imap)


def integrity(out, mail_root):
    sessions, _ = load(out)
    accepted = collections.Counter(s["message_id"] for s in sessions if s["proto"] == "smtp" and s["ok"] and s.get("message_id"))
    # A message refused or broken mid-DATA may still arrive: counted, not an error.
    attempted = {s.get("message_id") for s in sessions if s["proto"] == "smtp" and not s["ok"]}
    found = collections.Counter()
    rx = re.compile(rb"^X-Loadgen-Id: (\S+)", re.M)
    for path in glob.glob(os.path.join(mail_root, "*", "Maildir", "*", "*")):
        with open(path, "rb") as f:
            for m in rx.finditer(f.read(65536)):
                found[m.group(1).decode()] += 1
    missing = [m for m in accepted if found[m] == 0]
    dup = [m for m in accepted if found[m] > 1]
    extra = [m for m in found if m not in accepted and m not in attempted]
    logins = [s for s in sessions if s["proto"] in ("pop3", "imap")]
    figures = {"accepted": len(accepted), "delivered": sum(1 for m in accepted if found[m] == 1),
               "missing": len(missing), "duplicated": len(dup), "unknown": len(extra),
               "logins": len(logins), "logins_failed": sum(1 for s in logins if not s["ok"])}
    print("  %(accepted)d messages accepted over SMTP, %(delivered)d found exactly once, "
          "%(missing)d missing, %(duplicated)d duplicated, %(unknown)d not sent by us; "
          "POP3/IMAP sessions %(logins)d, failed %(logins_failed)d" % figures)
    for m in missing[:20]:
        print("  missing: %s" % m)
    for m in dup[:20]:
        print("  duplicated (%d copies): %s" % (found[m], m))
    with open(os.path.join(out, "integrity.json"), "w") as f:
        json.dump(figures, f)
    return not missing and not dup and not extra and figures["accepted"] > 0


def table(out):
    sessions, steps = load(out)
    rows = []
    for st in steps:
        sel = of_step(sessions, steps, st["step"])
        worst = max((s.get("latency_ms", 0) for s in sel), default=0)
        rows.append({"step": st["step"], "sessions": len(sel), "failed": sum(not s["ok"] for s in sel),
                     "worst_latency_ms": worst, "seconds": round(st["end"] - st["start"], 1),
                     "figures": st.get("figures", {})})
    print("%-24s %8s %8s %8s %12s" % ("step", "seconds", "sessions", "failed", "worst ms"))
    for r in rows:
        print("%-24s %8.1f %8d %8d %12.0f" % (r["step"], r["seconds"], r["sessions"], r["failed"], r["worst_latency_ms"]))
    print("%-24s %8s %8d %8d %12.0f" % ("total", "", len(sessions), sum(not s["ok"] for s in sessions),
                                         max((s.get("latency_ms", 0) for s in sessions), default=0)))
    doc = {"steps": rows}
    path = os.path.join(out, "integrity.json")
    if os.path.exists(path):
        with open(path) as f:
            doc["integrity"] = json.load(f)
    with open(os.path.join(out, "figures.json"), "w") as f:
        json.dump(doc, f, indent=2)


def chart(out, bucket=15.0):
    sessions, steps = load(out)
    if not sessions:
        return 1
    t0 = min(s["ts"] for s in sessions)
    reals = sorted({r for s in sessions for r in (s.get("reals_seen") or [s["real"]]) if r.startswith("rs")})
    counts = collections.defaultdict(collections.Counter)
    for s in sessions:
        if s["ok"]:
            counts[int((s["ts"] - t0) // bucket)][s["real"]] += 1
    with open(os.path.join(out, "chart.dat"), "w") as f:
        f.write("# t_s " + " ".join(reals) + "\n")
        for b in range(max(counts) + 1):
            f.write("%.0f %s\n" % (b * bucket, " ".join(str(counts[b][r]) for r in reals)))
    lines = ['set terminal png size 1000,480 font ",10"', 'set output "%s"' % os.path.join(out, "chart.png"),
             'set title "Client sessions per real server (per %d s); steps marked"' % bucket,
             'set xlabel "seconds since the load started"', 'set ylabel "sessions"', 'set key outside right',
             'set grid ytics', 'set yrange [0:*]']
    for i, st in enumerate(steps):
        x = st["start"] - t0
        lines.append('set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 lc rgb "gray40"' % (x, x))
        lines.append('set label "%s" at %.1f, graph %.2f font ",8"' % (st["step"], x + 1, 0.97 - 0.05 * (i % 3)))
    plots = ['"%s" using 1:%d with linespoints title "%s"' % (os.path.join(out, "chart.dat"), i + 2, r)
             for i, r in enumerate(reals)]
    lines.append("plot " + ", ".join(plots))
    with open(os.path.join(out, "chart.gp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, out = argv[1], argv[2]
    if cmd == "integrity":
        return 0 if integrity(out, argv[3]) else 1
    if cmd == "table":
        table(out)
        return 0
    if cmd == "chart":
        return chart(out)
    sessions, steps = load(out)
    if cmd == "count-after":
        print(sum(1 for s in sessions if s["ts"] > float(argv[3])))
        return 0
    if cmd == "where":
        c = collections.Counter((s["vip"], s["port"], s["real"]) for s in of_step(sessions, steps, argv[3]) if s["ok"])
        for (vip, port, real), n in sorted(c.items()):
            print("  %s:%d %s %d" % (vip, port, real, n))
        return 0
    if cmd == "check":
        name, kind = argv[3], argv[4]
        sel = of_step(sessions, steps, name)
        if kind == "after":
            t = float(argv[5])
            sel = [s for s in sel if s["ts"] > t]
            kind = argv[6]
        elif kind == "switches":
            # switches A1 B1 [A2 B2 ...] -- KIND: planned balancer switches (from A to B).
            # The sessions in flight during one are shown, then KIND applies to every
            # session of the step, those included: the old master is alive to send its
            # last sync message, and the new master's takeover grace holds a young
            # connection's packets until it has (daemon/README.md, "Takeover grace").
            i = argv.index("--")
            bounds = [float(x) for x in argv[5:i]]
            wins = list(zip(bounds[::2], bounds[1::2]))
            caught = [s for s in sel if any(s["ts"] < b and s["ts"] + s.get("latency_ms", 0) / 1000 > a for a, b in wins)]
            print("  %d sessions in flight during a switch, %d of them failed" % (
                len(caught), sum(1 for s in caught if not s["ok"])))
            kind = argv[i + 1]
        elif kind == "unsynced":
            # unsynced T -- KIND: the active balancer died at T. A connection begun in the
            # SYNC_DELAY before T may not have reached the standby (the kernel sends the
            # last sync message before a quiet spell up to 2 s late), and a dead master
            # cannot send it: those sessions are shown apart; KIND applies to every other
            # session of the step, begun before, during or after the takeover.
            t = float(argv[5])
            young = [s for s in sel if t - SYNC_DELAY < s["ts"] <= t]
            print("  %d sessions begun in the %.1f s before the balancer died (%d failed: unknown to the standby)" % (
                len(young), SYNC_DELAY, sum(1 for s in young if not s["ok"])))
            show([s for s in young if not s["ok"]])
            sel = [s for s in sel if s not in young]
            kind = argv[argv.index("--") + 1]
        elif kind == "window":
            t1, t2 = float(argv[5]), float(argv[6])
            sel = [s for s in sel if t1 < s["ts"] < t2]
            kind = argv[7]
        if kind == "no-failures":
            return 0 if check_no_failures(sel) else 1
        if kind == "distribution":
            return 0 if check_distribution(sel) else 1
        if kind == "reached":
            n = sum(1 for s in sel if s["ok"] and s["real"] == argv[5])
            print("  %d sessions served by %s" % (n, argv[5]))
            return 0 if n else 1
        if kind == "imap-on":
            imap = [s for s in sel if s["ok"] and s["port"] in IMAP_PORTS and s["vip"] == "192.0.2.10"]
            reals = collections.Counter(s["real"] for s in imap)
            print("  research IMAP sessions by real: %s" % dict(reals))
            return 0 if imap and set(reals) == {argv[-1]} else 1
        if kind == "persistence":
            return 0 if check_persistence(sel) else 1
    print("report.py: unknown command %s" % " ".join(argv[1:]), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
