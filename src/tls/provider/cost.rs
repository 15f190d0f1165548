//! The heap each public-key operation may take, with what its handshake
//! step does after it until the next such operation or the step's end.
//! Each operation announces its figure to `platform::slice::public_key_op`,
//! which checks it against the connection's arena and the SDK heap right
//! before the operation runs (and refuses the step with "needed N bytes, M
//! free" when they cannot give that much). So a step's start is charged
//! only for the work before its first operation (`engine::work_estimate`),
//! and each operation for itself, when it runs, whatever the step's place
//! in the handshake: the pre-checks stay within ~10% of the real need
//! (issue #15).
//!
//! Measured with the 32-bit simulator's heap trace (`SIM_HEAP_TRACE=1`,
//! the growth of `in_use` from the operation to the next one or to the
//! step's end) and, for the 64-bit `cargo test` build, by
//! `tls::tests::memory` (which fails when a segment outgrows its figure).

/// `wide` with 8-byte pointers (the 64-bit `cargo test` build), `narrow`
/// with 4-byte ones (the chip, the 32-bit simulator).
const fn by_width(wide: usize, narrow: usize) -> usize {
    if size_of::<usize>() == 8 {
        wide
    } else {
        narrow
    }
}

/// What a connection's own certificate chain adds after a verification or
/// a key exchange (its Certificate message, and with TLS 1.2 its place in
/// the transcript rustls keeps for the CertificateVerify): `chain_der`
/// bytes of DER, 0 without a client certificate. Set once per connection
/// (`platform::slice::set_own_flight`).
pub fn own_flight(chain_der: usize) -> usize {
    if chain_der == 0 {
        return 0;
    }
    core::hint::black_box(by_width(1024, 0)) + by_width(3, 1) * chain_der
}

/// An ECDSA verification (P-256 or P-384): the certificate's or handshake's
/// signature, and what follows until the next operation (TLS 1.2: the
/// server's key-exchange signature, then the key exchange; TLS 1.3: the
/// server's Finished, then our certificate flight).
pub fn ec_verify() -> usize {
    EC_VERIFY + crate::platform::slice::own_flight()
}
const EC_VERIFY: usize = by_width(1536, 900);

/// An RSA verification with a `bits`-bit key: the numbers of `rsa_pub` in
/// proportion to the size, and what follows as for [`ec_verify`].
pub fn rsa_verify(bits: usize) -> usize {
    // 32-bit: 1.1-1.2 KB measured for RSA-2048 with what follows, since
    // `rsa_pub::public_op` holds four modulus-sized numbers at most.
    core::hint::black_box(by_width(1536, 256))
        + by_width(2 * bits, bits / 2)
        + crate::platform::slice::own_flight()
}

/// Generating a key share: what follows until the next operation (a
/// server's key-exchange message; in a client's ClientHello the step's own
/// pre-check covers the rest, `conn`'s `SETUP_ESTIMATE`).
pub const KX_START: usize = by_width(1024, 512);

/// Completing a key exchange and what follows it: the key schedule, both
/// directions' record keys (AES-GCM contexts), Finished; in TLS 1.2 our
/// certificate flight.
pub fn kx_complete() -> usize {
    KX_COMPLETE + crate::platform::slice::own_flight()
}
const KX_COMPLETE: usize = by_width(3328, 1700);

/// An ECDSA signature and what follows it (CertificateVerify, Finished).
pub const EC_SIGN: usize = by_width(3072, 512);

/// An RSA signature with a `bits`-bit key: `rsa_priv`'s numbers and window
/// table (2.0 KB at 2048 bits, in proportion), the encoded signature, and
/// what follows as for [`EC_SIGN`].
#[cfg(any(feature = "rsa-sign", test))]
pub fn rsa_sign(bits: usize) -> usize {
    core::hint::black_box(by_width(3072, 256)) + by_width(3, 1) * bits
}
