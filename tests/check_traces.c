/*
 * traces/: canonical CSV (reader, writer, loader, validation), importers
 * (Kineto JSON, rocprofv3 CSV, nsys CSV), request splitting, summary and
 * Chrome trace export. Fixtures live in tests/fixtures/traces/.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trace.h"

#define FIX "tests/fixtures/traces/"

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/check_traces.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

static struct trace *import_ok(const char *path, enum trace_format fmt,
			       enum trace_split split, int64_t gap_ns,
			       struct trace_import_stats *st)
{
	struct trace_import_opts o = { .format = fmt, .split = split, .gap_ns = gap_ns };
	struct trace_err err = { "" };
	struct trace *t = trace_import_load(path, &o, st, &err);
	ck_assert_msg(t != NULL, "import %s failed: %s", path, err.msg);
	return t;
}

/* ---- canonical ---------------------------------------------------------- */
START_TEST(test_roundtrip_byte_identical)
{
	struct trace_err err;
	struct trace *t = trace_load(FIX "canon_ok.csv", &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_int_eq(t->nrecs, 6);
	ck_assert_int_eq(trace_save(t, tmp_path("out.csv"), &err), 0);
	size_t a, b;
	char *x = slurp(FIX "canon_ok.csv", &a), *y = slurp(tmp_path("out.csv"), &b);
	ck_assert_uint_eq(a, b);
	ck_assert(memcmp(x, y, a) == 0);
	/* a second generation through the import path too */
	ck_assert_int_eq(trace_import(tmp_path("out.csv"), tmp_path("out2.csv"), NULL,
				      NULL, &err), 0);
	free(y);
	y = slurp(tmp_path("out2.csv"), &b);
	ck_assert_uint_eq(a, b);
	ck_assert(memcmp(x, y, a) == 0);
	free(x);
	free(y);
	trace_free(t);
}
END_TEST

START_TEST(test_reader_streams_fields)
{
	struct trace_err err;
	struct trace_reader *r = trace_reader_open(FIX "canon_ok.csv", &err);
	ck_assert_ptr_nonnull(r);
	struct trace_rec rec;
	int n = 0;
	while (trace_reader_next(r, &rec, &err) == 1) {
		if (n == 1) {
			ck_assert_str_eq(rec.name, "void conv<float, 3>(int, \"x\")");
			ck_assert_int_eq(rec.kind, TRACE_KERNEL);
			ck_assert_int_eq(rec.stream, 7);
			ck_assert_int_eq(rec.submit_ns, 1500);
			ck_assert_int_eq(rec.start_ns, 3000);
			ck_assert_int_eq(rec.end_ns, 10000);
			ck_assert_uint_eq(rec.grid[0], 392);
			ck_assert_uint_eq(rec.grid[1], 2);
			ck_assert_uint_eq(rec.block[0], 8);
			ck_assert_int_eq(rec.shmem, 2304);
			ck_assert_int_eq(rec.regs, 64);
			ck_assert_int_eq(trace_reader_line(r), 3);
		}
		if (n == 0)
			ck_assert_int_eq(rec.bytes, 602112);
		n++;
	}
	ck_assert_int_eq(n, 6);
	trace_reader_close(r);
}
END_TEST

START_TEST(test_load_sorts_and_groups)
{
	struct trace_err err;
	struct trace *t = trace_load(FIX "canon_unsorted.csv", &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_int_eq(t->nrecs, 3);
	ck_assert_int_eq(t->nreqs, 2);
	ck_assert_str_eq(t->recs[0].name, "c");
	ck_assert_str_eq(t->recs[1].name, "a");
	ck_assert_str_eq(t->recs[2].name, "b");
	ck_assert_int_eq(t->reqs[0].id, 2);
	ck_assert_int_eq(t->reqs[0].first, 0);
	ck_assert_int_eq(t->reqs[0].count, 1);
	ck_assert_int_eq(t->reqs[1].id, 5);
	ck_assert_int_eq(t->reqs[1].first, 1);
	ck_assert_int_eq(t->reqs[1].count, 2);
	trace_free(t);
	t = trace_load(FIX "canon_ok.csv", &err);
	ck_assert_ptr_nonnull(t);
	/* names are interned: one copy per distinct name */
	ck_assert_ptr_eq(t->recs[1].name, t->recs[5].name);
	ck_assert_ptr_eq(t->recs[2].name, t->recs[4].name);
	trace_free(t);
}
END_TEST

struct bad_case {
	const char *file;
	const char *msg;           /* exact expected message */
};

static const struct bad_case bad_cases[] = {
	{ "bad_empty.csv", FIX "bad_empty.csv:1: empty file" },
	{ "bad_missing_col.csv", FIX "bad_missing_col.csv:1: missing column 'regs' in the header" },
	{ "bad_nonnumeric.csv", FIX "bad_nonnumeric.csv:3: submit_ns: 'abc' is not an integer" },
	{ "bad_negative.csv", FIX "bad_negative.csv:4: stream is negative (-7)" },
	{ "bad_end_before_start.csv", FIX "bad_end_before_start.csv:4: end_ns 20 is before start_ns 30" },
	{ "bad_kind.csv", FIX "bad_kind.csv:3: unknown kind 'kernal' (expected kernel, memcpy, memset, sync or marker)" },
	{ "bad_short.csv", FIX "bad_short.csv:3: 15 fields, expected 17 (short row)" },
	{ "bad_quote.csv", FIX "bad_quote.csv:3: unterminated quoted field (the file ends inside quotes)" },
	{ "bad_binary.csv", FIX "bad_binary.csv:3: binary data (byte 0x00 at column 1); not a CSV text file" },
	{ "bad_dup_seq.csv", FIX "bad_dup_seq.csv:3: request 0 seq 0 repeats line 2" },
	{ "bad_zero_grid.csv", FIX "bad_zero_grid.csv:3: a kernel needs grid_x >= 1" },
	{ "bad_kineto_trunc.json", FIX "bad_kineto_trunc.json:5: unexpected end of file inside an object or array (truncated trace?)" },
	{ "bad_kineto_event.json", FIX "bad_kineto_event.json:5: invalid JSON in a trace event: '}' expected near '.'" },
	{ "bad_kineto_ts.json", FIX "bad_kineto_ts.json:5: kernel event \"k1\": \"ts\" missing or not a number" },
	{ "bad_kineto_grid.json", FIX "bad_kineto_grid.json:2: kernel event \"k0\": args.grid / args.block not [x, y, z] of positive integers" },
	{ "bad_kineto_noshape.json", FIX "bad_kineto_noshape.json:7: kernel event \"k_no_shape\": no args.grid / args.block, and no launch call with the same correlation carries them" },
	{ "bad_kineto_noevents.json", FIX "bad_kineto_noevents.json:1: no \"traceEvents\" array (not a Chrome trace / PyTorch profiler export?)" },
	{ "bad_kineto_mismatch.json", FIX "bad_kineto_mismatch.json:3: mismatched ']'" },
	{ "bad_rocprof.csv", FIX "bad_rocprof.csv:3: Start_Timestamp: '53293219763818x0' is not an integer" },
	{ "bad_nsys.csv", FIX "bad_nsys.csv:3: Strm: 'x7' is not an integer" },
	{ "bad_unknown.csv", FIX "bad_unknown.csv:1: unrecognised trace format (expected a canonical trace, Kineto/PyTorch JSON, a rocprofv3 kernel_trace.csv or an nsys cuda_gpu_trace CSV)" },
};

/* Every malformed fixture fails with its own file:line, through the
 * importer (auto-detection) and, for canonical files, trace_load. */
START_TEST(test_bad_input_messages)
{
	const struct bad_case *c = &bad_cases[_i];
	char path[256];
	snprintf(path, sizeof(path), FIX "%s", c->file);
	struct trace_err err = { "" };
	struct trace *t = trace_import_load(path, NULL, NULL, &err);
	ck_assert_msg(t == NULL, "%s: accepted", path);
	ck_assert_str_eq(err.msg, c->msg);
	if (strstr(c->file, ".csv") && !strstr(c->file, "rocprof") &&
	    !strstr(c->file, "nsys") && !strstr(c->file, "unknown")) {
		memset(&err, 0, sizeof(err));
		ck_assert_ptr_null(trace_load(path, &err));
		ck_assert_str_eq(err.msg, c->msg);
	}
	ck_assert_int_eq(trace_import(path, tmp_path("o.csv"), NULL, NULL, &err), TRACE_EBAD);
	ck_assert_int_eq(access(tmp_path("o.csv"), F_OK), -1);
}
END_TEST

START_TEST(test_writer_abort_leaves_nothing)
{
	struct trace_err err;
	struct trace_writer *w = trace_writer_open(tmp_path("w.csv"), &err);
	ck_assert_ptr_nonnull(w);
	struct trace_rec r = { .kind = TRACE_KERNEL, .name = "k", .grid = { 1, 1, 1 },
			       .block = { 1, 1, 1 } };
	ck_assert_int_eq(trace_writer_write(w, &r), 0);
	ck_assert_int_eq(trace_writer_close(w, 0, &err), 0);
	ck_assert_int_eq(access(tmp_path("w.csv"), F_OK), -1);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- Kineto ------------------------------------------------------------- */
START_TEST(test_kineto_pairs_and_steps)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "kineto_steps.json", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(st.format, TRACE_FMT_KINETO);
	ck_assert_int_eq(st.split, TRACE_SPLIT_STEP);
	ck_assert_int_eq(st.nsteps, 2);
	ck_assert_int_eq(st.dropped, 1);       /* kernel_e after the steps */
	ck_assert_int_eq(st.no_launch, 1);     /* kernel_c, correlation 99 */
	ck_assert_int_eq(t->nreqs, 2);
	ck_assert_int_eq(t->reqs[0].count, 4);
	ck_assert_int_eq(t->reqs[1].count, 2);
	ck_assert_int_eq(st.t0_ns, 1005000);   /* the memcpy's launch call */
	const struct trace_rec *r = t->recs;
	ck_assert_int_eq(r[0].kind, TRACE_MEMCPY);
	ck_assert_int_eq(r[0].submit_ns, 0);
	ck_assert_int_eq(r[0].start_ns, 1000);
	ck_assert_int_eq(r[0].bytes, 4096);
	/* cudaLaunchKernel at 1010.25 us, kernel 1012.5 + 3.25 us */
	ck_assert_str_eq(r[1].name, "void kernel_a<float, 4>(float*, int)");
	ck_assert_int_eq(r[1].submit_ns, 5250);
	ck_assert_int_eq(r[1].start_ns, 7500);
	ck_assert_int_eq(r[1].end_ns, 10750);
	ck_assert_uint_eq(r[1].grid[0], 4);
	ck_assert_uint_eq(r[1].block[0], 256);
	ck_assert_int_eq(r[1].regs, 32);
	ck_assert_int_eq(r[1].shmem, 1024);
	/* cuLaunchKernel (cuda_driver) pairs too; other stream */
	ck_assert_str_eq(r[2].name, "kernel_b");
	ck_assert_int_eq(r[2].stream, 13);
	ck_assert_int_eq(r[2].submit_ns, 15000);
	ck_assert_uint_eq(r[2].grid[1], 2);
	ck_assert_uint_eq(r[2].block[1], 2);
	/* no launch event: submit = start */
	ck_assert_int_eq(r[3].submit_ns, r[3].start_ns);
	/* hipExtModuleLaunchKernel and the memset in the second step */
	ck_assert_str_eq(r[4].name, "kernel_d");
	ck_assert_int_eq(r[4].request, 1);
	ck_assert_int_eq(r[4].seq, 0);
	ck_assert_int_eq(r[4].submit_ns, 105000);
	ck_assert_int_eq(r[5].kind, TRACE_MEMSET);
	ck_assert_int_eq(r[5].bytes, 256);
	ck_assert_int_eq(r[5].seq, 1);
	trace_free(t);
}
END_TEST

START_TEST(test_kineto_sync_split)
{
	struct trace_import_stats st;
	/* no ProfilerStep: auto falls back to the synchronizations */
	struct trace *t = import_ok(FIX "kineto_sync.json", TRACE_FMT_KINETO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(st.split, TRACE_SPLIT_SYNC);
	ck_assert_int_eq(st.nsyncs, 2);
	ck_assert_int_eq(t->nreqs, 3);
	ck_assert_int_eq(t->reqs[0].count, 4);
	ck_assert_int_eq(t->reqs[1].count, 2);
	ck_assert_int_eq(t->reqs[2].count, 1);
	ck_assert_str_eq(t->recs[6].name, "kernel_e_after_steps");
	trace_free(t);
	/* forcing sync on the file with steps gives the same cut */
	t = import_ok(FIX "kineto_steps.json", TRACE_FMT_AUTO, TRACE_SPLIT_SYNC, 0, &st);
	ck_assert_int_eq(t->nreqs, 3);
	ck_assert_int_eq(st.dropped, 0);
	trace_free(t);
	/* asking for steps where there are none is an error */
	struct trace_import_opts o = { .split = TRACE_SPLIT_STEP };
	struct trace_err err;
	ck_assert_ptr_null(trace_import_load(FIX "kineto_sync.json", &o, NULL, &err));
	ck_assert_str_eq(err.msg, FIX "kineto_sync.json:1: --split step: the trace "
			 "has no ProfilerStep#N annotations");
}
END_TEST

/* A sync call between two launches of one step becomes a sync command;
 * it is host time, not GPU busy time. */
START_TEST(test_kineto_inner_sync)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "kineto_midsync.json", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(t->nreqs, 1);
	ck_assert_int_eq(t->nrecs, 3);
	ck_assert_int_eq(st.nkind[TRACE_SYNC], 1);
	const struct trace_rec *r = &t->recs[1];
	ck_assert_int_eq(r->kind, TRACE_SYNC);
	ck_assert_str_eq(r->name, "cudaStreamSynchronize");
	ck_assert_int_eq(r->stream, 9);
	ck_assert_int_eq(r->seq, 1);
	ck_assert_int_eq(r->submit_ns, 3000);
	ck_assert_int_eq(r->end_ns, 26000);
	ck_assert_str_eq(t->recs[2].name, "k_after");
	struct trace_summary s;
	ck_assert_int_eq(trace_summarize(t, 5, &s), 0);
	ck_assert_int_eq(s.reqs[0].gpu_busy_ns, 20000 + 5000);
	ck_assert_int_eq(s.reqs[0].nkernels, 2);
	trace_summary_release(&s);
	trace_free(t);
	/* split by syncs: the same call is a boundary, not a command */
	t = import_ok(FIX "kineto_midsync.json", TRACE_FMT_AUTO, TRACE_SPLIT_SYNC,
		      0, &st);
	ck_assert_int_eq(t->nreqs, 2);
	ck_assert_int_eq(st.nkind[TRACE_SYNC], 0);
	trace_free(t);
}
END_TEST

/* ROCm Kineto: the kernel's shape and LDS size come from the
 * hipLaunchKernel event; a kernel without args.stream uses its tid. */
START_TEST(test_kineto_rocm_shapes_from_launch)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "kineto_rocm.json", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(t->nrecs, 3);
	const struct trace_rec *r = t->recs;
	ck_assert_str_eq(r[0].name, "void add<float>(float*, int)");
	ck_assert_uint_eq(r[0].grid[0], 64);
	ck_assert_uint_eq(r[0].block[0], 256);
	ck_assert_int_eq(r[0].shmem, 512);
	ck_assert_int_eq(r[0].stream, 1);
	ck_assert_int_eq(r[0].submit_ns, 0);
	ck_assert_int_eq(r[0].start_ns, 10000);
	ck_assert_int_eq(r[1].kind, TRACE_MEMCPY);
	ck_assert_int_eq(r[1].bytes, 4096);
	ck_assert_int_eq(r[1].submit_ns, 20000);
	ck_assert_int_eq(r[2].stream, 3);           /* from tid */
	ck_assert_int_eq(st.no_launch, 1);
	trace_free(t);
}
END_TEST

START_TEST(test_kineto_array_and_old_categories)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "kineto_array.json", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(t->nrecs, 1);
	ck_assert_int_eq(st.split, TRACE_SPLIT_NONE);
	ck_assert_int_eq(t->recs[0].submit_ns, 0);   /* "Runtime" launch at 10 us */
	ck_assert_int_eq(t->recs[0].start_ns, 2000);
	ck_assert_int_eq(t->recs[0].end_ns, 6000);
	trace_free(t);
}
END_TEST

