/* Tests of core/: XQueues, progressive launching, preemption levels, and a
 * randomized sequence (nothing lost, duplicated or reordered). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "core_fixture.h"

START_TEST(test_xq_bad_threshold)
{
	struct sched *s = fake_sched(&fe, "native");
	struct xq *q;
	struct xq_config cfg = { .hwq = &h1, .level = 1, .threshold = 4, .batch = 8 };
	h1.max_level = 3;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_EINVAL);
	cfg.threshold = 0;   /* default 16 >= 8 */
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_OK);
	sched_free(s);
}
END_TEST

START_TEST(test_xq_bad_level)
{
	struct sched *s = fake_sched(&fe, "native");
	struct xq *q;
	struct xq_config cfg = { .hwq = &h1, .level = 0 };
	h1.max_level = 3;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_EINVAL);
	cfg.level = 4;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_EINVAL);
	sched_free(s);
}
END_TEST

START_TEST(test_xq_level_above_max)
{
	struct sched *s = fake_sched(&fe, "native");
	struct xq *q;
	struct xq_config cfg = { .hwq = &h1, .level = 2 };
	h1.max_level = 1;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_ELEVEL);
	h1.max_level = 2;
	cfg.level = 3;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_ELEVEL);
	cfg.level = 2;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_OK);
	ck_assert_int_eq(xq_level(q), 2);
	sched_free(s);
}
END_TEST

START_TEST(test_xq_level_missing_ops)
{
	struct sched_env env = fake_env_make(&fe, &fake_backend_ops_l1only);
	struct sched *s = sched_create(&env, "hpf", NULL, 0, NULL, NULL, 0);
	struct xq *q;
	struct xq_config cfg = { .hwq = &h1, .level = 2 };
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_ELEVEL);
	cfg.level = 1;
	ck_assert_int_eq(xq_create(s, &cfg, &q), HS_OK);
	sched_free(s);
}
END_TEST

START_TEST(test_xq_free_busy)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 2, 0);
	ck_assert_int_eq(xq_free(q), HS_EBUSY);
	xq_complete(q, &cmds[0][1], 10);
	ck_assert_int_eq(xq_free(q), HS_OK);
	sched_free(s);
}
END_TEST

/* ---- progressive launching ---------------------------------------------- */
/* The backend's max_inflight holds whatever the threshold, passthrough or
 * a lifted threshold say (hw replay: its per-queue slots). */
START_TEST(test_backend_max_inflight)
{
	static const char *const pols[] = { "native", "hpf" };
	for (int k = 0; k < 2; k++) {
		memset(&h1, 0, sizeof(h1));
		struct sched_env env = fake_env_make(&fe, &fake_backend_ops_cap3);
		struct hs_param p = { "lift", "1" };
		struct sched *s = sched_create(&env, pols[k], &p, (size_t)k, NULL, NULL, 0);
		ck_assert_ptr_nonnull(s);
		struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
		submit_n(q, cmds[0], 10, 0);
		ck_assert_uint_eq(h1.nlaunched, 3);
		ck_assert_uint_eq(stats(q).pending, 7);
		sched_free(s);
	}
}
END_TEST

START_TEST(test_threshold_never_exceeded)
{
	struct sched *s = fake_sched_param(&fe, "hpf", "lift", "0");
	struct xq *q = fake_xq(s, &h1, 0, 1, 0, 0);
	cmds[0][99].flags = XCMD_F_SYNC;     /* the submitter waits for it */
	submit_n(q, cmds[0], 100, 0);
	ck_assert_uint_eq(h1.nlaunched, XQ_DEFAULT_THRESHOLD);
	ck_assert_uint_eq(fake_inflight(q), 16);
	ck_assert_uint_eq(stats(q).pending, 84);
	/* complete in marker steps; in flight never above 16 */
	size_t done = 0;
	while (done < 100) {
		struct xcmd *m = NULL;
		for (size_t i = done; i < h1.nlaunched; i++)
			if (h1.launched[i]->flags & XCMD_F_SYNC) {
				m = h1.launched[i];
				break;
			}
		ck_assert_ptr_nonnull(m);
		xq_complete(q, m, 1);
		done = m->seq + 1;
		ck_assert_uint_le(fake_inflight(q), 16);
		ck_assert_uint_le(h1.nlaunched - done, 16);
	}
	ck_assert_uint_eq(fe.ndone, 100);
	ck_assert_uint_eq(stats(q).max_inflight, 16);
	sched_free(s);
}
END_TEST

