# The AMD flavour of libhipsched.so (hw/shim/hip.c), included by the
# top-level Makefile after hw/shim/shim.mk (whose SHIM_ENGINE and
# SHIM_SERVE lists it shares). Built in every flavour from Debian's
# libamdhip64-dev headers; never linked against libamdhip64 (the real
# functions are found at run time with dlvsym).
#
#   make shim-amd   (and make HW=amd)
#                   $(B)/libhipsched-amd.so: hip.c + dlsym.c + the engine +
#                   core/ (+ the server client), all with -fPIC and hidden
#                   visibility; exports only hw/shim/hip.map's names
#
# Test build, under $(B)/shimamd/ (the shimamd suite runs it):
#   libhipsched-amd.so      a link to the library
#   fake/libamdhip64.so.5   tests/shim/fake_hip.c, versions from fake_hip.syms
#   fake/librocblas_like.so, libnext_a.so, libnext_b.so, hip_app
# Everything here is built at -O2 without sanitizers whatever the flavour
# (the library is preloaded into programs that do not carry the ASan
# runtime; dlsym.c's tail call needs the optimizer).
SHIMAMD := $(B)/shimamd
SHIMAMD_CFLAGS := -std=gnu11 -O2 -g -fPIC -MMD -MP -Wall -Wextra -Wno-unused-parameter \
	-Wno-deprecated-declarations -D_GNU_SOURCE -D__HIP_PLATFORM_AMD__
SHIMAMD_LIB_CFLAGS := $(SHIMAMD_CFLAGS) -fvisibility=hidden -iquote core -iquote hw \
	-iquote hw/shim -iquote hw/serve -DSHIM_DLSYM_GLIBC_VERSIONS
SHIMAMD_SO := $(B)/libhipsched-amd.so
SHIMAMD_SRCS := hw/shim/hip.c hw/shim/hip_wrap.c hw/shim/hip_record.c hw/shim/dlsym.c hw/shim/record.c $(SHIM_ENGINE) $(wildcard core/*.c) $(SHIM_SERVE)
SHIMAMD_OBJS := $(SHIMAMD_SRCS:%.c=$(SHIMAMD)/obj/%.o)
SHIMAMD_FAKE := $(SHIMAMD)/fake
SHIMAMD_FILES := $(SHIMAMD)/libhipsched-amd.so $(SHIMAMD_FAKE)/libamdhip64.so.5 \
	$(SHIMAMD_FAKE)/librocblas_like.so $(SHIMAMD)/libnext_a.so \
	$(SHIMAMD)/libnext_b.so $(SHIMAMD)/hip_app

.PHONY: shim-amd shimamd-test
shim-amd: $(SHIMAMD_SO)
ifeq ($(HW),amd)
all: shim-amd
endif
shimamd-test: $(SHIMAMD_FILES)
$(TEST_BIN): | $(SHIMAMD_FILES)

$(SHIMAMD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim-amd)"
	$(Q)$(CC) $(SHIMAMD_LIB_CFLAGS) -c -o $@ $<

$(SHIMAMD_SO): $(SHIMAMD_OBJS) hw/shim/hip.map
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,--version-script=hw/shim/hip.map -Wl,-z,defs \
	  -Wl,-soname,libhipsched.so -o $@ $(SHIMAMD_OBJS) -ldl -lpthread

$(SHIMAMD)/libhipsched-amd.so: $(SHIMAMD_SO)
	@mkdir -p $(dir $@)
	$(Q)ln -sf ../libhipsched-amd.so $@

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
