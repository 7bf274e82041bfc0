/*
 * ctl connections (HELLO with HS_HELLO_CTL): STATUS, SET and POLICY, both
 * the server's handling and the requests `hipsched status` / `ctl` send.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve_internal.h"
#include "scenario.h"

/* ---- server side ------------------------------------------------------------------- */
static void reply_ok(struct hs_server *s, struct conn *c, int n)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_OK);
	m.u.ok.n = n;
	serve__send(s, c, &m);
}

static void queue_rec(const struct conn *c, const struct proxy *p, struct hs_m_st_queue *q)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", c->name);
	q->client = c->id;
	q->pid = c->pid;
	q->uid = c->uid;
	q->qid = -1;
	q->priority = c->prio;
	q->level = c->level;
	q->weight = c->weight;
	q->deadline_ns = INT64_MAX;
	if (!p)
		return;
	struct xq_stats xs;
	xq_get_stats(p->xq, &xs);
	q->qid = p->qid;
	q->priority = p->priority;
	q->level = p->level;
	q->suspended = xs.suspended;
	q->pending = p->pending;
	q->inflight = p->inflight;
	q->launched = p->launched;
	q->suspends = p->suspends;
	q->resumes = p->resumes;
	q->deadline_ns = p->deadline_ns;
	q->weight = p->weight;
}

/* ST_SERVER, a record per queue (and per client without one), ST_END. The
 * socket buffer holds a few hundred records; a bigger answer is cut. */
static void do_status(struct hs_server *s, struct conn *c)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_ST_SERVER);
	hs_server_status(s, &m.u.sts);
	serve__send(s, c, &m);
	for (size_t i = 0; i < s->nc && !c->dead; i++) {
		const struct conn *o = s->c[i];
		if (o->st != C_APP || o->dead)
			continue;
		int any = 0;
		for (size_t k = 0; k < s->np && !c->dead; k++) {
			if (s->p[k]->c != o)
				continue;
			any = 1;
			hs_msg_init(&m, HS_OP_ST_QUEUE);
			queue_rec(o, s->p[k], &m.u.stq);
			serve__send(s, c, &m);
		}
		if (!any && !c->dead) {
			hs_msg_init(&m, HS_OP_ST_QUEUE);
			queue_rec(o, NULL, &m.u.stq);
			serve__send(s, c, &m);
		}
	}
	hs_msg_init(&m, HS_OP_ST_END);
	serve__send(s, c, &m);
}

static void do_set(struct hs_server *s, struct conn *c, const struct hs_m_set *q)
{
	char name[HS_NAME_MAX], key[16], val[32];
	snprintf(name, sizeof(name), "%.*s", HS_NAME_MAX - 1, q->name);
	snprintf(key, sizeof(key), "%.*s", 15, q->key);
	snprintf(val, sizeof(val), "%.*s", 31, q->value);
	long prio = 0;
	double w = 0;
	hs_ns span = 0;
	char *end;
	const char *why = NULL;
	if (strcmp(key, "priority") == 0) {
		errno = 0;
		prio = strtol(val, &end, 10);
		if (errno || end == val || *end || prio < -1000000 || prio > 1000000)
			why = "an integer";
	} else if (strcmp(key, "weight") == 0) {
		w = strtod(val, &end);
		if (end == val || *end || !(w > 0) || !isfinite(w))
			why = "a number > 0";
	} else if (strcmp(key, "deadline") == 0 || strcmp(key, "slo") == 0) {
		const char *dw;
		if (scenario_parse_duration(val, &span, &dw))
			why = "a span with a unit (10ms, 1.5s)";
	} else {
		serve__error(s, c, -1, "unknown key '%s' (priority, deadline, slo, weight)", key);
		return;
	}
	if (why) {
		serve__error(s, c, -1, "%s=%s: expected %s", key, val, why);
		return;
	}
	int clients = 0, queues = 0;
	hs_ns now = hs_now();
	for (size_t i = 0; i < s->nc; i++) {
		struct conn *o = s->c[i];
		if (o->st != C_APP || o->dead || strcmp(o->name, name) != 0)
			continue;
		clients++;
		if (key[0] == 'p')
			o->prio = (int32_t)prio;
		else if (key[0] == 'w')
			o->weight = w;
		else if (key[0] == 'd')
			o->deadline_ns = span;
		else
			o->slo_ns = span;
		for (size_t k = 0; k < s->np; k++) {
			struct proxy *p = s->p[k];
			if (p->c != o)
				continue;
			queues++;
			if (key[0] == 'p') {
				p->priority = (int)prio;
				xq_set_priority(p->xq, (int)prio, now);
			} else if (key[0] == 'w') {
				p->weight = w;
				xq_set_weight(p->xq, w, now);
			}
		}
	}
	if (!clients) {
		serve__error(s, c, -1, "no client named '%s'", name);
		return;
	}
	serve__log(s, "ctl: %s %s=%s (%d queues)", name, key, val, queues);
	reply_ok(s, c, queues);
}

void serve__params_free(struct hs_server *s)
{
	free(s->pv);
	free(s->pbuf);
	s->pv = NULL;
	s->pbuf = NULL;
	s->npv = 0;
}

