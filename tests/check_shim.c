/*
 * Tests of the interception library (hw/shim/, libhipsched.so) without a
 * GPU: the test program tests/shim/app.c, built three ways (through
 * cuGetProcAddress like cudart, through dlsym like Triton, linked against
 * libcuda), runs against the fake libcuda.so.1 (tests/shim/fakecuda.c),
 * with and without LD_PRELOAD of the library. The fake logs every call it
 * receives; the library writes its statistics (HIPSCHED_STATS). Every run
 * is a fork/exec under alarm(), so a hang fails the test.
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "test_util.h"

#ifndef SHIM_NO_CUDA_H
#define FAKE_DIR SHIM_BUILD_DIR "/tests/shim"
#define SHIM_SO SHIM_BUILD_DIR "/libhipsched.so"

static const char *const apps[] = { "app_gpa", "app_dlsym", "app_link" };
#define NAPPS 3

static char dir[256];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "hs_shim");
}

static void teardown(void)
{
	test_rmtree(dir);
}

/* Runs FAKE_DIR/app SCENARIO ARG with the environment `env` ("K=V", NULL
 * ended) added, the library preloaded when shim; the fake logs to
 * dir/log, stderr goes to dir/err. Returns the exit status (-SIG when
 * killed: SIGALRM after `secs` means a hang); *wall_s how long it ran.
 * shim = 2: tests/shim/interp.c preloaded after the library. App
 * "python3": python3 (/usr/bin's, else PATH's) runs the script SCENARIO;
 * 127: none. */
static int run(const char *app, const char *scen, const char *arg, int shim,
	       const char *const *env, unsigned secs, double *wall_s)
{
	char path[512], log[512], err[512];
	snprintf(path, sizeof(path), "%s/%s", FAKE_DIR, app);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	unlink(log);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		static const char *const clear[] = {
			"HIPSCHED_POLICY", "HIPSCHED_SOCKET", "HIPSCHED_LOG",
			"HIPSCHED_STATS", "HIPSCHED_THRESHOLD", "HIPSCHED_BATCH",
			"HIPSCHED_PRIORITY", "HIPSCHED_LEVEL", "HIPSCHED_PARAMS",
			"LD_PRELOAD", NULL };
		for (int i = 0; clear[i]; i++)
			unsetenv(clear[i]);
		setenv("LD_LIBRARY_PATH", FAKE_DIR, 1);
		setenv("FAKECUDA_LOG", log, 1);
		if (shim)
			setenv("LD_PRELOAD", shim > 1 ? SHIM_SO " " FAKE_DIR "/libinterp.so"
						       : SHIM_SO, 1);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		alarm(secs);
		if (!strcmp(app, "python3")) {
			/* the system's first: a version manager's shim is slow */
			execl("/usr/bin/python3", "python3", scen, (char *)NULL);
			execlp("python3", "python3", scen, (char *)NULL);
		}
		execl(path, path, scen, arg, (char *)NULL);
		_exit(127);
	}
	int st;
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (wall_s)
		*wall_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

/* ---- the fake's log --------------------------------------------------------- */
struct call {
	char name[48];
	int stream;               /* -1000: none */
	long long t, start, end;
	int inflight;
	unsigned arg;
};

struct calls {
	struct call *v;
	size_t n;
};

static struct calls read_log(void)
{
	char path[512], line[256];
	snprintf(path, sizeof(path), "%s/log", dir);
	struct calls c = { 0 };
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no log %s", path);
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		if (c.n == cap) {
			cap = cap ? 2 * cap : 256;
			c.v = realloc(c.v, cap * sizeof(*c.v));
		}
		struct call *x = &c.v[c.n];
		char st[16];
		ck_assert_int_eq(sscanf(line, "%47s %15s %lld %lld %lld %d %u", x->name, st,
					&x->t, &x->start, &x->end, &x->inflight, &x->arg), 7);
		x->stream = st[0] == '-' && !st[1] ? -1000 : atoi(st);
		c.n++;
	}
	fclose(f);
	return c;
}

/* The stream-ordered calls an application can make (what the shim
 * schedules). */
static int ordered(const char *name)
{
	static const char *const pre[] = { "cuLaunch", "cuGraphLaunch", "cuMemcpyAsync",
		"cuMemcpyHtoDAsync", "cuMemcpyDtoHAsync", "cuMemcpyDtoDAsync",
		"cuMemcpy2DAsync", "cuMemcpy3DAsync", "cuMemsetD", "cuEventRecord",
		"cuStreamWaitEvent", NULL };
	for (int i = 0; pre[i]; i++)
		if (!strncmp(name, pre[i], strlen(pre[i])))
			return 1;
	return 0;
}

