//! `espcert layout`: suggested sectors for the images.

use crate::args::{Command, Spec};
use crate::Status;

pub const HELP: &str = "\
espcert layout: suggest flash sectors for the CA and client images and print the
esptool.py and C lines for them.

Usage: espcert layout --flash SIZE [--port PORT]

Options:
  --flash SIZE  Flash size: 512K, 1M, 2M, 4M, 8M or 16M (also 4MB, 32Mbit, ...)
  --port PORT   Serial port for the esptool.py line (default /dev/ttyUSB0)

The NONOS SDK keeps its RF calibration, PHY init data and system parameters in
the last 5 sectors of the flash. The images go just below them, 2 sectors each
(the device reads up to 8192 bytes): CA at end-0x9000, client at end-0x7000.
Check that your application (irom0 and, for OTA maps, both app slots) ends below.
";

const CMD: Command = Command {
    name: "layout",
    usage: "espcert layout --flash 4M",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[
    (&["--flash"], "flash", true),
    (&["--port", "-p"], "port", true),
];

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    if let Some(p) = a.positional.first() {
        return CMD.usage_error(&format!("unexpected argument '{p}'"));
    }
    let size = match a.one("flash") {
        Ok(Some(s)) => match parse_size(s) {
            Some(n) => n,
            None => {
                return CMD.usage_error(&format!(
                    "unknown flash size '{s}' (512K, 1M, 2M, 4M, 8M, 16M)"
                ))
            }
        },
        Ok(None) => return CMD.usage_error("missing --flash SIZE"),
        Err(e) => return CMD.usage_error(&e),
    };
    let port = match a.one("port") {
        Ok(p) => p.unwrap_or("/dev/ttyUSB0"),
        Err(e) => return CMD.usage_error(&e),
    };
    print!("{}", layout(size, port));
    Status::Ok
}

/// Flash size in bytes from `4M`, `4MB`, `512K`, `32Mbit`, `0x400000`.
pub fn parse_size(s: &str) -> Option<u32> {
    let l = s.trim().to_ascii_lowercase();
    if let Some(h) = l.strip_prefix("0x") {
        return u32::from_str_radix(h, 16).ok().filter(|n| is_known(*n));
    }
    let (num, unit) = l.split_at(l.find(|c: char| !c.is_ascii_digit()).unwrap_or(l.len()));
    let n: u32 = num.parse().ok()?;
    let bytes = match unit {
        "k" | "kb" | "kib" => n.checked_mul(1024)?,
        "m" | "mb" | "mib" => n.checked_mul(1024 * 1024)?,
        "mbit" | "mbits" => n.checked_mul(1024 * 1024 / 8)?,
        "" => n,
        _ => return None,
    };
    is_known(bytes).then_some(bytes)
}

fn is_known(n: u32) -> bool {
    [512 * 1024, 1 << 20, 2 << 20, 4 << 20, 8 << 20, 16 << 20].contains(&n)
}

/// The suggested layout for a flash of `size` bytes.
pub fn layout(size: u32, port: &str) -> String {
    let rf_cal = size - 0x5000;
    let ca = size - 0x9000;
    let client = size - 0x7000;
    let mut s = String::new();
    s.push_str(&format!("flash {} KiB ({size:#x} bytes)\n", size / 1024));
    s.push_str(&format!(
        "  {:#08x}..{:#08x}  reserved by the SDK: RF cal {:#x}, PHY init data {:#x}, system params {:#x}..\n",
        rf_cal,
        size - 1,
        rf_cal,
        size - 0x4000,
        size - 0x3000
    ));
    s.push_str(&format!(
        "  {:#08x}..{:#08x}  esp_ca_cert.bin            sector {:#x} (2 sectors, max 8192 bytes)\n",
        ca,
        ca + 0x1FFF,
        ca / 0x1000
    ));
    s.push_str(&format!(
        "  {:#08x}..{:#08x}  esp_cert_private_key.bin   sector {:#x} (2 sectors, max 8192 bytes)\n",
        client,
        client + 0x1FFF,
        client / 0x1000
    ));
    s.push('\n');
    s.push_str("esptool.py (write_flash erases the sectors it writes, so reading stops after the image):\n");
    s.push_str(&format!(
        "  esptool.py --port {port} write_flash {ca:#x} esp_ca_cert.bin {client:#x} esp_cert_private_key.bin\n"
    ));
    s.push_str("to remove an image: esptool.py erase_region ADDRESS 0x2000\n\n");
    s.push_str("firmware:\n");
    s.push_str(&format!(
        "  espconn_secure_ca_enable(ESPCONN_CLIENT, {:#x});\n",
        ca / 0x1000
    ));
    s.push_str(&format!(
        "  espconn_secure_cert_req_enable(ESPCONN_CLIENT, {:#x});\n",
        client / 0x1000
    ));
    if size == 512 * 1024 {
        s.push_str("note: on 512 KiB flash irom0 may reach 0x6C000; check that your firmware ends below the CA sector\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4M"), Some(4 << 20));
        assert_eq!(parse_size("4MB"), Some(4 << 20));
        assert_eq!(parse_size("32Mbit"), Some(4 << 20));
        assert_eq!(parse_size("512K"), Some(512 * 1024));
        assert_eq!(parse_size("0x100000"), Some(1 << 20));
        assert_eq!(parse_size("3M"), None);
        assert_eq!(parse_size("99999999999999M"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn four_megabytes() {
        let l = layout(4 << 20, "/dev/ttyUSB0");
        assert!(
            l.contains("write_flash 0x3f7000 esp_ca_cert.bin 0x3f9000 esp_cert_private_key.bin"),
            "{l}"
        );
        assert!(l.contains("espconn_secure_ca_enable(ESPCONN_CLIENT, 0x3f7);"));
    }
}
