/*
 * The one Check runner: every tests/check_NAME.c exports
 * `Suite *NAME_suite(void)`; the Makefile lists them in suites.h.
 * `check_all [SUITE...]` runs only the named suites.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(n) Suite *n##_suite(void);
#include "suites.h"
#undef SUITE

struct entry {
	const char *name;
	Suite *(*make)(void);
};

static const struct entry all[] = {
#define SUITE(n) { #n, n##_suite },
#include "suites.h"
#undef SUITE
};

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!wanted(all[i].name, argc, argv))
			continue;
		if (!sr)
			sr = srunner_create(all[i].make());
		else
			srunner_add_suite(sr, all[i].make());
	}
	if (!sr) {
		fprintf(stderr, "check_all: no suite matched\n");
		return 2;
	}
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
