#!/usr/bin/env python3
"""Each online tenant's P99 / alone with its 95 % bootstrap interval
(pytorch_plan.p99_ci), from a requests.csv that pytorch_plan.py wrote (one
row per request: tenant, mode, request, ..., latency_ns, round), e.g. a
run shipped under analysis/reports/h200_runs/. --skip-first leaves out
each window's first request (before the warm-up ran on the window's
thread, app_loop.run_window, that request paid PyTorch's per-thread
handle creation).

--by-round: the ratio in each round (its windows ran interleaved, under
the same host conditions) and the mean over rounds with a 95 % interval
of rounds resampled (pytorch_plan.mean_ci). The pooled interval resamples
requests as if independent; when the standalone window's own tail moves
from round to round (h200.md 18: its P99 3.9-7.7 ms), only the interval
over rounds says whether more rounds could move the figure.

usage: plan_ci.py REQUESTS.csv[.xz] [--skip-first] [--tenants hp,vision,...] [--by-round]"""
import argparse
import csv
import lzma
import sys

import pytorch_plan


def by_round(path, by, want):
    """--by-round's table: a row per tenant and mode."""
    print("tenant     mode         rounds  mean p99/alone  95% interval (rounds)  each round")
    for t in want:
        for m in sorted({k[1] for k in by if k[0] == t and k[1] != "standalone"}):
            per = []
            for rd in sorted(k[2] for k in by if k[0] == t and k[1] == m):
                alone = sorted(by.get((t, "standalone", rd), []))
                if not alone:
                    sys.exit("%s: no standalone rows for %s in round %d" % (path, t, rd))
                per.append(pytorch_plan.quantile(sorted(by[(t, m, rd)]), .99) /
                           pytorch_plan.quantile(alone, .99))
            ci = pytorch_plan.mean_ci(per, 1)
            print("%-10s %-12s %6d %15.3f  %-21s  %s" % (
                t, m, len(per), sum(per) / len(per),
                "%.3f-%.3f" % tuple(ci) if ci else "-", " ".join("%.3f" % x for x in per)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--skip-first", action="store_true")
    ap.add_argument("--tenants", default="",
                    help="comma list (default: every tenant with a standalone window)")
    ap.add_argument("--by-round", action="store_true",
                    help="ratios a round and their mean over rounds")
    a = ap.parse_args()
    lat, by = {}, {}
    try:
        with (lzma.open(a.csv, "rt") if a.csv.endswith(".xz") else open(a.csv)) as f:
            for ln, r in enumerate(csv.DictReader(f), 2):
                try:
                    if a.skip_first and int(r["request"]) == 0:
                        continue
                    x = int(r["latency_ns"]) / 1e6
                    lat.setdefault((r["tenant"], r["mode"]), []).append(x)
                    by.setdefault((r["tenant"], r["mode"], int(r["round"])), []).append(x)
                except (KeyError, TypeError, ValueError):
                    sys.exit("%s:%d: not a row of pytorch_plan.py's requests.csv" % (a.csv, ln))
    except (OSError, lzma.LZMAError) as e:
        sys.exit("plan_ci.py: %s" % e)
    want = a.tenants.split(",") if a.tenants else sorted(
        {t for t, m in lat if m == "standalone"})
    if a.by_round:
        return by_round(a.csv, by, want)
    print("tenant     mode         requests  p99 ms  p99/alone  95% interval")
    for t in want:
        alone = sorted(lat.get((t, "standalone"), []))
        if not alone:
            sys.exit("%s: no standalone rows for %s" % (a.csv, t))
        for m in sorted(m for n, m in lat if n == t and m != "standalone"):
            v = sorted(lat[(t, m)])
            ci = pytorch_plan.p99_ci(v, alone, 1)
            print("%-10s %-12s %8d %7.2f %10.3f  %s" % (
                t, m, len(v), pytorch_plan.quantile(v, .99),
                pytorch_plan.quantile(v, .99) / pytorch_plan.quantile(alone, .99),
                "%.3f-%.3f" % tuple(ci) if ci else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
