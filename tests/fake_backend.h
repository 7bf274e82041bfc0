/*
 * A small in-memory backend for the core's tests: it records what the core
 * asks of each hardware queue; the test decides when commands complete.
 * (The simulator is the real hardware-free backend and has its own suite.)
 */
#ifndef HIPSCHED_FAKE_BACKEND_H
#define HIPSCHED_FAKE_BACKEND_H

#include "sched.h"

#define FAKE_MAX_LOG 16384

struct fake_hwq {
	int max_level;
	struct xcmd *launched[FAKE_MAX_LOG];    /* every launch, in order */
	size_t nlaunched;
	int deactivates, reactivates, interrupts, restores, syncs;
	struct xcmd *last_sync;                 /* cmd of the last sync op */
	size_t relaunched;                      /* commands in reactivate logs */
	int stopped;                            /* between deactivate and react */
	/* when set, deactivate/interrupt report at once through
	 * xq_deactivated(xq, report_last) */
	int sync_report;
	struct xcmd *report_last;
	struct xq *xq;                          /* set by the test after create */
};

struct fake_env {
	struct xcmd *done[FAKE_MAX_LOG];
	size_t ndone;
	hs_ns timer;                            /* last timer request */
	int timer_calls;
	hs_ns preempt_suspend[64], preempt_idle[64];
	size_t npreempt;
	/* optional hook from cmd_done (closed-loop tests) */
	void (*on_done)(struct fake_env *e, struct xcmd *c, hs_ns now);
	void *user;
};

extern const struct backend_ops fake_backend_ops;
extern const struct backend_ops fake_backend_ops_l1only;
/* Level 1, at most 3 commands in flight per queue (max_inflight). */
extern const struct backend_ops fake_backend_ops_cap3;

/* An env wired to fake_backend_ops and the fake_env callbacks. */
struct sched_env fake_env_make(struct fake_env *fe, const struct backend_ops *ops);
/* A policy that never acts, so tests drive suspend/resume by hand. */
extern const struct policy_ops fake_policy_manual;
/* Shortcut: create a scheduler or fail the test ("manual" registers the
 * policy above on first use); _param: with the one parameter KEY=VAL
 * (hpf lift=0: a queue nothing outranks held to its threshold, as the
 * threshold tests need). */
struct sched *fake_sched(struct fake_env *fe, const char *policy);
struct sched *fake_sched_param(struct fake_env *fe, const char *policy, const char *key,
			       const char *val);
/* Creates a queue on hwq with the given settings or fails the test. */
struct xq *fake_xq(struct sched *s, struct fake_hwq *hwq, int prio, int level,
		   unsigned threshold, unsigned batch);
/* In-flight commands of a queue, as the fake saw them. */
size_t fake_inflight(struct xq *q);

#endif
