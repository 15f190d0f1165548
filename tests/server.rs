//! The TLS server (`espconn_secure_accept`) through the NONOS example
//! examples-c/https_server, against real clients on 127.0.0.1: curl and
//! openssl s_client, TLS 1.2 and 1.3, client certificates, a stalled client
//! and several clients at once. Every run checks the callbacks (connect with
//! the accepted espconn, disconnect/reconnect with the listener), the payload,
//! `espconn_secure_delete` and that the heap returns to its start value.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use support::*;

/// Starts build/host/https_server on a free port; it deletes the server and
/// exits after `clients` clients ended.
fn start_server(extra: &[(&str, String)], clients: u32) -> (u16, JoinHandle<Run>) {
    start_server_heap(extra, clients, SIM_HEAP_CAP)
}

/// As [`start_server`] with a simulated heap of `heap` bytes.
fn start_server_heap(extra: &[(&str, String)], clients: u32, heap: u64) -> (u16, JoinHandle<Run>) {
    // Port 0: the server takes whatever the kernel gives it and prints it, so
    // parallel tests never race for a port picked in advance.
    let mut a = args(&[
        ("heap", heap.to_string()),
        ("port", "0".into()),
        ("clients", clients.to_string()),
        ("time", now()),
        ("run-for", "40000".into()),
    ]);
    a.extend(args(extra));
    let (port, h) = run_listening("https_server", a, 60);
    let h = std::thread::spawn(move || {
        let mut run = h.join().unwrap();
        run.cap = heap;
        run
    });
    (port, h)
}

fn curl(port: u16, extra: &[&str]) -> Output {
    let pki = pki();
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(pki.join("ec/root.pem"))
        .args(extra)
        .arg(format!("https://localhost:{port}/status"))
        .output()
        .expect("run curl")
}

