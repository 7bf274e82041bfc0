/*
 * hipsched record [-o TRACE.csv] [--requests N] [--warmup N] [--sample K]
 *                 [--log PATH] -- CMD ARGS
 * hipsched record --convert LOG [-o TRACE.csv] [--requests N] [--warmup N]
 *
 * Runs CMD with libhipsched.so preloaded and HIPSCHED_RECORD set (the
 * recorder: hw/shim/record.h), then turns its record log into a canonical
 * trace (trace_record_load, traces/trace.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "trace.h"

#ifndef HIPSCHED_BUILD_DIR
#define HIPSCHED_BUILD_DIR "build/rel"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched record [-o TRACE.csv] [--requests N] [--warmup N]\n"
		"                       [--sample K] [--log PATH] -- CMD [ARGS...]\n"
		"       hipsched record --convert LOG [-o TRACE.csv] [--requests N]\n"
		"                       [--warmup N]\n\n"
		"Runs CMD under the interception library (libhipsched.so, LD_PRELOAD)\n"
		"with HIPSCHED_RECORD set, then writes a canonical trace whose host\n"
		"times (launch calls, gaps, request boundaries) were taken without a\n"
		"profiler. Requests end at the application's host syncs, or at its\n"
		"calls of hipsched_mark_request() (ctypes.CDLL(None)) when it makes\n"
		"any. Every K-th request is timed on the GPU with events; the others\n"
		"are written with their own host times and the timed ones' GPU\n"
		"durations (traces/README.md).\n\n"
		"  -o, --output TRACE.csv  the trace (default: record.csv)\n"
		"  --requests N     write N requests (default: all recorded); the\n"
		"                   library stops logging once it has enough\n"
		"  --warmup N       drop the first N requests (default 5)\n"
		"  --sample K       time every K-th request (default 2; 1 = all, whose\n"
		"                   host times then include the events' cost)\n"
		"  --log PATH       keep the raw record log there (default: removed)\n"
		"  --convert LOG    convert an existing record log (or LOG.gz), run nothing\n\n"
		"The library: $HIPSCHED_SHIM, else libhipsched.so next to the hipsched\n"
		"binary, else " HIPSCHED_BUILD_DIR "/libhipsched.so beside it.\n"
		"exit status: 0 ok, 1 CMD failed or the log is unusable, 2 usage\n");
}

/* The library to preload into buf; 0, or -1 with the places tried said. */
static int find_shim(char *buf, size_t len)
{
	const char *env = getenv("HIPSCHED_SHIM");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		if (access(buf, R_OK) == 0)
			return 0;
		cli_error("record: HIPSCHED_SHIM=%s: %s", env, strerror(errno));
		return -1;
	}
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cli_error("record: cannot find the hipsched binary: %s", strerror(errno));
		return -1;
	}
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	*slash = 0;
	snprintf(buf, len, "%s/libhipsched.so", exe);
	if (access(buf, R_OK) == 0)
		return 0;
	snprintf(buf, len, "%s/" HIPSCHED_BUILD_DIR "/libhipsched.so", exe);
	if (access(buf, R_OK) == 0)
		return 0;
	cli_error("record: libhipsched.so not found (%s/libhipsched.so, %s; build it "
		  "with 'make shim' or set HIPSCHED_SHIM)", exe, buf);
	return -1;
}

static int count_arg(const char *opt, const char *v, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x > 100000000ull) {
		cli_error("record: %s needs a count, not '%s'", opt, v);
		return -1;
	}
	*out = (size_t)x;
	return 0;
}

