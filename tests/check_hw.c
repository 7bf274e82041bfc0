/*
 * Tests of hw/ that need no GPU: the engine (completion thread, Level 2
 * bookkeeping) and the run driver (tenants, arrivals, processes, direct
 * mode) against a fake device whose streams are host threads, kernel
 * shaping and the calibration procedure. With HIPSCHED_GPU_TESTS=1 (make
 * hwcheck HW=...) the engine and calibration tests run on the real device.
 * The pure parts (fit, profile I/O, intervals, priorities, refusal without
 * a backend) are in check_hwcalib.c.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fake_hwdev.h"
#include "run_internal.h"
#include "serve.h"
#include "test_util.h"
#include "trace.h"

/* The device the engine tests run on: the fake, or with
 * HIPSCHED_GPU_TESTS=1 in a HW build, the real one. */
static const struct hw_devops *test_ops(void)
{
	const char *g = getenv("HIPSCHED_GPU_TESTS");
	if (g && *g == '1' && hw__devops)
		return hw__devops;
	return &fake_hwdev_ops;
}

/* ---- engine tests --------------------------------------------------------------- */
#define NC 24

struct rec {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t seqs[4][NC * 2];
	int n[4];
	int preempts;
	hs_ns preempt_ns;
	char fail[256];
};

static struct rec R;

static void rec_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
	struct rec *r = ctx;
	int qi = (int)(intptr_t)xq_user(cmd->xq);
	pthread_mutex_lock(&r->mu);
	r->seqs[qi][r->n[qi]++] = cmd->seq;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void rec_preempted(void *ctx, struct xq *q, hs_ns s, hs_ns i)
{
	struct rec *r = ctx;
	r->preempts++;
	r->preempt_ns = i - s;
}

static void rec_failed(void *ctx, const char *msg)
{
	struct rec *r = ctx;
	snprintf(r->fail, sizeof(r->fail), "%s", msg);
}

static void wait_n(int qi, int n)
{
	pthread_mutex_lock(&R.mu);
	while (R.n[qi] < n)
		pthread_cond_wait(&R.cv, &R.mu);
	pthread_mutex_unlock(&R.mu);
}

struct env {
	const struct hw_devops *ops;
	void *dev;
	struct hw_engine *e;
	struct hw_devinfo in;
};

/* hpf holding a queue nothing outranks to its threshold (its default
 * lifts it): what the level tests below need */
static const struct hs_param lift0 = { "lift", "0" };

static void env_open(struct env *v, const char *policy, const struct hs_param *p, size_t np)
{
	char err[256] = "";
	memset(&R, 0, sizeof(R));
	pthread_mutex_init(&R.mu, NULL);
	pthread_cond_init(&R.cv, NULL);
	v->ops = test_ops();
	int orc = v->ops->open(0, &v->dev, err, sizeof(err));
	ck_assert_msg(orc == 0, "open device 0: %s", err);
	v->ops->info(v->dev, &v->in);
	struct hw_engine_cb cb = { .ctx = &R, .cmd_done = rec_done,
				   .preempted = rec_preempted, .failed = rec_failed };
	int rc = hw__engine_create(v->ops, v->dev, &cb, policy, p, np, &v->e,
				   err, sizeof(err));
	ck_assert_msg(rc == 0, "engine: %s", err);
}

static void env_close(struct env *v)
{
	hw__engine_free(v->e);
	v->ops->close(v->dev);
	ck_assert_str_eq(R.fail, "");
}

static void fill(struct xcmd *x, struct hw_cmd *h, int n, hs_ns spin, unsigned blocks)
{
	memset(x, 0, n * sizeof(*x));
	memset(h, 0, n * sizeof(*h));
	for (int i = 0; i < n; i++) {
		h[i].kind = XCMD_KERNEL;
		h[i].k = (struct hw_kernel){ { blocks, 1, 1 }, { 64, 1, 1 }, 0, spin };
		x[i].kind = XCMD_KERNEL;
		x[i].payload = &h[i];
		x[i].expect_ns = spin;
	}
	x[n - 1].flags = XCMD_F_SYNC;
}

static void submit(struct env *v, struct xq *q, struct xcmd *x, int n)
{
	hw__engine_lock(v->e);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(xq_submit(q, &x[i], hw__now()), 0);
	hw__engine_unlock(v->e);
}

