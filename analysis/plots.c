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
#include <stdarg.h>
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

/* cdf_TENANT_MODE.dat: "latency_ms fraction_done fraction_at_least" per
 * completed request, sorted (column 3 = 1 - CDF just before the point, so
 * the slowest request has 1/n: what a log-scale tail plot needs). Returns
 * the number of points (and their min / max into *lo / *hi when n > 0),
 * or a negative error (err filled). */
static long write_cdf(const char *dir, const char *tenant, const char *mode,
		      const struct tenant_result *t, double *lo, double *hi,
		      char *err, size_t errlen)
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
	fprintf(f, "# latency_ms fraction_done fraction_at_least (%s, %s)\n",
		tenant, mode);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.6f %.6f %.6f\n", x[i], (double)(i + 1) / (double)n,
			(double)(n - i) / (double)n);
	if (n) {
		*lo = fmin(*lo, x[0]);
		*hi = fmax(*hi, x[n - 1]);
	}
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
	fprintf(gp, "set terminal pngcairo size 900,560 noenhanced font ',11'\n"
		    "set output '%s.png'\n%s"
		    "set terminal svg size 900,560 noenhanced font ',11'\n"
		    "set output '%s.svg'\n%s"
		    "unset output\nreset\n", base, body, base, body);
}

/* Line styles: each mode looks different in colour, dash and width, and the
 * standalone curve (often equal to the policy's) is drawn last, dashed and
 * thin, so a curve under it still shows. */
static const char *const mode_style[3] = {
	"lc rgb '#222222' dt (6,4) lw 1.6",     /* standalone */
	"lc rgb '#d62728' dt 1 lw 2.2",         /* native */
	"lc rgb '#801f77b4' dt 1 lw 5",         /* policy: wide, translucent */
};
static const int draw_order[3] = { 1, 2, 0 };

/* Appends to body; returns the new offset (saturating). */
static int add(char *body, size_t len, int off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int add(char *body, size_t len, int off, const char *fmt, ...)
{
	if (off < 0 || (size_t)off >= len)
		return (int)len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body + off, len - (size_t)off, fmt, ap);
	va_end(ap);
	return n < 0 ? (int)len : off + n;
}

/* The SLO and deadline as vertical lines (arrows from the bottom to the
 * top) when inside [lo, hi]; otherwise a note in the corner. */
static int add_marks(char *body, size_t len, int off, const struct tenant_spec *ts,
		     double lo, double hi, int logy)
{
	struct { const char *what; hs_ns v; const char *color; } m[2] = {
		{ "SLO", ts->slo_ns, "#2ca02c" },
		{ "deadline", ts->deadline_ns && ts->deadline_ns != ts->slo_ns ?
			      ts->deadline_ns : 0, "#9467bd" },
	};
	int notes = 0;
	for (int k = 0; k < 2; k++) {
		if (m[k].v <= 0)
			continue;
		double ms = (double)m[k].v / 1e6;
		if (ms >= lo && ms <= hi) {
			off = add(body, len, off,
				  "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead "
				  "lc rgb '%s' lw 2 dt (2,3) front\n"
				  "set label '%s %.4g ms' at %.6g, graph %.2f left offset 0.5,0 "
				  "tc rgb '%s' front\n", ms, ms, m[k].color, m[k].what, ms,
				  ms, logy ? 0.95 - 0.07 * k : 0.55 - 0.07 * k, m[k].color);
		} else {
			/* where the curves are not: the CDF's lower right, the
			 * tail's lower left */
			off = add(body, len, off,
				  "set label '%s %.4g ms: %s the plotted range' at graph %s, "
				  "graph %.2f %s tc rgb '%s' front\n", m[k].what, ms,
				  ms > hi ? "right of" : "left of", logy ? "0.02" : "0.98",
				  0.04 + 0.06 * notes, logy ? "left" : "right", m[k].color);
			notes++;
		}
	}
	return off;
}

/* The x axis for one tenant's latency: from the data, padded 4 %; log scale
 * only when the data span more than a factor 20 (then with minor ticks). */
