#!/usr/bin/env python3
"""Worst-case stack depth of the library on the ESP8266, by static analysis
of what the chip build leaves next to each crate's rlib (build.sh:
RUSTFLAGS=--emit=asm,llvm-ir, one .s and one .ll per crate; the list of
crates really in the archive is build-archive.sh's asm-files.txt).
Method and limits: docs/STACK.md.

Frames (from the assembly): every function's prologue moves a1, the stack
pointer of the call0 ABI, down by a constant: `addi a8, a1, -N; or a1, a8,
a8`, or `movi`/`l32r` of a larger constant and `add`/`sub`. Register
constants are followed through each function and the lowest a1 is its frame.
A change of a1 by an unknown amount (alloca) is reported; none exist today.

Call graph (from the optimised LLVM IR, which codegen does not inline
further): direct calls, plus the library calls the backend adds (memcpy,
__muldi3, __atomic_*) taken from the assembly's call0/callx0. An indirect call
(trait object, fn pointer) is resolved to the functions whose address is
taken anywhere that have the same LLVM kind (return and parameter types);
when the pointer was loaded from a constant offset (a vtable slot), to those
stored at that offset of a constant object; of a generic trait
(`State<ClientConnectionData>`, `FnMut<(&TrustAnchor,)>`) only impls whose
type arguments appear in the caller's name; and only traits of a crate the
caller's crate depends on (Cargo.lock). That over-approximates (two traits
with the same slot and kind are confused) but never drops a real target of
a vtable call; the few calls through a computed address are listed.

Cycles (recursion) are collapsed: each strongly connected component is
charged once, at its largest frame plus its deepest way out. Panics end in
the handler that prints and restarts (a nested panic aborts): the panic path
is measured once with edges back into panicking functions cut.

Roots: the engine steps, i.e. the instances of `platform::run_step::trampoline`
that the chip runs on the dedicated engine stack (building the engine and
`process()`: the stack switch cuts the edge from the caller); and, for the
system stack, the exported `espconn_secure_*` functions and the SDK
callbacks, whose light steps (receive, write, read, close) run under the
same trampoline on the caller's stack and so stay in that graph. Functions outside the Rust code (the SDK's os_printf_plus,
pvPortMalloc, ROM memcpy, the C glue) count 0 bytes.

Views: each engine step is bounded on the graph of what can run in it, and
`--check` compares the bounds with the stacks the steps get
(src/platform/mod.rs). In every view, a rustls function reaches
`Signer::sign` impls only if it is one of the four that call it
(SIGNING_FNS; vendor/rustls keeps them out of line, and `check_sign_calls`
fails if the source has a `.sign(` call anywhere else that is not one of
the known HMAC ones): rustls's other indirect calls through the same vtable
slot with the same kind (`ActiveKeyExchange::complete`, `dyn HkdfExpander`
methods in the key schedule) are not calls to a signer. `setup` (building
the engine, HANDSHAKE_STACK): nothing has been received yet, so no
`State::handle` impl runs. `process` (input while
handshaking, HANDSHAKE_STACK): everything. `traffic` (input once the handshake
is complete, TRAFFIC_STACK): rustls's state is its `ExpectTraffic` for good
(no renegotiation: `process_main_protocol` answers a TLS 1.2 HelloRequest or
ClientHello with a no_renegotiation warning), so no other `State::handle`
impl runs; and no key exchange runs either. rustls starts and completes a
key exchange only in handshake states (the ClientHello's key shares, the
ServerHello, the server's ClientHello); what ExpectTraffic handles, TLS 1.3
KeyUpdate and NewSessionTicket, derives keys by HKDF alone, and TLS 1.2's
takes application data only. So the traffic view has no edge into the impls
of `SupportedKxGroup::start`/`start_and_complete` and
`ActiveKeyExchange::complete*` (KX_FNS): those the full graph has from what a
traffic step reaches are slot collisions (the key schedule's `dyn Hkdf*`
calls, `dyn TimeProvider::current_time`, the engine's closure), and the
script fails if one of them is a direct call, or if KX_FNS matches no
`start` or `complete` impl (a rename would silently bring the P-384 key
exchange back into the traffic bound). `make test` runs the check.

usage: stack-depth.py ASM_LIST [--lock Cargo.lock] [--top N] [--steps]
                      [--check src/platform/mod.rs]
Prints `bench case=stack_xtensa bytes=N` (deepest engine step),
`bench case=stack_xtensa_step step=setup|process|traffic bytes=N`,
`bench case=stack_xtensa_system bytes=N` and the deepest chains.
"""

import argparse
import collections
import os
import re
import subprocess
import sys

TYPE_FN = re.compile(r"^\s*\.type\s+([^,\s]+),\s*@function")
LABEL = re.compile(r"^([^\s:#][^\s:]*):\s*(?:#.*)?$")
LITERAL = re.compile(r"^\s*\.literal\s+(\S+),\s*(.+?)\s*$")
SECTION = re.compile(r"^\s*\.section\s+([^,\s]+)")
INSN = re.compile(r"^\s+([a-z][a-z0-9.]*)\s*(.*?)\s*(?:#.*)?$")
# Functions that only end in a panic (the chip's handler restarts).
NO_RETURN = re.compile(r"(^core::panicking::|^rust_begin_unwind$|::panic_fmt$|_fail$|_failed$|::capacity_overflow$"
                       r"|handle_alloc_error|::alloc_error|::assert_failed|::unwrap_failed|::expect_failed"
                       r"|^std::panicking::|::rust_panic|::panic_|::panic$|__rust_alloc_error_handler)")



def data_size(directive, args):
    """Bytes a data directive emits (enough for offsets inside objects)."""
    d = directive
    if d in ("long", "word", "4byte", "int"):
        return 4 * (args.count(",") + 1)
    if d in ("short", "2byte", "half"):
        return 2 * (args.count(",") + 1)
    if d in ("byte",):
        return args.count(",") + 1
    if d in ("quad", "8byte"):
        return 8 * (args.count(",") + 1)
    if d in ("zero", "space", "skip"):
        try:
            return int(args.split(",")[0], 0)
        except ValueError:
            return 0
    if d in ("ascii", "asciz", "string"):
        n = 0
        for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', args):
            n += len(bytes(lit, "utf-8").decode("unicode_escape").encode("latin-1", "replace"))
            if d != "ascii":
                n += 1
        return n
    return 0


