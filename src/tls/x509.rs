//! Just enough X.509 reading for precise failure reasons: issuer/subject
//! names, validity dates and RSA modulus sizes. webpki does the real
//! validation; this reader only describes certificates and never decides
//! trust. (To be replaced by `crate::certs::info` once that exists.)

use core::fmt;

/// A DER element: tag and contents.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    body: &'a [u8],
}

/// Split the first DER element off `input`.
fn next(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let (body, rest) = rest.split_at(len);
    Some((Tlv { tag, body }, rest))
}

/// The parts of a certificate we describe.
pub struct CertInfo<'a> {
    pub issuer: Name<'a>,
    pub subject: Name<'a>,
    /// Unix seconds.
    pub not_before: Option<u64>,
    pub not_after: Option<u64>,
    /// The SubjectPublicKeyInfo element's contents.
    spki: &'a [u8],
    /// The whole SubjectPublicKeyInfo element (tag and length included).
    pub spki_der: &'a [u8],
    /// The contents of the Extensions SEQUENCE (empty without `[3]`).
    extensions: &'a [u8],
}

/// Read the fields of a DER certificate; `None` if it is not one.
pub fn parse(cert: &[u8]) -> Option<CertInfo<'_>> {
    let (c, _) = next(cert)?;
    let (tbs, _) = next(c.body)?;
    let mut rest = tbs.body;
    let (mut el, r) = next(rest)?;
    rest = r;
    if el.tag == 0xA0 {
        // [0] version
        (el, rest) = next(rest)?;
    }
    let _serial = el;
    let (_sigalg, r) = next(rest)?;
    let (issuer, r) = next(r)?;
    let (validity, r) = next(r)?;
    let (subject, r) = next(r)?;
    let spki_at = r;
    let (spki, mut r) = next(r)?;
    let spki_der = &spki_at[..spki_at.len() - r.len()];
    // Optional [1] issuerUniqueID and [2] subjectUniqueID, then [3] extensions.
    let mut extensions: &[u8] = &[];
    while let Some((el, rest)) = next(r) {
        if el.tag == 0xA3 {
            extensions = next(el.body)?.0.body;
        }
        r = rest;
    }
    let (nb, vr) = next(validity.body)?;
    let (na, _) = next(vr)?;
    Some(CertInfo {
        issuer: Name(issuer.body),
        subject: Name(subject.body),
        not_before: time(nb),
        not_after: time(na),
        spki: spki.body,
        spki_der,
        extensions,
    })
}

/// The public-key pin of a DER certificate: SHA-256 of its DER
/// SubjectPublicKeyInfo (what `openssl x509 -pubkey -noout | openssl pkey
/// -pubin -outform DER | openssl dgst -sha256` prints); `None` if it is not
/// a certificate.
pub fn spki_sha256(cert: &[u8]) -> Option<[u8; 32]> {
    use crate::tls::provider::sha256::Sha256;
    use digest::Digest;
    let info = parse(cert)?;
    Some(Sha256::digest(info.spki_der).into())
}

