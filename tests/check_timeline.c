/*
 * The run timeline (traces/timeline.c, fed by sim/tl.c and hw/run/tl.c): a
 * structural validator for the Chrome trace event format, run over the
 * simulator's timelines of the shipped scenarios, over hw runs on the
 * fake device (one process and several) and over `trace export`, and checks of
 * what a user must find in it (a process per tenant, distinct stream
 * tracks, kernels with request and seq, launches with arrows, the policy's
 * decisions, queue counters, request spans, the window).
 *
 * The validator (validate()) checks, per the Trace Event Format document:
 * required fields per "ph" (M: name in the five metadata kinds with its
 * args; X: ts, dur >= 0; i: ts, scope s; C: ts, numeric args; b/e: cat, id;
 * s/f: id, ts; B/E: ts), pid and tid integers; B/E balanced and in ts
 * order per track; b/e paired by (cat, id) with e not before b; every flow
 * id with exactly one s and one f, f not before s, each end inside an X
 * slice of its track (f binds to its enclosing slice: bp "e"); X slices on
 * one track nested or disjoint (never partly overlapping); counter series
 * in ts order; every track named by metadata.
 */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_hwdev.h"
#include "run_internal.h"
#include "scenario.h"
#include "sim.h"
#include "test_util.h"
#include "trace.h"

static char dir[256];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "check_timeline");
}

static void teardown(void)
{
	test_rmtree(dir);
}

/* ---- the validator -------------------------------------------------------- */
struct slice {
	int pid, tid;
	long long a, b;           /* ns */
};

static long long ns_of(json_t *v)
{
	return llround(json_number_value(v) * 1000.0);
}

static int cmp_slice(const void *x, const void *y)
{
	const struct slice *p = x, *q = y;
	if (p->pid != q->pid)
		return p->pid - q->pid;
	if (p->tid != q->tid)
		return p->tid - q->tid;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b > q->b ? -1 : p->b < q->b;    /* longer first */
}

/* The slice of (pid, tid) that contains ts (sorted array), or NULL. */
static const struct slice *enclosing(const struct slice *s, size_t n, int pid,
				     int tid, long long ts)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].pid == pid && s[i].tid == tid && s[i].a <= ts && ts <= s[i].b)
			return &s[i];
	return NULL;
}

struct named {
	int pid, tid;
};

