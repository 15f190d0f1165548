//! A small DER reader and writer for certificates, private keys (PKCS#8,
//! PKCS#1, SEC1) and ECDSA signatures.
//!
//! It replaces the `der`/`pkcs8`/`pkcs1`/`sec1`/`spki` crates, which cost
//! ~70 KB of flash on the chip: `der` is generic over its reader types, so
//! every nested structure was a separate copy in every crate that decoded
//! one. Here there is one non-generic reader over a byte slice.
//!
//! Acceptance follows what those crates accepted, so that a key or
//! certificate loads (or fails) exactly as before: DER-minimal lengths of at
//! most four bytes, no indefinite lengths, only the tag bytes `der` 0.7 knows,
//! unsigned INTEGERs minimally encoded and non-negative, OIDs as `const-oid`
//! checks them. Every function returns `None` on bad input; none panics.

use alloc::vec::Vec;

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0C;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const VISIBLE_STRING: u8 = 0x1A;
pub const BMP_STRING: u8 = 0x1E;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

const CONSTRUCTED: u8 = 0x20;

/// One element: its tag byte and contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
}

impl Tlv<'_> {
    /// The tag number if the tag is context-specific (`[n]`).
    pub fn context(&self) -> Option<u8> {
        context_number(self.tag)
    }
}

fn context_number(tag: u8) -> Option<u8> {
    (tag & 0xC0 == 0x80).then_some(tag & 0x1F)
}

/// The tag bytes `der` 0.7 decodes: the universal types it names, and
/// application/context/private tags in low-tag-number form.
fn known_tag(b: u8) -> bool {
    match b {
        0x01..=0x06 | 0x09 | 0x0A | 0x0C | 0x12..=0x18 | 0x1A | 0x1E | 0x30 | 0x31 => true,
        0x40..=0xFE => b & 0x1F != 0x1F,
        _ => false,
    }
}

/// Splits the first element off `input`.
pub fn split(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if !known_tag(tag) {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7F => (usize::from(first), rest),
        0x81..=0x84 => {
            let n = usize::from(first - 0x80);
            let bytes = rest.get(..n)?;
            let len = bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
            // DER: the shortest form only (and `der`'s 256 MiB ceiling).
            let min = match n {
                1 => 0x80,
                2 => 0x100,
                3 => 0x1_0000,
                _ => 0x100_0000,
            };
            if len < min || len > 0x0FFF_FFFF {
                return None;
            }
            (len, &rest[n..])
        }
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    Some((Tlv { tag, value }, rest))
}

/// Contents of `der` if it is exactly one element with tag `tag`.
pub fn exact(der: &[u8], tag: u8) -> Option<&[u8]> {
    match split(der)? {
        (t, []) if t.tag == tag => Some(t.value),
        _ => None,
    }
}

/// Length of the first element of `der` (header + contents).
pub fn first_len(der: &[u8]) -> Option<usize> {
    let (_, rest) = split(der)?;
    Some(der.len() - rest.len())
}

/// Reads the elements of a constructed value one after another.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Reader { rest: body }
    }

    pub fn is_finished(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next tag byte, if there is a next element with a known tag.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied().filter(|&b| known_tag(b))
    }

    pub fn any(&mut self) -> Option<Tlv<'a>> {
        let (t, rest) = split(self.rest)?;
        self.rest = rest;
        Some(t)
    }

    /// The next element's contents if its tag is `tag`.
    pub fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let t = self.any()?;
        (t.tag == tag).then_some(t.value)
    }

    /// An unsigned INTEGER without its sign byte (zero is `[0]`).
    pub fn uint(&mut self) -> Option<&'a [u8]> {
        uint(self.read(INTEGER)?)
    }

    /// A one-byte version INTEGER; `None` unless DER-encoded and `<= max`.
    pub fn version(&mut self, max: u8) -> Option<u8> {
        match self.read(INTEGER)? {
            &[v] if v <= max => Some(v),
            _ => None,
        }
    }

    /// An OID, checked as `const-oid` does.
    pub fn oid(&mut self) -> Option<&'a [u8]> {
        let v = self.read(OID)?;
        valid_oid(v).then_some(v)
    }

    /// A BIT STRING with no unused bits: its bytes.
    pub fn octet_aligned_bits(&mut self) -> Option<&'a [u8]> {
        bits(self.read(BIT_STRING)?)
    }

    /// An optional context-specific field `[n]`, as `der` finds one: smaller
    /// context tags before it are skipped, anything else means it is absent.
    /// Outer `None` is a decoding error.
    pub fn context(&mut self, n: u8) -> Option<Option<Tlv<'a>>> {
        while !self.is_finished() {
            let tag = self.peek_tag()?;
            match context_number(tag) {
                Some(m) if m == n => return self.any().map(Some),
                Some(m) if m < n => {
                    self.any()?;
                }
                _ => break,
            }
        }
        Some(None)
    }

    /// `Some(())` if nothing is left.
    pub fn end(&self) -> Option<()> {
        self.is_finished().then_some(())
    }
}

