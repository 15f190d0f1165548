#!/usr/bin/env python3
"""Fail when libespconn_secure.a needs a symbol the firmware cannot provide.

A drop-in libmbedtls.a replacement may only lean on the NONOS SDK, the mask
ROM / libgcc helpers and the C library's mem*/str*; anything else would be an
undefined reference in every user's firmware link. The allowlist is
scripts/esp8266/allowed-undefined.txt. Also checks that every [sdk] name has a
link stub in c-shim/esp8266/sdk_stubs.c, so firmware-shaped links stay honest.

usage: check-undefined.py ARCHIVE ALLOWLIST SDK_STUBS_C
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


def archive_symbols(archive):
    out = subprocess.run([NM, "-g", archive], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), {}
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
    return defined, undefined


def main():
    archive, allow_path, stubs_path = sys.argv[1:4]
    allow = load_allowlist(allow_path)
    allowed = set().union(*allow.values())
    defined, undefined = archive_symbols(archive)
    external = {s: m for s, m in undefined.items() if s not in defined}
    bad = sorted(s for s in external if s not in allowed)

    stubs = open(stubs_path).read()
    stubbed = set(re.findall(r"X\((\w+)\)", stubs))
    unstubbed = sorted(allow.get("sdk", set()) - stubbed)

    print(f"check-undefined: {archive}: {len(external)} external symbols, all but {len(bad)} allowed")
    for s in sorted(external):
        print(f"  {'ok ' if s in allowed else 'BAD'} {s}")
    if bad:
        print("check-undefined: not in scripts/esp8266/allowed-undefined.txt:", file=sys.stderr)
        for s in bad:
            print(f"  {s}  (from {', '.join(sorted(external[s]))})", file=sys.stderr)
    if unstubbed:
        print(f"check-undefined: [sdk] names without a stub in {stubs_path}: {' '.join(unstubbed)}", file=sys.stderr)
    return 1 if bad or unstubbed else 0


if __name__ == "__main__":
    sys.exit(main())
