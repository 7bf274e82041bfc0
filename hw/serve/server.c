/*
 * The server half of the policy server (protocol in serve.h): one core
 * with the policy over proxy queues, one per queue a client joined; a
 * single-threaded loop in ppoll() over the listening socket, every
 * connection and a wake-up pipe, with a timeout at the policy's next timer
 * (ns resolution, timer slack 1 ns) or the oldest silent connection's
 * HELLO deadline. Connections are non-blocking both ways: what a client's
 * socket does not take waits in the connection's outbox (send.c, with the
 * decisions' DECIDE packing); a client that stops reading is dropped once
 * HS_OUTBOX_MAX messages wait, rather than letting it stall everyone else.
 * A dropped connection's proxies are freed (the policy runs for the
 * others) at the end of the loop iteration, never inside a callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <csv.h>
#include "serve_internal.h"
#include "scenario.h"

/* Proxies are never launched on: a call here is a core bug. */
static void launch_never(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
	abort();
}

static const struct backend_ops proxy_ops = {
	.name = "serve",
	.launch = launch_never,
};

void serve__log(struct hs_server *s, const char *fmt, ...)
{
	if (!s->o.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_ctx, line);
}

/* ---- the core's environment ---------------------------------------------------- */
static void env_timer_set(void *ctx, hs_ns when)
{
	struct hs_server *s = ctx;
	s->timer = when;
	s->timer_polled = 0;
}

static void env_cmd_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
}

/* The decision the core just made for p, with the policy call's why and
 * the queue that call concerned. */
static struct hs_decision decision_of(struct hs_server *s, struct proxy *p, int suspended)
{
	int qid = -1;
	struct hs_decision d = { .client = p->c->name, .qid = p->qid,
				 .suspended = suspended, .at_ns = hs_now(),
				 .policy = s->policy, .by_qid = -1 };
	d.why = sched_why(s->s, &qid);
	for (size_t i = 0; i < s->np && qid >= 0; i++)
		if (s->p[i]->xq && s->p[i]->c && xq_id(s->p[i]->xq) == qid) {
			d.by_client = s->p[i]->c->name;
			d.by_qid = s->p[i]->qid;
			break;
		}
	return d;
}

static void env_decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	struct hs_server *s = ctx;
	struct proxy *p = xq_user(q);
	if (p->xq != q)          /* a queue of a core being replaced */
		return;
	if ((s->o.decided || s->o.events) && p->c) {
		struct hs_decision d = decision_of(s, p, suspended);
		if (s->o.decided)
			s->o.decided(s->o.decided_ctx, &d);
		/* kept until the decision is sent (serve__flush_decisions) */
		p->why = d.why;
		p->by_qid = d.by_qid;
		snprintf(p->by, sizeof(p->by), "%s", d.by_client ? d.by_client : "");
	}
	serve__tell(s, p, suspended);
}

/* A CSV field: quoted by libcsv when it holds a comma, quote or newline. */
static void ev_field(FILE *f, const char *v)
{
	size_t n = strlen(v);
	if (strcspn(v, ",\"\r\n") == n)
		fputs(v, f);
	else
		csv_fwrite(f, v, n);
}

void serve__event(struct hs_server *s, const char *event, const struct proxy *p,
		  int64_t pend, int64_t infl, hs_ns sent, int why)
{
	FILE *f = s->o.events;
	if (!f)
		return;
	fprintf(f, "%lld,%s,", (long long)hs_now(), event);
	if (p && p->c)
		ev_field(f, p->c->name);
	fputc(',', f);
	if (p)
		fprintf(f, "%d", (int)p->qid);
	fputc(',', f);
	if (pend >= 0)
		fprintf(f, "%lld", (long long)pend);
	fputc(',', f);
	if (infl >= 0)
		fprintf(f, "%lld", (long long)infl);
	fputc(',', f);
	if (sent >= 0)
		fprintf(f, "%lld", (long long)sent);
	fputc(',', f);
	if (why >= 0) {
		fputs(sched_why_name(why), f);
		fputc(',', f);
		ev_field(f, p->by);
		fputc(',', f);
		if (p->by_qid >= 0)
			fprintf(f, "%d", (int)p->by_qid);
	} else {
		fputs(",,", f);
	}
	fputc('\n', f);
}

struct sched *serve__sched_new(struct hs_server *s, const char *policy,
			       const struct hs_param *params, size_t n,
			       char *err, size_t errlen, int *rc)
{
	struct sched_env env = {
		.ops = &proxy_ops,
		.ctx = s,
		.timer_set = env_timer_set,
		.cmd_done = env_cmd_done,
		.decided = env_decided,
	};
	return sched_create(&env, policy, params, n, rc, err, errlen);
}

