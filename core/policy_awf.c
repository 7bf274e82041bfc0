/*
 * awf: active window first. On a desktop the application the user looks
 * at (the foreground window) must stay fluid whatever runs behind it. A
 * process is in the foreground when one of its queues says so
 * (xq_status.foreground: the scenario's `foreground = yes`, or
 * xq_set_foreground() when the focus moves); all queues of a foreground
 * process count as foreground (xq_status.group names the process). While
 * any foreground queue is ready, every queue of the background processes
 * is suspended; foreground queues run together. With no foreground work,
 * everything runs. No parameters.
 *
 * Cost: O(n * g) per call, n queues, g foreground processes (few).
 */
#include <stdlib.h>
#include "sched_internal.h"

struct awf {
	struct policy_slots fg;    /* one byte per group id: in the foreground */
	struct policy_slots run;
};

static int init_awf(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	static const char *const known[] = { NULL };
	int e = policy__check_keys("awf", params, n, known, err, errlen);
	if (e)
		return e;
	struct awf *a = calloc(1, sizeof(*a));
	if (!a)
		return HS_ENOMEM;
	a->fg.elem = 1;
	a->run.elem = 1;
	*state = a;
	return HS_OK;
}

static void sched_awf(struct sched *s, void *state, const struct sched_status *st)
{
	struct awf *a = state;
	unsigned char *run = policy__run_buf(&a->run, st->n);
	int fg_ready = 0;
	for (size_t i = 0; i < st->n; i++) {
		unsigned char *g = policy__slot(&a->fg, st->q[i].group);
		if (g)
			*g = 0;
	}
	for (size_t i = 0; i < st->n; i++) {
		unsigned char *g = policy__slot(&a->fg, st->q[i].group);
		if (g && st->q[i].foreground)
			*g = 1;
	}
	for (size_t i = 0; run && i < st->n; i++) {
		unsigned char *g = policy__slot(&a->fg, st->q[i].group);
		run[i] = g && *g;
		fg_ready |= run[i] && st->q[i].ready;
	}
	if (run && !fg_ready)
		for (size_t i = 0; i < st->n; i++)
			run[i] = 1;
	policy__apply(s, st, run);
}

static void fini_awf(void *state)
{
	struct awf *a = state;
	if (a) {
		policy__slots_release(&a->fg);
		policy__slots_release(&a->run);
	}
	free(a);
}

const struct policy_ops policy_awf = {
	.name = "awf",
	.summary = "active window first: foreground processes' queues run, the rest wait",
	.init = init_awf,
	.sched = sched_awf,
	.fini = fini_awf,
};
