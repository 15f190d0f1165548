//! X25519 (RFC 7748) shaped for the LX106, which multiplies 32x32->low 32
//! (MULL) and 16x16->32 (MUL16U) but has no 32x32->64 multiplier.
//!
//! An element of GF(2^255 - 19) is 20 limbs of 13 bits (260 bits): a limb
//! product is below 2^27 and a column of 20 of them below 2^31, so the whole
//! schoolbook product is `u32` arithmetic (MULL and ADD), with no 64-bit
//! product and no library call. The 39 columns are carried to 13 bits and the
//! upper 20 folded down with 2^260 = 608 (mod p); the carry that keeps limbs
//! at 13 bits folds bit 255 and up with 2^255 = 19.
//!
//! Bounds (checked by the overflow checks of the host tests, which exercise
//! the extremes): [`carry`] leaves limbs 0..18 at most 2^13 + 3 and limb 19
//! below 2^8; every operation's inputs are such, and every operation ends with
//! [`carry`]. Twenty products of two such limbs stay below 2^30.4.
//!
//! Measured on the LX106 (`lx106_x25519`, one key generation and one shared
//! secret): x25519-dalek 20.6 M instructions (its u32 backend's 32x32->64
//! products are `__muldi3` calls); this representation with two rows of the
//! product at a time and elements returned by copy 17.9 M; four rows at a time
//! (each `b` limb loaded once for four MULL + ADD, ~2.5 instructions per
//! product) with results written in place 12.5 M. 16-bit limbs would need
//! 256 products instead of 400, but their 32-bit products leave no room to
//! add a column without splitting each one, which costs what it saves.
//!
//! Constant time for the scalar: the ladder does the same operations for every
//! bit and swaps by masking; no branch or index depends on a secret. The
//! ladder's state, its scratch and the clamped scalar are wiped when dropped.

use zeroize::Zeroize;

const LIMBS: usize = 20;
const BITS: u32 = 13;
const MASK: u32 = (1 << BITS) - 1;
/// Bits of limb 19 below 2^255 (19 * 13 = 247).
const TOP_BITS: u32 = 255 - 13 * 19;
const TOP_MASK: u32 = (1 << TOP_BITS) - 1;
/// 2^260 mod p: folds the upper half of a product.
const FOLD_260: u32 = 608;
/// (A - 2) / 4 for curve25519 (RFC 7748, section 5).
const A24: u32 = 121_665;
/// 2p with every limb at least the largest limb [`carry`] leaves (2^13 + 3,
/// limb 19: 2^8 - 1), so that `a + TWO_P - b` never goes below zero:
/// (2^14 - 38) + sum_{i=1..18} (2^14 - 2) 2^(13 i) + (2^9 - 2) 2^247 = 2^256 - 38.
const TWO_P: [u32; LIMBS] = {
    let mut l = [(1 << 14) - 2; LIMBS];
    l[0] = (1 << 14) - 38;
    l[19] = (1 << 9) - 2;
    l
};

/// A field element in 13-bit limbs, not necessarily fully reduced.
#[derive(Clone, Copy, Default)]
struct Fe([u32; LIMBS]);

/// The product's columns, kept by the caller so that they are wiped with it.
type Scratch = [u32; 2 * LIMBS];

impl Fe {
    const ONE: Fe = {
        let mut l = [0; LIMBS];
        l[0] = 1;
        Fe(l)
    };

    /// The u-coordinate in `b` (little-endian), its bit 255 ignored
    /// (RFC 7748, section 5); values from p to 2^255 - 1 are taken mod p.
    fn from_bytes(b: &[u8; 32]) -> Fe {
        let mut l = [0u32; LIMBS];
        for (i, limb) in l.iter_mut().enumerate() {
            let bit = 13 * i;
            let byte = |k: usize| u32::from(b.get(bit / 8 + k).copied().unwrap_or(0));
            let w = byte(0) | byte(1) << 8 | byte(2) << 16;
            *limb = (w >> (bit % 8)) & MASK;
        }
        l[19] &= TOP_MASK;
        Fe(l)
    }

