//! Client session resumption: a small store of our own behind rustls's
//! `ClientSessionStore`, and the blob that carries one session across deep
//! sleep (RTC memory or flash).
//!
//! Off until the program calls `espconn_secure_set_session_cache(n)`; then
//! `n` entries (at most [`MAX_ENTRIES`]) are taken from the SDK heap, outside
//! any connection's arena, so sessions outlive the connections that made them.
//! Each entry holds one TLS 1.2 session (ticket or session id) or one TLS 1.3
//! ticket, in rustls's storage encoding (vendor/rustls/PATCHES.md), plus the
//! key-exchange group the server chose last time.
//!
//! Entries are keyed by a [`Binding`]: a hash of everything the first
//! handshake's verification depended on (host name, server address, whether
//! the chain was verified, the CA certificates, our own certificate chain, the
//! ALPN list). A connection only finds sessions made under the same binding,
//! so a changed host name, CA or client certificate means a full handshake.
//! rustls stores a session only after the server was verified, and does not
//! verify again when it resumes; the binding is what carries that result.
//!
//! Memory: nothing allocates while the lock is held. Values are encoded into
//! a fallible temporary before the lock and copied into the entry under it;
//! lookups copy the entry onto the stack under the lock and decode after.
//! Every copy of a secret is wiped when dropped.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::tls::provider::sha256::Sha256;
use digest::Digest;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{
    ClientSessionStore, ResolvesClientCert, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::crypto::CryptoProvider;
use rustls::NamedGroup;
use rustls_pki_types::ServerName;
use spin::Mutex;
use zeroize::{Zeroize, Zeroizing};

use super::ClientParams;

/// Most entries `espconn_secure_set_session_cache` accepts.
pub const MAX_ENTRIES: usize = 4;
/// Largest encoded session kept (ticket, secret and fields). Sized so that a
/// blob fits the RTC user area (512 bytes) with its header and checksum.
pub const VALUE_CAP: usize = 480;
/// Blob layout version.
pub const BLOB_VERSION: u8 = 1;
/// version, kind, length (2), key-exchange hint (2), binding (16).
const BLOB_HEADER: usize = 22;
/// Truncated SHA-256 over header and value.
const BLOB_CHECK: usize = 8;
/// Largest blob [`save`] writes: 510 bytes, within the RTC user area.
pub const BLOB_MAX: usize = BLOB_HEADER + VALUE_CAP + BLOB_CHECK;

/// Identifies the trust configuration a session was verified under.
pub type Binding = [u8; 16];

const KIND_NONE: u8 = 0;
const KIND_TLS12: u8 = 12;
const KIND_TLS13: u8 = 13;

/// The binding of a client connection to `peer` (IPv4 address, port) with
/// parameters `p`.
pub fn binding(p: &ClientParams, peer: ([u8; 4], u16)) -> Binding {
    let mut h = Sha256::new();
    h.update(b"espconn_secure session binding v1\0");
    let field = |h: &mut Sha256, tag: u8, bytes: &[u8]| {
        h.update([tag]);
        h.update((bytes.len() as u32).to_be_bytes());
        h.update(bytes);
    };
    if let Some(name) = &p.hostname {
        field(&mut h, b'n', name.as_bytes());
    }
    field(&mut h, b'a', &peer.0);
    field(&mut h, b'p', &peer.1.to_be_bytes());
    match &p.roots {
        Some(roots) => {
            for r in roots {
                field(&mut h, b'r', r.as_ref());
            }
        }
        None => match &p.bundle {
            // The header checksum covers the index, which holds every
            // anchor's checksum: it stands for the bundle's content.
            Some(b) => {
                field(&mut h, b'b', &b.bundle.sum);
                field(&mut h, b's', &b.bundle.sector.to_be_bytes());
            }
            None => field(&mut h, b'u', b"unverified"),
        },
    }
    if let Some((chain, _)) = &p.identity {
        for c in chain {
            field(&mut h, b'c', c.as_ref());
        }
    }
    for proto in &p.alpn {
        field(&mut h, b'l', proto);
    }
    if let Some(pins) = &p.pins {
        for pin in pins.list() {
            field(&mut h, b'k', pin);
        }
    }
    field(&mut h, b'v', &[u8::from(p.tls13)]);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b
}

struct Entry {
    binding: Binding,
    used: bool,
    kind: u8,
    len: u16,
    kx_hint: u16,
    /// Least-recently-used order (higher is newer).
    stamp: u32,
    value: [u8; VALUE_CAP],
}

impl Entry {
    const EMPTY: Entry = Entry {
        binding: [0; 16],
        used: false,
        kind: KIND_NONE,
        len: 0,
        kx_hint: 0,
        stamp: 0,
        value: [0; VALUE_CAP],
    };

    fn clear_value(&mut self) {
        self.value.zeroize();
        self.kind = KIND_NONE;
        self.len = 0;
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

struct Store {
    entries: Vec<Entry>,
    clock: u32,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    entries: Vec::new(),
    clock: 0,
});

impl Store {
    fn find(&mut self, b: &Binding) -> Option<&mut Entry> {
        self.clock = self.clock.wrapping_add(1);
        let now = self.clock;
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.used && e.binding == *b)?;
        e.stamp = now;
        Some(e)
    }

    /// The entry for `b`, taking a free or the least recently used one.
    fn find_or_take(&mut self, b: &Binding) -> Option<&mut Entry> {
        self.clock = self.clock.wrapping_add(1);
        let now = self.clock;
        let i = match self.entries.iter().position(|e| e.used && e.binding == *b) {
            Some(i) => i,
            None => {
                let i = self
                    .entries
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, e)| (e.used, e.stamp))
                    .map(|(i, _)| i)?;
                let e = &mut self.entries[i];
                e.clear_value();
                e.used = true;
                e.binding = *b;
                e.kx_hint = 0;
                i
            }
        };
        let e = &mut self.entries[i];
        e.stamp = now;
        Some(e)
    }
}

