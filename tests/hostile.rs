//! Hostile peers: the client (examples-c/https_get on the simulator) against
//! tests/support/hostile_peer.py, a TLS 1.2 server that breaks the protocol in
//! one way per mode. Each test checks the callback the application gets and
//! its code, that no byte reaches the application unless the peer sent it
//! authentically (inside a record that passed authentication), and that the
//! heap is back where it was before `espconn_secure_connect`.

mod support;

use std::time::{Duration, Instant};

use support::*;

/// The only application data the peer sends authentically (`--body`).
const BODY: &str = "hostile-peer-body";

/// The hostile peer in `mode` (one connection).
fn hostile(mode: &str) -> ScriptPeer {
    ec_script_peer(
        "hostile_peer.py",
        &["--mode", mode, "--body", &format!("{BODY}\n")],
    )
}

/// https_get against the peer in `mode`, verifying the peer's EC chain and
/// name; returns the client's run, the peer's log and the run's duration.
fn run(mode: &str) -> (Run, String, Duration) {
    run_with(mode, &[])
}

/// [`run`] with more options for https_get.
fn run_with(mode: &str, extra: &[(&str, String)]) -> (Run, String, Duration) {
    let peer = hostile(mode);
    let dir = scratch(&format!("hostile-{mode}"));
    let mut a = ca_args(&dir, "ec");
    a.extend(args(&[
        ("server", format!("127.0.0.1:{}", peer.port)),
        ("hostname", "localhost".into()),
        ("time", now()),
        ("run-for", "25000".into()),
        ("heap", SIM_HEAP_CAP.to_string()),
    ]));
    a.extend(args(extra));
    let t = Instant::now();
    let r = run_example("https_get", &a, 40);
    let took = t.elapsed();
    let log = peer.finish(10);
    (r, log, took)
}

/// Application bytes the client's recv callback got (https_get prints the
/// total in its disconnect and reconnect callbacks).
fn received(r: &Run) -> u64 {
    r.stdout
        .lines()
        .find_map(|l| l.strip_prefix("RECEIVED "))
        .and_then(|v| v.strip_suffix(" bytes"))
        .unwrap_or_else(|| panic!("no RECEIVED line"))
        .parse()
        .unwrap()
}

/// The reconnect callback got `err`, the last error is `code`, the reason
/// says `why`, nothing but `delivered` bytes reached the application, and all
/// heap came back.
fn assert_fails(r: &Run, err: i32, code: i32, why: &str, delivered: u64) {
    assert_eq!(r.reconnect_err(), Some(err), "reconnect callback's err");
    assert_eq!(r.last_error(), Some(code), "espconn_secure_get_last_error");
    assert!(
        r.stdout.contains(&format!("Reason:[-0x{:x}]", -code)),
        "vendor Reason line"
    );
    assert!(r.stdout.contains(why), "reason should say {why:?}");
    assert!(!r.has("DISCONNECT"), "a failure is not a disconnect");
    assert_eq!(received(r), delivered, "application bytes delivered");
    r.assert_heap_returned();
    assert_eq!(r.code, Some(1));
}

/// The exchange completed: BODY delivered once, then the disconnect callback.
fn assert_clean(r: &Run) {
    assert!(r.has("HANDSHAKE OK"), "no handshake");
    assert!(r.has(BODY), "body not delivered");
    assert_eq!(received(r), BODY.len() as u64 + 1, "application bytes");
    assert!(r.has("DISCONNECT"), "no disconnect callback");
    assert_eq!(r.reconnect_err(), None, "unexpected reconnect");
    assert!(!r.stdout.contains("Reason:"), "unexpected failure line");
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}

#[test]
fn record_longer_than_16384_plus_2048_is_refused_before_buffering() {
    let (r, peer, _) = run("oversize");
    assert!(
        peer.contains("sent a 18433 byte record"),
        "peer did not run"
    );
    assert!(r.has("HANDSHAKE OK"));
    assert_fails(&r, -114, -0x7200, "18433-byte record", 0);
    // The buffer never grew for it: the run's peak stays at handshake level.
    let (peak, _, _) = r.heap();
    assert!(
        peak < 16 * 1024,
        "heap peak {peak}: the record was buffered"
    );
}

#[test]
fn record_of_unknown_content_type_fails_after_the_data_before_it() {
    let (r, peer, _) = run("bad-type");
    assert!(peer.contains("content type 99"), "peer did not run");
    assert!(r.has("HANDSHAKE OK"));
    // The authentic record in the same segment is delivered, then the failure.
    assert!(r.has(BODY), "data before the bad record was lost");
    assert_fails(
        &r,
        -114,
        -0x7200,
        "record of content type 99",
        BODY.len() as u64 + 1,
    );
}

#[test]
fn record_with_a_dtls_version_is_an_invalid_record() {
    let (r, peer, _) = run("bad-version");
    assert!(peer.contains("version 0xFEFD"), "peer did not run");
    assert!(r.has("HANDSHAKE OK"));
    assert_fails(&r, -114, -0x7200, "version 0xfefd", 0);
}