/* Returns NULL when valid, else a static message naming the event. */
static const char *validate(json_t *root)
{
	static char msg[512];
	json_t *evs = json_is_array(root) ? root : json_object_get(root, "traceEvents");
	if (!json_is_array(evs))
		return "no traceEvents array";
	size_t n = json_array_size(evs);
	struct slice *xs = calloc(n + 1, sizeof(*xs));
	struct named *threads = calloc(n + 1, sizeof(*threads));
	int *procs = calloc(n + 1, sizeof(*procs));
	size_t nx = 0, nthreads = 0, nprocs = 0;
	json_t *flows = json_object(), *asyncs = json_object(),
	       *counters = json_object(), *stacks = json_object();
	const char *bad = NULL;
#define BAD(...) do { snprintf(msg, sizeof(msg), __VA_ARGS__); bad = msg; goto out; } while (0)
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *jpid = json_object_get(e, "pid"), *jtid = json_object_get(e, "tid");
		json_t *ts = json_object_get(e, "ts"), *args = json_object_get(e, "args");
		if (!ph || strlen(ph) != 1 || !name)
			BAD("event %zu: no ph or name", i);
		if (!json_is_integer(jpid))
			BAD("event %zu (%s): pid not an integer", i, name);
		int pid = (int)json_integer_value(jpid);
		int tid = (int)json_integer_value(jtid);
		if (*ph != 'C' && *ph != 'b' && *ph != 'e' && !json_is_integer(jtid))
			BAD("event %zu (%s): tid not an integer", i, name);
		if (*ph != 'M' && !json_is_number(ts))
			BAD("event %zu (%s): ts missing", i, name);
		long long t = ns_of(ts);
		char key[96];
		switch (*ph) {
		case 'M':
			if (!json_is_object(args))
				BAD("event %zu: metadata without args", i);
			if (!strcmp(name, "process_name") || !strcmp(name, "thread_name")) {
				if (!json_is_string(json_object_get(args, "name")))
					BAD("event %zu: %s without args.name", i, name);
				if (name[0] == 'p')
					procs[nprocs++] = pid;
				else
					threads[nthreads++] = (struct named){ pid, tid };
			} else if (!strcmp(name, "process_labels")) {
				if (!json_is_string(json_object_get(args, "labels")))
					BAD("event %zu: process_labels without args.labels", i);
			} else if (!strcmp(name, "process_sort_index") ||
				   !strcmp(name, "thread_sort_index")) {
				if (!json_is_integer(json_object_get(args, "sort_index")))
					BAD("event %zu: %s without sort_index", i, name);
			} else {
				BAD("event %zu: unknown metadata '%s'", i, name);
			}
			break;
		case 'X': {
			json_t *dur = json_object_get(e, "dur");
			if (!json_is_number(dur) || json_number_value(dur) < 0)
				BAD("event %zu (%s): X without dur >= 0", i, name);
			xs[nx++] = (struct slice){ pid, tid, t, t + ns_of(dur) };
			break;
		}
		case 'i': case 'I': {
			const char *sc = json_string_value(json_object_get(e, "s"));
			if (sc && strcmp(sc, "t") && strcmp(sc, "p") && strcmp(sc, "g"))
				BAD("event %zu (%s): bad instant scope", i, name);
			break;
		}
		case 'C': {
			if (!json_is_object(args) || !json_object_size(args))
				BAD("event %zu (%s): counter without args", i, name);
			const char *k;
			json_t *v;
			json_object_foreach(args, k, v)
				if (!json_is_number(v))
					BAD("event %zu (%s): counter %s not a number", i, name, k);
			snprintf(key, sizeof(key), "%d/%s", pid, name);
			json_t *last = json_object_get(counters, key);
			if (last && json_integer_value(last) > t)
				BAD("event %zu: counter '%s' goes back in time", i, name);
			json_object_set_new(counters, key, json_integer(t));
			break;
		}
		case 'b': case 'e': {
			const char *cat = json_string_value(json_object_get(e, "cat"));
			json_t *id = json_object_get(e, "id");
			if (!cat || !(json_is_string(id) || json_is_integer(id)))
				BAD("event %zu (%s): async without cat and id", i, name);
			char *ids = json_dumps(id, JSON_ENCODE_ANY);
			snprintf(key, sizeof(key), "%s/%s", cat, ids);
			free(ids);
			json_t *open = json_object_get(asyncs, key);
			if (*ph == 'b') {
				if (open && json_integer_value(open) >= 0)
					BAD("event %zu: async %s begun twice", i, key);
				json_object_set_new(asyncs, key, json_integer(t));
			} else {
				if (!open || json_integer_value(open) < 0)
					BAD("event %zu: async %s ends without a begin", i, key);
				if (t < json_integer_value(open))
					BAD("event %zu: async %s ends before it begins", i, key);
				json_object_set_new(asyncs, key, json_integer(-1));
			}
			break;
		}
		case 's': case 't': case 'f': {
			json_t *id = json_object_get(e, "id");
			if (!json_is_integer(id) && !json_is_string(id))
				BAD("event %zu: flow without id", i);
			char *ids = json_dumps(id, JSON_ENCODE_ANY);
			json_t *fl = json_object_get(flows, ids);
			if (!fl) {
				fl = json_pack("{s:i,s:i,s:I,s:I,s:i,s:i,s:i,s:i}", "ns", 0, "nf", 0,
					       "ts", 0LL, "tf", 0LL, "ps", 0, "ss", 0,
					       "pf", 0, "sf", 0);
				json_object_set_new(flows, ids, fl);
			}
			free(ids);
			const char *which = *ph == 'f' ? "f" : "s";
			if (*ph == 't')
				break;
			char k1[4], k2[4], k3[4], k4[4];
			snprintf(k1, 4, "n%s", which);
			snprintf(k2, 4, "t%s", which);
			snprintf(k3, 4, "p%s", which);
			snprintf(k4, 4, "s%s", which);
			json_object_set_new(fl, k1, json_integer(json_integer_value(
				json_object_get(fl, k1)) + 1));
			json_object_set_new(fl, k2, json_integer(t));
			json_object_set_new(fl, k3, json_integer(pid));
			json_object_set_new(fl, k4, json_integer(tid));
			break;
		}
		case 'B': case 'E': {
			snprintf(key, sizeof(key), "%d/%d", pid, tid);
			json_t *st = json_object_get(stacks, key);
			if (!st) {
				st = json_pack("{s:i,s:I}", "depth", 0, "last", (json_int_t)LLONG_MIN);
				json_object_set_new(stacks, key, st);
			}
			long long last = json_integer_value(json_object_get(st, "last"));
			int depth = (int)json_integer_value(json_object_get(st, "depth"));
			if (t < last)
				BAD("event %zu: B/E on %s not in ts order", i, key);
			depth += *ph == 'B' ? 1 : -1;
			if (depth < 0)
				BAD("event %zu: E without B on %s", i, key);
			json_object_set_new(st, "depth", json_integer(depth));
			json_object_set_new(st, "last", json_integer(t));
			break;
		}
		default:
			BAD("event %zu (%s): phase '%s' not written by hipsched", i, name, ph);
		}
		/* every track that carries events is named */
		if (*ph != 'M') {
			int ok = 0;
			for (size_t k = 0; k < nprocs && !ok; k++)
				ok = procs[k] == pid;
			if (!ok)
				BAD("event %zu (%s): process %d has no process_name", i,
				    name, pid);
			if (strchr("XiIBEsf", *ph)) {
				ok = 0;
				for (size_t k = 0; k < nthreads && !ok; k++)
					ok = threads[k].pid == pid && threads[k].tid == tid;
				if (!ok)
					BAD("event %zu (%s): track %d/%d has no thread_name",
					    i, name, pid, tid);
			}
		}
	}
	{
		const char *k;
		json_t *v;
		json_object_foreach(asyncs, k, v)
			if (json_integer_value(v) >= 0)
				BAD("async %s never ends", k);
		json_object_foreach(stacks, k, v)
			if (json_integer_value(json_object_get(v, "depth")))
				BAD("B/E unbalanced on %s", k);
	}
	qsort(xs, nx, sizeof(*xs), cmp_slice);
	for (size_t a = 0; a + 1 < nx; a++) {
		/* a later slice that starts inside a must end inside it */
		for (size_t b = a + 1; b < nx && xs[b].pid == xs[a].pid &&
		     xs[b].tid == xs[a].tid && xs[b].a < xs[a].b; b++)
			if (xs[b].b > xs[a].b)
				BAD("slices [%lld, %lld] and [%lld, %lld] ns on %d/%d "
				    "overlap partly", xs[a].a, xs[a].b, xs[b].a, xs[b].b,
				    xs[a].pid, xs[a].tid);
	}
	{
		const char *k;
		json_t *fl;
		json_object_foreach(flows, k, fl) {
			long long ts_ = json_integer_value(json_object_get(fl, "ts"));
			long long tf = json_integer_value(json_object_get(fl, "tf"));
			if (json_integer_value(json_object_get(fl, "ns")) != 1 ||
			    json_integer_value(json_object_get(fl, "nf")) != 1)
				BAD("flow %s: not one s and one f", k);
			if (tf < ts_)
				BAD("flow %s ends before it starts", k);
			if (!enclosing(xs, nx, (int)json_integer_value(json_object_get(fl, "ps")),
				       (int)json_integer_value(json_object_get(fl, "ss")), ts_) ||
			    !enclosing(xs, nx, (int)json_integer_value(json_object_get(fl, "pf")),
				       (int)json_integer_value(json_object_get(fl, "sf")), tf))
				BAD("flow %s: an end is not inside a slice of its track", k);
		}
	}
