/*
 * The AMD interception layer (hw/shim/hip.c) without a GPU: the test build
 * under build/FLAVOR/shimamd/ (hw/shim/amd.mk) preloads libhipsched.so into
 * tests/shim/hip_app, which is linked against a fake libamdhip64.so.5 that logs
 * every call; the engine's HIPSCHED_LOG=2 lines say what it was asked.
 * Every run is a child with a deadline: a hang fails the test.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "test_util.h"
#include "trace.h"

static char dir[PATH_MAX + 16]; /* build/FLAVOR/shimamd */
static char tmp[PATH_MAX];

static void setup(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(dir, sizeof dir, "%s/shimamd", exe);
	test_mkdtemp(tmp, sizeof tmp, "shimamd");
}

static void teardown(void)
{
	test_rmtree(tmp);
}

/* Runs `hip_app MODE` with the fake runtime, preloading `lib` (a file of
 * the test build, NULL: none), extra environment NULL-terminated "K=V"
 * strings; output to tmp/out. Returns the exit status, or -1 if it ran
 * past timeout_ms (then killed). */
static int run_lib(const char *mode, const char *lib_name, int timeout_ms,
		   const char *const *env)
{
	char out[PATH_MAX + 8], app[PATH_MAX + 32], lib[2 * PATH_MAX + 48], pre[PATH_MAX + 48];
	snprintf(out, sizeof out, "%s/out", tmp);
	snprintf(app, sizeof app, "%s/hip_app", dir);
	snprintf(lib, sizeof lib, "%s/fake:%s", dir, dir);
	snprintf(pre, sizeof pre, "%s/%s", dir, lib_name ? lib_name : "");
	ck_assert_msg(access(app, X_OK) == 0 && (!lib_name || access(pre, R_OK) == 0),
		      "%s or %s missing: build with make check", app, pre);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("LD_LIBRARY_PATH", lib, 1);
		unsetenv("FAKE_HIP_LOG");
		unsetenv("FAKE_HIP_KERNEL_US");
		unsetenv("FAKE_HIP_TIMES");
		unsetenv("APP_HP_PRIO");
		static const char *const hs[] = { "HIPSCHED_POLICY", "HIPSCHED_SOCKET",
			"HIPSCHED_THRESHOLD", "HIPSCHED_BATCH", "HIPSCHED_LOG",
			"HIPSCHED_PRIORITY", "HIPSCHED_STATS" };
		for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
			unsetenv(hs[i]);
		if (lib_name)
			setenv("LD_PRELOAD", pre, 1);
		else
			unsetenv("LD_PRELOAD");
		for (; env && *env; env++)
			putenv((char *)*env);
		execl(app, app, mode, (char *)NULL);
		_exit(127);
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
}

/* preload 1: the library of the test build, libhipsched-amd.so. */
static int run_app(const char *mode, int preload, int timeout_ms, const char *const *env)
{
	return run_lib(mode, preload ? "libhipsched-amd.so" : NULL, timeout_ms, env);
}

/* A file's lines (at most `max`), each malloc'd; returns the count. */
static int read_lines(const char *path, char **lines, int max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char buf[1024];
	int n = 0;
	while (n < max && fgets(buf, sizeof buf, f)) {
		buf[strcspn(buf, "\n")] = 0;
		lines[n++] = strdup(buf);
	}
	fclose(f);
	return n;
}

static void free_lines(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
}

static char *path_in(const char *name)
{
	static char p[4][PATH_MAX + 64];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
	return p[k];
}

static char *env_kv(const char *k, const char *v)
{
	static char e[8][PATH_MAX + 64];
	static int i;
	i = (i + 1) % 8;
	snprintf(e[i], sizeof e[i], "%s=%s", k, v);
	return e[i];
}

static void show_out(void)
{
	char *l[40];
	int n = read_lines(path_in("out"), l, 40);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "  app: %s\n", l[i]);
	free_lines(l, n);
}

#define RUN_OK(mode, preload, env) do { \
	int rc_ = run_app(mode, preload, 20000, env); \
	if (rc_ != 0) \
		show_out(); \
	ck_assert_msg(rc_ == 0, "app %s (preload %d): %s %d", mode, preload, \
		      rc_ < 0 ? "hung, killed after" : "exit", rc_ < 0 ? 20 : rc_); \
} while (0)

