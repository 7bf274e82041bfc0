/*
 * hw/shim/hip_internal.h: what hip.c (the table, binding, platform ops,
 * lookups) and hip_wrap.c (the exported wrappers) share. Internal to the
 * AMD flavour of libhipsched.so; hip.map keeps all of it local.
 */
#ifndef HIPSCHED_HIP_INTERNAL_H
#define HIPSCHED_HIP_INTERNAL_H
#include <pthread.h>
#include <stdint.h>
#include <hip/hip_runtime_api.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

/* Declared by no C header of HIP 5.2: the C++-mangled launches (rocBLAS,
 * hipBLASLt, MIOpen) and what later ROCm releases added. */
hipError_t hipExtModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx, uint32_t gy,
		uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
		hipStream_t s, void **params, void **extra, hipEvent_t start,
		hipEvent_t stop, uint32_t flags)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");
hipError_t hipHccModuleLaunchKernel_cxx(hipFunction_t f, uint32_t gx, uint32_t gy,
		uint32_t gz, uint32_t lx, uint32_t ly, uint32_t lz, size_t shmem,
		hipStream_t s, void **params, void **extra, hipEvent_t start,
		hipEvent_t stop)
	__asm__("_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_");
hipError_t hipLaunchKernelGGLImpl_cxx(uintptr_t f, const dim3 *grid,
		const dim3 *block, uint32_t shmem, hipStream_t s, void **args)
	__asm__("_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv");
hipError_t hipEventRecord_spt(hipEvent_t e, hipStream_t s);
hipError_t hipGraphLaunch_spt(hipGraphExec_t g, hipStream_t s);
hipError_t hipMemsetAsync_spt(void *dst, int value, size_t n, hipStream_t s);
hipError_t hipModuleLaunchCooperativeKernel(hipFunction_t f, unsigned gx,
		unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
		unsigned shmem, hipStream_t s, void **params);
hipError_t hipGetProcAddress(const char *symbol, void **pfn, int hip_version,
		uint64_t flags, int *status);

/* The intercepted functions: C name, ELF name, version (the same as in
 * hw/shim/hip.map; the shimamd suite checks both against Debian's
 * libamdhip64). The last six are newer than HIP 5.2: with an older
 * library their real pointer stays NULL. */