/* Events crossing the scanner's 1 MiB chunk boundaries, with braces and
 * escaped quotes inside strings. */
START_TEST(test_kineto_many_chunks)
{
	const char *p = tmp_path("big.json");
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"traceEvents\": [\n");
	int n = 30000;
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"op {[\\\"%d\\\"]}\", "
			"\"ts\": %d, \"dur\": 1},\n", i ? "" : "", i, 10 * i);
		fprintf(f, "{\"ph\": \"X\", \"cat\": \"cuda_runtime\", \"name\": "
			"\"cudaLaunchKernel\", \"ts\": %d.5, \"dur\": 1, "
			"\"args\": {\"correlation\": %d}},\n", 10 * i, i);
		fprintf(f, "{\"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"k%d}\", "
			"\"ts\": %d, \"dur\": 2, \"args\": {\"stream\": 7, "
			"\"correlation\": %d, \"grid\": [%d, 1, 1], \"block\": [64, 1, 1]}}%s\n",
			i % 7, 10 * i + 3, i, i + 1, i + 1 < n ? "," : "");
	}
	fprintf(f, "]}\n");
	fclose(f);
	struct trace_import_stats st;
	struct trace *t = import_ok(p, TRACE_FMT_AUTO, TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(t->nrecs, n);
	ck_assert_int_eq(st.no_launch, 0);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(t->recs[i].grid[0], (unsigned)i + 1);
		ck_assert_int_eq(t->recs[i].submit_ns, 10000 * (int64_t)i + 500 - 500);
	}
	trace_free(t);
}
END_TEST