START_TEST(test_sync_every_batch)
{
	struct sched *s = fake_sched_param(&fe, "hpf", "lift", "0");
	struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
	submit_n(q, cmds[0], 40, 0);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(!!(cmds[0][i].flags & XCMD_F_SYNC), i == 7 || i == 15);
	xq_complete(q, &cmds[0][7], 5);
	ck_assert_uint_eq(h1.nlaunched, 24);
	ck_assert(cmds[0][23].flags & XCMD_F_SYNC);
	ck_assert(!(cmds[0][22].flags & XCMD_F_SYNC));
	sched_free(s);
}
END_TEST

START_TEST(test_tail_sync_on_suspend)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
	submit_n(q, cmds[0], 3, 0);
	ck_assert_uint_eq(h1.nlaunched, 3);
	for (int i = 0; i < 3; i++)      /* one at a time: no batch marker */
		ck_assert(!(cmds[0][i].flags & XCMD_F_SYNC));
	sched_suspend(s, xq_id(q), 5);
	ck_assert_int_eq(h1.syncs, 1);
	ck_assert_ptr_eq(h1.last_sync, &cmds[0][2]);
	xq_complete(q, &cmds[0][2], 9);
	ck_assert_uint_eq(fe.ndone, 3);
	ck_assert_uint_eq(fe.npreempt, 1);
	ck_assert_int_eq(fe.preempt_idle[0], 9);
	sched_free(s);
}
END_TEST

START_TEST(test_tail_marked_no_sync_op)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
	cmds[0][1].flags = XCMD_F_SYNC;
	submit_n(q, cmds[0], 2, 0);
	sched_suspend(s, xq_id(q), 5);
	ck_assert_int_eq(h1.syncs, 0);      /* already marked */
	sched_free(s);
}
END_TEST

START_TEST(test_complete_prefix_and_relaunch)
{
	struct sched *s = fake_sched_param(&fe, "hpf", "lift", "0");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 10, 0);
	ck_assert_uint_eq(h1.nlaunched, 4);
	xq_complete(q, &cmds[0][1], 1);
	ck_assert_uint_eq(fe.ndone, 2);
	ck_assert_ptr_eq(fe.done[0], &cmds[0][0]);
	ck_assert_ptr_eq(fe.done[1], &cmds[0][1]);
	ck_assert_uint_eq(h1.nlaunched, 6);
	ck_assert_uint_eq(fake_inflight(q), 4);
	sched_free(s);
}
END_TEST

START_TEST(test_complete_twice_noop)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 4, 0);
	xq_complete(q, &cmds[0][1], 1);
	cmds[0][1].xq = q;   /* handed back, still names its queue */
	xq_complete(q, &cmds[0][1], 2);
	ck_assert_uint_eq(fe.ndone, 2);
	ck_assert_uint_eq(stats(q).completed, 2);
	sched_free(s);
}
END_TEST

START_TEST(test_forced_sync)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
	for (int i = 0; i < 12; i++)
		cmds[0][i].flags = (i == 3) ? XCMD_F_SYNC : 0;
	/* submit while suspended so they launch as one burst */
	sched_suspend(s, xq_id(q), 0);
	submit_n(q, cmds[0], 12, 0);
	ck_assert_uint_eq(h1.nlaunched, 0);
	sched_resume(s, xq_id(q), 0);
	ck_assert_uint_eq(h1.nlaunched, 12);
	ck_assert(cmds[0][3].flags & XCMD_F_SYNC);
	/* the batch counter restarts after a forced marker: next at 3+8 = 11 */
	ck_assert(!(cmds[0][7].flags & XCMD_F_SYNC));
	ck_assert(cmds[0][11].flags & XCMD_F_SYNC);
	sched_free(s);
}
END_TEST

