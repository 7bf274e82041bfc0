#!/usr/bin/env python3
"""Each online tenant's P99 / alone with its 95 % bootstrap interval
(pytorch_plan.p99_ci), from a requests.csv that pytorch_plan.py wrote (one
row per request: tenant, mode, request, ..., latency_ns, round), e.g. a
run shipped under analysis/reports/h200_runs/. --skip-first leaves out
each window's first request (before the warm-up ran on the window's
thread, app_loop.run_window, that request paid PyTorch's per-thread
handle creation).

usage: plan_ci.py REQUESTS.csv[.xz] [--skip-first] [--tenants hp,vision,...]"""
import argparse
import csv
import lzma
import sys

import pytorch_plan


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--skip-first", action="store_true")
    ap.add_argument("--tenants", default="",
                    help="comma list (default: every tenant with a standalone window)")
    a = ap.parse_args()
    lat = {}
    try:
        with (lzma.open(a.csv, "rt") if a.csv.endswith(".xz") else open(a.csv)) as f:
            for ln, r in enumerate(csv.DictReader(f), 2):
                try:
                    if a.skip_first and int(r["request"]) == 0:
                        continue
                    lat.setdefault((r["tenant"], r["mode"]), []).append(
                        int(r["latency_ns"]) / 1e6)
                except (KeyError, TypeError, ValueError):
                    sys.exit("%s:%d: not a row of pytorch_plan.py's requests.csv" % (a.csv, ln))
    except (OSError, lzma.LZMAError) as e:
        sys.exit("plan_ci.py: %s" % e)
    want = a.tenants.split(",") if a.tenants else sorted(
        {t for t, m in lat if m == "standalone"})
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
