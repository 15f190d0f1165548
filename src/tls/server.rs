//! The TLS server (espconn_secure_accept).

use alloc::sync::Arc;

use rustls::server::{
    ServerConfig, UnbufferedServerConnection, VerifierBuilderError, WebPkiClientVerifier,
};
use rustls::RootCertStore;
use spin::Mutex;

use super::engine::Engine;
use super::errors::{self, Side};
use super::{provider, versions, Clock, ServerParams};
use crate::error::{code, Failure};
use crate::fail;

/// A TLS server connection; same interface as [`TlsClient`](super::TlsClient).
pub struct TlsServer {
    engine: Engine<UnbufferedServerConnection>,
}

impl core::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsServer")
            .field("handshaking", &self.engine.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl TlsServer {
    /// Build the connection; it waits for the ClientHello.
    pub fn new(p: ServerParams) -> Result<Self, Failure> {
        Self::with_provider(p, provider::provider())
    }

    /// As `new`, with a restricted provider (tests pin one suite or group).
    pub(crate) fn with_provider(
        p: ServerParams,
        provider: rustls::crypto::CryptoProvider,
    ) -> Result<Self, Failure> {
        let provider = Arc::new(provider);
        // Verifying client certificates, TLS 1.2 keeps the whole transcript
        // until the client's signature (`Engine::work_estimate`).
        let mutual = p.client_roots.is_some() || p.client_bundle.is_some();
        let clock = Clock {
            src: p.time,
            required: mutual,
        };
        let builder = ServerConfig::builder_with_details(provider.clone(), Arc::new(clock))
            .with_protocol_versions(versions(p.tls13))
            .map_err(|e| errors::map(&e, Side::Server))?;
        let list = match (&p.client_roots, &p.client_bundle) {
            (Some(list), _) => Some(&list[..]),
            (None, Some(_)) => Some(&[][..]),
            (None, None) => None,
        };
        let builder = match list {
            Some(list) => {
                let mut roots = RootCertStore::empty();
                if let (None, Some(b)) = (&p.client_roots, &p.client_bundle) {
                    let all = b.bundle.all(b.read)?;
                    roots.roots.try_reserve_exact(all.len()).map_err(|_| {
                        fail!(
                            code::SSL_ALLOC_FAILED,
                            "out of memory for the client CA bundle"
                        )
                    })?;
                    roots
                        .roots
                        .extend(all.into_iter().map(|a| a.into_trust_anchor()));
                }
                for (i, der) in list.iter().enumerate() {
                    roots.add(der.clone()).map_err(|e| {
                        fail!(
                            code::X509_INVALID_FORMAT,
                            "client CA certificate #{} unusable: {}",
                            i + 1,
                            errors::anchor_problem(&e)
                        )
                    })?;
                }
                let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| {
                        fail!(
                            code::SSL_CA_CHAIN_REQUIRED,
                            "client CA list unusable: {}",
                            match e {
                                VerifierBuilderError::NoRootAnchors => "no CA certificate in it",
                                // Revocation lists are never configured here.
                                _ => "its revocation lists are invalid",
                            }
                        )
                    })?;
                builder.with_client_cert_verifier(v)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(p.chain, p.key)
            .map_err(|e| errors::map(&e, Side::Server))?;
        config.max_fragment_size = Some(p.max_fragment.clamp(64, super::TLS_MAX_PLAINTEXT) + 5);
        // Tickets cost memory on both ends; resumption is off unless the
        // caller shares a session store between connections.
        config.send_tls13_tickets = 0;
        if let Some(r) = p.resumption {
            config.session_storage = r.0;
        }
        if p.session_cache && super::server_session::enabled() {
            // TLS 1.2: tickets to clients asking for them, session ids in the
            // cache otherwise; TLS 1.3: one stateless ticket per connection.
            config.session_storage = Arc::new(super::server_session::Cache);
            config.ticketer = Arc::new(super::server_session::Tickets { time: p.time });
            config.send_tls13_tickets = 1;
        }
        let conn = UnbufferedServerConnection::new(Arc::new(config))
            .map_err(|e| errors::map(&e, Side::Server))?;
        Ok(TlsServer {
            engine: Engine::new(
                alloc::boxed::Box::new(conn),
                Side::Server,
                p.max_record,
                mutual,
                Arc::new(Mutex::new(None)),
            )?,
        })
    }

    /// Whether the handshake resumed a session (the server session cache or
    /// a ticket): no key exchange, no signature.
    pub fn resumed(&self) -> bool {
        self.engine.resumed()
    }

    /// Whether the client presented a (verified) certificate.
    pub fn client_authenticated(&self) -> bool {
        self.engine.peer_authenticated()
    }
}

/// The server is its engine's [`Session`](super::Session).
impl core::ops::Deref for TlsServer {
    type Target = Engine<UnbufferedServerConnection>;
    fn deref(&self) -> &Self::Target {
        &self.engine
    }
}

impl core::ops::DerefMut for TlsServer {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.engine
    }
}

impl TlsServer {
    /// The engine alone, for the glue's `Box<dyn Session>`.
    pub fn into_session(self) -> alloc::boxed::Box<dyn super::Session> {
        alloc::boxed::Box::new(self.engine)
    }
}

/// One TLS 1.2 session (by session id) shared by the server connections it
/// is given to, so that a client can resume. Not used by `espconn_secure_accept`
/// (which uses the process-wide [`server_session`](super::server_session));
/// the chip bench uses it as the counterpart of a resuming client.
#[derive(Clone, Default)]
pub struct ServerSessions(Arc<OneSession>);

impl core::fmt::Debug for ServerSessions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // What `debug_struct(..).finish_non_exhaustive()` prints, without
        // linking core's struct builder (rustls's traits need `Debug`).
        f.write_str("ServerSessions { .. }")
    }
}

#[derive(Default)]
struct OneSession(Mutex<Option<(alloc::vec::Vec<u8>, alloc::vec::Vec<u8>)>>);

impl core::fmt::Debug for OneSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // What `debug_struct(..).finish_non_exhaustive()` prints, without
        // linking core's struct builder (rustls's traits need `Debug`).
        f.write_str("OneSession { .. }")
    }
}

impl rustls::server::StoresServerSessions for OneSession {
    fn put(&self, key: alloc::vec::Vec<u8>, value: alloc::vec::Vec<u8>) -> bool {
        *self.0.lock() = Some((key, value));
        true
    }

    fn get(&self, key: &[u8]) -> Option<alloc::vec::Vec<u8>> {
        let g = self.0.lock();
        let (k, v) = g.as_ref()?;
        (k.as_slice() == key).then(|| v.clone())
    }

    fn take(&self, key: &[u8]) -> Option<alloc::vec::Vec<u8>> {
        let mut g = self.0.lock();
        if g.as_ref().is_some_and(|(k, _)| k.as_slice() == key) {
            g.take().map(|(_, v)| v)
        } else {
            None
        }
    }

    fn can_cache(&self) -> bool {
        true
    }
}
