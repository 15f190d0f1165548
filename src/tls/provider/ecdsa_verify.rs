//! ECDSA verification on a small stack.
//!
//! `ecdsa::hazmat::verify_prehashed` forms u1·G + u2·Q with primeorder's
//! `lincomb`: two constant-time multiplications, each holding a 16-point
//! table in its frame (3.3 KB for P-384, 2.2 KB for P-256 on the LX106), the
//! largest frame of the whole handshake (docs/STACK.md). Verification has no
//! secret input, so constant time buys nothing; Shamir's trick walks both
//! scalars at once with three points (G, Q, G+Q) and costs fewer group
//! operations than the two multiplications. Everything around it (range of
//! r and s, reduction of the digest, the final comparison) is the `ecdsa`
//! crate's own code path, repeated here line for line.
//!
//! P-256 has its own point arithmetic (`ec_p256`, 13-bit limbs for the
//! LX106): [`verify_prehash_p256`] does the scalar part with the `p256`
//! crate as above and hands u1, Q, u2 and r to it.

use ecdsa::elliptic_curve::ff::PrimeField;
use ecdsa::elliptic_curve::generic_array::ArrayLength;
use ecdsa::elliptic_curve::group::{Curve as _, Group};
use ecdsa::elliptic_curve::ops::{Invert, Reduce};
use ecdsa::elliptic_curve::point::AffineCoordinates;
use ecdsa::elliptic_curve::{AffinePoint, CurveArithmetic, ProjectivePoint, Scalar};
use ecdsa::{PrimeCurve, Signature, SignatureSize};
use rustls_pki_types::InvalidSignature;

/// Verifies `sig` over the message digest `prehash` with the public key `q`
/// (already checked to be on the curve and not the identity by its decoder).
///
/// Accepts exactly what `ecdsa::VerifyingKey::verify_prehash` accepts (high-S
/// signatures included, as X.509 requires); the tests compare the two.
/// For the NIST curves only: their scalars encode big-endian.
pub fn verify_prehash<C>(
    q: &AffinePoint<C>,
    prehash: &[u8],
    sig: &Signature<C>,
) -> Result<(), InvalidSignature>
where
    C: PrimeCurve + CurveArithmetic,
    SignatureSize<C>: ArrayLength<u8>,
{
    let z = ecdsa::hazmat::bits2field::<C>(prehash).map_err(|_| InvalidSignature)?;
    let z = <Scalar<C> as Reduce<C::Uint>>::reduce_bytes(&z);
    // Both are non-zero and below the group order: `Signature` refuses
    // anything else when it is built.
    let (r, s) = sig.split_scalars();
    let s_inv = *s.invert_vartime();
    let u1 = z * s_inv;
    let u2 = *r * s_inv;
    // The identity has no affine x; primeorder encodes it as x = 0, which
    // never equals a non-zero r, so a sum at infinity is rejected below.
    let x = sum_of_products::<C>(&u1, q, &u2).to_affine().x();
    if *r == <Scalar<C> as Reduce<C::Uint>>::reduce_bytes(&x) {
        Ok(())
    } else {
        Err(InvalidSignature)
    }
}

/// [`verify_prehash`] for P-256 over `ec_p256`'s point arithmetic, the key
/// given as SEC1 bytes (compressed or not). Accepts exactly what
/// `verify_prehash` accepts.
#[cfg(feature = "ecdsa-p256")]
pub fn verify_prehash_p256(
    public_key: &[u8],
    prehash: &[u8],
    sig: &p256::ecdsa::Signature,
) -> Result<(), InvalidSignature> {
    let q = super::ec_p256::uncompressed(public_key).ok_or(InvalidSignature)?;
    let [u1, u2, r] = p256_scalars(prehash, sig)?;
    if super::ec_p256::verify_combination(&u1, &q, &u2, &r) {
        Ok(())
    } else {
        Err(InvalidSignature)
    }
}

