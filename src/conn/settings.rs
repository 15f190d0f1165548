//! Process-wide settings made through the vendor API before a connection
//! starts: buffer size, CA and own-certificate sectors, the server's
//! certificate and key. The vendor keeps these globally too; connections
//! snapshot them when their handshake starts, so changing them later never
//! affects a live session. Per-espconn settings are in [`super::records`].

use alloc::vec::Vec;

use spin::Mutex;

/// `ESPCONN_SECURE_DEFAULT_SIZE` and the range `espconn_secure_set_size` accepts.
pub const DEFAULT_SIZE: u16 = 2048;
pub const MIN_SIZE: u16 = 2048;
pub const MAX_SIZE: u16 = 8192;

/// Vendor `level` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Client,
    Server,
    Both,
}

impl Level {
    /// The vendor's range check: 1..=3.
    pub fn from_raw(level: u8) -> Option<Level> {
        match level {
            1 => Some(Level::Client),
            2 => Some(Level::Server),
            3 => Some(Level::Both),
            _ => None,
        }
    }

    fn sides(self) -> &'static [usize] {
        match self {
            Level::Client => &[0],
            Level::Server => &[1],
            Level::Both => &[0, 1],
        }
    }
}

/// Which side of a connection a setting applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client = 0,
    Server = 1,
}

pub struct Settings {
    size: u16,
    /// Whether the program called `espconn_secure_set_size`; only then does the
    /// size cap incoming records (otherwise the buffer grows to what the
    /// server sends, up to the TLS maximum).
    size_set: bool,
    /// The record size client connections ask the server for
    /// (max_fragment_length / record_size_limit); 0: none.
    fragment_length: u16,
    ca_sector: [Option<u32>; 2],
    cert_sector: [Option<u32>; 2],
    /// The server's own certificate and key (`espconn_secure_set_default_*`),
    /// copied as given (PEM or DER); parsed at every server handshake.
    server_cert: Option<Vec<u8>>,
    server_key: Option<Vec<u8>>,
    /// Seconds a handshake may take from TCP connect (0: no limit).
    handshake_timeout: u16,
}

static SETTINGS: Mutex<Settings> = Mutex::new(Settings {
    size: DEFAULT_SIZE,
    size_set: false,
    fragment_length: 0,
    ca_sector: [None; 2],
    cert_sector: [None; 2],
    server_cert: None,
    server_key: None,
    handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
});

/// Seconds a handshake may take by default (BearSSL's figure).
pub const DEFAULT_HANDSHAKE_TIMEOUT: u16 = 15;
/// Longest handshake timeout accepted: one hour, well inside what one SDK
/// timer can count (`os_timer_arm` takes at most ~6870 s).
pub const MAX_HANDSHAKE_TIMEOUT: u16 = 3600;

/// `espconn_secure_set_handshake_timeout`: false above
/// [`MAX_HANDSHAKE_TIMEOUT`] (nothing changed); 0 means no limit.
pub fn set_handshake_timeout(seconds: u16) -> bool {
    if seconds > MAX_HANDSHAKE_TIMEOUT {
        return false;
    }
    SETTINGS.lock().handshake_timeout = seconds;
    true
}

/// The handshake timeout connections start with (0: none).
pub fn handshake_timeout() -> u16 {
    SETTINGS.lock().handshake_timeout
}

/// Largest certificate or key `espconn_secure_set_default_*` accepts (the vendor's limit).
pub const MAX_DEFAULT_OBJECT: usize = 8192;

/// Which default object of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultObject {
    Certificate,
    PrivateKey,
}

/// `espconn_secure_set_default_certificate` / `_private_key`: keep a copy,
/// replacing (and freeing) the previous one. False when empty, larger than
/// 8192 bytes, or the heap cannot hold the copy.
pub fn set_default(what: DefaultObject, data: &[u8]) -> bool {
    if data.is_empty() || data.len() > MAX_DEFAULT_OBJECT {
        return false;
    }
    let mut v = Vec::new();
    if v.try_reserve_exact(data.len()).is_err() {
        return false;
    }
    v.extend_from_slice(data);
    let mut s = SETTINGS.lock();
    let old = match what {
        DefaultObject::Certificate => s.server_cert.replace(v),
        DefaultObject::PrivateKey => s.server_key.replace(v),
    };
    drop(s);
    if let Some(old) = old {
        wipe(old);
    }
    true
}

