//! Engine tests: our client against our server (both rustls with our
//! provider) over in-memory pipes, with the PKI in tests/fixtures/tls
//! (regenerate with its gen.sh).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::error::{code, Failure};
use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

mod memory;
#[cfg(feature = "kx-p384")]
mod p384_arith;
mod point_mul;

/// Inside every fixture's validity (2026-11-27 .. 2046-11-22).
pub(crate) const NOW: u64 = 1_811_808_000; // 2027-06-01
const AFTER_EXPIRY: u64 = 2_429_913_600; // 2047-01-01
const BEFORE_ISSUE: u64 = 1_767_225_600; // 2026-01-01

pub(crate) fn cert(der: &[u8]) -> CertificateDer<'static> {
    CertificateDer::from(der.to_vec())
}

pub(crate) fn pkcs8(der: &[u8]) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "ecdsa-p384"), allow(dead_code))]
pub(crate) enum Pki {
    Ec,
    Rsa,
    Weak,
    Ec384,
}

pub(crate) fn server_identity(pki: Pki) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    match pki {
        Pki::Ec => (
            vec![cert(fixture!("ec-leaf.der")), cert(fixture!("ec-int.der"))],
            pkcs8(fixture!("ec-leaf.key.der")),
        ),
        Pki::Ec384 => (
            vec![
                cert(fixture!("ec384-leaf.der")),
                cert(fixture!("ec-int.der")),
            ],
            pkcs8(fixture!("ec384-leaf.key.der")),
        ),
        Pki::Rsa => (
            vec![
                cert(fixture!("rsa-leaf.der")),
                cert(fixture!("rsa-int.der")),
            ],
            pkcs8(fixture!("rsa-leaf.key.der")),
        ),
        Pki::Weak => (
            vec![cert(fixture!("weak-leaf.der"))],
            pkcs8(fixture!("weak-leaf.key.der")),
        ),
    }
}

pub(crate) fn root(pki: Pki) -> CertificateDer<'static> {
    match pki {
        Pki::Ec | Pki::Ec384 => cert(fixture!("ec-root.der")),
        Pki::Rsa => cert(fixture!("rsa-root.der")),
        Pki::Weak => cert(fixture!("weak-root.der")),
    }
}

pub(crate) fn server_params(pki: Pki) -> ServerParams {
    let (chain, key) = server_identity(pki);
    ServerParams {
        chain,
        key,
        client_roots: None,
        client_bundle: None,
        time: TimeSource::Fixed(NOW),
        max_record: TLS_MAX_PLAINTEXT,
        tls13: true,
        max_fragment: MAX_SEND_PLAINTEXT,
        resumption: None,
        session_cache: false,
    }
}

/// TLS 1.3 signs with RSA-PSS only: RSA chains need the `rsa-pss` feature
/// for it (without it the server refuses with "no signature algorithm in
/// common", which is what a profile-small build meets with RSA servers).
/// Without the `tls13` feature (profile-small) there is no TLS 1.3 at all.
pub(crate) fn tls13_ok(pki: Pki) -> bool {
    cfg!(feature = "tls13") && (matches!(pki, Pki::Ec | Pki::Ec384) || cfg!(feature = "rsa-pss"))
}

pub(crate) fn client_params(pki: Pki) -> ClientParams {
    ClientParams {
        roots: Some(vec![root(pki)]),
        bundle: None,
        hostname: Some("test.example".into()),
        identity: None,
        time: TimeSource::Fixed(NOW),
        max_record: TLS_MAX_PLAINTEXT,
        tls13: tls13_ok(pki),
        alpn: Vec::new(),
        session: None,
        pins: None,
        fragment_length: 0,
    }
}

/// Which side failed: (client, server).
pub(crate) type PumpError = (Option<Failure>, Option<Failure>);

