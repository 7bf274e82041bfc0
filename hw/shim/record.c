/*
 * The recorder's writer (contract and file format in record.h): one fixed
 * record per intercepted call into a buffer mapped once, names copied into
 * a fixed arena the first time their pointer is seen, timing events from a
 * pool made once, the file written at exit (and in between when the buffer
 * fills at a request boundary).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "record.h"

#define REC_CAP      (1u << 20)    /* records buffered (128 MiB, mapped lazily) */
#define NAME_SLOTS   (1u << 17)    /* pointer hash table: 2 x 64 Ki names */
#define NAME_MAX_N   (1u << 16)
#define ARENA_BYTES  (4u << 20)
#define NOREC        UINT64_MAX

_Static_assert(sizeof(struct shim_rec) == 128, "record size is part of the format");
_Static_assert(sizeof(struct shim_rec_file_header) == 64, "header size is part of the format");

#define FUNC_SLOTS   (1u << 16)

struct func_slot {
	void *func;
	struct shim_rec_func info;
};

struct name_slot {
	const char *ptr;
	uint32_t id;               /* 1-based */
};

static struct {
	int on;                    /* recording (read without the lock) */
	int done;                  /* flushed for good */
	const struct shim_rec_plat *p;
	pthread_mutex_t mu;
	int fd;
	uint32_t sample;
	uint64_t limit;            /* boundaries before stopping, 0 = none */
	/* records */
	struct shim_rec *buf;
	uint64_t n, written, seq;  /* buffered, in the file, calls so far */
	/* requests */
	uint64_t req;              /* the current request's number */
	uint64_t boundaries;
	int marks;                 /* the application marks its requests */
	int sampling;              /* the current request is timed */
	/* kernel functions seen */
	struct func_slot *funcs;
	/* names */
	struct name_slot *names;
	uint32_t *name_off, *name_len, nnames;
	char *arena;
	size_t arena_used;
	/* timing events of the current sampled request */
	void **ev;                 /* 2 per slot: start, end */
	uint64_t *ev_rec;          /* per slot: index into buf, NOREC if lost */
	int maxev, nev, ev_made;   /* ev_made: 1 pool made, -1 failed */
} R = { .mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

uint64_t shim__rec_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int shim__rec_on(void)
{
	return __atomic_load_n(&R.on, __ATOMIC_RELAXED);
}

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static unsigned long env_ul(const char *var, unsigned long def)
{
	const char *v = getenv(var);
	char *end;
	if (!v || !*v)
		return def;
	unsigned long x = strtoul(v, &end, 10);
	if (*end) {
		fprintf(stderr, "hipsched: %s=%s is not a number; using %lu\n", var, v, def);
		return def;
	}
	return x;
}

static int write_all(int fd, const void *b, size_t len, off_t at)
{
	const char *c = b;
	while (len) {
		ssize_t w = at >= 0 ? pwrite(fd, c, len, at) : write(fd, c, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		len -= (size_t)w;
		if (at >= 0)
			at += w;
	}
	return 0;
}

static void header(struct shim_rec_file_header *h, uint64_t nrecs, uint64_t names_off)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SHIM_REC_MAGIC, 8);
	h->version = SHIM_REC_VERSION;
	h->rec_size = sizeof(struct shim_rec);
	h->nrecs = nrecs;
	h->nnames = R.nnames;
	h->names_offset = names_off;
	h->sample = R.sample;
	h->pid = (uint32_t)getpid();
	snprintf(h->platform, sizeof(h->platform), "%s", R.p && R.p->name ? R.p->name : "?");
}

static void at_exit(void)
{
	shim__rec_flush();
}

static void fork_child(void)
{
	/* the child inherits the parent's buffer and file: it must not
	 * write either */
	R.on = 0;
	R.done = 1;
	R.fd = -1;
}

