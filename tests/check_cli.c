/* Tests of the command line: dispatch, help, version, exit codes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "cli.h"

/* Runs a shell command (from the repo root, where make check runs), puts
 * its stdout+stderr into out, returns its exit status. A leading
 * "./hipsched" stands for the binary of the flavor under test
 * ($HIPSCHED_BIN, set by make check). */
static int run(const char *cmd, char *out, size_t len)
{
	char full[512];
	const char *bin = getenv("HIPSCHED_BIN");
	if (bin && strncmp(cmd, "./hipsched", 10) == 0)
		snprintf(full, sizeof(full), "%s%s 2>&1", bin, cmd + 10);
	else
		snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char out[65536];

START_TEST(test_version)
{
	ck_assert_int_eq(run("./hipsched --version", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hipsched " HIPSCHED_VERSION "\n");
}
END_TEST

START_TEST(test_no_args_usage)
{
	ck_assert_int_eq(run("./hipsched", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "usage: hipsched"));
}
END_TEST

START_TEST(test_help_lists_commands)
{
	ck_assert_int_eq(run("./hipsched --help", out, sizeof(out)), 0);
	const char *cmds[] = { "sim", "hw", "trace", "compare", "help" };
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(strstr(out, cmds[i]), "help lacks %s", cmds[i]);
}
END_TEST

START_TEST(test_unknown_command)
{
	ck_assert_int_eq(run("./hipsched simulate", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "'simulate' is not a hipsched command"));
}
END_TEST

START_TEST(test_subcommand_help)
{
	const char *cmds[] = { "sim", "hw", "trace", "compare" };
	for (size_t i = 0; i < 4; i++) {
		char c[64];
		snprintf(c, sizeof(c), "./hipsched %s --help", cmds[i]);
		ck_assert_int_eq(run(c, out, sizeof(out)), 0);
		ck_assert_msg(strstr(out, "usage: hipsched"), "%s: %s", c, out);
		snprintf(c, sizeof(c), "./hipsched help %s", cmds[i]);
		ck_assert_int_eq(run(c, out, sizeof(out)), 0);
		ck_assert_ptr_nonnull(strstr(out, "usage: hipsched"));
	}
	ck_assert_int_eq(run("./hipsched help nope", out, sizeof(out)), 2);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("dispatch");
	tcase_add_test(t, test_version);
	tcase_add_test(t, test_no_args_usage);
	tcase_add_test(t, test_help_lists_commands);
	tcase_add_test(t, test_unknown_command);
	tcase_add_test(t, test_subcommand_help);
	suite_add_tcase(s, t);
	return s;
}
