/*
 * The recorder: hw/shim/record.c driven directly, in a child process (its
 * state is the process's, as in libhipsched.so), with fake timing events
 * on a fake GPU clock; then the log converted (trace_record_load and
 * `hipsched record`), checked against hand-computed values.
 *
 * The loop (sync split): request r, host base r ms:
 *   memcpy  stream A  enter +0,             GPU 5 us
 *   conv    stream A  enter +10 us + r*100 ns, GPU 100 us + r*10 us
 *           grid 4x2x1, block 128, shmem 1024, regs 32
 *   relu    stream B  enter +20 us (name at another address), GPU 7 us
 *   device sync      enter +30 us, returns +140 us (ends the request)
 * Sample 2 times requests 1, 3, 5: their conv took 110, 130, 150 us, so
 * the written requests (2, 4, 6 after a warm-up of 1) take 130 us, and
 * follow each other 1 ms apart, as requests do in the loop (the timed ones
 * between them are cut out of the host timeline).
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../hw/shim/record.h"
#include "test_util.h"
#include "trace.h"

static char dir[256];

/* ---- fake timing events: a value of the fake GPU clock ------------------ */
struct fev { int64_t t; };
static struct fev pool[256];
static int npool;
static int64_t gpu_now;

static int f_create(void **ev)
{
	if (npool == 256)
		return -1;
	*ev = &pool[npool++];
	return 0;
}
static int f_record(void *ev, void *stream)
{
	((struct fev *)ev)->t = gpu_now;
	return 0;
}
static int f_elapsed(void *a, void *b, int64_t *ns)
{
	*ns = ((struct fev *)b)->t - ((struct fev *)a)->t;
	return 0;
}
static int ninfo;
static void f_info(void *func, struct shim_rec_func *out)
{
	ninfo++;
	out->name = (const char *)func;    /* the test's "functions" are names */
	out->regs = 40;
	out->static_shmem = 512;
}
#define SCAP ((void *)0x300)
static int f_capturing(void *stream)
{
	return stream == SCAP;
}
static const struct shim_rec_plat fake_plat = {
	.name = "test", .tev_create = f_create, .tev_record = f_record,
	.tev_elapsed_ns = f_elapsed, .capturing = f_capturing, .func_info = f_info,
};

#define SA ((void *)0x100)
#define SB ((void *)0x200)

static void launch(int kind, void *stream, const char *name, uint64_t enter,
		   int64_t gpu_ns, uint64_t bytes)
{
	static const uint32_t grid[3] = { 4, 2, 1 }, block[3] = { 128, 1, 1 };
	int slot = shim__rec_gpu_begin(stream);
	gpu_now += gpu_ns;
	shim__rec_launch(kind, stream, name, kind == SHIM_REC_KERNEL ? grid : NULL,
			 kind == SHIM_REC_KERNEL ? block : NULL,
			 kind == SHIM_REC_KERNEL ? 1024 : 0, kind == SHIM_REC_KERNEL ? 32 : 0,
			 bytes, enter, enter + 2000, slot);
	gpu_now += 1000;
}

/* hipsched_mark_request()'s return, 500 ns after it was called */
static uint64_t mark_ret;
static uint64_t mark_now(void)
{
	return mark_ret;
}

/* The loop above, nreq requests, in a child; marks: hipsched_mark_request
 * before each request and after the last, and a stream sync inside each
 * request instead of the device sync at its end. flush: 0 = _exit
 * without writing the log (a crash). */
