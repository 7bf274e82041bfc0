/* hipsched sim: a scenario in the simulator, through the shared driver;
 * --bench (simulator speed figures, cli/bench.c) is the simulator's own. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "sim.h"

int cmd_sim(int argc, char **argv)
{
	int help = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bench") == 0)
			return cli_sim_bench_main(argc, argv);
		help |= cli_is_help(argv[i]);
	}
	int rc = cli_drive_main(argc, argv, "sim", sim_run);
	if (help)
		printf("\n  hipsched sim SCENARIO --bench [--duration D]\n"
		       "                 simulator speed figures (durations D and 2D), then exit\n");
	return rc;
}
