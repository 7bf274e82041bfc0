/*
 * hw/shim/hip.c: the AMD platform layer of libhipsched.so. It defines the
 * stream-ordered, sync and stream-life functions of ROCm's libamdhip64
 * with the same names and symbol versions (hw/shim/hip.map), so that an
 * application preloading the shim binds its versioned references
 * (hipLaunchKernel@hip_4.2, ...) to these wrappers, and reaches the real
 * ones with dlvsym() on a handle of libamdhip64.so.5.
 *
 * Every wrapper follows shim_internal.h: shim__begin() (may hold the
 * thread), the real call with the caller's own arguments, shim__end();
 * with the engine off (no policy, no server) it is a tail call of the real
 * function after two branches.
 * Syncs and queries call shim__host_sync() first; stream create / destroy
 * tell the engine. Calls the engine cannot order (multi-device launches,
 * synchronous copies, everything else) are not defined here and go to the
 * real library untouched.
 *
 * Re-entry: libamdhip64 calls some of its own exported functions through
 * its PLT (objdump -R of Debian's 5.2 library: hipModuleLaunchKernel,
 * hipLaunchCooperativeKernel, ...), so a preloaded wrapper is re-entered
 * from inside a real call. A thread-local depth makes the inner call go
 * straight to the real function: one application call is one command.
 *
 * Lookups: hipGetProcAddress (ROCm 6.1+) and dlsym (hw/shim/dlsym.c) give
 * back a wrapper whenever they would give a real function of the table.
 *
 * Recording (`hipsched record`, record.h): the same hooks as cuda.c, at
 * the outermost wrapper only: each stream-ordered wrapper logs its call
 * (kernels with their shape and name: hipKernelNameRefByPtr for launches
 * by host pointer, hipKernelNameRef and hipFuncGetAttribute for module
 * functions, hip_record.c), the syncs log their return, the Query calls
 * are not syncs; hipMemcpyWithStream is a copy, then a sync.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hip/hip_runtime_api.h>
#include "record.h"
#include "shim_internal.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* Declared by no C header of HIP 5.2: the C++-mangled launches (rocBLAS,
 * hipBLASLt, MIOpen) and what later ROCm releases added. */
hipError_t hipExtModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx, uint32_t gy,
		uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
		hipStream_t s, void **params, void **extra, hipEvent_t start,
		hipEvent_t stop, uint32_t flags)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");
hipError_t hipHccModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx, uint32_t gy,
		uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
		hipStream_t s, void **params, void **extra, hipEvent_t start,
		hipEvent_t stop)
	__asm__("_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_");
hipError_t hipLaunchKernelGGLImpl_cxx(uintptr_t f, const dim3 *grid,
		const dim3 *block, uint32_t shmem, hipStream_t s, void **args)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");
hipError_t hipEventRecord_spt(hipEvent_t e, hipStream_t s);
hipError_t hipGraphLaunch_spt(hipGraphExec_t g, hipStream_t s);
hipError_t hipMemsetAsync_spt(void *dst, int value, size_t n, hipStream_t s);
hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f, unsigned gx,
		unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
		unsigned shmem, hipStream_t s, void **params);
hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hip_version,
		uint64_t flags, int *status);

/* The intercepted functions: C name, ELF name, version (the same as in
 * hw/shim/hip.map; the shimamd suite checks both against Debian's
 * libamdhip64). The last six are newer than HIP 5.2: with an older
 * library their real pointer stays NULL. */
