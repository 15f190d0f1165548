//! The library's own clock for networks where SNTP is blocked
//! (`espconn_secure_set_time`): `https_get --set-time UNIX` sets it and never
//! starts SNTP, so `sntp_get_current_timestamp()` stays 0 and certificate
//! dates can only be checked against the set clock. The simulator's network
//! time (`--time`) is set far from it in each test, so a date check that
//! used SNTP or the host's clock would give the other answer.

mod support;

use std::process::Command;

use support::*;

/// 2100-01-01 00:00:00 UTC: after every test certificate's notAfter.
const Y2100: &str = "4102444800";

/// `date -u` of `unix` in the library's message format.
fn utc(unix: u64) -> String {
    let out = Command::new("date")
        .arg("-u")
        .arg("-d")
        .arg(format!("@{unix}"))
        .arg("+%Y-%m-%d %H:%M:%S UTC")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn device(test: &str, port: u16) -> Device {
    let pki = pki();
    Device::new(test, port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
}

#[test]
fn expired_chain_is_rejected_by_the_time_set_without_sntp() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    // The network's time is now; SNTP never runs, the set clock says 2100.
    let r = device("clock-expired", srv.port)
        .opt("set-time", Y2100)
        .run("https_get");
    assert!(r.has(&format!("SET TIME {Y2100} ok")));
    assert!(!r.has("HANDSHAKE OK"), "an expired chain was accepted");
    assert_eq!(r.reconnect_err(), Some(-39));
    assert_eq!(r.last_error(), Some(-0x2700));
    // The handshake's line and the reason both name the clock.
    assert!(
        r.stdout.contains(
            "SNTP not synchronised: dates checked against the clock set by espconn_secure_set_time (2100-01-01 00:00:0"
        ),
        "no line naming the set clock"
    );
    assert!(
        r.stdout.contains("time used: 2100-01-01 00:00:0")
            && r.stdout.contains("(clock: set by espconn_secure_set_time)"),
        "the reason does not name the set clock"
    );
    r.assert_heap_returned();
}

#[test]
fn valid_chain_is_accepted_by_the_time_set_without_sntp() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    // The network's time says 2100 (it would reject the chain), but SNTP
    // never runs: only the set clock, now, decides.
    let r = device("clock-valid", srv.port)
        .time(Y2100)
        .opt("set-time", &now())
        .run("https_get");
    assert!(r.has("HANDSHAKE OK"), "the set clock was not used");
    assert!(r.has("DISCONNECT"));
    assert!(r
        .stdout
        .contains("dates checked against the clock set by espconn_secure_set_time"));
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}

#[test]
fn sntp_wins_over_the_set_time_once_it_has_synchronised() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    // The program sets 2100 (expired) and also runs SNTP, which has now.
    let r = device("clock-sntp-wins", srv.port)
        .opt("set-time", Y2100)
        .flag("sntp-too")
        .run("https_get");
    assert!(r.has("HANDSHAKE OK"), "the set clock won over SNTP");
    assert!(!r.stdout.contains("dates checked against"));
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}

#[test]
fn set_time_of_zero_is_refused_and_the_build_time_warning_names_its_clock() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = device("clock-zero", srv.port)
        .opt("set-time", "0")
        .run("https_get");
    assert!(r.has("SET TIME 0 refused"));
    // No clock set and no SNTP: the build time (a past moment, at which the
    // test chain made today may not be valid yet) is named as the clock.
    assert!(
        r.stdout.contains(
            "warning: SNTP not synchronised: dates checked against the library's build time ("
        ),
        "no build-time warning"
    );
    r.assert_heap_returned();
}

#[test]
fn the_set_clock_keeps_running_across_the_wrap_of_system_get_time() {
    let srv = openssl_server(&pki().join("ec"), &[]);
    let set: u64 = now().parse().unwrap();
    // system_get_time starts 0.3 s before its 2^32 us wrap; the clock is set
    // at ~0.1 s and the connection starts 1 s later, after the wrap.
    let r = device("clock-wrap", srv.port)
        .time(Y2100)
        .opt("uptime-us", &(u32::MAX - 300_000).to_string())
        .opt("set-time", &set.to_string())
        .opt("set-time-wait", "1000")
        .run("https_get");
    assert!(r.has("HANDSHAKE OK"), "the clock jumped at the wrap");
    // The time used ran on by about a second, no more.
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("dates checked against the clock set by"))
        .expect("no clock line");
    assert!(
        (1..=4).any(|d| line.contains(&utc(set + d))),
        "clock line {line:?} is not 1-4 s after {}",
        utc(set)
    );
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}
