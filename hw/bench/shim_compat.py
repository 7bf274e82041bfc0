#!/usr/bin/env python3
"""Compatibility of the interception layer with real PyTorch models.

Runs every case below a fixed number of iterations in one process and
prints one JSON object: per case the SHA-256 of its outputs (inference:
the output; training: loss and every parameter after the steps; AMP and
torch.compile and a captured CUDA graph as cases of their own), its wall
time, and, with --profile, the number of GPU kernels the PyTorch profiler
saw, and under libhipsched.so (scheduling on) the number of kernels the
library intercepted in the case (hipsched_shim_counts). Run it natively and under libhipsched.so and compare (shim_compat.sh
does): equal hashes mean bitwise equal outputs; the shim's kernel count
(HIPSCHED_STATS) is compared with the profiler's.

Determinism: cuDNN benchmarking off, deterministic algorithms on (warn
only), CUBLAS_WORKSPACE_CONFIG set by the caller.

usage: shim_compat.py [--only a,b] [--iters N] [--profile] [--out FILE]
"""
import argparse
import json
import sys
import time

import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pytorch_app import digest, make_model  # noqa: E402

INFER = ["resnet18", "resnet50", "mobilenet_v3", "vgg16", "densenet121",
         "efficientnet_b0", "convnext_tiny", "regnet_y_8gf", "shufflenet",
         "squeezenet", "alexnet", "inception_v3", "googlenet", "mnasnet",
         "vit_b_16", "swin_t", "transformer", "gpt"]
TRAIN = ["resnet18", "vit_b_16", "transformer", "gpt"]
AMP = ["resnet50", "vit_b_16", "gpt"]


def case_infer(name, iters, amp=None):
    torch.manual_seed(0)
    m, x = make_model(name, 4 if name != "gpt" else 2)
    m = m.cuda().eval()
    x = x.cuda()
    outs = []
    with torch.no_grad():
        for _ in range(iters):
            if amp:
                with torch.autocast("cuda", dtype=amp):
                    y = m(x)
            else:
                y = m(x)
            outs.append(y.float())
    torch.cuda.synchronize()
    return outs


def case_train(name, iters, amp=None):
    torch.manual_seed(0)
    m, x = make_model(name, 4 if name != "gpt" else 2)
    m = m.cuda().train()
    x = x.cuda()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    losses = []
    for _ in range(iters):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=amp or torch.float32, enabled=bool(amp)):
            y = m(x)
            loss = y.float().pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    torch.cuda.synchronize()
    return losses + [p for p in m.parameters()]


def case_compile(iters):
    torch.manual_seed(0)
    m, x = make_model("mlp", 64)
    m = m.cuda().eval()
    c = torch.compile(m)
    x = x.cuda()
    with torch.no_grad():
        outs = [c(x) for _ in range(iters)]
    torch.cuda.synchronize()
    return outs


def case_graph(iters):
    torch.manual_seed(0)
    m, x = make_model("resnet18", 8)
    m = m.cuda().eval()
    static_x = x.cuda()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s), torch.no_grad():
        for _ in range(3):
            m(static_x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g), torch.no_grad():
        static_y = m(static_x)
    outs = []
    for i in range(iters):
        static_x.copy_(x.cuda() * (1 + i))
        g.replay()
        outs.append(static_y.clone())
    torch.cuda.synchronize()
    return outs


def shim_counter():
    """The library's per-kind command counts, when running under it."""
    import ctypes
    try:
        f = ctypes.CDLL(None).hipsched_shim_counts
    except (AttributeError, OSError):
        return None
    f.restype = ctypes.c_int
    buf = (ctypes.c_ulonglong * 6)()

    def get():
        return list(buf) if f(buf, 6) else None
    return get


def cases(only):
    c = [("infer_" + n, lambda it, n=n: case_infer(n, it)) for n in INFER]
    c += [("train_" + n, lambda it, n=n: case_train(n, it)) for n in TRAIN]
    c += [("amp_bf16_" + n, lambda it, n=n: case_infer(n, it, torch.bfloat16))
          for n in AMP]
    c += [("amp_fp16_train_resnet18",
           lambda it: case_train("resnet18", it, torch.float16))]
    c += [("compile_mlp", case_compile), ("cudagraph_resnet18", case_graph)]
    return [x for x in c if not only or x[0] in only]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--profile", action="store_true",
                    help="count GPU kernels with the PyTorch profiler")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    only = set(x for x in a.only.split(",") if x)
    res = {}
    counts = shim_counter()
    for name, fn in cases(only):
        t = time.time()
        c0 = counts() if counts else None
        try:
            if a.profile:
                acts = [torch.profiler.ProfilerActivity.CUDA]
                with torch.profiler.profile(activities=acts) as prof:
                    out = fn(a.iters)
                kern = sum(1 for e in prof.events()
                           if e.device_type == torch.autograd.DeviceType.CUDA
                           and not e.name.startswith(("Memcpy", "Memset")))
            else:
                out = fn(a.iters)
                kern = None
            c1 = counts() if counts else None
            res[name] = {"sha256": digest(out), "s": round(time.time() - t, 3),
                         "kernels_profiler": kern}
            if c0 and c1:
                res[name]["kernels_shim"] = c1[0] - c0[0]
                res[name]["graphs_shim"] = c1[5] - c0[5]
        except Exception as e:  # a failing case is reported, the others run
            res[name] = {"error": repr(e)[:300]}
        print(name, res[name], file=sys.stderr, flush=True)
        torch.cuda.empty_cache()
    js = json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda,
                     "cases": res}, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(js)
    else:
        print(js)
    return 0


if __name__ == "__main__":
    sys.exit(main())
