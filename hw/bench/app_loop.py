#!/usr/bin/env python3
"""The harness of the plan's applications, without PyTorch: arguments,
the common start (READY_FILE / GO_FILE), the request loop (periodic,
Poisson or closed arrivals, latency from the scheduled arrival), request
marks for `hipsched record`, and the outputs (CSV + OUT.json with the
checksums). hw/bench/pytorch_app.py runs real models through it;
tests/fixtures/plan_app.py runs sleeping stand-ins through it (the CPU
test of hw/bench/pytorch_plan.py).
"""
import argparse
import ctypes
import json
import os
import queue
import random
import sys
import threading
import time


def parser(description):
    """The arguments every application of the plan takes."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", required=True)
    ap.add_argument("--name", default="")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--amp", action="store_true", help="bf16 autocast")
    ap.add_argument("--arrival", default="closed",
                    choices=("periodic", "poisson", "closed"))
    ap.add_argument("--rate", type=float, default=0.0, help="requests/s")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds")
    ap.add_argument("--warmup", type=int, default=30, help="requests")
    ap.add_argument("--deadline-ms", type=float, default=0.0)
    ap.add_argument("--stream-prio", type=int, default=None,
                    help="run on a new stream of this CUDA priority "
                         "(default: the legacy default stream)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="")
    ap.add_argument("--ready", default="")
    ap.add_argument("--go", default="")
    ap.add_argument("--turns", default="", metavar="GO_FD,DONE_FD",
                    help="after the warm-up, run a window of --duration "
                         "each time GO_FD says so (overhead_turns.py)")
    ap.add_argument("--with", dest="with_", default="",
                    help="a second model in the same process on its own "
                         "stream: 'MODEL:BATCH:ARRIVAL:RATE:PRIO:NAME'")
    return ap


def apps_of(a):
    """The applications of one process: a, and --with's second one."""
    if a.arrival != "closed" and a.rate <= 0:
        raise SystemExit("%s: --rate is needed for %s" % (
            os.path.basename(sys.argv[0]), a.arrival))
    apps = [a]
    if a.turns and a.with_:
        raise SystemExit("%s: --turns takes one application (no --with)" %
                         os.path.basename(sys.argv[0]))
    if a.with_:
        m, b, arr, rate, prio, name = a.with_.split(":")
        b2 = argparse.Namespace(**vars(a))
        b2.model, b2.batch, b2.arrival = m, int(b), arr
        b2.rate, b2.stream_prio, b2.name = float(rate), int(prio), name
        b2.train = False
        apps.append(b2)
    return apps


def wait_go(ready, go):
    if not go:
        return time.monotonic_ns()
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(ready + ".tmp", ready)
    while not os.path.exists(go):
        time.sleep(0.005)
    for _ in range(200):
        try:
            with open(go) as f:
                return int(f.read().split()[0])
        except (ValueError, IndexError):
            time.sleep(0.005)
    raise SystemExit("%s: no start time" % go)


def sleep_until(t_ns):
    while True:
        d = t_ns - time.monotonic_ns()
        if d <= 0:
            return
        if d > 1_500_000:
            time.sleep((d - 1_000_000) / 1e9)
        # the last millisecond is spun: time.sleep wakes late by 50-100 us


def request_marker(enabled):
    """hipsched_mark_request() of libhipsched.so when it is preloaded:
    `hipsched record` then cuts requests exactly there (before each warm-up
    and measured request, once after the last) instead of at every host
    sync (model set-up makes hundreds). A no-op without the library, or
    with several applications in one process (their threads would
    interleave marks)."""
    try:
        f = ctypes.CDLL(None).hipsched_mark_request if enabled else None
    except (OSError, AttributeError):
        f = None
    if f is None:
        return lambda: None
    f.restype = None
    f.argtypes = []
    return f


def run_loop(step, a, t0, rows, mark):
    end = t0 + int(a.duration * 1e9)
    rng = random.Random(a.seed)
    period = int(1e9 / a.rate) if a.rate > 0 else 0
    arrival = t0
    if a.arrival == "poisson":
        arrival = t0 + int(rng.expovariate(a.rate) * 1e9)
    i = 0
    while arrival < end:
        if a.arrival != "closed":
            sleep_until(arrival)
        mark()
        start = time.monotonic_ns()
        if a.arrival == "closed":
            arrival = start
        step()
        done = time.monotonic_ns()
        rows.append((i, arrival - t0, start - t0, done - t0))
        i += 1
        if a.arrival == "periodic":
            arrival = t0 + i * period
        elif a.arrival == "poisson":
            arrival += int(rng.expovariate(a.rate) * 1e9)
        else:
            arrival = done
    mark()


