/*
 * The HIP device layer (struct hw_devops), one source for both platforms:
 *   HW=nvidia: HIP names mapped onto the CUDA runtime by hw/hip_nv.h; the
 *              replay kernel is linked in (hw/dev/replay.cu built by nvcc).
 *   HW=amd:    ROCm's libamdhip64; the replay kernel source (hw/dev/replay.cu,
 *              embedded at build time) is compiled at open() with hiprtc for
 *              the device's gfx target and launched with
 *              hipModuleLaunchKernel. Built and linked here (CI), never run
 *              on an AMD GPU in this project so far.
 * Built only when HW is set (hw/hw.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev_internal.h"

#if defined(HS_HW_NVIDIA)
#include "hip_nv.h"
int hw__nv_replay(void *stream, const unsigned grid[3], const unsigned block[3],
		  unsigned shmem, long long spin, const void *flag, void *marks,
		  void *times, void *count, int slot);
int hw__nv_replay_occupancy(int threads, unsigned shmem, int *blocks);
const char *const hw__platform = "nvidia";
#elif defined(HS_HW_AMD)
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__ 1
#endif
#include <hip/hip_runtime_api.h>
#include <hip/hiprtc.h>
#include "replay_src.h"           /* generated: static const char hw__replay_src[] */
const char *const hw__platform = "amd";
#else
#error "hip_dev.c needs HS_HW_NVIDIA or HS_HW_AMD"
#endif

#define STAGE_BYTES (64u << 20)   /* largest replayed copy / memset */

struct hip_dev {
	int device;
	char msg[256];
	void *host_stage;          /* pinned, STAGE_BYTES */
	void *dev_buf;             /* STAGE_BYTES */
	int32_t *consts;           /* pinned {0, 1}: sources of flag copies */
	hipStream_t ctrl;          /* greatest priority: flag sets */
	struct hw_devinfo info;
#if defined(HS_HW_AMD)
	hipModule_t mod;
	hipFunction_t fn;
	double ticks_per_ns;       /* wall_clock64 rate */
#endif
};

static __thread char tls_msg[256];

static int herr(struct hip_dev *d, hipError_t rc, const char *what)
{
	snprintf(tls_msg, sizeof(tls_msg), "%s: %s", what, hipGetErrorString(rc));
	if (d)
		snprintf(d->msg, sizeof(d->msg), "%s", tls_msg);
	return HW_EDEVICE;
}

static const char *error_hip(void *dev)
{
	return tls_msg[0] ? tls_msg : ((struct hip_dev *)dev)->msg;
}

#if defined(HS_HW_AMD)
/* Compiles the embedded replay kernel for this device with hiprtc. */
static int amd_build_kernel(struct hip_dev *d, char *err, size_t errlen)
{
	hipDeviceProp_t p;
	hipError_t hr = hipGetDeviceProperties(&p, d->device);
	if (hr != hipSuccess) {
		snprintf(err, errlen, "hipGetDeviceProperties: %s", hipGetErrorString(hr));
		return HW_EDEVICE;
	}
	hiprtcProgram prog;
	if (hiprtcCreateProgram(&prog, hw__replay_src, "replay.cu", 0, NULL, NULL)
	    != HIPRTC_SUCCESS) {
		snprintf(err, errlen, "hiprtcCreateProgram failed");
		return HW_EDEVICE;
	}
	char arch[300];
	snprintf(arch, sizeof(arch), "--gpu-architecture=%s", p.gcnArchName);
	const char *opts[] = { arch, "-O3" };
	hiprtcResult rr = hiprtcCompileProgram(prog, 2, opts);
	if (rr != HIPRTC_SUCCESS) {
		size_t n = 0;
		hiprtcGetProgramLogSize(prog, &n);
		char *log = calloc(1, n + 1);
		if (log)
			hiprtcGetProgramLog(prog, log);
		snprintf(err, errlen, "hiprtc: cannot compile the replay kernel for %s: %s",
			 p.gcnArchName, log ? log : hiprtcGetErrorString(rr));
		free(log);
		hiprtcDestroyProgram(&prog);
		return HW_EDEVICE;
	}
	size_t sz = 0;
	hiprtcGetCodeSize(prog, &sz);
	char *code = malloc(sz);
	if (!code) {
		hiprtcDestroyProgram(&prog);
		return HS_ENOMEM;
	}
	hiprtcGetCode(prog, code);
	hiprtcDestroyProgram(&prog);
	hr = hipModuleLoadData(&d->mod, code);
	free(code);
	if (hr == hipSuccess)
		hr = hipModuleGetFunction(&d->fn, d->mod, "hipsched_replay");
	if (hr != hipSuccess) {
		snprintf(err, errlen, "loading the replay kernel: %s", hipGetErrorString(hr));
		return HW_EDEVICE;
	}
	/* s_memrealtime / wall_clock64 runs at a constant 100 MHz on gfx9 and
	 * later (HIP 5.2 has no attribute to query it). */
	d->ticks_per_ns = 0.1;
	return HS_OK;
}
#endif

