/*
 * sim_run: wires a scenario, its traces and a device profile to the
 * unmodified scheduler core, runs the event loop, fills the run result and
 * (optionally) writes a Chrome trace timeline.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim_internal.h"

#define CMD_CHUNK 256
#define PROGRESS_EVERY 65536u

/* ---- helpers for the other sim files ------------------------------------- */
sim_event_id sim__at(struct sim *s, hs_ns when, sim_event_fn fn, void *obj,
		     uint64_t arg)
{
	sim_event_id id = sim_event_schedule(s->eng, when, fn, obj, arg);
	if (!id && !s->err)
		s->err = HS_ENOMEM;
	return id;
}

/* Refills the free list with one more chunk, out of line: the hot get
 * (once a command, inlined into new_cmd) then saves fewer registers. */
static __attribute__((noinline, cold)) int cmd_refill(struct sim *s)
{
	if (hs_grow((void **)&s->chunks, &s->chunks_cap, s->nchunks, sizeof(*s->chunks)))
		return -1;
	struct sim_cmd *c = malloc(CMD_CHUNK * sizeof(*c));
	if (!c)
		return -1;
	s->chunks[s->nchunks++] = c;
	for (int i = CMD_CHUNK - 1; i >= 0; i--) {
		c[i].fnext = s->free_cmds;
		s->free_cmds = &c[i];
	}
	return 0;
}

struct sim_cmd *sim__cmd_get(struct sim *s)
{
	if (!s->free_cmds && cmd_refill(s))
		return NULL;
	struct sim_cmd *c = s->free_cmds;
	s->free_cmds = c->fnext;
	return c;
}

void sim__cmd_put(struct sim *s, struct sim_cmd *c)
{
	c->fnext = s->free_cmds;
	s->free_cmds = c;
}

void sim__emit_cmd(struct sim *s, const struct sim_cmd *c, hs_ns end_ns)
{
	int stream = c->hwq->local;
	if (s->hooks && s->hooks->on_cmd)
		s->hooks->on_cmd(s->hooks->ctx, c->t->idx, stream, c->rec,
				 c->start_ns, end_ns);
	if (s->tl)
		sim__tl_cmd(s, c, end_ns);
}

void sim__emit_request(struct sim *s, const struct sim_tenant *t,
		       const struct req_record *r)
{
	if (s->hooks && s->hooks->on_request)
		s->hooks->on_request(s->hooks->ctx, t->idx, r);
	if (s->tl)
		timeline_request(s->tl, (int)t->idx, r->request, r->arrival_ns,
				 r->start_ns, r->end_ns, t->spec->slo_ns);
}

/* ---- the core's environment --------------------------------------------------- */
static void ev_timer(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct sim *s = obj;
	s->timer_ev = 0;
	sched_on_timer(s->sched, now);
}

static void env_timer_set(void *ctx, hs_ns when)
{
	struct sim *s = ctx;
	sim_event_cancel(s->eng, s->timer_ev);
	s->timer_ev = 0;
	if (when < 0)
		return;
	hs_ns now = sim_engine_now(s->eng);
	s->timer_ev = sim__at(s, when > now ? when : now, ev_timer, s, 0);
}

static void env_preempted(void *ctx, struct xq *q, hs_ns suspend_ns,
			  hs_ns idle_ns)
{
	struct sim *s = ctx;
	if (run_result_add_preempt(s->res, idle_ns - suspend_ns) && !s->err)
		s->err = HS_ENOMEM;
	sim__tl_preempted(s, q, suspend_ns, idle_ns);
}

/* ---- setup ------------------------------------------------------------------------ */
static int fail(char *err, size_t errlen, int rc, const char *fmt, const char *a)
{
	snprintf(err, errlen, fmt, a);
	return rc;
}

static int setup_device(struct sim *s, const struct sim_inputs *in, char *err,
			size_t errlen)
{
	if (in && in->dev) {
		s->dev = *in->dev;
		if (s->dev.units < 1 || s->dev.timeslice_ns < 1 ||
		    s->dev.max_level < 1 || s->dev.max_level > 3)
			return fail(err, errlen, HS_EINVAL,
				    "device '%s': units, timeslice_ns >= 1, "
				    "max_level 1..3 required", s->dev.name);
		return HS_OK;
	}
	char path[4096];
	int rc = sim_device_resolve(s->sc->device ? s->sc->device : "h100",
				    s->sc->path, path, sizeof(path), err, errlen);
	if (rc)
		return rc;
	return sim_device_load(path, &s->dev, err, errlen);
}

