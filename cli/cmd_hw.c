/*
 * hipsched hw: the scenario on a real GPU (HIP backend, hw/).
 *
 *   hipsched hw SCENARIO [--policy P] [--device N] [--out DIR] [--json] ...
 *       like `hipsched sim`: standalone references, native, the policy;
 *       same run directory, table and verdict (cli/drive.c with hw_run).
 *   hipsched hw calibrate [--device N] [-o FILE] [--base PROFILE]
 *       measures the device and writes a device profile.
 *   hipsched hw direct SCENARIO [--device N] [--duration D] [--tenant NAME]
 *       the same replay without the scheduler (overhead baseline).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "hw.h"
#include "scenario.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched hw SCENARIO [--policy P] [--device N] [--out DIR] [--json]\n"
		"       hipsched hw calibrate [--device N] [-o FILE] [--base PROFILE]\n"
		"       hipsched hw direct SCENARIO [--device N] [--duration D] [--tenant NAME]\n"
		"\n"
		"Runs a scenario on the GPU like `hipsched sim` does in the simulator.\n"
		"Replay kernels are corrected with the calibration in $HIPSCHED_CALIB\n"
		"(a profile written by `hipsched hw calibrate -o FILE`), if set.\n"
		"GPU backend compiled in: %s\n", hw_backend_name());
}

static int no_backend(void)
{
	cli_error("hw: this hipsched was built without a GPU backend "
		  "(rebuild with `make HW=nvidia` or `make HW=amd`)");
	return CLI_RUN;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > 1024)
		return -1;
	*out = (int)v;
	return 0;
}

static int cmd_calibrate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int device = 0, c;
	const char *out = NULL, *base = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_int(optarg, &device)) {
				cli_error("hw calibrate: --device: '%s' is not a device number", optarg);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		cli_error("hw calibrate: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (out && base && cli_same_file(out, base)) {
		cli_error("hw calibrate: %s is the --base profile; write the new one "
			  "elsewhere", out);
		return CLI_INPUT;
	}
	if (!strcmp(hw_backend_name(), "none"))
		return no_backend();
	struct hw_calib *cal = calloc(1, sizeof(*cal));
	char err[512] = "";
	if (!cal)
		return CLI_RUN;
	int rc = hw_calibrate(device, cal, err, sizeof(err));
	if (rc) {
		cli_error("hw calibrate: %s", err);
		free(cal);
		return CLI_RUN;
	}
	printf("device %d: %s, %d SMs/CUs, stream priorities %d (least) .. %d (greatest)\n",
	       device, cal->device, cal->sms, cal->prio_lo, cal->prio_hi);
	printf("launch call (host)        %8.2f us\n", cal->launch_ns / 1e3);
	printf("empty kernel round trip   %8.2f us\n", cal->roundtrip_ns / 1e3);
	printf("launch -> start (derived) %8.2f us\n", cal->launch_to_start_ns / 1e3);
	printf("sync (event -> host)      %8.2f us\n", cal->sync_ns / 1e3);
	printf("empty kernel back to back %8.2f us\n", cal->kernel_gap_ns / 1e3);
	printf("replay fit: measured = %.2f us + %.4f * requested (R^2 %.5f)\n",
	       cal->fit_offset_ns / 1e3, cal->fit_slope, cal->fit_r2);
	printf("%8s %12s %12s %9s %12s %11s\n", "blocks", "requested us", "measured us",
	       "error %", "fit us", "residual %");
	for (size_t i = 0; i < cal->npts; i++) {
		const struct hw_calib_point *p = &cal->pt[i];
		double fit = cal->fit_offset_ns + cal->fit_slope * (double)p->req_ns;
		printf("%8u %12.1f %12.1f %8.2f%% %12.1f %10.2f%%\n", p->blocks,
		       p->req_ns / 1e3, p->meas_ns / 1e3,
		       100.0 * ((double)p->meas_ns - (double)p->req_ns) / (double)p->req_ns,
		       fit / 1e3, 100.0 * ((double)p->meas_ns - fit) / fit);
	}
	if (out) {
		rc = hw_calib_write(cal, out, base, err, sizeof(err));
		if (rc) {
			cli_error("hw calibrate: %s", err);
			free(cal);
			return CLI_RUN;
		}
		printf("profile written to %s\n", out);
	}
	free(cal);
	return 0;
}

static int cmd_direct(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 't' },
		{ "tenant", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int device = 0, c;
	const char *tenant = NULL;
	hs_ns dur = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:t:n:h", lo, NULL)) != -1) {
		const char *why;
		switch (c) {
		case 'd':
			if (parse_int(optarg, &device)) {
				cli_error("hw direct: --device: '%s' is not a device number", optarg);
				return 2;
			}
			break;
		case 't':
			if (scenario_parse_duration(optarg, &dur, &why)) {
				cli_error("hw direct: --duration: %s", why);
				return CLI_USAGE;
			}
			if (dur > SCENARIO_DURATION_MAX_NS) {
				cli_error("hw direct: --duration longer than %.0f s",
					  SCENARIO_DURATION_MAX_NS / 1e9);
				return CLI_USAGE;
			}
			break;
		case 'n':
			tenant = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(hw_backend_name(), "none"))
		return no_backend();
	char err[512];
	struct scenario *sc = scenario_load(argv[optind], err, sizeof(err));
	if (!sc) {
		cli_error("%s", err);
		return CLI_INPUT;
	}
	unsigned char *active = calloc(sc->ntenants ? sc->ntenants : 1, 1);
	int ti = -1;
	if (tenant && (ti = scenario_tenant_index(sc, tenant)) < 0) {
		cli_error("hw direct: no tenant '%s' in %s", tenant, sc->path);
		free(active);
		scenario_free(sc);
		return 2;
	}
	for (size_t i = 0; i < sc->ntenants; i++)
		active[i] = ti < 0 || (int)i == ti;
	cli_signals_init();
	struct run_opts o = { .mode = "direct", .seed = sc->seed, .duration_ns = dur,
			      .active = active, .device = device, .stop = &cli_stop };
	struct run_result res = { 0 };
	int rc = hw_run_direct(sc, &o, &res, err, sizeof(err));
	if (rc) {
		cli_error("hw direct: %s", err);
	} else {
		printf("scenario %s without the scheduler (direct launches), %.3g s\n",
		       sc->name, res.duration_ns / 1e9);
		printf("%-12s %6s %9s %9s %10s %9s\n", "tenant", "done", "p50 ms",
		       "p99 ms", "req/s", "kernels");
		for (size_t i = 0; i < sc->ntenants; i++) {
			if (!active[i])
				continue;
			const struct tenant_result *t = &res.t[i];
			double *lat = malloc((t->nreq ? t->nreq : 1) * sizeof(*lat));
			size_t n = 0, inwin = 0;
			for (size_t k = 0; lat && k < t->nreq; k++) {
				if (t->req[k].end_ns < 0)
					continue;
				lat[n++] = (double)(t->req[k].end_ns - t->req[k].arrival_ns) / 1e6;
				inwin += t->req[k].end_ns <= res.duration_ns;
			}
			static const double q[2] = { 0.50, 0.99 };
			double p[2];
			run_quantiles(lat, n, q, p, 2);
			printf("%-12s %6zu %9.3f %9.3f %10.2f %9llu\n", sc->tenants[i].name,
			       n, p[0], p[1], inwin / (res.duration_ns / 1e9),
			       (unsigned long long)t->kernels);
			free(lat);
		}
	}
	run_result_release(&res);
	free(active);
	scenario_free(sc);
	return cli_exit_status(rc);
}

int cmd_hw(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "calibrate") == 0)
		return cmd_calibrate(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "direct") == 0)
		return cmd_direct(argc - 1, argv + 1);
	if (!strcmp(hw_backend_name(), "none"))
		return no_backend();
	return cli_drive_main(argc, argv, "hw", hw_run);
}