/// `espconn_secure_set_session_cache`: keep up to `n` sessions (0 turns the
/// cache off and wipes it). False when `n` exceeds [`MAX_ENTRIES`] or the
/// heap cannot hold the entries (the old cache is then kept).
pub fn set_capacity(n: u8) -> bool {
    let Some(fresh) = fresh_entries(n, MAX_ENTRIES, || Entry::EMPTY) else {
        return false;
    };
    let old = {
        let mut s = STORE.lock();
        core::mem::replace(&mut s.entries, fresh)
    };
    // Wiped by Entry's Drop, outside the lock.
    drop(old);
    true
}

/// `n` empty cache entries, allocated fallibly (on the SDK heap: the caches'
/// calls run in the program's context, outside any connection's arena), or
/// `None` when `n` exceeds `max` or the heap has no room.
pub(crate) fn fresh_entries<T>(n: u8, max: usize, empty: impl Fn() -> T) -> Option<Vec<T>> {
    let n = usize::from(n);
    if n > max {
        return None;
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.extend((0..n).map(|_| empty()));
    Some(v)
}

/// Whether the cache is on.
pub fn enabled() -> bool {
    !STORE.lock().entries.is_empty()
}

/// Why [`save`] wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveError {
    /// Cache off, or no session kept for that connection (yet).
    NoSession,
    /// The buffer is smaller than the blob (which needs this many bytes).
    TooSmall(usize),
}

/// Write the session kept under `b` as a blob into `out`; returns its length.
pub fn save(b: &Binding, out: &mut [u8]) -> Result<usize, SaveError> {
    let len = {
        let mut s = STORE.lock();
        let e = s.find(b).ok_or(SaveError::NoSession)?;
        if e.kind == KIND_NONE {
            return Err(SaveError::NoSession);
        }
        let len = usize::from(e.len);
        let total = BLOB_HEADER + len + BLOB_CHECK;
        if out.len() < total {
            return Err(SaveError::TooSmall(total));
        }
        out[0] = BLOB_VERSION;
        out[1] = e.kind;
        out[2..4].copy_from_slice(&e.len.to_le_bytes());
        out[4..6].copy_from_slice(&e.kx_hint.to_le_bytes());
        out[6..22].copy_from_slice(&e.binding);
        out[BLOB_HEADER..BLOB_HEADER + len].copy_from_slice(&e.value[..len]);
        len
    };
    let body = BLOB_HEADER + len;
    let check = checksum(&out[..body]);
    out[body..body + BLOB_CHECK].copy_from_slice(&check);
    Ok(body + BLOB_CHECK)
}

/// Why [`load`] refused a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The cache is off: call `espconn_secure_set_session_cache` first.
    CacheOff,
    /// Shorter than a header, or its length field disagrees.
    Truncated,
    /// Written by another layout version.
    Version(u8),
    /// The checksum does not match (corrupt, or not a session blob).
    Checksum,
    /// Unknown session kind.
    Kind,
    /// A TLS 1.3 session, and this build has no TLS 1.3 (profile-small).
    Tls13NotCompiled,
}

impl LoadError {
    pub fn reason(self) -> &'static str {
        match self {
            LoadError::CacheOff => {
                "session cache is off (call espconn_secure_set_session_cache first)"
            }
            LoadError::Truncated => "blob truncated",
            LoadError::Version(_) => "blob from another version",
            LoadError::Checksum => "checksum mismatch (corrupt or not a session)",
            LoadError::Kind => "unknown session kind",
            LoadError::Tls13NotCompiled => {
                "a TLS 1.3 session, and this build speaks TLS 1.2 only (profile-small)"
            }
        }
    }
}

