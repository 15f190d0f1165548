//! The handshake timeout (`espconn_secure_set_handshake_timeout`, default
//! 15 s): `https_get` against servers that stall mid-handshake
//! (tests/support/hostile_peer.py modes `stall` and `drip`) must end with the
//! reconnect callback, -104 / last error -0x6800 and a reason, within the
//! configured time, with the heap back at its value before connect; a normal
//! server, and a connection left idle after its handshake, are not affected.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn peer(mode: &str) -> ScriptPeer {
    ec_script_peer("hostile_peer.py", &["--mode", mode])
}

/// https_get against the peer in `mode` with `timeout` seconds (None: the
/// default); the client's run and the peer's log.
fn run(mode: &str, timeout: Option<u16>) -> (Run, String) {
    let p = peer(mode);
    let mut d = Device::new(&format!("hs-timeout-{mode}-{timeout:?}"), p.port)
        .ca(&pki().join("ec/root.pem"))
        .opt("hostname", "localhost");
    if let Some(t) = timeout {
        d = d.opt("handshake-timeout", &t.to_string());
    }
    let r = d.run("https_get");
    // The test stops the peer (it would wait for the client's close).
    let log = p.finish(5);
    (r, log)
}

/// Seconds from the peer's accept to the client's close ("client closed
/// after N s").
fn closed_after(peer: &str) -> f64 {
    peer.lines()
        .find_map(|l| l.strip_prefix("PEER: client closed after "))
        .and_then(|v| v.strip_suffix(" s"))
        .unwrap_or_else(|| panic!("peer saw no close:\n{peer}"))
        .parse()
        .unwrap()
}

fn assert_timed_out(r: &Run, seconds: u16) {
    assert!(!r.has("HANDSHAKE OK"));
    assert!(r.has("client handshake failed!"));
    assert_eq!(r.reconnect_err(), Some(-104), "reconnect callback's err");
    assert_eq!(
        r.last_error(),
        Some(-0x6800),
        "espconn_secure_get_last_error"
    );
    assert!(r.stdout.contains("Reason:[-0x6800]"), "vendor Reason line");
    assert!(r
        .stdout
        .contains("last_error=-0x6800 (TLS handshake timed out"));
    assert!(
        r.stdout
            .contains(&format!("handshake not complete after {seconds} s")),
        "no reason naming the timeout"
    );
    assert!(!r.has("DISCONNECT"), "a timeout is not a disconnect");
    r.assert_heap_returned();
    assert_eq!(r.code, Some(1));
}

#[test]
fn server_silent_after_its_server_hello_ends_with_the_timeout_code() {
    let (r, peer) = run("stall", Some(2));
    assert!(
        peer.contains("sent ServerHello, then silence"),
        "peer did not run"
    );
    assert_timed_out(&r, 2);
    // From the peer's accept: TCP connect, the handshake's setup, 2 s.
    let t = closed_after(&peer);
    assert!((1.9..4.0).contains(&t), "closed after {t} s, not ~2 s");
}

#[test]
fn server_dripping_a_byte_per_second_ends_with_the_timeout_code() {
    let (r, peer) = run("drip", Some(3));
    assert!(peer.contains("one byte per second"), "peer did not run");
    assert!(!peer.contains("dripped all of it"));
    assert_timed_out(&r, 3);
    // The peer notices the close at its next byte, up to a second later.
    let t = closed_after(&peer);
    assert!((2.9..6.0).contains(&t), "closed after {t} s, not ~3 s");
}

#[test]
fn stalled_handshake_ends_after_the_default_15_s() {
    let (r, peer) = run("stall", None);
    assert_timed_out(&r, 15);
    let t = closed_after(&peer);
    assert!((14.9..18.0).contains(&t), "closed after {t} s, not ~15 s");
}

#[test]
fn timeout_of_zero_lets_a_stalled_handshake_wait() {
    let p = peer("stall");
    let started = Instant::now();
    let r = Device::new("hs-timeout-none", p.port)
        .ca(&pki().join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("handshake-timeout", "0")
        .run("https_get");
    drop(p);
    // Still waiting, past the default 15 s, when the run ended after 20 s
    // (exit code 3: --run-for elapsed).
    assert!(started.elapsed() >= Duration::from_secs(19));
    assert_eq!(r.code, Some(3), "the handshake did not wait");
    assert_eq!(r.reconnect_err(), None);
}

#[test]
fn normal_server_and_a_connection_idle_after_its_handshake_are_not_affected() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    // 2 s to handshake, then 3.5 s idle before the request: a timer left
    // armed after the handshake would end the connection.
    let r = Device::new("hs-timeout-idle", srv.port)
        .ca(&pki().join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("handshake-timeout", "2")
        .opt("idle-after-handshake", "3500")
        .run("https_get");
    assert!(r.has("HANDSHAKE OK"));
    assert!(
        r.stdout.contains("HTTP/1.0 200 ok"),
        "no response after the idle time"
    );
    assert!(r.has("DISCONNECT"));
    assert_eq!(r.reconnect_err(), None);
    assert!(!r.stdout.contains("-0x6800"));
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}

#[test]
fn handshake_timeout_above_an_hour_is_refused() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = Device::new("hs-timeout-refused", srv.port)
        .opt("handshake-timeout", "3601")
        .run("https_get");
    assert!(r.has("bad --handshake-timeout 3601 (0..3600 s)"));
    assert_eq!(r.code, Some(2));
}

#[test]
fn server_side_handshake_stalled_by_a_client_ends_with_the_timeout_code() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    // https_server with a 2 s limit, serving one client and then exiting.
    let a = args(&[
        ("port", "0".into()),
        ("clients", "1".into()),
        ("handshake-timeout", "2".into()),
        ("time", now()),
        ("run-for", "20000".into()),
    ]);
    let (port, h) = run_listening("https_server", a, 30);
    // Half a record header, then silence.
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(&[0x16, 0x03]).unwrap();
    let t = Instant::now();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    let closed = matches!(c.read(&mut buf), Ok(0) | Err(_));
    let took = t.elapsed();
    assert!(closed, "the server did not close the stalled connection");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "closed after {took:?}, not ~2 s"
    );
    let run = h.join().unwrap();
    assert!(
        run.has("RECONNECT err=-104"),
        "listener's reconnect callback"
    );
    assert_eq!(run.last_error(), Some(-0x6800));
    assert!(run.stdout.contains("handshake not complete after 2 s"));
    assert!(run.has("DELETE ret=0"));
    assert_eq!(run.code, Some(0));
    run.assert_heap_returned();
}