START_TEST(test_engine_level1_in_order)
{
	struct env v;
	env_open(&v, "native", NULL, 0);
	struct xq_config cfg = { .priority = 1, .level = 1, .threshold = 4, .batch = 2,
				 .user = (void *)(intptr_t)0 };
	struct hw_queue *hq;
	char err[256];
	ck_assert_int_eq(hw__queue_create(v.e, 0, &cfg, &hq, err, sizeof(err)), 0);
	static struct xcmd x[NC];
	static struct hw_cmd h[NC];
	fill(x, h, NC, 200000, 1);
	submit(&v, hw__queue_xq(hq), x, NC);
	wait_n(0, NC);
	for (int i = 0; i < NC; i++)
		ck_assert_uint_eq(R.seqs[0][i], (uint64_t)i);   /* each once, in order */
	struct hw_queue_stats st;
	hw__queue_stats(hq, &st);
	ck_assert_uint_eq(st.launched, NC);
	ck_assert_uint_eq(st.aborted, 0);
	/* native is passthrough: everything launched at once, 24 x 0.2 ms */
	ck_assert_int_ge(st.busy_ns, NC * 200000 * 9 / 10);
	hw__queue_free(v.e, hq);
	env_close(&v);
}
END_TEST

/* Level 1 suspend: the core marks the tail (sync op); the preemption sample
 * comes when the in-flight commands are done, and nothing more launches. */
START_TEST(test_engine_level1_suspend)
{
	struct env v;
	env_open(&v, "hpf", &lift0, 1);
	struct xq_config cfg = { .priority = 1, .level = 1, .threshold = 4, .batch = 4,
				 .user = (void *)(intptr_t)0 };
	struct hw_queue *hq;
	char err[256];
	ck_assert_int_eq(hw__queue_create(v.e, 0, &cfg, &hq, err, sizeof(err)), 0);
	static struct xcmd x[NC];
	static struct hw_cmd h[NC];
	fill(x, h, NC, 2000000, 1);
	submit(&v, hw__queue_xq(hq), x, NC);
	usleep(3000);
	hw__engine_lock(v.e);
	ck_assert_int_eq(sched_suspend(hw__engine_sched(v.e), xq_id(hw__queue_xq(hq)), hw__now()), 0);
	hw__engine_unlock(v.e);
	usleep(20000);   /* > 4 x 2 ms: the in-flight ones drained */
	hw__engine_lock(v.e);
	struct xq_stats xs;
	xq_get_stats(hw__queue_xq(hq), &xs);
	int preempts = R.preempts;
	hs_ns lat = R.preempt_ns;
	hw__engine_unlock(v.e);
	ck_assert_int_eq(preempts, 1);
	ck_assert_uint_le(xs.launched, 4 + 4);   /* at most two windows */
	ck_assert_uint_eq(xs.inflight, 0);
	ck_assert_int_gt(lat, 0);
	ck_assert_int_lt(lat, 9 * 2000000);
	hw__engine_lock(v.e);
	sched_resume(hw__engine_sched(v.e), xq_id(hw__queue_xq(hq)), hw__now());
	hw__engine_unlock(v.e);
	wait_n(0, NC);
	hw__queue_free(v.e, hq);
	env_close(&v);
}
END_TEST

/* Level 2: kernels queued behind the running one see the flag and exit;
 * they are relaunched at resume and every command completes exactly once,
 * in order. */
