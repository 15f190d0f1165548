//! AEAD record protection for rustls from RustCrypto's `aes-gcm` and
//! `chacha20poly1305`: one generic implementation, instantiated per cipher.

// The generic types are instantiated in provider.rs only for enabled features.
#![allow(dead_code)]

use alloc::boxed::Box;
use core::marker::PhantomData;

use aead::generic_array::typenum::{U12, U16};
use aead::generic_array::GenericArray;
use aead::{AeadInPlace, KeyInit, KeySizeUser};
use rustls::crypto::cipher::{
    make_tls12_aad, make_tls13_aad, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv,
    KeyBlockShape, MessageDecrypter, MessageEncrypter, Nonce, OutboundOpaqueMessage,
    OutboundPlainMessage, PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm,
    UnsupportedOperationError,
};
use rustls::{ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion};

const TAG_LEN: usize = 16;
/// Largest plaintext a record may carry (RFC 8446 5.1, RFC 5246 6.2.1).
const MAX_FRAGMENT_LEN: usize = 16384;
/// TLS 1.2 GCM carries 8 bytes of explicit nonce before the ciphertext.
const GCM_EXPLICIT_NONCE_LEN: usize = 8;

/// Bound every AEAD we use satisfies: 96-bit nonce, 128-bit tag.
pub trait Cipher:
    KeyInit + AeadInPlace<NonceSize = U12, TagSize = U16> + Send + Sync + 'static
{
}
impl<T> Cipher for T where
    T: KeyInit + AeadInPlace<NonceSize = U12, TagSize = U16> + Send + Sync + 'static
{
}

/// The AEAD calls, booked as record protection by the chip firmware's
/// handshake split (`meter`; nothing without the `bench-split` feature).
trait Metered: Cipher {
    #[inline(always)]
    fn metered_encrypt(
        &self,
        n: &GenericArray<u8, U12>,
        aad: &[u8],
        buf: &mut [u8],
    ) -> aead::Result<GenericArray<u8, U16>> {
        super::meter::span(super::meter::Op::Aead, || {
            self.encrypt_in_place_detached(n, aad, buf)
        })
    }

    #[inline(always)]
    fn metered_decrypt(
        &self,
        n: &GenericArray<u8, U12>,
        aad: &[u8],
        buf: &mut [u8],
        tag: &GenericArray<u8, U16>,
    ) -> aead::Result<()> {
        super::meter::span(super::meter::Op::Aead, || {
            self.decrypt_in_place_detached(n, aad, buf, tag)
        })
    }
}
impl<T: Cipher> Metered for T {}

/// TLS 1.3 record protection with AEAD `A`.
pub struct Tls13<A>(PhantomData<fn() -> A>);
/// TLS 1.2 AES-GCM record protection (RFC 5288: 4-byte salt + explicit nonce).
pub struct Tls12Gcm<A>(PhantomData<fn() -> A>);
/// TLS 1.2 ChaCha20-Poly1305 record protection (RFC 7905: 12-byte IV, no explicit nonce).
pub struct Tls12Chacha<A>(PhantomData<fn() -> A>);

impl<A> Tls13<A> {
    pub const fn new() -> Self {
        Tls13(PhantomData)
    }
}
impl<A> Tls12Gcm<A> {
    pub const fn new() -> Self {
        Tls12Gcm(PhantomData)
    }
}
impl<A> Tls12Chacha<A> {
    pub const fn new() -> Self {
        Tls12Chacha(PhantomData)
    }
}

/// Stands in when a key cannot be built (a length rustls never produces), so
/// that the failure surfaces as a record error instead of a panic.
struct Unusable;

impl MessageEncrypter for Unusable {
    fn encrypt(
        &mut self,
        _: OutboundPlainMessage<'_>,
        _: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        Err(Error::EncryptError)
    }
    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len
    }
}

impl MessageDecrypter for Unusable {
    fn decrypt<'a>(
        &mut self,
        _: InboundOpaqueMessage<'a>,
        _: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        Err(Error::DecryptError)
    }
}

fn key<A: Cipher>(k: &AeadKey) -> Option<A> {
    A::new_from_slice(k.as_ref()).ok()
}

