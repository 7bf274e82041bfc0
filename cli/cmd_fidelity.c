/*
 * hipsched fidelity REAL SIM [REAL SIM ...]: the simulator's prediction of
 * a test against the real run of it (analysis_fidelity, analysis.h). SIM
 * is a simulator run directory or a scenario, which is then run here with
 * the shared driver (cli_drive, --seeds N) into OUT/sim_<scenario name>.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "analysis.h"
#include "cli.h"
#include "sim.h"

#define FID_SEEDS_DEFAULT 10
#define FID_MAX_TESTS 32

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched fidelity REAL SIM [REAL SIM ...] [--seeds N] [--duration D]\n"
		"                         [--all] [--out DIR] [-j N] [--quiet]\n\n"
		"Puts the figures of a real run next to the simulator's prediction of\n"
		"the same test, tenants matched by name: per tenant and mode (alone,\n"
		"native, the policy) an online tenant's (one with an SLO) P50 and P99\n"
		"and P99 / alone, a batch tenant's req/s and req/s / alone; the error\n"
		"(sim - real) / |real| against the bar of %.0f %% and the goal of %.0f %%.\n"
		"Prints the tables (Markdown) and writes DIR/fidelity.md and\n"
		"DIR/fidelity.csv (analysis/README.md, \"Fidelity\").\n\n"
		"  REAL           the real run: a run directory of hw/bench/pytorch_plan.py\n"
		"                 (or of hipsched hw), its summary.json, or the test's\n"
		"                 output folder (then REAL/POLICY/, POLICY the simulator's)\n"
		"  SIM            a hipsched sim run directory (with --seeds N there: mean\n"
		"                 and 95 %% CI over the seeds), or a scenario file: then\n"
		"                 it is run here into DIR/sim_<scenario name>\n"
		"  --seeds N      seeds a scenario runs under (default %d; 1: no interval)\n"
		"  --duration D   a scenario's run length (default: the real run's\n"
		"                 duration_s, else the scenario's)\n"
		"  --all          every figure for every tenant (latency and throughput)\n"
		"  --out DIR      where the files go (default runs/fidelity; created)\n"
		"  -j, --jobs N   simulator runs at once (default: the machine's cores)\n"
		"  --quiet        no progress line while the simulator runs\n\n"
		"exit status: 0 every figure within the bar, 1 one is not (or is\n"
		"undefined on a side), 2 usage, 3 bad input (a missing or malformed\n"
		"summary or scenario, tenants that differ), 4 a run failed, 130/143\n"
		"interrupted\n", 100 * FID_BAR, 100 * FID_GOAL, FID_SEEDS_DEFAULT);
}

/* SIM names a scenario (a file that is not a summary), not a run. */
static int is_scenario(const char *p)
{
	struct stat st;
	size_t l = strlen(p);
	if (l > 4 && strcmp(p + l - 4, ".ini") == 0)
		return 1;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	       !(l > 5 && strcmp(p + l - 5, ".json") == 0);
}

struct fid_opts {
	size_t nseeds;
	long long duration_ns;
	const char *out;
	int jobs, quiet;
};

/* Runs the scenario at `scen` against the real run `real` (resolved with
 * the scenario's policy into real_file); the run directory's path into
 * simdir. Returns an exit status (CLI_OK when the run is there). */