/// Bytes as lowercase hex.
pub struct Hex<'a>(pub &'a [u8]);
impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl<'a> CertInfo<'a> {
    /// Size of the RSA modulus in bits, if the key is RSA.
    pub fn rsa_bits(&self) -> Option<usize> {
        const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
        let (alg, r) = next(self.spki)?;
        let (oid, _) = next(alg.body)?;
        if oid.body != RSA_ENCRYPTION {
            return None;
        }
        let (bits, _) = next(r)?;
        // BIT STRING: first byte is the unused-bit count.
        let key = bits.body.get(1..)?;
        let (seq, _) = next(key)?;
        let (n, _) = next(seq.body)?;
        let mut m = n.body;
        while let [0, rest @ ..] = m {
            m = rest;
        }
        let top = *m.first()?;
        Some((m.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
    }

    /// The contents (OCTET STRING value) of the extension `oid`, if present.
    fn extension(&self, oid_wanted: &[u8]) -> Option<&'a [u8]> {
        let mut exts = self.extensions;
        while let Some((ext, rest)) = next(exts) {
            exts = rest;
            let Some((oid, mut v)) = next(ext.body) else {
                continue;
            };
            if oid.body != oid_wanted {
                continue;
            }
            // Skip `critical BOOLEAN` when present; then the OCTET STRING.
            while let Some((el, rest)) = next(v) {
                v = rest;
                if el.tag == 0x04 {
                    return Some(el.body);
                }
            }
            return None;
        }
        None
    }

    /// Whether the certificate has a keyUsage extension that lacks
    /// keyCertSign (RFC 5280 4.2.1.3: a CA key that signs certificates must
    /// assert it). False when keyUsage is absent or allows it; an extension
    /// present but unreadable counts as lacking it.
    pub fn key_usage_forbids_cert_sign(&self) -> bool {
        const KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x0F];
        // keyCertSign is bit 5: 0x04 of the first byte after the unused-bits count.
        const KEY_CERT_SIGN: u8 = 0x04;
        let Some(value) = self.extension(KEY_USAGE) else {
            return false;
        };
        match next(value) {
            Some((bits, _)) if bits.tag == 0x03 => {
                bits.body.get(1).is_none_or(|b| b & KEY_CERT_SIGN == 0)
            }
            _ => true,
        }
    }

    /// The DNS and IP subject alternative names, for messages. (webpki
    /// lists them in its error through `Debug`, which the chip build
    /// compiles to nothing: docs/SIZE.md.)
    pub fn alt_names(&self) -> AltNames<'a> {
        const SAN: &[u8] = &[0x55, 0x1D, 0x11];
        AltNames(
            self.extension(SAN)
                .and_then(next)
                .map_or(&[][..], |(seq, _)| seq.body),
        )
    }
}

/// A certificate's dNSName and iPAddress alternative names, comma-separated
/// (`test.example, 127.0.0.1`); "no DNS or IP name" when it has none.
pub struct AltNames<'a>(&'a [u8]);

impl fmt::Display for AltNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut names = self.0;
        while let Some((gn, rest)) = next(names) {
            names = rest;
            match gn.tag {
                // [2] dNSName, IA5String
                0x82 => match core::str::from_utf8(gn.body) {
                    Ok(d) => write!(f, "{sep}{d}")?,
                    Err(_) => continue,
                },
                // [7] iPAddress, 4 or 16 bytes
                0x87 if matches!(gn.body.len(), 4 | 16) => write!(f, "{sep}{}", Ip(gn.body))?,
                _ => continue,
            }
            sep = ", ";
        }
        if sep.is_empty() {
            f.write_str("no DNS or IP name")?;
        }
        Ok(())
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in text form: `192.0.2.1`,
/// `2001:db8:0:0:0:0:0:1` (all eight groups: no `::`, which would cost
/// flash for a form the NONOS SDK's IPv4-only stack rarely meets).
pub struct Ip<'a>(pub &'a [u8]);

impl fmt::Display for Ip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v6 = self.0.len() == 16;
        let mut sep = "";
        for (i, b) in self.0.iter().enumerate() {
            if v6 {
                if i % 2 == 0 {
                    write!(f, "{sep}{:x}", u16::from_be_bytes([*b, self.0[i + 1]]))?;
                }
                sep = ":";
            } else {
                write!(f, "{sep}{b}")?;
                sep = ".";
            }
        }
        Ok(())
    }
}

/// Parse UTCTime (tag 0x17) or GeneralizedTime (0x18) into Unix seconds.
fn time(t: Tlv<'_>) -> Option<u64> {
    let s = t.body;
    let digits = |b: &[u8]| -> Option<u64> {
        b.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let (year, rest) = match t.tag {
        0x17 => {
            let y = digits(s.get(..2)?)?;
            (if y >= 50 { 1900 + y } else { 2000 + y }, s.get(2..)?)
        }
        0x18 => (digits(s.get(..4)?)?, s.get(4..)?),
        _ => return None,
    };
    let month = digits(rest.get(0..2)?)?;
    let day = digits(rest.get(2..4)?)?;
    let hour = digits(rest.get(4..6)?)?;
    let min = digits(rest.get(6..8)?)?;
    let sec = digits(rest.get(8..10)?)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year < 1970 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm), for years >= 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146097 + doe).saturating_sub(719468)
}

