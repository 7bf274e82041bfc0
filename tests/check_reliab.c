/*
 * Reliability: bad input is an error with its line, never garbage reported
 * as success; no output overwrites an input; limits refused up front;
 * signals end a run cleanly; exit statuses a script can tell apart.
 * Most tests run the binary under test ($HIPSCHED_BIN, as check_cli).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "scenario.h"
#include "sim.h"
#include "test_util.h"
#include "trace.h"

static const char *bin(void)
{
	const char *b = getenv("HIPSCHED_BIN");
	return b && *b ? b : "./hipsched";
}

static char out[65536];
static char dir[256];

/* Runs `hipsched ARGS` (from the repo root), stdout+stderr into out;
 * returns the exit status, or 128 + signal. */
static int hs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int hs(const char *fmt, ...)
{
	char args[3000], cmd[3500];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin(), args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "hs_reliab");
}

static void teardown(void)
{
	test_rmtree(dir);
}

static const char *at(const char *name)
{
	static char p[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void put(const char *name, const char *text)
{
	test_write_file(at(name), text);
}

/* Entries of dir whose name contains s. */
static int count_named(const char *d, const char *s)
{
	DIR *dd = opendir(d);
	ck_assert_ptr_nonnull(dd);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(dd)))
		n += strstr(e->d_name, s) != NULL;
	closedir(dd);
	return n;
}

#define NSYS_HDR "Start (ns),Duration (ns),CorrId,GrdX,GrdY,GrdZ,BlkX,BlkY," \
	"BlkZ,Reg/Trd,StcSMem (MB),DymSMem (MB),Bytes (MB),Throughput (MBps)," \
	"SrcMemKd,DstMemKd,Device,Ctx,Strm,Name\n"
#define CANON_HDR "request,seq,kind,name,stream,submit_ns,start_ns,end_ns," \
	"grid_x,grid_y,grid_z,block_x,block_y,block_z,shmem,regs,bytes\n"
#define KINETO(ts, dur) "{\"traceEvents\":[{\"ph\":\"X\",\"cat\":\"kernel\"," \
	"\"name\":\"k\",\"ts\":" ts ",\"dur\":" dur ",\"args\":{\"stream\":7," \
	"\"grid\":[1,1,1],\"block\":[1,1,1]}}]}\n"

/* ---- integer overflow of parsed times ------------------------------------ */
START_TEST(test_nsys_overflow)
{
	static const char *const rows[] = {
		"9223372036854775807,100",     /* start beyond 2^62 */
		"4611686018427387904,1",       /* 2^62 + 1 */
		"100,9.3e18",                  /* duration */
		"1e300,1",                     /* a double far out of range */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), NSYS_HDR "%s,1,1,1,1,1,1,1,32,0,0,,,,,d,1,7,k\n",
			 rows[i]);
		put("n.csv", text);
		unlink(at("n_out.csv"));
		ck_assert_int_eq(hs("trace import %s -o %s", at("n.csv"), at("n_out.csv")),
				 CLI_INPUT);
		ck_assert_msg(strstr(out, "n.csv:2:") && strstr(out, "out of range"),
			      "%s: %s", rows[i], out);
		ck_assert_int_eq(access(at("n_out.csv"), F_OK), -1);
	}
	/* the largest time accepted still imports and reads back */
	put("n.csv", NSYS_HDR "4611686018427387000,100,1,1,1,1,1,1,1,32,0,0,,,,,d,1,7,k\n");
	ck_assert_int_eq(hs("trace import %s -o %s", at("n.csv"), at("n_out.csv")), 0);
	ck_assert_int_eq(hs("trace info %s", at("n_out.csv")), 0);
}
END_TEST

