/*
 * hw_run: a scenario replayed on the GPU in real time.
 *
 * Each active tenant is a host thread that, per request, submits the
 * commands of one of its trace's requests (arrivals and request choice
 * from the workload model, scenarios/workload.c) to
 * its XQueue with the recorded host gaps (the one definition of
 * scenarios/scenario.h: from the previous submission or sync return), then waits
 * until the request's last command completed (a trace `sync` record makes
 * it wait for everything submitted so far in the middle of a request too).
 * Arrivals run on the monotonic clock; a
 * request that arrives while the tenant is busy waits for it (its latency,
 * end - arrival, includes that wait). At the end of the window no new
 * request starts; one in progress finishes; arrivals not started are
 * recorded as incomplete (end_ns = -1).
 *
 * Kernels become replay kernels of the recorded shape and duration
 * (calibrated, see calib.c); copies and memsets are real copies / memsets
 * of the recorded size (a zero-size one replays its duration as a one-block
 * replay kernel).
 *
 * Each process of the run (hw/run/proc.c says which tenants share one and
 * how the processes start and report) runs a group of tenants with its own
 * HIP context and core instance. With the policy served by the parent
 * (hw/serve/serve.h), the group is a client of that server: its core runs
 * "remote" and each tenant queue joins with the tenant's priority.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run_internal.h"

static struct hw_calib g_calib;
static int g_have_calib;

int hw_load_calibration(const char *path, char *err, size_t errlen)
{
	struct hw_calib c;
	int rc = hw_calib_load(path, &c, err, errlen);
	if (rc)
		return rc;
	g_calib = c;
	g_have_calib = 1;
	return HS_OK;
}

static void engine_lock(void *e) { hw__engine_lock(e); }
static void engine_unlock(void *e) { hw__engine_unlock(e); }

/* ---- callbacks (core lock held) ------------------------------------------ */
/* The tenant of queue q: its user, or the owner of its endpoint when the
 * group is (or was: completions go on after the client closed) a policy
 * server's client. */
struct tenant *hw__tenant_of(const struct group *g, const struct xq *q)
{
	return g->served ? hs_client_ep_owner(xq_user(q)) : xq_user(q);
}

static void on_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
	struct tenant *t = hw__tenant_of(ctx, cmd->xq);
	pthread_mutex_lock(&t->mu);
	t->done++;
	t->last_done_ns = now;
	if (cmd->kind == XCMD_KERNEL)
		t->kernels++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	hw__tl_queue(ctx, t);
}

static void on_preempted(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns)
{
	struct group *g = ctx;
	run_result_add_preempt(g->res, idle_ns - suspend_ns);
	hw__tl_preempted(g, q, suspend_ns, idle_ns);
}

/* the timeline's hooks (tl.c) */
static void on_decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	hw__tl_decided(ctx, q, suspended, now);
}

/* Set with a timeline or a tenant whose host launches block. */
static void on_launched(void *ctx, struct xcmd *cmd, hs_ns t_ns, hs_ns end_ns)
{
	struct group *g = ctx;
	if (g->o->timeline_path)
		hw__tl_launch(ctx, cmd, t_ns, end_ns);
	struct tenant *t = hw__tenant_of(g, cmd->xq);
	if (t->spec->host_launch != HOST_LAUNCH_BLOCKING)
		return;
	pthread_mutex_lock(&t->mu);
	t->launched++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void on_executed(void *ctx, struct xcmd *cmd, const struct hw_exec *x)
{
	hw__tl_exec(ctx, cmd, x);
}

static void on_failed(void *ctx, const char *msg)
{
	struct group *g = ctx;
	if (!g->failed)
		snprintf(g->failmsg, sizeof(g->failmsg), "%s", msg);
	g->failed = 1;
	g->stop = 1;
	/* a tenant thread waiting for its commands (done, or launched by a
	 * blocking host) looks at `failed`: wake it (never called with a
	 * tenant's lock held) */
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		struct tenant *t = &g->t[i];
		if (t->g != g)
			continue;       /* not this process's */
		pthread_mutex_lock(&t->mu);
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
	}
}

