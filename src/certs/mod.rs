//! Certificates and keys: the vendor flash format, PEM/DER payloads, private
//! keys and a small X.509 reader. `no_std` + `alloc`; shared by the device
//! library and the `espcert` host tool, so that both read images the same way.
//!
//! * [`flash`]: records in flash sectors (`esp_ca_cert.bin`,
//!   `esp_cert_private_key.bin`), lookups by the vendor's rules, the encoder.
//! * [`pem`]: PEM blocks and certificate payloads ([`certificates`]).
//! * [`keys`]: private keys ([`private_key`]), key/certificate match, strength.
//! * [`info`]: names, dates and key types of certificates, for reasons and
//!   `espcert inspect`.
//!
//! Every error is a [`Failure`](crate::error::Failure) with an mbedTLS code
//! and a reason that says what was found and what to do.

// `Failure` is large on purpose: reasons live inline so that the error path
// (which is also the out-of-memory path) never allocates.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod bundle;
pub mod der_lite;
pub mod flash;
pub mod info;
pub mod keys;
pub mod pem;

pub use flash::{find, read_object, read_object_within, Object, Place};
pub use info::{fmt_unix_date, CertInfo, KeyType};
pub use keys::{key_matches_cert, private_key, PrivateKey};
pub use pem::certificates;

use alloc::vec::Vec;

/// Re-exported so that users of this module need no direct dependency.
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Failure;

/// The device's own certificate chain and private key.
#[derive(Debug)]
pub struct Identity {
    /// Own certificate first, then any intermediates from the same record.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKey,
}

impl Identity {
    /// The chain and an owned copy of the key, in the shape
    /// `tls::ClientParams::identity` takes. The copy is not zeroized on drop:
    /// whoever consumes it must zeroize it (`PrivateKeyDer<'static>`
    /// implements `Zeroize`; the TLS engine's key loader,
    /// `tls::provider::sign`, does); this `Identity`'s own copy is zeroized here.
    pub fn into_parts(self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = self.key.clone_der();
        (self.chain, key)
    }
}

/// Loads the CA certificate(s) from the first record of flash `sector` (a PEM
/// bundle loads every certificate in it), reading through `read(addr, words)`
/// (word-aligned, like `spi_flash_read`). Re-read at every handshake.
///
/// Errors: erased/empty sector -> `SSL_CA_CHAIN_REQUIRED`; corrupt image ->
/// `X509_CERT_UNKNOWN_FORMAT`; bad certificate data -> the codes of
/// [`certificates`]; each reason names the sector.
pub fn load_ca_sector<F>(sector: u32, read: F) -> Result<Vec<CertificateDer<'static>>, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    load_ca_sector_within(sector, read, &mut |_| Ok(()))
}

/// [`load_ca_sector`] asking `room(bytes)` before allocating (see
/// [`read_object_within`]).
pub fn load_ca_sector_within<F>(
    sector: u32,
    read: F,
    room: &mut dyn FnMut(usize) -> Result<(), Failure>,
) -> Result<Vec<CertificateDer<'static>>, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    let obj = read_object_within(sector, Object::Ca, read, room)?;
    certificates(&obj.payload).map_err(|e| in_sector(e, "CA", sector, &obj))
}

/// Loads the own certificate (record `certificate*`) and key (record
/// `private_key*`) from flash `sector` and checks that they belong together
/// (RSA: modulus; EC: the public point stored in the key, see
/// [`keys::key_matches_cert_cheap`]).
///
/// Errors: `SSL_CERTIFICATE_REQUIRED` / `SSL_PRIVATE_KEY_REQUIRED` when a
/// record is missing; the codes of [`certificates`] and [`private_key`];
/// `PK_TYPE_MISMATCH` when the key is not the certificate's.
pub fn load_identity_sector<F>(sector: u32, read: F) -> Result<Identity, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    load_identity_sector_within(sector, read, &mut |_| Ok(()))
}

