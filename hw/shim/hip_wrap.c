/*
 * hw/shim/hip_wrap.c: the exported wrappers of the AMD flavour of
 * libhipsched.so, with libamdhip64's names and symbol versions (hip.map);
 * the design (scheduling, re-entry, recording) is described in hip.c.
 */
#include <stdint.h>
#include "hip_internal.h"
#include "record.h"
#include "shim_internal.h"

/* The recorder (record.h) around the real call: T0 at the outermost
 * wrapper's entry (0: not recording), RS the stream (the per-thread
 * default made explicit for _spt calls on NULL), SL the timing slot; REC,
 * the wrapper's own log expression, runs after a successful call with T0,
 * T1, RS and SL in scope. */
#define SCHEDULED_R(name, stream, ptds, kind, args, REC) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	uint64_t T0 = !hip_depth && shim__rec_on() ? shim__rec_now() : 0; \
	if ((!shim__on() && !T0) || hip_depth) \
		return CALL_REAL(name, args); \
	hip_depth++; \
	struct shim_cmd *c_ = shim__on() ? shim__begin((void *)(stream), ptds, kind) : NULL; \
	void *RS = (ptds) && !(stream) ? SHIM_STREAM_PER_THREAD : (void *)(stream); \
	int SL = T0 ? shim__rec_gpu_begin(RS) : -1; \
	hipError_t r_ = CALL_REAL(name, args); \
	if (T0 && r_ == hipSuccess) { \
		uint64_t T1 = shim__rec_now(); \
		REC; \
	} \
	if (c_) \
		shim__end(c_, r_ == hipSuccess); \
	hip_depth--; \
	return r_; \
} while (0)
#define U3(a, b, c) ((const uint32_t[3]){ (uint32_t)(a), (uint32_t)(b), (uint32_t)(c) })
/* kernel by host pointer f / by module function f; copies, memsets */
#define R_PTR(f, g, b, shm) shim__hip_rec_kernel_ptr((const void *)(f), \
	U3((g).x, (g).y, (g).z), U3((b).x, (b).y, (b).z), (uint32_t)(shm), RS, T0, T1, SL)
#define R_MOD(f, gx, gy, gz, bx, by, bz, shm) shim__rec_kernel((void *)(f), \
	U3(gx, gy, gz), U3(bx, by, bz), (uint32_t)(shm), RS, T0, T1, SL)
#define R_(kind, bytes) shim__rec_launch(kind, RS, NULL, NULL, NULL, 0, 0, \
	(uint64_t)(bytes), T0, T1, SL)
#define R_COPY(bytes) R_(SHIM_REC_COPY, bytes)
#define R_SET(bytes) R_(SHIM_REC_SET, bytes)

#define SCHEDULED(name, stream, ptds, kind, args) \
	SCHEDULED_R(name, stream, ptds, kind, args, (void)0)

/* A host sync: logged once it returned (rec = 0 for the Query calls,
 * which poll, and are not syncs for the recorder). */
#define HOST_SYNC_R(name, stream, ptds, all, rec, args) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	uint64_t T0 = (rec) && !hip_depth && shim__rec_on() ? shim__rec_now() : 0; \
	uint64_t tok_ = !hip_depth ? shim__host_sync((void *)(stream), ptds, all) : 0; \
	hipError_t r_; \
	INNER(r_, name, args); \
	if (tok_ && r_ == hipSuccess) \
		shim__host_synced((void *)(stream), ptds, tok_); \
	if (T0 && r_ == hipSuccess) \
		shim__rec_sync((all) ? NULL : (ptds) && !(stream) ? \
			       SHIM_STREAM_PER_THREAD : (void *)(stream), all, T0, \
			       shim__rec_now()); \
	return r_; \
} while (0)
#define HOST_SYNC(name, stream, ptds, all, args) \
	HOST_SYNC_R(name, stream, ptds, all, 1, args)
#define HOST_QUERY(name, stream, ptds, all, args) \
	HOST_SYNC_R(name, stream, ptds, all, 0, args)

/* A stream create: the real call, then the engine learns of the stream
 * (once, at the outermost level). */
#define CREATE(name, s, prio, args) do { \
	if (!hip_ready()) \
		return hipErrorNotInitialized; \
	int outer_ = !hip_depth; \
	hipError_t r_; \
	INNER(r_, name, args); \
	if (r_ == hipSuccess && outer_ && (s)) \
		shim__stream_created(*(s), prio); \
	return r_; \
} while (0)

