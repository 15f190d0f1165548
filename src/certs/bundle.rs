//! CA bundles: many trust anchors in one image that spans as many flash
//! sectors as it needs, read one anchor at a time (`espcert bundle` writes
//! them; `espconn_secure_ca_enable(level, sector)` takes them as it takes a
//! vendor image).
//!
//! An anchor is what path validation needs of a root, not the whole
//! certificate: its subject name, its SubjectPublicKeyInfo and its name
//! constraints, as webpki's `TrustAnchor` holds them (each the DER contents,
//! without the outer tag and length). The index is sorted by a hash of the
//! subject, so the verifier finds the anchor a chain needs by the issuer
//! name of a chain certificate with a binary search, reading only a few
//! index entries and that anchor.
//!
//! Layout (integers little-endian):
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0  | 8  | magic [`MAGIC`] (`\xE5CABUNDL`: its first byte is no vendor record name, no PEM, no DER) |
//! | 8  | 1  | version, [`VERSION`] |
//! | 9  | 1  | 0 |
//! | 10 | 2  | count of anchors |
//! | 12 | 4  | length of the whole image in bytes |
//! | 16 | 8  | the first 8 bytes of SHA-256 over bytes 0..16 and the index |
//! | 24 | 16 × count | index, sorted by subject hash: hash (4, the first bytes of SHA-256 of the subject), offset of the anchor from the image start (4), its length (2), 0 (2), the first 4 bytes of SHA-256 of the anchor's bytes (4) |
//! | .. | .. | anchors: subject length (2), SPKI length (2), name-constraints length (2, 0: none), then the three |
//!
//! The header checksum covers the index, and the index holds each anchor's
//! checksum, so corrupt flash is reported (-0x2780, naming the sector) at
//! handshake start for the index and when an anchor is read for the anchor.

use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::error::{code, Failure};
use crate::fail;

use super::flash::{read_bytes, Object, SECTOR_SIZE};

/// The first 8 bytes of a bundle image.
pub const MAGIC: [u8; 8] = *b"\xE5CABUNDL";
/// The layout version written and read.
pub const VERSION: u8 = 1;
/// Header size.
pub const HEADER_LEN: usize = 24;
/// Index entry size.
pub const ENTRY_LEN: usize = 16;
/// Largest bundle image: 256 sectors (1 MB).
pub const MAX_BUNDLE: usize = 256 * SECTOR_SIZE as usize;
/// Most anchors in a bundle.
pub const MAX_ANCHORS: usize = 4096;

/// Whether an image (its first bytes) is a bundle.
pub fn is_bundle(head: &[u8]) -> bool {
    head.len() >= MAGIC.len() && head[..MAGIC.len()] == MAGIC
}

/// One trust anchor: the DER contents of its subject Name, of its
/// SubjectPublicKeyInfo, and of its name constraints if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub subject: Vec<u8>,
    pub spki: Vec<u8>,
    pub name_constraints: Option<Vec<u8>>,
}

impl Anchor {
    /// The anchor of a CA certificate, as webpki takes it from the
    /// certificate.
    pub fn from_cert(der: &[u8]) -> Result<Anchor, Failure> {
        let c = rustls_pki_types::CertificateDer::from(der);
        let ta = webpki::anchor_from_trusted_cert(&c).map_err(|_| {
            fail!(
                code::X509_INVALID_FORMAT,
                "not a certificate webpki can take as a trust anchor"
            )
        })?;
        Ok(Anchor {
            subject: ta.subject.as_ref().to_vec(),
            spki: ta.subject_public_key_info.as_ref().to_vec(),
            name_constraints: ta.name_constraints.as_ref().map(|n| n.as_ref().to_vec()),
        })
    }

    /// The anchor in webpki's form, owning its bytes.
    pub fn into_trust_anchor(self) -> rustls_pki_types::TrustAnchor<'static> {
        rustls_pki_types::TrustAnchor {
            subject: self.subject.into(),
            subject_public_key_info: self.spki.into(),
            name_constraints: self.name_constraints.map(Into::into),
        }
    }

    fn encoded_len(&self) -> usize {
        6 + self.subject.len()
            + self.spki.len()
            + self.name_constraints.as_ref().map_or(0, Vec::len)
    }
}

