//! The vendor flash record format: in-memory lookup and the device's sector reader.
//! Properties: see espconn_secure::fuzzing::flash_format.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    espconn_secure::fuzzing::flash_format(data);
});
