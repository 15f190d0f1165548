//! Host builds bundle the NONOS SDK simulator (`c-shim/host/`) into the library,
//! so that tests, tools and C examples on Linux find every SDK symbol the library
//! calls. Chip builds (`target_os = "none"`) link against the real SDK instead.

use std::path::Path;

include!("build_support/build_time.rs");

fn main() {
    // The fallback clock for certificate dates before SNTP has synchronised:
    // the time the archive is built (build_support/build_time.rs).
    println!("cargo:rerun-if-env-changed=ESPCONN_SECURE_BUILD_TIME");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let build_time = choose_build_time(
        std::env::var("ESPCONN_SECURE_BUILD_TIME").ok().as_deref(),
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
        now,
    );
    println!("cargo:rustc-env=ESPCONN_SECURE_BUILD_TIME={build_time}");
    println!("cargo:rerun-if-changed=c-shim/host");
    println!("cargo:rerun-if-changed=c-shim/include");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "none" {
        return;
    }
    let dir = Path::new("c-shim/host");
    let mut sources: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "c"))
                // The simulator's `main` belongs to C programs only; Rust test
                // binaries and tools have their own.
                .filter(|p| p.file_name().is_some_and(|n| n != "sim_main.c"))
                .collect()
        })
        .unwrap_or_default();
    if sources.is_empty() {
        return;
    }
    sources.sort();
    cc::Build::new()
        .files(&sources)
        .include("c-shim/include")
        .include("c-shim/host")
        .warnings(true)
        .flag_if_supported("-std=gnu11")
        .compile("nonos_sim");
}
