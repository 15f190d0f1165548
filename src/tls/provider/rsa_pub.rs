//! RSA signature verification (PKCS#1 v1.5 and PSS) with a small Montgomery
//! implementation of the public-key operation.
//!
//! The `rsa` crate's verifier (num-bigint-dig) takes ~11 KB of heap and ~34 M
//! instructions per RSA-2048 signature on the LX106; this one needs four
//! modulus-sized numbers at most and a scratch of two limbs more (1.0 KB
//! for RSA-2048, `public_op`) and no other allocation.
//! Only public data is involved, so nothing here needs to be constant-time.

use alloc::vec::Vec;

use digest::Digest;

use super::bignum::{self, Modulus};
use super::verify::{RSA_MAX_BITS, RSA_MIN_BITS};

/// Why a signature was not accepted. Callers only need "invalid".
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid;

/// A parsed public key: modulus limbs (little-endian u32) and exponent.
struct PublicKey {
    n: Vec<u32>,
    /// Modulus length in bytes (the signature's length) and in bits.
    k: usize,
    bits: usize,
    e: u64,
}

fn parse_key(der: &[u8]) -> Result<PublicKey, Invalid> {
    let (n, e) = crate::certs::der_lite::rsa_public(der).ok_or(Invalid)?;
    let n_bytes = strip(n);
    let e_bytes = strip(e);
    let bits = bit_len(n_bytes);
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) || e_bytes.is_empty() || e_bytes.len() > 8 {
        return Err(Invalid);
    }
    let e = e_bytes
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    // An even modulus has no Montgomery form (and is no RSA modulus); e must
    // be odd and at least 3.
    if n_bytes[n_bytes.len() - 1] & 1 == 0 || e < 3 || e & 1 == 0 {
        return Err(Invalid);
    }
    let n = bignum::from_be(n_bytes, n_bytes.len().div_ceil(4)).ok_or(Invalid)?;
    Ok(PublicKey {
        n,
        k: n_bytes.len(),
        bits,
        e,
    })
}

