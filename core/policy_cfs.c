/*
 * cfs: weighted fair share by virtual runtime, after Linux's CFS. Each
 * queue has a virtual runtime that grows by the time it held the GPU
 * divided by its weight (xq_status.weight, from the scenario's `weight` or
 * xq_set_weight). The ready queue with the least virtual runtime runs
 * alone; it keeps the GPU for at least `slice` (ms, default 2) unless it
 * goes idle, then the queue furthest behind takes over. A queue that
 * becomes ready again starts at the least virtual runtime of the queues
 * already ready, so sleeping earns no credit to starve the others with.
 *
 * The time a queue held the GPU is measured between policy calls: from
 * the call that let it run (resumed and ready) to the next call. Over a
 * run, each of k always-busy queues gets weight_i / sum(weights) of the
 * time, whatever its kernels' lengths (what bp's fixed turns do not give
 * when one tenant goes idle now and then).
 */
#include <stdint.h>
#include <stdlib.h>
#include "sched_internal.h"

struct cfs_q {
	double vrt_ns;            /* virtual runtime */
	int was_ready;            /* ready at the previous call */
};

struct cfs {
	hs_ns slice_ns;
	int cur;                  /* queue id holding the GPU, -1 none */
	hs_ns since;              /* when cur got it */
	hs_ns last;               /* time of the previous call */
	struct policy_slots q;    /* struct cfs_q by id */
	struct policy_slots run;
};

static int init_cfs(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	static const char *const known[] = { "slice", NULL };
	double slice_ms = 2.0;
	int e = policy__check_keys("cfs", params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "slice", &slice_ms, err, errlen);
	if (e)
		return e;
	struct cfs *c = calloc(1, sizeof(*c));
	if (!c)
		return HS_ENOMEM;
	c->slice_ns = (hs_ns)(slice_ms * 1e6);
	c->cur = -1;
	c->q.elem = sizeof(struct cfs_q);
	c->run.elem = 1;
	*state = c;
	return HS_OK;
}

static void sched_cfs(struct sched *s, void *state, const struct sched_status *st)
{
	struct cfs *c = state;
	const struct xq_status *cur = NULL, *best = NULL;
	double best_v = 0, min_v = 0;
	int have_min = 0;
	/* charge the runner, find the floor of the queues that stayed ready */
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		struct cfs_q *cq = policy__slot(&c->q, q->id);
		if (!cq)
			continue;
		if (q->id == c->cur)
			cq->vrt_ns += (double)(st->now - c->last) / q->weight;
		if (cq->was_ready && q->ready && (!have_min || cq->vrt_ns < min_v)) {
			min_v = cq->vrt_ns;
			have_min = 1;
		}
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		struct cfs_q *cq = policy__slot(&c->q, q->id);
		if (!cq)
			continue;
		if (q->ready && !cq->was_ready && have_min && cq->vrt_ns < min_v)
			cq->vrt_ns = min_v;       /* woke up: no credit for sleep */
		cq->was_ready = q->ready;
		if (!q->ready)
			continue;
		if (q->id == c->cur)
			cur = q;
		if (!best || cq->vrt_ns < best_v) {
			best = q;
			best_v = cq->vrt_ns;
		}
	}
	c->last = st->now;
	if (cur && st->now - c->since < c->slice_ns)
		best = cur;               /* its slice is not over */
	if (!best || best->id != c->cur || st->now - c->since >= c->slice_ns) {
		c->cur = best ? best->id : -1;
		c->since = st->now;
	}
	unsigned char *run = policy__run_buf(&c->run, st->n);
	int others = 0;
	for (size_t i = 0; run && i < st->n; i++) {
		run[i] = !best || &st->q[i] == best;
		others |= st->q[i].ready && !run[i];
	}
	policy__apply(s, st, run);
	/* a rival waits: look again when the slice ends */
	sched_timer(s, others ? c->since + c->slice_ns : -1);
}

static void fini_cfs(void *state)
{
	struct cfs *c = state;
	if (c) {
		policy__slots_release(&c->q);
		policy__slots_release(&c->run);
	}
	free(c);
}

const struct policy_ops policy_cfs = {
	.name = "cfs",
	.summary = "completely fair: least weighted virtual runtime runs (slice=MS)",
	.init = init_cfs,
	.sched = sched_cfs,
	.timer = sched_cfs,
	.fini = fini_cfs,
};
