//! Signing with our own key (client certificates; server identity): ECDSA
//! P-256/P-384 and, with the `rsa-sign` feature, RSA PKCS#1 v1.5 / PSS, loaded
//! from PKCS#8, PKCS#1 or SEC1 DER (read with `certs::der_lite`, not the
//! `pkcs8`/`sec1`/`pkcs1` crates: see docs/SIZE.md).

#![allow(unused_imports)]

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::crypto::hash::HashAlgorithm;
use rustls::crypto::KeyProvider;
use rustls::sign::{Signer, SigningKey};
use rustls::{Error, SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::PrivateKeyDer;
use zeroize::Zeroize;

use crate::certs::der_lite as der;
use crate::tls::rng::Rng;

/// The provider's `KeyProvider`.
#[derive(Debug)]
pub struct Keys;

/// Why a key could not be used; the engine turns it into a reason line.
pub const KEY_UNSUPPORTED: &str = "private key type not supported by this build";

impl KeyProvider for Keys {
    /// rustls hands over its copy of the key's DER (`CertifiedKey::from_der`,
    /// `with_single_cert`) and drops it after this returns: wipe it here, so
    /// no freed block keeps the key (the signing key made from it wipes its
    /// own scalar on drop).
    fn load_private_key(&self, der: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        let mut der = der;
        let key = load(&der);
        der.zeroize();
        key
    }
}

/// Decode any supported private key.
pub fn load(der: &PrivateKeyDer<'_>) -> Result<Arc<dyn SigningKey>, Error> {
    match der {
        PrivateKeyDer::Pkcs8(k) => {
            let bytes = k.secret_pkcs8_der();
            #[cfg(feature = "ecdsa-p256")]
            if let Some(k) = ecdsa_p256::from_pkcs8(bytes) {
                return Ok(k);
            }
            #[cfg(feature = "ecdsa-p384")]
            if let Some(k) = ecdsa_p384::from_pkcs8(bytes) {
                return Ok(k);
            }
            #[cfg(any(feature = "rsa-sign", test))]
            if let Some(k) = rsa_key::from_pkcs8(bytes) {
                return Ok(k);
            }
            let _ = bytes;
        }
        PrivateKeyDer::Pkcs1(k) => {
            #[cfg(any(feature = "rsa-sign", test))]
            if let Some(k) = rsa_key::from_pkcs1(k.secret_pkcs1_der()) {
                return Ok(k);
            }
            let _ = k;
        }
        PrivateKeyDer::Sec1(k) => {
            let bytes = k.secret_sec1_der();
            #[cfg(feature = "ecdsa-p256")]
            if let Some(k) = ecdsa_p256::from_sec1(bytes) {
                return Ok(k);
            }
            #[cfg(feature = "ecdsa-p384")]
            if let Some(k) = ecdsa_p384::from_sec1(bytes) {
                return Ok(k);
            }
            let _ = bytes;
        }
        _ => {}
    }
    Err(Error::General(KEY_UNSUPPORTED.into()))
}

/// What the ECDSA key modules below need from a curve's private key.
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
trait EcKey: Sized + Send + Sync + core::fmt::Debug + 'static {
    /// A big-endian scalar in 1..n.
    fn from_slice(d: &[u8]) -> Option<Self>;
    /// The SEC1 public point, compressed or not.
    fn public_point(&self, compressed: bool) -> Vec<u8>;
    /// The DER signature of `message` with randomness from `rng`.
    fn sign_der(&self, rng: &mut Rng, message: &[u8]) -> Option<Vec<u8>>;
    /// The same from the message's digest by the curve's hash.
    fn sign_der_prehash(&self, rng: &mut Rng, digest: &[u8]) -> Option<Vec<u8>>;
}

/// P-256: our own arithmetic (`ec_p256`).
#[cfg(feature = "ecdsa-p256")]
impl EcKey for super::ec_p256::SigningKey {
    fn from_slice(d: &[u8]) -> Option<Self> {
        Self::from_slice(d)
    }

    fn public_point(&self, compressed: bool) -> Vec<u8> {
        let p = self.public_key();
        if compressed {
            super::ec_p256::compressed(&p).to_vec()
        } else {
            p.to_vec()
        }
    }

    fn sign_der(&self, rng: &mut Rng, message: &[u8]) -> Option<Vec<u8>> {
        use digest::Digest;
        self.sign_der_prehash(rng, &sha2::Sha256::digest(message))
    }