START_TEST(test_engine_level2_deactivate)
{
	struct env v;
	env_open(&v, "hpf", &lift0, 1);
	struct xq_config cfg = { .priority = 1, .level = 2, .threshold = 8, .batch = 2,
				 .user = (void *)(intptr_t)1 };
	struct hw_queue *hq;
	char err[256];
	ck_assert_int_eq(hw__queue_create(v.e, 0, &cfg, &hq, err, sizeof(err)), 0);
	static struct xcmd x[NC];
	static struct hw_cmd h[NC];
	/* 8 blocks x 1 wave; on the fake 2 ms each */
	fill(x, h, NC, 2000000, (unsigned)(v.in.sms > 0 ? v.in.sms : 1));
	submit(&v, hw__queue_xq(hq), x, NC);
	usleep(3000);
	struct sched *s = hw__engine_sched(v.e);
	int id = xq_id(hw__queue_xq(hq));
	hw__engine_lock(v.e);
	sched_suspend(s, id, hw__now());
	hw__engine_unlock(v.e);
	usleep(20000);
	hw__engine_lock(v.e);
	struct xq_stats xs;
	xq_get_stats(hw__queue_xq(hq), &xs);
	int preempts = R.preempts;
	hs_ns lat = R.preempt_ns;
	int done_at_suspend = R.n[1];
	hw__engine_unlock(v.e);
	ck_assert_int_eq(preempts, 1);
	ck_assert_int_eq(xs.hw_active, 0);
	/* the running kernel finished (<= 2 ms), the queued ones were dropped
	 * (without Level 2 the 8 in flight would take ~14 ms); the fake's
	 * host sleeps stretch on a loaded machine: 8 ms there */
	ck_assert_int_lt(lat, test_ops() == &fake_hwdev_ops ? 8000000 : 4000000);
	ck_assert_int_lt(done_at_suspend, 4);
	hw__engine_lock(v.e);
	sched_resume(s, id, hw__now());
	hw__engine_unlock(v.e);
	wait_n(1, NC);
	for (int i = 0; i < NC; i++)
		ck_assert_uint_eq(R.seqs[1][i], (uint64_t)i);
	struct hw_queue_stats st;
	hw__queue_stats(hq, &st);
	ck_assert_uint_eq(st.deactivations, 1);
	ck_assert_uint_ge(st.aborted, 1);
	ck_assert_uint_eq(st.launched, NC + st.aborted);
	hw__engine_lock(v.e);
	xq_get_stats(hw__queue_xq(hq), &xs);
	hw__engine_unlock(v.e);
	ck_assert_uint_ge(xs.relaunched, st.aborted);
	hw__queue_free(v.e, hq);
	env_close(&v);
}
END_TEST

/* ---- run driver on the fake device ------------------------------------------------ */
static char tmpdir[256];


/* Two requests of a 1 ms and a 0.5 ms kernel, 100 us of host gap; request
 * 1 starts 90 us after request 0 ends (a closed loop's think time). */
static const char *trace_csv =
	"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,grid_z,"
	"block_x,block_y,block_z,shmem,regs,bytes\n"
	"0,0,kernel,a,7,0,10000,1010000,8,1,1,128,1,1,0,32,0\n"
	"0,1,kernel,b,7,100000,1010000,1510000,16,1,1,128,1,1,0,32,0\n"
	"1,0,kernel,a,7,1600000,1610000,2610000,8,1,1,128,1,1,0,32,0\n"
	"1,1,kernel,b,7,1700000,2610000,3110000,16,1,1,128,1,1,0,32,0\n";

static struct scenario *load_sc(const char *body)
{
	char path[400], trace[400], err[512];
	snprintf(trace, sizeof(trace), "%s/t.csv", tmpdir);
	test_write_file(trace, trace_csv);
	snprintf(path, sizeof(path), "%s/s.ini", tmpdir);
	test_write_file(path, body);
	struct scenario *sc = scenario_load(path, err, sizeof(err));
	ck_assert_msg(sc != NULL, "scenario: %s", err);
	return sc;
}

START_TEST(test_run_fake_two_tenants)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 300ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = hpf\nlevel = 2\nthreshold = 4\nbatch = 2\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 20\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	char tl[400];
	snprintf(tl, sizeof(tl), "%s/timeline.json", tmpdir);
	struct run_opts o = { .mode = "policy", .seed = 1, .timeline_path = tl };
	struct run_result res = { 0 };
	char err[512] = "";
	int rc = hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err));
	ck_assert_msg(rc == 0, "run: %s", err);
	FILE *f = fopen(tl, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 20];
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 100);
	fclose(f);
	/* what is in it: tests/check_timeline.c */
	ck_assert_ptr_nonnull(strstr(buf, "request 0"));
	ck_assert_str_eq(res.backend, "hw");
	ck_assert_str_eq(res.policy, "hpf");
	ck_assert_int_eq(res.duration_ns, 300000000);
	/* periodic 20/s over 300 ms: arrivals at 0, 50, ..., 250 ms */
	ck_assert_uint_eq(res.t[0].nreq, 6);
	for (size_t i = 0; i < res.t[0].nreq; i++) {
		const struct req_record *q = &res.t[0].req[i];
		ck_assert_int_eq(q->arrival_ns, (hs_ns)i * 50000000);
		ck_assert_int_ge(q->end_ns - q->arrival_ns, 1500000);   /* 1 + 0.5 ms */
	}
	/* closed loop: >= 1.5 ms each, so at most 200 */
	ck_assert_uint_gt(res.t[1].nreq, 20);
	ck_assert_uint_le(res.t[1].nreq, 200);
	ck_assert_uint_eq(res.t[0].kernels, 12);
	ck_assert_uint_ge(res.kernels_simulated, 12 + 2 * (res.t[1].nreq - 1));
	/* the closed-loop tenant keeps the device busy most of the window */
	ck_assert_int_ge(res.gpu_busy_ns, 150000000);
	ck_assert_int_le(res.gpu_busy_ns, 300000000);
	ck_assert_int_ge(res.t[0].gpu_busy_ns, 6 * 1500000);
	ck_assert_int_le(res.t[0].gpu_busy_ns, 6 * 1500000 * 2);
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

