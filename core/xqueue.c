/*
 * The scheduler and its XQueues: progressive launching, preemption levels,
 * policy invocation. See sched.h for the contracts.
 *
 * Invariants (checked by tests/check_core.c):
 *  - a command is in exactly one of: pending list, in-flight log, or handed
 *    back through cmd_done; lists keep submission order;
 *  - at most `threshold` commands in flight (unless passthrough, or the
 *    policy lifted the queue's threshold: sched_bound), and never more
 *    than the backend's max_inflight;
 *  - every `batch`-th launched command and submitter-marked commands carry
 *    XCMD_F_SYNC, so with threshold >= batch a full queue always has a
 *    marker in flight and cannot stall; the tail of a queue that is not
 *    full is marked by the submitter (it waits for it) or, on suspend,
 *    through the backend's sync op.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sched_internal.h"

enum hw_state { HW_ACTIVE, HW_DEACTIVATING, HW_INACTIVE };

struct xq {
	struct sched *s;
	int id;
	void *hwq;
	int priority, level;
	unsigned threshold, batch;
	void *user;

	struct xcmd *pend_head, *pend_tail;
	size_t npend;
	struct xcmd *fl_head, *fl_tail;     /* in-flight log */
	size_t nfl;
	unsigned since_sync;
	uint64_t next_seq;

	int proxy;                          /* xq_config.proxy */
	size_t proxy_pend, proxy_fl;        /* its remote load */
	int suspended;                      /* the policy's wish */
	int unbounded;                      /* threshold lifted (sched_bound) */
	size_t cap;                         /* the backend's max_inflight */
	enum hw_state hw;
	int preempt_pending;                /* measuring suspend -> idle */
	hs_ns suspend_ns;
	int ready;                          /* as last told to the policy */
	hs_ns ready_since_ns;
	hs_ns deadline_ns;
	double weight;
	int group, foreground;
	hs_ns expect_ns;                    /* sum over pending + in flight */

	struct xq_stats st;
};

struct sched {
	struct sched_env env;
	const struct policy_ops *pol;
	void *pstate;
	struct xq **q;                      /* by id; NULL when freed */
	size_t nq, cap;
	struct xq_status *status;
	size_t status_cap;
	int in_policy, resched;
	int why, why_q;                     /* trigger of the current policy call */
	int next_why, next_why_q;           /* a trigger folded into resched */
	hs_ns now;                          /* latest time the policy ran at */
};

/* ---- one-line wrappers around the backend ops (SQLite os.c style) ------- */
static int be_max_level(struct xq *q)
{
	const struct backend_ops *o = q->s->env.ops;
	return o->max_level ? o->max_level(q->s->env.be, q->hwq) : 1;
}

static void be_launch(struct xq *q, struct xcmd *c, hs_ns now)
{
	q->s->env.ops->launch(q->s->env.be, q->hwq, c, now);
}

static void be_stop(struct xq *q, hs_ns now)
{
	const struct backend_ops *o = q->s->env.ops;
	if (q->level == 2)
		o->deactivate(q->s->env.be, q->hwq, now);
	else
		o->interrupt(q->s->env.be, q->hwq, now);
}

static void be_restart(struct xq *q, hs_ns now)
{
	const struct backend_ops *o = q->s->env.ops;
	if (q->level == 2)
		o->reactivate(q->s->env.be, q->hwq, q->fl_head, now);
	else
		o->restore(q->s->env.be, q->hwq, q->fl_head, now);
}

static void env_done(struct sched *s, struct xcmd *c, hs_ns now)
{
	if (s->env.cmd_done)
		s->env.cmd_done(s->env.ctx, c, now);
}

static void env_preempted(struct xq *q, hs_ns now)
{
	if (!q->preempt_pending)
		return;
	q->preempt_pending = 0;
	if (q->s->env.preempted)
		q->s->env.preempted(q->s->env.ctx, q, q->suspend_ns, now);
}

