//! P-256 point arithmetic of our own, shaped for the LX106 core: ECDH, key
//! generation and the k·G of signing with our own key (constant time), and
//! the u1·G + u2·Q of ECDSA verification (variable time, public inputs). The `p256` crate's field uses 32-bit
//! limbs with 64-bit products, which this core computes by library calls;
//! ours uses 13-bit limbs whose products and column sums fit 32 bits
//! (`field.rs`). Scalars modulo n (and parsing of keys and signatures) stay
//! with the `p256`/`ecdsa` crates.

mod consts;
mod field;
mod point;
#[cfg(feature = "ecdsa-p256")]
mod sign;

#[cfg(feature = "ecdsa-p256")]
pub use sign::SigningKey;

use field::Fe;
use point::{Affine, Jacobian};
use zeroize::Zeroize;

/// An uncompressed SEC1 point (0x04 || x || y), on the curve. Not inlined,
/// here and below: the temporaries stay out of the frames that call the
/// multiplications (docs/STACK.md).
#[inline(never)]
fn parse_point(sec1: &[u8]) -> Option<Affine> {
    let (&tag, xy) = sec1.split_first()?;
    if tag != 4 || xy.len() != 64 {
        return None;
    }
    let (x, y) = xy.split_at(32);
    let p = Affine {
        x: Fe::from_bytes(x.try_into().ok()?)?,
        y: Fe::from_bytes(y.try_into().ok()?)?,
    };
    p.is_on_curve().then_some(p)
}

fn encode_point(p: &Jacobian) -> Option<[u8; 65]> {
    let a = p.to_affine()?;
    let mut out = [0u8; 65];
    out[0] = 4;
    out[1..33].copy_from_slice(&a.x.to_bytes());
    out[33..].copy_from_slice(&a.y.to_bytes());
    Some(out)
}

/// The uncompressed public key k·G of a secret scalar 1 ≤ k < n
/// (big-endian), in constant time; `None` only for k outside that range
/// (k = 0 gives the point at infinity; k ≥ n is the caller's bug).
pub fn public_key(k: &[u8; 32]) -> Option<[u8; 65]> {
    // The projective form of a public point can still tell about k: wiped.
    let mut p = point::mul_ct(&Affine::generator(), k);
    let encoded = encode_point(&p);
    p.zeroize();
    encoded
}

/// x(k·G) for a secret scalar 1 ≤ k < n, in constant time (ECDSA signing).
#[cfg(feature = "ecdsa-p256")]
fn base_mul_x(k: &[u8; 32]) -> Option<[u8; 32]> {
    affine_x(point::mul_ct(&Affine::generator(), k))
}

/// The affine x of a product of a secret scalar, the projective point and
/// its affine form wiped after.
fn affine_x(mut p: Jacobian) -> Option<[u8; 32]> {
    let mut a = p.to_affine();
    p.zeroize();
    let x = a.as_ref().map(|a| a.x.to_bytes());
    a.zeroize();
    x
}

/// The uncompressed form of a SEC1 point (compressed or uncompressed) on
/// the curve; `None` when it is malformed or not on the curve. Variable
/// time (public keys).
#[inline(never)]
pub fn uncompressed(sec1: &[u8]) -> Option<[u8; 65]> {
    match sec1.first()? {
        4 => {
            parse_point(sec1)?;
            sec1.try_into().ok()
        }
        tag @ (2 | 3) => {
            let x = Fe::from_bytes(sec1.get(1..)?.try_into().ok()?)?;
            let rhs = x.square().mul(&x).sub(&x.double().add(&x)).add(&consts::B);
            let mut y = rhs.sqrt_vartime()?;
            if y.to_bytes()[31] & 1 != tag & 1 {
                y = y.neg();
            }
            let mut out = [0u8; 65];
            out[0] = 4;
            out[1..33].copy_from_slice(&x.to_bytes());
            out[33..].copy_from_slice(&y.to_bytes());
            Some(out)
        }
        _ => None,
    }
}

/// The compressed form (0x02/0x03 || x) of an uncompressed point.
pub fn compressed(p: &[u8; 65]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = 2 | (p[64] & 1);
    out[1..].copy_from_slice(&p[1..33]);
    out
}

/// The ECDH shared secret x(k·P) for a secret scalar 1 ≤ k < n and the
/// peer's uncompressed point `peer`; `None` when the point is malformed or
/// not on the curve.
pub fn ecdh(k: &[u8; 32], peer: &[u8]) -> Option<[u8; 32]> {
    let p = parse_point(peer)?;
    affine_x(point::mul_ct(&p, k))
}

/// Whether x(u1·G + u2·Q) mod n equals `r` (ECDSA verification after the
/// scalar arithmetic), with `q` an uncompressed point and 0 < r < n.
/// Variable time: every input is public.
pub fn verify_combination(u1: &[u8; 32], q: &[u8], u2: &[u8; 32], r: &[u8; 32]) -> bool {
    let Some(q) = parse_point(q) else {
        return false;
    };
    x_mod_n_equals(&point::mul2_vartime(u1, &q, u2), r)
}