int serve__proxy_xq(struct hs_server *s, struct sched *core, struct proxy *p,
		    struct xq **out)
{
	/* one client connection is one process: per-process policies (pup,
	 * awf) group its queues */
	struct xq_config cfg = { .priority = p->priority, .level = p->level,
				 .user = p, .proxy = 1, .weight = p->weight,
				 .group = p->c ? (int)(p->c->id & 0x7fffffff) : 0 };
	return xq_create(core, &cfg, out);
}

/* ---- connections ----------------------------------------------------------------- */

int serve__conn_add(struct hs_server *s, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    hs_grow((void **)&s->c, &s->ccap, s->nc, sizeof(*s->c))) {
		close(fd);
		return fl < 0 ? SERVE_EIO : HS_ENOMEM;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return HS_ENOMEM;
	}
	c->fd = fd;
	c->id = ++s->next_id;
	c->since_ns = hs_now();
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0) {
		c->pid = cr.pid;
		c->uid = (int32_t)cr.uid;
	} else {
		c->pid = c->uid = -1;
	}
	s->c[s->nc++] = c;
	s->had_conn = 1;
	return HS_OK;
}

int hs_server_add_fd(struct hs_server *s, int fd)
{
	return fd < 0 ? HS_EINVAL : serve__conn_add(s, fd);
}

static struct proxy *proxy_of(struct hs_server *s, const struct conn *c, int32_t qid)
{
	for (size_t i = 0; i < s->np; i++)
		if (s->p[i]->c == c && s->p[i]->qid == qid)
			return s->p[i];
	return NULL;
}

/* Frees proxy i (load 0 first, so that the policy lets the others go). */
static void proxy_drop(struct hs_server *s, size_t i)
{
	struct proxy *p = s->p[i];
	p->c = NULL;             /* nothing more is told to its owner */
	hs_ns now = hs_now();
	xq_set_proxy_load(p->xq, 0, 0, now);
	xq_free(p->xq);
	s->p[i] = s->p[--s->np];
	free(p);
}

/* Drops the connections marked dead, with their proxies. */
static void sweep(struct hs_server *s)
{
	for (size_t i = 0; i < s->nc;) {
		struct conn *c = s->c[i];
		if (!c->dead) {
			i++;
			continue;
		}
		for (size_t k = 0; k < s->np;)
			if (s->p[k]->c == c)
				proxy_drop(s, k);
			else
				k++;
		if (c->st == C_APP && !c->bye) {
			char w[128];
			serve__log(s, "%s: gone without BYE; its queues are freed",
				   serve__who(c, w, sizeof(w)));
		}
		close(c->fd);
		free(c->out);
		free(c);
		s->c[i] = s->c[--s->nc];
		i = 0;               /* a drop may have marked another one */
	}
}

static int any_dead(const struct hs_server *s)
{
	for (size_t i = 0; i < s->nc; i++)
		if (s->c[i]->dead)
			return 1;
	return 0;
}

static void on_hello(struct hs_server *s, struct conn *c, const struct hs_m_hello *h)
{
	if (h->version != HS_PROTO_VERSION) {
		serve__refuse(s, c, "protocol version %u; this server speaks version %d",
			      (unsigned)h->version, HS_PROTO_VERSION);
		return;
	}
	snprintf(c->name, sizeof(c->name), "%.*s", HS_NAME_MAX - 1, h->name);
	for (char *q = c->name; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	c->st = (h->flags & HS_HELLO_CTL) ? C_CTL : C_APP;
	c->prio = h->priority;
	c->level = h->level >= 1 && h->level <= 3 ? h->level : 1;
	c->slo_ns = h->slo_ns > 0 ? h->slo_ns : 0;
	c->deadline_ns = h->deadline_ns > 0 ? h->deadline_ns : 0;
	c->weight = h->weight > 0 && isfinite(h->weight) ? h->weight : 1.0;
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_WELCOME);
	m.u.welcome.version = HS_PROTO_VERSION;
	m.u.welcome.client = c->id;
	snprintf(m.u.welcome.policy, sizeof(m.u.welcome.policy), "%s", s->policy);
	if (serve__send(s, c, &m) == 0 && s->o.verbose && c->st == C_APP) {
		char w[128];
		serve__log(s, "%s, uid %d: joined (priority %d, level %d)",
			   serve__who(c, w, sizeof(w)), (int)c->uid, (int)c->prio, (int)c->level);
	}
}