/// openssl s_client sending one HTTP request; returns what it printed.
fn s_client(port: u16, extra: &[&str]) -> Output {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-ign_eof",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(b"GET /s_client HTTP/1.0\r\n\r\n");
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn count(run: &Run, prefix: &str) -> usize {
    run.stdout.lines().filter(|l| l.starts_with(prefix)).count()
}

/// Common end-of-run checks: `ok` clients served, every ending reported to
/// the listener, the server deleted, the heap back to its start value.
fn assert_served(run: &Run, ok: usize, endings: usize) {
    assert_eq!(count(run, "HANDSHAKE OK peer=127.0.0.1:"), ok, "handshakes");
    assert_eq!(
        run.stdout.matches("accept_conn=1").count(),
        ok,
        "connect callback must get the accepted espconn"
    );
    assert_eq!(count(run, "REQUEST GET /"), ok, "requests");
    assert_eq!(
        count(run, "DISCONNECT listener=1") + count(run, "listener=1"),
        endings,
        "every ending reaches the listening espconn"
    );
    assert!(run.has("DELETE ret=0"), "espconn_secure_delete");
    assert_eq!(run.code, Some(0));
    run.assert_heap_returned();
    assert_eq!(run.heap().1, 0, "default certificate and key freed");
}

/// The server with the EC chain, two curl runs with these options; both
/// must get the status page.
fn ec_server_serves_two_curls(first: &[&str], second: &[&str]) -> Run {
    let pki = pki();
    let (port, h) = start_server(
        &[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("ec/leaf.key").display().to_string()),
        ],
        2,
    );
    let a = curl(port, first);
    let b = curl(port, second);
    let run = h.join().unwrap();
    for o in [&a, &b] {
        assert!(
            o.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let body = String::from_utf8_lossy(&o.stdout);
        assert!(body.contains("espconn_secure https_server"), "{body}");
    }
    assert_served(&run, 2, 2);
    run
}

#[test]
fn curl_over_tls12_and_tls13_gets_the_status_page() {
    let run = ec_server_serves_two_curls(&["--tlsv1.2", "--tls-max", "1.2"], &["--tlsv1.3"]);
    // Short steps on the server's side too (issue #18): each handshake's key
    // generation, ECDH and signature in SDK callbacks of their own.
    let (ops, most) = run.public_key_ops();
    assert!(ops >= 6, "only {ops} public-key operations counted");
    assert_eq!(most, 1, "{ops} operations, up to {most} in one callback");
    assert!(run.has("DELETE while connected ret=-5"));
    assert!(run.has("server handshake start."));
    assert!(run.has("server handshake ok!"));
    assert_eq!(count(&run, "DISCONNECT listener=1"), 2);
}

/// The secp256r1 key exchange (our P-256 arithmetic, src/tls/provider/
/// ec_p256) against curl/OpenSSL, which otherwise picks X25519.
#[test]
fn curl_with_only_p256_key_exchange_gets_the_status_page() {
    ec_server_serves_two_curls(
        &["--tlsv1.2", "--tls-max", "1.2", "--curves", "P-256"],
        &["--tlsv1.3", "--curves", "P-256"],
    );
}

#[test]
fn rsa_certificate_and_key_in_der_serve_openssl_s_client() {
    let pki = pki();
    let dir = scratch("server_rsa_der");
    let der = |args: &[&str], out: &Path| {
        let st = Command::new("openssl")
            .args(args)
            .arg("-out")
            .arg(out)
            .status()
            .unwrap();
        assert!(st.success());
    };
    let cert = dir.join("leaf.der");
    let key = dir.join("leaf.key.der");
    let leaf = pki.join("rsa/leaf.pem").display().to_string();
    let leaf_key = pki.join("rsa/leaf.key").display().to_string();
    der(&["x509", "-in", &leaf, "-outform", "DER"], &cert);
    der(&["pkey", "-in", &leaf_key, "-outform", "DER"], &key);
    let cafile = dir.join("ca.pem");
    let mut ca = std::fs::read(pki.join("rsa/root.pem")).unwrap();
    ca.extend(std::fs::read(pki.join("rsa/int.pem")).unwrap());
    std::fs::write(&cafile, ca).unwrap();
    // Signing with an RSA key (the `rsa` crate) needs ~30 KB during the
    // handshake (see the README's figures).
    let (port, h) = start_server_heap(
        &[
            ("cert", cert.display().to_string()),
            ("key", key.display().to_string()),
        ],
        2,
        65536,
    );
    let ca_s = cafile.display().to_string();
    let a = s_client(port, &["-tls1_2", "-CAfile", &ca_s, "-verify_return_error"]);
    let b = s_client(port, &["-tls1_3", "-CAfile", &ca_s, "-verify_return_error"]);
    let run = h.join().unwrap();
    for o in [&a, &b] {
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
        assert!(out.contains("espconn_secure https_server"), "{out}");
    }
    assert!(String::from_utf8_lossy(&a.stdout).contains("Protocol  : TLSv1.2"));
    assert!(String::from_utf8_lossy(&b.stdout).contains("TLSv1.3"));
    assert_served(&run, 2, 2);
}

#[test]
fn client_certificates_required_with_ca_enable_server() {
    let pki = pki();
    // A client certificate (clientAuth) from a CA the server does not trust,
    // made before the server starts (its clock must not predate it).
    let dir = scratch("server_wrong_ca");
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-days", "30", "-subj", "/CN=stranger"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "keyUsage=critical,digitalSignature"])
        .args(["-addext", "extendedKeyUsage=clientAuth"])
        .arg("-keyout")
        .arg(dir.join("stranger.key"))
        .arg("-out")
        .arg(dir.join("stranger.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let stranger = dir.join("stranger.pem").display().to_string();
    let stranger_key = dir.join("stranger.key").display().to_string();
    let (port, h) = start_server(
        &[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("ec/leaf.key").display().to_string()),
            (
                "flash-place",
                format!("0x77:{}", pki.join("ec/root.pem").display()),
            ),
            ("ca-sector", "0x77".into()),
        ],
        4,
    );
    let p = |s: &str| pki.join(s).display().to_string();
    let root = p("ec/root.pem");
    let good12 = s_client(
        port,
        &[
            "-tls1_2",
            "-CAfile",
            &root,
            "-cert",
            &p("client/ec.pem"),
            "-key",
            &p("client/ec.key"),
        ],
    );
    let good13 = curl(
        port,
        &[
            "--tlsv1.3",
            "--cert",
            &p("client/rsa.pem"),
            "--key",
            &p("client/rsa.key"),
        ],
    );
    let none = curl(port, &["--tlsv1.2", "--tls-max", "1.2"]);
    let wrong = curl(
        port,
        &[
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            "--cert",
            &stranger,
            "--key",
            &stranger_key,
        ],
    );
    let run = h.join().unwrap();
    let out = String::from_utf8_lossy(&good12.stdout);
    assert!(out.contains("espconn_secure https_server"), "{out}");
    assert!(
        good13.status.success(),
        "{}",
        String::from_utf8_lossy(&good13.stderr)
    );
    assert!(
        !none.status.success(),
        "a client without certificate must be refused"
    );
    assert!(
        !wrong.status.success(),
        "a client certificate from another CA must be refused"
    );
    assert!(run.has("server handshake failed!"));
    assert_eq!(count(&run, "RECONNECT err="), 2, "{}", run.stdout);
    assert!(run.stdout.contains("espconn_secure: "), "a reason line");
    // Both refusals carry a code and its text: no certificate (-0x7480 -> 12),
    // unknown CA (-0x2700 -> -39, the issuer named in the reason).
    assert!(run.has("RECONNECT err=12"), "{}", run.stdout);
    assert!(run.has("RECONNECT err=-39"), "{}", run.stdout);
    assert!(run.stdout.contains("unknown CA"), "{}", run.stdout);
    assert_eq!(count(&run, "last_error=-0x"), 2);
    assert_served(&run, 2, 4);
}

#[test]
fn client_certificates_checked_against_a_ca_bundle_in_flash() {
    use espconn_secure::certs::bundle::{encode, Anchor};
    let pki = pki();
    let p = |s: &str| pki.join(s).display().to_string();
    // A small bundle (the server loads every anchor of it): an unrelated root
    // and the one that issued the client certificates.
    let anchors: Vec<Anchor> = ["other/root.pem", "ec/root.pem"]
        .iter()
        .flat_map(|f| espconn_secure::certs::certificates(&std::fs::read(p(f)).unwrap()).unwrap())
        .map(|c| Anchor::from_cert(&c).unwrap())
        .collect();
    let img = scratch("server_bundle").join("esp_ca_bundle.bin");
    std::fs::write(&img, encode(&anchors).unwrap()).unwrap();
    let (port, h) = start_server(
        &[
            ("cert", p("ec/chain.pem")),
            ("key", p("ec/leaf.key")),
            ("flash-place", format!("0x200:{}", img.display())),
            ("ca-sector", "0x200".into()),
        ],
        3,
    );
    let ec13 = curl(
        port,
        &[
            "--tlsv1.3",
            "--cert",
            &p("client/ec.pem"),
            "--key",
            &p("client/ec.key"),
        ],
    );
    let rsa12 = curl(
        port,
        &[
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            "--cert",
            &p("client/rsa.pem"),
            "--key",
            &p("client/rsa.key"),
        ],
    );
    let none = curl(port, &["--tlsv1.2", "--tls-max", "1.2"]);
    let run = h.join().unwrap();
    for o in [&ec13, &rsa12] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        !none.status.success(),
        "a client without certificate must be refused"
    );
    assert!(run.has("RECONNECT err=12"), "{}", run.stdout);
    assert_served(&run, 2, 3);
}

#[test]
fn a_stalled_client_does_not_block_others_and_its_close_is_reported() {
    let (port, h) = start_server(&[], 2);
    // Half a record header, then nothing.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stalled.write_all(&[0x16, 0x03]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let o = Command::new("curl")
        .args(["-sS", "-k", "--max-time", "20", "--tlsv1.3"])
        .arg(format!("https://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    drop(stalled);
    let run = h.join().unwrap();
    // The built-in certificate served the page; the stalled client ended in
    // the reconnect callback with SSL_CONN_EOF (-0x7280 -> 14).
    assert!(run.has("RECONNECT err=14"), "{}", run.stdout);
    assert_eq!(run.last_error(), Some(-0x7280));
    assert_served(&run, 1, 2);
}

#[test]
fn espconn_tcp_set_max_con_allow_bounds_the_tls_clients() {
    let pki = pki();
    let (port, h) = start_server(
        &[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("ec/leaf.key").display().to_string()),
            ("max-con", "1".into()),
        ],
        2,
    );
    // A first client holds the only place: half a record header, then nothing.
    let mut first = TcpStream::connect(("127.0.0.1", port)).unwrap();
    first.write_all(&[0x16, 0x03]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // A second one is turned away by the SDK while the first is connected.
    let refused = curl(port, &["--tlsv1.2"]);
    assert!(
        !refused.status.success(),
        "second client served beyond the limit"
    );
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        ["reset", "(7)", "(35)", "(56)"]
            .iter()
            .any(|s| why.contains(s)),
        "refused for another reason: {why}"
    );
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    // With the place free again, a client is served.
    let served = curl(port, &["--tlsv1.2"]);
    assert!(
        served.status.success(),
        "{}",
        String::from_utf8_lossy(&served.stderr)
    );
    let run = h.join().unwrap();
    assert!(run.has("MAX_CON_ALLOW set=0 get=1"), "{}", run.stdout);
    assert_eq!(count(&run, "HANDSHAKE OK"), 1, "{}", run.stdout);
    assert_served(&run, 1, 2);
}

#[test]
fn four_clients_at_once() {
    let pki = pki();
    // Four concurrent EC handshakes need about 4 x 13 KB at their peaks.
    let (port, h) = start_server_heap(
        &[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("ec/leaf.key").display().to_string()),
        ],
        4,
        81920,
    );
    let clients: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let v = if i % 2 == 0 { "--tlsv1.3" } else { "--tlsv1.2" };
                curl(port, &[v])
            })
        })
        .collect();
    let outs: Vec<Output> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let run = h.join().unwrap();
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("espconn_secure https_server"));
    }
    assert_served(&run, 4, 4);
}

