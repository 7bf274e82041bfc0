# Hardware backend build rules, included by the top-level Makefile.
# HW=      : simulator-only build; `hipsched hw` says it was built without a
#            GPU backend. The GPU-agnostic parts of hw/ (engine, run driver,
#            calibration fit and profile I/O) are built anyway, so that the
#            CPU-only tests exercise them against a fake device.
# HW=nvidia: HIP on CUDA through hw/dev/hip_nv.h; the replay kernel hw/dev/replay.cu
#            built by nvcc (CUDA in CUDA_HOME, default /usr/local/cuda);
#            cudart linked statically so the binary runs wherever the driver
#            is.
# HW=amd   : HIP on ROCm (Debian's libamdhip64-dev): host code with gcc,
#            hw/dev/replay.cu embedded as a string and compiled at run time by
#            hiprtc (no hipcc needed at build time).
#
#   make hwcheck HW=nvidia   GPU tests of the hw suite (needs a GPU)
.DEFAULT_GOAL := all
HW_LINK := $(CC)
HW_COMMON := hw/dev/engine.c hw/dev/errors.c hw/run/run.c hw/run/proc.c hw/run/tl.c hw/run/calib.c \
             $(wildcard hw/serve/*.c)
CUDA_HOME ?= /usr/local/cuda
NVCC ?= $(CUDA_HOME)/bin/nvcc
NVCC_ARCH ?= -gencode arch=compute_80,code=sm_80 \
             -gencode arch=compute_90,code=[sm_90,compute_90]

ifneq ($(HW),)
ifeq ($(filter $(HW),nvidia amd),)
$(error HW must be empty, nvidia or amd (got '$(HW)'))
endif
endif

ifeq ($(HW),)
HW_SRCS := $(HW_COMMON) hw/dev/nodev.c
HW_OBJS := $(HW_SRCS:%.c=$(B)/%.o)
endif

ifeq ($(HW),nvidia)
HW_SRCS := $(HW_COMMON) hw/dev/hip_dev.c
HW_OBJS := $(HW_SRCS:%.c=$(B)/%.o) $(B)/hw/dev/replay.o
CPPFLAGS += -DHS_HW_NVIDIA -I$(CUDA_HOME)/include
HW_LIBS := -L$(CUDA_HOME)/lib64 -lcudart_static -lstdc++ -ldl -lrt -lpthread

$(B)/hw/dev/replay.o: hw/dev/replay.cu
	@mkdir -p $(dir $@)
	@echo "  NVCC    $<"
	$(Q)$(NVCC) -O2 $(NVCC_ARCH) -c -o $@ $<
endif

ifeq ($(HW),amd)
HW_SRCS := $(HW_COMMON) hw/dev/hip_dev.c
HW_OBJS := $(HW_SRCS:%.c=$(B)/%.o)
CPPFLAGS += -DHS_HW_AMD -D__HIP_PLATFORM_AMD__
HW_LIBS := -lamdhip64

# The kernel source as a C string for hiprtc.
$(B)/replay_src.h: hw/dev/replay.cu
	@mkdir -p $(dir $@)
	$(Q){ echo 'static const char hw__replay_src[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
$(B)/hw/dev/hip_dev.o: $(B)/replay_src.h
endif

hwcheck:
	$(Q)if [ -z "$(HW)" ]; then echo "hwcheck: set HW=nvidia or HW=amd"; exit 2; fi
	$(Q)$(MAKE) --no-print-directory $(TEST_BIN) hipsched
	$(Q)CK_DEFAULT_TIMEOUT=300 HIPSCHED_GPU_TESTS=1 ./$(TEST_BIN) hw

# The parts of hw/ (dev/, run/, serve/) see each other's internal headers
# through -iquote; nothing outside hw/ and its tests does.
HW_IQUOTE := -iquote hw/dev -iquote hw/run -iquote hw/serve
HW_TEST_OBJS := $(B)/tests/check_hw.o $(B)/tests/check_hwcalib.o $(B)/tests/check_workload.o \
                $(B)/tests/check_serve.o $(B)/tests/check_policies_hw.o \
                $(B)/tests/check_hwfault.o $(B)/tests/check_timeline.o \
                $(B)/tests/fake_hwdev.o

# core/sched.h shadows the C library's <sched.h> under -Icore, and
# <pthread.h> includes <sched.h>: hw/ (threads) and its test see core/ through
# -iquote instead, so "sched.h" is ours and <sched.h> the system's.
$(B)/hw/%.o $(HW_TEST_OBJS): CPPFLAGS := $(patsubst -Icore,-iquotecore,$(CPPFLAGS)) $(HW_IQUOTE)
