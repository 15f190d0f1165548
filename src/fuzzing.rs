//! Entry points for the coverage-guided fuzz targets in `fuzz/` (feature
//! `fuzzing`, host only; see docs/FUZZING.md). Each function takes arbitrary
//! bytes, drives one input surface of the library the way the device does,
//! and panics only when a property below is broken: a panic is a finding.
//!
//! * [`flash_format`]: the vendor flash record format, both the in-memory
//!   lookup (`espcert`) and the word-by-word sector reader (the device).
//! * [`loaders`]: certificate and private-key payloads (what
//!   `espconn_secure_set_default_certificate` / `_private_key` and the CA and
//!   identity sectors feed).
//! * [`record_path`]: the client connection state machine (`conn::Conn`, with
//!   its arena on the simulator's heap) fed the bytes as the server's side of
//!   the connection after our ClientHello.
//! * [`server_path`]: the same machine as a server, fed a client's bytes.
//!
//! The production code is unchanged by this module: it only calls public
//! items; the simulator's replayable random stream (`platform::sim`) makes a
//! recorded server transcript ([`transcript`]) a valid seed.

use alloc::vec;
use alloc::vec::Vec;

use crate::certs::{self, der_lite, flash, info, keys, pem, CertificateDer, Object, Place};
use crate::conn::{Conn, Ending, Role, Start, Tcp, UserEvent};
use crate::platform::sim;
use crate::tls::{
    ClientParams, ServerParams, TimeSource, TlsClient, TlsServer, MAX_SEND_PLAINTEXT,
    TLS_MAX_PLAINTEXT,
};

/// Inside every fixture's validity (2026-11-27 .. 2046-11-22).
const NOW: u64 = 1_811_808_000;
/// Flash sector the fuzzed image is placed at.
const SECTOR: u32 = 0x77;
/// The client's random stream starts here in every run and in [`transcript`].
const CLIENT_SEED: u64 = 0x0123_4567_89AB_CDEF;
const SERVER_SEED: u64 = 0xFEDC_BA98_7654_3210;

/// Reads `image` as if written at [`SECTOR`]; erased (0xFF) beyond its end.
fn flash_of(image: &[u8]) -> impl FnMut(u32, &mut [u32]) -> bool + '_ {
    move |addr, words| {
        let base = SECTOR * flash::SECTOR_SIZE;
        let Some(mut off) = addr.checked_sub(base).map(|o| o as usize) else {
            return false;
        };
        for w in words.iter_mut() {
            let mut b = [0xFFu8; 4];
            for (i, x) in b.iter_mut().enumerate() {
                if let Some(v) = image.get(off + i) {
                    *x = *v;
                }
            }
            *w = u32::from_le_bytes(b);
            off += 4;
        }
        true
    }
}

/// The flash record format: every lookup and both loaders over one image.
/// Properties: no panic; a found or loaded object never has an empty payload
/// (the format's rule: an empty payload counts as missing).
pub fn flash_format(image: &[u8]) {
    for r in flash::records(image).flatten() {
        let _ = (r.end(), r.encoding(), r.name_display());
    }
    let _ = flash::scan(image).stop.offset();
    let _ = flash::detect_raw(image);
    for what in [Object::Ca, Object::Certificate, Object::PrivateKey] {
        for place in [Place::Image, Place::Sector(SECTOR)] {
            if let Ok(f) = flash::find(image, what, place) {
                assert!(!f.payload.is_empty(), "find returned an empty payload");
            }
        }
        if let Ok(l) = flash::read_object(SECTOR, what, flash_of(image)) {
            assert!(
                !l.payload.is_empty(),
                "read_object returned an empty payload"
            );
        }
    }
    let _ = certs::load_ca_sector(SECTOR, flash_of(image));
    let _ = certs::load_identity_sector(SECTOR, flash_of(image));
    // A CA bundle: every anchor the index lists is found by its subject.
    if let Ok(Some(b)) = certs::bundle::Bundle::open(SECTOR, flash_of(image)) {
        if let Ok(all) = b.all(flash_of(image)) {
            for a in &all {
                let found = b
                    .find(&a.subject, flash_of(image))
                    .expect("an anchor read whole is found again");
                assert!(
                    found.iter().any(|(_, x)| x == a),
                    "anchor not found by its subject"
                );
            }
        }
    }
}

