/*
 * The hardware engine: the core's backend ops on top of a device layer
 * (struct hw_devops), GPU-agnostic so that the CPU-only tests drive it with
 * a fake device.
 *
 * Threads and locks:
 *   - e->lock (the core lock) is held around every core call. Backend ops
 *     are called by the core with it held, so they only enqueue: a launch
 *     is an asynchronous device call (hipLaunchKernel / hipEventRecord do
 *     not block below the stream's queue depth, and progressive launching
 *     keeps at most `threshold` commands there), so no launch worker is
 *     needed between the core and the stream.
 *   - one completion thread per queue waits, in stream order, on the
 *     events recorded after commands marked XCMD_F_SYNC (and after a
 *     deactivate's drain) and reports them with xq_complete() /
 *     xq_deactivated() under the core lock.
 *   - one timer thread serves sched_env.timer_set with a condvar timed wait
 *     on CLOCK_MONOTONIC.
 *   Lock order: core lock -> queue lock -> timer lock. Nobody waits on a
 *   device event while holding a lock.
 *
 * Level 2 on replay kernels: deactivate sets the queue's flag (device
 * memory, see struct hw_ctl) and records a drain event; kernels launched before it that start
 * after the flag is seen exit at block start and mark their abort slot.
 * When the drain event completes, everything launched is off the GPU; the
 * last command reported done is the one before the first aborted kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dev_internal.h"

struct ent {
	struct xcmd *cmd;         /* NULL for a drain marker */
	void *ev;                 /* event recorded after it, or NULL */
	int slot;                 /* abort slot of a kernel, -1 otherwise */
	int drain;
	hs_ns launch_ns, launch_end_ns;   /* around its launch call */
};

struct hw_queue {
	struct hw_engine *e;
	void *st;
	struct hw_ctl ctl;
	struct xq *xq;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ent *ents;         /* ring of launched, unreported entries */
	size_t head, n, cap;
	void **evpool;            /* free events */
	size_t nev, evcap;
	uint64_t nslot;
	int stop;
	int deactivated;
	int flag_on;              /* the preemption flag is (being) set */
	pthread_t thr;
	int thr_started;
	struct hw_ivs ivs;        /* its kernels' GPU execution */
	struct hw_queue_stats stats;
};

struct hw_engine {
	const struct hw_devops *ops;
	void *dev;
	struct hw_engine_cb cb;
	struct sched *s;
	pthread_mutex_t lock;     /* the core lock */
	/* timer */
	pthread_mutex_t tmu;
	pthread_cond_t tcv;
	hs_ns t_when;             /* < 0: none */
	uint64_t t_gen;
	int t_stop;
	pthread_t tthr;
	int tthr_started;
	struct hw_devinfo info;
	struct hw_ivs ivs;        /* all queues' kernels (core lock held) */
};

hs_ns hw__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (hs_ns)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hw__sleep_until(hs_ns when)
{
	const hs_ns spin = 50000;
	hs_ns now = hw__now();
	if (when - now > spin) {
		hs_ns t = when - spin;
		struct timespec ts = { t / 1000000000, t % 1000000000 };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (hw__now() < when)
		;
}

static void fail(struct hw_engine *e, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s: %s", what,
		 hw__dev_error(e->ops, e->dev));
	if (e->cb.failed)
		e->cb.failed(e->cb.ctx, msg);
}

/* ---- queue ring (queue lock held) ---------------------------------------- */
static int ring_push(struct hw_queue *hq, const struct ent *en)
{
	if (hq->n == hq->cap) {
		size_t nc = hq->cap ? hq->cap * 2 : 64;
		struct ent *ne = malloc(nc * sizeof(*ne));
		if (!ne)
			return HS_ENOMEM;
		for (size_t i = 0; i < hq->n; i++)
			ne[i] = hq->ents[(hq->head + i) % hq->cap];
		free(hq->ents);
		hq->ents = ne;
		hq->cap = nc;
		hq->head = 0;
	}
	hq->ents[(hq->head + hq->n) % hq->cap] = *en;
	hq->n++;
	return HS_OK;
}

