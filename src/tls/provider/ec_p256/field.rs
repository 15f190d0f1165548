//! Arithmetic modulo p = 2^256 - 2^224 + 2^192 + 2^96 - 1, shaped for the
//! LX106 (16x16->32 and 32x32->low-32 multipliers, no 64-bit product).
//!
//! An element is 20 limbs of 13 bits (260 bits), least significant first, in
//! Montgomery form x·R mod p with R = 2^260. A limb product is below 2^26,
//! so a whole column of the schoolbook product (20 of them) stays below
//! 2^31: one `u32` accumulator per column, no carry handling inside the
//! loop (BearSSL's m15 code rests on the same observation).
//!
//! Montgomery reduction needs no multiplication at all: p ≡ -1 mod 2^13, so
//! the per-limb factor is the limb itself, and adding m·p = m·2^256 -
//! m·2^224 + m·2^192 + m·2^96 - m is four shifted additions.
//!
//! Invariant of every `Fe`: each limb below 2^13, the value below 2p
//! (not necessarily canonical). `mul` of two such values is below 1.25p;
//! `add`/`sub` end with a conditional subtraction of 2p. The one exception,
//! `add_for_mul`, leaves a sum below 4p that only feeds a multiplication
//! (whose result is again below 2p). Everything here runs
//! in constant time (no branch or index depends on the values).

use super::consts::{P, R2, TWO_P};

pub(super) const LIMBS: usize = 20;
const BITS: u32 = 13;
const MASK: u32 = (1 << BITS) - 1;

/// A field element (see the module documentation for the invariant).
#[derive(Clone, Copy, Debug)]
pub(super) struct Fe(pub(super) [u16; LIMBS]);

impl Fe {
    pub(super) const ZERO: Fe = Fe([0; LIMBS]);

