/* The driver of the plan's tests on real applications
 * (hw/bench/pytorch_plan.py) run end to end on the CPU, with the stand-in
 * application tests/fixtures/plan/plan_app.py (the same harness as
 * pytorch_app.py, hw/bench/app_loop.py, sleeping instead of running a
 * model) under the real `hipsched serve` and `hipsched run`: the table,
 * the verdict, the run directory `compare` reads, policy variants, and the
 * fault runs (the server or an application SIGKILLed mid-window); and
 * the interleaved overhead measurement (hw/bench/overhead_turns.py). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "serve/serve.h"
#include "test_util.h"

static char dir[256];
static char out[1 << 20];

/* pytorch_plan.py dual, 2 s per mode, with EXTRA; its exit status. */
static int plan(const char *extra)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "python3 hw/bench/pytorch_plan.py dual --duration 2 "
		 "--app tests/fixtures/plan/plan_app.py --hipsched %s "
		 "--param linger=0.2 --out %s/run %s", test_bin(), dir, extra);
	return test_run(cmd, out, sizeof(out));
}

static json_t *summary(const char *policy)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/run/%s/summary.json", dir, policy);
	return test_json_load(p);
}

/* policy's requests.csv holds each of the n strings. */
static void requests_have(const char *policy, const char *const *want, size_t n)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/run/%s/requests.csv", dir, policy);
	char *csv = test_slurp(p, NULL);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strstr(csv, want[i]) != NULL, "%s: no '%s'", p, want[i]);
	free(csv);
}

static json_t *tenant(json_t *s, const char *name)
{
	return test_json_find(json_object_get(s, "tenants"), "name", name);
}

