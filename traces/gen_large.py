#!/usr/bin/env python3
"""Make a large synthetic Kineto trace by replicating a real one.

usage: gen_large.py IN.json OUT.json TARGET_MB

Every copy of IN's trace events is shifted in time by the span of IN and
gets its correlation / External id numbers offset, so the copies do not
pair with each other; ProfilerStep#N numbers continue. The output is
written event by event (never held in memory): for measuring the importer's
peak memory and speed on big inputs.
"""
import json
import os
import sys


def main():
    src, dst, target_mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    d = json.load(open(src))
    evs = [e for e in d["traceEvents"] if e.get("ph") == "X"
           and isinstance(e.get("ts"), (int, float))]
    t0 = min(e["ts"] for e in evs)
    t1 = max(e["ts"] + e.get("dur", 0) for e in evs)
    span = t1 - t0 + 100.0
    corr = max(e.get("args", {}).get("correlation", 0) for e in evs) + 1
    steps = sum(1 for e in evs if e["name"].startswith("ProfilerStep#"))
    target = int(target_mb * 1e6)
    with open(dst, "w") as f:
        f.write('{"schemaVersion": 1, "traceEvents": [\n')
        k, first = 0, True
        while f.tell() < target:
            for e in evs:
                e2 = dict(e)
                e2["ts"] = round(e["ts"] + k * span, 3)
                a = e.get("args")
                if a:
                    a2 = dict(a)
                    if "correlation" in a2:
                        a2["correlation"] = a2["correlation"] + k * corr
                    e2["args"] = a2
                if e["name"].startswith("ProfilerStep#"):
                    n = int(e["name"][13:])
                    e2["name"] = "ProfilerStep#%d" % (n + k * steps)
                f.write(("" if first else ",\n") + json.dumps(e2))
                first = False
            k += 1
        f.write('\n], "displayTimeUnit": "ms"}\n')
    print("%s: %d copies, %.1f MB" % (dst, k, os.path.getsize(dst) / 1e6))


if __name__ == "__main__":
    main()