/// DER unsigned INTEGER contents -> magnitude without the sign byte.
fn uint(v: &[u8]) -> Option<&[u8]> {
    match v {
        [] => None,
        [0, b, ..] if *b < 0x80 => None,
        [0, rest @ ..] if !rest.is_empty() => Some(rest),
        [b, ..] if *b >= 0x80 => None,
        _ => Some(v),
    }
}

fn strip_zeros(n: &[u8]) -> &[u8] {
    let z = n.iter().position(|&b| b != 0).unwrap_or(n.len());
    &n[z..]
}

/// BIT STRING contents -> bytes, if there are no unused bits.
fn bits(v: &[u8]) -> Option<&[u8]> {
    match v.split_first()? {
        (0, rest) => Some(rest),
        _ => None,
    }
}

/// `const-oid`'s rules: 3 to 39 bytes; the first byte is one root arc pair
/// (first arc at most 2); every later arc ends with a byte without the
/// continuation bit, and only its first four bytes may carry more than four
/// bits (so that it fits in 32 bits).
pub fn valid_oid(v: &[u8]) -> bool {
    let Some((&root, arcs)) = v.split_first() else {
        return false;
    };
    if !(3..=39).contains(&v.len()) || root >= 120 {
        return false;
    }
    let mut arc_bytes = 0;
    for &b in arcs {
        arc_bytes += 1;
        if arc_bytes > 4 && b & 0xF0 != 0 {
            return false;
        }
        if b & 0x80 == 0 {
            arc_bytes = 0;
        }
    }
    arc_bytes == 0
}

fn seq(der: &[u8]) -> Option<Reader<'_>> {
    exact(der, SEQUENCE).map(Reader::new)
}

// --- PKCS#8, PKCS#1, SEC1 --------------------------------------------------

/// PKCS#8 `PrivateKeyInfo` (RFC 5958 v1 or v2).
#[derive(Clone, Copy, Debug)]
pub struct Pkcs8<'a> {
    pub algorithm: &'a [u8],
    /// The AlgorithmIdentifier parameters element, if present.
    pub parameters: Option<Tlv<'a>>,
    pub private_key: &'a [u8],
}

impl<'a> Pkcs8<'a> {
    /// The parameters if they are a well-formed OID (an EC named curve).
    pub fn parameters_oid(&self) -> Option<&'a [u8]> {
        self.parameters
            .filter(|p| p.tag == OID && valid_oid(p.value))
            .map(|p| p.value)
    }
}

