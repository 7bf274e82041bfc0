/*
 * The simulator, tested as the real hardware-free backend: every expected
 * time below is computed by hand from the model in sim/MODEL.md. Scenarios,
 * traces and device profiles are built in memory.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scenario.h"
#include "sim.h"
#include "trace.h"

/* ---- engine ---------------------------------------------------------------- */
struct fired {
	int n;
	int id[32];
	hs_ns t[32];
};

static void on_fire(struct sim_engine *e, void *obj, uint64_t arg, hs_ns now)
{
	struct fired *f = obj;
	f->id[f->n] = (int)arg;
	f->t[f->n++] = now;
}

START_TEST(engine_tie_order)
{
	/* unsorted times with ties: delivery is by time, then by the order
	 * of scheduling */
	static const hs_ns when[] = { 50, 30, 50, 10, 30, 50, 0, 30 };
	static const int expect[] = { 6, 3, 1, 4, 7, 0, 2, 5 };
	struct sim_engine *e = sim_engine_create();
	struct fired f = { 0 };
	sim_event_id ids[8];
	for (int i = 0; i < 8; i++)
		ids[i] = sim_event_schedule(e, when[i], on_fire, &f, (uint64_t)i);
	/* a cancelled event never fires, and cancelling twice is a no-op */
	sim_event_id extra = sim_event_schedule(e, 30, on_fire, &f, 99);
	ck_assert_int_eq(sim_event_cancel(e, extra), 1);
	ck_assert_int_eq(sim_event_cancel(e, extra), 0);
	ck_assert_int_eq(sim_event_cancel(e, 0), 0);
	ck_assert_int_eq(sim_engine_step(e, 29), 1);   /* t = 0 */
	ck_assert_int_eq(sim_engine_step(e, 9), 0);    /* next is 10 > 9 */
	ck_assert_int_eq(sim_engine_now(e), 0);
	while (sim_engine_step(e, INT64_MAX))
		;
	ck_assert_int_eq(f.n, 8);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(f.id[i], expect[i]);
		ck_assert_int_eq(f.t[i], when[expect[i]]);
	}
	ck_assert_int_eq(sim_engine_fired(e), 8);
	/* spent handles do not cancel a reused slot */
	sim_event_id again = sim_event_schedule(e, 60, on_fire, &f, 42);
	ck_assert_int_eq(sim_event_cancel(e, ids[0]), 0);
	ck_assert_int_eq(sim_engine_step(e, INT64_MAX), 1);
	ck_assert_int_eq(f.id[8], 42);
	ck_assert_int_eq(sim_event_cancel(e, again), 0);
	sim_engine_free(e);
}
END_TEST

/* ---- building runs in memory ----------------------------------------------------- */
#define MAXR 16
#define MAXT 4

struct tb {                         /* one tenant's trace, one request */
	struct trace tr;
	struct trace_rec recs[MAXR];
	struct trace_request req;
};

static void tb_add(struct tb *b, enum trace_kind kind, const char *name,
		   int stream, hs_ns submit, hs_ns dur, unsigned blocks)
{
	struct trace_rec *r = &b->recs[b->tr.nrecs];
	memset(r, 0, sizeof(*r));
	r->request = 0;
	r->seq = (int64_t)b->tr.nrecs;
	r->kind = kind;
	r->name = name;
	r->stream = stream;
	r->submit_ns = submit;
	r->start_ns = submit + 1000000;   /* recorded times: only dur matters */
	r->end_ns = r->start_ns + dur;
	r->grid[0] = blocks;
	r->grid[1] = r->grid[2] = 1;
	r->block[0] = 256;
	r->block[1] = r->block[2] = 1;
	b->tr.nrecs++;
	b->tr.recs = b->recs;
	b->req.first = 0;
	b->req.count = b->tr.nrecs;
	b->tr.reqs = &b->req;
	b->tr.nreqs = 1;
}

static void kern(struct tb *b, const char *name, int stream, hs_ns submit,
		 hs_ns dur, unsigned blocks)
{
	tb_add(b, TRACE_KERNEL, name, stream, submit, dur, blocks);
}

struct span {
	size_t tenant;
	int stream;
	const char *name;
	hs_ns start, end;
};

struct world {
	struct scenario sc;
	struct tenant_spec ts[MAXT];
	struct tb tb[MAXT];
	struct trace *tp[MAXT];
	struct sim_device dev;
	struct run_opts o;
	struct run_result res;
	struct span sp[256];
	int nsp;
	char arrfile[MAXT][64];
};

static void on_cmd(void *ctx, size_t tenant, int stream,
		   const struct trace_rec *rec, hs_ns start, hs_ns end)
{
	struct world *w = ctx;
	if (w->nsp < 256)
		w->sp[w->nsp++] = (struct span){ tenant, stream,
			rec ? rec->name : "?", start, end };
}

static void world_init(struct world *w, size_t ntenants)
{
	memset(w, 0, sizeof(*w));
	w->sc.name = "test";
	w->sc.duration_ns = 10000;
	w->sc.seed = 1;
	w->sc.policy = "native";
	w->sc.level = 1;
	w->sc.tenants = w->ts;
	w->sc.ntenants = ntenants;
	static char *names[MAXT] = { "a", "b", "c", "d" };
	for (size_t i = 0; i < ntenants; i++) {
		w->ts[i].name = names[i];
		w->ts[i].arrival = ARRIVAL_PERIODIC;
		w->ts[i].rate_per_s = 1;           /* one request, at t = 0 */
		w->ts[i].process = PROCESS_SHARED;
		w->ts[i].priority = 0;
		w->tp[i] = &w->tb[i].tr;
	}
	snprintf(w->dev.name, sizeof(w->dev.name), "test");
	w->dev.units = 10;
	w->dev.timeslice_ns = 1000;
	w->dev.max_level = 3;
}

/* Makes tenant i's single request arrive at t_ns (an arrival file). */
static void arrive_at(struct world *w, size_t i, hs_ns t_ns)
{
	snprintf(w->arrfile[i], sizeof(w->arrfile[i]), "/tmp/check_sim_%d_%zu",
		 (int)getpid(), i);
	FILE *f = fopen(w->arrfile[i], "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# seconds\n%.9f\n", (double)t_ns / 1e9);
	fclose(f);
	w->ts[i].arrival = ARRIVAL_FILE;
	w->ts[i].arrival_file = w->arrfile[i];
}

