//! Small records on request (issue #15 item 4): `espconn_secure_set_fragment_length`
//! sends max_fragment_length (RFC 6066) and record_size_limit (RFC 8449);
//! openssl s_server honours the first, gnutls-serv the second, and the
//! library's own server ignores both. Each test looks at the records the
//! server really sent (https_get's `--recv-log`: one recv callback per
//! record) and at what `espconn_secure_get_fragment_length` reports.

mod support;

use std::path::Path;
use std::process::Command;

use support::*;

/// openssl s_server serving the files of `dir` (`-WWW`) with the EC chain.
fn openssl_files(dir: &Path, extra: &[&str]) -> Peer {
    openssl_server_in(&pki().join("ec"), dir, &[&["-WWW"], extra].concat())
}

/// A scratch directory `name` holding `big.txt`, 16 KB of 'x'.
fn files(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("big.txt"), vec![b'x'; 16384]).unwrap();
    dir
}

/// The lengths of the recv callbacks (`RECV len=N` lines).
fn recv_lengths(stdout: &str) -> Vec<usize> {
    stdout
        .match_indices("RECV len=")
        .map(|(i, _)| {
            let rest = &stdout[i + 9..];
            rest[..rest.find('\n').unwrap()].parse().unwrap()
        })
        .collect()
}

fn download(test: &str, port: u16, frag: Option<&str>) -> Run {
    let pki = pki();
    let mut d = Device::new(test, port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("path", "/big.txt")
        .flag("recv-log");
    if let Some(n) = frag {
        d = d.opt("fragment-length", n);
    }
    d.run("https_get")
}

fn assert_clean(r: &Run) {
    assert!(r.has("HANDSHAKE OK"), "no handshake:\n{}", r.stdout);
    assert!(r.has("DISCONNECT"), "no disconnect:\n{}", r.stdout);
    assert_eq!(r.reconnect_err(), None, "{}", r.stdout);
    r.assert_heap_returned();
}

#[test]
fn openssl_honours_max_fragment_length_1024_and_sends_16k_in_1k_records() {
    let dir = files("fraglen-openssl-files");
    for tls in ["-tls1_2", "-tls1_3"] {
        let srv = openssl_files(&dir, &[tls]);
        let r = download("fraglen-openssl", srv.port, Some("1024"));
        assert_clean(&r);
        assert!(
            r.has("FRAGMENT LENGTH 1024"),
            "{tls}: not agreed:\n{}",
            r.stdout
        );
        let lens = recv_lengths(&r.stdout);
        assert!(
            lens.iter().sum::<usize>() > 16384,
            "{tls}: file not received"
        );
        assert!(
            lens.iter().all(|&n| n <= 1024),
            "{tls}: a record over 1024 bytes: {lens:?}"
        );
    }
}

#[test]
fn without_the_request_openssl_sends_records_over_1024() {
    // The control of the test above: the small records come from the request.
    let dir = files("fraglen-control-files");
    let srv = openssl_files(&dir, &["-tls1_2"]);
    let r = download("fraglen-control", srv.port, None);
    assert_clean(&r);
    assert!(r.has("FRAGMENT LENGTH 0"), "{}", r.stdout);
    assert!(
        recv_lengths(&r.stdout).iter().any(|&n| n > 1024),
        "openssl sent small records unasked"
    );
}

#[test]
fn set_size_4096_asks_openssl_for_4096_byte_records() {
    let dir = files("fraglen-size-files");
    let srv = openssl_files(&dir, &["-tls1_2"]);
    let pki = pki();
    let r = Device::new("fraglen-size", srv.port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("path", "/big.txt")
        .opt("size", "4500")
        .run("https_get");
    assert_clean(&r);
    assert!(r.has("FRAGMENT LENGTH 4096"), "{}", r.stdout);
}

/// Its status page (~930 bytes) comes in records of at most 512 bytes.
#[test]
fn gnutls_honours_record_size_limit_512() {
    let pki = pki();
    let ec = pki.join("ec");
    for prio in [
        "NORMAL:-VERS-ALL:+VERS-TLS1.2",
        "NORMAL:-VERS-ALL:+VERS-TLS1.3",
    ] {
        let port = free_port();
        let log = scratch("fraglen-gnutls-log").join("gnutls.log");
        // Its debug log shows which extension it answered.
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "exec gnutls-serv --http -d 4 -p {port} --priority {prio} --x509certfile {} --x509keyfile {} >{} 2>&1",
            ec.join("chain.pem").display(),
            ec.join("leaf.key").display(),
            log.display()
        ));
        let srv = Peer::start(cmd, port);
        let r = Device::new("fraglen-gnutls", port)
            .ca(&ec.join("root.pem"))
            .opt("hostname", "localhost")
            .opt("fragment-length", "512")
            .flag("recv-log")
            .run("https_get");
        drop(srv);
        let server = std::fs::read_to_string(&log).unwrap_or_default();
        assert_clean(&r);
        assert!(
            r.has("FRAGMENT LENGTH 512"),
            "{prio}: not agreed:\n{}",
            r.stdout
        );
        assert!(r.stdout.contains("GnuTLS"), "no status page");
        let lens = recv_lengths(&r.stdout);
        assert!(
            lens.iter().sum::<usize>() > 512 && lens.iter().all(|&n| n <= 512),
            "{prio}: {lens:?}"
        );
        assert!(
            server.contains("Sending extension Record Size Limit/28"),
            "{prio}: gnutls did not use record_size_limit:\n{server}"
        );
    }
}

