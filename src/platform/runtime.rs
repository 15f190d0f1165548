//! The runtime of the shipped archive: the global allocator and the panic
//! handler. Host tools and tests use std's instead (feature `runtime` off).

use core::alloc::{GlobalAlloc, Layout};

use super::alloc::{current, owner_of, sdk_alloc, sdk_free};

struct SdkAllocator;

// SAFETY: every block is handed out once by either an arena or the SDK heap,
// and freed by the one that owns its address.
unsafe impl GlobalAlloc for SdkAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match current() {
            Some(arena) => arena.alloc(layout),
            None => sdk_alloc(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match owner_of(ptr) {
            // SAFETY: the arena handed out `ptr` with this layout.
            Some(arena) => unsafe { arena.dealloc(ptr, layout) },
            // SAFETY: not an arena block, so it came from sdk_alloc.
            None => unsafe { sdk_free(ptr, layout) },
        }
    }
}

#[global_allocator]
static ALLOCATOR: SdkAllocator = SdkAllocator;

/// A last resort for bugs (and for an allocation that failed inside an engine
/// despite the arena's headroom): say why, then restart through the SDK.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::log!("espconn_secure: fatal: {}", info.message());
    if let Some(loc) = info.location() {
        crate::log!("espconn_secure: at {}:{}", loc.file(), loc.line());
    }
    super::restart()
}

/// Host builds link the toolchain's prebuilt `alloc`, compiled for unwinding,
/// which names this symbol; with `panic = "abort"` it is never called.
#[cfg(not(target_os = "none"))]
#[no_mangle]
extern "C" fn rust_eh_personality() {}
