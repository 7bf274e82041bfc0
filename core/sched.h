/*
 * hipsched core: XQueues, progressive launching, preemption levels 1-3,
 * pluggable policies.
 *
 * The core is pure C. It never reads a clock, never starts a thread and never
 * calls HIP: time comes in as an argument (`now`, integer nanoseconds on the
 * driver's clock), and every action goes out through two tables that the
 * driver supplies:
 *
 *   struct backend_ops   what a hardware queue does (launch, deactivate, ...)
 *   struct sched_env     timers and "command done" notifications
 *
 * The simulator (sim/) and the HIP backend (hw/) both drive this same code.
 * The core is single-threaded: a driver with several threads serialises its
 * calls into the core (hw/ holds one lock around every core call).
 *
 * Ownership: commands (struct xcmd) belong to the submitter. The core only
 * links them into its lists between xq_submit() and the env's cmd_done()
 * callback; the submitter must keep them alive until then.
 */
#ifndef HIPSCHED_SCHED_H
#define HIPSCHED_SCHED_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t hs_ns;                  /* a point or span in time, ns */

/* ---- errors: one table, negative codes, hs_strerror() gives the text ----
 * Every function of the project returns 0 or a negative code of this one
 * numbering, and hs_strerror knows them all. The core owns -1..-99 (below);
 * each other module owns a block of 100 and declares its codes in its own
 * public header, from its HS_ERANGE_* base downwards:
 *   hw/       HS_ERANGE_HW        -100   enum hw_err (hw/hw.h)
 *   traces/   HS_ERANGE_TRACE     -200   enum trace_errcode (traces/trace.h)
 *   scenarios HS_ERANGE_SCENARIO  -300   enum scenario_err (scenario.h)
 *   hw/serve/ HS_ERANGE_SERVE     -400   the policy server's protocol
 *   analysis/ HS_ERANGE_ANALYSIS  -500   enum analysis_err (analysis.h)
 * and registers the messages of its block once (HS_ERR_BLOCK: a
 * constructor next to its table), so the core names no
 * other module. A code of no registered block reads "unknown error". */
enum hs_err {
	HS_OK = 0,
	HS_ENOMEM = -1,      /* out of memory */
	HS_EINVAL = -2,      /* invalid argument */
	HS_ELEVEL = -3,      /* preemption level above what the backend supports */
	HS_ENOPOLICY = -4,   /* no policy of that name */
	HS_EEXIST = -5,      /* name already registered */
	HS_EBUSY = -6,       /* queue still has commands */
	HS_EPARAM = -7,      /* bad policy parameter */
	HS_EINTR = -8,       /* stopped early: a signal (run_opts.stop) */
	HS_ERR_COUNT_ = 9
};
#define HS_ERANGE_SIZE 100
#define HS_ERANGE_HW (-100)
#define HS_ERANGE_TRACE (-200)
#define HS_ERANGE_SCENARIO (-300)
#define HS_ERANGE_SERVE (-400)
#define HS_ERANGE_ANALYSIS (-500)
#define HS_ERANGE_MAX_ 8      /* blocks -100 .. -800 */

const char *hs_strerror(int err);

/* The one growable array (core/grow.c): makes *v hold at least n + 1
 * elements of sz bytes, doubling *cap (from 16); *v and *cap unchanged on
 * failure. HS_OK or HS_ENOMEM. Usage: if (hs_grow((void **)&a, &cap, n,
 * sizeof(*a))) fail; a[n++] = x; */
int hs_grow(void **v, size_t *cap, size_t n, size_t sz);
/* Registers the messages of one module's block: code base - i reads
 * msg[i], i < n (n <= HS_ERANGE_SIZE). base is a multiple of -100 below
 * -99. The table must outlive the process (static). HS_EINVAL for a bad
 * base or n, HS_EEXIST if the block already has a table (the same table
 * again is a no-op). Not thread-safe: call before starting threads (a
 * constructor is the usual place). */
int hs_err_register(int base, size_t n, const char *const *msg);
/* A module's registration, at file scope next to its static table:
 * HS_ERR_BLOCK(HS_ERANGE_HW, hw_messages); registers it at load time. */
#define HS_ERR_BLOCK(base, table)                                             \
	__attribute__((constructor)) static void hs__err_block_##table(void)  \
	{ hs_err_register((base), sizeof(table) / sizeof((table)[0]), (table)); } \
	struct hs__err_block_##table##_semicolon

/* ---- commands ---------------------------------------------------------- */
enum xcmd_kind { XCMD_KERNEL, XCMD_MEMCPY, XCMD_MEMSET, XCMD_SYNC, XCMD_MARKER };