START_TEST(test_plan_dual_and_variant)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	/* 0 or 1: the verdict on the stand-in's timing depends on how loaded
	 * the machine is; what is checked here is everything else */
	int rc = plan("--variant hpf_t4=hpf:lp:--threshold=4,lp:--priority=2,param:linger=0.5");
	ck_assert_msg(rc == 0 || rc == 1, "exit %d:\n%s", rc, out);
	ck_assert_msg(strstr(out, "processes of plan_app.py, 2 s per mode, "
			     "policies hpf,hpf_t4") != NULL, "exit %d:\n%s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "outputs bitwise equal to native (hpf): True"));
	ck_assert_ptr_nonnull(strstr(out, "outputs bitwise equal to native (hpf_t4): True"));
	/* the library's own time from each process's statistics (the
	 * stand-in writes 2 us a command) */
	ck_assert_msg(strstr(out, "library host time (hpf, hp): 2.00 us a command, ") &&
		      strstr(out, "library host time (hpf_t4, lp): 2.00 us a command, "), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "  hp.p99_vs_standalone_max             measured "));
	ck_assert_ptr_nonnull(strstr(out, "p99/alone, 95% interval (requests resampled): hp native "));
	ck_assert_ptr_nonnull(strstr(out, rc ? "overall: FAIL" : "overall: PASS"));
	/* every mode's row, for both tenants */
	const char *rows[] = { "hp           10 standalone", "hp           10 native",
			       "hp           10 hpf ", "hp           10 hpf_t4",
			       "lp            1 standalone", "lp            1 hpf_t4" };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(strstr(out, rows[i]) != NULL, "no row '%s' in:\n%s", rows[i], out);
	for (int k = 0; k < 2; k++) {
		json_t *s = summary(k ? "hpf_t4" : "hpf");
		const char *v = json_string_value(json_object_get(s, "verdict"));
		ck_assert(v && (!strcmp(v, "PASS") || !strcmp(v, "FAIL")));
		json_t *hp = tenant(s, "hp"), *lp = tenant(s, "lp");
		ck_assert_ptr_nonnull(hp);
		ck_assert_ptr_nonnull(lp);
		/* 10/s for 2 s; the stand-in's lp is a closed loop of ~4 ms */
		ck_assert_int_eq(json_integer_value(json_object_get(hp, "completed")), 20);
		ck_assert_int_gt(json_integer_value(json_object_get(lp, "completed")), 100);
		ck_assert_ptr_nonnull(json_object_get(hp, "standalone"));
		json_t *lib = json_object_get(hp, "library");
		ck_assert_double_eq_tol(json_real_value(json_object_get(lib, "us_per_command")),
					2.0, 1e-9);
		ck_assert_int_gt(json_integer_value(json_object_get(lib, "commands")), 0);
		/* the stand-in's first request on a thread sleeps 40 ms (PyTorch's
		 * per-thread handles): the warm-up ran on the window's thread, so
		 * no measured request paid it */
		json_t *al = json_object_get(json_object_get(hp, "standalone"), "latency_ms");
		ck_assert_msg(json_real_value(json_object_get(al, "max")) < 30.0,
			      "hp alone max %.1f ms", json_real_value(json_object_get(al, "max")));
		ck_assert_ptr_nonnull(json_object_get(hp, "p99_vs_standalone"));
		/* a bootstrap interval (test_plan_p99_ci pins its figures); raw
		 * latencies are not written out */
		json_t *ci = json_object_get(hp, "p99_vs_standalone_ci95");
		double r = json_real_value(json_object_get(hp, "p99_vs_standalone"));
		ck_assert_int_eq(json_array_size(ci), 2);
		ck_assert_msg(json_real_value(json_array_get(ci, 0)) > 0 &&
			      json_real_value(json_array_get(ci, 0)) <=
			      json_real_value(json_array_get(ci, 1)), "ratio %g: bad interval", r);
		ck_assert_ptr_null(json_object_get(hp, "_lat"));
		ck_assert_ptr_null(json_object_get(json_object_get(hp, "native"), "_lat"));
		ck_assert_ptr_null(json_object_get(lp, "p99_vs_standalone_ci95"));   /* no SLO */
		/* the server answered its status: its figures are there */
		ck_assert(json_is_object(json_object_get(s, "server")));
		/* the priority the window ran lp at: the variant's override */
		ck_assert_int_eq(json_integer_value(json_object_get(lp, "priority")), k ? 2 : 1);
		json_decref(s);
	}
	/* the variant's server got its own parameter and the tenant its own
	 * threshold; the plain run did not */
	char p[512];
	snprintf(p, sizeof(p), "%s/run/raw/hpf_t4/serve.log", dir);
	char *log = test_slurp(p, NULL);
	ck_assert_ptr_nonnull(strstr(log, "policy hpf (linger=0.2, linger=0.5) on "));   /* the last wins */
	free(log);
	snprintf(p, sizeof(p), "%s/run/raw/hpf/serve.log", dir);
	log = test_slurp(p, NULL);
	ck_assert_ptr_null(strstr(log, "linger=0.5"));
	free(log);
	/* the window's server events (the stand-ins join no server: no
	 * client, no request saw a resume) */
	ck_assert_msg(strstr(out, "server events (hpf): ; requests with another process resumed "
			      "while they ran: hp 0 of 19") != NULL, "%s", out);
	char cmd[1024];
	/* requests.csv: every mode's rows */
	const char *want[] = { "\nhp,standalone,0,", "\nlp,native,0,", "\nhp,policy,19," };
	requests_have("hpf", want, 3);
	/* plan_ci.py reads it back: the policy rows against standalone's */
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/plan_ci.py %s/run/hpf/requests.csv --skip-first", dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nhp         policy             19 ") != NULL, "%s", out);
	/* --by-round: one round, so no interval over rounds */
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/plan_ci.py %s/run/hpf/requests.csv --skip-first "
		 "--by-round", dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nhp         policy            1 ") != NULL &&
		      strstr(out, "  -  ") != NULL, "%s", out);
	snprintf(p, sizeof(p), "%s/bad.csv", dir);
	test_write_file(p, "tenant,mode,request,arrival_ns,start_ns,end_ns,latency_ns,round\n"
		      "hp,standalone,0,0,1,2,x,1\n");
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/plan_ci.py %s", p);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "bad.csv:2: not a row of pytorch_plan.py's requests.csv") != NULL, "%s", out);
	test_rmtree(dir);
}
END_TEST

