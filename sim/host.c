/*
 * The host / tenant model (sim/MODEL.md): arrivals, one request at a time
 * per tenant (arrivals and request choice from the workload model,
 * scenarios/workload.c), replaying the trace's commands with the host gaps
 * of the request the workload model draws (host jitter),
 * host-blocking syncs, request completion.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_internal.h"

/* Blocks of this kernel one unit can hold at once (>= 1): the tightest of
 * the profile's occupancy limits; UINT32_MAX without limits. */
static uint64_t blocks_per_unit(const struct sim_device *d,
				const struct trace_rec *rec)
{
	uint64_t threads = (uint64_t)(rec->block[0] ? rec->block[0] : 1) *
		(rec->block[1] ? rec->block[1] : 1) *
		(rec->block[2] ? rec->block[2] : 1);
	uint64_t lim = UINT32_MAX;
	if (d->max_blocks_per_unit > 0 && (uint64_t)d->max_blocks_per_unit < lim)
		lim = (uint64_t)d->max_blocks_per_unit;
	if (d->max_threads_per_unit > 0 && d->max_threads_per_unit / threads < lim)
		lim = d->max_threads_per_unit / threads;
	if (d->regs_per_unit > 0 && rec->regs > 0 &&
	    d->regs_per_unit / (threads * (uint64_t)rec->regs) < lim)
		lim = d->regs_per_unit / (threads * (uint64_t)rec->regs);
	if (d->shmem_per_unit > 0 && rec->shmem > 0 &&
	    (uint64_t)d->shmem_per_unit / (uint64_t)rec->shmem < lim)
		lim = (uint64_t)d->shmem_per_unit / (uint64_t)rec->shmem;
	return lim ? lim : 1;
}

/* Builds the tenant's compact replay steps: the trace's streams mapped to
 * local indexes, per record its host gap, work, width, waves and whether it
 * is the last command of its request on its stream (the core must report
 * it). */
static int index_trace(struct sim_tenant *t, char *err, size_t errlen)
{
	const struct trace *tr = t->tr;
	const struct sim_device *dev = &t->sim->dev;
	int64_t *ids = NULL;
	int n = 0, cap = 0;
	t->step = calloc(tr->nrecs ? tr->nrecs : 1, sizeof(*t->step));
	if (!t->step)
		goto nomem;
	for (size_t i = 0; i < tr->nrecs; i++) {
		const struct trace_rec *rec = &tr->recs[i];
		struct sim_step *st = &t->step[i];
		int64_t sid = rec->stream;
		int k = 0;
		while (k < n && ids[k] != sid)
			k++;
		if (k == n) {
			if (n == 4096) {
				snprintf(err, errlen, "%s: more than 4096 streams",
					 tr->path ? tr->path : "trace");
				free(ids);
				return HS_EINVAL;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				int64_t *ni = realloc(ids, cap * sizeof(*ni));
				if (!ni)
					goto nomem;
				ids = ni;
			}
			ids[n++] = sid;
		}
		st->stream = (uint16_t)k;
		st->kind = (uint8_t)rec->kind;
		st->dur_ns = rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0;
		if (rec->kind == TRACE_KERNEL) {
			uint64_t blocks = (uint64_t)(rec->grid[0] ? rec->grid[0] : 1) *
				(rec->grid[1] ? rec->grid[1] : 1) *
				(rec->grid[2] ? rec->grid[2] : 1);
			uint64_t resident = (uint64_t)dev->units *
				blocks_per_unit(dev, rec);
			uint64_t waves = (blocks + resident - 1) / resident;
			st->width = blocks < (uint64_t)dev->units ? (int)blocks :
				dev->units;
			st->work = st->dur_ns * st->width;
			st->wave_work = waves > 1 ? st->work / (int64_t)waves : 0;
		} else {
			st->work = rec->kind == TRACE_MARKER ? 0 : st->dur_ns;
		}
	}
	t->stream_id = ids;        /* for the timeline's track names */
	ids = NULL;
	t->nhwq = n ? n : 1;
	/* walking each request backwards, the first command met on a stream
	 * is its last; sync rows are always reported and do not count */
	uint32_t *stamp = calloc((size_t)t->nhwq, sizeof(*stamp));
	if (!stamp)
		goto nomem;
	for (size_t r = 0; r < tr->nreqs; r++) {
		const struct trace_request *q = &tr->reqs[r];
		for (size_t i = q->first + q->count; i-- > q->first;) {
			if (t->step[i].kind == TRACE_SYNC)
				continue;
			uint16_t k = t->step[i].stream;
			if (stamp[k] != (uint32_t)r + 1) {
				stamp[k] = (uint32_t)r + 1;
				t->step[i].last = 1;
			}
		}
	}
	free(stamp);
	return HS_OK;
nomem:
	free(ids);
	snprintf(err, errlen, "%s", hs_strerror(HS_ENOMEM));
	return HS_ENOMEM;
}

