//! Private keys: loading (PEM/DER; PKCS#1, PKCS#8, SEC1), checking a key
//! against its certificate, and minimum strength.
//!
//! Codes: encrypted key -> `PK_PASSWORD_REQUIRED`; not a key ->
//! `PK_KEY_INVALID_FORMAT`; EC curve other than P-256/P-384 ->
//! `PK_UNKNOWN_NAMED_CURVE`; Ed25519 or other algorithms -> `PK_UNKNOWN_PK_ALG`;
//! a key type not compiled into this build -> `PK_FEATURE_UNAVAILABLE`;
//! key/certificate mismatch -> `PK_TYPE_MISMATCH`; own RSA key under 2048 bits
//! -> `PK_BAD_INPUT_DATA` (the format is fine, the input is unfit);
//! certificate with an RSA key under 2048 bits -> `X509_CERT_VERIFY_FAILED`
//! (what the device's verification reports for such a peer).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use zeroize::{Zeroize, Zeroizing};

use super::der_lite::{self as der, EcPrivate, Pkcs8, RsaPrivate};
use super::info::{self, strip_zeros, KeyType};
use super::pem;
use crate::error::{code, Failure};
use crate::fail;

/// Smallest RSA modulus accepted (webpki's minimum and SDK >= 3.0.2's).
pub const MIN_RSA_BITS: u32 = 2048;

const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2B, 0x65, 0x71];

/// A loaded private key. The DER is zeroized when this is dropped.
///
/// The engine borrows [`PrivateKey::der`]; if it needs an owned
/// `PrivateKeyDer<'static>` (`clone_der`), it must zeroize that copy itself
/// (`PrivateKeyDer<'static>` implements `Zeroize`).
pub struct PrivateKey {
    der: PrivateKeyDer<'static>,
    kind: KeyType,
}

impl PrivateKey {
    /// The key DER in its container format (PKCS#1, SEC1 or PKCS#8).
    pub fn der(&self) -> &PrivateKeyDer<'static> {
        &self.der
    }

    /// An owned copy; the caller is responsible for zeroizing it.
    pub fn clone_der(&self) -> PrivateKeyDer<'static> {
        self.der.clone_key()
    }

    /// Algorithm and size.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// Container format name: `PKCS#1`, `SEC1` or `PKCS#8`.
    pub fn container(&self) -> &'static str {
        match &self.der {
            PrivateKeyDer::Pkcs1(_) => "PKCS#1",
            PrivateKeyDer::Sec1(_) => "SEC1",
            _ => "PKCS#8",
        }
    }

    /// The PEM label of the container (`RSA PRIVATE KEY`, `EC PRIVATE KEY`,
    /// `PRIVATE KEY`).
    pub fn pem_label(&self) -> &'static str {
        match &self.der {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        }
    }

    /// PEM text of the key (zeroized on drop).
    pub fn to_pem(&self) -> Result<Zeroizing<String>, Failure> {
        pem::encode(self.pem_label(), self.der.secret_der()).map(Zeroizing::new)
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.der.zeroize();
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({} {}, redacted)",
            self.kind,
            self.container()
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Container {
    Pkcs8,
    Pkcs1,
    Sec1,
}

/// Loads a private key from a payload: PEM (the first key block; an
/// `EC PARAMETERS` block may precede an `EC PRIVATE KEY`) or DER (the kind is
/// found by trying PKCS#8, PKCS#1 and SEC1). Trailing NUL/0xFF bytes are
/// tolerated. Codes: see the module doc.
pub fn private_key(payload: &[u8]) -> Result<PrivateKey, Failure> {
    if !pem::is_pem(payload) {
        let der = pem::trim_tail(payload);
        if der.is_empty() {
            return Err(fail!(
                code::PK_KEY_INVALID_FORMAT,
                "private key data is empty"
            ));
        }
        let len = info::first_tlv_len(payload).unwrap_or(der.len());
        let der = Zeroizing::new(payload[..len.min(payload.len())].to_vec());
        return classify(der, None, None);
    }
    let mut curve: Option<&'static [u8]> = None;
    let mut found = String::new();
    for b in pem::blocks(payload)? {
        let container = match b.label {
            "PRIVATE KEY" => Container::Pkcs8,
            "RSA PRIVATE KEY" => Container::Pkcs1,
            "EC PRIVATE KEY" => Container::Sec1,
            "ENCRYPTED PRIVATE KEY" => return Err(encrypted()),
            "EC PARAMETERS" => {
                let params = Zeroizing::new(b.decode()?);
                curve = Some(named_curve(&params).ok_or_else(|| {
                    fail!(
                        code::PK_UNKNOWN_NAMED_CURVE,
                        "EC PARAMETERS block is not P-256 or P-384 (explicit or unknown curve)"
                    )
                })??);
                continue;
            }
            other => {
                if found.len() < 60 {
                    if !found.is_empty() {
                        found.push_str(", ");
                    }
                    found.push_str(other);
                }
                continue;
            }
        };
        if b.encrypted {
            return Err(encrypted());
        }
        let der = Zeroizing::new(b.decode()?);
        return classify(der, Some(container), curve);
    }
    Err(fail!(
        code::PK_KEY_INVALID_FORMAT,
        "PEM data has no private key block (found: {found})"
    ))
}

fn encrypted() -> Failure {
    fail!(
        code::PK_PASSWORD_REQUIRED,
        "private key is encrypted; decrypt it (openssl pkey -in k.pem -out plain.pem) before packing"
    )
}

/// The curve OID of an `ECParameters` DER; `Some(Err)` for a named curve
/// that is not supported, `None` if not a named curve.
fn named_curve(params: &[u8]) -> Option<Result<&'static [u8], Failure>> {
    der::exact(params, der::OID).map(curve_of)
}

