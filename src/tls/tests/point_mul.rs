//! Scalar multiplication (vendor/primeorder/PATCHES.md: 3-bit windows over an
//! 8-point table) against a plain double-and-add built from the same crate's
//! point addition and doubling, on random scalars and on the edges: 0, 1, 2,
//! 7, 8 (window boundaries), n - 1 and all bits of the top window set.

use alloc::vec;

use p256::elliptic_curve::ff::PrimeField;
use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::ops::Reduce;
use sha2::Digest;

macro_rules! curve_case {
    ($name:ident, $curve:ident, $uint:ident) => {
        #[test]
        fn $name() {
            use $curve::{AffinePoint, ProjectivePoint, Scalar};

            /// Most significant bit first, variable time: the reference.
            fn reference(p: &ProjectivePoint, k: &Scalar) -> ProjectivePoint {
                let mut acc = ProjectivePoint::IDENTITY;
                for byte in k.to_repr().iter() {
                    for bit in (0..8).rev() {
                        acc = acc.double();
                        if (byte >> bit) & 1 == 1 {
                            acc += p;
                        }
                    }
                }
                acc
            }

            let random = |seed: &str, i: u32| -> Scalar {
                let mut wide = [0u8; 64];
                for (j, half) in wide.chunks_mut(32).enumerate() {
                    let mut h = sha2::Sha256::new();
                    h.update(seed.as_bytes());
                    h.update(i.to_be_bytes());
                    h.update([j as u8]);
                    half.copy_from_slice(&h.finalize());
                }
                let len = $curve::FieldBytes::default().len();
                <Scalar as Reduce<$curve::$uint>>::reduce_bytes($curve::FieldBytes::from_slice(
                    &wide[..len],
                ))
            };

            let mut scalars = vec![
                Scalar::ZERO,
                Scalar::ONE,
                Scalar::from(2u64),
                Scalar::from(7u64),
                Scalar::from(8u64),
                -Scalar::ONE,
                -Scalar::from(2u64),
            ];
            // Top window all ones where the scalar allows it: 2^(bits-1) - 1.
            let mut top = Scalar::ONE;
            for _ in 0..Scalar::NUM_BITS - 1 {
                top = top.double();
            }
            scalars.push(top - Scalar::ONE);
            scalars.push(top);
            for i in 0..24 {
                scalars.push(random("k", i));
            }

            let base = [
                ProjectivePoint::GENERATOR,
                ProjectivePoint::GENERATOR * random("p", 0),
                ProjectivePoint::GENERATOR.double().double(),
            ];
            for (b, p) in base.iter().enumerate() {
                for (i, k) in scalars.iter().enumerate() {
                    let got: AffinePoint = (*p * k).to_affine();
                    let want: AffinePoint = reference(p, k).to_affine();
                    assert_eq!(got, want, "base {b}, scalar {i}");
                }
            }
        }
    };
}

#[cfg(feature = "kx-p256")]
curve_case!(p256_multiples_match_double_and_add, p256, U256);
#[cfg(feature = "kx-p384")]
curve_case!(p384_multiples_match_double_and_add, p384, U384);
