/*
 * HIP on NVIDIA: the HIP calls hw/ uses, mapped onto the CUDA runtime.
 *
 * Why this file exists: HIP's own NVIDIA platform headers
 * (hip/nvidia_detail/nvidia_hip_runtime_api.h) would do this mapping, but
 * the ones Debian 12 ships (HIP 5.2) do not compile against CUDA 13: they
 * call cudaMemPrefetchAsync with its old signature and copy cudaDeviceProp
 * fields that CUDA 13 removed (measured here with nvcc 13.0). So instead of
 * the whole HIP API, this header maps exactly the calls hw/dev/hip_dev.c makes,
 * one line each, and nothing else. Add a mapping here when hip_dev.c needs
 * a new call; keep hip_dev.c free of any cuda* name so that it stays one
 * source for both platforms.
 *
 * Included only by hw/dev/hip_dev.c in the HW=nvidia build (plain C, gcc, with
 * -I/usr/local/cuda/include).
 */
#ifndef HIPSCHED_HIP_NV_H
#define HIPSCHED_HIP_NV_H

#include <string.h>
#include <cuda_runtime_api.h>

typedef cudaError_t hipError_t;
typedef cudaStream_t hipStream_t;
typedef cudaEvent_t hipEvent_t;

#define hipSuccess                      cudaSuccess
#define hipErrorNotReady                cudaErrorNotReady
#define hipErrorNoDevice                cudaErrorNoDevice
#define hipStreamNonBlocking            cudaStreamNonBlocking
#define hipEventDefault                 cudaEventDefault
#define hipEventDisableTiming           cudaEventDisableTiming
#define hipHostMallocMapped             cudaHostAllocMapped
#define hipHostMallocPortable           cudaHostAllocPortable
#define hipMemcpyHostToDevice           cudaMemcpyHostToDevice

#define hipDeviceAttributeMultiprocessorCount   cudaDevAttrMultiProcessorCount
#define hipDeviceAttributeMaxThreadsPerBlock    cudaDevAttrMaxThreadsPerBlock
#define hipDeviceAttributeMaxSharedMemoryPerBlock cudaDevAttrMaxSharedMemoryPerBlock
typedef enum cudaDeviceAttr hipDeviceAttribute_t;

#define hipGetErrorString               cudaGetErrorString
#define hipGetLastError                 cudaGetLastError
#define hipGetDeviceCount               cudaGetDeviceCount
#define hipSetDevice                    cudaSetDevice
#define hipDeviceGetAttribute           cudaDeviceGetAttribute
#define hipDeviceGetStreamPriorityRange cudaDeviceGetStreamPriorityRange
#define hipDeviceSynchronize            cudaDeviceSynchronize
#define hipStreamCreateWithPriority     cudaStreamCreateWithPriority
#define hipStreamDestroy                cudaStreamDestroy
#define hipStreamSynchronize            cudaStreamSynchronize
#define hipEventCreateWithFlags         cudaEventCreateWithFlags
#define hipEventRecord                  cudaEventRecord
#define hipEventSynchronize             cudaEventSynchronize
#define hipEventQuery                   cudaEventQuery
#define hipEventElapsedTime             cudaEventElapsedTime
#define hipEventDestroy                 cudaEventDestroy
#define hipHostMalloc                   cudaHostAlloc
#define hipHostFree                     cudaFreeHost
#define hipHostGetDevicePointer         cudaHostGetDevicePointer
#define hipMalloc                       cudaMalloc
#define hipFree                         cudaFree
#define hipMemcpyAsync                  cudaMemcpyAsync
#define hipMemsetAsync                  cudaMemsetAsync
#define hipMemset                       cudaMemset

/* hipDeviceGetName: CUDA's runtime has the name only in cudaDeviceProp
 * (the field kept in CUDA 13). */
static inline hipError_t hipDeviceGetName(char *name, int len, int device)
{
	struct cudaDeviceProp p;
	hipError_t rc = cudaGetDeviceProperties(&p, device);
	if (rc == cudaSuccess && len > 0) {
		strncpy(name, p.name, (size_t)len - 1);
		name[len - 1] = 0;
	}
	return rc;
}

#endif