def run_window(a, apps, steps, mark, warmup, warmed=None):
    """Runs every application's loop in a thread of its own, each thread
    first running its application's `warmup` requests (marked), then
    warmed(k) (e.g. a training job's checksum), then waiting for the common
    start; (t0, rows per application). The warm-up runs on the window's
    own thread because PyTorch keeps cuBLAS and cuDNN handles per thread:
    warmed on the main thread, every window's first request paid their
    creation (33-49 ms on the H200 against a 4 ms P50; as one request of a
    100-request window it was that window's P99)."""
    rows = [[] for _ in apps]
    ready = threading.Barrier(len(apps) + 1)
    go = threading.Event()
    start = []
    failed = []
    turn_q = queue.Queue()

    def body(k):
        try:
            for _ in range(warmup):
                mark()
                steps[k]()
            if warmed:
                warmed(k)
        except BaseException as e:
            failed.append(e)
            ready.abort()
            raise
        ready.wait()
        go.wait()
        if a.turns:
            for t0 in iter(turn_q.get, None):
                try:
                    run_turn(steps[k], apps[k], t0, start[0], rows[k], mark)
                except BaseException as e:
                    failed.append(e)
                    return
                finally:
                    turn_q.task_done()
            return
        run_loop(steps[k], apps[k], start[0], rows[k], mark)

    thr = [threading.Thread(target=body, args=(k,)) for k in range(len(apps))]
    for t in thr:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        for t in thr:
            t.join()
        raise SystemExit("warm-up failed: %r" % failed[0])
    if a.turns:
        start.append(time.monotonic_ns())
        go.set()
        try:
            serve_turns(a, turn_q, rows[0], start[0], failed)
        finally:
            turn_q.put(None)
            for t in thr:
                t.join()
        return start[0], rows
    start.append(wait_go(a.ready, a.go))
    go.set()
    for t in thr:
        t.join()
    return start[0], rows


def run_turn(step, a, t0, base, rows, mark):
    """One window of a turn: run_loop from t0, its rows numbered on after
    the earlier turns' and timed from base (the first turn's start)."""
    new = []
    run_loop(step, a, t0, new, mark)
    i0 = len(rows)
    rows.extend((i0 + i, arr + t0 - base, st + t0 - base, en + t0 - base)
                for i, arr, st, en in new)


def serve_turns(a, turn_q, rows, base, failed):
    """--turns GO_FD,DONE_FD: one application of hw/bench/overhead_turns.py,
    which interleaves several processes' windows on one GPU (file
    descriptors it passes down). Writes "ready" to DONE_FD; then for each
    line "K" read from GO_FD runs a window of --duration and answers
    "done K REQUESTS ELAPSED_NS" (elapsed: from the window's start to its
    last request's end); "stop" or the end of GO_FD ends the turns."""
    try:
        gfd, dfd = (int(x) for x in a.turns.split(","))
    except ValueError:
        raise SystemExit("--turns %r: want GO_FD,DONE_FD" % a.turns)
    done = os.fdopen(dfd, "w", buffering=1)
    done.write("ready\n")
    with os.fdopen(gfd) as go:
        for line in go:
            w = line.split()
            if w == ["stop"]:
                break
            if len(w) != 1 or not w[0].isdigit():
                raise SystemExit("--turns: bad line %r" % line)
            n0 = len(rows)
            t0 = time.monotonic_ns()
            turn_q.put(t0)
            turn_q.join()
            if failed:
                raise SystemExit("turn %s failed: %r" % (w[0], failed[0]))
            el = rows[-1][3] + base - t0 if len(rows) > n0 else 0
            done.write("done %s %d %d\n" % (w[0], len(rows) - n0, el))
    done.close()


def write_outputs(a, apps, rows, sums, t0, meta_extra):
    """The CSV (one row per request) and, with --out, OUT.json."""
    out = a.out or ("/dev/stdout")
    with open(out, "w") as f:
        f.write("tenant,request,arrival_ns,start_ns,end_ns,latency_ns\n")
        for x, r in zip(apps, rows):
            for i, arr, st, en in r:
                f.write("%s,%d,%d,%d,%d,%d\n" % (x.name or x.model, i, arr,
                                                 st, en, en - arr))
    if a.out:
        meta = {"pid": os.getpid(), "t0_ns": t0, "duration_s": a.duration,
                "tenants": [{"name": x.name or x.model, "model": x.model,
                             "batch": x.batch, "arrival": x.arrival,
                             "rate": x.rate, "requests": len(r),
                             "checksum": sums[x.name or x.model]}
                            for x, r in zip(apps, rows)]}
        meta.update(meta_extra)
        with open(a.out + ".json.tmp", "w") as f:
            json.dump(meta, f, indent=1)
        os.replace(a.out + ".json.tmp", a.out + ".json")
