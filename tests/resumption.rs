//! Session resumption and ALPN (issue #8), end to end: the C examples with
//! the library and the simulator against openssl s_server and mosquitto.
//!
//! Resumption is proven from the server's side where it can say so: the
//! `-www` status page of openssl s_server starts with "New," for a full
//! handshake and "Reused," for a resumed one. The client's own view is the
//! `RESUMED yes|no` line (espconn_secure_session_resumed).

mod support;

use support::*;

/// The s_server status pages in a run, in order: "New" or "Reused".
fn server_reports(r: &Run) -> Vec<&'static str> {
    r.stdout
        .lines()
        .filter_map(|l| {
            if l.starts_with("New, TLSv1.") {
                Some("New")
            } else if l.starts_with("Reused, TLSv1.") {
                Some("Reused")
            } else {
                None
            }
        })
        .collect()
}

fn resumed_lines(r: &Run) -> Vec<&str> {
    r.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("RESUMED "))
        .collect()
}

/// Two connections in one boot with the cache on: the first is a full
/// handshake, the second resumes (server and client agree).
fn assert_second_resumed(server_args: &[&str], test: &str) {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), server_args);
    let r = Device::new(test, srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("session-cache", "1")
        .opt("repeat", "1")
        .run("https_get");
    assert_eq!(r.code, Some(0), "run failed");
    assert_eq!(server_reports(&r), ["New", "Reused"], "server's view");
    assert_eq!(resumed_lines(&r), ["no", "yes"], "client's view");
    assert!(r.stdout.contains("espconn_secure: session resumed"));
}

#[test]
fn tls12_ticket_resumes_the_second_connection() {
    assert_second_resumed(&["-tls1_2"], "res_t12");
}

#[test]
fn tls12_session_id_resumes_without_tickets() {
    assert_second_resumed(&["-tls1_2", "-no_ticket"], "res_sid");
}

#[test]
fn tls13_ticket_resumes_the_second_connection() {
    assert_second_resumed(&["-tls1_3"], "res_t13");
}

#[test]
fn tls13_single_ticket_resumes_again_and_again() {
    // Each ticket is used once; the resumed connection's new ticket serves
    // the third connection.
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_3", "-num_tickets", "1"]);
    let r = Device::new("res_t13_1", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("session-cache", "1")
        .opt("repeat", "2")
        .run("https_get");
    assert_eq!(server_reports(&r), ["New", "Reused", "Reused"]);
}

#[test]
fn without_the_cache_every_connection_is_a_full_handshake() {
    // Off by default: the vendor's behaviour and heap figures are kept.
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let r = Device::new("res_off", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("repeat", "1")
        .run("https_get");
    assert_eq!(r.code, Some(0));
    assert_eq!(server_reports(&r), ["New", "New"]);
    assert!(!r.stdout.contains("session resumed"));
    // Every byte back, and nothing kept between connections.
    r.assert_heap_returned();
}

/// One boot per run: the session travels in the RTC file only.
fn sleep_device(test: &str, port: u16) -> Device {
    let pki = pki();
    let d = Device::new(test, port)
        .ca(&pki.join("ec/root.pem"))
        .opt("session-cache", "1")
        .flag("sleep");
    let rtc = d.rtc().display().to_string();
    d.opt("rtc", &rtc)
}

#[test]
fn session_saved_to_rtc_memory_resumes_after_deep_sleep() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let d = sleep_device("res_sleep", srv.port).opt("hostname", "localhost");
    let first = d.run("https_get");
    assert!(first.has("WAKE cold boot"));
    assert!(first
        .stdout
        .lines()
        .any(|l| l.starts_with("SESSION SAVED ")));
    assert!(first.has("DEEP SLEEP 10 s"));
    assert_eq!(server_reports(&first), ["New"]);
    // The blob fits the 512-byte RTC user area and is not plaintext of the
    // secret: its checksum and version are checked below by corrupting it.
    let blob = std::fs::read(d.rtc()).unwrap();
    assert_eq!(blob.len(), 512);
    let second = d.run("https_get");
    assert!(second.has("WAKE from deep sleep"));
    assert!(second.has("SESSION LOADED"));
    assert_eq!(server_reports(&second), ["Reused"]);
    assert_eq!(resumed_lines(&second), ["yes"]);
}

#[test]
fn corrupted_blob_is_refused_and_a_full_handshake_follows() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let d = sleep_device("res_corrupt", srv.port).opt("hostname", "localhost");
    d.run("https_get");
    let mut blob = std::fs::read(d.rtc()).unwrap();
    blob[40] ^= 0x01;
    std::fs::write(d.rtc(), &blob).unwrap();
    let r = d.run("https_get");
    assert!(r.has("SESSION REFUSED"));
    assert!(r
        .stdout
        .contains("saved session refused: checksum mismatch"));
    assert!(r.has("HANDSHAKE OK"));
    assert_eq!(server_reports(&r), ["New"]);
}

#[test]
fn blob_of_another_version_is_refused() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let d = sleep_device("res_version", srv.port).opt("hostname", "localhost");
    d.run("https_get");
    let mut blob = std::fs::read(d.rtc()).unwrap();
    blob[0] = blob[0].wrapping_add(1);
    std::fs::write(d.rtc(), &blob).unwrap();
    let r = d.run("https_get");
    assert!(r.has("SESSION REFUSED"));
    assert!(r.stdout.contains("saved session refused: version"));
    assert_eq!(server_reports(&r), ["New"]);
}