#[test]
fn vendor_return_codes_of_accept_delete_and_set_default() {
    let r = run_example("test_server_api", &args(&[("run-for", "5000".into())]), 30);
    let checks: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("CHECK "))
        .collect();
    assert!(checks.len() >= 27, "checks missing:\n{}", r.stdout);
    let failed: Vec<&&str> = checks.iter().filter(|l| !l.ends_with(" ok")).collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}");
    assert!(r.has("DONE failures=0"));
    assert_eq!(r.code, Some(0));
}

#[test]
fn a_key_not_matching_the_certificate_fails_each_handshake_with_its_code() {
    let pki = pki();
    let (port, h) = start_server(
        &[
            ("cert", pki.join("ec/chain.pem").display().to_string()),
            ("key", pki.join("other/leaf.key").display().to_string()),
        ],
        1,
    );
    let o = curl(port, &[]);
    let run = h.join().unwrap();
    assert!(!o.status.success());
    assert!(run.has("server handshake failed!"), "{}", run.stdout);
    // PK_TYPE_MISMATCH -0x3F00 -> -63, reason on its own line.
    assert!(run.has("RECONNECT err=-63"), "{}", run.stdout);
    assert!(run.stdout.contains("default certificate and key:"));
    assert!(run.has("listener=1"));
    assert!(run.has("DELETE ret=0"));
    run.assert_heap_returned();
}

