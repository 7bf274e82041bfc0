/*
 * The recorder's NVIDIA platform ops (struct shim_rec_plat, record.h):
 * timing events, capture status and kernel names / attributes through the
 * REAL driver functions (never our wrappers: a timing event recorded
 * through cuEventRecord's wrapper would be logged as the application's).
 * cuda.c hands over its real-symbol resolver once, at its first call.
 */
#include <pthread.h>
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
	int ok;                    /* the event calls were found */
} cr;
static void *(*cr_real)(const char *sym);
static pthread_once_t cr_once = PTHREAD_ONCE_INIT;

/* At first use, not at load: the application may dlopen libcuda later. */
static void cr_load(void)
{
	*(void **)&cr.ev_create = cr_real("cuEventCreate");
	*(void **)&cr.ev_record = cr_real("cuEventRecord");
	*(void **)&cr.ev_sync = cr_real("cuEventSynchronize");
	if (!(*(void **)&cr.elapsed = cr_real("cuEventElapsedTime_v2")))
		*(void **)&cr.elapsed = cr_real("cuEventElapsedTime");
	*(void **)&cr.capturing = cr_real("cuStreamIsCapturing");
	*(void **)&cr.func_name = cr_real("cuFuncGetName");
	*(void **)&cr.func_attr = cr_real("cuFuncGetAttribute");
	cr.ok = cr.ev_create && cr.ev_record && cr.ev_sync && cr.elapsed;
	if (!cr.ok)
		fprintf(stderr, "hipsched: the driver lacks the event calls the "
			"recorder needs; recording host times only\n");
}

#define CR() (pthread_once(&cr_once, cr_load), cr.ok)

static int c_tev_create(void **ev)
{
	return CR() && !cr.ev_create((CUevent *)ev, CU_EVENT_DEFAULT) ? 0 : -1;
}

static int c_tev_record(void *ev, void *st)
{
	return CR() && !cr.ev_record(ev, st) ? 0 : -1;
}

/* cuEventElapsedTime's resolution is about 0.5 us. */
static int c_tev_elapsed(void *a, void *b, int64_t *ns)
{
	float ms;
	if (!CR() || cr.ev_sync(b) || cr.elapsed(&ms, a, b))
		return -1;
	/* no libm in the library: round by hand (ms >= 0) */
	*ns = (int64_t)((double)ms * 1e6 + 0.5);
	return 0;
}

/* As cuda.c's rule: an error counts as capturing (nothing is recorded). */
static int c_capturing(void *st)
{
	CUstreamCaptureStatus s = CU_STREAM_CAPTURE_STATUS_NONE;
	pthread_once(&cr_once, cr_load);
	return cr.capturing && (cr.capturing(st, &s) != CUDA_SUCCESS ||
				s != CU_STREAM_CAPTURE_STATUS_NONE);
}

static void c_func_info(void *f, struct shim_rec_func *out)
{
	int v;
	pthread_once(&cr_once, cr_load);
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
	cr_real = real;
	shim__rec_init(&cu_rec_plat);
}
