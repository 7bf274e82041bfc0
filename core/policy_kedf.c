/*
 * kedf: the k earliest deadlines run together. The ready queues are ranked
 * by absolute deadline (xq_set_deadline; none = after every deadline), then
 * higher priority, then lower id; the first k run and the rest are
 * suspended. With k = 1 it is edf. A GPU has room for more than one model
 * at a time: when one tenant alone does not fill the device, running the
 * two most urgent keeps the GPU busy without letting the least urgent
 * queues in. Parameter k (default 2, 1..1024).
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

static void sched_kedf(struct sched *s, void *state, const struct sched_status *st)
{
	struct kedf *kd = state;
	unsigned char *run = policy__run_buf(&kd->run, st->n);
	size_t nready = 0;
	for (size_t i = 0; i < st->n; i++)
		nready += st->q[i].ready != 0;
	if (run && nready <= kd->k) {
		for (size_t i = 0; i < st->n; i++)
			run[i] = 1;        /* room for all: nobody waits */
	} else if (run) {
		/* pick the k best, one selection pass each */
		for (unsigned r = 0; r < kd->k; r++) {
			size_t best = st->n;
			for (size_t i = 0; i < st->n; i++)
				if (st->q[i].ready && !run[i] &&
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
