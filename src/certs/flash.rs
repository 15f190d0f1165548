//! The vendor's certificate flash format (reference §4.1).
//!
//! An image (`esp_ca_cert.bin`, `esp_cert_private_key.bin`) is a plain
//! concatenation of records:
//!
//! | offset | size | field                                            |
//! |--------|------|--------------------------------------------------|
//! | 0      | 32   | name, ASCII, NUL-padded (no NUL if 32 chars long) |
//! | 32     | 2    | payload length, little-endian `u16`              |
//! | 34     | N    | payload: PEM text or DER, unchanged              |
//!
//! Reading starts at the sector start and stops at a header whose length is
//! `0xFFFF` (erased flash) or at [`MAX_IMAGE`] bytes. The CA is the first record
//! whatever its name; the own certificate and key are the first records whose
//! names start with `certificate` / `private_key` (11-byte compare, as the
//! vendor reader does).
//!
//! As an extension, a sector may also hold one raw object at offset 0 (PEM text
//! starting with `-----BEGIN`, or DER starting with `0x30 0x82`), as
//! `espconn_secure_obj_load` expects; such a sector answers every lookup with
//! that object.
//!
//! Everything here is a pure function over byte slices, except
//! [`read_object`], which reads through a caller-supplied flash reader.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use crate::error::{code, Failure};
use crate::fail;

/// Size of the name field.
pub const NAME_LEN: usize = 32;
/// Size of a record header (name + length), `sizeof(file_head)` on the chip.
pub const HEADER_LEN: usize = 34;
/// The vendor reader refuses to read past this many bytes from the sector start
/// (`ESPCONN_SECURE_MAX_SIZE`): images must fit in two sectors.
pub const MAX_IMAGE: usize = 8192;
/// Flash sector size; `ca_enable(level, 0x77)` means address `0x77 * 4096`.
pub const SECTOR_SIZE: u32 = 4096;
/// The length field of erased flash, which ends the record list.
pub const ERASED_LEN: u16 = 0xFFFF;

/// Name prefix of the own-certificate record.
pub const CERTIFICATE_NAME: &str = "certificate";
/// Name prefix of the private-key record.
pub const PRIVATE_KEY_NAME: &str = "private_key";
/// The vendor compares this many bytes of the name.
const PREFIX_LEN: usize = 11;

/// What a lookup is for; decides the lookup rule and the error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// The CA certificate(s): the first record, whatever its name.
    Ca,
    /// The own certificate: first record named `certificate*`.
    Certificate,
    /// The own private key: first record named `private_key*`.
    PrivateKey,
}

impl Object {
    /// The code reported when the object is absent (erased or empty sector, no
    /// record with the name).
    pub fn missing_code(self) -> i32 {
        match self {
            Object::Ca => code::SSL_CA_CHAIN_REQUIRED,
            Object::Certificate => code::SSL_CERTIFICATE_REQUIRED,
            Object::PrivateKey => code::SSL_PRIVATE_KEY_REQUIRED,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Object::Ca => "CA",
            Object::Certificate => "certificate",
            Object::PrivateKey => "private key",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Object::Ca => "esp_ca_cert.bin",
            _ => "esp_cert_private_key.bin",
        }
    }

    fn matches(self, name: &[u8]) -> bool {
        let want = match self {
            Object::Ca => return true,
            Object::Certificate => CERTIFICATE_NAME,
            Object::PrivateKey => PRIVATE_KEY_NAME,
        };
        name.len() >= PREFIX_LEN && name[..PREFIX_LEN] == want.as_bytes()[..PREFIX_LEN]
    }
}

/// Where an image came from, for the wording of reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A flash sector number (`0x77` = address `0x77000`).
    Sector(u32),
    /// A file or buffer on the host.
    Image,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Sector(s) => write!(f, "sector {s:#x}"),
            Place::Image => f.write_str("image"),
        }
    }
}

/// Payload encoding, by the vendor's rule: PEM if it contains `-----BEGIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Pem,
    Der,
}

impl Encoding {
    /// Classifies a payload the way the vendor glue does.
    pub fn of(payload: &[u8]) -> Encoding {
        if contains(payload, b"-----BEGIN") {
            Encoding::Pem
        } else {
            Encoding::Der
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Pem => "PEM",
            Encoding::Der => "DER",
        })
    }
}