static void close_hip(void *dev);

static int open_hip(int device, void **out, char *err, size_t errlen)
{
	int n = 0;
	hipError_t hr = hipGetDeviceCount(&n);
	if (hr != hipSuccess || n == 0) {
		snprintf(err, errlen, "no HIP device (%s platform): %s", hw__platform,
			 hr != hipSuccess ? hipGetErrorString(hr) : "none found");
		return HW_ENODEV;
	}
	if (device < 0 || device >= n) {
		snprintf(err, errlen, "no HIP device %d (%d present)", device, n);
		return HW_ENODEV;
	}
	struct hip_dev *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return HS_ENOMEM;
	}
	d->device = device;
	if ((hr = hipSetDevice(device)) != hipSuccess)
		goto hipfail;
	struct hw_devinfo *in = &d->info;
	hipDeviceGetName(in->name, sizeof(in->name), device);
	int v = 0;
	if ((hr = hipDeviceGetAttribute(&v, hipDeviceAttributeMultiprocessorCount, device)))
		goto hipfail;
	in->sms = v;
	if ((hr = hipDeviceGetAttribute(&v, hipDeviceAttributeMaxThreadsPerBlock, device)))
		goto hipfail;
	in->max_threads = v;
	if ((hr = hipDeviceGetAttribute(&v, hipDeviceAttributeMaxSharedMemoryPerBlock, device)))
		goto hipfail;
	in->max_shmem = (size_t)v;
	if ((hr = hipDeviceGetStreamPriorityRange(&in->prio_lo, &in->prio_hi)))
		goto hipfail;
#if defined(HS_HW_NVIDIA)
	in->timer_ns_per_tick = 1.0;            /* %globaltimer: ns */
#else
	in->timer_ns_per_tick = 10.0;           /* wall_clock64: 100 MHz */
#endif
	if ((hr = hipHostMalloc(&d->host_stage, STAGE_BYTES, hipHostMallocPortable)))
		goto hipfail;
	if ((hr = hipMalloc(&d->dev_buf, STAGE_BYTES)))
		goto hipfail;
	if ((hr = hipHostMalloc((void **)&d->consts, 2 * sizeof(int32_t), hipHostMallocPortable)))
		goto hipfail;
	d->consts[0] = 0;
	d->consts[1] = 1;
	if ((hr = hipStreamCreateWithPriority(&d->ctrl, hipStreamNonBlocking, in->prio_hi)))
		goto hipfail;
#if defined(HS_HW_AMD)
	int rc = amd_build_kernel(d, err, errlen);
	if (rc) {
		close_hip(d);
		return rc;
	}
#endif
	*out = d;
	return HS_OK;
hipfail:
	snprintf(err, errlen, "device %d: %s", device, hipGetErrorString(hr));
	close_hip(d);
	return HW_EDEVICE;
}

static void close_hip(void *dev)
{
	struct hip_dev *d = dev;
	if (!d)
		return;
	hipDeviceSynchronize();
	if (d->host_stage)
		hipHostFree(d->host_stage);
	if (d->dev_buf)
		hipFree(d->dev_buf);
	if (d->consts)
		hipHostFree(d->consts);
	if (d->ctrl)
		hipStreamDestroy(d->ctrl);
#if defined(HS_HW_AMD)
	if (d->mod)
		hipModuleUnload(d->mod);
#endif
	free(d);
}

