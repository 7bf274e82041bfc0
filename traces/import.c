/*
 * The import pipeline shared by every format: collect compact GPU commands
 * and host events, pair commands with their launch calls, split requests,
 * rebase times to 0, order by host submit time, number seq within request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "trace_internal.h"

static const char *const format_names[] = {
	[TRACE_FMT_AUTO] = "auto", [TRACE_FMT_CANONICAL] = "canonical",
	[TRACE_FMT_KINETO] = "kineto", [TRACE_FMT_ROCPROF] = "rocprof",
	[TRACE_FMT_NSYS] = "nsys",
};
static const char *const split_names[] = {
	[TRACE_SPLIT_AUTO] = "auto", [TRACE_SPLIT_STEP] = "step",
	[TRACE_SPLIT_SYNC] = "sync", [TRACE_SPLIT_GAP] = "gap",
	[TRACE_SPLIT_NONE] = "none",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *trace_format_name(enum trace_format f)
{
	return (unsigned)f < NELEM(format_names) ? format_names[f] : "?";
}

int trace_format_parse(const char *s)
{
	for (size_t i = 0; i < NELEM(format_names); i++)
		if (strcmp(s, format_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *trace_split_name(enum trace_split s)
{
	return (unsigned)s < NELEM(split_names) ? split_names[s] : "?";
}

int trace_split_parse(const char *s)
{
	for (size_t i = 0; i < NELEM(split_names); i++)
		if (strcmp(s, split_names[i]) == 0)
			return (int)i;
	return -1;
}

#define GROW(arr, n, cap)                                                    \
	do {                                                                 \
		if ((n) == (cap)) {                                          \
			size_t c_ = (cap) ? (cap) * 2 : 1024;                \
			void *p_ = realloc((arr), c_ * sizeof(*(arr)));      \
			if (!p_)                                             \
				return -1;                                   \
			(arr) = p_;                                          \
			(cap) = c_;                                          \
		}                                                            \
	} while (0)

int trace__imp_add_op(struct trace__import *im, const struct trace__op *op)
{
	if (im->nops >= TRACE_MAX_RECS) {
		im->full = 1;
		return -1;
	}
	GROW(im->ops, im->nops, im->capops);
	im->ops[im->nops] = *op;
	im->ops[im->nops].order = (int64_t)im->nops;
	im->nops++;
	return 0;
}

int trace__imp_full(const struct trace__import *im, const char *path,
		    struct trace_err *err)
{
	if (im->full)
		return trace__fail(err, "%s: more than %zu GPU commands: too large "
				   "to replay in memory (profile fewer steps)", path,
				   TRACE_MAX_RECS);
	return trace__fail(err, "%s: out of memory", path);
}

int trace__imp_add_launch(struct trace__import *im, const struct trace__launch *l)
{
	GROW(im->launches, im->nlaunches, im->caplaunches);
	im->launches[im->nlaunches++] = *l;
	return 0;
}

int trace__imp_add_step(struct trace__import *im, int64_t start_ns, int64_t end_ns)
{
	GROW(im->steps, im->nsteps, im->capsteps);
	im->steps[im->nsteps++] = (struct trace__span){ start_ns, end_ns, NULL };
	return 0;
}

int trace__imp_add_sync(struct trace__import *im, int64_t start_ns, int64_t end_ns,
			const char *name)
{
	const char *n = trace__intern(im->names, name, strlen(name));
	if (!n)
		return -1;
	GROW(im->syncs, im->nsyncs, im->capsyncs);
	im->syncs[im->nsyncs++] = (struct trace__span){ start_ns, end_ns, n };
	return 0;
}

static int cmp_launch(const void *a, const void *b)
{
	const struct trace__launch *x = a, *y = b;
	if (x->corr != y->corr)
		return x->corr < y->corr ? -1 : 1;
	return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
}

static int cmp_span(const void *a, const void *b)
{
	const struct trace__span *x = a, *y = b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->end_ns > y->end_ns) - (x->end_ns < y->end_ns);
}

static int64_t host_time(const struct trace__op *o)
{
	return o->submit_ns >= 0 ? o->submit_ns : o->start_ns;
}

static int cmp_op_gpu(const void *a, const void *b)
{
	const struct trace__op *x = a, *y = b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* Final order: request, host submit time, GPU start, input order. */
