/*
 * The client half of the policy server (protocol in serve.h): the "remote"
 * policy that forwards the load of joined queues, and the receiver thread
 * that applies the server's decisions. Depends on core/ and libc /
 * pthread only: libhipsched.so links it (inside arbitrary applications:
 * nothing here prints, exits, takes a signal or raises SIGPIPE).
 *
 * Locking: everything the policy and the receiver share (an endpoint's
 * last sent load, the joined list, `dead`) is read and written under the
 * caller's lock (hs_client_lock), which also guards every core call. The
 * endpoint registry (which endpoints exist) has a mutex of its own, so
 * that endpoints can be made and freed with or without the caller's lock.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve.h"

#define EP_MAGIC 0x68737065u    /* catches a queue whose user is no endpoint */

struct ep {
	uint32_t magic;
	struct hs_client *c;        /* NULL once the client closed */
	void *owner;
	struct xq *xq;              /* joined: the queue; else NULL */
	int32_t qid;                /* -1: not joined */
	int sent;                   /* the load below was sent */
	uint32_t pending, inflight;
	hs_ns deadline_ns;
	hs_ns idle_since;           /* idle, not told yet (idle hold); -1: no */
	struct ep *next;            /* the client's registry */
};

struct hs_client {
	int fd;
	struct sched *s;
	struct hs_client_lock lk;
	pthread_t thr;
	int started;
	int spin;
	hs_ns idle_hold_ns;         /* hs_hello.idle_hold_ns */
	int dead;                   /* server gone, closing, or fork child */
	int closing;
	int32_t next_qid;
	struct ep **joined;         /* under lk */
	size_t njoined, jcap;
	pthread_mutex_t emu;        /* the registry */
	struct ep *eps;
	uint64_t applied, loads;
	struct hs_client *next_all; /* every client of the process (fork) */
};

/* ---- the process's clients, for the fork handler --------------------------- */
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hs_client *all;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fork_prepare(void) { pthread_mutex_lock(&all_mu); }
static void fork_parent(void) { pthread_mutex_unlock(&all_mu); }

/* The child must not share the parent's connection: its copy of each
 * client loses the socket (the parent's stays open) and its thread (fork
 * does not copy it). No lock of the caller is taken here: another thread
 * of the parent may have held it. */
static void fork_child(void)
{
	for (struct hs_client *c = all; c; c = c->next_all) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->dead = 1;
		c->started = 0;
	}
	pthread_mutex_unlock(&all_mu);
}

/* ---- the "remote" policy ------------------------------------------------------ */
static void lk_lock(struct hs_client *c) { c->lk.lock(c->lk.ctx); }
static void lk_unlock(struct hs_client *c) { c->lk.unlock(c->lk.ctx); }

static void logf_(struct hs_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct hs_client *c, const char *fmt, ...)
{
	if (!c->lk.log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->lk.log(c->lk.ctx, line);
}

static void send_load(struct hs_client *c, struct ep *ep, uint32_t p, uint32_t f,
		      hs_ns dl)
{
	struct xq_stats xs;
	xq_get_stats(ep->xq, &xs);
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_LOAD);
	m.u.load = (struct hs_m_load){ .qid = ep->qid, .pending = p, .inflight = f,
				       .deadline_ns = dl, .sent_ns = hs_now(),
				       .launched = xs.launched };
	if (hs_msg_send(c->fd, &m))
		return;         /* server gone: the receiver sees it */
	c->loads++;
	ep->sent = 1;
	ep->pending = p;
	ep->inflight = f;
	ep->deadline_ns = dl;
}

/* Forwards each joined queue's load when it changed (caller's lock held,
 * like every policy call). A client whose server is gone resumes what is
 * suspended and decides nothing from then on. With an idle hold, a queue
 * that goes idle is told only once it stayed idle that long (the core's
 * timer brings the policy back then); busy again before, the server never
 * hears of the gap. */
static void sched_remote(struct sched *s, void *state, const struct sched_status *st)
{
	hs_ns wake = -1;
	int hold = 0;
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		struct ep *ep = q->user;
		if (!ep || ep->magic != EP_MAGIC || !ep->c || ep->qid < 0)
			continue;
		struct hs_client *c = ep->c;
		if (c->dead) {
			if (q->suspended)
				sched_resume(s, q->id, st->now);
			continue;
		}
		uint32_t p = (uint32_t)q->pending, f = (uint32_t)q->inflight;
		hold |= c->idle_hold_ns > 0;
		if (p || f) {
			ep->idle_since = -1;
		} else if (c->idle_hold_ns > 0 && ep->sent && (ep->pending || ep->inflight)) {
			/* the server sees it busy: hold the idle back */
			if (ep->idle_since < 0)
				ep->idle_since = st->now;
			hs_ns due = ep->idle_since + c->idle_hold_ns;
			if (st->now < due) {
				if (wake < 0 || due < wake)
					wake = due;
				continue;
			}
			ep->idle_since = -1;
		}
		if (ep->sent && ep->pending == p && ep->inflight == f &&
		    ep->deadline_ns == q->deadline_ns)
			continue;
		send_load(c, ep, p, f, q->deadline_ns);
	}
	if (hold)
		sched_timer(s, wake);
}

