/*
 * edf: earliest deadline first. The ready queue with the earliest absolute
 * deadline (set by the driver through xq_set_deadline(), e.g. arrival +
 * relative deadline of the request at the head of the queue) runs; the
 * others are suspended. Queues without a deadline run only when no queue
 * with one is ready. Ties go to the higher priority, then the lower id.
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

static void sched_edf(struct sched *s, void *state, const struct sched_status *st)
{
	(void)state;
	const struct xq_status *best = NULL;
	for (size_t i = 0; i < st->n; i++)
		if (st->q[i].ready && (!best || policy__deadline_before(&st->q[i], best)))
			best = &st->q[i];
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (!best || q == best)
			sched_resume(s, q->id, st->now);
		else
			sched_suspend(s, q->id, st->now);
	}
}

const struct policy_ops policy_edf = {
	.name = "edf",
	.summary = "earliest deadline first (deadlines from xq_set_deadline)",
	.sched = sched_edf,
};
