/*
 * The interception engine: one scheduler core per process, one XQueue per
 * intercepted stream, and the held caller (see shim_internal.h for the
 * design, engine_internal.h for threads, locks and a command's life).
 *
 * Streams and queues: the legacy default stream (NULL or
 * SHIM_STREAM_LEGACY without ptds) is one queue; each thread's per-thread
 * default stream (SHIM_STREAM_PER_THREAD, or NULL in a ptds call) is one
 * queue, found through a thread-local; every other stream handle is one
 * queue, found in a hash table, created at its first use (or at its
 * creation, when shim__stream_created says its priority).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>
#include "engine_internal.h"

struct shim_engine g_eng = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.t_when = -1,
};
int shim__enabled;

#define NBUCKET 256
static struct squeue *legacy_q;
static __thread struct squeue *tl_q;       /* this thread's ptds queue */
static __thread unsigned tl_gen;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

/* ---- stream handles ---------------------------------------------------- */
static int is_ptds(void *stream, int ptds)
{
	return stream == SHIM_STREAM_PER_THREAD || (ptds && stream == NULL);
}

static int is_legacy(void *stream, int ptds)
{
	return stream == SHIM_STREAM_LEGACY || (!ptds && stream == NULL);
}

/* The handle an event for this stream is recorded on (from any thread for
 * legacy and created streams, from the owner only for ptds). */
static void *rec_handle(void *stream, int ptds)
{
	if (is_ptds(stream, ptds))
		return SHIM_STREAM_PER_THREAD;
	if (is_legacy(stream, ptds))
		return SHIM_STREAM_LEGACY;
	return stream;
}

static size_t hash(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	v ^= v >> 17;
	v *= 0x9e3779b97f4a7c15ull;
	return (size_t)(v >> 40) % NBUCKET;
}

/* Created streams' queues by handle (chained); every queue is also on
 * g_eng.queues. */
struct hnode {
	void *stream;
	struct squeue *q;
	struct hnode *next;
};
static struct hnode *hbucket[NBUCKET];

static struct squeue *hash_find(void *stream)
{
	for (struct hnode *n = hbucket[hash(stream)]; n; n = n->next)
		if (n->stream == stream)
			return n->q;
	return NULL;
}

static int hash_put(void *stream, struct squeue *q)
{
	struct hnode *n = malloc(sizeof(*n));
	if (!n)
		return HS_ENOMEM;
	size_t h = hash(stream);
	*n = (struct hnode){ stream, q, hbucket[h] };
	hbucket[h] = n;
	return HS_OK;
}

static void hash_del(void *stream)
{
	for (struct hnode **pp = &hbucket[hash(stream)]; *pp; pp = &(*pp)->next)
		if ((*pp)->stream == stream) {
			struct hnode *n = *pp;
			*pp = n->next;
			free(n);
			return;
		}
}

/* A thread that leaves marks its ptds queue's tail (it is the only one who
 * can) and lets the poller free the queue once idle. */
static void tl_gone(void *arg)
{
	struct squeue *q = arg;
	pthread_mutex_lock(&g_eng.mu);
	if (!g_eng.stop && tl_gen == g_eng.gen) {
		if (q->tail)
			shim__mark(q->tail);
		q->dead = 1;
	}
	pthread_mutex_unlock(&g_eng.mu);
}

static void tl_key_make(void)
{
	pthread_key_create(&tl_key, tl_gone);
}

static struct squeue *queue_new(void *stream, int ptds, int plat_prio)
{
	struct squeue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->stream = rec_handle(stream, ptds);
	q->ptds = is_ptds(stream, ptds);
	q->owner = pthread_self();
	q->plat_prio = plat_prio;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (shim__queue_attach(q)) {
		pthread_cond_destroy(&q->cv);
		free(q);
		return NULL;
	}
	q->id = xq_id(q->xq);
	q->next = g_eng.queues;
	g_eng.queues = q;
	if (g_eng.conf.log) {
		char nm[48];
		shim__queue_name(q, nm, sizeof(nm));
		shim__log("queue %d: stream %s, priority %d", xq_id(q->xq), nm,
			  -plat_prio + g_eng.conf.priority);
	}
	return q;
}

