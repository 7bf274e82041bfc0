#!/usr/bin/env python3
"""What the policy server saw and decided in one window, from its
`hipsched serve --events FILE.csv` (pytorch_plan.py writes raw/MODE/
events.csv for every window with a server).

    serve_events.py EVENTS.csv[.xz] [--linger MS] [--app APP.csv] [--json F]

For each client: its busy periods as the server saw them (idle -> ready
edges), the idle gaps between them on the server's clock and on the
client's (the LOADs' sent_ns), how many were longer than the linger;
the decisions sent, by the policy call that made them (one row per queue:
"resumed/s" counts a process's queues resumed together once); "late"
resumes: a
resume made by the policy's timer while a LOAD that ended the idle gap was
already sent (the client was busy again before the server read it).

With --app (an application's CSV of pytorch_app.py: request, start_ns,
end_ns relative to t0_ns of APP.csv.json beside it), each of its requests
is matched with the decisions made while it ran: how many requests saw
another process resumed mid-way, and their latency against the others;
for an application that was itself suspended, how long and how its
requests that ran through a suspension compare with those that did not.
"""
import argparse
import bisect
import csv
import json
import lzma
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_plan  # noqa: E402


def quantile(v, p):
    """pytorch_plan.quantile of unsorted v; None when v is empty."""
    return pytorch_plan.quantile(sorted(v), p) if v else None


def opener(path):
    return lzma.open(path, "rt") if path.endswith(".xz") else open(path, newline="")


def read_events(path):
    """The rows of an events CSV, numbers parsed; exits with file:line on a
    malformed row."""
    want = ["t_ns", "event", "client", "queue", "pending", "inflight",
            "sent_ns", "why", "by_client", "by_queue"]
    rows = []
    with opener(path) as f:
        r = csv.reader(f)
        head = next(r, None)
        if head != want:
            sys.exit("%s:1: not a hipsched serve --events file (header %r)"
                     % (path, head))
        for n, rec in enumerate(r, start=2):
            if len(rec) != len(want):
                sys.exit("%s:%d: %d fields, expected %d" % (path, n, len(rec), len(want)))
            d = dict(zip(want, rec))
            try:
                for k in ("t_ns", "queue", "pending", "inflight", "sent_ns", "by_queue"):
                    d[k] = int(d[k]) if d[k] != "" else None
            except ValueError as e:
                sys.exit("%s:%d: %s" % (path, n, e))
            if d["event"] not in ("ready", "idle", "suspend", "resume", "timer"):
                sys.exit("%s:%d: unknown event %r" % (path, n, d["event"]))
            rows.append(d)
    return rows


def ms(v):
    return "-" if v is None else "%.3f" % (v / 1e6)


EPISODE_NS = 100_000   # one client's decisions this close together: one flush


