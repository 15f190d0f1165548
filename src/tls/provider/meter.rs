//! Instructions per kind of operation, for the chip firmware's split of the
//! handshake (`bench case=lx106_handshake_ec_split`, tests/chip).
//!
//! Only with the `bench-split` feature, which only tests/chip/firmware turns
//! on: there [`span`] reads CCOUNT around the operation and books the time to
//! its kind, less the time of spans nested in it (a signature verification's
//! hashing counts as hashing). A span costs some 30 instructions (two CCOUNT
//! reads and the booking), about a hundred of them per handshake (one per
//! SHA-256 block): ~0.002% of the figure. Without the feature [`span`] is the
//! call itself: the shipped library pays nothing.

/// The kinds of operation the split shows.
#[derive(Clone, Copy)]
pub enum Op {
    /// Signature verifications (certificates and the handshake signature).
    Verify = 0,
    /// Key exchange: key generation and the shared secret.
    Kx = 1,
    /// SHA-256 blocks (transcript, HMAC/PRF/HKDF, messages of signatures).
    Hash = 2,
    /// Record protection (AEAD seal and open).
    Aead = 3,
}

/// Runs `f`, booked to `op` when the meter is on.
#[cfg(not(feature = "bench-split"))]
#[inline(always)]
pub fn span<R>(_op: Op, f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(feature = "bench-split")]
pub use imp::*;

#[cfg(feature = "bench-split")]
mod imp {
    use super::Op;
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

    static ON: AtomicBool = AtomicBool::new(false);
    /// CCOUNT ticks per kind, exclusive of nested spans.
    static TICKS: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];
    /// Ticks of the spans nested in the one running.
    static NESTED: AtomicU32 = AtomicU32::new(0);

    /// Runs `f`, booked to `op` when the meter is on.
    pub fn span<R>(op: Op, f: impl FnOnce() -> R) -> R {
        if !ON.load(Relaxed) {
            return f();
        }
        let outer = NESTED.load(Relaxed);
        NESTED.store(0, Relaxed);
        let t0 = crate::platform::bench_ccount();
        let r = f();
        let dt = crate::platform::bench_ccount().wrapping_sub(t0);
        let t = &TICKS[op as usize];
        t.store(
            t.load(Relaxed)
                .wrapping_add(dt)
                .wrapping_sub(NESTED.load(Relaxed)),
            Relaxed,
        );
        NESTED.store(outer.wrapping_add(dt), Relaxed);
        r
    }

    /// Turns booking on or off (on only around the calls being measured).
    pub fn set_on(on: bool) {
        ON.store(on, Relaxed);
    }

    /// CCOUNT ticks booked per kind ([`Op`] order) since the last call.
    pub fn take() -> [u32; 4] {
        core::array::from_fn(|i| {
            let v = TICKS[i].load(Relaxed);
            TICKS[i].store(0, Relaxed);
            v
        })
    }
}
