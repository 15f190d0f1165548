//! Server session resumption for `espconn_secure_accept`: a small session-id
//! cache behind rustls's `StoresServerSessions` and a ticket encrypter behind
//! its `ProducesTickets`, both process-wide.
//!
//! Off until the program calls `espconn_secure_set_server_session_cache(n)`;
//! then `n` cache entries (at most [`MAX_CACHE_ENTRIES`], [`ENTRY_BYTES`] each) are
//! taken from the SDK heap outside any connection's arena (the call runs in
//! the program's context, not in an engine step), so sessions outlive the
//! connections that made them, and every later server connection offers:
//!
//! - TLS 1.2 session tickets to clients that ask for them (RFC 5077) and
//!   session ids otherwise (kept in the cache; least recently used entry
//!   replaced);
//! - TLS 1.3: one ticket per connection (stateless, nothing kept).
//!
//! Tickets are the session's state encrypted with AES-128-GCM under a random
//! key held in RAM (static, not heap): 4-byte key name, 12-byte random nonce,
//! ciphertext, 16-byte tag; the key name is the associated data. The key
//! belongs to one period of [`ROTATE_SECS`] of the library's clock (SNTP, or
//! the time set with `espconn_secure_set_time`, or the build time): in the
//! next period a new key is made and the previous one still decrypts, after
//! that it is wiped. A ticket therefore resumes for between one and two
//! periods; an older one (or one from before a reboot) is refused and the
//! client makes a full handshake. Without SNTP or a set clock the key lives
//! until the cache is turned off, the server deleted, or the device restarts.
//!
//! Memory: nothing allocates while the lock is held (engine steps call in
//! here from inside their arena); values are copied in and out of the fixed
//! entries, and every copy of a secret we own is wiped.

use alloc::vec::Vec;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::Aes128Gcm;
use spin::Mutex;
use zeroize::{Zeroize, Zeroizing};

use super::TimeSource;

/// Most entries `espconn_secure_set_server_session_cache` accepts.
pub const MAX_CACHE_ENTRIES: usize = 8;
/// Longest session id kept (TLS 1.2 ids are at most 32 bytes).
pub const KEY_CAP: usize = 32;
/// Largest encoded session kept in an entry: rustls's server session value
/// (version, suite, 48-byte master secret, SNI, ALPN, times) is ~80 bytes
/// plus the SNI name; a session with a client certificate chain does not fit
/// and is resumed by ticket only.
pub const SESSION_CAP: usize = 160;
/// Heap per cache entry (its size on the chip and in the 32-bit simulator).
pub const ENTRY_BYTES: usize = core::mem::size_of::<Entry>();
/// Key period: a ticket key encrypts for one period and decrypts for two.
pub const ROTATE_SECS: u64 = 6 * 60 * 60;

const NAME_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 16;
const TICKET_OVERHEAD: usize = NAME_LEN + NONCE_LEN + TAG_LEN;

struct Entry {
    used: bool,
    key_len: u8,
    len: u8,
    /// Least-recently-used order (higher is newer).
    stamp: u32,
    key: [u8; KEY_CAP],
    value: [u8; SESSION_CAP],
}

impl Entry {
    const EMPTY: Entry = Entry {
        used: false,
        key_len: 0,
        len: 0,
        stamp: 0,
        key: [0; KEY_CAP],
        value: [0; SESSION_CAP],
    };

    fn clear(&mut self) {
        self.value.zeroize();
        self.key.zeroize();
        self.used = false;
        self.key_len = 0;
        self.len = 0;
    }

    fn holds(&self, key: &[u8]) -> bool {
        self.used && &self.key[..usize::from(self.key_len)] == key
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.clear();
    }
}

/// One ticket key and the clock period it was made for.
struct TicketKey {
    period: u64,
    name: [u8; NAME_LEN],
    key: [u8; KEY_LEN],
}

impl Drop for TicketKey {
    fn drop(&mut self) {
        self.key.zeroize();
        self.name.zeroize();
    }
}

struct State {
    entries: Vec<Entry>,
    clock: u32,
    current: Option<TicketKey>,
    previous: Option<TicketKey>,
}

static STATE: Mutex<State> = Mutex::new(State {
    entries: Vec::new(),
    clock: 0,
    current: None,
    previous: None,
});

impl State {
    /// Make the keys match the clock's period `period`: keep the current key,
    /// or move it to `previous` and make a new one when the period after it
    /// began; any other change (the clock jumped ahead by more, or went back)
    /// wipes both. False when a needed key could not be made (RNG failure).
    fn rotate(&mut self, period: u64) -> bool {
        match &self.current {
            Some(c) if c.period == period => return true,
            Some(c) if c.period.checked_add(1) == Some(period) => {
                self.previous = self.current.take();
            }
            _ => {
                self.current = None;
                self.previous = None;
            }
        }
        let mut k = TicketKey {
            period,
            name: [0; NAME_LEN],
            key: [0; KEY_LEN],
        };
        if super::rng::fill(&mut k.key).is_err() || super::rng::fill(&mut k.name).is_err() {
            return false;
        }
        self.current = Some(k);
        true
    }