/* --- symbol versions ------------------------------------------------------ */

struct sym {
	char ver[32], name[160];
};

/* The defined, versioned dynamic symbols of `lib` (objdump -T). */
static int dyn_syms(const char *lib, struct sym *s, int max)
{
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof cmd, "objdump -T '%s'", lib);
	FILE *p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "objdump");
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof line, p)) {
		char *f[8];
		int k = 0;
		for (char *t = strtok(line, " \t\n"); t && k < 8; t = strtok(NULL, " \t\n"))
			f[k++] = t;
		if (k < 6 || strlen(f[0]) != 16 || strstr(line, "*UND*"))
			continue;
		for (int i = 0; i < k; i++)
			if (strcmp(f[i], "*UND*") == 0)
				k = 0;
		if (k < 6 || strcmp(f[k - 2], f[k - 1]) == 0)   /* version definition */
			continue;
		char *v = f[k - 2];
		if (*v == '(')
			v++;
		v[strcspn(v, ")")] = 0;
		if (n < max) {
			snprintf(s[n].ver, sizeof s[n].ver, "%s", v);
			snprintf(s[n].name, sizeof s[n].name, "%s", f[k - 1]);
			n++;
		}
	}
	ck_assert_int_eq(pclose(p), 0);
	return n;
}

static const char *find_ver(const struct sym *s, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return s[i].ver;
	return NULL;
}

