#!/usr/bin/env bash
# Turn the Rust staticlib built with RUSTFLAGS=--emit=asm into an archive GNU ld
# accepts: LLVM's integrated assembler drops L32R literal pools unaligned at the
# tail of whatever section is current, while its textual assembly is right, so
# every crate's object is rebuilt from its .s with the GNU assembler. The
# staticlib's member list says which crates (and which hashes) are really
# linked, so stale .s files from other builds in deps/ are never picked up.
#
# usage: build-archive.sh STATICLIB DEPS_DIR OUT_ARCHIVE WORK_DIR [extra objects...]
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
printf '%s\n' "${asm_list[@]}" | xargs -P "$JOBS" -I{} sh -c '
    s="$1"; b=$(basename "$s" .s); crate=${b%-*}
    exec "$2" -o "$3/obj/$crate.o" "$s"' _ {} "$AS" "$work"

if ((${#raw_list[@]})); then
    (cd "$work/extract" && "$AR" x "$staticlib" "${raw_list[@]}")
    for m in "${raw_list[@]}"; do
        # Short, stable member names make the link map readable.
        cp "$work/extract/$m" "$work/obj/rust_${m%%-*}_shim.o"
    done
fi

for o in "$@"; do
    cp "$o" "$work/obj/"
done

mkdir -p "$(dirname "$out")"
rm -f "$out"
"$AR" crs "$out" "$work"/obj/*.o
echo "build-archive: $out: ${#asm_list[@]} crates assembled, ${#raw_list[@]} object(s) taken as is, $# C object(s)"
