//! Every SDK service the library uses, behind small safe functions, so the
//! host simulator and the chip differ only here and in `c-shim/`.
//!
//! NONOS is single-threaded and never re-enters SDK callbacks; the only
//! `unsafe` in the crate lives here and in `ffi`.
#![allow(unsafe_code)] // the C ABI / the SDK (see lib.rs)

pub mod alloc;
pub mod clock;
#[cfg(test)]
pub(crate) mod counting_alloc;
#[cfg(feature = "runtime")]
mod runtime;
/// cbindgen:ignore
pub mod sdk;
/// cbindgen:ignore
#[cfg(all(feature = "fuzzing", not(target_os = "none")))]
pub mod sim;
pub mod slice;

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

/// Set the library's own clock (`espconn_secure_set_time`): Unix seconds,
/// kept running from `system_get_time` ([`clock`]); a periodic SDK timer
/// reads it so that the wrap of `system_get_time` is never missed.
pub fn set_clock(unix_seconds: u32) {
    clock::set(unix_seconds);
    // SAFETY: the timer is a static that lives for the whole program and is
    // only touched here, from the SDK's single thread; disarmed before its
    // function is set, as the SDK requires.
    unsafe {
        let t = CLOCK_TICK.0.get();
        sdk::ets_timer_disarm(t);
        sdk::ets_timer_setfn(t, clock_tick, core::ptr::null_mut());
        sdk::ets_timer_arm_new(t, clock::TICK_MS, true, true);
    }
}

/// The timer that reads the set clock every [`clock::TICK_MS`].
struct TimerCell(core::cell::UnsafeCell<sdk::EtsTimer>);
// SAFETY: NONOS runs the SDK and every callback on one thread; the cell is
// only handed to the SDK's timer calls (`set_clock`).
unsafe impl Sync for TimerCell {}
static CLOCK_TICK: TimerCell = TimerCell(core::cell::UnsafeCell::new(sdk::EtsTimer::new()));

unsafe extern "C" fn clock_tick(_: *mut core::ffi::c_void) {
    let _ = clock::now();
}

/// Microseconds since boot (wraps every ~71 minutes, as the SDK's).
pub fn micros() -> u32 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_get_time() }
}

/// CCOUNT, from the chip test runtime (tests/chip/rt.c): the clock of the
/// handshake split (`bench-split`, tests/chip/firmware only).
#[cfg(feature = "bench-split")]
pub fn bench_ccount() -> u32 {
    extern "C" {
        fn chip_ccount() -> u32;
    }
    // SAFETY: reads a special register; no arguments, no memory.
    unsafe { chip_ccount() }
}

/// Free bytes in the SDK heap.
pub fn free_heap() -> u32 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_get_free_heap_size() }
}

/// Handshakes running at 160 MHz ([`fast_cpu_begin`]), and the frequency
/// the program had set before the first of them.
static FAST_CPU_USERS: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);
static PROGRAM_CPU_MHZ: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

/// A handshake starts: the CPU runs at 160 MHz until the last running
/// handshake ends (the vendor's glue does the same; public-key operations
/// take half the time). Pair every call with one [`fast_cpu_end`].
pub fn fast_cpu_begin() {
    use core::sync::atomic::Ordering::Relaxed;
    if FAST_CPU_USERS.fetch_add(1, Relaxed) == 0 {
        // SAFETY: plain SDK query and setter of the CPU clock.
        unsafe {
            let mhz = sdk::system_get_cpu_freq();
            PROGRAM_CPU_MHZ.store(mhz, Relaxed);
            if mhz != 160 {
                sdk::system_update_cpu_freq(160);
            }
        }
    }
}

