//! One record per `struct espconn` for what the program sets on it (host
//! name, ALPN list, public-key pins) and what the library reports about it (last error,
//! session binding), keyed by the espconn's address.
//!
//! Records live in one list on the SDK heap, grown fallibly: their number is
//! bounded only by the heap (the tables this replaces held 8 each, and from
//! the 9th espconn a host name was silently not stored).
//!
//! # When a record lives and dies
//!
//! - It is created by the first `espconn_secure_set_hostname`,
//!   `espconn_secure_set_alpn` or `espconn_secure_pin_public_key` on the
//!   espconn, by `espconn_secure_connect`, or
//!   by `espconn_secure_accept` (the listener's last error).
//! - Settings (host name, ALPN, pins) apply to every later connection of the
//!   espconn until the program changes them. A connection's end does not
//!   forget them: NONOS programs reconnect the same espconn, and the library
//!   cannot tell that apart from a new espconn at the same address; dropping
//!   the name there would silently weaken the check of every reconnect.
//! - Reports (last error, session binding) are cleared by the next
//!   `espconn_secure_connect` on the espconn.
//! - The record dies, wiped and freed:
//!   - at `espconn_secure_delete(espconn)`: the secure server's listener, or a
//!     client espconn without a live connection (call it before freeing an
//!     espconn or using its memory for another one);
//!   - when the last callback (disconnect or reconnect) of a connection
//!     returns and the record holds no setting (no host name, ALPN or pin): the
//!     last error and session of such an espconn are readable until then;
//!   - when the last callback of an accepted server connection returns (its
//!     espconn is the library's and is freed then);
//!   - when the program clears its last setting (`set_hostname(conn, NULL)`,
//!     `set_alpn(conn, NULL, 0)`, `pin_public_key(conn, NULL, 0)`) while no
//!     connection is live on it.
//!
//!   A new espconn at the address of a dead record starts with nothing.
//!
//! # A host name that could not be stored
//!
//! When `espconn_secure_set_hostname` cannot store the name it was given (no
//! heap, or an invalid name), the record remembers that a name was asked for
//! and `espconn_secure_connect` on that espconn is refused (ESPCONN_ARG, last
//! error -0x7100) until the program sets a name successfully or clears it with
//! NULL: a connection never runs with a weaker check than the program asked
//! for. If not even the record can be made, the address goes to a small
//! static list ([`UNSTORED_MAX`]); should that fill up too, every connect
//! without a stored host name is refused until a name is stored again.
//!
//! # Pins that could not be stored
//!
//! Pins need no heap beyond the record. When `espconn_secure_pin_public_key`
//! cannot make the record, the address goes to a second small static list
//! and `espconn_secure_connect` on it is refused (last error -0x7100) until
//! pins are stored or cleared; should that list fill up, every connect
//! without stored pins is refused. A pin asked for is never silently
//! dropped.
//!
//! # Locks and engine steps
//!
//! Records are created, grown and freed only from API calls and the end of a
//! connection, never inside an engine step. Inside a step the engine's setup
//! only copies from a record (fallibly, into its arena) and writes the session
//! binding in place: no lock is held across an infallible allocation.

use alloc::vec::Vec;

use spin::Mutex;

use crate::error::{code, Failure};
use crate::fail;
use crate::tls::session::Binding;
use crate::tls::MAX_PINS;

/// Most ALPN names per connection, and the longest name (RFC 7301).
pub const MAX_ALPN: usize = 8;
pub const MAX_ALPN_NAME: usize = 255;

/// Addresses kept when a host name failed and no record could be made.
pub const UNSTORED_MAX: usize = 4;

/// The host name setting of a record.
enum Name {
    Unset,
    Set(Vec<u8>),
    /// The program asked for a name that could not be stored.
    Unstored,
}

struct Record {
    key: usize,
    name: Name,
    /// ALPN names, each followed by a NUL (so `espconn_secure_get_alpn` can
    /// point into it); empty when none are set.
    alpn: Vec<u8>,
    last_error: i32,
    binding: Option<Binding>,
    /// A connection of this espconn exists (from connect to its last callback).
    live: bool,
    /// Public-key pins (SHA-256 of the leaf's SPKI); the first `pin_count`.
    pins: [[u8; 32]; MAX_PINS],
    pin_count: u8,
}

