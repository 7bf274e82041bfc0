/*
 * The run driver shared by `hipsched sim` and `hipsched hw` (see cli.h):
 * standalone references, native, policy; metrics; run directory; table.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "analysis.h"
#include "cli.h"

/* ---- progress line ----------------------------------------------------------
 * On a terminal: one line rewritten in place every 0.1 s after the first
 * second. Otherwise (a log, CI): a plain line every PROGRESS_LOG_S seconds
 * ($HIPSCHED_PROGRESS_EVERY overrides), so a long run shows it is alive.
 * --quiet: nothing. With -j N the runs report from their threads: each one
 * its fraction, the line shows the mean (a lock orders them). */
#define PROGRESS_LOG_S 5.0

static double log_every_s(void)
{
	const char *e = getenv("HIPSCHED_PROGRESS_EVERY");
	char *end;
	double v = e ? strtod(e, &end) : 0;
	return e && end != e && !*end && v > 0 ? v : PROGRESS_LOG_S;
}

struct progress {
	int tty, quiet;
	double every;              /* s between lines when not a terminal */
	double t0;                 /* wall clock at the start, s */
	int shown;
	double last;               /* wall clock of the last line, s */
	size_t run, nruns;         /* serial: the run going on; all seeds' runs */
	int parallel;              /* -j > 1: frac[] per run, label "N at once" */
	size_t at_once;            /* parallel: runs of one report (one seed) */
	double *frac;              /* per run, fraction done (parallel) */
	pthread_mutex_t mu;
	char label[64];
};