static const struct policy_ops policy_remote = {
	.name = "remote",
	.summary = "hw/serve internal: the policy runs in a policy server",
	.sched = sched_remote,
	.timer = sched_remote,
};

static int reg_rc;
static void reg_once(void)
{
	if (policy_find(policy_remote.name) != &policy_remote)
		reg_rc = policy_register(&policy_remote);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

const char *hs_client_policy_name(void)
{
	pthread_once(&once, reg_once);
	return policy_remote.name;
}

/* ---- endpoints -------------------------------------------------------------------- */
void *hs_client_ep_new(struct hs_client *c)
{
	struct ep *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->magic = EP_MAGIC;
	ep->c = c;
	ep->qid = -1;
	ep->idle_since = -1;
	pthread_mutex_lock(&c->emu);
	ep->next = c->eps;
	c->eps = ep;
	pthread_mutex_unlock(&c->emu);
	return ep;
}

void hs_client_ep_free(void *p)
{
	struct ep *ep = p;
	if (!ep)
		return;
	struct hs_client *c = ep->c;
	if (c) {
		pthread_mutex_lock(&c->emu);
		for (struct ep **pp = &c->eps; *pp; pp = &(*pp)->next)
			if (*pp == ep) {
				*pp = ep->next;
				break;
			}
		pthread_mutex_unlock(&c->emu);
	}
	ep->magic = 0;
	free(ep);
}

void hs_client_ep_set_owner(void *ep, void *owner) { ((struct ep *)ep)->owner = owner; }
void *hs_client_ep_owner(const void *ep) { return ((const struct ep *)ep)->owner; }
int32_t hs_client_ep_qid(const void *ep) { return ((const struct ep *)ep)->qid; }

/* The joined endpoint with that qid (lk held), or NULL. */
static struct ep *find(struct hs_client *c, int32_t qid)
{
	for (size_t i = 0; i < c->njoined; i++)
		if (c->joined[i]->qid == qid)
			return c->joined[i];
	return NULL;
}

/* Resumes every joined queue (lk held). */
static void resume_all(struct hs_client *c)
{
	hs_ns now = hs_now();
	for (size_t i = 0; i < c->njoined; i++) {
		struct xq_stats xs;
		xq_get_stats(c->joined[i]->xq, &xs);
		if (xs.suspended)
			sched_resume(c->s, xq_id(c->joined[i]->xq), now);
	}
}

int hs_client_join(struct hs_client *c, struct xq *q, int priority)
{
	struct ep *ep = xq_user(q);
	if (!c || !ep || ep->magic != EP_MAGIC || ep->c != c)
		return HS_EINVAL;
	lk_lock(c);
	int rc = HS_OK;
	if (ep->qid >= 0) {
		rc = HS_EINVAL;
		goto out;
	}
	if (c->njoined == c->jcap) {
		size_t nc = c->jcap ? 2 * c->jcap : 8;
		struct ep **nv = realloc(c->joined, nc * sizeof(*nv));
		if (!nv) {
			rc = HS_ENOMEM;
			goto out;
		}
		c->joined = nv;
		c->jcap = nc;
	}
	ep->qid = c->next_qid++;
	ep->xq = q;
	ep->sent = 0;
	c->joined[c->njoined++] = ep;
	if (c->dead) {
		rc = SERVE_ECONN;
		goto out;
	}
	/* JOIN, then the current load, both before any LOAD the policy sends
	 * (it runs under this same lock) */
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_JOIN);
	m.u.join = (struct hs_m_join){ .qid = ep->qid, .priority = priority,
				       .level = xq_level(q) };
	if (hs_msg_send(c->fd, &m)) {
		rc = SERVE_ECONN;
		goto out;
	}
	struct xq_stats xs;
	xq_get_stats(q, &xs);
	send_load(c, ep, (uint32_t)xs.pending, (uint32_t)xs.inflight, INT64_MAX);
out:
	lk_unlock(c);
	return rc;
}

