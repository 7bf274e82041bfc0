/*
 * One policy over several processes (the XSched policy server, built into
 * the parent of `hipsched hw`).
 *
 * A run whose tenants live in more than one process, under a policy that
 * controls anything (not POLICY_F_PASSTHROUGH), runs its policy once, in
 * the parent: the server holds one scheduler core (struct sched) with the
 * run's policy and one proxy queue (xq_config.proxy) per tenant queue of
 * every child. Each child's own core runs the policy "remote", which
 * decides nothing: it forwards every change of a queue's (pending,
 * inflight, deadline) to the server. The server sets the proxy's load, the
 * policy runs there and its decisions (sched_env.decided) go back to the
 * owning child, where a receiver thread applies them with sched_suspend /
 * sched_resume under the engine's core lock; the child's core then
 * suspends the real queue at the scenario's preemption level.
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET socketpair per child; every
 * message is one struct relay_msg (40 bytes) in both directions, sent from
 * the stack, never allocated. The server loop blocks in ppoll() on all the
 * children's sockets with a timeout at the policy's next timer (ns
 * resolution, timer slack 1 ns). Every timestamp is CLOCK_MONOTONIC
 * (hw__now), which is system-wide, so a decision can carry the send time of
 * the load message that caused it and the child measures the round trip
 * (load sent -> decision applied) on one clock.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "scenario.h"
#include "serve_internal.h"

enum relay_op { RELAY_LOAD = 1, RELAY_SUSPEND = 2, RELAY_RESUME = 3 };

struct relay_msg {
	int32_t tenant;           /* the scenario's tenant index */
	int32_t op;               /* enum relay_op */
	uint32_t pending, inflight;
	hs_ns deadline_ns;        /* LOAD: the queue's deadline */
	hs_ns sent_ns;            /* LOAD: when sent; decision: the sent_ns
	                           * of the load that caused it, 0 if a
	                           * timer did */
	hs_ns dec_ns;             /* decision: when the server sent it */
};

/* HIPSCHED_RELAY_SPIN=1: the server and the receivers poll their sockets
 * without sleeping (one busy core each) instead of blocking. */
static int relay_spin(void)
{
	const char *v = getenv("HIPSCHED_RELAY_SPIN");
	return v && *v == '1';
}

