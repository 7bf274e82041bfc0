/*
 * `hipsched sweep SCENARIO --set KEY=V1,V2,... [--seeds N] [-j N]
 * [--out DIR] [--jobs-file F]` and `hipsched sweep --merge DIR...`.
 *
 * Every point of the grid (the product of the --set lists, last key
 * fastest) gets a point directory DIR/points/NNNN with
 * its scenario (point.ini, analysis/sweep.c writes it) and is run as
 * `hipsched sim point.ini --out .../run --json -j 1 [--seeds N]` (the
 * point's figures over seeds, analysis/seeds.c): a child process per
 * point, N at once. --jobs-file writes those command lines instead, for
 * GNU parallel or a Slurm array; --merge then collects the directories.
 * Either way the result is DIR/sweep.csv, one plot per swept key and the
 * verdict of each point. A point that fails is reported with its error;
 * the others complete.
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include "analysis.h"
#include "cli.h"

#define MAX_AXES 16

struct axis {
	char *key;
	char **val;
	size_t n;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched sweep SCENARIO --set KEY=V1,V2,... [--set ...]\n"
		"                      [--seeds N] [-j N] [--out DIR] [--jobs-file F]\n"
		"       hipsched sweep --merge DIR... [--out DIR]\n\n"
		"Runs the scenario in the simulator at every point of the grid of the\n"
		"--set lists, N points at once, and writes\n"
		"DIR/sweep.csv (one row per point and tenant, every metric of\n"
		"summary.json), DIR/sweep_KEY.png per swept key, and prints the\n"
		"verdict of each point. A point that fails is reported with its\n"
		"error; the others complete.\n\n"
		"  --set KEY=V,...  values of one key: policy, level, threshold, batch,\n"
		"                   a policy parameter (linger, slice, k, ...), seed,\n"
		"                   duration, device, or TENANT.KEY (hp.rate=5,10,20);\n"
		"                   several --set make a grid (last one fastest)\n"
		"  --seeds N        run every point under seeds S..S+N-1 (S: the point's\n"
		"                   seed) and add each tenant's P50, P99 and throughput\n"
		"                   mean and 95 %% CI over them to sweep.csv\n"
		"  -j, --jobs N     points at once (default: the machine's cores)\n"
		"  --out DIR        sweep directory (default: runs/<scenario>-sweep)\n"
		"  --jobs-file F    write the point directories and one command per\n"
		"                   line to F (GNU parallel, a Slurm array), run\n"
		"                   nothing; collect with --merge DIR afterwards\n"
		"  --merge DIR...   collect the point directories of sweeps into\n"
		"                   sweep.csv and plots (in --out, default the first\n"
		"                   DIR)\n\n"
		"exit status: 0 every point ran (whatever its verdict), 1 a point\n"
		"failed or an error, 2 usage\n");
}

static int parse_set(const char *arg, struct axis *ax)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return -1;
	ax->key = strndup(arg, (size_t)(eq - arg));
	char *vals = strdup(eq + 1), *save = NULL;
	if (!ax->key || !vals)
		return -1;
	for (char *v = strtok_r(vals, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		char **nv = realloc(ax->val, (ax->n + 1) * sizeof(*nv));
		if (!nv)
			break;
		ax->val = nv;
		ax->val[ax->n++] = strdup(v);
	}
	free(vals);
	return ax->n ? 0 : -1;
}

static void axes_free(struct axis *ax, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < ax[i].n; k++)
			free(ax[i].val[k]);
		free(ax[i].val);
		free(ax[i].key);
	}
}

/* Prints the points' verdicts; returns the exit status. */
static int report(const struct sweep_result *r, const char *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct sweep_point *pt = &r->pt[i];
		const char *name = strrchr(pt->dir, '/');
		printf("  %-6s %-5s %s%s%s\n", name ? name + 1 : pt->dir,
		       !pt->ran ? "ERROR" : pt->pass ? "PASS" : "FAIL", pt->settings,
		       pt->ran ? "" : ": ", pt->ran ? "" : pt->error);
	}
	size_t pass = 0, fail = 0;
	for (size_t i = 0; i < r->n; i++) {
		pass += r->pt[i].ran && r->pt[i].pass;
		fail += r->pt[i].ran && !r->pt[i].pass;
	}
	printf("\n%zu points, %zu passed, %zu failed their verdict, %zu did not run\n",
	       r->n, pass, fail, r->failed);
	printf("results: %s/sweep.csv\n", out);
	if (r->plots)
		cli_error("warning: %s", r->plot_err);
	return r->failed ? 1 : 0;
}

static int merge(const char *const *dirs, size_t n, const char *out)
{
	struct sweep_result r;
	char err[1024];
	if (sweep_merge(dirs, n, out, &r, err, sizeof(err))) {
		cli_error("sweep: %s", err);
		sweep_result_release(&r);
		return 1;
	}
	int st = report(&r, out);
	sweep_result_release(&r);
	return st;
}

