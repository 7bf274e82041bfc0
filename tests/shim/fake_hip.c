/*
 * tests/shim/fake_hip.c: a fake libamdhip64.so.5 for the shimamd suite. It
 * exports what tests/shim/fake_hip.syms lists, under Debian's symbol
 * versions, and records every call it receives, one line each, with every
 * argument by value (FAKE_HIP_LOG=PATH, appended), so that a run with the
 * shim and one without can be compared line by line.
 *
 * Handles are small numbers, not pointers (streams 0x1000 + 0x10 * n,
 * events 0x8000 + 0x10 * n), so the log is the same from run to run.
 *
 * Time: each stream is busy until a time; a kernel or graph launch adds
 * FAKE_HIP_KERNEL_US (default 0) of "GPU time" after the later of now and
 * the stream's busy time. An event records its stream's busy time;
 * queries compare it with the clock, syncs sleep until it.
 * FAKE_HIP_TIMES=PATH: one line per stream-ordered command,
 * `SUBMIT_NS STREAM END_NS` (monotonic clock), for tests of what the
 * scheduler held back.
 *
 * Like the real library, some functions call exported ones of their own
 * through the PLT (hipStreamCreate -> hipStreamCreateWithFlags,
 * hipLaunchKernel_spt -> hipLaunchKernel on the per-thread stream), so a
 * preloaded shim is re-entered as with ROCm.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <hip/hip_runtime_api.h>

#define FAKE_MAX 256

struct fstream {
	int used, capturing;
	uint64_t busy_ns;
};

struct fevent {
	int used, recorded;
	uint64_t t_ns;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct fstream streams[FAKE_MAX];   /* [0]: the legacy stream */
static struct fevent events[FAKE_MAX];
static __thread struct fstream ptds_stream;
static int log_fd = -1, times_fd = -1;
static uint64_t kernel_ns;
static int device;
static unsigned graphs;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	for (uint64_t n; (n = now_ns()) < t;) {
		uint64_t d = t - n;
		nanosleep(&(struct timespec){ (time_t)(d / 1000000000u),
					      (long)(d % 1000000000u) }, NULL);
	}
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
	const char *p = getenv("FAKE_HIP_LOG");
	const char *k = getenv("FAKE_HIP_KERNEL_US");
	kernel_ns = k ? strtoull(k, NULL, 10) * 1000u : 0;
	log_fd = p && *p ? open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	const char *t = getenv("FAKE_HIP_TIMES");
	times_fd = t && *t ? open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

/* One line of the call log, with a single write() so that the lines of
 * concurrent callers never interleave; a short write aborts (a log with
 * holes would pass for another run). */
static void flog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void flog(const char *fmt, ...)
{
	pthread_once(&env_once, read_env);
	if (log_fd < 0)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(log_fd, line, n) != n)
		abort();
}

/* The stream behind a handle (NULL: legacy, or per-thread for ptds). */
static struct fstream *fs(hipStream_t s, int ptds)
{
	uintptr_t h = (uintptr_t)s;
	if (h == 0)
		return ptds ? &ptds_stream : &streams[0];
	if (h == 2)
		return &ptds_stream;
	if (h < 0x1000 || (h - 0x1000) % 0x10 || (h - 0x1000) / 0x10 >= FAKE_MAX)
		return NULL;
	struct fstream *f = &streams[(h - 0x1000) / 0x10];
	return f->used ? f : NULL;
}

static struct fevent *fe(hipEvent_t e)
{
	uintptr_t h = (uintptr_t)e;
	if (h < 0x8000 || (h - 0x8000) % 0x10 || (h - 0x8000) / 0x10 >= FAKE_MAX)
		return NULL;
	struct fevent *f = &events[(h - 0x8000) / 0x10];
	return f->used ? f : NULL;
}

