#!/usr/bin/env python3
"""The plan's multi-model tests on real PyTorch processes.

Each tenant is a real application (hw/bench/pytorch_app.py) in a process of
its own. For a test it runs, for DURATION seconds per mode:
  standalone   each tenant alone, natively (the reference)
  solo         (--modes ...,solo) each online tenant alone under the first
               policy: the interception's and the server's own cost
  native       all tenants together, no scheduler (what a user has today)
  POLICY...    all tenants together under `hipsched serve --policy POLICY`,
               each started by `hipsched run` (libhipsched.so preloaded)
and prints the table and verdict `hipsched hw` prints (P50 / P90 / P99 /
max latency from the scheduled arrival, requests/s, ratios to alone), and
writes a run directory per policy that `hipsched compare` reads
(summary.json, requests.csv) plus the raw files of every mode.

GPU busy fraction: sampled by `nvidia-smi --query-gpu=utilization.gpu`
every 100 ms during each window (the driver's "time a kernel was running"
share); the server's figures (decisions, round trip, preemption latency)
come from `hipsched status --json` at the end of the window.

usage: pytorch_plan.py TEST [--duration S] [--policies hpf,edf] [--out DIR]
       [--hipsched PATH] [--shim PATH] [--modes standalone,native,policy]
       [--param K=V] [--run-arg ARG] [--variant LABEL=POLICY:TENANT:ARG,...]
       [--kill WHO@S] [--app PATH] [--rounds N]
TEST: dual | three | rt | same (two streams of one process, the policy
in the process: HIPSCHED_POLICY, libhipsched.so from --shim)

exit status: 0 every verdict passes, 1 one fails, 3 the baseline is
invalid (an online model missed its SLO alone, or a tenant ran over 1.10x
faster shared than alone: the machine was disturbed; the ratios are not
read), 2 usage; a run that cannot go on exits with its message.

--rounds N runs the whole sequence of windows (each tenant alone, native,
every policy) N times, in that order each time: every figure is then taken
over the N windows of its mode pooled (a P99 of N times the requests), and
a table gives each round's ratios, so a verdict can be read against the
spread of single windows (on the H200 one window's P99 / alone of the
same configuration ranged 0.75-1.34x: analysis/reports/h200.md 12.2).
"""
import argparse
import json
import math
import os
import random
import statistics
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "pytorch_app.py")

# name, priority, app arguments, hipsched run arguments, slo ms
TESTS = {
    "dual": {
        "tenants": [
            # hp at threshold 1024: its own launches are never held back
            # (H200, 2026-12-01/02: P99 0.52x / 0.96x alone against 0.85x
            # at the default 16; analysis/reports/h200.md)
            ("hp", 10, ["--model", "resnet18", "--batch", "1",
                        "--arrival", "periodic", "--rate", "10"],
             ["--slo", "50ms", "--threshold", "1024"], 50.0),
            ("lp", 1, ["--model", "resnet50", "--batch", "32",
                       "--arrival", "closed"], [], None),
        ],
        "verdict": [("hp", "p99_vs_standalone", "max", 1.10),
                    ("hp", "p99_ms", "max", 50.0),
                    ("lp", "throughput_vs_standalone", "min", 0.30)],
    },
    "three": {
        # both online models at one priority: with the encoder below the
        # vision model, hpf suspends it during every vision request (P99
        # 1.71x alone, FAIL); at one priority 0.74x (H200, 2026-12-02).
        # The training job at threshold 4: less to drain on a suspension.
        "tenants": [
            ("vision", 10, ["--model", "resnet50", "--batch", "1",
                            "--arrival", "periodic", "--rate", "20"],
             ["--threshold", "1024"], 50.0),
            ("encoder", 10, ["--model", "transformer", "--batch", "8",
                             "--arrival", "poisson", "--rate", "5"],
             ["--threshold", "1024"], 100.0),
            ("train", 1, ["--model", "resnet50", "--batch", "32", "--train",
                          "--arrival", "closed"], ["--threshold", "4"], None),
        ],
        "verdict": [("vision", "p99_vs_standalone", "max", 1.10),
                    ("encoder", "p99_vs_standalone", "max", 1.25),
                    ("train", "throughput_vs_standalone", "min", 0.30)],
    },
    # the plan's same-process case: both models in one process, each on a
    # stream of its own (CUDA priorities -5 and 0); a policy runs in the
    # process itself (HIPSCHED_POLICY), no server
    "same": {
        "process": "one",
        "tenants": [
            ("hp", 10, ["--model", "resnet18", "--batch", "1",
                        "--arrival", "periodic", "--rate", "10",
                        "--stream-prio", "-5"], [], 50.0),
            ("lp", 1, ["--model", "resnet50", "--batch", "32",
                       "--arrival", "closed", "--stream-prio", "0"], [], None),
        ],
        "verdict": [("hp", "p99_vs_standalone", "max", 1.10),
                    ("hp", "p99_ms", "max", 50.0),
                    ("lp", "throughput_vs_standalone", "min", 0.30)],
    },
    "rt": {
        "tenants": [
            # resnet18: mobilenet_v3 b1 from eager PyTorch takes 7.9 ms
            # (P50) alone on the H200, over the 6 ms deadline
            ("frames", 10, ["--model", "resnet18", "--batch", "1",
                            "--arrival", "periodic", "--rate", "60",
                            "--deadline-ms", "6"], ["--deadline", "6ms"], 6.0),
            ("batch", 1, ["--model", "resnet50", "--batch", "32",
                          "--arrival", "closed"], [], None),
        ],
        "verdict": [("frames", "slo_attainment", "min", 0.99),
                    ("frames", "p99_vs_standalone", "max", 1.10),
                    ("batch", "throughput_vs_standalone", "min", 0.30)],
    },
}


