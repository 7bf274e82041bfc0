/*
 * Tests of core/'s XSched-family policies: lax, kedf, cfs, up, pup, mlfq,
 * awf. Each test pins the policy's decisions on a hand-built sequence of
 * submissions, completions and timer calls on the fake backend.
 */
#include <check.h>
#include <string.h>
#include "core_fixture.h"

static struct fake_hwq h4;

/* A level-1 queue with threshold 4, batch 2 and the given hints. */
static struct xq *mk(struct sched *s, struct fake_hwq *h, int prio, int group,
		     double weight, int fg)
{
	struct xq_config cfg = {
		.hwq = h, .priority = prio, .level = 1, .threshold = 4, .batch = 2,
		.group = group, .weight = weight, .foreground = fg,
	};
	struct xq *q = NULL;
	if (!h->max_level)
		h->max_level = 3;
	int e = xq_create(s, &cfg, &q);
	ck_assert_msg(e == 0, "xq_create: %s", hs_strerror(e));
	h->xq = q;
	return q;
}

static struct sched *mksched(const char *policy, const struct hs_param *p, size_t n)
{
	static struct sched_env env;
	char err[256];
	int e;
	env = fake_env_make(&fe, &fake_backend_ops);
	struct sched *s = sched_create(&env, policy, p, n, &e, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s: %s", policy, err);
	return s;
}

/* sched_create's error for one bad parameter. */
static const char *bad(const char *policy, const char *key, const char *val)
{
	static char err[256];
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct hs_param p = { key, val };
	int e = 0;
	ck_assert_ptr_null(sched_create(&env, policy, &p, 1, &e, err, sizeof(err)));
	ck_assert_int_eq(e, HS_EPARAM);
	return err;
}

static void expect_with(struct sched *s, struct xcmd *c, int n, hs_ns each)
{
	for (int i = 0; i < n; i++)
		c[i].expect_ns = each;
	(void)s;
}

#define SUSP(q) (stats(q).suspended)

START_TEST(test_params_validated)
{
	ck_assert_str_eq(bad("lax", "quantum", "0"),
			 "quantum: expected a positive number, got '0'");
	ck_assert_str_eq(bad("kedf", "k", "0"), "k: expected an integer in 1..1024, got '0'");
	ck_assert_str_eq(bad("kedf", "k", "2.5"), "k: expected an integer in 1..1024, got '2.5'");
	ck_assert_str_eq(bad("cfs", "slice", "x"), "slice: expected a positive number, got 'x'");
	ck_assert_str_eq(bad("up", "slice", "30"), "slice (30 ms) longer than period (20 ms)");
	ck_assert_str_eq(bad("pup", "quota", "1"), "policy 'pup' has no parameter 'quota'");
	ck_assert_str_eq(bad("mlfq", "levels", "17"),
			 "levels: expected an integer in 1..16, got '17'");
	ck_assert_str_eq(bad("awf", "k", "1"), "policy 'awf' has no parameter 'k'");
}
END_TEST

/* lax picks the smaller slack, not the earlier deadline; the waiter's
 * shrinking slack takes over at the computed time. */
START_TEST(test_lax_least_slack)
{
	struct sched *s = mksched("lax", NULL, 0);
	struct xq *a = mk(s, &h1, 1, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	xq_set_deadline(a, 10000000, 0);     /* 10 ms, 9 ms of work: slack 1 */
	xq_set_deadline(b, 4500000, 0);      /* 4.5 ms, 1 ms of work: slack 3.5 */
	expect_with(s, cmds[0], 3, 3000000);
	expect_with(s, cmds[1], 1, 1000000);
	submit_n(a, cmds[0], 3, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(SUSP(b), 1);        /* edf would run b */
	ck_assert_int_eq(fe.timer, 2500000); /* b's slack meets a's then */
	sched_on_timer(s, 2500000);          /* a made no progress: -1.5 vs 1 */
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(fe.timer, 5000000);
	xq_complete(a, &cmds[0][0], 3000000); /* progress; no policy call */
	ck_assert_int_eq(SUSP(a), 0);
	sched_on_timer(s, 5000000);          /* a: -1 ms of slack, b: -1.5 */
	ck_assert_int_eq(SUSP(a), 1);
	ck_assert_int_eq(SUSP(b), 0);
	sched_free(s);
}
END_TEST

START_TEST(test_lax_no_deadline_last)
{
	struct sched *s = mksched("lax", NULL, 0);
	struct xq *a = mk(s, &h1, 9, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	xq_set_deadline(b, 50000000, 0);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 500000);
	ck_assert_int_eq(SUSP(b), 1);        /* a keeps its 1 ms quantum */
	sched_on_timer(s, 1000000);
	ck_assert_int_eq(SUSP(a), 1);        /* a deadline beats none */
	ck_assert_int_eq(SUSP(b), 0);
	xq_complete(b, &cmds[1][0], 1100000);
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(fe.timer, -1);
	sched_free(s);
}
END_TEST

START_TEST(test_kedf_two_run)
{
	struct hs_param p = { "k", "2" };
	struct sched *s = mksched("kedf", &p, 1);
	struct xq *a = mk(s, &h1, 1, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	struct xq *c = mk(s, &h3, 1, 0, 1, 0);
	xq_set_deadline(a, 300, 0);
	xq_set_deadline(b, 100, 0);
	xq_set_deadline(c, 200, 0);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_int_eq(SUSP(a), 0);        /* two ready, k = 2: both run */
	ck_assert_int_eq(SUSP(b), 0);
	submit_n(c, cmds[2], 1, 1);
	ck_assert_int_eq(SUSP(a), 1);        /* latest deadline waits */
	ck_assert_int_eq(SUSP(b), 0);
	ck_assert_int_eq(SUSP(c), 0);
	xq_complete(b, &cmds[1][0], 2);
	ck_assert_int_eq(SUSP(a), 0);
	sched_free(s);
}
END_TEST

/* kedf: a queue without a deadline takes no free slot while one with a
 * deadline is ready (it would share the device with it); it runs again
 * once no deadline work is ready. */
START_TEST(test_kedf_no_deadline_waits)
{
	struct hs_param p = { "k", "2" };
	struct sched *s = mksched("kedf", &p, 1);
	struct xq *a = mk(s, &h1, 1, 0, 1, 0);
	struct xq *batch = mk(s, &h2, 5, 0, 1, 0);   /* no deadline */
	xq_set_deadline(a, 100, 0);
	submit_n(batch, cmds[1], 1, 0);
	ck_assert_int_eq(SUSP(batch), 0);    /* alone: it runs */
	submit_n(a, cmds[0], 1, 1);
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(SUSP(batch), 1);    /* a slot is free, yet it waits */
	xq_complete(a, &cmds[0][0], 2);
	ck_assert_int_eq(SUSP(batch), 0);
	sched_free(s);
}
END_TEST

/* cfs: weight 2 earns twice the time; a sleeper gets no credit. */
START_TEST(test_cfs_weighted)
{
	struct hs_param p = { "slice", "1" };
	struct sched *s = mksched("cfs", &p, 1);
	struct xq *a = mk(s, &h1, 1, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 2, 0);
	submit_n(a, cmds[0], 8, 0);
	submit_n(b, cmds[1], 8, 0);
	ck_assert_int_eq(SUSP(a), 0);        /* tie: lower id */
	ck_assert_int_eq(SUSP(b), 1);
	ck_assert_int_eq(fe.timer, 1000000);
	sched_on_timer(s, 1000000);          /* a: vrt 1 ms, b: 0 */
	ck_assert_int_eq(SUSP(a), 1);
	ck_assert_int_eq(SUSP(b), 0);
	sched_on_timer(s, 2000000);          /* b: vrt 0.5 ms, still behind */
	ck_assert_int_eq(SUSP(b), 0);
	sched_on_timer(s, 3000000);          /* b: 1 ms = a: tie, lower id */
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(SUSP(b), 1);
	sched_free(s);
}
END_TEST

START_TEST(test_cfs_sleeper_no_credit)
{
	struct hs_param p = { "slice", "1" };
	struct sched *s = mksched("cfs", &p, 1);
	struct xq *a = mk(s, &h1, 1, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	submit_n(a, cmds[0], 8, 0);
	sched_on_timer(s, 50000000);         /* a alone for 50 ms */
	submit_n(b, cmds[1], 1, 50000000);   /* b starts at a's vrt */
	ck_assert_int_eq(SUSP(b), 1);        /* tie, a keeps its slice */
	sched_on_timer(s, 51000000);         /* a 51 ms, b 50 ms */
	ck_assert_int_eq(SUSP(a), 1);
	ck_assert_int_eq(SUSP(b), 0);
	sched_on_timer(s, 52000000);         /* b 51 ms: tie, a (lower id) */
	ck_assert_int_eq(SUSP(a), 0);
	sched_free(s);
}
END_TEST

/* up: shares of a 10 ms period by weight 3:1; an idle queue's share is
 * given away but comes back within the period. */
START_TEST(test_up_shares)
{
	struct hs_param p[] = { { "period", "10" }, { "slice", "10" } };
	struct sched *s = mksched("up", p, 2);
	struct xq *a = mk(s, &h1, 1, 0, 3, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	submit_n(a, cmds[0], 8, 0);
	submit_n(b, cmds[1], 8, 0);
	ck_assert_int_eq(SUSP(a), 0);        /* most share left: 7.5 ms */
	ck_assert_int_eq(SUSP(b), 1);
	ck_assert_int_eq(fe.timer, 7500000); /* end of a's share */
	sched_on_timer(s, 7500000);
	ck_assert_int_eq(SUSP(a), 1);
	ck_assert_int_eq(SUSP(b), 0);
	ck_assert_int_eq(fe.timer, 10000000); /* period end */
	sched_on_timer(s, 10000000);         /* new period: a again */
	ck_assert_int_eq(SUSP(a), 0);
	ck_assert_int_eq(SUSP(b), 1);
	sched_free(s);
}
END_TEST

/* pup: the process of two queues gets one share, not two. */
START_TEST(test_pup_by_process)
{
	struct hs_param p[] = { { "period", "10" }, { "slice", "10" } };
	struct sched *s = mksched("pup", p, 2);
	struct xq *a1 = mk(s, &h1, 1, 0, 1, 0);
	struct xq *a2 = mk(s, &h2, 1, 0, 1, 0);
	struct xq *b = mk(s, &h3, 1, 5, 2, 0);  /* process 5, weight 2 */
	submit_n(a1, cmds[0], 8, 0);
	submit_n(a2, cmds[1], 8, 0);
	submit_n(b, cmds[2], 8, 0);
	/* process 0 weighs 1 (not 1 + 1): 3.33 ms; process 5 weighs 2 */
	ck_assert_int_eq(SUSP(a1), 0);       /* came first, keeps its turn */
	ck_assert_int_eq(SUSP(a2), 0);       /* one process: both run */
	ck_assert_int_eq(SUSP(b), 1);
	ck_assert_int_eq(fe.timer, 3333334);
	sched_on_timer(s, 3333334);
	ck_assert_int_eq(SUSP(a1), 1);
	ck_assert_int_eq(SUSP(a2), 1);
	ck_assert_int_eq(SUSP(b), 0);
	ck_assert_int_eq(fe.timer, 10000000); /* b's 6.67 ms outlast the period */
	sched_free(s);
}
END_TEST

/* mlfq: the queue that keeps the GPU sinks, the short one stays on top;
 * the boost brings the sunk one back. */
START_TEST(test_mlfq_hog_sinks)
{
	struct hs_param p[] = { { "quantum", "1" }, { "boost", "100" } };
	struct sched *s = mksched("mlfq", p, 2);
	struct xq *hog = mk(s, &h1, 1, 0, 1, 0);
	struct xq *web = mk(s, &h2, 1, 0, 1, 0);
	submit_n(hog, cmds[0], 8, 0);
	ck_assert_int_eq(fe.timer, -1);      /* alone: nobody to let in */
	submit_n(web, cmds[1], 1, 2000000);  /* hog used 2 ms: level 1 */
	ck_assert_int_eq(SUSP(hog), 1);
	ck_assert_int_eq(SUSP(web), 0);
	xq_complete(web, &cmds[1][0], 2500000);
	ck_assert_int_eq(SUSP(hog), 0);
	submit_n(web, cmds[1] + 1, 1, 3000000);
	ck_assert_int_eq(SUSP(hog), 1);      /* web (0.5 ms used) still on top */
	ck_assert_int_eq(fe.timer, 3500000); /* web's allotment ends */
	sched_on_timer(s, 3500000);          /* web sinks to level 1 too */
	ck_assert_int_eq(SUSP(hog), 0);
	ck_assert_int_eq(SUSP(web), 0);
	sched_free(s);
}
END_TEST

START_TEST(test_mlfq_boost)
{
	struct hs_param p[] = { { "quantum", "1" }, { "boost", "10" }, { "levels", "2" } };
	struct sched *s = mksched("mlfq", p, 3);
	struct xq *hog = mk(s, &h1, 1, 0, 1, 0);
	struct xq *b = mk(s, &h2, 1, 0, 1, 0);
	submit_n(hog, cmds[0], 8, 0);
	submit_n(b, cmds[1], 1, 3000000);    /* hog sank after 1 ms */
	ck_assert_int_eq(SUSP(hog), 1);
	ck_assert_int_eq(fe.timer, 4000000); /* b's allotment */
	xq_complete(b, &cmds[1][0], 3500000);
	ck_assert_int_eq(SUSP(hog), 0);
	submit_n(b, cmds[1] + 1, 1, 12000000); /* past the boost: both top */
	ck_assert_int_eq(SUSP(hog), 0);
	ck_assert_int_eq(SUSP(b), 0);
	sched_free(s);
}
END_TEST

/* awf: a foreground process's queues all run; the background waits. */
START_TEST(test_awf_foreground)
{
	struct sched *s = mksched("awf", NULL, 0);
	struct xq *ui1 = mk(s, &h1, 1, 3, 1, 1);
	struct xq *ui2 = mk(s, &h2, 1, 3, 1, 0); /* same process as ui1 */
	struct xq *bg = mk(s, &h3, 9, 0, 1, 0);
	submit_n(bg, cmds[2], 4, 0);
	ck_assert_int_eq(SUSP(bg), 0);       /* no foreground work */
	submit_n(ui2, cmds[1], 1, 1);
	ck_assert_int_eq(SUSP(bg), 1);
	ck_assert_int_eq(SUSP(ui1), 0);
	ck_assert_int_eq(SUSP(ui2), 0);
	xq_complete(ui2, &cmds[1][0], 2);
	ck_assert_int_eq(SUSP(bg), 0);
	xq_set_foreground(ui1, 0, 3);        /* focus moves away */
	xq_set_foreground(bg, 1, 3);
	submit_n(ui2, cmds[1] + 1, 1, 4);
	ck_assert_int_eq(SUSP(ui2), 1);
	ck_assert_int_eq(SUSP(bg), 0);
	(void)h4;
	sched_free(s);
}
END_TEST

Suite *policies_suite(void)
{
	Suite *s = suite_create("policies");
	TCase *t = tcase_create("xsched");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_params_validated);
	tcase_add_test(t, test_lax_least_slack);
	tcase_add_test(t, test_lax_no_deadline_last);
	tcase_add_test(t, test_kedf_two_run);
	tcase_add_test(t, test_kedf_no_deadline_waits);
	tcase_add_test(t, test_cfs_weighted);
	tcase_add_test(t, test_cfs_sleeper_no_credit);
	tcase_add_test(t, test_up_shares);
	tcase_add_test(t, test_pup_by_process);
	tcase_add_test(t, test_mlfq_hog_sinks);
	tcase_add_test(t, test_mlfq_boost);
	tcase_add_test(t, test_awf_foreground);
	suite_add_tcase(s, t);
	return s;
}