static void record_child(const char *log, int nreq, int marks, int flush,
			 const char *limit)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("HIPSCHED_RECORD", log, 1);
		unsetenv("HIPSCHED_RECORD_SAMPLE");
		setenv("HIPSCHED_RECORD_EVENTS", "16", 1);
		if (limit)
			setenv("HIPSCHED_RECORD_REQUESTS", limit, 1);
		else
			unsetenv("HIPSCHED_RECORD_REQUESTS");
		shim__rec_init(&fake_plat);
		if (!shim__rec_on())
			_exit(3);
		static const char relu_a[] = "relu";
		char relu_b[8];
		strcpy(relu_b, relu_a);
		for (int r = 0; r < nreq; r++) {
			uint64_t t = (uint64_t)r * 1000000 + 5000000;
			if (marks) {   /* 2 us of the application's own work */
				mark_ret = t - 2000;
				shim__rec_mark(t - 2500, mark_now);
			}
			launch(SHIM_REC_COPY, SA, NULL, t, 5000, 4096);
			launch(SHIM_REC_KERNEL, SA, "conv", t + 10000 + (uint64_t)r * 100,
			       100000 + 10000 * r, 0);
			if (marks)
				shim__rec_sync(SA, 0, t + 15000, t + 16000);
			launch(SHIM_REC_KERNEL, SB, r % 2 ? relu_a : relu_b, t + 20000, 7000, 0);
			launch(SHIM_REC_EVENT, SB, NULL, t + 25000, 0, 0);
			if (!marks)
				shim__rec_sync(NULL, 1, t + 30000, t + 140000);
		}
		if (marks) {
			shim__rec_mark(98000000, mark_now);
			launch(SHIM_REC_KERNEL, SA, "tail", 99000000, 1000, 0);
		}
		if (!flush)
			_exit(0);
		exit(shim__rec_flush() ? 4 : 0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "recording child failed");
}

static void expect(const struct trace_rec *r, int64_t req, enum trace_kind k,
		   const char *name, int64_t stream, int64_t submit, int64_t start,
		   int64_t end)
{
	ck_assert_int_eq(r->request, req);
	ck_assert_int_eq(r->kind, k);
	ck_assert_str_eq(r->name, name);
	ck_assert_int_eq(r->stream, stream);
	ck_assert_int_eq(r->submit_ns, submit);
	ck_assert_int_eq(r->start_ns, start);
	ck_assert_int_eq(r->end_ns, end);
}

