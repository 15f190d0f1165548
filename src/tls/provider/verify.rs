//! Signature verification algorithms for webpki and the handshake, from
//! RustCrypto's `p256`/`p384`/`rsa`.
//!
//! RSA keys are accepted from [`RSA_MIN_BITS`] to [`RSA_MAX_BITS`]; the
//! verifier checks sizes first to give a precise reason, and the algorithms
//! here refuse out-of-range keys again so that no path skips the rule.

#![allow(unused_imports)]

use pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use rustls_pki_types as pki_types;

/// Smallest RSA modulus accepted (the vendor SDK rejects smaller since v3.0.2).
pub const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted: verification time grows with the square of
/// the size, and 4096 bits already costs ~4x a 2048-bit check on the chip.
pub const RSA_MAX_BITS: usize = 4096;

#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
macro_rules! ecdsa_alg {
    ($name:ident, $curve:ident, $key_alg:expr, $sig_alg:expr, $hash:ty, $verify:path) => {
        #[derive(Debug)]
        pub struct $name;

        impl SignatureVerificationAlgorithm for $name {
            fn public_key_alg_id(&self) -> AlgorithmIdentifier {
                $key_alg
            }

            fn signature_alg_id(&self) -> AlgorithmIdentifier {
                $sig_alg
            }

            fn verify_signature(
                &self,
                public_key: &[u8],
                message: &[u8],
                signature: &[u8],
            ) -> Result<(), InvalidSignature> {
                crate::platform::slice::public_key_op(crate::tls::provider::cost::ec_verify());
                super::meter::span(super::meter::Op::Verify, || {
                    use digest::Digest;
                    // DER by hand (`certs::der_lite`): `Signature::from_der`
                    // pulled in the `der` crate. Same checks: strict DER, r and
                    // s no longer than the field, then range-checked scalars.
                    let size = $curve::FieldBytes::default().len();
                    let mut rs = [0u8; 96];
                    let rs = rs.get_mut(..2 * size).ok_or(InvalidSignature)?;
                    crate::certs::der_lite::ecdsa_sig_from_der(signature, size, rs)
                        .ok_or(InvalidSignature)?;
                    let sig =
                        $curve::ecdsa::Signature::from_slice(rs).map_err(|_| InvalidSignature)?;
                    let digest = <$hash>::digest(message);
                    $verify(public_key, &digest, &sig)
                })
            }
        }
    };
}

/// P-384 over the `p384` crate's point arithmetic (P-256 has its own:
/// `ecdsa_verify::verify_prehash_p256`). Inlined: a frame of its own would
/// add 128 bytes to the deepest stack path (docs/STACK.md).
#[cfg(feature = "ecdsa-p384")]
#[inline(always)]
fn verify_p384(
    key: &[u8],
    digest: &[u8],
    sig: &p384::ecdsa::Signature,
) -> Result<(), InvalidSignature> {
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| InvalidSignature)?;
    super::ecdsa_verify::verify_prehash(key.as_affine(), digest, sig)
}

#[cfg(feature = "ecdsa-p256")]
ecdsa_alg!(
    EcdsaP256Sha256,
    p256,
    alg_id::ECDSA_P256,
    alg_id::ECDSA_SHA256,
    super::sha256::Sha256,
    super::ecdsa_verify::verify_prehash_p256
);
#[cfg(feature = "ecdsa-p256")]
ecdsa_alg!(
    EcdsaP256Sha384,
    p256,
    alg_id::ECDSA_P256,
    alg_id::ECDSA_SHA384,
    sha2::Sha384,
    super::ecdsa_verify::verify_prehash_p256
);
#[cfg(feature = "ecdsa-p384")]
ecdsa_alg!(
    EcdsaP384Sha384,
    p384,
    alg_id::ECDSA_P384,
    alg_id::ECDSA_SHA384,
    sha2::Sha384,
    verify_p384
);
#[cfg(feature = "ecdsa-p384")]
ecdsa_alg!(
    EcdsaP384Sha256,
    p384,
    alg_id::ECDSA_P384,
    alg_id::ECDSA_SHA256,
    super::sha256::Sha256,
    verify_p384
);

#[cfg(any(feature = "rsa-pkcs1", feature = "rsa-pss"))]
macro_rules! rsa_alg {
    ($name:ident, $sig_alg:expr, $verify:expr) => {
        #[derive(Debug)]
        pub struct $name;

        impl SignatureVerificationAlgorithm for $name {
            fn public_key_alg_id(&self) -> AlgorithmIdentifier {
                alg_id::RSA_ENCRYPTION
            }

            fn signature_alg_id(&self) -> AlgorithmIdentifier {
                $sig_alg
            }

            /// Keys outside RSA_MIN_BITS..=RSA_MAX_BITS are refused (see rsa_pub).
            fn verify_signature(
                &self,
                public_key: &[u8],
                message: &[u8],
                signature: &[u8],
            ) -> Result<(), InvalidSignature> {
                let verify: fn(&[u8], &[u8], &[u8]) -> Result<(), super::rsa_pub::Invalid> =
                    $verify;
                crate::platform::slice::public_key_op(crate::tls::provider::cost::rsa_verify(
                    signature.len() * 8,
                ));
                super::meter::span(super::meter::Op::Verify, || {
                    verify(public_key, message, signature).map_err(|_| InvalidSignature)
                })
            }
        }
    };
}

#[cfg(feature = "rsa-pkcs1")]
rsa_alg!(RsaPkcs1Sha256, alg_id::RSA_PKCS1_SHA256, |k, m, s| {
    super::rsa_pub::verify_pkcs1(super::rsa_pub::Hash::Sha256, k, m, s)
});
#[cfg(feature = "rsa-pkcs1")]
rsa_alg!(RsaPkcs1Sha384, alg_id::RSA_PKCS1_SHA384, |k, m, s| {
    super::rsa_pub::verify_pkcs1(super::rsa_pub::Hash::Sha384, k, m, s)
});
#[cfg(feature = "rsa-pkcs1")]
rsa_alg!(RsaPkcs1Sha512, alg_id::RSA_PKCS1_SHA512, |k, m, s| {
    super::rsa_pub::verify_pkcs1(super::rsa_pub::Hash::Sha512, k, m, s)
});
#[cfg(feature = "rsa-pss")]
rsa_alg!(RsaPssSha256, alg_id::RSA_PSS_SHA256, |k, m, s| {
    super::rsa_pub::verify_pss(super::rsa_pub::Hash::Sha256, k, m, s)
});
#[cfg(feature = "rsa-pss")]
rsa_alg!(RsaPssSha384, alg_id::RSA_PSS_SHA384, |k, m, s| {
    super::rsa_pub::verify_pss(super::rsa_pub::Hash::Sha384, k, m, s)
});
#[cfg(feature = "rsa-pss")]
rsa_alg!(RsaPssSha512, alg_id::RSA_PSS_SHA512, |k, m, s| {
    super::rsa_pub::verify_pss(super::rsa_pub::Hash::Sha512, k, m, s)
});
