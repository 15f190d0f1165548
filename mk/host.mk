# Host (Linux) builds: the NONOS simulator, the C examples and C test programs.
# Included by the top-level Makefile, which defines HOST, CARGO and deps-host.
#
#   make examples            every examples-c/<ex>/ -> build/host/<ex>, built with
#                            build/host/nonos-cc (README "Run your own firmware on a PC")
#   make host-test-programs  every tests/c/<name>.c -> build/host/test_<name>
#   make layout-check        struct layouts for host gcc, gcc -m32 and xtensa
#   make xtensa-compile-check  host-only example code also compiles for the chip

HOST_CC      ?= gcc
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

.PHONY: examples host-test-programs layout-check xtensa-compile-check nonos-cc FORCE

$(HOST):
	mkdir -p $@

$(HOST)/sim_main.o: c-shim/host/sim_main.c $(HOST_HEADERS) | $(HOST)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_INC) -c $< -o $@

# Cargo decides what is stale (the archive bundles c-shim/host/*.c through
# build.rs); copying only on change keeps the programs from relinking.
$(HOST_LIB): FORCE | $(HOST)
	$(CARGO) build --release $(HOST_LIB_FEATURES) --lib
	@src="$${CARGO_TARGET_DIR:-target}/release/libespconn_secure.a"; cmp -s "$$src" $@ || cp "$$src" $@

# The compiler driver for NONOS programs: gcc plus our SDK headers, the
# simulator's main() and the library, linked so that pointers fit in 32 bits.
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

$(HOST)/test_%: tests/c/%.c $(HOST_HEADERS) $(HOST)/sim_main.o $(HOST_LIB)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_INC) $< $(HOST)/sim_main.o $(HOST_LIB) $(HOST_LDLIBS) -o $@

# _Static_assert in layout.c fails the compile on any size/offset mismatch.
layout-check: tests/c/layout.c $(HOST_HEADERS) | $(HOST)
	$(HOST_CC) -std=gnu11 -Wall -Wextra -Ic-shim/include -c $< -o $(HOST)/layout.host.o
	$(HOST_CC) -m32 -std=gnu11 -Wall -Wextra -Ic-shim/include -c $< -o $(HOST)/layout.m32.o
	$(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -Ic-shim/include -c $< -o $(HOST)/layout.xtensa.o
	$(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -DICACHE_FLASH -DUSE_OPTIMIZE_PRINTF \
		-Ic-shim/include -c $< -o $(HOST)/layout.xtensa-flash.o
	@echo "layout-check: host, -m32 and xtensa agree"

XTENSA_CHECK_SRCS := examples-c/tcp_echo/user_main.c

xtensa-compile-check: $(XTENSA_CHECK_SRCS) $(HOST_HEADERS) | $(HOST)
	@for f in $(XTENSA_CHECK_SRCS); do \
	  echo "$(XTENSA_CC) -c $$f"; \
	  $(XTENSA_CC) -std=gnu11 -Wall -Wextra -mlongcalls -DICACHE_FLASH -Ic-shim/include \
	    -c $$f -o $(HOST)/xtensa-check.o || exit 1; \
	done
