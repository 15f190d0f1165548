//! Our rustls `CryptoProvider`, assembled from RustCrypto crates.
//!
//! This is the ONE place that lists what the engine can negotiate: cipher
//! suites, key-exchange groups and signature verification algorithms. Each
//! entry sits behind its cargo feature, so an algorithm that is switched off
//! is never referenced and the linker drops its code (a provider built from
//! `rustls-rustcrypto::provider()` would pull in every algorithm).

#![allow(unused_imports)]

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::crypto::tls12::PrfUsingHmac;
#[cfg(feature = "tls13")]
use rustls::crypto::tls13::HkdfUsingHmac;
use rustls::crypto::{
    CipherSuiteCommon, CryptoProvider, KeyExchangeAlgorithm, SupportedKxGroup,
    WebPkiSupportedAlgorithms,
};
#[cfg(feature = "tls13")]
use rustls::Tls13CipherSuite;
use rustls::{CipherSuite, SignatureScheme, SupportedCipherSuite, Tls12CipherSuite};

mod aead;
/// RSA signature verification as the provider does it; public so the chip's
/// known-answer tests (tests/chip/firmware) measure what ships.
#[cfg(any(feature = "rsa-pkcs1", feature = "rsa-pss"))]
mod bignum;
pub(crate) mod cost;
/// P-256 arithmetic for the LX106 (ECDH, key generation, ECDSA
/// verification); public for the chip's known-answer tests and benches.
#[cfg(any(feature = "kx-p256", feature = "ecdsa-p256"))]
pub mod ec_p256;
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
mod ecdsa_nonce;
/// ECDSA verification as the provider does it; public for the chip's
/// known-answer tests, like `rsa_pub`.
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
pub mod ecdsa_verify;
mod hash;
mod kx;
#[cfg(feature = "kx-p256")]
mod kx_p256;
/// The chip firmware's split of the handshake by kind of operation.
pub mod meter;
#[cfg(any(feature = "rsa-sign", test))]
pub(crate) mod rsa_priv;
pub mod rsa_pub;
/// SHA-256 as the provider does it (compression shaped for the LX106); public
/// for the chip's figures and for the other SHA-256 users of the crate.
pub mod sha256;
pub(crate) mod sign;
pub(crate) mod verify;
/// X25519 as the provider does it (13-bit limbs for the LX106); public for
/// the chip's known-answer tests and figures, like `rsa_pub`.
#[cfg(feature = "kx-x25519")]
pub mod x25519;

pub use verify::{RSA_MAX_BITS, RSA_MIN_BITS};

/// An RNG replaying one block of bytes (tests): a signer of ours and a
/// crate's draw the same additional data for their nonces, so their
/// signatures can be compared.
#[cfg(test)]
pub(crate) struct ReplayRng<'a>(pub &'a [u8]);

