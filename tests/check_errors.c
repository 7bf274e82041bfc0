/*
 * The one error numbering (core/sched.h): every module's codes read their
 * own message through hs_strerror, and the block registry refuses what
 * would make two tables disagree.
 */
#include <check.h>
#include <limits.h>
#include <string.h>
#include "analysis.h"
#include "hw.h"
#include "scenario.h"
#include "trace.h"

START_TEST(test_every_module_code_has_its_message)
{
	static const struct { int code; const char *msg; } want[] = {
		{ HS_ENOMEM, "out of memory" },
		{ HS_ENOPOLICY, "no such policy" },
		{ HW_ENOBACKEND, "built without a GPU backend" },
		{ HW_ENODEV, "no HIP device" },
		{ HW_EDEVICE, "HIP call failed" },
		{ HW_ETRACE, "cannot load the trace" },
		{ HW_EIO, "cannot write the file" },
		{ TRACE_EBAD, "malformed or unreadable trace" },
		{ TRACE_EIO, "cannot write the output file" },
		{ SCENARIO_EBAD, "bad scenario" },
		{ SCENARIO_EVALUE, "bad value" },
		{ ANALYSIS_EIO, "cannot write the run directory" },
		{ ANALYSIS_EBAD, "cannot read the run directory" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_str_eq(hs_strerror(want[i].code), want[i].msg);
	/* inside a block, past its table; between blocks; out of range */
	ck_assert_str_eq(hs_strerror(HW_EIO - 1), "unknown error");
	ck_assert_str_eq(hs_strerror(-50), "unknown error");
	ck_assert_str_eq(hs_strerror(-100000), "unknown error");
	ck_assert_str_eq(hs_strerror(INT_MIN), "unknown error");
	ck_assert_str_eq(hs_strerror(1), "unknown error");
}
END_TEST

START_TEST(test_register_rules)
{
	static const char *const a[] = { "first", NULL, "third" };
	static const char *const b[] = { "other" };
	ck_assert_int_eq(hs_err_register(-800, 3, a), HS_OK);
	ck_assert_int_eq(hs_err_register(-800, 3, a), HS_OK);     /* again: no-op */
	ck_assert_int_eq(hs_err_register(-800, 1, b), HS_EEXIST);
	ck_assert_int_eq(hs_err_register(HS_ERANGE_HW, 1, b), HS_EEXIST);
	ck_assert_str_eq(hs_strerror(-800), "first");
	ck_assert_str_eq(hs_strerror(-801), "unknown error");     /* a hole */
	ck_assert_str_eq(hs_strerror(-802), "third");
	ck_assert_int_eq(hs_err_register(-850, 1, b), HS_EINVAL); /* not a block */
	ck_assert_int_eq(hs_err_register(0, 1, b), HS_EINVAL);    /* the core's */
	ck_assert_int_eq(hs_err_register(-900, 1, b), HS_EINVAL); /* past the last */
	ck_assert_int_eq(hs_err_register(-700, 101, b), HS_EINVAL);
	ck_assert_int_eq(hs_err_register(-700, 0, b), HS_EINVAL);
}
END_TEST

Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("errors");
	tcase_add_test(tc, test_every_module_code_has_its_message);
	tcase_add_test(tc, test_register_rules);
	suite_add_tcase(s, tc);
	return s;
}
