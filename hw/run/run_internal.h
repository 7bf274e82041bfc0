/*
 * hw/run/ internals: a run's tenants and process groups, calibration
 * helpers. Included by the hw tests; never from outside hw/.
 *
 *   run.c    GPU-agnostic: tenants, arrivals, trace replay (hw_run).
 *   proc.c   GPU-agnostic: the run's processes (fork, results by pipe).
 *   tl.c     GPU-agnostic: the run's timeline (records, merge).
 *   calib.c  GPU-agnostic: calibration procedure, fit, profile I/O.
 */
#ifndef HIPSCHED_HW_RUN_INTERNAL_H
#define HIPSCHED_HW_RUN_INTERNAL_H

#include "dev_internal.h"
#include "scenario.h"
#include "serve.h"
#include "trace.h"

/* ---- run and calibration entry points with a given device layer --------- */
/* hw_run (direct 0) or hw_run_direct (1) with a given device layer (tests
 * pass a fake one). */
int hw__run_with(const struct hw_devops *ops, int direct, const struct scenario *sc,
		 const struct run_opts *o, struct run_result *res,
		 char *err, size_t errlen);
/* hw_calibrate with a given device layer. */
int hw__calibrate_with(const struct hw_devops *o, int device, struct hw_calib *c,
		       char *err, size_t errlen);
/* Stream priority for tenant priority `prio` among [pmin, pmax]: pmax gets
 * `hi` (the device's greatest), pmin gets `lo`, linear in between; a single
 * priority level gets `hi`. */
int hw__stream_prio(int prio, int pmin, int pmax, int lo, int hi);
/* Shapes a replay kernel: grid/block clamped to the device's limits, the
 * duration corrected by `cal` (NULL: identity) and divided by the number
 * of waves the grid needs at the kernel's occupancy. */
int hw__kernel_shape(const struct hw_devops *ops, void *dev,
		     const struct hw_devinfo *in, const uint32_t grid[3],
		     const uint32_t block[3], int64_t shmem, hs_ns dur_ns,
		     const struct hw_calib *cal, struct hw_kernel *out);


struct tenant {
	struct group *g;
	void *ep;                   /* the policy server's endpoint (the
	                             * XQueue's user), NULL without one */
	size_t idx;
	const struct tenant_spec *spec;
	struct trace *tr;
	struct hw_cmd *hc;          /* per trace record */
	enum xcmd_kind *kind;       /* per trace record; -1: not submitted */
	unsigned char *sync;        /* per record: mark XCMD_F_SYNC */
	struct xcmd *xc;            /* per record, reused request after request */
	struct workload *wl;        /* arrivals and request choice */
	struct hw_queue *hq;
	void *dst, *dev_ev;          /* direct mode: own stream and event */
	struct hw_ctl dctl;
	pthread_t thr;
	int thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t done;              /* commands completed */
	uint64_t launched;          /* commands the core launched */
	hs_ns last_done_ns;
	uint64_t kernels;
	int64_t cur_req;            /* the request it is running */
	int32_t qid;                /* its queue's id in the policy server, -1 */
	/* timeline (tl.c) */
	unsigned char *tl_used;     /* per trace record: referred to */
	size_t tl_pend, tl_fl;      /* the counters last recorded */
};

/* Shared between the processes of one run (MAP_SHARED). */
struct sync_area {
	int ready;                  /* processes set up (atomic) */
	int failed;
	hs_ns t0;                   /* 0 until the parent sets it */
};

struct group {
	const struct scenario *sc;
	const struct run_opts *o;
	struct run_result *res;
	const struct hw_devops *ops;
	void *dev;
	struct hw_devinfo info;
	struct hw_engine *e;
	struct tenant *t;           /* sc->ntenants, only members used */
	unsigned char *member;
	hs_ns t0, dur;
	int direct;                 /* no scheduler: launch straight to streams */
	int relay_fd;               /* >= 0: the policy runs in the parent,
	                             * reached through this socket (until
	                             * the client takes it) */
	struct hs_client *client;   /* the parent's policy server's client */
	int served;                 /* the queues' users are its endpoints */
	volatile int stop;
	char failmsg[256];
	volatile int failed;
	struct hw_tl *tl;           /* its timeline records; NULL: none */
};

/* run.c: one process's share of a run (a group of tenants). setup opens
 * the device, loads the traces and creates the queues; run announces
 * readiness in `sa`, waits for the shared t0 and runs the tenants to the
 * end of the window; results fills g->res; release frees everything. */
int hw__group_setup(struct group *g, char *err, size_t errlen);
int hw__group_run(struct group *g, struct sync_area *sa, char *err, size_t errlen);
void hw__group_results(struct group *g);
void hw__group_release(struct group *g);

/* proc.c: the whole of n bytes to / from a pipe (EINTR retried): 0 or -1
 * (an error, or the other end closed). */
int hw__write_all(int fd, const void *p, size_t n);
int hw__read_all(int fd, void *p, size_t n);

/* The tenant of queue q (core lock held). */
struct tenant *hw__tenant_of(const struct group *g, const struct xq *q);

/* ---- tl.c: the run's timeline (design at the top of tl.c) ----------------------
 * Child side, every call with the group's core lock held, each a no-op
 * when g->tl is NULL: open (after the tenants are set up; ENOMEM) makes
 * g->tl when the run writes a timeline; the hooks record; send (after the
 * results, on the results pipe: 0 or -1) maps the GPU times and writes
 * the records; free releases. */
int hw__tl_open(struct group *g);
void hw__tl_launch(struct group *g, struct xcmd *cmd, hs_ns t_ns, hs_ns end_ns);
void hw__tl_exec(struct group *g, struct xcmd *cmd, const struct hw_exec *x);
void hw__tl_queue(struct group *g, struct tenant *t);
void hw__tl_decided(struct group *g, struct xq *q, int suspended, hs_ns now);
void hw__tl_preempted(struct group *g, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns);
int hw__tl_send(int fd, struct group *g);
void hw__tl_free(struct group *g);
/* Parent side: the children's parts and the server's decisions
 * (hw__tl_server_decided is an hs_server_opts.decided, thread-safe),
 * written by hw__tl_write (m may be NULL: requests only) through the
 * shared writer with times from t0. recv: 0, HS_ENOMEM or HW_EDEVICE (a
 * malformed part). write: 0 or negative with err. */
struct hw_tl_merge;
struct hw_tl_merge *hw__tl_merge_new(size_t ntenants);
void hw__tl_merge_free(struct hw_tl_merge *m);
int hw__tl_recv(int fd, struct hw_tl_merge *m);
void hw__tl_server_decided(void *ctx, const struct hs_decision *d);
int hw__tl_write(const struct scenario *sc, const struct run_result *res,
		 const struct run_opts *o, hs_ns t0, struct hw_tl_merge *m,
		 char *err, size_t errlen);

#endif