START_TEST(test_kineto_overflow)
{
	static const char *const evs[] = {
		KINETO("9223372036854775", "1"),    /* integer us * 1000 wraps */
		KINETO("9.3e15", "1"),
		KINETO("1", "9.3e18"),
		KINETO("4611686018427387", "1000"), /* each fine, the end is not */
		KINETO("\"1e400\"", "1"),
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		put("k.json", evs[i]);
		ck_assert_int_eq(hs("trace import %s -o %s", at("k.json"), at("k.csv")),
				 CLI_INPUT);
		ck_assert_msg(strstr(out, "k.json:1:") && !strstr(out, "format kineto"),
			      "%zu: %s", i, out);
		ck_assert_int_eq(access(at("k.csv"), F_OK), -1);
	}
}
END_TEST

START_TEST(test_canonical_limits)
{
	put("c.csv", CANON_HDR "0,0,kernel,k,0,0,0,4611686018427387905,1,1,1,1,1,1,0,0,0\n");
	struct trace_err err;
	ck_assert_ptr_null(trace_load(at("c.csv"), &err));
	ck_assert_msg(strstr(err.msg, "c.csv:2: end_ns") && strstr(err.msg, "2^62"),
		      "%s", err.msg);
	/* threads per block: 2^16 * 2^16 * 2^16 would wrap a 64-bit product
	 * of the simulator's occupancy arithmetic */
	put("c.csv", CANON_HDR "0,0,kernel,k,0,0,0,10,1,1,1,65536,65536,65536,0,1,0\n");
	ck_assert_ptr_null(trace_load(at("c.csv"), &err));
	ck_assert_msg(strstr(err.msg, "c.csv:2:") && strstr(err.msg, "threads"),
		      "%s", err.msg);
}
END_TEST

/* The inputs, kept as fixtures (and fuzz seeds). */
START_TEST(test_overflow_fixtures)
{
	static const struct { const char *file, *where; } bad[] = {
		{ "bad_nsys_overflow.csv", "bad_nsys_overflow.csv:3: Start" },
		{ "bad_kineto_overflow.json", "bad_kineto_overflow.json:3: kernel" },
	};
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(hs("trace import tests/fixtures/traces/%s -o %s",
				    bad[i].file, at("o.csv")), CLI_INPUT);
		ck_assert_msg(strstr(out, bad[i].where) && strstr(out, "range"),
			      "%s", out);
		ck_assert_int_eq(access(at("o.csv"), F_OK), -1);
	}
	ck_assert_int_eq(hs("trace info tests/fixtures/traces/canon_header_only.csv"),
			 CLI_OK);
}
END_TEST

/* Sums over many long commands saturate instead of wrapping. */
START_TEST(test_summary_saturates)
{
	put("c.csv", CANON_HDR
	    "0,0,kernel,k,0,0,0,4611686018427387904,1,1,1,1,1,1,0,0,0\n"
	    "0,1,kernel,k,0,0,0,4611686018427387904,1,1,1,1,1,1,0,0,0\n"
	    "0,2,kernel,k,0,0,0,4611686018427387904,1,1,1,1,1,1,0,0,0\n");
	struct trace_err err;
	struct trace *t = trace_load(at("c.csv"), &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	struct trace_summary s;
	ck_assert_int_eq(trace_summarize(t, 10, &s), 0);
	ck_assert_int_eq(s.reqs[0].kernel_ns, INT64_MAX);
	ck_assert_int_eq(s.top[0].total_ns, INT64_MAX);
	ck_assert_int_eq(s.gpu_busy_ns, (int64_t)1 << 62);
	trace_summary_release(&s);
	/* such a trace cannot be replayed: refused before a run */
	ck_assert_int_eq(trace_check_replay(t, SCENARIO_DURATION_MAX_NS, &err), TRACE_EBAD);
	ck_assert_msg(strstr(err.msg, "request 0 seq 0 lasts"), "%s", err.msg);
	trace_free(t);
	put("s.ini", "[tenant a]\ntrace = c.csv\narrival = closed\n");
	ck_assert_int_eq(hs("sim %s --duration 1s --out %s", at("s.ini"), at("r")),
			 CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "longer than a run can be"));
}
END_TEST

