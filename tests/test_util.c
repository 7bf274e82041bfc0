/* Shared test helpers (see test_util.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include "test_util.h"

const char *test_bin(void)
{
	const char *b = getenv("HIPSCHED_BIN");
	return b && *b ? b : "./hipsched";
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
