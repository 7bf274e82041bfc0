/*
 * native: no control. Queues launch everything as soon as it is submitted
 * and are never suspended: the baseline a user has without a scheduler.
 * streamprio: the same, plus hardware stream priorities taken from the
 * tenants' priorities (what a user can do with the GPU runtime alone).
 */
#include "sched_internal.h"

static void sched_native(struct sched *s, void *state,
			 const struct sched_status *st)
{
	(void)s; (void)state; (void)st;
}

const struct policy_ops policy_native = {
	.name = "native",
	.summary = "no control: launch everything at once (baseline)",
	.flags = POLICY_F_PASSTHROUGH,
	.sched = sched_native,
};

const struct policy_ops policy_streamprio = {
	.name = "streamprio",
	.summary = "no control, hardware stream priorities from tenant priorities",
	.flags = POLICY_F_PASSTHROUGH | POLICY_F_STREAM_PRIO,
	.sched = sched_native,
};
