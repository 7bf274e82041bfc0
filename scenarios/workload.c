/*
 * The tenant workload model (contract and rules in scenario.h): arrivals,
 * request choice and seeding, one plan per tenant for every backend.
 */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "scenario.h"
#include "trace.h"

struct workload {
	enum arrival_kind kind;
	double mean_gap_ns;        /* periodic / poisson: 1e9 / rate */
	hs_ns *file_ns;            /* ARRIVAL_FILE, non-decreasing */
	size_t nfile;
	gsl_rng *arrivals;         /* the arrival stream's generator */
	uint64_t k;                /* arrivals handed out */
	hs_ns prev_ns;             /* the last one */
	size_t nreqs;
	/* host timing */
	const struct trace *tr;
	int resample;              /* HOST_TIMING_RESAMPLE and a shape with
	                            * more than one request */
	struct trace_shapes shapes;  /* built here (else empty) */
	const struct trace_shapes *sh; /* tr's: &shapes or workload_env's */
	gsl_rng *host;             /* the host-timing stream's generator */
	uint32_t *hreq;            /* per arrival drawn: its host request */
	size_t nhreq, caphreq;
	hs_ns *gap_ns;             /* per trace record: its host gap */
	hs_ns *think_ns;           /* per trace request: end of the previous
	                            * one -> its first row (closed loop) */
	/* timer wake-up of open-loop arrivals */
	int wake;                  /* 0: none, 1: wake_ns, 2: lognormal(mu, sigma) ns */
	double wake_mu, wake_sigma;
	hs_ns wake_ns;
	gsl_rng *wakes;            /* the wake-up stream's generator */
	hs_ns last_wake_ns;        /* of the arrival last handed out */
};

/* Stream tags mixed into a tenant's seed, one per stream of randomness. */
#define STREAM_HOST 0x686f737474696d65ull   /* "hosttime" */
#define STREAM_WAKE 0x77616b656c617465ull   /* "wakelate" */

/* z of the 0.99 quantile of the standard normal: the lognormal fitted to a
 * P50 and a P99 has sigma = ln(P99 / P50) / Z99. */
#define Z99 2.3263478740408408

/* ---- seeds: from the run seed and the tenant's name ---------------------- */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* ---- host timing: gaps and think times (the one definition, scenario.h) */
static int host_tables(struct workload *w, const struct trace *tr, hs_ns lead)
{
	w->gap_ns = calloc(tr->nrecs ? tr->nrecs : 1, sizeof(*w->gap_ns));
	w->think_ns = calloc(tr->nreqs, sizeof(*w->think_ns));
	if (!w->gap_ns || !w->think_ns)
		return HS_ENOMEM;
	double sum = 0;
	hs_ns prev_end = -1;
	for (size_t q = 0; q < tr->nreqs; q++) {
		const struct trace_request *r = &tr->reqs[q];
		hs_ns end = -1;
		for (size_t i = r->first; i < r->first + r->count; i++) {
			const struct trace_rec *b = &tr->recs[i];
			if (i == r->first && b->kind != TRACE_MARKER) {
				/* the tenant's lead: host work before the first
				 * command a trace without a start marker lacks */
				w->gap_ns[i] = lead;
			} else if (i > r->first) {
				const struct trace_rec *a = b - 1;
				int64_t from = a->submit_ns;
				if (a->kind == TRACE_SYNC && a->end_ns > from)
					from = a->end_ns;
				w->gap_ns[i] = b->submit_ns > from ? b->submit_ns - from : 0;
			}
			if (b->end_ns > end)
				end = b->end_ns;
			if (b->submit_ns > end)
				end = b->submit_ns;
		}
		if (q && r->count && prev_end >= 0) {
			/* without a marker the recorded think time holds the
			 * lead, replayed now as the first command's gap */
			int64_t f = tr->recs[r->first].submit_ns -
				    (int64_t)w->gap_ns[r->first];
			w->think_ns[q] = f > prev_end ? f - prev_end : 0;
			sum += (double)w->think_ns[q];
		}
		prev_end = end;
	}
	/* the first request has no predecessor: the others' mean */
	if (tr->nreqs > 1)
		w->think_ns[0] = (hs_ns)llround(sum / (double)(tr->nreqs - 1));
	return HS_OK;
}

