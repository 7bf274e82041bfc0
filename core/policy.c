/*
 * Policy registry: built-ins first, then whatever a driver registers.
 * `--policy NAME` is a table lookup; duplicate names are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sched_internal.h"

#define MAX_POLICIES 32

static const struct policy_ops *table[MAX_POLICIES] = {
	&policy_native, &policy_streamprio, &policy_hpf, &policy_edf, &policy_bp,
	&policy_lax, &policy_kedf, &policy_cfs, &policy_up, &policy_pup,
	&policy_mlfq, &policy_awf,
};
static size_t ntable = 12;

int policy_register(const struct policy_ops *ops)
{
	if (!ops || !ops->name || !ops->sched)
		return HS_EINVAL;
	if (policy_find(ops->name))
		return HS_EEXIST;
	if (ntable == MAX_POLICIES)
		return HS_ENOMEM;
	table[ntable++] = ops;
	return HS_OK;
}

const struct policy_ops *policy_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ntable; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

void policy_names(char *buf, size_t len)
{
	size_t off = 0;
	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ntable && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				table[i]->name);
}

int policy_unknown(const char *name, char *buf, size_t len)
{
	char names[256];
	policy_names(names, sizeof(names));
	if (buf && len)
		snprintf(buf, len, "unknown policy '%s' (known: %s)",
			 name ? name : "(null)", names);
	return HS_ENOPOLICY;
}

size_t policy_count(void)
{
	return ntable;
}

const struct policy_ops *policy_at(size_t i)
{
	return i < ntable ? table[i] : NULL;
}

int policy__param_double(const struct hs_param *params, size_t n,
			 const char *key, double *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(params[i].key, key) != 0)
			continue;
		char *end;
		double v = strtod(params[i].val, &end);
		if (end == params[i].val || *end || !(v > 0)) {
			snprintf(err, errlen, "%s: expected a positive number, got '%s'",
				 key, params[i].val);
			return HS_EPARAM;
		}
		/* bounded: policies scale these to ns (ms * 1e6) */
		if (!(v <= 1e9)) {
			snprintf(err, errlen, "%s: '%s' is too large (at most 1e9)", key,
				 params[i].val);
			return HS_EPARAM;
		}
		*out = v;
	}
	return HS_OK;
}

int policy__check_keys(const char *policy, const struct hs_param *params,
		       size_t n, const char *const *known, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *k = known;
		while (*k && strcmp(*k, params[i].key) != 0)
			k++;
		if (!*k) {
			snprintf(err, errlen, "policy '%s' has no parameter '%s'",
				 policy, params[i].key);
			return HS_EPARAM;
		}
	}
	return HS_OK;
}

int policy__param_uint(const struct hs_param *params, size_t n,
		       const char *key, unsigned min, unsigned max,
		       unsigned *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(params[i].key, key) != 0)
			continue;
		char *end;
		errno = 0;
		long v = strtol(params[i].val, &end, 10);
		if (end == params[i].val || *end || errno || v < (long)min ||
		    v > (long)max) {
			snprintf(err, errlen, "%s: expected an integer in %u..%u, got '%s'",
				 key, min, max, params[i].val);
			return HS_EPARAM;
		}
		*out = (unsigned)v;
	}
	return HS_OK;
}

void *policy__slot(struct policy_slots *t, int id)
{
	if (id < 0)
		return NULL;
	if ((size_t)id >= t->n) {
		size_t nn = (size_t)id * 2 + 8;
		char *na = realloc(t->a, nn * t->elem);
		if (!na)
			return NULL;
		memset(na + t->n * t->elem, 0, (nn - t->n) * t->elem);
		t->a = na;
		t->n = nn;
	}
	return (char *)t->a + (size_t)id * t->elem;
}

void policy__slots_release(struct policy_slots *t)
{
	free(t->a);
	t->a = NULL;
	t->n = 0;
}

void policy__apply(struct sched *s, const struct sched_status *st,
		   const unsigned char *run)
{
	for (size_t i = 0; i < st->n; i++) {
		if (!run || run[i])
			sched_resume(s, st->q[i].id, st->now);
		else
			sched_suspend(s, st->q[i].id, st->now);
	}
}

unsigned char *policy__run_buf(struct policy_slots *t, size_t n)
{
	unsigned char *r = policy__slot(t, (int)n);
	if (r)
		memset(t->a, 0, n + 1);
	return r ? t->a : NULL;
}

int policy__linger_new(const char *policy, const struct hs_param *params,
		       size_t n, int lift, void **state, char *err, size_t errlen)
{
	const char *const known[] = { "linger", lift ? "lift" : NULL, NULL };
	double ms = 0;
	int on = lift;
	int e = policy__check_keys(policy, params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "linger", &ms, err, errlen);
	for (size_t i = 0; i < n && !e; i++) {
		if (strcmp(params[i].key, "lift") != 0)
			continue;
		if (strcmp(params[i].val, "0") && strcmp(params[i].val, "1")) {
			snprintf(err, errlen, "lift: expected 0 or 1, got '%s'",
				 params[i].val);
			e = HS_EPARAM;
		}
		on = params[i].val[0] == '1';
	}
	if (e)
		return e;
	struct policy_linger *l = calloc(1, sizeof(*l));
	if (!l)
		return HS_ENOMEM;
	*l = (struct policy_linger){ .ns = (hs_ns)(ms * 1e6),
				     .until = { .elem = sizeof(hs_ns) }, .lift = on };
	*state = l;
	return HS_OK;
}

int policy__busy(struct policy_linger *l, const struct xq_status *q, hs_ns now,
		 hs_ns *next)
{
	if (l->ns <= 0)
		return q->ready;
	hs_ns *b = policy__slot(&l->until, q->id);
	if (!b)
		return q->ready;
	if (q->ready) {
		*b = INT64_MAX;
		return 1;
	}
	if (*b == INT64_MAX)
		*b = now + l->ns;            /* just went idle */
	if (*b > now) {
		if (*b < *next)
			*next = *b;
		return 1;
	}
	return 0;
}

void policy__linger_free(void *state)
{
	struct policy_linger *l = state;
	if (l)
		policy__slots_release(&l->until);
	free(l);
}