/// A UTC date for messages: `2026-11-27 05:00:49 UTC`.
pub struct Date(pub u64);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0;
        let days = secs / 86400;
        let rem = secs % 86400;
        // Inverse of days_from_civil.
        let z = days + 719468;
        let era = z / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

/// An X.501 Name, displayed as its CN (or O, or OU) attribute.
#[derive(Clone, Copy)]
pub struct Name<'a>(&'a [u8]);

impl<'a> Name<'a> {
    /// The value of attribute `oid_last` (2.5.4.x) if present.
    fn attr(&self, oid_last: u8) -> Option<&'a str> {
        let mut rdns = self.0;
        while let Some((set, r)) = next(rdns) {
            rdns = r;
            let mut atvs = set.body;
            while let Some((atv, r2)) = next(atvs) {
                atvs = r2;
                let (oid, v) = next(atv.body)?;
                let (val, _) = next(v)?;
                if oid.body == [0x55, 0x04, oid_last] {
                    return core::str::from_utf8(val.body).ok();
                }
            }
        }
        None
    }

    /// The DER contents, for comparing names.
    pub fn raw(&self) -> &'a [u8] {
        self.0
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(cn) = self.attr(3) {
            write!(f, "CN={cn}")?;
            if let Some(o) = self.attr(10) {
                write!(f, ", O={o}")?;
            }
            Ok(())
        } else if let Some(o) = self.attr(10) {
            write!(f, "O={o}")
        } else if let Some(ou) = self.attr(11) {
            write!(f, "OU={ou}")
        } else {
            f.write_str("(unnamed)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn date_round_trips_through_civil_conversion() {
        assert_eq!(Date(0).to_string(), "1970-01-01 00:00:00 UTC");
        assert_eq!(Date(1_795_150_849).to_string(), "2026-11-20 05:00:49 UTC");
        let t = Tlv {
            tag: 0x17,
            body: b"261120050049Z",
        };
        assert_eq!(time(t), Some(1_795_150_849));
        let g = Tlv {
            tag: 0x18,
            body: b"20500101000000Z",
        };
        assert_eq!(
            Date(time(g).unwrap()).to_string(),
            "2050-01-01 00:00:00 UTC"
        );
    }

    #[test]
    fn ip_addresses_print_as_text() {
        assert_eq!(Ip(&[127, 0, 0, 1]).to_string(), "127.0.0.1");
        let v6 = |g: [u16; 8]| {
            let mut b = [0u8; 16];
            for (i, x) in g.iter().enumerate() {
                b[2 * i..2 * i + 2].copy_from_slice(&x.to_be_bytes());
            }
            Ip(&b).to_string()
        };
        assert_eq!(
            v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
            "2001:db8:0:0:0:0:0:1"
        );
        assert_eq!(v6([0; 8]), "0:0:0:0:0:0:0:0");
        assert_eq!(v6([1, 2, 3, 4, 5, 6, 7, 8]), "1:2:3:4:5:6:7:8");
    }

    #[test]
    fn alt_names_lists_dns_and_ip_names_of_the_fixture() {
        let certs =
            crate::certs::pem::certificates(include_bytes!("../../tests/fixtures/server_ec.pem"))
                .expect("fixture");
        let info = parse(&certs[0]).expect("certificate");
        assert_eq!(
            info.alt_names().to_string(),
            "localhost, esp.test, 127.0.0.1"
        );
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse(b"").is_none());
        assert!(parse(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(parse(b"HTTP/1.1 400 Bad Request").is_none());
    }
}
