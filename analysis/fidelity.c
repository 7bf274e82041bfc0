/*
 * Fidelity: a real run's figures next to the simulator's prediction of the
 * same test (contract and the choice of figures in analysis.h; the files
 * in analysis/README.md, "Fidelity").
 *
 * Both sides are summary.json documents of the one layout (analysis/
 * README.md): the real one from hw/bench/pytorch_plan.py (or `hipsched
 * hw`), the simulator's from `hipsched sim`. A figure of a run is read from
 * its tenant entry (policy run), the entry's "native" or "standalone"
 * object; the simulator's, when it ran under several seeds, from "seeds"
 * (per-seed values), so it comes with a confidence interval.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "analysis.h"
#include "analysis_internal.h"

static const char *const mode_key[SEEDS_NMODE] = { "standalone", "native", "policy" };
/* summary.json's names of a figure: in a mode's object, in "seeds" */
static const struct {
	const char *path, *seeds, *label, *fmt;
} fig[FID_NMETRIC] = {
	[FID_P50] = { "latency_ms.p50", "p50_ms", "P50 ms", "%.3f" },
	[FID_P99] = { "latency_ms.p99", "p99_ms", "P99 ms", "%.3f" },
	[FID_TPUT] = { "throughput_rps", "throughput_rps", "req/s", "%.2f" },
	[FID_P99_RATIO] = { "p99_vs_standalone", NULL, "P99 / alone", "%.3f" },
	[FID_TPUT_RATIO] = { "throughput_vs_standalone", NULL, "req/s / alone", "%.3f" },
};
/* the figure each ratio divides by its standalone value */
static const int ratio_of[FID_NMETRIC] = {
	[FID_P50] = -1, [FID_P99] = -1, [FID_TPUT] = -1,
	[FID_P99_RATIO] = FID_P99, [FID_TPUT_RATIO] = FID_TPUT,
};

static int bad(char *err, size_t errlen, const char *file, const char *fmt,
	       const char *a, const char *b)
{
	char what[2400];
	snprintf(what, sizeof(what), fmt, a, b);
	snprintf(err, errlen, "%s: %s", file, what);
	return ANALYSIS_EBAD;
}

static json_t *tenant_of(json_t *doc, const char *name)
{
	return analysis__named(json_object_get(doc, "tenants"), name);
}

/* The object of mode k in tenant entry t: t itself for the policy run;
 * NULL when the run has no such mode. */
static json_t *mode_obj(json_t *t, int k)
{
	if (k == SEEDS_POLICY)
		return t;
	json_t *o = json_object_get(t, mode_key[k]);
	return json_is_object(o) ? o : NULL;
}

/* A figure at a dotted path of o: 0 with *v (NAN for null or an absent
 * leaf, or when o is NULL), -1 for a value that is not a number. */
static int figure_at(json_t *o, const char *path, double *v)
{
	*v = NAN;
	o = o ? analysis__at_path(o, path) : NULL;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_number(o))
		return -1;
	*v = json_number_value(o);
	return 0;
}

/* The real run's own 95 % interval of a figure at `path` of o: its
 * PATH_ci95 sibling, [lo, hi] (pytorch_plan.py writes one for P99 /
 * alone). 0 with both NAN when absent or null, -1 when it is not two
 * numbers. */
static int interval_at(json_t *o, const char *path, double *lo, double *hi)
{
	char key[96];
	snprintf(key, sizeof(key), "%s_ci95", path);
	*lo = *hi = NAN;
	json_t *a = o ? analysis__at_path(o, key) : NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) != 2 ||
	    !json_is_number(json_array_get(a, 0)) || !json_is_number(json_array_get(a, 1)))
		return -1;
	*lo = json_number_value(json_array_get(a, 0));
	*hi = json_number_value(json_array_get(a, 1));
	return 0;
}

/* Checks one run's tenant entries: named, with the policy run's figures
 * and mode objects of the right type. */