/// One record of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Offset of the record header from the image start.
    pub offset: usize,
    /// The name bytes up to the first NUL (at most 32).
    pub name: &'a [u8],
    /// The payload bytes.
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// Offset of the first byte after this record.
    pub fn end(&self) -> usize {
        self.offset + HEADER_LEN + self.payload.len()
    }

    /// The name for display; non-ASCII bytes are escaped.
    pub fn name_display(&self) -> NameDisplay<'a> {
        NameDisplay(self.name)
    }

    /// PEM or DER, by the vendor's rule.
    pub fn encoding(&self) -> Encoding {
        Encoding::of(self.payload)
    }
}

/// Displays a record name with non-printable bytes as `\xNN`.
#[derive(Clone, Copy, Debug)]
pub struct NameDisplay<'a>(pub &'a [u8]);

impl fmt::Display for NameDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            if (0x20..0x7F).contains(&b) && b != b'\\' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Why reading stopped.
#[derive(Clone, Debug)]
pub enum Stop {
    /// A header with length 0xFFFF at this offset (erased flash): the normal end.
    Erased { offset: usize },
    /// The data ended exactly after the last record (a `.bin` file on the host;
    /// on flash the device goes on reading whatever follows).
    EndOfData { offset: usize },
    /// The 8192-byte limit was reached exactly.
    Limit,
    /// A record is cut short or runs past 8192 bytes.
    Corrupt { offset: usize, failure: Failure },
}

impl Stop {
    /// Offset where reading stopped.
    pub fn offset(&self) -> usize {
        match self {
            Stop::Erased { offset } | Stop::EndOfData { offset } => *offset,
            Stop::Limit => MAX_IMAGE,
            Stop::Corrupt { offset, .. } => *offset,
        }
    }
}

// `Failure` has no PartialEq; its code and text identify it.
impl PartialEq for Stop {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Stop::Erased { offset: a }, Stop::Erased { offset: b })
            | (Stop::EndOfData { offset: a }, Stop::EndOfData { offset: b }) => a == b,
            (Stop::Limit, Stop::Limit) => true,
            (
                Stop::Corrupt {
                    offset: a,
                    failure: fa,
                },
                Stop::Corrupt {
                    offset: b,
                    failure: fb,
                },
            ) => a == b && fa.code == fb.code && fa.reason.as_str() == fb.reason.as_str(),
            _ => false,
        }
    }
}

/// Iterator over the records of an image, in the order the device reads them.
///
/// Yields `Ok(record)` for each complete record and at most one `Err` for a
/// truncated or oversized record, then ends. Use [`Records::stop`] after the
/// iteration to learn why it ended.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    image: &'a [u8],
    pos: usize,
    stop: Option<Stop>,
}

/// Iterates over the records of `image` (at most the first 8192 bytes count).
pub fn records(image: &[u8]) -> Records<'_> {
    Records {
        image,
        pos: 0,
        stop: None,
    }
}

impl<'a> Records<'a> {
    /// Why the iteration ended (`None` while it has not).
    pub fn stop(&self) -> Option<&Stop> {
        self.stop.as_ref()
    }

