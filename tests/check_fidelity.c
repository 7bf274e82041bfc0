/* Tests of `hipsched fidelity` (analysis/fidelity.c, cli/cmd_fidelity.c):
 * the errors computed from a real run in pytorch_plan.py's layout and a
 * simulator run with seeds (fixtures made by tests/fixtures/fidelity/
 * make.py), Python's NaN, malformed inputs, and the command end to end on
 * the H200 scenarios with the H100 traces and profile standing in. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis.h"
#include "scenario.h"
#include "test_util.h"

#define FIX "tests/fixtures/fidelity"
#define REAL FIX "/real_dual"
#define SIM FIX "/sim_dual"

static const struct fid_row *row(const struct fid_table *t, const char *tenant,
				 int mode, int metric)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->rows[i].tenant, tenant) == 0 && t->rows[i].mode == mode &&
		    t->rows[i].metric == metric)
			return &t->rows[i];
	ck_abort_msg("no row %s/%d/%d", tenant, mode, metric);
	return NULL;
}

/* real value, simulator mean, the error (sim - real) / real and the status */
static void pin(const struct fid_table *t, const char *tenant, int mode, int metric,
		double real, double sim, int status)
{
	const struct fid_row *w = row(t, tenant, mode, metric);
	ck_assert_double_eq_tol(w->real, real, 1e-9);
	ck_assert_double_eq_tol(w->sim.mean, sim, 1e-9);
	ck_assert_double_eq_tol(w->err, (sim - real) / real, 1e-9);
	ck_assert_uint_eq(w->sim.n, 3);
	ck_assert_msg(w->status == status, "%s mode %d metric %d: status %d, want %d",
		      tenant, mode, metric, w->status, status);
}