static int check_doc(json_t *doc, const char *file, char *err, size_t errlen)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(doc, "tenants"), i, t) {
		const char *n = json_string_value(json_object_get(t, "name"));
		if (!json_is_object(t) || !n || !*n) {
			char idx[32];
			snprintf(idx, sizeof(idx), "%zu", i);
			return bad(err, errlen, file, "tenants[%s]: no \"name\"%s", idx, "");
		}
		if (!json_is_object(json_object_get(t, "latency_ms")) ||
		    !json_object_get(t, "throughput_rps"))
			return bad(err, errlen, file, "tenant '%s': no \"latency_ms\" "
				   "object or \"throughput_rps\"%s", n, "");
		for (int k = 0; k < SEEDS_NMODE; k++) {
			json_t *m = json_object_get(t, mode_key[k]);
			if (k != SEEDS_POLICY && m && !json_is_object(m) && !json_is_null(m))
				return bad(err, errlen, file, "tenant '%s': \"%s\" is not "
					   "an object", n, mode_key[k]);
			for (int q = 0; q < FID_NMETRIC; q++) {
				double v, hi;
				int num = figure_at(mode_obj(t, k), fig[q].path, &v);
				if (num || interval_at(mode_obj(t, k), fig[q].path, &v, &hi)) {
					char what[200];
					snprintf(what, sizeof(what), "%s%s%s%s is not %s", k == SEEDS_POLICY ?
						 "" : mode_key[k], k == SEEDS_POLICY ? "" : ".",
						 fig[q].path, num ? "" : "_ci95",
						 num ? "a number" : "[lo, hi], two numbers");
					return bad(err, errlen, file, "tenant '%s': %s", n, what);
				}
			}
		}
	}
	return 0;
}

/* The simulator's per-seed values of metric q (not a ratio) of tenant
 * `name` in mode k, from "seeds"; 0 with *n values into x (at most cap),
 * 1 when the run has no "seeds" for the tenant, -1 for a bad value. */
static int seed_values(json_t *doc, const char *name, int k, int q, double *x,
		       size_t cap, size_t *n)
{
	json_t *found = analysis__named(analysis__at_path(doc, "seeds.tenants"), name);
	json_t *vals = json_object_get(json_object_get(json_object_get(found,
			mode_key[k]), fig[q].seeds), "values");
	if (!json_is_array(vals))
		return 1;
	size_t i;
	json_t *v;
	*n = 0;
	json_array_foreach(vals, i, v) {
		if (*n == cap)
			break;
		if (json_is_null(v))
			x[(*n)++] = NAN;
		else if (json_is_number(v))
			x[(*n)++] = json_number_value(v);
		else
			return -1;
	}
	return 0;
}

/* The simulator's statistic of figure q of tenant `name` in mode k: over
 * its seeds when it has them (a ratio per seed), else its one value. */
static int sim_figure(json_t *doc, json_t *t, const char *name, int k, int q,
		      struct seed_stat *out, char *why, size_t whylen)
{
	json_int_t ns = json_integer_value(analysis__at_path(doc, "seeds.n"));
	size_t cap = ns > 0 && ns <= 1000000 ? (size_t)ns : 0;
	int base = ratio_of[q] < 0 ? q : ratio_of[q];
	double *x = cap ? calloc(2 * cap, sizeof(*x)) : NULL;
	size_t n = 0, nref = 0;
	int rc = cap && x ? seed_values(doc, name, k, base, x, cap, &n) : 1;
	if (rc == 0 && ratio_of[q] >= 0) {
		rc = seed_values(doc, name, SEEDS_STANDALONE, base, x + cap, cap, &nref);
		if (rc == 0 && nref != n)
			rc = -1;
		for (size_t i = 0; rc == 0 && i < n; i++)
			x[i] = x[cap + i] != 0 ? x[i] / x[cap + i] : NAN;
	}
	if (rc < 0) {
		snprintf(why, whylen, "seeds: tenant '%s': %s.%s values are not "
			 "numbers (or not one per seed)", name, mode_key[k], fig[base].seeds);
		free(x);
		return -1;
	}
	if (rc == 0) {
		analysis_seed_stat(x, n, out);
		free(x);
		return 0;
	}
	free(x);
	/* one run: its own figure, no interval */
	double v;
	figure_at(mode_obj(t, k), fig[q].path, &v);   /* checked by check_doc */
	double one[1] = { v };
	analysis_seed_stat(one, 1, out);
	return 0;
}