enum xcmd_flags {
	XCMD_F_SYNC = 1u << 0,  /* a synchronization marker: the backend must
	                         * report this command's completion through
	                         * xq_complete(). The core sets it on every
	                         * `batch`-th launch; a submitter that will wait
	                         * for a command (a request's last one) must set
	                         * it, or the core cannot see the queue drain. */
};

struct xq;

struct xcmd {
	enum xcmd_kind kind;
	unsigned flags;          /* enum xcmd_flags */
	hs_ns expect_ns;         /* expected duration, 0 if unknown */
	void *payload;           /* opaque to the core: the backend's command */
	/* set by the core */
	uint64_t seq;            /* per-queue submission number, from 0 */
	struct xq *xq;
	struct xcmd *next;       /* intrusive link: pending / in-flight list */
};

/* ---- backend ops: what a hardware queue must do --------------------------
 * `be` is the backend's context, `hwq` the hardware queue given to
 * xq_create(). Level 1 ops are required; level 2 and 3 ops are required only
 * when max_level() says the level is supported. All ops must not block.
 */
struct backend_ops {
	const char *name;
	/* Highest preemption level (1..3) the queue supports. Optional: absent
	 * means 1. */
	int (*max_level)(void *be, void *hwq);
	/* Most commands the queue can hold in flight (the size of what the
	 * backend keeps per launched command), whatever the threshold, the
	 * policy (passthrough) or sched_bound say. Optional: absent or 0 means
	 * no limit. */
	unsigned (*max_inflight)(void *be, void *hwq);
	/* Level 1: hand one command to the hardware queue, after every command
	 * launched before it on this queue. When cmd->flags has XCMD_F_SYNC the
	 * backend must later call xq_complete(q, cmd, t) once the command and
	 * all before it are done. It may report other completions too. */
	void (*launch)(void *be, void *hwq, struct xcmd *cmd, hs_ns now);
	/* Level 1, optional: `cmd` was launched without a marker; from now on
	 * treat it as XCMD_F_SYNC (the core has set the flag) and report its
	 * completion. Used when a queue is suspended, so the core learns when
	 * its last in-flight command is done. Absent: the sample waits for the
	 * next marker. */
	void (*sync)(void *be, void *hwq, struct xcmd *cmd, hs_ns now);
	/* Level 2: stop the queue from starting launched commands. The running
	 * command may finish or be aborted. The backend then calls
	 * xq_deactivated(q, last_done, t) exactly once, naming the last command
	 * that completed (NULL: none of the in-flight ones); commands after it
	 * are to be run again, from the start, at reactivate. */
	void (*deactivate)(void *be, void *hwq, hs_ns now);
	/* Level 2: resume the queue and relaunch `log`, the in-flight commands
	 * that did not complete, in order (linked through ->next, NULL-ended).
	 * The core keeps owning the list; the backend must not change ->next. */
	void (*reactivate)(void *be, void *hwq, struct xcmd *log, hs_ns now);
	/* Level 3: like deactivate, but the running command is interrupted and
	 * its progress kept; reported through xq_deactivated() the same way. */
	void (*interrupt)(void *be, void *hwq, hs_ns now);
	/* Level 3: resume an interrupted queue: the interrupted command goes on
	 * where it stopped, then the rest of `log`. */
	void (*restore)(void *be, void *hwq, struct xcmd *log, hs_ns now);
};

/* ---- the driving environment -------------------------------------------- */
struct sched_env {
	const struct backend_ops *ops;
	void *be;                       /* passed to every backend op */
	void *ctx;                      /* passed to the callbacks below */
	/* Ask for one call of sched_on_timer() at time `when` (replaces the
	 * previous request; when < 0 cancels). Optional if no policy uses
	 * timers. */
	void (*timer_set)(void *ctx, hs_ns when);
	/* A command completed; the core lets go of it (the submitter may free
	 * or reuse it, or submit more from inside this callback). */
	void (*cmd_done)(void *ctx, struct xcmd *cmd, hs_ns now);
	/* Optional: queue q, suspended at `suspend_ns`, has no more of its
	 * commands running on the hardware since `idle_ns` (preemption latency
	 * = idle_ns - suspend_ns). */
	void (*preempted)(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns);
	/* Optional: the policy suspended (1) or resumed (0) queue q. For a
	 * proxy queue (xq_config.proxy) this is the only effect: the driver
	 * forwards the decision to the process that holds the real queue. */
	void (*decided)(void *ctx, struct xq *q, int suspended, hs_ns now);
};

/* ---- policies ------------------------------------------------------------ */
struct sched;

/* A policy parameter from the scenario's [policy] section. */
struct hs_param {
	const char *key;
	const char *val;
};

