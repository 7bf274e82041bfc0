/*
 * The shim's test program: reaches the (fake) driver the way real code
 * does, chosen at build time:
 *   APP_GPA    dlopen("libcuda.so.1"), dlsym("cuGetProcAddress_v2"), then
 *              cuGetProcAddress itself and every function through it, with
 *              the per-thread flag for the _ptsz ones (cudart);
 *   APP_DLSYM  dlopen + dlsym of every name (Triton);
 *   APP_LINK   linked against libcuda.so.1.
 * Usage: app SCENARIO [N] (load and same: app SCENARIO k=v,k=v); see
 * main() for the scenarios. A kernel's
 * CUfunction is its duration in us on the fake (tests/shim/fakecuda.c),
 * gridDimY its sequence number. Exit 0 on success.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cuda.h>

/* X(field, function whose type it has, symbol, cuGetProcAddress name, ptds) */
#define FUNCS(X) \
	X(launch, cuLaunchKernel, cuLaunchKernel, "cuLaunchKernel", 0) \
	X(launch_p, cuLaunchKernel, cuLaunchKernel_ptsz, "cuLaunchKernel", 1) \
	X(launchex, cuLaunchKernelEx, cuLaunchKernelEx, "cuLaunchKernelEx", 0) \
	X(launchex_p, cuLaunchKernelEx, cuLaunchKernelEx_ptsz, "cuLaunchKernelEx", 1) \
	X(coop, cuLaunchCooperativeKernel, cuLaunchCooperativeKernel, "cuLaunchCooperativeKernel", 0) \
	X(coop_p, cuLaunchCooperativeKernel, cuLaunchCooperativeKernel_ptsz, "cuLaunchCooperativeKernel", 1) \
	X(graph, cuGraphLaunch, cuGraphLaunch, "cuGraphLaunch", 0) \
	X(graph_p, cuGraphLaunch, cuGraphLaunch_ptsz, "cuGraphLaunch", 1) \
	X(cpy, cuMemcpyAsync, cuMemcpyAsync, "cuMemcpyAsync", 0) \
	X(cpy_p, cuMemcpyAsync, cuMemcpyAsync_ptsz, "cuMemcpyAsync", 1) \
	X(htod, cuMemcpyHtoDAsync_v2, cuMemcpyHtoDAsync_v2, "cuMemcpyHtoDAsync", 0) \
	X(htod_p, cuMemcpyHtoDAsync_v2, cuMemcpyHtoDAsync_v2_ptsz, "cuMemcpyHtoDAsync", 1) \
	X(dtoh, cuMemcpyDtoHAsync_v2, cuMemcpyDtoHAsync_v2, "cuMemcpyDtoHAsync", 0) \
	X(dtoh_p, cuMemcpyDtoHAsync_v2, cuMemcpyDtoHAsync_v2_ptsz, "cuMemcpyDtoHAsync", 1) \
	X(dtod, cuMemcpyDtoDAsync_v2, cuMemcpyDtoDAsync_v2, "cuMemcpyDtoDAsync", 0) \
	X(dtod_p, cuMemcpyDtoDAsync_v2, cuMemcpyDtoDAsync_v2_ptsz, "cuMemcpyDtoDAsync", 1) \
	X(c2d, cuMemcpy2DAsync_v2, cuMemcpy2DAsync_v2, "cuMemcpy2DAsync", 0) \
	X(c2d_p, cuMemcpy2DAsync_v2, cuMemcpy2DAsync_v2_ptsz, "cuMemcpy2DAsync", 1) \
	X(c3d, cuMemcpy3DAsync_v2, cuMemcpy3DAsync_v2, "cuMemcpy3DAsync", 0) \
	X(c3d_p, cuMemcpy3DAsync_v2, cuMemcpy3DAsync_v2_ptsz, "cuMemcpy3DAsync", 1) \
	X(set8, cuMemsetD8Async, cuMemsetD8Async, "cuMemsetD8Async", 0) \
	X(set8_p, cuMemsetD8Async, cuMemsetD8Async_ptsz, "cuMemsetD8Async", 1) \
	X(set16, cuMemsetD16Async, cuMemsetD16Async, "cuMemsetD16Async", 0) \
	X(set16_p, cuMemsetD16Async, cuMemsetD16Async_ptsz, "cuMemsetD16Async", 1) \
	X(set32, cuMemsetD32Async, cuMemsetD32Async, "cuMemsetD32Async", 0) \
	X(set32_p, cuMemsetD32Async, cuMemsetD32Async_ptsz, "cuMemsetD32Async", 1) \
	X(evrec, cuEventRecord, cuEventRecord, "cuEventRecord", 0) \
	X(evrec_p, cuEventRecord, cuEventRecord_ptsz, "cuEventRecord", 1) \
	X(evrecf, cuEventRecordWithFlags, cuEventRecordWithFlags, "cuEventRecordWithFlags", 0) \
	X(evrecf_p, cuEventRecordWithFlags, cuEventRecordWithFlags_ptsz, "cuEventRecordWithFlags", 1) \
	X(wait, cuStreamWaitEvent, cuStreamWaitEvent, "cuStreamWaitEvent", 0) \
	X(wait_p, cuStreamWaitEvent, cuStreamWaitEvent_ptsz, "cuStreamWaitEvent", 1) \
	X(ssync, cuStreamSynchronize, cuStreamSynchronize, "cuStreamSynchronize", 0) \
	X(ssync_p, cuStreamSynchronize, cuStreamSynchronize_ptsz, "cuStreamSynchronize", 1) \
	X(squery, cuStreamQuery, cuStreamQuery, "cuStreamQuery", 0) \
	X(ctxsync, cuCtxSynchronize, cuCtxSynchronize, "cuCtxSynchronize", 0) \
	X(evsync, cuEventSynchronize, cuEventSynchronize, "cuEventSynchronize", 0) \
	X(evquery, cuEventQuery, cuEventQuery, "cuEventQuery", 0) \
	X(bcpy, cuMemcpyHtoD_v2, cuMemcpyHtoD_v2, "cuMemcpyHtoD", 0) \
	X(screate, cuStreamCreate, cuStreamCreate, "cuStreamCreate", 0) \
	X(screatep, cuStreamCreateWithPriority, cuStreamCreateWithPriority, "cuStreamCreateWithPriority", 0) \
	X(sdestroy, cuStreamDestroy_v2, cuStreamDestroy_v2, "cuStreamDestroy", 0) \
	X(evcreate, cuEventCreate, cuEventCreate, "cuEventCreate", 0) \
	X(evdestroy, cuEventDestroy_v2, cuEventDestroy_v2, "cuEventDestroy", 0) \
	X(capbegin, cuStreamBeginCapture_v2, cuStreamBeginCapture_v2, "cuStreamBeginCapture", 0) \
	X(capend, cuStreamEndCapture, cuStreamEndCapture, "cuStreamEndCapture", 0) \
	X(init, cuInit, cuInit, "cuInit", 0)