START_TEST(test_record_sync_split)
{
	test_mkdtemp(dir, sizeof(dir), "check_record");
	char log[300];
	snprintf(log, sizeof(log), "%s/a.log", dir);
	record_child(log, 7, 0, 1, NULL);
	struct trace_record_opts o = { .warmup = 1 };
	struct trace_record_stats st;
	struct trace_err err;
	struct trace *t = trace_record_load(log, &o, &st, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert(!st.marks);
	ck_assert_uint_eq(st.nrecs, 7 * 5);
	ck_assert_uint_eq(st.requests, 7);
	ck_assert_uint_eq(st.warmup, 1);
	ck_assert_uint_eq(st.sampled, 3);      /* 1, 3, 5 */
	ck_assert_uint_eq(st.written, 3);      /* 2, 4, 6 */
	ck_assert_uint_eq(st.skipped, 6);      /* the event records */
	ck_assert_uint_eq(st.nshapes, 1);      /* relu by content */
	ck_assert_uint_eq(st.untimed_cmds, 0);
	ck_assert_uint_eq(t->nreqs, 3);
	ck_assert_uint_eq(t->nrecs, 9);
	const struct trace_rec *r = t->recs;
	/* request 2 of the log: host base 7 ms = 0 */
	expect(&r[0], 0, TRACE_MEMCPY, "memcpy", 0, 0, 0, 5000);
	ck_assert_int_eq(r[0].bytes, 4096);
	expect(&r[1], 0, TRACE_KERNEL, "conv", 0, 10200, 10200, 140200);
	ck_assert_uint_eq(r[1].grid[0], 4);
	ck_assert_uint_eq(r[1].grid[1], 2);
	ck_assert_uint_eq(r[1].block[0], 128);
	ck_assert_int_eq(r[1].shmem, 1024);
	ck_assert_int_eq(r[1].regs, 32);
	expect(&r[2], 0, TRACE_KERNEL, "relu", 1, 20000, 20000, 27000);
	/* log request 4: its own host jitter (+400 ns), the median GPU time;
	 * the timed request 3 before it is cut from the host timeline, so it
	 * starts 1 ms after request 2 (one request period), not 2 ms */
	expect(&r[4], 1, TRACE_KERNEL, "conv", 0, 1010400, 1010400, 1140400);
	expect(&r[7], 2, TRACE_KERNEL, "conv", 0, 2010600, 2010600, 2140600);
	trace_free(t);

	/* the command converts the same log the same way */
	char cmd[1024], out[300];
	snprintf(out, sizeof(out), "%s/a.csv", dir);
	snprintf(cmd, sizeof(cmd), "%s record --convert %s -o %s --warmup 1 "
		 "--requests 2 2>/dev/null", test_bin(), log, out);
	ck_assert_int_eq(system(cmd), 0);
	t = trace_load(out, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(t->nreqs, 2);
	ck_assert_int_eq(t->recs[1].end_ns - t->recs[1].start_ns, 130000);
	trace_free(t);

	/* a log kept gzip-compressed (as hw/bench/h200.sh keeps them) converts
	 * to the same trace */
	char out2[300];
	snprintf(out2, sizeof(out2), "%s/b.csv", dir);
	snprintf(cmd, sizeof(cmd), "gzip -k %s && %s record --convert %s.gz -o %s "
		 "--warmup 1 --requests 2 2>/dev/null && cmp -s %s %s", log, test_bin(),
		 log, out2, out, out2);
	ck_assert_int_eq(system(cmd), 0);
	test_rmtree(dir);
}
END_TEST

/* Marks: the first one starts request 0, each is its request's leading
 * marker row (the time to the first launch is that launch's gap), syncs
 * between marks are sync rows, what follows the last mark is dropped. */
START_TEST(test_record_marks)
{
	test_mkdtemp(dir, sizeof(dir), "check_record");
	char log[300];
	snprintf(log, sizeof(log), "%s/m.log", dir);
	record_child(log, 5, 1, 1, NULL);
	struct trace_record_opts o = { 0 };
	struct trace_record_stats st;
	struct trace_err err;
	struct trace *t = trace_record_load(log, &o, &st, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert(st.marks);
	ck_assert_uint_eq(st.requests, 5);
	ck_assert_uint_eq(st.sampled, 2);      /* 1, 3 */
	ck_assert_uint_eq(t->nreqs, 3);        /* 0, 2, 4 */
	ck_assert_uint_eq(t->nrecs, 15);
	const struct trace_rec *r = t->recs;
	/* log request 0 marked at 5 ms - 2 us = 0 */
	expect(&r[0], 0, TRACE_MARKER, "hipsched_mark_request", 0, 0, 0, 0);
	expect(&r[1], 0, TRACE_MEMCPY, "memcpy", 0, 2000, 2000, 7000);
	expect(&r[3], 0, TRACE_SYNC, "stream synchronize", 0, 17000, 17000, 18000);
	expect(&r[4], 0, TRACE_KERNEL, "relu", 1, 22000, 22000, 29000);
	/* conv: median of the timed requests 1 and 3 (110, 130 us) */
	ck_assert_int_eq(r[2].end_ns - r[2].start_ns, 120000);
	/* request 2 (log request 2, at 7 ms; 1 ms cut with log request 1):
	 * its marker where it was marked, on the same clock */
	expect(&r[5], 1, TRACE_MARKER, "hipsched_mark_request", 0, 1000000,
	       1000000, 1000000);
	for (size_t i = 0; i < t->nrecs; i++)
		ck_assert_int_eq(t->recs[i].kind == TRACE_MARKER, i % 5 == 0);
	for (size_t i = 0; i < t->nrecs; i++)
		ck_assert_str_ne(t->recs[i].name, "tail");
	trace_free(t);
	/* hw/bench/record_stats.py reads the same log: 3 untimed, 2 timed
	 * requests, 2 us from the mark's return to the first launch, 18 us
	 * to the sync's return (us, medians) */
	if (system("python3 -c 'import sys' 2>/dev/null") == 0) {
		char cmd[400], line[256], name[64];
		snprintf(cmd, sizeof(cmd), "python3 hw/bench/record_stats.py --warmup 0 %s", log);
		FILE *p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		int nu = 0, nt = 0, found = 0;
		double lu = -1, lt = -1, wu = -1;
		while (fgets(line, sizeof(line), p))
			if (sscanf(line, "%63s %d %d %lf %lf %lf", name, &nu, &nt, &lu, &lt,
				   &wu) == 6 && !strcmp(name, "m.log"))
				found = 1;
		ck_assert_int_eq(pclose(p), 0);
		ck_assert(found);
		ck_assert_int_eq(nu, 3);
		ck_assert_int_eq(nt, 2);
		ck_assert_double_eq(lu, 2);
		ck_assert_double_eq(lt, 2);
		ck_assert_double_eq(wu, 18);
	}
	test_rmtree(dir);
}
END_TEST

/* HIPSCHED_RECORD_REQUESTS stops the log; a log whose process died is
 * refused as incomplete; a file that is no log is refused. */
START_TEST(test_record_limit_and_bad_logs)
{
	test_mkdtemp(dir, sizeof(dir), "check_record");
	char log[300];
	struct trace_err err;
	struct trace_record_stats st;
	snprintf(log, sizeof(log), "%s/l.log", dir);
	record_child(log, 7, 0, 1, "3");
	struct trace *t = trace_record_load(log, NULL, &st, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(st.nrecs, 3 * 5);
	trace_free(t);
	snprintf(log, sizeof(log), "%s/dead.log", dir);
	record_child(log, 3, 0, 0, NULL);
	ck_assert_ptr_null(trace_record_load(log, NULL, NULL, &err));
	ck_assert_msg(strstr(err.msg, "dead.log:1: incomplete record log"), "%s", err.msg);
	snprintf(log, sizeof(log), "%s/no.log", dir);
	test_write_file(log, "request,seq\n");
	ck_assert_ptr_null(trace_record_load(log, NULL, NULL, &err));
	ck_assert_msg(strstr(err.msg, "no.log:1: not a hipsched record log"), "%s", err.msg);
	/* warm-up eating every request */
	snprintf(log, sizeof(log), "%s/l.log", dir);
	struct trace_record_opts o = { .warmup = 3 };
	ck_assert_ptr_null(trace_record_load(log, &o, NULL, &err));
	ck_assert_msg(strstr(err.msg, "no request left"), "%s", err.msg);
	test_rmtree(dir);
}
END_TEST

/* `hipsched record -- CMD`: CMD runs with LD_PRELOAD = the library
 * ($HIPSCHED_SHIM; libc here, harmless), HIPSCHED_RECORD and the sample;
 * its log (a stand-in copied by CMD) becomes the trace; a failing CMD
 * fails the command; a missing library is said. */
START_TEST(test_record_command)
{
	test_mkdtemp(dir, sizeof(dir), "check_record");
	char log[300], out[300], cmd[2048];
	snprintf(log, sizeof(log), "%s/a.log", dir);
	snprintf(out, sizeof(out), "%s/r.csv", dir);
	record_child(log, 7, 0, 1, NULL);
	Dl_info di;
	ck_assert(dladdr((void *)printf, &di) && di.dli_fname);
	snprintf(cmd, sizeof(cmd), "HIPSCHED_SHIM=%s %s record -o %s --warmup 1 -- "
		 "sh -c 'case \"$LD_PRELOAD\" in %s*) ;; *) exit 5;; esac; "
		 "test \"$HIPSCHED_RECORD_SAMPLE\" = 2 || exit 6; "
		 "cp %s \"$HIPSCHED_RECORD\"' 2>%s/err", di.dli_fname, test_bin(), out,
		 di.dli_fname, log, dir);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 0);
	struct trace_err err;
	struct trace *t = trace_load(out, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(t->nreqs, 3);
	trace_free(t);
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q reclog", dir);
	ck_assert_int_ne(system(cmd), 0);      /* the raw log is removed */
	snprintf(cmd, sizeof(cmd), "HIPSCHED_SHIM=%s %s record -o %s -- sh -c "
		 "'exit 3' 2>%s/err; test $? = 1 && grep -q 'exited with status 3' %s/err",
		 di.dli_fname, test_bin(), out, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "HIPSCHED_SHIM=%s/none.so %s record -- true 2>%s/err; "
		 "test $? = 1 && grep -q 'none.so' %s/err", dir, test_bin(), dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s record 2>/dev/null; test $? = 2", test_bin());
	ck_assert_int_eq(system(cmd), 0);
	test_rmtree(dir);
}
END_TEST

/* Kernels by function handle: name and attributes asked once per function
 * and cached; calls on a capturing stream are neither logged nor timed. */
START_TEST(test_record_kernel_by_function)
{
	test_mkdtemp(dir, sizeof(dir), "check_record");
	char log[300];
	snprintf(log, sizeof(log), "%s/k.log", dir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("HIPSCHED_RECORD", log, 1);
		setenv("HIPSCHED_RECORD_SAMPLE", "1", 1);
		setenv("HIPSCHED_RECORD_EVENTS", "16", 1);
		unsetenv("HIPSCHED_RECORD_REQUESTS");
		shim__rec_init(&fake_plat);
		static char fa[] = "gemm", fb[] = "softmax";
		const uint32_t g[3] = { 8, 1, 1 }, b[3] = { 256, 1, 1 };
		for (int r = 0; r < 3; r++) {
			uint64_t t = 1000000 * (uint64_t)r;
			for (int i = 0; i < 2; i++) {
				void *f = i ? fb : fa;
				int slot = shim__rec_gpu_begin(SA);
				gpu_now += 2000;
				shim__rec_kernel(f, g, b, 256, SA, t + 1000 * (uint64_t)i,
						 t + 1000 * (uint64_t)i + 500, slot);
			}
			ck_assert_int_eq(shim__rec_gpu_begin(SCAP), -1);
			shim__rec_kernel(fa, g, b, 0, SCAP, t + 3000, t + 3500, -1);
			shim__rec_sync(SA, 0, t + 4000, t + 9000);
		}
		exit(ninfo == 2 && shim__rec_flush() == 0 ? 0 : 7);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", WEXITSTATUS(st));
	struct trace_record_stats rs;
	struct trace_err err;
	struct trace *t = trace_record_load(log, NULL, &rs, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(rs.nrecs, 3 * 3);    /* 2 kernels + the sync, each */
	ck_assert(rs.timed_written);           /* sample 1: all timed */
	ck_assert_uint_eq(t->nreqs, 3);
	ck_assert_uint_eq(t->nrecs, 6);
	ck_assert_str_eq(t->recs[0].name, "gemm");
	ck_assert_str_eq(t->recs[1].name, "softmax");
	ck_assert_int_eq(t->recs[1].regs, 40);
	ck_assert_int_eq(t->recs[1].shmem, 512 + 256);
	ck_assert_int_eq(t->recs[1].end_ns - t->recs[1].start_ns, 2000);
	trace_free(t);
	test_rmtree(dir);
}
END_TEST

Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, test_record_sync_split);
	tcase_add_test(tc, test_record_marks);
	tcase_add_test(tc, test_record_limit_and_bad_logs);
	tcase_add_test(tc, test_record_command);
	tcase_add_test(tc, test_record_kernel_by_function);
	suite_add_tcase(s, tc);
	return s;
}