static const char *debian_lib(void)
{
	static const char *const c[] = {
		"/usr/lib/x86_64-linux-gnu/libamdhip64.so.5", "/opt/rocm/lib/libamdhip64.so.5",
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (access(c[i], R_OK) == 0)
			return c[i];
	ck_abort_msg("no libamdhip64.so.5 (install libamdhip64-dev: make deps)");
	return NULL;
}

/* Names newer than Debian's HIP 5.2.3 (ROCm's hip_hcc.map.in versions). */
static const char *const newer[] = {
	"hipEventRecord_spt", "hipGraphLaunch_spt", "hipMemsetAsync_spt",
	"hipModuleLaunchCooperativeKernel", "hipGetProcAddress",
};

static int is_newer(const char *name)
{
	for (size_t i = 0; i < sizeof newer / sizeof newer[0]; i++)
		if (strcmp(newer[i], name) == 0)
			return 1;
	return 0;
}

START_TEST(versions_match_debian)
{
	static struct sym deb[2000], shim[200], fake[200];
	int nd = dyn_syms(debian_lib(), deb, 2000);
	ck_assert_int_gt(nd, 400);
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/libhipsched-amd.so", dir);
	int ns = dyn_syms(p, shim, 200);
	snprintf(p, sizeof p, "%s/fake/libamdhip64.so.5", dir);
	int nf = dyn_syms(p, fake, 200);
	ck_assert_int_ge(nf, 56);
	for (int i = 0; i < nf; i++) {
		const char *v = find_ver(deb, nd, fake[i].name);
		if (is_newer(fake[i].name))
			ck_assert_msg(!v, "%s is in Debian's library (@%s): not newer", fake[i].name, v);
		else
			ck_assert_msg(v && strcmp(v, fake[i].ver) == 0, "fake %s@%s, Debian's @%s",
				      fake[i].name, fake[i].ver, v ? v : "(none)");
	}
	int hip = 0;
	for (int i = 0; i < ns; i++) {
		const char *n = shim[i].name, *sv = shim[i].ver;
		if (strcmp(n, "dlsym") == 0) {
			ck_assert_msg(strcmp(sv, "GLIBC_2.34") == 0 || strcmp(sv, "GLIBC_2.2.5") == 0,
				      "dlsym@%s", sv);
			continue;
		}
		if (strncmp(n, "hipsched_", 9) == 0) {     /* the library's own API */
			ck_assert_str_eq(sv, "HIPSCHED_1");
			continue;
		}
		ck_assert_msg(strncmp(sv, "hip_", 4) == 0, "libhipsched exports %s@%s", n, sv);
		hip++;
		const char *v = find_ver(deb, nd, n);
		if (is_newer(n))
			ck_assert_msg(!v, "%s is in Debian's library (@%s): not newer", n, v);
		else
			ck_assert_msg(v && strcmp(v, sv) == 0, "libhipsched %s@%s, Debian's @%s",
				      n, sv, v ? v : "(none)");
	}
	ck_assert_int_eq(hip, 53);
	/* Every wrapper's real function is one the fake implements. */
	for (int i = 0; i < ns; i++)
		if (strncmp(shim[i].ver, "hip_", 4) == 0 && !is_newer(shim[i].name))
			ck_assert_msg(find_ver(fake, nf, shim[i].name), "fake lacks %s", shim[i].name);
}
END_TEST

/* --- calls ------------------------------------------------------------------ */

/* `b` equals `a`, line for line. */
static void assert_same_calls(const char *a, const char *b)
{
	static char *la[1000], *lb[1000];
	int na = read_lines(a, la, 1000), nb = read_lines(b, lb, 1000);
	ck_assert_int_gt(na, 10);
	for (int i = 0; i < na && i < nb; i++)
		ck_assert_msg(strcmp(la[i], lb[i]) == 0, "call %d: '%s' native, '%s' shimmed",
			      i, la[i], lb[i]);
	ck_assert_int_eq(nb, na);
	free_lines(la, na);
	free_lines(lb, nb);
}

START_TEST(passthrough_forwards_unchanged)
{
	/* No policy, no server: every call reaches the runtime as it came,
	 * and the library makes none of its own. */
	const char *e1[] = { env_kv("FAKE_HIP_LOG", path_in("native")), NULL };
	RUN_OK("paths", 0, e1);
	const char *e2[] = { env_kv("FAKE_HIP_LOG", path_in("pass")), NULL };
	RUN_OK("paths", 1, e2);
	assert_same_calls(path_in("native"), path_in("pass"));
}
END_TEST

static int count_lines(const char *path, const char *text, int part);

#define MAXQ 64

/* The commands the engine was given (its HIPSCHED_LOG=2 lines in tmp/out),
 * as "STREAM KIND" (STREAM: the handle, legacy or ptds), in order; the
 * queues' priorities into prio[queue id] when not NULL. */
static int engine_cmds(char **cmds, int max, int *prio)
{
	static char qname[MAXQ][48];
	enum { MAXL = 40000 };       /* an unthrottled queue logs every poll */
	char **l = malloc(MAXL * sizeof(*l));
	ck_assert_ptr_nonnull(l);
	int n = read_lines(path_in("out"), l, MAXL), k = 0;
	ck_assert_int_lt(n, MAXL);
	for (int i = 0; i < n; i++) {
		const char *m = strstr(l[i], "]: ");
		if (!m)
			continue;
		m += 3;
		int q, pr;
		unsigned long long seq;
		char name[48], kind[16];
		if (sscanf(m, "queue %d: stream %47[^,], priority %d", &q, name, &pr) == 3 &&
		    q >= 0 && q < MAXQ) {
			snprintf(qname[q], sizeof qname[q], "%s",
				 strncmp(name, "ptds:", 5) == 0 ? "ptds" : name);
			if (prio)
				prio[q] = pr;
		} else if (sscanf(m, "submit q%d #%llu %15s", &q, &seq, kind) == 3 &&
			   q >= 0 && q < MAXQ && k < max) {
			char c[80];
			snprintf(c, sizeof c, "%s %s", qname[q], kind);
			cmds[k++] = strdup(c);
		}
	}
	free_lines(l, n);
	free(l);
	return k;
}

static int count_cmds(char **cmds, int n, const char *cmd)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += strcmp(cmds[i], cmd) == 0;
	return c;
}

#define SCHED_ENV(extra) env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_LOG", "2"), extra

/* What app's "paths" gives the engine, in order: one command per
 * application call (the runtime's own inner calls, as hipLaunchKernel_spt ->
 * hipLaunchKernel, are not commands). */
static const char *const paths_expected[] = {
	"0x1010 kernel", "legacy kernel", "ptds kernel", "0x1020 kernel", "ptds kernel",
	"0x1030 kernel", "0x1030 kernel", "0x1040 kernel", "0x1040 kernel",
	"0x1010 kernel", "0x1020 graph",
	"0x1010 copy", "ptds copy", "0x1020 copy", "0x1010 copy", "0x1010 copy",
	"0x1010 copy", "0x1010 copy", "0x1010 copy", "0x1010 copy", "0x1010 copy",
	"0x1010 copy", "0x1010 copy", "0x1010 copy", "0x1010 copy", "0x1010 copy",
	"0x1010 copy",
	"0x1010 set", "0x1010 set", "0x1010 set", "0x1010 set", "0x1010 set", "0x1010 set",
	"0x1010 event", "0x1020 wait", "ptds wait",
};

