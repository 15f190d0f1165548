#!/usr/bin/env bash
# Turn the Rust staticlib built with RUSTFLAGS=--emit=asm into an archive GNU ld
# accepts: LLVM's integrated assembler drops L32R literal pools unaligned at the
# tail of whatever section is current, while its textual assembly is right, so
# every crate's object is rebuilt from its .s with the GNU assembler. The
# staticlib's member list says which crates (and which hashes) are really
# linked, so stale .s files from other builds in deps/ are never picked up.
#
# Every code and constant section becomes a `.irom0.text` section of its own
# (flash-sections.py): the name every vendor linker script places in flash.
# The objects then call `espconn_secure_abort` where LLVM called `abort`, so
# the archive never defines a name a C library defines too.
#
# usage: build-archive.sh STATICLIB DEPS_DIR OUT_ARCHIVE WORK_DIR [extra objects...]
# Environment: ROM_SYMBOLS=FILE (scripts/esp8266/rom-symbols.txt): no object
# defines a name in FILE, so the firmware link resolves every call to the
# mask ROM's copy (the shipped archive; the QEMU images, which have no ROM,
# keep compiler_builtins' copies).
set -euo pipefail

staticlib=$(realpath "$1") deps=$2 out=$3 work=$4
shift 4
AR=${AR:-xtensa-lx106-elf-ar}
AS=${AS:-xtensa-lx106-elf-as}
JOBS=${JOBS:-$(nproc)}

rm -rf "$work"
mkdir -p "$work/extract" "$work/obj"

declare -A seen=()
asm_list=()
raw_list=()
while IFS= read -r member; do
    # <crate>-<16 hex>.<crate>.<hash>-cgu.<n>.rcgu.o is a codegen unit of a crate
    if [[ $member =~ ^([A-Za-z0-9_]+)-([0-9a-f]{16})\..*-cgu\.[0-9]+\.rcgu\.o$ ]]; then
        crate=${BASH_REMATCH[1]} hash=${BASH_REMATCH[2]}
        s="$deps/$crate-$hash.s"
        if [[ ! -f $s ]]; then
            echo "build-archive: $member has no $s (was RUSTFLAGS=--emit=asm set and codegen-units=1?)" >&2
            exit 1
        fi
        key="$crate-$hash"
        if [[ -z ${seen[$key]:-} ]]; then
            seen[$key]=1
            asm_list+=("$s")
        fi
    else
        # The allocator shim (and nothing else today) has no .s: rustc writes
        # it straight to an object, and it is small enough to carry no literal
        # pools worth worrying about.
        raw_list+=("$member")
    fi
done < <("$AR" t "$staticlib")

if ((${#asm_list[@]} == 0)); then
    echo "build-archive: no Rust codegen units found in $staticlib" >&2
    exit 1
fi

# The list of assembly files is kept for the static stack analysis
# (stack-depth.py), which reads the same code the archive holds.
printf '%s\n' "${asm_list[@]}" >"$work/asm-files.txt"
here=$(cd "$(dirname "$0")" && pwd)
printf '%s\n' "${asm_list[@]}" | xargs -P "$JOBS" -I{} sh -c '
    s="$1"; b=$(basename "$s" .s); crate=${b%-*}
    python3 "$4/flash-sections.py" "$s" "$3/obj/$crate.s" ${5:+--rom-names "$5"} &&
    "$2" --text-section-literals -o "$3/obj/$crate.o" "$3/obj/$crate.s" && rm "$3/obj/$crate.s"' _ {} "$AS" "$work" "$here" "${ROM_SYMBOLS:-}"

if ((${#raw_list[@]})); then
    (cd "$work/extract" && "$AR" x "$staticlib" "${raw_list[@]}")
    for m in "${raw_list[@]}"; do
        # Short, stable member names make the link map readable. Its code
        # goes to flash like the rest (its one literal sits in `.text`, before
        # the functions that load it, and stays there); no unwinding, so no
        # .eh_frame (which the vendor scripts would put in DRAM).
        o="$work/obj/rust_${m%%-*}_shim.o"
        renames=()
        while read -r sec; do
            renames+=(--rename-section "$sec=.irom0.text")
        done < <("${OBJDUMP:-xtensa-lx106-elf-objdump}" -h "$work/extract/$m" |
            awk '$2 ~ /^\.(text|rodata)(\.|$)/ {print $2}')
        "${OBJCOPY:-xtensa-lx106-elf-objcopy}" -R .eh_frame -R .rela.eh_frame "${renames[@]}" "$work/extract/$m" "$o"
    done
fi

for o in "$@"; do
    cp "$o" "$work/obj/"
done

for o in "$work"/obj/*.o; do
    "${OBJCOPY:-xtensa-lx106-elf-objcopy}" --redefine-sym abort=espconn_secure_abort "$o"
done

mkdir -p "$(dirname "$out")"
rm -f "$out"
"$AR" crs "$out" "$work"/obj/*.o
echo "build-archive: $out: ${#asm_list[@]} crates assembled, ${#raw_list[@]} object(s) taken as is, $# C object(s)"