/* Logs the call and queues `dur_ns` of work on the stream. */
static hipError_t op(hipStream_t s, int ptds, uint64_t dur_ns, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static hipError_t op(hipStream_t s, int ptds, uint64_t dur_ns, const char *fmt, ...)
{
	char line[400] = "";
	pthread_once(&env_once, read_env);
	if (log_fd >= 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(line, sizeof line, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&mu);
	flog("%s s=%p%s", line, (void *)s, ptds ? " spt" : "");
	struct fstream *f = fs(s, ptds);
	if (f) {
		uint64_t n = now_ns();
		f->busy_ns = (f->busy_ns > n ? f->busy_ns : n) + dur_ns;
		if (times_fd >= 0) {
			char t[96];
			int k = snprintf(t, sizeof t, "%llu %p %llu\n", (unsigned long long)n,
					 (void *)s, (unsigned long long)f->busy_ns);
			if (write(times_fd, t, k) != k)
				abort();
		}
	}
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

#define D3(d) (d).x, (d).y, (d).z
/* A kernel's GPU time (FAKE_HIP_KERNEL_US). */
#define KNS (pthread_once(&env_once, read_env), kernel_ns)

/* --- kernels ------------------------------------------------------------- */

hipError_t hipLaunchKernel(const void *f, dim3 g, dim3 b, void **a, size_t sh, hipStream_t s)
{
	return op(s, 0, KNS, "hipLaunchKernel f=%p g=%u,%u,%u b=%u,%u,%u a=%p sh=%zu",
		  f, D3(g), D3(b), (void *)a, sh);
}

hipError_t hipLaunchKernel_spt(const void *f, dim3 g, dim3 b, void **a, size_t sh, hipStream_t s)
{
	flog("hipLaunchKernel_spt");
	return hipLaunchKernel(f, g, b, a, sh, s ? s : hipStreamPerThread);
}

hipError_t hipLaunchCooperativeKernel(const void *f, dim3 g, dim3 b, void **a,
				      unsigned int sh, hipStream_t s)
{
	return op(s, 0, KNS, "hipLaunchCooperativeKernel f=%p g=%u,%u,%u b=%u,%u,%u a=%p sh=%u",
		  f, D3(g), D3(b), (void *)a, sh);
}

hipError_t hipLaunchCooperativeKernel_spt(const void *f, dim3 g, dim3 b, void **a,
					  uint32_t sh, hipStream_t s)
{
	return op(s, 1, KNS, "hipLaunchCooperativeKernel_spt f=%p g=%u,%u,%u b=%u,%u,%u a=%p sh=%u",
		  f, D3(g), D3(b), (void *)a, sh);
}

hipError_t hipExtLaunchKernel(const void *f, dim3 g, dim3 b, void **a, size_t sh,
			      hipStream_t s, hipEvent_t e0, hipEvent_t e1, int fl)
{
	return op(s, 0, KNS, "hipExtLaunchKernel f=%p g=%u,%u,%u b=%u,%u,%u a=%p sh=%zu e=%p,%p fl=%d",
		  f, D3(g), D3(b), (void *)a, sh, (void *)e0, (void *)e1, fl);
}

hipError_t hipModuleLaunchKernel(hipFunction_t f, unsigned gx, unsigned gy, unsigned gz,
				 unsigned bx, unsigned by, unsigned bz, unsigned sh,
				 hipStream_t s, void **p, void **x)
{
	return op(s, 0, KNS, "hipModuleLaunchKernel f=%p g=%u,%u,%u b=%u,%u,%u sh=%u p=%p x=%p",
		  (void *)f, gx, gy, gz, bx, by, bz, sh, (void *)p, (void *)x);
}

hipError_t fake_ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1, uint32_t fl)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");
hipError_t fake_ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1, uint32_t fl)
{
	return op(s, 0, KNS, "hipExtModuleLaunchKernel f=%p g=%u,%u,%u l=%u,%u,%u sh=%zu p=%p x=%p e=%p,%p fl=%u",
		  (void *)f, gx, gy, gz, lx, ly, lz, sh, (void *)p, (void *)x,
		  (void *)e0, (void *)e1, fl);
}

hipError_t fake_hcc_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1)
	__asm__("_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_");
hipError_t fake_hcc_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1)
{
	return op(s, 0, KNS, "hipHccModuleLaunchKernel f=%p g=%u,%u,%u l=%u,%u,%u sh=%zu p=%p x=%p e=%p,%p",
		  (void *)f, gx, gy, gz, lx, ly, lz, sh, (void *)p, (void *)x,
		  (void *)e0, (void *)e1);
}

hipError_t fake_ggl_launch(uintptr_t f, const dim3 *g, const dim3 *b, uint32_t sh,
			   hipStream_t s, void **a)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");
