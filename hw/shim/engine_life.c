/*
 * The engine's life: configuration from the environment, start (core,
 * poller thread, server), the poller, fork, process exit and the
 * statistics written then. engine.c holds the queues and the held caller.
 *
 * The poller (one thread per process, all signals blocked) does what no
 * caller can: it queries the marker events of every queue in order and
 * reports them with xq_complete; it fires the core's timer; it marks the
 * tail of a queue that has launched commands without a marker and has been
 * quiet for conf.quiet_ns, so the core sees a queue drain even when the
 * application never synchronizes; it frees queues of destroyed streams and
 * joins new queues to the server. It sleeps conf.poll_ns between rounds
 * while events are outstanding (an eighth of it while a caller waits on a
 * queue with events out: a held caller waits for exactly that; twice as
 * long after each round that saw nothing complete while nobody waits, up
 * to conf.poll_max_ns) and waits on g_eng.cv otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine_internal.h"

#if defined(__has_include)
#if __has_include("serve/serve.h")
#include "serve/serve.h"
#endif
#endif
#ifndef HIPSCHED_SERVE_H
/* The server client's API (hw/serve/serve.h), for a tree without it. */
struct hs_client;
struct hs_hello {
	const char *name;
	int32_t pid, priority, level;
	hs_ns slo_ns, deadline_ns;
	double weight;
};
struct hs_client_lock {
	void *ctx;
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
	void (*log)(void *ctx, const char *line);
};
int hs_client_open(const char *path, int fd, const struct hs_hello *h,
		   struct sched *s, const struct hs_client_lock *lk,
		   struct hs_client **out, char *err, size_t errlen);
const char *hs_client_policy_name(void);
void *hs_client_ep_new(struct hs_client *c);
void hs_client_ep_free(void *ep);
int hs_client_join(struct hs_client *c, struct xq *q, int priority);
int hs_client_leave(struct hs_client *c, struct xq *q);
void hs_client_close(struct hs_client *c);
#endif
/* Weak: the library links without hw/serve's client; HIPSCHED_SOCKET then
 * says so and runs pass-through. */
#pragma weak hs_client_open
#pragma weak hs_client_policy_name
#pragma weak hs_client_ep_new
#pragma weak hs_client_ep_free
#pragma weak hs_client_join
#pragma weak hs_client_leave
#pragma weak hs_client_close

hs_ns shim__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (hs_ns)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- configuration ---------------------------------------------------------- */
static void warn(const char *fmt, const char *var, const char *val)
{
	fprintf(stderr, "hipsched[%d]: %s='%s': ", (int)getpid(), var, val);
	fprintf(stderr, fmt, var);
	fputc('\n', stderr);
}

/* An integer variable in [lo, hi]; a bad value is reported and ignored. */
static long env_long(const char *var, long lo, long hi, long def)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return def;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi) {
		char msg[96];
		snprintf(msg, sizeof(msg), "not an integer in [%ld, %ld]; ignored", lo, hi);
		warn("%s", var, v);
		fprintf(stderr, "hipsched[%d]: (%s)\n", (int)getpid(), msg);
		return def;
	}
	return x;
}

/* A decimal number in (lo, hi]; a bad value is reported and ignored. */
static double env_double(const char *var, double lo, double hi, double def)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return def;
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || *end || !(x > lo && x <= hi)) {
		warn("%s", var, v);
		fprintf(stderr, "hipsched[%d]: (not a number in (%g, %g]; ignored)\n",
			(int)getpid(), lo, hi);
		return def;
	}
	return x;
}

static const char *env_str(const char *var)
{
	const char *v = getenv(var);
	return v && *v ? v : NULL;
}

/* HIPSCHED_PARAMS "k=v,k=v" into conf.params. */
static void parse_params(struct shim_conf *c, const char *v)
{
	snprintf(c->params_buf, sizeof(c->params_buf), "%s", v);
	for (char *save = NULL, *tok = strtok_r(c->params_buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || c->nparams == sizeof(c->params) / sizeof(c->params[0])) {
			warn("expected key=value[,key=value...] (16 at most); '%s' ignored",
			     "HIPSCHED_PARAMS", v);
			c->nparams = 0;
			return;
		}
		*eq = '\0';
		c->params[c->nparams++] = (struct hs_param){ tok, eq + 1 };
	}
}

