/*
 * PyTorch profiler / Kineto Chrome-trace JSON importer.
 *
 * A profile of a long run is hundreds of megabytes; jansson would build the
 * whole tree. Instead the file is read in chunks and scanned by hand (string
 * and escape aware, tracking bracket depth) to find each element of the
 * "traceEvents" array; each event alone goes through json_loadb, and only a
 * compact record of what matters is kept. Memory: the chunk, the largest
 * single event, and the compact records.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <zlib.h>
#include "trace_internal.h"

/* Bytes read at a time. The fuzz build sets it small (-DKINETO_CHUNK=509),
 * so that events straddle chunk ends and no megabyte is mapped per run. */
#ifndef KINETO_CHUNK
#define KINETO_CHUNK (1 << 20)
#endif
#define CHUNK KINETO_CHUNK
#define MAX_DEPTH 256

struct scan {
	const char *path;
	struct trace__import *im;
	struct trace_err *err;
	long line;
	int depth;
	char stack[MAX_DEPTH];
	int in_str, esc;
	int top;                   /* first significant char: '{' or '[' */
	int events_depth;          /* depth inside the events array, 0 = not in */
	int seen_events;
	/* key tracking at depth 1 of the top object */
	char key[32];
	size_t keylen;
	int key_overflow;
	int last_key_is_events;
	int after_colon;
	/* the event being captured */
	char *ev;
	size_t evlen, evcap;
	int capturing;
	long ev_line;
};

static int ev_append(struct scan *s, const char *p, size_t n)
{
	if (s->evlen + n > s->evcap) {
		size_t c = s->evcap ? s->evcap : 4096;
		while (c < s->evlen + n)
			c *= 2;
		char *b = realloc(s->ev, c);
		if (!b)
			return trace__fail(s->err, "%s: out of memory", s->path);
		s->ev = b;
		s->evcap = c;
	}
	memcpy(s->ev + s->evlen, p, n);
	s->evlen += n;
	return 0;
}

static int get_i64(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		/* beyond +-2^63 llround() has no defined result */
		double d = json_real_value(v);
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		*out = llround(d);
		return 0;
	}
	if (json_is_string(v)) /* some exporters write numbers as strings */
		return trace__parse_i64(json_string_value(v), out);
	return -1;
}

/* Chrome-trace times are microseconds, possibly fractional. 0, -1 (not a
 * number) or -2 (negative or beyond TRACE_TIME_MAX_NS). */
static int get_us_as_ns(json_t *v, int64_t *out)
{
	if (json_is_integer(v))
		return trace__ns_of_i64(json_integer_value(v), 1000, out) ? -2 : 0;
	double d;
	if (json_is_real(v))
		d = json_real_value(v);
	else if (!json_is_string(v) ||
		 trace__parse_double(json_string_value(v), &d) < 0)
		return -1;
	return trace__ns_of(d, 1000.0, out) ? -2 : 0;
}

/* The message for a get_us_as_ns() failure of key. */
static const char *us_why(int rc)
{
	return rc == -2 ? "negative or out of range (0 to 2^62 ns)" :
	       "missing or not a number";
}

static int dim3(json_t *a, uint32_t out[3])
{
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 3)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		int64_t v = 1;
		if (i < json_array_size(a) && get_i64(json_array_get(a, i), &v) < 0)
			return -1;
		if (v < 1 || v > UINT32_MAX)
			return -1;
		out[i] = (uint32_t)v;
	}
	return 0;
}

static int is_launch(const char *n)
{
	return strstr(n, "Launch") || strstr(n, "Memcpy") || strstr(n, "Memset") ||
	       strstr(n, "memcpy") || strstr(n, "memset");
}

static int is_sync(const char *n)
{
	static const char *const syncs[] = {
		"cudaDeviceSynchronize", "cudaStreamSynchronize",
		"hipDeviceSynchronize", "hipStreamSynchronize",
		"cuCtxSynchronize", "cuStreamSynchronize",
	};
	for (size_t i = 0; i < sizeof(syncs) / sizeof(syncs[0]); i++)
		if (strcmp(n, syncs[i]) == 0)
			return 1;
	return 0;
}

