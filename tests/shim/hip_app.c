/*
 * tests/shim/hip_app.c: a test application for the shimamd suite, linked
 * against (the fake) libamdhip64.so.5 with versioned references, as
 * PyTorch's libraries are. `hip_app MODE`; exit 0 when every call returned
 * what it should, 1 otherwise (the message on stderr).
 *   paths     every intercepted function once, on created, legacy and
 *             per-thread streams
 *   order     two threads, each 200 mixed commands on its own stream
 *   wait      stream B waits on an event of stream A (FAKE_HIP_KERNEL_US)
 *   capture   launches on a capturing stream, then the graph launched
 *   rocblas   dlopen of a library that launches as rocBLAS does
 *   rtldnext  an interposer's dlsym(RTLD_NEXT) still finds the next one
 *   xwait     the high-priority stream waits on an event recorded on the
 *             low-priority one while it is held back (must not hang)
 *   gpa       hipLaunchKernel and hipMemsetAsync through hipGetProcAddress
 *             (ROCm 6.1's, found with dlsym as a newer-ROCm probe would)
 *   bench     prints ns per hipLaunchKernel (APP_N calls, default 1e6)
 *   flood     40 kernels on one stream, then a sync
 *   record    12 requests of a copy, a kernel by pointer and a module
 *             kernel on a created stream, a query (not a sync), ended
 *             by hipStreamSynchronize (FAKE_HIP_KERNEL_US)
 *   prio      a low-priority stream floods 60 kernels; 10 ms in, a
 *             high-priority stream (hipStreamCreateWithPriority -1, or
 *             APP_HP_PRIO) runs 5
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hip/hip_runtime_api.h>

hipError_t ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1, uint32_t fl)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");
hipError_t hcc_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1)
	__asm__("_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_");
hipError_t ggl_launch(uintptr_t f, const dim3 *g, const dim3 *b, uint32_t sh,
		      hipStream_t s, void **a)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");

static int failures;

#define OK(call) do { \
	hipError_t r_ = (call); \
	if (r_ != hipSuccess) { \
		fprintf(stderr, "app:%d: %s = %d\n", __LINE__, #call, (int)r_); \
		failures++; \
	} \
} while (0)

#define P(n) ((void *)(uintptr_t)(n))
#define F(n) ((const void *)(uintptr_t)(n))

static dim3 d3(unsigned x, unsigned y, unsigned z)
{
	dim3 d = { x, y, z };
	return d;
}

static void record(void)
{
	hipStream_t s;
	OK(hipStreamCreate(&s));
	for (int r = 0; r < 12; r++) {
		OK(hipMemcpyAsync(P(0x5000), P(0x6000), 4096, hipMemcpyHostToDevice, s));
		OK(hipLaunchKernel(F(0x200), d3(8, 2, 1), d3(256, 1, 1), P(0x900), 64, s));
		OK(hipModuleLaunchKernel((hipFunction_t)P(0x300), 4, 1, 1, 64, 1, 1, 0, s,
					 P(0x900), NULL));
		hipStreamQuery(s);
		OK(hipStreamSynchronize(s));
	}
	OK(hipStreamDestroy(s));
}

static void paths(void)
{
	hipStream_t s1, s2, s3, s4;
	hipEvent_t e;
	OK(hipStreamCreate(&s1));
	OK(hipStreamCreateWithFlags(&s2, hipStreamNonBlocking));
	OK(hipStreamCreateWithPriority(&s3, 0, -1));
	uint32_t mask[2] = { 0xff, 0 };
	OK(hipExtStreamCreateWithCUMask(&s4, 2, mask));
	OK(hipEventCreateWithFlags(&e, hipEventDisableTiming));
	dim3 g = d3(8, 2, 1), b = d3(256, 1, 1);
	OK(hipLaunchKernel(F(0x100), g, b, P(0x900), 11, s1));
	OK(hipLaunchKernel(F(0x101), g, b, P(0x900), 12, NULL));
	OK(hipLaunchKernel_spt(F(0x102), g, b, P(0x900), 13, NULL));
	OK(hipLaunchCooperativeKernel(F(0x103), g, b, P(0x900), 14, s2));
	OK(hipLaunchCooperativeKernel_spt(F(0x104), g, b, P(0x900), 15, hipStreamPerThread));
	OK(hipExtLaunchKernel(F(0x105), g, b, P(0x900), 16, s3, NULL, NULL, 0));
	OK(hipModuleLaunchKernel((hipFunction_t)P(0x106), 4, 1, 1, 64, 1, 1, 17, s3, P(0x900), NULL));
	OK(ext_module_launch((hipFunction_t)P(0x107), 1024, 1, 1, 256, 1, 1, 18, s4, P(0x900), NULL, NULL, NULL, 0));
	OK(hcc_module_launch((hipFunction_t)P(0x108), 1024, 1, 1, 256, 1, 1, 19, s4, P(0x900), NULL, NULL, NULL));
	OK(ggl_launch(0x109, &g, &b, 20, s1, P(0x900)));
	OK(hipGraphLaunch((hipGraphExec_t)P(0x10a), s2));
	OK(hipMemcpyAsync(P(0xa00), P(0xb00), 21, hipMemcpyHostToDevice, s1));
	OK(hipMemcpyAsync_spt(P(0xa00), P(0xb00), 22, hipMemcpyDeviceToHost, NULL));
	OK(hipMemcpyWithStream(P(0xa00), P(0xb00), 23, hipMemcpyDeviceToDevice, s2));
	OK(hipMemcpyHtoDAsync(P(0xa00), P(0xb00), 24, s1));
	OK(hipMemcpyDtoHAsync(P(0xa00), P(0xb00), 25, s1));
	OK(hipMemcpyDtoDAsync(P(0xa00), P(0xb00), 26, s1));
	OK(hipMemcpy2DAsync(P(0xa00), 64, P(0xb00), 64, 27, 2, hipMemcpyDefault, s1));
	OK(hipMemcpy2DToArrayAsync(P(0xc00), 0, 0, P(0xb00), 64, 28, 2, hipMemcpyDefault, s1));
	OK(hipMemcpy2DFromArrayAsync(P(0xa00), 64, P(0xc00), 0, 0, 29, 2, hipMemcpyDefault, s1));
	OK(hipMemcpy3DAsync(P(0xd00), s1));
	OK(hipDrvMemcpy3DAsync(P(0xd10), s1));
	OK(hipMemcpyParam2DAsync(P(0xd20), s1));
	OK(hipMemcpyPeerAsync(P(0xa00), 0, P(0xb00), 0, 30, s1));
	OK(hipMemcpyToSymbolAsync(P(0xe00), P(0xb00), 31, 0, hipMemcpyHostToDevice, s1));
	OK(hipMemcpyFromSymbolAsync(P(0xa00), P(0xe00), 32, 0, hipMemcpyDeviceToHost, s1));
	OK(hipMemPrefetchAsync(P(0xa00), 33, 0, s1));
	OK(hipMemsetAsync(P(0xa00), 1, 34, s1));
	OK(hipMemsetD8Async(P(0xa00), 2, 35, s1));
	OK(hipMemsetD16Async(P(0xa00), 3, 36, s1));
	OK(hipMemsetD32Async(P(0xa00), 4, 37, s1));
	OK(hipMemset2DAsync(P(0xa00), 64, 5, 38, 2, s1));
	hipPitchedPtr pp = { P(0xa00), 64, 64, 1 };
	hipExtent ex = { 39, 2, 1 };
	OK(hipMemset3DAsync(pp, 6, ex, s1));
	OK(hipEventRecord(e, s1));
	OK(hipStreamWaitEvent(s2, e, 0));
	OK(hipStreamWaitEvent_spt(NULL, e, 0));
	OK(hipStreamQuery(s1));
	OK(hipStreamQuery_spt(NULL));
	OK(hipEventQuery(e));
	OK(hipStreamSynchronize(s1));
	OK(hipStreamSynchronize_spt(NULL));
	OK(hipEventSynchronize(e));
	OK(hipCtxSynchronize());
	OK(hipDeviceSynchronize());
	OK(hipEventDestroy(e));
	OK(hipStreamDestroy(s1));
	OK(hipStreamDestroy(s2));
	OK(hipStreamDestroy(s3));
	OK(hipStreamDestroy(s4));
}

struct worker {
	hipStream_t s;
	hipEvent_t e;
};

static void *order_worker(void *arg)
{
	struct worker *w = arg;
	for (unsigned i = 0; i < 200; i++) {
		switch (i % 4) {
		case 0: OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, i, w->s)); break;
		case 1: OK(hipMemcpyAsync(P(0xa00), P(0xb00), i, hipMemcpyDefault, w->s)); break;
		case 2: OK(hipMemsetAsync(P(0xa00), 0, i, w->s)); break;
		case 3: OK(hipModuleLaunchKernel((hipFunction_t)P(0x106), 1, 1, 1, 1, 1, 1, i, w->s, NULL, NULL)); break;
		}
	}
	OK(hipStreamSynchronize(w->s));
	return NULL;
}

static void order(void)
{
	struct worker w[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		OK(hipStreamCreate(&w[i].s));
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, order_worker, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		OK(hipStreamDestroy(w[i].s));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Each kernel takes FAKE_HIP_KERNEL_US: B's kernel starts after A's. */
static void wait_case(void)
{
	hipStream_t a, b;
	hipEvent_t e;
	OK(hipStreamCreate(&a));
	OK(hipStreamCreate(&b));
	OK(hipEventCreate(&e));
	double t0 = now_s();
	OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 1, a));
	OK(hipEventRecord(e, a));
	OK(hipStreamWaitEvent(b, e, 0));
	OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 2, b));
	OK(hipStreamSynchronize(b));
	double dt = now_s() - t0;
	OK(hipEventQuery(e));
	const char *us = getenv("FAKE_HIP_KERNEL_US");
	double want = us ? 2 * atof(us) * 1e-6 : 0;
	if (dt < want * 0.95) {
		fprintf(stderr, "app: wait took %.3f s, want >= %.3f s\n", dt, want);
		failures++;
	}
	OK(hipEventDestroy(e));
	OK(hipStreamDestroy(a));
	OK(hipStreamDestroy(b));
}

