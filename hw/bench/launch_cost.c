/*
 * What a driver call costs the host, natively or under libhipsched.so
 * (LD_PRELOAD): reaches the driver as a static cudart does (dlopen
 * libcuda.so.1, cuGetProcAddress_v2, every function through it), loads an
 * empty kernel from PTX, and times, each the best of 5 rounds of N calls
 * on the legacy stream:
 *   launch      cuLaunchKernel of the empty kernel, a cuStreamSynchronize
 *               after every SYNC_EVERY (an application's request: ResNet-18
 *               b1 makes 126 calls a request, h200.md 15)
 *   capturing   cuStreamIsCapturing (the library asks it before each call)
 *   record      cuEventRecord of one event (a marker, every batch-th call)
 *   query       cuEventQuery of a completed event (the poller's look)
 *   event       cuEventCreate + cuEventDestroy
 * Prints one line per figure and writes them to OUT.json.
 *
 *     launch_cost OUT.json [N [SYNC_EVERY]]     (N default 100000, SYNC_EVERY 126)
 *
 * Run natively, then with LD_PRELOAD=libhipsched.so (HIPSCHED_POLICY=hpf,
 * HIPSCHED_STATS=...: the library's own time a call): the difference in
 * `launch` is what the library adds; the other figures are what its own
 * driver calls cost it. Exit 0, 1 on a driver error (named), 2 on usage.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cuda.h>

static const char noop_ptx[] =
	".version 6.0\n"
	".target sm_50\n"
	".address_size 64\n"
	".visible .entry hs_noop()\n"
	"{\n"
	"\tret;\n"
	"}\n";

#define FUNCS(X) \
	X(init, cuInit, "cuInit") \
	X(dev_get, cuDeviceGet, "cuDeviceGet") \
	X(retain, cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain") \
	X(set_ctx, cuCtxSetCurrent, "cuCtxSetCurrent") \
	X(mod_load, cuModuleLoadData, "cuModuleLoadData") \
	X(mod_fn, cuModuleGetFunction, "cuModuleGetFunction") \
	X(launch, cuLaunchKernel, "cuLaunchKernel") \
	X(ssync, cuStreamSynchronize, "cuStreamSynchronize") \
	X(capturing, cuStreamIsCapturing, "cuStreamIsCapturing") \
	X(ev_create, cuEventCreate, "cuEventCreate") \
	X(ev_destroy, cuEventDestroy_v2, "cuEventDestroy") \
	X(ev_record, cuEventRecord, "cuEventRecord") \
	X(ev_query, cuEventQuery, "cuEventQuery")

#define FIELD(f, type, name) __typeof__(&type) f;
static struct { FUNCS(FIELD) } d;

static void check(CUresult r, const char *what)
{
	if (r != CUDA_SUCCESS) {
		fprintf(stderr, "launch_cost: %s: CUDA error %d\n", what, (int)r);
		exit(1);
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void resolve(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "launch_cost: libcuda.so.1: %s\n", dlerror());
		exit(1);
	}
	CUresult (*gpa)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);
	*(void **)&gpa = dlsym(h, "cuGetProcAddress_v2");
	if (!gpa) {
		fprintf(stderr, "launch_cost: libcuda.so.1 has no cuGetProcAddress_v2\n");
		exit(1);
	}
#define GET(f, type, name) check(gpa(name, (void **)&d.f, 12000, CU_GET_PROC_ADDRESS_DEFAULT, \
				     NULL), "cuGetProcAddress(" name ")");
	FUNCS(GET)
}

enum { F_LAUNCH, F_CAPTURING, F_RECORD, F_QUERY, F_EVENT, NFIG };
static const char *const fig_name[NFIG] = { "launch", "capturing", "record", "query", "event" };

/* ns per call of figure f over n calls (one round). */
static double round_of(int f, long n, long every, CUfunction k, CUevent ev)
{
	CUstreamCaptureStatus cs;
	CUevent e;
	int64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		switch (f) {
		case F_LAUNCH:
			check(d.launch(k, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL), "cuLaunchKernel");
			if ((i + 1) % every == 0)
				check(d.ssync(NULL), "cuStreamSynchronize");
			break;
		case F_CAPTURING:
			check(d.capturing(NULL, &cs), "cuStreamIsCapturing");
			break;
		case F_RECORD:
			check(d.ev_record(ev, NULL), "cuEventRecord");
			break;
		case F_QUERY:
			check(d.ev_query(ev), "cuEventQuery");
			break;
		case F_EVENT:
			check(d.ev_create(&e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
			check(d.ev_destroy(e), "cuEventDestroy");
			break;
		}
	}
	double ns = (double)(now_ns() - t0) / (double)n;
	check(d.ssync(NULL), "cuStreamSynchronize");
	return ns;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s OUT.json [N [SYNC_EVERY]]\n", argv[0]);
		return 2;
	}
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
	long every = argc > 3 ? strtol(argv[3], NULL, 10) : 126;
	if (n < 1 || every < 1) {
		fprintf(stderr, "launch_cost: N and SYNC_EVERY must be positive\n");
		return 2;
	}
	resolve();
	CUdevice dev;
	CUcontext ctx;
	CUmodule mod;
	CUfunction k;
	CUevent ev;
	check(d.init(0), "cuInit");
	check(d.dev_get(&dev, 0), "cuDeviceGet");
	check(d.retain(&ctx, dev), "cuDevicePrimaryCtxRetain");
	check(d.set_ctx(ctx), "cuCtxSetCurrent");
	check(d.mod_load(&mod, noop_ptx), "cuModuleLoadData");
	check(d.mod_fn(&k, mod, "hs_noop"), "cuModuleGetFunction");
	check(d.ev_create(&ev, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
	round_of(F_LAUNCH, every, every, k, ev);          /* warm-up */
	double best[NFIG];
	for (int f = 0; f < NFIG; f++) {
		best[f] = 1e30;
		long nf = f == F_EVENT ? (n + 9) / 10 : n;
		for (int r = 0; r < 5; r++) {
			double ns = round_of(f, nf, every, k, ev);
			if (ns < best[f])
				best[f] = ns;
		}
		printf("%-10s %9.1f ns per call (best of 5 x %ld", fig_name[f], best[f], nf);
		printf(f == F_LAUNCH ? ", a sync every %ld)\n" : ")\n", every);
	}
	check(d.ev_destroy(ev), "cuEventDestroy");
	/* written whole or not at all */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *o = fopen(tmp, "w");
	if (!o) {
		perror(tmp);
		return 1;
	}
	fprintf(o, "{\"n\": %ld, \"sync_every\": %ld, \"ns\": {", n, every);
	for (int f = 0; f < NFIG; f++)
		fprintf(o, "%s\"%s\": %.1f", f ? ", " : "", fig_name[f], best[f]);
	fprintf(o, "}}\n");
	if (fclose(o) || rename(tmp, argv[1])) {
		perror(argv[1]);
		unlink(tmp);
		return 1;
	}
	return 0;
}
