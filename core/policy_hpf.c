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
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include "sched_internal.h"

struct hpf {
	hs_ns linger_ns;
	hs_ns *busy_until;         /* by queue id: INT64_MAX while ready */
	size_t n;
};

static int init_hpf(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	static const char *const known[] = { "linger", NULL };
	double linger_ms = 0;
	int e = policy__check_keys("hpf", params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "linger", &linger_ms, err, errlen);
	if (e)
		return e;
	struct hpf *h = calloc(1, sizeof(*h));
	if (!h)
		return HS_ENOMEM;
	h->linger_ns = (hs_ns)(linger_ms * 1e6);
	*state = h;
	return HS_OK;
}

/* busy_until for id, growing the table on first sight (0 = never busy). */
static hs_ns *slot(struct hpf *h, int id)
{
	if ((size_t)id >= h->n) {
		size_t nn = (size_t)id + 8;
		hs_ns *nb = realloc(h->busy_until, nn * sizeof(*nb));
		if (!nb)
			return NULL;
		for (size_t i = h->n; i < nn; i++)
			nb[i] = 0;
		h->busy_until = nb;
		h->n = nn;
	}
	return &h->busy_until[id];
}

/* Whether q counts as busy now; arms *next with the earliest linger end. */
static int busy(struct hpf *h, const struct xq_status *q, hs_ns now, hs_ns *next)
{
	if (h->linger_ns <= 0)
		return q->ready;
	hs_ns *b = slot(h, q->id);
	if (!b)
		return q->ready;
	if (q->ready) {
		*b = INT64_MAX;
		return 1;
	}
	if (*b == INT64_MAX)
		*b = now + h->linger_ns;     /* just went idle */
	if (*b > now) {
		if (*b < *next)
			*next = *b;
		return 1;
	}
	return 0;
}

static void sched_hpf(struct sched *s, void *state, const struct sched_status *st)
{
	struct hpf *h = state;
	int top = INT_MIN;
	hs_ns next = INT64_MAX;
	for (size_t i = 0; i < st->n; i++)
		if (busy(h, &st->q[i], st->now, &next) && st->q[i].priority > top)
			top = st->q[i].priority;
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (q->priority < top)
			sched_suspend(s, q->id, st->now);
		else
			sched_resume(s, q->id, st->now);
	}
	if (next != INT64_MAX)
		sched_timer(s, next);
}

static void fini_hpf(void *state)
{
	struct hpf *h = state;
	if (h)
		free(h->busy_until);
	free(h);
}

const struct policy_ops policy_hpf = {
	.name = "hpf",
	.summary = "highest priority first: only the top busy priority runs (linger=MS)",
	.init = init_hpf,
	.sched = sched_hpf,
	.timer = sched_hpf,
	.fini = fini_hpf,
};
