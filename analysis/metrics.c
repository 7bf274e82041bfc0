/* Metrics of run results, verdicts and reports (definitions in README.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include "analysis.h"

void analysis_lat_stats(double *x, size_t n, struct lat_stats *out)
{
	out->n = n;
	out->ci95_lo_ms = out->ci95_hi_ms = NAN;
	if (n == 0) {
		out->p50_ms = out->p90_ms = out->p99_ms = NAN;
		out->max_ms = out->mean_ms = NAN;
		return;
	}
	static const double q[4] = { 0.50, 0.90, 0.99, 1.0 };
	double p[4];
	run_quantiles(x, n, q, p, 4);
	out->p50_ms = p[0];
	out->p90_ms = p[1];
	out->p99_ms = p[2];
	out->max_ms = p[3];
	out->mean_ms = gsl_stats_mean(x, 1, n);
	if (n >= 2) {
		double sd = gsl_stats_sd_m(x, 1, n, out->mean_ms);
		double h = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
		out->ci95_lo_ms = out->mean_ms - h;
		out->ci95_hi_ms = out->mean_ms + h;
	}
}

int analysis_tenant_metrics(const struct run_result *r, size_t ti,
			    hs_ns slo_ns, struct tenant_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->slo_attainment = m->p99_vs_standalone = m->tput_vs_standalone = NAN;
	m->throughput_rps = NAN;
	analysis_lat_stats(NULL, 0, &m->lat);
	if (ti >= r->ntenants)
		return HS_EINVAL;
	const struct tenant_result *t = &r->t[ti];
	m->present = 1;
	m->requests = t->nreq;
	double *lat = malloc((t->nreq ? t->nreq : 1) * sizeof(*lat));
	if (!lat)
		return HS_ENOMEM;
	size_t met = 0, decided = 0;
	for (size_t i = 0; i < t->nreq; i++) {
		const struct req_record *q = &t->req[i];
		if (q->end_ns >= 0) {
			hs_ns l = q->end_ns - q->arrival_ns;
			lat[m->completed++] = (double)l / 1e6;
			if (q->end_ns <= r->duration_ns)
				m->completed_in_window++;
			if (slo_ns > 0) {
				decided++;
				met += l <= slo_ns;
			}
		} else if (slo_ns > 0 && q->arrival_ns + slo_ns <= r->duration_ns) {
			decided++;     /* still running past its SLO: a miss */
		}
	}
	analysis_lat_stats(lat, m->completed, &m->lat);
	free(lat);
	if (r->duration_ns > 0)
		m->throughput_rps = (double)m->completed_in_window /
				    ((double)r->duration_ns / 1e9);
	if (slo_ns > 0 && decided)
		m->slo_attainment = (double)met / (double)decided;
	return HS_OK;
}

static double ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0)
		return NAN;
	return a / b;
}

void analysis_set_ratios(struct tenant_metrics *m, const struct tenant_metrics *ref)
{
	m->p99_vs_standalone = ratio(m->lat.p99_ms, ref->lat.p99_ms);
	m->tput_vs_standalone = ratio(m->throughput_rps, ref->throughput_rps);
}

/* ---- verdict ------------------------------------------------------------- */

static double measure(const struct scenario *sc, const struct mode_metrics *m,
		      const struct criterion *c)
{
	if (c->kind == CRIT_GPU_UTIL_MIN)
		return m->gpu_util;
	int ti = scenario_tenant_index(sc, c->tenant ? c->tenant : "");
	if (ti < 0 || (size_t)ti >= m->ntenants)
		return NAN;
	const struct tenant_metrics *t = &m->t[ti];
	switch (c->kind) {
	case CRIT_P99_VS_STANDALONE_MAX: return t->p99_vs_standalone;
	case CRIT_TPUT_VS_STANDALONE_MIN: return t->tput_vs_standalone;
	case CRIT_SLO_ATTAINMENT_MIN: return t->slo_attainment;
	case CRIT_P99_MS_MAX: return t->lat.p99_ms;
	default: return NAN;
	}
}

int analysis_verdict(const struct scenario *sc, const struct mode_metrics *m,
		     struct verdict *v)
{
	v->pass = 1;
	v->n = sc->ncrit;
	v->r = calloc(sc->ncrit ? sc->ncrit : 1, sizeof(*v->r));
	if (!v->r)
		return HS_ENOMEM;
	for (size_t i = 0; i < sc->ncrit; i++) {
		const struct criterion *c = &sc->crit[i];
		struct crit_result *cr = &v->r[i];
		cr->c = c;
		cr->measured = measure(sc, m, c);
		if (isnan(cr->measured))
			cr->pass = 0;
		else if (strcmp(criterion_op(c->kind), ">=") == 0)
			cr->pass = cr->measured >= c->value;
		else
			cr->pass = cr->measured <= c->value;
		v->pass &= cr->pass;
	}
	return HS_OK;
}

