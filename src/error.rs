//! Failure codes and reasons.
//!
//! Every failure the library reports is an mbedTLS 2.x error code (so firmware
//! that matches on the vendor's `Reason:[-0x....]` lines keeps working) plus one
//! readable line that says what failed and what to do. Reasons live in a fixed
//! inline buffer: the error path must not allocate, because it is also the
//! out-of-memory path.

use core::ffi::CStr;
use core::fmt;

/// mbedTLS-compatible error codes produced by this library.
pub mod code {
    pub const OK: i32 = 0;
    // Network layer.
    pub const NET_CONN_RESET: i32 = -0x0050;
    pub const NET_SEND_FAILED: i32 = -0x004E;
    pub const NET_RECV_FAILED: i32 = -0x004C;
    // PEM.
    pub const PEM_NO_HEADER_FOOTER_PRESENT: i32 = -0x1080;
    pub const PEM_INVALID_DATA: i32 = -0x1100;
    // X.509.
    pub const X509_FEATURE_UNAVAILABLE: i32 = -0x2080;
    pub const X509_INVALID_FORMAT: i32 = -0x2180;
    pub const X509_INVALID_DATE: i32 = -0x2400;
    pub const X509_UNKNOWN_SIG_ALG: i32 = -0x2600;
    pub const X509_CERT_VERIFY_FAILED: i32 = -0x2700;
    pub const X509_CERT_UNKNOWN_FORMAT: i32 = -0x2780;
    pub const X509_BAD_INPUT_DATA: i32 = -0x2800;
    pub const X509_ALLOC_FAILED: i32 = -0x2880;
    // Public keys.
    pub const PK_TYPE_MISMATCH: i32 = -0x3F00;
    pub const PK_BAD_INPUT_DATA: i32 = -0x3E80;
    pub const PK_KEY_INVALID_FORMAT: i32 = -0x3D00;
    pub const PK_UNKNOWN_PK_ALG: i32 = -0x3C80;
    pub const PK_PASSWORD_REQUIRED: i32 = -0x3C00;
    pub const PK_UNKNOWN_NAMED_CURVE: i32 = -0x3A00;
    pub const PK_FEATURE_UNAVAILABLE: i32 = -0x3980;
    // SSL.
    pub const SSL_FEATURE_UNAVAILABLE: i32 = -0x7080;
    pub const SSL_BAD_INPUT_DATA: i32 = -0x7100;
    pub const SSL_INVALID_MAC: i32 = -0x7180;
    pub const SSL_INVALID_RECORD: i32 = -0x7200;
    pub const SSL_CONN_EOF: i32 = -0x7280;
    pub const SSL_NO_RNG: i32 = -0x7400;
    pub const SSL_NO_CLIENT_CERTIFICATE: i32 = -0x7480;
    pub const SSL_CERTIFICATE_REQUIRED: i32 = -0x7580;
    pub const SSL_PRIVATE_KEY_REQUIRED: i32 = -0x7600;
    pub const SSL_CA_CHAIN_REQUIRED: i32 = -0x7680;
    pub const SSL_UNEXPECTED_MESSAGE: i32 = -0x7700;
    pub const SSL_FATAL_ALERT_MESSAGE: i32 = -0x7780;
    pub const SSL_PEER_VERIFY_FAILED: i32 = -0x7800;
    pub const SSL_PEER_CLOSE_NOTIFY: i32 = -0x7880;
    pub const SSL_BAD_HS_CLIENT_HELLO: i32 = -0x7900;
    pub const SSL_BAD_HS_SERVER_HELLO: i32 = -0x7980;
    pub const SSL_BAD_HS_CERTIFICATE: i32 = -0x7A00;
    pub const SSL_BAD_HS_CERTIFICATE_REQUEST: i32 = -0x7A80;
    pub const SSL_BAD_HS_SERVER_KEY_EXCHANGE: i32 = -0x7B00;
    pub const SSL_BAD_HS_CLIENT_KEY_EXCHANGE: i32 = -0x7C00;
    pub const SSL_BAD_HS_CERTIFICATE_VERIFY: i32 = -0x7D80;
    pub const SSL_BAD_HS_FINISHED: i32 = -0x7E80;
    pub const SSL_ALLOC_FAILED: i32 = -0x7F00;
    pub const SSL_BAD_HS_PROTOCOL_VERSION: i32 = -0x6E80;
    pub const SSL_INTERNAL_ERROR: i32 = -0x6C00;
    pub const SSL_NO_USABLE_CIPHERSUITE: i32 = -0x6980;
    pub const SSL_TIMEOUT: i32 = -0x6800;
    pub const SSL_UNEXPECTED_RECORD: i32 = -0x6700;
    // Firmware update (`espconn_secure_ota_*`): this library's own codes, in
    // a range mbedTLS 2.x leaves unused (between MD and HKDF).
    pub const OTA_NO_PARTITION: i32 = -0x5500;
    pub const OTA_NOT_STARTED: i32 = -0x5580;
    pub const OTA_SIZE_MISMATCH: i32 = -0x5600;
    pub const OTA_FLASH_FAILED: i32 = -0x5680;
    pub const OTA_HASH_MISMATCH: i32 = -0x5700;
}

