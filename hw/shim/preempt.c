/*
 * Preemption latencies of this process's queues (sched_env.preempted):
 * from the policy's suspend of a queue to the moment its last in-flight
 * command was seen done (a marker's completion found by the poller, so up
 * to one poll interval late). The first SHIM_PREEMPT_MAX samples are kept,
 * in ns, and written raw into $HIPSCHED_STATS ("preempt_ns": [...], with
 * "preempt_count" the number seen), so the reader computes its own
 * percentiles (the library links no GSL: one percentile function stays in
 * scenarios/run.c). Called with the engine lock held.
 */
#include <stdio.h>
#include <stdlib.h>
#include "engine_internal.h"

#define SHIM_PREEMPT_MAX 65536

static hs_ns *samples;
static size_t nsamples;
static unsigned long long nseen;

void shim__preempted(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns)
{
	nseen++;
	if (!samples && !(samples = malloc(SHIM_PREEMPT_MAX * sizeof(*samples))))
		return;
	if (nsamples < SHIM_PREEMPT_MAX)
		samples[nsamples++] = idle_ns - suspend_ns;
	if (g_eng.conf.log)
		shim__log("queue %d: preempted in %.1f us", xq_id(q),
			  (double)(idle_ns - suspend_ns) / 1e3);
}

void shim__preempt_json(FILE *f)
{
	fprintf(f, "\"preempt_count\": %llu, \"preempt_ns\": [", nseen);
	for (size_t i = 0; i < nsamples; i++)
		fprintf(f, "%s%lld", i ? ", " : "", (long long)samples[i]);
	fprintf(f, "], ");
}

void shim__preempt_reset(void)
{
	nsamples = 0;
	nseen = 0;
}