START_TEST(every_path_intercepted)
{
	const char *e[] = { SCHED_ENV(NULL) };
	RUN_OK("paths", 1, e);
	char *c[400];
	int prio[MAXQ] = { 0 };
	int n = engine_cmds(c, 400, prio);
	size_t want = sizeof paths_expected / sizeof paths_expected[0];
	for (int i = 0; i < n && (size_t)i < want; i++)
		ck_assert_msg(strcmp(c[i], paths_expected[i]) == 0, "command %d: '%s', want '%s'",
			      i, c[i], paths_expected[i]);
	ck_assert_int_eq(n, (int)want);
	free_lines(c, n);
	/* hipStreamCreateWithPriority(-1): the engine's priority 1 (higher is
	 * more urgent there); the other created streams 0. Queue 2 is 0x1030. */
	ck_assert_int_eq(prio[2], 1);
	ck_assert_int_eq(prio[0] + prio[1] + prio[3], 0);
	ck_assert_int_eq(count_lines(path_in("out"), "destroyed", 1), 4);
}
END_TEST

/* The tags (shared memory, byte counts) the fake received on `stream`,
 * in order, must be 0, 1, ..., count - 1. */
static void assert_stream_order(char **l, int n, const char *stream, int count)
{
	int next = 0;
	for (int i = 0; i < n; i++) {
		if (!strstr(l[i], stream))
			continue;
		const char *t = strstr(l[i], " sh=");
		if (!t)
			t = strstr(l[i], " n=");
		if (!t)
			continue;
		int v = atoi(strchr(t, '=') + 1);
		ck_assert_msg(v == next, "%s: tag %d after %d", stream, v, next - 1);
		next++;
	}
	ck_assert_int_eq(next, count);
}

START_TEST(per_stream_order_kept)
{
	const char *e[] = { env_kv("FAKE_HIP_LOG", path_in("fake")),
			    env_kv("FAKE_HIP_KERNEL_US", "20"),
			    env_kv("HIPSCHED_THRESHOLD", "2"), SCHED_ENV(env_kv("HIPSCHED_PARAMS", "lift=0")), NULL };
	RUN_OK("order", 1, e);
	static char *l[4000];
	int n = read_lines(path_in("fake"), l, 4000);
	assert_stream_order(l, n, "s=0x1010", 200);
	assert_stream_order(l, n, "s=0x1020", 200);
	free_lines(l, n);
	n = engine_cmds(l, 4000, NULL);
	int a = 0, b = 0;
	for (int i = 0; i < n; i++) {
		a += strncmp(l[i], "0x1010 ", 7) == 0;
		b += strncmp(l[i], "0x1020 ", 7) == 0;
	}
	ck_assert_int_eq(a, 200);
	ck_assert_int_eq(b, 200);
	free_lines(l, n);
}
END_TEST

/* Lines of `path` that are `text` (whole = 0: that contain it). */
static int count_lines(const char *path, const char *text, int part)
{
	char *l[4000];
	int n = read_lines(path, l, 4000), c = 0;
	for (int i = 0; i < n; i++)
		c += part ? strstr(l[i], text) != NULL : strcmp(l[i], text) == 0;
	free_lines(l, n);
	return c;
}

START_TEST(rocblas_launches_intercepted)
{
	/* hipExtModuleLaunchKernel (C++), hipModuleLaunchKernel, and
	 * hipLaunchKernel found by dlopen + dlsym. */
	const char *e[] = { SCHED_ENV(NULL) };
	RUN_OK("rocblas", 1, e);
	char *c[40];
	int n = engine_cmds(c, 40, NULL);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(count_cmds(c, n, "0x1010 kernel"), 3);
	free_lines(c, n);
}
END_TEST

