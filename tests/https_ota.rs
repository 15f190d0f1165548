//! HTTPS OTA (issue #19): examples-c/https_ota downloads a 300 KB image over
//! HTTPS at the simulator's default heap, writes it as it arrives into the
//! user partition that is not running (`espconn_secure_ota_*`), checks the
//! SHA-256 the test computed and passes on the command line, and only then
//! marks it for boot (`UPGRADE_FLAG_FINISH`, `system_upgrade_reboot`). The
//! servers are nginx and `openssl s_server -WWW` sending 16 KB records, and a
//! small Python server for the endings those cannot be told to show (a
//! download cut short, a stalled one during which the device is reset). A
//! run after the reboot reports which partition boots, and the flash file is
//! read to compare both partitions with the images.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::*;

const IMAGE_SIZE: usize = 300 * 1024;
const USER1: usize = 0x1000;
const USER2: usize = 0x101000;

/// A device whose flash (a file kept across runs) holds a running image in
/// user1, and the server-side directory with the new image.
struct Ota {
    dir: PathBuf,
    flash: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
}

fn random_bytes(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut v = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut v)
        .unwrap();
    v
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Ota {
    fn new(test: &str) -> Ota {
        let dir = scratch(test);
        let old = random_bytes(200 * 1024);
        let new = random_bytes(IMAGE_SIZE);
        std::fs::create_dir_all(dir.join("www")).unwrap();
        std::fs::write(dir.join("www/firmware.bin"), &new).unwrap();
        // An erased chip with the running image in user1; the simulator
        // extends a short file to the whole 4 MB, erased.
        let mut flash = vec![0xFFu8; USER1];
        flash.extend_from_slice(&old);
        let flash_path = dir.join("flash.bin");
        std::fs::write(&flash_path, flash).unwrap();
        let pem = std::fs::read(pki().join("ec/root.pem")).unwrap();
        std::fs::write(
            dir.join("esp_ca_cert.bin"),
            flash_record("TLS.ca_x509.cer", &pem),
        )
        .unwrap();
        Ota {
            dir,
            flash: flash_path,
            old,
            new,
        }
    }

    fn image_path(&self) -> PathBuf {
        self.dir.join("www/firmware.bin")
    }

    /// The download's options, with `sha` as the expected hash.
    fn args(&self, port: u16, sha: &str, extra: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = [
            "--flash",
            &self.flash.display().to_string(),
            "--flash-place",
            &format!("0x77:{}", self.dir.join("esp_ca_cert.bin").display()),
            "--ca-sector",
            "0x77",
            "--hostname",
            "localhost",
            "--server",
            &format!("127.0.0.1:{port}"),
            "--path",
            "/firmware.bin",
            "--sha256",
            sha,
            "--time",
            &now(),
            "--heap",
            &SIM_HEAP_CAP.to_string(),
            "--run-for",
            "30000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// Downloads from 127.0.0.1:`port`, expecting this image's hash.
    fn download(&self, port: u16, extra: &[&str]) -> Run {
        let sha = sha256_hex(&self.new);
        run_example("https_ota", &self.args(port, &sha, extra), 60)
    }

    /// The partition a fresh boot on this flash runs ("user1" or "user2").
    fn boots(&self) -> String {
        let r = run_example(
            "https_ota",
            &[
                "--flash".to_string(),
                self.flash.display().to_string(),
                "--report-boot".into(),
            ],
            20,
        );
        let line = r
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("BOOT "))
            .unwrap_or_else(|| panic!("no BOOT line:\n{}", r.stdout))
            .to_string();
        line.split(' ').next().unwrap().to_string()
    }

    fn flash_at(&self, addr: usize, len: usize) -> Vec<u8> {
        std::fs::read(&self.flash).unwrap()[addr..addr + len].to_vec()
    }

    /// user1 still holds the running image, byte for byte.
    fn assert_old_image_intact(&self) {
        assert!(
            self.flash_at(USER1, self.old.len()) == self.old,
            "the running image in user1 was touched"
        );
    }

    /// The download completed, was marked and the next boot runs it.
    fn assert_updated(&self, r: &Run) {
        assert!(r.has("HANDSHAKE OK"), "{}", r.stdout);
        assert!(
            r.has(&format!("OTA BEGIN size={IMAGE_SIZE}")),
            "{}",
            r.stdout
        );
        assert!(r.has(&format!("OTA OK size={IMAGE_SIZE}")), "{}", r.stdout);
        assert!(r.has("DISCONNECT"), "{}", r.stdout);
        assert!(
            r.has("sim: system_upgrade_reboot: next boot runs user2 at 0x101000"),
            "{}",
            r.stdout
        );
        assert_eq!(r.code, Some(0), "{}", r.stdout);
        assert!(r.heap().0 <= SIM_HEAP_CAP, "{}", r.stdout);
        r.assert_heap_returned();
        assert!(
            self.flash_at(USER2, IMAGE_SIZE) == self.new,
            "user2 does not hold the image"
        );
        self.assert_old_image_intact();
        assert_eq!(self.boots(), "user2");
    }

    /// The download failed with `code`, nothing was marked, user1 boots.
    fn assert_not_updated(&self, r: &Run, code: &str) {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with(&format!("OTA FAILED code={code} "))),
            "no OTA FAILED code={code}:\n{}",
            r.stdout
        );
        assert!(r.has("UPGRADE FLAG 0"), "{}", r.stdout);
        assert!(!r.stdout.contains("system_upgrade_reboot"), "{}", r.stdout);
        assert_eq!(r.code, Some(1), "{}", r.stdout);
        r.assert_heap_returned();
        self.assert_old_image_intact();
        assert_eq!(self.boots(), "user1");
    }
}