static void info_hip(void *dev, struct hw_devinfo *out)
{
	*out = ((struct hip_dev *)dev)->info;
}

static int occupancy_hip(void *dev, unsigned threads, unsigned shmem)
{
	struct hip_dev *d = dev;
	int blocks = 0;
#if defined(HS_HW_NVIDIA)
	hipError_t hr = hw__nv_replay_occupancy((int)threads, shmem, &blocks);
#else
	hipError_t hr = hipModuleOccupancyMaxActiveBlocksPerMultiprocessor(
		&blocks, d->fn, (int)threads, shmem);
#endif
	if (hr != hipSuccess)
		return herr(d, hr, "occupancy");
	return blocks > 0 ? blocks : 1;
}

static int stream_create_hip(void *dev, int prio, void **st)
{
	hipStream_t s;
	hipError_t hr = hipStreamCreateWithPriority(&s, hipStreamNonBlocking, prio);
	if (hr != hipSuccess)
		return herr(dev, hr, "hipStreamCreateWithPriority");
	*st = s;
	return HS_OK;
}

static void stream_destroy_hip(void *dev, void *st)
{
	hipStreamDestroy((hipStream_t)st);
}

static void ctl_free_hip(void *dev, struct hw_ctl *ctl);

static int ctl_alloc_hip(void *dev, struct hw_ctl *ctl)
{
	void *h = NULL, *dp = NULL;
	size_t sz = (1 + HW_NSLOTS) * sizeof(int32_t);
	hipError_t hr = hipHostMalloc(&h, sz, hipHostMallocMapped | hipHostMallocPortable);
	if (hr != hipSuccess)
		return herr(dev, hr, "hipHostMalloc (mapped)");
	memset(h, 0, sz);
	hr = hipHostGetDevicePointer(&dp, h, 0);
	if (hr != hipSuccess) {
		hipHostFree(h);
		return herr(dev, hr, "hipHostGetDevicePointer");
	}
	ctl->host = h;
	ctl->dev = dp;
	/* the flag and the slot counters: device memory, zeroed */
	size_t csz = (1 + HW_NSLOTS) * sizeof(uint32_t);
	void *flag = NULL, *th = NULL, *tdev = NULL;
	hr = hipMalloc(&flag, csz);
	if (hr == hipSuccess)
		hr = hipMemset(flag, 0, csz);
	if (hr == hipSuccess)
		hr = hipHostMalloc(&th, 2 * HW_NSLOTS * sizeof(int64_t),
				   hipHostMallocMapped | hipHostMallocPortable);
	if (hr == hipSuccess) {
		memset(th, 0, 2 * HW_NSLOTS * sizeof(int64_t));
		hr = hipHostGetDevicePointer(&tdev, th, 0);
	}
	ctl->flag = flag;
	ctl->count_dev = flag ? (char *)flag + sizeof(uint32_t) : NULL;
	ctl->times = th;
	ctl->times_dev = tdev;
	if (hr != hipSuccess) {
		ctl_free_hip(dev, ctl);
		return herr(dev, hr, "control block");
	}
	return HS_OK;
}

static void ctl_free_hip(void *dev, struct hw_ctl *ctl)
{
	if (ctl->host)
		hipHostFree((void *)ctl->host);
	if (ctl->flag)
		hipFree(ctl->flag);
	if (ctl->times)
		hipHostFree((void *)ctl->times);
	ctl->host = NULL;
	ctl->flag = NULL;
	ctl->times = NULL;
}

static int ctl_flag_hip(void *dev, struct hw_ctl *ctl, int on, void *st)
{
	struct hip_dev *d = dev;
	hipError_t hr;
	if (on)
		hr = hipMemcpyAsync(ctl->flag, &d->consts[1], sizeof(int32_t),
				    hipMemcpyHostToDevice, d->ctrl);
	else
		hr = hipMemsetAsync(ctl->flag, 0, sizeof(int32_t), (hipStream_t)st);
	return hr == hipSuccess ? HS_OK : herr(d, hr, "preemption flag");
}