static int send_msg(int fd, const struct relay_msg *m)
{
	for (;;) {
		ssize_t w = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
		if (w == (ssize_t)sizeof(*m))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

/* ---- child side: the "remote" policy and the receiver ------------------------ */
struct hw_relay_client {
	int fd;
	struct hw_engine *e;
	int *qid;                 /* by tenant: the child's xq id, -1 none */
	size_t ntenants;
	pthread_t thr;
	int started;
	struct hw_relay_sample *rtt;  /* round trips (receiver thread only) */
	size_t nrtt, rttcap;
	uint64_t applied;
};

/* Forwards each bound queue's load when it changed (core lock held). */
static void sched_remote(struct sched *s, void *state, const struct sched_status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct xq_status *q = &st->q[i];
		struct hw_relay_ep *ep = q->user;
		if (!ep || !ep->c)
			continue;
		uint32_t p = (uint32_t)q->pending, f = (uint32_t)q->inflight;
		if (ep->sent && ep->pending == p && ep->inflight == f &&
		    ep->deadline_ns == q->deadline_ns)
			continue;
		struct relay_msg m = { .tenant = ep->tenant, .op = RELAY_LOAD,
				       .pending = p, .inflight = f,
				       .deadline_ns = q->deadline_ns, .sent_ns = hw__now() };
		if (send_msg(ep->c->fd, &m))
			continue;       /* server gone: the run is ending */
		ep->sent = 1;
		ep->pending = p;
		ep->inflight = f;
		ep->deadline_ns = q->deadline_ns;
	}
}

const struct policy_ops hw__policy_remote = {
	.name = "remote",
	.summary = "hw/ internal: the policy runs in the parent process (relay)",
	.sched = sched_remote,
};

int hw__relay_register(void)
{
	if (policy_find(hw__policy_remote.name) == &hw__policy_remote)
		return HS_OK;
	return policy_register(&hw__policy_remote);
}

int hw__relay_client_create(int fd, struct hw_engine *e, size_t ntenants,
			    struct hw_relay_client **out)
{
	struct hw_relay_client *c = calloc(1, sizeof(*c));
	if (!c)
		return HS_ENOMEM;
	c->fd = fd;
	c->e = e;
	c->ntenants = ntenants;
	c->qid = malloc((ntenants ? ntenants : 1) * sizeof(*c->qid));
	c->rttcap = 4096;
	c->rtt = malloc(c->rttcap * sizeof(*c->rtt));
	if (!c->qid || !c->rtt) {
		hw__relay_client_free(c);
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < ntenants; i++)
		c->qid[i] = -1;
	*out = c;
	return HS_OK;
}

int hw__relay_client_bind(struct hw_relay_client *c, struct hw_relay_ep *ep,
			  size_t tenant, struct xq *q)
{
	if (tenant >= c->ntenants || xq_user(q) != ep)
		return HS_EINVAL;
	hw__engine_lock(c->e);
	c->qid[tenant] = xq_id(q);
	ep->tenant = (int32_t)tenant;
	ep->sent = 0;
	ep->c = c;
	hw__engine_unlock(c->e);
	return HS_OK;
}

static void *client_main(void *arg)
{
	struct hw_relay_client *c = arg;
	struct sched *s = hw__engine_sched(c->e);
	int spin = relay_spin();
	for (;;) {
		struct relay_msg m;
		ssize_t r = recv(c->fd, &m, sizeof(m), spin ? MSG_DONTWAIT : 0);
		if (r < 0 && (errno == EINTR || (spin && (errno == EAGAIN ||
							  errno == EWOULDBLOCK))))
			continue;
		if (r <= 0)
			break;
		hs_ns got = hw__now();
		if (r != (ssize_t)sizeof(m) || m.tenant < 0 ||
		    (size_t)m.tenant >= c->ntenants || c->qid[m.tenant] < 0 ||
		    (m.op != RELAY_SUSPEND && m.op != RELAY_RESUME))
			continue;
		hw__engine_lock(c->e);
		hs_ns now = hw__now();
		if (m.op == RELAY_SUSPEND)
			sched_suspend(s, c->qid[m.tenant], now);
		else
			sched_resume(s, c->qid[m.tenant], now);
		hw__engine_unlock(c->e);
		hs_ns t = hw__now();
		c->applied++;
		if (m.sent_ns <= 0)
			continue;
		if (c->nrtt == c->rttcap) {
			struct hw_relay_sample *nv = realloc(c->rtt, 2 * c->rttcap * sizeof(*nv));
			if (!nv)
				continue;
			c->rtt = nv;
			c->rttcap *= 2;
		}
		c->rtt[c->nrtt++] = (struct hw_relay_sample){
			.rtt_ns = t - m.sent_ns, .back_ns = t - m.dec_ns,
			.lock_ns = now - got };
	}
	return NULL;
}

int hw__relay_client_start(struct hw_relay_client *c)
{
	if (c->started)
		return HS_OK;
	if (pthread_create(&c->thr, NULL, client_main, c))
		return HS_ENOMEM;
	c->started = 1;
	return HS_OK;
}

void hw__relay_client_stop(struct hw_relay_client *c)
{
	if (!c || !c->started)
		return;
	shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->thr, NULL);
	c->started = 0;
}

size_t hw__relay_client_rtt(const struct hw_relay_client *c,
			    const struct hw_relay_sample **v, uint64_t *applied)
{
	*v = c->rtt;
	if (applied)
		*applied = c->applied;
	return c->nrtt;
}

void hw__relay_client_free(struct hw_relay_client *c)
{
	if (!c)
		return;
	hw__relay_client_stop(c);
	free(c->qid);
	free(c->rtt);
	free(c);
}

/* ---- parent side: the policy server -------------------------------------------- */
struct proxy {
	struct xq *xq;
	int fd;                   /* the owning child's socket */
	int32_t tenant;
	hs_ns deadline_ns;
};

struct hw_relay_server {
	struct sched *s;
	struct proxy *px;         /* by tenant; xq NULL: none */
	size_t ntenants;
	struct pollfd *pfd;       /* one per child socket */
	size_t nfd;
	hs_ns timer;              /* < 0: none */
	hs_ns cause;              /* sent_ns of the load being handled */
	struct hw_relay_stats st;
	hs_ns *in;                /* load sent -> received, the last HW_RELAY_NIN */
	size_t nin;
};

