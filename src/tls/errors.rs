//! The ONE table from rustls errors to mbedTLS codes and reasons.
//!
//! Codes follow what mbedTLS 2.x (the vendor library) reports for the same
//! situation, so firmware matching on `Reason:[-0x....]` or on the reconnect
//! callback's value keeps working; reasons say what happened and what to do.
//! Formatting goes into the fixed-size [`Reason`](crate::error::Reason): no
//! allocation on this path.
//!
//! No reason depends on `Debug`: the chip build compiles with
//! `-Zfmt-debug=none`, where `{:?}` prints nothing (docs/SIZE.md). rustls's
//! wire enums are named by their `as_str()` (hex when unnamed), its error
//! enums by `name()` (vendor/rustls/PATCHES.md), everything else by our words.

use core::fmt;

use rustls::{
    AlertDescription as A, CertificateError as C, ContentType, Error as E, HandshakeType,
    InvalidMessage as M, PeerIncompatible as I, PeerMisbehaved as P,
};

use super::provider;
use crate::error::{code, Failure};
use crate::fail;

/// Which end we are, for errors whose meaning depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn peer(self) -> &'static str {
        match self {
            Side::Client => "server",
            Side::Server => "client",
        }
    }
}

/// What we offer, compactly: "TLS1.3 AES128/CHACHA20/AES256; TLS1.2 ECDHE-ECDSA/RSA ...".
pub struct Offered;

impl fmt::Display for Offered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every TLS 1.2 cipher exists for both ECDSA and RSA: list it once.
        let mut v13 = Ciphers::default();
        let mut v12 = Ciphers::default();
        for name in provider::suite_names() {
            let c = if name.starts_with("TLS13_") {
                &mut v13
            } else {
                &mut v12
            };
            c.add(name);
        }
        if !v13.is_empty() {
            write!(f, "TLS1.3 {v13}, ")?;
        }
        write!(f, "TLS1.2 ECDHE-ECDSA/RSA {v12}; groups ")?;
        for (i, g) in provider::group_names().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(g)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Ciphers {
    aes128: bool,
    aes256: bool,
    chacha: bool,
}

impl Ciphers {
    fn add(&mut self, suite: &str) {
        self.aes128 |= suite.contains("AES_128");
        self.aes256 |= suite.contains("AES_256");
        self.chacha |= suite.contains("CHACHA20");
    }
    fn is_empty(&self) -> bool {
        !(self.aes128 || self.aes256 || self.chacha)
    }
}

impl fmt::Display for Ciphers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (on, name) in [
            (self.aes128, "AES128-GCM"),
            (self.chacha, "CHACHA20"),
            (self.aes256, "AES256-GCM"),
        ] {
            if on {
                write!(f, "{sep}{name}")?;
                sep = "/";
            }
        }
        Ok(())
    }
}

/// A rustls wire enum (`enum_builder!`) by its name, or its type and value in
/// hex when rustls has no name for it: `HandshakeFailure`, `AlertDescription(0x99)`.
struct Named {
    name: Option<&'static str>,
    ty: &'static str,
    value: u8,
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(n) => f.write_str(n),
            None => write!(f, "{}(0x{:02x})", self.ty, self.value),
        }
    }
}

fn alert_name(a: A) -> Named {
    Named {
        name: a.as_str(),
        ty: "AlertDescription",
        value: a.into(),
    }
}

fn content_name(t: ContentType) -> Named {
    Named {
        name: t.as_str(),
        ty: "ContentType",
        value: t.into(),
    }
}

fn handshake_name(t: HandshakeType) -> Named {
    Named {
        name: t.as_str(),
        ty: "HandshakeType",
        value: t.into(),
    }
}

/// Handshake types as `Finished or NewSessionTicket`.
struct HandshakeTypes<'a>(&'a [HandshakeType]);

impl fmt::Display for HandshakeTypes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{}", handshake_name(*t))?;
        }
        Ok(())
    }
}

