//! SHA-2 hashes and HMAC for rustls: SHA-256 our own (`sha256.rs`), SHA-384
//! from the `sha2` crate, HMAC our own over either.

use alloc::boxed::Box;
use core::marker::PhantomData;

use digest::{Digest, OutputSizeUser};
use rustls::crypto::hash::{self, HashAlgorithm};
use rustls::crypto::hmac as rhmac;

/// A rustls hash over a RustCrypto digest.
pub struct Hash<D>(PhantomData<fn() -> D>, HashAlgorithm);

struct HashCtx<D>(D);

impl<D> hash::Hash for Hash<D>
where
    D: Digest + Clone + Send + Sync + 'static,
{
    fn start(&self) -> Box<dyn hash::Context> {
        Box::new(HashCtx(D::new()))
    }

    fn hash(&self, data: &[u8]) -> hash::Output {
        hash::Output::new(&D::digest(data)[..])
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn algorithm(&self) -> HashAlgorithm {
        self.1
    }
}

impl<D> hash::Context for HashCtx<D>
where
    D: Digest + Clone + Send + Sync + 'static,
{
    fn fork_finish(&self) -> hash::Output {
        hash::Output::new(&self.0.clone().finalize()[..])
    }

    fn fork(&self) -> Box<dyn hash::Context> {
        Box::new(HashCtx(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> hash::Output {
        hash::Output::new(&self.0.finalize()[..])
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

pub static SHA256: Hash<super::sha256::Sha256> = Hash(PhantomData, HashAlgorithm::SHA256);
#[cfg(feature = "aes-256-gcm")]
pub static SHA384: Hash<sha2::Sha384> = Hash(PhantomData, HashAlgorithm::SHA384);

/// A rustls HMAC (RFC 2104) over a RustCrypto digest, ours rather than the
/// `hmac` crate's `SimpleHmac`: a key is the two states with the padded key
/// absorbed (inner and outer), built in place in their box, and a tag is
/// one clone of each. `SimpleHmac` built its state on the stack and moved it
/// into the box, and hashed through `Mac`'s wrappers: with SHA-384 ~4.4 KB
/// of frames under `with_key`, once the deepest path of the steps after the
/// handshake (a TLS 1.3 ticket's PSK, docs/STACK.md), whose stack every
/// received record takes from the heap on the chip
/// (`platform::TRAFFIC_STACK`).
pub struct Hmac<D>(PhantomData<fn() -> D>);

struct HmacKey<D> {
    inner: D,
    outer: D,
}

/// Largest block of the digests used here (SHA-384/512: 128 bytes).
const MAX_BLOCK: usize = 128;

impl<D> HmacKey<D>
where
    D: Digest + digest::core_api::BlockSizeUser,
{
    /// Absorb the padded `key` into the fresh states (a key longer than a
    /// block is hashed first, RFC 2104 section 2).
    #[inline(never)]
    fn init(&mut self, key: &[u8]) {
        let bs = <D as digest::core_api::BlockSizeUser>::block_size();
        let mut block = [0u8; MAX_BLOCK];
        if key.len() > bs {
            let mut h = D::new();
            h.update(key);
            let mut out = h.finalize();
            block[..out.len()].copy_from_slice(&out);
            zeroize::Zeroize::zeroize(&mut out[..]);
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let block = &mut block[..bs];
        block.iter_mut().for_each(|b| *b ^= 0x36);
        self.inner.update(&*block);
        block.iter_mut().for_each(|b| *b ^= 0x36 ^ 0x5c);
        self.outer.update(&*block);
        zeroize::Zeroize::zeroize(block);
    }
}

/// HMAC-`D` of the concatenated `parts` under `key`, without rustls's boxes:
/// the provider's own use, the ECDSA nonce (`ecdsa_nonce`). The padded key
/// is wiped; the hash states are on this frame only.
#[cfg(any(feature = "ecdsa-p256", feature = "ecdsa-p384"))]
pub(super) fn hmac<D>(key: &[u8], parts: &[&[u8]]) -> digest::Output<D>
where
    D: Digest + digest::core_api::BlockSizeUser + Clone,
{
    let mut k = HmacKey {
        inner: D::new(),
        outer: D::new(),
    };
    k.init(key);
    for p in parts {
        k.inner.update(p);
    }
    let inner = k.inner.finalize();
    k.outer.update(&inner);
    k.outer.finalize()
}

impl<D> rhmac::Hmac for Hmac<D>
where
    D: Digest + digest::core_api::BlockSizeUser + Clone + Send + Sync + 'static,
{
    fn with_key(&self, key: &[u8]) -> Box<dyn rhmac::Key> {
        let mut k = Box::new(HmacKey {
            inner: D::new(),
            outer: D::new(),
        });
        k.init(key);
        k
    }

    fn hash_output_len(&self) -> usize {
        <D as OutputSizeUser>::output_size()
    }
}

impl<D> rhmac::Key for HmacKey<D>
where
    D: Digest + digest::core_api::BlockSizeUser + Clone + Send + Sync + 'static,
{
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> rhmac::Tag {
        let mut ctx = self.inner.clone();
        ctx.update(first);
        for m in middle {
            ctx.update(m);
        }
        ctx.update(last);
        let inner = ctx.finalize();
        let mut ctx = self.outer.clone();
        ctx.update(&inner);
        rhmac::Tag::new(&ctx.finalize()[..])
    }

    fn tag_len(&self) -> usize {
        <D as OutputSizeUser>::output_size()
    }
}

pub static HMAC_SHA256: Hmac<super::sha256::Sha256> = Hmac(PhantomData);
#[cfg(feature = "aes-256-gcm")]
pub static HMAC_SHA384: Hmac<sha2::Sha384> = Hmac(PhantomData);

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Mac, SimpleHmac};
    use rhmac::Hmac as _;

    /// The `hmac` crate's tag, the reference.
    fn reference<D>(key: &[u8], parts: &[&[u8]]) -> alloc::vec::Vec<u8>
    where
        D: Digest + digest::core_api::BlockSizeUser + Clone,
    {
        let mut m = <SimpleHmac<D> as Mac>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }

    fn check<D>(h: &Hmac<D>)
    where
        D: Digest + digest::core_api::BlockSizeUser + Clone + Send + Sync + 'static,
    {
        let bs = <D as digest::core_api::BlockSizeUser>::block_size();
        let mut bytes = [0u8; 300];
        crate::tls::rng::fill(&mut bytes).unwrap();
        // Keys shorter than, as long as and longer than a block (hashed).
        for key_len in [0, 1, 32, 48, bs - 1, bs, bs + 1, 2 * bs + 3] {
            let key = &bytes[..key_len];
            let k = h.with_key(key);
            for (a, b, c) in [(0, 0, 0), (13, 0, 100), (5, 64, 200), (0, 130, 0)] {
                let (first, rest) = bytes[key_len % 7..].split_at(a);
                let (middle, rest) = rest.split_at(b);
                let last = &rest[..c];
                let tag = k.sign_concat(first, &[middle, middle], last);
                assert_eq!(
                    tag.as_ref(),
                    &reference::<D>(key, &[first, middle, middle, last])[..],
                    "key {key_len} bytes, parts {a}/{b}x2/{c}"
                );
            }
        }
    }

    #[test]
    fn hmac_matches_the_hmac_crate_for_every_key_length() {
        check(&HMAC_SHA256);
        #[cfg(feature = "aes-256-gcm")]
        check(&HMAC_SHA384);
    }

    #[test]
    fn hmac_sha256_matches_rfc4231_case_2() {
        let tag = HMAC_SHA256
            .with_key(b"Jefe")
            .sign(&[b"what do ya want for nothing?"]);
        let want = [
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
            0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
            0x64, 0xec, 0x38, 0x43,
        ];
        assert_eq!(tag.as_ref(), &want[..]);
    }
}
