//! The client connection (conn::Conn) fed the input as the server's bytes.
//! Properties: see espconn_secure::fuzzing::record_path.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    espconn_secure::fuzzing::record_path(data);
});