/* Runs argv under the recorder; 0 when it exited with status 0. */
static int run_recorded(char **argv, const char *shim, const char *log,
			size_t sample, size_t limit)
{
	char pre[PATH_MAX * 2], num[32];
	const char *old = getenv("LD_PRELOAD");
	snprintf(pre, sizeof(pre), "%s%s%s", shim, old && *old ? ":" : "",
		 old ? old : "");
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	sigaction(SIGINT, &ign, &oint);   /* ^C reaches CMD; we convert after */
	sigaction(SIGQUIT, &ign, &oquit);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("record: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		setenv("LD_PRELOAD", pre, 1);
		setenv("HIPSCHED_RECORD", log, 1);
		snprintf(num, sizeof(num), "%zu", sample);
		setenv("HIPSCHED_RECORD_SAMPLE", num, 1);
		snprintf(num, sizeof(num), "%zu", limit);
		setenv("HIPSCHED_RECORD_REQUESTS", num, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "hipsched: record: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		cli_error("record: %s exited with status %d", argv[0], WEXITSTATUS(st));
	else
		cli_error("record: %s killed by signal %d", argv[0], WTERMSIG(st));
	return -1;
}

static int convert(const char *log, const char *out, const struct trace_record_opts *o)
{
	struct trace_err err;
	struct trace_record_stats st;
	struct trace *t = trace_record_load(log, o, &st, &err);
	if (!t || trace_save(t, out, &err) < 0) {
		cli_error("%s", err.msg);
		trace_free(t);
		return -1;
	}
	fprintf(stderr, "%s: %zu requests written (%zu recorded, split by %s: %zu "
		"warm-up, %zu timed on the GPU", out, st.written, st.requests,
		st.marks ? "hipsched_mark_request()" : "host syncs", st.warmup, st.sampled);
	if (st.untimed_reqs)
		fprintf(stderr, ", %zu left out: no timed request of their shape",
			st.untimed_reqs);
	fprintf(stderr, "); %zu request shapes", st.nshapes);
	if (st.skipped)
		fprintf(stderr, "; %zu event / wait / graph calls not written", st.skipped);
	fputc('\n', stderr);
	if (st.timed_written)
		fprintf(stderr, "  every request was timed: host times include the "
			"timing events' cost\n");
	if (st.untimed_cmds)
		fprintf(stderr, "  %zu commands have no GPU duration (their events "
			"were lost): duration 0\n", st.untimed_cmds);
	trace_free(t);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "requests", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "sample", required_argument, NULL, 'k' },
		{ "log", required_argument, NULL, 'l' },
		{ "convert", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "record.csv", *keep_log = NULL, *conv = NULL;
	struct trace_record_opts o = { .warmup = 5 };
	size_t sample = 2;
	int c;
	optind = 1;
	opterr = 0;
	/* '+': stop at CMD, whose own options are not ours */
	while ((c = getopt_long(argc, argv, "+o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (count_arg("--requests", optarg, &o.requests))
				return 2;
			break;
		case 'w':
			if (count_arg("--warmup", optarg, &o.warmup))
				return 2;
			break;
		case 'k':
			if (count_arg("--sample", optarg, &sample) || !sample) {
				if (!sample)
					cli_error("record: --sample must be >= 1");
				return 2;
			}
			break;
		case 'l':
			keep_log = optarg;
			break;
		case 'c':
			conv = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			cli_error("record: unknown or incomplete option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (conv) {
		if (optind != argc) {
			cli_error("record: --convert takes no CMD");
			return 2;
		}
		if (strcmp(conv, out) == 0) {
			cli_error("record: -o would overwrite %s", conv);
			return 2;
		}
		return convert(conv, out, &o) ? 1 : 0;
	}
	if (optind >= argc) {
		cli_error("record: no CMD given (hipsched record [options] -- CMD ARGS)");
		usage(stderr);
		return 2;
	}
	char shim[PATH_MAX], log[PATH_MAX];
	if (find_shim(shim, sizeof(shim)))
		return 1;
	if (keep_log)
		snprintf(log, sizeof(log), "%s", keep_log);
	else
		snprintf(log, sizeof(log), "%s.reclog.%d", out, (int)getpid());
	/* enough boundaries for N untimed requests after the warm-up:
	 * ceil(N * K / (K - 1)), one more for the phase of the sampling */
	size_t limit = 0;
	if (o.requests)
		limit = o.warmup + 1 + (sample == 1 ? o.requests :
			(o.requests * sample + sample - 2) / (sample - 1));
	int failed = run_recorded(argv + optind, shim, log, sample, limit);
	int rc = convert(log, out, &o);
	if (!keep_log)
		unlink(log);
	return failed || rc ? 1 : 0;
}
