//! SHA-2 hashes and HMAC for rustls: SHA-256 our own (`sha256.rs`), SHA-384
//! from the `sha2` crate, HMAC from the `hmac` crate.

use alloc::boxed::Box;
use core::marker::PhantomData;

use digest::{Digest, OutputSizeUser};
use hmac::{Mac, SimpleHmac};
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

/// A rustls HMAC over a RustCrypto digest.
///
/// `SimpleHmac` rather than `Hmac`: it accepts any key length without a
/// fallible constructor path that would need an unwrap, and costs the same for
/// the short keys TLS uses.
pub struct Hmac<D>(PhantomData<fn() -> D>);

struct HmacKey<D: Digest + digest::core_api::BlockSizeUser>(SimpleHmac<D>);

impl<D> rhmac::Hmac for Hmac<D>
where
    D: Digest + digest::core_api::BlockSizeUser + Clone + Send + Sync + 'static,
{
    fn with_key(&self, key: &[u8]) -> Box<dyn rhmac::Key> {
        // SimpleHmac hashes long keys and pads short ones: it cannot fail.
        let mac = <SimpleHmac<D> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| <SimpleHmac<D> as Mac>::new(&Default::default()));
        Box::new(HmacKey(mac))
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
        let mut ctx = self.0.clone();
        ctx.update(first);
        for m in middle {
            ctx.update(m);
        }
        ctx.update(last);
        rhmac::Tag::new(&ctx.finalize().into_bytes()[..])
    }

    fn tag_len(&self) -> usize {
        <D as OutputSizeUser>::output_size()
    }
}

pub static HMAC_SHA256: Hmac<super::sha256::Sha256> = Hmac(PhantomData);
#[cfg(feature = "aes-256-gcm")]
pub static HMAC_SHA384: Hmac<sha2::Sha384> = Hmac(PhantomData);
