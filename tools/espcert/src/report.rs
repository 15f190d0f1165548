//! Shared wording: certificate and key summaries, the clock, failures.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use espconn_secure::certs::{fmt_unix_date, CertInfo};
use espconn_secure::error::{strerror, Failure};

/// Current time as Unix seconds. `ESPCERT_NOW` overrides it (tests, or to ask
/// "will this still be valid on date X").
pub fn now() -> i64 {
    if let Some(v) = std::env::var("ESPCERT_NOW")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return v;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `-0x7200 (invalid TLS record ...): reason`.
pub fn failure(f: &Failure) -> String {
    let text = strerror(f.code).to_string_lossy();
    format!("{} ({text}): {}", code(f.code), f.reason)
}

/// An mbedTLS code in the vendor's `-0x....` form.
pub fn code(c: i32) -> String {
    if c < 0 {
        format!("-0x{:04X}", c.unsigned_abs())
    } else {
        format!("0x{c:04X}")
    }
}

/// Validity problem of a certificate at `now`, if any.
pub fn validity_problem(ci: &CertInfo, now: i64) -> Option<String> {
    if now > ci.not_after {
        Some(format!(
            "certificate {} expired on {}",
            ci.subject,
            fmt_unix_date(ci.not_after)
        ))
    } else if now < ci.not_before {
        Some(format!(
            "certificate {} is not valid before {}",
            ci.subject,
            fmt_unix_date(ci.not_before)
        ))
    } else {
        None
    }
}

/// Multi-line summary of one certificate, each line prefixed by `indent`.
pub fn cert_lines(ci: &CertInfo, now: i64, indent: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{indent}subject: {}", ci.subject);
    let _ = writeln!(
        s,
        "{indent}issuer:  {}{}",
        ci.issuer,
        if ci.self_signed {
            "  (self-signed)"
        } else {
            ""
        }
    );
    let state = if now > ci.not_after {
        "  EXPIRED"
    } else if now < ci.not_before {
        "  NOT YET VALID"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "{indent}valid:   {} .. {}{state}",
        fmt_unix_date(ci.not_before),
        fmt_unix_date(ci.not_after)
    );
    let ca = match ci.is_ca {
        Some(true) => ", CA",
        Some(false) => ", end entity",
        None => "",
    };
    let _ = writeln!(s, "{indent}key:     {}{ca}", ci.key);
    if !ci.dns_names.is_empty() || !ci.ip_addrs.is_empty() {
        let mut names: Vec<String> = ci.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
        for ip in &ci.ip_addrs {
            names.push(match ip.len() {
                4 => format!("IP:{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]),
                16 => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(ip);
                    format!("IP:{}", std::net::Ipv6Addr::from(a))
                }
                _ => "IP:?".to_string(),
            });
        }
        let _ = writeln!(s, "{indent}names:   {}", names.join(", "));
    }
    s
}