#define HIP_WRAPPED(X) \
	X(hipLaunchKernel, "hipLaunchKernel", "hip_4.2") \
	X(hipLaunchKernel_spt, "hipLaunchKernel_spt", "hip_5.2") \
	X(hipLaunchCooperativeKernel, "hipLaunchCooperativeKernel", "hip_4.2") \
	X(hipLaunchCooperativeKernel_spt, "hipLaunchCooperativeKernel_spt", "hip_5.2") \
	X(hipExtLaunchKernel, "hipExtLaunchKernel", "hip_4.2") \
	X(hipModuleLaunchKernel, "hipModuleLaunchKernel", "hip_4.2") \
	X(hipExtModuleLaunchKernel_cxx, \
	  "_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j", "hip_4.2") \
	X(hipHccModuleLaunchKernel_cxx, \
	  "_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_", "hip_4.2") \
	X(hipLaunchKernelGGLImpl_cxx, \
	  "_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv", "hip_4.2") \
	X(hipGraphLaunch, "hipGraphLaunch", "hip_4.3") \
	X(hipMemcpyAsync, "hipMemcpyAsync", "hip_4.2") \
	X(hipMemcpyAsync_spt, "hipMemcpyAsync_spt", "hip_5.2") \
	X(hipMemcpyWithStream, "hipMemcpyWithStream", "hip_4.2") \
	X(hipMemcpyHtoDAsync, "hipMemcpyHtoDAsync", "hip_4.2") \
	X(hipMemcpyDtoHAsync, "hipMemcpyDtoHAsync", "hip_4.2") \
	X(hipMemcpyDtoDAsync, "hipMemcpyDtoDAsync", "hip_4.2") \
	X(hipMemcpy2DAsync, "hipMemcpy2DAsync", "hip_4.2") \
	X(hipMemcpy2DToArrayAsync, "hipMemcpy2DToArrayAsync", "hip_4.3") \
	X(hipMemcpy2DFromArrayAsync, "hipMemcpy2DFromArrayAsync", "hip_4.2") \
	X(hipMemcpy3DAsync, "hipMemcpy3DAsync", "hip_4.2") \
	X(hipDrvMemcpy3DAsync, "hipDrvMemcpy3DAsync", "hip_4.2") \
	X(hipMemcpyParam2DAsync, "hipMemcpyParam2DAsync", "hip_4.2") \
	X(hipMemcpyPeerAsync, "hipMemcpyPeerAsync", "hip_4.2") \
	X(hipMemcpyToSymbolAsync, "hipMemcpyToSymbolAsync", "hip_4.2") \
	X(hipMemcpyFromSymbolAsync, "hipMemcpyFromSymbolAsync", "hip_4.2") \
	X(hipMemPrefetchAsync, "hipMemPrefetchAsync", "hip_4.2") \
	X(hipMemsetAsync, "hipMemsetAsync", "hip_4.2") \
	X(hipMemsetD8Async, "hipMemsetD8Async", "hip_4.2") \
	X(hipMemsetD16Async, "hipMemsetD16Async", "hip_4.2") \
	X(hipMemsetD32Async, "hipMemsetD32Async", "hip_4.2") \
	X(hipMemset2DAsync, "hipMemset2DAsync", "hip_4.2") \
	X(hipMemset3DAsync, "hipMemset3DAsync", "hip_4.2") \
	X(hipEventRecord, "hipEventRecord", "hip_4.2") \
	X(hipStreamWaitEvent, "hipStreamWaitEvent", "hip_4.2") \
	X(hipStreamWaitEvent_spt, "hipStreamWaitEvent_spt", "hip_5.2") \
	X(hipStreamSynchronize, "hipStreamSynchronize", "hip_4.2") \
	X(hipStreamSynchronize_spt, "hipStreamSynchronize_spt", "hip_5.2") \
	X(hipDeviceSynchronize, "hipDeviceSynchronize", "hip_4.2") \
	X(hipCtxSynchronize, "hipCtxSynchronize", "hip_4.2") \
	X(hipEventSynchronize, "hipEventSynchronize", "hip_4.2") \
	X(hipStreamQuery, "hipStreamQuery", "hip_4.2") \
	X(hipStreamQuery_spt, "hipStreamQuery_spt", "hip_5.2") \
	X(hipEventQuery, "hipEventQuery", "hip_4.2") \
	X(hipStreamCreate, "hipStreamCreate", "hip_4.2") \
	X(hipStreamCreateWithFlags, "hipStreamCreateWithFlags", "hip_4.2") \
	X(hipStreamCreateWithPriority, "hipStreamCreateWithPriority", "hip_4.2") \
	X(hipExtStreamCreateWithCUMask, "hipExtStreamCreateWithCUMask", "hip_4.2") \
	X(hipStreamDestroy, "hipStreamDestroy", "hip_4.2") \
	X(hipEventRecord_spt, "hipEventRecord_spt", "hip_5.2") \
	X(hipGraphLaunch_spt, "hipGraphLaunch_spt", "hip_5.3") \
	X(hipMemsetAsync_spt, "hipMemsetAsync_spt", "hip_5.3") \
	X(hipModuleLaunchCooperativeKernel, "hipModuleLaunchCooperativeKernel", "hip_5.5") \
	X(hipGetProcAddress, "hipGetProcAddress", "hip_6.1")

