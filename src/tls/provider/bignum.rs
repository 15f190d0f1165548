//! Fixed-length multi-precision arithmetic for RSA: little-endian u32 limbs,
//! Montgomery multiplication (CIOS), exponentiation.
//!
//! Everything but [`Modulus::pow_public`] runs in time that depends only on
//! the limb counts, never on the values: no branch, index or early exit
//! depends on a limb (conditional subtractions are masks, the exponent's
//! windows select table entries by scanning the whole table). The RSA private
//! key operation (`rsa_priv`) relies on that; the verifier (`rsa_pub`) uses
//! the same code with public data.
//!
//! Scratch space is one modulus-sized buffer per call, allocated by the
//! caller's `Vec`s; nothing else allocates.

// Builds without `rsa-sign` use only the public half (verification).
#![cfg_attr(not(any(feature = "rsa-sign", test)), allow(dead_code))]

use alloc::vec::Vec;

use zeroize::Zeroize;

/// A zeroed vector of `len` limbs. (Infallible on purpose: inside an engine
/// step an allocation failure abandons the step as out of memory, where an
/// error would read as a bad key or signature.)
pub fn zeroed(len: usize) -> Vec<u32> {
    let mut v = Vec::new();
    v.reserve_exact(len);
    v.resize(len, 0);
    v
}

/// A number whose limbs are wiped when it is dropped: every intermediate of
/// the private-key operation is one.
pub struct Num(Vec<u32>);

impl Num {
    pub fn zero(limbs: usize) -> Self {
        Num(zeroed(limbs))
    }
}

impl From<Vec<u32>> for Num {
    fn from(v: Vec<u32>) -> Self {
        Num(v)
    }
}

impl Drop for Num {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::ops::Deref for Num {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.0
    }
}

impl core::ops::DerefMut for Num {
    fn deref_mut(&mut self) -> &mut [u32] {
        &mut self.0
    }
}

/// Big-endian bytes to `limbs` little-endian limbs; `None` if they do not fit.
pub fn from_be(b: &[u8], limbs: usize) -> Option<Vec<u32>> {
    let mut v = zeroed(limbs);
    for (i, &byte) in b.iter().rev().enumerate() {
        if byte != 0 && i / 4 >= limbs {
            return None;
        }
        if let Some(limb) = v.get_mut(i / 4) {
            *limb |= u32::from(byte) << (8 * (i % 4));
        }
    }
    Some(v)
}

/// `a` as big-endian bytes filling `out` (higher limbs must be zero).
pub fn to_be(a: &[u32], out: &mut [u8]) {
    let k = out.len();
    for (i, b) in out.iter_mut().enumerate() {
        let j = k - 1 - i;
        *b = a.get(j / 4).map_or(0, |l| (l >> (8 * (j % 4))) as u8);
    }
}

/// 0xFFFF_FFFF if `ctl` is 1, 0 if it is 0.
fn mask(ctl: u32) -> u32 {
    0u32.wrapping_sub(ctl)
}

/// a += b (same length); returns the carry.
pub fn add_in_place(a: &mut [u32], b: &[u32]) -> u32 {
    let mut carry = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let s = u64::from(*x) + u64::from(y) + carry;
        *x = s as u32;
        carry = s >> 32;
    }
    carry as u32
}

/// a += b where b may be shorter: the carry runs on through a's upper limbs
/// (the caller knows the sum fits).
pub fn add_low(a: &mut [u32], b: &[u32]) {
    let mut carry = u64::from(add_in_place(a, b));
    for x in a.iter_mut().skip(b.len()) {
        let s = u64::from(*x) + carry;
        *x = s as u32;
        carry = s >> 32;
    }
}

/// a -= b (same length); returns the borrow.
pub fn sub_in_place(a: &mut [u32], b: &[u32]) -> u32 {
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
    borrow as u32
}

/// a += b if `ctl` (0 or 1), in constant time; returns the carry.
fn cond_add(a: &mut [u32], b: &[u32], ctl: u32) -> u32 {
    let m = mask(ctl);
    let mut carry = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let s = u64::from(*x) + u64::from(y & m) + carry;
        *x = s as u32;
        carry = s >> 32;
    }
    carry as u32
}