    /// The canonical encoding (value mod p, little-endian).
    fn to_bytes(self) -> [u8; 32] {
        let mut l = self.0;
        carry(&mut l);
        // Limbs exact: 13 bits each, the value below 2^255 + 2^14 < 2p.
        chain(&mut l);
        // v >= p exactly when v + 19 reaches 2^255; then v - p = (v + 19) mod 2^255.
        let mut w = l;
        w[0] += 19;
        chain(&mut w);
        let ge = w[19] >> TOP_BITS;
        w[19] &= TOP_MASK;
        let m = 0u32.wrapping_sub(ge);
        for (a, b) in l.iter_mut().zip(w.iter()) {
            *a = (*a & !m) | (*b & m);
        }
        let mut out = [0u8; 32];
        let (mut acc, mut n, mut k) = (0u32, 0u32, 0usize);
        for limb in l {
            acc |= limb << n;
            n += BITS;
            while n >= 8 {
                if let Some(o) = out.get_mut(k) {
                    *o = acc as u8;
                }
                k += 1;
                acc >>= 8;
                n -= 8;
            }
        }
        if let Some(o) = out.get_mut(k) {
            *o = acc as u8;
        }
        w.zeroize();
        l.zeroize();
        out
    }
}

/// Carries limbs 0..18 to 13 bits each, without folding.
fn chain(l: &mut [u32; LIMBS]) {
    let mut c = 0;
    for x in l[..LIMBS - 1].iter_mut() {
        let v = *x + c;
        *x = v & MASK;
        c = v >> BITS;
    }
    l[LIMBS - 1] += c;
}

/// Brings limbs below 2^31 to the bound every operation's inputs keep:
/// limbs 0..18 at most 2^13 + 3, limb 19 below 2^8 (bits 255 and up folded
/// as 19 each).
fn carry(l: &mut [u32; LIMBS]) {
    let c = l[19] >> TOP_BITS;
    l[19] &= TOP_MASK;
    l[0] += 19 * c;
    chain(l);
    let c = l[19] >> TOP_BITS;
    l[19] &= TOP_MASK;
    l[0] += 19 * c;
    l[1] += l[0] >> BITS;
    l[0] &= MASK;
}

/// `r = a + b`.
fn add(r: &mut Fe, a: &Fe, b: &Fe) {
    for i in 0..LIMBS {
        r.0[i] = a.0[i] + b.0[i];
    }
    carry(&mut r.0);
}

/// `r = a - b`.
// Index loops: at opt-level "z" the iterator adapters (`zip`) stay calls on
// the LX106, several per limb.
#[allow(clippy::needless_range_loop)]
fn sub(r: &mut Fe, a: &Fe, b: &Fe) {
    for i in 0..LIMBS {
        r.0[i] = a.0[i] + TWO_P[i] - b.0[i];
    }
    carry(&mut r.0);
}

/// `r = a * k` for a small constant `k` (below 2^17).
fn mul_small(r: &mut Fe, a: &Fe, k: u32) {
    for i in 0..LIMBS {
        r.0[i] = a.0[i] * k;
    }
    carry(&mut r.0);
}