pub fn pkcs8(der: &[u8]) -> Option<Pkcs8<'_>> {
    let mut r = seq(der)?;
    let version = r.version(1)?;
    let mut alg = Reader::new(r.read(SEQUENCE)?);
    let algorithm = alg.oid()?;
    let parameters = if alg.is_finished() {
        None
    } else {
        Some(alg.any()?)
    };
    alg.end()?;
    let private_key = r.read(OCTET_STRING)?;
    // attributes [0] are skipped; publicKey [1] IMPLICIT BIT STRING.
    let public_key = match r.context(1)? {
        Some(t) if t.tag == 0x81 => Some(bits(t.value)?),
        Some(_) => return None,
        None => None,
    };
    if (version == 1) != public_key.is_some() {
        return None;
    }
    // Later extensions must be constructed context-specific elements.
    while !r.is_finished() {
        let t = r.any()?;
        if t.context().is_none() || t.tag & CONSTRUCTED == 0 {
            return None;
        }
    }
    Some(Pkcs8 {
        algorithm,
        parameters,
        private_key,
    })
}

/// PKCS#1 `RSAPrivateKey`; numbers without leading zeros.
#[derive(Clone, Copy, Debug)]
pub struct RsaPrivate<'a> {
    /// 0: two primes; 1: more (then `other_prime_infos` follows the CRT values).
    pub version: u8,
    pub n: &'a [u8],
    pub e: &'a [u8],
    pub d: &'a [u8],
    pub p: &'a [u8],
    pub q: &'a [u8],
    /// The CRT values: d mod (p-1), d mod (q-1), q^-1 mod p.
    pub dp: &'a [u8],
    pub dq: &'a [u8],
    pub qinv: &'a [u8],
}

pub fn rsa_private(der: &[u8]) -> Option<RsaPrivate<'_>> {
    let mut r = seq(der)?;
    let version = r.version(1)?;
    let n = r.uint()?;
    let e = r.uint()?;
    let d = r.uint()?;
    let p = r.uint()?;
    let q = r.uint()?;
    let dp = r.uint()?;
    let dq = r.uint()?;
    let qinv = r.uint()?;
    let multi = if r.peek_tag() == Some(SEQUENCE) {
        let mut infos = Reader::new(r.read(SEQUENCE)?);
        while !infos.is_finished() {
            let mut info = Reader::new(infos.read(SEQUENCE)?);
            for _ in 0..3 {
                info.uint()?;
            }
            info.end()?;
        }
        true
    } else {
        false
    };
    r.end()?;
    if (version == 1) != multi {
        return None;
    }
    Some(RsaPrivate {
        version,
        n,
        e,
        d,
        p,
        q,
        dp,
        dq,
        qinv,
    })
}

/// PKCS#1 `RSAPublicKey`: modulus and exponent without leading zeros.
pub fn rsa_public(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut r = seq(der)?;
    let n = r.uint()?;
    let e = r.uint()?;
    r.end()?;
    Some((n, e))
}

/// SEC1 `ECPrivateKey`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcPrivate<'a> {
    pub private_key: &'a [u8],
    /// `[0]` named-curve OID.
    pub curve: Option<&'a [u8]>,
    /// `[1]` public point.
    pub public_key: Option<&'a [u8]>,
}

pub fn ec_private(der: &[u8]) -> Option<EcPrivate<'_>> {
    let mut r = seq(der)?;
    if r.version(1)? != 1 {
        return None;
    }
    let private_key = r.read(OCTET_STRING)?;
    let curve = match r.context(0)? {
        Some(t) => {
            let mut p = explicit(t)?;
            let oid = p.oid()?;
            p.end()?;
            Some(oid)
        }
        None => None,
    };
    let public_key = match r.context(1)? {
        Some(t) => {
            let mut p = explicit(t)?;
            let bits = p.octet_aligned_bits()?;
            p.end()?;
            Some(bits)
        }
        None => None,
    };
    r.end()?;
    Some(EcPrivate {
        private_key,
        curve,
        public_key,
    })
}