static size_t count(const struct calls *c, const char *prefix, int stream)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (!strncmp(c->v[i].name, prefix, strlen(prefix)) &&
		    (stream == -1000 || c->v[i].stream == stream))
			n++;
	return n;
}

/* ---- the library's statistics --------------------------------------------------- */
static json_t *read_stats(const char *file)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return test_json_load(path);
}

/* Sum of a queue field (or kinds.KIND when kind is set) over all queues. */
static long long stat_sum(json_t *j, const char *field, const char *kind)
{
	long long s = 0;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(j, "queues"), i, q) {
		json_t *o = kind ? json_object_get(json_object_get(q, "kinds"), kind)
				 : json_object_get(q, field);
		s += json_integer_value(o);
	}
	return s;
}

static const char *stats_env(void)
{
	static char e[600];
	snprintf(e, sizeof(e), "HIPSCHED_STATS=%s/st.json", dir);
	return e;
}

/* ---- tests ---------------------------------------------------------------------- */
/* Every launch path reaches the engine: the library counted as many
 * commands of each kind as the application made (the fake's count without
 * the library), and forwarded each. */
START_TEST(test_every_path_intercepted)
{
	const char *app = apps[_i];
	ck_assert_int_eq(run(app, "paths", NULL, 0, NULL, 10, NULL), 0);
	struct calls nat = read_log();
	size_t n_ord = 0;
	for (size_t k = 0; k < nat.n; k++)
		n_ord += ordered(nat.v[k].name);
	ck_assert_uint_eq(n_ord, 34);
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	ck_assert_int_eq(run(app, "paths", NULL, 1, env, 10, NULL), 0);
	struct calls sh = read_log();
	json_t *j = read_stats("st.json");
	ck_assert_int_eq(stat_sum(j, "commands", NULL), (long long)n_ord);
	ck_assert_int_eq(stat_sum(j, NULL, "kernel"), (long long)count(&nat, "cuLaunch", -1000));
	ck_assert_int_eq(stat_sum(j, NULL, "graph"), (long long)count(&nat, "cuGraphLaunch", -1000));
	ck_assert_int_eq(stat_sum(j, NULL, "set"), (long long)count(&nat, "cuMemsetD", -1000));
	ck_assert_int_eq(stat_sum(j, NULL, "wait"), (long long)count(&nat, "cuStreamWaitEvent", -1000));
	ck_assert_int_eq(stat_sum(j, NULL, "event"), 4);
	ck_assert_int_eq(stat_sum(j, NULL, "copy"), 12);
	/* three queues: the created stream, the per-thread one, legacy */
	ck_assert_uint_eq(json_array_size(json_object_get(j, "queues")), 3);
	/* each of the application's calls reached the fake */
	for (size_t k = 0; k < nat.n; k++)
		if (ordered(nat.v[k].name) && strncmp(nat.v[k].name, "cuEventRecord", 13))
			ck_assert_msg(count(&sh, nat.v[k].name, nat.v[k].stream) ==
				      count(&nat, nat.v[k].name, nat.v[k].stream),
				      "%s: %s on stream %d", app, nat.v[k].name, nat.v[k].stream);
	json_decref(j);
	free(nat.v);
	free(sh.v);
}
END_TEST

/* The poller's back-off: while a long kernel runs and nobody waits, each
 * look that finds nothing done doubles its next nap (to HIPSCHED_POLL_MAX_US,
 * default 120 us): far fewer event queries than at a fixed 15 us, every
 * kernel still completed. */
START_TEST(test_poller_backs_off)
{
	long long q[2];
	for (int fixed = 0; fixed < 2; fixed++) {
		const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(),
				      fixed ? "HIPSCHED_POLL_MAX_US=15" : NULL, NULL };
		ck_assert_int_eq(run("app_gpa", "load", "us=20000,k=2,n=4", 1, env, 30, NULL), 0);
		json_t *j = read_stats("st.json");
		q[fixed] = json_integer_value(json_object_get(json_object_get(j, "poller"),
							      "queries"));
		ck_assert_int_eq(stat_sum(j, "completed", NULL), stat_sum(j, "commands", NULL));
		json_decref(j);
	}
	fprintf(stderr, "shim poller: %lld event queries over 160 ms of kernels backing off, "
		"%lld at a fixed 15 us\n", q[0], q[1]);
	/* 160 ms / 15 us: 10,000 at most; 3,139 and 761 seen on the 2-core VM */
	ck_assert_int_gt(q[1], 1000);
	ck_assert_int_lt(2 * q[0], q[1]);
}
END_TEST

