/*
 * Host times from an unprofiled run (`trace import --host-times`): the GPU
 * side (commands, order, durations) of a profiled trace, the host side
 * (launch call times, request boundaries) of a timing taken without the
 * profiler. Format of TIMES.csv and the model: trace.h and
 * traces/README.md.
 */
#include <stdlib.h>
#include <string.h>
#include "trace_internal.h"

/* One request of TIMES.csv: its wall interval (per-request form) or its
 * rows (per-command form: rows[first .. first + count)). */
struct times_req {
	int64_t id;
	int64_t start_ns, end_ns;  /* per-request form */
	size_t first, count;       /* per-command form, into rows */
	long line;                 /* where it starts */
};
struct times_row {
	int64_t seq, submit_ns, return_ns;  /* return_ns -1: absent */
	long line;
};
struct times {
	int per_command;
	struct times_req *reqs;
	size_t nreqs, capreqs;
	struct times_row *rows;
	size_t nrows, caprows;
};

static void times_release(struct times *t)
{
	free(t->reqs);
	free(t->rows);
}

enum { C_REQUEST, C_START, C_END, C_SEQ, C_SUBMIT, C_RETURN, C_NCOLS };
static const char *const colname[C_NCOLS] = {
	"request", "start_ns", "end_ns", "seq", "submit_ns", "return_ns",
};

static int field_i64(const char *path, long line, const char *col,
		     const char *s, int64_t *v, struct trace_err *err)
{
	if (trace__parse_i64(s, v) < 0 || *v < 0)
		return trace__fail(err, "%s:%ld: %s: not a non-negative integer: '%s'",
				   path, line, col, s);
	return 0;
}

/* Reads TIMES.csv whole (it is small: one row per request or per launch). */
static int times_read(const char *path, struct times *t, struct trace_err *err)
{
	struct trace_csvrows *r = trace__csvrows_open(path, err);
	if (!r)
		return -1;
	char **f;
	size_t nf;
	long line;
	int col[C_NCOLS], rc = trace__csvrows_next(r, &f, &nf, &line, err);
	if (rc <= 0) {
		if (rc == 0)
			trace__fail(err, "%s:1: empty file (expected a header "
				    "request,start_ns,end_ns or request,seq,submit_ns)", path);
		goto fail;
	}
	for (int c = 0; c < C_NCOLS; c++)
		col[c] = -1;
	for (size_t i = 0; i < nf; i++) {
		int c = 0;
		while (c < C_NCOLS && strcmp(f[i], colname[c]))
			c++;
		if (c == C_NCOLS || col[c] >= 0) {
			trace__fail(err, "%s:%ld: %s column '%s'", path, line,
				    c == C_NCOLS ? "unknown" : "repeated", f[i]);
			goto fail;
		}
		col[c] = (int)i;
	}
	int per_req = col[C_START] >= 0 && col[C_END] >= 0 && col[C_SEQ] < 0 &&
		col[C_SUBMIT] < 0 && col[C_RETURN] < 0;
	int per_cmd = col[C_SEQ] >= 0 && col[C_SUBMIT] >= 0 && col[C_START] < 0 &&
		col[C_END] < 0;
	if (col[C_REQUEST] < 0 || (!per_req && !per_cmd)) {
		trace__fail(err, "%s:%ld: header must be request,start_ns,end_ns (one "
			    "row per request) or request,seq,submit_ns[,return_ns] "
			    "(one row per command)", path, line);
		goto fail;
	}
	t->per_command = per_cmd;
	while ((rc = trace__csvrows_next(r, &f, &nf, &line, err)) > 0) {
		int64_t v[C_NCOLS] = { 0 };
		v[C_RETURN] = -1;
		if (nf != (size_t)(per_req ? 3 : 3 + (col[C_RETURN] >= 0))) {
			trace__fail(err, "%s:%ld: %zu fields, the header has %zu", path,
				    line, nf, (size_t)(per_req ? 3 : 3 + (col[C_RETURN] >= 0)));
			goto fail;
		}
		for (int c = 0; c < C_NCOLS; c++)
			if (col[c] >= 0 && !(c == C_RETURN && !*f[col[c]]) &&
			    field_i64(path, line, colname[c], f[col[c]], &v[c], err))
				goto fail;
		struct times_req *last = t->nreqs ? &t->reqs[t->nreqs - 1] : NULL;
		if (!last || last->id != v[C_REQUEST]) {
			if (last && v[C_REQUEST] < last->id) {
				trace__fail(err, "%s:%ld: request %lld after request %lld "
					    "(requests must ascend)", path, line,
					    (long long)v[C_REQUEST], (long long)last->id);
				goto fail;
			}
			if (hs_grow((void **)&t->reqs, &t->capreqs, t->nreqs, sizeof(*t->reqs)))
				goto oom;
			last = &t->reqs[t->nreqs++];
			*last = (struct times_req){ .id = v[C_REQUEST], .first = t->nrows,
						    .line = line };
			if (per_req) {
				last->start_ns = v[C_START];
				last->end_ns = v[C_END];
				if (v[C_END] < v[C_START]) {
					trace__fail(err, "%s:%ld: end_ns before start_ns",
						    path, line);
					goto fail;
				}
				if (t->nreqs > 1 && v[C_START] < t->reqs[t->nreqs - 2].start_ns) {
					trace__fail(err, "%s:%ld: start_ns before the previous "
						    "request's", path, line);
					goto fail;
				}
				continue;
			}
		} else if (per_req) {
			trace__fail(err, "%s:%ld: request %lld given twice", path, line,
				    (long long)v[C_REQUEST]);
			goto fail;
		}
		if (hs_grow((void **)&t->rows, &t->caprows, t->nrows, sizeof(*t->rows)))
			goto oom;
		if (v[C_RETURN] >= 0 && v[C_RETURN] < v[C_SUBMIT]) {
			trace__fail(err, "%s:%ld: return_ns before submit_ns", path, line);
			goto fail;
		}
		t->rows[t->nrows++] = (struct times_row){ .seq = v[C_SEQ],
			.submit_ns = v[C_SUBMIT], .return_ns = v[C_RETURN], .line = line };
		last->count++;
	}
	if (rc < 0)
		goto fail;
	if (!t->nreqs) {
		trace__fail(err, "%s:%ld: no requests", path, trace__csvrows_lines(r));
		goto fail;
	}
	trace__csvrows_close(r);
	return 0;
oom:
	trace__fail(err, "%s: out of memory", path);
fail:
	trace__csvrows_close(r);
	return -1;
}