#[test]
fn a_server_that_ignores_both_extensions_still_serves_its_records() {
    // The library's own server (rustls) answers neither extension.
    let pki = pki();
    let (port, server) = {
        let a = args(&[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("ec/leaf.key").display().to_string()),
            ("port", "0".into()),
            ("clients", "1".into()),
            ("time", now()),
            ("run-for", "30000".into()),
        ]);
        run_listening("https_server", a, 60)
    };
    let r = Device::new("fraglen-ignored", port)
        .ca(&pki.join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("fragment-length", "512")
        .flag("recv-log")
        .run("https_get");
    let _ = server.join();
    assert_clean(&r);
    assert!(r.has("FRAGMENT LENGTH 0"), "{}", r.stdout);
}

/// tests/support/tls_peer.py (Python over OpenSSL, which honours
/// max_fragment_length) answering the request with 16384 bytes.
fn reply_16k() -> Peer {
    tls_peer(&pki(), "reply", &["--size", "16384"])
}

fn download_16k(test: &str, port: u16, take: &str) -> Run {
    Device::new(test, port)
        .heap(32 * 1024)
        .ca(&pki().join("ec/root.pem"))
        .opt("hostname", "localhost")
        .opt("fragment-length", "1024")
        .opt("take-heap", take)
        .run("https_get")
}

/// Issue #15 item 6: with records of 1 KB a 16 KB download fits a 32 KB
/// heap with room to spare: its heap peak is ~7.8 KB in the 32-bit
/// simulator, and `make bench`'s record16k_mfl finds min_heap ~8.2 KB (the
/// pre-checks' estimates). Here the rest of the firmware takes 23 500 bytes
/// after `espconn_secure_connect` (~8.8 KB left free: it completes) and
/// 24 900 (~7.4 KB left, above the connect's 7 KB pre-check: it fails
/// cleanly).
#[test]
fn download_of_16k_in_1k_records_fits_a_32k_heap_and_fails_cleanly_below_its_need() {
    let srv = reply_16k();
    let ok = download_16k("fraglen-heap-ok", srv.port, "23500");
    assert!(
        ok.stdout.contains("TOOK 23500 bytes of heap"),
        "{}",
        ok.stdout
    );
    assert_clean(&ok);
    assert!(ok.has("FRAGMENT LENGTH 1024"), "{}", ok.stdout);
    assert!(ok.has("RECEIVED 16384 bytes"), "{}", ok.stdout);
    let short = download_16k("fraglen-heap-short", srv.port, "24900");
    assert!(
        short.stdout.contains("TOOK 24900 bytes of heap"),
        "{}",
        short.stdout
    );
    assert_eq!(short.reconnect_err(), Some(-127), "{}", short.stdout);
    assert_eq!(short.last_error(), Some(-0x7F00), "{}", short.stdout);
    assert!(
        short.stdout.contains("free in the heap"),
        "reason should give the numbers:\n{}",
        short.stdout
    );
    short.assert_heap_returned();
}
