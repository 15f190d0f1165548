//! The nonce k of our ECDSA signatures: RFC 6979 (section 3.2, with the
//! additional data of section 3.6: fresh random bytes, so that a fault or a
//! repeated digest never repeats k), the curve's own hash as HMAC_DRBG's,
//! exactly as the `ecdsa` crate's signing derives it through the `rfc6979`
//! crate (the tests compare every byte), over our HMAC (`hash::hmac`).
//! The `rfc6979` crate builds its `SimpleHmac` states on the stack and
//! moves them through `Mac`'s wrappers: 5.9 KB of frames under a P-384
//! signature, which made it the deepest path of a client's steps once the
//! server's chain is verified, whose stack comes from the heap on the chip
//! (`platform::VERIFIED_STACK`, docs/STACK.md).

use digest::core_api::BlockSizeUser;
use digest::Digest;
use zeroize::Zeroizing;

use super::hash::hmac;

/// The longest digest a curve here uses (SHA-384: 48 bytes), with room.
const MAX: usize = 64;

/// k for the private scalar `x` and the digest `h` (both as the curve
/// order's bytes, `h` by bits2int as the `ecdsa` crate passes it), the
/// order `n` and the additional data `data`, into `k` (n's length): the
/// first HMAC_DRBG output in 1..n. `D`'s output must be n's length
/// (P-256 with SHA-256, P-384 with SHA-384); `None` otherwise. K and V
/// are wiped.
pub fn generate_k<D>(x: &[u8], n: &[u8], h: &[u8], data: &[u8], k: &mut [u8]) -> Option<()>
where
    D: Digest + BlockSizeUser + Clone,
{
    let len = n.len();
    if <D as Digest>::output_size() != len || len > MAX || x.len() != len || k.len() != len {
        return None;
    }
    let mut key = Zeroizing::new([0u8; MAX]);
    let mut v = Zeroizing::new([1u8; MAX]);
    let (key, v) = (&mut key[..len], &mut v[..len]);
    // 3.2 d-g: K = HMAC_K(V || i || x || h || data), V = HMAC_K(V), for
    // i = 0, 1.
    for i in 0..=1u8 {
        let t = Zeroizing::new(hmac::<D>(key, &[v, &[i], x, h, data]));
        key.copy_from_slice(&t);
        let t = Zeroizing::new(hmac::<D>(key, &[v]));
        v.copy_from_slice(&t);
    }
    loop {
        // 3.2 h: V = HMAC_K(V) is the candidate (qlen = hlen: one block);
        // then K = HMAC_K(V || 0), V = HMAC_K(V) whether it is taken or not.
        let t = Zeroizing::new(hmac::<D>(key, &[v]));
        v.copy_from_slice(&t);
        k.copy_from_slice(v);
        let t = Zeroizing::new(hmac::<D>(key, &[v, &[0]]));
        key.copy_from_slice(&t);
        let t = Zeroizing::new(hmac::<D>(key, &[v]));
        v.copy_from_slice(&t);
        if in_range(k, n) {
            return Some(());
        }
    }
}

/// 0 < k < n for big-endian numbers of the same length, without a branch on
/// k's bytes (only the answer leaves).
fn in_range(k: &[u8], n: &[u8]) -> bool {
    let (mut borrow, mut any) = (0u16, 0u8);
    for (&a, &b) in k.iter().zip(n).rev() {
        let d = u16::from(a).wrapping_sub(u16::from(b)).wrapping_sub(borrow);
        borrow = (d >> 8) & 1;
        any |= a;
    }
    borrow == 1 && any != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use digest::generic_array::GenericArray;

    fn random(len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        crate::tls::rng::fill(&mut b).unwrap();
        b
    }

    fn same_as_the_rfc6979_crate<D>(n: &[u8])
    where
        D: Digest + BlockSizeUser + Clone + digest::FixedOutputReset,
    {
        let len = n.len();
        for data_len in [0, len, 7] {
            for _ in 0..8 {
                let (x, h, data) = (random(len), random(len), random(data_len));
                let mut ours = vec![0u8; len];
                generate_k::<D>(&x, n, &h, &data, &mut ours).unwrap();
                let theirs = rfc6979::generate_k::<D, <D as digest::OutputSizeUser>::OutputSize>(
                    GenericArray::from_slice(&x),
                    GenericArray::from_slice(n),
                    GenericArray::from_slice(&h),
                    &data,
                );
                assert_eq!(&ours[..], &theirs[..], "{len}-byte order");
            }
        }
    }

    /// P-256's and P-384's group orders.
    const N256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    const N384: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn nonces_are_the_rfc6979_crates_for_both_curves() {
        same_as_the_rfc6979_crate::<crate::tls::provider::sha256::Sha256>(&hex(N256));
        same_as_the_rfc6979_crate::<sha2::Sha384>(&hex(N384));
    }

    /// An order of 0x20FF..FF rejects about 7 candidates in 8: the retry
    /// path (K and V updated, the next candidate) matches too.
    #[test]
    fn candidates_out_of_range_are_skipped_as_the_rfc6979_crate_skips_them() {
        let mut n = vec![0xFFu8; 32];
        n[0] = 0x20;
        same_as_the_rfc6979_crate::<crate::tls::provider::sha256::Sha256>(&n);
    }

    #[test]
    fn range_check_is_strict_at_both_ends() {
        let n = [0x01, 0x00];
        assert!(!in_range(&[0, 0], &n));
        assert!(in_range(&[0, 1], &n));
        assert!(in_range(&[0, 0xFF], &n));
        assert!(!in_range(&[1, 0], &n));
        assert!(!in_range(&[1, 1], &n));
    }
}
