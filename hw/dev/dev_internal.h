/*
 * hw/dev/ internals: the device layer (struct hw_devops, reached only
 * through the hw__dev_* wrappers below) and the engine that implements the
 * core's backend ops on top of it. Included by hw/run/, hw/serve/ and the
 * hw tests (they drive the engine with a fake device); never from outside
 * hw/.
 *
 *   engine.c   GPU-agnostic: hardware queues, completion threads, Level 2
 *              bookkeeping, timers, the core lock. Built in every flavor.
 *   nodev.c    the simulator-only build's empty device layer.
 *   hip_dev.c  the HIP device layer (HW=nvidia / HW=amd only).
 *   replay.cu  the replay kernel (one source for both platforms).
 *   hip_nv.h   HIP names onto the CUDA runtime (HW=nvidia).
 */
#ifndef HIPSCHED_HW_DEV_INTERNAL_H
#define HIPSCHED_HW_DEV_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "hw.h"

/* Per-queue control block.
 * - The preemption flag lives in device memory: every block of every
 *   replay kernel reads it, and reads of mapped host memory are serialized
 *   across the GPU (measured on the H100: ~1.06 us per block, a 4224-block
 *   kernel took 4.5 ms to read it). The host sets it with a 4-byte copy on
 *   a separate high-priority stream and clears it on the queue's own stream
 *   (ordered before the relaunched kernels).
 * - The abort marks live in mapped host memory (written only by blocks that
 *   exit early, read by the host): word 1 + s is set to 1 by any block of
 *   the kernel launched with slot s that saw the flag. Word 0 is unused on
 *   hardware (the fake device of the tests keeps its flag there). */
#define HW_NSLOTS 4096u

struct hw_ctl {
	volatile int32_t *host;   /* marks, host view, 1 + HW_NSLOTS words */
	void *dev;                /* marks as the kernel sees them */
	void *flag;               /* the flag (device memory) */
	/* GPU execution times per slot: [2s] first block's start, [2s + 1]
	 * last block's end, in device timer ticks (mapped host memory); the
	 * last block is found with a per-slot counter in device memory that
	 * it resets. Kernels launched with slot < 0 write nothing. */
	volatile int64_t *times;  /* host view, 2 * HW_NSLOTS */
	void *times_dev;
	void *count_dev;          /* HW_NSLOTS unsigned, device memory */
	void *priv;               /* device layer's */
};

/* Intervals of GPU time (device timer, ns), for busy time unions. */
struct hw_iv {
	hs_ns a, b;
};
struct hw_ivs {
	struct hw_iv *v;
	size_t n, cap;
};
/* 0 or HS_ENOMEM. */
int hw__ivs_add(struct hw_ivs *s, hs_ns a, hs_ns b);
/* Sorts and merges the intervals in place; returns the union's length. */
hs_ns hw__ivs_merge(struct hw_ivs *s);
void hw__ivs_release(struct hw_ivs *s);

/* One replay kernel launch. */
struct hw_kernel {
	uint32_t grid[3], block[3];
	uint32_t shmem;           /* dynamic shared memory, bytes */
	hs_ns spin_ns;            /* each block's spin, already divided by the
	                           * number of waves and calibrated */
};

struct hw_devinfo {
	char name[128];
	int sms;
	int prio_lo, prio_hi;     /* least and greatest stream priority */
	int max_threads;          /* per block */
	size_t max_shmem;         /* per block, bytes */
	double timer_ns_per_tick; /* device timer of the replay kernel */
};

/* The device layer. Every op returns 0 or a negative hw_err with a message
 * in err (ops without err keep the last message for dev_error). Stream and
 * event ops are called from several threads at once: they must be
 * thread-safe (HIP calls are). */