/// Why a CA certificate cannot become a trust anchor (a `RootCertStore::add`
/// error), completing "CA certificate #n cannot be used as a trust anchor: ".
pub fn anchor_problem(e: &E) -> &'static str {
    match e {
        E::InvalidCertificate(C::BadEncoding) => "not valid DER",
        _ => "webpki cannot read it (not an X.509 v3 certificate?)",
    }
}

/// Map any rustls error to a code and reason. Every `rustls::Error` variant
/// is listed; nested enums are grouped by what the user can do about them.
/// A record of `len` payload bytes over the `limit` the peer agreed to
/// with max_fragment_length or record_size_limit (rustls sent it a
/// record_overflow alert).
pub fn over_agreed_limit(len: usize, limit: usize, side: Side) -> Failure {
    fail!(
        code::SSL_INVALID_RECORD,
        "{} sent a record of {len} bytes over the {limit} it agreed to (fragment length asked with espconn_secure_set_fragment_length or _set_size)",
        side.peer()
    )
}

pub fn map(e: &E, side: Side) -> Failure {
    let peer = side.peer();
    match e {
        E::InappropriateMessage { got_type, .. } => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent an unexpected {} record",
            content_name(*got_type)
        ),
        E::InappropriateHandshakeMessage { got_type, expect_types } => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent handshake message {}, expected {}",
            handshake_name(*got_type),
            HandshakeTypes(expect_types)
        ),
        // This library never configures ECH (it is compiled out of the
        // vendored rustls: vendor/rustls/PATCHES.md).
        E::InvalidEncryptedClientHello(_) => fail!(
            code::SSL_BAD_INPUT_DATA,
            "encrypted ClientHello (ECH) is not supported by this build"
        ),
        E::InvalidMessage(m) => invalid_message(m, peer),
        E::NoCertificatesPresented => match side {
            Side::Client => fail!(code::SSL_BAD_HS_CERTIFICATE, "server sent no certificate"),
            Side::Server => fail!(
                code::SSL_NO_CLIENT_CERTIFICATE,
                "client sent no certificate, but one is required (espconn_secure_ca_enable for ESPCONN_SERVER)"
            ),
        },
        E::UnsupportedNameType => {
            fail!(code::SSL_BAD_HS_CLIENT_HELLO, "client sent an unsupported SNI name type")
        }
        E::DecryptError => fail!(
            code::SSL_INVALID_MAC,
            "record from the {peer} failed authentication (bad MAC): data corrupted or injected on the way"
        ),
        E::EncryptError => fail!(code::SSL_INTERNAL_ERROR, "encrypting a record failed"),
        E::PeerIncompatible(p) => incompatible(p, peer),
        E::PeerMisbehaved(p) => misbehaved(p, peer),
        E::AlertReceived(a) => alert(*a, peer),
        E::InvalidCertificate(c) => certificate(c, peer),
        // This library configures no revocation lists.
        E::InvalidCertRevocationList(_) => {
            fail!(code::X509_CERT_VERIFY_FAILED, "certificate revocation list unusable")
        }
        E::General(s) if s == provider::sign::KEY_UNSUPPORTED => fail!(
            code::PK_UNKNOWN_PK_ALG,
            "private key is not an ECDSA P-256/P-384 or RSA key this build supports"
        ),
        E::General(s) => fail!(code::SSL_INTERNAL_ERROR, "{s}"),
        E::FailedToGetCurrentTime => fail!(
            code::X509_CERT_VERIFY_FAILED,
            "time unknown, so certificate dates cannot be checked: wait for SNTP to synchronise before connecting"
        ),
        E::FailedToGetRandomBytes => {
            fail!(code::SSL_NO_RNG, "the hardware random number generator (os_get_random) failed")
        }
        E::HandshakeNotComplete => fail!(
            code::SSL_INTERNAL_ERROR,
            "operation needs a completed handshake"
        ),
        E::PeerSentOversizedRecord => fail!(
            code::SSL_INVALID_RECORD,
            "{peer} sent a record with more than 16384 bytes of plaintext (TLS maximum)"
        ),
        E::NoApplicationProtocol => {
            fail!(code::SSL_BAD_HS_SERVER_HELLO, "no ALPN protocol in common")
        }
        E::BadMaxFragmentSize => {
            fail!(code::SSL_BAD_INPUT_DATA, "invalid maximum fragment size")
        }
        E::InconsistentKeys(k) => fail!(
            code::PK_TYPE_MISMATCH,
            "private key does not match the certificate ({})",
            match k {
                rustls::InconsistentKeys::KeyMismatch => "the public keys differ",
                _ => "the key cannot give its public key",
            }
        ),
        E::Other(_) => fail!(code::SSL_INTERNAL_ERROR, "TLS engine error"),
        // `Error` is non_exhaustive; every variant of this rustls is listed.
        _ => fail!(code::SSL_INTERNAL_ERROR, "TLS engine error (an unlisted kind)"),
    }
}