impl Record {
    fn new(key: usize) -> Record {
        Record {
            key,
            name: Name::Unset,
            alpn: Vec::new(),
            last_error: 0,
            binding: None,
            live: false,
            pins: [[0; 32]; MAX_PINS],
            pin_count: 0,
        }
    }

    fn has_settings(&self) -> bool {
        !matches!(self.name, Name::Unset) || !self.alpn.is_empty() || self.pin_count != 0
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if let Name::Set(n) = &mut self.name {
            wipe(n);
        }
        wipe(&mut self.alpn);
        if let Some(b) = &mut self.binding {
            wipe(b);
        }
    }
}

fn wipe(b: &mut [u8]) {
    for x in b.iter_mut() {
        *x = 0;
    }
    core::hint::black_box(b);
}

struct Records {
    list: Vec<Record>,
    /// Addresses whose host name failed when no record could be made.
    unstored: [usize; UNSTORED_MAX],
    /// More of those than `unstored` holds: refuse every connect that has no
    /// stored host name.
    unstored_overflow: bool,
    /// Addresses whose pins could not be stored (no record could be made).
    pins_unstored: [usize; UNSTORED_MAX],
    /// More of those than `pins_unstored` holds: refuse every connect that
    /// has no stored pins.
    pins_unstored_overflow: bool,
}

static RECORDS: Mutex<Records> = Mutex::new(Records {
    list: Vec::new(),
    unstored: [0; UNSTORED_MAX],
    unstored_overflow: false,
    pins_unstored: [0; UNSTORED_MAX],
    pins_unstored_overflow: false,
});

impl Records {
    fn find(&mut self, key: usize) -> Option<&mut Record> {
        self.list.iter_mut().find(|r| r.key == key)
    }

    fn get(&self, key: usize) -> Option<&Record> {
        self.list.iter().find(|r| r.key == key)
    }

    /// The record of `key`, made if needed; None when the list cannot grow.
    fn find_or_make(&mut self, key: usize) -> Option<&mut Record> {
        let i = match self.list.iter().position(|r| r.key == key) {
            Some(i) => i,
            None => {
                // Exactly one more: a program has a few espconns, and the
                // amortised growth would hold room for four records (each
                // with its pin slots) from the first one on.
                self.list.try_reserve_exact(1).ok()?;
                self.list.push(Record::new(key));
                self.list.len() - 1
            }
        };
        self.list.get_mut(i)
    }

    /// Take `key`'s record out of the list (the caller drops it outside the
    /// lock); an empty list gives its memory back.
    fn take(&mut self, key: usize) -> Option<Record> {
        let i = self.list.iter().position(|r| r.key == key)?;
        let r = self.list.swap_remove(i);
        if self.list.is_empty() {
            self.list = Vec::new();
        }
        Some(r)
    }

    /// Clear one setting of `key`'s record with `clear`; when that leaves a
    /// record with no setting and no live connection, it is taken out for
    /// the caller to drop outside the lock.
    fn clear_setting(&mut self, key: usize, clear: impl FnOnce(&mut Record)) -> Option<Record> {
        let r = self.find(key)?;
        clear(r);
        if r.live || r.has_settings() {
            return None;
        }
        self.take(key)
    }

    fn forget_unstored_pins(&mut self, key: usize) {
        for k in self.pins_unstored.iter_mut().filter(|k| **k == key) {
            *k = 0;
        }
    }

    fn forget_unstored(&mut self, key: usize) {
        for k in self.unstored.iter_mut().filter(|k| **k == key) {
            *k = 0;
        }
    }

    fn mark_unstored(&mut self, key: usize) {
        if let Some(r) = self.find(key) {
            let old = core::mem::replace(&mut r.name, Name::Unstored);
            drop(old);
            return;
        }
        if self.unstored.contains(&key) {
            return;
        }
        match self.unstored.iter_mut().find(|k| **k == 0) {
            Some(k) => *k = key,
            None => self.unstored_overflow = true,
        }
    }
}

