/*
 * analysis/ and the run driver, against a fake run_fn whose request records
 * are known, so every metric can be computed by hand:
 *
 *   tenant hp (periodic, 10 requests at 0, 100, ..., 900 ms, SLO 50 ms)
 *     standalone: latency 10 ms      native: 40 / 60 ms alternating
 *     policy:     latency 10.5 ms
 *   tenant lp (closed loop, back to back, 1 s window)
 *     standalone: 100 ms each -> 10 done    native: 120 ms -> 8 done, 1 cut
 *     policy:     250 ms each -> 4 done
 *   GPU busy: native 0.9 s, policy 0.8 s
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis.h"
#include "cli.h"
#include "sim.h"

#define FIX "tests/fixtures/scenarios/"
#define MS 1000000LL

static int fake_fail;              /* fail the native run */

static int fake_run(const struct scenario *sc, const struct run_opts *o,
		    struct run_result *res, char *err, size_t errlen)
{
	int standalone = o->active != NULL;
	int native = !standalone && strcmp(o->policy, "native") == 0;
	if (native && fake_fail) {
		snprintf(err, errlen, "fake failure");
		return HS_EINVAL;
	}
	hs_ns d = o->duration_ns > 0 ? o->duration_ns : sc->duration_ns;
	ck_assert_int_eq(run_result_init(res, sc->ntenants), 0);
	snprintf(res->backend, sizeof(res->backend), "fake");
	snprintf(res->policy, sizeof(res->policy), "%s", o->policy);
	snprintf(res->mode, sizeof(res->mode), "%s", o->mode);
	res->seed = o->seed;
	res->duration_ns = d;
	for (size_t ti = 0; ti < sc->ntenants; ti++) {
		if (o->active && !o->active[ti])
			continue;
		for (int64_t k = 0;; k++) {
			struct req_record r = { .request = k };
			if (ti == 0) {
				r.arrival_ns = k * 100 * MS;
				hs_ns lat = standalone ? 10 * MS : native ?
					    (k % 2 ? 60 : 40) * MS : 10 * MS + MS / 2;
				r.start_ns = r.arrival_ns;
				r.end_ns = r.arrival_ns + lat;
			} else {
				hs_ns l = standalone ? 100 * MS : native ? 120 * MS : 250 * MS;
				r.arrival_ns = r.start_ns = k * l;
				r.end_ns = r.arrival_ns + l;
				if (r.end_ns > d)
					r.end_ns = -1;
			}
			if (r.arrival_ns >= d)
				break;
			ck_assert_int_eq(run_result_add_req(res, ti, &r), 0);
			res->kernels_simulated += 100;
		}
	}
	res->gpu_busy_ns = standalone ? d / 2 : native ? d * 9 / 10 : d * 8 / 10;
	if (!standalone && !native) {
		run_result_add_preempt(res, 200000);
		run_result_add_preempt(res, 400000);
		/* a policy server's figures */
		res->serve_suspends = 3;
		res->serve_resumes = 2;
		run_result_add_rtt(res, 30000);
		run_result_add_rtt(res, 50000);
	}
	if (o->timeline_path) {
		FILE *f = fopen(o->timeline_path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("{\"traceEvents\":[]}\n", f);
		fclose(f);
	}
	if (o->progress)
		o->progress(o->progress_ctx, 1.0);
	return 0;
}

/* ---- statistics -------------------------------------------------------------- */
START_TEST(test_lat_stats)
{
	double x[10] = { 10, 3, 7, 1, 9, 2, 8, 4, 6, 5 };
	struct lat_stats s;
	analysis_lat_stats(x, 10, &s);
	ck_assert_uint_eq(s.n, 10);
	/* GSL: x[(n-1)f] interpolated: 0.5 -> 4.5 -> 5.5; 0.9 -> 8.1 -> 9.1 */
	ck_assert_double_eq_tol(s.p50_ms, 5.5, 1e-12);
	ck_assert_double_eq_tol(s.p90_ms, 9.1, 1e-12);
	ck_assert_double_eq_tol(s.p99_ms, 9.91, 1e-12);
	ck_assert_double_eq(s.max_ms, 10);
	ck_assert_double_eq_tol(s.mean_ms, 5.5, 1e-12);
	/* sd = sqrt(82.5 / 9) = 3.0276504; t(0.975, 9) = 2.2621572;
	 * half width = 2.2621572 * 3.0276504 / sqrt(10) = 2.1658506 */
	ck_assert_double_eq_tol(s.ci95_lo_ms, 5.5 - 2.1658506, 1e-6);
	ck_assert_double_eq_tol(s.ci95_hi_ms, 5.5 + 2.1658506, 1e-6);
	ck_assert_double_eq(x[0], 1);  /* sorted in place */

	double one[1] = { 4 };
	analysis_lat_stats(one, 1, &s);
	ck_assert_double_eq(s.p50_ms, 4);
	ck_assert_double_eq(s.p99_ms, 4);
	ck_assert(isnan(s.ci95_lo_ms) && isnan(s.ci95_hi_ms));
	analysis_lat_stats(NULL, 0, &s);
	ck_assert(isnan(s.p99_ms) && isnan(s.mean_ms));
}
END_TEST

START_TEST(test_tenant_metrics)
{
	struct run_result r;
	ck_assert_int_eq(run_result_init(&r, 1), 0);
	r.duration_ns = 1000 * MS;
	const struct req_record q[] = {
		{ 0, 0, 0, 50 * MS, 0 },           /* met */
		{ 1, 0, 0, 200 * MS, 0 },          /* missed */
		{ 2, 950 * MS, 950 * MS, -1, 0 },  /* unfinished, SLO not yet due */
		{ 3, 100 * MS, 100 * MS, -1, 0 },  /* unfinished past its SLO: miss */
		{ 4, 500 * MS, 500 * MS, 1200 * MS, 0 }, /* done after the window */
	};
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(run_result_add_req(&r, 0, &q[i]), 0);
	struct tenant_metrics m;
	ck_assert_int_eq(analysis_tenant_metrics(&r, 0, 100 * MS, &m), 0);
	ck_assert_uint_eq(m.requests, 5);
	ck_assert_uint_eq(m.completed, 3);
	ck_assert_uint_eq(m.completed_in_window, 2);
	ck_assert_double_eq_tol(m.throughput_rps, 2.0, 1e-12);
	ck_assert_double_eq_tol(m.slo_attainment, 0.25, 1e-12);
	ck_assert_double_eq_tol(m.lat.max_ms, 700, 1e-9);
	ck_assert_double_eq_tol(m.lat.p50_ms, 200, 1e-9);
	/* no SLO: attainment undefined */
	ck_assert_int_eq(analysis_tenant_metrics(&r, 0, 0, &m), 0);
	ck_assert(isnan(m.slo_attainment));
	struct tenant_metrics ref = m;
	ref.lat.p99_ms = m.lat.p99_ms / 2;
	ref.throughput_rps = 4;
	analysis_set_ratios(&m, &ref);
	ck_assert_double_eq_tol(m.p99_vs_standalone, 2.0, 1e-12);
	ck_assert_double_eq_tol(m.tput_vs_standalone, 0.5, 1e-12);
	ref.throughput_rps = 0;
	analysis_set_ratios(&m, &ref);
	ck_assert(isnan(m.tput_vs_standalone));
	ck_assert_int_eq(analysis_tenant_metrics(&r, 3, 0, &m), HS_EINVAL);
	run_result_release(&r);
}
END_TEST

/* ---- report + verdict ------------------------------------------------------------ */
static struct scenario *load_fix(void)
{
	char err[512];
	struct scenario *sc = scenario_load(FIX "analysis.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	return sc;
}

static void fill(struct report *rep, const struct scenario *sc, const char *policy)
{
	char err[256];
	unsigned char act[2];
	struct run_opts o = { .policy = "native", .mode = "standalone", .active = act };
	for (size_t i = 0; i < 2; i++) {
		act[0] = i == 0;
		act[1] = i == 1;
		ck_assert_int_eq(fake_run(sc, &o, &rep->standalone[i], err, sizeof(err)), 0);
	}
	o.active = NULL;
	o.mode = "native";
	ck_assert_int_eq(fake_run(sc, &o, &rep->native, err, sizeof(err)), 0);
	o.policy = policy;
	o.mode = "policy";
	ck_assert_int_eq(fake_run(sc, &o, &rep->pol, err, sizeof(err)), 0);
}

START_TEST(test_verdict)
{
	struct scenario *sc = load_fix();
	struct report rep;
	ck_assert_int_eq(report_init(&rep, sc, "fake", "hpf", 7, sc->duration_ns), 0);
	fill(&rep, sc, "hpf");
	ck_assert_int_eq(report_analyse(&rep), 0);

	const struct tenant_metrics *hp = &rep.m_policy.t[0], *lp = &rep.m_policy.t[1];
	ck_assert_double_eq_tol(rep.m_standalone.t[0].lat.p99_ms, 10, 1e-9);
	ck_assert_double_eq_tol(hp->lat.p99_ms, 10.5, 1e-9);
	ck_assert_double_eq_tol(hp->p99_vs_standalone, 1.05, 1e-9);
	ck_assert_double_eq_tol(hp->throughput_rps, 10, 1e-9);
	ck_assert_double_eq_tol(hp->slo_attainment, 1.0, 1e-12);
	ck_assert_double_eq_tol(rep.m_standalone.t[1].throughput_rps, 10, 1e-9);
	ck_assert_double_eq_tol(lp->throughput_rps, 4, 1e-9);
	ck_assert_double_eq_tol(lp->tput_vs_standalone, 0.4, 1e-9);
	ck_assert_double_eq_tol(rep.m_policy.gpu_util, 0.8, 1e-12);
	ck_assert_double_eq_tol(rep.m_policy.preempt.max_ms, 0.4, 1e-12);

	/* policy run: every criterion passes, in the scenario's order */
	ck_assert_int_eq(rep.v_policy.pass, 1);
	ck_assert_uint_eq(rep.v_policy.n, 5);
	ck_assert_double_eq_tol(rep.v_policy.r[0].measured, 1.05, 1e-9);
	ck_assert_double_eq_tol(rep.v_policy.r[1].measured, 10.5, 1e-9);
	ck_assert_double_eq_tol(rep.v_policy.r[3].measured, 0.4, 1e-9);
	ck_assert_double_eq_tol(rep.v_policy.r[4].measured, 0.8, 1e-9);

	/* native: hp p99 60 ms = 6x, over 50 ms, half the requests in SLO */
	const struct verdict *vn = &rep.v_native;
	ck_assert_int_eq(vn->pass, 0);
	ck_assert_double_eq_tol(vn->r[0].measured, 6.0, 1e-9);
	ck_assert_int_eq(vn->r[0].pass, 0);
	ck_assert_int_eq(vn->r[1].pass, 0);
	ck_assert_double_eq_tol(vn->r[2].measured, 0.5, 1e-12);
	ck_assert_int_eq(vn->r[2].pass, 0);
	ck_assert_double_eq_tol(vn->r[3].measured, 0.8, 1e-9); /* 8 of 9 done */
	ck_assert_int_eq(vn->r[3].pass, 1);
	ck_assert_int_eq(vn->r[4].pass, 1);
	ck_assert_uint_eq(rep.m_native.t[1].requests, 9);
	ck_assert_uint_eq(rep.m_native.t[1].completed, 8);

	/* a threshold exactly met passes; NAN never passes */
	sc->crit[4].value = 0.8;
	struct verdict v;
	ck_assert_int_eq(analysis_verdict(sc, &rep.m_policy, &v), 0);
	ck_assert_int_eq(v.r[4].pass, 1);
	analysis_verdict_release(&v);
	rep.m_policy.gpu_util = NAN;
	ck_assert_int_eq(analysis_verdict(sc, &rep.m_policy, &v), 0);
	ck_assert_int_eq(v.r[4].pass, 0);
	ck_assert_int_eq(v.pass, 0);
	analysis_verdict_release(&v);
	report_release(&rep);
	scenario_free(sc);
}
END_TEST

/* ---- the driver and the run directory -------------------------------------------- */
static char base[256];

static void mkbase(void)
{
	snprintf(base, sizeof(base), "/tmp/hs_check_analysis.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void rmbase(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

/* The table and the messages are not under test here: silence them. */
static int saved_fd[2] = { -1, -1 };

static void quiet(void)
{
	fflush(stdout);
	fflush(stderr);
	int null = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(null, 0);
	saved_fd[0] = dup(1);
	saved_fd[1] = dup(2);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
}

static void unquiet(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved_fd[0], 1);
	dup2(saved_fd[1], 2);
	close(saved_fd[0]);
	close(saved_fd[1]);
}

static int drive(const char *out, const char *policy, int timeline)
{
	struct drive_opts o = { .backend = "fake", .scenario_path = FIX "analysis.ini",
				.policy = policy, .out_dir = out, .timeline = timeline };
	quiet();
	int rc = cli_drive(&o, fake_run);
	unquiet();
	return rc;
}

/* Entries of base whose name contains s. */
static int count_named(const char *s)
{
	DIR *d = opendir(base);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strstr(e->d_name, s) != NULL;
	closedir(d);
	return n;
}

static int exists(const char *dir, const char *name)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 && st.st_size > 0;
}

START_TEST(test_summary_json)
{
	mkbase();
	char out[300], path[400];
	snprintf(out, sizeof(out), "%s/run", base);
	ck_assert_int_eq(drive(out, NULL, 1), 0);
	ck_assert_int_eq(count_named(".tmp."), 0);
	ck_assert(exists(out, "timeline.json"));
	snprintf(path, sizeof(path), "%s/summary.json", out);
	json_error_t je;
	json_t *s = json_load_file(path, 0, &je);
	ck_assert_msg(s != NULL, "%s", je.text);
	ck_assert_str_eq(json_string_value(json_object_get(s, "scenario")), "fake_dual");
	ck_assert_str_eq(json_string_value(json_object_get(s, "backend")), "fake");
	ck_assert_str_eq(json_string_value(json_object_get(s, "policy")), "hpf");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "seed")), 7);
	ck_assert_double_eq_tol(json_number_value(json_object_get(s, "duration_s")), 1, 1e-12);
	ck_assert_double_eq_tol(json_number_value(json_object_get(s, "gpu_util")), 0.8, 1e-9);
	/* policy run: 10 hp + 4 lp requests, 100 kernels each */
	ck_assert_int_eq(json_integer_value(json_object_get(s, "kernels_simulated")), 1400);
	json_t *ts = json_object_get(s, "tenants");
	ck_assert_uint_eq(json_array_size(ts), 2);
	json_t *hp = json_array_get(ts, 0);
	ck_assert_str_eq(json_string_value(json_object_get(hp, "name")), "hp");
	ck_assert_int_eq(json_integer_value(json_object_get(hp, "priority")), 10);
	json_t *lat = json_object_get(hp, "latency_ms");
	ck_assert_double_eq_tol(json_number_value(json_object_get(lat, "p99")), 10.5, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(lat, "p50")), 10.5, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(lat, "mean")), 10.5, 1e-9);
	ck_assert_uint_eq(json_array_size(json_object_get(lat, "mean_ci95")), 2);
	ck_assert_ptr_nonnull(json_object_get(lat, "p90"));
	ck_assert_ptr_nonnull(json_object_get(lat, "max"));
	ck_assert_double_eq_tol(json_number_value(json_object_get(hp, "throughput_rps")), 10, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(hp, "p99_vs_standalone")), 1.05, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(hp, "slo_attainment")), 1, 1e-12);
	json_t *nat = json_object_get(hp, "native");
	ck_assert_double_eq_tol(json_number_value(json_object_get(
		json_object_get(nat, "latency_ms"), "p99")), 60, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(nat, "slo_attainment")), 0.5, 1e-12);
	json_t *sa = json_object_get(hp, "standalone");
	ck_assert_double_eq_tol(json_number_value(json_object_get(
		json_object_get(sa, "latency_ms"), "p99")), 10, 1e-9);
	ck_assert_ptr_null(json_object_get(sa, "p99_vs_standalone"));
	json_t *lp = json_array_get(ts, 1);
	ck_assert(json_is_null(json_object_get(lp, "slo_attainment")));
	ck_assert_double_eq_tol(json_number_value(json_object_get(lp, "throughput_vs_standalone")), 0.4, 1e-9);
	json_t *v = json_object_get(s, "verdict");
	ck_assert(json_is_true(json_object_get(v, "pass")));
	json_t *c0 = json_array_get(json_object_get(v, "criteria"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(c0, "key")), "hp.p99_vs_standalone_max");
	ck_assert_str_eq(json_string_value(json_object_get(c0, "op")), "<=");
	ck_assert_double_eq_tol(json_number_value(json_object_get(c0, "threshold")), 1.1, 1e-12);
	ck_assert_double_eq_tol(json_number_value(json_object_get(c0, "measured")), 1.05, 1e-9);
	ck_assert(json_is_false(json_object_get(json_object_get(s, "native_verdict"), "pass")));
	/* the policy server's decisions and round trip, policy run only */
	ck_assert_int_eq(json_integer_value(json_object_get(s, "decisions")), 5);
	json_t *rt = json_object_get(s, "decision_rtt_ms");
	ck_assert_int_eq(json_integer_value(json_object_get(rt, "n")), 2);
	ck_assert_double_eq_tol(json_number_value(json_object_get(rt, "p50")), 0.04, 1e-12);
	json_t *nm = json_object_get(s, "native");
	ck_assert_int_eq(json_integer_value(json_object_get(nm, "decisions")), 0);
	ck_assert(json_is_null(json_object_get(json_object_get(nm, "decision_rtt_ms"), "p50")));
	json_decref(s);
	rmbase();
}
END_TEST

