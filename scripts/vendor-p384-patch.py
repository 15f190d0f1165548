#!/usr/bin/env python3
"""Apply espconn_secure's size patch to a pristine p384 0.13.1 copy (vendor/p384/PATCHES.md).

This wrote vendor/patches/p384/0002-compact-montgomery.patch; vendor/p384 itself
is built from the patch series by scripts/vendor.sh. Run it on a pristine
copy of a new release whose fiat files changed, then refresh that patch.

usage: vendor-p384-patch.py [P384_DIR]   (default vendor/p384)
"""
import sys
R2={
 ('field',32):"0x00000001, 0xfffffffe, 0x00000000, 0x00000002, 0x00000000, 0xfffffffe, 0x00000000, 0x00000002, 0x00000001, 0x00000000, 0x00000000, 0x00000000",
 ('field',64):"0xfffffffe00000001, 0x0000000200000000, 0xfffffffe00000000, 0x0000000200000000, 0x0000000000000001, 0x0000000000000000",
 ('scalar',32):"0x19b409a9, 0x2d319b24, 0xdf1aa419, 0xff3d81e5, 0xfcb82947, 0xbc3e483a, 0x4aab1cc5, 0xd40d4917, 0x28266895, 0x3fb05b7a, 0x2b39bf21, 0x0c84ee01",
 ('scalar',64):"0x2d319b2419b409a9, 0xff3d81e5df1aa419, 0xbc3e483afcb82947, 0xd40d49174aab1cc5, 0x3fb05b7a28266895, 0x0c84ee012b39bf21",
}
P = 2**384 - 2**128 - 2**96 + 2**32 - 1
N = int("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16)


def cios(bits, m, special):
    """Body of a word-by-word Montgomery multiplication (CIOS) as loops:
    a*b*R^-1 mod m, fully reduced for a, b < m, without branches on values."""
    n = 384 // bits
    w, d = "u%d" % bits, "u%d" % (2 * bits)
    limbs = ", ".join("0x%0*x" % (bits // 4, (m >> (bits * i)) & (2**bits - 1)) for i in range(n))
    mprime = (-pow(m, -1, 2**bits)) % 2**bits
    if special:
        # p's words are 0, 2^w-1 and 2^w-2: q*M[j] without a multiplication
        # (the branch is on the public modulus word, not on the values).
        qm = (f"        let qm1 = (q << {bits}) - q; // q * (2^{bits} - 1)\n"
              f"        let qm2 = qm1 - q; // q * (2^{bits} - 2)\n")
        sel = lambda i: (f"match M[{i}] {{ 0 => 0, {hex(2**bits - 1)} => qm1, "
                         f"{hex(2**bits - 2)} => qm2, v => q * (v as {d}) }}")
        qm0, qmj = sel(0), sel("j")
    else:
        qm, qm0, qmj = "", f"q * (M[0] as {d})", f"q * (M[j] as {d})"
    return f"""    // PATCH (espconn_secure): the same product as fiat's unrolled code, as
    // loops (CIOS, one reduction step per word of arg2): ~0.5 KB of code
    // instead of ~18 KB on a 32-bit target.
    const M: [{w}; {n}] = [{limbs}];
    const M_PRIME: {w} = 0x{mprime:x}; // -m^-1 mod 2^{bits}
    let mut t = [0 as {w}; {n + 2}];
    let mut i = 0;
    while i < {n} {{
        let b = arg2[i] as {d};
        let mut c: {d} = 0;
        let mut j = 0;
        while j < {n} {{
            let s = (t[j] as {d}) + (arg1[j] as {d}) * b + c;
            t[j] = s as {w};
            c = s >> {bits};
            j += 1;
        }}
        let s = (t[{n}] as {d}) + c;
        t[{n}] = s as {w};
        t[{n + 1}] = (s >> {bits}) as {w};
        let q = t[0].wrapping_mul(M_PRIME) as {d};
{qm}        let s = (t[0] as {d}) + {qm0};
        let mut c = s >> {bits};
        let mut j = 1;
        while j < {n} {{
            let s = (t[j] as {d}) + {qmj} + c;
            t[j - 1] = s as {w};
            c = s >> {bits};
            j += 1;
        }}
        let s = (t[{n}] as {d}) + c;
        t[{n - 1}] = s as {w};
        t[{n}] = t[{n + 1}] + ((s >> {bits}) as {w});
        i += 1;
    }}
    // Here t < 2m: subtract m once when t >= m, selecting with a mask.
    let mut r = [0 as {w}; {n}];
    let mut borrow: {d} = 0;
    let mut j = 0;
    while j < {n} {{
        let s = (t[j] as {d}).wrapping_sub(M[j] as {d}).wrapping_sub(borrow);
        r[j] = s as {w};
        borrow = s >> {2 * bits - 1};
        j += 1;
    }}
    let keep_t = ((t[{n}] as {d}).wrapping_sub(borrow) >> {2 * bits - 1}) as {w};
    let mask = (0 as {w}).wrapping_sub(keep_t);
    let mut out1 = [0 as {w}; {n}];
    let mut j = 0;
    while j < {n} {{
        out1[j] = (t[j] & mask) | (r[j] & !mask);
        j += 1;
    }}
    out1"""


base=(sys.argv[1] if len(sys.argv) > 1 else 'vendor/p384') + '/src/arithmetic/'
for kind,bits,path,pre in (('field',32,'field/p384_32.rs','fiat_p384'),('field',64,'field/p384_64.rs','fiat_p384'),
                           ('scalar',32,'scalar/p384_scalar_32.rs','fiat_p384_scalar'),('scalar',64,'scalar/p384_scalar_64.rs','fiat_p384_scalar')):
    f=base+path; s=open(f).read()
    n=12 if bits==32 else 6; w='u%d'%bits
    def body(name, newbody):
        global s
        i=s.index('pub const fn %s_%s('%(pre,name))
        j=s.index(') -> ',i); k=s.index('{\n',j)+2
        e=s.index('\n}\n',k)
        s=s[:k]+newbody+s[e:]
    tag="    // PATCH (espconn_secure): "
    body('mul', cios(bits, P if kind == 'field' else N, kind == 'field'))
    body('square', tag+"one Montgomery multiplication routine (flash size).\n    %s_mul(arg1, arg1)"%pre)
    body('from_montgomery', tag+"a * 1 * R^-1 with the one multiplication routine.\n    let mut one: [%s; %d] = [0; %d];\n    one[0] = 1;\n    %s_mul(arg1, &one)"%(w,n,n,pre))
    body('to_montgomery', tag+"a * (R^2 mod m) * R^-1 with the one multiplication routine.\n    const R2: [%s; %d] = [%s];\n    %s_mul(arg1, &R2)"%(w,n,R2[(kind,bits)],pre))
    a='#[inline]\npub const fn %s_mul('%pre
    assert s.count(a)==1
    s=s.replace(a,'#[inline(never)] // PATCH (espconn_secure): one copy, in this crate\npub const fn %s_mul('%pre)
    open(f,'w').write(s)
    print(f, len(s))
