/*
 * Tests of hw/ that need no GPU: the engine (completion thread, Level 2
 * bookkeeping, timers) and the run driver against a fake device whose
 * streams are host threads, the calibration fit and profile I/O, kernel
 * shaping, stream priority mapping, and the clean refusal without a GPU
 * backend. With HIPSCHED_GPU_TESTS=1 (make hwcheck HW=...) the same engine
 * and calibration tests also run on the real device.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hw_internal.h"
#include "trace.h"

/* ---- the fake device ----------------------------------------------------------
 * A stream is a thread running its FIFO; a kernel sleeps spin_ns times its
 * number of waves (occupancy 2 blocks per SM, 4 SMs), unless the queue's
 * flag is set at its start: then it marks its abort slot and ends at once.
 */
struct fev {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	hs_ns t;
};

enum fop_kind { FOP_KERNEL, FOP_COPY, FOP_EVENT, FOP_CLEAR };
struct fop {
	enum fop_kind kind;
	struct hw_kernel k;
	volatile int32_t *ctl;
	volatile int64_t *times;
	int slot;
	struct fev *ev;
	struct fop *next;
};

struct fstream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fop *head, *tail;
	int busy, stop;
	pthread_t thr;
};

#define FAKE_SMS 4
#define FAKE_OCC 2

static int fake_kernels_run, fake_kernels_aborted;
static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;

static void *fstream_main(void *arg)
{
	struct fstream *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->head)
			break;
		struct fop *op = s->head;
		s->busy = 1;
		pthread_mutex_unlock(&s->mu);
		if (op->kind == FOP_KERNEL) {
			if (op->ctl[0]) {
				if (op->slot >= 0)
					op->ctl[1 + op->slot] = 1;
				pthread_mutex_lock(&fake_mu);
				fake_kernels_aborted++;
				pthread_mutex_unlock(&fake_mu);
			} else {
				uint64_t blocks = (uint64_t)op->k.grid[0] * op->k.grid[1] * op->k.grid[2];
				uint64_t waves = (blocks + FAKE_SMS * FAKE_OCC - 1) / (FAKE_SMS * FAKE_OCC);
				hs_ns t0 = hw__now();
				hw__sleep_until(t0 + op->k.spin_ns * (hs_ns)waves);
				if (op->slot >= 0 && op->times) {
					op->times[2 * op->slot] = t0;
					op->times[2 * op->slot + 1] = hw__now();
				}
				pthread_mutex_lock(&fake_mu);
				fake_kernels_run++;
				pthread_mutex_unlock(&fake_mu);
			}
		} else if (op->kind == FOP_CLEAR) {
			op->ctl[0] = 0;
		} else if (op->kind == FOP_EVENT) {
			pthread_mutex_lock(&op->ev->mu);
			op->ev->done = 1;
			op->ev->t = hw__now();
			pthread_cond_broadcast(&op->ev->cv);
			pthread_mutex_unlock(&op->ev->mu);
		}
		pthread_mutex_lock(&s->mu);
		s->head = op->next;
		if (!s->head)
			s->tail = NULL;
		s->busy = 0;
		pthread_cond_broadcast(&s->cv);
		free(op);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int fake_open(int device, void **dev, char *err, size_t errlen)
{
	if (device != 0) {
		snprintf(err, errlen, "no HIP device %d (1 present)", device);
		return HW_ENODEV;
	}
	*dev = (void *)1;
	return HS_OK;
}

static void fake_close(void *dev) { }

static void fake_info(void *dev, struct hw_devinfo *in)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->name, sizeof(in->name), "fake");
	in->sms = FAKE_SMS;
	in->prio_lo = 0;
	in->prio_hi = -5;
	in->max_threads = 1024;
	in->max_shmem = 49152;
	in->timer_ns_per_tick = 1.0;
}

static int fake_occupancy(void *dev, unsigned threads, unsigned shmem)
{
	return FAKE_OCC;
}

static int fake_stream_create(void *dev, int prio, void **st)
{
	struct fstream *s = calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_create(&s->thr, NULL, fstream_main, s);
	*st = s;
	return HS_OK;
}

