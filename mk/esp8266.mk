# Chip (ESP8266 / Xtensa LX106) rules. Included from the top-level Makefile,
# which defines BUILD, CARGO and the phony targets esp8266, bench-chip, deps-chip.
#
#   make esp8266               build/esp8266/libespconn_secure.a (+ identical libmbedtls.a),
#                              undefined-symbol check, firmware-shaped links of
#                              every examples-c/<ex> and of tests/chip/fw_shape (client API; and +server API),
#                              size report (fails on irom0/dram0/iram1 overflow; warns over the goals)
#   make esp8266-check-symbols only the archive + allowlist check (for `make test`)
#   make bench-chip            flash figures of both profiles + QEMU chip benches
#   make chip-test             QEMU known-answer tests (tests/chip)
#   make esp8266-stack         static worst-case stack depth of the engine steps
#                              (scripts/esp8266/stack-depth.py, docs/STACK.md)

ESP_DIR        := $(BUILD)/esp8266
ESP_LIB        := $(ESP_DIR)/libespconn_secure.a
ESP_LIB_SMALL  := $(ESP_DIR)/small/libespconn_secure.a
ESP_STUB       := $(ESP_DIR)/libsdkstub.a
ESP_LD         := c-shim/esp8266/nonos-layout.ld
ESP_ROM_LD     := $(ESP_DIR)/rom.ld
ESP_ROM_SYMS   := scripts/esp8266/rom-symbols.txt
ESP_CC         := xtensa-lx106-elf-gcc
ESP_SIZE       := xtensa-lx106-elf-size
# Vendor CCFLAGS (reference §5.1), freestanding: Debian's cross gcc has no libc.
ESP_CFLAGS     := -Os -mlongcalls -mtext-section-literals -ffunction-sections -fdata-sections \
                  -fno-jump-tables -nostdlib -ffreestanding -std=gnu11 -Wall -DICACHE_FLASH
ESP_LDFLAGS    := -nostdlib -T$(ESP_LD) -Wl,--no-check-sections -Wl,--gc-sections \
                  -u call_user_start -Wl,-static -Wl,--no-warn-execstack -Wl,--print-memory-usage
# Flash goals for the library's share of irom0 (issue #4): reported, not enforced.
ESP_GOAL_DEFAULT := 614400
ESP_GOAL_SMALL   := 409600

