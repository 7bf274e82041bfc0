/*
 * The run timeline: one writer for the simulator, the hw backend and
 * `trace export` (design in traces/trace.h, "timeline"). Built on the
 * Chrome trace writer of chrome.c.
 */
#include <stdlib.h>
#include <string.h>
#include "trace_internal.h"

/* Track ids inside a tenant's process. */
#define TID_HOST 1
#define TID_LAUNCH(k) (10 + 2 * (k))
#define TID_STREAM(k) (11 + 2 * (k))

/* Launches made at one instant on one stream, drawn as one slice. */
struct batch {
	int64_t at_ns, cost_ns;      /* at_ns < 0: none pending */
	int n;
	int64_t first_request, first_seq;
};

struct tl_tenant {
	struct batch *b;           /* per stream */
	int nstreams;
};

struct timeline {
	struct chrome_writer *w;
	int64_t from_ns, to_ns;      /* window; to_ns <= 0: open */
	struct tl_tenant *t;
	int ntenants;
	uint64_t next_flow;
	int oom;
};

static int in_win(const struct timeline *tl, int64_t ts)
{
	return ts >= tl->from_ns && (tl->to_ns <= 0 || ts < tl->to_ns);
}

static int overlaps(const struct timeline *tl, int64_t a, int64_t b)
{
	return b >= tl->from_ns && (tl->to_ns <= 0 || a < tl->to_ns);
}

struct timeline *timeline_open(const char *path, int64_t from_ns, int64_t to_ns,
			       struct trace_err *err)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	if (!tl) {
		trace__fail(err, "%s: out of memory", path);
		return NULL;
	}
	tl->w = chrome_writer_open(path, err);
	if (!tl->w) {
		free(tl);
		return NULL;
	}
	tl->from_ns = from_ns > 0 ? from_ns : 0;
	tl->to_ns = to_ns;
	tl->next_flow = 1;
	return tl;
}

static struct batch *batch_of(struct timeline *tl, int tenant, int stream)
{
	if (tenant < 0 || stream < 0)
		return NULL;
	if (tenant >= tl->ntenants) {
		struct tl_tenant *n = realloc(tl->t, (size_t)(tenant + 1) * sizeof(*n));
		if (!n) {
			tl->oom = 1;
			return NULL;
		}
		memset(n + tl->ntenants, 0,
		       (size_t)(tenant + 1 - tl->ntenants) * sizeof(*n));
		tl->t = n;
		tl->ntenants = tenant + 1;
	}
	struct tl_tenant *t = &tl->t[tenant];
	if (stream >= t->nstreams) {
		struct batch *n = realloc(t->b, (size_t)(stream + 1) * sizeof(*n));
		if (!n) {
			tl->oom = 1;
			return NULL;
		}
		for (int k = t->nstreams; k <= stream; k++)
			n[k] = (struct batch){ .at_ns = -1 };
		t->b = n;
		t->nstreams = stream + 1;
	}
	return &t->b[stream];
}

static void name_track(struct timeline *tl, int pid, int tid, const char *name)
{
	chrome_name_thread(tl->w, pid, tid, name);
}

void timeline_tenant(struct timeline *tl, int tenant, const char *name)
{
	chrome_name_process(tl->w, tenant + 1, name);
	FILE *f = trace__chrome_event(tl->w);
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%d,"
		"\"tid\":0,\"args\":{\"sort_index\":%d}}", tenant + 1, tenant + 1);
	name_track(tl, tenant + 1, TID_HOST, "host");
}

void timeline_stream(struct timeline *tl, int tenant, int stream,
		     const char *name)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s: launches (host)", name);
	name_track(tl, tenant + 1, TID_LAUNCH(stream), buf);
	snprintf(buf, sizeof(buf), "%s: GPU", name);
	name_track(tl, tenant + 1, TID_STREAM(stream), buf);
	batch_of(tl, tenant, stream);
}

static void head(FILE *f, const char *ph, const char *name, const char *cat,
		 int pid, int tid, int64_t ts)
{
	fprintf(f, "{\"ph\":\"%s\",\"name\":", ph);
	trace__json_str(f, name);
	if (cat) {
		fputs(",\"cat\":", f);
		trace__json_str(f, cat);
	}
	fprintf(f, ",\"pid\":%d,\"tid\":%d,\"ts\":", pid, tid);
	trace__json_us(f, ts);
}

