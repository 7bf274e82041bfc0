/*
 * The engine's own internals, shared by engine.c (queues, commands, the
 * held caller) and engine_life.c (configuration, poller thread, fork, exit,
 * statistics, joining a server). Never included by a platform layer: those
 * see only shim_internal.h.
 *
 * Threads and locks: one lock (g_eng.mu, "the core lock") guards the core
 * and every structure below. Caller threads take it in shim__begin / end /
 * host_sync; the poller takes it to report completions and fire timers and
 * drops it while it queries events and sleeps. A caller waits for its
 * command on its queue's condvar; the poller sleeps on g_eng.cv when there
 * is nothing to poll. Nobody waits on the GPU while holding the lock.
 *
 * Command life: pool -> submitted (xq_submit) -> launched (backend launch
 * op: the caller may make its real call, once every earlier command of the
 * queue has made its own: calls keep the queue's order) -> called
 * (shim__end) -> done (cmd_done) -> pool. A marked command (XCMD_F_SYNC)
 * also sits in its queue's marker FIFO from its event's record until its
 * event is seen complete (by the poller, or by a caller held at its
 * queue's threshold, which polls its own queue's head rather than wait for
 * the poller); it returns to the pool only when it is both done and out of
 * the FIFO.
 */
#ifndef HIPSCHED_SHIM_ENGINE_INTERNAL_H
#define HIPSCHED_SHIM_ENGINE_INTERNAL_H
#include <pthread.h>
#include <stdio.h>
#include "sched.h"
#include "shim_internal.h"

#define SHIM_NKINDS (SHIM_GRAPH + 1)

struct squeue;

struct shim_cmd {
	struct xcmd x;
	struct squeue *q;
	void *ev;                 /* marker event, created with the command */
	enum shim_kind kind;
	unsigned launched : 1;    /* the core let it go: the caller may call */
	unsigned called : 1;      /* the real call returned (shim__end) */
	unsigned mark : 1;        /* an event must be recorded after it */
	unsigned recorded : 1;    /* that event is recorded */
	unsigned in_fifo : 1;     /* in q's marker FIFO */
	unsigned core_done : 1;   /* cmd_done came */
	unsigned pooled : 1;      /* on the free list */
	struct shim_cmd *next;    /* free list or marker FIFO */
};

struct squeue {
	void *stream;             /* handle events are recorded on */
	int ptds;                 /* a per-thread default stream */
	pthread_t owner;          /* ptds: the thread it belongs to */
	int plat_prio;            /* the platform's priority (lower = urgent) */
	struct xq *xq;
	void *ep;                 /* the server client's endpoint, or NULL */
	pthread_cond_t cv;        /* held callers wait here */
	unsigned nwait;           /* callers waiting on cv */
	/* callers that had to wait before their call, and for how long:
	 * at the threshold only (held) or while suspended (held_susp) */
	uint64_t held, held_susp;
	hs_ns held_ns, held_susp_ns;
	/* the library's own host time in callers' threads (HIPSCHED_STATS
	 * only): shim__begin and shim__end less the waits above, including
	 * what they call (core, policy, server messages, event records) */
	hs_ns own_ns;
	uint64_t records;         /* marker events recorded */
	uint64_t next_call;       /* seq of the command whose call is next */
	struct shim_cmd *free;    /* pool */
	struct shim_cmd *fifo_head, *fifo_tail;  /* recorded markers, in order */
	uint64_t fifo_pops;       /* heads popped so far: whoever queried a head
	                           * without the lock pops it only if this did
	                           * not move meanwhile */
	struct shim_cmd *tail;    /* last launched command not yet done */
	hs_ns last_ns;            /* last submission or call */
	int tail_req;             /* ptds: the owner should mark its tail */
	int dead;                 /* stream destroyed / thread gone */
	int join_pending;         /* the poller joins it to the server */
	uint64_t kinds[SHIM_NKINDS];
	int id;                   /* xq_id, kept after the queue is freed */
	struct xq_stats final;    /* its statistics when it was freed */
	struct squeue *next;      /* all queues (or the retired ones) */
};

struct shim_conf {
	const char *policy;       /* NULL: none */
	struct hs_param params[16];
	size_t nparams;
	char params_buf[512];
	int priority;             /* HIPSCHED_PRIORITY */
	unsigned threshold, batch;
	int log;                  /* 0 off, 1 events, 2 every command */
	const char *socket;       /* HIPSCHED_SOCKET */
	const char *stats;        /* HIPSCHED_STATS */
	const char *name;         /* HIPSCHED_NAME, for the server's HELLO */
	hs_ns slo_ns, deadline_ns;/* HIPSCHED_SLO_MS, HIPSCHED_DEADLINE_MS (relative) */
	double weight;            /* HIPSCHED_WEIGHT */
	hs_ns quiet_ns;           /* tail of a quiet queue marked after this */
	hs_ns idle_hold_ns;       /* HIPSCHED_IDLE_HOLD_US: the server client's
	                           * idle hold (hs_hello.idle_hold_ns) */
	hs_ns poll_ns;            /* poller's sleep while events are out */
	hs_ns poll_max_ns;        /* ... doubled up to this while none completes */
	hs_ns spin_ns;            /* a caller at its threshold polls this long
	                           * before it sleeps */
};