/* Real functions the engine's platform ops use, not intercepted. */
#define HIP_USED(X) \
	X(hipEventCreateWithFlags, "hipEventCreateWithFlags", "hip_4.2") \
	X(hipEventDestroy, "hipEventDestroy", "hip_4.2") \
	X(hipStreamIsCapturing, "hipStreamIsCapturing", "hip_4.3") \
	X(hipGetDevice, "hipGetDevice", "hip_4.2") \
	X(hipSetDevice, "hipSetDevice", "hip_4.2")

#define REAL_DECL(id, sym, ver) static __typeof__(id) *real_##id;
HIP_WRAPPED(REAL_DECL)
HIP_USED(REAL_DECL)

struct hip_entry {
	const char *sym, *ver;
	void *wrapper;
	void **real;
};

#define ENTRY(id, sym, ver) { sym, ver, (void *)id, (void **)&real_##id },
static const struct hip_entry hip_table[] = { HIP_WRAPPED(ENTRY) };
#undef ENTRY
#define ENTRY(id, sym, ver) { sym, ver, NULL, (void **)&real_##id },
static const struct hip_entry hip_used[] = { HIP_USED(ENTRY) };
#undef ENTRY

static pthread_once_t hip_once = PTHREAD_ONCE_INIT;
static int hip_ok;                 /* 1 once the real library is bound */
static void *hip_handle;           /* the real library, once bound */
static __thread int hip_depth;     /* >0 inside a wrapper (re-entry) */
static __thread int hip_resolving; /* our own dlopen runs (dlsym hook) */

static void bind_table(void *h, const struct hip_entry *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*t[i].real = dlvsym(h, t[i].sym, t[i].ver);
}

/* The real runtime: HIPSCHED_HIP_LIB when set; else the libamdhip64 the
 * process has loaded (ROCm 5 is .so.5, ROCm 6 .so.6, ROCm 7 .so.7), or,
 * with `load`, the first of them that loads. A handle or NULL. */
static void *hip_open(int load)
{
	static const char *const sonames[] = {
		"libamdhip64.so.5", "libamdhip64.so.6", "libamdhip64.so.7",
	};
	const char *env = getenv("HIPSCHED_HIP_LIB");
	void *h = NULL;
	hip_resolving = 1;
	if (env && *env) {
		h = dlopen(env, RTLD_LAZY | RTLD_LOCAL | (load ? 0 : RTLD_NOLOAD));
	} else {
		for (size_t i = 0; !h && i < sizeof sonames / sizeof sonames[0]; i++)
			h = dlopen(sonames[i], RTLD_LAZY | RTLD_NOLOAD);
		for (size_t i = 0; load && !h && i < sizeof sonames / sizeof sonames[0]; i++)
			h = dlopen(sonames[i], RTLD_LAZY | RTLD_LOCAL);
	}
	hip_resolving = 0;
	return h;
}

static void hip_bind_once(void)
{
	void *h = hip_open(1);
	if (!h) {
		const char *env = getenv("HIPSCHED_HIP_LIB");
		fprintf(stderr, "hipsched: cannot open %s: %s\n",
			env && *env ? env : "libamdhip64.so.5/6/7", dlerror());
		return;
	}
	bind_table(h, hip_table, sizeof hip_table / sizeof hip_table[0]);
	bind_table(h, hip_used, sizeof hip_used / sizeof hip_used[0]);
	hip_handle = h;
	hip_ok = 1;
}

/* --- platform ops for the engine ---------------------------------------- */

