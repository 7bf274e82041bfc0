#!/usr/bin/env python3
"""One real PyTorch application of the plan's multi-model tests.

Runs a model as a serving loop (periodic or Poisson arrivals), a batch job
(closed loop) or a training job for a measured window and writes one CSV
row per request: latency is measured from the request's *scheduled*
arrival, so a request that starts late because the GPU was busy pays for
it (what `hipsched hw` reports too). Nothing is downloaded: models are
torchvision / torch.nn modules with seeded random weights.

Several applications start their windows together: each one warms up,
writes READY_FILE, waits for GO_FILE, reads the common start time
(CLOCK_MONOTONIC ns, system-wide) from it, and stops DURATION seconds later.
Without --go the window starts right after the warm-up.

At the end, the output of one request on a fixed input (for training: the
loss and parameters after the fixed number of warm-up steps) is hashed (SHA-256 of its
bytes) and written to the CSV's companion file OUT.json with the counts, so
a run under the scheduler can be checked bitwise against a native one.

usage: pytorch_app.py --model M [--batch B] [--arrival periodic|poisson|closed]
       [--rate R] [--duration S] [--out CSV] [--ready F --go F] [--stream-prio P]
       [--deadline-ms D] [--seed N] [--name NAME]
"""
import argparse
import ctypes
import faulthandler
import hashlib
import json
import os
import random
import signal
import sys
import threading
import time

import torch
import torch.nn as nn
import torchvision


class TinyGPT(nn.Module):
    """A small GPT-style decoder from torch.nn (causal self-attention)."""

    def __init__(self, vocab=8192, d=512, layers=6, heads=8, ctx=256):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers,
                                            enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab, bias=False)
        self.register_buffer("mask", torch.triu(
            torch.full((ctx, ctx), float("-inf")), 1))

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        return self.head(self.blocks(x, mask=self.mask[:t, :t], is_causal=True))


def make_model(name, batch):
    """(module, input on the host, task) for a model name."""
    tv = torchvision.models
    cnn = {"resnet18": tv.resnet18, "resnet50": tv.resnet50,
           "mobilenet_v3": tv.mobilenet_v3_large, "vgg16": tv.vgg16,
           "densenet121": tv.densenet121, "efficientnet_b0": tv.efficientnet_b0,
           "convnext_tiny": tv.convnext_tiny, "regnet_y_8gf": tv.regnet_y_8gf,
           "shufflenet": tv.shufflenet_v2_x1_0, "squeezenet": tv.squeezenet1_1,
           "alexnet": tv.alexnet, "inception_v3": tv.inception_v3,
           "vit_b_16": tv.vit_b_16, "swin_t": tv.swin_t,
           "mnasnet": tv.mnasnet1_0, "googlenet": tv.googlenet}
    if name in cnn:
        kw = {"weights": None}
        if name in ("inception_v3", "googlenet"):
            kw["aux_logits"] = False
            kw["init_weights"] = True
        size = 299 if name == "inception_v3" else 224
        return cnn[name](**kw), torch.randn(batch, 3, size, size)
    if name == "transformer":
        layer = nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True)
        m = nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
        return m, torch.randn(batch, 128, 512)
    if name == "gpt":
        return TinyGPT(), torch.randint(0, 8192, (batch, 128))
    if name == "mlp":
        m = nn.Sequential(nn.Linear(1024, 4096), nn.GELU(),
                          nn.Linear(4096, 4096), nn.GELU(),
                          nn.Linear(4096, 1024))
        return m, torch.randn(batch, 1024)
    raise SystemExit("pytorch_app.py: unknown model '%s'" % name)


def digest(tensors):
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().contiguous().cpu().reshape(-1)
        h.update(t.view(torch.uint8).numpy().tobytes()
                 if t.dtype != torch.bool else t.numpy().tobytes())
    return h.hexdigest()


class Step:
    """One request of the application: copy the input in, run, wait."""

    def __init__(self, model, x_host, train, amp, stream):
        self.m = model.cuda()
        self.x_host = x_host.pin_memory()
        self.train = train
        self.amp = amp
        self.stream = stream
        if train:
            self.m.train()
            self.opt = torch.optim.SGD(self.m.parameters(), lr=1e-3,
                                       momentum=0.9)
            out_features = 1000
            self.y_host = torch.randint(0, out_features,
                                        (x_host.shape[0],)).pin_memory()
            self.loss_fn = nn.CrossEntropyLoss()
        else:
            self.m.eval()
        self.out = None

    def __call__(self):
        with torch.cuda.stream(self.stream):
            x = self.x_host.to("cuda", non_blocking=True)
            ctx = (torch.autocast("cuda", dtype=torch.bfloat16) if self.amp
                   else torch.autocast("cuda", enabled=False))
            if self.train:
                y = self.y_host.to("cuda", non_blocking=True)
                self.opt.zero_grad(set_to_none=True)
                with ctx:
                    loss = self.loss_fn(self.m(x), y)
                loss.backward()
                self.opt.step()
                self.out = loss
            else:
                with torch.no_grad(), ctx:
                    self.out = self.m(x)
            self.stream.synchronize()

    def checksum(self):
        if self.train:
            return digest([self.out] + [p for p in self.m.parameters()][:4])
        return digest([self.out])


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
    raise SystemExit("pytorch_app.py: %s: no start time" % go)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    ap.add_argument("--with", dest="with_", default="",
                    help="a second model in the same process on its own "
                         "stream: 'MODEL:BATCH:ARRIVAL:RATE:PRIO:NAME'")
    a = ap.parse_args()
    # SIGUSR1 prints every thread's Python stack (the drivers send it to an
    # application that outlives its time limit, before killing it)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if a.arrival != "closed" and a.rate <= 0:
        raise SystemExit("pytorch_app.py: --rate is needed for %s" % a.arrival)
    torch.manual_seed(a.seed)
    torch.backends.cudnn.benchmark = False
    apps = [a]
    if a.with_:
        m, b, arr, rate, prio, name = a.with_.split(":")
        b2 = argparse.Namespace(**vars(a))
        b2.model, b2.batch, b2.arrival = m, int(b), arr
        b2.rate, b2.stream_prio, b2.name = float(rate), int(prio), name
        b2.train = False
        apps.append(b2)
    steps = []
    for x in apps:
        torch.manual_seed(x.seed)
        model, inp = make_model(x.model, x.batch)
        st = (torch.cuda.Stream(priority=x.stream_prio)
              if x.stream_prio is not None else torch.cuda.default_stream())
        steps.append(Step(model, inp, x.train, x.amp, st))
    sums = {}
    mark = request_marker(len(apps) == 1)
    for s, x in zip(steps, apps):
        for _ in range(a.warmup):
            mark()
            s()
        if x.train:   # a fixed number of steps: deterministic parameters
            sums[x.name or x.model] = s.checksum()
    torch.cuda.synchronize()
    t0 = wait_go(a.ready, a.go)
    rows = [[] for _ in apps]
    thr = [threading.Thread(target=run_loop, args=(s, x, t0, r, mark))
           for s, x, r in zip(steps, apps, rows)]
    for t in thr:
        t.start()
    for t in thr:
        t.join()
    # inference: one more request on the fixed input of each model
    for s, x in zip(steps, apps):
        if not x.train:
            s()
            sums[x.name or x.model] = s.checksum()
    torch.cuda.synchronize()
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
                            for x, r in zip(apps, rows)],
                "torch": torch.__version__, "cuda": torch.version.cuda}
        with open(a.out + ".json", "w") as f:
            json.dump(meta, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