/// a -= b if `ctl` (0 or 1), in constant time; returns the borrow.
fn cond_sub(a: &mut [u32], b: &[u32], ctl: u32) -> u32 {
    let m = mask(ctl);
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(y & m))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
    borrow as u32
}

/// x >> 1 with `top` (0 or 1) shifted in at the top.
fn halve(x: &mut [u32], top: u32) {
    let mut carry = top;
    for limb in x.iter_mut().rev() {
        let next = *limb & 1;
        *limb = (*limb >> 1) | (carry << 31);
        carry = next;
    }
}

/// `x` (with `carry` as an extra top bit) reduced once: x - m if that is not
/// negative. Requires x < 2m.
fn reduce_once(x: &mut [u32], carry: u32, m: &[u32]) {
    let borrow = sub_in_place(x, m);
    cond_add(x, m, (1 - carry) & borrow);
}

/// 1 if a < b (same length), in constant time.
pub fn lt(a: &[u32], b: &[u32]) -> u32 {
    let mut borrow = 0u64;
    for (&x, &y) in a.iter().zip(b) {
        let d = u64::from(x).wrapping_sub(u64::from(y)).wrapping_sub(borrow);
        borrow = (d >> 63) & 1;
    }
    borrow as u32
}

/// -m0^-1 mod 2^32 (Newton iteration; m0 odd).
fn mont_inv(m0: u32) -> u32 {
    let mut x: u32 = 1;
    for _ in 0..5 {
        x = x.wrapping_mul(2u32.wrapping_sub(m0.wrapping_mul(x)));
    }
    x.wrapping_neg()
}

/// An odd modulus with what Montgomery arithmetic needs (R = 2^(32 *
/// limbs)). The limbs of a secret modulus (an RSA prime) are wiped on drop.
/// R^2 mod m, what takes a number into Montgomery form, is not kept:
/// [`Modulus::r2`] computes it where a conversion needs it (a few squarings),
/// so that a stored private key holds its numbers only (0.5 KB less for
/// RSA-2048 for as long as the key lives, every handshake step included).
pub struct Modulus {
    m: Vec<u32>,
    m0inv: u32,
}

impl Drop for Modulus {
    fn drop(&mut self) {
        self.m.zeroize();
    }
}

impl Modulus {
    /// `m` must be odd, its top limb non-zero.
    pub fn new(m: Vec<u32>) -> Option<Self> {
        if m.first()? & 1 == 0 || *m.last()? == 0 {
            return None;
        }
        Some(Modulus {
            m0inv: mont_inv(m[0]),
            m,
        })
    }

    /// x = 2x mod m, for x < m.
    fn double_mod(&self, x: &mut [u32]) {
        let mut carry = 0u32;
        for limb in x.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        reduce_once(x, carry, &self.m);
    }

    /// R mod m (1 in Montgomery form) into `x`, by doubling 1 (32 * limbs)
    /// times, reducing as it goes: no division, and constant time (m may be
    /// a secret prime).
    fn one_mont(&self, x: &mut [u32]) {
        x.iter_mut().for_each(|l| *l = 0);
        x[0] = 1;
        for _ in 0..32 * self.m.len() {
            self.double_mod(x);
        }
    }

    /// R^2 mod m, the factor [`Modulus::to_mont`] and
    /// [`Modulus::reduce_wide_to_mont`] take: 2^(4 * limbs) in Montgomery
    /// form (1's, `one_mont`, doubled 4 * limbs times more), then
    /// three Montgomery squarings (each doubles the exponent): 2^(32 *
    /// limbs) in Montgomery form, R * R mod m. On the LX106 a doubling of a
    /// 2048-bit number costs ~1.7 K instructions and a squaring ~0.5 M:
    /// doubling all the way (64 * limbs times) cost 7 M, more than the
    /// exponentiation of an RSA-2048 verification, this ~5 M. The sequence
    /// depends on the modulus' length only. `t`: a scratch of at least
    /// limbs + 2.
    pub fn r2(&self, t: &mut [u32]) -> Num {
        let mut x = Num::zero(self.m.len());
        self.one_mont(&mut x);
        for _ in 0..4 * self.m.len() {
            self.double_mod(&mut x);
        }
        for _ in 0..3 {
            self.square_assign(&mut x, t);
        }
        x
    }

