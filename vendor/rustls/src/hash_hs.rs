use alloc::boxed::Box;
use alloc::vec::Vec;
use core::mem;

use crate::crypto::hash;
use crate::enums::SignatureScheme;
use crate::msgs::codec::Codec;
use crate::msgs::enums::HashAlgorithm;
use crate::msgs::handshake::HandshakeMessagePayload;
use crate::msgs::message::{Message, MessagePayload};

/// Early stage buffering of handshake payloads.
///
/// Before we know the hash algorithm to use to verify the handshake, we just buffer the messages.
/// During the handshake, we may restart the transcript due to a HelloRetryRequest, reverting
/// from the `HandshakeHash` to a `HandshakeHashBuffer` again.
#[derive(Clone)]
pub(crate) struct HandshakeHashBuffer {
    buffer: Vec<u8>,
    client_auth_enabled: bool,
    /// PATCH (espconn_secure, heap): see `Prehashes`.
    prehash: Option<Box<Prehashes>>,
}

/// PATCH (espconn_secure, heap): the hash functions a client's key can
/// sign TLS 1.2 digests with (`SigningKey::prehash_algorithms`), when it
/// keeps running hashes of the transcript for its CertificateVerify
/// instead of a copy of every handshake message (3 KB to 16 KB and more,
/// with the server's certificate chain), and once the suite's hash is
/// known the running hashes of those other than it (whose hash is
/// `HandshakeHash::ctx`). Boxed: the handshake states hold the transcript
/// by value and move it on the stack.
struct Prehashes {
    hashes: [Option<&'static dyn hash::Hash>; 3],
    ctx: [Option<Box<dyn hash::Context>>; 3],
}

impl Clone for Prehashes {
    fn clone(&self) -> Self {
        Self {
            hashes: self.hashes,
            ctx: self
                .ctx
                .each_ref()
                .map(|c| c.as_ref().map(|c| c.fork())),
        }
    }
}

/// PATCH (espconn_secure, heap): the hash function a TLS 1.2 signature
/// scheme hashes its message with; `None` for a scheme that signs the
/// message itself (EdDSA) or is unknown.
fn scheme_hash(scheme: SignatureScheme) -> Option<HashAlgorithm> {
    use SignatureScheme::*;
    match scheme {
        RSA_PKCS1_SHA256 | ECDSA_NISTP256_SHA256 | RSA_PSS_SHA256 => Some(HashAlgorithm::SHA256),
        RSA_PKCS1_SHA384 | ECDSA_NISTP384_SHA384 | RSA_PSS_SHA384 => Some(HashAlgorithm::SHA384),
        RSA_PKCS1_SHA512 | ECDSA_NISTP521_SHA512 | RSA_PSS_SHA512 => Some(HashAlgorithm::SHA512),
        RSA_PKCS1_SHA1 | ECDSA_SHA1_Legacy => Some(HashAlgorithm::SHA1),
        _ => None,
    }
}

impl HandshakeHashBuffer {
    pub(crate) fn new() -> Self {
        Self {
            buffer: Vec::new(),
            client_auth_enabled: false,
            prehash: None,
        }
    }

    /// We might be doing client auth, so need to keep a full
    /// log of the handshake.
    pub(crate) fn set_client_auth_enabled(&mut self) {
        self.client_auth_enabled = true;
    }