/* serve_events.py on a hand-built window: hp's idle gaps (server's and
 * client's clocks) against a 0.2 ms linger, lp's decisions by their call,
 * one timer resume made while hp's LOAD ending the gap was on its way, and
 * hp's requests matched with the resumes made while they ran. */
/* hw/bench/hostcost.py on a hand-built hostcost directory: closed-loop
 * rate from each run's span, its ratio to the first mode per round, open
 * P50 / P99 pooled without each run's first request, the library's
 * figures per command and per request; a bad CSV is named with its line. */
START_TEST(test_hostcost_py)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	char p[512], cmd[1024];
	const char *hdr = "tenant,request,arrival_ns,start_ns,end_ns,latency_ns\n";
	for (int r = 1; r <= 2; r++) {
		static const char *const modes[] = { "native", "hpf" };
		for (int m = 0; m < 2; m++) {
			char body[512];
			/* 3 requests over 1 s (native) or 2 s (hpf) */
			snprintf(body, sizeof(body), "%sx,0,0,0,1000,1000\nx,1,0,0,1000,1000\n"
				 "x,2,0,0,%d000000000,1000\n", hdr, m + 1);
			snprintf(p, sizeof(p), "%s/hc_%s_%d_closed.csv", dir, modes[m], r);
			test_write_file(p, body);
			snprintf(body, sizeof(body), "%sx,0,0,0,0,9000000\nx,1,0,0,0,%d000000\n"
				 "x,2,0,0,0,%d000000\nx,3,0,0,0,%d000000\n", hdr, 1 + m, 2 + m, 3 + m);
			snprintf(p, sizeof(p), "%s/hc_%s_%d_open.csv", dir, modes[m], r);
			test_write_file(p, body);
		}
		snprintf(p, sizeof(p), "%s/hc_hpf_%d_open.shim.json", dir, r);
		test_write_file(p, "{\"poller\": {\"rounds\": 20, \"queries\": 30, \"kicks\": 4},"
				" \"queues\": [{\"commands\": 60, \"own_ns\": 90000, \"records\": 6},"
				" {\"commands\": 40, \"own_ns\": 60000, \"records\": 4}]}\n");
	}
	snprintf(p, sizeof(p), "%s/hc_modes.txt", dir);
	test_write_file(p, "native\nhpf\n");
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/hostcost.py %s --json %s/o.json", dir, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nnative                 2           2.0  1.000       6   2.000   3.000 ") &&
		      strstr(out, "\nhpf                    2           1.0  0.500       6   3.000   4.000 "
			     "        1.50        25          2.5              5.0          7.5        1.0\n"),
		      "%s", out);
	snprintf(p, sizeof(p), "%s/o.json", dir);
	json_t *j = json_load_file(p, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(j, 1),
								"own_us_per_command")), 1.5, 1e-9);
	json_decref(j);
	snprintf(p, sizeof(p), "%s/hc_hpf_2_open.csv", dir);
	test_write_file(p, "tenant,request,arrival_ns,start_ns,end_ns,latency_ns\nx,0,0,0,0,9\nx,1,0,0,0,z\n");
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/hostcost.py %s", dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "hc_hpf_2_open.csv:3: latency_ns 'z' is not an integer"), "%s", out);
}
END_TEST

/* hw/bench/overhead_turns.py with the stand-in: three modes of two
 * processes each take 0.3 s turns for 3 rounds; a mode whose requests
 * sleep 2 ms (against the stand-in's 4.2 ms at batch 32) runs at about
 * twice the reference's rate, one with only an empty LD_PRELOAD at about
 * the reference's; a process that dies before it is ready fails the run. */