    pub fn limbs(&self) -> usize {
        self.m.len()
    }

    pub fn value(&self) -> &[u32] {
        &self.m
    }

    /// Scratch for every operation below: 2 * limbs + 2, wiped on drop.
    pub fn scratch(&self) -> Num {
        Num::zero(2 * self.m.len() + 2)
    }

    /// a * b * R^-1 mod m (CIOS) into t[..limbs]; a, b < m.
    fn redc_mul(&self, a: &[u32], b: &[u32], t: &mut [u32]) {
        let (m, s) = (&self.m, self.m.len());
        t[..s + 2].iter_mut().for_each(|x| *x = 0);
        for &ai in a.iter().take(s) {
            let mut carry = 0u64;
            for j in 0..s {
                let v = u64::from(t[j]) + u64::from(ai) * u64::from(b[j]) + carry;
                t[j] = v as u32;
                carry = v >> 32;
            }
            let v = u64::from(t[s]) + carry;
            t[s] = v as u32;
            t[s + 1] = (v >> 32) as u32;
            let u = t[0].wrapping_mul(self.m0inv);
            let v = u64::from(t[0]) + u64::from(u) * u64::from(m[0]);
            let mut carry = v >> 32;
            for j in 1..s {
                let v = u64::from(t[j]) + u64::from(u) * u64::from(m[j]) + carry;
                t[j - 1] = v as u32;
                carry = v >> 32;
            }
            let v = u64::from(t[s]) + carry;
            t[s - 1] = v as u32;
            t[s] = t[s + 1] + (v >> 32) as u32;
        }
        let (res, top) = t.split_at_mut(s);
        reduce_once(res, top[0], m);
    }

    /// out = a * b * R^-1 mod m; a, b < m.
    pub fn mul(&self, out: &mut [u32], a: &[u32], b: &[u32], t: &mut [u32]) {
        self.redc_mul(a, b, t);
        out.copy_from_slice(&t[..self.m.len()]);
    }

    /// x = x * b * R^-1 mod m.
    pub fn mul_assign(&self, x: &mut [u32], b: &[u32], t: &mut [u32]) {
        self.redc_mul(x, b, t);
        x.copy_from_slice(&t[..self.m.len()]);
    }

    /// x = x^2 * R^-1 mod m.
    fn square_assign(&self, x: &mut [u32], t: &mut [u32]) {
        self.redc_mul(x, x, t);
        x.copy_from_slice(&t[..self.m.len()]);
    }

    /// a = a - b mod m; a, b < m.
    pub fn sub_mod(&self, a: &mut [u32], b: &[u32]) {
        let borrow = sub_in_place(a, b);
        cond_add(a, &self.m, borrow);
    }

    /// x (< m) into Montgomery form, in place; `rr` from [`Modulus::r2`].
    pub fn to_mont(&self, x: &mut [u32], rr: &[u32], t: &mut [u32]) {
        self.mul_assign(x, rr, t);
    }

