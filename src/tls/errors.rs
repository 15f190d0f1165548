//! The ONE table from rustls errors to mbedTLS codes and reasons.
//!
//! Codes follow what mbedTLS 2.x (the vendor library) reports for the same
//! situation, so firmware matching on `Reason:[-0x....]` or on the reconnect
//! callback's value keeps working; reasons say what happened and what to do.
//! Formatting goes into the fixed-size [`Reason`](crate::error::Reason): no
//! allocation on this path.

use core::fmt;

use rustls::{
    AlertDescription as A, CertificateError as C, Error as E, InvalidMessage as M,
    PeerIncompatible as I, PeerMisbehaved as P,
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

/// Map any rustls error to a code and reason. Every `rustls::Error` variant
/// is listed; nested enums are grouped by what the user can do about them.
pub fn map(e: &E, side: Side) -> Failure {
    let peer = side.peer();
    match e {
        E::InappropriateMessage { got_type, .. } => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent an unexpected {got_type:?} record"
        ),
        E::InappropriateHandshakeMessage { got_type, expect_types } => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent handshake message {got_type:?}, expected {expect_types:?}"
        ),
        E::InvalidEncryptedClientHello(x) => {
            fail!(code::SSL_BAD_INPUT_DATA, "encrypted ClientHello: {x:?}")
        }
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
        E::InvalidCertRevocationList(x) => {
            fail!(code::X509_CERT_VERIFY_FAILED, "certificate revocation list unusable: {x:?}")
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
            "private key does not match the certificate ({k:?})"
        ),
        E::Other(_) => fail!(code::SSL_INTERNAL_ERROR, "TLS engine error"),
        other => fail!(code::SSL_INTERNAL_ERROR, "TLS engine error: {other:?}"),
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
            "{peer}'s key exchange is malformed: {m:?}"
        ),
        M::InvalidCertRequest | M::NoSignatureSchemes => fail!(
            code::SSL_BAD_HS_CERTIFICATE_REQUEST,
            "{peer}'s certificate request is malformed: {m:?}"
        ),
        M::UnexpectedMessage(what) => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} sent an unexpected {what} message"
        ),
        other => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "malformed message from the {peer}: {other:?}"
        ),
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
            "no TLS version in common with the {peer} ({p:?}); we speak TLS 1.2{}",
            if cfg!(feature = "tls13") { " and 1.3" } else { "" }
        ),
        other => fail!(code::SSL_BAD_HS_SERVER_HELLO, "{peer} is incompatible: {other:?}"),
    }
}

fn misbehaved(p: &P, peer: &str) -> Failure {
    match p {
        P::InvalidKeyShare | P::WrongGroupForKeyShare | P::SignedKxWithWrongAlgorithm => fail!(
            code::SSL_BAD_HS_SERVER_KEY_EXCHANGE,
            "{peer} sent an invalid key exchange: {p:?}"
        ),
        P::BadCertChainExtensions | P::UnsolicitedCertExtension => {
            fail!(
                code::SSL_BAD_HS_CERTIFICATE,
                "{peer}'s certificate message is invalid: {p:?}"
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
                "{peer}'s hello is invalid: {p:?}"
            )
        }
        P::IllegalTlsInnerPlaintext | P::TooManyEmptyFragments => {
            fail!(
                code::SSL_INVALID_RECORD,
                "{peer} sent an invalid record: {p:?}"
            )
        }
        other => fail!(
            code::SSL_UNEXPECTED_MESSAGE,
            "{peer} broke the protocol: {other:?}"
        ),
    }
}

fn alert(a: A, peer: &str) -> Failure {
    let hint = match a {
        A::HandshakeFailure | A::InsufficientSecurity => {
            return fail!(
                code::SSL_FATAL_ALERT_MESSAGE,
                "{peer} sent fatal alert {a:?}: no suite/group in common? we offer {}",
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
            "{peer} sent fatal alert {a:?}"
        )
    } else {
        fail!(
            code::SSL_FATAL_ALERT_MESSAGE,
            "{peer} sent fatal alert {a:?}: {hint}"
        )
    }
}

/// A server name for messages, without allocating.
struct Host<'a>(&'a rustls::pki_types::ServerName<'a>);

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            rustls::pki_types::ServerName::DnsName(d) => f.write_str(d.as_ref()),
            rustls::pki_types::ServerName::IpAddress(ip) => write!(f, "{ip:?}"),
            other => write!(f, "{other:?}"),
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
        C::NotValidForNameContext { expected, presented } => fail!(
            v,
            "{peer}'s certificate is for {presented:?}, not '{}'",
            Host(expected)
        ),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => fail!(
            v,
            "{peer}'s certificate is not valid for TLS {} authentication (extended key usage)",
            if peer == "server" { "server" } else { "client" }
        ),
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => fail!(
            v,
            "{peer}'s chain uses a signature algorithm this build cannot verify (ECDSA P-256/P-384, RSA PKCS#1/PSS supported)"
        ),
        C::Revoked => fail!(v, "{peer}'s certificate is revoked"),
        C::UnhandledCriticalExtension => fail!(v, "{peer}'s certificate has an unsupported critical extension"),
        C::ApplicationVerificationFailure => fail!(v, "{peer}'s certificate was rejected"),
        other => fail!(v, "{peer}'s certificate rejected: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::ContentType;

    fn check(e: E, code: i32, needle: &str) {
        let f = map(&e, Side::Client);
        assert_eq!(f.code, code, "{e:?} -> {}", f.reason);
        assert!(
            f.reason.as_str().contains(needle),
            "{e:?}: reason {:?} lacks {needle:?}",
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
            "not 'example.com'",
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

    #[test]
    fn reasons_fit_the_inline_buffer_without_truncating_key_facts() {
        // The longest reason: the offered list must still name the groups.
        let f = map(&E::AlertReceived(A::HandshakeFailure), Side::Client);
        assert!(f.reason.as_str().len() <= crate::error::Reason::CAP);
        assert!(f.reason.as_str().contains("groups"), "{}", f.reason);
    }
}