static int world_run(struct world *w)
{
	struct sim_hooks hooks = { .ctx = w, .on_cmd = on_cmd };
	struct sim_inputs in = { .dev = &w->dev, .traces = w->tp, .hooks = &hooks };
	char err[512];
	w->nsp = 0;
	int rc = sim_run_with(&w->sc, &w->o, &in, &w->res, err, sizeof(err));
	for (int i = 0; i < MAXT; i++)
		if (w->arrfile[i][0])
			unlink(w->arrfile[i]);
	if (rc)
		fprintf(stderr, "sim_run: %s\n", err);
	return rc;
}

static const struct span *find(struct world *w, const char *name)
{
	for (int i = 0; i < w->nsp; i++)
		if (strcmp(w->sp[i].name, name) == 0)
			return &w->sp[i];
	ck_abort_msg("no span '%s'", name);
	return NULL;
}

#define SPAN(w, name, s, e) do { \
	const struct span *sp_ = find((w), (name)); \
	ck_assert_msg(sp_->start == (s) && sp_->end == (e), \
		      "%s: [%lld, %lld], expected [%lld, %lld]", (name), \
		      (long long)sp_->start, (long long)sp_->end, \
		      (long long)(s), (long long)(e)); \
} while (0)

static hs_ns req_end(struct world *w, size_t t)
{
	ck_assert_uint_eq(w->res.t[t].nreq, 1);
	return w->res.t[t].req[0].end_ns;
}

/* ---- device model ----------------------------------------------------------------- */
START_TEST(one_kernel_alone)
{
	static struct world w;
	world_init(&w, 1);
	w.dev.launch_ns = 100;
	w.dev.sync_ns = 50;
	kern(&w.tb[0], "k", 0, 0, 1000, 4);
	ck_assert_int_eq(world_run(&w), 0);
	/* visible at 0 + launch 100, runs its recorded 1000 ns on 4 units;
	 * the host learns sync_ns later */
	SPAN(&w, "k", 100, 1100);
	ck_assert_int_eq(req_end(&w, 0), 1150);
	ck_assert_int_eq(w.res.t[0].req[0].arrival_ns, 0);
	ck_assert_int_eq(w.res.t[0].req[0].start_ns, 0);
	ck_assert_int_eq(w.res.kernels_simulated, 1);
	ck_assert_int_eq(w.res.t[0].kernels, 1);
	ck_assert_int_eq(w.res.gpu_busy_ns, 1000);
	ck_assert_int_eq(w.res.t[0].gpu_busy_ns, 1000);
	ck_assert_str_eq(w.res.backend, "sim");
	ck_assert_str_eq(w.res.policy, "native");
	run_result_release(&w.res);
}
END_TEST

START_TEST(two_kernels_one_stream)
{
	static struct world w;
	world_init(&w, 1);
	w.dev.launch_ns = 100;
	w.dev.sync_ns = 50;
	kern(&w.tb[0], "k1", 0, 0, 1000, 4);
	kern(&w.tb[0], "k2", 0, 30, 500, 4);   /* recorded host gap 30 */
	ck_assert_int_eq(world_run(&w), 0);
	/* in order on the stream, even though units are free */
	SPAN(&w, "k1", 100, 1100);
	SPAN(&w, "k2", 1100, 1600);
	ck_assert_int_eq(req_end(&w, 0), 1650);
	run_result_release(&w.res);
}
END_TEST

START_TEST(two_streams_share_units)
{
	static struct world w;
	world_init(&w, 1);
	/* 6 + 6 blocks on 10 units: k1 takes 6, k2 the 4 left; when k1
	 * ends, k2 grows to 6: work 6000 unit-ns, 4000 done by 1000,
	 * 2000 left at 6 units = ceil(333.3) */
	kern(&w.tb[0], "k1", 0, 0, 1000, 6);
	kern(&w.tb[0], "k2", 1, 0, 1000, 6);
	/* fits beside the others once k1 is gone: 2 blocks, 2 units */
	kern(&w.tb[0], "k3", 2, 0, 500, 2);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "k1", 0, 1000);
	SPAN(&w, "k2", 0, 1334);
	SPAN(&w, "k3", 1000, 1500);
	ck_assert_int_eq(req_end(&w, 0), 1500);
	ck_assert_int_eq(w.res.gpu_busy_ns, 1500);
	run_result_release(&w.res);
}
END_TEST

START_TEST(concurrent_streams)
{
	static struct world w;
	world_init(&w, 1);
	kern(&w.tb[0], "k1", 0, 0, 1000, 4);
	kern(&w.tb[0], "k2", 1, 0, 1000, 6);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "k1", 0, 1000);
	SPAN(&w, "k2", 0, 1000);
	run_result_release(&w.res);
}
END_TEST

/* Early dispatch (sim/gpu.c, MODEL.md "Handing out units"): a head still
 * in its launch latency is given its units at once, and any dispatch before
 * it becomes visible decides again. b1 (4 units) runs 100-300, b2 (10
 * blocks) waits behind it; a (6 blocks) is launched at 250, visible at 350,
 * and is given the 6 free units early. At 300, b1's end: a is not visible
 * yet, so b2 takes all 10 units as it would have without a, and a waits for
 * b2's end. */
static void early_world(struct world *w, hs_ns b1_dur)
{
	world_init(w, 2);
	w->dev.launch_ns = 100;
	kern(&w->tb[0], "b1", 0, 0, b1_dur, 4);
	kern(&w->tb[0], "b2", 0, 0, 1000, 10);
	kern(&w->tb[1], "a", 0, 0, 1000, 6);
	arrive_at(w, 1, 250);
}

START_TEST(early_dispatch_revised)
{
	static struct world w;
	early_world(&w, 200);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 100, 300);
	SPAN(&w, "b2", 300, 1300);
	SPAN(&w, "a", 1300, 2300);
	ck_assert_int_eq(w.res.gpu_busy_ns, 2200);
	ck_assert_int_eq(w.res.t[1].gpu_busy_ns, 1000);
	run_result_release(&w.res);
}
END_TEST

/* The one difference early dispatch makes: at the nanosecond a head
 * becomes visible it already holds the units it was given early. b1 ends
 * at 350, when a becomes visible: a keeps its 6 units, b2 starts on the 4
 * left (4000 of its 10000 unit-ns by 1350, the rest on 10 units). With a
 * wake event at 350 instead, b1's end came first and b2 (the first queue)
 * took all 10 units. */
START_TEST(early_dispatch_same_ns)
{
	static struct world w;
	early_world(&w, 250);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 100, 350);
	SPAN(&w, "a", 350, 1350);
	SPAN(&w, "b2", 350, 1950);
	ck_assert_int_eq(w.res.gpu_busy_ns, 1850);
	run_result_release(&w.res);
}
END_TEST

