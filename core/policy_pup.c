/*
 * pup: utilization partition by process. The machine is up's
 * (policy_up.c, where the design is described): the units that share the
 * GPU are processes (xq_status.group, from the scenario's `process`: the
 * tenants left in the runner's process form one, each `process = own`
 * tenant is its own), a process's weight is the largest of its queues',
 * and all ready queues of the process whose turn it is run together. A
 * process that opens more streams gets no more of the GPU.
 */
#include "sched_internal.h"

static int init_pup(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen)
{
	return up__init("pup", params, n, state, err, errlen);
}

static void sched_pup(struct sched *s, void *state, const struct sched_status *st)
{
	up__sched(s, state, st);
}

static void fini_pup(void *state)
{
	up__fini(state);
}

const struct policy_ops policy_pup = {
	.name = "pup",
	.summary = "utilization partition by process: weighted shares per period (period=MS, slice=MS)",
	.init = init_pup,
	.sched = sched_pup,
	.timer = sched_pup,
	.fini = fini_pup,
};
