/*
 * Policy registry: built-ins first, then whatever a driver registers.
 * `--policy NAME` is a table lookup; duplicate names are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sched_internal.h"

#define MAX_POLICIES 32

static const struct policy_ops *table[MAX_POLICIES] = {
	&policy_native, &policy_streamprio, &policy_hpf, &policy_edf, &policy_bp,
};
static size_t ntable = 5;

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
		/* bounded: policies scale these to ns (ms * 1e6) */
		if (end == params[i].val || *end || !(v > 0) || !(v <= 1e9)) {
			snprintf(err, errlen, "%s: expected a positive number up to "
				 "1e9, got '%s'", key, params[i].val);
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
