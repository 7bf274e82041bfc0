/*
 * hipsched simulator: the hardware-free backend.
 *
 * Runs the unmodified scheduler core (core/) in virtual time against a GPU
 * device model fed by recorded kernel traces. Deterministic: the same
 * scenario, device profile, traces and seed give byte-identical results.
 * Nothing here reads the wall clock. The model and its equations are in
 * sim/MODEL.md.
 *
 * Three layers, each usable alone:
 *   sim_engine      discrete-event queue ordered by (time, seq)
 *   sim_device      a device profile (sim/devices/NAME.ini)
 *   sim_run         a whole scenario run (run_fn, see scenarios/scenario.h)
 */
#ifndef HIPSCHED_SIM_H
#define HIPSCHED_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "sched.h"
#include "scenario.h"

struct trace;
struct trace_rec;

/* ---- discrete-event engine ---------------------------------------------- */
struct sim_engine;
/* An event handle; 0 means "no event". */
typedef uint64_t sim_event_id;
/* Called when an event fires, with the engine's clock already at `now`. The
 * callback may schedule and cancel events (its own handle is already spent). */
typedef void (*sim_event_fn)(struct sim_engine *e, void *obj, uint64_t arg,
			     hs_ns now);

/* New engine at time 0, or NULL (out of memory). Free with sim_engine_free(). */
struct sim_engine *sim_engine_create(void);
void sim_engine_free(struct sim_engine *e);

/* Schedules fn(obj, arg) at `when` (>= now). Events fire in (when, seq)
 * order, seq being the order of the sim_event_schedule() calls, so events of
 * equal time fire in the order they were scheduled. Returns the handle, or 0
 * when out of memory (or past 4 M pending events, or 4e12 events in all).
 * O(log n); no allocation once the queue has grown to its working size. */
sim_event_id sim_event_schedule(struct sim_engine *e, hs_ns when,
				sim_event_fn fn, void *obj, uint64_t arg);
/* Cancels a pending event: it is tombstoned and dropped when it reaches the
 * head of the queue. Cancelling a spent, cancelled or 0 handle is a no-op.
 * Returns 1 if an event was cancelled, else 0. O(1). */
int sim_event_cancel(struct sim_engine *e, sim_event_id id);
/* Fires the next live event if its time is <= limit: returns 1, else 0 (the
 * queue is empty or its head is later than limit; the clock does not move). */
int sim_engine_step(struct sim_engine *e, hs_ns limit);
/* The engine's clock: the time of the last event fired. */
hs_ns sim_engine_now(const struct sim_engine *e);
/* Events fired so far (tombstones not counted). */
uint64_t sim_engine_fired(const struct sim_engine *e);

/* ---- device profiles ------------------------------------------------------ */
struct sim_device {
	char name[64];
	int units;                /* compute units (SMs / CUs) */
	hs_ns launch_ns;          /* host launch call -> visible to the hw queue */
	hs_ns sync_ns;            /* completion -> host notified */
	hs_ns l2_deactivate_ns;   /* deactivate call -> queue stopped */
	hs_ns l2_abort_ns;        /* added per launched, unstarted command */
	hs_ns l2_relaunch_ns;     /* reactivate call -> relaunched cmds visible */
	hs_ns l3_interrupt_ns;    /* interrupt call -> running kernel saved */
	hs_ns l3_restore_ns;      /* restore call -> saved kernel runs again */
	hs_ns timeslice_ns;       /* time slice between contexts (processes) */
	hs_ns ctx_switch_ns;      /* cost of switching contexts */
	/* 1: slices roll on from the last switch while the active context
	 * keeps the device (a waiting context waits for the next boundary);
	 * 0: a slice older than timeslice_ns ends at once when one waits */
	int rolling_slices;
	/* how long an active context with no kernel work keeps the device
	 * while another has work and a host of it goes on launching (not
	 * waiting for a sync, a held launch or its next request); 0: it
	 * yields at once */
	hs_ns ctx_hold_ns;
	int share_contexts;       /* 1: processes share the device (MPS-like) */
	int max_level;            /* highest preemption level supported, 1..3 */
	/* occupancy: how many blocks of a kernel one unit holds at once
	 * (0 = no limit); decides a kernel's waves, see sim/MODEL.md */
	int max_blocks_per_unit;
	int max_threads_per_unit;
	int regs_per_unit;        /* 32-bit registers */
	int shmem_per_unit;       /* bytes */
	/* how late a host thread sleeping until an absolute time wakes, P50
	 * and P99 (keys wake_late_p50_us / wake_late_p99_us, integer us;
	 * 0 = not measured): the `wake_late = auto` model (scenario.h);
	 * `make bench` measures it (sim/bench/wake_late.c) */
	hs_ns wake_late_p50_ns, wake_late_p99_ns;
};