class Fn:
    __slots__ = ("name", "frame", "dynamic", "callees", "refs", "indirect", "ir", "ir_callees", "ir_indirect")

    def __init__(self, name):
        self.name = name
        self.frame = 0
        self.dynamic = False
        self.callees = set()  # reached by call0 / callx0 / jx / j
        self.refs = set()  # named in its literal pool
        self.indirect = []  # byte offsets of `l32i` feeding callx0 (None: unknown)
        self.ir = False  # the LLVM IR defines it (then its calls come from there)
        self.ir_callees = set()
        self.ir_indirect = []  # parameter kinds of its indirect calls


def write_reg(cur, regs, sp, dest, val):
    """Register `dest` takes the tracked value `val` (None: unknown). Into a1
    it moves the stack pointer: returns the new offset and records the frame
    (an unknown value there is a dynamic adjustment)."""
    if dest == "a1":
        if val and val[0] == "sp":
            cur.frame = max(cur.frame, -val[1])
            return val[1]
        cur.dynamic = True
    elif val is None:
        regs.pop(dest, None)
    else:
        regs[dest] = val
    return sp


def parse(files):
    fns = {}
    slots = collections.defaultdict(set)  # offset -> functions stored there in data
    data_fns = set()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        fn_names = set()
        lits = {}
        for ln in lines:
            m = TYPE_FN.match(ln)
            if m:
                fn_names.add(m.group(1))
                continue
            m = LITERAL.match(ln)
            if m:
                lits[m.group(1)] = m.group(2)
        cur = None
        regs = {}
        slots_sp = {}
        sp = 0
        in_text = True
        data_off = None
        for ln in lines:
            m = SECTION.match(ln)
            if m:
                sec = m.group(1)
                in_text = sec.startswith(".text") or sec == ".literal"
                if not in_text:
                    cur = None
                continue
            m = LABEL.match(ln)
            if m:
                name = m.group(1)
                if name in fn_names:
                    cur = fns.setdefault(name, Fn(name))
                    regs, sp, slots_sp = {}, 0, {}
                elif not in_text:
                    data_off = 0
                continue
            if not in_text:
                m = re.match(r"^\s*\.([a-z0-9]+)\s*(.*)$", ln)
                if m and data_off is not None:
                    d, args = m.group(1), m.group(2)
                    if d in ("long", "word", "4byte"):
                        for a in args.split(","):
                            a = a.strip()
                            if a in fn_names or a.startswith("_R") or a.startswith("_ZN"):
                                slots[data_off].add(a)
                                data_fns.add(a)
                            data_off += 4
                    else:
                        data_off += data_size(d, args)
                continue
            if cur is None:
                continue
            m = INSN.match(ln)
            if not m:
                continue
            op, args = m.group(1), [a.strip() for a in m.group(2).split(",")] if m.group(2) else []
            if op.startswith("."):
                continue
            if op == "movi" and len(args) == 2:
                try:
                    regs[args[0]] = ("c", int(args[1], 0))
                except ValueError:
                    regs[args[0]] = ("s", args[1])
            elif op == "l32r" and len(args) == 2:
                v = lits.get(args[1])
                if v is None:
                    regs.pop(args[0], None)
                else:
                    try:
                        regs[args[0]] = ("c", int(v, 0))
                    except ValueError:
                        regs[args[0]] = ("s", v)
                        if not v.startswith("."):
                            cur.refs.add(v)
            elif op in ("l32i", "l32i.n") and len(args) == 3:
                try:
                    off = int(args[2], 0)
                except ValueError:
                    off = None
                if args[1] == "a1":
                    # A spilled register coming back (e.g. a callee's address
                    # loaded with l32r before a loop).
                    v = slots_sp.get((sp, off))
                    if v is None:
                        regs.pop(args[0], None)
                    else:
                        regs[args[0]] = v
                else:
                    regs[args[0]] = ("m", off)
            elif op in ("s32i", "s32i.n") and len(args) == 3 and args[1] == "a1":
                try:
                    off = int(args[2], 0)
                except ValueError:
                    off = None
                v = regs.get(args[0])
                if v is None:
                    slots_sp.pop((sp, off), None)
                else:
                    slots_sp[(sp, off)] = v
            elif op in ("or", "mov", "mov.n") and (len(args) == 3 and args[1] == args[2] or len(args) == 2):
                src = regs.get(args[1]) if args[1] != "a1" else ("sp", sp)
                sp = write_reg(cur, regs, sp, args[0], src)
            elif op in ("addi", "addi.n", "addmi") and len(args) == 3:
                base = ("sp", sp) if args[1] == "a1" else regs.get(args[1])
                try:
                    imm = int(args[2], 0)
                except ValueError:
                    imm = None
                val = None
                if base and imm is not None:
                    if base[0] == "sp":
                        val = ("sp", base[1] + imm)
                    elif base[0] == "c":
                        val = ("c", base[1] + imm)
                sp = write_reg(cur, regs, sp, args[0], val)
            elif op in ("add", "sub", "add.n") and len(args) == 3:
                a = ("sp", sp) if args[1] == "a1" else regs.get(args[1])
                b = ("sp", sp) if args[2] == "a1" else regs.get(args[2])
                val = None
                if a and b:
                    if a[0] == "sp" and b[0] == "c":
                        val = ("sp", a[1] + (b[1] if op != "sub" else -b[1]))
                    elif b[0] == "sp" and a[0] == "c" and op != "sub":
                        val = ("sp", b[1] + a[1])
                    elif a[0] == "c" and b[0] == "c":
                        val = ("c", a[1] + b[1] if op != "sub" else a[1] - b[1])
                sp = write_reg(cur, regs, sp, args[0], val)
            elif op == "and" and len(args) == 3 and args[0] == "a1":
                # Over-aligned frame: a1 = (a1 - N) & -A costs up to A-4 more.
                a = regs.get(args[1]) if args[1] != "a1" else ("sp", sp)
                b = regs.get(args[2])
                if a and a[0] == "sp" and b and b[0] == "c" and b[1] < 0:
                    sp = a[1] - (-b[1] - 4)
                    cur.frame = max(cur.frame, -sp)
                else:
                    cur.dynamic = True
            elif op == "call0" and args:
                cur.callees.add(args[0])
            elif op in ("callx0", "jx") and args:
                v = regs.get(args[0])
                if v and v[0] == "s":
                    cur.callees.add(v[1])
                elif op == "callx0":
                    cur.indirect.append(v[1] if v and v[0] == "m" else None)
            elif op in ("j",) and args and not args[0].startswith(".L"):
                cur.callees.add(args[0])  # tail call
            elif args and not (op.startswith("s") and op[1:2] in "13") and not op.startswith("b") \
                    and op not in ("wsr", "wur", "j", "ret", "ret.n"):
                # Any other instruction writing a register: its value is unknown.
                if args[0] == "a1":
                    cur.dynamic = True
                regs.pop(args[0], None)
    return fns, slots, data_fns


