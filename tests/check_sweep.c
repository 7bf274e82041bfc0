/* Tests of sweeps: the point's scenario (analysis/sweep.c) and `hipsched
 * sweep` end to end (cli/cmd_sweep.c), a failing point included. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "analysis.h"
#include "scenario.h"
#include "test_util.h"

static const char *bin(void)
{
	const char *b = getenv("HIPSCHED_BIN");
	return b && *b ? b : "./hipsched";
}

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_point_scenario)
{
	char err[512], dir[64], path[128];
	struct scenario *sc = scenario_load("scenarios/dual_resnet.ini", err, sizeof(err));
	ck_assert_msg(sc != NULL, "%s", err);
	test_mkdtemp(dir, sizeof(dir), "hs_sweep");
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	struct sweep_set set[] = {
		{ "policy", "edf" }, { "threshold", "8" }, { "hp.rate", "20" },
		{ "lp.weight", "2.5" }, { "seed", "9" },
	};
	ck_assert_int_eq(sweep_write_point(sc, set, 5, path, err, sizeof(err)), 0);
	struct scenario *p = scenario_load(path, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(p->policy, "edf");
	ck_assert_uint_eq(p->nparams, 0);          /* hpf's linger dropped */
	ck_assert_uint_eq(p->threshold, 8);
	ck_assert_uint_eq(p->seed, 9);
	ck_assert(p->tenants[0].rate_per_s == 20);
	ck_assert(p->tenants[1].weight == 2.5);    /* a key the file lacked */
	ck_assert_int_eq(access(p->tenants[0].trace_path, R_OK), 0);
	scenario_free(p);
	/* the same policy keeps its parameters */
	struct sweep_set keep[] = { { "policy", "hpf" }, { "linger", "0.5" } };
	ck_assert_int_eq(sweep_write_point(sc, keep, 2, path, err, sizeof(err)), 0);
	p = scenario_load(path, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(p->nparams, 1);
	ck_assert_str_eq(p->params[0].val, "0.5");
	scenario_free(p);
	char sec[64], key[64];
	ck_assert_int_eq(sweep_target(sc, "nosuch.rate", sec, sizeof(sec), key,
				      sizeof(key), err, sizeof(err)), HS_EINVAL);
	ck_assert_str_eq(err, "--set nosuch.rate: the scenario has no tenant 'nosuch'");
	ck_assert_int_eq(sweep_target(sc, "policy", sec, sizeof(sec), key,
				      sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(sec, "policy");
	ck_assert_str_eq(key, "name");
	scenario_free(sc);
	test_rmtree(dir);
}
END_TEST

/* Lines of a file containing needle. */
static int count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	int n = 0;
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* 2 x 2 grid; threshold 2 < batch 8 makes two points fail with the
 * scenario's error while the others complete; the jobs file + merge path
 * gives the same rows. */
START_TEST(test_sweep_end_to_end)
{
	char dir[64], cmd[2048], csv[128];
	test_mkdtemp(dir, sizeof(dir), "hs_sweep");
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini --set policy=hpf,edf "
		 "--set threshold=2,16 --set duration=300ms -j 2 --out %s/a > %s/out.txt 2>&1",
		 bin(), dir, dir);
	ck_assert_int_eq(sh(cmd), 1);              /* a point did not run */
	snprintf(csv, sizeof(csv), "%s/a/sweep.csv", dir);
	ck_assert_int_eq(count_lines(csv, ",ok,"), 4);      /* 2 points x 2 tenants */
	ck_assert_int_eq(count_lines(csv, ",error,/"), 2);
	ck_assert_int_eq(count_lines(csv, "must not exceed threshold (2)"), 2);
	ck_assert_int_eq(count_lines(csv, "set.policy,set.threshold,set.duration,verdict,tenant"), 1);
	snprintf(cmd, sizeof(cmd), "%s/out.txt", dir);
	ck_assert_int_eq(count_lines(cmd, "ERROR policy=edf threshold=2 duration=300ms"), 1);
	snprintf(cmd, sizeof(cmd), "%s/a/sweep_threshold.dat", dir);
	ck_assert_int_eq(access(cmd, R_OK), 0);
	/* cluster path */
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini --set policy=hpf,edf "
		 "--set threshold=2,16 --set duration=300ms --out %s/b --jobs-file %s/jobs.txt"
		 " > /dev/null && sh %s/jobs.txt; %s sweep --merge %s/b > /dev/null 2>&1",
		 bin(), dir, dir, dir, bin(), dir);
	ck_assert_int_eq(sh(cmd), 1);
	snprintf(csv, sizeof(csv), "%s/jobs.txt", dir);
	ck_assert_int_eq(count_lines(csv, " sim "), 4);
	snprintf(csv, sizeof(csv), "%s/b/sweep.csv", dir);
	ck_assert_int_eq(count_lines(csv, ",ok,"), 4);
	ck_assert_int_eq(count_lines(csv, ",error,/"), 2);
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini --set nosuch.rate=1 "
		 "--out %s/c > /dev/null 2>&1", bin(), dir);
	ck_assert_int_eq(sh(cmd), 1);
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini > /dev/null 2>&1", bin());
	ck_assert_int_eq(sh(cmd), 2);
	test_rmtree(dir);
}
END_TEST