#[test]
fn listener_callbacks_registered_after_accept_never_expose_the_connection() {
    let pki = pki();
    let a: Vec<String> = vec![
        "--cert".into(),
        pki.join("ec/chain.pem").display().to_string(),
        "--key".into(),
        pki.join("ec/leaf.key").display().to_string(),
        "--run-for".into(),
        "3000".into(),
    ];
    let (port, h) = run_listening("test_server_late_callbacks", a, 30);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(c);
    let run = h.join().unwrap();
    // The run ends by its time limit (exit code 3), not by a crash.
    assert_eq!(run.code, Some(3), "{}", run.stdout);
    assert!(run.has("RAW CONNECT"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("USER RECV"),
        "bytes reached the program"
    );
    assert!(
        run.stdout.contains("the library never took on"),
        "{}",
        run.stdout
    );
}

/// The EC chain, and the session cache on with `entries` entries (none: off).
fn resumption_server(
    entries: Option<u8>,
    extra: &[(&str, String)],
    clients: u32,
) -> (u16, JoinHandle<Run>) {
    let pki = pki();
    let mut a = vec![
        ("cert", pki.join("ec/chain.pem").display().to_string()),
        ("key", pki.join("ec/leaf.key").display().to_string()),
    ];
    if let Some(n) = entries {
        a.push(("session-cache", n.to_string()));
    }
    a.extend(extra.iter().cloned());
    start_server(&a, clients)
}

/// `s_client` offering the session saved in `sess_in` and saving its own
/// to `sess_out`; returns whether it reports "Reused" (else it must report
/// "New").
fn s_client_session(
    port: u16,
    version: &[&str],
    sess_in: Option<&Path>,
    sess_out: Option<&Path>,
) -> bool {
    let ca = pki().join("ec/root.pem").display().to_string();
    let mut a: Vec<String> = version.iter().map(|s| s.to_string()).collect();
    for (flag, file) in [("-sess_in", sess_in), ("-sess_out", sess_out)] {
        if let Some(f) = file {
            a.extend([flag.to_string(), f.display().to_string()]);
        }
    }
    a.extend(["-CAfile".into(), ca, "-verify_return_error".into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = s_client(port, &a);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("espconn_secure https_server"), "{out}");
    let reused = out.lines().any(|l| l.starts_with("Reused, TLSv1."));
    assert!(
        reused || out.lines().any(|l| l.starts_with("New, TLSv1.")),
        "{out}"
    );
    reused
}

/// The `resumed=N` values of the server's HANDSHAKE OK lines, in order.
fn resumed_flags(run: &Run) -> Vec<bool> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("HANDSHAKE OK peer=127.0.0.1:"))
        .map(|l| l.trim_end().ends_with("resumed=1"))
        .collect()
}

