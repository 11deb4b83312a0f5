#!/usr/bin/env python3
"""Turns `lvsctl status --json` (stdin) into lines a shell test can grep:
    descriptor STATUS ERROR_COUNT
    error TEXT                      (one per descriptor error)
    reconcile OPERATIONS FAILED
    real SERVICE ADDR:PORT HEALTH ADMIN DESIRED CURRENT ACTIVE INACTIVE
    retiring KEY REAL|- CONNECTIONS (KEY as lvsd writes it, e.g. "fwmark 10 (inet)")
"""
import json
import sys

st = json.load(sys.stdin)
d = st["descriptor"]
print("descriptor", d.get("status"), len(d.get("errors") or []))
for e in d.get("errors") or []:
    print("error", e)
rc = st["reconcile"]
print("reconcile", rc.get("operations"), rc.get("failed"))
for svc in st.get("services", []):
    for r in svc.get("reals", []):
        print("real", svc["name"], r["real"], r["health"], r["admin"], r.get("desired_weight"),
              r.get("current_weight"), r.get("active_conns"), r.get("inactive_conns"))
for r in st.get("retiring", []):
    print("retiring", r["key"], r.get("real") or "-", r["connections"])
