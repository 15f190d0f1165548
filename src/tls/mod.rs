//! The TLS engine: rustls's unbuffered state machine over our own RustCrypto
//! provider, behind a bytes-in / bytes-out interface.
//!
//! The glue (`conn`) never sees rustls types. Per connection it:
//! 1. builds a [`TlsClient`] (or [`TlsServer`]) from plain parameters;
//! 2. offers received TCP bytes with `receive()` (which takes what fits) and
//!    calls `process()`, which returns an [`Event`];
//! 3. sends `output()` and then calls `consume_output(n)` for what TCP took;
//! 4. drains decrypted bytes with `read()`;
//! 5. encrypts with `write()` / ends with `close()`; on a TCP FIN asks
//!    `peer_eof()` whether that is a failure (during the handshake it is).
//!
//! Every error is a [`Failure`](crate::error::Failure) carrying the mbedTLS
//! code the vendor library would report and a reason naming what to fix. After
//! a failure every call returns the same failure; `output()` may still hold
//! an alert worth sending before closing.
//!
//! Memory: rustls allocates infallibly. Before each `process()` the glue
//! makes sure `work_estimate()` bytes are free in the connection's arena. All
//! allocations made here directly (buffers, queues) are fallible and fail
//! with `SSL_ALLOC_FAILED`.

// `Failure` is large on purpose: reasons live inline so that the error path
// (which is also the out-of-memory path) never allocates.
#![allow(clippy::result_large_err)]

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Failure;

pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The one interface between the connection glue (`conn`) and a TLS
/// session of either side: bytes in, bytes out, events. The engine
/// implements it once for both sides; [`TlsClient`] and [`TlsServer`] build
/// an engine and dereference to it, and `conn` holds it as a
/// `Box<dyn Session>`, so a firmware that never accepts connections links no
/// server code.
pub trait Session {
    /// Offer ciphertext received from TCP; returns how many bytes were
    /// taken. Fewer than offered means: call `process()` and drain `read()`,
    /// then offer the rest (hold the TCP data meanwhile).
    fn receive(&mut self, data: &[u8]) -> Result<usize, Failure>;

    /// Advance the protocol: consume received records, queue output and
    /// plaintext. Stops early while a decrypted record waits for `read()`.
    fn process(&mut self) -> Result<Event, Failure>;

    /// Ciphertext waiting to be sent.
    fn output(&self) -> &[u8];

    /// Drop the first `n` bytes of `output()` (TCP took them).
    fn consume_output(&mut self, n: usize);

    /// The unread decrypted bytes of one record, in order, where they lie
    /// in the receive buffer: they stay there, unmoved, until
    /// `consume_read` (the glue lends them to the user's recv callback
    /// without a copy).
    fn unread(&mut self) -> &mut [u8];

    /// The first `n` bytes of `unread()` were read (the next record's
    /// bytes follow once this one's are all read).
    fn consume_read(&mut self, n: usize);

    /// Copy decrypted bytes, in order, from one record at most (the next
    /// call starts the next record); returns the count.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let src = self.unread();
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.consume_read(n);
        n
    }

    /// Decrypted bytes waiting for `read()`.
    fn readable(&self) -> usize;

    /// Encrypt `plain` into `output()`, in records of at most
    /// [`MAX_SEND_PLAINTEXT`] bytes.
    fn write(&mut self, plain: &[u8]) -> Result<(), Failure>;

    /// Queue close_notify (nothing to do during the handshake).
    fn close(&mut self) -> Result<(), Failure>;

    /// The TCP connection ended: `Some` failure if that cut the handshake
    /// short (`SSL_CONN_EOF`), `None` if it is an ordinary close.
    fn peer_eof(&self) -> Option<Failure>;

    /// Whether the handshake is still in progress.
    fn is_handshaking(&self) -> bool;

    /// Upper bound of heap rustls may allocate during the next `process()`.
    fn work_estimate(&self) -> usize;

    /// Whether the peer's certificate chain has been verified (a client, as
    /// the server's Certificate message arrived): no later `process()` can
    /// reach the verifier, the deepest calls of a handshake, so it may run
    /// on a smaller stack (`platform::VERIFIED_STACK`, docs/STACK.md).
    fn chain_verified(&self) -> bool;

    /// With `on`, `process()` returns as soon as it has verified the chain,
    /// the input after it left for the next call ([`Self::restep`]), so
    /// that the caller can run that call on the smaller stack. Off by
    /// default (the next call then carries on in the same one).
    fn set_restep_after_verification(&mut self, on: bool);

    /// The last `process()` returned early, as above: call it again.
    fn restep(&self) -> bool;

    /// What was negotiated (after the handshake), for logs.
    fn negotiated(&self) -> Option<Negotiated>;

    /// The ALPN protocol agreed on (after the handshake).
    fn alpn(&self) -> Option<&[u8]>;

    /// Whether the handshake resumed a session (abbreviated handshake).
    fn resumed(&self) -> bool;

    /// The record size the peer agreed to after a client's request
    /// (max_fragment_length or record_size_limit), or 0.
    fn fragment_length(&self) -> u16;

    /// Largest record length announced by the peer so far.
    fn largest_record_seen(&self) -> usize;
}

