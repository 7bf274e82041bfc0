/*
 * hw/shim internals: the interception engine (engine.c) and the platform
 * layers that feed it (cuda.c: NVIDIA driver API; hip.c: AMD libamdhip64).
 *
 * Design (why the caller's thread is held): a wrapper of a stream-ordered
 * call (kernel launch, async copy / memset, event record, stream wait,
 * graph launch) asks the engine for permission with shim__begin(), which
 * submits one command to the XQueue of that stream and blocks the calling
 * thread until the core launches it (progressive launching: at most
 * `threshold` commands in flight; none while the queue is suspended). The
 * wrapper then makes the real call itself, with the caller's own
 * arguments, and reports with shim__end(). Nothing is deferred, so no
 * kernel argument sizes are needed (XSched reads HIP internals for them),
 * and per-stream order is the caller's order. Completion is seen through
 * events the engine records on sync markers (every `batch`-th command, the
 * tail before a host sync, and a queue's tail when it goes quiet) and polls
 * from one engine thread.
 *
 * Deadlock freedom: a command waits only for commands launched before it,
 * and every launched command completes on the GPU (Level 1 never stops a
 * launched command), so a stream waiting on an event of a suspended stream
 * of the same process waits only on launched work.
 */
#ifndef HIPSCHED_SHIM_INTERNAL_H
#define HIPSCHED_SHIM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

enum shim_kind {
	SHIM_KERNEL,      /* any kernel launch, cooperative included */
	SHIM_COPY,        /* async memcpy */
	SHIM_SET,         /* async memset */
	SHIM_EVENT,       /* event record */
	SHIM_WAIT,        /* stream wait event */
	SHIM_GRAPH,       /* graph launch */
};

/* The platform's real calls the engine needs (cuda.c or hip.c fills it
 * with the real, un-intercepted functions). Every op may be called from
 * the engine's poller thread after bind_thread(). */
struct shim_plat {
	const char *name;                        /* "cuda" or "hip" */
	int (*event_create)(void **ev);          /* timing disabled; 0 or <0 */
	int (*event_record)(void *ev, void *stream);
	int (*event_query)(void *ev);            /* 0 done, 1 not ready, <0 error */
	void (*event_destroy)(void *ev);
	/* 1 while `stream` is capturing a graph (its calls pass through). */
	int (*stream_capturing)(void *stream);
	/* The calling thread's current context (opaque) and making it
	 * current in an engine thread. */
	void *(*current_ctx)(void);
	int (*bind_thread)(void *ctx);
};

/* Stream handles with a meaning of their own (same values on both
 * platforms' ABI: CU_STREAM_LEGACY, CU_STREAM_PER_THREAD). */
#define SHIM_STREAM_LEGACY     ((void *)0x1)
#define SHIM_STREAM_PER_THREAD ((void *)0x2)

struct shim_cmd;

/* Once per process, from the platform layer's first intercepted call. */
void shim__init(const struct shim_plat *p);
/* Before a stream-ordered call on `stream` (NULL = legacy default stream;
 * `ptds` = 1 when the call is a per-thread-default-stream variant, so NULL
 * means the calling thread's default stream). Blocks until the command may
 * launch. NULL: pass straight through (no policy, capture, engine off). */
struct shim_cmd *shim__begin(void *stream, int ptds, enum shim_kind k);
/* After the real call; ok = 0 when it failed (the command then completes
 * at once). */
void shim__end(struct shim_cmd *c, int ok);
/* Before a blocking host sync on `stream` (NULL and all = 1: every queue of
 * the process, as cuCtxSynchronize): marks the queue's tail so the core
 * sees it drain. Returns a token for shim__host_synced (0: none). */
uint64_t shim__host_sync(void *stream, int ptds, int all);
/* After a sync or query of one stream returned success (`tok` from the
 * shim__host_sync before it): everything the queue had then is done on
 * the device, so its markers up to that tail are reported now, not at the
 * poller's next look (an application's requests end in such a sync: the
 * engine's view of what is in flight stays at one request's). */
void shim__host_synced(void *stream, int ptds, uint64_t tok);
/* Stream life: priority as the platform gives it (lower = more urgent on
 * both CUDA and HIP). */
void shim__stream_created(void *stream, int platform_prio);
void shim__stream_destroyed(void *stream);
/* Non-zero when the engine intercepts (a policy or a server is
 * configured; set once, before the first intercepted call, cleared at
 * exit). A wrapper that finds it off makes its real call at once, as a
 * tail call: pass-through costs one load and one branch. */
extern int shim__enabled;
static inline int shim__on(void)
{
	return __builtin_expect(shim__enabled, 0);
}
/* HIPSCHED_LOG=1: one line per event on stderr. */
int shim__log_on(void);
void shim__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lookups (dlsym.c interposes dlsym for both platforms): the platform
 * layer's wrapper of `p`, the real function dlsym found under `name`, or p
 * itself when `p` is not one it intercepts. Called on every dlsym of the
 * process: a name that cannot be the platform's must cost a string test,
 * and it must never load the platform's library. */
void *shim__plat_dlsym(const char *name, void *p);
/* glibc's dlsym itself (dlsym.c), for a platform layer's own lookups. */
void *(*shim__real_dlsym(void))(void *, const char *);

#endif