static void add_warn(struct fid_table *t, const char *fmt, const char *a,
		     const char *b)
{
	size_t l = strlen(t->warn);
	if (l && l + 2 < sizeof(t->warn)) {
		snprintf(t->warn + l, sizeof(t->warn) - l, "; ");
		l += 2;
	}
	snprintf(t->warn + l, sizeof(t->warn) - l, fmt, a, b);
}

static void text_of(json_t *doc, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(doc, key));
	snprintf(out, len, "%s", s ? s : "?");
}

int analysis_fidelity_real_path(const char *real, const char *policy, char *out,
				size_t outlen, char *err, size_t errlen)
{
	struct stat st;
	if (stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(out, outlen, "%s", real);
		return 0;
	}
	snprintf(out, outlen, "%s/summary.json", real);
	if (stat(out, &st) == 0)
		return 0;
	snprintf(out, outlen, "%s/%s/summary.json", real, policy ? policy : "");
	if (policy && *policy && stat(out, &st) == 0)
		return 0;
	/* name the runs that are there (a folder of variants: hpf_t64/, ...) */
	char runs[256] = "";
	DIR *d = opendir(real);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		size_t l = strlen(runs);
		if (de->d_name[0] == '.' || (size_t)snprintf(p, sizeof(p), "%s/%s/summary.json",
							      real, de->d_name) >= sizeof(p) ||
		    stat(p, &st) || l + strlen(de->d_name) + 3 >= sizeof(runs))
			continue;
		snprintf(runs + l, sizeof(runs) - l, "%s%s/", l ? ", " : "", de->d_name);
	}
	if (d)
		closedir(d);
	snprintf(err, errlen, "%s: no summary.json there%s%s%s (a run directory "
		 "of hw/bench/pytorch_plan.py, its output folder, or a summary.json)%s%s",
		 real, policy && *policy ? " nor in " : "", policy && *policy ? policy : "",
		 policy && *policy ? "/" : "", runs[0] ? "; runs there: " : "", runs);
	return ANALYSIS_EBAD;
}

static void file_of(const char *path, char *out, size_t len)
{
	struct stat st;
	size_t pl = strlen(path);
	if ((stat(path, &st) == 0 && S_ISREG(st.st_mode)) ||
	    (pl > 5 && strcmp(path + pl - 5, ".json") == 0))
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%s/summary.json", path);
}