fn nonce(iv: &Iv, seq: u64) -> GenericArray<u8, U12> {
    GenericArray::from(Nonce::new(iv, seq).0)
}

fn split_tag(buf: &mut [u8]) -> Option<(&mut [u8], GenericArray<u8, U16>)> {
    let at = buf.len().checked_sub(TAG_LEN)?;
    let (msg, tag) = buf.split_at_mut(at);
    let tag: [u8; TAG_LEN] = (&*tag).try_into().ok()?;
    Some((msg, GenericArray::from(tag)))
}

struct Tls13Cipher<A> {
    aead: A,
    iv: Iv,
}

impl<A: Cipher> Tls13AeadAlgorithm for Tls13<A> {
    fn encrypter(&self, k: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        match key::<A>(&k) {
            Some(aead) => Box::new(Tls13Cipher { aead, iv }),
            None => Box::new(Unusable),
        }
    }

    fn decrypter(&self, k: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        match key::<A>(&k) {
            Some(aead) => Box::new(Tls13Cipher { aead, iv }),
            None => Box::new(Unusable),
        }
    }

    fn key_len(&self) -> usize {
        A::key_size()
    }

    fn extract_keys(
        &self,
        _: AeadKey,
        _: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        // Secrets never leave the engine (no kTLS on this platform).
        Err(UnsupportedOperationError)
    }
}

impl<A: Cipher> MessageEncrypter for Tls13Cipher<A> {
    fn encrypt(
        &mut self,
        m: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(m.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&m.payload);
        payload.extend_from_slice(&m.typ.to_array());
        let aad = make_tls13_aad(total_len);
        let tag = self
            .aead
            .metered_encrypt(&nonce(&self.iv, seq), &aad, payload.as_mut())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

impl<A: Cipher> MessageDecrypter for Tls13Cipher<A> {
    fn decrypt<'a>(
        &mut self,
        mut m: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut m.payload;
        let aad = make_tls13_aad(payload.len());
        let n = nonce(&self.iv, seq);
        let (msg, tag) = split_tag(payload).ok_or(Error::DecryptError)?;
        let plain_len = msg.len();
        self.aead
            .metered_decrypt(&n, &aad, msg, &tag)
            .map_err(|_| Error::DecryptError)?;
        payload.truncate(plain_len);
        m.into_tls13_unpadded_message()
    }
}

struct Tls12GcmEncrypter<A> {
    aead: A,
    iv: Iv,
}

struct Tls12GcmDecrypter<A> {
    aead: A,
    salt: [u8; 4],
}

impl<A: Cipher> Tls12AeadAlgorithm for Tls12Gcm<A> {
    fn encrypter(&self, k: AeadKey, write_iv: &[u8], explicit: &[u8]) -> Box<dyn MessageEncrypter> {
        let mut iv = [0u8; 12];
        if write_iv.len() != 4 || explicit.len() != GCM_EXPLICIT_NONCE_LEN {
            return Box::new(Unusable);
        }
        iv[..4].copy_from_slice(write_iv);
        iv[4..].copy_from_slice(explicit);
        match key::<A>(&k) {
            Some(aead) => Box::new(Tls12GcmEncrypter {
                aead,
                iv: Iv::new(iv),
            }),
            None => Box::new(Unusable),
        }
    }

