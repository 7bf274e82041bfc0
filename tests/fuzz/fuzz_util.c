/* Scratch files for the harnesses (see fuzz.h). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "scenario.h"

static char dir[256];

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

const char *fuzz_dir(void)
{
	if (!dir[0]) {
		/* memory-backed when there is one: a write per execution */
		const char *t = getenv("TMPDIR");
		if (!t || !*t)
			t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(dir, sizeof(dir), "%s/hipsched-fuzz.%ld", t, (long)getpid());
		if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0)
			fuzz_fail("cannot create %s", dir);
		atexit(cleanup);
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

struct scenario *fuzz_scenario(const char *ini)
{
	static const char csv[] =
		"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,"
		"grid_y,grid_z,block_x,block_y,block_z,shmem,regs,bytes\n"
		"0,0,kernel,k,0,0,100,1100,1,1,1,64,1,1,0,32,0\n";
	fuzz_write("t.csv", (const uint8_t *)csv, strlen(csv));
	fuzz_write("a.txt", (const uint8_t *)"0\n0.5\n1\n", 8);
	char err[512];
	struct scenario *sc = scenario_load(fuzz_write("s.ini", (const uint8_t *)ini,
						       strlen(ini)), err, sizeof(err));
	if (!sc)
		fuzz_fail("scenario: %s", err);
	return sc;
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
