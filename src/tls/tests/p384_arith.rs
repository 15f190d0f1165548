//! vendor/p384 computes its field and scalar multiplications with our loop
//! Montgomery code (vendor/p384/PATCHES.md). These compare it, on the host's
//! 64-bit words, with plain big-integer arithmetic (`rsa`'s `BigUint`):
//! scalar products and inverses, and x(k·G) from textbook affine formulas.
//! (The 32-bit words are checked on the LX106 by `make chip-test`.)

use alloc::vec;
use alloc::vec::Vec;

use p384::elliptic_curve::ff::PrimeField;
use p384::elliptic_curve::sec1::ToEncodedPoint;
use rsa::BigUint;

fn p() -> BigUint {
    BigUint::parse_bytes(
        b"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        16,
    )
    .unwrap()
}

fn n() -> BigUint {
    BigUint::parse_bytes(
        b"ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        16,
    )
    .unwrap()
}

/// Deterministic inputs (xorshift64*): the test fails the same way each run.
struct Inputs(u64);

impl Inputs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, m: &BigUint) -> BigUint {
        let bytes: Vec<u8> = (0..6).flat_map(|_| self.next().to_be_bytes()).collect();
        BigUint::from_bytes_be(&bytes) % m
    }
}

fn to48(x: &BigUint) -> [u8; 48] {
    let b = x.to_bytes_be();
    let mut out = [0u8; 48];
    out[48 - b.len()..].copy_from_slice(&b);
    out
}

fn scalar(x: &BigUint) -> p384::Scalar {
    Option::from(p384::Scalar::from_repr(to48(x).into())).expect("canonical scalar")
}

#[test]
fn scalar_products_and_inverses_match_big_integers() {
    let n = n();
    let one = BigUint::from(1u8);
    let mut edges = vec![BigUint::from(0u8), one.clone(), BigUint::from(2u8)];
    edges.push(&n - 1u8);
    edges.push(&n - 2u8);
    edges.push(BigUint::from(1u8) << 383);
    edges.push((BigUint::from(1u8) << 384) - &n); // 2^384 mod n, Montgomery's R
    let mut inputs = Inputs(0x9e37_79b9_7f4a_7c15);
    let randoms: Vec<BigUint> = (0..300).map(|_| inputs.below(&n)).collect();
    let all: Vec<&BigUint> = edges.iter().chain(randoms.iter()).collect();
    for (i, a) in all.iter().enumerate() {
        let b = all[(i * 7 + 3) % all.len()];
        let got = scalar(a) * scalar(b);
        let want = (*a * b) % &n;
        assert_eq!(
            got.to_repr().as_slice(),
            &to48(&want)[..],
            "a={a:x} b={b:x}"
        );
        let sq = scalar(a).square();
        assert_eq!(
            sq.to_repr().as_slice(),
            &to48(&((*a * *a) % &n))[..],
            "a={a:x}"
        );
        if a.bits() != 0 {
            let inv = Option::<p384::Scalar>::from(scalar(a).invert()).expect("inverse");
            let want_inv = a.modpow(&(&n - 2u8), &n);
            assert_eq!(inv.to_repr().as_slice(), &to48(&want_inv)[..], "a={a:x}");
        }
    }
}

