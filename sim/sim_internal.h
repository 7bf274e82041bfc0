/*
 * Simulator internals shared by the sim/ sources; never included from outside sim/.
 * See sim/MODEL.md for what these structures model.
 */
#ifndef HIPSCHED_SIM_INTERNAL_H
#define HIPSCHED_SIM_INTERNAL_H

#include "sim.h"
#include "trace.h"

struct sim;
struct sim_tenant;

enum sim_cmd_state { SC_QUEUED, SC_RUNNING, SC_DONE };

/* One command, from host submission until the core lets go of it
 * (cmd_done). Pooled: see sim__cmd_get(). */
struct sim_cmd {
	struct xcmd x;             /* what the core sees; x.payload = rec */
	const struct trace_rec *rec; /* NULL for host-inserted syncs */
	struct sim_tenant *t;
	struct sim_hwq *hwq;
	struct sim_cmd *hnext;     /* hw queue FIFO link */
	struct sim_cmd *fnext;     /* free list link */
	hs_ns ready_ns;            /* visible to the hw queue from */
	hs_ns elig_ns;             /* became the queue's head (dispatch order) */
	hs_ns start_ns;            /* first started, -1 before */
	hs_ns launch_ns;           /* handed to the hw queue by the core */
	hs_ns last_ns;             /* work accounted up to */
	int64_t work;              /* left: unit-ns (kernel) or ns (others) */
	int64_t full_work;
	int64_t wave_work;         /* unit-ns of one wave; 0: a single wave */
	sim_event_id end_ev, notify_ev, yield_ev;
	int width;                 /* units it can use: min(blocks, units) */
	int alloc;                 /* units it holds now */
	uint8_t state;             /* enum sim_cmd_state */
	uint8_t is_kernel;
	uint8_t started;           /* has progress kept across an interrupt */
	uint8_t frozen;            /* being interrupted: holds units, no progress */
	uint8_t is_sync;           /* host waits for it */
	uint8_t pre;               /* dispatched before it became visible, its
	                            * busy time not yet counted (gpu.c,
	                            * "early dispatch"); in sim.pre */
};

/* One trace record, digested for replay (compact: the hot loop reads
 * these, not the trace). Depends on the trace and the device only, so the
 * tenants replaying one trace share one array; the host gaps, drawn per
 * tenant, are apart (sim_tenant.gap). */
struct sim_step {
	int64_t dur_ns;            /* recorded duration */
	int64_t work;              /* kernel: dur * width unit-ns; else ns */
	int64_t wave_work;         /* unit-ns of one wave; 0: one wave */
	int32_t width;             /* kernel: min(blocks, units) */
	uint16_t stream;           /* tenant's local stream index */
	uint8_t kind;              /* enum trace_kind */
	uint8_t last;              /* last of its request on its stream */
};

/* A hardware queue (stream): in-order, one command executing at a time. */
struct sim_hwq {
	struct sim *sim;
	struct sim_tenant *t;
	int idx;                   /* global, for tie-breaks */
	int local;                 /* tenant's stream index */
	int ctx;                   /* device context (process) */
	int prio;                  /* hardware stream priority, larger first */
	struct xq *q;
	struct sim_cmd *head, *tail; /* launched, not yet reported to the core */
	struct sim_cmd *cur;       /* first not done (running or queued) */
	int active;                /* 0 while deactivated / interrupted */
	int deact;                 /* 0, or 2 / 3: deactivation in progress */
	int deact_wait;            /* cost paid, waiting for the running cmd */
	sim_event_id wake_ev, deact_ev;
	hs_ns wake_ns;
	size_t tl_pend, tl_fl;     /* the load last written to the timeline */
};

/* The queues of one context with a current command (bitmap over the
 * words [w0, w0 + nw) of the queue idx space: a context's queues are
 * created together, so the span is short except for the shared one). */
struct sim_ctxq {
	int w0, nw;
	int ncur;                  /* bits set */
	uint64_t *bits;            /* [nw] */
};

struct sim_tenant {
	struct sim *sim;
	size_t idx;
	const struct tenant_spec *spec;
	struct trace *tr;
	int own_trace;             /* tr loaded here, freed at the end */
	struct sim_step *step;     /* per trace record: what to replay */
	int64_t *stream_id;        /* local stream index -> trace's stream */
	int own_step;              /* step, stream_id allocated here (else
	                            * an earlier tenant's, same trace) */
	hs_ns *gap;                /* per trace record: host gap before it
	                            * (see MODEL.md) */
	struct sim_hwq *hwq;
	int nhwq;
	/* arrivals */
	struct workload *wl;       /* arrivals and request choice */
	hs_ns next_arrival;        /* WORKLOAD_NONE: none */
	hs_ns next_wake_ns;        /* its timer's lateness (workload_wake_late) */
	sim_event_id arrival_ev;
	/* the request in progress (one at a time) */
	int busy;
	int recorded;              /* arrived in [0, duration) */
	int owed;                  /* still has recorded requests to finish */
	int64_t req_no;
	hs_ns arrival_ns, start_ns, last_submit_ns;
	size_t ci, cfirst, cend;   /* next / first / end record of the request */
	ptrdiff_t host_off;        /* its host timing: record ci's gap is that
	                            * of record ci + host_off (same shape) */
	struct sim_cmd *held;      /* host_launch = blocking: the command
	                            * whose launch call waits for the core */
	unsigned outstanding;      /* submitted, not done */
	unsigned sync_wait;        /* host-blocking syncs not done */
	sim_event_id host_ev;
	sim_event_id quiet_ev;     /* spec->quiet_ns: marks the tails in a gap */
	hs_ns intercept_ns;        /* spec->intercept_ns in a policy run, else 0 */
	/* accounting */
	int nbusy;                 /* its commands executing now */
	hs_ns busy_since;
	hs_ns busy_ns;             /* run_result's gpu_busy_ns, added at the end */
};