fn invalid_message(m: &M, peer: &str) -> Failure {
    match m {
        M::InvalidContentType | M::UnknownProtocolVersion => fail!(
            code::SSL_INVALID_RECORD,
            "{peer} sent data that is not a TLS record: wrong port (plain HTTP?) or not a TLS peer"
        ),
        M::MessageTooLarge => fail!(
            code::SSL_INVALID_RECORD,
            "{peer} sent a record larger than TLS allows"
        ),
        M::CertificatePayloadTooLarge => fail!(
            code::SSL_BAD_HS_CERTIFICATE,
            "{peer}'s certificate message is too large"
        ),
        M::HandshakePayloadTooLarge => fail!(
            code::SSL_INVALID_RECORD,
            "{peer} sent a handshake message larger than rustls accepts"
        ),
        M::InvalidDhParams | M::MissingKeyExchange | M::UnsupportedCurveType => fail!(
            code::SSL_BAD_HS_SERVER_KEY_EXCHANGE,
            "{peer}'s key exchange is malformed: {}",
            m.name()
        ),
        M::InvalidCertRequest | M::NoSignatureSchemes => fail!(
            code::SSL_BAD_HS_CERTIFICATE_REQUEST,
            "{peer}'s certificate request is malformed: {}",
            m.name()
        ),
        M::UnexpectedMessage(what) => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent an unexpected {what} message"
        ),
        other => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "malformed message from the {peer}: {}",
            Malformed(other)
        ),
    }
}

/// What is wrong with a message: in words for the usual truncations,
/// otherwise rustls's name for it, with the part of the message it names.
struct Malformed<'a>(&'a M);

impl fmt::Display for Malformed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            M::MissingData(what) => write!(f, "{what} is cut short (MissingData)"),
            M::TrailingData(what) => write!(f, "{what} has bytes after its end (TrailingData)"),
            M::MessageTooShort => {
                f.write_str("a field runs past the message's end (MessageTooShort)")
            }
            M::UnexpectedMessage(what) | M::IllegalEmptyList(what) => {
                write!(f, "{} ({what})", self.0.name())
            }
            M::DuplicateExtension(t) => write!(f, "{} (0x{t:04x})", self.0.name()),
            other => f.write_str(other.name()),
        }
    }
}

