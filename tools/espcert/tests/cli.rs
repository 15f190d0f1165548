//! End-to-end tests of the `espcert` binary against the fixtures in
//! `tests/fixtures/` (regenerate with `tests/fixtures/make.sh`), checked with
//! the device-side parser of `espconn_secure::certs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use espconn_secure::certs::flash::{self, Object, Place};
use espconn_secure::certs::{self, load_ca_sector, load_identity_sector};
use espconn_secure::error::code;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn fx(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("espcert-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn espcert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_espcert"))
        .args(args)
        .output()
        .expect("run espcert")
}

fn rc(o: &Output) -> i32 {
    o.status.code().expect("exited by signal (panic=abort?)")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Places `image` at `sector` of a simulated erased flash and returns a
/// word-aligned reader over it, like `spi_flash_read`.
fn flash_with(image: &[u8], sector: u32) -> Vec<u8> {
    let mut f = vec![0xFF; (sector as usize + 3) * 4096];
    let at = sector as usize * 4096;
    f[at..at + image.len()].copy_from_slice(image);
    f
}

fn reader(flash: &[u8]) -> impl FnMut(u32, &mut [u32]) -> bool + '_ {
    move |addr, words| {
        let a = addr as usize;
        for (i, w) in words.iter_mut().enumerate() {
            match flash.get(a + i * 4..a + i * 4 + 4) {
                Some(b) => *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                None => return false,
            }
        }
        true
    }
}

