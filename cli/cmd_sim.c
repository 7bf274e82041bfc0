/* hipsched sim: placeholder until its issue lands. */
#include <stdio.h>
#include "cli.h"

int cmd_sim(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("usage: hipsched sim ... (not built yet)\n");
		return 0;
	}
	cli_error("sim: not built yet");
	return 1;
}
