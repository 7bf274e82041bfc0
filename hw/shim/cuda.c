/*
 * The NVIDIA platform layer of libhipsched.so: the CUDA driver API,
 * intercepted three ways, all landing in the same wrappers.
 *
 *  1. cuGetProcAddress / cuGetProcAddress_v2 (how cudart, and the static
 *     cudart inside cuBLAS / cuDNN, reach the driver): the real one is asked
 *     with the caller's symbol, version and flags; when the answer is a
 *     function we intercept, the caller gets our wrapper for that (symbol,
 *     per-thread-default-stream flag) and the real pointer is kept for it.
 *     The first real pointer seen for a (symbol, flag) is the one the
 *     wrapper calls; a later caller that gets another pointer for it (an
 *     other version with another ABI) gets that pointer untouched. Versions
 *     below the one of the ABI we implement pass through (v1 copies).
 *  2. dlsym (how Triton and others take single names after dlopen of
 *     libcuda.so.1): the hook of hw/shim/dlsym.c asks the real one and
 *     shim__plat_dlsym() answers an intercepted name with our exported
 *     wrapper, keeping the real pointer.
 *  3. The exported names themselves (cuLaunchKernel, ...), for programs
 *     linked against libcuda: LD_PRELOAD puts them first.
 * Everything else (cuGetExportTable included) is untouched.
 *
 * Stream-ordered calls go through shim__begin / shim__end, host syncs
 * (stream, context, event synchronize and query, blocking copies on the
 * legacy or per-thread stream) through shim__host_sync, stream creation
 * and destruction tell the engine. With interception off (no policy, no
 * socket), a wrapper costs one load, one branch and a tail call.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <cuda.h>
#include "shim_internal.h"
#include "record.h"

#undef cuStreamDestroy
#undef cuGetProcAddress

/* ---- the real dlsym: shim__real_dlsym() (hw/shim/dlsym.c) ----------- */
typedef void *(*dlsym_fn)(void *, const char *);

/* An exported wrapper's real function, the first time it is called
 * directly (a program linked against libcuda). */
static void *ex_resolve(void **slot, const char *name)
{
	dlsym_fn d = shim__real_dlsym();
	void *p = d ? d(RTLD_NEXT, name) : NULL;
	if (!p && d) {
		/* a libcuda opened RTLD_LOCAL is not "next" */
		void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
		p = h ? d(h, name) : NULL;
	}
	void *none = NULL;
	if (p && !__atomic_compare_exchange_n(slot, &none, p, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE))
		p = none;
	return p;
}

static void *slot_get(void **slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* ---- call families: parameters, arguments, stream ---------------------------- */
#define F_LAUNCH_P (CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, \
	unsigned int bx, unsigned int by, unsigned int bz, unsigned int shm, CUstream st, \
	void **args, void **extra)
#define F_LAUNCH_A (f, gx, gy, gz, bx, by, bz, shm, st, args, extra)
#define F_LAUNCH_S st
#define F_LAUNCHEX_P (const CUlaunchConfig *cfg, CUfunction f, void **args, void **extra)
#define F_LAUNCHEX_A (cfg, f, args, extra)
#define F_LAUNCHEX_S (cfg ? cfg->hStream : NULL)
#define F_COOP_P (CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, \
	unsigned int bx, unsigned int by, unsigned int bz, unsigned int shm, CUstream st, \
	void **args)