    fn end(&mut self, stop: Stop) -> Option<Result<Record<'a>, Failure>> {
        let out = match &stop {
            Stop::Corrupt { failure, .. } => Some(Err(*failure)),
            _ => None,
        };
        self.stop = Some(stop);
        out
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stop.is_some() {
            return None;
        }
        let pos = self.pos;
        let limit = self.image.len().min(MAX_IMAGE);
        if pos >= MAX_IMAGE {
            return self.end(Stop::Limit);
        }
        if pos >= limit {
            return self.end(Stop::EndOfData { offset: pos });
        }
        let rest = &self.image[pos..limit];
        if rest.len() < HEADER_LEN {
            // The last bytes of a file: erased padding is a normal end, anything
            // else is a header cut short.
            if rest.iter().all(|&b| b == 0xFF) {
                return self.end(Stop::Erased { offset: pos });
            }
            let failure = fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "record header at offset {pos} is cut short: {} of {HEADER_LEN} bytes; the image is truncated",
                rest.len()
            );
            return self.end(Stop::Corrupt {
                offset: pos,
                failure,
            });
        }
        let len = u16::from_le_bytes([rest[32], rest[33]]);
        if len == ERASED_LEN {
            return self.end(Stop::Erased { offset: pos });
        }
        let name_field = &rest[..NAME_LEN];
        let name_len = name_field.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        let name = &name_field[..name_len];
        let len = usize::from(len);
        let end = pos + HEADER_LEN + len;
        if end > MAX_IMAGE {
            let failure = fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "record '{}' at offset {pos} claims {len} bytes, ending at {end}, past the {MAX_IMAGE}-byte limit; image corrupt or too large",
                NameDisplay(name)
            );
            return self.end(Stop::Corrupt {
                offset: pos,
                failure,
            });
        }
        if end > limit {
            let failure = fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "record '{}' at offset {pos} claims {len} bytes but only {} follow; image truncated or corrupt",
                NameDisplay(name),
                limit - pos - HEADER_LEN
            );
            return self.end(Stop::Corrupt {
                offset: pos,
                failure,
            });
        }
        self.pos = end;
        Some(Ok(Record {
            offset: pos,
            name,
            payload: &rest[HEADER_LEN..HEADER_LEN + len],
        }))
    }
}

/// A whole image read at once: its records and why reading stopped.
#[derive(Clone, Debug)]
pub struct Scan<'a> {
    pub records: Vec<Record<'a>>,
    pub stop: Stop,
}

/// Reads all records of `image` (for the host tool and tests).
pub fn scan(image: &[u8]) -> Scan<'_> {
    let mut it = records(image);
    let mut out = Vec::new();
    for r in it.by_ref().flatten() {
        out.push(r);
    }
    let stop = it.stop().cloned().unwrap_or(Stop::Limit);
    Scan { records: out, stop }
}

/// A raw object stored at offset 0 instead of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raw<'a> {
    Pem(&'a [u8]),
    Der(&'a [u8]),
}

/// Detects a raw PEM or DER object at the start of `image` (the sector holds a
/// bare `.pem`/`.der` file rather than records).
///
/// PEM ends at the first NUL or 0xFF byte (erased flash); DER is one
/// `SEQUENCE` with a two-byte length, cut to that length. A DER object longer
/// than the image yields `None` (then the image is treated as records and
/// fails there with a precise reason).
pub fn detect_raw(image: &[u8]) -> Option<Raw<'_>> {
    let image = &image[..image.len().min(MAX_IMAGE)];
    if image.starts_with(b"-----BEGIN") {
        let end = image
            .iter()
            .position(|&b| b == 0 || b == 0xFF)
            .unwrap_or(image.len());
        return Some(Raw::Pem(&image[..end]));
    }
    if image.len() >= 4 && image[0] == 0x30 && image[1] == 0x82 {
        let len = 4 + ((usize::from(image[2]) << 8) | usize::from(image[3]));
        return image.get(..len).map(Raw::Der);
    }
    None
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found<'a> {
    /// Record name (empty for a raw object).
    pub name: &'a [u8],
    /// Offset of the record header (0 for a raw object).
    pub offset: usize,
    pub payload: &'a [u8],
    /// True when the sector held a raw object rather than records.
    pub raw: bool,
}

/// Finds `what` in `image` by the device's rules (see the module doc).
///
/// Errors: erased or empty sector, or no record of that name ->
/// `what.missing_code()`; a record cut short or running past 8192 bytes before
/// the wanted one is found -> `X509_CERT_UNKNOWN_FORMAT` with the offset. An
/// empty payload counts as missing.
pub fn find(image: &[u8], what: Object, place: Place) -> Result<Found<'_>, Failure> {
    match detect_raw(image) {
        Some(Raw::Pem(p)) | Some(Raw::Der(p)) => {
            return Ok(Found {
                name: &[],
                offset: 0,
                payload: p,
                raw: true,
            })
        }
        None => {}
    }
    let mut it = records(image);
    let mut seen = 0usize;
    for r in it.by_ref() {
        let r = r?;
        seen += 1;
        if what.matches(r.name) {
            if r.payload.is_empty() {
                return Err(fail!(
                    what.missing_code(),
                    "{} record '{}' in {place} at offset {} is empty: rewrite {}",
                    what.label(),
                    r.name_display(),
                    r.offset,
                    what.file()
                ));
            }
            return Ok(Found {
                name: r.name,
                offset: r.offset,
                payload: r.payload,
                raw: false,
            });
        }
    }
    let stop = it.stop().cloned().unwrap_or(Stop::Limit);
    Err(missing(what, place, seen, &stop, image))
}

