//! Settings exports: buffer size, CA and own-certificate sectors, host names,
//! and error reporting.

use core::ffi::{c_char, c_int, CStr};

use spin::Mutex;

use super::types::*;
use crate::conn::settings::{self, Level};
use crate::platform::sdk::{ret, Espconn};

/// Set the TLS buffer size for `level` (ESPCONN_CLIENT 1, ESPCONN_SERVER 2,
/// ESPCONN_BOTH 3). One size serves every level, as in the vendor library.
/// Returns false for an invalid level or a size outside 2048..8192.
///
/// Unlike the vendor library, the receive buffer starts small and grows to the
/// records the server actually sends (up to 16 KB); calling this caps it: a
/// larger incoming record then fails with -0x7200 naming both sizes.
#[no_mangle]
pub extern "C" fn espconn_secure_set_size(level: uint8, size: uint16) -> bool {
    match Level::from_raw(level) {
        Some(l) => settings::set_size(l, size),
        None => false,
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
/// `esp_ca_cert.bin` image (it may hold a PEM bundle), or raw PEM/DER at the
/// sector's start. Read at every handshake. False for an invalid level or
/// sector 0.
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

/// Set the server name for `espconn`'s next `espconn_secure_connect`: sent as
/// SNI and checked against the certificate (an IP address is checked against
/// the certificate's IP addresses and not sent). NULL clears it. Returns
/// ESPCONN_OK, ESPCONN_ARG for a NULL espconn or an empty/oversized name,
/// ESPCONN_MEM when the heap or the name table (8 entries) is full.
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
        settings::set_hostname(key, None);
        return ret::OK;
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(name) }.to_bytes();
    if bytes.is_empty() || bytes.len() > 253 {
        return ret::ARG;
    }
    if settings::set_hostname(key, Some(bytes)) {
        ret::OK
    } else {
        ret::MEM
    }
}

/// Most connections whose last error is remembered.
const ERROR_SLOTS: usize = 8;
static LAST_ERRORS: Mutex<([(usize, i32); ERROR_SLOTS], usize)> =
    Mutex::new(([(0, 0); ERROR_SLOTS], 0));

pub(crate) fn record_error(key: usize, code: i32) {
    let mut g = LAST_ERRORS.lock();
    let (table, next) = &mut *g;
    if let Some(e) = table.iter_mut().find(|e| e.0 == key) {
        e.1 = code;
        return;
    }
    table[*next] = (key, code);
    *next = (*next + 1) % ERROR_SLOTS;
}

/// A new connection attempt on `key` starts without an error.
pub(crate) fn clear_error(key: usize) {
    if let Some(e) = LAST_ERRORS.lock().0.iter_mut().find(|e| e.0 == key) {
        e.1 = 0;
    }
}

/// The mbedTLS-compatible code (for example -0x7200) of the TLS failure that
/// ended the last connection on `espconn`, or 0 if it had none (cleared by
/// `espconn_secure_connect`). Still valid inside and after the reconnect
/// callback.
#[no_mangle]
pub extern "C" fn espconn_secure_get_last_error(espconn: *const Espconn) -> c_int {
    let key = espconn as usize;
    LAST_ERRORS
        .lock()
        .0
        .iter()
        .find(|e| e.0 == key && key != 0)
        .map_or(0, |e| e.1)
}

/// A static, readable description of an error code from
/// `espconn_secure_get_last_error` (never NULL).
#[no_mangle]
pub extern "C" fn espconn_secure_strerror(code: c_int) -> *const c_char {
    crate::error::strerror(code).as_ptr()
}