static void flush_batch(struct timeline *tl, int tenant, int stream,
			struct batch *b, int64_t next_ns)
{
	if (b->at_ns < 0)
		return;
	int64_t dur = b->cost_ns;
	/* the next batch on this track starts inside this one: end this one
	 * there, so slices on the track stay disjoint */
	if (next_ns >= 0 && next_ns - b->at_ns < dur)
		dur = next_ns - b->at_ns;
	FILE *f = trace__chrome_event(tl->w);
	char name[48];
	if (b->n == 1)
		snprintf(name, sizeof(name), "launch");
	else
		snprintf(name, sizeof(name), "launch x%d", b->n);
	head(f, "X", name, "launch", tenant + 1, TID_LAUNCH(stream), b->at_ns);
	fputs(",\"dur\":", f);
	trace__json_us(f, dur > 0 ? dur : 0);
	fprintf(f, ",\"args\":{\"commands\":%d", b->n);
	if (b->first_request >= 0)
		fprintf(f, ",\"first_request\":%lld,\"first_seq\":%lld",
			(long long)b->first_request, (long long)b->first_seq);
	fputs("}}", f);
	b->at_ns = -1;
}

void timeline_launch(struct timeline *tl, int tenant, int stream, int64_t at_ns,
		     int64_t cost_ns, int64_t request, int64_t seq)
{
	if (!in_win(tl, at_ns))
		return;
	struct batch *b = batch_of(tl, tenant, stream);
	if (!b)
		return;
	if (b->at_ns == at_ns) {
		b->n++;
		return;
	}
	flush_batch(tl, tenant, stream, b, at_ns);
	*b = (struct batch){ .at_ns = at_ns, .cost_ns = cost_ns, .n = 1,
			     .first_request = request, .first_seq = seq };
}

void timeline_command(struct timeline *tl, int tenant, int stream,
		      const struct timeline_cmd *c)
{
	int flow = c->launch_ns >= 0 && in_win(tl, c->launch_ns);
	if (!flow && !overlaps(tl, c->start_ns, c->end_ns))
		return;
	int pid = tenant + 1, tid = c->host ? TID_HOST : TID_STREAM(stream);
	FILE *f = trace__chrome_event(tl->w);
	head(f, "X", c->name ? c->name : "?", c->cat, pid, tid, c->start_ns);
	fputs(",\"dur\":", f);
	trace__json_us(f, c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0);
	fprintf(f, ",\"args\":{\"request\":%lld,\"seq\":%lld", (long long)c->request,
		(long long)c->seq);
	if (c->launch_ns >= 0) {
		fputs(",\"queued_us\":", f);
		trace__json_us(f, c->start_ns - c->launch_ns);
	}
	if (c->estimated)
		fputs(",\"estimated\":true", f);
	if (c->aborted)
		fputs(",\"aborted\":true", f);
	if (c->clock_err_us > 0)
		fprintf(f, ",\"clock_err_us\":%.1f", c->clock_err_us);
	fputs("}}", f);
	if (!flow || c->host)
		return;
	/* the arrow: from the launch slice to the command's slice */
	uint64_t id = tl->next_flow++;
	f = trace__chrome_event(tl->w);
	head(f, "s", "launch", "launch", pid, TID_LAUNCH(stream), c->launch_ns);
	fprintf(f, ",\"id\":%llu}", (unsigned long long)id);
	f = trace__chrome_event(tl->w);
	head(f, "f", "launch", "launch", pid, tid, c->start_ns);
	fprintf(f, ",\"bp\":\"e\",\"id\":%llu}", (unsigned long long)id);
}