static void on_join(struct hs_server *s, struct conn *c, const struct hs_m_join *j)
{
	if (j->qid < 0 || proxy_of(s, c, j->qid)) {
		serve__refuse(s, c, "JOIN of queue %d: bad or already joined", (int)j->qid);
		return;
	}
	struct proxy *p = calloc(1, sizeof(*p));
	if (!p || hs_grow((void **)&s->p, &s->pcap, s->np, sizeof(*s->p))) {
		free(p);
		serve__error(s, c, j->qid, "JOIN of queue %d: out of memory", (int)j->qid);
		return;
	}
	p->c = c;
	p->qid = j->qid;
	p->by_qid = -1;
	p->priority = j->priority == HS_PRIO_DEFAULT ? c->prio : j->priority;
	p->level = j->level >= 1 && j->level <= 3 ? j->level : c->level;
	p->weight = c->weight;
	p->deadline_ns = p->load_dl = INT64_MAX;
	int rc = serve__proxy_xq(s, s->s, p, &p->xq);
	if (rc) {
		free(p);
		serve__error(s, c, j->qid, "JOIN of queue %d: %s", (int)j->qid, hs_strerror(rc));
		return;
	}
	s->p[s->np++] = p;
	if (p->weight != 1.0)
		xq_set_weight(p->xq, p->weight, hs_now());
}

static void on_load(struct hs_server *s, struct conn *c, const struct hs_m_load *l)
{
	struct proxy *p = proxy_of(s, c, l->qid);
	if (!p) {
		serve__refuse(s, c, "LOAD of queue %d, which it did not join", (int)l->qid);
		return;
	}
	hs_ns now = hs_now();
	s->loads++;
	s->cause = l->sent_ns;
	int was_ready = p->pending + p->inflight > 0;
	int ready = l->pending + l->inflight > 0;
	p->pending = l->pending;
	p->inflight = l->inflight;
	p->launched = l->launched;
	hs_ns dl = p->deadline_ns;
	if (l->deadline_ns != p->load_dl) {      /* the client's own deadline */
		p->load_dl = l->deadline_ns;
		dl = l->deadline_ns;
	}
	/* a client without deadlines of its own but a relative one from
	 * HELLO / ctl: each busy period is due that long after it began */
	hs_ns rel = c->deadline_ns ? c->deadline_ns : c->slo_ns;
	/* both from the wire: the sum saturates (no deadline) rather than
	 * wrapping into the past */
	if (l->deadline_ns == INT64_MAX && rel > 0 && ready && !was_ready)
		dl = l->sent_ns > INT64_MAX - rel ? INT64_MAX : l->sent_ns + rel;
	if (dl != p->deadline_ns) {
		p->deadline_ns = dl;
		xq_set_deadline(p->xq, dl, now);
	}
	if (ready != was_ready)
		serve__event(s, ready ? "ready" : "idle", p, l->pending, l->inflight,
			     l->sent_ns, -1);
	xq_set_proxy_load(p->xq, l->pending, l->inflight, now);
	s->cause = 0;
}

static void on_applied(struct hs_server *s, struct conn *c, const struct hs_m_applied *a)
{
	if (a->rtt_ns < 0)
		return;
	if (s->nrtt < HS_RTT_KEEP && hs_grow((void **)&s->rtt, &s->rcap, s->nrtt,
					  sizeof(*s->rtt)))
		return;
	s->rtt[s->nrtt % HS_RTT_KEEP] = (struct rtt_sample){ a->rtt_ns, a->back_ns,
							     a->lock_ns };
	s->nrtt++;
}

/* One message from c. */
static void on_msg(struct hs_server *s, struct conn *c, const struct hs_msg *m, size_t n)
{
	char why[160];
	if (hs_msg_check(m, n, why, sizeof(why))) {
		serve__refuse(s, c, "protocol error: %s", why);
		return;
	}
	int op = m->h.op;
	if (c->st == C_HELLO) {
		if (op != HS_OP_HELLO)
			serve__refuse(s, c, "protocol error: %s before HELLO", hs_op_name(op));
		else
			on_hello(s, c, &m->u.hello);
		return;
	}
	switch (op) {
	case HS_OP_BYE:
		c->bye = 1;
		c->dead = 1;
		if (s->o.verbose && c->st == C_APP) {
			char w[128];
			serve__log(s, "%s: left", serve__who(c, w, sizeof(w)));
		}
		return;
	case HS_OP_JOIN:
		if (c->st == C_APP)
			on_join(s, c, &m->u.join);
		return;
	case HS_OP_LEAVE: {
		for (size_t i = 0; i < s->np; i++)
			if (s->p[i]->c == c && s->p[i]->qid == m->u.qid.qid) {
				proxy_drop(s, i);
				return;
			}
		return;
	}
	case HS_OP_LOAD:
		on_load(s, c, &m->u.load);
		return;
	case HS_OP_APPLIED:
		on_applied(s, c, &m->u.applied);
		return;
	case HS_OP_STATUS:
	case HS_OP_SET:
	case HS_OP_POLICY:
		serve__ctl(s, c, m);
		return;
	default:
		serve__refuse(s, c, "protocol error: %s is not for the server", hs_op_name(op));
	}
}

