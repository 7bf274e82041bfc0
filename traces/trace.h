/*
 * Canonical kernel traces: reading, writing, loading, importing, exporting.
 *
 * Canonical CSV (header row, one row per command, times in integer ns):
 *   request,seq,kind,name,stream,submit_ns,start_ns,end_ns,
 *   grid_x,grid_y,grid_z,block_x,block_y,block_z,shmem,regs,bytes
 * submit_ns is the host time of the launch call; start_ns/end_ns the GPU
 * execution; `request` groups the commands of one inference / iteration.
 * kind is one of kernel, memcpy, memset, sync, marker. sync rows are host
 * waits inside a request (submit_ns = start_ns = the call, end_ns = its
 * return, stream = that of the command launched before it); sync and
 * marker rows occupy no GPU time. Importers write rows sorted by
 * (request, seq), requests numbered from 0, times rebased to start at 0.
 *
 * Every error is reported as "FILE:LINE: what is wrong" in a struct
 * trace_err; nothing is printed here (the CLI prints). Functions returning
 * int give 0 or a negative code: TRACE_EBAD / TRACE_EIO below (traces/'
 * block of the one error numbering, core/sched.h), HS_ENOMEM.
 *
 * Limits, checked by every reader and importer: each time and duration lies
 * in [0, TRACE_TIME_MAX_NS] (so the sum or difference of two never
 * overflows an int64_t), a block has at most TRACE_BLOCK_MAX threads, and a
 * trace holds at most TRACE_MAX_RECS commands (about 100 bytes of memory
 * each while loading). A value beyond them is an error with its line, not
 * a wrapped number.
 */
#ifndef HIPSCHED_TRACE_H
#define HIPSCHED_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sched.h"

enum trace_errcode {
	TRACE_EBAD = HS_ERANGE_TRACE,      /* malformed or unreadable input */
	TRACE_EIO = HS_ERANGE_TRACE - 1,   /* an output could not be written */
};

#define TRACE_TIME_MAX_NS (INT64_C(1) << 62)   /* ns, about 146 years */
#define TRACE_BLOCK_MAX 65536                  /* threads per block (GPUs: 1024) */
#define TRACE_MAX_RECS ((size_t)1 << 24)       /* commands per trace */

enum trace_kind {
	TRACE_KERNEL, TRACE_MEMCPY, TRACE_MEMSET, TRACE_SYNC, TRACE_MARKER,
	TRACE_KIND_COUNT_
};
/* 1 for the host-side kinds (sync, marker): a host call, no GPU interval. */
static inline int trace_kind_host(enum trace_kind k)
{
	return k == TRACE_SYNC || k == TRACE_MARKER;
}
const char *trace_kind_name(enum trace_kind k);
/* Returns the kind for its canonical name, or -1. */
int trace_kind_parse(const char *s);

struct trace_rec {
	int64_t request;
	int64_t seq;
	enum trace_kind kind;
	const char *name;          /* owned by whoever produced the record; see
	                            * each function */
	int64_t stream;
	int64_t submit_ns, start_ns, end_ns;
	uint32_t grid[3], block[3];
	int64_t shmem;             /* bytes of shared (LDS) memory */
	int64_t regs;              /* registers per thread */
	int64_t bytes;             /* memcpy / memset size */
};

struct trace_err {
	char msg[512];             /* "FILE:LINE: what is wrong" */
};

/* ---- output files written whole or not at all ---------------------------
 * The project's one temp-file-and-rename helper (canonical traces, Chrome
 * timelines, device profiles): the file is written as PATH.tmp.PID and
 * renamed into place only on commit, so a reader never sees half a file
 * and an input is never half overwritten; without commit, or after a
 * failed write, the temp file is removed. A PATH ending in ".gz" is
 * written gzip-compressed (traces/gzio.c). */
struct trace_out {
	FILE *f;                   /* write here between open and close */
	char *path, *tmp;
	int failed;                /* errno of the first failed write, or 0 */
};
/* 0, or TRACE_EIO / HS_ENOMEM with err filled (nothing left behind). */
int trace_out_open(struct trace_out *o, const char *path, struct trace_err *err);
/* Closes; commit=1 renames into place, else (or on a write error seen by
 * the stream) the temp file is removed. 0, or TRACE_EIO with err filled.
 * Frees o's strings. */
int trace_out_close(struct trace_out *o, int commit, struct trace_err *err);

