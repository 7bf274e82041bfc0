/*
 * Scenarios (what to run) and run results (what happened), shared by the
 * simulator (sim/), the HIP backend (hw/), the analysis (analysis/) and the
 * CLI.
 *
 * A scenario is an INI file read with libinih:
 *   [scenario] name, duration (e.g. 30s, 500ms), seed, device
 *   [policy]   name, level, threshold, batch, other keys = policy params
 *   [tenant NAME] trace, priority, arrival (periodic|poisson|closed|file),
 *              rate, arrival_file, slo, deadline, process (shared|own),
 *              weight, foreground (yes|no),
 *              host_timing (resample|recorded), wake_late (auto|0|DURATION),
 *              quiet (DURATION), lead (DURATION), intercept (DURATION)
 *   [verdict]  criteria (see struct criterion)
 * Trace paths are relative to the scenario file.
 */
#ifndef HIPSCHED_SCENARIO_H
#define HIPSCHED_SCENARIO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "sched.h"

/* scenarios/' block of the one error numbering (core/sched.h). */
enum scenario_err {
	SCENARIO_EBAD = HS_ERANGE_SCENARIO,        /* a scenario that cannot run */
	SCENARIO_EVALUE = HS_ERANGE_SCENARIO - 1,  /* a value that does not parse */
	SCENARIO_ELIMIT = HS_ERANGE_SCENARIO - 2,  /* more requests than a run
	                                            * keeps (SCENARIO_REQUESTS_MAX) */
};

/* Limits: what a run can hold in reasonable memory and time. A scenario
 * or command line beyond them is refused up front with a message (by
 * scenario_load() and scenario_check_limits()), not attempted. A run keeps
 * about 32 bytes per request, three runs' worth at once (standalone,
 * native, policy): SCENARIO_REQUESTS_MAX is about 1 GB. */
#define SCENARIO_DURATION_MAX_NS (86400LL * 1000000000LL) /* 24 h per run */
#define SCENARIO_RATE_MAX 1e6                             /* requests/s */
#define SCENARIO_TENANTS_MAX 1024
#define SCENARIO_REQUESTS_MAX 10000000                    /* per run */

enum arrival_kind { ARRIVAL_PERIODIC, ARRIVAL_POISSON, ARRIVAL_CLOSED, ARRIVAL_FILE };
enum process_mode { PROCESS_SHARED, PROCESS_OWN };
/* Where a request's host timing comes from (the workload model below). */
enum host_timing { HOST_TIMING_RESAMPLE, HOST_TIMING_RECORDED };
/* What the host's launch call does while the scheduler holds the command
 * (at the queue's threshold, or the queue suspended): returns at once, the
 * command waiting in its XQueue (hipsched hw's replay), or waits until the
 * scheduler lets it go (an application under libhipsched.so). */
enum host_launch { HOST_LAUNCH_ASYNC, HOST_LAUNCH_BLOCKING };
/* How late an open-loop tenant's timer wakes (the workload model below). */
enum wake_late { WAKE_LATE_NONE, WAKE_LATE_FIXED, WAKE_LATE_AUTO };

struct tenant_spec {
	char *name;
	char *trace_path;          /* resolved against the scenario's folder */
	int priority;              /* larger = more important */
	enum arrival_kind arrival;
	double rate_per_s;         /* periodic / poisson */
	char *arrival_file;        /* ARRIVAL_FILE: one arrival time (s) a line */
	hs_ns slo_ns;              /* latency objective, 0 = none */
	hs_ns deadline_ns;         /* relative deadline (edf/lax), 0 = slo */
	enum process_mode process;
	double weight;             /* share for bp/cfs/up/pup, default 1 */
	int foreground;            /* its process is in the foreground (awf) */
	unsigned threshold, batch; /* progressive launching; 0 = [policy]'s */
	enum host_timing host_timing; /* default: resample */
	enum host_launch host_launch; /* default: async */
	enum wake_late wake_late;  /* default: none (0) */
	hs_ns wake_late_ns;        /* WAKE_LATE_FIXED: the lateness */
	hs_ns lead_ns;             /* host time from a request's start to its
	                            * first command, for a trace without a
	                            * start marker (default 0) */
	hs_ns quiet_ns;            /* sim: a queue whose host has not launched
	                            * for this long has its last launched
	                            * command marked (libhipsched.so's
	                            * HIPSCHED_QUIET_US), 0 = off (default) */
	hs_ns intercept_ns;        /* sim: host time libhipsched.so adds to each
	                            * of the application's calls (its own_ns a
	                            * command), in runs under a policy other
	                            * than native; 0 = none (default) */
	int line;                  /* where the section starts, for messages */
};