/// x(k·G) with affine formulas over `BigUint` (y² = x³ - 3x + b).
fn textbook_x(k: &BigUint) -> BigUint {
    let p = p();
    let inv = |v: &BigUint| v.modpow(&(&p - 2u8), &p);
    let sub = |a: &BigUint, b: &BigUint| ((a + &p) - b) % &p;
    let g = p384::AffinePoint::GENERATOR.to_encoded_point(false);
    let gx = BigUint::from_bytes_be(g.x().unwrap());
    let gy = BigUint::from_bytes_be(g.y().unwrap());
    let bytes = k.to_bytes_be();
    let bit = |i: usize| bytes[bytes.len() - 1 - i / 8] >> (i % 8) & 1 == 1;
    let mut acc: Option<(BigUint, BigUint)> = None;
    for i in (0..k.bits()).rev() {
        if let Some((x, y)) = acc.take() {
            let l =
                (BigUint::from(3u8) * &x * &x + &p - 3u8) * inv(&(BigUint::from(2u8) * &y)) % &p;
            let x2 = sub(&(&l * &l % &p), &(BigUint::from(2u8) * &x % &p));
            let y2 = sub(&(&l * sub(&x, &x2) % &p), &y);
            acc = Some((x2, y2));
        }
        if bit(i) {
            acc = Some(match acc.take() {
                None => (gx.clone(), gy.clone()),
                Some((x, y)) => {
                    let l = sub(&gy, &y) * inv(&sub(&gx, &x)) % &p;
                    let x3 = sub(&sub(&(&l * &l % &p), &x), &gx);
                    let y3 = sub(&(&l * sub(&x, &x3) % &p), &y);
                    (x3, y3)
                }
            });
        }
    }
    acc.expect("k > 0").0
}

#[test]
fn point_multiples_match_textbook_affine_arithmetic() {
    let mut inputs = Inputs(0x0123_4567_89ab_cdef);
    let mut ks: Vec<BigUint> = vec![
        BigUint::from(2u8),
        BigUint::from(3u8),
        BigUint::from(0xffff_ffffu32),
    ];
    ks.extend((0..6).map(|_| BigUint::from(inputs.next() | 1)));
    for k in &ks {
        let point = (p384::ProjectivePoint::GENERATOR * scalar(k)).to_affine();
        let enc = point.to_encoded_point(false);
        let got = BigUint::from_bytes_be(enc.x().unwrap());
        assert_eq!(got, textbook_x(k), "k={k:x}");
    }
}

/// `FieldElement::sqrt` (vendor/p384/PATCHES.md: rewritten for a smaller
/// frame), through the path that uses it, decompressing a SEC1 point: for
/// random x, a point exists exactly when x³ - 3x + b is a square (Euler's
/// criterion), and then its y is a root of it with the requested parity.
#[test]
fn decompressed_points_match_big_integers() {
    use p384::elliptic_curve::sec1::FromEncodedPoint;
    let p = p();
    let one = BigUint::from(1u8);
    let euler = (&p - &one) >> 1;
    let b = BigUint::parse_bytes(
        b"b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
        16,
    )
    .unwrap();
    let mut rnd = Inputs(0x5eed_0f5c_3a11);
    let (mut on_curve, mut off_curve) = (0, 0);
    for i in 0..40 {
        let x = rnd.below(&p);
        let rhs = ((&x * &x % &p) * &x + &b + &p * 3u8 - &x * 3u8) % &p;
        let is_square = rhs.modpow(&euler, &p) == one;
        let odd = i % 2 == 1;
        let mut sec1 = vec![if odd { 3u8 } else { 2 }];
        sec1.extend_from_slice(&to48(&x));
        let point = p384::EncodedPoint::from_bytes(&sec1).unwrap();
        let decoded: Option<p384::AffinePoint> =
            p384::AffinePoint::from_encoded_point(&point).into();
        assert_eq!(
            decoded.is_some(),
            is_square,
            "case {i}: a point exists iff the right side is a square"
        );
        if let Some(pt) = decoded {
            let full = pt.to_encoded_point(false);
            let y = BigUint::from_bytes_be(full.y().unwrap());
            assert_eq!(
                BigUint::from_bytes_be(full.x().unwrap()),
                x,
                "case {i}: x kept"
            );
            assert_eq!(&y * &y % &p, rhs, "case {i}: y is a root");
            assert_eq!(
                full.y().unwrap()[47] & 1 == 1,
                odd,
                "case {i}: y has the requested parity"
            );
            on_curve += 1;
        } else {
            off_curve += 1;
        }
    }
    assert!(on_curve > 5 && off_curve > 5, "both kinds of input seen");
}
