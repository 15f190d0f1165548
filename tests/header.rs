//! The committed C header must be what cbindgen generates from src/ffi today.

use std::process::Command;

#[test]
fn committed_header_matches_the_rust_exports() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::env::temp_dir().join(format!("espconn_secure_{}.h", std::process::id()));
    let st = Command::new("cbindgen")
        .current_dir(root)
        .args([
            "--config",
            "cbindgen.toml",
            "--crate",
            "espconn_secure",
            "--quiet",
            "--output",
        ])
        .arg(&out)
        .arg(".")
        .status()
        .expect("cbindgen not found: run `make deps-host` (make test does)");
    assert!(st.success(), "cbindgen failed");
    let fresh = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let committed = std::fs::read_to_string(format!("{root}/include/espconn_secure.h")).unwrap();
    assert!(
        fresh == committed,
        "include/espconn_secure.h is stale: run `make header` and commit it"
    );
}