std::thread_local! {
    /// Plaintext the pump had to read so that more records could come in
    /// (the engine holds one decrypted record at a time, in its receive
    /// buffer): client's, server's; `read_all_*` return it first, in order.
    static READ_BY_PUMP: core::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        const { core::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Read the record that blocks `read` (the client's or the server's) into
/// the pump's stash.
fn unblock(read: &mut dyn FnMut(&mut [u8]) -> usize, client: bool) {
    let mut buf = [0u8; 1024];
    loop {
        let n = read(&mut buf);
        if n == 0 {
            return;
        }
        READ_BY_PUMP.with(|r| {
            let mut r = r.borrow_mut();
            let stash = if client { &mut r.0 } else { &mut r.1 };
            stash.extend_from_slice(&buf[..n]);
        });
    }
}

/// Move bytes both ways until neither side has anything to say. `chunk`
/// limits how many bytes are offered per `receive` call. Returns the events
/// each side reported.
pub(crate) fn pump(
    c: &mut TlsClient,
    s: &mut TlsServer,
    chunk: usize,
) -> Result<(Vec<Event>, Vec<Event>), PumpError> {
    let mut cev = Vec::new();
    let mut sev = Vec::new();
    for _ in 0..100_000 {
        let mut progress = false;
        // client -> server
        let out = c.output().to_vec();
        if !out.is_empty() {
            let mut off = 0;
            while off < out.len() {
                let end = off.saturating_add(chunk).min(out.len());
                let n = s.receive(&out[off..end]).map_err(|f| (None, Some(f)))?;
                off += n;
                let ev = s.process().map_err(|f| (None, Some(f)))?;
                if ev != Event::None {
                    sev.push(ev);
                }
                if n == 0 && s.readable() == 0 {
                    break;
                }
                if n == 0 {
                    unblock(&mut |b| s.read(b), false);
                }
            }
            c.consume_output(off);
            progress |= off > 0;
        }
        let out = s.output().to_vec();
        if !out.is_empty() {
            let mut off = 0;
            while off < out.len() {
                let end = off.saturating_add(chunk).min(out.len());
                let n = c.receive(&out[off..end]).map_err(|f| (Some(f), None))?;
                off += n;
                let ev = c.process().map_err(|f| (Some(f), None))?;
                if ev != Event::None {
                    cev.push(ev);
                }
                if n == 0 && c.readable() == 0 {
                    break;
                }
                if n == 0 {
                    unblock(&mut |b| c.read(b), true);
                }
            }
            s.consume_output(off);
            progress |= off > 0;
        }
        // Pending events (e.g. PeerClosed after HandshakeComplete).
        for _ in 0..2 {
            match c.process() {
                Ok(Event::None) => {}
                Ok(ev) => {
                    cev.push(ev);
                    progress = true
                }
                Err(f) => return Err((Some(f), None)),
            }
            match s.process() {
                Ok(Event::None) => {}
                Ok(ev) => {
                    sev.push(ev);
                    progress = true
                }
                Err(f) => return Err((None, Some(f))),
            }
        }
        if !progress {
            return Ok((cev, sev));
        }
    }
    panic!("pump did not settle");
}

/// What the glue does with received records: process, read everything
/// readable (one record at a time: each read record makes room for the
/// next), again until nothing moves. Returns the data (after what the pump
/// already read) and the events, in order.
macro_rules! drain {
    ($side:expr, $stash:tt) => {{
        let side = $side;
        let mut data = READ_BY_PUMP.with(|r| core::mem::take(&mut r.borrow_mut().$stash));
        let mut events = Vec::new();
        let mut buf = [0u8; 700];
        loop {
            let ev = side.process();
            let mut moved = matches!(ev, Ok(e) if e != Event::None);
            if let Ok(e @ (Event::HandshakeComplete | Event::PeerClosed)) = ev {
                events.push(e);
            }
            loop {
                let n = side.read(&mut buf);
                if n == 0 {
                    break;
                }
                moved = true;
                data.extend_from_slice(&buf[..n]);
            }
            if !moved {
                return (data, events);
            }
        }
    }};
}

fn drain_client(c: &mut TlsClient) -> (Vec<u8>, Vec<Event>) {
    drain!(c, 0)
}

fn drain_server(s: &mut TlsServer) -> (Vec<u8>, Vec<Event>) {
    drain!(s, 1)
}

fn read_all_client(c: &mut TlsClient) -> Vec<u8> {
    drain_client(c).0
}

fn read_all_server(s: &mut TlsServer) -> Vec<u8> {
    drain_server(s).0
}

/// Handshake, then one request and one response; returns what was negotiated.
fn exchange(cp: ClientParams, sp: ServerParams, chunk: usize) -> Negotiated {
    let mut c = TlsClient::new(cp).expect("client");
    let mut s = TlsServer::new(sp).expect("server");
    let (cev, sev) = pump(&mut c, &mut s, chunk).expect("handshake");
    assert!(cev.contains(&Event::HandshakeComplete), "{cev:?}");
    assert!(sev.contains(&Event::HandshakeComplete), "{sev:?}");
    assert!(!c.is_handshaking());
    let req: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    c.write(&req).unwrap();
    pump(&mut c, &mut s, chunk).unwrap();
    assert_eq!(read_all_server(&mut s), req);
    let resp: Vec<u8> = (0..5000u32).map(|i| (i % 241) as u8).collect();
    s.write(&resp).unwrap();
    pump(&mut c, &mut s, chunk).unwrap();
    assert_eq!(read_all_client(&mut c), resp);
    c.negotiated().expect("negotiated")
}

fn client_failure(cp: ClientParams, sp: ServerParams) -> Failure {
    let mut c = TlsClient::new(cp).expect("client");
    let mut s = TlsServer::new(sp).expect("server");
    match pump(&mut c, &mut s, usize::MAX) {
        Ok(_) => panic!("handshake unexpectedly succeeded"),
        Err((Some(f), _)) => f,
        Err((None, Some(f))) => panic!("server failed first: {f:?}"),
        Err((None, None)) => unreachable!(),
    }
}

/// The EC server showing `chain` (leaf first) with the leaf's key `key`.
fn ec_server_with(chain: &[&'static [u8]], key: &'static [u8]) -> ServerParams {
    let mut sp = server_params(Pki::Ec);
    sp.chain = chain.iter().map(|d| cert(d)).collect();
    sp.key = pkcs8(key);
    sp
}

#[test]
fn two_intermediate_cas_in_a_row_are_verified() {
    let sp = ec_server_with(
        &[
            fixture!("ec-leaf2.der"),
            fixture!("ec-int2.der"),
            fixture!("ec-int.der"),
        ],
        fixture!("ec-leaf2.key.der"),
    );
    exchange(client_params(Pki::Ec), sp, usize::MAX);
}

#[test]
fn three_intermediate_cas_in_a_row_are_refused_before_path_building() {
    let sp = ec_server_with(
        &[
            fixture!("ec-leaf3.der"),
            fixture!("ec-int3.der"),
            fixture!("ec-int2.der"),
            fixture!("ec-int.der"),
        ],
        fixture!("ec-leaf3.key.der"),
    );
    let f = client_failure(client_params(Pki::Ec), sp);
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    assert!(
        f.reason
            .as_str()
            .contains("3 intermediate CAs in a row; the device verifies at most 2"),
        "{}",
        f.reason
    );
}

#[test]
fn a_root_the_server_sends_along_does_not_count_as_an_intermediate() {
    let sp = ec_server_with(
        &[
            fixture!("ec-leaf2.der"),
            fixture!("ec-int2.der"),
            fixture!("ec-int.der"),
            fixture!("ec-root.der"),
        ],
        fixture!("ec-leaf2.key.der"),
    );
    exchange(client_params(Pki::Ec), sp, usize::MAX);
}

#[cfg(feature = "tls13")]
#[test]
fn ec_chain_handshake_and_exchange_tls13() {
    let n = exchange(client_params(Pki::Ec), server_params(Pki::Ec), usize::MAX);
    assert_eq!(n.version, "TLSv1.3");
}

#[test]
fn ec_chain_handshake_and_exchange_tls12() {
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = false;
    let n = exchange(cp, server_params(Pki::Ec), usize::MAX);
    assert_eq!(n.version, "TLSv1.2");
    assert!(n.suite.contains("ECDHE_ECDSA"), "{n:?}");
}

#[test]
fn rsa_chain_handshake_and_exchange_tls12_and_tls13() {
    let n = exchange(client_params(Pki::Rsa), server_params(Pki::Rsa), usize::MAX);
    let v13 = if tls13_ok(Pki::Rsa) {
        "TLSv1.3"
    } else {
        "TLSv1.2"
    };
    assert_eq!(n.version, v13);
    let mut cp = client_params(Pki::Rsa);
    cp.tls13 = false;
    let n = exchange(cp, server_params(Pki::Rsa), usize::MAX);
    assert_eq!(n.version, "TLSv1.2");
    assert!(n.suite.contains("ECDHE_RSA"), "{n:?}");
}

#[cfg(feature = "ecdsa-p384")]
#[test]
fn p384_leaf_verifies() {
    exchange(
        client_params(Pki::Ec384),
        server_params(Pki::Ec384),
        usize::MAX,
    );
}

/// Each compiled-in suite and group negotiates when it is the only one the
/// server accepts.
#[test]
fn every_suite_and_group_offered_negotiates() {
    use rustls::crypto::CryptoProvider;
    for suite in provider::CIPHER_SUITES {
        for group in provider::KX_GROUPS {
            let mut only = provider::provider();
            only.cipher_suites = vec![*suite];
            only.kx_groups = vec![*group];
            let pki = match suite {
                rustls::SupportedCipherSuite::Tls12(s)
                    if s.common.suite.as_str().is_some_and(|n| n.contains("RSA")) =>
                {
                    Pki::Rsa
                }
                _ => Pki::Ec,
            };
            let n = restricted_exchange(client_params(pki), server_params(pki), only);
            assert_eq!(n.suite, suite.suite().as_str().unwrap());
            assert_eq!(n.group, group.name().as_str());
        }
    }
    let _: Option<CryptoProvider> = None;
}

/// Like `exchange`, but the server runs with a restricted provider.
fn restricted_exchange(
    cp: ClientParams,
    sp: ServerParams,
    prov: rustls::crypto::CryptoProvider,
) -> Negotiated {
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::with_provider(sp, prov).unwrap();
    pump(&mut c, &mut s, usize::MAX).expect("handshake");
    c.write(b"ping").unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    assert_eq!(read_all_server(&mut s), b"ping");
    c.negotiated().unwrap()
}

#[test]
fn bytes_arriving_one_at_a_time_complete_the_handshake() {
    exchange(client_params(Pki::Rsa), server_params(Pki::Rsa), 1);
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = false;
    exchange(cp, server_params(Pki::Ec), 1);
}

/// With `set_restep_after_verification` (what src/conn asks), a client's
/// `process()` returns once, right after it verified the server's chain,
/// the rest of the server's flight unprocessed (`restep()`), so that the
/// rest runs on the smaller verified stack; the next call processes it and
/// the handshake completes. Without it nothing changes (the other tests).
#[test]
fn with_restep_a_client_returns_once_right_after_verifying_the_chain() {
    for (pki, tls13) in [(Pki::Ec, false), (Pki::Rsa, false), (Pki::Ec, true)] {
        let mut cp = client_params(pki);
        cp.tls13 = tls13 && tls13_ok(pki);
        let mut c = TlsClient::new(cp).unwrap();
        c.set_restep_after_verification(true);
        let mut s = TlsServer::new(server_params(pki)).unwrap();
        c.process().unwrap();
        let hello = c.output().to_vec();
        c.consume_output(hello.len());
        assert_eq!(s.receive(&hello).unwrap(), hello.len());
        s.process().unwrap();
        let flight = s.output().to_vec();
        s.consume_output(flight.len());
        let (mut off, mut resteps, mut answered_at_restep) = (0, 0, 0);
        for _ in 0..64 {
            if off == flight.len() && !c.restep() {
                break;
            }
            off += c.receive(&flight[off..]).unwrap();
            assert!(!c.restep() || c.chain_verified());
            c.process().unwrap();
            if c.restep() {
                resteps += 1;
                assert!(c.chain_verified(), "{pki:?} tls13={tls13}");
                answered_at_restep = c.output().len();
            }
        }
        assert_eq!(resteps, 1, "{pki:?} tls13={tls13}");
        assert!(
            c.output().len() > answered_at_restep,
            "{pki:?} tls13={tls13}: the messages after the Certificate were left for the next call"
        );
        pump(&mut c, &mut s, usize::MAX).expect("the handshake completes");
        assert!(!c.is_handshaking() && !s.is_handshaking());
    }
}

#[test]
fn client_certificates_ec_and_rsa_are_accepted_by_a_verifying_server() {
    for (pki, cert_der, key) in [
        (
            Pki::Ec,
            fixture!("ec-client.der"),
            PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
                fixture!("ec-client.sec1.der").to_vec(),
            )),
        ),
        (
            Pki::Ec,
            fixture!("ec-client.der"),
            pkcs8(fixture!("ec-client.key.der")),
        ),
        (
            Pki::Rsa,
            fixture!("rsa-client.der"),
            PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
                fixture!("rsa-client.pkcs1.der").to_vec(),
            )),
        ),
        (
            Pki::Rsa,
            fixture!("rsa-client.der"),
            pkcs8(fixture!("rsa-client.key.der")),
        ),
    ] {
        for tls13 in [true, false] {
            let mut cp = client_params(pki);
            cp.tls13 = tls13 && tls13_ok(pki);
            let int = if pki == Pki::Ec {
                fixture!("ec-int.der")
            } else {
                fixture!("rsa-int.der")
            };
            cp.identity = Some((vec![cert(cert_der), cert(int)], key.clone_key()));
            let mut sp = server_params(pki);
            sp.client_roots = Some(vec![root(pki)]);
            let mut c = TlsClient::new(cp).unwrap();
            let mut s = TlsServer::new(sp).unwrap();
            pump(&mut c, &mut s, usize::MAX).expect("mTLS handshake");
            assert!(s.client_authenticated(), "{pki:?} tls13={tls13}");
        }
    }
}

