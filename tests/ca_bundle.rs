//! CA bundles (`espcert bundle`, `espconn_secure_ca_enable` on a bundle) end
//! to end: https_get, linked with the library and the simulator, with
//! Debian's full `ca-certificates` set plus the test roots in flash, against
//! openssl s_server and gnutls-serv chained to the EC and the RSA test root.
//! The bundle is made by the library's encoder, the code `espcert bundle`
//! runs (tools/espcert/tests/cli.rs runs the command itself).

mod support;

use std::path::Path;

use espconn_secure::certs::bundle::{self, Anchor, Bundle, ENTRY_LEN, HEADER_LEN};
use espconn_secure::certs::certificates;
use support::*;

/// Where the bundle goes: past the vendor sectors, room for 1 MB.
const SECTOR: &str = "0x200";
const SECTOR_N: u32 = 0x200;

/// Debian's set of roots.
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Every certificate of Debian's set webpki takes as an anchor, then
/// `extra` roots (PEM files).
fn anchors(extra: &[&Path]) -> Vec<Anchor> {
    let pem = std::fs::read(SYSTEM_ROOTS)
        .expect("Debian's ca-certificates set (apt-get install ca-certificates; make deps-host)");
    let mut v: Vec<Anchor> = certificates(&pem)
        .unwrap()
        .iter()
        .filter_map(|c| Anchor::from_cert(c).ok())
        .collect();
    assert!(v.len() > 120, "only {} Debian roots", v.len());
    for f in extra {
        for c in certificates(&std::fs::read(f).unwrap()).unwrap() {
            v.push(Anchor::from_cert(&c).unwrap());
        }
    }
    v
}

fn test_roots() -> Vec<Anchor> {
    let pki = pki();
    anchors(&[&pki.join("ec/root.pem"), &pki.join("rsa/root.pem")])
}

/// The tests of this file run one at a time: the heap comparison runs
/// undisturbed (the timing of the server's segments moves the peak).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn with_bundle(d: Device, img: &[u8]) -> Device {
    d.place(SECTOR, "esp_ca_bundle.bin", img)
        .opt("ca-sector", SECTOR)
        .opt("hostname", "localhost")
}

#[test]
fn debian_bundle_with_the_test_roots_verifies_an_ec_chain_from_openssl() {
    let _serial = one_at_a_time();
    let img = bundle::encode(&test_roots()).unwrap();
    let b = Bundle::open(0, bundle::slice_reader(&img, 0))
        .unwrap()
        .unwrap();
    assert!(b.count > 120 && b.sectors() > 8, "{b:?}");
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = with_bundle(Device::new("bundle_ec", srv.port), &img).run("https_get");
    assert_clean_success(&r);
}

#[test]
fn debian_bundle_with_the_test_roots_verifies_an_rsa_chain_from_gnutls() {
    let _serial = one_at_a_time();
    let img = bundle::encode(&test_roots()).unwrap();
    let srv = gnutls_server(&pki().join("rsa"));
    let r = with_bundle(Device::new("bundle_rsa", srv.port), &img).run("https_get");
    assert_clean_success(&r);
    assert!(r.stdout.contains("GnuTLS"), "no GnuTLS status page");
}

#[test]
fn debian_bundle_verifies_a_tls13_ec_chain_sent_with_its_root() {
    let _serial = one_at_a_time();
    // The server sends its root too: the anchor found by the root's own
    // issuer name is the same one.
    let ec = pki().join("ec");
    let dir = scratch("bundle_root_sent_server");
    std::fs::copy(ec.join("leaf.pem"), dir.join("leaf.pem")).unwrap();
    std::fs::copy(ec.join("leaf.key"), dir.join("leaf.key")).unwrap();
    let mut both = std::fs::read(ec.join("int.pem")).unwrap();
    both.extend(std::fs::read(ec.join("root.pem")).unwrap());
    std::fs::write(dir.join("int.pem"), both).unwrap();
    let img = bundle::encode(&test_roots()).unwrap();
    let srv = openssl_server(&dir, &["-tls1_3"]);
    let r = with_bundle(Device::new("bundle_tls13", srv.port), &img).run("https_get");
    assert_clean_success(&r);
}

#[test]
fn bundle_without_the_servers_root_fails_with_0x2700_naming_the_root() {
    let _serial = one_at_a_time();
    let img = bundle::encode(&anchors(&[&pki().join("rsa/root.pem")])).unwrap();
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = with_bundle(Device::new("bundle_noroot", srv.port), &img).run("https_get");
    assert_fails_saying(
        &r,
        -39,
        -0x2700,
        &[
            "Reason:[-0x2700]",
            "root 'CN=Test Root ec",
            "is not in the CA bundle at sector 0x200",
        ],
    );
}

