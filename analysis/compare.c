/*
 * Comparing two run directories: both summary.json files are flattened into
 * "path = leaf" pairs and lined up by path. Arrays of objects are keyed by
 * their "name" (tenants) or "key" (verdict criteria) so that reordering or
 * a tenant missing on one side does not shift the others.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"

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

static json_t *load(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o) {
		if (je.line <= 0)
			snprintf(err, errlen, "%s: cannot read (%s); is '%s' a run "
				 "directory?", path, je.text, dir);
		else
			snprintf(err, errlen, "%s:%d: malformed summary: %s", path,
				 je.line, je.text);
		return NULL;
	}
	if (!json_is_object(o) || !json_object_get(o, "tenants") ||
	    !json_object_get(o, "scenario")) {
		snprintf(err, errlen, "%s:1: not a hipsched summary (no 'scenario' "
			 "or 'tenants')", path);
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
	json_t *a = load(dir_a, err, errlen);
	if (!a)
		return ANALYSIS_EBAD;
	json_t *b = load(dir_b, err, errlen);
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
