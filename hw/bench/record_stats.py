#!/usr/bin/env python3
"""What the recorder saw per request: `hipsched record` logs, untimed vs timed requests.

    python3 hw/bench/record_stats.py [--warmup N] LOG[.gz] ...

For a log split by hipsched_mark_request() (hw/shim/record.h has the
format): per request, the host time from the mark's return (after the
recorder's own work in it; the call's time in logs older than that) to
the first launch (lead), to the last sync's return (wall) and, for the
timed requests, the sum and the span of the commands' GPU intervals.
Medians over the requests after the warm-up, untimed and timed apart: the
difference between the two is what the timing events cost; a lead longer
on untimed requests in old logs is the recorder's own work in the mark.
"""
import argparse
import gzip
import statistics
import struct
import sys

HEADER = "<8sIIQQQII16s"        # struct shim_rec_file_header
REC = "<BBHIQQQqq"              # struct shim_rec, up to gpu_end_ns
KERNEL, COPY, SET, SYNC, MARK = 0, 1, 2, 16, 17
F_GPU, F_SAMPLED = 1, 4


def read(path):
    raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    h = struct.unpack_from(HEADER, raw, 0)
    if h[0] != b"HSRECLOG":
        raise SystemExit("%s: not a hipsched record log" % path)
    if h[3] == 2 ** 64 - 1:
        raise SystemExit("%s: incomplete log (the process did not exit)" % path)
    off, size = struct.calcsize(HEADER), h[2]
    return [struct.unpack_from(REC, raw, off + i * size) for i in range(h[3])]


def requests(recs):
    out, cur = [], None
    for r in recs:
        if r[0] == MARK:
            if cur is not None:
                out.append(cur)
            cur = (r, [])
        elif cur is not None:
            cur[1].append(r)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warmup", type=int, default=30, help="requests dropped (30)")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    med = lambda v: statistics.median(v) / 1e3 if v else float("nan")
    print("%-28s %5s %5s %9s %9s %9s %9s %9s %9s" % (
        "log", "untim", "timed", "lead_u", "lead_t", "wall_u", "wall_t", "gpu_sum", "gpu_span"))
    for path in a.logs:
        reqs = requests(read(path))
        if not reqs:
            print("%s: no hipsched_mark_request() marks" % path, file=sys.stderr)
            continue
        u = {"lead": [], "wall": []}
        t = {"lead": [], "wall": [], "sum": [], "span": []}
        for mark, rs in reqs[a.warmup:]:
            cmds = [r for r in rs if r[0] in (KERNEL, COPY, SET)]
            syncs = [r for r in rs if r[0] == SYNC]
            if not cmds or not syncs:
                continue
            d = t if cmds[0][1] & F_SAMPLED else u
            d["lead"].append(cmds[0][5] - mark[6])
            d["wall"].append(syncs[-1][6] - mark[6])
            if d is t and all(r[1] & F_GPU for r in cmds):
                t["sum"].append(sum(r[8] - r[7] for r in cmds))
                t["span"].append(max(r[8] for r in cmds) - min(r[7] for r in cmds))
        print("%-28s %5d %5d %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f" % (
            path.split("/")[-1][:28], len(u["wall"]), len(t["wall"]), med(u["lead"]),
            med(t["lead"]), med(u["wall"]), med(t["wall"]), med(t["sum"]), med(t["span"])))
    print("(us, medians; lead: mark's return -> first launch; wall: -> last sync return;"
          " gpu: timed requests' command intervals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
