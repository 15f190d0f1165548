//! PEM blocks and certificate payloads.
//!
//! The decoder is deliberately lenient, like mbedTLS: any line width, CRLF,
//! text between blocks, trailing NULs (the vendor glue appends one). Encrypted
//! blocks are reported as such rather than as garbage.

use alloc::string::String;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;
use zeroize::Zeroize;

use super::flash::find_bytes;
use super::info;
use crate::error::{code, Failure};
use crate::fail;

/// One `-----BEGIN label-----` ... `-----END label-----` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block<'a> {
    /// The label, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`.
    pub label: &'a str,
    /// Offset of the BEGIN line in the input.
    pub offset: usize,
    /// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) were present.
    pub encrypted: bool,
    /// The base64 body, undecoded.
    body: &'a [u8],
}

impl Block<'_> {
    /// Decodes the body. The caller owns the bytes (zeroize them for keys).
    pub fn decode(&self) -> Result<Vec<u8>, Failure> {
        base64_decode(self.body).ok_or_else(|| {
            fail!(
                code::PEM_INVALID_DATA,
                "PEM block '{}' at offset {} has invalid base64",
                self.label,
                self.offset
            )
        })
    }
}

/// True if `payload` is PEM by the vendor's rule (contains `-----BEGIN`).
pub fn is_pem(payload: &[u8]) -> bool {
    find_bytes(payload, b"-----BEGIN").is_some()
}

/// Splits PEM text into blocks, skipping text outside them.
///
/// A BEGIN without its matching END is `PEM_INVALID_DATA`; no BEGIN at all
/// is `PEM_NO_HEADER_FOOTER_PRESENT`.
pub fn blocks(text: &[u8]) -> Result<Vec<Block<'_>>, Failure> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(b) = find_bytes(&text[pos..], b"-----BEGIN ") {
        let begin = pos + b;
        let label_start = begin + 11;
        let label_len = find_bytes(&text[label_start..], b"-----").ok_or_else(|| {
            fail!(
                code::PEM_INVALID_DATA,
                "PEM BEGIN line at offset {begin} is not closed by '-----'"
            )
        })?;
        let label_bytes = &text[label_start..label_start + label_len];
        let label = core::str::from_utf8(label_bytes)
            .ok()
            .filter(|l| l.len() <= 64 && !l.contains('\n'))
            .ok_or_else(|| {
                fail!(
                    code::PEM_INVALID_DATA,
                    "PEM BEGIN line at offset {begin} has a bad label"
                )
            })?;
        let body_start = label_start + label_len + 5;
        let mut end_marker = String::from("-----END ");
        end_marker.push_str(label);
        end_marker.push_str("-----");
        let body_len = find_bytes(&text[body_start..], end_marker.as_bytes()).ok_or_else(|| {
            fail!(
                code::PEM_INVALID_DATA,
                "PEM block '{label}' at offset {begin} has no END line (file truncated?)"
            )
        })?;
        let mut body = &text[body_start..body_start + body_len];
        let mut encrypted = false;
        // RFC 1421 headers end at the first empty line.
        if find_bytes(body, b"Proc-Type:").is_some() || find_bytes(body, b"DEK-Info:").is_some() {
            encrypted = find_bytes(body, b"ENCRYPTED").is_some();
            let blank = find_bytes(body, b"\n\n")
                .map(|p| p + 2)
                .or_else(|| find_bytes(body, b"\r\n\r\n").map(|p| p + 4))
                .unwrap_or(body.len());
            body = &body[blank..];
        }
        out.push(Block {
            label,
            offset: begin,
            encrypted,
            body,
        });
        pos = body_start + body_len + end_marker.len();
    }
    if out.is_empty() {
        return Err(fail!(
            code::PEM_NO_HEADER_FOOTER_PRESENT,
            "no '-----BEGIN' line found in the PEM data"
        ));
    }
    Ok(out)
}

/// Decodes base64 ignoring whitespace; `None` on any other bad character or
/// bad padding.
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut n = 0u32;
    let mut pad = 0u32;
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => {
                acc.zeroize();
                out.zeroize();
                return None;
            }
        };
        if pad > 0 {
            out.zeroize();
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    let ok = match (n, pad) {
        (0, 0) => true,
        (2, 1 | 2) | (2, 0) => {
            out.push((acc >> 4) as u8);
            true
        }
        (3, 1) | (3, 0) => {
            out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
            true
        }
        _ => false,
    };
    acc.zeroize();
    if !ok {
        out.zeroize();
        return None;
    }
    Some(out)
}

/// Strips the NUL / 0xFF tail a flash payload or the vendor glue may add.
pub(crate) fn trim_tail(p: &[u8]) -> &[u8] {
    let end = p
        .iter()
        .rposition(|&b| b != 0 && b != 0xFF)
        .map_or(0, |i| i + 1);
    &p[..end]
}

