/*
 * `trace info` figures: per-request GPU busy time (union of command
 * intervals), host span and gaps, largest kernels, streams.
 */
#include <stdlib.h>
#include <string.h>
#include "trace_internal.h"

struct ival {
	int64_t s, e;
};

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return (x->e > y->e) - (x->e < y->e);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The GPU interval of a command; host-side rows (sync: the host waiting,
 * marker) occupy no GPU time: an empty interval. */
static struct ival gpu_ival(const struct trace_rec *r)
{
	if (trace_kind_host(r->kind))
		return (struct ival){ r->start_ns, r->start_ns };
	return (struct ival){ r->start_ns, r->end_ns };
}

/* Sorts v in place; returns the length of the union of the intervals. */
static int64_t union_len(struct ival *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ival);
	int64_t total = 0, cs = 0, ce = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || v[i].s > ce) {
			total += ce - cs;
			cs = v[i].s;
			ce = v[i].e;
		} else if (v[i].e > ce) {
			ce = v[i].e;
		}
	}
	return total + (ce - cs);
}

/* a + b, held at the int64 limits instead of wrapping: a sum over up to
 * TRACE_MAX_RECS durations of up to TRACE_TIME_MAX_NS each can exceed
 * them. */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	const struct trace_rec *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int cmp_top(const void *a, const void *b)
{
	const struct trace_kernel_summary *x = a, *y = b;
	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* O(n log n) in the number of records. */
int trace_summarize(const struct trace *t, size_t top_n, struct trace_summary *s)
{
	memset(s, 0, sizeof(*s));
	size_t n = t->nrecs;
	struct ival *iv = malloc((n ? n : 1) * sizeof(*iv));
	int64_t *gaps = malloc((n ? n : 1) * sizeof(*gaps));
	const struct trace_rec **kern = malloc((n ? n : 1) * sizeof(*kern));
	s->streams = malloc((n ? n : 1) * sizeof(*s->streams));
	s->reqs = calloc(t->nreqs ? t->nreqs : 1, sizeof(*s->reqs));
	if (!iv || !gaps || !kern || !s->streams || !s->reqs)
		goto oom;
	s->nrecs = n;
	s->nreqs = t->nreqs;
	int64_t lo = INT64_MAX, hi = 0;
	size_t nk = 0, ngaps = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace_rec *r = &t->recs[i];
		s->nkind[r->kind]++;
		int64_t a = r->submit_ns < r->start_ns ? r->submit_ns : r->start_ns;
		if (a < lo)
			lo = a;
		if (r->end_ns > hi)
			hi = r->end_ns;
		iv[i] = gpu_ival(r);
		s->streams[i] = r->stream;
		if (r->kind == TRACE_KERNEL)
			kern[nk++] = r;
	}
	s->span_ns = n ? hi - lo : 0;
	s->gpu_busy_ns = union_len(iv, n);
	qsort(s->streams, n, sizeof(*s->streams), cmp_i64);
	for (size_t i = 0; i < n; i++)
		if (s->nstreams == 0 || s->streams[i] != s->streams[s->nstreams - 1])
			s->streams[s->nstreams++] = s->streams[i];

	int64_t req_gap_sum = 0, prev_end = 0;
	for (size_t q = 0; q < t->nreqs; q++) {
		const struct trace_request *rq = &t->reqs[q];
		struct trace_req_summary *rs = &s->reqs[q];
		const struct trace_rec *r0 = &t->recs[rq->first];
		int64_t first = INT64_MAX, last_sub = 0, end = 0;
		rs->id = rq->id;
		rs->ncmds = rq->count;
		for (size_t i = 0; i < rq->count; i++) {
			const struct trace_rec *r = &r0[i];
			iv[i] = gpu_ival(r);
			if (r->kind == TRACE_KERNEL) {
				rs->nkernels++;
				rs->kernel_ns = sat_add(rs->kernel_ns,
							r->end_ns - r->start_ns);
			}
			if (r->submit_ns < first)
				first = r->submit_ns;
			if (r->submit_ns > last_sub)
				last_sub = r->submit_ns;
			if (r->end_ns > end)
				end = r->end_ns;
			if (i > 0) {
				int64_t g = r->submit_ns - r0[i - 1].submit_ns;
				gaps[ngaps++] = g < 0 ? 0 : g;
				if (g > rs->max_host_gap_ns)
					rs->max_host_gap_ns = g;
			}
		}
		rs->gpu_busy_ns = union_len(iv, rq->count);
		rs->host_span_ns = last_sub - first;
		rs->span_ns = end - first;
		if (q > 0)
			req_gap_sum = sat_add(req_gap_sum, first - prev_end);
		prev_end = end;
	}
	if (t->nreqs > 1)
		s->req_gap_mean_ns = req_gap_sum / (int64_t)(t->nreqs - 1);
	if (ngaps) {
		qsort(gaps, ngaps, sizeof(*gaps), cmp_i64);
		s->host_gap_p50_ns = gaps[ngaps / 2];
		s->host_gap_max_ns = gaps[ngaps - 1];
	}

	qsort(kern, nk, sizeof(*kern), cmp_name);
	size_t nd = 0;
	for (size_t i = 0; i < nk; i++)
		if (i == 0 || strcmp(kern[i]->name, kern[i - 1]->name) != 0)
			nd++;
	s->top = calloc(nd ? nd : 1, sizeof(*s->top));
	if (!s->top)
		goto oom;
	for (size_t i = 0, d = 0; i < nk; i++) {
		if (i > 0 && strcmp(kern[i]->name, kern[i - 1]->name) != 0)
			d++;
		struct trace_kernel_summary *k = &s->top[d];
		int64_t dur = kern[i]->end_ns - kern[i]->start_ns;
		k->name = kern[i]->name;
		k->count++;
		k->total_ns = sat_add(k->total_ns, dur);
		if (dur > k->max_ns)
			k->max_ns = dur;
	}
	qsort(s->top, nd, sizeof(*s->top), cmp_top);
	s->ntop = nd < top_n ? nd : top_n;
	free(iv);
	free(gaps);
	free(kern);
	return 0;
oom:
	free(iv);
	free(gaps);
	free(kern);
	trace_summary_release(s);
	return HS_ENOMEM;
}

void trace_summary_release(struct trace_summary *s)
{
	free(s->streams);
	free(s->reqs);
	free(s->top);
	memset(s, 0, sizeof(*s));
}