/// Why [`set_hostname`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// No heap for the name or its record.
    Memory,
}

/// Remember `name` for the connections of the espconn at `key`; `None`
/// forgets it. On failure the espconn's connects are refused until a name is
/// stored or cleared (see the module documentation).
pub fn set_hostname(key: usize, name: Option<&[u8]>) -> Result<(), SetError> {
    let Some(name) = name else {
        let mut s = RECORDS.lock();
        s.forget_unstored(key);
        let old = s.clear_setting(key, |r| r.name = Name::Unset);
        drop(s);
        drop(old);
        return Ok(());
    };
    let mut v = Vec::new();
    if v.try_reserve_exact(name.len()).is_err() {
        name_refused(key);
        return Err(SetError::Memory);
    }
    v.extend_from_slice(name);
    let mut s = RECORDS.lock();
    let Some(r) = s.find_or_make(key) else {
        s.mark_unstored(key);
        drop(s);
        wipe(&mut v);
        return Err(SetError::Memory);
    };
    let old = core::mem::replace(&mut r.name, Name::Set(v));
    s.forget_unstored(key);
    drop(s);
    drop(old);
    Ok(())
}

/// The program asked for a host name on `key` that will not be checked
/// (invalid or not stored): refuse its connects until it sets one or NULL.
pub fn name_refused(key: usize) {
    RECORDS.lock().mark_unstored(key);
}

/// Remember the public-key pins for the connections of the espconn at `key`
/// (`None` or an empty list forgets them). False for more than
/// [`MAX_PINS`]; false too when the record cannot be made, and then the
/// espconn's connects are refused until pins are stored or cleared.
pub fn set_pins(key: usize, pins: Option<&[[u8; 32]]>) -> bool {
    let pins = pins.unwrap_or(&[]);
    if pins.len() > MAX_PINS {
        return false;
    }
    let mut s = RECORDS.lock();
    if pins.is_empty() {
        s.forget_unstored_pins(key);
        let old = s.clear_setting(key, |r| {
            r.pins = [[0; 32]; MAX_PINS];
            r.pin_count = 0;
        });
        drop(s);
        drop(old);
        return true;
    }
    let Some(r) = s.find_or_make(key) else {
        if !s.pins_unstored.contains(&key) {
            match s.pins_unstored.iter_mut().find(|k| **k == 0) {
                Some(k) => *k = key,
                None => s.pins_unstored_overflow = true,
            }
        }
        return false;
    };
    r.pins = [[0; 32]; MAX_PINS];
    r.pins[..pins.len()].copy_from_slice(pins);
    r.pin_count = pins.len() as u8;
    s.forget_unstored_pins(key);
    true
}

/// The pins set for `key` and their number (0: none). Refuses pins asked
/// for but not stored (defence in depth: `begin_connection` already refused
/// the connect).
pub fn pins(key: usize) -> Result<([[u8; 32]; MAX_PINS], usize), Failure> {
    let s = RECORDS.lock();
    match s.get(key) {
        Some(r) if r.pin_count != 0 => Ok((r.pins, usize::from(r.pin_count))),
        _ if s.pins_unstored.contains(&key) || s.pins_unstored_overflow => Err(fail!(
            code::SSL_BAD_INPUT_DATA,
            "the public-key pins asked for with espconn_secure_pin_public_key were not stored: not connecting without them"
        )),
        _ => Ok(([[0; 32]; MAX_PINS], 0)),
    }
}

/// Why `espconn_secure_connect` may not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// The host name the program asked for was not stored.
    NameUnstored,
    /// The public-key pins the program asked for were not stored.
    PinsUnstored,
    /// No heap for the espconn's record.
    Memory,
}

