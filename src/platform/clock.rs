//! The clock `espconn_secure_set_time` sets, for networks where SNTP is
//! blocked: Unix time at the moment it was set, kept running with
//! `system_get_time` (microseconds since boot, a `u32` that wraps every
//! ~71.6 minutes). Every read adds the microseconds since the previous read,
//! so a wrap between two reads costs nothing; a periodic SDK timer
//! ([`TICK_MS`]) reads it too, so that two reads are never a whole wrap
//! apart even when no connection is made for hours.

use spin::Mutex;

/// Period of the timer that keeps the clock's reads less than a wrap apart
/// (10 minutes; `system_get_time` wraps after 71.6).
pub const TICK_MS: u32 = 10 * 60 * 1000;

/// The set clock: Unix time in microseconds at the last read, and
/// `system_get_time` at that read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetClock {
    unix_us: u64,
    last_micros: u32,
}

impl SetClock {
    /// The clock set to `unix_seconds` when `system_get_time` read `micros`.
    pub const fn new(unix_seconds: u32, micros: u32) -> SetClock {
        SetClock {
            unix_us: unix_seconds as u64 * 1_000_000,
            last_micros: micros,
        }
    }

    /// Advance to the `system_get_time` reading `micros` (taken less than a
    /// wrap after the previous one) and return Unix seconds.
    pub fn advance(&mut self, micros: u32) -> u64 {
        self.unix_us += u64::from(micros.wrapping_sub(self.last_micros));
        self.last_micros = micros;
        self.unix_us / 1_000_000
    }
}

static CLOCK: Mutex<Option<SetClock>> = Mutex::new(None);

/// Set the clock to `unix_seconds` now.
pub fn set(unix_seconds: u32) {
    *CLOCK.lock() = Some(SetClock::new(unix_seconds, super::micros()));
}

/// Unix seconds by the set clock, or `None` if it was never set. (No
/// allocation under the lock: this runs inside engine steps.)
pub fn now() -> Option<u64> {
    let micros = super::micros();
    CLOCK.lock().as_mut().map(|c| c.advance(micros))
}

#[cfg(test)]
mod tests {
    use super::SetClock;

    #[test]
    fn the_set_clock_runs_on_across_the_wrap_of_system_get_time() {
        // Set 3 s before system_get_time wraps; read 2 s after the wrap.
        let mut c = SetClock::new(1_800_000_000, u32::MAX - 3_000_000);
        assert_eq!(c.advance(u32::MAX - 1_000_000), 1_800_000_002);
        assert_eq!(c.advance(1_999_999), 1_800_000_005);
        // Reads every 10 minutes keep it exact over several wraps.
        let mut m = 1_999_999u32;
        for _ in 0..30 {
            m = m.wrapping_add(600_000_000);
            c.advance(m);
        }
        assert_eq!(c.advance(m), 1_800_000_005 + 30 * 600);
    }
}
