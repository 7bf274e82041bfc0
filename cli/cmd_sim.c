/* hipsched sim: a scenario in the simulator, through the shared driver. */
#include "cli.h"
#include "sim.h"

int cmd_sim(int argc, char **argv)
{
	return cli_drive_main(argc, argv, "sim", sim_run);
}