/// A connection of `key` starts: refuse it if a host name asked for was not
/// stored; otherwise clear the reports and mark the record live (made here if
/// the program set nothing, so the connection's last error has a place).
pub fn begin_connection(key: usize) -> Result<(), ConnectRefusal> {
    let mut s = RECORDS.lock();
    let named = matches!(s.get(key).map(|r| &r.name), Some(Name::Set(_)));
    if s.unstored.contains(&key)
        || matches!(s.get(key).map(|r| &r.name), Some(Name::Unstored))
        || (s.unstored_overflow && !named)
    {
        if let Some(r) = s.find(key) {
            r.last_error = code::SSL_BAD_INPUT_DATA;
        }
        return Err(ConnectRefusal::NameUnstored);
    }
    let pinned = s.get(key).is_some_and(|r| r.pin_count != 0);
    if s.pins_unstored.contains(&key) || (s.pins_unstored_overflow && !pinned) {
        if let Some(r) = s.find(key) {
            r.last_error = code::SSL_BAD_INPUT_DATA;
        }
        return Err(ConnectRefusal::PinsUnstored);
    }
    let Some(r) = s.find_or_make(key) else {
        return Err(ConnectRefusal::Memory);
    };
    r.last_error = 0;
    r.binding = None;
    r.live = true;
    Ok(())
}

/// The last callback of `key`'s connection returned: the record dies if it
/// holds no setting (`server`: always, the espconn was the library's).
pub fn end_connection(key: usize, server: bool) {
    let mut s = RECORDS.lock();
    let dead = match s.find(key) {
        Some(r) => {
            r.live = false;
            server || !r.has_settings()
        }
        None => false,
    };
    let old = if dead { s.take(key) } else { None };
    drop(s);
    drop(old);
}

/// `espconn_secure_delete`: forget `key`'s record. False when it had none or
/// a connection of it is live.
pub fn forget(key: usize) -> bool {
    let mut s = RECORDS.lock();
    s.forget_unstored(key);
    s.forget_unstored_pins(key);
    if s.get(key).is_none_or(|r| r.live) {
        return false;
    }
    let old = s.take(key);
    drop(s);
    drop(old);
    true
}

/// Make the record of a secure server's listener, so that its connections'
/// errors have a place. False when the heap cannot hold it.
pub fn ensure(key: usize) -> bool {
    RECORDS.lock().find_or_make(key).is_some()
}

/// Whether `key` has a record (tests and `espconn_secure_delete`).
pub fn exists(key: usize) -> bool {
    RECORDS.lock().get(key).is_some()
}

/// The host name set for `key`, copied (fallibly) so that the lock is not
/// held afterwards. Refuses a name asked for but not stored (defence in depth:
/// `begin_connection` already refused the connect).
pub fn hostname(key: usize) -> Result<Option<Vec<u8>>, Failure> {
    let s = RECORDS.lock();
    let name = match s.get(key).map(|r| &r.name) {
        Some(Name::Set(n)) => n,
        Some(Name::Unstored) => return Err(unstored()),
        _ if s.unstored.contains(&key) => return Err(unstored()),
        _ => return Ok(None),
    };
    let mut v = Vec::new();
    v.try_reserve_exact(name.len()).map_err(|_| {
        fail!(
            code::SSL_ALLOC_FAILED,
            "out of memory copying the host name ({} bytes)",
            name.len()
        )
    })?;
    v.extend_from_slice(name);
    Ok(Some(v))
}

fn unstored() -> Failure {
    fail!(
        code::SSL_BAD_INPUT_DATA,
        "the host name asked for with espconn_secure_set_hostname was not stored: not connecting without it"
    )
}

/// Remember the ALPN names to offer on the connections of `key` (`None` or
/// an empty list forgets them). False when a name is empty or too long, there
/// are more than [`MAX_ALPN`], or the heap is full.
pub fn set_alpn(key: usize, names: Option<&[&[u8]]>) -> bool {
    let names = names.unwrap_or(&[]);
    if names.len() > MAX_ALPN
        || names
            .iter()
            .any(|n| n.is_empty() || n.len() > MAX_ALPN_NAME || n.contains(&0))
    {
        return false;
    }
    let mut v = Vec::new();
    if !names.is_empty() {
        let total: usize = names.iter().map(|n| n.len() + 1).sum();
        if v.try_reserve_exact(total).is_err() {
            return false;
        }
        for n in names {
            v.extend_from_slice(n);
            v.push(0);
        }
    }
    let mut s = RECORDS.lock();
    if names.is_empty() {
        let old = s.clear_setting(key, |r| drop(core::mem::take(&mut r.alpn)));
        drop(s);
        drop(old);
        return true;
    }
    let Some(r) = s.find_or_make(key) else {
        return false;
    };
    let old = core::mem::replace(&mut r.alpn, v);
    drop(s);
    drop(old);
    true
}