void shim__rec_init(const struct shim_rec_plat *p)
{
	const char *path = getenv("HIPSCHED_RECORD");
	if (!path || !*path || R.on || R.done)
		return;
	R.p = p;
	R.sample = (uint32_t)env_ul("HIPSCHED_RECORD_SAMPLE", 2);
	if (!R.sample)
		R.sample = 1;
	R.limit = env_ul("HIPSCHED_RECORD_REQUESTS", 0);
	R.maxev = (int)env_ul("HIPSCHED_RECORD_EVENTS", 4096);
	R.buf = map(REC_CAP * sizeof(*R.buf));
	R.names = map(NAME_SLOTS * sizeof(*R.names));
	R.funcs = map(FUNC_SLOTS * sizeof(*R.funcs));
	R.name_off = map(NAME_MAX_N * sizeof(*R.name_off));
	R.name_len = map(NAME_MAX_N * sizeof(*R.name_len));
	R.arena = map(ARENA_BYTES);
	if (R.maxev > 0) {
		R.ev = map((size_t)R.maxev * 2 * sizeof(*R.ev));
		R.ev_rec = map((size_t)R.maxev * sizeof(*R.ev_rec));
	}
	R.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!R.buf || !R.names || !R.funcs || !R.name_off || !R.name_len || !R.arena ||
	    (R.maxev > 0 && (!R.ev || !R.ev_rec)) || R.fd < 0) {
		fprintf(stderr, "hipsched: recording to %s: %s; not recording\n", path,
			R.fd < 0 ? strerror(errno) : "out of memory");
		if (R.fd >= 0)
			close(R.fd);
		R.fd = -1;
		R.done = 1;
		return;
	}
	struct shim_rec_file_header h;
	header(&h, UINT64_MAX, 0);    /* incomplete until the flush */
	if (write_all(R.fd, &h, sizeof(h), -1)) {
		fprintf(stderr, "hipsched: writing %s: %s; not recording\n", path,
			strerror(errno));
		close(R.fd);
		R.fd = -1;
		R.done = 1;
		return;
	}
	R.sampling = R.sample == 1;   /* request 0 is timed only when all are */
	pthread_atfork(NULL, NULL, fork_child);
	atexit(at_exit);
	__atomic_store_n(&R.on, 1, __ATOMIC_RELEASE);
}

/* The name's id (1-based), copying it the first time its pointer is seen;
 * 0 when there is none or no room. Under R.mu. */
static uint32_t name_id(const char *s)
{
	if (!s)
		return 0;
	uint64_t h = ((uint64_t)(uintptr_t)s >> 3) * 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0, k = (uint32_t)(h >> 47); i < NAME_SLOTS;
	     i++, k = (k + 1) & (NAME_SLOTS - 1)) {
		struct name_slot *sl = &R.names[k];
		if (sl->ptr == s)
			return sl->id;
		if (sl->ptr)
			continue;
		size_t len = strnlen(s, 4096);
		if (R.nnames >= NAME_MAX_N || R.arena_used + len > ARENA_BYTES)
			return 0;
		memcpy(R.arena + R.arena_used, s, len);
		R.name_off[R.nnames] = (uint32_t)R.arena_used;
		R.name_len[R.nnames] = (uint32_t)len;
		R.arena_used += len;
		sl->ptr = s;
		sl->id = ++R.nnames;
		return sl->id;
	}
	return 0;
}

/* Writes the buffered records to the file. Slots of the sampled request
 * whose records leave the buffer lose their GPU times. Under R.mu. */
static int drain(void)
{
	if (!R.n)
		return 0;
	if (write_all(R.fd, R.buf, R.n * sizeof(*R.buf), -1))
		return -1;
	R.written += R.n;
	R.n = 0;
	for (int s = 0; s < R.nev; s++)
		R.ev_rec[s] = NOREC;
	return 0;
}

static struct shim_rec *append(int kind, void *stream, uint64_t t_enter,
			       uint64_t t_return)
{
	if (R.n == REC_CAP && drain()) {
		R.on = 0;
		return NULL;
	}
	struct shim_rec *r = &R.buf[R.n++];
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	r->stream = (uint64_t)(uintptr_t)stream;
	r->t_enter_ns = t_enter;
	r->t_return_ns = t_return;
	r->gpu_start_ns = r->gpu_end_ns = -1;
	r->seq = R.seq++;
	if (R.sampling)
		r->flags |= SHIM_REC_F_SAMPLED;
	return r;
}

