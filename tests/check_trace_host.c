/*
 * The host side of traces: request shapes (the host-jitter model's
 * variants, traces/shapes.c) and host times from an unprofiled run
 * (`trace import --host-times`, traces/host_times.c), by hand-computed
 * fixtures: the profile kineto_midsync.json is one request of kernel
 * (submit 0, GPU 5-25 us), sync (3-26 us), kernel (submit 30, GPU 35-40
 * us); host gaps 3 and 4 us; its wall span 40 us.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "trace.h"

#define FIX "tests/fixtures/traces/"

static struct trace *profile(void)
{
	struct trace_import_opts o = { 0 };
	struct trace_err err;
	struct trace *t = trace_import_load(FIX "kineto_midsync.json", &o, NULL, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(t->nreqs, 1);
	ck_assert_uint_eq(t->nrecs, 3);
	return t;
}

static void expect(const struct trace_rec *r, int64_t req, int64_t submit,
		   int64_t start, int64_t end)
{
	ck_assert_int_eq(r->request, req);
	ck_assert_int_eq(r->submit_ns, submit);
	ck_assert_int_eq(r->start_ns, start);
	ck_assert_int_eq(r->end_ns, end);
}

/* Per request: iteration 0 ran 30 us (10 us faster than profiled: both
 * gaps go to 0, only 7 us were there), 1 ran 50 us (5 us added to each
 * gap), 2 ran 40 us (unchanged); boundaries from TIMES, GPU durations
 * kept, kernels placed after their launch + 5 us (the smallest launch
 * latency) in stream order. */
