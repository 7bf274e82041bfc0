/*
 * Scenario values: durations with units, numbers, names, and the table of
 * verdict criteria (see scenarios/README.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scenario.h"
#include "scenario_internal.h"

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* scenarios/' block of the one error table (numbering in core/sched.h). */
static const char *const scenario_messages[] = {
	[HS_ERANGE_SCENARIO - SCENARIO_EBAD] = "bad scenario",
	[HS_ERANGE_SCENARIO - SCENARIO_EVALUE] = "bad value",
	[HS_ERANGE_SCENARIO - SCENARIO_ELIMIT] = "more requests than a run keeps "
		"(SCENARIO_REQUESTS_MAX); shorten the duration",
};

HS_ERR_BLOCK(HS_ERANGE_SCENARIO, scenario_messages);

/* ---- small value parsers ------------------------------------------------- */

int scenario_parse_duration(const char *s, hs_ns *out_ns, const char **why)
{
	static const struct { const char *u; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
	};
	const char *dummy;
	if (!why)
		why = &dummy;
	s = skip_ws(s);
	if (!*s) {
		*why = "empty value";
		return SCENARIO_EVALUE;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v) || *s == '+') {
		*why = "not a number";
		return SCENARIO_EVALUE;
	}
	if (v < 0) {
		*why = "negative";
		return SCENARIO_EVALUE;
	}
	const char *u = skip_ws(end);
	size_t ul = strlen(u);
	while (ul && (u[ul - 1] == ' ' || u[ul - 1] == '\t'))
		ul--;
	if (ul == 0) {
		if (v == 0) {
			*out_ns = 0;
			return 0;
		}
		*why = "missing unit (ns, us, ms, s or m)";
		return SCENARIO_EVALUE;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].u) == ul && strncmp(u, units[i].u, ul) == 0) {
			double ns = v * units[i].ns;
			if (ns > 9.2e18) {
				*why = "too large";
				return SCENARIO_EVALUE;
			}
			*out_ns = (hs_ns)llround(ns);
			return 0;
		}
	}
	*why = "unknown unit (use ns, us, ms, s or m)";
	return SCENARIO_EVALUE;
}

/* A finite decimal number, nothing after it. */
int scenario__parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -1;
	if (*skip_ws(end))
		return -1;
	*out = v;
	return 0;
}

int scenario__parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || errno == ERANGE || *skip_ws(end) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int scenario__parse_u64(const char *s, uint64_t *out)
{
	char *end;
	s = skip_ws(s);
	if (*s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (end == s || errno == ERANGE || *skip_ws(end))
		return -1;
	*out = v;
	return 0;
}

int scenario__valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- criteria --------------------------------------------------------------- */

static const struct {
	const char *metric;
	enum criterion_kind kind;
	int per_tenant;
	int is_min;
} crit_table[] = {
	{ "p99_vs_standalone", CRIT_P99_VS_STANDALONE_MAX, 1, 0 },
	{ "throughput_vs_standalone", CRIT_TPUT_VS_STANDALONE_MIN, 1, 1 },
	{ "slo_attainment", CRIT_SLO_ATTAINMENT_MIN, 1, 1 },
	{ "p99_ms", CRIT_P99_MS_MAX, 1, 0 },
	{ "gpu_util", CRIT_GPU_UTIL_MIN, 0, 1 },
};
#define NCRIT (sizeof(crit_table) / sizeof(crit_table[0]))

const char *criterion_metric(enum criterion_kind k)
{
	for (size_t i = 0; i < NCRIT; i++)
		if (crit_table[i].kind == k)
			return crit_table[i].metric;
	return "?";
}

const char *criterion_op(enum criterion_kind k)
{
	for (size_t i = 0; i < NCRIT; i++)
		if (crit_table[i].kind == k)
			return crit_table[i].is_min ? ">=" : "<=";
	return "?";
}

int criterion_per_tenant(enum criterion_kind k)
{
	for (size_t i = 0; i < NCRIT; i++)
		if (crit_table[i].kind == k)
			return crit_table[i].per_tenant;
	return 0;
}

void scenario__list_criteria(char *buf, size_t len)
{
	buf[0] = 0;
	for (size_t i = 0; i < NCRIT; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s%s_%s", i ? ", " : "",
			 crit_table[i].per_tenant ? "TENANT." : "",
			 crit_table[i].metric, crit_table[i].is_min ? "min" : "max");
	}
}

int scenario__crit_find(const char *mk, enum criterion_kind *kind)
{
	size_t ml = strlen(mk);
	int is_min;
	if (ml > 4 && strcmp(mk + ml - 4, "_min") == 0)
		is_min = 1;
	else if (ml > 4 && strcmp(mk + ml - 4, "_max") == 0)
		is_min = 0;
	else
		return -1;
	for (size_t i = 0; i < NCRIT; i++) {
		if (strlen(crit_table[i].metric) == ml - 4 &&
		    strncmp(mk, crit_table[i].metric, ml - 4) == 0 &&
		    crit_table[i].is_min == is_min) {
			*kind = crit_table[i].kind;
			return 0;
		}
	}
	return -1;
}
