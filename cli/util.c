/* Small helpers shared by the subcommands: messages, signals, paths,
 * durations. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "analysis.h"
#include "hw.h"
#include "trace.h"

volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
	if (cli_stop) {            /* a second signal: stop waiting now */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cli_stop = sig;
}

void cli_signals_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking read or wait returns EINTR and the
	 * command sees cli_stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cli_stop = 0;
}

int cli_signal_exit(void)
{
	return cli_stop ? 128 + cli_stop : 0;
}

int cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int cli_path_within(const char *path, const char *dir)
{
	struct stat sd, sp;
	if (stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode))
		return 0;
	char *real = realpath(path, NULL);
	if (!real)
		return 0;
	int in = 0;
	for (;;) {
		if (stat(real[0] ? real : "/", &sp) == 0 && sp.st_dev == sd.st_dev &&
		    sp.st_ino == sd.st_ino) {
			in = 1;
			break;
		}
		char *sl = strrchr(real, '/');
		if (!sl || !real[0])
			break;
		*sl = 0;            /* "/a/b" -> "/a" -> "" (the root) */
	}
	free(real);
	return in;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hipsched: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int cli_exit_status(int rc)
{
	if (rc == HS_EINTR || cli_stop)
		return cli_signal_exit() ? cli_signal_exit() : CLI_RUN;
	switch (rc) {
	case HS_OK:
		return CLI_OK;
	case HS_EINVAL: case HS_ELEVEL: case HS_ENOPOLICY: case HS_EPARAM:
	case HW_ETRACE: case TRACE_EBAD: case SCENARIO_EBAD: case SCENARIO_EVALUE:
	case SCENARIO_ELIMIT: case ANALYSIS_EBAD: case ANALYSIS_EOUT:
		return CLI_INPUT;
	default:
		return CLI_RUN;
	}
}

int cli_parse_duration(const char *s, long long *out_ns)
{
	const char *why;
	hs_ns d;
	char *end;
	double secs = strtod(s, &end);
	if (end != s && !*end && secs > 0 && secs < 9e9) {
		*out_ns = (long long)llround(secs * 1e9);
		return 0;
	}
	if (!scenario_parse_duration(s, &d, &why) && d > 0) {
		*out_ns = d;
		return 0;
	}
	return SCENARIO_EVALUE;
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cli_mkdir_p(const char *path)
{
	char b[PATH_MAX];
	if ((size_t)snprintf(b, sizeof(b), "%s", path) >= sizeof(b)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = b + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(b, 0777) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(b, 0777) && errno != EEXIST ? -1 : 0;
}