#[test]
fn handshake_length_claiming_16_mb_fails_at_once() {
    let (r, peer, _) = run("lie-long");
    assert!(peer.contains("claiming 16777215"), "peer did not run");
    assert!(!r.has("HANDSHAKE OK"));
    assert_fails(&r, -114, -0x7200, "handshake message larger", 0);
}

#[test]
fn handshake_length_shorter_than_its_content_is_a_malformed_message() {
    let (r, peer, _) = run("lie-short");
    assert!(peer.contains("cut to the 38 bytes"), "peer did not run");
    assert!(!r.has("HANDSHAKE OK"));
    assert_fails(&r, -119, -0x7700, "malformed message", 0);
}

/// A client has no ClientHello decoder (rustls reaches it only once a server
/// connection exists, vendor/rustls/PATCHES.md): a server that answers with a
/// ClientHello gets an unexpected-message failure, not a crash.
#[test]
fn client_hello_sent_to_the_client_is_an_unexpected_message() {
    let (r, peer, _) = run("client-hello");
    assert!(peer.contains("own ClientHello"), "peer did not run");
    assert!(!r.has("HANDSHAKE OK"));
    assert_fails(&r, -119, -0x7700, "unexpected ClientHello", 0);
}

#[test]
fn fatal_alert_mid_handshake_is_named() {
    let (r, peer, _) = run("alert");
    assert!(peer.contains("handshake_failure alert"), "peer did not run");
    assert!(!r.has("HANDSHAKE OK"));
    assert_fails(&r, 9, -0x7780, "fatal alert HandshakeFailure", 0);
}

#[test]
fn tcp_reset_after_server_hello_passes_lwip_reset_through() {
    let (r, peer, _) = run("rst");
    assert!(peer.contains("then TCP reset"), "peer did not run");
    assert!(!r.has("HANDSHAKE OK"));
    // lwIP errors reach the reconnect callback unchanged (-9 = ESPCONN_RST);
    // no TLS code is recorded for them.
    assert_eq!(r.reconnect_err(), Some(-9));
    assert_eq!(r.last_error(), None);
    assert_eq!(received(&r), 0);
    r.assert_heap_returned();
    assert_eq!(r.code, Some(1));
}

#[test]
fn one_byte_every_50_ms_still_completes() {
    let (r, peer, took) = run("slow");
    assert!(peer.contains("one byte every 50 ms"), "peer did not run");
    assert_clean(&r);
    // Some 250 bytes dribbled at 50 ms: the run cannot have been quick.
    assert!(
        took >= Duration::from_secs(8),
        "exchange took only {took:?}: bytes were not dribbled"
    );
}

#[test]
fn renegotiation_request_is_refused_with_a_warning_and_the_connection_continues() {
    let (r, peer, _) = run("renegotiate");
    assert!(peer.contains("sent HelloRequest"), "peer did not run");
    // The peer decrypted our answer: a warning (1) no_renegotiation (100)
    // alert, as RFC 5746 practice has it; then it sent the body.
    assert!(
        peer.contains("client answered alert warning 100"),
        "no no_renegotiation warning seen by the peer"
    );
    assert!(peer.contains("sent body and close_notify after the refusal"));
    assert_clean(&r);
}

#[test]
fn record_over_the_agreed_fragment_length_fails_with_0x7200_naming_both_sizes() {
    let (r, peer, _) = run_with("over-agreed", &[("fragment-length", "1024".into())]);
    assert!(
        peer.contains("sent a record of 1100 bytes of plaintext"),
        "peer did not run:\n{peer}"
    );
    assert!(r.has("FRAGMENT LENGTH 1024"), "not agreed:\n{}", r.stdout);
    // The peer decrypted the client's answer: a fatal (2) record_overflow
    // (22) alert.
    assert!(
        peer.contains("client answered record type 21 bytes 0216"),
        "no record_overflow alert seen by the peer:\n{peer}"
    );
    assert_fails(
        &r,
        -114,
        -0x7200,
        "sent a record of 1100 bytes over the 1024 it agreed to",
        0,
    );
}

#[test]
fn second_renegotiation_request_is_fatal() {
    let (r, peer, _) = run("renegotiate-twice");
    assert!(peer.contains("client answered alert warning 100"));
    assert!(
        peer.contains("sent a second HelloRequest"),
        "peer did not run"
    );
    assert!(r.has("HANDSHAKE OK"));
    assert_fails(&r, -119, -0x7700, "TooManyRenegotiationRequests", 0);
}

#[test]
fn garbage_after_close_notify_is_dropped_and_the_close_is_clean() {
    let (r, peer, _) = run("close-garbage");
    assert!(
        peer.contains("close_notify and garbage"),
        "peer did not run"
    );
    assert_clean(&r);
}