#[test]
fn pack_ca_exact_bytes_and_device_round_trip() {
    let t = Tmp::new("ca");
    let out = t.path("esp_ca_cert.bin");
    let o = espcert(&["pack", "--ca", &fx("ca_rsa.pem"), "-o", &out]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    let payload = read("ca_rsa.pem");
    // Vendor layout: name NUL-padded to 32, u16 LE length, payload unchanged.
    let mut want = b"ca_rsa.pem".to_vec();
    want.resize(32, 0);
    want.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    want.extend_from_slice(&payload);
    assert_eq!(img, want);

    // The vendor's own name, as in reference §4.3.
    let o = espcert(&[
        "pack",
        "--ca",
        &fx("ca_rsa.pem"),
        "--name",
        "TLS.ca_x509.cer",
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    assert_eq!(&img[..16], b"TLS.ca_x509.cer\0");
    assert!(img[15..32].iter().all(|&b| b == 0));
    assert_eq!(&img[32..34], &(payload.len() as u16).to_le_bytes());

    let o = espcert(&["inspect", &out]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let s = text(&o);
    assert!(
        s.contains("'TLS.ca_x509.cer'") && s.contains("CN=Test Root CA"),
        "{s}"
    );
    assert!(s.contains("1 certificate(s)"), "{s}");

    // Device side: flash at 0x77 and load as the device does.
    let flash = flash_with(&img, 0x77);
    let roots = load_ca_sector(0x77, reader(&flash)).unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(&roots[0][..], &read("ca_rsa.der")[..]);
}

#[test]
fn pack_identity_every_key_form() {
    let t = Tmp::new("id");
    let out = t.path("esp_cert_private_key.bin");
    let cases = [
        ("client_rsa.pem", "client_rsa.pkcs1.pem"),
        ("client_rsa.pem", "client_rsa.pkcs1.der"),
        ("client_rsa.pem", "client_rsa.pkcs8.pem"),
        ("client_rsa.der", "client_rsa.pkcs8.der"),
        ("client_ec.pem", "client_ec.sec1.pem"),
        ("client_ec.pem", "client_ec.sec1.der"),
        ("client_ec.pem", "client_ec.pkcs8.pem"),
        ("client_ec.pem", "client_ec.pkcs8.der"),
        ("client_p384.pem", "client_p384.sec1.pem"),
    ];
    for (cert, key) in cases {
        for form in [None, Some("--pem"), Some("--der")] {
            let mut args = vec!["pack", "--cert", &fx(cert), "--key", &fx(key), "-o", &out]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            if let Some(f) = form {
                args.push(f.into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = espcert(&args);
            assert_eq!(rc(&o), 0, "{cert} {key} {form:?}: {}", text(&o));
            let img = std::fs::read(&out).unwrap();
            if form.is_none() {
                let c = read(cert);
                let k = read(key);
                let mut want = b"certificate".to_vec();
                want.resize(32, 0);
                want.extend_from_slice(&(c.len() as u16).to_le_bytes());
                want.extend_from_slice(&c);
                let mut kr = b"private_key".to_vec();
                kr.resize(32, 0);
                kr.extend_from_slice(&(k.len() as u16).to_le_bytes());
                kr.extend_from_slice(&k);
                want.extend_from_slice(&kr);
                assert_eq!(img, want, "{cert} {key}");
            }
            let o = espcert(&["inspect", &out]);
            assert_eq!(rc(&o), 0, "{cert} {key} {form:?}: {}", text(&o));
            assert!(
                text(&o).contains("key matches certificate:   yes"),
                "{}",
                text(&o)
            );
            let flash = flash_with(&img, 0x78);
            let id = load_identity_sector(0x78, reader(&flash))
                .unwrap_or_else(|e| panic!("{cert} {key} {form:?}: {e:?}"));
            assert_eq!(id.chain.len(), 1);
            certs::key_matches_cert(id.key.der(), &id.chain[0]).unwrap();
            let enc = flash::scan(&img).records[1].encoding();
            match form {
                Some("--der") => assert_eq!(enc, flash::Encoding::Der),
                Some("--pem") => assert_eq!(enc, flash::Encoding::Pem),
                _ => {}
            }
        }
    }
}

#[test]
fn pem_and_der_normalisation() {
    let t = Tmp::new("norm");
    let out = t.path("a.bin");
    // --pem of a DER input gives what `openssl x509 -outform PEM` gives (makefile.sh).
    let o = espcert(&[
        "pack",
        "--ca",
        &fx("ca_rsa.der"),
        "--pem",
        "--name",
        "TLS.ca_x509.cer",
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    assert_eq!(&img[34..], &read("ca_rsa.pem")[..]);
    let o = espcert(&["pack", "--ca", &fx("ca_rsa.pem"), "--der", "-o", &out]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    assert_eq!(&img[34..], &read("ca_rsa.der")[..]);
    // --pem strips the text around the blocks of a bundle.
    let o = espcert(&["pack", "--ca", &fx("bundle.pem"), "--pem", "-o", &out]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    let mut want = read("ca_rsa.pem");
    want.extend_from_slice(&read("ca_ec.pem"));
    assert_eq!(&img[34..], &want[..]);
}

#[test]
fn bundles() {
    let t = Tmp::new("bundle");
    let out = t.path("a.bin");
    let o = espcert(&["pack", "--ca", &fx("bundle.pem"), "-o", &out]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    assert_eq!(&img[34..], &read("bundle.pem")[..], "payload unchanged");
    let roots = load_ca_sector(0x77, reader(&flash_with(&img, 0x77))).unwrap();
    assert_eq!(roots.len(), 2);

    // Two --ca files: two records, warning that only the first counts.
    let o = espcert(&[
        "pack",
        "--ca",
        &fx("ca_rsa.pem"),
        "--ca",
        &fx("ca_ec.pem"),
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("only the first"), "{}", text(&o));
    let two = std::fs::read(&out).unwrap();
    let s = flash::scan(&two);
    assert_eq!(s.records.len(), 2);
    assert_eq!(s.records[1].name, b"ca_ec.pem");
    // --bundle merges them into the one record the device reads.
    let o = espcert(&[
        "pack",
        "--ca",
        &fx("ca_rsa.pem"),
        "--ca",
        &fx("ca_ec.pem"),
        "--bundle",
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let img = std::fs::read(&out).unwrap();
    assert_eq!(flash::scan(&img).records.len(), 1);
    assert_eq!(
        load_ca_sector(0x77, reader(&flash_with(&img, 0x77)))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn pack_refusals() {
    let t = Tmp::new("refuse");
    let out = t.path("a.bin");
    let refuse = |args: &[&str], needle: &str| {
        let o = espcert(args);
        assert_eq!(rc(&o), 1, "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains(needle),
            "{args:?}: wanted '{needle}' in {}",
            text(&o)
        );
        assert!(!Path::new(&out).exists(), "{args:?} wrote an image");
    };
    refuse(
        &[
            "pack",
            "--cert",
            &fx("client_rsa.pem"),
            "--key",
            &fx("server_rsa.key"),
            "-o",
            &out,
        ],
        "does not belong",
    );
    refuse(
        &[
            "pack",
            "--cert",
            &fx("client_ec.pem"),
            "--key",
            &fx("client_rsa.pkcs8.pem"),
            "-o",
            &out,
        ],
        "-0x3F00",
    );
    refuse(
        &["pack", "--ca", &fx("ca_rsa1024.pem"), "-o", &out],
        "RSA-1024",
    );
    refuse(
        &[
            "pack",
            "--cert",
            &fx("ca_rsa.pem"),
            "--key",
            &fx("rsa1024.key"),
            "-o",
            &out,
        ],
        "1024 bits",
    );
    refuse(
        &["pack", "--ca", &fx("expired.pem"), "-o", &out],
        "expired on 2001-01-01",
    );
    refuse(
        &[
            "pack",
            "--ca",
            &fx("ca_rsa.pem"),
            "--name",
            &"n".repeat(33),
            "-o",
            &out,
        ],
        "1 to 32 bytes",
    );
    refuse(
        &["pack", "--ca", "/nonexistent/ca.pem", "-o", &out],
        "cannot read /nonexistent/ca.pem",
    );
    refuse(
        &[
            "pack",
            "--cert",
            &fx("client_rsa.pem"),
            "--key",
            &fx("client_rsa.enc.pem"),
            "-o",
            &out,
        ],
        "encrypted",
    );
    refuse(
        &["pack", "--ca", &fx("client_rsa.pkcs8.pem"), "-o", &out],
        "no CERTIFICATE block",
    );
    refuse(
        &["pack", "--ca", &fx("k1.sec1.pem"), "-o", &out],
        "no CERTIFICATE",
    );
    refuse(
        &[
            "pack",
            "--cert",
            &fx("client_rsa.pem"),
            "--key",
            &fx("k1.sec1.pem"),
            "-o",
            &out,
        ],
        "-0x3A00",
    );
    let many: Vec<String> = (0..7)
        .flat_map(|_| ["--ca".to_string(), fx("ca_rsa.pem")])
        .collect();
    let mut args: Vec<&str> = vec!["pack"];
    args.extend(many.iter().map(String::as_str));
    args.extend(["-o", &out]);
    refuse(&args, "8192");

    // --allow-expired proceeds with a warning.
    let o = espcert(&[
        "pack",
        "--ca",
        &fx("expired.pem"),
        "--allow-expired",
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("warning"), "{}", text(&o));
    let o = espcert(&["inspect", &out]);
    assert_eq!(rc(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("EXPIRED"), "{}", text(&o));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["pack"],
        &["pack", "--ca", "x.pem"],
        &["pack", "--cert", "c.pem", "-o", "x"],
        &["pack", "--ca", "x", "-o", "y", "--pem", "--der"],
        &["pack", "--bogus"],
        &["inspect"],
        &["inspect", "a", "b"],
        &["layout"],
        &["layout", "--flash", "3M"],
        &["check", "--ca", "x"],
        &["check", "--ca", "x", "--server", "nohost"],
        &["check", "--ca", "x", "--server", "h:1", "--size", "100"],
    ] {
        let o = espcert(args);
        assert_eq!(rc(&o), 2, "{args:?}: {}", text(&o));
        assert!(text(&o).contains("sage"), "{args:?}: {}", text(&o));
    }
}

#[test]
fn help_for_every_command() {
    for cmd in ["pack", "inspect", "check", "layout"] {
        let o = espcert(&[cmd, "--help"]);
        assert_eq!(rc(&o), 0);
        assert!(text(&o).contains("Usage:"), "{cmd}");
        let o2 = espcert(&["help", cmd]);
        assert_eq!(o.stdout, o2.stdout);
    }
    let o = espcert(&["--help"]);
    assert_eq!(rc(&o), 0);
    assert!(text(&o).contains("Exit status"));
}

#[test]
fn inspect_bad_images() {
    let t = Tmp::new("bad");
    let p = t.path("img.bin");
    let good = {
        let out = t.path("good.bin");
        let o = espcert(&[
            "pack",
            "--cert",
            &fx("client_ec.pem"),
            "--key",
            &fx("client_ec.pkcs8.pem"),
            "-o",
            &out,
        ]);
        assert_eq!(rc(&o), 0, "{}", text(&o));
        std::fs::read(&out).unwrap()
    };
    let check = |data: &[u8], want_rc: i32, needle: &str| {
        std::fs::write(&p, data).unwrap();
        let o = espcert(&["inspect", &p]);
        assert_eq!(rc(&o), want_rc, "{}", text(&o));
        assert!(
            text(&o).contains(needle),
            "wanted '{needle}' in {}",
            text(&o)
        );
    };
    // Erased sector.
    check(&[0xFF; 8192], 1, "erased (0xFF)");
    // Padded with 0xFF: stops at the 0xFFFF length.
    let mut padded = good.clone();
    padded.resize(8192, 0xFF);
    check(
        &padded,
        0,
        &format!("reading stops at offset {}: length 0xFFFF", good.len()),
    );
    // Truncated inside the key record.
    check(&good[..good.len() - 10], 1, "truncated or corrupt");
    // Corrupt length running past 8192.
    let mut bad = good.clone();
    bad[32..34].copy_from_slice(&0x3000u16.to_le_bytes());
    check(&bad, 1, "past the 8192-byte limit");
    // Damaged key payload.
    let mut bad = good.clone();
    let at = good.len() - 60;
    bad[at] = b'!';
    check(&bad, 1, "private_key (cert_req):    FAILS");
    // A raw PEM file.
    check(&read("ca_rsa.pem"), 0, "raw PEM object");
    check(&read("client_rsa.pkcs8.der"), 0, "raw DER object");
    // Empty file.
    check(&[], 1, "erased");
    // The device parser agrees on the truncated image.
    let e = flash::find(&good[..good.len() - 10], Object::PrivateKey, Place::Image).unwrap_err();
    assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
}

#[test]
fn layout_4m() {
    let o = espcert(&["layout", "--flash", "4M"]);
    assert_eq!(rc(&o), 0);
    let s = text(&o);
    assert!(
        s.contains("write_flash 0x3f7000 esp_ca_cert.bin 0x3f9000 esp_cert_private_key.bin"),
        "{s}"
    );
    assert!(
        s.contains("espconn_secure_cert_req_enable(ESPCONN_CLIENT, 0x3f9);"),
        "{s}"
    );
    let o = espcert(&["layout", "--flash", "512K"]);
    assert!(text(&o).contains("0x77000"), "{}", text(&o));
}

/// Random and mutated files through `espcert inspect`: it must never crash
/// (a panic aborts with a signal or exit 101), only say 0 or 1.
#[test]
fn inspect_never_panics() {
    let t = Tmp::new("fuzz");
    let p = t.path("f.bin");
    let mut seed = 0x1234_5678_9ABC_DEF1u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut base = std::fs::read(fixture("client_rsa.pem")).unwrap();
    base = flash::encode_image([
        ("certificate", &base[..]),
        ("private_key", &read("client_rsa.pkcs1.der")[..]),
    ])
    .unwrap();
    for i in 0..60 {
        let mut d = if i % 3 == 0 {
            (0..(next() % 300)).map(|_| next() as u8).collect()
        } else {
            base.clone()
        };
        for _ in 0..(next() % 10) {
            if d.is_empty() {
                break;
            }
            let at = (next() as usize) % d.len();
            d[at] = next() as u8;
        }
        std::fs::write(&p, &d).unwrap();
        let o = espcert(&["inspect", &p]);
        let c = rc(&o);
        assert!(c == 0 || c == 1, "exit {c} on input {i}: {}", text(&o));
    }
}

/// `check` against a local `openssl s_server`. Needs the TLS engine API of
/// `espconn_secure::tls`; see the report in tools/espcert/src/check.rs.
#[test]
fn check_reports_missing_ca_file() {
    let o = espcert(&[
        "check",
        "--ca",
        "/nonexistent.bin",
        "--server",
        "127.0.0.1:9",
    ]);
    assert_eq!(rc(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("cannot read"), "{}", text(&o));
}

/// A local `openssl s_server`, killed on drop.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    /// Starts s_server with `args`; `None` if openssl is not installed.
    fn start(args: &[&str]) -> Option<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let accept = format!("127.0.0.1:{port}");
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept", &accept])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let s = Server { child, port };
        // Wait until it listens, without a connect (which it would serve).
        for _ in 0..100 {
            let listening = std::fs::read_to_string("/proc/net/tcp")
                .map(|t| t.contains(&format!(":{:04X} 00000000:0000 0A", port)))
                .unwrap_or(true);
            if listening {
                return Some(s);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(s)
    }

    fn addr(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check(args: &[&str]) -> (i32, String) {
    let mut a = vec!["check", "--timeout", "10"];
    a.extend_from_slice(args);
    let o = espcert(&a);
    (rc(&o), text(&o))
}

#[test]
fn check_against_openssl_s_server() {
    let t = Tmp::new("check");
    let ca_img = t.path("esp_ca_cert.bin");
    assert_eq!(
        rc(&espcert(&[
            "pack",
            "--ca",
            &fx("ca_rsa.pem"),
            "-o",
            &ca_img
        ])),
        0
    );
    let Some(srv) = Server::start(&[
        "-cert",
        &fx("server_rsa.pem"),
        "-key",
        &fx("server_rsa.key"),
    ]) else {
        eprintln!("openssl not available: skipped");
        return;
    };
    // Good chain, from the packed image.
    let (c, s) = check(&["--ca", &ca_img, "--server", &srv.addr()]);
    assert_eq!(c, 0, "{s}");
    assert!(s.contains("device result: 0"), "{s}");
    assert!(s.contains("negotiated: TLSv1."), "{s}");
    assert!(s.contains("subject: CN=localhost"), "{s}");
    assert!(s.contains("max_fragment_length: not requested"), "{s}");
    // Wrong CA: unknown issuer, -0x2700 (callback -39).
    let (c, s) = check(&["--ca", &fx("ca_ec.pem"), "--server", &srv.addr()]);
    assert_eq!(c, 1, "{s}");
    assert!(s.contains("device result: -0x2700"), "{s}");
    assert!(s.contains("err = -39"), "{s}");
    // Wrong name.
    let (c, s) = check(&[
        "--ca",
        &ca_img,
        "--server",
        &srv.addr(),
        "--hostname",
        "wrong.example",
    ]);
    assert_eq!(c, 1, "{s}");
    assert!(s.contains("wrong.example"), "{s}");
    drop(srv);

    // A long chain sends a record over 2048 bytes: -0x7200 unless set_size allows it.
    let chain = t.path("chain.pem");
    let mut pem = read("ca_rsa.pem");
    pem.extend_from_slice(&read("client_rsa.pem"));
    pem.extend_from_slice(&read("ca_ec.pem"));
    std::fs::write(&chain, pem).unwrap();
    let srv = Server::start(&[
        "-cert",
        &fx("server_rsa.pem"),
        "-key",
        &fx("server_rsa.key"),
        "-cert_chain",
        &chain,
    ])
    .unwrap();
    let (c, s) = check(&["--ca", &ca_img, "--server", &srv.addr()]);
    assert_eq!(c, 1, "{s}");
    assert!(s.contains("device result: -0x7200"), "{s}");
    assert!(s.contains("err = -114"), "{s}");
    let (c, s) = check(&["--ca", &ca_img, "--server", &srv.addr(), "--size", "8192"]);
    assert_eq!(c, 0, "{s}");
    drop(srv);

    // EC server, EC CA, TLS 1.2 only: the chain is read from the wire.
    let srv = Server::start(&[
        "-cert",
        &fx("server_ec.pem"),
        "-key",
        &fx("server_ec.key"),
        "-no_tls1_3",
    ])
    .unwrap();
    let (c, s) = check(&["--ca", &fx("ca_ec.pem"), "--server", &srv.addr()]);
    assert_eq!(c, 0, "{s}");
    assert!(
        s.contains("TLSv1.2") && s.contains("key:     EC P-256"),
        "{s}"
    );
    // Erased CA image: the device fails before connecting.
    let erased = t.path("erased.bin");
    std::fs::write(&erased, [0xFFu8; 4096]).unwrap();
    let (c, s) = check(&["--ca", &erased, "--server", &srv.addr()]);
    assert_eq!(c, 1, "{s}");
    assert!(s.contains("-0x7680"), "{s}");
}

/// `openssl ARGS` with `input` on its standard input; its standard output.
fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    out.stdout
}

/// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256`
/// of the one certificate in `pem`, as hex.
fn openssl_pin(pem: &[u8]) -> String {
    let pubkey = openssl(&["x509", "-pubkey", "-noout"], pem);
    let der = openssl(&["pkey", "-pubin", "-outform", "DER"], &pubkey);
    let sum = String::from_utf8(openssl(&["dgst", "-sha256", "-r"], &der)).unwrap();
    sum.split_whitespace().next().unwrap().to_string()
}

/// The PEM blocks of a file, each with its BEGIN and END lines.
fn pem_blocks(pem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE") {
            cur = Some(String::new());
        }
        if let Some(c) = cur.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE") {
            out.extend(cur.take());
        }
    }
    out
}

#[test]
fn pin_prints_the_openssl_pipelines_hash_for_each_certificate_with_its_subject() {
    for name in ["ca_rsa.pem", "ca_ec.pem", "bundle.pem"] {
        let o = espcert(&["pin", &fx(name)]);
        assert_eq!(rc(&o), 0, "{}", text(&o));
        let stdout = String::from_utf8(o.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        let blocks = pem_blocks(&String::from_utf8(read(name)).unwrap());
        assert_eq!(
            lines.len(),
            blocks.len(),
            "one line per certificate: {stdout}"
        );
        for (line, block) in lines.iter().zip(&blocks) {
            let (hash, subject) = line.split_once("  ").expect("hash, two spaces, subject");
            assert_eq!(hash, openssl_pin(block.as_bytes()), "{name}");
            let der = certs::certificates(block.as_bytes()).unwrap();
            let want = certs::info::parse(&der[0]).unwrap().subject;
            assert_eq!(subject, want);
        }
    }
}

#[test]
fn pin_of_a_file_without_certificates_fails() {
    let o = espcert(&["pin", &fx("ca_rsa.key")]);
    assert_eq!(rc(&o), 1, "{}", text(&o));
}

#[test]
fn ca_bundle_of_debians_set_and_the_test_roots_is_read_by_the_device_code() {
    use espconn_secure::certs::bundle::{Anchor, Bundle};
    let t = Tmp::new("cabundle");
    let out = t.path("b.bin");
    let o = espcert(&[
        "bundle",
        "--system",
        &fx("ca_rsa.pem"),
        &fx("ca_ec.pem"),
        "-o",
        &out,
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let img = std::fs::read(&out).unwrap();
    assert!(
        stdout.contains(&format!("{} bytes", img.len())) && stdout.contains("bytes per root"),
        "{stdout}"
    );
    // Erased flash with the bundle at sector 0x100 (it spans many sectors).
    let mut flash = vec![0xFF; 0x100 * 4096];
    flash.extend_from_slice(&img);
    flash.resize(flash.len() + 4096, 0xFF);
    let b = Bundle::open(0x100, reader(&flash)).unwrap().unwrap();
    assert!(b.count > 120, "{b:?}");
    assert!(stdout.contains(&format!("{} roots", b.count)), "{stdout}");
    for f in ["ca_rsa.pem", "ca_ec.pem"] {
        let c = &certs::certificates(&read(f)).unwrap()[0];
        let a = Anchor::from_cert(c).unwrap();
        let found = b.find(&a.subject, reader(&flash)).unwrap();
        assert_eq!(found.len(), 1, "{f}");
        assert_eq!(found[0].1, a, "{f}");
    }
    // The device's vendor-image loader is not fooled into reading it as PEM/DER.
    assert!(load_ca_sector(0x100, reader(&flash)).is_err());
}

#[test]
fn ca_bundle_refuses_nothing_to_pack_and_leaves_out_weak_roots() {
    let t = Tmp::new("cabundle2");
    let o = espcert(&["bundle", "-o", &t.path("x.bin")]);
    assert_eq!(rc(&o), 2, "{}", text(&o));
    let o = espcert(&["bundle", &fx("ca_rsa1024.pem"), "-o", &t.path("x.bin")]);
    assert_eq!(rc(&o), 1, "{}", text(&o));
    let e = text(&o);
    assert!(e.contains("left out") && e.contains("RSA-1024"), "{e}");
    assert!(e.contains("at least one certificate"), "{e}");
    let o = espcert(&[
        "bundle",
        &fx("ca_rsa1024.pem"),
        &fx("ca_ec.pem"),
        &fx("ca_ec.pem"),
        "-o",
        &t.path("y.bin"),
    ]);
    assert_eq!(rc(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("1 roots (2 left out)"), "{}", text(&o));
}