/* Reads the timed request's events into its records (GPU ns from the
 * first start event) and frees the slots. Under R.mu. */
static void resolve(void)
{
	for (int s = 0; s < R.nev; s++) {
		int64_t a, b;
		if (R.ev_rec[s] == NOREC ||
		    R.p->tev_elapsed_ns(R.ev[0], R.ev[2 * s], &a) ||
		    R.p->tev_elapsed_ns(R.ev[0], R.ev[2 * s + 1], &b))
			continue;
		struct shim_rec *r = &R.buf[R.ev_rec[s]];
		r->gpu_start_ns = a;
		r->gpu_end_ns = b >= a ? b : a;
		r->flags |= SHIM_REC_F_GPU;
	}
	R.nev = 0;
}

/* A boundary: the request ends, the next starts (timed or not). mark: the
 * hipsched_mark_request() record, whose return time is taken once the
 * finished request's events are read (that work is the recorder's, not
 * the application's host time). */
static void boundary(struct shim_rec *mark, uint64_t (*now)(void))
{
	if (R.nev)
		resolve();
	if (mark)
		mark->t_return_ns = now();
	R.req++;
	R.boundaries++;
	R.sampling = R.req % R.sample == R.sample - 1;
	if (R.limit && R.boundaries >= R.limit) {
		R.sampling = 0;
		R.on = 0;             /* enough: the rest is not logged */
	}
	/* room for the next request: write out at a boundary, where no
	 * timed slot points into the buffer */
	if (R.n > REC_CAP / 2 && drain())
		R.on = 0;
}

static int capturing(void *stream)
{
	return R.p && R.p->capturing && R.p->capturing(stream);
}

int shim__rec_gpu_begin(void *stream)
{
	if (!shim__rec_on() || !R.p || !R.p->tev_record || capturing(stream))
		return -1;
	pthread_mutex_lock(&R.mu);
	int slot = -1;
	if (R.on && R.sampling && R.nev < R.maxev) {
		if (!R.ev_made) {
			R.ev_made = 1;
			for (int i = 0; i < 2 * R.maxev; i++)
				if (R.p->tev_create(&R.ev[i])) {
					fprintf(stderr, "hipsched: cannot create timing "
						"events; recording host times only\n");
					R.ev_made = -1;
					break;
				}
		}
		if (R.ev_made == 1 && R.p->tev_record(R.ev[2 * R.nev], stream) == 0) {
			slot = R.nev++;
			R.ev_rec[slot] = NOREC;
		}
	}
	pthread_mutex_unlock(&R.mu);
	return slot;
}

void shim__rec_launch(int kind, void *stream, const char *name,
		      const uint32_t grid[3], const uint32_t block[3],
		      uint32_t shmem, uint32_t regs, uint64_t bytes,
		      uint64_t t_enter, uint64_t t_return, int slot)
{
	if (!shim__rec_on() || capturing(stream))
		return;
	pthread_mutex_lock(&R.mu);
	struct shim_rec *r = R.on ? append(kind, stream, t_enter, t_return) : NULL;
	if (r) {
		r->name_id = name_id(name);
		for (int i = 0; i < 3; i++) {
			r->grid[i] = grid ? grid[i] : 0;
			r->block[i] = block ? block[i] : 0;
		}
		r->shmem = shmem;
		r->regs = regs;
		r->bytes = bytes;
		if (slot >= 0 && slot < R.nev &&
		    R.p->tev_record(R.ev[2 * slot + 1], stream) == 0)
			R.ev_rec[slot] = R.n - 1;
	}
	pthread_mutex_unlock(&R.mu);
}