/* A low tenant holds the device 0..1000; b (priority 0) and c (priority 1)
 * queue kernels at 200 and 300. */
static void prio_world(struct world *w, const char *policy)
{
	world_init(w, 3);
	w->sc.policy = (char *)policy;
	kern(&w->tb[0], "a", 0, 0, 1000, 10);
	kern(&w->tb[1], "b", 0, 0, 1000, 10);
	kern(&w->tb[2], "c", 0, 0, 1000, 10);
	arrive_at(w, 1, 200);
	arrive_at(w, 2, 300);
	w->ts[2].priority = 1;
}

START_TEST(priority_orders_dispatch)
{
	static struct world w;
	prio_world(&w, "streamprio");
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a", 0, 1000);
	SPAN(&w, "c", 1000, 2000);       /* priority first */
	SPAN(&w, "b", 2000, 3000);
	run_result_release(&w.res);
	/* without stream priorities: first come first served */
	prio_world(&w, "native");
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b", 1000, 2000);
	SPAN(&w, "c", 2000, 3000);
	run_result_release(&w.res);
}
END_TEST

START_TEST(no_hw_preemption)
{
	static struct world w;
	prio_world(&w, "streamprio");
	ck_assert_int_eq(world_run(&w), 0);
	/* c, of the highest priority, waits for the running kernel: a keeps
	 * all its units and ends when it would alone */
	SPAN(&w, "a", 0, 1000);
	ck_assert_int_eq(find(&w, "c")->start, 1000);
	ck_assert_int_eq(req_end(&w, 2) - w.res.t[2].req[0].arrival_ns, 1700);
	run_result_release(&w.res);
}
END_TEST

/* a (priority 0): 40 blocks of one unit each on 10 units: 4 waves of
 * 1000 ns. c (priority 1): one wave of 10 blocks, arriving at t_c. */
static void wave_world(struct world *w, const char *policy, hs_ns t_c)
{
	world_init(w, 2);
	w->sc.policy = (char *)policy;
	w->dev.max_blocks_per_unit = 1;
	kern(&w->tb[0], "a", 0, 0, 4000, 40);
	kern(&w->tb[1], "c", 0, 0, 1000, 10);
	w->ts[1].priority = 1;
	arrive_at(w, 1, t_c);
}

START_TEST(priority_at_block_boundaries)
{
	static struct world w;
	/* stream priority: a gives its units back at the end of its second
	 * wave (2000); c runs 2000-3000; a's last two waves end at 5000 */
	wave_world(&w, "streamprio", 1500);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "c", 2000, 3000);
	SPAN(&w, "a", 0, 5000);
	run_result_release(&w.res);
	/* equal priorities: c waits for the whole of a */
	wave_world(&w, "native", 1500);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a", 0, 4000);
	SPAN(&w, "c", 4000, 5000);
	run_result_release(&w.res);
	/* a in its last wave keeps its units */
	wave_world(&w, "streamprio", 3500);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a", 0, 4000);
	SPAN(&w, "c", 4000, 5000);
	run_result_release(&w.res);
}
END_TEST

START_TEST(time_slicing)
{
	static struct world w;
	world_init(&w, 2);
	w.ts[0].process = w.ts[1].process = PROCESS_OWN;
	w.dev.timeslice_ns = 1000;
	w.dev.ctx_switch_ns = 100;
	kern(&w.tb[0], "a", 0, 0, 3000, 10);
	kern(&w.tb[1], "b", 0, 0, 3000, 10);
	ck_assert_int_eq(world_run(&w), 0);
	/* a 0-1000 | switch | b 1100-2100 | switch | a 2200-3200 | switch |
	 * b 3300-4300 | switch | a 4400-5400 done | switch | b 5500-6500 */
	SPAN(&w, "a", 0, 5400);
	SPAN(&w, "b", 1100, 6500);
	ck_assert_int_eq(w.res.gpu_busy_ns, 6000);
	run_result_release(&w.res);
	/* a device sharing contexts (MPS-like): units, not slices */
	w.dev.share_contexts = 1;
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a", 0, 3000);
	SPAN(&w, "b", 3000, 6000);
	run_result_release(&w.res);
}
END_TEST

/* a's long kernel against b's request: a memset at 0 (no context needed),
 * then kernels launched at 2500 and, with hold2, 300 after it */
static void slice_world(struct world *w, int hold2)
{
	world_init(w, 2);
	w->ts[0].process = w->ts[1].process = PROCESS_OWN;
	w->dev.timeslice_ns = 1000;
	w->dev.ctx_switch_ns = 100;
	kern(&w->tb[0], "a", 0, 0, 6000, 10);
	tb_add(&w->tb[1], TRACE_MEMSET, "m", 0, 0, 0, 0);
	kern(&w->tb[1], "b1", 0, 2500, 100, 10);
	if (hold2)
		kern(&w->tb[1], "b2", 0, 2800, 100, 10);
}

START_TEST(rolling_slices)
{
	static struct world w;
	/* a slice older than timeslice_ns ends when b's kernel comes */
	slice_world(&w, 0);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 2600, 2700);
	SPAN(&w, "a", 0, 6300);        /* back at 2800: 3500 to go */
	run_result_release(&w.res);
	/* rolling: at the next boundary of a's slices (3000) */
	slice_world(&w, 0);
	w.dev.rolling_slices = 1;
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 3100, 3200);
	SPAN(&w, "a", 0, 6300);        /* back at 3300: 3000 to go */
	run_result_release(&w.res);
}
END_TEST

START_TEST(ctx_hold)
{
	static struct world w;
	/* b yields when b1 ends (2700): a is back at 2800 with a new slice,
	 * b2 (launched at 2800) waits for its end (3800) */
	slice_world(&w, 1);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 2600, 2700);
	SPAN(&w, "b2", 3900, 4000);
	SPAN(&w, "a", 0, 6600);        /* 2500 + 1000, then 2500 from 4100 */
	run_result_release(&w.res);
	/* ctx_hold_ns: b's host is still launching, so b keeps the device
	 * idle until b2; then its host waits for the request: b yields */
	slice_world(&w, 1);
	w.dev.ctx_hold_ns = 1000;
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b1", 2600, 2700);
	SPAN(&w, "b2", 2800, 2900);
	SPAN(&w, "a", 0, 6500);        /* back at 3000: 3500 to go */
	run_result_release(&w.res);
	/* a hold shorter than the host's gap: b yields at its end (2750) */
	slice_world(&w, 1);
	w.dev.ctx_hold_ns = 50;
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "b2", 3950, 4050);
	SPAN(&w, "a", 0, 6650);
	run_result_release(&w.res);
}
END_TEST