/// `openssl s_server -WWW` serving `www` (HTTP/1.0 without Content-Length:
/// the program is given the size), in records of up to 16 KB.
fn s_server_www(www: &Path) -> Peer {
    let ec = pki().join("ec");
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.current_dir(www)
        .arg("s_server")
        .arg("-accept")
        .arg(port.to_string())
        .arg("-cert")
        .arg(ec.join("leaf.pem"))
        .arg("-key")
        .arg(ec.join("leaf.key"))
        .arg("-cert_chain")
        .arg(ec.join("int.pem"))
        .arg("-max_send_frag")
        .arg("16384")
        .arg("-WWW")
        .arg("-quiet");
    Peer::start(cmd, port)
}

/// nginx, one process (no daemon, no master: stopping it by PID stops it
/// all), serving `dir/www` over TLS with `ssl_buffer_size 16k`.
fn nginx(dir: &Path) -> Peer {
    let ec = pki().join("ec");
    let port = free_port();
    let conf = dir.join("nginx.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 16; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  \
             fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n  \
             server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {};\n    \
             ssl_certificate_key {};\n    ssl_buffer_size 16k;\n    root {d}/www;\n  }}\n}}\n",
            ec.join("chain.pem").display(),
            ec.join("leaf.key").display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new("nginx");
    cmd.arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf);
    Peer::start(cmd, port)
}

/// The Python server of tests/support/http_file_peer.py serving the image
/// with `extra` options (`--cut N`, `--stall N`).
fn file_peer(ota: &Ota, extra: &[&str]) -> ScriptPeer {
    let image = ota.image_path();
    let mut a = vec!["--file", image.to_str().unwrap()];
    a.extend_from_slice(extra);
    ec_script_peer("http_file_peer.py", &a)
}

#[test]
fn an_image_from_openssl_s_server_is_written_checked_and_booted() {
    let ota = Ota::new("ota_s_server");
    let srv = s_server_www(&ota.dir.join("www"));
    let size = IMAGE_SIZE.to_string();
    let r = ota.download(srv.port, &["--image-size", &size]);
    ota.assert_updated(&r);
}

#[test]
fn an_image_from_nginx_is_written_checked_and_booted_and_the_next_goes_back_to_user1() {
    let ota = Ota::new("ota_nginx");
    let srv = nginx(&ota.dir);
    let r = ota.download(srv.port, &[]);
    ota.assert_updated(&r);
    // Running user2 now: the next image goes into user1.
    let next = random_bytes(IMAGE_SIZE - 3);
    std::fs::write(ota.image_path(), &next).unwrap();
    let r = run_example(
        "https_ota",
        &ota.args(srv.port, &sha256_hex(&next), &[]),
        60,
    );
    assert!(
        r.has(&format!("OTA OK size={}", next.len())),
        "{}",
        r.stdout
    );
    assert!(
        r.has("sim: system_upgrade_reboot: next boot runs user1 at 0x1000"),
        "{}",
        r.stdout
    );
    assert!(
        ota.flash_at(USER1, next.len()) == next,
        "user1 does not hold the image"
    );
    assert!(
        ota.flash_at(USER2, IMAGE_SIZE) == ota.new,
        "the running image in user2 was touched"
    );
    assert_eq!(ota.boots(), "user1");
}