START_TEST(capture_passes_through)
{
	/* The kernel and memset made while capturing are not commands; the
	 * graph launch is. */
	const char *e[] = { env_kv("FAKE_HIP_LOG", path_in("fake")), SCHED_ENV(NULL) };
	RUN_OK("capture", 1, e);
	char *c[40];
	int n = engine_cmds(c, 40, NULL);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(c[0], "0x1010 graph");
	free_lines(c, n);
	ck_assert_int_ge(count_lines(path_in("fake"), "hipStreamIsCapturing s=0x1010", 0), 3);
}
END_TEST

START_TEST(cross_stream_wait_and_plat_ops)
{
	/* B waits on A's event; the engine tracks completion with the
	 * platform ops: real events without timing (the application's own has
	 * flags 0), recorded and queried (the application queries once). */
	const char *e[] = { env_kv("FAKE_HIP_LOG", path_in("fake")),
			    env_kv("FAKE_HIP_KERNEL_US", "20000"),
			    env_kv("HIPSCHED_THRESHOLD", "1"), SCHED_ENV(NULL) };
	RUN_OK("wait", 1, e);
	const char *fake = path_in("fake");
	ck_assert_int_ge(count_lines(fake, "hipEventCreateWithFlags fl=2 ", 1), 1);
	ck_assert_int_ge(count_lines(fake, "hipEventRecord e=", 1), 2);
	ck_assert_int_ge(count_lines(fake, "hipEventQuery e=", 1), 2);
	char *c[40];
	int n = engine_cmds(c, 40, NULL);
	ck_assert_int_eq(count_cmds(c, n, "0x1020 wait"), 1);
	free_lines(c, n);
}
END_TEST

START_TEST(get_proc_address_intercepted)
{
	/* ROCm 6.1's hipGetProcAddress answers with our wrappers. */
	const char *e1[] = { env_kv("FAKE_HIP_LOG", path_in("native")), NULL };
	RUN_OK("gpa", 0, e1);
	const char *e2[] = { SCHED_ENV(NULL) };
	RUN_OK("gpa", 1, e2);
	char *c[40];
	int n = engine_cmds(c, 40, NULL);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(c[0], "0x1010 kernel");
	ck_assert_str_eq(c[1], "0x1010 set");
	free_lines(c, n);
}
END_TEST

START_TEST(rtld_next_kept)
{
	RUN_OK("rtldnext", 0, NULL);
	RUN_OK("rtldnext", 1, NULL);
}
END_TEST

/* --- what only the engine does: holding launches back -------------------- */

struct cmd_time {
	unsigned long long submit_ns, end_ns;
	char stream[24];
};

/* FAKE_HIP_TIMES lines of one stream ("" : all). */
static int read_times(const char *path, const char *stream, struct cmd_time *t, int max)
{
	char *l[2000];
	int n = read_lines(path, l, 2000), k = 0;
	for (int i = 0; i < n && k < max; i++) {
		struct cmd_time c;
		if (sscanf(l[i], "%llu %23s %llu", &c.submit_ns, c.stream, &c.end_ns) == 3 &&
		    (!*stream || strcmp(c.stream, stream) == 0))
			t[k++] = c;
	}
	free_lines(l, n);
	return k;
}

/* The most commands of the stream still running on the (fake) GPU when
 * one more was submitted. */
static int max_in_flight(const struct cmd_time *t, int n)
{
	int most = 0;
	for (int i = 0; i < n; i++) {
		int k = 0;
		for (int j = 0; j < i; j++)
			k += t[j].end_ns > t[i].submit_ns;
		if (k > most)
			most = k;
	}
	return most;
}

START_TEST(threshold_holds_back)
{
	static struct cmd_time t[200];
	const char *e1[] = { env_kv("FAKE_HIP_TIMES", path_in("native")),
			     env_kv("FAKE_HIP_KERNEL_US", "2000"), NULL };
	RUN_OK("flood", 0, e1);
	int n = read_times(path_in("native"), "", t, 200);
	ck_assert_int_eq(n, 40);
	ck_assert_int_gt(max_in_flight(t, n), 20);    /* the control */
	const char *e2[] = { env_kv("FAKE_HIP_TIMES", path_in("sched")),
			     env_kv("FAKE_HIP_KERNEL_US", "2000"),
			     env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_THRESHOLD", "3"),
			     env_kv("HIPSCHED_PARAMS", "lift=0"), NULL };
	RUN_OK("flood", 1, e2);
	n = read_times(path_in("sched"), "", t, 200);
	ck_assert_int_eq(n, 40);
	ck_assert_int_le(max_in_flight(t, n), 2);     /* threshold - 1 */
}
END_TEST