struct shim_engine {
	pthread_mutex_t mu;       /* the core lock */
	pthread_cond_t cv;        /* the poller sleeps here */
	const struct shim_plat *plat;
	struct shim_conf conf;
	struct sched *s;
	struct squeue *queues;
	struct squeue *retired;   /* freed queues, kept for the statistics */
	void *ctx;                /* the context the poller binds to */
	hs_ns t_when;             /* the core's timer, < 0 none */
	int started;              /* core and poller are up */
	int failed;               /* start failed: pass through */
	int stop;                 /* exit / poller stop */
	int poller_sleeping;
	int fifo_new;             /* a marker was recorded since the poller's
	                           * last look at the FIFOs */
	hs_ns poller_wake;        /* when the sleeping poller looks again */
	pthread_t poller;
	int poller_up;
	unsigned gen;             /* bumped by fork: thread-locals of older gens
	                           * are stale */
	struct hs_client *client; /* joined server, or NULL */
	/* what the poller did (statistics): rounds with markers out, event
	 * queries it made, wake-ups signalled to it by callers */
	uint64_t poll_rounds, poll_queries, kicks;
};

extern struct shim_engine g_eng;

hs_ns shim__now(void);
/* engine_life.c: reads the environment into g_eng.conf (shim__enabled set when
 * a policy or socket is given); prints errors on stderr. */
void shim__conf_load(void);
/* Starts the core, the poller and joins the server (lock held; once).
 * On failure prints one line, sets g_eng.failed and turns interception
 * off. */
int shim__start(void);
/* A new queue's core side: xq_create with the configuration, joining the
 * server when there is one (lock held). */
int shim__queue_attach(struct squeue *q);
/* Wakes the poller if it sleeps past `by` (lock held): a signal wakes a
 * thread of the caller's, a futex call and a context switch that cost
 * the caller microseconds, so only a poller that would otherwise look
 * later is woken. shim__kick: wake it now. */
void shim__kick_by(hs_ns by);
void shim__kick(void);
/* engine.c: the backend ops table and the core's env callbacks. */
extern const struct backend_ops shim__backend;
void shim__cmd_done(void *ctx, struct xcmd *x, hs_ns now);
void shim__decided(void *ctx, struct xq *q, int suspended, hs_ns now);
/* preempt.c: the core's preemption latencies, kept for $HIPSCHED_STATS
 * (lock held); reset in a forked child. */
void shim__preempted(void *ctx, struct xq *q, hs_ns suspend_ns, hs_ns idle_ns);
void shim__preempt_json(FILE *f);
void shim__preempt_reset(void);
void shim__timer_set(void *ctx, hs_ns when);
/* Marks c (launched, not yet done): its event is recorded now if its call
 * was made and this thread may record on its stream, by its caller after
 * the call otherwise (lock held). */
void shim__mark(struct shim_cmd *c);
/* Records c's event on its stream and appends it to the FIFO (lock held;
 * c called). */
void shim__record(struct shim_cmd *c);
/* The head of q's marker FIFO is complete: pop it and report it to the
 * core (lock held). */
void shim__fifo_pop(struct squeue *q, hs_ns now);
/* Puts c back into its pool if nothing refers to it any more. */
void shim__cmd_release(struct shim_cmd *c);
/* Forgets every queue (the child after fork). */
void shim__queues_forget(void);
/* A dead queue nothing refers to any more (lock held). */
int shim__queue_reapable(const struct squeue *q);
/* Frees the core side of a reapable queue already unlinked from
 * g_eng.queues and moves it to g_eng.retired (poller, lock held; drops and
 * retakes it to leave the server). */
void shim__queue_free(struct squeue *q);
/* A queue's statistics, retired or not. */
void shim__queue_stats(const struct squeue *q, struct xq_stats *st);
/* The server client's calls through their weak references (engine_life.c;
 * no-ops when the library was built without hw/serve). leave drops and
 * retakes the lock. */
void shim__client_leave(struct squeue *q);
void shim__client_ep_free(void *ep);
/* engine_py.c: Python's GIL around a held caller's wait. init finds the
 * interpreter (at start); release gives the GIL up when this thread holds
 * it (call without the lock) and returns what restore takes back, or
 * NULL. */
void shim__py_init(void);
void *shim__py_release(void);
void shim__py_restore(void *ts);
/* Human name of a queue's stream ("legacy", "ptds:TID", "0x..."). */
void shim__queue_name(const struct squeue *q, char *buf, size_t len);
const char *shim__kind_name(enum shim_kind k);

#endif
