/* libFuzzer: arrival files (workload_create with arrival = file): every
 * accepted file gives arrivals that never decrease, at most
 * SCENARIO_REQUESTS_MAX of them. */
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"
#include "trace.h"

static struct scenario *sc;
static struct trace *tr;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char ini[] =
		"[tenant a]\ntrace = t.csv\narrival = file\narrival_file = a.txt\n";
	sc = fuzz_scenario(ini);
	char path[600];
	struct trace_err te;
	snprintf(path, sizeof(path), "%s/t.csv", fuzz_dir());
	if (!(tr = trace_load(path, &te)))
		fuzz_fail("trace: %s", te.msg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_write("a.txt", data, n);
	struct workload *w;
	char err[512];
	if (workload_create(sc, 0, 1, tr, NULL, &w, err, sizeof(err)) != 0) {
		if (!strstr(err, "a.txt"))
			fuzz_fail("an error without FILE: '%s'", err);
		return 0;
	}
	hs_ns prev = 0, a;
	size_t k = 0;
	while ((a = workload_next_arrival(w, 0)) != WORKLOAD_NONE) {
		if (a < prev || a < 0)
			fuzz_fail("arrival %zu: %lld after %lld", k, (long long)a,
				  (long long)prev);
		if (workload_request(w, k) >= tr->nreqs)
			fuzz_fail("arrival %zu: request %zu", k, workload_request(w, k));
		prev = a;
		if (++k > SCENARIO_REQUESTS_MAX)
			fuzz_fail("more than %d arrivals", SCENARIO_REQUESTS_MAX);
	}
	workload_free(w);
	return 0;
}