    fn decrypter(&self, k: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        let Ok(salt) = <[u8; 4]>::try_from(iv) else {
            return Box::new(Unusable);
        };
        match key::<A>(&k) {
            Some(aead) => Box::new(Tls12GcmDecrypter { aead, salt }),
            None => Box::new(Unusable),
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        KeyBlockShape {
            enc_key_len: A::key_size(),
            fixed_iv_len: 4,
            explicit_nonce_len: GCM_EXPLICIT_NONCE_LEN,
        }
    }

    fn extract_keys(
        &self,
        _: AeadKey,
        _: &[u8],
        _: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Err(UnsupportedOperationError)
    }
}

impl<A: Cipher> MessageEncrypter for Tls12GcmEncrypter<A> {
    fn encrypt(
        &mut self,
        m: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(m.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let n = nonce(&self.iv, seq);
        let aad = make_tls12_aad(seq, m.typ, m.version, m.payload.len());
        // The explicit part of the nonce travels in the record.
        payload.extend_from_slice(&n[4..]);
        payload.extend_from_chunks(&m.payload);
        let tag = self
            .aead
            .metered_encrypt(&n, &aad, &mut payload.as_mut()[GCM_EXPLICIT_NONCE_LEN..])
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(m.typ, m.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + GCM_EXPLICIT_NONCE_LEN + TAG_LEN
    }
}

impl<A: Cipher> MessageDecrypter for Tls12GcmDecrypter<A> {
    fn decrypt<'a>(
        &mut self,
        mut m: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut m.payload;
        if payload.len() < GCM_EXPLICIT_NONCE_LEN + TAG_LEN {
            return Err(Error::DecryptError);
        }
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(&self.salt);
        n[4..].copy_from_slice(&payload[..GCM_EXPLICIT_NONCE_LEN]);
        let plain_len = payload.len() - GCM_EXPLICIT_NONCE_LEN - TAG_LEN;
        let aad = make_tls12_aad(seq, m.typ, m.version, plain_len);
        let (msg, tag) =
            split_tag(&mut payload[GCM_EXPLICIT_NONCE_LEN..]).ok_or(Error::DecryptError)?;
        self.aead
            .metered_decrypt(&GenericArray::from(n), &aad, msg, &tag)
            .map_err(|_| Error::DecryptError)?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload.copy_within(
            GCM_EXPLICIT_NONCE_LEN..GCM_EXPLICIT_NONCE_LEN + plain_len,
            0,
        );
        payload.truncate(plain_len);
        Ok(m.into_plain_message())
    }
}

struct Tls12ChachaCipher<A> {
    aead: A,
    iv: Iv,
}

impl<A: Cipher> Tls12Chacha<A> {
    fn build(k: &AeadKey, iv: &[u8]) -> Option<Tls12ChachaCipher<A>> {
        let iv = <[u8; 12]>::try_from(iv).ok()?;
        Some(Tls12ChachaCipher {
            aead: key::<A>(k)?,
            iv: Iv::new(iv),
        })
    }
}

impl<A: Cipher> Tls12AeadAlgorithm for Tls12Chacha<A> {
    fn encrypter(&self, k: AeadKey, iv: &[u8], _: &[u8]) -> Box<dyn MessageEncrypter> {
        match Self::build(&k, iv) {
            Some(c) => Box::new(c),
            None => Box::new(Unusable),
        }
    }

    fn decrypter(&self, k: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        match Self::build(&k, iv) {
            Some(c) => Box::new(c),
            None => Box::new(Unusable),
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        KeyBlockShape {
            enc_key_len: A::key_size(),
            fixed_iv_len: 12,
            explicit_nonce_len: 0,
        }
    }

    fn extract_keys(
        &self,
        _: AeadKey,
        _: &[u8],
        _: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Err(UnsupportedOperationError)
    }
}

impl<A: Cipher> MessageEncrypter for Tls12ChachaCipher<A> {
    fn encrypt(
        &mut self,
        m: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(m.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let aad = make_tls12_aad(seq, m.typ, m.version, m.payload.len());
        payload.extend_from_chunks(&m.payload);
        let tag = self
            .aead
            .metered_encrypt(&nonce(&self.iv, seq), &aad, payload.as_mut())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(m.typ, m.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN
    }
}

impl<A: Cipher> MessageDecrypter for Tls12ChachaCipher<A> {
    fn decrypt<'a>(
        &mut self,
        mut m: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut m.payload;
        let n = nonce(&self.iv, seq);
        let (msg, tag) = split_tag(payload).ok_or(Error::DecryptError)?;
        let plain_len = msg.len();
        let aad = make_tls12_aad(seq, m.typ, m.version, plain_len);
        self.aead
            .metered_decrypt(&n, &aad, msg, &tag)
            .map_err(|_| Error::DecryptError)?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload.truncate(plain_len);
        Ok(m.into_plain_message())
    }
}
