/* libFuzzer: the simulator replaying a fuzzed canonical trace (5 requests
 * of one tenant on the h100 profile under hpf): the arithmetic of
 * sim/host.c and sim/gpu.c on every number a trace can carry. Run from
 * the repository root (the profile is sim/devices/h100.ini). */
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"
#include "sim.h"
#include "traces_check.h"

static struct scenario *sc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char ini[] =
		"[scenario]\nduration = 5ms\n[policy]\nname = hpf\nlevel = 2\n"
		"threshold = 4\nbatch = 2\n"
		"[tenant a]\ntrace = t.csv\narrival = periodic\nrate = 1000\n";
	sc = fuzz_scenario(ini);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct trace_err te;
	struct trace *t = trace_load(fuzz_write("trace.csv", data, n), &te);
	if (!t)
		return 0;
	fuzz_check_trace(t);
	struct trace *traces[1] = { t };
	struct sim_inputs in = { .traces = traces };
	struct run_opts o = { .mode = "policy", .seed = 1 };
	struct run_result res;
	char err[512];
	int rc = sim_run_with(sc, &o, &in, &res, err, sizeof(err));
	if (rc == 0 && res.t[0].nreq > 5)
		fuzz_fail("%zu requests recorded in 5 ms at 1000/s", res.t[0].nreq);
	run_result_release(&res);
	trace_free(t);
	return 0;
}
