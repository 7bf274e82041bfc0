/*
 * What an application (or a test harness inside it) can ask the library it
 * runs under, through exported C functions found with dlsym / ctypes:
 *
 *   int hipsched_shim_counts(unsigned long long *out, int n)
 *       the commands the library has seen so far, summed over every queue
 *       of the process, by kind (out[0] kernels, [1] async copies, [2]
 *       memsets, [3] event records, [4] stream waits, [5] graph launches;
 *       n = room in out). Returns the number of kinds written, 0 when the
 *       library is passing calls straight through (it counts nothing then).
 *
 * hw/bench/shim_compat.py uses it to compare, case by case, the kernels the
 * shim saw with those the PyTorch profiler saw.
 */
#include "engine_internal.h"

__attribute__((visibility("default")))
int hipsched_shim_counts(unsigned long long *out, int n)
{
	if (!out || n <= 0 || !shim__on())
		return 0;
	int k = n < SHIM_NKINDS ? n : SHIM_NKINDS;
	for (int i = 0; i < k; i++)
		out[i] = 0;
	pthread_mutex_lock(&g_eng.mu);
	for (int r = 0; r < 2; r++)
		for (struct squeue *q = r ? g_eng.retired : g_eng.queues; q; q = q->next)
			for (int i = 0; i < k; i++)
				out[i] += q->kinds[i];
	pthread_mutex_unlock(&g_eng.mu);
	return k;
}