def quantile(sorted_v, p):
    """GSL's gsl_stats_quantile_from_sorted_data: linear interpolation."""
    if not sorted_v:
        return float("nan")
    d = (len(sorted_v) - 1) * p
    lo = int(math.floor(d))
    hi = min(lo + 1, len(sorted_v) - 1)
    return sorted_v[lo] + (d - lo) * (sorted_v[hi] - sorted_v[lo])


def read_csv(path):
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            t, i, arr, st, en, lat = line.strip().split(",")
            rows.setdefault(t, []).append((int(i), int(arr), int(st),
                                           int(en), int(lat)))
    return rows


def stats(windows, duration_s, slo_ms):
    """A tenant's figures over its rows of one or more windows (a list of
    each window's rows), pooled."""
    done, inwin = [], []
    for rr in windows:
        d = [r for r in rr if r[1] >= 0 and r[1] < duration_s * 1e9]
        done += d
        inwin += [r for r in d if r[3] <= duration_s * 1e9]
    lat = sorted(r[4] / 1e6 for r in done)
    duration_s *= len(windows)
    s = {"requests": len(done), "completed": len(done),
         "completed_in_window": len(inwin),
         "latency_ms": {"n": len(lat), "p50": quantile(lat, .5),
                        "p90": quantile(lat, .9), "p99": quantile(lat, .99),
                        "max": lat[-1] if lat else float("nan"),
                        "mean": sum(lat) / len(lat) if lat else float("nan")},
         "throughput_rps": len(inwin) / duration_s,
         "slo_attainment": (sum(1 for x in lat if x <= slo_ms) / len(lat)
                            if slo_ms and lat else None),
         "_lat": lat}   # not written out (public())
    return s


def public(s):
    """A tenant's figures as written to summary.json: without the raw
    latencies stats() keeps for p99_ci()."""
    return {k: v for k, v in s.items() if not k.startswith("_")}


def p99_ci(lat, alone, seed, draws=1000):
    """A 95 % percentile-bootstrap interval of P99(lat) / P99(alone), both
    sorted request latencies resampled with replacement, seeded: a window
    of 100-300 requests has its P99 set by its 1-3 slowest (H200: one
    configuration gave 0.75-1.34x alone in three calls, h200.md 12)."""
    if len(lat) < 2 or len(alone) < 2:
        return None
    rng = random.Random(seed)
    r = sorted(quantile(sorted(rng.choices(lat, k=len(lat))), .99) /
               quantile(sorted(rng.choices(alone, k=len(alone))), .99)
               for _ in range(draws))
    return [quantile(r, .025), quantile(r, .975)]


def mean_ci(xs, seed, draws=2000):
    """95 % percentile-bootstrap interval of the mean of xs (one figure a
    round: rounds resampled, not requests), seeded; None under 2."""
    if len(xs) < 2:
        return None
    rng = random.Random(seed)
    m = sorted(statistics.fmean(rng.choices(xs, k=len(xs))) for _ in range(draws))
    return [m[int(.025 * draws)], m[int(.975 * draws) - 1]]


def spans(ci, bound):
    """Whether a bar lies inside an interval of p99_ci() (or there is none):
    the windows so far do not decide it."""
    return ci is None or ci[0] <= bound <= ci[1]