#define HW_RELAY_NIN 65536u

/* Proxies are never launched on: a call here is a core bug. */
static void launch_never(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	abort();
}

static const struct backend_ops relay_ops = {
	.name = "relay",
	.launch = launch_never,
};

static void srv_timer_set(void *ctx, hs_ns when)
{
	struct hw_relay_server *s = ctx;
	s->timer = when;
}

static void srv_cmd_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
}

static void srv_decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	struct hw_relay_server *s = ctx;
	struct proxy *p = xq_user(q);
	struct relay_msg m = { .tenant = p->tenant,
			       .op = suspended ? RELAY_SUSPEND : RELAY_RESUME,
			       .sent_ns = s->cause, .dec_ns = hw__now() };
	if (send_msg(p->fd, &m) == 0) {
		if (suspended)
			s->st.suspends++;
		else
			s->st.resumes++;
	}
}

int hw__relay_server_create(const char *policy, const struct hs_param *params,
			    size_t nparams, size_t ntenants,
			    struct hw_relay_server **out, char *err, size_t errlen)
{
	struct hw_relay_server *s = calloc(1, sizeof(*s));
	if (!s || !(s->px = calloc(ntenants ? ntenants : 1, sizeof(*s->px))) ||
	    !(s->pfd = calloc(ntenants ? ntenants : 1, sizeof(*s->pfd))) ||
	    !(s->in = malloc(HW_RELAY_NIN * sizeof(*s->in)))) {
		hw__relay_server_free(s);
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	s->ntenants = ntenants;
	s->timer = -1;
	struct sched_env env = {
		.ops = &relay_ops,
		.ctx = s,
		.timer_set = srv_timer_set,
		.cmd_done = srv_cmd_done,
		.decided = srv_decided,
	};
	int rc = 0;
	s->s = sched_create(&env, policy, params, nparams, &rc, err, errlen);
	if (!s->s) {
		hw__relay_server_free(s);
		return rc ? rc : HS_EINVAL;
	}
	*out = s;
	return HS_OK;
}

int hw__relay_server_add(struct hw_relay_server *s, int fd, size_t tenant,
			 int priority, int level)
{
	if (tenant >= s->ntenants || s->px[tenant].xq || fd < 0)
		return HS_EINVAL;
	struct proxy *p = &s->px[tenant];
	p->fd = fd;
	p->tenant = (int32_t)tenant;
	p->deadline_ns = INT64_MAX;
	struct xq_config cfg = { .priority = priority, .level = level,
				 .user = p, .proxy = 1 };
	int rc = xq_create(s->s, &cfg, &p->xq);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->nfd; i++)
		if (s->pfd[i].fd == fd)
			return HS_OK;
	s->pfd[s->nfd++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	return HS_OK;
}

/* A child's socket closed: its queues are idle from now on. */
static void child_gone(struct hw_relay_server *s, struct pollfd *pf, hs_ns now)
{
	for (size_t i = 0; i < s->ntenants; i++)
		if (s->px[i].xq && s->px[i].fd == pf->fd) {
			s->px[i].fd = -1;
			xq_set_proxy_load(s->px[i].xq, 0, 0, now);
		}
	pf->fd = -1;             /* poll ignores it */
}

static void handle(struct hw_relay_server *s, int fd, const struct relay_msg *m)
{
	if (m->op != RELAY_LOAD || m->tenant < 0 || (size_t)m->tenant >= s->ntenants)
		return;
	struct proxy *p = &s->px[m->tenant];
	if (!p->xq || p->fd != fd)
		return;
	hs_ns now = hw__now();
	s->in[s->nin++ % HW_RELAY_NIN] = now - m->sent_ns;
	s->st.loads++;
	s->cause = m->sent_ns;
	if (m->deadline_ns != p->deadline_ns) {
		p->deadline_ns = m->deadline_ns;
		xq_set_deadline(p->xq, m->deadline_ns, now);
	}
	xq_set_proxy_load(p->xq, m->pending, m->inflight, now);
	s->cause = 0;
}

int hw__relay_server_run(struct hw_relay_server *s, hs_ns tick_ns,
			 void (*tick)(void *ctx), void *ctx)
{
	size_t open = s->nfd;
	int spin = relay_spin();
	hs_ns next_tick = tick ? hw__now() + tick_ns : INT64_MAX;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (open) {
		hs_ns now = hw__now();
		if (s->timer >= 0 && now >= s->timer) {
			s->timer = -1;
			s->st.timers++;
			sched_on_timer(s->s, now);
			continue;
		}
		if (now >= next_tick) {
			tick(ctx);
			next_tick = now + tick_ns;
		}
		hs_ns until = next_tick;
		if (s->timer >= 0 && s->timer < until)
			until = s->timer;
		struct timespec ts, *tsp = NULL;
		if (spin) {
			ts.tv_sec = ts.tv_nsec = 0;
			tsp = &ts;
		} else if (until != INT64_MAX) {
			hs_ns d = until - now;
			ts.tv_sec = d / 1000000000;
			ts.tv_nsec = d % 1000000000;
			tsp = &ts;
		}
		int r = ppoll(s->pfd, s->nfd, tsp, NULL);
		if (r < 0 && errno != EINTR)
			return HW_EIO;
		if (r <= 0)
			continue;
		for (size_t i = 0; i < s->nfd; i++) {
			struct pollfd *pf = &s->pfd[i];
			if (pf->fd < 0 || !pf->revents)
				continue;
			int gone = 0;
			for (;;) {       /* drain what is there */
				struct relay_msg m;
				ssize_t n = recv(pf->fd, &m, sizeof(m), MSG_DONTWAIT);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				if (n <= 0) {
					gone = 1;
					break;
				}
				if (n == (ssize_t)sizeof(m))
					handle(s, pf->fd, &m);
			}
			if (gone || (pf->revents & (POLLERR | POLLNVAL))) {
				child_gone(s, pf, hw__now());
				open--;
			}
		}
	}
	return HS_OK;
}

void hw__relay_server_stats(const struct hw_relay_server *s, struct hw_relay_stats *st)
{
	*st = s->st;
}

struct sched *hw__relay_server_sched(struct hw_relay_server *s)
{
	return s->s;
}

void hw__relay_server_free(struct hw_relay_server *s)
{
	if (!s)
		return;
	if (s->s) {
		for (size_t i = 0; i < s->ntenants; i++)
			if (s->px[i].xq)
				xq_free(s->px[i].xq);
		sched_free(s->s);
	}
	free(s->px);
	free(s->pfd);
	free(s->in);
	free(s);
}

/* ---- round trip statistics ----------------------------------------------------- */
/* " NAME_p50_us=.. NAME_p99_us=.. NAME_max_us=.." of v (ns, sorted in
 * place; 0 for none). */
static void pct(FILE *f, const char *name, double *v, size_t n)
{
	static const double q[3] = { 0.50, 0.99, 1.0 };
	double p[3];
	run_quantiles(v, n, q, p, 3);
	for (int i = 0; i < 3; i++)
		p[i] = n ? p[i] / 1e3 : 0;
	fprintf(f, " %s_p50_us=%.1f %s_p99_us=%.1f %s_max_us=%.1f", name, p[0], name,
		p[1], name, p[2]);
}

int hw__relay_write_stats(const char *path, const char *policy, const char *mode,
			  const struct hw_relay_server *s,
			  const struct hw_relay_sample *rt, size_t n)
{
	size_t nin = s->nin < HW_RELAY_NIN ? s->nin : HW_RELAY_NIN;
	double *v = malloc(((n > nin ? n : nin) + 1) * sizeof(*v));
	if (!v)
		return HS_ENOMEM;
	FILE *f = fopen(path, "a");
	if (!f) {
		free(v);
		return HW_EIO;
	}
	fprintf(f, "relay policy=%s mode=%s spin=%d loads=%llu suspends=%llu resumes=%llu "
		"timers=%llu roundtrips=%zu", policy, mode, relay_spin(),
		(unsigned long long)s->st.loads, (unsigned long long)s->st.suspends,
		(unsigned long long)s->st.resumes, (unsigned long long)s->st.timers, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)rt[i].rtt_ns;
	pct(f, "rtt", v, n);
	for (size_t i = 0; i < nin; i++)
		v[i] = (double)s->in[i];
	pct(f, "to_server", v, nin);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)rt[i].back_ns;
	pct(f, "to_applied", v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)rt[i].lock_ns;
	pct(f, "lock_wait", v, n);
	fputc('\n', f);
	free(v);
	return fclose(f) ? HW_EIO : HS_OK;
}
