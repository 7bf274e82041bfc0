/* Small helpers shared by the Check suites: the binary, scratch folders
 * and files. */
#ifndef HIPSCHED_TEST_UTIL_H
#define HIPSCHED_TEST_UTIL_H

#include <stddef.h>

/* The hipsched binary under test: $HIPSCHED_BIN (set by make check) or
 * ./hipsched. */
const char *test_bin(void);
/* Runs a shell command (from the repo root, where make check runs), puts
 * its stdout+stderr into out (NUL-terminated, cut at len - 1), returns
 * its exit status (-1 if it did not exit). A leading "./hipsched" stands
 * for test_bin(). */
int test_run(const char *cmd, char *out, size_t len);
/* Creates a fresh folder /tmp/PREFIX.XXXXXX into buf (fails the test
 * otherwise). */
void test_mkdtemp(char *buf, size_t len, const char *prefix);
/* Removes a folder made by test_mkdtemp and everything in it. */
void test_rmtree(const char *dir);
/* Writes text to path (fails the test if it cannot). */
void test_write_file(const char *path, const char *text);

#endif
