/*
 * libFuzzer harnesses (`make fuzz`, tests/fuzz/README.md): each
 * tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput for one parser.
 * The parsers read files by path, so the input is written to a scratch
 * file first; a harness fails (abort) only on a crash, a sanitizer report,
 * or a broken promise of the parser (e.g. an accepted trace that does not
 * satisfy the reader's own limits).
 */
#ifndef HIPSCHED_FUZZ_H
#define HIPSCHED_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The scratch folder of this process ($TMPDIR, else /dev/shm or /tmp;
 * made once, removed at exit). */
const char *fuzz_dir(void);
/* Writes data to fuzz_dir()/name and returns that path (static buffer). */
const char *fuzz_write(const char *name, const uint8_t *data, size_t n);
/* Writes the scratch inputs a scenario may name (t.csv: a one-kernel
 * canonical trace; a.txt: three arrival times), then loads the scenario
 * text ini from the scratch folder; aborts if it does not load. */
struct scenario;
struct scenario *fuzz_scenario(const char *ini);
/* Aborts with a message: a promise of the code under test is broken. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