/// A handshake ended (complete, failed or abandoned): once none runs, the
/// CPU returns to the frequency the program had set, unless the program
/// changed it meanwhile.
pub fn fast_cpu_end() {
    use core::sync::atomic::Ordering::Relaxed;
    let before = FAST_CPU_USERS.load(Relaxed);
    if before == 0 {
        return;
    }
    FAST_CPU_USERS.store(before - 1, Relaxed);
    if before == 1 {
        let mhz = PROGRAM_CPU_MHZ.load(Relaxed);
        // SAFETY: plain SDK query and setter of the CPU clock.
        unsafe {
            if mhz != 160 && sdk::system_get_cpu_freq() == 160 {
                sdk::system_update_cpu_freq(mhz);
            }
        }
    }
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

/// Where an engine step runs ([`run_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStack {
    /// The caller's stack (on the chip the NONOS system stack): steps that
    /// only move bytes or encrypt one record (receive, write, read, close).
    Caller,
    /// [`HANDSHAKE_STACK`] bytes from the heap: building the engine and
    /// processing input until the handshake is complete.
    Handshake,
    /// [`TRAFFIC_STACK`] bytes from the heap: processing input once the
    /// handshake is complete (records, alerts, post-handshake messages).
    Traffic,
    /// [`VERIFIED_STACK`] bytes from the heap: a client's handshake steps
    /// once the server's chain is verified (`tls::Session::chain_verified`).
    Verified,
}

/// Stack of the handshake's steps on the chip (14.5 KB): their static bound
/// (13.6 KB, `make esp8266-stack`, checked by `make test`, with webpki's
/// path building charged for two intermediate CAs in a row, the most the
/// verifier lets it follow: `tls::verifier::MAX_PATH_CAS`, and the chain
/// verified where the Certificate message arrives, vendor/rustls 0012;
/// painted 11.3 KB for an ECDSA chain with one) plus about 0.9 KB of room
/// for an interrupt frame. More than a NONOS callback may use, hence its
/// own block.
pub const HANDSHAKE_STACK: usize = 29 * 512;

/// Stack of the steps after the handshake on the chip. Once the handshake is
/// complete rustls is in its `ExpectTraffic` state for good (no
/// renegotiation; TLS 1.3 KeyUpdate and tickets derive keys by HKDF alone),
/// so no certificate, signature or key-exchange code can run any more: the
/// static bound of that state (`make esp8266-stack`, step `traffic`, 5.1 KB,
/// 5 184 bytes, with key exchange out of the traffic view) plus about 0.9 KB
/// (896 bytes) of room for an interrupt frame, as [`HANDSHAKE_STACK`] keeps
/// (6 KB; checked by `make test`; painted 2.8 KB). It is what every received
/// record costs the heap while it is processed, so it is kept as small as
/// the analysis allows.
pub const TRAFFIC_STACK: usize = 12 * 512;

/// Stack of a client's handshake steps on the chip once the server's chain
/// is verified (vendor/rustls PATCHES.md, "A smaller stack once the chain
/// is verified"): rustls verifies a chain once per connection, so webpki's
/// path building, the deepest path of the handshake, can no longer run;
/// what is left is the handshake's signatures (the ServerKeyExchange's or
/// CertificateVerify's verification, our own signature), the key exchange
/// and the Finished messages. Its static bound (`make esp8266-stack`, step
/// `verified`: 9 520 bytes, a P-384 key exchange; a P-384 client key's
/// signature is shallower since its nonce is ours, `ecdsa_nonce`) plus
/// about 1.1 KB of room for an interrupt frame (10.5 KB); checked by `make
/// test`; painted 6.3-7.3 KB. A client-authenticated handshake signs on it,
/// with the most heap in use.
pub const VERIFIED_STACK: usize = 21 * 512;

/// Heap the handshake's steps take for their stack: [`HANDSHAKE_STACK`] on
/// the chip, nothing on the host (the steps run on the caller's stack).
pub const STEP_STACK_ON_HEAP: usize = if cfg!(target_os = "none") {
    HANDSHAKE_STACK
} else {
    0
};

/// Bytes a suspendable step ([`slice`]) keeps at the top of its stack block:
/// its closure and result pointer, and the C guard's frame (registers of
/// whoever runs it, the suspended step's stack pointer). The stack analysis
/// takes them off [`HANDSHAKE_STACK`] for the handshake's steps.
pub const SLICE_FRAME: usize = 64;

/// Byte the engine stack is painted with, to find its high-water mark.
#[cfg(target_os = "none")]
const STACK_PAINT: u8 = 0xA5;

