//! Engine steps that may be suspended half-way ("short steps").
//!
//! A TLS handshake step can run several public-key operations (TLS 1.2's
//! ServerHelloDone: the chain's signatures, the key exchange's, the ECDH;
//! TLS 1.3's Certificate and CertificateVerify), each tens of millions of
//! instructions on the LX106. Run in one SDK callback that keeps WiFi, the
//! SDK's timers and the watchdog waiting for over a second. So a step
//! started with [`start_step`] runs on a stack of its own (the handshake
//! stack, as [`super::run_step`]'s) and the provider calls
//! [`public_key_op`] before each public-key operation: the second one in
//! the same SDK callback suspends the step instead (its frames stay on its
//! stack, which the returned [`Suspended`] owns) and the caller returns to
//! the SDK; a later callback resumes it with [`resume_step`] and the
//! operation runs there. So no SDK callback runs more than one public-key
//! operation. ffi marks where an SDK callback begins ([`callback_begins`]).
//!
//! Dropping a [`Suspended`] abandons the step as an escape does: its frames
//! are never run again nor dropped, and the caller releases what the step was
//! working on whole (`alloc::Confined` releases the arena).

use core::any::TypeId;
use core::ffi::c_void;

use super::{alloc, clear_step_notes, sdk, StepError, StepStack};

/// The C guard's frame below the cell on the chip (c-shim/esp8266/chip_rt.c).
const GUARD_FRAME: usize = 48;

/// What one slice of a suspendable step came to.
pub enum Slice<R> {
    /// The step returned (or was abandoned: `Err`, as [`super::run_step`]).
    Done(Result<R, StepError>),
    /// The step yielded before a public-key operation; resume it from a
    /// later SDK callback.
    Suspended(Suspended),
}

/// A step suspended at a yield, with the stack its frames are on. Dropping
/// it abandons the step (see the module doc).
pub struct Suspended {
    /// Where the step's frame and registers are (the C guard's `top`).
    top: *mut u8,
    /// The stack block.
    base: *mut u8,
    stack: StepStack,
    /// Where the step writes its result when it returns (the cell's `out`:
    /// a pointer to an `Option<R>` on the frame of whoever runs it then).
    out: *mut *mut u8,
    result_type: TypeId,
    /// Counted in [`steps_suspended`] (from its yield to its resume or drop).
    counted: bool,
}

impl core::fmt::Debug for Suspended {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Suspended")
    }
}

/// Stack of a suspendable step on the host: process memory, not the
/// simulated SDK heap (whose figures are the chip's heap less the engine
/// stacks, as for every step on the host); generous for debug builds.
#[cfg(not(target_os = "none"))]
const HOST_STACK: usize = 4 << 20;

/// The block's size for `stack` (never the caller's: see [`start_step`]).
fn block_size(stack: StepStack) -> usize {
    #[cfg(not(target_os = "none"))]
    {
        let _ = stack;
        HOST_STACK
    }
    #[cfg(target_os = "none")]
    super::stack_size(stack)
}

/// A stack block for a step of `stack`'s kind (chip: as `run_step`'s).
fn alloc_block(stack: StepStack) -> Result<*mut u8, StepError> {
    #[cfg(not(target_os = "none"))]
    {
        // SAFETY: returns a fresh mapping of `size` bytes or null.
        let base: *mut u8 =
            unsafe { sdk::espconn_secure_host_stack_alloc(block_size(stack)).cast() };
        if base.is_null() {
            return Err(StepError::NoStack(alloc::OutOfMemory {
                requested: block_size(stack),
                free: super::free_heap(),
            }));
        }
        Ok(base)
    }
    #[cfg(target_os = "none")]
    super::take_stack_block(stack)
}

/// Measures and frees a step's block (the step is over or abandoned).
fn free_block(stack: StepStack, base: *mut u8) {
    #[cfg(not(target_os = "none"))]
    {
        // SAFETY: `base` came from espconn_secure_host_stack_alloc with this
        // size; no frame on it runs any more.
        unsafe { sdk::espconn_secure_host_stack_free(base.cast(), block_size(stack)) };
    }
    #[cfg(target_os = "none")]
    {
        // SAFETY: `base` came from take_stack_block(stack); no frame on it
        // runs any more.
        unsafe { super::give_back_stack_block(stack, base) };
    }
}