out:
#undef BAD
	free(xs);
	free(threads);
	free(procs);
	json_decref(flows);
	json_decref(asyncs);
	json_decref(counters);
	json_decref(stacks);
	return bad;
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	ck_assert_msg(root != NULL, "%s:%d: %s", path, je.line, je.text);
	return root;
}

/* ---- the validator catches what it should ------------------------------------- */
static const char *validate_text(const char *text)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	const char *m = validate(root);
	json_decref(root);
	return m;
}

#define META "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"p\"}}," \
	"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":2,\"args\":{\"name\":\"t\"}},"

START_TEST(test_validator_rejects)
{
	ck_assert_ptr_null(validate_text("{\"traceEvents\":[" META
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":2,\"ts\":0,\"dur\":5},"
		"{\"ph\":\"X\",\"name\":\"b\",\"pid\":1,\"tid\":2,\"ts\":1,\"dur\":2},"
		"{\"ph\":\"s\",\"name\":\"l\",\"pid\":1,\"tid\":2,\"ts\":0,\"id\":1},"
		"{\"ph\":\"f\",\"name\":\"l\",\"pid\":1,\"tid\":2,\"ts\":4,\"bp\":\"e\",\"id\":1}]}"));
	static const char *const bad[] = {
		/* partial overlap */
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":2,\"ts\":0,\"dur\":5},"
		"{\"ph\":\"X\",\"name\":\"b\",\"pid\":1,\"tid\":2,\"ts\":3,\"dur\":5}",
		/* a flow without its end */
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":2,\"ts\":0,\"dur\":5},"
		"{\"ph\":\"s\",\"name\":\"l\",\"pid\":1,\"tid\":2,\"ts\":0,\"id\":1}",
		/* a flow end outside any slice */
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":2,\"ts\":0,\"dur\":5},"
		"{\"ph\":\"s\",\"name\":\"l\",\"pid\":1,\"tid\":2,\"ts\":0,\"id\":1},"
		"{\"ph\":\"f\",\"name\":\"l\",\"pid\":1,\"tid\":2,\"ts\":9,\"bp\":\"e\",\"id\":1}",
		/* async begun, never ended */
		"{\"ph\":\"b\",\"name\":\"r\",\"cat\":\"c\",\"pid\":1,\"tid\":2,\"ts\":0,\"id\":\"0x1\"}",
		/* E without B */
		"{\"ph\":\"E\",\"name\":\"r\",\"pid\":1,\"tid\":2,\"ts\":0}",
		/* counter back in time */
		"{\"ph\":\"C\",\"name\":\"q\",\"pid\":1,\"ts\":5,\"args\":{\"n\":1}},"
		"{\"ph\":\"C\",\"name\":\"q\",\"pid\":1,\"ts\":4,\"args\":{\"n\":2}}",
		/* X without dur */
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":2,\"ts\":0}",
		/* an unnamed track */
		"{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":3,\"ts\":0,\"dur\":1}",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char text[2048];
		snprintf(text, sizeof(text), "{\"traceEvents\":[" META "%s]}", bad[k]);
		ck_assert_msg(validate_text(text) != NULL, "accepted: %s", bad[k]);
	}
}
END_TEST

