//! Helpers shared by the integration tests that drive the host simulator:
//! building programs through the Makefile, running them with a time limit,
//! and reading their output (`EV ...` trace lines and the final heap line).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The repository root (where the Makefile lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `make -s <target>` from the repository root, serialised across the
/// test threads (make on one tree is not re-entrant). Panics with make's
/// output on failure.
pub fn make(target: &str) {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("make")
        .arg("-s")
        .arg(target)
        .current_dir(repo_root())
        .output()
        .expect("cannot run make");
    if !out.status.success() {
        panic!(
            "make {target} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `build/host/<name>`, built once per test process with `make -s`.
pub fn host_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let map = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Held across the build so that two tests wanting the same program wait
    // for one make instead of racing two.
    let mut built = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let rel = format!("build/host/{name}");
    make(&rel);
    let path = repo_root().join(rel);
    assert!(
        path.exists(),
        "make succeeded but {} is missing",
        path.display()
    );
    built.insert(name.to_string(), path.clone());
    path
}

/// Output of a finished (or killed) program.
#[derive(Debug)]
pub struct RunOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl RunOutput {
    /// The `EV ...` trace lines, in order.
    pub fn ev(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("EV "))
            .collect()
    }

    /// Panics (with the whole output) unless a line equal to `line` exists.
    pub fn expect_line(&self, line: &str) {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "missing line {line:?} in output:\n{self}"
        );
    }

    /// Position of the first line equal to `line`.
    pub fn line_pos(&self, line: &str) -> Option<usize> {
        self.stdout.lines().position(|l| l == line)
    }

    pub fn heap(&self) -> HeapLine {
        parse_heap_line(&self.stdout).unwrap_or_else(|| panic!("no heap line in output:\n{self}"))
    }
}

impl std::fmt::Display for RunOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {} (timed out: {})\n--- stdout\n{}--- stderr\n{}",
            self.status, self.timed_out, self.stdout, self.stderr
        )
    }
}

/// A program started in the background; stdout is delivered line by line.
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

pub fn spawn(bin: &Path, args: &[&str]) -> Running {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let stderr = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    Running {
        child,
        lines: rx,
        seen: Vec::new(),
        stderr: Some(stderr),
    }
}

impl Running {
    /// Waits for a stdout line matching `pred`; panics after `timeout`.
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no matching line within {timeout:?}; seen:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// Waits for exit (killing the program after `timeout`) and collects the
    /// whole output, including lines already consumed by `wait_line`.
    pub fn finish(mut self, timeout: Duration) -> RunOutput {
        let (status, timed_out) = wait_with_timeout(&mut self.child, timeout);
        let mut stdout = self.seen.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        // The reader thread ends at EOF, which follows the exit.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(2)) {
            stdout.push_str(&l);
            stdout.push('\n');
        }
        let stderr = self.stderr.take().unwrap().join().unwrap_or_default();
        RunOutput {
            status,
            stdout,
            stderr,
            timed_out,
        }
    }
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> (ExitStatus, bool) {
    let end = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().expect("wait failed") {
            return (st, false);
        }
        if Instant::now() >= end {
            let _ = child.kill();
            return (child.wait().expect("wait failed"), true);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `bin args...` to completion; killed after `timeout`.
pub fn run(bin: &Path, args: &[&str], timeout: Duration) -> RunOutput {
    spawn(bin, args).finish(timeout)
}

/// The simulator's final line: `heap_peak=N heap_in_use=N allocs=N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapLine {
    pub peak: u32,
    pub in_use: u32,
    pub allocs: u32,
}

/// Parses the heap line; None unless exactly one is present.
pub fn parse_heap_line(stdout: &str) -> Option<HeapLine> {
    let mut found = None;
    for line in stdout.lines().filter(|l| l.starts_with("heap_peak=")) {
        if found.is_some() {
            return None;
        }
        let mut vals = [None; 3];
        let mut parts = line.split(' ');
        for (i, key) in ["heap_peak", "heap_in_use", "allocs"].iter().enumerate() {
            let (k, v) = parts.next()?.split_once('=')?;
            if k != *key {
                return None;
            }
            vals[i] = Some(v.parse().ok()?);
        }
        if parts.next().is_some() {
            return None;
        }
        found = Some(HeapLine {
            peak: vals[0]?,
            in_use: vals[1]?,
            allocs: vals[2]?,
        });
    }
    found
}

/// A path in the temp dir unique to this process and `tag`; removed first.
pub fn temp_path(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("espconn-sim-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}
