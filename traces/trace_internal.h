/*
 * Internals of traces/: never included from outside the folder.
 */
#ifndef HIPSCHED_TRACE_INTERNAL_H
#define HIPSCHED_TRACE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include "trace.h"

/* Fills err->msg (printf style) and returns `code` (trace__fail:
 * TRACE_EBAD), so callers can write `return trace__fail(err, "%s:%ld:
 * ...", ...)`. err may be NULL. */
int trace__failc(struct trace_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define trace__fail(err, ...) trace__failc((err), TRACE_EBAD, __VA_ARGS__)

/* fopen(path, "rb") of a file that is not a directory (a directory opens
 * on Linux and reads as an empty file). NULL with err filled. */
FILE *trace__fopen_read(const char *path, struct trace_err *err);
/* 0 if path is not a directory (or cannot be stat'ed: the open reports
 * it), else TRACE_EBAD with err filled. */
int trace__not_dir(const char *path, struct trace_err *err);

/* ---- string interning: one copy of each distinct name ------------------ */
struct trace_intern;
struct trace_intern *trace__intern_new(void);
/* Returns the interned copy of s (len bytes, need not be NUL-terminated),
 * NULL when out of memory. Valid until trace__intern_free(). */
const char *trace__intern(struct trace_intern *in, const char *s, size_t len);
size_t trace__intern_count(const struct trace_intern *in);
void trace__intern_free(struct trace_intern *in);

/* ---- line-tracked CSV rows (libcsv) -------------------------------------
 * Reads a CSV file one line at a time, so memory stays constant in the file
 * length and every row knows the line it started on. Rows end at '\n' only
 * (a '\r' before it is trimmed as space); quoted fields may span lines.
 * Control bytes other than tab/CR/LF are reported as binary data. */
struct trace_csvrows;
struct trace_csvrows *trace__csvrows_open(const char *path, struct trace_err *err);
/* Next non-empty row: 1 = got one (fields[0..*nf) NUL-terminated, valid until
 * the next call; *line = the line it starts on), 0 = end, -1 = error. */
int trace__csvrows_next(struct trace_csvrows *r, char ***fields, size_t *nf,
			long *line, struct trace_err *err);
/* Lines read so far (the last line number seen). */
long trace__csvrows_lines(const struct trace_csvrows *r);
void trace__csvrows_close(struct trace_csvrows *r);

/* Strict integer parsing: the whole string must be an optionally signed
 * decimal integer. 0 ok, -1 otherwise. */
int trace__parse_i64(const char *s, int64_t *v);
/* Strict decimal number (integer or fraction, optional exponent). */
int trace__parse_double(const char *s, double *v);
/* v * scale rounded to ns, when finite and within [0, TRACE_TIME_MAX_NS]:
 * 0, else -1 (nothing stored). The integer form is exact. */
int trace__ns_of(double v, double scale, int64_t *ns);
int trace__ns_of_i64(int64_t v, int64_t scale, int64_t *ns);
/* block[0] * block[1] * block[2] (a 0 counts as 1), without overflow. */
uint64_t trace__block_threads(const uint32_t block[3]);
/* start + dur when it stays within TRACE_TIME_MAX_NS (both already within
 * range): 0, else -1. */
int trace__ns_end(int64_t start, int64_t dur, int64_t *end);

/* ---- import pipeline --------------------------------------------------- */
/* One GPU command as an importer collects it, before requests are known. */
struct trace__op {
	int64_t start_ns, end_ns;
	int64_t submit_ns;         /* -1: no host launch event matched */
	int64_t corr;              /* correlation id, -1 if none */
	int64_t stream;
	int64_t shmem, regs, bytes;
	const char *name;          /* interned */
	uint32_t grid[3], block[3];
	int64_t order;             /* input order, the last tie-breaker */
	int kind;                  /* enum trace_kind */
	int64_t request;           /* set by the splitter */
	long line;                 /* input line, for late errors */
};
/* A host-side span: ProfilerStep#N annotation or a synchronization call. */
struct trace__span {
	int64_t start_ns, end_ns;
	const char *name;          /* interned call name (syncs), or NULL */
};
/* A host launch call. The shape is set when the call's args carry it
 * (ROCm Kineto writes grid/block on hipLaunchKernel, not always on the
 * kernel): shmem < 0 and grid[0] == 0 mean absent. */
struct trace__launch {
	int64_t corr, ts_ns;
	uint32_t grid[3], block[3];
	int64_t shmem;
};

struct trace__import {
	struct trace_intern *names;
	struct trace__op *ops;
	size_t nops, capops;
	struct trace__launch *launches;
	size_t nlaunches, caplaunches;
	struct trace__span *steps;   /* ProfilerStep#N spans */
	size_t nsteps, capsteps;
	struct trace__span *syncs;   /* host synchronization calls */
	size_t nsyncs, capsyncs;
	int has_host;                /* the format has host launch times */
	int full;                    /* an add was refused: TRACE_MAX_RECS */
};

/* -1 when out of memory or when im holds TRACE_MAX_RECS ops (im->full). */
int trace__imp_add_op(struct trace__import *im, const struct trace__op *op);
/* The error for a failed add: "more than N commands" or "out of memory";
 * returns -1. */
int trace__imp_full(const struct trace__import *im, const char *path,
		    struct trace_err *err);
int trace__imp_add_launch(struct trace__import *im, const struct trace__launch *l);
int trace__imp_add_step(struct trace__import *im, int64_t start_ns, int64_t end_ns);
/* name: the synchronization call (copied into im->names). */
int trace__imp_add_sync(struct trace__import *im, int64_t start_ns, int64_t end_ns,
			const char *name);

/* Format readers: fill im from path; 0 or -1 with err "FILE:LINE: ...". */
int trace__read_kineto(const char *path, struct trace__import *im,
		       struct trace_err *err);
int trace__read_rocprof(const char *path, struct trace__import *im,
			struct trace_err *err);
int trace__read_nsys(const char *path, struct trace__import *im,
		     struct trace_err *err);

/* Header recognition for --format auto (first non-empty line of a CSV). */
int trace__looks_rocprof(char **fields, size_t nf);
int trace__looks_nsys(char **fields, size_t nf);
int trace__looks_canonical(char **fields, size_t nf);

/* Places the GPU intervals of out[0..k) (one request, new submit times set)
 * after their launches: each command starts at its launch + lat_ns, or
 * when the previous command of its stream ends, and keeps its duration.
 * sync and marker rows are left alone. (host_times.c) */
void trace__place_gpu(struct trace_rec *out, size_t k, int64_t lat_ns);

/* Builds a struct trace around records and an intern pool (takes both). */
struct trace *trace__from_recs(const char *path, struct trace_rec *recs,
			       size_t nrecs, struct trace_intern *names,
			       struct trace_err *err);

#endif
