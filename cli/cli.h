/*
 * The hipsched command line: git-style subcommands. Each cmd_* takes the
 * arguments after its own name (argv[0] is the subcommand) and returns the
 * process exit status (enum cli_exit). Only this layer prints to the user
 * and exits.
 */
#ifndef HIPSCHED_CLI_H
#define HIPSCHED_CLI_H

#define HIPSCHED_VERSION "0.1.0"

#include <stdio.h>
#include <signal.h>
#include "scenario.h"

/* Exit statuses every command uses, so a script can tell them apart
 * (README.md, "Exit status"). A signal ends a command with 128 + signal
 * (130 for SIGINT, 143 for SIGTERM). */
enum cli_exit {
	CLI_OK = 0,         /* done; a verdict passed */
	CLI_FAIL = 1,       /* the verdict failed (the run itself went fine) */
	CLI_USAGE = 2,      /* bad command line */
	CLI_INPUT = 3,      /* bad input: scenario, trace, profile, arrival file,
	                     * an output path that would overwrite an input */
	CLI_RUN = 4,        /* the run failed: backend, device, I/O, memory */
};

int cmd_sim(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_fidelity(int argc, char **argv);
/* cli/cmd_serve.c: the live commands around the policy server. */
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
/* `hipsched serve --bench`: the decision round trip over a Unix socket
 * (count load changes; the suspended client has `queues` queues), printed
 * as percentiles. Exit status. */
int cli_serve_bench(size_t count, size_t queues);
int cmd_record(int argc, char **argv);

/* `hipsched sim SCENARIO --bench [--duration D]` (simulator only, not part
 * of the shared run driver): runs the scenario's policy run twice
 * (duration d and 2d), prints simulated kernels per wall second and
 * simulated seconds per wall second for each, and the cost ratio. argv as
 * cmd_sim's, with --bench among them. Lives in cli/bench.c (the wall clock
 * is read here, never in sim/). Returns the exit status. */
int cli_sim_bench_main(int argc, char **argv);

/* ---- the run driver shared by `hipsched sim` and `hipsched hw` (cli/drive.c)
 * One call runs a scenario completely with the backend's run_fn: every
 * tenant standalone (policy native, run_opts.active = that tenant), all
 * tenants under native, then under the scenario's policy (or --policy);
 * computes the metrics and the verdict (analysis/), writes the run
 * directory (summary.json, requests.csv, plots, timeline.json with
 * --timeline) to a temp folder renamed into place when complete, and
 * prints the table (or summary.json with --json). Returns the exit status:
 * 0 verdict passes, 1 verdict fails or an error (message printed), 2 usage.
 */
struct drive_opts {
	const char *backend;       /* "sim" or "hw": labels the results */
	const char *scenario_path;
	const char *policy;        /* NULL: the scenario's */
	int have_seed;             /* 0: the scenario's seed */
	unsigned long long seed;
	size_t nseeds;             /* > 1: also run seeds seed+1 .. seed+n-1
	                            * and report figures over them */
	long long duration_ns;     /* <= 0: the scenario's */
	const char *out_dir;       /* NULL: runs/<scenario name>[-<policy>] */
	int json;                  /* print summary.json instead of the table */
	int timeline;              /* write timeline.json of the policy run */
	hs_ns tl_from_ns;          /* timeline window [from, to); to <= 0: open */
	hs_ns tl_to_ns;
	int quiet;                 /* no progress line */
	int silent;                /* print no table (a caller that prints its
	                            * own, e.g. `hipsched fidelity`); errors
	                            * are still printed */
	int device;                /* copied into run_opts.device (hw) */
	int jobs;                  /* runs at once (sim); <= 1: serial */
};
int cli_drive(const struct drive_opts *o, run_fn run);

/* ---- runs in parallel (cli/runs.c) ----------------------------------------
 * One run of a backend: its options (the caller keeps ro.active alive),
 * the result it fills (zeroed by the caller, released by the caller
 * afterwards) and, after cli_runs, its status and message. */
struct cli_run {
	struct run_opts ro;
	struct run_result *res;
	int rc;                    /* run_fn's return */
	char err[1024];            /* its message when rc != 0 */
};
/* Runs r[0..n) with `run` on up to `jobs` threads (<= 1: one after the
 * other, stopping at the first failure); the run_fn must not share mutable
 * state between runs (sim_run does not; hw_run owns the GPU and is run
 * with jobs 1). Returns the index of the first failed run, or -1. */
int cli_runs(run_fn run, const struct scenario *sc, struct cli_run *r,
	     size_t n, int jobs);
/* The machine's online cores (1..256): the default -j of sim and sweep. */
int cli_jobs_default(void);
/* `hipsched sim|hw SCENARIO [options]`: parses the common options (sim:
 * -j N too; hw: --device N too), then cli_drive(). cmd_sim() is
 * cli_drive_main(argc, argv, "sim", sim_run) unless --bench is given;
 * cmd_hw() calls it with "hw" and hw_run. */
int cli_drive_main(int argc, char **argv, const char *backend, run_fn run);

/* The option list of `hipsched sim|hw SCENARIO` (for both commands' help). */
void cli_drive_options(FILE *f, const char *backend);
/* ---- signals (cli/util.c) --------------------------------------------
 * A long command (sim, hw, sweep, serve, trace import) calls
 * cli_signals_init() once: SIGINT and SIGTERM then only set cli_stop (the
 * signal number), which the command polls (run_opts.stop for a backend's
 * run) to end early: it removes its temp files, writes nothing half done,
 * ends its children, and returns cli_signal_exit(). A second signal while
 * the command is still winding down ends the process at once (default
 * action). */
extern volatile sig_atomic_t cli_stop;
/* The exit status for a run's error code (0 or a negative hs_err / hw
 * code): a signal's, CLI_INPUT for bad input (invalid scenario values,
 * traces), CLI_RUN otherwise. */
int cli_exit_status(int rc);
void cli_signals_init(void);
/* 128 + the signal received (130, 143), or 0 if none. */
int cli_signal_exit(void);

/* ---- paths that must not alias an input (cli/util.c) -------------------- */
/* 1 if a and b name the same existing file (same st_dev and st_ino). */
int cli_same_file(const char *a, const char *b);
/* mkdir -p: path and the folders above it (0777 less the umask); an
 * existing one is fine. 0, or -1 with errno. */
int cli_mkdir_p(const char *path);
/* 1 if path exists and is dir or lies inside it (following the real path
 * of path upwards, compared by st_dev / st_ino). */
int cli_path_within(const char *path, const char *dir);

/* Prints "hipsched: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if s is -h or --help. */
int cli_is_help(const char *s);
/* --duration's value: a plain number of seconds or a span with a unit
 * (scenario_parse_duration), > 0. 0, or SCENARIO_EVALUE. */
int cli_parse_duration(const char *s, long long *out_ns);
/* An integer option's value: all of s, base 10, within [lo, hi]. 0, or -1
 * (the caller names the option in its message). */
int cli_parse_long(const char *s, long lo, long hi, long *out);

#endif
