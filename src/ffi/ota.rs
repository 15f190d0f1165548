//! Firmware update exports (`espconn_secure_ota_*`): write an image into the
//! user partition that is not running as it arrives (for example from an
//! HTTPS download), check its SHA-256, and mark it for boot as the SDK's
//! FOTA does. The work is done in [`crate::ota`].

use core::ffi::c_int;

use super::types::*;
use crate::error::{code, Failure};
use crate::ota;

/// Logs why an update call failed and returns its code.
fn report(f: Failure) -> c_int {
    crate::log!("espconn_secure: {}", f.reason);
    f.code
}

/// Start a firmware update of `size` bytes whose SHA-256 is the 32 bytes at
/// `sha256` (copied). The image goes into the user partition that is not
/// running (user2 at 0x101000 when user1 runs, and the other way round,
/// following `system_get_flash_size_map()`); sets the SDK's upgrade flag to
/// UPGRADE_FLAG_START. An update already in progress is abandoned.
///
/// Returns 0, -0x7100 for size 0 or a NULL hash, or -0x5500 when the flash
/// map has no second user partition or the image does not fit it.
///
/// ```c
/// if (espconn_secure_ota_begin(content_length, expected_sha256) != 0) ...
/// ```
///
/// # Safety
/// `sha256` must be NULL or point to 32 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_ota_begin(size: uint32, sha256: *const uint8) -> c_int {
    if sha256.is_null() {
        ota::abort();
        return report(crate::fail!(code::SSL_BAD_INPUT_DATA, "OTA: hash is NULL"));
    }
    // SAFETY: not NULL, so 32 readable bytes (this function's contract);
    // copied before this returns.
    let expected = unsafe { *sha256.cast::<[u8; 32]>() };
    match ota::begin(size, &expected) {
        Ok(_) => 0,
        Err(f) => report(f),
    }
}

/// Write the next `len` bytes of the image (any length, any alignment: the
/// library erases each 4 KB sector before its first byte and writes whole
/// words with `spi_flash_write`; it keeps at most 3 bytes until the next
/// call). Call it from the recv callback as the image arrives.
///
/// Returns 0; -0x5580 without a begun update; -0x5600 when the bytes go
/// beyond the announced size; -0x5680 when the flash refuses an erase or a
/// write. After a failure the update is abandoned (the flag is set back to
/// UPGRADE_FLAG_IDLE).
///
/// # Safety
/// `data` must point to `len` readable bytes (or be NULL with len 0).
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_ota_write(data: *const uint8, len: uint32) -> c_int {
    if len == 0 {
        return 0;
    }
    if data.is_null() {
        ota::abort();
        return report(crate::fail!(code::SSL_BAD_INPUT_DATA, "OTA: data is NULL"));
    }
    // SAFETY: not NULL, so `len` readable bytes (this function's contract),
    // not modified during the call.
    let bytes = unsafe { core::slice::from_raw_parts(data, len as usize) };
    match ota::write(bytes) {
        Ok(()) => 0,
        Err(f) => report(f),
    }
}

/// End the update: check that exactly the announced size was written and
/// that the SHA-256 of the image read back from flash is the expected one;
/// only then set the SDK's upgrade flag to UPGRADE_FLAG_FINISH, so that
/// `system_upgrade_reboot()` boots the new image. The update ends either
/// way; on failure the flag is UPGRADE_FLAG_IDLE and the running image stays
/// the one that boots.
///
/// Returns 0; -0x5580 without a begun update; -0x5600 for a short image
/// (truncated download); -0x5700 for a wrong hash; -0x5680 when the flash
/// refuses a write or a read.
///
/// ```c
/// if (espconn_secure_ota_finish() == 0)
///     system_upgrade_reboot();
/// ```
#[no_mangle]
pub extern "C" fn espconn_secure_ota_finish() -> c_int {
    match ota::finish() {
        Ok(()) => 0,
        Err(f) => report(f),
    }
}

/// Abandon the update in progress, if any (for example when the download
/// fails): the flag goes back to UPGRADE_FLAG_IDLE and nothing is marked for
/// boot. What was written stays in the inactive partition, unused.
#[no_mangle]
pub extern "C" fn espconn_secure_ota_abort() {
    ota::abort();
}