enum criterion_kind {
	CRIT_P99_VS_STANDALONE_MAX,   /* tenant's P99 / standalone P99 <= v */
	CRIT_TPUT_VS_STANDALONE_MIN,  /* tenant's throughput / standalone >= v */
	CRIT_SLO_ATTAINMENT_MIN,      /* fraction of requests within SLO >= v */
	CRIT_P99_MS_MAX,              /* tenant's P99 in ms <= v */
	CRIT_GPU_UTIL_MIN,            /* device busy fraction >= v (no tenant) */
};

struct criterion {
	enum criterion_kind kind;
	char *tenant;              /* NULL for GPU-wide criteria */
	double value;
	char *key;                 /* the key as written, for the report */
	int line;
};

struct scenario {
	char *path;
	char *name;
	hs_ns duration_ns;
	uint64_t seed;
	char *device;              /* device profile name (sim/devices/NAME.ini) */
	char *policy;              /* default policy */
	int level;                 /* preemption level, default 1 */
	unsigned threshold, batch; /* progressive launching, default 16 / 8 */
	struct hs_param *params;   /* other [policy] keys */
	size_t nparams;
	struct tenant_spec *tenants;
	size_t ntenants;
	struct criterion *crit;
	size_t ncrit;
};

/* Reads and validates a scenario. On error returns NULL with
 * "FILE:LINE: what is wrong" in err. Free with scenario_free(). */
struct scenario *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(struct scenario *sc);
/* The same parser and checks for a file whose [tenant] sections are
 * optional: what `hipsched serve --config` reads its [policy] from (the
 * policy name, its parameters, level / threshold / batch). */
struct scenario *scenario_load_policy(const char *path, char *err, size_t errlen);

/* Checks sc run for duration_ns against the limits above: the duration,
 * and the requests its open-loop tenants would bring (rate x duration,
 * arrival file lines are checked when read). 0, or -1 with
 * "FILE:LINE: what is wrong" in err. */
int scenario_check_limits(const struct scenario *sc, hs_ns duration_ns,
			  char *err, size_t errlen);

/* Parses a span with a unit: "30s", "1.5ms", "250us", "100ns", "2m"; "0"
 * alone is allowed. Returns 0 and the span in *out_ns (rounded to the
 * nearest ns), or SCENARIO_EVALUE with the reason in why (a static
 * string). */
int scenario_parse_duration(const char *s, hs_ns *out_ns, const char **why);
/* The process a tenant's queues belong to (xq_config.group): 0 for the
 * tenants sharing the runner's process, 1 + its index for `process = own`.
 * The same numbering in sim and hw, so per-process policies decide alike. */
int scenario_tenant_group(const struct scenario *sc, size_t tenant);
/* The tenant's progressive-launching threshold and batch: its own keys,
 * else the [policy] section's. */
unsigned scenario_tenant_threshold(const struct scenario *sc, size_t tenant);
unsigned scenario_tenant_batch(const struct scenario *sc, size_t tenant);
/* Index of the tenant of that name, or -1. */
int scenario_tenant_index(const struct scenario *sc, const char *name);
/* Name of a criterion's metric ("p99_vs_standalone", ...), its comparison
 * (">=" for *_MIN kinds, "<=" for *_MAX) and whether it names a tenant. */