/// The index key of a subject Name (its DER contents).
pub fn subject_hash(subject: &[u8]) -> [u8; 4] {
    let d = Sha256::digest(subject);
    [d[0], d[1], d[2], d[3]]
}

fn sum4(bytes: &[u8]) -> [u8; 4] {
    subject_hash(bytes)
}

/// Writes a bundle of `anchors` (duplicates, same subject and key, are
/// kept once). Errors: no anchor, too many, an anchor field over 64 KB, an
/// image over [`MAX_BUNDLE`].
pub fn encode(anchors: &[Anchor]) -> Result<Vec<u8>, Failure> {
    let mut list: Vec<&Anchor> = Vec::new();
    for a in anchors {
        if !list
            .iter()
            .any(|b| b.subject == a.subject && b.spki == a.spki)
        {
            list.push(a);
        }
    }
    if list.is_empty() {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "a CA bundle needs at least one certificate"
        ));
    }
    if list.len() > MAX_ANCHORS {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "{} CA certificates; a bundle holds at most {MAX_ANCHORS}",
            list.len()
        ));
    }
    for a in &list {
        let n = a.name_constraints.as_ref().map_or(0, Vec::len);
        if a.subject.is_empty()
            || a.spki.is_empty()
            || a.encoded_len() > usize::from(u16::MAX)
            || n > 0xFFFF
        {
            return Err(fail!(
                code::X509_BAD_INPUT_DATA,
                "a CA certificate's anchor is empty or over 64 KB"
            ));
        }
    }
    list.sort_by_key(|a| subject_hash(&a.subject));
    let index_end = HEADER_LEN + ENTRY_LEN * list.len();
    let total = index_end + list.iter().map(|a| a.encoded_len()).sum::<usize>();
    if total > MAX_BUNDLE {
        return Err(fail!(
            code::X509_BAD_INPUT_DATA,
            "the bundle would take {total} bytes; at most {MAX_BUNDLE}"
        ));
    }
    let mut img = Vec::with_capacity(total);
    img.extend_from_slice(&MAGIC);
    img.extend_from_slice(&[VERSION, 0]);
    img.extend_from_slice(&(list.len() as u16).to_le_bytes());
    img.extend_from_slice(&(total as u32).to_le_bytes());
    img.extend_from_slice(&[0; 8]);
    let mut body = Vec::new();
    for a in &list {
        let off = index_end + body.len();
        let start = body.len();
        let n = a.name_constraints.as_deref().unwrap_or(&[]);
        for len in [a.subject.len(), a.spki.len(), n.len()] {
            body.extend_from_slice(&(len as u16).to_le_bytes());
        }
        body.extend_from_slice(&a.subject);
        body.extend_from_slice(&a.spki);
        body.extend_from_slice(n);
        let rec = &body[start..];
        img.extend_from_slice(&subject_hash(&a.subject));
        img.extend_from_slice(&(off as u32).to_le_bytes());
        img.extend_from_slice(&(rec.len() as u16).to_le_bytes());
        img.extend_from_slice(&[0, 0]);
        img.extend_from_slice(&sum4(rec));
    }
    let mut h = Sha256::new();
    h.update(&img[..16]);
    h.update(&img[HEADER_LEN..]);
    let d = h.finalize();
    img[16..24].copy_from_slice(&d[..8]);
    img.extend_from_slice(&body);
    debug_assert_eq!(img.len(), total);
    Ok(img)
}

/// A bundle found in flash, its index checked; anchors are read from flash
/// when a chain needs them ([`Bundle::find`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Its first sector.
    pub sector: u32,
    /// Anchors in it.
    pub count: usize,
    /// Bytes it takes.
    pub len: usize,
    /// The header checksum, which stands for the whole content (the index
    /// holds each anchor's checksum): what session bindings hash.
    pub sum: [u8; 8],
}