int analysis_fidelity(const char *real, const char *sim, int all,
		      struct fid_table *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	file_of(sim, t->sim_file, sizeof(t->sim_file));
	json_t *s = analysis_summary_load(sim, err, errlen), *r = NULL;
	if (!s)
		return ANALYSIS_EBAD;
	text_of(s, "policy", t->sim_policy, sizeof(t->sim_policy));
	int rc = ANALYSIS_EBAD;
	if (analysis_fidelity_real_path(real, t->sim_policy, t->real_file,
					sizeof(t->real_file), err, errlen) ||
	    !(r = analysis_summary_load(t->real_file, err, errlen)) ||
	    check_doc(r, t->real_file, err, errlen) ||
	    check_doc(s, t->sim_file, err, errlen))
		goto out;
	text_of(r, "scenario", t->test, sizeof(t->test));
	text_of(r, "policy", t->real_policy, sizeof(t->real_policy));
	text_of(s, "scenario", t->sim_scenario, sizeof(t->sim_scenario));
	text_of(s, "device", t->device, sizeof(t->device));
	figure_at(r, "duration_s", &t->real_duration_s);
	figure_at(s, "duration_s", &t->sim_duration_s);
	json_t *sn = json_object_get(json_object_get(s, "seeds"), "n");
	t->sim_seeds = json_is_integer(sn) && json_integer_value(sn) > 1 ?
		       (size_t)json_integer_value(sn) : 1;

	/* the same tenants on both sides */
	json_t *rt = json_object_get(r, "tenants"), *st = json_object_get(s, "tenants");
	size_t i;
	json_t *e;
	json_array_foreach(st, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		if (!tenant_of(r, n)) {
			bad(err, errlen, t->real_file, "no tenant '%s' (the simulator's "
			    "run %s has it): not the same test", n, t->sim_file);
			goto out;
		}
	}
	size_t nfig = 0;
	json_array_foreach(rt, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		json_t *se = tenant_of(s, n);
		if (!se) {
			bad(err, errlen, t->sim_file, "no tenant '%s' (the real run %s "
			    "has it): not the same test", n, t->real_file);
			goto out;
		}
		json_t *pr = json_object_get(e, "priority"), *ps = json_object_get(se, "priority");
		if (json_is_integer(pr) && json_is_integer(ps) &&
		    json_integer_value(pr) != json_integer_value(ps)) {
			char both[64];
			snprintf(both, sizeof(both), "%lld real, %lld simulated",
				 (long long)json_integer_value(pr), (long long)json_integer_value(ps));
			add_warn(t, "tenant '%s': priority %s", n, both);
		}
		nfig += SEEDS_NMODE * FID_NMETRIC;
	}
	if (strcmp(t->real_policy, t->sim_policy))
		add_warn(t, "policy '%s' real, '%s' simulated", t->real_policy, t->sim_policy);
	if (!(fabs(t->real_duration_s - t->sim_duration_s) <=
	      0.01 * fabs(t->real_duration_s))) {
		char a[32], b[32];
		snprintf(a, sizeof(a), "%g", t->real_duration_s);
		snprintf(b, sizeof(b), "%g", t->sim_duration_s);
		add_warn(t, "duration %s s real, %s s simulated", a, b);
	}
	char be[32];
	text_of(s, "backend", be, sizeof(be));
	if (strcmp(be, "sim"))
		add_warn(t, "the simulator's side is a '%s' run%s", be, "");

	rc = HS_ENOMEM;
	t->rows = calloc(nfig ? nfig : 1, sizeof(*t->rows));
	if (!t->rows) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	json_array_foreach(rt, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		json_t *se = tenant_of(s, n);
		int online = json_is_number(json_object_get(e, "slo_ms"));
		for (int k = 0; k < SEEDS_NMODE; k++)
			for (int q = 0; q < FID_NMETRIC; q++) {
				int lat = q == FID_P50 || q == FID_P99 || q == FID_P99_RATIO;
				if ((!all && lat != online) ||
				    (k == SEEDS_STANDALONE && ratio_of[q] >= 0))
					continue;
				struct fid_row *w = &t->rows[t->n++];
				snprintf(w->tenant, sizeof(w->tenant), "%s", n);
				w->mode = k;
				w->metric = q;
				figure_at(mode_obj(e, k), fig[q].path, &w->real);
				interval_at(mode_obj(e, k), fig[q].path, &w->real_lo, &w->real_hi);
				char why[256];
				if (sim_figure(s, se, n, k, q, &w->sim, why, sizeof(why))) {
					bad(err, errlen, t->sim_file, "%s%s", why, "");
					rc = ANALYSIS_EBAD;
					goto out;
				}
				w->err = analysis_rel_diff(w->real, w->sim.mean);
				double a = fabs(w->err);
				/* a hair of slack: 10.0 % printed must not read as a miss */
				w->status = isnan(a) ? FID_UNDEF : a <= FID_GOAL + 1e-9 ?
					    FID_GOAL_MET : a <= FID_BAR + 1e-9 ? FID_PASS : FID_MISS;
				t->count[w->status]++;
			}
	}
	rc = 0;
out:
	if (rc)
		analysis_fidelity_release(t);
	json_decref(r);
	json_decref(s);
	return rc;
}