fn explicit(t: Tlv<'_>) -> Option<Reader<'_>> {
    (t.tag & CONSTRUCTED != 0).then(|| Reader::new(t.value))
}

/// SEC1 encoding of `key` (version 1), as the `sec1` crate writes it.
pub fn encode_ec_private(key: &EcPrivate<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, INTEGER, &[1]);
    push_tlv(&mut body, OCTET_STRING, key.private_key);
    if let Some(oid) = key.curve {
        let mut inner = Vec::new();
        push_tlv(&mut inner, OID, oid);
        push_tlv(&mut body, 0xA0, &inner);
    }
    if let Some(point) = key.public_key {
        let mut bits = Vec::with_capacity(point.len() + 1);
        bits.push(0);
        bits.extend_from_slice(point);
        let mut inner = Vec::new();
        push_tlv(&mut inner, BIT_STRING, &bits);
        push_tlv(&mut body, 0xA1, &inner);
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, SEQUENCE, &body);
    // The private scalar passed through these buffers.
    zeroize::Zeroize::zeroize(&mut body);
    out
}

// --- ECDSA signatures -------------------------------------------------------

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from fixed-size
/// big-endian `r` and `s`.
pub fn ecdsa_sig_to_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(r.len() + s.len() + 6);
    push_uint(&mut body, r);
    push_uint(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    push_tlv(&mut out, SEQUENCE, &body);
    out
}

/// `r` and `s` of a DER ECDSA signature, each left-padded to `size` bytes
/// into `out` (`r || s`). `None` if malformed or a number is too long.
pub fn ecdsa_sig_from_der(der: &[u8], size: usize, out: &mut [u8]) -> Option<()> {
    let mut rd = seq(der)?;
    let r = rd.uint()?;
    let s = rd.uint()?;
    rd.end()?;
    if r.len() > size || s.len() > size || out.len() != 2 * size {
        return None;
    }
    out.fill(0);
    out[size - r.len()..size].copy_from_slice(r);
    out[2 * size - s.len()..].copy_from_slice(s);
    Some(())
}

fn push_uint(out: &mut Vec<u8>, n: &[u8]) {
    let n = strip_zeros(n);
    let mut v = Vec::with_capacity(n.len() + 1);
    if n.first().is_none_or(|&b| b >= 0x80) {
        v.push(0);
    }
    v.extend_from_slice(n);
    push_tlv(out, INTEGER, &v);
}

