//! Server certificate verification with precise reasons.
//!
//! rustls errors carry too little to tell a user what to fix (which CA was
//! missing, which certificate expired, how small the key was), so the
//! verifier writes a complete [`Failure`] into a slot shared with the engine
//! before returning its error; the engine prefers that over the generic
//! mapping in [`super::errors`].

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
#[cfg(feature = "tls13")]
use rustls::crypto::verify_tls13_signature;
use rustls::crypto::{verify_tls12_signature, WebPkiSupportedAlgorithms};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use spin::Mutex;

use super::provider::{RSA_MAX_BITS, RSA_MIN_BITS};
use super::x509::{self, Date, Hex};
use super::{CaBundle, Pins, TimeSource};
use crate::error::{code, Failure};
use crate::fail;

/// Most intermediate CAs in a row on a presented chain. webpki builds the
/// path by recursion, one level (about 830 bytes of the chip's handshake
/// stack) per intermediate it follows, up to six; the static stack analysis
/// charges this many levels (scripts/esp8266/stack-depth.py, KNOWN_CYCLES),
/// so a longer row is refused before webpki runs. Public chains have one or
/// two (Let's Encrypt, DigiCert, Sectigo via a cross-signed root).
pub const MAX_PATH_CAS: usize = 2;

/// Most intermediate certificates a server may present at all.
const MAX_PRESENTED: usize = 8;

/// Where the verifier leaves the detailed failure for the engine.
pub(crate) type Diagnosis = Arc<Mutex<Option<Failure>>>;

/// A CA certificate whose RSA key is outside the accepted sizes, kept so
/// that chains ending at it fail with the key size as the reason.
struct WeakRoot {
    subject: Vec<u8>,
    bits: usize,
}

#[derive(Debug)]
pub(crate) struct Verifier {
    roots: Option<Arc<RootCertStore>>,
    /// A CA bundle in flash instead of `roots`: the anchors a chain names
    /// are read from it at verification, so the heap holds only those.
    bundle: Option<CaBundle>,
    weak_roots: Vec<WeakRootDbg>,
    check_name: bool,
    algs: WebPkiSupportedAlgorithms,
    diag: Diagnosis,
    /// The clock dates are checked against; its name goes into date failures.
    time: TimeSource,
    /// Public-key pins the leaf must match (after the chain, with roots; on
    /// their own, without).
    pins: Option<Pins>,
}

/// " (clock: NAME)" after a date in a failure, or nothing.
struct ClockName(Option<&'static str>);
impl core::fmt::Display for ClockName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(n) => write!(f, " (clock: {n})"),
            None => Ok(()),
        }
    }
}

// Debug without dumping DER.
struct WeakRootDbg(WeakRoot);
impl core::fmt::Debug for WeakRootDbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "WeakRoot({} bits)", self.0.bits)
    }
}

