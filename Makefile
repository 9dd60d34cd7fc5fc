# wattmux build. Modules are discovered: every lib/*.c joins libwattmux.a, every src/*.c the
# CLI, every tests/{unit,data}/test_*.c becomes one cmocka test binary, every
# tests/fuzz/fuzz_*.c a fuzz target whose corpus `make check` replays.
#   make            build build/wattmux
#   make check      unit + data tests + fuzz corpus replay      (tests/run.sh prints the totals)
#   make check-asan the same suite under ASan + UBSan (build/asan)
#   make fuzz       libFuzzer on every target, FUZZ_TIME seconds each (default 60)
#   make bench      benchmarks in bench/
CC      ?= gcc
BUILD   ?= build
PKGS    := libfyaml jansson sqlite3 libmicrohttpd libcurl gsl xlsxwriter libnghttp2
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Ilib -MMD -MP
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lglpk -lpthread -lm
ifeq ($(SAN),1)
  CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
SHARED  ?= $(abspath ../shared)
export WM_SHARED := $(SHARED)

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard src/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
EMU_SRC  := $(wildcard tools/emu/*.c)
EMU_OBJ  := $(EMU_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c tests/data/test_*.c)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
TESTLIB  := $(wildcard tests/lib/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/replay_%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
LIBA     := $(BUILD)/libwattmux.a
PROGS    := $(BUILD)/wattmux $(if $(EMU_SRC),$(BUILD)/wattmux-emu)

.PHONY: all check check-asan fuzz bench clean tests setup
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/wattmux: $(CLI_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS)

$(BUILD)/wattmux-emu: $(EMU_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(EMU_OBJ) $(LIBA) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TESTLIB) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/lib $(LDFLAGS) -o $@ $< $(TESTLIB) $(LIBA) $(LDLIBS) -lcmocka

# Fuzz targets double as corpus replayers: replay.c supplies main() for gcc builds.
$(BUILD)/tests/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBA) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

tests: $(PROGS) $(TEST_BIN) $(REPLAY_BIN)

check: tests
	BUILD=$(BUILD) tests/run.sh

check-asan:
	$(MAKE) BUILD=build/asan SAN=1 CC=$(CC) check

FUZZ_BUILD := build/fuzz
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
              -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
fuzz:
	@mkdir -p $(FUZZ_BUILD)
	set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang-14 $(FUZZ_FLAGS) -o $(FUZZ_BUILD)/$$n $$f $(LIB_SRC) $(LDLIBS); \
	  mkdir -p tests/fuzz/corpus/$$n; \
	  LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp $(FUZZ_BUILD)/$$n -max_total_time=$(FUZZ_TIME) -max_len=65536 -artifact_prefix=$(FUZZ_BUILD)/$$n- \
	    tests/fuzz/corpus/$$n; done

bench: $(PROGS) $(BENCH_BIN)
	BUILD=$(BUILD) bench/run.sh

setup:
	scripts/setup.sh

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- optional MPI build of the Monte Carlo (added by the plan branch) ----
# `make mpi` builds $(BUILD)/wattmux-mc-mpi from tools/mpi/mc_mpi.c with mpicc (Debian packages
# libopenmpi-dev and openmpi-bin, not needed by any other target); `make mpi-check` runs it with
# mpirun -np 1 and -np 2 and fails unless both print the same checksum of every path's outputs.
MPICC   ?= mpicc
MPIRUN  ?= mpirun --allow-run-as-root --oversubscribe
.PHONY: mpi mpi-check
mpi: $(BUILD)/wattmux-mc-mpi
$(BUILD)/wattmux-mc-mpi: tools/mpi/mc_mpi.c $(LIBA)
	@mkdir -p $(@D)
	OMPI_CC=$(CC) $(MPICC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)
mpi-check: $(BUILD)/wattmux-mc-mpi
	@a=$$($(MPIRUN) -np 1 $(BUILD)/wattmux-mc-mpi 2000 1825 1 | tee /dev/stderr | sed -n 's/^checksum //p'); \
	 b=$$($(MPIRUN) -np 2 $(BUILD)/wattmux-mc-mpi 2000 1825 1 | tee /dev/stderr | sed -n 's/^checksum //p'); \
	 c=$$($(MPIRUN) -np 2 $(BUILD)/wattmux-mc-mpi 2000 1825 2 | tee /dev/stderr | sed -n 's/^checksum //p'); \
	 if [ -n "$$a" ] && [ "$$a" = "$$b" ] && [ "$$a" = "$$c" ]; then echo "mpi-check: -np 1, -np 2, -np 2 x 2 threads identical"; \
	 else echo "mpi-check: outputs differ"; exit 1; fi

# ---- live branch: web dashboard embedded in build/wattmux ---------------------------------
# web/*.html|js|css and ECharts (pinned in web/package-lock.json, installed by `npm ci`) are
# turned into C arrays by tools/embed.py; the object is linked into the wattmux binary only,
# where its wm_web_find() takes precedence over lib/web.c's fallback.
WEB_SRC     := web/index.html web/app.js web/style.css
WEB_ECHARTS := web/node_modules/echarts/dist/echarts.min.js
WEB_STAMP   := web/node_modules/.package-lock.json
WEB_OBJ     := $(BUILD)/gen/web_assets.o
$(WEB_STAMP): web/package-lock.json
	-cd web && npm ci --no-audit --no-fund
$(BUILD)/gen/web_assets.c: $(WEB_SRC) tools/embed.py $(WEB_STAMP)
	python3 tools/embed.py $@ $(WEB_SRC) $(WEB_ECHARTS)
$(WEB_OBJ): $(BUILD)/gen/web_assets.c
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/wattmux: $(WEB_OBJ)
CLI_OBJ += $(WEB_OBJ)

