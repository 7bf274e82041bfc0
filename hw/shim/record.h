/*
 * The recorder of libhipsched.so (`hipsched record`): the host times of an
 * unmodified application's launch calls, taken without a profiler, and GPU
 * durations from timing events on sampled requests only.
 *
 * Why sampled: an event pair around a launch costs the host two event
 * records (microseconds), which would inflate exactly the host gaps the
 * recorder exists to measure. So every `sample`-th request (default 2:
 * requests 1, 3, 5, ...) is timed on the GPU and the others are not; the
 * converter (traces/import_record.c) writes the UNSAMPLED requests, with
 * their own host times, and takes each command's GPU duration from the
 * sampled requests of the same shape (same commands in the same order;
 * the median per position).
 *
 * Requests are delimited by boundaries: the application's calls of the
 * exported `hipsched_mark_request()` (found with ctypes / dlsym) when it
 * makes any, else its blocking host syncs (stream, context / device,
 * event syncs): each ends a request. With marks, syncs between two marks
 * are kept as sync rows inside the request.
 *
 * Environment (read once, by shim__rec_init):
 *   HIPSCHED_RECORD=PATH           on: write the log to PATH at exit
 *   HIPSCHED_RECORD_SAMPLE=K       time every K-th request (default 2;
 *                                  1 = all, their host times then carry the
 *                                  events' cost)
 *   HIPSCHED_RECORD_REQUESTS=N     stop logging after N boundaries (0 =
 *                                  no limit)
 *   HIPSCHED_RECORD_EVENTS=N       timed commands per request (default 4096;
 *                                  the rest of a longer request is untimed)
 *
 * ---- the log file (little-endian, as the recording machine) -------------
 *   struct shim_rec_file_header    (64 bytes)
 *   struct shim_rec[nrecs]         (128 bytes each, call order)
 *   names: nnames times { uint32_t len; char bytes[len]; } (no NUL)
 * A record's name_id is 0 (none) or 1 + the index of its name. The header
 * is written first with nrecs = UINT64_MAX and rewritten at the end, so a
 * log whose process died before the end is recognised as incomplete.
 * Times are CLOCK_MONOTONIC ns; GPU times are ns from the request's first
 * timed event (the GPU clock is not the host's).
 */
#ifndef HIPSCHED_SHIM_RECORD_H
#define HIPSCHED_SHIM_RECORD_H

#include <stdint.h>

#define SHIM_REC_MAGIC   "HSRECLOG"    /* 8 bytes, no NUL */
#define SHIM_REC_VERSION 1

enum shim_rec_kind {
	SHIM_REC_KERNEL = 0,       /* = enum shim_kind's values for launches */
	SHIM_REC_COPY = 1,
	SHIM_REC_SET = 2,
	SHIM_REC_EVENT = 3,        /* event record (not written to traces) */
	SHIM_REC_WAIT = 4,         /* stream wait event (not written) */
	SHIM_REC_GRAPH = 5,        /* graph launch (no GPU duration per node) */
	SHIM_REC_SYNC = 16,        /* a blocking host sync returned */
	SHIM_REC_MARK = 17,        /* hipsched_mark_request() */
};

enum {
	SHIM_REC_F_GPU = 1,        /* gpu_start_ns / gpu_end_ns are valid */
	SHIM_REC_F_ALL = 2,        /* sync: of every stream (context / device) */
	SHIM_REC_F_SAMPLED = 4,    /* issued inside a sampled (timed) request */
};

struct shim_rec_file_header {
	char magic[8];             /* SHIM_REC_MAGIC */
	uint32_t version;          /* SHIM_REC_VERSION */
	uint32_t rec_size;         /* sizeof(struct shim_rec) */
	uint64_t nrecs;            /* UINT64_MAX until the log is complete */
	uint64_t nnames;
	uint64_t names_offset;     /* file offset of the name table */
	uint32_t sample;           /* HIPSCHED_RECORD_SAMPLE */
	uint32_t pid;
	char platform[16];         /* "cuda", "hip", "test" (NUL-padded) */
};