fn missing(what: Object, place: Place, seen: usize, stop: &Stop, image: &[u8]) -> Failure {
    let c = what.missing_code();
    let tool = match place {
        Place::Sector(_) => " with espcert/esptool",
        Place::Image => "",
    };
    if seen == 0 {
        let erased = image.iter().take(HEADER_LEN).all(|&b| b == 0xFF);
        if image.is_empty() || erased {
            return fail!(
                c,
                "{} {place} is erased (0xFF): write {} there{tool}",
                what.label(),
                what.file()
            );
        }
        return fail!(
            c,
            "{} {place} holds no records (stopped at offset {}): write {} there{tool}",
            what.label(),
            stop.offset(),
            what.file()
        );
    }
    let name = match what {
        Object::Certificate => CERTIFICATE_NAME,
        _ => PRIVATE_KEY_NAME,
    };
    fail!(
        c,
        "no record named '{name}' in {place} ({seen} records, reading stopped at offset {}): pack the {} with espcert pack --cert/--key",
        stop.offset(),
        what.label()
    )
}

/// Builds one record: the name NUL-padded to 32 bytes, the payload length as
/// little-endian `u16`, then the payload unchanged (byte-for-byte what the
/// vendor scripts write).
///
/// Refuses an empty name or one over 32 bytes or containing NUL (the vendor
/// script crashes on long names), and a payload whose record would not fit in
/// 8192 bytes (the length field can never legitimately be 0xFFFF).
pub fn encode_record(name: &str, payload: &[u8]) -> Result<Vec<u8>, Failure> {
    let nb = name.as_bytes();
    if nb.is_empty() || nb.len() > NAME_LEN {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "record name '{name}' is {} bytes; it must be 1 to {NAME_LEN} bytes (use --name)",
            nb.len()
        ));
    }
    if nb.contains(&0) {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "record name contains a NUL byte"
        ));
    }
    if payload.len() + HEADER_LEN > MAX_IMAGE {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "record '{name}' would be {} bytes; an image may hold at most {MAX_IMAGE}",
            payload.len() + HEADER_LEN
        ));
    }
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(nb);
    out.resize(NAME_LEN, 0);
    // Fits: checked against MAX_IMAGE above.
    out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Concatenates records into an image, refusing one over 8192 bytes.
pub fn encode_image<'p, I>(records: I) -> Result<Vec<u8>, Failure>
where
    I: IntoIterator<Item = (&'p str, &'p [u8])>,
{
    let mut out = Vec::new();
    for (name, payload) in records {
        let rec = encode_record(name, payload)?;
        if out.len() + rec.len() > MAX_IMAGE {
            return Err(fail!(
                code::X509_BAD_INPUT_DATA,
                "image would be {} bytes with record '{name}'; the device reads at most {MAX_IMAGE} (two sectors)",
                out.len() + rec.len()
            ));
        }
        out.extend_from_slice(&rec);
    }
    Ok(out)
}

/// An object loaded from flash by [`read_object`]. The payload is zeroized on
/// drop because it may be a private key.
#[derive(Debug)]
pub struct Loaded {
    /// Record name (empty for a raw object).
    pub name: String,
    /// Offset of the record header in the sector (0 for a raw object).
    pub offset: usize,
    pub payload: Zeroizing<Vec<u8>>,
}

/// Reads `what` from flash `sector` through `read(addr, words) -> ok`, which
/// must fill `words` from the 4-byte-aligned `addr` (like `spi_flash_read`).
///
/// Reads record headers one by one and then only the wanted payload, never
/// more than 8192 bytes from the sector start. A failed read gives
/// `what.missing_code()` with the address. Other errors as in [`find`].
pub fn read_object<F>(sector: u32, what: Object, read: F) -> Result<Loaded, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    read_object_within(sector, what, read, &mut |_| Ok(()))
}

