/*
 * The hw run's side of the run timeline (the layout: traces/trace.h, "the
 * run timeline"; the one writer: traces/timeline.c).
 *
 * A run's events happen in several processes: the kernels, launches,
 * queue counters and preemptions in the children (each a group of tenants
 * with its own engine), the policy's decisions in the parent's policy
 * server, or, when the run has one process or a policy that does not
 * control, in the child's own core. So:
 *   - each child records its events in memory, under its core lock, as
 *     they happen (only what can fall inside the window), and sends them
 *     to the parent after its results, on the results pipe (struct tl_rec
 *     records, then the names of the trace records they refer to);
 *   - the parent records the server's decisions (hs_server_opts.decided)
 *     and, once every child reported, writes one file through the shared
 *     writer: one time base, CLOCK_MONOTONIC from the run's t0 (the clock
 *     is system-wide, so the children's and the server's times compare).
 *
 * GPU times. The replay kernels stamp their first block's start and last
 * block's end on the device timer (hw/dev/dev_internal.h, struct hw_ctl;
 * %globaltimer on NVIDIA, wall_clock64 on AMD), whose epoch is not the
 * host's. Each child maps them with one offset, host = device + offset,
 * bounded by its kernels: a kernel starts after its launch call began
 * (offset >= launch - start) and ends before the host saw its completion
 * event (offset <= done - end). The midpoint of the tightest bounds is
 * used; the half-width is the mapping's precision, written on each such
 * kernel (args.clock_err_us) and on each tenant's process label. On a
 * GPU it is about half of launch-to-start plus the completion event's
 * wake-up, a few to tens of us, and the device timer's own resolution
 * adds to it; bounds that cross (a device timer drifting from the host's
 * over the run) are said there too. Durations (end - start of one
 * kernel) are the device timer's, not the mapping's. Commands that carry
 * no stamps (copies, memsets of real bytes, a kernel aborted before it
 * ran) are drawn from the later of their launch and the previous
 * command's end to the earlier of the next stamped command's start and
 * the moment the host saw them done, marked args.estimated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run_internal.h"

enum tl_kind { TL_LAUNCH, TL_CMD, TL_QUEUE, TL_SUSPEND, TL_RESUME, TL_PREEMPTED };
enum { TL_F_ABORTED = 1, TL_F_ESTIMATED = 2 };

/* One event of a child (host clock, absolute ns). */
struct tl_rec {
	int32_t kind, tenant;
	int32_t rec;              /* trace record (name, seq); -1: none */
	int32_t flags;            /* TL_F_* (commands) */
	int64_t request;
	/* LAUNCH: a = call start, b = call end.
	 * CMD: a = launch, b = GPU start, c = GPU end (device timer until
	 *      tl_finish, then host), d = completion seen.
	 * QUEUE: a = when, b = pending, c = in flight.
	 * SUSPEND / RESUME: a = when, b = enum sched_why, c = tenant the
	 *      policy call concerned (-1: none).
	 * PREEMPTED: a = suspended, b = idle. */
	int64_t a, b, c, d;
};

struct hw_tl {
	struct tl_rec *v;
	size_t n, cap;
	int oom;
	int64_t off_lo, off_hi;   /* GPU clock offset bounds (tl_finish) */
	int timed;                /* kernels that bounded it */
};

/* ---- child: recording (core lock held) --------------------------------------- */
int hw__tl_open(struct group *g)
{
	if (!g->o->timeline_path || g->direct)
		return HS_OK;
	g->tl = calloc(1, sizeof(*g->tl));
	if (!g->tl)
		return HS_ENOMEM;
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		struct tenant *t = &g->t[i];
		if (!g->member[i])
			continue;
		t->tl_used = calloc(t->tr->nrecs ? t->tr->nrecs : 1, 1);
		if (!t->tl_used)
			return HS_ENOMEM;
		t->tl_pend = t->tl_fl = (size_t)-1;
	}
	return HS_OK;
}