#[cfg(test)]
impl rand_core::RngCore for ReplayRng<'_> {
    fn next_u32(&mut self) -> u32 {
        unimplemented!()
    }
    fn next_u64(&mut self) -> u64 {
        unimplemented!()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(&self.0[..dest.len()]);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
impl rand_core::CryptoRng for ReplayRng<'_> {}

use hash::*;
use verify::*;

// ---------------------------------------------------------------- AEADs

#[cfg(feature = "aes-128-gcm")]
static AEAD12_AES128: aead::Tls12Gcm<aes_gcm::Aes128Gcm> = aead::Tls12Gcm::new();
#[cfg(feature = "aes-256-gcm")]
static AEAD12_AES256: aead::Tls12Gcm<aes_gcm::Aes256Gcm> = aead::Tls12Gcm::new();
#[cfg(feature = "chacha20-poly1305")]
static AEAD12_CHACHA: aead::Tls12Chacha<chacha20poly1305::ChaCha20Poly1305> =
    aead::Tls12Chacha::new();
#[cfg(all(feature = "tls13", feature = "aes-128-gcm"))]
static AEAD13_AES128: aead::Tls13<aes_gcm::Aes128Gcm> = aead::Tls13::new();
#[cfg(all(feature = "tls13", feature = "aes-256-gcm"))]
static AEAD13_AES256: aead::Tls13<aes_gcm::Aes256Gcm> = aead::Tls13::new();
#[cfg(all(feature = "tls13", feature = "chacha20-poly1305"))]
static AEAD13_CHACHA: aead::Tls13<chacha20poly1305::ChaCha20Poly1305> = aead::Tls13::new();

// ---------------------------------------------------------- cipher suites

/// Signature schemes a TLS 1.2 ECDHE-ECDSA suite may use (server side picks).
static TLS12_ECDSA_SCHEMES: &[SignatureScheme] = &[
    #[cfg(feature = "ecdsa-p384")]
    SignatureScheme::ECDSA_NISTP384_SHA384,
    #[cfg(feature = "ecdsa-p256")]
    SignatureScheme::ECDSA_NISTP256_SHA256,
];

/// Signature schemes a TLS 1.2 ECDHE-RSA suite may use.
static TLS12_RSA_SCHEMES: &[SignatureScheme] = &[
    #[cfg(feature = "rsa-pss")]
    SignatureScheme::RSA_PSS_SHA512,
    #[cfg(feature = "rsa-pss")]
    SignatureScheme::RSA_PSS_SHA384,
    #[cfg(feature = "rsa-pss")]
    SignatureScheme::RSA_PSS_SHA256,
    #[cfg(feature = "rsa-pkcs1")]
    SignatureScheme::RSA_PKCS1_SHA512,
    #[cfg(feature = "rsa-pkcs1")]
    SignatureScheme::RSA_PKCS1_SHA384,
    #[cfg(feature = "rsa-pkcs1")]
    SignatureScheme::RSA_PKCS1_SHA256,
];

macro_rules! tls12_suite {
    ($name:ident, $suite:ident, $hash:expr, $hmac:expr, $sign:expr, $aead:expr) => {
        static $name: Tls12CipherSuite = Tls12CipherSuite {
            common: CipherSuiteCommon {
                suite: CipherSuite::$suite,
                hash_provider: $hash,
                // RFC 8446 5.5 / AEAD limits: 2^24.5 full records for AES-GCM;
                // the same bound is conservative for ChaCha20-Poly1305.
                confidentiality_limit: 1 << 24,
            },
            prf_provider: &PrfUsingHmac($hmac),
            kx: KeyExchangeAlgorithm::ECDHE,
            sign: $sign,
            aead_alg: $aead,
        };
    };
}

#[cfg(feature = "tls13")]
macro_rules! tls13_suite {
    ($name:ident, $suite:ident, $hash:expr, $hmac:expr, $aead:expr) => {
        static $name: Tls13CipherSuite = Tls13CipherSuite {
            common: CipherSuiteCommon {
                suite: CipherSuite::$suite,
                hash_provider: $hash,
                confidentiality_limit: 1 << 24,
            },
            hkdf_provider: &HkdfUsingHmac($hmac),
            aead_alg: $aead,
            quic: None,
        };
    };
}

#[cfg(feature = "aes-128-gcm")]
tls12_suite!(
    ECDHE_ECDSA_AES128,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    &SHA256,
    &HMAC_SHA256,
    TLS12_ECDSA_SCHEMES,
    &AEAD12_AES128
);
#[cfg(feature = "aes-256-gcm")]
tls12_suite!(
    ECDHE_ECDSA_AES256,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    &SHA384,
    &HMAC_SHA384,
    TLS12_ECDSA_SCHEMES,
    &AEAD12_AES256
);
#[cfg(feature = "chacha20-poly1305")]
tls12_suite!(
    ECDHE_ECDSA_CHACHA,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    &SHA256,
    &HMAC_SHA256,
    TLS12_ECDSA_SCHEMES,
    &AEAD12_CHACHA
);
#[cfg(feature = "aes-128-gcm")]
tls12_suite!(
    ECDHE_RSA_AES128,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    &SHA256,
    &HMAC_SHA256,
    TLS12_RSA_SCHEMES,
    &AEAD12_AES128
);
#[cfg(feature = "aes-256-gcm")]
tls12_suite!(
    ECDHE_RSA_AES256,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    &SHA384,
    &HMAC_SHA384,
    TLS12_RSA_SCHEMES,
    &AEAD12_AES256
);
#[cfg(feature = "chacha20-poly1305")]
tls12_suite!(
    ECDHE_RSA_CHACHA,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    &SHA256,
    &HMAC_SHA256,
    TLS12_RSA_SCHEMES,
    &AEAD12_CHACHA
);
#[cfg(all(feature = "tls13", feature = "aes-128-gcm"))]
tls13_suite!(
    TLS13_AES_128,
    TLS13_AES_128_GCM_SHA256,
    &SHA256,
    &HMAC_SHA256,
    &AEAD13_AES128
);
#[cfg(all(feature = "tls13", feature = "aes-256-gcm"))]
tls13_suite!(
    TLS13_AES_256,
    TLS13_AES_256_GCM_SHA384,
    &SHA384,
    &HMAC_SHA384,
    &AEAD13_AES256
);
#[cfg(all(feature = "tls13", feature = "chacha20-poly1305"))]
tls13_suite!(
    TLS13_CHACHA,
    TLS13_CHACHA20_POLY1305_SHA256,
    &SHA256,
    &HMAC_SHA256,
    &AEAD13_CHACHA
);

/// Every cipher suite compiled in, in our order of preference: TLS 1.3
/// first, then ECDSA before RSA (cheaper on the chip), AES-128 first.
pub static CIPHER_SUITES: &[SupportedCipherSuite] = &[
    #[cfg(all(feature = "tls13", feature = "aes-128-gcm"))]
    SupportedCipherSuite::Tls13(&TLS13_AES_128),
    #[cfg(all(feature = "tls13", feature = "chacha20-poly1305"))]
    SupportedCipherSuite::Tls13(&TLS13_CHACHA),
    #[cfg(all(feature = "tls13", feature = "aes-256-gcm"))]
    SupportedCipherSuite::Tls13(&TLS13_AES_256),
    #[cfg(feature = "aes-128-gcm")]
    SupportedCipherSuite::Tls12(&ECDHE_ECDSA_AES128),
    #[cfg(feature = "chacha20-poly1305")]
    SupportedCipherSuite::Tls12(&ECDHE_ECDSA_CHACHA),
    #[cfg(feature = "aes-256-gcm")]
    SupportedCipherSuite::Tls12(&ECDHE_ECDSA_AES256),
    #[cfg(feature = "aes-128-gcm")]
    SupportedCipherSuite::Tls12(&ECDHE_RSA_AES128),
    #[cfg(feature = "chacha20-poly1305")]
    SupportedCipherSuite::Tls12(&ECDHE_RSA_CHACHA),
    #[cfg(feature = "aes-256-gcm")]
    SupportedCipherSuite::Tls12(&ECDHE_RSA_AES256),
];

// ------------------------------------------------------------- kx groups

/// Key-exchange groups, preferred first (X25519 is the cheapest).
pub static KX_GROUPS: &[&dyn SupportedKxGroup] = &[
    #[cfg(feature = "kx-x25519")]
    &kx::X25519,
    #[cfg(feature = "kx-p256")]
    &kx::Secp256r1,
    #[cfg(feature = "kx-p384")]
    &kx::Secp384r1,
];

// ------------------------------------------- signature verification algs

/// Certificate and handshake signature verification.
pub static VERIFY_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        #[cfg(feature = "ecdsa-p256")]
        &EcdsaP256Sha256,
        #[cfg(feature = "ecdsa-p256")]
        &EcdsaP256Sha384,
        #[cfg(feature = "ecdsa-p384")]
        &EcdsaP384Sha384,
        #[cfg(feature = "ecdsa-p384")]
        &EcdsaP384Sha256,
        #[cfg(feature = "rsa-pkcs1")]
        &RsaPkcs1Sha256,
        #[cfg(feature = "rsa-pkcs1")]
        &RsaPkcs1Sha384,
        #[cfg(feature = "rsa-pkcs1")]
        &RsaPkcs1Sha512,
        #[cfg(feature = "rsa-pss")]
        &RsaPssSha256,
        #[cfg(feature = "rsa-pss")]
        &RsaPssSha384,
        #[cfg(feature = "rsa-pss")]
        &RsaPssSha512,
    ],
    mapping: &[
        #[cfg(feature = "ecdsa-p384")]
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[
                &EcdsaP384Sha384,
                #[cfg(feature = "ecdsa-p256")]
                &EcdsaP256Sha384,
            ],
        ),
        #[cfg(feature = "ecdsa-p256")]
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[
                &EcdsaP256Sha256,
                #[cfg(feature = "ecdsa-p384")]
                &EcdsaP384Sha256,
            ],
        ),
        #[cfg(feature = "rsa-pss")]
        (SignatureScheme::RSA_PSS_SHA512, &[&RsaPssSha512]),
        #[cfg(feature = "rsa-pss")]
        (SignatureScheme::RSA_PSS_SHA384, &[&RsaPssSha384]),
        #[cfg(feature = "rsa-pss")]
        (SignatureScheme::RSA_PSS_SHA256, &[&RsaPssSha256]),
        #[cfg(feature = "rsa-pkcs1")]
        (SignatureScheme::RSA_PKCS1_SHA512, &[&RsaPkcs1Sha512]),
        #[cfg(feature = "rsa-pkcs1")]
        (SignatureScheme::RSA_PKCS1_SHA384, &[&RsaPkcs1Sha384]),
        #[cfg(feature = "rsa-pkcs1")]
        (SignatureScheme::RSA_PKCS1_SHA256, &[&RsaPkcs1Sha256]),
    ],
};

/// The provider: everything above plus the platform RNG and key loader.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        kx_groups: KX_GROUPS.to_vec(),
        signature_verification_algorithms: VERIFY_ALGORITHMS,
        secure_random: &super::rng::PlatformRandom,
        key_provider: &sign::Keys,
    }
}

/// Names of the cipher suites offered, for "no shared cipher suite" reasons.
pub fn suite_names() -> impl Iterator<Item = &'static str> {
    CIPHER_SUITES
        .iter()
        .map(|s| s.suite().as_str().unwrap_or("?"))
}

/// Names of the key-exchange groups offered.
pub fn group_names() -> impl Iterator<Item = &'static str> {
    KX_GROUPS.iter().map(|g| g.name().as_str().unwrap_or("?"))
}

/// Shared handle, built once per connection config.
pub fn shared() -> Arc<CryptoProvider> {
    Arc::new(provider())
}