/// Untouched bytes an engine stack must keep at its end after a step; less
/// means it overflowed (or nearly did) and the chip restarts.
pub const STACK_GUARD: usize = 64;

/// Deepest use of the handshake, traffic and verified stacks since the
/// last take.
static STACK_HIGH_WATER: [core::sync::atomic::AtomicUsize; 3] = [
    core::sync::atomic::AtomicUsize::new(0),
    core::sync::atomic::AtomicUsize::new(0),
    core::sync::atomic::AtomicUsize::new(0),
];

/// Deepest use of `stack` since the last call (0 for [`StepStack::Caller`],
/// and on the host, where every step runs on the caller's stack); for the
/// chip's figures.
pub fn take_stack_high_water(stack: StepStack) -> usize {
    let i = match stack {
        StepStack::Caller => return 0,
        StepStack::Handshake => 0,
        StepStack::Traffic => 1,
        StepStack::Verified => 2,
    };
    STACK_HIGH_WATER[i].swap(0, core::sync::atomic::Ordering::Relaxed)
}

/// A mark in the simulator's heap trace (`SIM_HEAP_TRACE=1`, read by
/// scripts/heap-steps.py): `what` happens now, with figure `n` (a step's
/// pre-check, an operation's declared need). Nothing on the chip.
pub fn trace_mark(what: &core::ffi::CStr, n: usize) {
    #[cfg(not(target_os = "none"))]
    // SAFETY: a NUL-terminated string, read during the call.
    unsafe {
        sdk::sim_heap_mark(what.as_ptr(), n as u32)
    };
    #[cfg(target_os = "none")]
    let _ = (what, n);
}

/// Why an engine step did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// The step never started: the heap could not give its stack.
    NoStack(alloc::OutOfMemory),
    /// An allocation of `requested` bytes failed inside the step, which was
    /// abandoned half-way.
    OutOfMemory { requested: usize },
    /// The step was abandoned before a public-key operation that needs
    /// `needed` bytes of the SDK heap, which had `free` (`refuse_step`).
    Refused { needed: usize, free: u32 },
    /// The engine panicked (a bug); the step was abandoned half-way.
    Panic,
}

impl StepError {
    /// Whether the step ran part-way: everything it touched is inconsistent
    /// and must be released without being used or dropped.
    pub fn abandoned(self) -> bool {
        !matches!(self, StepError::NoStack(_))
    }
}

/// Requested size of the allocation that failed in the running step (0: none).
static FAILED_ALLOC: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// A refused public-key operation in the running step: what it needed from
/// the SDK heap (0: none) and what was free.
static REFUSED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
static REFUSED_FREE: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// A step begins: nothing failed in it yet.
fn clear_step_notes() {
    FAILED_ALLOC.store(0, core::sync::atomic::Ordering::Relaxed);
    REFUSED.store(0, core::sync::atomic::Ordering::Relaxed);
}

/// Abandon the running engine step because the operation about to start
/// needs `needed` bytes of the SDK heap and `free` are left: the step then
/// ends in [`StepError::Refused`] (a clean -0x7F00 that says both figures)
/// rather than in an allocation failing half-way through the operation.
/// Returns only when no step is running.
pub(crate) fn refuse_step(needed: usize, free: u32) {
    REFUSED.store(needed.max(1), core::sync::atomic::Ordering::Relaxed);
    REFUSED_FREE.store(free, core::sync::atomic::Ordering::Relaxed);
    escape_step();
    REFUSED.store(0, core::sync::atomic::Ordering::Relaxed);
}

/// Record an allocation that returned null (it may be a fallible one the
/// engine handles itself; it only matters if a panic follows).
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn note_failed_alloc(size: usize) {
    FAILED_ALLOC.store(size.max(1), core::sync::atomic::Ordering::Relaxed);
}

/// Called by the panic handler: abandon the running engine step, if any
/// (then this does not return). Returns when no step is running.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn escape_step() {
    // SAFETY: returns at once when no guarded call is running; otherwise it
    // resumes the innermost espconn_secure_stack_call, whose caller
    // (`run_step`) treats everything the step touched as dead.
    unsafe { sdk::espconn_secure_stack_escape() }
}

