//! Settings exports: buffer size, CA and own-certificate sectors, host names,
//! and error reporting.

use core::ffi::{c_char, c_int, CStr};

use super::types::*;
use crate::conn::records;
use crate::conn::settings::{self, Level};
use crate::platform::sdk::{ret, Espconn};

/// Set the TLS buffer size for `level` (ESPCONN_CLIENT 1, ESPCONN_SERVER 2,
/// ESPCONN_BOTH 3). One size serves every level, as in the vendor library.
/// Returns false for an invalid level or a size outside 2048..8192.
///
/// Unlike the vendor library, the receive buffer starts small and grows to the
/// records the server actually sends (up to 16 KB); calling this caps it: a
/// larger incoming record then fails with -0x7200 naming both sizes. Client
/// connections also ask the server for records of at most 2048 or 4096
/// bytes (the largest not above `size`; see
/// `espconn_secure_set_fragment_length`), so a server that agrees never
/// sends a record over the cap.
#[no_mangle]
pub extern "C" fn espconn_secure_set_size(level: uint8, size: uint16) -> bool {
    match Level::from_raw(level) {
        Some(l) => settings::set_size(l, size),
        None => false,
    }
}

/// Ask servers for small records: every later client connection sends
/// max_fragment_length (RFC 6066) and record_size_limit (RFC 8449) asking
/// for records of at most `n` bytes of plaintext: 512, 1024, 2048 or 4096;
/// 0 asks for nothing. A server that agrees (openssl honours
/// max_fragment_length, GnuTLS record_size_limit) sends records of at most
/// `n` bytes, so the receive buffer stays at one such record (`n` + 29
/// bytes) instead of growing to 16 KB, and is held to it: a larger record
/// fails with -0x7200 naming both sizes. Our records respect the server's answer too.
/// `espconn_secure_get_fragment_length` tells after connect whether it
/// agreed. A server may ignore the request: the connection then goes on
/// with the records it sends, which must fit the heap (and the cap of
/// `espconn_secure_set_size`, if called). `espconn_secure_set_size(level,
/// size)` also asks, for the largest of 2048 and 4096 not above `size`;
/// the later of the two calls wins. Returns false for an invalid level,
/// ESPCONN_SERVER alone (the library's server ignores such requests) or
/// another `n`, changing nothing.
#[no_mangle]
pub extern "C" fn espconn_secure_set_fragment_length(level: uint8, n: uint16) -> bool {
    match Level::from_raw(level) {
        Some(l) => settings::set_fragment_length(l, n),
        None => false,
    }
}

/// The record size the server of `conn`'s connection agreed to after
/// `espconn_secure_set_fragment_length` or `_set_size` asked (512 to 4096),
/// or 0: nothing asked, the server ignored the request, or `conn` has no
/// connection. Valid from the connect callback until the connection ends.
#[no_mangle]
pub extern "C" fn espconn_secure_get_fragment_length(conn: *const Espconn) -> uint16 {
    match super::find_slot(conn) {
        // SAFETY: registered slots are live; API calls do not overlap our
        // own borrows of the slot.
        Some(slot) => unsafe { (*slot).conn.fragment_length() },
        None => 0,
    }
}

/// The size set with `espconn_secure_set_size` (2048 by default), or
/// ESPCONN_ARG (-12) for an invalid level.
#[no_mangle]
pub extern "C" fn espconn_secure_get_size(level: uint8) -> sint16 {
    match Level::from_raw(level) {
        Some(_) => settings::size() as i16,
        None => i16::from(ret::ARG),
    }
}

/// Verify the peer against the CA certificate(s) in flash sector
/// `flash_sector` (0x77 means address 0x77000): the first record of an
/// `esp_ca_cert.bin` image (it may hold a PEM bundle), raw PEM/DER at the
/// sector's start, or a CA bundle written by `espcert bundle` starting at
/// that sector (many roots, e.g. Debian's set, over as many sectors as it
/// needs: a client handshake reads only the root the server's chain names,
/// so the heap does not grow with the bundle; a server loads all of its
/// roots). Read at every handshake. False for an invalid level or sector 0.
///
/// A server whose root is not in the bundle fails with -0x2700 naming the
/// root; a corrupt bundle (a checksum fails) with -0x2780 naming the sector.
///
/// ```c
/// /* espcert bundle --system -o esp_ca_bundle.bin; written at 0x200000 */
/// espconn_secure_ca_enable(ESPCONN_CLIENT, 0x200);
/// ```
#[no_mangle]
pub extern "C" fn espconn_secure_ca_enable(level: uint8, flash_sector: uint32) -> bool {
    match Level::from_raw(level) {
        Some(l) if flash_sector != 0 => {
            settings::set_ca(l, Some(flash_sector));
            true
        }
        _ => false,
    }
}