static void fake_stream_destroy(void *dev, void *st)
{
	struct fstream *s = st;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thr, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void push(struct fstream *s, struct fop *op)
{
	pthread_mutex_lock(&s->mu);
	if (s->tail)
		s->tail->next = op;
	else
		s->head = op;
	s->tail = op;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static int fake_ctl_alloc(void *dev, struct hw_ctl *ctl)
{
	ctl->host = calloc(1 + HW_NSLOTS, sizeof(int32_t));
	ctl->dev = (void *)ctl->host;
	ctl->times = calloc(2 * HW_NSLOTS, sizeof(int64_t));
	return HS_OK;
}

static void fake_ctl_free(void *dev, struct hw_ctl *ctl)
{
	free((void *)ctl->host);
	free((void *)ctl->times);
	ctl->host = NULL;
	ctl->times = NULL;
}

static int fake_ctl_flag(void *dev, struct hw_ctl *ctl, int on, void *st)
{
	if (on) {
		ctl->host[0] = 1;
		return HS_OK;
	}
	struct fop *op = calloc(1, sizeof(*op));
	op->kind = FOP_CLEAR;
	op->ctl = ctl->host;
	push(st, op);
	return HS_OK;
}

static int fake_kernel(void *dev, void *st, const struct hw_kernel *k,
		       const struct hw_ctl *ctl, int slot)
{
	struct fop *op = calloc(1, sizeof(*op));
	op->kind = FOP_KERNEL;
	op->k = *k;
	op->ctl = ctl->host;
	op->times = ctl->times;
	op->slot = slot;
	push(st, op);
	return HS_OK;
}

static int fake_copy(void *dev, void *st, size_t bytes)
{
	struct fop *op = calloc(1, sizeof(*op));
	op->kind = FOP_COPY;
	push(st, op);
	return HS_OK;
}

static int fake_event_create(void *dev, int timing, void **ev)
{
	struct fev *e = calloc(1, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->done = 1;
	*ev = e;
	return HS_OK;
}

static void fake_event_destroy(void *dev, void *ev)
{
	struct fev *e = ev;
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static int fake_event_record(void *dev, void *ev, void *st)
{
	struct fev *e = ev;
	pthread_mutex_lock(&e->mu);
	e->done = 0;
	pthread_mutex_unlock(&e->mu);
	struct fop *op = calloc(1, sizeof(*op));
	op->kind = FOP_EVENT;
	op->ev = e;
	push(st, op);
	return HS_OK;
}

static int fake_event_wait(void *dev, void *ev)
{
	struct fev *e = ev;
	pthread_mutex_lock(&e->mu);
	while (!e->done)
		pthread_cond_wait(&e->cv, &e->mu);
	pthread_mutex_unlock(&e->mu);
	return HS_OK;
}

static int fake_event_elapsed(void *dev, void *a, void *b, double *ms)
{
	*ms = (double)(((struct fev *)b)->t - ((struct fev *)a)->t) / 1e6;
	return HS_OK;
}

static int fake_stream_sync(void *dev, void *st)
{
	struct fstream *s = st;
	pthread_mutex_lock(&s->mu);
	while (s->head)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return HS_OK;
}

static const char *fake_error(void *dev)
{
	return "fake device error";
}

static const struct hw_devops fake_ops = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.info = fake_info,
	.occupancy = fake_occupancy,
	.stream_create = fake_stream_create,
	.stream_destroy = fake_stream_destroy,
	.ctl_alloc = fake_ctl_alloc,
	.ctl_free = fake_ctl_free,
	.ctl_flag = fake_ctl_flag,
	.kernel = fake_kernel,
	.memcpy = fake_copy,
	.memset = fake_copy,
	.event_create = fake_event_create,
	.event_destroy = fake_event_destroy,
	.event_record = fake_event_record,
	.event_wait = fake_event_wait,
	.event_elapsed = fake_event_elapsed,
	.stream_sync = fake_stream_sync,
	.error = fake_error,
};

/* The device the engine tests run on: the fake, or with
 * HIPSCHED_GPU_TESTS=1 in a HW build, the real one. */
static const struct hw_devops *test_ops(void)
{
	const char *g = getenv("HIPSCHED_GPU_TESTS");
	if (g && *g == '1' && hw__devops)
		return hw__devops;
	return &fake_ops;
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

static void env_open(struct env *v, const char *policy)
{
	char err[256] = "";
	memset(&R, 0, sizeof(R));
	pthread_mutex_init(&R.mu, NULL);
	pthread_cond_init(&R.cv, NULL);
	v->ops = test_ops();
	int orc = v->ops->open(0, &v->dev, err, sizeof(err));
	ck_assert_msg(orc == 0, "open device 0: %s", err);
	v->ops->info(v->dev, &v->in);
	struct hw_engine_cb cb = { &R, rec_done, rec_preempted, rec_failed };
	int rc = hw__engine_create(v->ops, v->dev, &cb, policy, NULL, 0, &v->e,
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
	env_open(&v, "native");
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
	env_open(&v, "hpf");
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
	env_open(&v, "hpf");
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
	/* the running kernel finished (<= 2 ms), the queued ones were dropped */
	ck_assert_int_lt(lat, 4000000);
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

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_hw.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Two requests of a 1 ms and a 0.5 ms kernel, 100 us of host gap. */
static const char *trace_csv =
	"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,grid_z,"
	"block_x,block_y,block_z,shmem,regs,bytes\n"
	"0,0,kernel,a,7,0,10000,1010000,8,1,1,128,1,1,0,32,0\n"
	"0,1,kernel,b,7,100000,1010000,1510000,16,1,1,128,1,1,0,32,0\n"
	"1,0,kernel,a,7,5000000,5010000,6010000,8,1,1,128,1,1,0,32,0\n"
	"1,1,kernel,b,7,5100000,6010000,6510000,16,1,1,128,1,1,0,32,0\n";

static struct scenario *load_sc(const char *body)
{
	char path[400], trace[400], err[512];
	snprintf(trace, sizeof(trace), "%s/t.csv", tmpdir);
	write_file(trace, trace_csv);
	snprintf(path, sizeof(path), "%s/s.ini", tmpdir);
	write_file(path, body);
	struct scenario *sc = scenario_load(path, err, sizeof(err));
	ck_assert_msg(sc != NULL, "scenario: %s", err);
	return sc;
}

START_TEST(test_run_fake_two_tenants)
{
	mk_tmp();
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
	int rc = hw__run_with(&fake_ops, 0, sc, &o, &res, err, sizeof(err));
	ck_assert_msg(rc == 0, "run: %s", err);
	FILE *f = fopen(tl, "r");
	ck_assert_ptr_nonnull(f);
	char buf[512] = "";
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 100);
	fclose(f);
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
	rm_tmp();
}
END_TEST

START_TEST(test_run_fake_direct_and_standalone)
{
	mk_tmp();
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = native\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	unsigned char active[2] = { 1, 0 };
	struct run_opts o = { .mode = "standalone", .seed = 1, .active = active };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_ops, 1, sc, &o, &res, err, sizeof(err)), 0);
	ck_assert_uint_eq(res.t[0].nreq, 5);
	ck_assert_uint_eq(res.t[1].nreq, 0);           /* inactive */
	ck_assert_uint_eq(res.t[0].kernels, 10);
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_ge(res.t[0].req[i].end_ns - res.t[0].req[i].arrival_ns, 1500000);
	run_result_release(&res);
	scenario_free(sc);
	rm_tmp();
}
END_TEST

START_TEST(test_run_fake_process_own)
{
	mk_tmp();
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[policy]\nname = native\n"
		"[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
		"process = own\n"
		"[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	struct run_opts o = { .mode = "native", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_ops, 0, sc, &o, &res, err, sizeof(err)), 0);
	ck_assert_uint_eq(res.t[0].nreq, 5);           /* from the child */
	ck_assert_uint_eq(res.t[0].kernels, 10);
	ck_assert_uint_gt(res.t[1].nreq, 5);
	run_result_release(&res);
	scenario_free(sc);
	rm_tmp();
}
END_TEST

START_TEST(test_run_bad_trace)
{
	mk_tmp();
	struct scenario *sc = load_sc(
		"[scenario]\nname = t\nduration = 100ms\nseed = 1\ndevice = h100\n"
		"[tenant a]\ntrace = t.csv\npriority = 1\narrival = closed\n");
	char path[400];
	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	write_file(path, "request,seq\n0,0\n");
	struct run_opts o = { .mode = "native", .seed = 1 };
	struct run_result res = { 0 };
	char err[512] = "";
	ck_assert_int_eq(hw__run_with(&fake_ops, 0, sc, &o, &res, err, sizeof(err)), HW_ETRACE);
	ck_assert_ptr_nonnull(strstr(err, "t.csv"));
	run_result_release(&res);
	scenario_free(sc);
	rm_tmp();
}
END_TEST

/* ---- refusal without a backend ------------------------------------------------------- */
START_TEST(test_no_backend_refuses)
{
	char err[256] = "";
	struct hw_calib c;
	if (hw__devops) {
		/* a HW build: a device that does not exist is refused cleanly */
		int rc = hw_calibrate(999, &c, err, sizeof(err));
		ck_assert_int_eq(rc, HW_ENODEV);
		ck_assert_ptr_nonnull(strstr(err, "no HIP device"));
		return;
	}
	ck_assert_str_eq(hw_backend_name(), "none");
	ck_assert_int_eq(hw_calibrate(0, &c, err, sizeof(err)), HW_ENOBACKEND);
	ck_assert_ptr_nonnull(strstr(err, "without a GPU backend"));
	struct scenario sc = { .name = "x" };
	struct run_opts o = { 0 };
	struct run_result res = { 0 };
	ck_assert_int_eq(hw_run(&sc, &o, &res, err, sizeof(err)), HW_ENOBACKEND);
	ck_assert_str_eq(hw_strerror(HW_ENOBACKEND), "built without a GPU backend");
	ck_assert_str_eq(hw_strerror(HW_ENODEV), "no HIP device");
	ck_assert_str_eq(hw_strerror(HS_ENOMEM), "out of memory");
	run_result_release(&res);
}
END_TEST

START_TEST(test_fake_open_bad_device)
{
	char err[256] = "";
	struct hw_calib c;
	ck_assert_int_eq(hw__calibrate_with(&fake_ops, 3, &c, err, sizeof(err)), HW_ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "no HIP device 3"));
}
END_TEST

/* ---- calibration, shaping, priorities ------------------------------------------------- */
START_TEST(test_calib_fit_and_correct)
{
	struct hw_calib c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hw_calib_fit(&c), HS_EINVAL);
	for (int i = 0; i < 8; i++) {
		c.pt[i].blocks = 132;
		c.pt[i].req_ns = 10000 * (i + 1);
		c.pt[i].meas_ns = 3000 + (hs_ns)(1.05 * 10000 * (i + 1));
	}
	c.npts = 8;
	ck_assert_int_eq(hw_calib_fit(&c), 0);
	ck_assert(fabs(c.fit_offset_ns - 3000) < 1);
	ck_assert(fabs(c.fit_slope - 1.05) < 1e-6);
	ck_assert(c.fit_r2 > 0.999999);
	ck_assert_int_eq(hw_calib_correct(&c, 3000 + 105000), 100000);
	ck_assert_int_eq(hw_calib_correct(&c, 1000), 0);        /* below the offset */
	ck_assert_int_eq(hw_calib_correct(NULL, 1234), 1234);
}
END_TEST

START_TEST(test_calib_profile_roundtrip)
{
	mk_tmp();
	struct hw_calib c, d;
	memset(&c, 0, sizeof(c));
	snprintf(c.device, sizeof(c.device), "NVIDIA H100 80GB HBM3");
	c.sms = 132;
	c.launch_ns = 2500;
	c.launch_to_start_ns = 4000;
	c.sync_ns = 6000;
	c.fit_offset_ns = 2950.5;
	c.fit_slope = 1.0123;
	c.fit_r2 = 0.9999;
	c.npts = 1;
	c.pt[0] = (struct hw_calib_point){ 132, 100000, 106500 };
	char base[400], path[400], err[512] = "";
	snprintf(base, sizeof(base), "%s/base.ini", tmpdir);
	snprintf(path, sizeof(path), "%s/out.ini", tmpdir);
	write_file(base, "# base\n[device]\nname = old\nunits = 100\nlaunch_ns = 1\n"
		   "timeslice_ns = 2000000\nshare_contexts = 0\n");
	ck_assert_int_eq(hw_calib_write(&c, path, base, err, sizeof(err)), 0);
	ck_assert_int_eq(hw_calib_load(path, &d, err, sizeof(err)), 0);
	ck_assert(fabs(d.fit_offset_ns - 2950.5) < 0.01);
	ck_assert(fabs(d.fit_slope - 1.0123) < 1e-6);
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "[device]\nname = NVIDIA H100 80GB HBM3\nunits = 132\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nlaunch_ns = 4000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nsync_ns = 6000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\ntimeslice_ns = 2000000\n"));   /* from base */
	ck_assert_ptr_null(strstr(buf, "launch_ns = 1\n"));                  /* not copied */
	ck_assert_ptr_null(strstr(buf, "units = 100"));
	/* errors name the file and line */
	write_file(base, "[device]\n# hw: fit_offset_ns = 10\n# hw: fit_slope = -1\n");
	ck_assert_int_eq(hw_calib_load(base, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "base.ini:3: fit_slope"));
	write_file(base, "[device]\nunits = 1\n");
	ck_assert_int_eq(hw_calib_load(base, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "base.ini:2: no '# hw: fit_offset_ns'"));
	snprintf(path, sizeof(path), "%s/nodir/x.ini", tmpdir);
	ck_assert_int_eq(hw_calib_write(&c, path, NULL, err, sizeof(err)), HW_EIO);
	rm_tmp();
}
END_TEST