fn curve_of(oid: &[u8]) -> Result<&'static [u8], Failure> {
    match oid {
        OID_P256 => Ok(OID_P256),
        OID_P384 => Ok(OID_P384),
        other => Err(fail!(
            code::PK_UNKNOWN_NAMED_CURVE,
            "EC key on curve {} is not supported; use P-256 (prime256v1) or P-384",
            info::oid_dotted(other)
        )),
    }
}

fn ec_kind(curve: &[u8]) -> Result<KeyType, Failure> {
    if curve == OID_P256 {
        if cfg!(feature = "ecdsa-p256") {
            return Ok(KeyType::EcP256);
        }
        return Err(fail!(
            code::PK_FEATURE_UNAVAILABLE,
            "P-256 keys are not compiled into this build (feature ecdsa-p256)"
        ));
    }
    if cfg!(feature = "ecdsa-p384") {
        return Ok(KeyType::EcP384);
    }
    Err(fail!(
        code::PK_FEATURE_UNAVAILABLE,
        "P-384 keys are not compiled into this build (feature ecdsa-p384); use P-256"
    ))
}

fn rsa_kind(key: &RsaPrivate<'_>) -> Result<KeyType, Failure> {
    // Verifying RSA peers needs no `rsa-sign`; signing with an RSA key of our
    // own does, and without it the key is refused here, at load time, rather
    // than at the first handshake that asks for a client certificate.
    if !cfg!(feature = "rsa-sign") {
        return Err(fail!(
            code::PK_FEATURE_UNAVAILABLE,
            "RSA private keys are not compiled into this build (feature rsa-sign, in profile-full); use an EC P-256 key"
        ));
    }
    Ok(KeyType::Rsa {
        bits: info::uint_bits(key.n),
    })
}