void shim__conf_load(void)
{
	struct shim_conf *c = &g_eng.conf;
	memset(c, 0, sizeof(*c));
	c->policy = env_str("HIPSCHED_POLICY");
	c->socket = env_str("HIPSCHED_SOCKET");
	c->stats = env_str("HIPSCHED_STATS");
	c->name = env_str("HIPSCHED_NAME");
	c->log = (int)env_long("HIPSCHED_LOG", 0, 2, 0);
	c->priority = (int)env_long("HIPSCHED_PRIORITY", -1000000, 1000000, 0);
	/* hints for the server's HELLO (hw/serve/serve.h, HS_ENV_*) */
	c->slo_ns = (hs_ns)(env_double("HIPSCHED_SLO_MS", 0, 1e7, 0) * 1e6);
	c->deadline_ns = (hs_ns)(env_double("HIPSCHED_DEADLINE_MS", 0, 1e7, 0) * 1e6);
	c->weight = env_double("HIPSCHED_WEIGHT", 0, 1e6, 1.0);
	c->threshold = (unsigned)env_long("HIPSCHED_THRESHOLD", 1, 1 << 20, XQ_DEFAULT_THRESHOLD);
	c->batch = (unsigned)env_long("HIPSCHED_BATCH", 1, 1 << 20, 0);
	if (!c->batch)
		c->batch = c->threshold < XQ_DEFAULT_BATCH ? c->threshold : XQ_DEFAULT_BATCH;
	if (c->batch > c->threshold) {
		fprintf(stderr, "hipsched[%d]: HIPSCHED_BATCH=%u above HIPSCHED_THRESHOLD=%u; "
			"using batch %u\n", (int)getpid(), c->batch, c->threshold, c->threshold);
		c->batch = c->threshold;
	}
	long level = env_long("HIPSCHED_LEVEL", 1, 3, 1);
	if (level > 1)
		fprintf(stderr, "hipsched[%d]: HIPSCHED_LEVEL=%ld: arbitrary kernels can only "
			"be preempted at level 1 (progressive launching); using 1\n",
			(int)getpid(), level);
	c->quiet_ns = env_long("HIPSCHED_QUIET_US", 1, 1000000, 100) * 1000;
	c->idle_hold_ns = env_long("HIPSCHED_IDLE_HOLD_US", 0, 10000000, 0) * 1000;
	c->poll_ns = env_long("HIPSCHED_POLL_US", 1, 100000, 15) * 1000;
	c->poll_max_ns = env_long("HIPSCHED_POLL_MAX_US", 1, 100000, 120) * 1000;
	if (c->poll_max_ns < c->poll_ns)
		c->poll_max_ns = c->poll_ns;
	c->spin_ns = env_long("HIPSCHED_SPIN_US", 0, 1000000, 200) * 1000;
	const char *p = env_str("HIPSCHED_PARAMS");
	if (p)
		parse_params(c, p);
	shim__enabled = c->policy || c->socket;
}

/* ---- the server ---------------------------------------------------------------- */
static void lk_lock(void *ctx) { pthread_mutex_lock(&g_eng.mu); }
static void lk_unlock(void *ctx) { pthread_mutex_unlock(&g_eng.mu); }
static void lk_log(void *ctx, const char *line) { shim__log("server: %s", line); }

static const struct hs_client_lock client_lock = {
	.lock = lk_lock, .unlock = lk_unlock, .log = lk_log,
};

void shim__client_leave(struct squeue *q)
{
	if (!q->ep || !g_eng.client || !hs_client_leave)
		return;
	pthread_mutex_unlock(&g_eng.mu);
	hs_client_leave(g_eng.client, q->xq);
	pthread_mutex_lock(&g_eng.mu);
}

void shim__client_ep_free(void *ep)
{
	if (ep && hs_client_ep_free)
		hs_client_ep_free(ep);
}

/* Opens the connection and creates the core with the remote policy; on
 * any failure one line and *s stays NULL. Lock held. */