/* Numbers of options and policy parameters scaled to ns stay in range. */
START_TEST(test_scaled_options)
{
	put("x.json", KINETO("1", "1"));
	ck_assert_int_eq(hs("trace import %s -o %s --split gap --gap-us 1e300",
			    at("x.json"), at("x.csv")), CLI_USAGE);
	ck_assert_int_eq(hs("trace info %s --split gap --gap-us inf", at("x.json")),
			 CLI_USAGE);
	put("t.csv", CANON_HDR "0,0,kernel,k,0,0,0,1000,1,1,1,1,1,1,0,0,0\n");
	put("s.ini", "[policy]\nname = hpf\nlinger = inf\n[tenant a]\n"
	    "trace = t.csv\narrival = closed\n");
	char e[512];
	ck_assert_ptr_null(scenario_load(at("s.ini"), e, sizeof(e)));
	ck_assert_msg(strstr(e, "s.ini:3:") && strstr(e, "at most 1e9"), "%s", e);
	put("s.ini", "[policy]\nname = bp\nslice = 1e300\n[tenant a]\n"
	    "trace = t.csv\narrival = closed\n");
	ck_assert_ptr_null(scenario_load(at("s.ini"), e, sizeof(e)));
	ck_assert_msg(strstr(e, "s.ini:3:"), "%s", e);
	/* a device profile latency beyond 60 s */
	put("dev.ini", "[device]\nunits = 4\nlaunch_ns = 9223372036854775807\n");
	struct sim_device d;
	ck_assert_int_ne(sim_device_load(at("dev.ini"), &d, e, sizeof(e)), 0);
	ck_assert_msg(strstr(e, "dev.ini:3: launch_ns") && strstr(e, "out of range"),
		      "%s", e);
}
END_TEST

/* ---- a canonical trace with a header and no rows ------------------------- */
START_TEST(test_empty_canonical)
{
	put("e.csv", CANON_HDR);
	struct trace_err err;
	struct trace *t = trace_load(at("e.csv"), &err);   /* was qsort(NULL) */
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->nrecs, 0);
	ck_assert_uint_eq(t->nreqs, 0);
	trace_free(t);
	ck_assert_int_eq(hs("trace info %s", at("e.csv")), 0);
	ck_assert_ptr_nonnull(strstr(out, "commands   0"));
	put("e.ini", "[tenant a]\ntrace = e.csv\narrival = closed\n");
	ck_assert_int_eq(hs("sim %s --duration 1s --out %s", at("e.ini"), at("run")),
			 CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "no requests"));
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
}
END_TEST

/* ---- outputs that alias an input ----------------------------------------- */
START_TEST(test_import_onto_input)
{
	const char *k = KINETO("1", "1");
	put("x.json", k);
	ck_assert_int_eq(hs("trace import %s -o %s", at("x.json"), at("x.json")),
			 CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "is the input"));
	/* another spelling of the same file, and a hard link */
	ck_assert_int_eq(hs("trace import %s -o %s/./x.json", at("x.json"), dir),
			 CLI_INPUT);
	ck_assert_int_eq(link(at("x.json"), at("y.json")), 0);
	ck_assert_int_eq(hs("trace import %s -o %s", at("x.json"), at("y.json")),
			 CLI_INPUT);
	ck_assert_int_eq(hs("trace export %s -o %s", at("x.json"), at("y.json")),
			 CLI_INPUT);
	FILE *f = fopen(at("x.json"), "r");
	char buf[512] = "";
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, k);           /* the input is untouched */
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
}
END_TEST

START_TEST(test_rundir_holds_input)
{
	mkdir(at("run"), 0777);
	put("run/summary.json", "{}\n");    /* a previous run directory */
	put("run/t.csv", CANON_HDR "0,0,kernel,k,0,0,0,1000,1,1,1,1,1,1,0,0,0\n");
	put("run/s.ini", "[tenant a]\ntrace = t.csv\narrival = closed\n");
	put("s.ini", "[tenant a]\ntrace = run/t.csv\narrival = closed\n");
	ck_assert_int_eq(hs("sim %s --duration 10ms --out %s", at("run/s.ini"),
			    at("run")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "holds the input"));
	ck_assert_int_eq(hs("sim %s --duration 10ms --out %s/../%s/run",
			    at("s.ini"), dir, strrchr(dir, '/') + 1), CLI_INPUT);
	ck_assert_int_eq(access(at("run/t.csv"), F_OK), 0);
	ck_assert_int_eq(access(at("run/s.ini"), F_OK), 0);
	/* elsewhere, the same scenario runs */
	ck_assert_int_eq(hs("sim %s --duration 10ms --out %s", at("s.ini"),
			    at("other")), 0);
}
END_TEST