#[test]
fn a_truncated_download_marks_nothing_and_the_old_image_boots() {
    let ota = Ota::new("ota_truncated");
    let peer = file_peer(&ota, &["--cut", "150000"]);
    let r = ota.download(peer.port, &[]);
    let log = peer.finish(10);
    assert!(log.contains("SENT 150000 of 307200"), "{log}");
    assert!(r.has("BODY 150000 of 307200 bytes"), "{}", r.stdout);
    ota.assert_not_updated(&r, "-0x5600");
}

#[test]
fn a_wrong_hash_marks_nothing_and_the_old_image_boots() {
    let ota = Ota::new("ota_wrong_hash");
    let srv = s_server_www(&ota.dir.join("www"));
    let mut wrong = ota.new.clone();
    wrong[IMAGE_SIZE - 1] ^= 1;
    let size = IMAGE_SIZE.to_string();
    let r = run_example(
        "https_ota",
        &ota.args(srv.port, &sha256_hex(&wrong), &["--image-size", &size]),
        60,
    );
    assert!(
        r.has(&format!("OTA BEGIN size={IMAGE_SIZE}")),
        "{}",
        r.stdout
    );
    // Every byte arrived and is in flash; only the hash is wrong.
    assert!(
        ota.flash_at(USER2, IMAGE_SIZE) == ota.new,
        "user2 does not hold the downloaded bytes"
    );
    ota.assert_not_updated(&r, "-0x5700");
}

#[test]
fn a_reset_mid_download_leaves_the_old_image_booting_and_a_retry_completes() {
    let ota = Ota::new("ota_reset");
    let peer = file_peer(&ota, &["--stall", "150000"]);
    // The device is reset (killed) while the server holds the rest back.
    let bin = host_binary("https_ota");
    let sha = sha256_hex(&ota.new);
    let mut child = Command::new(&bin)
        .args(ota.args(peer.port, &sha, &[]))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.iter().any(|l| l == "OTA WRITTEN 131072") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => seen.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("no OTA WRITTEN 131072; seen:\n{}", seen.join("\n"));
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(peer);
    // Half an image sits in user2, unmarked: user1 boots.
    assert!(
        ota.flash_at(USER2, 131072) == ota.new[..131072],
        "user2 does not hold the first bytes"
    );
    ota.assert_old_image_intact();
    assert_eq!(ota.boots(), "user1");
    // A retry on the same flash completes.
    let srv = s_server_www(&ota.dir.join("www"));
    let size = IMAGE_SIZE.to_string();
    let r = ota.download(srv.port, &["--image-size", &size]);
    ota.assert_updated(&r);
}

/// The simulator's boot loader (tests/c/fota.c, runs on one flash file):
/// `system_upgrade_reboot` switches the partition that boots only when the
/// upgrade flag is `UPGRADE_FLAG_FINISH`; the flag itself does not survive
/// a restart (RAM, as in the SDK).
#[test]
fn the_simulated_boot_loader_switches_partitions_only_on_upgrade_flag_finish() {
    let dir = scratch("ota_boot_loader");
    let flash = dir.join("flash.bin");
    let boot = |mode: &str| -> Vec<String> {
        let r = run_example(
            "test_fota",
            &[
                "--flash".to_string(),
                flash.display().to_string(),
                "--mode".into(),
                mode.into(),
            ],
            20,
        );
        assert_eq!(r.code, Some(0), "{}", r.stdout);
        r.stdout
            .lines()
            .filter(|l| l.starts_with("EV ") || l.starts_with("sim: system_upgrade_reboot"))
            .map(str::to_string)
            .collect()
    };
    let user1 = "EV boot bin=0 addr=0x1000 flag=0";
    let user2 = "EV boot bin=1 addr=0x101000 flag=0";
    assert_eq!(boot("report"), [user1]);
    assert_eq!(
        boot("reboot-idle"),
        [
            user1,
            "sim: system_upgrade_reboot ignored: upgrade flag is 0, not UPGRADE_FLAG_FINISH",
            "EV returned flag=0"
        ]
    );
    assert_eq!(
        boot("reboot-start"),
        [
            user1,
            "sim: system_upgrade_reboot ignored: upgrade flag is 1, not UPGRADE_FLAG_FINISH",
            "EV returned flag=1"
        ]
    );
    assert_eq!(boot("report"), [user1]);
    assert_eq!(
        boot("reboot-finish")[..2],
        [
            user1,
            "sim: system_upgrade_reboot: next boot runs user2 at 0x101000"
        ]
    );
    assert_eq!(boot("report"), [user2]);
    assert_eq!(
        boot("reboot-finish")[..2],
        [
            user2,
            "sim: system_upgrade_reboot: next boot runs user1 at 0x1000"
        ]
    );
    assert_eq!(boot("report"), [user1]);
}