START_TEST(test_requests_csv)
{
	mkbase();
	char out[300], path[400], line[256];
	snprintf(out, sizeof(out), "%s/run", base);
	ck_assert_int_eq(drive(out, NULL, 0), 0);
	ck_assert(!exists(out, "timeline.json"));
	snprintf(path, sizeof(path), "%s/requests.csv", out);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "tenant,mode,request,arrival_ns,start_ns,end_ns,latency_ns\n");
	int n = 0, nat_hp1 = 0, cut = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strcmp(line, "hp,native,1,100000000,100000000,160000000,60000000\n") == 0)
			nat_hp1++;
		if (strcmp(line, "lp,native,8,960000000,960000000,,\n") == 0)
			cut++;
	}
	fclose(f);
	/* standalone 10 + 10, native 10 + 9, policy 10 + 4 */
	ck_assert_int_eq(n, 53);
	ck_assert_int_eq(nat_hp1, 1);
	ck_assert_int_eq(cut, 1);
	rmbase();
}
END_TEST

START_TEST(test_rundir)
{
	mkbase();
	char out[300], stale[400];
	snprintf(out, sizeof(out), "%s/nested/run", base);
	/* exit status: verdict passes under hpf, fails under native */
	ck_assert_int_eq(drive(out, NULL, 0), 0);
	snprintf(stale, sizeof(stale), "%s/stale.txt", out);
	FILE *f = fopen(stale, "w");
	fputs("x\n", f);
	fclose(f);
	ck_assert_int_eq(drive(out, "native", 0), 1);  /* replaces the old run */
	ck_assert_int_eq(access(stale, F_OK), -1);
	ck_assert(exists(out, "summary.json"));
	snprintf(out, sizeof(out), "%s/nested", base);
	DIR *d = opendir(out);
	struct dirent *e;
	int others = 0;
	while ((e = readdir(d)))
		others += e->d_name[0] != '.' && strcmp(e->d_name, "run") != 0;
	closedir(d);
	ck_assert_int_eq(others, 0);  /* no .tmp or .old left behind */

	/* a folder that is not a run directory is never replaced */
	snprintf(out, sizeof(out), "%s/precious", base);
	mkdir(out, 0777);
	snprintf(stale, sizeof(stale), "%s/data.txt", out);
	f = fopen(stale, "w");
	fputs("keep\n", f);
	fclose(f);
	ck_assert_int_eq(drive(out, NULL, 0), CLI_INPUT);
	ck_assert_int_eq(access(stale, F_OK), 0);
	ck_assert_int_eq(count_named(".tmp."), 0);

	/* a failing run leaves nothing */
	snprintf(out, sizeof(out), "%s/failed", base);
	fake_fail = 1;
	ck_assert_int_eq(drive(out, NULL, 0), CLI_INPUT);    /* HS_EINVAL */
	fake_fail = 0;
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(count_named(".tmp."), 0);
	rmbase();
}
END_TEST