    /// PATCH (espconn_secure, heap): we might be doing client auth with a
    /// key that signs digests by the hash functions `algs`: keep running
    /// hashes by those of them that `hashes` (the configuration's cipher
    /// suites' hash functions) provide, rather than a log of the
    /// handshake. False, changing nothing, when none is provided.
    pub(crate) fn set_client_auth_prehashed(
        &mut self,
        algs: &[HashAlgorithm],
        hashes: impl Iterator<Item = &'static dyn hash::Hash>,
    ) -> bool {
        let mut found: [Option<&'static dyn hash::Hash>; 3] = [None; 3];
        let mut n = 0;
        for h in hashes {
            let alg = h.algorithm();
            if n < found.len()
                && algs.contains(&alg)
                && !found
                    .iter()
                    .flatten()
                    .any(|f| f.algorithm() == alg)
            {
                found[n] = Some(h);
                n += 1;
            }
        }
        if n == 0 {
            return false;
        }
        self.prehash = Some(Box::new(Prehashes {
            hashes: found,
            ctx: [None, None, None],
        }));
        true
    }

    /// Hash/buffer a handshake message.
    pub(crate) fn add_message(&mut self, m: &Message<'_>) {
        match &m.payload {
            MessagePayload::Handshake { encoded, .. } => self.add_raw(encoded.bytes()),
            MessagePayload::HandshakeFlight(payload) => self.add_raw(payload.bytes()),
            _ => {}
        };
    }

    /// Hash or buffer a byte slice.
    fn add_raw(&mut self, buf: &[u8]) {
        self.buffer.extend_from_slice(buf);
    }

    /// Get the hash value if we were to hash `extra` too.
    pub(crate) fn hash_given(
        &self,
        provider: &'static dyn hash::Hash,
        extra: &[u8],
    ) -> hash::Output {
        let mut ctx = provider.start();
        ctx.update(&self.buffer);
        ctx.update(extra);
        ctx.finish()
    }

    /// We now know what hash function the verify_data will use.
    pub(crate) fn start_hash(self, provider: &'static dyn hash::Hash) -> HandshakeHash {
        let mut ctx = provider.start();
        ctx.update(&self.buffer);
        // PATCH (espconn_secure, heap): the other running hashes start with
        // what was buffered; the suite's own is `ctx`.
        let prehash = self.prehash.map(|mut p| {
            p.ctx = p.hashes.map(|h| {
                h.filter(|h| h.algorithm() != provider.algorithm())
                    .map(|h| {
                        let mut c = h.start();
                        c.update(&self.buffer);
                        c
                    })
            });
            p
        });
        HandshakeHash {
            provider,
            ctx,
            client_auth: match self.client_auth_enabled {
                true => Some(self.buffer),
                false => None,
            },
            prehash,
        }
    }
}

/// This deals with keeping a running hash of the handshake
/// payloads.  This is computed by buffering initially.  Once
/// we know what hash function we need to use we switch to
/// incremental hashing.
///
/// For client auth, we also need to buffer all the messages.
/// This is disabled in cases where client auth is not possible.
pub(crate) struct HandshakeHash {
    provider: &'static dyn hash::Hash,
    ctx: Box<dyn hash::Context>,

    /// buffer for client-auth.
    client_auth: Option<Vec<u8>>,

    /// PATCH (espconn_secure, heap): instead of `client_auth`, the hash
    /// functions a client's CertificateVerify may use
    /// (`HandshakeHashBuffer::set_client_auth_prehashed`) and the running
    /// hashes of those other than `provider`'s.
    prehash: Option<Box<Prehashes>>,
}

impl HandshakeHash {
    /// We decided not to do client auth after all, so discard
    /// the transcript.
    pub(crate) fn abandon_client_auth(&mut self) {
        self.client_auth = None;
        // PATCH (espconn_secure, heap): and the running hashes kept for it.
        self.prehash = None;
    }

    /// PATCH (espconn_secure, heap): whether a CertificateVerify with
    /// `scheme` can be made from what is kept: always with a buffered
    /// transcript (or none at all); with running hashes, when one is of
    /// the scheme's hash function.
    pub(crate) fn can_sign(&self, scheme: SignatureScheme) -> bool {
        let Some(p) = &self.prehash else {
            return true;
        };
        scheme_hash(scheme).is_some_and(|alg| {
            p.hashes
                .iter()
                .flatten()
                .any(|h| h.algorithm() == alg)
        })
    }

    /// PATCH (espconn_secure, heap): the hash of the transcript so far by
    /// `scheme`'s hash function, from the running hashes; `None` when none
    /// is of that function (or the transcript is buffered instead).
    pub(crate) fn prehash(&self, scheme: SignatureScheme) -> Option<hash::Output> {
        let alg = scheme_hash(scheme)?;
        let p = self.prehash.as_ref()?;
        let at = p
            .hashes
            .iter()
            .position(|h| h.is_some_and(|h| h.algorithm() == alg))?;
        match &p.ctx[at] {
            Some(c) => Some(c.fork_finish()),
            None if self.provider.algorithm() == alg => Some(self.ctx.fork_finish()),
            None => None,
        }
    }

    /// Hash/buffer a handshake message.
    pub(crate) fn add_message(&mut self, m: &Message<'_>) -> &mut Self {
        match &m.payload {
            MessagePayload::Handshake { encoded, .. } => self.add_raw(encoded.bytes()),
            MessagePayload::HandshakeFlight(payload) => self.add_raw(payload.bytes()),
            _ => self,
        }
    }