struct shim_rec {
	uint8_t kind;              /* enum shim_rec_kind */
	uint8_t flags;             /* SHIM_REC_F_* */
	uint16_t reserved;
	uint32_t name_id;          /* 0: none, else 1 + name index */
	uint64_t stream;           /* the handle's value (0 = legacy default) */
	uint64_t t_enter_ns;       /* host: the call entered the wrapper */
	uint64_t t_return_ns;      /* host: the real call returned */
	int64_t gpu_start_ns;      /* SHIM_REC_F_GPU: from the request's first */
	int64_t gpu_end_ns;        /* timed event; else -1 */
	uint32_t grid[3], block[3];
	uint32_t shmem;            /* bytes per block, static + dynamic */
	uint32_t regs;             /* registers per thread, 0 unknown */
	uint64_t bytes;            /* copies / memsets */
	uint64_t seq;              /* call number in the process, from 0 */
	uint8_t pad[32];           /* to 128 bytes */
};

/* ---- the hooks a platform layer calls (hw/shim/record.c) ------------------
 * All are cheap when recording is off (one load and a branch: check
 * shim__rec_on() first to skip gathering arguments). None allocates after
 * shim__rec_init; each is safe from any thread.
 *
 * Where a platform layer calls them (cuda.c; hip.c alike):
 *   - once, at load: shim__cuda_rec_init(resolver of real driver symbols)
 *     (hip.c: shim__hip_rec_init);
 *   - a stream-ordered call (launch, async copy / memset, event record,
 *     stream wait, graph launch): t_enter = shim__rec_now() at the
 *     wrapper's entry (before the engine may hold the thread); stream =
 *     the call's, CU_STREAM_PER_THREAD for a _ptsz call on NULL; slot =
 *     shim__rec_gpu_begin(stream) just before the real call; after it
 *     returns successfully, t_return = shim__rec_now() and
 *     shim__rec_kernel(f, grid, block, dynamic shmem, ...) for kernels
 *     (cuLaunchKernelEx: from its config) or shim__rec_launch(kind, ...)
 *     with the byte count for copies / memsets (2D: width x height, 3D:
 *     x depth; D16 / D32 memsets: 2 / 4 bytes per element);
 *   - a blocking host sync (cuStreamSynchronize, cuCtxSynchronize,
 *     cuEventSynchronize; NOT the Query calls, which poll): after it
 *     returns, shim__rec_sync(stream, all, t_enter, t_return); a blocking
 *     copy (cuMemcpy*, not Async) logs a copy, then the sync;
 *   - the version script exports hipsched_mark_request. */

/* GPU timing events, from the platform (cuda.c: cuEventCreate with default
 * flags, cuEventRecord, cuEventSynchronize + cuEventElapsedTime). Made
 * once (2 x HIPSCHED_RECORD_EVENTS of them, at the first timed request),
 * never destroyed. */
struct shim_rec_func {
	const char *name;          /* NULL: unknown */
	uint32_t regs;             /* registers per thread, 0 unknown */
	uint32_t static_shmem;     /* static shared bytes per block */
};
struct shim_rec_plat {
	const char *name;                         /* "cuda", "hip" */
	int (*tev_create)(void **ev);             /* a timing event; 0 or < 0 */
	int (*tev_record)(void *ev, void *stream);
	/* GPU ns from a to b, waiting for both to complete; 0 or < 0. */
	int (*tev_elapsed_ns)(void *a, void *b, int64_t *ns);
	/* Optional: 1 while `stream` captures a graph (its calls are neither
	 * logged nor timed: an event would land in the graph). */
	int (*capturing)(void *stream);
	/* Optional: a kernel function's name and attributes (cuda.c:
	 * cuFuncGetName, cuFuncGetAttribute NUM_REGS / SHARED_SIZE_BYTES);
	 * asked once per function (shim__rec_kernel caches it). */
	void (*func_info)(void *func, struct shim_rec_func *out);
};