/* Host gap before record i of a request (the simulator's rule, sim/MODEL.md:
 * from the previous launch call, or from the return of a previous sync). */
static int64_t gap_before(const struct trace_rec *a, const struct trace_rec *b)
{
	int64_t from = a->submit_ns;
	if (a->kind == TRACE_SYNC && a->end_ns > from)
		from = a->end_ns;
	return b->submit_ns > from ? b->submit_ns - from : 0;
}

/* Takes `total` ns out of the gaps g[1..k), none below 0, spread evenly
 * over the gaps that still have time (water filling). Returns what was
 * taken (< total only when the gaps hold less). */
static int64_t shrink_gaps(int64_t *g, size_t k, int64_t total)
{
	int64_t taken = 0;
	while (taken < total) {
		size_t open = 0;
		for (size_t i = 1; i < k; i++)
			open += g[i] > 0;
		if (!open)
			break;
		int64_t each = (total - taken) / (int64_t)open;
		if (each < 1)
			each = 1;
		for (size_t i = 1; i < k && taken < total; i++) {
			int64_t d = g[i] < each ? g[i] : each;
			g[i] -= d;
			taken += d;
		}
	}
	return taken;
}

/* Contract in trace_internal.h. O(k x streams). */
void trace__place_gpu(struct trace_rec *out, size_t k, int64_t lat_ns)
{
	for (size_t i = 0; i < k; i++) {
		struct trace_rec *r = &out[i];
		if (trace_kind_host(r->kind))
			continue;
		int64_t dur = r->end_ns - r->start_ns, at = r->submit_ns + lat_ns;
		for (size_t j = i; j-- > 0;)
			if (out[j].stream == r->stream && !trace_kind_host(out[j].kind)) {
				if (out[j].end_ns > at)
					at = out[j].end_ns;
				break;
			}
		r->start_ns = at;
		r->end_ns = at + dur;
	}
}