/* What a policy sees of one queue. */
struct xq_status {
	int id;                 /* index for sched_suspend()/sched_resume() */
	int priority;           /* larger = more important (XSched's convention) */
	int suspended;          /* 1 if the policy suspended it */
	int ready;              /* has pending or in-flight commands */
	size_t pending;         /* submitted, not launched */
	size_t inflight;        /* launched, not completed */
	hs_ns deadline_ns;      /* from hints; INT64_MAX if none */
	hs_ns ready_since_ns;   /* when it last became ready */
	hs_ns expect_pending_ns;/* sum of expect_ns over pending + in-flight */
	double weight;          /* utilization share from hints; default 1 */
	int group;              /* process the queue belongs to (xq_config) */
	int foreground;         /* 1 if its process is in the foreground */
	void *user;             /* xq_config.user */
};

struct sched_status {
	hs_ns now;
	size_t n;
	const struct xq_status *q;
};

enum policy_flags {
	/* No control: queues launch everything at once (threshold ignored) and
	 * are never suspended. The baseline a user has without a scheduler. */
	POLICY_F_PASSTHROUGH = 1u << 0,
	/* The backend should map priorities onto hardware stream priorities. */
	POLICY_F_STREAM_PRIO = 1u << 1,
};

struct policy_ops {
	const char *name;
	const char *summary;       /* one line for `--policy help` */
	unsigned flags;            /* enum policy_flags */
	/* Optional. Parse parameters, allocate state. Return 0 or HS_EPARAM
	 * with a message in err. */
	int (*init)(const struct hs_param *params, size_t n, void **state,
		    char *err, size_t errlen);
	/* Required. Called whenever a queue becomes ready or idle, a hint
	 * arrives, or a queue is created or freed. Acts only through
	 * sched_suspend(), sched_resume() and sched_timer(). */
	void (*sched)(struct sched *s, void *state, const struct sched_status *st);
	/* Optional. The timer requested with sched_timer() fired. */
	void (*timer)(struct sched *s, void *state, const struct sched_status *st);
	/* Optional. Free what init allocated. */
	void (*fini)(void *state);
};

/* Registry. Built-in policies are always there; register adds more and
 * rejects a duplicate name (HS_EEXIST). find returns NULL if unknown. */
int policy_register(const struct policy_ops *ops);
const struct policy_ops *policy_find(const char *name);
/* Comma-separated list of the known names into buf ("native, hpf, ..."). */
void policy_names(char *buf, size_t len);
/* The one "unknown policy" message: "unknown policy 'NAME' (known: native,
 * hpf, ...)" into buf; returns HS_ENOPOLICY, so a caller can write
 * `return policy_unknown(name, err, errlen);`. */
int policy_unknown(const char *name, char *buf, size_t len);
size_t policy_count(void);
const struct policy_ops *policy_at(size_t i);

/* ---- the scheduler --------------------------------------------------------- */
/* Creates a scheduler with the named policy. On error returns NULL and sets
 * *err (and a message in errbuf: unknown policy lists the known ones). The
 * env is copied. Free with sched_free(). */
struct sched *sched_create(const struct sched_env *env, const char *policy,
			   const struct hs_param *params, size_t nparams,
			   int *err, char *errbuf, size_t errlen);
void sched_free(struct sched *s);
const struct policy_ops *sched_policy(const struct sched *s);

/* Policy actions (also usable by a driver). Suspending uses the queue's
 * preemption level. Both are idempotent. */
int sched_suspend(struct sched *s, int id, hs_ns now);
int sched_resume(struct sched *s, int id, hs_ns now);
/* Whether queue id's threshold applies (1, the default) or not (0): a
 * policy lifts it for a queue nothing would preempt (hpf: no queue of a
 * higher priority exists), which then launches as it would without a
 * scheduler, at no cost to anyone's preemption latency. Set back, the
 * threshold holds the queue's next launches until fewer than `threshold`
 * are in flight; what is in flight already stays (the first suspension
 * after a contender appears can take longer). Idempotent. A proxy queue
 * keeps its process's own threshold (the flag is not relayed). */
int sched_bound(struct sched *s, int id, int bounded, hs_ns now);
/* Ask for the policy's timer op at `when` (< 0 cancels). */
void sched_timer(struct sched *s, hs_ns when);
/* The driver's timer fired. */
void sched_on_timer(struct sched *s, hs_ns now);

/* Why the policy is running: the event that started the current call of
 * its sched / timer op, so a driver can explain a decision (from inside
 * env.decided, or a policy action). Returns the enum sched_why and sets
 * *qid (may be NULL) to the queue it concerns (-1: none). Outside a policy
 * call: SCHED_WHY_NONE (the driver itself called sched_suspend/resume). */