/// Stop verifying the peer for `level`. The link stays encrypted but the
/// server is not authenticated (one warning line per handshake says so).
#[no_mangle]
pub extern "C" fn espconn_secure_ca_disable(level: uint8) -> bool {
    match Level::from_raw(level) {
        Some(l) => {
            settings::set_ca(l, None);
            true
        }
        None => false,
    }
}

/// Present the device's own certificate and private key from flash sector
/// `flash_sector` (records named `certificate` and `private_key`, as written
/// by `espcert pack --cert --key` or the vendor's scripts). False for an
/// invalid level or sector 0.
#[no_mangle]
pub extern "C" fn espconn_secure_cert_req_enable(level: uint8, flash_sector: uint32) -> bool {
    match Level::from_raw(level) {
        Some(l) if flash_sector != 0 => {
            settings::set_cert(l, Some(flash_sector));
            true
        }
        _ => false,
    }
}

/// Stop presenting a client certificate for `level`.
#[no_mangle]
pub extern "C" fn espconn_secure_cert_req_disable(level: uint8) -> bool {
    match Level::from_raw(level) {
        Some(l) => {
            settings::set_cert(l, None);
            true
        }
        None => false,
    }
}

/// Set the server name for `espconn`'s connections: sent as SNI and checked
/// against the certificate (an IP address is checked against the
/// certificate's IP addresses and not sent). It applies to every later
/// `espconn_secure_connect` on `espconn` until changed, cleared with NULL, or
/// forgotten by `espconn_secure_delete(espconn)`. Returns ESPCONN_OK,
/// ESPCONN_ARG for a NULL espconn or an empty/oversized name, ESPCONN_MEM when
/// the heap cannot hold it. After a failure `espconn_secure_connect` on
/// `espconn` is refused (ESPCONN_ARG, last error -0x7100) until a name is set
/// successfully or cleared with NULL: a connection never runs with a weaker
/// check than the program asked for.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_set_hostname(
    espconn: *mut Espconn,
    name: *const c_char,
) -> sint8 {
    if espconn.is_null() {
        return ret::ARG;
    }
    let key = espconn as usize;
    if name.is_null() {
        let _ = records::set_hostname(key, None);
        return ret::OK;
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(name) }.to_bytes();
    if bytes.is_empty() || bytes.len() > 253 {
        records::name_refused(key);
        crate::log!("espconn_secure: host name refused (empty or over 253 bytes): connects on this espconn are refused until a name is set");
        return ret::ARG;
    }
    match records::set_hostname(key, Some(bytes)) {
        Ok(()) => ret::OK,
        Err(_) => {
            crate::log!(
                "espconn_secure: no heap to store the host name ({} bytes, {} free): connects on this espconn are refused until a name is set",
                bytes.len(),
                crate::platform::free_heap()
            );
            ret::MEM
        }
    }
}

