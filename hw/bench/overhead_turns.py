#!/usr/bin/env python3
"""What the library costs a closed-loop application, in interleaved turns.

Each mode (natively, pass-through, hpf in the process, ...) runs as its own
process(es) of the application (hw/bench/pytorch_app.py), all started
together and warmed up once; then they take turns on the GPU: in each
round every process runs one window of --turn-s seconds while the others
wait (blocked on a pipe, no GPU work), the order rotated round by round.
Separate 10 s windows, one process each, moved by 0.96-1.13x between two
runs of one mode on the H200 (analysis/reports/h200.md 13.3); here each
round's ratio to the reference mode pairs windows seconds apart, and with
--procs 2 a process-level offset (allocation, placement) shows as a gap
between two processes of one mode.

usage: overhead_turns.py --mode NAME[:VAR=V,...] [--mode ...] [--ref NAME]
       [--procs N] [--rounds R] [--turn-s S] [--discard K] [--app APP]
       [--out DIR] -- APP_ARGS...
  --mode    a mode and the environment its processes get (e.g.
            pass:LD_PRELOAD=/x/libhipsched.so); the first is the reference
            unless --ref names another
  APP_ARGS  the application's own arguments (--model resnet50 --batch 32
            --warmup 20); --arrival closed, --duration, --name, --out and
            --turns are added
Writes DIR/turns.csv (a row per window), DIR/summary.json, each process's
requests (DIR/NAME.csv, NAME.csv.json with its output checksum) and, for a
mode with LD_PRELOAD, the library's statistics (DIR/NAME.shim.json).
Prints per mode its mean rate and the per-round ratio to the reference:
median and a 95 % bootstrap interval of the mean; and for a mode under the
library its own time a command and the calls it held. Exit 0; 1 when a process
failed or the checksums differ between modes; 2 on bad arguments.
"""
import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import time

import hostcost
import pytorch_plan

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_mode(spec):
    name, _, env = spec.partition(":")
    if not name or not name.replace("_", "").isalnum():
        raise ValueError("--mode %r: NAME[:VAR=V,...], NAME of letters, "
                         "digits and _" % spec)
    e = {}
    for kv in filter(None, env.split(",")):
        k, eq, v = kv.partition("=")
        if not eq or not k:
            raise ValueError("--mode %r: %r is not VAR=V" % (spec, kv))
        e[k] = v
    return name, e


