#!/usr/bin/env python3
"""Time slicing between two processes on one GPU: the simulator's timeslice_ns, ctx_switch_ns.

    python3 hw/bench/timeslice.py [--sizes 8192,2048,1024] [--samples N] [--out JSON]

A probe process launches one tiny kernel at random intervals (2-8 ms) and
times launch -> completion on the host; first alone, then next to a hog
process (another CUDA context) that keeps its stream full of square fp32
matrix products of each size in --sizes (one kernel each). Under time
slicing the probe's kernel waits for the hog's slice to end: its extra
wait is about uniform over [switch, slice + switch], so

    ctx_switch_ns ~ P1 of the extra wait
    timeslice_ns  ~ P99 - P1 of the extra wait

(sim/MODEL.md, "Contexts: time slicing"). A hog kernel shorter than the
slice shows whether the hardware switches at kernel boundaries instead.
Prints a table and the two profile lines; --out writes every sample.

--bursts K:GAP_US,... also times bursts of K tiny kernels launched GAP_US
apart (host busy-wait, one sync at the end), alone and next to the hog of
the first size: whether a context whose queue drains between launches
loses the device at once (about a slice per kernel) or keeps its slice
(about one slice per burst).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

import torch


def hog(size, ready):
    a = torch.rand(size, size, device="cuda")
    b = torch.rand(size, size, device="cuda")
    c = torch.empty_like(a)
    torch.mm(a, b, out=c)
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(10):
        torch.mm(a, b, out=c)
    e.record()
    e.synchronize()
    with open(ready, "w") as f:
        f.write("%.1f\n" % (s.elapsed_time(e) * 1e3 / 10))   # us per kernel
    # keep the stream full: at most two events' worth of kernels pending
    per = max(1, int(20000 / max(1.0, s.elapsed_time(e) * 1e3 / 10)))
    evs = []
    while True:
        for _ in range(per):
            torch.mm(a, b, out=c)
        ev = torch.cuda.Event()
        ev.record()
        evs.append(ev)
        if len(evs) > 2:
            evs.pop(0).synchronize()


def probe(n, rng):
    x = torch.zeros(16, device="cuda")
    x.add_(1)
    torch.cuda.synchronize()
    out = []
    for _ in range(n):
        time.sleep(rng.uniform(0.002, 0.008))
        t = time.perf_counter_ns()
        x.add_(1)
        torch.cuda.synchronize()
        out.append(time.perf_counter_ns() - t)
    return out


def bursts(specs, n, rng):
    x = torch.zeros(16, device="cuda")
    x.add_(1)
    torch.cuda.synchronize()
    out = {}
    for k, gap in specs:
        v = []
        for _ in range(n):
            time.sleep(rng.uniform(0.002, 0.008))
            t = time.perf_counter_ns()
            for i in range(k):
                if i and gap:
                    until = time.perf_counter_ns() + gap * 1000
                    while time.perf_counter_ns() < until:
                        pass
                x.add_(1)
            torch.cuda.synchronize()
            v.append(time.perf_counter_ns() - t)
        out["%d:%d" % (k, gap)] = v
    return out


def start_hog(size):
    ready = "/tmp/timeslice_ready_%d_%d" % (os.getpid(), size)
    if os.path.exists(ready):
        os.unlink(ready)
    p = subprocess.Popen([sys.executable, __file__, "--role", str(size), "--ready", ready])
    t0 = time.time()
    while not os.path.exists(ready) or not open(ready).read().strip():
        if p.poll() is not None or time.time() - t0 > 60:
            print("timeslice: hog %d did not start" % size, file=sys.stderr)
            p.kill()
            return None, 0
        time.sleep(0.05)
    kus = float(open(ready).read())
    os.unlink(ready)
    time.sleep(0.5)
    return p, kus


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="8192,2048,1024",
                    help="hog matrix sizes, comma-separated (default 8192,2048,1024)")
    ap.add_argument("--samples", type=int, default=400, help="probe kernels per run (400)")
    ap.add_argument("--bursts", default="",
                    help="K:GAP_US,... bursts to time (e.g. 20:0,20:20,20:100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="JSON with every sample (ns)")
    ap.add_argument("--role", help=argparse.SUPPRESS)
    ap.add_argument("--ready", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.role:
        hog(int(a.role), a.ready)
        return 0
    rng = random.Random(a.seed)
    alone = probe(a.samples, rng)
    base = pct(alone, 50)
    res = {"alone_ns": alone, "hogs": []}
    print("hog size   kernel us   probe P50 us   extra wait P1 / P50 / P99 / max us")
    print("%8s %11s %14.1f" % ("none", "-", base / 1e3))
    est = None
    for size in [int(s) for s in a.sizes.split(",") if s]:
        p, kus = start_hog(size)
        if not p:
            return 1
        lat = probe(a.samples, rng)
        p.kill()
        p.wait()
        w = [max(0, v - base) for v in lat]
        p1, p50, p99 = pct(w, 1), pct(w, 50), pct(w, 99)
        print("%8d %11.1f %14.1f   %8.1f / %8.1f / %8.1f / %8.1f" %
              (size, kus, pct(lat, 50) / 1e3, p1 / 1e3, p50 / 1e3, p99 / 1e3, max(w) / 1e3))
        res["hogs"].append({"size": size, "kernel_us": kus, "probe_ns": lat,
                            "wait_p1_ns": p1, "wait_p50_ns": p50, "wait_p99_ns": p99})
        if est is None or kus > est[0]:
            est = (kus, p99 - p1, p1)
    specs = [tuple(int(v) for v in b.split(":")) for b in a.bursts.split(",") if b]
    if specs:
        size = int(a.sizes.split(",")[0])
        n = max(20, a.samples // 8)
        alone_b = bursts(specs, n, rng)
        p, kus = start_hog(size)
        if not p:
            return 1
        hog_b = bursts(specs, n, rng)
        p.kill()
        p.wait()
        print("burst K:GAP_US   alone P50 us   next to hog %d (%.0f us kernels) P50 / P99 us"
              % (size, kus))
        res["bursts"] = []
        for k, gap in specs:
            key = "%d:%d" % (k, gap)
            al, hg = alone_b[key], hog_b[key]
            print("%14s %14.1f   %10.1f / %10.1f" %
                  (key, pct(al, 50) / 1e3, pct(hg, 50) / 1e3, pct(hg, 99) / 1e3))
            res["bursts"].append({"k": k, "gap_us": gap, "hog_size": size,
                                  "alone_ns": al, "hog_ns": hg})
    if est:
        print("# from the longest hog kernel (%.0f us):" % est[0])
        print("timeslice_ns = %d" % est[1])
        print("ctx_switch_ns = %d" % est[2])
        res["timeslice_ns"], res["ctx_switch_ns"] = est[1], est[2]
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            json.dump(res, f)
        os.replace(a.out + ".tmp", a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