    /// Hash/buffer an encoded handshake message.
    pub(crate) fn add(&mut self, bytes: &[u8]) {
        self.add_raw(bytes);
    }

    /// Hash or buffer a byte slice.
    fn add_raw(&mut self, buf: &[u8]) -> &mut Self {
        self.ctx.update(buf);
        // PATCH (espconn_secure, heap): see `prehash`.
        if let Some(p) = &mut self.prehash {
            for c in p.ctx.iter_mut().flatten() {
                c.update(buf);
            }
        }

        if let Some(buffer) = &mut self.client_auth {
            buffer.extend_from_slice(buf);
        }

        self
    }

    /// Get the hash value if we were to hash `extra` too,
    /// using hash function `hash`.
    pub(crate) fn hash_given(&self, extra: &[u8]) -> hash::Output {
        let mut ctx = self.ctx.fork();
        ctx.update(extra);
        ctx.finish()
    }

    pub(crate) fn into_hrr_buffer(self) -> HandshakeHashBuffer {
        let old_hash = self.ctx.finish();
        let old_handshake_hash_msg =
            HandshakeMessagePayload::build_handshake_hash(old_hash.as_ref());

        HandshakeHashBuffer {
            client_auth_enabled: self.client_auth.is_some(),
            buffer: old_handshake_hash_msg.get_encoding(),
            // PATCH (espconn_secure, heap): the same choice after a retry.
            prehash: self.prehash.map(|mut p| {
                p.ctx = [None, None, None];
                p
            }),
        }
    }

    /// Take the current hash value, and encapsulate it in a
    /// 'handshake_hash' handshake message.  Start this hash
    /// again, with that message at the front.
    pub(crate) fn rollup_for_hrr(&mut self) {
        let ctx = &mut self.ctx;

        let old_ctx = mem::replace(ctx, self.provider.start());
        let old_hash = old_ctx.finish();
        let old_handshake_hash_msg =
            HandshakeMessagePayload::build_handshake_hash(old_hash.as_ref());

        self.add_raw(&old_handshake_hash_msg.get_encoding());
    }

    /// Get the current hash value.
    pub(crate) fn current_hash(&self) -> hash::Output {
        self.ctx.fork_finish()
    }

    /// Takes this object's buffer containing all handshake messages
    /// so far.  This method only works once; it resets the buffer
    /// to empty.
    #[cfg(feature = "tls12")]
    pub(crate) fn take_handshake_buf(&mut self) -> Option<Vec<u8>> {
        self.client_auth.take()
    }

    /// The hashing algorithm
    pub(crate) fn algorithm(&self) -> HashAlgorithm {
        self.provider.algorithm()
    }
}

impl Clone for HandshakeHash {
    fn clone(&self) -> Self {
        Self {
            provider: self.provider,
            ctx: self.ctx.fork(),
            client_auth: self.client_auth.clone(),
            prehash: self.prehash.clone(),
        }
    }
}

#[cfg(test)]
#[macro_rules_attribute::apply(test_for_each_provider)]
mod tests {
    use super::provider::hash::SHA256;
    use super::*;
    use crate::crypto::hash::Hash;
    use crate::enums::ProtocolVersion;
    use crate::msgs::base::Payload;
    use crate::msgs::handshake::{HandshakeMessagePayload, HandshakePayload};

    #[test]
    fn hashes_correctly() {
        let mut hhb = HandshakeHashBuffer::new();
        hhb.add_raw(b"hello");
        assert_eq!(hhb.buffer.len(), 5);
        let mut hh = hhb.start_hash(&SHA256);
        assert!(hh.client_auth.is_none());
        hh.add_raw(b"world");
        let h = hh.current_hash();
        let h = h.as_ref();
        assert_eq!(h[0], 0x93);
        assert_eq!(h[1], 0x6a);
        assert_eq!(h[2], 0x18);
        assert_eq!(h[3], 0x5c);
    }

