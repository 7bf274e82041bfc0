/* Shared test helpers (see test_util.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "test_util.h"

const char *test_bin(void)
{
	const char *b = getenv("HIPSCHED_BIN");
	return b && *b ? b : "./hipsched";
}

int test_run(const char *cmd, char *out, size_t len)
{
	char full[4096];
	if (strncmp(cmd, "./hipsched", 10) == 0)
		snprintf(full, sizeof(full), "%s%s 2>&1", test_bin(), cmd + 10);
	else
		snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void test_mkdtemp(char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "/tmp/%s.XXXXXX", prefix);
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

void test_rmtree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

void test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}