def demangle(names):
    if not names:
        return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.split("\n")
    res = {}
    for n, d in zip(names, out):
        d = re.sub(r"\[[0-9a-f]{16}\]", "", d)
        res[n] = d
    return res


PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+")
TRAIT_ARGS = re.compile(r" as [A-Za-z0-9_:]+<(.*)>>::[A-Za-z0-9_]+$")


def trait_crate(dm):
    """The crate defining the trait of `<T as krate::Trait>::m` (the
    function's own crate for anything else)."""
    m = re.search(r" as ([A-Za-z_][A-Za-z0-9_]*)::", dm)
    if m:
        return m.group(1)
    m = re.match(r"^[<&]*([A-Za-z_][A-Za-z0-9_]*)::", dm)
    return m.group(1) if m else ""


def generic_ok(caller_dm, cand_dm):
    """A method of a generic trait (`State<ClientConnectionData>`,
    `FnMut<(&TrustAnchor,)>`) is only called from code instantiated with
    those types: every path in the trait's arguments must appear in the
    caller's (demangled) name."""
    m = TRAIT_ARGS.search(cand_dm)
    if not m:
        return True
    return all(a in caller_dm for a in PATH.findall(m.group(1)))


def crate_deps(lock_path):
    """{crate: every crate it depends on, itself included} from Cargo.lock
    (library names: hyphens as underscores, rustls-webpki is `webpki`)."""
    def lib(n):
        return {"rustls-webpki": "webpki"}.get(n, n).replace("-", "_")
    direct = collections.defaultdict(set)
    name = None
    in_deps = False
    with open(lock_path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.strip()
            if ln == "[[package]]":
                name, in_deps = None, False
            elif ln.startswith("name = "):
                name = lib(ln.split('"')[1])
            elif ln.startswith("dependencies = ["):
                in_deps = True
            elif in_deps and ln.startswith('"'):
                direct[name].add(lib(ln.split('"')[1].split()[0]))
            elif ln == "]":
                in_deps = False
    closure = {}

    def walk(c, seen):
        for d in direct.get(c, ()):
            if d not in seen:
                seen.add(d)
                walk(d, seen)
        return seen

    for c in list(direct):
        closure[c] = walk(c, {c})
    return closure


def crates_named(dm):
    """The crates whose paths a demangled name starts with (both sides of
    `<A as B>::m`)."""
    out = set()
    for m in re.finditer(r"(?:^|<|&|\bas |\()\s*(?:&|mut |dyn |\*const |\*mut )*([A-Za-z_][A-Za-z0-9_]*)::", dm):
        out.add(m.group(1))
    return out


DEFINE = re.compile(r"^define\s[^@]*@(\"[^\"]+\"|[\w.$-]+)\((.*)\)[^(]*\{\s*$")
CALL = re.compile(r"\b(?:call|invoke)\b(.*?)\s(@\"[^\"]+\"|@[\w.$-]+|%[\w.$-]+)\((.*)$")
FNREF = re.compile(r"\bptr @(\"[^\"]+\"|[\w.$-]+)")
# LLVM intrinsics that become library calls (or nothing) on the LX106.
INTRINSIC_CALLS = {"llvm.memcpy": "memcpy", "llvm.memmove": "memmove", "llvm.memset": "memset"}


def split_top(args):
    """Split an LLVM argument list at top-level commas. Bytes inside string
    constants (`c"..."`, e.g. a vtable's size and alignment) are data, not
    brackets or commas."""
    out, depth, cur = [], 0, []
    quoted = False
    for ch in args:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            pass
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


TYPE_TOKEN = re.compile(r"^(void|ptr|i\d+|float|double|\{.*\}|\[.*\]|<.*>)$")


def ret_type(prefix):
    """The return type in the text before a function's name (`define
    internal fastcc noundef zeroext i1` -> i1)."""
    toks = [t for t in prefix.replace("(", " ( ").split() if TYPE_TOKEN.match(t)]
    return toks[-1] if toks else "?"


def kind(params, ret="?"):
    """A function's kind: its return type and the LLVM types of its
    parameters (the first token of each: `ptr`, `i32`, `i1`, ...)."""
    return (ret,) + tuple(p.split()[0] if p.split() else "" for p in split_top(params))


def type_size(t):
    """Bytes of an LLVM type on the LX106 (32-bit pointers, packed
    structs as rustc prints vtables), enough for offsets in constant data."""
    t = t.strip()
    if t in ("ptr", "i32", "float"):
        return 4
    if t in ("i64", "double"):
        return 8
    if t == "i16":
        return 2
    if t in ("i8", "i1"):
        return 1
    m = re.match(r"^\[(\d+) x (.*)\]$", t)
    if m:
        return int(m.group(1)) * type_size(m.group(2))
    m = re.match(r"^<?\{(.*)\}>?$", t)
    if m:
        return sum(type_size(x) for x in split_top(m.group(1)))
    return 4


def first_type(elem):
    """The type at the start of `<type> <value>` (types may nest)."""
    elem = elem.strip()
    if elem[:1] in "[<{":
        close = {"[": "]", "<": ">", "{": "}"}
        depth = 0
        for i, ch in enumerate(elem):
            if ch in "[<{":
                depth += 1
            elif ch in "]>}":
                depth -= 1
                if depth == 0:
                    return elem[: i + 1]
        return elem
    return elem.split()[0] if elem.split() else ""


GLOBAL = re.compile(r"^@(\"[^\"]+\"|[\w.$-]+) = .*?\b(?:constant|global) (.*?)(?:, align \d+)?\s*$")
SSA_GEP = re.compile(r"^\s*(%[\w.$-]+) = getelementptr (?:inbounds |nuw |nusw )*i8, ptr (%[\w.$-]+|@[\w.$\"-]+), i32 (-?\d+)")
SSA_LOAD = re.compile(r"^\s*(%[\w.$-]+) = load ptr, ptr (%[\w.$-]+|@[\w.$\"-]+)")


def parse_ir(path, fns, slots, taken):
    """Calls from the optimised LLVM IR rustc printed next to the assembly:
    direct callees, and for each indirect call its parameter kinds and, when
    the pointer was loaded from a constant offset (a vtable slot), that
    offset. Fills `slots` (offset -> functions stored there in constant data)
    and `taken` (function -> kind, for every function whose address is used
    as a value)."""
    cur = None
    loads = {}
    geps = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln in f:
            if ln.startswith("define"):
                m = DEFINE.match(ln)
                cur = None
                if m:
                    cur = m.group(1).strip('"')
                    taken_kind[cur] = kind(m.group(2), ret_type(ln[: ln.index("@")]))
                    fn = fns.get(cur)
                    if fn is not None:
                        fn.ir = True
                    loads, geps = {}, {}
                continue
            if ln.startswith("}"):
                cur = None
                continue
            if cur is None:
                if ln.startswith("@"):
                    m = GLOBAL.match(ln.rstrip())
                    if m:
                        body = m.group(2)
                        ty = first_type(body)
                        init = body[len(ty):].strip()
                        off = 0
                        if init[:2] == "<{" or init[:1] == "{":
                            inner = init.lstrip("<{").rstrip("}>")
                            for el in split_top(inner):
                                et = first_type(el)
                                r = re.match(r"^ptr @(\"[^\"]+\"|[\w.$-]+)$", el.strip())
                                if r:
                                    slots[off].add(r.group(1).strip('"'))
                                off += type_size(et)
                    for r in FNREF.findall(ln):
                        taken.add(r.strip('"'))
                continue
            fn = fns.get(cur)
            g = SSA_GEP.match(ln)
            if g:
                geps[g.group(1)] = int(g.group(3))
            ld = SSA_LOAD.match(ln)
            if ld:
                src = ld.group(2)
                loads[ld.group(1)] = geps.get(src, 0 if src.startswith("%") else None)
            m = CALL.search(ln)
            callee_pos = None
            if m:
                target = m.group(2)
                callee_pos = m.start(2)
                if fn is not None:
                    if target.startswith("@"):
                        t = target[1:].strip('"')
                        base = next((v for k, v in INTRINSIC_CALLS.items() if t.startswith(k)), None)
                        if base:
                            fn.ir_callees.add(base)
                        elif not t.startswith("llvm."):
                            fn.ir_callees.add(t)
                    else:
                        fn.ir_indirect.append((kind(m.group(3), ret_type(m.group(1))), loads.get(target)))
            # Functions used as values (not as the callee): address taken.
            for r in FNREF.finditer(ln):
                if callee_pos is not None and r.start() < callee_pos <= r.end():
                    continue
                taken.add(r.group(1).strip('"'))


taken_kind = {}


def longest_pass(fns, members, budget=200_000):
    """Stack one pass round a cycle can take: the largest sum of frames on
    a simple path inside the component (each function at most once), by
    search; the sum of all its frames when the search would exceed
    `budget` steps (an upper bound either way)."""
    inside = set(members)
    best, steps = 0, 0

    def walk(v, on, total):
        nonlocal best, steps
        steps += 1
        if steps > budget:
            raise OverflowError
        best = max(best, total)
        for c in fns[v].callees:
            if c in inside and c not in on:
                on.add(c)
                walk(c, on, total + fns[c].frame)
                on.discard(c)

    try:
        for m in members:
            walk(m, {m}, fns[m].frame)
    except OverflowError:
        return sum(fns[m].frame for m in members)
    return best


class Graph:
    """Strongly connected components and the deepest path from every
    function. A component without a cycle is one function. A cycle
    (recursion, or a join of the indirect-call resolution) is charged
    `passes` times its longest simple path, where `passes(members)` says
    how often a path can go round it (KNOWN_CYCLES) or None: unbounded,
    listed in `unbounded` (charged one pass), which the caller reports as
    a failure."""

    def __init__(self, fns, passes=lambda members: 1):
        self.fns = fns
        index, low, onstack, stack = {}, {}, set(), []
        self.comp, self.comps = {}, []
        counter = 0
        for root in fns:
            if root in index:
                continue
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            onstack.add(root)
            work = [(root, iter(sorted(fns[root].callees)))]
            while work:
                v, it = work[-1]
                nxt = next(it, None)
                if nxt is not None:
                    if nxt not in index:
                        index[nxt] = low[nxt] = counter
                        counter += 1
                        stack.append(nxt)
                        onstack.add(nxt)
                        work.append((nxt, iter(sorted(fns[nxt].callees))))
                    elif nxt in onstack:
                        low[v] = min(low[v], index[nxt])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        onstack.discard(w)
                        self.comp[w] = len(self.comps)
                        members.append(w)
                        if w == v:
                            break
                    self.comps.append(members)
        # Components come out callees first: one pass gives the longest paths.
        n = len(self.comps)
        self.cost, self.next, self.top = [0] * n, [None] * n, [None] * n
        self.cyclic, self.unbounded = set(), set()
        for ci, members in enumerate(self.comps):
            top = max(members, key=lambda m: fns[m].frame)
            deepest, via = 0, None
            for m in members:
                for c in fns[m].callees:
                    cj = self.comp[c]
                    if cj != ci and self.cost[cj] > deepest:
                        deepest, via = self.cost[cj], c
            self.top[ci] = top
            if len(members) > 1 or members[0] in fns[members[0]].callees:
                self.cyclic.add(ci)
                k = passes(members)
                if k is None:
                    self.unbounded.add(ci)
                    k = 1
                self.cost[ci] = k * longest_pass(fns, members) + deepest
            else:
                self.cost[ci] = fns[top].frame + deepest
            self.next[ci] = via

    def reachable_cycles(self, roots):
        """The cyclic components a path from `roots` can enter."""
        seen, todo = set(), [r for r in roots if r in self.fns]
        while todo:
            v = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            todo.extend(self.fns[v].callees)
        return sorted({self.comp[v] for v in seen} & self.cyclic)

    def depth(self, name):
        return self.cost[self.comp[name]]

    def chain(self, name):
        """[(function, frame, in a cycle)] along the deepest path."""
        out = []
        first = name
        while first is not None:
            ci = self.comp[first]
            m = first if len(self.comps[ci]) == 1 else self.top[ci]
            out.append((m, self.fns[m].frame, len(self.comps[ci]) > 1))
            first = self.next[ci]
        return out


# rustls's calls of `Signer::sign`: the functions (vendor/rustls, each
# `#[inline(never)]`) that contain one. Every other `.sign(` call in its source
# is an HMAC key's (`hmac::Key::sign`), listed so that a new call site of
# either kind fails `check_sign_calls` until someone classifies it.
SIGNING_FNS = {
    ("client/tls12.rs", "emit_certverify"),
    ("client/tls13.rs", "emit_certverify_tls13"),
    ("server/tls12.rs", "emit_server_kx"),
    ("server/tls13.rs", "emit_certificate_verify_tls13"),
}
# Key exchange: the impls of rustls's `SupportedKxGroup::start` /
# `start_and_complete` and `ActiveKeyExchange::complete` /
# `complete_for_tls_version` / `complete_hybrid_component` (our provider's
# X25519, P-256, P-384), by demangled name. No traffic step runs one (module
# docstring, "Views"): the traffic view drops every edge into them.
KX_FNS = re.compile(r" as rustls::crypto::(?:SupportedKxGroup>::start(?:_and_complete)?"
                    r"|ActiveKeyExchange>::complete(?:_for_tls_version|_hybrid_component)?)$")
HMAC_SIGN_FNS = {
    ("crypto/tls12.rs", "prf"),
    ("crypto/tls13.rs", "hmac_sign"),
    ("crypto/tls13.rs", "extract_prk_from_secret"),
}


# Every cycle of the call graph a step or a callback can enter, with how many
# times a path can go round it and why; a cycle not listed here fails the
# analysis (it could not be bounded). Matched by a member's demangled name.
# A cycle is charged passes x its longest simple path.
KNOWN_CYCLES = [
    # webpki's path building recurses once per intermediate CA on the path
    # (build_chain_inner -> loop_while_non_fatal_error -> build_chain_inner).
    # Our verifier refuses a presented path longer than MAX_PATH_CAS
    # intermediates before webpki runs (src/tls/verifier.rs), so the
    # recursion is entered at most MAX_PATH_CAS + 1 times.
    (r"^<webpki::verify_cert::ChainOptions<.*>>::build_chain_inner$", "MAX_PATH_CAS+1",
     "webpki path building: one level per intermediate CA, capped by the verifier"),
    # Our count of the presented chain's longest row: one level per
    # presented certificate, at most MAX_PRESENTED (8) in src/tls/verifier.rs.
    (r"^espconn_secure::tls::verifier::longest_row$", 8,
     "the verifier's row count: one level per presented certificate (8 at most)"),
    # rustls sends a warning alert or close_notify from inside send_msg
    # (sequence number near its limit), which sends once more and stops.
    (r"^<rustls::common_state::CommonState>::send_msg$", 2,
     "rustls: an alert sent from inside a send, once"),
    # Encoding a HelloRetryRequest / Certificate payload encodes the inner
    # payload once.
    (r"^rustls::msgs::handshake::encode_server_payload$", 2,
     "rustls: a handshake payload inside another, once"),
    # core's slice sorts, reached only from webpki's revocation-list
    # parsing: this library configures no revocation lists, so the sorted
    # slice is empty and the sort returns before recursing.
    (r"^core::slice::sort::.*webpki::crl::", 1,
     "core's sort of revocation entries: never configured, no recursion"),
    # Joins of the indirect-call resolution (same vtable slot and kind), not
    # recursion: one pass.
    (r"^<rustls::crypto::tls13::Hkdf(Expander)?UsingHmac as ", 1,
     "rustls HKDF trait objects: slot join, no recursion"),
    (r"^<core::fmt::builders::PadAdapter as core::fmt::Write>::write_(str|char)$", 1,
     "pretty Debug ({:#?}) nesting; the chip build prints no Debug (-Zfmt-debug=none)"),
    (r"^core::fmt::write$|as core::fmt::Display>::fmt$", 1,
     "Display impls through core::fmt::write: the reason types do not nest themselves"),
    (r"^core::ptr::drop_in_place::<", 1,
     "drop glue of trait objects: slot join, no value contains itself"),
    # `ResolvesClientCert::prehash_algorithms` asks its key's
    # `SigningKey::prehash_algorithms` (vendor/rustls 0015): same slot and
    # kind, so the resolution joins the two; a key answers without a call.
    (r"::prehash_algorithms$", 1,
     "prehash_algorithms: a resolver asking its key, slot join, no recursion"),
]


# Where rustls calls `ServerCertVerifier::verify_server_cert` (file, function):
# where the Certificate message arrives (`verify_on_receipt`, vendor/rustls
# 0012), which sets `peer_chain_verified` on success, and the later
# `ExpectServerDone` / `ExpectCertificateVerify` handlers, which call it only
# when the chain was not verified on receipt (`server_cert.verified` is
# `None`). So once `peer_chain_verified` is set, no call verifies again: the
# `verified` view drops every edge into the verifiers. A call elsewhere
# fails the analysis (the view would be wrong).
VERIFY_CALLS = {
    ("client/common.rs", "verify_on_receipt"),
    ("client/tls12.rs", "handle"),
    ("client/tls13.rs", "handle"),
}
VERIFIER_FNS = re.compile(r" as rustls::verify::(?:ServerCertVerifier>::verify_server_cert"
                          r"|ClientCertVerifier>::verify_client_cert)$")


def rustls_calls(src_dir, needles):
    """(file, function) of every line of rustls's source that contains one of
    `needles` (outside the ring and aws-lc-rs providers, which this build does
    not compile, test modules and comments)."""
    found = set()
    fn_re = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?fn\s+(\w+)")
    for root, _, files in os.walk(src_dir):
        rel_root = os.path.relpath(root, src_dir)
        if rel_root.startswith(("crypto/ring", "crypto/aws_lc_rs")):
            continue
        for name in files:
            if not name.endswith(".rs") or name == "verifybench.rs":  # a #[cfg(test)] module
                continue
            path = os.path.join(root, name)
            rel = os.path.normpath(os.path.join(rel_root, name))
            current = None
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("#[cfg(test)]"):
                        break
                    m = fn_re.match(line)
                    if m:
                        current = m.group(1)
                    if any(n in line for n in needles) and not line.lstrip().startswith("//"):
                        found.add((rel, current))
    return found


def check_verify_calls(src_dir):
    """Fail unless rustls calls `verify_server_cert` exactly where
    VERIFY_CALLS says."""
    found = rustls_calls(src_dir, [".verify_server_cert("])
    if found != VERIFY_CALLS:
        sys.exit(f"stack-depth: `.verify_server_cert(` calls in {src_dir} are {sorted(found)}, "
                 f"not VERIFY_CALLS {sorted(VERIFY_CALLS)}: the verified view would be wrong")


def check_sign_calls(src_dir):
    """Fail unless every `.sign(` or `.sign_prehashed(` call in rustls's
    source is in SIGNING_FNS or HMAC_SIGN_FNS."""
    found = rustls_calls(src_dir, [".sign(", ".sign_prehashed("])
    unknown = found - SIGNING_FNS - HMAC_SIGN_FNS
    if unknown:
        sys.exit(f"stack-depth: `.sign(` calls in {src_dir} not classified in SIGNING_FNS / "
                 f"HMAC_SIGN_FNS: {sorted(unknown)}")
    missing = SIGNING_FNS - found
    if missing:
        sys.exit(f"stack-depth: SIGNING_FNS lists functions without a `.sign(` call: {sorted(missing)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("asm_list", help="asm-files.txt written by build-archive.sh")
    ap.add_argument("--lock", default="Cargo.lock", help="Cargo.lock, for which crate can name which trait")
    ap.add_argument("--rustls-src", default="vendor/rustls/src",
                    help="rustls's source, to check where it calls Signer::sign (SIGNING_FNS)")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--steps", action="store_true", help="print the deepest chain of every engine step")
    ap.add_argument("--frames", type=int, default=15, help="list the N largest frames on the worst paths")
    ap.add_argument("--verifier", default="src/tls/verifier.rs",
                    help="our verifier's source, for MAX_PATH_CAS (KNOWN_CYCLES)")
    ap.add_argument("--check", metavar="MOD_RS",
                    help="fail unless every step's bound fits its stack (HANDSHAKE_STACK, TRAFFIC_STACK, "
                         "STACK_GUARD read from this file)")
    a = ap.parse_args()

    with open(a.asm_list, encoding="utf-8") as f:
        files = [ln.strip() for ln in f if ln.strip()]
    fns, slots, data_fns = parse(files)
    # The call graph of functions the LLVM IR defines comes from the IR (the
    # .ll rustc printed next to each .s): direct calls, and indirect calls
    # resolved to the address-taken functions of the same parameter kinds
    # stored at the same vtable offset. Library calls the backend adds
    # (memcpy, __muldi3, __atomic_*) come from the assembly's call0/callx0.
    ir_slots = collections.defaultdict(set)
    taken = set()
    n_ir = 0
    for sfile in files:
        ll = sfile[:-2] + ".ll"
        if os.path.exists(ll):
            n_ir += 1
            parse_ir(ll, fns, ir_slots, taken)
    taken = {t for t in taken if t in fns}
    by_kind = collections.defaultdict(set)
    for t in taken:
        by_kind[taken_kind.get(t)].add(t)
    all_dm = demangle(sorted(fns))
    deps = crate_deps(a.lock)
    n_indirect = n_by_slot = n_by_generic = 0
    unresolved = []
    # Calls by name (not through a pointer), for the views' checks.
    direct_calls = {n: f.callees | f.ir_callees for n, f in fns.items()}
    for name, f in fns.items():
        if f.ir:
            f.callees |= f.ir_callees
            for k, off in f.ir_indirect:
                n_indirect += 1
                cands = by_kind.get(k, set())
                if off is not None and ir_slots.get(off):
                    narrowed = cands & ir_slots[off]
                    if narrowed:
                        n_by_slot += 1
                        cands = narrowed
                caller_dm = all_dm.get(name, name)
                callers = crates_named(caller_dm)
                visible = set().union(*(deps.get(c, {c}) for c in callers)) | {"core", "alloc"}
                kept = {c for c in cands if generic_ok(caller_dm, all_dm.get(c, c))
                        and trait_crate(all_dm.get(c, c)) in visible}
                if kept and kept != cands:
                    n_by_generic += 1
                    cands = kept
                if not cands:
                    unresolved.append(name)
                f.callees |= cands
        else:
            # No IR (none today): every function the literal pool names, and
            # loads through memory resolved by vtable offset.
            f.callees |= f.refs
            for off in f.indirect:
                n_indirect += 1
                cands = slots.get(off) if off is not None else None
                if not cands:
                    unresolved.append(name)
                    continue
                f.callees |= cands
    external = set()
    for f in fns.values():
        for c in list(f.callees):
            if c not in fns:
                f.callees.discard(c)
                if not c.startswith("."):
                    external.add(c)
    # Stack switches and the engine's roots.
    # run_step's trampoline, and start_step's (the handshake's steps that
    # may be suspended, platform/slice.rs).
    steps = [n for n in fns if "run_step10trampoline" in n or "start_step10trampoline" in n]
    # Only building the engine and process() switch to the engine stack.
    # (The step functions are generic parameters, so they appear in the name.)
    trampolines = [n for n in steps if "12process_step" in n or "14handshake_step" in n
                   or "13verified_step" in n or "4init" in n]
    for f in fns.values():
        f.callees = {c for c in f.callees if c not in trampolines}

    # Panics: the chip's panic handler (platform/runtime.rs) prints and
    # restarts; a panic inside it aborts. So the panic path is measured on its
    # own with every edge back into the panic entry points removed, and those
    # entry points are leaves of that cost everywhere else. Without this,
    # "panic -> fmt -> any Display impl -> panic" joins half the program
    # into one cycle.
    panics = {n for n in fns if NO_RETURN.search(all_dm.get(n, n))}
    cut = {n: Fn(n) for n in fns}
    for n, f in fns.items():
        cut[n].frame = f.frame
        cut[n].callees = {c for c in f.callees if c not in panics}
    with open(a.verifier, encoding="utf-8") as f:
        m = re.search(r"pub const MAX_PATH_CAS: usize = (\d+);", f.read())
    if not m:
        sys.exit(f"stack-depth: no `pub const MAX_PATH_CAS: usize = N;` in {a.verifier}")
    path_cas = int(m.group(1))
    cycle_names = {}

    def passes(members):
        """How often a path goes round this cycle (KNOWN_CYCLES), or None."""
        for pattern, k, why in KNOWN_CYCLES:
            if any(re.search(pattern, re.sub(r"\[[0-9a-f]{16}\]", "", all_dm.get(m, m))) for m in members):
                cycle_names[frozenset(members)] = why
                return path_cas + 1 if k == "MAX_PATH_CAS+1" else k
        return None

    pan = Graph(cut, passes)
    # One refinement of the call graph for every step (module docstring,
    # "Views"): rustls's key schedule calls `dyn HkdfExpander` methods,
    # never a signer (a slot collision in the full graph).
    def plain(n):
        return re.sub(r"\[[0-9a-f]{16}\]", "", all_dm.get(n, n))

    # `sign_prehashed` (vendor/rustls 0015) is a signer too, called from
    # `emit_certverify` only (check_sign_calls).
    signers = {n for n in fns if re.search(r" as rustls::crypto::signer::Signer>::sign(?:_prehashed)?$", plain(n))}
    check_sign_calls(a.rustls_src)
    sign_callers = set()
    for _, fn_name in SIGNING_FNS:
        # The function and any closure in it (a call there is still its call).
        hit = {n for n in fns if re.match(rf"^rustls::.*::{fn_name}(::\{{closure#\d+\}})*$", plain(n))}
        if not hit:
            sys.exit(f"stack-depth: no function `{fn_name}` in rustls: inlined? (SIGNING_FNS)")
        sign_callers |= hit
    handle_re = re.compile(r"^<rustls::.* as rustls::common_state::State<.*>>::handle$")
    handles = {n for n in fns if handle_re.match(plain(n))}
    traffic_handles = {n for n in handles if "::ExpectTraffic as " in plain(n)}
    main_fns = {n: Fn(n) for n in fns}
    for n, f in fns.items():
        g = main_fns[n]
        g.frame = pan.depth(n) if n in panics else f.frame
        g.callees = set() if n in panics else set(f.callees)
        if plain(n).startswith(("rustls::", "<rustls::")) and n not in sign_callers:
            g.callees -= signers
    gr = Graph(main_fns, passes)

    def view(drop):
        fv = {n: Fn(n) for n in fns}
        for n, f in main_fns.items():
            fv[n].frame = f.frame
            fv[n].callees = f.callees - drop
        return Graph(fv, passes)

    setup_steps = [t for t in trampolines if "4init" in t]
    # conn runs `handshake_step` until the handshake is complete, then
    # `process_step` on the traffic stack; the chip bench driver runs
    # `process_step` on either, so both count as handshake steps too.
    handshake_steps = [t for t in trampolines if "12process_step" in t or "14handshake_step" in t]
    process_steps = [t for t in trampolines if "12process_step" in t]
    # Building the engine: nothing has been received, so no State::handle.
    setup_gr = view(handles)
    # After the handshake: rustls's ExpectTraffic states only, and no key
    # exchange (KX_FNS).
    kx_fns = {n for n in fns if KX_FNS.search(plain(n))}
    for what in ("SupportedKxGroup>::start", "ActiveKeyExchange>::complete"):
        if not any(plain(n).endswith(what) for n in kx_fns):
            sys.exit(f"stack-depth: KX_FNS matches no `{what}` impl: renamed? (traffic view)")
    other_handles = handles - traffic_handles

    def reached(roots, drop):
        """What `roots` reach on the graph without the edges into `drop`."""
        seen, todo = set(), [r for r in roots if r in fns]
        while todo:
            v = todo.pop()
            if v not in seen:
                seen.add(v)
                todo.extend(main_fns[v].callees - drop)
        return seen

    seen = reached(process_steps, other_handles)
    direct_kx = sorted(plain(n) for n in seen - kx_fns if direct_calls[n] & kx_fns)
    if direct_kx:
        sys.exit("stack-depth: a traffic step calls a key exchange by name, so KX_FNS cannot be dropped "
                 "from the traffic view: " + "; ".join(d[:120] for d in direct_kx))
    traffic_gr = view(other_handles | kx_fns)
    # A client's handshake steps once the server's chain is verified
    # (`verified_step`, VERIFIED_STACK): no call reaches a verifier any more
    # (VERIFY_CALLS), and none reaches server code (only a client's engine
    # reports the chain verified: the server's `Conn::peer_chain_verified`
    # is false).
    check_verify_calls(a.rustls_src)
    verifier_fns = {n for n in fns if VERIFIER_FNS.search(plain(n))}
    if not any(plain(n).endswith("ServerCertVerifier>::verify_server_cert") for n in verifier_fns):
        sys.exit("stack-depth: VERIFIER_FNS matches no `verify_server_cert` impl: renamed? (verified view)")
    server_handles = {n for n in handles if plain(n).startswith("<rustls::server::")}
    server_process = {n for n in fns if re.match(
        r"^<espconn_secure::tls::engine::Engine<rustls::server::.* as espconn_secure::tls::Session>::process$",
        plain(n))}
    if not server_handles or not server_process:
        sys.exit("stack-depth: no server `State::handle` impl or server engine `process`: renamed? (verified view)")
    verified_steps = [t for t in trampolines if "13verified_step" in t]
    verified_drop = server_handles | server_process | verifier_fns
    seen = reached(verified_steps, verified_drop)
    direct_verify = sorted(plain(n) for n in seen if direct_calls[n] & verifier_fns)
    if direct_verify:
        sys.exit("stack-depth: a verified step calls a verifier by name, so the verified view is wrong: "
                 + "; ".join(d[:120] for d in direct_verify))
    verified_gr = view(verified_drop)
    # (graph, roots) of each step kind, on its stack.
    kinds = {
        "setup": (setup_gr, setup_steps),
        "process": (gr, handshake_steps),
        "verified": (verified_gr, verified_steps),
        "traffic": (traffic_gr, process_steps),
    }

    def chain(name, g=gr):
        out = g.chain(name)
        # Expand a panic entry point into its own chain (measured on `pan`).
        if out and out[-1][0] in panics:
            m = out.pop()[0]
            out += pan.chain(m)
        return out

    def worst(roots, g=gr):
        roots = [r for r in roots if r in fns]
        if not roots:
            return 0, None
        r = max(roots, key=g.depth)
        return g.depth(r), r

    bounds = {k: worst(roots, g) for k, (g, roots) in kinds.items()}
    eng_kind = max(("setup", "process"), key=lambda k: bounds[k][0])
    eng, eng_root = bounds[eng_kind]
    eng_gr = kinds[eng_kind][0]
    traffic = bounds["traffic"][0]
    sys_roots = [n for n in fns if n.startswith("espconn_secure_") and "stack_call" not in n] + [
        n for n in fns if re.search(r"ffi.*(connect|recv|sent|disconnect|reconnect|accept)_cb", n)]
    sysd, sys_root = worst(sys_roots)

    # Every cycle a step or a callback can enter must be bounded.
    unbounded = {}
    used = {}
    for label, (g, roots) in list(kinds.items()) + [("system", (gr, sys_roots))]:
        for ci in g.reachable_cycles(roots):
            members = g.comps[ci]
            if ci in g.unbounded:
                unbounded[frozenset(members)] = (label, members)
            else:
                why = cycle_names.get(frozenset(members), "?")
                used[why] = max(used.get(why, 0), len(members))

    names = set()
    for r, g in ((eng_root, eng_gr), (sys_root, gr)):
        if r:
            names |= {m for m, _, _ in chain(r, g)}
    cyc = [c for c in gr.comps if len(c) > 1]
    dm = demangle(sorted(names | set(trampolines)))

    def short(n, width=110):
        d = dm.get(n, n)
        return d if len(d) <= width else d[:width - 3] + "..."

    dyn = sorted(n for n, f in fns.items() if f.dynamic)
    print(f"stack-depth: {len(files)} crates ({n_ir} with LLVM IR), {len(fns)} functions, {n_indirect} indirect call sites "
          f"({n_by_slot} narrowed to a vtable slot, {n_by_generic} by trait arguments), "
          f"{len(cyc)} cycles (largest {max((len(c) for c in cyc), default=0)} functions), "
          f"{len(dyn)} with a dynamic stack adjustment, {len(external)} external callees counted as 0")
    for label, depth, root, g in (("engine stack", eng, eng_root, eng_gr), ("system stack", sysd, sys_root, gr)):
        if not root:
            continue
        ch = chain(root, g)
        print(f"stack-depth: {label}: worst {depth} bytes from {short(root)}")
        for m, fr, in_cycle in ch[: a.top]:
            print(f"  {fr:6d}  {'(cycle) ' if in_cycle else ''}{short(m)}")
        if len(ch) > a.top:
            print(f"  ... {len(ch) - a.top} more frames, {sum(fr for _, fr, _ in ch[a.top:])} bytes")
    print("stack-depth: engine steps (each on its stack: setup and process on the handshake's, verified on the verified, "
          "traffic on the traffic stack):")
    for kind, (g, roots) in kinds.items():
        for t in sorted(roots, key=lambda n: -g.depth(n)):
            print(f"  {kind:8s} {g.depth(t):6d}  {short(t, 150)}")
            if a.steps:
                ch = chain(t, g)
                dm3 = demangle([m for m, _, _ in ch])
                for m, fr, in_cycle in ch[: a.top]:
                    print(f"          {fr:6d}  {'(cycle) ' if in_cycle else ''}{dm3.get(m, m)[:120]}")
    if eng_root:
        top = sorted(chain(eng_root, eng_gr), key=lambda x: -x[1])[: a.frames]
        dm2 = demangle([m for m, _, _ in top])
        print("stack-depth: largest frames on the deepest engine chain:")
        for m, fr, _ in top:
            d = dm2.get(m, m)
            print(f"  {fr:6d}  {d[:140]}")
    def leaf_name(n):
        d = dm.get(n) or demangle([n]).get(n, n)
        for _ in range(6):  # generic arguments, innermost first
            d = re.sub(r"(?<=[\w:])<[^<>]*>", "", d)
        d = re.sub(r" as [^>]*>", ">", d).replace("<", "").replace(">", "")
        return "::".join(d.split("::")[-2:])

    print(f"bench case=stack_xtensa bytes={eng}")
    for kind in kinds:
        print(f"bench case=stack_xtensa_step step={kind} bytes={bounds[kind][0]}")
    print(f"bench case=stack_xtensa_system bytes={sysd}")
    if eng_root:
        big = sorted(chain(eng_root, eng_gr), key=lambda x: -x[1])[:6]
        print("stack-depth: deepest engine chain, largest frames: "
              + ", ".join(f"{leaf_name(m)} {fr}" for m, fr, _ in big))
    for why, size in sorted(used.items()):
        print(f"stack-depth: bounded cycle ({size} functions): {why}")
    for label, members in unbounded.values():
        d = demangle(members)
        print(f"stack-depth: FAIL: a cycle of {len(members)} functions reachable from the {label} "
              f"roots has no bound (KNOWN_CYCLES): " + "; ".join(sorted(d.get(m, m)[:100] for m in members)[:8]))
    if unresolved:
        print(f"stack-depth: {len(unresolved)} indirect calls through a computed address, not followed, in: "
              + "; ".join(sorted(set(demangle(unresolved).values()))))
    if dyn:
        print("stack-depth: dynamic stack adjustments in: " + ", ".join(sorted(demangle(dyn).values())[:10]))
    if unbounded:
        return 1
    if a.check:
        with open(a.check, encoding="utf-8") as f:
            src = f.read()

        def const(name):
            m = re.search(rf"pub const {name}: usize = ([0-9 *]+);", src)
            if not m:
                sys.exit(f"stack-depth: no `pub const {name}: usize = ...;` in {a.check}")
            v = 1
            for part in m.group(1).split("*"):
                v *= int(part)
            return v

        guard = const("STACK_GUARD")
        sizes = {"setup": "HANDSHAKE_STACK", "process": "HANDSHAKE_STACK",
                 "verified": "VERIFIED_STACK", "traffic": "TRAFFIC_STACK"}
        # The handshake's steps may be suspended: their block keeps the
        # slice's cell and the guard's frame at its top (platform/slice.rs).
        kept = {"process": const("SLICE_FRAME"), "verified": const("SLICE_FRAME")}
        failed = False
        for kind, const_name in sizes.items():
            need, root = bounds[kind]
            room = const(const_name) - guard - kept.get(kind, 0)
            ok = root is not None and need <= room
            failed |= not ok
            print(f"stack-depth: {'ok' if ok else 'FAIL'}: {kind} steps need {need} bytes, "
                  f"{const_name} leaves {room} above its guard")
        if failed:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
