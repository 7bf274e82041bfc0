/*
 * tests/shim/engine_stub.c: a recording stand-in for the interception
 * engine (hw/shim/engine.c), linked into the test build of the AMD
 * platform layer while the engine is being written; the shimamd suite
 * checks what hip.c asks of the engine through it. It never holds a
 * thread.
 *
 * HIPSCHED_STUB_LOG=PATH: one line per engine call, appended to PATH
 *   (init NAME | begin KIND STREAM PTDS | end KIND OK | capture STREAM |
 *   sync STREAM PTDS ALL | created STREAM PRIO | destroyed STREAM |
 *   plat ok|fail WHAT). Unset: shim__begin returns NULL (pass-through).
 * HIPSCHED_STUB_PLAT=1: each host sync also drives the platform ops as the
 *   engine's poller does: create an event, record it on the stream, poll
 *   it until it completes, destroy it.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "shim_internal.h"
#include "log_line.h"

struct shim_cmd {
	enum shim_kind kind;
};

static const struct shim_plat *plat;
static int log_fd = -1;

static const char *const kind_name[] = {
	[SHIM_KERNEL] = "kernel", [SHIM_COPY] = "copy", [SHIM_SET] = "set",
	[SHIM_EVENT] = "event", [SHIM_WAIT] = "wait", [SHIM_GRAPH] = "graph",
};

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line(log_fd, fmt, ap);
	va_end(ap);
}

void shim__init(const struct shim_plat *p)
{
	const char *path = getenv("HIPSCHED_STUB_LOG");
	if (path && *path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	plat = p;
	if (log_fd < 0)
		return;           /* pass-through: no call of our own */
	out("init %s", p->name);
	void *ctx = p->current_ctx();
	if (p->bind_thread(ctx) != 0)
		out("plat fail bind_thread");
}

struct shim_cmd *shim__begin(void *stream, int ptds, enum shim_kind k)
{
	if (log_fd < 0)
		return NULL;
	if (plat->stream_capturing(stream)) {
		out("capture %p", stream);
		return NULL;
	}
	struct shim_cmd *c = malloc(sizeof *c);
	if (!c)
		abort();
	c->kind = k;
	out("begin %s %p %d", kind_name[k], stream, ptds);
	return c;
}

void shim__end(struct shim_cmd *c, int ok)
{
	out("end %s %d", kind_name[c->kind], ok);
	free(c);
}

static void drive_plat(void *stream)
{
	void *ev = NULL;
	if (plat->event_create(&ev) != 0) {
		out("plat fail event_create");
		return;
	}
	if (plat->event_record(ev, stream) != 0) {
		out("plat fail event_record");
		plat->event_destroy(ev);
		return;
	}
	int r;
	for (int i = 0; (r = plat->event_query(ev)) == 1 && i < 5000; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (r == 0)
		out("plat ok");
	else
		out("plat fail event_query %d", r);
	plat->event_destroy(ev);
}

void shim__host_sync(void *stream, int ptds, int all)
{
	out("sync %p %d %d", stream, ptds, all);
	const char *p = getenv("HIPSCHED_STUB_PLAT");
	if (log_fd >= 0 && p && strcmp(p, "1") == 0)
		drive_plat(ptds && !stream ? SHIM_STREAM_PER_THREAD : stream);
}

void shim__stream_created(void *stream, int platform_prio)
{
	out("created %p %d", stream, platform_prio);
}

void shim__stream_destroyed(void *stream)
{
	out("destroyed %p", stream);
}

int shim__log_on(void)
{
	return 0;
}

void shim__log(const char *fmt, ...)
{
}