    #[test]
    fn hashes_message_types() {
        // handshake protocol encoding of 0x0e 00 00 00
        let server_hello_done_message = Message {
            version: ProtocolVersion::TLSv1_2,
            payload: MessagePayload::handshake(HandshakeMessagePayload(
                HandshakePayload::ServerHelloDone,
            )),
        };

        let app_data_ignored = Message {
            version: ProtocolVersion::TLSv1_3,
            payload: MessagePayload::ApplicationData(Payload::Borrowed(b"hello")),
        };

        let end_of_early_data_flight = Message {
            version: ProtocolVersion::TLSv1_3,
            payload: MessagePayload::HandshakeFlight(Payload::Borrowed(b"\x05\x00\x00\x00")),
        };

        // buffered mode
        let mut hhb = HandshakeHashBuffer::new();
        hhb.add_message(&server_hello_done_message);
        hhb.add_message(&app_data_ignored);
        hhb.add_message(&end_of_early_data_flight);
        assert_eq!(
            hhb.start_hash(&SHA256)
                .current_hash()
                .as_ref(),
            SHA256
                .hash(b"\x0e\x00\x00\x00\x05\x00\x00\x00")
                .as_ref()
        );

        // non-buffered mode
        let mut hh = HandshakeHashBuffer::new().start_hash(&SHA256);
        hh.add_message(&server_hello_done_message);
        hh.add_message(&app_data_ignored);
        hh.add_message(&end_of_early_data_flight);
        assert_eq!(
            hh.current_hash().as_ref(),
            SHA256
                .hash(b"\x0e\x00\x00\x00\x05\x00\x00\x00")
                .as_ref()
        );
    }

    #[cfg(feature = "tls12")]
    #[test]
    fn buffers_correctly() {
        let mut hhb = HandshakeHashBuffer::new();
        hhb.set_client_auth_enabled();
        hhb.add_raw(b"hello");
        assert_eq!(hhb.buffer.len(), 5);
        let mut hh = hhb.start_hash(&SHA256);
        assert_eq!(
            hh.client_auth
                .as_ref()
                .map(|buf| buf.len()),
            Some(5)
        );
        hh.add_raw(b"world");
        assert_eq!(
            hh.client_auth
                .as_ref()
                .map(|buf| buf.len()),
            Some(10)
        );
        let h = hh.current_hash();
        let h = h.as_ref();
        assert_eq!(h[0], 0x93);
        assert_eq!(h[1], 0x6a);
        assert_eq!(h[2], 0x18);
        assert_eq!(h[3], 0x5c);
        let buf = hh.take_handshake_buf();
        assert_eq!(Some(b"helloworld".to_vec()), buf);
    }

    #[test]
    fn abandon() {
        let mut hhb = HandshakeHashBuffer::new();
        hhb.set_client_auth_enabled();
        hhb.add_raw(b"hello");
        assert_eq!(hhb.buffer.len(), 5);
        let mut hh = hhb.start_hash(&SHA256);
        assert_eq!(
            hh.client_auth
                .as_ref()
                .map(|buf| buf.len()),
            Some(5)
        );
        hh.abandon_client_auth();
        assert_eq!(hh.client_auth, None);
        hh.add_raw(b"world");
        assert_eq!(hh.client_auth, None);
        let h = hh.current_hash();
        let h = h.as_ref();
        assert_eq!(h[0], 0x93);
        assert_eq!(h[1], 0x6a);
        assert_eq!(h[2], 0x18);
        assert_eq!(h[3], 0x5c);
    }

    #[test]
    fn clones_correctly() {
        let mut hhb = HandshakeHashBuffer::new();
        hhb.set_client_auth_enabled();
        hhb.add_raw(b"hello");
        assert_eq!(hhb.buffer.len(), 5);

        // Cloning the HHB should result in the same buffer and client auth state.
        let mut hhb_prime = hhb.clone();
        assert_eq!(hhb_prime.buffer, hhb.buffer);
        assert!(hhb_prime.client_auth_enabled);

        // Updating the HHB clone shouldn't affect the original.
        hhb_prime.add_raw(b"world");
        assert_eq!(hhb_prime.buffer.len(), 10);
        assert_ne!(hhb.buffer, hhb_prime.buffer);

        let hh = hhb.start_hash(&SHA256);
        let hh_hash = hh.current_hash();
        let hh_hash = hh_hash.as_ref();

        // Cloning the HH should result in the same current hash.
        let mut hh_prime = hh.clone();
        let hh_prime_hash = hh_prime.current_hash();
        let hh_prime_hash = hh_prime_hash.as_ref();
        assert_eq!(hh_hash, hh_prime_hash);

        // Updating the HH clone shouldn't affect the original.
        hh_prime.add_raw(b"goodbye");
        assert_eq!(hh.current_hash().as_ref(), hh_hash);
        assert_ne!(hh_prime.current_hash().as_ref(), hh_hash);
    }
}