/* The queue of `stream` (lock held), created when absent. NULL: ENOMEM. */
static struct squeue *queue_get(void *stream, int ptds, int create)
{
	if (is_ptds(stream, ptds)) {
		if (tl_q && tl_gen == g_eng.gen)
			return tl_q;
		if (!create)
			return NULL;
		struct squeue *q = queue_new(stream, ptds, 0);
		if (!q)
			return NULL;
		pthread_once(&tl_once, tl_key_make);
		pthread_setspecific(tl_key, q);
		tl_q = q;
		tl_gen = g_eng.gen;
		return q;
	}
	if (is_legacy(stream, ptds)) {
		if (!legacy_q && create)
			legacy_q = queue_new(stream, ptds, 0);
		return legacy_q;
	}
	struct squeue *q = hash_find(stream);
	if (q || !create)
		return q;
	q = queue_new(stream, ptds, 0);
	if (q && hash_put(stream, q)) {
		q->dead = 1;
		return NULL;
	}
	return q;
}

/* Nothing of the parent's engine is usable in a forked child; the parent's
 * memory is left as it is. */
void shim__queues_forget(void)
{
	memset(hbucket, 0, sizeof(hbucket));
	legacy_q = NULL;
	g_eng.queues = NULL;
	g_eng.retired = NULL;
}

int shim__queue_reapable(const struct squeue *q)
{
	struct xq_stats st;
	xq_get_stats(q->xq, &st);
	return q->dead && !q->nwait && !q->fifo_head && !st.pending &&
	       !st.inflight && !q->join_pending;
}

void shim__queue_free(struct squeue *q)
{
	shim__client_leave(q);
	struct xq_stats st;
	xq_get_stats(q->xq, &st);
	if (xq_free(q->xq))
		return;         /* cannot be: reapable; keep it rather than crash */
	q->final = st;
	for (struct shim_cmd *c = q->free, *n; c; c = n) {
		n = c->next;
		if (c->ev)
			g_eng.plat->event_destroy(c->ev);
		free(c);
	}
	q->free = NULL;
	shim__client_ep_free(q->ep);
	q->ep = NULL;
	pthread_cond_destroy(&q->cv);
	q->xq = NULL;
	q->next = g_eng.retired;
	g_eng.retired = q;
}

void shim__queue_stats(const struct squeue *q, struct xq_stats *st)
{
	if (q->xq)
		xq_get_stats(q->xq, st);
	else
		*st = q->final;
}

/* ---- commands ------------------------------------------------------------ */
static struct shim_cmd *cmd_get(struct squeue *q)
{
	struct shim_cmd *c = q->free;
	if (c) {
		q->free = c->next;
		void *ev = c->ev;
		memset(c, 0, sizeof(*c));
		c->ev = ev;
	} else {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		if (g_eng.plat->event_create(&c->ev) || !c->ev) {
			free(c);
			return NULL;
		}
	}
	c->q = q;
	c->x.payload = c;
	return c;
}

void shim__cmd_release(struct shim_cmd *c)
{
	if (!c->core_done || c->in_fifo || !c->called || c->pooled)
		return;
	struct squeue *q = c->q;
	c->pooled = 1;
	c->next = q->free;
	q->free = c;
}

void shim__record(struct shim_cmd *c)
{
	struct squeue *q = c->q;
	/* A failed record leaves the event as it was (complete, or an older
	 * record of it): the marker then reports early, never hangs. */
	g_eng.plat->event_record(c->ev, q->stream);
	q->records++;
	c->recorded = 1;
	c->in_fifo = 1;
	c->next = NULL;
	if (q->fifo_tail)
		q->fifo_tail->next = c;
	else
		q->fifo_head = c;
	q->fifo_tail = c;
	g_eng.fifo_new = 1;
	/* a poller due within a quiet period finds it then: the first
	 * marker after an empty FIFO is seen at most quiet_ns late (a
	 * caller held at its threshold polls its own head; a sync pops its
	 * own), saving the caller a wake-up per marker (h200.md 15) */
	shim__kick_by(shim__now() + g_eng.conf.quiet_ns);
}

