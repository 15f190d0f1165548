//! Test builds only: a global allocator that forwards to std's and counts,
//! per thread (so parallel tests do not disturb each other), the peak heap
//! growth while a closure runs. Lives here because it needs `unsafe`.

use core::cell::Cell;
use std::alloc::{GlobalAlloc, Layout, System};

std::thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static CUR: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = ON.try_with(|on| {
        if on.get() {
            let _ = CUR.try_with(|c| {
                let v = c.get() + delta;
                c.set(v);
                let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
            });
        }
    });
}

struct Counting;

// SAFETY: forwards every call to `System` unchanged; the bookkeeping only
// touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            track(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) };
        track(-(l.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            track(new as isize - l.size() as isize);
        }
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Runs `f` and returns its result with the peak heap growth during it.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ON.with(|o| o.set(true));
    CUR.with(|c| c.set(0));
    PEAK.with(|p| p.set(0));
    let r = f();
    ON.with(|o| o.set(false));
    (r, PEAK.with(|p| p.get()).max(0) as usize)
}
