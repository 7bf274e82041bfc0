/* Scenario parser: a valid file, defaults, units, and every error with its
 * line number (fixtures in tests/fixtures/scenarios/). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "scenario.h"

#define FIX "tests/fixtures/scenarios/"

START_TEST(test_valid)
{
	char err[512] = "";
	struct scenario *sc = scenario_load(FIX "valid.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	ck_assert_str_eq(sc->name, "valid_test");
	ck_assert_int_eq(sc->duration_ns, 2500000000LL);
	ck_assert_uint_eq(sc->seed, 42);
	ck_assert_str_eq(sc->device, "mi50");
	ck_assert_str_eq(sc->policy, "bp");
	ck_assert_int_eq(sc->level, 2);
	ck_assert_uint_eq(sc->threshold, 8);
	ck_assert_uint_eq(sc->batch, 4);
	ck_assert_uint_eq(sc->nparams, 1);
	ck_assert_str_eq(sc->params[0].key, "slice");
	ck_assert_str_eq(sc->params[0].val, "5");

	ck_assert_uint_eq(sc->ntenants, 3);
	struct tenant_spec *hp = &sc->tenants[0], *lp = &sc->tenants[1];
	ck_assert_str_eq(hp->name, "hp");
	ck_assert_str_eq(hp->trace_path, FIX "tiny.csv");
	ck_assert_int_eq(hp->priority, 10);
	ck_assert_int_eq(hp->arrival, ARRIVAL_PERIODIC);
	ck_assert_double_eq(hp->rate_per_s, 20);
	ck_assert_int_eq(hp->slo_ns, 50000000);
	ck_assert_int_eq(hp->deadline_ns, 40000000);
	ck_assert_int_eq(hp->process, PROCESS_SHARED);
	ck_assert_int_eq(hp->line, 15);
	ck_assert_str_eq(lp->name, "lp");
	ck_assert_int_eq(lp->priority, -1);
	ck_assert_int_eq(lp->arrival, ARRIVAL_CLOSED);
	ck_assert_int_eq(lp->process, PROCESS_OWN);
	ck_assert_int_eq(lp->slo_ns, 0);
	ck_assert_int_eq(sc->tenants[2].arrival, ARRIVAL_FILE);
	ck_assert_str_eq(sc->tenants[2].arrival_file, FIX "arrivals.txt");
	ck_assert_int_eq(scenario_tenant_index(sc, "mid"), 2);
	ck_assert_int_eq(scenario_tenant_index(sc, "nope"), -1);

	ck_assert_uint_eq(sc->ncrit, 5);
	ck_assert_int_eq(sc->crit[0].kind, CRIT_P99_VS_STANDALONE_MAX);
	ck_assert_str_eq(sc->crit[0].tenant, "hp");
	ck_assert_double_eq_tol(sc->crit[0].value, 1.10, 1e-12);
	ck_assert_str_eq(sc->crit[0].key, "hp.p99_vs_standalone_max");
	ck_assert_int_eq(sc->crit[0].line, 35);
	ck_assert_int_eq(sc->crit[1].kind, CRIT_TPUT_VS_STANDALONE_MIN);
	ck_assert_str_eq(sc->crit[1].tenant, "lp");
	ck_assert_int_eq(sc->crit[2].kind, CRIT_SLO_ATTAINMENT_MIN);
	ck_assert_int_eq(sc->crit[3].kind, CRIT_P99_MS_MAX);
	ck_assert_double_eq(sc->crit[3].value, 50);
	ck_assert_int_eq(sc->crit[4].kind, CRIT_GPU_UTIL_MIN);
	ck_assert_ptr_null(sc->crit[4].tenant);
	ck_assert_str_eq(criterion_op(CRIT_GPU_UTIL_MIN), ">=");
	ck_assert_str_eq(criterion_op(CRIT_P99_MS_MAX), "<=");
	ck_assert_str_eq(criterion_metric(CRIT_TPUT_VS_STANDALONE_MIN),
			 "throughput_vs_standalone");
	scenario_free(sc);
}
END_TEST

START_TEST(test_defaults)
{
	char err[512] = "";
	struct scenario *sc = scenario_load(FIX "minimal.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	ck_assert_str_eq(sc->name, "minimal");
	ck_assert_int_eq(sc->duration_ns, 30000000000LL);
	ck_assert_uint_eq(sc->seed, 1);
	ck_assert_str_eq(sc->device, "h100");
	ck_assert_str_eq(sc->policy, "native");
	ck_assert_int_eq(sc->level, 1);
	ck_assert_uint_eq(sc->threshold, 16);
	ck_assert_uint_eq(sc->batch, 8);
	ck_assert_uint_eq(sc->ntenants, 1);
	ck_assert_int_eq(sc->tenants[0].arrival, ARRIVAL_POISSON);
	ck_assert_double_eq(sc->tenants[0].rate_per_s, 2.5);
	ck_assert_uint_eq(sc->ncrit, 0);
	scenario_free(sc);
}
END_TEST

static const struct {
	const char *s;
	hs_ns ns;
} good_units[] = {
	{ "30s", 30000000000LL }, { "1.5ms", 1500000 }, { "250us", 250000 },
	{ "100ns", 100 }, { "2m", 120000000000LL }, { "0", 0 }, { " 7 ms ", 7000000 },
	{ "0.0000015s", 1500 }, { "1e3us", 1000000 },
};

START_TEST(test_units)
{
	hs_ns v = -1;
	const char *why = NULL;
	ck_assert_int_eq(scenario_parse_duration(good_units[_i].s, &v, &why), 0);
	ck_assert_int_eq(v, good_units[_i].ns);
}
END_TEST

START_TEST(test_bad_units)
{
	static const char *const bad[] = { "30", "5 parsecs", "ms", "", "-3s",
					   "1.5 h", "1e30s", "12sec", "+1s" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_ns v = 0;
		const char *why = NULL;
		ck_assert_msg(scenario_parse_duration(bad[i], &v, &why) == SCENARIO_EVALUE,
			      "'%s' accepted", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

static const struct {
	const char *file;
	int line;
	const char *what;
} errs[] = {
	{ "err_unknown_key.ini", 3, "unknown key 'durration' in [scenario]" },
	{ "err_unknown_section.ini", 4, "unknown section [tenants]" },
	{ "err_unknown_policy.ini", 3, "unknown policy 'hfp' (known: native" },
	{ "err_bad_unit.ini", 2, "bad duration '30 parsecs': unknown unit" },
	{ "err_missing_unit.ini", 4, "bad slo '50': missing unit" },
	{ "err_bad_number.ini", 4, "bad rate 'ten'" },
	{ "err_negative_rate.ini", 5, "rate must be positive (got -5)" },
	{ "err_missing_trace.ini", 5, "no_such_trace.csv' not found" },
	{ "err_syntax.ini", 3, "syntax error" },
	{ "err_syntax_section.ini", 3, "syntax error" },
	{ "err_no_trace_key.ini", 4, "[tenant a] has no 'trace'" },
	{ "err_missing_rate.ini", 3, "arrival periodic needs a 'rate'" },
	{ "err_duplicate_key.ini", 4, "duplicate key 'trace'" },
	{ "err_unknown_criterion.ini", 5, "unknown criterion 'a.p95_max'" },
	{ "err_verdict_tenant.ini", 6, "names unknown tenant 'b'" },
	{ "err_no_tenant.ini", 2, "no [tenant NAME] section" },
	{ "err_batch.ini", 4, "batch (8) must not exceed threshold (4)" },
	{ "err_tenant_batch.ini", 3, "[tenant a] batch (8) must not exceed threshold (4)" },
	{ "err_bad_level.ini", 3, "bad level '4'" },
	{ "err_bad_seed.ini", 2, "bad seed '-3'" },
	{ "err_key_outside.ini", 2, "key 'name' outside any section" },
	{ "err_dup_tenant.ini", 4, "duplicate tenant 'a' (first at line 1)" },
	{ "err_bad_arrival.ini", 3, "unknown arrival 'bursty'" },
	{ "err_host_launch.ini", 3, "bad host_launch 'sync' (async or blocking)" },
	{ "err_quiet.ini", 3, "bad quiet '2 fortnights': unknown unit" },
	{ "err_slo_needed.ini", 5, "needs an 'slo' in [tenant a]" },
	{ "err_policy_param.ini", 4, "policy 'bp' has no parameter 'quantum'" },
	{ "err_policy_param_value.ini", 3, "policy 'bp': slice: expected a positive number" },
	{ "err_policy_no_params.ini", 4, "policy 'native' takes no parameters (got 'boost')" },
};

START_TEST(test_errors)
{
	char err[512] = "", want[256];
	snprintf(want, sizeof(want), FIX "%s", errs[_i].file);
	struct scenario *sc = scenario_load(want, err, sizeof(err));
	ck_assert_msg(sc == NULL, "%s loaded", errs[_i].file);
	snprintf(want, sizeof(want), FIX "%s:%d: ", errs[_i].file, errs[_i].line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		      "got '%s', want prefix '%s'", err, want);
	ck_assert_msg(strstr(err, errs[_i].what) != NULL, "got '%s', want '%s'",
		      err, errs[_i].what);
}
END_TEST

/* A tenant's own threshold / batch, else the [policy] section's; its
 * host_launch. */