/* ---- preparing a tenant ----------------------------------------------------- */
/* Turns the trace records into device commands. */
static int prepare_cmds(struct group *g, struct tenant *t)
{
	const struct trace *tr = t->tr;
	t->hc = calloc(tr->nrecs ? tr->nrecs : 1, sizeof(*t->hc));
	t->kind = calloc(tr->nrecs ? tr->nrecs : 1, sizeof(*t->kind));
	t->sync = calloc(tr->nrecs ? tr->nrecs : 1, 1);
	t->xc = calloc(tr->nrecs ? tr->nrecs : 1, sizeof(*t->xc));
	if (!t->hc || !t->kind || !t->sync || !t->xc)
		return HS_ENOMEM;
	const struct hw_calib *cal = g_have_calib ? &g_calib : NULL;
	for (size_t i = 0; i < tr->nrecs; i++) {
		const struct trace_rec *r = &tr->recs[i];
		struct hw_cmd *h = &t->hc[i];
		hs_ns dur = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
		switch (r->kind) {
		case TRACE_KERNEL:
			h->kind = XCMD_KERNEL;
			break;
		case TRACE_MEMCPY:
		case TRACE_MEMSET:
			h->kind = r->kind == TRACE_MEMCPY ? XCMD_MEMCPY : XCMD_MEMSET;
			h->bytes = r->bytes > 0 ? (size_t)r->bytes : 0;
			break;
		default:
			t->kind[i] = (enum xcmd_kind)-1;
			continue;
		}
		t->kind[i] = h->kind;
		if (h->kind == XCMD_KERNEL || h->bytes == 0) {
			static const uint32_t one[3] = { 1, 1, 1 };
			int rc = hw__kernel_shape(g->ops, g->dev, &g->info,
						  h->kind == XCMD_KERNEL ? r->grid : one,
						  h->kind == XCMD_KERNEL ? r->block : one,
						  h->kind == XCMD_KERNEL ? r->shmem : 0,
						  dur, cal, &h->k);
			if (rc)
				return rc;
			h->kind = XCMD_KERNEL;
		}
	}
	/* Markers: before a host sync, and on each request's last command. */
	for (size_t q = 0; q < tr->nreqs; q++) {
		const struct trace_request *rq = &tr->reqs[q];
		long last = -1;
		for (size_t i = rq->first; i < rq->first + rq->count; i++) {
			if (tr->recs[i].kind == TRACE_SYNC && last >= 0)
				t->sync[last] = 1;
			if ((int)t->kind[i] >= 0)
				last = (long)i;
		}
		if (last >= 0)
			t->sync[last] = 1;
	}
	return HS_OK;
}

/* ---- the tenant thread -------------------------------------------------------- */
/* Waits until *count (done or launched, under t->mu) reaches n, or the run
 * failed. */