/// The ALPN names set for `key`, copied (fallibly) for the handshake.
pub fn alpn(key: usize) -> Result<Vec<Vec<u8>>, Failure> {
    let oom = |n: usize| {
        fail!(
            code::SSL_ALLOC_FAILED,
            "out of memory copying the ALPN names ({n} bytes)"
        )
    };
    let s = RECORDS.lock();
    let Some(list) = s.get(key).map(|r| &r.alpn) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<Vec<u8>> = Vec::new();
    let count = list.iter().filter(|&&b| b == 0).count();
    out.try_reserve_exact(count).map_err(|_| oom(count))?;
    for name in list.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let mut v = Vec::new();
        v.try_reserve_exact(name.len())
            .map_err(|_| oom(name.len()))?;
        v.extend_from_slice(name);
        out.push(v);
    }
    Ok(out)
}

/// Address of the NUL-terminated copy of `proto` in `key`'s ALPN list (stable
/// until the list is set again or the record dies), or None.
pub fn alpn_entry(key: usize, proto: &[u8]) -> Option<*const u8> {
    let s = RECORDS.lock();
    let list = &s.get(key)?.alpn;
    let mut at = 0;
    for name in list.split(|&b| b == 0) {
        if name == proto && !name.is_empty() {
            return Some(list[at..].as_ptr());
        }
        at += name.len() + 1;
        if at >= list.len() {
            break;
        }
    }
    None
}

/// The connection of `key` ended with `code` (0: without a failure).
pub fn set_last_error(key: usize, code: i32) {
    if let Some(r) = RECORDS.lock().find(key) {
        r.last_error = code;
    }
}

/// The code of the failure that ended `key`'s last connection (0 if none).
pub fn last_error(key: usize) -> i32 {
    RECORDS.lock().get(key).map_or(0, |r| r.last_error)
}

/// The connection of `key` uses session binding `b` (written in place: this
/// runs inside the engine's setup step).
pub fn set_binding(key: usize, b: Binding) {
    if let Some(r) = RECORDS.lock().find(key) {
        r.binding = Some(b);
    }
}