/* ---- host model ----------------------------------------------------------------------- */
START_TEST(host_sync_and_gaps)
{
	static struct world w;
	world_init(&w, 1);
	w.dev.launch_ns = 100;
	w.dev.sync_ns = 50;
	kern(&w.tb[0], "k1", 0, 0, 1000, 4);
	tb_add(&w.tb[0], TRACE_SYNC, "sync", 0, 10, 0, 0);
	w.tb[0].recs[1].end_ns = 1010;      /* recorded: the sync returned */
	kern(&w.tb[0], "k2", 0, 1020, 1000, 4);
	ck_assert_int_eq(world_run(&w), 0);
	/* the host waits for the stream (k1 ends 1100, +sync 50), then the
	 * recorded gap after the sync returned (10), then launch (100) */
	SPAN(&w, "k1", 100, 1100);
	SPAN(&w, "sync", 1100, 1100);
	SPAN(&w, "k2", 1260, 2260);
	ck_assert_int_eq(req_end(&w, 0), 2310);
	run_result_release(&w.res);
}
END_TEST

START_TEST(host_sync_all_streams)
{
	static struct world w;
	world_init(&w, 1);
	kern(&w.tb[0], "k1", 0, 0, 1000, 4);
	kern(&w.tb[0], "k2", 1, 0, 2000, 4);
	tb_add(&w.tb[0], TRACE_SYNC, "sync", 0, 0, 0, 0);
	w.tb[0].recs[2].end_ns = 0;
	kern(&w.tb[0], "k3", 0, 30, 500, 4);
	ck_assert_int_eq(world_run(&w), 0);
	/* the sync waits for both streams (k2 ends at 2000), then the gap */
	SPAN(&w, "k1", 0, 1000);
	SPAN(&w, "k2", 0, 2000);
	SPAN(&w, "k3", 2030, 2530);
	ck_assert_int_eq(req_end(&w, 0), 2530);
	run_result_release(&w.res);
}
END_TEST

START_TEST(device_resolve)
{
	char path[256], err[256];
	ck_assert_int_eq(sim_device_resolve("sim/devices/mi50.ini", NULL, path,
					    sizeof(path), err, sizeof(err)), 0);
	ck_assert_str_eq(path, "sim/devices/mi50.ini");
	/* relative to the scenario's folder when not from here */
	ck_assert_int_eq(sim_device_resolve("../sim/devices/mi50.ini",
					    "scenarios/x.ini", path, sizeof(path),
					    err, sizeof(err)), 0);
	ck_assert_str_eq(path, "scenarios/../sim/devices/mi50.ini");
	ck_assert_int_eq(sim_device_resolve("h100", "/nowhere/x.ini", path,
					    sizeof(path), err, sizeof(err)), 0);
	ck_assert_str_eq(path, "sim/devices/h100.ini");
	ck_assert_int_eq(sim_device_resolve("nope.ini", NULL, path, sizeof(path),
					    err, sizeof(err)), HS_EINVAL);
	ck_assert_str_eq(err, "device profile 'nope.ini' not found");
}
END_TEST

START_TEST(closed_loop_and_window)
{
	static struct world w;
	world_init(&w, 1);
	w.ts[0].arrival = ARRIVAL_CLOSED;
	w.sc.duration_ns = 2500;
	kern(&w.tb[0], "k", 0, 0, 1000, 4);
	ck_assert_int_eq(world_run(&w), 0);
	/* arrivals at 0, 1000, 2000 are in the window; the third ends 3000 */
	ck_assert_uint_eq(w.res.t[0].nreq, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(w.res.t[0].req[i].request, i);
		ck_assert_int_eq(w.res.t[0].req[i].arrival_ns, 1000 * i);
		ck_assert_int_eq(w.res.t[0].req[i].end_ns, 1000 * (i + 1));
	}
	/* busy and kernels count inside [0, 2500) only */
	ck_assert_int_eq(w.res.gpu_busy_ns, 2500);
	ck_assert_int_eq(w.res.t[0].kernels, 2);
	ck_assert_int_eq(w.res.kernels_simulated, 3);
	run_result_release(&w.res);
}
END_TEST

START_TEST(open_loop_queues_on_host)
{
	static struct world w;
	world_init(&w, 1);
	w.ts[0].rate_per_s = 1e6;           /* every 1000 ns */
	w.sc.duration_ns = 3000;
	kern(&w.tb[0], "k", 0, 0, 1500, 4); /* longer than the period */
	ck_assert_int_eq(world_run(&w), 0);
	ck_assert_uint_eq(w.res.t[0].nreq, 3);
	/* one request at a time: start = when the previous ended */
	static const hs_ns start[] = { 0, 1500, 3000 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(w.res.t[0].req[i].arrival_ns, 1000 * i);
		ck_assert_int_eq(w.res.t[0].req[i].start_ns, start[i]);
		ck_assert_int_eq(w.res.t[0].req[i].end_ns, start[i] + 1500);
	}
	run_result_release(&w.res);
}
END_TEST

/* ---- preemption levels ---------------------------------------------------------------- */
/* Tenant a (priority 0): four kernels of 1000 ns on all 10 units, submitted
 * at 0. Tenant b (priority 1) arrives at 1500 with one 3000 ns kernel of 5
 * blocks. Policy hpf suspends a at 1500 and resumes it when b is done. */
static void level_world(struct world *w, int level)
{
	world_init(w, 2);
	w->sc.policy = "hpf";
	w->sc.level = level;
	w->dev.l2_deactivate_ns = 50;
	w->dev.l2_relaunch_ns = 70;
	w->dev.l3_interrupt_ns = 30;
	w->dev.l3_restore_ns = 40;
	kern(&w->tb[0], "a0", 0, 0, 1000, 10);
	kern(&w->tb[0], "a1", 0, 0, 1000, 10);
	kern(&w->tb[0], "a2", 0, 0, 1000, 10);
	kern(&w->tb[0], "a3", 0, 0, 1000, 10);
	kern(&w->tb[1], "b", 0, 0, 3000, 5);
	w->ts[1].priority = 1;
	arrive_at(w, 1, 1500);
}

/* host_launch: a launch the core holds (threshold 1, one command in
 * flight; hpf lift=0, so the lone queue is held to it). async: the host goes on, k3 is submitted at 730 (its gap of 700
 * after k2 at 30) and waits in the XQueue; the core launches it when k2's
 * marker reports (k2 ends 1750 + sync 50 = 1800): it runs 1900-2400.
 * blocking: k2's launch call returns only when the core launches k2, at
 * k1's report (1100 + 50 = 1150); k3's gap counts from there: submitted
 * at 1850, after k2's report, it is launched at once and runs 1950-2450. */
