#!/usr/bin/env python3
"""Compares shim_compat.py results: native vs pass-through vs a policy.

usage: shim_compat_diff.py NATIVE.json PASS.json POLICY.json [PROFILE.json
       POLICY.shim.json]
Prints per case whether the outputs are bitwise equal (same SHA-256) in
each mode, the cases that failed or hung, and the kernel count of the
policy run seen by the shim (HIPSCHED_STATS) against the profiler's count
of the same cases (the CUDA-graph case is one graph launch for the shim and
its nodes for the profiler, so it is left out of both sums when the shim
cannot tell them apart: see the note printed).
"""
import json
import sys


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("%s: unreadable (%s): that run failed or hung" % (p, e))
        return {"cases": {}}


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    nat, pas, pol = (load(p)["cases"] for p in sys.argv[1:4])
    prof = load(sys.argv[4])["cases"] if len(sys.argv) > 4 else {}
    bad = 0
    print("%-28s %-10s %-10s %9s %9s" % ("case", "pass", "policy",
                                          "profiler", "shim"))
    kp = ks = 0
    for name, r in nat.items():
        def cmp(o):
            x = o.get(name)
            if x is None:
                return "missing"
            if "error" in x or "error" in r:
                return "error"
            return "equal" if x["sha256"] == r["sha256"] else "DIFFERS"
        a, b = cmp(pas), cmp(pol)
        bad += (a != "equal") + (b != "equal")
        pk = prof.get(name, {}).get("kernels_profiler")
        sk = pol.get(name, {}).get("kernels_shim")
        if pk is not None and sk is not None and not name.startswith("cudagraph"):
            kp += pk
            ks += sk
        print("%-28s %-10s %-10s %9s %9s%s" % (name, a, b, pk, sk,
              "" if pk == sk else "   <- differs"))
    print("cases %d, not bitwise equal or failed: %d" % (len(nat), bad))
    print("kernels outside the CUDA-graph case: profiler %d, shim %d" % (kp, ks))
    if len(sys.argv) > 5:
        try:
            with open(sys.argv[5]) as f:
                st = json.load(f)
            k = sum(q["kinds"].get("kernel", 0) for q in st["queues"])
            g = sum(q["kinds"].get("graph", 0) for q in st["queues"])
            pk = sum(v.get("kernels_profiler") or 0 for n, v in prof.items()
                     if not n.startswith("cudagraph"))
            pg = prof.get("cudagraph_resnet18", {}).get("kernels_profiler")
            print("kernels: shim %d (+%d graph launches), profiler %d outside "
                  "the graph case (+%s in it); shim/profiler %.4f"
                  % (k, g, pk, pg, k / pk if pk else float("nan")))
        except (OSError, ValueError, KeyError) as e:
            print("shim stats: %s" % e)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