void hw__tl_free(struct group *g)
{
	if (g->tl)
		free(g->tl->v);
	free(g->tl);
	g->tl = NULL;
	for (size_t i = 0; i < g->sc->ntenants; i++)
		if (g->member[i]) {
			free(g->t[i].tl_used);
			g->t[i].tl_used = NULL;
		}
}

/* Inside the window (of the run's clock, from t0)? Before t0 (setting
 * up): never. */
static int in_window(const struct group *g, hs_ns a, hs_ns b)
{
	if (!g->t0)
		return 0;
	const struct run_opts *o = g->o;
	return b - g->t0 >= o->tl_from_ns && (o->tl_to_ns <= 0 || a - g->t0 < o->tl_to_ns);
}

static void add(struct group *g, const struct tl_rec *r)
{
	struct hw_tl *tl = g->tl;
	if (tl->n == tl->cap) {
		size_t nc = tl->cap ? 2 * tl->cap : 4096;
		struct tl_rec *nv = realloc(tl->v, nc * sizeof(*nv));
		if (!nv) {
			tl->oom = 1;
			return;
		}
		tl->v = nv;
		tl->cap = nc;
	}
	tl->v[tl->n++] = *r;
}

/* The trace record a command replays (its slot in t->xc), or -1. */
static int32_t rec_of(const struct tenant *t, const struct xcmd *cmd)
{
	if (cmd < t->xc || cmd >= t->xc + t->tr->nrecs)
		return -1;
	return (int32_t)(cmd - t->xc);
}

void hw__tl_queue(struct group *g, struct tenant *t)
{
	if (!g->tl || !t->hq)
		return;
	struct xq_stats st;
	xq_get_stats(hw__queue_xq(t->hq), &st);
	if (st.pending == t->tl_pend && st.inflight == t->tl_fl)
		return;
	/* taken here, under the lock: the series stays in time order */
	hs_ns now = hw__now();
	if (!in_window(g, now, now))
		return;
	t->tl_pend = st.pending;
	t->tl_fl = st.inflight;
	add(g, &(struct tl_rec){ .kind = TL_QUEUE, .tenant = (int32_t)t->idx, .rec = -1,
				 .a = now, .b = (int64_t)st.pending,
				 .c = (int64_t)st.inflight });
}

void hw__tl_launch(struct group *g, struct xcmd *cmd, hs_ns t_ns, hs_ns end_ns)
{
	if (!g->tl)
		return;
	struct tenant *t = hw__tenant_of(g, cmd->xq);
	if (in_window(g, t_ns, t_ns)) {
		int32_t rec = rec_of(t, cmd);
		add(g, &(struct tl_rec){ .kind = TL_LAUNCH, .tenant = (int32_t)t->idx,
					 .rec = rec, .request = t->cur_req,
					 .a = t_ns, .b = end_ns });
		if (rec >= 0)
			t->tl_used[rec] = 1;
	}
	hw__tl_queue(g, t);
}

void hw__tl_exec(struct group *g, struct xcmd *cmd, const struct hw_exec *x)
{
	if (!g->tl)
		return;
	struct tenant *t = hw__tenant_of(g, cmd->xq);
	/* its GPU time lies between its launch and its completion */
	if (!in_window(g, x->launch_ns, x->done_ns))
		return;
	int32_t rec = rec_of(t, cmd);
	if (rec >= 0)
		t->tl_used[rec] = 1;
	/* every command a tenant has on the device is of the request it is
	 * running: it waits for all of them before the next one */
	add(g, &(struct tl_rec){ .kind = TL_CMD, .tenant = (int32_t)t->idx, .rec = rec,
				 .flags = x->aborted ? TL_F_ABORTED : 0,
				 .request = t->cur_req, .a = x->launch_ns,
				 .b = x->gpu_start_ns, .c = x->gpu_end_ns,
				 .d = x->done_ns });
}

