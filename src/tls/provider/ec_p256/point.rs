//! P-256 points in Jacobian coordinates (x = X/Z², y = Y/Z³; Z = 0 is the
//! point at infinity) over `field.rs`.
//!
//! Two scalar multiplications:
//! - [`mul_ct`] for secret scalars (ECDH, key generation, signing): signed
//!   4-bit digits over an 8-point table read by masking, no
//!   secret-dependent branch or index;
//! - [`mul2_vartime`] for signature verification (public inputs only):
//!   u1·G + u2·Q with width-5 NAF digits for G, whose odd multiples are a
//!   flash table (affine: mixed additions), width 4 for Q (4 computed
//!   points).
//!
//! Not wiped: the field temporaries inside `double` and the additions stay
//! on the stack after a constant-time multiplication (the table, the
//! digits, the accumulator and the selected entries are wiped).

use super::consts::{B, G_ODD, ONE};
use super::field::Fe;
use zeroize::Zeroize;

#[derive(Clone, Copy, Debug)]
pub(super) struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

/// An affine point, coordinates in Montgomery form.
#[derive(Clone, Copy, Debug)]
pub(super) struct Affine {
    pub(super) x: Fe,
    pub(super) y: Fe,
}

impl Affine {
    /// Whether y² = x³ - 3x + b.
    pub(super) fn is_on_curve(&self) -> bool {
        let x3 = self.x.square().mul(&self.x);
        let three_x = self.x.double().add(&self.x);
        x3.sub(&three_x).add(&B).eq_vartime(&self.y.square())
    }

    pub(super) fn generator() -> Affine {
        G_ODD[0]
    }
}

impl Jacobian {
    const INFINITY: Jacobian = Jacobian {
        x: ONE,
        y: ONE,
        z: Fe::ZERO,
    };

    fn from_affine(p: &Affine) -> Jacobian {
        Jacobian {
            x: p.x,
            y: p.y,
            z: ONE,
        }
    }

    fn is_infinity_vartime(&self) -> bool {
        self.z.is_zero_vartime()
    }