/* ---- the simulator's timelines -------------------------------------------------- */
struct seen {
	int tenants, streams, kernels_with_ids, launches, flows, suspends,
	    resumes, preempted, counters, requests;
	long long min_ts, max_ts;  /* over launches, instants, counters (ns) */
};

static void inspect(json_t *root, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->min_ts = LLONG_MAX;
	s->max_ts = LLONG_MIN;
	json_t *evs = json_object_get(root, "traceEvents");
	json_t *names = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *cat = json_string_value(json_object_get(e, "cat"));
		json_t *args = json_object_get(e, "args");
		long long t = ns_of(json_object_get(e, "ts"));
		if (!strcmp(ph, "M") && !strcmp(name, "process_name"))
			s->tenants++;
		if (!strcmp(ph, "M") && !strcmp(name, "thread_name")) {
			const char *tn = json_string_value(json_object_get(args, "name"));
			if (strstr(tn, ": GPU")) {
				s->streams++;
				ck_assert_msg(!json_object_get(names, tn),
					      "two tracks named '%s'", tn);
				json_object_set_new(names, tn, json_true());
			}
		}
		int timed = 0;
		if (!strcmp(ph, "X") && cat && strcmp(cat, "launch")) {
			if (json_is_integer(json_object_get(args, "request")) &&
			    json_is_integer(json_object_get(args, "seq")))
				s->kernels_with_ids++;
		}
		if (!strcmp(ph, "X") && cat && !strcmp(cat, "launch")) {
			s->launches++;
			timed = 1;
		}
		if (!strcmp(ph, "s"))
			s->flows++;
		if (!strcmp(ph, "i")) {
			timed = 1;
			const char *why = json_string_value(json_object_get(args, "why"));
			ck_assert_msg(why && *why, "decision without a reason");
			if (!strcmp(name, "suspend"))
				s->suspends++;
			else if (!strcmp(name, "resume"))
				s->resumes++;
			else if (!strcmp(name, "preempted")) {
				s->preempted++;
				ck_assert(json_is_number(json_object_get(args, "latency_us")));
			}
		}
		if (!strcmp(ph, "C")) {
			timed = 1;
			s->counters++;
			ck_assert(json_is_integer(json_object_get(args, "pending")));
			ck_assert(json_is_integer(json_object_get(args, "in_flight")));
		}
		if (!strcmp(ph, "b"))
			s->requests++;
		if (timed) {
			if (t < s->min_ts)
				s->min_ts = t;
			if (t > s->max_ts)
				s->max_ts = t;
		}
	}
	json_decref(names);
}

