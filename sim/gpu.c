/*
 * The GPU device model (sim/MODEL.md) and the simulator's backend ops.
 *
 * A kernel is a fluid needing `work = dur_ns * width` unit-ns, width =
 * min(blocks, units); it progresses at `alloc` unit-ns per ns, alloc being
 * the units it holds. Units are handed out on every change (a command
 * starting or ending, a queue becoming ready, a context switch), in order of
 * hardware stream priority, then of when the command became its queue's
 * head; a head still in its launch latency is dispatched early when it
 * would get all it needs (see "early dispatch" below). A running kernel keeps its units until it ends (no hardware
 * preemption) and may grow when units free up. Contexts (processes) time
 * slice unless the profile shares them.
 *
 * Nothing here calls into the core synchronously from a backend op: every
 * report (xq_complete, xq_deactivated) comes from an event.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include "sim_internal.h"

/* ---- what dispatch visits ------------------------------------------------- */
int sim__gpu_setup(struct sim *s)
{
	int nw = (s->nhwq + 63) >> 6, total = 0;
	s->ctxq = calloc((size_t)s->nctx, sizeof(*s->ctxq));
	s->touched = calloc((size_t)nw + 1, sizeof(*s->touched));
	s->later = calloc((size_t)s->nhwq + 1, sizeof(*s->later));
	s->pre = calloc((size_t)s->nhwq + 1, sizeof(*s->pre));
	if (!s->ctxq || !s->touched || !s->later || !s->pre)
		return HS_ENOMEM;
	for (int c = 0; c < s->nctx; c++)
		s->ctxq[c].w0 = -1;
	for (int i = 0; i < s->nhwq; i++) {
		struct sim_ctxq *q = &s->ctxq[s->hwqs[i]->ctx];
		int w = i >> 6;
		if (q->w0 < 0)
			q->w0 = w;
		q->nw = w - q->w0 + 1;
	}
	for (int c = 0; c < s->nctx; c++)
		total += s->ctxq[c].nw;
	s->ctxbits = calloc((size_t)total + 1, sizeof(*s->ctxbits));
	if (!s->ctxbits)
		return HS_ENOMEM;
	total = 0;
	for (int c = 0; c < s->nctx; c++) {
		s->ctxq[c].bits = s->ctxbits + total;
		total += s->ctxq[c].nw;
	}
	return HS_OK;
}

void sim__gpu_release(struct sim *s)
{
	free(s->ctxq);
	free(s->ctxbits);
	free(s->touched);
	free(s->later);
	free(s->pre);
	s->ctxq = NULL;
	s->ctxbits = s->touched = NULL;
	s->later = NULL;
	s->pre = NULL;
	s->npre = 0;
}

static inline void touch(struct sim_hwq *h)
{
	h->sim->touched[h->idx >> 6] |= 1ull << (h->idx & 63);
}

/* h->cur = c, keeping the context's bitmap in step. */
static inline void set_cur(struct sim_hwq *h, struct sim_cmd *c)
{
	struct sim_ctxq *q = &h->sim->ctxq[h->ctx];
	uint64_t bit = 1ull << (h->idx & 63);
	uint64_t *w = &q->bits[(h->idx >> 6) - q->w0];
	if (c && !h->cur) {
		*w |= bit;
		q->ncur++;
		h->sim->ncur++;
	} else if (!c && h->cur) {
		*w &= ~bit;
		q->ncur--;
		h->sim->ncur--;
	}
	h->cur = c;
	touch(h);
}

/* Visits, in idx order, the queues of context `ctx` with a current
 * command. */
#define FOR_CTX(s, ctx, h)                                                   \
	for (struct sim_ctxq *q_ = &(s)->ctxq[ctx]; q_; q_ = NULL)           \
		for (int w_ = 0; w_ < q_->nw; w_++)                          \
			for (uint64_t m_ = q_->bits[w_]; m_; m_ &= m_ - 1)   \
				if (((h) = (s)->hwqs[((q_->w0 + w_) << 6) +   \
						     __builtin_ctzll(m_)]), 1)

static inline struct sim_cmd *cmd_of(struct xcmd *x)
{
	return x->payload;
}

static inline hs_ns clip_add(hs_ns from, hs_ns to, hs_ns d)
{
	if (from < 0)
		from = 0;
	if (to > d)
		to = d;
	return to > from ? to - from : 0;
}