    fn wipe(&mut self) {
        for e in self.entries.iter_mut() {
            e.clear();
        }
        self.current = None;
        self.previous = None;
    }
}

/// `espconn_secure_set_server_session_cache`: `n` session-id entries and
/// tickets (0 turns resumption off and wipes the cache and the ticket keys).
/// False when `n` exceeds [`MAX_CACHE_ENTRIES`] or the heap cannot hold the entries
/// (the old cache is then kept).
pub fn set_capacity(n: u8) -> bool {
    let Some(fresh) = super::session::fresh_entries(n, MAX_CACHE_ENTRIES, || Entry::EMPTY) else {
        return false;
    };
    let old = {
        let mut s = STATE.lock();
        s.wipe();
        core::mem::replace(&mut s.entries, fresh)
    };
    // Wiped by Entry's Drop, outside the lock.
    drop(old);
    true
}

/// Whether server resumption is on.
pub fn enabled() -> bool {
    !STATE.lock().entries.is_empty()
}

/// Forget every session and ticket key, keeping the capacity
/// (`espconn_secure_delete` of the server: the next server may use another
/// certificate or client CA, under which no old session may resume).
pub fn forget_all() {
    STATE.lock().wipe();
}

/// The session-id cache, as rustls sees it.
#[derive(Clone, Copy)]
pub(crate) struct Cache;

impl core::fmt::Debug for Cache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("server_session::Cache")
    }
}

/// Copy `src` into a fresh vector, or `None` when the heap has no room.
fn fallible_copy(src: &[u8]) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(src.len()).ok()?;
    v.extend_from_slice(src);
    Some(v)
}

impl Cache {
    /// Copy the value under `key` (removing it if `take`) and hand it out.
    fn lookup(key: &[u8], take: bool) -> Option<Vec<u8>> {
        let mut buf = Zeroizing::new([0u8; SESSION_CAP]);
        let len = {
            let mut s = STATE.lock();
            s.clock = s.clock.wrapping_add(1);
            let now = s.clock;
            let e = s.entries.iter_mut().find(|e| e.holds(key))?;
            let len = usize::from(e.len);
            buf[..len].copy_from_slice(&e.value[..len]);
            if take {
                e.clear();
            } else {
                e.stamp = now;
            }
            len
        };
        fallible_copy(&buf[..len])
    }
}

impl rustls::server::StoresServerSessions for Cache {
    fn put(&self, key: Vec<u8>, mut value: Vec<u8>) -> bool {
        let fits = key.len() <= KEY_CAP && value.len() <= SESSION_CAP;
        if fits {
            let mut s = STATE.lock();
            s.clock = s.clock.wrapping_add(1);
            let now = s.clock;
            let slot = match s.entries.iter().position(|e| e.holds(&key)) {
                Some(i) => Some(i),
                None => s
                    .entries
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, e)| (e.used, e.stamp))
                    .map(|(i, _)| i),
            };
            if let Some(i) = slot {
                let e = &mut s.entries[i];
                e.clear();
                e.used = true;
                e.stamp = now;
                e.key_len = key.len() as u8;
                e.key[..key.len()].copy_from_slice(&key);
                e.len = value.len() as u8;
                e.value[..value.len()].copy_from_slice(&value);
            }
        }
        value.zeroize();
        fits
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        Self::lookup(key, false)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        Self::lookup(key, true)
    }

    fn can_cache(&self) -> bool {
        !STATE.lock().entries.is_empty()
    }
}

/// The ticket encrypter, as rustls sees it: keys from the process-wide
/// state, rotated by `time`.
pub(crate) struct Tickets {
    pub time: TimeSource,
}

impl core::fmt::Debug for Tickets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("server_session::Tickets")
    }
}

impl Tickets {
    fn period(&self) -> u64 {
        self.time.now().unwrap_or(0) / ROTATE_SECS
    }
}

/// A copy of one key, wiped when dropped.
type KeyCopy = Zeroizing<[u8; KEY_LEN]>;