void hw__tl_decided(struct group *g, struct xq *q, int suspended, hs_ns now)
{
	/* a client's core only applies the server's decisions: those are
	 * recorded in the parent, with their reason */
	if (!g->tl || g->served || !in_window(g, now, now))
		return;
	struct tenant *t = hw__tenant_of(g, q), *by = NULL;
	int qid = -1;
	int why = sched_why(hw__engine_sched(g->e), &qid);
	for (size_t i = 0; i < g->sc->ntenants && qid >= 0 && !by; i++)
		if (g->member[i] && g->t[i].hq && xq_id(hw__queue_xq(g->t[i].hq)) == qid)
			by = &g->t[i];
	add(g, &(struct tl_rec){ .kind = suspended ? TL_SUSPEND : TL_RESUME,
				 .tenant = (int32_t)t->idx, .rec = -1, .a = now,
				 .b = why, .c = by ? (int64_t)by->idx : -1 });
}

void hw__tl_preempted(struct group *g, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns)
{
	if (!g->tl || !in_window(g, idle_ns, idle_ns))
		return;
	struct tenant *t = hw__tenant_of(g, q);
	add(g, &(struct tl_rec){ .kind = TL_PREEMPTED, .tenant = (int32_t)t->idx,
				 .rec = -1, .a = suspend_ns, .b = idle_ns });
}

/* ---- child: finishing and sending ------------------------------------------------ */
static int stamped(const struct tl_rec *r)
{
	return r->kind == TL_CMD && r->b > 0 && r->c > r->b;
}

/* Maps the GPU stamps to the host clock and estimates the rest (the top
 * of this file). */
static void tl_finish(struct group *g)
{
	struct hw_tl *tl = g->tl;
	tl->off_lo = INT64_MIN;
	tl->off_hi = INT64_MAX;
	for (size_t i = 0; i < tl->n; i++) {
		const struct tl_rec *r = &tl->v[i];
		if (!stamped(r) || (r->flags & TL_F_ABORTED))
			continue;
		if (r->a - r->b > tl->off_lo)
			tl->off_lo = r->a - r->b;
		if (r->d - r->c < tl->off_hi)
			tl->off_hi = r->d - r->c;
		tl->timed++;
	}
	int64_t off = tl->timed ? tl->off_lo / 2 + tl->off_hi / 2 : 0;
	for (size_t i = 0; i < tl->n; i++)
		if (stamped(&tl->v[i])) {
			tl->v[i].b += off;
			tl->v[i].c += off;
		}
	/* per tenant, backwards: the next stamped start; forwards: the end
	 * of the previous command */
	size_t nt = g->sc->ntenants;
	int64_t *next = malloc((nt ? nt : 1) * sizeof(*next));
	int64_t *prev = malloc((nt ? nt : 1) * sizeof(*prev));
	if (!next || !prev) {
		free(next);
		free(prev);
		tl->oom = 1;
		return;
	}
	for (size_t k = 0; k < nt; k++)
		next[k] = INT64_MAX;
	for (size_t i = tl->n; i-- > 0;) {
		struct tl_rec *r = &tl->v[i];
		if (r->kind != TL_CMD)
			continue;
		if (stamped(r)) {
			next[r->tenant] = r->b;
		} else {
			r->flags |= TL_F_ESTIMATED;
			r->c = next[r->tenant] < r->d ? next[r->tenant] : r->d;
		}
	}
	for (size_t k = 0; k < nt; k++)
		prev[k] = INT64_MIN;
	for (size_t i = 0; i < tl->n; i++) {
		struct tl_rec *r = &tl->v[i];
		if (r->kind != TL_CMD)
			continue;
		if (r->flags & TL_F_ESTIMATED) {
			r->b = r->a > prev[r->tenant] ? r->a : prev[r->tenant];
			if (r->c < r->b)
				r->c = r->b;
		}
		if (r->c > prev[r->tenant])
			prev[r->tenant] = r->c;
	}
	free(next);
	free(prev);
}

/* Layout: u8 oom; per member tenant (u64 count first): u64 idx, i32 qid,
 * u64 nrecs, u64 names, then per name i32 rec, i32 kind, i64 seq, u32
 * len, bytes; i64 off_lo, off_hi; i32 timed; u64 n, n tl_rec. */
