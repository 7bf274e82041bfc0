/* libFuzzer: scenario INI files (scenario_load, then the run limits). The
 * scratch folder holds a tiny trace (t.csv) and arrival file (a.txt,
 * fuzz_scenario) so that inputs naming them get past the file checks. */
#include <stdio.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the scratch inputs (t.csv, a.txt), through a first valid scenario */
	scenario_free(fuzz_scenario("[tenant a]\ntrace = t.csv\narrival = closed\n"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *p = fuzz_write("s.ini", data, n);
	char err[512];
	struct scenario *sc = scenario_load(p, err, sizeof(err));
	if (!sc) {
		if (strncmp(err, p, strlen(p)) != 0)
			fuzz_fail("an error without FILE: '%s'", err);
		return 0;
	}
	if (sc->ntenants == 0 || sc->ntenants > SCENARIO_TENANTS_MAX ||
	    sc->duration_ns <= 0 || sc->duration_ns > SCENARIO_DURATION_MAX_NS)
		fuzz_fail("accepted: %zu tenants, duration %lld", sc->ntenants,
			  (long long)sc->duration_ns);
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *t = &sc->tenants[i];
		if (!t->trace_path || t->rate_per_s < 0 ||
		    t->rate_per_s > SCENARIO_RATE_MAX ||
		    t->slo_ns > SCENARIO_DURATION_MAX_NS ||
		    t->deadline_ns > SCENARIO_DURATION_MAX_NS)
			fuzz_fail("tenant %zu accepted out of limits", i);
	}
	scenario_check_limits(sc, sc->duration_ns, err, sizeof(err));
	scenario_free(sc);
	return 0;
}