/* Drains c's socket. */
static void serve_conn(struct hs_server *s, struct conn *c)
{
	while (!c->dead) {
		struct hs_msg m;
		ssize_t r = hs_msg_recv(c->fd, &m, MSG_DONTWAIT);
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return;
		if (r <= 0) {
			c->dead = 1;
			return;
		}
		on_msg(s, c, &m, (size_t)r);
	}
}

/* ---- the loop -------------------------------------------------------------------- */
int hs_server_create(const struct hs_server_opts *o, struct hs_server **out,
		     char *err, size_t errlen)
{
	struct hs_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	s->o = *o;
	s->o.params = NULL;
	s->o.nparams = 0;
	s->lfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->timer = -1;
	s->t_start = hs_now();
	if (!s->o.max_conns)
		s->o.max_conns = HS_SERVER_MAX_CONNS;
	if (!s->o.hello_timeout_ns)
		s->o.hello_timeout_ns = 2000000000;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		hs_server_free(s);
		return SERVE_EIO;
	}
	int rc = 0;
	s->s = serve__sched_new(s, o->policy, o->params, o->nparams, err, errlen, &rc);
	if (!s->s) {
		hs_server_free(s);
		return rc ? rc : HS_EINVAL;
	}
	snprintf(s->policy, sizeof(s->policy), "%s", o->policy);
	*out = s;
	return HS_OK;
}

void hs_server_stop(struct hs_server *s)
{
	s->stop = 1;
	char b = 1;
	if (write(s->wake[1], &b, 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
}

static void accept_all(struct hs_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				serve__log(s, "accept: %s", strerror(errno));
			return;
		}
		if (serve__conn_add(s, fd))
			continue;
		struct conn *c = s->c[s->nc - 1];
		if (s->nc > s->o.max_conns)
			serve__refuse(s, c, "server full (%u connections)", s->o.max_conns);
	}
}

int hs_server_run(struct hs_server *s, int until_idle)
{
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!s->stop) {
		/* a failed send in the flush marks its connection dead, and
		 * dropping one may decide (and send) again: settle both
		 * before polling, or a dead connection (fd -1 in the poll set)
		 * keeps an idle server waiting for nothing */
		do {
			sweep(s);
			serve__flush_decisions(s);
		} while (any_dead(s));
		if (until_idle && s->had_conn && !s->nc)
			return HS_OK;
		hs_ns now = hs_now();
		/* a due timer fires after one look at the sockets: a LOAD sent
		 * before it was due (read late: the loop was busy) is handled
		 * first, or the policy would act on a state already gone (a
		 * linger ended although its queue was busy again) */
		int due = s->timer >= 0 && now >= s->timer;
		if (due && s->timer_polled) {
			s->timer = -1;
			s->timer_polled = 0;
			s->timers++;
			serve__event(s, "timer", NULL, -1, -1, -1, -1);
			sched_on_timer(s->s, now);
			continue;
		}
		if (due)
			s->timer_polled = 1;
		hs_ns until = s->timer >= 0 ? s->timer : INT64_MAX;
		int expired = 0;
		for (size_t i = 0; i < s->nc; i++) {
			struct conn *c = s->c[i];
			if (c->st != C_HELLO || c->dead)
				continue;
			hs_ns dl = c->since_ns + s->o.hello_timeout_ns;
			if (dl <= now) {
				serve__refuse(s, c, "no HELLO within %.1f s",
					      (double)s->o.hello_timeout_ns / 1e9);
				expired = 1;
			} else if (dl < until) {
				until = dl;
			}
		}
		if (expired)
			continue;        /* sweep them first */
		size_t nf = s->nc + 2;
		if (hs_grow((void **)&s->pfd, &s->pfcap, nf, sizeof(*s->pfd)))
			return HS_ENOMEM;
		s->pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		s->pfd[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (size_t i = 0; i < s->nc; i++)
			s->pfd[2 + i] = (struct pollfd){ .fd = s->c[i]->dead ? -1 : s->c[i]->fd,
							 .events = POLLIN |
							 (s->c[i]->nout ? POLLOUT : 0) };
		struct timespec ts, *tsp = NULL;
		if (s->o.spin || due) {
			ts.tv_sec = ts.tv_nsec = 0;
			tsp = &ts;
		} else if (until != INT64_MAX) {
			hs_ns d = until > now ? until - now : 0;
			ts.tv_sec = d / 1000000000;
			ts.tv_nsec = d % 1000000000;
			tsp = &ts;
		}
		int r = ppoll(s->pfd, nf, tsp, NULL);
		if (r < 0 && errno != EINTR)
			return SERVE_EIO;
		if (r <= 0)
			continue;
		if (s->pfd[0].revents) {
			char b[64];
			while (read(s->wake[0], b, sizeof(b)) > 0) {
			}
		}
		size_t n = s->nc;     /* accept_all may append */
		for (size_t i = 0; i < n; i++) {
			struct conn *c = s->c[i];
			short ev = s->pfd[2 + i].revents;
			if (!ev)
				continue;
			if (ev & POLLOUT)
				serve__flush_outbox(s, c);
			serve_conn(s, c);
			/* what its messages made the policy decide goes out
			 * before the next connection is served (a STATUS
			 * after them must not report a state nobody was told) */
			serve__flush_decisions(s);
			if (ev & (POLLHUP | POLLERR | POLLNVAL))
				c->dead = 1;
		}
		if (s->pfd[1].revents)
			accept_all(s);
	}
	return HS_OK;
}