/* --- kernels -------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipLaunchKernel(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchKernel, s, 0, SHIM_KERNEL, (f, grid, block, args, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchKernel_spt(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchKernel_spt, s, 1, SHIM_KERNEL, (f, grid, block, args, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchCooperativeKernel(const void *f, dim3 grid,
		dim3 block, void **params, unsigned int shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchCooperativeKernel, s, 0, SHIM_KERNEL,
		  (f, grid, block, params, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipLaunchCooperativeKernel_spt(const void *f, dim3 grid,
		dim3 block, void **params, uint32_t shmem, hipStream_t s)
{
	SCHEDULED_R(hipLaunchCooperativeKernel_spt, s, 1, SHIM_KERNEL,
		  (f, grid, block, params, shmem, s),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipExtLaunchKernel(const void *f, dim3 grid, dim3 block,
		void **args, size_t shmem, hipStream_t s, hipEvent_t start,
		hipEvent_t stop, int flags)
{
	SCHEDULED_R(hipExtLaunchKernel, s, 0, SHIM_KERNEL,
		  (f, grid, block, args, shmem, s, start, stop, flags),
		    R_PTR(f, grid, block, shmem));
}

SHIM_EXPORT hipError_t hipModuleLaunchKernel(hipFunction_t f, unsigned int gx,
		unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
		unsigned int bz, unsigned int shmem, hipStream_t s, void **params,
		void **extra)
{
	SCHEDULED_R(hipModuleLaunchKernel, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, bx, by, bz, shmem, s, params, extra),
		    R_MOD(f, gx, gy, gz, bx, by, bz, shmem));
}

SHIM_EXPORT hipError_t hipExtModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx,
		uint32_t gy, uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz,
		size_t shmem, hipStream_t s, void **params, void **extra,
		hipEvent_t start, hipEvent_t stop, uint32_t flags)
{
	SCHEDULED_R(hipExtModuleLaunchKernel_cxx, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, lx, ly, lz, shmem, s, params, extra, start, stop, flags),
		    R_MOD(f, gx / (lx ? lx : 1), gy / (ly ? ly : 1), gz / (lz ? lz : 1), lx, ly, lz, shmem));
}

SHIM_EXPORT hipError_t hipHccModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx,
		uint32_t gy, uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz,
		size_t shmem, hipStream_t s, void **params, void **extra,
		hipEvent_t start, hipEvent_t stop)
{
	SCHEDULED_R(hipHccModuleLaunchKernel_cxx, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, lx, ly, lz, shmem, s, params, extra, start, stop),
		    R_MOD(f, gx / (lx ? lx : 1), gy / (ly ? ly : 1), gz / (lz ? lz : 1), lx, ly, lz, shmem));
}

SHIM_EXPORT hipError_t hipLaunchKernelGGLImpl_cxx(uintptr_t f, const dim3 *grid,
		const dim3 *block, uint32_t shmem, hipStream_t s, void **args)
{
	SCHEDULED_R(hipLaunchKernelGGLImpl_cxx, s, 0, SHIM_KERNEL,
		  (f, grid, block, shmem, s, args),
		    R_PTR(f, *grid, *block, shmem));
}

SHIM_EXPORT hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f,
		unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
		unsigned bz, unsigned shmem, hipStream_t s, void **params)
{
	SCHEDULED_R(hipModuleLaunchCooperativeKernel, s, 0, SHIM_KERNEL,
		  (f, gx, gy, gz, bx, by, bz, shmem, s, params),
		    R_MOD(f, gx, gy, gz, bx, by, bz, shmem));
}

SHIM_EXPORT hipError_t hipGraphLaunch(hipGraphExec_t g, hipStream_t s)
{
	SCHEDULED_R(hipGraphLaunch, s, 0, SHIM_GRAPH, (g, s),
		    R_(SHIM_REC_GRAPH, 0));
}

SHIM_EXPORT hipError_t hipGraphLaunch_spt(hipGraphExec_t g, hipStream_t s)
{
	SCHEDULED_R(hipGraphLaunch_spt, s, 1, SHIM_GRAPH, (g, s),
		    R_(SHIM_REC_GRAPH, 0));
}

/* --- copies --------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipMemcpyAsync(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyAsync, s, 0, SHIM_COPY, (dst, src, n, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyAsync_spt(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyAsync_spt, s, 1, SHIM_COPY, (dst, src, n, kind, s),
		    R_COPY(n));
}

/* Blocking, but ordered on `s` like the async copy. */
SHIM_EXPORT hipError_t hipMemcpyWithStream(void *dst, const void *src, size_t n,
		hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyWithStream, s, 0, SHIM_COPY, (dst, src, n, kind, s),
		    (R_COPY(n), shim__rec_sync(RS, 0, T0, T1)));
}