START_TEST(test_plots)
{
	if (system("command -v gnuplot >/dev/null 2>&1") != 0)
		return;         /* the driver warns and skips; nothing to check */
	mkbase();
	char out[300];
	snprintf(out, sizeof(out), "%s/run", base);
	ck_assert_int_eq(drive(out, NULL, 0), 0);
	ck_assert(exists(out, "plots.gp"));
	ck_assert(exists(out, "cdf_hp_native.dat"));
	ck_assert(exists(out, "latency_cdf_hp.png"));
	ck_assert(exists(out, "latency_cdf_lp.svg"));
	ck_assert(exists(out, "throughput.png"));
	ck_assert(exists(out, "throughput.svg"));
	rmbase();
}
END_TEST

START_TEST(test_compare)
{
	mkbase();
	char a[300], b[300], err[512];
	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	ck_assert_int_eq(drive(a, NULL, 0), 0);
	ck_assert_int_eq(drive(b, "native", 0), 1);
	struct cmp_table t;
	ck_assert_int_eq(analysis_compare(a, b, &t, err, sizeof(err)), 0);
	int found_p99 = 0, found_pol = 0, found_crit = 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct cmp_row *r = &t.rows[i];
		if (strcmp(r->key, "tenants[hp].latency_ms.p99") == 0) {
			found_p99 = 1;
			ck_assert(r->is_num && r->in_a && r->in_b);
			ck_assert_double_eq_tol(r->a, 10.5, 1e-9);
			ck_assert_double_eq_tol(r->b, 60, 1e-9);
			ck_assert_double_eq_tol(analysis_rel_diff(r->a, r->b),
						(60 - 10.5) / 10.5, 1e-9);
		}
		if (strcmp(r->key, "policy") == 0) {
			found_pol = 1;
			ck_assert(!r->is_num);
			ck_assert_str_eq(r->sa, "hpf");
			ck_assert_str_eq(r->sb, "native");
		}
		if (strcmp(r->key, "verdict.criteria[gpu_util_min].measured") == 0) {
			found_crit = 1;
			ck_assert_double_eq_tol(r->a, 0.8, 1e-9);
			ck_assert_double_eq_tol(r->b, 0.9, 1e-9);
		}
	}
	ck_assert(found_p99 && found_pol && found_crit);
	analysis_compare_release(&t);
	ck_assert(isnan(analysis_rel_diff(0, 1)));

	/* missing and malformed summaries */
	char c[300], p[400];
	snprintf(c, sizeof(c), "%s/none", base);
	ck_assert_int_eq(analysis_compare(a, c, &t, err, sizeof(err)), ANALYSIS_EBAD);
	ck_assert_ptr_nonnull(strstr(err, "none/summary.json: cannot read"));
	mkdir(c, 0777);
	snprintf(p, sizeof(p), "%s/summary.json", c);
	FILE *f = fopen(p, "w");
	fputs("{\n  \"scenario\": \"x\",\n  \"tenants\": [1, 2\n", f);
	fclose(f);
	ck_assert_int_eq(analysis_compare(c, a, &t, err, sizeof(err)), ANALYSIS_EBAD);
	ck_assert_msg(strstr(err, "none/summary.json:4: malformed summary"), "%s", err);
	f = fopen(p, "w");
	fputs("{\"x\": 1}\n", f);
	fclose(f);
	ck_assert_int_eq(analysis_compare(a, c, &t, err, sizeof(err)), ANALYSIS_EBAD);
	ck_assert_ptr_nonnull(strstr(err, "not a hipsched summary"));

	/* the command: exit 0 on two runs, 3 (bad input) on a bad one, 2 on usage */
	char *argv_ok[] = { "compare", a, b, NULL };
	char *argv_bad[] = { "compare", a, c, NULL };
	char *argv_use[] = { "compare", a, NULL };
	quiet();
	int r1 = cmd_compare(3, argv_ok), r2 = cmd_compare(3, argv_bad),
	    r3 = cmd_compare(2, argv_use);
	unquiet();
	ck_assert_int_eq(r1, 0);
	ck_assert_int_eq(r2, CLI_INPUT);
	ck_assert_int_eq(r3, 2);
	rmbase();
}
END_TEST