START_TEST(test_overhead_turns_py)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	char cmd[1024], p[512];
	const char *base = "python3 hw/bench/overhead_turns.py --app tests/fixtures/plan/plan_app.py "
			   "--procs 2 --rounds 3 --turn-s 0.3";
	snprintf(cmd, sizeof(cmd), "%s --mode a --mode fast:PLAN_APP_STEP_MS=2 --mode same:LD_PRELOAD= "
		 "--out %s/t -- --model resnet50 --batch 32 --warmup 3", base, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "ratios to a over 2 rounds (the first 1 left out); outputs bitwise equal"),
		      "%s", out);
	snprintf(p, sizeof(p), "%s/t/turns.csv", dir);
	char *csv = test_slurp(p, NULL);
	int rows = 0;
	for (char *c = csv; (c = strchr(c, '\n')) != NULL; c++)
		rows++;
	ck_assert_int_eq(rows, 1 + 3 * 6);
	ck_assert_ptr_nonnull(strstr(csv, "round,slot,mode,process,requests,elapsed_ns,rate_rps\n1,0,a,a_0,"));
	ck_assert_ptr_nonnull(strstr(csv, "\n2,0,a,a_1,"));	/* rotated */
	free(csv);
	snprintf(p, sizeof(p), "%s/t/summary.json", dir);
	json_t *s = test_json_load(p);
	json_t *m = json_object_get(s, "modes");
	double ra = json_real_value(json_object_get(json_object_get(m, "a"), "ratio_median"));
	double rf = json_real_value(json_object_get(json_object_get(m, "fast"), "ratio_median"));
	double rs = json_real_value(json_object_get(json_object_get(m, "same"), "ratio_median"));
	ck_assert_double_eq_tol(ra, 1.0, 1e-12);
	ck_assert_msg(rf > 1.5 && rf < 2.5, "fast %g", rf);
	ck_assert_msg(rs > 0.8 && rs < 1.25, "same %g", rs);
	ck_assert(json_is_true(json_object_get(s, "outputs_equal")));
	/* the library's statistics of same_0 and same_1 summed: the stand-in's
	 * 10 commands of 2 us a request */
	json_t *lib = json_object_get(json_object_get(m, "same"), "library");
	json_int_t cmds = json_integer_value(json_object_get(lib, "commands"));
	ck_assert_int_gt(cmds, 10 * 20);
	ck_assert_int_eq(json_integer_value(json_object_get(lib, "own_ns")), 2000 * cmds);
	ck_assert_ptr_null(json_object_get(json_object_get(m, "a"), "library"));
	json_decref(s);
	snprintf(cmd, sizeof(cmd), "%s --mode a --mode bad:PLAN_APP_STEP_MS=x --out %s/f -- --model resnet50 "
		 "--batch 32 --warmup 3", base, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "overhead_turns: bad_0: ended (exit 1; see bad_0.log)"), "%s", out);
	snprintf(cmd, sizeof(cmd), "%s --mode a --mode a --out %s/f", base, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "--mode: a mode name given twice"));
	snprintf(cmd, sizeof(cmd), "%s --mode a:X --out %s/f", base, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "'X' is not VAR=V"));
	snprintf(cmd, sizeof(cmd), "%s --mode a --ref b --out %s/f", base, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "--ref b: not a --mode"));
	test_rmtree(dir);
}
END_TEST