static int cmp_op_final(const void *a, const void *b)
{
	const struct trace__op *x = a, *y = b;
	if (x->request != y->request)
		return x->request < y->request ? -1 : 1;
	int64_t hx = host_time(x), hy = host_time(y);
	if (hx != hy)
		return hx < hy ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* Sets each op's submit_ns from the launch call with the same correlation
 * (the earliest one if several); unmatched ops keep -1. A kernel recorded
 * without its shape (grid[0] == 0) takes the launch call's; one that finds
 * none is an error naming the kernel event's line. */
static int pair_launches(struct trace__import *im, const char *path,
			 struct trace_import_stats *st, struct trace_err *err)
{
	if (im->nlaunches)
		qsort(im->launches, im->nlaunches, sizeof(*im->launches), cmp_launch);
	for (size_t i = 0; i < im->nops; i++) {
		struct trace__op *o = &im->ops[i];
		if (o->submit_ns >= 0)
			goto shape;
		if (o->corr >= 0 && im->nlaunches) {
			size_t lo = 0, hi = im->nlaunches;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (im->launches[mid].corr < o->corr)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < im->nlaunches && im->launches[lo].corr == o->corr) {
				const struct trace__launch *l = &im->launches[lo];
				o->submit_ns = l->ts_ns;
				if (o->kind == TRACE_KERNEL && o->grid[0] == 0 &&
				    l->grid[0] != 0) {
					memcpy(o->grid, l->grid, sizeof(o->grid));
					memcpy(o->block, l->block, sizeof(o->block));
				}
				if (o->kind == TRACE_KERNEL && o->shmem < 0 && l->shmem >= 0)
					o->shmem = l->shmem;
				goto shape;
			}
		}
		if (im->has_host)
			st->no_launch++;
shape:
		if (o->shmem < 0)
			o->shmem = 0;
		if (o->kind == TRACE_KERNEL && trace__block_threads(o->block) >
		    TRACE_BLOCK_MAX)
			return trace__fail(err, "%s:%ld: kernel event \"%.80s\": more "
					   "than %d threads per block", path, o->line,
					   o->name, TRACE_BLOCK_MAX);
		if (o->kind == TRACE_KERNEL && o->grid[0] == 0)
			return trace__fail(err, "%s:%ld: kernel event \"%.80s\": no "
					   "args.grid / args.block, and no launch call "
					   "with the same correlation carries them", path,
					   o->line, o->name);
	}
	return 0;
}