START_TEST(host_launch_blocking)
{
	static struct world w;
	static struct hs_param lift0 = { "lift", "0" };
	for (int blocking = 0; blocking < 2; blocking++) {
		world_init(&w, 1);
		w.sc.policy = "hpf";
		w.sc.params = &lift0;
		w.sc.nparams = 1;
		w.sc.threshold = 1;
		w.sc.batch = 1;
		w.dev.launch_ns = 100;
		w.dev.sync_ns = 50;
		w.ts[0].host_launch = blocking ? HOST_LAUNCH_BLOCKING : HOST_LAUNCH_ASYNC;
		kern(&w.tb[0], "k1", 0, 0, 1000, 4);
		kern(&w.tb[0], "k2", 0, 30, 500, 4);
		kern(&w.tb[0], "k3", 0, 730, 500, 4);
		ck_assert_int_eq(world_run(&w), 0);
		SPAN(&w, "k1", 100, 1100);
		SPAN(&w, "k2", 1250, 1750);
		if (blocking)
			SPAN(&w, "k3", 1950, 2450);
		else
			SPAN(&w, "k3", 1900, 2400);
		ck_assert_int_eq(req_end(&w, 0), blocking ? 2500 : 2450);
		run_result_release(&w.res);
	}
}
END_TEST

/* Tenant key quiet (the interception library's quiet tail): hi's host
 * launches k1, then waits 3000 ns before k2. Without it the core learns
 * of k1's end only with k2 (no marker in between, batch 8), so hi stays
 * busy and lo waits for hi's whole request; with quiet = 100 ns, k1 is
 * marked at 100, reported done at 250 (end 200 + sync 50): hpf resumes lo
 * in hi's gap, and k2 waits for lo's kernels (level 1: no preemption). */
START_TEST(quiet_tail)
{
	static struct world w;
	for (int quiet = 0; quiet < 2; quiet++) {
		world_init(&w, 2);
		w.sc.policy = "hpf";
		w.sc.threshold = 16;
		w.sc.batch = 8;
		w.dev.sync_ns = 50;
		w.ts[0].priority = 10;
		w.ts[0].quiet_ns = quiet ? 100 : 0;
		w.ts[1].quiet_ns = quiet ? 100 : 0;
		kern(&w.tb[0], "k1", 0, 0, 200, 10);
		kern(&w.tb[0], "k2", 0, 3000, 200, 10);
		kern(&w.tb[1], "l1", 0, 10, 1000, 10);
		kern(&w.tb[1], "l2", 0, 10, 2500, 10);
		ck_assert_int_eq(world_run(&w), 0);
		SPAN(&w, "k1", 0, 200);
		if (quiet) {
			SPAN(&w, "l1", 250, 1250);
			SPAN(&w, "l2", 1250, 3750);
			SPAN(&w, "k2", 3750, 3950);
		} else {
			SPAN(&w, "k2", 3000, 3200);
			SPAN(&w, "l1", 3250, 4250);
		}
		run_result_release(&w.res);
	}
}
END_TEST

/* Tenant key intercept (the library's own host time in each call): k1, k2
 * and k3 (200 ns each) 1000 ns apart on the host. Under hpf with
 * intercept = 40 ns every call takes 40 ns more: submitted at 40, 1080
 * and 2120 (launch 100 later); under native, or without the key, at 0,
 * 1000 and 2000: the real test's native windows run without the library. */