#[test]
fn openssl_s_client_resumes_tls12_tickets_and_session_ids_and_tls13_tickets() {
    let dir = scratch("server_resume_s_client");
    let (port, h) = resumption_server(Some(2), &[], 6);
    let mut seen = Vec::new();
    for (name, version) in [
        ("tls12_ticket", &["-tls1_2"][..]),
        ("tls12_session_id", &["-tls1_2", "-no_ticket"][..]),
        ("tls13_ticket", &["-tls1_3"][..]),
    ] {
        let file = dir.join(format!("{name}.pem"));
        let first = s_client_session(port, version, None, Some(&file));
        let second = s_client_session(port, version, Some(&file), None);
        seen.push((name, first, second));
    }
    let run = h.join().unwrap();
    for (name, first, second) in &seen {
        assert!(!first, "{name}: first handshake resumed");
        assert!(second, "{name}: not resumed:\n{}", run.stdout);
    }
    assert_eq!(
        resumed_flags(&run),
        [false, true, false, true, false, true],
        "espconn_secure_session_resumed on the accepted espconn"
    );
    assert_served(&run, 6, 6);
}

#[test]
fn curl_resumes_the_second_request_of_one_process() {
    let (port, h) = resumption_server(Some(1), &[], 4);
    let url = format!("https://localhost:{port}/again");
    let mut outs = Vec::new();
    for v in [&["--tlsv1.2", "--tls-max", "1.2"][..], &["--tlsv1.3"][..]] {
        let mut a = v.to_vec();
        a.push(&url);
        outs.push(curl(port, &a));
    }
    let run = h.join().unwrap();
    for o in &outs {
        assert!(
            o.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let body = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            body.matches("espconn_secure https_server").count(),
            2,
            "{body}"
        );
    }
    assert_eq!(
        resumed_flags(&run),
        [false, true, false, true],
        "{}",
        run.stdout
    );
    assert_served(&run, 4, 4);
}

#[test]
fn without_the_session_cache_no_client_resumes() {
    let dir = scratch("server_resume_off");
    let versions = [
        &["-tls1_2"][..],
        &["-tls1_2", "-no_ticket"][..],
        &["-tls1_3"][..],
    ];
    let files: Vec<_> = (0..3).map(|i| dir.join(format!("{i}.pem"))).collect();
    // Sessions from a server with the cache on (without it no ticket or
    // session id is issued, so there would be nothing to offer) ...
    let (port, h) = resumption_server(Some(2), &[], 3);
    for (v, f) in versions.iter().zip(&files) {
        s_client_session(port, v, None, Some(f));
    }
    assert_served(&h.join().unwrap(), 3, 3);
    // ... offered to one without it: full handshakes, nothing issued.
    let (port, h) = resumption_server(None, &[], 3);
    let mut reused = Vec::new();
    let mut issued = Vec::new();
    for (v, f) in versions.iter().zip(&files) {
        let out = f.with_extension("off.pem");
        reused.push(s_client_session(port, v, Some(f), Some(&out)));
        issued.push(std::fs::read(&out).is_ok_and(|b| !b.is_empty()));
    }
    let run = h.join().unwrap();
    assert_eq!(reused, [false; 3], "resumed with the cache off");
    assert_eq!(resumed_flags(&run), [false; 3]);
    assert_served(&run, 3, 3);
    // s_client saves only a resumable session: no ticket, no session id.
    assert_eq!(
        issued, [false; 3],
        "a session was issued with the cache off"
    );
}

/// A server with a one-entry cache whose clock is set (no SNTP) and jumps
/// `hours` ahead after its first two clients.
fn clock_jump_server(hours: u32, clients: u32) -> (u16, JoinHandle<Run>) {
    resumption_server(
        Some(1),
        &[
            ("set-time", "1811808000".into()),
            ("time-jump", (hours * 3600).to_string()),
            ("time-jump-after", "2".into()),
        ],
        clients,
    )
}

