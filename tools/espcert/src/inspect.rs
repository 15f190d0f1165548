//! `espcert inspect`: list records and what the device will find.

use espconn_secure::certs::bundle::{self, Bundle};
use espconn_secure::certs::flash::{self, Object, Place, Raw, Stop, MAX_IMAGE, SECTOR_SIZE};
use espconn_secure::certs::{certificates, info, keys, pem, private_key};

use crate::args::{Command, Spec};
use crate::report::{self, cert_lines};
use crate::Status;

pub const HELP: &str = "\
espcert inspect: list the records of a certificate flash image and state what the
device will find in it.

Usage: espcert inspect FILE.bin

For each record: offset, name, length, PEM/DER, and for certificates the subject,
issuer, validity, key type and size; for keys the type, size and container.
Then the device's view: the CA (first record), the 'certificate' and
'private_key' records (11-byte name prefix), whether the key matches the
certificate, and where reading stops (0xFFFF length = erased flash, or 8192 bytes).
A raw PEM or DER file (no records) is shown as the device would take it too; a CA
bundle (espcert bundle) as its roots, checked as the device checks it.

Exit status: 0 the image is sound, 1 something the device would fail on, 2 usage.
";

const CMD: Command = Command {
    name: "inspect",
    usage: "espcert inspect FILE.bin",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[];

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let [file] = a.positional.as_slice() else {
        return CMD.usage_error("expected exactly one FILE");
    };
    let data = match std::fs::read(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("espcert inspect: cannot read {file}: {e}");
            return Status::Failed;
        }
    };
    let (text, ok) = inspect(&data, report::now());
    print!("{text}");
    if ok {
        Status::Ok
    } else {
        Status::Failed
    }
}

/// A CA bundle (`espcert bundle`): its size, sectors and roots, read as the
/// device reads it; false when the device would refuse it.
fn describe_bundle(o: &mut String, data: &[u8]) -> bool {
    let b = match Bundle::open(0, bundle::slice_reader(data, 0)) {
        Ok(Some(b)) => b,
        Ok(None) => return false,
        Err(e) => {
            o.push_str(&format!(
                "CA bundle, refused by the device: {}\n",
                report::failure(&e)
            ));
            return false;
        }
    };
    o.push_str(&format!(
        "CA bundle: {} roots, {} bytes in its header ({} in the file), {} sector(s), {} bytes per root\n",
        b.count,
        b.len,
        data.len(),
        b.sectors(),
        b.len / b.count.max(1)
    ));
    match b.all(bundle::slice_reader(data, 0)) {
        Ok(all) => {
            for a in &all {
                let name =
                    info::name_string(&a.subject).unwrap_or_else(|| "(unreadable name)".into());
                let nc = if a.name_constraints.is_some() {
                    "  (name constraints)"
                } else {
                    ""
                };
                o.push_str(&format!("  {name}{nc}\n"));
            }
            true
        }
        Err(e) => {
            o.push_str(&format!(
                "  refused by the device: {}\n",
                report::failure(&e)
            ));
            false
        }
    }
}