    fn neg(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y.neg(),
            z: self.z,
        }
    }

    /// 2P for a = -3 (4M + 4S, nine additions); infinity stays infinity
    /// (Z3 = 0). With Y' = 2Y: alpha = 3(X - Z²)(X + Z²), beta4 = X·Y'² = 4XY²,
    /// X3 = alpha² - 2·beta4, Y3 = alpha·(beta4 - X3) - Y'⁴/2 (= 8Y⁴),
    /// Z3 = Y'·Z. In place: no result copy in the callers' frames.
    /// Two scratch elements are reused throughout, so that the frame (on
    /// the deepest stack path, under verification) holds six elements.
    fn double(&mut self) {
        let mut a = self.z.square(); // delta
        let mut b = self.x.sub(&a);
        a = self.x.add_for_mul(&a);
        b = b.mul(&a); // t
        a = b.double();
        // Below 4p: only ever a multiplication input.
        let alpha = a.add_for_mul(&b);
        let y2 = self.y.double();
        self.z = y2.mul(&self.z);
        let g4 = y2.square();
        let beta4 = self.x.mul(&g4);
        a = beta4.double();
        b = alpha.square();
        self.x = b.sub(&a);
        a = beta4.sub(&self.x);
        b = alpha.mul(&a);
        a = g4.square();
        a = a.half();
        self.y = b.sub(&a);
    }

    /// The sum from U1 = X1·Z2², S1 = Y1·Z2³, H = U2 - U1, R = S2 - S1 and
    /// Z1·Z2 (its Z is that times H).
    fn finish(u1: &Fe, s1: &Fe, h: &Fe, r: &Fe, z1z2: &Fe) -> Jacobian {
        let hh = h.square();
        let hhh = hh.mul(h);
        let v = u1.mul(&hh);
        let x = r.square().sub(&hhh).sub(&v.double());
        let y = r.mul(&v.sub(&x)).sub(&s1.mul(&hhh));
        Jacobian {
            x,
            y,
            z: z1z2.mul(h),
        }
    }

    /// P + Q by the general formulas (12M + 4S). Wrong when P = ±Q or either
    /// is infinity: callers exclude those or discard the result.
    fn add_unchecked(&self, q: &Jacobian) -> Jacobian {
        let (u1, s1, h, r) = self.add_parts(q, false);
        Jacobian::finish(&u1, &s1, &h, &r, &self.z.mul(&q.z))
    }

    /// U1, S1, H and R of P + Q, or of P - Q when `negate` (public only).
    fn add_parts(&self, q: &Jacobian, negate: bool) -> (Fe, Fe, Fe, Fe) {
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z.mul(&z2z2));
        let mut s2 = q.y.mul(&self.z.mul(&z1z1));
        if negate {
            s2 = s2.neg();
        }
        (u1, s1, u2.sub(&u1), s2.sub(&s1))
    }

    /// P + Q in constant time, also when P = Q (both sums are computed and
    /// one is selected by masking); still wrong for P = -Q or infinity.
    fn add_or_double_ct(&self, q: &Jacobian) -> Jacobian {
        let (u1, s1, h, r) = self.add_parts(q, false);
        let mut sum = Jacobian::finish(&u1, &s1, &h, &r, &self.z.mul(&q.z));
        let mut twice = *q;
        twice.double();
        sum.select(&twice, h.is_zero_mask() & r.is_zero_mask());
        twice.zeroize();
        sum
    }

    /// P + Q for an affine Q (8M + 3S); the same exclusions.
    fn add_affine_unchecked(&self, q: &Affine) -> Jacobian {
        let (h, r) = self.add_affine_parts(q, false);
        Jacobian::finish(&self.x, &self.y, &h, &r, &self.z)
    }

    fn add_affine_parts(&self, q: &Affine, negate: bool) -> (Fe, Fe) {
        let z1z1 = self.z.square();
        let u2 = q.x.mul(&z1z1);
        let mut s2 = q.y.mul(&self.z.mul(&z1z1));
        if negate {
            s2 = s2.neg();
        }
        (u2.sub(&self.x), s2.sub(&self.y))
    }

    /// P += Q (P -= Q when `negate`) for any P, Q, in variable time
    /// (public points only).
    fn add_vartime(&mut self, q: &Jacobian, negate: bool) {
        if self.is_infinity_vartime() {
            *self = if negate { q.neg() } else { *q };
            return;
        }
        if q.is_infinity_vartime() {
            return;
        }
        let (u1, s1, h, r) = self.add_parts(q, negate);
        if h.is_zero_vartime() {
            if r.is_zero_vartime() {
                self.double();
            } else {
                *self = Jacobian::INFINITY;
            }
            return;
        }
        *self = Jacobian::finish(&u1, &s1, &h, &r, &self.z.mul(&q.z));
    }

    /// P += Q (P -= Q when `negate`) for any P and an affine Q, in
    /// variable time.
    fn add_affine_vartime(&mut self, q: &Affine, negate: bool) {
        if self.is_infinity_vartime() {
            let p = Jacobian::from_affine(q);
            *self = if negate { p.neg() } else { p };
            return;
        }
        let (h, r) = self.add_affine_parts(q, negate);
        if h.is_zero_vartime() {
            if r.is_zero_vartime() {
                self.double();
            } else {
                *self = Jacobian::INFINITY;
            }
            return;
        }
        *self = Jacobian::finish(&self.x, &self.y, &h, &r, &self.z);
    }

    /// Affine x and y in Montgomery form; `None` at infinity.
    pub(super) fn to_affine(self) -> Option<Affine> {
        let zinv = self.z.invert();
        if zinv.is_zero_vartime() {
            return None;
        }
        let zinv2 = zinv.square();
        Some(Affine {
            x: self.x.mul(&zinv2),
            y: self.y.mul(&zinv2.mul(&zinv)),
        })
    }

    fn select(&mut self, q: &Jacobian, mask: u32) {
        self.x.select(&q.x, mask);
        self.y.select(&q.y, mask);
        self.z.select(&q.z, mask);
    }
}

impl Zeroize for Affine {
    fn zeroize(&mut self) {
        self.x.zeroize();
        self.y.zeroize();
    }
}

