/*
 * The XSched-family policies run unchanged on both backends: each drives a
 * scenario with weights, deadlines, a foreground process and a second
 * process through the simulator and through the hw backend on the fake
 * device (tests/fake_hwdev.c), and every request completes on both.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "fake_hwdev.h"
#include "run_internal.h"
#include "sim.h"
#include "test_util.h"

static const char *trace_csv =
	"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,grid_z,"
	"block_x,block_y,block_z,shmem,regs,bytes\n"
	"0,0,kernel,a,7,0,10000,1010000,8,1,1,128,1,1,0,32,0\n"
	"0,1,kernel,b,7,100000,1010000,1510000,16,1,1,128,1,1,0,32,0\n";

static const char *const policies[] = { "lax", "kedf", "cfs", "up", "pup", "mlfq", "awf" };

START_TEST(test_policy_both_backends)
{
	const char *pol = policies[_i];
	char dir[64], path[128], body[1024], err[512];
	test_mkdtemp(dir, sizeof(dir), "hs_polhw");
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	test_write_file(path, trace_csv);
	snprintf(body, sizeof(body),
		 "[scenario]\nname = t\nduration = 200ms\nseed = 1\ndevice = h100\n"
		 "[policy]\nname = %s\nthreshold = 4\nbatch = 2\n"
		 "[tenant ui]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 40\n"
		 "deadline = 10ms\nforeground = yes\nweight = 2\n"
		 "[tenant job]\ntrace = t.csv\npriority = 1\narrival = closed\nweight = 1\n"
		 "deadline = 50ms\nprocess = %s\n", pol,
		 strcmp(pol, "pup") == 0 || strcmp(pol, "awf") == 0 ? "own" : "shared");
	snprintf(path, sizeof(path), "%s/s.ini", dir);
	test_write_file(path, body);
	struct scenario *sc = scenario_load(path, err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s: %s", pol, err);
	for (int hw = 0; hw < 2; hw++) {
		struct run_opts o = { .mode = "policy", .seed = 1 };
		struct run_result res = { 0 };
		int rc = hw ? hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err))
			    : sim_run(sc, &o, &res, err, sizeof(err));
		ck_assert_msg(rc == 0, "%s on %s: %s", pol, hw ? "hw" : "sim", err);
		ck_assert_uint_eq(res.t[0].nreq, 8);           /* 40/s for 200 ms */
		for (size_t i = 0; i < res.t[0].nreq; i++)
			ck_assert_msg(res.t[0].req[i].end_ns >= 0, "%s on %s: ui request %zu "
				      "did not complete", pol, hw ? "hw" : "sim", i);
		ck_assert_uint_gt(res.t[1].nreq, 0);
		run_result_release(&res);
	}
	scenario_free(sc);
	test_rmtree(dir);
}
END_TEST

Suite *policies_hw_suite(void)
{
	Suite *s = suite_create("policies_hw");
	TCase *t = tcase_create("backends");
	tcase_add_loop_test(t, test_policy_both_backends, 0,
			    (int)(sizeof(policies) / sizeof(policies[0])));
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}
