/*
 * The simulator's side of the run timeline (traces/trace.h, "timeline"):
 * the tracks of each tenant, and the hooks the engine calls when a command
 * is launched or done, a queue's load changes, the policy decides or a
 * preemption completes. Every hook is a no-op without --timeline.
 */
#include <stdio.h>
#include "sim_internal.h"

static void stream_name(const struct sim_hwq *h, char *buf, size_t len)
{
	const struct sim_tenant *t = h->t;
	if (t->stream_id)
		snprintf(buf, len, "%s s%d (stream %lld)", t->spec->name, h->local,
			 (long long)t->stream_id[h->local]);
	else
		snprintf(buf, len, "%s s%d", t->spec->name, h->local);
}

int sim__tl_open(struct sim *s, char *err, size_t errlen)
{
	struct trace_err te;
	const struct run_opts *o = s->o;
	s->tl = timeline_open(o->timeline_path, o->tl_from_ns, o->tl_to_ns, &te);
	if (!s->tl) {
		snprintf(err, errlen, "%s", te.msg);
		return HS_EINVAL;
	}
	for (size_t i = 0; i < s->nt; i++) {
		if (!s->t[i].spec)
			continue;
		timeline_tenant(s->tl, (int)i, s->t[i].spec->name);
		for (int k = 0; k < s->t[i].nhwq; k++) {
			char nm[160];
			stream_name(&s->t[i].hwq[k], nm, sizeof(nm));
			timeline_stream(s->tl, (int)i, k, nm);
			s->t[i].hwq[k].tl_pend = s->t[i].hwq[k].tl_fl = 0;
		}
	}
	return HS_OK;
}

void sim__tl_queue_write(struct sim *s, struct sim_hwq *h, hs_ns now)
{
	struct xq_stats st;
	xq_get_stats(h->q, &st);
	if (st.pending == h->tl_pend && st.inflight == h->tl_fl)
		return;
	h->tl_pend = st.pending;
	h->tl_fl = st.inflight;
	char nm[160];
	stream_name(h, nm, sizeof(nm));
	timeline_queue(s->tl, (int)h->t->idx, h->local, nm, now, st.pending,
		       st.inflight);
}

void sim__tl_launch_write(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	timeline_launch(s->tl, (int)c->t->idx, c->hwq->local, now, s->dev.launch_ns,
			c->t->req_no, c->rec ? c->rec->seq : -1);
	sim__tl_queue_write(s, c->hwq, now);
}

void sim__tl_cmd(struct sim *s, const struct sim_cmd *c, hs_ns end_ns)
{
	struct timeline_cmd tc = {
		.name = c->rec && c->rec->name ? c->rec->name : "sync",
		.cat = c->rec ? trace_kind_name(c->rec->kind) : "sync",
		.request = c->t->req_no, .seq = c->rec ? c->rec->seq : -1,
		.launch_ns = c->launch_ns, .start_ns = c->start_ns,
		.end_ns = end_ns,
	};
	timeline_command(s->tl, (int)c->t->idx, c->hwq->local, &tc);
}

static struct sim_hwq *hwq_of(struct sim *s, int id)
{
	for (int i = 0; i < s->nhwq; i++)
		if (xq_id(s->hwqs[i]->q) == id)
			return s->hwqs[i];
	return NULL;
}

void sim__tl_decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	struct sim *s = ctx;
	if (!s->tl)
		return;          /* also: the queues are being freed */
	struct sim_hwq *h = hwq_of(s, xq_id(q));
	if (!h)
		return;
	int qid;
	int why = sched_why(s->sched, &qid);
	struct sim_hwq *by = qid >= 0 ? hwq_of(s, qid) : NULL;
	char nm[160];
	if (by)
		stream_name(by, nm, sizeof(nm));
	timeline_decision(s->tl, (int)h->t->idx, h->local, suspended, now,
			  by ? nm : NULL, sched_why_name(why), s->res->policy);
}

void sim__tl_preempted(struct sim *s, struct xq *q, hs_ns suspend_ns,
		       hs_ns idle_ns)
{
	if (!s->tl)
		return;
	struct sim_hwq *h = hwq_of(s, xq_id(q));
	if (!h)
		return;
	timeline_preempted(s->tl, (int)h->t->idx, h->local, suspend_ns, idle_ns);
}
