# hipsched — build, test, run.
#
#   make              simulator-only build of ./hipsched (no GPU SDK needed)
#   make HW=nvidia    + HIP backend on NVIDIA (nvcc, hw/dev/hip_nv.h mapping)
#   make HW=amd       + HIP backend on AMD (Debian's libamdhip64-dev / ROCm)
#   make check        every Check suite (SANITIZE=1: under ASan + UBSan)
#   make run          the main job: hipsched sim scenarios/dual_resnet.ini
#   make bench        simulator speed figures, the policy server's round trip
#   make bench-serve  the policy server's decision round trip (blocking, spinning)
#   make fidelity-h200  the simulator against the real PyTorch runs on the H200
#                     (DUAL_RUN=DIR THREE_RUN=DIR or H200_RUNS=DIR, SEEDS=N;
#                     analysis/README.md, "Fidelity")
#   make shim         build/<flavor>/libhipsched.so, the interception library
#   make bench-shim   its cost per intercepted call (against a fake libcuda)
#   make shim-amd     build/<flavor>/libhipsched-amd.so, the same for ROCm
#   make fuzz         libFuzzer harnesses (clang, ASan + UBSan) of every parser;
#                     FUZZ_TIME=S: then run each for S seconds (tests/fuzz/)
#   make deps         install the Debian packages the project needs (./setup)
#
# LTO=0 builds without link-time optimisation (the default is LTO=1, off
# under SANITIZE=1); objects are not rebuilt when it changes (make clean).
#
# Sources are found by wildcard: a new .c file in core/ sim/ traces/
# scenarios/ analysis/ cli/ is built without touching this file; a new
# tests/check_NAME.c must export `Suite *NAME_suite(void)` and is collected
# into the one test runner automatically.

CC       ?= cc
SANITIZE ?= 0
HW       ?=
STATIC   ?= 0
V        ?= 0

ifeq ($(V),0)
Q := @
else
Q :=
endif

DEB_PKGS := build-essential pkg-config libgsl-dev libcsv-dev check \
            libinih-dev libjansson-dev gnuplot-nox zlib1g-dev libamdhip64-dev clang \
            python3
DEB_PKGS_AMD := libamdhip64-dev

FLAVOR := $(if $(filter 1,$(SANITIZE)),san,rel)$(if $(HW),-$(HW))$(if $(filter 1,$(STATIC)),-static)
B := build/$(FLAVOR)