int hw__tl_send(int fd, struct group *g)
{
	struct hw_tl *tl = g->tl;
	if (!tl)
		return 0;
	tl_finish(g);
	uint8_t oom = (uint8_t)tl->oom;
	int bad = hw__write_all(fd, &oom, 1);
	uint64_t n = 0;
	for (size_t i = 0; i < g->sc->ntenants; i++)
		n += g->member[i];
	bad |= hw__write_all(fd, &n, sizeof(n));
	for (size_t i = 0; i < g->sc->ntenants && !bad; i++) {
		if (!g->member[i])
			continue;
		const struct tenant *t = &g->t[i];
		uint64_t idx = i, nrecs = t->tr->nrecs, names = 0;
		for (size_t k = 0; k < nrecs; k++)
			names += t->tl_used[k];
		bad |= hw__write_all(fd, &idx, sizeof(idx)) || hw__write_all(fd, &t->qid, sizeof(t->qid)) ||
		       hw__write_all(fd, &nrecs, sizeof(nrecs)) || hw__write_all(fd, &names, sizeof(names));
		for (size_t k = 0; k < nrecs && !bad; k++) {
			if (!t->tl_used[k])
				continue;
			const struct trace_rec *r = &t->tr->recs[k];
			const char *nm = r->name ? r->name : "?";
			int32_t rec = (int32_t)k, kind = r->kind;
			int64_t seq = r->seq;
			uint32_t len = (uint32_t)strlen(nm);
			bad |= hw__write_all(fd, &rec, sizeof(rec)) || hw__write_all(fd, &kind, sizeof(kind)) ||
			       hw__write_all(fd, &seq, sizeof(seq)) || hw__write_all(fd, &len, sizeof(len)) ||
			       hw__write_all(fd, nm, len);
		}
	}
	n = tl->n;
	bad |= hw__write_all(fd, &tl->off_lo, sizeof(tl->off_lo)) ||
	       hw__write_all(fd, &tl->off_hi, sizeof(tl->off_hi)) ||
	       hw__write_all(fd, &tl->timed, sizeof(tl->timed)) || hw__write_all(fd, &n, sizeof(n)) ||
	       hw__write_all(fd, tl->v, n * sizeof(*tl->v));
	return bad ? -1 : 0;
}

/* ---- parent ------------------------------------------------------------------------ */
struct tl_names {             /* a tenant's named trace records */
	size_t n;
	char **name;              /* [n], NULL: not named */
	int32_t *kind;
	int64_t *seq;
	int32_t qid;              /* its queue in the policy server, -1 */
	int have;                 /* a child reported it */
	int64_t off_lo, off_hi;   /* its process's GPU clock bounds */
	int timed;
};

struct tl_dec {
	char client[HS_NAME_MAX], by[HS_NAME_MAX];
	int32_t qid, by_qid;
	int suspended, why;
	hs_ns at;
};

struct hw_tl_merge {
	size_t nt;
	struct tl_names *t;       /* [nt] */
	struct tl_rec **part;     /* per child */
	size_t *npart, nparts;
	pthread_mutex_t mu;       /* dec: written by the server's thread */
	struct tl_dec *dec;
	size_t ndec, deccap;
	int oom;
};