START_TEST(test_serve_events_py)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	char ev[256], app[256], cmd[1024], js[256];
	snprintf(ev, sizeof(ev), "%s/events.csv", dir);
	test_write_file(ev, HS_EVENTS_HEADER
			"10000000,ready,lp,0,1,0,9900000,,,\n"
			"20000000,ready,hp,0,1,0,19990000,,,\n"
			"20010000,suspend,lp,0,,,,ready,hp,0\n"
			"21000000,idle,hp,0,0,0,20990000,,,\n"
			"21100000,ready,hp,0,1,0,21090000,,,\n"      /* 100 us */
			"22000000,idle,hp,0,0,0,21990000,,,\n"
			"22200000,timer,,,,,,,,\n"
			"22200500,resume,lp,0,,,,timer,,\n"
			"22300000,ready,hp,0,2,0,22150000,,,\n"      /* 300 us; sent 160 us */
			"22300100,suspend,lp,0,,,,ready,hp,0\n"
			"23000000,idle,hp,0,0,0,22990000,,,\n"
			"23500000,timer,,,,,,,,\n"
			"23500100,resume,lp,0,,,,timer,,\n"
			"30000000,ready,hp,0,1,0,29999000,,,\n"      /* 7 ms */
			"31000000,idle,hp,0,0,0,30990000,,,\n");
	snprintf(app, sizeof(app), "%s/hp.csv", dir);
	test_write_file(app, "tenant,request,arrival_ns,start_ns,end_ns,latency_ns\n"
			"hp,0,1000000,1000000,2000000,1000000\n"
			"hp,1,19900000,19900000,23100000,3200000\n"
			"hp,2,29900000,29900000,31100000,1200000\n");
	snprintf(js, sizeof(js), "%s/hp.csv.json", dir);
	test_write_file(js, "{\"t0_ns\": 0}\n");
	/* lp's requests: 1 runs through its first suspension, 2 after the
	 * second, 3 between the two */
	char lpapp[256];
	snprintf(lpapp, sizeof(lpapp), "%s/lp.csv", dir);
	test_write_file(lpapp, "tenant,request,arrival_ns,start_ns,end_ns,latency_ns\n"
			"lp,0,0,0,5000000,5000000\n"
			"lp,1,19000000,19000000,21000000,2000000\n"
			"lp,2,24000000,24000000,25000000,1000000\n"
			"lp,3,22250000,22250000,22280000,30000\n");
	snprintf(js, sizeof(js), "%s/lp.csv.json", dir);
	test_write_file(js, "{\"t0_ns\": 0}\n");
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/serve_events.py %s --app %s --app %s "
		 "--json %s/o.json --perfetto %s/w.json", ev, app, lpapp, dir, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nhp                4        3          2          1 ") &&
		      strstr(out, "\nlp                1        0          0          0 ") &&
		      strstr(out, "suspend ready 2, resume timer 2") &&
		      strstr(out, "on its way: 1\n") &&
		      strstr(out, "hp.csv: 2 requests (request 0 left out), 1 with another process "
			     "resumed while it ran (1.0 times each on average); latency P50 / "
			     "P99 ms: those 3.200 / 3.200, the others 1.200 / 1.200") &&
		      strstr(out, "lp.csv: 3 requests (request 0 left out), 0 with another "
			     "process resumed") &&
		      strstr(out, "lp.csv: lp suspended 2 times, 16.1 % of the events' span; 1 of "
			     "its 3 requests ran through a suspension; latency P50 / P90 ms: those "
			     "2.000 / 2.000, the others 0.515 / 0.903"), "%s", out);
	snprintf(js, sizeof(js), "%s/o.json", dir);
	json_t *j = json_load_file(js, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_t *hp = json_object_get(json_object_get(j, "clients"), "hp");
	ck_assert_int_eq(json_integer_value(json_object_get(hp, "gaps_over_linger")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_object_get(hp, "gap_ms"),
								"p50")), 0.3, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "late_timer_resumes")), 1);
	json_decref(j);
	/* the Perfetto trace: lp's two suspensions, hp's four busy periods,
	 * both timers, every request; no event before the trace's start */
	snprintf(js, sizeof(js), "%s/w.json", dir);
	j = json_load_file(js, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_t *te = json_object_get(j, "traceEvents");
	int nsus = 0, nbusy_hp = 0, ntimer = 0, nreq = 0;
	for (size_t i = 0; i < json_array_size(te); i++) {
		json_t *e = json_array_get(te, i);
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *nm = json_string_value(json_object_get(e, "name"));
		ck_assert(ph && nm && json_is_integer(json_object_get(e, "pid")) &&
			  json_is_integer(json_object_get(e, "tid")));
		if (ph[0] == 'M')
			continue;
		ck_assert(json_number_value(json_object_get(e, "ts")) >= 0);
		nsus += !strcmp(nm, "suspended");
		nbusy_hp += !strcmp(nm, "busy") && json_integer_value(json_object_get(e, "pid")) == 1;
		ntimer += !strcmp(nm, "timer");
		nreq += !strncmp(nm, "request ", 8);
	}
	ck_assert_int_eq(nsus, 2);
	ck_assert_int_eq(nbusy_hp, 4);
	ck_assert_int_eq(ntimer, 2);
	ck_assert_int_eq(nreq, 7);
	json_decref(j);
	/* a linger of 0.5 ms: one gap over it */
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/serve_events.py %s --linger 0.5", ev);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nhp                4        3          1          1 "), "%s", out);
	/* malformed input: file:line */
	snprintf(ev, sizeof(ev), "%s/bad.csv", dir);
	test_write_file(ev, HS_EVENTS_HEADER "1,ready,hp,0,1,0\n");
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/serve_events.py %s", ev);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "bad.csv:2: 6 fields, expected 10") != NULL, "%s", out);
	test_write_file(ev, "a,b\n");
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "bad.csv:1: not a hipsched serve --events file") != NULL,
		      "%s", out);
	test_rmtree(dir);
}
END_TEST