START_TEST(intercept_cost)
{
	static struct world w;
	static const struct { const char *policy; hs_ns cost, shift[3]; } v[] = {
		{ "hpf", 40, { 40, 80, 120 } },
		{ "hpf", 0, { 0, 0, 0 } },
		{ "native", 40, { 0, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		world_init(&w, 1);
		w.sc.policy = (char *)v[i].policy;
		w.dev.launch_ns = 100;
		w.ts[0].intercept_ns = v[i].cost;
		kern(&w.tb[0], "k1", 0, 0, 200, 4);
		kern(&w.tb[0], "k2", 0, 1000, 200, 4);
		kern(&w.tb[0], "k3", 0, 2000, 200, 4);
		ck_assert_int_eq(world_run(&w), 0);
		SPAN(&w, "k1", 100 + v[i].shift[0], 300 + v[i].shift[0]);
		SPAN(&w, "k2", 1100 + v[i].shift[1], 1300 + v[i].shift[1]);
		SPAN(&w, "k3", 2100 + v[i].shift[2], 2300 + v[i].shift[2]);
		run_result_release(&w.res);
	}
}
END_TEST

START_TEST(level1_cost)
{
	static struct world w;
	level_world(&w, 1);
	w.sc.threshold = 2;     /* two in flight, a marker on each */
	w.sc.batch = 1;
	ck_assert_int_eq(world_run(&w), 0);
	/* level 1 only stops launching: a1 and a2 are on the hardware at
	 * 1500. a1 ends at 2000; b (queued first) takes 5 units, a2 the
	 * other 5: 10000 unit-ns at 5 units, it ends at 4000 and the queue
	 * has drained: latency 2500. a3 is launched when b ends at 5000. */
	SPAN(&w, "a1", 1000, 2000);
	SPAN(&w, "b", 2000, 5000);
	SPAN(&w, "a2", 2000, 4000);
	SPAN(&w, "a3", 5000, 6000);
	ck_assert_uint_eq(w.res.npreempt, 1);
	ck_assert_int_eq(w.res.preempt_ns[0], 2500);
	ck_assert_int_eq(req_end(&w, 0), 6000);
	ck_assert_int_eq(req_end(&w, 1) - 1500, 3500);
	run_result_release(&w.res);
}
END_TEST

/* A level-2 deactivation while the queue's head is in its launch latency
 * (given its units early): the head had not started, so it is dropped
 * with the queue, not waited for. a1 is launched at 1200 (visible 1300),
 * b arrives at 1250 and hpf stops a at once: stopped at 1300 (cost 50). b
 * runs 1350-4350; a is reactivated at its end, a1 visible 70 ns later. */
START_TEST(level2_early_head)
{
	static struct world w;
	world_init(&w, 2);
	w.sc.policy = "hpf";
	w.sc.level = 2;
	w.dev.launch_ns = 100;
	w.dev.l2_deactivate_ns = 50;
	w.dev.l2_relaunch_ns = 70;
	kern(&w.tb[0], "a0", 0, 0, 1000, 10);
	kern(&w.tb[0], "a1", 0, 1200, 1000, 10);
	kern(&w.tb[1], "b", 0, 0, 3000, 5);
	w.ts[1].priority = 1;
	arrive_at(&w, 1, 1250);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a0", 100, 1100);
	SPAN(&w, "b", 1350, 4350);
	SPAN(&w, "a1", 4420, 5420);
	ck_assert_uint_eq(w.res.npreempt, 1);
	ck_assert_int_eq(w.res.preempt_ns[0], 50);
	ck_assert_int_eq(w.res.gpu_busy_ns, 1000 + 3000 + 1000);
	run_result_release(&w.res);
}
END_TEST

START_TEST(level2_cost)
{
	static struct world w;
	level_world(&w, 2);
	ck_assert_int_eq(world_run(&w), 0);
	/* all four launched at 0. Deactivate at 1500 (cost 50); a1 runs to
	 * its end at 2000, then the queue is stopped: latency 500, a2 and a3
	 * are dropped from the hardware queue. b runs 2000-5000; a is
	 * reactivated at 5000, its log visible 70 ns later. */
	SPAN(&w, "a1", 1000, 2000);
	SPAN(&w, "b", 2000, 5000);
	SPAN(&w, "a2", 5070, 6070);
	SPAN(&w, "a3", 6070, 7070);
	ck_assert_uint_eq(w.res.npreempt, 1);
	ck_assert_int_eq(w.res.preempt_ns[0], 500);
	ck_assert_int_eq(req_end(&w, 0), 7070);
	ck_assert_int_eq(w.res.gpu_busy_ns, 2000 + 3000 + 2000);
	run_result_release(&w.res);
}
END_TEST

START_TEST(level3_cost)
{
	static struct world w;
	level_world(&w, 3);
	ck_assert_int_eq(world_run(&w), 0);
	/* interrupt at 1500: a1 stops with half its work done and holds its
	 * units until its state is saved at 1530 (latency 30); b runs
	 * 1530-4530; restore at 4530, visible at 4570: a1's last 500 ns,
	 * then a2, a3 */
	SPAN(&w, "b", 1530, 4530);
	SPAN(&w, "a1", 1000, 5070);
	SPAN(&w, "a2", 5070, 6070);
	SPAN(&w, "a3", 6070, 7070);
	ck_assert_uint_eq(w.res.npreempt, 1);
	ck_assert_int_eq(w.res.preempt_ns[0], 30);
	ck_assert_int_eq(req_end(&w, 1) - 1500, 3030);
	ck_assert_int_eq(w.res.gpu_busy_ns, 7070 - 40);
	run_result_release(&w.res);
}
END_TEST

START_TEST(level_above_device)
{
	static struct world w;
	level_world(&w, 3);
	w.dev.max_level = 2;
	char err[256];
	struct sim_inputs in = { .dev = &w.dev, .traces = w.tp };
	int rc = sim_run_with(&w.sc, &w.o, &in, &w.res, err, sizeof(err));
	unlink(w.arrfile[1]);
	ck_assert_int_eq(rc, HS_ELEVEL);
	ck_assert_ptr_nonnull(strstr(err, "preemption level"));
	run_result_release(&w.res);
}
END_TEST

/* The run ends (at its cap) with c's kernel running at level 3 while b,
 * above it, lingers in hpf's view since 3000. Freeing a's queue at the end
 * runs the policy again; it must run at the latest time, where b no longer
 * lingers, not at 0, where it would interrupt c in the engine's past. */
START_TEST(level3_teardown_policy_time)
{
	static struct world w;
	static struct hs_param linger = { "linger", "0.001" };
	world_init(&w, 3);
	w.sc.policy = "hpf";
	w.sc.level = 3;
	w.sc.params = &linger;
	w.sc.nparams = 1;
	w.dev.l3_interrupt_ns = 30;
	w.dev.l3_restore_ns = 40;
	kern(&w.tb[0], "a", 0, 0, 1000, 10);
	kern(&w.tb[1], "b", 0, 0, 1000, 10);
	kern(&w.tb[2], "c", 0, 0, 2000000000, 10);
	w.ts[0].priority = 2;
	w.ts[1].priority = 1;
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a", 0, 1000);
	SPAN(&w, "b", 2000, 3000);     /* after a's linger */
	for (int i = 0; i < w.nsp; i++)     /* c still runs at the cap */
		ck_assert_str_ne(w.sp[i].name, "c");
	run_result_release(&w.res);
}
END_TEST

static void on_progress(void *ctx, double f)
{
	double *last = ctx;
	ck_assert(f >= last[0] && f <= 1.0);
	last[0] = f;
	last[1]++;
}

START_TEST(timeline_and_progress)
{
	static struct world w;
	world_init(&w, 1);
	w.dev.launch_ns = 100;
	w.dev.sync_ns = 50;
	kern(&w.tb[0], "k1", 0, 0, 1000, 4);
	kern(&w.tb[0], "k2", 1, 0, 2500, 4);
	char tl[64];
	snprintf(tl, sizeof(tl), "/tmp/check_sim_tl_%d.json", (int)getpid());
	double prog[2] = { 0, 0 };
	w.o.timeline_path = tl;
	w.o.progress = on_progress;
	w.o.progress_ctx = prog;
	ck_assert_int_eq(world_run(&w), 0);
	ck_assert(prog[0] == 1.0 && prog[1] >= 1);
	run_result_release(&w.res);
	json_error_t je;
	json_t *root = json_load_file(tl, 0, &je);
	ck_assert_msg(root != NULL, "%s:%d: %s", tl, je.line, je.text);
	json_t *ev = json_is_array(root) ? root : json_object_get(root, "traceEvents");
	ck_assert(json_is_array(ev));
	/* one process (the tenant); k1 on stream 0's GPU track (tid 11), k2
	 * on stream 1's (tid 13), both launched at 0 and ready after the
	 * launch latency; the request as an async span on the host track */
	int found = 0;
	size_t i;
	json_t *e;
	json_array_foreach(ev, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		int pid = (int)json_integer_value(json_object_get(e, "pid"));
		int tid = (int)json_integer_value(json_object_get(e, "tid"));
		double ts = json_number_value(json_object_get(e, "ts"));
		double dur = json_number_value(json_object_get(e, "dur"));
		if (!ph || !name || !strcmp(ph, "M"))
			continue;
		ck_assert_int_eq(pid, 1);
		if (!strcmp(ph, "X") && !strcmp(name, "k1")) {
			ck_assert(tid == 11 && ts == 0.1 && dur == 1.0);
			found |= 1;
		} else if (!strcmp(ph, "X") && !strcmp(name, "k2")) {
			ck_assert(tid == 13 && ts == 0.1 && dur == 2.5);
			found |= 2;
		} else if (!strcmp(ph, "b") && !strcmp(name, "request 0")) {
			ck_assert(tid == 1 && ts == 0);
			found |= 4;
		} else if (!strcmp(ph, "e") && !strcmp(name, "request 0")) {
			ck_assert(ts == 2.65);
			found |= 8;
		}
	}
	ck_assert_int_eq(found, 15);
	json_decref(root);
	unlink(tl);
}
END_TEST

/* Tenant a: a1 at 0, a2 submitted at 800; tenant b: b1 arriving at 500. */
static void edf_world(struct world *w, hs_ns a_deadline, hs_ns b_slo)
{
	world_init(w, 2);
	w->sc.policy = "edf";
	kern(&w->tb[0], "a1", 0, 0, 1000, 10);
	kern(&w->tb[0], "a2", 0, 800, 1000, 10);
	kern(&w->tb[1], "b1", 0, 0, 1000, 10);
	w->ts[0].deadline_ns = a_deadline;
	w->ts[1].slo_ns = b_slo;            /* deadline = slo when unset */
	arrive_at(w, 1, 500);
}

START_TEST(deadline_hints)
{
	static struct world w;
	/* b is due first (500 + 1000 < 0 + 5000): a is suspended at 500,
	 * a2 waits on the host side of the core until b is done */
	edf_world(&w, 5000, 1000);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a1", 0, 1000);
	SPAN(&w, "b1", 1000, 2000);
	SPAN(&w, "a2", 2000, 3000);
	run_result_release(&w.res);
	/* a is due first: b waits for a's whole request */
	edf_world(&w, 1000, 10000);
	ck_assert_int_eq(world_run(&w), 0);
	SPAN(&w, "a1", 0, 1000);
	SPAN(&w, "a2", 1000, 2000);
	SPAN(&w, "b1", 2000, 3000);
	run_result_release(&w.res);
}
END_TEST

/* ---- determinism ---------------------------------------------------------------------- */
static void poisson_world(struct world *w, uint64_t seed)
{
	world_init(w, 2);
	w->sc.duration_ns = 20000000;
	w->sc.seed = seed;
	w->sc.policy = "hpf";
	w->ts[0].arrival = ARRIVAL_POISSON;
	w->ts[0].rate_per_s = 2000;
	w->ts[0].priority = 1;
	w->ts[1].arrival = ARRIVAL_CLOSED;
	kern(&w->tb[0], "h1", 0, 0, 20000, 4);
	kern(&w->tb[0], "h2", 0, 5000, 30000, 8);
	kern(&w->tb[1], "l1", 0, 0, 200000, 10);
	kern(&w->tb[1], "l2", 1, 1000, 100000, 6);
}

/* The result as bytes. */
static size_t serialise(const struct run_result *r, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%llu %lld %zu\n",
		(unsigned long long)r->kernels_simulated,
		(long long)r->gpu_busy_ns, r->npreempt);
	for (size_t t = 0; t < r->ntenants; t++)
		for (size_t i = 0; i < r->t[t].nreq && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%zu %lld %lld %lld\n",
				t, (long long)r->t[t].req[i].arrival_ns,
				(long long)r->t[t].req[i].start_ns,
				(long long)r->t[t].req[i].end_ns);
	for (size_t i = 0; i < r->npreempt && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "p %lld\n",
				      (long long)r->preempt_ns[i]);
	return n;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)sz + 1);
	ck_assert_uint_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return b;
}

