//! Our server's connection (conn::Conn, Role::Server) fed the input as a client's bytes.
//! Properties: see espconn_secure::fuzzing::server_path.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    espconn_secure::fuzzing::server_path(data);
});
