/*
 * A fake libcuda.so.1 for the shim's tests: the driver functions the shim
 * intercepts or uses, reachable by direct link, dlsym and
 * cuGetProcAddress(_v2), each recording the call it receives.
 *
 * Time model: every stream has a `ready` time (when its last command is
 * done). A command called at t starts at max(t, ready) and lasts its
 * duration: a kernel's CUfunction handle is its duration in us (the test
 * program passes (CUfunction)(uintptr_t)us), a graph's CUgraphExec the
 * same, copies and memsets FAKECUDA_COPY_US (default 0). An event records
 * the stream's ready time and is complete once the clock passed it;
 * cuStreamWaitEvent moves the stream's ready time to the event's;
 * synchronize calls sleep until the time. The legacy stream does not
 * synchronize implicitly with other streams.
 *
 * FAKECUDA_NOP=1: stream-ordered calls return at once, doing and logging
 * nothing (to measure what a wrapper costs).
 *
 * Log (FAKECUDA_LOG=PATH, appended, one line per call, one write each):
 *   NAME STREAM T_CALL START END INFLIGHT ARG
 * STREAM: 0 legacy, -N the per-thread stream of the N-th thread that used
 * one, N the N-th created stream, '-' none; times in ns (CLOCK_MONOTONIC);
 * INFLIGHT: commands of the stream not done at T_CALL, this one included;
 * ARG: a kernel's gridDimY (the test's sequence number), else 0.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <cuda.h>

#undef cuStreamDestroy
#undef cuGetProcAddress
#define API __attribute__((visibility("default")))

#define RING 4096
struct fstream {
	int id;
	int prio;
	int capturing;
	int64_t ready;
	int64_t ends[RING];
	size_t nends;
};
struct fevent {
	int64_t t;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fstream legacy;
static int nstreams, nthreads;
static __thread struct fstream *tl_stream;
static int logfd = -2;
static int64_t copy_ns = -1;

/* Fork-safe like a real library must be: a thread of the parent (the
 * shim's poller) may be inside a call holding mu when another forks. */
static void fork_lock(void) { pthread_mutex_lock(&mu); }
static void fork_unlock(void) { pthread_mutex_unlock(&mu); }
__attribute__((constructor)) static void fake_init(void)
{
	pthread_atfork(fork_lock, fork_unlock, fork_unlock);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	int64_t d;
	while ((d = t - now_ns()) > 0) {
		struct timespec ts = { d / 1000000000, d % 1000000000 };
		nanosleep(&ts, NULL);
	}
}

/* Lock held. */
static struct fstream *stream_of(CUstream st, int ptds)
{
	if (st == CU_STREAM_PER_THREAD || (ptds && !st)) {
		if (!tl_stream) {
			tl_stream = calloc(1, sizeof(*tl_stream));
			tl_stream->id = -++nthreads;
		}
		return tl_stream;
	}
	if (!st || st == CU_STREAM_LEGACY)
		return &legacy;
	return (struct fstream *)st;
}

static void logline(const char *name, const struct fstream *s, int64_t t,
		    int64_t start, int64_t end, int inflight, unsigned arg)
{
	if (logfd == -2) {
		const char *p = getenv("FAKECUDA_LOG");
		logfd = p ? open(p, O_WRONLY | O_APPEND | O_CREAT, 0644) : -1;
	}
	if (logfd < 0)
		return;
	char line[256];
	int n;
	if (s)
		n = snprintf(line, sizeof(line), "%s %d %lld %lld %lld %d %u\n", name,
			     s->id, (long long)t, (long long)start, (long long)end,
			     inflight, arg);
	else
		n = snprintf(line, sizeof(line), "%s - %lld 0 0 0 0\n", name, (long long)t);
	ssize_t w = write(logfd, line, (size_t)n);
	(void)w;
}

