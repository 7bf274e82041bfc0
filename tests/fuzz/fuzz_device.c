/* libFuzzer: device profiles (sim_device_load, sim/devices/NAME.ini). */
#include <string.h>
#include "fuzz.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *p = fuzz_write("device.ini", data, n);
	struct sim_device d;
	char err[512];
	if (sim_device_load(p, &d, err, sizeof(err)) != 0) {
		if (strncmp(err, p, strlen(p)) != 0)
			fuzz_fail("an error without FILE: '%s'", err);
		return 0;
	}
	if (d.units < 1 || d.max_level < 1 || d.max_level > 3 || d.timeslice_ns < 1)
		fuzz_fail("accepted out of range: units %d level %d", d.units,
			  d.max_level);
	return 0;
}