static void xwait(void)
{
	hipStream_t lp, hp;
	hipEvent_t e;
	OK(hipStreamCreateWithPriority(&lp, 0, 0));
	OK(hipStreamCreateWithPriority(&hp, 0, -1));
	OK(hipEventCreateWithFlags(&e, hipEventDisableTiming));
	for (unsigned i = 0; i < 3; i++)
		OK(hipLaunchKernel(F(0x101), d3(1, 1, 1), d3(1, 1, 1), NULL, i, hp));
	OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 0, lp));
	OK(hipEventRecord(e, lp));
	OK(hipStreamWaitEvent(hp, e, 0));
	OK(hipLaunchKernel(F(0x101), d3(1, 1, 1), d3(1, 1, 1), NULL, 3, hp));
	OK(hipStreamSynchronize(hp));
	OK(hipEventQuery(e));
	OK(hipEventDestroy(e));
	OK(hipStreamDestroy(lp));
	OK(hipStreamDestroy(hp));
}

static void capture(void)
{
	hipStream_t s;
	hipGraph_t g;
	OK(hipStreamCreate(&s));
	OK(hipStreamBeginCapture(s, hipStreamCaptureModeGlobal));
	OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 1, s));
	OK(hipMemsetAsync(P(0xa00), 0, 2, s));
	OK(hipStreamEndCapture(s, &g));
	OK(hipGraphLaunch((hipGraphExec_t)g, s));
	OK(hipStreamSynchronize(s));
	OK(hipStreamDestroy(s));
}