/* A stream-ordered command of `dur_ns`. */
static CUresult op(const char *name, CUstream st, int ptds, int64_t dur_ns,
		   unsigned arg)
{
	static int nop = -1;
	if (nop < 0) {
		const char *v = getenv("FAKECUDA_NOP");
		nop = v && *v == '1';
	}
	if (nop)
		return CUDA_SUCCESS;
	pthread_mutex_lock(&mu);
	struct fstream *s = stream_of(st, ptds);
	int64_t t = now_ns();
	int64_t start = s->ready > t ? s->ready : t;
	int64_t end = start + dur_ns;
	s->ready = end;
	s->ends[s->nends++ % RING] = end;
	if (logfd != -1) {        /* not counted when not logged (benchmarks) */
		int inflight = 0;
		size_t n = s->nends < RING ? s->nends : RING;
		for (size_t i = 0; i < n; i++)
			inflight += s->ends[i] > t;
		logline(name, s, t, start, end, inflight, arg);
	}
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

static void note(const char *name)
{
	pthread_mutex_lock(&mu);
	logline(name, NULL, now_ns(), 0, 0, 0, 0);
	pthread_mutex_unlock(&mu);
}

static int64_t copy_dur(void)
{
	if (copy_ns < 0) {
		const char *v = getenv("FAKECUDA_COPY_US");
		copy_ns = v ? atoll(v) * 1000 : 0;
	}
	return copy_ns;
}

static void stream_sync(const char *name, CUstream st, int ptds)
{
	pthread_mutex_lock(&mu);
	struct fstream *s = stream_of(st, ptds);
	int64_t t = s->ready;
	logline(name, s, now_ns(), 0, t, 0, 0);
	pthread_mutex_unlock(&mu);
	sleep_until(t);
}

/* ---- launches ------------------------------------------------------------ */
#define LAUNCH_P CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, \
	unsigned int bx, unsigned int by, unsigned int bz, unsigned int shm, \
	CUstream st, void **args, void **extra
API CUresult cuLaunchKernel(LAUNCH_P) { return op("cuLaunchKernel", st, 0, (int64_t)(uintptr_t)f * 1000, gy); }
API CUresult cuLaunchKernel_ptsz(LAUNCH_P) { return op("cuLaunchKernel_ptsz", st, 1, (int64_t)(uintptr_t)f * 1000, gy); }
API CUresult cuLaunchKernelEx(const CUlaunchConfig *c, CUfunction f, void **a, void **e)
{ return op("cuLaunchKernelEx", c->hStream, 0, (int64_t)(uintptr_t)f * 1000, c->gridDimY); }
API CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *c, CUfunction f, void **a, void **e)
{ return op("cuLaunchKernelEx_ptsz", c->hStream, 1, (int64_t)(uintptr_t)f * 1000, c->gridDimY); }
#define COOP_P CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, \
	unsigned int bx, unsigned int by, unsigned int bz, unsigned int shm, \
	CUstream st, void **args
API CUresult cuLaunchCooperativeKernel(COOP_P) { return op("cuLaunchCooperativeKernel", st, 0, (int64_t)(uintptr_t)f * 1000, gy); }
API CUresult cuLaunchCooperativeKernel_ptsz(COOP_P) { return op("cuLaunchCooperativeKernel_ptsz", st, 1, (int64_t)(uintptr_t)f * 1000, gy); }
API CUresult cuGraphLaunch(CUgraphExec g, CUstream st) { return op("cuGraphLaunch", st, 0, (int64_t)(uintptr_t)g * 1000, 0); }
API CUresult cuGraphLaunch_ptsz(CUgraphExec g, CUstream st) { return op("cuGraphLaunch_ptsz", st, 1, (int64_t)(uintptr_t)g * 1000, 0); }