static void run_sim(const char *scen, const char *policy, int level,
		    hs_ns from, hs_ns to, const char *out, struct run_result *res)
{
	char err[1024];
	struct scenario *sc = scenario_load(scen, err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	if (level)
		sc->level = level;
	struct run_opts o = { .policy = policy, .mode = "policy", .seed = 1,
			      .duration_ns = 500000000, .timeline_path = out,
			      .tl_from_ns = from, .tl_to_ns = to };
	memset(res, 0, sizeof(*res));
	ck_assert_msg(sim_run(sc, &o, res, err, sizeof(err)) == 0, "%s", err);
	scenario_free(sc);
}

static size_t completed(const struct run_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ntenants; i++)
		for (size_t k = 0; k < r->t[i].nreq; k++)
			n += r->t[i].req[k].end_ns >= 0;
	return n;
}

/* dual_resnet under hpf at level 1 and 2, three_tenant, realtime_batch
 * under edf: valid, and everything a user looks for is there. */
START_TEST(test_sim_timelines)
{
	static const struct { const char *scen, *policy; int level, tenants; } c[] = {
		{ "scenarios/dual_resnet.ini", "hpf", 1, 2 },
		{ "scenarios/dual_resnet.ini", "hpf", 2, 2 },
		{ "scenarios/three_tenant.ini", NULL, 0, 3 },
		{ "scenarios/realtime_batch.ini", "edf", 0, 2 },
	};
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/tl%zu.json", dir, k);
		struct run_result res;
		run_sim(c[k].scen, c[k].policy, c[k].level, 0, 0, path, &res);
		json_t *root = load(path);
		const char *why = validate(root);
		ck_assert_msg(why == NULL, "%s (%s): %s", c[k].scen, path, why);
		struct seen s;
		inspect(root, &s);
		ck_assert_int_eq(s.tenants, c[k].tenants);
		ck_assert_int_ge(s.streams, c[k].tenants);
		ck_assert_int_gt(s.kernels_with_ids, 1000);
		ck_assert_int_gt(s.launches, 100);
		ck_assert_int_ge(s.flows, s.kernels_with_ids / 2);
		ck_assert_msg(s.suspends > 0 && s.resumes > 0, "%s: no decisions",
			      c[k].scen);
		ck_assert_int_gt(s.preempted, 0);
		ck_assert_int_gt(s.counters, 100);
		/* the requests of the window, and those that arrived after it
		 * and were still run (at most one per tenant) */
		ck_assert_uint_ge((size_t)s.requests, completed(&res));
		ck_assert_uint_le((size_t)s.requests, completed(&res) + (size_t)c[k].tenants);
		json_decref(root);
		run_result_release(&res);
	}
}
END_TEST

/* --timeline-window: only what falls in the window, and a smaller file that
 * is still valid (flows whole). */
START_TEST(test_window)
{
	char full[512], win[512];
	snprintf(full, sizeof(full), "%s/full.json", dir);
	snprintf(win, sizeof(win), "%s/win.json", dir);
	struct run_result r1, r2;
	run_sim("scenarios/dual_resnet.ini", "hpf", 0, 0, 0, full, &r1);
	/* 80 ms of 500: launches come about evenly, so the window holds
	 * about a sixth of them */
	run_sim("scenarios/dual_resnet.ini", "hpf", 0, 300000000, 380000000, win, &r2);
	json_t *a = load(full), *b = load(win);
	const char *why = validate(b);
	ck_assert_msg(why == NULL, "%s", why);
	struct seen sa, sb;
	inspect(a, &sa);
	inspect(b, &sb);
	ck_assert(sb.min_ts >= 300000000 && sb.max_ts < 380000000);
	ck_assert_int_gt(sb.launches, 0);
	ck_assert_int_gt(sb.suspends, 0);
	ck_assert_int_lt(sb.launches * 5, sa.launches);
	ck_assert_int_lt(sb.requests * 3, sa.requests);
	json_decref(a);
	json_decref(b);
	run_result_release(&r1);
	run_result_release(&r2);
}
END_TEST