/* ---- options checked before any work -------------------------------------- */
START_TEST(test_bad_out_and_duration)
{
	const char *sc = "scenarios/dual_resnet.ini";
	time_t t0 = time(NULL);
	ck_assert_int_eq(hs("sim %s --out ''", sc), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(out, "--out needs"));
	ck_assert_int_eq(hs("sim %s --duration 9.1e9s --out %s", sc, at("r")),
			 CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(out, "longest run"));
	ck_assert_int_eq(hs("sim %s --duration 25h --out %s", sc, at("r")), CLI_USAGE);
	put("file", "x\n");
	ck_assert_int_eq(hs("sim %s --out %s", sc, at("file")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "not a run directory"));
	ck_assert_int_le(time(NULL) - t0, 3);      /* nothing was simulated */
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
}
END_TEST

/* ---- a directory where a file is expected --------------------------------- */
START_TEST(test_directory_inputs)
{
	mkdir(at("d"), 0777);
	ck_assert_int_eq(hs("trace info %s", at("d")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "is a directory"));
	ck_assert_int_eq(hs("trace import %s -o %s", at("d"), at("o.csv")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "is a directory"));
	ck_assert_int_eq(hs("trace import %s --format kineto -o %s", at("d"),
			    at("o.csv")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "is a directory"));
	ck_assert_int_eq(hs("sim %s", at("d")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "is a directory"));
	put("s.ini", "[tenant a]\ntrace = d\narrival = closed\n");
	ck_assert_int_eq(hs("sim %s", at("s.ini")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "s.ini:2: trace file"));
	ck_assert_ptr_nonnull(strstr(out, "is a directory"));
	put("t.csv", CANON_HDR "0,0,kernel,k,0,0,0,1000,1,1,1,1,1,1,0,0,0\n");
	put("s.ini", "[tenant a]\ntrace = t.csv\narrival = file\narrival_file = d\n");
	ck_assert_int_eq(hs("sim %s", at("s.ini")), CLI_INPUT);
	ck_assert_ptr_nonnull(strstr(out, "s.ini:4: arrival file"));
}
END_TEST

