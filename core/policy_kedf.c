/*
 * kedf: the k earliest deadlines run together. The ready queues are ranked
 * by absolute deadline (xq_set_deadline; none = after every deadline), then
 * higher priority, then lower id; the first k run and the rest are
 * suspended. With k = 1 it is edf. A GPU has room for more than one model
 * at a time: when one tenant alone does not fill the device, running the
 * two most urgent keeps the GPU busy without letting the least urgent
 * queues in. A queue without a deadline takes no slot while a queue with
 * one is ready, even when slots are free: it would share the device with
 * (or, in another process, time-slice against) the deadline work. When no
 * ready queue has a deadline, the k best by priority, then id, run.
 * Parameter k (default 2, 1..1024).
 *
 * Cost: O(n * k) per call, n the number of queues.
 */
#include <stdint.h>
#include <stdlib.h>
#include "sched_internal.h"

struct kedf {
	unsigned k;
	struct policy_slots run;   /* scratch: one byte per status entry */
};

static int init_kedf(const struct hs_param *params, size_t n, void **state,
		     char *err, size_t errlen)
{
	static const char *const known[] = { "k", NULL };
	unsigned k = 2;
	int e = policy__check_keys("kedf", params, n, known, err, errlen);
	if (!e)
		e = policy__param_uint(params, n, "k", 1, 1024, &k, err, errlen);
	if (e)
		return e;
	struct kedf *kd = calloc(1, sizeof(*kd));
	if (!kd)
		return HS_ENOMEM;
	kd->k = k;
	kd->run.elem = 1;
	*state = kd;
	return HS_OK;
}

/* A ready queue that may take one of the k slots: every ready queue when
 * none has a deadline, else only those with one. */
static int kedf_candidate(const struct xq_status *q, int any_deadline)
{
	return q->ready && (!any_deadline || q->deadline_ns != INT64_MAX);
}

static void sched_kedf(struct sched *s, void *state, const struct sched_status *st)
{
	struct kedf *kd = state;
	unsigned char *run = policy__run_buf(&kd->run, st->n);
	size_t ncand = 0;
	int any_deadline = 0;
	for (size_t i = 0; i < st->n; i++)
		any_deadline |= st->q[i].ready && st->q[i].deadline_ns != INT64_MAX;
	for (size_t i = 0; i < st->n; i++)
		ncand += kedf_candidate(&st->q[i], any_deadline);
	if (run && ncand <= kd->k) {
		/* room for all of them; an idle queue stays resumed unless it
		 * would be a deadline-less one let in beside deadline work */
		for (size_t i = 0; i < st->n; i++) {
			const struct xq_status *q = &st->q[i];
			run[i] = kedf_candidate(q, any_deadline) ||
				 (!q->ready && (!any_deadline || q->deadline_ns != INT64_MAX));
		}
	} else if (run) {
		/* pick the k best, one selection pass each */
		for (unsigned r = 0; r < kd->k; r++) {
			size_t best = st->n;
			for (size_t i = 0; i < st->n; i++)
				if (kedf_candidate(&st->q[i], any_deadline) && !run[i] &&
				    (best == st->n || policy__deadline_before(&st->q[i], &st->q[best])))
					best = i;
			if (best == st->n)
				break;
			run[best] = 1;
		}
	}
	policy__apply(s, st, run);
}

static void fini_kedf(void *state)
{
	struct kedf *kd = state;
	if (kd)
		policy__slots_release(&kd->run);
	free(kd);
}

const struct policy_ops policy_kedf = {
	.name = "kedf",
	.summary = "k earliest deadlines first: the k most urgent ready queues run together (k=N)",
	.init = init_kedf,
	.sched = sched_kedf,
	.fini = fini_kedf,
};