#define HIP_WRAPPED(X) \
	X(hipLaunchKernel, "hipLaunchKernel", "hip_4.2") \
	X(hipLaunchKernel_spt, "hipLaunchKernel_spt", "hip_5.2") \
	X(hipLaunchCooperativeKernel, "hipLaunchCooperativeKernel", "hip_4.2") \
	X(hipLaunchCooperativeKernel_spt, "hipLaunchCooperativeKernel_spt", "hip_5.2") \
	X(hipExtLaunchKernel, "hipExtLaunchKernel", "hip_4.2") \
	X(hipModuleLaunchKernel, "hipModuleLaunchKernel", "hip_4.2") \
	X(hipExtModuleLaunchKernel_cxx, \
	  "_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j", "hip_4.2") \
	X(hipHccModuleLaunchKernel_cxx, \
	  "_Z24hipHccModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_", "hip_4.2") \
	X(hipLaunchKernelGGLImpl_cxx, \
	  "_ZN8hip_impl22hipLaunchKernelGGLImplEmRK4dim3S2_jP12ihipStream_tPPv", "hip_4.2") \
	X(hipGraphLaunch, "hipGraphLaunch", "hip_4.3") \
	X(hipMemcpyAsync, "hipMemcpyAsync", "hip_4.2") \
	X(hipMemcpyAsync_spt, "hipMemcpyAsync_spt", "hip_5.2") \
	X(hipMemcpyWithStream, "hipMemcpyWithStream", "hip_4.2") \
	X(hipMemcpyHtoDAsync, "hipMemcpyHtoDAsync", "hip_4.2") \
	X(hipMemcpyDtoHAsync, "hipMemcpyDtoHAsync", "hip_4.2") \
	X(hipMemcpyDtoDAsync, "hipMemcpyDtoDAsync", "hip_4.2") \
	X(hipMemcpy2DAsync, "hipMemcpy2DAsync", "hip_4.2") \
	X(hipMemcpy2DToArrayAsync, "hipMemcpy2DToArrayAsync", "hip_4.3") \
	X(hipMemcpy2DFromArrayAsync, "hipMemcpy2DFromArrayAsync", "hip_4.2") \
	X(hipMemcpy3DAsync, "hipMemcpy3DAsync", "hip_4.2") \
	X(hipDrvMemcpy3DAsync, "hipDrvMemcpy3DAsync", "hip_4.2") \
	X(hipMemcpyParam2DAsync, "hipMemcpyParam2DAsync", "hip_4.2") \
	X(hipMemcpyPeerAsync, "hipMemcpyPeerAsync", "hip_4.2") \
	X(hipMemcpyToSymbolAsync, "hipMemcpyToSymbolAsync", "hip_4.2") \
	X(hipMemcpyFromSymbolAsync, "hipMemcpyFromSymbolAsync", "hip_4.2") \
	X(hipMemPrefetchAsync, "hipMemPrefetchAsync", "hip_4.2") \
	X(hipMemsetAsync, "hipMemsetAsync", "hip_4.2") \
	X(hipMemsetD8Async, "hipMemsetD8Async", "hip_4.2") \
	X(hipMemsetD16Async, "hipMemsetD16Async", "hip_4.2") \
	X(hipMemsetD32Async, "hipMemsetD32Async", "hip_4.2") \
	X(hipMemset2DAsync, "hipMemset2DAsync", "hip_4.2") \
	X(hipMemset3DAsync, "hipMemset3DAsync", "hip_4.2") \
	X(hipEventRecord, "hipEventRecord", "hip_4.2") \
	X(hipStreamWaitEvent, "hipStreamWaitEvent", "hip_4.2") \
	X(hipStreamWaitEvent_spt, "hipStreamWaitEvent_spt", "hip_5.2") \
	X(hipStreamSynchronize, "hipStreamSynchronize", "hip_4.2") \
	X(hipStreamSynchronize_spt, "hipStreamSynchronize_spt", "hip_5.2") \
	X(hipDeviceSynchronize, "hipDeviceSynchronize", "hip_4.2") \
	X(hipCtxSynchronize, "hipCtxSynchronize", "hip_4.2") \
	X(hipEventSynchronize, "hipEventSynchronize", "hip_4.2") \
	X(hipStreamQuery, "hipStreamQuery", "hip_4.2") \
	X(hipStreamQuery_spt, "hipStreamQuery_spt", "hip_5.2") \
	X(hipEventQuery, "hipEventQuery", "hip_4.2") \
	X(hipStreamCreate, "hipStreamCreate", "hip_4.2") \
	X(hipStreamCreateWithFlags, "hipStreamCreateWithFlags", "hip_4.2") \
	X(hipStreamCreateWithPriority, "hipStreamCreateWithPriority", "hip_4.2") \
	X(hipExtStreamCreateWithCUMask, "hipExtStreamCreateWithCUMask", "hip_4.2") \
	X(hipStreamDestroy, "hipStreamDestroy", "hip_4.2") \
	X(hipEventRecord_spt, "hipEventRecord_spt", "hip_5.2") \
	X(hipGraphLaunch_spt, "hipGraphLaunch_spt", "hip_5.3") \
	X(hipMemsetAsync_spt, "hipMemsetAsync_spt", "hip_5.3") \
	X(hipModuleLaunchCooperativeKernel, "hipModuleLaunchCooperativeKernel", "hip_5.5") \
	X(hipGetProcAddress, "hipGetProcAddress", "hip_6.1")

/* Real functions the engine's platform ops use, not intercepted. */
#define HIP_USED(X) \
	X(hipEventCreateWithFlags, "hipEventCreateWithFlags", "hip_4.2") \
	X(hipEventDestroy, "hipEventDestroy", "hip_4.2") \
	X(hipStreamIsCapturing, "hipStreamIsCapturing", "hip_4.3") \
	X(hipGetDevice, "hipGetDevice", "hip_4.2") \
	X(hipSetDevice, "hipSetDevice", "hip_4.2")

/* The real functions (hip.c binds them with dlvsym at the first call). */
#define REAL_DECL(id, sym, ver) extern __typeof__(id) *real_##id;
HIP_WRAPPED(REAL_DECL)
HIP_USED(REAL_DECL)
#undef REAL_DECL

extern pthread_once_t hip_once;
extern int hip_ok;                 /* 1 once the real library is bound */
extern __thread int hip_depth;     /* >0 inside a wrapper (re-entry) */
/* Binds the real library and starts the engine (once, hip_ready). */
void hip_init_once(void);

/* 1 when the real library is bound (first call: binds it, starts the
 * engine). */
static inline int hip_ready(void)
{
	pthread_once(&hip_once, hip_init_once);
	return hip_ok;
}

/* A missing real function (older library) answers hipErrorNotSupported,
 * as HIP does for what it lacks. */
#define CALL_REAL(name, args) \
	(real_##name ? real_##name args : hipErrorNotSupported)

/* The real call at depth + 1, so that what it calls of ours passes. */
#define INNER(r, name, args) do { \
	hip_depth++; \
	r = CALL_REAL(name, args); \
	hip_depth--; \
} while (0)

#endif