#[test]
fn bundle_with_a_corrupt_index_fails_with_0x2780_naming_the_sector() {
    let _serial = one_at_a_time();
    let mut img = bundle::encode(&test_roots()).unwrap();
    img[HEADER_LEN + 3 * ENTRY_LEN + 6] ^= 0x01;
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = with_bundle(Device::new("bundle_badindex", srv.port), &img).run("https_get");
    assert_fails_saying(
        &r,
        89,
        -0x2780,
        &[
            "Reason:[-0x2780]",
            "CA bundle at sector 0x200: index checksum failed",
        ],
    );
}

#[test]
fn bundle_with_the_servers_root_corrupt_fails_with_0x2780_naming_the_sector() {
    let _serial = one_at_a_time();
    let roots = test_roots();
    let img = bundle::encode(&roots).unwrap();
    // Damage the EC test root's key where the index says it lies.
    let ec_root = &roots[roots.len() - 2];
    let b = Bundle::open(SECTOR_N, bundle::slice_reader(&img, SECTOR_N))
        .unwrap()
        .unwrap();
    let (off, _) = b
        .find(&ec_root.subject, bundle::slice_reader(&img, SECTOR_N))
        .unwrap()
        .remove(0);
    let mut bad = img.clone();
    bad[off + 6 + ec_root.subject.len() + 20] ^= 0x80;
    let srv = openssl_server(&pki().join("ec"), &[]);
    let r = with_bundle(Device::new("bundle_badanchor", srv.port), &bad).run("https_get");
    assert_fails_saying(
        &r,
        89,
        -0x2780,
        &[
            "Reason:[-0x2780]",
            "CA bundle at sector 0x200: anchor",
            "checksum failed",
        ],
    );
}

#[test]
fn heap_peak_with_the_debian_bundle_is_that_of_a_single_ca_image() {
    let _serial = one_at_a_time();
    let pki = pki();
    let img = bundle::encode(&test_roots()).unwrap();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    // How the server's flight is split into TCP segments moves the receive
    // buffer's growth (and a peak) by up to ~3 KB from run to run, with any
    // CA: the least of three runs of each is compared.
    let least = |d: &Device| {
        (0..3)
            .map(|_| {
                let r = d.run("https_get");
                assert_clean_success(&r);
                r.heap().0
            })
            .min()
            .unwrap()
    };
    let single = least(
        &Device::new("bundle_heap_single", srv.port)
            .ca(&pki.join("ec/root.pem"))
            .opt("hostname", "localhost"),
    );
    let bundled = least(&with_bundle(Device::new("bundle_heap", srv.port), &img));
    // The image is ~65 KB; the peaks may differ by an anchor's bytes and by
    // the segmentation noise above (seen up to ~2.5 KB on a loaded machine,
    // in all three runs), never by the bundle: loading it would cost tens
    // of KB.
    assert!(
        bundled.abs_diff(single) < 4096,
        "heap peak {bundled} with a {}-byte bundle, {single} with one CA",
        img.len()
    );
    println!("heap peak: single CA {single}, Debian bundle {bundled}");
}

#[test]
fn a_session_verified_against_the_bundle_resumes_and_a_changed_bundle_does_not() {
    let _serial = one_at_a_time();
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let resumed = |r: &Run| -> Vec<String> {
        r.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("RESUMED "))
            .map(String::from)
            .collect()
    };
    let img = bundle::encode(&test_roots()).unwrap();
    let r = with_bundle(Device::new("bundle_resume", srv.port), &img)
        .opt("session-cache", "1")
        .opt("repeat", "1")
        .run("https_get");
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    assert_eq!(resumed(&r), ["no", "yes"], "{}", r.stdout);
    // The session is bound to the bundle's content: a session saved under
    // one bundle is not resumed under another (RTC memory across a sleep).
    let other = bundle::encode(&anchors(&[&pki.join("ec/root.pem")])).unwrap();
    let d = Device::new("bundle_resume_changed", srv.port);
    let rtc = d.rtc().display().to_string();
    // One boot per run: the session travels in the RTC file only.
    let boot = |img: &[u8]| {
        with_bundle(d.clone(), img)
            .opt("session-cache", "1")
            .opt("rtc", &rtc)
            .flag("sleep")
            .run("https_get")
    };
    let first = boot(&img);
    assert_eq!(resumed(&first), ["no"], "{}", first.stdout);
    let again = boot(&img);
    assert_eq!(resumed(&again), ["yes"], "{}", again.stdout);
    let changed = boot(&other);
    assert!(changed.has("HANDSHAKE OK"), "{}", changed.stdout);
    assert_eq!(resumed(&changed), ["no"], "{}", changed.stdout);
}