/// Certificate and key payloads. Properties: no panic; a loaded key written
/// back as PEM loads again to the same DER; a loaded certificate written back
/// as PEM loads again to the same certificate.
pub fn loaders(data: &[u8]) {
    if let Ok(chain) = pem::certificates(data) {
        for c in &chain {
            let _ = info::parse(c.as_ref());
            let text =
                pem::encode("CERTIFICATE", c.as_ref()).expect("encoding a loaded certificate");
            let again = pem::certificates(text.as_bytes()).expect("reloading a certificate");
            assert_eq!(
                again.as_slice(),
                core::slice::from_ref(c),
                "certificate PEM round trip"
            );
        }
    }
    if let Ok(k) = keys::private_key(data) {
        let _ = (k.kind(), k.container(), keys::rsa_bits(k.der()));
        let text = k.to_pem().expect("encoding a loaded key");
        let again = keys::private_key(text.as_bytes()).expect("reloading a key");
        assert_eq!(
            again.der().secret_der(),
            k.der().secret_der(),
            "key PEM round trip"
        );
        for leaf in [fixture!("ec-client.der"), fixture!("rsa-client.der")] {
            let leaf = CertificateDer::from(leaf);
            let _ = keys::key_matches_cert_cheap(k.der(), &leaf);
            let _ = keys::key_matches_cert(k.der(), &leaf);
        }
        let _ = keys::key_matches_cert(k.der(), &CertificateDer::from(data));
    }
    if let Ok(ci) = info::parse(data) {
        let _ = keys::check_cert_strength(&ci);
    }
    let _ = pem::blocks(data);
    let _ = der_lite::pkcs8(data).map(|p| p.parameters_oid());
    let _ = der_lite::rsa_private(data);
    let _ = der_lite::rsa_public(data);
    if let Some(k) = der_lite::ec_private(data) {
        let _ = der_lite::encode_ec_private(&k);
    }
    let mut sig = [0u8; 96];
    let _ = der_lite::ecdsa_sig_from_der(data, 32, &mut sig[..64]);
    let _ = der_lite::ecdsa_sig_from_der(data, 48, &mut sig);
    let _ = info::spki_key(data);
}

/// How a record-path input is driven, from its first byte.
#[derive(Clone, Copy, Debug)]
struct Mode {
    /// 0: EC chain verified, 1: RSA chain verified, 2/3: no CA (unverified).
    pki: u8,
    tls13: bool,
    /// Bytes per TCP delivery.
    chunk: usize,
    /// Send application data once the handshake is done.
    send: bool,
    /// Offer an EC client certificate.
    mtls: bool,
}

impl Mode {
    fn of(b: u8) -> Mode {
        const CHUNKS: [usize; 8] = [usize::MAX, 1, 2, 5, 64, 517, 1460, 4096];
        Mode {
            pki: b & 3,
            tls13: b & 4 != 0,
            chunk: CHUNKS[usize::from((b >> 3) & 7)],
            send: b & 0x40 != 0,
            mtls: b & 0x80 != 0,
        }
    }

    fn client_params(self) -> ClientParams {
        let root = match self.pki {
            0 => Some(fixture!("ec-root.der")),
            1 => Some(fixture!("rsa-root.der")),
            _ => None,
        };
        ClientParams {
            roots: root.map(|r| vec![CertificateDer::from(r.to_vec())]),
            bundle: None,
            hostname: root.map(|_| "test.example".into()),
            identity: self.mtls.then(|| {
                (
                    vec![
                        CertificateDer::from(fixture!("ec-client.der").to_vec()),
                        CertificateDer::from(fixture!("ec-int.der").to_vec()),
                    ],
                    pkcs8(fixture!("ec-client.key.der")),
                )
            }),
            time: TimeSource::Fixed(NOW),
            max_record: TLS_MAX_PLAINTEXT,
            tls13: self.tls13,
            alpn: Vec::new(),
            session: None,
            pins: None,
            fragment_length: 0,
        }
    }