/* The engine may name the legacy stream SHIM_STREAM_LEGACY; HIP 5.2 knows
 * it only as NULL (hipStreamPerThread is 0x2 on both). */
static hipStream_t hip_stream(void *s)
{
	return s == SHIM_STREAM_LEGACY ? NULL : (hipStream_t)s;
}

static int hip_event_create(void **ev)
{
	hipEvent_t e = NULL;
	if (real_hipEventCreateWithFlags(&e, hipEventDisableTiming) != hipSuccess)
		return -1;
	*ev = e;
	return 0;
}

static int hip_event_record(void *ev, void *stream)
{
	return real_hipEventRecord((hipEvent_t)ev, hip_stream(stream)) == hipSuccess ? 0 : -1;
}

static int hip_event_query(void *ev)
{
	hipError_t r = real_hipEventQuery((hipEvent_t)ev);
	return r == hipSuccess ? 0 : r == hipErrorNotReady ? 1 : -1;
}

static void hip_event_destroy(void *ev)
{
	real_hipEventDestroy((hipEvent_t)ev);
}

static int hip_stream_capturing(void *stream)
{
	hipStreamCaptureStatus st = hipStreamCaptureStatusNone;
	if (real_hipStreamIsCapturing(hip_stream(stream), &st) != hipSuccess)
		return 0;
	return st != hipStreamCaptureStatusNone;
}

/* HIP has no context handle a thread can adopt; the device is the
 * context (device + 1, so that device 0 is not NULL). */
static void *hip_current_ctx(void)
{
	int d = 0;
	if (real_hipGetDevice(&d) != hipSuccess)
		d = 0;
	return (void *)(intptr_t)(d + 1);
}

static int hip_bind_thread(void *ctx)
{
	int d = ctx ? (int)(intptr_t)ctx - 1 : 0;
	return real_hipSetDevice(d) == hipSuccess ? 0 : -1;
}

static const struct shim_plat hip_plat = {
	.name = "hip",
	.event_create = hip_event_create,
	.event_record = hip_event_record,
	.event_query = hip_event_query,
	.event_destroy = hip_event_destroy,
	.stream_capturing = hip_stream_capturing,
	.current_ctx = hip_current_ctx,
	.bind_thread = hip_bind_thread,
};

static void hip_init_once(void)
{
	hip_bind_once();
	if (hip_ok)
		shim__init(&hip_plat);
}

/* 1 when the real library is bound (first call: binds it, starts the
 * engine). */
static inline int hip_ready(void)
{
	pthread_once(&hip_once, hip_init_once);
	return hip_ok;
}

/* The recorder's resolver (hip_record.c): real functions of the bound
 * library, never our wrappers (dlvsym is not interposed). */
static void *hip_rec_real(const char *sym, const char *ver)
{
	return hip_ready() && hip_handle ? dlvsym(hip_handle, sym, ver) : NULL;
}

/* At load, as cuda.c: the recorder reads its environment (off without
 * HIPSCHED_RECORD); the library itself is bound at the first call. */
__attribute__((constructor)) static void hip_rec_ctor(void)
{
	shim__hip_rec_init(hip_rec_real);
}

/* The body of every wrapper: NAME is the wrapped function, ARGS its
 * arguments. A missing real function (older library) answers
 * hipErrorNotSupported, as HIP does for what it lacks. */