START_TEST(test_tenant_threshold)
{
	char err[512] = "";
	struct scenario *sc = scenario_load(FIX "tenant_threshold.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	ck_assert_uint_eq(scenario_tenant_threshold(sc, 0), 1024);
	ck_assert_uint_eq(scenario_tenant_batch(sc, 0), 4);
	ck_assert_uint_eq(scenario_tenant_threshold(sc, 1), 2);
	ck_assert_uint_eq(scenario_tenant_batch(sc, 1), 2);
	ck_assert_uint_eq(scenario_tenant_threshold(sc, 2), 8);
	ck_assert_uint_eq(scenario_tenant_batch(sc, 2), 4);
	/* host_launch: async unless said (c says blocking) */
	ck_assert_int_eq(sc->tenants[0].host_launch, HOST_LAUNCH_ASYNC);
	ck_assert_int_eq(sc->tenants[2].host_launch, HOST_LAUNCH_BLOCKING);
	/* quiet: off unless said (c: 100 us) */
	ck_assert_int_eq(sc->tenants[0].quiet_ns, 0);
	ck_assert_int_eq(sc->tenants[2].quiet_ns, 100000);
	ck_assert_int_eq(sc->tenants[0].lead_ns, 0);
	ck_assert_int_eq(sc->tenants[2].lead_ns, 250000);
	ck_assert_int_eq(sc->tenants[0].intercept_ns, 0);
	ck_assert_int_eq(sc->tenants[2].intercept_ns, 1900);
	scenario_free(sc);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[512] = "";
	ck_assert_ptr_null(scenario_load(FIX "nope.ini", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, FIX "nope.ini: cannot open"));
}
END_TEST

START_TEST(test_shipped)
{
	static const char *const files[] = { "scenarios/dual_resnet.ini",
		"scenarios/three_tenant.ini", "scenarios/realtime_batch.ini" };
	/* Parsing needs the traces; where they are not in this tree yet,
	 * the error must name the trace file. */
	char err[512] = "";
	struct scenario *sc = scenario_load(files[_i], err, sizeof(err));
	if (!sc) {
		ck_assert_msg(strstr(err, "traces/data/") && strstr(err, "not found"),
			      "%s", err);
		return;
	}
	ck_assert_uint_ge(sc->ntenants, 2);
	ck_assert_uint_ge(sc->ncrit, 1);
	scenario_free(sc);
}
END_TEST

Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_tenant_threshold);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_units, 0, sizeof(good_units) / sizeof(good_units[0]));
	tcase_add_test(tc, test_bad_units);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(errs) / sizeof(errs[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_loop_test(tc, test_shipped, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}