#[test]
fn server_requiring_a_client_certificate_rejects_a_client_without_one() {
    let mut sp = server_params(Pki::Ec);
    sp.client_roots = Some(vec![root(Pki::Ec)]);
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    let err = pump(&mut c, &mut s, usize::MAX).unwrap_err();
    let f = err.1.expect("server fails");
    assert_eq!(f.code, code::SSL_NO_CLIENT_CERTIFICATE, "{f:?}");
}

/// The alert a client whose verification failed sends, as the server reads
/// it off the wire: the server's failure names it.
fn alert_the_server_receives(cp: ClientParams, sp: ServerParams) -> String {
    let mut c = TlsClient::new(cp).expect("client");
    let mut s = TlsServer::new(sp).expect("server");
    let err = pump(&mut c, &mut s, usize::MAX).unwrap_err();
    assert!(
        err.0.is_some() && err.1.is_none(),
        "the client fails: {err:?}"
    );
    let alert = c.output().to_vec();
    assert!(!alert.is_empty(), "the client sent no alert");
    s.receive(&alert).unwrap();
    let f = s.process().unwrap_err();
    assert_eq!(f.code, code::SSL_FATAL_ALERT_MESSAGE, "{f:?}");
    f.reason.as_str().into()
}

#[test]
fn unknown_ca_is_answered_with_the_unknown_ca_alert() {
    let mut cp = client_params(Pki::Ec);
    cp.roots = Some(vec![cert(fixture!("other-root.der"))]);
    let r = alert_the_server_receives(cp, server_params(Pki::Ec));
    assert!(r.contains("fatal alert UnknownCA"), "{r}");
}

