#!/usr/bin/python3
"""Reads lvsd's metrics with Prometheus's own text parser (python3-prometheus-client)
and checks names, types and a few values. Usage: parse_metrics.py FILE [--ha | --structure]
--structure: names, types, each family once and each series once; no values checked."""
import re
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("parse_metrics: python3-prometheus-client is missing (scripts/setup-deps.sh installs it)")

text = open(sys.argv[1]).read()
listed = list(text_string_to_metric_families(text))
families = {f.name: f for f in listed}
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

# A family split in two (HELP/TYPE again further on) comes back as two families.
need(len(listed) == len(families), f"{len(listed) - len(families)} families appear more than once")
for line in text.splitlines():
    if line.startswith("# HELP "):
        need(text.count("\n" + line + "\n") + text.startswith(line + "\n") == 1, f"repeated: {line}")
seen = set()
for f in listed:
    for s in f.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        need(key not in seen, f"series twice: {key}")
        seen.add(key)

for name, f in families.items():
    need(re.fullmatch(r"lvsd_[a-z0-9_]+", name), f"{name}: not lvsd_ and snake case")
    if f.type == "counter":
        need(all(s.name.endswith("_total") for s in f.samples), f"{name}: a counter sample without _total")
    if "duration" in name or "age" in name or "timestamp" in name:
        need(name.endswith("_seconds"), f"{name}: a time not in seconds")
    if f.type == "histogram":
        by_labels = {}
        for s in f.samples:
            if s.name.endswith("_bucket"):
                key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                by_labels.setdefault(key, []).append(s.value)
        for key, values in by_labels.items():
            need(values == sorted(values), f"{name}{key}: buckets not cumulative")

def value(family, sample, **labels):
    for s in families[family].samples:
        if s.name == sample and s.labels == labels:
            return s.value
    return None

expect = {
    "lvsd_real_health": "gauge", "lvsd_real_weight_current": "gauge",
    "lvsd_real_connections": "counter", "lvsd_check_duration_seconds": "histogram",
    "lvsd_check_failures": "counter", "lvsd_reconcile_runs": "counter", "lvsd_descriptor_loads": "counter",
}
for name, kind in expect.items():
    need(name in families and families[name].type == kind, f"{name}: missing or not a {kind}")
if not problems and "--structure" not in sys.argv:
    a = dict(service="smtp", real="203.0.113.81:25")
    b = dict(service="smtp", real="203.0.113.82:25")
    need(value("lvsd_real_health", "lvsd_real_health", state="up", **a) == 1, "real a is not up")
    need(value("lvsd_real_health", "lvsd_real_health", state="down", **b) == 1, "real b is not down")
    need(value("lvsd_real_weight_current", "lvsd_real_weight_current", **a) == 1, "real a's weight is not 1")
    need(value("lvsd_descriptor_loads", "lvsd_descriptor_loads_total", result="ok") == 1, "no ok load")
    need(value("lvsd_check_duration_seconds", "lvsd_check_duration_seconds_count", kind="tcp") >= 4, "few tcp checks")
    if "--ha" in sys.argv:
        need(value("lvsd_ha_state", "lvsd_ha_state", state="master") == 1, "not master")

for p in problems:
    print("parse_metrics:", p, file=sys.stderr)
print(f"parse_metrics: {len(families)} families, {sum(len(f.samples) for f in families.values())} samples,"
      f" {len(problems)} problems")
sys.exit(1 if problems else 0)