static struct ent *ring_at(struct hw_queue *hq, size_t i)
{
	return &hq->ents[(hq->head + i) % hq->cap];
}

static void *ev_get(struct hw_queue *hq)
{
	if (hq->nev)
		return hq->evpool[--hq->nev];
	void *ev = NULL;
	if (hw__dev_event_create(hq->e->ops, hq->e->dev, 0, &ev))
		return NULL;
	return ev;
}

static void ev_put(struct hw_queue *hq, void *ev)
{
	if (hq->nev == hq->evcap) {
		size_t nc = hq->evcap ? hq->evcap * 2 : 16;
		void **np = realloc(hq->evpool, nc * sizeof(*np));
		if (!np) {
			hw__dev_event_destroy(hq->e->ops, hq->e->dev, ev);
			return;
		}
		hq->evpool = np;
		hq->evcap = nc;
	}
	hq->evpool[hq->nev++] = ev;
}

int hw__ivs_add(struct hw_ivs *s, hs_ns a, hs_ns b)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 1024;
		struct hw_iv *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return HS_ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = (struct hw_iv){ a, b };
	return HS_OK;
}

static int cmp_iv(const void *x, const void *y)
{
	const struct hw_iv *a = x, *b = y;
	return a->a < b->a ? -1 : a->a > b->a;
}

hs_ns hw__ivs_merge(struct hw_ivs *s)
{
	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_iv);
	size_t m = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].a <= s->v[m].b) {
			if (s->v[i].b > s->v[m].b)
				s->v[m].b = s->v[i].b;
		} else {
			s->v[++m] = s->v[i];
		}
	}
	s->n = m + 1;
	hs_ns t = 0;
	for (size_t i = 0; i < s->n; i++)
		t += s->v[i].b - s->v[i].a;
	return t;
}

