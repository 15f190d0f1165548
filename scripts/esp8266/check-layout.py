#!/usr/bin/env python3
"""Assert that a firmware-shaped link (c-shim/esp8266/nonos-layout.ld, the
vendor scripts' layout) placed the library where a real NONOS firmware needs
it (docs/CHIP-LAYOUT.md):

- the exception vectors where libmain's constant VECBASE expects them:
  _UserExceptionVector at 0x40100050;
- the library's code and constants in irom0; in IRAM only the LoadStoreError
  handler (it repairs faulting flash reads, so it cannot run from flash), and
  that after the vectors; in DRAM nothing but its own .data/.bss;
- every mask-ROM helper the firmware uses resolved to the ROM's address, so
  no copy of ours replaced it (scripts/esp8266/rom-symbols.txt).

usage: check-layout.py ELF MAP ARCHIVE_BASENAME ROM_SYMBOLS
Prints one `ok`/`FAIL` line per check; exits 1 if any fails.
"""
import importlib.util
import os
import re
import subprocess
import sys

USER_VECTOR = 0x40100050
# Members allowed in IRAM: the LoadStoreError handler and its decoder.
IRAM_MEMBERS = ("lse_handler.o", "lse_decode.o")
DRAM_SECTIONS = (".data", ".bss")
# The output sections that load into RAM (nonos-layout.ld); .irom0.text is
# flash, the rest (.comment, .xt.prop, ...) is not loaded.
RAM_SECTIONS = (".dport0.rodata", ".data", ".rodata", ".bss", ".text", ".lit4")


def load_size_report():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("size_report", os.path.join(here, "size-report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def symbols(elf, global_only=False):
    out = subprocess.run(["xtensa-lx106-elf-nm", elf], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and not (global_only and parts[1].islower()):
            syms.setdefault(parts[2], int(parts[0], 16))
    return syms


def rom_symbols(path):
    rom = {}
    with open(path) as f:
        for line in f:
            parts = line.split("#", 1)[0].split()
            if len(parts) == 2:
                rom[parts[0]] = int(parts[1], 16)
    return rom


def main():
    elf, map_path, archive, rom_path = sys.argv[1:5]
    sizes = load_size_report().parse(map_path)
    ours = re.compile(r"(^|/)" + re.escape(archive) + r"\((.*)\)$")
    syms = symbols(elf)
    failures = 0

    def check(ok, what, detail=""):
        nonlocal failures
        failures += not ok
        print(f"check-layout: {'ok  ' if ok else 'FAIL'} {what}{'' if ok else ': ' + detail}")

    vec = syms.get("_UserExceptionVector")
    check(vec == USER_VECTOR, "_UserExceptionVector at 0x40100050", f"at {vec:#x}" if vec else "missing")

    misplaced = []
    for sec, origins in sizes.items():
        for origin, n in origins.items():
            m = ours.search(origin)
            if not m or n == 0 or sec not in RAM_SECTIONS:
                continue
            member = m.group(2)
            if sec in DRAM_SECTIONS or (sec == ".text" and member in IRAM_MEMBERS):
                continue
            misplaced.append(f"{member} {sec} {n} B")
    check(not misplaced, "library code and constants in irom0 (IRAM: the LoadStoreError handler only)",
          "; ".join(sorted(misplaced)))

    vectors_end = syms.get("_vectors_end", 0)
    handler = syms.get("lse_handler")
    if handler is None and "espconn_secure_chip_init" not in syms:
        print("check-layout: --   LoadStoreError handler: not linked (the program makes no TLS connection)")
    else:
        check(handler is not None and handler >= vectors_end,
              "LoadStoreError handler in IRAM after the vectors",
              f"handler at {handler:#x}, vectors end at {vectors_end:#x}" if handler else "handler not linked")

    # The vectors are libmain's (our stand-in's) by design; every other ROM
    # name the firmware resolves must be the ROM's. (A static function of the
    # same name is no override; the archive's own local names are checked by
    # check-undefined.py.)
    rom = rom_symbols(rom_path)
    linked = symbols(elf, global_only=True)
    replaced = sorted(f"{s}@{linked[s]:#x}" for s in rom
                      if s in linked and linked[s] != rom[s] and not s.endswith("ExceptionVector"))
    check(not replaced, "the ROM's helpers stay the ROM's", " ".join(replaced))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