/// Static description of a code, NUL-terminated for `espconn_secure_strerror`.
pub fn strerror(c: i32) -> &'static CStr {
    use code::*;
    match c {
        OK => c"no error",
        NET_CONN_RESET => c"connection reset by peer",
        NET_SEND_FAILED => c"sending to the network failed",
        NET_RECV_FAILED => c"receiving from the network failed",
        PEM_NO_HEADER_FOOTER_PRESENT => c"PEM: no BEGIN/END lines found",
        PEM_INVALID_DATA => c"PEM: invalid base64 or structure",
        X509_FEATURE_UNAVAILABLE => c"X.509: certificate uses an unsupported feature",
        X509_INVALID_FORMAT => c"X.509: certificate is not valid DER",
        X509_INVALID_DATE => c"X.509: certificate date invalid",
        X509_UNKNOWN_SIG_ALG => c"X.509: unknown signature algorithm",
        X509_CERT_VERIFY_FAILED => {
            c"certificate verification failed (CA, name, dates, key size or public-key pin)"
        }
        X509_CERT_UNKNOWN_FORMAT => c"certificate data is neither PEM nor DER",
        X509_BAD_INPUT_DATA => c"X.509: bad input data",
        X509_ALLOC_FAILED => c"X.509: out of memory",
        PK_TYPE_MISMATCH => c"private key does not match the certificate",
        PK_BAD_INPUT_DATA => c"private key: bad input data",
        PK_KEY_INVALID_FORMAT => c"private key is not PKCS#1, PKCS#8 or SEC1 (PEM or DER)",
        PK_UNKNOWN_PK_ALG => c"private key algorithm not supported",
        PK_PASSWORD_REQUIRED => c"private key is encrypted; store it unencrypted",
        PK_UNKNOWN_NAMED_CURVE => c"EC key on an unsupported curve",
        PK_FEATURE_UNAVAILABLE => c"key type not compiled into this build",
        SSL_FEATURE_UNAVAILABLE => c"TLS feature not available",
        SSL_BAD_INPUT_DATA => c"bad input parameters",
        SSL_INVALID_MAC => c"record authentication failed (bad MAC)",
        SSL_INVALID_RECORD => c"invalid TLS record (too large for the buffer, or not TLS)",
        SSL_CONN_EOF => c"connection closed before the handshake completed",
        SSL_NO_RNG => c"random number generator failed",
        SSL_NO_CLIENT_CERTIFICATE => c"peer did not send a required client certificate",
        SSL_CERTIFICATE_REQUIRED => c"own certificate missing from the flash sector",
        SSL_PRIVATE_KEY_REQUIRED => c"private key missing from the flash sector",
        SSL_CA_CHAIN_REQUIRED => c"CA certificate missing: flash sector erased or empty",
        SSL_UNEXPECTED_MESSAGE => c"unexpected TLS message",
        SSL_FATAL_ALERT_MESSAGE => c"peer sent a fatal alert",
        SSL_PEER_VERIFY_FAILED => c"peer verification failed",
        SSL_PEER_CLOSE_NOTIFY => c"peer closed the connection (close_notify)",
        SSL_BAD_HS_CLIENT_HELLO => c"bad ClientHello",
        SSL_BAD_HS_SERVER_HELLO => c"bad ServerHello",
        SSL_BAD_HS_CERTIFICATE => c"bad Certificate message",
        SSL_BAD_HS_CERTIFICATE_REQUEST => c"bad CertificateRequest message",
        SSL_BAD_HS_SERVER_KEY_EXCHANGE => c"bad ServerKeyExchange (signature or group)",
        SSL_BAD_HS_CLIENT_KEY_EXCHANGE => c"bad ClientKeyExchange",
        SSL_BAD_HS_CERTIFICATE_VERIFY => c"bad CertificateVerify",
        SSL_BAD_HS_FINISHED => c"bad Finished message",
        SSL_ALLOC_FAILED => c"out of memory",
        SSL_BAD_HS_PROTOCOL_VERSION => c"no common TLS version",
        SSL_INTERNAL_ERROR => c"internal error",
        SSL_NO_USABLE_CIPHERSUITE => c"no cipher suite in common with the peer",
        SSL_TIMEOUT => c"TLS handshake timed out (espconn_secure_set_handshake_timeout)",
        SSL_UNEXPECTED_RECORD => c"unexpected record",
        OTA_NO_PARTITION => {
            c"OTA: no inactive user partition for this flash map, or the image does not fit it"
        }
        OTA_NOT_STARTED => c"OTA: no update in progress (espconn_secure_ota_begin first)",
        OTA_SIZE_MISMATCH => c"OTA: image shorter or longer than announced (truncated download?)",
        OTA_FLASH_FAILED => {
            c"OTA: spi_flash_erase_sector, spi_flash_write or spi_flash_read failed"
        }
        OTA_HASH_MISMATCH => c"OTA: SHA-256 of the image in flash is not the expected one",
        _ => c"unknown error code",
    }
}