/* ---- rocprofv3 / nsys --------------------------------------------------- */
START_TEST(test_rocprof_workitems_to_blocks)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "rocprof_v3.csv", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(st.format, TRACE_FMT_ROCPROF);
	ck_assert_int_eq(t->nrecs, 3);
	const struct trace_rec *r = t->recs;
	ck_assert_uint_eq(r[0].grid[0], 1);          /* 256 / 256 */
	ck_assert_uint_eq(r[1].grid[0], 1024);       /* 1048576 / 1024 */
	ck_assert_uint_eq(r[1].block[0], 1024);
	ck_assert_int_eq(r[1].shmem, 1024);          /* LDS_Block_Size */
	ck_assert_int_eq(r[1].regs, 8);              /* VGPR_Count */
	ck_assert_uint_eq(r[2].grid[0], 4);          /* ceil(1000 / 256) */
	ck_assert_uint_eq(r[2].grid[1], 3);          /* ceil(10 / 4) */
	ck_assert_uint_eq(r[2].grid[2], 1);
	ck_assert_int_eq(r[2].stream, 3);            /* Stream_Id, not Queue_Id */
	ck_assert_int_eq(r[0].start_ns, 0);
	ck_assert_int_eq(r[1].start_ns, 172352210061004LL - 172352210005122LL);
	ck_assert_int_eq(r[1].submit_ns, r[1].start_ns);
	trace_free(t);
	t = import_ok(FIX "rocprof_old.csv", TRACE_FMT_ROCPROF, TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(t->nrecs, 2);
	ck_assert_uint_eq(t->recs[0].grid[0], 912);  /* 233472 / 256 */
	ck_assert_int_eq(t->recs[0].shmem, 4360);    /* Group_Segment_Size */
	ck_assert_int_eq(t->recs[0].stream, 1);      /* Queue_Id */
	trace_free(t);
}
END_TEST