/// Run `f`, an engine step, under the step guard. The engine allocates
/// infallibly, so an allocation that fails inside it ends in the panic
/// handler; there, instead of restarting the chip, the guard abandons the
/// step: `f`'s frames are dropped without running their destructors and this
/// returns `Err(StepError::OutOfMemory)` (or `Panic` for a bug). The caller
/// must then never touch what `f` was working on again, only release its
/// memory whole (`Arena::release_all`). The arena pointer and the watchdog,
/// which `f` may have left changed, are restored here.
///
/// On the chip, unless `stack` is [`StepStack::Caller`], `f` runs on a
/// dedicated stack of [`HANDSHAKE_STACK`] or [`TRAFFIC_STACK`] bytes taken
/// from the SDK heap for the duration of the call, so the NONOS system stack
/// only carries the caller's frames (fails without running `f` when the heap
/// cannot give it). On the host `f` runs on the caller's stack.
pub fn run_step<R>(stack: StepStack, f: impl FnOnce() -> R) -> Result<R, StepError> {
    unsafe extern "C" fn trampoline<F: FnOnce()>(arg: *mut core::ffi::c_void) {
        // SAFETY: `arg` is the `Option<F>` on run_step's frame, alive until
        // espconn_secure_stack_call returns.
        let slot = unsafe { &mut *arg.cast::<Option<F>>() };
        if let Some(f) = slot.take() {
            f();
        }
    }

    fn guarded<F: FnOnce()>(top: *mut u8, f: F) -> bool {
        let mut slot = Some(f);
        // SAFETY: `top` is null or the end of a live, 16-byte aligned block;
        // the trampoline only touches `slot`, which outlives the call. After
        // an escape (return 1) `slot`'s closure is half-run: it is leaked
        // here (Option<F> has been taken; nothing of it is dropped twice).
        let rc = unsafe {
            sdk::espconn_secure_stack_call(
                trampoline::<F>,
                (&mut slot as *mut Option<F>).cast(),
                top,
            )
        };
        rc == 0
    }

    let arena = alloc::current_ptr();
    clear_step_notes();
    let mut result = None;
    let completed;
    #[cfg(not(target_os = "none"))]
    {
        let _ = stack;
        completed = guarded(core::ptr::null_mut(), || result = Some(f()));
    }
    #[cfg(target_os = "none")]
    {
        if stack == StepStack::Caller {
            completed = guarded(core::ptr::null_mut(), || result = Some(f()));
        } else {
            let base = take_stack_block(stack)?;
            let top = base.wrapping_add(stack_size(stack));
            completed = guarded(top, || result = Some(f()));
            // SAFETY: taken above; the call has returned.
            unsafe { give_back_stack_block(stack, base) };
        }
    }
    if completed {
        if let Some(r) = result {
            return Ok(r);
        }
    }
    // Abandoned: put back what the step's skipped frames would have.
    alloc::set_current_ptr(arena);
    Err(abandoned_step())
}

/// After a step was abandoned (its frames skipped): the watchdog it left
/// stopped runs again, and the error says why.
fn abandoned_step() -> StepError {
    // SAFETY: plain SDK calls without arguments; restarting a running
    // watchdog is harmless.
    unsafe {
        sdk::system_soft_wdt_restart();
        sdk::system_soft_wdt_feed();
    }
    let refused = REFUSED.swap(0, core::sync::atomic::Ordering::Relaxed);
    let failed = FAILED_ALLOC.swap(0, core::sync::atomic::Ordering::Relaxed);
    match (refused, failed) {
        (0, 0) => StepError::Panic,
        (0, requested) => StepError::OutOfMemory { requested },
        (needed, _) => StepError::Refused {
            needed,
            free: REFUSED_FREE.load(core::sync::atomic::Ordering::Relaxed),
        },
    }
}

/// Bytes of `stack`'s block on the chip (0 for the caller's stack).
#[cfg(target_os = "none")]
fn stack_size(stack: StepStack) -> usize {
    match stack {
        StepStack::Caller => 0,
        StepStack::Handshake => HANDSHAKE_STACK,
        StepStack::Traffic => TRAFFIC_STACK,
        StepStack::Verified => VERIFIED_STACK,
    }
}

