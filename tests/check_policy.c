/* Tests of core/'s policies: registry, parameters, hpf, edf, bp. */
#include <check.h>
#include <string.h>
#include "core_fixture.h"

START_TEST(test_strerror)
{
	ck_assert_str_eq(hs_strerror(HS_OK), "success");
	ck_assert_str_eq(hs_strerror(HS_ELEVEL),
			 "preemption level not supported by the backend");
	ck_assert_str_eq(hs_strerror(-999), "unknown error");
	ck_assert_str_eq(hs_strerror(5), "unknown error");
}
END_TEST

START_TEST(test_policy_find_builtins)
{
	const char *names[] = { "native", "streamprio", "hpf", "edf", "bp" };
	for (size_t i = 0; i < 5; i++) {
		const struct policy_ops *p = policy_find(names[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_str_eq(p->name, names[i]);
		ck_assert_ptr_nonnull(p->summary);
	}
	ck_assert_uint_ge(policy_count(), 5);
	ck_assert_ptr_eq(policy_at(0), policy_find("native"));
	ck_assert_ptr_null(policy_at(1000));
}
END_TEST

START_TEST(test_policy_find_unknown)
{
	ck_assert_ptr_null(policy_find("hfp"));
	ck_assert_ptr_null(policy_find(""));
	ck_assert_ptr_null(policy_find(NULL));
}
END_TEST

static void sched_noop(struct sched *s, void *st, const struct sched_status *x)
{
	(void)s; (void)st; (void)x;
}

START_TEST(test_policy_register)
{
	static const struct policy_ops dup = { .name = "hpf", .sched = sched_noop };
	static const struct policy_ops mine = { .name = "test-mine", .sched = sched_noop };
	static const struct policy_ops bad = { .name = "test-bad" };
	ck_assert_int_eq(policy_register(&dup), HS_EEXIST);
	ck_assert_int_eq(policy_register(&bad), HS_EINVAL);
	ck_assert_int_eq(policy_register(&mine), HS_OK);
	ck_assert_ptr_eq(policy_find("test-mine"), &mine);
	ck_assert_int_eq(policy_register(&mine), HS_EEXIST);
}
END_TEST

START_TEST(test_policy_names)
{
	char buf[256];
	policy_names(buf, sizeof(buf));
	ck_assert_str_eq(strstr(buf, "native") == buf ? "ok" : buf, "ok");
	ck_assert_ptr_nonnull(strstr(buf, ", hpf"));
	ck_assert_ptr_nonnull(strstr(buf, ", bp"));
	char small[8];
	policy_names(small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

START_TEST(test_sched_unknown_policy)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	int err = 0;
	char msg[256];
	ck_assert_ptr_null(sched_create(&env, "hfp", NULL, 0, &err, msg, sizeof(msg)));
	ck_assert_int_eq(err, HS_ENOPOLICY);
	ck_assert_ptr_nonnull(strstr(msg, "unknown policy 'hfp'"));
	ck_assert_ptr_nonnull(strstr(msg, "hpf"));
	ck_assert_ptr_nonnull(strstr(msg, "native"));
}
END_TEST

START_TEST(test_sched_param_rejected)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct hs_param p = { "slice", "3" };
	int err = 0;
	char msg[256];
	ck_assert_ptr_null(sched_create(&env, "hpf", &p, 1, &err, msg, sizeof(msg)));
	ck_assert_int_eq(err, HS_EPARAM);
	ck_assert_ptr_nonnull(strstr(msg, "slice"));
}
END_TEST

START_TEST(test_bp_params)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	int err = 0;
	char msg[256];
	struct hs_param bad = { "slice", "-2" };
	ck_assert_ptr_null(sched_create(&env, "bp", &bad, 1, &err, msg, sizeof(msg)));
	ck_assert_int_eq(err, HS_EPARAM);
	ck_assert_ptr_nonnull(strstr(msg, "positive"));
	struct hs_param unk = { "slise", "2" };
	ck_assert_ptr_null(sched_create(&env, "bp", &unk, 1, &err, msg, sizeof(msg)));
	ck_assert_ptr_nonnull(strstr(msg, "slise"));
	struct hs_param ok = { "slice", "2.5" };
	struct sched *s = sched_create(&env, "bp", &ok, 1, &err, msg, sizeof(msg));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(sched_policy(s)->name, "bp");
	sched_free(s);
}
END_TEST

START_TEST(test_sched_create_bad_env)
{
	int err = 0;
	ck_assert_ptr_null(sched_create(NULL, "hpf", NULL, 0, &err, NULL, 0));
	ck_assert_int_eq(err, HS_EINVAL);
}
END_TEST

/* ---- queue creation ---------------------------------------------------- */
START_TEST(test_hpf_suspends_lower)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *hi = fake_xq(s, &h1, 10, 1, 4, 2);
	struct xq *lo = fake_xq(s, &h2, 1, 1, 4, 2);
	submit_n(lo, cmds[1], 6, 0);
	ck_assert_uint_eq(h2.nlaunched, 4);
	submit_n(hi, cmds[0], 2, 5);
	ck_assert_int_eq(stats(lo).suspended, 1);
	ck_assert_int_eq(stats(hi).suspended, 0);
	xq_complete(lo, &cmds[1][3], 6);
	ck_assert_uint_eq(h2.nlaunched, 4);          /* no new low launches */
	xq_complete(hi, &cmds[0][1], 7);             /* high idle */
	ck_assert_int_eq(stats(lo).suspended, 0);
	ck_assert_uint_eq(h2.nlaunched, 6);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_low_never_slips)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *hi = fake_xq(s, &h1, 10, 1, 4, 2);
	struct xq *lo = fake_xq(s, &h2, 1, 1, 4, 2);
	submit_n(hi, cmds[0], 3, 0);
	submit_n(lo, cmds[1], 3, 1);
	ck_assert_uint_eq(h2.nlaunched, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_equal_priorities)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *a = fake_xq(s, &h1, 5, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 5, 1, 4, 2);
	submit_n(a, cmds[0], 2, 0);
	submit_n(b, cmds[1], 2, 0);
	ck_assert_uint_eq(h1.nlaunched, 2);
	ck_assert_uint_eq(h2.nlaunched, 2);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_three_levels)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *hi = fake_xq(s, &h1, 3, 1, 4, 2);
	struct xq *mid = fake_xq(s, &h2, 2, 1, 4, 2);
	struct xq *lo = fake_xq(s, &h3, 1, 1, 4, 2);
	submit_n(hi, cmds[0], 1, 0);
	submit_n(mid, cmds[1], 1, 0);
	submit_n(lo, cmds[2], 1, 0);
	ck_assert_uint_eq(h1.nlaunched, 1);
	ck_assert_uint_eq(h2.nlaunched, 0);
	ck_assert_uint_eq(h3.nlaunched, 0);
	xq_complete(hi, &cmds[0][0], 1);
	ck_assert_uint_eq(h2.nlaunched, 1);
	ck_assert_uint_eq(h3.nlaunched, 0);
	xq_complete(mid, &cmds[1][0], 2);
	ck_assert_uint_eq(h3.nlaunched, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_priority_hint)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *a = fake_xq(s, &h1, 2, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 1, 1, 4, 2);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_int_eq(stats(b).suspended, 1);
	xq_set_priority(b, 3, 1);
	ck_assert_int_eq(stats(b).suspended, 0);
	ck_assert_int_eq(stats(a).suspended, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_with_l2)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *hi = fake_xq(s, &h1, 3, 2, 4, 2);
	struct xq *lo = fake_xq(s, &h2, 1, 2, 4, 2);
	submit_n(lo, cmds[1], 4, 0);
	submit_n(hi, cmds[0], 1, 10);
	ck_assert_int_eq(h2.deactivates, 1);
	xq_deactivated(lo, NULL, 12);
	xq_complete(hi, &cmds[0][0], 20);
	ck_assert_int_eq(h2.reactivates, 1);
	ck_assert_uint_eq(h2.relaunched, 4);
	ck_assert_uint_eq(fe.npreempt, 1);
	ck_assert_int_eq(fe.preempt_idle[0] - fe.preempt_suspend[0], 2);
	sched_free(s);
}
END_TEST