enum sched_why {
	SCHED_WHY_NONE,      /* not inside a policy call */
	SCHED_WHY_READY,     /* queue qid went from idle to ready */
	SCHED_WHY_IDLE,      /* queue qid went from ready to idle */
	SCHED_WHY_TIMER,     /* the policy's timer fired */
	SCHED_WHY_HINT,      /* a hint (priority, deadline, weight, foreground) on qid */
	SCHED_WHY_QUEUES,    /* queue qid was created or freed */
};
int sched_why(const struct sched *s, int *qid);
/* "ready", "idle", "timer", "hint", "queues", "driver". */
const char *sched_why_name(int why);

/* ---- XQueues ---------------------------------------------------------------- */
struct xq_config {
	void *hwq;            /* the backend's hardware queue */
	int priority;         /* larger = more important */
	int level;            /* preemption level 1..3 */
	unsigned threshold;   /* max commands in flight; 0 = default (16) */
	unsigned batch;       /* sync marker every `batch` commands; 0 = 8 */
	void *user;           /* the driver's, shown to policies */
	/* A proxy for a queue that lives in another process (one policy over
	 * several processes): it holds no commands, its load comes from
	 * xq_set_proxy_load(), and suspend / resume only change its state and
	 * call env.decided. No backend op is ever called for it. */
	int proxy;
	/* The process the queue belongs to: queues of one process share one
	 * group (per-process policies such as pup and awf partition and rank
	 * groups, not queues). Default 0: one process. */
	int group;
	double weight;        /* initial xq_set_weight(); <= 0 means 1 */
	int foreground;       /* initial xq_set_foreground() */
};

#define XQ_DEFAULT_THRESHOLD 16u
#define XQ_DEFAULT_BATCH 8u

/* Creates a queue. Errors: HS_EINVAL (threshold < batch, level not 1..3),
 * HS_ELEVEL (level above the backend's max_level for hwq), HS_ENOMEM.
 * Runs the policy, at the latest time it ran at before (0 at first): the
 * backend ops it calls never go back in time. */
int xq_create(struct sched *s, const struct xq_config *cfg, struct xq **out);
/* Frees an idle queue (HS_EBUSY if it still has commands); runs the policy
 * as xq_create does. */
int xq_free(struct xq *q);

/* Queues a command; never blocks. Launches at once if the queue is not
 * suspended and fewer than threshold commands are in flight. HS_EINVAL on
 * a proxy queue. */
int xq_submit(struct xq *q, struct xcmd *cmd, hs_ns now);

/* Backend -> core: `upto` (an in-flight command of q) and every in-flight
 * command before it completed. Reporting an already completed command is a
 * no-op. */
void xq_complete(struct xq *q, struct xcmd *upto, hs_ns now);
/* Backend -> core: a deactivate/interrupt finished (see backend_ops). */
void xq_deactivated(struct xq *q, struct xcmd *last_done, hs_ns now);

/* Proxy queues: the remote queue's load changed (pending = submitted not
 * launched, inflight = launched not completed); the policy runs when the
 * queue becomes ready or idle. HS_EINVAL for a queue that is not a proxy. */
int xq_set_proxy_load(struct xq *q, size_t pending, size_t inflight, hs_ns now);

/* Hints: change what the policy sees and call it. */
void xq_set_priority(struct xq *q, int priority, hs_ns now);
void xq_set_deadline(struct xq *q, hs_ns deadline_ns, hs_ns now);
void xq_set_weight(struct xq *q, double weight, hs_ns now);
/* Whether q's process is in the foreground (awf): the desktop's or the
 * user's word on which application the user is looking at. */
void xq_set_foreground(struct xq *q, int foreground, hs_ns now);

/* Introspection. */
struct xq_stats {
	uint64_t submitted, launched, completed, relaunched;
	uint64_t suspends, resumes;
	size_t pending, inflight, max_inflight;
	int suspended;
	int hw_active;        /* 0 while deactivated / interrupted (level 2/3) */
};
void xq_get_stats(const struct xq *q, struct xq_stats *st);
/* Marks q's last launched command (XCMD_F_SYNC, then the backend's sync
 * op) so its completion is reported: what a level-1 suspend does to learn
 * when the queue drained, and what the interception library does to a
 * queue whose host went quiet (sim's tenant key `quiet`). A no-op with
 * nothing in flight, a tail marked already, or a backend without sync. */
void xq_sync_tail(struct xq *q, hs_ns now);
int xq_id(const struct xq *q);
void *xq_user(const struct xq *q);
int xq_level(const struct xq *q);

#endif