START_TEST(determinism)
{
	static struct world w;
	static char a[1 << 16], b[1 << 16], c[1 << 16];
	char tl1[64], tl2[64];
	snprintf(tl1, sizeof(tl1), "/tmp/check_sim_tl1_%d.json", (int)getpid());
	snprintf(tl2, sizeof(tl2), "/tmp/check_sim_tl2_%d.json", (int)getpid());

	poisson_world(&w, 7);
	w.o.timeline_path = tl1;
	ck_assert_int_eq(world_run(&w), 0);
	ck_assert_uint_gt(w.res.t[0].nreq, 20);
	ck_assert_uint_gt(w.res.npreempt, 0);
	size_t na = serialise(&w.res, a, sizeof(a));
	run_result_release(&w.res);

	poisson_world(&w, 7);
	w.o.timeline_path = tl2;
	ck_assert_int_eq(world_run(&w), 0);
	size_t nb = serialise(&w.res, b, sizeof(b));
	run_result_release(&w.res);
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, na), 0);
	size_t n1, n2;
	char *t1 = slurp(tl1, &n1), *t2 = slurp(tl2, &n2);
	ck_assert_uint_gt(n1, 1000);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(t1, t2, n1), 0);
	free(t1);
	free(t2);
	unlink(tl1);
	unlink(tl2);

	/* another seed: other Poisson arrivals */
	poisson_world(&w, 8);
	ck_assert_int_eq(world_run(&w), 0);
	size_t nc = serialise(&w.res, c, sizeof(c));
	ck_assert(nc != na || memcmp(a, c, na) != 0);
	ck_assert_int_ne(w.res.t[0].req[0].arrival_ns, 0);
	run_result_release(&w.res);
}
END_TEST