static void rocblas(void)
{
	void *h = dlopen("librocblas_like.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "app: %s\n", dlerror());
		failures++;
		return;
	}
	int (*run)(void) = (int (*)(void))dlsym(h, "rocblas_like_run");
	if (!run || run() != 0) {
		fprintf(stderr, "app: rocblas_like_run failed\n");
		failures++;
	}
}

static void gpa(void)
{
	typedef hipError_t (*gpa_fn)(const char *, void **, int, uint64_t, int *);
	gpa_fn get = (gpa_fn)dlsym(RTLD_DEFAULT, "hipGetProcAddress");
	__typeof__(hipLaunchKernel) *launch = NULL;
	__typeof__(hipMemsetAsync) *set = NULL;
	if (!get || get("hipLaunchKernel", (void **)&launch, 601, 0, NULL) != hipSuccess ||
	    get("hipMemsetAsync", (void **)&set, 601, 0, NULL) != hipSuccess || !launch || !set) {
		fprintf(stderr, "app: hipGetProcAddress failed\n");
		failures++;
		return;
	}
	hipStream_t s;
	OK(hipStreamCreate(&s));
	OK(launch(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 0, s));
	OK(set(P(0xa00), 0, 1, s));
	OK(hipStreamSynchronize(s));
	OK(hipStreamDestroy(s));
}