impl Verifier {
    /// `roots: None` accepts any chain (handshake signatures are still
    /// checked) unless `pins` are given: then the leaf's key must match one
    /// and its dates are checked against `pins.time` when that is known;
    /// `check_name` false skips the host name check. With `bundle` (and
    /// `roots: None`) the chain is verified against the bundle's anchors.
    pub(crate) fn new(
        roots: Option<&[CertificateDer<'static>]>,
        bundle: Option<CaBundle>,
        check_name: bool,
        algs: WebPkiSupportedAlgorithms,
        diag: Diagnosis,
        time: TimeSource,
        pins: Option<Pins>,
    ) -> Result<Self, Failure> {
        let mut weak_roots = Vec::new();
        let store = match roots {
            None => None,
            Some(list) => {
                let mut store = RootCertStore::empty();
                for (i, der) in list.iter().enumerate() {
                    if let Some(info) = x509::parse(der) {
                        if let Some(bits) = info.rsa_bits() {
                            if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                                weak_roots.try_reserve(1).map_err(|_| {
                                    fail!(code::SSL_ALLOC_FAILED, "out of memory for CA list")
                                })?;
                                let mut subject = Vec::new();
                                let raw = info.subject.raw();
                                subject.try_reserve_exact(raw.len()).map_err(|_| {
                                    fail!(
                                        code::SSL_ALLOC_FAILED,
                                        "out of memory for CA list ({} bytes)",
                                        raw.len()
                                    )
                                })?;
                                subject.extend_from_slice(raw);
                                weak_roots.push(WeakRootDbg(WeakRoot { subject, bits }));
                                continue;
                            }
                        }
                    }
                    store.add(der.clone()).map_err(|e| {
                        fail!(
                            code::X509_INVALID_FORMAT,
                            "CA certificate #{} cannot be used as a trust anchor: {}",
                            i + 1,
                            super::errors::anchor_problem(&e)
                        )
                    })?;
                }
                if store.is_empty() && weak_roots.is_empty() {
                    return Err(fail!(
                        code::SSL_CA_CHAIN_REQUIRED,
                        "certificate verification enabled but no CA certificate given"
                    ));
                }
                Some(Arc::new(store))
            }
        };
        Ok(Verifier {
            roots: store,
            bundle: if roots.is_none() { bundle } else { None },
            weak_roots,
            check_name,
            algs,
            diag,
            time,
            pins,
        })
    }

    #[inline(never)]
    fn unreadable_pinned_failure(&self) -> Error {
        self.record(
            fail!(
                code::X509_CERT_VERIFY_FAILED,
                "public-key pin: the server's certificate cannot be read"
            ),
            bad_certificate(),
        )
    }

    /// The leaf's key must match one of the pins (when there are any).
    #[inline(never)]
    fn pin_failure(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        let Some(pins) = &self.pins else {
            return Ok(());
        };
        let Some(info) = x509::parse(end_entity) else {
            return Err(self.unreadable_pinned_failure());
        };
        let hash: [u8; 32] = {
            use sha2::{Digest, Sha256};
            Sha256::digest(info.spki_der).into()
        };
        if pins.list().contains(&hash) {
            return Ok(());
        }
        Err(self.record(
            fail!(
                code::X509_CERT_VERIFY_FAILED,
                "server key sha256 {} matches none of the {} pinned key(s); certificate '{}'",
                Hex(&hash),
                pins.list().len(),
                info.subject
            ),
            bad_certificate(),
        ))
    }

    /// Without a CA the pinned leaf's own dates are checked, against the
    /// pins' clock when the time is known.
    #[inline(never)]
    fn pinned_dates_failure(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        let Some(now) = self.pins.as_ref().and_then(|p| p.time.now()) else {
            return Ok(());
        };
        let clock = ClockName(self.pins.as_ref().and_then(|p| p.time.clock_name()));
        let Some(info) = x509::parse(end_entity) else {
            return Err(self.unreadable_pinned_failure());
        };
        let f = match (info.not_before, info.not_after) {
            (Some(nb), Some(na)) if nb <= now && now <= na => return Ok(()),
            (_, Some(na)) if na < now => fail!(
                code::X509_CERT_VERIFY_FAILED,
                "certificate '{}' expired on {}; time used: {}{}",
                info.subject,
                Date(na),
                Date(now),
                clock
            ),
            (Some(nb), _) if nb > now => fail!(
                code::X509_CERT_VERIFY_FAILED,
                "certificate '{}' is not valid before {}; time used: {}{} (is the clock set?)",
                info.subject,
                Date(nb),
                Date(now),
                clock
            ),
            _ => fail!(
                code::X509_CERT_VERIFY_FAILED,
                "certificate '{}': its validity dates cannot be read",
                info.subject
            ),
        };
        Err(self.record(f, Error::InvalidCertificate(CertificateError::Expired)))
    }

