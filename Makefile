# espconn_secure: top-level entry points. The contracts other tools rely on:
#   make demo | test | examples | esp8266 | bench
# Host rules live in mk/host.mk, chip rules in mk/esp8266.mk, package
# installation in mk/deps.mk.

SHELL := /bin/bash
CARGO ?= cargo
BUILD := build
HOST := $(BUILD)/host

.PHONY: all demo test vendor-check test-reasons-without-debug examples esp8266 bench bench-chip header deps-host deps-host-lib deps-chip deps-vendor clean fuzz fuzz-seeds

all: header examples

include mk/deps.mk
include mk/host.mk
-include mk/esp8266.mk

# cbindgen writes the public header from the Rust exports; a test fails when
# the committed copy is stale.
header: include/espconn_secure.h
include/espconn_secure.h: cbindgen.toml $(shell find src -name '*.rs') | deps-host
	cbindgen --config cbindgen.toml --crate espconn_secure --output $@ .

clean:
	rm -rf $(BUILD)
	$(CARGO) clean

demo: deps-host examples
	bash scripts/demo.sh

# All tests: unit, simulator, end-to-end against real peers, espcert, chip
# build and emulated-core tests, header freshness, the small profile, the
# fuzzing harness on its seeds (replayable transcripts), the firmware-shaped
# links with the vendor layout and their placement checks (docs/CHIP-LAYOUT.md),
# the static check that every engine step fits its stack on the chip; first,
# that vendor/ is the published crates plus the patch series (vendor-check).
test: vendor-check deps-host deps-chip examples
	$(CARGO) test --workspace
	# -p: without it tools/espcert (a default member) depends on the library
	# with default features, cargo unifies them, and this runs profile-full.
	$(CARGO) test -p espconn_secure --lib --no-default-features --features profile-small
	$(CARGO) test --lib --features fuzzing fuzzing::
	$(MAKE) test-reasons-without-debug
	$(MAKE) esp8266-check-symbols
	$(MAKE) esp8266-firmware
	$(MAKE) esp8266-stack

# vendor/rustls, vendor/p384, vendor/primeorder are the crates published on
# crates.io plus the patches in vendor/patches/<crate>/series (PATCHES.md in
# each); fails when vendor/ differs from that in any byte. Fetches a missing
# .crate with cargo, then takes about a second.
vendor-check: deps-vendor
	bash scripts/vendor.sh check

# The chip build prints nothing for `{:?}` (-Zfmt-debug=none, docs/SIZE.md):
# the reason-text tests again with that flag, so a reason that still takes a
# word from `Debug` loses it and fails. Own target dir: the flag would
# otherwise rebuild the normal one. (debug_does_not_leak tests `Debug` itself.)
test-reasons-without-debug:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zfmt-debug=none CARGO_TARGET_DIR=target/fmt-debug-none \
	  $(CARGO) test --lib -- tls:: certs:: ffi:: --skip debug_does_not_leak

bench: deps-host examples
	bash scripts/bench-host.sh
	$(MAKE) bench-chip

# Coverage-guided fuzzing (docs/FUZZING.md): every cargo-fuzz target in fuzz/
# for FUZZ_SECONDS (default 600) each, all at once under nice. Needs nightly
# flags, given to the stable toolchain with RUSTC_BOOTSTRAP=1 by the script.
FUZZ_SECONDS ?= 600
fuzz: deps-host
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

# Rewrites the committed seeds in fuzz/seeds/ (record_path: transcripts of our
# own server replayable by the fuzz target).
fuzz-seeds: deps-host
	$(CARGO) test --lib --features fuzzing fuzzing::tests::write_seed_corpora -- --ignored
