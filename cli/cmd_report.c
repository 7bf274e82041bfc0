/*
 * hipsched report RUN_DIR: (re)writes RUN_DIR/report.html from what the
 * run directory holds (analysis_write_html). Every sim / hw run writes it
 * too; this redraws it, e.g. after `gnuplot plots.gp` or for a run made by
 * an older hipsched.
 */
#include <stdio.h>
#include <string.h>
#include "analysis.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched report RUN_DIR\n\n"
		"Writes RUN_DIR/report.html: one self-contained page with the run's\n"
		"table, verdict and plots (embedded), and how to open its\n"
		"timeline.json in Perfetto. RUN_DIR is a directory written by\n"
		"`hipsched sim` or `hipsched hw` (it holds summary.json).\n\n"
		"exit status: 0 written, 1 error (message names the file), 2 usage\n");
}

int cmd_report(int argc, char **argv)
{
	if (argc == 2 && cli_is_help(argv[1])) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		if (argc > 1 && argv[1][0] == '-')
			cli_error("report: unknown option '%s'", argv[1]);
		else
			cli_error("report: exactly one RUN_DIR expected");
		usage(stderr);
		return 2;
	}
	char err[1024];
	if (analysis_write_html(argv[1], err, sizeof(err))) {
		cli_error("report: %s", err);
		return 1;
	}
	printf("%s/report.html\n", argv[1]);
	return 0;
}