START_TEST(test_errors_pinned)
{
	struct fid_table t;
	char err[1024];
	ck_assert_msg(analysis_fidelity(REAL, SIM, 0, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(t.test, "pytorch_dual");
	ck_assert_str_eq(t.real_file, REAL "/hpf/summary.json");  /* POLICY/ of the folder */
	ck_assert_str_eq(t.sim_scenario, "h200_dual");
	ck_assert_str_eq(t.device, "h200");
	ck_assert_uint_eq(t.sim_seeds, 3);
	ck_assert_str_eq(t.warn, "");
	/* the online tenant: latency figures; the batch job: throughput */
	ck_assert_uint_eq(t.n, 13);
	enum { A = SEEDS_STANDALONE, N = SEEDS_NATIVE, P = SEEDS_POLICY };
	pin(&t, "hp", A, FID_P50, 3.495, 3.5, FID_GOAL_MET);
	pin(&t, "hp", A, FID_P99, 3.9801, 4.0, FID_GOAL_MET);
	pin(&t, "hp", N, FID_P50, 4.49, 4.4, FID_GOAL_MET);
	pin(&t, "hp", N, FID_P99, 5.4602, 5.2, FID_GOAL_MET);
	/* a ratio over seeds: the mean of the per-seed ratios */
	pin(&t, "hp", N, FID_P99_RATIO, 5.4602 / 3.9801,
	    (5.0 / 3.9 + 5.2 / 4.0 + 5.4 / 4.1) / 3, FID_PASS);
	pin(&t, "hp", P, FID_P50, 3.595, 3.6, FID_GOAL_MET);
	pin(&t, "hp", P, FID_P99, 4.0801, 4.4, FID_PASS);
	pin(&t, "hp", P, FID_P99_RATIO, 4.0801 / 3.9801,
	    (4.0 / 3.9 + 4.4 / 4.0 + 4.8 / 4.1) / 3, FID_PASS);
	pin(&t, "lp", A, FID_TPUT, 170, 170, FID_GOAL_MET);
	pin(&t, "lp", N, FID_TPUT, 160, 150, FID_PASS);
	pin(&t, "lp", N, FID_TPUT_RATIO, 160.0 / 170,
	    (150.0 / 165 + 150.0 / 170 + 150.0 / 175) / 3, FID_PASS);
	pin(&t, "lp", P, FID_TPUT, 165, 145, FID_MISS);
	pin(&t, "lp", P, FID_TPUT_RATIO, 165.0 / 170,
	    (140.0 / 165 + 145.0 / 170 + 150.0 / 175) / 3, FID_MISS);
	ck_assert_uint_eq(t.count[FID_GOAL_MET], 6);
	ck_assert_uint_eq(t.count[FID_PASS], 5);
	ck_assert_uint_eq(t.count[FID_MISS], 2);
	ck_assert_uint_eq(t.count[FID_UNDEF], 0);
	/* the interval: mean +- t(0.975, 2) * sd / sqrt(3), sd 0.1 */
	const struct fid_row *w = row(&t, "hp", A, FID_P99);
	double half = 4.302652729749464 * 0.1 / sqrt(3);
	ck_assert_double_eq_tol(w->sim.ci95_lo, 4.0 - half, 1e-6);
	ck_assert_double_eq_tol(w->sim.ci95_hi, 4.0 + half, 1e-6);
	ck_assert_double_eq_tol(w->sim.min, 3.9, 1e-12);
	ck_assert_double_eq_tol(w->sim.max, 4.1, 1e-12);
	analysis_fidelity_release(&t);

	/* the run directory and its summary.json name the same run */
	ck_assert_int_eq(analysis_fidelity(REAL "/hpf", SIM "/summary.json", 1, &t,
					   err, sizeof(err)), 0);
	ck_assert_str_eq(t.real_file, REAL "/hpf/summary.json");
	ck_assert_uint_eq(t.n, 26);            /* --all: both kinds per tenant */
	pin(&t, "lp", A, FID_P99, 5.8, 6.0, FID_GOAL_MET);
	pin(&t, "hp", P, FID_TPUT, 10, 10, FID_GOAL_MET);
	analysis_fidelity_release(&t);
}
END_TEST

/* The files and the command's output and exit status on the fixtures. */
START_TEST(test_files)
{
	char dir[64], cmd[512], out[16384], path[128];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s %s --out %s/o", REAL, SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);   /* lp misses the bar */
	ck_assert_ptr_nonnull(strstr(out, "| lp | hpf | req/s | 165.00 | 145.00 | "
				     "[132.58, 157.42] | 140.00..150.00 | no | -12.1 % | FAIL |"));
	ck_assert_ptr_nonnull(strstr(out, "| hp | alone | P99 ms | 3.980 | 4.000 | "
				     "[3.752, 4.248] | 3.900..4.100 | yes | +0.5 % | PASS, goal |"));
	ck_assert_ptr_nonnull(strstr(out, "13 figures: 6 within 5 % (goal), 5 more "
				     "within 10 % (bar), 2 beyond the bar, 0 undefined"));
	ck_assert_ptr_nonnull(strstr(out, "| hp | hpf | P99 / alone | 1.025 | 1.099 | "
				     "[0.919, 1.279] | 1.026..1.171 | yes | +7.2 % | PASS | "
				     "[1.015, 1.035] | no |\n"));
	ck_assert_ptr_nonnull(strstr(out, "| PASS, goal | - | - |\n"));   /* none: P99 ms */
	ck_assert_ptr_nonnull(strstr(out, "0 of the 2 figures with a real interval have "
				     "the simulator inside it"));
	snprintf(path, sizeof(path), "%s/o/fidelity.md", dir);
	char *md = test_slurp(path, NULL);
	ck_assert_ptr_nonnull(strstr(out, md));                 /* printed = written */
	free(md);
	snprintf(path, sizeof(path), "%s/o/fidelity.csv", dir);
	char *csv = test_slurp(path, NULL);
	ck_assert_ptr_nonnull(strstr(csv, "test,sim_scenario,tenant,mode,figure,real,"
				     "sim_mean,sim_ci95_lo,sim_ci95_hi,sim_min,sim_max,"
				     "sim_n,error_pct,real_in_ci,status,real_ci95_lo,"
				     "real_ci95_hi,sim_in_real_ci\n"));
	ck_assert_ptr_nonnull(strstr(csv, "\"pytorch_dual\",\"h200_dual\",\"lp\",policy,"
				     "throughput_rps,165,145,132.5793114,157.4206886,140,"
				     "150,3,-12.12121212,no,fail,,,-\n"));
	/* the real run's own interval of P99 / alone (pytorch_plan.py's
	 * bootstrap, seeded: make.py wrote it) and whether the simulator's
	 * mean lies in it */
	ck_assert_ptr_nonnull(strstr(csv, "\"hp\",native,p99_vs_standalone,1.371875079,"
				     "1.299708151,1.256204023,1.343212279,1.282051282,"
				     "1.317073171,3,-5.260459113,no,pass,1.351857191,"
				     "1.387201296,no\n"));
	size_t lines = 0;
	for (char *p = csv; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 14);
	free(csv);
	/* two tests in one call: both tables, one file */
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s %s %s/hpf %s --out %s/o",
		 REAL, SIM, REAL, SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	snprintf(path, sizeof(path), "%s/o/fidelity.csv", dir);
	csv = test_slurp(path, NULL);
	lines = 0;
	for (char *p = csv; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 27);
	free(csv);
	test_rmtree(dir);
}
END_TEST

/* s with its first `from` replaced by `to` (a new string; s is freed). */
static char *subst(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from);
	ck_assert_msg(at != NULL, "'%s' not in the fixture", from);
	char *o = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	ck_assert_ptr_nonnull(o);
	sprintf(o, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	free(s);
	return o;
}

/* dir/name/summary.json: the real fixture with one edit (from -> to). */
static void edited(const char *dir, const char *name, const char *from, const char *to)
{
	char *s = subst(test_slurp(REAL "/hpf/summary.json", NULL), from, to);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/%s/summary.json", dir, name);
	test_write_file(path, s);
	free(s);
}

START_TEST(test_malformed)
{
	char dir[64], cmd[512], out[4096];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	struct { const char *name, *from, *to, *msg; } c[] = {
		/* cut short: the line where jansson gave up */
		{ "cut", "\"policy\": \"hpf\",", "\"policy\": \"hpf\",\n  \"x\": [1,\n",
		  "/cut/summary.json:8: malformed summary: ']' expected" },
		{ "str", "\"p99\": 3.9801", "\"p99\": \"3.98\"",
		  "/str/summary.json: tenant 'hp': standalone.latency_ms.p99 is not a number" },
		{ "ci", "\"p99_vs_standalone_ci95\": [", "\"p99_vs_standalone_ci95\": [1, ",
		  "/ci/summary.json: tenant 'hp': p99_vs_standalone_ci95 is not [lo, hi], "
		  "two numbers" },
		{ "mode", "\"standalone\": {", "\"standalone\": 7, \"x\": {",
		  "/mode/summary.json: tenant 'hp': \"standalone\" is not an object" },
		{ "name", "\"name\": \"lp\"", "\"name\": \"batch\"",
		  "/name/summary.json: no tenant 'lp' (the simulator's run" },
		{ "notsum", "\"tenants\": [", "\"tenant\": [",
		  "/notsum/summary.json:1: not a hipsched summary" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		edited(dir, c[i].name, c[i].from, c[i].to);
		snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s/%s %s --out %s/o",
			 dir, c[i].name, SIM, dir);
		ck_assert_msg(test_run(cmd, out, sizeof(out)) == 3, "%s: %s", c[i].name, out);
		ck_assert_msg(strstr(out, c[i].msg), "%s: %s", c[i].name, out);
		ck_assert_msg(strstr(out, dir), "%s: the file is named: %s", c[i].name, out);
	}
	/* a simulator's seeds value that is not a number */
	char *s = test_slurp(SIM "/summary.json", NULL), path[256];
	/* hp's standalone P99 values, seed 1 */
	s = subst(s, "\"values\": [\n              3.9,", "\"values\": [\n \"a\",");
	snprintf(path, sizeof(path), "%s/simbad", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/simbad/summary.json", dir);
	test_write_file(path, s);
	free(s);
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s %s/simbad --out %s/o", REAL,
		 dir, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "simbad/summary.json: seeds: tenant 'hp': "
			     "standalone.p99_ms values are not numbers"), "%s", out);
	/* a folder of other policies' runs: they are named */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/var && cp -r %s/hpf %s/var/hpf_t64", dir,
		 REAL, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s/var %s --out %s/o", dir, SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "/var: no summary.json there nor in hpf/ (a run "
			     "directory of hw/bench/pytorch_plan.py, its output folder, "
			     "or a summary.json); runs there: hpf_t64/"), "%s", out);
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s/var/hpf_t64 %s --out %s/o", dir,
		 SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	/* nothing there; usage */
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s/none %s --out %s/o", dir, SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "/none: no summary.json there nor in hpf/"), "%s", out);
	ck_assert_int_eq(test_run("./hipsched fidelity " REAL, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "REAL and SIM expected"));
	ck_assert_int_eq(test_run("./hipsched fidelity " REAL " " SIM " " REAL, out,
				  sizeof(out)), 2);
	ck_assert_int_eq(test_run("./hipsched fidelity " REAL " " SIM " --seeds 0", out,
				  sizeof(out)), 2);
	ck_assert_int_eq(test_run("./hipsched fidelity --help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: hipsched fidelity REAL SIM"));
	test_rmtree(dir);
}
END_TEST

