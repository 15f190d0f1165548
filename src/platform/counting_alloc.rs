//! Test builds only: a global allocator that forwards to std's and counts,
//! per thread (so parallel tests do not disturb each other), the peak heap
//! growth while a closure runs. Lives here because it needs `unsafe`.

use core::cell::Cell;
use std::alloc::{GlobalAlloc, Layout, System};

std::thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static CUR: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    /// The running segment ([`checkpoint`]): its budget, the heap growth at
    /// its start, its peak; the worst (budget, need) of the closed ones.
    static SEG: Cell<(isize, isize, isize)> = const { Cell::new((0, 0, 0)) };
    static WORST: Cell<Option<(isize, isize)>> = const { Cell::new(None) };
}

fn track(delta: isize) {
    let _ = ON.try_with(|on| {
        if on.get() {
            let _ = CUR.try_with(|c| {
                let v = c.get() + delta;
                c.set(v);
                let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
                let _ = SEG.try_with(|s| {
                    let (budget, start, peak) = s.get();
                    s.set((budget, start, peak.max(v)));
                });
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

/// Ends the running segment of [`measure_segments`] and starts one with a
/// budget of `budget` bytes (called before each public-key operation,
/// `platform::slice::public_key_op`, with its declared need).
pub fn checkpoint(budget: usize) {
    if !ON.with(|o| o.get()) {
        return;
    }
    close_segment();
    let cur = CUR.with(|c| c.get());
    SEG.with(|s| s.set((budget as isize, cur, cur)));
}

fn close_segment() {
    let (budget, start, peak) = SEG.with(|s| s.get());
    let need = peak - start;
    WORST.with(|w| {
        if w.get().is_none_or(|(b, n)| budget - need < b - n) {
            w.set(Some((budget, need)));
        }
    });
}

/// Runs `f` and returns its result with the peak heap growth during it,
/// and, the run cut into segments at each [`checkpoint`] (the first with a
/// budget of `budget` bytes), the segment whose budget exceeded its own
/// peak heap growth (from its start) the least, as (budget, need); a
/// negative margin is a segment that took more than its budget.
pub fn measure_segments<T>(budget: usize, f: impl FnOnce() -> T) -> ((T, usize), (isize, isize)) {
    ON.with(|o| o.set(true));
    CUR.with(|c| c.set(0));
    PEAK.with(|p| p.set(0));
    SEG.with(|s| s.set((budget as isize, 0, 0)));
    WORST.with(|w| w.set(None));
    let r = f();
    close_segment();
    ON.with(|o| o.set(false));
    let worst = WORST.with(|w| w.get()).unwrap_or((budget as isize, 0));
    ((r, PEAK.with(|p| p.get()).max(0) as usize), worst)
}
