//! Session resumption and ALPN exports (new calls, not in the vendor library;
//! all off unless the program calls them).

use core::ffi::{c_char, CStr};

use super::find_slot;
use super::types::*;
use crate::conn::records::{self, MAX_ALPN};
use crate::platform::sdk::{ret, Espconn};
use crate::tls::session::{self, LoadError, SaveError};

/// Keep up to `entries` TLS sessions (1..4) so that later connections to the
/// same server resume them (TLS 1.2 session tickets or session ids, TLS 1.3
/// tickets): an abbreviated handshake without certificate verification or
/// key exchange signatures. Each entry takes about 500 bytes of heap. 0 (the
/// default) turns the cache off and wipes it. A session is resumed only by a
/// connection with the same host name, server address, CA certificates,
/// client certificate and ALPN list as the connection that made it; any
/// change means a full handshake. False when `entries` is above 4 or the heap
/// cannot hold them.
#[no_mangle]
pub extern "C" fn espconn_secure_set_session_cache(entries: uint8) -> bool {
    session::set_capacity(entries)
}

/// Copy the session of `conn`'s last connection (kept in the session cache)
/// into `buf` (from the connect callback on; after the connection's last
/// callback returned, only while `conn` has a host name or ALPN list set, until
/// its next connect or `espconn_secure_delete`) as a blob of at most 510 bytes, for RTC memory
/// (`system_rtc_mem_write`, 512 bytes of user area) or flash across deep
/// sleep. The blob holds the session's secret: keep it only in RTC memory or
/// flash and wipe `buf` after writing it. It carries a version byte and a
/// checksum, and is bound to the connection's host name, server address and
/// certificates. Returns the blob's length; 0 when there is no session to
/// save (cache off, or the server issued none yet; TLS 1.3 tickets arrive
/// after the handshake, so save once data has been exchanged); ESPCONN_ARG
/// (-12) for NULL arguments; ESPCONN_MEM (-1) when `len` is too small.
///
/// # Safety
/// `buf` must point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_session_save(
    conn: *const Espconn,
    buf: *mut uint8,
    len: uint16,
) -> sint16 {
    if conn.is_null() || buf.is_null() {
        return sint16::from(ret::ARG);
    }
    let Some(binding) = records::binding(conn as usize) else {
        return 0;
    };
    // SAFETY: the caller passes `len` writable bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, usize::from(len)) };
    match session::save(&binding, out) {
        Ok(n) => n as sint16,
        Err(SaveError::NoSession) => 0,
        Err(SaveError::TooSmall(need)) => {
            crate::log!(
                "espconn_secure: session_save: buffer of {} bytes, the session needs {}",
                len,
                need
            );
            sint16::from(ret::MEM)
        }
    }
}

/// Put a session saved with `espconn_secure_session_save` back into the
/// session cache (enable the cache first: after deep sleep RAM starts empty).
/// The next connection with the same host name, address and certificates
/// resumes it; if the server refuses it or the ticket expired, a full
/// handshake follows. False (with one log line) for a blob that is
/// truncated, from another version, or fails its checksum, and when the
/// cache is off. The caller should wipe `buf` afterwards.
///
/// # Safety
/// `buf` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_session_load(buf: *const uint8, len: uint16) -> bool {
    if buf.is_null() {
        return false;
    }
    // SAFETY: the caller passes `len` readable bytes.
    let blob = unsafe { core::slice::from_raw_parts(buf, usize::from(len)) };
    match session::load(blob) {
        Ok(()) => true,
        Err(e) => {
            match e {
                LoadError::Version(v) => crate::log!(
                    "espconn_secure: saved session refused: version {} (this library writes {}); full handshake",
                    v,
                    session::BLOB_VERSION
                ),
                _ => crate::log!(
                    "espconn_secure: saved session refused: {}; full handshake",
                    e.reason()
                ),
            }
            false
        }
    }
}

/// Whether `conn`'s handshake resumed a cached session (valid from the
/// connect callback until the connection ends). On a connection accepted by
/// `espconn_secure_accept` (the espconn its connect callback receives):
/// whether the client resumed a session of the server's session cache
/// (`espconn_secure_set_server_session_cache`).
#[no_mangle]
pub extern "C" fn espconn_secure_session_resumed(conn: *const Espconn) -> bool {
    match find_slot(conn) {
        // SAFETY: registered slots are live; API calls do not overlap our
        // own borrows of the slot.
        Some(slot) => unsafe { (*slot).conn.resumed() },
        None => false,
    }
}

/// Offer the ALPN protocols `protocols[0..count]` (NUL-terminated names, 1 to
/// 255 bytes each, most preferred first, at most 8) on `conn`'s next
/// `espconn_secure_connect`, e.g. "x-amzn-mqtt-ca" or "mqtt" for MQTT on port
/// 443. `count` 0 clears the list. The strings are copied and apply to every
/// later connect of `conn` until changed, or until `espconn_secure_delete(conn)`.
/// False for a NULL espconn, a bad name, more than 8 names, or a full heap.
///
/// # Safety
/// `protocols` must point to `count` NUL-terminated strings (or be NULL
/// with `count` 0).
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_set_alpn(
    conn: *mut Espconn,
    protocols: *const *const c_char,
    count: uint8,
) -> bool {
    if conn.is_null() || (protocols.is_null() && count != 0) {
        return false;
    }
    let n = usize::from(count);
    if n > MAX_ALPN {
        return false;
    }
    let mut names: [&[u8]; MAX_ALPN] = [&[]; MAX_ALPN];
    for (i, slot) in names.iter_mut().enumerate().take(n) {
        // SAFETY: the caller passes `count` pointers.
        let p = unsafe { *protocols.add(i) };
        if p.is_null() {
            return false;
        }
        // SAFETY: each is a NUL-terminated string (caller's contract).
        *slot = unsafe { CStr::from_ptr(p) }.to_bytes();
    }
    records::set_alpn(conn as usize, Some(&names[..n]))
}

/// The ALPN protocol the server selected on `conn` (from the connect callback
/// until the connection ends), or NULL when none was offered or the server
/// did not select one. Points into the library's copy of the list given to
/// `espconn_secure_set_alpn`.
#[no_mangle]
pub extern "C" fn espconn_secure_get_alpn(conn: *const Espconn) -> *const c_char {
    let Some(slot) = find_slot(conn) else {
        return core::ptr::null();
    };
    // SAFETY: registered slots are live; API calls do not overlap our own
    // borrows of the slot.
    let selected = unsafe { (*slot).conn.alpn() };
    selected
        .and_then(|p| records::alpn_entry(conn as usize, p))
        .map_or(core::ptr::null(), |p| p.cast())
}
