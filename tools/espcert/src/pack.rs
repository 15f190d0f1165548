//! `espcert pack`: write a vendor-format image.

use std::path::Path;

use espconn_secure::certs::flash::{self, MAX_IMAGE};
use espconn_secure::certs::{certificates, info, keys, pem, private_key, CertificateDer};
use espconn_secure::error::Failure;

use crate::args::{Args, Command, Spec};
use crate::report::{self, cert_lines};
use crate::Status;

pub const HELP: &str = "\
espcert pack: write a certificate flash image in the vendor's record format
(32-byte NUL-padded name, little-endian u16 length, payload; records concatenated).

Usage:
  espcert pack --ca ca.pem [--ca more.pem ...] -o esp_ca_cert.bin
  espcert pack --cert client.pem --key client.key -o esp_cert_private_key.bin

Options:
  --ca FILE         A CA certificate file (PEM, PEM bundle or DER). One record per
                    file, named after the file's base name (ca.pem -> \"ca.pem\"),
                    as the vendor's make_cacert.py names *.cer files. The device uses
                    the FIRST record only: put all CAs in one bundle file, or use
                    --bundle.
  --bundle          Merge all --ca files into one record (PEM, or DER with --der).
  --cert FILE       The device's own certificate (record \"certificate\"); may hold
                    the chain (leaf first).
  --key FILE        The device's private key (record \"private_key\"): RSA (PKCS#1,
                    PKCS#8) or EC P-256/P-384 (SEC1, PKCS#8), PEM or DER, unencrypted.
  --name NAME       Record name override, applied to the records in order (CA
                    records first, then certificate, then private_key). 1-32 bytes.
  --pem             Store payloads as canonical PEM (strips text around the blocks;
                    what the vendor's makefile.sh produces).
  --der             Store payloads as DER.
  --allow-expired   Pack expired or not-yet-valid certificates (warning only).
  -o, --output FILE The image to write.
  -h, --help        This help.

Without --pem/--der the payload is the input file's bytes, unchanged, so the image
is byte-for-byte what the vendor scripts write for the same files and names.

Refused (exit 1), with the reason: an image over 8192 bytes, a name over 32 bytes,
an unreadable input, data that is not a certificate/key, an encrypted key, a key
that does not match its certificate, RSA under 2048 bits, an expired certificate
(unless --allow-expired).
";

const CMD: Command = Command {
    name: "pack",
    usage: "espcert pack --ca FILE... -o OUT | --cert FILE --key FILE -o OUT",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[
    (&["--ca"], "ca", true),
    (&["--cert"], "cert", true),
    (&["--key"], "key", true),
    (&["--name"], "name", true),
    (&["-o", "--output", "--out"], "output", true),
    (&["--pem"], "pem", false),
    (&["--der"], "der", false),
    (&["--bundle"], "bundle", false),
    (&["--allow-expired"], "allow-expired", false),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Raw,
    Pem,
    Der,
}

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    match run(&a) {
        Ok(s) => s,
        Err(Refusal::Usage(e)) => CMD.usage_error(&e),
        Err(Refusal::Failed(e)) => {
            eprintln!("espcert pack: refused: {e}");
            Status::Failed
        }
    }
}

enum Refusal {
    Usage(String),
    Failed(String),
}

fn failed(e: impl Into<String>) -> Refusal {
    Refusal::Failed(e.into())
}

fn fail_f(input: &str, f: &Failure) -> Refusal {
    failed(format!("{input}: {}", report::failure(f)))
}

fn run(a: &Args) -> Result<Status, Refusal> {
    if !a.positional.is_empty() {
        return Err(Refusal::Usage(format!(
            "unexpected argument '{}'",
            a.positional[0]
        )));
    }
    let out = a
        .one("output")
        .map_err(Refusal::Usage)?
        .ok_or_else(|| Refusal::Usage("missing -o OUTPUT".into()))?;
    let cas = a.all("ca");
    let cert = a.one("cert").map_err(Refusal::Usage)?;
    let key = a.one("key").map_err(Refusal::Usage)?;
    if cas.is_empty() && cert.is_none() && key.is_none() {
        return Err(Refusal::Usage(
            "nothing to pack: give --ca, or --cert and --key".into(),
        ));
    }
    if cert.is_some() != key.is_some() {
        return Err(Refusal::Usage(
            "--cert and --key go together (the device loads both from the same sector)".into(),
        ));
    }
    let form = match (a.flag("pem"), a.flag("der")) {
        (true, true) => return Err(Refusal::Usage("--pem and --der exclude each other".into())),
        (true, false) => Form::Pem,
        (false, true) => Form::Der,
        _ => Form::Raw,
    };
    let allow_expired = a.flag("allow-expired");
    let now = report::now();
    let mut warnings = Vec::new();

    // (name, payload, description)
    let mut records: Vec<(String, Vec<u8>, String)> = Vec::new();

    if a.flag("bundle") && !cas.is_empty() {
        let mut pems = Vec::new();
        let mut ders = Vec::new();
        for f in cas {
            let data = read(f)?;
            let certs = check_certs(f, &data, now, allow_expired, &mut warnings)?;
            for c in certs {
                ders.extend_from_slice(&c);
                pems.extend_from_slice(pem_cert(&c)?.as_bytes());
            }
        }
        let payload = if form == Form::Der { ders } else { pems };
        records.push((
            base_name(&cas[0]),
            payload,
            format!("CA bundle of {} files", cas.len()),
        ));
    } else {
        for f in cas {
            let data = read(f)?;
            let certs = check_certs(f, &data, now, allow_expired, &mut warnings)?;
            let payload = match form {
                Form::Raw => data,
                Form::Der => certs.iter().flat_map(|c| c.iter().copied()).collect(),
                Form::Pem => {
                    let mut p = Vec::new();
                    for c in &certs {
                        p.extend_from_slice(pem_cert(c)?.as_bytes());
                    }
                    p
                }
            };
            records.push((
                base_name(f),
                payload,
                format!("CA, {} certificate(s)", certs.len()),
            ));
        }
        if cas.len() > 1 {
            warnings.push(format!(
                "{} CA records: the device uses only the first ({}); use --bundle or one bundle file to trust all",
                cas.len(),
                base_name(&cas[0])
            ));
        }
    }

    if let (Some(cf), Some(kf)) = (cert, key) {
        let cdata = read(cf)?;
        let certs = check_certs(cf, &cdata, now, allow_expired, &mut warnings)?;
        let kdata = read(kf)?;
        let k = private_key(&kdata).map_err(|e| fail_f(kf, &e))?;
        keys::check_key_strength(k.kind()).map_err(|e| fail_f(kf, &e))?;
        if let Some(leaf) = certs.first() {
            keys::key_matches_cert(k.der(), leaf).map_err(|e| {
                failed(format!(
                    "{kf} does not belong to {cf}: {}",
                    report::failure(&e)
                ))
            })?;
        }
        let cpayload = match form {
            Form::Raw => cdata,
            Form::Der => certs.iter().flat_map(|c| c.iter().copied()).collect(),
            Form::Pem => {
                let mut p = Vec::new();
                for c in &certs {
                    p.extend_from_slice(pem_cert(c)?.as_bytes());
                }
                p
            }
        };
        let kpayload = match form {
            Form::Raw => kdata,
            Form::Der => k.der().secret_der().to_vec(),
            Form::Pem => k.to_pem().map_err(|e| fail_f(kf, &e))?.as_bytes().to_vec(),
        };
        records.push((
            flash::CERTIFICATE_NAME.to_string(),
            cpayload,
            format!("own certificate, {} certificate(s)", certs.len()),
        ));
        records.push((
            flash::PRIVATE_KEY_NAME.to_string(),
            kpayload,
            format!("private key, {} {}", k.kind(), k.container()),
        ));
        if !cas.is_empty() {
            warnings.push(
                "CA and own certificate in one image: enable both on the same sector (the CA is the first record)"
                    .to_string(),
            );
        }
    }

    let names = a.all("name");
    if names.len() > records.len() {
        return Err(Refusal::Usage(format!(
            "{} --name given for {} records",
            names.len(),
            records.len()
        )));
    }
    for (r, n) in records.iter_mut().zip(names) {
        r.0 = n.clone();
    }

    let image = flash::encode_image(records.iter().map(|(n, p, _)| (n.as_str(), &p[..])))
        .map_err(|e| failed(report::failure(&e)))?;

    // The device must read back what was meant.
    let check = flash::scan(&image);
    if check.records.len() != records.len() {
        return Err(failed("internal error: the image does not read back"));
    }

    for w in &warnings {
        eprintln!("espcert pack: warning: {w}");
    }
    std::fs::write(out, &image).map_err(|e| failed(format!("cannot write {out}: {e}")))?;
    println!("wrote {out}: {} bytes of {MAX_IMAGE} allowed", image.len());
    for (r, (_, _, desc)) in check.records.iter().zip(&records) {
        println!(
            "  @{:<5} {:<32} {:>5} bytes {}  {desc}",
            r.offset,
            r.name_display().to_string(),
            r.payload.len(),
            r.encoding()
        );
    }
    if image.len() > flash::SECTOR_SIZE as usize {
        println!(
            "  note: spans two sectors; flash it at a sector boundary with the next sector free"
        );
    }
    Ok(Status::Ok)
}

fn read(path: &str) -> Result<Vec<u8>, Refusal> {
    let data = std::fs::read(path).map_err(|e| failed(format!("cannot read {path}: {e}")))?;
    if data.is_empty() {
        return Err(failed(format!("{path} is empty")));
    }
    Ok(data)
}

/// Parses and vets the certificates of one input file.
fn check_certs(
    path: &str,
    data: &[u8],
    now: i64,
    allow_expired: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<CertificateDer<'static>>, Refusal> {
    let certs = certificates(data).map_err(|e| fail_f(path, &e))?;
    for c in &certs {
        let ci = info::parse(c).map_err(|e| fail_f(path, &e))?;
        keys::check_cert_strength(&ci).map_err(|e| fail_f(path, &e))?;
        if let Some(p) = report::validity_problem(&ci, now) {
            if !allow_expired {
                return Err(failed(format!(
                    "{path}: {p} (the device would reject it once its clock is set); --allow-expired to pack anyway\n{}",
                    cert_lines(&ci, now, "    ")
                )));
            }
            warnings.push(format!("{path}: {p}"));
        }
    }
    Ok(certs)
}

fn pem_cert(der: &[u8]) -> Result<String, Refusal> {
    pem::encode("CERTIFICATE", der).map_err(|e| failed(report::failure(&e)))
}

/// The record name for an input file: its base name, as the vendor names
/// `*.cer` files.
fn base_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}
