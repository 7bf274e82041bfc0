/*
 * What the policy server sends its clients (protocol in serve.h): every
 * message through serve__send, which queues behind a full socket (the
 * connection's outbox, sent in order when it is writable again), and the
 * policy's decisions, kept as state per proxy (want vs told) and packed
 * into DECIDE messages after each connection's messages are handled (and
 * at the loop's top), only when nothing waits in the outbox (so a slow
 * reader gets only each queue's latest state).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve_internal.h"

/* "client 3 'resnet18' (pid 123)" */
const char *serve__who(const struct conn *c, char *buf, size_t len)
{
	if (c->st == C_HELLO)
		snprintf(buf, len, "connection %u (pid %d)", c->id, (int)c->pid);
	else
		snprintf(buf, len, "client %u '%s' (pid %d)", c->id, c->name, (int)c->pid);
	return buf;
}

/* Marks c for dropping with the reason. */
static void send_failed(struct hs_server *s, struct conn *c, int rc)
{
	char w[128];
	if (rc == -EAGAIN)
		serve__log(s, "%s: not reading its socket (%zu messages waiting); dropping it",
			   serve__who(c, w, sizeof(w)), c->nout);
	else
		serve__log(s, "%s: send failed: %s; dropping it", serve__who(c, w, sizeof(w)),
			   strerror(-rc));
	c->dead = 1;
}

/* Sends what waits in c's outbox, in order, as far as its socket takes. */
void serve__flush_outbox(struct hs_server *s, struct conn *c)
{
	size_t k = 0;
	while (k < c->nout && !c->dead) {
		int rc = hs_msg_send(c->fd, &c->out[k]);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			break;
		if (rc) {
			send_failed(s, c, rc);
			break;
		}
		k++;
	}
	if (k) {
		memmove(c->out, c->out + k, (c->nout - k) * sizeof(*c->out));
		c->nout -= k;
	}
}

/* Sends m to c, or queues it behind what waits already; a failure (or an
 * outbox past HS_OUTBOX_MAX) marks c for dropping. */
int serve__send(struct hs_server *s, struct conn *c, const struct hs_msg *m)
{
	if (c->dead)
		return -1;
	if (!c->nout) {
		int rc = hs_msg_send(c->fd, m);
		if (!rc)
			return 0;
		if (rc != -EAGAIN && rc != -EWOULDBLOCK) {
			send_failed(s, c, rc);
			return rc;
		}
	}
	if (c->nout >= HS_OUTBOX_MAX) {
		send_failed(s, c, -EAGAIN);
		return -EAGAIN;
	}
	if (hs_grow((void **)&c->out, &c->outcap, c->nout, sizeof(*c->out))) {
		send_failed(s, c, -ENOMEM);
		return -ENOMEM;
	}
	c->out[c->nout++] = *m;
	s->deferred++;
	return 0;
}

/* A REFUSE or ERROR with its reason, logged; REFUSE also drops c. */
static void vtext(struct hs_server *s, struct conn *c, int op, int32_t qid,
		  const char *fmt, va_list ap)
{
	struct hs_msg m;
	hs_msg_init(&m, op);
	m.u.text.qid = qid;
	vsnprintf(m.u.text.text, sizeof(m.u.text.text), fmt, ap);
	char w[128];
	serve__log(s, "%s: %s%s", serve__who(c, w, sizeof(w)), op == HS_OP_REFUSE ?
		   "refused: " : "", m.u.text.text);
	if (op == HS_OP_ERROR) {
		serve__send(s, c, &m);
		return;
	}
	if (!c->dead)
		hs_msg_send(c->fd, &m);
	c->dead = 1;
	s->refused++;
}

void serve__refuse(struct hs_server *s, struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtext(s, c, HS_OP_REFUSE, -1, fmt, ap);
	va_end(ap);
}

void serve__error(struct hs_server *s, struct conn *c, int32_t qid, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtext(s, c, HS_OP_ERROR, qid, fmt, ap);
	va_end(ap);
}

void serve__tell(struct hs_server *s, struct proxy *p, int suspended)
{
	p->want = suspended;
	if (!p->c || p->want == p->told)
		return;
	p->c->dirty = 1;
	if (s->cause > 0 && (!p->c->cause || s->cause < p->c->cause))
		p->c->cause = s->cause;
}

/* Sends every connection the states of its queues that changed since it
 * was last told, packed into DECIDE messages; a connection whose outbox
 * holds anything waits (its queues' latest states are sent later). */
void serve__flush_decisions(struct hs_server *s)
{
	for (size_t k = 0; k < s->nc; k++) {
		struct conn *c = s->c[k];
		if (!c->dirty || c->dead || c->nout)
			continue;
		struct hs_msg m;
		hs_msg_init(&m, HS_OP_DECIDE);
		for (size_t i = 0; i <= s->np; i++) {
			struct proxy *p = i < s->np ? s->p[i] : NULL;
			if (p && (p->c != c || p->want == p->told))
				continue;
			if (p) {
				m.u.dec.d[m.u.dec.n++] = (uint32_t)p->qid |
							 (p->want ? HS_DECIDE_SUSPEND : 0);
				p->told = p->want;
				serve__event(s, p->want ? "suspend" : "resume", p, -1, -1,
					     -1, p->why);
				if (p->want) {
					s->suspends++;
					p->suspends++;
				} else {
					s->resumes++;
					p->resumes++;
				}
			}
			if (m.u.dec.n && (!p || m.u.dec.n == HS_DECIDE_MAX)) {
				m.u.dec.cause_ns = c->cause;
				m.u.dec.sent_ns = hs_now();
				if (serve__send(s, c, &m))
					break;
				hs_msg_init(&m, HS_OP_DECIDE);
			}
		}
		c->dirty = 0;
		c->cause = 0;
	}
}