static void bench(void)
{
	hipStream_t s;
	OK(hipStreamCreate(&s));
	const char *n_s = getenv("APP_N");
	long n = n_s ? atol(n_s) : 1000000;
	double t0 = now_s();
	const char *e_s = getenv("APP_SYNC_EVERY");
	long every = e_s ? atol(e_s) : 0;
	for (long i = 0; i < n; i++) {
		OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, 0, s));
		if (every > 0 && (i + 1) % every == 0)
			OK(hipStreamSynchronize(s));
	}
	double dt = now_s() - t0;
	OK(hipStreamSynchronize(s));
	OK(hipStreamDestroy(s));
	printf("%.1f ns per hipLaunchKernel (%ld calls)\n", dt * 1e9 / (double)n, n);
}

static void flood(void)
{
	hipStream_t s;
	OK(hipStreamCreate(&s));
	for (unsigned i = 0; i < 40; i++)
		OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, i, s));
	OK(hipStreamSynchronize(s));
	OK(hipStreamDestroy(s));
}

static void *lp_worker(void *arg)
{
	hipStream_t s = arg;
	for (unsigned i = 0; i < 60; i++)
		OK(hipLaunchKernel(F(0x100), d3(1, 1, 1), d3(1, 1, 1), NULL, i, s));
	OK(hipStreamSynchronize(s));
	return NULL;
}

static void prio(void)
{
	hipStream_t lp, hp;
	pthread_t t;
	OK(hipStreamCreateWithPriority(&lp, 0, 0));
	const char *hp_prio = getenv("APP_HP_PRIO");   /* a control run: 0 */
	OK(hipStreamCreateWithPriority(&hp, 0, hp_prio ? atoi(hp_prio) : -1));
	pthread_create(&t, NULL, lp_worker, lp);
	nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	for (unsigned i = 0; i < 5; i++)
		OK(hipLaunchKernel(F(0x101), d3(1, 1, 1), d3(1, 1, 1), NULL, i, hp));
	OK(hipStreamSynchronize(hp));
	pthread_join(t, NULL);
	OK(hipStreamDestroy(lp));
	OK(hipStreamDestroy(hp));
}

int probe_fn(void);

static void rtldnext(void)
{
	int v = probe_fn();
	if (v != 101) {
		fprintf(stderr, "app: probe_fn() = %d, want 101\n", v);
		failures++;
	}
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } modes[] = {
		{ "paths", paths }, { "order", order }, { "wait", wait_case },
		{ "capture", capture }, { "rocblas", rocblas }, { "rtldnext", rtldnext },
		{ "xwait", xwait }, { "flood", flood }, { "prio", prio },
		{ "bench", bench }, { "gpa", gpa }, { "record", record },
	};
	for (size_t i = 0; argc == 2 && i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(argv[1], modes[i].name) == 0) {
			modes[i].fn();
			return failures ? 1 : 0;
		}
	fprintf(stderr, "usage: hip_app paths|order|wait|capture|rocblas|rtldnext|xwait|flood|prio|bench|gpa|record\n");
	return 2;
}
