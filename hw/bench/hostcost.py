#!/usr/bin/env python3
"""What the interception library costs an application's host, per mode.

Reads the runs of h200.sh's `hostcost` section from DIR: for each mode M
and round K, hc_M_K_closed.csv (the model back to back: requests/s is the
host's cost per request, the model being host-bound) and hc_M_K_open.csv
(the test's arrivals: latency P50 / P99), beside hc_M_K_{closed,open}.shim.json
where the library wrote its statistics (HIPSCHED_STATS). Prints, per mode:
closed-loop requests/s and its ratio to the first mode (median of the
rounds' ratios, each round's modes run one after another), open-loop P50 /
P99 pooled over rounds, and from the statistics the library's own host
time per command (shim__begin + shim__end without waits), markers recorded
per request, the poller's rounds and event queries per request and the
wake-ups callers signalled to it.

    hostcost.py DIR [--duration S] [--json OUT]
"""
import argparse
import csv
import functools
import glob
import json
import os
import re
import statistics
import sys


def fail(path, line, why):
    sys.exit("%s:%d: %s" % (path, line, why))


@functools.lru_cache(maxsize=None)
def requests(path):
    """(start_ns, end_ns, latency ms) of each request of a pytorch_app.py
    CSV, in file order (each file read once)."""
    out = []
    cols = ("start_ns", "end_ns", "latency_ns")
    try:
        with open(path, newline="") as f:
            r = csv.DictReader(f)
            for c in cols:
                if not r.fieldnames or c not in r.fieldnames:
                    fail(path, 1, "no %s column (a pytorch_app.py output?)" % c)
            for i, row in enumerate(r, start=2):
                v = []
                for c in cols:
                    try:
                        v.append(int(row[c]))
                    except (TypeError, ValueError):
                        fail(path, i, "%s %r is not an integer" % (c, row[c]))
                out.append((v[0], v[1], v[2] / 1e6))
    except OSError as e:
        sys.exit("%s: %s" % (path, e.strerror))
    return tuple(out)


def latencies(path):
    """Latencies (ms) of a pytorch_app.py CSV, in file order."""
    return [x[2] for x in requests(path)]


def shim_stats(path):
    """Library statistics of one run summed over its queues, or None."""
    if not os.path.exists(path):
        return None
    try:
        d = json.load(open(path))
    except ValueError as e:
        fail(path, getattr(e, "lineno", 1), "not JSON: %s" % e)
    q = d.get("queues", [])
    s = {k: sum(x.get(k, 0) for x in q)
         for k in ("commands", "own_ns", "records", "held", "held_ns")}
    p = d.get("poller", {})
    s.update({k: p.get(k, 0) for k in ("rounds", "queries", "kicks")})
    return s


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--duration", type=float, default=None,
                    help="closed-loop seconds per run (default: the runs' own span)")
    ap.add_argument("--json", default="", help="write the table here too")
    a = ap.parse_args()
    runs = {}
    pat = re.compile(r"hc_(.+)_(\d+)_(closed|open)\.csv$")
    for p in sorted(glob.glob(os.path.join(a.dir, "hc_*_*_*.csv"))):
        m = pat.search(os.path.basename(p))
        if m:
            runs.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {})[m.group(3)] = p
    if not runs:
        sys.exit("%s: no hc_MODE_ROUND_{closed,open}.csv files" % a.dir)
    order = []
    modes_file = os.path.join(a.dir, "hc_modes.txt")
    if os.path.exists(modes_file):
        order = [m for m in open(modes_file).read().split() if m in runs]
    order += sorted(m for m in runs if m not in order)
    base = order[0]

    def rate(path):
        if a.duration:
            return len(latencies(path)) / a.duration
        rows = requests(path)
        if len(rows) < 2:
            fail(path, 1, "fewer than 2 requests: no rate")
        span = (rows[-1][1] - rows[0][0]) / 1e9
        return (len(rows) - 1) / span if span > 0 else float("nan")

    table = []
    for m in order:
        rounds = sorted(runs[m])
        rates, ratios, lat, st = [], [], [], []
        for k in rounds:
            r = runs[m][k]
            if "closed" in r:
                rates.append(rate(r["closed"]))
                b = runs[base].get(k, {}).get("closed")
                if b:
                    ratios.append(rates[-1] / rate(b))
            if "open" in r:
                lat += latencies(r["open"])[1:]     # the first request is cold
            for kind in ("closed", "open"):
                s = shim_stats(os.path.join(a.dir, "hc_%s_%d_%s.shim.json" % (m, k, kind)))
                if s and kind in r:
                    st.append(dict(s, requests=len(latencies(r[kind]))))
        row = {"mode": m, "rounds": len(rounds),
               "closed_rps": statistics.median(rates) if rates else None,
               "closed_ratio": statistics.median(ratios) if ratios else None,
               "open_n": len(lat), "open_p50_ms": pct(lat, 0.5) if lat else None,
               "open_p99_ms": pct(lat, 0.99) if lat else None}
        if st:
            tot = {k: sum(s[k] for s in st) for k in st[0]}
            if tot["commands"]:
                row["own_us_per_command"] = tot["own_ns"] / tot["commands"] / 1e3
                row["commands_per_request"] = tot["commands"] / max(1, tot["requests"])
            if tot["requests"]:
                for k in ("records", "rounds", "queries", "kicks"):
                    row[k + "_per_request"] = tot[k] / tot["requests"]
        table.append(row)
    fmt = lambda v, f: f % v if v is not None else "-"
    print("mode              rounds  closed req/s  ratio  open n  P50 ms  P99 ms   own us/cmd"
          "  cmds/req  records/req  poll rounds/req  queries/req  kicks/req")
    for r in table:
        print("%-17s %6d  %12s  %5s  %6d  %6s  %6s   %10s  %8s  %11s  %15s  %11s  %9s" % (
            r["mode"], r["rounds"], fmt(r["closed_rps"], "%.1f"),
            fmt(r["closed_ratio"], "%.3f"), r["open_n"], fmt(r["open_p50_ms"], "%.3f"),
            fmt(r["open_p99_ms"], "%.3f"), fmt(r.get("own_us_per_command"), "%.2f"),
            fmt(r.get("commands_per_request"), "%.0f"), fmt(r.get("records_per_request"), "%.1f"),
            fmt(r.get("rounds_per_request"), "%.1f"), fmt(r.get("queries_per_request"), "%.1f"),
            fmt(r.get("kicks_per_request"), "%.1f")))
    print("(ratio: closed-loop req/s over %s's, median of the rounds; P50 / P99 pooled, "
          "each run's first request left out)" % base)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