void hw__ivs_release(struct hw_ivs *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- backend ops (core lock held) ------------------------------------------ */
/* A queue's abort / time-stamp slots go round HW_NSLOTS: no more may be
 * in flight, or a slot is reused under a running kernel. */
static unsigned max_inflight_hw(void *be, void *hwq)
{
	return HW_NSLOTS;
}

static int max_level_hw(void *be, void *hwq)
{
	return 2;
}

/* Issues one command on the stream and queues its entry. Queue lock held. */
static int issue(struct hw_queue *hq, struct xcmd *cmd)
{
	struct hw_engine *e = hq->e;
	const struct hw_cmd *hc = cmd->payload;
	struct ent en = { .cmd = cmd, .slot = -1 };
	int rc = 0;
	enum xcmd_kind kind = hc ? hc->kind : cmd->kind;

	en.launch_ns = hw__now();
	switch (kind) {
	case XCMD_KERNEL:
		en.slot = (int)(hq->nslot++ % HW_NSLOTS);
		hq->ctl.host[1 + en.slot] = 0;
		/* a kernel that never stamps (aborted before it ran) must not
		 * show the times of the slot's previous kernel */
		if (hq->ctl.times)
			hq->ctl.times[2 * en.slot] = hq->ctl.times[2 * en.slot + 1] = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rc = hw__dev_kernel(e->ops, e->dev, hq->st, &hc->k, &hq->ctl, en.slot);
		break;
	case XCMD_MEMCPY:
		rc = hw__dev_memcpy(e->ops, e->dev, hq->st, hc->bytes);
		break;
	case XCMD_MEMSET:
		rc = hw__dev_memset(e->ops, e->dev, hq->st, hc->bytes);
		break;
	default:                  /* sync / marker: nothing on the device */
		break;
	}
	if (rc) {
		fail(e, "launch");
		return rc;
	}
	en.launch_end_ns = hw__now();
	hq->stats.launched++;
	if (cmd->flags & XCMD_F_SYNC) {
		en.ev = ev_get(hq);
		if (!en.ev || hw__dev_event_record(e->ops, e->dev, en.ev, hq->st)) {
			fail(e, "event record");
			return HW_EDEVICE;
		}
	}
	if (ring_push(hq, &en))
		return HS_ENOMEM;
	if (e->cb.launched)
		e->cb.launched(e->cb.ctx, cmd, en.launch_ns, en.launch_end_ns);
	pthread_cond_signal(&hq->cv);
	return HS_OK;
}

static void launch_hw(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	struct hw_queue *hq = hwq;
	pthread_mutex_lock(&hq->mu);
	if (hq->flag_on) {
		/* deactivated with nothing to relaunch: the core restarted the
		 * queue without reactivate() */
		if (hw__dev_ctl_flag(hq->e->ops, hq->e->dev, &hq->ctl, 0, hq->st))
			fail(hq->e, "clear preemption flag");
		hq->flag_on = 0;
		hq->deactivated = 0;
	}
	issue(hq, cmd);
	pthread_mutex_unlock(&hq->mu);
}

/* The core marked an already launched command (the queue's tail, on a
 * Level 1 suspend): an event recorded now completes after it. */
static void sync_hw(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	struct hw_queue *hq = hwq;
	struct hw_engine *e = hq->e;
	pthread_mutex_lock(&hq->mu);
	for (size_t i = hq->n; i-- > 0;) {
		struct ent *en = ring_at(hq, i);
		if (en->cmd != cmd)
			continue;
		if (!en->ev) {
			en->ev = ev_get(hq);
			if (!en->ev || hw__dev_event_record(e->ops, e->dev, en->ev, hq->st))
				fail(e, "event record (sync)");
			pthread_cond_signal(&hq->cv);
		}
		break;
	}
	pthread_mutex_unlock(&hq->mu);
}

static void deactivate_hw(void *be, void *hwq, hs_ns now)
{
	struct hw_queue *hq = hwq;
	struct hw_engine *e = hq->e;
	pthread_mutex_lock(&hq->mu);
	if (hw__dev_ctl_flag(e->ops, e->dev, &hq->ctl, 1, hq->st))
		fail(e, "set preemption flag");
	hq->flag_on = 1;
	struct ent en = { .cmd = NULL, .slot = -1, .drain = 1 };
	en.ev = ev_get(hq);
	if (!en.ev || hw__dev_event_record(e->ops, e->dev, en.ev, hq->st))
		fail(e, "event record (deactivate)");
	ring_push(hq, &en);
	hq->stats.deactivations++;
	pthread_cond_signal(&hq->cv);
	pthread_mutex_unlock(&hq->mu);
}

static void reactivate_hw(void *be, void *hwq, struct xcmd *log, hs_ns now)
{
	struct hw_queue *hq = hwq;
	pthread_mutex_lock(&hq->mu);
	if (hq->flag_on && hw__dev_ctl_flag(hq->e->ops, hq->e->dev, &hq->ctl, 0, hq->st))
		fail(hq->e, "clear preemption flag");
	hq->flag_on = 0;
	hq->deactivated = 0;
	for (struct xcmd *c = log; c; c = c->next)
		if (issue(hq, c))
			break;
	pthread_mutex_unlock(&hq->mu);
}

const struct backend_ops hw__backend_ops = {
	.name = "hw",
	.max_level = max_level_hw,
	.max_inflight = max_inflight_hw,
	.launch = launch_hw,
	.sync = sync_hw,
	.deactivate = deactivate_hw,
	.reactivate = reactivate_hw,
};

/* ---- completion thread ----------------------------------------------------- */
/* Index of the first entry with an event, or n. Queue lock held. */
static size_t first_event(struct hw_queue *hq)
{
	for (size_t i = 0; i < hq->n; i++)
		if (ring_at(hq, i)->ev)
			return i;
	return hq->n;
}

/* Drops the first `count` entries (off the device; those from `firstab`
 * on were aborted), keeping their kernels' GPU execution times and
 * telling cb.executed. Core lock and queue lock held; t: when the host
 * saw them done. */
static void pop(struct hw_queue *hq, size_t count, size_t firstab, hs_ns t)
{
	struct hw_engine *e = hq->e;
	double k = e->info.timer_ns_per_tick > 0 ? e->info.timer_ns_per_tick : 1.0;
	for (size_t i = 0; i < count; i++) {
		const struct ent *en = ring_at(hq, i);
		struct hw_exec x = { .launch_ns = en->launch_ns,
				     .launch_end_ns = en->launch_end_ns,
				     .gpu_start_ns = -1, .gpu_end_ns = -1, .done_ns = t,
				     .aborted = i >= firstab };
		int64_t a = 0, b = 0;
		if (en->slot >= 0 && hq->ctl.times) {
			a = hq->ctl.times[2 * en->slot];
			b = hq->ctl.times[2 * en->slot + 1];
		}
		if (a > 0 && b > a && (double)(b - a) * k < 1e10) {
			hs_ns an = (hs_ns)((double)a * k), bn = (hs_ns)((double)b * k);
			hw__ivs_add(&hq->ivs, an, bn);
			hw__ivs_add(&e->ivs, an, bn);
			x.gpu_start_ns = an;
			x.gpu_end_ns = bn;
		}
		if (en->cmd && e->cb.executed)
			e->cb.executed(e->cb.ctx, en->cmd, &x);
	}
	hq->head = (hq->head + count) % (hq->cap ? hq->cap : 1);
	hq->n -= count;
}

static void *completion_main(void *arg)
{
	struct hw_queue *hq = arg;
	struct hw_engine *e = hq->e;

	pthread_mutex_lock(&hq->mu);
	for (;;) {
		size_t j;
		while ((j = first_event(hq)) == hq->n && !hq->stop)
			pthread_cond_wait(&hq->cv, &hq->mu);
		if (j == hq->n)
			break;          /* stop, and nothing left to wait for */
		void *ev = ring_at(hq, j)->ev;
		pthread_mutex_unlock(&hq->mu);

		int rc = hw__dev_event_wait(e->ops, e->dev, ev);
		hs_ns t = hw__now();

		pthread_mutex_lock(&e->lock);
		pthread_mutex_lock(&hq->mu);
		if (rc)
			fail(e, "event wait");
		/* Entries before j have no event and were launched before it:
		 * all of 0..j finished on the device. */
		size_t firstab = j + 1;
		for (size_t i = 0; i <= j; i++) {
			struct ent *en = ring_at(hq, i);
			if (en->slot >= 0 && hq->ctl.host[1 + en->slot]) {
				firstab = i;
				break;
			}
		}
		struct ent *ej = ring_at(hq, j);
		ev_put(hq, ej->ev);
		ej->ev = NULL;
		if (ej->drain) {
			struct xcmd *last = NULL;
			for (size_t i = 0; i < firstab && i < j; i++)
				if (ring_at(hq, i)->cmd)
					last = ring_at(hq, i)->cmd;
			for (size_t i = firstab; i < j; i++) {
				struct ent *en = ring_at(hq, i);
				if (en->slot >= 0 && hq->ctl.host[1 + en->slot])
					hq->stats.aborted++;
			}
			pop(hq, j + 1, firstab, t);
			hq->deactivated = 1;
			pthread_mutex_unlock(&hq->mu);
			xq_deactivated(hq->xq, last, t);
		} else if (firstab > j) {
			struct xcmd *upto = ej->cmd;
			pop(hq, j + 1, j + 1, t);
			pthread_mutex_unlock(&hq->mu);
			xq_complete(hq->xq, upto, t);
		} else {
			/* A kernel before it was aborted: a deactivation is on
			 * its way; its drain reports these entries. */
			pthread_mutex_unlock(&hq->mu);
		}
		pthread_mutex_unlock(&e->lock);
		pthread_mutex_lock(&hq->mu);
	}
	pthread_mutex_unlock(&hq->mu);
	return NULL;
}

/* ---- timer thread ------------------------------------------------------------ */
static void timer_set_hw(void *ctx, hs_ns when)
{
	struct hw_engine *e = ctx;
	pthread_mutex_lock(&e->tmu);
	e->t_when = when;
	e->t_gen++;
	pthread_cond_signal(&e->tcv);
	pthread_mutex_unlock(&e->tmu);
}

static void *timer_main(void *arg)
{
	struct hw_engine *e = arg;
	pthread_mutex_lock(&e->tmu);
	while (!e->t_stop) {
		if (e->t_when < 0) {
			pthread_cond_wait(&e->tcv, &e->tmu);
			continue;
		}
		hs_ns now = hw__now();
		if (now < e->t_when) {
			struct timespec ts = { e->t_when / 1000000000,
					       e->t_when % 1000000000 };
			pthread_cond_timedwait(&e->tcv, &e->tmu, &ts);
			continue;
		}
		uint64_t gen = e->t_gen;
		pthread_mutex_unlock(&e->tmu);
		pthread_mutex_lock(&e->lock);
		pthread_mutex_lock(&e->tmu);
		int current = gen == e->t_gen && e->t_when >= 0;
		if (current)
			e->t_when = -1;
		pthread_mutex_unlock(&e->tmu);
		if (current)
			sched_on_timer(e->s, hw__now());
		pthread_mutex_unlock(&e->lock);
		pthread_mutex_lock(&e->tmu);
	}
	pthread_mutex_unlock(&e->tmu);
	return NULL;
}

static void cmd_done_hw(void *ctx, struct xcmd *cmd, hs_ns now)
{
	struct hw_engine *e = ctx;
	if (e->cb.cmd_done)
		e->cb.cmd_done(e->cb.ctx, cmd, now);
}

static void preempted_hw(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns)
{
	struct hw_engine *e = ctx;
	if (e->cb.preempted)
		e->cb.preempted(e->cb.ctx, q, suspend_ns, idle_ns);
}

static void decided_hw(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	struct hw_engine *e = ctx;
	if (e->cb.decided)
		e->cb.decided(e->cb.ctx, q, suspended, now);
}

/* ---- engine ------------------------------------------------------------------ */
int hw__engine_create(const struct hw_devops *ops, void *dev,
		      const struct hw_engine_cb *cb, const char *policy,
		      const struct hs_param *params, size_t nparams,
		      struct hw_engine **out, char *err, size_t errlen)
{
	struct hw_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	e->ops = ops;
	e->dev = dev;
	e->cb = *cb;
	e->t_when = -1;
	hw__dev_info(ops, dev, &e->info);
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->tmu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->tcv, &ca);
	pthread_condattr_destroy(&ca);

	struct sched_env env = {
		.ops = &hw__backend_ops,
		.be = e,
		.ctx = e,
		.timer_set = timer_set_hw,
		.cmd_done = cmd_done_hw,
		.preempted = preempted_hw,
		.decided = decided_hw,
	};
	int rc = 0;
	e->s = sched_create(&env, policy, params, nparams, &rc, err, errlen);
	if (!e->s) {
		hw__engine_free(e);
		return rc ? rc : HS_EINVAL;
	}
	if (pthread_create(&e->tthr, NULL, timer_main, e)) {
		snprintf(err, errlen, "cannot start the timer thread");
		hw__engine_free(e);
		return HS_ENOMEM;
	}
	e->tthr_started = 1;
	*out = e;
	return HS_OK;
}