START_TEST(tenant_seeds_independent)
{
	/* adding a tenant does not change another tenant's arrivals */
	static struct world w;
	hs_ns first[8];
	poisson_world(&w, 3);
	w.sc.ntenants = 1;
	ck_assert_int_eq(world_run(&w), 0);
	ck_assert_uint_ge(w.res.t[0].nreq, 8);
	for (int i = 0; i < 8; i++)
		first[i] = w.res.t[0].req[i].arrival_ns;
	run_result_release(&w.res);
	poisson_world(&w, 3);
	ck_assert_int_eq(world_run(&w), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(w.res.t[0].req[i].arrival_ns, first[i]);
	run_result_release(&w.res);
}
END_TEST

/* Tenants replaying one trace share its replay steps and request shapes
 * (sim/host.c): the run is the same, to the nanosecond, as with a copy of
 * the trace per tenant, and tenants of one trace still draw their own
 * arrivals and host timings. */
START_TEST(shared_trace_same_result)
{
	static char a[1 << 20], b[1 << 20];
	size_t n[2];
	char err[1024];
	struct scenario *sc = scenario_load("sim/bench/tenants_8.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	struct trace *tr[8] = { 0 }, *own[8] = { 0 };
	ck_assert_uint_eq(sc->ntenants, 8);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sc->ntenants; i++) {
			struct trace_err te;
			/* pass 0: a copy each; pass 1: tenants 2.. share tenant 1's */
			if (pass == 1 && i >= 2) {
				tr[i] = tr[1];
				continue;
			}
			own[i] = tr[i] = trace_load(sc->tenants[i].trace_path, &te);
			ck_assert_msg(tr[i] != NULL, "%s", te.msg);
		}
		struct sim_inputs in = { .traces = tr };
		struct run_opts o = { .mode = "policy", .duration_ns = 300000000 };
		struct run_result res;
		ck_assert_int_eq(sim_run_with(sc, &o, &in, &res, err, sizeof(err)), 0);
		ck_assert_uint_gt(res.t[1].nreq, 2);
		/* same trace and arrivals, other names: other host timings
		 * (latencies) */
		int differ = 0;
		for (size_t k = 0; k < res.t[1].nreq && k < res.t[2].nreq; k++)
			differ |= res.t[1].req[k].end_ns - res.t[1].req[k].arrival_ns !=
				  res.t[2].req[k].end_ns - res.t[2].req[k].arrival_ns;
		ck_assert(differ);
		n[pass] = serialise(&res, pass ? b : a, sizeof(a));
		run_result_release(&res);
		for (size_t i = 0; i < sc->ntenants; i++) {
			if (own[i])
				trace_free(own[i]);
			own[i] = tr[i] = NULL;
		}
	}
	ck_assert_uint_gt(n[0], 100);
	ck_assert_uint_eq(n[0], n[1]);
	ck_assert_int_eq(memcmp(a, b, n[0]), 0);
	scenario_free(sc);
}
END_TEST

/* ---- device profiles ------------------------------------------------------------------ */
START_TEST(device_profiles)
{
	static const char *names[] = { "h100", "mi50", "mi300x" };
	static const int units[] = { 132, 60, 304 };
	for (int i = 0; i < 3; i++) {
		char path[256], err[512];
		struct sim_device d;
		ck_assert_int_eq(sim_device_resolve(names[i], NULL, path,
						    sizeof(path), err, sizeof(err)), 0);
		ck_assert_msg(sim_device_load(path, &d, err, sizeof(err)) == 0,
			      "%s", err);
		ck_assert_int_eq(d.units, units[i]);
		ck_assert_int_gt(d.timeslice_ns, 0);
		ck_assert_int_eq(d.rolling_slices, 0);    /* optional, off */
		ck_assert_int_eq(d.ctx_hold_ns, 0);
	}
	char path[64], err[512];
	struct sim_device d;
	/* the optional slicing keys, from a profile with them */
	char line[256];
	snprintf(path, sizeof(path), "/tmp/check_sim_dev_%d.ini", (int)getpid());
	FILE *in = fopen("sim/devices/h200.ini", "r"), *out = fopen(path, "w");
	ck_assert_ptr_nonnull(in);
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	fputs("rolling_slices = 1\nctx_hold_ns = 6000000\n", out);
	fclose(in);
	fclose(out);
	ck_assert_msg(sim_device_load(path, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(d.rolling_slices, 1);
	ck_assert_int_eq(d.ctx_hold_ns, 6000000);
	out = fopen(path, "a");
	fputs("rolling_slices = 2\n", out);
	fclose(out);
	ck_assert_int_eq(sim_device_load(path, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "rolling_slices"));
	snprintf(path, sizeof(path), "/tmp/check_sim_dev_%d.ini", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "[device]\nname = x\nunits = 8\nlaunch_ns = 1\nsync_ns = 2\n"
		   "l2_deactivate_ns = 3\nbogus = 4\n");
	fclose(f);
	ck_assert_int_eq(sim_device_load(path, &d, err, sizeof(err)), HS_EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:7: unknown key 'bogus'", path);
	ck_assert_str_eq(err, want);
	f = fopen(path, "w");
	fprintf(f, "[device]\nunits = 8\n");
	fclose(f);
	ck_assert_int_eq(sim_device_load(path, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "missing key 'launch_ns'"));
	f = fopen(path, "w");
	fprintf(f, "[device]\nunits = -3\n");
	fclose(f);
	ck_assert_int_eq(sim_device_load(path, &d, err, sizeof(err)), HS_EINVAL);
	snprintf(want, sizeof(want), "%s:2: units: '-3' is not a non-negative "
		 "integer", path);
	ck_assert_str_eq(err, want);
	unlink(path);
	ck_assert_int_eq(sim_device_resolve("nosuchdev", NULL, path, sizeof(path),
					    err, sizeof(err)), HS_EINVAL);
}
END_TEST

Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("engine");
	tcase_add_test(tc, engine_tie_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("device");
	tcase_add_test(tc, one_kernel_alone);
	tcase_add_test(tc, two_kernels_one_stream);
	tcase_add_test(tc, two_streams_share_units);
	tcase_add_test(tc, concurrent_streams);
	tcase_add_test(tc, early_dispatch_revised);
	tcase_add_test(tc, early_dispatch_same_ns);
	tcase_add_test(tc, priority_orders_dispatch);
	tcase_add_test(tc, no_hw_preemption);
	tcase_add_test(tc, priority_at_block_boundaries);
	tcase_add_test(tc, time_slicing);
	tcase_add_test(tc, rolling_slices);
	tcase_add_test(tc, ctx_hold);
	tcase_add_test(tc, device_profiles);
	tcase_add_test(tc, device_resolve);
	suite_add_tcase(s, tc);
	tc = tcase_create("host");
	tcase_add_test(tc, host_sync_and_gaps);
	tcase_add_test(tc, host_sync_all_streams);
	tcase_add_test(tc, closed_loop_and_window);
	tcase_add_test(tc, open_loop_queues_on_host);
	suite_add_tcase(s, tc);
	tc = tcase_create("levels");
	tcase_add_test(tc, host_launch_blocking);
	tcase_add_test(tc, quiet_tail);
	tcase_add_test(tc, intercept_cost);
	tcase_add_test(tc, level1_cost);
	tcase_add_test(tc, level2_cost);
	tcase_add_test(tc, level2_early_head);
	tcase_add_test(tc, level3_cost);
	tcase_add_test(tc, level_above_device);
	tcase_add_test(tc, level3_teardown_policy_time);
	tcase_add_test(tc, deadline_hints);
	suite_add_tcase(s, tc);
	tc = tcase_create("determinism");
	tcase_add_test(tc, determinism);
	tcase_add_test(tc, timeline_and_progress);
	tcase_add_test(tc, tenant_seeds_independent);
	tcase_add_test(tc, shared_trace_same_result);
	suite_add_tcase(s, tc);
	return s;
}