/* Low-priority submissions while the high-priority stream has work. The
 * window opens 1 ms (half a kernel) after the high-priority stream's first
 * submission: a low-priority launch the core released before it suspended
 * the stream may reach the runtime just after that submission (its thread
 * slower than the high-priority one between release and call, as under
 * ASan); what is held back is everything after. */
static int lp_during_hp(const char *times)
{
	static struct cmd_time lp[200], hp[20];
	int nl = read_times(times, "0x1010", lp, 200), nh = read_times(times, "0x1020", hp, 20);
	ck_assert_int_eq(nl, 60);
	ck_assert_int_eq(nh, 5);
	unsigned long long t0 = hp[0].submit_ns + 1000000, t1 = 0;
	for (int i = 0; i < nh; i++)
		if (hp[i].end_ns > t1)
			t1 = hp[i].end_ns;
	int k = 0;
	for (int i = 0; i < nl; i++)
		k += lp[i].submit_ns > t0 && lp[i].submit_ns < t1;
	return k;
}

START_TEST(suspend_holds_back)
{
	/* hpf: the low-priority stream is suspended while the high-priority
	 * one (hipStreamCreateWithPriority -1) has work; the control run
	 * (both priority 0, lift=0: each held to its threshold, not lifted)
	 * keeps submitting. */
	const char *e1[] = { env_kv("FAKE_HIP_TIMES", path_in("ctl")),
			     env_kv("FAKE_HIP_KERNEL_US", "2000"), env_kv("APP_HP_PRIO", "0"),
			     env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_THRESHOLD", "2"),
			     env_kv("HIPSCHED_PARAMS", "lift=0"), NULL };
	RUN_OK("prio", 1, e1);
	ck_assert_int_ge(lp_during_hp(path_in("ctl")), 3);
	const char *e2[] = { env_kv("FAKE_HIP_TIMES", path_in("hpf")),
			     env_kv("FAKE_HIP_KERNEL_US", "2000"),
			     env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_THRESHOLD", "2"),
			     NULL };
	RUN_OK("prio", 1, e2);
	ck_assert_int_le(lp_during_hp(path_in("hpf")), 1);
}
END_TEST

START_TEST(cross_stream_wait_completes)
{
	/* The urgent stream waits on an event recorded on the held one. */
	const char *e[] = { env_kv("FAKE_HIP_KERNEL_US", "5000"),
			    env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_THRESHOLD", "1"),
			    NULL };
	RUN_OK("xwait", 1, e);
	RUN_OK("wait", 1, e);
}
END_TEST

START_TEST(every_mode_runs)
{
	const char *e[] = { env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_THRESHOLD", "1"),
			    NULL };
	static const char *const modes[] = { "paths", "order", "capture", "rocblas", "rtldnext" };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		RUN_OK(modes[i], 1, e);
}
END_TEST
/* The same on AMD: a hipStreamSynchronize that returns reports the lifted
 * stream's launches done at once; the engine never counts more than the
 * 50 launched between two syncs in flight. */
START_TEST(sync_reports_done)
{
	const char *e[] = { env_kv("APP_N", "2000"), env_kv("APP_SYNC_EVERY", "50"),
			    env_kv("HIPSCHED_POLICY", "hpf"), env_kv("HIPSCHED_LOG", "1"), NULL };
	RUN_OK("bench", 1, e);
	char *l[40];
	int n = read_lines(path_in("out"), l, 40), seen = 0;
	for (int i = 0; i < n; i++) {
		const char *m = strstr(l[i], " 2000 commands, 2000 launched, 2000 completed");
		int fl;
		if (m && sscanf(strstr(m, "max "), "max %d in flight", &fl) == 1) {
			ck_assert_int_le(fl, 50);
			seen = 1;
		}
	}
	ck_assert_msg(seen, "no queue summary with 2000 commands");
	free_lines(l, n);
}
END_TEST

/* `hipsched record` on AMD: hip.c's hooks log a small run (12 requests
 * of a copy, a kernel launched by pointer and a module kernel, ended by a
 * stream sync; the query in between is not a sync), hip_record.c names
 * the kernels and times every other request with hipEvent*; the log
 * converts to a trace whose requests, shapes, names and GPU times are the
 * fake runtime's (each kernel FAKE_HIP_KERNEL_US = 300 us on its stream). */