#define F_COOP_A (f, gx, gy, gz, bx, by, bz, shm, st, args)
#define F_COOP_S st
#define F_GRAPH_P (CUgraphExec g, CUstream st)
#define F_GRAPH_A (g, st)
#define F_GRAPH_S st
#define F_DD_P (CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream st)
#define F_DD_A (dst, src, n, st)
#define F_DD_S st
#define F_HD_P (CUdeviceptr dst, const void *src, size_t n, CUstream st)
#define F_HD_A (dst, src, n, st)
#define F_HD_S st
#define F_DH_P (void *dst, CUdeviceptr src, size_t n, CUstream st)
#define F_DH_A (dst, src, n, st)
#define F_DH_S st
#define F_2D_P (const CUDA_MEMCPY2D *p, CUstream st)
#define F_2D_A (p, st)
#define F_2D_S st
#define F_3D_P (const CUDA_MEMCPY3D *p, CUstream st)
#define F_3D_A (p, st)
#define F_3D_S st
#define F_SET8_P (CUdeviceptr d, unsigned char v, size_t n, CUstream st)
#define F_SET16_P (CUdeviceptr d, unsigned short v, size_t n, CUstream st)
#define F_SET32_P (CUdeviceptr d, unsigned int v, size_t n, CUstream st)
#define F_SET8_A (d, v, n, st)
#define F_SET16_A (d, v, n, st)
#define F_SET32_A (d, v, n, st)
#define F_SET8_S st
#define F_SET16_S st
#define F_SET32_S st
#define F_EVREC_P (CUevent ev, CUstream st)
#define F_EVREC_A (ev, st)
#define F_EVREC_S st
#define F_EVRECF_P (CUevent ev, CUstream st, unsigned int fl)
#define F_EVRECF_A (ev, st, fl)
#define F_EVRECF_S st
#define F_WAIT_P (CUstream st, CUevent ev, unsigned int fl)
#define F_WAIT_A (st, ev, fl)
#define F_WAIT_S st
/* host syncs */
#define F_STREAM_P (CUstream st)
#define F_STREAM_A (st)
#define F_STREAM_S st
#define F_STREAM_DONE 1       /* success: that stream's work is done */
#define F_VOID_P (void)
#define F_VOID_A ()
#define F_VOID_S NULL
#define F_VOID_DONE 0
#define F_CTX_P (CUcontext ctx)
#define F_CTX_A (ctx)
#define F_CTX_S NULL
#define F_CTX_DONE 0
#define F_EVENT_P (CUevent ev)
#define F_EVENT_A (ev)
#define F_EVENT_S NULL
#define F_EVENT_DONE 0
#define F_BDD_P (CUdeviceptr dst, CUdeviceptr src, size_t n)
#define F_BDD_A (dst, src, n)
#define F_BDD_S NULL
#define F_BDD_DONE 0
#define F_BHD_P (CUdeviceptr dst, const void *src, size_t n)
#define F_BHD_A (dst, src, n)
#define F_BHD_S NULL
#define F_BHD_DONE 0
#define F_BDH_P (void *dst, CUdeviceptr src, size_t n)
#define F_BDH_A (dst, src, n)
#define F_BDH_S NULL
#define F_BDH_DONE 0
#define F_B2D_P (const CUDA_MEMCPY2D *p)
#define F_B2D_A (p)
#define F_B2D_S NULL
#define F_B2D_DONE 0
#define F_B3D_P (const CUDA_MEMCPY3D *p)
#define F_B3D_A (p)
#define F_B3D_S NULL
#define F_B3D_DONE 0

/* The recorder (record.h): what each family logs once the real call has
 * returned; RS is the stream (per-thread default made explicit), T0/T1 the
 * host times, SL the timing slot. */
#define RK(g0, g1, g2, b0, b1, b2, shm_) shim__rec_kernel(f, \
	(const uint32_t[3]){ g0, g1, g2 }, (const uint32_t[3]){ b0, b1, b2 }, shm_, RS, T0, T1, SL)
#define RL_(kind, bytes) shim__rec_launch(kind, RS, NULL, NULL, NULL, 0, 0, bytes, T0, T1, SL)
#define F_LAUNCH_REC RK(gx, gy, gz, bx, by, bz, shm)
#define F_COOP_REC F_LAUNCH_REC
#define F_LAUNCHEX_REC RK(cfg->gridDimX, cfg->gridDimY, cfg->gridDimZ, cfg->blockDimX, \
	cfg->blockDimY, cfg->blockDimZ, cfg->sharedMemBytes)