/* Moves every proxy into a new core running `name`; the clients are told
 * what changed. */
static void do_policy(struct hs_server *s, struct conn *c, const struct hs_m_policy *q)
{
	char name[32];
	snprintf(name, sizeof(name), "%.*s", 31, q->name);
	char *buf = malloc(sizeof(q->params) + 1);
	struct hs_param *pv = calloc(sizeof(q->params) / 2 + 1, sizeof(*pv));
	size_t n = 0;
	if (!buf || !pv) {
		free(buf);
		free(pv);
		serve__error(s, c, -1, "out of memory");
		return;
	}
	memcpy(buf, q->params, sizeof(q->params));
	buf[sizeof(q->params)] = 0;
	for (char *line = buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		char *eq = strchr(line, '=');
		if (!eq || eq == line) {
			serve__error(s, c, -1, "policy parameter '%s': expected KEY=VALUE", line);
			free(buf);
			free(pv);
			return;
		}
		*eq = 0;
		pv[n++] = (struct hs_param){ line, eq + 1 };
	}
	char err[256] = "";
	int rc = 0;
	hs_ns old_timer = s->timer;
	s->timer = -1;
	struct sched *ns = serve__sched_new(s, name, pv, n, err, sizeof(err), &rc);
	if (!ns) {
		s->timer = old_timer;
		serve__error(s, c, -1, "%s", err);
		free(buf);
		free(pv);
		return;
	}
	struct xq **nx = calloc(s->np ? s->np : 1, sizeof(*nx));
	for (size_t i = 0; nx && i < s->np; i++)
		if (serve__proxy_xq(s, ns, s->p[i], &nx[i]))
			break;
	for (size_t i = 0; nx && i < s->np; i++)
		if (!nx[i]) {
			for (size_t k = 0; k < i; k++)
				xq_free(nx[k]);
			free(nx);
			nx = NULL;
		}
	if (!nx) {
		sched_free(ns);
		s->timer = old_timer;
		serve__error(s, c, -1, "cannot move the queues to %s", name);
		free(buf);
		free(pv);
		return;
	}
	struct sched *old = s->s;
	struct xq **ox = calloc(s->np ? s->np : 1, sizeof(*ox));
	hs_ns now = hs_now();
	/* the new core's decisions go out from here on (env_decided checks
	 * p->xq); the old core's are ignored */
	for (size_t i = 0; i < s->np; i++) {
		struct proxy *p = s->p[i];
		if (ox)
			ox[i] = p->xq;
		p->xq = nx[i];
	}
	s->s = ns;
	for (size_t i = 0; i < s->np; i++) {
		struct proxy *p = s->p[i];
		if (p->weight != 1.0)
			xq_set_weight(p->xq, p->weight, now);
		if (p->deadline_ns != INT64_MAX)
			xq_set_deadline(p->xq, p->deadline_ns, now);
		xq_set_proxy_load(p->xq, p->pending, p->inflight, now);
	}
	for (size_t i = 0; ox && i < s->np; i++) {
		xq_set_proxy_load(ox[i], 0, 0, now);
		xq_free(ox[i]);
	}
	sched_free(old);
	/* queues the new policy left alone but their owners were told to stop */
	for (size_t i = 0; i < s->np; i++) {
		struct xq_stats xs;
		xq_get_stats(s->p[i]->xq, &xs);
		if (s->p[i]->told != xs.suspended) {   /* no policy call made it */
			s->p[i]->why = SCHED_WHY_NONE;
			s->p[i]->by_qid = -1;
			s->p[i]->by[0] = 0;
		}
		serve__tell(s, s->p[i], xs.suspended);
	}
	free(nx);
	free(ox);
	serve__params_free(s);
	s->pv = pv;
	s->npv = n;
	s->pbuf = buf;
	snprintf(s->policy, sizeof(s->policy), "%s", name);
	serve__log(s, "ctl: policy is now %s (%zu parameters)", name, n);
	reply_ok(s, c, (int)s->np);
}

void serve__ctl(struct hs_server *s, struct conn *c, const struct hs_msg *m)
{
	if (c->st != C_CTL) {
		serve__refuse(s, c, "protocol error: %s from a client that did not say "
			      "HS_HELLO_CTL", hs_op_name(m->h.op));
		return;
	}
	if (m->h.op == HS_OP_STATUS)
		do_status(s, c);
	else if (m->h.op == HS_OP_SET)
		do_set(s, c, &m->u.set);
	else
		do_policy(s, c, &m->u.policy);
}

/* ---- ctl client side ----------------------------------------------------------------- */
/* Connects and says HELLO as a ctl client; fd or negative (err). */
static int ctl_open(const char *path, char *err, size_t errlen)
{
	int fd = hs_connect(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach the policy server at %s: %s", path,
			 strerror(-fd));
		return SERVE_ECONN;
	}
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_HELLO);
	m.u.hello.version = HS_PROTO_VERSION;
	m.u.hello.flags = HS_HELLO_CTL;
	m.u.hello.pid = (int32_t)getpid();
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "hipsched-ctl");
	if (hs_msg_send(fd, &m)) {
		close(fd);
		snprintf(err, errlen, "%s: sending HELLO failed", path);
		return SERVE_ECONN;
	}
	return fd;
}