START_TEST(test_nsys_units_and_gap_split)
{
	struct trace_import_stats st;
	struct trace *t = import_ok(FIX "nsys_gpu_trace.csv", TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(st.format, TRACE_FMT_NSYS);
	ck_assert_int_eq(st.split, TRACE_SPLIT_NONE);
	ck_assert_int_eq(t->nreqs, 1);
	const struct trace_rec *r = t->recs;
	ck_assert_int_eq(r[0].kind, TRACE_MEMCPY);
	ck_assert_int_eq(r[0].bytes, 4194000);        /* 4.194 MB */
	ck_assert_int_eq(r[0].end_ns, 661398);
	ck_assert_str_eq(r[1].name, "void k<float, 2>(float*, int)");
	ck_assert_uint_eq(r[1].grid[0], 4096);
	ck_assert_int_eq(r[1].shmem, 25000);          /* 0.025 MB dynamic */
	ck_assert_int_eq(r[1].regs, 32);
	ck_assert_int_eq(r[2].kind, TRACE_MEMSET);
	ck_assert_int_eq(r[3].stream, 13);
	ck_assert_uint_eq(r[3].grid[2], 2304);
	trace_free(t);
	t = import_ok(FIX "nsys_gpu_trace.csv", TRACE_FMT_NSYS, TRACE_SPLIT_GAP,
		      1000000, &st);
	ck_assert_int_eq(t->nreqs, 2);
	ck_assert_int_eq(t->reqs[0].count, 3);
	ck_assert_int_eq(t->reqs[1].count, 1);
	trace_free(t);
	/* a gap threshold above the idle time keeps one request */
	t = import_ok(FIX "nsys_gpu_trace.csv", TRACE_FMT_NSYS, TRACE_SPLIT_GAP,
		      4000000, &st);
	ck_assert_int_eq(t->nreqs, 1);
	trace_free(t);
}
END_TEST

START_TEST(test_detect_format)
{
	static const struct { const char *f; enum trace_format fmt; } cases[] = {
		{ FIX "canon_ok.csv", TRACE_FMT_CANONICAL },
		{ FIX "kineto_steps.json", TRACE_FMT_KINETO },
		{ FIX "kineto_array.json", TRACE_FMT_KINETO },
		{ FIX "kineto_midsync.json", TRACE_FMT_KINETO },
		{ FIX "rocprof_v3.csv", TRACE_FMT_ROCPROF },
		{ FIX "rocprof_old.csv", TRACE_FMT_ROCPROF },
		{ FIX "nsys_gpu_trace.csv", TRACE_FMT_NSYS },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum trace_format fmt = TRACE_FMT_AUTO;
		struct trace_err err;
		ck_assert_int_eq(trace_detect_format(cases[i].f, &fmt, &err), 0);
		ck_assert_msg(fmt == cases[i].fmt, "%s detected as %s", cases[i].f,
			      trace_format_name(fmt));
	}
	ck_assert_int_eq(trace_format_parse("rocprof"), TRACE_FMT_ROCPROF);
	ck_assert_int_eq(trace_format_parse("nope"), -1);
	ck_assert_int_eq(trace_split_parse("gap"), TRACE_SPLIT_GAP);
	ck_assert_int_eq(trace_kind_parse("memset"), TRACE_MEMSET);
	ck_assert_int_eq(trace_kind_parse("kernal"), -1);
}
END_TEST

/* ---- summary and Chrome export ------------------------------------------ */
START_TEST(test_summary_busy_union)
{
	struct trace_err err;
	struct trace *t = trace_load(FIX "canon_ok.csv", &err);
	ck_assert_ptr_nonnull(t);
	struct trace_summary s;
	ck_assert_int_eq(trace_summarize(t, 10, &s), 0);
	ck_assert_int_eq(s.nreqs, 2);
	ck_assert_int_eq(s.reqs[0].gpu_busy_ns, 11500);   /* [1000, 12500) */
	ck_assert_int_eq(s.reqs[0].kernel_ns, 7000 + 7000);
	ck_assert_int_eq(s.reqs[0].nkernels, 2);
	ck_assert_int_eq(s.reqs[0].host_span_ns, 2500);
	ck_assert_int_eq(s.reqs[0].span_ns, 12500);
	ck_assert_int_eq(s.reqs[1].gpu_busy_ns, 9000);
	ck_assert_int_eq(s.gpu_busy_ns, 20500);
	ck_assert_int_eq(s.span_ns, 30000);
	ck_assert_int_eq(s.nstreams, 2);
	ck_assert_int_eq(s.streams[0], 7);
	ck_assert_int_eq(s.streams[1], 8);
	ck_assert_int_eq(s.req_gap_mean_ns, 20000 - 12500);
	ck_assert_int_eq(s.ntop, 2);
	ck_assert_str_eq(s.top[0].name, "void conv<float, 3>(int, \"x\")");
	ck_assert_int_eq(s.top[0].total_ns, 15000);
	ck_assert_int_eq(s.top[0].count, 2);
	ck_assert_int_eq(s.top[1].total_ns, 8000);
	trace_summary_release(&s);
	trace_free(t);
}
END_TEST

START_TEST(test_chrome_writer)
{
	struct trace_err err;
	const char *p = tmp_path("t.json");
	struct chrome_writer *w = chrome_writer_open(p, &err);
	ck_assert_ptr_nonnull(w);
	chrome_name_process(w, 3, "tenant \"a\"");
	chrome_name_thread(w, 3, 10, "stream 7");
	chrome_span(w, 3, 10, "k\n1", "kernel", 1234, 5);
	chrome_instant(w, 3, 1, "launch", "launch", 999);
	ck_assert_int_eq(access(p, F_OK), -1);        /* not before commit */
	ck_assert_int_eq(chrome_writer_close(w, 1, &err), 0);
	json_error_t je;
	json_t *root = json_load_file(p, 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	json_t *evs = json_object_get(root, "traceEvents");
	ck_assert_int_eq(json_array_size(evs), 5);
	json_t *x = json_array_get(evs, 3);
	ck_assert_str_eq(json_string_value(json_object_get(x, "ph")), "X");
	ck_assert_str_eq(json_string_value(json_object_get(x, "name")), "k\n1");
	ck_assert(json_real_value(json_object_get(x, "ts")) == 1.234);
	ck_assert(json_real_value(json_object_get(x, "dur")) == 0.005);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "pid")), 3);
	json_t *m = json_array_get(evs, 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "args"),
							   "name")), "tenant \"a\"");
	json_decref(root);
	/* commit = 0: nothing left behind */
	w = chrome_writer_open(tmp_path("u.json"), &err);
	chrome_span(w, 1, 1, "x", "y", 0, 1);
	ck_assert_int_eq(chrome_writer_close(w, 0, &err), 0);
	ck_assert_int_eq(access(tmp_path("u.json"), F_OK), -1);
}
END_TEST