impl Zeroize for Jacobian {
    fn zeroize(&mut self) {
        self.x.zeroize();
        self.y.zeroize();
        self.z.zeroize();
    }
}

/// All ones when a == b, else zero, without comparison or branch.
fn eq_mask(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    ((x | x.wrapping_neg()) >> 31).wrapping_sub(1)
}

/// k·P for a secret k (big-endian, 1 ≤ k < n) and a point P of order n
/// (any point on the curve but infinity), in constant time.
///
/// Signed 4-bit digits d in -7..=8 (k = Σ d_i·16^i, 65 digits), most
/// significant first: four doublings, then one addition of ±|d|·P from an
/// 8-point table read by masking (d = 0 selects nothing and the sum is
/// discarded; the sign is applied by a masked negation). While the
/// accumulator is infinity the entry itself is taken. Otherwise it is
/// 16m·P with m the digits above (k/16^(i+1) rounded up or down, ≥ 1) and
/// the incomplete formulas are safe where 16m ± d ≢ 0 (mod n): for i ≥ 1
/// both lie in (0, n); for the last digit 16m + d = k, but 16m - d = n
/// when k = n + 2d (d < 0, k ≥ n - 14): that addition is a doubling, so the
/// last one is [`Jacobian::add_or_double_ct`].
#[inline(never)]
pub(super) fn mul_ct(p: &Affine, k: &[u8; 32]) -> Jacobian {
    let mut table = [Jacobian::from_affine(p); 8];
    table[1].double();
    for i in 2..8 {
        table[i] = table[i - 1].add_affine_unchecked(p);
    }
    // Recoding without branches: a window w (with the carry, 0..=16)
    // becomes w - 16 and carries 1 when it is 9 or more.
    let mut digits = [0i8; 65];
    let mut carry = 0i32;
    for (i, d) in digits.iter_mut().take(64).enumerate() {
        let byte = i32::from(k[31 - i / 2]);
        let w = ((byte >> (4 * (i % 2))) & 15) + carry;
        carry = (w + 7) >> 4;
        *d = (w - (carry << 4)) as i8;
    }
    digits[64] = carry as i8;
    let mut acc = Jacobian::INFINITY;
    let mut at_infinity = u32::MAX;
    for (i, &d) in digits.iter().enumerate().rev() {
        if i < 64 {
            for _ in 0..4 {
                acc.double();
            }
        }
        let d = i32::from(d);
        let negative = (d >> 31) as u32;
        let magnitude = ((d ^ d >> 31) - (d >> 31)) as u32;
        let mut entry = Jacobian::INFINITY;
        for (e, t) in table.iter().enumerate() {
            entry.select(t, eq_mask(e as u32 + 1, magnitude));
        }
        let minus_y = entry.y.neg();
        entry.y.select(&minus_y, negative);
        let mut sum = if i == 0 {
            acc.add_or_double_ct(&entry)
        } else {
            acc.add_unchecked(&entry)
        };
        let nonzero = !eq_mask(magnitude, 0);
        acc.select(&sum, nonzero & !at_infinity);
        acc.select(&entry, nonzero & at_infinity);
        at_infinity &= !nonzero;
        entry.zeroize();
        sum.zeroize();
    }
    digits.zeroize();
    table.zeroize();
    acc
}

/// Width-w NAF digits (w = 4 or 5) of a 256-bit scalar, only the non-zero
/// ones (odd, |d| < 2^(w-1), at least w - 1 zeros between two), each as
/// position·32 + digit + 16, least significant first: 65 at most
/// (positions 0..=256, four apart for w = 4), 130 bytes where a digit
/// array would take 257. Variable time (public scalars only).
struct Naf {
    digits: [u16; 65],
    len: usize,
}

