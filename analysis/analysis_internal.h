/*
 * Internals of analysis/ shared by its files (never included from outside
 * the folder): walking a loaded summary.json (analysis/compare.c).
 */
#ifndef HIPSCHED_ANALYSIS_INTERNAL_H
#define HIPSCHED_ANALYSIS_INTERNAL_H

#include <jansson.h>

/* The value at a dotted path in js ("latency_ms.p99"; a number after a dot
 * indexes an array: "ci95.0"), or NULL when a step is missing. Borrowed. */
json_t *analysis__at_path(json_t *js, const char *path);
/* The object of the array whose "name" is name ("tenants" of a summary,
 * "seeds.tenants"), or NULL. Borrowed. O(n). */
json_t *analysis__named(json_t *array, const char *name);

#endif