/* ---- hw runs on the fake device ------------------------------------------------------ */
/* Two requests of a 1 ms and a 0.5 ms kernel with a copy between. */
static const char *hw_trace =
	"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,grid_z,"
	"block_x,block_y,block_z,shmem,regs,bytes\n"
	"0,0,kernel,ka,7,0,10000,1010000,8,1,1,128,1,1,0,32,0\n"
	"0,1,memcpy,copy,7,50000,1010000,1060000,0,0,0,0,0,0,0,0,4096\n"
	"0,2,kernel,kb,7,100000,1060000,1560000,16,1,1,128,1,1,0,32,0\n"
	"1,0,kernel,ka,7,1600000,1610000,2610000,8,1,1,128,1,1,0,32,0\n"
	"1,1,memcpy,copy,7,1650000,2610000,2660000,0,0,0,0,0,0,0,0,4096\n"
	"1,2,kernel,kb,7,1700000,2660000,3160000,16,1,1,128,1,1,0,32,0\n";

/* Per tenant (pid = tenant + 1): what a user looks for in its process. */
struct per_tenant {
	int kernels, flows, launches, counters, decisions, preempted, requests;
	int labelled, estimated, aborted, clock;
};

static void inspect_tenants(json_t *root, struct per_tenant *pt, int n)
{
	memset(pt, 0, (size_t)n * sizeof(*pt));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(root, "traceEvents"), i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *cat = json_string_value(json_object_get(e, "cat"));
		json_t *args = json_object_get(e, "args");
		int p = (int)json_integer_value(json_object_get(e, "pid")) - 1;
		ck_assert(p >= 0 && p < n);
		struct per_tenant *t = &pt[p];
		if (!strcmp(ph, "X") && cat && strcmp(cat, "launch") &&
		    json_integer_value(json_object_get(args, "request")) >= 0 &&
		    json_integer_value(json_object_get(args, "seq")) >= 0) {
			t->kernels++;
			t->estimated += json_is_true(json_object_get(args, "estimated"));
			t->aborted += json_is_true(json_object_get(args, "aborted"));
			t->clock += json_number_value(json_object_get(args, "clock_err_us")) > 0;
		}
		t->launches += !strcmp(ph, "X") && cat && !strcmp(cat, "launch");
		t->flows += !strcmp(ph, "s");
		t->counters += !strcmp(ph, "C");
		t->decisions += !strcmp(ph, "i") && (!strcmp(name, "suspend") ||
						     !strcmp(name, "resume"));
		t->preempted += !strcmp(ph, "i") && !strcmp(name, "preempted");
		t->requests += !strcmp(ph, "b");
		t->labelled += !strcmp(ph, "M") && !strcmp(name, "process_labels");
	}
}