static void env_decided(struct xq *q, int suspended, hs_ns now)
{
	if (q->s->env.decided)
		q->s->env.decided(q->s->env.ctx, q, suspended, now);
}

/* ---- policy invocation -------------------------------------------------- */
static const struct sched_status *build_status(struct sched *s, hs_ns now,
					       struct sched_status *st)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nq; i++) {
		struct xq *q = s->q[i];
		if (!q)
			continue;
		struct xq_status *x = &s->status[n++];
		x->id = q->id;
		x->priority = q->priority;
		x->suspended = q->suspended;
		x->pending = q->proxy ? q->proxy_pend : q->npend;
		x->inflight = q->proxy ? q->proxy_fl : q->nfl;
		x->ready = x->pending + x->inflight > 0;
		x->deadline_ns = q->deadline_ns;
		x->ready_since_ns = q->ready_since_ns;
		x->expect_pending_ns = q->expect_ns;
		x->weight = q->weight;
		x->group = q->group;
		x->foreground = q->foreground;
		x->user = q->user;
	}
	st->now = now;
	st->n = n;
	st->q = s->status;
	return st;
}

/* Calls the policy's sched op; re-entrant calls (a policy action that makes
 * a backend report synchronously) are folded into one more round. */
static void sched__policy(struct sched *s, hs_ns now, int why, int qid)
{
	int timer = why == SCHED_WHY_TIMER;
	if (s->pol->flags & POLICY_F_PASSTHROUGH)
		return;
	if (s->in_policy) {
		s->resched = 1;
		s->next_why = why;
		s->next_why_q = qid;
		return;
	}
	if (now > s->now)
		s->now = now;
	s->in_policy = 1;
	s->next_why = why;
	s->next_why_q = qid;
	do {
		struct sched_status st;
		s->resched = 0;
		s->why = s->next_why;
		s->why_q = s->next_why_q;
		build_status(s, now, &st);
		if (timer && s->pol->timer)
			s->pol->timer(s, s->pstate, &st);
		else
			s->pol->sched(s, s->pstate, &st);
		timer = 0;
	} while (s->resched);
	s->in_policy = 0;
	s->why = SCHED_WHY_NONE;
	s->why_q = -1;
}

/* Tells the policy when q went from idle to ready or back. */
static void xq__readiness(struct xq *q, hs_ns now)
{
	int ready = q->proxy ? q->proxy_pend + q->proxy_fl > 0
			     : q->npend + q->nfl > 0;
	if (ready == q->ready)
		return;
	q->ready = ready;
	if (ready)
		q->ready_since_ns = now;
	sched__policy(q->s, now, ready ? SCHED_WHY_READY : SCHED_WHY_IDLE, q->id);
}

/* ---- progressive launching ---------------------------------------------- */
static void xq__pump(struct xq *q, hs_ns now)
{
	int passthrough = q->s->pol->flags & POLICY_F_PASSTHROUGH;
	size_t limit = passthrough || q->unbounded ? q->cap : q->threshold;
	while (q->pend_head && !q->suspended && q->hw == HW_ACTIVE && q->nfl < limit) {
		struct xcmd *c = q->pend_head;
		q->pend_head = c->next;
		if (!q->pend_head)
			q->pend_tail = NULL;
		q->npend--;
		c->next = NULL;
		if (q->fl_tail)
			q->fl_tail->next = c;
		else
			q->fl_head = c;
		q->fl_tail = c;
		q->nfl++;
		if (q->nfl > q->st.max_inflight)
			q->st.max_inflight = q->nfl;
		if (++q->since_sync >= q->batch || (c->flags & XCMD_F_SYNC)) {
			c->flags |= XCMD_F_SYNC;
			q->since_sync = 0;
		}
		q->st.launched++;
		be_launch(q, c, now);   /* may re-enter; state is consistent */
	}
}