/// Starts `f` as a step that may be suspended, on its own stack of the
/// `stack` kind (`Caller` is taken as `Handshake`: a suspendable step needs
/// a stack of its own). Like [`super::run_step`] otherwise: an allocation
/// failure or a panic inside abandons it.
///
/// # Safety
/// What `f` borrows must stay valid and unaliased until the step is over:
/// its `Done` here or from [`resume_step`], or the drop of the
/// [`Suspended`] (after which nothing of `f` runs).
pub unsafe fn start_step<R: 'static, F: FnOnce() -> R>(stack: StepStack, f: F) -> Slice<R> {
    /// Where the closure is (taken as the step begins, before it can
    /// yield) and where its result goes, at the top of the step's block:
    /// two pointers, since they come off the step's stack ([`SLICE_FRAME`]).
    struct Cell<F, R> {
        f: *mut Option<F>,
        out: *mut Option<R>,
    }

    unsafe extern "C" fn trampoline<F: FnOnce() -> R, R>(arg: *mut c_void) {
        let cell = arg.cast::<Cell<F, R>>();
        // SAFETY: `arg` is the cell written below, alive until the block is
        // freed, which happens only after this returned or was abandoned.
        // No reference to it is held across `f`, which may be suspended.
        // Its `f` points to start_step's frame, live now: nothing yields
        // before this line.
        let f = unsafe { (*(*cell).f).take() };
        if let Some(f) = f {
            let r = f();
            // SAFETY: as above; `out` was set by the start or the resume
            // running the step now, to a live `Option<R>` on its frame.
            unsafe { *(*cell).out = Some(r) };
        }
    }
    const {
        // The chip's (the host's steps have megabytes).
        assert!(
            !cfg!(target_os = "none")
                || size_of::<Cell<F, R>>().next_multiple_of(16) + GUARD_FRAME <= super::SLICE_FRAME,
            "the cell must fit SLICE_FRAME"
        )
    };

    let stack = match stack {
        StepStack::Caller => StepStack::Handshake,
        s => s,
    };
    let base = match alloc_block(stack) {
        Ok(base) => base,
        Err(e) => return Slice::Done(Err(e)),
    };
    // The cell at the top of the block, 16-byte aligned (as the stack
    // pointer must be); the C guard's frame and the stack go below it.
    let end = base as usize + block_size(stack);
    let at = (end - size_of::<Cell<F, R>>()) & !15;
    let cell = at as *mut Cell<F, R>;
    let mut out: Option<R> = None;
    let mut f = Some(f);
    // SAFETY: `cell` lies inside the fresh block, aligned for the cell.
    unsafe {
        cell.write(Cell {
            f: &mut f,
            out: &mut out,
        })
    };
    let suspended = Suspended {
        top: at as *mut u8,
        base,
        stack,
        // SAFETY: field of the cell just written.
        out: unsafe { core::ptr::addr_of_mut!((*cell).out) }.cast(),
        result_type: TypeId::of::<R>(),
        counted: false,
    };
    let arena = alloc::current_ptr();
    clear_step_notes();
    // SAFETY: `top` is the 16-byte aligned end of the block's stack part,
    // `base` its start; the trampoline touches only the cell and `out`,
    // which outlives the call (a later resume points `out` at its own).
    let rc = unsafe {
        sdk::espconn_secure_stack_start(trampoline::<F, R>, cell.cast(), suspended.top, base)
    };
    slice_result(rc, arena, suspended, out)
}

/// Carries on with a suspended step from where it yielded.
///
/// # Panics
/// If `R` is not the type the step was started with.
pub fn resume_step<R: 'static>(mut s: Suspended) -> Slice<R> {
    assert!(
        s.result_type == TypeId::of::<R>(),
        "resumed with another result type"
    );
    s.uncount();
    let mut out: Option<R> = None;
    // SAFETY: the cell of a suspended step, whose `out` has type
    // `*mut Option<R>` (checked above); the step writes it only when it
    // returns, during the resume below.
    unsafe { *s.out.cast::<*mut Option<R>>() = &mut out };
    let arena = alloc::current_ptr();
    clear_step_notes();
    // SAFETY: `s.top` is a step suspended in espconn_secure_stack_yield and
    // never resumed since (a `Suspended` is consumed by its resume).
    let rc = unsafe { sdk::espconn_secure_stack_resume(s.top) };
    slice_result(rc, arena, s, out)
}

