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

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

json_t *test_json_load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	ck_assert_msg(j != NULL, "%s:%d: %s", path, e.line, e.text);
	return j;
}

json_t *test_json_find(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *o;
	json_array_foreach(array, i, o) {
		const char *v = json_string_value(json_object_get(o, key));
		if (v && !strcmp(v, value))
			return o;
	}
	return NULL;
}
