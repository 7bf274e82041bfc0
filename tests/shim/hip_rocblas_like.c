/*
 * tests/shim/hip_rocblas_like.c: librocblas_like.so, loaded by tests/shim/hip_app
 * at run time. Like rocBLAS it links libamdhip64.so.5 and launches code
 * objects with the C++ hipExtModuleLaunchKernel and with
 * hipModuleLaunchKernel; like a library that resolves the runtime itself,
 * it also finds hipLaunchKernel with dlopen + dlsym.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <hip/hip_runtime_api.h>

hipError_t ext_module_launch(hipFunction_t f, uint32_t gx, uint32_t gy, uint32_t gz,
		uint32_t lx, uint32_t ly, uint32_t lz, size_t sh, hipStream_t s,
		void **p, void **x, hipEvent_t e0, hipEvent_t e1, uint32_t fl)
	__asm__("_Z24hipExtModuleLaunchKernelP18ihipModuleSymbol_tjjjjjjmP12ihipStream_tPPvS4_P11ihipEvent_tS6_j");

int rocblas_like_run(void);

int rocblas_like_run(void)
{
	hipStream_t s;
	if (hipStreamCreate(&s) != hipSuccess)
		return -1;
	hipFunction_t f = (hipFunction_t)(uintptr_t)0x200;
	int bad = 0;
	bad |= ext_module_launch(f, 4096, 1, 1, 256, 1, 1, 41, s, NULL, NULL, NULL, NULL, 0) != hipSuccess;
	bad |= hipModuleLaunchKernel(f, 16, 1, 1, 256, 1, 1, 42, s, NULL, NULL) != hipSuccess;
	void *h = dlopen("libamdhip64.so.5", RTLD_NOW | RTLD_LOCAL);
	__typeof__(hipLaunchKernel) *launch = h ? (__typeof__(hipLaunchKernel) *)dlsym(h, "hipLaunchKernel") : NULL;
	if (!launch) {
		fprintf(stderr, "rocblas_like: no hipLaunchKernel: %s\n", dlerror());
		return -1;
	}
	dim3 one = { 1, 1, 1 };
	bad |= launch((const void *)(uintptr_t)0x201, one, one, NULL, 43, s) != hipSuccess;
	bad |= hipStreamSynchronize(s) != hipSuccess;
	bad |= hipStreamDestroy(s) != hipSuccess;
	return bad ? -1 : 0;
}