void shim__fifo_pop(struct squeue *q, hs_ns now)
{
	struct shim_cmd *c = q->fifo_head;
	q->fifo_head = c->next;
	if (!q->fifo_head)
		q->fifo_tail = NULL;
	q->fifo_pops++;
	c->in_fifo = 0;
	if (g_eng.conf.log > 1)
		shim__log("done q%d #%llu%s", xq_id(q->xq), (unsigned long long)c->x.seq,
			  c->core_done ? " (reported before)" : "");
	if (!c->core_done)
		xq_complete(q->xq, &c->x, now);
	shim__cmd_release(c);
}

/* A caller held at q's threshold: queries q's oldest marker itself (the
 * lock dropped meanwhile). 1 when it completed. */
static int poll_head(struct squeue *q)
{
	struct shim_cmd *c = q->fifo_head;
	uint64_t pops = q->fifo_pops;
	pthread_mutex_unlock(&g_eng.mu);
	int r = g_eng.plat->event_query(c->ev);
	pthread_mutex_lock(&g_eng.mu);
	if (r == 1 || q->fifo_pops != pops || g_eng.stop)
		return 0;
	shim__fifo_pop(q, shim__now());
	return 1;
}

/* Waits (lock held) until c may make its call: on the condvar while its
 * queue is suspended; while it is only at its threshold, by querying the
 * queue's oldest marker itself, back to back for conf.spin_ns (the GPU is
 * draining the commands ahead: the marker is due within their run time,
 * and a sleep's wake-up would leave the GPU dry for as long), then once
 * per poll period. */
static hs_ns await_call(struct squeue *q, struct shim_cmd *c)
{
#define MAY_CALL (c->launched && q->next_call == c->x.seq)
	if (MAY_CALL || g_eng.stop)
		return 0;
	hs_ns t0 = shim__now(), spin_until = t0 + g_eng.conf.spin_ns;
	int susp = 0;
	while (!MAY_CALL && !g_eng.stop) {
		struct xq_stats st;
		xq_get_stats(q->xq, &st);
		susp |= st.suspended;
		int polling = !st.suspended && q->fifo_head && !c->launched;
		if (polling && (poll_head(q) || MAY_CALL || g_eng.stop || !q->fifo_head ||
				shim__now() < spin_until))
			continue;       /* the lock was dropped: look again */
		q->nwait++;
		if (polling) {
			struct timespec ts;
			hs_ns t = shim__now() + g_eng.conf.poll_ns;
			ts.tv_sec = t / 1000000000;
			ts.tv_nsec = t % 1000000000;
			pthread_cond_timedwait(&q->cv, &g_eng.mu, &ts);
		} else {
			pthread_cond_wait(&q->cv, &g_eng.mu);
		}
		q->nwait--;
	}
	hs_ns dt = shim__now() - t0;
	if (susp) {
		q->held_susp++;
		q->held_susp_ns += dt;
	} else {
		q->held++;
		q->held_ns += dt;
	}
	return dt;
#undef MAY_CALL
}

void shim__mark(struct shim_cmd *c)
{
	struct squeue *q = c->q;
	if (c->mark)
		return;
	c->x.flags |= XCMD_F_SYNC;
	if (!c->called) {
		c->mark = 1;          /* its caller records after the call */
		return;
	}
	if (q->ptds && !pthread_equal(q->owner, pthread_self())) {
		q->tail_req = 1;      /* only the owner can record on it */
		return;
	}
	/* Never add to a graph being captured on this stream. */
	if (g_eng.plat->stream_capturing(q->stream))
		return;
	c->mark = 1;
	q->tail_req = 0;
	if (g_eng.conf.log > 1)
		shim__log("mark q%d #%llu", xq_id(q->xq), (unsigned long long)c->x.seq);
	shim__record(c);
}