static inline void busy_at(struct sim *s, struct sim_tenant *t, int delta,
			   hs_ns now)
{
	if (s->nbusy > 0)
		s->busy_ns += clip_add(s->busy_since, now, s->duration_ns);
	s->busy_since = now;
	s->nbusy += delta;
	if (!t)
		return;
	if (t->nbusy > 0)
		t->busy_ns += clip_add(t->busy_since, now, s->duration_ns);
	t->busy_since = now;
	t->nbusy += delta;
}

/* ---- early dispatch ---------------------------------------------------------
 * A head that is not visible yet (ready_ns > now: its launch latency, or
 * a relaunch's, has not passed) is dispatched at once when it would get
 * what it needs then: a command without units, or a kernel its full width
 * out of the units left after every visible candidate (sim/MODEL.md,
 * "Handing out units"). It starts at ready_ns: its progress, start_ns and
 * end count from then, and so does its busy time (pending in s->pre until
 * the first busy change at or after ready_ns). Any dispatch, context
 * switch, deactivation or interrupt before ready_ns undoes it first
 * (pre_revise, pre_settle) and decides again with the state of that time,
 * so a dispatch at ready_ns (the queue's wake, before this) would have
 * decided the same: the wake event is saved. Only the order within the
 * nanosecond of ready_ns can differ (MODEL.md). */

/* Counts the pending early starts at or before `now` busy from their
 * ready_ns, in time order. */
static __attribute__((noinline)) void pre_confirm(struct sim *s, hs_ns now)
{
	for (;;) {
		int k = -1;
		for (int i = 0; i < s->npre; i++)
			if (s->pre[i]->ready_ns <= now &&
			    (k < 0 || s->pre[i]->ready_ns < s->pre[k]->ready_ns))
				k = i;
		if (k < 0)
			return;
		struct sim_cmd *c = s->pre[k];
		s->pre[k] = s->pre[--s->npre];
		c->pre = 0;
		busy_at(s, c->t, +1, c->ready_ns);
	}
}

/* The first test inlined: one early start pending, visible by now, is
 * the common case (a host-bound queue's kernel, at its end). */
static inline void busy(struct sim *s, struct sim_tenant *t, int delta, hs_ns now)
{
	if (s->npre) {
		struct sim_cmd *c = s->pre[0];
		if (s->npre == 1 && c->ready_ns <= now) {
			s->npre = 0;
			c->pre = 0;
			busy_at(s, c->t, +1, c->ready_ns);
		} else {
			pre_confirm(s, now);
		}
	}
	busy_at(s, t, delta, now);
}

void sim__busy(struct sim *s, struct sim_tenant *t, int delta, hs_ns now)
{
	busy(s, t, delta, now);
}

static void ev_end(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now);

/* Gives queue h's head c, not visible yet, what it needs from ready_ns:
 * `units` units (0 for a command without units). */
static void pre_start(struct sim *s, struct sim_cmd *c, int units)
{
	hs_ns at = c->ready_ns;
	c->state = SC_RUNNING;
	if (!c->started)
		c->start_ns = at;
	c->last_ns = at;
	c->alloc = units;
	s->used += units;
	hs_ns d = units ? (c->work + units - 1) / units : c->work;
	c->end_ev = sim__at(s, at + d, ev_end, c, 0);
	c->pre = 1;
	s->pre[s->npre++] = c;
}

/* Undoes c's early start (still not visible): it holds nothing and waits
 * to be dispatched again. */
static void pre_undo(struct sim *s, struct sim_cmd *c)
{
	for (int i = 0; i < s->npre; i++)
		if (s->pre[i] == c) {
			s->pre[i] = s->pre[--s->npre];
			break;
		}
	c->pre = 0;
	s->used -= c->alloc;
	c->alloc = 0;
	c->state = SC_QUEUED;
	if (!c->started)
		c->start_ns = -1;
	sim_event_cancel(s->eng, c->end_ev);
	c->end_ev = 0;
	touch(c->hwq);
}

/* Before anything acts on the device at `now`: the early starts not
 * visible yet are undone, the others counted started. */
static __attribute__((noinline)) void pre_revise(struct sim *s, hs_ns now)
{
	for (int i = s->npre; i-- > 0;)
		if (i < s->npre && s->pre[i]->ready_ns > now)
			pre_undo(s, s->pre[i]);
	pre_confirm(s, now);
}

