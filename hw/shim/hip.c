/*
 * hw/shim/hip.c: the AMD platform layer of libhipsched.so (the table,
 * binding, platform ops and lookups; the wrappers are in hip_wrap.c). It
 * defines the stream-ordered, sync and stream-life functions of ROCm's
 * libamdhip64 with the same names and symbol versions (hw/shim/hip.map), so that an
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
#include "hip_internal.h"
#include "record.h"
#include "shim_internal.h"

#define REAL_DEF(id, sym, ver) __typeof__(id) *real_##id;
HIP_WRAPPED(REAL_DEF)
HIP_USED(REAL_DEF)
#undef REAL_DEF

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

pthread_once_t hip_once = PTHREAD_ONCE_INIT;
int hip_ok;
static void *hip_handle;           /* the real library, once bound */
__thread int hip_depth;
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

void hip_init_once(void)
{
	hip_bind_once();
	if (hip_ok)
		shim__init(&hip_plat);
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
