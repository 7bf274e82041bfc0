/* The project's growable array: one doubling rule for every module. */
#include <stdlib.h>
#include "sched.h"

int hs_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return HS_OK;
	size_t nc = *cap ? 2 * *cap : 16;
	while (nc <= n)
		nc *= 2;
	if (nc > SIZE_MAX / sz)
		return HS_ENOMEM;
	void *nv = realloc(*v, nc * sz);
	if (!nv)
		return HS_ENOMEM;
	*v = nv;
	*cap = nc;
	return HS_OK;
}