/* run_opts.progress_ctx of run i */
struct progress_run {
	struct progress *p;
	size_t i;
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_cb(void *ctx, double fraction)
{
	struct progress_run *pr = ctx;
	struct progress *p = pr->p;
	if (p->quiet)
		return;
	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	pthread_mutex_lock(&p->mu);
	double all;
	if (p->parallel) {
		p->frac[pr->i] = fraction;
		all = 0;
		for (size_t i = 0; i < p->nruns; i++)
			all += p->frac[i];
		all /= (double)p->nruns;
	} else {
		all = ((double)p->run + fraction) / (double)p->nruns;
	}
	double now = wall_s(), el = now - p->t0;
	if (p->tty ? (el < 1.0 && !p->shown) || now - p->last < 0.1 :
	    now - (p->shown ? p->last : p->t0) < p->every) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->last = now;
	if (p->parallel)
		fprintf(stderr, "%shipsched: %zu runs at once %3.0f%%  (%.0f s)%s",
			p->tty ? "\r\033[K" : "", p->at_once, 100 * all, el,
			p->tty ? "" : "\n");
	else
		fprintf(stderr, "%shipsched: run %zu/%zu %-22s %3.0f%%  (%.0f s)%s",
			p->tty ? "\r\033[K" : "", p->run + 1, p->nruns, p->label,
			100 * all, el, p->tty ? "" : "\n");
	p->shown = 1;
	pthread_mutex_unlock(&p->mu);
}

static void progress_done(struct progress *p)
{
	if (p->shown && p->tty)
		fprintf(stderr, "\r\033[K");
	p->shown = 0;
}

/* ---- the table ------------------------------------------------------------------ */
static void cell(const char *fmt, double v, int width)
{
	if (isnan(v))
		printf("%*s", width, "-");
	else
		printf(fmt, width, v);
}

static void row(const struct tenant_spec *ts, const char *label,
		const struct tenant_metrics *t, int ratios)
{
	printf("%-10s %4d %-12s %6zu", ts->name, ts->priority, label, t->completed);
	cell("%*.2f", t->lat.p50_ms, 9);
	cell("%*.2f", t->lat.p90_ms, 9);
	cell("%*.2f", t->lat.p99_ms, 9);
	cell("%*.2f", t->lat.max_ms, 9);
	cell("%*.2f", t->throughput_rps, 10);
	cell("%*.3f", ratios ? t->p99_vs_standalone : NAN, 10);
	cell("%*.3f", ratios ? t->tput_vs_standalone : NAN, 11);
	if (isnan(t->slo_attainment))
		printf("%9s\n", "-");
	else
		printf("%8.1f%%\n", 100 * t->slo_attainment);
}

static void print_verdict(const char *title, const struct verdict *v, int detail)
{
	size_t nfail = 0;
	for (size_t i = 0; i < v->n; i++)
		nfail += !v->r[i].pass;
	if (!v->n) {
		printf("%s: PASS (no criteria in [verdict])\n", title);
		return;
	}
	if (!detail) {
		printf("%s: %s (%zu of %zu criteria fail)\n", title,
		       v->pass ? "PASS" : "FAIL", nfail, v->n);
		return;
	}
	printf("%s:\n", title);
	for (size_t i = 0; i < v->n; i++) {
		const struct crit_result *r = &v->r[i];
		printf("  %s  %-34s measured ", r->pass ? "PASS" : "FAIL", r->c->key);
		if (isnan(r->measured))
			printf("%-9s", "n/a");
		else
			printf("%-9.4g", r->measured);
		printf(" %s %g\n", criterion_op(r->c->kind), r->c->value);
	}
}

static void print_table(const struct report *rep, const char *out)
{
	const struct scenario *sc = rep->sc;
	printf("scenario %s: backend %s, device %s, policy %s (level %d, "
	       "threshold %u, batch %u), seed %llu, %.3g s %s\n\n",
	       sc->name, rep->backend, sc->device, rep->policy, sc->level,
	       sc->threshold, sc->batch, (unsigned long long)rep->seed,
	       (double)rep->duration_ns / 1e9,
	       strcmp(rep->backend, "sim") ? "measured" : "simulated");
	printf("%-10s %4s %-12s %6s %9s %9s %9s %9s %10s %10s %11s %9s\n",
	       "tenant", "prio", "mode", "done", "p50 ms", "p90 ms", "p99 ms",
	       "max ms", "req/s", "p99/alone", "tput/alone", "in SLO");
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *ts = &sc->tenants[i];
		row(ts, "standalone", &rep->m_standalone.t[i], 0);
		row(ts, "native", &rep->m_native.t[i], 1);
		if (strcmp(rep->policy, "native") != 0)  /* the same run twice */
			row(ts, rep->policy, &rep->m_policy.t[i], 1);
	}
	if (strcmp(rep->policy, "native") != 0)
		printf("\nGPU utilization: native %.1f%%, %s %.1f%%\n",
		       100 * rep->m_native.gpu_util, rep->policy,
		       100 * rep->m_policy.gpu_util);
	else
		printf("\nGPU utilization: native %.1f%%\n", 100 * rep->m_native.gpu_util);
	if (rep->m_policy.preempt.n)
		printf("preemption latency (%s): %zu preemptions, p50 %.3f ms, "
		       "p99 %.3f ms, max %.3f ms\n", rep->policy,
		       rep->m_policy.preempt.n, rep->m_policy.preempt.p50_ms,
		       rep->m_policy.preempt.p99_ms, rep->m_policy.preempt.max_ms);
	if (rep->m_policy.decisions)
		printf("policy server (%s): %llu decisions, round trip p50 %.1f us, "
		       "p99 %.1f us (%zu measured)\n", rep->policy,
		       (unsigned long long)rep->m_policy.decisions,
		       rep->m_policy.decision_rtt.p50_ms * 1e3,
		       rep->m_policy.decision_rtt.p99_ms * 1e3, rep->m_policy.decision_rtt.n);
	printf("kernels %s: %llu (standalone runs: %llu, native: %llu)\n\n",
	       strcmp(rep->backend, "sim") ? "executed" : "simulated",
	       (unsigned long long)rep->m_policy.kernels,
	       (unsigned long long)rep->m_standalone.kernels,
	       (unsigned long long)rep->m_native.kernels);
	char title[96];
	snprintf(title, sizeof(title), "verdict (%s)", rep->policy);
	print_verdict(title, &rep->v_policy, 1);
	if (strcmp(rep->policy, "native") != 0)
		print_verdict("verdict under native, for reference", &rep->v_native, 0);
	printf("\noverall: %s    (run directory: %s)\n",
	       rep->v_policy.pass ? "PASS" : "FAIL", out);
}

