/*
 * The recorder's NVIDIA platform ops (struct shim_rec_plat, record.h):
 * timing events, capture status and kernel names / attributes through the
 * REAL driver functions (never our wrappers: a timing event recorded
 * through cuEventRecord's wrapper would be logged as the application's).
 * cuda.c hands over its real-symbol resolver once, at its first call.
 */
#include <math.h>
#include <stdio.h>
#include <cuda.h>
#include "record.h"
#include "shim_internal.h"

static struct {
	CUresult (*ev_create)(CUevent *, unsigned int);
	CUresult (*ev_record)(CUevent, CUstream);
	CUresult (*ev_sync)(CUevent);
	CUresult (*elapsed)(float *, CUevent, CUevent);
	CUresult (*capturing)(CUstream, CUstreamCaptureStatus *);
	CUresult (*func_name)(const char **, CUfunction);   /* driver >= 12.3 */
	CUresult (*func_attr)(int *, CUfunction_attribute, CUfunction);
} cr;

static int c_tev_create(void **ev)
{
	return cr.ev_create((CUevent *)ev, CU_EVENT_DEFAULT) ? -1 : 0;
}

static int c_tev_record(void *ev, void *st)
{
	return cr.ev_record(ev, st) ? -1 : 0;
}

/* cuEventElapsedTime's resolution is about 0.5 us. */
static int c_tev_elapsed(void *a, void *b, int64_t *ns)
{
	float ms;
	if (cr.ev_sync(b) || cr.elapsed(&ms, a, b))
		return -1;
	*ns = (int64_t)llround((double)ms * 1e6);
	return 0;
}

/* As cuda.c's rule: an error counts as capturing (nothing is recorded). */
static int c_capturing(void *st)
{
	CUstreamCaptureStatus s = CU_STREAM_CAPTURE_STATUS_NONE;
	return cr.capturing && (cr.capturing(st, &s) != CUDA_SUCCESS ||
				s != CU_STREAM_CAPTURE_STATUS_NONE);
}

static void c_func_info(void *f, struct shim_rec_func *out)
{
	int v;
	if (cr.func_name && cr.func_name(&out->name, f) != CUDA_SUCCESS)
		out->name = NULL;
	if (cr.func_attr && !cr.func_attr(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, f) && v > 0)
		out->regs = (uint32_t)v;
	if (cr.func_attr && !cr.func_attr(&v, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f) &&
	    v > 0)
		out->static_shmem = (uint32_t)v;
}

static const struct shim_rec_plat cu_rec_plat = {
	.name = "cuda",
	.tev_create = c_tev_create,
	.tev_record = c_tev_record,
	.tev_elapsed_ns = c_tev_elapsed,
	.capturing = c_capturing,
	.func_info = c_func_info,
};

void shim__cuda_rec_init(void *(*real)(const char *sym))
{
	*(void **)&cr.ev_create = real("cuEventCreate");
	*(void **)&cr.ev_record = real("cuEventRecord");
	*(void **)&cr.ev_sync = real("cuEventSynchronize");
	if (!(*(void **)&cr.elapsed = real("cuEventElapsedTime_v2")))
		*(void **)&cr.elapsed = real("cuEventElapsedTime");
	*(void **)&cr.capturing = real("cuStreamIsCapturing");
	*(void **)&cr.func_name = real("cuFuncGetName");
	*(void **)&cr.func_attr = real("cuFuncGetAttribute");
	if (!cr.ev_create || !cr.ev_record || !cr.ev_sync || !cr.elapsed) {
		fprintf(stderr, "hipsched: the driver lacks the event calls the "
			"recorder needs; not recording\n");
		return;
	}
	shim__rec_init(&cu_rec_plat);
}
