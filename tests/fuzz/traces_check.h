/* What every trace a reader or importer accepts must satisfy (trace.h's
 * limits), checked by the trace harnesses, plus its summary computed (the
 * arithmetic of `trace info` on parsed numbers). */
#ifndef HIPSCHED_FUZZ_TRACES_CHECK_H
#define HIPSCHED_FUZZ_TRACES_CHECK_H

#include <string.h>
#include "fuzz.h"
#include "trace.h"

static inline void fuzz_check_trace(struct trace *t)
{
	if (t->nrecs > TRACE_MAX_RECS)
		fuzz_fail("%zu records", t->nrecs);
	for (size_t i = 0; i < t->nrecs; i++) {
		const struct trace_rec *r = &t->recs[i];
		if (r->submit_ns < 0 || r->start_ns < 0 || r->end_ns < r->start_ns ||
		    r->submit_ns > TRACE_TIME_MAX_NS || r->end_ns > TRACE_TIME_MAX_NS)
			fuzz_fail("record %zu: times %lld %lld %lld", i,
				  (long long)r->submit_ns, (long long)r->start_ns,
				  (long long)r->end_ns);
		if ((unsigned)r->kind >= TRACE_KIND_COUNT_ || !r->name)
			fuzz_fail("record %zu: kind/name", i);
	}
	struct trace_summary s;
	if (trace_summarize(t, 10, &s) == 0)
		trace_summary_release(&s);
}

/* Imports data as format fmt (TRACE_FMT_AUTO: detect) and checks it. */
static inline void fuzz_import(const uint8_t *data, size_t n, enum trace_format fmt,
			       enum trace_split split)
{
	const char *p = fuzz_write("trace", data, n);
	struct trace_import_opts o = { .format = fmt, .split = split };
	struct trace_err err;
	struct trace_import_stats st;
	struct trace *t = trace_import_load(p, &o, &st, &err);
	if (!t) {
		if (!strchr(err.msg, ':'))
			fuzz_fail("an error without FILE: '%s'", err.msg);
		return;
	}
	fuzz_check_trace(t);
	trace_free(t);
}

#endif