class Gpu:
    """nvidia-smi sampling of the GPU's busy share and SM clock during a
    window (whether a light model alone ran at a lower clock than next to
    a busy one: on the H200 it did not, analysis/reports/h200.md 12.2)."""

    def __init__(self, path):
        self.path = path
        self.p = None
        if shutil.which("nvidia-smi"):
            self.f = open(path, "w")
            self.p = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=utilization.gpu,clocks.sm",
                 "--format=csv,noheader,nounits", "-lms", "100"],
                stdout=self.f, stderr=subprocess.DEVNULL)

    def stop(self):
        """(mean busy share, median SM clock in MHz, minimum SM clock),
        each None without samples."""
        if not self.p:
            return None, None, None
        self.p.terminate()
        self.p.wait()
        self.f.close()
        v, mhz = [], []
        with open(self.path) as f:
            for line in f:
                try:
                    u, c = line.split(",")
                    v.append(float(u))
                    mhz.append(float(c))
                except ValueError:
                    pass
        mhz.sort()
        return (sum(v) / len(v) / 100.0 if v else None,
                mhz[len(mhz) // 2] if mhz else None, mhz[0] if mhz else None)


def run_mode(a, test, mode, names, raw, policy=None, targs=None, venv=None,
             vparams=()):
    """Runs tenants `names` together; returns {tenant: rows}, extras.
    targs: {tenant: [extra hipsched run arguments]}, venv: {K: V} for the
    server and every tenant, vparams: policy parameters (a --variant's)."""
    d = os.path.join(raw, mode)
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "hipsched.sock")
    server = None
    extras = {"mode": mode}
    env0 = dict(os.environ)
    env0.update(venv or {})
    one = test.get("process") == "one" and len(names) > 1
    if policy and not one:
        cmd = [a.hipsched, "serve", "--policy", policy, "--socket", sock,
               "--events", os.path.join(d, "events.csv")]
        for kv in a.param + list(vparams):
            cmd += ["--param", kv]
        server = subprocess.Popen(cmd, stdout=open(os.path.join(d, "serve.log"), "w"),
                                  stderr=subprocess.STDOUT, env=env0)
        for _ in range(1000):       # 20 s: a loaded machine
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        else:
            raise SystemExit("pytorch_plan.py: hipsched serve did not start "
                             "(see %s/serve.log)" % d)
    go = os.path.join(d, "go")
    procs = []
    tenants = [t for t in test["tenants"] if t[0] in names]
    if one:
        # one process: the first tenant's arguments, the others by --with
        first = list(tenants[0])
        for name, prio, app_args, run_args, slo in tenants[1:]:
            kv = dict(zip(app_args[::2], app_args[1::2]))
            first[2] = first[2] + ["--with", ":".join((
                kv["--model"], kv["--batch"], kv["--arrival"],
                kv.get("--rate", "0"), kv["--stream-prio"], name))]
        tenants = [tuple(first)]
    for name, prio, app_args, run_args, slo in tenants:
        out = os.path.join(d, name + ".csv")
        ready = os.path.join(d, name + ".ready")
        argv = [sys.executable, a.app, "--name", name, "--duration",
                str(a.duration), "--out", out, "--ready", ready, "--go", go,
                "--seed", str(a.seed)] + app_args
        env = dict(env0)
        if policy and one:
            env["HIPSCHED_STATS"] = os.path.join(d, name + ".shim.json")
            env["HIPSCHED_POLICY"] = policy
            if a.param or vparams:
                env["HIPSCHED_PARAMS"] = ",".join(a.param + list(vparams))
            env["LD_PRELOAD"] = a.shim
        elif policy:
            env["HIPSCHED_STATS"] = os.path.join(d, name + ".shim.json")
            argv = [a.hipsched, "run", "--name", name, "--priority", str(prio),
                    "--socket", sock] + a.run_arg + run_args + \
                (targs or {}).get(name, []) + ["--"] + argv
        log = open(os.path.join(d, name + ".log"), "w")
        procs.append((name, subprocess.Popen(argv, stdout=log,
                                             stderr=subprocess.STDOUT, env=env),
                      ready))
    def give_up(why):
        # every application prints its threads' stacks (SIGUSR1), then ends
        for _, p, _ in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGUSR1)
        time.sleep(2)
        for _, p, _ in procs:
            if p.poll() is None:
                p.kill()
        if server:
            server.kill()
        raise SystemExit("pytorch_plan.py: %s: %s (logs in %s)" % (mode, why, d))

    t_lim = time.time() + a.warmup_limit
    while not all(os.path.exists(r) for _, _, r in procs):
        for n, p, _ in procs:
            if p.poll() is not None:
                give_up("%s exited %d before its window" % (n, p.returncode))
        if time.time() > t_lim:
            give_up("warm-up took over %d s" % a.warmup_limit)
        time.sleep(0.05)
    t0 = time.monotonic_ns() + 200_000_000
    with open(go + ".tmp", "w") as f:
        f.write("%d\n" % t0)
    os.replace(go + ".tmp", go)
    gpu = Gpu(os.path.join(d, "gpu_util.txt"))
    killed = None
    if policy and a.kill:
        # the fault test: SIGKILL the server or a tenant mid-window
        who, _, at = a.kill.partition("@")
        time.sleep(0.2 + float(at))
        victim = server if who == "server" else next(
            (p for n, p, _ in procs if n == who), None)
        if victim is None:
            give_up("--kill %s: no such process in this mode" % who)
        victim.kill()
        killed = who
        extras["killed"] = {"who": who, "at_s": float(at)}
        print("%s: killed %s (SIGKILL) %.1f s into the window" % (mode, who, float(at)))
        time.sleep(max(0.0, a.duration * 0.95 - float(at)))
    else:
        time.sleep(0.2 + a.duration * 0.95)
    if server and killed != "server":
        st = subprocess.run([a.hipsched, "status", "--socket", sock, "--json"],
                            capture_output=True, text=True, timeout=20)
        with open(os.path.join(d, "status.json"), "w") as f:
            f.write(st.stdout)
        try:
            extras["server"] = json.loads(st.stdout)
        except ValueError:
            extras["server"] = None
    rc = 0
    for n, p, _ in procs:
        try:
            p.wait(timeout=a.duration + 60)
        except subprocess.TimeoutExpired:
            give_up("%s did not end 60 s after its window" % n)
        if p.returncode and n != killed:
            print("%s/%s exited %d (see %s/%s.log)" % (mode, n, p.returncode, d, n))
            rc = 1
    extras["gpu_util"], extras["sm_mhz"], extras["sm_mhz_min"] = gpu.stop()
    if server:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        extras["server_exit"] = server.returncode
    if rc:
        raise SystemExit("pytorch_plan.py: %s failed" % mode)
    rows = {}
    sums = {}
    for n, _, _ in procs:
        if n == killed:
            continue
        rows.update(read_csv(os.path.join(d, n + ".csv")))
        with open(os.path.join(d, n + ".csv.json")) as f:
            for t in json.load(f)["tenants"]:
                sums[t["name"]] = t["checksum"]
        sj = os.path.join(d, n + ".shim.json")
        if os.path.exists(sj):
            with open(sj) as f:
                try:
                    extras.setdefault("shim", {})[n] = json.load(f)
                except ValueError:
                    pass
    extras["checksums"] = sums
    ev = os.path.join(d, "events.csv")
    if server and killed != "server" and os.path.exists(ev):
        extras["events"] = window_events(ev, [os.path.join(d, n + ".csv")
                                              for n, _, _ in procs if n != killed],
                                         a.param + list(vparams))
    return rows, extras