START_TEST(test_native_passthrough)
{
	struct sched *s = fake_sched(&fe, "native");
	struct xq *q = fake_xq(s, &h1, 0, 1, 16, 8);
	cmds[0][99].flags = XCMD_F_SYNC;
	submit_n(q, cmds[0], 100, 0);
	ck_assert_uint_eq(h1.nlaunched, 100);
	ck_assert(!(cmds[0][98].flags & XCMD_F_SYNC));
	ck_assert(cmds[0][7].flags & XCMD_F_SYNC);
	xq_complete(q, &cmds[0][99], 50);
	ck_assert_uint_eq(fe.ndone, 100);
	sched_free(s);
}
END_TEST

START_TEST(test_threshold_one)
{
	struct sched *s = fake_sched_param(&fe, "hpf", "lift", "0");
	struct xq *q = fake_xq(s, &h1, 0, 1, 1, 1);
	submit_n(q, cmds[0], 5, 0);
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_eq(h1.nlaunched, (size_t)i + 1);
		ck_assert(cmds[0][i].flags & XCMD_F_SYNC);
		xq_complete(q, &cmds[0][i], i + 1);
	}
	ck_assert_uint_eq(fe.ndone, 5);
	sched_free(s);
}
END_TEST

START_TEST(test_seq_and_done_order)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *q = fake_xq(s, &h1, 0, 1, 8, 4);
	submit_n(q, cmds[0], 30, 0);
	for (int i = 0; i < 30; i++)
		ck_assert_uint_eq(cmds[0][i].seq, (uint64_t)i);
	while (fe.ndone < 30)
		xq_complete(q, h1.launched[h1.nlaunched - 1], 1);
	for (int i = 0; i < 30; i++)
		ck_assert_ptr_eq(fe.done[i], &cmds[0][i]);
	sched_free(s);
}
END_TEST

static int closed_left;
static void closed_loop(struct fake_env *e, struct xcmd *c, hs_ns now)
{
	struct xq *q = e->user;
	if (closed_left > 0 && (c->flags & XCMD_F_SYNC)) {
		closed_left--;
		xq_submit(q, &cmds[1][closed_left], now);
	}
}

START_TEST(test_submit_from_done)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	fe.on_done = closed_loop;
	fe.user = q;
	closed_left = 5;
	for (int i = 0; i < 5; i++)      /* each a whole request: marked */
		cmds[1][i].flags = XCMD_F_SYNC;
	cmds[0][0].flags = XCMD_F_SYNC;
	xq_submit(q, &cmds[0][0], 0);
	while (fake_inflight(q))
		xq_complete(q, h1.launched[h1.nlaunched - 1], 1);
	ck_assert_int_eq(closed_left, 0);
	ck_assert_uint_eq(fe.ndone, 6);
	ck_assert_uint_eq(h1.nlaunched, 6);
	sched_free(s);
}
END_TEST

/* ---- level 1 -------------------------------------------------------------- */
START_TEST(test_l1_suspend_drains)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 10, 0);
	sched_suspend(s, xq_id(q), 100);
	xq_complete(q, &cmds[0][1], 150);
	ck_assert_uint_eq(h1.nlaunched, 4);        /* nothing new */
	ck_assert_uint_eq(fe.npreempt, 0);
	xq_complete(q, &cmds[0][3], 200);
	ck_assert_uint_eq(fe.ndone, 4);
	ck_assert_uint_eq(h1.nlaunched, 4);
	ck_assert_uint_eq(fe.npreempt, 1);
	ck_assert_int_eq(fe.preempt_suspend[0], 100);
	ck_assert_int_eq(fe.preempt_idle[0], 200);
	ck_assert_int_eq(stats(q).suspended, 1);
	sched_resume(s, xq_id(q), 300);
	ck_assert_uint_eq(h1.nlaunched, 8);
	ck_assert_uint_eq(stats(q).resumes, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_l1_suspend_idle_no_sample)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	sched_suspend(s, xq_id(q), 10);
	submit_n(q, cmds[0], 3, 20);
	ck_assert_uint_eq(h1.nlaunched, 0);
	sched_resume(s, xq_id(q), 30);
	ck_assert_uint_eq(h1.nlaunched, 3);
	ck_assert_uint_eq(fe.npreempt, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_l1_resume_before_drain)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 6, 0);
	sched_suspend(s, xq_id(q), 10);
	sched_resume(s, xq_id(q), 20);
	xq_complete(q, &cmds[0][3], 30);
	ck_assert_uint_eq(fe.npreempt, 0);
	ck_assert_uint_eq(h1.nlaunched, 6);
	ck_assert_int_eq(sched_suspend(s, 99, 0), HS_EINVAL);
	ck_assert_int_eq(sched_resume(s, -1, 0), HS_EINVAL);
	sched_free(s);
}
END_TEST

