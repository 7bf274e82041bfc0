/* hipsched compare: placeholder until its issue lands. */
#include <stdio.h>
#include "cli.h"

int cmd_compare(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("usage: hipsched compare ... (not built yet)\n");
		return 0;
	}
	cli_error("compare: not built yet");
	return 1;
}
