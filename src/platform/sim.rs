//! Hooks of the host simulator (`c-shim/host/sim.h`) that the fuzzing
//! harness needs: a replayable random stream, the heap's in-use figure and a
//! quiet log. Host only, behind the non-default `fuzzing` feature.

use core::ffi::c_char;

extern "C" {
    fn sim_random_set_state(state: u64);
    fn sim_random_state() -> u64;
    fn sim_random_system();
    fn sim_heap_stats(in_use: *mut u32, peak: *mut u32, allocs: *mut u32);
    fn ets_install_putc1(p: Option<unsafe extern "C" fn(c: c_char)>);
}

/// Makes `os_get_random` deterministic from `state` on.
pub fn random_set_state(state: u64) {
    // SAFETY: plain setter of the simulator's generator state.
    unsafe { sim_random_set_state(state) }
}

/// The deterministic generator's current state (to resume the stream later).
pub fn random_state() -> u64 {
    // SAFETY: plain getter.
    unsafe { sim_random_state() }
}

/// `os_get_random` reads the system's random source again.
pub fn random_system() {
    // SAFETY: plain setter.
    unsafe { sim_random_system() }
}

/// Bytes of the simulated SDK heap in use.
pub fn heap_in_use() -> u32 {
    let (mut in_use, mut peak, mut allocs) = (0u32, 0u32, 0u32);
    // SAFETY: the three pointers are valid for one u32 write each.
    unsafe { sim_heap_stats(&mut in_use, &mut peak, &mut allocs) };
    in_use
}

unsafe extern "C" fn drop_char(_c: c_char) {}

/// Discards the library's log lines (they would dominate a fuzzing run).
pub fn quiet_log() {
    // SAFETY: `drop_char` is a valid `void (*)(char)` for the whole program.
    unsafe { ets_install_putc1(Some(drop_char)) }
}