/// [`read_object`] that asks `room(bytes)` before it allocates: `bytes` is
/// what loading and parsing the object will need at most (payload, decoded
/// DER and parser scratch). The device uses it to refuse cleanly when the
/// heap cannot hold a large image, instead of running out half-way.
pub fn read_object_within<F>(
    sector: u32,
    what: Object,
    mut read: F,
    room: &mut dyn FnMut(usize) -> Result<(), Failure>,
) -> Result<Loaded, Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    read_object_dyn(sector, what, &mut read, room)
}

/// The body of [`read_object_within`], compiled once for every reader type
/// (one copy of ~2 KB of flash instead of one per caller's closure type).
fn read_object_dyn(
    sector: u32,
    what: Object,
    mut read: &mut dyn FnMut(u32, &mut [u32]) -> bool,
    room: &mut dyn FnMut(usize) -> Result<(), Failure>,
) -> Result<Loaded, Failure> {
    let place = Place::Sector(sector);
    let base = sector.checked_mul(SECTOR_SIZE).ok_or_else(|| {
        fail!(
            what.missing_code(),
            "{} sector {sector:#x} is outside the flash address space",
            what.label()
        )
    })?;
    let mut head = [0u8; HEADER_LEN];
    read_bytes(&mut read, base, 0, &mut head, what)?;

    // A raw object at offset 0.
    if head.starts_with(b"-----BEGIN") {
        room(parse_need(MAX_IMAGE))?;
        let mut buf = Zeroizing::new(Vec::new());
        let mut chunk = [0u8; 256];
        let mut off = 0usize;
        while off < MAX_IMAGE {
            let n = chunk.len().min(MAX_IMAGE - off);
            read_bytes(&mut read, base, off, &mut chunk[..n], what)?;
            if let Some(end) = chunk[..n].iter().position(|&b| b == 0 || b == 0xFF) {
                buf.extend_from_slice(&chunk[..end]);
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            off += n;
        }
        chunk.fill(0);
        return Ok(Loaded {
            name: String::new(),
            offset: 0,
            payload: buf,
        });
    }
    if head[0] == 0x30 && head[1] == 0x82 {
        let len = 4 + ((usize::from(head[2]) << 8) | usize::from(head[3]));
        if len <= MAX_IMAGE {
            room(parse_need(len))?;
            let mut buf = Zeroizing::new(alloc::vec![0u8; len]);
            read_bytes(&mut read, base, 0, &mut buf, what)?;
            return Ok(Loaded {
                name: String::new(),
                offset: 0,
                payload: buf,
            });
        }
    }

    let mut off = 0usize;
    let mut seen = 0usize;
    let stop = loop {
        if off >= MAX_IMAGE {
            break Stop::Limit;
        }
        if off + HEADER_LEN > MAX_IMAGE {
            // The vendor reader refuses the read; only erased bytes are benign.
            let mut tail = [0u8; HEADER_LEN];
            let n = MAX_IMAGE - off;
            read_bytes(&mut read, base, off, &mut tail[..n], what)?;
            if tail[..n].iter().all(|&b| b == 0xFF) {
                break Stop::Erased { offset: off };
            }
            return Err(fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "record header at offset {off} in {place} crosses the {MAX_IMAGE}-byte limit; image corrupt"
            ));
        }
        if off > 0 {
            read_bytes(&mut read, base, off, &mut head, what)?;
        }
        let len = u16::from_le_bytes([head[32], head[33]]);
        if len == ERASED_LEN {
            break Stop::Erased { offset: off };
        }
        let name_len = head[..NAME_LEN]
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(NAME_LEN);
        let name = &head[..name_len];
        let len = usize::from(len);
        let end = off + HEADER_LEN + len;
        if end > MAX_IMAGE {
            return Err(fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "record '{}' at offset {off} in {place} claims {len} bytes, past the {MAX_IMAGE}-byte limit; image corrupt",
                NameDisplay(name)
            ));
        }
        seen += 1;
        if what.matches(name) {
            if len == 0 {
                return Err(fail!(
                    what.missing_code(),
                    "{} record '{}' in {place} at offset {off} is empty: rewrite {}",
                    what.label(),
                    NameDisplay(name),
                    what.file()
                ));
            }
            room(parse_need(len))?;
            let mut buf = Zeroizing::new(alloc::vec![0u8; len]);
            read_bytes(&mut read, base, off + HEADER_LEN, &mut buf, what)?;
            return Ok(Loaded {
                name: String::from_utf8_lossy(name).into_owned(),
                offset: off,
                payload: buf,
            });
        }
        off = end;
    };
    Err(missing(what, place, seen, &stop, &head))
}