/// Four rows of the schoolbook product at once, unrolled: column `j` of
/// rows `x0..x3` is `x0 b[j] + x1 b[j-1] + x2 b[j-2] + x3 b[j-3]`, so each
/// `b` limb is loaded once for four products and each column once per four
/// rows. `$old` (`+=`) for the columns earlier rows wrote (0..=18),
/// `$new` (`=` or `+=`) for the four the rows start (19..=22).
macro_rules! four_rows {
    ($t:ident, $x0:ident, $x1:ident, $x2:ident, $x3:ident, $b:ident, $old:tt, $new:tt) => {
        $t[0] $old $x0 * $b[0];
        $t[1] $old $x0 * $b[1] + $x1 * $b[0];
        $t[2] $old $x0 * $b[2] + $x1 * $b[1] + $x2 * $b[0];
        four_rows!(@col $t, $x0, $x1, $x2, $x3, $b, $old;
            (3, 2, 1, 0) (4, 3, 2, 1) (5, 4, 3, 2) (6, 5, 4, 3) (7, 6, 5, 4) (8, 7, 6, 5)
            (9, 8, 7, 6) (10, 9, 8, 7) (11, 10, 9, 8) (12, 11, 10, 9) (13, 12, 11, 10)
            (14, 13, 12, 11) (15, 14, 13, 12) (16, 15, 14, 13) (17, 16, 15, 14)
            (18, 17, 16, 15));
        four_rows!(@col $t, $x0, $x1, $x2, $x3, $b, $new; (19, 18, 17, 16));
        $t[20] $new $x1 * $b[19] + $x2 * $b[18] + $x3 * $b[17];
        $t[21] $new $x2 * $b[19] + $x3 * $b[18];
        $t[22] $new $x3 * $b[19];
    };
    (@col $t:ident, $x0:ident, $x1:ident, $x2:ident, $x3:ident, $b:ident, $op:tt;
     $(($j:literal, $j1:literal, $j2:literal, $j3:literal))*) => {
        $( $t[$j] $op $x0 * $b[$j] + $x1 * $b[$j1] + $x2 * $b[$j2] + $x3 * $b[$j3]; )*
    };
}

/// The columns of `a * b` into `t`.
#[inline(never)]
fn product(t: &mut Scratch, a: &Fe, b: &Fe) {
    let b = &b.0;
    let a = &a.0;
    {
        let (x0, x1, x2, x3) = (a[0], a[1], a[2], a[3]);
        four_rows!(t, x0, x1, x2, x3, b, =, =);
    }
    for i in (4..LIMBS).step_by(4) {
        let (x0, x1, x2, x3) = (a[i], a[i + 1], a[i + 2], a[i + 3]);
        if let Some(row) = t.get_mut(i..i + 23) {
            four_rows!(row, x0, x1, x2, x3, b, +=, =);
        }
    }
    t[2 * LIMBS - 1] = 0;
}

/// Reduces the columns `t` (each below 2^31) into `r`, carried: the columns
/// carried to 13 bits on the way, those of 2^260 and up folded down as 608
/// each.
#[inline(never)]
fn reduce(t: &Scratch, r: &mut Fe) {
    let r = &mut r.0;
    let mut c = 0;
    for i in 0..LIMBS {
        let v = t[i] + c;
        r[i] = v & MASK;
        c = v >> BITS;
    }
    for i in 0..LIMBS - 1 {
        let v = t[LIMBS + i] + c;
        r[i] += FOLD_260 * (v & MASK);
        c = v >> BITS;
    }
    r[LIMBS - 1] += FOLD_260 * c;
    carry(r);
}

/// `r = a * b`; `t` is scratch for the columns.
fn mul(t: &mut Scratch, r: &mut Fe, a: &Fe, b: &Fe) {
    product(t, a, b);
    reduce(t, r);
}

/// `r = a^2`.
fn square(t: &mut Scratch, r: &mut Fe, a: &Fe) {
    product(t, a, a);
    reduce(t, r);
}

/// `r = r^(2^n)`.
fn square_n(t: &mut Scratch, r: &mut Fe, n: u32) {
    for _ in 0..n {
        product(t, r, r);
        reduce(t, r);
    }
}

/// `r = r^(2^n) * b`.
fn square_n_mul(t: &mut Scratch, r: &mut Fe, n: u32, b: &Fe) {
    square_n(t, r, n);
    product(t, r, b);
    reduce(t, r);
}

/// `z^(p - 2)` = 1/z (0 for 0) into `s[0]`, by the usual chain of 254
/// squarings and 11 multiplications; `s` holds the intermediate powers (the
/// caller wipes them).
fn invert(t: &mut Scratch, s: &mut [Fe; 8], z: &Fe) {
    // `m`: 2^20 - 1, later 2^100 - 1.
    let [e, z2, z9, z11, e5, e10, m, e50] = s;
    square(t, z2, z); // 2
    *e = *z2;
    square_n_mul(t, e, 2, z); // 9
    *z9 = *e;
    mul(t, z11, z2, z9); // 11
    square(t, e, z11); // 22
    mul(t, e5, e, z9); // 2^5 - 1
    *e = *e5;
    square_n_mul(t, e, 5, e5); // 2^10 - 1
    *e10 = *e;
    square_n_mul(t, e, 10, e10); // 2^20 - 1
    *m = *e;
    square_n_mul(t, e, 20, m); // 2^40 - 1
    square_n_mul(t, e, 10, e10); // 2^50 - 1
    *e50 = *e;
    square_n_mul(t, e, 50, e50); // 2^100 - 1
    *m = *e;
    square_n_mul(t, e, 100, m); // 2^200 - 1
    square_n_mul(t, e, 50, e50); // 2^250 - 1
    square_n_mul(t, e, 5, z11); // 2^255 - 32 + 11 = p - 2
}

