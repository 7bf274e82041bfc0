/*
 * hipsched hardware backend: the scheduler core (core/sched.h) driven by a
 * real GPU through HIP, on AMD (ROCm's libamdhip64) or NVIDIA (HIP's CUDA
 * platform through hw/dev/hip_nv.h).
 *
 * What it gives:
 *   - hw_run: a run_fn (scenarios/scenario.h) that replays a scenario's
 *     tenants on the GPU in real time, exactly like sim_run in virtual time.
 *   - hw_calibrate: measures launch / sync latency and replay-kernel accuracy
 *     and writes a device profile in the simulator's INI format.
 *
 * Preemption levels: Level 1 (progressive launching + suspend) for any
 * command; Level 2 (deactivate / reactivate) only for the replay kernels
 * hw/ launches itself: each block checks a per-queue flag at its start and
 * exits early when it is set. Arbitrary application kernels get Level 1 only.
 *
 * Processes: a run's tenants live in forked children (`process = own`
 * ones in a child each); with several processes and a policy that
 * controls, the parent runs the policy server and each child is its
 * client. The design is described once: hw/run/proc.c (processes),
 * hw/serve/serve.h (the server and its protocol); hw/README.md maps the
 * parts. The server's figures (decisions, round trips) are in the run
 * result (run_result.serve_*, rtt_ns). A run's timeline
 * (run_opts.timeline_path) gathers the children's kernels, launches,
 * counters and preemptions and the server's decisions: hw/run/tl.c. HIPSCHED_RELAY_SPIN=1 makes the
 * server and the children's receivers busy-poll their sockets (one core
 * each) instead of blocking.
 *
 * Built without HW= (simulator-only build) every entry point returns
 * HW_ENOBACKEND; hw_backend_name() says "none".
 */
#ifndef HIPSCHED_HW_H
#define HIPSCHED_HW_H

#include <stddef.h>
#include "sched.h"

/* scenarios/scenario.h (the run_fn contract) */
struct scenario;
struct run_opts;
struct run_result;

/* hw/'s block of the one error numbering (core/sched.h; hs_strerror). */
enum hw_err {
	HW_ENOBACKEND = HS_ERANGE_HW,  /* built without a GPU backend */
	HW_ENODEV = HS_ERANGE_HW - 1,  /* no HIP device (or not the one asked for) */
	HW_EDEVICE = HS_ERANGE_HW - 2, /* a HIP call failed; the message says which */
	HW_ETRACE = HS_ERANGE_HW - 3,  /* a tenant's trace could not be loaded */
	HW_EIO = HS_ERANGE_HW - 4,     /* writing a file failed */
};

/* "nvidia", "amd" or "none": the platform compiled in. */
const char *hw_backend_name(void);

/* Loads a calibration (hw_calib_load format) that hw_run applies to replay
 * durations; without one hw_run reads the file named by the environment
 * variable HIPSCHED_CALIB if set, else uses the identity (requested =
 * measured). The GPU is run_opts.device. Not thread-safe: call before
 * running. 0, or negative with "FILE:LINE: what is wrong" in err. */
int hw_load_calibration(const char *path, char *err, size_t errlen);

/* A run_fn (contract in scenarios/scenario.h: `res` comes zeroed, hw_run
 * initializes it, the caller releases it): runs `sc` (policy / mode /
 * active tenants / duration from `o`, GPU o->device) and fills `res`. Tenants replay their traces with the recorded host gaps;
 * arrivals run in real time. Blocks for about the run's duration.
 * Returns 0, or a negative code with a message in err. */
int hw_run(const struct scenario *sc, const struct run_opts *o,
	   struct run_result *res, char *err, size_t errlen);

/* The same replay without the scheduler: each active tenant launches its
 * commands straight to its own stream (default priority) with the same
 * host gaps and arrivals and waits for each request with one event. The
 * baseline for hipsched's overhead. Same contract as hw_run; res->policy is
 * "direct". */
int hw_run_direct(const struct scenario *sc, const struct run_opts *o,
		  struct run_result *res, char *err, size_t errlen);

/* ---- calibration ---------------------------------------------------------- */
#define HW_CALIB_MAXPTS 64

struct hw_calib_point {
	unsigned blocks;          /* grid size */
	hs_ns req_ns;             /* requested kernel duration */
	hs_ns meas_ns;            /* median measured (event to event) */
};

struct hw_calib {
	char device[128];         /* the device's name */
	int sms;                  /* SMs / CUs */
	int prio_lo, prio_hi;     /* stream priority range (least, greatest) */
	hs_ns launch_ns;          /* host cost of one launch call, median */
	hs_ns roundtrip_ns;       /* empty kernel: launch call -> host sees
	                           * its event done, median */
	hs_ns launch_to_start_ns; /* roundtrip - launch call - sync: the GPU
	                           * side of a launch (incl. the empty kernel) */
	hs_ns sync_ns;            /* event record + host wake-up on completion */
	hs_ns kernel_gap_ns;      /* back-to-back kernels: per-kernel overhead */
	double fit_offset_ns;     /* measured = offset + slope * requested */
	double fit_slope;
	double fit_r2;
	size_t npts;
	struct hw_calib_point pt[HW_CALIB_MAXPTS];
};

/* Measures the device (takes a few seconds). 0 or negative (err). */
int hw_calibrate(int device, struct hw_calib *out, char *err, size_t errlen);

/* Fits measured = offset + slope * requested over c->pt (least squares,
 * GSL). HS_EINVAL if fewer than 2 points. */
int hw_calib_fit(struct hw_calib *c);

/* The duration to request so that a replay kernel measures `want_ns`
 * (inverse of the fit, never below 0). Identity if no fit. */
hs_ns hw_calib_correct(const struct hw_calib *c, hs_ns want_ns);

/* Writes the calibration as a device profile in the simulator's format
 * (sim/devices/NAME.ini: one [device] section) to `path`, through a temp
 * file renamed on success. The measured keys are name, units, launch_ns,
 * sync_ns, l2_deactivate_ns, l2_relaunch_ns; the other [device] keys are
 * copied from the profile `base` (NULL: left out, and the simulator will
 * not load the file). The fit and the raw points go in "# hw: key = value"
 * comment lines. 0 or HW_EIO. */
int hw_calib_write(const struct hw_calib *c, const char *path, const char *base,
		   char *err, size_t errlen);

/* Reads the [calibration] fit of a profile written by hw_calib_write. */
int hw_calib_load(const char *path, struct hw_calib *c, char *err, size_t errlen);

#endif