impl Naf {
    fn new(k: &[u8; 32], w: u32) -> Naf {
        let bit = |i: usize| -> u32 {
            if i >= 256 {
                0
            } else {
                u32::from(k[31 - i / 8] >> (i % 8)) & 1
            }
        };
        let mut naf = Naf {
            digits: [0; 65],
            len: 0,
        };
        let (mut i, mut carry) = (0usize, 0u32);
        while i < 257 {
            if bit(i) == carry {
                i += 1;
                continue;
            }
            // Odd: the window's value plus the carry, taken as a signed digit.
            let window = (0..w as usize).fold(0u32, |v, j| v | bit(i + j) << j) + carry;
            carry = u32::from(window >= 1 << (w - 1));
            // window - 2^w·carry + 16, in 1..=31.
            naf.digits[naf.len] = (i as u16) << 5 | (window + 16 - (carry << w)) as u16;
            naf.len += 1;
            i += w as usize;
        }
        naf
    }

    /// The digit at position `i`, for `i` descending from 256: 0 or the
    /// next non-zero digit from the top, consumed.
    fn take(&mut self, i: usize) -> i32 {
        match self.len.checked_sub(1).map(|l| self.digits[l]) {
            Some(d) if usize::from(d >> 5) == i => {
                self.len -= 1;
                i32::from(d & 31) - 16
            }
            _ => 0,
        }
    }
}

/// Q, 3Q, 5Q, 7Q into `t` (public Q, variable time); filled in place, so
/// that no second table sits in this frame.
#[inline(never)]
fn odd_multiples(q: &Affine, t: &mut [Jacobian; 4]) {
    t[0] = Jacobian::from_affine(q);
    let mut q2 = t[0];
    q2.double();
    for i in 1..4 {
        t[i] = t[i - 1];
        t[i].add_vartime(&q2, false);
    }
}

/// u1·G + u2·Q in variable time (public inputs only); Q is any point on
/// the curve. Width-5 digits for G (its 8 odd multiples are in flash),
/// width 4 for Q (4 computed points: a 480-byte table on the stack, not
/// 960; docs/STACK.md).
#[inline(never)]
pub(super) fn mul2_vartime(u1: &[u8; 32], q: &Affine, u2: &[u8; 32]) -> Jacobian {
    let mut q_odd = [Jacobian::INFINITY; 4];
    odd_multiples(q, &mut q_odd);
    let (mut n1, mut n2) = (Naf::new(u1, 5), Naf::new(u2, 4));
    let mut acc = Jacobian::INFINITY;
    for i in (0..257).rev() {
        acc.double();
        let d = n1.take(i);
        if d != 0 {
            acc.add_affine_vartime(&G_ODD[d.unsigned_abs() as usize / 2], d < 0);
        }
        let d = n2.take(i);
        if d != 0 {
            acc.add_vartime(&q_odd[d.unsigned_abs() as usize / 2], d < 0);
        }
    }
    acc
}

