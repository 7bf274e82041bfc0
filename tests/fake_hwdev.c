/* The fake device layer of the hw/ tests (see fake_hwdev.h). */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_hwdev.h"

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
	int hang;                  /* fake_faults.kernel_hang_at */
	hs_ns submit_ns;           /* when the host enqueued it */
	struct fop *next;
};

struct fstream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fop *head, *tail;
	int busy, stop;
	hs_ns gpu_ns;              /* the stream's device clock: where its last
	                            * kernel ended had it run as planned */
	pthread_t thr;
};

static int fake_kernels_run, fake_kernels_aborted;
struct fake_faults fake_faults;
static int fake_launches;          /* kernel launch calls in this process */
static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static hs_ns *log_buf;             /* fake_hwdev_log */
static size_t log_cap, *log_n;

void fake_hwdev_log(hs_ns *buf, size_t cap, size_t *n)
{
	pthread_mutex_lock(&fake_mu);
	log_buf = buf;
	log_cap = cap;
	log_n = n;
	if (n)
		*n = 0;
	pthread_mutex_unlock(&fake_mu);
}

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
		if (op->kind == FOP_KERNEL && op->hang) {
			for (;;)               /* a stream that never completes */
				pause();
		}
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
				hs_ns dur = op->k.spin_ns * (hs_ns)waves;
				hs_ns start = s->gpu_ns > op->submit_ns ? s->gpu_ns :
					op->submit_ns;
				s->gpu_ns = start + dur;
				hw__sleep_until(t0 + dur);
				if (op->slot >= 0 && op->times) {
					op->times[2 * op->slot] = start;
					op->times[2 * op->slot + 1] = s->gpu_ns;
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
			/* the device clock, not the wall clock: a GPU's event
			 * timer does not stretch when the host is loaded */
			op->ev->t = s->gpu_ns > op->submit_ns ? s->gpu_ns : op->submit_ns;
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

void fake_hwdev_info(void *dev, struct hw_devinfo *in)
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
	op->submit_ns = hw__now();
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
	int nth = __atomic_add_fetch(&fake_launches, 1, __ATOMIC_SEQ_CST);
	if (nth == fake_faults.die_at)
		raise(SIGKILL);
	if (nth == fake_faults.kernel_fail_at)
		return HW_EDEVICE;
	struct fop *op = calloc(1, sizeof(*op));
	op->hang = nth == fake_faults.kernel_hang_at;
	op->kind = FOP_KERNEL;
	op->k = *k;
	op->ctl = ctl->host;
	op->times = ctl->times;
	op->slot = slot;
	push(st, op);
	pthread_mutex_lock(&fake_mu);
	if (log_buf && *log_n < log_cap)
		log_buf[(*log_n)++] = op->submit_ns;
	pthread_mutex_unlock(&fake_mu);
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
	if (fake_faults.event_wait_fail)
		return HW_EDEVICE;
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
	if (fake_faults.kernel_fail_at)
		return "fake device error: kernel launch failed (injected)";
	if (fake_faults.event_wait_fail)
		return "fake device error: event synchronize failed (injected)";
	return "fake device error";
}

const struct hw_devops fake_hwdev_ops = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.info = fake_hwdev_info,
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