/* The same for one command (the head of a queue being stopped). */
static inline void pre_settle(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	if (!c || !c->pre)
		return;
	if (c->ready_ns > now)
		pre_undo(s, c);
	else
		pre_confirm(s, now);
}

/* Brings a kernel's remaining work up to `now`. */
static void account(struct sim_cmd *c, hs_ns now)
{
	assert(now >= c->last_ns);       /* an early start was settled first */
	if (c->alloc && !c->frozen) {
		c->work -= (int64_t)c->alloc * (now - c->last_ns);
		if (c->work < 0)
			c->work = 0;
	}
	c->last_ns = now;
}

/* (Re)schedules a running kernel's end from its work and units. */
static void resched_end(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	sim_event_cancel(s->eng, c->end_ev);
	c->end_ev = 0;
	if (c->alloc > 0 && !c->frozen) {
		hs_ns d = (c->work + c->alloc - 1) / c->alloc;
		c->end_ev = sim__at(s, now + d, ev_end, c, 0);
	}
}

/* Takes a kernel's units away, keeping its progress. */
static void take_units(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	account(c, now);
	if (c->alloc) {
		s->used -= c->alloc;
		busy(s, c->t, -1, now);
	}
	c->alloc = 0;
	sim_event_cancel(s->eng, c->end_ev);
	c->end_ev = 0;
	sim_event_cancel(s->eng, c->yield_ev);
	c->yield_ev = 0;
}

static void ev_wake(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_hwq *h = obj;
	h->wake_ev = 0;
	touch(h);
	h->sim->dirty = 1;
}

/* Dispatch again when the queue's head becomes visible at `when`. */
static inline void arm_wake(struct sim_hwq *h, hs_ns when)
{
	if (h->wake_ev && h->wake_ns == when)
		return;
	sim_event_cancel(h->sim->eng, h->wake_ev);
	h->wake_ev = sim__at(h->sim, when, ev_wake, h, 0);
	h->wake_ns = when;
}

static void append(struct sim_hwq *h, struct sim_cmd *c, hs_ns ready,
		   hs_ns now)
{
	c->hwq = h;
	c->hnext = NULL;
	c->state = SC_QUEUED;
	c->ready_ns = ready;
	if (!c->started)
		c->work = c->full_work;
	if (h->tail)
		h->tail->hnext = c;
	else
		h->head = c;
	h->tail = c;
	if (h->cur)
		return;            /* behind others: picked up at their end */
	set_cur(h, c);
	c->elig_ns = now;
	h->sim->dirty = 1;       /* started early or woken: dispatch decides */
}

/* ---- deactivation (levels 2 and 3) ---------------------------------------- */
static void finalize_deact(struct sim_hwq *h, hs_ns now)
{
	struct sim *s = h->sim;
	struct sim_cmd *c = h->cur;
	if (c && c->frozen) {            /* level 3: the kernel's state is saved */
		take_units(s, c, now);   /* while frozen: no progress counted */
		c->frozen = 0;
		c->state = SC_QUEUED;
		c->started = 1;
	}
	struct sim_cmd *last = NULL;
	for (struct sim_cmd *p = h->head; p; p = p->hnext)
		if (p->state == SC_DONE) {
			sim_event_cancel(s->eng, p->notify_ev);
			p->notify_ev = 0;
			last = p;
		}
	h->head = h->tail = NULL;
	set_cur(h, NULL);
	h->deact = 0;
	h->deact_wait = 0;
	sim_event_cancel(s->eng, h->wake_ev);
	h->wake_ev = 0;
	s->dirty = 1;
	xq_deactivated(h->q, last ? &last->x : NULL, now);
}

static void ev_deact(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_hwq *h = obj;
	h->deact_ev = 0;
	struct sim_cmd *c = h->cur;
	if (c && c->state == SC_RUNNING && !c->frozen) {
		h->deact_wait = 1;       /* let the running command finish */
		return;
	}
	finalize_deact(h, now);
}

/* ---- command ends ---------------------------------------------------------- */
static void ev_notify(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_cmd *c = obj;
	struct sim_hwq *h = c->hwq;
	c->notify_ev = 0;
	/* Everything up to c is done: the core is told, and lets go of it. */
	struct sim_cmd *p = h->head;
	while (p != c) {
		assert(p && p->state == SC_DONE);
		/* an earlier marker's report is covered by this one */
		sim_event_cancel(h->sim->eng, p->notify_ev);
		p->notify_ev = 0;
		p = p->hnext;
	}
	h->head = c->hnext;
	if (!h->head)
		h->tail = NULL;
	xq_complete(h->q, &c->x, now);
}

