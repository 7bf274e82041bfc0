/*
 * Chrome trace event JSON writer (the "JSON Object Format" that Perfetto and
 * chrome://tracing open), and `trace export` on top of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trace_internal.h"

struct chrome_writer {
	struct trace_out out;
	int nev;
};

void trace__json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ns as microseconds with 3 decimals, exactly (no floating point). */
void trace__json_us(FILE *f, int64_t ns)
{
	if (ns < 0) {
		fputc('-', f);
		ns = -ns;
	}
	fprintf(f, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

struct chrome_writer *chrome_writer_open(const char *path, struct trace_err *err)
{
	struct chrome_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		trace__fail(err, "%s: out of memory", path);
		return NULL;
	}
	if (trace_out_open(&w->out, path, err)) {
		free(w);
		return NULL;
	}
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", w->out.f);
	return w;
}

static void sep(struct chrome_writer *w)
{
	fputs(w->nev++ ? ",\n" : "\n", w->out.f);
}

FILE *trace__chrome_event(struct chrome_writer *w)
{
	sep(w);
	return w->out.f;
}

void chrome_name_process(struct chrome_writer *w, int pid, const char *name)
{
	sep(w);
	fprintf(w->out.f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,"
		"\"tid\":0,\"args\":{\"name\":", pid);
	trace__json_str(w->out.f, name);
	fputs("}}", w->out.f);
}

void chrome_name_thread(struct chrome_writer *w, int pid, int tid, const char *name)
{
	sep(w);
	fprintf(w->out.f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,"
		"\"tid\":%d,\"args\":{\"name\":", pid, tid);
	trace__json_str(w->out.f, name);
	fputs("}}", w->out.f);
	sep(w);
	fprintf(w->out.f, "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,"
		"\"tid\":%d,\"args\":{\"sort_index\":%d}}", pid, tid, tid);
}

void chrome_span(struct chrome_writer *w, int pid, int tid, const char *name,
		 const char *cat, int64_t start_ns, int64_t dur_ns)
{
	sep(w);
	fputs("{\"ph\":\"X\",\"name\":", w->out.f);
	trace__json_str(w->out.f, name);
	fputs(",\"cat\":", w->out.f);
	trace__json_str(w->out.f, cat ? cat : "");
	fprintf(w->out.f, ",\"pid\":%d,\"tid\":%d,\"ts\":", pid, tid);
	trace__json_us(w->out.f, start_ns);
	fputs(",\"dur\":", w->out.f);
	trace__json_us(w->out.f, dur_ns < 0 ? 0 : dur_ns);
	fputc('}', w->out.f);
}

void chrome_instant(struct chrome_writer *w, int pid, int tid, const char *name,
		    const char *cat, int64_t ts_ns)
{
	sep(w);
	fputs("{\"ph\":\"i\",\"s\":\"t\",\"name\":", w->out.f);
	trace__json_str(w->out.f, name);
	fputs(",\"cat\":", w->out.f);
	trace__json_str(w->out.f, cat ? cat : "");
	fprintf(w->out.f, ",\"pid\":%d,\"tid\":%d,\"ts\":", pid, tid);
	trace__json_us(w->out.f, ts_ns);
	fputc('}', w->out.f);
}

int chrome_writer_close(struct chrome_writer *w, int commit, struct trace_err *err)
{
	fputs("\n]}\n", w->out.f);
	int rc = trace_out_close(&w->out, commit, err);
	free(w);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One process (the trace), one stream per track in ascending order, through
 * the run timeline's writer (timeline.c): launches with arrows to their
 * commands, a span per request. */
int trace_export_chrome(const struct trace *t, const char *path,
			struct trace_err *err)
{
	int64_t *streams = malloc((t->nrecs ? t->nrecs : 1) * sizeof(*streams));
	if (!streams)
		return trace__fail(err, "%s: out of memory", path);
	for (size_t i = 0; i < t->nrecs; i++)
		streams[i] = t->recs[i].stream;
	qsort(streams, t->nrecs, sizeof(*streams), cmp_i64);
	size_t ns = 0;
	for (size_t i = 0; i < t->nrecs; i++)
		if (ns == 0 || streams[i] != streams[ns - 1])
			streams[ns++] = streams[i];
	struct timeline *tl = timeline_open(path, 0, 0, err);
	if (!tl) {
		free(streams);
		return TRACE_EIO;
	}
	const char *base = strrchr(t->path, '/');
	timeline_tenant(tl, 0, base ? base + 1 : t->path);
	char buf[64];
	for (size_t i = 0; i < ns; i++) {
		snprintf(buf, sizeof(buf), "stream %lld", (long long)streams[i]);
		timeline_stream(tl, 0, (int)i, buf);
	}
	for (size_t q = 0; q < t->nreqs; q++) {
		const struct trace_request *rq = &t->reqs[q];
		int64_t first = INT64_MAX, last = 0;
		for (size_t i = rq->first; i < rq->first + rq->count; i++) {
			const struct trace_rec *r = &t->recs[i];
			if (r->submit_ns < first)
				first = r->submit_ns;
			if (r->end_ns > last)
				last = r->end_ns;
		}
		timeline_request(tl, 0, rq->id, first, first, last, 0);
		for (size_t i = rq->first; i < rq->first + rq->count; i++) {
			const struct trace_rec *r = &t->recs[i];
			int host = trace_kind_host(r->kind);
			size_t k = 0;
			while (streams[k] != r->stream)
				k++;
			if (!host)
				timeline_launch(tl, 0, (int)k, r->submit_ns, 0, rq->id,
						r->seq);
			struct timeline_cmd c = {
				.name = r->name, .cat = trace_kind_name(r->kind),
				.request = rq->id, .seq = r->seq,
				.launch_ns = host ? -1 : r->submit_ns,
				.start_ns = r->start_ns, .end_ns = r->end_ns,
				.host = host,
			};
			timeline_command(tl, 0, (int)k, &c);
		}
	}
	free(streams);
	return timeline_close(tl, 1, err);
}
