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
import faulthandler
import hashlib
import os
import signal
import sys

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app_loop  # noqa: E402


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


def main():
    a = app_loop.parser(__doc__.split("\n")[0]).parse_args()
    # SIGUSR1 prints every thread's Python stack (the drivers send it to an
    # application that outlives its time limit, before killing it)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    apps = app_loop.apps_of(a)
    torch.manual_seed(a.seed)
    torch.backends.cudnn.benchmark = False
    steps = []
    for x in apps:
        torch.manual_seed(x.seed)
        model, inp = make_model(x.model, x.batch)
        st = (torch.cuda.Stream(priority=x.stream_prio)
              if x.stream_prio is not None else torch.cuda.default_stream())
        steps.append(Step(model, inp, x.train, x.amp, st))
    sums = {}
    mark = app_loop.request_marker(len(apps) == 1)

    def warmed(k):   # a fixed number of steps: deterministic parameters
        if apps[k].train:
            sums[apps[k].name or apps[k].model] = steps[k].checksum()
        torch.cuda.synchronize()
    t0, rows = app_loop.run_window(a, apps, steps, mark, a.warmup, warmed)
    # inference: one more request on the fixed input of each model
    for s, x in zip(steps, apps):
        if not x.train:
            s()
            sums[x.name or x.model] = s.checksum()
    torch.cuda.synchronize()
    app_loop.write_outputs(a, apps, rows, sums, t0,
                           {"torch": torch.__version__, "cuda": torch.version.cuda})
    return 0


if __name__ == "__main__":
    sys.exit(main())