#[test]
fn expired_chain_is_answered_with_the_certificate_expired_alert() {
    let mut cp = client_params(Pki::Ec);
    cp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let mut sp = server_params(Pki::Ec);
    sp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let r = alert_the_server_receives(cp, sp);
    assert!(r.contains("fatal alert CertificateExpired"), "{r}");
}

#[test]
fn not_yet_valid_chain_is_answered_with_the_certificate_expired_alert() {
    let mut cp = client_params(Pki::Rsa);
    cp.time = TimeSource::Fixed(BEFORE_ISSUE);
    let r = alert_the_server_receives(cp, server_params(Pki::Rsa));
    assert!(r.contains("fatal alert CertificateExpired"), "{r}");
}

#[test]
fn wrong_hostname_is_answered_with_the_bad_certificate_alert() {
    let mut cp = client_params(Pki::Ec);
    cp.hostname = Some("wrong.example".into());
    let r = alert_the_server_receives(cp, server_params(Pki::Ec));
    assert!(r.contains("fatal alert BadCertificate"), "{r}");
}

#[cfg(feature = "rsa-pkcs1")]
#[test]
fn rsa_1024_chain_is_answered_with_the_bad_certificate_alert() {
    let r = alert_the_server_receives(client_params(Pki::Weak), server_params(Pki::Weak));
    assert!(r.contains("fatal alert BadCertificate"), "{r}");
}

#[test]
fn unknown_ca_fails_with_verify_failed_naming_the_issuer() {
    let mut cp = client_params(Pki::Ec);
    cp.roots = Some(vec![cert(fixture!("other-root.der"))]);
    let f = client_failure(cp, server_params(Pki::Ec));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("unknown CA") && r.contains("CN=EC Test Root CA"),
        "{r}"
    );
}

#[test]
fn expired_chain_fails_with_dates_and_time_used() {
    let mut cp = client_params(Pki::Ec);
    cp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let mut sp = server_params(Pki::Ec);
    sp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let f = client_failure(cp, sp);
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("expired on 2046-11-2") && r.contains("time used: 2047-01-01"),
        "{r}"
    );
}

#[test]
fn not_yet_valid_chain_fails_with_dates_and_time_used() {
    let mut cp = client_params(Pki::Rsa);
    cp.time = TimeSource::Fixed(BEFORE_ISSUE);
    let f = client_failure(cp, server_params(Pki::Rsa));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("not valid before 2026-11-27") && r.contains("time used: 2026-01-01"),
        "{r}"
    );
}

#[test]
fn wrong_hostname_fails_naming_expected_and_presented_names() {
    let mut cp = client_params(Pki::Ec);
    cp.hostname = Some("wrong.example".into());
    let f = client_failure(cp, server_params(Pki::Ec));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("wrong.example") && r.contains("test.example"),
        "{r}"
    );
}

#[test]
fn ip_literal_is_checked_against_ip_sans() {
    let mut cp = client_params(Pki::Ec);
    cp.hostname = Some("127.0.0.1".into());
    exchange(cp, server_params(Pki::Ec), usize::MAX);
    let mut cp = client_params(Pki::Ec);
    cp.hostname = Some("10.0.0.1".into());
    let f = client_failure(cp, server_params(Pki::Ec));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
}

#[cfg(feature = "rsa-pkcs1")]
#[test]
fn rsa_1024_chain_is_rejected_with_key_size_reason() {
    let f = client_failure(client_params(Pki::Weak), server_params(Pki::Weak));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("RSA key of 1024 bits; at least 2048 required"),
        "{r}"
    );
    // Also without verification: the key signs the handshake.
    let mut cp = client_params(Pki::Weak);
    cp.roots = None;
    let f = client_failure(cp, server_params(Pki::Weak));
    assert!(f.reason.as_str().contains("1024 bits"), "{:?}", f.reason);
}

#[test]
fn unverified_mode_connects_to_any_chain_and_warns() {
    let mut cp = client_params(Pki::Ec);
    cp.roots = Some(vec![cert(fixture!("other-root.der"))]);
    cp.roots = None;
    cp.time = TimeSource::Now(|| None);
    let c = TlsClient::new(ClientParams {
        hostname: None,
        ..cp
    })
    .unwrap();
    assert_eq!(
        c.warnings(),
        Warnings {
            certificate_not_verified: true,
            name_not_checked: true
        }
    );
    let mut cp = client_params(Pki::Ec);
    cp.roots = None;
    cp.time = TimeSource::Now(|| None);
    exchange(cp, server_params(Pki::Ec), usize::MAX);
}

#[test]
fn unknown_time_with_verification_fails_asking_for_sntp() {
    let mut cp = client_params(Pki::Ec);
    cp.time = TimeSource::Now(|| None);
    let f = client_failure(cp, server_params(Pki::Ec));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    assert!(f.reason.as_str().contains("SNTP"), "{:?}", f.reason);
}

