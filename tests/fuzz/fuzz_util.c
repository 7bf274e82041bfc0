/* Scratch files for the harnesses (see fuzz.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"

const char *fuzz_dir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/hipsched-fuzz.%ld", t && *t ? t : "/tmp",
			 (long)getpid());
		if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0)
			fuzz_fail("cannot create %s", dir);
	}
	return dir;
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t n)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0)
		fuzz_fail("cannot write %s", path);
	return path;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