static struct sched *open_remote(const struct sched_env *env)
{
	const char *path = g_eng.conf.socket;
	if (!hs_client_open || !hs_client_policy_name) {
		fprintf(stderr, "hipsched[%d]: HIPSCHED_SOCKET=%s: this libhipsched.so "
			"was built without the server client; not scheduling\n",
			(int)getpid(), path);
		return NULL;
	}
	char err[256];
	int e;
	struct sched *s = sched_create(env, hs_client_policy_name(), NULL, 0, &e,
				       err, sizeof(err));
	if (!s) {
		fprintf(stderr, "hipsched[%d]: remote policy: %s\n", (int)getpid(), err);
		return NULL;
	}
	struct hs_hello h = { .name = g_eng.conf.name, .pid = (int32_t)getpid(),
			      .priority = g_eng.conf.priority, .level = 1,
			      .slo_ns = g_eng.conf.slo_ns,
			      .deadline_ns = g_eng.conf.deadline_ns,
			      .weight = g_eng.conf.weight,
			      .idle_hold_ns = g_eng.conf.idle_hold_ns };
	/* the client's receiver takes the lock: open without it */
	pthread_mutex_unlock(&g_eng.mu);
	struct hs_client *c = NULL;
	e = hs_client_open(path, -1, &h, s, &client_lock, &c, err, sizeof(err));
	pthread_mutex_lock(&g_eng.mu);
	if (e) {
		fprintf(stderr, "hipsched[%d]: HIPSCHED_SOCKET=%s: %s; not scheduling\n",
			(int)getpid(), path, err);
		sched_free(s);
		return NULL;
	}
	g_eng.client = c;
	return s;
}

int shim__queue_attach(struct squeue *q)
{
	if (g_eng.client && hs_client_ep_new) {
		q->ep = hs_client_ep_new(g_eng.client);
		q->join_pending = q->ep != NULL;
	}
	struct xq_config cfg = {
		.hwq = q, .priority = -q->plat_prio + g_eng.conf.priority, .level = 1,
		.threshold = g_eng.conf.threshold, .batch = g_eng.conf.batch,
		.user = q->ep,
	};
	int e = xq_create(g_eng.s, &cfg, &q->xq);
	if (e) {
		shim__client_ep_free(q->ep);
		shim__log("queue: %s", hs_strerror(e));
		return e;
	}
	if (q->join_pending)
		shim__kick();
	return HS_OK;
}

void shim__kick_by(hs_ns by)
{
	if (g_eng.poller_sleeping && g_eng.poller_wake > by) {
		g_eng.poller_wake = 0;        /* one signal until it re-arms */
		g_eng.kicks++;
		pthread_cond_signal(&g_eng.cv);
	}
}

void shim__kick(void)
{
	shim__kick_by(0);
}

/* ---- the poller ---------------------------------------------------------------- */
/* A queue's oldest and newest markers as the poller saw them (r, rt: their
 * queries, 1 = not done). Markers complete in stream order: the newest one
 * done means every one before it is. */
struct head { struct squeue *q; struct shim_cmd *c, *t; uint64_t pops; int r, rt; };

/* Joins new queues and frees dead ones (lock held; drops it around the
 * client's calls). */
static void tend_queues(void)
{
	for (struct squeue **pp = &g_eng.queues; *pp;) {
		struct squeue *q = *pp;
		if (q->join_pending && g_eng.client && hs_client_join) {
			q->join_pending = 0;
			int prio = -q->plat_prio + g_eng.conf.priority;
			pthread_mutex_unlock(&g_eng.mu);
			int e = hs_client_join(g_eng.client, q->xq, prio);
			pthread_mutex_lock(&g_eng.mu);
			if (e)
				shim__log("queue %d: join: %s", xq_id(q->xq), hs_strerror(e));
		}
		if (shim__queue_reapable(q)) {
			*pp = q->next;
			shim__queue_free(q);
			continue;
		}
		pp = &q->next;
	}
}

/* Quiet tails and the core's timer; returns when to look again. */
static hs_ns tend_time(hs_ns now)
{
	hs_ns wake = INT64_MAX;
	for (struct squeue *q = g_eng.queues; q; q = q->next) {
		struct shim_cmd *t = q->tail;
		if (!t || t->mark || q->dead || (q->ptds && q->tail_req))
			continue;
		if (t->called && now - q->last_ns >= g_eng.conf.quiet_ns)
			shim__mark(t);
		else if (q->last_ns + g_eng.conf.quiet_ns < wake)
			wake = t->called ? q->last_ns + g_eng.conf.quiet_ns
					 : now + g_eng.conf.quiet_ns;
	}
	if (g_eng.t_when >= 0 && now >= g_eng.t_when) {
		g_eng.t_when = -1;
		sched_on_timer(g_eng.s, now);
	}
	if (g_eng.t_when >= 0 && g_eng.t_when < wake)
		wake = g_eng.t_when;
	return wake;
}

