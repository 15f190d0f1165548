//! The runtime of the shipped archive: the global allocator and the panic
//! handler. Host tools and tests use std's instead (feature `runtime` off).

use core::alloc::{GlobalAlloc, Layout};

use super::alloc::{global_alloc, global_free};

struct SdkAllocator;

// SAFETY: every block is handed out once by either an arena or the SDK heap,
// and freed by the one that owns its address.
unsafe impl GlobalAlloc for SdkAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = global_alloc(layout);
        if p.is_null() {
            super::note_failed_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout (GlobalAlloc contract).
        unsafe { global_free(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: SdkAllocator = SdkAllocator;

/// Inside an engine step (an allocation that failed there ends here too), the
/// step is abandoned and only its connection fails (`super::run_step`).
/// Anywhere else it is a bug: say why, then restart through the SDK.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    super::log_panic(
        info.message().as_str(),
        info.location().map(|l| (l.file(), l.line())),
    );
    super::escape_step();
    super::log_plain("espconn_secure: fatal: restarting");
    super::restart()
}

/// Host builds link the toolchain's prebuilt `alloc`, compiled for unwinding,
/// which names this symbol; with `panic = "abort"` it is never called.
#[cfg(not(target_os = "none"))]
#[no_mangle]
extern "C" fn rust_eh_personality() {}
