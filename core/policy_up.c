/*
 * up: utilization partition by queue. Each queue is promised a share of
 * the GPU's time, weight_i / sum of all queues' weights (xq_status.weight:
 * the scenario's `weight`, or xq_set_weight), measured over a `period`
 * (ms, default 20). One queue runs at a time, for a `slice` (ms, default
 * 2) at most: the ready queue with the most of its share left this period.
 * A queue that used its share waits for the next period while others with
 * share left are ready; when none is, the ready queue that used least per
 * unit of weight runs, so the GPU never idles for the partition's sake.
 *
 * The difference with bp: bp hands out weighted turns in a ring and an idle
 * queue loses its turn; up keeps an account per period, so a queue that
 * was idle early in the period gets its share later in it.
 *
 * pup (policy_pup.c) is the same machine with processes as the units:
 * queues of one process (xq_status.group) share one account, the
 * process's weight is the largest of its queues' weights (give the tenants
 * of one process the same weight), and all ready queues of the chosen
 * process run together: a process that opens more queues gets no more of
 * the GPU. The time a unit held the GPU is
 * measured between policy calls, from the call that let it run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sched_internal.h"

struct up_unit {
	hs_ns used_ns;            /* GPU time this period */
	double weight;            /* largest of its queues', this call */
	int ready;                /* has a ready queue, this call */
};

struct up {
	int by_process;
	hs_ns period_ns, slice_ns;
	hs_ns period_start;
	int cur;                  /* unit holding the GPU, -1 none */
	hs_ns since;              /* when cur got it */
	hs_ns last;               /* previous call */
	struct policy_slots u;    /* struct up_unit by unit id */
	struct policy_slots run;
};

int up__init(const char *name, const struct hs_param *params, size_t n,
	     void **state, char *err, size_t errlen)
{
	static const char *const known[] = { "period", "slice", NULL };
	double period_ms = 20.0, slice_ms = 2.0;
	int e = policy__check_keys(name, params, n, known, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "period", &period_ms, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "slice", &slice_ms, err, errlen);
	if (!e && slice_ms > period_ms) {
		snprintf(err, errlen, "slice (%g ms) longer than period (%g ms)",
			 slice_ms, period_ms);
		e = HS_EPARAM;
	}
	if (e)
		return e;
	struct up *u = calloc(1, sizeof(*u));
	if (!u)
		return HS_ENOMEM;
	u->by_process = strcmp(name, "pup") == 0;
	u->period_ns = (hs_ns)(period_ms * 1e6);
	u->slice_ns = (hs_ns)(slice_ms * 1e6);
	u->cur = -1;
	u->u.elem = sizeof(struct up_unit);
	u->run.elem = 1;
	*state = u;
	return HS_OK;
}

static int unit_of(const struct up *u, const struct xq_status *q)
{
	return u->by_process ? q->group : q->id;
}

/* The ready unit to run now, or -1: the most share left, else the least
 * used per weight. */
static int pick(struct up *u, const struct sched_status *st, double total_w)
{
	int best = -1, over = -1;
	double best_left = 0, over_use = 0;
	for (size_t i = 0; i < st->n; i++) {
		int id = unit_of(u, &st->q[i]);
		struct up_unit *x = policy__slot(&u->u, id);
		if (!x || !x->ready)
			continue;
		double share = (double)u->period_ns * x->weight / total_w;
		double left = share - (double)x->used_ns;
		double use = (double)x->used_ns / x->weight;
		if (left > 0 && (best < 0 || left > best_left)) {
			best = id;
			best_left = left;
		}
		if (over < 0 || use < over_use) {
			over = id;
			over_use = use;
		}
	}
	return best >= 0 ? best : over;
}

void up__sched(struct sched *s, void *state, const struct sched_status *st)
{
	struct up *u = state;
	struct up_unit *x;
	double total_w = 0;
	if (u->cur >= 0 && (x = policy__slot(&u->u, u->cur)))
		x->used_ns += st->now - u->last;
	u->last = st->now;
	int fresh = st->now - u->period_start >= u->period_ns;
	if (fresh) {
		for (size_t i = 0; i < u->u.n; i++)
			((struct up_unit *)u->u.a)[i].used_ns = 0;
		u->period_start = st->now;
	}
	for (size_t i = 0; i < st->n; i++)
		if ((x = policy__slot(&u->u, unit_of(u, &st->q[i])))) {
			x->weight = 0;
			x->ready = 0;
		}
	for (size_t i = 0; i < st->n; i++)
		if ((x = policy__slot(&u->u, unit_of(u, &st->q[i])))) {
			if (st->q[i].weight > x->weight)
				x->weight = st->q[i].weight;
			x->ready |= st->q[i].ready;
		}
	for (size_t i = 0; i < st->n; i++) {
		x = policy__slot(&u->u, unit_of(u, &st->q[i]));
		if (x && x->weight > 0) {
			total_w += x->weight;     /* once per unit */
			x->weight = -x->weight;
		}
	}
	for (size_t i = 0; i < st->n; i++)
		if ((x = policy__slot(&u->u, unit_of(u, &st->q[i]))) && x->weight < 0)
			x->weight = -x->weight;
	int keep = 0;
	x = u->cur >= 0 ? policy__slot(&u->u, u->cur) : NULL;
	if (x && x->ready && !fresh && st->now - u->since < u->slice_ns)
		keep = (double)x->used_ns < (double)u->period_ns * x->weight / total_w;
	int next = keep ? u->cur : pick(u, st, total_w);
	if (next != u->cur || !keep) {
		u->cur = next;
		u->since = st->now;
	}
	unsigned char *run = policy__run_buf(&u->run, st->n);
	int others = 0;
	for (size_t i = 0; run && i < st->n; i++) {
		run[i] = next < 0 || unit_of(u, &st->q[i]) == next;
		others |= st->q[i].ready && !run[i];
	}
	policy__apply(s, st, run);
	if (!others || next < 0) {
		sched_timer(s, -1);
		return;
	}
	/* look again at the end of the slice, of the share or of the period */
	hs_ns at = u->since + u->slice_ns;
	x = policy__slot(&u->u, next);
	if (x) {
		double d = (double)u->period_ns * x->weight / total_w - (double)x->used_ns;
		hs_ns left = (hs_ns)d;
		if ((double)left < d)
			left++;          /* round up: the share is spent by then */
		if (left > 0 && st->now + left < at)
			at = st->now + left;
	}
	if (u->period_start + u->period_ns < at)
		at = u->period_start + u->period_ns;
	sched_timer(s, at > st->now ? at : st->now + 1);
}

void up__fini(void *state)
{
	struct up *u = state;
	if (u) {
		policy__slots_release(&u->u);
		policy__slots_release(&u->run);
	}
	free(u);
}

static int init_up(const struct hs_param *params, size_t n, void **state,
		   char *err, size_t errlen)
{
	return up__init("up", params, n, state, err, errlen);
}

static void sched_up(struct sched *s, void *state, const struct sched_status *st)
{
	up__sched(s, state, st);
}

static void fini_up(void *state)
{
	up__fini(state);
}

const struct policy_ops policy_up = {
	.name = "up",
	.summary = "utilization partition by queue: weighted shares per period (period=MS, slice=MS)",
	.init = init_up,
	.sched = sched_up,
	.timer = sched_up,
	.fini = fini_up,
};
