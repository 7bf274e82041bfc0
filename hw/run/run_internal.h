/*
 * hw/run/ internals: a run's tenants and process groups, calibration
 * helpers. Included by the hw tests; never from outside hw/.
 *
 *   run.c    GPU-agnostic: tenants, arrivals, trace replay (hw_run).
 *   proc.c   GPU-agnostic: the run's processes (fork, results by pipe).
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
	hs_ns last_done_ns;
	uint64_t kernels;
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
};

/* run.c: one process's share of a run (a group of tenants). setup opens
 * the device, loads the traces and creates the queues; run announces
 * readiness in `sa`, waits for the shared t0 and runs the tenants to the
 * end of the window; results fills g->res; release frees everything. */
int hw__group_setup(struct group *g, char *err, size_t errlen);
int hw__group_run(struct group *g, struct sync_area *sa, char *err, size_t errlen);
void hw__group_results(struct group *g);
void hw__group_release(struct group *g);

#endif