class Proc:
    """One process of a mode, its control pipes and its stderr log."""

    def __init__(self, mode, k, env, cmd, out):
        self.mode, self.name = mode, "%s_%d" % (mode, k)
        go_r, self.go_w = os.pipe()
        self.done_r, done_w = os.pipe()
        full = dict(os.environ, **env)
        if "LD_PRELOAD" in env:
            full.setdefault("HIPSCHED_STATS",
                            os.path.join(out, self.name + ".shim.json"))
        self.log = open(os.path.join(out, self.name + ".log"), "w")
        self.p = subprocess.Popen(
            cmd + ["--name", self.name, "--turns", "%d,%d" % (go_r, done_w),
                   "--out", os.path.join(out, self.name + ".csv")],
            env=full, pass_fds=(go_r, done_w), stdout=self.log,
            stderr=subprocess.STDOUT)
        os.close(go_r)
        os.close(done_w)
        self.buf = b""

    def line(self, timeout):
        """The next line from the process, or raises RuntimeError when it
        ended or said nothing for timeout seconds."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: nothing for %.0f s" % (self.name, timeout))
            if select.select([self.done_r], [], [], left)[0]:
                b = os.read(self.done_r, 4096)
                if not b:
                    raise RuntimeError("%s: ended (exit %s; see %s.log)" % (
                        self.name, self.p.wait(), self.name))
                self.buf += b
        ln, _, self.buf = self.buf.partition(b"\n")
        return ln.decode()

    def send(self, s):
        os.write(self.go_w, (s + "\n").encode())

    def stop(self, timeout):
        try:
            self.send("stop")
        except OSError:
            pass
        os.close(self.go_w)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.log.close()
        os.close(self.done_r)
        return rc


def summarize(rows, modes, ref, discard, seed):
    """Per mode: mean rate, per-process mean rate, and the ratio of its
    rate to ref's in each kept round (each mode's processes averaged)."""
    rate = {}
    for r in rows:
        if r["round"] > discard:
            rate.setdefault((r["round"], r["mode"]), []).append(r["rate"])
    rounds = sorted({k[0] for k in rate})
    out = {}
    for m in modes:
        per = [statistics.fmean(rate[(i, m)]) / statistics.fmean(rate[(i, ref)])
               for i in rounds if (i, m) in rate and (i, ref) in rate]
        procs = {}
        for r in rows:
            if r["mode"] == m and r["round"] > discard:
                procs.setdefault(r["proc"], []).append(r["rate"])
        out[m] = {"rounds": len(per),
                  "rate_mean": statistics.fmean(
                      x for i in rounds for x in rate.get((i, m), [])) if per else None,
                  "rate_by_process": {p: statistics.fmean(v) for p, v in sorted(procs.items())},
                  "ratio_median": statistics.median(per) if per else None,
                  "ratio_mean": statistics.fmean(per) if per else None,
                  "ratio_ci95": pytorch_plan.mean_ci(per, seed),
                  "ratio_per_round": per}
    return out


def library(out, names):
    """The library's statistics (HIPSCHED_STATS, hostcost.shim_stats) of
    the processes named, summed; None when none wrote any."""
    st = [x for x in (hostcost.shim_stats(os.path.join(out, n + ".shim.json"))
                      for n in names) if x]
    return {k: sum(x[k] for x in st) for k in st[0]} if st else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 usage=__doc__.split("\n\n")[2][len("usage: "):].replace("%", "%%"))
    ap.add_argument("--mode", action="append", default=[], required=True)
    ap.add_argument("--ref", default="")
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--turn-s", type=float, default=2.0)
    ap.add_argument("--discard", type=int, default=1,
                    help="first rounds left out of the figures (default 1)")
    ap.add_argument("--app", default=os.path.join(HERE, "pytorch_app.py"))
    ap.add_argument("--out", default="runs/overhead_turns")
    ap.add_argument("--warmup-timeout", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("app_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    try:
        modes = [parse_mode(m) for m in a.mode]
    except ValueError as e:
        ap.error(str(e))
    names = [m for m, _ in modes]
    if len(set(names)) != len(names):
        ap.error("--mode: a mode name given twice")
    ref = a.ref or names[0]
    if ref not in names:
        ap.error("--ref %s: not a --mode" % ref)
    if a.procs < 1 or a.rounds < 1 or a.turn_s <= 0 or not 0 <= a.discard < a.rounds:
        ap.error("--procs, --rounds and --turn-s must be positive, "
                 "--discard below --rounds")
    args = a.app_args[1:] if a.app_args[:1] == ["--"] else a.app_args
    os.makedirs(a.out, exist_ok=True)
    cmd = [sys.executable, a.app] + args + ["--arrival", "closed",
                                            "--duration", "%g" % a.turn_s]
    procs = [Proc(m, k, env, cmd, a.out) for m, env in modes
             for k in range(a.procs)]
    rows = []
    failed = None
    try:
        t = time.monotonic()
        for p in procs:
            left = a.warmup_timeout - (time.monotonic() - t)
            if p.line(max(left, 1)) != "ready":
                raise RuntimeError("%s: no ready line" % p.name)
        print("overhead_turns: %d processes warm in %.1f s; %d rounds of "
              "%g s a process" % (len(procs), time.monotonic() - t,
                                  a.rounds, a.turn_s), file=sys.stderr)
        for i in range(1, a.rounds + 1):
            k = (i - 1) % len(procs)
            for slot, p in enumerate(procs[k:] + procs[:k]):
                p.send("%d" % i)
                w = p.line(a.turn_s * 5 + 60).split()
                if len(w) != 4 or w[:2] != ["done", "%d" % i]:
                    raise RuntimeError("%s: %r" % (p.name, " ".join(w)))
                n, el = int(w[2]), int(w[3])
                rows.append({"round": i, "slot": slot, "mode": p.mode,
                             "proc": p.name, "requests": n, "elapsed_ns": el,
                             "rate": n / (el / 1e9) if el > 0 else 0.0})
            print("  round %d/%d: %s" % (i, a.rounds, " ".join(
                "%s %.1f" % (r["proc"], r["rate"]) for r in rows[-len(procs):])),
                file=sys.stderr)
    except RuntimeError as e:
        failed = str(e)
    rcs = {p.name: p.stop(120) for p in procs}
    if not failed and any(rcs.values()):
        failed = "exit status %s" % rcs
    with open(os.path.join(a.out, "turns.csv.tmp"), "w") as f:
        f.write("round,slot,mode,process,requests,elapsed_ns,rate_rps\n")
        for r in rows:
            f.write("%d,%d,%s,%s,%d,%d,%.3f\n" % (r["round"], r["slot"], r["mode"],
                                                  r["proc"], r["requests"],
                                                  r["elapsed_ns"], r["rate"]))
    os.replace(os.path.join(a.out, "turns.csv.tmp"), os.path.join(a.out, "turns.csv"))
    if failed:
        print("overhead_turns: %s" % failed, file=sys.stderr)
        return 1
    sums = {}
    for p in procs:
        with open(os.path.join(a.out, p.name + ".csv.json")) as f:
            sums[p.name] = json.load(f)["tenants"][0]["checksum"]
    same = len(set(sums.values())) == 1
    s = summarize(rows, names, ref, a.discard, a.seed)
    for m in names:
        lib = library(a.out, [p.name for p in procs if p.mode == m])
        if lib:
            s[m]["library"] = lib
    print("%-12s %9s %7s %7s  %-17s %s" % ("mode", "req/s", "median", "mean",
                                         "95% interval", "per process"))
    for m in names:
        x = s[m]
        ci = x["ratio_ci95"]
        print("%-12s %9.2f %7.4f %7.4f  %-17s %s" % (
            m, x["rate_mean"], x["ratio_median"], x["ratio_mean"],
            "%.4f-%.4f" % tuple(ci) if ci else "-",
            " ".join("%.2f" % v for v in x["rate_by_process"].values())))
    for m in names:
        x = s[m].get("library")
        if x:
            print("%s: the library's own time %.2f us a command (%d commands), "
                  "%d calls held at the threshold (%.1f us each)" % (
                      m, x["own_ns"] / 1e3 / max(x["commands"], 1), x["commands"],
                      x["held"], x["held_ns"] / 1e3 / max(x["held"], 1)))
    print("ratios to %s over %d rounds (the first %d left out); outputs %s" % (
        ref, s[ref]["rounds"], a.discard,
        "bitwise equal" if same else "DIFFER: %s" % sums))
    summ = {"ref": ref, "turn_s": a.turn_s, "procs": a.procs, "rounds": a.rounds,
            "discard": a.discard, "app": cmd, "modes": s, "checksums": sums,
            "outputs_equal": same}
    with open(os.path.join(a.out, "summary.json.tmp"), "w") as f:
        json.dump(summ, f, indent=1)
    os.replace(os.path.join(a.out, "summary.json.tmp"),
               os.path.join(a.out, "summary.json"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
