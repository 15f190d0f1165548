//! Public-key pins (`espconn_secure_pin_public_key`) end to end: https_get
//! with `--pin`, linked with the library and the simulator, against
//! `openssl s_server` with the test PKI. Pins are computed with openssl's own
//! pipeline, independently of the library.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::*;

/// -0x2700 (certificate verification failed) and what the reconnect
/// callback gets for it.
const VERIFY_FAILED: i32 = -0x2700;
const VERIFY_FAILED_ERR: i32 = -39;

/// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256`
/// of the first certificate in `pem`, as hex.
fn openssl_pin(pem: &Path) -> String {
    let sh = format!(
        "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r",
        pem.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(sh)
        .stderr(Stdio::inherit())
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl pipeline failed");
    let s = String::from_utf8(out.stdout).unwrap();
    let hex = s.split_whitespace().next().unwrap().to_string();
    assert_eq!(hex.len(), 64, "not a SHA-256: {s}");
    hex
}

fn assert_pin_mismatch(r: &Run, server_pin: &str) {
    assert_fails_saying(r, VERIFY_FAILED_ERR, VERIFY_FAILED, &[server_pin]);
}

#[test]
fn matching_pin_with_ca_enabled_connects() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &[]);
    let r = Device::new("pin_ca_ok", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("pin", &openssl_pin(&pki.join("ec/leaf.pem")))
        .run("https_get");
    assert!(r.has("PINS 1"));
    assert_clean_success(&r);
}

#[test]
fn mismatching_pin_with_ca_enabled_is_rejected_with_the_keys_hash() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &[]);
    let r = Device::new("pin_ca_bad", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("pin", &openssl_pin(&pki.join("other/leaf.pem")))
        .run("https_get");
    assert_pin_mismatch(&r, &openssl_pin(&pki.join("ec/leaf.pem")));
}

#[test]
fn self_signed_server_without_ca_is_accepted_by_its_pin() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    let r = Device::new("pin_ss_ok", srv.port)
        .opt("pin", &openssl_pin(&pki.join("selfsigned/leaf.pem")))
        .run("https_get");
    assert_clean_success(&r);
    assert!(
        r.stdout
            .contains("authenticated by its public-key pin only"),
        "{}",
        r.stdout
    );
}

#[test]
fn self_signed_server_without_ca_and_a_wrong_pin_is_rejected() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    let r = Device::new("pin_ss_bad", srv.port)
        .opt("pin", &openssl_pin(&pki.join("ec/leaf.pem")))
        .run("https_get");
    assert_pin_mismatch(&r, &openssl_pin(&pki.join("selfsigned/leaf.pem")));
}

#[test]
fn the_second_of_several_pins_matching_is_accepted() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    let pins = [
        openssl_pin(&pki.join("ec/leaf.pem")),
        openssl_pin(&pki.join("selfsigned/leaf.pem")),
        openssl_pin(&pki.join("rsa/leaf.pem")),
    ]
    .join(",");
    let r = Device::new("pin_second", srv.port)
        .opt("pin", &pins)
        .run("https_get");
    assert!(r.has("PINS 3"));
    assert_clean_success(&r);
}

#[test]
fn pins_cleared_with_null_no_longer_reject_the_server() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    let r = Device::new("pin_cleared", srv.port)
        .opt("pin", &openssl_pin(&pki.join("ec/leaf.pem")))
        .flag("clear-pin")
        .run("https_get");
    assert!(r.has("PINS 1") && r.has("PINS 0"), "{}", r.stdout);
    assert_clean_success(&r);
    assert!(
        r.stdout.contains("the server is NOT authenticated"),
        "cleared pins leave the unauthenticated mode, and say so"
    );
}

#[test]
fn five_pins_are_refused() {
    let pki = pki();
    let pin = openssl_pin(&pki.join("ec/leaf.pem"));
    let pins = vec![pin; 5].join(",");
    let r = Device::new("pin_five", free_port())
        .opt("pin", &pins)
        .run("https_get");
    assert!(r.has("PIN REFUSED count=5"), "{}", r.stdout);
    assert_eq!(r.code, Some(2));
}

#[test]
fn expired_self_signed_pinned_server_is_rejected_when_the_time_is_known() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    // Twenty years on: past the PKI's ten-year validity.
    let later = (now().parse::<u64>().unwrap() + 20 * 365 * 86400).to_string();
    let r = Device::new("pin_expired", srv.port)
        .opt("pin", &openssl_pin(&pki.join("selfsigned/leaf.pem")))
        .time(&later)
        .run("https_get");
    assert!(!r.has("HANDSHAKE OK"), "{}", r.stdout);
    assert_eq!(r.last_error(), Some(VERIFY_FAILED));
    assert!(r.stdout.contains("expired on"), "{}", r.stdout);
}

#[test]
fn without_ca_and_with_the_time_unknown_the_pinned_servers_dates_are_not_checked_and_it_says_so() {
    let pki = pki();
    let srv = openssl_server(&pki.join("selfsigned"), &[]);
    // --set-time 0 is refused and keeps SNTP from starting: no clock at all.
    let r = Device::new("pin_no_time", srv.port)
        .opt("pin", &openssl_pin(&pki.join("selfsigned/leaf.pem")))
        .opt("set-time", "0")
        .run("https_get");
    assert!(r.has("SET TIME 0 refused"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("the pinned certificate's dates are not checked"),
        "{}",
        r.stdout
    );
    assert!(r.has("HANDSHAKE OK"), "{}", r.stdout);
    r.assert_heap_returned();
}