static void wait_count(struct tenant *t, const uint64_t *count, uint64_t n)
{
	pthread_mutex_lock(&t->mu);
	while (*count < n && !t->g->failed)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void wait_done(struct tenant *t, uint64_t n)
{
	wait_count(t, &t->done, n);
}

/* host_launch = blocking: the launch call returns once the core has let
 * the command go (at the queue's threshold, or while it is suspended, it
 * waits, as an application's under libhipsched.so does). */
static void wait_launched(struct tenant *t, uint64_t n)
{
	wait_count(t, &t->launched, n);
}

/* Direct mode: the command goes straight to the tenant's stream; a marked
 * one (a host wait follows) is waited for at once. */
static int direct_issue(struct tenant *t, const struct hw_cmd *h, int wait)
{
	struct group *g = t->g;
	const struct hw_devops *o = g->ops;
	int rc;
	switch (h->kind) {
	case XCMD_KERNEL:
		rc = hw__dev_kernel(o, g->dev, t->dst, &h->k, &t->dctl, -1);
		t->kernels++;
		break;
	case XCMD_MEMCPY:
		rc = hw__dev_memcpy(o, g->dev, t->dst, h->bytes);
		break;
	default:
		rc = hw__dev_memset(o, g->dev, t->dst, h->bytes);
		break;
	}
	if (!rc && wait) {
		rc = hw__dev_event_record(o, g->dev, t->dev_ev, t->dst);
		if (!rc)
			rc = hw__dev_event_wait(o, g->dev, t->dev_ev);
		pthread_mutex_lock(&t->mu);
		t->last_done_ns = hw__now();
		pthread_mutex_unlock(&t->mu);
	}
	if (rc)
		on_failed(g, hw__dev_error(o, g->dev));
	return rc;
}

static void *tenant_main(void *arg)
{
	struct tenant *t = arg;
	struct group *g = t->g;
	const struct trace *tr = t->tr;
	uint64_t submitted = 0;
	hs_ns prev_end = 0;
	hs_ns dl = t->spec->deadline_ns ? t->spec->deadline_ns : t->spec->slo_ns;

	for (uint64_t k = 0; !g->stop; k++) {
		hs_ns a = workload_next_arrival(t->wl, prev_end);
		if (a == WORKLOAD_NONE || a >= g->dur)
			break;
		hw__sleep_until(g->t0 + a);
		hs_ns start = hw__now();
		size_t q = workload_request(t->wl, k);
		t->cur_req = (int64_t)k;   /* read under the core lock (tl.c) */
		struct req_record rec = { .request = (int64_t)k, .trace_req = (int64_t)q,
					  .arrival_ns = a,
					  .start_ns = start - g->t0, .end_ns = -1 };
		if (start - g->t0 >= g->dur || g->stop) {
			/* arrived in the window, never started; a closed-loop
			 * client has no further arrival (the next one would be
			 * this one's completion) */
			hw__engine_lock(g->e);
			run_result_add_req(g->res, t->idx, &rec);
			hw__engine_unlock(g->e);
			if (workload_closed(t->wl))
				break;
			continue;
		}
		if (dl > 0) {
			hw__engine_lock(g->e);
			xq_set_deadline(hw__queue_xq(t->hq), g->t0 + a + dl, hw__now());
			hw__engine_unlock(g->e);
		}
		const struct trace_request *rq = &tr->reqs[q];
		/* host timing from the request the workload model drew, of
		 * rq's shape: record i waits as record i + hoff did */
		size_t hq = workload_host_request(t->wl, k);
		if (hq == (size_t)-1) {
			on_failed(g, hs_strerror(HS_ENOMEM));
			break;
		}
		ptrdiff_t hoff = (ptrdiff_t)tr->reqs[hq].first - (ptrdiff_t)rq->first;
		hs_ns prev = start;   /* the host's previous action (scenario.h) */
		for (size_t i = rq->first; i < rq->first + rq->count && !g->failed; i++) {
			const struct trace_rec *r = &tr->recs[i];
			hs_ns due = prev + workload_gap(t->wl, (size_t)((ptrdiff_t)i + hoff));
			if (r->kind == TRACE_SYNC) {
				hw__sleep_until(due);
				if (!g->direct)   /* direct: waited at the marked one */
					wait_done(t, submitted);
				prev = hw__now();     /* the sync returns */
				continue;
			}
			if ((int)t->kind[i] < 0) {
				prev = due;           /* a marker: host time only */
				continue;
			}
			hw__sleep_until(due);
			prev = hw__now();
			struct xcmd *x = &t->xc[i];
			memset(x, 0, sizeof(*x));
			x->kind = t->hc[i].kind;
			x->flags = t->sync[i] ? XCMD_F_SYNC : 0;
			x->expect_ns = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
			x->payload = &t->hc[i];
			if (g->direct) {
				if (direct_issue(t, &t->hc[i], t->sync[i]))
					break;
			} else {
				hw__engine_lock(g->e);
				xq_submit(hw__queue_xq(t->hq), x, hw__now());
				hw__tl_queue(g, t);
				hw__engine_unlock(g->e);
			}
			submitted++;
			if (!g->direct && t->spec->host_launch == HOST_LAUNCH_BLOCKING) {
				wait_launched(t, submitted);
				prev = hw__now();     /* the call returns */
			}
		}
		if (!g->direct)
			wait_done(t, submitted);
		pthread_mutex_lock(&t->mu);
		rec.end_ns = g->failed ? -1 : t->last_done_ns - g->t0;
		pthread_mutex_unlock(&t->mu);
		prev_end = rec.end_ns;
		hw__engine_lock(g->e);
		run_result_add_req(g->res, t->idx, &rec);
		hw__engine_unlock(g->e);
	}
	return NULL;
}

/* ---- one process's share of the run --------------------------------------------- */
/* The hardware stream priority of a tenant: the highest tenant priority of
 * the scenario gets the device's greatest stream priority, the lowest the
 * least (the default), the others in between, linearly. */
int hw__stream_prio(int prio, int pmin, int pmax, int lo, int hi)
{
	if (pmax <= pmin)
		return hi;
	double f = (double)(prio - pmin) / (double)(pmax - pmin);
	double v = lo + (hi - lo) * f;
	return (int)(v < 0 ? v - 0.5 : v + 0.5);
}

static int stream_prio(const struct scenario *sc, int prio, const struct hw_devinfo *in)
{
	int pmin = prio, pmax = prio;
	for (size_t j = 0; j < sc->ntenants; j++) {
		if (sc->tenants[j].priority < pmin)
			pmin = sc->tenants[j].priority;
		if (sc->tenants[j].priority > pmax)
			pmax = sc->tenants[j].priority;
	}
	return hw__stream_prio(prio, pmin, pmax, in->prio_lo, in->prio_hi);
}

int hw__group_setup(struct group *g, char *err, size_t errlen)
{
	const struct scenario *sc = g->sc;
	const char *policy = g->o->policy ? g->o->policy : sc->policy;
	int rc = hw__dev_open(g->ops, g->o->device, &g->dev, err, errlen);
	if (rc)
		return rc;
	hw__dev_info(g->ops, g->dev, &g->info);
	struct hw_engine_cb cb = { .ctx = g, .cmd_done = on_done,
				   .preempted = on_preempted, .failed = on_failed };
	if (g->o->timeline_path && !g->direct) {
		cb.decided = on_decided;
		cb.launched = on_launched;
		cb.executed = on_executed;
	}
	for (size_t i = 0; i < sc->ntenants && !g->direct; i++)
		if (sc->tenants[i].host_launch == HOST_LAUNCH_BLOCKING)
			cb.launched = on_launched;
	/* the engine exists in direct mode too: its lock guards the results */
	if (g->direct)
		policy = "native";
	const struct hs_param *params;
	size_t nparams = scenario_policy_params(sc, policy, &params);
	/* stream priorities follow the run's policy, even when it runs in
	 * the parent */
	const struct policy_ops *run_pol = policy_find(policy);
	unsigned pflags = run_pol ? run_pol->flags : 0;
	int remote = g->relay_fd >= 0 && !g->direct;
	if (remote) {
		policy = hs_client_policy_name();
		nparams = 0;
	}
	rc = hw__engine_create(g->ops, g->dev, &cb, policy, params, nparams,
			       &g->e, err, errlen);
	if (rc)
		return rc;
	if (remote) {
		/* the group: named after its first tenant; the tenants' own
		 * priorities go with each JOIN */
		const char *first = NULL;
		for (size_t i = 0; i < sc->ntenants && !first; i++)
			if (g->member[i])
				first = sc->tenants[i].name;
		/* the process's weight (pup): the largest of its tenants' */
		double w = 0;
		for (size_t i = 0; i < sc->ntenants; i++)
			if (g->member[i] && sc->tenants[i].weight > w)
				w = sc->tenants[i].weight;
		struct hs_hello h = { .name = first, .priority = 0, .level = sc->level,
				      .weight = w };
		struct hs_client_lock lk = { g->e, engine_lock, engine_unlock, NULL };
		int fd = g->relay_fd;
		g->relay_fd = -1;    /* the client owns it now */
		if ((rc = hs_client_open(NULL, fd, &h, hw__engine_sched(g->e), &lk,
					 &g->client, err, errlen)))
			return rc;
		g->served = 1;
	}

	/* stream priorities: ranks of the distinct tenant priorities */
	for (size_t i = 0; i < sc->ntenants; i++) {
		if (!g->member[i])
			continue;
		struct tenant *t = &g->t[i];
		t->g = g;
		t->idx = i;
		t->qid = -1;
		t->spec = &sc->tenants[i];
		pthread_mutex_init(&t->mu, NULL);
		pthread_cond_init(&t->cv, NULL);
		struct trace_err te;
		t->tr = trace_load(t->spec->trace_path, &te);
		if (!t->tr) {
			snprintf(err, errlen, "%s", te.msg);
			return HW_ETRACE;
		}
		if (t->tr->nreqs == 0) {
			snprintf(err, errlen, "%s: no requests in the trace", t->spec->trace_path);
			return HW_ETRACE;
		}
		if (trace_check_replay(t->tr, SCENARIO_DURATION_MAX_NS, &te)) {
			snprintf(err, errlen, "%s", te.msg);
			return HW_ETRACE;
		}
		if ((rc = workload_create(sc, i, g->o->seed ? g->o->seed : sc->seed,
					  t->tr, NULL, &t->wl, err, errlen)))
			return rc;
		if ((rc = prepare_cmds(g, t))) {
			snprintf(err, errlen, "%s: preparing replay commands: %s",
				 t->spec->trace_path, hs_strerror(rc));
			return rc;
		}
		int sprio = 0;
		if (pflags & POLICY_F_STREAM_PRIO)
			sprio = stream_prio(sc, t->spec->priority, &g->info);
		if (g->direct) {
			if ((rc = hw__dev_stream_create(g->ops, g->dev, 0, &t->dst)) ||
			    (rc = hw__dev_ctl_alloc(g->ops, g->dev, &t->dctl)) ||
			    (rc = hw__dev_event_create(g->ops, g->dev, 0, &t->dev_ev))) {
				snprintf(err, errlen, "%s", hw__dev_error(g->ops, g->dev));
				return rc;
			}
			continue;
		}
		if (g->client && !(t->ep = hs_client_ep_new(g->client)))
			return HS_ENOMEM;
		if (t->ep)
			hs_client_ep_set_owner(t->ep, t);
		struct xq_config cfg = {
			.priority = t->spec->priority,
			.level = sc->level,
			.threshold = scenario_tenant_threshold(sc, i),
			.batch = scenario_tenant_batch(sc, i),
			.user = t->ep ? t->ep : (void *)t,
			.group = scenario_tenant_group(sc, i),
			.weight = t->spec->weight,
			.foreground = t->spec->foreground,
		};
		if ((rc = hw__queue_create(g->e, sprio, &cfg, &t->hq, err, errlen)))
			return rc;
		if (g->client && (rc = hs_client_join(g->client, hw__queue_xq(t->hq),
						      t->spec->priority))) {
			snprintf(err, errlen, "joining the policy server: %s",
				 hs_strerror(rc));
			return rc;
		}
		if (t->ep)
			t->qid = hs_client_ep_qid(t->ep);
	}
	if ((rc = hw__tl_open(g))) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	return HS_OK;
}

/* In a child: announce readiness, wait for the shared t0, run the
 * tenants to the end of the window. */
int hw__group_run(struct group *g, struct sync_area *sa, char *err, size_t errlen)
{
	const struct scenario *sc = g->sc;
	int rc = 0;
	__atomic_add_fetch(&sa->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sa->t0, __ATOMIC_SEQ_CST)) {
		if (__atomic_load_n(&sa->failed, __ATOMIC_SEQ_CST)) {
			snprintf(err, errlen, "another process of the run failed");
			return HW_EDEVICE;
		}
		usleep(200);
	}
	g->t0 = sa->t0;
	for (size_t i = 0; i < sc->ntenants; i++) {
		if (!g->member[i])
			continue;
		if (pthread_create(&g->t[i].thr, NULL, tenant_main, &g->t[i])) {
			g->stop = 1;
			snprintf(err, errlen, "cannot start a tenant thread");
			rc = HS_ENOMEM;
			break;
		}
		g->t[i].thr_started = 1;
	}
	for (size_t i = 0; i < sc->ntenants; i++)
		if (g->member[i] && g->t[i].thr_started)
			pthread_join(g->t[i].thr, NULL);
	/* our queues are idle (last load sent): let the parent know we are
	 * done, so that it stops serving us */
	hs_client_close(g->client);
	g->client = NULL;
	if (g->failed && !rc) {
		snprintf(err, errlen, "%s", g->failmsg);
		rc = HW_EDEVICE;
	}
	return rc;
}