#define F_GRAPH_REC RL_(SHIM_REC_GRAPH, 0)
#define F_DD_REC RL_(SHIM_REC_COPY, n)
#define F_HD_REC F_DD_REC
#define F_DH_REC F_DD_REC
#define F_2D_REC RL_(SHIM_REC_COPY, p ? (uint64_t)p->WidthInBytes * p->Height : 0)
#define F_3D_REC RL_(SHIM_REC_COPY, p ? (uint64_t)p->WidthInBytes * p->Height * p->Depth : 0)
#define F_SET8_REC RL_(SHIM_REC_SET, n)
#define F_SET16_REC RL_(SHIM_REC_SET, 2 * (uint64_t)n)
#define F_SET32_REC RL_(SHIM_REC_SET, 4 * (uint64_t)n)
#define F_EVREC_REC RL_(SHIM_REC_EVENT, 0)
#define F_EVRECF_REC F_EVREC_REC
#define F_WAIT_REC RL_(SHIM_REC_WAIT, 0)
/* host syncs (queries are not recorded); a blocking copy is logged as a
 * copy, then the sync */
#define F_STREAM_RSYNC shim__rec_sync(RS, 0, T0, T1)
#define F_VOID_RSYNC shim__rec_sync(NULL, 1, T0, T1)
#define F_EVENT_RSYNC shim__rec_sync(NULL, 1, T0, T1)
#define F_CTX_RSYNC shim__rec_sync(NULL, 1, T0, T1)
#define RB(bytes) (RL_(SHIM_REC_COPY, bytes), shim__rec_sync(RS, 0, T0, T1))
#define F_BDD_RSYNC RB(n)
#define F_BHD_RSYNC RB(n)
#define F_BDH_RSYNC RB(n)
#define F_B2D_RSYNC RB(p ? (uint64_t)p->WidthInBytes * p->Height : 0)
#define F_B3D_RSYNC RB(p ? (uint64_t)p->WidthInBytes * p->Height * p->Depth : 0)

/* Stream-ordered calls: X(name, cuGetProcAddress name, ptds, first
 * version of this ABI, family, kind). */
