/*
 * hipsched compare RUN_A RUN_B: every value of the two summary.json files
 * side by side, numbers with their relative difference (B - A) / |A|.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "analysis.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hipsched compare RUN_DIR_A RUN_DIR_B [--all]\n\n"
		   "Prints every metric of the two runs' summary.json side by side\n"
		   "with the relative difference (B - A) / |A|; values that are the\n"
		   "same text (scenario, device, ...) are shown once. --all also\n"
		   "lists equal non-numeric values and the 95%% CI bounds.\n"
		   "exit status: 0 ok, 1 a summary is missing or malformed, 2 usage\n");
}

static void num(double v, int present)
{
	if (!present)
		printf(" %14s", "(absent)");
	else if (isnan(v))
		printf(" %14s", "-");
	else
		printf(" %14.6g", v);
}

int cmd_compare(int argc, char **argv)
{
	const char *dir[2] = { NULL, NULL };
	int nd = 0, all = 0;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("compare: unknown option '%s'", argv[i]);
			usage(stderr);
			return 2;
		} else if (nd < 2) {
			dir[nd++] = argv[i];
		} else {
			nd++;
		}
	}
	if (nd != 2) {
		cli_error("compare: two run directories expected");
		usage(stderr);
		return 2;
	}
	struct cmp_table t;
	char err[1024];
	if (analysis_compare(dir[0], dir[1], &t, err, sizeof(err))) {
		cli_error("%s", err);
		return CLI_INPUT;
	}
	printf("A: %s\nB: %s\n\n", dir[0], dir[1]);
	int w = 6;
	for (size_t i = 0; i < t.n; i++)
		if ((int)strlen(t.rows[i].key) > w)
			w = (int)strlen(t.rows[i].key);
	/* text values first: what the runs were */
	for (size_t i = 0; i < t.n; i++) {
		const struct cmp_row *r = &t.rows[i];
		if (r->is_num)
			continue;
		int same = r->sa && r->sb && strcmp(r->sa, r->sb) == 0;
		if (same && !all && !strstr(r->key, "pass"))
			continue;
		printf("%-*s %-16s %-16s%s\n", w, r->key, r->sa ? r->sa : "(absent)",
		       r->sb ? r->sb : "(absent)", same ? "" : "  differs");
	}
	printf("\n%-*s %14s %14s %10s\n", w, "metric", "A", "B", "B vs A");
	for (size_t i = 0; i < t.n; i++) {
		const struct cmp_row *r = &t.rows[i];
		if (!r->is_num || (!all && strstr(r->key, "mean_ci95")))
			continue;
		printf("%-*s", w, r->key);
		num(r->a, r->in_a);
		num(r->b, r->in_b);
		double d = analysis_rel_diff(r->a, r->b);
		if (isnan(d))
			printf(" %10s\n", r->a == r->b ? "0" : "-");
		else
			printf(" %+9.1f%%\n", 100 * d);
	}
	analysis_compare_release(&t);
	return 0;
}
