//! `espcert pin`: the public-key pins of certificates, for
//! `espconn_secure_pin_public_key`.

use espconn_secure::certs::{certificates, info};
use espconn_secure::tls::spki_sha256;

use crate::args::{Command, Spec};
use crate::report;
use crate::Status;

pub const HELP: &str = "\
espcert pin: print the public-key pin of each certificate in the files given
(PEM, PEM chain or bundle, or DER): the SHA-256 of its DER SubjectPublicKeyInfo,
as espconn_secure_pin_public_key takes it, one line per certificate:

  <64 hex digits>  <subject>

The same hash as: openssl x509 -pubkey -noout -in cert.pem |
  openssl pkey -pubin -outform DER | openssl dgst -sha256

Usage: espcert pin FILE...
";

const CMD: Command = Command {
    name: "pin",
    usage: "espcert pin server.pem",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[];

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    if a.positional.is_empty() {
        return CMD.usage_error("missing certificate file");
    }
    let mut status = Status::Ok;
    for file in &a.positional {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("espcert pin: {file}: {e}");
                status = Status::Failed;
                continue;
            }
        };
        let certs = match certificates(&bytes) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("espcert pin: {file}: {}", report::failure(&e));
                status = Status::Failed;
                continue;
            }
        };
        for c in &certs {
            let Some(pin) = spki_sha256(c) else {
                eprintln!("espcert pin: {file}: a certificate cannot be read");
                status = Status::Failed;
                continue;
            };
            let subject = info::parse(c).map(|i| i.subject).unwrap_or_default();
            println!("{}  {subject}", hex(&pin));
        }
    }
    status
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
