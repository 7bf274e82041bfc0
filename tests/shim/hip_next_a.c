/* tests/shim/hip_next_a.c: libnext_a.so, an interposer: its probe_fn() adds
 * 100 to the next definition, found with dlsym(RTLD_NEXT) (libnext_b.so's,
 * which returns 1). Under the shim's dlsym hook it must still be 101. */
#include <dlfcn.h>

int probe_fn(void);

int probe_fn(void)
{
	static int (*next)(void);
	if (!next)
		next = (int (*)(void))dlsym(RTLD_NEXT, "probe_fn");
	return next && next != probe_fn ? 100 + next() : -1;
}
