//! `espcert bundle`: pack many root certificates into a CA bundle image
//! (`espconn_secure::certs::bundle`), read one anchor at a time by the device.

use espconn_secure::certs::bundle::{self, Anchor, Bundle};
use espconn_secure::certs::flash::SECTOR_SIZE;
use espconn_secure::certs::{certificates, info, KeyType};

use crate::args::{Args, Command, Spec};
use crate::report;
use crate::Status;

/// Debian's `ca-certificates` set, one PEM file.
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

pub const HELP: &str = "\
espcert bundle: pack many root certificates into a CA bundle image for
espconn_secure_ca_enable(level, sector): a header, an index sorted by a hash of
each root's subject name, and each root as a trust anchor (subject name, public
key, name constraints; not the whole certificate). It spans as many 4 KB sectors
as it needs; at each handshake the device reads the index entries and the one
root the server's chain names, so its heap does not grow with the bundle.

Usage:
  espcert bundle --system -o esp_ca_bundle.bin
  espcert bundle --system ca.pem -o esp_ca_bundle.bin
  espcert bundle root1.pem root2.der ... -o esp_ca_bundle.bin

Options:
  --system          Add every certificate of Debian's ca-certificates set
                    (/etc/ssl/certs/ca-certificates.crt; apt-get install ca-certificates).
  FILE...           Certificate files to add (PEM, any number of certificates, or DER).
  --allow-expired   Keep expired or not-yet-valid roots (left out by default).
  -o, --output FILE The image to write.
  -h, --help        This help.

Left out, each with one line on stderr: roots whose key the device cannot use
(RSA under 2048 or over 4096 bits, EC curves other than P-256/P-384, Ed25519),
expired ones (unless --allow-expired) and duplicates. Refused (exit 1): no root
left, an unreadable file, data that is not a certificate, an image over 1 MB.
Prints the number of roots, the image's bytes and sectors, bytes per root, and
the index's first and last sector.
";

const CMD: Command = Command {
    name: "bundle",
    usage: "espcert bundle [--system] [FILE...] -o OUT",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[
    (&["--system"], "system", false),
    (&["--allow-expired"], "allow-expired", false),
    (&["-o", "--output", "--out"], "output", true),
];

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let out = match a.one("output") {
        Ok(Some(o)) => o.to_string(),
        Ok(None) => return CMD.usage_error("missing -o OUTPUT"),
        Err(e) => return CMD.usage_error(&e),
    };
    if a.positional.is_empty() && !a.flag("system") {
        return CMD.usage_error("nothing to pack: give --system and/or certificate files");
    }
    match run(&a, &out) {
        Ok(()) => Status::Ok,
        Err(e) => {
            eprintln!("espcert bundle: refused: {e}");
            Status::Failed
        }
    }
}

fn run(a: &Args, out: &str) -> Result<(), String> {
    let mut files: Vec<String> = Vec::new();
    if a.flag("system") {
        files.push(SYSTEM_ROOTS.to_string());
    }
    files.extend(a.positional.iter().cloned());
    let now = report::now();
    let allow_expired = a.flag("allow-expired");
    let mut anchors: Vec<Anchor> = Vec::new();
    let mut left_out = 0usize;
    for f in &files {
        let data = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
        let certs = certificates(&data).map_err(|e| format!("{f}: {}", report::failure(&e)))?;
        for c in &certs {
            let ci = info::parse(c).map_err(|e| format!("{f}: {}", report::failure(&e)))?;
            let why = match ci.key {
                KeyType::Rsa { bits } if !(2048..=4096).contains(&bits) => {
                    Some(format!("RSA-{bits} key (the device takes 2048-4096 bits)"))
                }
                KeyType::Rsa { .. } | KeyType::EcP256 | KeyType::EcP384 => None,
                other => Some(format!("{other} key (the device cannot verify it)")),
            };
            let why = why.or_else(|| {
                (!allow_expired)
                    .then(|| report::validity_problem(&ci, now))
                    .flatten()
                    .map(|p| format!("{p}; --allow-expired keeps it"))
            });
            if let Some(why) = why {
                eprintln!("espcert bundle: left out '{}': {why}", ci.subject);
                left_out += 1;
                continue;
            }
            let anchor = Anchor::from_cert(c)
                .map_err(|e| format!("{f}: '{}': {}", ci.subject, report::failure(&e)))?;
            if anchors.contains(&anchor) {
                eprintln!("espcert bundle: left out '{}': a duplicate", ci.subject);
                left_out += 1;
                continue;
            }
            anchors.push(anchor);
        }
    }
    let img = bundle::encode(&anchors).map_err(|e| report::failure(&e))?;
    // Read it back as the device will.
    let b = Bundle::open(0, bundle::slice_reader(&img, 0))
        .map_err(|e| report::failure(&e))?
        .ok_or("the image written is not a bundle (a bug)")?;
    for x in &anchors {
        match b.find(&x.subject, bundle::slice_reader(&img, 0)) {
            Ok(found) if found.iter().any(|(_, y)| y == x) => {}
            _ => return Err("a root cannot be found again in the image written (a bug)".into()),
        }
    }
    std::fs::write(out, &img).map_err(|e| format!("{out}: {e}"))?;
    let sectors = img.len().div_ceil(SECTOR_SIZE as usize);
    println!(
        "{out}: {} roots ({left_out} left out), {} bytes, {sectors} sector(s), {} bytes per root",
        b.count,
        img.len(),
        img.len() / b.count.max(1)
    );
    println!(
        "write it at a sector S with sectors S..S+{} free (esptool.py write_flash <S*0x1000> {out}), then espconn_secure_ca_enable(level, S)",
        sectors - 1
    );
    Ok(())
}
