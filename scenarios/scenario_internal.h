/* Internals of scenarios/ shared between scenario.c and values.c. */
#ifndef HIPSCHED_SCENARIO_INTERNAL_H
#define HIPSCHED_SCENARIO_INTERNAL_H

#include <stdint.h>
#include "scenario.h"

/* A finite decimal number and nothing after it (blanks aside): 0 or -1. */
int scenario__parse_double(const char *s, double *out);
/* A decimal integer within [min, max]: 0 or -1. */
int scenario__parse_long(const char *s, long min, long max, long *out);
/* An unsigned integer (decimal, 0x hex), no sign: 0 or -1. */
int scenario__parse_u64(const char *s, uint64_t *out);
/* 1 if s is a non-empty run of letters, digits, '_' and '-'. */
int scenario__valid_name(const char *s);
/* The criterion for "metric_min" / "metric_max": 0, or -1 if unknown. */
int scenario__crit_find(const char *metric_key, enum criterion_kind *kind);
/* "TENANT.p99_vs_standalone_max, ..." into buf. */
void scenario__list_criteria(char *buf, size_t len);

#endif