void timeline_request(struct timeline *tl, int tenant, int64_t request,
		      int64_t arrival_ns, int64_t start_ns, int64_t end_ns,
		      int64_t slo_ns)
{
	if (end_ns < 0 || !overlaps(tl, arrival_ns, end_ns))
		return;
	char name[48];
	snprintf(name, sizeof(name), "request %lld", (long long)request);
	/* async ids: unique over the file (a tenant's requests never share) */
	unsigned long long id = ((unsigned long long)(tenant + 1) << 40) |
		((unsigned long long)request & ((1ull << 40) - 1));
	FILE *f = trace__chrome_event(tl->w);
	head(f, "b", name, "request", tenant + 1, TID_HOST, arrival_ns);
	fprintf(f, ",\"id\":\"0x%llx\",\"args\":{\"request\":%lld,\"latency_us\":",
		id, (long long)request);
	trace__json_us(f, end_ns - arrival_ns);
	fputs(",\"waited_us\":", f);
	trace__json_us(f, start_ns - arrival_ns);
	if (slo_ns > 0)
		fprintf(f, ",\"within_slo\":%s", end_ns - arrival_ns <= slo_ns ?
			"true" : "false");
	fputs("}}", f);
	f = trace__chrome_event(tl->w);
	head(f, "e", name, "request", tenant + 1, TID_HOST, end_ns);
	fprintf(f, ",\"id\":\"0x%llx\"}", id);
}

void timeline_mark(struct timeline *tl, int tenant, int stream, const char *name,
		   int64_t at_ns, const char *why, const char *key, double value)
{
	if (!in_win(tl, at_ns))
		return;
	FILE *f = trace__chrome_event(tl->w);
	head(f, "i", name, "scheduler", tenant + 1,
	     stream < 0 ? TID_HOST : TID_STREAM(stream), at_ns);
	fputs(",\"s\":\"t\",\"args\":{", f);
	int n = 0;
	if (why) {
		fputs("\"why\":", f);
		trace__json_str(f, why);
		n++;
	}
	if (key) {
		fprintf(f, "%s", n ? "," : "");
		trace__json_str(f, key);
		fprintf(f, ":%.3f", value);
	}
	fputs("}}", f);
}

void timeline_decision(struct timeline *tl, int tenant, int stream,
		       int suspended, int64_t at_ns, const char *by,
		       const char *why, const char *policy)
{
	char buf[384];
	const char *what = !strcmp(why, "hint") ? "got a hint" :
		!strcmp(why, "queues") ? "was created or freed" :
		!strcmp(why, "ready") ? "became ready" :
		!strcmp(why, "idle") ? "went idle" : why;
	if (by)
		snprintf(buf, sizeof(buf), "%s %s (policy %s)", by, what, policy);
	else
		snprintf(buf, sizeof(buf), "%s (policy %s)", !strcmp(why, "timer") ?
			 "policy timer" : what, policy);
	timeline_mark(tl, tenant, stream, suspended ? "suspend" : "resume", at_ns,
		      buf, NULL, 0);
}

void timeline_preempted(struct timeline *tl, int tenant, int stream,
			int64_t suspend_ns, int64_t idle_ns)
{
	timeline_mark(tl, tenant, stream, "preempted", idle_ns,
		      "no command of the suspended queue runs any more",
		      "latency_us", (double)(idle_ns - suspend_ns) / 1e3);
}

void timeline_label(struct timeline *tl, int tenant, const char *label)
{
	FILE *f = trace__chrome_event(tl->w);
	fprintf(f, "{\"ph\":\"M\",\"name\":\"process_labels\",\"pid\":%d,"
		"\"tid\":0,\"args\":{\"labels\":", tenant + 1);
	trace__json_str(f, label);
	fputs("}}", f);
}

void timeline_queue(struct timeline *tl, int tenant, int stream,
		    const char *name, int64_t at_ns, size_t pending, size_t inflight)
{
	if (!in_win(tl, at_ns))
		return;
	char buf[160];
	snprintf(buf, sizeof(buf), "%s queue", name);
	FILE *f = trace__chrome_event(tl->w);
	head(f, "C", buf, NULL, tenant + 1, TID_STREAM(stream), at_ns);
	fprintf(f, ",\"args\":{\"pending\":%zu,\"in_flight\":%zu}}", pending,
		inflight);
}

int timeline_close(struct timeline *tl, int commit, struct trace_err *err)
{
	for (int i = 0; i < tl->ntenants; i++) {
		for (int k = 0; k < tl->t[i].nstreams; k++)
			flush_batch(tl, i, k, &tl->t[i].b[k], -1);
		free(tl->t[i].b);
	}
	free(tl->t);
	if (tl->oom && commit) {
		commit = 0;
		chrome_writer_close(tl->w, 0, NULL);
		free(tl);
		return trace__fail(err, "timeline: out of memory");
	}
	int rc = chrome_writer_close(tl->w, commit, err);
	free(tl);
	return rc;
}