#[test]
fn expired_ticket_is_not_offered() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_3"]);
    let d = sleep_device("res_expired", srv.port).opt("hostname", "localhost");
    d.run("https_get");
    // Eight days later (rustls caps ticket lifetimes at seven): the blob
    // loads, the session is expired, a full handshake follows.
    let later: u64 = now().parse::<u64>().unwrap() + 8 * 86400;
    let r = d.time(&later.to_string()).run("https_get");
    assert!(r.has("SESSION LOADED"));
    assert_eq!(server_reports(&r), ["New"]);
    assert_eq!(resumed_lines(&r), ["no"]);
}

#[test]
fn changed_host_name_or_ca_means_a_full_handshake() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let d = sleep_device("res_binding", srv.port).opt("hostname", "localhost");
    d.run("https_get");
    let saved = std::fs::read(d.rtc()).unwrap();
    // Another name the certificate also carries: verification would pass,
    // but the session was verified for "localhost".
    let r = d.clone().opt("hostname", "server.test").run("https_get");
    assert!(r.has("SESSION LOADED"));
    assert_eq!(server_reports(&r), ["New"]);
    // A different CA image (a bundle that still contains the right root).
    std::fs::write(d.rtc(), &saved).unwrap();
    let mut bundle = std::fs::read(pki.join("ec/root.pem")).unwrap();
    bundle.extend(std::fs::read(pki.join("rsa/root.pem")).unwrap());
    // Placed after the first image, so it wins.
    let img = flash_record("TLS.ca_x509.cer", &bundle);
    let r = d
        .clone()
        .place(CA_SECTOR, "esp_ca_cert2.bin", &img)
        .run("https_get");
    assert!(r.has("SESSION LOADED"));
    assert!(r.has("HANDSHAKE OK"));
    assert_eq!(server_reports(&r), ["New"]);
    // Control: the original configuration still resumes the same blob.
    std::fs::write(d.rtc(), &saved).unwrap();
    let r = d.run("https_get");
    assert_eq!(server_reports(&r), ["Reused"]);
}

#[test]
fn alpn_negotiated_with_openssl() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-alpn", "foo,mqtt"]);
    let r = Device::new("alpn_ok", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("alpn", "mqtt,http/1.1")
        .run("https_get");
    assert_eq!(r.code, Some(0));
    assert!(r.has("ALPN mqtt"), "server's choice not reported");
}

#[test]
fn alpn_refused_by_the_server_fails_with_its_alert() {
    // openssl s_server (3.x) answers a list it shares nothing with by the
    // fatal alert no_application_protocol (RFC 7301).
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-alpn", "foo"]);
    let r = Device::new("alpn_refused", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("alpn", "mqtt")
        .run("https_get");
    assert!(!r.has("HANDSHAKE OK"));
    assert_eq!(r.reconnect_err(), Some(9));
    assert_eq!(r.last_error(), Some(-0x7780));
    assert!(r
        .stdout
        .contains("fatal alert NoApplicationProtocol: it serves none of the ALPN protocols"));
    r.assert_heap_returned();
}

#[test]
fn alpn_offered_to_a_server_without_alpn_selects_none() {
    // A server that does not do ALPN ignores the extension: the handshake
    // completes and espconn_secure_get_alpn returns NULL.
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &[]);
    let r = Device::new("alpn_none", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("alpn", "mqtt")
        .run("https_get");
    assert_eq!(r.code, Some(0));
    assert!(r.has("HANDSHAKE OK"));
    assert!(r.has("ALPN (none)"));
}

#[test]
fn alpn_list_is_validated() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &[]);
    // An empty name in the list is refused by espconn_secure_set_alpn.
    let r = Device::new("alpn_bad", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("alpn", "mqtt,,x")
        .run("https_get");
    assert!(r.has("bad --alpn mqtt,,x"));
    assert!(!r.has("HANDSHAKE OK"));
}

#[test]
fn mqtt_sleep_resumes_with_mosquitto_after_deep_sleep() {
    let pki = pki();
    let dir = scratch("mqtt_sleep_broker");
    let broker = mosquitto(&dir, &pki.join("ec"), false);
    let d = Device::new("mqtt_sleep", broker.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost");
    let rtc = d.rtc().display().to_string();
    let d = d.opt("rtc", &rtc);
    let first = d.run("mqtt_sleep");
    assert!(first.has("WAKE cold boot"));
    assert!(first.has("RESUMED no"));
    assert!(first.has("MQTT PUBLISHED"));
    assert!(first
        .stdout
        .lines()
        .any(|l| l.starts_with("SESSION SAVED ")));
    let second = d.run("mqtt_sleep");
    assert!(second.has("WAKE from deep sleep"));
    assert!(second.has("SESSION LOADED"));
    assert!(second.has("RESUMED yes"));
    assert!(second.has("MQTT PUBLISHED"));
    // Resumption saves time, not heap (README "Figures"): a resumed TLS 1.3
    // handshake verifies no chain, but carries the decoded session and a
    // ClientHello with its PSK; its peak stays within a tenth of the full
    // one's.
    assert!(
        second.heap().0 <= first.heap().0 + first.heap().0 / 10,
        "resumed peak {} more than 10% above the full one's {}",
        second.heap().0,
        first.heap().0
    );
}