#[test]
fn a_ticket_older_than_two_key_periods_falls_back_to_a_full_handshake() {
    let dir = scratch("server_resume_rotation");
    // After the first two clients the clock jumps 13 h ahead: two key
    // periods of 6 h, so both keys those tickets were encrypted with are gone.
    let (port, h) = clock_jump_server(13, 6);
    let v12 = &["-tls1_2"][..];
    let v13 = &["-tls1_3"][..];
    let old = [dir.join("tls12.pem"), dir.join("tls13.pem")];
    let new = [dir.join("tls12-new.pem"), dir.join("tls13-new.pem")];
    let before = [
        s_client_session(port, v12, None, Some(&old[0])),
        s_client_session(port, v13, None, Some(&old[1])),
    ];
    // The same tickets after the jump: refused, and the full handshakes that
    // follow work and bring new tickets, which resume.
    let after = [
        s_client_session(port, v12, Some(&old[0]), Some(&new[0])),
        s_client_session(port, v13, Some(&old[1]), Some(&new[1])),
    ];
    let again = [
        s_client_session(port, v12, Some(&new[0]), None),
        s_client_session(port, v13, Some(&new[1]), None),
    ];
    let run = h.join().unwrap();
    assert!(run.stdout.contains("CLOCK +46800 s: 1"), "{}", run.stdout);
    assert_eq!(before, [false, false]);
    assert_eq!(after, [false, false], "an expired ticket resumed");
    assert_eq!(again, [true, true], "new tickets after the rotation");
    assert_eq!(
        resumed_flags(&run),
        [false, false, false, false, true, true]
    );
    assert_served(&run, 6, 6);
}

#[test]
fn client_certificate_sessions_resume_by_ticket_and_not_by_session_id() {
    let pki = pki();
    let dir = scratch("server_resume_mtls");
    let (port, h) = resumption_server(
        Some(2),
        &[
            (
                "flash-place",
                format!("0x77:{}", pki.join("ec/root.pem").display()),
            ),
            ("ca-sector", "0x77".into()),
        ],
        6,
    );
    let cert = pki.join("client/ec.pem").display().to_string();
    let key = pki.join("client/ec.key").display().to_string();
    let mut seen = Vec::new();
    for (name, v) in [
        ("tls12_ticket", &["-tls1_2"][..]),
        ("tls12_session_id", &["-tls1_2", "-no_ticket"][..]),
        ("tls13_ticket", &["-tls1_3"][..]),
    ] {
        let mut a = v.to_vec();
        a.extend(["-cert", cert.as_str(), "-key", key.as_str()]);
        let file = dir.join(format!("{name}.pem"));
        let first = s_client_session(port, &a, None, Some(&file));
        let second = s_client_session(port, &a, Some(&file), None);
        seen.push((first, second));
    }
    let run = h.join().unwrap();
    // The session carries the client's certificate chain: too large for a
    // cache entry, so a session id is not kept; tickets carry it.
    assert_eq!(
        seen,
        [(false, true), (false, false), (false, true)],
        "{}",
        run.stdout
    );
    assert_eq!(
        resumed_flags(&run),
        [false, true, false, false, false, true]
    );
    assert_served(&run, 6, 6);
}

#[test]
fn a_ticket_from_the_previous_key_period_still_resumes() {
    let dir = scratch("server_resume_previous_key");
    // 7 h later a new key encrypts, and the one before still decrypts.
    let (port, h) = clock_jump_server(7, 4);
    let versions = [&["-tls1_2"][..], &["-tls1_3"][..]];
    let files = [dir.join("tls12.pem"), dir.join("tls13.pem")];
    let mut reused = Vec::new();
    for (v, f) in versions.iter().zip(&files) {
        reused.push(s_client_session(port, v, None, Some(f)));
    }
    for (v, f) in versions.iter().zip(&files) {
        reused.push(s_client_session(port, v, Some(f), None));
    }
    let run = h.join().unwrap();
    assert!(run.stdout.contains("CLOCK +25200 s: 1"), "{}", run.stdout);
    assert_eq!(reused, [false, false, true, true]);
    assert_eq!(resumed_flags(&run), [false, false, true, true]);
    assert_served(&run, 4, 4);
}