    fn server_params(self) -> ServerParams {
        let (leaf, int, key) = if self.pki == 1 {
            (
                fixture!("rsa-leaf.der"),
                fixture!("rsa-int.der"),
                fixture!("rsa-leaf.key.der"),
            )
        } else {
            (
                fixture!("ec-leaf.der"),
                fixture!("ec-int.der"),
                fixture!("ec-leaf.key.der"),
            )
        };
        ServerParams {
            chain: vec![
                CertificateDer::from(leaf.to_vec()),
                CertificateDer::from(int.to_vec()),
            ],
            key: pkcs8(key),
            client_roots: self
                .mtls
                .then(|| vec![CertificateDer::from(fixture!("ec-root.der").to_vec())]),
            client_bundle: None,
            time: TimeSource::Fixed(NOW),
            max_record: TLS_MAX_PLAINTEXT,
            tls13: self.tls13,
            max_fragment: MAX_SEND_PLAINTEXT,
            resumption: None,
            session_cache: false,
        }
    }
}

fn pkcs8(der: &[u8]) -> crate::certs::PrivateKeyDer<'static> {
    crate::certs::PrivateKeyDer::Pkcs8(der.to_vec().into())
}

/// The SDK's TCP as the connection sees it: sends complete at once.
#[derive(Default)]
struct MockTcp {
    /// Everything sent (only kept when recording a transcript).
    out: Vec<u8>,
    record: bool,
    unacked: bool,
    disconnected: bool,
}

impl Tcp for MockTcp {
    fn send(&mut self, data: &[u8]) -> i8 {
        if self.record {
            self.out.extend_from_slice(data);
        }
        self.unacked = true;
        0
    }
    fn disconnect(&mut self) {
        self.disconnected = true;
    }
    fn hold(&mut self, _hold: bool) {}
}

/// What the user saw.
#[derive(Default)]
struct Seen {
    connected: bool,
    plain: Vec<u8>,
}

/// Runs sent callbacks and user events until the connection is quiet, as
/// the SDK's loop and `ffi::dispatch` would.
fn settle(conn: &mut Conn, tcp: &mut MockTcp, seen: &mut Seen) {
    for _ in 0..10_000 {
        let mut progress = false;
        // A handshake step left suspended: ffi's 0-ms timer carries it on
        // (platform::slice), each time in an SDK callback of its own.
        if conn.step_pending() {
            crate::platform::slice::callback_begins();
            conn.continue_step(tcp);
            progress = true;
        }
        if tcp.unacked {
            tcp.unacked = false;
            conn.tcp_sent(tcp);
            progress = true;
        }
        while let Some(ev) = conn.next_event() {
            progress = true;
            match ev {
                UserEvent::Connected => {
                    assert!(!seen.connected, "connect callback twice");
                    seen.connected = true;
                }
                UserEvent::Readable => {
                    let mut buf = [0u8; 1460];
                    loop {
                        let n = conn.read(&mut buf);
                        if n == 0 {
                            break;
                        }
                        if seen.plain.len() < 64 * 1024 {
                            seen.plain.extend_from_slice(&buf[..n]);
                        }
                    }
                    conn.resume(tcp);
                }
                UserEvent::Sent => {}
            }
        }
        if !progress {
            return;
        }
    }
    panic!("connection never settles");
}

/// The record path: our client (through `conn::Conn`) receives `data[1..]`
/// as everything the server sends, in deliveries of the size `data[0]`
/// selects, then the TCP close. Properties: no panic; the connection ends
/// exactly once (a documented code when it fails); the connect callback
/// comes at most once and before any data; the arena's heap is all returned.
pub fn record_path(data: &[u8]) {
    let _ = drive(Role::Client, data);
}

/// The server's record path: our server (`conn::Conn` with the fixture
/// identity, `espconn_secure_accept`'s engine) receives `data[1..]` as
/// everything a client sends. Mode byte and properties as in [`record_path`]
/// (pki 1: RSA server key, else EC; the mTLS bit requires a client
/// certificate).
pub fn server_path(data: &[u8]) {
    let _ = drive(Role::Server, data);
}

