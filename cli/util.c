/* Small helpers shared by the subcommands. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

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