static int gpu_kind(const char *cat)
{
	if (strcasecmp(cat, "kernel") == 0)
		return TRACE_KERNEL;
	if (strcasecmp(cat, "gpu_memcpy") == 0 || strcasecmp(cat, "memcpy") == 0)
		return TRACE_MEMCPY;
	if (strcasecmp(cat, "gpu_memset") == 0 || strcasecmp(cat, "memset") == 0)
		return TRACE_MEMSET;
	return -1;
}

static int is_runtime(const char *cat)
{
	return strcasecmp(cat, "cuda_runtime") == 0 ||
	       strcasecmp(cat, "cuda_driver") == 0 ||
	       strcasecmp(cat, "runtime") == 0 ||
	       strcasecmp(cat, "driver") == 0 ||
	       strcasecmp(cat, "hip_runtime") == 0;
}

#define EVFAIL(s, ...) \
	trace__fail((s)->err, "%s:%ld: " __VA_ARGS__)

static int gpu_event(struct scan *s, json_t *ev, int kind, const char *name,
		     const char *cat)
{
	struct trace__op op = { .submit_ns = -1, .corr = -1, .kind = kind };
	int64_t ts, dur;
	int rc = get_us_as_ns(json_object_get(ev, "ts"), &ts);
	if (rc < 0)
		return EVFAIL(s, "%s event \"%s\": \"ts\" %s", s->path,
			      s->ev_line, cat, name, us_why(rc));
	rc = get_us_as_ns(json_object_get(ev, "dur"), &dur);
	if (rc < 0)
		return EVFAIL(s, "%s event \"%s\": \"dur\" %s", s->path,
			      s->ev_line, cat, name, us_why(rc));
	op.start_ns = ts;
	if (trace__ns_end(ts, dur, &op.end_ns) < 0)
		return EVFAIL(s, "%s event \"%s\": ts + dur beyond 2^62 ns",
			      s->path, s->ev_line, cat, name);
	op.line = s->ev_line;
	op.shmem = -1;
	json_t *args = json_object_get(ev, "args");
	if (!json_is_object(args))
		args = NULL;
	int64_t v;
	/* args.stream (CUDA: the stream; ROCm: the HSA queue), else the
	 * event's track (tid), which Kineto sets to the same number */
	if (get_i64(json_object_get(args, "stream"), &v) < 0 &&
	    get_i64(json_object_get(ev, "tid"), &v) < 0)
		return EVFAIL(s, "%s event \"%.80s\": no args.stream nor integer "
			      "tid", s->path, s->ev_line, cat, name);
	if (v < 0)
		return EVFAIL(s, "%s event \"%.80s\": negative stream", s->path,
			      s->ev_line, cat, name);
	op.stream = v;
	if (get_i64(json_object_get(args, "correlation"), &v) == 0)
		op.corr = v;
	if (kind == TRACE_KERNEL) {
		json_t *g = json_object_get(args, "grid"), *b = json_object_get(args, "block");
		if (g || b) {
			if (dim3(g, op.grid) < 0 || dim3(b, op.block) < 0)
				return EVFAIL(s, "kernel event \"%.80s\": args.grid / "
					      "args.block not [x, y, z] of positive "
					      "integers", s->path, s->ev_line, name);
		} /* else: from the launch call (ROCm), checked after pairing */
		if (get_i64(json_object_get(args, "registers per thread"), &v) == 0 &&
		    v >= 0)
			op.regs = v;
		if (get_i64(json_object_get(args, "shared memory"), &v) == 0 && v >= 0)
			op.shmem = v;
	} else {
		if (get_i64(json_object_get(args, "bytes"), &v) == 0 && v >= 0)
			op.bytes = v;
	}
	op.name = trace__intern(s->im->names, name, strlen(name));
	if (!op.name || trace__imp_add_op(s->im, &op) < 0)
		return trace__imp_full(s->im, s->path, s->err);
	return 0;
}