/* Python's json.dump writes NaN for a tenant with no request done: read
 * as null (undefined figure), strings left alone. */
START_TEST(test_python_nan)
{
	char dir[64], path[128], err[1024];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	edited(dir, "nan", "\"scenario\": \"pytorch_dual\"",
	       "\"scenario\": \"NaN \\\" Infinity\"");
	snprintf(path, sizeof(path), "%s/nan/summary.json", dir);
	/* hp native P50 and P99 undefined (NaN, -Infinity), Infinity elsewhere */
	char *s = subst(test_slurp(path, NULL), "\"p50\": 4.49,", "\"p50\": NaN,");
	s = subst(s, "\"p99\": 5.4602,", "\"p99\": -Infinity,");
	s = subst(s, "\"gpu_util\": 0.874", "\"gpu_util\": Infinity");
	test_write_file(path, s);
	free(s);
	struct fid_table t;
	snprintf(path, sizeof(path), "%s/nan", dir);
	ck_assert_msg(analysis_fidelity(path, SIM, 0, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(t.test, "NaN \" Infinity");
	const struct fid_row *w = row(&t, "hp", SEEDS_NATIVE, FID_P50);
	ck_assert(isnan(w->real) && isnan(w->err) && w->status == FID_UNDEF);
	ck_assert(isnan(row(&t, "hp", SEEDS_NATIVE, FID_P99)->real));
	ck_assert_uint_eq(t.count[FID_UNDEF], 2);
	analysis_fidelity_release(&t);
	char cmd[512], out[16384];
	snprintf(cmd, sizeof(cmd), "./hipsched fidelity %s %s --out %s/o", path, SIM, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "| hp | native | P50 ms | - | 4.400 | "
				     "[3.903, 4.897] | 4.200..4.600 | - | - | n/a |"));
	test_rmtree(dir);
}
END_TEST

/* A temp tree with the shipped H200 scenarios, traces
 * (traces/data/h200/, recorded by hw/bench/h200.sh record) and profile
 * (sim/devices/h200.ini): the command end to end on the files it ships
 * with, away from the repository's runs/. */
static void standin(const char *dir)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/scenarios %s/traces/data/h200 %s/dev && "
		 "cp scenarios/h200_dual.ini scenarios/h200_three.ini %s/scenarios/ && "
		 "cp traces/data/h200/*.csv.gz %s/traces/data/h200/ && "
		 "cp sim/devices/h200.ini %s/dev/h200.ini", dir, dir, dir, dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_command_runs_sim)
{
	char dir[64], cmd[1024], out[32768], path[256];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	standin(dir);
	/* both tests in one call, as `make fidelity-h200` makes it */
	snprintf(cmd, sizeof(cmd), "HIPSCHED_DEVICES=%s/dev %s fidelity %s "
		 "%s/scenarios/h200_dual.ini %s %s/scenarios/h200_three.ini --seeds 2 "
		 "--duration 1s -j 2 --quiet --out %s/o", dir, test_bin(), REAL, dir,
		 FIX "/real_three", dir, dir);
	int rc = test_run(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0 || rc == 1, "%d: %s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "scenario h200_dual, device h200, policy hpf, "
				     "1 s, 2 seeds"));
	ck_assert_ptr_nonnull(strstr(out, "## pytorch_three: real vs simulator"));
	ck_assert_ptr_nonnull(strstr(out, "scenario h200_three, device h200, policy hpf, "
				     "1 s, 2 seeds"));
	snprintf(path, sizeof(path), "%s/o/fidelity.csv", dir);
	char *csv = test_slurp(path, NULL);
	size_t lines = 0, three = 0;
	for (char *p = csv; *p; p++)
		lines += *p == '\n';
	for (char *p = csv; (p = strstr(p, "\"pytorch_three\",\"h200_three\"")); p++)
		three++;
	free(csv);
	/* dual 8 + 5 figures; three: two online tenants 8 each, training 5 */
	ck_assert_uint_eq(three, 21);
	ck_assert_uint_eq(lines, 1 + 13 + 21);
	/* the table's simulator side is the run it wrote */
	snprintf(path, sizeof(path), "%s/o/sim_h200_dual/summary.json", dir);
	json_t *s = test_json_load(path);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(s, "seeds"),
							    "n")), 2);
	json_t *hp = test_json_find(json_object_get(json_object_get(s, "seeds"),
						    "tenants"), "name", "hp");
	double want = json_number_value(json_object_get(json_object_get(
		json_object_get(hp, "standalone"), "p99_ms"), "mean"));
	json_decref(s);
	struct fid_table t;
	char err[1024], sd[256];
	snprintf(sd, sizeof(sd), "%s/o/sim_h200_dual", dir);
	ck_assert_msg(analysis_fidelity(REAL, sd, 0, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_double_eq_tol(row(&t, "hp", SEEDS_STANDALONE, FID_P99)->sim.mean, want, 1e-9);
	ck_assert_str_eq(t.warn, "duration 10 s real, 1 s simulated");
	analysis_fidelity_release(&t);

	/* a real run with other tenants is refused before the simulator runs */
	snprintf(cmd, sizeof(cmd), "HIPSCHED_DEVICES=%s/dev %s fidelity %s "
		 "%s/scenarios/h200_three.ini --out %s/o2", dir, test_bin(), REAL, dir, dir);
	ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 3);
	ck_assert_msg(strstr(out, "tenant 'hp' of the real run is not in the scenario"),
		      "%s", out);
	snprintf(path, sizeof(path), "%s/o2/sim_h200_three", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	test_rmtree(dir);
}
END_TEST

/* The real side as hw/bench/pytorch_plan.py itself writes it: its dual
 * test on the CPU (the stand-in application of tests/check_plan.c under
 * the real serve / run), 1 s per mode, against the H200 scenario. */
START_TEST(test_plan_driver_output)
{
	char dir[64], cmd[2048], out[32768], path[256], err[1024];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	standin(dir);
	snprintf(cmd, sizeof(cmd), "python3 hw/bench/pytorch_plan.py dual --duration 1 "
		 "--app tests/fixtures/plan/plan_app.py --hipsched %s --param linger=0.2 "
		 "--out %s/plan", test_bin(), dir);
	int rc = test_run(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0 || rc == 1, "pytorch_plan.py exit %d:\n%s", rc, out);
	snprintf(cmd, sizeof(cmd), "HIPSCHED_DEVICES=%s/dev %s fidelity %s/plan "
		 "%s/scenarios/h200_dual.ini --seeds 2 -j 2 --quiet --out %s/o", dir,
		 test_bin(), dir, dir, dir);
	rc = test_run(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0 || rc == 1, "fidelity exit %d:\n%s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "(policy hpf, 1 s per mode)"));
	/* every figure defined on the real side, and read as the file has it */
	struct fid_table t;
	snprintf(path, sizeof(path), "%s/plan", dir);
	char sd[256];
	snprintf(sd, sizeof(sd), "%s/o/sim_h200_dual", dir);
	ck_assert_msg(analysis_fidelity(path, sd, 0, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(t.n, 13);
	for (size_t i = 0; i < t.n; i++)
		ck_assert_msg(!isnan(t.rows[i].real), "row %zu undefined", i);
	snprintf(path, sizeof(path), "%s/plan/hpf/summary.json", dir);
	json_t *r = test_json_load(path);
	json_t *lp = test_json_find(json_object_get(r, "tenants"), "name", "lp");
	ck_assert_ptr_nonnull(lp);
	ck_assert_double_eq_tol(row(&t, "lp", SEEDS_NATIVE, FID_TPUT_RATIO)->real,
				json_number_value(json_object_get(json_object_get(lp, "native"),
						  "throughput_vs_standalone")), 1e-12);
	json_decref(r);
	analysis_fidelity_release(&t);
	test_rmtree(dir);
}
END_TEST

/* The H200 scenarios are pytorch_plan.py's tests: the same tenants,
 * priorities, arrivals, rates and SLOs (read from its TESTS table). */
START_TEST(test_scenarios_match_plan)
{
	if (system("python3 -c 'import sys' 2>/dev/null") != 0)
		return;                       /* no Python: nothing to read TESTS with */
	char dir[64], out[4096], path[256], err[1024];
	test_mkdtemp(dir, sizeof(dir), "hs_fid");
	standin(dir);
	static const char *const test[] = { "dual", "three" };
	for (size_t k = 0; k < 2; k++) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "python3 -c 'import sys; sys.path.insert(0, "
			 "\"hw/bench\"); import pytorch_plan as p\n"
			 "for n, pr, a, r, slo in p.TESTS[\"%s\"][\"tenants\"]:\n"
			 "  v = lambda k: a[a.index(k) + 1] if k in a else \"0\"\n"
			 "  print(n, pr, v(\"--arrival\"), v(\"--rate\"), slo or 0)'",
			 test[k]);
		ck_assert_int_eq(test_run(cmd, out, sizeof(out)), 0);
		snprintf(path, sizeof(path), "%s/scenarios/h200_%s.ini", dir, test[k]);
		struct scenario *sc = scenario_load(path, err, sizeof(err));
		ck_assert_msg(sc != NULL, "%s", err);
		ck_assert_str_eq(sc->policy, "hpf");
		ck_assert_str_eq(sc->device, "h200");
		size_t n = 0;
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), n++) {
			char name[64], arr[32];
			long prio;
			double rate, slo;
			ck_assert_int_eq(sscanf(line, "%63s %ld %31s %lf %lf", name, &prio,
						arr, &rate, &slo), 5);
			int i = scenario_tenant_index(sc, name);
			ck_assert_msg(i >= 0, "%s: no tenant %s", path, name);
			const struct tenant_spec *ts = &sc->tenants[i];
			ck_assert_int_eq(ts->priority, prio);
			ck_assert_str_eq(arr, ts->arrival == ARRIVAL_PERIODIC ? "periodic" :
					 ts->arrival == ARRIVAL_POISSON ? "poisson" : "closed");
			ck_assert_double_eq_tol(ts->rate_per_s, rate, 1e-9);
			ck_assert_double_eq_tol((double)ts->slo_ns / 1e6, slo, 1e-9);
			ck_assert_int_eq(ts->process, PROCESS_OWN);
		}
		ck_assert_uint_eq(n, sc->ntenants);
		scenario_free(sc);
	}
	test_rmtree(dir);
}
END_TEST

Suite *fidelity_suite(void)
{
	Suite *s = suite_create("fidelity");
	TCase *t = tcase_create("fidelity");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_errors_pinned);
	tcase_add_test(t, test_files);
	tcase_add_test(t, test_malformed);
	tcase_add_test(t, test_python_nan);
	tcase_add_test(t, test_command_runs_sim);
	tcase_add_test(t, test_scenarios_match_plan);
	tcase_add_test(t, test_plan_driver_output);
	suite_add_tcase(s, t);
	return s;
}