/* ---- level 2 / 3 ----------------------------------------------------------- */
START_TEST(test_l2_deactivate_called)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 4, 2);
	submit_n(q, cmds[0], 8, 0);
	sched_suspend(s, xq_id(q), 10);
	ck_assert_int_eq(h1.deactivates, 1);
	ck_assert_int_eq(stats(q).hw_active, 0);
	sched_suspend(s, xq_id(q), 11);          /* idempotent */
	ck_assert_int_eq(h1.deactivates, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_l2_idle_no_deactivate)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 4, 2);
	sched_suspend(s, xq_id(q), 10);
	ck_assert_int_eq(h1.deactivates, 0);
	sched_resume(s, xq_id(q), 20);
	ck_assert_int_eq(h1.reactivates, 0);
	sched_free(s);
}
END_TEST

START_TEST(test_l2_relaunch_unfinished_once)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 8, 4);
	submit_n(q, cmds[0], 20, 0);                 /* 0..7 in flight */
	sched_suspend(s, xq_id(q), 10);
	/* 0..2 finished before the queue stopped; 3..7 did not run */
	xq_deactivated(q, &cmds[0][2], 40);
	ck_assert_uint_eq(fe.ndone, 3);
	ck_assert_uint_eq(fe.npreempt, 1);
	ck_assert_int_eq(fe.preempt_idle[0], 40);
	size_t before = h1.nlaunched;
	sched_resume(s, xq_id(q), 50);
	ck_assert_int_eq(h1.reactivates, 1);
	ck_assert_uint_eq(h1.relaunched, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_ptr_eq(h1.launched[before + i], &cmds[0][3 + i]);
	/* then progressive launching continues with 8, 9, 10 (in flight 8) */
	ck_assert_uint_eq(h1.nlaunched, before + 5 + 3);
	ck_assert_uint_eq(stats(q).relaunched, 5);
	while (fe.ndone < 20)
		xq_complete(q, h1.launched[h1.nlaunched - 1], 60);
	for (int i = 0; i < 20; i++)
		ck_assert_ptr_eq(fe.done[i], &cmds[0][i]);
	sched_free(s);
}
END_TEST

START_TEST(test_l2_sync_report)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 4, 2);
	submit_n(q, cmds[0], 4, 0);
	h1.sync_report = 1;
	h1.report_last = NULL;                       /* nothing finished */
	sched_suspend(s, xq_id(q), 10);
	ck_assert_uint_eq(fe.ndone, 0);
	ck_assert_uint_eq(fe.npreempt, 1);
	sched_resume(s, xq_id(q), 20);
	ck_assert_uint_eq(h1.relaunched, 4);
	sched_free(s);
}
END_TEST

START_TEST(test_l2_resume_while_deactivating)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 4, 2);
	submit_n(q, cmds[0], 6, 0);
	sched_suspend(s, xq_id(q), 10);
	sched_resume(s, xq_id(q), 15);               /* stop still under way */
	ck_assert_int_eq(h1.reactivates, 0);
	xq_deactivated(q, &cmds[0][0], 20);
	ck_assert_int_eq(h1.reactivates, 1);
	ck_assert_uint_eq(h1.relaunched, 3);
	ck_assert_int_eq(stats(q).hw_active, 1);
	sched_free(s);
}
END_TEST

START_TEST(test_l2_all_finished_before_stop)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 2, 4, 2);
	submit_n(q, cmds[0], 4, 0);
	sched_suspend(s, xq_id(q), 10);
	xq_deactivated(q, &cmds[0][3], 20);
	ck_assert_uint_eq(fe.ndone, 4);
	ck_assert_int_eq(stats(q).hw_active, 1);
	sched_resume(s, xq_id(q), 30);
	ck_assert_int_eq(h1.reactivates, 0);
	ck_assert_int_eq(xq_free(q), 0);
	sched_free(s);
}
END_TEST

