#!/usr/bin/env python3
"""Write a canonical trace whose host gaps are capped: a launch-bound copy.

usage: densify.py IN.csv OUT.csv [GAP_NS]

The recorded traces in traces/data/ carry the profiler's host overhead
(~30-40 us between launches, traces/data/README.md "Caveats"), so a
closed-loop tenant replaying one keeps the GPU busy only 10-50 % of the
time. A production loop that launches without the profiler, or replays a
CUDA graph, runs ahead of the GPU. This copy keeps every row (kinds,
shapes, GPU durations, order) and moves only `submit_ns`: within a request
each command is submitted at most GAP_NS (default 5000, about the 4.53 us
launch call measured on the H100, sim/devices/h100.ini) after the previous
one, so the GPU, not the host, bounds a request. A row after a sync keeps
its (capped) gap from the sync's end, as the simulator measures it
(sim/MODEL.md, "Host gaps"). Each command keeps its GPU duration and
starts when it is submitted and its stream is free; the next request
starts a capped gap after the previous one's last end. The output is a
canonical trace (traces/README.md) that `hipsched trace info` describes.
"""
import csv
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    cap = int(sys.argv[3]) if len(sys.argv) == 4 else 5000
    with open(src, newline="") as f:
        rd = csv.DictReader(f)
        cols = rd.fieldnames
        rows = list(rd)
    for r in rows:
        for k in ("submit_ns", "start_ns", "end_ns"):
            r[k] = int(r[k])
    # new times: the host clock moves by capped gaps; each command starts
    # when submitted and its stream is free, and keeps its GPU duration
    prev, host, last_end, stream_end = None, 0, 0, {}
    for r in rows:
        dur = r["end_ns"] - r["start_ns"]
        if prev is None or prev["request"] != r["request"]:
            gap = 0 if prev is None else max(0, r["submit_ns"] - prev["end_ns"])
            host = last_end + min(gap, cap)       # the next request starts
        else:
            base = prev["end_ns"] if prev["kind"] == "sync" else prev["submit_ns"]
            new_base = prev["_end"] if prev["kind"] == "sync" else prev["_submit"]
            host = new_base + min(max(0, r["submit_ns"] - base), cap)
        start = max(host, stream_end.get(r["stream"], 0))
        r["_submit"], r["_start"], r["_end"] = host, start, start + dur
        stream_end[r["stream"]] = start + dur
        last_end = max(last_end, start + dur)
        prev = r
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            r["submit_ns"], r["start_ns"], r["end_ns"] = (
                r["_submit"], r["_start"], r["_end"])
            w.writerow([r[c] for c in cols])
    return 0


if __name__ == "__main__":
    sys.exit(main())