void analysis_fidelity_release(struct fid_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/* ---- outputs -------------------------------------------------------------- */
static const char *const status_md[FID_NSTATUS] = {
	[FID_GOAL_MET] = "PASS, goal", [FID_PASS] = "PASS", [FID_MISS] = "FAIL",
	[FID_UNDEF] = "n/a",
};
static const char *const status_csv[FID_NSTATUS] = {
	[FID_GOAL_MET] = "goal", [FID_PASS] = "pass", [FID_MISS] = "fail",
	[FID_UNDEF] = "undefined",
};

static const char *mode_label(const struct fid_table *t, int k)
{
	return k == SEEDS_STANDALONE ? "alone" : k == SEEDS_NATIVE ? "native" :
	       t->real_policy;
}

/* "yes" / "no" when v lies in [lo, hi], "-" when either is undefined */
static const char *within(double v, double lo, double hi)
{
	if (isnan(v) || isnan(lo) || isnan(hi))
		return "-";
	return v >= lo && v <= hi ? "yes" : "no";
}

/* the real value in the simulator's CI */
static const char *in_ci(const struct fid_row *w)
{
	return within(w->real, w->sim.ci95_lo, w->sim.ci95_hi);
}

/* the simulator's mean in the real run's own interval */
static const char *in_real(const struct fid_row *w)
{
	return within(w->sim.mean, w->real_lo, w->real_hi);
}

static void md_num(FILE *f, const char *fmt, double v)
{
	if (isnan(v))
		fputs("-", f);
	else
		fprintf(f, fmt, v);
}

/* "open lo sep hi close", or "-" when lo is NAN */
static void md_pair(FILE *f, const char *fmt, double lo, double hi, const char *open,
		    const char *sep, const char *close)
{
	if (isnan(lo)) {
		fputs("-", f);
		return;
	}
	fputs(open, f);
	md_num(f, fmt, lo);
	fputs(sep, f);
	md_num(f, fmt, hi);
	fputs(close, f);
}

void analysis_fidelity_md(FILE *f, const struct fid_table *ts, size_t nt)
{
	for (size_t j = 0; j < nt; j++) {
		const struct fid_table *t = &ts[j];
		fprintf(f, "%s## %s: real vs simulator\n\n", j ? "\n" : "", t->test);
		fprintf(f, "- real: `%s` (policy %s, %g s per mode)\n", t->real_file,
			t->real_policy, t->real_duration_s);
		fprintf(f, "- simulator: `%s` (scenario %s, device %s, policy %s, %g s, ",
			t->sim_file, t->sim_scenario, t->device, t->sim_policy,
			t->sim_duration_s);
		if (t->sim_seeds > 1)
			fprintf(f, "%zu seeds: mean and 95 %% CI over them)\n", t->sim_seeds);
		else
			fprintf(f, "one seed: no interval)\n");
		if (t->warn[0])
			fprintf(f, "- differs besides the figures: %s\n", t->warn);
		fprintf(f, "\n| tenant | mode | figure | real | simulator | sim 95 %% CI "
			   "| sim seeds min..max | real in CI | error | bar %.0f %% "
			   "(goal %.0f %%) | real 95 %% interval | sim in it |\n",
			100 * FID_BAR, 100 * FID_GOAL);
		fprintf(f, "|---|---|---|---:|---:|---|---|---|---:|---|---|---|\n");
		size_t nreal = 0, sim_in = 0;
		for (size_t i = 0; i < t->n; i++) {
			const struct fid_row *w = &t->rows[i];
			const char *fm = fig[w->metric].fmt;
			fprintf(f, "| %s | %s | %s | ", w->tenant, mode_label(t, w->mode),
				fig[w->metric].label);
			md_num(f, fm, w->real);
			fputs(" | ", f);
			md_num(f, fm, w->sim.mean);
			fputs(" | ", f);
			md_pair(f, fm, w->sim.ci95_lo, w->sim.ci95_hi, "[", ", ", "]");
			fputs(" | ", f);
			if (w->sim.n > 1)
				md_pair(f, fm, w->sim.min, w->sim.max, "", "..", "");
			else
				fputs("-", f);
			fprintf(f, " | %s | ", in_ci(w));
			if (isnan(w->err))
				fputs("-", f);
			else
				fprintf(f, "%+.1f %%", 100 * w->err);
			fprintf(f, " | %s | ", status_md[w->status]);
			md_pair(f, fm, w->real_lo, w->real_hi, "[", ", ", "]");
			const char *ir = in_real(w);
			fprintf(f, " | %s |\n", ir);
			nreal += !isnan(w->real_lo);
			sim_in += strcmp(ir, "yes") == 0;
		}
		fprintf(f, "\n%zu figures: %zu within %.0f %% (goal), %zu more within "
			   "%.0f %% (bar), %zu beyond the bar, %zu undefined\n", t->n,
			t->count[FID_GOAL_MET], 100 * FID_GOAL, t->count[FID_PASS],
			100 * FID_BAR, t->count[FID_MISS], t->count[FID_UNDEF]);
		if (nreal)
			fprintf(f, "%zu of the %zu figures with a real interval have the "
				   "simulator inside it\n", sim_in, nreal);
	}
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.10g", v);
	fputc(',', f);
}

static int write_csv(FILE *f, const struct fid_table *ts, size_t nt)
{
	static const char *const key[FID_NMETRIC] = {
		[FID_P50] = "p50_ms", [FID_P99] = "p99_ms",
		[FID_TPUT] = "throughput_rps", [FID_P99_RATIO] = "p99_vs_standalone",
		[FID_TPUT_RATIO] = "throughput_vs_standalone",
	};
	fprintf(f, "test,sim_scenario,tenant,mode,figure,real,sim_mean,sim_ci95_lo,"
		   "sim_ci95_hi,sim_min,sim_max,sim_n,error_pct,real_in_ci,status,"
		   "real_ci95_lo,real_ci95_hi,sim_in_real_ci\n");
	for (size_t j = 0; j < nt; j++)
		for (size_t i = 0; i < ts[j].n; i++) {
			const struct fid_row *w = &ts[j].rows[i];
			/* names are [A-Za-z0-9_-] in scenarios; quoted all the same */
			fprintf(f, "\"%s\",\"%s\",\"%s\",%s,%s,", ts[j].test,
				ts[j].sim_scenario, w->tenant, mode_key[w->mode], key[w->metric]);
			csv_num(f, w->real);
			csv_num(f, w->sim.mean);
			csv_num(f, w->sim.ci95_lo);
			csv_num(f, w->sim.ci95_hi);
			csv_num(f, w->sim.min);
			csv_num(f, w->sim.max);
			fprintf(f, "%zu,", w->sim.n);
			csv_num(f, isnan(w->err) ? NAN : 100 * w->err);
			fprintf(f, "%s,%s,", in_ci(w), status_csv[w->status]);
			csv_num(f, w->real_lo);
			csv_num(f, w->real_hi);
			fprintf(f, "%s\n", in_real(w));
		}
	return ferror(f) ? -1 : 0;
}

/* dir/name through dir/name.tmp; md: Markdown, else CSV */
static int write_one(const struct fid_table *t, size_t n, const char *dir,
		     const char *name, int md, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return ANALYSIS_EIO;
	}
	int rc = 0;
	if (md)
		analysis_fidelity_md(f, t, n);
	else
		rc = write_csv(f, t, n);
	if (ferror(f))
		rc = -1;
	if (fclose(f) || rc || rename(tmp, path)) {
		snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
		remove(tmp);
		return ANALYSIS_EIO;
	}
	return 0;
}

int analysis_fidelity_write(const struct fid_table *t, size_t n, const char *dir,
			    char *err, size_t errlen)
{
	int rc = write_one(t, n, dir, "fidelity.md", 1, err, errlen);
	return rc ? rc : write_one(t, n, dir, "fidelity.csv", 0, err, errlen);
}