#define ORDERED(X) \
	X(cuLaunchKernel, "cuLaunchKernel", 0, 4000, F_LAUNCH, SHIM_KERNEL) \
	X(cuLaunchKernel_ptsz, "cuLaunchKernel", 1, 4000, F_LAUNCH, SHIM_KERNEL) \
	X(cuLaunchKernelEx, "cuLaunchKernelEx", 0, 11060, F_LAUNCHEX, SHIM_KERNEL) \
	X(cuLaunchKernelEx_ptsz, "cuLaunchKernelEx", 1, 11060, F_LAUNCHEX, SHIM_KERNEL) \
	X(cuLaunchCooperativeKernel, "cuLaunchCooperativeKernel", 0, 9000, F_COOP, SHIM_KERNEL) \
	X(cuLaunchCooperativeKernel_ptsz, "cuLaunchCooperativeKernel", 1, 9000, F_COOP, SHIM_KERNEL) \
	X(cuGraphLaunch, "cuGraphLaunch", 0, 10000, F_GRAPH, SHIM_GRAPH) \
	X(cuGraphLaunch_ptsz, "cuGraphLaunch", 1, 10000, F_GRAPH, SHIM_GRAPH) \
	X(cuMemcpyAsync, "cuMemcpyAsync", 0, 4000, F_DD, SHIM_COPY) \
	X(cuMemcpyAsync_ptsz, "cuMemcpyAsync", 1, 4000, F_DD, SHIM_COPY) \
	X(cuMemcpyHtoDAsync_v2, "cuMemcpyHtoDAsync", 0, 3020, F_HD, SHIM_COPY) \
	X(cuMemcpyHtoDAsync_v2_ptsz, "cuMemcpyHtoDAsync", 1, 3020, F_HD, SHIM_COPY) \
	X(cuMemcpyDtoHAsync_v2, "cuMemcpyDtoHAsync", 0, 3020, F_DH, SHIM_COPY) \
	X(cuMemcpyDtoHAsync_v2_ptsz, "cuMemcpyDtoHAsync", 1, 3020, F_DH, SHIM_COPY) \
	X(cuMemcpyDtoDAsync_v2, "cuMemcpyDtoDAsync", 0, 3020, F_DD, SHIM_COPY) \
	X(cuMemcpyDtoDAsync_v2_ptsz, "cuMemcpyDtoDAsync", 1, 3020, F_DD, SHIM_COPY) \
	X(cuMemcpy2DAsync_v2, "cuMemcpy2DAsync", 0, 3020, F_2D, SHIM_COPY) \
	X(cuMemcpy2DAsync_v2_ptsz, "cuMemcpy2DAsync", 1, 3020, F_2D, SHIM_COPY) \
	X(cuMemcpy3DAsync_v2, "cuMemcpy3DAsync", 0, 3020, F_3D, SHIM_COPY) \
	X(cuMemcpy3DAsync_v2_ptsz, "cuMemcpy3DAsync", 1, 3020, F_3D, SHIM_COPY) \
	X(cuMemsetD8Async, "cuMemsetD8Async", 0, 3020, F_SET8, SHIM_SET) \
	X(cuMemsetD8Async_ptsz, "cuMemsetD8Async", 1, 3020, F_SET8, SHIM_SET) \
	X(cuMemsetD16Async, "cuMemsetD16Async", 0, 3020, F_SET16, SHIM_SET) \
	X(cuMemsetD16Async_ptsz, "cuMemsetD16Async", 1, 3020, F_SET16, SHIM_SET) \
	X(cuMemsetD32Async, "cuMemsetD32Async", 0, 3020, F_SET32, SHIM_SET) \
	X(cuMemsetD32Async_ptsz, "cuMemsetD32Async", 1, 3020, F_SET32, SHIM_SET) \
	X(cuEventRecord, "cuEventRecord", 0, 2000, F_EVREC, SHIM_EVENT) \
	X(cuEventRecord_ptsz, "cuEventRecord", 1, 2000, F_EVREC, SHIM_EVENT) \
	X(cuEventRecordWithFlags, "cuEventRecordWithFlags", 0, 11010, F_EVRECF, SHIM_EVENT) \
	X(cuEventRecordWithFlags_ptsz, "cuEventRecordWithFlags", 1, 11010, F_EVRECF, SHIM_EVENT) \
	X(cuStreamWaitEvent, "cuStreamWaitEvent", 0, 3020, F_WAIT, SHIM_WAIT) \
	X(cuStreamWaitEvent_ptsz, "cuStreamWaitEvent", 1, 3020, F_WAIT, SHIM_WAIT)

/* Host syncs: X(name, cuGetProcAddress name, ptds (2: either), first
 * version, family, all queues). A name whose ABI changed has its newest
 * row first (rows are looked up in order): CUDA 13's cuGetProcAddress
 * answers "cuCtxSynchronize" at version 13000 with cuCtxSynchronize_v2
 * (CUcontext), seen on the H200 under PyTorch 2.11 + CUDA 13.0. */
