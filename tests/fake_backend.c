/* The core tests' fake backend (see fake_backend.h). */
#include <check.h>
#include <string.h>
#include "fake_backend.h"

static int fake_max_level(void *be, void *hwq)
{
	(void)be;
	return ((struct fake_hwq *)hwq)->max_level;
}

static void fake_launch(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	(void)be; (void)now;
	struct fake_hwq *h = hwq;
	ck_assert_msg(!h->stopped, "launch on a stopped queue");
	ck_assert_uint_lt(h->nlaunched, FAKE_MAX_LOG);
	h->launched[h->nlaunched++] = cmd;
}

static void fake_sync(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	(void)be; (void)now;
	struct fake_hwq *h = hwq;
	ck_assert(cmd->flags & XCMD_F_SYNC);
	h->syncs++;
	h->last_sync = cmd;
}

static void report(struct fake_hwq *h, hs_ns now)
{
	if (!h->sync_report)
		return;
	xq_deactivated(h->xq, h->report_last, now);
}

static void fake_deactivate(void *be, void *hwq, hs_ns now)
{
	(void)be;
	struct fake_hwq *h = hwq;
	h->deactivates++;
	h->stopped = 1;
	report(h, now);
}

static void fake_relaunch(struct fake_hwq *h, struct xcmd *log)
{
	h->stopped = 0;
	for (struct xcmd *c = log; c; c = c->next) {
		ck_assert_uint_lt(h->nlaunched, FAKE_MAX_LOG);
		h->launched[h->nlaunched++] = c;
		h->relaunched++;
	}
}

static void fake_reactivate(void *be, void *hwq, struct xcmd *log, hs_ns now)
{
	(void)be; (void)now;
	struct fake_hwq *h = hwq;
	h->reactivates++;
	fake_relaunch(h, log);
}

static void fake_interrupt(void *be, void *hwq, hs_ns now)
{
	(void)be;
	struct fake_hwq *h = hwq;
	h->interrupts++;
	h->stopped = 1;
	report(h, now);
}

static void fake_restore(void *be, void *hwq, struct xcmd *log, hs_ns now)
{
	(void)be; (void)now;
	struct fake_hwq *h = hwq;
	h->restores++;
	fake_relaunch(h, log);
}

const struct backend_ops fake_backend_ops = {
	.name = "fake",
	.max_level = fake_max_level,
	.launch = fake_launch,
	.sync = fake_sync,
	.deactivate = fake_deactivate,
	.reactivate = fake_reactivate,
	.interrupt = fake_interrupt,
	.restore = fake_restore,
};

const struct backend_ops fake_backend_ops_l1only = {
	.name = "fake-l1",
	.launch = fake_launch,
};

static unsigned fake_max3(void *be, void *hwq)
{
	(void)be; (void)hwq;
	return 3;
}

const struct backend_ops fake_backend_ops_cap3 = {
	.name = "fake-cap3",
	.launch = fake_launch,
	.max_inflight = fake_max3,
};

static void env_timer(void *ctx, hs_ns when)
{
	struct fake_env *e = ctx;
	e->timer = when;
	e->timer_calls++;
}

static void env_done(void *ctx, struct xcmd *c, hs_ns now)
{
	struct fake_env *e = ctx;
	ck_assert_uint_lt(e->ndone, FAKE_MAX_LOG);
	e->done[e->ndone++] = c;
	if (e->on_done)
		e->on_done(e, c, now);
}

static void env_preempted(void *ctx, struct xq *q, hs_ns s, hs_ns idle)
{
	(void)q;
	struct fake_env *e = ctx;
	if (e->npreempt < 64) {
		e->preempt_suspend[e->npreempt] = s;
		e->preempt_idle[e->npreempt] = idle;
		e->npreempt++;
	}
}

struct sched_env fake_env_make(struct fake_env *fe, const struct backend_ops *ops)
{
	struct sched_env env = {
		.ops = ops,
		.be = NULL,
		.ctx = fe,
		.timer_set = env_timer,
		.cmd_done = env_done,
		.preempted = env_preempted,
	};
	return env;
}

static void sched_manual(struct sched *s, void *state,
			 const struct sched_status *st)
{
	(void)s; (void)state; (void)st;
}

const struct policy_ops fake_policy_manual = {
	.name = "manual",
	.summary = "tests only: suspend and resume by hand",
	.sched = sched_manual,
};

struct sched *fake_sched(struct fake_env *fe, const char *policy)
{
	return fake_sched_param(fe, policy, NULL, NULL);
}

struct sched *fake_sched_param(struct fake_env *fe, const char *policy, const char *key,
			       const char *val)
{
	if (strcmp(policy, "manual") == 0 && !policy_find("manual"))
		ck_assert_int_eq(policy_register(&fake_policy_manual), 0);
	struct sched_env env = fake_env_make(fe, &fake_backend_ops);
	int err;
	char msg[256];
	struct hs_param p = { key, val };
	struct sched *s = sched_create(&env, policy, key ? &p : NULL, key ? 1 : 0,
				       &err, msg, sizeof(msg));
	ck_assert_msg(s != NULL, "sched_create: %s", msg);
	return s;
}

struct xq *fake_xq(struct sched *s, struct fake_hwq *hwq, int prio, int level,
		   unsigned threshold, unsigned batch)
{
	struct xq_config cfg = {
		.hwq = hwq, .priority = prio, .level = level,
		.threshold = threshold, .batch = batch,
	};
	struct xq *q = NULL;
	if (!hwq->max_level)
		hwq->max_level = 3;
	int e = xq_create(s, &cfg, &q);
	ck_assert_msg(e == 0, "xq_create: %s", hs_strerror(e));
	hwq->xq = q;
	return q;
}

size_t fake_inflight(struct xq *q)
{
	struct xq_stats st;
	xq_get_stats(q, &st);
	return st.inflight;
}
