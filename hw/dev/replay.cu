/*
 * The replay kernel: reproduces a traced kernel's shape (grid, block,
 * dynamic shared memory) and, per block, busy-waits on the device timer for
 * `spin` ticks, so that the kernel alone takes its recorded duration (the
 * host divides the duration by the number of waves and applies the
 * per-device calibration).
 *
 * Level 2: at block start, thread 0 reads the queue's preemption flag
 * (device memory). When set, the block exits at once and marks
 * marks[1 + slot] (mapped host memory): the kernel did not run fully and is relaunched from the
 * start at reactivate. Running blocks are not interrupted.
 *
 * One source for both platforms:
 *   NVIDIA: compiled by nvcc in the HW=nvidia build (with the host wrappers
 *           at the bottom); timer = %globaltimer (ns) via inline PTX.
 *   AMD:    embedded as a string in the HW=amd build and compiled at run
 *           time with hiprtc for the device's gfx target (Debian 12 has no
 *           hipcc in the CI image; libamdhip64 5.2 carries hiprtc); timer =
 *           wall_clock64() (s_memrealtime, constant rate; the host converts
 *           ns to ticks with the device's wall clock rate).
 */
#if defined(__HIPCC_RTC__) || defined(__HIP_PLATFORM_AMD__)
#define HS_TIMER() ((long long)wall_clock64())
#else
__device__ __forceinline__ long long hs_globaltimer(void)
{
	long long t;
	asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
	return t;
}
#define HS_TIMER() hs_globaltimer()
#endif

extern "C" __global__ void hipsched_replay(long long spin, const int *flag,
					   int *marks, long long *times,
					   unsigned *count, int slot)
{
	__shared__ int go;
	extern __shared__ char hs_dyn[];   /* sized by the launch: occupancy */
	(void)hs_dyn;
	int t0 = threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0;
	if (t0 && slot >= 0 && blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0)
		((volatile long long *)times)[2 * slot] = HS_TIMER();
	if (t0) {
		go = !*(const volatile int *)flag;
		if (!go && slot >= 0)
			((volatile int *)marks)[1 + slot] = 1;
		/* Only thread 0 reads the device timer, every ~256 cycles:
		 * with every thread polling it, 8 blocks of 256 threads per
		 * SM overshot a 100 us spin by 50 us on the H100. The other
		 * threads hold their slots at the barrier. */
		if (go) {
			long long t0 = HS_TIMER();
			while (HS_TIMER() - t0 < spin) {
				long long c0 = clock64();
				while (clock64() - c0 < 256)
					;
			}
		}
	}
	__syncthreads();
	/* the last block to finish stamps the kernel's end */
	if (t0 && slot >= 0) {
		unsigned nb = gridDim.x * gridDim.y * gridDim.z;
		__threadfence();
		if (atomicAdd(&count[slot], 1u) == nb - 1) {
			((volatile long long *)times)[2 * slot + 1] = HS_TIMER();
			count[slot] = 0;
		}
	}
}

#if defined(__CUDACC__) && !defined(__HIPCC_RTC__)
/* Host wrappers for hw/dev/hip_dev.c (plain C cannot use <<<>>>). */
#include <cuda_runtime.h>

extern "C" int hw__nv_replay(void *stream, const unsigned grid[3],
			     const unsigned block[3], unsigned shmem,
			     long long spin, const void *flag, void *marks,
			     void *times, void *count, int slot)
{
	dim3 g(grid[0], grid[1], grid[2]), b(block[0], block[1], block[2]);
	hipsched_replay<<<g, b, shmem, (cudaStream_t)stream>>>(
		spin, (const int *)flag, (int *)marks, (long long *)times,
		(unsigned *)count, slot);
	return (int)cudaGetLastError();
}

extern "C" int hw__nv_replay_occupancy(int threads, unsigned shmem, int *blocks)
{
	return (int)cudaOccupancyMaxActiveBlocksPerMultiprocessor(
		blocks, hipsched_replay, threads, shmem);
}
#endif
