/*
 * analysis: metrics of run results (GSL), verdicts, and the files of a run
 * directory (summary.json, requests.csv, plots), plus the comparison of two
 * run directories. Nothing here prints; the CLI does (see
 * analysis/README.md for every definition).
 *
 * A report gathers the three kinds of run of one scenario:
 *   standalone  each tenant alone on the device, policy native (reference)
 *   native      all tenants together, no scheduler control
 *   policy      all tenants together under the scenario's (or --policy) one
 */
#ifndef HIPSCHED_ANALYSIS_H
#define HIPSCHED_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "scenario.h"

/* analysis/' block of the one error numbering (core/sched.h). */
enum analysis_err {
	ANALYSIS_EIO = HS_ERANGE_ANALYSIS,        /* a run directory file not written */
	ANALYSIS_EBAD = HS_ERANGE_ANALYSIS - 1,   /* a run directory not readable */
	ANALYSIS_EOUT = HS_ERANGE_ANALYSIS - 2,   /* an --out that cannot be one */
};

/* ---- statistics ---------------------------------------------------------- */
struct lat_stats {
	size_t n;                  /* samples */
	double p50_ms, p90_ms, p99_ms, max_ms;
	double mean_ms;
	double ci95_lo_ms, ci95_hi_ms; /* 95% CI of the mean (Student t);
	                                * NAN when n < 2 */
};

/* Percentiles (GSL linear interpolation between order statistics:
 * gsl_stats_quantile_from_sorted_data), max, mean and its 95% confidence
 * interval (mean +- t(0.975, n-1) * sd / sqrt(n)) of x[0..n) in ms. x is
 * sorted in place. n == 0 gives all NAN. */
void analysis_lat_stats(double *x, size_t n, struct lat_stats *out);

/* ---- per-tenant metrics of one run ------------------------------------------ */
struct tenant_metrics {
	int present;               /* the tenant ran in this run */
	size_t requests;           /* records (requests that arrived) */
	size_t completed;          /* with end_ns >= 0 */
	size_t completed_in_window;/* with 0 <= end_ns <= duration */
	struct lat_stats lat;      /* latency = end - arrival, completed ones */
	double throughput_rps;     /* completed_in_window / duration */
	double slo_attainment;     /* met / decided (README); NAN: no SLO */
	double p99_vs_standalone;  /* NAN where no reference */
	double tput_vs_standalone;
};

struct mode_metrics {
	char mode[16];             /* "standalone", "native", "policy" */
	char policy[32];
	double gpu_util;           /* gpu_busy_ns / duration; NAN standalone */
	uint64_t kernels;
	hs_ns duration_ns;
	struct lat_stats preempt;  /* preemption latencies, in ms */
	/* the policy server's (run_result.serve_*): decisions sent (suspends
	 * + resumes) and their round trips, in ms; 0 / n = 0 without one */
	uint64_t decisions;
	struct lat_stats decision_rtt;
	size_t ntenants;
	struct tenant_metrics *t;  /* [ntenants] */
};

/* Metrics of tenant `ti` in r (slo_ns 0 = none). 0 or HS_ENOMEM. */
int analysis_tenant_metrics(const struct run_result *r, size_t ti,
			    hs_ns slo_ns, struct tenant_metrics *m);
/* Sets m's ratios against the standalone reference ref. */
void analysis_set_ratios(struct tenant_metrics *m, const struct tenant_metrics *ref);

/* ---- verdict ------------------------------------------------------------- */
struct crit_result {
	const struct criterion *c;
	double measured;           /* NAN if it could not be measured */
	int pass;                  /* NAN measured never passes */
};

struct verdict {
	int pass;                  /* all criteria pass (true with none) */
	size_t n;
	struct crit_result *r;     /* [n], in the scenario's order */
};

/* Evaluates sc's criteria on mode m (tenants in sc's order). Caller frees
 * with analysis_verdict_release(). 0 or HS_ENOMEM. */
int analysis_verdict(const struct scenario *sc, const struct mode_metrics *m,
		     struct verdict *v);
void analysis_verdict_release(struct verdict *v);

/* ---- a report: the runs of one scenario and their metrics ----------------- */
struct report {
	const struct scenario *sc; /* not owned */
	char backend[16];
	char policy[32];           /* the policy of the policy run */
	uint64_t seed;
	hs_ns duration_ns;
	struct run_result *standalone; /* [ntenants], owned */
	struct run_result native, pol; /* owned */
	struct mode_metrics m_standalone, m_native, m_policy;
	struct verdict v_native, v_policy;
	const struct seeds *seeds; /* not owned; non-NULL: summary.json gains
	                            * "seeds" (figures over several seeds) */
};