#define CALL_REAL(name, args) \
	(real_##name ? real_##name args : hipErrorNotSupported)

/* The recorder (record.h) around the real call: T0 at the outermost
 * wrapper's entry (0: not recording), RS the stream (the per-thread
 * default made explicit for _spt calls on NULL), SL the timing slot; REC,
 * the wrapper's own log expression, runs after a successful call with T0,
 * T1, RS and SL in scope. */
#define SCHEDULED_R(name, stream, ptds, kind, args, REC) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	uint64_t T0 = !hip_depth && shim__rec_on() ? shim__rec_now() : 0; \
	if ((!shim__on() && !T0) || hip_depth) \
		return CALL_REAL(name, args); \
	hip_depth++; \
	struct shim_cmd *c_ = shim__on() ? shim__begin((void *)(stream), ptds, kind) : NULL; \
	void *RS = (ptds) && !(stream) ? SHIM_STREAM_PER_THREAD : (void *)(stream); \
	int SL = T0 ? shim__rec_gpu_begin(RS) : -1; \
	hipError_t r_ = CALL_REAL(name, args); \
	if (T0 && r_ == hipSuccess) { \
		uint64_t T1 = shim__rec_now(); \
		REC; \
	} \
	if (c_) \
		shim__end(c_, r_ == hipSuccess); \
	hip_depth--; \
	return r_; \
} while (0)
#define U3(a, b, c) ((const uint32_t[3]){ (uint32_t)(a), (uint32_t)(b), (uint32_t)(c) })
/* kernel by host pointer f / by module function f; copies, memsets */
#define R_PTR(f, g, b, shm) shim__hip_rec_kernel_ptr((const void *)(f), \
	U3((g).x, (g).y, (g).z), U3((b).x, (b).y, (b).z), (uint32_t)(shm), RS, T0, T1, SL)
#define R_MOD(f, gx, gy, gz, bx, by, bz, shm) shim__rec_kernel((void *)(f), \
	U3(gx, gy, gz), U3(bx, by, bz), (uint32_t)(shm), RS, T0, T1, SL)
#define R_(kind, bytes) shim__rec_launch(kind, RS, NULL, NULL, NULL, 0, 0, \
	(uint64_t)(bytes), T0, T1, SL)
#define R_COPY(bytes) R_(SHIM_REC_COPY, bytes)
#define R_SET(bytes) R_(SHIM_REC_SET, bytes)

#define SCHEDULED(name, stream, ptds, kind, args) \
	SCHEDULED_R(name, stream, ptds, kind, args, (void)0)

/* The real call at depth + 1, so that what it calls of ours passes. */
#define INNER(r, name, args) do { \
	hip_depth++; \
	r = CALL_REAL(name, args); \
	hip_depth--; \
} while (0)

/* A host sync: logged once it returned (rec = 0 for the Query calls,
 * which poll, and are not syncs for the recorder). */
#define HOST_SYNC_R(name, stream, ptds, all, rec, args) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	uint64_t T0 = (rec) && !hip_depth && shim__rec_on() ? shim__rec_now() : 0; \
	if (!hip_depth) \
		shim__host_sync((void *)(stream), ptds, all); \
	hipError_t r_; \
	INNER(r_, name, args); \
	if (T0 && r_ == hipSuccess) \
		shim__rec_sync((all) ? NULL : (ptds) && !(stream) ? \
			       SHIM_STREAM_PER_THREAD : (void *)(stream), all, T0, \
			       shim__rec_now()); \
	return r_; \
} while (0)
#define HOST_SYNC(name, stream, ptds, all, args) \
	HOST_SYNC_R(name, stream, ptds, all, 1, args)
#define HOST_QUERY(name, stream, ptds, all, args) \
	HOST_SYNC_R(name, stream, ptds, all, 0, args)

/* A stream create: the real call, then the engine learns of the stream
 * (once, at the outermost level). */
#define CREATE(name, s, prio, args) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	int outer_ = !hip_depth; \
	hipError_t r_; \
	INNER(r_, name, args); \
	if (r_ == hipSuccess && outer_ && (s)) \
		shim__stream_created(*(s), prio); \
	return r_; \
} while (0)