/* Next message within 5 s: 0, or negative with err. */
static int ctl_recv(int fd, struct hs_msg *m, char *err, size_t errlen)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&pf, 1, 5000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "the policy server did not answer within 5 s");
			return SERVE_ECONN;
		}
		ssize_t n = hs_msg_recv(fd, m, MSG_DONTWAIT);
		if (n == -EAGAIN)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "the policy server closed the connection");
			return SERVE_ECONN;
		}
		char why[128];
		if (hs_msg_check(m, (size_t)n, why, sizeof(why))) {
			snprintf(err, errlen, "bad answer from the policy server: %s", why);
			return SERVE_EPROTO;
		}
		if (m->h.op == HS_OP_WELCOME)
			continue;
		if (m->h.op == HS_OP_REFUSE || m->h.op == HS_OP_ERROR) {
			snprintf(err, errlen, "%s: %.*s", m->h.op == HS_OP_REFUSE ?
				 "refused" : "policy server", HS_TEXT_MAX, m->u.text.text);
			return SERVE_EPROTO;
		}
		return 0;
	}
}

static int ctl_bye(int fd, int rc)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_BYE);
	hs_msg_send(fd, &m);
	close(fd);
	return rc;
}

/* One request answered by OK (the answer left in m). */
static int ctl_request(const char *path, struct hs_msg *m, char *err, size_t errlen)
{
	int fd = ctl_open(path, err, errlen);
	if (fd < 0)
		return fd;
	int rc = hs_msg_send(fd, m) ? SERVE_ECONN : ctl_recv(fd, m, err, errlen);
	if (!rc && m->h.op != HS_OP_OK) {
		snprintf(err, errlen, "unexpected answer %s", hs_op_name(m->h.op));
		rc = SERVE_EPROTO;
	}
	return ctl_bye(fd, rc);
}

int hs_ctl_status(const char *path, struct hs_status *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int fd = ctl_open(path, err, errlen);
	if (fd < 0)
		return fd;
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_STATUS);
	int rc = hs_msg_send(fd, &m) ? SERVE_ECONN : 0;
	size_t cap = 0;
	while (!rc && !(rc = ctl_recv(fd, &m, err, errlen))) {
		if (m.h.op == HS_OP_ST_END)
			break;
		if (m.h.op == HS_OP_ST_SERVER) {
			out->server = m.u.sts;
		} else if (m.h.op == HS_OP_ST_QUEUE) {
			if (out->n == cap) {
				size_t nc = cap ? 2 * cap : 16;
				struct hs_m_st_queue *nv = realloc(out->q, nc * sizeof(*nv));
				if (!nv) {
					rc = HS_ENOMEM;
					break;
				}
				out->q = nv;
				cap = nc;
			}
			out->q[out->n++] = m.u.stq;
		}
	}
	if (rc)
		hs_status_release(out);
	return ctl_bye(fd, rc);
}

void hs_status_release(struct hs_status *st)
{
	free(st->q);
	st->q = NULL;
	st->n = 0;
}

int hs_ctl_set(const char *path, const char *name, const char *key,
	       const char *value, int *n, char *err, size_t errlen)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_SET);
	if (strlen(name) >= sizeof(m.u.set.name) || strlen(key) >= sizeof(m.u.set.key) ||
	    strlen(value) >= sizeof(m.u.set.value)) {
		snprintf(err, errlen, "name, key or value too long");
		return HS_EINVAL;
	}
	snprintf(m.u.set.name, sizeof(m.u.set.name), "%s", name);
	snprintf(m.u.set.key, sizeof(m.u.set.key), "%s", key);
	snprintf(m.u.set.value, sizeof(m.u.set.value), "%s", value);
	int rc = ctl_request(path, &m, err, errlen);
	if (!rc && n)
		*n = m.u.ok.n;
	return rc;
}

int hs_ctl_policy(const char *path, const char *name, const char *const *kv,
		  size_t nkv, char *err, size_t errlen)
{
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_POLICY);
	if (strlen(name) >= sizeof(m.u.policy.name)) {
		snprintf(err, errlen, "policy name too long");
		return HS_EINVAL;
	}
	snprintf(m.u.policy.name, sizeof(m.u.policy.name), "%s", name);
	size_t off = 0;
	for (size_t i = 0; i < nkv; i++) {
		size_t l = strlen(kv[i]);
		if (!strchr(kv[i], '=') || strchr(kv[i], '\n') ||
		    off + l + 2 > sizeof(m.u.policy.params)) {
			snprintf(err, errlen, "policy parameter '%s': expected KEY=VALUE "
				 "(%zu bytes in all at most)", kv[i], sizeof(m.u.policy.params) - 1);
			return HS_EINVAL;
		}
		memcpy(m.u.policy.params + off, kv[i], l);
		off += l;
		m.u.policy.params[off++] = i + 1 < nkv ? '\n' : 0;
	}
	return ctl_request(path, &m, err, errlen);
}