    fn sign_der_prehash(&self, rng: &mut Rng, digest: &[u8]) -> Option<Vec<u8>> {
        use rand_core::RngCore;
        if digest.len() != 32 {
            return None;
        }
        // The nonce's additional randomness, wiped like the nonce itself.
        let mut ad = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *ad);
        let (r, s) = self.sign_prehash(digest, &ad)?;
        Some(der::ecdsa_sig_to_der(&r, &s))
    }
}

/// P-384: the `p384`/`ecdsa` crates.
#[cfg(feature = "ecdsa-p384")]
impl EcKey for p384::ecdsa::SigningKey {
    fn from_slice(d: &[u8]) -> Option<Self> {
        p384::SecretKey::from_slice(d).ok().map(Into::into)
    }

    fn public_point(&self, compressed: bool) -> Vec<u8> {
        use p384::elliptic_curve::sec1::ToEncodedPoint;
        self.verifying_key()
            .as_affine()
            .to_encoded_point(compressed)
            .as_bytes()
            .to_vec()
    }

    fn sign_der(&self, rng: &mut Rng, message: &[u8]) -> Option<Vec<u8>> {
        // Hashed here rather than through the `ecdsa` crate's
        // `RandomizedSigner`, whose digest-signer layers cost 0.9 KB of
        // stack on the deepest path of a step after the chain's
        // verification (docs/STACK.md); the same signature.
        use digest::Digest;
        self.sign_der_prehash(rng, &sha2::Sha384::digest(message))
    }

    fn sign_der_prehash(&self, rng: &mut Rng, digest: &[u8]) -> Option<Vec<u8>> {
        use rand_core::RngCore;
        // The nonce's additional randomness, wiped like the nonce itself.
        let mut ad = zeroize::Zeroizing::new(p384::FieldBytes::default());
        rng.fill_bytes(&mut ad);
        let sig = p384_sign_prehash(self, digest, &ad)?;
        let (r, s) = sig.split_bytes();
        Some(der::ecdsa_sig_to_der(&r, &s))
    }
}

/// The P-384 signature of a SHA-384 `digest` with the nonce's additional
/// data `ad`: what the `ecdsa` crate's `sign_prehash_with_rng` computes for
/// an RNG that yields `ad` (tested), with the nonce derived by
/// `ecdsa_nonce` rather than the `rfc6979` crate, whose 5.9 KB of frames
/// made this the deepest path after the chain's verification
/// (docs/STACK.md).
#[cfg(feature = "ecdsa-p384")]
fn p384_sign_prehash(
    key: &p384::ecdsa::SigningKey,
    digest: &[u8],
    ad: &[u8],
) -> Option<p384::ecdsa::Signature> {
    use ecdsa::hazmat::SignPrimitive;
    use p384::elliptic_curve::bigint::ArrayEncoding;
    use p384::elliptic_curve::{Curve, PrimeField};
    if digest.len() != 48 {
        return None;
    }
    let z = ecdsa::hazmat::bits2field::<p384::NistP384>(digest).ok()?;
    let d = key.as_nonzero_scalar();
    let mut k = zeroize::Zeroizing::new(p384::FieldBytes::default());
    super::ecdsa_nonce::generate_k::<sha2::Sha384>(
        &zeroize::Zeroizing::new(d.to_repr()),
        &p384::NistP384::ORDER.to_be_byte_array(),
        &z,
        ad,
        &mut k,
    )?;
    // generate_k gives 1 ≤ k < n.
    let k = zeroize::Zeroizing::new(Option::<p384::Scalar>::from(p384::Scalar::from_repr(*k))?);
    d.as_ref()
        .try_sign_prehashed(*k, &z)
        .ok()
        .map(|(sig, _)| sig)
}