/// Flash reader as `spi_flash_read` (byte address, word-aligned, words).
pub type FlashRead = fn(u32, &mut [u32]) -> bool;

fn corrupt(sector: u32, what: core::fmt::Arguments<'_>) -> Failure {
    fail!(
        code::X509_CERT_UNKNOWN_FORMAT,
        "CA bundle at sector {sector:#x}: {what}; write it again (espcert bundle)"
    )
}

impl Bundle {
    /// The bundle at `sector`, or `None` when the sector does not start with
    /// [`MAGIC`] (a vendor image, a raw certificate, erased flash). Reads
    /// the header and the index (in small pieces, no heap) and checks them.
    ///
    /// Errors (-0x2780, naming the sector): another version, impossible
    /// sizes, a failed checksum; a failed flash read (-0x7680).
    pub fn open<F>(sector: u32, mut read: F) -> Result<Option<Bundle>, Failure>
    where
        F: FnMut(u32, &mut [u32]) -> bool,
    {
        let base = sector.wrapping_mul(SECTOR_SIZE);
        let mut head = [0u8; HEADER_LEN];
        read_bytes(&mut read, base, 0, &mut head, Object::Ca)?;
        if !is_bundle(&head) {
            return Ok(None);
        }
        if head[8] != VERSION {
            return Err(corrupt(
                sector,
                format_args!("version {} (this library reads {VERSION})", head[8]),
            ));
        }
        let count = usize::from(u16::from_le_bytes([head[10], head[11]]));
        let len = u32::from_le_bytes([head[12], head[13], head[14], head[15]]) as usize;
        let index_end = HEADER_LEN + ENTRY_LEN * count;
        if count == 0 || count > MAX_ANCHORS || len > MAX_BUNDLE || len < index_end + 7 * count {
            return Err(corrupt(
                sector,
                format_args!("impossible header ({count} anchors, {len} bytes)"),
            ));
        }
        let mut h = Sha256::new();
        h.update(&head[..16]);
        let mut chunk = [0u8; 128];
        let mut off = HEADER_LEN;
        while off < index_end {
            let n = (index_end - off).min(chunk.len());
            read_bytes(&mut read, base, off, &mut chunk[..n], Object::Ca)?;
            h.update(&chunk[..n]);
            off += n;
        }
        let d = h.finalize();
        if d[..8] != head[16..24] {
            return Err(corrupt(sector, format_args!("index checksum failed")));
        }
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&head[16..24]);
        Ok(Some(Bundle {
            sector,
            count,
            len,
            sum,
        }))
    }

    /// Sectors it spans.
    pub fn sectors(&self) -> usize {
        self.len.div_ceil(SECTOR_SIZE as usize)
    }

    fn entry<F>(&self, read: &mut F, i: usize) -> Result<[u8; ENTRY_LEN], Failure>
    where
        F: FnMut(u32, &mut [u32]) -> bool,
    {
        let mut e = [0u8; ENTRY_LEN];
        read_bytes(
            read,
            self.base(),
            HEADER_LEN + i * ENTRY_LEN,
            &mut e,
            Object::Ca,
        )?;
        Ok(e)
    }

    fn base(&self) -> u32 {
        self.sector.wrapping_mul(SECTOR_SIZE)
    }

    /// Reads the anchor of index entry `i` (`e`) straight into its three
    /// fields, checking its checksum on the way: no copy of the whole
    /// record is held. Returns its offset and the anchor.
    fn read_anchor<F>(
        &self,
        read: &mut F,
        i: usize,
        e: &[u8; ENTRY_LEN],
    ) -> Result<(usize, Anchor), Failure>
    where
        F: FnMut(u32, &mut [u32]) -> bool,
    {
        let off = u32::from_le_bytes([e[4], e[5], e[6], e[7]]) as usize;
        let len = usize::from(u16::from_le_bytes([e[8], e[9]]));
        if off < HEADER_LEN + ENTRY_LEN * self.count || off + len > self.len {
            return Err(corrupt(
                self.sector,
                format_args!("index entry {i} points outside it"),
            ));
        }
        let malformed = || {
            corrupt(
                self.sector,
                format_args!("anchor {i} at offset {off} is malformed"),
            )
        };
        let mut head = [0u8; 6];
        if len < head.len() {
            return Err(malformed());
        }
        read_bytes(read, self.base(), off, &mut head, Object::Ca)?;
        let u = |k: usize| usize::from(u16::from_le_bytes([head[k], head[k + 1]]));
        let (s, k, n) = (u(0), u(2), u(4));
        if 6 + s + k + n != len || s == 0 || k == 0 {
            return Err(malformed());
        }
        let mut h = Sha256::new();
        h.update(head);
        let mut field = |at: usize, flen: usize| -> Result<Vec<u8>, Failure> {
            let mut v = Vec::new();
            v.try_reserve_exact(flen).map_err(|_| {
                fail!(
                    code::SSL_ALLOC_FAILED,
                    "out of memory for a CA anchor ({len} bytes)"
                )
            })?;
            v.resize(flen, 0);
            read_bytes(read, self.base(), at, &mut v, Object::Ca)?;
            h.update(&v);
            Ok(v)
        };
        let subject = field(off + 6, s)?;
        let spki = field(off + 6 + s, k)?;
        let name_constraints = if n == 0 {
            None
        } else {
            Some(field(off + 6 + s + k, n)?)
        };
        let d = h.finalize();
        if d[..4] != e[12..16] {
            return Err(corrupt(
                self.sector,
                format_args!("anchor {i} at offset {off}: checksum failed"),
            ));
        }
        Ok((
            off,
            Anchor {
                subject,
                spki,
                name_constraints,
            },
        ))
    }

    /// The anchors whose subject is `subject` (DER contents of a Name, as a
    /// certificate's issuer): usually none or one (a root and its re-keyed
    /// successor share a name). Reads the index entries a binary search
    /// visits and the anchors with the same hash; each anchor's checksum is
    /// checked (-0x2780 naming the sector when it fails). Allocates only the
    /// anchors returned, fallibly (-0x7F00).
    pub fn find<F>(&self, subject: &[u8], mut read: F) -> Result<Vec<(usize, Anchor)>, Failure>
    where
        F: FnMut(u32, &mut [u32]) -> bool,
    {
        let key = subject_hash(subject);
        // First entry whose hash is not below the key.
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = self.entry(&mut read, mid)?;
            if e[..4] < key[..] {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut out = Vec::new();
        let mut i = lo;
        while i < self.count {
            let e = self.entry(&mut read, i)?;
            if e[..4] != key[..] {
                break;
            }
            let (off, a) = self.read_anchor(&mut read, i, &e)?;
            if a.subject == subject {
                out.try_reserve(1)
                    .map_err(|_| fail!(code::SSL_ALLOC_FAILED, "out of memory for a CA anchor"))?;
                out.push((off, a));
            }
            i += 1;
        }
        Ok(out)
    }

    /// Every anchor, in index order, each checked as [`Bundle::find`]
    /// checks it (a server's client-certificate verifier, host tools):
    /// allocates them all, fallibly (-0x7F00).
    pub fn all<F>(&self, mut read: F) -> Result<Vec<Anchor>, Failure>
    where
        F: FnMut(u32, &mut [u32]) -> bool,
    {
        let mut out = Vec::new();
        out.try_reserve_exact(self.count).map_err(|_| {
            fail!(
                code::SSL_ALLOC_FAILED,
                "out of memory for {} CA anchors",
                self.count
            )
        })?;
        for i in 0..self.count {
            let e = self.entry(&mut read, i)?;
            out.push(self.read_anchor(&mut read, i, &e)?.1);
        }
        Ok(out)
    }
}