int xq_submit(struct xq *q, struct xcmd *c, hs_ns now)
{
	if (!q || !c || q->proxy)
		return HS_EINVAL;
	c->xq = q;
	c->seq = q->next_seq++;
	c->next = NULL;
	if (q->pend_tail)
		q->pend_tail->next = c;
	else
		q->pend_head = c;
	q->pend_tail = c;
	q->npend++;
	q->expect_ns += c->expect_ns;
	q->st.submitted++;
	/* The policy decides before anything launches, so a queue that should
	 * be suspended never slips commands past it. */
	xq__readiness(q, now);
	xq__pump(q, now);
	return HS_OK;
}

/* Hands back every in-flight command up to seq `last`, in order. */
static void xq__retire(struct xq *q, uint64_t last, hs_ns now)
{
	if (!q->fl_head || last < q->fl_head->seq)
		return;         /* already reported */
	assert(last <= q->fl_tail->seq);
	while (q->fl_head && q->fl_head->seq <= last) {
		struct xcmd *c = q->fl_head;
		q->fl_head = c->next;
		if (!q->fl_head)
			q->fl_tail = NULL;
		q->nfl--;
		q->expect_ns -= c->expect_ns;
		q->st.completed++;
		c->next = NULL;
		env_done(q->s, c, now);  /* may submit more to q */
	}
}

/* Puts a stopped (level 2/3) queue back to work, relaunching its log. */
static void xq__restart(struct xq *q, hs_ns now)
{
	q->hw = HW_ACTIVE;
	if (q->nfl) {
		q->st.relaunched += q->nfl;
		be_restart(q, now);
	}
}

void xq_complete(struct xq *q, struct xcmd *upto, hs_ns now)
{
	assert(upto && upto->xq == q);
	xq__retire(q, upto->seq, now);
	if (q->suspended && q->nfl == 0 && q->level == 1)
		env_preempted(q, now);
	xq__pump(q, now);
	xq__readiness(q, now);
}

void xq_deactivated(struct xq *q, struct xcmd *last_done, hs_ns now)
{
	assert(q->hw == HW_DEACTIVATING);
	q->hw = HW_INACTIVE;
	if (last_done)
		xq__retire(q, last_done->seq, now);
	env_preempted(q, now);
	/* Resumed while the stop was under way (restart now), or nothing left
	 * to relaunch (the hardware queue is simply idle). A cmd_done above
	 * may already have resumed and restarted it. */
	if (q->hw == HW_INACTIVE && (!q->suspended || q->nfl == 0))
		xq__restart(q, now);
	xq__pump(q, now);
	xq__readiness(q, now);
}

/* ---- policy actions ------------------------------------------------------- */
static struct xq *lookup(struct sched *s, int id)
{
	if (id < 0 || (size_t)id >= s->nq)
		return NULL;
	return s->q[id];
}

int sched_suspend(struct sched *s, int id, hs_ns now)
{
	struct xq *q = lookup(s, id);
	if (!q)
		return HS_EINVAL;
	if (q->suspended)
		return HS_OK;
	q->suspended = 1;
	q->suspend_ns = now;
	q->st.suspends++;
	env_decided(q, 1, now);
	if (q->nfl == 0)
		return HS_OK;
	q->preempt_pending = 1;
	if (q->level == 1)
		xq_sync_tail(q, now);
	if (q->level >= 2 && q->hw == HW_ACTIVE) {
		q->hw = HW_DEACTIVATING;
		be_stop(q, now);  /* may call xq_deactivated() synchronously */
	}
	return HS_OK;
}

void xq_sync_tail(struct xq *q, hs_ns now)
{
	if (!q->fl_tail || (q->fl_tail->flags & XCMD_F_SYNC) || !q->s->env.ops->sync)
		return;
	q->fl_tail->flags |= XCMD_F_SYNC;
	q->s->env.ops->sync(q->s->env.be, q->hwq, q->fl_tail, now);
}

