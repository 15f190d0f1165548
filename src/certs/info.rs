//! A small X.509 reader for error reasons and the host tool's `inspect`.
//!
//! It extracts names, validity, the public key and SANs; it does not verify
//! anything (that is webpki's job in the engine). Parsing goes through the
//! small TLV reader in [`der_lite`](super::der_lite), to keep flash use small.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use super::der_lite::{self as der, Reader, Tlv};

use crate::error::{code, Failure};
use crate::fail;

/// Public key algorithm and size of a certificate or private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA with this many modulus bits.
    Rsa {
        bits: u32,
    },
    EcP256,
    EcP384,
    /// An EC key on another named curve (DER OID body).
    EcOther,
    Ed25519,
    /// Anything else.
    Other,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyType::EcP256 => f.write_str("EC P-256"),
            KeyType::EcP384 => f.write_str("EC P-384"),
            KeyType::EcOther => f.write_str("EC (unsupported curve)"),
            KeyType::Ed25519 => f.write_str("Ed25519"),
            KeyType::Other => f.write_str("unknown key type"),
        }
    }
}

/// What [`parse`] extracts from a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject, most specific first (RFC 4514 order): `CN=host, O=Org, C=DE`.
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// Validity as Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub key: KeyType,
    /// Subject DER == issuer DER.
    pub self_signed: bool,
    /// `basicConstraints cA`, when the extension is present.
    pub is_ca: Option<bool>,
    /// SAN dNSName entries.
    pub dns_names: Vec<String>,
    /// SAN iPAddress entries (4 or 16 bytes each).
    pub ip_addrs: Vec<Vec<u8>>,
    /// Serial number, big-endian bytes as encoded.
    pub serial: Vec<u8>,
    /// The subjectPublicKey BIT STRING contents (without the unused-bits byte).
    pub public_key: Vec<u8>,
    /// Signature algorithm OID in dotted form.
    pub signature_algorithm: String,
}

impl CertInfo {
    /// Whether `now` (Unix seconds) lies in the validity period.
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_SAN: &[u8] = &[0x55, 0x1D, 0x11];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x13];

/// Parses the fields of a DER X.509 certificate.
///
/// Errors are `X509_INVALID_FORMAT` with the field that failed.
pub fn parse(der: &[u8]) -> Result<CertInfo, Failure> {
    let bad = |what: &str| {
        fail!(
            code::X509_INVALID_FORMAT,
            "certificate is not valid X.509: bad {what}"
        )
    };
    let cert = tlv_exact(der, der::SEQUENCE).ok_or_else(|| bad("outer SEQUENCE"))?;
    let mut c = reader(cert).ok_or_else(|| bad("outer SEQUENCE"))?;
    let tbs = next(&mut c, der::SEQUENCE).ok_or_else(|| bad("tbsCertificate"))?;
    let sig_alg = next(&mut c, der::SEQUENCE).ok_or_else(|| bad("signatureAlgorithm"))?;
    next(&mut c, der::BIT_STRING).ok_or_else(|| bad("signature"))?;

    let mut t = reader(tbs).ok_or_else(|| bad("tbsCertificate"))?;
    if peek_context(&mut t) == Some(0) {
        next_any(&mut t).ok_or_else(|| bad("version"))?;
    }
    let serial = next(&mut t, der::INTEGER).ok_or_else(|| bad("serialNumber"))?;
    next(&mut t, der::SEQUENCE).ok_or_else(|| bad("signature algorithm"))?;
    let issuer = next(&mut t, der::SEQUENCE).ok_or_else(|| bad("issuer"))?;
    let validity = next(&mut t, der::SEQUENCE).ok_or_else(|| bad("validity"))?;
    let subject = next(&mut t, der::SEQUENCE).ok_or_else(|| bad("subject"))?;
    let spki = next(&mut t, der::SEQUENCE).ok_or_else(|| bad("subjectPublicKeyInfo"))?;

    let mut v = reader(validity).ok_or_else(|| bad("validity"))?;
    let not_before = next_time(&mut v).ok_or_else(|| bad("notBefore"))?;
    let not_after = next_time(&mut v).ok_or_else(|| bad("notAfter"))?;

    let (key, public_key) = spki_key(spki).ok_or_else(|| bad("subjectPublicKeyInfo"))?;
    let mut info = CertInfo {
        subject: name_string(subject).ok_or_else(|| bad("subject name"))?,
        issuer: name_string(issuer).ok_or_else(|| bad("issuer name"))?,
        not_before,
        not_after,
        key,
        self_signed: subject == issuer,
        is_ca: None,
        dns_names: Vec::new(),
        ip_addrs: Vec::new(),
        serial: serial.to_vec(),
        public_key: public_key.to_vec(),
        signature_algorithm: String::new(),
    };
    let mut sa = reader(sig_alg).ok_or_else(|| bad("signatureAlgorithm"))?;
    let sig_oid = next(&mut sa, der::OID).ok_or_else(|| bad("signatureAlgorithm"))?;
    info.signature_algorithm = oid_dotted(sig_oid);

    // Optional issuerUniqueID [1], subjectUniqueID [2], extensions [3].
    while !t.is_finished() {
        let any = next_any(&mut t).ok_or_else(|| bad("extensions"))?;
        if any.context() == Some(3) {
            extensions(any.value, &mut info).ok_or_else(|| bad("extensions"))?;
        }
    }
    Ok(info)
}