#[test]
fn record_over_the_cap_fails_at_once_naming_both_sizes() {
    let mut cp = client_params(Pki::Ec);
    cp.max_record = 2048;
    let mut c = TlsClient::new(cp).unwrap();
    // A 16384-byte handshake record header: refused before its body arrives
    // (nothing is buffered; the next process() reports it).
    assert_eq!(c.receive(&[0x16, 0x03, 0x03, 0x40, 0x00]).unwrap(), 5);
    assert_eq!(c.receive_capacity(), engine::INITIAL_INBUF);
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_INVALID_RECORD);
    assert!(
        f.reason
            .as_str()
            .contains("16384-byte record; buffer capped at 2048 by espconn_secure_set_size"),
        "{:?}",
        f.reason
    );
    // The failure sticks.
    assert_eq!(c.process().unwrap_err().code, code::SSL_INVALID_RECORD);
}

#[test]
fn real_server_record_over_the_cap_fails_with_both_sizes() {
    let mut cp = client_params(Pki::Ec);
    cp.max_record = 2048;
    let mut sp = server_params(Pki::Ec);
    sp.max_fragment = TLS_MAX_PLAINTEXT;
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    pump(&mut c, &mut s, usize::MAX).expect("handshake fits 2048");
    s.write(&[7u8; 4000]).unwrap();
    let (f, _) = pump(&mut c, &mut s, usize::MAX).unwrap_err();
    let f = f.unwrap();
    assert_eq!(f.code, code::SSL_INVALID_RECORD);
    assert!(
        f.reason
            .as_str()
            .contains("-byte record; buffer capped at 2048"),
        "{:?}",
        f.reason
    );
}

#[test]
fn receive_buffer_grows_to_the_record_size_and_shrinks_when_idle() {
    let mut sp = server_params(Pki::Ec);
    sp.max_fragment = TLS_MAX_PLAINTEXT;
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    let big: Vec<u8> = (0..16384u32).map(|i| i as u8).collect();
    s.write(&big).unwrap();
    pump(&mut c, &mut s, 100).unwrap();
    assert!(
        c.largest_record_seen() >= 16384,
        "{}",
        c.largest_record_seen()
    );
    assert_eq!(read_all_client(&mut c), big);
    s.write(b"small").unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    assert_eq!(read_all_client(&mut c), b"small");
    assert!(
        c.receive_capacity() <= 2 * engine::INITIAL_INBUF,
        "{}",
        c.receive_capacity()
    );
}

#[test]
fn plaintext_queue_applies_back_pressure_instead_of_dropping() {
    let mut cp = client_params(Pki::Ec);
    cp.max_record = 2048;
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
    s.write(&data).unwrap();
    // Feed everything without reading: the engine must stop taking input.
    let out = s.output().to_vec();
    let mut off = 0;
    let mut got = Vec::new();
    let mut stalls = 0;
    loop {
        let n = c.receive(&out[off..]).unwrap();
        off += n;
        c.process().unwrap();
        assert!(
            c.readable() <= 2048 + 1460,
            "queue bounded: {}",
            c.readable()
        );
        if n == 0 {
            stalls += 1;
            let before = got.len();
            got.extend(read_all_client(&mut c));
            if got.len() == before && off == out.len() {
                break;
            }
        }
    }
    assert!(stalls > 0);
    assert!(got == data, "got {} bytes of {}", got.len(), data.len());
}

/// Records sent together (one TCP segment) are read one at a time, each
/// read ending at its record's end; a record larger than the reader's buffer
/// comes in consecutive pieces. The glue makes one recv callback per read.
#[test]
fn each_read_returns_bytes_of_one_record_only() {
    let mut sp = server_params(Pki::Ec);
    sp.max_fragment = 4000;
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    let small: [&[u8]; 3] = [b"first", b"second record", b"3"];
    for m in small {
        s.write(m).unwrap();
    }
    let big: Vec<u8> = (0..3500u32).map(|i| (i % 253) as u8).collect();
    s.write(&big).unwrap();
    s.write(b"tail").unwrap();
    let out = s.output().to_vec();
    s.consume_output(out.len());
    // The engine takes what fits its buffer beside the records it holds
    // (it does not grow beside a record process() has not seen); the rest
    // is offered again as a glue's backlog would.
    let mut off = c.receive(&out).unwrap();
    c.process().unwrap();
    // One record at a time, decrypted where it lies in the receive buffer.
    assert_eq!(c.readable(), 5);
    let mut buf = [0u8; 1460];
    let mut reads: Vec<Vec<u8>> = Vec::new();
    loop {
        let n = c.read(&mut buf);
        if n == 0 {
            off += c.receive(&out[off..]).unwrap();
            c.process().unwrap();
            if c.readable() == 0 && off == out.len() {
                break;
            }
            continue;
        }
        reads.push(buf[..n].to_vec());
    }
    let lens: Vec<usize> = reads.iter().map(Vec::len).collect();
    assert_eq!(lens, [5, 13, 1, 1460, 1460, 580, 4]);
    assert_eq!(reads[..3], small.map(<[u8]>::to_vec));
    assert_eq!(reads[3..6].concat(), big);
    assert_eq!(reads[6], b"tail");
    assert_eq!(c.readable(), 0);
}

#[test]
fn close_notify_reports_peer_closed() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    s.write(b"bye").unwrap();
    s.close().unwrap();
    let (mut cev, _) = pump(&mut c, &mut s, usize::MAX).unwrap();
    // The close_notify after the data is seen once the data was read.
    let (data, events) = drain_client(&mut c);
    assert_eq!(data, b"bye");
    cev.extend(events);
    assert!(cev.contains(&Event::PeerClosed), "{cev:?}");
    assert!(
        c.peer_eof().is_none(),
        "FIN after the handshake is an ordinary close"
    );
    c.close().unwrap();
    let (_, sev) = pump(&mut c, &mut s, usize::MAX).unwrap();
    assert!(sev.contains(&Event::PeerClosed), "{sev:?}");
}

