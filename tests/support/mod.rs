//! Shared helpers for the end-to-end tests: the test PKI, real peers started
//! on 127.0.0.1 and stopped by PID, running the host examples, and reading the
//! simulator's heap line.
#![allow(dead_code)]

mod device;
#[allow(unused_imports)] // not every test binary uses the device
pub use device::*;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test PKI (generated once per checkout by tests/support/pki.sh).
pub fn pki() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = root().join("build/pki");
        let st = Command::new("bash")
            .arg(root().join("tests/support/pki.sh"))
            .arg(&dir)
            .status()
            .expect("run pki.sh");
        assert!(st.success(), "pki.sh failed");
        dir
    })
    .clone()
}

/// Builds `build/host/<name>` with make (serialised: make is not re-entrant
/// on one tree) and returns its path.
pub fn host_binary(name: &str) -> PathBuf {
    // C test programs (tests/c/NAME.c) build as build/host/test_NAME.
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let target = format!("build/host/{name}");
    let out = Command::new("make")
        .arg("-s")
        .arg(&target)
        .current_dir(root())
        .output()
        .expect("run make");
    assert!(
        out.status.success(),
        "make {target} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    root().join(target)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = root().join("build/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A peer process, killed (by PID) when dropped.
pub struct Peer {
    pub child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts `cmd` and waits until it accepts TCP on `port`.
    pub fn start(mut cmd: Command, port: u16) -> Peer {
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let mut peer = Peer { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return peer;
            }
            if let Ok(Some(st)) = peer.child.try_wait() {
                panic!("{cmd:?} exited early: {st}");
            }
            assert!(
                Instant::now() < deadline,
                "{cmd:?} did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// mosquitto on a free port of 127.0.0.1 serving TLS with the chain in
/// `ec` (root.pem, chain.pem, leaf.key); with `require_certificate` clients
/// must present a certificate issued by that root. Its config goes to `dir`.
pub fn mosquitto(dir: &Path, ec: &Path, require_certificate: bool) -> Peer {
    mosquitto_with(dir, ec, require_certificate, "")
}

/// [`mosquitto`] with `extra` lines in its listener's configuration (e.g.
/// `tls_version tlsv1.2\n`).
pub fn mosquitto_with(dir: &Path, ec: &Path, require_certificate: bool, extra: &str) -> Peer {
    let port = free_port();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {require_certificate}\nallow_anonymous true\n{extra}",
            ec.join("root.pem").display(),
            ec.join("chain.pem").display(),
            ec.join("leaf.key").display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new("mosquitto");
    cmd.arg("-c").arg(&conf);
    Peer::start(cmd, port)
}

/// A TLS server (tests/support/tls_peer.py: Python's ssl over OpenSSL) with
/// the EC chain, in `mode` with its `extra` arguments.
#[allow(dead_code)]
pub fn tls_peer(pki: &Path, mode: &str, extra: &[&str]) -> Peer {
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/support/tls_peer.py"))
        .arg("--port")
        .arg(port.to_string())
        .arg("--cert")
        .arg(pki.join("ec/chain.pem"))
        .arg("--key")
        .arg(pki.join("ec/leaf.key"))
        .arg("--mode")
        .arg(mode)
        .args(extra);
    Peer::start(cmd, port)
}

/// `openssl s_server` on a free port serving its status page (`-www`), with
/// `leaf`/`key` and the intermediate in `chain`, plus any `extra` arguments.
pub fn openssl_server(dir: &Path, extra: &[&str]) -> Peer {
    openssl_server_in(dir, Path::new("."), &[&["-www"], extra].concat())
}

/// As [`openssl_server`] without `-www`, running in `cwd` (with `-WWW` it
/// serves the files there).
pub fn openssl_server_in(dir: &Path, cwd: &Path, extra: &[&str]) -> Peer {
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.current_dir(cwd)
        .arg("s_server")
        .arg("-accept")
        .arg(port.to_string())
        .arg("-cert")
        .arg(dir.join("leaf.pem"))
        .arg("-key")
        .arg(dir.join("leaf.key"))
        .arg("-quiet");
    if dir.join("int.pem").exists() {
        cmd.arg("-cert_chain").arg(dir.join("int.pem"));
    }
    cmd.args(extra);
    Peer::start(cmd, port)
}

/// `gnutls-serv --http` on a free port with `dir`'s `chain.pem` (leaf and
/// intermediate) and `leaf.key`.
pub fn gnutls_server(dir: &Path) -> Peer {
    let port = free_port();
    let mut cmd = Command::new("gnutls-serv");
    cmd.arg("--http")
        .arg("-p")
        .arg(port.to_string())
        .arg("--x509certfile")
        .arg(dir.join("chain.pem"))
        .arg("--x509keyfile")
        .arg(dir.join("leaf.key"));
    Peer::start(cmd, port)
}

/// A vendor flash record: 32-byte NUL-padded name, LE u16 length, payload.
/// Written here independently of the library's encoder so tests cross-check it.
pub fn flash_record(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 32];
    v[..name.len()].copy_from_slice(name.as_bytes());
    v.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    v.extend_from_slice(payload);
    v
}

/// The simulator's default heap (`--heap`).
pub const SIM_HEAP_CAP: u64 = 40960;

/// Unix time now, for the simulator's `--time` (the SNTP clock).
pub fn now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// What an example printed, and how it exited.
pub struct Run {
    pub stdout: String,
    pub code: Option<i32>,
    /// The simulator's heap cap for this run.
    pub cap: u64,
}

impl Run {
    pub fn has(&self, line: &str) -> bool {
        self.stdout.lines().any(|l| l.trim_end() == line)
    }

    /// `pk_ops=N pk_ops_max_per_callback=M` at exit: the simulator's count
    /// of the library's public-key operations, and the most it saw in one
    /// SDK callback.
    pub fn public_key_ops(&self) -> (u32, u32) {
        self.pair("pk_ops=")
    }

    /// `cpu_freq=N cpu_freq_changes=N`: the simulator's CPU clock at exit
    /// and how often it changed.
    pub fn cpu_clock(&self) -> (u32, u32) {
        self.pair("cpu_freq=")
    }

    /// The two values of the simulator's `a=N b=N` line starting `prefix`.
    fn pair(&self, prefix: &str) -> (u32, u32) {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} line:\n{}", self.stdout));
        let mut v = line
            .split(' ')
            .map(|kv| kv.split('=').nth(1).unwrap().parse().unwrap());
        (v.next().unwrap(), v.next().unwrap())
    }

    /// (heap_peak, heap_in_use, allocs) from the simulator's last line.
    pub fn heap(&self) -> (u64, u64, u64) {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.starts_with("heap_peak="))
            .unwrap_or_else(|| panic!("no heap line in:\n{}", self.stdout));
        let mut v = [0u64; 3];
        for (i, part) in line.split_whitespace().enumerate().take(3) {
            v[i] = part.split('=').nth(1).unwrap().parse().unwrap();
        }
        (v[0], v[1], v[2])
    }

    /// Heap in use when the example called `espconn_secure_connect`, from its
    /// `heap_free_before_connect=` line and the simulator's default cap.
    pub fn heap_before_connect(&self) -> u64 {
        let free: u64 = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("heap_free_before_connect="))
            .unwrap_or_else(|| panic!("no heap_free_before_connect line"))
            .trim()
            .parse()
            .unwrap();
        self.cap - free
    }

    /// Every byte the connection took came back.
    pub fn assert_heap_returned(&self) {
        assert_eq!(
            self.heap().1,
            self.heap_before_connect(),
            "heap not back to its value before connect"
        );
    }

    /// The `err` of the `RECONNECT err=N` line.
    pub fn reconnect_err(&self) -> Option<i32> {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix("RECONNECT err="))
            .map(|v| v.trim().parse().unwrap())
    }

    /// The library's code from the `last_error=-0x....` line.
    pub fn last_error(&self) -> Option<i32> {
        self.stdout.lines().find_map(|l| {
            let v = l.strip_prefix("last_error=-0x")?;
            let hex = v.split_whitespace().next()?;
            Some(-i32::from_str_radix(hex, 16).ok()?)
        })
    }
}

