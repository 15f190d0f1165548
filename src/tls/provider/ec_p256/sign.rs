//! ECDSA P-256 signing with our own key, as the `ecdsa` crate's
//! `try_sign_with_rng` does it (the tests compare the signatures): k by
//! RFC 6979 with 32 random bytes as additional data (`ecdsa_nonce`, as the
//! `rfc6979` crate derives it), R = k·G by the
//! constant-time multiplication of `point.rs`, r = x(R) mod n and
//! s = k^-1·(z + r·d) mod n by the `p256` crate's constant-time scalar
//! arithmetic.

use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{bigint::ArrayEncoding, Curve};
use p256::{FieldBytes, NistP256, Scalar, SecretKey, U256};
use zeroize::Zeroizing;

/// A P-256 private key (the scalar is wiped when dropped: `SecretKey`).
#[derive(Clone)]
pub struct SigningKey(SecretKey);

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ec_p256::SigningKey")
    }
}

impl SigningKey {
    /// A big-endian scalar 1 ≤ d < n (shorter inputs are left-padded, as
    /// `SecretKey::from_slice` does).
    pub fn from_slice(d: &[u8]) -> Option<SigningKey> {
        SecretKey::from_slice(d).ok().map(SigningKey)
    }

    /// The uncompressed public key d·G.
    pub fn public_key(&self) -> [u8; 65] {
        let d = Zeroizing::new(<[u8; 32]>::from(self.0.to_bytes()));
        // d is in range: the product is never the point at infinity.
        super::public_key(&d).unwrap_or([0; 65])
    }

    /// (r, s) over the digest `prehash`; `None` in the negligible cases
    /// r = 0 or s = 0.
    pub fn sign_prehash(&self, prehash: &[u8], ad: &[u8; 32]) -> Option<(FieldBytes, FieldBytes)> {
        let z = ecdsa::hazmat::bits2field::<NistP256>(prehash).ok()?;
        let d = self.0.to_nonzero_scalar();
        let d_bytes = Zeroizing::new(self.0.to_bytes());
        let mut k_bytes = Zeroizing::new(FieldBytes::default());
        crate::tls::provider::ecdsa_nonce::generate_k::<crate::tls::provider::sha256::Sha256>(
            &d_bytes,
            &NistP256::ORDER.to_be_byte_array(),
            &z,
            ad,
            &mut k_bytes,
        )?;
        // generate_k gives 1 ≤ k < n.
        let k = Zeroizing::new(Option::<Scalar>::from(Scalar::from_repr(*k_bytes))?);
        let x = super::base_mul_x(&Zeroizing::new(<[u8; 32]>::from(*k_bytes)))?;
        let r = <Scalar as Reduce<U256>>::reduce_bytes(&x.into());
        let z = <Scalar as Reduce<U256>>::reduce_bytes(&z);
        let k_inv = Zeroizing::new(Option::<Scalar>::from(k.invert())?);
        let s = *k_inv * (z + r * *d);
        if bool::from(r.is_zero() | s.is_zero()) {
            return None;
        }
        Some((r.to_repr(), s.to_repr()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::provider::ec_p256::test_block as block;
    use crate::tls::provider::ReplayRng;
    use p256::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};

    #[test]
    fn signatures_equal_the_ecdsa_crates_for_the_same_randomness() {
        for i in 0..16 {
            let d = block("d", i);
            let ours = SigningKey::from_slice(&d).unwrap();
            let theirs = p256::ecdsa::SigningKey::from_slice(&d).unwrap();
            let digest = block("msg", i);
            let ad = block("ad", i);
            let (r, s) = ours.sign_prehash(&digest, &ad).unwrap();
            let want: p256::ecdsa::Signature = theirs
                .sign_prehash_with_rng(&mut ReplayRng(&ad), &digest)
                .unwrap();
            let got = p256::ecdsa::Signature::from_scalars(r, s).unwrap();
            assert_eq!(got, want, "case {i}");
            assert!(theirs.verifying_key().verify_prehash(&digest, &got).is_ok());
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let public = theirs.verifying_key().as_affine().to_encoded_point(false);
            assert_eq!(ours.public_key()[..], public.as_bytes()[..]);
        }
    }
}
