//! The RSA private-key operation for our own key (client certificates, the
//! server's identity): PKCS#1 v1.5 and PSS signatures, 2048 to 4096 bits.
//!
//! Replaces the `rsa` crate, whose num-bigint-dig arithmetic took ~35 KB of
//! heap in 2 300 allocations per signature. Here: CRT over the two primes
//! with fixed-size Montgomery arithmetic (`bignum`), constant time with
//! respect to the key (every secret exponent bit is processed the same way,
//! table lookups scan the whole table, conditional steps are masks), and a
//! handful of modulus-sized buffers per signature (2.0 KB live at most for
//! RSA-2048, 3-bit window table included; wiped before they are freed).
//!
//! Defence in depth: the input is blinded with a fresh random r (r^e is
//! multiplied in before, r^-1 after), so the exponentiations never see a
//! value an observer chose; and the signature is checked with the public
//! exponent before it leaves, so a computation fault cannot hand out a
//! value that reveals a prime (the CRT fault attack).

use alloc::vec::Vec;

use rand_core::RngCore;
use zeroize::{Zeroize, Zeroizing};

use super::bignum::{self, Modulus, Num};
use super::rsa_pub::{bit_len, mgf1_xor, strip, Hash, MAX_HASH};
use crate::certs::der_lite::RsaPrivate;
use crate::tls::rng::Rng;

/// The sizes this arithmetic signs with. The device's policy (own keys of
/// at least 2048 bits) is `certs::keys`'s, checked when a key is loaded; 1024
/// is accepted here so that the tests' in-process peer can present a weak
/// chain.
pub const MIN_BITS: usize = 1024;
pub const MAX_BITS: usize = 4096;

/// Why a signature could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum SignError {
    /// The random generator failed (blinding, PSS salt).
    Random,
    /// The result did not verify with the public exponent (a fault, or CRT
    /// values that do not belong to the key).
    Fault,
    /// A digest to sign is not as long as its hash function's output.
    DigestLength,
}

/// An encoded message (EMSA, RFC 8017 §9), written into k bytes on demand:
/// [`PrivateKey::private_op`] writes it twice (before, and for the check).
enum Encoding<'a> {
    /// EMSA-PKCS1-v1_5: 00 01 FF.. 00, DigestInfo prefix, digest.
    Pkcs1 { prefix: &'a [u8], digest: &'a [u8] },
    /// EMSA-PSS with MGF1 over `hash`, H = hash(0^8 || mHash || salt).
    Pss {
        hash: Hash,
        h: &'a [u8],
        salt: &'a [u8],
        em_bits: usize,
    },
}

impl Encoding<'_> {
    fn write(&self, em: &mut [u8]) {
        let k = em.len();
        match *self {
            Encoding::Pkcs1 { prefix, digest } => {
                // k >= 128 for our key sizes, so the padding is always >= 8
                // bytes.
                let t_len = prefix.len() + digest.len();
                em.fill(0xFF);
                em[0] = 0;
                em[1] = 1;
                em[k - t_len - 1] = 0;
                em[k - t_len..k - digest.len()].copy_from_slice(prefix);
                em[k - digest.len()..].copy_from_slice(digest);
            }
            Encoding::Pss {
                hash,
                h,
                salt,
                em_bits,
            } => {
                // EM, with a leading zero byte when the modulus is a
                // multiple of 8 bits long (EM is then one byte shorter than
                // the modulus).
                let (h_len, em_len) = (h.len(), em_bits.div_ceil(8));
                em.fill(0);
                let lead = k - em_len;
                let db_len = em_len - h_len - 1;
                {
                    let db = &mut em[lead..lead + db_len];
                    db[db_len - h_len - 1] = 1;
                    db[db_len - h_len..].copy_from_slice(salt);
                    mgf1_xor(hash, h, db);
                    db[0] &= 0xFF >> (8 * em_len - em_bits);
                }
                em[lead + db_len..k - 1].copy_from_slice(h);
                em[k - 1] = 0xBC;
            }
        }
    }
}