    /// Montgomery reduction of the 2 * limbs value in t[..2s] (with t[2s] = 0):
    /// t * R^-1, once reduced, in t[s..2s]. Requires t < m * R.
    fn redc_wide(&self, t: &mut [u32]) {
        let s = self.m.len();
        t[2 * s] = 0;
        for i in 0..s {
            let u = t[i].wrapping_mul(self.m0inv);
            let mut carry = 0u64;
            for j in 0..s {
                let v = u64::from(t[i + j]) + u64::from(u) * u64::from(self.m[j]) + carry;
                t[i + j] = v as u32;
                carry = v >> 32;
            }
            for limb in t[i + s..2 * s + 1].iter_mut() {
                let v = u64::from(*limb) + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
        }
        let top = t[2 * s];
        reduce_once(&mut t[s..2 * s], top, &self.m);
    }

    /// x out of Montgomery form, in place.
    pub fn out_of_mont(&self, x: &mut [u32], t: &mut [u32]) {
        let s = self.m.len();
        t[..s].copy_from_slice(x);
        t[s..].iter_mut().for_each(|l| *l = 0);
        self.redc_wide(t);
        x.copy_from_slice(&t[s..2 * s]);
    }

    /// `out = x mod m`, in Montgomery form, for `x` of up to twice the
    /// modulus' limbs with x < m * R (an RSA input reduced modulo one of the
    /// primes: x < p * q and q < R). Montgomery reduction of the wide value
    /// gives x * R^-1; two multiplications by R^2 (`rr`, [`Modulus::r2`])
    /// make it x * R.
    pub fn reduce_wide_to_mont(&self, x: &[u32], out: &mut [u32], rr: &[u32], t: &mut [u32]) {
        let s = self.m.len();
        let n = x.len().min(2 * s);
        t[..n].copy_from_slice(&x[..n]);
        t[n..].iter_mut().for_each(|l| *l = 0);
        self.redc_wide(t);
        out.copy_from_slice(&t[s..2 * s]);
        self.mul_assign(out, rr, t);
        self.mul_assign(out, rr, t);
    }

    /// base^e mod m for a public exponent, base and result in Montgomery form
    /// (variable time in `e`: only for public exponents).
    pub fn pow_public(&self, base: &[u32], e: u64, out: &mut [u32], t: &mut [u32]) {
        out.copy_from_slice(base);
        let top = 63 - e.leading_zeros();
        for bit in (0..top).rev() {
            self.square_assign(out, t);
            if (e >> bit) & 1 == 1 {
                self.mul_assign(out, base, t);
            }
        }
    }

    /// x = x^e mod m for a secret exponent of `e.len()` limbs, x in
    /// Montgomery form before and after: fixed [`WINDOW`]-bit windows over
    /// every bit of `e` (leading zeros included), [`WINDOW`] squarings and one
    /// multiplication per window, the multiplier read from a table of
    /// 2^[`WINDOW`] entries by scanning all of it. The table (its entries and
    /// the selected one) is the one buffer this allocates; it is wiped when
    /// freed. In place, so that the caller holds no separate result while
    /// the table is live (the RSA signature's heap peak).
    pub fn pow_secret(&self, x: &mut [u32], e: &[u32], t: &mut [u32]) {
        let s = self.m.len();
        let entries = 1usize << WINDOW;
        let mut work = Num::zero((entries + 1) * s);
        let (table, sel) = work.split_at_mut(entries * s);
        // table[0] = 1 in Montgomery form (R mod m), table[i] = x^i.
        self.one_mont(&mut table[..s]);
        table[s..2 * s].copy_from_slice(x);
        for i in 2..entries {
            let (done, next) = table.split_at_mut(i * s);
            self.mul(&mut next[..s], &done[(i - 1) * s..], x, t);
        }
        x.copy_from_slice(&table[..s]);
        for window in (0..(e.len() * 32).div_ceil(WINDOW)).rev() {
            for _ in 0..WINDOW {
                self.square_assign(x, t);
            }
            // The window's position depends on the loop counter only.
            let w = exponent_bits(e, window * WINDOW);
            sel.iter_mut().for_each(|l| *l = 0);
            for (j, entry) in (0u32..).zip(table.chunks_exact(s)) {
                // 1 when j == w: (j ^ w) - 1 has its top bit set only for 0.
                let m = mask(((j ^ w).wrapping_sub(1)) >> 31);
                for (l, &y) in sel.iter_mut().zip(entry) {
                    *l |= y & m;
                }
            }
            self.mul_assign(x, sel, t);
        }
    }
}

/// Bits of a secret exponent taken per window by [`Modulus::pow_secret`]:
/// 3 bits, an 8-entry table (1.1 KB for an RSA-2048 prime, against 2.1 KB
/// for 4 bits) for ~6% more multiplications (1 372 against 1 294 per
/// 1024-bit exponent).
pub const WINDOW: usize = 3;

/// The [`WINDOW`] bits of `e` from bit `pos` on (bits past the end read as
/// zero). Which limbs are read depends on `pos` only, never on the values.
fn exponent_bits(e: &[u32], pos: usize) -> u32 {
    let (limb, shift) = (pos / 32, pos % 32);
    let mut w = e[limb] >> shift;
    if shift + WINDOW > 32 && limb + 1 < e.len() {
        w |= e[limb + 1] << (32 - shift);
    }
    w & ((1 << WINDOW) - 1)
}

/// `a * b` (schoolbook) into `out` of `a.len() + b.len()` limbs.
pub fn mul_plain(out: &mut [u32], a: &[u32], b: &[u32]) {
    out.iter_mut().for_each(|x| *x = 0);
    for (i, &ai) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &bj) in b.iter().enumerate() {
            let v = u64::from(out[i + j]) + u64::from(ai) * u64::from(bj) + carry;
            out[i + j] = v as u32;
            carry = v >> 32;
        }
        out[i + b.len()] = carry as u32;
    }
}