/* Sets up an empty report for sc: run results zeroed, each to be filled
 * by one call of the backend's run_fn (which initialises it, see run_fn).
 * 0 or HS_ENOMEM. Release with report_release(). */
int report_init(struct report *rep, const struct scenario *sc,
		const char *backend, const char *policy, uint64_t seed,
		hs_ns duration_ns);
/* Computes all metrics, ratios and both verdicts from the run results.
 * 0 or HS_ENOMEM. */
int report_analyse(struct report *rep);
void report_release(struct report *rep);

/* ---- outputs -------------------------------------------------------------------- */
/* summary.json as a jansson object (caller json_decref()s); NULL on ENOMEM. */
struct json_t;
struct json_t *analysis_summary_json(const struct report *rep);
/* Writes `dir`/summary.json, `dir`/requests.csv. 0 or ANALYSIS_EIO /
 * HS_ENOMEM (err filled). */
int analysis_write_summary(const struct report *rep, const char *dir,
			   char *err, size_t errlen);
int analysis_write_requests(const struct report *rep, const char *dir,
			    char *err, size_t errlen);
/* Writes the gnuplot data and script into dir and runs gnuplot there (a
 * child process) to draw latency_cdf_TENANT.{png,svg},
 * latency_tail_TENANT.{png,svg} and throughput.{png,svg} (what they show:
 * analysis/README.md). Legends sit outside the data; each run has its own
 * colour, dash and width, so curves that coincide stay visible. Returns 0,
 * 1 when gnuplot is not installed (no plots, a reason in err), or
 * ANALYSIS_EIO / HS_ENOMEM (err filled). */
int analysis_write_plots(const struct report *rep, const char *dir,
			 char *err, size_t errlen);
/* Runs `gnuplot SCRIPT` in dir (output to dir/gnuplot.log). Returns 0, 1
 * when gnuplot is not installed (reason in err), or ANALYSIS_EIO (err
 * filled). */
int analysis_gnuplot(const char *dir, const char *script, char *err, size_t errlen);

/* Writes `dir`/report.html from what dir holds (summary.json, the PNG
 * plots embedded as data URIs, a link to timeline.json when there): one
 * self-contained, well-formed XHTML page with the table, verdict, plots and
 * how to open the timeline in Perfetto (analysis/html.c). Temp file and
 * rename. 0, ANALYSIS_EBAD (a missing or bad summary.json: "PATH:LINE:
 * ...") or ANALYSIS_EIO, err filled. */
int analysis_write_html(const char *dir, char *err, size_t errlen);

/* Run directory written whole or not at all: begin creates a fresh
 * temporary folder next to `out` (its path into tmp); commit moves it to
 * `out`, replacing a previous run directory there (one holding a
 * summary.json; anything else there is refused, by begin already, before
 * the run); abort removes it. 0, ANALYSIS_EOUT when out is refused
 * (empty path, too long, not a run directory) or ANALYSIS_EIO (err
 * filled). */
int rundir_begin(const char *out, char *tmp, size_t tmplen, char *err, size_t errlen);
int rundir_commit(const char *tmp, const char *out, char *err, size_t errlen);
void rundir_abort(const char *tmp);

/* ---- figures over seeds -------------------------------------------------------
 * `sim --seeds N` (and sweeps): a scenario's report under seeds first,
 * first + 1, ...; per tenant and mode (standalone, native, policy) P50, P99
 * and throughput, each with its mean over seeds and the 95 % confidence
 * interval of that mean (Student t with n - 1 degrees of freedom, the
 * formula of analysis_lat_stats). A seed where a figure is undefined (no
 * request completed) is left out of that figure's n. */
enum { SEEDS_STANDALONE, SEEDS_NATIVE, SEEDS_POLICY, SEEDS_NMODE };
enum { SEEDS_P50, SEEDS_P99, SEEDS_TPUT, SEEDS_NMETRIC };
struct seed_stat {
	size_t n;                  /* seeds with the figure defined */
	double mean, ci95_lo, ci95_hi; /* CI NAN when n < 2 */
	double min, max;
};
struct seeds {
	uint64_t first_seed;
	size_t ntenants, nseeds;   /* capacity in seeds */
	size_t nadded;             /* reports added */
	size_t npass;              /* of which the policy verdict passed */
	double *x;                 /* [mode][tenant][metric][seed] */
};
/* Room for nseeds reports of ntenants tenants. 0 or HS_ENOMEM. */
int analysis_seeds_init(struct seeds *s, size_t ntenants, size_t nseeds,
			uint64_t first_seed);
/* Keeps the figures of an analysed report (report_analyse) as the next
 * seed's; rep may be released afterwards. 0, or HS_EINVAL when full or the
 * tenant count differs. */