/* hw/bench/launch_cost (the GPU's cost per driver call): against the fake,
 * natively and under hpf, every figure is written and every launch of its
 * rounds reaches the driver (5 rounds of N and a warm-up of SYNC_EVERY); the
 * library counted them, with its own time and the poller's figures. */
START_TEST(test_launch_cost_bench)
{
	char out[600], arg[32];
	snprintf(out, sizeof(out), "%s/lc.json", dir);
	snprintf(arg, sizeof(arg), "%d", 500);
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	for (int shim = 0; shim < 2; shim++) {
		unlink(out);
		ck_assert_int_eq(run("../../launch_cost", out, arg, shim, shim ? env : NULL, 30,
				     NULL), 0);
		struct calls c = read_log();
		ck_assert_uint_eq(count(&c, "cuLaunchKernel", -1000), 5 * 500 + 126);
		free(c.v);
		json_t *j = test_json_load(out);
		json_t *ns = json_object_get(j, "ns");
		static const char *const figs[] = { "launch", "capturing", "record", "query", "event" };
		for (size_t i = 0; i < 5; i++)
			ck_assert_msg(json_real_value(json_object_get(ns, figs[i])) > 0, "%s", figs[i]);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "sync_every")), 126);
		json_decref(j);
	}
	json_t *st = read_stats("st.json");
	ck_assert_int_eq(stat_sum(st, NULL, "kernel"), 5 * 500 + 126);
	ck_assert_int_gt(stat_sum(st, "own_ns", NULL), 0);
	ck_assert_int_gt(stat_sum(st, "records", NULL), 0);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(st, "poller"), "kicks"));
	json_decref(st);
	/* a bad argument: usage, exit 2 */
	ck_assert_int_eq(run("../../launch_cost", out, "0", 0, NULL, 10, NULL), 2);
}
END_TEST

/* No policy, no socket: the fake receives exactly the same calls. */
START_TEST(test_passthrough_unchanged)
{
	const char *app = apps[_i];
	ck_assert_int_eq(run(app, "paths", NULL, 0, NULL, 10, NULL), 0);
	struct calls a = read_log();
	ck_assert_int_eq(run(app, "paths", NULL, 1, NULL, 10, NULL), 0);
	struct calls b = read_log();
	ck_assert_uint_eq(a.n, b.n);
	for (size_t k = 0; k < a.n; k++) {
		ck_assert_str_eq(a.v[k].name, b.v[k].name);
		ck_assert_int_eq(a.v[k].stream, b.v[k].stream);
		ck_assert_uint_eq(a.v[k].arg, b.v[k].arg);
	}
	free(a.v);
	free(b.v);
}
END_TEST

/* Four streams (three threads and the legacy stream) keep their order. */
START_TEST(test_order_per_stream)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_THRESHOLD=4",
			      "HIPSCHED_BATCH=2", NULL };
	ck_assert_int_eq(run(apps[_i], "order", "100", 1, env, 20, NULL), 0);
	struct calls c = read_log();
	for (int s = 0; s <= 3; s++) {
		unsigned next = 0;
		for (size_t k = 0; k < c.n; k++)
			if (c.v[k].stream == s && !strcmp(c.v[k].name, "cuLaunchKernel")) {
				ck_assert_uint_eq(c.v[k].arg, next);
				next++;
			}
		ck_assert_uint_eq(next, 100);
	}
	free(c.v);
}
END_TEST

static int max_inflight(const struct calls *c, const char *name)
{
	int m = 0;
	for (size_t k = 0; k < c->n; k++)
		if (!strcmp(c->v[k].name, name) && c->v[k].inflight > m)
			m = c->v[k].inflight;
	return m;
}

/* The fake never sees more than `threshold` kernels in flight on the
 * stream (40 without the library) when hpf holds it (lift=0); by default
 * (lift=1) nothing outranks the one stream and its threshold is lifted. */