void hw__engine_free(struct hw_engine *e)
{
	if (!e)
		return;
	if (e->tthr_started) {
		pthread_mutex_lock(&e->tmu);
		e->t_stop = 1;
		pthread_cond_signal(&e->tcv);
		pthread_mutex_unlock(&e->tmu);
		pthread_join(e->tthr, NULL);
	}
	if (e->s)
		sched_free(e->s);
	pthread_cond_destroy(&e->tcv);
	pthread_mutex_destroy(&e->tmu);
	pthread_mutex_destroy(&e->lock);
	hw__ivs_release(&e->ivs);
	free(e);
}

struct sched *hw__engine_sched(struct hw_engine *e)
{
	return e->s;
}

const struct hw_ivs *hw__engine_busy(struct hw_engine *e, hs_ns *busy_ns)
{
	*busy_ns = hw__ivs_merge(&e->ivs);
	return &e->ivs;
}

void hw__engine_lock(struct hw_engine *e)
{
	pthread_mutex_lock(&e->lock);
}

void hw__engine_unlock(struct hw_engine *e)
{
	pthread_mutex_unlock(&e->lock);
}

int hw__queue_create(struct hw_engine *e, int stream_prio,
		     const struct xq_config *cfg, struct hw_queue **out,
		     char *err, size_t errlen)
{
	struct hw_queue *hq = calloc(1, sizeof(*hq));
	int rc;
	if (!hq) {
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	hq->e = e;
	pthread_mutex_init(&hq->mu, NULL);
	pthread_cond_init(&hq->cv, NULL);
	rc = hw__dev_stream_create(e->ops, e->dev, stream_prio, &hq->st);
	if (rc) {
		snprintf(err, errlen, "stream create: %s", hw__dev_error(e->ops, e->dev));
		goto fail;
	}
	rc = hw__dev_ctl_alloc(e->ops, e->dev, &hq->ctl);
	if (rc) {
		snprintf(err, errlen, "control block: %s", hw__dev_error(e->ops, e->dev));
		goto fail;
	}
	struct xq_config c = *cfg;
	c.hwq = hq;
	pthread_mutex_lock(&e->lock);
	rc = xq_create(e->s, &c, &hq->xq);
	pthread_mutex_unlock(&e->lock);
	if (rc) {
		snprintf(err, errlen, "xq_create: %s", hs_strerror(rc));
		goto fail;
	}
	if (pthread_create(&hq->thr, NULL, completion_main, hq)) {
		snprintf(err, errlen, "cannot start a completion thread");
		rc = HS_ENOMEM;
		goto fail;
	}
	hq->thr_started = 1;
	*out = hq;
	return HS_OK;
fail:
	hw__queue_free(e, hq);
	return rc;
}

struct xq *hw__queue_xq(struct hw_queue *hq)
{
	return hq->xq;
}

void hw__queue_stats(struct hw_queue *hq, struct hw_queue_stats *st)
{
	pthread_mutex_lock(&hq->mu);
	hq->stats.busy_ns = hw__ivs_merge(&hq->ivs);
	*st = hq->stats;
	pthread_mutex_unlock(&hq->mu);
}

void hw__queue_free(struct hw_engine *e, struct hw_queue *hq)
{
	if (!hq)
		return;
	if (hq->st)
		hw__dev_stream_sync(e->ops, e->dev, hq->st);
	if (hq->thr_started) {
		pthread_mutex_lock(&hq->mu);
		hq->stop = 1;
		pthread_cond_signal(&hq->cv);
		pthread_mutex_unlock(&hq->mu);
		pthread_join(hq->thr, NULL);
	}
	if (hq->xq) {
		pthread_mutex_lock(&e->lock);
		xq_free(hq->xq);
		pthread_mutex_unlock(&e->lock);
	}
	for (size_t i = 0; i < hq->n; i++)
		if (ring_at(hq, i)->ev)
			hw__dev_event_destroy(e->ops, e->dev, ring_at(hq, i)->ev);
	for (size_t i = 0; i < hq->nev; i++)
		hw__dev_event_destroy(e->ops, e->dev, hq->evpool[i]);
	if (hq->ctl.host)
		hw__dev_ctl_free(e->ops, e->dev, &hq->ctl);
	if (hq->st)
		hw__dev_stream_destroy(e->ops, e->dev, hq->st);
	free(hq->evpool);
	free(hq->ents);
	hw__ivs_release(&hq->ivs);
	pthread_cond_destroy(&hq->cv);
	pthread_mutex_destroy(&hq->mu);
	free(hq);
}