static int setup_queues(struct sim *s, char *err, size_t errlen)
{
	/* contexts: 0 for the tenants of process = shared (if any), then one
	 * per process = own tenant, unless the device shares contexts */
	int n = 0, ctx = 0;
	for (size_t i = 0; i < s->nt; i++) {
		n += s->t[i].spec ? s->t[i].nhwq : 0;
		if (s->t[i].spec && (s->t[i].spec->process == PROCESS_SHARED ||
				     s->dev.share_contexts))
			ctx = 1;
	}
	s->hwqs = calloc(n ? n : 1, sizeof(*s->hwqs));
	s->cand = calloc(n ? n : 1, sizeof(*s->cand));
	if (!s->hwqs || !s->cand)
		return fail(err, errlen, HS_ENOMEM, "%s", hs_strerror(HS_ENOMEM));
	for (size_t i = 0; i < s->nt; i++) {
		struct sim_tenant *t = &s->t[i];
		if (!t->spec)
			continue;
		int tctx = 0;
		if (t->spec->process == PROCESS_OWN && !s->dev.share_contexts)
			tctx = ctx++;
		t->hwq = calloc(t->nhwq, sizeof(*t->hwq));
		if (!t->hwq)
			return fail(err, errlen, HS_ENOMEM, "%s", hs_strerror(HS_ENOMEM));
		for (int k = 0; k < t->nhwq; k++) {
			struct sim_hwq *h = &t->hwq[k];
			h->sim = s;
			h->t = t;
			h->idx = s->nhwq;
			h->local = k;
			h->ctx = tctx;
			h->prio = s->stream_prio ? t->spec->priority : 0;
			h->active = 1;
			s->hwqs[s->nhwq++] = h;
			struct xq_config cfg = {
				.hwq = h, .priority = t->spec->priority,
				.level = s->sc->level ? s->sc->level : 1,
				.threshold = scenario_tenant_threshold(s->sc, i),
				.batch = scenario_tenant_batch(s->sc, i),
				.user = t,
				.group = scenario_tenant_group(s->sc, i),
				.weight = t->spec->weight,
				.foreground = t->spec->foreground,
			};
			int rc = xq_create(s->sched, &cfg, &h->q);
			if (rc) {
				snprintf(err, errlen, "%s:%d: tenant '%s': %s",
					 s->sc->path ? s->sc->path : "scenario",
					 t->spec->line, t->spec->name, hs_strerror(rc));
				return rc;
			}
		}
	}
	s->nctx = ctx ? ctx : 1;
	if (sim__gpu_setup(s))
		return fail(err, errlen, HS_ENOMEM, "%s", hs_strerror(HS_ENOMEM));
	return HS_OK;
}

static int setup(struct sim *s, const struct sim_inputs *in, const char *policy,
		 char *err, size_t errlen)
{
	int rc = setup_device(s, in, err, errlen);
	if (rc)
		return rc;
	const struct policy_ops *pol = policy_find(policy);
	if (!pol)
		return policy_unknown(policy, err, errlen);
	s->stream_prio = !!(pol->flags & POLICY_F_STREAM_PRIO);
	s->eng = sim_engine_create();
	if (!s->eng)
		return fail(err, errlen, HS_ENOMEM, "%s", hs_strerror(HS_ENOMEM));
	struct sched_env env = {
		.ops = &sim__backend_ops, .be = s, .ctx = s,
		.timer_set = env_timer_set, .cmd_done = sim__cmd_done,
		.preempted = env_preempted, .decided = sim__tl_decided,
	};
	char ebuf[256] = "";
	const struct hs_param *params;
	size_t nparams = scenario_policy_params(s->sc, policy, &params);
	s->sched = sched_create(&env, policy, params, nparams, &rc, ebuf,
				sizeof(ebuf));
	if (!s->sched) {
		snprintf(err, errlen, "policy '%s': %s", policy,
			 ebuf[0] ? ebuf : hs_strerror(rc));
		return rc ? rc : HS_EINVAL;
	}
	s->nt = s->sc->ntenants;
	s->t = calloc(s->nt ? s->nt : 1, sizeof(*s->t));
	if (!s->t)
		return fail(err, errlen, HS_ENOMEM, "%s", hs_strerror(HS_ENOMEM));
	for (size_t i = 0; i < s->nt; i++) {
		struct sim_tenant *t = &s->t[i];
		t->sim = s;
		t->idx = i;
		if (s->o->active && !s->o->active[i])
			continue;      /* inactive: no queue, no request */
		t->spec = &s->sc->tenants[i];
		if (in && in->traces && in->traces[i])
			t->tr = in->traces[i];
		for (size_t j = 0; j < i && !t->tr; j++)
			if (s->t[j].spec && s->t[j].tr && s->t[j].spec->trace_path &&
			    t->spec->trace_path &&
			    strcmp(s->t[j].spec->trace_path, t->spec->trace_path) == 0)
				t->tr = s->t[j].tr;    /* shared, owned by j */
		if ((rc = sim__tenant_setup(s, t, err, errlen)))
			return rc;
		/* the real test's standalone and native windows run without
		 * the library */
		t->intercept_ns = strcmp(policy, "native") ? t->spec->intercept_ns : 0;
	}
	return setup_queues(s, err, errlen);
}