/* ---- streaming reader (constant memory in the trace length) -------------- */
struct trace_reader;
/* Opens a canonical CSV. NULL on error (err filled). */
struct trace_reader *trace_reader_open(const char *path, struct trace_err *err);
/* Next record: 1 = got one, 0 = end, < 0 = error (err filled). rec->name
 * stays valid until the next call. */
int trace_reader_next(struct trace_reader *r, struct trace_rec *rec,
		      struct trace_err *err);
/* Line number of the last record returned (1 = header). */
long trace_reader_line(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

/* ---- writer: temp file renamed on commit, nothing half-written ---------- */
struct trace_writer;
struct trace_writer *trace_writer_open(const char *path, struct trace_err *err);
int trace_writer_write(struct trace_writer *w, const struct trace_rec *rec);
/* commit=1: flush and rename into place; commit=0: remove the temp file.
 * Returns 0 or TRACE_EIO (err filled). Frees w either way. */
int trace_writer_close(struct trace_writer *w, int commit, struct trace_err *err);

/* ---- whole trace in memory, compact, grouped by request ----------------- */
struct trace_request {
	int64_t id;
	size_t first, count;       /* range in trace.recs */
};
struct trace {
	char *path;
	struct trace_rec *recs;    /* names interned in the trace */
	size_t nrecs;
	struct trace_request *reqs;
	size_t nreqs;
};
/* Loads a canonical trace (validated). Caller frees with trace_free(). */
struct trace *trace_load(const char *path, struct trace_err *err);
void trace_free(struct trace *t);
/* Whether a run of at most max_ns can replay t: every command's duration
 * and the host gap before it at most max_ns (a longer one could never
 * finish, and the simulator scales durations by widths). 0, or TRACE_EBAD
 * with "FILE: request R seq S: ..." in err. O(n). */
int trace_check_replay(const struct trace *t, int64_t max_ns, struct trace_err *err);

/* ---- Chrome trace event JSON (opens in Perfetto) ------------------------
 * Used by `trace export` and by the simulator's / hw backend's --timeline.
 * pid = a process track (tenant), tid = a thread track (stream / host).
 * Written to a temp file, renamed on commit. */
struct chrome_writer;
struct chrome_writer *chrome_writer_open(const char *path, struct trace_err *err);
void chrome_name_process(struct chrome_writer *w, int pid, const char *name);
void chrome_name_thread(struct chrome_writer *w, int pid, int tid, const char *name);
/* A complete event ("ph":"X"); times in ns (written as us with 3 decimals). */
void chrome_span(struct chrome_writer *w, int pid, int tid, const char *name,
		 const char *cat, int64_t start_ns, int64_t dur_ns);
/* An instant event ("ph":"i", thread scope) at ts_ns. */
void chrome_instant(struct chrome_writer *w, int pid, int tid, const char *name,
		    const char *cat, int64_t ts_ns);
/* commit=1: finish the JSON and rename into place; commit=0: remove the temp
 * file. 0 or TRACE_EIO (err filled, e.g. a write failed). Frees w either way. */
int chrome_writer_close(struct chrome_writer *w, int commit, struct trace_err *err);

/* ---- the run timeline (timeline.c) ----------------------------------------
 * One writer for `hipsched sim|hw --timeline` and `trace export`, on top of
 * the Chrome trace writer; what a user sees in Perfetto:
 *   - a process per tenant (pid = tenant + 1), with
 *     - "host": one async span per request (arrival to completion; args:
 *       request, latency_us, waited_us, within_slo) and host-side commands;
 *     - optionally a label (process_labels: chrome://tracing shows it,
 *       Perfetto does not), e.g. how a backend measured the GPU times;
 *     - per stream two tracks, named by the caller (e.g. "s0 (stream 7)"):
 *       "NAME: launches (host)", one slice per instant at which commands
 *       were launched onto the stream ("launch xN" when N at once; a slice
 *       ends where the next begins, so the track stays disjoint), and
 *       "NAME: GPU", one slice per command (args: request, seq,
 *       queued_us = start - launch; estimated: true when its times were
 *       inferred; clock_err_us: how precisely measured times were put on
 *       the run's clock, when that is not exact; aborted: true when a
 *       preemption took it off the GPU to run it again later), with a
 *       flow arrow from its launch;
 *     - the scheduler's decisions as instant events on the stream's GPU
 *       track ("suspend", "resume": args.why names the queue the policy
 *       call concerned and what it did, "hi s0 became ready (policy
 *       hpf)", worded once by timeline_decision; "preempted": args.why and
 *       latency_us, suspend to the queue's last command off the GPU);
 *     - a counter per queue, "NAME queue" {pending, in_flight}.
 * Window [from_ns, to_ns) (to_ns <= 0: open): an instant, counter or
 * launch is written when its time is inside; a command when it overlaps
 * the window or its launch is inside (then with its arrow, so every flow
 * has both ends); a request when it overlaps. Calls must come in time
 * order per stream for launches and counters (a backend's clock does). */
struct timeline;
struct timeline *timeline_open(const char *path, int64_t from_ns, int64_t to_ns,
			       struct trace_err *err);
/* Names tenant's process; call before its events (with timeline_stream). */
void timeline_tenant(struct timeline *tl, int tenant, const char *name);
void timeline_stream(struct timeline *tl, int tenant, int stream,
		     const char *name);
/* A command was launched onto the stream at at_ns (host cost cost_ns). */
void timeline_launch(struct timeline *tl, int tenant, int stream, int64_t at_ns,
		     int64_t cost_ns, int64_t request, int64_t seq);
struct timeline_cmd {
	const char *name, *cat;    /* kernel name; kind ("kernel", "memcpy") */
	int64_t request, seq;      /* its request and place in it */
	int64_t launch_ns;         /* its timeline_launch time; -1: none */
	int64_t start_ns, end_ns;
	int host;                  /* a host-side row (sync): on "host" */
	int estimated;             /* start/end inferred, not measured:
	                            * args.estimated = true */
	int aborted;               /* taken off the GPU by a preemption (and
	                            * launched again): args.aborted = true */
	double clock_err_us;       /* > 0: start and end were put on the run's
	                            * clock within +/- this (args.clock_err_us) */
};
void timeline_command(struct timeline *tl, int tenant, int stream,
		      const struct timeline_cmd *c);
/* slo_ns <= 0: none. end_ns < 0 (not completed): not written. */
void timeline_request(struct timeline *tl, int tenant, int64_t request,
		      int64_t arrival_ns, int64_t start_ns, int64_t end_ns,
		      int64_t slo_ns);
/* An instant on the stream's GPU track (stream < 0: the host track);
 * why (may be NULL) and key = value (key NULL: none) go into args. */
void timeline_mark(struct timeline *tl, int tenant, int stream, const char *name,
		   int64_t at_ns, const char *why, const char *key, double value);
/* A policy decision, "suspend" or "resume", as timeline_mark with the
 * reason in words: the queue named `by` (NULL: none) and what it did,
 * `why` (the core's sched_why_name: "ready", "idle", "timer", "hint",
 * "queues", "driver"), under `policy`. One wording for every backend. */
void timeline_decision(struct timeline *tl, int tenant, int stream,
		       int suspended, int64_t at_ns, const char *by,
		       const char *why, const char *policy);
void timeline_queue(struct timeline *tl, int tenant, int stream,
		    const char *name, int64_t at_ns, size_t pending,
		    size_t inflight);
/* The suspended queue's last command left the GPU at idle_ns (suspended
 * at suspend_ns): a "preempted" mark with its latency_us. */
void timeline_preempted(struct timeline *tl, int tenant, int stream,
			int64_t suspend_ns, int64_t idle_ns);
/* A label on the tenant's process (Perfetto shows it under the name):
 * e.g. how precise its GPU times are. */
void timeline_label(struct timeline *tl, int tenant, const char *label);
/* commit as chrome_writer_close; frees tl either way. */
int timeline_close(struct timeline *tl, int commit, struct trace_err *err);

/* ---- importers -----------------------------------------------------------
 * `hipsched trace import`: PyTorch profiler / Kineto Chrome-trace JSON,
 * rocprofv3 kernel-trace CSV, Nsight Systems `nsys stats -r cuda_gpu_trace`
 * CSV. Times are rebased so the trace starts at 0 ns; commands are ordered
 * by host submit time and split into requests. See traces/README.md. */
enum trace_format {
	TRACE_FMT_AUTO, TRACE_FMT_CANONICAL, TRACE_FMT_KINETO,
	TRACE_FMT_ROCPROF, TRACE_FMT_NSYS,
};
const char *trace_format_name(enum trace_format f);
/* "auto", "canonical", "kineto", "rocprof", "nsys" -> format, or -1. */
int trace_format_parse(const char *s);
/* Looks at the file's first bytes / header row. 0 ok (*fmt set), TRACE_EBAD with
 * err "FILE:LINE: ..." when the format is not recognised. */
int trace_detect_format(const char *path, enum trace_format *fmt,
			struct trace_err *err);

enum trace_split {
	TRACE_SPLIT_AUTO,  /* step if ProfilerStep spans, else sync, else none */
	TRACE_SPLIT_STEP,  /* ProfilerStep#N annotations (Kineto) */
	TRACE_SPLIT_SYNC,  /* host synchronization calls between iterations */
	TRACE_SPLIT_GAP,   /* GPU idle for longer than gap_ns */
	TRACE_SPLIT_NONE,  /* the whole trace is one request */
};
const char *trace_split_name(enum trace_split s);
int trace_split_parse(const char *s);

struct trace_import_opts {
	enum trace_format format;  /* TRACE_FMT_AUTO: detect */
	enum trace_split split;
	int64_t gap_ns;            /* for TRACE_SPLIT_GAP (default 1 ms if 0) */
};

struct trace_import_stats {
	enum trace_format format;  /* the format actually read */
	enum trace_split split;    /* how requests were split */
	size_t ncmds;              /* commands written */
	size_t nkind[TRACE_KIND_COUNT_];
	size_t nreqs;
	size_t nsteps, nsyncs;     /* ProfilerStep spans / sync calls seen */
	size_t no_launch;          /* commands without a matched host launch
	                            * event (submit_ns = start_ns) */
	size_t dropped;            /* commands outside every ProfilerStep span */
	int64_t t0_ns;             /* the input's time subtracted (rebase) */
};

/* Imports in into a whole trace in memory (validated, grouped by request).
 * Memory: compact records only; the input is streamed. NULL on error (err
 * filled, "FILE:LINE: ..."). stats may be NULL. Free with trace_free(). */
struct trace *trace_import_load(const char *in, const struct trace_import_opts *o,
				struct trace_import_stats *stats,
				struct trace_err *err);
/* Imports in and writes the canonical CSV out (temp file renamed). */
int trace_import(const char *in, const char *out,
		 const struct trace_import_opts *o,
		 struct trace_import_stats *stats, struct trace_err *err);
/* Writes a whole trace as canonical CSV (temp file renamed on success). */
int trace_save(const struct trace *t, const char *path, struct trace_err *err);

/* ---- host times from an unprofiled run (`trace import --host-times`) -----
 * A profiler slows every launch call (CUPTI callbacks) but not the GPU. This
 * keeps a profiled trace's commands, order and GPU durations and takes the
 * host side from TIMES.csv, a timing of the same loop without the profiler,
 * in one of two forms (by its header; ns on any one clock, rebased):
 *   request,start_ns,end_ns        one row per iteration, e.g. taken with
 *       time.perf_counter_ns() before the iteration and after its
 *       synchronize returns. The profiled request's wall span (first launch
 *       call to last GPU end) minus the unprofiled one is host overhead,
 *       taken evenly off its launch gaps (none below 0); a slower
 *       unprofiled iteration lengthens them evenly. The result is exact in
 *       the iteration's span when the request is host-bound; when it is
 *       GPU-bound the span only says the host was at least that fast.
 *   request,seq,submit_ns[,return_ns]   one row per command of the request
 *       (seq as in the imported trace, sync rows included): the exact
 *       launch call times (and sync returns), e.g. from a record log.
 * Output request j (TIMES's j-th, renumbered from 0) replays profiled
 * request j mod N, so a long unprofiled timing gives as many requests as it
 * has iterations (the host-jitter model wants >= 100). Request boundaries
 * (start times) are TIMES's. GPU intervals are re-placed after their new
 * launch (the trace's smallest launch latency, in stream order) with their
 * recorded durations. */
struct trace_host_times_stats {
	int per_command;           /* TIMES.csv's form */
	size_t nreqs;              /* requests written */
	size_t src_reqs;           /* profiled requests they cycle through */
	double removed_per_gap_ns; /* per-request form: mean host time taken
	                            * off each launch gap (< 0: added) */
};
/* A new trace (free with trace_free) from prof's GPU side and TIMES.csv's
 * host side; NULL with "FILE:LINE: ..." in err (bad TIMES row, a request
 * whose command count differs from the profiled one's). st may be NULL. */
struct trace *trace_host_times(const struct trace *prof, const char *times_path,
			       struct trace_host_times_stats *st,
			       struct trace_err *err);

/* ---- the record log of libhipsched.so (`hipsched record`) ----------------
 * Format and recording rules: hw/shim/record.h. Requests: the records
 * between two marks (hipsched_mark_request; the first mark starts request
 * 0, calls after the last one are dropped) when the log has any, else the
 * records up to each host sync (which ends the request and is not written;
 * syncs between marks are written as sync rows). The first `warmup`
 * requests are dropped. Written: the requests that were not timed (their
 * host times are free of the events' cost), at most `requests` of them,
 * renumbered from 0; every request when all were timed (sample 1). Each
 * command's GPU duration is the median, at its position, over the timed
 * requests of its shape (trace_shapes); requests of a shape that no timed
 * request has are left out. Kernels keep grid / block / shared memory /
 * registers as the platform gave them; event records, stream waits and
 * graph launches are not written (counted). Streams are numbered 0, 1, ...
 * in order of first use. GPU intervals are placed after the launches as by
 * --host-times. */
struct trace_record_opts {
	size_t warmup;             /* requests dropped at the start */
	size_t requests;           /* at most this many written, 0 = all */
};
struct trace_record_stats {
	size_t nrecs;              /* records in the log */
	int marks;                 /* split by marks (else by host syncs) */
	size_t requests;           /* requests found */
	size_t empty;              /* boundaries with nothing before them */
	size_t warmup;             /* dropped as warm-up */
	size_t sampled;            /* timed, after the warm-up */
	size_t written;
	int timed_written;         /* all were timed: written with their own
	                            * (event-inflated) host times */
	size_t untimed_reqs;       /* left out: no timed request of their shape */
	size_t untimed_cmds;       /* written with duration 0: no timing */
	size_t skipped;            /* event / wait / graph records not written */
	size_t nshapes;
};
/* Reads a record log into a canonical trace (free with trace_free); NULL
 * with "LOG: ..." in err (not a log, an incomplete one, no request left).
 * o and st may be NULL. O(records x shape size of the timed requests). */
struct trace *trace_record_load(const char *path, const struct trace_record_opts *o,
				struct trace_record_stats *st, struct trace_err *err);

/* ---- request shapes (the host-jitter model's variants) -------------------
 * Two requests have one shape when they issue the same commands in the same
 * order: equal count, and per position equal kind and name. A simulated or
 * replayed request may then take its host timing (launch gaps, syncs) from
 * any request of its shape (scenarios/workload.c draws which). */
struct trace_shapes {
	size_t *shape;             /* per request: its shape, 0 .. nshapes - 1,
	                            * numbered in order of first appearance */
	size_t *members;           /* request indexes grouped by shape, each
	                            * group ascending */
	size_t *start;             /* shape k's members are members[start[k] ..
	                            * start[k + 1]) */
	size_t nshapes;
};
/* Fills s from t (arrays allocated; free with trace_shapes_release).
 * O(commands) for traces whose requests fall into a few shapes. 0, or -1
 * out of memory (s left empty). */
int trace_shapes_build(const struct trace *t, struct trace_shapes *s);
void trace_shapes_release(struct trace_shapes *s);

/* ---- summary (`hipsched trace info`) ------------------------------------ */
struct trace_req_summary {
	int64_t id;
	size_t ncmds, nkernels;
	int64_t gpu_busy_ns;       /* union of the commands' [start, end) */
	int64_t kernel_ns;         /* sum of kernel durations */
	int64_t host_span_ns;      /* first submit to last submit */
	int64_t span_ns;           /* first submit to last end (latency) */
	int64_t max_host_gap_ns;   /* largest gap between consecutive submits */
};
struct trace_kernel_summary {
	const char *name;          /* points into the trace */
	size_t count;
	int64_t total_ns, max_ns;
};
struct trace_summary {
	size_t nrecs, nkind[TRACE_KIND_COUNT_], nreqs;
	int64_t span_ns;           /* whole trace: min start/submit to max end */
	int64_t gpu_busy_ns;       /* union over the whole trace */
	int64_t *streams;          /* distinct streams, ascending */
	size_t nstreams;
	struct trace_req_summary *reqs;   /* nreqs entries */
	struct trace_kernel_summary *top; /* kernels by total time, descending */
	size_t ntop;
	int64_t host_gap_p50_ns, host_gap_max_ns; /* within requests */
	int64_t req_gap_mean_ns;   /* idle host time between requests: next
	                            * request's first submit - this one's end */
};
/* Fills s from t (s's arrays are allocated; free with
 * trace_summary_release; s->top points into t, so keep t alive).
 * top_n bounds s->ntop. 0 or HS_ENOMEM. */
int trace_summarize(const struct trace *t, size_t top_n, struct trace_summary *s);
void trace_summary_release(struct trace_summary *s);

/* `hipsched trace export`: one Perfetto process for the trace, a thread
 * track per stream, a host track with one span per request and a thin
 * launch span per command. 0 or a negative code (err filled). */
int trace_export_chrome(const struct trace *t, const char *path,
			struct trace_err *err);

#endif