/// Parses a SubjectPublicKeyInfo: key type and subjectPublicKey bytes.
pub fn spki_key(spki: &[u8]) -> Option<(KeyType, &[u8])> {
    let mut r = reader(spki)?;
    let alg = next(&mut r, der::SEQUENCE)?;
    let bits = next(&mut r, der::BIT_STRING)?;
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    let mut a = reader(alg)?;
    let oid = next(&mut a, der::OID)?;
    let kt = if oid == OID_RSA {
        KeyType::Rsa {
            bits: rsa_public_bits(key).unwrap_or(0),
        }
    } else if oid == OID_EC {
        match next(&mut a, der::OID) {
            Some(OID_P256) => KeyType::EcP256,
            Some(OID_P384) => KeyType::EcP384,
            _ => KeyType::EcOther,
        }
    } else if oid == OID_ED25519 {
        KeyType::Ed25519
    } else {
        KeyType::Other
    };
    Some((kt, key))
}

/// Modulus size of a PKCS#1 `RSAPublicKey`.
fn rsa_public_bits(key: &[u8]) -> Option<u32> {
    let mut r = reader(tlv_exact(key, der::SEQUENCE)?)?;
    let n = next(&mut r, der::INTEGER)?;
    Some(uint_bits(n))
}

/// Significant bits of a big-endian unsigned integer.
pub fn uint_bits(n: &[u8]) -> u32 {
    let n = strip_zeros(n);
    match n.first() {
        None => 0,
        Some(&b) => u32::try_from(n.len() - 1)
            .unwrap_or(u32::MAX / 8)
            .saturating_mul(8)
            .saturating_add(8 - b.leading_zeros()),
    }
}

/// Drops leading zero bytes (DER sign padding).
pub fn strip_zeros(n: &[u8]) -> &[u8] {
    let z = n.iter().position(|&b| b != 0).unwrap_or(n.len());
    &n[z..]
}

fn extensions(exts: &[u8], info: &mut CertInfo) -> Option<()> {
    let mut r = reader(tlv_exact(exts, der::SEQUENCE)?)?;
    while !r.is_finished() {
        let ext = next(&mut r, der::SEQUENCE)?;
        let mut e = reader(ext)?;
        let oid = next(&mut e, der::OID)?;
        if e.peek_tag()? == der::BOOLEAN {
            next_any(&mut e)?;
        }
        let value = next(&mut e, der::OCTET_STRING)?;
        if oid == OID_SAN {
            let mut s = reader(tlv_exact(value, der::SEQUENCE)?)?;
            while !s.is_finished() {
                let gn = next_any(&mut s)?;
                match gn.context() {
                    Some(2) => info
                        .dns_names
                        .push(String::from_utf8_lossy(gn.value).into_owned()),
                    Some(7) => info.ip_addrs.push(gn.value.to_vec()),
                    _ => {}
                }
            }
        } else if oid == OID_BASIC_CONSTRAINTS {
            let mut b = reader(tlv_exact(value, der::SEQUENCE)?)?;
            let ca = if !b.is_finished() && b.peek_tag()? == der::BOOLEAN {
                next(&mut b, der::BOOLEAN)?.first().is_some_and(|&v| v != 0)
            } else {
                false
            };
            info.is_ca = Some(ca);
        }
    }
    Some(())
}