/* Once per process, before any other hook (the platform layer's init).
 * Reads the environment; recording stays off without HIPSCHED_RECORD.
 * Registers the exit flush. */
void shim__rec_init(const struct shim_rec_plat *p);
/* 1 while recording. */
int shim__rec_on(void);
/* CLOCK_MONOTONIC in ns (the clock of every host time in the log). */
uint64_t shim__rec_now(void);

/* Before the real stream-ordered call (after t_enter was taken): in a
 * sampled request, records a start event on `stream` and returns its
 * slot (>= 0); else -1. Pass the slot to shim__rec_launch. */
int shim__rec_gpu_begin(void *stream);
/* After the real call returned (t_return taken just after it): logs one
 * record. kind: enum shim_rec_kind launch kinds 0..5; name: the kernel's
 * name (cuFuncGetName / hipKernelNameRef; NULL if none), a const char *
 * read at once and copied the first time its pointer is seen (at most
 * 64 Ki distinct names, 4 MiB of text); grid / block: blocks and threads
 * per block; shmem: static + dynamic shared bytes; regs: registers per
 * thread (0 unknown); bytes: copy / memset size; slot: from
 * shim__rec_gpu_begin (an end event is recorded after the call). */
void shim__rec_launch(int kind, void *stream, const char *name,
		      const uint32_t grid[3], const uint32_t block[3],
		      uint32_t shmem, uint32_t regs, uint64_t bytes,
		      uint64_t t_enter, uint64_t t_return, int slot);
/* shim__rec_launch for a kernel launch by function handle: name, registers
 * and static shared memory from plat->func_info (cached per function, up
 * to 64 Ki functions; beyond, asked every time); shmem = static + dyn_shmem. */
void shim__rec_kernel(void *func, const uint32_t grid[3], const uint32_t block[3],
		      uint32_t dyn_shmem, void *stream, uint64_t t_enter,
		      uint64_t t_return, int slot);
/* After a blocking host sync returned: `stream` (NULL with all = 1: the
 * context / device). Without marks it ends the request (and a sampled
 * request's events are read: they are complete). */
void shim__rec_sync(void *stream, int all, uint64_t t_enter, uint64_t t_return);
/* hipsched_mark_request() at host time t; now() gives the time it returns
 * to the application, after the recorder's own work at the boundary (the
 * tests give both their clock). */
void shim__rec_mark(uint64_t t, uint64_t (*now)(void));
/* Writes the log (also called at exit; later calls do nothing). 0 or -1
 * (errno set; HIPSCHED_LOG says why). */
int shim__rec_flush(void);

/* NVIDIA: shim__rec_init with ops over the driver's real functions, found
 * at their first use with `real` (cuda.c's resolver: the real dlsym on
 * libcuda.so.1, never our wrappers). Call it from cuda.c's constructor.
 * (cuda_record.c) */
void shim__cuda_rec_init(void *(*real)(const char *sym));

/* AMD: the same with ops over libamdhip64's real functions, `real` being
 * hip.c's resolver (dlvsym on the real library, which it binds first).
 * Call it from hip.c's constructor. (hip_record.c) */
void shim__hip_rec_init(void *(*real)(const char *sym, const char *ver));
/* shim__rec_launch for a HIP kernel launched by host function pointer
 * (hipLaunchKernel and kin): the name from hipKernelNameRefByPtr (asked
 * every launch: HIP keeps the table), registers unknown (0); shmem as
 * passed (dynamic only: the static size is not known for a pointer). */
void shim__hip_rec_kernel_ptr(const void *f, const uint32_t grid[3],
			      const uint32_t block[3], uint32_t shmem, void *stream,
			      uint64_t t_enter, uint64_t t_return, int slot);

/* Exported for applications (ctypes: CDLL(None).hipsched_mark_request()):
 * a request boundary. Harmless when the library does not record. */
void hipsched_mark_request(void);

#endif
