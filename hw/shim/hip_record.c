/*
 * The recorder's AMD platform ops (struct shim_rec_plat, record.h):
 * timing events, capture status and kernel names / attributes through the
 * REAL libamdhip64 functions (never our wrappers: a timing event recorded
 * through hipEventRecord's wrapper would be logged as the application's).
 * hip.c hands over its resolver (dlvsym on the real library) at load; the
 * functions are looked up at their first use, after hip.c bound the
 * library. Debian's libamdhip64.so.5 (5.2) has every one of them
 * (objdump -T: hipKernelNameRef and hipKernelNameRefByPtr at hip_4.2).
 */
#include <pthread.h>
#include <stdio.h>
#include <hip/hip_runtime_api.h>
#include "record.h"
#include "shim_internal.h"

static struct {
	hipError_t (*ev_create)(hipEvent_t *);
	hipError_t (*ev_record)(hipEvent_t, hipStream_t);
	hipError_t (*ev_sync)(hipEvent_t);
	hipError_t (*elapsed)(float *, hipEvent_t, hipEvent_t);
	hipError_t (*capturing)(hipStream_t, hipStreamCaptureStatus *);
	const char *(*name_ref)(const hipFunction_t);
	const char *(*name_by_ptr)(const void *, hipStream_t);
	hipError_t (*func_attr)(int *, hipFunction_attribute, hipFunction_t);
	int ok;                    /* the event calls were found */
} hr;
static void *(*hr_real)(const char *sym, const char *ver);
static pthread_once_t hr_once = PTHREAD_ONCE_INIT;

static void hr_load(void)
{
	*(void **)&hr.ev_create = hr_real("hipEventCreate", "hip_4.2");
	*(void **)&hr.ev_record = hr_real("hipEventRecord", "hip_4.2");
	*(void **)&hr.ev_sync = hr_real("hipEventSynchronize", "hip_4.2");
	*(void **)&hr.elapsed = hr_real("hipEventElapsedTime", "hip_4.2");
	*(void **)&hr.capturing = hr_real("hipStreamIsCapturing", "hip_4.3");
	*(void **)&hr.name_ref = hr_real("hipKernelNameRef", "hip_4.2");
	*(void **)&hr.name_by_ptr = hr_real("hipKernelNameRefByPtr", "hip_4.2");
	*(void **)&hr.func_attr = hr_real("hipFuncGetAttribute", "hip_4.2");
	hr.ok = hr.ev_create && hr.ev_record && hr.ev_sync && hr.elapsed;
	if (!hr.ok)
		fprintf(stderr, "hipsched: the HIP runtime lacks the event calls the "
			"recorder needs; recording host times only\n");
}

#define HR() (pthread_once(&hr_once, hr_load), hr.ok)

/* The engine's names for the default streams, as HIP knows them. */
static hipStream_t hstream(void *s)
{
	return s == SHIM_STREAM_LEGACY ? NULL : (hipStream_t)s;
}

static int h_tev_create(void **ev)
{
	hipEvent_t e = NULL;
	if (!HR() || hr.ev_create(&e) != hipSuccess)
		return -1;
	*ev = e;
	return 0;
}

static int h_tev_record(void *ev, void *st)
{
	return HR() && hr.ev_record((hipEvent_t)ev, hstream(st)) == hipSuccess ? 0 : -1;
}

/* hipEventElapsedTime's resolution: about 1 us on MI-series GPUs. */
static int h_tev_elapsed(void *a, void *b, int64_t *ns)
{
	float ms;
	if (!HR() || hr.ev_sync((hipEvent_t)b) != hipSuccess ||
	    hr.elapsed(&ms, (hipEvent_t)a, (hipEvent_t)b) != hipSuccess)
		return -1;
	*ns = (int64_t)((double)ms * 1e6 + 0.5);  /* no libm: ms >= 0 */
	return 0;
}

/* As hip.c's rule for the engine, but an error counts as capturing
 * (nothing is recorded), as cuda_record.c does. */
static int h_capturing(void *st)
{
	hipStreamCaptureStatus s = hipStreamCaptureStatusNone;
	pthread_once(&hr_once, hr_load);
	return hr.capturing && (hr.capturing(hstream(st), &s) != hipSuccess ||
				s != hipStreamCaptureStatusNone);
}

/* A module function (hipFunction_t): its name and attributes. */
static void h_func_info(void *f, struct shim_rec_func *out)
{
	int v;
	pthread_once(&hr_once, hr_load);
	if (hr.name_ref)
		out->name = hr.name_ref((hipFunction_t)f);
	if (hr.func_attr && hr.func_attr(&v, HIP_FUNC_ATTRIBUTE_NUM_REGS,
					 (hipFunction_t)f) == hipSuccess && v > 0)
		out->regs = (uint32_t)v;
	if (hr.func_attr && hr.func_attr(&v, HIP_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
					 (hipFunction_t)f) == hipSuccess && v > 0)
		out->static_shmem = (uint32_t)v;
}

static const struct shim_rec_plat hip_rec_plat = {
	.name = "hip",
	.tev_create = h_tev_create,
	.tev_record = h_tev_record,
	.tev_elapsed_ns = h_tev_elapsed,
	.capturing = h_capturing,
	.func_info = h_func_info,
};

void shim__hip_rec_init(void *(*real)(const char *sym, const char *ver))
{
	hr_real = real;
	shim__rec_init(&hip_rec_plat);
}

void shim__hip_rec_kernel_ptr(const void *f, const uint32_t grid[3],
			      const uint32_t block[3], uint32_t shmem, void *stream,
			      uint64_t t_enter, uint64_t t_return, int slot)
{
	const char *name = NULL;
	pthread_once(&hr_once, hr_load);
	if (hr.name_by_ptr)
		name = hr.name_by_ptr(f, hstream(stream));
	shim__rec_launch(SHIM_REC_KERNEL, stream, name, grid, block, shmem, 0, 0,
			 t_enter, t_return, slot);
}