static void ev_end(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_cmd *c = obj;
	struct sim_hwq *h = c->hwq;
	struct sim *s = h->sim;
	c->end_ev = 0;
	if (c->is_kernel) {
		sim_event_cancel(s->eng, c->yield_ev);
		c->yield_ev = 0;
		s->used -= c->alloc;
		c->alloc = 0;
		s->kernels++;
		if (now < s->duration_ns)
			s->res->t[c->t->idx].kernels++;
	}
	busy(s, c->t, -1, now);
	c->state = SC_DONE;
	c->work = 0;
	c->started = 0;
	sim__emit_cmd(s, c, now);
	set_cur(h, c->hnext);
	if (h->cur)
		h->cur->elig_ns = now;
	if (c->x.flags & XCMD_F_SYNC)
		c->notify_ev = sim__at(s, now + s->dev.sync_ns, ev_notify, c, 0);
	if (h->deact && h->deact_wait)
		finalize_deact(h, now);
	s->dirty = 1;
}

/* ---- contexts --------------------------------------------------------------- */
static void ev_switched(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim *s = obj;
	s->switch_ev = 0;
	s->switching = 0;
	s->slice_start = now;
	s->dirty = 1;
}

static void start_switch(struct sim *s, int next, hs_ns now)
{
	struct sim_hwq *h;
	if (s->npre)
		pre_revise(s, now);
	FOR_CTX(s, s->active_ctx, h) {
		struct sim_cmd *c = h->cur;
		if (h->ctx != s->active_ctx || !c || !c->is_kernel ||
		    c->state != SC_RUNNING || c->frozen)
			continue;
		account(c, now);
		if (c->alloc && !c->work)
			continue;      /* ends now: its end event is due */
		take_units(s, c, now);
	}
	sim_event_cancel(s->eng, s->slice_ev);
	s->slice_ev = 0;
	s->active_ctx = next;
	s->idle = 0;
	s->switching = 1;
	s->switch_ev = sim__at(s, now + s->dev.ctx_switch_ns, ev_switched, s, 0);
}

/* 1 if queue h's current command c is kernel work that could run now. */
static inline int kernel_demand(const struct sim_hwq *h, const struct sim_cmd *c,
				hs_ns now)
{
	return c->is_kernel && !c->frozen &&
		(c->state == SC_RUNNING ||
		 (h->active && c->state == SC_QUEUED && c->ready_ns <= now));
}

/* 1 if context ctx has kernel work that could run now. */
static int ctx_demand(struct sim *s, int ctx, hs_ns now)
{
	struct sim_hwq *h;
	if (!s->ctxq[ctx].ncur)
		return 0;
	FOR_CTX(s, ctx, h)
		if (kernel_demand(h, h->cur, now))
			return 1;
	return 0;
}

static int next_ctx_scan(struct sim *s, hs_ns now);

/* The next context after the active one with demand, or -1. The first
 * test, inlined, answers most calls (one per dispatch). */
static inline int next_ctx(struct sim *s, hs_ns now)
{
	if (s->ncur == s->ctxq[s->active_ctx].ncur)
		return -1;        /* no other context has a current command */
	return next_ctx_scan(s, now);
}

static __attribute__((noinline)) int next_ctx_scan(struct sim *s, hs_ns now)
{
	int c = s->active_ctx;
	for (int k = 1; k < s->nctx; k++) {
		if (++c == s->nctx)
			c = 0;
		if (ctx_demand(s, c, now))
			return c;
	}
	return -1;
}

/* When the active context's slice ends: rolling_slices, the first slice
 * boundary from slice_start at or after now (at least one slice in);
 * otherwise one slice after slice_start, which may have passed. */
static hs_ns slice_end(const struct sim *s, hs_ns now)
{
	hs_ns T = s->dev.timeslice_ns, end = s->slice_start + T;
	if (s->dev.rolling_slices && end < now)
		end += (now - end + T - 1) / T * T;
	return end;
}

static void ev_slice(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now);

/* (Re)arms slice_ev at `at` unless it already fires no later. */
static void arm_slice(struct sim *s, hs_ns at)
{
	if (s->slice_ev) {
		if (s->slice_at <= at)
			return;
		sim_event_cancel(s->eng, s->slice_ev);
	}
	s->slice_at = at;
	s->slice_ev = sim__at(s, at, ev_slice, s, 0);
}