int hs_client_leave(struct hs_client *c, struct xq *q)
{
	struct ep *ep = xq_user(q);
	if (!c || !ep || ep->magic != EP_MAGIC || ep->c != c)
		return HS_EINVAL;
	lk_lock(c);
	size_t i = 0;
	while (i < c->njoined && c->joined[i] != ep)
		i++;
	if (i == c->njoined) {
		lk_unlock(c);
		return HS_EINVAL;
	}
	if (!c->dead) {
		struct hs_msg m;
		hs_msg_init(&m, HS_OP_LEAVE);
		m.u.qid.qid = ep->qid;
		hs_msg_send(c->fd, &m);
	}
	struct xq_stats xs;
	xq_get_stats(q, &xs);
	if (xs.suspended)
		sched_resume(c->s, xq_id(q), hs_now());
	c->joined[i] = c->joined[--c->njoined];
	ep->qid = -1;
	ep->xq = NULL;
	lk_unlock(c);
	return HS_OK;
}

/* ---- the receiver ---------------------------------------------------------------- */
static void apply(struct hs_client *c, const struct hs_msg *m)
{
	hs_ns got = hs_now();
	lk_lock(c);
	hs_ns locked = hs_now();
	int any = 0;
	for (uint32_t i = 0; i < m->u.dec.n && !c->dead; i++) {
		struct ep *ep = find(c, (int32_t)(m->u.dec.d[i] & ~HS_DECIDE_SUSPEND));
		if (!ep)
			continue;      /* left meanwhile */
		if (m->u.dec.d[i] & HS_DECIDE_SUSPEND)
			sched_suspend(c->s, xq_id(ep->xq), locked);
		else
			sched_resume(c->s, xq_id(ep->xq), locked);
		c->applied++;
		any = 1;
	}
	lk_unlock(c);
	if (!any || m->u.dec.cause_ns <= 0)
		return;
	hs_ns t = hs_now();
	struct hs_msg a;
	hs_msg_init(&a, HS_OP_APPLIED);
	a.u.applied = (struct hs_m_applied){
		.qid = (int32_t)(m->u.dec.d[0] & ~HS_DECIDE_SUSPEND),
		.suspended = !!(m->u.dec.d[0] & HS_DECIDE_SUSPEND),
		.rtt_ns = t - m->u.dec.cause_ns,
		.back_ns = t - m->u.dec.sent_ns,
		.lock_ns = locked - got };
	hs_msg_send(c->fd, &a);
}

static void *receiver(void *arg)
{
	struct hs_client *c = arg;
	for (;;) {
		struct hs_msg m;
		ssize_t r = hs_msg_recv(c->fd, &m, c->spin ? MSG_DONTWAIT : 0);
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			continue;
		if (r <= 0)
			break;
		char why[128];
		if (hs_msg_check(&m, (size_t)r, why, sizeof(why))) {
			logf_(c, "policy server sent a bad message (%s): ignored", why);
			continue;
		}
		if (m.h.op == HS_OP_DECIDE)
			apply(c, &m);
		else if (m.h.op == HS_OP_ERROR || m.h.op == HS_OP_REFUSE)
			logf_(c, "policy server: %.*s", HS_TEXT_MAX, m.u.text.text);
	}
	lk_lock(c);
	int closing = c->closing;
	c->dead = 1;
	resume_all(c);
	lk_unlock(c);
	if (!closing)
		logf_(c, "policy server gone: every queue runs unscheduled");
	return NULL;
}

/* HELLO, then WELCOME or REFUSE within 5 s. */
static int handshake(struct hs_client *c, const struct hs_hello *h, char *err, size_t errlen)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_HELLO);
	struct hs_m_hello *o = &m.u.hello;
	o->version = HS_PROTO_VERSION;
	o->pid = h->pid ? h->pid : (int32_t)getpid();
	o->priority = h->priority;
	o->level = h->level;
	o->slo_ns = h->slo_ns;
	o->deadline_ns = h->deadline_ns;
	o->weight = h->weight;
	if (h->name && *h->name)
		snprintf(o->name, sizeof(o->name), "%s", h->name);
	else
		snprintf(o->name, sizeof(o->name), "pid-%d", (int)o->pid);
	if (hs_msg_send(c->fd, &m)) {
		snprintf(err, errlen, "policy server: sending HELLO: %s", strerror(errno));
		return SERVE_ECONN;
	}
	struct pollfd pf = { .fd = c->fd, .events = POLLIN };
	hs_ns until = hs_now() + 5000000000;
	for (;;) {
		hs_ns left = until - hs_now();
		int pr = left > 0 ? poll(&pf, 1, (int)(left / 1000000) + 1) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			snprintf(err, errlen, "policy server: no answer to HELLO within 5 s");
			return SERVE_ECONN;
		}
		ssize_t r = hs_msg_recv(c->fd, &m, MSG_DONTWAIT);
		if (r == -EAGAIN)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "policy server closed the connection during HELLO");
			return SERVE_ECONN;
		}
		char why[128];
		if (hs_msg_check(&m, (size_t)r, why, sizeof(why))) {
			snprintf(err, errlen, "policy server: bad answer to HELLO (%s)", why);
			return SERVE_EPROTO;
		}
		if (m.h.op == HS_OP_REFUSE) {
			snprintf(err, errlen, "policy server refused us: %.*s", HS_TEXT_MAX,
				 m.u.text.text);
			return SERVE_EPROTO;
		}
		if (m.h.op != HS_OP_WELCOME || m.u.welcome.version != HS_PROTO_VERSION) {
			snprintf(err, errlen, "policy server: answered HELLO with %s "
				 "(protocol version %u; ours is %d)", hs_op_name(m.h.op),
				 m.h.op == HS_OP_WELCOME ? m.u.welcome.version : 0,
				 HS_PROTO_VERSION);
			return SERVE_EPROTO;
		}
		return HS_OK;
	}
}