/* ---- arrival files: one time in seconds a line, non-decreasing ---------- */
static int read_arrivals(struct workload *w, const char *path, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return SCENARIO_EBAD;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not an arrival file", path);
		fclose(f);
		return SCENARIO_EBAD;
	}
	char line[256];
	size_t cap = 0;
	long ln = 0;
	int rc = HS_OK;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			snprintf(err, errlen, "%s:%ld: line longer than %zu characters",
				 path, ln, sizeof(line) - 2);
			rc = SCENARIO_EBAD;
			break;
		}
		if (w->nfile == SCENARIO_REQUESTS_MAX) {
			snprintf(err, errlen, "%s:%ld: more than %d arrivals, more than "
				 "a run keeps", path, ln, SCENARIO_REQUESTS_MAX);
			rc = SCENARIO_ELIMIT;
			break;
		}
		char *p = line, *end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\r' || *p == '#' || !*p)
			continue;
		errno = 0;
		double v = strtod(p, &end);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || end == p || *end || !isfinite(v) || v < 0 || v > 9e9) {
			snprintf(err, errlen, "%s:%ld: not an arrival time in seconds",
				 path, ln);
			rc = SCENARIO_EBAD;
			break;
		}
		hs_ns ns = (hs_ns)llround(v * 1e9);
		if (w->nfile && ns < w->file_ns[w->nfile - 1]) {
			snprintf(err, errlen, "%s:%ld: arrival times must not decrease",
				 path, ln);
			rc = SCENARIO_EBAD;
			break;
		}
		if (w->nfile == cap) {
			cap = cap ? cap * 2 : 256;
			hs_ns *n = realloc(w->file_ns, cap * sizeof(*n));
			if (!n) {
				rc = HS_ENOMEM;
				snprintf(err, errlen, "%s", hs_strerror(rc));
				break;
			}
			w->file_ns = n;
		}
		w->file_ns[w->nfile++] = ns;
	}
	fclose(f);
	return rc;
}

int workload_create(const struct scenario *sc, size_t tenant, uint64_t seed,
		    const struct trace *tr, const struct workload_env *env,
		    struct workload **out, char *err, size_t errlen)
{
	size_t nreqs = tr->nreqs;
	const struct tenant_spec *sp = &sc->tenants[tenant];
	const char *where = sc->path ? sc->path : "scenario";
	*out = NULL;
	if (!nreqs) {
		snprintf(err, errlen, "%s: trace has no requests",
			 sp->trace_path ? sp->trace_path : sp->name);
		return SCENARIO_EBAD;
	}
	if ((sp->arrival == ARRIVAL_PERIODIC || sp->arrival == ARRIVAL_POISSON) &&
	    !(sp->rate_per_s > 0)) {
		snprintf(err, errlen, "%s:%d: tenant '%s': rate must be > 0",
			 where, sp->line, sp->name);
		return SCENARIO_EBAD;
	}
	if (sp->arrival == ARRIVAL_FILE && !sp->arrival_file) {
		snprintf(err, errlen, "%s:%d: tenant '%s': arrival = file needs "
			 "arrival_file", where, sp->line, sp->name);
		return SCENARIO_EBAD;
	}
	struct workload *w = calloc(1, sizeof(*w));
	int rc = HS_ENOMEM;
	if (!w || !(w->arrivals = gsl_rng_alloc(gsl_rng_mt19937)))
		goto fail_msg;
	w->kind = sp->arrival;
	w->nreqs = nreqs;
	if (sp->rate_per_s > 0)
		w->mean_gap_ns = 1e9 / sp->rate_per_s;
	gsl_rng_set(w->arrivals, (unsigned long)splitmix64(seed ^ fnv1a(sp->name)));
	w->tr = tr;
	if (sp->host_timing == HOST_TIMING_RESAMPLE) {
		if (env && env->shapes) {
			w->sh = env->shapes;
		} else {
			if (trace_shapes_build(tr, &w->shapes))
				goto fail_msg;
			w->sh = &w->shapes;
		}
		w->resample = w->sh->nshapes < nreqs;
		if (w->resample && !(w->host = gsl_rng_alloc(gsl_rng_mt19937)))
			goto fail_msg;
		if (w->host)
			gsl_rng_set(w->host, (unsigned long)splitmix64(
				splitmix64(seed ^ fnv1a(sp->name)) ^ STREAM_HOST));
	}
	if ((rc = host_tables(w, tr, sp->lead_ns)))
		goto fail_msg;
	rc = HS_ENOMEM;
	if (sp->wake_late != WAKE_LATE_NONE && w->kind != ARRIVAL_CLOSED && env &&
	    env->apply_wake_late) {
		if (sp->wake_late == WAKE_LATE_AUTO) {
			if (!(env->wake_late_p50_ns > 0) ||
			    env->wake_late_p99_ns < env->wake_late_p50_ns) {
				snprintf(err, errlen, "%s:%d: tenant '%s': wake_late = auto "
					 "needs the device profile's wake_late_p50_us and "
					 "wake_late_p99_us (p99 >= p50 > 0)", where, sp->line,
					 sp->name);
				rc = SCENARIO_EBAD;
				goto fail;
			}
			w->wake_mu = log((double)env->wake_late_p50_ns);
			w->wake_sigma = log((double)env->wake_late_p99_ns /
					    (double)env->wake_late_p50_ns) / Z99;
		}
		w->wake = sp->wake_late == WAKE_LATE_AUTO ? 2 : 1;
		w->wake_ns = sp->wake_late_ns;
		if (!(w->wakes = gsl_rng_alloc(gsl_rng_mt19937)))
			goto fail_msg;
		gsl_rng_set(w->wakes, (unsigned long)splitmix64(
			splitmix64(seed ^ fnv1a(sp->name)) ^ STREAM_WAKE));
	}
	if (w->kind == ARRIVAL_FILE && (rc = read_arrivals(w, sp->arrival_file, err, errlen)))
		goto fail;
	*out = w;
	return HS_OK;
fail_msg:
	snprintf(err, errlen, "%s", hs_strerror(rc));
fail:
	workload_free(w);
	return rc;
}