/// A block of [`stack_size`] bytes (16-byte aligned) from the SDK heap,
/// painted with [`STACK_PAINT`], for a step to run on.
#[cfg(target_os = "none")]
fn take_stack_block(stack: StepStack) -> Result<*mut u8, StepError> {
    let size = stack_size(stack);
    let oom = StepError::NoStack(alloc::OutOfMemory {
        requested: size,
        free: free_heap(),
    });
    let Ok(layout) = core::alloc::Layout::from_size_align(size, 16) else {
        return Err(oom);
    };
    let base = alloc::sdk_alloc(layout);
    if base.is_null() {
        return Err(oom);
    }
    // SAFETY: `base` is a fresh block of `size` bytes.
    unsafe { core::ptr::write_bytes(base, STACK_PAINT, size) };
    Ok(base)
}

/// The step that ran on `base` (from [`take_stack_block`] for `stack`) is
/// over or abandoned: books its depth, restarts the chip if it reached the
/// guard bytes, and frees the block.
///
/// # Safety
/// `base` must come from `take_stack_block(stack)`, and nothing may run on
/// it any more.
#[cfg(target_os = "none")]
unsafe fn give_back_stack_block(stack: StepStack, base: *mut u8) {
    let size = stack_size(stack);
    // SAFETY: caller's contract: a live block of `size` bytes.
    note_stack_use(stack, unsafe { core::slice::from_raw_parts(base, size) });
    // SAFETY: caller's contract; allocated with this layout.
    unsafe {
        alloc::sdk_free(
            base,
            core::alloc::Layout::from_size_align_unchecked(size, 16),
        )
    };
}

/// A step on `block` (painted with [`STACK_PAINT`]) is over: books its depth
/// and restarts the chip if it reached the guard bytes.
#[cfg(target_os = "none")]
fn note_stack_use(stack: StepStack, block: &[u8]) {
    let high_water = match stack {
        StepStack::Caller => return,
        StepStack::Handshake => &STACK_HIGH_WATER[0],
        StepStack::Traffic => &STACK_HIGH_WATER[1],
        StepStack::Verified => &STACK_HIGH_WATER[2],
    };
    let size = block.len();
    // Word by word: a step leaves most of its block untouched, and a byte
    // scan of the handshake's 14.5 KB cost ~70 K instructions per step on
    // the LX106, a quarter of a resumed handshake (`make bench-chip`:
    // lx106_resume_ec 1.31 M before, 0.97 M since).
    // SAFETY: any bytes are valid u32s; `align_to` only reinterprets.
    let (head, words, _) = unsafe { block.align_to::<u32>() };
    let word = u32::from_ne_bytes([STACK_PAINT; 4]);
    // Blocks are 16-byte aligned (`take_stack_block`); a misaligned one
    // would be scanned byte by byte from its start.
    let w = if head.is_empty() {
        words.iter().take_while(|&&x| x == word).count()
    } else {
        0
    };
    let untouched = 4 * w
        + block[4 * w..]
            .iter()
            .take_while(|&&b| b == STACK_PAINT)
            .count();
    high_water.fetch_max(size - untouched, core::sync::atomic::Ordering::Relaxed);
    if untouched < STACK_GUARD {
        // The step came within a few bytes of the block's end, or past it
        // into whatever lies below on the heap: nothing can be trusted any
        // more. (Not seen: the deepest steps measured leave ~1.8 KB of
        // either stack, docs/STACK.md.) Without `core::fmt`, like the panic
        // handler: on the chip this runs on the NONOS system stack.
        log_number(
            "espconn_secure: fatal: engine stack overflow (",
            size,
            " bytes)",
        );
        restart();
    }
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

/// Writes `buf` (`buf.len() * 4` bytes) to flash at `addr` (4-byte
/// aligned), which must have been erased: NOR programming only clears bits.
/// False if the SDK refuses the write.
pub fn flash_write(addr: u32, buf: &[u32]) -> bool {
    let Ok(len) = u32::try_from(buf.len() * 4) else {
        return false;
    };
    // SAFETY: `buf` is valid for reads of `len` bytes and 4-byte aligned;
    // the SDK only reads through the pointer despite its `uint32 *` type.
    unsafe { sdk::spi_flash_write(addr, buf.as_ptr().cast_mut(), len) == 0 }
}

/// Erases flash sector `sector` (4 KB at `sector * 4096`) to 0xFF. False if
/// the SDK refuses.
pub fn flash_erase_sector(sector: u16) -> bool {
    // SAFETY: plain SDK call on a sector number.
    unsafe { sdk::spi_flash_erase_sector(sector) == 0 }
}

/// The user partition the chip booted from (`system_upgrade_userbin_check`:
/// 0 = user1, 1 = user2).
pub fn running_userbin() -> u8 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_upgrade_userbin_check() }
}