/* host_launch = blocking under hpf at threshold 1, the low-priority
 * tenant in its own process (its queue relayed to the policy server): each
 * launch call waits until the core lets its command go, through
 * suspensions, and the run completes with every kernel. */
START_TEST(test_run_fake_host_blocking)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 200ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = hpf\nthreshold = 1\nbatch = 1\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 20\n"
		"host_launch = blocking\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n"
		"host_launch = blocking\nprocess = own\n");
	struct run_opts o = { .mode = "policy", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	int rc = hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err));
	ck_assert_msg(rc == 0, "run: %s", err);
	ck_assert_uint_eq(res.t[0].nreq, 4);           /* 0, 50, 100, 150 ms */
	ck_assert_uint_eq(res.t[0].kernels, 8);
	for (size_t i = 0; i < res.t[0].nreq; i++)
		ck_assert_int_ge(res.t[0].req[i].end_ns - res.t[0].req[i].arrival_ns, 1500000);
	ck_assert_uint_gt(res.t[1].nreq, 10);
	ck_assert_uint_ge(res.t[1].kernels, 2 * (res.t[1].nreq - 1));
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

START_TEST(test_run_fake_direct_and_standalone)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = native\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	unsigned char active[2] = { 1, 0 };
	struct run_opts o = { .mode = "standalone", .seed = 1, .active = active };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_hwdev_ops, 1, sc, &o, &res, err, sizeof(err)), 0);
	ck_assert_uint_eq(res.t[0].nreq, 5);
	ck_assert_uint_eq(res.t[1].nreq, 0);           /* inactive */
	ck_assert_uint_eq(res.t[0].kernels, 10);
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_ge(res.t[0].req[i].end_ns - res.t[0].req[i].arrival_ns, 1500000);
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

START_TEST(test_run_fake_process_own)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = native\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
		"process = own\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	struct run_opts o = { .mode = "native", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err)), 0);
	ck_assert_uint_eq(res.t[0].nreq, 5);           /* from the child */
	ck_assert_uint_eq(res.t[0].kernels, 10);
	ck_assert_uint_gt(res.t[1].nreq, 5);
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

START_TEST(test_run_bad_trace)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[tenant a]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	char path[400];
	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	test_write_file(path, "request,seq\n0,0\n");
	struct run_opts o = { .mode = "native", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err)), HW_ETRACE);
	ck_assert_ptr_nonnull(strstr(err, "t.csv"));
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

/* A run process that dies while setting up is reported, not waited for. */
static int crashing_open(int device, void **dev, char *err, size_t errlen)
{
	abort();
}

START_TEST(test_run_child_dies)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[tenant a]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	struct hw_devops ops = fake_hwdev_ops;
	ops.open = crashing_open;
	struct run_opts o = { .mode = "native", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&ops, 0, sc, &o, &res, err, sizeof(err)), HW_EDEVICE);
	ck_assert_ptr_nonnull(strstr(err, "signal 6"));
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST


/* ---- one policy over two "processes" (hw/serve) ------------------------------------
 * Two engines on the fake device, each with its core running "remote" and a
 * client of a policy server (hpf) on a socketpair, served by a thread: the
 * high queue's load in one makes the server suspend the low queue in the
 * other, and hp going idle resumes it. */
struct rl_side {
	struct hw_engine *e;
	struct hs_client *c;
	void *ep;
	struct hw_queue *hq;
	int sp[2];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, preempts;
};