/* ---- the driver ------------------------------------------------------------------ */
/* Every run of one report under `seed` (standalone each, native, policy;
 * the policy run writes timeline_path when non-NULL, only o's window of
 * it), then its metrics. pg counts the runs; this report's are pg's runs
 * first .. first + ntenants + 1. 0, or the exit status of the failure
 * (message printed; CLI_RUN for one of memory). */
static int run_report(const struct drive_opts *o, run_fn run,
		      const struct scenario *sc, const char *policy, uint64_t seed,
		      hs_ns dur, const char *timeline_path, struct report *rep,
		      struct progress *pg, size_t first)
{
	size_t nruns = sc->ntenants + 2;
	int jobs = o->jobs > 1 ? o->jobs : 1;
	unsigned char *active = calloc(sc->ntenants ? sc->ntenants : 1, sc->ntenants + 1);
	struct cli_run *runs = calloc(nruns, sizeof(*runs));
	struct progress_run *prs = calloc(nruns, sizeof(*prs));
	if (!active || !runs || !prs) {
		cli_error("out of memory");
		free(active);
		free(runs);
		free(prs);
		return CLI_RUN;
	}
	for (size_t i = 0; i < nruns; i++) {
		struct run_opts *ro = &runs[i].ro;
		*ro = (struct run_opts){ .seed = seed, .duration_ns = dur,
					 .policy = "native", .device = o->device,
					 .stop = &cli_stop };
		prs[i] = (struct progress_run){ .p = pg, .i = first + i };
		ro->progress = progress_cb;
		ro->progress_ctx = &prs[i];
		if (i < sc->ntenants) {
			active[i * sc->ntenants + i] = 1;
			ro->mode = "standalone";
			ro->active = &active[i * sc->ntenants];
			runs[i].res = &rep->standalone[i];
		} else if (i == sc->ntenants) {
			ro->mode = "native";
			runs[i].res = &rep->native;
		} else {
			ro->policy = policy;
			ro->mode = "policy";
			ro->timeline_path = timeline_path;
			ro->tl_from_ns = o->tl_from_ns;
			ro->tl_to_ns = o->tl_to_ns;
			runs[i].res = &rep->pol;
		}
	}
	int bad = 0;
	if (jobs == 1) {
		/* one at a time, with the progress line's labels */
		for (size_t i = 0; i < nruns && !bad; i++) {
			if (i < sc->ntenants)
				snprintf(pg->label, sizeof(pg->label), "standalone %s",
					 sc->tenants[i].name);
			else
				snprintf(pg->label, sizeof(pg->label), "%s",
					 runs[i].ro.policy);
			progress_cb(&prs[i], 0);
			bad = cli_runs(run, sc, &runs[i], 1, 1) >= 0 ? (int)i + 1 : 0;
			pg->run++;
		}
	} else {
		int f = cli_runs(run, sc, runs, nruns, jobs);
		bad = f >= 0 ? f + 1 : 0;
		pg->run += nruns;
	}
	int status = 0;
	if (bad) {
		size_t i = (size_t)bad - 1;
		progress_done(pg);
		status = cli_exit_status(runs[i].rc);
		if (cli_stop || runs[i].rc == HS_EINTR)
			;                  /* interrupted: no run failed */
		else if (i < sc->ntenants)
			cli_error("standalone %s run failed: %s", sc->tenants[i].name,
				  runs[i].err);
		else
			cli_error("%s run failed: %s", runs[i].ro.policy, runs[i].err);
	}
	free(active);
	free(runs);
	free(prs);
	if (bad)
		return status;
	if (report_analyse(rep)) {
		cli_error("out of memory");
		return CLI_RUN;
	}
	return 0;
}