/* Index of the last span starting at or before t, or -1. */
static long span_at(const struct trace__span *s, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s[mid].start_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* Assigns op->request (raw, renumbered later); drops ops outside every
 * step when splitting by steps (request = -1). */
static void split(struct trace__import *im, enum trace_split how, int64_t gap_ns,
		  struct trace_import_stats *st)
{
	switch (how) {
	case TRACE_SPLIT_STEP:
		qsort(im->steps, im->nsteps, sizeof(*im->steps), cmp_span);
		for (size_t i = 0; i < im->nops; i++) {
			struct trace__op *o = &im->ops[i];
			long k = span_at(im->steps, im->nsteps, host_time(o));
			if (k < 0 || host_time(o) > im->steps[k].end_ns) {
				o->request = -1;
				st->dropped++;
			} else {
				o->request = k;
			}
		}
		break;
	case TRACE_SPLIT_SYNC:
		/* A command submitted after the k-th sync call started belongs
		 * to segment k+1: each sync ends an iteration. */
		qsort(im->syncs, im->nsyncs, sizeof(*im->syncs), cmp_span);
		for (size_t i = 0; i < im->nops; i++)
			im->ops[i].request =
				span_at(im->syncs, im->nsyncs, host_time(&im->ops[i])) + 1;
		break;
	case TRACE_SPLIT_GAP: {
		qsort(im->ops, im->nops, sizeof(*im->ops), cmp_op_gpu);
		int64_t req = 0, busy_until = 0;
		for (size_t i = 0; i < im->nops; i++) {
			struct trace__op *o = &im->ops[i];
			if (i > 0 && o->start_ns > busy_until + gap_ns)
				req++;
			if (i == 0 || o->end_ns > busy_until)
				busy_until = o->end_ns;
			o->request = req;
		}
		break;
	}
	default:
		for (size_t i = 0; i < im->nops; i++)
			im->ops[i].request = 0;
		break;
	}
}

/* With ops sorted by (request, host time): a host synchronization call
 * made between two commands of the same request (after its first launch,
 * before its last) is a dependency inside the request, so it becomes a
 * `sync` command there: submit = start = the call, end = its return; the
 * stream is that of the command launched just before it. Syncs that end a
 * request are implied by the request boundary and not written. Returns the
 * number added, or -1 (out of memory). */
static long add_inner_syncs(struct trace__import *im)
{
	size_t nops = im->nops;
	long added = 0;
	size_t i = 0;
	while (i < nops && im->ops[i].request < 0)
		i++;
	for (size_t q = i; q < nops;) {
		size_t e = q;
		while (e < nops && im->ops[e].request == im->ops[q].request)
			e++;
		int64_t first = host_time(&im->ops[q]), last = host_time(&im->ops[e - 1]);
		long k = span_at(im->syncs, im->nsyncs, first);
		size_t j = q;
		for (size_t s = (size_t)(k + 1); s < im->nsyncs; s++) {
			const struct trace__span *sy = &im->syncs[s];
			if (sy->start_ns >= last)
				break;
			if (sy->start_ns <= first)
				continue;
			while (j + 1 < e && host_time(&im->ops[j + 1]) <= sy->start_ns)
				j++;
			struct trace__op op = {
				.start_ns = sy->start_ns, .end_ns = sy->end_ns,
				.submit_ns = sy->start_ns, .corr = -1,
				.stream = im->ops[j].stream, .name = sy->name,
				.kind = TRACE_SYNC, .request = im->ops[q].request,
			};
			if (trace__imp_add_op(im, &op) < 0)
				return -1;
			added++;
		}
		q = e;
	}
	return added;
}

static void import_release(struct trace__import *im)
{
	trace__intern_free(im->names);
	free(im->ops);
	free(im->launches);
	free(im->steps);
	free(im->syncs);
	memset(im, 0, sizeof(*im));
}

int trace_detect_format(const char *path, enum trace_format *fmt,
			struct trace_err *err)
{
	FILE *f = trace__fopen_read(path, err);
	if (!f)
		return -1;
	int c;
	long line = 1;
	unsigned char magic[2] = { 0, 0 };
	if (fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		/* gzip: only Kineto JSON is read compressed (zlib) */
		fclose(f);
		gzFile z = gzopen(path, "rb");
		while (z && (c = gzgetc(z)) != -1 && (c == ' ' || c == '\t' ||
			c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF))
			;
		if (z)
			gzclose(z);
		if (z && (c == '{' || c == '[')) {
			*fmt = TRACE_FMT_KINETO;
			return 0;
		}
		return trace__fail(err, "%s:1: gzip-compressed and not Kineto JSON; "
				   "decompress it first (gunzip -k)", path);
	}
	rewind(f);
	while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\r' ||
					 c == '\n' || c == 0xEF || c == 0xBB ||
					 c == 0xBF))
		if (c == '\n')
			line++;
	fclose(f);
	if (c == EOF)
		return trace__fail(err, "%s:1: empty file", path);
	if (c == '{' || c == '[') {
		*fmt = TRACE_FMT_KINETO;
		return 0;
	}
	/* A CSV: look at the header row (nsys may print a preamble first). */
	struct trace_csvrows *r = trace__csvrows_open(path, err);
	if (!r)
		return TRACE_EBAD;
	char **fields;
	size_t nf;
	int rc;
	long first_line = 0;
	for (int i = 0; i < 16; i++) {
		rc = trace__csvrows_next(r, &fields, &nf, &line, err);
		if (rc <= 0)
			break;
		if (!first_line)
			first_line = line;
		if (trace__looks_canonical(fields, nf))
			*fmt = TRACE_FMT_CANONICAL;
		else if (trace__looks_rocprof(fields, nf))
			*fmt = TRACE_FMT_ROCPROF;
		else if (trace__looks_nsys(fields, nf))
			*fmt = TRACE_FMT_NSYS;
		else
			continue;
		trace__csvrows_close(r);
		return 0;
	}
	trace__csvrows_close(r);
	if (rc < 0)
		return TRACE_EBAD;
	return trace__fail(err, "%s:%ld: unrecognised trace format (expected a "
			   "canonical trace, Kineto/PyTorch JSON, a rocprofv3 "
			   "kernel_trace.csv or an nsys cuda_gpu_trace CSV)",
			   path, first_line ? first_line : 1);
}

static void count_stats(const struct trace *t, struct trace_import_stats *st)
{
	st->ncmds = t->nrecs;
	st->nreqs = t->nreqs;
	for (size_t i = 0; i < t->nrecs; i++)
		st->nkind[t->recs[i].kind]++;
}

/* Streams the input once (per format), keeps compact ops, then sorts.
 * Cost: O(n log n) in the number of GPU commands. */