/* ---- limits refused up front ----------------------------------------------- */
START_TEST(test_limits)
{
	char err[512];
	put("t.csv", CANON_HDR "0,0,kernel,k,0,0,0,1000,1,1,1,1,1,1,0,0,0\n");
	put("s.ini", "[tenant a]\ntrace = t.csv\narrival = periodic\nrate = 1e7\n");
	ck_assert_ptr_null(scenario_load(at("s.ini"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "s.ini:4: rate"), "%s", err);
	put("s.ini", "[scenario]\nduration = 2000m\n[tenant a]\ntrace = t.csv\n"
	    "arrival = closed\n");
	ck_assert_ptr_null(scenario_load(at("s.ini"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "s.ini:2: duration"), "%s", err);
	put("s.ini", "[tenant a]\ntrace = t.csv\narrival = closed\nslo = 1e18ns\n");
	ck_assert_ptr_null(scenario_load(at("s.ini"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "s.ini:4: slo"), "%s", err);
	/* 1e6 req/s over 11 s is more than a run keeps: refused before running */
	put("s.ini", "[tenant a]\ntrace = t.csv\narrival = periodic\nrate = 1e6\n");
	struct scenario *sc = scenario_load(at("s.ini"), err, sizeof(err));
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(scenario_check_limits(sc, 5000000000LL, err, sizeof(err)), 0);
	ck_assert_int_eq(scenario_check_limits(sc, 11000000000LL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "requests"), "%s", err);
	scenario_free(sc);
	ck_assert_int_eq(hs("sim %s --duration 11s --out %s", at("s.ini"), at("r")),
			 CLI_INPUT);
	ck_assert_int_eq(count_named(dir, "r"), 0);
	/* an arrival file line too long to be a time (once split in two) */
	char longline[400];
	memset(longline, '1', 300);
	strcpy(longline + 300, "\n");
	put("a.txt", longline);
	put("s.ini", "[tenant a]\ntrace = t.csv\narrival = file\narrival_file = a.txt\n");
	ck_assert_int_eq(hs("sim %s --duration 1s --out %s", at("s.ini"), at("r")),
			 CLI_INPUT);
	ck_assert_msg(strstr(out, "a.txt:1: line longer"), "%s", out);
	/* more tenants than SCENARIO_TENANTS_MAX */
	FILE *f = fopen(at("many.ini"), "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i <= SCENARIO_TENANTS_MAX; i++)
		fprintf(f, "[tenant t%d]\ntrace = t.csv\narrival = closed\n", i);
	fclose(f);
	ck_assert_ptr_null(scenario_load(at("many.ini"), err, sizeof(err)));
	ck_assert_msg(strstr(err, "more than 1024 tenants"), "%s", err);
}
END_TEST

/* A closed-loop tenant with a tiny trace brings requests at GPU speed:
 * the run stops at SCENARIO_REQUESTS_MAX with a message instead of eating
 * memory (about 1 GB would be needed beyond it). */
START_TEST(test_request_cap)
{
	struct run_result r;
	ck_assert_int_eq(run_result_init(&r, 1), 0);
	struct req_record q = { 0 };
	r.nreq_all = SCENARIO_REQUESTS_MAX - 1;
	ck_assert_int_eq(run_result_add_req(&r, 0, &q), HS_OK);
	ck_assert_int_eq(run_result_add_req(&r, 0, &q), SCENARIO_ELIMIT);
	ck_assert_ptr_nonnull(strstr(hs_strerror(SCENARIO_ELIMIT), "SCENARIO_REQUESTS_MAX"));
	run_result_release(&r);
}
END_TEST

/* ---- exit statuses a script can tell apart -------------------------------- */
START_TEST(test_exit_statuses)
{
	put("t.csv", CANON_HDR "0,0,kernel,k,0,0,0,1000000,1,1,1,1,1,1,0,0,0\n");
	put("pass.ini", "[scenario]\nduration = 100ms\n[tenant a]\ntrace = t.csv\n"
	    "arrival = periodic\nrate = 10\n[verdict]\na.p99_ms_max = 1000\n");
	put("fail.ini", "[scenario]\nduration = 100ms\n[tenant a]\ntrace = t.csv\n"
	    "arrival = periodic\nrate = 10\n[verdict]\na.p99_ms_max = 0.001\n");
	put("bad.ini", "[tenant a]\ntrace = t.csv\narrival = sometimes\n");
	ck_assert_int_eq(hs("sim %s --out %s", at("pass.ini"), at("r1")), CLI_OK);
	ck_assert_int_eq(hs("sim %s --out %s", at("fail.ini"), at("r2")), CLI_FAIL);
	ck_assert_ptr_nonnull(strstr(out, "overall: FAIL"));
	ck_assert_int_eq(hs("sim %s --frobnicate", at("pass.ini")), CLI_USAGE);
	ck_assert_int_eq(hs("sim %s --seed x", at("pass.ini")), CLI_USAGE);
	ck_assert_int_eq(hs("sim %s --policy nope", at("pass.ini")), CLI_USAGE);
	ck_assert_int_eq(hs("sim %s", at("bad.ini")), CLI_INPUT);
	ck_assert_int_eq(hs("sim %s", at("missing.ini")), CLI_INPUT);
	ck_assert_int_eq(hs("trace info %s", at("bad.ini")), CLI_INPUT);
	ck_assert_int_eq(hs("compare %s %s", at("r1"), at("nope")), CLI_INPUT);
	ck_assert_int_eq(hs("compare %s %s", at("r1"), at("r2")), CLI_OK);
	/* run errors: the output cannot be written */
	ck_assert_int_eq(hs("trace import %s -o /nonexistent/dir/x.csv", at("t.csv")),
			 CLI_RUN);
	ck_assert_int_eq(hs("trace export %s -o /nonexistent/dir/x.json", at("t.csv")),
			 CLI_RUN);
	chmod(dir, 0500);
	if (access(at("x"), F_OK) != 0 && geteuid() != 0)   /* root ignores modes */
		ck_assert_int_eq(hs("sim %s --out %s", at("pass.ini"), at("r3")), CLI_RUN);
	chmod(dir, 0700);
	ck_assert_int_eq(hs("hw --help"), CLI_OK);
	if (strstr(out, "compiled in: none"))
		ck_assert_int_eq(hs("hw %s", at("pass.ini")), CLI_RUN);
	ck_assert_int_eq(hs("sim --help"), CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "130/143"));
}
END_TEST

/* ---- signals ---------------------------------------------------------------- */
/* Starts `hipsched sim` of an hour of dual_resnet (tens of seconds of
 * work), sends sig after delay_ms, returns the exit status (minus the
 * signal if one killed it: the command must exit by itself, cleaned up)
 * and the seconds it took to end. */
static int interrupted_sim(int sig, int delay_ms, double *secs)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(bin(), bin(), "sim", "scenarios/dual_resnet.ini", "--duration",
		      "3600s", "--timeline", "--out", at("run"), (char *)NULL);
		_exit(127);
	}
	struct timespec d = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
	nanosleep(&d, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(kill(pid, sig), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

START_TEST(test_sigint_sim)
{
	double secs;
	/* early (standalone runs) and later (the native run) */
	ck_assert_int_eq(interrupted_sim(SIGINT, 300, &secs), 130);
	ck_assert_double_lt(secs, 2.0);
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
	ck_assert_int_eq(access(at("run"), F_OK), -1);
	ck_assert_int_eq(interrupted_sim(SIGINT, 1500, &secs), 130);
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
	ck_assert_int_eq(access(at("run"), F_OK), -1);
}
END_TEST

START_TEST(test_sigterm_sim)
{
	double secs;
	ck_assert_int_eq(interrupted_sim(SIGTERM, 500, &secs), 143);
	ck_assert_double_lt(secs, 2.0);
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
	ck_assert_int_eq(access(at("run"), F_OK), -1);
}
END_TEST

/* A previous run directory survives an interrupted run unchanged. */
START_TEST(test_signal_keeps_previous_run)
{
	ck_assert_int_eq(hs("sim scenarios/dual_resnet.ini --duration 1s --out %s",
			    at("run")), 0);
	struct stat a, b;
	ck_assert_int_eq(stat(at("run/summary.json"), &a), 0);
	double secs;
	ck_assert_int_eq(interrupted_sim(SIGINT, 400, &secs), 130);
	ck_assert_int_eq(stat(at("run/summary.json"), &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(count_named(dir, ".tmp."), 0);
	ck_assert_int_eq(count_named(dir, ".old."), 0);
}
END_TEST

Suite *reliab_suite(void)
{
	Suite *s = suite_create("reliab");
	TCase *tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_nsys_overflow);
	tcase_add_test(tc, test_kineto_overflow);
	tcase_add_test(tc, test_canonical_limits);
	tcase_add_test(tc, test_overflow_fixtures);
	tcase_add_test(tc, test_summary_saturates);
	tcase_add_test(tc, test_scaled_options);
	tcase_add_test(tc, test_empty_canonical);
	tcase_add_test(tc, test_import_onto_input);
	tcase_add_test(tc, test_rundir_holds_input);
	tcase_add_test(tc, test_bad_out_and_duration);
	tcase_add_test(tc, test_directory_inputs);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_request_cap);
	tcase_add_test(tc, test_exit_statuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("signals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sigint_sim);
	tcase_add_test(tc, test_sigterm_sim);
	tcase_add_test(tc, test_signal_keeps_previous_run);
	suite_add_tcase(s, tc);
	return s;
}