/* Reads a profile ([device] section, keys as the struct fields plus `name`).
 * Every key is required but name, max_level (default 3), the occupancy
 * keys (default 0, no limit) and wake_late_p50_us / wake_late_p99_us
 * (default 0); unknown keys are errors. Returns 0, or HS_EINVAL with "FILE:LINE: what is wrong" in err. */
int sim_device_load(const char *path, struct sim_device *dev, char *err,
		    size_t errlen);
/* Turns a scenario's `device` value into a profile path: a value with a '/'
 * or ending in ".ini" is a path (relative to the current directory, then to
 * the scenario's folder); a bare NAME is looked up as NAME.ini in
 * $HIPSCHED_DEVICES, then sim/devices/, then SCENARIO_DIR/../sim/devices/.
 * scenario_path may be NULL. Returns 0 or HS_EINVAL (err says where it
 * looked). */
int sim_device_resolve(const char *device, const char *scenario_path,
		       char *path, size_t pathlen, char *err, size_t errlen);

/* ---- runs ------------------------------------------------------------------ */
/* Observers (optional), called in simulated-time order of the events that
 * produce them. `stream` is the tenant's local stream index (its trace's
 * streams numbered in order of first appearance). rec is NULL for the sync
 * commands the host inserts for a trace's sync rows on extra streams. */
struct sim_hooks {
	void *ctx;
	void (*on_cmd)(void *ctx, size_t tenant, int stream,
		       const struct trace_rec *rec, hs_ns start_ns, hs_ns end_ns);
	void (*on_request)(void *ctx, size_t tenant, const struct req_record *r);
	/* optional: the host submits trace record rec (sync rows included)
	 * at now */
	void (*on_submit)(void *ctx, size_t tenant, const struct trace_rec *rec,
			  hs_ns now);
};

/* Everything sim_run() finds by itself, given explicitly (tests, tools). */
struct sim_inputs {
	const struct sim_device *dev;  /* NULL: resolved from sc->device */
	struct trace *const *traces;   /* one per tenant (NULL entry: load it) */
	const struct sim_hooks *hooks; /* NULL: none */
};

/* Runs scenario `sc` with options `o` (see struct run_opts; seed 0 means the
 * scenario's seed) in the simulator and fills `res` (initialised here;
 * release with run_result_release(), also after an error). Requests arriving in [0, duration) are recorded; the run
 * goes on until they have all completed (other tenants keep loading the
 * device meanwhile), at most until 4 * duration + 1 s. Returns 0, or a
 * negative hs_err with a message in err. Memory: the traces, plus the
 * commands in flight, plus the request records. type: run_fn. */
int sim_run(const struct scenario *sc, const struct run_opts *o,
	    struct run_result *res, char *err, size_t errlen);
/* sim_run() with some inputs supplied by the caller (who keeps owning
 * them). */
int sim_run_with(const struct scenario *sc, const struct run_opts *o,
		 const struct sim_inputs *in, struct run_result *res,
		 char *err, size_t errlen);

#endif