#define SYNCS(X) \
	X(cuCtxSynchronize_v2, "cuCtxSynchronize", 2, 13000, F_CTX, 1) \
	X(cuStreamSynchronize, "cuStreamSynchronize", 0, 2000, F_STREAM, 0) \
	X(cuStreamSynchronize_ptsz, "cuStreamSynchronize", 1, 2000, F_STREAM, 0) \
	X(cuStreamQuery, "cuStreamQuery", 0, 2000, F_STREAM, 0) \
	X(cuStreamQuery_ptsz, "cuStreamQuery", 1, 2000, F_STREAM, 0) \
	X(cuCtxSynchronize, "cuCtxSynchronize", 2, 2000, F_VOID, 1) \
	X(cuEventSynchronize, "cuEventSynchronize", 2, 2000, F_EVENT, 1) \
	X(cuEventQuery, "cuEventQuery", 2, 2000, F_EVENT, 1) \
	X(cuMemcpy, "cuMemcpy", 0, 4000, F_BDD, 0) \
	X(cuMemcpy_ptds, "cuMemcpy", 1, 4000, F_BDD, 0) \
	X(cuMemcpyHtoD_v2, "cuMemcpyHtoD", 0, 3020, F_BHD, 0) \
	X(cuMemcpyHtoD_v2_ptds, "cuMemcpyHtoD", 1, 3020, F_BHD, 0) \
	X(cuMemcpyDtoH_v2, "cuMemcpyDtoH", 0, 3020, F_BDH, 0) \
	X(cuMemcpyDtoH_v2_ptds, "cuMemcpyDtoH", 1, 3020, F_BDH, 0) \
	X(cuMemcpyDtoD_v2, "cuMemcpyDtoD", 0, 3020, F_BDD, 0) \
	X(cuMemcpyDtoD_v2_ptds, "cuMemcpyDtoD", 1, 3020, F_BDD, 0) \
	X(cuMemcpy2D_v2, "cuMemcpy2D", 0, 3020, F_B2D, 0) \
	X(cuMemcpy2D_v2_ptds, "cuMemcpy2D", 1, 3020, F_B2D, 0) \
	X(cuMemcpy3D_v2, "cuMemcpy3D", 0, 3020, F_B3D, 0) \
	X(cuMemcpy3D_v2_ptds, "cuMemcpy3D", 1, 3020, F_B3D, 0)

/* Stream life and the lookups themselves: X(name, cuGetProcAddress name,
 * ptds, first version, last version + 1, family); each family has a
 * _PRE and a _POST step around the real call (result in `e`). */
static void cu_created(CUstream st);
static void cu_answer(const char *sym, void **pfn, int ver, cuuint64_t flags);
#define F_SCREATE_P (CUstream *ph, unsigned int fl)
#define F_SCREATE_A (ph, fl)
#define F_SCREATE_PRE
#define F_SCREATE_POST if (e == CUDA_SUCCESS && ph) cu_created(*ph)
#define F_SCREATEP_P (CUstream *ph, unsigned int fl, int prio)
#define F_SCREATEP_A (ph, fl, prio)
#define F_SCREATEP_PRE
#define F_SCREATEP_POST F_SCREATE_POST
#define F_SDESTROY_P (CUstream st)
#define F_SDESTROY_A (st)
#define F_SDESTROY_PRE shim__stream_destroyed(st)
#define F_SDESTROY_POST
#define F_GPA1_P (const char *sym, void **pfn, int ver, cuuint64_t fl)
#define F_GPA1_A (sym, pfn, ver, fl)
#define F_GPA1_PRE
#define F_GPA1_POST if (e == CUDA_SUCCESS && pfn && *pfn) cu_answer(sym, pfn, ver, fl)
#define F_GPA2_P (const char *sym, void **pfn, int ver, cuuint64_t fl, \
	CUdriverProcAddressQueryResult *res)
#define F_GPA2_A (sym, pfn, ver, fl, res)
#define F_GPA2_PRE
#define F_GPA2_POST F_GPA1_POST
#define LIFE(X) \
	X(cuStreamCreate, "cuStreamCreate", 2, 2000, 1 << 30, F_SCREATE) \
	X(cuStreamCreateWithPriority, "cuStreamCreateWithPriority", 2, 5050, 1 << 30, F_SCREATEP) \
	X(cuStreamDestroy, "cuStreamDestroy", 2, 2000, 4000, F_SDESTROY) \
	X(cuStreamDestroy_v2, "cuStreamDestroy", 2, 4000, 1 << 30, F_SDESTROY) \
	X(cuGetProcAddress, "cuGetProcAddress", 2, 11030, 12000, F_GPA1) \
	X(cuGetProcAddress_v2, "cuGetProcAddress", 2, 12000, 1 << 30, F_GPA2)

