#!/usr/bin/env python3
"""Rewrite an LX106 assembly file so that every vendor linker script puts its
code and constants in flash (irom0), unchanged.

The SDK's scripts (docs/CHIP-LAYOUT.md) send only input sections named exactly
`.irom0.text` / `.irom.text` (and `*libmbedtls.a:` members' `.text.*`) to
irom0; any other `.text*` goes to the 32 KiB IRAM and any `.rodata*` to DRAM.
So each code or constant section `S` becomes a section named `.irom0.text`
with its own `unique` id: the name every script places in flash, one input
section per original section, so `--gc-sections` still drops unused
functions one by one in the user's link.

Literal pools: LLVM prints a function's `.literal_position` / `.literal` block
*before* switching to that function's section, so the pool would land in the
previous function's section. The block is moved behind the `.section`
directives that follow it, and the file is assembled with
`--text-section-literals`: each function carries its own pool in front of its
code (L32R reaches backwards only), and no shared `.irom0.literal` section
ties every function to every other for the garbage collector.

Mergeable-constant flags (M, S and the entry size) are dropped: sections of
one name may not mix flags, and the savings are a few hundred bytes.

With --rom-names FILE (scripts/esp8266/rom-symbols.txt), definitions of the
names the mask ROM provides (compiler_builtins' memcpy, __udivsi3, ...) are
turned into local labels: every call, compiler_builtins' own included, then
reaches the ROM's copy, and no flash copy can replace the ROM's helper for
the SDK's code (which may run with the flash cache off).

usage: flash-sections.py IN.s OUT.s [--rom-names FILE]
"""
import re
import sys

SECTION = re.compile(r"^\s*\.section\s+([^,\s]+)(?:,\s*\"([^\"]*)\")?(.*)$")
BARE = re.compile(r"^\s*\.(text|rodata)\s*$")
LITERAL = re.compile(r"^\s*\.literal(_position)?\b")
FLASH_PREFIXES = (".text", ".rodata")


def to_flash(name):
    return name in FLASH_PREFIXES or name.startswith(tuple(p + "." for p in FLASH_PREFIXES))


class Rewriter:
    def __init__(self):
        self.ids = {}
        self.out = []

    def section(self, name, flags):
        """The directive for `name`; the first entry also aligns the section to
        4 bytes (literals and flash loads want it; ld takes a section's
        alignment from its directives)."""
        first = name not in self.ids
        if first:
            self.ids[name] = len(self.ids) + 1
        kind = "ax" if "x" in flags else "a"
        self.out.append(f'\t.section\t.irom0.text,"{kind}",@progbits,unique,{self.ids[name]}\n')
        if first:
            self.out.append("\t.p2align\t2\n")

    def line(self, text):
        m = SECTION.match(text)
        if m and to_flash(m.group(1)):
            flags = m.group(2) if m.group(2) is not None else ("ax" if m.group(1).startswith(".text") else "a")
            self.section(m.group(1), flags)
            return
        m = BARE.match(text)
        if m:
            self.section("." + m.group(1), "ax" if m.group(1) == "text" else "a")
            return
        self.out.append(text)


def drop_definitions(lines, names):
    """Definitions of `names` become local labels; references stay."""
    binding = re.compile(r"^\s*\.(globl|global|weak|hidden)\s+(\S+)\s*$")
    typed = re.compile(r"^(\s*\.(?:type|size)\s+)([^,\s]+)(.*)$", re.S)
    label = re.compile(r"^([A-Za-z_.$][\w.$]*):(.*)$", re.S)
    out = []
    for text in lines:
        m = binding.match(text)
        if m and m.group(2) in names:
            continue
        m = typed.match(text)
        if m and m.group(2) in names:
            rest = m.group(3).replace(m.group(2), ".Lrom_" + m.group(2))
            out.append(f"{m.group(1)}.Lrom_{m.group(2)}{rest}")
            continue
        m = label.match(text)
        if m and m.group(1) in names:
            out.append(f".Lrom_{m.group(1)}:{m.group(2)}")
            continue
        out.append(text)
    return out


def rewrite(lines):
    rw = Rewriter()
    pending = []  # a literal block waiting for the section it belongs to
    for text in lines:
        if LITERAL.match(text):
            pending.append(text)
            continue
        switch = SECTION.match(text) or BARE.match(text)
        if pending and switch and to_flash("." + switch.group(1).lstrip(".")):
            rw.line(text)  # the block follows the switch, not the other way round
            continue
        if pending and text.strip():
            rw.out.extend(pending)
            pending = []
        rw.line(text)
    rw.out.extend(pending)
    return rw.out


def main():
    src, dst = sys.argv[1:3]
    with open(src) as f:
        lines = f.readlines()
    if "--rom-names" in sys.argv:
        with open(sys.argv[sys.argv.index("--rom-names") + 1]) as f:
            names = {line.split()[0] for line in f if line.strip() and not line.startswith("#")}
        lines = drop_definitions(lines, names)
    with open(dst, "w") as f:
        f.writelines(rewrite(lines))


if __name__ == "__main__":
    main()
