/*
 * ./setup, the first command on a bare Debian machine: run with a PATH
 * that has no make and no compiler (only the base tools a minimal Debian
 * has), against stand-ins for dpkg-query, apt-get, id and sudo that record
 * what they are asked. It must install exactly what is missing (make
 * included) from the Makefile's lists, keep apt-get's output out of the
 * terminal (one line names the log), report a failed install with the end
 * of the log, and refuse clearly without root or sudo.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test_util.h"

static char dir[256];

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	test_write_file(p, text);
	chmod(p, 0755);
}

/* dir/name's text; "" when it does not exist (nothing was written). */
static char *slurp(const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) ? strdup("") : test_slurp(p, NULL);
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A copy of ./setup and the Makefile in dir/repo, a bin/ with the base
 * tools (no make, no cc) and the stand-ins. */
static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "check_setup");
	char c[4096];
	snprintf(c, sizeof(c),
		 "mkdir -p %s/repo %s/bin && cp setup Makefile %s/repo/ && "
		 "for t in sh sed awk tr grep mkdir tail date dirname cat; do "
		 "ln -s \"$(command -v $t)\" %s/bin/$t; done", dir, dir, dir, dir);
	ck_assert_int_eq(sh(c), 0);
	/* installed: everything but make and zlib1g-dev */
	put("bin/dpkg-query",
	    "#!/bin/sh\nfor a; do p=$a; done\n"
	    "case $p in make|zlib1g-dev) exit 1;; esac\n"
	    "echo 'install ok installed'\n");
	put("bin/apt-get",
	    "#!/bin/sh\necho \"$*\" >> \"$STUB/apt.calls\"\n"
	    "i=0; while [ $i -lt 1000 ]; do echo \"Get:$i http://deb.debian.org ...\"; "
	    "i=$((i+1)); done\nexit ${STUB_APT_RC:-0}\n");
	put("bin/id", "#!/bin/sh\necho ${STUB_UID:-0}\n");
}

static void teardown(void)
{
	test_rmtree(dir);
}

static int run_setup_args(const char *env, const char *args, char **out, char **errs)
{
	char c[2048];
	snprintf(c, sizeof(c), "cd %s && env -i PATH=%s/bin STUB=%s %s sh repo/setup %s "
		 ">%s/out 2>%s/err", dir, dir, dir, env, args, dir, dir);
	int rc = sh(c);
	*out = slurp("out");
	*errs = slurp("err");
	return rc;
}

static int run_setup(const char *env, char **out, char **errs)
{
	return run_setup_args(env, "", out, errs);
}

START_TEST(test_installs_missing_quietly)
{
	char *out, *err;
	/* the tools really lack make */
	char c[512];
	snprintf(c, sizeof(c), "env -i PATH=%s/bin sh -c 'command -v make' >/dev/null",
		 dir);
	ck_assert_int_ne(sh(c), 0);
	ck_assert_int_eq(run_setup("", &out, &err), 0);
	ck_assert_msg(!strcmp(out, "setup: installing make zlib1g-dev (apt-get output "
			      "in build/setup.log)\nsetup: done\n"), "%s", out);
	ck_assert_str_eq(err, "");
	char *calls = slurp("apt.calls");
	ck_assert_str_eq(calls, "update\ninstall -y --no-install-recommends make "
			 "zlib1g-dev\n");
	char *log = slurp("repo/build/setup.log");
	ck_assert_int_ge(lines(log), 2000);
	free(out);
	free(err);
	free(calls);
	free(log);
}
END_TEST

START_TEST(test_failure_shows_log_end)
{
	char *out, *err;
	ck_assert_int_eq(run_setup("STUB_APT_RC=100", &out, &err), 1);
	ck_assert_int_eq(lines(out), 1);
	ck_assert_ptr_nonnull(strstr(err, "setup: apt-get failed; the end of "
				     "build/setup.log:"));
	ck_assert_int_le(lines(err), 16);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_not_root)
{
	char *out, *err;
	ck_assert_int_eq(run_setup("STUB_UID=1000", &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "not root and no sudo"));
	ck_assert_ptr_nonnull(strstr(err, "make zlib1g-dev"));
	free(out);
	free(err);
	/* with sudo: apt-get goes through it */
	put("bin/sudo", "#!/bin/sh\necho sudo >> \"$STUB/apt.calls\"\nexec \"$@\"\n");
	ck_assert_int_eq(run_setup("STUB_UID=1000", &out, &err), 0);
	char *calls = slurp("apt.calls");
	ck_assert_ptr_nonnull(strstr(calls, "sudo\nupdate\nsudo\ninstall"));
	free(calls);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_nothing_missing)
{
	put("bin/dpkg-query", "#!/bin/sh\necho 'install ok installed'\n");
	char *out, *err;
	ck_assert_int_eq(run_setup("", &out, &err), 0);
	ck_assert_str_eq(out, "setup: everything hipsched needs is installed\n");
	char *calls = slurp("apt.calls");
	ck_assert_str_eq(calls, "");
	free(calls);
	free(out);
	free(err);
}
END_TEST

/* `./setup run`: the packages, then `make run` (one command on a bare
 * machine), make's exit status; something that is not a target is refused
 * before anything is installed. */
START_TEST(test_then_make)
{
	put("bin/make", "#!/bin/sh\necho \"make $*\" >> \"$STUB/make.calls\"\nexit 7\n");
	char *out, *err;
	ck_assert_int_eq(run_setup_args("", "run", &out, &err), 7);
	ck_assert_ptr_nonnull(strstr(out, "setup: done\n"));
	char *calls = slurp("make.calls");
	ck_assert_str_eq(calls, "make run\n");
	free(calls);
	free(out);
	free(err);
	char *apt1 = slurp("apt.calls");
	ck_assert_int_eq(run_setup_args("", "a/b", &out, &err), 2);
	ck_assert_ptr_nonnull(strstr(err, "is not a make target"));
	char *apt2 = slurp("apt.calls");
	ck_assert_str_eq(apt1, apt2);           /* nothing installed */
	free(apt1);
	free(apt2);
	free(out);
	free(err);
}
END_TEST

Suite *setup_suite(void)
{
	Suite *s = suite_create("setup");
	TCase *tc = tcase_create("setup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_installs_missing_quietly);
	tcase_add_test(tc, test_failure_shows_log_end);
	tcase_add_test(tc, test_not_root);
	tcase_add_test(tc, test_nothing_missing);
	tcase_add_test(tc, test_then_make);
	suite_add_tcase(s, tc);
	return s;
}