START_TEST(test_export_tracks)
{
	struct trace_err err;
	struct trace *t = trace_load(FIX "canon_ok.csv", &err);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(trace_export_chrome(t, tmp_path("e.json"), &err), 0);
	json_error_t je;
	json_t *root = json_load_file(tmp_path("e.json"), 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	json_t *evs = json_object_get(root, "traceEvents");
	int spans = 0, reqs = 0, threads = 0, on_stream8 = 0;
	for (size_t i = 0; i < json_array_size(evs); i++) {
		json_t *e = json_array_get(evs, i);
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		if (strcmp(ph, "M") == 0 && strcmp(name, "thread_name") == 0)
			threads++;
		if (strcmp(ph, "X") != 0)
			continue;
		spans++;
		if (strcmp(json_string_value(json_object_get(e, "cat")), "request") == 0)
			reqs++;
		if (json_integer_value(json_object_get(e, "tid")) == 11)
			on_stream8++;
	}
	ck_assert_int_eq(threads, 3);     /* host, stream 7, stream 8 */
	ck_assert_int_eq(reqs, 2);
	ck_assert_int_eq(spans, 6 + 2);
	ck_assert_int_eq(on_stream8, 1);
	json_decref(root);
	trace_free(t);
}
END_TEST

/* ---- the shipped real traces -------------------------------------------- */
START_TEST(test_shipped_traces_load)
{
	static const struct { const char *f; size_t per_req; } data[] = {
		{ "traces/data/resnet18_b1.csv", 110 },
		{ "traces/data/resnet50_b32.csv", 246 },
		{ "traces/data/transformer_enc.csv", 55 },
		{ "traces/data/cnn_train.csv", 381 },
	};
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		struct trace_err err;
		struct trace *t = trace_load(data[i].f, &err);
		ck_assert_msg(t != NULL, "%s", err.msg);
		ck_assert_int_eq(t->nreqs, 10);
		for (size_t q = 0; q < t->nreqs; q++)
			ck_assert_int_eq(t->reqs[q].count, data[i].per_req);
		trace_free(t);
	}
}
END_TEST

