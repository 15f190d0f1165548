#!/usr/bin/env python3
"""Fail when libespconn_secure.a needs a symbol the firmware cannot provide.

A drop-in libmbedtls.a replacement may only lean on the NONOS SDK, the mask
ROM / libgcc helpers and the C library's mem*/str*; anything else would be an
undefined reference in every user's firmware link. The allowlist is
scripts/esp8266/allowed-undefined.txt. Also checks that every [sdk] name has a
link stub in c-shim/esp8266/sdk_stubs.c, so firmware-shaped links stay honest.

With --rom-symbols FILE (scripts/esp8266/rom-symbols.txt) it also fails
when the archive defines a name the mask ROM provides (a copy of ours would
replace the ROM's helper for the whole firmware), or a strong global outside
its own name space (`_R...` Rust symbols, `espconn_secure_*`, and the
`__atomic_*` helpers LLVM calls by name), which could clash with the C
library's (`abort`). Names in FILE count as allowed undefined references.

usage: check-undefined.py ARCHIVE ALLOWLIST SDK_STUBS_C [--rom-symbols FILE]
"""
import re
import subprocess
import sys

NM = "xtensa-lx106-elf-nm"


def load_allowlist(path):
    sections, current = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"\[(\w+)\]", line)
            if m:
                current = m.group(1)
                sections.setdefault(current, set())
                continue
            if current is None:
                sys.exit(f"{path}: name {line!r} before any [section]")
            sections[current].add(line)
    return sections


OWN_STRONG = re.compile(r"^(_R|espconn_secure_|__atomic_)")


def rom_names(path):
    with open(path) as f:
        return {line.split()[0] for line in f if line.strip() and not line.startswith("#")}


def local_definitions(archive):
    """Every name the archive defines, local ones included: a local flash copy
    of a ROM helper would still be what our own calls reach."""
    out = subprocess.run([NM, "--defined-only", archive], check=True, capture_output=True, text=True).stdout
    return {parts[2] for parts in (line.split() for line in out.splitlines()) if len(parts) == 3}


def archive_symbols(archive):
    out = subprocess.run([NM, "-g", archive], check=True, capture_output=True, text=True).stdout
    defined, undefined, strong = set(), {}, set()
    member = "?"
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            member = line[:-1]
            continue
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("U", "w"):
            # 'w' (weak undefined) still needs a definition to be useful at run
            # time; treat it like U so nothing slips by as a null call.
            undefined.setdefault(parts[1], set()).add(member)
        elif len(parts) == 3:
            defined.add(parts[2])
            if parts[1] in "TDBR":
                strong.add(parts[2])
    return defined, undefined, strong


def main():
    archive, allow_path, stubs_path = sys.argv[1:4]
    rom = rom_names(sys.argv[sys.argv.index("--rom-symbols") + 1]) if "--rom-symbols" in sys.argv else set()
    allow = load_allowlist(allow_path)
    allowed = set().union(*allow.values()) | rom
    defined, undefined, strong = archive_symbols(archive)
    over_rom = sorted(local_definitions(archive) & rom)
    foreign = sorted(s for s in strong if not OWN_STRONG.match(s)) if rom else []
    external = {s: m for s, m in undefined.items() if s not in defined}
    bad = sorted(s for s in external if s not in allowed)

    stubs = open(stubs_path).read()
    stubbed = set(re.findall(r"X\((\w+)\)", stubs))
    # The ROM's names come from rom.ld in the firmware-shaped links, not stubs.
    unstubbed = sorted(allow.get("sdk", set()) - stubbed - rom)

    print(f"check-undefined: {archive}: {len(external)} external symbols, all but {len(bad)} allowed")
    for s in sorted(external):
        print(f"  {'ok ' if s in allowed else 'BAD'} {s}")
    if bad:
        print("check-undefined: not in scripts/esp8266/allowed-undefined.txt:", file=sys.stderr)
        for s in bad:
            print(f"  {s}  (from {', '.join(sorted(external[s]))})", file=sys.stderr)
    if unstubbed:
        print(f"check-undefined: [sdk] names without a stub in {stubs_path}: {' '.join(unstubbed)}", file=sys.stderr)
    if over_rom:
        print(f"check-undefined: the archive defines names the mask ROM provides: {' '.join(over_rom)}", file=sys.stderr)
    if foreign:
        print(f"check-undefined: strong definitions outside the library's names: {' '.join(foreign)}", file=sys.stderr)
    if rom:
        print(f"check-undefined: {len(rom)} ROM names, none defined here: {'no' if over_rom else 'yes'}; "
              f"strong names all ours: {'no' if foreign else 'yes'}")
    return 1 if bad or unstubbed or over_rom or foreign else 0


if __name__ == "__main__":
    sys.exit(main())