START_TEST(test_host_times_per_request)
{
	struct trace *p = profile();
	struct trace_host_times_stats st;
	struct trace_err err;
	struct trace *t = trace_host_times(p, FIX "times_per_request.csv", &st, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert(!st.per_command);
	ck_assert_uint_eq(st.nreqs, 3);
	ck_assert_uint_eq(st.src_reqs, 1);
	ck_assert_double_eq_tol(st.removed_per_gap_ns, -500.0, 1e-9);
	ck_assert_uint_eq(t->nreqs, 3);
	ck_assert_uint_eq(t->nrecs, 9);
	const struct trace_rec *r = t->recs;
	expect(&r[0], 0, 0, 5000, 25000);
	expect(&r[1], 0, 0, 0, 23000);          /* the sync waits as recorded */
	expect(&r[2], 0, 23000, 28000, 33000);
	expect(&r[3], 1, 100000, 105000, 125000);
	expect(&r[4], 1, 108000, 108000, 131000);
	expect(&r[5], 1, 140000, 145000, 150000);
	expect(&r[6], 2, 200000, 205000, 225000);
	expect(&r[7], 2, 203000, 203000, 226000);
	expect(&r[8], 2, 230000, 235000, 240000);
	ck_assert_str_eq(r[5].name, "k_after");
	ck_assert_int_eq(r[4].kind, TRACE_SYNC);
	trace_free(t);
	trace_free(p);
}
END_TEST

/* Per command: exact launch times (rows of a request in any order, an
 * empty return_ns for launches), the sync's return taken from TIMES. */
START_TEST(test_host_times_per_command)
{
	struct trace *p = profile();
	struct trace_host_times_stats st;
	struct trace_err err;
	struct trace *t = trace_host_times(p, FIX "times_per_command.csv", &st, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert(st.per_command);
	ck_assert_uint_eq(t->nreqs, 2);
	const struct trace_rec *r = t->recs;
	expect(&r[0], 0, 0, 5000, 25000);
	expect(&r[1], 0, 2000, 2000, 20000);
	expect(&r[2], 0, 20500, 25500, 30500);
	expect(&r[3], 1, 99500, 104500, 124500);
	expect(&r[4], 1, 101500, 101500, 120500);
	expect(&r[5], 1, 124500, 129500, 134500);
	trace_free(t);
	trace_free(p);
}
END_TEST

static const struct { const char *file, *msg; } bad_times[] = {
	{ "times_bad_count.csv", "times_bad_count.csv:2: request 0 has 2 commands, "
	  "the profiled request 0 it stands for has 3" },
	{ "times_bad_header.csv", "times_bad_header.csv:1: unknown column 'begin'" },
	{ "times_bad_order.csv", "times_bad_order.csv:3: request 2 after request 3" },
	{ "times_bad_dup.csv", "times_bad_dup.csv:4: seq 1 given twice" },
	{ "times_bad_end.csv", "times_bad_end.csv:2: end_ns before start_ns" },
	{ "times_bad_number.csv", "times_bad_number.csv:2: end_ns: not a non-negative "
	  "integer: 'x'" },
	{ "no_such_times.csv", "no_such_times.csv" },
};

START_TEST(test_host_times_bad)
{
	struct trace *p = profile();
	struct trace_err err = { "" };
	char path[256];
	snprintf(path, sizeof(path), FIX "%s", bad_times[_i].file);
	ck_assert_ptr_null(trace_host_times(p, path, NULL, &err));
	ck_assert_msg(strstr(err.msg, bad_times[_i].msg) != NULL, "%s: got '%s'",
		      bad_times[_i].file, err.msg);
	trace_free(p);
}
END_TEST

/* The command: import --host-times writes the merged trace (it loads, with
 * TIMES's requests) and says how much host time it took off. */
START_TEST(test_import_host_times_cli)
{
	char dir[256], cmd[1024], out[512];
	test_mkdtemp(dir, sizeof(dir), "check_trace_host");
	snprintf(out, sizeof(out), "%s/m.csv", dir);
	snprintf(cmd, sizeof(cmd), "%s trace import " FIX "kineto_midsync.json "
		 "--host-times " FIX "times_per_request.csv -o %s 2>%s/log",
		 test_bin(), out, dir);
	ck_assert_int_eq(system(cmd), 0);
	struct trace_err err;
	struct trace *t = trace_load(out, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_uint_eq(t->nreqs, 3);
	trace_free(t);
	snprintf(cmd, sizeof(cmd), "grep -q '0.50 us added to each launch gap' %s/log", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s trace info " FIX "canon_ok.csv --host-times x "
		 ">/dev/null 2>&1", test_bin());
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);   /* import only */
	test_rmtree(dir);
}
END_TEST

/* Kineto JSON read gzip-compressed (as record.py writes it) gives the same
 * trace as the plain file; a gzipped CSV is refused with a message. */
START_TEST(test_kineto_gzip)
{
	char dir[200], gz[240], a[240], b[240], cmd[2048];
	test_mkdtemp(dir, sizeof(dir), "check_trace_host");
	snprintf(gz, sizeof(gz), "%s/k.json.gz", dir);
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	snprintf(b, sizeof(b), "%s/b.csv", dir);
	snprintf(cmd, sizeof(cmd), "gzip -c " FIX "kineto_steps.json > %s && "
		 "%s trace import %s -o %s 2>/dev/null && %s trace import "
		 FIX "kineto_steps.json -o %s 2>/dev/null && cmp -s %s %s",
		 gz, test_bin(), gz, a, test_bin(), b, a, b);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(gz, sizeof(gz), "%s/c.csv.gz", dir);
	snprintf(cmd, sizeof(cmd), "gzip -c " FIX "canon_ok.csv > %s", gz);
	ck_assert_int_eq(system(cmd), 0);
	struct trace_import_opts o = { 0 };
	struct trace_err err;
	ck_assert_ptr_null(trace_import_load(gz, &o, NULL, &err));
	ck_assert_msg(strstr(err.msg, "c.csv.gz:1: gzip-compressed and not Kineto JSON"),
		      "%s", err.msg);
	test_rmtree(dir);
}
END_TEST

/* Shapes: same commands in the same order, names compared by content. */
START_TEST(test_shapes)
{
	char dir[256], path[300];
	test_mkdtemp(dir, sizeof(dir), "check_trace_host");
	snprintf(path, sizeof(path), "%s/s.csv", dir);
	test_write_file(path,
		"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,"
		"grid_z,block_x,block_y,block_z,shmem,regs,bytes\n"
		"0,0,kernel,a,1,0,0,1,1,1,1,1,1,1,0,0,0\n"
		"0,1,kernel,b,1,5,5,6,1,1,1,1,1,1,0,0,0\n"
		"1,0,kernel,a,1,9,9,10,1,1,1,1,1,1,0,0,0\n"
		"2,0,kernel,a,1,20,20,21,1,1,1,1,1,1,0,0,0\n"
		"2,1,kernel,b,1,29,29,30,1,1,1,1,1,1,0,0,0\n"
		"3,0,kernel,a,1,40,40,41,1,1,1,1,1,1,0,0,0\n"
		"3,1,memset,b,1,45,45,46,0,0,0,0,0,0,0,0,8\n"
		"4,0,kernel,a,1,50,50,51,1,1,1,1,1,1,0,0,0\n"
		"4,1,kernel,b,1,51,51,52,1,1,1,1,1,1,0,0,0\n");
	struct trace_err err;
	struct trace *t = trace_load(path, &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	struct trace_shapes s;
	ck_assert_int_eq(trace_shapes_build(t, &s), 0);
	ck_assert_uint_eq(s.nshapes, 3);
	size_t want[5] = { 0, 1, 0, 2, 0 };
	for (size_t r = 0; r < 5; r++)
		ck_assert_uint_eq(s.shape[r], want[r]);
	ck_assert_uint_eq(s.start[1] - s.start[0], 3);
	ck_assert_uint_eq(s.members[s.start[0] + 0], 0);
	ck_assert_uint_eq(s.members[s.start[0] + 1], 2);
	ck_assert_uint_eq(s.members[s.start[0] + 2], 4);
	ck_assert_uint_eq(s.members[s.start[1]], 1);
	ck_assert_uint_eq(s.members[s.start[2]], 3);
	trace_shapes_release(&s);
	trace_free(t);
	test_rmtree(dir);
}
END_TEST

Suite *trace_host_suite(void)
{
	Suite *s = suite_create("trace_host");
	TCase *tc = tcase_create("trace_host");
	tcase_add_test(tc, test_host_times_per_request);
	tcase_add_test(tc, test_host_times_per_command);
	tcase_add_loop_test(tc, test_host_times_bad, 0,
			    sizeof(bad_times) / sizeof(bad_times[0]));
	tcase_add_test(tc, test_import_host_times_cli);
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_kineto_gzip);
	suite_add_tcase(s, tc);
	return s;
}