hipError_t fake_ggl_launch(uintptr_t f, const dim3 *g, const dim3 *b, uint32_t sh,
			   hipStream_t s, void **a)
{
	return op(s, 0, KNS, "hipLaunchKernelGGLImpl f=%#lx g=%u,%u,%u b=%u,%u,%u sh=%u a=%p",
		  (unsigned long)f, D3(*g), D3(*b), sh, (void *)a);
}

hipError_t hipGraphLaunch(hipGraphExec_t g, hipStream_t s)
{
	return op(s, 0, KNS, "hipGraphLaunch g=%p", (void *)g);
}

/* --- copies and memsets ---------------------------------------------------- */

hipError_t hipMemcpyAsync(void *d, const void *src, size_t n, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyAsync d=%p src=%p n=%zu k=%d", d, src, n, (int)k);
}

hipError_t hipMemcpyAsync_spt(void *d, const void *src, size_t n, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 1, 0, "hipMemcpyAsync_spt d=%p src=%p n=%zu k=%d", d, src, n, (int)k);
}

hipError_t hipMemcpyWithStream(void *d, const void *src, size_t n, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyWithStream d=%p src=%p n=%zu k=%d", d, src, n, (int)k);
}

hipError_t hipMemcpyHtoDAsync(hipDeviceptr_t d, void *src, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyHtoDAsync d=%p src=%p n=%zu", d, src, n);
}

hipError_t hipMemcpyDtoHAsync(void *d, hipDeviceptr_t src, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyDtoHAsync d=%p src=%p n=%zu", d, src, n);
}

hipError_t hipMemcpyDtoDAsync(hipDeviceptr_t d, hipDeviceptr_t src, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyDtoDAsync d=%p src=%p n=%zu", d, src, n);
}

hipError_t hipMemcpy2DAsync(void *d, size_t dp, const void *src, size_t sp, size_t w,
			    size_t h, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpy2DAsync d=%p dp=%zu src=%p sp=%zu w=%zu h=%zu k=%d",
		  d, dp, src, sp, w, h, (int)k);
}

hipError_t hipMemcpy2DToArrayAsync(hipArray *d, size_t wo, size_t ho, const void *src,
				   size_t sp, size_t w, size_t h, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpy2DToArrayAsync d=%p wo=%zu ho=%zu src=%p sp=%zu w=%zu h=%zu k=%d",
		  (void *)d, wo, ho, src, sp, w, h, (int)k);
}

hipError_t hipMemcpy2DFromArrayAsync(void *d, size_t dp, hipArray_const_t src, size_t wo,
				     size_t ho, size_t w, size_t h, hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpy2DFromArrayAsync d=%p dp=%zu src=%p wo=%zu ho=%zu w=%zu h=%zu k=%d",
		  d, dp, (const void *)src, wo, ho, w, h, (int)k);
}

hipError_t hipMemcpy3DAsync(const struct hipMemcpy3DParms *p, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpy3DAsync p=%p", (const void *)p);
}

hipError_t hipDrvMemcpy3DAsync(const HIP_MEMCPY3D *p, hipStream_t s)
{
	return op(s, 0, 0, "hipDrvMemcpy3DAsync p=%p", (const void *)p);
}

hipError_t hipMemcpyParam2DAsync(const hip_Memcpy2D *p, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyParam2DAsync p=%p", (const void *)p);
}

hipError_t hipMemcpyPeerAsync(void *d, int dd, const void *src, int sd, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyPeerAsync d=%p dd=%d src=%p sd=%d n=%zu", d, dd, src, sd, n);
}

hipError_t hipMemcpyToSymbolAsync(const void *sym, const void *src, size_t n, size_t off,
				  hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyToSymbolAsync sym=%p src=%p n=%zu off=%zu k=%d",
		  sym, src, n, off, (int)k);
}

hipError_t hipMemcpyFromSymbolAsync(void *d, const void *sym, size_t n, size_t off,
				    hipMemcpyKind k, hipStream_t s)
{
	return op(s, 0, 0, "hipMemcpyFromSymbolAsync d=%p sym=%p n=%zu off=%zu k=%d",
		  d, sym, n, off, (int)k);
}

hipError_t hipMemPrefetchAsync(const void *p, size_t n, int dev, hipStream_t s)
{
	return op(s, 0, 0, "hipMemPrefetchAsync p=%p n=%zu dev=%d", p, n, dev);
}