/* An input the run reads (scenario, traces, arrival files) inside the
 * run directory that the run replaces: refused up front. */
static int input_in_out(const struct scenario *sc, const char *out)
{
	const char *bad = cli_path_within(sc->path, out) ? sc->path : NULL;
	for (size_t i = 0; !bad && i < sc->ntenants; i++) {
		const struct tenant_spec *t = &sc->tenants[i];
		if (t->trace_path && cli_path_within(t->trace_path, out))
			bad = t->trace_path;
		else if (t->arrival_file && cli_path_within(t->arrival_file, out))
			bad = t->arrival_file;
	}
	if (bad)
		cli_error("%s: the run directory %s holds the input %s, which the "
			  "run would replace; choose another --out", sc->path, out, bad);
	return bad != NULL;
}

/* The figures over seeds, after the table. */
static void print_seeds(const struct report *rep, const struct seeds *sd)
{
	static const char *const modes[SEEDS_NMODE] = { "standalone", "native", NULL };
	const struct scenario *sc = rep->sc;
	printf("\nover %zu seeds (%llu..%llu), mean [95%% CI]; policy verdict "
	       "passes under %zu of them:\n", sd->nadded,
	       (unsigned long long)sd->first_seed,
	       (unsigned long long)(sd->first_seed + sd->nadded - 1), sd->npass);
	printf("%-10s %-12s %9s %9s %-18s %9s %-18s\n", "tenant", "mode", "p50 ms",
	       "p99 ms", " [95% CI]", "req/s", " [95% CI]");
	for (size_t t = 0; t < sc->ntenants; t++)
		for (int k = 0; k < SEEDS_NMODE; k++) {
			struct seed_stat p50, p99, tp;
			analysis_seeds_stat(sd, k, t, SEEDS_P50, &p50);
			analysis_seeds_stat(sd, k, t, SEEDS_P99, &p99);
			analysis_seeds_stat(sd, k, t, SEEDS_TPUT, &tp);
			printf("%-10s %-12s %9.3f %9.3f [%7.3f, %7.3f] %9.2f [%7.2f, %7.2f]\n",
			       sc->tenants[t].name, modes[k] ? modes[k] : rep->policy,
			       p50.mean, p99.mean, p99.ci95_lo, p99.ci95_hi,
			       tp.mean, tp.ci95_lo, tp.ci95_hi);
		}
}