PKG_LIBS := gsl inih jansson zlib
CPPFLAGS += -iquote core -iquote sim -iquote traces -iquote scenarios -iquote analysis -iquote hw -iquote cli -iquote $(B) -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
# Link-time optimisation (LTO=0: off): the simulator's event handlers and
# the core call each other across files on every event; inlining them
# there cuts the instructions per simulated kernel by ~8 % (make bench).
LTO      ?= $(if $(filter 1,$(SANITIZE)),0,1)
ifeq ($(LTO),1)
CFLAGS   += -flto=auto
LDFLAGS  += -flto=auto
endif
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP
CFLAGS   += $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
ifeq ($(STATIC),1)
# For the lent GPU machine, whose image lacks these libraries: link the
# Debian archives statically, keep glibc dynamic.
LDLIBS   += -Wl,-Bstatic -lgsl -lgslcblas -linih -ljansson -lcsv -lz -Wl,-Bdynamic -lm -lpthread
else
LDLIBS   += $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lcsv -lm -lpthread
endif
ifeq ($(STATIC),1)
CHECK_LIBS := -Wl,-Bstatic -lcheck -lsubunit -Wl,-Bdynamic -lrt
else
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
endif

ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_DIRS := core sim traces scenarios analysis
LIB_SRCS := $(wildcard $(addsuffix /*.c,$(LIB_DIRS)))
CLI_SRCS := $(filter-out cli/main.c,$(wildcard cli/*.c))
HW_SRCS  :=
HW_OBJS  :=
HW_LIBS  :=

# --- hardware backend flavors (hw/) -------------------------------------
include hw/hw.mk

# `hipsched record` looks for the library in this flavor's build folder.
$(B)/cli/cmd_record.o: CPPFLAGS += -DHIPSCHED_BUILD_DIR='"$(B)"'

LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(CLI_SRCS:%.c=$(B)/%.o) $(HW_OBJS)
MAIN_OBJ := $(B)/cli/main.o

TEST_SRCS   := $(wildcard tests/*.c)
TEST_SUITES := $(patsubst tests/check_%.c,%,$(wildcard tests/check_*.c))
TEST_OBJS   := $(TEST_SRCS:%.c=$(B)/%.o)
# The recorder's writer is part of libhipsched.so (hw/shim/shim.mk); the
# suite drives it directly too.
TEST_OBJS   += $(B)/hw/shim/record.o
TEST_BIN    := $(B)/check_all

# --- the interception library (hw/shim/) ---------------------------------
include hw/shim/shim.mk

.PHONY: all check run bench bench-serve fidelity-h200 deps deps-amd deps-ensure clean hwcheck help fuzz
all: hipsched

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

hipsched: $(B)/hipsched FORCE
	$(Q)cp $< $@
FORCE:

$(B)/hipsched: $(MAIN_OBJ) $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(HW_LINK) $(LDFLAGS) -o $@ $^ $(HW_LIBS) $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The test runner's suite list, generated from the file names.
$(B)/suites.h: $(wildcard tests/check_*.c) Makefile
	@mkdir -p $(dir $@)
	$(Q){ for s in $(TEST_SUITES); do echo "SUITE($$s)"; done; } > $@.tmp && mv $@.tmp $@
$(B)/tests/runner.o: $(B)/suites.h

$(TEST_BIN): $(TEST_OBJS) $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(HW_LINK) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(HW_LIBS) $(LDLIBS)

# --- interception layer, AMD (hw/shim/): libhipsched-amd.so, test build --
include hw/shim/amd.mk

# Installs the Debian packages when one of them is missing (fresh machine).
deps-ensure:
	@if ! pkg-config --exists $(PKG_LIBS) check 2>/dev/null || \
	    [ ! -f /usr/include/csv.h ] || ! command -v gnuplot >/dev/null || \
	    ! command -v python3 >/dev/null || \
	    [ ! -f /usr/include/hip/hip_runtime_api.h ]; then \
		$(MAKE) --no-print-directory deps; fi

# The package lists above are installed by ./setup (it reads them from
# here; it needs no make, for a bare machine).
deps:
	@./setup

deps-amd:
	@./setup --amd

check: deps-ensure
	$(Q)$(MAKE) --no-print-directory $(TEST_BIN) $(B)/hipsched
	$(Q)HIPSCHED_BIN=$(B)/hipsched CK_DEFAULT_TIMEOUT=120 $(if $(filter 1,$(SANITIZE)),ASAN_OPTIONS=detect_leaks=1) ./$(TEST_BIN)

run: deps-ensure
	$(Q)$(MAKE) --no-print-directory hipsched
	./hipsched sim scenarios/dual_resnet.ini --out runs/dual_resnet

bench: deps-ensure
	$(Q)$(MAKE) --no-print-directory hipsched $(B)/sim_ceiling $(B)/wake_late
	sim/bench/run.sh ./hipsched $(B)/sim_ceiling
	./hipsched serve --bench
	./hipsched serve --bench --queues 34
	$(B)/wake_late 10000

# The event-loop ceiling `make bench` compares the simulator with.
$(B)/sim_ceiling: sim/bench/ceiling.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# How late a sleeping server loop wakes (the wake_late model's figures).
$(B)/wake_late: sim/bench/wake_late.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# Issue 12's fidelity table: the simulator (scenarios/h200_*.ini on
# traces/data/h200/ and sim/devices/h200.ini, SEEDS seeds) against the real
# PyTorch runs of hw/bench/pytorch_plan.py (its dual and three output
# folders: DUAL_RUN, THREE_RUN, under H200_RUNS, one run of
# hw/bench/h200.sh; by default the shipped runs of analysis/reports/h200.md
# sections 14.3 (dual) and 9 (three)); tables in FIDELITY_OUT/fidelity.{md,csv}
# (analysis/README.md, "Fidelity").
ifeq ($(H200_RUNS),)
DUAL_RUN     ?= analysis/reports/h200_runs/2026-12-02h/dual_call2/hpf/summary.json
THREE_RUN    ?= analysis/reports/h200_runs/2026-12-02c/three/hpf_eq/summary.json
else
DUAL_RUN     ?= $(H200_RUNS)/dual
THREE_RUN    ?= $(H200_RUNS)/three
endif
SEEDS        ?= 10
FIDELITY_OUT ?= runs/fidelity_h200
fidelity-h200: deps-ensure
	$(Q)$(MAKE) --no-print-directory hipsched
	./hipsched fidelity $(DUAL_RUN) scenarios/h200_dual.ini \
		$(THREE_RUN) scenarios/h200_three.ini --seeds $(SEEDS) \
		--out $(FIDELITY_OUT)

# The policy server's decision round trip over a Unix socket (P50 / P99),
# with one queue and with a PyTorch process's 34 suspended at once.
bench-serve: deps-ensure
	$(Q)$(MAKE) --no-print-directory hipsched
	./hipsched serve --bench
	./hipsched serve --bench --queues 34
	HIPSCHED_RELAY_SPIN=1 ./hipsched serve --bench
	HIPSCHED_RELAY_SPIN=1 ./hipsched serve --bench --queues 34

clean:
	rm -rf build hipsched

# --- fuzzing (tests/fuzz/README.md) -------------------------------------
# The library folders rebuilt by clang with coverage for libFuzzer, one
# binary per tests/fuzz/fuzz_NAME.c; FUZZ_TIME=S runs each S seconds on a
# corpus seeded from tests/fixtures (build/fuzz/corpus/NAME, kept between
# runs), crashes into build/fuzz/crash/.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 0
FUZZ_B     := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -DKINETO_CHUNK=509 \
               -fsanitize=fuzzer-no-link $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)
FUZZ_LIB   := $(LIB_SRCS:%.c=$(FUZZ_B)/%.o) $(FUZZ_B)/tests/fuzz/fuzz_util.o
FUZZ_LIBS  := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lcsv -lm -lpthread

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -iquote tests/fuzz $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

# the wire protocol's harness also links the policy server (hw/serve/)
FUZZ_SERVE := $(patsubst %.c,$(FUZZ_B)/%.o,$(wildcard hw/serve/*.c))
$(FUZZ_B)/fuzz_wire: $(FUZZ_SERVE)
$(FUZZ_B)/hw/%.o $(FUZZ_B)/tests/fuzz/fuzz_wire.o: CPPFLAGS += $(HW_IQUOTE)

.SECONDARY: $(FUZZ_LIB) $(FUZZ_SERVE) $(FUZZ_NAMES:%=$(FUZZ_B)/tests/fuzz/fuzz_%.o)

fuzz: deps-ensure
	$(Q)command -v $(FUZZ_CC) >/dev/null || $(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)if [ "$(FUZZ_TIME)" != 0 ]; then tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_NAMES); fi

-include $(shell find $(B) $(wildcard $(FUZZ_B)) -name '*.d' 2>/dev/null)
