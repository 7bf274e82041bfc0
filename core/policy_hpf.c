/*
 * hpf: highest priority first. The ready queues of the highest priority
 * run; every other queue is suspended. A queue of lower priority runs again
 * as soon as no queue above it has work.
 */
#include <limits.h>
#include "sched_internal.h"

static void sched_hpf(struct sched *s, void *state, const struct sched_status *st)
{
	(void)state;
	int top = INT_MIN;
	for (size_t i = 0; i < st->n; i++)
		if (st->q[i].ready && st->q[i].priority > top)
			top = st->q[i].priority;
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (q->priority < top)
			sched_suspend(s, q->id, st->now);
		else
			sched_resume(s, q->id, st->now);
	}
}

const struct policy_ops policy_hpf = {
	.name = "hpf",
	.summary = "highest priority first: only the top ready priority runs",
	.sched = sched_hpf,
};
