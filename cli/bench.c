/*
 * `hipsched sim SCENARIO --bench`: how fast the simulator runs. The wall
 * clock is read here, never in sim/.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "scenario.h"
#include "sim.h"
#include "trace.h"

#define BENCH_REPS 3      /* best of: the machine may be shared */

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct bench_run {
	hs_ns dur_ns;
	uint64_t kernels;
	uint64_t events;
	double wall;
};

/* Best (shortest wall time) of `reps` runs of duration dur. */
static int one(const struct scenario *sc, const struct sim_inputs *in,
	       hs_ns dur, int reps, struct bench_run *b)
{
	struct run_opts o = { .mode = "bench", .duration_ns = dur };
	b->dur_ns = dur;
	b->wall = -1;
	for (int i = 0; i < reps; i++) {
		struct run_result res;
		char err[512];
		double t0 = wall_s();
		int rc = sim_run_with(sc, &o, in, &res, err, sizeof(err));
		double t1 = wall_s();
		if (rc) {
			cli_error("%s", err);
			run_result_release(&res);
			return rc;
		}
		b->kernels = res.kernels_simulated;
		b->events = res.events;
		if (b->wall < 0 || t1 - t0 < b->wall)
			b->wall = t1 - t0;
		run_result_release(&res);
	}
	return 0;
}

static void print(const struct bench_run *b)
{
	double w = b->wall > 0 ? b->wall : 1e-9;
	printf("  duration %8.3f s  kernels %10llu  wall %8.3f s  "
	       "%6.2f M kernels/s  %6.2f M events/s  %8.1f sim s / wall s\n",
	       (double)b->dur_ns / 1e9, (unsigned long long)b->kernels, b->wall,
	       (double)b->kernels / w / 1e6, (double)b->events / w / 1e6,
	       (double)b->dur_ns / 1e9 / w);
}

/* Runs the scenario's policy at durations d and 2d (traces loaded once,
 * one copy per file, outside the timing; best of BENCH_REPS runs each) and prints kernels per
 * wall second, simulated seconds per wall second and the 2d / d cost ratio
 * (2.0 = linear). Returns the exit status. */
static int bench(const struct scenario *sc, long long duration_ns)
{
	hs_ns d = duration_ns > 0 ? duration_ns : sc->duration_ns;
	if (d <= 0) {
		cli_error("%s: duration must be > 0", sc->path ? sc->path : "scenario");
		return 2;
	}
	struct trace **tr = calloc(sc->ntenants ? sc->ntenants : 1, sizeof(*tr));
	if (!tr) {
		cli_error("out of memory");
		return CLI_RUN;
	}
	int status = CLI_RUN;
	/* one copy per trace file, shared by the tenants replaying it, as
	 * sim_run() loads them itself */
	char *own = calloc(sc->ntenants ? sc->ntenants : 1, 1);
	if (!own) {
		cli_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < sc->ntenants; i++) {
		struct trace_err te;
		const char *p = sc->tenants[i].trace_path;
		for (size_t j = 0; j < i && !tr[i]; j++)
			if (p && sc->tenants[j].trace_path &&
			    strcmp(p, sc->tenants[j].trace_path) == 0)
				tr[i] = tr[j];
		if (tr[i])
			continue;
		own[i] = 1;
		tr[i] = trace_load(p, &te);
		if (!tr[i]) {
			cli_error("%s", te.msg);
			status = CLI_INPUT;
			goto out;
		}
	}
	struct sim_inputs in = { .traces = tr };
	struct bench_run a, b;
	printf("bench %s: policy %s, best of %d runs\n",
	       sc->name ? sc->name : sc->path,
	       sc->policy ? sc->policy : "native", BENCH_REPS);
	if (one(sc, &in, d, BENCH_REPS, &a) ||
	    one(sc, &in, 2 * d, BENCH_REPS, &b))
		goto out;
	print(&a);
	print(&b);
	printf("  cost ratio 2d/d: %.2f (2.00 = linear in simulated time)\n",
	       a.wall > 0 ? b.wall / a.wall : 0.0);
	status = 0;
out:
	for (size_t i = 0; own && i < sc->ntenants; i++)
		if (own[i] && tr[i])
			trace_free(tr[i]);
	free(own);
	free(tr);
	return status;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hipsched sim SCENARIO --bench [--duration D]\n\n"
		"Simulator speed: the scenario's policy run at durations D and 2D\n"
		"(default D: the scenario's), best of %d runs each.\n", BENCH_REPS);
}

int cli_sim_bench_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "bench", no_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long dur = 0;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			break;
		case 'd':
			if (cli_parse_duration(optarg, &dur)) {
				cli_error("sim: bad --duration '%s' (e.g. 10s, 500ms)", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			cli_error("sim --bench: unknown or incomplete option '%s' (only "
				  "--duration goes with --bench)", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		cli_error("sim --bench: %s", optind >= argc ? "no SCENARIO given" :
			  "exactly one SCENARIO expected");
		usage(stderr);
		return 2;
	}
	char err[1024];
	struct scenario *sc = scenario_load(argv[optind], err, sizeof(err));
	if (!sc) {
		cli_error("%s", err);
		return CLI_INPUT;
	}
	int rc = bench(sc, dur);
	scenario_free(sc);
	return rc;
}
