#!/usr/bin/env python3
"""Size report of a firmware-shaped link: how much of each output section
comes from our archive, from its link map (-Wl,-Map).

usage: size-report.py MAP ARCHIVE_BASENAME [--case NAME] [--goal-irom BYTES] [--limit-irom BYTES]
                      [--base-map MAP]
Prints one line per output section, then, with --case, a bench line
`bench case=NAME bytes=N` where N is the archive's share of .irom0.text.
With --base-map (the link of a program using less of the API) it also prints
how many of those bytes the base link does not have.
Over --goal-irom it warns; over --limit-irom it fails. (Region overflow is
the linker's own error: every region has a length in the script.)
"""
import argparse
import re
import sys
from collections import defaultdict

OUT_RE = re.compile(r"^(\.\S+)(?:\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+)?\s*$")
IN_FULL_RE = re.compile(r"^ (\.\S+|COMMON)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
IN_NAME_RE = re.compile(r"^ (\.\S+|COMMON)\s*$")
IN_TAIL_RE = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


def parse(map_path):
    """Returns {output_section: {origin_file: bytes}}."""
    sizes = defaultdict(lambda: defaultdict(int))
    out_sec = None
    pending = None
    in_map = False
    with open(map_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Linker script and memory map"):
                in_map = True
                continue
            if not in_map:
                continue
            if line.startswith("/DISCARD/"):
                out_sec = None
                continue
            m = OUT_RE.match(line)
            if m and not line.startswith(" "):
                out_sec = m.group(1)
                pending = None
                continue
            if out_sec is None:
                continue
            m = IN_FULL_RE.match(line)
            if m:
                sizes[out_sec][m.group(4).strip()] += int(m.group(3), 16)
                pending = None
                continue
            m = IN_NAME_RE.match(line)
            if m:
                pending = m.group(1)
                continue
            if pending:
                m = IN_TAIL_RE.match(line)
                if m:
                    sizes[out_sec][m.group(3).strip()] += int(m.group(2), 16)
                pending = None
    return sizes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("map")
    ap.add_argument("archive")
    ap.add_argument("--case")
    ap.add_argument("--goal-irom", type=int)
    ap.add_argument("--limit-irom", type=int)
    ap.add_argument("--base-map")
    args = ap.parse_args()

    sizes = parse(args.map)
    ours = lambda origin: re.search(r"(^|/)" + re.escape(args.archive) + r"\(", origin) is not None
    lib_irom = 0
    print(f"size-report: {args.map}: share of {args.archive} per output section")
    for sec in sorted(s for s in sizes if s not in (".comment", ".xtensa.info") and not s.startswith(".debug")):
        total = sum(sizes[sec].values())
        lib = sum(v for k, v in sizes[sec].items() if ours(k))
        if total == 0:
            continue
        print(f"  {sec:<14} total {total:>8}  {args.archive} {lib:>8}")
        if sec == ".irom0.text":
            lib_irom = lib
    # Per-object breakdown of the flash share: where to look when it grows.
    per_obj = defaultdict(int)
    for k, v in sizes.get(".irom0.text", {}).items():
        if ours(k):
            per_obj[k[k.index("(") + 1:-1]] += v
    for obj, v in sorted(per_obj.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {obj:<32} {v:>8}")
    if args.case:
        print(f"bench case={args.case} bytes={lib_irom}")
    if args.base_map:
        base = sum(v for k, v in parse(args.base_map).get(".irom0.text", {}).items() if ours(k))
        print(f"size-report: {args.archive}: {lib_irom - base:+} bytes of irom0 over {args.base_map} ({base})")
    if args.goal_irom is not None:
        verdict = "within" if lib_irom <= args.goal_irom else "OVER"
        print(f"size-report: {args.archive}: {lib_irom} bytes of irom0, {verdict} the {args.goal_irom}-byte goal")
    if args.limit_irom is not None and lib_irom > args.limit_irom:
        print(f"size-report: {args.archive} takes {lib_irom} bytes of irom0, over the {args.limit_irom} goal", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