mod client;
mod engine;
pub mod errors;
pub mod provider;
pub mod rng;
mod server;
pub mod server_session;
pub mod session;
mod verifier;
mod x509;

#[cfg(test)]
pub(crate) mod tests;

pub use client::TlsClient;
pub use engine::{MAX_SEND_PLAINTEXT, TLS_MAX_PLAINTEXT};
pub use server::{ServerSessions, TlsServer};
pub use x509::{spki_sha256, Date};

/// Where certificate dates are checked against.
#[derive(Clone, Copy, Debug)]
pub enum TimeSource {
    /// A fixed Unix time in seconds (tests, or a clock set once).
    Fixed(u64),
    /// Asked at verification time; `None` means "not known yet" (SNTP not
    /// synchronised), which fails verification when a CA is configured and
    /// is ignored otherwise.
    Now(fn() -> Option<u64>),
    /// As `Now`, plus the name of the clock that answered (for example
    /// "SNTP"), which the reasons of date failures quote.
    Named(fn() -> Option<(u64, &'static str)>),
}

impl TimeSource {
    /// Unix seconds now, if known.
    pub fn now(&self) -> Option<u64> {
        match *self {
            TimeSource::Fixed(s) => Some(s),
            TimeSource::Now(f) => f(),
            TimeSource::Named(f) => f().map(|(s, _)| s),
        }
    }

    /// The name of the clock answering now, for [`TimeSource::Named`].
    pub fn clock_name(&self) -> Option<&'static str> {
        match *self {
            TimeSource::Named(f) => f().map(|(_, n)| n),
            _ => None,
        }
    }
}

/// Client connection parameters.
#[derive(Debug)]
pub struct ClientParams {
    /// Trusted CA certificates. `None`: the chain is not verified (the
    /// vendor's default without `espconn_secure_ca_enable`); handshake
    /// signatures are still checked. See [`Warnings`].
    pub roots: Option<Vec<CertificateDer<'static>>>,
    /// A CA bundle in flash instead of `roots` (`roots` is then `None`): the
    /// chain is verified against the anchor its issuer names, read from
    /// flash while verifying.
    pub bundle: Option<CaBundle>,
    /// Server name for SNI and the certificate name check. An IP literal is
    /// checked against IP SANs and not sent as SNI. `None`: name not checked.
    pub hostname: Option<String>,
    /// Client certificate chain (leaf first) and its key (PKCS#8, PKCS#1 or SEC1).
    pub identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    pub time: TimeSource,
    /// Largest record plaintext accepted (16384 unless
    /// `espconn_secure_set_size` caps it; values are clamped to 512..=16384).
    pub max_record: usize,
    /// Offer TLS 1.3 as well as 1.2 (only with the `tls13` feature).
    pub tls13: bool,
    /// ALPN protocol names to offer, in order of preference (none: no ALPN).
    pub alpn: Vec<Vec<u8>>,
    /// Session resumption through the session cache ([`session`]) under this
    /// binding; `None`: no resumption (the default).
    pub session: Option<session::Binding>,
    /// Public-key pins of the server's leaf (`espconn_secure_pin_public_key`):
    /// with `roots`, the chain must verify and the leaf's key match a pin;
    /// without, a matching pin alone authenticates the server. `None`: no pin.
    pub pins: Option<Pins>,
    /// Ask the server for records of at most this many plaintext bytes
    /// (max_fragment_length for 512, 1024, 2048, 4096, and
    /// record_size_limit); 0: nothing asked. A server that agrees is held to
    /// it; one that ignores the request is not (`max_record` still applies).
    pub fragment_length: u16,
}

/// A CA bundle in flash ([`crate::certs::bundle`]) and how to read it.
#[derive(Clone, Copy, Debug)]
pub struct CaBundle {
    pub bundle: crate::certs::bundle::Bundle,
    pub read: crate::certs::bundle::FlashRead,
}

/// Most public-key pins per connection.
pub const MAX_PINS: usize = 4;

/// SHA-256 hashes of the DER SubjectPublicKeyInfo the server's leaf
/// certificate must have (one of them).
#[derive(Debug)]
pub struct Pins {
    pub hashes: [[u8; 32]; MAX_PINS],
    /// How many of `hashes` are set (1..=[`MAX_PINS`]).
    pub count: usize,
    /// The clock the leaf's dates are checked against when the pin alone
    /// authenticates the server (no CA): `now()` answers `None` when the
    /// time is unknown, and the dates are then not checked.
    pub time: TimeSource,
}

impl Pins {
    /// The pins that are set.
    pub fn list(&self) -> &[[u8; 32]] {
        &self.hashes[..self.count.min(MAX_PINS)]
    }
}

impl ClientParams {
    /// Unverified, no name, TLS 1.2 + 1.3 if built, 16 KB records.
    pub fn new(time: TimeSource) -> Self {
        ClientParams {
            roots: None,
            bundle: None,
            hostname: None,
            identity: None,
            time,
            max_record: TLS_MAX_PLAINTEXT,
            tls13: cfg!(feature = "tls13"),
            alpn: Vec::new(),
            session: None,
            pins: None,
            fragment_length: 0,
        }
    }
}

/// Server connection parameters.
#[derive(Debug)]
pub struct ServerParams {
    /// Our certificate chain (leaf first) and key.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// If set, a client certificate issued by one of these CAs is required.
    pub client_roots: Option<Vec<CertificateDer<'static>>>,
    /// A CA bundle in flash instead of `client_roots`: every anchor of it is
    /// loaded when the connection is made (the server's verifier needs them
    /// up front), so its heap grows with the bundle.
    pub client_bundle: Option<CaBundle>,
    pub time: TimeSource,
    pub max_record: usize,
    pub tls13: bool,
    /// Largest plaintext per record we send ([`MAX_SEND_PLAINTEXT`] fits a
    /// TCP segment; up to 16384).
    pub max_fragment: usize,
    /// Sessions shared with other server connections (TLS 1.2 session ids),
    /// or `None`: no resumption by this store (the chip bench's counterpart
    /// of a resuming client).
    pub resumption: Option<ServerSessions>,
    /// Resume through the process-wide server session cache and tickets
    /// ([`server_session`]) when it is on (`espconn_secure_accept`).
    pub session_cache: bool,
}

/// What `process()` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Nothing new beyond possible output / plaintext.
    None,
    /// The handshake just completed; application data may flow.
    HandshakeComplete,
    /// The peer sent close_notify: no more data will arrive.
    PeerClosed,
}