void workload_free(struct workload *w)
{
	if (!w)
		return;
	if (w->arrivals)
		gsl_rng_free(w->arrivals);
	if (w->host)
		gsl_rng_free(w->host);
	if (w->wakes)
		gsl_rng_free(w->wakes);
	free(w->gap_ns);
	free(w->think_ns);
	trace_shapes_release(&w->shapes);
	free(w->hreq);
	free(w->file_ns);
	free(w);
}

hs_ns workload_next_arrival(struct workload *w, hs_ns prev_end_ns)
{
	uint64_t k = w->k++;
	hs_ns a = WORKLOAD_NONE;
	switch (w->kind) {
	case ARRIVAL_PERIODIC:
		a = (hs_ns)llround((double)k * w->mean_gap_ns);
		break;
	case ARRIVAL_POISSON:
		a = (k ? w->prev_ns : 0) +
			(hs_ns)llround(gsl_ran_exponential(w->arrivals, w->mean_gap_ns));
		break;
	case ARRIVAL_FILE:
		a = k < w->nfile ? w->file_ns[k] : WORKLOAD_NONE;
		break;
	case ARRIVAL_CLOSED:
		if (k) {
			size_t hq = workload_host_request(w, k);
			hs_ns think = hq == (size_t)-1 ? 0 : w->think_ns[hq];
			a = (prev_end_ns > w->prev_ns ? prev_end_ns : w->prev_ns) + think;
		} else {
			a = 0;
		}
		break;
	}
	if (a != WORKLOAD_NONE)
		w->prev_ns = a;
	w->last_wake_ns = 0;
	if (w->wake && a != WORKLOAD_NONE)
		w->last_wake_ns = w->wake == 2 ?
			(hs_ns)llround(gsl_ran_lognormal(w->wakes, w->wake_mu,
							 w->wake_sigma)) :
			w->wake_ns;
	return a;
}

const struct trace_shapes *workload_shapes(const struct workload *w)
{
	return w->sh;
}

hs_ns workload_wake_late(const struct workload *w)
{
	return w->last_wake_ns;
}

hs_ns workload_gap(const struct workload *w, size_t rec)
{
	return w->gap_ns[rec];
}

int workload_closed(const struct workload *w)
{
	return w->kind == ARRIVAL_CLOSED;
}

size_t workload_request(const struct workload *w, uint64_t k)
{
	return (size_t)(k % w->nreqs);
}

size_t workload_host_request(struct workload *w, uint64_t k)
{
	if (!w->resample)
		return workload_request(w, k);
	while (w->nhreq <= k) {
		if (w->nhreq == w->caphreq) {
			size_t cap = w->caphreq ? w->caphreq * 2 : 1024;
			uint32_t *n = realloc(w->hreq, cap * sizeof(*n));
			if (!n)
				return (size_t)-1;
			w->hreq = n;
			w->caphreq = cap;
		}
		size_t q = workload_request(w, w->nhreq);
		size_t sh = w->sh->shape[q];
		size_t first = w->sh->start[sh], n = w->sh->start[sh + 1] - first;
		size_t pick = n > 1 ? (size_t)gsl_rng_uniform_int(w->host, n) : 0;
		w->hreq[w->nhreq++] = (uint32_t)w->sh->members[first + pick];
	}
	return w->hreq[k];
}