/// Appends one element (definite, minimal length).
pub fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_der_minimal() {
        assert_eq!(split(&[0x04, 0x00]).map(|t| t.0.value.len()), Some(0));
        assert!(split(&[0x04, 0x80]).is_none(), "indefinite");
        assert!(split(&[0x04, 0x81, 0x05, 0, 0, 0, 0, 0]).is_none());
        let mut long = std::vec![0x04, 0x81, 0x80];
        long.extend_from_slice(&[0; 0x80]);
        assert_eq!(first_len(&long), Some(long.len()));
        assert!(split(&[0x04, 0x82, 0x00, 0x80]).is_none());
        assert!(split(&[0x04, 0x85, 0, 0, 0, 0, 1]).is_none());
        assert!(split(&[0x1F, 0x00]).is_none(), "high tag number form");
        assert!(split(&[0x10, 0x00]).is_none(), "primitive SEQUENCE");
        assert!(split(&[0xA3, 0x00]).is_some());
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1_0000] {
            let mut out = Vec::new();
            push_tlv(&mut out, OCTET_STRING, &std::vec![7u8; len]);
            assert_eq!(exact(&out, OCTET_STRING).map(<[u8]>::len), Some(len));
        }
    }

    #[test]
    fn integers_are_canonical_and_unsigned() {
        let u = |v: &[u8]| uint(v).map(<[u8]>::to_vec);
        assert_eq!(u(&[0]), Some(std::vec![0]));
        assert_eq!(u(&[0, 0x80]), Some(std::vec![0x80]));
        assert_eq!(u(&[0x7F]), Some(std::vec![0x7F]));
        assert_eq!(u(&[]), None);
        assert_eq!(u(&[0, 0x7F]), None);
        assert_eq!(u(&[0x80]), None);
    }

    #[test]
    fn ecdsa_signatures_round_trip() {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r[0] = 0x80;
        s[5] = 0x01;
        let der = ecdsa_sig_to_der(&r, &s);
        assert_eq!(&der[..5], &[0x30, 0x40, 0x02, 0x21, 0x00]);
        let mut out = [0u8; 64];
        ecdsa_sig_from_der(&der, 32, &mut out).unwrap();
        assert_eq!(&out[..32], &r);
        assert_eq!(&out[32..], &s);
        assert!(ecdsa_sig_from_der(&der, 31, &mut [0u8; 62]).is_none());
        assert!(ecdsa_sig_from_der(&der[..der.len() - 1], 32, &mut out).is_none());
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(ecdsa_sig_from_der(&trailing, 32, &mut out).is_none());
    }

    #[test]
    fn oids_as_const_oid_checks_them() {
        assert!(valid_oid(&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]));
        assert!(valid_oid(&[0x2B, 0x65, 0x70]));
        assert!(!valid_oid(&[0x2B, 0x65]));
        assert!(!valid_oid(&[0x2B, 0x65, 0x81]));
        assert!(!valid_oid(&[
            0x2B, 0x65, 0x90, 0x80, 0x80, 0x80, 0x80, 0x01
        ]));
        assert!(!valid_oid(&[0x2B; 40]));
        assert!(
            !valid_oid(&[0x82, 0x81, 0x04, 0x81, 0x22]),
            "root arc over 2"
        );
        assert!(valid_oid(&[0x2B, 0x8F, 0xFF, 0xFF, 0xFF, 0x0F]));
    }

    /// Differential test: on fixture keys, certificates and signatures, and
    /// on thousands of mutations of them, this reader accepts and rejects
    /// exactly what the crates it replaced did, and extracts the same fields.
    #[test]
    fn agrees_with_the_der_crates_on_mutated_inputs() {
        use rsa::pkcs1::der::asn1::AnyRef;
        use rsa::pkcs1::der::{Decode, Reader as _, SliceReader};

        let mut corpus: Vec<Vec<u8>> = Vec::new();
        let dir = std::format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x != "sh"))
            .collect();
        names.sort();
        for path in names {
            let data = std::fs::read(&path).unwrap();
            match crate::certs::pem::blocks(&data) {
                Ok(blocks) if !blocks.is_empty() => {
                    for b in blocks {
                        if let Ok(d) = b.decode() {
                            corpus.push(d);
                        }
                    }
                }
                _ => corpus.push(data),
            }
        }
        // Inner structures: PKCS#8 payloads, certificate public keys.
        for d in corpus.clone() {
            if let Some(p) = pkcs8(&d) {
                corpus.push(p.private_key.to_vec());
            }
            if let Ok(ci) = crate::certs::info::parse(&d) {
                corpus.push(ci.public_key);
            }
        }
        // ECDSA signatures with all kinds of r and s.
        for (r, s) in [
            (&[1u8; 32][..], &[2u8; 32][..]),
            (&[0x80; 32], &[0; 32]),
            (&[0xFF; 32], &[0x7F; 32]),
            (&[0; 31], &[1]),
        ] {
            corpus.push(ecdsa_sig_to_der(r, s));
        }
        assert!(corpus.len() > 40);

        let mut seed = 0x853C_49E6_748F_EA9Bu64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = [0usize; 6];
        for i in 0..40_000 {
            let mut d = corpus[i % corpus.len()].clone();
            if i >= corpus.len() {
                for _ in 0..1 + rnd() % 3 {
                    if d.is_empty() {
                        break;
                    }
                    let p = (rnd() as usize) % d.len();
                    match rnd() % 4 {
                        0 => d[p] = rnd() as u8,
                        1 => {
                            d[p] = [0x00, 0x01, 0x30, 0x80, 0x81, 0x82, 0xA0, 0xA1]
                                [(rnd() % 8) as usize]
                        }
                        2 => d.truncate(p),
                        _ => d.insert(p, rnd() as u8),
                    }
                }
            }

            let theirs = AnyRef::from_der(&d).ok();
            let ours = split(&d)
                .filter(|(_, rest)| rest.is_empty())
                .map(|(t, _)| t);
            assert_eq!(ours.is_some(), theirs.is_some(), "TLV {d:02x?}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                assert_eq!(o.value, t.value());
            }
            let theirs_len = SliceReader::new(&d).ok().and_then(|mut r| {
                r.decode::<AnyRef<'_>>().ok()?;
                Some(u32::from(r.position()) as usize)
            });
            assert_eq!(first_len(&d), theirs_len, "length {d:02x?}");

            let theirs = rsa::pkcs8::PrivateKeyInfo::try_from(&d[..]).ok();
            let ours = pkcs8(&d);
            assert_eq!(ours.is_some(), theirs.is_some(), "PKCS#8 {d:02x?}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                accepted[0] += 1;
                assert_eq!(o.algorithm, t.algorithm.oid.as_bytes());
                assert_eq!(o.private_key, t.private_key);
                let t_oid = t.algorithm.parameters_oid().ok();
                assert_eq!(o.parameters_oid(), t_oid.as_ref().map(|p| p.as_bytes()));
                let null = o.parameters
                    == Some(Tlv {
                        tag: NULL,
                        value: &[],
                    });
                let t_null =
                    t.algorithm.parameters_any().ok() == Some(rsa::pkcs8::der::asn1::Null.into());
                assert_eq!(null, t_null);
            }

            let theirs = rsa::pkcs1::RsaPrivateKey::try_from(&d[..]).ok();
            let ours = rsa_private(&d);
            assert_eq!(ours.is_some(), theirs.is_some(), "PKCS#1 {d:02x?}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                accepted[1] += 1;
                assert_eq!(o.n, t.modulus.as_bytes());
                assert_eq!(o.e, t.public_exponent.as_bytes());
                assert_eq!(o.d, t.private_exponent.as_bytes());
                assert_eq!(o.p, t.prime1.as_bytes());
                assert_eq!(o.q, t.prime2.as_bytes());
                assert_eq!(o.version == 0, t.version() == rsa::pkcs1::Version::TwoPrime);
            }

            let theirs = rsa::pkcs1::RsaPublicKey::try_from(&d[..]).ok();
            let ours = rsa_public(&d);
            assert_eq!(ours.is_some(), theirs.is_some(), "RSAPublicKey {d:02x?}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                accepted[2] += 1;
                assert_eq!(o, (t.modulus.as_bytes(), t.public_exponent.as_bytes()));
            }

            let theirs = sec1::EcPrivateKey::try_from(&d[..]).ok();
            let ours = ec_private(&d);
            assert_eq!(ours.is_some(), theirs.is_some(), "SEC1 {d:02x?}");
            if let (Some(o), Some(t)) = (ours, theirs) {
                accepted[3] += 1;
                assert_eq!(o.private_key, t.private_key);
                assert_eq!(o.public_key, t.public_key);
                let curve = t.parameters.and_then(|p| p.named_curve());
                assert_eq!(o.curve, curve.as_ref().map(|c| c.as_bytes()));
                // Re-encoding gives the same bytes as the sec1 crate's.
                let mine = encode_ec_private(&o);
                assert_eq!(mine, sec1::der::Encode::to_der(&t).unwrap());
            }

            #[cfg(feature = "ecdsa-p256")]
            {
                let theirs = p256::ecdsa::Signature::from_der(&d).ok();
                let mut rs = [0u8; 64];
                let ours = ecdsa_sig_from_der(&d, 32, &mut rs)
                    .and_then(|()| p256::ecdsa::Signature::from_slice(&rs).ok());
                assert_eq!(ours, theirs, "ECDSA {d:02x?}");
                if let Some(sig) = ours {
                    accepted[4] += 1;
                    let (r, s) = sig.split_bytes();
                    assert_eq!(ecdsa_sig_to_der(&r, &s), sig.to_der().as_bytes());
                }
            }
            accepted[5] += 1;
        }
        // Each format was seen accepted, not only rejected.
        #[cfg(not(feature = "ecdsa-p256"))]
        {
            accepted[4] = 1;
        }
        assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
    }
}