START_TEST(test_threshold_holds_back)
{
	ck_assert_int_eq(run(apps[_i], "threshold", "40", 0, NULL, 10, NULL), 0);
	struct calls nat = read_log();
	ck_assert_int_gt(max_inflight(&nat, "cuLaunchKernel"), 8);
	const char *env[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_THRESHOLD=4",
			      "HIPSCHED_BATCH=2", "HIPSCHED_PARAMS=lift=0", stats_env(), NULL };
	ck_assert_int_eq(run(apps[_i], "threshold", "40", 1, env, 10, NULL), 0);
	struct calls c = read_log();
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 1), 40);
	ck_assert_int_le(max_inflight(&c, "cuLaunchKernel"), 4);
	ck_assert_int_ge(max_inflight(&c, "cuLaunchKernel"), 3);
	json_t *j = read_stats("st.json");
	ck_assert_int_le(stat_sum(j, "max_inflight", NULL), 4);
	/* the application's thread waited at the threshold, never suspended */
	ck_assert_int_gt(stat_sum(j, "held", NULL), 0);
	ck_assert_int_gt(stat_sum(j, "held_ns", NULL), 0);
	ck_assert_int_eq(stat_sum(j, "held_suspended", NULL), 0);
	json_decref(j);
	/* hpf's default: nothing outranks the one stream, its threshold is lifted */
	const char *lift[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_THRESHOLD=4",
			       "HIPSCHED_BATCH=2", NULL };
	ck_assert_int_eq(run(apps[_i], "threshold", "40", 1, lift, 10, NULL), 0);
	struct calls l = read_log();
	ck_assert_uint_eq(count(&l, "cuLaunchKernel", 1), 40);
	ck_assert_int_gt(max_inflight(&l, "cuLaunchKernel"), 8);
	free(l.v);
	free(nat.v);
	free(c.v);
}
END_TEST

/* A lifted stream (hpf's default, nothing outranks it) keeps everything
 * its host launched in flight; a cuStreamSynchronize that returns reports
 * all of it done at once (shim__host_synced), so the engine never counts
 * more than one request's launches in flight however far the poller lags
 * (it did: 5,400 with a sync every 246 before). */
START_TEST(test_sync_reports_done)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", "APP_SYNC_EVERY=50", "FAKECUDA_NOP=1",
			      stats_env(), NULL };
	ck_assert_int_eq(run(apps[_i], "bench", "2000", 1, env, 20, NULL), 0);
	json_t *j = read_stats("st.json");
	ck_assert_int_eq(stat_sum(j, "commands", NULL), 5 * 2000);
	ck_assert_int_eq(stat_sum(j, "completed", NULL), 5 * 2000);
	ck_assert_int_le(stat_sum(j, "max_inflight", NULL), 50);
	ck_assert_int_eq(stat_sum(j, "held", NULL), 0);    /* lifted: never at a threshold */
	json_decref(j);
}
END_TEST

/* The first kernel call on stream 1 and the end of the last kernel on
 * stream 2. */
static void first_low_last_high(const struct calls *c, long long *lo_first,
				long long *hi_last)
{
	*lo_first = *hi_last = -1;
	for (size_t k = 0; k < c->n; k++) {
		if (strcmp(c->v[k].name, "cuLaunchKernel"))
			continue;
		if (c->v[k].stream == 1 && *lo_first < 0)
			*lo_first = c->v[k].t;
		if (c->v[k].stream == 2)
			*hi_last = c->v[k].end;
	}
}

/* hpf: the low-priority stream (1) launches nothing until the high one
 * (2), busy with 6 x 5 ms from another thread, has drained. */
START_TEST(test_suspend_holds_back)
{
	long long lo_first, hi_last;
	ck_assert_int_eq(run(apps[_i], "suspend", "6", 0, NULL, 10, NULL), 0);
	struct calls nat = read_log();
	first_low_last_high(&nat, &lo_first, &hi_last);
	ck_assert_int_lt(lo_first, hi_last);     /* natively they overlap */
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	ck_assert_int_eq(run(apps[_i], "suspend", "6", 1, env, 10, NULL), 0);
	struct calls c = read_log();
	first_low_last_high(&c, &lo_first, &hi_last);
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 1), 5);
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 2), 6);
	ck_assert_int_ge(lo_first, hi_last);
	json_t *j = read_stats("st.json");
	ck_assert_int_ge(stat_sum(j, "suspends", NULL), 1);
	json_decref(j);
	free(nat.v);
	free(c.v);
}
END_TEST

/* The core's preemption latencies reach $HIPSCHED_STATS: a low stream
 * suspended with kernels in flight while a high one runs (the "same"
 * pattern, both streams busy at once) gives samples, one per preemption
 * counted, each >= 0 and below the run's length. */