def analyse(rows, linger_ns):
    """{client: figures}, late resumes, decision episodes [(t, client,
    event, why)]: the server decides for each queue of a client (a PyTorch
    process has ~17), so one suspend of a process is one row per queue;
    rows of one client and event within EPISODE_NS of the previous are one
    episode."""
    per = {}
    last_idle = {}                 # (client, queue) -> (t, sent)
    episodes = []
    last_dec = {}                  # (client, event) -> t of its latest row

    def fig(c):
        return per.setdefault(c, {"busy": 0, "gap_server": [], "gap_client": [],
                                  "suspends": {}, "resumes": {}, "per_queue": {}})
    for d in rows:
        c = d["client"]
        if d["event"] in ("ready", "idle"):
            f = fig(c)
            key = (c, d["queue"])
            if d["event"] == "ready":
                f["busy"] += 1
                if key in last_idle:
                    t, s = last_idle.pop(key)
                    f["gap_server"].append(d["t_ns"] - t)
                    f["gap_client"].append(d["sent_ns"] - s)
            else:
                last_idle[key] = (d["t_ns"], d["sent_ns"])
        elif d["event"] in ("suspend", "resume"):
            f = fig(c)
            k = d["event"] + "s"
            f[k][d["why"]] = f[k].get(d["why"], 0) + 1
            q = f["per_queue"].setdefault(d["queue"], {"suspends": 0, "resumes": 0})
            q[k] += 1
            prev = last_dec.get((c, d["event"]))
            if prev is None or d["t_ns"] - prev > EPISODE_NS:
                episodes.append((d["t_ns"], c, d["event"], d["why"]))
            last_dec[(c, d["event"])] = d["t_ns"]
    # a timer's resume of C is late when another client's LOAD ending an
    # idle gap was sent before it and handled after it
    late = 0
    ready = sorted((d["sent_ns"], d["t_ns"], d["client"]) for d in rows
                   if d["event"] == "ready")
    sent = [r[0] for r in ready]
    for t, c, ev, why in episodes:
        if ev != "resume" or why != "timer":
            continue
        j = bisect.bisect_left(sent, t) - 1
        while j >= 0 and t - sent[j] < 50_000_000:
            if ready[j][1] > t and ready[j][2] != c:
                late += 1
                break
            j -= 1
    for c, f in per.items():
        f["gaps"] = len(f["gap_server"])
        f["gaps_over_linger"] = sum(g > linger_ns for g in f["gap_server"])
        f["gaps_over_linger_client"] = sum(g > linger_ns for g in f["gap_client"])
        f["queues_decided"] = len(f["per_queue"])
        f["episodes"] = {k: sum(e[2] + "s" == k for e in episodes if e[1] == c)
                         for k in ("suspends", "resumes")}
    return per, late, episodes


def read_app(path):
    meta = path + ".json"
    if not os.path.exists(meta):
        sys.exit("%s: no %s beside it (t0_ns)" % (path, meta))
    with open(meta) as f:
        t0 = json.load(f)["t0_ns"]
    out = []
    with open(path, newline="") as f:
        for n, r in enumerate(csv.DictReader(f), start=2):
            try:
                out.append((r["tenant"], int(r["request"]), t0 + int(r["start_ns"]),
                            t0 + int(r["end_ns"])))
            except (KeyError, ValueError) as e:
                sys.exit("%s:%d: %s" % (path, n, e))
    return out


def by_request(reqs, decisions, skip_first=True):
    """For each request: resume episodes (of other clients) made while it
    ran."""
    by = {}
    out = []
    for tenant, i, s, e in reqs:
        if skip_first and i == 0:
            continue
        if tenant not in by:     # the tenant is its client's name
            by[tenant] = sorted(t for t, c, ev, _ in decisions
                                if ev == "resume" and c != tenant)
        res = by[tenant]
        k = bisect.bisect_left(res, s)
        n = bisect.bisect_right(res, e) - k
        out.append((tenant, i, (e - s), n))
    return out


def suspended_spans(decisions, client):
    """client's suspensions [(suspend t, resume t)] from the episodes (one
    still open at the end lasts for ever)."""
    out, since = [], None
    for t, c, ev, _ in decisions:
        if c != client:
            continue
        if ev == "suspend" and since is None:
            since = t
        elif ev == "resume" and since is not None:
            out.append((since, t))
            since = None
    if since is not None:
        out.append((since, float("inf")))
    return out


def own_overlap(reqs, spans, skip_first=True):
    """For each request: whether its own process was suspended at some
    point while it ran (spans from suspended_spans, sorted)."""
    starts = [a for a, _ in spans]
    out = []
    for tenant, i, s, e in reqs:
        if skip_first and i == 0:
            continue
        k = bisect.bisect_left(starts, e)      # spans starting before e
        hit = k > 0 and spans[k - 1][1] > s
        out.append((tenant, i, e - s, hit))
    return out