START_TEST(test_kernel_shape)
{
	struct hw_devinfo in;
	fake_info(NULL, &in);
	struct hw_kernel k;
	uint32_t g1[3] = { 8, 1, 1 }, g2[3] = { 16, 1, 1 }, g3[3] = { 17, 0, 1 };
	uint32_t b[3] = { 128, 1, 1 }, big[3] = { 64, 64, 1 };
	/* 4 SMs x 2 blocks = 8 blocks a wave */
	ck_assert_int_eq(hw__kernel_shape(&fake_ops, NULL, &in, g1, b, 0, 100000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 100000);
	ck_assert_int_eq(hw__kernel_shape(&fake_ops, NULL, &in, g2, b, 0, 100000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 50000);
	ck_assert_int_eq(hw__kernel_shape(&fake_ops, NULL, &in, g3, big, 1 << 20, 90000, NULL, &k), 0);
	ck_assert_int_eq(k.spin_ns, 30000);              /* 3 waves */
	ck_assert_uint_eq(k.grid[1], 1);                   /* 0 -> 1 */
	ck_assert_uint_eq(k.block[0] * k.block[1] * k.block[2], 1024);
	ck_assert_uint_le(k.shmem, 49152);
	struct hw_calib c = { .fit_offset_ns = 2000, .fit_slope = 1.0 };
	ck_assert_int_eq(hw__kernel_shape(&fake_ops, NULL, &in, g2, b, 0, 102000, &c, &k), 0);
	ck_assert_int_eq(k.spin_ns, 50000);
}
END_TEST

/* Unsorted, tied, nested and touching intervals merge to their union. */
START_TEST(test_ivs_union)
{
	struct hw_ivs s = { 0 };
	ck_assert_int_eq(hw__ivs_merge(&s), 0);
	hs_ns iv[][2] = { { 50, 60 }, { 0, 10 }, { 5, 8 }, { 10, 20 }, { 50, 55 },
			  { 30, 40 }, { 35, 45 }, { 0, 10 } };
	for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++)
		ck_assert_int_eq(hw__ivs_add(&s, iv[i][0], iv[i][1]), 0);
	ck_assert_int_eq(hw__ivs_merge(&s), 20 + 15 + 10);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.v[0].a, 0);
	ck_assert_int_eq(s.v[0].b, 20);
	ck_assert_int_eq(s.v[1].a, 30);
	ck_assert_int_eq(s.v[1].b, 45);
	ck_assert_int_eq(s.v[2].b, 60);
	ck_assert_int_eq(hw__ivs_merge(&s), 45);     /* idempotent */
	hw__ivs_release(&s);
}
END_TEST