START_TEST(test_preemption_latency_stats)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	double wall;
	ck_assert_int_eq(run(apps[0], "same", "ms=300", 1, env, 20, &wall), 0);
	json_t *j = read_stats("st.json");
	json_t *n = json_object_get(j, "preempt_count");
	json_t *v = json_object_get(j, "preempt_ns");
	ck_assert(json_is_integer(n) && json_is_array(v));
	ck_assert_int_ge(json_integer_value(n), 1);
	ck_assert_int_eq(json_array_size(v), json_integer_value(n));
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		ck_assert(json_is_integer(x));
		ck_assert_int_ge(json_integer_value(x), 0);
		ck_assert_int_lt(json_integer_value(x), (long long)(wall * 1e9));
	}
	json_decref(j);
}
END_TEST

/* Stream A waits on an event recorded on stream B while B is suspended
 * (A busy, higher priority): completes, and A's kernel after the wait
 * starts after B's kernel ended. */
START_TEST(test_cross_stream_event_wait)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", NULL };
	ck_assert_int_eq(run(apps[_i], "eventwait", NULL, 1, env, 10, NULL), 0);
	struct calls c = read_log();
	long long b_end = -1, a_start = -1;
	for (size_t k = 0; k < c.n; k++) {
		if (strcmp(c.v[k].name, "cuLaunchKernel"))
			continue;
		if (c.v[k].stream == 1)
			b_end = c.v[k].end;
		if (c.v[k].stream == 2 && c.v[k].arg == 99)
			a_start = c.v[k].start;
	}
	ck_assert_int_gt(b_end, 0);
	ck_assert_int_ge(a_start, b_end);
	free(c.v);
}
END_TEST

/* A forked child schedules its own launches (its own statistics). */
START_TEST(test_fork_child)
{
	char st[600];
	snprintf(st, sizeof(st), "HIPSCHED_STATS=%s/st.%%p.json", dir);
	const char *env[] = { "HIPSCHED_POLICY=hpf", st, NULL };
	ck_assert_int_eq(run(apps[_i], "fork", NULL, 1, env, 10, NULL), 0);
	struct calls c = read_log();
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 0), 22);
	free(c.v);
	int files = 0;
	long long cmds = 0;
	FILE *ls;
	char cmd[700], name[512];
	snprintf(cmd, sizeof(cmd), "ls %s | grep '^st\\.[0-9]*\\.json$'", dir);
	ck_assert((ls = popen(cmd, "r")) != NULL);
	while (fscanf(ls, "%511s", name) == 1) {
		json_t *j = read_stats(name);
		cmds += stat_sum(j, "commands", NULL);
		json_decref(j);
		files++;
	}
	pclose(ls);
	ck_assert_int_eq(files, 2);
	ck_assert_int_eq(cmds, 2 + 20);
}
END_TEST

/* exit() with a thread held on a suspended stream and kernels in flight:
 * the process ends at once (not after the GPU work). */
START_TEST(test_exit_no_hang)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	double wall;
	ck_assert_int_eq(run(apps[_i], "exit", NULL, 1, env, 10, &wall), 0);
	ck_assert_double_lt(wall, 0.9);          /* 50 x 20 ms are in flight */
	json_t *j = read_stats("st.json");
	json_decref(j);
}
END_TEST

/* Calls on a capturing stream pass through: the engine sees only the
 * kernel launched after the capture. */
START_TEST(test_capture_passes_through)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", stats_env(), NULL };
	ck_assert_int_eq(run(apps[_i], "capture", NULL, 1, env, 10, NULL), 0);
	struct calls c = read_log();
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 1), 3);
	json_t *j = read_stats("st.json");
	ck_assert_int_eq(stat_sum(j, "commands", NULL), 1);
	json_decref(j);
	free(c.v);
}
END_TEST

