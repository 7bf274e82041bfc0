/*
 * hpf: highest priority first. The ready queues of the highest priority
 * run; every other queue is suspended. A queue of lower priority runs again
 * as soon as no queue above it has work.
 *
 * Parameter linger (ms, default 0): a queue still counts as busy for this
 * long after it went idle. A latency-critical model launched from eager
 * PyTorch leaves its queue empty for tens of microseconds between kernels
 * (host launch overhead); without linger, hpf resumes and suspends the
 * lower queues in every such gap, which at levels 2 and 3 costs a
 * deactivation and relaunch each time. A linger a little above the host
 * gap keeps the lower queues suspended for the whole request.
 *
 * Parameter lift (0 or 1, default 1): a queue that no queue outranks
 * (none of a higher priority exists, busy or not) is never suspended by
 * hpf, so its threshold buys nothing; with lift=1 hpf lifts it
 * (sched_bound) and such a queue launches as it would without a
 * scheduler: one tenant alone, or every queue of one priority, runs
 * unthrottled, and a queue next to a higher priority is held to its
 * threshold, which bounds its preemption latency. lift=0 holds every
 * queue to its threshold. The default since measured on the H200
 * (analysis/reports/h200.md, section 12): one tenant alone holds no call,
 * and the dual and three-tenant tests of real PyTorch pass with it in the
 * same call where plain hpf missed the three-tenant one.
 */
#include <limits.h>
#include <stdint.h>
#include "sched_internal.h"

static int init_hpf(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	return policy__linger_new("hpf", params, n, 1, state, err, errlen);
}

static void sched_hpf(struct sched *s, void *state, const struct sched_status *st)
{
	struct policy_linger *h = state;
	int top = INT_MIN, highest = INT_MIN;
	hs_ns next = INT64_MAX;
	for (size_t i = 0; i < st->n; i++) {
		if (policy__busy(h, &st->q[i], st->now, &next) && st->q[i].priority > top)
			top = st->q[i].priority;
		if (st->q[i].priority > highest)
			highest = st->q[i].priority;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (h->lift)
			sched_bound(s, q->id, q->priority < highest, st->now);
		if (q->priority < top)
			sched_suspend(s, q->id, st->now);
		else
			sched_resume(s, q->id, st->now);
	}
	if (next != INT64_MAX)
		sched_timer(s, next);
}

const struct policy_ops policy_hpf = {
	.name = "hpf",
	.summary = "highest priority first: only the top busy priority runs (linger=MS, lift=0|1)",
	.init = init_hpf,
	.sched = sched_hpf,
	.timer = sched_hpf,
	.fini = policy__linger_free,
};