START_TEST(test_options)
{
	char *bad_seed[] = { "sim", FIX "analysis.ini", "--seed", "x", NULL };
	char *no_file[] = { "sim", "--json", NULL };
	char *bad_opt[] = { "sim", FIX "analysis.ini", "--frobnicate", NULL };
	char *bad_pol[] = { "sim", FIX "analysis.ini", "--policy", "nope",
			    "--out", "/nonexistent/x", NULL };
	char *bad_file[] = { "sim", FIX "err_unknown_key.ini", NULL };
	quiet();
	int r[5];
	r[0] = cli_drive_main(4, bad_seed, "sim", fake_run);
	r[1] = cli_drive_main(2, no_file, "sim", fake_run);
	r[2] = cli_drive_main(3, bad_opt, "sim", fake_run);
	r[3] = cli_drive_main(6, bad_pol, "sim", fake_run);
	r[4] = cli_drive_main(2, bad_file, "sim", fake_run);
	unquiet();
	ck_assert_int_eq(r[0], 2);
	ck_assert_int_eq(r[1], 2);
	ck_assert_int_eq(r[2], 2);
	ck_assert_int_eq(r[3], 2);
	ck_assert_int_eq(r[4], CLI_INPUT);
}
END_TEST

/* The project's main claim, end to end through the simulator: on the
 * shipped dual_resnet scenario hpf passes the verdict and native does not. */