/// X/Z² == x (Montgomery form) without an inversion: X == x·Z².
pub(super) fn x_equals_vartime(p: &Jacobian, x: &Fe) -> bool {
    !p.is_infinity_vartime() && p.x.eq_vartime(&x.mul(&p.z.square()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::provider::ec_p256::test_block as block;
    use alloc::vec;
    use alloc::vec::Vec;
    use p256::elliptic_curve::group::Curve;
    use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
    use p256::elliptic_curve::PrimeField;
    use p256::{AffinePoint, ProjectivePoint, Scalar};

    fn scalar(s: &str, i: u32) -> Scalar {
        use p256::elliptic_curve::ops::Reduce;
        <Scalar as Reduce<p256::U256>>::reduce_bytes(&block(s, i).into())
    }

    pub(crate) fn ours(p: &AffinePoint) -> Affine {
        let e = p.to_encoded_point(false);
        Affine {
            x: Fe::from_bytes(e.x().unwrap().as_slice().try_into().unwrap()).unwrap(),
            y: Fe::from_bytes(e.y().unwrap().as_slice().try_into().unwrap()).unwrap(),
        }
    }

    fn theirs(p: &Jacobian) -> AffinePoint {
        match p.to_affine() {
            None => AffinePoint::IDENTITY,
            Some(a) => {
                let e = p256::EncodedPoint::from_affine_coordinates(
                    &a.x.to_bytes().into(),
                    &a.y.to_bytes().into(),
                    false,
                );
                AffinePoint::from_encoded_point(&e).unwrap()
            }
        }
    }

    #[test]
    fn the_generator_table_holds_the_odd_multiples_of_g() {
        for (i, g) in G_ODD.iter().enumerate() {
            let want = (ProjectivePoint::GENERATOR * Scalar::from(2 * i as u64 + 1)).to_affine();
            let p = *g;
            assert!(p.is_on_curve());
            assert_eq!(theirs(&Jacobian::from_affine(&p)), want, "{}G", 2 * i + 1);
        }
    }

    #[test]
    fn constant_time_multiplication_matches_the_p256_crate() {
        let mut edge = vec![
            Scalar::ONE,
            Scalar::from(2u64),
            Scalar::from(15u64),
            Scalar::from(16u64),
        ];
        edge.extend([-Scalar::ONE, -Scalar::from(2u64), -Scalar::from(16u64)]);
        // n - 2, ..., n - 14 (every last digit), 8, 9 and runs of 8 and 9
        // (the carries of the signed recoding).
        edge.extend((2..=14u64).map(|j| -Scalar::from(j)));
        edge.extend([8u64, 9, 0x8888, 0x9999, 0xffff].map(Scalar::from));
        for i in 0..24u32 {
            let p = (ProjectivePoint::GENERATOR * scalar("p", i)).to_affine();
            let ks = edge.iter().copied().chain([scalar("k", i)]);
            for k in ks {
                let ours_p = ours(&p);
                let got = theirs(&mul_ct(&ours_p, &k.to_repr().into()));
                assert_eq!(got, (ProjectivePoint::from(p) * k).to_affine(), "case {i}");
            }
        }
    }

    #[test]
    fn double_scalar_multiplication_matches_the_p256_crate() {
        let g = ProjectivePoint::GENERATOR;
        for i in 0..24u32 {
            let d = scalar("d", i);
            let q = (g * d).to_affine();
            let (u1, u2) = (scalar("u1", i), scalar("u2", i));
            let cases = [
                (u1, u2),
                (Scalar::ZERO, u2),
                (u1, Scalar::ZERO),
                (-Scalar::ONE, -Scalar::ONE),
                // u1 + u2·d = 0: the sum is infinity.
                (-(u2 * d), u2),
                // u1 = u2·d: the last addition is a doubling.
                (u2 * d, u2),
            ];
            for (n, (a, b)) in cases.into_iter().enumerate() {
                let got = mul2_vartime(&a.to_repr().into(), &ours(&q), &b.to_repr().into());
                let want = (g * a + ProjectivePoint::from(q) * b).to_affine();
                assert_eq!(theirs(&got), want, "case {i}/{n}");
            }
        }
        // Q = ±G hits the doubling and infinity branches inside the tables.
        let gq = ours(&AffinePoint::GENERATOR);
        for (a, b) in [
            (Scalar::from(7u64), Scalar::from(9u64)),
            (Scalar::ONE, -Scalar::ONE),
        ] {
            let got = mul2_vartime(&a.to_repr().into(), &gq, &b.to_repr().into());
            assert_eq!(theirs(&got), (g * (a + b)).to_affine());
        }
    }

    #[test]
    fn naf_digits_add_up_to_the_scalar() {
        for i in 0..64u32 {
            let k = if i == 0 { [0xff; 32] } else { block("naf", i) };
            let w = 4 + i % 2;
            let mut naf = Naf::new(&k, w);
            let mut acc = Scalar::ZERO;
            let mut last = None;
            for j in (0..257).rev() {
                let d = naf.take(j);
                acc = acc.double();
                if d != 0 {
                    let bound = 1 << (w - 1);
                    assert!(d % 2 != 0 && -bound < d && d < bound);
                    if let Some(l) = last {
                        assert!(l >= j + w as usize, "digits too close");
                    }
                    last = Some(j);
                    let s = Scalar::from(u64::from(d.unsigned_abs()));
                    acc += if d < 0 { -s } else { s };
                }
            }
            let want =
                <Scalar as p256::elliptic_curve::ops::Reduce<p256::U256>>::reduce_bytes(&k.into());
            assert_eq!(acc, want, "case {i}");
        }
    }
}