SHIM_EXPORT hipError_t hipMemcpyHtoDAsync(hipDeviceptr_t dst, void *src, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpyHtoDAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyDtoHAsync(void *dst, hipDeviceptr_t src, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpyDtoHAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyDtoDAsync(hipDeviceptr_t dst, hipDeviceptr_t src,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyDtoDAsync, s, 0, SHIM_COPY, (dst, src, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpy2DAsync(void *dst, size_t dpitch, const void *src,
		size_t spitch, size_t width, size_t height, hipMemcpyKind kind,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DAsync, s, 0, SHIM_COPY,
		  (dst, dpitch, src, spitch, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy2DToArrayAsync(hipArray *dst, size_t woff,
		size_t hoff, const void *src, size_t spitch, size_t width,
		size_t height, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DToArrayAsync, s, 0, SHIM_COPY,
		  (dst, woff, hoff, src, spitch, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy2DFromArrayAsync(void *dst, size_t dpitch,
		hipArray_const_t src, size_t woff, size_t hoff, size_t width,
		size_t height, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpy2DFromArrayAsync, s, 0, SHIM_COPY,
		  (dst, dpitch, src, woff, hoff, width, height, kind, s),
		    R_COPY((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemcpy3DAsync(const struct hipMemcpy3DParms *p,
		hipStream_t s)
{
	SCHEDULED_R(hipMemcpy3DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->extent.width * p->extent.height * p->extent.depth : 0));
}

SHIM_EXPORT hipError_t hipDrvMemcpy3DAsync(const HIP_MEMCPY3D *p, hipStream_t s)
{
	SCHEDULED_R(hipDrvMemcpy3DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->WidthInBytes * p->Height * p->Depth : 0));
}

SHIM_EXPORT hipError_t hipMemcpyParam2DAsync(const hip_Memcpy2D *p, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyParam2DAsync, s, 0, SHIM_COPY, (p, s),
		    R_COPY(p ? (uint64_t)p->WidthInBytes * p->Height : 0));
}

SHIM_EXPORT hipError_t hipMemcpyPeerAsync(void *dst, int ddev, const void *src,
		int sdev, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyPeerAsync, s, 0, SHIM_COPY, (dst, ddev, src, sdev, n, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyToSymbolAsync(const void *sym, const void *src,
		size_t n, size_t off, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyToSymbolAsync, s, 0, SHIM_COPY, (sym, src, n, off, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemcpyFromSymbolAsync(void *dst, const void *sym,
		size_t n, size_t off, hipMemcpyKind kind, hipStream_t s)
{
	SCHEDULED_R(hipMemcpyFromSymbolAsync, s, 0, SHIM_COPY, (dst, sym, n, off, kind, s),
		    R_COPY(n));
}

SHIM_EXPORT hipError_t hipMemPrefetchAsync(const void *p, size_t n, int dev,
		hipStream_t s)
{
	SCHEDULED_R(hipMemPrefetchAsync, s, 0, SHIM_COPY, (p, n, dev, s),
		    R_COPY(n));
}

/* --- memsets -------------------------------------------------------------- */

SHIM_EXPORT hipError_t hipMemsetAsync(void *dst, int v, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetAsync, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetAsync_spt(void *dst, int v, size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetAsync_spt, s, 1, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetD8Async(hipDeviceptr_t dst, unsigned char v,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetD8Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(n));
}

SHIM_EXPORT hipError_t hipMemsetD16Async(hipDeviceptr_t dst, unsigned short v,
		size_t n, hipStream_t s)
{
	SCHEDULED_R(hipMemsetD16Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(2 * (uint64_t)n));
}

SHIM_EXPORT hipError_t hipMemsetD32Async(hipDeviceptr_t dst, int v, size_t n,
		hipStream_t s)
{
	SCHEDULED_R(hipMemsetD32Async, s, 0, SHIM_SET, (dst, v, n, s),
		    R_SET(4 * (uint64_t)n));
}

SHIM_EXPORT hipError_t hipMemset2DAsync(void *dst, size_t pitch, int v,
		size_t width, size_t height, hipStream_t s)
{
	SCHEDULED_R(hipMemset2DAsync, s, 0, SHIM_SET, (dst, pitch, v, width, height, s),
		    R_SET((uint64_t)width * height));
}

SHIM_EXPORT hipError_t hipMemset3DAsync(hipPitchedPtr p, int v, hipExtent ext,
		hipStream_t s)
{
	SCHEDULED_R(hipMemset3DAsync, s, 0, SHIM_SET, (p, v, ext, s),
		    R_SET((uint64_t)ext.width * ext.height * ext.depth));
}

/* --- events and waits ----------------------------------------------------- */

SHIM_EXPORT hipError_t hipEventRecord(hipEvent_t e, hipStream_t s)
{
	SCHEDULED_R(hipEventRecord, s, 0, SHIM_EVENT, (e, s),
		    R_(SHIM_REC_EVENT, 0));
}

SHIM_EXPORT hipError_t hipEventRecord_spt(hipEvent_t e, hipStream_t s)
{
	SCHEDULED_R(hipEventRecord_spt, s, 1, SHIM_EVENT, (e, s),
		    R_(SHIM_REC_EVENT, 0));
}

SHIM_EXPORT hipError_t hipStreamWaitEvent(hipStream_t s, hipEvent_t e, unsigned int fl)
{
	SCHEDULED_R(hipStreamWaitEvent, s, 0, SHIM_WAIT, (s, e, fl),
		    R_(SHIM_REC_WAIT, 0));
}

SHIM_EXPORT hipError_t hipStreamWaitEvent_spt(hipStream_t s, hipEvent_t e,
		unsigned int fl)
{
	SCHEDULED_R(hipStreamWaitEvent_spt, s, 1, SHIM_WAIT, (s, e, fl),
		    R_(SHIM_REC_WAIT, 0));
}

/* --- host syncs and queries ----------------------------------------------
 * An event does not say its stream: its sync and query mark every queue. */

SHIM_EXPORT hipError_t hipStreamSynchronize(hipStream_t s)
{
	HOST_SYNC(hipStreamSynchronize, s, 0, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamSynchronize_spt(hipStream_t s)
{
	HOST_SYNC(hipStreamSynchronize_spt, s, 1, 0, (s));
}

SHIM_EXPORT hipError_t hipDeviceSynchronize(void)
{
	HOST_SYNC(hipDeviceSynchronize, NULL, 0, 1, ());
}

SHIM_EXPORT hipError_t hipCtxSynchronize(void)
{
	HOST_SYNC(hipCtxSynchronize, NULL, 0, 1, ());
}

SHIM_EXPORT hipError_t hipEventSynchronize(hipEvent_t e)
{
	HOST_SYNC(hipEventSynchronize, NULL, 0, 1, (e));
}

SHIM_EXPORT hipError_t hipStreamQuery(hipStream_t s)
{
	HOST_QUERY(hipStreamQuery, s, 0, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamQuery_spt(hipStream_t s)
{
	HOST_QUERY(hipStreamQuery_spt, s, 1, 0, (s));
}

SHIM_EXPORT hipError_t hipEventQuery(hipEvent_t e)
{
	HOST_QUERY(hipEventQuery, NULL, 0, 1, (e));
}

/* --- stream life ------------------------------------------------------------ */

SHIM_EXPORT hipError_t hipStreamCreate(hipStream_t *s)
{
	CREATE(hipStreamCreate, s, 0, (s));
}

SHIM_EXPORT hipError_t hipStreamCreateWithFlags(hipStream_t *s, unsigned int fl)
{
	CREATE(hipStreamCreateWithFlags, s, 0, (s, fl));
}

SHIM_EXPORT hipError_t hipStreamCreateWithPriority(hipStream_t *s, unsigned int fl,
		int prio)
{
	CREATE(hipStreamCreateWithPriority, s, prio, (s, fl, prio));
}

SHIM_EXPORT hipError_t hipExtStreamCreateWithCUMask(hipStream_t *s, uint32_t n,
		const uint32_t *mask)
{
	CREATE(hipExtStreamCreateWithCUMask, s, 0, (s, n, mask));
}

/* The engine lets go of the stream (its markers, its queue) first. */
SHIM_EXPORT hipError_t hipStreamDestroy(hipStream_t s)
{
	if (!hip_ready())
		return hipErrorNotInitialized;
	if (!hip_depth && s)
		shim__stream_destroyed(s);
	hipError_t r;
	INNER(r, hipStreamDestroy, (s));
	return r;
}