/// Renders a Name (the DER contents of its SEQUENCE) as `CN=x, O=y` (last
/// RDN first, as RFC 4514).
pub fn name_string(name: &[u8]) -> Option<String> {
    let mut rdns: Vec<String> = Vec::new();
    let mut r = reader(name)?;
    while !r.is_finished() {
        let set = next(&mut r, der::SET)?;
        let mut s = reader(set)?;
        let mut parts = String::new();
        while !s.is_finished() {
            let atv = next(&mut s, der::SEQUENCE)?;
            let mut a = reader(atv)?;
            let oid = next(&mut a, der::OID)?;
            let val = next_any(&mut a)?;
            if !parts.is_empty() {
                parts.push('+');
            }
            match attr_name(oid) {
                Some(n) => parts.push_str(n),
                None => parts.push_str(&oid_dotted(oid)),
            }
            parts.push('=');
            push_string_value(&mut parts, val);
        }
        rdns.push(parts);
    }
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(rdn);
    }
    Some(out)
}

fn attr_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0A] => "O",
        [0x55, 0x04, 0x0B] => "OU",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01] => "emailAddress",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19] => "DC",
        _ => return None,
    })
}

fn push_string_value(out: &mut String, val: Tlv<'_>) {
    let v = val.value;
    match val.tag {
        der::BMP_STRING => {
            let units = v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            for ch in char::decode_utf16(units) {
                push_char(out, ch.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
        der::UTF8_STRING | der::PRINTABLE_STRING | der::IA5_STRING | der::VISIBLE_STRING => {
            for ch in String::from_utf8_lossy(v).chars() {
                push_char(out, ch);
            }
        }
        // Teletex and others: Latin-1 is the usual reality.
        _ => {
            for &b in v {
                push_char(out, b as char);
            }
        }
    }
}

fn push_char(out: &mut String, ch: char) {
    if ch.is_control() {
        let _ = write!(out, "\\x{:02x}", ch as u32);
    } else {
        if matches!(ch, ',' | '+' | '\\' | '=') {
            out.push('\\');
        }
        out.push(ch);
    }
}

/// Dotted form of an OID body (`1.2.840.113549.1.1.11`).
pub fn oid_dotted(body: &[u8]) -> String {
    let mut out = String::new();
    let mut acc: u64 = 0;
    let mut first = true;
    for &b in body {
        acc = (acc << 7) | u64::from(b & 0x7F);
        if acc > u64::MAX >> 8 {
            return String::from("?");
        }
        if b & 0x80 == 0 {
            if first {
                let (x, y) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                let _ = write!(out, "{x}.{y}");
                first = false;
            } else {
                let _ = write!(out, ".{acc}");
            }
            acc = 0;
        }
    }
    out
}

fn next_time(r: &mut Reader<'_>) -> Option<i64> {
    let any = next_any(r)?;
    match any.tag {
        der::UTC_TIME => parse_time(any.value, false),
        der::GENERALIZED_TIME => parse_time(any.value, true),
        _ => None,
    }
}

/// Parses `YYMMDDHHMM[SS]Z` (UTCTime, 1950..2049) or `YYYYMMDDHHMM[SS]Z`.
fn parse_time(v: &[u8], generalized: bool) -> Option<i64> {
    let (year, rest) = if generalized {
        (digits(v.get(..4)?)?, v.get(4..)?)
    } else {
        let yy = digits(v.get(..2)?)?;
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, v.get(2..)?)
    };
    let rest = rest.strip_suffix(b"Z")?;
    let (body, sec) = match rest.len() {
        8 => (rest, 0),
        10 => (&rest[..8], digits(&rest[8..])?),
        // Fractional seconds in GeneralizedTime are ignored.
        n if generalized && n > 11 && rest[10] == b'.' => (&rest[..8], digits(&rest[8..10])?),
        _ => return None,
    };
    let month = digits(&body[..2])?;
    let day = digits(&body[2..4])?;
    let hour = digits(&body[4..6])?;
    let min = digits(&body[6..8])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86400 + hour * 3600 + min * 60 + sec)
}

fn digits(d: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn fmt_unix_date(secs: i64) -> UnixDate {
    UnixDate(secs)
}

/// See [`fmt_unix_date`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnixDate(pub i64);

impl fmt::Display for UnixDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86400);
        let s = self.0.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

// --- TLV helpers ------------------------------------------------------------

fn reader(body: &[u8]) -> Option<Reader<'_>> {
    Some(Reader::new(body))
}

fn next_any<'a>(r: &mut Reader<'a>) -> Option<Tlv<'a>> {
    r.any()
}

/// The next element's contents if it has tag `tag`.
fn next<'a>(r: &mut Reader<'a>, tag: u8) -> Option<&'a [u8]> {
    r.read(tag)
}

