#!/usr/bin/python3
"""Reads lvsd's /metrics text on stdin with Prometheus's own parser
(python3-prometheus-client) and prints one sample a line, labels sorted by name:
    lvsd_real_health{real="203.0.113.11:7000",service="echo",state="up"} 1
so the kernel tests can grep values. Exits 1 (with the parser's error) when the text
does not parse, 2 when the parser is missing."""
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("metrics_lines: python3-prometheus-client is missing (scripts/setup-deps.sh)", file=sys.stderr)
    sys.exit(2)

text = sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as e:  # the parser raises ValueError and friends
    print(f"metrics_lines: not valid Prometheus text: {e}", file=sys.stderr)
    sys.exit(1)
if not families:
    print("metrics_lines: no metrics at all", file=sys.stderr)
    sys.exit(1)
for f in families:
    for s in f.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        value = s.value
        shown = str(int(value)) if value == int(value) else repr(value)
        print(f"{s.name}{{{labels}}} {shown}" if labels else f"{s.name} {shown}")