#[test]
fn garbage_after_close_notify_in_the_same_input_is_dropped() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    s.write(b"bye").unwrap();
    s.close().unwrap();
    let mut wire = s.output().to_vec();
    let n = wire.len();
    s.consume_output(n);
    // A well-formed header with a random body, then bytes that are not TLS.
    wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]);
    wire.extend_from_slice(b"\x00\xffnot TLS at all");
    assert_eq!(c.receive(&wire).unwrap(), wire.len());
    let (data, events) = drain_client(&mut c);
    assert!(events.contains(&Event::PeerClosed), "{events:?}");
    assert_eq!(data, b"bye");
    // Later segments of noise are dropped too.
    assert_eq!(c.receive(b"more noise").unwrap(), 10);
    assert!(matches!(c.process(), Ok(Event::None)));
}

#[test]
fn bad_record_after_data_fails_once_the_data_was_read() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    s.write(b"authentic").unwrap();
    let mut wire = s.output().to_vec();
    let n = wire.len();
    s.consume_output(n);
    wire.extend_from_slice(&[99, 0x03, 0x03, 0x00, 0x02, 0, 0]);
    assert_eq!(c.receive(&wire).unwrap(), wire.len());
    // The record before the bad header is delivered first...
    assert!(matches!(c.process(), Ok(Event::None)));
    assert_eq!(read_all_client(&mut c), b"authentic");
    // ...then the failure, naming type and version.
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_INVALID_RECORD);
    assert!(
        f.reason
            .as_str()
            .contains("content type 99 and version 0x0303"),
        "{:?}",
        f.reason
    );
}

#[test]
fn eof_during_handshake_is_conn_eof() {
    let c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let f = c.peer_eof().expect("failure");
    assert_eq!(f.code, code::SSL_CONN_EOF);
    assert!(
        f.reason.as_str().contains("without answering"),
        "{:?}",
        f.reason
    );
}

#[test]
fn plain_http_reply_is_invalid_record_saying_not_tls() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    c.receive(b"HTTP/1.1 400 Bad Request\r\n\r\n").unwrap();
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_INVALID_RECORD);
    assert!(f.reason.as_str().contains("'HTTP/'"), "{:?}", f.reason);
}

#[test]
fn tampered_record_is_bad_mac() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    s.write(b"secret").unwrap();
    let mut rec = s.output().to_vec();
    let last = rec.len() - 1;
    rec[last] ^= 1;
    c.receive(&rec).unwrap();
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_INVALID_MAC, "{f:?}");
    // An alert for the server is queued.
    assert!(!c.output().is_empty());
}

#[test]
fn server_alert_is_fatal_alert_with_its_name() {
    // A TLS 1.3-only client against a TLS 1.2-only server.
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = true;
    let mut sp = server_params(Pki::Ec);
    sp.tls13 = false;
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::with_provider(sp, {
        let mut p = provider::provider();
        p.kx_groups
            .retain(|g| g.name() == rustls::NamedGroup::secp256r1);
        p.cipher_suites
            .retain(|s| s.suite().as_str().is_some_and(|n| n.contains("RSA")));
        p
    })
    .unwrap();
    let err = pump(&mut c, &mut s, usize::MAX).unwrap_err();
    // The server refuses (no ECDSA suite for its EC key); the client sees its alert.
    let sf = err.1;
    let c_out = s.output().to_vec();
    if let Some(sf) = sf {
        assert!(sf.code != 0);
        c.receive(&c_out).unwrap();
        let f = c.process().unwrap_err();
        assert_eq!(f.code, code::SSL_FATAL_ALERT_MESSAGE, "{f:?}");
        assert!(
            f.reason.as_str().contains("HandshakeFailure"),
            "{:?}",
            f.reason
        );
    } else {
        let f = err.0.unwrap();
        assert_eq!(f.code, code::SSL_FATAL_ALERT_MESSAGE, "{f:?}");
    }
}

#[test]
fn writes_are_split_into_records_that_fit_a_tcp_segment() {
    let mut c = TlsClient::new(client_params(Pki::Ec)).unwrap();
    let mut s = TlsServer::new(server_params(Pki::Ec)).unwrap();
    pump(&mut c, &mut s, usize::MAX).unwrap();
    c.write(&[1u8; 5000]).unwrap();
    // AEAD expansion: TLS 1.3 adds the content type and the tag (17), TLS 1.2
    // GCM the explicit nonce and the tag (24).
    let expansion = match c.negotiated().unwrap().version {
        "TLSv1.3" => 17,
        _ => 24,
    };
    let mut out = c.output();
    let mut records = 0;
    while out.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([out[3], out[4]]));
        assert!(len <= MAX_SEND_PLAINTEXT + expansion, "record of {len}");
        out = &out[5 + len..];
        records += 1;
    }
    assert_eq!(records, 4);
}

#[test]
fn private_keys_load_from_every_encoding() {
    use rustls::crypto::KeyProvider;
    let k = &provider::sign::Keys;
    assert!(k
        .load_private_key(pkcs8(fixture!("ec-client.key.der")))
        .is_ok());
    assert!(k
        .load_private_key(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
            fixture!("ec-client.sec1.der").to_vec()
        )))
        .is_ok());
    #[cfg(any(feature = "rsa-pkcs1", feature = "rsa-pss"))]
    {
        assert!(k
            .load_private_key(pkcs8(fixture!("rsa-client.key.der")))
            .is_ok());
        assert!(k
            .load_private_key(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
                fixture!("rsa-client.pkcs1.der").to_vec()
            )))
            .is_ok());
    }
    let e = k
        .load_private_key(pkcs8(b"\x30\x03\x02\x01\x00"))
        .err()
        .unwrap();
    assert_eq!(
        errors::map(&e, errors::Side::Client).code,
        code::PK_UNKNOWN_PK_ALG
    );
}

#[test]
fn hostname_that_is_not_a_name_is_bad_input() {
    let mut cp = client_params(Pki::Ec);
    cp.hostname = Some(String::from("bad name!"));
    assert_eq!(
        TlsClient::new(cp).unwrap_err().code,
        code::SSL_BAD_INPUT_DATA
    );
}

// TLS 1.2-only builds (no `tls13` feature: profile-small). The same tests run
// in every profile, with a client that does not enable TLS 1.3 where the
// build has it, so the wire behaviour checked here is the one a small build
// shows.

/// A client with `cp` whose ClientHello is waiting in `output()`.
fn started_client(cp: ClientParams) -> TlsClient {
    let mut c = TlsClient::new(cp).unwrap();
    if c.output().is_empty() {
        c.process().unwrap();
    }
    assert!(!c.output().is_empty(), "no ClientHello");
    c
}