/// Checks an SEC1 `ECPrivateKey` and returns its curve; `fallback` is the
/// curve from a PEM `EC PARAMETERS` block or PKCS#8 algorithm parameters.
fn sec1_curve(
    key: &EcPrivate<'_>,
    fallback: Option<&'static [u8]>,
) -> Result<&'static [u8], Failure> {
    let curve = match key.curve {
        Some(oid) => curve_of(oid)?,
        None => match fallback {
            Some(c) => c,
            // No parameters anywhere: the scalar length tells P-256 from P-384.
            None => match key.private_key.len() {
                32 => OID_P256,
                48 => OID_P384,
                n => {
                    return Err(fail!(
                        code::PK_UNKNOWN_NAMED_CURVE,
                        "EC key has no curve parameters and a {n}-byte scalar"
                    ))
                }
            },
        },
    };
    let want = if curve == OID_P256 { 32 } else { 48 };
    if key.private_key.len() != want {
        return Err(fail!(
            code::PK_KEY_INVALID_FORMAT,
            "EC private key is {} bytes, expected {want} for its curve",
            key.private_key.len()
        ));
    }
    Ok(curve)
}

fn classify(
    der: Zeroizing<Vec<u8>>,
    hint: Option<Container>,
    ec_params: Option<&'static [u8]>,
) -> Result<PrivateKey, Failure> {
    let order: &[Container] = match hint {
        Some(Container::Pkcs8) => &[Container::Pkcs8],
        Some(Container::Pkcs1) => &[Container::Pkcs1],
        Some(Container::Sec1) => &[Container::Sec1],
        None => &[Container::Pkcs8, Container::Pkcs1, Container::Sec1],
    };
    for &c in order {
        match c {
            Container::Pkcs8 => {
                if let Some(pki) = der::pkcs8(&der) {
                    let kind = pkcs8_kind(&pki)?;
                    return Ok(PrivateKey {
                        der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(take(der))),
                        kind,
                    });
                }
            }
            Container::Pkcs1 => {
                if let Some(k) = der::rsa_private(&der) {
                    let kind = rsa_kind(&k)?;
                    return Ok(PrivateKey {
                        der: PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(take(der))),
                        kind,
                    });
                }
            }
            Container::Sec1 => {
                if let Some(k) = der::ec_private(&der) {
                    let curve = sec1_curve(&k, ec_params)?;
                    let kind = ec_kind(curve)?;
                    if k.curve.is_some() {
                        return Ok(PrivateKey {
                            der: PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(take(der))),
                            kind,
                        });
                    }
                    // Parameters came from elsewhere: write them into the key so
                    // that the engine's loader does not have to guess.
                    let out = Zeroizing::new(der::encode_ec_private(&EcPrivate {
                        curve: Some(curve),
                        ..k
                    }));
                    return Ok(PrivateKey {
                        der: PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(take(out))),
                        kind,
                    });
                }
            }
        }
    }
    if is_encrypted_pkcs8(&der) {
        return Err(encrypted());
    }
    if hint.is_none() && info::parse(&der).is_ok() {
        return Err(fail!(
            code::PK_KEY_INVALID_FORMAT,
            "this is a certificate, not a private key"
        ));
    }
    let what = match hint {
        Some(Container::Pkcs8) => "PKCS#8 PRIVATE KEY block is malformed",
        Some(Container::Pkcs1) => "RSA PRIVATE KEY block is not PKCS#1",
        Some(Container::Sec1) => "EC PRIVATE KEY block is not SEC1",
        None => "key data is neither PEM nor PKCS#8/PKCS#1/SEC1 DER",
    };
    Err(fail!(code::PK_KEY_INVALID_FORMAT, "{what}"))
}

/// Moves the bytes out of the zeroizing wrapper without leaving a copy behind.
fn take(mut z: Zeroizing<Vec<u8>>) -> Vec<u8> {
    core::mem::take(&mut *z)
}