hipError_t hipMemsetAsync(void *d, int v, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemsetAsync d=%p v=%d n=%zu", d, v, n);
}

hipError_t hipMemsetD8Async(hipDeviceptr_t d, unsigned char v, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemsetD8Async d=%p v=%u n=%zu", d, v, n);
}

hipError_t hipMemsetD16Async(hipDeviceptr_t d, unsigned short v, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemsetD16Async d=%p v=%u n=%zu", d, v, n);
}

hipError_t hipMemsetD32Async(hipDeviceptr_t d, int v, size_t n, hipStream_t s)
{
	return op(s, 0, 0, "hipMemsetD32Async d=%p v=%d n=%zu", d, v, n);
}

hipError_t hipMemset2DAsync(void *d, size_t p, int v, size_t w, size_t h, hipStream_t s)
{
	return op(s, 0, 0, "hipMemset2DAsync d=%p p=%zu v=%d w=%zu h=%zu", d, p, v, w, h);
}

hipError_t hipMemset3DAsync(hipPitchedPtr p, int v, hipExtent e, hipStream_t s)
{
	return op(s, 0, 0, "hipMemset3DAsync p=%p v=%d e=%zu,%zu,%zu", p.ptr, v,
		  e.width, e.height, e.depth);
}

/* --- events, waits, syncs ---------------------------------------------------- */

hipError_t hipEventCreateWithFlags(hipEvent_t *e, unsigned fl)
{
	pthread_mutex_lock(&mu);
	int i = 0;
	while (i < FAKE_MAX && events[i].used)
		i++;
	if (i < FAKE_MAX)
		events[i] = (struct fevent){ .used = 1 };
	if (i < FAKE_MAX)
		*e = (hipEvent_t)(uintptr_t)(0x8000 + 0x10 * i);
	flog("hipEventCreateWithFlags fl=%u -> %p", fl, i < FAKE_MAX ? (void *)*e : NULL);
	pthread_mutex_unlock(&mu);
	return i < FAKE_MAX ? hipSuccess : hipErrorOutOfMemory;
}

hipError_t hipEventCreate(hipEvent_t *e)
{
	return hipEventCreateWithFlags(e, 0);
}

