//! `espconn_secure`: a drop-in replacement for the ESP8266 NONOS SDK's
//! `libmbedtls.a`, exporting the vendor's `espconn_secure_*` C API on top of a
//! rustls TLS engine.
//!
//! Layers (see `docs/ARCHITECTURE.md`): `ffi` (C ABI) -> `conn` (one state machine
//! per connection, callback order, back-pressure) -> `tls` (the engine behind a
//! bytes-in/bytes-out interface) ; `certs` (flash formats, PEM/DER, keys) ;
//! `error` (mbedTLS-compatible codes and reasons) ; `platform` (every SDK call,
//! the allocator and the runtime).
#![no_std]
// `unsafe` only where the C ABI and the SDK are met: `ffi` and `platform`
// allow it (each block with a `// SAFETY:` line); everything else is safe code.
#![deny(unsafe_code)]
#![forbid(unsafe_op_in_unsafe_fn)]
// `Failure` carries its reason inline (~200 bytes) so that reporting never
// allocates: the error path is also the out-of-memory path.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;
// Host tools and tests take std's panic runtime and allocator; the shipped
// archive (feature `runtime`) brings its own (see `platform::runtime`).
#[cfg(any(test, not(feature = "runtime")))]
extern crate std;

/// The bytes of a TLS fixture (tests/fixtures/tls/), for the unit tests and
/// the fuzzing entry points; defined before the modules that use it.
#[cfg(any(test, feature = "fuzzing"))]
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tls/",
            $name
        ))
        .as_slice()
    };
}

pub mod error;

pub mod certs;
pub mod conn;
pub mod ffi;
pub mod ota;
pub mod platform;
pub mod tls;

// Entry points for the fuzz targets in fuzz/ (docs/FUZZING.md); host only.
#[cfg(all(feature = "fuzzing", not(target_os = "none")))]
pub mod fuzzing;