    /// Montgomery product a·b/R mod p: the schoolbook product row by row,
    /// each row unrolled (a load, a 32-bit multiply and an add per limb
    /// product; loops are written with indices, not iterator adapters,
    /// which opt-level "z" leaves as calls), then [`redc`].
    pub(super) fn mul(&self, b: &Fe) -> Fe {
        let (a, b) = (&self.0, &b.0);
        // Row 0 initialises the columns (no memset call for the array).
        let a0 = u32::from(a[0]);
        macro_rules! row0 {
            ($($j:literal)*) => {
                [$(a0 * u32::from(b[$j]),)* 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            };
        }
        let mut t: [u32; 2 * LIMBS] = row0!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        let mut i = 1;
        while i < LIMBS {
            let ai = u32::from(a[i]);
            macro_rules! products {
                ($($j:literal)*) => {
                    $(t[i + $j] += ai * u32::from(b[$j]);)*
                };
            }
            products!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
            i += 1;
        }
        redc(&mut t)
    }

    /// Montgomery square a²/R mod p: the products above the diagonal once,
    /// with the doubled limb (2·a_i·a_j < 2^27; a column still sums to what
    /// the full product's does), then the squares. The products between the
    /// two halves of the limbs form a 10x10 rectangle, unrolled like `mul`'s
    /// rows; the two triangles inside the halves are loops.
    pub(super) fn square(&self) -> Fe {
        const HALF: usize = LIMBS / 2;
        let a = &self.0;
        // Row 0 (a0², then 2·a0·a_j for every j) initialises the columns.
        let a0 = u32::from(a[0]);
        let a02 = 2 * a0;
        macro_rules! row0 {
            ($($j:literal)*) => {
                [a0 * a0, $(a02 * u32::from(a[$j]),)* 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            };
        }
        let mut t: [u32; 2 * LIMBS] = row0!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        let mut i = 1;
        while i < LIMBS {
            let ai = u32::from(a[i]);
            t[2 * i] += ai * ai;
            let ai2 = 2 * ai;
            let end = if i < HALF { HALF } else { LIMBS };
            let mut j = i + 1;
            while j < end {
                t[i + j] += ai2 * u32::from(a[j]);
                j += 1;
            }
            if i < HALF {
                macro_rules! products {
                    ($($j:literal)*) => {
                        $(t[i + HALF + $j] += ai2 * u32::from(a[HALF + $j]);)*
                    };
                }
                products!(0 1 2 3 4 5 6 7 8 9);
            }
            i += 1;
        }
        redc(&mut t)
    }

    /// a + b for a result that only feeds [`Fe::mul`] or [`Fe::square`]:
    /// limbs normalised but no reduction, so below 4p, which `mul` accepts
    /// (its output stays below 2p: (4p)²/2^260 + p < 2p).
    pub(super) fn add_for_mul(&self, b: &Fe) -> Fe {
        let mut out = [0u16; LIMBS];
        let mut c = 0u32;
        let mut i = 0;
        while i < LIMBS {
            let v = u32::from(self.0[i]) + u32::from(b.0[i]) + c;
            out[i] = (v & MASK) as u16;
            c = v >> BITS;
            i += 1;
        }
        Fe(out)
    }

    /// `n` successive squarings.
    pub(super) fn square_n(&self, n: u32) -> Fe {
        let mut x = *self;
        for _ in 0..n {
            x = x.square();
        }
        x
    }

    pub(super) fn add(&self, b: &Fe) -> Fe {
        below_2p(|i| i32::from(self.0[i]) + i32::from(b.0[i]))
    }

    pub(super) fn sub(&self, b: &Fe) -> Fe {
        below_2p(|i| i32::from(self.0[i]) - i32::from(b.0[i]) + i32::from(TWO_P.0[i]))
    }

    /// a/2 mod p: a + p when a is odd (masked, no branch), shifted right.
    /// Below 1.5p for a below 2p.
    pub(super) fn half(&self) -> Fe {
        let odd = 0u32.wrapping_sub(u32::from(self.0[0]) & 1);
        let mut s = [0u32; LIMBS + 1];
        let mut c = 0u32;
        let mut i = 0;
        while i < LIMBS {
            let v = u32::from(self.0[i]) + (u32::from(P.0[i]) & odd) + c;
            s[i] = v & MASK;
            c = v >> BITS;
            i += 1;
        }
        s[LIMBS] = c;
        let mut out = [0u16; LIMBS];
        let mut i = 0;
        while i < LIMBS {
            out[i] = ((s[i] >> 1) | (s[i + 1] & 1) << (BITS - 1)) as u16;
            i += 1;
        }
        Fe(out)
    }

    pub(super) fn double(&self) -> Fe {
        self.add(self)
    }

    pub(super) fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// The value reduced below p (still in Montgomery form).
    fn canonical(&self) -> Fe {
        sub_if_not_below(&self.0, &P.0)
    }

    /// Constant-time zero test: all ones when the element is 0 mod p.
    pub(super) fn is_zero_mask(&self) -> u32 {
        let c = self.canonical();
        let acc = c.0.iter().fold(0u32, |acc, &l| acc | u32::from(l));
        // acc == 0 -> 0xffff_ffff, else 0 (no comparison, no branch).
        ((acc | acc.wrapping_neg()) >> 31).wrapping_sub(1)
    }

    pub(super) fn is_zero_vartime(&self) -> bool {
        self.is_zero_mask() != 0
    }

    pub(super) fn eq_vartime(&self, b: &Fe) -> bool {
        self.sub(b).is_zero_vartime()
    }

    /// `mask` is all ones (take `b`) or zero (keep `self`).
    pub(super) fn select(&mut self, b: &Fe, mask: u32) {
        let m = mask as u16;
        let mut i = 0;
        while i < LIMBS {
            self.0[i] ^= (self.0[i] ^ b.0[i]) & m;
            i += 1;
        }
    }

    /// Big-endian bytes of a value below p, into Montgomery form; `None` for
    /// p and above. Variable time in the comparison only (inputs are public:
    /// peer points, signature values).
    pub(super) fn from_bytes(be: &[u8; 32]) -> Option<Fe> {
        let plain = Fe(unpack(be));
        if sub_if_not_below(&plain.0, &P.0).0 != plain.0 {
            return None;
        }
        Some(plain.mul(&R2))
    }

    /// Canonical big-endian bytes (out of Montgomery form).
    pub(super) fn to_bytes(self) -> [u8; 32] {
        let mut one = [0u16; LIMBS];
        one[0] = 1;
        pack(&self.mul(&Fe(one)).canonical().0)
    }

    /// a^(p-2) = a^-1 (0 for 0), constant time. p - 2 in 32-bit words,
    /// most significant first: ffffffff 00000001 0 0 0 ffffffff ffffffff
    /// fffffffd.
    pub(super) fn invert(&self) -> Fe {
        let x1 = *self;
        let (x30, x32) = self.pow_x30_x32();
        let mut t = x32.square_n(32).mul(&x1); // ffffffff 00000001
        t = t.square_n(96);
        t = t.square_n(32).mul(&x32);
        t = t.square_n(32).mul(&x32);
        t = t.square_n(30).mul(&x30);
        t.square_n(2).mul(&x1)
    }

    /// a^(2^32 - 1), and a^(2^30 - 1) on the way: the common start of the
    /// inversion and square root chains.
    fn pow_x30_x32(&self) -> (Fe, Fe) {
        let x1 = *self;
        let x2 = x1.square().mul(&x1); // a^(2^2-1)
        let x3 = x2.square().mul(&x1);
        let x6 = x3.square_n(3).mul(&x3);
        let x12 = x6.square_n(6).mul(&x6);
        let x15 = x12.square_n(3).mul(&x3);
        let x30 = x15.square_n(15).mul(&x15);
        (x30, x30.square_n(2).mul(&x2))
    }

    /// A square root (p ≡ 3 mod 4: a^((p+1)/4), with (p+1)/4 =
    /// (2^32-1)·2^222 + 2^190 + 2^94), or `None` for a non-square.
    pub(super) fn sqrt_vartime(&self) -> Option<Fe> {
        let (_, x32) = self.pow_x30_x32();
        let t = x32.square_n(32).mul(self);
        let r = t.square_n(96).mul(self).square_n(94);
        r.square().eq_vartime(self).then_some(r)
    }

    /// The Montgomery form of a small integer.
    #[cfg(test)]
    pub(super) fn from_u32(v: u32) -> Fe {
        let mut l = [0u16; LIMBS];
        l[0] = (v & MASK) as u16;
        l[1] = ((v >> BITS) & MASK) as u16;
        l[2] = (v >> (2 * BITS)) as u16;
        Fe(l).mul(&R2)
    }
}

impl zeroize::Zeroize for Fe {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// Montgomery reduction of a 39-column product (columns below 2^31) into
/// t·2^-260 mod p, below 1.25p for inputs below 2p. Limbs are handled as
/// signed (the 2^224 term subtracts); each step clears limb i with m = its
/// low 13 bits and carries the rest up.
fn redc(t: &mut [u32; 2 * LIMBS]) -> Fe {
    let mut i = 0;
    while i < LIMBS {
        let x = t[i];
        let m = x & MASK;
        t[i + 1] = t[i + 1].wrapping_add(((x as i32) >> BITS) as u32);
        // + m·2^96, + m·2^192, - m·2^224, + m·2^256 relative to limb i:
        // 96 = 7·13 + 5, 192 = 14·13 + 10, 224 = 17·13 + 3, 256 = 19·13 + 9.
        t[i + 7] = t[i + 7].wrapping_add(m << 5);
        t[i + 14] = t[i + 14].wrapping_add(m << 10);
        t[i + 17] = t[i + 17].wrapping_sub(m << 3);
        t[i + 19] = t[i + 19].wrapping_add(m << 9);
        i += 1;
    }
    let mut out = [0u16; LIMBS];
    let mut c = 0i32;
    let mut i = 0;
    while i < LIMBS {
        let v = (t[LIMBS + i] as i32).wrapping_add(c);
        out[i] = (v as u32 & MASK) as u16;
        c = v >> BITS;
        i += 1;
    }
    Fe(out)
}

/// The value whose limb i is `limb(i)` (signed, unnormalised; the value in
/// [0, 4p)), normalised, less 2p when that stays non-negative. One pass
/// computes both candidates; inlined into `add` and `sub` with their limb
/// expressions.
#[inline(always)]
fn below_2p(limb: impl Fn(usize) -> i32) -> Fe {
    let mut s = [0u16; LIMBS];
    let mut d = [0u16; LIMBS];
    let (mut cs, mut cd) = (0i32, 0i32);
    let mut i = 0;
    while i < LIMBS {
        let v = limb(i) + cs;
        let si = v & MASK as i32;
        s[i] = si as u16;
        cs = v >> BITS;
        let w = si - i32::from(TWO_P.0[i]) + cd;
        d[i] = (w as u32 & MASK) as u16;
        cd = w >> BITS;
        i += 1;
    }
    // cd is -1 (below 2p: keep s) or 0 (take the difference).
    let mut r = Fe(d);
    r.select(&Fe(s), cd as u32);
    r
}

/// `a - q` when a ≥ q, else `a` (normalised limbs), constant time.
fn sub_if_not_below(a: &[u16; LIMBS], q: &[u16; LIMBS]) -> Fe {
    let mut d = [0u16; LIMBS];
    let mut c = 0i32;
    let mut i = 0;
    while i < LIMBS {
        let v = i32::from(a[i]) - i32::from(q[i]) + c;
        d[i] = (v as u32 & MASK) as u16;
        c = v >> BITS;
        i += 1;
    }
    // c is -1 (a < q: keep a) or 0 (take the difference).
    let mut r = Fe(d);
    r.select(&Fe(*a), c as u32);
    r
}

/// 32 big-endian bytes into 13-bit limbs.
fn unpack(be: &[u8; 32]) -> [u16; LIMBS] {
    let mut l = [0u16; LIMBS];
    let (mut acc, mut bits, mut k) = (0u32, 0u32, 0usize);
    for &b in be.iter().rev() {
        acc |= u32::from(b) << bits;
        bits += 8;
        if bits >= BITS {
            l[k] = (acc & MASK) as u16;
            acc >>= BITS;
            bits -= BITS;
            k += 1;
        }
    }
    l[k] = acc as u16;
    l
}

/// Normalised limbs of a value below 2^256 into 32 big-endian bytes.
fn pack(l: &[u16; LIMBS]) -> [u8; 32] {
    let mut be = [0u8; 32];
    let (mut acc, mut bits, mut k) = (0u32, 0u32, 0usize);
    for b in be.iter_mut().rev() {
        if bits < 8 {
            acc |= u32::from(l[k]) << bits;
            bits += BITS;
            k += 1;
        }
        *b = acc as u8;
        acc >>= 8;
        bits -= 8;
    }
    be
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use p256::elliptic_curve::ff::{Field, PrimeField};
    use p256::FieldElement;

    fn reference(x: &Fe) -> FieldElement {
        FieldElement::from_repr(x.to_bytes().into()).unwrap()
    }

    /// Random elements, and the edges: 0, 1, p - 1, p - 2^k.
    fn samples() -> impl Iterator<Item = FieldElement> {
        let edges = [
            FieldElement::ZERO,
            FieldElement::ONE,
            -FieldElement::ONE,
            -FieldElement::from(2u64),
            FieldElement::from(2u64).pow_vartime(&[255]),
            -FieldElement::from(2u64).pow_vartime(&[96]),
        ];
        edges.into_iter().chain((0..64).map(|i| {
            let mut b = crate::tls::provider::ec_p256::test_block("fe", i);
            b[0] &= 0xfe; // below p
            FieldElement::from_repr(b.into()).unwrap()
        }))
    }

    fn ours(x: &FieldElement) -> Fe {
        Fe::from_bytes(&x.to_repr().into()).unwrap()
    }

    /// Elements of the invariant's whole range: x and x + p (both < 2p).
    fn both_forms(x: &FieldElement) -> [Fe; 2] {
        let a = ours(x).canonical();
        let mut t = [0i32; LIMBS];
        for ((t, &x), &q) in t.iter_mut().zip(&a.0).zip(&P.0) {
            *t = i32::from(x) + i32::from(q);
        }
        let mut s = [0u16; LIMBS];
        let mut c = 0;
        for (o, &x) in s.iter_mut().zip(&t) {
            let v = x + c;
            *o = (v & MASK as i32) as u16;
            c = v >> BITS;
        }
        [a, Fe(s)]
    }

    fn check_invariant(x: &Fe) {
        assert!(x.0.iter().all(|&l| u32::from(l) <= MASK));
        // value < 2p: 2p - x does not borrow.
        assert_eq!(sub_if_not_below(&x.0, &TWO_P.0).0, x.0, "not below 2p");
    }

    #[test]
    fn the_constants_are_what_they_claim() {
        let p_bytes = pack(&P.0);
        // p - 1 is the field's -1.
        let mut pm1 = p_bytes;
        pm1[31] -= 1;
        assert_eq!(pm1[..], (-FieldElement::ONE).to_repr()[..]);
        assert_eq!(Fe::from_u32(1).to_bytes(), FieldElement::ONE.to_repr()[..]);
        assert_eq!(
            super::super::consts::ONE.to_bytes()[..],
            FieldElement::ONE.to_repr()[..]
        );
        let b = FieldElement::from_repr(
            hex32("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b").into(),
        )
        .unwrap();
        assert_eq!(super::super::consts::B.to_bytes()[..], b.to_repr()[..]);
        // R2 is the Montgomery form of R: out of the domain it is R mod p,
        // i.e. ONE's limbs.
        assert_eq!(R2.mul(&Fe::from_u32(1)).0, Fe::from_u32(1).mul(&R2).0);
        let mut two_p = [0i32; LIMBS];
        for (t, &l) in two_p.iter_mut().zip(&P.0) {
            *t = 2 * i32::from(l);
        }
        assert_eq!(below_2p(|i| two_p[i]).0, [0; LIMBS]);
    }

    pub(crate) fn hex32(s: &str) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, o) in b.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        b
    }

    #[test]
    fn arithmetic_matches_the_p256_crate_over_the_whole_range() {
        let xs: Vec<FieldElement> = samples().collect();
        for (i, x) in xs.iter().enumerate() {
            let y = &xs[(i * 7 + 3) % xs.len()];
            for a in both_forms(x) {
                for b in both_forms(y) {
                    for (r, want) in [
                        (a.mul(&b), x * y),
                        (a.square(), x.square()),
                        (a.add(&b), x + y),
                        (a.sub(&b), x - y),
                        (a.double(), x.double()),
                        (a.half(), *x * FieldElement::from(2u64).invert().unwrap()),
                        (a.neg(), -*x),
                        // Sums up to 4p as multiplication inputs.
                        (a.add_for_mul(&b).mul(&a.add_for_mul(&b)), (x + y).square()),
                        (a.add_for_mul(&b).square(), (x + y).square()),
                    ] {
                        check_invariant(&r);
                        assert_eq!(reference(&r), want, "case {i}");
                    }
                }
            }
            let inv = ours(x).invert();
            assert_eq!(reference(&inv), x.invert().unwrap_or(FieldElement::ZERO));
            assert_eq!(ours(x).is_zero_vartime(), bool::from(x.is_zero()));
        }
    }

    #[test]
    fn encoding_refuses_p_and_above() {
        assert!(Fe::from_bytes(&pack(&P.0)).is_none());
        assert!(Fe::from_bytes(&[0xff; 32]).is_none());
        let mut pm1 = pack(&P.0);
        pm1[31] -= 1;
        assert_eq!(Fe::from_bytes(&pm1).unwrap().to_bytes(), pm1);
        // p itself, reached by arithmetic, is zero.
        let zero = ours(&FieldElement::ONE).sub(&ours(&FieldElement::ONE));
        assert!(zero.is_zero_vartime());
        assert_eq!(zero.to_bytes(), [0; 32]);
    }

    #[test]
    fn chained_products_stay_in_range() {
        // Worst case for the column bound: all limbs at their maximum
        // keep giving results below 2p, even after many rounds.
        let mut x = Fe([MASK as u16; LIMBS]);
        x.0[LIMBS - 1] = 1023; // < 2p requires the top limb small
        let mut x = sub_if_not_below(&x.0, &TWO_P.0);
        let r = reference(&x);
        let mut want = r;
        for _ in 0..100 {
            x = x.mul(&x.add(&x));
            want = want * want.double();
            check_invariant(&x);
        }
        assert_eq!(reference(&x), want);
    }
}