static void sleep_ns(hs_ns ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *poller_main(void *arg)
{
	struct head *h = NULL;
	size_t cap = 0;
	hs_ns nap = g_eng.conf.poll_ns;  /* the next sleep with events out */
	/* its sleeps are ~15 us: the default 50 us slack would triple them */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	if (g_eng.ctx)
		g_eng.plat->bind_thread(g_eng.ctx);
	pthread_mutex_lock(&g_eng.mu);
	while (!g_eng.stop) {
		tend_queues();
		g_eng.fifo_new = 0;
		size_t n = 0;
		unsigned waiters = 0;
		for (struct squeue *q = g_eng.queues; q; q = q->next) {
			if (!q->fifo_head)
				continue;
			waiters += q->nwait;
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 16;
				struct head *nh = realloc(h, nc * sizeof(*nh));
				if (!nh)
					break;
				h = nh;
				cap = nc;
			}
			h[n++] = (struct head){ q, q->fifo_head, q->fifo_tail, q->fifo_pops, 1, 1 };
		}
		if (n) {
			/* queues stay (only the poller frees them); a head
			 * popped meanwhile is left alone (fifo_pops) */
			pthread_mutex_unlock(&g_eng.mu);
			uint64_t nq = n;
			for (size_t i = 0; i < n; i++) {
				h[i].r = h[i].rt = g_eng.plat->event_query(h[i].t->ev);
				if (h[i].t != h[i].c && h[i].rt == 1) {
					h[i].r = g_eng.plat->event_query(h[i].c->ev);
					nq++;
				}
			}
			pthread_mutex_lock(&g_eng.mu);
			g_eng.poll_rounds++;
			g_eng.poll_queries += nq;
		}
		hs_ns now = shim__now();
		int any = 0;
		for (size_t i = 0; i < n && !g_eng.stop; i++) {
			struct squeue *q = h[i].q;
			if (h[i].r == 1 || q->fifo_pops != h[i].pops)
				continue;       /* not ready; errors count as done */
			/* the newest done: every marker up to it at once (it is
			 * still queued: nothing was popped since the look) */
			int last;
			do {
				last = h[i].rt == 1 || q->fifo_head == h[i].t;
				shim__fifo_pop(q, now);
			} while (!last);
			any = 1;
		}
		if (g_eng.stop)
			break;
		hs_ns wake = tend_time(now);
		/* look again at once while a caller waits for a completion, or
		 * when tend_time recorded a marker; after progress nobody waits
		 * for, a poll period first (a lifted queue's markers complete
		 * one after another: polling back to back only fights its
		 * launching thread for the lock; a sync reports its own) */
		if ((any && waiters) || g_eng.fifo_new)
			continue;
		if (n) {
			/* a caller held at its threshold waits for this very
			 * completion: look again sooner; with nobody waiting,
			 * each look that found nothing done doubles the next
			 * nap up to poll_max_ns (an event query costs the
			 * driver 1.3 us, h200.md 16.1; a closed loop's markers
			 * complete ~200 us apart) */
			if (waiters || any)
				nap = g_eng.conf.poll_ns;
			else if (nap < g_eng.conf.poll_max_ns)
				nap = 2 * nap < g_eng.conf.poll_max_ns ? 2 * nap
								      : g_eng.conf.poll_max_ns;
			pthread_mutex_unlock(&g_eng.mu);
			sleep_ns(waiters ? g_eng.conf.poll_ns / 8 + 1 : nap);
			pthread_mutex_lock(&g_eng.mu);
			continue;
		}
		nap = g_eng.conf.poll_ns;
		g_eng.poller_sleeping = 1;
		g_eng.poller_wake = wake;
		if (wake == INT64_MAX) {
			pthread_cond_wait(&g_eng.cv, &g_eng.mu);
		} else {
			struct timespec ts = { wake / 1000000000, wake % 1000000000 };
			pthread_cond_timedwait(&g_eng.cv, &g_eng.mu, &ts);
		}
		g_eng.poller_sleeping = 0;
	}
	pthread_mutex_unlock(&g_eng.mu);
	free(h);
	return NULL;
}