/* SIGKILL the server 0.8 s into the window: both applications go on
 * (unscheduled) to the end of it with native's outputs; or SIGKILL hp: lp
 * goes on. */
START_TEST(test_plan_faults)
{
	const char *who[] = { "server", "hp" };
	for (int k = 0; k < 2; k++) {
		test_mkdtemp(dir, sizeof(dir), "check_plan");
		char extra[64];
		snprintf(extra, sizeof(extra), "--modes standalone,native,policy --kill %s@0.8",
			 who[k]);
		int rc = plan(extra);
		ck_assert_msg(rc == 0, "--kill %s: exit %d:\n%s", who[k], rc, out);
		char line[96];
		snprintf(line, sizeof(line), "hpf: killed %s (SIGKILL) 0.8 s into the window",
			 who[k]);
		ck_assert_msg(strstr(out, line) != NULL, "no '%s' in:\n%s", line, out);
		ck_assert_ptr_nonnull(strstr(out, "PASS  survivors' outputs equal native's"));
		ck_assert_ptr_nonnull(strstr(out, "PASS  lp.throughput_after_kill_rps_min"));
		json_t *s = summary("hpf");
		ck_assert_str_eq(json_string_value(json_object_get(s, "verdict")), "PASS");
		json_t *lp = tenant(s, "lp");
		ck_assert_ptr_nonnull(lp);
		/* lp ran on after the kill at most of its standalone rate */
		double after = json_real_value(json_object_get(lp, "throughput_after_kill_rps"));
		double alone = json_real_value(json_object_get(json_object_get(lp, "standalone"),
							       "throughput_rps"));
		ck_assert_msg(after > 0.5 * alone, "lp after the kill %.1f/s, alone %.1f/s",
			      after, alone);
		ck_assert((tenant(s, "hp") != NULL) == (k == 0));
		json_decref(s);
		test_rmtree(dir);
	}
}
END_TEST

/* A baseline that cannot hold (the online model misses its SLO alone:
 * every request of the stand-in takes 60 ms against hp's 50 ms) makes the
 * verdict INVALID, exit 3, whatever the ratios say. */