START_TEST(test_dual_resnet_sim)
{
	mkbase();
	char out[300];
	int rc[2];
	for (int i = 0; i < 2; i++) {
		snprintf(out, sizeof(out), "%s/dual_%d", base, i);
		struct drive_opts o = { .backend = "sim",
			.scenario_path = "scenarios/dual_resnet.ini",
			.policy = i ? "native" : NULL, .out_dir = out,
			.duration_ns = 10 * 1000 * MS };
		quiet();
		rc[i] = cli_drive(&o, sim_run);
		unquiet();
	}
	ck_assert_int_eq(rc[0], 0);
	ck_assert_int_eq(rc[1], 1);
	rmbase();
}
END_TEST

/* Figures over seeds: mean and Student-t interval by hand, NAN skipped. */
START_TEST(test_seed_stat)
{
	double x[] = { 5, 1, NAN, 4, 2, 3 };
	struct seed_stat st;
	analysis_seed_stat(x, 6, &st);
	ck_assert_uint_eq(st.n, 5);
	ck_assert_double_eq_tol(st.mean, 3.0, 1e-12);
	/* t(0.975, 4) = 2.776445, sd = sqrt(2.5), n = 5 */
	double h = 2.776445105 * sqrt(2.5) / sqrt(5.0);
	ck_assert_double_eq_tol(st.ci95_lo, 3.0 - h, 1e-6);
	ck_assert_double_eq_tol(st.ci95_hi, 3.0 + h, 1e-6);
	ck_assert_double_eq(st.min, 1);
	ck_assert_double_eq(st.max, 5);
	ck_assert_double_eq(x[0], 5);          /* the input is not touched */
	analysis_seed_stat(x, 1, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert(isnan(st.ci95_lo) && isnan(st.ci95_hi));
}
END_TEST

/* --seeds 3 on dual_resnet: summary.json's "seeds" holds three samples of
 * each figure, the first that of the run directory's own (seed 1) run;
 * the high-priority tenant's P99 next to the batch job differs between
 * seeds (host jitter) and its mean lies in its interval. */
START_TEST(test_seeds_over_sim)
{
	mkbase();
	char out[300], path[400];
	snprintf(out, sizeof(out), "%s/seeds", base);
	struct drive_opts o = { .backend = "sim",
		.scenario_path = "scenarios/dual_resnet.ini", .out_dir = out,
		.duration_ns = 2000 * MS, .nseeds = 3, .have_seed = 1, .seed = 1 };
	quiet();
	int rc = cli_drive(&o, sim_run);
	unquiet();
	ck_assert_int_eq(rc, 0);
	snprintf(path, sizeof(path), "%s/summary.json", out);
	json_error_t je;
	json_t *js = json_load_file(path, 0, &je);
	ck_assert_msg(js != NULL, "%s", je.text);
	json_t *sd = json_object_get(js, "seeds");
	ck_assert_ptr_nonnull(sd);
	ck_assert_int_eq(json_integer_value(json_object_get(sd, "first")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(sd, "n")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(sd, "verdict_pass")), 3);
	json_t *hp = json_array_get(json_object_get(sd, "tenants"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(hp, "name")), "hp");
	json_t *p99 = json_object_get(json_object_get(hp, "native"), "p99_ms");
	json_t *vals = json_object_get(p99, "values");
	ck_assert_uint_eq(json_array_size(vals), 3);
	double v[3], sum = 0;
	for (int i = 0; i < 3; i++)
		sum += v[i] = json_real_value(json_array_get(vals, i));
	ck_assert(v[0] != v[1] || v[1] != v[2]);
	double mean = json_real_value(json_object_get(p99, "mean"));
	ck_assert_double_eq_tol(mean, sum / 3, 1e-9);
	json_t *ci = json_object_get(p99, "ci95");
	ck_assert(json_real_value(json_array_get(ci, 0)) < mean &&
		  json_real_value(json_array_get(ci, 1)) > mean);
	json_t *t0 = json_array_get(json_object_get(js, "tenants"), 0);
	double own = json_real_value(json_object_get(json_object_get(json_object_get(
		t0, "native"), "latency_ms"), "p99"));
	ck_assert_double_eq_tol(own, v[0], 1e-9);
	json_decref(js);
	rmbase();
}
END_TEST

Suite *analysis_suite(void)
{
	Suite *s = suite_create("analysis");
	TCase *tc = tcase_create("metrics");
	tcase_add_test(tc, test_lat_stats);
	tcase_add_test(tc, test_tenant_metrics);
	tcase_add_test(tc, test_verdict);
	tcase_add_test(tc, test_seed_stat);
	suite_add_tcase(s, tc);
	tc = tcase_create("outputs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_summary_json);
	tcase_add_test(tc, test_requests_csv);
	tcase_add_test(tc, test_rundir);
	tcase_add_test(tc, test_plots);
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("sim");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dual_resnet_sim);
	tcase_add_test(tc, test_seeds_over_sim);
	suite_add_tcase(s, tc);
	return s;
}
