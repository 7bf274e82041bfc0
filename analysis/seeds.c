/*
 * Figures over seeds: the same scenario run under seeds s, s+1, ...; per
 * tenant and mode the mean of P50, P99 and throughput with a 95 %
 * confidence interval (contract in analysis.h).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"

static const char *const metric_key[SEEDS_NMETRIC] = {
	[SEEDS_P50] = "p50_ms", [SEEDS_P99] = "p99_ms", [SEEDS_TPUT] = "throughput_rps",
};
static const char *const mode_key[SEEDS_NMODE] = { "standalone", "native", "policy" };

static double *cell(const struct seeds *s, int mode, size_t t, int metric)
{
	return &s->x[(((size_t)mode * s->ntenants + t) * SEEDS_NMETRIC + (size_t)metric) *
		     s->nseeds];
}

int analysis_seeds_init(struct seeds *s, size_t ntenants, size_t nseeds,
			uint64_t first_seed)
{
	memset(s, 0, sizeof(*s));
	s->x = calloc(SEEDS_NMODE * (ntenants ? ntenants : 1) * SEEDS_NMETRIC *
		      (nseeds ? nseeds : 1), sizeof(*s->x));
	if (!s->x)
		return HS_ENOMEM;
	s->ntenants = ntenants;
	s->nseeds = nseeds;
	s->first_seed = first_seed;
	return HS_OK;
}

void analysis_seeds_release(struct seeds *s)
{
	free(s->x);
	memset(s, 0, sizeof(*s));
}

int analysis_seeds_add(struct seeds *s, const struct report *rep)
{
	if (s->nadded >= s->nseeds || rep->sc->ntenants != s->ntenants)
		return HS_EINVAL;
	const struct mode_metrics *m[SEEDS_NMODE] = {
		&rep->m_standalone, &rep->m_native, &rep->m_policy,
	};
	for (int k = 0; k < SEEDS_NMODE; k++)
		for (size_t t = 0; t < s->ntenants; t++) {
			const struct tenant_metrics *tm = &m[k]->t[t];
			cell(s, k, t, SEEDS_P50)[s->nadded] = tm->lat.p50_ms;
			cell(s, k, t, SEEDS_P99)[s->nadded] = tm->lat.p99_ms;
			cell(s, k, t, SEEDS_TPUT)[s->nadded] = tm->throughput_rps;
		}
	s->npass += rep->v_policy.pass;
	s->nadded++;
	return HS_OK;
}

void analysis_seed_stat(const double *x, size_t n, struct seed_stat *out)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));
	size_t m = 0;
	memset(out, 0, sizeof(*out));
	out->mean = out->ci95_lo = out->ci95_hi = out->min = out->max = NAN;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			v[m++] = x[i];
	/* one formula for a mean's interval: analysis_lat_stats' Student t */
	struct lat_stats l;
	analysis_lat_stats(v, m, &l);
	out->n = m;
	out->mean = l.mean_ms;
	out->ci95_lo = l.ci95_lo_ms;
	out->ci95_hi = l.ci95_hi_ms;
	if (m) {
		out->min = v[0];         /* sorted by analysis_lat_stats */
		out->max = v[m - 1];
	}
	free(v);
}

void analysis_seeds_stat(const struct seeds *s, int mode, size_t tenant,
			 int metric, struct seed_stat *out)
{
	analysis_seed_stat(cell(s, mode, tenant, metric), s->nadded, out);
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *analysis_seeds_json(const struct seeds *s, const struct scenario *sc)
{
	json_t *tenants = json_array();
	for (size_t t = 0; t < s->ntenants; t++) {
		json_t *o = json_pack("{ss}", "name", sc->tenants[t].name);
		for (int k = 0; k < SEEDS_NMODE; k++) {
			json_t *mo = json_object();
			for (int q = 0; q < SEEDS_NMETRIC; q++) {
				struct seed_stat st;
				analysis_seeds_stat(s, k, t, q, &st);
				json_t *vals = json_array();
				const double *x = cell(s, k, t, q);
				for (size_t i = 0; i < s->nadded; i++)
					json_array_append_new(vals, num(x[i]));
				json_object_set_new(mo, metric_key[q], json_pack(
					"{so s[oo] so so so}", "mean", num(st.mean),
					"ci95", num(st.ci95_lo), num(st.ci95_hi),
					"min", num(st.min), "max", num(st.max),
					"values", vals));
			}
			json_object_set_new(o, mode_key[k], mo);
		}
		json_array_append_new(tenants, o);
	}
	json_t *first = s->first_seed <= (uint64_t)INT64_MAX ?
		json_integer((json_int_t)s->first_seed) : json_real((double)s->first_seed);
	return json_pack("{so sI sI so}", "first", first, "n", (json_int_t)s->nadded,
			 "verdict_pass", (json_int_t)s->npass, "tenants", tenants);
}