/// The first flight of a client with `cp`: its ClientHello record.
fn client_hello(cp: ClientParams) -> Vec<u8> {
    started_client(cp).output().to_vec()
}

/// (type, body) of each extension of the ClientHello record `rec`.
fn client_hello_extensions(rec: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let u16_at = |i: usize| usize::from(u16::from_be_bytes([rec[i], rec[i + 1]]));
    assert_eq!(rec[0], 22, "not a handshake record");
    assert_eq!(rec[5], 1, "not a ClientHello");
    // record header 5, handshake header 4, legacy version 2, random 32
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + usize::from(rec[i]); // session id
    i += 2 + u16_at(i); // cipher suites
    i += 1 + usize::from(rec[i]); // compression methods
    let end = i + 2 + u16_at(i);
    i += 2;
    let mut exts = Vec::new();
    while i < end {
        let (t, len) = (u16_at(i) as u16, u16_at(i + 2));
        exts.push((t, rec[i + 4..i + 4 + len].to_vec()));
        i += 4 + len;
    }
    assert_eq!(i, end, "extensions overrun");
    assert_eq!(end, rec.len(), "ClientHello longer than its extensions");
    exts
}

const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_PSK_KEY_EXCHANGE_MODES: u16 = 45;
const EXT_KEY_SHARE: u16 = 51;

/// The ClientHello offers TLS 1.3 (supported_versions 1.3, a key share, PSK
/// modes) exactly when the build has `tls13` and the connection enables it;
/// otherwise it carries none of these, and never a PSK without a session.
#[test]
fn client_hello_offers_tls13_only_when_built_and_enabled() {
    for enable in [false, true] {
        let mut cp = client_params(Pki::Ec);
        cp.tls13 = enable;
        let exts = client_hello_extensions(&client_hello(cp));
        let has = |t: u16| exts.iter().any(|(x, _)| *x == t);
        let offers_13 = exts.iter().any(|(t, body)| {
            *t == EXT_SUPPORTED_VERSIONS && body[1..].chunks(2).any(|v| v == [3, 4])
        });
        let expect = enable && cfg!(feature = "tls13");
        assert_eq!(offers_13, expect, "supported_versions 1.3, enable={enable}");
        assert_eq!(has(EXT_KEY_SHARE), expect, "key_share, enable={enable}");
        assert_eq!(
            has(EXT_PSK_KEY_EXCHANGE_MODES),
            expect,
            "psk modes, enable={enable}"
        );
        assert!(!has(EXT_PRE_SHARED_KEY), "pre_shared_key without a session");
    }
}

/// A ServerHello record: legacy version 1.2, `random`, empty session id,
/// TLS_AES_128_GCM_SHA256, null compression, extensions `exts`.
fn server_hello(random: [u8; 32], exts: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&random);
    body.push(0); // empty session id
    body.extend_from_slice(&[0x13, 0x01, 0]); // suite, null compression
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(exts);
    let mut hs = vec![2, 0];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// A ServerHello as a TLS 1.3 server writes it: supported_versions 1.3 and
/// a P-256 key share.
fn tls13_server_hello() -> Vec<u8> {
    let mut exts = vec![0, 43, 0, 2, 3, 4]; // supported_versions: TLS 1.3
    exts.extend_from_slice(&[0, 51, 0, 69, 0, 23, 0, 65, 4]); // key_share: secp256r1
    exts.extend_from_slice(&p256_generator_point());
    server_hello([0x5a; 32], &exts)
}

/// RFC 8446 4.1.3: the ServerHello random that marks a HelloRetryRequest.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// x and y of the P-256 base point: a valid key share's 64 coordinate bytes.
fn p256_generator_point() -> [u8; 64] {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let p = p256::AffinePoint::GENERATOR.to_encoded_point(false);
    let mut xy = [0u8; 64];
    xy.copy_from_slice(&p.as_bytes()[1..]);
    xy
}

/// A client that did not offer TLS 1.3 gets a HelloRetryRequest (which only
/// answers a TLS 1.3 offer): the handshake fails as an unexpected message
/// (-0x7700), whether or not the build has TLS 1.3.
#[test]
fn hello_retry_request_to_a_tls12_only_client_is_an_unexpected_message() {
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = false;
    let mut c = started_client(cp);
    let hello_len = c.output().len();
    c.consume_output(hello_len);
    // supported_versions 1.3, key_share asking for secp256r1
    let hrr = server_hello(HRR_RANDOM, &[0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 23]);
    c.receive(&hrr).unwrap();
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_UNEXPECTED_MESSAGE, "{f:?}");
    assert!(
        f.reason.as_str().contains("HelloRetryRequest"),
        "{:?}",
        f.reason
    );
}

/// The alert record rustls writes when it refuses the client's versions.
const ALERT_PROTOCOL_VERSION: [u8; 7] = [21, 3, 3, 0, 2, 2, 70];

/// A server that selects TLS 1.3 although the client offered only 1.2 fails
/// the handshake with "no common TLS version" (-0x6E80), a reason saying we
/// speak TLS 1.2 (and not 1.3 in a build without it), and a
/// protocol_version alert to the server.
#[test]
fn server_hello_selecting_tls13_fails_a_tls12_only_client_with_version_code() {
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = false;
    let mut c = started_client(cp);
    let hello_len = c.output().len();
    c.consume_output(hello_len);
    c.receive(&tls13_server_hello()).unwrap();
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_BAD_HS_PROTOCOL_VERSION, "{f:?}");
    let r = f.reason.as_str();
    assert!(
        r.contains("no TLS version in common") && r.contains("we speak TLS 1.2"),
        "{r:?}"
    );
    if !cfg!(feature = "tls13") {
        assert!(!r.contains("1.3"), "{r:?}");
    }
    assert_eq!(c.output(), ALERT_PROTOCOL_VERSION, "alert to the server");
}