void shim__rec_kernel(void *func, const uint32_t grid[3], const uint32_t block[3],
		      uint32_t dyn_shmem, void *stream, uint64_t t_enter,
		      uint64_t t_return, int slot)
{
	if (!shim__rec_on())
		return;
	struct shim_rec_func fi = { 0 }, *hit = NULL;
	pthread_mutex_lock(&R.mu);
	uint64_t h = ((uint64_t)(uintptr_t)func >> 3) * 0x9e3779b97f4a7c15ull;
	uint32_t k = (uint32_t)(h >> 48), i = 0;
	for (; i < FUNC_SLOTS && R.funcs[k].func && R.funcs[k].func != func; i++)
		k = (k + 1) & (FUNC_SLOTS - 1);
	if (i < FUNC_SLOTS && R.funcs[k].func == func)
		hit = &R.funcs[k].info;
	pthread_mutex_unlock(&R.mu);
	if (hit) {
		fi = *hit;
	} else if (R.p && R.p->func_info && func) {
		R.p->func_info(func, &fi);   /* outside the lock: a driver call */
		pthread_mutex_lock(&R.mu);
		if (i < FUNC_SLOTS && !R.funcs[k].func) {
			R.funcs[k].func = func;
			R.funcs[k].info = fi;
		}
		pthread_mutex_unlock(&R.mu);
	}
	shim__rec_launch(SHIM_REC_KERNEL, stream, fi.name, grid, block,
			 fi.static_shmem + dyn_shmem, fi.regs, 0, t_enter, t_return, slot);
}

void shim__rec_sync(void *stream, int all, uint64_t t_enter, uint64_t t_return)
{
	if (!shim__rec_on())
		return;
	pthread_mutex_lock(&R.mu);
	struct shim_rec *r = R.on ? append(SHIM_REC_SYNC, stream, t_enter, t_return) : NULL;
	if (r) {
		if (all)
			r->flags |= SHIM_REC_F_ALL;
		if (!R.marks)
			boundary(NULL, NULL);
	}
	pthread_mutex_unlock(&R.mu);
}

__attribute__((visibility("default"))) void hipsched_mark_request(void)
{
	if (shim__rec_on())
		shim__rec_mark(shim__rec_now(), shim__rec_now);
}

void shim__rec_mark(uint64_t t, uint64_t (*now)(void))
{
	if (!shim__rec_on())
		return;
	pthread_mutex_lock(&R.mu);
	struct shim_rec *r = R.on ? append(SHIM_REC_MARK, NULL, t, t) : NULL;
	if (r) {
		if (!R.marks) {
			/* from now on the marks are the boundaries: the first
			 * one starts request 0 */
			if (R.nev)
				resolve();
			r->t_return_ns = now();
			R.marks = 1;
			R.req = 0;
			R.boundaries = 0;
			R.sampling = R.sample == 1;
		} else {
			boundary(r, now);
		}
	}
	pthread_mutex_unlock(&R.mu);
}

int shim__rec_flush(void)
{
	pthread_mutex_lock(&R.mu);
	if (R.done || R.fd < 0) {
		pthread_mutex_unlock(&R.mu);
		return 0;
	}
	R.on = 0;
	R.done = 1;
	if (R.nev)
		resolve();
	int rc = drain();
	uint64_t off = sizeof(struct shim_rec_file_header) + R.written * sizeof(struct shim_rec);
	for (uint32_t i = 0; !rc && i < R.nnames; i++) {
		uint32_t len = R.name_len[i];
		rc = write_all(R.fd, &len, sizeof(len), -1) ||
			write_all(R.fd, R.arena + R.name_off[i], len, -1);
	}
	struct shim_rec_file_header h;
	header(&h, R.written, off);
	if (!rc)
		rc = write_all(R.fd, &h, sizeof(h), 0);
	int e = errno;
	if (close(R.fd) && !rc) {
		rc = -1;
		e = errno;
	}
	R.fd = -1;
	/* the events are not destroyed: at exit the platform's context may
	 * be gone already, and the process ends anyway */
	pthread_mutex_unlock(&R.mu);
	if (rc) {
		fprintf(stderr, "hipsched: writing the record log: %s\n", strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}