/* Shell-quotes s into f. */
static void shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* Starts `self sim INI --out RUN --json -j 1 [--seeds N] > LOG 2>&1`;
 * returns the pid or -1. */
static pid_t start_point(const char *self, const char *pdir, const char *seeds)
{
	char ini[PATH_MAX], run[PATH_MAX], log[PATH_MAX];
	snprintf(ini, sizeof(ini), "%.4000s/point.ini", pdir);
	snprintf(run, sizeof(run), "%.4000s/run", pdir);
	snprintf(log, sizeof(log), "%.4000s/log.txt", pdir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (seeds)
		execl(self, "hipsched", "sim", ini, "--out", run, "--json", "-j", "1",
		      "--seeds", seeds, (char *)NULL);
	else
		execl(self, "hipsched", "sim", ini, "--out", run, "--json", "-j", "1",
		      (char *)NULL);
	fprintf(stderr, "hipsched: cannot run %s: %s\n", self, strerror(errno));
	_exit(1);
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "set", required_argument, NULL, 'S' },
		{ "seeds", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "jobs-file", required_argument, NULL, 'F' },
		{ "merge", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct axis ax[MAX_AXES + 1];
	size_t nax = 0;
	long seeds = 0, v;
	char seeds_arg[24] = "";
	int jobs = cli_jobs_default(), domerge = 0, status = 1;
	const char *out_opt = NULL, *jobs_file = NULL;
	int c;
	memset(ax, 0, sizeof(ax));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hj:", lopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (nax == MAX_AXES) {
				cli_error("sweep: at most %d --set", MAX_AXES);
				goto usage_err;
			}
			if (parse_set(optarg, &ax[nax++])) {
				cli_error("sweep: bad --set '%s' (KEY=V1,V2,...)", optarg);
				goto usage_err;
			}
			break;
		case 's':
			if (cli_parse_long(optarg, 1, 100000, &seeds)) {
				cli_error("sweep: bad --seeds '%s' (1..100000)", optarg);
				goto usage_err;
			}
			snprintf(seeds_arg, sizeof(seeds_arg), "%ld", seeds);
			break;
		case 'j':
			if (cli_parse_long(optarg, 1, 1024, &v)) {
				cli_error("sweep: bad --jobs '%s' (1..1024)", optarg);
				goto usage_err;
			}
			jobs = (int)v;
			break;
		case 'o':
			out_opt = optarg;
			break;
		case 'F':
			jobs_file = optarg;
			break;
		case 'm':
			domerge = 1;
			break;
		case 'h':
			usage(stdout);
			axes_free(ax, nax);
			return 0;
		default:
			cli_error("sweep: unknown or incomplete option '%s'", argv[optind - 1]);
			goto usage_err;
		}
	}
	if (domerge) {
		if (optind >= argc || nax || seeds || jobs_file) {
			cli_error("sweep: --merge takes sweep directories only");
			goto usage_err;
		}
		axes_free(ax, nax);
		return merge((const char *const *)&argv[optind], (size_t)(argc - optind),
			     out_opt ? out_opt : argv[optind]);
	}
	if (optind != argc - 1 || (!nax && !seeds)) {
		cli_error("sweep: %s", optind != argc - 1 ? "exactly one SCENARIO expected"
							  : "nothing to sweep (--set or --seeds)");
		goto usage_err;
	}
	char err[1024];
	struct scenario *sc = scenario_load(argv[optind], err, sizeof(err));
	if (!sc) {
		cli_error("%s", err);
		axes_free(ax, nax);
		return 1;
	}
	for (size_t i = 0; i < nax; i++) {
		char sec[256], key[256];
		if (sweep_target(sc, ax[i].key, sec, sizeof(sec), key, sizeof(key), err,
				 sizeof(err))) {
			cli_error("sweep: %s", err);
			goto done;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(ax[i].key, ax[j].key) == 0) {
				cli_error("sweep: --set %s given twice", ax[i].key);
				goto done;
			}
	}
	size_t npts = 1;
	for (size_t i = 0; i < nax; i++) {
		if (npts > 1000000 / ax[i].n) {
			cli_error("sweep: more than 1000000 points");
			goto done;
		}
		npts *= ax[i].n;
	}
	char outb[PATH_MAX], out[PATH_MAX], self[PATH_MAX];
	if (out_opt)
		snprintf(outb, sizeof(outb), "%s", out_opt);
	else
		snprintf(outb, sizeof(outb), "runs/%.200s-sweep", sc->name);
	if (cli_mkdir_p(outb) || !realpath(outb, out)) {
		cli_error("sweep: %s: %s", outb, strerror(errno));
		goto done;
	}
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		cli_error("sweep: cannot find the hipsched binary: %s", strerror(errno));
		goto done;
	}
	self[sl] = '\0';
	FILE *jf = NULL;
	if (jobs_file && !(jf = fopen(jobs_file, "w"))) {
		cli_error("sweep: %s: %s", jobs_file, strerror(errno));
		goto done;
	}
	/* the point directories */
	struct sweep_set set[MAX_AXES + 1];
	for (size_t p = 0; p < npts; p++) {
		char pdir[PATH_MAX], path[PATH_MAX + 16];
		size_t rest = p;
		for (size_t i = nax; i-- > 0;) {
			set[i].key = ax[i].key;
			set[i].val = ax[i].val[rest % ax[i].n];
			rest /= ax[i].n;
		}
		snprintf(pdir, sizeof(pdir), "%.4000s/points/%04zu", out, p + 1);
		if (cli_mkdir_p(pdir)) {
			cli_error("sweep: %s: %s", pdir, strerror(errno));
			goto jdone;
		}
		snprintf(path, sizeof(path), "%s/point.txt", pdir);
		FILE *f = fopen(path, "w");
		if (!f) {
			cli_error("sweep: %s: %s", path, strerror(errno));
			goto jdone;
		}
		for (size_t i = 0; i < nax; i++)
			fprintf(f, "%s=%s\n", set[i].key, set[i].val);
		fclose(f);
		snprintf(path, sizeof(path), "%s/point.ini", pdir);
		if (sweep_write_point(sc, set, nax, path, err, sizeof(err))) {
			cli_error("sweep: %s", err);
			goto jdone;
		}
		if (jf) {
			shq(jf, self);
			fputs(" sim ", jf);
			snprintf(path, sizeof(path), "%s/point.ini", pdir);
			shq(jf, path);
			fputs(" --out ", jf);
			snprintf(path, sizeof(path), "%s/run", pdir);
			shq(jf, path);
			fputs(" --json -j 1", jf);
			if (seeds)
				fprintf(jf, " --seeds %ld", seeds);
			fputs(" > ", jf);
			snprintf(path, sizeof(path), "%s/log.txt", pdir);
			shq(jf, path);
			fputs(" 2>&1\n", jf);
		}
	}
	if (jf) {
		if (fclose(jf)) {
			jf = NULL;
			cli_error("sweep: %s: %s", jobs_file, strerror(errno));
			goto done;
		}
		jf = NULL;
		printf("%zu points in %s; commands in %s\n"
		       "collect with: hipsched sweep --merge %s\n", npts, out, jobs_file, out);
		status = 0;
		goto done;
	}
	/* run them, `jobs` at once; SIGINT / SIGTERM are passed on to the
	 * running points (each `hipsched sim` then ends cleanly: no temp
	 * left, its run directory not written) and no sweep.csv is written */
	pid_t *pids = calloc((size_t)jobs, sizeof(*pids));
	if (!pids) {
		cli_error("sweep: out of memory");
		goto done;
	}
	cli_signals_init();
	size_t next = 0, running = 0;
	int passed = 0;
	while ((next < npts && !cli_stop) || running) {
		while (!cli_stop && running < (size_t)jobs && next < npts) {
			char pdir[PATH_MAX];
			snprintf(pdir, sizeof(pdir), "%.4000s/points/%04zu", out, ++next);
			pid_t pid = start_point(self, pdir, seeds ? seeds_arg : NULL);
			if (pid < 0) {
				cli_error("sweep: fork: %s", strerror(errno));
				break;
			}
			for (int k = 0; k < jobs; k++)
				if (!pids[k]) {
					pids[k] = pid;
					break;
				}
			running++;
		}
		if (cli_stop && !passed) {     /* once: a second signal would
		                                * end a point without its cleanup */
			passed = 1;
			for (int k = 0; k < jobs; k++)
				if (pids[k])
					kill(pids[k], (int)cli_stop);
		}
		int st;
		pid_t w = running ? wait(&st) : -1;
		if (w > 0) {
			running--;
			for (int k = 0; k < jobs; k++)
				if (pids[k] == w)
					pids[k] = 0;
		} else if (running && errno != EINTR) {
			break;
		}
		if (cli_stop)
			continue;
		if (isatty(2))
			fprintf(stderr, "\r\033[Khipsched: sweep %zu/%zu points done",
				next - running, npts);
	}
	if (isatty(2))
		fprintf(stderr, "\r\033[K");
	free(pids);
	if (cli_stop) {
		cli_error("sweep: interrupted: %zu of %zu points started, no sweep.csv written",
			  next, npts);
		status = cli_signal_exit();
		goto done;
	}
	const char *dirs[1] = { out };
	printf("sweep of %s: %zu points\n", sc->path, npts);
	status = merge(dirs, 1, out);
	goto done;
jdone:
	if (jf)
		fclose(jf);
done:
	scenario_free(sc);
	axes_free(ax, nax);
	return status;
usage_err:
	axes_free(ax, nax);
	usage(stderr);
	return 2;
}