/// Swaps `a` and `b` when `mask` is all ones, leaves them when it is zero.
fn cswap(mask: u32, a: &mut Fe, b: &mut Fe) {
    for i in 0..LIMBS {
        let d = mask & (a.0[i] ^ b.0[i]);
        a.0[i] ^= d;
        b.0[i] ^= d;
    }
}

/// The Montgomery ladder's state (RFC 7748, section 5) and every temporary
/// of its steps, wiped when dropped.
struct Ladder {
    x1: Fe,
    x2: Fe,
    z2: Fe,
    x3: Fe,
    z3: Fe,
    /// The step's temporaries (RFC 7748's names).
    a: Fe,
    aa: Fe,
    b: Fe,
    bb: Fe,
    e: Fe,
    c: Fe,
    d: Fe,
    da: Fe,
    cb: Fe,
    k: [u8; 32],
    t: Scratch,
}

impl Default for Ladder {
    fn default() -> Self {
        let z = Fe::default();
        Ladder {
            x1: z,
            x2: z,
            z2: z,
            x3: z,
            z3: z,
            a: z,
            aa: z,
            b: z,
            bb: z,
            e: z,
            c: z,
            d: z,
            da: z,
            cb: z,
            k: [0; 32],
            t: [0; 2 * LIMBS],
        }
    }
}

impl Drop for Ladder {
    fn drop(&mut self) {
        for f in [
            &mut self.x1,
            &mut self.x2,
            &mut self.z2,
            &mut self.x3,
            &mut self.z3,
            &mut self.a,
            &mut self.aa,
            &mut self.b,
            &mut self.bb,
            &mut self.e,
            &mut self.c,
            &mut self.d,
            &mut self.da,
            &mut self.cb,
        ] {
            f.0.zeroize();
        }
        self.k.zeroize();
        self.t.zeroize();
    }
}

impl Ladder {
    /// One step: (x2:z2) doubled, (x3:z3) the differential sum.
    #[inline(never)]
    fn step(&mut self) {
        let t = &mut self.t;
        add(&mut self.a, &self.x2, &self.z2);
        square(t, &mut self.aa, &self.a);
        sub(&mut self.b, &self.x2, &self.z2);
        square(t, &mut self.bb, &self.b);
        sub(&mut self.e, &self.aa, &self.bb);
        add(&mut self.c, &self.x3, &self.z3);
        sub(&mut self.d, &self.x3, &self.z3);
        mul(t, &mut self.da, &self.d, &self.a);
        mul(t, &mut self.cb, &self.c, &self.b);
        // x3 = (DA + CB)^2, z3 = x1 (DA - CB)^2; `a`, `b`, `c`, `d` are free now.
        add(&mut self.a, &self.da, &self.cb);
        square(t, &mut self.x3, &self.a);
        sub(&mut self.b, &self.da, &self.cb);
        square(t, &mut self.c, &self.b);
        mul(t, &mut self.z3, &self.x1, &self.c);
        // x2 = AA BB, z2 = E (AA + a24 E).
        mul(t, &mut self.x2, &self.aa, &self.bb);
        mul_small(&mut self.a, &self.e, A24);
        add(&mut self.b, &self.aa, &self.a);
        mul(t, &mut self.z2, &self.e, &self.b);
    }
}