/* POLICY with the one parameter KEY=VAL on the fake backend. */
static struct sched *with_param(const char *policy, const char *key, const char *val)
{
	return fake_sched_param(&fe, policy, key, val);
}

static struct sched *with_linger(const char *policy, const char *ms)
{
	return with_param(policy, "linger", ms);
}

static struct sched *hpf_linger(const char *ms)
{
	return with_linger("hpf", ms);
}

START_TEST(test_hpf_linger_holds_lower)
{
	struct sched *s = hpf_linger("1");
	struct xq *hi = fake_xq(s, &h1, 10, 1, 4, 2);
	struct xq *lo = fake_xq(s, &h2, 1, 1, 4, 2);
	submit_n(lo, cmds[1], 2, 0);
	submit_n(hi, cmds[0], 1, 10);
	xq_complete(hi, &cmds[0][0], 100);            /* hi idle, lingering */
	ck_assert_int_eq(stats(lo).suspended, 1);
	ck_assert_int_eq(fe.timer, 100 + 1000000);
	sched_on_timer(s, 500000);                    /* early: still held */
	ck_assert_int_eq(stats(lo).suspended, 1);
	sched_on_timer(s, 100 + 1000000);
	ck_assert_int_eq(stats(lo).suspended, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_linger_no_thrash_l2)
{
	struct sched *s = hpf_linger("0.5");
	struct xq *hi = fake_xq(s, &h1, 10, 2, 4, 2);
	struct xq *lo = fake_xq(s, &h2, 1, 2, 4, 2);
	submit_n(lo, cmds[1], 4, 0);
	/* a request of 20 kernels, each alone on the queue, 40 us apart */
	hs_ns t = 1000;
	for (int i = 0; i < 20; i++, t += 40000) {
		xq_submit(hi, &cmds[0][i], t);
		if (i == 0)
			xq_deactivated(lo, NULL, t + 1);
		xq_complete(hi, &cmds[0][i], t + 10000);
	}
	ck_assert_int_eq(h2.deactivates, 1);          /* once, not 20 times */
	ck_assert_int_eq(h2.reactivates, 0);
	sched_on_timer(s, t + 500000);
	ck_assert_int_eq(h2.reactivates, 1);
	ck_assert_int_eq(stats(lo).suspended, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_hpf_param_errors)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct hs_param p = { "linger", "soon" };
	char msg[128];
	int err = 0;
	ck_assert_ptr_null(sched_create(&env, "hpf", &p, 1, &err, msg, sizeof(msg)));
	ck_assert_int_eq(err, HS_EPARAM);
	ck_assert_ptr_nonnull(strstr(msg, "linger"));
}
END_TEST

static struct xq *decided_q[16];
static int decided_s[16], ndecided;
static void on_decided(void *ctx, struct xq *q, int suspended, hs_ns now)
{
	(void)ctx; (void)now;
	if (ndecided < 16) {
		decided_q[ndecided] = q;
		decided_s[ndecided++] = suspended;
	}
}

START_TEST(test_proxy_queues)
{
	/* one policy over two processes: the queues are proxies whose load
	 * the driver reports; decisions come out through env.decided */
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	env.decided = on_decided;
	ndecided = 0;
	struct sched *s = sched_create(&env, "hpf", NULL, 0, NULL, NULL, 0);
	struct xq_config hc = { .priority = 10, .level = 2, .proxy = 1 };
	struct xq_config lc = { .priority = 1, .level = 2, .proxy = 1 };
	struct xq *hi, *lo;
	ck_assert_int_eq(xq_create(s, &hc, &hi), 0);
	ck_assert_int_eq(xq_create(s, &lc, &lo), 0);
	ck_assert_int_eq(xq_submit(hi, &cmds[0][0], 0), HS_EINVAL);
	ck_assert_int_eq(xq_set_proxy_load(lo, 3, 16, 1), 0);
	ck_assert_int_eq(stats(lo).suspended, 0);
	ndecided = 0;
	ck_assert_int_eq(xq_set_proxy_load(hi, 1, 0, 2), 0);
	ck_assert_int_eq(ndecided, 1);
	ck_assert_ptr_eq(decided_q[0], lo);
	ck_assert_int_eq(decided_s[0], 1);
	ck_assert_int_eq(h1.deactivates + h2.deactivates, 0);  /* no backend */
	xq_set_proxy_load(hi, 0, 1, 3);        /* launched: still ready */
	ck_assert_int_eq(ndecided, 1);
	xq_set_proxy_load(hi, 0, 0, 4);        /* idle: lo resumes */
	ck_assert_int_eq(ndecided, 2);
	ck_assert_ptr_eq(decided_q[1], lo);
	ck_assert_int_eq(decided_s[1], 0);
	ck_assert_int_eq(xq_set_proxy_load(fake_xq(s, &h1, 0, 1, 4, 2), 1, 1, 5),
			 HS_EINVAL);
	sched_free(s);
}
END_TEST

START_TEST(test_edf_earliest_runs)
{
	struct sched *s = fake_sched(&fe, "edf");
	struct xq *a = fake_xq(s, &h1, 1, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 1, 1, 4, 2);
	xq_set_deadline(a, 1000, 0);
	xq_set_deadline(b, 500, 0);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_int_eq(stats(a).suspended, 1);
	ck_assert_int_eq(stats(b).suspended, 0);
	xq_set_deadline(a, 100, 1);
	ck_assert_int_eq(stats(a).suspended, 0);
	ck_assert_int_eq(stats(b).suspended, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_edf_no_deadline_ties)
{
	struct sched *s = fake_sched(&fe, "edf");
	struct xq *a = fake_xq(s, &h1, 1, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 7, 1, 4, 2);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_int_eq(stats(a).suspended, 1);
	ck_assert_int_eq(stats(b).suspended, 0);
	sched_free(s);
}
END_TEST

/* edf with linger: the queue with a deadline keeps the GPU (and its
 * deadline) through a host gap shorter than linger; the batch queue runs
 * once the linger ran out; without linger it runs in the gap. */
START_TEST(test_edf_linger)
{
	for (int lg = 0; lg < 2; lg++) {
		memset(&h1, 0, sizeof(h1));
		memset(&h2, 0, sizeof(h2));
		struct sched *s = lg ? with_linger("edf", "0.2") : fake_sched(&fe, "edf");
		struct xq *rt = fake_xq(s, &h1, 1, 1, 4, 2);
		struct xq *bat = fake_xq(s, &h2, 1, 1, 4, 2);
		submit_n(bat, cmds[1], 2, 0);
		xq_set_deadline(rt, 6000000, 10);
		submit_n(rt, cmds[0], 1, 10);
		ck_assert_int_eq(stats(bat).suspended, 1);
		xq_complete(rt, &cmds[0][0], 50000);       /* a host gap begins */
		ck_assert_int_eq(stats(bat).suspended, lg);
		if (!lg) {
			sched_free(s);
			continue;
		}
		ck_assert_int_eq(fe.timer, 50000 + 200000);
		xq_submit(rt, &cmds[0][1], 90000);         /* the next kernel, in time */
		sched_on_timer(s, 250000);                 /* ready again: nothing ends */
		ck_assert_int_eq(stats(bat).suspended, 1);
		xq_complete(rt, &cmds[0][1], 300000);
		sched_on_timer(s, 400000);                 /* early */
		ck_assert_int_eq(stats(bat).suspended, 1);
		sched_on_timer(s, 500000);
		ck_assert_int_eq(stats(bat).suspended, 0);
		sched_free(s);
	}
	/* a bad value is refused by name */
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct hs_param p = { "linger", "-1" };
	char msg[128];
	ck_assert_ptr_null(sched_create(&env, "edf", &p, 1, NULL, msg, sizeof(msg)));
	ck_assert_ptr_nonnull(strstr(msg, "linger"));
}
END_TEST

/* hpf lift=1: a queue no queue outranks launches past its threshold; a
 * queue of a higher priority appearing holds it to its threshold again
 * (what is in flight stays), and its leaving lifts it. lift=1 is the
 * default; lift=0 keeps every threshold; a bad value is refused by name. */
START_TEST(test_hpf_lift)
{
	struct sched *s = with_param("hpf", "lift", "1");
	struct xq *lo = fake_xq(s, &h1, 1, 1, 4, 2);
	submit_n(lo, cmds[0], 10, 0);
	ck_assert_uint_eq(h1.nlaunched, 10);           /* alone: unthrottled */
	struct xq *hi = fake_xq(s, &h2, 10, 1, 4, 2);
	ck_assert_uint_eq(h2.nlaunched, 0);
	submit_n(lo, cmds[0] + 10, 6, 10);              /* hi idle: lo runs, bounded */
	ck_assert_uint_eq(h1.nlaunched, 10);
	ck_assert_uint_eq(stats(lo).pending, 6);
	/* hi outranks lo: lo is held to 4 in flight from here on */
	for (size_t i = 0; i < 10; i++)
		if (cmds[0][i].flags & XCMD_F_SYNC)
			xq_complete(lo, &cmds[0][i], 20);
	ck_assert_uint_le(fake_inflight(lo), 4);
	xq_free(hi);                                    /* alone again: lifted */
	ck_assert_uint_eq(stats(lo).pending, 0);
	ck_assert_uint_eq(h1.nlaunched, 16);
	sched_free(s);

	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	s = sched_create(&env, "hpf", NULL, 0, NULL, NULL, 0);
	memset(&h1, 0, sizeof(h1));
	lo = fake_xq(s, &h1, 1, 1, 4, 2);
	submit_n(lo, cmds[1], 10, 0);
	ck_assert_uint_eq(h1.nlaunched, 10);            /* the default: lifted */
	sched_free(s);
	s = with_param("hpf", "lift", "0");
	memset(&h1, 0, sizeof(h1));
	lo = fake_xq(s, &h1, 1, 1, 4, 2);
	submit_n(lo, cmds[2], 10, 0);
	ck_assert_uint_eq(h1.nlaunched, 4);             /* lift=0: held */
	sched_free(s);
	struct hs_param bad = { "lift", "yes" };
	char msg[128];
	ck_assert_ptr_null(sched_create(&env, "hpf", &bad, 1, NULL, msg, sizeof(msg)));
	ck_assert_ptr_nonnull(strstr(msg, "lift: expected 0 or 1"));
	struct hs_param lift = { "lift", "1" };
	ck_assert_ptr_null(sched_create(&env, "edf", &lift, 1, NULL, msg, sizeof(msg)));
	ck_assert_ptr_nonnull(strstr(msg, "lift"));
}
END_TEST

START_TEST(test_bp_rotates)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct hs_param p = { "slice", "2" };
	struct sched *s = sched_create(&env, "bp", &p, 1, NULL, NULL, 0);
	struct xq *a = fake_xq(s, &h1, 1, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 1, 1, 4, 2);
	xq_set_weight(b, 2.0, 0);
	submit_n(a, cmds[0], 4, 0);
	submit_n(b, cmds[1], 4, 0);
	ck_assert_int_eq(stats(a).suspended, 0);
	ck_assert_int_eq(stats(b).suspended, 1);
	ck_assert_int_eq(fe.timer, 2000000);
	sched_on_timer(s, 2000000);
	ck_assert_int_eq(stats(a).suspended, 1);
	ck_assert_int_eq(stats(b).suspended, 0);
	ck_assert_int_eq(fe.timer, 2000000 + 4000000);  /* weight 2 */
	sched_on_timer(s, 3000000);                     /* early: re-armed */
	ck_assert_int_eq(stats(b).suspended, 0);
	ck_assert_int_eq(fe.timer, 6000000);
	sched_on_timer(s, 6000000);
	ck_assert_int_eq(stats(a).suspended, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_bp_idle_gives_turn)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops);
	struct sched *s = sched_create(&env, "bp", NULL, 0, NULL, NULL, 0);
	struct xq *a = fake_xq(s, &h1, 1, 1, 4, 2);
	struct xq *b = fake_xq(s, &h2, 1, 1, 4, 2);
	submit_n(a, cmds[0], 1, 0);
	submit_n(b, cmds[1], 1, 0);
	ck_assert_uint_eq(h2.nlaunched, 0);
	xq_complete(a, &cmds[0][0], 10);
	ck_assert_int_eq(stats(b).suspended, 0);
	ck_assert_uint_eq(h2.nlaunched, 1);
	ck_assert_int_eq(fe.timer, 10 + 5000000);
	sched_free(s);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *t;

	t = tcase_create("registry");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_strerror);
	tcase_add_test(t, test_policy_find_builtins);
	tcase_add_test(t, test_policy_find_unknown);
	tcase_add_test(t, test_policy_register);
	tcase_add_test(t, test_policy_names);
	tcase_add_test(t, test_sched_unknown_policy);
	tcase_add_test(t, test_sched_param_rejected);
	tcase_add_test(t, test_bp_params);
	tcase_add_test(t, test_sched_create_bad_env);
	suite_add_tcase(s, t);

	t = tcase_create("policies");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_hpf_suspends_lower);
	tcase_add_test(t, test_hpf_low_never_slips);
	tcase_add_test(t, test_hpf_equal_priorities);
	tcase_add_test(t, test_hpf_three_levels);
	tcase_add_test(t, test_hpf_priority_hint);
	tcase_add_test(t, test_hpf_with_l2);
	tcase_add_test(t, test_hpf_linger_holds_lower);
	tcase_add_test(t, test_hpf_lift);
	tcase_add_test(t, test_hpf_linger_no_thrash_l2);
	tcase_add_test(t, test_hpf_param_errors);
	tcase_add_test(t, test_proxy_queues);
	tcase_add_test(t, test_edf_earliest_runs);
	tcase_add_test(t, test_edf_no_deadline_ties);
	tcase_add_test(t, test_edf_linger);
	tcase_add_test(t, test_bp_rotates);
	tcase_add_test(t, test_bp_idle_gives_turn);
	suite_add_tcase(s, t);
	return s;
}
