/* hipsched: entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "sim", cmd_sim, "run a scenario in the GPU simulator" },
	{ "hw", cmd_hw, "run a scenario on a real GPU through HIP" },
	{ "trace", cmd_trace, "import, inspect and export kernel traces" },
	{ "compare", cmd_compare, "compare two run directories metric by metric" },
	{ "sweep", cmd_sweep, "run a scenario over a grid of settings (simulator)" },
	{ "fidelity", cmd_fidelity, "the simulator against a real run: errors per figure" },
	{ "report", cmd_report, "write a run directory's report.html" },
	{ "serve", cmd_serve, "the policy server for live applications (a daemon)" },
	{ "run", cmd_run, "run an application under libhipsched.so, joined to it" },
	{ "status", cmd_status, "clients, queues and decisions of the policy server" },
	{ "ctl", cmd_ctl, "change hints or the policy of the server at run time" },
	{ "record", cmd_record, "record an application's trace without a profiler" },
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: hipsched [--version] [--help] <command> [<args>]\n\n"
		   "hipsched is a preemptive GPU scheduler for multi-model workloads:\n"
		   "one scheduler core, a deterministic GPU simulator and a HIP backend.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NSUB; i++)
		fprintf(f, "   %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "   %-9s %s\n", "help", "show help for a command");
	fprintf(f, "\n'hipsched <command> --help' shows a command's options.\n");
}

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < NSUB; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (cli_is_help(cmd)) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("hipsched %s\n", HIPSCHED_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct subcommand *sc = find(argv[2]);
		if (!sc) {
			cli_error("no such command '%s'", argv[2]);
			return 2;
		}
		char *hargv[] = { argv[2], "--help", NULL };
		return sc->run(2, hargv);
	}
	const struct subcommand *sc = find(cmd);
	if (!sc) {
		cli_error("'%s' is not a hipsched command; see 'hipsched --help'", cmd);
		return 2;
	}
	return sc->run(argc - 1, argv + 1);
}