/// [`load_identity_sector`] asking `room(bytes)` before allocating (see
/// [`read_object_within`]).
pub fn load_identity_sector_within<F>(
    sector: u32,
    mut read: F,
    room: &mut dyn FnMut(usize) -> Result<(), Failure>,
) -> Result<Identity, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    let c = read_object_within(sector, Object::Certificate, &mut read, room)?;
    let chain = certificates(&c.payload).map_err(|e| in_sector(e, "certificate", sector, &c))?;
    drop(c);
    let k = read_object_within(sector, Object::PrivateKey, &mut read, room)?;
    let key = private_key(&k.payload).map_err(|e| in_sector(e, "private_key", sector, &k))?;
    drop(k);
    if let Some(leaf) = chain.first() {
        keys::key_matches_cert_cheap(key.der(), leaf)?;
    }
    Ok(Identity { chain, key })
}

/// Prefixes a payload error with where the payload came from.
fn in_sector(e: Failure, what: &str, sector: u32, obj: &flash::Loaded) -> Failure {
    crate::fail!(
        e.code,
        "{what} record at {sector:#x}+{}: {}",
        obj.offset,
        e.reason
    )
}

/// A file from `tests/fixtures/` (generated by `tests/fixtures/make.sh`).
#[cfg(test)]
pub(crate) fn test_fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[cfg(test)]
mod fuzz {
    //! Drives every parser with pseudo-random and mutated inputs; the only
    //! assertion is that nothing panics.
    use super::*;
    use alloc::vec::Vec;
    use std::fs;

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    fn corpus() -> Vec<Vec<u8>> {
        let dir = std::format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<Vec<u8>> = fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x != "sh"))
            .filter_map(|e| fs::read(e.path()).ok())
            .collect();
        v.sort();
        v
    }

    fn mutate(rng: &mut XorShift, mut d: Vec<u8>) -> Vec<u8> {
        for _ in 0..1 + rng.below(6) {
            match rng.below(6) {
                0 if !d.is_empty() => {
                    let p = rng.below(d.len());
                    d[p] = rng.next() as u8;
                }
                1 if !d.is_empty() => {
                    let p = rng.below(d.len());
                    d[p] ^= 1 << rng.below(8);
                }
                2 => {
                    let n = rng.below(d.len() + 1);
                    d.truncate(n);
                }
                3 if !d.is_empty() => {
                    let p = rng.below(d.len());
                    let n = rng.below(d.len() - p + 1).min(64);
                    let chunk: Vec<u8> = d[p..p + n].to_vec();
                    let q = rng.below(d.len() + 1);
                    d.splice(q..q, chunk);
                }
                4 if !d.is_empty() => {
                    // Length bytes are where DER parsers break: poke 0x81..0x84/0xFF.
                    let p = rng.below(d.len());
                    d[p] = [0x80, 0x81, 0x82, 0x83, 0x84, 0xFF, 0x00][rng.below(7)];
                }
                _ => d.push(rng.next() as u8),
            }
        }
        d
    }

    #[test]
    fn no_panics_on_mutated_and_random_inputs() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        let corpus = corpus();
        assert!(corpus.len() > 20);
        let ca = pem::certificates(&corpus[0]).ok();
        let key = corpus.iter().find_map(|c| keys::private_key(c).ok());
        for i in 0..6000 {
            let input = if i % 5 == 0 {
                let n = rng.below(400);
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                let base = corpus[rng.below(corpus.len())].clone();
                mutate(&mut rng, base)
            };
            let _ = pem::certificates(&input);
            if let Ok(k) = keys::private_key(&input) {
                if let Some(c) = ca.as_ref().and_then(|c| c.first()) {
                    let _ = keys::key_matches_cert(k.der(), c);
                }
            }
            let _ = info::parse(&input);
            if let Some(k) = &key {
                let _ = keys::key_matches_cert(
                    k.der(),
                    &rustls_pki_types::CertificateDer::from(&input[..]),
                );
            }
            let _ = pem::blocks(&input);
            let img = flash::encode_record("certificate", &input[..input.len().min(8000)]);
            if let Ok(img) = img {
                let _ = flash::find(&mutate(&mut rng, img), Object::Certificate, Place::Image);
            }
            let _ = flash::find(&input, Object::Ca, Place::Sector(0x77));
        }
    }
}