/// What was negotiated, for logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// "TLSv1.2" or "TLSv1.3".
    pub version: &'static str,
    /// IANA name, e.g. "TLS13_AES_128_GCM_SHA256".
    pub suite: &'static str,
    /// Key-exchange group, e.g. "X25519".
    pub group: Option<&'static str>,
}

/// Security shortcuts in effect, for the glue's one warning line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    /// No CA configured: the server's certificate is not verified.
    pub certificate_not_verified: bool,
    /// No host name given (or verification off): the name is not checked.
    pub name_not_checked: bool,
}

/// rustls's clock over our [`TimeSource`].
#[derive(Debug)]
struct Clock {
    src: TimeSource,
    /// With nothing to verify, an unknown time must not stop the handshake.
    required: bool,
}

impl rustls::time_provider::TimeProvider for Clock {
    fn current_time(&self) -> Option<rustls_pki_types::UnixTime> {
        let secs = match (self.src.now(), self.required) {
            (Some(s), _) => s,
            (None, false) => 0,
            (None, true) => return None,
        };
        Some(rustls_pki_types::UnixTime::since_unix_epoch(
            core::time::Duration::from_secs(secs),
        ))
    }
}

/// The protocol versions to enable.
fn versions(tls13: bool) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    #[cfg(feature = "tls13")]
    static BOTH: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];
    #[cfg(feature = "tls13")]
    if tls13 {
        return BOTH;
    }
    let _ = tls13;
    TLS12_ONLY
}