    /// Leave `f` for the engine; the error returned only chooses the alert
    /// rustls sends the peer (the engine reports `f`, not the error).
    fn record(&self, f: Failure, alert: Error) -> Error {
        *self.diag.lock() = Some(f);
        alert
    }

    #[inline(never)]
    fn oom_failure(&self) -> Error {
        self.record(
            fail!(code::SSL_ALLOC_FAILED, "out of memory verifying the chain"),
            // handshake_failure: rustls has nothing closer to internal_error
            // here; an empty String does not allocate.
            Error::General(alloc::string::String::new()),
        )
    }

    #[inline(never)]
    fn rustls_failure(&self, e: &Error) -> Error {
        self.record(
            super::errors::map(e, super::errors::Side::Client),
            alert_for(e),
        )
    }

    /// A chain ending at a CA we set aside for its key size fails for that
    /// reason, not as "unknown CA".
    #[inline(never)]
    fn weak_root_failure(&self, chain: &[&CertificateDer<'_>]) -> Result<(), Error> {
        if let Some(top) = chain.last().and_then(|c| x509::parse(c)) {
            if let Some(w) = self
                .weak_roots
                .iter()
                .find(|w| w.0.subject == top.issuer.raw())
            {
                return Err(self.record(
                    fail!(
                        code::X509_CERT_VERIFY_FAILED,
                        "CA certificate '{}' has an RSA key of {} bits; at least {} required",
                        top.issuer,
                        w.0.bits,
                        RSA_MIN_BITS
                    ),
                    bad_certificate(),
                ));
            }
        }
        Ok(())
    }

    /// The anchors of the bundle that certificates of the chain name as
    /// their issuer (usually one: the root above the top intermediate; also
    /// the root itself when the server sends it), read from flash now and
    /// held only for this verification: the heap never holds the bundle.
    /// None of them: the root is not in the bundle, named in the reason.
    #[inline(never)]
    fn bundle_anchors(
        &self,
        b: &CaBundle,
        chain: &[&CertificateDer<'_>],
    ) -> Result<RootCertStore, Error> {
        let mut store = RootCertStore::empty();
        for c in chain {
            let Some(info) = x509::parse(c) else {
                continue;
            };
            let found = match b.bundle.find(info.issuer.raw(), b.read) {
                Ok(f) => f,
                Err(f) => return Err(self.record(f, Error::General(alloc::string::String::new()))),
            };
            for (_, a) in found {
                // The same anchor again (the server sent the root too).
                if store.roots.iter().any(|t| {
                    t.subject.as_ref() == &a.subject[..]
                        && t.subject_public_key_info.as_ref() == &a.spki[..]
                }) {
                    continue;
                }
                if store.roots.try_reserve(1).is_err() {
                    return Err(self.oom_failure());
                }
                store.roots.push(a.into_trust_anchor());
            }
        }
        if store.roots.is_empty() {
            let top = chain.last().and_then(|c| x509::parse(c));
            let f = match top {
                Some(t) => fail!(
                    code::X509_CERT_VERIFY_FAILED,
                    "root '{}' is not in the CA bundle at sector {:#x} ({} roots); chain ends at '{}'",
                    t.issuer,
                    b.bundle.sector,
                    b.bundle.count,
                    t.subject
                ),
                None => fail!(
                    code::X509_CERT_VERIFY_FAILED,
                    "the server's chain names no root of the CA bundle at sector {:#x}",
                    b.bundle.sector
                ),
            };
            return Err(self.record(
                f,
                Error::InvalidCertificate(CertificateError::UnknownIssuer),
            ));
        }
        Ok(store)
    }

    /// The names come from our reader: webpki lists them through `Debug`,
    /// which prints nothing in the chip build.
    #[inline(never)]
    fn name_failure(
        &self,
        e: &Error,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
    ) -> Error {
        let f = match (e, x509::parse(end_entity)) {
            (
                Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ),
                Some(info),
            ) => fail!(
                code::X509_CERT_VERIFY_FAILED,
                "server's certificate is for {}, not '{}'",
                info.alt_names(),
                super::errors::Host(server_name)
            ),
            _ => super::errors::map(e, super::errors::Side::Client),
        };
        self.record(f, alert_for(e))
    }

    /// The presented intermediates webpki may build a path from, checked
    /// against [`MAX_PATH_CAS`]: self-signed ones are left out (a root the
    /// server sends along never leads to one of ours: the trust anchor of
    /// that name is tried first), and a row of more than `MAX_PATH_CAS`
    /// certificates, each the issuer of the one before, from the leaf on,
    /// is refused: webpki would follow it deeper than the chip's stack
    /// allows.
    #[inline(never)]
    fn path_cas<'a>(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &'a [CertificateDer<'a>],
    ) -> Result<Vec<CertificateDer<'a>>, Error> {
        if intermediates.len() > MAX_PRESENTED {
            return Err(self.record(
                fail!(
                    code::X509_CERT_VERIFY_FAILED,
                    "server presented {} intermediate certificates; at most {} are accepted",
                    intermediates.len(),
                    MAX_PRESENTED
                ),
                bad_certificate(),
            ));
        }
        let mut names: [(&[u8], &[u8]); MAX_PRESENTED] = [(&[], &[]); MAX_PRESENTED];
        let mut usable = Vec::new();
        if usable.try_reserve_exact(intermediates.len()).is_err() {
            return Err(self.oom_failure());
        }
        let mut n = 0;
        for der in intermediates {
            let Some(c) = x509::parse(der) else {
                // Unparsable: webpki reports it if the path needs it.
                usable.push(CertificateDer::from(&der[..]));
                continue;
            };
            if c.subject.raw() == c.issuer.raw() {
                continue;
            }
            names[n] = (c.subject.raw(), c.issuer.raw());
            n += 1;
            usable.push(CertificateDer::from(&der[..]));
        }
        let Some(leaf) = x509::parse(end_entity) else {
            return Ok(usable);
        };
        let row = longest_row(&names[..n], leaf.issuer.raw(), 0);
        if row > MAX_PATH_CAS {
            return Err(self.record(
                fail!(
                    code::X509_CERT_VERIFY_FAILED,
                    "server's chain has {} intermediate CAs in a row; the device verifies at most {} (stack budget)",
                    row,
                    MAX_PATH_CAS
                ),
                bad_certificate(),
            ));
        }
        Ok(usable)
    }