/// The handshake completed, the connection closed cleanly and every byte of
/// heap it took came back.
pub fn assert_clean_success(r: &Run) {
    assert!(r.has("HANDSHAKE OK"), "no handshake:\n{}", r.stdout);
    assert!(r.has("DISCONNECT"), "no disconnect callback");
    assert_eq!(r.reconnect_err(), None, "unexpected reconnect");
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
}

/// The connection failed with the reconnect callback's `err` and last error
/// `code`, the output saying each of `says`, and the heap came back.
pub fn assert_fails_saying(r: &Run, err: i32, code: i32, says: &[&str]) {
    assert!(
        !r.has("HANDSHAKE OK"),
        "handshake should have failed:\n{}",
        r.stdout
    );
    assert_eq!(r.reconnect_err(), Some(err), "reconnect err:\n{}", r.stdout);
    assert_eq!(r.last_error(), Some(code), "last error code");
    for s in says {
        assert!(
            r.stdout.contains(s),
            "the output does not say '{s}':\n{}",
            r.stdout
        );
    }
    r.assert_heap_returned();
}

/// Runs a host example with the simulator's options; kills it after `secs`.
pub fn run_example(name: &str, args: &[String], secs: u64) -> Run {
    run_example_watching(name, args, secs, |_| {})
}

