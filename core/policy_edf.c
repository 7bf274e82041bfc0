/*
 * edf: earliest deadline first. The ready queue with the earliest absolute
 * deadline (set by the driver through xq_set_deadline(), e.g. arrival +
 * relative deadline of the request at the head of the queue) runs; the
 * others are suspended. Queues without a deadline run only when no queue
 * with one is ready. Ties go to the higher priority, then the lower id.
 *
 * Parameter linger (ms, default 0), as for hpf: a queue still counts as
 * ready (and keeps its deadline) for this long after it went idle. Without
 * it, an eager application's queue goes idle between every two kernels
 * and the batch queue is resumed and suspended in each such gap: its
 * commands then sit in front of the next kernel of the one with the
 * deadline (measured on an H200: 60 frames/s under edf at P50 12.8 ms vs
 * 7.9 ms alone, analysis/reports/h200.md).
 */
#include <stdint.h>
#include "sched_internal.h"

int policy__deadline_before(const struct xq_status *a, const struct xq_status *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->id < b->id;
}

static int init_edf(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	return policy__linger_new("edf", params, n, 0, state, err, errlen);
}

static void sched_edf(struct sched *s, void *state, const struct sched_status *st)
{
	struct policy_linger *l = state;
	const struct xq_status *best = NULL;
	hs_ns next = INT64_MAX;
	for (size_t i = 0; i < st->n; i++)
		if (policy__busy(l, &st->q[i], st->now, &next) &&
		    (!best || policy__deadline_before(&st->q[i], best)))
			best = &st->q[i];
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (!best || q == best)
			sched_resume(s, q->id, st->now);
		else
			sched_suspend(s, q->id, st->now);
	}
	if (next != INT64_MAX)
		sched_timer(s, next);
}

const struct policy_ops policy_edf = {
	.name = "edf",
	.summary = "earliest deadline first (deadlines from xq_set_deadline; linger=MS)",
	.init = init_edf,
	.sched = sched_edf,
	.timer = sched_edf,
	.fini = policy__linger_free,
};