void analysis_verdict_release(struct verdict *v)
{
	free(v->r);
	memset(v, 0, sizeof(*v));
}

/* ---- reports ---------------------------------------------------------------- */

int report_init(struct report *rep, const struct scenario *sc,
		const char *backend, const char *policy, uint64_t seed,
		hs_ns duration_ns)
{
	memset(rep, 0, sizeof(*rep));
	rep->sc = sc;
	snprintf(rep->backend, sizeof(rep->backend), "%s", backend);
	snprintf(rep->policy, sizeof(rep->policy), "%s", policy);
	rep->seed = seed;
	rep->duration_ns = duration_ns;
	size_t n = sc->ntenants;
	/* zeroed: the run_fn initialises each (see run_fn in scenario.h) */
	rep->standalone = calloc(n ? n : 1, sizeof(*rep->standalone));
	return rep->standalone ? HS_OK : HS_ENOMEM;
}

static void mode_release(struct mode_metrics *m)
{
	free(m->t);
	m->t = NULL;
}

static int mode_alloc(struct mode_metrics *m, const char *mode, const char *policy,
		      size_t n)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->mode, sizeof(m->mode), "%s", mode);
	snprintf(m->policy, sizeof(m->policy), "%s", policy);
	m->gpu_util = NAN;
	analysis_lat_stats(NULL, 0, &m->preempt);
	analysis_lat_stats(NULL, 0, &m->decision_rtt);
	m->ntenants = n;
	m->t = calloc(n ? n : 1, sizeof(*m->t));
	return m->t ? HS_OK : HS_ENOMEM;
}

/* analysis_lat_stats of n spans in ns (v is left as it is). */
static int ns_stats(const hs_ns *v, size_t n, struct lat_stats *out)
{
	double *x = malloc((n ? n : 1) * sizeof(*x));
	if (!x)
		return HS_ENOMEM;
	for (size_t i = 0; i < n; i++)
		x[i] = (double)v[i] / 1e6;
	analysis_lat_stats(x, n, out);
	free(x);
	return HS_OK;
}

static int mode_from_run(struct mode_metrics *m, const struct scenario *sc,
			 const struct run_result *r, const char *mode)
{
	if (mode_alloc(m, mode, r->policy, sc->ntenants))
		return HS_ENOMEM;
	m->duration_ns = r->duration_ns;
	m->kernels = r->kernels_simulated;
	if (r->duration_ns > 0)
		m->gpu_util = (double)r->gpu_busy_ns / (double)r->duration_ns;
	for (size_t i = 0; i < sc->ntenants; i++)   /* HS_EINVAL: not in r */
		if (analysis_tenant_metrics(r, i, sc->tenants[i].slo_ns,
					    &m->t[i]) == HS_ENOMEM)
			return HS_ENOMEM;
	m->decisions = r->serve_suspends + r->serve_resumes;
	if (ns_stats(r->preempt_ns, r->npreempt, &m->preempt) ||
	    ns_stats(r->rtt_ns, r->nrtt, &m->decision_rtt))
		return HS_ENOMEM;
	return HS_OK;
}

int report_analyse(struct report *rep)
{
	const struct scenario *sc = rep->sc;
	size_t n = sc->ntenants;
	if (mode_from_run(&rep->m_native, sc, &rep->native, "native") ||
	    mode_from_run(&rep->m_policy, sc, &rep->pol, "policy") ||
	    mode_alloc(&rep->m_standalone, "standalone", "native", n))
		return HS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct tenant_metrics *ref = &rep->m_standalone.t[i];
		if (analysis_tenant_metrics(&rep->standalone[i], i,
					    sc->tenants[i].slo_ns, ref) == HS_ENOMEM)
			return HS_ENOMEM;
		rep->m_standalone.kernels += rep->standalone[i].kernels_simulated;
		analysis_set_ratios(&rep->m_native.t[i], ref);
		analysis_set_ratios(&rep->m_policy.t[i], ref);
	}
	if (n)
		rep->m_standalone.duration_ns = rep->standalone[0].duration_ns;
	if (analysis_verdict(sc, &rep->m_native, &rep->v_native) ||
	    analysis_verdict(sc, &rep->m_policy, &rep->v_policy))
		return HS_ENOMEM;
	return HS_OK;
}

void report_release(struct report *rep)
{
	if (rep->standalone && rep->sc)
		for (size_t i = 0; i < rep->sc->ntenants; i++)
			run_result_release(&rep->standalone[i]);
	free(rep->standalone);
	rep->standalone = NULL;
	run_result_release(&rep->native);
	run_result_release(&rep->pol);
	mode_release(&rep->m_standalone);
	mode_release(&rep->m_native);
	mode_release(&rep->m_policy);
	analysis_verdict_release(&rep->v_native);
	analysis_verdict_release(&rep->v_policy);
}
