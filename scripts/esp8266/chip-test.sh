#!/usr/bin/env bash
# Build and run the QEMU chip tests (tests/chip): known-answer tests of the
# library's crypto and of the LoadStoreError decoder on the LX106 core, and a
# full TLS 1.2 handshake (EC and RSA chains) between the library's own client
# and server, with `bench case=lx106_<op> insns=N stack=N heap=N` lines
# (`heap_peak=N` for the handshakes). Exit status: failures.
#
# usage: chip-test.sh OUT_DIR
# Environment: CHIP_TEST_CARGO_FLAGS (e.g. --no-default-features to measure the
#   crypto with the firmware's own runtime while the library does not build;
#   the handshake is then skipped, which tests/chip.rs counts as a failure),
#   CHIP_TEST_TIMEOUT (seconds of QEMU, default 180: the whole image, both
#   handshakes included, runs in about 2 s of QEMU on this machine),
#   ESP_RUSTFLAGS_EXTRA (added to RUSTFLAGS, as for build.sh: the speed side
#   of a size experiment) with CHIP_TEST_TARGET_DIR (default target/esp8266-chip).
set -euo pipefail

out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p "$out"
out=$(realpath "$out")

json=$root/targets/xtensa-esp8266-none-elf.json
triple=xtensa-esp8266-none-elf
tdir=${CHIP_TEST_TARGET_DIR:-$root/target/esp8266-chip}

(cd tests/chip/firmware &&
    env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="--emit=asm ${ESP_RUSTFLAGS_EXTRA:-}" CARGO_TARGET_DIR="$tdir" \
        /usr/bin/cargo build --release --lib ${CHIP_TEST_CARGO_FLAGS:-} \
        -Zjson-target-spec -Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem \
        --target "$json")

scripts/esp8266/build-archive.sh "$tdir/$triple/release/libespconn_secure_chip_tests.a" \
    "$tdir/$triple/release/deps" "$out/libchiptests.a" "$out/work"

cc=xtensa-lx106-elf-gcc
cflags=(-Os -mlongcalls -mtext-section-literals -ffunction-sections -fdata-sections -fno-jump-tables
    -nostdlib -ffreestanding -std=gnu11 -Wall -Wextra -Werror -Ic-shim/esp8266)
objs=()
for src in tests/chip/start.S tests/chip/rt.c tests/chip/lse_test.c \
    c-shim/esp8266/lse_decode.c c-shim/esp8266/chip_rt.c; do
    o="$out/$(basename "${src%.*}").o"
    "$cc" "${cflags[@]}" -c "$src" -o "$o"
    objs+=("$o")
done

# libsdkstub.a (weak stubs) soaks up SDK references from library code that
# the tests never reach; rt.c's strong definitions win where they matter.
stub="$out/../libsdkstub.a"
[[ -f $stub ]] || make --no-print-directory "$(realpath --relative-to="$root" "$stub")"
"$cc" -nostdlib -T tests/chip/sim.ld -Wl,--gc-sections -Wl,--no-warn-execstack \
    -Wl,-Map,"$out/chiptests.map" "${objs[@]}" \
    -Wl,--start-group "$out/libchiptests.a" "$stub" -lgcc -Wl,--end-group -o "$out/chiptests.elf"
xtensa-lx106-elf-size "$out/chiptests.elf"

# -icount shift=0: one instruction per virtual ns, so CCOUNT is a faithful
# instruction counter (25 per tick on this machine model).
set +e
timeout "${CHIP_TEST_TIMEOUT:-180}" qemu-system-xtensa -M sim -cpu lx106 -semihosting \
    -icount shift=0 -nographic -monitor none -serial none -kernel "$out/chiptests.elf" \
    | tee "$out/chiptests.log"
rc=${PIPESTATUS[0]}
set -e
if ! grep -q '^done pass=' "$out/chiptests.log"; then
    echo "chip-test: the image did not finish (rc=$rc)" >&2
    exit 1
fi
exit "$rc"