hipError_t hipEventDestroy(hipEvent_t e)
{
	pthread_mutex_lock(&mu);
	struct fevent *f = fe(e);
	flog("hipEventDestroy e=%p", (void *)e);
	if (f)
		f->used = 0;
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

static hipError_t record(hipEvent_t e, hipStream_t s, int ptds, const char *name)
{
	pthread_mutex_lock(&mu);
	struct fevent *f = fe(e);
	struct fstream *st = fs(s, ptds);
	flog("%s e=%p s=%p", name, (void *)e, (void *)s);
	if (f && st) {
		f->recorded = 1;
		f->t_ns = st->busy_ns;
	}
	pthread_mutex_unlock(&mu);
	return f && st ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipEventRecord(hipEvent_t e, hipStream_t s)
{
	return record(e, s, 0, "hipEventRecord");
}

static hipError_t wait_event(hipStream_t s, hipEvent_t e, unsigned fl, int ptds, const char *name)
{
	pthread_mutex_lock(&mu);
	struct fevent *f = fe(e);
	struct fstream *st = fs(s, ptds);
	flog("%s s=%p e=%p fl=%u", name, (void *)s, (void *)e, fl);
	if (f && st && f->recorded && f->t_ns > st->busy_ns)
		st->busy_ns = f->t_ns;
	pthread_mutex_unlock(&mu);
	return f && st ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipStreamWaitEvent(hipStream_t s, hipEvent_t e, unsigned int fl)
{
	return wait_event(s, e, fl, 0, "hipStreamWaitEvent");
}

hipError_t hipStreamWaitEvent_spt(hipStream_t s, hipEvent_t e, unsigned int fl)
{
	return wait_event(s, e, fl, 1, "hipStreamWaitEvent_spt");
}

/* The time a sync waits for (`all`: every stream; else one stream). */
static hipError_t until(hipStream_t s, int ptds, int all, int query, const char *name)
{
	pthread_mutex_lock(&mu);
	flog("%s s=%p", name, (void *)s);
	uint64_t t = 0;
	struct fstream *st = all ? &streams[0] : fs(s, ptds);
	if (all) {
		for (int i = 0; i < FAKE_MAX; i++)
			if (streams[i].busy_ns > t)
				t = streams[i].busy_ns;
		if (ptds_stream.busy_ns > t)
			t = ptds_stream.busy_ns;
	} else if (st) {
		t = st->busy_ns;
	}
	pthread_mutex_unlock(&mu);
	if (!st)
		return hipErrorInvalidHandle;
	if (query)
		return now_ns() >= t ? hipSuccess : hipErrorNotReady;
	sleep_until(t);
	return hipSuccess;
}

hipError_t hipStreamSynchronize(hipStream_t s)
{
	return until(s, 0, 0, 0, "hipStreamSynchronize");
}

hipError_t hipStreamSynchronize_spt(hipStream_t s)
{
	return until(s, 1, 0, 0, "hipStreamSynchronize_spt");
}

hipError_t hipStreamQuery(hipStream_t s)
{
	return until(s, 0, 0, 1, "hipStreamQuery");
}

hipError_t hipStreamQuery_spt(hipStream_t s)
{
	return until(s, 1, 0, 1, "hipStreamQuery_spt");
}

hipError_t hipDeviceSynchronize(void)
{
	return until(NULL, 0, 1, 0, "hipDeviceSynchronize");
}

hipError_t hipCtxSynchronize(void)
{
	return until(NULL, 0, 1, 0, "hipCtxSynchronize");
}

static hipError_t event_until(hipEvent_t e, int query, const char *name)
{
	pthread_mutex_lock(&mu);
	struct fevent *f = fe(e);
	uint64_t t = f && f->recorded ? f->t_ns : 0;
	flog("%s e=%p", name, (void *)e);
	pthread_mutex_unlock(&mu);
	if (!f)
		return hipErrorInvalidHandle;
	if (query)
		return now_ns() >= t ? hipSuccess : hipErrorNotReady;
	sleep_until(t);
	return hipSuccess;
}

hipError_t hipEventSynchronize(hipEvent_t e)
{
	return event_until(e, 0, "hipEventSynchronize");
}

hipError_t hipEventQuery(hipEvent_t e)
{
	return event_until(e, 1, "hipEventQuery");
}

/* GPU ms between two recorded events (the streams' device clocks). */
hipError_t hipEventElapsedTime(float *ms, hipEvent_t a, hipEvent_t b)
{
	pthread_mutex_lock(&mu);
	struct fevent *x = fe(a), *y = fe(b);
	flog("hipEventElapsedTime a=%p b=%p", (void *)a, (void *)b);
	hipError_t r = !x || !y ? hipErrorInvalidHandle :
		!x->recorded || !y->recorded ? hipErrorNotReady : hipSuccess;
	if (r == hipSuccess && ms)
		*ms = (float)((double)(y->t_ns > x->t_ns ? y->t_ns - x->t_ns : 0) / 1e6);
	pthread_mutex_unlock(&mu);
	return r;
}

/* Kernel names: "kernel_0x..." for a host function, "module_0x..." for a
 * module function; one stable string per pointer (as HIP's tables). */
static const char *fake_name(const void *f, const char *prefix)
{
	static struct { const void *f; char name[40]; } names[64];
	static int n;
	const char *r = NULL;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n && !r; i++)
		if (names[i].f == f && strncmp(names[i].name, prefix, strlen(prefix)) == 0)
			r = names[i].name;
	if (!r && n < 64) {
		names[n].f = f;
		snprintf(names[n].name, sizeof names[n].name, "%s_%p", prefix, f);
		r = names[n++].name;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

const char *hipKernelNameRefByPtr(const void *f, hipStream_t s)
{
	return fake_name(f, "kernel");
}

const char *hipKernelNameRef(const hipFunction_t f)
{
	return fake_name(f, "module");
}

/* Every module function: 24 registers, 512 bytes of static LDS. */
hipError_t hipFuncGetAttribute(int *v, hipFunction_attribute a, hipFunction_t f)
{
	if (!v)
		return hipErrorInvalidValue;
	if (a == HIP_FUNC_ATTRIBUTE_NUM_REGS)
		*v = 24;
	else if (a == HIP_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES)
		*v = 512;
	else
		return hipErrorNotSupported;
	return hipSuccess;
}

/* --- streams, capture, device ------------------------------------------------ */

hipError_t hipStreamCreateWithPriority(hipStream_t *s, unsigned int fl, int prio)
{
	pthread_mutex_lock(&mu);
	int i = 1;
	while (i < FAKE_MAX && streams[i].used)
		i++;
	if (i < FAKE_MAX) {
		streams[i] = (struct fstream){ .used = 1 };
		*s = (hipStream_t)(uintptr_t)(0x1000 + 0x10 * i);
	}
	flog("hipStreamCreateWithPriority fl=%u prio=%d -> %p", fl, prio,
	     i < FAKE_MAX ? (void *)*s : NULL);
	pthread_mutex_unlock(&mu);
	return i < FAKE_MAX ? hipSuccess : hipErrorOutOfMemory;
}

hipError_t hipStreamCreateWithFlags(hipStream_t *s, unsigned int fl)
{
	flog("hipStreamCreateWithFlags fl=%u", fl);
	return hipStreamCreateWithPriority(s, fl, 0);
}

hipError_t hipStreamCreate(hipStream_t *s)
{
	flog("hipStreamCreate");
	return hipStreamCreateWithFlags(s, 0);
}

hipError_t hipExtStreamCreateWithCUMask(hipStream_t *s, uint32_t n, const uint32_t *mask)
{
	flog("hipExtStreamCreateWithCUMask n=%u mask0=%#x", n, n ? mask[0] : 0);
	return hipStreamCreateWithPriority(s, 0, 0);
}

hipError_t hipStreamDestroy(hipStream_t s)
{
	pthread_mutex_lock(&mu);
	struct fstream *f = (uintptr_t)s > 2 ? fs(s, 0) : NULL;
	flog("hipStreamDestroy s=%p", (void *)s);
	if (f)
		f->used = 0;
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipStreamBeginCapture(hipStream_t s, hipStreamCaptureMode mode)
{
	pthread_mutex_lock(&mu);
	struct fstream *f = fs(s, 0);
	flog("hipStreamBeginCapture s=%p mode=%d", (void *)s, (int)mode);
	if (f)
		f->capturing = 1;
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipStreamEndCapture(hipStream_t s, hipGraph_t *g)
{
	pthread_mutex_lock(&mu);
	struct fstream *f = fs(s, 0);
	flog("hipStreamEndCapture s=%p", (void *)s);
	if (f) {
		f->capturing = 0;
		*g = (hipGraph_t)(uintptr_t)(0x50000 + 0x10 * ++graphs);
	}
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipStreamIsCapturing(hipStream_t s, hipStreamCaptureStatus *st)
{
	pthread_mutex_lock(&mu);
	struct fstream *f = fs(s, 0);
	flog("hipStreamIsCapturing s=%p", (void *)s);
	*st = f && f->capturing ? hipStreamCaptureStatusActive : hipStreamCaptureStatusNone;
	pthread_mutex_unlock(&mu);
	return f ? hipSuccess : hipErrorInvalidHandle;
}

hipError_t hipGetDevice(int *d)
{
	flog("hipGetDevice");
	*d = __atomic_load_n(&device, __ATOMIC_RELAXED);
	return hipSuccess;
}

hipError_t hipSetDevice(int d)
{
	flog("hipSetDevice d=%d", d);
	if (d != 0)
		return hipErrorInvalidDevice;
	__atomic_store_n(&device, d, __ATOMIC_RELAXED);
	return hipSuccess;
}

/* ROCm 6.1's lookup, for a few names: the fake's own functions. */
hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hip_version,
			     uint64_t flags, int *status);
hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hip_version,
			     uint64_t flags, int *status)
{
	static const struct { const char *name; void *fn; } fns[] = {
		{ "hipLaunchKernel", (void *)hipLaunchKernel },
		{ "hipMemsetAsync", (void *)hipMemsetAsync },
		{ "hipStreamSynchronize", (void *)hipStreamSynchronize },
	};
	flog("hipGetProcAddress %s v=%d fl=%llu", symbol, hip_version, (unsigned long long)flags);
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (strcmp(fns[i].name, symbol) == 0) {
			*pfn = fns[i].fn;
			if (status)
				*status = 0;
			return hipSuccess;
		}
	*pfn = NULL;
	if (status)
		*status = 1;
	return hipErrorNotFound;
}
