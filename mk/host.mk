# Host (Linux) builds: the NONOS simulator, the C examples and C test programs.
# Included by the top-level Makefile, which defines HOST, CARGO and deps-host.
#
#   make examples            every examples-c/<ex>/ -> build/host/<ex>, built with
#                            build/host/nonos-cc (README "Run your own firmware on a PC")
#   make host-test-programs  every tests/c/<name>.c -> build/host/test_<name>
#   make layout-check        the chip's struct layouts, for the host (gcc -m32) and xtensa
#   make xtensa-compile-check  host-only example code also compiles for the chip
#
# The simulator is a 32-bit process, as the chip is a 32-bit core: every C
# program, the simulator's objects and the library archive are built for i686
# (gcc -m32; the archive with Debian's rustc and -Zbuild-std), so a pointer
# fits in a uint32 (os_param_t, ETSParam, the casts NONOS code does), SDK
# structures have the chip's layout and the heap figures count 4-byte pointers.
# `cargo test` (unit tests and the Rust side of the integration tests) stays a
# 64-bit build of its own.

HOST_CC      ?= gcc
HOST_M32     := -m32
XTENSA_CC    ?= xtensa-lx106-elf-gcc
HOST_CFLAGS  ?= -std=gnu11 -O1 -g -Wall -Wextra
HOST_INC     := -Ic-shim/include -Ic-shim/host -Iinclude
HOST_LDLIBS  := -lpthread -ldl -lm
HOST_LIB     := $(HOST)/libespconn_secure.a
HOST_HEADERS := $(wildcard c-shim/include/*.h c-shim/include/*/*.h c-shim/host/*.h)
NONOS_CC     := $(HOST)/nonos-cc

# The shipped archive's runtime (global allocator over the SDK heap, panic
# handler). Set HOST_LIB_FEATURES= to build without it while the feature's
# code is not in the tree.
HOST_LIB_FEATURES ?= --features runtime
# The archive for i686 with Debian's toolchain (rustc-web, cargo-web and
# rust-web-src for -Zbuild-std, the packages the chip build uses too): no
# rustup target to download. Its own target dir, apart from `cargo test`'s.
HOST_TRIPLE     := i686-unknown-linux-gnu
HOST_TARGET_DIR ?= target/i686
HOST_CARGO      := env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(HOST_TARGET_DIR) /usr/bin/cargo

.PHONY: examples host-test-programs layout-check xtensa-compile-check nonos-cc FORCE

$(HOST):
	mkdir -p $@

$(HOST)/sim_main.o: c-shim/host/sim_main.c $(HOST_HEADERS) | $(HOST)
	$(HOST_CC) $(HOST_M32) $(HOST_CFLAGS) $(HOST_INC) -c $< -o $@

# Cargo decides what is stale (the archive bundles c-shim/host/*.c through
# build.rs, which the cc crate compiles with -m32 for this target); copying
# only on change keeps the programs from relinking.
$(HOST_LIB): FORCE | $(HOST) deps-host-lib
	$(HOST_CARGO) build --release $(HOST_LIB_FEATURES) --lib -Zbuild-std=core,alloc --target $(HOST_TRIPLE)
	@src="$(HOST_TARGET_DIR)/$(HOST_TRIPLE)/release/libespconn_secure.a"; cmp -s "$$src" $@ || cp "$$src" $@

# The compiler driver for NONOS programs: gcc -m32 plus our SDK headers, the
# simulator's main() and the library.
nonos-cc: $(NONOS_CC) $(HOST)/sim_main.o $(HOST_LIB)
$(NONOS_CC): scripts/nonos-cc.sh | $(HOST)
	sed -e 's|@ROOT@|$(abspath .)|' -e 's|@HOSTDIR@|$(abspath $(HOST))|' $< > $@.tmp
	chmod +x $@.tmp && mv $@.tmp $@

EXAMPLE_DIRS := $(filter-out common,$(patsubst examples-c/%/,%,$(wildcard examples-c/*/)))
EXAMPLE_BINS := $(addprefix $(HOST)/,$(EXAMPLE_DIRS))
COMMON_C     ?= $(wildcard examples-c/common/*.c)
COMMON_H     := $(wildcard examples-c/common/*.h)
# The shared example code uses the library's public header (cbindgen output).
COMMON_DEPS  := $(if $(COMMON_C),include/espconn_secure.h)

TEST_SRCS    := $(filter-out tests/c/layout.c,$(wildcard tests/c/*.c))
TEST_BINS    := $(patsubst tests/c/%.c,$(HOST)/test_%,$(TEST_SRCS))

examples: nonos-cc $(EXAMPLE_BINS)
host-test-programs: $(TEST_BINS)

.SECONDEXPANSION:

$(EXAMPLE_BINS): $(HOST)/%: $$(wildcard examples-c/$$*/*.c) $$(wildcard examples-c/$$*/*.h) \
		$(COMMON_C) $(COMMON_H) $(COMMON_DEPS) $(HOST_HEADERS) $(HOST)/sim_main.o $(HOST_LIB) $(NONOS_CC)
	NONOS_CC=$(HOST_CC) $(NONOS_CC) $(HOST_CFLAGS) -Iexamples-c/$* -Iexamples-c/common \
		$(filter %.c,$^) -o $@

$(HOST)/test_%: tests/c/%.c tests/c/check.h $(HOST_HEADERS) $(HOST)/sim_main.o $(HOST_LIB)
	$(HOST_CC) $(HOST_M32) $(HOST_CFLAGS) $(HOST_INC) $< $(HOST)/sim_main.o $(HOST_LIB) $(HOST_LDLIBS) -o $@

# _Static_assert in layout.c fails the compile on any size/offset mismatch:
# the chip's layouts (4-byte pointers), for the simulator's compiler and
# options (gcc -m32, as nonos-cc) and for xtensa.
layout-check: tests/c/layout.c $(HOST_HEADERS) | $(HOST)
	$(HOST_CC) $(HOST_M32) -std=gnu11 -Wall -Wextra -Ic-shim/include -c $< -o $(HOST)/layout.m32.o
	$(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -Ic-shim/include -c $< -o $(HOST)/layout.xtensa.o
	$(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -DICACHE_FLASH -DUSE_OPTIMIZE_PRINTF \
		-Ic-shim/include -c $< -o $(HOST)/layout.xtensa-flash.o
	@echo "layout-check: the simulator (gcc -m32) and xtensa have the chip's layouts"

XTENSA_CHECK_SRCS := examples-c/tcp_echo/user_main.c

xtensa-compile-check: $(XTENSA_CHECK_SRCS) $(HOST_HEADERS) | $(HOST)
	@for f in $(XTENSA_CHECK_SRCS); do \
	  echo "$(XTENSA_CC) -c $$f"; \
	  $(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -DICACHE_FLASH -Ic-shim/include \
	    -c $$f -o $(HOST)/xtensa-check.o || exit 1; \
	done