int cli_drive(const struct drive_opts *o, run_fn run)
{
	char err[1024];
	struct scenario *sc = scenario_load(o->scenario_path, err, sizeof(err));
	if (!sc) {
		cli_error("%s", err);
		return CLI_INPUT;
	}
	const char *policy = o->policy ? o->policy : sc->policy;
	if (!policy_find(policy)) {
		char msg[320];
		policy_unknown(policy, msg, sizeof(msg));
		cli_error("%s", msg);
		scenario_free(sc);
		return CLI_USAGE;
	}
	uint64_t seed = o->have_seed ? o->seed : sc->seed;
	size_t nseeds = o->nseeds > 1 ? o->nseeds : 1;
	hs_ns dur = o->duration_ns > 0 ? o->duration_ns : sc->duration_ns;
	if (scenario_check_limits(sc, dur, err, sizeof(err))) {
		cli_error("%s", err);
		scenario_free(sc);
		return CLI_INPUT;
	}
	char out[PATH_MAX - 32], tmp[PATH_MAX];
	if (o->out_dir)
		snprintf(out, sizeof(out), "%s", o->out_dir);
	else if (o->policy)
		/* one directory per policy: --policy bp must not replace the
		 * scenario's own run */
		snprintf(out, sizeof(out), "runs/%s-%s", sc->name, o->policy);
	else
		snprintf(out, sizeof(out), "runs/%s", sc->name);
	if (input_in_out(sc, out)) {
		scenario_free(sc);
		return CLI_INPUT;
	}

	struct report rep;
	struct seeds sd = { 0 };
	int status = CLI_RUN;
	tmp[0] = 0;
	if (report_init(&rep, sc, o->backend, policy, seed, dur)) {
		cli_error("out of memory");
		scenario_free(sc);
		return CLI_RUN;
	}
	if (nseeds > 1 && analysis_seeds_init(&sd, sc->ntenants, nseeds, seed)) {
		cli_error("out of memory");
		goto done;
	}
	cli_signals_init();
	int brc = rundir_begin(out, tmp, sizeof(tmp), err, sizeof(err));
	if (brc) {
		cli_error("%s", err);
		status = brc == ANALYSIS_EOUT ? CLI_INPUT : CLI_RUN;
		goto done;
	}

	/* standalone runs, native, policy: independent, so -j runs them at
	 * once; serially the progress line names the run going on. The
	 * first seed's report is the run directory's; the others only add
	 * their figures. */
	size_t nper = sc->ntenants + 2;
	struct progress pg = { .tty = isatty(2), .quiet = o->quiet,
			       .every = log_every_s(), .t0 = wall_s(),
			       .nruns = nper * nseeds, .at_once = nper,
			       .parallel = o->jobs > 1,
			       .mu = PTHREAD_MUTEX_INITIALIZER };
	pg.frac = calloc(pg.nruns, sizeof(*pg.frac));
	if (!pg.frac) {
		cli_error("out of memory");
		goto done;
	}
	char tl[PATH_MAX + 16];
	snprintf(tl, sizeof(tl), "%s/timeline.json", tmp);
	int bad = run_report(o, run, sc, policy, seed, dur, o->timeline ? tl : NULL,
			     &rep, &pg, 0);
	if (!bad && nseeds > 1)
		bad = analysis_seeds_add(&sd, &rep) ? CLI_RUN : 0;
	for (size_t k = 1; k < nseeds && !bad; k++) {
		struct report more;
		if (report_init(&more, sc, o->backend, policy, seed + k, dur)) {
			cli_error("out of memory");
			bad = CLI_RUN;
			break;
		}
		bad = run_report(o, run, sc, policy, seed + k, dur, NULL, &more, &pg,
				 k * nper);
		if (!bad)
			bad = analysis_seeds_add(&sd, &more) ? CLI_RUN : 0;
		report_release(&more);
	}
	free(pg.frac);
	progress_done(&pg);
	if (bad) {
		status = bad;
		goto done;
	}
	if (nseeds > 1)
		rep.seeds = &sd;
	if (analysis_write_summary(&rep, tmp, err, sizeof(err)) ||
	    analysis_write_requests(&rep, tmp, err, sizeof(err))) {
		cli_error("%s", err);
		goto done;
	}
	int prc = cli_stop ? 0 : analysis_write_plots(&rep, tmp, err, sizeof(err));
	if (prc)
		cli_error("warning: %s", err);
	if (cli_stop)             /* nothing half done is put in place */
		goto done;
	if (analysis_write_html(tmp, err, sizeof(err))) {
		cli_error("%s", err);
		goto done;
	}
	if (rundir_commit(tmp, out, err, sizeof(err))) {
		cli_error("%s", err);
		goto done;
	}
	tmp[0] = 0;
	if (o->json) {
		json_t *js = analysis_summary_json(&rep);
		if (js) {
			json_dumpf(js, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				   JSON_REAL_PRECISION(10));
			fputc('\n', stdout);
			json_decref(js);
		}
	} else if (!o->silent) {
		print_table(&rep, out);
		if (nseeds > 1)
			print_seeds(&rep, &sd);
	}
	fflush(stdout);
	status = (nseeds > 1 ? sd.npass == sd.nadded : rep.v_policy.pass) ?
		 CLI_OK : CLI_FAIL;
done:
	if (tmp[0])
		rundir_abort(tmp);
	if (cli_stop)
		status = cli_signal_exit();
	rep.seeds = NULL;
	report_release(&rep);
	analysis_seeds_release(&sd);
	scenario_free(sc);
	return status;
}

