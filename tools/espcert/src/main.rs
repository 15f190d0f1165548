//! `espcert`: make, inspect and check ESP8266 NONOS certificate flash images.
//!
//! The flash format, PEM/DER and key handling are the device library's own
//! `espconn_secure::certs` module, so the tool reads images exactly as the
//! device does.
//!
//! Exit status: 0 ok, 1 the command failed (refused input, bad image, check
//! failed), 2 usage error.

mod args;
mod bundle;
mod check;
mod inspect;
mod layout;
mod pack;
mod pin;
mod report;

use std::process::ExitCode;

/// Exit status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Failed,
    Usage,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Ok => 0,
            Status::Failed => 1,
            Status::Usage => 2,
        })
    }
}

const HELP: &str = "\
espcert: make, inspect and check certificate flash images for the ESP8266 NONOS SDK
(espconn_secure_* TLS API, vendor record format).

Usage: espcert <COMMAND> [OPTIONS]

Commands:
  pack     Write an image: CA certificates, or the device's certificate and key
  bundle   Write a CA bundle: many roots (e.g. Debian's set), read one at a time
  inspect  List the records of an image and what the device will find in it
  check    Connect to a server with the device's verification code
  layout   Suggest flash sectors and esptool.py lines for the images
  pin      Print certificates' public-key pins (espconn_secure_pin_public_key)
  help     Show help for a command (espcert help pack)

Exit status: 0 ok, 1 failed (refused input, bad image, check failed), 2 usage error.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    run(&argv).into()
}

fn run(argv: &[String]) -> Status {
    let Some(cmd) = argv.first() else {
        eprint!("{HELP}");
        return Status::Usage;
    };
    let rest = &argv[1..];
    match cmd.as_str() {
        "pack" => pack::main(rest),
        "bundle" => bundle::main(rest),
        "inspect" => inspect::main(rest),
        "check" => check::main(rest),
        "layout" => layout::main(rest),
        "pin" => pin::main(rest),
        "help" | "--help" | "-h" => match rest.first().map(String::as_str) {
            Some("pack") => help(pack::HELP),
            Some("bundle") => help(bundle::HELP),
            Some("inspect") => help(inspect::HELP),
            Some("check") => help(check::HELP),
            Some("layout") => help(layout::HELP),
            Some("pin") => help(pin::HELP),
            None => help(HELP),
            Some(other) => {
                eprintln!("espcert: no command '{other}'\n\n{HELP}");
                Status::Usage
            }
        },
        "--version" | "-V" => {
            println!("espcert {}", env!("CARGO_PKG_VERSION"));
            Status::Ok
        }
        other => {
            eprintln!("espcert: unknown command '{other}'\nUsage: espcert <pack|bundle|inspect|check|layout|pin> ... (espcert --help)");
            Status::Usage
        }
    }
}

fn help(text: &str) -> Status {
    print!("{text}");
    Status::Ok
}