void hw__group_results(struct group *g)
{
	struct run_result *res = g->res;
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		if (!g->member[i])
			continue;
		res->t[i].kernels = g->t[i].kernels;
		res->kernels_simulated += g->t[i].kernels;
		if (!g->t[i].hq)
			continue;
		struct hw_queue_stats st;
		hw__queue_stats(g->t[i].hq, &st);
		res->t[i].gpu_busy_ns = st.busy_ns;
	}
}

void hw__group_release(struct group *g)
{
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		if (!g->member[i])
			continue;
		struct tenant *t = &g->t[i];
		if (t->hq)
			hw__queue_free(g->e, t->hq);
		if (t->dst) {
			hw__dev_stream_sync(g->ops, g->dev, t->dst);
			hw__dev_stream_destroy(g->ops, g->dev, t->dst);
		}
		if (t->dev_ev)
			hw__dev_event_destroy(g->ops, g->dev, t->dev_ev);
		if (t->dctl.host)
			hw__dev_ctl_free(g->ops, g->dev, &t->dctl);
		trace_free(t->tr);
		free(t->hc);
		free(t->kind);
		free(t->sync);
		free(t->xc);
		workload_free(t->wl);
	}
	/* after every queue is gone: a failure reported while one was
	 * freed wakes the tenants through these (on_failed) */
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		struct tenant *t = &g->t[i];
		if (g->member[i] && t->g) {
			pthread_cond_destroy(&t->cv);
			pthread_mutex_destroy(&t->mu);
		}
	}
	hs_client_close(g->client);      /* a run that failed before its end */
	g->client = NULL;
	for (size_t i = 0; i < g->sc->ntenants; i++)
		if (g->member[i])
			hs_client_ep_free(g->t[i].ep);
	if (g->relay_fd >= 0)
		close(g->relay_fd);
	hw__engine_free(g->e);
	if (g->dev)
		hw__dev_close(g->ops, g->dev);
	hw__tl_free(g);
}

static int run_common(int direct, const struct scenario *sc, const struct run_opts *o,
		      struct run_result *res, char *err, size_t errlen)
{
	if (!hw__devops) {
		snprintf(err, errlen, "this hipsched was built without a GPU backend "
			 "(rebuild with make HW=nvidia or make HW=amd)");
		return HW_ENOBACKEND;
	}
	if (!g_have_calib) {
		const char *p = getenv("HIPSCHED_CALIB");
		if (p && *p) {
			int rc = hw_load_calibration(p, err, errlen);
			if (rc)
				return rc;
		}
	}
	return hw__run_with(hw__devops, direct, sc, o, res, err, errlen);
}

int hw_run(const struct scenario *sc, const struct run_opts *o,
	   struct run_result *res, char *err, size_t errlen)
{
	return run_common(0, sc, o, res, err, errlen);
}

int hw_run_direct(const struct scenario *sc, const struct run_opts *o,
		  struct run_result *res, char *err, size_t errlen)
{
	int rc = run_common(1, sc, o, res, err, errlen);
	snprintf(res->policy, sizeof(res->policy), "direct");
	return rc;
}
