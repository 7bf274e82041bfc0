/*
 * traces/: gzip in and out. Compressed inputs (Kineto .json.gz, rocprof
 * .csv.gz, canonical .csv.gz) import exactly as their plain twins; outputs
 * named *.gz are compressed and decompress to the plain output's bytes;
 * corrupt and truncated compressed inputs are errors that name the file.
 * Fixtures: the .gz files in tests/fixtures/traces/ (gzip -n of the plain
 * fixtures, and two damaged copies).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "test_util.h"
#include "trace.h"

#define FIX "tests/fixtures/traces/"

static char dir[256];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "check_gzio");
}

static void teardown(void)
{
	test_rmtree(dir);
}

static const char *tmp(const char *name)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

/* The bytes of a file, decompressed when it is gzip (zlib reads plain
 * files as they are). */
static char *slurp(const char *path, size_t *len)
{
	gzFile z = gzopen(path, "rb");
	ck_assert_msg(z != NULL, "cannot open %s", path);
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	int got;
	while ((got = gzread(z, b + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)got;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	ck_assert_int_ge(got, 0);
	gzclose(z);
	*len = n;
	return b;
}

static int is_gzip(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	int a = fgetc(f), b = fgetc(f);
	fclose(f);
	return a == 0x1f && b == 0x8b;
}

static void same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	ck_assert_msg(na == nb && memcmp(x, y, na) == 0, "%s and %s differ", a, b);
	free(x);
	free(y);
}

/* Every importable format reads the same compressed as plain. */
START_TEST(test_import_gz_same_as_plain)
{
	static const char *const plain[] = { FIX "kineto_steps.json",
					     FIX "rocprof_v3.csv",
					     FIX "canon_ok.csv" };
	for (size_t i = 0; i < 3; i++) {
		char gz[256];
		struct trace_err err = { "" };
		snprintf(gz, sizeof(gz), "%s.gz", plain[i]);
		enum trace_format fa, fb;
		ck_assert_int_eq(trace_detect_format(plain[i], &fa, &err), 0);
		ck_assert_msg(trace_detect_format(gz, &fb, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(fa, fb);
		ck_assert_int_eq(trace_import(plain[i], tmp("a.csv"), NULL, NULL, &err), 0);
		ck_assert_msg(trace_import(gz, tmp("b.csv"), NULL, NULL, &err) == 0,
			      "%s", err.msg);
		same_bytes(tmp("a.csv"), tmp("b.csv"));
	}
}
END_TEST

/* -o X.csv.gz writes gzip that decompresses to the plain CSV; the output
 * is deterministic (no time stamp in the gzip header) and loads again. */
START_TEST(test_canonical_gz_out)
{
	struct trace_err err = { "" };
	ck_assert_int_eq(trace_import(FIX "kineto_steps.json.gz", tmp("p.csv"),
				      NULL, NULL, &err), 0);
	ck_assert_int_eq(trace_import(FIX "kineto_steps.json.gz", tmp("c.csv.gz"),
				      NULL, NULL, &err), 0);
	ck_assert_int_eq(trace_import(FIX "kineto_steps.json.gz", tmp("d.csv.gz"),
				      NULL, NULL, &err), 0);
	ck_assert(is_gzip(tmp("c.csv.gz")));
	ck_assert(!is_gzip(tmp("p.csv")));
	same_bytes(tmp("p.csv"), tmp("c.csv.gz"));
	size_t a, b;
	FILE *fa = fopen(tmp("c.csv.gz"), "rb"), *fb = fopen(tmp("d.csv.gz"), "rb");
	char x[4096], y[4096];
	a = fread(x, 1, sizeof(x), fa);
	b = fread(y, 1, sizeof(y), fb);
	fclose(fa);
	fclose(fb);
	ck_assert(a == b && memcmp(x, y, a) == 0);
	struct trace *t = trace_load(tmp("c.csv.gz"), &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_int_gt(t->nrecs, 0);
	ck_assert_int_eq(trace_save(t, tmp("e.csv.gz"), &err), 0);
	same_bytes(tmp("p.csv"), tmp("e.csv.gz"));
	trace_free(t);
}
END_TEST

/* export -o X.json.gz: gzip of the plain export. */
START_TEST(test_export_gz)
{
	struct trace_err err = { "" };
	struct trace *t = trace_load(FIX "canon_ok.csv.gz", &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_int_eq(trace_export_chrome(t, tmp("e.json"), &err), 0);
	ck_assert_int_eq(trace_export_chrome(t, tmp("e.json.gz"), &err), 0);
	ck_assert(is_gzip(tmp("e.json.gz")));
	same_bytes(tmp("e.json"), tmp("e.json.gz"));
	trace_free(t);
}
END_TEST

/* A flipped byte (CRC / deflate error) and a cut file are read errors that
 * name the file; no output is left behind. */
START_TEST(test_bad_gz)
{
	static const char *const bad[] = { FIX "bad_corrupt.json.gz",
					   FIX "bad_trunc.json.gz" };
	for (size_t i = 0; i < 2; i++) {
		struct trace_err err = { "" };
		ck_assert_int_lt(trace_import(bad[i], tmp("o.csv"), NULL, NULL, &err), 0);
		ck_assert_msg(strstr(err.msg, bad[i]) &&
			      strstr(err.msg, "corrupt or truncated gzip data"),
			      "%s", err.msg);
		FILE *f = fopen(tmp("o.csv"), "r");
		ck_assert_ptr_null(f);
	}
}
END_TEST

Suite *gzio_suite(void)
{
	Suite *s = suite_create("gzio");
	TCase *tc = tcase_create("gzio");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_import_gz_same_as_plain);
	tcase_add_test(tc, test_canonical_gz_out);
	tcase_add_test(tc, test_export_gz);
	tcase_add_test(tc, test_bad_gz);
	suite_add_tcase(s, tc);
	return s;
}