/* The end of a slice, or of an idle active context's hold (ctx_hold_ns). */
static void ev_slice(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim *s = obj;
	s->slice_ev = 0;
	s->dirty = 1;
	int n = next_ctx(s, now);
	if (n < 0) {
		s->slice_start = now;
		return;
	}
	if (s->dev.ctx_hold_ns)
		return;     /* a slice's or a hold's end: dispatch decides */
	start_switch(s, n, now);
}

/* ---- dispatch ------------------------------------------------------------------ */

static void start_other(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	c->state = SC_RUNNING;
	c->start_ns = now;
	c->last_ns = now;
	busy(s, c->t, +1, now);
	c->end_ev = sim__at(s, now + c->work, ev_end, c, 0);
}

/* A kernel of several waves reached a block boundary while a kernel of
 * higher stream priority waits: it gives its units back, and dispatch hands
 * them out again in priority order (it keeps what is left). */
static void ev_yield(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_cmd *c = obj;
	c->yield_ev = 0;
	if (c->state != SC_RUNNING || !c->alloc || c->frozen)
		return;
	take_units(c->hwq->sim, c, now);
	c->hwq->sim->dirty = 1;
}

/* Stream priority orders block dispatch: running kernels of priority below
 * `prio` that have more than one wave left give their units back at the
 * end of their current wave. A kernel in its last wave keeps its units. */
static void arm_yields(struct sim *s, int prio, hs_ns now)
{
	struct sim_hwq *h;
	FOR_CTX(s, s->active_ctx, h) {
		struct sim_cmd *k = h->cur;
		if (h->prio >= prio || !k || !k->is_kernel || k->state != SC_RUNNING ||
		    k->frozen || !k->alloc || !k->wave_work || k->yield_ev ||
		    h->ctx != s->active_ctx)
			continue;
		account(k, now);
		if (k->work <= k->wave_work)
			continue;                       /* last wave */
		int64_t left = k->work % k->wave_work;   /* of the current wave */
		hs_ns delay = (left + k->alloc - 1) / k->alloc;
		k->yield_ev = sim__at(s, now + delay, ev_yield, k, 0);
	}
}

static inline hs_ns elig(const struct sim_cmd *c)
{
	return c->elig_ns > c->ready_ns ? c->elig_ns : c->ready_ns;
}

/* 1 if queue a's head gets units before queue b's. */
static inline int first(const struct sim_hwq *a, const struct sim_hwq *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio;
	hs_ns ea = elig(a->cur), eb = elig(b->cur);
	if (ea != eb)
		return ea < eb;
	return a->idx < b->idx;
}

/* 1 if queue a's head, not visible yet, would be dispatched before b's:
 * the one visible first (its wake fired first), then as first(). */
static inline int first_later(const struct sim_hwq *a, const struct sim_hwq *b)
{
	if (a->cur->ready_ns != b->cur->ready_ns)
		return a->cur->ready_ns < b->cur->ready_ns;
	return first(a, b);
}

/* The heads not visible yet that dispatch met (later[0..nl)), once the
 * visible candidates have their units and `free_units` are left for the
 * active context's kernels (0 when the dispatch switched contexts or held
 * the device idle): each starts early, in the order the wakes' dispatches would have
 * started them, if it gets all it needs; from the first kernel that would
 * not, every kernel waits for its wake as before (its share depends on
 * what happens until then). A command without units always starts early. */
static inline void dispatch_later(struct sim *s, int nl, int free_units, hs_ns now)
{
	struct sim_hwq **l = s->later;
	for (int i = 1; i < nl; i++) {
		struct sim_hwq *x = l[i];
		int j = i;
		while (j > 0 && first_later(x, l[j - 1])) {
			l[j] = l[j - 1];
			j--;
		}
		l[j] = x;
	}
	int kernels = 0, wait = 0;
	for (int i = 0; i < nl; i++) {
		struct sim_hwq *h = l[i];
		struct sim_cmd *c = h->cur;
		int need = 0;
		if (c->is_kernel) {
			/* another context's kernel gets no units: it does not
			 * change what the active context's get */
			int other = h->ctx != s->active_ctx || s->switching;
			need = c->width;
			if (other || wait || need > free_units || !c->work) {
				wait |= !other;
				arm_wake(h, c->ready_ns);
				touch(h);        /* visited until its head shows */
				continue;
			}
			free_units -= need;
			kernels++;
		}
		if (h->wake_ev) {
			sim_event_cancel(s->eng, h->wake_ev);
			h->wake_ev = 0;
		}
		pre_start(s, c, need);
	}
	/* the wake's dispatch would have found the context's kernel work */
	if (kernels && s->dev.ctx_hold_ns)
		s->idle = 0;
}

