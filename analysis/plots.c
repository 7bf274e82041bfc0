/*
 * Plots: gnuplot data files and a script written into the run directory,
 * then gnuplot run there as a child process (so the script and data stay
 * next to the pictures and can be edited and re-run by hand:
 * `cd RUN && gnuplot plots.gp`).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "analysis.h"

static const char *const mode_names[3] = { "standalone", "native", "policy" };

static const struct run_result *mode_run(const struct report *rep, int mode,
					 size_t ti)
{
	switch (mode) {
	case 0: return &rep->standalone[ti];
	case 1: return &rep->native;
	default: return &rep->pol;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* cdf_TENANT_MODE.dat: "latency_ms fraction" per completed request.
 * Returns the number of points, or -1 on error. */
static long write_cdf(const char *dir, const char *tenant, const char *mode,
		      const struct tenant_result *t, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cdf_%s_%s.dat", dir, tenant, mode);
	double *x = malloc((t->nreq ? t->nreq : 1) * sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "%s: out of memory", path);
		return HS_ENOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < t->nreq; i++)
		if (t->req[i].end_ns >= 0)
			x[n++] = (double)(t->req[i].end_ns - t->req[i].arrival_ns) / 1e6;
	qsort(x, n, sizeof(*x), cmp_double);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		free(x);
		return ANALYSIS_EIO;
	}
	fprintf(f, "# latency_ms fraction_of_completed (%s, %s)\n", tenant, mode);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.6f %.6f\n", x[i], (double)(i + 1) / (double)n);
	free(x);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write error", path);
		return ANALYSIS_EIO;
	}
	return (long)n;
}

static double or0(double v)
{
	return isfinite(v) ? v : 0;
}

/* Both terminals for one figure: the script draws it once per format. */
static void out_both(FILE *gp, const char *base, const char *body)
{
	fprintf(gp, "set terminal pngcairo size 900,560 noenhanced\n"
		    "set output '%s.png'\n%s"
		    "set terminal svg size 900,560 noenhanced\n"
		    "set output '%s.svg'\n%s"
		    "unset output\n", base, body, base, body);
}

static int write_script(const struct report *rep, const char *dir,
			char *err, size_t errlen)
{
	const struct scenario *sc = rep->sc;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/throughput.dat", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		goto ioerr;
	fprintf(f, "# tenant standalone_rps native_rps policy_rps\n");
	for (size_t i = 0; i < sc->ntenants; i++)
		fprintf(f, "%s %.6f %.6f %.6f\n", sc->tenants[i].name,
			or0(rep->m_standalone.t[i].throughput_rps),
			or0(rep->m_native.t[i].throughput_rps),
			or0(rep->m_policy.t[i].throughput_rps));
	if (fclose(f))
		goto ioerr;

	snprintf(path, sizeof(path), "%s/plots.gp", dir);
	f = fopen(path, "w");
	if (!f)
		goto ioerr;
	fprintf(f, "# hipsched plots for scenario %s; run: gnuplot plots.gp\n"
		   "set grid\nset key bottom right\n", sc->name);
	for (size_t i = 0; i < sc->ntenants; i++) {
		const char *tn = sc->tenants[i].name;
		char body[2048], base[256];
		int off = snprintf(body, sizeof(body),
			"set title '%s: latency CDF (%s, %s)'\n"
			"set xlabel 'latency (ms)'\nset ylabel 'fraction of requests'\n"
			"set logscale x\nset yrange [0:1]\nplot ", tn, sc->name,
			rep->backend);
		int nplot = 0;
		for (int m = 0; m < 3; m++) {
			const struct run_result *r = mode_run(rep, m, i);
			if (i >= r->ntenants)
				continue;
			long n = write_cdf(dir, tn, mode_names[m], &r->t[i], err, errlen);
			if (n < 0) {
				fclose(f);
				return ANALYSIS_EIO;
			}
			if (n == 0 || off >= (int)sizeof(body))
				continue;
			off += snprintf(body + off, sizeof(body) - (size_t)off,
					"%s'cdf_%s_%s.dat' using 1:2 with steps lw 2 "
					"title '%s%s%s'", nplot ? ", " : "", tn,
					mode_names[m], mode_names[m],
					m == 2 ? " " : "", m == 2 ? rep->policy : "");
			nplot++;
		}
		if (off < (int)sizeof(body))
			snprintf(body + off, sizeof(body) - (size_t)off, "\n");
		if (!nplot)
			continue;
		snprintf(base, sizeof(base), "latency_cdf_%s", tn);
		out_both(f, base, body);
		fprintf(f, "unset logscale x\nset yrange [*:*]\n");
	}
	char body[1024];
	snprintf(body, sizeof(body),
		 "set title 'throughput per tenant (%s, %s)'\n"
		 "set xlabel ''\nset ylabel 'requests / s'\nset key top right\n"
		 "set style data histograms\n"
		 "set style histogram clustered gap 1\n"
		 "set style fill solid 0.8 border -1\nset yrange [0:*]\n"
		 "plot 'throughput.dat' using 2:xtic(1) title 'standalone', "
		 "'' using 3 title 'native', '' using 4 title 'policy %s'\n",
		 sc->name, rep->backend, rep->policy);
	out_both(f, "throughput", body);
	if (fclose(f))
		goto ioerr;
	return 0;
ioerr:
	snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	return ANALYSIS_EIO;
}

int analysis_gnuplot(const char *dir, const char *script, char *err, size_t errlen)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		return ANALYSIS_EIO;
	}
	if (pid == 0) {
		if (chdir(dir))
			_exit(126);
		int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "gnuplot: %s", strerror(errno));
			return ANALYSIS_EIO;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "gnuplot not found; plots skipped (install "
			 "gnuplot-nox; the data and %s are in %s)", script, dir);
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "gnuplot failed; see %s/gnuplot.log", dir);
		return ANALYSIS_EIO;
	}
	return 0;
}

int analysis_write_plots(const struct report *rep, const char *dir,
			 char *err, size_t errlen)
{
	int e = write_script(rep, dir, err, errlen);
	if (e)
		return e;
	return analysis_gnuplot(dir, "plots.gp", err, errlen);
}
