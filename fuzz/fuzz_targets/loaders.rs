//! Certificate and private-key payloads (PEM/DER, PKCS#1/#8, SEC1).
//! Properties: see espconn_secure::fuzzing::loaders.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    espconn_secure::fuzzing::loaders(data);
});