int analysis_seeds_add(struct seeds *s, const struct report *rep);
/* Mean, 95 % CI, min, max of x[0..n) (NAN values skipped). O(n log n). */
void analysis_seed_stat(const double *x, size_t n, struct seed_stat *out);
/* The statistic of one figure over the seeds added. */
void analysis_seeds_stat(const struct seeds *s, int mode, size_t tenant,
			 int metric, struct seed_stat *out);
/* The "seeds" object of summary.json (analysis/README.md); NULL on ENOMEM. */
struct json_t *analysis_seeds_json(const struct seeds *s, const struct scenario *sc);
void analysis_seeds_release(struct seeds *s);

/* ---- comparing two run directories ---------------------------------------- */
struct cmp_row {
	char *key;                 /* "tenants[hp].policy.latency_ms.p99" */
	int in_a, in_b;
	int is_num;                /* both numeric (or null) */
	double a, b;               /* NAN for null / missing */
	char *sa, *sb;             /* text of non-numeric values, else NULL */
};
struct cmp_table {
	size_t n, cap;
	struct cmp_row *rows;      /* A's order, then what only B has */
};
/* Loads dir_a/summary.json and dir_b/summary.json and lines up every
 * leaf value (tenants matched by name, criteria by key). 0, HS_ENOMEM or
 * ANALYSIS_EBAD with
 * "PATH:LINE: what is wrong" in err. Free with analysis_compare_release(). */
int analysis_compare(const char *dir_a, const char *dir_b, struct cmp_table *t,
		     char *err, size_t errlen);
void analysis_compare_release(struct cmp_table *t);
/* (b - a) / |a|; NAN when a is 0 or either is NAN. */
double analysis_rel_diff(double a, double b);
/* A summary.json as a jansson object (caller json_decref()s): path is the
 * file (a regular file or a name ending in .json) or a run directory
 * holding it. Python's NaN / Infinity / -Infinity tokens (json.dump of
 * hw/bench/pytorch_plan.py) read as null. Checks that it is a summary (an
 * object with "scenario" and a "tenants" list). NULL with "FILE:LINE: what
 * is wrong" (or "FILE: why it cannot be read") in err. Reads the whole
 * file; at most 256 MiB. */
struct json_t *analysis_summary_load(const char *path, char *err, size_t errlen);

/* ---- fidelity: the simulator against a real run (analysis/fidelity.c) -------
 * `hipsched fidelity`: the figures of a real run (a summary.json of
 * hw/bench/pytorch_plan.py, or of `hipsched hw`) next to the simulator's
 * prediction of the same test (a `hipsched sim` run directory, with
 * --seeds N: the mean over the seeds and its 95 % CI), with the error
 * (sim - real) / |real| judged against the bar and the goal of issue 12.
 * Tenants are matched by name. Figures per tenant, for each mode
 * (standalone, native, policy): a tenant with an SLO (an online model)
 * P50 and P99 latency, and under native and policy P99 / standalone P99;
 * one without (a batch or training job) throughput, and under native and
 * policy throughput / standalone throughput; `all` gives every tenant
 * both kinds. A ratio over seeds is the mean of the per-seed ratios. */
#define FID_BAR  0.10              /* |error| a figure must stay within */
#define FID_GOAL 0.05              /* |error| aimed at */
enum fid_metric { FID_P50, FID_P99, FID_TPUT, FID_P99_RATIO, FID_TPUT_RATIO,
		  FID_NMETRIC };
enum fid_status { FID_GOAL_MET, FID_PASS, FID_MISS, FID_UNDEF, FID_NSTATUS };
struct fid_row {
	char tenant[64];
	int mode;                  /* SEEDS_STANDALONE, SEEDS_NATIVE, SEEDS_POLICY */
	int metric;                /* enum fid_metric */
	double real;               /* NAN: undefined or absent in the real run */
	struct seed_stat sim;      /* over the simulator's seeds (n 1 and no
	                            * CI for a run without --seeds) */
	double real_lo, real_hi;   /* the real run's own 95 % interval of the
	                            * figure (pytorch_plan.py's
	                            * p99_vs_standalone_ci95); NAN: none */
	double err;                /* (sim.mean - real) / |real|; NAN: undefined */
	int status;                /* enum fid_status (FID_UNDEF: either is NAN) */
};
struct fid_table {
	char test[64];             /* the real run's "scenario" (pytorch_dual) */
	char real_file[1024], sim_file[1024]; /* the two summary.json read */
	char real_policy[32], sim_policy[32];
	char sim_scenario[64], device[32];
	double real_duration_s, sim_duration_s;
	size_t sim_seeds;          /* seeds behind the simulator's figures */
	char warn[1024];           /* what differs between the two runs besides
	                            * the figures (policy, duration, priorities,
	                            * backend), "; "-separated, or "" */
	size_t n;
	struct fid_row *rows;      /* tenants in the real run's order, then
	                            * mode, then metric */
	size_t count[FID_NSTATUS]; /* rows per status */
};
/* Where the real run's summary.json is: real itself when it is a file,
 * real/summary.json when there, else real/POLICY/summary.json (the output
 * folder of pytorch_plan.py holds a run directory per policy). Into out.
 * 0, or ANALYSIS_EBAD with err when none of them exists. */