static void rl_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
	struct rl_side *d = ctx;
	pthread_mutex_lock(&d->mu);
	d->done++;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void rl_preempted(void *ctx, struct xq *q, hs_ns s, hs_ns i)
{
	struct rl_side *d = ctx;
	d->preempts++;
}

static void rl_failed(void *ctx, const char *msg)
{
	ck_abort_msg("device failed: %s", msg);
}

static void rl_lock(void *e) { hw__engine_lock(e); }
static void rl_unlock(void *e) { hw__engine_unlock(e); }

/* Frees what rl_open made for one side (its client closed already or not). */
static void rl_close(struct rl_side *d)
{
	hs_client_close(d->c);
	hw__queue_free(d->e, d->hq);
	hs_client_ep_free(d->ep);
	hw__engine_free(d->e);
}

/* The server's end of d's socketpair goes to srv (before it runs). */
static void rl_pair(struct rl_side *d, struct hs_server *srv)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, d->sp), 0);
	ck_assert_int_eq(hs_server_add_fd(srv, d->sp[0]), 0);
}

/* The client side, once the server runs. */
static void rl_open(struct rl_side *d, const char *name, int prio)
{
	char err[256] = "";
	struct hw_engine_cb cb = { .ctx = d, .cmd_done = rl_done,
				   .preempted = rl_preempted, .failed = rl_failed };
	int rc = hw__engine_create(&fake_hwdev_ops, (void *)1, &cb, hs_client_policy_name(),
				   NULL, 0, &d->e, err, sizeof(err));
	ck_assert_msg(rc == 0, "engine: %s", err);
	struct hs_hello h = { .name = name, .level = 1 };
	struct hs_client_lock lk = { d->e, rl_lock, rl_unlock, NULL };
	rc = hs_client_open(NULL, d->sp[1], &h, hw__engine_sched(d->e), &lk, &d->c,
			    err, sizeof(err));
	ck_assert_msg(rc == 0, "client: %s", err);
	d->ep = hs_client_ep_new(d->c);
	ck_assert_ptr_nonnull(d->ep);
	struct xq_config cfg = { .priority = prio, .level = 1, .threshold = 4,
				 .batch = 2, .user = d->ep };
	ck_assert_int_eq(hw__queue_create(d->e, 0, &cfg, &d->hq, err, sizeof(err)), 0);
	ck_assert_int_eq(hs_client_join(d->c, hw__queue_xq(d->hq), prio), 0);
	ck_assert_int_eq(hs_client_join(d->c, hw__queue_xq(d->hq), prio), HS_EINVAL);
}

static struct xq_stats rl_stats(struct rl_side *d)
{
	struct xq_stats st;
	hw__engine_lock(d->e);
	xq_get_stats(hw__queue_xq(d->hq), &st);
	hw__engine_unlock(d->e);
	return st;
}