/// Heap that loading a `len`-byte payload may need at most: the payload, its
/// DER form (smaller than PEM) and the parsers' scratch.
pub fn parse_need(len: usize) -> usize {
    2 * len + 1024
}

/// Reads `out.len()` bytes at byte offset `off` of the sector through
/// word-aligned reads, one small stack chunk at a time.
pub(crate) fn read_bytes<F>(
    read: &mut F,
    base: u32,
    off: usize,
    out: &mut [u8],
    what: Object,
) -> Result<(), Failure>
where
    F: FnMut(u32, &mut [u32]) -> bool,
{
    let mut words = [0u32; 32];
    let mut done = 0usize;
    while done < out.len() {
        let pos = off + done;
        let aligned = pos & !3;
        let skip = pos - aligned;
        let want = (out.len() - done + skip).div_ceil(4).min(words.len());
        // `off` stays below MAX_IMAGE, so this fits in u32.
        let addr = base.wrapping_add(aligned as u32);
        if !read(addr, &mut words[..want]) {
            words.fill(0);
            return Err(fail!(
                what.missing_code(),
                "flash read of {} at {addr:#x} failed",
                what.label()
            ));
        }
        let mut bytes = [0u8; 128];
        for (i, w) in words[..want].iter().enumerate() {
            // spi_flash_read fills words in memory order: little-endian on the chip.
            bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        let avail = want * 4 - skip;
        let n = avail.min(out.len() - done);
        out[done..done + n].copy_from_slice(&bytes[skip..skip + n]);
        done += n;
        bytes.fill(0);
    }
    words.fill(0);
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find_bytes(hay, needle).is_some()
}

/// Position of `needle` in `hay`.
pub(crate) fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn padded(mut img: Vec<u8>, to: usize) -> Vec<u8> {
        img.resize(to, 0xFF);
        img
    }

    #[test]
    fn record_bytes_match_vendor_layout() {
        // Reference §4.3: name `TLS.ca_x509.cer` NUL-padded to 32, then 0x02f1 LE.
        let payload = vec![b'-'; 753];
        let rec = encode_record("TLS.ca_x509.cer", &payload).unwrap();
        assert_eq!(rec.len(), 787);
        let mut want = b"TLS.ca_x509.cer".to_vec();
        want.resize(32, 0);
        want.extend_from_slice(&[0xf1, 0x02]);
        assert_eq!(&rec[..34], &want[..]);
        assert_eq!(&rec[34..], &payload[..]);
        // A 32-byte name has no NUL.
        let n32 = "abcdefghijklmnopqrstuvwxyz012345";
        let rec = encode_record(n32, b"x").unwrap();
        assert_eq!(&rec[..32], n32.as_bytes());
        assert_eq!(&rec[32..], &[1, 0, b'x']);
    }

    #[test]
    fn encoder_refusals() {
        assert!(encode_record("abcdefghijklmnopqrstuvwxyz0123456", b"x").is_err());
        assert!(encode_record("", b"x").is_err());
        assert!(encode_record("a\0b", b"x").is_err());
        assert!(encode_record("a", &vec![0; MAX_IMAGE - HEADER_LEN]).is_ok());
        assert!(encode_record("a", &vec![0; MAX_IMAGE - HEADER_LEN + 1]).is_err());
        let big = vec![1u8; 5000];
        let e = encode_image([("a", &big[..]), ("b", &big[..])]).unwrap_err();
        assert_eq!(e.code, code::X509_BAD_INPUT_DATA);
        assert!(e.reason.as_str().contains("8192"));
    }

    fn two_records() -> Vec<u8> {
        encode_image([
            ("certificate", &b"-----BEGIN CERT"[..]),
            ("private_key", &b"\x30\x03\x02\x01\x00"[..]),
        ])
        .unwrap()
    }

    #[test]
    fn lookups_follow_vendor_rules() {
        let img = padded(two_records(), 8192);
        let ca = find(&img, Object::Ca, Place::Sector(0x78)).unwrap();
        assert_eq!(ca.name, b"certificate");
        let c = find(&img, Object::Certificate, Place::Image).unwrap();
        assert_eq!((c.offset, c.payload), (0, &b"-----BEGIN CERT"[..]));
        let k = find(&img, Object::PrivateKey, Place::Image).unwrap();
        assert_eq!(k.offset, 34 + 15);
        assert_eq!(k.payload, b"\x30\x03\x02\x01\x00");
        let s = scan(&img);
        assert_eq!(s.records.len(), 2);
        assert_eq!(
            s.stop,
            Stop::Erased {
                offset: 34 + 15 + 34 + 5
            }
        );
        // Unpadded file: ends with the data.
        let unpadded = two_records();
        let s = scan(&unpadded);
        assert!(matches!(s.stop, Stop::EndOfData { .. }));
        // Prefix compare of 11 bytes, as the vendor: `private_key.key_1024` matches.
        let img = encode_record("private_key.key_1024", b"k").unwrap();
        assert!(find(&img, Object::PrivateKey, Place::Image).is_ok());
        let img = encode_record("private_ke", b"k").unwrap();
        assert!(find(&img, Object::PrivateKey, Place::Image).is_err());
    }

    #[test]
    fn erased_and_missing() {
        let erased = vec![0xFF; 8192];
        let e = find(&erased, Object::Ca, Place::Sector(0x77)).unwrap_err();
        assert_eq!(e.code, code::SSL_CA_CHAIN_REQUIRED);
        assert!(
            e.reason.as_str().contains("sector 0x77 is erased"),
            "{}",
            e.reason
        );
        let e = find(&erased, Object::Certificate, Place::Sector(0x78)).unwrap_err();
        assert_eq!(e.code, code::SSL_CERTIFICATE_REQUIRED);
        let e = find(&[], Object::PrivateKey, Place::Image).unwrap_err();
        assert_eq!(e.code, code::SSL_PRIVATE_KEY_REQUIRED);
        // Key lookup in a CA-only image reaches 0xFFFF and fails.
        let img = padded(encode_record("TLS.ca_x509.cer", b"x").unwrap(), 8192);
        let e = find(&img, Object::PrivateKey, Place::Sector(0x77)).unwrap_err();
        assert_eq!(e.code, code::SSL_PRIVATE_KEY_REQUIRED);
        assert!(e.reason.as_str().contains("private_key"), "{}", e.reason);
        // Empty payload counts as missing.
        let img = encode_record("certificate", b"").unwrap();
        let e = find(&img, Object::Certificate, Place::Image).unwrap_err();
        assert_eq!(e.code, code::SSL_CERTIFICATE_REQUIRED);
    }

    #[test]
    fn truncated_and_corrupt() {
        let img = two_records();
        let cut = &img[..img.len() - 2];
        let e = find(cut, Object::PrivateKey, Place::Image).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        assert!(e.reason.as_str().contains("offset 49"), "{}", e.reason);
        // The certificate before the damage is still found.
        assert!(find(cut, Object::Certificate, Place::Image).is_ok());
        // Length running past 8192.
        let mut img = vec![0u8; 8192];
        img[..4].copy_from_slice(b"abcd");
        img[32..34].copy_from_slice(&8190u16.to_le_bytes());
        let e = find(&img, Object::Ca, Place::Image).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        assert!(e.reason.as_str().contains("8192"));
        // Header cut short with garbage.
        let e = find(&img[..20], Object::Ca, Place::Image).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        // Records exactly filling 8192 bytes stop at the limit.
        let img = encode_record("a", &vec![7; MAX_IMAGE - HEADER_LEN]).unwrap();
        assert_eq!(scan(&img).stop, Stop::Limit);
    }

    #[test]
    fn raw_objects() {
        let mut img = b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".to_vec();
        let n = img.len();
        img.resize(4096, 0xFF);
        let f = find(&img, Object::Ca, Place::Image).unwrap();
        assert!(f.raw);
        assert_eq!(f.payload.len(), n);
        let mut der = vec![0x30, 0x82, 0x00, 0x03, 1, 2, 3];
        der.resize(100, 0xFF);
        let f = find(&der, Object::PrivateKey, Place::Image).unwrap();
        assert_eq!(f.payload, &[0x30, 0x82, 0, 3, 1, 2, 3]);
    }

    fn flash_reader(flash: &[u8]) -> impl FnMut(u32, &mut [u32]) -> bool + '_ {
        move |addr, words| {
            assert_eq!(addr % 4, 0, "unaligned read");
            let a = addr as usize;
            for (i, w) in words.iter_mut().enumerate() {
                let p = a + i * 4;
                match flash.get(p..p + 4) {
                    Some(b) => *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    None => return false,
                }
            }
            true
        }
    }

    #[test]
    fn device_reader_matches_slice_parser() {
        let mut flash = vec![0xFF; 0x80000];
        let img = encode_image([
            ("certificate", &b"-----BEGIN CERTIFICATE----- odd"[..]),
            ("private_key", &b"\x30\x03\x02\x01\x05"[..]),
        ])
        .unwrap();
        flash[0x78000..0x78000 + img.len()].copy_from_slice(&img);
        let mut reads = 0usize;
        let mut rd = flash_reader(&flash);
        let mut counting = |a: u32, w: &mut [u32]| {
            reads += w.len() * 4;
            rd(a, w)
        };
        let k = read_object(0x78, Object::PrivateKey, &mut counting).unwrap();
        assert_eq!(&k.payload[..], b"\x30\x03\x02\x01\x05");
        assert_eq!(k.name, "private_key");
        assert_eq!(k.offset, 65);
        assert!(reads < 200, "read {reads} bytes");
        let c = read_object(0x78, Object::Certificate, flash_reader(&flash)).unwrap();
        assert_eq!(&c.payload[..], b"-----BEGIN CERTIFICATE----- odd");
        let e = read_object(0x77, Object::Ca, flash_reader(&flash)).unwrap_err();
        assert_eq!(e.code, code::SSL_CA_CHAIN_REQUIRED);
        assert!(
            e.reason.as_str().contains("sector 0x77 is erased"),
            "{}",
            e.reason
        );
        let e = read_object(0x100, Object::Ca, flash_reader(&flash)).unwrap_err();
        assert!(e.reason.as_str().contains("flash read"), "{}", e.reason);
    }

    #[test]
    fn fuzz_parsers_never_panic() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let base = padded(two_records(), 600);
        for i in 0..20_000 {
            let mut img = if i % 2 == 0 {
                base.clone()
            } else {
                let n = (next() % 700) as usize;
                (0..n).map(|_| next() as u8).collect()
            };
            for _ in 0..(next() % 8) {
                if img.is_empty() {
                    break;
                }
                let p = (next() as usize) % img.len();
                img[p] = next() as u8;
            }
            if next() % 4 == 0 {
                let n = (next() as usize) % (img.len() + 1);
                img.truncate(n);
            }
            for what in [Object::Ca, Object::Certificate, Object::PrivateKey] {
                let a = find(&img, what, Place::Image);
                let mut flash = img.clone();
                flash.resize(8192, 0xFF);
                let b = read_object(0, what, flash_reader(&flash));
                // The device reader and the slice parser agree on padded flash.
                let mut padded_img = img.clone();
                padded_img.resize(8192, 0xFF);
                let c = find(&padded_img, what, Place::Sector(0));
                match (&b, &c) {
                    (Ok(x), Ok(y)) => assert_eq!(&x.payload[..], y.payload),
                    (Err(x), Err(y)) => assert_eq!(x.code, y.code),
                    _ => panic!("reader and parser disagree on {img:02x?}: {b:?} vs {c:?}"),
                }
                let _ = a;
            }
            let _ = scan(&img);
        }
    }
}
