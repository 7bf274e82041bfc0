/*
 * Sweeps (analysis.h, "sweeps"): the scenario of one grid point, and the
 * tidy CSV, plots and verdicts of a sweep's point directories.
 *
 * A point directory (OUT/points/NNNN) holds point.ini (the scenario with
 * the point's settings), point.txt (one "key=value" line per swept key, in
 * the grid's order), log.txt (what `hipsched sim` printed) and run/ (its
 * run directory). The point ran when run/summary.json exists; otherwise
 * its error is the last "hipsched: " line of log.txt.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "analysis.h"
#include "analysis_internal.h"

/* ---- the point's scenario ------------------------------------------------- */
struct lines {
	char **v;
	size_t n, cap;
};

static int lines_insert(struct lines *l, size_t at, const char *text)
{
	if (hs_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -1;
	char *d = strdup(text);
	if (!d)
		return -1;
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = d;
	l->n++;
	return 0;
}

static void lines_release(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Section name of a "[name]" line into buf (trimmed), else 0. */
static int section_of(const char *line, char *buf, size_t len)
{
	const char *p = skip_ws(line);
	if (*p != '[')
		return 0;
	const char *e = strchr(p, ']');
	if (!e)
		return 0;
	p = skip_ws(p + 1);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return 1;
}

/* Key of a "key = value" line into buf, else 0. */
static int key_of(const char *line, char *buf, size_t len)
{
	const char *p = skip_ws(line);
	if (!*p || *p == ';' || *p == '#' || *p == '[')
		return 0;
	const char *e = p;
	while (*e && *e != '=' && *e != ':')
		e++;
	if (!*e)
		return 0;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return 1;
}

/* The value of a key line (after = or :, comments cut), into buf. */
static void value_of(const char *line, char *buf, size_t len)
{
	const char *p = line;
	while (*p && *p != '=' && *p != ':')
		p++;
	p = skip_ws(*p ? p + 1 : p);
	const char *e = p;
	while (*e && !((*e == ';' || *e == '#') && e > p && isspace((unsigned char)e[-1])))
		e++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	snprintf(buf, len, "%.*s", (int)(e - p), p);
}

int sweep_target(const struct scenario *sc, const char *key, char *section,
		 size_t seclen, char *name, size_t namelen, char *err, size_t errlen)
{
	const char *dot = strchr(key, '.');
	if (!*key || (dot && (dot == key || !dot[1]))) {
		snprintf(err, errlen, "bad --set key '%s'", key);
		return HS_EINVAL;
	}
	if (dot) {
		char tn[128];
		snprintf(tn, sizeof(tn), "%.*s", (int)(dot - key), key);
		if (scenario_tenant_index(sc, tn) < 0) {
			snprintf(err, errlen, "--set %s: the scenario has no tenant '%s'",
				 key, tn);
			return HS_EINVAL;
		}
		snprintf(section, seclen, "tenant %s", tn);
		snprintf(name, namelen, "%s", dot + 1);
		return 0;
	}
	static const char *const scen[] = { "seed", "duration", "device", NULL };
	for (const char *const *k = scen; *k; k++)
		if (strcmp(key, *k) == 0) {
			snprintf(section, seclen, "scenario");
			snprintf(name, namelen, "%s", key);
			return 0;
		}
	snprintf(section, seclen, "policy");
	snprintf(name, namelen, "%s", strcmp(key, "policy") == 0 ? "name" : key);
	return 0;
}

/* Whether [policy] key k is the policy's own parameter (not name, level,
 * threshold, batch). */
static int policy_param(const char *k)
{
	static const char *const core[] = { "name", "level", "threshold", "batch", NULL };
	for (const char *const *c = core; *c; c++)
		if (strcmp(k, *c) == 0)
			return 0;
	return 1;
}

int sweep_write_point(const struct scenario *sc, const struct sweep_set *set,
		      size_t n, const char *out_path, char *err, size_t errlen)
{
	struct lines l = { 0 };
	char buf[4096], sec[256] = "", key[256], dir[PATH_MAX];
	int rc = ANALYSIS_EIO, policy_changed = 0;
	FILE *f = fopen(sc->path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", sc->path, strerror(errno));
		return ANALYSIS_EIO;
	}
	snprintf(dir, sizeof(dir), "%s", sc->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	char absdir[PATH_MAX];
	if (!realpath(dir, absdir))
		snprintf(absdir, sizeof(absdir), "%s", dir);
	/* read, making the paths of the scenario absolute (the point's file
	 * lives elsewhere) */
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		char line[8192];
		snprintf(line, sizeof(line), "%s", buf);
		if (section_of(buf, sec, sizeof(sec))) {
			/* keep */
		} else if (key_of(buf, key, sizeof(key)) &&
			   (strcmp(key, "trace") == 0 || strcmp(key, "arrival_file") == 0)) {
			char v[4096];
			value_of(buf, v, sizeof(v));
			if (v[0] != '/')
				snprintf(line, sizeof(line), "%.200s = %.3000s/%.3000s", key, absdir, v);
		}
		if (lines_insert(&l, l.n, line))
			goto oom;
	}
	fclose(f);
	f = NULL;
	for (size_t i = 0; i < n; i++) {
		char tsec[256], tkey[256];
		if ((rc = sweep_target(sc, set[i].key, tsec, sizeof(tsec), tkey,
				       sizeof(tkey), err, errlen)))
			goto out;
		rc = ANALYSIS_EIO;
		if (strcmp(tsec, "policy") == 0 && strcmp(tkey, "name") == 0 &&
		    strcmp(set[i].val, sc->policy ? sc->policy : "native") != 0)
			policy_changed = 1;
	}
	/* another policy: the file's own parameters belong to the old one */
	if (policy_changed) {
		sec[0] = '\0';
		for (size_t j = 0; j < l.n; j++) {
			if (section_of(l.v[j], sec, sizeof(sec)) ||
			    strcmp(sec, "policy") != 0 || !key_of(l.v[j], key, sizeof(key)) ||
			    !policy_param(key))
				continue;
			char c[8192];
			snprintf(c, sizeof(c), "; %s ; (the scenario's own policy's parameter)",
				 l.v[j]);
			free(l.v[j]);
			if (!(l.v[j] = strdup(c)))
				goto oom;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char tsec[256], tkey[256], line[1024];
		sweep_target(sc, set[i].key, tsec, sizeof(tsec), tkey, sizeof(tkey), err, errlen);
		snprintf(line, sizeof(line), "%s = %s ; swept", tkey, set[i].val);
		size_t header = l.n, at = l.n;
		int found = 0;
		sec[0] = '\0';
		for (size_t j = 0; j < l.n; j++) {
			if (section_of(l.v[j], sec, sizeof(sec))) {
				if (strcmp(sec, tsec) == 0)
					header = j;
				continue;
			}
			if (strcmp(sec, tsec) == 0 && key_of(l.v[j], key, sizeof(key)) &&
			    strcmp(key, tkey) == 0) {
				free(l.v[j]);
				l.v[j] = strdup(line);
				if (!l.v[j])
					goto oom;
				found = 1;
				break;
			}
		}
		if (found)
			continue;
		if (header == l.n) {
			char h[300];
			snprintf(h, sizeof(h), "[%s]", tsec);
			if (lines_insert(&l, l.n, h))
				goto oom;
			at = l.n;
		} else {
			at = header + 1;
		}
		if (lines_insert(&l, at, line))
			goto oom;
	}
	f = fopen(out_path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	fprintf(f, "; a point of a sweep of %s (hipsched sweep)\n", sc->path);
	for (size_t j = 0; j < l.n; j++)
		fprintf(f, "%s\n", l.v[j]);
	if (fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	f = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = HS_ENOMEM;
out:
	if (f)
		fclose(f);
	lines_release(&l);
	return rc;
}

/* ---- collecting ------------------------------------------------------------ */
/* A set of names kept in first-seen order (struct lines, no duplicates). */
static int cols_add(struct lines *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], name) == 0)
			return 0;
	return lines_insert(c, c->n, name);
}

/* Column names of every scalar under js, "prefix.key" (arrays: .0, .1). */
static int flat_names(json_t *js, const char *prefix, struct lines *c,
		      const char *const *skip)
{
	char name[512];
	if (json_is_object(js)) {
		const char *k;
		json_t *v;
		json_object_foreach(js, k, v) {
			int s = 0;
			for (const char *const *p = skip; p && *p; p++)
				s |= strcmp(*p, k) == 0;
			if (s)
				continue;
			snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
			if (flat_names(v, name, c, NULL))
				return -1;
		}
		return 0;
	}
	if (json_is_array(js)) {
		size_t i;
		json_t *v;
		json_array_foreach(js, i, v) {
			snprintf(name, sizeof(name), "%s.%zu", prefix, i);
			if (flat_names(v, name, c, NULL))
				return -1;
		}
		return 0;
	}
	return cols_add(c, prefix);
}

/* Columns of a seeds tenant entry: MODE.METRIC.{mean,ci95.0,ci95.1} (the
 * mean over seeds and its 95 % CI; the per-seed values stay in the
 * point's summary.json). */
static int seeds_names(json_t *st, struct lines *c)
{
	static const char *const part[] = { "mean", "ci95.0", "ci95.1" };
	const char *mode, *metric;
	json_t *mo, *me;
	char b[512];
	json_object_foreach(st, mode, mo) {
		if (!json_is_object(mo))
			continue;
		json_object_foreach(mo, metric, me) {
			if (!json_is_object(me))
				continue;
			for (size_t i = 0; i < 3; i++) {
				snprintf(b, sizeof(b), "%s.%s.%s", mode, metric, part[i]);
				if (cols_add(c, b))
					return -1;
			}
		}
	}
	return 0;
}

/* "MODE.METRIC.ci95.0" -> "MODE.METRIC.ci95_lo" (.1: _hi) for headers. */
static void seeds_header(FILE *f, const char *col)
{
	size_t n = strlen(col);
	if (n > 7 && strcmp(col + n - 7, ".ci95.0") == 0)
		fprintf(f, ",seeds.%.*s.ci95_lo", (int)(n - 7), col);
	else if (n > 7 && strcmp(col + n - 7, ".ci95.1") == 0)
		fprintf(f, ",seeds.%.*s.ci95_hi", (int)(n - 7), col);
	else
		fprintf(f, ",seeds.%s", col);
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_json(FILE *f, json_t *v)
{
	char b[64];
	if (!v || json_is_null(v))
		return;
	if (json_is_string(v))
		csv_field(f, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v)) {
		snprintf(b, sizeof(b), "%.10g", json_real_value(v));
		fputs(b, f);
	} else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The point directories of one sweep directory, sorted. */
static int list_points(const char *dir, struct lines *out)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/points", dir);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	struct dirent *e;
	size_t first = out->n;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char full[PATH_MAX];
		snprintf(full, sizeof(full), "%s/points/%s", dir, e->d_name);
		if (cols_add(out, full)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
	return 0;
}

static void load_point(const char *dir, struct sweep_point *pt)
{
	char path[PATH_MAX + 32], line[1024];
	memset(pt, 0, sizeof(*pt));
	snprintf(pt->dir, sizeof(pt->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/point.txt", dir);
	FILE *f = fopen(path, "r");
	size_t off = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		off += (size_t)snprintf(pt->settings + off,
					off < sizeof(pt->settings) ? sizeof(pt->settings) - off : 0,
					"%s%s", off ? " " : "", line);
		if (off >= sizeof(pt->settings))
			off = sizeof(pt->settings) - 1;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/run/summary.json", dir);
	json_error_t je;
	pt->summary = json_load_file(path, 0, &je);
	if (pt->summary) {
		pt->ran = 1;
		pt->pass = json_is_true(json_object_get(json_object_get(pt->summary,
									"verdict"), "pass"));
		return;
	}
	snprintf(pt->error, sizeof(pt->error), "no result (run/summary.json missing)");
	snprintf(path, sizeof(path), "%s/log.txt", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "hipsched: ", 10) == 0)
			snprintf(pt->error, sizeof(pt->error), "%.500s", line + 10);
	}
	if (f)
		fclose(f);
}

/* The "key=value" settings of a point, as a lookup for key. */
static const char *setting(const struct sweep_point *pt, const char *key, char *buf,
			   size_t len)
{
	size_t kl = strlen(key);
	for (const char *p = pt->settings; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(buf, len, "%.*s", (int)(l - kl - 1), p + kl + 1);
			return buf;
		}
		p += l;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

/* Plot per swept key: mean policy P99 of each tenant over the points with
 * each value of the key. */
static int write_plots(const struct sweep_result *r, const struct lines *keys,
		       const struct lines *tenants, const char *out, char *err,
		       size_t errlen)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/sweep.gp", out);
	FILE *gp = fopen(path, "w");
	if (!gp) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return ANALYSIS_EIO;
	}
	fprintf(gp, "# hipsched sweep plots; run: gnuplot sweep.gp\nset grid\n"
		    "set key outside right\nset style data linespoints\n");
	for (size_t k = 0; k < keys->n; k++) {
		struct lines vals = { 0 };
		char b[256], tk[300];
		for (size_t i = 0; i < r->n; i++)
			if (setting(&r->pt[i], keys->v[k], b, sizeof(b)))
				cols_add(&vals, b);
		snprintf(tk, sizeof(tk), "%s", keys->v[k]);
		for (char *p = tk; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
				*p = '_';
		snprintf(path, sizeof(path), "%s/sweep_%s.dat", out, tk);
		FILE *d = fopen(path, "w");
		if (!d) {
			lines_release(&vals);
			fclose(gp);
			snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
			return ANALYSIS_EIO;
		}
		fprintf(d, "# %s", keys->v[k]);
		for (size_t t = 0; t < tenants->n; t++)
			fprintf(d, " %s_p99_ms", tenants->v[t]);
		fprintf(d, "\n");
		for (size_t v = 0; v < vals.n; v++) {
			fprintf(d, "%s", vals.v[v]);
			for (size_t t = 0; t < tenants->n; t++) {
				double sum = 0;
				size_t cnt = 0;
				for (size_t i = 0; i < r->n; i++) {
					const struct sweep_point *pt = &r->pt[i];
					if (!pt->ran || !setting(pt, keys->v[k], b, sizeof(b)) ||
					    strcmp(b, vals.v[v]) != 0)
						continue;
					size_t j;
					json_t *tj;
					json_array_foreach(json_object_get(pt->summary, "tenants"), j, tj) {
						const char *nm = json_string_value(json_object_get(tj, "name"));
						json_t *p99 = analysis__at_path(tj, "latency_ms.p99");
						if (nm && strcmp(nm, tenants->v[t]) == 0 && json_is_number(p99)) {
							sum += json_number_value(p99);
							cnt++;
						}
					}
				}
				if (cnt)
					fprintf(d, " %.6g", sum / (double)cnt);
				else
					fprintf(d, " NaN");
			}
			fprintf(d, "\n");
		}
		fclose(d);
		fprintf(gp, "set title 'P99 latency by %s (mean over the other keys)'\n"
			    "set xlabel '%s'\nset ylabel 'P99 latency (ms)'\n",
			keys->v[k], keys->v[k]);
		for (int fmt = 0; fmt < 2; fmt++) {
			fprintf(gp, fmt ? "set terminal svg size 900,560 noenhanced\n"
					  "set output 'sweep_%s.svg'\n"
					: "set terminal pngcairo size 900,560 noenhanced\n"
					  "set output 'sweep_%s.png'\n", tk);
			fprintf(gp, "plot ");
			for (size_t t = 0; t < tenants->n; t++)
				fprintf(gp, "%s'sweep_%s.dat' using 0:%zu:xticlabels(1) lw 2 title '%s'",
					t ? ", " : "", tk, t + 2, tenants->v[t]);
			fprintf(gp, "\nunset output\n");
		}
		lines_release(&vals);
	}
	fclose(gp);
	return analysis_gnuplot(out, "sweep.gp", err, errlen);
}

int sweep_merge(const char *const *dirs, size_t ndirs, const char *out,
		struct sweep_result *r, char *err, size_t errlen)
{
	struct lines pts = { 0 }, keys = { 0 }, tenants = { 0 }, runc = { 0 }, tc = { 0 },
		sdc = { 0 };             /* the seeds columns */
	int rc = ANALYSIS_EIO;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ndirs; i++)
		if (list_points(dirs[i], &pts)) {
			snprintf(err, errlen, "%s: not a sweep directory (no points/)", dirs[i]);
			goto out;
		}
	r->pt = calloc(pts.n ? pts.n : 1, sizeof(*r->pt));
	if (!r->pt)
		goto oom;
	r->n = pts.n;
	static const char *const run_skip[] = { "tenants", "verdict", "native_verdict",
						"hipsched_version", "scenario_path", "seeds",
						NULL };
	static const char *const t_skip[] = { "name", NULL };
	for (size_t i = 0; i < pts.n; i++) {
		struct sweep_point *pt = &r->pt[i];
		char b[512];
		load_point(pts.v[i], pt);
		r->failed += !pt->ran;
		/* swept keys in the order of point.txt */
		for (const char *p = pt->settings; *p;) {
			const char *eq = strchr(p, '=');
			const char *e = strchr(p, ' ');
			if (!eq || (e && eq > e))
				break;
			snprintf(b, sizeof(b), "%.*s", (int)(eq - p), p);
			if (cols_add(&keys, b))
				goto oom;
			p = e ? e + 1 : p + strlen(p);
		}
		if (!pt->ran)
			continue;
		if (flat_names(pt->summary, "", &runc, run_skip))
			goto oom;
		if (analysis__at_path(pt->summary, "seeds.n") &&
		    (cols_add(&runc, "seeds.n") || cols_add(&runc, "seeds.verdict_pass")))
			goto oom;
		size_t j;
		json_t *tj;
		json_array_foreach(json_object_get(pt->summary, "tenants"), j, tj) {
			const char *nm = json_string_value(json_object_get(tj, "name"));
			if ((nm && cols_add(&tenants, nm)) || flat_names(tj, "", &tc, t_skip))
				goto oom;
			json_t *st = analysis__named(analysis__at_path(pt->summary,
							     "seeds.tenants"), nm);
			if (st && seeds_names(st, &sdc))
				goto oom;
		}
	}
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/sweep.csv", out);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f, "point,status,error");
	for (size_t k = 0; k < keys.n; k++) {
		char b[300];
		snprintf(b, sizeof(b), "set.%.250s", keys.v[k]);
		fputc(',', f);
		csv_field(f, b);
	}
	fprintf(f, ",verdict,tenant");
	for (size_t c = 0; c < runc.n; c++)
		fprintf(f, ",%s", runc.v[c]);
	for (size_t c = 0; c < tc.n; c++)
		fprintf(f, ",tenant.%s", tc.v[c]);
	for (size_t c = 0; c < sdc.n; c++)
		seeds_header(f, sdc.v[c]);
	fputc('\n', f);
	for (size_t i = 0; i < r->n; i++) {
		const struct sweep_point *pt = &r->pt[i];
		json_t *ts = pt->ran ? json_object_get(pt->summary, "tenants") : NULL;
		size_t nt = ts ? json_array_size(ts) : 0;
		for (size_t t = 0; t < (nt ? nt : 1); t++) {
			char b[512];
			csv_field(f, pt->dir);
			fprintf(f, ",%s,", pt->ran ? "ok" : "error");
			csv_field(f, pt->ran ? "" : pt->error);
			for (size_t k = 0; k < keys.n; k++) {
				fputc(',', f);
				const char *v = setting(pt, keys.v[k], b, sizeof(b));
				csv_field(f, v ? v : "");
			}
			fprintf(f, ",%s,", pt->ran ? (pt->pass ? "pass" : "fail") : "");
			json_t *tj = nt ? json_array_get(ts, t) : NULL;
			if (tj)
				csv_field(f, json_string_value(json_object_get(tj, "name")));
			for (size_t c = 0; c < runc.n; c++) {
				fputc(',', f);
				if (pt->ran)
					csv_json(f, analysis__at_path(pt->summary, runc.v[c]));
			}
			for (size_t c = 0; c < tc.n; c++) {
				fputc(',', f);
				if (tj)
					csv_json(f, analysis__at_path(tj, tc.v[c]));
			}
			json_t *st = tj ? analysis__named(analysis__at_path(
				pt->summary, "seeds.tenants"), json_string_value(
				json_object_get(tj, "name"))) : NULL;
			for (size_t c = 0; c < sdc.n; c++) {
				fputc(',', f);
				if (st)
					csv_json(f, analysis__at_path(st, sdc.v[c]));
			}
			fputc('\n', f);
		}
	}
	if (fclose(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	r->plots = write_plots(r, &keys, &tenants, out, r->plot_err, sizeof(r->plot_err));
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = HS_ENOMEM;
out:
	lines_release(&pts);
	lines_release(&keys);
	lines_release(&tenants);
	lines_release(&runc);
	lines_release(&tc);
	lines_release(&sdc);
	return rc;
}

void sweep_result_release(struct sweep_result *r)
{
	for (size_t i = 0; r->pt && i < r->n; i++)
		json_decref(r->pt[i].summary);
	free(r->pt);
	memset(r, 0, sizeof(*r));
}