/// How the harness's connection of `role` builds its engine for mode byte
/// `mode`: the fixture's parameters instead of the settings and flash,
/// inside the connection's first engine step.
fn fixture(role: Role, mode: u8) -> Start {
    fn client(
        mode: usize,
        _: ([u8; 4], u16),
    ) -> Result<crate::conn::Engine, crate::error::Failure> {
        Ok(TlsClient::new(Mode::of(mode as u8).client_params())?.into_session())
    }
    fn server(
        mode: usize,
        _: ([u8; 4], u16),
    ) -> Result<crate::conn::Engine, crate::error::Failure> {
        Ok(TlsServer::new(Mode::of(mode as u8).server_params())?.into_session())
    }
    Start {
        build: match role {
            Role::Client => client,
            Role::Server => server,
        },
        key: usize::from(mode),
        peer: ([127, 0, 0, 1], 443),
    }
}

/// [`record_path`] / [`server_path`], returning what the user saw (`None`
/// for an empty input).
fn drive(role: Role, data: &[u8]) -> Option<Seen> {
    let (&mode_byte, peer) = data.split_first()?;
    let mode = Mode::of(mode_byte);
    sim::quiet_log();
    sim::random_set_state(match role {
        Role::Client => CLIENT_SEED,
        Role::Server => SERVER_SEED,
    });
    let heap_before = sim::heap_in_use();
    let seen = {
        let Ok(mut conn) = Conn::new(role) else {
            return None;
        };
        let mut tcp = MockTcp::default();
        let mut seen = Seen::default();
        conn.tcp_connected(&mut tcp, fixture(role, mode_byte));
        settle(&mut conn, &mut tcp, &mut seen);
        let mut sent = false;
        for piece in peer.chunks(mode.chunk.min(peer.len()).max(1)) {
            if tcp.disconnected {
                break;
            }
            conn.tcp_received(&mut tcp, piece);
            settle(&mut conn, &mut tcp, &mut seen);
            if seen.connected && mode.send && !sent {
                sent = true;
                let _ = conn.user_send(&mut tcp, &[0x42; 100]);
                settle(&mut conn, &mut tcp, &mut seen);
            }
        }
        if !seen.connected {
            assert!(seen.plain.is_empty(), "data before the connect callback");
        }
        if seen.connected && !tcp.disconnected {
            let _ = conn.user_disconnect(&mut tcp);
            settle(&mut conn, &mut tcp, &mut seen);
        }
        conn.tcp_closed();
        let ending = conn.take_ending().expect("the connection ends");
        if let Ending::Failed(code) = ending {
            assert!(code < 0, "failure without an mbedTLS code");
            assert_ne!(
                crate::error::strerror(code),
                crate::error::strerror(1),
                "undocumented code {:#x}",
                code
            );
        }
        assert!(conn.take_ending().is_none(), "a second ending");
        seen
    };
    assert_eq!(sim::heap_in_use(), heap_before, "SDK heap not returned");
    sim::random_system();
    Some(seen)
}

/// A seed for [`record_path`]: the mode byte, then everything our own server
/// (rustls with the fixture PKI) sends to our client in mode `mode`: a
/// complete handshake, 100 bytes of application data and close_notify. The
/// client's random stream is the one `record_path` replays, so the
/// transcript is valid for it byte for byte.
pub fn transcript(mode: u8) -> Vec<u8> {
    let m = Mode::of(mode);
    let mut out = vec![mode];
    let mut cstate = CLIENT_SEED;
    let mut sstate = SERVER_SEED;
    sim::random_set_state(sstate);
    let mut server = TlsServer::new(m.server_params()).expect("fixture server");
    sstate = sim::random_state();

    sim::random_set_state(cstate);
    let mut conn = Conn::new(Role::Client).expect("connection");
    let mut tcp = MockTcp {
        record: true,
        ..MockTcp::default()
    };
    let mut seen = Seen::default();
    conn.tcp_connected(&mut tcp, fixture(Role::Client, mode));
    settle(&mut conn, &mut tcp, &mut seen);
    cstate = sim::random_state();
    let mut data_sent = false;
    for _ in 0..100 {
        // client -> server
        sim::random_set_state(sstate);
        let mut input = core::mem::take(&mut tcp.out);
        while !input.is_empty() {
            let n = server.receive(&input).expect("server receive");
            input.drain(..n);
            server.process().expect("server process");
        }
        server.process().expect("server process");
        if !server.is_handshaking() && !data_sent {
            data_sent = true;
            server.write(&[0x53; 100]).expect("server write");
            server.close().expect("server close");
        }
        let reply = server.output().to_vec();
        server.consume_output(reply.len());
        sstate = sim::random_state();
        if reply.is_empty() && tcp.out.is_empty() {
            break;
        }
        // server -> client
        sim::random_set_state(cstate);
        out.extend_from_slice(&reply);
        conn.tcp_received(&mut tcp, &reply);
        settle(&mut conn, &mut tcp, &mut seen);
        cstate = sim::random_state();
    }
    assert!(seen.connected, "the recorded handshake completed");
    assert_eq!(seen.plain, [0x53; 100], "the recorded data arrived");
    sim::random_system();
    out
}

