/* Tests of cli/runs.c: runs on several threads give the serial results. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "scenario.h"
#include "sim.h"

static void same_result(const struct run_result *a, const struct run_result *b)
{
	ck_assert_uint_eq(a->kernels_simulated, b->kernels_simulated);
	ck_assert_int_eq(a->gpu_busy_ns, b->gpu_busy_ns);
	ck_assert_uint_eq(a->ntenants, b->ntenants);
	for (size_t i = 0; i < a->ntenants; i++) {
		ck_assert_uint_eq(a->t[i].nreq, b->t[i].nreq);
		ck_assert_uint_eq(a->t[i].kernels, b->t[i].kernels);
		if (a->t[i].nreq)
			ck_assert(memcmp(a->t[i].req, b->t[i].req,
					 a->t[i].nreq * sizeof(*a->t[i].req)) == 0);
	}
	ck_assert_uint_eq(a->npreempt, b->npreempt);
	if (a->npreempt)
		ck_assert(memcmp(a->preempt_ns, b->preempt_ns,
				 a->npreempt * sizeof(*a->preempt_ns)) == 0);
}

/* The runs of one `sim` call (standalone each, native, policy), serial and
 * on 4 threads. */
START_TEST(test_parallel_equals_serial)
{
	char err[512];
	struct scenario *sc = scenario_load("scenarios/three_tenant.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	size_t n = sc->ntenants + 2;
	struct run_result *res[2];
	struct cli_run *r[2];
	unsigned char act[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
	ck_assert_uint_eq(sc->ntenants, 3);
	for (int k = 0; k < 2; k++) {
		res[k] = calloc(n, sizeof(*res[k]));
		r[k] = calloc(n, sizeof(*r[k]));
		for (size_t i = 0; i < n; i++) {
			r[k][i].res = &res[k][i];
			r[k][i].ro = (struct run_opts){
				.seed = 5, .duration_ns = 1000000000,
				.policy = i == n - 1 ? "hpf" : "native",
				.mode = "test", .active = i < 3 ? act[i] : NULL,
			};
		}
		ck_assert_int_eq(cli_runs(sim_run, sc, r[k], n, k ? 4 : 1), -1);
	}
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(r[1][i].rc, 0);
		same_result(&res[0][i], &res[1][i]);
		run_result_release(&res[0][i]);
		run_result_release(&res[1][i]);
	}
	for (int k = 0; k < 2; k++) {
		free(res[k]);
		free(r[k]);
	}
	scenario_free(sc);
}
END_TEST

static int failing_run(const struct scenario *sc, const struct run_opts *o,
		       struct run_result *res, char *err, size_t errlen)
{
	if (strcmp(o->mode, "bad") == 0) {
		snprintf(err, errlen, "no such device");
		return HS_EINVAL;
	}
	return run_result_init(res, sc->ntenants);
}

/* A failing run is named; the others still complete. */
START_TEST(test_failure_reported)
{
	char err[512];
	struct scenario *sc = scenario_load("scenarios/dual_resnet.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	struct run_result res[4];
	struct cli_run r[4];
	memset(res, 0, sizeof(res));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		r[i].res = &res[i];
		r[i].ro.mode = i == 2 ? "bad" : "ok";
	}
	ck_assert_int_eq(cli_runs(failing_run, sc, r, 4, 3), 2);
	ck_assert_str_eq(r[2].err, "no such device");
	ck_assert_int_eq(r[3].rc, 0);
	ck_assert_uint_eq(res[3].ntenants, 2);
	for (int i = 0; i < 4; i++)
		run_result_release(&res[i]);
	scenario_free(sc);
}
END_TEST

Suite *runs_suite(void)
{
	Suite *s = suite_create("runs");
	TCase *t = tcase_create("parallel");
	tcase_add_test(t, test_parallel_equals_serial);
	tcase_add_test(t, test_failure_reported);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}