int sim__tenant_setup(struct sim *s, struct sim_tenant *t, char *err,
		      size_t errlen)
{
	const struct tenant_spec *sp = t->spec;
	if (!t->tr) {
		struct trace_err te;
		t->tr = trace_load(sp->trace_path, &te);
		if (!t->tr) {
			snprintf(err, errlen, "%s", te.msg);
			return HS_EINVAL;
		}
		t->own_trace = 1;
	}
	struct trace_err te;
	if (trace_check_replay(t->tr, SCENARIO_DURATION_MAX_NS, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return HS_EINVAL;
	}
	/* a trace replayed by an earlier tenant: its steps are the same */
	struct sim_tenant *same = NULL;
	for (size_t j = 0; j < t->idx && !same; j++)
		if (s->t[j].spec && s->t[j].tr == t->tr && s->t[j].step)
			same = &s->t[j];
	int rc;
	if (same) {
		t->step = same->step;
		t->stream_id = same->stream_id;
		t->nhwq = same->nhwq;
	} else {
		t->own_step = 1;
		if ((rc = index_trace(t, err, errlen)))
			return rc;
	}
	struct workload_env env = {
		.apply_wake_late = 1,
		.wake_late_p50_ns = s->dev.wake_late_p50_ns,
		.wake_late_p99_ns = s->dev.wake_late_p99_ns,
		.shapes = same ? workload_shapes(same->wl) : NULL,
	};
	rc = workload_create(s->sc, t->idx, s->res->seed, t->tr, &env, &t->wl,
			     err, errlen);
	if (rc)
		return rc;
	t->gap = malloc((t->tr->nrecs ? t->tr->nrecs : 1) * sizeof(*t->gap));
	if (!t->gap) {
		snprintf(err, errlen, "%s", hs_strerror(HS_ENOMEM));
		return HS_ENOMEM;
	}
	for (size_t i = 0; i < t->tr->nrecs; i++)
		t->gap[i] = workload_gap(t->wl, i);
	t->next_arrival = WORKLOAD_NONE;
	return HS_OK;
}

void sim__tenant_release(struct sim_tenant *t)
{
	workload_free(t->wl);
	if (t->own_trace)
		trace_free(t->tr);
	if (t->own_step) {
		free(t->step);
		free(t->stream_id);
	}
	free(t->gap);
}

static void update_owed(struct sim_tenant *t)
{
	struct sim *s = t->sim;
	int owed = (t->busy && t->recorded) || t->next_arrival < s->duration_ns;
	if (owed != t->owed) {
		if (owed)
			s->owed++;
		else
			s->owed--;
		t->owed = owed;
	}
}

/* Deadline hint for edf-like policies: the request's absolute deadline
 * (arrival + deadline, or + slo) on each of the tenant's queues; none
 * (arrival < 0) between requests. Tenants without either give no hint. */
static void set_deadline(struct sim_tenant *t, hs_ns arrival, hs_ns now)
{
	hs_ns rel = t->spec->deadline_ns ? t->spec->deadline_ns : t->spec->slo_ns;
	if (rel <= 0)
		return;
	hs_ns abs = arrival < 0 ? INT64_MAX : arrival + rel;
	for (int k = 0; k < t->nhwq; k++)
		xq_set_deadline(t->hwq[k].q, abs, now);
}

static void ev_host(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now);
static void start_request(struct sim_tenant *t, hs_ns now);

static void ev_arrival(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_tenant *t = obj;
	t->arrival_ev = 0;
	if (!t->busy)
		start_request(t, now);
}

/* Arms the arrival event for next_arrival (or starts it if already due). */
static void arm_arrival(struct sim_tenant *t, hs_ns now)
{
	struct sim *s = t->sim;
	update_owed(t);
	/* a host that sleeps until the arrival wakes late; one that is
	 * still busy past it does not sleep */
	if (t->next_arrival <= now)
		start_request(t, now);
	else if (t->next_arrival < s->cap_ns)
		t->arrival_ev = sim__at(s, t->next_arrival + t->next_wake_ns,
					ev_arrival, t, 0);
}

void sim__tenant_start(struct sim_tenant *t)
{
	t->next_arrival = workload_next_arrival(t->wl, 0);
	t->next_wake_ns = workload_wake_late(t->wl);
	arm_arrival(t, 0);
}

static void complete_request(struct sim_tenant *t, hs_ns now)
{
	struct sim *s = t->sim;
	struct req_record r = {
		.request = t->req_no,
		.trace_req = (int64_t)workload_request(t->wl, (uint64_t)t->req_no),
		.arrival_ns = t->arrival_ns,
		.start_ns = t->start_ns, .end_ns = now,
	};
	int rc = t->recorded ? run_result_add_req(s->res, t->idx, &r) : HS_OK;
	if (rc && !s->err)
		s->err = rc;
	sim__emit_request(s, t, &r);
	t->req_no++;
	t->busy = 0;
	set_deadline(t, -1, now);
	if (workload_closed(t->wl))
		t->next_arrival = workload_next_arrival(t->wl, now);
	t->next_wake_ns = workload_wake_late(t->wl);
	arm_arrival(t, now);
}

/* Inlined into submit (both calls), with the pool's refill out of line
 * (sim.c): 24 instructions a command fewer (callgrind, tenants_2). */
static inline __attribute__((always_inline)) struct sim_cmd *
new_cmd(struct sim_tenant *t, const struct trace_rec *rec, int stream)
{
	struct sim *s = t->sim;
	struct sim_cmd *c = sim__cmd_get(s);
	if (!c) {
		if (!s->err)
			s->err = HS_ENOMEM;
		return NULL;
	}
	/* field by field: a memset of the whole struct is measurably slower
	 * on this hot path */
	c->x.kind = XCMD_KERNEL;
	c->x.flags = 0;
	c->x.expect_ns = 0;
	c->x.payload = c;
	c->x.next = NULL;
	c->rec = rec;
	c->t = t;
	c->hwq = &t->hwq[stream];
	c->hnext = NULL;
	c->ready_ns = c->elig_ns = c->last_ns = 0;
	c->start_ns = -1;
	c->work = c->full_work = 0;
	c->end_ev = c->notify_ev = c->yield_ev = 0;
	c->wave_work = 0;
	c->width = c->alloc = 0;
	c->state = SC_QUEUED;
	c->is_kernel = c->started = c->frozen = c->is_sync = c->pre = 0;
	return c;
}

static void submit(struct sim_tenant *t, size_t i, hs_ns now)
{
	static const enum xcmd_kind kinds[TRACE_KIND_COUNT_] = {
		[TRACE_KERNEL] = XCMD_KERNEL, [TRACE_MEMCPY] = XCMD_MEMCPY,
		[TRACE_MEMSET] = XCMD_MEMSET, [TRACE_SYNC] = XCMD_SYNC,
		[TRACE_MARKER] = XCMD_MARKER,
	};
	struct sim *s = t->sim;
	const struct trace_rec *rec = &t->tr->recs[i];
	const struct sim_step *st = &t->step[i];
	if (s->hooks && s->hooks->on_submit)
		s->hooks->on_submit(s->hooks->ctx, t->idx, rec, now);
	if (st->kind == TRACE_SYNC) {
		/* like torch.cuda.synchronize: wait for all the tenant's
		 * streams */
		for (int k = 0; k < t->nhwq; k++) {
			struct sim_cmd *c = new_cmd(t, rec, k);
			if (!c)
				return;
			c->x.kind = XCMD_SYNC;
			c->x.flags = XCMD_F_SYNC;
			c->is_sync = 1;
			t->sync_wait++;
			t->outstanding++;
			int rc = xq_submit(t->hwq[k].q, &c->x, now);
			if (rc && !s->err)
				s->err = rc;
			sim__tl_queue(s, &t->hwq[k], now);
		}
		return;
	}
	struct sim_cmd *c = new_cmd(t, rec, st->stream);
	if (!c)
		return;
	c->x.kind = kinds[st->kind];
	c->x.flags = st->last ? XCMD_F_SYNC : 0;
	c->x.expect_ns = st->dur_ns;
	c->is_kernel = st->kind == TRACE_KERNEL;
	c->width = st->width;
	c->full_work = st->work;
	c->wave_work = st->wave_work;
	t->outstanding++;
	c->launch_ns = -1;
	int rc = xq_submit(c->hwq->q, &c->x, now);
	if (rc && !s->err)
		s->err = rc;
	sim__tl_queue(s, c->hwq, now);
	/* held by the core: a blocking launch call returns when it goes (a
	 * marker is no call of the application's: hw's replay does not
	 * submit it) */
	if (c->launch_ns < 0 && t->spec->host_launch == HOST_LAUNCH_BLOCKING &&
	    st->kind != TRACE_MARKER)
		t->held = c;
}

/* 1 while the host waits for a sync or a held launch call. */
static inline int host_waits(const struct sim_tenant *t)
{
	return t->sync_wait || t->held;
}

int sim__host_launching(const struct sim *s, int ctx)
{
	for (size_t i = 0; i < s->nt; i++) {
		const struct sim_tenant *t = &s->t[i];
		if (t->nhwq && t->hwq[0].ctx == ctx && t->busy && t->ci < t->cend &&
		    !host_waits(t))
			return 1;
	}
	return 0;
}

void sim__host_launched(struct sim_cmd *c, hs_ns now)
{
	struct sim_tenant *t = c->t;
	if (t->held != c)
		return;
	/* the call returns now; the next gap counts from here */
	t->held = NULL;
	t->last_submit_ns = now;
	if (!t->host_ev && !t->sync_wait)
		t->host_ev = sim__at(t->sim, now, ev_host, t, 0);
}

/* The interception library's quiet tail (tenant key `quiet`): a host
 * that has not launched for quiet_ns has the last launched command of
 * each of its queues marked, so the core learns in the host's gap that
 * the queue drained (and a policy may give the device away in it). */
static void ev_quiet(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_tenant *t = obj;
	t->quiet_ev = 0;
	for (int k = 0; k < t->nhwq; k++)
		xq_sync_tail(t->hwq[k].q, now);
}

/* Submits what is due; waits (event) for the next due time or a sync. */
static void host_step(struct sim_tenant *t, hs_ns now)
{
	struct sim *s = t->sim;
	while (t->ci < t->cend) {
		if (host_waits(t))
			return;            /* cmd_done / the launch wakes us */
		hs_ns due = (t->ci == t->cfirst ? t->start_ns : t->last_submit_ns) +
			t->gap[t->ci + t->host_off];
		/* the library's own time in the call (a marker is no call) */
		if (t->intercept_ns && t->step[t->ci].kind != TRACE_MARKER)
			due += t->intercept_ns;
		if (due > now) {
			t->host_ev = sim__at(s, due, ev_host, t, 0);
			hs_ns q = t->last_submit_ns + t->spec->quiet_ns;
			if (t->spec->quiet_ns > 0 && q < due && t->ci != t->cfirst) {
				if (t->quiet_ev)
					sim_event_cancel(s->eng, t->quiet_ev);
				t->quiet_ev = sim__at(s, q > now ? q : now, ev_quiet, t, 0);
			}
			return;
		}
		t->last_submit_ns = now;
		submit(t, t->ci++, now);
		if (s->err)
			return;
	}
	if (!t->outstanding)
		complete_request(t, now);
}

static void ev_host(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim_tenant *t = obj;
	t->host_ev = 0;
	host_step(t, now);
}

static void start_request(struct sim_tenant *t, hs_ns now)
{
	const struct trace_request *r =
		&t->tr->reqs[workload_request(t->wl, (uint64_t)t->req_no)];
	size_t hq = workload_host_request(t->wl, (uint64_t)t->req_no);
	if (hq == (size_t)-1) {
		if (!t->sim->err)
			t->sim->err = HS_ENOMEM;
		return;
	}
	/* the host timing of request hq, of r's shape: record i of r waits
	 * the gap of record i + host_off */
	t->host_off = (ptrdiff_t)t->tr->reqs[hq].first - (ptrdiff_t)r->first;
	t->busy = 1;
	t->arrival_ns = t->next_arrival;
	t->recorded = t->arrival_ns < t->sim->duration_ns;
	t->start_ns = now;
	t->last_submit_ns = now;
	t->ci = t->cfirst = r->first;
	t->cend = r->first + r->count;
	t->outstanding = 0;
	t->sync_wait = 0;
	t->next_arrival = workload_closed(t->wl) ? WORKLOAD_NONE :
		workload_next_arrival(t->wl, 0);   /* closed: at completion */
	t->next_wake_ns = workload_wake_late(t->wl);
	update_owed(t);
	set_deadline(t, t->arrival_ns, now);
	host_step(t, now);
}

/* sched_env.cmd_done: the core lets go of a command. */
void sim__cmd_done(void *ctx, struct xcmd *x, hs_ns now)
{
	struct sim *s = ctx;
	struct sim_cmd *c = x->payload;
	struct sim_tenant *t = c->t;
	sim__tl_queue(s, c->hwq, now);
	t->outstanding--;
	if (c->is_sync && --t->sync_wait == 0)
		t->last_submit_ns = now;   /* the host's sync call returns */
	sim__cmd_put(s, c);
	if (t->busy && !t->host_ev && !host_waits(t) &&
	    (t->ci < t->cend || !t->outstanding))
		t->host_ev = sim__at(s, now, ev_host, t, 0);
}