START_TEST(test_l3_interrupt_restore)
{
	struct sched *s = fake_sched(&fe, "manual");
	struct xq *q = fake_xq(s, &h1, 0, 3, 4, 2);
	submit_n(q, cmds[0], 4, 0);
	sched_suspend(s, xq_id(q), 10);
	ck_assert_int_eq(h1.interrupts, 1);
	ck_assert_int_eq(h1.deactivates, 0);
	xq_deactivated(q, &cmds[0][1], 12);
	sched_resume(s, xq_id(q), 20);
	ck_assert_int_eq(h1.restores, 1);
	ck_assert_int_eq(h1.reactivates, 0);
	ck_assert_uint_eq(h1.relaunched, 2);
	sched_free(s);
}
END_TEST

/* ---- policies ----------------------------------------------------------------- */
START_TEST(test_stats_counts)
{
	struct sched *s = fake_sched(&fe, "hpf");
	struct xq *q = fake_xq(s, &h1, 0, 1, 4, 2);
	submit_n(q, cmds[0], 7, 0);
	xq_complete(q, &cmds[0][3], 1);
	struct xq_stats st = stats(q);
	ck_assert_uint_eq(st.submitted, 7);
	ck_assert_uint_eq(st.launched, 7);
	ck_assert_uint_eq(st.completed, 4);
	ck_assert_uint_eq(st.inflight, 3);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_int_eq(xq_id(q), 0);
	ck_assert_ptr_null(xq_user(q));
	sched_free(s);
}
END_TEST

/* ---- randomized: nothing lost, duplicated or reordered -------------------- */
#define RQ 3
#define RN 1500

struct rnd {
	struct xcmd c[RQ][RN];
	size_t nsub[RQ];
	size_t done_count[RQ][RN];
	uint64_t last_done[RQ];
	int any_done[RQ];
};
static struct rnd *R;
static struct xq *rq[RQ];

static void rnd_done(struct fake_env *e, struct xcmd *c, hs_ns now)
{
	(void)e; (void)now;
	int qi = xq_id(c->xq);
	size_t idx = (size_t)(c - R->c[qi]);
	R->done_count[qi][idx]++;
	if (R->any_done[qi])
		ck_assert_uint_eq(c->seq, R->last_done[qi] + 1);
	R->last_done[qi] = c->seq;
	R->any_done[qi] = 1;
}

/* A random in-flight command of q (its newest launch), or NULL. */
static struct xcmd *random_inflight(gsl_rng *rng, struct fake_hwq *h, struct xq *q)
{
	size_t nfl = fake_inflight(q);
	if (!nfl || h->stopped)
		return NULL;
	/* the in-flight commands are the last-launched distinct seqs */
	size_t k = gsl_rng_uniform_int(rng, nfl);
	struct xq_stats st = stats(q);
	uint64_t first = st.completed;     /* seq of the oldest in flight */
	uint64_t want = first + k;
	for (size_t i = h->nlaunched; i-- > 0;)
		if (h->launched[i]->seq == want)
			return h->launched[i];
	return NULL;
}