START_TEST(test_plan_invalid_baseline)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	setenv("PLAN_APP_STEP_MS", "60", 1);
	int rc = plan("--modes standalone,native,policy");
	unsetenv("PLAN_APP_STEP_MS");
	ck_assert_msg(rc == 3, "exit %d:\n%s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "baseline INVALID: hp alone met its SLO in 0.0% "
				     "of requests"));
	ck_assert_ptr_nonnull(strstr(out, "overall: INVALID (baseline)"));
	json_t *s = summary("hpf");
	ck_assert_str_eq(json_string_value(json_object_get(s, "verdict")), "INVALID");
	ck_assert_int_eq(json_array_size(json_object_get(s, "baseline_invalid")), 1);
	json_decref(s);
	test_rmtree(dir);
}
END_TEST

/* --rounds 2: every window twice, interleaved (raw folders _r1, _r2);
 * figures over both pooled, a per-round table, each round in the
 * summary and in requests.csv. */
START_TEST(test_plan_rounds)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	int rc = plan("--rounds 2 --modes standalone,solo,native,policy");
	ck_assert_msg(rc == 0 || rc == 1, "exit %d:\n%s", rc, out);
	/* solo: hp (the online tenant) alone under the server, after its
	 * standalone row; lp (no SLO) has none */
	ck_assert_msg(strstr(out, "\nhp           10 standalone ") &&
		      strstr(strstr(out, "\nhp           10 standalone "),
			     "\nhp           10 solo             40 ") &&
		      !strstr(out, "\nlp            1 solo "), "%s", out);
	ck_assert_msg(strstr(out, "2 s per mode, 2 rounds pooled, policies hpf") != NULL,
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "round  solo           native         hpf"));
	ck_assert_ptr_nonnull(strstr(out, "\n    1  "));
	ck_assert_ptr_nonnull(strstr(out, "\n    2  "));
	ck_assert_ptr_nonnull(strstr(out, "outputs bitwise equal to native (hpf): True"));
	json_t *s = summary("hpf");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "rounds")), 2);
	json_t *hp = tenant(s, "hp"), *lp = tenant(s, "lp");
	/* 10/s for 2 s, twice */
	ck_assert_int_eq(json_integer_value(json_object_get(hp, "completed")), 40);
	ck_assert_int_eq(json_integer_value(json_object_get(
		json_object_get(hp, "standalone"), "completed")), 40);
	json_t *pr = json_object_get(hp, "per_round");
	ck_assert_int_eq((int)json_array_size(pr), 2);
	/* pooled req/s: both windows' requests over both windows' time */
	double sum = 0;
	for (size_t k = 0; k < 2; k++)
		sum += json_real_value(json_object_get(json_array_get(
			json_object_get(lp, "per_round"), k), "throughput_rps"));
	ck_assert_double_eq_tol(json_real_value(json_object_get(lp, "throughput_rps")),
				sum / 2, 1e-9);
	json_decref(s);
	/* each round's raw folder, with its tenants' rows */
	const char *files[] = { "standalone_hp_r1/hp", "standalone_lp_r2/lp", "native_r2/lp",
				"hpf_r1/hp", "hpf_r2/lp", "solo_hp_r2/hp", "solo_hp_r1/events" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/run/raw/%s.csv", dir, files[i]);
		ck_assert_msg(access(p, R_OK) == 0, "no %s", p);
	}
	const char *want[] = { "latency_ns,round\n", "\nhp,policy,19,", ",1\n", ",2\n" };
	requests_have("hpf", want, 4);
	test_rmtree(dir);
}
END_TEST

/* A bad --variant, --kill or --rounds is refused before anything runs. */
/* p99_ci on hand-built samples: equal ones give an interval about 1,
 * doubled ones about 2, and one slow request in a hundred (a window's cold
 * first request) an interval from 1 to its 30x: its P99 is that request. */