/// Check a blob written by [`save`] and put its session in the cache, where
/// a connection with the same binding will find it.
pub fn load(blob: &[u8]) -> Result<(), LoadError> {
    if blob.len() < BLOB_HEADER + BLOB_CHECK {
        return Err(LoadError::Truncated);
    }
    if blob[0] != BLOB_VERSION {
        return Err(LoadError::Version(blob[0]));
    }
    let len = usize::from(u16::from_le_bytes([blob[2], blob[3]]));
    if len > VALUE_CAP || blob.len() < BLOB_HEADER + len + BLOB_CHECK {
        return Err(LoadError::Truncated);
    }
    let body = BLOB_HEADER + len;
    if checksum(&blob[..body])[..] != blob[body..body + BLOB_CHECK] {
        return Err(LoadError::Checksum);
    }
    let kind = blob[1];
    if kind != KIND_TLS12 && kind != KIND_TLS13 {
        return Err(LoadError::Kind);
    }
    if kind == KIND_TLS13 && !cfg!(feature = "tls13") {
        return Err(LoadError::Tls13NotCompiled);
    }
    let mut b = [0u8; 16];
    b.copy_from_slice(&blob[6..22]);
    let mut s = STORE.lock();
    if s.entries.is_empty() {
        return Err(LoadError::CacheOff);
    }
    let e = s.find_or_take(&b).ok_or(LoadError::CacheOff)?;
    e.clear_value();
    e.kind = kind;
    e.len = len as u16;
    e.kx_hint = u16::from_le_bytes([blob[4], blob[5]]);
    e.value[..len].copy_from_slice(&blob[BLOB_HEADER..body]);
    Ok(())
}

fn checksum(bytes: &[u8]) -> [u8; BLOB_CHECK] {
    let d = Sha256::digest(bytes);
    let mut c = [0u8; BLOB_CHECK];
    c.copy_from_slice(&d[..BLOB_CHECK]);
    c
}

/// One connection's view of the store: its binding, and the verifier and
/// client credentials that decoded sessions are attached to (rustls resumes
/// only sessions made under the connection's own verifier and credentials).
pub(crate) struct View {
    pub binding: Binding,
    pub provider: Arc<CryptoProvider>,
    pub verifier: Arc<dyn ServerCertVerifier>,
    pub creds: Arc<dyn ResolvesClientCert>,
}

impl core::fmt::Debug for View {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // What `debug_struct(..).finish_non_exhaustive()` prints, without
        // linking core's struct builder (rustls's traits need `Debug`).
        f.write_str("session::View { .. }")
    }
}

impl View {
    /// Encode with `encode` into a wiped-on-drop buffer, then store it.
    fn put(&self, kind: u8, len: usize, encode: impl FnOnce(&mut Vec<u8>)) {
        if len > VALUE_CAP {
            crate::log!(
                "espconn_secure: session not kept: {len} bytes, the cache holds {VALUE_CAP} per entry"
            );
            return;
        }
        let mut v = Zeroizing::new(Vec::new());
        if v.try_reserve_exact(len).is_err() {
            return;
        }
        encode(&mut v);
        if v.len() > VALUE_CAP {
            return;
        }
        let mut s = STORE.lock();
        if let Some(e) = s.find_or_take(&self.binding) {
            e.clear_value();
            e.kind = kind;
            e.len = v.len() as u16;
            e.value[..v.len()].copy_from_slice(&v);
        }
    }

    /// Copy the value of `kind` (taking it out if `take`) onto the stack.
    fn get(&self, kind: u8, take: bool) -> Option<(Zeroizing<[u8; VALUE_CAP]>, usize)> {
        let mut buf = Zeroizing::new([0u8; VALUE_CAP]);
        let mut s = STORE.lock();
        let e = s.find(&self.binding)?;
        if e.kind != kind {
            return None;
        }
        let len = usize::from(e.len);
        buf[..len].copy_from_slice(&e.value[..len]);
        if take {
            e.clear_value();
        }
        Some((buf, len))
    }

    fn clear(&self, kind: u8) {
        let mut s = STORE.lock();
        if let Some(e) = s.find(&self.binding) {
            if e.kind == kind {
                e.clear_value();
            }
        }
    }
}