#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
macro_rules! ecdsa_key {
    ($modname:ident, $key:ty, $scheme:expr, $hash:expr, $oid:expr) => {
        mod $modname {
            use super::*;

            const CURVE_OID: &[u8] = $oid;

            #[derive(Debug)]
            struct Key(Arc<$key>);

            /// id-ecPublicKey with this curve's OID as parameters (what
            /// `elliptic-curve`'s PKCS#8 decoder insisted on), then SEC1.
            pub fn from_pkcs8(bytes: &[u8]) -> Option<Arc<dyn SigningKey>> {
                let pki = der::pkcs8(bytes)?;
                if pki.algorithm != OID_EC || pki.parameters_oid()? != CURVE_OID {
                    return None;
                }
                from_sec1(pki.private_key)
            }

            /// The curve parameters inside the SEC1 key are not checked (nor
            /// were they by `SecretKey::from_sec1_der`); the scalar length
            /// and the embedded public point are.
            pub fn from_sec1(bytes: &[u8]) -> Option<Arc<dyn SigningKey>> {
                let k = der::ec_private(bytes)?;
                let sk = <$key as EcKey>::from_slice(k.private_key)?;
                if let Some(point) = k.public_key {
                    let compressed = matches!(point.first(), Some(2 | 3));
                    if sk.public_point(compressed) != point {
                        return None;
                    }
                }
                Some(Arc::new(Key(Arc::new(sk))))
            }

            impl SigningKey for Key {
                fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
                    if offered.contains(&$scheme) {
                        Some(Box::new(Key(self.0.clone())))
                    } else {
                        None
                    }
                }

                fn algorithm(&self) -> SignatureAlgorithm {
                    SignatureAlgorithm::ECDSA
                }

                /// The scheme's hash: a TLS 1.2 client then hashes its
                /// transcript for the CertificateVerify instead of keeping it
                /// (vendor/rustls 0015).
                fn prehash_algorithms(&self) -> &'static [HashAlgorithm] {
                    &[$hash]
                }
            }

            impl Key {
                /// Sign the message, or its digest when `prehashed`.
                fn sign_with(&self, input: &[u8], prehashed: bool) -> Result<Vec<u8>, Error> {
                    crate::platform::slice::public_key_op(crate::tls::provider::cost::EC_SIGN);
                    let mut rng = Rng::new();
                    let sig = if prehashed {
                        self.0.sign_der_prehash(&mut rng, input)
                    } else {
                        self.0.sign_der(&mut rng, input)
                    };
                    if rng.failed() {
                        return Err(Error::FailedToGetRandomBytes);
                    }
                    sig.ok_or_else(|| Error::General("ECDSA signing failed".into()))
                }
            }

            impl Signer for Key {
                fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
                    self.sign_with(message, false)
                }

                fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, Error> {
                    self.sign_with(digest, true)
                }

                fn scheme(&self) -> SignatureScheme {
                    $scheme
                }
            }
        }
    };
}

#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];

#[cfg(feature = "ecdsa-p256")]
ecdsa_key!(
    ecdsa_p256,
    super::super::ec_p256::SigningKey,
    SignatureScheme::ECDSA_NISTP256_SHA256,
    HashAlgorithm::SHA256,
    &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
);
#[cfg(feature = "ecdsa-p384")]
ecdsa_key!(
    ecdsa_p384,
    p384::ecdsa::SigningKey,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    HashAlgorithm::SHA384,
    &[0x2B, 0x81, 0x04, 0x00, 0x22]
);

// Tests build it in every profile: the in-process peer that stands in for an
// RSA server or client must sign even where the device itself cannot.
#[cfg(any(feature = "rsa-sign", test))]
mod rsa_key {
    use super::*;
    use crate::tls::provider::rsa_priv::{PrivateKey, SignError};
    use crate::tls::provider::rsa_pub::Hash;

    const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

    /// Preference order: PSS first (TLS 1.3 requires it), then PKCS#1 v1.5.
    const SCHEMES: &[SignatureScheme] = &[
        #[cfg(feature = "rsa-pss")]
        SignatureScheme::RSA_PSS_SHA256,
        #[cfg(feature = "rsa-pss")]
        SignatureScheme::RSA_PSS_SHA384,
        #[cfg(feature = "rsa-pss")]
        SignatureScheme::RSA_PSS_SHA512,
        #[cfg(feature = "rsa-pkcs1")]
        SignatureScheme::RSA_PKCS1_SHA256,
        #[cfg(feature = "rsa-pkcs1")]
        SignatureScheme::RSA_PKCS1_SHA384,
        #[cfg(feature = "rsa-pkcs1")]
        SignatureScheme::RSA_PKCS1_SHA512,
    ];

    #[derive(Debug)]
    struct Key(Arc<PrivateKey>);

    #[derive(Debug)]
    struct RsaSigner {
        key: Arc<PrivateKey>,
        scheme: SignatureScheme,
    }

    /// rsaEncryption with NULL parameters.
    pub fn from_pkcs8(bytes: &[u8]) -> Option<Arc<dyn SigningKey>> {
        let pki = der::pkcs8(bytes)?;
        let null = der::Tlv {
            tag: der::NULL,
            value: &[],
        };
        if pki.algorithm != OID_RSA || pki.parameters != Some(null) {
            return None;
        }
        from_pkcs1(pki.private_key)
    }

    /// Two-prime keys of 2048-4096 bits (`rsa_priv`).
    pub fn from_pkcs1(bytes: &[u8]) -> Option<Arc<dyn SigningKey>> {
        let k = PrivateKey::from_pkcs1(&der::rsa_private(bytes)?)?;
        Some(Arc::new(Key(Arc::new(k))))
    }

