//! Every SDK service the library uses, behind small safe functions, so the
//! host simulator and the chip differ only here and in `c-shim/`.
//!
//! NONOS is single-threaded and never re-enters SDK callbacks; the only
//! `unsafe` in the crate lives here and in `ffi`.

pub mod alloc;
#[cfg(feature = "runtime")]
mod runtime;
/// cbindgen:ignore
pub mod sdk;

use core::fmt::{self, Write};

/// Fill `buf` from the SDK's hardware RNG (`os_get_random`). False on failure.
pub fn fill_random(buf: &mut [u8]) -> bool {
    // SAFETY: os_get_random writes exactly `len` bytes into `buf`, which is
    // valid for writes of that length.
    unsafe { sdk::os_get_random(buf.as_mut_ptr(), buf.len()) == 0 }
}

/// Unix seconds from SNTP, or `None` until SNTP has synchronised.
pub fn sntp_time() -> Option<u64> {
    // SAFETY: plain SDK query without arguments.
    let t = unsafe { sdk::sntp_get_current_timestamp() };
    (t != 0).then_some(u64::from(t))
}

/// Microseconds since boot (wraps every ~71 minutes, as the SDK's).
pub fn micros() -> u32 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_get_time() }
}

/// Free bytes in the SDK heap.
pub fn free_heap() -> u32 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_get_free_heap_size() }
}

/// Run a long computation (a handshake step: ECDSA verify alone is ~1 s at
/// 80 MHz) with the software watchdog (~3 s) stopped, as the vendor library
/// does; the hardware watchdog stays armed as the backstop. The watchdog is
/// fed and restarted afterwards.
pub fn with_watchdog_paused<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: plain SDK calls without arguments.
    unsafe { sdk::system_soft_wdt_stop() };
    let r = f();
    // SAFETY: as above.
    unsafe {
        sdk::system_soft_wdt_restart();
        sdk::system_soft_wdt_feed();
    }
    r
}

/// Reads `buf.len() * 4` bytes of flash at `addr` (4-byte aligned, as
/// `spi_flash_read` requires). False if the SDK refuses the read.
pub fn flash_read(addr: u32, buf: &mut [u32]) -> bool {
    let Ok(len) = u32::try_from(buf.len() * 4) else {
        return false;
    };
    // SAFETY: `buf` is valid for writes of `len` bytes and 4-byte aligned.
    unsafe { sdk::spi_flash_read(addr, buf.as_mut_ptr(), len) == 0 }
}

/// One-time chip set-up before the first connection: on the ESP8266 the
/// handler that lets code read bytes of constants kept in flash (which the
/// chip only allows as aligned 32-bit loads). Nothing to do on the host.
pub fn chip_init() {
    #[cfg(target_os = "none")]
    // SAFETY: idempotent C initialiser without arguments (c-shim/esp8266).
    unsafe {
        sdk::espconn_secure_chip_init()
    };
}

/// Restart the chip through the SDK. Used only by the last-resort handlers.
pub fn restart() -> ! {
    // SAFETY: plain SDK call; on the chip it does not return.
    unsafe { sdk::system_restart() };
    // The simulator ends the run from its loop; never return to the caller.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// A log line through `os_printf_plus`, formatted on the stack (never on the
/// heap: this also reports out-of-memory). Lines longer than the buffer are
/// cut. Callers must never pass secrets.
pub fn log(args: fmt::Arguments<'_>) {
    let mut line = LineBuf {
        buf: [0; 240],
        len: 0,
    };
    let _ = line.write_fmt(args);
    let n = line.len;
    line.buf[n] = b'\n';
    line.buf[n + 1] = 0;
    // SAFETY: the format is a NUL-terminated literal taking one C string, and
    // `line.buf` is NUL-terminated within its bounds.
    unsafe {
        sdk::os_printf_plus(c"%s".as_ptr(), line.buf.as_ptr());
    }
}

/// `log!("fmt", args...)`: one line through the SDK's printf.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => { $crate::platform::log(format_args!($($arg)*)) };
}

struct LineBuf {
    buf: [u8; 240],
    len: usize,
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Keep two bytes for the newline and NUL; drop interior NULs, which
        // would cut the line short in printf.
        for &b in s.as_bytes() {
            if self.len + 2 >= self.buf.len() {
                return Err(fmt::Error);
            }
            if b != 0 {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}