def perfetto(path, rows, decisions, apps):
    """A Chrome / Perfetto trace of the window: a process per client with
    a track of its suspensions, one per queue of its busy periods (as the
    server saw them) and one of its requests (--app files), the policy's
    timers as instants. Times in us from the first event or request."""
    t0 = min([rows[0]["t_ns"]] + [r[2] for reqs in apps for r in reqs])
    us = lambda t: (t - t0) / 1e3
    clients = sorted({d["client"] for d in rows if d["client"]} |
                     {r[0] for reqs in apps for r in reqs})
    pid = {c: i + 1 for i, c in enumerate(clients)}
    ev = [{"ph": "M", "name": "process_name", "pid": 0, "tid": 0,
           "args": {"name": "server"}}]
    for c, n in pid.items():
        ev.append({"ph": "M", "name": "process_name", "pid": n, "tid": 0,
                   "args": {"name": c}})
        ev.append({"ph": "M", "name": "thread_name", "pid": n, "tid": 1,
                   "args": {"name": "suspended"}})
        ev.append({"ph": "M", "name": "thread_name", "pid": n, "tid": 2,
                   "args": {"name": "requests"}})
        for a, b in suspended_spans(decisions, c):
            b = min(b, rows[-1]["t_ns"])
            ev.append({"ph": "X", "name": "suspended", "pid": n, "tid": 1,
                       "ts": us(a), "dur": (b - a) / 1e3})
    since, named = {}, set()
    for d in rows:
        if d["event"] == "timer":
            ev.append({"ph": "i", "name": "timer", "pid": 0, "tid": 0, "s": "p",
                       "ts": us(d["t_ns"])})
            continue
        if d["event"] not in ("ready", "idle"):
            continue
        key = (d["client"], d["queue"])
        tid = 10 + d["queue"]
        if key not in named:
            named.add(key)
            ev.append({"ph": "M", "name": "thread_name", "pid": pid[d["client"]],
                       "tid": tid, "args": {"name": "queue %d busy" % d["queue"]}})
        if d["event"] == "ready":
            since[key] = d["t_ns"]
        elif key in since:
            a = since.pop(key)
            ev.append({"ph": "X", "name": "busy", "pid": pid[d["client"]], "tid": tid,
                       "ts": us(a), "dur": (d["t_ns"] - a) / 1e3})
    for reqs in apps:
        for tenant, i, s, e in reqs:
            ev.append({"ph": "X", "name": "request %d" % i, "pid": pid[tenant],
                       "tid": 2, "ts": us(s), "dur": (e - s) / 1e3})
    with open(path + ".tmp", "w") as f:
        json.dump({"displayTimeUnit": "ns", "traceEvents": ev}, f)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("events")
    ap.add_argument("--linger", type=float, default=0.2,
                    help="the policy's linger in ms, for the gap counts (default 0.2)")
    ap.add_argument("--app", action="append", default=[],
                    help="an application's CSV (pytorch_app.py) whose requests to match")
    ap.add_argument("--json", help="also write the figures as JSON here")
    ap.add_argument("--perfetto", metavar="TRACE.json",
                    help="also write the window as a Chrome / Perfetto trace: per client "
                    "its suspensions, each queue's busy periods, its requests (--app)")
    a = ap.parse_args()
    rows = read_events(a.events)
    if not rows:
        sys.exit("%s: no events" % a.events)
    span = (rows[-1]["t_ns"] - rows[0]["t_ns"]) / 1e9
    per, late, decisions = analyse(rows, int(a.linger * 1e6))
    print("%s: %d events over %.1f s, linger %.3g ms" % (a.events, len(rows), span, a.linger))
    print("%-10s %8s %8s %10s %10s %10s %10s %7s %9s  %s" % (
        "client", "busy", "gaps", ">linger", ">l.client", "gap p50", "gap p99",
        "queues", "resumed/s", "decisions, every queue (by the call that made them)"))
    out = {"events": len(rows), "span_s": span, "linger_ms": a.linger,
           "late_timer_resumes": late, "clients": {}}
    for c, f in sorted(per.items()):
        dec = ", ".join("%s %s %d" % (k[:-1], w, n) for k in ("suspends", "resumes")
                        for w, n in sorted(f[k].items()))
        print("%-10s %8d %8d %10d %10d %10s %10s %7d %9.1f  %s" % (
            c, f["busy"], f["gaps"], f["gaps_over_linger"], f["gaps_over_linger_client"],
            ms(quantile(f["gap_server"], 0.5)), ms(quantile(f["gap_server"], 0.99)),
            f["queues_decided"], f["episodes"]["resumes"] / span if span else 0,
            dec or "-"))
        out["clients"][c] = {k: f[k] for k in ("busy", "gaps", "gaps_over_linger",
                                               "gaps_over_linger_client", "suspends",
                                               "resumes", "queues_decided", "episodes")}
        out["clients"][c]["gap_ms"] = {q: (None if quantile(f["gap_server"], p) is None
                                           else quantile(f["gap_server"], p) / 1e6)
                                       for q, p in (("p50", .5), ("p90", .9), ("p99", .99))}
    print("resumes by the timer while a LOAD ending the gap was on its way: %d" % late)
    for path in a.app:
        br = by_request(read_app(path), decisions)
        hit = [r for r in br if r[3] > 0]
        clean = [r[2] for r in br if r[3] == 0]
        lat_hit = [r[2] for r in hit]
        print("%s: %d requests (request 0 left out), %d with another process resumed "
              "while it ran (%.1f times each on average); latency P50 / P99 ms: "
              "those %s / %s, the others %s / %s" % (
                  path, len(br), len(hit),
                  sum(r[3] for r in hit) / len(hit) if hit else 0,
                  ms(quantile(lat_hit, .5)), ms(quantile(lat_hit, .99)),
                  ms(quantile(clean, .5)), ms(quantile(clean, .99))))
        out.setdefault("apps", {})[path] = {
            "requests": len(br), "with_resume": len(hit),
            "p50_ms_with": None if not hit else quantile(lat_hit, .5) / 1e6,
            "p50_ms_without": None if not clean else quantile(clean, .5) / 1e6}
        # the application's own suspensions: its requests that ran
        # through one against those that did not
        reqs = read_app(path)
        for tenant in sorted({r[0] for r in reqs}):
            sp = suspended_spans(decisions, tenant)
            if not sp:
                continue
            ov = own_overlap([r for r in reqs if r[0] == tenant], sp)
            inn = [r[2] for r in ov if r[3]]
            free = [r[2] for r in ov if not r[3]]
            lo, hi = rows[0]["t_ns"], rows[-1]["t_ns"]
            frac = sum(min(b, hi) - max(a, lo) for a, b in sp if b > lo and a < hi) / (hi - lo)
            print("%s: %s suspended %d times, %.1f %% of the events' span; %d of its %d "
                  "requests ran through a suspension; latency P50 / P90 ms: those %s / %s, "
                  "the others %s / %s" % (
                      path, tenant, len(sp), 100 * frac, len(inn), len(ov),
                      ms(quantile(inn, .5)), ms(quantile(inn, .9)),
                      ms(quantile(free, .5)), ms(quantile(free, .9))))
            out["apps"][path].setdefault("own", {})[tenant] = {
                "suspensions": len(sp), "suspended_fraction": frac,
                "requests_through": len(inn), "requests_clear": len(free),
                "p50_ms_through": None if not inn else quantile(inn, .5) / 1e6,
                "p50_ms_clear": None if not free else quantile(free, .5) / 1e6}
    if a.perfetto:
        perfetto(a.perfetto, rows, decisions, [read_app(p) for p in a.app])
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump(out, f, indent=1)
        os.replace(a.json + ".tmp", a.json)


if __name__ == "__main__":
    main()