/// X25519(k, u) of RFC 7748: the scalar `k` clamped, times the point with
/// u-coordinate `u`. Constant time in `k`.
pub fn x25519(k: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
    let mut l = Ladder::default();
    l.x1 = Fe::from_bytes(u);
    l.x2 = Fe::ONE;
    l.x3 = l.x1;
    l.z3 = Fe::ONE;
    l.k = *k;
    l.k[0] &= 248;
    l.k[31] &= 127;
    l.k[31] |= 64;
    let mut swap = 0u32;
    for pos in (0..255usize).rev() {
        let bit = u32::from(l.k[pos / 8] >> (pos % 8)) & 1;
        swap ^= bit;
        let mask = core::hint::black_box(0u32.wrapping_sub(swap));
        cswap(mask, &mut l.x2, &mut l.x3);
        cswap(mask, &mut l.z2, &mut l.z3);
        swap = bit;
        l.step();
    }
    let mask = core::hint::black_box(0u32.wrapping_sub(swap));
    cswap(mask, &mut l.x2, &mut l.x3);
    cswap(mask, &mut l.z2, &mut l.z3);
    // The inverse and its intermediate powers, wiped after use.
    let mut s = [Fe::default(); 8];
    invert(&mut l.t, &mut s, &l.z2);
    let Ladder { x2, a, t, .. } = &mut l;
    mul(t, a, x2, &s[0]);
    s.iter_mut().for_each(|f| f.0.zeroize());
    a.to_bytes()
}

/// The u-coordinate of the base point (RFC 7748, section 4.1).
pub const BASE_POINT: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 9;
    b
};

/// The public key of the private key `k`: X25519(k, 9).
pub fn public_key(k: &[u8; 32]) -> [u8; 32] {
    x25519(k, &BASE_POINT)
}