static void run_hw(const char *own, int level, hs_ns from, hs_ns to,
		   const char *out, struct run_result *res)
{
	char path[512], trace[512], body[1024], err[1024] = "";
	snprintf(trace, sizeof(trace), "%s/t.csv", dir);
	test_write_file(trace, hw_trace);
	snprintf(body, sizeof(body),
		 "[scenario]\nname = t\nduration = 400ms\nseed = 1\ndevice = h100\n"
		 "[policy]\nname = hpf\nlevel = %d\nthreshold = 4\nbatch = 2\n"
		 "[tenant hi]\ntrace = t.csv\npriority = 2\narrival = periodic\n"
		 "rate = 20\nslo = 20ms\n%s"
		 "[tenant lo]\ntrace = t.csv\npriority = 1\narrival = closed\n",
		 level, own);
	snprintf(path, sizeof(path), "%s/s.ini", dir);
	test_write_file(path, body);
	struct scenario *sc = scenario_load(path, err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	struct run_opts o = { .mode = "policy", .seed = 1, .timeline_path = out,
			      .tl_from_ns = from, .tl_to_ns = to };
	memset(res, 0, sizeof(*res));
	int rc = hw__run_with(&fake_hwdev_ops, 0, sc, &o, res, err, sizeof(err));
	ck_assert_msg(rc == 0, "hw run: %s", err);
	scenario_free(sc);
}

/* hi in a process of its own (hpf served by the parent: the decisions
 * come from the policy server, the kernels from the children), and both
 * in one process at Level 2 (the policy in the child's core, kernels
 * aborted and relaunched): valid, and per tenant kernels with request
 * ids, launches with arrows, counters, requests; decisions with reasons
 * and preemptions on the batch tenant. */
START_TEST(test_hw_timelines)
{
	static const struct { const char *own; int level; } c[] = {
		{ "process = own\n", 1 },
		{ "", 2 },
	};
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/hw%zu.json", dir, k);
		struct run_result res;
		run_hw(c[k].own, c[k].level, 0, 0, path, &res);
		json_t *root = load(path);
		const char *why = validate(root);
		ck_assert_msg(why == NULL, "case %zu: %s", k, why);
		struct seen s;
		inspect(root, &s);
		ck_assert_int_eq(s.tenants, 2);
		ck_assert_int_eq(s.streams, 2);
		ck_assert_uint_eq((size_t)s.requests, completed(&res));
		struct per_tenant pt[2];
		inspect_tenants(root, pt, 2);
		for (int i = 0; i < 2; i++) {
			/* hi: 8 requests of 3 commands; lo: a closed loop */
			ck_assert_int_ge(pt[i].kernels, 3 * 7);
			ck_assert_int_ge(pt[i].launches, pt[i].kernels);
			ck_assert_int_eq(pt[i].flows, pt[i].kernels);
			ck_assert_int_gt(pt[i].counters, 10);
			ck_assert_int_gt(pt[i].requests, 5);
			ck_assert_int_eq(pt[i].labelled, 1);
			/* the copies carry no device stamps */
			ck_assert_int_ge(pt[i].estimated * 3, pt[i].kernels - 3);
			ck_assert_int_lt(pt[i].estimated * 2, pt[i].kernels);
			/* each stamped one says how precisely it is on the clock */
			ck_assert_int_eq(pt[i].clock, pt[i].kernels - pt[i].estimated);
		}
		ck_assert_msg(pt[1].decisions >= 2 * 7, "case %zu: %d decisions on lo",
			      k, pt[1].decisions);
		ck_assert_int_gt(pt[1].preempted, 0);
		/* Level 2: lo's kernels taken off the GPU, drawn as aborted */
		ck_assert_int_eq(pt[1].aborted > 0, c[k].level == 2);
		ck_assert_int_eq(pt[0].aborted, 0);
		json_decref(root);
		run_result_release(&res);
	}
}
END_TEST

/* hw --timeline-window: only the window's events, still valid. */
START_TEST(test_hw_window)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/hwwin.json", dir);
	struct run_result res;
	run_hw("process = own\n", 1, 100000000, 200000000, path, &res);
	json_t *root = load(path);
	const char *why = validate(root);
	ck_assert_msg(why == NULL, "%s", why);
	struct seen s;
	inspect(root, &s);
	ck_assert(s.min_ts >= 100000000 && s.max_ts < 200000000);
	ck_assert_int_gt(s.launches, 10);
	ck_assert_int_gt(s.suspends, 0);
	/* hi's requests of the window: those that arrived at 100..150 ms */
	struct per_tenant pt[2];
	inspect_tenants(root, pt, 2);
	ck_assert_int_ge(pt[0].requests, 2);
	ck_assert_int_le(pt[0].requests, 3);
	json_decref(root);
	run_result_release(&res);
}
END_TEST

/* `trace export` goes through the same writer and is valid too. */
START_TEST(test_export_valid)
{
	static const char *const in[] = { "tests/fixtures/traces/canon_ok.csv",
					  "traces/data/resnet18_b1.csv" };
	for (size_t k = 0; k < 2; k++) {
		struct trace_err err;
		struct trace *t = trace_load(in[k], &err);
		ck_assert_msg(t != NULL, "%s", err.msg);
		char path[512];
		snprintf(path, sizeof(path), "%s/e%zu.json", dir, k);
		ck_assert_int_eq(trace_export_chrome(t, path, &err), 0);
		json_t *root = load(path);
		const char *why = validate(root);
		ck_assert_msg(why == NULL, "%s: %s", in[k], why);
		struct seen s;
		inspect(root, &s);
		ck_assert_int_eq(s.requests, (int)t->nreqs);
		ck_assert_int_gt(s.flows, 0);
		json_decref(root);
		trace_free(t);
	}
}
END_TEST

Suite *timeline_suite(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("timeline");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_validator_rejects);
	tcase_add_test(tc, test_sim_timelines);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_export_valid);
	tcase_add_test(tc, test_hw_timelines);
	tcase_add_test(tc, test_hw_window);
	suite_add_tcase(s, tc);
	return s;
}
