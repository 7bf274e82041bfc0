/* libFuzzer: arrival files (workload_create with arrival = file): every
 * accepted file gives arrivals that never decrease, at most
 * SCENARIO_REQUESTS_MAX of them. */
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"

static struct scenario *sc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char ini[] =
		"[tenant a]\ntrace = t.csv\narrival = file\narrival_file = a.txt\n";
	static const char csv[] =
		"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,"
		"grid_y,grid_z,block_x,block_y,block_z,shmem,regs,bytes\n"
		"0,0,kernel,k,0,0,100,1100,1,1,1,64,1,1,0,32,0\n";
	fuzz_write("t.csv", (const uint8_t *)csv, strlen(csv));
	fuzz_write("a.txt", (const uint8_t *)"0\n", 2);
	char err[512];
	sc = scenario_load(fuzz_write("s.ini", (const uint8_t *)ini, strlen(ini)),
			   err, sizeof(err));
	if (!sc)
		fuzz_fail("scenario: %s", err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_write("a.txt", data, n);
	struct workload *w;
	char err[512];
	if (workload_create(sc, 0, 1, 3, &w, err, sizeof(err)) != 0) {
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
		if (workload_request(w, k) >= 3)
			fuzz_fail("arrival %zu: request %zu", k, workload_request(w, k));
		prev = a;
		if (++k > SCENARIO_REQUESTS_MAX)
			fuzz_fail("more than %d arrivals", SCENARIO_REQUESTS_MAX);
	}
	workload_free(w);
	return 0;
}