static void random_run(int level, unsigned long seed)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	R = calloc(1, sizeof(*R));
	fe.on_done = rnd_done;
	struct sched *s = fake_sched(&fe, "hpf");
	struct fake_hwq *hw[RQ] = { &h1, &h2, &h3 };
	for (int i = 0; i < RQ; i++)
		rq[i] = fake_xq(s, hw[i], i, level, 8, 4);
	hs_ns now = 0;
	for (int op = 0; op < 20000; op++) {
		int qi = (int)gsl_rng_uniform_int(rng, RQ);
		struct xq *q = rq[qi];
		struct fake_hwq *h = hw[qi];
		now += 1 + (hs_ns)gsl_rng_uniform_int(rng, 10);
		switch (gsl_rng_uniform_int(rng, 6)) {
		case 0:
		case 1:
			if (R->nsub[qi] < RN)
				xq_submit(q, &R->c[qi][R->nsub[qi]++], now);
			break;
		case 2:
		case 3: {
			struct xcmd *c = random_inflight(rng, h, q);
			if (c && !h->stopped)
				xq_complete(q, c, now);
			break;
		}
		case 4:
			sched_suspend(s, qi, now);
			break;
		case 5:
			if (h->stopped) {
				/* finish the stop, with a random prefix done */
				size_t nfl = fake_inflight(q);
				struct xcmd *last = NULL;
				if (nfl && gsl_rng_uniform_int(rng, 2)) {
					uint64_t want = stats(q).completed +
						gsl_rng_uniform_int(rng, nfl);
					for (size_t i = h->nlaunched; i-- > 0;)
						if (h->launched[i]->seq == want) {
							last = h->launched[i];
							break;
						}
				}
				h->stopped = 0;
				xq_deactivated(q, last, now);
			} else {
				sched_resume(s, qi, now);
			}
			break;
		}
	}
	/* drain: finish stops, resume all, complete everything */
	for (int round = 0; round < 100000; round++) {
		int busy = 0;
		for (int qi = 0; qi < RQ; qi++) {
			struct fake_hwq *h = hw[qi];
			now++;
			if (h->stopped) {
				h->stopped = 0;
				xq_deactivated(rq[qi], NULL, now);
			}
			sched_resume(s, qi, now);
			if (fake_inflight(rq[qi])) {
				busy = 1;
				xq_complete(rq[qi], h->launched[h->nlaunched - 1], now);
			}
			struct xq_stats st = stats(rq[qi]);
			if (st.pending)
				busy = 1;
		}
		if (!busy)
			break;
	}
	for (int qi = 0; qi < RQ; qi++) {
		ck_assert_uint_gt(R->nsub[qi], 100);
		for (size_t i = 0; i < R->nsub[qi]; i++)
			ck_assert_msg(R->done_count[qi][i] == 1,
				      "queue %d cmd %zu done %zu times", qi, i,
				      R->done_count[qi][i]);
		ck_assert_uint_eq(stats(rq[qi]).completed, R->nsub[qi]);
		/* the top queue, which nothing outranks, hpf lifts (lift=1,
		 * its default); the others stay held to their threshold */
		if (qi < RQ - 1)
			ck_assert_uint_le(stats(rq[qi]).max_inflight, 8);
	}
	sched_free(s);
	free(R);
	gsl_rng_free(rng);
}

START_TEST(test_random_l1) { random_run(1, 42); }
END_TEST
START_TEST(test_random_l2) { random_run(2, 43); }
END_TEST
START_TEST(test_random_l3) { random_run(3, 44); }
END_TEST

Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *t;

	t = tcase_create("xqueue");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_xq_bad_threshold);
	tcase_add_test(t, test_xq_bad_level);
	tcase_add_test(t, test_xq_level_above_max);
	tcase_add_test(t, test_xq_level_missing_ops);
	tcase_add_test(t, test_xq_free_busy);
	tcase_add_test(t, test_stats_counts);
	suite_add_tcase(s, t);

	t = tcase_create("progressive");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_threshold_never_exceeded);
	tcase_add_test(t, test_backend_max_inflight);
	tcase_add_test(t, test_sync_every_batch);
	tcase_add_test(t, test_tail_sync_on_suspend);
	tcase_add_test(t, test_tail_marked_no_sync_op);
	tcase_add_test(t, test_complete_prefix_and_relaunch);
	tcase_add_test(t, test_complete_twice_noop);
	tcase_add_test(t, test_forced_sync);
	tcase_add_test(t, test_native_passthrough);
	tcase_add_test(t, test_threshold_one);
	tcase_add_test(t, test_seq_and_done_order);
	tcase_add_test(t, test_submit_from_done);
	suite_add_tcase(s, t);

	t = tcase_create("preemption");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_l1_suspend_drains);
	tcase_add_test(t, test_l1_suspend_idle_no_sample);
	tcase_add_test(t, test_l1_resume_before_drain);
	tcase_add_test(t, test_l2_deactivate_called);
	tcase_add_test(t, test_l2_idle_no_deactivate);
	tcase_add_test(t, test_l2_relaunch_unfinished_once);
	tcase_add_test(t, test_l2_sync_report);
	tcase_add_test(t, test_l2_resume_while_deactivating);
	tcase_add_test(t, test_l2_all_finished_before_stop);
	tcase_add_test(t, test_l3_interrupt_restore);
	suite_add_tcase(s, t);

	t = tcase_create("random");
	tcase_add_checked_fixture(t, setup, NULL);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_random_l1);
	tcase_add_test(t, test_random_l2);
	tcase_add_test(t, test_random_l3);
	suite_add_tcase(s, t);
	return s;
}