/* Column index of `name` in a CSV header line (no quoted fields), or -1. */
static int col_of(const char *header, const char *name)
{
	char b[16384];
	snprintf(b, sizeof(b), "%s", header);
	b[strcspn(b, "\n")] = '\0';
	int i = 0;
	for (char *p = b, *e; p; p = e ? e + 1 : NULL, i++) {
		e = strchr(p, ',');
		if (e)
			*e = '\0';
		if (strcmp(p, name) == 0)
			return i;
	}
	return -1;
}

/* Field i of a CSV line (no quoted fields) as a number; NAN when empty. */
static double field(const char *line, int i)
{
	const char *p = line;
	for (int k = 0; k < i && p; k++)
		p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
	if (!p || *p == ',' || *p == '\n' || !*p)
		return NAN;
	return strtod(p, NULL);
}

/* --seeds N: one point per grid point (not per seed), each run under N
 * seeds, and sweep.csv carries per point and tenant the mean of P99 and
 * throughput over the seeds with a 95 % CI around it; the jobs file asks
 * for the seeds too. */
START_TEST(test_sweep_seeds)
{
	char dir[64], cmd[2048], csv[128];
	test_mkdtemp(dir, sizeof(dir), "hs_sweep");
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini --set hp.rate=10,20 "
		 "--set duration=300ms --seeds 3 -j 2 --out %s/a > %s/out.txt 2>&1",
		 bin(), dir, dir);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(csv, sizeof(csv), "%s/a/sweep.csv", dir);
	ck_assert_int_eq(count_lines(csv, ",ok,"), 4);      /* 2 points x 2 tenants */
	FILE *f = fopen(csv, "r");
	ck_assert_ptr_nonnull(f);
	static char header[16384], line[16384];
	ck_assert_ptr_nonnull(fgets(header, sizeof(header), f));
	int cn = col_of(header, "seeds.n");
	int cm = col_of(header, "seeds.policy.p99_ms.mean");
	int cl = col_of(header, "seeds.policy.p99_ms.ci95_lo");
	int ch = col_of(header, "seeds.policy.p99_ms.ci95_hi");
	int ct = col_of(header, "seeds.native.throughput_rps.mean");
	int ctl = col_of(header, "seeds.native.throughput_rps.ci95_lo");
	ck_assert(cn >= 0 && cm >= 0 && cl >= 0 && ch >= 0 && ct >= 0 && ctl >= 0);
	int rows = 0, spread = 0;
	while (fgets(line, sizeof(line), f)) {
		rows++;
		ck_assert_double_eq(field(line, cn), 3);
		double m = field(line, cm), lo = field(line, cl), hi = field(line, ch);
		ck_assert_msg(m > 0 && lo <= m && m <= hi, "p99 %g [%g, %g]", m, lo, hi);
		spread += hi > lo;
		ck_assert(field(line, ct) > 0 && field(line, ctl) <= field(line, ct));
	}
	fclose(f);
	ck_assert_int_eq(rows, 4);
	ck_assert_int_gt(spread, 0);    /* another seed, another sample */
	snprintf(cmd, sizeof(cmd), "%s sweep scenarios/dual_resnet.ini --set hp.rate=10,20 "
		 "--seeds 2 --out %s/b --jobs-file %s/jobs.txt > /dev/null", bin(), dir, dir);
	ck_assert_int_eq(sh(cmd), 0);
	snprintf(csv, sizeof(csv), "%s/jobs.txt", dir);
	ck_assert_int_eq(count_lines(csv, " --seeds 2 "), 2);
	test_rmtree(dir);
}
END_TEST

Suite *sweep_suite(void)
{
	Suite *s = suite_create("sweep");
	TCase *t = tcase_create("sweep");
	tcase_add_test(t, test_point_scenario);
	tcase_add_test(t, test_sweep_end_to_end);
	tcase_add_test(t, test_sweep_seeds);
	tcase_set_timeout(t, 120);
	suite_add_tcase(s, t);
	return s;
}