static int add_xaxis(char *body, size_t len, int off, double lo, double hi)
{
	if (hi > 20 * lo && lo > 0) {
		return add(body, len, off, "set logscale x\nset mxtics 10\n"
			   "set xrange [%.6g:%.6g]\n", lo / 1.1, hi * 1.1);
	}
	double pad = (hi - lo) * 0.04 + 1e-3;
	return add(body, len, off, "set xrange [%.6g:%.6g]\nset mxtics 5\n",
		   lo - pad > 0 ? lo - pad : 0, hi + pad);
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
	fprintf(f, "# hipsched plots for scenario %s; run: gnuplot plots.gp\n",
		sc->name);
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *ts = &sc->tenants[i];
		const char *tn = ts->name;
		long npts[3] = { 0, 0, 0 };
		double lo = INFINITY, hi = -INFINITY;
		int nplot = 0;
		for (int m = 0; m < 3; m++) {
			const struct run_result *r = mode_run(rep, m, i);
			if (i >= r->ntenants)
				continue;
			npts[m] = write_cdf(dir, tn, mode_names[m], &r->t[i], &lo, &hi,
					    err, errlen);
			if (npts[m] < 0) {
				fclose(f);
				return (int)npts[m];
			}
			nplot += npts[m] > 0;
		}
		if (!nplot)
			continue;
		long nmax = 0;
		for (int m = 0; m < 3; m++)
			nmax = npts[m] > nmax ? npts[m] : nmax;
		char body[4096], base[256], curves[2][1536];
		/* the curves, for the CDF (column 2) and the tail (column 3) */
		for (int c = 0; c < 2; c++) {
			int o = 0, k = 0;
			curves[c][0] = 0;
			for (int j = 0; j < 3; j++) {
				int m = draw_order[j];
				if (npts[m] <= 0)
					continue;
				char title[96];
				snprintf(title, sizeof(title), "%s%s%s (%ld)", mode_names[m],
					 m == 2 ? " " : "", m == 2 ? rep->policy : "",
					 npts[m]);
				o = add(curves[c], sizeof(curves[c]), o,
					"%s'cdf_%s_%s.dat' using 1:%d with steps %s title '%s'",
					k++ ? ", " : "", tn, mode_names[m], c + 2,
					mode_style[m], title);
			}
		}
		int off = add(body, sizeof(body), 0,
			      "set title '%s: latency CDF (%s, %s)'\n"
			      "set xlabel 'latency, arrival to completion (ms)'\n"
			      "set ylabel 'fraction of requests done'\n"
			      "set grid xtics ytics mxtics lc rgb '#dddddd'\n"
			      "set key outside right top vertical title 'run (requests)'\n"
			      "set yrange [0:1.02]\nset ytics 0.1\n", tn, sc->name,
			      rep->backend);
		off = add_xaxis(body, sizeof(body), off, lo, hi);
		off = add_marks(body, sizeof(body), off, ts, lo, hi, 0);
		off = add(body, sizeof(body), off, "plot %s\n", curves[0]);
		if (off >= (int)sizeof(body))
			goto toolong;
		snprintf(base, sizeof(base), "latency_cdf_%s", tn);
		out_both(f, base, body);

		/* the tail: fraction of requests at least this slow, log y down
		 * to one request of the largest run */
		double ymin = nmax > 0 ? 0.5 / (double)nmax : 1e-4;
		off = add(body, sizeof(body), 0,
			  "set title '%s: latency tail, 1 - CDF (%s, %s)'\n"
			  "set xlabel 'latency, arrival to completion (ms)'\n"
			  "set ylabel 'fraction of requests at least this slow'\n"
			  "set grid xtics ytics mxtics lc rgb '#dddddd'\n"
			  "set key outside right top vertical title 'run (requests)'\n"
			  "set logscale y\nset yrange [%.3g:1.2]\n"
			  "set ytics ('1' 1, 'P50 0.5' 0.5, 'P90 0.1' 0.1, 'P99 0.01' 0.01, "
			  "'P99.9 1e-3' 0.001, '1e-4' 0.0001, '1e-5' 0.00001)\n",
			  tn, sc->name, rep->backend, ymin);
		off = add_xaxis(body, sizeof(body), off, lo, hi);
		off = add_marks(body, sizeof(body), off, ts, lo, hi, 1);
		off = add(body, sizeof(body), off, "plot %s\n", curves[1]);
		if (off >= (int)sizeof(body))
			goto toolong;
		snprintf(base, sizeof(base), "latency_tail_%s", tn);
		out_both(f, base, body);
	}
	char body[1536];
	snprintf(body, sizeof(body),
		 "set title 'throughput per tenant (%s, %s)'\n"
		 "set xlabel ''\nset ylabel 'requests / s'\n"
		 "set key outside right top vertical title 'run'\n"
		 "set grid ytics lc rgb '#dddddd'\n"
		 "set style data histograms\n"
		 "set style histogram clustered gap 1\n"
		 "set style fill solid 0.85 border -1\nset yrange [0:*]\n"
		 "set offsets 0, 0, graph 0.12, 0\n"
		 "plot 'throughput.dat' using 2:xtic(1) lc rgb '#7f7f7f' title 'standalone', "
		 "'' using 3 lc rgb '#d62728' title 'native', "
		 "'' using 4 lc rgb '#1f77b4' title 'policy %s', "
		 "'' using ($0-0.27):2:(sprintf('%%.3g',$2)) with labels offset 0,0.7 notitle, "
		 "'' using ($0):3:(sprintf('%%.3g',$3)) with labels offset 0,0.7 notitle, "
		 "'' using ($0+0.27):4:(sprintf('%%.3g',$4)) with labels offset 0,0.7 notitle\n",
		 sc->name, rep->backend, rep->policy);
	out_both(f, "throughput", body);
	if (fclose(f))
		goto ioerr;
	return 0;
toolong:
	/* a tenant name near the scenario parser's limit */
	snprintf(err, errlen, "%s: plot script too long", path);
	fclose(f);
	return ANALYSIS_EIO;
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
