/* Run results: growable per-tenant request records (see scenario.h). */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "scenario.h"

int run_result_init(struct run_result *r, size_t ntenants)
{
	memset(r, 0, sizeof(*r));
	r->t = calloc(ntenants ? ntenants : 1, sizeof(*r->t));
	if (!r->t)
		return HS_ENOMEM;
	r->ntenants = ntenants;
	return HS_OK;
}

void run_result_release(struct run_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntenants && r->t; i++)
		free(r->t[i].req);
	free(r->t);
	free(r->preempt_ns);
	free(r->rtt_ns);
	memset(r, 0, sizeof(*r));
}

int run_result_add_req(struct run_result *r, size_t tenant,
		       const struct req_record *rec)
{
	if (tenant >= r->ntenants)
		return HS_EINVAL;
	struct tenant_result *t = &r->t[tenant];
	if (r->nreq_all >= SCENARIO_REQUESTS_MAX)
		return SCENARIO_ELIMIT;
	if (hs_grow((void **)&t->req, &t->cap, t->nreq, sizeof(*t->req)))
		return HS_ENOMEM;
	t->req[t->nreq++] = *rec;
	r->nreq_all++;
	return HS_OK;
}

int run_result_add_preempt(struct run_result *r, hs_ns lat_ns)
{
	if (hs_grow((void **)&r->preempt_ns, &r->preempt_cap, r->npreempt,
		    sizeof(*r->preempt_ns)))
		return HS_ENOMEM;
	r->preempt_ns[r->npreempt++] = lat_ns;
	return HS_OK;
}

size_t scenario_policy_params(const struct scenario *sc, const char *policy,
			      const struct hs_param **out)
{
	*out = NULL;
	if (!sc->policy || !policy || strcmp(sc->policy, policy) != 0)
		return 0;
	*out = sc->params;
	return sc->nparams;
}

int run_result_add_rtt(struct run_result *r, hs_ns rtt_ns)
{
	if (hs_grow((void **)&r->rtt_ns, &r->rtt_cap, r->nrtt, sizeof(*r->rtt_ns)))
		return HS_ENOMEM;
	r->rtt_ns[r->nrtt++] = rtt_ns;
	return HS_OK;
}

void run_quantiles(double *v, size_t n, const double *q, double *out, size_t nq)
{
	if (n)
		gsl_sort(v, 1, n);
	for (size_t i = 0; i < nq; i++)
		out[i] = n ? gsl_stats_quantile_from_sorted_data(v, 1, n, q[i]) : NAN;
}
