/*
 * The scenarios that show a policy winning (scenarios/README.md): each is
 * run by the simulator (`hipsched sim`, 2 s) three times — its own policy,
 * its most obvious alternative (--policy), and native (the reference run
 * of every invocation) — and the verdict must pass under the policy only.
 * The reason each alternative loses is in the scenario file's comment.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "test_util.h"

struct win {
	const char *file;         /* scenarios/FILE */
	const char *alt;          /* the alternative that must fail */
};

static const struct win wins[] = {
	{ "deadline_pair.ini", "edf" },     /* kedf */
	{ "fair_share.ini", "bp" },         /* cfs */
	{ "quota_teams.ini", "bp" },        /* up */
	{ "process_quota.ini", "up" },      /* pup */
	{ "unknown_priorities.ini", "hpf" }, /* mlfq */
	{ "desktop.ini", "hpf" },           /* awf */
};

/* Runs `hipsched sim scenarios/FILE --duration 2s` with extra arguments,
 * output into out; returns the exit status. */
static int sim(const char *file, const char *extra, const char *dir,
	       char *out, size_t len)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "./hipsched sim scenarios/%s --duration 2s -j 1 --out %s %s",
		 file, dir, extra);
	return test_run(cmd, out, len);
}

static char out[65536];

START_TEST(test_policy_wins)
{
	const struct win *w = &wins[_i];
	char dir[256], extra[64];
	test_mkdtemp(dir, sizeof(dir), "hs_win");
	int rc = sim(w->file, "", dir, out, sizeof(out));
	ck_assert_msg(rc == 0, "%s: verdict fails under its policy:\n%s", w->file, out);
	ck_assert_msg(strstr(out, "verdict under native, for reference: FAIL"),
		      "%s: native passes too:\n%s", w->file, out);
	snprintf(extra, sizeof(extra), "--policy %s", w->alt);
	rc = sim(w->file, extra, dir, out, sizeof(out));
	ck_assert_msg(rc == 1, "%s: %s passes too (exit %d):\n%s", w->file, w->alt, rc, out);
	char head[64];
	snprintf(head, sizeof(head), "verdict (%s):", w->alt);
	ck_assert_msg(strstr(out, head) && strstr(out, "overall: FAIL"),
		      "%s: no verdict under %s (an error?):\n%s", w->file, w->alt, out);
	test_rmtree(dir);
}
END_TEST

Suite *policy_scenarios_suite(void)
{
	Suite *s = suite_create("policy_scenarios");
	TCase *t = tcase_create("wins");
	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, test_policy_wins, 0, (int)(sizeof(wins) / sizeof(wins[0])));
	suite_add_tcase(s, t);
	return s;
}