/// True when all 32 bytes are zero (a low-order peer point), in constant time.
pub fn is_zero(s: &[u8; 32]) -> bool {
    let acc = s.iter().fold(0u8, |a, &b| a | b);
    core::hint::black_box(acc) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    /// splitmix64: reproducible inputs for the differential tests.
    struct Mix(u64);

    impl Mix {
        fn bytes(&mut self) -> [u8; 32] {
            let mut out = [0u8; 32];
            for c in out.chunks_mut(8) {
                self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                c.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
            }
            out
        }
    }

    fn hex32(s: &str) -> [u8; 32] {
        let v: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    fn to_hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn two_p_limbs_are_2p() {
        // 2p + 1 encodes as 1: the constant is 0 mod p.
        let mut l = TWO_P;
        l[0] += 1;
        let mut want = [0u8; 32];
        want[0] = 1;
        assert_eq!(Fe(l).to_bytes(), want);
    }

    #[test]
    fn rfc7748_test_vectors() {
        // Section 5.2.
        let k = hex32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let u = hex32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        assert_eq!(
            to_hex(&x25519(&k, &u)),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        );
        let k = hex32("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
        let u = hex32("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
        assert_eq!(
            to_hex(&x25519(&k, &u)),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
        );
        // Section 6.1: both public keys and the shared secret.
        let a = hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let b = hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let pa = public_key(&a);
        let pb = public_key(&b);
        assert_eq!(
            to_hex(&pa),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            to_hex(&pb),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let s = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(to_hex(&x25519(&a, &pb)), s);
        assert_eq!(to_hex(&x25519(&b, &pa)), s);
    }

    #[test]
    fn rfc7748_iterated_1000() {
        // Section 5.2: k = u = 9, then (k, u) = (X25519(k, u), k).
        let (mut k, mut u) = (BASE_POINT, BASE_POINT);
        for i in 1..=1000 {
            let r = x25519(&k, &u);
            u = k;
            k = r;
            if i == 1 {
                assert_eq!(
                    to_hex(&k),
                    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"
                );
            }
        }
        assert_eq!(
            to_hex(&k),
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
        );
    }

    #[test]
    fn matches_x25519_dalek_on_random_inputs() {
        let mut r = Mix(0x2551_9000_0000_0001);
        for _ in 0..300 {
            let (k, u) = (r.bytes(), r.bytes());
            assert_eq!(
                x25519(&k, &u),
                x25519_dalek::x25519(k, u),
                "k={} u={}",
                to_hex(&k),
                to_hex(&u)
            );
            assert_eq!(
                public_key(&k),
                x25519_dalek::x25519(k, x25519_dalek::X25519_BASEPOINT_BYTES)
            );
        }
    }

    #[test]
    fn matches_x25519_dalek_on_extreme_coordinates() {
        // Limbs at their largest (all ones, p - 1, p, p + 1, 2^255 - 1 with bit
        // 255 set) and smallest: the bounds of the limb arithmetic, checked by
        // the overflow checks of this build.
        let mut r = Mix(7);
        let mut us: Vec<[u8; 32]> = vec![[0xff; 32], [0; 32]];
        for d in 0..=19u8 {
            // p - 1 + d, from p - 1 to 2^255 - 1, with and without bit 255.
            let mut u = [0xffu8; 32];
            u[31] = 0x7f;
            u[0] = 0xec + d;
            us.push(u);
            u[31] = 0xff;
            us.push(u);
        }
        for u in us {
            for _ in 0..8 {
                let k = r.bytes();
                assert_eq!(
                    x25519(&k, &u),
                    x25519_dalek::x25519(k, u),
                    "u={}",
                    to_hex(&u)
                );
            }
        }
    }

    #[test]
    fn field_ops_at_largest_limbs_match_integers() {
        // Every limb at the bound `carry` guarantees: products and sums must not
        // overflow (debug overflow checks) and must agree with mul-by-one.
        let mut big = [MASK + 3; LIMBS];
        big[19] = TOP_MASK;
        let a = Fe(big);
        let mut t = [0u32; 2 * LIMBS];
        let (mut sq, mut one, mut r) = (Fe::default(), Fe::default(), Fe::default());
        square(&mut t, &mut sq, &a);
        mul(&mut t, &mut one, &a, &Fe::ONE);
        mul(&mut t, &mut r, &one, &one);
        assert_eq!(r.to_bytes(), sq.to_bytes());
        let mut s = Fe::default();
        sub(&mut s, &Fe::default(), &a);
        add(&mut r, &s, &a);
        assert_eq!(r.to_bytes(), [0u8; 32]);
        mul_small(&mut r, &a, A24);
        mul(&mut t, &mut s, &a, &Fe(big));
        add(&mut one, &a, &a);
        mul(&mut t, &mut r, &one, &one);
    }

    #[test]
    fn key_exchange_agrees_and_refuses_low_order_peer() {
        use rustls::crypto::SupportedKxGroup;
        let kx = super::super::kx::X25519;
        let (a, b) = (kx.start().unwrap(), kx.start().unwrap());
        let pa = a.pub_key().to_vec();
        let sa = a.complete(b.pub_key()).unwrap();
        let sb = b.complete(&pa).unwrap();
        assert_eq!(sa.secret_bytes(), sb.secret_bytes());
        // u = 0 and u = 1 are of low order: the all-zero result is refused.
        for u in [[0u8; 32], Fe::ONE.to_bytes()] {
            let c = kx.start().unwrap();
            assert!(matches!(
                c.complete(&u),
                Err(rustls::Error::PeerMisbehaved(
                    rustls::PeerMisbehaved::InvalidKeyShare
                ))
            ));
        }
        assert!(kx.start().unwrap().complete(&[9u8; 31]).is_err());
    }

    #[test]
    fn wycheproof_x25519() {
        let text = include_str!("../../../tests/fixtures/wycheproof/x25519.txt");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split(' ').collect();
            let (id, result, flags) = (f[0], f[1], f[2]);
            let (k, u, want) = (hex32(f[3]), hex32(f[4]), hex32(f[5]));
            let got = x25519(&k, &u);
            // "acceptable" cases (twist points, non-canonical u, low order)
            // have the RFC 7748 result too; a zero result is the one a
            // handshake refuses (ZeroSharedSecret).
            assert_eq!(got, want, "tcId {id} ({result}, {flags})");
            assert_eq!(
                is_zero(&got),
                flags.contains("ZeroSharedSecret"),
                "tcId {id}"
            );
            n += 1;
        }
        assert_eq!(n, 518);
    }
}
