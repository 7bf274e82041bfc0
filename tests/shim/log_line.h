/* tests/shim/log_line.h: the call logs of the AMD test build (the fake
 * runtime and the engine stand-in, two libraries: hence a static
 * function). */
#ifndef HIPSCHED_TESTS_SHIM_LOG_LINE_H
#define HIPSCHED_TESTS_SHIM_LOG_LINE_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Appends one formatted line (cut at 511 bytes) to fd with a single
 * write(), so that the lines of concurrent writers never interleave;
 * aborts on a short write (a log with holes would pass for another run). */
static inline void log_line(int fd, const char *fmt, va_list ap)
{
	char line[512];
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	if (n < 0 || fd < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(fd, line, n) != n)
		abort();
}

#endif