static enum xcmd_kind xkind(enum shim_kind k)
{
	switch (k) {
	case SHIM_COPY: return XCMD_MEMCPY;
	case SHIM_SET: return XCMD_MEMSET;
	case SHIM_EVENT: case SHIM_WAIT: return XCMD_MARKER;
	default: return XCMD_KERNEL;
	}
}

const char *shim__kind_name(enum shim_kind k)
{
	static const char *const names[SHIM_NKINDS] = {
		"kernel", "copy", "set", "event", "wait", "graph" };
	return (unsigned)k < SHIM_NKINDS ? names[k] : "?";
}

void shim__queue_name(const struct squeue *q, char *buf, size_t len)
{
	if (q->ptds)
		snprintf(buf, len, "ptds:%lx", (unsigned long)q->owner);
	else if (q->stream == SHIM_STREAM_LEGACY)
		snprintf(buf, len, "legacy");
	else
		snprintf(buf, len, "%p", q->stream);
}

/* ---- the held caller ------------------------------------------------------ */
__attribute__((noinline))
static struct shim_cmd *begin_slow(void *stream, int ptds, enum shim_kind k)
{
	const struct shim_plat *p = g_eng.plat;
	hs_ns t0 = g_eng.conf.stats ? shim__now() : 0;
	if (!p || p->stream_capturing(rec_handle(stream, ptds)))
		return NULL;
	pthread_mutex_lock(&g_eng.mu);
	struct shim_cmd *c = NULL;
	void *py = NULL;
	if ((!g_eng.started && shim__start()) || g_eng.stop)
		goto out;
	struct squeue *q = queue_get(stream, ptds, 1);
	if (!q || !(c = cmd_get(q)))
		goto out;
	hs_ns now = shim__now();
	c->kind = k;
	c->x.kind = xkind(k);
	q->kinds[k]++;
	q->last_ns = now;
	if (q->tail_req && q->tail)
		shim__mark(q->tail);  /* the owner of a ptds queue is here */
	xq_submit(q->xq, &c->x, now);
	if (g_eng.conf.log > 1)
		shim__log("submit q%d #%llu %s%s", xq_id(q->xq),
			  (unsigned long long)c->x.seq, shim__kind_name(k),
			  c->launched ? "" : " (held)");
	if (!(c->launched && q->next_call == c->x.seq)) {
		/* held: let other Python threads run meanwhile */
		pthread_mutex_unlock(&g_eng.mu);
		py = shim__py_release();
		pthread_mutex_lock(&g_eng.mu);
	}
	hs_ns waited = await_call(q, c);
	if (t0)
		q->own_ns += shim__now() - t0 - waited;
out:
	pthread_mutex_unlock(&g_eng.mu);
	shim__py_restore(py);
	return c;
}

struct shim_cmd *shim__begin(void *stream, int ptds, enum shim_kind k)
{
	if (__builtin_expect(!shim__enabled, 1))
		return NULL;
	return begin_slow(stream, ptds, k);
}

void shim__end(struct shim_cmd *c, int ok)
{
	if (__builtin_expect(!c, 1))
		return;
	hs_ns t0 = g_eng.conf.stats ? shim__now() : 0;
	pthread_mutex_lock(&g_eng.mu);
	struct squeue *q = c->q;
	c->called = 1;
	q->next_call++;
	q->last_ns = shim__now();
	if (!g_eng.stop) {
		if (!c->mark && q->tail == c)
			shim__kick_by(q->last_ns + g_eng.conf.quiet_ns);
		if (!ok)
			c->mark = 1;  /* learn at once where the queue stands */
		if (c->mark && !c->recorded) {
			c->x.flags |= XCMD_F_SYNC;
			shim__record(c);
		}
		shim__cmd_release(c);
	}
	if (q->nwait)
		pthread_cond_broadcast(&q->cv);
	if (t0)
		q->own_ns += shim__now() - t0;
	pthread_mutex_unlock(&g_eng.mu);
}

static void mark_tail(struct squeue *q)
{
	if (q && q->tail)
		shim__mark(q->tail);
}