struct sim {
	const struct scenario *sc;
	const struct run_opts *o;
	struct sim_device dev;
	struct sim_engine *eng;
	struct sched *sched;
	struct run_result *res;
	const struct sim_hooks *hooks;
	hs_ns duration_ns, cap_ns;
	int stream_prio;           /* policy asks for hw stream priorities */
	/* tenants and queues */
	struct sim_tenant *t;
	size_t nt;
	struct sim_hwq **hwqs;     /* all of them, by idx */
	int nhwq;
	int nctx;
	/* device state */
	int used;                  /* units held */
	int dirty;                 /* dispatch needed */
	int active_ctx;
	int switching;             /* context switch in progress */
	hs_ns slice_start;
	sim_event_id slice_ev, switch_ev;
	hs_ns slice_at;            /* when slice_ev fires */
	/* ctx_hold_ns: whether the active context has had no kernel work
	 * since idle_since */
	int idle;
	hs_ns idle_since;
	struct sim_hwq **cand;     /* scratch for dispatch */
	struct sim_hwq **later;    /* scratch for dispatch: heads not visible yet */
	/* Heads dispatched before they became visible whose start (at
	 * ready_ns) is not yet counted busy; undone by a dispatch before
	 * then (gpu.c, "early dispatch"). At most one per queue. */
	struct sim_cmd **pre;      /* [nhwq] */
	int npre;
	/* What dispatch visits (gpu.c): per context, the queues with a
	 * current command; and the queues touched since the last dispatch
	 * (current command changed, woke, (de)activated, or waiting for its
	 * head to become visible). Bitmaps by queue idx, visited in idx
	 * order, so the order of events is that of a scan of every queue. */
	struct sim_ctxq *ctxq;     /* [nctx] */
	uint64_t *ctxbits;         /* the ctxq bitmaps' storage */
	uint64_t *touched;         /* [(nhwq + 63) / 64] */
	int ncur;                  /* queues with a current command, all contexts */
	int nbusy;
	hs_ns busy_since;
	hs_ns busy_ns;             /* run_result's gpu_busy_ns, added at the end
	                            * (kept here: one load less per change) */
	/* core timer */
	sim_event_id timer_ev;
	/* command pool */
	struct sim_cmd *free_cmds;
	void **chunks;
	size_t nchunks, chunks_cap;
	/* timeline (run_opts.timeline_path; tl.c) */
	struct timeline *tl;
	/* run state */
	size_t owed;               /* tenants with recorded requests left */
	int err;                   /* first error (ENOMEM in a callback) */
	uint64_t kernels;
};

/* gpu.c: the device model and the backend ops */
extern const struct backend_ops sim__backend_ops;
void sim__dispatch(struct sim *s, hs_ns now);
/* After the queues are created (idx, ctx set; s->nctx known): the
 * dispatch bitmaps. 0 or HS_ENOMEM; release frees them (also after a
 * failed setup). */
int sim__gpu_setup(struct sim *s);
void sim__gpu_release(struct sim *s);
void sim__busy(struct sim *s, struct sim_tenant *t, int delta, hs_ns now);

/* host.c: tenants */
int sim__tenant_setup(struct sim *s, struct sim_tenant *t, char *err,
		      size_t errlen);
void sim__tenant_release(struct sim_tenant *t);
void sim__tenant_start(struct sim_tenant *t);
void sim__cmd_done(void *ctx, struct xcmd *cmd, hs_ns now);
/* The core launched c (gpu.c's launch op): a host waiting in c's launch
 * call (host_launch = blocking) goes on. */
void sim__host_launched(struct sim_cmd *c, hs_ns now);
/* 1 if a host of context ctx is between two launch calls of a request: not
 * waiting for a sync, a held launch or its next request (ctx_hold_ns). */
int sim__host_launching(const struct sim *s, int ctx);

/* sim.c */
struct sim_cmd *sim__cmd_get(struct sim *s);
void sim__cmd_put(struct sim *s, struct sim_cmd *c);
/* Reports a finished command to the hooks and the timeline. */
void sim__emit_cmd(struct sim *s, const struct sim_cmd *c, hs_ns end_ns);
void sim__emit_request(struct sim *s, const struct sim_tenant *t,
		       const struct req_record *r);
/* tl.c: the run timeline; each hook is a no-op when s->tl is NULL, except
 * that sim__tl_launch always records c->launch_ns. */
int sim__tl_open(struct sim *s, char *err, size_t errlen);
void sim__tl_cmd(struct sim *s, const struct sim_cmd *c, hs_ns end_ns);
/* The launch and queue hooks run on every command: the test of s->tl is
 * inlined at the call, the writing is not. */
void sim__tl_launch_write(struct sim *s, struct sim_cmd *c, hs_ns now);
void sim__tl_queue_write(struct sim *s, struct sim_hwq *h, hs_ns now);
static inline void sim__tl_launch(struct sim *s, struct sim_cmd *c, hs_ns now)
{
	c->launch_ns = now;
	if (s->tl)
		sim__tl_launch_write(s, c, now);
}
static inline void sim__tl_queue(struct sim *s, struct sim_hwq *h, hs_ns now)
{
	if (s->tl)
		sim__tl_queue_write(s, h, now);
}
void sim__tl_decided(void *ctx, struct xq *q, int suspended, hs_ns now);
void sim__tl_preempted(struct sim *s, struct xq *q, hs_ns suspend_ns,
		       hs_ns idle_ns);

sim_event_id sim__at(struct sim *s, hs_ns when, sim_event_fn fn, void *obj,
		     uint64_t arg);

#endif
