/*
 * mlfq: multi-level feedback queue. Every queue starts at level 0, the
 * most urgent. The ready queues of the lowest level present run together;
 * the others are suspended. A queue that has held the GPU for its level's
 * allotment — `quantum` (ms, default 2) at level 0, doubled at each level
 * below — moves one level down, down to `levels - 1` (default 3, 1..16).
 * Every `boost` (ms, default 100) all queues go back to level 0, so a
 * demoted queue cannot starve.
 *
 * No priorities needed: a tenant with short requests (an inference
 * service) keeps a small allotment use and stays on top, a tenant that
 * computes without pause (training, batch) sinks. The time a queue held
 * the GPU is measured between policy calls, from the call that let it run;
 * the allotment is used across requests (gaming it by going idle just
 * before the quantum ends does not keep a queue on top).
 */
#include <stdint.h>
#include <stdlib.h>
#include "sched_internal.h"

struct mlfq_q {
	unsigned level;
	hs_ns used_ns;            /* held the GPU at this level */
	int running;              /* let run by the previous call */
};

struct mlfq {
	unsigned levels;
	hs_ns quantum_ns, boost_ns;
	hs_ns last;               /* previous call */
	hs_ns next_boost;
	struct policy_slots q;    /* struct mlfq_q by id */
	struct policy_slots run;
};

static int init_mlfq(const struct hs_param *params, size_t n, void **state,
		     char *err, size_t errlen)
{
	static const char *const known[] = { "levels", "quantum", "boost", NULL };
	unsigned levels = 3;
	double quantum_ms = 2.0, boost_ms = 100.0;
	int e = policy__check_keys("mlfq", params, n, known, err, errlen);
	if (!e)
		e = policy__param_uint(params, n, "levels", 1, 16, &levels, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "quantum", &quantum_ms, err, errlen);
	if (!e)
		e = policy__param_double(params, n, "boost", &boost_ms, err, errlen);
	if (e)
		return e;
	struct mlfq *m = calloc(1, sizeof(*m));
	if (!m)
		return HS_ENOMEM;
	m->levels = levels;
	m->quantum_ns = (hs_ns)(quantum_ms * 1e6);
	m->boost_ns = (hs_ns)(boost_ms * 1e6);
	m->next_boost = m->boost_ns;
	m->q.elem = sizeof(struct mlfq_q);
	m->run.elem = 1;
	*state = m;
	return HS_OK;
}

static hs_ns allotment(const struct mlfq *m, unsigned level)
{
	return m->quantum_ns << level;
}

static void sched_mlfq(struct sched *s, void *state, const struct sched_status *st)
{
	struct mlfq *m = state;
	hs_ns dt = st->now - m->last;
	unsigned top = m->levels;
	m->last = st->now;
	int boost = st->now >= m->next_boost;
	while (st->now >= m->next_boost)
		m->next_boost += m->boost_ns;
	for (size_t i = 0; i < st->n; i++) {
		struct mlfq_q *x = policy__slot(&m->q, st->q[i].id);
		if (!x)
			continue;
		if (x->running) {
			x->used_ns += dt;
			while (x->level + 1 < m->levels &&
			       x->used_ns >= allotment(m, x->level)) {
				x->used_ns -= allotment(m, x->level);
				x->level++;
			}
		}
		if (boost) {
			x->level = 0;
			x->used_ns = 0;
		}
		if (st->q[i].ready && x->level < top)
			top = x->level;
	}
	unsigned char *run = policy__run_buf(&m->run, st->n);
	hs_ns at = INT64_MAX;
	int waiting = 0;
	for (size_t i = 0; i < st->n; i++) {
		struct mlfq_q *x = policy__slot(&m->q, st->q[i].id);
		int on = !x || top == m->levels || x->level == top;
		if (run)
			run[i] = (unsigned char)on;
		if (x)
			x->running = on && st->q[i].ready;
		waiting |= st->q[i].ready && !on;
		/* when a runner's allotment ends it may sink below a waiter */
		if (x && x->running && x->level + 1 < m->levels) {
			hs_ns end = st->now + allotment(m, x->level) - x->used_ns;
			if (end < at)
				at = end;
		}
	}
	policy__apply(s, st, run);
	if (!waiting)
		at = INT64_MAX;         /* nobody to let in: no need to look */
	else if (m->next_boost < at)
		at = m->next_boost;
	sched_timer(s, at == INT64_MAX ? -1 : at);
}

static void fini_mlfq(void *state)
{
	struct mlfq *m = state;
	if (m) {
		policy__slots_release(&m->q);
		policy__slots_release(&m->run);
	}
	free(m);
}

const struct policy_ops policy_mlfq = {
	.name = "mlfq",
	.summary = "multi-level feedback queue: GPU hogs sink, short requests stay on top "
		   "(levels=N, quantum=MS, boost=MS)",
	.init = init_mlfq,
	.sched = sched_mlfq,
	.timer = sched_mlfq,
	.fini = fini_mlfq,
};