static int run_sim(const struct fid_opts *fo, const char *real, const char *scen,
		   char *real_file, size_t rflen, char *simdir, size_t sdlen)
{
	char err[1024];
	struct scenario *sc = scenario_load(scen, err, sizeof(err));
	if (!sc) {
		cli_error("%s", err);
		return CLI_INPUT;
	}
	int status = CLI_INPUT;
	json_t *r = NULL;
	if (analysis_fidelity_real_path(real, sc->policy, real_file, rflen, err,
					sizeof(err)) ||
	    !(r = analysis_summary_load(real_file, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	/* the same tenants, before a run is spent on another test */
	size_t nreal = json_array_size(json_object_get(r, "tenants"));
	for (size_t i = 0; i <= nreal; i++) {
		const char *n = i < nreal ? json_string_value(json_object_get(
			json_array_get(json_object_get(r, "tenants"), i), "name")) : NULL;
		if (i < nreal && (!n || scenario_tenant_index(sc, n) < 0)) {
			cli_error("%s: tenant '%s' of the real run is not in the scenario "
				  "%s: not the same test", real_file, n ? n : "?", scen);
			goto out;
		}
	}
	for (size_t i = 0; i < sc->ntenants; i++) {
		int found = 0;
		for (size_t j = 0; j < nreal; j++) {
			const char *n = json_string_value(json_object_get(json_array_get(
				json_object_get(r, "tenants"), j), "name"));
			found |= n && strcmp(n, sc->tenants[i].name) == 0;
		}
		if (!found) {
			cli_error("%s: tenant '%s' is not in the real run %s: not the "
				  "same test", scen, sc->tenants[i].name, real_file);
			goto out;
		}
	}
	double real_s = json_number_value(json_object_get(r, "duration_s"));
	snprintf(simdir, sdlen, "%s/sim_%s", fo->out, sc->name);
	struct drive_opts o = {
		.backend = "sim", .scenario_path = scen, .nseeds = fo->nseeds,
		.duration_ns = fo->duration_ns > 0 ? fo->duration_ns :
			       real_s > 0 && real_s <= SCENARIO_DURATION_MAX_NS / 1e9 ?
			       (long long)llround(real_s * 1e9) : 0,
		.out_dir = simdir, .quiet = fo->quiet, .silent = 1, .jobs = fo->jobs,
	};
	status = cli_drive(&o, sim_run);
	if (status == CLI_FAIL)      /* the scenario's verdict: not ours */
		status = CLI_OK;
out:
	json_decref(r);
	scenario_free(sc);
	return status;
}

int cmd_fidelity(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seeds", required_argument, NULL, 'N' },
		{ "duration", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fid_opts fo = { .nseeds = FID_SEEDS_DEFAULT, .out = "runs/fidelity",
			       .jobs = cli_jobs_default() };
	int all = 0, c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hj:", lopts, NULL)) != -1) {
		switch (c) {
		case 'N': {
			long v;
			if (cli_parse_long(optarg, 1, 10000, &v)) {
				cli_error("fidelity: bad --seeds '%s' (1 to 10000)", optarg);
				return CLI_USAGE;
			}
			fo.nseeds = (size_t)v;
			break;
		}
		case 'd':
			if (cli_parse_duration(optarg, &fo.duration_ns) ||
			    fo.duration_ns > SCENARIO_DURATION_MAX_NS) {
				cli_error("fidelity: bad --duration '%s' (e.g. 30s, at most "
					  "24 h)", optarg);
				return CLI_USAGE;
			}
			break;
		case 'a':
			all = 1;
			break;
		case 'o':
			if (!optarg[0]) {
				cli_error("fidelity: --out needs a directory path");
				return CLI_USAGE;
			}
			fo.out = optarg;
			break;
		case 'j': {
			long v;
			if (cli_parse_long(optarg, 1, 256, &v)) {
				cli_error("fidelity: bad --jobs '%s' (1..256)", optarg);
				return CLI_USAGE;
			}
			fo.jobs = (int)v;
			break;
		}
		case 'q':
			fo.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			cli_error("fidelity: unknown or incomplete option '%s'",
				  argv[optind - 1]);
			usage(stderr);
			return CLI_USAGE;
		}
	}
	int npos = argc - optind;
	if (npos < 2 || npos % 2 || npos / 2 > FID_MAX_TESTS) {
		cli_error("fidelity: %s", npos < 2 ? "REAL and SIM expected" :
			  npos % 2 ? "REAL SIM pairs expected (an odd number of paths)" :
			  "at most 32 REAL SIM pairs");
		usage(stderr);
		return CLI_USAGE;
	}
	struct stat st;
	if (stat(fo.out, &st) == 0 && !S_ISDIR(st.st_mode)) {
		cli_error("fidelity: --out %s: not a directory", fo.out);
		return CLI_INPUT;
	}
	if (cli_mkdir_p(fo.out)) {
		cli_error("fidelity: --out %s: %s", fo.out, strerror(errno));
		return CLI_RUN;
	}
	size_t nt = (size_t)npos / 2;
	struct fid_table *t = calloc(nt, sizeof(*t));
	if (!t) {
		cli_error("out of memory");
		return CLI_RUN;
	}
	int status = CLI_OK;
	char err[1024];
	size_t done = 0;
	for (; done < nt; done++) {
		const char *real = argv[optind + 2 * done], *sim = argv[optind + 2 * done + 1];
		char real_file[PATH_MAX], simdir[PATH_MAX];
		if (is_scenario(sim)) {
			status = run_sim(&fo, real, sim, real_file, sizeof(real_file),
					 simdir, sizeof(simdir));
			if (status)
				break;
			real = real_file;
			sim = simdir;
		}
		int rc = analysis_fidelity(real, sim, all, &t[done], err, sizeof(err));
		if (rc) {
			cli_error("%s", err);
			status = rc == HS_ENOMEM ? CLI_RUN : CLI_INPUT;
			break;
		}
	}
	if (!status) {
		if (analysis_fidelity_write(t, nt, fo.out, err, sizeof(err))) {
			cli_error("%s", err);
			status = CLI_RUN;
		} else {
			analysis_fidelity_md(stdout, t, nt);
			printf("\n(written: %s/fidelity.md, %s/fidelity.csv)\n", fo.out, fo.out);
			for (size_t i = 0; i < nt; i++)
				if (t[i].count[FID_MISS] || t[i].count[FID_UNDEF])
					status = CLI_FAIL;
		}
	}
	for (size_t i = 0; i < done; i++)
		analysis_fidelity_release(&t[i]);
	free(t);
	if (cli_stop)
		status = cli_signal_exit();
	return status;
}
