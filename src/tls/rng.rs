//! Randomness for the engine: the SDK's hardware RNG (`os_get_random`, via
//! `platform::fill_random`) behind rustls's `SecureRandom` and RustCrypto's
//! `RngCore + CryptoRng`.

use rustls::crypto::GetRandomFailed;

/// Fill `buf` with random bytes from the platform RNG.
pub fn fill(buf: &mut [u8]) -> Result<(), GetRandomFailed> {
    if crate::platform::fill_random(buf) {
        Ok(())
    } else {
        Err(GetRandomFailed)
    }
}

/// `rand_core` adapter for RustCrypto key generation and signing.
///
/// `RngCore::fill_bytes` cannot report failure and RustCrypto's keygen calls
/// it, so a failed read fills the buffer with a fixed non-zero pattern (which
/// keeps rejection-sampling loops finite) and sets `failed`. Every user must
/// check [`Rng::failed`] after the operation and discard the result: nothing
/// derived from a failed read may be used.
#[derive(Default)]
pub struct Rng {
    failed: bool,
}

impl Rng {
    pub const fn new() -> Self {
        Rng { failed: false }
    }

    /// True if any read since construction failed.
    pub fn failed(&self) -> bool {
        self.failed
    }
}

impl rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if fill(dest).is_err() {
            self.failed = true;
            dest.fill(0x5A);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        match fill(dest) {
            Ok(()) => Ok(()),
            Err(_) => {
                self.failed = true;
                // Any non-zero code: rand_core 0.6 reserves codes below 2^31
                // for OS errors; the value is only informative.
                Err(rand_core::Error::from(
                    core::num::NonZeroU32::new(rand_core::Error::CUSTOM_START)
                        .unwrap_or(core::num::NonZeroU32::MIN),
                ))
            }
        }
    }
}

impl rand_core::CryptoRng for Rng {}

/// The provider's `SecureRandom`.
#[derive(Debug)]
pub struct PlatformRandom;

impl rustls::crypto::SecureRandom for PlatformRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        fill(buf)
    }
}