ESP_EXAMPLES := $(sort $(filter-out common,$(notdir $(patsubst %/,%,$(dir $(wildcard examples-c/*/*.c))))))

.PHONY: esp8266-lib esp8266-check-symbols esp8266-firmware esp8266-fw-shape esp8266-small esp8266-size-small chip-test esp8266-stack

esp8266: esp8266-lib esp8266-check-symbols esp8266-firmware

# Cargo decides what is stale; the script always runs it.
esp8266-lib: deps-chip
	scripts/esp8266/build.sh default $(ESP_LIB)
	cp $(ESP_LIB) $(ESP_DIR)/libmbedtls.a
	$(ESP_SIZE) -t $(ESP_LIB) | tail -1

esp8266-small: deps-chip
	scripts/esp8266/build.sh small $(ESP_LIB_SMALL)

esp8266-check-symbols: esp8266-lib
	python3 scripts/esp8266/check-undefined.py $(ESP_LIB) scripts/esp8266/allowed-undefined.txt c-shim/esp8266/sdk_stubs.c \
	  --rom-symbols $(ESP_ROM_SYMS)

$(ESP_STUB): c-shim/esp8266/sdk_stubs.c c-shim/esp8266/sim_hooks_chip.c c-shim/esp8266/sdk_vectors.S $(ESP_ROM_SYMS) $(wildcard c-shim/include/*.h c-shim/include/*/*.h) scripts/esp8266/gen-header-stubs.py | deps-chip
	@mkdir -p $(ESP_DIR)/stub
	$(ESP_CC) -c c-shim/esp8266/sdk_vectors.S -o $(ESP_DIR)/stub/sdk_vectors.o
	python3 scripts/esp8266/gen-header-stubs.py $(ESP_DIR)/stub/header_stubs.c c-shim/esp8266/sdk_stubs.c $(ESP_ROM_SYMS) $(wildcard c-shim/include/*.h c-shim/include/*/*.h)
	$(ESP_CC) $(ESP_CFLAGS) -w -c $(ESP_DIR)/stub/header_stubs.c -o $(ESP_DIR)/stub/header_stubs.o
	$(ESP_CC) $(ESP_CFLAGS) -c c-shim/esp8266/sdk_stubs.c -o $(ESP_DIR)/stub/sdk_stubs.o
	$(ESP_CC) $(ESP_CFLAGS) -Ic-shim/include -c c-shim/esp8266/sim_hooks_chip.c -o $(ESP_DIR)/stub/sim_hooks_chip.o
	rm -f $@
	xtensa-lx106-elf-ar crs $@ $(ESP_DIR)/stub/*.o

# The mask ROM's helpers at their addresses, as the vendor's
# eagle.rom.addr.v6.ld gives them to every firmware (facts: $(ESP_ROM_SYMS)).
$(ESP_ROM_LD): $(ESP_ROM_SYMS)
	@mkdir -p $(dir $@)
	awk '!/^#/ && NF == 2 { printf "PROVIDE(%s = %s);\n", $$1, $$2 }' $< >$@

# Firmware-shaped link with the vendor layout, then the layout assertions
# (check-layout.py): $(1) name, $(2) sources, $(3) archive, $(4) output dir,
# $(5) extra C flags.
define esp_link
	@mkdir -p $(4)/obj-$(1)
	set -e; objs=""; for c in $(2); do \
	  o=$(4)/obj-$(1)/$$(echo $$c | tr / _).o; \
	  $(ESP_CC) $(ESP_CFLAGS) $(5) -Ic-shim/include -Iinclude -Iexamples-c/common -c $$c -o $$o; \
	  objs="$$objs $$o"; done; \
	$(ESP_CC) $(ESP_LDFLAGS) -Wl,-Map,$(4)/$(1).map $$objs \
	  -Wl,--start-group $(3) $(ESP_STUB) -Wl,--end-group $(ESP_ROM_LD) -o $(4)/$(1).elf
	$(ESP_SIZE) $(4)/$(1).elf
	python3 scripts/esp8266/check-layout.py $(4)/$(1).elf $(4)/$(1).map $(notdir $(3)) $(ESP_ROM_SYMS)
endef

esp8266-firmware: esp8266-fw-shape $(addprefix esp8266-ex-,$(ESP_EXAMPLES))

# The library's share of flash: a user program that references the whole
# client API (flash_xtensa, the figure of the goals), and the same with the
# server API too (flash_xtensa_server): a client-only firmware links no TLS
# server code, so the difference is what espconn_secure_accept costs.
ESP_FW_SHAPE := tests/chip/fw_shape/user_main.c
esp8266-fw-shape: esp8266-lib $(ESP_STUB) $(ESP_ROM_LD)
	$(call esp_link,fw_shape,$(ESP_FW_SHAPE),$(ESP_LIB),$(ESP_DIR))
	$(call esp_link,fw_shape_server,$(ESP_FW_SHAPE),$(ESP_LIB),$(ESP_DIR),-DFW_SHAPE_SERVER)
	python3 scripts/esp8266/size-report.py $(ESP_DIR)/fw_shape.map libespconn_secure.a \
	  --case flash_xtensa --goal-irom $(ESP_GOAL_DEFAULT)
	python3 scripts/esp8266/size-report.py $(ESP_DIR)/fw_shape_server.map libespconn_secure.a \
	  --case flash_xtensa_server --base-map $(ESP_DIR)/fw_shape.map

# One firmware-shaped ELF per examples-c/<ex>/ (examples-c/common is shared code).
# Not .PHONY (make skips pattern rules for phony targets): FORCE re-runs them.
esp8266-ex-%: esp8266-lib $(ESP_STUB) $(ESP_ROM_LD) header FORCE
	$(call esp_link,$*,$(wildcard examples-c/$*/*.c) $(wildcard examples-c/common/*.c),$(ESP_LIB),$(ESP_DIR))

FORCE:

# Reads the assembly and LLVM IR of the default profile's crates (the list
# build-archive.sh keeps): `bench case=stack_xtensa bytes=N` and the chains.
# Also the check that every engine step fits its stack (platform::HANDSHAKE_STACK,
# TRAFFIC_STACK); make test runs it.
esp8266-stack: esp8266-lib
	python3 scripts/esp8266/stack-depth.py $(ESP_DIR)/work-default/asm-files.txt --steps --top 8 \
	  --check src/platform/mod.rs

# Flash figures of the smallest documented profile (profile-small).
esp8266-size-small: esp8266-small $(ESP_STUB) $(ESP_ROM_LD)
	$(call esp_link,fw_shape,$(ESP_FW_SHAPE),$(ESP_LIB_SMALL),$(ESP_DIR)/small)
	$(call esp_link,fw_shape_server,$(ESP_FW_SHAPE),$(ESP_LIB_SMALL),$(ESP_DIR)/small,-DFW_SHAPE_SERVER)
	python3 scripts/esp8266/size-report.py $(ESP_DIR)/small/fw_shape.map libespconn_secure.a \
	  --case flash_xtensa_small --goal-irom $(ESP_GOAL_SMALL)
	python3 scripts/esp8266/size-report.py $(ESP_DIR)/small/fw_shape_server.map libespconn_secure.a \
	  --case flash_xtensa_small_server --base-map $(ESP_DIR)/small/fw_shape.map

bench-chip: esp8266-firmware esp8266-stack esp8266-size-small
	$(MAKE) --no-print-directory chip-test

chip-test: deps-chip $(ESP_STUB)
	scripts/esp8266/chip-test.sh $(ESP_DIR)/chip