static int err_has(const char *what)
{
	char path[512], buf[4096];
	snprintf(path, sizeof(path), "%s/err", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/* Bad configuration: a clear line, the application runs (pass-through
 * or at level 1). */
START_TEST(test_bad_config)
{
	const char *e1[] = { "HIPSCHED_POLICY=hfp", NULL };
	ck_assert_int_eq(run("app_gpa", "threshold", "8", 1, e1, 10, NULL), 0);
	ck_assert(err_has("unknown policy 'hfp'"));
	const char *e2[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_LEVEL=3", stats_env(), NULL };
	ck_assert_int_eq(run("app_gpa", "threshold", "8", 1, e2, 10, NULL), 0);
	ck_assert(err_has("HIPSCHED_LEVEL=3"));
	json_t *j = read_stats("st.json");
	ck_assert_int_eq(stat_sum(j, "commands", NULL), 8);
	json_decref(j);
	const char *e3[] = { "HIPSCHED_SOCKET=/nonexistent/hs.sock", NULL };
	ck_assert_int_eq(run("app_gpa", "threshold", "8", 1, e3, 10, NULL), 0);
	ck_assert(err_has("HIPSCHED_SOCKET=/nonexistent/hs.sock"));
	const char *e4[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_THRESHOLD=zero", NULL };
	ck_assert_int_eq(run("app_gpa", "threshold", "8", 1, e4, 10, NULL), 0);
	ck_assert(err_has("HIPSCHED_THRESHOLD='zero'"));
}
END_TEST

/* Another interposer after the library finds the next puts with
 * dlsym(RTLD_NEXT): the library's dlsym searches after the caller. */
START_TEST(test_dlsym_rtld_next)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", NULL };
	ck_assert_int_eq(run("app_link", "puts", NULL, 2, env, 10, NULL), 0);
	ck_assert(err_has("interp: puts"));
	ck_assert_int_eq(run("app_gpa", "puts", NULL, 2, NULL, 10, NULL), 0);
}
END_TEST

/* The high thread's launches made after the low stream's first one. */
static int high_after_low(void)
{
	struct calls c = read_log();
	long long lo_first, hi_last;
	int late = 0;
	first_low_last_high(&c, &lo_first, &hi_last);
	ck_assert_int_gt(lo_first, 0);
	for (size_t k = 0; k < c.n; k++)
		if (!strcmp(c.v[k].name, "cuLaunchKernel") && c.v[k].stream == 2)
			late += c.v[k].t > lo_first;
	ck_assert_uint_eq(count(&c, "cuLaunchKernel", 2), 15);
	free(c.v);
	return late;
}

/* Python: a thread held on the suspended low stream lets go of the GIL,
 * so the high thread keeps launching (with HIPSCHED_PY_GIL=0 it cannot). */
START_TEST(test_python_gil_released)
{
	const char *env[] = { "HIPSCHED_POLICY=hpf", NULL };
	int rc = run("python3", "tests/shim/gil.py", NULL, 1, env, 20, NULL);
	if (rc == 127) {
		fprintf(stderr, "shim: no python3, GIL test not run\n");
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(high_after_low(), 0);
	const char *env0[] = { "HIPSCHED_POLICY=hpf", "HIPSCHED_PY_GIL=0", NULL };
	ck_assert_int_eq(run("python3", "tests/shim/gil.py", NULL, 1, env0, 20, NULL), 0);
	ck_assert_int_gt(high_after_low(), 0);
}
END_TEST

Suite *shim_suite(void)
{
	Suite *s = suite_create("shim");
	TCase *t = tcase_create("shim");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, test_every_path_intercepted, 0, NAPPS);
	tcase_add_loop_test(t, test_passthrough_unchanged, 0, NAPPS);
	tcase_add_loop_test(t, test_order_per_stream, 0, NAPPS);
	tcase_add_loop_test(t, test_threshold_holds_back, 0, NAPPS);
	tcase_add_loop_test(t, test_sync_reports_done, 0, NAPPS);
	tcase_add_loop_test(t, test_suspend_holds_back, 0, NAPPS);
	tcase_add_loop_test(t, test_cross_stream_event_wait, 0, NAPPS);
	tcase_add_loop_test(t, test_fork_child, 0, NAPPS);
	tcase_add_loop_test(t, test_exit_no_hang, 0, NAPPS);
	tcase_add_loop_test(t, test_capture_passes_through, 0, NAPPS);
	tcase_add_test(t, test_preemption_latency_stats);
	tcase_add_test(t, test_bad_config);
	tcase_add_test(t, test_launch_cost_bench);
	tcase_add_test(t, test_poller_backs_off);
	tcase_add_test(t, test_dlsym_rtld_next);
	tcase_add_test(t, test_python_gil_released);
	suite_add_tcase(s, t);
	return s;
}
#else
/* Built without CUDA's headers: the library is not built, nothing to test. */
Suite *shim_suite(void)
{
	return suite_create("shim");
}
#endif