/// Parses a certificate payload: a PEM bundle (every `CERTIFICATE` block, other
/// blocks and text ignored) or DER (one certificate, or several concatenated).
///
/// Each certificate is checked to be well-formed X.509. Errors:
/// `X509_CERT_UNKNOWN_FORMAT` (neither PEM nor DER, or PEM without any
/// certificate block), `PEM_INVALID_DATA` (bad base64 or unterminated block),
/// `X509_INVALID_FORMAT` (a block that is not X.509), each naming the offset.
pub fn certificates(payload: &[u8]) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let mut out = Vec::new();
    if is_pem(payload) {
        let mut labels = String::new();
        for b in blocks(payload)? {
            if !matches!(b.label, "CERTIFICATE" | "X509 CERTIFICATE") {
                if labels.len() < 60 {
                    if !labels.is_empty() {
                        labels.push_str(", ");
                    }
                    labels.push_str(b.label);
                }
                continue;
            }
            let der = b.decode()?;
            info::parse(&der).map_err(|e| {
                fail!(
                    code::X509_INVALID_FORMAT,
                    "certificate {} (PEM offset {}): {}",
                    out.len() + 1,
                    b.offset,
                    e.reason
                )
            })?;
            out.push(CertificateDer::from(der));
        }
        if out.is_empty() {
            return Err(fail!(
                code::X509_CERT_UNKNOWN_FORMAT,
                "PEM data has no CERTIFICATE block (found: {labels})"
            ));
        }
        return Ok(out);
    }
    if payload.first() != Some(&0x30) {
        return Err(unknown_format(trim_tail(payload)));
    }
    let mut rest = payload;
    let mut offset = 0;
    // DER may itself end in 0x00/0xFF, so only a tail after whole objects is padding.
    while !is_padding(rest) {
        let len = info::first_tlv_len(rest).ok_or_else(|| {
            fail!(
                code::X509_INVALID_FORMAT,
                "DER certificate at offset {offset} is truncated or malformed"
            )
        })?;
        let der = &rest[..len];
        info::parse(der).map_err(|e| {
            fail!(
                code::X509_INVALID_FORMAT,
                "DER object at offset {offset}: {}",
                e.reason
            )
        })?;
        out.push(CertificateDer::from(der.to_vec()));
        rest = &rest[len..];
        offset += len;
    }
    Ok(out)
}

fn is_padding(p: &[u8]) -> bool {
    p.iter().all(|&b| b == 0 || b == 0xFF)
}

/// Bytes as `[30, 82, 0a]` (not `{:02x?}`: `Debug` prints nothing in the
/// chip build, docs/SIZE.md).
struct Hex<'a>(&'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[")?;
        for (i, b) in self.0.iter().enumerate() {
            write!(f, "{}{b:02x}", if i > 0 { ", " } else { "" })?;
        }
        f.write_str("]")
    }
}

fn unknown_format(p: &[u8]) -> Failure {
    if p.is_empty() {
        return fail!(code::X509_CERT_UNKNOWN_FORMAT, "certificate data is empty");
    }
    let n = p.len().min(4);
    fail!(
        code::X509_CERT_UNKNOWN_FORMAT,
        "certificate data is neither PEM nor DER (starts with {}); store the .pem or .der file unchanged",
        Hex(&p[..n])
    )
}

/// PEM-encodes DER with 64-column lines and LF, as `openssl x509 -outform PEM`.
pub fn encode(label: &str, der: &[u8]) -> Result<String, Failure> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map_err(|_| fail!(code::PEM_INVALID_DATA, "cannot PEM-encode '{label}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::certs::test_fixture as fixture;

    #[test]
    fn base64_cases() {
        assert_eq!(base64_decode(b"TWFu").unwrap(), b"Man");
        assert_eq!(base64_decode(b"TWE=").unwrap(), b"Ma");
        assert_eq!(base64_decode(b"TQ==").unwrap(), b"M");
        assert_eq!(base64_decode(b"T W\r\nF u\n").unwrap(), b"Man");
        assert!(base64_decode(b"TQ=a").is_none());
        assert!(base64_decode(b"T").is_none());
        assert!(base64_decode(b"TW!u").is_none());
    }

    #[test]
    fn bundle_with_text_and_nul() {
        let mut b = fixture("bundle.pem");
        b.extend_from_slice(&[0, 0xFF, 0xFF]);
        let certs = certificates(&b).unwrap();
        assert_eq!(certs.len(), 2);
        let i = info::parse(&certs[1]).unwrap();
        assert_eq!(i.subject, "CN=Test EC CA, O=Espconn Test");
    }

    #[test]
    fn der_and_pem_agree_and_reencode_like_openssl() {
        let pem = fixture("ca_rsa.pem");
        let der = fixture("ca_rsa.der");
        let a = certificates(&pem).unwrap();
        let b = certificates(&der).unwrap();
        assert_eq!(a, b);
        assert_eq!(encode("CERTIFICATE", &der).unwrap().as_bytes(), &pem[..]);
        // Concatenated DER certificates.
        let mut two = der.clone();
        two.extend_from_slice(&fixture("client_rsa.der"));
        assert_eq!(certificates(&two).unwrap().len(), 2);
    }

    #[test]
    fn certificate_errors() {
        let e = certificates(b"hello").unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        // The bytes are printed without `Debug` (guarded with -Zfmt-debug=none).
        assert!(
            e.reason.as_str().contains("starts with [68, 65, 6c, 6c]"),
            "{}",
            e.reason
        );
        let e = certificates(&fixture("client_rsa.pkcs8.pem")).unwrap_err();
        assert_eq!(e.code, code::X509_CERT_UNKNOWN_FORMAT);
        assert!(e.reason.as_str().contains("PRIVATE KEY"), "{}", e.reason);
        let pem = fixture("ca_rsa.pem");
        let e = certificates(&pem[..pem.len() - 30]).unwrap_err();
        assert_eq!(e.code, code::PEM_INVALID_DATA);
        let mut bad = pem.clone();
        bad[100] = b'*';
        assert_eq!(certificates(&bad).unwrap_err().code, code::PEM_INVALID_DATA);
        let der = fixture("ca_rsa.der");
        let e = certificates(&der[..der.len() - 1]).unwrap_err();
        assert_eq!(e.code, code::X509_INVALID_FORMAT);
        assert_eq!(
            certificates(&[]).unwrap_err().code,
            code::X509_CERT_UNKNOWN_FORMAT
        );
    }
}