/* ---- async copies and memsets ------------------------------------------------ */
#define CP(name, ptds, params, st) API CUresult name params { return op(#name, st, ptds, copy_dur(), 0); }
CP(cuMemcpyAsync, 0, (CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpyAsync_ptsz, 1, (CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpyHtoDAsync_v2, 0, (CUdeviceptr d, const void *s, size_t n, CUstream st), st)
CP(cuMemcpyHtoDAsync_v2_ptsz, 1, (CUdeviceptr d, const void *s, size_t n, CUstream st), st)
CP(cuMemcpyDtoHAsync_v2, 0, (void *d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpyDtoHAsync_v2_ptsz, 1, (void *d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpyDtoDAsync_v2, 0, (CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpyDtoDAsync_v2_ptsz, 1, (CUdeviceptr d, CUdeviceptr s, size_t n, CUstream st), st)
CP(cuMemcpy2DAsync_v2, 0, (const CUDA_MEMCPY2D *p, CUstream st), st)
CP(cuMemcpy2DAsync_v2_ptsz, 1, (const CUDA_MEMCPY2D *p, CUstream st), st)
CP(cuMemcpy3DAsync_v2, 0, (const CUDA_MEMCPY3D *p, CUstream st), st)
CP(cuMemcpy3DAsync_v2_ptsz, 1, (const CUDA_MEMCPY3D *p, CUstream st), st)
CP(cuMemsetD8Async, 0, (CUdeviceptr d, unsigned char v, size_t n, CUstream st), st)
CP(cuMemsetD8Async_ptsz, 1, (CUdeviceptr d, unsigned char v, size_t n, CUstream st), st)
CP(cuMemsetD16Async, 0, (CUdeviceptr d, unsigned short v, size_t n, CUstream st), st)
CP(cuMemsetD16Async_ptsz, 1, (CUdeviceptr d, unsigned short v, size_t n, CUstream st), st)
CP(cuMemsetD32Async, 0, (CUdeviceptr d, unsigned int v, size_t n, CUstream st), st)
CP(cuMemsetD32Async_ptsz, 1, (CUdeviceptr d, unsigned int v, size_t n, CUstream st), st)

/* ---- events ------------------------------------------------------------------ */
API CUresult cuEventCreate(CUevent *ev, unsigned int fl)
{
	*ev = (CUevent)calloc(1, sizeof(struct fevent));
	note("cuEventCreate");
	return CUDA_SUCCESS;
}

API CUresult cuEventDestroy_v2(CUevent ev)
{
	note("cuEventDestroy_v2");
	free(ev);
	return CUDA_SUCCESS;
}

static CUresult ev_record(const char *name, CUevent ev, CUstream st, int ptds)
{
	pthread_mutex_lock(&mu);
	struct fstream *s = stream_of(st, ptds);
	int64_t t = now_ns();
	((struct fevent *)ev)->t = s->ready > t ? s->ready : t;
	logline(name, s, t, t, ((struct fevent *)ev)->t, 0, 0);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}
API CUresult cuEventRecord(CUevent ev, CUstream st) { return ev_record("cuEventRecord", ev, st, 0); }
API CUresult cuEventRecord_ptsz(CUevent ev, CUstream st) { return ev_record("cuEventRecord_ptsz", ev, st, 1); }
API CUresult cuEventRecordWithFlags(CUevent ev, CUstream st, unsigned int f) { return ev_record("cuEventRecordWithFlags", ev, st, 0); }
API CUresult cuEventRecordWithFlags_ptsz(CUevent ev, CUstream st, unsigned int f) { return ev_record("cuEventRecordWithFlags_ptsz", ev, st, 1); }

API CUresult cuEventQuery(CUevent ev)
{
	note("cuEventQuery");
	return now_ns() >= ((struct fevent *)ev)->t ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

API CUresult cuEventSynchronize(CUevent ev)
{
	note("cuEventSynchronize");
	sleep_until(((struct fevent *)ev)->t);
	return CUDA_SUCCESS;
}

static CUresult wait_event(const char *name, CUstream st, CUevent ev, int ptds)
{
	pthread_mutex_lock(&mu);
	struct fstream *s = stream_of(st, ptds);
	int64_t t = now_ns(), e = ((struct fevent *)ev)->t;
	if (e > s->ready)
		s->ready = e;
	logline(name, s, t, t, s->ready, 0, 0);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}
API CUresult cuStreamWaitEvent(CUstream st, CUevent ev, unsigned int f) { return wait_event("cuStreamWaitEvent", st, ev, 0); }
API CUresult cuStreamWaitEvent_ptsz(CUstream st, CUevent ev, unsigned int f) { return wait_event("cuStreamWaitEvent_ptsz", st, ev, 1); }

/* ---- streams and syncs --------------------------------------------------------- */
static CUresult create(const char *name, CUstream *ph, int prio)
{
	pthread_mutex_lock(&mu);
	struct fstream *s = calloc(1, sizeof(*s));
	s->id = ++nstreams;
	s->prio = prio < -5 ? -5 : prio > 0 ? 0 : prio;
	*ph = (CUstream)s;
	logline(name, s, now_ns(), 0, 0, 0, 0);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}
API CUresult cuStreamCreate(CUstream *ph, unsigned int fl) { return create("cuStreamCreate", ph, 0); }
API CUresult cuStreamCreateWithPriority(CUstream *ph, unsigned int fl, int p) { return create("cuStreamCreateWithPriority", ph, p); }

API CUresult cuStreamGetPriority(CUstream st, int *p)
{
	pthread_mutex_lock(&mu);
	*p = stream_of(st, 0)->prio;
	pthread_mutex_unlock(&mu);
	note("cuStreamGetPriority");
	return CUDA_SUCCESS;
}

/* Streams are never freed: a late event query may still name them. */
API CUresult cuStreamDestroy(CUstream st) { note("cuStreamDestroy"); return CUDA_SUCCESS; }
API CUresult cuStreamDestroy_v2(CUstream st) { note("cuStreamDestroy_v2"); return CUDA_SUCCESS; }

API CUresult cuStreamSynchronize(CUstream st) { stream_sync("cuStreamSynchronize", st, 0); return CUDA_SUCCESS; }
API CUresult cuStreamSynchronize_ptsz(CUstream st) { stream_sync("cuStreamSynchronize_ptsz", st, 1); return CUDA_SUCCESS; }

static CUresult query(const char *name, CUstream st, int ptds)
{
	pthread_mutex_lock(&mu);
	struct fstream *s = stream_of(st, ptds);
	int64_t t = now_ns();
	logline(name, s, t, 0, s->ready, 0, 0);
	int done = t >= s->ready;
	pthread_mutex_unlock(&mu);
	return done ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}
API CUresult cuStreamQuery(CUstream st) { return query("cuStreamQuery", st, 0); }
API CUresult cuStreamQuery_ptsz(CUstream st) { return query("cuStreamQuery_ptsz", st, 1); }

API CUresult cuCtxSynchronize(void)
{
	note("cuCtxSynchronize");
	/* every stream: the legacy one and the caller's ptds stand for all */
	pthread_mutex_lock(&mu);
	int64_t t = legacy.ready;
	pthread_mutex_unlock(&mu);
	sleep_until(t);
	return CUDA_SUCCESS;
}

#define BC(name, ptds, params) API CUresult name params { stream_sync(#name, NULL, ptds); return CUDA_SUCCESS; }
BC(cuMemcpy, 0, (CUdeviceptr d, CUdeviceptr s, size_t n))
BC(cuMemcpy_ptds, 1, (CUdeviceptr d, CUdeviceptr s, size_t n))
BC(cuMemcpyHtoD_v2, 0, (CUdeviceptr d, const void *s, size_t n))
BC(cuMemcpyHtoD_v2_ptds, 1, (CUdeviceptr d, const void *s, size_t n))
BC(cuMemcpyDtoH_v2, 0, (void *d, CUdeviceptr s, size_t n))
BC(cuMemcpyDtoH_v2_ptds, 1, (void *d, CUdeviceptr s, size_t n))
BC(cuMemcpyDtoD_v2, 0, (CUdeviceptr d, CUdeviceptr s, size_t n))
BC(cuMemcpyDtoD_v2_ptds, 1, (CUdeviceptr d, CUdeviceptr s, size_t n))
BC(cuMemcpy2D_v2, 0, (const CUDA_MEMCPY2D *p))
BC(cuMemcpy2D_v2_ptds, 1, (const CUDA_MEMCPY2D *p))
BC(cuMemcpy3D_v2, 0, (const CUDA_MEMCPY3D *p))
BC(cuMemcpy3D_v2_ptds, 1, (const CUDA_MEMCPY3D *p))

/* ---- capture, context, init ------------------------------------------------------- */
API CUresult cuStreamBeginCapture_v2(CUstream st, CUstreamCaptureMode m)
{
	note("cuStreamBeginCapture_v2");
	((struct fstream *)st)->capturing = 1;
	return CUDA_SUCCESS;
}

API CUresult cuStreamEndCapture(CUstream st, CUgraph *g)
{
	note("cuStreamEndCapture");
	((struct fstream *)st)->capturing = 0;
	*g = NULL;
	return CUDA_SUCCESS;
}

API CUresult cuStreamIsCapturing(CUstream st, CUstreamCaptureStatus *s)
{
	pthread_mutex_lock(&mu);
	*s = stream_of(st, 0)->capturing ? CU_STREAM_CAPTURE_STATUS_ACTIVE
					 : CU_STREAM_CAPTURE_STATUS_NONE;
	pthread_mutex_unlock(&mu);
	note("cuStreamIsCapturing");
	return CUDA_SUCCESS;
}

API CUresult cuThreadExchangeStreamCaptureMode(CUstreamCaptureMode *m) { note("cuThreadExchangeStreamCaptureMode"); return CUDA_SUCCESS; }
static int ctx_dummy;
API CUresult cuInit(unsigned int f) { note("cuInit"); return CUDA_SUCCESS; }
API CUresult cuCtxGetCurrent(CUcontext *c) { note("cuCtxGetCurrent"); *c = (CUcontext)&ctx_dummy; return CUDA_SUCCESS; }
API CUresult cuCtxSetCurrent(CUcontext c) { note("cuCtxSetCurrent"); return CUDA_SUCCESS; }
API CUresult cuDriverGetVersion(int *v) { *v = CUDA_VERSION; return CUDA_SUCCESS; }
/* one device, its primary context, and modules whose every function is a
 * kernel of 0 us (hw/bench/launch_cost.c's empty kernel) */
API CUresult cuDeviceGet(CUdevice *d, int ordinal) { note("cuDeviceGet"); *d = 0; return ordinal ? CUDA_ERROR_INVALID_DEVICE : CUDA_SUCCESS; }
API CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) { note("cuDevicePrimaryCtxRetain"); *c = (CUcontext)&ctx_dummy; return CUDA_SUCCESS; }
static int mod_dummy;
API CUresult cuModuleLoadData(CUmodule *m, const void *image) { note("cuModuleLoadData"); *m = (CUmodule)&mod_dummy; return image ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE; }
API CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) { note("cuModuleGetFunction"); *f = (CUfunction)0; return CUDA_SUCCESS; }
static const void *export_table[4];
API CUresult cuGetExportTable(const void **t, const CUuuid *id) { note("cuGetExportTable"); *t = export_table; return CUDA_SUCCESS; }

/* ---- cuGetProcAddress -------------------------------------------------------------- */
struct proc {
	const char *name;
	void *legacy, *ptds;      /* ptds NULL: the same function */
	int split;                /* version from which `legacy` applies; */
	void *old;                /* below it, this one */
};
#define P1(n) { #n, (void *)n, NULL, 0, NULL }
#define P2(n) { #n, (void *)n, (void *)n##_ptsz, 0, NULL }
static CUresult gpa1(const char *, void **, int, cuuint64_t);
API CUresult cuGetProcAddress_v2(const char *sym, void **pfn, int ver, cuuint64_t fl,
				 CUdriverProcAddressQueryResult *st);
static const struct proc procs[] = {
	P2(cuLaunchKernel), P2(cuLaunchKernelEx), P2(cuLaunchCooperativeKernel),
	P2(cuGraphLaunch), P2(cuMemcpyAsync),
	{ "cuMemcpyHtoDAsync", (void *)cuMemcpyHtoDAsync_v2, (void *)cuMemcpyHtoDAsync_v2_ptsz, 0, NULL },
	{ "cuMemcpyDtoHAsync", (void *)cuMemcpyDtoHAsync_v2, (void *)cuMemcpyDtoHAsync_v2_ptsz, 0, NULL },
	{ "cuMemcpyDtoDAsync", (void *)cuMemcpyDtoDAsync_v2, (void *)cuMemcpyDtoDAsync_v2_ptsz, 0, NULL },
	{ "cuMemcpy2DAsync", (void *)cuMemcpy2DAsync_v2, (void *)cuMemcpy2DAsync_v2_ptsz, 0, NULL },
	{ "cuMemcpy3DAsync", (void *)cuMemcpy3DAsync_v2, (void *)cuMemcpy3DAsync_v2_ptsz, 0, NULL },
	P2(cuMemsetD8Async), P2(cuMemsetD16Async), P2(cuMemsetD32Async),
	P2(cuEventRecord), P2(cuEventRecordWithFlags), P2(cuStreamWaitEvent),
	P2(cuStreamSynchronize), P2(cuStreamQuery),
	P1(cuCtxSynchronize), P1(cuEventSynchronize), P1(cuEventQuery),
	{ "cuMemcpy", (void *)cuMemcpy, (void *)cuMemcpy_ptds, 0, NULL },
	{ "cuMemcpyHtoD", (void *)cuMemcpyHtoD_v2, (void *)cuMemcpyHtoD_v2_ptds, 0, NULL },
	{ "cuMemcpyDtoH", (void *)cuMemcpyDtoH_v2, (void *)cuMemcpyDtoH_v2_ptds, 0, NULL },
	{ "cuMemcpyDtoD", (void *)cuMemcpyDtoD_v2, (void *)cuMemcpyDtoD_v2_ptds, 0, NULL },
	{ "cuMemcpy2D", (void *)cuMemcpy2D_v2, (void *)cuMemcpy2D_v2_ptds, 0, NULL },
	{ "cuMemcpy3D", (void *)cuMemcpy3D_v2, (void *)cuMemcpy3D_v2_ptds, 0, NULL },
	P1(cuStreamCreate), P1(cuStreamCreateWithPriority), P1(cuStreamGetPriority),
	{ "cuStreamDestroy", (void *)cuStreamDestroy_v2, NULL, 4000, (void *)cuStreamDestroy },
	{ "cuGetProcAddress", (void *)cuGetProcAddress_v2, NULL, 12000, (void *)gpa1 },
	P1(cuEventCreate), P1(cuEventDestroy), P1(cuStreamIsCapturing),
	{ "cuStreamBeginCapture", (void *)cuStreamBeginCapture_v2, NULL, 0, NULL },
	P1(cuStreamEndCapture), P1(cuThreadExchangeStreamCaptureMode),
	P1(cuInit), P1(cuCtxGetCurrent), P1(cuCtxSetCurrent), P1(cuDriverGetVersion),
	P1(cuGetExportTable), P1(cuDeviceGet), P1(cuDevicePrimaryCtxRetain),
	P1(cuModuleLoadData), P1(cuModuleGetFunction),
};

static CUresult lookup(const char *sym, void **pfn, int ver, cuuint64_t fl)
{
	note("cuGetProcAddress");
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		const struct proc *p = &procs[i];
		if (strcmp(p->name, sym))
			continue;
		if (ver < p->split)
			*pfn = p->old;
		else if ((fl & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && p->ptds)
			*pfn = p->ptds;
		else
			*pfn = p->legacy;
		return CUDA_SUCCESS;
	}
	*pfn = NULL;
	return CUDA_ERROR_NOT_FOUND;
}

static CUresult gpa1(const char *sym, void **pfn, int ver, cuuint64_t fl)
{
	return lookup(sym, pfn, ver, fl);
}

API CUresult cuGetProcAddress(const char *sym, void **pfn, int ver, cuuint64_t fl)
{
	return lookup(sym, pfn, ver, fl);
}

API CUresult cuGetProcAddress_v2(const char *sym, void **pfn, int ver, cuuint64_t fl,
				 CUdriverProcAddressQueryResult *st)
{
	CUresult e = lookup(sym, pfn, ver, fl);
	if (st)
		*st = e ? CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND : CU_GET_PROC_ADDRESS_SUCCESS;
	return e;
}
