/*
 * bp: bandwidth partition by time slices. Ready queues take turns, in id
 * order; queue i holds the GPU for slice * weight_i (weights from
 * xq_set_weight(), default 1) while the others are suspended. An idle queue
 * gives its turn away at once. Parameter: slice (ms, default 5).
 */
#include <stdlib.h>
#include "sched_internal.h"

struct bp {
	hs_ns slice_ns;
	int cur;               /* id holding the GPU, -1 none */
	hs_ns until;           /* end of its turn */
};

static int init_bp(const struct hs_param *params, size_t n, void **state,
		   char *err, size_t errlen)
{
	static const char *const known[] = { "slice", NULL };
	double slice_ms = 5.0;
	int e = policy__check_keys("bp", params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "slice", &slice_ms, err, errlen);
	if (e)
		return e;
	struct bp *bp = calloc(1, sizeof(*bp));
	if (!bp)
		return HS_ENOMEM;
	bp->slice_ns = (hs_ns)(slice_ms * 1e6);
	bp->cur = -1;
	*state = bp;
	return HS_OK;
}

/* Index in st of the next ready queue after id `after` (wrapping), or -1. */
static int next_ready(const struct sched_status *st, int after)
{
	size_t start = 0;
	for (size_t i = 0; i < st->n; i++)
		if (st->q[i].id > after) {
			start = i;
			break;
		}
	for (size_t k = 0; k < st->n; k++) {
		size_t i = (start + k) % st->n;
		if (st->q[i].ready)
			return (int)i;
	}
	return -1;
}

static void apply(struct sched *s, struct bp *bp, const struct sched_status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		if (bp->cur < 0 || st->q[i].id == bp->cur)
			sched_resume(s, st->q[i].id, st->now);
		else
			sched_suspend(s, st->q[i].id, st->now);
	}
}

static void give_turn(struct sched *s, struct bp *bp,
		      const struct sched_status *st, int after)
{
	int i = next_ready(st, after);
	if (i < 0) {
		bp->cur = -1;
		sched_timer(s, -1);
	} else {
		bp->cur = st->q[i].id;
		bp->until = st->now + (hs_ns)(bp->slice_ns * st->q[i].weight);
		sched_timer(s, bp->until);
	}
	apply(s, bp, st);
}

static void sched_bp(struct sched *s, void *state, const struct sched_status *st)
{
	struct bp *bp = state;
	for (size_t i = 0; i < st->n; i++)
		if (st->q[i].id == bp->cur && st->q[i].ready) {
			apply(s, bp, st);
			return;
		}
	give_turn(s, bp, st, bp->cur);
}

static void timer_bp(struct sched *s, void *state, const struct sched_status *st)
{
	struct bp *bp = state;
	if (st->now < bp->until) {
		sched_timer(s, bp->until);
		return;
	}
	give_turn(s, bp, st, bp->cur);
}

static void fini_bp(void *state)
{
	free(state);
}

const struct policy_ops policy_bp = {
	.name = "bp",
	.summary = "bandwidth partition: ready queues take turns of slice * weight (slice=MS)",
	.init = init_bp,
	.sched = sched_bp,
	.timer = timer_bp,
	.fini = fini_bp,
};
