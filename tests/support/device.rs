//! A simulated device for the end-to-end client tests: what goes into its
//! flash and which options the example gets.

use std::path::{Path, PathBuf};

use super::*;

pub const CA_SECTOR: &str = "0x77";
pub const CERT_SECTOR: &str = "0x78";

/// What to put in flash and which options to give the example.
#[derive(Clone)]
pub struct Device {
    dir: PathBuf,
    args: Vec<String>,
    /// The SNTP clock (`--time`): now unless a test moves it.
    time: String,
    /// The simulator's heap (`--heap`).
    heap: u64,
}

impl Device {
    pub fn new(test: &str, port: u16) -> Device {
        Device {
            dir: scratch(test),
            args: vec!["--server".into(), format!("127.0.0.1:{port}")],
            time: now(),
            heap: SIM_HEAP_CAP,
        }
    }

    pub fn place(mut self, sector: &str, name: &str, bytes: &[u8]) -> Self {
        let f = self.dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        self.args.push("--flash-place".into());
        self.args.push(format!("{sector}:{}", f.display()));
        self
    }

    /// The CA as a vendor `esp_ca_cert.bin` image.
    pub fn ca(self, pem: &Path) -> Self {
        let img = flash_record("TLS.ca_x509.cer", &std::fs::read(pem).unwrap());
        self.place(CA_SECTOR, "esp_ca_cert.bin", &img)
            .opt("ca-sector", CA_SECTOR)
    }

    /// Own certificate and key as a vendor `esp_cert_private_key.bin` image.
    pub fn identity(self, cert: &Path, key: &Path) -> Self {
        let mut img = flash_record("certificate", &std::fs::read(cert).unwrap());
        img.extend(flash_record("private_key", &std::fs::read(key).unwrap()));
        self.place(CERT_SECTOR, "esp_cert_private_key.bin", &img)
            .opt("cert-sector", CERT_SECTOR)
    }

    pub fn opt(mut self, k: &str, v: &str) -> Self {
        self.args.push(format!("--{k}"));
        self.args.push(v.to_string());
        self
    }

    /// A flag without a value (`--k`).
    pub fn flag(mut self, k: &str) -> Self {
        self.args.push(format!("--{k}"));
        self
    }

    /// The RTC memory file kept across "deep sleep" (one run = one wake).
    pub fn rtc(&self) -> PathBuf {
        self.dir.join("rtc.bin")
    }

    /// A bigger heap than the ESP8266's, for cases whose need is above it today.
    pub fn heap(mut self, bytes: u64) -> Self {
        self.heap = bytes;
        self
    }

    pub fn time(mut self, unix: &str) -> Self {
        self.time = unix.to_string();
        self
    }

    pub fn run(&self, example: &str) -> Run {
        let mut a = self.args.clone();
        a.extend([
            "--run-for".into(),
            "20000".into(),
            "--time".into(),
            self.time.clone(),
        ]);
        a.extend(["--heap".into(), self.heap.to_string()]);
        let mut r = run_example(example, &a, 40);
        r.cap = self.heap;
        r
    }
}
