/* hipsched trace: placeholder until its issue lands. */
#include <stdio.h>
#include "cli.h"

int cmd_trace(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("usage: hipsched trace ... (not built yet)\n");
		return 0;
	}
	cli_error("trace: not built yet");
	return 1;
}