void sim__dispatch(struct sim *s, hs_ns now)
{
	s->dirty = 0;
	/* no queue has a current command: nothing to start, grow or switch
	 * to (a queue touched meanwhile is visited at the next dispatch, and
	 * has no command until set_cur touches it again) */
	if (!s->ncur)
		return;
	if (s->npre)
		pre_revise(s, now);
	int nc = 0, nl = 0;
	int left = 0;      /* units for the heads not visible yet (below) */
	/* The queues a scan of all would act on: those touched since the
	 * last dispatch, and the active context's (candidates for units).
	 * Not switching, the scan visits every queue of the active context
	 * with a current command, so it also finds whether that context has
	 * kernel work (ctx_demand's test, kernel_demand) */
	const struct sim_ctxq *aq = &s->ctxq[s->active_ctx];
	int demand = 0;
	for (int w = 0, nw = (s->nhwq + 63) >> 6; w < nw; w++) {
	uint64_t m = s->touched[w];
	s->touched[w] = 0;
	if (!s->switching && w >= aq->w0 && w < aq->w0 + aq->nw)
		m |= aq->bits[w - aq->w0];
	for (; m; m &= m - 1) {
		struct sim_hwq *h = s->hwqs[(w << 6) + __builtin_ctzll(m)];
		struct sim_cmd *c = h->cur;
		if (!c)
			continue;
		if (h->ctx == s->active_ctx && kernel_demand(h, c, now))
			demand = 1;
		if (c->state == SC_QUEUED) {
			if (!h->active)
				continue;
			if (c->ready_ns > now) {
				/* started early at the end, or woken */
				s->later[nl++] = h;
				continue;
			}
			if (!c->is_kernel) {
				start_other(s, c, now);
				continue;
			}
		} else if (!c->is_kernel || c->frozen || c->alloc >= c->width) {
			continue;
		}
		if (h->ctx == s->active_ctx && !s->switching)
			s->cand[nc++] = h;
	}
	}
	if (s->nctx > 1 && !s->switching) {
		if (!demand) {
			int n = next_ctx(s, now);
			if (n < 0)
				goto rest;       /* nc == 0: no kernel work */
			/* ctx_hold_ns: an idle context keeps the device while its
			 * host goes on launching (past its slice's end), until
			 * the hold ends or the host waits */
			if (s->dev.ctx_hold_ns && sim__host_launching(s, s->active_ctx)) {
				if (!s->idle) {
					s->idle = 1;
					s->idle_since = now;
				}
				hs_ns hold = s->idle_since + s->dev.ctx_hold_ns;
				if (hold > now) {
					arm_slice(s, hold);
					goto out;
				}
			}
			start_switch(s, n, now);
			goto out;
		}
		int n;
		if (s->dev.ctx_hold_ns) {
			s->idle = 0;
			if ((n = next_ctx(s, now)) >= 0) {
				hs_ns at = slice_end(s, now);
				if (at <= now) {
					start_switch(s, n, now);
					goto out;
				}
				arm_slice(s, at);
			}
		} else if (!s->slice_ev && next_ctx(s, now) >= 0) {
			hs_ns at = slice_end(s, now);
			arm_slice(s, at > now ? at : now);
		}
	}
	int free_units = s->dev.units - s->used;
	if (!nc)
		goto rest;
	/* insertion sort: a handful of queues */
	for (int i = 1; i < nc; i++) {
		struct sim_hwq *x = s->cand[i];
		int j = i;
		while (j > 0 && first(x, s->cand[j - 1])) {
			s->cand[j] = s->cand[j - 1];
			j--;
		}
		s->cand[j] = x;
	}
	for (int i = 0; i < nc && free_units > 0; i++) {
		struct sim_cmd *c = s->cand[i]->cur;
		int give = c->width - c->alloc;
		if (give > free_units)
			give = free_units;
		if (c->state == SC_QUEUED) {
			c->state = SC_RUNNING;
			if (!c->started)
				c->start_ns = now;
			c->last_ns = now;
		} else {
			account(c, now);
		}
		if (!c->alloc)
			busy(s, c->t, +1, now);
		c->alloc += give;
		s->used += give;
		free_units -= give;
		resched_end(s, c, now);
	}
	/* the first candidate left short has the highest priority of them */
	for (int i = 0; i < nc; i++) {
		struct sim_cmd *c = s->cand[i]->cur;
		if (c->state == SC_QUEUED || c->alloc < c->width) {
			arm_yields(s, s->cand[i]->prio, now);
			break;
		}
	}
rest:
	left = s->dev.units - s->used;
out:
	if (nl)
		dispatch_later(s, nl, left, now);
}