START_TEST(test_plan_p99_ci)
{
	int rc = test_run("cd hw/bench && python3 -c 'import pytorch_plan as p\n"
			  "u = list(range(1, 101))\n"
			  "for l, b in ((u, u), ([2 * x for x in u], u), ([1.0] * 99 + [30.0], [1.0] * 100)):\n"
			  "    print(\"%.3f %.3f\" % tuple(p.p99_ci(l, b, 1)))\n"
			  "print(p.p99_ci([1.0], u, 1))'", out, sizeof(out));
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	double v[6];
	char none[8];
	ck_assert_int_eq(sscanf(out, "%lf %lf %lf %lf %lf %lf %7s", &v[0], &v[1], &v[2],
				&v[3], &v[4], &v[5], none), 7);
	ck_assert(v[0] > 0.9 && v[0] < 1.0 && v[1] > 1.0 && v[1] < 1.1);
	ck_assert(v[2] > 1.8 && v[2] < 2.0 && v[3] > 2.0 && v[3] < 2.2);
	ck_assert(v[4] == 1.0 && v[5] == 30.0);
	ck_assert_str_eq(none, "None");   /* too few requests for an interval */
}
END_TEST

/* --rounds 3 --until-decided: a policy window whose requests all take
 * 50 ms (the variant's env) against ~1.3 ms alone is decided after one
 * round: its interval lies far above the 1.10 bar. */
START_TEST(test_plan_until_decided)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	int rc = plan("--rounds 3 --until-decided --policies= "
		      "--variant slow=hpf:env:PLAN_APP_STEP_MS=50");
	ck_assert_msg(rc == 1, "exit %d:\n%s", rc, out);
	ck_assert_msg(strstr(out, "decided after round 1 of at most 3\n") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "2 s per mode, policies slow"));
	json_t *s = summary("slow");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "rounds")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(tenant(s, "hp"), "completed")), 20);
	json_decref(s);
	test_rmtree(dir);
}
END_TEST

START_TEST(test_plan_bad_args)
{
	test_mkdtemp(dir, sizeof(dir), "check_plan");
	ck_assert_int_eq(plan("--variant x=hpf:nobody:--threshold=4"), 2);
	ck_assert_ptr_nonnull(strstr(out, "is not TENANT:ARG with a tenant of hp,lp"));
	ck_assert_int_eq(plan("--variant =hpf"), 2);
	ck_assert_ptr_nonnull(strstr(out, "not LABEL=POLICY:TENANT:ARG"));
	ck_assert_int_eq(plan("--rounds 0"), 2);
	ck_assert_ptr_nonnull(strstr(out, "--rounds 0: expected 1 or more"));
	ck_assert_int_eq(plan("--rounds 2 --kill server@0.5"), 2);
	ck_assert_ptr_nonnull(strstr(out, "--kill runs one round"));
	ck_assert_int_eq(plan("--until-decided"), 2);
	ck_assert_ptr_nonnull(strstr(out, "--until-decided: give the most rounds with --rounds N"));
	ck_assert_int_eq(plan("--kill nobody@0.5 --modes policy"), 1);
	ck_assert_ptr_nonnull(strstr(out, "--kill nobody: no such process"));
	test_rmtree(dir);
}
END_TEST

Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *t = tcase_create("plan");
	tcase_set_timeout(t, 240);
	tcase_add_test(t, test_plan_dual_and_variant);
	tcase_add_test(t, test_plan_faults);
	tcase_add_test(t, test_plan_bad_args);
	tcase_add_test(t, test_plan_p99_ci);
	tcase_add_test(t, test_serve_events_py);
	tcase_add_test(t, test_hostcost_py);
	tcase_add_test(t, test_overhead_turns_py);
	tcase_add_test(t, test_plan_until_decided);
	tcase_add_test(t, test_plan_invalid_baseline);
	tcase_add_test(t, test_plan_rounds);
	suite_add_tcase(s, t);
	return s;
}