static void teardown(struct sim *s)
{
	for (int i = 0; i < s->nhwq; i++)
		if (s->hwqs[i]->q)
			xq_free(s->hwqs[i]->q);   /* HS_EBUSY: sched_free's */
	if (s->sched)
		sched_free(s->sched);
	for (size_t i = 0; s->t && i < s->nt; i++) {
		if (s->t[i].spec)
			sim__tenant_release(&s->t[i]);
		free(s->t[i].hwq);
	}
	free(s->t);
	free(s->hwqs);
	free(s->cand);
	sim__gpu_release(s);
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	sim_engine_free(s->eng);
}

/* ---- the run ------------------------------------------------------------------------ */
static void loop(struct sim *s)
{
	const struct run_opts *o = s->o;
	unsigned n = 0;
	while (s->owed && !s->err && sim_engine_step(s->eng, s->cap_ns)) {
		if (s->dirty)
			sim__dispatch(s, sim_engine_now(s->eng));
		if (++n == PROGRESS_EVERY) {
			n = 0;
			if (o->stop && *o->stop) {
				s->err = HS_EINTR;
				break;
			}
			if (!o->progress)
				continue;
			double f = (double)sim_engine_now(s->eng) / (double)s->duration_ns;
			o->progress(o->progress_ctx, f < 1 ? f : 1);
		}
	}
}

int sim_run_with(const struct scenario *sc, const struct run_opts *o,
		 const struct sim_inputs *in, struct run_result *res,
		 char *err, size_t errlen)
{
	static const struct run_opts defaults;
	if (!o)
		o = &defaults;
	err[0] = 0;
	int rc = run_result_init(res, sc->ntenants);
	if (rc)
		return fail(err, errlen, rc, "%s", hs_strerror(rc));
	const char *policy = o->policy ? o->policy :
		sc->policy ? sc->policy : "native";
	struct sim s = {
		.sc = sc, .o = o, .res = res, .hooks = in ? in->hooks : NULL,
		.duration_ns = o->duration_ns > 0 ? o->duration_ns : sc->duration_ns,
	};
	if (s.duration_ns <= 0)
		return fail(err, errlen, HS_EINVAL, "%s: duration must be > 0",
			    sc->path ? sc->path : "scenario");
	s.cap_ns = s.duration_ns > (INT64_MAX - 1000000000) / 8 ? INT64_MAX :
		4 * s.duration_ns + 1000000000;
	snprintf(res->backend, sizeof(res->backend), "sim");
	snprintf(res->policy, sizeof(res->policy), "%s", policy);
	snprintf(res->mode, sizeof(res->mode), "%s", o->mode ? o->mode : "policy");
	res->seed = o->seed ? o->seed : sc->seed;
	res->duration_ns = s.duration_ns;

	rc = setup(&s, in, policy, err, errlen);
	if (!rc && o->timeline_path)
		rc = sim__tl_open(&s, err, errlen);
	if (!rc) {
		for (size_t i = 0; i < s.nt; i++)
			if (s.t[i].spec)
				sim__tenant_start(&s.t[i]);
		if (s.dirty)
			sim__dispatch(&s, 0);
		loop(&s);
		rc = s.err;
		if (rc)
			snprintf(err, errlen, "simulation failed: %s", hs_strerror(rc));
		hs_ns end = sim_engine_now(s.eng);
		sim__busy(&s, NULL, 0, end);
		res->gpu_busy_ns += s.busy_ns;
		for (size_t i = 0; i < s.nt; i++)
			if (s.t[i].spec) {
				sim__busy(&s, &s.t[i], 0, end);
				res->t[i].gpu_busy_ns += s.t[i].busy_ns;
			}
		res->kernels_simulated = s.kernels;
		res->events = sim_engine_fired(s.eng);
		if (o->progress)
			o->progress(o->progress_ctx, 1.0);
	}
	if (s.tl) {
		struct trace_err te;
		if (timeline_close(s.tl, rc == 0, &te) && !rc)
			rc = fail(err, errlen, HS_EINVAL, "%s", te.msg);
		s.tl = NULL;
	}
	teardown(&s);
	return rc;
}

int sim_run(const struct scenario *sc, const struct run_opts *o,
	    struct run_result *res, char *err, size_t errlen)
{
	return sim_run_with(sc, o, NULL, res, err, errlen);
}