#define DECL(f, type, sym, base, ptds) extern __typeof__(type) sym;
FUNCS(DECL)
#define FIELD(f, type, sym, base, ptds) __typeof__(&type) f;
static struct { FUNCS(FIELD) } d;

static void die(const char *what)
{
	fprintf(stderr, "app: %s\n", what);
	exit(3);
}

static void load(void)
{
#ifdef APP_LINK
#define SET(f, type, sym, base, ptds) d.f = &sym;
	FUNCS(SET)
#else
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	if (!h)
		die(dlerror());
#ifdef APP_DLSYM
#define SET(f, type, sym, base, ptds) \
	if (!(*(void **)&d.f = dlsym(h, #sym))) die("dlsym " #sym);
	FUNCS(SET)
#else
	CUresult (*gpa0)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);
	CUresult (*gpa)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);
	if (!(*(void **)&gpa0 = dlsym(h, "cuGetProcAddress_v2")))
		die("dlsym cuGetProcAddress_v2");
	if (gpa0("cuGetProcAddress", (void **)&gpa, 12080, 0, NULL) || !gpa)
		die("cuGetProcAddress(cuGetProcAddress)");
#define SET(f, type, sym, base, ptds) \
	if (gpa(base, (void **)&d.f, 12080, ptds ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM \
			: CU_GET_PROC_ADDRESS_LEGACY_STREAM, NULL) || !d.f) die("gpa " base);
	FUNCS(SET)
#endif
#endif
	d.init(0);
}

#define K(us) ((CUfunction)(uintptr_t)(us))
static void kern(CUstream s, unsigned us, unsigned seq)
{
	if (d.launch(K(us), 1, seq, 1, 1, 1, 1, 0, s, NULL, NULL))
		die("launch");
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Every intercepted stream-ordered call once on s (and the ptds ones on the
 * per-thread stream), then the host syncs. */
static int paths(void)
{
	CUstream s;
	CUevent ev;
	char host[64];
	CUDA_MEMCPY2D m2 = { 0 };
	CUDA_MEMCPY3D m3 = { 0 };
	CUlaunchConfig cfg = { .gridDimX = 1, .gridDimY = 1, .gridDimZ = 1 };
	d.screate(&s, 0);
	d.evcreate(&ev, 0);
	CUstream pt = CU_STREAM_PER_THREAD;
	kern(s, 1, 0);
	d.launch_p(K(1), 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL);
	cfg.hStream = s;
	d.launchex(&cfg, K(1), NULL, NULL);
	cfg.hStream = NULL;
	d.launchex_p(&cfg, K(1), NULL, NULL);
	d.coop(K(1), 1, 1, 1, 1, 1, 1, 0, s, NULL);
	d.coop_p(K(1), 1, 1, 1, 1, 1, 1, 0, pt, NULL);
	d.graph((CUgraphExec)(uintptr_t)1, s);
	d.graph_p((CUgraphExec)(uintptr_t)1, NULL);
	d.cpy(0, 0, 8, s);
	d.cpy_p(0, 0, 8, NULL);
	d.htod(0, host, 8, s);
	d.htod_p(0, host, 8, NULL);
	d.dtoh(host, 0, 8, s);
	d.dtoh_p(host, 0, 8, pt);
	d.dtod(0, 0, 8, s);
	d.dtod_p(0, 0, 8, NULL);
	d.c2d(&m2, s);
	d.c2d_p(&m2, NULL);
	d.c3d(&m3, s);
	d.c3d_p(&m3, NULL);
	d.set8(0, 1, 8, s);
	d.set8_p(0, 1, 8, NULL);
	d.set16(0, 1, 8, s);
	d.set16_p(0, 1, 8, NULL);
	d.set32(0, 1, 8, s);
	d.set32_p(0, 1, 8, NULL);
	d.evrec(ev, s);
	d.evrec_p(ev, NULL);
	d.evrecf(ev, s, 0);
	d.evrecf_p(ev, NULL, 0);
	d.wait(s, ev, 0);
	d.wait_p(NULL, ev, 0);
	kern(NULL, 1, 0);                 /* legacy */
	kern(CU_STREAM_LEGACY, 1, 1);
	d.squery(s);
	d.evquery(ev);
	d.evsync(ev);
	d.bcpy(0, host, 8);
	d.ssync(s);
	d.ssync_p(NULL);
	d.ctxsync();
	d.sdestroy(s);
	d.evdestroy(ev);
	return 0;
}

struct worker { CUstream s; int n; unsigned us; int started; pthread_mutex_t mu; pthread_cond_t cv; };

static void *order_thread(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->n; i++) {
		kern(w->s, w->us, (unsigned)i);
		if (i == 0) {
			pthread_mutex_lock(&w->mu);
			w->started = 1;
			pthread_cond_signal(&w->cv);
			pthread_mutex_unlock(&w->mu);
		}
	}
	d.ssync(w->s);
	return NULL;
}

static void start(struct worker *w, pthread_t *t, CUstream s, int n, unsigned us)
{
	*w = (struct worker){ .s = s, .n = n, .us = us };
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_create(t, NULL, order_thread, w);
}

static void await_started(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (!w->started)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Three threads on three streams, and the legacy stream. */
static int order(int n)
{
	struct worker w[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		CUstream s;
		d.screate(&s, 0);
		start(&w[i], &t[i], s, n, 20);
	}
	for (int i = 0; i < n; i++)
		kern(NULL, 10, (unsigned)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	d.ssync(NULL);
	return 0;
}

/* n kernels of 500 us on one stream. */
static int threshold(int n)
{
	CUstream s;
	d.screate(&s, 0);
	for (int i = 0; i < n; i++)
		kern(s, 500, (unsigned)i);
	d.ssync(s);
	return 0;
}

/* A high-priority stream busy for n x 5 ms (another thread), then 5
 * kernels on a low-priority one. */
static int suspend(int n)
{
	CUstream hi, lo;
	d.screatep(&lo, 0, 0);
	d.screatep(&hi, 0, -1);
	struct worker w;
	pthread_t t;
	start(&w, &t, hi, n, 5000);
	await_started(&w);
	for (int i = 0; i < 5; i++)
		kern(lo, 1000, (unsigned)i);
	d.ssync(lo);
	pthread_join(t, NULL);
	return 0;
}

/* Stream A (high, kept busy by a thread) waits on an event recorded on
 * stream B (low, suspended while A is busy). */
static int eventwait(void)
{
	CUstream a, b;
	CUevent ev;
	d.screatep(&b, 0, 0);
	d.screatep(&a, 0, -1);
	d.evcreate(&ev, 0);
	kern(b, 2000, 0);
	struct worker w;
	pthread_t t;
	start(&w, &t, a, 10, 3000);
	await_started(&w);
	d.evrec(ev, b);           /* held while b is suspended */
	d.wait(a, ev, 0);
	kern(a, 100, 99);
	d.ssync(a);
	pthread_join(t, NULL);
	d.ssync(b);
	return 0;
}

static int forkit(void)
{
	kern(NULL, 100, 0);
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		for (int i = 0; i < 20; i++)
			kern(NULL, 100, (unsigned)i);
		d.ssync(NULL);
		exit(0);          /* atexit handlers: the child's statistics */
	}
	kern(NULL, 100, 1);
	int st;
	waitpid(p, &st, 0);
	d.ssync(NULL);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 4;
}

/* exit() while a thread is held on a suspended stream and work is in
 * flight. */
static int exitnow(void)
{
	CUstream hi, lo;
	d.screatep(&lo, 0, 0);
	d.screatep(&hi, 0, -1);
	struct worker wh, wl;
	pthread_t th, tl;
	start(&wh, &th, hi, 50, 20000);
	await_started(&wh);
	start(&wl, &tl, lo, 50, 20000);
	usleep(20000);
	exit(0);
}

static int capture(void)
{
	CUstream s;
	CUgraph g;
	d.screate(&s, 0);
	d.capbegin(s, CU_STREAM_CAPTURE_MODE_GLOBAL);
	kern(s, 1, 0);
	kern(s, 1, 1);
	d.capend(s, &g);
	kern(s, 1, 2);
	d.ssync(s);
	return 0;
}

/* ---- load and same: one stream's requests, and two of one process ---------- */
/* Host work between a request's launches, us (load's `gap`: a host gap
 * longer than the library's quiet period lets the stream go idle). */
static long host_gap_us;

/* One request: an async host-to-device copy when `copy`, `k` kernels of
 * `us` on s (sequence numbers from *seq), host_gap_us of host work between
 * two, a stream sync; its latency from `arrival` in us. */
static double request(CUstream s, int copy, int k, unsigned us, unsigned *seq,
		      int64_t arrival)
{
	static char host[256];
	if (copy && d.htod(0, host, sizeof(host), s))
		die("htod");
	for (int i = 0; i < k; i++) {
		if (i && host_gap_us)
			for (int64_t t = now_ns() + host_gap_us * 1000; now_ns() < t;)
				;
		kern(s, us, (*seq)++);
	}
	if (d.ssync(s))
		die("sync");
	return (double)(now_ns() - arrival) / 1e3;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Requests on s: every `period_us` from the start (0: back to back), n of
 * them, or for `ms` when n is 0; latencies (from the scheduled arrival)
 * into *lat (malloc'ed), their count returned. */
static size_t requests(CUstream s, int copy, int k, unsigned us, unsigned *seq,
		       long period_us, long n, long ms, double **lat)
{
	size_t cap = 64, cnt = 0;
	*lat = malloc(cap * sizeof(**lat));
	int64_t t0 = now_ns(), stop = t0 + (int64_t)ms * 1000000;
	for (long i = 0; n ? i < n : now_ns() < stop; i++) {
		int64_t arrival = period_us ? t0 + (int64_t)i * period_us * 1000 : now_ns();
		if (period_us) {
			if (!n && arrival >= stop)
				break;
			int64_t w = arrival - now_ns();
			if (w > 0) {
				struct timespec ts = { w / 1000000000, w % 1000000000 };
				nanosleep(&ts, NULL);
			}
		}
		if (cnt == cap)
			*lat = realloc(*lat, (cap *= 2) * sizeof(**lat));
		(*lat)[cnt++] = request(s, copy, k, us, seq, arrival);
	}
	return cnt;
}

/* "load: NAME R requests, K kernels, p50 .. p99 .. max .. us" and, with
 * `each`, one "lat I US" line per request. */
static void report(const char *name, double *lat, size_t n, unsigned kernels, int each)
{
	if (each)
		for (size_t i = 0; i < n; i++)
			printf("lat %zu %.1f\n", i, lat[i]);
	qsort(lat, n, sizeof(*lat), cmp_dbl);
	double p50 = n ? lat[n / 2] : 0, p99 = n ? lat[(n * 99) / 100] : 0;
	printf("load: %s %zu requests, %u kernels, p50 %.1f p99 %.1f max %.1f us\n", name, n,
	       kernels, p50, p99, n ? lat[n - 1] : 0);
	fflush(stdout);
}

/* Value of `key=` in a "k=v,k=v" spec, or def. */
static long spec_get(const char *spec, const char *key, long def)
{
	size_t kl = strlen(key);
	for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return strtol(p + kl + 1, NULL, 10);
	return def;
}

/* load SPEC: requests of k kernels of us on one stream (created with
 * priority prio; legacy=1: the NULL stream), every period us (0: back to
 * back), n of them or for ms; copy=1: an async copy first; gap=G: G us of
 * host work between two launches. Prints
 * "load: start" once the stream exists, then each latency and a summary. */
static int load_run(const char *spec)
{
	CUstream s = NULL;
	if (!spec_get(spec, "legacy", 0) && d.screatep(&s, 0, (int)spec_get(spec, "prio", 0)))
		die("stream create");
	host_gap_us = spec_get(spec, "gap", 0);
	printf("load: start\n");
	fflush(stdout);
	unsigned seq = 0;
	double *lat;
	size_t n = requests(s, (int)spec_get(spec, "copy", 0), (int)spec_get(spec, "k", 1),
			    (unsigned)spec_get(spec, "us", 1000), &seq,
			    spec_get(spec, "period", 0), spec_get(spec, "n", 0),
			    spec_get(spec, "ms", 1000), &lat);
	report("stream", lat, n, seq, 1);
	free(lat);
	return 0;
}

/* The pattern of a PyTorch server with two streams of one process: first,
 * with legacy=1, weights copied on the legacy stream; then one thread runs
 * 30 requests (an async copy, 50 kernels, a sync) on a stream of priority
 * -5, then 30 on a stream of priority 0; then both at once from two
 * threads for ms: the high one every 10 ms, the low one back to back.
 * High kernels are hus, low ones lus. */
struct same_low { CUstream s; unsigned us, seq; long ms; double *lat; size_t n; };

static void *same_low_thread(void *arg)
{
	struct same_low *l = arg;
	l->n = requests(l->s, 1, 50, l->us, &l->seq, 0, 0, l->ms, &l->lat);
	return NULL;
}

static int same(const char *spec)
{
	unsigned hus = (unsigned)spec_get(spec, "hus", 20), lus = (unsigned)spec_get(spec, "lus", 100);
	long ms = spec_get(spec, "ms", 2000);
	unsigned lseq = 0, hseq = 0, gseq = 0;
	double *lat;
	if (spec_get(spec, "legacy", 0)) {
		size_t n = requests(NULL, 1, 20, 10, &gseq, 0, 10, 0, &lat);
		free(lat);
		printf("same: legacy %zu\n", n);
	}
	CUstream hi, lo;
	if (d.screatep(&hi, 0, -5) || d.screatep(&lo, 0, 0))
		die("stream create");
	requests(hi, 1, 50, hus, &hseq, 0, 30, 0, &lat);
	free(lat);
	requests(lo, 1, 50, lus, &lseq, 0, 30, 0, &lat);
	free(lat);
	printf("same: warm-up done\n");
	fflush(stdout);
	struct same_low l = { .s = lo, .us = lus, .seq = lseq, .ms = ms };
	pthread_t t;
	pthread_create(&t, NULL, same_low_thread, &l);
	size_t n = requests(hi, 1, 50, hus, &hseq, 10000, 0, ms, &lat);
	pthread_join(t, NULL);
	report("high", lat, n, hseq, 0);
	report("low", l.lat, l.n, l.seq, 0);
	free(lat);
	free(l.lat);
	return 0;
}

/* ns per cuLaunchKernel on the legacy stream: the best of 5 rounds of n;
 * every > 0 (APP_SYNC_EVERY): a cuStreamSynchronize after every `every` launches, in the
 * time (an application's requests: ResNet-50 b32 syncs once per 246). */
static int bench(int n, int every)
{
	double best = 1e30;
	for (int r = 0; r < 5; r++) {
		int64_t t0 = now_ns();
		for (int i = 0; i < n; i++) {
			d.launch(K(0), 1, 0, 1, 1, 1, 1, 0, NULL, NULL, NULL);
			if (every > 0 && (i + 1) % every == 0)
				d.ssync(NULL);
		}
		double ns = (double)(now_ns() - t0) / n;
		if (ns < best)
			best = ns;
	}
	d.ssync(NULL);
	printf("%6.1f ns per cuLaunchKernel (best of 5 x %d calls", best, n);
	printf(every > 0 ? ", a sync every %d)\n" : ")\n", every);
	return 0;
}

/* n kernels of us each on one stream, then a sync: wall time, which is
 * the fake GPU's busy time when the library keeps it fed. */
static int throughput(int n, unsigned us)
{
	CUstream s;
	d.screate(&s, 0);
	int64_t t0 = now_ns();
	for (int i = 0; i < n; i++)
		kern(s, us, (unsigned)i);
	d.ssync(s);
	double ms = (double)(now_ns() - t0) / 1e6;
	printf("%8.2f ms for %d kernels of %u us (GPU busy %.2f ms)\n", ms, n, us,
	       (double)n * us / 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s paths|order|threshold|suspend|eventwait|fork|exit|"
			"capture|puts|bench [N] (APP_SYNC_EVERY=K) | throughput N US | load|same [SPEC]\n", argv[0]);
		return 2;
	}
	int n = argc > 2 ? atoi(argv[2]) : 0;
	load();
	const char *s = argv[1];
	if (!strcmp(s, "paths"))
		return paths();
	if (!strcmp(s, "order"))
		return order(n ? n : 200);
	if (!strcmp(s, "threshold"))
		return threshold(n ? n : 40);
	if (!strcmp(s, "suspend"))
		return suspend(n ? n : 10);
	if (!strcmp(s, "eventwait"))
		return eventwait();
	if (!strcmp(s, "fork"))
		return forkit();
	if (!strcmp(s, "exit"))
		return exitnow();
	if (!strcmp(s, "capture"))
		return capture();
	if (!strcmp(s, "throughput"))
		return throughput(n ? n : 10000, argc > 3 ? (unsigned)atoi(argv[3]) : 20);
	if (!strcmp(s, "puts"))
		return puts("app: puts") < 0;
	if (!strcmp(s, "load"))
		return load_run(argc > 2 ? argv[2] : "");
	if (!strcmp(s, "same"))
		return same(argc > 2 ? argv[2] : "");
	if (!strcmp(s, "bench"))
		return bench(n ? n : 1000000, getenv("APP_SYNC_EVERY") ?
			     atoi(getenv("APP_SYNC_EVERY")) : 0);
	fprintf(stderr, "%s: unknown scenario '%s'\n", argv[0], s);
	return 2;
}