fn slice_result<R>(
    rc: core::ffi::c_int,
    arena: *mut alloc::Arena,
    mut s: Suspended,
    out: Option<R>,
) -> Slice<R> {
    // The step's `Arena::enter` is left half-way when it yields or escapes.
    alloc::set_current_ptr(arena);
    match rc {
        2 => {
            s.counted = true;
            // SAFETY: the C runtime's counters (per thread on the host).
            unsafe { (*sdk::espconn_secure_slice_counters())[1] += 1 };
            Slice::Suspended(s)
        }
        0 => {
            drop(s);
            match out {
                Some(r) => Slice::Done(Ok(r)),
                None => Slice::Done(Err(StepError::Panic)),
            }
        }
        _ => {
            drop(s);
            Slice::Done(Err(super::abandoned_step()))
        }
    }
}

impl Suspended {
    /// No longer suspended (being resumed, or gone).
    fn uncount(&mut self) {
        if core::mem::take(&mut self.counted) {
            // SAFETY: the C runtime's counters (per thread on the host).
            unsafe { (*sdk::espconn_secure_slice_counters())[1] -= 1 };
        }
    }
}

impl Drop for Suspended {
    fn drop(&mut self) {
        self.uncount();
        // Done or abandoned: nothing runs on the block any more.
        free_block(self.stack, self.base);
    }
}

/// Steps suspended now (on the host: on this thread). While one is, the
/// others wait with their steps that need a stack block of their own
/// (`conn`): one such block at a time, as before steps could be
/// suspended, so the heap a suspended handshake holds is not taken twice.
pub fn steps_suspended() -> u32 {
    // SAFETY: the C runtime's counters (per thread on the host).
    unsafe { (*sdk::espconn_secure_slice_counters())[1] }
}

#[cfg(test)]
std::thread_local! {
    /// [`own_flight`] for unit tests, whose engines run outside arenas.
    static OWN_FLIGHT: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// Called while a connection's engine is built (inside its arena): its own
/// certificate flight (a client certificate's chain) takes `bytes` in the
/// handshake after a verification or a key exchange (`provider::cost`).
pub fn set_own_flight(bytes: usize) {
    #[cfg(test)]
    OWN_FLIGHT.with(|c| c.set(bytes));
    if let Some(arena) = alloc::current() {
        arena.set_own_flight(bytes);
    }
}

/// What [`set_own_flight`] said for the connection whose step runs.
pub fn own_flight() -> usize {
    #[cfg(test)]
    if alloc::current().is_none() {
        return OWN_FLIGHT.with(|c| c.get());
    }
    alloc::current().map_or(0, |a| a.own_flight())
}

/// An SDK callback begins: the next public-key operation may run in it.
pub fn callback_begins() {
    // SAFETY: the C runtime's counters (per thread on the host).
    unsafe { (*sdk::espconn_secure_slice_counters())[0] = 0 };
}

/// Called by the crypto provider before each public-key operation
/// (signature, verification, key generation, shared secret). The second in
/// one SDK callback suspends a suspendable step here (see the module doc);
/// elsewhere this only counts. While suspended, the watchdog runs.
///
/// `need`: the heap the operation and what the step does after it, up to
/// the next such operation or the step's end, may take (the provider's
/// measured figures, `provider::cost`). Checked here, once the operation
/// is about to run in this SDK callback: when the connection's arena and
/// the SDK heap cannot give that much, the step is abandoned with
/// [`StepError::Refused`](super::StepError) ("needed N bytes, M free"). So
/// the check at a step's start only covers the step up to its first such
/// operation, and each operation is charged what it needs, when it runs.
pub fn public_key_op(need: usize) {
    // SAFETY: the C runtime's counter and guard; a yield returns here when
    // the step is resumed, with the registers it had.
    unsafe {
        let counters = sdk::espconn_secure_slice_counters();
        if (*counters)[0] > 0 && sdk::espconn_secure_stack_may_yield() != 0 {
            let arena = alloc::current_ptr();
            sdk::system_soft_wdt_restart();
            sdk::system_soft_wdt_feed();
            sdk::espconn_secure_stack_yield();
            sdk::system_soft_wdt_stop();
            alloc::set_current_ptr(arena);
            (*sdk::espconn_secure_slice_counters())[0] = 0;
        }
        (*sdk::espconn_secure_slice_counters())[0] += 1;
    }
    #[cfg(test)]
    crate::platform::counting_alloc::checkpoint(need);
    super::trace_mark(c"pk", need);
    if let Some(arena) = alloc::current() {
        if let Err(e) = arena.ensure_free(need) {
            super::refuse_step(e.requested, e.free);
        }
    }
    // The simulator counts the operation where it runs.
    #[cfg(not(target_os = "none"))]
    // SAFETY: a plain counter of the simulator.
    unsafe {
        sdk::sim_public_key_op()
    };
}