struct hw_devops {
	const char *name;
	int (*open)(int device, void **dev, char *err, size_t errlen);
	void (*close)(void *dev);
	void (*info)(void *dev, struct hw_devinfo *out);
	/* Blocks of `block` threads with `shmem` bytes resident per SM. */
	int (*occupancy)(void *dev, unsigned threads, unsigned shmem);
	int (*stream_create)(void *dev, int prio, void **st);
	void (*stream_destroy)(void *dev, void *st);
	int (*ctl_alloc)(void *dev, struct hw_ctl *ctl);
	void (*ctl_free)(void *dev, struct hw_ctl *ctl);
	/* on = 1: set the flag now (not ordered with any queue stream);
	 * on = 0: clear it in stream order on `st`. Never blocks. */
	int (*ctl_flag)(void *dev, struct hw_ctl *ctl, int on, void *st);
	/* Enqueue a replay kernel; slot < 0: no abort mark. */
	int (*kernel)(void *dev, void *st, const struct hw_kernel *k,
		      const struct hw_ctl *ctl, int slot);
	/* Enqueue a host-to-device copy / a memset of `bytes`. */
	int (*memcpy)(void *dev, void *st, size_t bytes);
	int (*memset)(void *dev, void *st, size_t bytes);
	int (*event_create)(void *dev, int timing, void **ev);
	void (*event_destroy)(void *dev, void *ev);
	int (*event_record)(void *dev, void *ev, void *st);
	/* Blocks until the event completed. */
	int (*event_wait)(void *dev, void *ev);
	/* Milliseconds between two completed timing events. */
	int (*event_elapsed)(void *dev, void *a, void *b, double *ms);
	int (*stream_sync)(void *dev, void *st);
	const char *(*error)(void *dev);  /* last failure's message */
};

/* The compiled-in device layer; NULL without HW=. */
extern const struct hw_devops *const hw__devops;
extern const char *const hw__platform;

/* The one-line wrappers every caller goes through (never ops->op directly):
 * the place for defaults of absent ops, tracing and fault injection. */
static inline int hw__dev_open(const struct hw_devops *ops, int device, void **dev,
			       char *err, size_t errlen)
{ return ops->open(device, dev, err, errlen); }
static inline void hw__dev_close(const struct hw_devops *ops, void *dev)
{ ops->close(dev); }
static inline void hw__dev_info(const struct hw_devops *ops, void *dev, struct hw_devinfo *out)
{ ops->info(dev, out); }
static inline int hw__dev_occupancy(const struct hw_devops *ops, void *dev,
				    unsigned threads, unsigned shmem)
{ return ops->occupancy(dev, threads, shmem); }
static inline int hw__dev_stream_create(const struct hw_devops *ops, void *dev, int prio, void **st)
{ return ops->stream_create(dev, prio, st); }
static inline void hw__dev_stream_destroy(const struct hw_devops *ops, void *dev, void *st)
{ ops->stream_destroy(dev, st); }
static inline int hw__dev_ctl_alloc(const struct hw_devops *ops, void *dev, struct hw_ctl *ctl)
{ return ops->ctl_alloc(dev, ctl); }
static inline void hw__dev_ctl_free(const struct hw_devops *ops, void *dev, struct hw_ctl *ctl)
{ ops->ctl_free(dev, ctl); }
static inline int hw__dev_ctl_flag(const struct hw_devops *ops, void *dev, struct hw_ctl *ctl,
				   int on, void *st)
{ return ops->ctl_flag(dev, ctl, on, st); }
static inline int hw__dev_kernel(const struct hw_devops *ops, void *dev, void *st,
				 const struct hw_kernel *k, const struct hw_ctl *ctl, int slot)
{ return ops->kernel(dev, st, k, ctl, slot); }
static inline int hw__dev_memcpy(const struct hw_devops *ops, void *dev, void *st, size_t bytes)
{ return ops->memcpy(dev, st, bytes); }
static inline int hw__dev_memset(const struct hw_devops *ops, void *dev, void *st, size_t bytes)
{ return ops->memset(dev, st, bytes); }
static inline int hw__dev_event_create(const struct hw_devops *ops, void *dev, int timing, void **ev)
{ return ops->event_create(dev, timing, ev); }
static inline void hw__dev_event_destroy(const struct hw_devops *ops, void *dev, void *ev)
{ ops->event_destroy(dev, ev); }
static inline int hw__dev_event_record(const struct hw_devops *ops, void *dev, void *ev, void *st)
{ return ops->event_record(dev, ev, st); }
static inline int hw__dev_event_wait(const struct hw_devops *ops, void *dev, void *ev)
{ return ops->event_wait(dev, ev); }
static inline int hw__dev_event_elapsed(const struct hw_devops *ops, void *dev, void *a, void *b,
					double *ms)
{ return ops->event_elapsed(dev, a, b, ms); }
static inline int hw__dev_stream_sync(const struct hw_devops *ops, void *dev, void *st)
{ return ops->stream_sync(dev, st); }
/* Optional: "device error" when the layer keeps no message. */
static inline const char *hw__dev_error(const struct hw_devops *ops, void *dev)
{ return ops->error ? ops->error(dev) : "device error"; }

/* Monotonic clock, ns. */
hs_ns hw__now(void);
/* Sleeps until `when` (hw__now scale): nanosleep, then spins the last
 * 50 us for precision. */
void hw__sleep_until(hs_ns when);