/// A flash reader over an image held in memory, placed at `sector` (host
/// tools and tests).
pub fn slice_reader(img: &[u8], sector: u32) -> impl FnMut(u32, &mut [u32]) -> bool + '_ {
    let base = sector.wrapping_mul(SECTOR_SIZE) as usize;
    move |addr, words| {
        let Some(a) = (addr as usize).checked_sub(base) else {
            return false;
        };
        for (i, w) in words.iter_mut().enumerate() {
            let p = a + i * 4;
            let mut b = [0xFFu8; 4];
            for (k, x) in b.iter_mut().enumerate() {
                if let Some(v) = img.get(p + k) {
                    *x = *v;
                }
            }
            *w = u32::from_le_bytes(b);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::{certificates, test_fixture};

    fn anchors() -> Vec<Anchor> {
        let mut v = Vec::new();
        for f in ["ca_rsa.pem", "ca_ec.pem", "ca_rsa1024.pem"] {
            for c in certificates(&test_fixture(f)).unwrap() {
                v.push(Anchor::from_cert(&c).unwrap());
            }
        }
        v
    }

    #[test]
    fn bundle_finds_each_anchor_by_its_subject_and_nothing_else() {
        let list = anchors();
        let mut twice = list.clone();
        twice.extend(list.clone());
        let img = encode(&twice).unwrap();
        let b = Bundle::open(0x100, slice_reader(&img, 0x100))
            .unwrap()
            .unwrap();
        assert_eq!(b.count, list.len());
        assert_eq!(b.len, img.len());
        for a in &list {
            let got = b.find(&a.subject, slice_reader(&img, 0x100)).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(&got[0].1, a);
        }
        assert!(b
            .find(b"\x31\x00", slice_reader(&img, 0x100))
            .unwrap()
            .is_empty());
        let all = b.all(slice_reader(&img, 0x100)).unwrap();
        assert_eq!(all.len(), list.len());
    }

    #[test]
    fn vendor_images_and_erased_flash_are_not_bundles() {
        let img =
            crate::certs::flash::encode_record("ca.pem", &test_fixture("ca_rsa.pem")).unwrap();
        assert!(Bundle::open(0, slice_reader(&img, 0)).unwrap().is_none());
        assert!(Bundle::open(0, slice_reader(&[], 0)).unwrap().is_none());
    }

    #[test]
    fn corrupt_index_or_anchor_is_reported_naming_the_sector() {
        let list = anchors();
        let img = encode(&list).unwrap();
        // A flipped bit in the index: found at open.
        let mut bad = img.clone();
        bad[HEADER_LEN + 5] ^= 1;
        let e = Bundle::open(0x200, slice_reader(&bad, 0x200)).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        assert!(e.reason.as_str().contains("sector 0x200"), "{}", e.reason);
        // A flipped bit in the last anchor: found when it is read.
        let mut bad = img.clone();
        let n = bad.len();
        bad[n - 3] ^= 0x40;
        let b = Bundle::open(0x200, slice_reader(&bad, 0x200))
            .unwrap()
            .unwrap();
        let errs = list
            .iter()
            .filter_map(|a| b.find(&a.subject, slice_reader(&bad, 0x200)).err())
            .collect::<Vec<_>>();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, code::X509_CERT_UNKNOWN_FORMAT);
        assert!(
            errs[0].reason.as_str().contains("checksum failed"),
            "{}",
            errs[0].reason
        );
        // Another version.
        let mut bad = img.clone();
        bad[8] = 9;
        let e = Bundle::open(0x200, slice_reader(&bad, 0x200)).unwrap_err();
        assert!(e.reason.as_str().contains("version 9"), "{}", e.reason);
    }

    #[test]
    fn random_damage_never_panics() {
        let img = encode(&anchors()).unwrap();
        let mut seed = 0x1234_5678_9abc_def1u64;
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut d = img.clone();
            let p = (seed as usize) % d.len();
            d[p] = (seed >> 32) as u8;
            if seed % 3 == 0 {
                d.truncate((seed >> 20) as usize % d.len());
            }
            if let Ok(Some(b)) = Bundle::open(1, slice_reader(&d, 1)) {
                for a in anchors() {
                    let _ = b.find(&a.subject, slice_reader(&d, 1));
                }
            }
        }
    }
}
