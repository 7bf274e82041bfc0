/*
 * The record log of libhipsched.so (format owned by its writer,
 * hw/shim/record.h) turned into a canonical trace: requests split at the
 * boundaries, the unsampled requests written with their own host times,
 * GPU durations from the timed (sampled) requests of the same shape.
 * Contract in trace.h; rules in traces/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../hw/shim/record.h"
#include "trace_internal.h"

struct log {
	struct shim_rec *recs;
	uint64_t n;
	const char **names;        /* interned, [nnames] */
	uint64_t nnames;
	struct trace_intern *in;
	int marks;                 /* the log has SHIM_REC_MARK records */
};

static void log_release(struct log *l)
{
	free(l->recs);
	free(l->names);
	if (l->in)
		trace__intern_free(l->in);
}

static int read_log(const char *path, struct log *l, struct trace_err *err)
{
	FILE *f = trace__fopen_read(path, err);     /* a log kept as .gz too */
	if (!f)
		return -1;
	struct shim_rec_file_header h;
	int rc = -1;
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, SHIM_REC_MAGIC, 8)) {
		trace__fail(err, "%s:1: not a hipsched record log", path);
		goto out;
	}
	if (h.version != SHIM_REC_VERSION || h.rec_size != sizeof(struct shim_rec)) {
		trace__fail(err, "%s:1: record log version %u (record size %u); this "
			    "hipsched reads version %d (%zu)", path, h.version, h.rec_size,
			    SHIM_REC_VERSION, sizeof(struct shim_rec));
		goto out;
	}
	if (h.nrecs == UINT64_MAX) {
		trace__fail(err, "%s:1: incomplete record log (the process did not "
			    "exit normally, or is still running)", path);
		goto out;
	}
	if (h.nrecs > (1ull << 32) || h.nnames > (1u << 20)) {
		trace__fail(err, "%s:1: implausible header (%llu records, %llu names)",
			    path, (unsigned long long)h.nrecs, (unsigned long long)h.nnames);
		goto out;
	}
	l->n = h.nrecs;
	l->nnames = h.nnames;
	l->recs = malloc((l->n ? l->n : 1) * sizeof(*l->recs));
	l->names = calloc(l->nnames ? l->nnames : 1, sizeof(*l->names));
	l->in = trace__intern_new();
	if (!l->recs || !l->names || !l->in) {
		trace__fail(err, "%s: out of memory", path);
		goto out;
	}
	if (fread(l->recs, sizeof(*l->recs), l->n, f) != l->n) {
		trace__fail(err, "%s: truncated: %llu records announced", path,
			    (unsigned long long)l->n);
		goto out;
	}
	/* read forward to the name table: a gzip stream does not seek */
	uint64_t at = sizeof(h) + l->n * sizeof(*l->recs);
	char skip[4096];
	while (at < h.names_offset) {
		uint64_t k = h.names_offset - at < sizeof(skip) ? h.names_offset - at
								: sizeof(skip);
		if (fread(skip, 1, (size_t)k, f) != k)
			break;
		at += k;
	}
	if (at != h.names_offset) {
		trace__fail(err, "%s: truncated: no name table", path);
		goto out;
	}
	char *buf = NULL;
	for (uint64_t i = 0; i < l->nnames; i++) {
		uint32_t len;
		char *nb;
		if (fread(&len, sizeof(len), 1, f) != 1 || len > 65536 ||
		    !(nb = realloc(buf, len + 1)) || (buf = nb, 0) ||
		    fread(buf, 1, len, f) != len) {
			free(buf);
			trace__fail(err, "%s: truncated or bad name table (name %llu)",
				    path, (unsigned long long)i);
			goto out;
		}
		l->names[i] = trace__intern(l->in, buf, len);
		if (!l->names[i]) {
			free(buf);
			trace__fail(err, "%s: out of memory", path);
			goto out;
		}
	}
	free(buf);
	for (uint64_t i = 0; i < l->n; i++) {
		const struct shim_rec *r = &l->recs[i];
		if (r->name_id > l->nnames) {
			trace__fail(err, "%s: record %llu names name %u of %llu", path,
				    (unsigned long long)i, r->name_id,
				    (unsigned long long)l->nnames);
			goto out;
		}
		l->marks |= r->kind == SHIM_REC_MARK;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* One request of the log: records [first, end), whether it was timed. */
struct lreq {
	uint64_t first, end;
	int sampled;
};

static int64_t median(int64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The trace rows of one log request (GPU intervals as recorded, -1 when
 * untimed); appends to *out. Streams get small ids in order of first use. */
static int request_rows(const struct log *l, const struct lreq *q, int64_t req,
			struct trace_rec **out, size_t *n, size_t *cap,
			uint64_t *streams, size_t *nstreams,
			struct trace_record_stats *st)
{
	int64_t seq = 0, last_stream = 0;
	for (uint64_t i = q->first; i < q->end; i++) {
		const struct shim_rec *r = &l->recs[i];
		struct trace_rec t = { .request = req };
		switch (r->kind) {
		case SHIM_REC_KERNEL: t.kind = TRACE_KERNEL; break;
		case SHIM_REC_COPY: t.kind = TRACE_MEMCPY; break;
		case SHIM_REC_SET: t.kind = TRACE_MEMSET; break;
		case SHIM_REC_SYNC: t.kind = TRACE_SYNC; break;
		case SHIM_REC_MARK: t.kind = TRACE_MARKER; break;
		default:
			st->skipped++;     /* events, waits, graphs */
			continue;
		}
		size_t s = 0;
		if (t.kind == TRACE_MARKER) {
			/* the request's start: its own host work before the
			 * first launch is the first command's gap */
			t.stream = last_stream;
			t.name = "hipsched_mark_request";
			/* when the mark returned: the recorder's own work in it
			 * (reading the timed request's events) is not the
			 * application's */
			t.submit_ns = t.start_ns = t.end_ns = (int64_t)r->t_return_ns;
		} else if (t.kind == TRACE_SYNC) {
			t.stream = last_stream;
			t.name = r->flags & SHIM_REC_F_ALL ? "device synchronize" :
				"stream synchronize";
			t.submit_ns = t.start_ns = (int64_t)r->t_enter_ns;
			t.end_ns = (int64_t)r->t_return_ns;
		} else {
			while (s < *nstreams && streams[s] != r->stream)
				s++;
			if (s == *nstreams) {
				if (s == 4096)
					return -2;
				streams[(*nstreams)++] = r->stream;
			}
			t.stream = last_stream = (int64_t)s;
			t.name = r->name_id ? l->names[r->name_id - 1] :
				(t.kind == TRACE_KERNEL ? "kernel" : t.kind == TRACE_MEMCPY ?
				 "memcpy" : "memset");
			t.submit_ns = (int64_t)r->t_enter_ns;
			t.start_ns = r->flags & SHIM_REC_F_GPU ? r->gpu_start_ns : -1;
			t.end_ns = r->flags & SHIM_REC_F_GPU ? r->gpu_end_ns : -1;
			for (int k = 0; k < 3; k++) {
				t.grid[k] = t.kind == TRACE_KERNEL && !r->grid[k] ? 1 : r->grid[k];
				t.block[k] = t.kind == TRACE_KERNEL && !r->block[k] ? 1 : r->block[k];
			}
			t.shmem = r->shmem;
			t.regs = r->regs;
			t.bytes = (int64_t)r->bytes;
		}
		t.seq = seq++;
		if (hs_grow((void **)out, cap, *n, sizeof(**out)))
			return -1;
		(*out)[(*n)++] = t;
	}
	return 0;
}

struct trace *trace_record_load(const char *path, const struct trace_record_opts *o,
				struct trace_record_stats *st,
				struct trace_err *err)
{
	struct trace_record_stats st0;
	struct log l = { 0 };
	struct lreq *qs = NULL;
	struct trace_rec *rows = NULL;
	struct trace *all = NULL;
	uint64_t *streams = NULL;
	size_t nq = 0, nrows = 0, caprows = 0, nstreams = 0;
	if (!st)
		st = &st0;
	memset(st, 0, sizeof(*st));
	if (read_log(path, &l, err))
		goto fail;
	st->nrecs = (size_t)l.n;
	st->marks = l.marks;
	/* requests: from a mark (kept: a leading marker row, the request's
	 * start) to the next (the first mark starts request 0), or ended by
	 * each host sync (left out); an unfinished tail is not a request */
	qs = malloc((size_t)(l.n + 1) * sizeof(*qs));
	streams = malloc(4096 * sizeof(*streams));
	if (!qs || !streams)
		goto oom;
	uint64_t start = 0;
	int started = !l.marks;
	for (uint64_t i = 0; i < l.n; i++) {
		const struct shim_rec *r = &l.recs[i];
		int b = l.marks ? r->kind == SHIM_REC_MARK : r->kind == SHIM_REC_SYNC;
		if (!b)
			continue;
		/* a sync boundary is left out; a mark starts the next request
		 * (it carries the previous one's sampling flag: the request's
		 * is on its first record after it) */
		uint64_t end = i, first = start + !!l.marks;
		if (started && end > first)
			qs[nq++] = (struct lreq){ start, end,
				!!(l.recs[first].flags & SHIM_REC_F_SAMPLED) };
		else if (started)
			st->empty++;
		started = 1;
		start = l.marks ? i : i + 1;
	}
	st->requests = nq;
	size_t warm = o && o->warmup < nq ? o->warmup : (o ? nq : 0);
	st->warmup = warm;
	/* every request after the warm-up as rows, to find the shapes */
	for (size_t k = warm; k < nq; k++) {
		int rc = request_rows(&l, &qs[k], (int64_t)(k - warm), &rows, &nrows,
				      &caprows, streams, &nstreams, st);
		if (rc == -2) {
			trace__fail(err, "%s: more than 4096 streams", path);
			goto fail;
		}
		if (rc)
			goto oom;
	}
	/* a request whose rows are all skipped kinds leaves a hole in the
	 * numbering: renumber densely, remembering each one's log request */
	size_t *logq = malloc((nq ? nq : 1) * sizeof(*logq)), nr = 0;
	if (!logq)
		goto oom;
	for (size_t i = 0; i < nrows; i++) {
		if (i == 0 || rows[i].request != rows[i - 1].request)
			logq[nr++] = warm + (size_t)rows[i].request;
		rows[i].request = (int64_t)nr - 1;
	}
	struct trace_intern *in = trace__intern_new();
	if (!in) {
		free(logq);
		goto oom;
	}
	for (size_t i = 0; i < nrows; i++)
		if (!(rows[i].name = trace__intern(in, rows[i].name, strlen(rows[i].name)))) {
			trace__intern_free(in);
			free(logq);
			goto oom;
		}
	all = trace__from_recs(path, rows, nrows, in, err);
	rows = NULL;
	if (!all) {
		free(logq);
		goto fail;
	}
	struct trace_shapes sh;
	if (trace_shapes_build(all, &sh)) {
		free(logq);
		goto oom;
	}
	/* which requests are written: the untimed ones (their host times are
	 * clean), or every one when all were timed */
	size_t nuntimed = 0;
	for (size_t r = 0; r < all->nreqs; r++)
		nuntimed += !qs[logq[r]].sampled;
	st->sampled = all->nreqs - nuntimed;
	int write_timed = nuntimed == 0;
	size_t limit = o && o->requests ? o->requests : SIZE_MAX, nout = 0, nrec_out = 0;
	unsigned char *keep = calloc(all->nreqs ? all->nreqs : 1, 1);
	int64_t *dur = malloc((all->nreqs ? all->nreqs : 1) * sizeof(*dur));
	if (!keep || !dur) {
		free(keep);
		free(dur);
		free(logq);
		trace_shapes_release(&sh);
		goto oom;
	}
	/* a shape no timed request has gives no GPU durations: its requests
	 * are left out (counted) */
	unsigned char *timed = calloc(sh.nshapes ? sh.nshapes : 1, 1);
	if (!timed) {
		free(keep);
		free(dur);
		free(logq);
		trace_shapes_release(&sh);
		goto oom;
	}
	for (size_t r = 0; r < all->nreqs; r++)
		timed[sh.shape[r]] |= qs[logq[r]].sampled;
	for (size_t r = 0; r < all->nreqs && nout < limit; r++) {
		if (!write_timed && qs[logq[r]].sampled)
			continue;
		if (!timed[sh.shape[r]]) {
			st->untimed_reqs++;
			continue;
		}
		keep[r] = 1;
		nout++;
		nrec_out += all->reqs[r].count;
	}
	free(timed);
	struct trace_rec *out = malloc((nrec_out ? nrec_out : 1) * sizeof(*out));
	struct trace_intern *in2 = out ? trace__intern_new() : NULL;
	int bad = !out || !in2;
	size_t at = 0, outreq = 0;
	int64_t t0 = -1;
	for (size_t r = 0; r < all->nreqs && !bad; r++) {
		if (!keep[r])
			continue;
		const struct trace_request *q = &all->reqs[r];
		size_t s = sh.shape[r];
		struct trace_rec *w = &out[at];
		for (size_t i = 0; i < q->count && !bad; i++) {
			w[i] = all->recs[q->first + i];
			w[i].request = (int64_t)outreq;
			bad = !(w[i].name = trace__intern(in2, w[i].name, strlen(w[i].name)));
			if (t0 < 0)
				t0 = w[i].submit_ns;
			if (trace_kind_host(w[i].kind))
				continue;
			/* the median GPU duration at this position over the
			 * timed requests of the shape */
			size_t nd = 0;
			for (size_t m = sh.start[s]; m < sh.start[s + 1]; m++) {
				size_t o2 = sh.members[m];
				const struct trace_rec *x = &all->recs[all->reqs[o2].first + i];
				if (qs[logq[o2]].sampled && x->start_ns >= 0)
					dur[nd++] = x->end_ns - x->start_ns;
			}
			/* nd == 0: the event of this command was lost in
			 * every timed request (a buffer drain, a request longer
			 * than HIPSCHED_RECORD_EVENTS) */
			st->untimed_cmds += !nd;
			w[i].start_ns = 0;
			w[i].end_ns = nd ? median(dur, nd) : 0;
		}
		at += q->count;
		outreq++;
	}
	/* rebase and place the GPU intervals after their launches; a request
	 * left out (timed, or of a shape without durations) is cut from the
	 * host timeline, so the next written one starts where it started: the
	 * gap between two written requests is one real gap between requests,
	 * not a whole request more (which made a closed loop's period double) */
	int64_t cut = 0;
	for (size_t r = 0, i = 0; r < all->nreqs && !bad; r++) {
		const struct trace_request *q = &all->reqs[r];
		if (!keep[r]) {
			if (r + 1 < all->nreqs && i > 0)
				cut += all->recs[all->reqs[r + 1].first].submit_ns -
				       all->recs[q->first].submit_ns;
			continue;
		}
		for (size_t e = i + q->count; i < e; i++) {
			out[i].submit_ns -= t0 + cut;
			if (trace_kind_host(out[i].kind)) {
				out[i].start_ns -= t0 + cut;
				out[i].end_ns -= t0 + cut;
			}
		}
	}
	for (size_t r = 0, i = 0; r < outreq && !bad; r++) {
		size_t j = i;
		while (j < at && out[j].request == (int64_t)r)
			j++;
		trace__place_gpu(&out[i], j - i, 0);
		i = j;
	}
	st->nshapes = sh.nshapes;
	st->written = outreq;
	st->timed_written = write_timed;
	free(keep);
	free(dur);
	free(logq);
	trace_shapes_release(&sh);
	trace_free(all);
	all = NULL;
	if (bad) {
		free(out);
		if (in2)
			trace__intern_free(in2);
		goto oom;
	}
	if (!outreq) {
		free(out);
		trace__intern_free(in2);
		trace__fail(err, "%s: no request left (%zu requests, %zu of them warm-up)",
			    path, st->requests, st->warmup);
		goto fail;
	}
	free(qs);
	free(streams);
	log_release(&l);
	return trace__from_recs(path, out, at, in2, err);
oom:
	trace__fail(err, "%s: out of memory", path);
fail:
	free(rows);
	trace_free(all);
	free(qs);
	free(streams);
	log_release(&l);
	return NULL;
}