/* Waits up to 2 s for the queue's suspended state to become `want`. */
static int rl_wait_suspended(struct rl_side *d, int want)
{
	for (int i = 0; i < 2000; i++) {
		if (rl_stats(d).suspended == want)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void rl_wait_done(struct rl_side *d, int n)
{
	pthread_mutex_lock(&d->mu);
	while (d->done < n)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

/* Waits up to 2 s until the queue is idle (its idle load was sent in the
 * same core-locked section). */
static int rl_wait_idle(struct rl_side *d)
{
	for (int i = 0; i < 2000; i++) {
		struct xq_stats st = rl_stats(d);
		if (!st.pending && !st.inflight)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void rl_submit(struct rl_side *d, struct xcmd *x, int n)
{
	hw__engine_lock(d->e);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(xq_submit(hw__queue_xq(d->hq), &x[i], hw__now()), 0);
	hw__engine_unlock(d->e);
}

static void *rl_serve(void *arg)
{
	return (void *)(intptr_t)hs_server_run(arg, 1);
}

/* Waits up to 2 s until the server (in its thread) holds n proxies, so that
 * the next load is served after every JOIN (the server reads its
 * connections in turn, not in the order they were written). */
static void rl_wait_joined(struct hs_server *srv, uint32_t n)
{
	struct hs_m_st_server st;
	for (int i = 0; i < 2000; i++) {
		hs_server_status(srv, &st);
		if (st.queues == n)
			return;
		usleep(1000);
	}
	ck_abort_msg("the server never had %u queues", n);
}

static struct hs_server *rl_server(const char *policy, const struct hs_param *p, size_t n)
{
	char err[256] = "";
	struct hs_server_opts o = { .policy = policy, .params = p, .nparams = n };
	struct hs_server *srv = NULL;
	int rc = hs_server_create(&o, &srv, err, sizeof(err));
	ck_assert_msg(rc == 0, "server: %s", err);
	return srv;
}

START_TEST(test_relay_two_processes)
{
	char err[256] = "";
	struct hs_server *srv;
	struct hs_server_opts bad = { .policy = "nosuch" };
	ck_assert_int_eq(hs_server_create(&bad, &srv, err, sizeof(err)), HS_ENOPOLICY);
	srv = rl_server("hpf", NULL, 0);
	static struct rl_side hi, lo;
	rl_pair(&hi, srv);
	rl_pair(&lo, srv);
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, rl_serve, srv), 0);
	rl_open(&hi, "hi", 10);
	rl_open(&lo, "lo", 1);
	rl_wait_joined(srv, 2);

	/* lo alone: 24 kernels of 2 ms, nothing suspends it */
	static struct xcmd lx[NC], hx[2];
	static struct hw_cmd lh[NC], hh[2];
	fill(lx, lh, NC, 2000000, 1);
	for (int i = 1; i < NC; i += 2)
		lx[i].flags |= XCMD_F_SYNC;
	fill(hx, hh, 2, 20000000, 1);     /* 40 ms: lo drains meanwhile */
	rl_submit(&lo, lx, NC);
	rl_wait_done(&lo, 2);
	ck_assert_int_eq(rl_stats(&lo).suspended, 0);

	/* hi becomes ready in the other "process": lo is suspended there */
	rl_submit(&hi, hx, 2);
	ck_assert_msg(rl_wait_suspended(&lo, 1), "lo never suspended");
	ck_assert_int_eq(rl_stats(&hi).suspended, 0);
	int lo_done = lo.done;
	struct xq_stats ls;
	for (int i = 0; i < 2000 && (ls = rl_stats(&lo)).inflight; i++)
		usleep(1000);     /* its in-flight kernels drain, no new launch */
	ck_assert_uint_eq(ls.inflight, 0);
	ck_assert_uint_gt(ls.pending, 0);
	ck_assert_int_le(lo.done - lo_done, 4);        /* at most a threshold */

	/* hi idle: lo resumes and finishes */
	rl_wait_done(&hi, 1);
	ck_assert_msg(rl_wait_suspended(&lo, 0), "lo never resumed");
	rl_wait_done(&lo, NC);
	ck_assert(rl_wait_idle(&lo) && rl_wait_idle(&hi));
	ls = rl_stats(&lo);
	ck_assert_uint_eq(ls.suspends, 1);
	ck_assert_uint_eq(ls.resumes, 1);
	ck_assert_int_eq(lo.preempts, 1);
	struct hs_client_stats cs;
	hs_client_stats(lo.c, &cs);
	ck_assert_uint_eq(cs.applied, 2);
	ck_assert_int_eq(cs.connected, 1);
	hs_client_stats(hi.c, &cs);
	ck_assert_uint_eq(cs.applied, 0);
	ck_assert_uint_ge(cs.loads, 2);

	/* clients end: the server returns once both sockets closed */
	hs_client_close(hi.c);
	hs_client_close(lo.c);
	hi.c = lo.c = NULL;
	void *ret;
	pthread_join(thr, &ret);
	ck_assert_int_eq((int)(intptr_t)ret, 0);
	struct hs_m_st_server st;
	hs_server_status(srv, &st);
	ck_assert_uint_eq(st.suspends, 1);
	ck_assert_uint_eq(st.resumes, 1);
	ck_assert_uint_ge(st.loads, 4);      /* each side: ready, then idle */
	ck_assert_uint_eq(st.queues, 0);     /* both left */
	/* both of lo's decisions were caused by hi's loads: two round trips */
	struct run_result r = { 0 };
	ck_assert_int_eq(run_result_init(&r, 1), 0);
	ck_assert_int_eq(hs_server_figures(srv, &r), 0);
	ck_assert_uint_eq(r.nrtt, 2);
	ck_assert_uint_eq(r.serve_suspends, 1);
	ck_assert_uint_eq(r.serve_resumes, 1);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_gt(r.rtt_ns[i], 0);
		ck_assert_int_lt(r.rtt_ns[i], 1000000000);
	}
	run_result_release(&r);
	rl_close(&hi);
	rl_close(&lo);
	hs_server_free(srv);
}
END_TEST

/* hpf with linger: the resume comes from the server's timer, linger after
 * hp went idle, and carries no round trip. */
START_TEST(test_relay_timer)
{
	struct hs_param p = { "linger", "20" };
	struct hs_server *srv = rl_server("hpf", &p, 1);
	static struct rl_side hi, lo;
	rl_pair(&hi, srv);
	rl_pair(&lo, srv);
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, rl_serve, srv), 0);
	rl_open(&hi, "hi", 10);
	rl_open(&lo, "lo", 1);
	rl_wait_joined(srv, 2);
	static struct xcmd lx[4], hx[1];
	static struct hw_cmd lh[4], hh[1];
	fill(lx, lh, 4, 1000000, 1);
	fill(hx, hh, 1, 1000000, 1);
	rl_submit(&hi, hx, 1);
	rl_wait_done(&hi, 1);
	hs_ns idle = hw__now();
	rl_submit(&lo, lx, 4);          /* within hp's linger: held */
	ck_assert_msg(rl_wait_suspended(&lo, 1), "lo never suspended");
	ck_assert_msg(rl_wait_suspended(&lo, 0), "lo never resumed");
	hs_ns resumed = hw__now();
	ck_assert_int_ge(resumed - idle, 15000000);
	rl_wait_done(&lo, 4);
	ck_assert(rl_wait_idle(&lo) && rl_wait_idle(&hi));
	struct hs_client_stats cs;
	hs_client_stats(lo.c, &cs);
	ck_assert_uint_eq(cs.applied, 2);
	hs_client_close(hi.c);
	hs_client_close(lo.c);
	hi.c = lo.c = NULL;
	pthread_join(thr, NULL);
	struct hs_m_st_server st;
	hs_server_status(srv, &st);
	ck_assert_uint_ge(st.timers, 1);
	ck_assert_uint_eq(st.resumes, 1);
	/* the suspend was caused by lo's own load; the resume by the timer */
	ck_assert_uint_eq(st.nrtt, 1);
	rl_close(&hi);
	rl_close(&lo);
	hs_server_free(srv);
}
END_TEST