struct hw_tl_merge *hw__tl_merge_new(size_t ntenants)
{
	struct hw_tl_merge *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nt = ntenants;
	m->t = calloc(ntenants ? ntenants : 1, sizeof(*m->t));
	m->part = calloc(ntenants + 1, sizeof(*m->part));
	m->npart = calloc(ntenants + 1, sizeof(*m->npart));
	if (!m->t || !m->part || !m->npart) {
		free(m->t);
		free(m->part);
		free(m->npart);
		free(m);
		return NULL;
	}
	for (size_t i = 0; i < ntenants; i++)
		m->t[i].qid = -1;
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void hw__tl_merge_free(struct hw_tl_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nt; i++) {
		for (size_t k = 0; k < m->t[i].n; k++)
			free(m->t[i].name[k]);
		free(m->t[i].name);
		free(m->t[i].kind);
		free(m->t[i].seq);
	}
	for (size_t k = 0; k < m->nparts; k++)
		free(m->part[k]);
	free(m->t);
	free(m->part);
	free(m->npart);
	free(m->dec);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void hw__tl_server_decided(void *ctx, const struct hs_decision *d)
{
	struct hw_tl_merge *m = ctx;
	pthread_mutex_lock(&m->mu);
	if (m->ndec == m->deccap) {
		size_t nc = m->deccap ? 2 * m->deccap : 256;
		struct tl_dec *nv = realloc(m->dec, nc * sizeof(*nv));
		if (!nv) {
			m->oom = 1;
			pthread_mutex_unlock(&m->mu);
			return;
		}
		m->dec = nv;
		m->deccap = nc;
	}
	struct tl_dec *x = &m->dec[m->ndec++];
	memset(x, 0, sizeof(*x));
	snprintf(x->client, sizeof(x->client), "%s", d->client);
	snprintf(x->by, sizeof(x->by), "%s", d->by_client ? d->by_client : "");
	x->qid = d->qid;
	x->by_qid = d->by_client ? d->by_qid : -1;
	x->suspended = d->suspended;
	x->why = d->why;
	x->at = d->at_ns;
	pthread_mutex_unlock(&m->mu);
}

/* Part of hw__tl_recv: the n tenants of one child and their names;
 * their indices into mine[]. */
static int recv_names(int fd, struct hw_tl_merge *m, uint64_t n, size_t *mine)
{
	for (uint64_t k = 0; k < n; k++) {
		uint64_t idx, nrecs, names;
		int32_t qid;
		if (hw__read_all(fd, &idx, sizeof(idx)) || idx >= m->nt || hw__read_all(fd, &qid, sizeof(qid)) ||
		    hw__read_all(fd, &nrecs, sizeof(nrecs)) || hw__read_all(fd, &names, sizeof(names)) ||
		    names > nrecs || nrecs > TRACE_MAX_RECS)
			return HW_EDEVICE;
		struct tl_names *t = &m->t[idx];
		if (t->have)
			return HW_EDEVICE;
		t->have = 1;
		t->qid = qid;
		t->n = nrecs;
		t->name = calloc(nrecs ? nrecs : 1, sizeof(*t->name));
		t->kind = calloc(nrecs ? nrecs : 1, sizeof(*t->kind));
		t->seq = calloc(nrecs ? nrecs : 1, sizeof(*t->seq));
		if (!t->name || !t->kind || !t->seq)
			return HS_ENOMEM;
		for (uint64_t j = 0; j < names; j++) {
			int32_t rec, kind;
			int64_t seq;
			uint32_t len;
			if (hw__read_all(fd, &rec, sizeof(rec)) || rec < 0 || (uint64_t)rec >= nrecs ||
			    t->name[rec] || hw__read_all(fd, &kind, sizeof(kind)) ||
			    hw__read_all(fd, &seq, sizeof(seq)) || hw__read_all(fd, &len, sizeof(len)) ||
			    len > (1u << 20))
				return HW_EDEVICE;
			if (!(t->name[rec] = malloc(len + 1)))
				return HS_ENOMEM;
			if (hw__read_all(fd, t->name[rec], len))
				return HW_EDEVICE;
			t->name[rec][len] = 0;
			t->kind[rec] = kind;
			t->seq[rec] = seq;
		}
		mine[k] = idx;
	}
	return HS_OK;
}

int hw__tl_recv(int fd, struct hw_tl_merge *m)
{
	uint8_t oom;
	uint64_t n;
	if (hw__read_all(fd, &oom, 1) || hw__read_all(fd, &n, sizeof(n)))
		return HW_EDEVICE;
	m->oom |= oom;
	if (n > m->nt)
		return HW_EDEVICE;
	size_t *mine = malloc((n ? n : 1) * sizeof(*mine));
	if (!mine)
		return HS_ENOMEM;
	int rc = recv_names(fd, m, n, mine);
	if (rc) {
		free(mine);
		return rc;
	}
	int64_t lo, hi;
	int timed;
	uint64_t nr;
	if (hw__read_all(fd, &lo, sizeof(lo)) || hw__read_all(fd, &hi, sizeof(hi)) ||
	    hw__read_all(fd, &timed, sizeof(timed)) || hw__read_all(fd, &nr, sizeof(nr)) ||
	    nr > ((uint64_t)1 << 32)) {
		free(mine);
		return HW_EDEVICE;
	}
	for (uint64_t k = 0; k < n; k++) {
		m->t[mine[k]].off_lo = lo;
		m->t[mine[k]].off_hi = hi;
		m->t[mine[k]].timed = timed;
	}
	free(mine);
	if (m->nparts > m->nt)
		return HW_EDEVICE;        /* more processes than groups */
	struct tl_rec *v = malloc((nr ? nr : 1) * sizeof(*v));
	if (!v)
		return HS_ENOMEM;
	if (hw__read_all(fd, v, nr * sizeof(*v))) {
		free(v);
		return HW_EDEVICE;
	}
	for (uint64_t i = 0; i < nr; i++)
		if (v[i].tenant < 0 || (size_t)v[i].tenant >= m->nt ||
		    !m->t[v[i].tenant].have ||
		    (v[i].rec >= 0 && (size_t)v[i].rec >= m->t[v[i].tenant].n)) {
			free(v);
			return HW_EDEVICE;
		}
	m->part[m->nparts] = v;
	m->npart[m->nparts++] = nr;
	return HS_OK;
}

static void stream_name(const struct scenario *sc, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s s0", sc->tenants[i].name);
}

/* The tenant whose queue the server calls (client, qid): the group's
 * client is named after its first tenant (run.c). */
static int tenant_of_dec(const struct scenario *sc, const struct hw_tl_merge *m,
			 const char *client, int32_t qid)
{
	for (size_t i = 0; i < m->nt; i++) {
		if (!m->t[i].have || m->t[i].qid != qid)
			continue;
		/* the first tenant of i's process */
		size_t f = i;
		int own = sc->tenants[i].process == PROCESS_OWN;
		for (size_t j = 0; j < i && !own; j++)
			if (m->t[j].have && sc->tenants[j].process != PROCESS_OWN) {
				f = j;
				break;
			}
		if (!strncmp(sc->tenants[f].name, client, HS_NAME_MAX - 1))
			return (int)i;
	}
	return -1;
}

/* How precisely a process's stamps are on the host clock: the half-width
 * of the offset's bounds, or by how much they cross. */
static double clock_err_us(const struct tl_names *t)
{
	if (!t->timed)
		return 0;
	return t->off_lo <= t->off_hi ? (double)(t->off_hi - t->off_lo) / 2e3 :
		(double)(t->off_lo - t->off_hi) / 1e3;
}

static void label(struct timeline *tl, const struct tl_names *t, int i)
{
	char buf[320];
	if (!t->timed)
		snprintf(buf, sizeof(buf), "GPU times: no replay kernel stamped "
			 "its times; every command is estimated");
	else if (t->off_lo <= t->off_hi)
		snprintf(buf, sizeof(buf), "GPU times: the replay kernels' device "
			 "timer stamps, on the host clock within +/-%.1f us "
			 "(%d kernels bound the offset)",
			 (double)(t->off_hi - t->off_lo) / 2e3, t->timed);
	else
		snprintf(buf, sizeof(buf), "GPU times: the replay kernels' device "
			 "timer stamps, on the host clock; the bounds of the offset "
			 "cross by %.1f us (the device timer drifts from the host's): "
			 "times are off by about that much",
			 (double)(t->off_lo - t->off_hi) / 1e3);
	timeline_label(tl, i, buf);
}

int hw__tl_write(const struct scenario *sc, const struct run_result *res,
		 const struct run_opts *o, hs_ns t0, struct hw_tl_merge *m,
		 char *err, size_t errlen)
{
	struct trace_err te;
	struct timeline *tl = timeline_open(o->timeline_path, o->tl_from_ns,
					    o->tl_to_ns, &te);
	if (!tl) {
		snprintf(err, errlen, "%s", te.msg);
		return HW_EIO;
	}
	char nm[192], by[192];
	for (size_t i = 0; i < sc->ntenants; i++) {
		if (!res->t[i].nreq && !(m && m->t[i].have))
			continue;
		timeline_tenant(tl, (int)i, sc->tenants[i].name);
		if (!m || !m->t[i].have)
			continue;
		stream_name(sc, i, nm, sizeof(nm));
		timeline_stream(tl, (int)i, 0, nm);
		label(tl, &m->t[i], (int)i);
	}
	for (size_t p = 0; m && p < m->nparts; p++) {
		for (size_t k = 0; k < m->npart[p]; k++) {
			const struct tl_rec *r = &m->part[p][k];
			const struct tl_names *t = &m->t[r->tenant];
			int ti = r->tenant;
			const char *name = r->rec >= 0 ? t->name[r->rec] : NULL;
			int64_t seq = r->rec >= 0 && name ? t->seq[r->rec] : -1;
			switch (r->kind) {
			case TL_LAUNCH:
				timeline_launch(tl, ti, 0, r->a - t0, r->b - r->a, r->request, seq);
				break;
			case TL_CMD: {
				struct timeline_cmd c = {
					.name = name ? name : "?",
					.cat = name ? trace_kind_name(t->kind[r->rec]) : "kernel",
					.request = r->request, .seq = seq,
					.launch_ns = r->a - t0, .start_ns = r->b - t0,
					.end_ns = r->c - t0,
					.estimated = !!(r->flags & TL_F_ESTIMATED),
					.aborted = !!(r->flags & TL_F_ABORTED),
					.clock_err_us = r->flags & TL_F_ESTIMATED ? 0 :
						clock_err_us(t),
				};
				timeline_command(tl, ti, 0, &c);
				break;
			}
			case TL_QUEUE:
				stream_name(sc, (size_t)ti, nm, sizeof(nm));
				timeline_queue(tl, ti, 0, nm, r->a - t0, (size_t)r->b, (size_t)r->c);
				break;
			case TL_SUSPEND:
			case TL_RESUME:
				if (r->c >= 0)
					stream_name(sc, (size_t)r->c, by, sizeof(by));
				timeline_decision(tl, ti, 0, r->kind == TL_SUSPEND, r->a - t0,
						  r->c >= 0 ? by : NULL, sched_why_name((int)r->b),
						  res->policy);
				break;
			case TL_PREEMPTED:
				timeline_preempted(tl, ti, 0, r->a - t0, r->b - t0);
				break;
			}
		}
	}
	for (size_t k = 0; m && k < m->ndec; k++) {
		const struct tl_dec *d = &m->dec[k];
		int ti = tenant_of_dec(sc, m, d->client, d->qid);
		if (ti < 0)
			continue;        /* a queue of a process that failed */
		int bi = d->by_qid >= 0 ? tenant_of_dec(sc, m, d->by, d->by_qid) : -1;
		if (bi >= 0)
			stream_name(sc, (size_t)bi, by, sizeof(by));
		timeline_decision(tl, ti, 0, d->suspended, d->at - t0, bi >= 0 ? by : NULL,
				  sched_why_name(d->why), res->policy);
	}
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_result *t = &res->t[i];
		for (size_t k = 0; k < t->nreq; k++) {
			const struct req_record *q = &t->req[k];
			timeline_request(tl, (int)i, q->request, q->arrival_ns,
					 q->start_ns, q->end_ns, sc->tenants[i].slo_ns);
		}
	}
	if (m && m->oom) {
		timeline_close(tl, 0, &te);
		snprintf(err, errlen, "%s: out of memory recording the timeline",
			 o->timeline_path);
		return HS_ENOMEM;
	}
	if (timeline_close(tl, 1, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return HW_EIO;
	}
	return HS_OK;
}