int analysis_fidelity_real_path(const char *real, const char *policy, char *out,
				size_t outlen, char *err, size_t errlen);
/* Builds t from the real run's summary (real: as for
 * analysis_fidelity_real_path, POLICY the simulator's) and the simulator's
 * (sim: a file or run directory, analysis_summary_load). 0, HS_ENOMEM,
 * or ANALYSIS_EBAD with err naming the file and what is wrong (a malformed
 * summary, a value of the wrong type, a tenant of one run missing in the
 * other). Release with analysis_fidelity_release(). */
int analysis_fidelity(const char *real, const char *sim, int all,
		      struct fid_table *t, char *err, size_t errlen);
void analysis_fidelity_release(struct fid_table *t);
/* The tables t[0..n) as Markdown (a section per test: what was compared,
 * the table, the count per status) onto f. */
void analysis_fidelity_md(FILE *f, const struct fid_table *t, size_t n);
/* Writes dir/fidelity.md (analysis_fidelity_md) and dir/fidelity.csv (one
 * row per figure of every table; columns in analysis/README.md), each
 * through a temp file renamed into place. 0, or ANALYSIS_EIO with err. */
int analysis_fidelity_write(const struct fid_table *t, size_t n, const char *dir,
			    char *err, size_t errlen);

/* ---- sweeps (analysis/sweep.c) ----------------------------------------------
 * `hipsched sweep`: a grid of settings of one scenario, each point run by
 * `hipsched sim` into its own point directory (layout in sweep.c). */
struct sweep_set {
	const char *key;           /* policy, threshold, a policy parameter,
	                            * seed / duration / device, TENANT.key */
	const char *val;
};
/* Where --set KEY goes in the INI: section ("policy", "scenario",
 * "tenant NAME") and key ("policy" is [policy] name; a bare key that is
 * not a [scenario] one is a [policy] key). -1 with err for an empty key or
 * an unknown tenant (HS_EINVAL). */
int sweep_target(const struct scenario *sc, const char *key, char *section,
		 size_t seclen, char *name, size_t namelen, char *err, size_t errlen);
/* Writes sc's file with the settings applied to out_path: a key present in
 * its section is replaced, a missing one added (a missing section too);
 * trace and arrival_file paths are made absolute. When the point sets
 * another policy, the file's own policy parameters are commented out (they
 * belong to the old one). The point's file is validated when it runs, so a
 * bad value fails that point only. 0, or HS_EINVAL / HS_ENOMEM /
 * ANALYSIS_EIO with err. */
int sweep_write_point(const struct scenario *sc, const struct sweep_set *set,
		      size_t n, const char *out_path, char *err, size_t errlen);

struct json_t;
struct sweep_point {
	char dir[1024];            /* the point directory */
	char settings[1024];       /* "k=v k=v" from point.txt */
	int ran;                   /* run/summary.json was read */
	int pass;                  /* its policy verdict */
	char error[512];           /* when !ran: why */
	struct json_t *summary;    /* the run's summary.json */
};
struct sweep_result {
	struct sweep_point *pt;    /* sorted by directory */
	size_t n;
	size_t failed;             /* points without a result */
	int plots;                 /* analysis_gnuplot's return */
	char plot_err[512];
};
/* Collects the point directories under dirs[i]/points/ into out/sweep.csv
 * (one row per point and tenant: point, status (ok / error), error,
 * set.KEY for each swept key, verdict (pass / fail), tenant, every run-level scalar of summary.json, then every
 * tenant scalar as tenant.PATH, and, for points run with `--seeds N`, the
 * run's seeds.n / seeds.verdict_pass and the tenant's figures over the
 * seeds as seeds.MODE.METRIC.{mean,ci95_lo,ci95_hi} (analysis_seeds_json);
 * a failed point gets one row with its error), and out/sweep_KEY.{png,svg} (mean P99 per tenant by the key's
 * value) through gnuplot. Fills r (release with sweep_result_release).
 * 0, or ANALYSIS_EIO (not a sweep directory, write error) / HS_ENOMEM
 * with err. */
int sweep_merge(const char *const *dirs, size_t ndirs, const char *out,
		struct sweep_result *r, char *err, size_t errlen);
void sweep_result_release(struct sweep_result *r);

#endif