/* ---- backend ops ------------------------------------------------------------------ */
static int op_max_level(void *be, void *hwq)
{
	struct sim *s = be;
	return s->dev.max_level;
}

static void op_launch(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	struct sim *s = be;
	struct sim_hwq *h = hwq;
	/* the core launches only on an active queue; it restarts a queue that
	 * had nothing in flight without calling reactivate */
	if (!h->deact && !h->active) {
		h->active = 1;
		touch(h);
	}
	sim__tl_launch(s, cmd_of(cmd), now);
	append(h, cmd_of(cmd), now + s->dev.launch_ns, now);
	if (h->t->held)
		sim__host_launched(cmd_of(cmd), now);
}


static void op_sync(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	struct sim *s = be;
	struct sim_cmd *c = cmd_of(cmd);
	/* the flag is set: a command still to finish reports at its end */
	if (c->state == SC_DONE && !c->notify_ev)
		c->notify_ev = sim__at(s, now + s->dev.sync_ns, ev_notify, c, 0);
}

static void op_deactivate(void *be, void *hwq, hs_ns now)
{
	struct sim *s = be;
	struct sim_hwq *h = hwq;
	assert(!h->deact);
	pre_settle(s, h->cur, now);
	h->active = 0;
	touch(h);
	h->deact = 2;
	h->deact_wait = 0;
	/* every launched command the queue had not started still passes
	 * through the stream as an aborted kernel (measured on the H100) */
	hs_ns cost = s->dev.l2_deactivate_ns;
	for (struct sim_cmd *c = h->cur; c; c = c->hnext)
		if (c->state == SC_QUEUED)
			cost += s->dev.l2_abort_ns;
	h->deact_ev = sim__at(s, now + cost, ev_deact, h, 0);
}

static void relaunch(struct sim_hwq *h, struct xcmd *log, hs_ns ready,
		     hs_ns now)
{
	h->active = 1;
	touch(h);
	for (struct xcmd *x = log; x; x = x->next)
		append(h, cmd_of(x), ready, now);
	h->sim->dirty = 1;
}

static void op_reactivate(void *be, void *hwq, struct xcmd *log, hs_ns now)
{
	struct sim *s = be;
	relaunch(hwq, log, now + s->dev.l2_relaunch_ns, now);
}

static void op_interrupt(void *be, void *hwq, hs_ns now)
{
	struct sim *s = be;
	struct sim_hwq *h = hwq;
	assert(!h->deact);
	pre_settle(s, h->cur, now);
	h->active = 0;
	touch(h);
	h->deact = 3;
	h->deact_wait = 0;
	struct sim_cmd *c = h->cur;
	if (c && c->is_kernel && c->state == SC_RUNNING) {
		/* progress stops now; the units are held until the state is
		 * saved (l3_interrupt_ns) */
		account(c, now);
		c->frozen = 1;
		sim_event_cancel(s->eng, c->end_ev);
		c->end_ev = 0;
		sim_event_cancel(s->eng, c->yield_ev);
		c->yield_ev = 0;
	}
	h->deact_ev = sim__at(s, now + s->dev.l3_interrupt_ns, ev_deact, h, 0);
}

static void op_restore(void *be, void *hwq, struct xcmd *log, hs_ns now)
{
	struct sim *s = be;
	relaunch(hwq, log, now + s->dev.l3_restore_ns, now);
}

const struct backend_ops sim__backend_ops = {
	.name = "sim",
	.max_level = op_max_level,
	.launch = op_launch,
	.sync = op_sync,
	.deactivate = op_deactivate,
	.reactivate = op_reactivate,
	.interrupt = op_interrupt,
	.restore = op_restore,
};
