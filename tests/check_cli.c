/* Tests of the command line: dispatch, help, version, exit codes. */
#include <check.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "test_util.h"


/* The command's output and exit status (test_util.h). */
static int run(const char *cmd, char *out, size_t len)
{
	return test_run(cmd, out, len);
}

static char out[65536];

START_TEST(test_version)
{
	ck_assert_int_eq(run("./hipsched --version", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hipsched " HIPSCHED_VERSION "\n");
}
END_TEST

START_TEST(test_no_args_usage)
{
	ck_assert_int_eq(run("./hipsched", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "usage: hipsched"));
}
END_TEST

START_TEST(test_help_lists_commands)
{
	ck_assert_int_eq(run("./hipsched --help", out, sizeof(out)), 0);
	const char *cmds[] = { "sim", "hw", "trace", "compare", "report", "fidelity",
			       "help" };
	for (size_t i = 0; i < 7; i++)
		ck_assert_msg(strstr(out, cmds[i]), "help lacks %s", cmds[i]);
}
END_TEST

START_TEST(test_unknown_command)
{
	ck_assert_int_eq(run("./hipsched simulate", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "'simulate' is not a hipsched command"));
}
END_TEST

START_TEST(test_subcommand_help)
{
	const char *cmds[] = { "sim", "hw", "trace", "compare", "report", "fidelity" };
	for (size_t i = 0; i < 6; i++) {
		char c[64];
		snprintf(c, sizeof(c), "./hipsched %s --help", cmds[i]);
		ck_assert_int_eq(run(c, out, sizeof(out)), 0);
		ck_assert_msg(strstr(out, "usage: hipsched"), "%s: %s", c, out);
		snprintf(c, sizeof(c), "./hipsched help %s", cmds[i]);
		ck_assert_int_eq(run(c, out, sizeof(out)), 0);
		ck_assert_ptr_nonnull(strstr(out, "usage: hipsched"));
	}
	ck_assert_int_eq(run("./hipsched help nope", out, sizeof(out)), 2);
}
END_TEST

/* 1 if the two files have the same bytes. */
static int same_file(const char *a, const char *b)
{
	char c[1024];
	snprintf(c, sizeof(c), "cmp -s %s %s", a, b);
	return run(c, out, sizeof(out)) == 0;
}

/* The whole run directory is reproducible: same scenario and seed give the
 * same bytes of summary.json, requests.csv and timeline.json; another seed
 * changes the Poisson tenant's arrivals. */
START_TEST(test_run_dir_deterministic)
{
	char d[3][64], c[512], a[256], b[256];
	for (int i = 0; i < 3; i++) {
		snprintf(d[i], sizeof(d[i]), "/tmp/hipsched_det_%d_%d", (int)getpid(), i);
		snprintf(c, sizeof(c), "rm -rf %s && %s sim scenarios/three_tenant.ini"
			 " --duration 2s --timeline --seed %d --out %s", d[i], test_bin(),
			 i == 2 ? 7 : 3, d[i]);
		int rc = run(c, out, sizeof(out));
		ck_assert_msg(rc == 0 || rc == 1, "%s: %s", c, out);
	}
	const char *files[] = { "summary.json", "requests.csv", "timeline.json" };
	for (int f = 0; f < 3; f++) {
		snprintf(a, sizeof(a), "%s/%s", d[0], files[f]);
		snprintf(b, sizeof(b), "%s/%s", d[1], files[f]);
		ck_assert_msg(same_file(a, b), "%s differs between two runs", files[f]);
	}
	snprintf(a, sizeof(a), "%s/requests.csv", d[0]);
	snprintf(b, sizeof(b), "%s/requests.csv", d[2]);
	ck_assert_msg(!same_file(a, b), "seed 7 gave the same requests as seed 3");
	snprintf(c, sizeof(c), "rm -rf %s %s %s", d[0], d[1], d[2]);
	run(c, out, sizeof(out));
}
END_TEST

/* `hw --help` names every option that `hw`, `hw calibrate` and `hw direct`
 * accept. */
START_TEST(test_hw_help_complete)
{
	ck_assert_int_eq(run("./hipsched hw --help", out, sizeof(out)), 0);
	const char *opts[] = { "--policy", "--seed", "--seeds", "--duration", "--out",
			       "--json", "--timeline", "--timeline-window",
			       "--quiet", "--device", "--output", "--base",
			       "--tenant" };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		ck_assert_msg(strstr(out, opts[i]), "hw --help lacks %s", opts[i]);
}
END_TEST

/* The default run directory carries --policy (so a second policy does not
 * replace the first), and --policy native prints the native row once. */
START_TEST(test_default_out_and_native_rows)
{
	char dir[128], c[2048], cwd[512], exe[1024];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ptr_nonnull(realpath(test_bin(), exe));
	snprintf(dir, sizeof(dir), "/tmp/hipsched_out_%d", (int)getpid());
	snprintf(c, sizeof(c), "rm -rf %s && mkdir %s && cd %s && %s sim "
		 "%s/scenarios/dual_resnet.ini --duration 1s --quiet --policy native",
		 dir, dir, dir, exe, cwd);
	int rc = run(c, out, sizeof(out));
	ck_assert_msg(rc == 0 || rc == 1, "%s: %s", c, out);
	const char *p = strstr(out, "hp           10 native");
	ck_assert_msg(p && !strstr(p + 1, "hp           10 native"),
		      "native row not exactly once:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "runs/dual_resnet-native)"));
	snprintf(c, sizeof(c), "test -f %s/runs/dual_resnet-native/summary.json"
		 " && test ! -e %s/runs/dual_resnet", dir, dir);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	snprintf(c, sizeof(c), "rm -rf %s", dir);
	run(c, out, sizeof(out));
}
END_TEST

/* Not on a terminal, a long run prints plain progress lines (no carriage
 * return) to stderr, with -j 1 and in parallel; --quiet prints none. */
START_TEST(test_progress_lines)
{
	char c[1024], f[128];
	snprintf(f, sizeof(f), "/tmp/hipsched_prog_%d", (int)getpid());
	snprintf(c, sizeof(c), "HIPSCHED_PROGRESS_EVERY=0.02 %s sim scenarios/dual_resnet.ini"
		 " --duration 20s --out %s.d 2>%s >/dev/null; grep -cE '^hipsched: (run [1-4]/4 |4 runs at once)' %s"
		 " && ! grep -q \"$(printf '\\r')\" %s", test_bin(), f, f, f, f);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	ck_assert_int_ge(atoi(out), 2);
	snprintf(c, sizeof(c), "HIPSCHED_PROGRESS_EVERY=0.02 %s sim scenarios/dual_resnet.ini"
		 " -j 1 --duration 20s --out %s.d 2>%s >/dev/null; grep -c '^hipsched: run [1-4]/4 ' %s",
		 test_bin(), f, f, f);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	ck_assert_int_ge(atoi(out), 2);
	snprintf(c, sizeof(c), "HIPSCHED_PROGRESS_EVERY=0.02 %s sim scenarios/dual_resnet.ini"
		 " --duration 5s --quiet --out %s.d 2>%s >/dev/null; test ! -s %s", test_bin(), f,
		 f, f);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	snprintf(c, sizeof(c), "rm -rf %s %s.d", f, f);
	run(c, out, sizeof(out));
}
END_TEST

/* --timeline-window: bad windows are usage errors; a good one implies
 * --timeline and keeps only its part of the run. */
START_TEST(test_timeline_window_option)
{
	const char *bad[] = { "3s..2s", "abc", "1s", "..0", "1s..x" };
	for (size_t i = 0; i < 5; i++) {
		char c[512];
		snprintf(c, sizeof(c), "./hipsched sim scenarios/dual_resnet.ini "
			 "--timeline-window %s --out /tmp/hipsched_never", bad[i]);
		ck_assert_int_eq(run(c, out, sizeof(out)), 2);
		ck_assert_msg(strstr(out, "bad --timeline-window"), "%s", out);
	}
	char d[128], c[1024];
	snprintf(d, sizeof(d), "/tmp/hipsched_win_%d", (int)getpid());
	snprintf(c, sizeof(c), "rm -rf %s && %s sim scenarios/dual_resnet.ini --quiet "
		 "--duration 1s --timeline-window 200ms..0.3 --out %s >/dev/null && "
		 "test -s %s/timeline.json && grep -c '\"ph\":\"X\"' %s/timeline.json",
		 d, test_bin(), d, d, d);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	long inwin = atol(out);
	snprintf(c, sizeof(c), "%s sim scenarios/dual_resnet.ini --quiet --duration 1s "
		 "--timeline --out %s >/dev/null && grep -c '\"ph\":\"X\"' %s/timeline.json",
		 test_bin(), d, d);
	ck_assert_int_eq(run(c, out, sizeof(out)), 0);
	long all = atol(out);
	ck_assert_msg(inwin > 0 && inwin * 5 < all, "window %ld of %ld slices", inwin, all);
	snprintf(c, sizeof(c), "rm -rf %s", d);
	run(c, out, sizeof(out));
}
END_TEST

/* Host jitter makes seeds matter where no arrival is random: dual_resnet
 * (periodic + closed loop) under seed 7 and seed 8 gives other latencies
 * (the requests draw other host timings), and seed 7 twice the same bytes.
 * Before the host-jitter model both seeds gave byte-identical runs. */
START_TEST(test_seed_changes_closed_workload)
{
	char d[3][64], c[512], a[256], b[256];
	for (int i = 0; i < 3; i++) {
		snprintf(d[i], sizeof(d[i]), "/tmp/hipsched_seed_%d_%d", (int)getpid(), i);
		snprintf(c, sizeof(c), "rm -rf %s && %s sim scenarios/dual_resnet.ini"
			 " --duration 2s --seed %d --out %s", d[i], test_bin(),
			 i == 2 ? 8 : 7, d[i]);
		int rc = run(c, out, sizeof(out));
		ck_assert_msg(rc == 0 || rc == 1, "%s: %s", c, out);
	}
	const char *files[] = { "summary.json", "requests.csv" };
	for (int f = 0; f < 2; f++) {
		snprintf(a, sizeof(a), "%s/%s", d[0], files[f]);
		snprintf(b, sizeof(b), "%s/%s", d[1], files[f]);
		ck_assert_msg(same_file(a, b), "%s differs between two seed-7 runs", files[f]);
		snprintf(b, sizeof(b), "%s/%s", d[2], files[f]);
		ck_assert_msg(!same_file(a, b), "seed 8 gave the same %s as seed 7", files[f]);
	}
	snprintf(c, sizeof(c), "rm -rf %s %s %s", d[0], d[1], d[2]);
	run(c, out, sizeof(out));
}
END_TEST

/* --bench is the simulator's own: it runs through cmd_sim, takes only
 * --duration, and the run driver shared with hw does not know it. */
START_TEST(test_bench_sim_only)
{
	ck_assert_int_eq(run("./hipsched sim scenarios/dual_resnet.ini --bench "
			     "--duration 200ms", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "cost ratio 2d/d"));
	ck_assert_ptr_nonnull(strstr(out, "duration    0.200 s"));
	ck_assert_int_eq(run("./hipsched sim scenarios/dual_resnet.ini --bench --json",
			     out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "only --duration goes with --bench"));
	char *argv[] = { "hw", "scenarios/dual_resnet.ini", "--bench", NULL };
	FILE *keep = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = cli_drive_main(3, argv, "hw", NULL);
	fclose(stderr);
	stderr = keep;
	ck_assert_int_eq(rc, 2);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("dispatch");
	tcase_add_test(t, test_version);
	tcase_add_test(t, test_no_args_usage);
	tcase_add_test(t, test_help_lists_commands);
	tcase_add_test(t, test_unknown_command);
	tcase_add_test(t, test_subcommand_help);
	tcase_add_test(t, test_run_dir_deterministic);
	tcase_add_test(t, test_hw_help_complete);
	tcase_add_test(t, test_progress_lines);
	tcase_add_test(t, test_timeline_window_option);
	tcase_add_test(t, test_default_out_and_native_rows);
	tcase_add_test(t, test_seed_changes_closed_workload);
	tcase_add_test(t, test_bench_sim_only);
	tcase_set_timeout(t, 120);
	suite_add_tcase(s, t);
	return s;
}