    impl SigningKey for Key {
        fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
            let scheme = SCHEMES.iter().find(|s| offered.contains(s))?;
            Some(Box::new(RsaSigner {
                key: self.0.clone(),
                scheme: *scheme,
            }))
        }

        fn algorithm(&self) -> SignatureAlgorithm {
            SignatureAlgorithm::RSA
        }

        /// Every scheme's hash: a TLS 1.2 client then hashes its transcript
        /// for the CertificateVerify instead of keeping it (vendor/rustls
        /// 0015; rustls keeps the hashes its cipher suites provide).
        fn prehash_algorithms(&self) -> &'static [HashAlgorithm] {
            &[
                HashAlgorithm::SHA256,
                HashAlgorithm::SHA384,
                HashAlgorithm::SHA512,
            ]
        }
    }

    impl RsaSigner {
        /// The scheme's hash and whether it pads with PSS.
        fn hash(&self) -> Option<(Hash, bool)> {
            Some(match self.scheme {
                #[cfg(feature = "rsa-pss")]
                SignatureScheme::RSA_PSS_SHA256 => (Hash::Sha256, true),
                #[cfg(feature = "rsa-pss")]
                SignatureScheme::RSA_PSS_SHA384 => (Hash::Sha384, true),
                #[cfg(feature = "rsa-pss")]
                SignatureScheme::RSA_PSS_SHA512 => (Hash::Sha512, true),
                #[cfg(feature = "rsa-pkcs1")]
                SignatureScheme::RSA_PKCS1_SHA256 => (Hash::Sha256, false),
                #[cfg(feature = "rsa-pkcs1")]
                SignatureScheme::RSA_PKCS1_SHA384 => (Hash::Sha384, false),
                #[cfg(feature = "rsa-pkcs1")]
                SignatureScheme::RSA_PKCS1_SHA512 => (Hash::Sha512, false),
                _ => return None,
            })
        }

        /// Sign the message, or its digest when `prehashed`.
        fn sign_with(&self, input: &[u8], prehashed: bool) -> Result<Vec<u8>, Error> {
            crate::platform::slice::public_key_op(crate::tls::provider::cost::rsa_sign(
                self.key.bits(),
            ));
            let key = &self.key;
            let sig = match (self.hash(), prehashed) {
                (Some((hash, true)), false) => key.sign_pss(hash, input),
                (Some((hash, true)), true) => key.sign_pss_digest(hash, input),
                (Some((hash, false)), false) => key.sign_pkcs1(hash, input),
                (Some((hash, false)), true) => key.sign_pkcs1_digest(hash, input),
                (None, _) => Err(SignError::Fault),
            };
            match sig {
                Ok(sig) => Ok(sig),
                Err(SignError::Random) => Err(Error::FailedToGetRandomBytes),
                Err(SignError::Fault) => Err(Error::General(
                    "RSA signing failed: the signature did not verify with the key".into(),
                )),
                Err(SignError::DigestLength) => Err(Error::General(
                    "RSA signing failed: the digest's length is not the scheme's hash's".into(),
                )),
            }
        }
    }

    impl Signer for RsaSigner {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
            self.sign_with(message, false)
        }

        fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, Error> {
            self.sign_with(digest, true)
        }

        fn scheme(&self) -> SignatureScheme {
            self.scheme
        }
    }
}

#[cfg(all(test, feature = "ecdsa-p384"))]
mod tests {
    use super::*;
    use crate::tls::provider::ReplayRng;
    use signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};

    #[test]
    fn p384_signatures_equal_the_ecdsa_crates_for_the_same_randomness() {
        for _ in 0..12 {
            let mut bytes = [0u8; 3 * 48];
            crate::tls::rng::fill(&mut bytes).unwrap();
            let (d, rest) = bytes.split_at(48);
            let (digest, ad) = rest.split_at(48);
            let Ok(key) = p384::ecdsa::SigningKey::from_slice(d) else {
                continue; // d ≥ n: about 2^-190
            };
            let got = p384_sign_prehash(&key, digest, ad).unwrap();
            let want: p384::ecdsa::Signature = key
                .sign_prehash_with_rng(&mut ReplayRng(ad), digest)
                .unwrap();
            assert_eq!(got, want);
            assert!(key.verifying_key().verify_prehash(digest, &got).is_ok());
        }
        let key = p384::ecdsa::SigningKey::from_slice(&[7; 48]).unwrap();
        assert!(
            p384_sign_prehash(&key, &[0; 32], &[0; 48]).is_none(),
            "SHA-256 digest"
        );
    }
}
