/* Small helpers shared by the Check suites: the binary, scratch folders
 * and files. */
#ifndef HIPSCHED_TEST_UTIL_H
#define HIPSCHED_TEST_UTIL_H

#include <stddef.h>
#include <jansson.h>

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

/* The whole file, NUL-terminated (its length into *len if len); the caller
 * frees it. Fails the test when the file cannot be read. */
char *test_slurp(const char *path, size_t *len);

/* The JSON document in path (fails the test, naming the file and the
 * parser's message, when it cannot be read); the caller json_decref()s. */
json_t *test_json_load(const char *path);
/* The first object of `array` whose string member `key` is `value`, or
 * NULL (borrowed). */
json_t *test_json_find(json_t *array, const char *key, const char *value);

#endif
