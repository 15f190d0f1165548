//! The TLS client.

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{ClientConfig, Resumption, UnbufferedClientConnection};
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use spin::Mutex;

use super::engine::{Engine, MAX_SEND_PLAINTEXT};
use super::errors::{self, Side};
use super::session;
use super::verifier::Verifier;
use super::{provider, versions, ClientParams, Clock, Warnings};
use crate::error::{code, Failure};
use crate::fail;

/// A TLS client connection: ciphertext in and out, plaintext in and out.
pub struct TlsClient {
    engine: Engine<UnbufferedClientConnection>,
    warnings: Warnings,
}

/// What [`TlsClient::config`] hands to the connection's constructor.
struct Built {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    diag: super::verifier::Diagnosis,
    warnings: Warnings,
}

impl core::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsClient")
            .field("handshaking", &self.engine.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    /// Build the connection and queue the ClientHello in `output()`.
    pub fn new(p: ClientParams) -> Result<Self, Failure> {
        let (mut engine, warnings) = Self::build(p)?;
        // Queue the ClientHello now, so output() is ready to send.
        engine.process()?;
        Ok(TlsClient { engine, warnings })
    }

    /// The connection, boxed inside the engine. rustls's constructor already
    /// emits the ClientHello (key generation included), so this frame and
    /// every one above it lie on the deepest path of the setup step: the
    /// configuration is built in a function of its own, whose frame (builder,
    /// config, verifier) is gone by then (docs/STACK.md).
    #[inline(never)]
    fn build(
        mut p: ClientParams,
    ) -> Result<(Engine<UnbufferedClientConnection>, Warnings), Failure> {
        let max_record = p.max_record;
        // One provider per connection, for the key's loading and the config.
        let crypto = provider::shared();
        let identity = match p.identity.take() {
            Some((chain, key)) => {
                // What our Certificate message costs the handshake, charged
                // to the public-key operations it follows (provider::cost).
                let der: usize = chain.iter().map(|c| c.len()).sum();
                crate::platform::slice::set_own_flight(super::provider::cost::own_flight(der));
                Some(Self::identity(chain, key, &crypto)?)
            }
            None => {
                crate::platform::slice::set_own_flight(0);
                None
            }
        };
        // With a client certificate whose key cannot sign a digest, TLS 1.2
        // keeps the whole transcript until it is signed
        // (`Engine::work_estimate`); our provider's keys all can, and rustls
        // then keeps running hashes instead (vendor/rustls 0015).
        let mutual = identity
            .as_ref()
            .is_some_and(|ck| ck.key.prehash_algorithms().is_empty());
        let built = Self::config(p, identity, crypto)?;
        let conn = UnbufferedClientConnection::new_boxed(built.config, built.server_name)
            .map_err(|e| errors::map(&e, Side::Client))?;
        let engine = Engine::new(conn, Side::Client, max_record, mutual, built.diag)?;
        Ok((engine, built.warnings))
    }

    /// The client certificate and its key, checked against each other.
    /// Loading a key (an RSA key's precomputation above all) is deep, so it
    /// runs here, next to `config` rather than below its frame.
    #[inline(never)]
    fn identity(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        crypto: &CryptoProvider,
    ) -> Result<Arc<CertifiedKey>, Failure> {
        let certified = CertifiedKey::from_der(chain, key, crypto)
            .map_err(|e| errors::map(&e, Side::Client))?;
        Ok(Arc::new(certified))
    }

    #[inline(never)]
    fn config(
        p: ClientParams,
        identity: Option<Arc<CertifiedKey>>,
        crypto: Arc<CryptoProvider>,
    ) -> Result<Built, Failure> {
        let diag = Arc::new(Mutex::new(None));
        let verify = p.roots.is_some() || p.bundle.is_some();
        let name = match &p.hostname {
            Some(h) => Some(
                ServerName::try_from(h.as_str())
                    .map_err(|_| {
                        fail!(
                            code::SSL_BAD_INPUT_DATA,
                            "'{h}' is not a valid host name or IP address"
                        )
                    })?
                    .to_owned(),
            ),
            None => None,
        };
        let check_name = verify && name.is_some();
        let verifier: Arc<dyn ServerCertVerifier> = Arc::new(Verifier::new(
            p.roots.as_deref(),
            p.bundle,
            check_name,
            provider::VERIFY_ALGORITHMS,
            diag.clone(),
            p.time,
            p.pins,
        )?);
        let clock = Clock {
            src: p.time,
            required: verify,
        };
        let builder = ClientConfig::builder_with_details(crypto.clone(), Arc::new(clock))
            .with_protocol_versions(versions(p.tls13))
            .map_err(|e| errors::map(&e, Side::Client))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone());
        let mut config = match identity {
            // What `with_client_auth_cert` does, with the key loaded above.
            Some(certified) => {
                builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
            }
            None => builder.with_no_client_auth(),
        };
        // Without a DNS name there is nothing meaningful to send as SNI.
        config.enable_sni = matches!(name, Some(ServerName::DnsName(_)));
        config.max_fragment_size = Some(MAX_SEND_PLAINTEXT + 5);
        config.record_limit_request =
            (p.fragment_length != 0).then_some(usize::from(p.fragment_length));
        config.alpn_protocols = p.alpn;
        // Without the program's session cache nothing is kept between
        // connections; with it, sessions go to storage outside this
        // connection's arena (session.rs).
        config.resumption = match p.session {
            Some(binding) => Resumption::store(Arc::new(session::View {
                binding,
                provider: crypto,
                verifier,
                creds: config.client_auth_cert_resolver.clone(),
            })),
            None => Resumption::disabled(),
        };
        // rustls needs some name; it is neither sent nor checked when absent.
        let server_name = name.unwrap_or(ServerName::IpAddress(rustls_pki_types::IpAddr::V4(
            rustls_pki_types::Ipv4Addr::from([0, 0, 0, 0]),
        )));
        Ok(Built {
            config: Arc::new(config),
            server_name,
            diag,
            warnings: Warnings {
                certificate_not_verified: !verify,
                name_not_checked: !check_name,
            },
        })
    }

    /// Shortcuts in effect (unverified certificate, unchecked name).
    pub fn warnings(&self) -> Warnings {
        self.warnings
    }

    /// Current receive buffer capacity (it grows and shrinks with records).
    pub fn receive_capacity(&self) -> usize {
        self.engine.receive_capacity()
    }
}

/// The client is its engine's [`Session`](super::Session) plus the
/// configuration's warnings.
impl core::ops::Deref for TlsClient {
    type Target = Engine<UnbufferedClientConnection>;
    fn deref(&self) -> &Self::Target {
        &self.engine
    }
}

impl core::ops::DerefMut for TlsClient {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.engine
    }
}

impl TlsClient {
    /// The engine alone, for the glue's `Box<dyn Session>`.
    pub fn into_session(self) -> alloc::boxed::Box<dyn super::Session> {
        alloc::boxed::Box::new(self.engine)
    }
}