/// u1 = z/s, u2 = r/s and r, big-endian, as `verify_prehash` computes them.
/// Not inlined: the scalar arithmetic's temporaries stay out of the frame
/// that calls the point multiplication.
#[cfg(feature = "ecdsa-p256")]
#[inline(never)]
fn p256_scalars(
    prehash: &[u8],
    sig: &p256::ecdsa::Signature,
) -> Result<[[u8; 32]; 3], InvalidSignature> {
    let z = ecdsa::hazmat::bits2field::<p256::NistP256>(prehash).map_err(|_| InvalidSignature)?;
    let z = <p256::Scalar as Reduce<p256::U256>>::reduce_bytes(&z);
    let (r, s) = sig.split_scalars();
    let s_inv = *s.invert_vartime();
    Ok([
        (z * s_inv).to_repr().into(),
        (*r * s_inv).to_repr().into(),
        r.to_repr().into(),
    ])
}

/// u1·G + u2·Q in variable time (public inputs only), most significant bit
/// first: one doubling per bit and at most one addition of G, Q or G+Q.
/// The additions are primeorder's complete formulas, so G+Q, Q = ±G and the
/// identity as the running sum need no special case.
#[inline(never)]
fn sum_of_products<C>(u1: &Scalar<C>, q: &AffinePoint<C>, u2: &Scalar<C>) -> ProjectivePoint<C>
where
    C: PrimeCurve + CurveArithmetic,
{
    let g = ProjectivePoint::<C>::generator();
    let q = ProjectivePoint::<C>::from(*q);
    let g_plus_q = g + q;
    let (a, b) = (u1.to_repr(), u2.to_repr());
    let mut acc = ProjectivePoint::<C>::identity();
    let mut started = false;
    for (&x, &y) in a.as_ref().iter().zip(b.as_ref()) {
        for bit in (0..8).rev() {
            if started {
                acc = acc.double();
            }
            let addend = match ((x >> bit) & 1, (y >> bit) & 1) {
                (1, 0) => &g,
                (0, 1) => &q,
                (1, 1) => &g_plus_q,
                _ => continue,
            };
            acc += addend;
            started = true;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::verify_prehash;
    use ecdsa::elliptic_curve::ff::PrimeField;
    use ecdsa::elliptic_curve::ops::Reduce;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use sha2::Digest;

    /// A deterministic stream of 32-byte blocks (SHA-256 of a counter), so a
    /// failure names a case that reproduces.
    fn block(seed: &str, i: u32) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update(seed.as_bytes());
        h.update(i.to_be_bytes());
        h.finalize().into()
    }

    macro_rules! curve_tests {
        ($modname:ident, $curve:ident, $hash:ty) => {
            mod $modname {
                use super::$curve as c;
                use super::*;
                use c::ecdsa::{Signature, SigningKey, VerifyingKey};

                fn key(i: u32) -> SigningKey {
                    let mut k = [0u8; 64];
                    k[..32].copy_from_slice(&block("key", i));
                    k[32..].copy_from_slice(&block("key2", i));
                    let len = c::FieldBytes::default().len();
                    SigningKey::from_slice(&k[..len]).unwrap()
                }

                fn ours(vk: &VerifyingKey, digest: &[u8], sig: &Signature) -> bool {
                    let generic =
                        verify_prehash::<c::NistP256Or384>(vk.as_affine(), digest, sig).is_ok();
                    // The curve's own path, when it has one, agrees with it.
                    if let Some(own) = c::own(vk, digest, sig) {
                        assert_eq!(own, generic, "own arithmetic disagrees");
                    }
                    generic
                }

                fn reference(vk: &VerifyingKey, digest: &[u8], sig: &Signature) -> bool {
                    vk.verify_prehash(digest, sig).is_ok()
                }

                #[test]
                fn accepts_every_signature_the_ecdsa_crate_makes_and_accepts() {
                    for i in 0..24 {
                        let sk = key(i);
                        let digest = <$hash>::digest(block("msg", i));
                        let sig: Signature = sk.sign_prehash(&digest).unwrap();
                        assert!(reference(sk.verifying_key(), &digest, &sig), "case {i}");
                        assert!(ours(sk.verifying_key(), &digest, &sig), "case {i}");
                        // The high-S twin (n - s) is valid ECDSA too.
                        let (r, s) = sig.split_scalars();
                        let high = Signature::from_scalars(*r, -*s).unwrap();
                        assert!(reference(sk.verifying_key(), &digest, &high), "case {i}");
                        assert!(ours(sk.verifying_key(), &digest, &high), "case {i} high-S");
                    }
                }

                #[test]
                fn rejects_whatever_the_ecdsa_crate_rejects() {
                    for i in 0..24 {
                        let sk = key(i);
                        let other = key(i + 1000);
                        let digest = <$hash>::digest(block("msg", i));
                        let sig: Signature = sk.sign_prehash(&digest).unwrap();
                        let mut bad_digest = digest;
                        let at = i as usize % bad_digest.len();
                        bad_digest[at] ^= 1 << (i % 8);
                        let (r, s) = sig.split_scalars();
                        let one = c::Scalar::ONE;
                        let cases = [
                            (sk.verifying_key(), &bad_digest[..], sig),
                            (other.verifying_key(), &digest[..], sig),
                            (
                                sk.verifying_key(),
                                &digest[..],
                                Signature::from_scalars(*r + one, *s).unwrap(),
                            ),
                            (
                                sk.verifying_key(),
                                &digest[..],
                                Signature::from_scalars(*r, *s + one).unwrap(),
                            ),
                            (
                                sk.verifying_key(),
                                &digest[..],
                                Signature::from_scalars(*s, *r).unwrap(),
                            ),
                        ];
                        for (n, (vk, d, sg)) in cases.iter().enumerate() {
                            assert!(!reference(vk, d, sg), "case {i}/{n}: reference accepted");
                            assert!(!ours(vk, d, sg), "case {i}/{n}: accepted a bad signature");
                        }
                    }
                }

                /// With z = -r·d the sum u1·G + u2·Q is the point at
                /// infinity, which must not pass as "x = 0 = r mod n".
                #[test]
                fn a_sum_at_infinity_is_rejected() {
                    for i in 0..8 {
                        let sk = key(i);
                        let d: c::Scalar = *sk.as_nonzero_scalar().as_ref();
                        let wide = [block("r", i), block("r2", i)].concat();
                        let len = c::FieldBytes::default().len();
                        let r = <c::Scalar as Reduce<c::U>>::reduce_bytes(
                            c::FieldBytes::from_slice(&wide[..len]),
                        );
                        let z = -(r * d);
                        let digest = z.to_repr();
                        let sig = Signature::from_scalars(r, c::Scalar::ONE + r).unwrap();
                        assert!(!reference(sk.verifying_key(), &digest, &sig), "case {i}");
                        assert!(!ours(sk.verifying_key(), &digest, &sig), "case {i}");
                    }
                }
            }
        };
    }

    #[cfg(feature = "ecdsa-p256")]
    mod p256_curve {
        pub use p256::{ecdsa, FieldBytes, NistP256 as NistP256Or384, Scalar, U256 as U};

        /// `verify_prehash_p256`, given the key uncompressed and compressed.
        pub fn own(
            vk: &ecdsa::VerifyingKey,
            digest: &[u8],
            sig: &ecdsa::Signature,
        ) -> Option<bool> {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let verify = |compress| {
                let key = vk.as_affine().to_encoded_point(compress);
                super::super::verify_prehash_p256(key.as_bytes(), digest, sig).is_ok()
            };
            let own = verify(false);
            assert_eq!(own, verify(true), "compressed key");
            Some(own)
        }
    }
    #[cfg(feature = "ecdsa-p384")]
    mod p384_curve {
        pub use p384::{ecdsa, FieldBytes, NistP384 as NistP256Or384, Scalar, U384 as U};

        pub fn own(_: &ecdsa::VerifyingKey, _: &[u8], _: &ecdsa::Signature) -> Option<bool> {
            None
        }
    }
    #[cfg(feature = "ecdsa-p256")]
    curve_tests!(p256_sha256, p256_curve, sha2::Sha256);
    #[cfg(feature = "ecdsa-p384")]
    curve_tests!(p384_sha384, p384_curve, sha2::Sha384);
}