static int host_event(struct scan *s, json_t *ev, const char *name, const char *cat)
{
	int64_t ts, dur = 0, end;
	int rc = get_us_as_ns(json_object_get(ev, "ts"), &ts);
	if (rc < 0)
		return EVFAIL(s, "%s event \"%s\": \"ts\" %s", s->path,
			      s->ev_line, cat, name, us_why(rc));
	json_t *d = json_object_get(ev, "dur");
	if (d && (rc = get_us_as_ns(d, &dur)) < 0)
		return EVFAIL(s, "%s event \"%s\": \"dur\" %s", s->path,
			      s->ev_line, cat, name, us_why(rc));
	if (trace__ns_end(ts, dur, &end) < 0)
		return EVFAIL(s, "%s event \"%s\": ts + dur beyond 2^62 ns",
			      s->path, s->ev_line, cat, name);
	rc = 0;
	if (strncmp(name, "ProfilerStep#", 13) == 0) {
		rc = trace__imp_add_step(s->im, ts, end);
	} else if (is_runtime(cat)) {
		s->im->has_host = 1;
		if (is_sync(name)) {
			rc = trace__imp_add_sync(s->im, ts, end, name);
		} else if (is_launch(name)) {
			json_t *args = json_object_get(ev, "args");
			struct trace__launch l = { .ts_ns = ts, .shmem = -1 };
			if (json_is_object(args) &&
			    get_i64(json_object_get(args, "correlation"), &l.corr) == 0) {
				if (dim3(json_object_get(args, "grid"), l.grid) < 0 ||
				    dim3(json_object_get(args, "block"), l.block) < 0)
					l.grid[0] = 0;
				int64_t v;
				if (get_i64(json_object_get(args, "shared memory"), &v) == 0 &&
				    v >= 0)
					l.shmem = v;
				rc = trace__imp_add_launch(s->im, &l);
			}
		}
	}
	return rc < 0 ? trace__fail(s->err, "%s: out of memory", s->path) : 0;
}

/* Most events of a profile are CPU ops, flow arrows and runtime calls
 * that neither launch nor wait (cudaGetErrorString, ...); an event that
 * holds none of these (GPU categories, launch / copy / sync call names,
 * step annotations) can be skipped without parsing it. */
static int maybe_wanted(const char *ev, size_t n)
{
	static const char *const pats[] = {
		"ernel", "emcpy", "emset", "Launch", "ynchronize", "ProfilerStep#",
	};
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (memmem(ev, n, pats[i], strlen(pats[i])))
			return 1;
	return 0;
}

static int handle_event(struct scan *s)
{
	if (!maybe_wanted(s->ev, s->evlen))
		return 0;
	json_error_t je;
	json_t *ev = json_loadb(s->ev, s->evlen, JSON_DISABLE_EOF_CHECK, &je);
	if (!ev)
		return trace__fail(s->err, "%s:%ld: invalid JSON in a trace event: %s",
				   s->path, s->ev_line + (je.line > 0 ? je.line - 1 : 0),
				   je.text);
	int rc = 0;
	const char *ph = json_string_value(json_object_get(ev, "ph"));
	const char *cat = json_string_value(json_object_get(ev, "cat"));
	const char *name = json_string_value(json_object_get(ev, "name"));
	if (ph && strcmp(ph, "X") == 0 && cat && name) {
		int kind = gpu_kind(cat);
		if (kind >= 0)
			rc = gpu_event(s, ev, kind, name, cat);
		else if (is_runtime(cat) || strcasecmp(cat, "user_annotation") == 0 ||
			 strcasecmp(cat, "cpu_op") == 0)
			rc = host_event(s, ev, name, cat);
	}
	json_decref(ev);
	return rc;
}

