# The AMD flavour of libhipsched.so (hw/shim/hip.c) and its CPU-only test
# build, included by the top-level Makefile. Built in every flavour from
# Debian's libamdhip64-dev headers; never linked against libamdhip64 (the
# real functions are found at run time with dlvsym).
#
#   make shim-amd   $(B)/libhipsched-amd.so: hip.c + dlsym.c + engine + core
#                   (once hw/shim/engine.c exists)
#
# Test build, under $(B)/shimamd/ (the shimamd suite runs it):
#   libhipsched.so          hip.c + dlsym.c + tests/shim/engine_stub.c
#   fake/libamdhip64.so.5   tests/shim/fake_hip.c, versions from fake_hip.syms
#   fake/librocblas_like.so, libnext_a.so, libnext_b.so, hip_app
# The shim objects are built at -O2 without sanitizers whatever the flavour
# (they are preloaded into programs that do not carry the ASan runtime;
# dlsym.c's tail call needs the optimizer).
SHIMAMD := $(B)/shimamd
SHIMAMD_CFLAGS := -std=gnu11 -O2 -g -fPIC -MMD -MP -Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations \
	-D_GNU_SOURCE -D__HIP_PLATFORM_AMD__ -iquote hw/shim -iquote core
SHIMAMD_LIB_CFLAGS := $(SHIMAMD_CFLAGS) -fvisibility=hidden
SHIMAMD_LDFLAGS := -shared -Wl,--version-script=hw/shim/hip.map -Wl,-z,defs
SHIMAMD_FAKE := $(SHIMAMD)/fake
SHIMAMD_FILES := $(SHIMAMD)/libhipsched.so $(SHIMAMD_FAKE)/libamdhip64.so.5 \
	$(SHIMAMD_FAKE)/librocblas_like.so $(SHIMAMD)/libnext_a.so \
	$(SHIMAMD)/libnext_b.so $(SHIMAMD)/hip_app

.PHONY: shim-amd shimamd-test
shimamd-test: $(SHIMAMD_FILES)
$(TEST_BIN): | $(SHIMAMD_FILES)

$(SHIMAMD)/%.o: hw/shim/%.c hw/shim/shim_internal.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(CC) $(SHIMAMD_LIB_CFLAGS) -c -o $@ $<
$(SHIMAMD)/engine_stub.o: tests/shim/engine_stub.c hw/shim/shim_internal.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(CC) $(SHIMAMD_LIB_CFLAGS) -c -o $@ $<

$(SHIMAMD)/libhipsched.so: $(SHIMAMD)/hip.o $(SHIMAMD)/dlsym.o $(SHIMAMD)/engine_stub.o hw/shim/hip.map
	@echo "  LD      $@"
	$(Q)$(CC) $(SHIMAMD_LDFLAGS) -Wl,-soname,libhipsched.so -o $@ $(filter %.o,$^) -ldl -lpthread

# The fake's version script from its list: one node per version, in the
# order versions first appear, each inheriting the one before.
$(SHIMAMD)/fake_hip.map: tests/shim/fake_hip.syms
	@mkdir -p $(dir $@)
	$(Q)awk '/^#/ || NF == 0 { next } \
	  !($$1 in seen) { seen[$$1] = 1; order[n++] = $$1 } \
	  { syms[$$1] = syms[$$1] "\t" $$2 ";\n" } \
	  END { for (i = 0; i < n; i++) { v = order[i]; \
	    printf "%s {\nglobal:\n%s%s}%s;\n", v, syms[v], \
	      i == 0 ? "local:\n\t*;\n" : "", i == 0 ? "" : " " order[i-1] } }' $< > $@.tmp && mv $@.tmp $@

$(SHIMAMD_FAKE)/libamdhip64.so.5: tests/shim/fake_hip.c $(SHIMAMD)/fake_hip.map
	@mkdir -p $(dir $@)
	@echo "  LD      $@ (fake)"
	$(Q)$(CC) $(SHIMAMD_CFLAGS) -shared -Wl,-soname,libamdhip64.so.5 \
	  -Wl,--version-script=$(SHIMAMD)/fake_hip.map -o $@ $< -lpthread

$(SHIMAMD_FAKE)/librocblas_like.so: tests/shim/hip_rocblas_like.c $(SHIMAMD_FAKE)/libamdhip64.so.5
	@echo "  LD      $@ (fake)"
	$(Q)$(CC) $(SHIMAMD_CFLAGS) -shared -o $@ $< -L$(SHIMAMD_FAKE) -l:libamdhip64.so.5 -ldl

$(SHIMAMD)/libnext_%.so: tests/shim/hip_next_%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SHIMAMD_CFLAGS) -shared -o $@ $< -ldl

$(SHIMAMD)/hip_app: tests/shim/hip_app.c $(SHIMAMD_FAKE)/libamdhip64.so.5 $(SHIMAMD)/libnext_a.so $(SHIMAMD)/libnext_b.so
	@echo "  LD      $@ (fake)"
	$(Q)$(CC) $(SHIMAMD_CFLAGS) -o $@ $< -Wl,--no-as-needed -L$(SHIMAMD_FAKE) -l:libamdhip64.so.5 \
	  -L$(SHIMAMD) -lnext_a -lnext_b -ldl -lpthread

# The library itself, once the engine is in the tree: engine + core/ (+ the
# server client when present, hw/serve/), all again with -fPIC and hidden
# visibility. The suite also runs it (build/FLAVOR/shimamd/libhipsched-amd.so
# links to it) for what only the engine does: threshold, suspend.
ifneq ($(wildcard hw/shim/engine.c),)
SHIMAMD_ENGINE_SRCS := $(wildcard hw/shim/engine*.c) $(wildcard core/*.c) \
	$(wildcard hw/serve/client.c hw/serve/proto.c)
SHIMAMD_ENGINE_OBJS := $(SHIMAMD_ENGINE_SRCS:%.c=$(SHIMAMD)/eng/%.o)
$(SHIMAMD)/eng/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(CC) $(SHIMAMD_LIB_CFLAGS) -iquote hw -iquote hw/serve -c -o $@ $<
$(B)/libhipsched-amd.so: $(SHIMAMD)/hip.o $(SHIMAMD)/dlsym.o $(SHIMAMD_ENGINE_OBJS) hw/shim/hip.map
	@echo "  LD      $@"
	$(Q)$(CC) $(SHIMAMD_LDFLAGS) -Wl,-soname,libhipsched.so -o $@ $(filter %.o,$^) -ldl -lpthread
$(SHIMAMD)/libhipsched-amd.so: $(B)/libhipsched-amd.so
	@mkdir -p $(dir $@)
	$(Q)ln -sf ../libhipsched-amd.so $@
shim-amd: $(B)/libhipsched-amd.so
$(TEST_BIN): | $(SHIMAMD)/libhipsched-amd.so
$(B)/tests/check_shimamd.o: CPPFLAGS += -DSHIMAMD_ENGINE
$(B)/tests/check_shimamd.o: hw/shim/engine.c
else
shim-amd:
	@echo "shim-amd: hw/shim/engine.c is not in this tree yet"; exit 2
endif