/// A two-prime RSA private key in CRT form; secret parts wiped on drop.
/// It keeps the CRT numbers only (0.9 KB for RSA-2048): n is p q again
/// where a signature needs it (a product of two halves, ~0.1% of the
/// signature's time), and no R^2 is kept (`bignum::Modulus`). The key lives
/// as long as the configuration, through every step of every handshake.
pub struct PrivateKey {
    e: u64,
    /// Modulus length in bits, bytes (the signature's length) and limbs.
    bits: usize,
    k: usize,
    nl: usize,
    p: Modulus,
    q: Modulus,
    dp: Num,
    dq: Num,
    /// q^-1 mod p in Montgomery form modulo p.
    qinv: Num,
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RsaPrivateKey")
    }
}

impl PrivateKey {
    /// A two-prime PKCS#1 key of [`MIN_BITS`]..=[`MAX_BITS`] whose primes
    /// are each at most half the modulus' limbs and multiply to n; `None`
    /// otherwise. (The CRT values are checked by the first signature's
    /// verification with e.)
    pub fn from_pkcs1(k: &RsaPrivate<'_>) -> Option<Self> {
        let n_bytes = strip(k.n);
        let bits = bit_len(n_bytes);
        let e_bytes = strip(k.e);
        if k.version != 0 || !(MIN_BITS..=MAX_BITS).contains(&bits) || e_bytes.len() > 8 {
            return None;
        }
        let e = e_bytes
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if e < 3 || e & 1 == 0 {
            return None;
        }
        let nl = n_bytes.len().div_ceil(4);
        let hl = nl.div_ceil(2);
        let p = bignum::from_be(k.p, hl)?;
        let q = bignum::from_be(k.q, hl)?;
        let mut pq = Num::zero(2 * hl);
        bignum::mul_plain(&mut pq, &p, &q);
        if *pq != *bignum::from_be(n_bytes, 2 * hl)? {
            return None;
        }
        // Primes shorter than half the modulus' limbs keep the top limb
        // non-zero by being stored in fewer limbs; the CRT below needs both in
        // `hl` limbs, so such (unbalanced) keys are not supported.
        let p = Modulus::new(p)?;
        let q = Modulus::new(q)?;
        let dp = Num::from(bignum::from_be(k.dp, hl)?);
        let dq = Num::from(bignum::from_be(k.dq, hl)?);
        let mut qinv = Num::from(bignum::from_be(k.qinv, hl)?);
        if bignum::lt(&qinv, p.value()) == 0 {
            return None;
        }
        let mut t = p.scratch();
        p.to_mont(&mut qinv, &p.r2(&mut t), &mut t);
        Some(PrivateKey {
            e,
            bits,
            k: n_bytes.len(),
            nl,
            p,
            q,
            dp,
            dq,
            qinv,
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// RSASSA-PKCS1-v1_5 signature of `msg` with `hash`.
    pub fn sign_pkcs1(&self, hash: Hash, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut buf = [0u8; MAX_HASH];
        self.sign_pkcs1_digest(hash, hash.digest(&[msg], &mut buf))
    }

    /// The same from the message's `hash` digest (a TLS 1.2 client's
    /// CertificateVerify over a transcript it hashed as it went, rather
    /// than kept: vendor/rustls 0015).
    pub fn sign_pkcs1_digest(&self, hash: Hash, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        if digest.len() != hash.output_len() {
            return Err(SignError::DigestLength);
        }
        self.private_op(&Encoding::Pkcs1 {
            prefix: hash.digest_info(),
            digest,
        })
    }

    /// RSASSA-PSS signature (RFC 8017 §9.1.1) of `msg`, MGF1 over `hash`,
    /// a random salt as long as the hash (what TLS requires).
    pub fn sign_pss(&self, hash: Hash, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut m_hash = [0u8; MAX_HASH];
        self.sign_pss_digest(hash, hash.digest(&[msg], &mut m_hash))
    }

    /// The same from the message's `hash` digest (`m_hash`), as
    /// [`Self::sign_pkcs1_digest`].
    pub fn sign_pss_digest(&self, hash: Hash, m_hash: &[u8]) -> Result<Vec<u8>, SignError> {
        let h_len = hash.output_len();
        if m_hash.len() != h_len {
            return Err(SignError::DigestLength);
        }
        let mut salt = [0u8; MAX_HASH];
        let salt = &mut salt[..h_len];
        let mut rng = Rng::new();
        rng.fill_bytes(salt);
        if rng.failed() {
            return Err(SignError::Random);
        }
        let mut h = [0u8; MAX_HASH];
        let h = hash.digest(&[&[0u8; 8], m_hash, salt], &mut h);
        self.private_op(&Encoding::Pss {
            hash,
            h,
            salt,
            em_bits: self.bits - 1,
        })
    }

    /// The encoded message (k bytes, m < n) as a number of the modulus'
    /// limbs; the bytes are wiped.
    fn encoded(&self, enc: &Encoding<'_>) -> Result<Num, SignError> {
        let mut em = Zeroizing::new(alloc::vec![0u8; self.k]);
        enc.write(&mut em);
        bignum::from_be(&em, self.nl)
            .map(Num::from)
            .ok_or(SignError::Fault)
    }

    /// s = m^d mod n for the encoded message m (`enc`, k bytes, m < n),
    /// blinded, by CRT, checked with e. The encoding is
    /// written twice (before, and again for the check), so that neither it
    /// nor m is held during the exponentiations. Live at the peak (the
    /// exponentiations): r^-1, the blinded input's two halves, a half-size
    /// scratch and the window table (`bignum::WINDOW`): 2.0 KB for RSA-2048
    /// (2 008 bytes of the simulator's heap, block headers included; 4.5 KB
    /// when m, the scratch modulo n and a 4-bit table were live too).
    fn private_op(&self, enc: &Encoding<'_>) -> Result<Vec<u8>, SignError> {
        let nl = self.nl;
        let hl = self.p.limbs();

        // Blinding: c = m * r^e mod n for a random invertible r < n. r
        // first: its inversion is this operation's other large step, and
        // nothing else is live yet. The random number r' is taken as r in
        // Montgomery form (r = r' R^-1, as uniform as r'), so that only the
        // unblinding needs R^2 modulo n (`bignum::Modulus::r2`).
        let n = self.modulus()?;
        let (r, mut rinv) = blinding_factor(&n)?;
        let blinded = {
            let mut tn = n.scratch();
            let mut re = Num::zero(nl);
            n.pow_public(&r, self.e, &mut re, &mut tn);
            drop(r);
            // r^e in Montgomery form times m in normal form: m * r^e.
            let m = self.encoded(enc)?;
            let mut c = Num::zero(nl);
            n.mul(&mut c, &m, &re, &mut tn);
            c
        };
        drop(n);

        // CRT: s1 = c^dp mod p, s2 = c^dq mod q, h = qinv (s1 - s2) mod p,
        // s = s2 + h q. c's halves first (then c goes), each exponentiated in
        // place. R^2 modulo each prime lives for one reduction only (the
        // key keeps none, `bignum::Modulus`).
        let mut s = {
            let mut th = self.p.scratch();
            let mut s1 = Num::zero(hl);
            let mut s2 = Num::zero(hl);
            self.p
                .reduce_wide_to_mont(&blinded, &mut s1, &self.p.r2(&mut th), &mut th);
            self.q
                .reduce_wide_to_mont(&blinded, &mut s2, &self.q.r2(&mut th), &mut th);
            drop(blinded);
            self.p.pow_secret(&mut s1, &self.dp, &mut th);
            self.q.pow_secret(&mut s2, &self.dq, &mut th);
            self.q.out_of_mont(&mut s2, &mut th);
            // s1 - (s2 mod p), in Montgomery form modulo p (s2 < q < R).
            let mut x = Num::zero(hl);
            self.p
                .reduce_wide_to_mont(&s2, &mut x, &self.p.r2(&mut th), &mut th);
            self.p.sub_mod(&mut s1, &x);
            // h = (s1 - s2) qinv: Montgomery times Montgomery is Montgomery.
            self.p.mul(&mut x, &s1, &self.qinv, &mut th);
            self.p.out_of_mont(&mut x, &mut th);
            let mut s = Num::zero(2 * hl);
            bignum::mul_plain(&mut s, &x, self.q.value());
            bignum::add_low(&mut s, &s2);
            s
        };

        // Unblind: s * r^-1 mod n (r^-1 in Montgomery form, s in normal).
        // r^-1 = R r'^-1: two products with R^2 make r'^-1 (what the
        // inversion gave) r^-1 R.
        let n = self.modulus()?;
        let mut tn = n.scratch();
        let rr = n.r2(&mut tn);
        n.to_mont(&mut rinv, &rr, &mut tn);
        n.to_mont(&mut rinv, &rr, &mut tn);
        let mut sig = Num::zero(nl);
        n.mul(&mut sig, &s[..nl], &rinv, &mut tn);
        s.iter_mut().for_each(|l| *l = 0);
        drop((s, rinv));

        // Check sig^e == m before the signature leaves.
        let mut back = Num::zero(nl);
        {
            let mut base = Num::zero(nl);
            base.copy_from_slice(&sig);
            n.to_mont(&mut base, &rr, &mut tn);
            n.pow_public(&base, self.e, &mut back, &mut tn);
            n.out_of_mont(&mut back, &mut tn);
        }
        drop((tn, rr, n));
        if *back != *self.encoded(enc)? {
            return Err(SignError::Fault);
        }
        let mut out = alloc::vec![0u8; self.k];
        bignum::to_be(&sig, &mut out);
        Ok(out)
    }

    /// n = p q, as a modulus of the key's limbs (p q was checked to be n
    /// when the key was parsed; its top limbs past n's are zero).
    fn modulus(&self) -> Result<Modulus, SignError> {
        let mut pq = bignum::zeroed(2 * self.p.limbs());
        bignum::mul_plain(&mut pq, self.p.value(), self.q.value());
        pq.truncate(self.nl);
        Modulus::new(pq).ok_or(SignError::Fault)
    }
}

/// A random r' < n (fewer bits in its top limb than n's) with gcd(r', n) =
/// 1, and its inverse.
fn blinding_factor(n: &Modulus) -> Result<(Num, Num), SignError> {
    let nl = n.limbs();
    let n_top = n.value()[nl - 1];
    loop {
        let mut r = Num::zero(nl);
        let mut rng = Rng::new();
        for limb in r.iter_mut() {
            *limb = rng.next_u32();
        }
        if rng.failed() {
            return Err(SignError::Random);
        }
        r[nl - 1] &= u32::MAX >> (n_top.leading_zeros() + 1);
        if r.iter().all(|&l| l == 0) {
            continue;
        }
        if let Some(inv) = bignum::inverse(&r, n.value()) {
            return Ok((r, inv));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::der_lite;
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer, Verifier};
    use std::process::Command;

    /// A fresh RSA key of `bits` from openssl (keys made by the `rsa` crate
    /// take minutes in a debug build), as PKCS#1 DER.
    fn openssl_key(bits: usize) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
            .arg(std::format!("rsa_keygen_bits:{bits}"))
            .args(["-outform", "DER"])
            .output()
            .expect("openssl");
        assert!(out.status.success(), "openssl genpkey failed");
        // OpenSSL writes PKCS#1 or PKCS#8 DER depending on its version.
        let k = rsa::RsaPrivateKey::from_pkcs8_der(&out.stdout)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(&out.stdout))
            .expect("RSA key");
        k.to_pkcs1_der().unwrap().as_bytes().to_vec()
    }

    fn ours(pkcs1: &[u8]) -> PrivateKey {
        PrivateKey::from_pkcs1(&der_lite::rsa_private(pkcs1).unwrap()).expect("our key")
    }

    fn fixture() -> Vec<u8> {
        include_bytes!("../../../tests/fixtures/client_rsa.pkcs1.der").to_vec()
    }

    fn messages() -> Vec<Vec<u8>> {
        let mut v = alloc::vec![Vec::new(), b"espconn_secure transcript".to_vec()];
        for len in [55usize, 1000] {
            let mut m = alloc::vec![0u8; len];
            crate::tls::rng::fill(&mut m).unwrap();
            v.push(m);
        }
        v
    }

    #[test]
    fn pkcs1_signatures_are_identical_to_the_rsa_crates() {
        // Every message with the smaller keys; two with RSA-4096 (slow in a
        // debug build). 2080 bits: a modulus of an odd number of limbs (65),
        // its primes' product one limb longer.
        let keys = [
            fixture(),
            openssl_key(2048),
            openssl_key(2080),
            openssl_key(3072),
            openssl_key(4096),
        ];
        for (i, der) in keys.iter().enumerate() {
            let theirs = rsa::RsaPrivateKey::from_pkcs1_der(der).unwrap();
            let key = ours(der);
            let msgs = messages();
            for msg in msgs.iter().take(if i == 4 { 2 } else { msgs.len() }) {
                let want = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(theirs.clone())
                    .sign(msg)
                    .to_vec();
                assert_eq!(key.sign_pkcs1(Hash::Sha256, msg).unwrap(), want);
                let want = rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(theirs.clone())
                    .sign(msg)
                    .to_vec();
                assert_eq!(key.sign_pkcs1(Hash::Sha384, msg).unwrap(), want);
                let want = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(theirs.clone())
                    .sign(msg)
                    .to_vec();
                assert_eq!(key.sign_pkcs1(Hash::Sha512, msg).unwrap(), want);
            }
        }
    }

    #[test]
    fn pss_signatures_verify_with_the_rsa_crate_and_differ_each_time() {
        for der in [fixture(), openssl_key(3072)] {
            let theirs = rsa::RsaPrivateKey::from_pkcs1_der(&der).unwrap();
            let public = theirs.to_public_key();
            let key = ours(&der);
            for msg in messages() {
                let sig = key.sign_pss(Hash::Sha256, &msg).unwrap();
                let vk = rsa::pss::VerifyingKey::<sha2::Sha256>::new(public.clone());
                vk.verify(&msg, &rsa::pss::Signature::try_from(&sig[..]).unwrap())
                    .expect("PSS-SHA256 verifies");
                assert_ne!(
                    sig,
                    key.sign_pss(Hash::Sha256, &msg).unwrap(),
                    "random salt"
                );
                let sig = key.sign_pss(Hash::Sha384, &msg).unwrap();
                let vk = rsa::pss::VerifyingKey::<sha2::Sha384>::new(public.clone());
                vk.verify(&msg, &rsa::pss::Signature::try_from(&sig[..]).unwrap())
                    .expect("PSS-SHA384 verifies");
                let sig = key.sign_pss(Hash::Sha512, &msg).unwrap();
                let vk = rsa::pss::VerifyingKey::<sha2::Sha512>::new(public.clone());
                vk.verify(&msg, &rsa::pss::Signature::try_from(&sig[..]).unwrap())
                    .expect("PSS-SHA512 verifies");
            }
        }
    }

    #[test]
    fn digests_sign_as_their_messages_and_a_wrong_length_is_refused() {
        let key = ours(&fixture());
        for msg in messages() {
            let mut d = [0u8; MAX_HASH];
            for hash in [Hash::Sha256, Hash::Sha384, Hash::Sha512] {
                let digest = hash.digest(&[&msg], &mut d).to_vec();
                assert_eq!(
                    key.sign_pkcs1_digest(hash, &digest).unwrap(),
                    key.sign_pkcs1(hash, &msg).unwrap()
                );
                let short = &digest[..digest.len() - 1];
                assert!(matches!(
                    key.sign_pkcs1_digest(hash, short),
                    Err(SignError::DigestLength)
                ));
                assert!(matches!(
                    key.sign_pss_digest(hash, short),
                    Err(SignError::DigestLength)
                ));
            }
        }
    }

    #[test]
    fn a_wrong_crt_value_is_caught_before_the_signature_leaves() {
        let der = fixture();
        let mut k = der_lite::rsa_private(&der).unwrap();
        // dp off by one: the result no longer verifies with e.
        let mut dp = k.dp.to_vec();
        *dp.last_mut().unwrap() ^= 2;
        k.dp = &dp;
        let key = PrivateKey::from_pkcs1(&k).unwrap();
        assert_eq!(key.sign_pkcs1(Hash::Sha256, b"m"), Err(SignError::Fault));
    }

    #[test]
    fn keys_outside_1024_to_4096_bits_or_not_matching_n_are_refused() {
        let small = openssl_key(768);
        assert!(PrivateKey::from_pkcs1(&der_lite::rsa_private(&small).unwrap()).is_none());
        let der = fixture();
        let mut k = der_lite::rsa_private(&der).unwrap();
        let other = openssl_key(2048);
        let o = der_lite::rsa_private(&other).unwrap();
        k.p = o.p;
        assert!(PrivateKey::from_pkcs1(&k).is_none(), "p * q != n");
    }

    #[test]
    fn constant_time_inverse_matches_the_definition() {
        let der = fixture();
        let m = bignum::from_be(der_lite::rsa_private(&der).unwrap().n, 64).unwrap();
        for _ in 0..20 {
            let mut bytes = [0u8; 256];
            crate::tls::rng::fill(&mut bytes).unwrap();
            bytes[0] &= 0x3F;
            let x = bignum::from_be(&bytes, 64).unwrap();
            let inv = bignum::inverse(&x, &m).expect("invertible");
            let mut prod = bignum::zeroed(128);
            bignum::mul_plain(&mut prod, &x, &inv);
            // prod mod m == 1: reduce with a Montgomery modulus.
            let n = Modulus::new(m.clone()).unwrap();
            let mut t = n.scratch();
            let mut r = bignum::zeroed(64);
            n.reduce_wide_to_mont(&prod, &mut r, &n.r2(&mut t), &mut t);
            n.out_of_mont(&mut r, &mut t);
            assert_eq!(r[0], 1);
            assert!(r[1..].iter().all(|&l| l == 0));
        }
        // gcd(p, n) = p: no inverse.
        let k = der_lite::rsa_private(&der).unwrap();
        let p = bignum::from_be(k.p, 64).unwrap();
        assert!(bignum::inverse(&p, &m).is_none());
    }

    #[test]
    fn secret_and_public_exponentiation_agree() {
        let der = fixture();
        let k = der_lite::rsa_private(&der).unwrap();
        let p = Modulus::new(bignum::from_be(k.p, 32).unwrap()).unwrap();
        let mut t = p.scratch();
        let mut base = bignum::zeroed(32);
        base[0] = 0x1234_5678;
        base[5] = 0x9abc_def0;
        p.to_mont(&mut base, &p.r2(&mut t), &mut t);
        for e in [1u64, 2, 3, 17, 65537, 0xFFFF_FFFF_FFFF] {
            let mut a = bignum::zeroed(32);
            p.pow_public(&base, e, &mut a, &mut t);
            let mut el = bignum::zeroed(32);
            el[0] = e as u32;
            el[1] = (e >> 32) as u32;
            let mut b = base.clone();
            p.pow_secret(&mut b, &el, &mut t);
            assert_eq!(a, b, "e = {e}");
        }
    }
}