struct trace *trace_import_load(const char *in, const struct trace_import_opts *o,
				struct trace_import_stats *stats,
				struct trace_err *err)
{
	struct trace_import_stats st0;
	struct trace_import_stats *st = stats ? stats : &st0;
	memset(st, 0, sizeof(*st));
	enum trace_format fmt = o ? o->format : TRACE_FMT_AUTO;
	if (fmt == TRACE_FMT_AUTO && trace_detect_format(in, &fmt, err) < 0)
		return NULL;
	st->format = fmt;
	if (fmt == TRACE_FMT_CANONICAL) {
		struct trace *t = trace_load(in, err);
		if (t)
			count_stats(t, st);
		st->split = TRACE_SPLIT_NONE;
		return t;
	}
	struct trace__import im = { 0 };
	im.names = trace__intern_new();
	if (!im.names) {
		trace__fail(err, "%s: out of memory", in);
		return NULL;
	}
	int rc;
	switch (fmt) {
	case TRACE_FMT_KINETO:
		rc = trace__read_kineto(in, &im, err);
		break;
	case TRACE_FMT_ROCPROF:
		rc = trace__read_rocprof(in, &im, err);
		break;
	case TRACE_FMT_NSYS:
		rc = trace__read_nsys(in, &im, err);
		break;
	default:
		rc = trace__fail(err, "%s: unknown format", in);
	}
	if (rc < 0)
		goto fail;
	st->nsteps = im.nsteps;
	st->nsyncs = im.nsyncs;
	if (im.nops == 0) {
		trace__fail(err, "%s:1: no GPU commands (kernels, memcpy, memset) "
			    "found in this %s trace", in, trace_format_name(fmt));
		goto fail;
	}
	enum trace_split how = o ? o->split : TRACE_SPLIT_AUTO;
	if (how == TRACE_SPLIT_AUTO)
		how = im.nsteps ? TRACE_SPLIT_STEP :
		      (im.nsyncs && im.has_host) ? TRACE_SPLIT_SYNC : TRACE_SPLIT_NONE;
	if (how == TRACE_SPLIT_STEP && !im.nsteps) {
		trace__fail(err, "%s:1: --split step: the trace has no ProfilerStep#N "
			    "annotations", in);
		goto fail;
	}
	if (how == TRACE_SPLIT_SYNC && !im.nsyncs) {
		trace__fail(err, "%s:1: --split sync: the trace has no host "
			    "synchronization calls", in);
		goto fail;
	}
	st->split = how;
	if (pair_launches(&im, in, st, err) < 0)
		goto fail;
	split(&im, how, o && o->gap_ns > 0 ? o->gap_ns : 1000000, st);
	qsort(im.ops, im.nops, sizeof(*im.ops), cmp_op_final);
	if (im.nsyncs && how != TRACE_SPLIT_SYNC) {
		qsort(im.syncs, im.nsyncs, sizeof(*im.syncs), cmp_span);
		long added = add_inner_syncs(&im);
		if (added < 0) {
			trace__imp_full(&im, in, err);
			goto fail;
		}
		if (added)
			qsort(im.ops, im.nops, sizeof(*im.ops), cmp_op_final);
	}

	size_t first = 0;                  /* dropped ops (request -1) sort first */
	while (first < im.nops && im.ops[first].request < 0)
		first++;
	if (first == im.nops) {
		trace__fail(err, "%s:1: every GPU command lies outside the "
			    "ProfilerStep spans", in);
		goto fail;
	}
	int64_t t0 = INT64_MAX;
	for (size_t i = first; i < im.nops; i++) {
		int64_t h = host_time(&im.ops[i]);
		if (h < t0)
			t0 = h;
		if (im.ops[i].start_ns < t0)
			t0 = im.ops[i].start_ns;
	}
	st->t0_ns = t0;
	size_t n = im.nops - first;
	struct trace_rec *recs = calloc(n, sizeof(*recs));
	if (!recs) {
		trace__fail(err, "%s: out of memory", in);
		goto fail;
	}
	int64_t req = -1, raw = INT64_MIN, seq = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace__op *op = &im.ops[first + i];
		struct trace_rec *r = &recs[i];
		if (op->request != raw) {
			raw = op->request;
			req++;
			seq = 0;
		}
		r->request = req;
		r->seq = seq++;
		r->kind = op->kind;
		r->name = op->name;
		r->stream = op->stream;
		r->submit_ns = host_time(op) - t0;
		r->start_ns = op->start_ns - t0;
		r->end_ns = op->end_ns - t0;
		memcpy(r->grid, op->grid, sizeof(r->grid));
		memcpy(r->block, op->block, sizeof(r->block));
		r->shmem = op->shmem;
		r->regs = op->regs;
		r->bytes = op->bytes;
	}
	struct trace_intern *names = im.names;
	im.names = NULL;
	import_release(&im);
	struct trace *t = trace__from_recs(in, recs, n, names, err);
	if (t)
		count_stats(t, st);
	return t;
fail:
	import_release(&im);
	return NULL;
}

int trace_save(const struct trace *t, const char *path, struct trace_err *err)
{
	struct trace_writer *w = trace_writer_open(path, err);
	if (!w)
		return TRACE_EIO;
	for (size_t i = 0; i < t->nrecs; i++)
		if (trace_writer_write(w, &t->recs[i]) < 0)
			break;
	return trace_writer_close(w, 1, err);
}

int trace_import(const char *in, const char *out,
		 const struct trace_import_opts *o,
		 struct trace_import_stats *stats, struct trace_err *err)
{
	struct trace *t = trace_import_load(in, o, stats, err);
	if (!t)
		return TRACE_EBAD;
	int rc = trace_save(t, out, err);
	trace_free(t);
	return rc;
}
