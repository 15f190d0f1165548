#!/usr/bin/env bash
# Build one feature profile of the chip archive:
#   cargo (--emit=asm) -> GNU as per crate -> + c-shim/esp8266 objects -> archive.
# usage: build.sh PROFILE OUT_ARCHIVE     PROFILE: default | small
# Environment: ESP_CARGO_TARGET_DIR (default target/esp8266), CARGO_EXTRA,
# ESP_RUSTFLAGS_EXTRA (added to RUSTFLAGS; for size experiments, docs/SIZE.md).
set -euo pipefail

profile=$1 out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

json=targets/xtensa-esp8266-none-elf.json
triple=xtensa-esp8266-none-elf
tdir=${ESP_CARGO_TARGET_DIR:-target/esp8266}
work=$(dirname "$out")/work-$profile

case $profile in
default) features=(--features runtime) ;;
small) features=(--no-default-features --features profile-small,runtime) ;;
*) echo "build.sh: unknown profile $profile" >&2; exit 2 ;;
esac

# The Debian rustc carries the Xtensa backend; the rustup one on PATH does not.
# --emit=asm gives each crate a textual .s next to its rlib (see build-archive.sh);
# both profiles share one target dir, so the common crates build once, and the
# staticlib is archived right away before the next profile overwrites it.
# -Zlocation-detail=none drops panic locations; -Zfmt-debug=none makes every
# `{:?}` print nothing and derived Debug impls empty, in every crate, which
# drops the names and field printing they kept alive (docs/SIZE.md). Chip
# panics keep their message but lose any Debug-printed values in it; failure
# reasons never use Debug (`make test-reasons-without-debug` checks).
# llvm-ir: the optimised IR next to each .s, for the call graph of the
# static stack analysis (stack-depth.py); it does not change the code.
# The library's fallback clock (certificate dates before SNTP) is the time
# this archive is built: SOURCE_DATE_EPOCH when set (reproducible builds),
# else now, to the hour. build.rs reruns when it changes
# (build_support/build_time.rs); the hour keeps the several archive builds
# of one `make test` from recompiling the library each time, and an hour
# does not matter next to certificate lifetimes.
now=$(date +%s)
export ESPCONN_SECURE_BUILD_TIME="${SOURCE_DATE_EPOCH:-$((now / 3600 * 3600))}"
rustflags="--emit=asm,llvm-ir -Zlocation-detail=none -Zfmt-debug=none ${ESP_RUSTFLAGS_EXTRA:-}"
env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$rustflags" CARGO_TARGET_DIR="$tdir" \
    /usr/bin/cargo build --release -p espconn_secure --lib "${features[@]}" \
    -Zjson-target-spec -Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem \
    --target "$json" ${CARGO_EXTRA:-}

staticlib="$tdir/$triple/release/libespconn_secure.a"
deps="$tdir/$triple/release/deps"

# C glue: vendor CCFLAGS. The LoadStoreError pieces must run while the flash
# cache cannot serve them, so they are built into plain .text, which every
# vendor script places in IRAM after the SDK's exception vectors. The rest
# (chip_rt.c) goes to flash like the Rust code: through the same section
# rewrite (flash-sections.py).
cc=xtensa-lx106-elf-gcc
cflags=(-Os -mlongcalls -mtext-section-literals -fno-jump-tables -nostdlib -ffreestanding -std=gnu11 -Wall -Wextra -Werror -Ic-shim/esp8266)
cobj="$work-c"
rm -rf "$cobj"
mkdir -p "$cobj"
"$cc" "${cflags[@]}" -ffunction-sections -fdata-sections -S c-shim/esp8266/chip_rt.c -o "$cobj/chip_rt.gcc.s"
python3 scripts/esp8266/flash-sections.py "$cobj/chip_rt.gcc.s" "$cobj/chip_rt.s"
xtensa-lx106-elf-as --text-section-literals --longcalls "$cobj/chip_rt.s" -o "$cobj/chip_rt.o"
"$cc" "${cflags[@]}" -c c-shim/esp8266/lse_decode.c -o "$cobj/lse_decode.o"
"$cc" "${cflags[@]}" -c c-shim/esp8266/lse_handler.c -o "$cobj/lse_handler.o"

# The shipped archive leaves the mask ROM's helpers (memcpy, __udivsi3, ...)
# to the ROM: defining them would replace the ROM's copies for the whole
# firmware (docs/CHIP-LAYOUT.md).
ROM_SYMBOLS="$root/scripts/esp8266/rom-symbols.txt" \
    "$root/scripts/esp8266/build-archive.sh" "$staticlib" "$deps" "$out" "$work" "$cobj"/chip_rt.o "$cobj"/lse_*.o
rm -rf "$cobj"