impl rustls::server::ProducesTickets for Tickets {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        ROTATE_SECS as u32
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let period = self.period();
        let mut key: KeyCopy = Zeroizing::new([0; KEY_LEN]);
        let name = {
            let mut s = STATE.lock();
            if s.entries.is_empty() || !s.rotate(period) {
                return None;
            }
            let c = s.current.as_ref()?;
            key.copy_from_slice(&c.key);
            c.name
        };
        let mut nonce = [0u8; NONCE_LEN];
        super::rng::fill(&mut nonce).ok()?;
        let mut out = Vec::new();
        out.try_reserve_exact(plain.len() + TICKET_OVERHEAD).ok()?;
        out.extend_from_slice(&name);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let aead = Aes128Gcm::new(aes_gcm::Key::<Aes128Gcm>::from_slice(&key[..]));
        let head = NAME_LEN + NONCE_LEN;
        match aead.encrypt_in_place_detached(
            aes_gcm::Nonce::from_slice(&nonce),
            &name,
            &mut out[head..],
        ) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Some(out)
            }
            Err(_) => {
                out.zeroize();
                None
            }
        }
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        if cipher.len() < TICKET_OVERHEAD {
            return None;
        }
        let (name, rest) = cipher.split_at(NAME_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let period = self.period();
        let mut key: KeyCopy = Zeroizing::new([0; KEY_LEN]);
        {
            let mut s = STATE.lock();
            if s.entries.is_empty() {
                return None;
            }
            // A failed key generation still leaves the previous key usable.
            s.rotate(period);
            let k = [s.current.as_ref(), s.previous.as_ref()]
                .into_iter()
                .flatten()
                .find(|k| k.name[..] == *name)?;
            key.copy_from_slice(&k.key);
        }
        let mut out = fallible_copy(body)?;
        let aead = Aes128Gcm::new(aes_gcm::Key::<Aes128Gcm>::from_slice(&key[..]));
        match aead.decrypt_in_place_detached(
            aes_gcm::Nonce::from_slice(nonce),
            name,
            &mut out,
            aes_gcm::Tag::from_slice(tag),
        ) {
            Ok(()) => Some(out),
            Err(_) => {
                out.zeroize();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::server::{ProducesTickets, StoresServerSessions};

    static NOW: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

    fn now() -> Option<u64> {
        Some(NOW.load(core::sync::atomic::Ordering::Relaxed))
    }

    fn at(t: u64) {
        NOW.store(t, core::sync::atomic::Ordering::Relaxed);
    }

    /// Everything on the one process-wide state in one test function, so no
    /// other test races it: tickets round trip, rotation keeps the previous
    /// key for one more period, forgery and old keys are refused, the cache
    /// is bounded and least-recently-used, and turning it off wipes it.
    #[test]
    fn tickets_rotate_and_the_cache_is_bounded() {
        let t = Tickets {
            time: TimeSource::Now(now),
        };
        at(1_800_000_000);
        assert!(set_capacity(0));
        assert!(t.encrypt(b"off").is_none(), "no tickets while off");
        assert!(!set_capacity(MAX_CACHE_ENTRIES as u8 + 1));
        // The README's and the header's figure.
        assert_eq!(ENTRY_BYTES, 200);
        assert!(set_capacity(2));

        let a = t.encrypt(b"session a").unwrap();
        assert_eq!(a.len(), 9 + TICKET_OVERHEAD);
        assert!(
            !a.windows(9).any(|w| w == b"session a"),
            "plaintext in ticket"
        );
        assert_eq!(t.decrypt(&a).unwrap(), b"session a");
        let mut forged = a.clone();
        *forged.last_mut().unwrap() ^= 1;
        assert!(t.decrypt(&forged).is_none());
        assert!(t.decrypt(&a[..TICKET_OVERHEAD - 1]).is_none());

        // Next period: a new key encrypts, the old one still decrypts.
        at(1_800_000_000 + ROTATE_SECS);
        let b = t.encrypt(b"session b").unwrap();
        assert_ne!(a[..NAME_LEN], b[..NAME_LEN], "new key name");
        assert_eq!(t.decrypt(&a).unwrap(), b"session a");
        // One more: the first key is gone, the second still decrypts.
        at(1_800_000_000 + 2 * ROTATE_SECS);
        assert!(t.decrypt(&a).is_none(), "a two-period-old ticket resumed");
        assert_eq!(t.decrypt(&b).unwrap(), b"session b");
        // The clock going back wipes both.
        at(1_700_000_000);
        assert!(t.decrypt(&b).is_none());
        // Deleting the server forgets the keys.
        let c = t.encrypt(b"session c").unwrap();
        forget_all();
        assert!(t.decrypt(&c).is_none());

        // The cache: two entries, least recently used replaced.
        let cache = Cache;
        assert!(cache.can_cache());
        assert!(cache.put(b"id-1".to_vec(), b"one".to_vec()));
        assert!(cache.put(b"id-2".to_vec(), b"two".to_vec()));
        assert_eq!(cache.get(b"id-1").unwrap(), b"one");
        assert!(cache.put(b"id-3".to_vec(), b"three".to_vec()));
        assert!(cache.get(b"id-2").is_none(), "LRU entry kept");
        assert_eq!(cache.get(b"id-1").unwrap(), b"one");
        assert_eq!(cache.take(b"id-3").unwrap(), b"three");
        assert!(cache.get(b"id-3").is_none(), "take must remove");
        assert!(!cache.put([0; KEY_CAP + 1].to_vec(), b"x".to_vec()));
        assert!(!cache.put(b"big".to_vec(), [0; SESSION_CAP + 1].to_vec()));
        assert!(set_capacity(0));
        assert!(!cache.can_cache());
        assert!(cache.get(b"id-1").is_none());
    }
}