/* ---- engine ----------------------------------------------------------------
 * One engine per run: owns the core (struct sched), the core lock, the
 * timer thread and the hardware queues. Every call into the core made by
 * the engine's threads holds `lock`; the driver (run.c) takes it too
 * (hw__engine_lock) around its own core calls.
 */
struct hw_engine;
struct hw_queue;

/* What the engine saw of one launched command once it left the device
 * (hw_engine_cb.executed). Host times are hw__now(); GPU times are the
 * replay kernel's own stamps (struct hw_ctl.times: first block's start,
 * last block's end) on the device timer, in ns of that timer's epoch,
 * which is not the host's: the caller maps them (hw/run/tl.c does). */
struct hw_exec {
	hs_ns launch_ns, launch_end_ns;  /* around the launch call */
	hs_ns gpu_start_ns, gpu_end_ns;  /* device timer; -1: not measured (a
	                                  * copy or memset, a kernel aborted
	                                  * before its first block ran) */
	hs_ns done_ns;                   /* its completion event was seen */
	int aborted;                     /* taken off the GPU by a Level 2
	                                  * deactivation: launched again later */
};

/* What the driver gets told (called with the core lock held, from engine
 * threads or from inside the driver's own core calls). Every op but
 * failed is optional. */
struct hw_engine_cb {
	void *ctx;
	void (*cmd_done)(void *ctx, struct xcmd *cmd, hs_ns now);
	void (*preempted)(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns);
	/* A device call failed in an engine thread: the run is broken. */
	void (*failed)(void *ctx, const char *msg);
	/* The policy suspended / resumed q (sched_env.decided; sched_why
	 * tells why). */
	void (*decided)(void *ctx, struct xq *q, int suspended, hs_ns now);
	/* cmd went to the device (a relaunch too), the launch call spanning
	 * [t_ns, end_ns]; the queue's counters (xq_get_stats) are up to date.
	 * Queue lock held as well: must not call into the engine. */
	void (*launched)(void *ctx, struct xcmd *cmd, hs_ns t_ns, hs_ns end_ns);
	/* cmd left the device (done or aborted), before the core hears of it;
	 * in launch order per queue. Queue lock held as well. */
	void (*executed)(void *ctx, struct xcmd *cmd, const struct hw_exec *x);
};

/* The payload a driver attaches to a command (xcmd.payload). */
struct hw_cmd {
	enum xcmd_kind kind;
	struct hw_kernel k;       /* XCMD_KERNEL */
	size_t bytes;             /* XCMD_MEMCPY / XCMD_MEMSET */
};

int hw__engine_create(const struct hw_devops *ops, void *dev,
		      const struct hw_engine_cb *cb, const char *policy,
		      const struct hs_param *params, size_t nparams,
		      struct hw_engine **out, char *err, size_t errlen);
/* Stops the threads (queues must be freed first) and frees the engine. */
void hw__engine_free(struct hw_engine *e);
struct sched *hw__engine_sched(struct hw_engine *e);
void hw__engine_lock(struct hw_engine *e);
/* The GPU execution intervals of every replay kernel that completed on
 * the engine's queues (device timer, ns), merged; the union's length in
 * *busy_ns. Core lock held; valid until the next core call. */
const struct hw_ivs *hw__engine_busy(struct hw_engine *e, hs_ns *busy_ns);
void hw__engine_unlock(struct hw_engine *e);

/* Creates a hardware queue (a stream of priority `stream_prio`, its
 * control block and completion thread) and its XQueue. level 2 is allowed
 * because every command hw/ launches is a replay kernel, copy or memset.
 * Takes the core lock itself. */
int hw__queue_create(struct hw_engine *e, int stream_prio,
		     const struct xq_config *cfg, struct hw_queue **out,
		     char *err, size_t errlen);
struct xq *hw__queue_xq(struct hw_queue *hq);
/* Waits until the queue's stream is idle, frees the XQueue (core lock
 * taken inside) and the queue. */
void hw__queue_free(struct hw_engine *e, struct hw_queue *hq);

/* Counters of one queue (for tests and the run's statistics). */
struct hw_queue_stats {
	uint64_t launched;        /* device commands issued (relaunches too) */
	uint64_t aborted;         /* kernels that exited early (Level 2) */
	uint64_t deactivations;
	hs_ns busy_ns;            /* union of its kernels' GPU execution */
};
void hw__queue_stats(struct hw_queue *hq, struct hw_queue_stats *st);

/* The backend ops table (for tests: max_level etc.). */
extern const struct backend_ops hw__backend_ops;

#endif