/* --- kernels -------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipLaunchKernel(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchKernel, s, 0, SHIM_KERNEL, (f, grid, block, args, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchKernel_spt(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchKernel_spt, s, 1, SHIM_KERNEL, (f, grid, block, args, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchCooperativeKernel(const void *f, dim3 grid,
		dim3 block, void **params, unsigned int shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchCooperativeKernel, s, 0, SHIM_KERNEL,
		  (f, grid, block, params, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchCooperativeKernel_spt(const void *f, dim3 grid,
		dim3 block, void **params, uint32_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchCooperativeKernel_spt, s, 1, SHIM_KERNEL,
		  (f, grid, block, params, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipExtLaunchKernel(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s, hipEvent_t start,
		hipEvent_t stop, int flags)
{
	SCHEDULED_R(hipExtLaunchKernel, s, 0, SHIM_KERNEL,
		  (f, grid, block, args, shmem, s, start, stop, flags),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipModuleLaunchKernel(hipFunction_t f, unsigned int gx,
		unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
		unsigned int bz, unsigned int shmem, hipStream_t s, void **params,
		void **extra)
{
	SCHEDULED_R(hipModuleLaunchKernel, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, bx, by, bz, shmem, s, params, extra),
		    R_MOD(f, gx, gy, gz, bx, by, bz, shmem));
}

SHIM_EXPORT hipError_t hipExtModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx,
		uint32_t gy, uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz,
		size_t shmem, hipStream_t s, void **params, void **extra,
		hipEvent_t start, hipEvent_t stop, uint32_t flags)
{
	SCHEDULED_R(hipExtModuleLaunchKernel_cxx, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, lx, ly, lz, shmem, s, params, extra, start, stop, flags),
		    R_MOD(f, gx / (lx ? lx : 1), gy / (ly ? ly : 1), gz / (lz ? lz : 1), lx, ly, lz, shmem));
}

SHIM_EXPORT hipError_t hipHccModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx,
		uint32_t gy, uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz,
		size_t shmem, hipStream_t s, void **params, void **extra,
		hipEvent_t start, hipEvent_t stop)
{
	SCHEDULED_R(hipHccModuleLaunchKernel_cxx, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, lx, ly, lz, shmem, s, params, extra, start, stop),
		    R_MOD(f, gx / (lx ? lx : 1), gy / (ly ? ly : 1), gz / (lz ? lz : 1), lx, ly, lz, shmem));
}

SHIM_EXPORT hipError_t hipLaunchKernelGGLImpl_cxx(uintptr_t f, const dim3 *grid,
		const dim3 *block, uint32_t shmem, hipStream_t s, void **args)
{
	SCHEDULED_R(hipLaunchKernelGGLImpl_cxx, s, 0, SHIM_KERNEL,
		  (f, grid, block, shmem, s, args),
		    R_PTR(f, *grid, *block, shmem));
}

SHIM_EXPORT hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f,
		unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
		unsigned bz, unsigned shmem, hipStream_t s, void **params)
{
	SCHEDULED_R(hipModuleLaunchCooperativeKernel, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, bx, by, bz, shmem, s, params),
		    R_MOD(f, gx, gy, gz, bx, by, bz, shmem));
}

SHIM_EXPORT hipError_t hipGraphLaunch(hipGraphExec_t g, hipStream_t s)
{
	SCHEDULED_R(hipGraphLaunch, s, 0, SHIM_GRAPH, (g, s),
		    R_(SHIM_REC_GRAPH, 0));
}

SHIM_EXPORT hipError_t hipGraphLaunch_spt(hipGraphExec_t g, hipStream_t s)
{
	SCHEDULED_R(hipGraphLaunch_spt, s, 1, SHIM_GRAPH, (g, s),
		    R_(SHIM_REC_GRAPH, 0));
}

/* --- copies --------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipMemcpyAsync(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyAsync, s, 0, SHIM_COPY, (dst, src, n, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyAsync_spt(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyAsync_spt, s, 1, SHIM_COPY, (dst, src, n, kind, s),
		    R_COPY(n));
}

/* Blocking, but ordered on `s` like the async copy. */
SHIM_EXPORT hipError_t hipMemcpyWithStream(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyWithStream, s, 0, SHIM_COPY, (dst, src, n, kind, s),
		    (R_COPY(n), shim__rec_sync(RS, 0, T0, T1)));
}