/* ---- start, fork, exit ---------------------------------------------------------- */
int shim__start(void)
{
	if (g_eng.started)
		return HS_OK;
	if (g_eng.failed)
		return HS_EINVAL;
	struct sched_env env = {
		.ops = &shim__backend, .timer_set = shim__timer_set,
		.cmd_done = shim__cmd_done, .decided = shim__decided,
		.preempted = shim__preempted,
	};
	struct sched *s = NULL;
	char err[256];
	if (g_eng.conf.socket) {
		s = open_remote(&env);
	} else {
		int e;
		s = sched_create(&env, g_eng.conf.policy, g_eng.conf.params,
				 g_eng.conf.nparams, &e, err, sizeof(err));
		if (!s)
			fprintf(stderr, "hipsched[%d]: HIPSCHED_POLICY=%s: %s; not scheduling\n",
				(int)getpid(), g_eng.conf.policy, err);
	}
	if (!s)
		goto fail;
	g_eng.s = s;
	g_eng.ctx = g_eng.plat->current_ctx();
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g_eng.cv, &ca);
	pthread_condattr_destroy(&ca);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&g_eng.poller, NULL, poller_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		fprintf(stderr, "hipsched[%d]: poller thread: %s; not scheduling\n",
			(int)getpid(), strerror(e));
		goto fail;
	}
	g_eng.poller_up = 1;
	g_eng.started = 1;
	shim__py_init();
	if (g_eng.conf.log)
		shim__log("%s: policy %s, threshold %u, batch %u, priority %d%s%s",
			  g_eng.plat->name, sched_policy(s)->name, g_eng.conf.threshold,
			  g_eng.conf.batch, g_eng.conf.priority,
			  g_eng.conf.socket ? ", server " : "",
			  g_eng.conf.socket ? g_eng.conf.socket : "");
	return HS_OK;
fail:
	g_eng.failed = 1;
	shim__enabled = 0;
	return HS_EINVAL;
}

static void fork_prepare(void) { pthread_mutex_lock(&g_eng.mu); }
static void fork_parent(void) { pthread_mutex_unlock(&g_eng.mu); }

/* The child has no poller and shares no connection: it starts over, with
 * the same configuration, at its first intercepted call. */
static void fork_child(void)
{
	pthread_mutex_init(&g_eng.mu, NULL);
	shim__queues_forget();
	g_eng.s = NULL;           /* the parent's core is left as it is */
	g_eng.client = NULL;
	g_eng.started = g_eng.poller_up = g_eng.poller_sleeping = 0;
	g_eng.t_when = -1;
	g_eng.gen++;
	shim__preempt_reset();
	shim__enabled = !g_eng.failed && !g_eng.stop &&
		    (g_eng.conf.policy || g_eng.conf.socket);
}

static void write_stats(void);

/* Never waits on the GPU: held callers are let go (they make their calls
 * unscheduled), the poller is stopped and joined (it never blocks). */
static void at_exit(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (pthread_mutex_timedlock(&g_eng.mu, &ts))
		return;         /* a thread died holding it: leave everything */
	int up = g_eng.poller_up;
	g_eng.stop = 1;
	shim__enabled = 0;
	for (struct squeue *q = g_eng.queues; q; q = q->next)
		pthread_cond_broadcast(&q->cv);
	if (up)
		pthread_cond_signal(&g_eng.cv);
	pthread_mutex_unlock(&g_eng.mu);
	if (up) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_timedjoin_np(g_eng.poller, NULL, &ts);
		g_eng.poller_up = 0;
	}
	if (g_eng.started) {
		pthread_mutex_lock(&g_eng.mu);
		write_stats();
		pthread_mutex_unlock(&g_eng.mu);
		if (g_eng.client && hs_client_close)
			hs_client_close(g_eng.client);
		g_eng.client = NULL;
	}
}

void shim__init(const struct shim_plat *p)
{
	static int done;
	if (done)
		return;
	done = 1;
	g_eng.plat = p;
	shim__conf_load();
	if (!shim__enabled)
		return;
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atexit(at_exit);
}