/* The whole run: hi in its own process, hpf served by the parent; the
 * server's figures are in the result. */
START_TEST(test_run_fake_relay)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hw");
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 300ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = hpf\nlevel = 1\nthreshold = 4\nbatch = 2\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 20\n"
		"process = own\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	struct run_opts o = { .mode = "policy", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	int rc = hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err));
	ck_assert_msg(rc == 0, "run: %s", err);
	ck_assert_uint_eq(res.t[0].nreq, 6);
	ck_assert_uint_eq(res.t[0].kernels, 12);
	ck_assert_uint_gt(res.t[1].nreq, 20);
	/* lo was suspended in its process with kernels in flight */
	ck_assert_uint_ge(res.npreempt, 3);
	/* hi's requests suspend lo, but one whose busy and idle LOADs reach
	 * the server in one go (a loaded machine) suspends nobody: the
	 * decisions cancel; every suspend is followed by a resume */
	ck_assert_uint_ge(res.serve_suspends, 1);
	ck_assert_uint_ge(res.serve_resumes, res.serve_suspends);
	ck_assert_uint_ge(res.serve_loads, 24);
	ck_assert_uint_ge(res.nrtt, 2);
	for (size_t i = 0; i < res.nrtt; i++)
		ck_assert(res.rtt_ns[i] > 0 && res.rtt_ns[i] < 1000000000);
	run_result_release(&res);

	/* native is passthrough: no server, no figures */
	o.policy = "native";
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err)), 0);
	ck_assert_uint_eq(res.npreempt, 0);
	ck_assert_uint_eq(res.serve_loads + res.serve_suspends + res.nrtt, 0);
	run_result_release(&res);

	/* the receivers and the server busy-poll: same decisions */
	setenv("HIPSCHED_RELAY_SPIN", "1", 1);
	o.policy = NULL;
	memset(&res, 0, sizeof(res));
	rc = hw__run_with(&fake_hwdev_ops, 0, sc, &o, &res, err, sizeof(err));
	unsetenv("HIPSCHED_RELAY_SPIN");
	ck_assert_msg(rc == 0, "run: %s", err);
	ck_assert_uint_eq(res.t[0].nreq, 6);
	ck_assert_uint_ge(res.serve_suspends, 1);
	ck_assert_uint_ge(res.nrtt, 2);
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
}
END_TEST