fn incompatible(p: &I, peer: &str) -> Failure {
    match p {
        I::NoCipherSuitesInCommon | I::NoKxGroupsInCommon => fail!(
            code::SSL_NO_USABLE_CIPHERSUITE,
            "no cipher suite/group in common with the {peer}; we offer {}",
            Offered
        ),
        I::NoSignatureSchemesInCommon | I::NoCertificateRequestSignatureSchemesInCommon => fail!(
            code::SSL_NO_USABLE_CIPHERSUITE,
            "no signature algorithm in common with the {peer} (we verify ECDSA P-256/P-384 and RSA 2048-4096 as built)"
        ),
        I::ServerDoesNotSupportTls12Or13
        | I::ServerTlsVersionIsDisabledByOurConfig
        | I::Tls12NotOffered
        | I::Tls12NotOfferedOrEnabled
        | I::SupportedVersionsExtensionRequired => fail!(
            code::SSL_BAD_HS_PROTOCOL_VERSION,
            "no TLS version in common with the {peer} ({}); we speak TLS 1.2{}",
            p.name(),
            if cfg!(feature = "tls13") { " and 1.3" } else { "" }
        ),
        other => fail!(
            code::SSL_BAD_HS_SERVER_HELLO,
            "{peer} is incompatible: {}",
            other.name()
        ),
    }
}

fn misbehaved(p: &P, peer: &str) -> Failure {
    match p {
        P::InvalidKeyShare | P::WrongGroupForKeyShare | P::SignedKxWithWrongAlgorithm => fail!(
            code::SSL_BAD_HS_SERVER_KEY_EXCHANGE,
            "{peer} sent an invalid key exchange: {}",
            p.name()
        ),
        P::BadCertChainExtensions | P::UnsolicitedCertExtension => {
            fail!(
                code::SSL_BAD_HS_CERTIFICATE,
                "{peer}'s certificate message is invalid: {}",
                p.name()
            )
        }
        P::SignedHandshakeWithUnadvertisedSigScheme => fail!(
            code::SSL_BAD_HS_CERTIFICATE_VERIFY,
            "{peer} signed with an algorithm we did not offer"
        ),
        P::SelectedUnofferedCipherSuite
        | P::SelectedUnofferedKxGroup
        | P::SelectedUnofferedCompression
        | P::SelectedUnusableCipherSuiteForVersion
        | P::SelectedTls12UsingTls13VersionExtension
        | P::AttemptedDowngradeToTls12WhenTls13IsSupported
        | P::UnsolicitedServerHelloExtension
        | P::UnsolicitedEncryptedExtension
        | P::DuplicateServerHelloExtensions => {
            fail!(
                code::SSL_BAD_HS_SERVER_HELLO,
                "{peer}'s hello is invalid: {}",
                p.name()
            )
        }
        P::IllegalMaxFragmentLength => fail!(
            code::SSL_BAD_HS_SERVER_HELLO,
            "{peer} answered our max_fragment_length request with another length"
        ),
        P::IllegalRecordSizeLimit => fail!(
            code::SSL_BAD_HS_SERVER_HELLO,
            "{peer}'s record_size_limit is invalid (below 64, or sent with max_fragment_length)"
        ),
        P::IllegalTlsInnerPlaintext | P::TooManyEmptyFragments => {
            fail!(
                code::SSL_INVALID_RECORD,
                "{peer} sent an invalid record: {}",
                p.name()
            )
        }
        other => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} broke the protocol: {}",
            other.name()
        ),
    }
}

fn alert(a: A, peer: &str) -> Failure {
    let hint = match a {
        A::HandshakeFailure | A::InsufficientSecurity => {
            return fail!(
                code::SSL_FATAL_ALERT_MESSAGE,
                "{peer} sent fatal alert {}: no suite/group in common? we offer {}",
                alert_name(a),
                Offered
            )
        }
        A::ProtocolVersion if cfg!(feature = "tls13") => {
            "it does not accept our TLS versions (1.2/1.3)"
        }
        A::ProtocolVersion => "it does not accept TLS 1.2, the only version this build speaks",
        A::BadCertificate | A::UnsupportedCertificate | A::CertificateUnknown => {
            "it rejected our client certificate"
        }
        A::UnknownCA => "it does not trust the CA of our client certificate",
        A::CertificateRequired => "it requires a client certificate (set one with espconn_secure_cert_req / default certificate)",
        A::CertificateExpired => "our client certificate has expired",
        A::UnrecognisedName => "it does not serve this host name (check the SNI name)",
        A::DecryptError | A::BadRecordMac => "it could not verify our data",
        A::AccessDenied => "access denied",
        A::NoApplicationProtocol => {
            "it serves none of the ALPN protocols offered (espconn_secure_set_alpn)"
        }
        _ => "",
    };
    if hint.is_empty() {
        fail!(
            code::SSL_FATAL_ALERT_MESSAGE,
            "{peer} sent fatal alert {}",
            alert_name(a)
        )
    } else {
        fail!(
            code::SSL_FATAL_ALERT_MESSAGE,
            "{peer} sent fatal alert {}: {hint}",
            alert_name(a)
        )
    }
}