/// The report and whether the device would load everything in the image.
pub fn inspect(data: &[u8], now: i64) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let o = &mut out;
    macro_rules! line {
        ($($t:tt)*) => {{ o.push_str(&format!($($t)*)); o.push('\n'); }};
    }
    line!("{} bytes", data.len());
    if bundle::is_bundle(data) {
        ok &= describe_bundle(o, data);
        return (out, ok);
    }
    if data.len() > MAX_IMAGE {
        line!(
            "warning: file is larger than {MAX_IMAGE} bytes; the device reads only the first {MAX_IMAGE}"
        );
        ok = false;
    }

    if let Some(raw) = flash::detect_raw(data) {
        let (kind, payload) = match raw {
            Raw::Pem(p) => ("PEM", p),
            Raw::Der(p) => ("DER", p),
        };
        line!(
            "raw {kind} object at offset 0 ({} bytes), no records:",
            payload.len()
        );
        line!("  the device answers every lookup (CA, certificate, private_key) with this object");
        ok &= describe_payload(o, payload, now, "  ");
        return (out, ok);
    }

    let scan = flash::scan(data);
    line!("records:");
    if scan.records.is_empty() {
        line!("  (none)");
    }
    for r in &scan.records {
        line!(
            "  @{:<5} '{}'  {} bytes  {}",
            r.offset,
            r.name_display(),
            r.payload.len(),
            r.encoding()
        );
        ok &= describe_payload(o, r.payload, now, "      ");
    }
    match &scan.stop {
        Stop::Erased { offset } => {
            line!("reading stops at offset {offset}: length 0xFFFF (erased flash)")
        }
        Stop::Limit => line!("reading stops at the {MAX_IMAGE}-byte limit"),
        Stop::EndOfData { offset } => {
            line!("reading stops at offset {offset}: end of file");
            let sector = SECTOR_SIZE as usize;
            if *offset % sector == 0 && *offset < MAX_IMAGE && *offset > 0 {
                line!(
                    "  warning: the file ends on a sector boundary: on flash the device reads the next header from the following sector, which must be erased (0xFF)"
                );
            } else {
                line!("  on flash the rest of the sector is erased by esptool, so the device stops there too");
            }
        }
        Stop::Corrupt { offset, failure } => {
            line!(
                "reading stops at offset {offset}: {}",
                report::failure(failure)
            );
            ok = false;
        }
    }

    line!("the device will find:");
    // The CA is what ca_enable() loads; certificate/private_key are what
    // cert_req_enable() loads. A sector usually serves one of the two roles.
    let has_identity = scan
        .records
        .iter()
        .any(|r| r.name.starts_with(b"certificate") || r.name.starts_with(b"private_key"));
    match flash::find(data, Object::Ca, Place::Image) {
        Ok(f) => {
            let n = certificates(f.payload).map(|c| c.len());
            match n {
                Ok(n) => line!(
                    "  CA (ca_enable):            record '{}' @{}: {n} certificate(s)",
                    flash::NameDisplay(f.name),
                    f.offset
                ),
                Err(e) => {
                    line!(
                        "  CA (ca_enable):            record '{}' @{}: FAILS {}",
                        flash::NameDisplay(f.name),
                        f.offset,
                        report::failure(&e)
                    );
                    if !has_identity {
                        ok = false;
                    }
                }
            }
            let others = scan.records.len().saturating_sub(1);
            if others > 0 && !has_identity {
                line!("    ({others} further record(s) are ignored for the CA)");
            }
        }
        Err(e) => {
            line!("  CA (ca_enable):            FAILS {}", report::failure(&e));
            ok = false;
        }
    }
    if !has_identity {
        line!(
            "  certificate, private_key:  none (no such records: this image serves ca_enable only)"
        );
        return (out, ok);
    }
    let cert = flash::find(data, Object::Certificate, Place::Image);
    let key = flash::find(data, Object::PrivateKey, Place::Image);
    let mut loaded_cert = None;
    let mut loaded_key = None;
    match &cert {
        Ok(f) => match certificates(f.payload) {
            Ok(c) => {
                line!(
                    "  certificate (cert_req):    record '{}' @{}: {} certificate(s)",
                    flash::NameDisplay(f.name),
                    f.offset,
                    c.len()
                );
                loaded_cert = c.into_iter().next();
            }
            Err(e) => {
                line!("  certificate (cert_req):    FAILS {}", report::failure(&e));
                ok = false;
            }
        },
        Err(e) => {
            line!("  certificate (cert_req):    FAILS {}", report::failure(e));
            ok = false;
        }
    }
    match &key {
        Ok(f) => match private_key(f.payload) {
            Ok(k) => {
                line!(
                    "  private_key (cert_req):    record '{}' @{}: {} {}",
                    flash::NameDisplay(f.name),
                    f.offset,
                    k.kind(),
                    k.container()
                );
                loaded_key = Some(k);
            }
            Err(e) => {
                line!("  private_key (cert_req):    FAILS {}", report::failure(&e));
                ok = false;
            }
        },
        Err(e) => {
            line!("  private_key (cert_req):    FAILS {}", report::failure(e));
            ok = false;
        }
    }
    if let (Some(c), Some(k)) = (&loaded_cert, &loaded_key) {
        match keys::key_matches_cert(k.der(), c) {
            Ok(()) => line!("  key matches certificate:   yes"),
            Err(e) => {
                line!("  key matches certificate:   NO: {}", report::failure(&e));
                ok = false;
            }
        }
    }
    (out, ok)
}

/// Describes a payload as certificates or a key; false if it is neither.
fn describe_payload(o: &mut String, payload: &[u8], now: i64, indent: &str) -> bool {
    match certificates(payload) {
        Ok(certs) => {
            let mut good = true;
            for (i, c) in certs.iter().enumerate() {
                match info::parse(c) {
                    Ok(ci) => {
                        o.push_str(&format!("{indent}certificate {}:\n", i + 1));
                        o.push_str(&cert_lines(&ci, now, &format!("{indent}  ")));
                        if let Err(e) = keys::check_cert_strength(&ci) {
                            o.push_str(&format!("{indent}  problem: {}\n", report::failure(&e)));
                            good = false;
                        }
                        if let Some(p) = report::validity_problem(&ci, now) {
                            o.push_str(&format!("{indent}  problem: {p}\n"));
                            good = false;
                        }
                    }
                    Err(e) => {
                        o.push_str(&format!(
                            "{indent}certificate {}: {}\n",
                            i + 1,
                            report::failure(&e)
                        ));
                        good = false;
                    }
                }
            }
            good
        }
        Err(cert_err) => match private_key(payload) {
            Ok(k) => {
                o.push_str(&format!(
                    "{indent}private key: {} ({})\n",
                    k.kind(),
                    k.container()
                ));
                if let Err(e) = keys::check_key_strength(k.kind()) {
                    o.push_str(&format!("{indent}  problem: {}\n", report::failure(&e)));
                    return false;
                }
                true
            }
            Err(key_err) => {
                // Say whichever error is about what the payload looks like.
                let looks_like_key = pem::blocks(payload)
                    .map(|b| b.iter().any(|b| b.label.contains("PRIVATE KEY")))
                    .unwrap_or(false);
                let e = if looks_like_key { key_err } else { cert_err };
                o.push_str(&format!("{indent}unreadable: {}\n", report::failure(&e)));
                false
            }
        },
    }
}
