/*
 * Canonical kernel traces: reading, writing, loading, importing, exporting.
 *
 * Canonical CSV (header row, one row per command, times in integer ns):
 *   request,seq,kind,name,stream,submit_ns,start_ns,end_ns,
 *   grid_x,grid_y,grid_z,block_x,block_y,block_z,shmem,regs,bytes
 * submit_ns is the host time of the launch call; start_ns/end_ns the GPU
 * execution; `request` groups the commands of one inference / iteration.
 * kind is one of kernel, memcpy, memset, sync, marker.
 *
 * Every error is reported as "FILE:LINE: what is wrong" in a struct
 * trace_err; nothing is printed here (the CLI prints).
 */
#ifndef HIPSCHED_TRACE_H
#define HIPSCHED_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_kind {
	TRACE_KERNEL, TRACE_MEMCPY, TRACE_MEMSET, TRACE_SYNC, TRACE_MARKER,
	TRACE_KIND_COUNT_
};
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

/* ---- streaming reader (constant memory in the trace length) -------------- */
struct trace_reader;
/* Opens a canonical CSV. NULL on error (err filled). */
struct trace_reader *trace_reader_open(const char *path, struct trace_err *err);
/* Next record: 1 = got one, 0 = end, -1 = error (err filled). rec->name
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
 * Returns 0 or -1 (err filled). Frees w either way. */
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
int chrome_writer_close(struct chrome_writer *w, int commit, struct trace_err *err);

#endif