struct trace *trace_host_times(const struct trace *prof, const char *times_path,
			       struct trace_host_times_stats *st,
			       struct trace_err *err)
{
	struct trace_host_times_stats st0;
	struct times tm = { 0 };
	struct trace_rec *recs = NULL;
	int64_t *g = NULL;
	struct trace_intern *names = NULL;
	if (!st)
		st = &st0;
	memset(st, 0, sizeof(*st));
	if (!prof->nreqs) {
		trace__fail(err, "%s: the profiled trace has no requests", prof->path);
		return NULL;
	}
	if (times_read(times_path, &tm, err)) {
		times_release(&tm);
		return NULL;
	}
	/* smallest launch-to-start latency of the profile */
	int64_t lat = -1;
	size_t maxk = 1;
	for (size_t i = 0; i < prof->nrecs; i++) {
		const struct trace_rec *r = &prof->recs[i];
		if (!trace_kind_host(r->kind) && r->start_ns >= r->submit_ns &&
		    (lat < 0 || r->start_ns - r->submit_ns < lat))
			lat = r->start_ns - r->submit_ns;
	}
	for (size_t q = 0; q < prof->nreqs; q++)
		if (prof->reqs[q].count > maxk)
			maxk = prof->reqs[q].count;
	size_t nrecs = 0;
	for (size_t j = 0; j < tm.nreqs; j++)
		nrecs += prof->reqs[j % prof->nreqs].count;
	recs = malloc((nrecs ? nrecs : 1) * sizeof(*recs));
	g = malloc(maxk * sizeof(*g));
	names = trace__intern_new();
	if (!recs || !g || !names)
		goto oom;
	int64_t t0 = tm.per_command ? tm.rows[0].submit_ns : tm.reqs[0].start_ns;
	for (size_t j = 0; j < tm.nreqs; j++)
		if (tm.per_command)
			for (size_t i = 0; i < tm.reqs[j].count; i++)
				if (tm.rows[tm.reqs[j].first + i].submit_ns < t0)
					t0 = tm.rows[tm.reqs[j].first + i].submit_ns;
	double removed_sum = 0;
	size_t removed_n = 0, at = 0;
	for (size_t j = 0; j < tm.nreqs; j++) {
		const struct times_req *tq = &tm.reqs[j];
		const struct trace_request *pq = &prof->reqs[j % prof->nreqs];
		const struct trace_rec *src = &prof->recs[pq->first];
		struct trace_rec *out = &recs[at];
		size_t k = pq->count;
		for (size_t i = 0; i < k; i++) {
			out[i] = src[i];
			out[i].request = (int64_t)j;
			out[i].name = trace__intern(names, src[i].name ? src[i].name : "",
						    strlen(src[i].name ? src[i].name : ""));
			if (!out[i].name)
				goto oom;
		}
		if (tm.per_command) {
			if (tq->count != k) {
				trace__fail(err, "%s:%ld: request %lld has %zu commands, the "
					    "profiled request %zu it stands for has %zu",
					    times_path, tq->line, (long long)tq->id, tq->count,
					    (size_t)(j % prof->nreqs), k);
				goto fail;
			}
			for (size_t i = 0; i < k; i++)
				g[i] = -1;
			for (size_t i = 0; i < k; i++) {
				const struct times_row *w = &tm.rows[tq->first + i];
				if (w->seq >= (int64_t)k || g[w->seq] >= 0) {
					trace__fail(err, "%s:%ld: seq %lld %s", times_path,
						    w->line, (long long)w->seq, w->seq >= (int64_t)k ?
						    "beyond the profiled request's commands" :
						    "given twice");
					goto fail;
				}
				g[w->seq] = (int64_t)(tq->first + i);
			}
			for (size_t i = 0; i < k; i++) {
				const struct times_row *w = &tm.rows[g[i]];
				int64_t wait = src[i].end_ns - src[i].submit_ns;
				out[i].submit_ns = w->submit_ns - t0;
				if (out[i].kind == TRACE_SYNC) {
					out[i].start_ns = out[i].submit_ns;
					out[i].end_ns = w->return_ns >= 0 ? w->return_ns - t0 :
						out[i].submit_ns + wait;
				}
			}
		} else {
			/* the profiled request's wall span against the unprofiled
			 * one: the difference is host time (the profiler does not
			 * slow the GPU), taken evenly off the launch gaps */
			int64_t last = src[0].submit_ns;
			for (size_t i = 0; i < k; i++)
				if (src[i].end_ns > last)
					last = src[i].end_ns;
			int64_t delta = (last - src[0].submit_ns) - (tq->end_ns - tq->start_ns);
			g[0] = 0;
			for (size_t i = 1; i < k; i++)
				g[i] = gap_before(&src[i - 1], &src[i]);
			if (k > 1) {
				if (delta > 0) {
					delta = shrink_gaps(g, k, delta);
				} else {
					int64_t add = -delta / (int64_t)(k - 1);
					for (size_t i = 1; i < k; i++)
						g[i] += add;
					delta = -add * (int64_t)(k - 1);
				}
				removed_sum += (double)delta / (double)(k - 1);
				removed_n++;
			}
			for (size_t i = 0; i < k; i++) {
				int64_t from = tq->start_ns - t0;
				if (i) {
					from = out[i - 1].submit_ns;
					if (out[i - 1].kind == TRACE_SYNC)
						from = out[i - 1].end_ns;
				}
				int64_t wait = src[i].end_ns - src[i].submit_ns;
				out[i].submit_ns = from + g[i];
				if (out[i].kind == TRACE_SYNC) {
					out[i].start_ns = out[i].submit_ns;
					out[i].end_ns = out[i].submit_ns + wait;
				}
			}
		}
		trace__place_gpu(out, k, lat > 0 ? lat : 0);
		at += k;
	}
	st->per_command = tm.per_command;
	st->nreqs = tm.nreqs;
	st->src_reqs = prof->nreqs;
	st->removed_per_gap_ns = removed_n ? removed_sum / (double)removed_n : 0;
	times_release(&tm);
	free(g);
	return trace__from_recs(times_path, recs, nrecs, names, err);
oom:
	trace__fail(err, "%s: out of memory", times_path);
fail:
	times_release(&tm);
	free(recs);
	free(g);
	if (names)
		trace__intern_free(names);
	return NULL;
}