int hs_client_open(const char *path, int fd, const struct hs_hello *h,
		   struct sched *s, const struct hs_client_lock *lk,
		   struct hs_client **out, char *err, size_t errlen)
{
	hs_client_policy_name();
	if (reg_rc) {
		snprintf(err, errlen, "registering the remote policy: %s", hs_strerror(reg_rc));
		if (fd >= 0)
			close(fd);
		return reg_rc;
	}
	if (!s || !lk || !lk->lock || !lk->unlock || !h ||
	    strcmp(sched_policy(s)->name, policy_remote.name) != 0) {
		snprintf(err, errlen, "hs_client_open: needs a core running \"%s\" and a lock",
			 policy_remote.name);
		if (fd >= 0)
			close(fd);
		return HS_EINVAL;
	}
	if (fd < 0) {
		if (!path) {
			snprintf(err, errlen, "hs_client_open: no socket path");
			return HS_EINVAL;
		}
		fd = hs_connect(path);
		if (fd < 0) {
			snprintf(err, errlen, "cannot reach the policy server at %s: %s "
				 "(is `hipsched serve` running?)", path, strerror(-fd));
			return SERVE_ECONN;
		}
	}
	struct hs_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	c->fd = fd;
	c->s = s;
	c->lk = *lk;
	const char *sp = getenv(HS_ENV_SPIN);
	c->spin = sp && *sp == '1';
	c->idle_hold_ns = h->idle_hold_ns > 0 ? h->idle_hold_ns : 0;
	pthread_mutex_init(&c->emu, NULL);
	int rc = handshake(c, h, err, errlen);
	if (rc) {
		close(fd);
		pthread_mutex_destroy(&c->emu);
		free(c);
		return rc;
	}
	pthread_mutex_lock(&all_mu);
	c->next_all = all;
	all = c;
	pthread_mutex_unlock(&all_mu);
	/* the receiver takes no signal of the application's */
	sigset_t every, old;
	sigfillset(&every);
	pthread_sigmask(SIG_SETMASK, &every, &old);
	int pe = pthread_create(&c->thr, NULL, receiver, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pe) {
		c->dead = 1;
		hs_client_close(c);
		snprintf(err, errlen, "cannot start the policy client's thread");
		return HS_ENOMEM;
	}
	c->started = 1;
	*out = c;
	return HS_OK;
}

void hs_client_stats(struct hs_client *c, struct hs_client_stats *st)
{
	lk_lock(c);
	st->applied = c->applied;
	st->loads = c->loads;
	st->connected = !c->dead;
	lk_unlock(c);
}

void hs_client_close(struct hs_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&all_mu);
	for (struct hs_client **pp = &all; *pp; pp = &(*pp)->next_all)
		if (*pp == c) {
			*pp = c->next_all;
			break;
		}
	pthread_mutex_unlock(&all_mu);
	lk_lock(c);
	int was_dead = c->dead;
	c->closing = 1;
	c->dead = 1;
	resume_all(c);
	pthread_mutex_lock(&c->emu);
	for (struct ep *ep = c->eps; ep; ep = ep->next)
		ep->c = NULL;      /* the policy ignores them from now on */
	c->eps = NULL;
	pthread_mutex_unlock(&c->emu);
	lk_unlock(c);
	if (c->fd >= 0) {
		if (!was_dead) {
			struct hs_msg m;
			hs_msg_init(&m, HS_OP_BYE);
			hs_msg_send(c->fd, &m);
		}
		shutdown(c->fd, SHUT_RDWR);
	}
	if (c->started)
		pthread_join(c->thr, NULL);
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->emu);
	free(c->joined);
	free(c);
}