/* Feeds n bytes of the file through the scanner. */
static int scan_chunk(struct scan *s, const char *buf, size_t n)
{
	size_t cap_from = 0;          /* start of the captured part of buf */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n')
			s->line++;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
			return trace__fail(s->err, "%s:%ld: binary data (byte 0x%02x); "
					   "not a JSON text file", s->path, s->line, c);
		if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (c == '\\')
				s->esc = 1;
			else if (c == '"')
				s->in_str = 0;
			else if (s->depth == 1 && !s->capturing) {
				if (s->keylen < sizeof(s->key) - 1)
					s->key[s->keylen++] = (char)c;
				else
					s->key_overflow = 1;
			}
			if (!s->in_str && s->depth == 1 && s->top == '{') {
				s->key[s->keylen] = '\0';
				s->last_key_is_events = !s->key_overflow &&
					strcmp(s->key, "traceEvents") == 0;
				s->after_colon = 0;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!s->top) {
			if (c != '{' && c != '[')
				return trace__fail(s->err, "%s:%ld: not JSON: expected '{' "
						   "or '[' (got '%c')", s->path, s->line, c);
			s->top = c;
		}
		if (c == '"') {
			s->in_str = 1;
			s->keylen = 0;
			s->key_overflow = 0;
			continue;
		}
		if (c == ':' && s->depth == 1) {
			s->after_colon = 1;
			continue;
		}
		if (c == '{' || c == '[') {
			if (s->depth == MAX_DEPTH)
				return trace__fail(s->err, "%s:%ld: JSON nested too deeply",
						   s->path, s->line);
			if (c == '{' && s->events_depth && s->depth == s->events_depth) {
				s->capturing = 1;
				s->evlen = 0;
				s->ev_line = s->line;
				cap_from = i;
			}
			s->stack[s->depth++] = (char)c;
			if (c == '[' && !s->events_depth && !s->seen_events &&
			    ((s->top == '[' && s->depth == 1) ||
			     (s->depth == 2 && s->last_key_is_events && s->after_colon))) {
				s->events_depth = s->depth;
				s->seen_events = 1;
			}
			s->after_colon = 0;
			continue;
		}
		if (c == '}' || c == ']') {
			char open = c == '}' ? '{' : '[';
			if (s->depth == 0 || s->stack[s->depth - 1] != open)
				return trace__fail(s->err, "%s:%ld: mismatched '%c'",
						   s->path, s->line, c);
			s->depth--;
			if (s->capturing && s->depth == s->events_depth) {
				if (ev_append(s, buf + cap_from, i + 1 - cap_from) < 0)
					return -1;
				s->capturing = 0;
				if (handle_event(s) < 0)
					return -1;
			}
			if (s->events_depth && s->depth < s->events_depth)
				s->events_depth = 0;
			continue;
		}
		if (c == ',' && s->depth == 1)
			s->last_key_is_events = 0;
	}
	if (s->capturing && ev_append(s, buf + cap_from, n - cap_from) < 0)
		return -1;
	return 0;
}

int trace__read_kineto(const char *path, struct trace__import *im,
		       struct trace_err *err)
{
	/* zlib reads gzip-compressed files (record.py writes .json.gz) and
	 * plain ones alike; a directory would read as an empty file */
	if (trace__not_dir(path, err) < 0)
		return TRACE_EBAD;
	gzFile f = gzopen(path, "rb");
	if (!f)
		return trace__fail(err, "%s: cannot open: %s", path, strerror(errno));
	gzbuffer(f, CHUNK);
	struct scan s = { .path = path, .im = im, .err = err, .line = 1 };
	char *buf = malloc(CHUNK);
	int rc = 0;
	if (!buf) {
		rc = trace__fail(err, "%s: out of memory", path);
		goto out;
	}
	int n, zerr;
	while ((n = gzread(f, buf, CHUNK)) > 0)
		if ((rc = scan_chunk(&s, buf, (size_t)n)) < 0)
			goto out;
	if (n < 0) {
		const char *why = gzerror(f, &zerr);
		rc = trace__fail(err, "%s: read error: %s", path,
				 zerr == Z_ERRNO ? strerror(errno) : why);
		goto out;
	}
	if (!s.top) {
		rc = trace__fail(err, "%s:1: empty file", path);
		goto out;
	}
	if (s.depth > 0 || s.in_str) {
		rc = trace__fail(err, "%s:%ld: unexpected end of file inside %s "
				 "(truncated trace?)", path, s.line,
				 s.in_str ? "a string" : "an object or array");
		goto out;
	}
	if (!s.seen_events)
		rc = trace__fail(err, "%s:1: no \"traceEvents\" array (not a "
				 "Chrome trace / PyTorch profiler export?)", path);
out:
	free(buf);
	free(s.ev);
	gzclose(f);
	return rc;
}