START_TEST(record_small_run)
{
	char log[PATH_MAX + 16];
	snprintf(log, sizeof log, "%s/rec.log", tmp);
	/* 2 x 8 timing events: the fake runtime holds FAKE_MAX at once */
	const char *e[] = { env_kv("HIPSCHED_RECORD", log), env_kv("FAKE_HIP_KERNEL_US", "300"),
			    env_kv("HIPSCHED_RECORD_EVENTS", "8"), NULL };
	RUN_OK("record", 1, e);
	struct trace_record_opts o = { .warmup = 2 };
	struct trace_record_stats st;
	struct trace_err te;
	struct trace *tr = trace_record_load(log, &o, &st, &te);
	ck_assert_msg(tr != NULL, "%s", te.msg);
	ck_assert_int_eq(st.marks, 0);
	ck_assert_uint_eq(st.requests, 12);      /* one per stream sync */
	ck_assert_uint_eq(st.warmup, 2);
	ck_assert_uint_eq(st.sampled, 5);        /* every other one timed */
	ck_assert_uint_eq(tr->nreqs, 5);         /* the others written */
	for (size_t q = 0; q < tr->nreqs; q++) {
		const struct trace_request *rq = &tr->reqs[q];
		ck_assert_uint_eq(rq->count, 3);
		const struct trace_rec *c = &tr->recs[rq->first], *k = c + 1, *m = c + 2;
		ck_assert_int_eq(c->kind, TRACE_MEMCPY);
		ck_assert_int_eq(c->bytes, 4096);
		ck_assert_int_eq(k->kind, TRACE_KERNEL);
		ck_assert_str_eq(k->name, "kernel_0x200");
		ck_assert_uint_eq(k->grid[0], 8);
		ck_assert_uint_eq(k->grid[1], 2);
		ck_assert_uint_eq(k->block[0], 256);
		ck_assert_int_eq(k->shmem, 64);
		ck_assert_int_eq(m->kind, TRACE_KERNEL);
		ck_assert_str_eq(m->name, "module_0x300");
		ck_assert_uint_eq(m->grid[0], 4);
		ck_assert_uint_eq(m->block[0], 64);
		ck_assert_int_eq(m->regs, 24);
		ck_assert_int_eq(m->shmem, 512);
		ck_assert_int_eq(k->stream, c->stream);
		for (int i = 1; i < 3; i++) {   /* the fake's device clock */
			int64_t d = c[i].end_ns - c[i].start_ns;
			ck_assert_msg(d >= 299000 && d <= 301000, "request %zu row %d: "
				      "%lld ns on the GPU", q, i, (long long)d);
			ck_assert_int_ge(c[i].submit_ns, c[i - 1].submit_ns);
		}
	}
	trace_free(tr);
}
END_TEST

START_TEST(hang_fails)
{
	/* The harness itself: a run past its deadline is killed and reported. */
	const char *e[] = { env_kv("FAKE_HIP_KERNEL_US", "5000000"), NULL };
	ck_assert_int_eq(run_app("wait", 1, 300, e), -1);
}
END_TEST

Suite *shimamd_suite(void)
{
	Suite *s = suite_create("shimamd");
	TCase *tc = tcase_create("shimamd");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, versions_match_debian);
	tcase_add_test(tc, passthrough_forwards_unchanged);
	tcase_add_test(tc, every_path_intercepted);
	tcase_add_test(tc, per_stream_order_kept);
	tcase_add_test(tc, rocblas_launches_intercepted);
	tcase_add_test(tc, capture_passes_through);
	tcase_add_test(tc, cross_stream_wait_and_plat_ops);
	tcase_add_test(tc, get_proc_address_intercepted);
	tcase_add_test(tc, rtld_next_kept);
	tcase_add_test(tc, threshold_holds_back);
	tcase_add_test(tc, suspend_holds_back);
	tcase_add_test(tc, cross_stream_wait_completes);
	tcase_add_test(tc, every_mode_runs);
	tcase_add_test(tc, sync_reports_done);
	tcase_add_test(tc, record_small_run);
	tcase_add_test(tc, hang_fails);
	suite_add_tcase(s, tc);
	return s;
}