const char *criterion_metric(enum criterion_kind k);
const char *criterion_op(enum criterion_kind k);
int criterion_per_tenant(enum criterion_kind k);

/* The [policy] parameters that apply to `policy`: the scenario's own when
 * it is the scenario's policy, none otherwise (standalone and native runs,
 * or a --policy override). Returns the count; *out points into sc. */
size_t scenario_policy_params(const struct scenario *sc, const char *policy,
			      const struct hs_param **out);

/* ---- the tenant workload model (workload.c) ------------------------------
 * What a tenant asks of the GPU, computed once for every backend (sim_run
 * and hw_run consume the same plan, so "sim vs hw on one scenario" compares
 * the same input):
 *   - arrivals, in ns from the start of the run: periodic (k / rate),
 *     poisson (exponential gaps of mean 1 / rate; the first arrival is a
 *     sample too, not 0), closed (0, then each request's completion), file
 *     (arrival_file: one time in seconds a line, '#' comments; times must
 *     never decrease);
 *   - request choice: arrival k replays the trace's request k mod nreqs
 *     (its commands and GPU durations);
 *   - host gaps (the one definition both backends replay): a record's
 *     host gap is the time from the host's previous action in its request
 *     to its submission, where that action is the previous record's
 *     submission (its launch call, markers included), or the return of
 *     the previous record when that is a sync row (the sync row's end_ns):
 *     gap(i) = submit(i) - (sync(i-1) ? end(i-1) : submit(i-1)), >= 0.
 *     A backend submits record i at (its previous submission, or the
 *     moment the previous sync returned in the replay) + gap(i); the
 *     first record at the request's start. So a sync that takes longer
 *     in the replay than recorded delays what follows it rather than
 *     bunching it, as in the application. The time from a request's
 *     arrival to its first GPU command (the application's host work
 *     before it, e.g. preprocessing) is the gap of the records before it:
 *     a request whose first row is a `marker` (its start stamp, e.g. at
 *     hipsched_mark_request) waits from arrival to its first command as
 *     recorded; without one the first command is submitted at once;
 *   - think time (closed loop): arrival k > 0 is the completion of
 *     request k - 1 plus the host request's think time, the recorded
 *     time from the previous trace request's host end (the latest end_ns
 *     or submit_ns of its rows, when its final sync returned) to its own
 *     first row; trace request 0, which has none, takes the mean of the
 *     others'. Open-loop arrivals are not moved by it;
 *   - timer wake-up (`wake_late`, open-loop kinds only; closed-loop
 *     arrivals are no timer): a server loop sleeping until an arrival
 *     wakes late, so the request starts at arrival + lateness (its latency
 *     still counts from the arrival). 0 (the default): none; DURATION: that
 *     constant; auto: a lognormal per arrival fitted to the device
 *     profile's wake_late_p50_us / wake_late_p99_us (sigma = ln(p99 / p50)
 *     / 2.326), drawn with its own generator. Only a simulated host needs
 *     it (workload_env.apply_wake_late): the hw replay sleeps for real;
 *   - host timing (the host-jitter model): arrival k takes its host
 *     timing (the gaps between launch calls, the host side of syncs) from
 *     a request drawn uniformly, with the tenant's own generator, among the
 *     trace's requests of the same shape (trace_shapes: the same commands
 *     in the same order) as the one it replays; `host_timing = recorded`
 *     keeps the replayed request's own. Whole requests are resampled, not
 *     single gaps, because host delays are correlated within a request:
 *     in the H100 traces a request's host span varies 1.6x (ResNet-18 b1)
 *     to 4.7x (ResNet-50 b32) more than independent per-gap jitter of the
 *     same per-gap spread would give. The tail is then the recorded
 *     requests' own: record >= 100 of them for a P99;
 *   - seeding: one GSL generator (mt19937) per tenant and stream of
 *     randomness (arrivals, host timing), seeded from the run's seed and
 *     the tenant's NAME, never its index, so adding or removing a tenant
 *     leaves the other tenants' draws unchanged; draws are made in arrival
 *     order whatever order a backend asks in.
 * A plan is used by one thread at a time.
 */