/* ---- options ------------------------------------------------------------------- */
void cli_drive_options(FILE *f, const char *backend)
{
	int hw = strcmp(backend, "hw") == 0;
	fprintf(f,
		"  --policy P     policy for the policy run (default: the scenario's;\n"
		"                 'help' lists the policies and their parameters)\n"
		"  --seed N       random seed (default: the scenario's)\n"
		"  --seeds N      run under N seeds (seed, seed+1, ...) and add each\n"
		"                 tenant's P50, P99 and throughput over them, mean and\n"
		"                 95%% confidence interval (summary.json \"seeds\"); the\n"
		"                 run directory's other files are the first seed's;\n"
		"                 exit 0 only when the verdict passes under every seed\n"
		"  --duration D   run length, e.g. 10s, 500ms (a plain number is seconds)\n"
		"  --out DIR      run directory (default: runs/<scenario name>, or\n"
		"                 runs/<scenario name>-<P> with --policy P)\n"
		"  --json         print summary.json instead of the table\n"
		"  --timeline     also write timeline.json of the policy run (Chrome\n"
		"                 trace: open it in https://ui.perfetto.dev)\n"
		"  --timeline-window A..B\n"
		"                 only [A, B) of the run in timeline.json, e.g. 2s..3s\n"
		"                 (implies --timeline; A or B may be left out)\n"
		"  --quiet        no progress line on stderr (on a terminal it is\n"
		"                 rewritten in place; otherwise one line every 5 s,\n"
		"                 $HIPSCHED_PROGRESS_EVERY seconds if set)\n"
		"%s"
		"\nexit status: 0 the verdict passes, 1 it fails, 2 usage error, 3 bad\n"
		"input, 4 the run failed, 130/143 interrupted (SIGINT/SIGTERM)\n",
		hw ? "  --device N     GPU ordinal (default 0)\n" :
		     "  -j, --jobs N   runs at once (standalone, native, policy; default:\n"
		     "                 the machine's cores); outputs do not depend on N\n");
}

static void usage(FILE *f, const char *backend)
{
	int hw = strcmp(backend, "hw") == 0;
	fprintf(f,
		"usage: hipsched %s SCENARIO [--policy P] [--seed N] [--seeds N]\n"
		"                   [--duration D] [--out DIR] [--json] [--timeline]\n"
		"                   [--timeline-window A..B] [--quiet]%s\n\n"
		"Runs every tenant standalone, all under native, then all under the\n"
		"scenario's policy; prints per tenant and mode latency percentiles,\n"
		"throughput, ratios to standalone, SLO attainment, GPU utilization\n"
		"and the verdict; writes the run directory with report.html.\n\n",
		backend, hw ? " [--device N]" : " [-j N]");
	cli_drive_options(f, backend);
}

/* A duration of --timeline-window: "2s", "500ms", a plain number of
 * seconds, or 0. */
static int parse_dur(const char *s, size_t n, hs_ns *out)
{
	char buf[64];
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *end;
	const char *why;
	double secs = strtod(buf, &end);
	if (end != buf && !*end && secs >= 0 && secs < 9e9) {
		*out = (hs_ns)llround(secs * 1e9);
		return 0;
	}
	return scenario_parse_duration(buf, out, &why) || *out < 0 ? -1 : 0;
}

/* "A..B", either side optional; B > A. */
static int parse_window(const char *s, hs_ns *from, hs_ns *to)
{
	const char *dots = strstr(s, "..");
	if (!dots)
		return -1;
	*from = 0;
	*to = 0;
	if (dots > s && parse_dur(s, (size_t)(dots - s), from))
		return -1;
	if (!dots[2])
		return 0;                 /* open end */
	if (parse_dur(dots + 2, strlen(dots + 2), to))
		return -1;
	return *to <= *from ? -1 : 0;
}