START_TEST(test_stream_prio_map)
{
	/* H100: 0 (least) .. -5 (greatest) */
	ck_assert_int_eq(hw__stream_prio(10, 1, 10, 0, -5), -5);
	ck_assert_int_eq(hw__stream_prio(1, 1, 10, 0, -5), 0);
	ck_assert_int_eq(hw__stream_prio(5, 0, 10, 0, -5), -3);   /* -2.5 rounds away */
	ck_assert_int_eq(hw__stream_prio(3, 3, 3, 0, -5), -5);    /* one level */
	ck_assert_int_eq(hw__stream_prio(2, 0, 4, 0, 4), 2);      /* positive range */
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
	ck_assert(c.fit_slope > 0.9 && c.fit_slope < 1.2);
	ck_assert(c.fit_r2 > 0.98);
	/* the fit predicts the 1 ms points within 5% */
	for (size_t i = 0; i < c.npts; i++)
		if (c.pt[i].req_ns == 1000000) {
			double pred = c.fit_offset_ns + c.fit_slope * 1e6;
			ck_assert(fabs(pred - (double)c.pt[i].meas_ns) < 0.05 * 1e6);
		}
}
END_TEST

Suite *hw_suite(void)
{
	Suite *s = suite_create("hw");
	TCase *t = tcase_create("hw");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_no_backend_refuses);
	tcase_add_test(t, test_fake_open_bad_device);
	tcase_add_test(t, test_calib_fit_and_correct);
	tcase_add_test(t, test_calib_profile_roundtrip);
	tcase_add_test(t, test_kernel_shape);
	tcase_add_test(t, test_stream_prio_map);
	tcase_add_test(t, test_ivs_union);
	tcase_add_test(t, test_engine_level1_in_order);
	tcase_add_test(t, test_engine_level1_suspend);
	tcase_add_test(t, test_engine_level2_deactivate);
	tcase_add_test(t, test_run_fake_two_tenants);
	tcase_add_test(t, test_run_fake_direct_and_standalone);
	tcase_add_test(t, test_run_fake_process_own);
	tcase_add_test(t, test_run_bad_trace);
	tcase_add_test(t, test_calibrate_fake);
	suite_add_tcase(s, t);
	return s;
}