void hs_server_status(const struct hs_server *s, struct hs_m_st_server *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->policy, sizeof(st->policy), "%s", s->policy);
	for (size_t i = 0; i < s->nc; i++)
		st->clients += s->c[i]->st == C_APP && !s->c[i]->dead;
	st->queues = (uint32_t)s->np;
	st->loads = s->loads;
	st->suspends = s->suspends;
	st->resumes = s->resumes;
	st->timers = s->timers;
	st->refused = s->refused;
	st->nrtt = s->nrtt;
	st->deferred = s->deferred;
	st->rtt_p50_ns = st->rtt_p99_ns = st->back_p99_ns = st->lock_p99_ns = -1;
	st->uptime_ns = hs_now() - s->t_start;
	st->pid = (int32_t)getpid();
	size_t n = s->nrtt < HS_RTT_KEEP ? s->nrtt : HS_RTT_KEEP;
	double *v = n ? malloc(n * sizeof(*v)) : NULL;
	if (!v)
		return;
	static const double q[2] = { 0.50, 0.99 };
	double p[2];
	for (size_t i = 0; i < n; i++)
		v[i] = (double)s->rtt[i].rtt;
	run_quantiles(v, n, q, p, 2);
	st->rtt_p50_ns = (int64_t)llround(p[0]);
	st->rtt_p99_ns = (int64_t)llround(p[1]);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)s->rtt[i].back;
	run_quantiles(v, n, q, p, 2);
	st->back_p99_ns = (int64_t)llround(p[1]);
	for (size_t i = 0; i < n; i++)
		v[i] = (double)s->rtt[i].lock;
	run_quantiles(v, n, q, p, 2);
	st->lock_p99_ns = (int64_t)llround(p[1]);
	free(v);
}

int hs_server_figures(const struct hs_server *s, struct run_result *r)
{
	r->serve_loads += s->loads;
	r->serve_suspends += s->suspends;
	r->serve_resumes += s->resumes;
	r->serve_timers += s->timers;
	size_t n = s->nrtt < HS_RTT_KEEP ? s->nrtt : HS_RTT_KEEP;
	for (size_t i = 0; i < n; i++)
		if (run_result_add_rtt(r, s->rtt[i].rtt))
			return HS_ENOMEM;
	return HS_OK;
}

struct sched *hs_server_sched(struct hs_server *s)
{
	return s->s;
}

void hs_server_free(struct hs_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nc; i++) {
		s->c[i]->dead = 1;
		s->c[i]->bye = 1;    /* not their doing: nothing to log */
	}
	if (s->s)
		sweep(s);
	while (s->np)             /* none left by sweep; defensive */
		proxy_drop(s, 0);
	sched_free(s->s);
	serve__unlisten(s);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	free(s->c);
	free(s->p);
	free(s->pfd);
	free(s->rtt);
	serve__params_free(s);
	free(s);
}