impl ClientSessionStore for View {
    fn set_kx_hint(&self, _: ServerName<'static>, group: NamedGroup) {
        let mut s = STORE.lock();
        if let Some(e) = s.find_or_take(&self.binding) {
            e.kx_hint = u16::from(group);
        }
    }

    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        let mut s = STORE.lock();
        let e = s.find(&self.binding)?;
        (e.kx_hint != 0).then(|| NamedGroup::from(e.kx_hint))
    }

    fn set_tls12_session(&self, _: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.put(KIND_TLS12, value.storage_len(), |v| {
            value.encode_for_storage(v)
        });
    }

    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        let (buf, len) = self.get(KIND_TLS12, false)?;
        Tls12ClientSessionValue::decode_from_storage(
            &buf[..len],
            &self.provider.cipher_suites,
            &self.verifier,
            &self.creds,
        )
    }

    fn remove_tls12_session(&self, _: &ServerName<'static>) {
        self.clear(KIND_TLS12);
    }

    #[cfg(feature = "tls13")]
    fn insert_tls13_ticket(&self, _: ServerName<'static>, value: Tls13ClientSessionValue) {
        // One ticket per server: the newest replaces the previous one.
        self.put(KIND_TLS13, value.storage_len(), |v| {
            value.encode_for_storage(v)
        });
    }

    #[cfg(feature = "tls13")]
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        let (buf, len) = self.get(KIND_TLS13, true)?;
        Tls13ClientSessionValue::decode_from_storage(
            &buf[..len],
            &self.provider.cipher_suites,
            &self.verifier,
            &self.creds,
        )
    }

    // Without `tls13` (profile-small) rustls has no TLS 1.3: it never makes
    // a TLS 1.3 ticket to insert, and no TLS 1.3 session can be decoded
    // (`load` refuses such blobs), so these keep the encoding out of the image.
    #[cfg(not(feature = "tls13"))]
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {}

    #[cfg(not(feature = "tls13"))]
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session made under other pins (or none) is never resumed where pins
    /// apply: resumption skips the certificate, so the pins are part of the
    /// key sessions are looked up under.
    #[test]
    fn pins_are_part_of_the_session_binding() {
        use crate::tls::{ClientParams, Pins, TimeSource, MAX_PINS};
        let peer = ([127, 0, 0, 1], 443);
        let pinned = |first: u8| {
            let mut p = ClientParams::new(TimeSource::Fixed(0));
            let mut hashes = [[0u8; 32]; MAX_PINS];
            hashes[0] = [first; 32];
            p.pins = Some(Pins {
                hashes,
                count: 1,
                time: TimeSource::Fixed(0),
            });
            p
        };
        let none = binding(&ClientParams::new(TimeSource::Fixed(0)), peer);
        assert_ne!(binding(&pinned(1), peer), none);
        assert_ne!(binding(&pinned(1), peer), binding(&pinned(2), peer));
        assert_eq!(binding(&pinned(1), peer), binding(&pinned(1), peer));
    }

    /// The blob round trip and every refusal, on the one process-wide store
    /// (one test function, so no other test races it).
    #[test]
    fn blob_round_trip_and_refusals() {
        let b: Binding = [7; 16];
        assert_eq!(load(&[0; 64]), Err(LoadError::Version(0)));
        assert!(set_capacity(1));
        {
            let mut s = STORE.lock();
            let e = s.find_or_take(&b).unwrap();
            e.kind = KIND_TLS12;
            e.len = 5;
            e.value[..5].copy_from_slice(b"hello");
        }
        let mut out = [0u8; BLOB_MAX];
        assert_eq!(save(&b, &mut out[..20]), Err(SaveError::TooSmall(35)));
        assert_eq!(save(&[8; 16], &mut out), Err(SaveError::NoSession));
        let n = save(&b, &mut out).unwrap();
        assert_eq!(n, BLOB_HEADER + 5 + BLOB_CHECK);
        assert_eq!(out[0], BLOB_VERSION);
        let blob = out[..n].to_vec();
        // Wipe the store, then bring the session back from the blob.
        assert!(set_capacity(0));
        assert_eq!(load(&blob), Err(LoadError::CacheOff));
        assert!(set_capacity(1));
        assert_eq!(load(&blob), Ok(()));
        let mut again = [0u8; BLOB_MAX];
        assert_eq!(save(&b, &mut again), Ok(n));
        assert_eq!(&again[..n], &blob[..]);
        // Any flipped bit is refused.
        for i in 0..n {
            let mut bad = blob.clone();
            bad[i] ^= 0x10;
            assert!(load(&bad).is_err(), "flip at {i} accepted");
        }
        assert_eq!(load(&blob[..n - 1]), Err(LoadError::Truncated));
        // A TLS 1.3 session (saved by a build with TLS 1.3) loads only where
        // TLS 1.3 is compiled in; a TLS 1.2-only build refuses it by name.
        STORE.lock().find_or_take(&b).unwrap().kind = KIND_TLS13;
        let n13 = save(&b, &mut out).unwrap();
        assert_eq!(out[1], KIND_TLS13);
        let want = if cfg!(feature = "tls13") {
            Ok(())
        } else {
            Err(LoadError::Tls13NotCompiled)
        };
        assert_eq!(load(&out[..n13]), want);
        assert!(set_capacity(0));
        assert!(!set_capacity(MAX_ENTRIES as u8 + 1));
    }
}