def library_time(stats):
    """The library's own host time in a tenant's process over its windows'
    HIPSCHED_STATS files (own_ns, commands summed over the queues), or
    None when they carry none."""
    c = own = 0
    for st in stats:
        for q in st.get("queues", []):
            if "own_ns" in q:
                c += q.get("commands", 0)
                own += q["own_ns"]
    if not c:
        return None
    return {"commands": c, "own_ms": own / 1e6, "us_per_command": own / c / 1e3}


def window_events(path, apps, params):
    """The server's view of a window (serve_events.py): per client its busy
    periods, idle gaps longer than the linger and suspensions; per
    application how many of its requests saw another process resumed
    while they ran."""
    import serve_events
    linger = 0.0
    for kv in params:
        if kv.startswith("linger="):
            linger = float(kv.split("=", 1)[1])
    per, late, dec = serve_events.analyse(serve_events.read_events(path),
                                          int(linger * 1e6))
    out = {"late_timer_resumes": late, "clients": {}, "requests": {}}
    for c, f in per.items():
        out["clients"][c] = {"busy": f["busy"], "gaps_over_linger": f["gaps_over_linger"],
                             "resumes": f["episodes"]["resumes"]}
    for app in apps:
        for tenant, i, lat, n in serve_events.by_request(serve_events.read_app(app), dec):
            r = out["requests"].setdefault(tenant, {"n": 0, "with_resume": 0})
            r["n"] += 1
            r["with_resume"] += n > 0
    return out