/// The vendor glue's conversion of an mbedTLS code into the `sint8` given to the
/// reconnect callback (reference §3.7): -0x7200 -> -114, -0x7F00 -> -127,
/// -0x2700 -> -39, -0x7780 -> 9. Kept bit-for-bit so existing firmware that
/// switches on these values keeps working.
pub fn vendor_callback_code(mbedtls_code: i32) -> i8 {
    let mut r = mbedtls_code.wrapping_neg();
    if r & 0xFF != 0 {
        r = (r >> 8).wrapping_add(r);
    } else {
        r >>= 8;
    }
    let hs_status = (r.wrapping_neg()) as i16;
    hs_status as i8
}

/// A readable line, held inline so that reporting never allocates.
#[derive(Clone, Copy)]
pub struct Reason {
    buf: [u8; Reason::CAP],
    len: u8,
}

impl Reason {
    pub const CAP: usize = 200;

    pub const fn new() -> Self {
        Reason {
            buf: [0; Reason::CAP],
            len: 0,
        }
    }

    /// A reason from formatting arguments, cut at `CAP` bytes on a char boundary.
    pub fn from_fmt(args: fmt::Arguments<'_>) -> Self {
        let mut r = Reason::new();
        let _ = fmt::write(&mut r, args);
        r
    }

    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 characters are ever appended.
        core::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl Default for Reason {
    fn default() -> Self {
        Reason::new()
    }
}

impl fmt::Write for Reason {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            let mut tmp = [0u8; 4];
            let enc = ch.encode_utf8(&mut tmp).as_bytes();
            let at = self.len as usize;
            if at + enc.len() > Reason::CAP {
                return Err(fmt::Error);
            }
            self.buf[at..at + enc.len()].copy_from_slice(enc);
            self.len += enc.len() as u8;
        }
        Ok(())
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure: the mbedTLS-compatible code and what to tell the user.
#[derive(Clone, Copy, Debug)]
pub struct Failure {
    pub code: i32,
    pub reason: Reason,
}

impl Failure {
    pub fn new(code: i32, args: fmt::Arguments<'_>) -> Self {
        Failure {
            code,
            reason: Reason::from_fmt(args),
        }
    }
}

/// `fail!(code, "fmt", args...)` builds a [`Failure`].
#[macro_export]
macro_rules! fail {
    ($code:expr, $($arg:tt)*) => {
        $crate::error::Failure::new($code, format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_formula_matches_field_logs() {
        // Values from reference §3.7 (issues #53, #275, #292 of the vendor SDK).
        assert_eq!(vendor_callback_code(code::SSL_INVALID_RECORD), -114);
        assert_eq!(vendor_callback_code(code::SSL_ALLOC_FAILED), -127);
        assert_eq!(vendor_callback_code(code::X509_CERT_VERIFY_FAILED), -39);
        assert_eq!(vendor_callback_code(code::SSL_FATAL_ALERT_MESSAGE), 9);
        assert_eq!(vendor_callback_code(code::SSL_CONN_EOF), 14);
        assert_eq!(vendor_callback_code(-0x4290), 46);
        assert_eq!(vendor_callback_code(code::SSL_BAD_HS_CERTIFICATE), -122);
        assert_eq!(
            vendor_callback_code(code::SSL_BAD_HS_SERVER_KEY_EXCHANGE),
            -123
        );
        assert_eq!(vendor_callback_code(code::SSL_INVALID_MAC), 15);
        assert_eq!(vendor_callback_code(code::SSL_FEATURE_UNAVAILABLE), 16);
        assert_eq!(vendor_callback_code(code::PK_KEY_INVALID_FORMAT), -61);
        // The handshake timeout's code, as README's table gives it.
        assert_eq!(vendor_callback_code(code::SSL_TIMEOUT), -104);
    }

    #[test]
    fn every_produced_code_has_its_own_text() {
        let all = [
            code::SSL_INVALID_RECORD,
            code::SSL_ALLOC_FAILED,
            code::X509_CERT_VERIFY_FAILED,
            code::SSL_CA_CHAIN_REQUIRED,
            code::PK_TYPE_MISMATCH,
            code::PK_KEY_INVALID_FORMAT,
            code::SSL_CONN_EOF,
            code::SSL_TIMEOUT,
        ];
        for c in all {
            assert_ne!(strerror(c), strerror(1), "code {c:#x} has no text");
        }
    }

    #[test]
    fn reason_truncates_on_char_boundary_without_allocating() {
        let long = "é".repeat(300);
        let r = Reason::from_fmt(format_args!("{long}"));
        assert!(r.as_str().len() <= Reason::CAP);
        assert!(r.as_str().chars().all(|c| c == 'é'));
    }
}