fn peek_context(r: &mut Reader<'_>) -> Option<u8> {
    r.peek_tag()
        .and_then(|t| Tlv { tag: t, value: &[] }.context())
}

/// Contents of `der` if it is exactly one element with tag `tag`.
pub(crate) fn tlv_exact(der: &[u8], tag: u8) -> Option<&[u8]> {
    der::exact(der, tag)
}

/// Length of the first DER element of `der` (header + contents), if well formed.
pub(crate) fn first_tlv_len(der: &[u8]) -> Option<usize> {
    der::first_len(der)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::pem::certificates;

    use crate::certs::test_fixture as fixture;

    #[test]
    fn dates_round_trip() {
        assert_eq!(
            std::format!("{}", fmt_unix_date(0)),
            "1970-01-01 00:00:00 UTC"
        );
        assert_eq!(
            std::format!("{}", fmt_unix_date(1_704_067_200)),
            "2024-01-01 00:00:00 UTC"
        );
        assert_eq!(
            std::format!("{}", fmt_unix_date(951_782_400)),
            "2000-02-29 00:00:00 UTC"
        );
        assert_eq!(parse_time(b"240101000000Z", false), Some(1_704_067_200));
        assert_eq!(parse_time(b"20240101000000Z", true), Some(1_704_067_200));
        assert_eq!(parse_time(b"500101000000Z", false), Some(-631_152_000));
        assert_eq!(parse_time(b"2401010000Z", false), Some(1_704_067_200));
        assert_eq!(
            parse_time(b"20240101000000.123Z", true),
            Some(1_704_067_200)
        );
        assert_eq!(parse_time(b"241301000000Z", false), None);
        assert_eq!(parse_time(b"24010100000Z", false), None);
        for d in [
            -1_000_000i64,
            -1,
            0,
            59,
            86_399,
            4_102_444_800,
            253_402_300_799,
        ] {
            let s = std::format!("{}", fmt_unix_date(d));
            let t = std::format!(
                "{}{}{}{}{}{}Z",
                &s[0..4],
                &s[5..7],
                &s[8..10],
                &s[11..13],
                &s[14..16],
                &s[17..19]
            );
            if d >= 0 {
                assert_eq!(parse_time(t.as_bytes(), true), Some(d), "{s}");
            }
        }
    }

    #[test]
    fn reads_fixture_certificates() {
        let ca = &certificates(&fixture("ca_rsa.pem")).unwrap()[0];
        let i = parse(ca).unwrap();
        assert_eq!(i.subject, "CN=Test Root CA, O=Espconn Test, C=DE");
        assert!(i.self_signed);
        assert_eq!(i.key, KeyType::Rsa { bits: 2048 });
        assert_eq!(i.is_ca, Some(true));
        assert!(i.not_after > 4_102_444_800, "GeneralizedTime after 2050");
        assert_eq!(i.signature_algorithm, "1.2.840.113549.1.1.11");

        let srv = parse(&certificates(&fixture("server_ec.pem")).unwrap()[0]).unwrap();
        assert_eq!(srv.key, KeyType::EcP256);
        assert_eq!(srv.issuer, "CN=Test EC CA, O=Espconn Test");
        assert!(!srv.self_signed);
        assert_eq!(srv.dns_names, ["localhost", "esp.test"]);
        assert_eq!(srv.ip_addrs, [std::vec![127, 0, 0, 1]]);

        let p384 = parse(&certificates(&fixture("client_p384.pem")).unwrap()[0]).unwrap();
        assert_eq!(p384.key, KeyType::EcP384);
        let ed = parse(&certificates(&fixture("ed25519.pem")).unwrap()[0]).unwrap();
        assert_eq!(ed.key, KeyType::Ed25519);
        let weak = parse(&certificates(&fixture("ca_rsa1024.pem")).unwrap()[0]).unwrap();
        assert_eq!(weak.key, KeyType::Rsa { bits: 1024 });

        let old = parse(&certificates(&fixture("expired.pem")).unwrap()[0]).unwrap();
        assert_eq!(
            std::format!("{}", fmt_unix_date(old.not_after)),
            "2001-01-01 00:00:00 UTC"
        );
        assert!(!old.valid_at(1_700_000_000));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(parse(&[]).unwrap_err().code, code::X509_INVALID_FORMAT);
        assert!(parse(&[0x30, 0x00]).is_err());
        let der = fixture("ca_rsa.der");
        for n in 0..der.len() {
            assert!(parse(&der[..n]).is_err());
        }
        assert!(parse(&der).is_ok());
    }
}