struct workload;

#define WORKLOAD_NONE INT64_MAX    /* no further arrival */

struct trace;
struct trace_shapes;
/* What the backend's host is like, for the parts of the plan that depend
 * on it. NULL in workload_create: no wake-up model. */
struct workload_env {
	int apply_wake_late;       /* 1: a simulated host (the wake_late model
	                            * applies); 0: a real one (it sleeps) */
	hs_ns wake_late_p50_ns, wake_late_p99_ns; /* the device profile's, 0:
	                            * not in it (wake_late = auto fails) */
	/* the trace's shapes when the caller has them (another plan of the
	 * same trace: workload_shapes), kept alive as long as the plan;
	 * NULL: built here when host_timing = resample needs them */
	const struct trace_shapes *shapes;
};
/* A plan for tenant `tenant` of `sc` replaying trace `tr` (kept by the
 * caller, alive as long as the plan), from the run's `seed`, for a backend
 * whose host is `env` (may be NULL). Reads the arrival file (FILE:LINE
 * messages). 0 and *out (free with workload_free), or SCENARIO_EBAD /
 * HS_ENOMEM with a message in err. O(trace). */
int workload_create(const struct scenario *sc, size_t tenant, uint64_t seed,
		    const struct trace *tr, const struct workload_env *env,
		    struct workload **out, char *err, size_t errlen);
void workload_free(struct workload *w);
/* The trace's shapes the plan draws host timings from (for another plan of
 * the same trace: workload_env.shapes), or NULL when it has none
 * (host_timing is not resample). O(1). */
const struct trace_shapes *workload_shapes(const struct workload *w);

/* The next arrival (the k-th call gives arrival k), ns from the run's
 * start, or WORKLOAD_NONE when an arrival file is exhausted. A closed-loop
 * tenant's arrival k > 0 is `prev_end_ns`, the completion of request k - 1
 * (open-loop kinds ignore it). Arrivals never decrease. O(1). */
hs_ns workload_next_arrival(struct workload *w, hs_ns prev_end_ns);
/* How late the host's timer wakes for the arrival last handed out by
 * workload_next_arrival (0 without the model): the request starts at
 * arrival + this. O(1). */
hs_ns workload_wake_late(const struct workload *w);
/* The host gap before trace record `rec` (index into tr->recs; the
 * definition above), 0 for a request's first record. O(1). */
hs_ns workload_gap(const struct workload *w, size_t rec);
/* Whether the tenant's arrivals follow its completions (closed loop). */
int workload_closed(const struct workload *w);
/* The trace request that arrival `k` replays (0 .. nreqs - 1). */
size_t workload_request(const struct workload *w, uint64_t k);
/* The trace request whose host timing arrival `k` uses: of the same shape
 * as workload_request(w, k), so record j of the one stands for record j of
 * the other. The same answer for the same k however often and in whatever
 * order it is asked; (size_t)-1 when out of memory. Amortised O(1); keeps 4
 * bytes per arrival drawn. */
size_t workload_host_request(struct workload *w, uint64_t k);

/* ---- run results -------------------------------------------------------- */
struct req_record {
	int64_t request;           /* per-tenant request number from 0 */
	hs_ns arrival_ns;          /* when the request arrived */
	hs_ns start_ns;            /* when it started on the host: its first
	                            * command (or start marker) was submitted,
	                            * or, with a tenant's lead, that long
	                            * before its first command */
	hs_ns end_ns;              /* when its last command completed; < 0:
	                            * it had not completed when the run ended */
	int64_t trace_req;         /* the trace request it replayed
	                            * (workload_request) */
};

struct tenant_result {
	struct req_record *req;
	size_t nreq, cap;
	uint64_t kernels;          /* kernels executed for this tenant */
	hs_ns gpu_busy_ns;         /* time with >= 1 of its commands running */
};

