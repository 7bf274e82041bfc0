/*
 * Comparing two run directories: both summary.json files are flattened into
 * "path = leaf" pairs and lined up by path. Arrays of objects are keyed by
 * their "name" (tenants) or "key" (verdict criteria) so that reordering or
 * a tenant missing on one side does not shift the others.
 */
#include <ctype.h>
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

#define SUMMARY_MAX_BYTES ((size_t)256 << 20)

struct leaf {
	char *key;
	json_t *v;                 /* borrowed from the loaded document */
};
struct leaves {
	struct leaf *l;
	size_t n, cap;
};

static int push(struct leaves *ls, const char *key, json_t *v)
{
	if (ls->n == ls->cap) {
		size_t nc = ls->cap ? ls->cap * 2 : 64;
		struct leaf *nl = realloc(ls->l, nc * sizeof(*nl));
		if (!nl)
			return HS_ENOMEM;
		ls->l = nl;
		ls->cap = nc;
	}
	ls->l[ls->n].key = strdup(key);
	ls->l[ls->n].v = v;
	return ls->l[ls->n++].key ? 0 : -1;
}

static int flatten(json_t *v, const char *prefix, struct leaves *ls)
{
	char key[512];
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach(v, k, c) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
			int rc = flatten(c, key, ls);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c) {
			const char *id = NULL;
			if (json_is_object(c)) {
				id = json_string_value(json_object_get(c, "name"));
				if (!id)
					id = json_string_value(json_object_get(c, "key"));
			}
			if (id)
				snprintf(key, sizeof(key), "%s[%s]", prefix, id);
			else
				snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
			int rc = flatten(c, key, ls);
			if (rc)
				return rc;
		}
		return 0;
	}
	return push(ls, prefix, v);
}

static void leaves_release(struct leaves *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->l[i].key);
	free(ls->l);
}

/* Python's json.dump writes NaN, Infinity and -Infinity for undefined
 * floats (hw/bench/pytorch_plan.py: a tenant with no request done);
 * JSON has no such tokens. Outside strings they become null, padded with
 * spaces where shorter, so jansson's line numbers stay those of the file.
 * buf holds n bytes; the copy (NUL-terminated) is at most 4/3 longer. */
static char *python_nan_to_null(const char *buf, size_t n, size_t *outn)
{
	char *o = malloc(n + n / 3 + 8), *w = o;
	if (!o)
		return NULL;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (in_str) {
			*w++ = c;
			if (c == '\\' && i + 1 < n)
				*w++ = buf[++i];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		size_t k = 0;
		if (c == 'N' && n - i >= 3 && memcmp(buf + i, "NaN", 3) == 0)
			k = 3;
		else if (c == 'I' && n - i >= 8 && memcmp(buf + i, "Infinity", 8) == 0)
			k = 8;
		else if (c == '-' && n - i >= 9 && memcmp(buf + i, "-Infinity", 9) == 0)
			k = 9;
		if (k) {
			memcpy(w, "null", 4);
			w += 4;
			for (size_t j = 4; j < k; j++)
				*w++ = ' ';
			i += k - 1;
			continue;
		}
		in_str = c == '"';
		*w++ = c;
	}
	*w = 0;
	*outn = (size_t)(w - o);
	return o;
}

