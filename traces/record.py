#!/usr/bin/env python3
"""Record real kernel traces with the PyTorch profiler (Kineto).

Each workload runs like a serving (or training) loop: the input is copied
host-to-device from pinned memory, the model runs, and the host waits with
torch.cuda.synchronize() at the end of every iteration.  After a warm-up the
profiler records ITERS iterations under a schedule, so every iteration is
wrapped in a ProfilerStep#N annotation; `hipsched trace import` splits the
trace into requests by those annotations.

Models are torchvision / torch.nn modules with random initialisation (no
weights are downloaded).  CPU activity is recorded because the importer needs
the runtime launch events (cudaLaunchKernel ...) for submit times; shapes and
stacks are not (they only make the JSON bigger).

With --times N, each workload's loop is also run N times WITHOUT the
profiler, timing every iteration with time.perf_counter_ns() (before it,
and after its synchronize returns), into DIR/NAME_times.csv, the
per-iteration form of `hipsched trace import --host-times` (see
traces/README.md): the profile gives the GPU side, the plain run the host
side.

usage: record.py --out DIR [--iters N] [--times N] [--only NAME,...]
Writes DIR/NAME.json.gz per workload (DIR/NAME_times.csv with --times)
and DIR/env.txt.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torchvision


def sync_loop_inference(model, x_host):
    def step():
        with torch.no_grad():
            x = x_host.to("cuda", non_blocking=True)
            model(x)
        torch.cuda.synchronize()
    return step


def make_resnet18_b1():
    m = torchvision.models.resnet18(weights=None).cuda().eval()
    x = torch.randn(1, 3, 224, 224).pin_memory()
    return sync_loop_inference(m, x)


def make_resnet50_b32():
    m = torchvision.models.resnet50(weights=None).cuda().eval()
    x = torch.randn(32, 3, 224, 224).pin_memory()
    return sync_loop_inference(m, x)


def make_transformer_enc():
    layer = nn.TransformerEncoderLayer(d_model=512, nhead=8,
                                       dim_feedforward=2048,
                                       batch_first=True)
    m = nn.TransformerEncoder(layer, num_layers=6,
                              enable_nested_tensor=False).cuda().eval()
    x = torch.randn(8, 128, 512).pin_memory()
    return sync_loop_inference(m, x)


def make_cnn_train():
    m = torchvision.models.resnet18(weights=None).cuda().train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x_host = torch.randn(16, 3, 224, 224).pin_memory()
    y_host = torch.randint(0, 1000, (16,)).pin_memory()

    def step():
        x = x_host.to("cuda", non_blocking=True)
        y = y_host.to("cuda", non_blocking=True)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(x), y)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
    return step


WORKLOADS = {
    "resnet18_b1": make_resnet18_b1,
    "resnet50_b32": make_resnet50_b32,
    "transformer_enc": make_transformer_enc,
    "cnn_train": make_cnn_train,
}

ACTS = [torch.profiler.ProfilerActivity.CPU,
        torch.profiler.ProfilerActivity.CUDA]


def gzip_file(src, dst):
    with open(src, "rb") as f, gzip.open(dst, "wb", compresslevel=9) as g:
        shutil.copyfileobj(f, g)
    os.remove(src)


def record_steps(name, step, iters, outdir, warmup):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    raw = os.path.join(outdir, name + ".json")
    sched = torch.profiler.schedule(wait=1, warmup=1, active=iters, repeat=1)
    with torch.profiler.profile(activities=ACTS, schedule=sched,
                                record_shapes=False, with_stack=False,
                                profile_memory=False,
                                on_trace_ready=lambda p:
                                p.export_chrome_trace(raw)) as prof:
        for _ in range(iters + 2):
            step()
            prof.step()
    gzip_file(raw, raw + ".gz")
    return raw + ".gz"


def record_times(name, step, iters, outdir, warmup):
    """The same loop without the profiler: one row per iteration,
    request,start_ns,end_ns (perf_counter_ns; the step ends with its
    synchronize)."""
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    rows = []
    for i in range(iters):
        t0 = time.perf_counter_ns()
        step()
        rows.append((i, t0, time.perf_counter_ns()))
    path = os.path.join(outdir, name + "_times.csv")
    with open(path, "w") as f:
        f.write("request,start_ns,end_ns\n")
        for r in rows:
            f.write("%d,%d,%d\n" % r)
    return path


def record_plain(name, step, iters, outdir, warmup):
    """No schedule, no ProfilerStep: requests must be split by the host
    synchronizations (a small fixture for that importer path)."""
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    raw = os.path.join(outdir, name + ".json")
    with torch.profiler.profile(activities=ACTS, record_shapes=False,
                                with_stack=False) as prof:
        for _ in range(iters):
            step()
    prof.export_chrome_trace(raw)
    gzip_file(raw, raw + ".gz")
    return raw + ".gz"


def write_env(path):
    with open(path, "w") as f:
        f.write("python %s\n" % sys.version.replace("\n", " "))
        f.write("torch %s cuda %s cudnn %s\n" % (
            torch.__version__, torch.version.cuda,
            torch.backends.cudnn.version()))
        f.write("torchvision %s\n" % torchvision.__version__)
        p = torch.cuda.get_device_properties(0)
        f.write("device %s sm_%d%d multiprocessors %d\n" % (
            p.name, p.major, p.minor, p.multi_processor_count))
        for cmd in (["nvidia-smi"],
                    ["nvidia-smi", "--query-gpu=name,driver_version,"
                     "clocks.max.sm,clocks.max.mem", "--format=csv"]):
            try:
                f.write(subprocess.run(cmd, capture_output=True, text=True,
                                       timeout=60).stdout)
            except Exception as e:  # nvidia-smi missing: say so
                f.write("%s: %s\n" % (cmd[0], e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--only", default="")
    ap.add_argument("--times", type=int, default=0,
                    help="also time N iterations without the profiler "
                         "into NAME_times.csv (trace import --host-times)")
    ap.add_argument("--plain-fixture", action="store_true",
                    help="also record resnet18_b1 for 3 iterations without "
                         "ProfilerStep (sync-split fixture)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    write_env(os.path.join(a.out, "env.txt"))
    names = [n for n in a.only.split(",") if n] or list(WORKLOADS)
    rc = 0
    for n in names:
        t0 = time.time()
        try:
            step = WORKLOADS[n]()
            path = record_steps(n, step, a.iters, a.out, a.warmup)
            print("%s: %s %d bytes in %.1f s" % (n, path,
                  os.path.getsize(path), time.time() - t0), flush=True)
            if a.times > 0:
                path = record_times(n, step, a.times, a.out, a.warmup)
                print("%s: %s (%d unprofiled iterations)" % (n, path, a.times),
                      flush=True)
        except Exception as e:
            print("%s: FAILED %r" % (n, e), flush=True)
            rc = 1
        torch.cuda.empty_cache()
    if a.plain_fixture:
        try:
            path = record_plain("resnet18_b1_plain", make_resnet18_b1(), 3,
                                a.out, a.warmup)
            print("plain: %s %d bytes" % (path, os.path.getsize(path)))
        except Exception as e:
            print("plain: FAILED %r" % (e,), flush=True)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