/// `b` without its leading zero bytes (DER integers may carry one).
pub(super) fn strip(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// Bits of the big-endian number `b` (no leading zero bytes).
pub(super) fn bit_len(b: &[u8]) -> usize {
    match b.first() {
        Some(&top) => (b.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// m = s^e mod n as big-endian bytes of the modulus length, with as few
/// modulus-sized numbers live at once as the Montgomery arithmetic allows
/// (1.0 KB for RSA-2048: n, s, m and a scratch of two limbs more): the
/// modulus moves into the Montgomery context (no copy), R^2 (computed by
/// `Modulus::r2`) goes once s is in Montgomery form, m leaves it by a
/// Montgomery product with 1 (the scratch a product needs, not the
/// double-width one of a reduction), and the numbers go back before the
/// result's bytes are taken. The key's modulus is gone afterwards (`key.n`
/// empty).
fn public_op(key: &mut PublicKey, sig: &[u8]) -> Result<Vec<u8>, Invalid> {
    if sig.len() != key.k {
        return Err(Invalid);
    }
    let limbs = key.n.len();
    let n = Modulus::new(core::mem::take(&mut key.n)).ok_or(Invalid)?;
    let mut x = bignum::from_be(sig, limbs).ok_or(Invalid)?;
    if bignum::lt(&x, n.value()) == 0 {
        return Err(Invalid);
    }
    let mut t = bignum::zeroed(limbs + 2);
    let rr = n.r2(&mut t);
    n.to_mont(&mut x, &rr, &mut t);
    drop(rr);
    let mut m = bignum::zeroed(limbs);
    n.pow_public(&x, key.e, &mut m, &mut t);
    // m * 1 * R^-1 mod n: m out of Montgomery form, in the product's scratch.
    x.fill(0);
    x[0] = 1;
    n.mul_assign(&mut m, &x, &mut t);
    drop((x, t, n));
    let mut out = alloc::vec![0u8; key.k];
    bignum::to_be(&m, &mut out);
    Ok(out)
}

/// The hash of a signature algorithm. The verifiers below take it as a value,
/// not as a type parameter, so each exists once in flash whatever the number
/// of hashes (one generic copy per hash cost ~1.6 KB each on the LX106).
#[derive(Clone, Copy)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// The largest output of a `Hash`.
pub const MAX_HASH: usize = 64;

impl Hash {
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// DER prefix of the DigestInfo for PKCS#1 v1.5 (RFC 8017 §9.2, note 1).
    #[cfg(any(feature = "rsa-pkcs1", test))]
    pub fn digest_info(self) -> &'static [u8] {
        match self {
            Hash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Hash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Hash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// The hash of the concatenation of `parts`, in `out[..self.output_len()]`.
    pub fn digest<'o>(self, parts: &[&[u8]], out: &'o mut [u8; MAX_HASH]) -> &'o [u8] {
        fn run<D: Digest>(parts: &[&[u8]], out: &mut [u8]) {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            out.copy_from_slice(&d.finalize());
        }
        let out = &mut out[..self.output_len()];
        match self {
            Hash::Sha256 => run::<super::sha256::Sha256>(parts, out),
            Hash::Sha384 => run::<sha2::Sha384>(parts, out),
            Hash::Sha512 => run::<sha2::Sha512>(parts, out),
        }
        out
    }
}

/// RSASSA-PKCS1-v1_5 verification with `hash`.
#[cfg(any(feature = "rsa-pkcs1", test))]
pub fn verify_pkcs1(hash: Hash, public_key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), Invalid> {
    let mut key = parse_key(public_key)?;
    let em = public_op(&mut key, sig)?;
    let prefix = hash.digest_info();
    let mut buf = [0u8; MAX_HASH];
    let digest = hash.digest(&[msg], &mut buf);
    let t_len = prefix.len() + digest.len();
    if key.k < t_len + 11 {
        return Err(Invalid);
    }
    let ps_end = key.k - t_len - 1;
    let ok = em[0] == 0
        && em[1] == 1
        && em[2..ps_end].iter().all(|&b| b == 0xFF)
        && em[ps_end] == 0
        && &em[ps_end + 1..ps_end + 1 + prefix.len()] == prefix
        && em[ps_end + 1 + prefix.len()..] == digest[..];
    if ok {
        Ok(())
    } else {
        Err(Invalid)
    }
}

/// RSASSA-PSS verification (RFC 8017 §8.1.2) with MGF1 over `hash` and a
/// salt as long as the hash, the only form TLS uses.
#[cfg(any(feature = "rsa-pss", test))]
pub fn verify_pss(hash: Hash, public_key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), Invalid> {
    let mut key = parse_key(public_key)?;
    let em_full = public_op(&mut key, sig)?;
    let em_bits = key.bits - 1;
    let em_len = em_bits.div_ceil(8);
    // When the modulus is a multiple of 8 bits long, EM is one byte shorter
    // than the signature and that leading byte must be zero.
    let (lead, em) = em_full.split_at(em_full.len() - em_len);
    if lead.iter().any(|&b| b != 0) {
        return Err(Invalid);
    }
    let h_len = hash.output_len();
    let s_len = h_len;
    if em_len < h_len + s_len + 2 || em[em_len - 1] != 0xBC {
        return Err(Invalid);
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..h_len];
    let zero_bits = 8 * em_len - em_bits;
    if zero_bits > 0 && masked_db[0] >> (8 - zero_bits) != 0 {
        return Err(Invalid);
    }
    let mut db = Vec::new();
    db.reserve_exact(db_len);
    db.extend_from_slice(masked_db);
    mgf1_xor(hash, h, &mut db);
    if zero_bits > 0 {
        db[0] &= 0xFF >> zero_bits;
    }
    let ps_len = em_len - h_len - s_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 1 {
        return Err(Invalid);
    }
    let salt = &db[db_len - s_len..];
    let mut m_hash = [0u8; MAX_HASH];
    let m_hash = hash.digest(&[msg], &mut m_hash);
    let mut h2 = [0u8; MAX_HASH];
    if hash.digest(&[&[0u8; 8], m_hash, salt], &mut h2) == h {
        Ok(())
    } else {
        Err(Invalid)
    }
}

/// db ^= MGF1(seed, db.len()).
#[cfg(any(feature = "rsa-pss", test))]
pub fn mgf1_xor(hash: Hash, seed: &[u8], db: &mut [u8]) {
    let mut mask = [0u8; MAX_HASH];
    for (counter, chunk) in (0u32..).zip(db.chunks_mut(hash.output_len())) {
        let mask = hash.digest(&[seed, &counter.to_be_bytes()], &mut mask);
        for (b, m) in chunk.iter_mut().zip(mask.iter()) {
            *b ^= m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};

    fn key() -> rsa::RsaPrivateKey {
        // DER, not PEM through certs::keys: that refuses RSA keys in builds
        // without `rsa-sign`, and these tests run in every profile.
        let der = include_bytes!("../../../tests/fixtures/client_rsa.pkcs8.der");
        rsa::RsaPrivateKey::from_pkcs8_der(der).expect("fixture key")
    }

    fn public_der(k: &rsa::RsaPrivateKey) -> Vec<u8> {
        k.to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn pkcs1_signatures_from_the_rsa_crate_verify_and_tampering_is_caught() {
        let k = key();
        let der = public_der(&k);
        let msg = b"espconn_secure handshake transcript";
        let sig = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone())
            .sign(msg)
            .to_vec();
        assert_eq!(verify_pkcs1(Hash::Sha256, &der, msg, &sig), Ok(()));
        assert!(verify_pkcs1(Hash::Sha256, &der, b"other", &sig).is_err());
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(verify_pkcs1(Hash::Sha256, &der, msg, &bad).is_err());
        let sig384 = rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k)
            .sign(msg)
            .to_vec();
        assert_eq!(verify_pkcs1(Hash::Sha384, &der, msg, &sig384), Ok(()));
        assert!(verify_pkcs1(Hash::Sha256, &der, msg, &sig384).is_err());
    }

    #[test]
    fn pss_signatures_from_the_rsa_crate_verify_and_tampering_is_caught() {
        let k = key();
        let der = public_der(&k);
        let msg = b"TLS 1.3, server CertificateVerify";
        let mut rng = crate::tls::rng::Rng::new();
        let sig = rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(k.clone())
            .sign_with_rng(&mut rng, msg)
            .to_vec();
        assert_eq!(verify_pss(Hash::Sha256, &der, msg, &sig), Ok(()));
        assert!(verify_pss(Hash::Sha256, &der, b"other", &sig).is_err());
        let mut bad = sig.clone();
        bad[100] ^= 0x80;
        assert!(verify_pss(Hash::Sha256, &der, msg, &bad).is_err());
        let sig512 = rsa::pss::BlindedSigningKey::<sha2::Sha512>::new(k)
            .sign_with_rng(&mut rng, msg)
            .to_vec();
        assert_eq!(verify_pss(Hash::Sha512, &der, msg, &sig512), Ok(()));
    }

    #[test]
    fn signatures_of_the_wrong_length_or_not_below_the_modulus_are_invalid() {
        let der = public_der(&key());
        let msg = b"x";
        assert!(verify_pkcs1(Hash::Sha256, &der, msg, &[0u8; 255]).is_err());
        assert!(verify_pkcs1(Hash::Sha256, &der, msg, &[0xFFu8; 256]).is_err());
        assert!(verify_pss(Hash::Sha256, &der, msg, &[0u8; 256]).is_err());
        assert!(verify_pss(Hash::Sha256, b"not a key", msg, &[0u8; 256]).is_err());
    }
}