/// A rustls server that speaks only TLS 1.3 answers a ClientHello without
/// TLS 1.3 with [`ALERT_PROTOCOL_VERSION`] (checked against the real server
/// where the build has TLS 1.3; a TLS 1.2-only build cannot run one), and a
/// TLS 1.2-only client reports that alert as a fatal alert (-0x7780) naming
/// ProtocolVersion and the version it speaks.
#[test]
fn tls13_only_server_fails_a_tls12_only_client_with_protocol_version_alert() {
    let mut cp = client_params(Pki::Ec);
    cp.tls13 = false;
    let mut c = started_client(cp);
    let reply = {
        #[cfg(feature = "tls13")]
        {
            let mut p = provider::provider();
            p.cipher_suites.retain(|s| s.tls13().is_some());
            let mut s = TlsServer::with_provider(server_params(Pki::Ec), p).unwrap();
            let hello = c.output().to_vec();
            let n = s.receive(&hello).unwrap();
            c.consume_output(n);
            let sf = s.process().unwrap_err();
            assert_eq!(sf.code, code::SSL_BAD_HS_PROTOCOL_VERSION, "server: {sf:?}");
            let reply = s.output().to_vec();
            assert_eq!(
                reply, ALERT_PROTOCOL_VERSION,
                "the TLS 1.3-only server's reply"
            );
            reply
        }
        #[cfg(not(feature = "tls13"))]
        ALERT_PROTOCOL_VERSION.to_vec()
    };
    c.receive(&reply).unwrap();
    let f = c.process().unwrap_err();
    assert_eq!(f.code, code::SSL_FATAL_ALERT_MESSAGE, "{f:?}");
    let r = f.reason.as_str();
    assert!(r.contains("ProtocolVersion") && r.contains("1.2"), "{r:?}");
    if !cfg!(feature = "tls13") {
        assert!(!r.contains("1.3"), "{r:?}");
    }
}

/// A client with TLS 1.3 off (the only kind a TLS 1.2-only build makes)
/// completes a handshake and an exchange with a server that speaks 1.2 and,
/// where built, 1.3: EC and RSA chains, TLS 1.2.
#[test]
fn tls12_only_client_completes_with_a_tls12_server() {
    for pki in [Pki::Ec, Pki::Rsa] {
        let mut cp = client_params(pki);
        cp.tls13 = false;
        let n = exchange(cp, server_params(pki), usize::MAX);
        assert_eq!(n.version, "TLSv1.2", "{pki:?}");
    }
}

/// CA bundles in a pretend flash, read through a plain function as the
/// device's `spi_flash_read`: at sector 0x300 the EC, RSA and other roots,
/// at 0x400 the RSA and other roots only.
fn bundle_flash() -> &'static [(u32, Vec<u8>)] {
    use crate::certs::bundle::{encode, Anchor};
    static FLASH: std::sync::OnceLock<Vec<(u32, Vec<u8>)>> = std::sync::OnceLock::new();
    FLASH.get_or_init(|| {
        let of = |ders: &[&[u8]]| {
            let a: Vec<Anchor> = ders.iter().map(|d| Anchor::from_cert(d).unwrap()).collect();
            encode(&a).unwrap()
        };
        vec![
            (
                0x300,
                of(&[
                    fixture!("other-root.der"),
                    fixture!("ec-root.der"),
                    fixture!("rsa-root.der"),
                ]),
            ),
            (
                0x400,
                of(&[fixture!("rsa-root.der"), fixture!("other-root.der")]),
            ),
        ]
    })
}

fn bundle_read(addr: u32, words: &mut [u32]) -> bool {
    let sector = addr / 4096;
    let Some((s, img)) = bundle_flash().iter().rev().find(|(s, _)| *s <= sector) else {
        return false;
    };
    crate::certs::bundle::slice_reader(img, *s)(addr, words)
}

fn with_bundle(mut cp: ClientParams, sector: u32) -> ClientParams {
    let bundle = crate::certs::bundle::Bundle::open(sector, bundle_read)
        .unwrap()
        .unwrap();
    cp.roots = None;
    cp.bundle = Some(CaBundle {
        bundle,
        read: bundle_read,
    });
    cp
}

#[test]
fn bundle_verifies_ec_and_rsa_chains_by_the_anchor_their_issuer_names() {
    exchange(
        with_bundle(client_params(Pki::Ec), 0x300),
        server_params(Pki::Ec),
        usize::MAX,
    );
    exchange(
        with_bundle(client_params(Pki::Rsa), 0x300),
        server_params(Pki::Rsa),
        usize::MAX,
    );
}

#[test]
fn bundle_without_the_root_fails_with_verify_failed_naming_it() {
    let f = client_failure(
        with_bundle(client_params(Pki::Ec), 0x400),
        server_params(Pki::Ec),
    );
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let r = f.reason.as_str();
    assert!(
        r.contains("root 'CN=EC Test Root CA")
            && r.contains("not in the CA bundle at sector 0x400 (2 roots)"),
        "{r}"
    );
}

#[test]
fn bundle_still_checks_the_host_name_and_dates() {
    let mut cp = with_bundle(client_params(Pki::Ec), 0x300);
    cp.hostname = Some("wrong.example".into());
    let f = client_failure(cp, server_params(Pki::Ec));
    assert_eq!(f.code, code::X509_CERT_VERIFY_FAILED);
    let mut cp = with_bundle(client_params(Pki::Ec), 0x300);
    cp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let mut sp = server_params(Pki::Ec);
    sp.time = TimeSource::Fixed(AFTER_EXPIRY);
    let f = client_failure(cp, sp);
    assert!(f.reason.as_str().contains("expired on"), "{f:?}");
}

#[test]
fn server_takes_a_client_ca_bundle() {
    let mut cp = client_params(Pki::Ec);
    cp.identity = Some((
        vec![
            cert(fixture!("ec-client.der")),
            cert(fixture!("ec-int.der")),
        ],
        pkcs8(fixture!("ec-client.key.der")),
    ));
    let mut sp = server_params(Pki::Ec);
    let bundle = crate::certs::bundle::Bundle::open(0x300, bundle_read)
        .unwrap()
        .unwrap();
    sp.client_bundle = Some(CaBundle {
        bundle,
        read: bundle_read,
    });
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    pump(&mut c, &mut s, usize::MAX).expect("mTLS handshake");
    assert!(s.client_authenticated());
}
