#!/usr/bin/env python3
"""The pre-checks against what was allocated, from the simulator's trace.

    SIM_HEAP_TRACE=1 build/host/https_get ... 2>trace.txt
    python3 scripts/heap-steps.py trace.txt

Cuts the run into segments at the library's marks (c-shim/host/sim_heap.c,
`sim_heap_mark`): an engine step's start (`step`, with its pre-check,
`engine::work_estimate`), a resumed step (`resume`), each public-key
operation (`pk`, with its declared need, `provider::cost`), a step's end.
For each segment that allocated anything, or is an operation: its budget,
the heap in use at its start, what it took (its peak growth), and OVER when
it took more than its budget. A segment over budget only matters where the
run's peak is: there a heap just short of the need fails with an
allocation instead of a "needed N bytes, M free" refusal. The segment after
a ClientHello's key share is covered by the build's own pre-check
(`conn`'s SETUP_ESTIMATE).
"""
import re
import sys

MARK = re.compile(r"sim-heap: mark (\w+) (\d+) in_use (\d+)")
USE = re.compile(r"-> in_use (\d+)")


def main():
    segs, cur, peak = [], None, 0
    for line in open(sys.argv[1], errors="replace"):
        m = MARK.search(line)
        if m:
            if cur:
                segs.append(cur)
            kind, n, use = m[1], int(m[2]), int(m[3])
            cur = [kind, n, use, use] if kind in ("step", "resume", "pk") else None
            continue
        m = USE.search(line)
        if m:
            use = int(m[1])
            peak = max(peak, use)
            if cur:
                cur[3] = max(cur[3], use)
    if cur:
        segs.append(cur)
    print(f"peak {peak}")
    for kind, budget, start, top in segs:
        need = top - start
        if need == 0 and kind != "pk":
            continue
        over = " OVER" if kind != "resume" and need > budget else ""
        print(f"{kind:6} budget={budget:5} start={start:6} took={need:5} "
              f"start+budget={start + budget:6} peak={top}{over}")


if __name__ == "__main__":
    main()
