# The interception library libhipsched.so (hw/shim/), included by the
# top-level Makefile.
#
#   make shim         build/<flavor>/libhipsched.so (NVIDIA driver API)
#   make bench-shim   ns per intercepted call, with and without the shim,
#                     against the fake libcuda of the tests
#
# The library is the engine (hw/shim/engine*.c), a platform layer
# (hw/shim/cuda.c), the recorder (hw/shim/record.c, cuda_record.c:
# `hipsched record`) and core/ compiled again with -fPIC and hidden
# visibility; only the intercepted names leave it (hw/shim/cuda.map). It
# links libc, libdl and libpthread only, so it loads into any process
# (PyTorch on a bare Ubuntu image); the server client (hw/serve/client.c,
# proto.c) joins it when present. CUDA's headers are needed at build time
# only (CUDA_HOME). It is never built with the sanitizers: it is preloaded
# into test programs that are not.
#
# Tests (tests/check_shim.c): a fake libcuda.so.1 (tests/shim/fakecuda.c)
# and one test program built three ways (tests/shim/app.c: through
# cuGetProcAddress like cudart, through dlsym like Triton, linked directly).
SHIM_B      := $(B)/shim
SHIM_SO     := $(B)/libhipsched.so
SHIM_ENGINE := hw/shim/engine.c hw/shim/engine_life.c hw/shim/engine_py.c hw/shim/counts.c hw/shim/preempt.c
SHIM_SERVE  := $(wildcard hw/serve/client.c hw/serve/proto.c)
SHIM_SRCS   := $(SHIM_ENGINE) hw/shim/cuda.c hw/shim/dlsym.c hw/shim/record.c hw/shim/cuda_record.c $(wildcard core/*.c) $(SHIM_SERVE)
SHIM_OBJS   := $(SHIM_SRCS:%.c=$(SHIM_B)/%.o)
SHIM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP \
               -fPIC -fvisibility=hidden
SHIM_CPPFLAGS := -iquote core -iquote hw -iquote hw/shim -D_GNU_SOURCE -I$(CUDA_HOME)/include
SHIM_HAVE   := $(wildcard $(CUDA_HOME)/include/cuda.h)

SHIM_T      := $(B)/tests/shim
SHIM_FAKE   := $(SHIM_T)/libcuda.so.1
SHIM_APPS   := $(SHIM_T)/app_gpa $(SHIM_T)/app_dlsym $(SHIM_T)/app_link
SHIM_INTERP := $(SHIM_T)/libinterp.so
SHIM_TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
                    -D_GNU_SOURCE -I$(CUDA_HOME)/include

.PHONY: shim bench-shim
# hw/bench/launch_cost.c: what a driver call costs the host on the GPU,
# natively and under the library (carried to the GPU beside it)
SHIM_LCOST  := $(B)/launch_cost
shim: $(SHIM_SO) $(SHIM_LCOST)

$(SHIM_LCOST): hw/bench/launch_cost.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -o $@ $< -ldl

ifneq ($(SHIM_HAVE),)
all: shim
# check_all runs the shim's test programs: build them first.
$(TEST_BIN): | $(SHIM_SO) $(SHIM_FAKE) $(SHIM_APPS) $(SHIM_INTERP) $(SHIM_LCOST)
$(B)/tests/check_shim.o $(B)/tests/check_e2e.o: CPPFLAGS += -DSHIM_BUILD_DIR='"$(B)"'
else
$(B)/tests/check_shim.o $(B)/tests/check_e2e.o: CPPFLAGS += -DSHIM_NO_CUDA_H
endif

$(SHIM_B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(CC) $(SHIM_CPPFLAGS) $(SHIM_CFLAGS) -c -o $@ $<

$(SHIM_SO): $(SHIM_OBJS) hw/shim/cuda.map
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,--version-script=hw/shim/cuda.map -Wl,-soname,libhipsched.so \
		-Wl,--no-undefined -o $@ $(SHIM_OBJS) -ldl -lpthread

$(SHIM_FAKE): tests/shim/fakecuda.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fake libcuda)"
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -fPIC -shared -Wl,-Bsymbolic -Wl,-soname,libcuda.so.1 -o $@ $< -lpthread
	$(Q)ln -sf libcuda.so.1 $(SHIM_T)/libcuda.so

$(SHIM_INTERP): tests/shim/interp.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -fPIC -shared -o $@ $< -ldl

$(SHIM_T)/app_gpa: tests/shim/app.c $(SHIM_FAKE)
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -DAPP_GPA -o $@ $< -ldl -lpthread
$(SHIM_T)/app_dlsym: tests/shim/app.c $(SHIM_FAKE)
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -DAPP_DLSYM -o $@ $< -ldl -lpthread
$(SHIM_T)/app_link: tests/shim/app.c $(SHIM_FAKE)
	$(Q)$(CC) $(SHIM_TEST_CFLAGS) -DAPP_LINK -o $@ $< -L$(SHIM_T) -l:libcuda.so.1 \
		-Wl,-rpath-link,$(SHIM_T) -ldl -lpthread

# The fake's launches do nothing (FAKECUDA_NOP=1): what is left is the
# call path, through each way of reaching the driver.
bench-shim: $(SHIM_SO) $(SHIM_FAKE) $(SHIM_APPS)
	$(Q)for app in $(SHIM_APPS); do a=$$(basename $$app); \
	  printf '%-9s native:              ' $$a; \
	  FAKECUDA_NOP=1 LD_LIBRARY_PATH=$(SHIM_T) $$app bench 2000000; \
	  printf '%-9s shim, pass-through:  ' $$a; \
	  FAKECUDA_NOP=1 LD_LIBRARY_PATH=$(SHIM_T) LD_PRELOAD=$(abspath $(SHIM_SO)) $$app bench 2000000; \
	  printf '%-9s shim, policy native: ' $$a; \
	  FAKECUDA_NOP=1 LD_LIBRARY_PATH=$(SHIM_T) LD_PRELOAD=$(abspath $(SHIM_SO)) HIPSCHED_POLICY=native \
	    $$app bench 200000; \
	  printf '%-9s shim, policy hpf:    ' $$a; \
	  FAKECUDA_NOP=1 LD_LIBRARY_PATH=$(SHIM_T) LD_PRELOAD=$(abspath $(SHIM_SO)) HIPSCHED_POLICY=hpf \
	    $$app bench 200000; \
	done
	@echo "app_gpa, hpf: a lone stream lifted (lift=1, the default) or held at its threshold (lift=0);"
	@echo "an application's requests (a sync every 246 launches, ResNet-50 b32's) or none:"
	$(Q)for v in "native::246" "hpf:lift=1:246" "hpf:lift=0:246" "hpf:lift=1:0" "hpf:lift=0:0"; do \
	  pol=$${v%%:*}; r=$${v#*:}; par=$${r%%:*}; ev=$${r#*:}; \
	  printf '%-6s %-7s sync %-4s ' $$pol "$$par" $$ev; \
	  FAKECUDA_NOP=1 LD_LIBRARY_PATH=$(SHIM_T) LD_PRELOAD=$(abspath $(SHIM_SO)) HIPSCHED_POLICY=$$pol \
	    HIPSCHED_PARAMS=$$par APP_SYNC_EVERY=$$ev $(SHIM_T)/app_gpa bench 200000; \
	done
	@echo "GPU-bound (the fake's kernels take 20 us), one stream:"
	$(Q)printf 'native:     '; LD_LIBRARY_PATH=$(SHIM_T) $(SHIM_T)/app_gpa throughput 20000 20
	$(Q)printf 'shim, hpf:  '; LD_LIBRARY_PATH=$(SHIM_T) LD_PRELOAD=$(abspath $(SHIM_SO)) \
	  HIPSCHED_POLICY=hpf $(SHIM_T)/app_gpa throughput 20000 20
