/*
 * The hipsched command line: git-style subcommands. Each cmd_* takes the
 * arguments after its own name (argv[0] is the subcommand) and returns the
 * process exit status (0 ok, 1 failure or failed verdict, 2 usage error).
 * Only this layer prints to the user and exits.
 */
#ifndef HIPSCHED_CLI_H
#define HIPSCHED_CLI_H

#define HIPSCHED_VERSION "0.1.0"

int cmd_sim(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_compare(int argc, char **argv);

struct scenario;
/* `hipsched sim SCENARIO --bench`: runs the scenario's policy run twice
 * (duration d and 2d), prints simulated kernels per wall second and
 * simulated seconds per wall second for each, and the cost ratio. Lives in
 * cli/bench.c (the wall clock is read here, never in sim/). */
int cli_sim_bench(const struct scenario *sc, long long duration_ns);

/* Prints "hipsched: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if s is -h or --help. */
int cli_is_help(const char *s);

#endif