/// [`run_example`], handing each output line to `on_line` as it is printed
/// (e.g. to learn the port a server example is listening on).
pub fn run_example_watching(
    name: &str,
    args: &[String],
    secs: u64,
    mut on_line: impl FnMut(&str) + Send + 'static,
) -> Run {
    use std::io::BufRead;
    let bin = host_binary(name);
    let mut child = Command::new(&bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("run {bin:?}: {e}"));
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            on_line(&line);
            s.push_str(&line);
            s.push('\n');
        }
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = reader.join().unwrap();
    eprintln!("--- {name} {args:?}\n{stdout}");
    Run {
        stdout,
        code,
        cap: SIM_HEAP_CAP,
    }
}

/// `["--flag", "value", ...]` as owned strings.
pub fn args(pairs: &[(&str, String)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(k, v)| [format!("--{k}"), v.clone()])
        .collect()
}

/// A peer script that listens on a port of its choosing, prints
/// `PORT <n>` first, serves one connection and prints what it saw; killed
/// (by PID) when dropped.
pub struct ScriptPeer {
    child: Option<Child>,
    pub port: u16,
    log: Option<std::thread::JoinHandle<String>>,
}

impl ScriptPeer {
    pub fn start(mut cmd: Command) -> ScriptPeer {
        use std::io::{BufRead, BufReader};
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let port = first
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("{cmd:?} printed {first:?}, not its port"));
        let log = std::thread::spawn(move || {
            let mut s = String::new();
            for line in out.lines() {
                let Ok(line) = line else { break };
                s.push_str(&line);
                s.push('\n');
            }
            s
        });
        ScriptPeer {
            child: Some(child),
            port,
            log: Some(log),
        }
    }

    /// Waits (at most `secs`) for the peer to exit; returns what it printed.
    pub fn finish(mut self, secs: u64) -> String {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(secs);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = self.log.take().unwrap().join().unwrap();
        eprintln!("--- peer\n{log}");
        log
    }
}

impl Drop for ScriptPeer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `tests/support/<script>` (a Python TLS peer) serving the test PKI's EC
/// chain and key, with `extra` arguments; a [`ScriptPeer`].
pub fn ec_script_peer(script: &str, extra: &[&str]) -> ScriptPeer {
    let pki = pki();
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/support").join(script))
        .arg("--cert")
        .arg(pki.join("ec/chain.pem"))
        .arg("--key")
        .arg(pki.join("ec/leaf.key"))
        .args(extra);
    ScriptPeer::start(cmd)
}

/// Runs the host program `name` (a server) with `args` in a thread; returns
/// the port it printed (`LISTENING port=N`) and the run, once it ends.
pub fn run_listening(
    name: &'static str,
    args: Vec<String>,
    secs: u64,
) -> (u16, std::thread::JoinHandle<Run>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        run_example_watching(name, &args, secs, move |line| {
            if let Some(p) = line.strip_prefix("LISTENING port=") {
                let _ = tx.send(p.trim().parse::<u16>().unwrap_or(0));
            }
        })
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{name} did not start listening"));
    assert_ne!(port, 0, "{name} reported no port");
    (port, h)
}

/// The CA of `pki/<chain>` as a vendor `esp_ca_cert.bin` image in `dir`;
/// returns the simulator arguments that place it at sector 0x77 and enable it.
pub fn ca_args(dir: &Path, chain: &str) -> Vec<String> {
    let ca = dir.join("esp_ca_cert.bin");
    let pem = std::fs::read(pki().join(chain).join("root.pem")).unwrap();
    std::fs::write(&ca, flash_record("TLS.ca_x509.cer", &pem)).unwrap();
    args(&[
        ("flash-place", format!("0x77:{}", ca.display())),
        ("ca-sector", "0x77".into()),
    ])
}

/// The common options of the C test programs (tests/c): the server at
/// 127.0.0.1:`port`, the CA `root` placed as a PEM file at sector 0x77, the
/// clock at now, and `run_for_ms`. The PEM copy goes to `dir`.
pub fn c_program_args(port: u16, root: &Path, dir: &Path, run_for_ms: u32) -> Vec<String> {
    let ca = dir.join("ca.pem");
    std::fs::copy(root, &ca).unwrap();
    vec![
        "--server".into(),
        format!("127.0.0.1:{port}"),
        "--flash-place".into(),
        format!("0x77:{}", ca.display()),
        "--ca-sector".into(),
        "0x77".into(),
        "--time".into(),
        now(),
        "--run-for".into(),
        run_for_ms.to_string(),
    ]
}