/// The SDK's upgrade flag (`system_upgrade_flag_set`: 0 idle, 1 started,
/// 2 finished; `system_upgrade_reboot` switches partitions only on 2).
pub fn set_upgrade_flag(flag: u8) {
    // SAFETY: plain SDK call on a value.
    unsafe { sdk::system_upgrade_flag_set(flag) }
}

/// The SDK's upgrade flag (`system_upgrade_flag_check`), for the tests.
#[cfg(test)]
pub fn upgrade_flag() -> u8 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_upgrade_flag_check() }
}

/// The flash map the firmware was built for (`system_get_flash_size_map`,
/// `enum flash_size_map` in user_interface.h).
pub fn flash_size_map() -> i32 {
    // SAFETY: plain SDK query without arguments.
    unsafe { sdk::system_get_flash_size_map() }
}

/// Feeds the software watchdog (long loops outside an engine step).
pub fn feed_watchdog() {
    // SAFETY: plain SDK call without arguments.
    unsafe { sdk::system_soft_wdt_feed() }
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
    let mut line = LineBuf::new();
    let _ = line.write_fmt(args);
    line.emit();
}

/// The panic handler's line: `espconn_secure: panic: <message> at
/// <file>:<line>`, written without `core::fmt`. Formatting arguments go
/// through function pointers that a static stack bound must take to be any
/// `Display` impl in the program (1.7 KB deeper than this, docs/STACK.md),
/// and the panic path lies under every step; so a message with arguments
/// (an index, a length) is not printed. (The chip build also drops source
/// locations, `-Zlocation-detail=none`: the file is `<redacted>`.)
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn log_panic(message: Option<&str>, location: Option<(&str, u32)>) {
    let mut line = LineBuf::new();
    let _ = line.write_str("espconn_secure: panic: ");
    let _ = line.write_str(message.unwrap_or("(message with arguments, not printed)"));
    if let Some((file, number)) = location {
        let _ = line.write_str(" at ");
        let _ = line.write_str(file);
        let _ = line.write_str(":");
        line.push_decimal(number as usize);
    }
    line.emit();
}

/// `<before><n><after>` as one line, without `core::fmt` (as above): for
/// messages on paths whose stack is bounded statically.
pub(crate) fn log_number(before: &str, n: usize, after: &str) {
    let mut line = LineBuf::new();
    let _ = line.write_str(before);
    line.push_decimal(n);
    let _ = line.write_str(after);
    line.emit();
}

/// A fixed line, without `core::fmt` (for the panic path, as above).
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) fn log_plain(text: &str) {
    let mut line = LineBuf::new();
    let _ = line.write_str(text);
    line.emit();
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

impl LineBuf {
    fn new() -> Self {
        LineBuf {
            buf: [0; 240],
            len: 0,
        }
    }

    fn push_decimal(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // ASCII digits only.
        let _ = self.write_str(core::str::from_utf8(&digits[at..]).unwrap_or("?"));
    }

    fn emit(&mut self) {
        let n = self.len;
        self.buf[n] = b'\n';
        self.buf[n + 1] = 0;
        // SAFETY: the format is a NUL-terminated literal taking one C string,
        // and `buf` is NUL-terminated within its bounds (`write_str` keeps
        // two bytes free).
        unsafe {
            sdk::os_printf_plus(c"%s".as_ptr(), self.buf.as_ptr());
        }
    }
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
