/*
 * lax: least laxity first. A queue's laxity is the slack it has left:
 * deadline - now - the expected time of its pending and in-flight work
 * (xq_status.expect_pending_ns, from the commands' expect_ns). The ready
 * queue with the least laxity runs, the others are suspended; queues
 * without a deadline run only when no queue with one is ready. Ties go to
 * the higher priority, then the lower id.
 *
 * Unlike edf, a long job whose deadline is later but whose slack is smaller
 * goes first. Laxity of a waiting queue shrinks with time while the running
 * queue's stays put, so the order can flip between events: the policy arms
 * a timer for the moment the first waiting queue's laxity drops below the
 * runner's, no sooner than `quantum` (ms, default 1) after the last switch
 * so two queues of equal slack do not trade the GPU at every event.
 */
#include <stdint.h>
#include <stdlib.h>
#include "sched_internal.h"

struct lax {
	hs_ns quantum_ns;
	int cur;                  /* queue id running, -1 none */
	hs_ns since;              /* when cur got the GPU */
	struct policy_slots run;  /* scratch: one byte per status entry */
};

static int init_lax(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	static const char *const known[] = { "quantum", NULL };
	double quantum_ms = 1.0;
	int e = policy__check_keys("lax", params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "quantum", &quantum_ms, err, errlen);
	if (e)
		return e;
	struct lax *l = calloc(1, sizeof(*l));
	if (!l)
		return HS_ENOMEM;
	l->quantum_ns = (hs_ns)(quantum_ms * 1e6);
	l->cur = -1;
	l->run.elem = 1;
	*state = l;
	return HS_OK;
}

static hs_ns laxity(const struct xq_status *q, hs_ns now)
{
	if (q->deadline_ns == INT64_MAX)
		return INT64_MAX;
	return q->deadline_ns - now - q->expect_pending_ns;
}

static int before(const struct xq_status *a, const struct xq_status *b, hs_ns now)
{
	hs_ns la = laxity(a, now), lb = laxity(b, now);
	if (la != lb)
		return la < lb;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->id < b->id;
}

static void sched_lax(struct sched *s, void *state, const struct sched_status *st)
{
	struct lax *l = state;
	const struct xq_status *best = NULL, *cur = NULL;
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		if (!q->ready)
			continue;
		if (q->id == l->cur)
			cur = q;
		if (!best || before(q, best, st->now))
			best = q;
	}
	/* keep the runner for its quantum unless it went idle */
	if (cur && best != cur && st->now - l->since < l->quantum_ns)
		best = cur;
	if (!best || best->id != l->cur) {
		l->cur = best ? best->id : -1;
		l->since = st->now;
	}
	unsigned char *run = policy__run_buf(&l->run, st->n);
	hs_ns flip = INT64_MAX;
	for (size_t i = 0; run && i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		int on = !best || q == best;
		run[i] = (unsigned char)on;
		if (best && q->ready && !on && laxity(q, st->now) != INT64_MAX &&
		    laxity(best, st->now) != INT64_MAX) {
			hs_ns at = st->now + laxity(q, st->now) - laxity(best, st->now);
			if (at < flip)
				flip = at;
		}
	}
	policy__apply(s, st, run);
	if (flip != INT64_MAX) {
		hs_ns at = l->since + l->quantum_ns;
		if (flip > at)
			at = flip;
		if (at <= st->now)
			at = st->now + l->quantum_ns;   /* a tie: look again later */
		sched_timer(s, at);
	} else {
		sched_timer(s, -1);
	}
}

static void fini_lax(void *state)
{
	struct lax *l = state;
	if (l)
		policy__slots_release(&l->run);
	free(l);
}

const struct policy_ops policy_lax = {
	.name = "lax",
	.summary = "least laxity first: deadline - now - expected work (quantum=MS)",
	.init = init_lax,
	.sched = sched_lax,
	.timer = sched_lax,
	.fini = fini_lax,
};