def fmt(v, w=9, p=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "%*s" % (w, "-")
    return "%*.*f" % (w, p, v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--policies", default="hpf")
    ap.add_argument("--modes", default="standalone,native,policy",
                    help="comma list of standalone (each tenant alone, natively), "
                    "native (all, unscheduled), policy (all, under each policy and "
                    "variant), solo (each online tenant alone under the first "
                    "policy: what the interception and the server cost it)")
    ap.add_argument("--param", action="append", default=[],
                    help="policy parameter K=V for hipsched serve")
    ap.add_argument("--run-arg", action="append", default=[],
                    help="extra argument for every hipsched run "
                         "(e.g. --run-arg=--threshold=8)")
    ap.add_argument("--variant", action="append", default=[],
                    help="LABEL=POLICY:TENANT:ARG[,TENANT:ARG...]: one more "
                         "policy run, labelled LABEL, with extra hipsched run "
                         "arguments for some tenants (e.g. "
                         "hpf_t64=hpf:lp:--threshold=64); env:K=V in place "
                         "of TENANT:ARG sets K for the server and every "
                         "tenant; param:K=V a policy parameter of that run "
                         "only")
    ap.add_argument("--kill", default="",
                    help="WHO@S: in each policy window, SIGKILL the server "
                         "(WHO=server) or a tenant S seconds in; the others "
                         "must finish with outputs equal to native's")
    ap.add_argument("--app", default=APP,
                    help="the application (default: pytorch_app.py beside "
                         "this script; tests/fixtures/plan/plan_app.py is a "
                         "stand-in without PyTorch)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every window N times, interleaved; figures "
                         "over the N windows of a mode pooled")
    ap.add_argument("--until-decided", action="store_true",
                    help="with --rounds N: stop after the first round at which "
                         "every P99/alone bar of the verdict lies outside its "
                         "95%% interval, N at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup-limit", type=int, default=150,
                    help="seconds an application may take to be ready")
    ap.add_argument("--out", default="")
    ap.add_argument("--hipsched", default=os.path.join(HERE, "..", "..", "hipsched"))
    ap.add_argument("--shim", default="",
                    help="libhipsched.so for the same-process test "
                         "(default: next to --hipsched, then build/*/)")
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error("--rounds %d: expected 1 or more" % a.rounds)
    if a.until_decided and a.rounds < 2:
        ap.error("--until-decided: give the most rounds with --rounds N (N >= 2)")
    if a.rounds > 1 and a.kill:
        ap.error("--kill runs one round (--rounds 1)")
    test = TESTS[a.test]
    if not a.shim:
        import glob
        c = [os.path.join(os.path.dirname(a.hipsched), "libhipsched.so")] + \
            sorted(glob.glob(os.path.join(HERE, "..", "..", "build", "*",
                                          "libhipsched.so")))
        a.shim = next((x for x in c if os.path.exists(x)), c[0])
    a.shim = os.path.abspath(a.shim)
    out = a.out or os.path.join("runs", "pytorch_" + a.test)
    raw = os.path.join(out, "raw")
    os.makedirs(raw, exist_ok=True)
    names = [t[0] for t in test["tenants"]]
    slo = {t[0]: t[4] for t in test["tenants"]}
    prio = {t[0]: t[1] for t in test["tenants"]}
    test_run_args = {t[0]: t[3] for t in test["tenants"]}
    modes = a.modes.split(",")
    runs = [(p, p, None, None, None) for p in a.policies.split(",") if p]
    for v in a.variant:
        label, _, rest = v.partition("=")
        pol, _, targ = rest.partition(":")
        targs, venv, vpar = {}, {}, []
        for item in filter(None, targ.split(",")):
            tn, _, arg = item.partition(":")
            if tn == "env" and "=" in arg:
                venv[arg.partition("=")[0]] = arg.partition("=")[2]
                continue
            if tn == "param" and "=" in arg:
                vpar.append(arg)
                continue
            if tn not in names or not arg:
                ap.error("--variant %s: %r is not TENANT:ARG with a tenant of %s"
                         % (v, item, ",".join(names)))
            targs.setdefault(tn, []).append(arg)
        if not label or not pol:
            ap.error("--variant %s: not LABEL=POLICY:TENANT:ARG" % v)
        if label in ("standalone", "solo", "native"):
            ap.error("--variant %s: %s is a mode's name" % (v, label))
        runs.append((label, pol, targs, venv, vpar))
    # rows[mode][tenant]: one list of rows per round; ext: the last
    # round's extras (exts: every round's); sfx: each round's raw folder
    # suffix
    rows, ext, exts = {}, {}, {}
    sfx = [""] if a.rounds == 1 else ["_r%d" % (k + 1) for k in range(a.rounds)]

    def window(key, base, suffix, who, **kw):
        """One window (raw folder base + suffix) of mode `key`."""
        r, e = run_mode(a, test, base + suffix, who, raw, **kw)
        for n in r:
            rows.setdefault(key, {}).setdefault(n, []).append(r[n])
        ext[base] = e
        exts.setdefault(base, []).append(e)
    def decided():
        """Whether every P99/alone bar of the verdict, each policy window's
        rounds so far pooled, lies outside its 95 % interval."""
        al = rows.get("standalone", {})
        for p in [r[0] for r in runs]:
            for n, key, _, bound in test["verdict"]:
                if key != "p99_vs_standalone" or n not in al or n not in rows.get(p, {}):
                    continue
                ci = p99_ci(stats(rows[p][n], a.duration, slo[n])["_lat"],
                            stats(al[n], a.duration, slo[n])["_lat"], a.seed)
                if spans(ci, bound):
                    return False
        return True
    for k, suffix in enumerate(sfx):
        if "standalone" in modes:
            for n in names:
                window("standalone", "standalone_" + n, suffix, [n])
        if "native" in modes:
            window("native", "native", suffix, names)
        if "solo" in modes and runs:
            p, pol, targs, venv, vpar = runs[0]
            for n in [n for n in names if slo[n] is not None]:
                window("solo", "solo_" + n, suffix, [n], policy=pol, targs=targs,
                       venv=venv, vparams=vpar or ())
        if "policy" in modes:
            for p, pol, targs, venv, vpar in runs:
                window(p, p, suffix, names, policy=pol, targs=targs,
                       venv=venv, vparams=vpar or ())
        if a.until_decided and k + 1 < a.rounds and decided():
            print("decided after round %d of at most %d" % (k + 1, a.rounds))
            a.rounds = k + 1
            break
    res = {m: {n: stats(rr, a.duration, slo[n]) for n, rr in byn.items()}
           for m, byn in rows.items()}
    # each round's own figures (a.rounds > 1: the per-round table)
    res_r = [{m: {n: stats([rr[k]], a.duration, slo[n]) for n, rr in byn.items()}
              for m, byn in rows.items()} for k in range(a.rounds)]
    if a.kill:
        # after the kill (0.5 s of grace): the survivors' rate
        t_k = (float(a.kill.partition("@")[2]) + 0.5) * 1e9
        for p in [x[0] for x in runs if x[0] in res]:
            for n in res[p]:
                after = [x for x in rows[p][n][0] if t_k <= x[3] <= a.duration * 1e9]
                res[p][n]["throughput_after_kill_rps"] = (
                    len(after) / (a.duration - t_k / 1e9)
                    if a.duration * 1e9 > t_k else None)
    alone = res.get("standalone", {})

    def ratios(mode, n, r=res, ci=False):
        s = r[mode][n]
        al = r.get("standalone", {})
        if n in al:
            s["p99_vs_standalone"] = s["latency_ms"]["p99"] / al[n]["latency_ms"]["p99"]
            if ci and slo[n]:
                s["p99_vs_standalone_ci95"] = p99_ci(s["_lat"], al[n]["_lat"], a.seed)
            s["throughput_vs_standalone"] = (s["throughput_rps"] /
                                             al[n]["throughput_rps"])
        s["p99_ms"] = s["latency_ms"]["p99"]
    for r in res_r:
        for m in r:
            if m != "standalone":
                for n in r[m]:
                    ratios(m, n, r)

    print("test %s: %s, %g s per mode%s, policies %s"
          % (a.test, "real PyTorch processes" if a.app == APP else
             "processes of " + os.path.basename(a.app), a.duration,
             ", %d rounds pooled" % a.rounds if a.rounds > 1 else "",
             ",".join(r[0] for r in runs)))
    print()
    print("tenant     prio mode           done    p50 ms    p90 ms    p99 ms"
          "    max ms      req/s  p99/alone  tput/alone    in SLO")
    order = ["standalone", "solo", "native"] + [p for p in res if p not in
                                                ("standalone", "solo", "native")]
    for n in names:
        for m in order:
            if m not in res or n not in res[m]:
                continue
            if m != "standalone":
                ratios(m, n, ci=True)
            s = res[m][n]
            L = s["latency_ms"]
            print("%-10s %4d %-12s %6d %s %s %s %s %s %s %s %s" % (
                n, prio[n], m, s["completed"], fmt(L["p50"]), fmt(L["p90"]),
                fmt(L["p99"]), fmt(L["max"]), fmt(s["throughput_rps"], 10),
                fmt(s.get("p99_vs_standalone"), 10, 3),
                fmt(s.get("throughput_vs_standalone"), 11, 3),
                ("%8.1f%%" % (100 * s["slo_attainment"])) if s["slo_attainment"]
                is not None else "%9s" % "-"))
    cis = ["%s %s %.3f-%.3f" % (n, m, c[0], c[1]) for n in names for m in order
           if n in res.get(m, {}) for c in [res[m][n].get("p99_vs_standalone_ci95")] if c]
    if cis:
        print("p99/alone, 95%% interval (requests resampled): %s" % ", ".join(cis))
    print()
    if a.rounds > 1:
        # each round against its own standalone windows
        print("per round: p99/alone (online tenants), tput/alone (the others)")
        print("round  " + " ".join("%-14s" % m for m in order[1:] if m in res))
        for k in range(a.rounds):
            cells = []
            for m in order[1:]:
                if m not in res_r[k]:
                    continue
                v = []
                for n in names:
                    if n not in res_r[k][m]:
                        continue
                    q = res_r[k][m][n].get("p99_vs_standalone" if slo[n]
                                           else "throughput_vs_standalone")
                    v.append("%.3f" % q if q is not None else "-")
                cells.append("%-14s" % "/".join(v))
            print("%5d  %s" % (k + 1, " ".join(cells)))
        print()
    util = ", ".join("%s %s" % (m, ("%.1f%%" % (100 * e["gpu_util"]))
                                if e.get("gpu_util") is not None else "-")
                     for m, e in ext.items())
    print("GPU busy (nvidia-smi samples): " + util)
    if any(e.get("sm_mhz") for e in ext.values()):
        print("SM clock, MHz (median, min): " + ", ".join(
            "%s %.0f, %.0f" % (m, e["sm_mhz"], e["sm_mhz_min"])
            for m, e in ext.items() if e.get("sm_mhz")))
    # ratios mean something only against a sound baseline: an online
    # model that misses its SLO alone, or a tenant that runs faster shared
    # than alone, says the machine was disturbed in a standalone window
    # (H200, 2026-12-02: ResNet-18 alone P50 373 ms, in SLO 48.5 %)
    invalid = []
    for n in alone:
        s = alone[n]
        if s["slo_attainment"] is not None and s["slo_attainment"] < 0.99:
            invalid.append("%s alone met its SLO in %.1f%% of requests" %
                           (n, 100 * s["slo_attainment"]))
        nat = res.get("native", {}).get(n, {}).get("throughput_vs_standalone")
        if slo[n] is None and nat is not None and nat > 1.10:
            invalid.append("%s ran %.2fx faster next to the others than alone"
                           % (n, nat))
    for why in invalid:
        print("baseline INVALID: " + why)
    overall = 0
    vtargs = {label: targs or {} for label, _, targs, _, _ in runs}

    def run_priority(label, n):
        """n's priority in window `label`: the test's, or the last
        --priority of the variant's arguments for n (hipsched run's rule)."""
        v = prio[n]
        args = test_run_args[n] + a.run_arg + vtargs.get(label, {}).get(n, [])
        for i, x in enumerate(args):
            if x.startswith("--priority="):
                v = int(x.split("=", 1)[1])
            elif x == "--priority" and i + 1 < len(args):
                v = int(args[i + 1])
        return v
    for p in [m for m in order if m in [r[0] for r in runs] and m in res]:
        srv = ext[p].get("server") or {}
        print("server (%s): %s" % (p, json.dumps({k: srv.get(k) for k in
              ("decisions", "suspends", "resumes", "rtt_p50_us", "rtt_p99_us",
               "back_p99_us", "lock_p99_us", "deferred", "refused") if k in srv})))
        evs = [e["events"] for e in exts[p] if e.get("events")]
        if evs:
            cl, rq = {}, {}
            for e in evs:
                for c, f in e["clients"].items():
                    g = cl.setdefault(c, {"busy": 0, "gaps_over_linger": 0, "resumes": 0})
                    for k in g:
                        g[k] += f[k]
                for t, r in e["requests"].items():
                    g = rq.setdefault(t, {"n": 0, "with_resume": 0})
                    for k in g:
                        g[k] += r[k]
            print("server events (%s): %s; requests with another process resumed "
                  "while they ran: %s; resumes by the timer after the gap had ended: %d" % (
                      p, ", ".join("%s %d busy periods, %d gaps over the linger, "
                                   "resumed %d times (all its queues at once)" % (c, f["busy"], f["gaps_over_linger"],
                                                         f["resumes"])
                                   for c, f in sorted(cl.items())),
                      ", ".join("%s %d of %d" % (t, r["with_resume"], r["n"])
                                for t, r in sorted(rq.items()) if prio.get(t) == max(
                                    prio[x] for x in rq)),
                      sum(e["late_timer_resumes"] for e in evs)))
        libs = {}   # the library's host time per process, for summary.json too
        for n in sorted(ext[p].get("shim", {})):
            sts = [e.get("shim", {}).get(n, {}) for e in exts[p]]
            pl = sorted(x / 1e3 for st in sts for x in st.get("preempt_ns", []))
            if pl:
                print("preemption latency (%s, %s; suspend -> last in-flight "
                      "command seen done): %d, p50 %.1f us, p99 %.1f us, max "
                      "%.1f us" % (p, n, sum(st.get("preempt_count", 0) for st in sts)
                                   or len(pl), quantile(pl, .5), quantile(pl, .99), pl[-1]))
            lib = libs[n] = library_time(sts)
            if lib:
                print("library host time (%s, %s): %.2f us a command, %d commands, "
                      "%.1f ms in all (a scenario's `intercept` for this tenant: "
                      "sim/MODEL.md)" % (p, n, lib["us_per_command"], lib["commands"],
                                         lib["own_ms"]))
        alive = [n for n in names if n in res[p]]
        # every round's outputs against the first native window's
        nat = exts.get("native")
        same = all(e["checksums"].get(n) == nat[0]["checksums"].get(n)
                   for e in exts[p] + nat for n in alive) if nat else None
        print("outputs bitwise equal to native (%s): %s" % (p, same))
        fails = 0
        print("verdict (%s):" % p)
        verdict = test["verdict"]
        if a.kill:
            # the fault test: every survivor finished its window (no hang,
            # exit 0: run_mode fails otherwise), with native's outputs, and
            # ran on after the kill
            verdict = [(n, "throughput_after_kill_rps", "min", 0.1) for n in alive]
            fails += same is False
            print("  %s  %-36s %s" % ("PASS" if same is not False else "FAIL",
                                      "survivors' outputs equal native's", same))
            for n in alive:
                if n in alone:
                    print("  (%s after the kill: %.2f req/s; alone %.2f)" % (
                        n, res[p][n]["throughput_after_kill_rps"] or 0,
                        alone[n]["throughput_rps"]))
        for n, key, kind, bound in verdict:
            v = res[p][n].get(key)
            ok = v is not None and (v <= bound if kind == "max" else v >= bound)
            fails += not ok
            ci = res[p][n].get(key + "_ci95")
            print("  %s  %-36s measured %-9s %s %g%s" % (
                "PASS" if ok else "FAIL", n + "." + key + "_" + kind,
                ("%.4g" % v) if v is not None else "-",
                "<=" if kind == "max" else ">=", bound,
                "" if not ci else "   95%% interval %.3f-%.3f%s" % (
                    ci[0], ci[1], ", spans the bar: more windows decide"
                    if spans(ci, bound) else "")))
        overall |= fails > 0
        summ = {"hipsched_version": "pytorch_plan", "scenario": "pytorch_" + a.test,
                "backend": "pytorch", "policy": p, "seed": a.seed,
                "duration_s": a.duration, "rounds": a.rounds,
                "gpu_util": ext[p].get("gpu_util"),
                "sm_mhz": ext[p].get("sm_mhz"),
                "server": ext[p].get("server"),
                "verdict": "INVALID" if invalid else "FAIL" if fails else "PASS",
                "baseline_invalid": invalid, "tenants": []}
        for n in alive:
            t = public(res[p][n])
            t.update({"name": n, "priority": run_priority(p, n), "slo_ms": slo[n]})
            if "native" in res:
                t["native"] = public(res["native"][n])
            if n in alone:
                t["standalone"] = public(alone[n])
            if libs.get(n):
                t["library"] = libs[n]
            if a.rounds > 1:
                t["per_round"] = [{k: res_r[r][p][n].get(k) for k in
                                   ("p99_ms", "p99_vs_standalone", "throughput_rps",
                                    "throughput_vs_standalone")}
                                  for r in range(a.rounds) if n in res_r[r].get(p, {})]
            summ["tenants"].append(t)
        rd = os.path.join(out, p)
        os.makedirs(rd, exist_ok=True)
        with open(os.path.join(rd, "summary.json.tmp"), "w") as f:
            json.dump(summ, f, indent=2)
        os.replace(os.path.join(rd, "summary.json.tmp"),
                   os.path.join(rd, "summary.json"))
        with open(os.path.join(rd, "requests.csv"), "w") as f:
            f.write("tenant,mode,request,arrival_ns,start_ns,end_ns,latency_ns,round\n")
            for k, suffix in enumerate(sfx):
                for m, dd in [("standalone_" + n, "standalone") for n in names] + \
                        [("native", "native"), (p, "policy")]:
                    path = os.path.join(raw, m + suffix)
                    if not os.path.isdir(path):
                        continue
                    for n in names:
                        c = os.path.join(path, n + ".csv")
                        if os.path.exists(c):
                            for t, rr in read_csv(c).items():
                                for i, arr, st, en, lat in rr:
                                    f.write("%s,%s,%d,%d,%d,%d,%d,%d\n" % (
                                        t, dd, i, arr, st, en, lat, k + 1))
    print("\noverall: %s    (run directories under %s)" %
          ("INVALID (baseline)" if invalid else "FAIL" if overall else "PASS", out))
    return 3 if invalid else overall


if __name__ == "__main__":
    sys.exit(main())
