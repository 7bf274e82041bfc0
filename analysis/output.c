/* summary.json, requests.csv and the run directory (temp folder, renamed). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis.h"

/* analysis/' block of the one error table (numbering in core/sched.h). */
static const char *const analysis_messages[] = {
	[HS_ERANGE_ANALYSIS - ANALYSIS_EIO] = "cannot write the run directory",
	[HS_ERANGE_ANALYSIS - ANALYSIS_EBAD] = "cannot read the run directory",
	[HS_ERANGE_ANALYSIS - ANALYSIS_EOUT] = "not a path for a run directory",
};

HS_ERR_BLOCK(HS_ERANGE_ANALYSIS, analysis_messages);

#ifndef HIPSCHED_VERSION
#define HIPSCHED_VERSION "0.1.0"
#endif

/* A number, or null for NAN / infinity (JSON has neither). */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *lat_json(const struct lat_stats *l)
{
	json_t *ci = json_pack("[oo]", num(l->ci95_lo_ms), num(l->ci95_hi_ms));
	return json_pack("{sI so so so so so so}", "n", (json_int_t)l->n,
			 "p50", num(l->p50_ms), "p90", num(l->p90_ms),
			 "p99", num(l->p99_ms), "max", num(l->max_ms),
			 "mean", num(l->mean_ms), "mean_ci95", ci);
}

static json_t *tenant_json(const struct tenant_metrics *t, int ratios)
{
	json_t *o = json_pack("{sI sI sI so so so}",
			      "requests", (json_int_t)t->requests,
			      "completed", (json_int_t)t->completed,
			      "completed_in_window", (json_int_t)t->completed_in_window,
			      "latency_ms", lat_json(&t->lat),
			      "throughput_rps", num(t->throughput_rps),
			      "slo_attainment", num(t->slo_attainment));
	if (o && ratios) {
		json_object_set_new(o, "p99_vs_standalone", num(t->p99_vs_standalone));
		json_object_set_new(o, "throughput_vs_standalone",
				    num(t->tput_vs_standalone));
	}
	return o;
}

static json_t *verdict_json(const struct verdict *v)
{
	json_t *crit = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const struct crit_result *r = &v->r[i];
		const struct criterion *c = r->c;
		json_array_append_new(crit, json_pack(
			"{ss so ss ss so so sb}", "key", c->key,
			"tenant", c->tenant ? json_string(c->tenant) : json_null(),
			"metric", criterion_metric(c->kind),
			"op", criterion_op(c->kind),
			"threshold", num(c->value), "measured", num(r->measured),
			"pass", r->pass));
	}
	return json_pack("{sb so}", "pass", v->pass, "criteria", crit);
}

static json_t *mode_json(const struct mode_metrics *m)
{
	return json_pack("{ss so sI so sI so}", "policy", m->policy,
			 "gpu_util", num(m->gpu_util),
			 "kernels_simulated", (json_int_t)m->kernels,
			 "preempt_latency_ms", lat_json(&m->preempt),
			 "decisions", (json_int_t)m->decisions,
			 "decision_rtt_ms", lat_json(&m->decision_rtt));
}

json_t *analysis_summary_json(const struct report *rep)
{
	const struct scenario *sc = rep->sc;
	json_t *tenants = json_array();
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *ts = &sc->tenants[i];
		/* name first: the file is also read by people */
		json_t *t = json_pack("{ss si so}", "name", ts->name,
				      "priority", ts->priority, "slo_ms", ts->slo_ns ?
				      json_real((double)ts->slo_ns / 1e6) : json_null());
		if (!t)
			continue;
		json_object_update_new(t, tenant_json(&rep->m_policy.t[i], 1));
		json_object_set_new(t, "native", tenant_json(&rep->m_native.t[i], 1));
		json_object_set_new(t, "standalone",
				    tenant_json(&rep->m_standalone.t[i], 0));
		json_array_append_new(tenants, t);
	}
	/* seeds are unsigned 64-bit; JSON integers here are signed */
	json_t *seed = rep->seed <= (uint64_t)INT64_MAX ?
		       json_integer((json_int_t)rep->seed) : json_real((double)rep->seed);
	json_t *o = json_pack("{ss ss ss ss ss ss so sI sI sI sf sI so so so}",
		"hipsched_version", HIPSCHED_VERSION,
		"scenario", sc->name, "scenario_path", sc->path,
		"backend", rep->backend, "device", sc->device,
		"policy", rep->policy, "seed", seed,
		"level", (json_int_t)sc->level,
		"threshold", (json_int_t)sc->threshold,
		"batch", (json_int_t)sc->batch,
		"duration_s", (double)rep->duration_ns / 1e9,
		"kernels_simulated", (json_int_t)rep->m_policy.kernels,
		"gpu_util", num(rep->m_policy.gpu_util),
		"preempt_latency_ms", lat_json(&rep->m_policy.preempt),
		"tenants", tenants);
	if (o) {
		json_object_set_new(o, "decisions", json_integer((json_int_t)rep->m_policy.decisions));
		json_object_set_new(o, "decision_rtt_ms", lat_json(&rep->m_policy.decision_rtt));
	}
	if (!o)
		return NULL;
	json_object_set_new(o, "native", mode_json(&rep->m_native));
	json_object_set_new(o, "verdict", verdict_json(&rep->v_policy));
	json_object_set_new(o, "native_verdict", verdict_json(&rep->v_native));
	if (rep->seeds)
		json_object_set_new(o, "seeds", analysis_seeds_json(rep->seeds, sc));
	return o;
}