json_t *analysis_summary_load(const char *path, char *err, size_t errlen)
{
	char file[PATH_MAX];
	struct stat st;
	size_t pl = strlen(path);
	if ((stat(path, &st) == 0 && S_ISREG(st.st_mode)) ||
	    (pl > 5 && strcmp(path + pl - 5, ".json") == 0))
		snprintf(file, sizeof(file), "%s", path);
	else
		snprintf(file, sizeof(file), "%s/summary.json", path);
	FILE *f = fopen(file, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read (%s); is '%s' a run "
			 "directory?", file, strerror(errno), path);
		return NULL;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *nb = nc > SUMMARY_MAX_BYTES ? NULL : realloc(buf, nc);
			if (!nb) {
				snprintf(err, errlen, "%s: %s", file, nc > SUMMARY_MAX_BYTES ?
					 "larger than 256 MiB, not a summary" : "out of memory");
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int rerr = ferror(f);
	fclose(f);
	size_t cn = 0;
	char *clean = rerr ? NULL : python_nan_to_null(buf, n, &cn);
	free(buf);
	if (!clean) {
		snprintf(err, errlen, "%s: %s", file, rerr ? "read error" : "out of memory");
		return NULL;
	}
	json_error_t je;
	json_t *o = json_loadb(clean, cn, 0, &je);
	free(clean);
	if (!o) {
		snprintf(err, errlen, "%s:%d: malformed summary: %s", file,
			 je.line > 0 ? je.line : 1, je.text);
		return NULL;
	}
	if (!json_is_object(o) || !json_is_array(json_object_get(o, "tenants")) ||
	    !json_object_get(o, "scenario")) {
		snprintf(err, errlen, "%s:1: not a hipsched summary (no 'scenario' "
			 "or 'tenants' list)", file);
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_true(v))
		return strdup("true");
	if (json_is_false(v))
		return strdup("false");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static int add_row(struct cmp_table *t, const char *key, json_t *a, json_t *b)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct cmp_row *nr = realloc(t->rows, nc * sizeof(*nr));
		if (!nr)
			return HS_ENOMEM;
		t->rows = nr;
		t->cap = nc;
	}
	struct cmp_row *r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->key = strdup(key);
	r->in_a = a != NULL;
	r->in_b = b != NULL;
	r->a = a && json_is_number(a) ? json_number_value(a) : NAN;
	r->b = b && json_is_number(b) ? json_number_value(b) : NAN;
	r->is_num = (!a || json_is_number(a) || json_is_null(a)) &&
		    (!b || json_is_number(b) || json_is_null(b));
	if (!r->is_num) {
		r->sa = a ? text(a) : NULL;
		r->sb = b ? text(b) : NULL;
	}
	return r->key ? 0 : -1;
}

int analysis_compare(const char *dir_a, const char *dir_b, struct cmp_table *t,
		     char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	json_t *a = analysis_summary_load(dir_a, err, errlen);
	if (!a)
		return ANALYSIS_EBAD;
	json_t *b = analysis_summary_load(dir_b, err, errlen);
	if (!b) {
		json_decref(a);
		return ANALYSIS_EBAD;
	}
	struct leaves la = { 0 }, lb = { 0 };
	int rc = HS_ENOMEM;
	if (flatten(a, "", &la) || flatten(b, "", &lb))
		goto out;
	char *used = calloc(lb.n ? lb.n : 1, 1);
	if (!used)
		goto out;
	for (size_t i = 0; i < la.n; i++) {
		json_t *vb = NULL;
		for (size_t j = 0; j < lb.n; j++)
			if (!used[j] && strcmp(la.l[i].key, lb.l[j].key) == 0) {
				vb = lb.l[j].v;
				used[j] = 1;
				break;
			}
		if (add_row(t, la.l[i].key, la.l[i].v, vb))
			goto out_used;
	}
	for (size_t j = 0; j < lb.n; j++)
		if (!used[j] && add_row(t, lb.l[j].key, NULL, lb.l[j].v))
			goto out_used;
	rc = 0;
out_used:
	free(used);
out:
	if (rc) {
		snprintf(err, errlen, "out of memory");
		analysis_compare_release(t);
	}
	leaves_release(&la);
	leaves_release(&lb);
	json_decref(a);
	json_decref(b);
	return rc;
}

void analysis_compare_release(struct cmp_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].key);
		free(t->rows[i].sa);
		free(t->rows[i].sb);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

double analysis_rel_diff(double a, double b)
{
	if (isnan(a) || isnan(b) || a == 0)
		return NAN;
	return (b - a) / fabs(a);
}

json_t *analysis__at_path(json_t *js, const char *path)
{
	char buf[512], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strtok_r(buf, ".", &save); p && js; p = strtok_r(NULL, ".", &save)) {
		if (json_is_object(js))
			js = json_object_get(js, p);
		else if (json_is_array(js) && isdigit((unsigned char)*p))
			js = json_array_get(js, strtoul(p, NULL, 10));
		else
			js = NULL;
	}
	return js;
}

json_t *analysis__named(json_t *array, const char *name)
{
	size_t i;
	json_t *o;
	json_array_foreach(array, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));
		if (n && name && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}