SHIM_EXPORT hipError_t hipMemcpyHtoDAsync(hipDeviceptr_t dst, void *src, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpyHtoDAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyDtoHAsync(void *dst, hipDeviceptr_t src, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpyDtoHAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyDtoDAsync(hipDeviceptr_t dst, hipDeviceptr_t src,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyDtoDAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpy2DAsync(void *dst, size_t dpitch, const void *src,
		size_t spitch, size_t width, size_t height, hipMemcpyKind kind,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DAsync, s, 0, SHIM_COPY,
		  (dst, dpitch, src, spitch, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy2DToArrayAsync(hipArray *dst, size_t woff,
		size_t hoff, const void *src, size_t spitch, size_t width,
		size_t height, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DToArrayAsync, s, 0, SHIM_COPY,
		  (dst, woff, hoff, src, spitch, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy2DFromArrayAsync(void *dst, size_t dpitch,
		hipArray_const_t src, size_t woff, size_t hoff, size_t width,
		size_t height, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DFromArrayAsync, s, 0, SHIM_COPY,
		  (dst, dpitch, src, woff, hoff, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy3DAsync(const struct hipMemcpy3DParms *p,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpy3DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->extent.width * p->extent.height * p->extent.depth : 0));
}

SHIM_EXPORT hipError_t hipDrvMemcpy3DAsync(const HIP_MEMCPY3D *p, hipStream_t s)
{
	SCHEDULED_R(hipDrvMemcpy3DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->WidthInBytes * p->Height * p->Depth : 0));
}

SHIM_EXPORT hipError_t hipMemcpyParam2DAsync(const hip_Memcpy2D *p, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyParam2DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->WidthInBytes * p->Height : 0));
}

SHIM_EXPORT hipError_t hipMemcpyPeerAsync(void *dst, int ddev, const void *src,
		int sdev, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyPeerAsync, s, 0, SHIM_COPY, (dst, ddev, src, sdev, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyToSymbolAsync(const void *sym, const void *src,
		size_t n, size_t off, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyToSymbolAsync, s, 0, SHIM_COPY, (sym, src, n, off, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyFromSymbolAsync(void *dst, const void *sym,
		size_t n, size_t off, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyFromSymbolAsync, s, 0, SHIM_COPY, (dst, sym, n, off, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemPrefetchAsync(const void *p, size_t n, int dev,
		hipStream_t s)
{
	SCHEDULED_R(hipMemPrefetchAsync, s, 0, SHIM_COPY, (p, n, dev, s),
		    R_COPY(n));
}

/* --- memsets -------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipMemsetAsync(void *dst, int v, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetAsync, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetAsync_spt(void *dst, int v, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetAsync_spt, s, 1, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetD8Async(hipDeviceptr_t dst, unsigned char v,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetD8Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetD16Async(hipDeviceptr_t dst, unsigned short v,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetD16Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(2 * (uint64_t)n));
}

SHIM_EXPORT hipError_t hipMemsetD32Async(hipDeviceptr_t dst, int v, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemsetD32Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(4 * (uint64_t)n));
}

SHIM_EXPORT hipError_t hipMemset2DAsync(void *dst, size_t pitch, int v,
		size_t width, size_t height, hipStream_t s)
{
	SCHEDULED_R(hipMemset2DAsync, s, 0, SHIM_SET, (dst, pitch, v, width, height, s),
		    R_SET((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemset3DAsync(hipPitchedPtr p, int v, hipExtent ext,
		hipStream_t s)
{
	SCHEDULED_R(hipMemset3DAsync, s, 0, SHIM_SET, (p, v, ext, s),
		    R_SET((uint64_t)ext.width * ext.height * ext.depth));
}

/* --- events and waits ----------------------------------------------------- */

SHIM_EXPORT hipError_t hipEventRecord(hipEvent_t e, hipStream_t s)
{
	SCHEDULED_R(hipEventRecord, s, 0, SHIM_EVENT, (e, s),
		    R_(SHIM_REC_EVENT, 0));
}

SHIM_EXPORT hipError_t hipEventRecord_spt(hipEvent_t e, hipStream_t s)
{
	SCHEDULED_R(hipEventRecord_spt, s, 1, SHIM_EVENT, (e, s),
		    R_(SHIM_REC_EVENT, 0));
}

SHIM_EXPORT hipError_t hipStreamWaitEvent(hipStream_t s, hipEvent_t e, unsigned int fl)
{
	SCHEDULED_R(hipStreamWaitEvent, s, 0, SHIM_WAIT, (s, e, fl),
		    R_(SHIM_REC_WAIT, 0));
}

SHIM_EXPORT hipError_t hipStreamWaitEvent_spt(hipStream_t s, hipEvent_t e,
		unsigned int fl)
{
	SCHEDULED_R(hipStreamWaitEvent_spt, s, 1, SHIM_WAIT, (s, e, fl),
		    R_(SHIM_REC_WAIT, 0));
}

/* --- host syncs and queries ----------------------------------------------
 * An event does not say its stream: its sync and query mark every queue. */

SHIM_EXPORT hipError_t hipStreamSynchronize(hipStream_t s)
{
	HOST_SYNC(hipStreamSynchronize, s, 0, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamSynchronize_spt(hipStream_t s)
{
	HOST_SYNC(hipStreamSynchronize_spt, s, 1, 0, (s));
}

SHIM_EXPORT hipError_t hipDeviceSynchronize(void)
{
	HOST_SYNC(hipDeviceSynchronize, NULL, 0, 1, ());
}

SHIM_EXPORT hipError_t hipCtxSynchronize(void)
{
	HOST_SYNC(hipCtxSynchronize, NULL, 0, 1, ());
}

SHIM_EXPORT hipError_t hipEventSynchronize(hipEvent_t e)
{
	HOST_SYNC(hipEventSynchronize, NULL, 0, 1, (e));
}

SHIM_EXPORT hipError_t hipStreamQuery(hipStream_t s)
{
	HOST_QUERY(hipStreamQuery, s, 0, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamQuery_spt(hipStream_t s)
{
	HOST_QUERY(hipStreamQuery_spt, s, 1, 0, (s));
}

SHIM_EXPORT hipError_t hipEventQuery(hipEvent_t e)
{
	HOST_QUERY(hipEventQuery, NULL, 0, 1, (e));
}

/* --- stream life ------------------------------------------------------------ */

SHIM_EXPORT hipError_t hipStreamCreate(hipStream_t *s)
{
	CREATE(hipStreamCreate, s, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamCreateWithFlags(hipStream_t *s, unsigned int fl)
{
	CREATE(hipStreamCreateWithFlags, s, 0, (s, fl));
}

SHIM_EXPORT hipError_t hipStreamCreateWithPriority(hipStream_t *s, unsigned int fl,
		int prio)
{
	CREATE(hipStreamCreateWithPriority, s, prio, (s, fl, prio));
}

SHIM_EXPORT hipError_t hipExtStreamCreateWithCUMask(hipStream_t *s, uint32_t n,
		const uint32_t *mask)
{
	CREATE(hipExtStreamCreateWithCUMask, s, 0, (s, n, mask));
}

/* The engine lets go of the stream (its markers, its queue) first. */
SHIM_EXPORT hipError_t hipStreamDestroy(hipStream_t s)
{
	if (!hip_ready())
		return hipErrorNotInitialized;
	if (!hip_depth && s)
		shim__stream_destroyed(s);
	hipError_t r;
	INNER(r, hipStreamDestroy, (s));
	return r;
}

/* --- lookups ---------------------------------------------------------------- */

/* 1 when the real library is in the process (a real pointer can only
 * come from there: a lookup never loads it). */
static int hip_loaded(void)
{
	if (hip_ok)
		return 1;
	void *h = hip_open(0);
	if (!h)
		return 0;
	dlclose(h);
	return 1;
}

void *shim__plat_dlsym(const char *name, void *p)
{
	if (!p || !name || hip_resolving || !strstr(name, "hip"))
		return p;
	if (!hip_loaded() || !hip_ready())
		return p;
	for (size_t i = 0; i < sizeof hip_table / sizeof hip_table[0]; i++)
		if (*hip_table[i].real == p)
			return hip_table[i].wrapper;
	return p;
}

SHIM_EXPORT hipError_t hipGetProcAddress(const char *symbol, void **pfn,
		int hip_version, uint64_t flags, int *status)
{
	if (!hip_ready())
		return hipErrorNotInitialized;
	hipError_t r;
	INNER(r, hipGetProcAddress, (symbol, pfn, hip_version, flags, status));
	if (r == hipSuccess && pfn && *pfn)
		*pfn = shim__plat_dlsym(symbol, *pfn);
	return r;
}