static void path_join(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* 1 if dir is a folder with nothing in it. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

int analysis_write_summary(const struct report *rep, const char *dir,
			   char *err, size_t errlen)
{
	char path[PATH_MAX];
	path_join(path, sizeof(path), dir, "summary.json");
	json_t *o = analysis_summary_json(rep);
	if (!o) {
		snprintf(err, errlen, "%s: out of memory", path);
		return HS_ENOMEM;
	}
	int rc = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				JSON_REAL_PRECISION(10));
	json_decref(o);
	if (rc) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return ANALYSIS_EIO;
	}
	return 0;
}

static void write_run(FILE *f, const struct scenario *sc,
		      const struct run_result *r, const char *mode, int only)
{
	for (size_t ti = 0; ti < sc->ntenants && ti < r->ntenants; ti++) {
		if (only >= 0 && (size_t)only != ti)
			continue;
		const struct tenant_result *t = &r->t[ti];
		for (size_t i = 0; i < t->nreq; i++) {
			const struct req_record *q = &t->req[i];
			fprintf(f, "%s,%s,%lld,%lld,%lld,", sc->tenants[ti].name, mode,
				(long long)q->request, (long long)q->arrival_ns,
				(long long)q->start_ns);
			if (q->end_ns >= 0)
				fprintf(f, "%lld,%lld\n", (long long)q->end_ns,
					(long long)(q->end_ns - q->arrival_ns));
			else
				fputs(",\n", f);
		}
	}
}

int analysis_write_requests(const struct report *rep, const char *dir,
			    char *err, size_t errlen)
{
	char path[PATH_MAX];
	path_join(path, sizeof(path), dir, "requests.csv");
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return ANALYSIS_EIO;
	}
	fputs("tenant,mode,request,arrival_ns,start_ns,end_ns,latency_ns\n", f);
	for (size_t i = 0; i < rep->sc->ntenants; i++)
		write_run(f, rep->sc, &rep->standalone[i], "standalone", (int)i);
	write_run(f, rep->sc, &rep->native, "native", -1);
	write_run(f, rep->sc, &rep->pol, "policy", -1);
	int bad = ferror(f);
	if (fclose(f) || bad) {
		snprintf(err, errlen, "%s: write error", path);
		return ANALYSIS_EIO;
	}
	return 0;
}

/* ---- run directory ---------------------------------------------------------- */

/* Whether out may become the run directory: absent, an empty folder, or
 * a previous run directory (holds summary.json). 0 or -1 (err filled). */
static int replaceable(const char *out, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(out, &st) != 0)
		return 0;
	char probe[PATH_MAX];
	path_join(probe, sizeof(probe), out, "summary.json");
	if (!S_ISDIR(st.st_mode) || (access(probe, F_OK) != 0 && !empty_dir(out))) {
		snprintf(err, errlen, "%s: exists and is not a run directory (no "
			 "summary.json); not replacing it", out);
		return ANALYSIS_EOUT;
	}
	return 0;
}

int rundir_begin(const char *out, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	if (!out[0]) {
		snprintf(err, errlen, "the run directory path is empty");
		return ANALYSIS_EOUT;
	}
	if (strlen(out) + 16 > PATH_MAX || strlen(out) + 16 > tmplen) {
		snprintf(err, errlen, "%.64s...: path too long", out);
		return ANALYSIS_EOUT;
	}
	int rc = replaceable(out, err, errlen);
	if (rc)
		return rc;
	/* the parent folders of out, so the rename stays on one file system */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", out);
	for (char *p = parent + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(parent, 0777) && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", parent,
				 strerror(errno));
			return ANALYSIS_EIO;
		}
		*p = '/';
	}
	size_t ol = strlen(out);
	while (ol > 1 && out[ol - 1] == '/')
		ol--;
	if ((size_t)snprintf(tmp, tmplen, "%.*s.tmp.XXXXXX", (int)ol, out) >= tmplen) {
		snprintf(err, errlen, "%s: path too long", out);
		return ANALYSIS_EIO;
	}
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return ANALYSIS_EIO;
	}
	/* mkdtemp makes it 0700; a run directory is as readable as any */
	mode_t um = umask(0);
	umask(um);
	chmod(tmp, 0777 & ~um);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void rundir_abort(const char *tmp)
{
	if (tmp && tmp[0])
		rm_tree(tmp);
}

int rundir_commit(const char *tmp, const char *out, char *err, size_t errlen)
{
	struct stat st;
	char old[PATH_MAX] = "";
	if (lstat(out, &st) == 0) {
		char probe[PATH_MAX];
		path_join(probe, sizeof(probe), out, "summary.json");
		int rc = replaceable(out, err, errlen);
		if (rc)
			return rc;
		if (access(probe, F_OK) != 0) {
			/* an empty folder is fine to replace */
			if (rmdir(out) != 0) {
				snprintf(err, errlen, "%s: cannot replace: %s", out,
					 strerror(errno));
				return ANALYSIS_EIO;
			}
		} else {
			snprintf(old, sizeof(old), "%s.old.XXXXXX", out);
			if (!mkdtemp(old) || rename(out, old)) {
				snprintf(err, errlen, "%s: cannot move the previous run "
					 "aside: %s", out, strerror(errno));
				if (old[0])
					rmdir(old);
				return ANALYSIS_EIO;
			}
		}
	}
	if (rename(tmp, out)) {
		snprintf(err, errlen, "%s: cannot rename %s into place: %s", out, tmp,
			 strerror(errno));
		if (old[0])
			rename(old, out);
		return ANALYSIS_EIO;
	}
	if (old[0])
		rm_tree(old);
	return 0;
}