/* A real profile without ProfilerStep: split by cudaDeviceSynchronize. */
START_TEST(test_real_profile_sync_split)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "gzip -dc traces/data/raw/resnet18_b1_plain.json.gz"
		 " > '%s'", tmp_path("plain.json"));
	ck_assert_int_eq(system(cmd), 0);
	struct trace_import_stats st;
	struct trace *t = import_ok(tmp_path("plain.json"), TRACE_FMT_AUTO,
				    TRACE_SPLIT_AUTO, 0, &st);
	ck_assert_int_eq(st.split, TRACE_SPLIT_SYNC);
	ck_assert_int_eq(st.no_launch, 0);
	ck_assert_int_eq(t->nreqs, 3);
	for (size_t q = 0; q < 3; q++)
		ck_assert_int_eq(t->reqs[q].count, 110);
	ck_assert_int_eq(t->recs[0].kind, TRACE_MEMCPY);
	trace_free(t);
}
END_TEST

Suite *traces_suite(void)
{
	Suite *s = suite_create("traces");
	TCase *tc = tcase_create("canonical");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip_byte_identical);
	tcase_add_test(tc, test_reader_streams_fields);
	tcase_add_test(tc, test_load_sorts_and_groups);
	tcase_add_loop_test(tc, test_bad_input_messages, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_writer_abort_leaves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kineto_pairs_and_steps);
	tcase_add_test(tc, test_kineto_sync_split);
	tcase_add_test(tc, test_kineto_inner_sync);
	tcase_add_test(tc, test_kineto_rocm_shapes_from_launch);
	tcase_add_test(tc, test_kineto_array_and_old_categories);
	tcase_add_test(tc, test_kineto_many_chunks);
	tcase_add_test(tc, test_rocprof_workitems_to_blocks);
	tcase_add_test(tc, test_nsys_units_and_gap_split);
	tcase_add_test(tc, test_detect_format);
	tcase_add_test(tc, test_real_profile_sync_split);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_summary_busy_union);
	tcase_add_test(tc, test_chrome_writer);
	tcase_add_test(tc, test_export_tracks);
	tcase_add_test(tc, test_shipped_traces_load);
	suite_add_tcase(s, tc);
	return s;
}