    /// webpki ignores keyUsage on CA certificates; RFC 5280 4.2.1.3 (and
    /// OpenSSL, error 32) reject a CA whose keyUsage is present without
    /// keyCertSign. Checked on the path webpki validated: from the leaf, each
    /// presented certificate whose subject is the previous one's issuer, up
    /// to a self-signed one (a trust anchor is the device's own choice).
    #[inline(never)]
    fn ca_key_usage_failure(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(), Error> {
        let Some(mut below) = x509::parse(end_entity) else {
            return Ok(());
        };
        // A path never repeats a certificate: at most one step per one.
        for _ in 0..intermediates.len() {
            let issuer = below.issuer.raw();
            let Some(ca) = intermediates
                .iter()
                .filter_map(|c| x509::parse(c))
                .find(|c| c.subject.raw() == issuer)
            else {
                break;
            };
            if ca.subject.raw() == ca.issuer.raw() {
                break;
            }
            if ca.key_usage_forbids_cert_sign() {
                return Err(self.record(
                    fail!(
                        code::X509_CERT_VERIFY_FAILED,
                        "CA certificate '{}' has a keyUsage without keyCertSign: it may not sign certificates (RFC 5280 4.2.1.3)",
                        ca.subject
                    ),
                    bad_certificate(),
                ));
            }
            below = ca;
        }
        Ok(())
    }

    #[inline(never)]
    fn check_key_sizes(&self, certs: &[&CertificateDer<'_>]) -> Result<(), Error> {
        for der in certs {
            if let Some(info) = x509::parse(der) {
                if let Some(bits) = info.rsa_bits() {
                    if bits < RSA_MIN_BITS {
                        return Err(self.record(
                            fail!(
                                code::X509_CERT_VERIFY_FAILED,
                                "certificate '{}' has an RSA key of {} bits; at least {} required",
                                info.subject,
                                bits,
                                RSA_MIN_BITS
                            ),
                            bad_certificate(),
                        ));
                    }
                    if bits > RSA_MAX_BITS {
                        return Err(self.record(
                            fail!(
                                code::X509_CERT_VERIFY_FAILED,
                                "certificate '{}' has an RSA key of {} bits; at most {} supported",
                                info.subject,
                                bits,
                                RSA_MAX_BITS
                            ),
                            bad_certificate(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Turn a chain-validation error into a reason naming the certificate
    /// and the dates or names involved.
    #[inline(never)]
    fn explain(
        &self,
        err: Error,
        chain: &[&CertificateDer<'_>],
        configured: usize,
        now: UnixTime,
    ) -> Error {
        let now_s = now.as_secs();
        let clock = ClockName(self.time.clock_name());
        let top = chain.last().and_then(|c| x509::parse(c));
        let f = match &err {
            Error::InvalidCertificate(CertificateError::UnknownIssuer) => match &top {
                Some(t) => fail!(
                    code::X509_CERT_VERIFY_FAILED,
                    "unknown CA: chain ends at '{}', issued by '{}', which is not among the {} configured CA certificate(s)",
                    t.subject,
                    t.issuer,
                    configured
                ),
                None => fail!(code::X509_CERT_VERIFY_FAILED, "unknown CA: the server's chain does not lead to a configured CA"),
            },
            Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => {
                let bad = chain
                    .iter()
                    .filter_map(|c| x509::parse(c))
                    .find(|i| i.not_after.is_some_and(|t| t < now_s));
                match bad {
                    Some(i) => fail!(
                        code::X509_CERT_VERIFY_FAILED,
                        "certificate '{}' expired on {}; time used: {}{}",
                        i.subject,
                        Date(i.not_after.unwrap_or(0)),
                        Date(now_s),
                        clock
                    ),
                    None => fail!(code::X509_CERT_VERIFY_FAILED, "a certificate in the chain has expired; time used: {}{}", Date(now_s), clock),
                }
            }
            Error::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            ) => {
                let bad = chain
                    .iter()
                    .filter_map(|c| x509::parse(c))
                    .find(|i| i.not_before.is_some_and(|t| t > now_s));
                match bad {
                    Some(i) => fail!(
                        code::X509_CERT_VERIFY_FAILED,
                        "certificate '{}' is not valid before {}; time used: {}{} (is the clock set?)",
                        i.subject,
                        Date(i.not_before.unwrap_or(0)),
                        Date(now_s),
                        clock
                    ),
                    None => fail!(code::X509_CERT_VERIFY_FAILED, "a certificate in the chain is not valid yet; time used: {}{}", Date(now_s), clock),
                }
            }
            other => super::errors::map(other, super::errors::Side::Client),
        };
        self.record(f, alert_for(&err))
    }
}

/// The error for which rustls sends bad_certificate (its
/// `From<CertificateError> for AlertDescription`): a key of a size we do not
/// accept, as OpenSSL answers one (X509_V_ERR_EE_KEY_TOO_SMALL,
/// CA_KEY_TOO_SMALL).
fn bad_certificate() -> Error {
    Error::InvalidCertificate(CertificateError::BadEncoding)
}

/// The error that makes rustls send the peer the alert naming `e`: an
/// unknown issuer is unknown_ca, an expired or not yet valid certificate
/// certificate_expired (RFC 5246 7.2.2: "expired or is not currently
/// valid"), a revoked one certificate_revoked, a wrong purpose
/// unsupported_certificate; anything else wrong with the certificate (bad
/// encoding, a signature that does not verify or whose algorithm we lack, a
/// name that does not match) is bad_certificate. rustls itself says
/// decrypt_error for certificate signatures, the alert of a failed
/// handshake signature; RFC 5246 7.2.2 and OpenSSL say bad_certificate.
#[inline(never)]
fn alert_for(e: &Error) -> Error {
    use CertificateError as C;
    let c = match e {
        Error::InvalidCertificate(C::UnknownIssuer) => C::UnknownIssuer,
        Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => C::Expired,
        Error::InvalidCertificate(C::Revoked) => C::Revoked,
        Error::InvalidCertificate(C::InvalidPurpose | C::InvalidPurposeContext { .. }) => {
            C::InvalidPurpose
        }
        _ => return bad_certificate(),
    };
    Error::InvalidCertificate(c)
}

/// Length of the longest row of `certs` (subject, issuer) starting with
/// one whose subject is `issuer`, each the issuer of the one before, none
/// twice (`used` marks those on the row so far).
fn longest_row(certs: &[(&[u8], &[u8])], issuer: &[u8], used: u32) -> usize {
    let mut best = 0;
    for (i, (subject, next)) in certs.iter().enumerate() {
        if used & (1 << i) == 0 && *subject == issuer {
            best = best.max(1 + longest_row(certs, next, used | (1 << i)));
        }
    }
    best
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.roots.is_none() && self.bundle.is_none() {
            // Unverified mode: only the key that signs the handshake matters,
            // and with pins it must be a pinned one.
            self.check_key_sizes(&[end_entity])?;
            if self.pins.is_some() {
                self.pin_failure(end_entity)?;
                self.pinned_dates_failure(end_entity)?;
            }
            return Ok(ServerCertVerified::assertion());
        }
        // Every failure below is built out of line (`record` and the
        // `*_failure` helpers): this frame lies under webpki's path building,
        // and each `Failure` (208 bytes) kept in it was paid on the deepest
        // stack path of the handshake (docs/STACK.md).
        let mut chain: Vec<&CertificateDer<'_>> = Vec::new();
        if chain.try_reserve_exact(1 + intermediates.len()).is_err() {
            return Err(self.oom_failure());
        }
        chain.push(end_entity);
        chain.extend(intermediates.iter());
        self.check_key_sizes(&chain)?;
        self.weak_root_failure(&chain)?;

        let usable = self.path_cas(end_entity, intermediates)?;
        let found;
        let (roots, configured) = match (&self.roots, &self.bundle) {
            (Some(r), _) => (&**r, r.len()),
            (None, Some(b)) => {
                found = self.bundle_anchors(b, &chain)?;
                (&found, b.bundle.count)
            }
            // Unverified mode returned above.
            (None, None) => return Ok(ServerCertVerified::assertion()),
        };
        let cert = ParsedCertificate::try_from(end_entity).map_err(|e| self.rustls_failure(&e))?;
        verify_server_cert_signed_by_trust_anchor(&cert, roots, &usable, now, self.algs.all)
            .map_err(|e| self.explain(e, &chain, configured, now))?;
        self.ca_key_usage_failure(end_entity, intermediates)?;
        if self.check_name {
            verify_server_name(&cert, server_name)
                .map_err(|e| self.name_failure(&e, end_entity, server_name))?;
        }
        self.pin_failure(end_entity)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        #[cfg(feature = "tls13")]
        return verify_tls13_signature(message, cert, dss, &self.algs);
        // A TLS 1.2-only build (no `tls13`) never negotiates TLS 1.3, so
        // rustls never asks; refusing keeps its verifier out of the image.
        #[cfg(not(feature = "tls13"))]
        {
            let _ = (message, cert, dss);
            Err(Error::General(
                "TLS 1.3 is not compiled into this build".into(),
            ))
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}