uint64_t shim__host_sync(void *stream, int ptds, int all)
{
	if (__builtin_expect(!shim__enabled, 1))
		return 0;
	uint64_t tok = 0;
	pthread_mutex_lock(&g_eng.mu);
	if (g_eng.started && !g_eng.stop) {
		if (all) {
			for (struct squeue *q = g_eng.queues; q; q = q->next)
				if (!q->dead)
					mark_tail(q);
		} else {
			struct squeue *q = queue_get(stream, ptds, 0);
			mark_tail(q);
			if (q && q->tail)
				tok = q->tail->x.seq + 1;
		}
	}
	pthread_mutex_unlock(&g_eng.mu);
	return tok;
}

void shim__host_synced(void *stream, int ptds, uint64_t tok)
{
	if (!tok)
		return;
	pthread_mutex_lock(&g_eng.mu);
	struct squeue *q = g_eng.started && !g_eng.stop ? queue_get(stream, ptds, 0) : NULL;
	if (q) {
		hs_ns now = shim__now();
		while (q->fifo_head && q->fifo_head->x.seq < tok)
			shim__fifo_pop(q, now);
	}
	pthread_mutex_unlock(&g_eng.mu);
}

void shim__stream_created(void *stream, int platform_prio)
{
	if (!shim__enabled)
		return;
	pthread_mutex_lock(&g_eng.mu);
	if ((g_eng.started || !shim__start()) && !g_eng.stop &&
	    !is_legacy(stream, 0) && !is_ptds(stream, 0)) {
		struct squeue *q = hash_find(stream);
		if (q) {
			q->plat_prio = platform_prio;
			xq_set_priority(q->xq, -platform_prio + g_eng.conf.priority,
					shim__now());
		} else if ((q = queue_new(stream, 0, platform_prio)) &&
			   hash_put(stream, q)) {
			q->dead = 1;
		}
	}
	pthread_mutex_unlock(&g_eng.mu);
}

void shim__stream_destroyed(void *stream)
{
	if (!shim__enabled)
		return;
	pthread_mutex_lock(&g_eng.mu);
	struct squeue *q = g_eng.started ? hash_find(stream) : NULL;
	if (q) {
		/* the last chance to record on it */
		mark_tail(q);
		hash_del(stream);
		q->dead = 1;
		if (g_eng.conf.log)
			shim__log("queue %d: stream %p destroyed", xq_id(q->xq), stream);
	}
	pthread_mutex_unlock(&g_eng.mu);
}

/* ---- the core's backend ops and env callbacks (lock held) ----------------- */
static void launch_shim(void *be, void *hwq, struct xcmd *x, hs_ns now)
{
	struct shim_cmd *c = x->payload;
	struct squeue *q = hwq;
	c->launched = 1;
	q->tail = c;
	if (x->flags & XCMD_F_SYNC)
		c->mark = 1;          /* not called yet: recorded at shim__end */
	if (q->nwait)
		pthread_cond_broadcast(&q->cv);
}

static void sync_shim(void *be, void *hwq, struct xcmd *x, hs_ns now)
{
	shim__mark(x->payload);
}

const struct backend_ops shim__backend = {
	.name = "shim",
	.launch = launch_shim,
	.sync = sync_shim,
};

void shim__cmd_done(void *ctx, struct xcmd *x, hs_ns now)
{
	struct shim_cmd *c = x->payload;
	c->core_done = 1;
	if (c->q->tail == c)
		c->q->tail = NULL;
	shim__cmd_release(c);
}

void shim__decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	if (g_eng.conf.log)
		shim__log("queue %d: %s", xq_id(q), suspended ? "suspend" : "resume");
}

void shim__timer_set(void *ctx, hs_ns when)
{
	g_eng.t_when = when;
	if (when >= 0)
		shim__kick_by(when);
}

/* ---- log ------------------------------------------------------------------ */
int shim__log_on(void)
{
	return g_eng.conf.log;
}

void shim__log(const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "hipsched[%d]: ", (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	/* one write: lines of several threads do not interleave */
	ssize_t w = write(2, line, len);
	(void)w;
}