/// A seed for [`server_path`]: the mode byte, then everything our own client
/// (rustls with the fixture PKI) sends to our server in mode `mode`: a
/// complete handshake, 100 bytes of application data and close_notify,
/// valid for the server's replayed random stream.
pub fn server_transcript(mode: u8) -> Vec<u8> {
    let m = Mode::of(mode);
    let mut out = vec![mode];
    let mut cstate = CLIENT_SEED;
    let mut sstate = SERVER_SEED;
    sim::random_set_state(cstate);
    let mut client = crate::tls::TlsClient::new(m.client_params()).expect("fixture client");
    cstate = sim::random_state();

    sim::random_set_state(sstate);
    let mut conn = Conn::new(Role::Server).expect("connection");
    let mut tcp = MockTcp {
        record: true,
        ..MockTcp::default()
    };
    let mut seen = Seen::default();
    conn.tcp_connected(&mut tcp, fixture(Role::Server, mode));
    settle(&mut conn, &mut tcp, &mut seen);
    sstate = sim::random_state();
    let mut data_sent = false;
    for _ in 0..100 {
        // server -> client
        sim::random_set_state(cstate);
        let mut input = core::mem::take(&mut tcp.out);
        while !input.is_empty() {
            let n = client.receive(&input).expect("client receive");
            input.drain(..n);
            client.process().expect("client process");
        }
        client.process().expect("client process");
        if !client.is_handshaking() && !data_sent {
            data_sent = true;
            client.write(&[0x43; 100]).expect("client write");
            client.close().expect("client close");
        }
        let sent = client.output().to_vec();
        client.consume_output(sent.len());
        cstate = sim::random_state();
        if sent.is_empty() && tcp.out.is_empty() {
            break;
        }
        // client -> server
        sim::random_set_state(sstate);
        out.extend_from_slice(&sent);
        conn.tcp_received(&mut tcp, &sent);
        settle(&mut conn, &mut tcp, &mut seen);
        sstate = sim::random_state();
    }
    assert!(seen.connected, "the recorded handshake completed");
    assert_eq!(seen.plain, [0x43; 100], "the recorded data arrived");
    sim::random_system();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator's heap counter and random stream are process-wide; the
    /// harness checks them, so its tests take turns.
    static SIM: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn sim_lock() -> std::sync::MutexGuard<'static, ()> {
        SIM.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The seeds in fuzz/seeds/record_path are only useful if a recorded
    /// transcript replays to a complete handshake and the server's data.
    #[test]
    fn recorded_transcripts_replay_to_a_complete_exchange() {
        let _sim = sim_lock();
        // EC TLS 1.2 whole, RSA TLS 1.3 in 517-byte pieces, unverified EC
        // TLS 1.2 byte by byte with a send, EC TLS 1.3 mTLS in 64-byte pieces.
        for mode in [0x00u8, 0x2D, 0x4A, 0xA4] {
            let t = transcript(mode);
            let seen = drive(Role::Client, &t).expect("input");
            assert!(seen.connected, "mode {mode:#x}: handshake replayed");
            assert_eq!(seen.plain, [0x53; 100], "mode {mode:#x}: data replayed");
            // One flipped byte in the middle must not complete it.
            let mut bad = t.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x40;
            let seen = drive(Role::Client, &bad).expect("input");
            assert!(seen.plain.is_empty(), "mode {mode:#x}: tampered transcript");
        }
    }

    /// The same for the server's seeds in fuzz/seeds/server_path.
    #[test]
    fn recorded_client_transcripts_replay_to_a_complete_exchange() {
        let _sim = sim_lock();
        for mode in [0x00u8, 0x2D, 0x4A, 0xA4] {
            let t = server_transcript(mode);
            let seen = drive(Role::Server, &t).expect("input");
            assert!(seen.connected, "mode {mode:#x}: handshake replayed");
            assert_eq!(seen.plain, [0x43; 100], "mode {mode:#x}: data replayed");
            let mut bad = t.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x40;
            let seen = drive(Role::Server, &bad).expect("input");
            assert!(seen.plain.is_empty(), "mode {mode:#x}: tampered transcript");
        }
    }

    /// Writes the committed seed corpora (`make fuzz-seeds`).
    #[test]
    #[ignore = "writes fuzz/seeds; run by make fuzz-seeds"]
    fn write_seed_corpora() {
        let _sim = sim_lock();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        let put = |target: &str, name: &str, bytes: &[u8]| {
            let d = dir.join(target);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(name), bytes).unwrap();
        };
        for mode in [0x00u8, 0x04, 0x01, 0x05, 0x0A, 0x84, 0x70] {
            put(
                "record_path",
                &std::format!("mode-{mode:02x}"),
                &transcript(mode),
            );
            put(
                "server_path",
                &std::format!("mode-{mode:02x}"),
                &server_transcript(mode),
            );
        }
        let fx = |n: &str| {
            std::fs::read(std::format!(
                "{}/tests/fixtures/{n}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let ca = fx("ca_ec.pem");
        let cert = fx("client_ec.pem");
        let key = fx("client_ec.sec1.der");
        put(
            "flash_format",
            "ca-image",
            &flash::encode_image([("ca", &ca[..])]).unwrap(),
        );
        put(
            "flash_format",
            "identity-image",
            &flash::encode_image([("certificate", &cert[..]), ("private_key", &key[..])]).unwrap(),
        );
        put("flash_format", "raw-pem", &ca);
        let anchors: Vec<certs::bundle::Anchor> = [&ca[..], &fx("ca_rsa.pem")[..]]
            .iter()
            .flat_map(|p| certs::certificates(p).unwrap())
            .map(|c| certs::bundle::Anchor::from_cert(&c).unwrap())
            .collect();
        put(
            "flash_format",
            "ca-bundle",
            &certs::bundle::encode(&anchors).unwrap(),
        );
        for n in [
            "client_ec.pem",
            "client_ec.sec1.der",
            "client_rsa.pkcs8.pem",
            "client_rsa.pkcs1.der",
            "ca_rsa.der",
            "bundle.pem",
            "client_p384.sec1.pem",
        ] {
            put("loaders", n, &fx(n));
        }
    }

    #[test]
    fn harness_properties_hold_on_simple_inputs() {
        let _sim = sim_lock();
        record_path(&[]);
        record_path(&[0]);
        record_path(&[0x08, 0x16, 0x03, 0x03, 0x00, 0x01, 0x02]);
        server_path(&[]);
        server_path(&[0x08, 0x16, 0x03, 0x01, 0x00, 0x01, 0x01]);
        flash_format(&[]);
        flash_format(&[0xFF; 64]);
        // The committed CA bundle seed, whole and with each of its first
        // bytes flipped (header, index, the first anchor).
        let bundle = std::fs::read(std::format!(
            "{}/fuzz/seeds/flash_format/ca-bundle",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        flash_format(&bundle);
        for i in 0..bundle.len().min(160) {
            let mut bad = bundle.clone();
            bad[i] ^= 0x01;
            flash_format(&bad);
        }
        loaders(&[]);
        loaders(fixture!("ec-client.key.der"));
    }
}