/// `espconn_secure_delete`: forget (and free) the default certificate and key.
pub fn clear_defaults() {
    let mut s = SETTINGS.lock();
    let cert = s.server_cert.take();
    let key = s.server_key.take();
    drop(s);
    cert.into_iter().chain(key).for_each(wipe);
}

/// Overwrite key material before it goes back to the heap.
pub fn wipe(mut v: Vec<u8>) {
    for b in v.iter_mut() {
        *b = 0;
    }
    core::hint::black_box(&v);
}

/// A copy of a default object (None when not set), made fallibly under the
/// settings lock so that nothing that could fail half-way (parsing) runs while
/// the lock is held: an engine step abandoned there would leave it locked.
/// Wipe a private key's copy with [`wipe`] after use.
pub fn copy_default(what: DefaultObject) -> Result<Option<Vec<u8>>, crate::error::Failure> {
    let s = SETTINGS.lock();
    let Some(data) = (match what {
        DefaultObject::Certificate => s.server_cert.as_deref(),
        DefaultObject::PrivateKey => s.server_key.as_deref(),
    }) else {
        return Ok(None);
    };
    let mut v = Vec::new();
    v.try_reserve_exact(data.len()).map_err(|_| {
        crate::fail!(
            crate::error::code::SSL_ALLOC_FAILED,
            "out of memory copying the default {} ({} bytes)",
            match what {
                DefaultObject::Certificate => "certificate",
                DefaultObject::PrivateKey => "private key",
            },
            data.len()
        )
    })?;
    v.extend_from_slice(data);
    Ok(Some(v))
}

/// `espconn_secure_set_size`: false outside 2048..=8192. Client
/// connections then also ask for the largest fragment length not above
/// `size` (2048 or 4096).
pub fn set_size(level: Level, size: u16) -> bool {
    let _ = level; // one global size for every level, as the vendor
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return false;
    }
    let mut s = SETTINGS.lock();
    s.size = size;
    s.size_set = true;
    s.fragment_length = FRAGMENT_LENGTHS
        .iter()
        .copied()
        .filter(|&n| n <= size)
        .max()
        .unwrap_or(0);
    true
}

/// The lengths max_fragment_length can name (RFC 6066).
pub const FRAGMENT_LENGTHS: [u16; 4] = [512, 1024, 2048, 4096];

/// `espconn_secure_set_fragment_length`: false for the server level alone
/// (our server does not answer the request) and for a length other than 0
/// (ask for nothing) or one of [`FRAGMENT_LENGTHS`].
pub fn set_fragment_length(level: Level, n: u16) -> bool {
    if level == Level::Server || (n != 0 && !FRAGMENT_LENGTHS.contains(&n)) {
        return false;
    }
    SETTINGS.lock().fragment_length = n;
    true
}

/// The record size client connections ask for (0: none).
pub fn fragment_length() -> u16 {
    SETTINGS.lock().fragment_length
}

/// The size `espconn_secure_get_size` reports.
pub fn size() -> u16 {
    SETTINGS.lock().size
}

/// The cap on incoming record plaintext: the user's size if they set one,
/// else the TLS maximum (the buffer still starts small and grows on demand).
pub fn record_cap() -> usize {
    let s = SETTINGS.lock();
    if s.size_set {
        usize::from(s.size)
    } else {
        16384
    }
}

pub fn set_ca(level: Level, sector: Option<u32>) {
    let mut s = SETTINGS.lock();
    for &i in level.sides() {
        s.ca_sector[i] = sector;
    }
}

pub fn set_cert(level: Level, sector: Option<u32>) {
    let mut s = SETTINGS.lock();
    for &i in level.sides() {
        s.cert_sector[i] = sector;
    }
}

pub fn ca_sector(side: Side) -> Option<u32> {
    SETTINGS.lock().ca_sector[side as usize]
}

pub fn cert_sector(side: Side) -> Option<u32> {
    SETTINGS.lock().cert_sector[side as usize]
}