/* ---- statistics -------------------------------------------------------------------- */
/* $HIPSCHED_STATS with %p replaced by the pid. */
static void stats_path(char *buf, size_t len)
{
	const char *s = g_eng.conf.stats;
	size_t o = 0;
	for (; *s && o + 16 < len; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			o += (size_t)snprintf(buf + o, len - o, "%d", (int)getpid());
			s++;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
}

static void write_queue(FILE *f, const struct squeue *q, int first)
{
	struct xq_stats st;
	char nm[48];
	shim__queue_stats(q, &st);
	shim__queue_name(q, nm, sizeof(nm));
	fprintf(f, "%s\n    {\"id\": %d, \"stream\": \"%s\", \"priority\": %d, "
		"\"platform_priority\": %d, \"commands\": %llu, \"launched\": %llu, "
		"\"completed\": %llu, \"suspends\": %llu, \"resumes\": %llu, "
		"\"max_inflight\": %zu, \"held\": %llu, \"held_ns\": %lld, "
		"\"held_suspended\": %llu, \"held_suspended_ns\": %lld, "
		"\"own_ns\": %lld, \"records\": %llu, "
		"\"destroyed\": %s, \"kinds\": {", first ? "" : ",",
		q->id, nm, -q->plat_prio + g_eng.conf.priority, q->plat_prio,
		(unsigned long long)st.submitted, (unsigned long long)st.launched,
		(unsigned long long)st.completed, (unsigned long long)st.suspends,
		(unsigned long long)st.resumes, st.max_inflight,
		(unsigned long long)q->held, (long long)q->held_ns,
		(unsigned long long)q->held_susp, (long long)q->held_susp_ns,
		(long long)q->own_ns, (unsigned long long)q->records,
		q->xq ? "false" : "true");
	for (int k = 0; k < SHIM_NKINDS; k++)
		fprintf(f, "%s\"%s\": %llu", k ? ", " : "", shim__kind_name(k),
			(unsigned long long)q->kinds[k]);
	fprintf(f, "}}");
	if (g_eng.conf.log)
		shim__log("queue %d (%s): %llu commands, %llu launched, %llu completed, "
			  "%llu suspends, max %zu in flight", q->id, nm,
			  (unsigned long long)st.submitted, (unsigned long long)st.launched,
			  (unsigned long long)st.completed, (unsigned long long)st.suspends,
			  st.max_inflight);
}

/* Lock held. Queues freed before exit are not in the file. */
static void write_stats(void)
{
	char path[4096], tmp[4200];
	FILE *f = NULL;
	if (g_eng.conf.stats) {
		stats_path(path, sizeof(path));
		snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
		f = fopen(tmp, "w");
		if (!f)
			fprintf(stderr, "hipsched[%d]: HIPSCHED_STATS=%s: %s\n",
				(int)getpid(), path, strerror(errno));
	}
	if (f)
		fprintf(f, "{\"pid\": %d, \"platform\": \"%s\", \"policy\": \"%s\", "
			"\"threshold\": %u, \"batch\": %u, ", (int)getpid(),
			g_eng.plat->name, sched_policy(g_eng.s)->name,
			g_eng.conf.threshold, g_eng.conf.batch);
	if (f) {
		fprintf(f, "\"poller\": {\"rounds\": %llu, \"queries\": %llu, "
			"\"kicks\": %llu}, ", (unsigned long long)g_eng.poll_rounds,
			(unsigned long long)g_eng.poll_queries,
			(unsigned long long)g_eng.kicks);
		shim__preempt_json(f);
		fprintf(f, "\"queues\": [");
	}
	int first = 1;
	FILE *sink = f ? f : fopen("/dev/null", "w");
	if (!sink)
		return;
	for (struct squeue *q = g_eng.queues; q; q = q->next, first = 0)
		write_queue(sink, q, first);
	for (struct squeue *q = g_eng.retired; q; q = q->next, first = 0)
		write_queue(sink, q, first);
	if (!f) {
		fclose(sink);
		return;
	}
	fprintf(f, "\n]}\n");
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "hipsched[%d]: HIPSCHED_STATS=%s: %s\n", (int)getpid(),
			path, strerror(errno));
		unlink(tmp);
	}
}