/* `--policy help`: one line per registered policy. */
static void policy_help(FILE *f)
{
	fprintf(f, "policies (--policy NAME; parameters as keys of [policy]):\n");
	for (size_t i = 0; i < policy_count(); i++)
		fprintf(f, "  %-10s %s\n", policy_at(i)->name,
			policy_at(i)->summary ? policy_at(i)->summary : "");
}

int cli_drive_main(int argc, char **argv, const char *backend, run_fn run)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "seeds", required_argument, NULL, 'N' },
		{ "duration", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'S' },
		{ "timeline", no_argument, NULL, 't' },
		{ "timeline-window", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "device", required_argument, NULL, 'D' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drive_opts o = { .backend = backend };
	int hw = strcmp(backend, "hw") == 0;
	int c;
	char *end;
	optind = 0;     /* GNU: full re-initialisation (tests call us repeatedly) */
	opterr = 0;
	o.jobs = hw ? 1 : cli_jobs_default();
	while ((c = getopt_long(argc, argv, "hj:", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': {
			long v;
			if (hw)
				goto bad;
			if (cli_parse_long(optarg, 1, 256, &v)) {
				cli_error("%s: bad --jobs '%s' (1..256)", backend, optarg);
				return 2;
			}
			o.jobs = (int)v;
			break;
		}
		case 'p':
			if (strcmp(optarg, "help") == 0) {
				policy_help(stdout);
				return 0;
			}
			o.policy = optarg;
			break;
		case 's':
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				cli_error("%s: bad --seed '%s'", backend, optarg);
				return 2;
			}
			o.have_seed = 1;
			break;
		case 'N': {
			long v;
			if (cli_parse_long(optarg, 1, 10000, &v)) {
				cli_error("%s: bad --seeds '%s' (1 to 10000)", backend, optarg);
				return 2;
			}
			o.nseeds = (size_t)v;
			break;
		}
		case 'd':
			if (cli_parse_duration(optarg, &o.duration_ns)) {
				cli_error("%s: bad --duration '%s' (e.g. 10s, 500ms)",
					  backend, optarg);
				return CLI_USAGE;
			}
			if (o.duration_ns > SCENARIO_DURATION_MAX_NS) {
				cli_error("%s: --duration '%s' is longer than %.0f s, the "
					  "longest run hipsched accepts", backend, optarg,
					  SCENARIO_DURATION_MAX_NS / 1e9);
				return CLI_USAGE;
			}
			break;
		case 'o':
			if (!optarg[0]) {
				cli_error("%s: --out needs a directory path", backend);
				return CLI_USAGE;
			}
			o.out_dir = optarg;
			break;
		case 'S':
			o.json = 1;
			break;
		case 't':
			o.timeline = 1;
			break;
		case 'w':
			if (parse_window(optarg, &o.tl_from_ns, &o.tl_to_ns)) {
				cli_error("%s: bad --timeline-window '%s' (e.g. 2s..3s, "
					  "500ms.., ..1s)", backend, optarg);
				return 2;
			}
			o.timeline = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'D': {
			long v = strtol(optarg, &end, 10);
			if (!hw || end == optarg || *end || v < 0 || v > 1024) {
				if (!hw)
					goto bad;
				cli_error("hw: bad --device '%s'", optarg);
				return 2;
			}
			o.device = (int)v;
			break;
		}
		case 'h':
			usage(stdout, backend);
			return 0;
		default:
		bad:
			cli_error("%s: unknown or incomplete option '%s'", backend,
				  argv[optind - 1]);
			usage(stderr, backend);
			return 2;
		}
	}
	if (optind != argc - 1) {
		cli_error("%s: %s", backend, optind >= argc ? "no SCENARIO given" :
			  "exactly one SCENARIO expected");
		usage(stderr, backend);
		return 2;
	}
	o.scenario_path = argv[optind];
	return cli_drive(&o, run);
}