/// A server name for messages, without allocating.
pub struct Host<'a>(pub &'a rustls::pki_types::ServerName<'a>);

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use rustls::pki_types::{IpAddr, ServerName};
        match self.0 {
            ServerName::DnsName(d) => f.write_str(d.as_ref()),
            ServerName::IpAddress(IpAddr::V4(a)) => write!(f, "{}", super::x509::Ip(a.as_ref())),
            ServerName::IpAddress(IpAddr::V6(a)) => write!(f, "{}", super::x509::Ip(a.as_ref())),
            _ => f.write_str("(a name of a kind this build does not know)"),
        }
    }
}

fn certificate(c: &C, peer: &str) -> Failure {
    use super::x509::Date;
    let v = code::X509_CERT_VERIFY_FAILED;
    match c {
        C::BadEncoding => fail!(code::SSL_BAD_HS_CERTIFICATE, "{peer}'s certificate is not valid DER"),
        C::Expired => fail!(v, "{peer}'s certificate has expired"),
        C::ExpiredContext { time, not_after } => fail!(
            v,
            "{peer}'s certificate expired on {}; time used: {}",
            Date(not_after.as_secs()),
            Date(time.as_secs())
        ),
        C::NotValidYet => fail!(v, "{peer}'s certificate is not valid yet"),
        C::NotValidYetContext { time, not_before } => fail!(
            v,
            "{peer}'s certificate is not valid before {}; time used: {}",
            Date(not_before.as_secs()),
            Date(time.as_secs())
        ),
        C::UnknownIssuer => fail!(v, "unknown CA: {peer}'s chain does not lead to a configured CA"),
        C::BadSignature => fail!(v, "a signature in the {peer}'s chain does not verify"),
        C::NotValidForName => fail!(v, "{peer}'s certificate is not valid for the expected host name"),
        // The verifier names the certificate's own names (webpki's
        // `presented` list is made with `Debug`, empty on the chip).
        C::NotValidForNameContext { expected, .. } => fail!(
            v,
            "{peer}'s certificate is not valid for '{}'",
            Host(expected)
        ),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => fail!(
            v,
            "{peer}'s certificate is not valid for TLS {} authentication (extended key usage)",
            if peer == "server" { "server" } else { "client" }
        ),
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => fail!(
            v,
            "{peer}'s chain uses a signature algorithm this build cannot verify (ECDSA P-256/P-384, RSA PKCS#1/PSS supported)"
        ),
        C::Revoked => fail!(v, "{peer}'s certificate is revoked"),
        C::UnhandledCriticalExtension => fail!(v, "{peer}'s certificate has an unsupported critical extension"),
        C::ApplicationVerificationFailure => fail!(v, "{peer}'s certificate was rejected"),
        // Configured by this library only without revocation lists or OCSP.
        C::UnknownRevocationStatus
        | C::ExpiredRevocationList
        | C::ExpiredRevocationListContext { .. }
        | C::InvalidOcspResponse => fail!(v, "{peer}'s certificate revocation status is unusable"),
        // webpki's other refusals; rustls's no_std build keeps no detail.
        _ => fail!(
            v,
            "{peer}'s chain rejected by webpki (e.g. a CA certificate as the end entity, a broken path length or name constraint, an unsupported version)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use rustls::pki_types::{ServerName, UnixTime};

    fn check(e: E, code: i32, needle: &str) {
        let f = map(&e, Side::Client);
        // Display only: these messages must read under -Zfmt-debug=none too.
        assert_eq!(f.code, code, "{e} -> {}", f.reason);
        assert!(
            f.reason.as_str().contains(needle),
            "{e}: reason '{}' lacks '{needle}'",
            f.reason
        );
    }

    #[test]
    fn fatal_alert_maps_to_fatal_alert_code_and_names_alert() {
        check(
            E::AlertReceived(A::HandshakeFailure),
            code::SSL_FATAL_ALERT_MESSAGE,
            "HandshakeFailure",
        );
        check(
            E::AlertReceived(A::HandshakeFailure),
            code::SSL_FATAL_ALERT_MESSAGE,
            "we offer",
        );
        check(
            E::AlertReceived(A::UnknownCA),
            code::SSL_FATAL_ALERT_MESSAGE,
            "UnknownCA",
        );
        check(
            E::AlertReceived(A::InternalError),
            code::SSL_FATAL_ALERT_MESSAGE,
            "InternalError",
        );
    }

    #[test]
    fn bad_mac_maps_to_invalid_mac() {
        check(E::DecryptError, code::SSL_INVALID_MAC, "bad MAC");
    }

    #[test]
    fn non_tls_bytes_map_to_invalid_record() {
        check(
            E::InvalidMessage(M::InvalidContentType),
            code::SSL_INVALID_RECORD,
            "not a TLS record",
        );
        check(
            E::InvalidMessage(M::UnknownProtocolVersion),
            code::SSL_INVALID_RECORD,
            "HTTP",
        );
        check(
            E::PeerSentOversizedRecord,
            code::SSL_INVALID_RECORD,
            "16384",
        );
    }

    #[test]
    fn certificate_failures_map_to_x509_verify_failed_with_details() {
        let t = |s| UnixTime::since_unix_epoch(core::time::Duration::from_secs(s));
        check(
            E::InvalidCertificate(C::ExpiredContext {
                time: t(1_800_000_000),
                not_after: t(1_700_000_000),
            }),
            code::X509_CERT_VERIFY_FAILED,
            "expired on 2023-11-14 22:13:20 UTC; time used: 2027-01-15",
        );
        check(
            E::InvalidCertificate(C::NotValidYetContext {
                time: t(0),
                not_before: t(1_700_000_000),
            }),
            code::X509_CERT_VERIFY_FAILED,
            "time used: 1970-01-01",
        );
        check(
            E::InvalidCertificate(C::UnknownIssuer),
            code::X509_CERT_VERIFY_FAILED,
            "unknown CA",
        );
        let expected = ServerName::try_from("example.com").unwrap();
        check(
            E::InvalidCertificate(C::NotValidForNameContext {
                expected,
                presented: vec!["DnsName(\"other.test\")".into()],
            }),
            code::X509_CERT_VERIFY_FAILED,
            "not valid for 'example.com'",
        );
        check(
            E::InvalidCertificate(C::BadSignature),
            code::X509_CERT_VERIFY_FAILED,
            "signature",
        );
        check(
            E::InvalidCertificate(C::BadEncoding),
            code::SSL_BAD_HS_CERTIFICATE,
            "DER",
        );
    }

    #[test]
    fn no_shared_suite_says_what_we_offered() {
        check(
            E::PeerIncompatible(I::NoCipherSuitesInCommon),
            code::SSL_NO_USABLE_CIPHERSUITE,
            "TLS1.2 ECDHE-ECDSA/RSA",
        );
        check(
            E::PeerIncompatible(I::ServerDoesNotSupportTls12Or13),
            code::SSL_BAD_HS_PROTOCOL_VERSION,
            "TLS 1.2",
        );
    }

    #[test]
    fn remaining_variants_get_their_nearest_code() {
        check(E::FailedToGetRandomBytes, code::SSL_NO_RNG, "os_get_random");
        check(
            E::FailedToGetCurrentTime,
            code::X509_CERT_VERIFY_FAILED,
            "SNTP",
        );
        check(
            E::General(provider::sign::KEY_UNSUPPORTED.into()),
            code::PK_UNKNOWN_PK_ALG,
            "private key",
        );
        check(
            E::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch),
            code::PK_TYPE_MISMATCH,
            "does not match",
        );
        check(
            E::InappropriateMessage {
                expect_types: vec![ContentType::Handshake],
                got_type: ContentType::ApplicationData,
            },
            code::SSL_UNEXPECTED_MESSAGE,
            "ApplicationData",
        );
        check(
            E::PeerMisbehaved(P::InvalidKeyShare),
            code::SSL_BAD_HS_SERVER_KEY_EXCHANGE,
            "InvalidKeyShare",
        );
        check(
            E::PeerMisbehaved(P::SelectedUnofferedCipherSuite),
            code::SSL_BAD_HS_SERVER_HELLO,
            "Unoffered",
        );
        check(E::EncryptError, code::SSL_INTERNAL_ERROR, "encrypt");
        check(
            E::HandshakeNotComplete,
            code::SSL_INTERNAL_ERROR,
            "handshake",
        );
        check(
            E::NoApplicationProtocol,
            code::SSL_BAD_HS_SERVER_HELLO,
            "ALPN",
        );
        check(E::BadMaxFragmentSize, code::SSL_BAD_INPUT_DATA, "fragment");
        check(
            E::NoCertificatesPresented,
            code::SSL_BAD_HS_CERTIFICATE,
            "no certificate",
        );
        let f = map(&E::NoCertificatesPresented, Side::Server);
        assert_eq!(f.code, code::SSL_NO_CLIENT_CERTIFICATE);
    }

    // The needles below are the values themselves (alert, record and
    // message type names, rustls's error variant names, addresses): `make
    // test` also runs this module with `-Zfmt-debug=none`, where any of them
    // still printed through `Debug` would be missing.
    #[test]
    fn wire_values_are_named_without_debug_and_unnamed_ones_in_hex() {
        check(
            E::AlertReceived(A::Unknown(0x99)),
            code::SSL_FATAL_ALERT_MESSAGE,
            "sent fatal alert AlertDescription(0x99)",
        );
        check(
            E::AlertReceived(A::CertificateExpired),
            code::SSL_FATAL_ALERT_MESSAGE,
            "fatal alert CertificateExpired: our client certificate has expired",
        );
        check(
            E::InappropriateMessage {
                expect_types: vec![ContentType::Handshake],
                got_type: ContentType::Unknown(0x63),
            },
            code::SSL_UNEXPECTED_MESSAGE,
            "unexpected ContentType(0x63) record",
        );
        check(
            E::InappropriateHandshakeMessage {
                expect_types: vec![HandshakeType::ServerHello, HandshakeType::HelloRetryRequest],
                got_type: HandshakeType::Certificate,
            },
            code::SSL_UNEXPECTED_MESSAGE,
            "handshake message Certificate, expected ServerHello or HelloRetryRequest",
        );
        check(
            E::InappropriateHandshakeMessage {
                expect_types: vec![HandshakeType::Finished],
                got_type: HandshakeType::Unknown(0xee),
            },
            code::SSL_UNEXPECTED_MESSAGE,
            "HandshakeType(0xee), expected Finished",
        );
    }

    #[test]
    fn rustls_error_variants_are_named_without_debug() {
        check(
            E::PeerMisbehaved(P::SelectedUnofferedCipherSuite),
            code::SSL_BAD_HS_SERVER_HELLO,
            "hello is invalid: SelectedUnofferedCipherSuite",
        );
        check(
            E::PeerMisbehaved(P::TooManyKeyUpdateRequests),
            code::SSL_UNEXPECTED_MESSAGE,
            "broke the protocol: TooManyKeyUpdateRequests",
        );
        check(
            E::PeerMisbehaved(P::IllegalTlsInnerPlaintext),
            code::SSL_INVALID_RECORD,
            "invalid record: IllegalTlsInnerPlaintext",
        );
        check(
            E::PeerIncompatible(I::ServerDoesNotSupportTls12Or13),
            code::SSL_BAD_HS_PROTOCOL_VERSION,
            "(ServerDoesNotSupportTls12Or13)",
        );
        check(
            E::PeerIncompatible(I::NullCompressionRequired),
            code::SSL_BAD_HS_SERVER_HELLO,
            "incompatible: NullCompressionRequired",
        );
        check(
            E::InvalidMessage(M::UnsupportedCurveType),
            code::SSL_BAD_HS_SERVER_KEY_EXCHANGE,
            "malformed: UnsupportedCurveType",
        );
        check(
            E::InvalidMessage(M::TrailingData("ServerHelloPayload")),
            code::SSL_UNEXPECTED_MESSAGE,
            "ServerHelloPayload has bytes after its end (TrailingData)",
        );
        check(
            E::InvalidMessage(M::MissingData("CertificateEntry")),
            code::SSL_UNEXPECTED_MESSAGE,
            "CertificateEntry is cut short",
        );
        check(
            E::InvalidMessage(M::DuplicateExtension(0x17)),
            code::SSL_UNEXPECTED_MESSAGE,
            "DuplicateExtension (0x0017)",
        );
        check(
            E::InvalidMessage(M::InvalidCcs),
            code::SSL_UNEXPECTED_MESSAGE,
            "from the server: InvalidCcs",
        );
        check(
            E::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch),
            code::PK_TYPE_MISMATCH,
            "public keys differ",
        );
    }

    #[test]
    fn generated_names_are_the_variant_identifiers() {
        // vendor/rustls's `name()`: the identifier, without fields.
        assert_eq!(P::InvalidKeyShare.name(), "InvalidKeyShare");
        assert_eq!(P::UnsolicitedEchExtension.name(), "UnsolicitedEchExtension");
        assert_eq!(I::Tls12NotOffered.name(), "Tls12NotOffered");
        assert_eq!(
            I::ServerRejectedEncryptedClientHello(None).name(),
            "ServerRejectedEncryptedClientHello"
        );
        assert_eq!(M::MissingData("x").name(), "MissingData");
        assert_eq!(
            M::UnknownCertificateExtension.name(),
            "UnknownCertificateExtension"
        );
    }

    #[test]
    fn ip_server_names_print_as_addresses() {
        use rustls::pki_types::IpAddr;
        check(
            E::InvalidCertificate(C::NotValidForNameContext {
                expected: ServerName::IpAddress(IpAddr::V4([10, 0, 0, 1].into())),
                presented: vec![],
            }),
            code::X509_CERT_VERIFY_FAILED,
            "not valid for '10.0.0.1'",
        );
        let v6 = ServerName::try_from("2001:db8::1").unwrap();
        check(
            E::InvalidCertificate(C::NotValidForNameContext {
                expected: v6,
                presented: vec![],
            }),
            code::X509_CERT_VERIFY_FAILED,
            "not valid for '2001:db8:0:0:0:0:0:1'",
        );
    }

    #[test]
    fn trust_anchor_problems_say_what_is_wrong() {
        let mut roots = rustls::RootCertStore::empty();
        let e = roots
            .add(rustls::pki_types::CertificateDer::from(
                &b"\x30\x03\x02\x01\x00"[..],
            ))
            .unwrap_err();
        assert_eq!(anchor_problem(&e), "not valid DER");
    }

    #[test]
    fn reasons_fit_the_inline_buffer_without_truncating_key_facts() {
        // The longest reason: the offered list must still name the groups.
        let f = map(&E::AlertReceived(A::HandshakeFailure), Side::Client);
        assert!(f.reason.as_str().len() <= crate::error::Reason::CAP);
        assert!(f.reason.as_str().contains("groups"), "{}", f.reason);
    }
}