struct run_result {
	char backend[16];          /* "sim" or "hw" */
	char policy[32];
	char mode[16];             /* "standalone", "native", "policy" */
	uint64_t seed;
	hs_ns duration_ns;         /* the measured window [0, duration) */
	uint64_t kernels_simulated;
	uint64_t events;           /* simulator events fired (0 on hardware) */
	hs_ns gpu_busy_ns;         /* time with >= 1 command running */
	size_t ntenants;           /* == scenario's ntenants */
	struct tenant_result *t;
	size_t nreq_all;           /* requests of every tenant, at most
	                            * SCENARIO_REQUESTS_MAX (then
	                            * SCENARIO_ELIMIT) */
	/* preemption latencies observed (suspend -> queue idle), ns */
	hs_ns *preempt_ns;
	size_t npreempt, preempt_cap;
	/* the policy server's figures (hw/serve/serve.h; hw runs whose
	 * tenants live in several processes under one policy): LOAD messages
	 * received, decisions sent, policy timers fired, and each decision's
	 * round trip (a LOAD sent -> the decision it caused applied in the
	 * client), ns. All 0 when no server ran. */
	uint64_t serve_loads, serve_suspends, serve_resumes, serve_timers;
	hs_ns *rtt_ns;
	size_t nrtt, rtt_cap;
};

/* 0 or HS_ENOMEM. */
int run_result_init(struct run_result *r, size_t ntenants);
void run_result_release(struct run_result *r);
int run_result_add_req(struct run_result *r, size_t tenant,
		       const struct req_record *rec);
int run_result_add_preempt(struct run_result *r, hs_ns lat_ns);
int run_result_add_rtt(struct run_result *r, hs_ns rtt_ns);

/* The one percentile of the project (every table and figure: latencies,
 * `hw direct`, the relay's round trips, calibration medians): sorts
 * v[0..n) ascending in place and writes the q[i]-quantile (0 <= q <= 1)
 * to out[i] for i < nq, GSL's definition (gsl_stats_quantile_from_sorted_
 * data: linear interpolation between order statistics, so the median of
 * an even count is the mean of the middle two; q = 1 is the maximum).
 * NaN for every q when n == 0. O(n log n). */
void run_quantiles(double *v, size_t n, const double *q, double *out, size_t nq);

/* How a backend runs a scenario (sim_run, hw_run). */
struct run_opts {
	const char *policy;        /* NULL: the scenario's */
	const char *mode;          /* label copied into the result */
	uint64_t seed;
	hs_ns duration_ns;         /* <= 0: the scenario's */
	const unsigned char *active; /* per tenant 0/1; NULL: all */
	const char *timeline_path; /* Chrome trace JSON of the run; NULL: none */
	hs_ns tl_from_ns;          /* only events in [tl_from_ns, tl_to_ns) go */
	hs_ns tl_to_ns;            /* into the timeline; tl_to_ns <= 0: open */
	void (*progress)(void *ctx, double fraction);
	void *progress_ctx;
	int device;                /* hw: GPU ordinal (--device N); sim: unused */
	/* when non-NULL and *stop turns non-zero (a signal), the run ends as
	 * soon as it can, children and threads ended, and returns HS_EINTR */
	const volatile sig_atomic_t *stop;
};
/* A backend's whole run of a scenario (sim_run, hw_run).
 * res: the caller passes it zeroed (no allocation in it); the run_fn calls
 * run_result_init(res, sc->ntenants) itself, then fills it: one req_record
 * per request that arrived in [0, duration) for each tenant o->active
 * selects (all when NULL), end_ns < 0 for one not completed; duration_ns,
 * gpu_busy_ns, kernels_simulated, backend, policy, mode, seed; preemption
 * latencies. The caller releases res with run_result_release() afterwards,
 * whether the run succeeded or not. o->progress (optional) is called now
 * and then with the fraction done; o->timeline_path, when set, names the
 * Chrome trace JSON to write. Returns 0, or a negative hs_err with a
 * message in err. */
typedef int (*run_fn)(const struct scenario *sc, const struct run_opts *o,
		      struct run_result *res, char *err, size_t errlen);

#endif