/// x^-1 mod m for odd m and 0 < x < m, in constant time (binary GCD with a
/// fixed 2 * 32 * limbs iterations, every step done with masks). `None` if
/// gcd(x, m) != 1. Invariants: a = u * x and b = v * x (mod m).
pub fn inverse(x: &[u32], m: &[u32]) -> Option<Num> {
    let s = m.len();
    let (mut a, mut b) = (Num::from(x.to_vec()), Num::from(m.to_vec()));
    let (mut u, mut v) = (Num::zero(s), Num::zero(s));
    u[0] = 1;
    for _ in 0..(64 * s) {
        // If a is odd: make a >= b by swapping (with u, v), then a -= b,
        // u -= v (mod m); a is even afterwards.
        let odd = a[0] & 1;
        let swap = odd & lt(&a, &b);
        let sm = mask(swap);
        for i in 0..s {
            let d = (a[i] ^ b[i]) & sm;
            a[i] ^= d;
            b[i] ^= d;
            let d = (u[i] ^ v[i]) & sm;
            u[i] ^= d;
            v[i] ^= d;
        }
        cond_sub(&mut a, &b, odd);
        let borrow = cond_sub(&mut u, &v, odd);
        cond_add(&mut u, m, borrow);
        // a /= 2; u /= 2 (mod m): add m first when u is odd.
        halve(&mut a, 0);
        let uodd = u[0] & 1;
        let top = cond_add(&mut u, m, uodd);
        halve(&mut u, top);
    }
    // b = gcd(x, m): 1 for an invertible x.
    let one = b[0] == 1 && b[1..].iter().all(|&l| l == 0);
    one.then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R^2 mod m by its definition: 1 doubled 2 * 32 * limbs times,
    /// reduced as it goes.
    fn r2_by_doubling(m: &Modulus) -> Vec<u32> {
        let mut x = zeroed(m.limbs());
        x[0] = 1;
        for _ in 0..64 * m.limbs() {
            m.double_mod(&mut x);
        }
        x
    }

    #[test]
    fn r2_by_squarings_is_r_squared_for_every_modulus_length() {
        let mut bytes = [0u8; 4 * 130];
        // Lengths whose 32 * limbs is a power of two (2048-bit moduli, their
        // primes) and ones where it is not (3072 bits: 96 limbs).
        for limbs in [1usize, 2, 3, 5, 8, 32, 48, 64, 96, 128, 130] {
            for top in [1u32, 0x8000_0001, u32::MAX] {
                crate::tls::rng::fill(&mut bytes).unwrap();
                let mut v = from_be(&bytes[..4 * limbs], limbs).unwrap();
                v[0] |= 1;
                v[limbs - 1] = top;
                if v == [1] {
                    continue; // m = 1: nothing to reduce
                }
                let m = Modulus::new(v).unwrap();
                let mut t = m.scratch();
                assert_eq!(&*m.r2(&mut t), &r2_by_doubling(&m)[..], "{limbs} limbs");
            }
        }
    }
}