/// Whether x(P) mod n = r, for 0 < r < n: x = r or x = r + n (x < p < 2n),
/// compared as X = x·Z² (no inversion). False at infinity.
#[inline(never)]
fn x_mod_n_equals(p: &Jacobian, r: &[u8; 32]) -> bool {
    /// The group order n, big-endian.
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let Some(r_fe) = Fe::from_bytes(r) else {
        return false;
    };
    if point::x_equals_vartime(p, &r_fe) {
        return true;
    }
    let mut r_plus_n = [0u8; 32];
    let mut carry = 0u16;
    for ((o, &a), &b) in r_plus_n.iter_mut().zip(r).zip(&N).rev() {
        let s = u16::from(a) + u16::from(b) + carry;
        *o = s as u8;
        carry = s >> 8;
    }
    carry == 0 && Fe::from_bytes(&r_plus_n).is_some_and(|x| point::x_equals_vartime(p, &x))
}

/// A deterministic stream of 32-byte test inputs (SHA-256 of a seed and a
/// counter), so that a failure names a case that reproduces.
#[cfg(test)]
pub(crate) fn test_block(seed: &str, i: u32) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(seed.as_bytes());
    h.update(i.to_be_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn unhex(s: &str) -> Vec<u8> {
        if s == "-" {
            return Vec::new();
        }
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// Every Wycheproof ECDSA P-256/SHA-256 vector through the provider's
    /// verification algorithm (DER decoding, scalars, our point arithmetic):
    /// valid ones accepted, invalid ones refused.
    #[cfg(feature = "ecdsa-p256")]
    #[test]
    fn wycheproof_ecdsa_p256_sha256_verdicts() {
        use rustls_pki_types::SignatureVerificationAlgorithm;
        let alg = crate::tls::provider::verify::EcdsaP256Sha256;
        let text = include_str!("../../../../tests/fixtures/wycheproof/ecdsa_secp256r1_sha256.txt");
        let (mut key, mut n) = (Vec::new(), 0);
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if f[0] == "key" {
                key = unhex(f[1]);
                continue;
            }
            let ok = alg
                .verify_signature(&key, &unhex(f[2]), &unhex(f[3]))
                .is_ok();
            match f[1] {
                "valid" => assert!(ok, "tcId {} rejected", f[0]),
                "invalid" => assert!(!ok, "tcId {} accepted", f[0]),
                other => panic!("tcId {}: result {other}", f[0]),
            }
            n += 1;
        }
        assert_eq!(n, 484);
    }

    /// Every Wycheproof ECDH P-256 vector with the public key as a bare
    /// point: the shared secret of the valid ones, refusal of the points
    /// off the curve and of bad encodings. Compressed points (one
    /// "acceptable", the rest invalid) are refused: TLS sends uncompressed.
    #[test]
    fn wycheproof_ecdh_p256_ecpoint_results() {
        let text = include_str!("../../../../tests/fixtures/wycheproof/ecdh_secp256r1_ecpoint.txt");
        let mut n = 0;
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let (public, private, shared) = (unhex(f[2]), unhex(f[3]), unhex(f[4]));
            // Big-endian private key, possibly with a leading zero byte.
            let mut k = [0u8; 32];
            let private = &private[private.len().saturating_sub(32)..];
            k[32 - private.len()..].copy_from_slice(private);
            let got = ecdh(&k, &public);
            match f[1] {
                "valid" => assert_eq!(got.map(|s| s.to_vec()), Some(shared), "tcId {}", f[0]),
                "invalid" | "acceptable" => assert_eq!(got, None, "tcId {}", f[0]),
                other => panic!("tcId {}: result {other}", f[0]),
            }
            n += 1;
        }
        assert_eq!(n, 355);
    }

    #[test]
    fn public_keys_match_the_p256_crate() {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        for i in 1..16u8 {
            let mut k = [i; 32];
            k[0] = 0x7f;
            let sk = p256::SecretKey::from_slice(&k).unwrap();
            let want = sk.public_key().to_encoded_point(false);
            assert_eq!(public_key(&k).unwrap()[..], want.as_bytes()[..]);
        }
        assert_eq!(public_key(&[0; 32]), None);
    }

    #[test]
    fn decompression_matches_the_p256_crate() {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let mut refused = 0;
        for i in 1..40u8 {
            let mut k = [i; 32];
            k[0] = 0x3c;
            let pk = p256::SecretKey::from_slice(&k).unwrap().public_key();
            let full = pk.to_encoded_point(false);
            let short = pk.to_encoded_point(true);
            let full: [u8; 65] = full.as_bytes().try_into().unwrap();
            assert_eq!(uncompressed(short.as_bytes()), Some(full), "case {i}");
            assert_eq!(compressed(&full)[..], short.as_bytes()[..]);
            assert_eq!(uncompressed(&full), Some(full));
            // x + 1: on the curve for about half of the cases.
            let mut other = short.as_bytes().to_vec();
            other[32] ^= 1;
            let theirs = p256::PublicKey::from_sec1_bytes(&other).ok();
            let ours = uncompressed(&other);
            assert_eq!(ours.is_some(), theirs.is_some(), "case {i}");
            if let Some(t) = theirs {
                assert_eq!(ours.unwrap()[..], t.to_encoded_point(false).as_bytes()[..]);
            } else {
                refused += 1;
            }
        }
        assert!(refused > 0);
        for bad in [&[0u8][..], &[4; 64], &[2; 32], &[5; 33]] {
            assert_eq!(uncompressed(bad), None);
        }
    }
}