static int kernel_hip(void *dev, void *st, const struct hw_kernel *k,
		      const struct hw_ctl *ctl, int slot)
{
	struct hip_dev *d = dev;
#if defined(HS_HW_NVIDIA)
	hipError_t hr = hw__nv_replay(st, k->grid, k->block, k->shmem,
				      (long long)k->spin_ns, ctl->flag, ctl->dev,
				      ctl->times_dev, ctl->count_dev, slot);
#else
	long long spin = (long long)(k->spin_ns * d->ticks_per_ns);
	void *flag = ctl->flag, *marks = ctl->dev, *times = ctl->times_dev;
	void *count = ctl->count_dev;
	void *args[] = { &spin, &flag, &marks, &times, &count, &slot };
	hipError_t hr = hipModuleLaunchKernel(d->fn, k->grid[0], k->grid[1], k->grid[2],
					      k->block[0], k->block[1], k->block[2],
					      k->shmem, (hipStream_t)st, args, NULL);
#endif
	if (hr != hipSuccess)
		return herr(d, hr, "replay kernel launch");
	return HS_OK;
}

static int memcpy_hip(void *dev, void *st, size_t bytes)
{
	struct hip_dev *d = dev;
	if (bytes > STAGE_BYTES)
		bytes = STAGE_BYTES;
	hipError_t hr = hipMemcpyAsync(d->dev_buf, d->host_stage, bytes,
				       hipMemcpyHostToDevice, (hipStream_t)st);
	return hr == hipSuccess ? HS_OK : herr(d, hr, "hipMemcpyAsync");
}

static int memset_hip(void *dev, void *st, size_t bytes)
{
	struct hip_dev *d = dev;
	if (bytes > STAGE_BYTES)
		bytes = STAGE_BYTES;
	hipError_t hr = hipMemsetAsync(d->dev_buf, 0, bytes, (hipStream_t)st);
	return hr == hipSuccess ? HS_OK : herr(d, hr, "hipMemsetAsync");
}

static int event_create_hip(void *dev, int timing, void **ev)
{
	hipEvent_t e;
	hipError_t hr = hipEventCreateWithFlags(&e, timing ? hipEventDefault
							   : hipEventDisableTiming);
	if (hr != hipSuccess)
		return herr(dev, hr, "hipEventCreateWithFlags");
	*ev = e;
	return HS_OK;
}

static void event_destroy_hip(void *dev, void *ev)
{
	hipEventDestroy((hipEvent_t)ev);
}

static int event_record_hip(void *dev, void *ev, void *st)
{
	hipError_t hr = hipEventRecord((hipEvent_t)ev, (hipStream_t)st);
	return hr == hipSuccess ? HS_OK : herr(dev, hr, "hipEventRecord");
}

static int event_wait_hip(void *dev, void *ev)
{
	hipError_t hr = hipEventSynchronize((hipEvent_t)ev);
	return hr == hipSuccess ? HS_OK : herr(dev, hr, "hipEventSynchronize");
}

static int event_elapsed_hip(void *dev, void *a, void *b, double *ms)
{
	float f = 0;
	hipError_t hr = hipEventElapsedTime(&f, (hipEvent_t)a, (hipEvent_t)b);
	*ms = f;
	return hr == hipSuccess ? HS_OK : herr(dev, hr, "hipEventElapsedTime");
}

static int stream_sync_hip(void *dev, void *st)
{
	hipError_t hr = hipStreamSynchronize((hipStream_t)st);
	return hr == hipSuccess ? HS_OK : herr(dev, hr, "hipStreamSynchronize");
}

static const struct hw_devops hip_devops = {
	.name = "hip",
	.open = open_hip,
	.close = close_hip,
	.info = info_hip,
	.occupancy = occupancy_hip,
	.stream_create = stream_create_hip,
	.stream_destroy = stream_destroy_hip,
	.ctl_alloc = ctl_alloc_hip,
	.ctl_free = ctl_free_hip,
	.ctl_flag = ctl_flag_hip,
	.kernel = kernel_hip,
	.memcpy = memcpy_hip,
	.memset = memset_hip,
	.event_create = event_create_hip,
	.event_destroy = event_destroy_hip,
	.event_record = event_record_hip,
	.event_wait = event_wait_hip,
	.event_elapsed = event_elapsed_hip,
	.stream_sync = stream_sync_hip,
	.error = error_hip,
};

const struct hw_devops *const hw__devops = &hip_devops;