/// Pin the server's public key for `espconn`'s connections: `sha256` holds
/// `count` SHA-256 hashes (32 bytes each, concatenated, at most 4) of the
/// DER SubjectPublicKeyInfo of the server's certificate (`espcert pin
/// cert.pem` prints them; so does `openssl x509 -pubkey -noout -in cert.pem
/// | openssl pkey -pubin -outform DER | openssl dgst -sha256`). With
/// `espconn_secure_ca_enable` the chain must verify and the leaf's key match
/// one of the pins; without, a matching pin alone authenticates the server
/// (self-signed brokers), and the certificate's dates are still checked
/// unless the time is unknown (no SNTP, no `espconn_secure_set_time`). A
/// key matching no pin fails the handshake with -0x2700, the reason giving
/// the key's hash in hex. Applies to every later `espconn_secure_connect`
/// on `espconn` until changed, cleared (NULL or count 0) or forgotten by
/// `espconn_secure_delete(espconn)`. Returns false for a NULL espconn or
/// count above 4 (nothing changed), and when the heap cannot hold the
/// espconn's record: connects on `espconn` are then refused (ESPCONN_ARG,
/// last error -0x7100) until pins are set or cleared, never made without
/// the pins asked for.
///
/// # Safety
/// `sha256` must be NULL or point to `32 * count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_pin_public_key(
    espconn: *mut Espconn,
    sha256: *const uint8,
    count: uint8,
) -> bool {
    if espconn.is_null() {
        return false;
    }
    let key = espconn as usize;
    if sha256.is_null() || count == 0 {
        return records::set_pins(key, None);
    }
    let n = usize::from(count);
    if n > crate::tls::MAX_PINS {
        return false;
    }
    let mut pins = [[0u8; 32]; crate::tls::MAX_PINS];
    // SAFETY: the caller passes `32 * count` readable bytes; count <= 4.
    let bytes = unsafe { core::slice::from_raw_parts(sha256, 32 * n) };
    for (pin, chunk) in pins.iter_mut().zip(bytes.chunks_exact(32)) {
        pin.copy_from_slice(chunk);
    }
    if records::set_pins(key, Some(&pins[..n])) {
        return true;
    }
    crate::log!(
        "espconn_secure: no heap for this espconn's record ({} free): public-key pins not stored, connects on it are refused until they are set or cleared",
        crate::platform::free_heap()
    );
    false
}

pub(crate) fn record_error(key: usize, code: i32) {
    records::set_last_error(key, code);
}

/// The mbedTLS-compatible code (for example -0x7200) of the TLS failure that
/// ended the last connection on `espconn`, or 0 if it had none (cleared by
/// `espconn_secure_connect`). Valid inside the reconnect callback; after it
/// returns only while `espconn` has a host name, ALPN list or pins set (until its
/// next connect or `espconn_secure_delete`).
#[no_mangle]
pub extern "C" fn espconn_secure_get_last_error(espconn: *const Espconn) -> c_int {
    if espconn.is_null() {
        return 0;
    }
    records::last_error(espconn as usize)
}

/// A static, readable description of an error code from
/// `espconn_secure_get_last_error` (never NULL).
#[no_mangle]
pub extern "C" fn espconn_secure_strerror(code: c_int) -> *const c_char {
    crate::error::strerror(code).as_ptr()
}

/// Set the library's clock to `unix_seconds` (seconds since 1970-01-01 UTC),
/// for networks where SNTP is blocked: certificate dates are then checked
/// against this time, kept running with `system_get_time` (its wrap every
/// ~71.6 minutes is handled; a 10-minute SDK timer reads the clock so that
/// no wrap is missed). SNTP wins as soon as it has synchronised
/// (`sntp_get_current_timestamp()` not 0); without either, dates are checked
/// against the library's build time. May be called again at any time (a
/// handshake in progress sees the new time). The handshake's log line and a
/// date failure's reason name the clock used. Returns false for 0 (the
/// clock is left as it was), true otherwise.
#[no_mangle]
pub extern "C" fn espconn_secure_set_time(unix_seconds: uint32) -> bool {
    if unix_seconds == 0 {
        return false;
    }
    crate::platform::set_clock(unix_seconds);
    true
}

/// Limit how long a TLS handshake may take, for every later connection,
/// client and server: counted from the moment TCP is connected (the SDK's
/// connect callback, or a server's accept) until the handshake completes.
/// A handshake still running after `seconds` fails: TCP is closed and the
/// reconnect callback gets -104 (last error -0x6800,
/// MBEDTLS_ERR_SSL_TIMEOUT), and the connection's memory is released. The
/// TCP connect itself is bounded by lwIP, not by this. Default 15 s
/// (BearSSL's); 0 turns the limit off. Returns false above 3600 (nothing
/// changed), true otherwise. A connection keeps the value it started with.
#[no_mangle]
pub extern "C" fn espconn_secure_set_handshake_timeout(seconds: uint16) -> bool {
    settings::set_handshake_timeout(seconds)
}