/* ---- the wrappers -------------------------------------------------------- */
/* Each name gets two wrappers: the exported one (real function from dlsym)
 * and gp_NAME (real function from cuGetProcAddress), each with its slot. */
#define REAL(slot, name, F) \
	CUresult (*r) F##_P = (__typeof__(r))slot_get((void **)&slot); \
	if (__builtin_expect(!r, 0) && \
	    !(r = (__typeof__(r))ex_resolve((void **)&slot, name))) \
		return CUDA_ERROR_NOT_FOUND;

/* Out of line: the first call (the real function still to be found) and
 * the engine's path, so that pass-through is a load, two branches and a
 * tail call. */
#define ORD_HELD(fn, slot, name, ptds, F, kind) \
	__attribute__((noinline)) static CUresult fn F##_P { \
	REAL(slot, name, F) \
	uint64_t T0 = shim__rec_on() ? shim__rec_now() : 0; \
	if (!shim__on() && !T0) \
		return r F##_A; \
	struct shim_cmd *c = shim__on() ? shim__begin((void *)(F##_S), ptds, kind) : NULL; \
	void *RS = (ptds) && !(F##_S) ? SHIM_STREAM_PER_THREAD : (void *)(F##_S); \
	int SL = T0 ? shim__rec_gpu_begin(RS) : -1; \
	CUresult e = r F##_A; \
	if (T0 && e == CUDA_SUCCESS) { \
		uint64_t T1 = shim__rec_now(); \
		F##_REC; \
	} \
	if (c) \
		shim__end(c, e == CUDA_SUCCESS); \
	return e; }
#define ORD_BODY(slot, held, F) { \
	CUresult (*r) F##_P = (__typeof__(r))slot_get((void **)&slot); \
	if (__builtin_expect(!r || shim__on() || shim__rec_on(), 0)) \
		return held F##_A; \
	return r F##_A; }
#define DEF_ORD(name, base, ptds, v0, F, kind) \
	static CUresult (*ex_##name) F##_P; \
	static CUresult (*gp_##name##_real) F##_P; \
	ORD_HELD(held_##name, ex_##name, #name, ptds, F, kind) \
	ORD_HELD(gp_held_##name, gp_##name##_real, #name, ptds, F, kind) \
	__attribute__((visibility("default"))) CUresult name F##_P \
		ORD_BODY(ex_##name, held_##name, F) \
	static CUresult gp_##name F##_P \
		ORD_BODY(gp_##name##_real, gp_held_##name, F)
ORDERED(DEF_ORD)

#define SYNC_BODY(slot, name, ptds, F, all, rec) { \
	REAL(slot, name, F) \
	uint64_t T0 = (rec) && shim__rec_on() ? shim__rec_now() : 0; \
	uint64_t TOK = shim__on() ? shim__host_sync((void *)(F##_S), (ptds) == 1, all) : 0; \
	CUresult e = r F##_A; \
	if (F##_DONE && TOK && e == CUDA_SUCCESS) \
		shim__host_synced((void *)(F##_S), (ptds) == 1, TOK); \
	if (T0 && e == CUDA_SUCCESS) { \
		void *RS = (ptds) == 1 && !(F##_S) ? SHIM_STREAM_PER_THREAD : (void *)(F##_S); \
		uint64_t T1 = shim__rec_now(); \
		int SL = -1; \
		(void)RS; \
		(void)SL; \
		F##_RSYNC; \
	} \
	return e; }
/* cuStreamQuery / cuEventQuery poll: not a host sync for the recorder */
#define DEF_SYNC(name, base, ptds, v0, F, all) \
	static CUresult (*ex_##name) F##_P; \
	static CUresult (*gp_##name##_real) F##_P; \
	__attribute__((visibility("default"))) CUresult name F##_P \
		SYNC_BODY(ex_##name, #name, ptds, F, all, !strstr(#name, "Query")) \
	static CUresult gp_##name F##_P \
		SYNC_BODY(gp_##name##_real, #name, ptds, F, all, !strstr(#name, "Query"))
SYNCS(DEF_SYNC)

#define LIFE_BODY(slot, name, F) { \
	REAL(slot, name, F) \
	F##_PRE; \
	CUresult e = r F##_A; \
	F##_POST; \
	return e; }
#define DEF_LIFE(name, base, ptds, v0, v1, F) \
	static CUresult (*ex_##name) F##_P; \
	static CUresult (*gp_##name##_real) F##_P; \
	__attribute__((visibility("default"))) CUresult name F##_P \
		LIFE_BODY(ex_##name, #name, F) \
	static CUresult gp_##name F##_P \
		LIFE_BODY(gp_##name##_real, #name, F)
LIFE(DEF_LIFE)

/* ---- the table of intercepted names ------------------------------------------ */
struct isym {
	const char *name;         /* exported name (dlsym) */
	const char *base;         /* cuGetProcAddress name */
	int ptds;                 /* 0, 1, 2: either */
	int v0, v1;               /* cuGetProcAddress versions [v0, v1) */
	void *ex, **ex_slot;      /* exported wrapper and its real function */
	void *gp, **gp_slot;      /* cuGetProcAddress wrapper and its real one */
};

#define ROW(name, base, ptds, v0, v1) \
	{ #name, base, ptds, v0, v1, (void *)name, (void **)&ex_##name, \
	  (void *)gp_##name, (void **)&gp_##name##_real },
#define ROW_ORD(name, base, ptds, v0, F, k) ROW(name, base, ptds, v0, 1 << 30)
#define ROW_LIFE(name, base, ptds, v0, v1, F) ROW(name, base, ptds, v0, v1)
static const struct isym syms[] = {
	ORDERED(ROW_ORD)
	SYNCS(ROW_ORD)
	LIFE(ROW_LIFE)
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

/* Stores `real` in *slot if empty; 1 when *slot holds it then. */
static int slot_claim(void **slot, void *real)
{
	void *cur = NULL;
	if (__atomic_compare_exchange_n(slot, &cur, real, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return 1;
	return cur == real;
}

static void cu_answer(const char *sym, void **pfn, int ver, cuuint64_t flags)
{
	if (!sym || sym[0] != 'c' || sym[1] != 'u')
		return;
	int ptds = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
	for (size_t i = 0; i < NSYMS; i++) {
		const struct isym *s = &syms[i];
		if ((s->ptds != 2 && s->ptds != ptds) || ver < s->v0 || ver >= s->v1 ||
		    strcmp(s->base, sym))
			continue;
		if (*pfn == s->gp || *pfn == s->ex)
			return;
		if (slot_claim(s->gp_slot, *pfn))
			*pfn = s->gp;
		else if (shim__log_on())
			shim__log("cuGetProcAddress(%s, %d, %s): another function than "
				  "before; not intercepted", sym, ver, ptds ? "ptds" : "legacy");
		return;
	}
}

/* The dlsym hook's question (hw/shim/dlsym.c): `r`, what the real dlsym
 * found under `name`, or our wrapper when it is an intercepted name of the
 * real libcuda. */
void *shim__plat_dlsym(const char *name, void *r)
{
	if (!r || name[0] != 'c' || name[1] != 'u')
		return r;
	for (size_t i = 0; i < NSYMS; i++) {
		const struct isym *s = &syms[i];
		if (strcmp(s->name, name))
			continue;
		if (r != s->ex && r != s->gp && slot_claim(s->ex_slot, r))
			return s->ex;
		return r;
	}
	return r;
}

/* ---- the platform ops (the engine's real calls) ------------------------------- */
static struct {
	CUresult (*ev_create)(CUevent *, unsigned int);
	CUresult (*ev_record)(CUevent, CUstream);
	CUresult (*ev_query)(CUevent);
	CUresult (*ev_destroy)(CUevent);
	CUresult (*capturing)(CUstream, CUstreamCaptureStatus *);
	CUresult (*ctx_get)(CUcontext *);
	CUresult (*ctx_set)(CUcontext);
	CUresult (*capture_mode)(CUstreamCaptureMode *);
	CUresult (*prio)(CUstream, int *);
} rl;
static pthread_once_t rl_once = PTHREAD_ONCE_INIT;

static void rl_load(void)
{
	dlsym_fn d = shim__real_dlsym();
	void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
	if (!d)
		return;
	if (!h)
		h = RTLD_NEXT;
	*(void **)&rl.ev_create = d(h, "cuEventCreate");
	*(void **)&rl.ev_record = d(h, "cuEventRecord");
	*(void **)&rl.ev_query = d(h, "cuEventQuery");
	*(void **)&rl.ev_destroy = d(h, "cuEventDestroy_v2");
	*(void **)&rl.capturing = d(h, "cuStreamIsCapturing");
	*(void **)&rl.ctx_get = d(h, "cuCtxGetCurrent");
	*(void **)&rl.ctx_set = d(h, "cuCtxSetCurrent");
	*(void **)&rl.capture_mode = d(h, "cuThreadExchangeStreamCaptureMode");
	*(void **)&rl.prio = d(h, "cuStreamGetPriority");
}

#define RL(f) (pthread_once(&rl_once, rl_load), rl.f)

static int p_event_create(void **ev)
{
	if (!RL(ev_create))
		return -1;
	return rl.ev_create((CUevent *)ev, CU_EVENT_DISABLE_TIMING) ? -1 : 0;
}

static int p_event_record(void *ev, void *st)
{
	return RL(ev_record) && !rl.ev_record(ev, st) ? 0 : -1;
}

static int p_event_query(void *ev)
{
	if (!RL(ev_query))
		return -1;
	CUresult e = rl.ev_query(ev);
	return e == CUDA_SUCCESS ? 0 : e == CUDA_ERROR_NOT_READY ? 1 : -1;
}

static void p_event_destroy(void *ev)
{
	if (RL(ev_destroy))
		rl.ev_destroy(ev);
}

/* An error (the legacy stream while another captures globally) counts as
 * capturing: the call then passes through, as it would fail anyway. */
static int p_stream_capturing(void *st)
{
	CUstreamCaptureStatus s = CU_STREAM_CAPTURE_STATUS_NONE;
	if (!RL(capturing))
		return 0;
	return rl.capturing(st, &s) != CUDA_SUCCESS || s != CU_STREAM_CAPTURE_STATUS_NONE;
}

static void *p_current_ctx(void)
{
	CUcontext c = NULL;
	if (RL(ctx_get))
		rl.ctx_get(&c);
	return c;
}

/* The poller: the context, and relaxed capture interaction so that its
 * event queries never invalidate another thread's global-mode capture. */
static int p_bind_thread(void *ctx)
{
	if (RL(capture_mode)) {
		CUstreamCaptureMode m = CU_STREAM_CAPTURE_MODE_RELAXED;
		rl.capture_mode(&m);
	}
	return RL(ctx_set) && !rl.ctx_set(ctx) ? 0 : -1;
}

static const struct shim_plat cu_plat = {
	.name = "cuda",
	.event_create = p_event_create,
	.event_record = p_event_record,
	.event_query = p_event_query,
	.event_destroy = p_event_destroy,
	.stream_capturing = p_stream_capturing,
	.current_ctx = p_current_ctx,
	.bind_thread = p_bind_thread,
};

/* A new stream's priority as the driver clamped it. */
static void cu_created(CUstream st)
{
	if (!shim__on())
		return;
	int prio = 0;
	if (RL(prio))
		rl.prio(st, &prio);
	shim__stream_created(st, prio);
}

/* The recorder's resolver: real driver functions, never our wrappers. */
static void *rec_real(const char *sym)
{
	void *(*d)(void *, const char *) = shim__real_dlsym();
	void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
	return d ? d(h ? h : RTLD_NEXT, sym) : NULL;
}

__attribute__((constructor)) static void cu_init(void)
{
	shim__init(&cu_plat);
	shim__cuda_rec_init(rec_real);
}