int sched_resume(struct sched *s, int id, hs_ns now)
{
	struct xq *q = lookup(s, id);
	if (!q)
		return HS_EINVAL;
	if (!q->suspended)
		return HS_OK;
	q->suspended = 0;
	q->preempt_pending = 0;   /* resumed before it drained: no sample */
	q->st.resumes++;
	env_decided(q, 0, now);
	if (q->hw == HW_INACTIVE)
		xq__restart(q, now);
	/* HW_DEACTIVATING: xq_deactivated() restarts the queue. */
	xq__pump(q, now);
	return HS_OK;
}

int sched_bound(struct sched *s, int id, int bounded, hs_ns now)
{
	struct xq *q = lookup(s, id);
	if (!q)
		return HS_EINVAL;
	int lift = !bounded && !q->proxy;
	if (lift == q->unbounded)
		return HS_OK;
	q->unbounded = lift;
	if (lift)
		xq__pump(q, now);     /* what the threshold held goes now */
	return HS_OK;
}

void sched_timer(struct sched *s, hs_ns when)
{
	if (s->env.timer_set)
		s->env.timer_set(s->env.ctx, when);
}

void sched_on_timer(struct sched *s, hs_ns now)
{
	if (s->pol->timer)
		sched__policy(s, now, SCHED_WHY_TIMER, -1);
}

int sched_why(const struct sched *s, int *qid)
{
	if (qid)
		*qid = s->in_policy ? s->why_q : -1;
	return s->in_policy ? s->why : SCHED_WHY_NONE;
}

const char *sched_why_name(int why)
{
	static const char *const names[] = {
		[SCHED_WHY_NONE] = "driver", [SCHED_WHY_READY] = "ready",
		[SCHED_WHY_IDLE] = "idle", [SCHED_WHY_TIMER] = "timer",
		[SCHED_WHY_HINT] = "hint", [SCHED_WHY_QUEUES] = "queues",
	};
	return why >= 0 && why < (int)(sizeof(names) / sizeof(names[0])) &&
		names[why] ? names[why] : "?";
}

/* ---- creation ------------------------------------------------------------- */
struct sched *sched_create(const struct sched_env *env, const char *policy,
			   const struct hs_param *params, size_t nparams,
			   int *err, char *errbuf, size_t errlen)
{
	int e = HS_EINVAL;
	struct sched *s = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!env || !env->ops || !env->ops->launch)
		goto fail;
	const struct policy_ops *pol = policy_find(policy ? policy : "native");
	if (!pol) {
		e = policy_unknown(policy, errbuf, errlen);
		goto fail;
	}
	e = HS_ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->env = *env;
	s->pol = pol;
	if (pol->init) {
		e = pol->init(params, nparams, &s->pstate, errbuf, errlen);
		if (e)
			goto fail;
	} else if (nparams) {
		if (errbuf)
			snprintf(errbuf, errlen, "policy '%s' takes no parameter '%s'",
				 pol->name, params[0].key);
		e = HS_EPARAM;
		goto fail;
	}
	if (err)
		*err = HS_OK;
	return s;
fail:
	free(s);
	if (err)
		*err = e;
	if (errbuf && errlen && !errbuf[0])
		snprintf(errbuf, errlen, "%s", hs_strerror(e));
	return NULL;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nq; i++)
		free(s->q[i]);
	if (s->pol->fini)
		s->pol->fini(s->pstate);
	free(s->q);
	free(s->status);
	free(s);
}

const struct policy_ops *sched_policy(const struct sched *s)
{
	return s->pol;
}

