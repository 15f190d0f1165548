#!/usr/bin/env python3
"""What a heap peak is made of: the blocks live at the simulator's peak.

Run a host program with SIM_HEAP_TRACE=1 (or =2 for callers) and feed its
stderr here:

    SIM_HEAP_TRACE=2 build/host/https_get ... 2>trace.txt
    python3 scripts/heap-peak.py trace.txt build/host/https_get

Prints each block live at the (first) peak, largest first, with the
functions that allocated it when the trace has callers and the binary is
given (resolved with addr2line; our own frames, not the allocator's).
"""
import re
import subprocess
import sys

ALLOC = re.compile(r"sim-heap: alloc (\d+) at (0x[0-9a-f]+) -> in_use (\d+)")
FREE = re.compile(r"sim-heap: free (\d+) at (0x[0-9a-f]+) -> in_use (\d+)")
REALLOC = re.compile(r"sim-heap: realloc (0x[0-9a-f]+) \d+ to (\d+) at (0x[0-9a-f]+) -> in_use (\d+)")
CALLERS = re.compile(r"sim-heap: callers (.*)")
# Frames that say nothing about who wanted the block.
SKIP = re.compile(r"alloc::|__rust|__rdl|__rg_|GlobalAlloc|pvPort|heap_alloc|trace_callers|"
                  r"core::ptr|RawVec|do_reserve|finish_grow|try_reserve|Box<|boxed::|"
                  r"vec::Vec|spec_extend|extend_from|from_iter|clone|to_vec|counting_alloc|"
                  r"platform::alloc|^\?\?")


def main():
    trace, binary = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    # live: address -> block id; sizes and callers by block id (kept).
    live, sizes, callers, peak, at_peak, last = {}, [], {}, -1, None, None
    for line in open(trace, errors="replace"):
        if (m := ALLOC.search(line)):
            size, ptr, use = int(m[1]), m[2], int(m[3])
        elif (m := REALLOC.search(line)):
            live.pop(m[1], None)
            size, ptr, use = int(m[2]), m[3], int(m[4])
        elif (m := FREE.search(line)):
            live.pop(m[2], None)
            last = None
            continue
        elif (m := CALLERS.search(line)):
            if last is not None:
                callers[last] = m[1].split()
            continue
        else:
            continue
        last = len(sizes)
        sizes.append(size)
        live[ptr] = last
        if use > peak:
            peak, at_peak = use, list(live.values())
    if at_peak is None:
        sys.exit("no sim-heap trace lines (run with SIM_HEAP_TRACE=1)")
    names = {}
    addrs = sorted({a for b in at_peak for a in callers.get(b, [])})
    if binary and addrs:
        # Return addresses point after the call: ask for the byte before.
        out = subprocess.run(["addr2line", "-f", "-C", "-e", binary]
                             + [hex(int(a, 16) - 1) for a in addrs],
                             capture_output=True, text=True).stdout.split("\n")
        for i, a in enumerate(addrs):
            names[a] = out[2 * i] if 2 * i < len(out) else "??"
    print(f"peak {peak} bytes in {len(at_peak)} blocks")
    for b in sorted(at_peak, key=lambda b: -sizes[b]):
        who = [names.get(a, a) for a in callers.get(b, [])]
        who = [w for w in who if not SKIP.search(w)][:4]
        print(f"{sizes[b]:7d}  {' <- '.join(who)}")


if __name__ == "__main__":
    main()