/* ---- device layer refusals -------------------------------------------------------------- */

START_TEST(test_fake_open_bad_device)
{
	char err[256] = "";
	struct hw_calib c;
	ck_assert_int_eq(hw__calibrate_with(&fake_hwdev_ops, 3, &c, err, sizeof(err)), HW_ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "no HIP device 3"));
}
END_TEST

/* ---- kernel shaping, calibration on the fake (or real) device ------------------------- */


START_TEST(test_kernel_shape)
{
	struct hw_devinfo in;
	fake_hwdev_info(NULL, &in);
	struct hw_kernel k;
	uint32_t g1[3] = { 8, 1, 1 }, g2[3] = { 16, 1, 1 }, g3[3] = { 17, 0, 1 };
	uint32_t b[3] = { 128, 1, 1 }, big[3] = { 64, 64, 1 };
	/* 4 SMs x 2 blocks = 8 blocks a wave */
	ck_assert_int_eq(hw__kernel_shape(&fake_hwdev_ops, NULL, &in, g1, b, 0, 100000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 100000);
	ck_assert_int_eq(hw__kernel_shape(&fake_hwdev_ops, NULL, &in, g2, b, 0, 100000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 50000);
	ck_assert_int_eq(hw__kernel_shape(&fake_hwdev_ops, NULL, &in, g3, big, 1 << 20, 90000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 30000);              /* 3 waves */
	ck_assert_uint_eq(k.grid[1], 1);                   /* 0 -> 1 */
	ck_assert_uint_eq(k.block[0] * k.block[1] * k.block[2], 1024);
	ck_assert_uint_le(k.shmem, 49152);
	struct hw_calib c = { .fit_offset_ns = 2000, .fit_slope = 1.0 };
	ck_assert_int_eq(hw__kernel_shape(&fake_hwdev_ops, NULL, &in, g2, b, 0, 102000, &c, &k), 0);
	ck_assert_int_eq(k.spin_ns, 50000);
}
END_TEST



START_TEST(test_calibrate_fake)
{
	struct hw_calib c;
	char err[256] = "";
	int rc = hw__calibrate_with(test_ops(), 0, &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "calibrate: %s", err);
	ck_assert_uint_eq(c.npts, 32);
	ck_assert_int_gt(c.sms, 0);
	/* the fit predicts the 1 ms points within 5% (the fake's event timer
	 * is its device clock, so host load does not stretch it) */
	double tol = 0.05;
	ck_assert_msg(c.fit_slope > 0.9 && c.fit_slope < 1.2, "slope %f", c.fit_slope);
	ck_assert_msg(c.fit_r2 > 0.98, "r2 %f", c.fit_r2);
	for (size_t i = 0; i < c.npts; i++)
		if (c.pt[i].req_ns == 1000000) {
			double pred = c.fit_offset_ns + c.fit_slope * 1e6;
			ck_assert_msg(fabs(pred - (double)c.pt[i].meas_ns) < tol * 1e6,
				      "predicted %.0f ns, measured %lld ns", pred,
				      (long long)c.pt[i].meas_ns);
		}
}
END_TEST

Suite *hw_suite(void)
{
	Suite *s = suite_create("hw");
	TCase *t = tcase_create("hw");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_fake_open_bad_device);
	tcase_add_test(t, test_kernel_shape);
	tcase_add_test(t, test_engine_level1_in_order);
	tcase_add_test(t, test_engine_level1_suspend);
	tcase_add_test(t, test_engine_level2_deactivate);
	tcase_add_test(t, test_run_fake_two_tenants);
	tcase_add_test(t, test_run_fake_host_blocking);
	tcase_add_test(t, test_run_fake_direct_and_standalone);
	tcase_add_test(t, test_run_fake_process_own);
	tcase_add_test(t, test_run_bad_trace);
	tcase_add_test(t, test_run_child_dies);
	tcase_add_test(t, test_relay_two_processes);
	tcase_add_test(t, test_relay_timer);
	tcase_add_test(t, test_run_fake_relay);
	tcase_add_test(t, test_calibrate_fake);
	suite_add_tcase(s, t);
	return s;
}
