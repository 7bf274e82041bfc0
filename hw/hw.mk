# Hardware backend build rules, included by the top-level Makefile.
# HW=      : simulator-only build; `hipsched hw` says it was built without a
#            GPU backend.
# HW=nvidia: HIP on CUDA through hw/hip_nv.h, kernels built by nvcc.
# HW=amd   : HIP on ROCm (libamdhip64).
HW_LINK := $(CC)
ifneq ($(HW),)
ifeq ($(filter $(HW),nvidia amd),)
$(error HW must be empty, nvidia or amd (got '$(HW)'))
endif
endif