int xq_create(struct sched *s, const struct xq_config *cfg, struct xq **out)
{
	unsigned thr = cfg->threshold ? cfg->threshold : XQ_DEFAULT_THRESHOLD;
	unsigned batch = cfg->batch ? cfg->batch : XQ_DEFAULT_BATCH;
	if (!s || !cfg || !out || thr < batch || cfg->level < 1 || cfg->level > 3)
		return HS_EINVAL;
	struct xq probe = { .s = s, .hwq = cfg->hwq };
	int max = cfg->proxy ? 3 : be_max_level(&probe);
	const struct backend_ops *o = s->env.ops;
	int missing = (cfg->level == 2 && (!o->deactivate || !o->reactivate)) ||
		      (cfg->level == 3 && (!o->interrupt || !o->restore));
	if (cfg->level > max || (!cfg->proxy && missing))
		return HS_ELEVEL;
	if (s->nq == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct xq **nq = realloc(s->q, nc * sizeof(*nq));
		if (!nq)
			return HS_ENOMEM;
		s->q = nq;
		struct xq_status *ns = realloc(s->status, nc * sizeof(*ns));
		if (!ns)
			return HS_ENOMEM;
		s->status = ns;
		s->cap = nc;
	}
	struct xq *q = calloc(1, sizeof(*q));
	if (!q)
		return HS_ENOMEM;
	q->s = s;
	q->id = (int)s->nq;
	q->hwq = cfg->hwq;
	q->priority = cfg->priority;
	q->level = cfg->level;
	unsigned cap = !cfg->proxy && o->max_inflight ?
		o->max_inflight(s->env.be, cfg->hwq) : 0;
	q->cap = cap ? cap : SIZE_MAX;
	if (thr > q->cap)               /* the backend's limit always holds */
		thr = (unsigned)q->cap;
	q->threshold = thr;
	q->batch = batch < thr ? batch : thr;
	q->user = cfg->user;
	q->proxy = cfg->proxy;
	q->deadline_ns = INT64_MAX;
	q->weight = cfg->weight > 0 ? cfg->weight : 1.0;
	q->group = cfg->group;
	q->foreground = cfg->foreground != 0;
	s->q[s->nq++] = q;
	*out = q;
	sched__policy(s, s->now, SCHED_WHY_QUEUES, q->id);
	return HS_OK;
}

int xq_free(struct xq *q)
{
	if (!q)
		return HS_OK;
	if (q->npend || q->nfl || q->hw == HW_DEACTIVATING)
		return HS_EBUSY;
	struct sched *s = q->s;
	s->q[q->id] = NULL;
	int id = q->id;
	free(q);
	sched__policy(s, s->now, SCHED_WHY_QUEUES, id);
	return HS_OK;
}

int xq_set_proxy_load(struct xq *q, size_t pending, size_t inflight, hs_ns now)
{
	if (!q || !q->proxy)
		return HS_EINVAL;
	q->proxy_pend = pending;
	q->proxy_fl = inflight;
	xq__readiness(q, now);
	return HS_OK;
}

/* ---- hints and introspection ---------------------------------------------- */
void xq_set_priority(struct xq *q, int priority, hs_ns now)
{
	q->priority = priority;
	sched__policy(q->s, now, SCHED_WHY_HINT, q->id);
}

void xq_set_deadline(struct xq *q, hs_ns deadline_ns, hs_ns now)
{
	q->deadline_ns = deadline_ns;
	sched__policy(q->s, now, SCHED_WHY_HINT, q->id);
}

void xq_set_weight(struct xq *q, double weight, hs_ns now)
{
	q->weight = weight > 0 ? weight : 1.0;
	sched__policy(q->s, now, SCHED_WHY_HINT, q->id);
}

void xq_set_foreground(struct xq *q, int foreground, hs_ns now)
{
	q->foreground = foreground != 0;
	sched__policy(q->s, now, SCHED_WHY_HINT, q->id);
}

void xq_get_stats(const struct xq *q, struct xq_stats *st)
{
	*st = q->st;
	st->pending = q->npend;
	st->inflight = q->nfl;
	st->suspended = q->suspended;
	st->hw_active = q->hw == HW_ACTIVE;
}

int xq_id(const struct xq *q) { return q->id; }
void *xq_user(const struct xq *q) { return q->user; }
int xq_level(const struct xq *q) { return q->level; }