fn pkcs8_kind(pki: &Pkcs8<'_>) -> Result<KeyType, Failure> {
    let oid = pki.algorithm;
    if oid == OID_RSA {
        let k = der::rsa_private(pki.private_key).ok_or_else(|| {
            fail!(
                code::PK_KEY_INVALID_FORMAT,
                "PKCS#8 RSA key holds no valid PKCS#1 key"
            )
        })?;
        return rsa_kind(&k);
    }
    if oid == OID_EC {
        let params = match pki.parameters_oid() {
            Some(p) => Some(curve_of(p)?),
            None => None,
        };
        let k = der::ec_private(pki.private_key).ok_or_else(|| {
            fail!(
                code::PK_KEY_INVALID_FORMAT,
                "PKCS#8 EC key holds no valid SEC1 key"
            )
        })?;
        let curve = sec1_curve(&k, params)?;
        return ec_kind(curve);
    }
    if oid == OID_ED25519 || oid == OID_ED448 {
        return Err(fail!(
            code::PK_UNKNOWN_PK_ALG,
            "EdDSA keys are not supported; use EC P-256 or RSA-2048"
        ));
    }
    Err(fail!(
        code::PK_UNKNOWN_PK_ALG,
        "private key algorithm {} is not supported; use EC P-256 or RSA-2048",
        info::oid_dotted(oid)
    ))
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }`.
fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    let Some(body) = der::exact(der, der::SEQUENCE) else {
        return false;
    };
    let mut r = der::Reader::new(body);
    let a = r.any();
    let b = r.any();
    matches!((a, b), (Some(a), Some(b)) if a.tag == der::SEQUENCE && b.tag == der::OCTET_STRING && r.is_finished())
}

/// Public half of a private key, in comparable form.
enum Public {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: &'static [u8],
        scalar: Zeroizing<Vec<u8>>,
        embedded: Option<Vec<u8>>,
    },
}

fn public_of(key: &PrivateKeyDer<'_>) -> Result<Public, Failure> {
    let bad = || fail!(code::PK_KEY_INVALID_FORMAT, "private key does not parse");
    let rsa = |k: RsaPrivate<'_>| Public::Rsa {
        n: strip_zeros(k.n).to_vec(),
        e: strip_zeros(k.e).to_vec(),
    };
    let ec = |k: EcPrivate<'_>, params| -> Result<Public, Failure> {
        Ok(Public::Ec {
            curve: sec1_curve(&k, params)?,
            scalar: Zeroizing::new(k.private_key.to_vec()),
            embedded: k.public_key.map(|p| p.to_vec()),
        })
    };
    match key {
        PrivateKeyDer::Pkcs1(k) => der::rsa_private(k.secret_pkcs1_der())
            .map(rsa)
            .ok_or_else(bad),
        PrivateKeyDer::Sec1(k) => ec(der::ec_private(k.secret_sec1_der()).ok_or_else(bad)?, None),
        PrivateKeyDer::Pkcs8(k) => {
            let pki = der::pkcs8(k.secret_pkcs8_der()).ok_or_else(bad)?;
            pkcs8_kind(&pki)?;
            if pki.algorithm == OID_RSA {
                der::rsa_private(pki.private_key).map(rsa).ok_or_else(bad)
            } else {
                let params = pki.parameters_oid().map(curve_of).transpose()?;
                ec(der::ec_private(pki.private_key).ok_or_else(bad)?, params)
            }
        }
        _ => Err(fail!(
            code::PK_UNKNOWN_PK_ALG,
            "unknown private key container"
        )),
    }
}

/// Checks that `key` is the private half of `cert`'s public key: RSA by
/// modulus and exponent, EC by deriving the public point from the scalar.
/// Mismatch (or different algorithms) -> `PK_TYPE_MISMATCH`.
pub fn key_matches_cert(key: &PrivateKeyDer<'_>, cert: &CertificateDer<'_>) -> Result<(), Failure> {
    matches_cert(key, cert, true)
}

/// Like [`key_matches_cert`], but for EC keys only compares the public point
/// stored in the key (if any) instead of deriving it: a scalar multiplication
/// costs too much on the chip at every handshake. RSA is always compared.
pub fn key_matches_cert_cheap(
    key: &PrivateKeyDer<'_>,
    cert: &CertificateDer<'_>,
) -> Result<(), Failure> {
    matches_cert(key, cert, false)
}

fn matches_cert(
    key: &PrivateKeyDer<'_>,
    cert: &CertificateDer<'_>,
    derive: bool,
) -> Result<(), Failure> {
    let ci = info::parse(cert)?;
    let public = public_of(key)?;
    let mismatch = |what: &str| {
        fail!(
            code::PK_TYPE_MISMATCH,
            "private key does not match certificate {} ({what}); pack the key that was used for the CSR",
            ci.subject
        )
    };
    match (public, ci.key) {
        (Public::Rsa { n, e }, KeyType::Rsa { .. }) => {
            let (pk_n, pk_e) = der::rsa_public(&ci.public_key).ok_or_else(|| {
                fail!(
                    code::X509_INVALID_FORMAT,
                    "certificate RSA key does not parse"
                )
            })?;
            if strip_zeros(pk_n) != &n[..] || strip_zeros(pk_e) != &e[..] {
                return Err(mismatch("different RSA modulus"));
            }
            Ok(())
        }
        (
            Public::Ec {
                curve,
                scalar,
                embedded,
            },
            KeyType::EcP256 | KeyType::EcP384,
        ) => {
            let cert_curve = if ci.key == KeyType::EcP256 {
                OID_P256
            } else {
                OID_P384
            };
            if curve != cert_curve {
                return Err(mismatch("different EC curves"));
            }
            let derived = if derive {
                ec_point_matches(curve, &scalar, &ci.public_key)
            } else {
                None
            };
            match derived {
                Some(true) => Ok(()),
                Some(false) => Err(mismatch("different EC public point")),
                // Curve arithmetic not compiled in: trust the key's own copy of
                // its public point, if it has one.
                None => match embedded {
                    Some(p) if p == ci.public_key => Ok(()),
                    Some(_) => Err(mismatch("different EC public point")),
                    None if !derive => Ok(()),
                    None => Err(fail!(
                        code::PK_FEATURE_UNAVAILABLE,
                        "cannot check the EC key against its certificate in this build"
                    )),
                },
            }
        }
        (p, k) => {
            let kt = match p {
                Public::Rsa { .. } => "RSA",
                Public::Ec { .. } => "EC",
            };
            Err(fail!(
                code::PK_TYPE_MISMATCH,
                "private key is {kt} but certificate {} has a {k} key",
                ci.subject
            ))
        }
    }
}

/// `Some(equal)` when the curve's arithmetic is compiled in, else `None`.
#[allow(unused_variables)]
fn ec_point_matches(curve: &[u8], scalar: &[u8], cert_point: &[u8]) -> Option<bool> {
    #[cfg(any(feature = "kx-p256", feature = "ecdsa-p256"))]
    if curve == OID_P256 {
        // Our P-256 arithmetic (tls/provider/ec_p256), not the crate's.
        use crate::tls::provider::ec_p256;
        let sk = p256::SecretKey::from_slice(scalar).ok()?;
        let d = zeroize::Zeroizing::new(<[u8; 32]>::from(sk.to_bytes()));
        let ours = ec_p256::public_key(&d)?;
        return Some(ec_p256::uncompressed(cert_point) == Some(ours));
    }
    #[cfg(any(feature = "kx-p384", feature = "ecdsa-p384"))]
    if curve == OID_P384 {
        let sk = p384::SecretKey::from_slice(scalar).ok()?;
        let pk = p384::PublicKey::from_sec1_bytes(cert_point).ok();
        return Some(pk.is_some_and(|pk| pk == sk.public_key()));
    }
    None
}

/// RSA modulus size of a private key, `None` for other key types.
pub fn rsa_bits(key: &PrivateKeyDer<'_>) -> Option<u32> {
    match public_of(key).ok()? {
        Public::Rsa { n, .. } => Some(info::uint_bits(&n)),
        Public::Ec { .. } => None,
    }
}

/// Refuses an own RSA key under [`MIN_RSA_BITS`] (`PK_BAD_INPUT_DATA`): servers
/// and this library's peers reject such keys.
pub fn check_key_strength(kind: KeyType) -> Result<(), Failure> {
    match kind {
        KeyType::Rsa { bits } if bits < MIN_RSA_BITS => Err(fail!(
            code::PK_BAD_INPUT_DATA,
            "RSA key is {bits} bits; at least {MIN_RSA_BITS} are required (openssl genrsa 2048, or use EC P-256)"
        )),
        _ => Ok(()),
    }
}

/// Refuses a certificate whose RSA key is under [`MIN_RSA_BITS`]
/// (`X509_CERT_VERIFY_FAILED`: verification on the device would fail).
pub fn check_cert_strength(cert: &info::CertInfo) -> Result<(), Failure> {
    match cert.key {
        KeyType::Rsa { bits } if bits < MIN_RSA_BITS => Err(fail!(
            code::X509_CERT_VERIFY_FAILED,
            "certificate {} has an RSA-{bits} key; verification requires at least RSA-{MIN_RSA_BITS}",
            cert.subject
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::pem::certificates;

    use crate::certs::test_fixture as fixture;

    fn cert(name: &str) -> CertificateDer<'static> {
        certificates(&fixture(name)).unwrap().remove(0)
    }

    #[test]
    fn loads_every_container_and_encoding() {
        let cases = [
            #[cfg(feature = "rsa-sign")]
            (
                "client_rsa.pkcs1.pem",
                "PKCS#1",
                KeyType::Rsa { bits: 2048 },
                "client_rsa.pem",
            ),
            #[cfg(feature = "rsa-sign")]
            (
                "client_rsa.pkcs1.der",
                "PKCS#1",
                KeyType::Rsa { bits: 2048 },
                "client_rsa.pem",
            ),
            #[cfg(feature = "rsa-sign")]
            (
                "client_rsa.pkcs8.pem",
                "PKCS#8",
                KeyType::Rsa { bits: 2048 },
                "client_rsa.pem",
            ),
            #[cfg(feature = "rsa-sign")]
            (
                "client_rsa.pkcs8.der",
                "PKCS#8",
                KeyType::Rsa { bits: 2048 },
                "client_rsa.pem",
            ),
            (
                "client_ec.sec1.pem",
                "SEC1",
                KeyType::EcP256,
                "client_ec.pem",
            ),
            (
                "client_ec.sec1.der",
                "SEC1",
                KeyType::EcP256,
                "client_ec.pem",
            ),
            (
                "client_ec.pkcs8.pem",
                "PKCS#8",
                KeyType::EcP256,
                "client_ec.pem",
            ),
            (
                "client_ec.pkcs8.der",
                "PKCS#8",
                KeyType::EcP256,
                "client_ec.pem",
            ),
            #[cfg(feature = "ecdsa-p384")]
            (
                "client_p384.sec1.pem",
                "SEC1",
                KeyType::EcP384,
                "client_p384.pem",
            ),
        ];
        #[cfg(not(feature = "ecdsa-p384"))]
        assert_eq!(
            private_key(&fixture("client_p384.sec1.pem"))
                .unwrap_err()
                .code,
            code::PK_FEATURE_UNAVAILABLE
        );
        #[cfg(not(feature = "rsa-sign"))]
        for file in [
            "client_rsa.pkcs1.pem",
            "client_rsa.pkcs1.der",
            "client_rsa.pkcs8.pem",
            "client_rsa.pkcs8.der",
        ] {
            let e = private_key(&fixture(file)).unwrap_err();
            assert_eq!(e.code, code::PK_FEATURE_UNAVAILABLE, "{file}");
            assert!(e.reason.as_str().contains("rsa-sign"), "{}", e.reason);
        }
        for (file, container, kind, certfile) in cases {
            let mut payload = fixture(file);
            payload.push(0); // the vendor glue's NUL
            let k = private_key(&payload).unwrap_or_else(|e| panic!("{file}: {e:?}"));
            assert_eq!(k.container(), container, "{file}");
            assert_eq!(k.kind(), kind, "{file}");
            key_matches_cert(k.der(), &cert(certfile)).unwrap_or_else(|e| panic!("{file}: {e:?}"));
            // PEM round trip keeps the key.
            let again = private_key(k.to_pem().unwrap().as_bytes()).unwrap();
            assert_eq!(again.der(), k.der());
        }
        #[cfg(feature = "rsa-sign")]
        assert_eq!(
            rsa_bits(private_key(&fixture("rsa1024.key")).unwrap().der()),
            Some(1024)
        );
    }

    #[test]
    fn sec1_without_parameters_gets_them() {
        let k = private_key(&fixture("client_ec.sec1.der")).unwrap();
        let parsed = der::ec_private(k.der().secret_der()).unwrap();
        assert!(parsed.curve.is_some());
        let stripped = der::encode_ec_private(&EcPrivate {
            curve: None,
            ..parsed
        });
        let k2 = private_key(&stripped).unwrap();
        assert_eq!(k2.kind(), KeyType::EcP256);
        assert_eq!(k2.der(), k.der());
    }

    #[test]
    fn key_errors() {
        let code_of = |f: &str| private_key(&fixture(f)).unwrap_err().code;
        assert_eq!(code_of("client_rsa.enc.pem"), code::PK_PASSWORD_REQUIRED);
        assert_eq!(code_of("client_rsa.enc.der"), code::PK_PASSWORD_REQUIRED);
        assert_eq!(
            code_of("client_rsa.legacy-enc.pem"),
            code::PK_PASSWORD_REQUIRED
        );
        assert_eq!(code_of("k1.sec1.pem"), code::PK_UNKNOWN_NAMED_CURVE);
        assert_eq!(code_of("ed25519.key"), code::PK_UNKNOWN_PK_ALG);
        assert_eq!(code_of("ca_rsa.pem"), code::PK_KEY_INVALID_FORMAT);
        let e = private_key(&fixture("ca_rsa.der")).unwrap_err();
        assert!(e.reason.as_str().contains("certificate"), "{}", e.reason);
        assert_eq!(
            private_key(b"garbage").unwrap_err().code,
            code::PK_KEY_INVALID_FORMAT
        );
        assert_eq!(
            private_key(&[]).unwrap_err().code,
            code::PK_KEY_INVALID_FORMAT
        );
        assert_eq!(
            private_key(&[0xFF; 40]).unwrap_err().code,
            code::PK_KEY_INVALID_FORMAT
        );
    }

    #[test]
    fn mismatch_and_strength() {
        let ec = private_key(&fixture("client_ec.pkcs8.pem")).unwrap();
        #[cfg(feature = "rsa-sign")]
        {
            let rsa = private_key(&fixture("client_rsa.pkcs8.pem")).unwrap();
            let e = key_matches_cert(rsa.der(), &cert("server_rsa.pem")).unwrap_err();
            assert_eq!(e.code, code::PK_TYPE_MISMATCH);
            assert!(e.reason.as_str().contains("CN=localhost"), "{}", e.reason);
            let weak = private_key(&fixture("rsa1024.key")).unwrap();
            assert_eq!(
                check_key_strength(weak.kind()).unwrap_err().code,
                code::PK_BAD_INPUT_DATA
            );
            assert!(check_key_strength(rsa.kind()).is_ok());
        }
        let e = key_matches_cert(ec.der(), &cert("server_ec.pem")).unwrap_err();
        assert_eq!(e.code, code::PK_TYPE_MISMATCH);
        let e = key_matches_cert(ec.der(), &cert("client_rsa.pem")).unwrap_err();
        assert_eq!(e.code, code::PK_TYPE_MISMATCH);
        assert!(e.reason.as_str().contains("RSA-2048"), "{}", e.reason);
        #[cfg(feature = "ecdsa-p384")]
        {
            let p384 = private_key(&fixture("client_p384.sec1.pem")).unwrap();
            let e = key_matches_cert(p384.der(), &cert("client_ec.pem")).unwrap_err();
            assert_eq!(e.code, code::PK_TYPE_MISMATCH);
        }

        let wc = info::parse(&cert("ca_rsa1024.pem")).unwrap();
        let e = check_cert_strength(&wc).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_VERIFY_FAILED);
        assert!(e.reason.as_str().contains("RSA-1024"), "{}", e.reason);
    }

    #[test]
    fn debug_does_not_leak() {
        let k = private_key(&fixture("client_ec.sec1.pem")).unwrap();
        let s = std::format!("{k:?}");
        assert!(s.contains("redacted") && s.len() < 60, "{s}");
    }
}