/// The session binding of `key`'s last connection.
pub fn binding(key: usize) -> Option<Binding> {
    RECORDS.lock().get(key)?.binding
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test uses its own keys: the list is process-wide.

    #[test]
    fn more_than_eight_espconns_each_keep_their_host_name() {
        let keys: Vec<usize> = (0..40).map(|i| 0x1000_0000 + i * 64).collect();
        for (i, &k) in keys.iter().enumerate() {
            let name = alloc::format!("host{i}.example");
            assert_eq!(set_hostname(k, Some(name.as_bytes())), Ok(()));
        }
        for (i, &k) in keys.iter().enumerate() {
            let name = alloc::format!("host{i}.example");
            assert_eq!(hostname(k).unwrap().as_deref(), Some(name.as_bytes()));
        }
        for &k in &keys {
            assert_eq!(set_hostname(k, None), Ok(()));
            assert!(!exists(k), "a record with nothing set dies");
        }
    }

    #[test]
    fn a_deleted_espconn_address_starts_without_name_alpn_or_error() {
        let k = 0x2000_0000;
        set_hostname(k, Some(b"old.example")).unwrap();
        assert!(set_alpn(k, Some(&[b"x-old"])));
        begin_connection(k).unwrap();
        set_last_error(k, code::X509_CERT_VERIFY_FAILED);
        set_binding(k, [9; 16]);
        assert!(!forget(k), "not while its connection is live");
        end_connection(k, false);
        assert_eq!(last_error(k), code::X509_CERT_VERIFY_FAILED);
        assert!(forget(k));
        assert_eq!(hostname(k).unwrap(), None);
        assert!(alpn(k).unwrap().is_empty());
        assert_eq!(last_error(k), 0);
        assert_eq!(binding(k), None);
        assert!(!forget(k), "nothing left to delete");
    }

    #[test]
    fn settings_survive_a_reconnect_of_the_same_espconn() {
        let k = 0x3000_0000;
        set_hostname(k, Some(b"kept.example")).unwrap();
        begin_connection(k).unwrap();
        end_connection(k, false);
        begin_connection(k).unwrap();
        assert_eq!(hostname(k).unwrap().as_deref(), Some(&b"kept.example"[..]));
        end_connection(k, false);
        set_hostname(k, None).unwrap();
        assert!(!exists(k));
    }

    #[test]
    fn a_record_without_settings_dies_when_its_connection_ends() {
        let k = 0x4000_0000;
        begin_connection(k).unwrap();
        set_last_error(k, code::SSL_CONN_EOF);
        assert_eq!(last_error(k), code::SSL_CONN_EOF);
        end_connection(k, false);
        assert!(!exists(k));
        assert_eq!(last_error(k), 0);
    }

    #[test]
    fn a_host_name_that_was_not_stored_refuses_the_connect_until_set_again() {
        let k = 0x5000_0000;
        name_refused(k);
        assert_eq!(begin_connection(k), Err(ConnectRefusal::NameUnstored));
        assert!(hostname(k).is_err());
        set_hostname(k, Some(b"ok.example")).unwrap();
        assert_eq!(begin_connection(k), Ok(()));
        end_connection(k, false);
        name_refused(k);
        assert_eq!(begin_connection(k), Err(ConnectRefusal::NameUnstored));
        assert_eq!(last_error(k), code::SSL_BAD_INPUT_DATA);
        set_hostname(k, None).unwrap();
        assert_eq!(begin_connection(k), Ok(()));
        end_connection(k, false);
        assert!(!exists(k));
    }

    #[test]
    fn pins_are_kept_per_espconn_and_cleared_with_an_empty_list() {
        let k = 0x7000_0000;
        let p = [[1u8; 32], [2u8; 32]];
        assert!(set_pins(k, Some(&p)));
        let (got, n) = pins(k).unwrap();
        assert_eq!(&got[..n], &p[..]);
        begin_connection(k).unwrap();
        end_connection(k, false);
        assert!(
            exists(k),
            "pins are a setting: the record outlives the connection"
        );
        assert_eq!(pins(k).unwrap().1, 2);
        assert!(set_pins(k, None));
        assert_eq!(pins(k).unwrap().1, 0);
        assert!(!exists(k), "a record with nothing set dies");
    }

    #[test]
    fn more_than_four_pins_are_refused_and_the_old_ones_kept() {
        let k = 0x7100_0000;
        assert!(set_pins(k, Some(&[[3u8; 32]])));
        assert!(!set_pins(k, Some(&[[4u8; 32]; 5])));
        let (got, n) = pins(k).unwrap();
        assert_eq!(&got[..n], &[[3u8; 32]][..]);
        assert!(set_pins(k, Some(&[])));
        assert!(!exists(k));
    }

    #[test]
    fn pins_that_were_not_stored_refuse_the_connect_until_stored_or_cleared() {
        let k = 0x7200_0000;
        RECORDS.lock().pins_unstored[0] = k;
        assert_eq!(begin_connection(k), Err(ConnectRefusal::PinsUnstored));
        assert!(pins(k).is_err());
        assert!(set_pins(k, Some(&[[5u8; 32]])));
        assert_eq!(begin_connection(k), Ok(()));
        end_connection(k, false);
        RECORDS.lock().pins_unstored[1] = k;
        assert_eq!(begin_connection(k), Err(ConnectRefusal::PinsUnstored));
        assert!(set_pins(k, None));
        assert_eq!(begin_connection(k), Ok(()));
        end_connection(k, false);
        assert!(!exists(k));
    }

    #[test]
    fn a_server_connections_record_dies_with_it() {
        let k = 0x6000_0000;
        set_hostname(k, Some(b"x.example")).unwrap();
        begin_connection(k).unwrap();
        end_connection(k, true);
        assert!(!exists(k));
    }
}
